/* The operator HTTP server: libuv TCP handles around the request session
 * (http_session.c), which parses and answers.
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
 *   CLOSING  uv_close called on both handles; freed in the last close cb.
 * A libuv call failing on a connection closes that connection (logged); one
 * failing while starting the server is an error returned to the caller. */
#include "daemon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/http_int.h"
#include "base/log.h"

#define GD_HTTP_LINGER_MS 2000u   /* at most this long draining before close */
#define GD_HTTP_READ_BUF 16384u   /* one read; bounds the pipelined backlog */
#define GD_HTTP_BACKLOG 128

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
    gd_http_session_free(&c->sess);
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

/* A libuv call failed on c: the exchange cannot go on, so say why and close. */
static void conn_fail(gd_http_conn *c, const char *what, int uverr)
{
    gd_log(GD_LOG_WARN, "http", NULL, "closing the connection from %s: %s: %s", c->sess.peer, what,
           uv_strerror(uverr));
    conn_close(c);
}

static void arm_timer(gd_http_conn *c, uint64_t ms)
{
    int rc = uv_timer_start(&c->timer, on_timeout, ms, 0);
    if (rc < 0) /* cannot happen for a valid timer; without it we'd never time out */
        conn_fail(c, "uv_timer_start", rc);
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
        conn_fail(c, "uv_read_start", rc);
        return;
    }
    c->reading = 1;
}

static void stop_reading(gd_http_conn *c)
{
    if (!c->reading)
        return;
    (void)uv_read_stop((uv_stream_t *)&c->tcp); /* always 0 */
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
        conn_fail(c, "uv_write", rc);
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
        conn_fail(c, "uv_shutdown", rc);
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
    size_t n = gd_http_session_feed(&c->sess, data, len);
    if (c->state == CONN_CLOSING) { /* the handler stopped the server */
        c->sess.out.len = 0;
        return;
    }
    if (!c->sess.out.len) {
        if (c->sess.oom) { /* not even an error response fit */
            gd_log(GD_LOG_WARN, "http", NULL, "closing the connection from %s: out of memory", c->sess.peer);
            conn_close(c);
        }
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
            gd_log(GD_LOG_WARN, "http", NULL, "closing the connection from %s: out of memory", c->sess.peer);
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
    char ip[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        if (uv_ip4_name(a, ip, sizeof ip) != 0)
            snprintf(ip, sizeof ip, "?"); /* only for logs: a name is not worth failing over */
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        if (uv_ip6_name(a, ip, sizeof ip) != 0)
            snprintf(ip, sizeof ip, "?");
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
    int rc = uv_tcp_init(s->loop, &r->tcp);
    if (rc < 0) {
        gd_log(GD_LOG_ERROR, "http", NULL, "refusing a connection on %s: uv_tcp_init: %s", s->name,
               uv_strerror(rc));
        free(r);
        return;
    }
    s->live++;
    rc = uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&r->tcp);
    if (rc == 0) {
        /* Best effort and never blocking: the socket's send buffer is empty. */
        uv_buf_t b = uv_buf_init((char *)busy, sizeof busy - 1);
        (void)uv_try_write((uv_stream_t *)&r->tcp, &b, 1);
    } else {
        gd_log(GD_LOG_WARN, "http", NULL, "accept on %s failed: %s", s->name, uv_strerror(rc));
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

/* A connection with its TCP handle initialised, on the server's list; NULL
 * when out of memory or uv_tcp_init failed (logged). */
static gd_http_conn *conn_new(gd_http_server *s)
{
    gd_http_conn *c = malloc(sizeof *c);
    if (!c) {
        gd_log(GD_LOG_ERROR, "http", NULL, "out of memory for a connection on %s", s->name);
        return NULL;
    }
    memset(c, 0, offsetof(gd_http_conn, rbuf));
    c->srv = s;
    c->tcp.data = c;
    c->timer.data = c;
    c->wreq.data = c;
    c->sreq.data = c;
    c->state = CONN_READING;
    int rc = uv_tcp_init(s->loop, &c->tcp);
    if (rc < 0) {
        gd_log(GD_LOG_ERROR, "http", NULL, "new connection on %s: uv_tcp_init: %s", s->name, uv_strerror(rc));
        free(c);
        return NULL;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->live++;
    gd_http_session_init(&c->sess, &s->lim, s->handler, s->user, "unknown");
    c->open_handles = 1;
    return c;
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
    gd_http_conn *c = s->nconns < s->lim.max_connections ? conn_new(s) : NULL;
    if (!c) {
        reject_connection(s);
        return;
    }
    int trc = uv_timer_init(s->loop, &c->timer);
    if (trc == 0)
        c->open_handles = 2;
    else
        gd_log(GD_LOG_ERROR, "http", NULL, "new connection on %s: uv_timer_init: %s", s->name, uv_strerror(trc));
    /* Accept even when the timer failed: an unaccepted connection would
     * stop libuv from accepting any other. */
    int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (trc < 0 || rc < 0) {
        if (rc < 0)
            gd_log(GD_LOG_WARN, "http", NULL, "accept on %s failed: %s", s->name, uv_strerror(rc));
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
    (void)uv_tcp_nodelay(&c->tcp, 1); /* small answers: don't wait for Nagle; optional */
    arm_timer(c, s->lim.idle_timeout_ms);
    start_reading(c);
}

/* ---- starting and stopping ---- */

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
    int found = 0;
    for (const struct addrinfo *ai = req.addrinfo; ai && !found; ai = ai->ai_next) {
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) && ai->ai_addrlen <= sizeof *ss) {
            memcpy(ss, ai->ai_addr, ai->ai_addrlen);
            if (ai->ai_family == AF_INET)
                ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
            else
                ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
            found = 1;
        }
    }
    uv_freeaddrinfo(req.addrinfo);
    if (!found)
        return gd_err_set(err, GD_EINVAL, "http: no IPv4 or IPv6 address for listen host '%s'", host);
    return 0;
}

/* A process writing to sockets must not die of SIGPIPE when a client goes
 * away mid-response; libuv's writes do not suppress it. Only the default
 * disposition is changed, never a handler someone installed. */
static void ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        (void)sigaction(SIGPIPE, &sa, NULL); /* best effort: then a write to a gone peer kills us */
    }
}

