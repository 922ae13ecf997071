/* gordon-venue: the command line and the HTTP/1.1 server (libuv +
 * http-parser, the stacks the daemon already links); the user-data
 * websocket (ws.c) shares the loop on a second port. Loopback only. A
 * request is answered as soon as it is parsed, in order; a held request
 * (the "timeout" fault) is never answered and the connection reads no
 * more; a dropped one (the "drop" fault) closes the connection unanswered
 * after the venue applied it. */
#include "venue.h"

#include <http_parser.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#define VN_URL_MAX      8192  /* Binance caps a URL well below this */
#define VN_BODY_MAX     65536 /* form bodies are small */
#define VN_KEYHDR_MAX   256
#define VN_READ_BUF     65536
#define VN_PATH_TICK_MS 20 /* how often a price path moves the mark */

typedef struct vn_conn {
    uv_tcp_t tcp;
    http_parser parser;
    vn_venue *v;
    char url[VN_URL_MAX];
    size_t url_len;
    char *body; /* owned */
    size_t body_len;
    char field[32];
    size_t field_len;
    int in_value, key_hdr;
    char api_key[VN_KEYHDR_MAX];
    size_t key_len;
    int overflow, closing;
    int held; /* reads no more: a held request, or the last response is on its way */
    char rbuf[VN_READ_BUF];
} vn_conn;

typedef struct vn_write {
    uv_write_t req;
    uv_shutdown_t sreq;
    vn_conn *conn; /* borrowed */
    int last;      /* the client asked to close: shut down after this one */
    char *data;    /* owned */
} vn_write;

static vn_venue g_venue; /* one venue a process */
static int g_verbose;    /* --verbose: one stderr line a request */

static void on_closed(uv_handle_t *h)
{
    vn_conn *c = h->data;
    free(c->body);
    free(c);
}

static void conn_close(vn_conn *c)
{
    if (!c->closing) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
    }
}

static void on_shut(uv_shutdown_t *req, int status)
{
    vn_write *w = req->data;
    (void)status;
    conn_close(w->conn);
    free(w);
}

static void on_written(uv_write_t *req, int status)
{
    vn_write *w = (vn_write *)req;
    if (status < 0 && status != UV_ECANCELED)
        fprintf(stderr, "gordon-venue: write: %s\n", uv_strerror(status));
    free(w->data);
    w->data = NULL;
    if (w->last && status == 0 && !w->conn->closing) {
        w->sreq.data = w;
        if (uv_shutdown(&w->sreq, (uv_stream_t *)&w->conn->tcp, on_shut) == 0)
            return;
        conn_close(w->conn);
    }
    free(w);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static void respond(vn_conn *c, vn_response *res, int last)
{
    vn_venue *v = c->v;
    int64_t minute = vn_now_ms(v) / 60000;
    if (minute != v->weight_minute) {
        v->weight_minute = minute;
        v->weight_used = v->orders_used = 0;
    }
    v->weight_used += res->weight;
    v->orders_used += res->order_count;
    char extra[128] = "";
    size_t n = 0;
    if (res->order_count)
        n += (size_t)snprintf(extra + n, sizeof(extra) - n, "X-MBX-ORDER-COUNT-1M: %d\r\n", v->orders_used);
    if (res->retry_after > 0)
        snprintf(extra + n, sizeof(extra) - n, "Retry-After: %d\r\n", res->retry_after);
    const char *body = res->body ? res->body : "";
    size_t blen = strlen(body);
    size_t cap = blen + 512;
    vn_write *w = calloc(1, sizeof(*w));
    char *data = malloc(cap);
    if (!w || !data) {
        fprintf(stderr, "gordon-venue: out of memory answering\n");
        free(w);
        free(data);
        conn_close(c);
        return;
    }
    int hl =
        snprintf(data, cap,
                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "X-MBX-USED-WEIGHT-1M: %d\r\n%s%s\r\n",
                 res->status, reason(res->status), blen, v->weight_used, extra, last ? "Connection: close\r\n" : "");
    memcpy(data + hl, body, blen);
    w->data = data;
    w->conn = c;
    w->last = last;
    uv_buf_t b = uv_buf_init(data, (unsigned)(hl + blen));
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc < 0) {
        fprintf(stderr, "gordon-venue: uv_write: %s\n", uv_strerror(rc));
        free(data);
        free(w);
        conn_close(c);
    }
}

