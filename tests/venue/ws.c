/* The user-data websocket: Binance's USD-M user stream on its own port,
 * plain ws:// on 127.0.0.1, served by libwebsockets on the venue's libuv
 * loop (foreign-loop mode, one thread). A socket opens at /ws/<listenKey>
 * or /private/ws/<listenKey> while the key lives, gets every event of the
 * account as one text message, and is closed as Binance closes it: at the
 * 24-hour cut, and after {"e":"listenKeyExpired"} when the key expires.
 * Faults: ws_drop (abrupt close, no close frame), ws_silent (events lost),
 * listen_key_expire (control.c).
 * Market streams share the port and the protocol: /ws/<stream> and
 * /market/ws/<stream> (raw: a last segment with '@' is a stream, else a
 * listen key), /stream?streams=a/b and /market/stream?streams=a/b
 * (combined: {"stream":..,"data":..}). market.c builds their events. */
#include "venue.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define VN_WS_QUEUE_MAX    4096                    /* pending messages a socket may hold; a reader this slow is cut */
#define VN_WS_DAY_MS       (24LL * 60 * 60 * 1000) /* Binance: a connection lives 24 hours */
#define VN_WS_URI_MAX      256                     /* "/private/ws/" and a 64-byte key fit */
#define VN_WS_RX_MAX       4096                    /* lws's receive buffer: clients send nothing we read */
#define VN_WS_STREAMS_MAX  16                      /* streams a market socket may hold (Binance: 200) */
#define VN_WS_ARGS_MAX     (VN_WS_STREAMS_MAX * VN_NAME_MAX)
/* lws 4.1 keeps its close opcode private (between LWS_WRITE_HTTP and
 * LWS_WRITE_PING); lws_write() sends it as a close frame. */
#define VN_LWS_WRITE_CLOSE ((enum lws_write_protocol)(LWS_WRITE_PING - 1))

typedef struct vn_msg {
    struct vn_msg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of room, then the text */
} vn_msg;

enum {
    VS_OPEN,
    VS_DRAIN,      /* send what is queued (listenKeyExpired last), then a close frame */
    VS_CLOSE_SENT, /* the close frame is out: close */
    VS_DROP        /* the socket was shut down under lws: no close frame */
};

typedef struct vn_sess {
    struct vn_sess *next, *prev; /* g_ws.sessions */
    struct lws *wsi;
    char key[VN_NAME_MAX];
    int64_t opened; /* venue ms, for the 24 h cut */
    vn_msg *head, *tail;
    size_t n;
    int state;
    int listed;
    int market;   /* a market socket: streams below, no listen key */
    int combined; /* /stream: each message wrapped with its stream's name */
    int nstreams;
    struct {
        int sym, kind;
        char name[VN_NAME_MAX];
    } streams[VN_WS_STREAMS_MAX];
} vn_sess;

static struct {
    struct lws_context *ctx;
    vn_venue *v;
    vn_sess *sessions;
} g_ws;

static void queue_free(vn_sess *s)
{
    while (s->head) {
        vn_msg *m = s->head;
        s->head = m->next;
        free(m);
    }
    s->tail = NULL;
    s->n = 0;
}

static void unlist(vn_sess *s)
{
    if (!s->listed)
        return;
    if (s->prev)
        s->prev->next = s->next;
    else
        g_ws.sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->listed = 0;
    queue_free(s);
}

/* The listen key in a user-stream path, or NULL: /ws/<key>, /private/ws/<key>. */
static const char *key_of(const char *uri)
{
    if (!strncmp(uri, "/private/", 9))
        uri += 8;
    if (strncmp(uri, "/ws/", 4) != 0)
        return NULL;
    uri += 4;
    size_t n = strlen(uri);
    if (n == 0 || n >= VN_NAME_MAX || strcspn(uri, "/?#") != n)
        return NULL;
    return uri;
}

