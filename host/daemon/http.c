/* The operator HTTP server: node's http_parser on libuv TCP handles.
 *
 * One gd_http_session holds the parser and the request being built; both
 * the socket connections and gd_http_process_buffer feed bytes through
 * session_feed, so the fuzzer exercises the same code as the network.
 *
 * A connection is a small state machine:
 *   READING  parsing requests; the idle timer is a deadline for the whole
 *            request (it is not pushed back by each byte, so a slowloris
 *            client that trickles a header is closed on time);
 *   WRITING  a keep-alive response is in flight; reading is paused so
 *            pipelined requests wait, in order, in `pending`;
 *   LINGER   the last response (error or Connection: close) is queued,
 *            the write side is shut down and input is drained and dropped
 *            until EOF or a short timer, so the kernel does not reset the
 *            connection (and lose our response) over unread input;
 *   CLOSING  uv_close called on both handles; freed in the last close cb. */
#include "daemon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"

#define GD_HTTP_DEF_HEADER_BYTES (8u * 1024u)
#define GD_HTTP_DEF_BODY_BYTES (64u * 1024u)
#define GD_HTTP_DEF_CONNECTIONS 64u
#define GD_HTTP_DEF_IDLE_MS 10000u
#define GD_HTTP_LINGER_MS 2000u   /* at most this long draining before close */
#define GD_HTTP_READ_BUF 16384u   /* one read; bounds the pipelined backlog */
#define GD_HTTP_BACKLOG 128

/* ---- the shared parse/dispatch session ---- */

enum { HDR_OTHER = 0, HDR_AUTH, HDR_CTYPE, HDR_EXPECT };

typedef struct gd_http_session {
    http_parser parser;
    gd_http_limits lim;          /* resolved: no zeros */
    gd_http_handler handler;
    void *user;
    char peer[INET6_ADDRSTRLEN + 16];

    /* the request being received */
    gd_buf url, auth, ctype, expect, body;
    char field[32];              /* current header name, enough for the ones we keep */
    size_t field_len;
    int field_long;              /* name longer than field[]: not one of ours */
    int in_value;                /* last callback was a value: the next field starts a header */
    int headers_done;            /* later fields are chunked trailers: never used */
    int cur;                     /* HDR_* the current value belongs to */
    unsigned n_auth, n_ctype, n_expect;
    size_t header_bytes;

    /* set by a callback that refuses the request */
    int err_status;
    const char *err_msg;

    gd_buf out;                 /* responses produced, not yet sent */
    int last_status;
    int close_after;             /* the last response ends the connection */
    int done;                    /* no more input is parsed */
    int oom;
} gd_http_session;

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: {
        const char *s = http_status_str((enum http_status)status);
        return (s && s[0] != '<') ? s : "Unknown";
    }
    }
}

static void resolve_limits(gd_http_limits *dst, const gd_http_limits *src)
{
    memset(dst, 0, sizeof *dst);
    if (src)
        *dst = *src;
    if (!dst->max_header_bytes)
        dst->max_header_bytes = GD_HTTP_DEF_HEADER_BYTES;
    if (!dst->max_body_bytes)
        dst->max_body_bytes = GD_HTTP_DEF_BODY_BYTES;
    if (!dst->max_connections)
        dst->max_connections = GD_HTTP_DEF_CONNECTIONS;
    if (!dst->idle_timeout_ms)
        dst->idle_timeout_ms = GD_HTTP_DEF_IDLE_MS;
}

/* Buffers are kept for the next request on the connection, emptied: what
 * one request sent (its Authorization!) must never show in the next. */
static void session_reset_request(gd_http_session *s)
{
    gd_buf_clear(&s->url);
    gd_buf_clear(&s->auth);
    gd_buf_clear(&s->ctype);
    gd_buf_clear(&s->expect);
    gd_buf_clear(&s->body);
    s->field_len = 0;
    s->field[0] = '\0';
    s->field_long = 0;
    s->in_value = 0;
    s->headers_done = 0;
    s->cur = HDR_OTHER;
    s->n_auth = s->n_ctype = s->n_expect = 0;
    s->header_bytes = 0;
}