static int on_begin(http_parser *p)
{
    vn_conn *c = p->data;
    c->url_len = c->body_len = c->key_len = c->field_len = 0;
    c->in_value = c->key_hdr = c->overflow = 0;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    vn_conn *c = p->data;
    if (c->url_len + len >= sizeof(c->url)) {
        c->overflow = 1;
        return 0;
    }
    memcpy(c->url + c->url_len, at, len);
    c->url_len += len;
    return 0;
}

static int on_field(http_parser *p, const char *at, size_t len)
{
    vn_conn *c = p->data;
    if (c->in_value)
        c->field_len = 0;
    c->in_value = 0;
    if (c->field_len + len < sizeof(c->field)) {
        memcpy(c->field + c->field_len, at, len);
        c->field_len += len;
    } else
        c->field_len = sizeof(c->field); /* too long to be ours */
    return 0;
}

static int on_value(http_parser *p, const char *at, size_t len)
{
    vn_conn *c = p->data;
    if (!c->in_value) {
        c->in_value = 1;
        c->key_hdr = c->field_len == 12 && strncasecmp(c->field, "X-MBX-APIKEY", 12) == 0;
        if (c->key_hdr)
            c->key_len = 0;
    }
    if (c->key_hdr && c->key_len + len < sizeof(c->api_key)) {
        memcpy(c->api_key + c->key_len, at, len);
        c->key_len += len;
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    vn_conn *c = p->data;
    if (c->body_len + len >= VN_BODY_MAX) {
        c->overflow = 1;
        return 0;
    }
    if (!c->body && !(c->body = malloc(VN_BODY_MAX)))
        return 1;
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    return 0;
}

static int on_complete(http_parser *p)
{
    vn_conn *c = p->data;
    vn_request r;
    vn_response res;
    memset(&r, 0, sizeof(r));
    memset(&res, 0, sizeof(res));
    c->url[c->url_len] = 0;
    if (c->body)
        c->body[c->body_len] = 0;
    c->api_key[c->key_len] = 0;
    if (c->overflow) {
        vn_error(&res, 400, -1000, "Request too large.");
        respond(c, &res, 1);
        free(res.body);
        c->held = 1;
        return 1;
    }
    r.method = http_method_str((enum http_method)p->method);
    char *q = strchr(c->url, '?');
    size_t plen = q ? (size_t)(q - c->url) : c->url_len;
    if (plen >= sizeof(r.path))
        plen = sizeof(r.path) - 1;
    memcpy(r.path, c->url, plen);
    r.query = q ? q + 1 : NULL;
    r.body = c->body && c->body_len ? c->body : NULL;
    r.api_key = c->key_len ? c->api_key : NULL;
    vn_dispatch(c->v, &r, &res);
    if (g_verbose) /* never the query: it carries signatures */
        fprintf(stderr, "gordon-venue: %s %s -> %s %d\n", r.method, r.path,
                res.action == VN_HOLD   ? "held"
                : res.action == VN_DROP ? "dropped"
                                        : "answered",
                res.status);
    free(r.pbuf);
    int stop = 0;
    if (res.action == VN_HOLD) {
        c->held = 1; /* never answered; the client gives up */
        stop = 1;
    } else if (res.action == VN_DROP) {
        conn_close(c);
        stop = 1;
    } else {
        int last = !http_should_keep_alive(p);
        respond(c, &res, last);
        stop = c->held = last; /* read no more; closed once written */
    }
    free(res.body);
    return stop;
}

static const http_parser_settings g_settings = {
    .on_message_begin = on_begin,
    .on_url = on_url,
    .on_header_field = on_field,
    .on_header_value = on_value,
    .on_body = on_body,
    .on_message_complete = on_complete,
};

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    vn_conn *c = h->data;
    *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    vn_conn *c = s->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0 || c->held || c->closing)
        return;
    size_t done = http_parser_execute(&c->parser, &g_settings, buf->base, (size_t)n);
    if (c->held || c->closing)
        return;
    if (done != (size_t)n || HTTP_PARSER_ERRNO(&c->parser) != HPE_OK)
        conn_close(c); /* malformed HTTP */
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        fprintf(stderr, "gordon-venue: accept: %s\n", uv_strerror(status));
        return;
    }
    vn_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        fprintf(stderr, "gordon-venue: out of memory accepting\n");
        return;
    }
    c->v = server->data;
    int rc = uv_tcp_init(server->loop, &c->tcp);
    if (rc < 0) {
        fprintf(stderr, "gordon-venue: uv_tcp_init: %s\n", uv_strerror(rc));
        free(c);
        return;
    }
    c->tcp.data = c;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if ((rc = uv_accept(server, (uv_stream_t *)&c->tcp)) < 0 ||
        (rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) < 0) {
        fprintf(stderr, "gordon-venue: accept: %s\n", uv_strerror(rc));
        conn_close(c);
    }
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    uv_stop(h->loop);
}