/* A market path: 1 with s's streams filled, 0 if not a market path (a
 * listen key's), -1 if a market path naming no known stream. */
static int market_route(struct lws *wsi, const char *uri, vn_sess *s)
{
    const char *p = uri;
    if (!strncmp(p, "/market/", 8))
        p += 7;
    s->nstreams = 0;
    if (!strcmp(p, "/stream")) {
        char args[VN_WS_ARGS_MAX];
        const char *list = lws_get_urlarg_by_name(wsi, "streams=", args, (int)sizeof(args));
        if (!list || !*list)
            return -1;
        s->combined = 1;
        while (*list) {
            size_t n = strcspn(list, "/");
            if (n == 0 || n >= VN_NAME_MAX || s->nstreams == VN_WS_STREAMS_MAX)
                return -1;
            memcpy(s->streams[s->nstreams].name, list, n);
            s->streams[s->nstreams].name[n] = 0;
            s->nstreams++;
            list += n;
            if (*list == '/')
                list++;
        }
    } else if (!strncmp(p, "/ws/", 4) && strchr(p + 4, '@')) {
        p += 4;
        size_t n = strlen(p);
        if (n >= VN_NAME_MAX || strchr(p, '/'))
            return -1;
        memcpy(s->streams[0].name, p, n + 1);
        s->nstreams = 1;
    } else
        return p != uri ? -1 : 0; /* /market/ serves no listen key */
    for (int i = 0; i < s->nstreams; i++)
        if (vn_market_stream(g_ws.v, s->streams[i].name, &s->streams[i].sym, &s->streams[i].kind) != 0)
            return -1;
    s->market = 1;
    return 1;
}