static void session_init(gd_http_session *s, const gd_http_limits *lim, gd_http_handler handler,
                         void *user, const char *peer)
{
    memset(s, 0, sizeof *s);
    resolve_limits(&s->lim, lim);
    s->handler = handler;
    s->user = user;
    snprintf(s->peer, sizeof s->peer, "%s", peer);
    http_parser_init(&s->parser, HTTP_REQUEST);
    s->parser.data = s;
}

static void session_free(gd_http_session *s)
{
    gd_buf_free(&s->url);
    gd_buf_free(&s->auth);
    gd_buf_free(&s->ctype);
    gd_buf_free(&s->expect);
    gd_buf_free(&s->body);
    gd_buf_free(&s->out);
}

/* Records why a callback refuses the request; the parser then stops with
 * an HPE_CB_* error and session_feed answers with this status. */
static int refuse(gd_http_session *s, int status, const char *msg)
{
    if (!s->err_status) {
        s->err_status = status;
        s->err_msg = msg;
    }
    return -1;
}

static int refuse_oom(gd_http_session *s)
{
    s->oom = 1;
    return refuse(s, 500, "out of memory");
}

static int count_header_bytes(gd_http_session *s, size_t n)
{
    if (s->header_bytes > s->lim.max_header_bytes || n > s->lim.max_header_bytes - s->header_bytes) {
        s->header_bytes = s->lim.max_header_bytes + 1;
        return refuse(s, 431, "request header too large");
    }
    s->header_bytes += n;
    return 0;
}

static int on_message_begin(http_parser *p)
{
    session_reset_request(p->data);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (count_header_bytes(s, len) < 0)
        return -1;
    /* http_parser_parse_url keeps 16-bit offsets. */
    if (s->url.len + len > UINT16_MAX)
        return refuse(s, 431, "request target too long");
    return gd_buf_append(&s->url, at, len) < 0 ? refuse_oom(s) : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (s->in_value || (s->field_len == 0 && !s->field_long)) {
        /* A new header line: charge its ": " and CRLF too, so a flood of
         * tiny headers is bounded like its size on the wire. */
        s->in_value = 0;
        s->field_len = 0;
        s->field[0] = '\0';
        s->field_long = 0;
        if (count_header_bytes(s, 4) < 0)
            return -1;
    }
    if (count_header_bytes(s, len) < 0)
        return -1;
    if (!s->field_long) {
        if (len >= sizeof s->field - s->field_len) {
            s->field_long = 1;
        } else {
            memcpy(s->field + s->field_len, at, len);
            s->field_len += len;
            s->field[s->field_len] = '\0';
        }
    }
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (count_header_bytes(s, len) < 0)
        return -1;
    if (!s->in_value) {
        s->in_value = 1;
        s->cur = HDR_OTHER;
        if (!s->field_long && !s->headers_done) {
            if (strcasecmp(s->field, "authorization") == 0) {
                if (++s->n_auth > 1)
                    return refuse(s, 400, "repeated Authorization header");
                s->cur = HDR_AUTH;
            } else if (strcasecmp(s->field, "content-type") == 0) {
                if (++s->n_ctype > 1)
                    return refuse(s, 400, "repeated Content-Type header");
                s->cur = HDR_CTYPE;
            } else if (strcasecmp(s->field, "expect") == 0) {
                s->n_expect++;
                s->cur = HDR_EXPECT;
            }
        }
        /* Mark the header present even if its value is empty. */
        gd_buf *b = s->cur == HDR_AUTH ? &s->auth : s->cur == HDR_CTYPE ? &s->ctype
                   : s->cur == HDR_EXPECT ? &s->expect : NULL;
        if (b && gd_buf_append(b, "", 0) < 0)
            return refuse_oom(s);
    }
    gd_buf *b = NULL;
    switch (s->cur) {
    case HDR_AUTH: b = &s->auth; break;
    case HDR_CTYPE: b = &s->ctype; break;
    case HDR_EXPECT: b = &s->expect; break;
    default: return 0;
    }
    return gd_buf_append(b, at, len) < 0 ? refuse_oom(s) : 0;
}

/* The value of a header seen present times, without trailing optional
 * whitespace (http_parser strips only the leading); NULL if absent. */