static void on_tick(uv_timer_t *t)
{
    vn_path_apply(t->data);
    vn_market_tick(t->data); /* bars close on the market clock */
    vn_ws_check(t->data);    /* listen key expiry and the 24 h cut in venue time */
}

/* Closes the venue's own handles: the listener, signals and tick carry
 * &g_venue, connections are the other TCP handles. The rest belong to
 * libwebsockets (uv_poll, timers), which closes them itself after
 * lws_context_destroy; closing them here too would close them twice. */
static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h))
        return;
    if (h->type == UV_TCP && h->data && h->data != &g_venue)
        conn_close(h->data);
    else if (h->data == &g_venue)
        uv_close(h, NULL);
}

static int add_key(vn_venue *v, const char *spec, int ed)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || v->nkeys == VN_KEYS_MAX || (size_t)(colon - spec) >= sizeof(v->keys[0].api_key)) {
        fprintf(stderr, "gordon-venue: %s %s: expected APIKEY:%s\n", ed ? "--ed25519-key" : "--key", spec,
                ed ? "PUBLIC_KEY_PEM" : "SECRET");
        return -1;
    }
    vn_key *k = &v->keys[v->nkeys];
    memset(k, 0, sizeof(*k));
    memcpy(k->api_key, spec, (size_t)(colon - spec));
    if (!ed) {
        snprintf(k->secret, sizeof(k->secret), "%s", colon + 1);
    } else {
        FILE *f = fopen(colon + 1, "r");
        EVP_PKEY *pk = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
        if (f)
            fclose(f);
        if (!pk || EVP_PKEY_id(pk) != EVP_PKEY_ED25519) {
            fprintf(stderr, "gordon-venue: %s: not an Ed25519 public key in PEM\n", colon + 1);
            EVP_PKEY_free(pk);
            return -1;
        }
        k->ed_pub = pk;
    }
    v->nkeys++;
    return 0;
}

static int write_port_file(const char *file, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", file);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fprintf(f, "%d\n", port) < 0;
    bad |= fclose(f) != 0;
    return bad ? -1 : rename(tmp, file);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gordon-venue [--port N] [--port-file F] [--ws-port N] [--ws-port-file F]\n"
            "       [--key APIKEY:SECRET]... [--ed25519-key APIKEY:PEM]...\n"
            "       [--symbol SYM[:tick=X:step=X:minqty=X:maxqty=X:notional=X:protect=X:price=X:leverage=N]]...\n"
            "       [--path SYM:CSV] [--balance USDT] [--fee-bps X] [--clock-offset-ms N] [--verbose 1]\n"
            "       [--klines SYM:CSV]... [--interval 1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d]\n"
            "       [--market-speed X] [--market-history K]\n");
}