/* Binds and listens with plain sockets: a bind error (EADDRINUSE) is then
 * reported here, synchronously, with nothing to close on the loop. *fd_out
 * is the listening socket, *bound its address (port 0 resolved). */
static int listen_socket(const struct sockaddr_storage *ss, const char *shown, int *fd_out,
                         struct sockaddr_storage *bound, gd_err *err)
{
    int rc, one = 1;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "http: cannot create a socket for %s: %s", shown, strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        rc = gd_err_set(err, GD_EIO, "http: setsockopt on %s: %s", shown, strerror(errno));
        goto fail;
    }
    socklen_t alen = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (bind(fd, (const struct sockaddr *)ss, alen) < 0) {
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
    socklen_t bl = sizeof *bound;
    if (getsockname(fd, (struct sockaddr *)bound, &bl) < 0) {
        rc = gd_err_set(err, GD_EIO, "http: getsockname on %s: %s", shown, strerror(errno));
        goto fail;
    }
    *fd_out = fd;
    return 0;

fail:
    close(fd);
    return rc;
}

static gd_http_server *server_new(uv_loop_t *loop, const struct sockaddr_storage *bound,
                                  const gd_http_limits *lim, gd_http_handler handler, void *user)
{
    gd_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->loop = loop;
    gd_http_resolve_limits(&s->lim, lim);
    s->handler = handler;
    s->user = user;
    s->port = bound->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)bound)->sin_port)
                                          : ntohs(((const struct sockaddr_in6 *)bound)->sin6_port);
    format_peer(bound, s->name, sizeof s->name);
    s->listener.data = s;
    return s;
}

int gd_http_start(uv_loop_t *loop, const char *host, int port, const gd_http_limits *lim,
                  gd_http_handler handler, void *user, gd_http_server **out, gd_err *err)
{
    int fd = -1;
    gd_http_server *s = NULL;
    struct sockaddr_storage ss, bound;
    char shown[INET6_ADDRSTRLEN + 16];

    if (!loop || !host || !handler || !out || port < 0 || port > 65535)
        return gd_err_set(err, GD_EINVAL, "http: bad arguments to gd_http_start");
    *out = NULL;
    int rc = resolve_addr(loop, host, port, &ss, err);
    if (rc < 0)
        return rc;
    format_peer(&ss, shown, sizeof shown);
    ignore_sigpipe();
    rc = listen_socket(&ss, shown, &fd, &bound, err);
    if (rc < 0)
        return rc;
    s = server_new(loop, &bound, lim, handler, user);
    if (!s) {
        rc = gd_err_set(err, GD_ENOMEM, "http: out of memory");
        goto fail;
    }
    rc = uv_tcp_init(loop, &s->listener);
    if (rc < 0) {
        rc = gd_err_set(err, GD_EIO, "http: cannot listen on %s: uv_tcp_init: %s", shown, uv_strerror(rc));
        goto fail;
    }
    /* libuv takes the listening socket over. */
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
    close(fd);
    free(s);
    return rc;
}

int gd_http_port(const gd_http_server *s)
{
    return s ? s->port : 0;
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