static const char *trimmed(gd_buf *b, unsigned present)
{
    if (!present || !b->p)
        return NULL;
    while (b->len && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\t'))
        b->p[--b->len] = '\0';
    return b->p;
}

static int on_headers_complete(http_parser *p)
{
    gd_http_session *s = p->data;
    s->headers_done = 1;
    if (p->method == HTTP_CONNECT)
        return refuse(s, 405, "CONNECT not supported");
    if (p->upgrade)
        return refuse(s, 400, "protocol upgrade not supported");
    /* Refuse an oversized body before reading any of it. */
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > s->lim.max_body_bytes)
        return refuse(s, 413, "request body too large");
    /* Expect: 100-continue is ignored (the client sends its body after its
     * own short wait); any other expectation cannot be met. */
    if (s->n_expect > 1)
        return refuse(s, 417, "unsupported expectation");
    if (s->n_expect == 1) {
        const char *e = trimmed(&s->expect, s->n_expect);
        if (!e || strcasecmp(e, "100-continue") != 0)
            return refuse(s, 417, "unsupported expectation");
    }
    return 0;
}

static int on_chunk_header(http_parser *p)
{
    gd_http_session *s = p->data;
    /* content_length holds this chunk's announced size. */
    if (p->content_length > s->lim.max_body_bytes - s->body.len)
        return refuse(s, 413, "request body too large");
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    gd_http_session *s = p->data;
    if (len > s->lim.max_body_bytes - s->body.len)
        return refuse(s, 413, "request body too large");
    return gd_buf_append(&s->body, at, len) < 0 ? refuse_oom(s) : 0;
}

static int header_value_ok(const char *v)
{
    return v && v[0] && !strpbrk(v, "\r\n");
}

/* Appends one whole response; on failure leaves out as it was. */
static int append_response(gd_http_session *s, int status, const char *ctype, const char *www_auth,
                           const char *body, size_t body_len, int close, int head)
{
    size_t mark = s->out.len;
    int rc;
    if (status == 204 || status == 304) {
        /* No body, and no Content-Length (RFC 9110 8.6). */
        rc = gd_buf_printf(&s->out, "HTTP/1.1 %d %s\r\nConnection: %s\r\nCache-Control: no-store\r\n",
                         status, reason_phrase(status), close ? "close" : "keep-alive");
        body_len = 0;
    } else {
        rc = gd_buf_printf(&s->out,
                         "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                         "Connection: %s\r\nCache-Control: no-store\r\n",
                         status, reason_phrase(status), ctype, body_len, close ? "close" : "keep-alive");
    }
    if (rc == 0 && www_auth)
        rc = gd_buf_printf(&s->out, "WWW-Authenticate: %s\r\n", www_auth);
    if (rc == 0)
        rc = gd_buf_append(&s->out, "\r\n", 2);
    if (rc == 0 && !head && body_len)
        rc = gd_buf_append(&s->out, body, body_len);
    if (rc < 0) {
        gd_buf_truncate(&s->out, mark);
        s->oom = 1;
        return -1;
    }
    if (s->lim.status_counts && status >= 100 && status < 600)
        s->lim.status_counts[status]++;
    s->last_status = status;
    s->close_after = close;
    return 0;
}

static void append_error(gd_http_session *s, int status, const char *msg)
{
    char esc[256], body[320];
    gd_json_escape(esc, sizeof esc, msg ? msg : "bad request");
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", esc);
    size_t blen = n < 0 ? 0 : (size_t)n < sizeof body ? (size_t)n : sizeof body - 1;
    (void)append_response(s, status, "application/json", NULL, body, blen, 1, 0);
    s->close_after = 1;
    s->done = 1;
}

/* A complete request: split the target, call the handler, queue the answer,
 * and pause the parser so the caller sends it before parsing the next. */