/* A number for a flag, or -1 naming the flag. */
static int num(const char *flag, const char *val, double lo, double hi, double *x)
{
    char *end = NULL;
    *x = strtod(val, &end);
    if (end == val || *end || !(*x >= lo && *x <= hi)) {
        fprintf(stderr, "gordon-venue: %s %s: expected a number in [%g, %g]\n", flag, val, lo, hi);
        return -1;
    }
    return 0;
}

typedef struct vn_ports {
    int port, ws_port;
    const char *port_file, *ws_port_file;
} vn_ports;

static int parse_args(vn_venue *v, int argc, char **argv, vn_ports *p)
{
    char why[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val) {
            usage();
            return -1;
        }
        i++;
        double x = 0;
        if (!strcmp(a, "--port")) {
            if (num(a, val, 0, 65535, &x) != 0)
                return -1;
            p->port = (int)x;
        } else if (!strcmp(a, "--port-file"))
            p->port_file = val;
        else if (!strcmp(a, "--ws-port")) {
            if (num(a, val, 0, 65535, &x) != 0)
                return -1;
            p->ws_port = (int)x;
        } else if (!strcmp(a, "--ws-port-file"))
            p->ws_port_file = val;
        else if (!strcmp(a, "--key") || !strcmp(a, "--ed25519-key")) {
            if (add_key(v, val, a[2] == 'e') != 0)
                return -1;
        } else if (!strcmp(a, "--symbol")) {
            if (vn_symbol_parse(v, val, why, sizeof(why)) != 0) {
                fprintf(stderr, "gordon-venue: %s\n", why);
                return -1;
            }
        } else if (!strcmp(a, "--path") || !strcmp(a, "--klines")) {
            const char *colon = strchr(val, ':');
            char name[VN_NAME_MAX];
            snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - val) : 0, val);
            vn_symbol *s = colon ? vn_symbol_find(v, name, NULL) : NULL;
            if (!s) {
                fprintf(stderr, "gordon-venue: %s %s: expected SYM:CSV after that --symbol\n", a, val);
                return -1;
            }
            if ((a[2] == 'p' ? vn_path_load(s, colon + 1, why, sizeof(why))
                             : vn_klines_load(s, colon + 1, why, sizeof(why))) != 0) {
                fprintf(stderr, "gordon-venue: %s\n", why);
                return -1;
            }
        } else if (!strcmp(a, "--interval")) {
            if (!vn_interval_ms(val)) {
                fprintf(stderr, "gordon-venue: --interval %s: one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d\n", val);
                return -1;
            }
            snprintf(v->mk.interval, sizeof(v->mk.interval), "%s", val);
        } else if (!strcmp(a, "--market-speed")) {
            if (num(a, val, 1e-3, 1e9, &v->mk.speed) != 0)
                return -1;
        } else if (!strcmp(a, "--market-history")) {
            if (num(a, val, 0, 1e6, &x) != 0)
                return -1;
            v->mk.history = (size_t)x;
        } else if (!strcmp(a, "--balance")) {
            if (num(a, val, 0, 1e12, &v->wallet) != 0)
                return -1;
        } else if (!strcmp(a, "--fee-bps")) {
            if (num(a, val, 0, 1000, &v->fee_bps) != 0)
                return -1;
        } else if (!strcmp(a, "--verbose")) {
            g_verbose = atoi(val) != 0;
        } else if (!strcmp(a, "--clock-offset-ms")) {
            if (num(a, val, -1e12, 1e12, &x) != 0)
                return -1;
            v->clock_offset_ms = (int64_t)x;
        } else {
            usage();
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    vn_venue *v = &g_venue;
    int rc = 1;
    vn_ports ports = {0};
    v->wallet = 10000;
    v->fee_bps = 4; /* Binance's taker fee at the base tier: 0.04 % */
    v->next_order_id = 4000000001LL;
    v->next_algo_id = 1000000001LL;
    if (parse_args(v, argc, argv, &ports) != 0)
        goto out;
    char why[128];
    if (v->nsym == 0 && vn_symbol_parse(v, "BTCUSDT", why, sizeof(why)) != 0)
        goto out;
    if (v->nkeys == 0 && add_key(v, "venue-key:venue-secret", 0) != 0)
        goto out;
    char mwhy[256];
    if (vn_market_start(v, mwhy, sizeof(mwhy)) != 0) {
        fprintf(stderr, "gordon-venue: %s\n", mwhy);
        goto out;
    }

    uv_loop_t *loop = uv_default_loop();
    uv_tcp_t server;
    uv_signal_t sigterm, sigint;
    uv_timer_t tick;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    int e, port = ports.port, ws_port = 0;
    if ((e = uv_ip4_addr("127.0.0.1", port, &addr)) < 0 || (e = uv_tcp_init(loop, &server)) < 0) {
        fprintf(stderr, "gordon-venue: init: %s\n", uv_strerror(e));
        goto out;
    }
    server.data = v;
    if ((e = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0)) < 0 ||
        (e = uv_listen((uv_stream_t *)&server, 128, on_connection)) < 0 ||
        (e = uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &blen)) < 0) {
        fprintf(stderr, "gordon-venue: listen on 127.0.0.1:%d: %s\n", port, uv_strerror(e));
        goto loop_out;
    }
    port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    tick.data = sigterm.data = sigint.data = v; /* ours, for close_walk; uv_*_init leaves data alone */
    if ((e = uv_signal_init(loop, &sigterm)) < 0 || (e = uv_signal_start(&sigterm, on_signal, SIGTERM)) < 0 ||
        (e = uv_signal_init(loop, &sigint)) < 0 || (e = uv_signal_start(&sigint, on_signal, SIGINT)) < 0 ||
        (e = uv_timer_init(loop, &tick)) < 0) {
        fprintf(stderr, "gordon-venue: signals: %s\n", uv_strerror(e));
        goto loop_out;
    }
    if ((e = uv_timer_start(&tick, on_tick, VN_PATH_TICK_MS, VN_PATH_TICK_MS)) < 0) {
        fprintf(stderr, "gordon-venue: timer: %s\n", uv_strerror(e));
        goto loop_out;
    }
    uv_unref((uv_handle_t *)&tick);
    if (vn_ws_start(v, loop, ports.ws_port, &ws_port) != 0)
        goto loop_out;
    /* the websocket's port first: a test that sees the REST port may connect to both */
    if (ports.ws_port_file && write_port_file(ports.ws_port_file, ws_port) != 0) {
        fprintf(stderr, "gordon-venue: cannot write %s\n", ports.ws_port_file);
        goto loop_out;
    }
    if (ports.port_file && write_port_file(ports.port_file, port) != 0) {
        fprintf(stderr, "gordon-venue: cannot write %s\n", ports.port_file);
        goto loop_out;
    }
    fprintf(stderr, "gordon-venue: listening on 127.0.0.1:%d, user-data websocket on 127.0.0.1:%d\n", port, ws_port);
    uv_run(loop, UV_RUN_DEFAULT);
    rc = 0;
loop_out:
    vn_ws_stop(); /* before the walk: lws closes its own handles */
    uv_walk(loop, close_walk, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    for (int i = 0; i < 4 && vn_ws_stop(); i++) /* lws's second destroy step, bounded */
        uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0)
        fprintf(stderr, "gordon-venue: loop did not close cleanly\n");
out:
    for (size_t i = 0; i < v->nkeys; i++)
        EVP_PKEY_free(v->keys[i].ed_pub);
    vn_venue_free(v);
    return rc;
}