/* 0 if the request's path names the live listen key; the key into out. */
static int key_ok(struct lws *wsi, char *out, size_t outlen)
{
    char uri[VN_WS_URI_MAX];
    if (lws_hdr_copy(wsi, uri, (int)sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
        return -1; /* no path, or longer than any key */
    const char *k = key_of(uri);
    vn_venue *v = g_ws.v;
    if (!k || !v->listen_key[0] || strcmp(k, v->listen_key) != 0 || vn_now_ms(v) >= v->listen_key_expiry)
        return -1;
    snprintf(out, outlen, "%s", k);
    return 0;
}

static int enqueue(vn_sess *s, const char *text, size_t len)
{
    if (s->n >= VN_WS_QUEUE_MAX)
        return -1;
    vn_msg *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (!m)
        return -1;
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    if (s->tail)
        s->tail->next = m;
    else
        s->head = m;
    s->tail = m;
    s->n++;
    lws_callback_on_writable(s->wsi);
    return 0;
}

/* Shut the socket under lws: the peer sees the TCP close without a close
 * frame (a 1006 to a browser), as when a real connection dies. */
static void drop(vn_sess *s)
{
    if (s->state == VS_DROP)
        return;
    s->state = VS_DROP;
    queue_free(s);
    lws_sockfd_type fd = lws_get_socket_fd(s->wsi);
    if (fd >= 0 && shutdown(fd, SHUT_RDWR) != 0)
        perror("gordon-venue: ws shutdown");
    lws_callback_on_writable(s->wsi); /* lws closes it on the next service */
}

static void drain_then_close(vn_sess *s, int expired)
{
    if (s->state != VS_OPEN)
        return;
    if (expired) {
        char b[160];
        int n = snprintf(b, sizeof(b), "{\"e\":\"listenKeyExpired\",\"E\":%lld,\"listenKey\":\"%s\"}",
                         (long long)vn_now_ms(g_ws.v), s->key);
        if (n < 0 || (size_t)n >= sizeof(b) || enqueue(s, b, (size_t)n) != 0) {
            drop(s);
            return;
        }
    }
    s->state = VS_DRAIN;
    lws_callback_on_writable(s->wsi);
}

static int writeable(vn_sess *s)
{
    if (s->state == VS_DROP)
        return -1;
    vn_msg *m = s->head;
    if (!m) {
        if (s->state == VS_CLOSE_SENT)
            return -1;
        if (s->state == VS_DRAIN) {
            /* the close frame by hand: lws 4.1 treats -1 from a writeable
             * callback as a dead socket and sends no close frame */
            unsigned char b[LWS_PRE + 2];
            b[LWS_PRE] = LWS_CLOSE_STATUS_NORMAL >> 8;
            b[LWS_PRE + 1] = LWS_CLOSE_STATUS_NORMAL & 0xff;
            if (lws_write(s->wsi, b + LWS_PRE, 2, VN_LWS_WRITE_CLOSE) < 0)
                return -1;
            s->state = VS_CLOSE_SENT;
            lws_callback_on_writable(s->wsi);
        }
        return 0;
    }
    /* lws keeps what the kernel did not take and sends it first; < 0 is fatal */
    int w = lws_write(s->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    s->head = m->next;
    if (!s->head)
        s->tail = NULL;
    s->n--;
    free(m);
    if (w < 0)
        return -1;
    if (s->head || s->state == VS_DRAIN)
        lws_callback_on_writable(s->wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    vn_sess *s = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        /* an unknown stream, an unknown or expired key: the handshake is refused */
        static vn_sess probe; /* too big for the stack's taste; one thread */
        char uri[VN_WS_URI_MAX], key[VN_NAME_MAX];
        memset(&probe, 0, sizeof(probe));
        if (lws_hdr_copy(wsi, uri, (int)sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
            return 1;
        int m = market_route(wsi, uri, &probe);
        return m < 0 || (m == 0 && key_ok(wsi, key, sizeof(key)) != 0);
    }
    case LWS_CALLBACK_ESTABLISHED: {
        char uri[VN_WS_URI_MAX];
        memset(s, 0, sizeof(*s));
        s->wsi = wsi;
        if (lws_hdr_copy(wsi, uri, (int)sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
            return -1;
        int m = market_route(wsi, uri, s);
        if (m < 0 || (m == 0 && key_ok(wsi, s->key, sizeof(s->key)) != 0))
            return -1;
        s->opened = vn_now_ms(g_ws.v);
        s->next = g_ws.sessions;
        if (s->next)
            s->next->prev = s;
        g_ws.sessions = s;
        s->listed = 1;
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: return s && s->listed ? writeable(s) : 0;
    case LWS_CALLBACK_RECEIVE:
        /* the user stream takes nothing from the client: ignored. lws
         * answers pings itself and hands data over in pieces of at most
         * VN_WS_RX_MAX (the protocol's rx buffer), so nothing grows. */
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (s)
            unlist(s);
        return 0;
    default: return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols g_protocols[] = {
    {"binance-user-stream", callback, sizeof(vn_sess), VN_WS_RX_MAX, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int vn_ws_start(vn_venue *v, void *uv_loop, int port, int *bound_port)
{
    struct lws_context_creation_info info;
    void *loops[1] = {uv_loop};
    memset(&info, 0, sizeof(info));
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    g_ws.v = v;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.foreign_loops = loops;
    info.port = port;
    info.iface = "127.0.0.1";
    info.protocols = g_protocols;
    info.vhost_name = "user-stream";
    info.pcontext = &g_ws.ctx; /* lws writes NULL there once destroy is complete */
    g_ws.ctx = lws_create_context(&info);
    if (!g_ws.ctx) {
        fprintf(stderr, "gordon-venue: lws_create_context failed (libwebsockets-evlib-uv installed?)\n");
        return -1;
    }
    struct lws_vhost *vh = lws_create_vhost(g_ws.ctx, &info);
    if (!vh) {
        fprintf(stderr, "gordon-venue: websocket listen on 127.0.0.1:%d failed\n", port);
        return -1;
    }
    *bound_port = lws_get_vhost_listen_port(vh);
    return *bound_port > 0 ? 0 : -1;
}

/* lws 4.1 on a foreign loop destroys in steps: the first call closes its
 * handles, which finish closing on the loop's next run; a later call frees
 * the rest and writes NULL into g_ws.ctx (info.pcontext). */
int vn_ws_stop(void)
{
    if (g_ws.ctx)
        lws_context_destroy(g_ws.ctx);
    while (g_ws.sessions)
        unlist(g_ws.sessions);
    return g_ws.ctx != NULL;
}

void vn_ws_push(vn_venue *v, cJSON *ev)
{
    if (v->ws_silent > 0) { /* the fault: this event is lost */
        v->ws_silent--;
        cJSON_Delete(ev);
        return;
    }
    char *text = ev ? cJSON_PrintUnformatted(ev) : NULL;
    cJSON_Delete(ev);
    if (!text) {
        fprintf(stderr, "gordon-venue: out of memory building a user-data event\n");
        return;
    }
    size_t len = strlen(text);
    for (vn_sess *s = g_ws.sessions; s; s = s->next)
        if (s->state == VS_OPEN && !s->market && !strcmp(s->key, v->listen_key) && enqueue(s, text, len) != 0) {
            fprintf(stderr, "gordon-venue: user-data socket too slow (%zu queued): dropped\n", s->n);
            drop(s);
        }
    free(text);
}

void vn_ws_drop_all(void)
{
    for (vn_sess *s = g_ws.sessions; s; s = s->next)
        if (!s->market)
            drop(s);
}

void vn_ws_market_push(int sym, int kind, const char *data)
{
    size_t dlen = strlen(data);
    for (vn_sess *s = g_ws.sessions; s; s = s->next) {
        if (s->state != VS_OPEN || !s->market)
            continue;
        for (int i = 0; i < s->nstreams; i++) {
            if (s->streams[i].sym != sym || s->streams[i].kind != kind)
                continue;
            int rc;
            if (!s->combined) {
                rc = enqueue(s, data, dlen);
            } else {
                size_t cap = dlen + VN_NAME_MAX + 32;
                char *b = malloc(cap);
                int n = b ? snprintf(b, cap, "{\"stream\":\"%s\",\"data\":%s}", s->streams[i].name, data) : -1;
                rc = n < 0 || (size_t)n >= cap ? -1 : enqueue(s, b, (size_t)n);
                free(b);
            }
            if (rc != 0) {
                fprintf(stderr, "gordon-venue: market socket too slow (%zu queued): dropped\n", s->n);
                drop(s);
                break;
            }
        }
    }
}

void vn_ws_market_drop_all(void)
{
    for (vn_sess *s = g_ws.sessions; s; s = s->next)
        if (s->market)
            drop(s);
}

int vn_ws_market_sockets(void)
{
    int n = 0;
    for (const vn_sess *s = g_ws.sessions; s; s = s->next)
        n += s->state == VS_OPEN && s->market;
    return n;
}

void vn_ws_check(vn_venue *v)
{
    int64_t now = vn_now_ms(v);
    for (vn_sess *s = g_ws.sessions; s; s = s->next) {
        if (s->state != VS_OPEN)
            continue;
        if (s->market) {
            if (now - s->opened >= VN_WS_DAY_MS)
                drain_then_close(s, 0); /* the 24 h cut, in venue time */
            continue;
        }
        if (strcmp(s->key, v->listen_key) != 0 || now - s->opened >= VN_WS_DAY_MS)
            drain_then_close(s, 0); /* the key was deleted, or the 24 h cut */
        else if (now >= v->listen_key_expiry)
            drain_then_close(s, 1);
    }
}

int vn_ws_sockets(void)
{
    int n = 0;
    for (const vn_sess *s = g_ws.sessions; s; s = s->next)
        n += s->state == VS_OPEN && !s->market;
    return n;
}