static int on_message_complete(http_parser *p)
{
    gd_http_session *s = p->data;
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (s->url.len == 0 || http_parser_parse_url(s->url.p, s->url.len, 0, &u) != 0)
        return refuse(s, 400, "bad request target");

    char *target = malloc(s->url.len + 3);
    if (!target)
        return refuse_oom(s);
    char *path = target, *query;
    if (u.field_set & (1u << UF_PATH)) {
        memcpy(path, s->url.p + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
        path[u.field_data[UF_PATH].len] = '\0';
    } else {
        strcpy(path, "/");
    }
    query = path + strlen(path) + 1;
    if (u.field_set & (1u << UF_QUERY)) {
        memcpy(query, s->url.p + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
        query[u.field_data[UF_QUERY].len] = '\0';
    } else {
        query[0] = '\0';
    }

    gd_http_request req = {
        .method = http_method_str((enum http_method)p->method),
        .path = path,
        .query = query,
        .authorization = trimmed(&s->auth, s->n_auth),
        .content_type = trimmed(&s->ctype, s->n_ctype),
        .body = s->body.len ? s->body.p : "",
        .body_len = s->body.len,
        .peer = s->peer,
    };
    gd_http_response resp = {.status = 200};
    s->handler(s->user, &req, &resp);

    int status = resp.status;
    const char *ctype = header_value_ok(resp.content_type) ? resp.content_type : "application/json";
    const char *www = header_value_ok(resp.www_authenticate) ? resp.www_authenticate : NULL;
    size_t blen = resp.body ? (resp.body_len ? resp.body_len : strlen(resp.body)) : 0;
    int rc;
    if (status < 200 || status > 599 || (resp.body_len && !resp.body)) {
        /* A handler bug: say so rather than send something malformed. */
        gd_log(GD_LOG_ERROR, "http", NULL, "handler returned status %d (body_len %zu) for %s %s", status,
               resp.body_len, req.method, req.path);
        free(resp.body);
        free(target);
        append_error(s, 500, "internal error");
        http_parser_pause(p, 1);
        return 0;
    }
    int close = !http_should_keep_alive(p);
    rc = append_response(s, status, ctype, www, resp.body, blen, close, p->method == HTTP_HEAD);
    free(resp.body);
    free(target);
    if (rc < 0)
        return refuse_oom(s);
    if (close)
        s->done = 1;
    session_reset_request(s);
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings g_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
};

/* Parses up to len bytes; stops after one complete request (its response is
 * then in s->out) or at an error (an error response is queued and done is
 * set). Returns how many bytes were used; the rest must be fed again later. */
static size_t session_feed(gd_http_session *s, const char *data, size_t len)
{
    if (s->done)
        return len;
    if (HTTP_PARSER_ERRNO(&s->parser) == HPE_PAUSED)
        http_parser_pause(&s->parser, 0);
    size_t n = http_parser_execute(&s->parser, &g_settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&s->parser);
    if (e == HPE_PAUSED)
        return n;
    if (e != HPE_OK) {
        int status = s->err_status;
        const char *msg = s->err_msg;
        if (!status) {
            status = e == HPE_HEADER_OVERFLOW ? 431 : 400;
            msg = http_errno_description(e);
        }
        append_error(s, status, msg);
        return len;
    }
    return n;
}

static int process(const char *data, size_t len, size_t chunk, const gd_http_limits *lim,
                   gd_http_handler handler, void *user, char **out, size_t *out_len)
{
    if (!out || !out_len || !handler || (!data && len))
        return GD_EINVAL;
    *out = NULL;
    *out_len = 0;
    gd_http_session s;
    session_init(&s, lim, handler, user, "buffer");
    if (!chunk)
        chunk = len ? len : 1;
    size_t off = 0;
    while (off < len && !s.done) {
        size_t piece = len - off < chunk ? len - off : chunk;
        size_t n = session_feed(&s, data + off, piece);
        if (n == 0)
            break; /* cannot happen with http_parser; never spin */
        off += n;
    }
    if (s.oom) {
        session_free(&s);
        return GD_ENOMEM;
    }
    int status = s.last_status;
    if (!s.out.p && gd_buf_append(&s.out, "", 0) < 0) {
        session_free(&s);
        return GD_ENOMEM;
    }
    *out = s.out.p;
    *out_len = s.out.len;
    s.out.p = NULL;
    session_free(&s);
    return status;
}

int gd_http_process_buffer(const char *data, size_t len, const gd_http_limits *lim,
                           gd_http_handler handler, void *user, char **out, size_t *out_len)
{
    return process(data, len, 0, lim, handler, user, out, out_len);
}

int gd_http_process_chunks(const char *data, size_t len, size_t chunk, const gd_http_limits *lim,
                           gd_http_handler handler, void *user, char **out, size_t *out_len)
{
    return process(data, len, chunk, lim, handler, user, out, out_len);
}

/* ---- sockets ---- */

enum { CONN_READING, CONN_WRITING, CONN_LINGER, CONN_CLOSING };

typedef struct gd_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    gd_http_server *srv;
    struct gd_http_conn *prev, *next;
    gd_http_session sess;
    int state;
    int reading;
    int open_handles;            /* handles not yet closed: freed at 0 */
    char *wbuf;                  /* response in flight */
    char *pending;               /* bytes read but not parsed (after a pipelined request) */
    size_t pending_len;
    char rbuf[GD_HTTP_READ_BUF];
} gd_http_conn;

/* A connection over max_connections: told 503 and closed at once. */
typedef struct gd_http_reject {
    uv_tcp_t tcp;
    gd_http_server *srv;
} gd_http_reject;

struct gd_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    gd_http_limits lim;
    gd_http_handler handler;
    void *user;
    gd_http_conn *conns;
    unsigned nconns;
    unsigned live;               /* listener + connections + rejects not yet closed */
    int port;
    int stopping;
    int reject_logged;
    uint64_t last_reject_log;
    void (*on_closed)(void *arg);
    void *on_closed_arg;
    char name[INET6_ADDRSTRLEN + 16];
};

static void server_release(gd_http_server *s)
{
    if (--s->live > 0 || !s->stopping)
        return;
    void (*cb)(void *) = s->on_closed;
    void *arg = s->on_closed_arg;
    gd_log(GD_LOG_DEBUG, "http", NULL, "stopped listening on %s", s->name);
    free(s);
    if (cb)
        cb(arg);
}

static void conn_handle_closed(uv_handle_t *h)
{
    gd_http_conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    gd_http_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    session_free(&c->sess);
    free(c->pending);
    free(c->wbuf); /* NULL unless a write never got its callback */
    free(c);
    server_release(s);
}

static void conn_close(gd_http_conn *c)
{
    if (c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void on_timeout(uv_timer_t *t)
{
    gd_http_conn *c = t->data;
    if (c->state != CONN_LINGER)
        gd_log(GD_LOG_DEBUG, "http", NULL, "closing idle connection from %s", c->sess.peer);
    conn_close(c);
}

static void arm_timer(gd_http_conn *c, uint64_t ms)
{
    int rc = uv_timer_start(&c->timer, on_timeout, ms, 0);
    if (rc < 0) /* cannot happen for a valid timer; without it we'd never time out */
        conn_close(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    gd_http_conn *c = h->data;
    *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void start_reading(gd_http_conn *c)
{
    if (c->reading || c->state == CONN_CLOSING)
        return;
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        conn_close(c);
        return;
    }
    c->reading = 1;
}

static void stop_reading(gd_http_conn *c)
{
    if (!c->reading)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    gd_http_conn *c = req->data;
    if (status < 0 && c->state != CONN_CLOSING)
        conn_close(c);
}

static void conn_after_write(gd_http_conn *c);

static void on_write(uv_write_t *req, int status)
{
    gd_http_conn *c = req->data;
    free(c->wbuf);
    c->wbuf = NULL;
    if (c->state == CONN_CLOSING)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->state == CONN_WRITING)
        conn_after_write(c);
    /* LINGER: the shutdown queued behind this write ends the exchange. */
}

/* Sends what the session queued. */
static void conn_send(gd_http_conn *c)
{
    int close = c->sess.close_after || c->srv->stopping;
    c->wbuf = c->sess.out.p;
    uv_buf_t b = uv_buf_init(c->wbuf, (unsigned)c->sess.out.len);
    c->sess.out.p = NULL;
    c->sess.out.len = c->sess.out.cap = 0;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0) {
        free(c->wbuf);
        c->wbuf = NULL;
        conn_close(c);
        return;
    }
    if (!close) {
        /* Pause input until this answer is out: responses go in order and a
         * client that never reads cannot make us buffer without bound. */
        c->state = CONN_WRITING;
        stop_reading(c);
        arm_timer(c, c->srv->lim.idle_timeout_ms);
        return;
    }
    c->state = CONN_LINGER;
    c->sess.done = 1;
    free(c->pending);
    c->pending = NULL;
    c->pending_len = 0;
    rc = uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown);
    if (rc < 0) {
        conn_close(c);
        return;
    }
    start_reading(c);
    uint64_t linger = c->srv->lim.idle_timeout_ms < GD_HTTP_LINGER_MS ? c->srv->lim.idle_timeout_ms
                                                                       : GD_HTTP_LINGER_MS;
    arm_timer(c, linger);
}

/* Parses data; keeps what follows a complete request in pending and sends
 * the answer. */
static void conn_feed(gd_http_conn *c, const char *data, size_t len, int from_pending)
{
    size_t n = session_feed(&c->sess, data, len);
    if (c->state == CONN_CLOSING) { /* the handler stopped the server */
        c->sess.out.len = 0;
        return;
    }
    if (!c->sess.out.len) {
        if (c->sess.oom) /* not even an error response fit */
            conn_close(c);
        if (from_pending)
            c->pending_len = 0;
        return;
    }
    size_t rest = len - n;
    if (from_pending) {
        memmove(c->pending, c->pending + n, rest);
        c->pending_len = rest;
    } else if (rest) {
        char *p = malloc(rest);
        if (!p) {
            conn_close(c);
            return;
        }
        memcpy(p, data + n, rest);
        free(c->pending);
        c->pending = p;
        c->pending_len = rest;
    }
    conn_send(c);
}

static void conn_after_write(gd_http_conn *c)
{
    c->state = CONN_READING;
    arm_timer(c, c->srv->lim.idle_timeout_ms);
    if (c->pending_len)
        conn_feed(c, c->pending, c->pending_len, 1);
    if (c->state == CONN_READING)
        start_reading(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    gd_http_conn *c = st->data;
    if (c->state == CONN_CLOSING)
        return;
    if (nread < 0) {
        conn_close(c); /* EOF or error: a half-sent request gets no answer */
        return;
    }
    if (nread == 0 || c->state == CONN_LINGER)
        return;
    if (c->state != CONN_READING) { /* reading is stopped while writing */
        conn_close(c);
        return;
    }
    conn_feed(c, buf->base, (size_t)nread, 0);
}

static void format_peer(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        uv_ip4_name(a, ip, sizeof ip);
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(a, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%d", ip, ntohs(a->sin6_port));
    } else {
        snprintf(out, cap, "unknown");
    }
}

static void reject_closed(uv_handle_t *h)
{
    gd_http_reject *r = h->data;
    gd_http_server *s = r->srv;
    free(r);
    server_release(s);
}

static void reject_connection(gd_http_server *s)
{
#define GD_HTTP_BUSY_BODY "{\"error\":\"too many connections\"}"
    static const char busy[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 32\r\n"
        "Connection: close\r\nCache-Control: no-store\r\n\r\n" GD_HTTP_BUSY_BODY;
    _Static_assert(sizeof GD_HTTP_BUSY_BODY - 1 == 32, "Content-Length of the 503 body");
    gd_http_reject *r = calloc(1, sizeof *r);
    if (!r) {
        gd_log(GD_LOG_ERROR, "http", NULL, "out of memory refusing a connection on %s", s->name);
        return;
    }
    r->srv = s;
    r->tcp.data = r;
    if (s->lim.status_counts)
        s->lim.status_counts[503]++;
    if (uv_tcp_init(s->loop, &r->tcp) < 0) {
        free(r);
        return;
    }
    s->live++;
    if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&r->tcp) == 0) {
        /* Best effort and never blocking: the socket's send buffer is empty. */
        uv_buf_t b = uv_buf_init((char *)busy, sizeof busy - 1);
        (void)uv_try_write((uv_stream_t *)&r->tcp, &b, 1);
    }
    /* At most one line a second: a flood must not flood the log too. */
    uint64_t now = uv_now(s->loop);
    if (!s->reject_logged || now - s->last_reject_log >= 1000) {
        gd_log(GD_LOG_WARN, "http", NULL, "refused a connection on %s: %u connections open", s->name,
               s->nconns);
        s->reject_logged = 1;
        s->last_reject_log = now;
    }
    uv_close((uv_handle_t *)&r->tcp, reject_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
    gd_http_server *s = server->data;
    if (status < 0) {
        gd_log(GD_LOG_WARN, "http", NULL, "accept on %s failed: %s", s->name, uv_strerror(status));
        return;
    }
    if (s->stopping)
        return;
    if (s->nconns >= s->lim.max_connections) {
        reject_connection(s);
        return;
    }
    gd_http_conn *c = malloc(sizeof *c);
    if (!c) {
        reject_connection(s);
        return;
    }
    memset(c, 0, offsetof(gd_http_conn, rbuf));
    c->srv = s;
    c->tcp.data = c;
    c->timer.data = c;
    c->wreq.data = c;
    c->sreq.data = c;
    c->state = CONN_READING;
    if (uv_tcp_init(s->loop, &c->tcp) < 0) {
        free(c);
        reject_connection(s);
        return;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->live++;
    session_init(&c->sess, &s->lim, s->handler, s->user, "unknown");
    c->open_handles = 1;
    int trc = uv_timer_init(s->loop, &c->timer);
    if (trc == 0)
        c->open_handles = 2;
    /* Accept even when the timer failed: an unaccepted connection would
     * stop libuv from accepting any other. */
    int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (trc < 0 || rc < 0) {
        gd_log(GD_LOG_WARN, "http", NULL, "accept on %s failed: %s", s->name, uv_strerror(rc < 0 ? rc : trc));
        c->state = CONN_CLOSING;
        if (trc == 0)
            uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
        uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
        return;
    }
    struct sockaddr_storage ss;
    int sl = (int)sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0)
        format_peer(&ss, c->sess.peer, sizeof c->sess.peer);
    (void)uv_tcp_nodelay(&c->tcp, 1); /* small answers: don't wait for Nagle */
    arm_timer(c, s->lim.idle_timeout_ms);
    start_reading(c);
}

/* Resolves host (numeric IPv4/IPv6, with or without [], or a name) to an
 * address with port. */
static int resolve_addr(uv_loop_t *loop, const char *host, int port, struct sockaddr_storage *ss,
                        gd_err *err)
{
    char h[256];
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        if (hl - 2 >= sizeof h)
            return gd_err_set(err, GD_EINVAL, "http: bad listen host '%s'", host);
        memcpy(h, host + 1, hl - 2);
        h[hl - 2] = '\0';
    } else {
        if (hl >= sizeof h)
            return gd_err_set(err, GD_EINVAL, "http: bad listen host '%s'", host);
        memcpy(h, host, hl + 1);
    }
    memset(ss, 0, sizeof *ss);
    if (uv_ip4_addr(h, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(h, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    uv_getaddrinfo_t req;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = uv_getaddrinfo(loop, &req, NULL, h, NULL, &hints); /* NULL cb: synchronous */
    if (rc < 0)
        return gd_err_set(err, GD_EINVAL, "http: cannot resolve listen host '%s': %s", host,
                          uv_strerror(rc));
    rc = -1;
    for (const struct addrinfo *ai = req.addrinfo; ai; ai = ai->ai_next) {
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) && ai->ai_addrlen <= sizeof *ss) {
            memcpy(ss, ai->ai_addr, ai->ai_addrlen);
            if (ai->ai_family == AF_INET)
                ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
            else
                ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
            rc = 0;
            break;
        }
    }
    uv_freeaddrinfo(req.addrinfo);
    if (rc < 0)
        return gd_err_set(err, GD_EINVAL, "http: no IPv4 or IPv6 address for listen host '%s'", host);
    return 0;
}

int gd_http_start(uv_loop_t *loop, const char *host, int port, const gd_http_limits *lim,
                  gd_http_handler handler, void *user, gd_http_server **out, gd_err *err)
{
    int fd = -1;
    gd_http_server *s = NULL;
    if (!loop || !host || !handler || !out || port < 0 || port > 65535)
        return gd_err_set(err, GD_EINVAL, "http: bad arguments to gd_http_start");
    *out = NULL;
    struct sockaddr_storage ss;
    int rc = resolve_addr(loop, host, port, &ss, err);
    if (rc < 0)
        return rc;
    char shown[INET6_ADDRSTRLEN + 16];
    format_peer(&ss, shown, sizeof shown);

    /* A process writing to sockets must not die of SIGPIPE when a client
     * goes away mid-response; libuv's writes do not suppress it. Only the
     * default disposition is changed, never a handler someone installed. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        (void)sigaction(SIGPIPE, &sa, NULL);
    }

    /* Bind and listen with plain sockets first: a bind error (EADDRINUSE)
     * is then reported here, synchronously, with nothing to close on the
     * loop. libuv takes the listening socket over below. */
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        rc = gd_err_set(err, GD_EIO, "http: cannot create a socket for %s: %s", shown, strerror(errno));
        goto fail;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        rc = gd_err_set(err, GD_EIO, "http: setsockopt on %s: %s", shown, strerror(errno));
        goto fail;
    }
    socklen_t alen = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (bind(fd, (struct sockaddr *)&ss, alen) < 0) {
        int e = errno;
        rc = gd_err_set(err, e == EADDRINUSE ? GD_EEXIST : GD_EIO, "http: cannot listen on %s: %s%s", shown,
                        strerror(e), e == EADDRINUSE ? " (another process is using the port)" : "");
        goto fail;
    }
    if (listen(fd, GD_HTTP_BACKLOG) < 0) {
        int e = errno;
        rc = gd_err_set(err, e == EADDRINUSE ? GD_EEXIST : GD_EIO, "http: cannot listen on %s: %s", shown,
                        strerror(e));
        goto fail;
    }
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &bl) < 0) {
        rc = gd_err_set(err, GD_EIO, "http: getsockname on %s: %s", shown, strerror(errno));
        goto fail;
    }

    s = calloc(1, sizeof *s);
    if (!s) {
        rc = gd_err_set(err, GD_ENOMEM, "http: out of memory");
        goto fail;
    }
    s->loop = loop;
    resolve_limits(&s->lim, lim);
    s->handler = handler;
    s->user = user;
    s->port = bound.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&bound)->sin_port)
                                         : ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    format_peer(&bound, s->name, sizeof s->name);
    s->listener.data = s;
    rc = uv_tcp_init(loop, &s->listener);
    if (rc < 0) {
        rc = gd_err_set(err, GD_EIO, "http: cannot listen on %s: %s", shown, uv_strerror(rc));
        goto fail;
    }
    s->live = 1;
    rc = uv_tcp_open(&s->listener, fd);
    if (rc == 0) {
        fd = -1; /* the handle owns it now */
        rc = uv_listen((uv_stream_t *)&s->listener, GD_HTTP_BACKLOG, on_connection);
    }
    if (rc < 0) {
        /* Only here is a loop turn needed to free the server: the handle is
         * registered. Practically unreachable after listen(2) succeeded. */
        int code = gd_err_set(err, GD_EIO, "http: cannot listen on %s: %s", shown, uv_strerror(rc));
        if (fd >= 0)
            close(fd);
        gd_http_stop(s, NULL, NULL);
        return code;
    }
    gd_log(GD_LOG_DEBUG, "http", NULL, "listening on %s", s->name);
    *out = s;
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    free(s);
    return rc;
}

int gd_http_port(const gd_http_server *s)
{
    return s ? s->port : -1;
}

static void listener_closed(uv_handle_t *h)
{
    server_release(h->data);
}

void gd_http_stop(gd_http_server *s, void (*on_closed)(void *arg), void *arg)
{
    if (!s || s->stopping)
        return;
    s->stopping = 1;
    s->on_closed = on_closed;
    s->on_closed_arg = arg;
    uv_close((uv_handle_t *)&s->listener, listener_closed);
    for (gd_http_conn *c = s->conns; c; c = c->next)
        conn_close(c);
}
