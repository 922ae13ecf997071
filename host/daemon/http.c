/* The operator HTTP server: libuv TCP handles around the request session
 * (http_session.c), which parses and answers. Admission (who gets a slot
 * when the server is full) is described in http.h.
 *
 * A connection is a small state machine:
 *   NEW      accepted, not yet admitted;
 *   READING  parsing requests. Its timer is a deadline, never pushed back by
 *            each byte (so a client that trickles a header is closed on
 *            time): header_timeout_ms for a header (from accept, or from a
 *            kept-alive request's first byte), idle_timeout_ms between
 *            requests and for a body;
 *   WRITING  a keep-alive response is in flight; reading is paused so
 *            pipelined requests wait, in order, in `pending`;
 *   LINGER   the last response (an error, Connection: close, or the 503 of
 *            a refused connection) is queued, the write side is shut down
 *            and input is drained and dropped until EOF or a short timer,
 *            so the kernel does not reset the connection (and lose our
 *            response) over unread input. It no longer holds a slot;
 *   CLOSING  uv_close called on both handles; freed in the last close cb.
 * READING and WRITING connections are the ones max_connections counts.
 * The server's list keeps every connection in the order it began to wait
 * for its current request (accepted, or its last response sent): the head
 * is the first to go when a newer one needs the slot.
 * A libuv call failing on a connection closes that connection (logged); one
 * failing while starting the server is an error returned to the caller. */
#include "daemon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
/* Deep enough that a few thousand reconnecting attackers do not fill the
 * accept queue (the kernel then drops SYNs, and the operator's connect
 * waits a 1 s retransmission); the kernel caps it at net.core.somaxconn
 * (4096 by default since Linux 5.4). */
#define GD_HTTP_BACKLOG 4096
#define GD_HTTP_PEER_KEY 9        /* family, then an IPv4 address or an IPv6 /64 */
/* Accepts in one loop turn. libuv accepts for as long as the kernel queue
 * is not empty, and an attacker reconnecting as fast as we close its
 * connections keeps it so: without a bound the loop never turns, so no
 * timer fires, no other connection is read and no closed one is freed. */
#define GD_HTTP_ACCEPT_BURST 16u

enum { CONN_NEW, CONN_READING, CONN_WRITING, CONN_LINGER, CONN_STREAM, CONN_CLOSING };
/* A stream's heartbeat (an SSE comment), and how far behind a client may fall. */
#define GD_HTTP_STREAM_PING_MS 15000u
#define GD_HTTP_STREAM_MAX_QUEUE ((size_t)1 << 20)
/* Where the current request stands, for the timer. */
enum { PH_IDLE, PH_HEADER, PH_BODY };

typedef struct gd_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    gd_http_server *srv;
    struct gd_http_conn *prev, *next;
    gd_http_session sess;
    int state;
    int phase;
    int reading;
    int open_handles;            /* handles not yet closed: freed at 0 */
    unsigned char peer_key[GD_HTTP_PEER_KEY];
    char *wbuf;                  /* response in flight */
    char *pending;               /* bytes read but not parsed (after a pipelined request) */
    size_t pending_len;
    char rbuf[GD_HTTP_READ_BUF];
} gd_http_conn;

/* A connection accepted only to be closed: out of memory for a real one. */
typedef struct gd_http_drop {
    uv_tcp_t tcp;
    gd_http_server *srv;
} gd_http_drop;

struct gd_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_idle_t resume;            /* accepts again on the next turn after a burst */
    int has_resume;              /* resume is initialised */
    uint64_t burst_tick;         /* uv_now of the current burst */
    unsigned burst;              /* accepts in it */
    gd_http_limits lim;
    gd_http_hosts hosts;
    gd_http_handler handler;
    void *user;
    gd_http_conn *head, *tail;   /* longest waiting first (see above) */
    unsigned nconns;             /* allocated, closing ones included */
    unsigned nactive;            /* READING or WRITING: at most max_connections */
    unsigned nlinger;            /* LINGER: at most max_connections too */
    unsigned nstreams;           /* STREAM */
    unsigned live;               /* listener, resume, connections and drops not yet closed */
    int port;
    int stopping;
    /* At capacity: counts for the next log line, at most one a second. */
    unsigned evicted, refused;
    int full_logged;
    uint64_t last_full_log;
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
    gd_http_hosts_free(&s->hosts);
    free(s);
    if (cb)
        cb(arg);
}

/* ---- the list, oldest waiting first ---- */

static void list_unlink(gd_http_server *s, gd_http_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->tail = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(gd_http_server *s, gd_http_conn *c)
{
    c->prev = s->tail;
    c->next = NULL;
    if (s->tail)
        s->tail->next = c;
    else
        s->head = c;
    s->tail = c;
}

static int holds_slot(int state)
{
    return state == CONN_READING || state == CONN_WRITING;
}

static void conn_close(gd_http_conn *c);

/* Every state change goes through here: it keeps the server's counts. */
static void conn_set_state(gd_http_conn *c, int state)
{
    gd_http_server *s = c->srv;
    if (holds_slot(c->state) && !holds_slot(state))
        s->nactive--;
    else if (!holds_slot(c->state) && holds_slot(state))
        s->nactive++;
    int was_linger = c->state == CONN_LINGER;
    if (c->state == CONN_STREAM && state != CONN_STREAM)
        s->nstreams--;
    else if (c->state != CONN_STREAM && state == CONN_STREAM)
        s->nstreams++;
    c->state = state;
    if (was_linger && state != CONN_LINGER)
        s->nlinger--;
    if (was_linger || state != CONN_LINGER)
        return;
    if (++s->nlinger <= s->lim.max_connections)
        return;
    /* Too many answered connections draining: the oldest has had its time. */
    for (gd_http_conn *o = s->head; o; o = o->next) {
        if (o != c && o->state == CONN_LINGER) {
            conn_close(o);
            return;
        }
    }
}

static void conn_handle_closed(uv_handle_t *h)
{
    gd_http_conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    gd_http_server *s = c->srv;
    list_unlink(s, c);
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
    conn_set_state(c, CONN_CLOSING);
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void stream_write(gd_http_conn *c, const char *data, size_t len);

static void on_timeout(uv_timer_t *t)
{
    gd_http_conn *c = t->data;
    if (c->state == CONN_STREAM) {
        stream_write(c, ": ping\n\n", 8); /* keeps proxies and the client's own timers from closing it */
        return;
    }
    if (c->state == CONN_READING && c->phase == PH_HEADER)
        gd_log(GD_LOG_DEBUG, "http", NULL, "closing the connection from %s: no complete request header in %llu ms",
               c->sess.peer, (unsigned long long)c->srv->lim.header_timeout_ms);
    else if (c->state != CONN_LINGER)
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

typedef struct stream_req {
    uv_write_t req;
    gd_http_conn *c;
    char data[];
} stream_req;

static void on_stream_write(uv_write_t *req, int status)
{
    stream_req *w = (stream_req *)req;
    gd_http_conn *c = w->c;
    free(w);
    if (status < 0 && c->state != CONN_CLOSING)
        conn_close(c);
}

/* Queues data on a stream; a client too far behind is closed. */
static void stream_write(gd_http_conn *c, const char *data, size_t len)
{
    if (c->state != CONN_STREAM)
        return;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > GD_HTTP_STREAM_MAX_QUEUE) {
        gd_log(GD_LOG_WARN, "http", NULL, "closing the event stream to %s: it is not reading", c->sess.peer);
        conn_close(c);
        return;
    }
    stream_req *w = malloc(sizeof *w + len);
    if (!w) {
        conn_close(c);
        return;
    }
    w->c = c;
    memcpy(w->data, data, len);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_stream_write);
    if (rc < 0) {
        free(w);
        conn_fail(c, "uv_write", rc);
    }
}

void gd_http_broadcast(gd_http_server *s, const char *data, size_t len)
{
    if (!s || s->stopping)
        return;
    for (gd_http_conn *c = s->head, *next; c; c = next) {
        next = c->next;
        if (c->state == CONN_STREAM)
            stream_write(c, data, len);
    }
}

void gd_http_close_streams(gd_http_server *s, uint64_t key)
{
    if (!s)
        return;
    for (gd_http_conn *c = s->head; c; c = c->next)
        if (c->state == CONN_STREAM && (key == 0 || c->sess.stream_key == key))
            conn_close(c);
}

unsigned gd_http_stream_count(const gd_http_server *s) { return s ? s->nstreams : 0; }

/* Sends what the session queued. */
static void conn_send(gd_http_conn *c)
{
    if (c->sess.streaming && !c->srv->stopping) {
        /* The stream's head: the connection is the stream's from now on,
         * out of the request slots, read only to see it close. */
        char *head = c->sess.out.p;
        size_t n = c->sess.out.len;
        conn_set_state(c, CONN_STREAM);
        stream_write(c, head, n);
        free(head);
        c->sess.out.p = NULL;
        c->sess.out.len = c->sess.out.cap = 0;
        free(c->pending);
        c->pending = NULL;
        c->pending_len = 0;
        if (c->state != CONN_STREAM)
            return;
        uv_timer_start(&c->timer, on_timeout, GD_HTTP_STREAM_PING_MS, GD_HTTP_STREAM_PING_MS);
        start_reading(c);
        return;
    }
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
        conn_set_state(c, CONN_WRITING);
        stop_reading(c);
        arm_timer(c, c->srv->lim.idle_timeout_ms);
        return;
    }
    conn_set_state(c, CONN_LINGER);
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

/* After input that completed no request: a request that has begun gets the
 * header deadline (from its first byte), a complete header the body's. */
static void conn_track_phase(gd_http_conn *c)
{
    int ph = !c->sess.in_message ? PH_IDLE : !c->sess.headers_done ? PH_HEADER : PH_BODY;
    if (ph == c->phase || ph == PH_IDLE)
        return;
    if (ph == PH_BODY)
        arm_timer(c, c->srv->lim.idle_timeout_ms);
    else if (c->phase == PH_IDLE)
        arm_timer(c, c->srv->lim.header_timeout_ms);
    c->phase = ph;
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
            return;
        }
        if (from_pending)
            c->pending_len = 0;
        conn_track_phase(c);
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
    gd_http_server *s = c->srv;
    conn_set_state(c, CONN_READING);
    /* It waits for a new request from now: the back of the queue. */
    list_unlink(s, c);
    list_append(s, c);
    c->phase = PH_IDLE;
    arm_timer(c, s->lim.idle_timeout_ms);
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
    if (nread == 0 || c->state == CONN_LINGER || c->state == CONN_STREAM)
        return; /* a stream's client has nothing more to say */
    if (c->state != CONN_READING) { /* reading is stopped while writing */
        conn_close(c);
        return;
    }
    conn_feed(c, buf->base, (size_t)nread, 0);
}

/* Reads what a just-accepted connection has already sent, at once: an
 * operator's request is usually all there, and is answered before the next
 * connection in the accept queue can take its slot. Never blocks. */
static void read_now(gd_http_conn *c)
{
    uv_os_fd_t fd;
    ssize_t n;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) != 0)
        return; /* the read callback will do */
    do
        n = recv(fd, c->rbuf, sizeof c->rbuf, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        conn_close(c); /* gone before saying anything */
    else if (n > 0)
        conn_feed(c, c->rbuf, (size_t)n, 0);
    /* n < 0: nothing yet (EAGAIN), or an error the read callback will see */
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

/* Who counts as one peer for max_connections_per_peer: an IPv4 address (an
 * IPv4-mapped IPv6 one too) or an IPv6 /64, what one host usually has. */
static void peer_key(const struct sockaddr_storage *ss, unsigned char key[GD_HTTP_PEER_KEY])
{
    memset(key, 0, GD_HTTP_PEER_KEY);
    if (ss->ss_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            key[0] = 4;
            memcpy(key + 1, a->s6_addr + 12, 4);
        } else {
            key[0] = 6;
            memcpy(key + 1, a->s6_addr, 8);
        }
    }
}

/* ---- admission (http.h) ---- */

static void log_full(gd_http_server *s)
{
    if (!s->evicted && !s->refused)
        return;
    gd_log(GD_LOG_WARN, "http", NULL,
           "%s is full (%u connections, at most %u, %u per address): closed %u waiting for a request to admit "
           "newer ones, refused %u with 503",
           s->name, s->nactive, s->lim.max_connections, s->lim.max_connections_per_peer, s->evicted, s->refused);
    s->evicted = s->refused = 0;
    s->full_logged = 1;
    s->last_full_log = uv_now(s->loop);
}

/* At most one line a second: a flood must not flood the log too. */
static void note_full(gd_http_server *s, int refused)
{
    if (refused)
        s->refused++;
    else
        s->evicted++;
    if (!s->full_logged || uv_now(s->loop) - s->last_full_log >= 1000)
        log_full(s);
}

/* Frees one slot (of peer key, unless NULL) by closing the connection
 * that has waited longest for a complete request: READING, and not an
 * operator's request in progress. It first gets a last non-blocking read,
 * so a request that has arrived whole (one accepted a moment ago, its bytes
 * not yet seen by the loop) is answered instead. 0, or -1 when no slot can
 * be freed. */
static int make_room(gd_http_server *s, const unsigned char *key)
{
    for (gd_http_conn *o = s->head, *next; o; o = next) {
        next = o->next; /* closing never unlinks before the next loop turn */
        if (o->state != CONN_READING || o->sess.is_operator ||
            (key && memcmp(o->peer_key, key, GD_HTTP_PEER_KEY) != 0))
            continue;
        read_now(o);
        if (!holds_slot(o->state))
            return 0; /* answered and closing, or gone */
        if (o->state != CONN_READING || o->sess.is_operator)
            continue; /* answered, or now the operator's: it keeps its slot */
        conn_close(o);
        note_full(s, 0);
        return 0;
    }
    return -1;
}

static unsigned peer_count(const gd_http_server *s, const unsigned char *key)
{
    unsigned n = 0;
    for (const gd_http_conn *o = s->head; o; o = o->next)
        n += holds_slot(o->state) && memcmp(o->peer_key, key, GD_HTTP_PEER_KEY) == 0;
    return n;
}

/* Makes room for c (NEW) and admits it: 0, or -1 when every slot it could
 * take is held by a connection that must not be closed. */
static int admit(gd_http_server *s, gd_http_conn *c)
{
    unsigned per = s->lim.max_connections_per_peer;
    if (per && per < s->lim.max_connections && peer_count(s, c->peer_key) >= per && make_room(s, c->peer_key))
        return -1;
    if (s->nactive >= s->lim.max_connections && make_room(s, NULL))
        return -1;
    if (c->state == CONN_NEW) /* not closed by a handler that stopped the server */
        conn_set_state(c, CONN_READING);
    return 0;
}

/* No slot for c: a real answer, then the linger that keeps the kernel from
 * resetting the connection over the request we never read. */
static void refuse(gd_http_conn *c)
{
#define GD_HTTP_BUSY_BODY "{\"error\":\"too many connections\"}"
    static const char busy[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 32\r\n"
        "Retry-After: 1\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" GD_HTTP_BUSY_BODY;
    _Static_assert(sizeof GD_HTTP_BUSY_BODY - 1 == 32, "Content-Length of the 503 body");
    gd_http_server *s = c->srv;
    note_full(s, 1);
    if (gd_buf_append(&c->sess.out, busy, sizeof busy - 1) < 0) {
        conn_close(c);
        return;
    }
    if (s->lim.status_counts)
        s->lim.status_counts[503]++;
    c->sess.close_after = 1;
    conn_send(c);
}

static void drop_closed(uv_handle_t *h)
{
    gd_http_drop *d = h->data;
    gd_http_server *s = d->srv;
    free(d);
    server_release(s);
}

/* Out of memory for a connection: accept it anyway (libuv accepts no other
 * until this one is) and close it. */
static void drop_connection(gd_http_server *s)
{
    gd_http_drop *d = calloc(1, sizeof *d);
    if (!d) {
        gd_log(GD_LOG_ERROR, "http", NULL, "out of memory refusing a connection on %s", s->name);
        return;
    }
    d->srv = s;
    d->tcp.data = d;
    int rc = uv_tcp_init(s->loop, &d->tcp);
    if (rc < 0) {
        gd_log(GD_LOG_ERROR, "http", NULL, "refusing a connection on %s: uv_tcp_init: %s", s->name,
               uv_strerror(rc));
        free(d);
        return;
    }
    s->live++;
    rc = uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&d->tcp);
    if (rc < 0)
        gd_log(GD_LOG_WARN, "http", NULL, "accept on %s failed: %s", s->name, uv_strerror(rc));
    uv_close((uv_handle_t *)&d->tcp, drop_closed);
}

/* A connection with its TCP handle initialised, at the back of the
 * server's list, NEW; NULL when out of memory or uv_tcp_init failed (logged). */
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
    c->state = CONN_NEW;
    c->phase = PH_HEADER; /* the first header's deadline runs from accept */
    int rc = uv_tcp_init(s->loop, &c->tcp);
    if (rc < 0) {
        gd_log(GD_LOG_ERROR, "http", NULL, "new connection on %s: uv_tcp_init: %s", s->name, uv_strerror(rc));
        free(c);
        return NULL;
    }
    list_append(s, c);
    s->nconns++;
    s->live++;
    gd_http_session_init(&c->sess, &s->lim, &s->hosts, s->handler, s->user, "unknown");
    c->open_handles = 1;
    return c;
}

/* Takes the connection libuv holds for us and admits, refuses or drops it. */
static void accept_one(gd_http_server *s)
{
    uv_stream_t *server = (uv_stream_t *)&s->listener;
    s->burst++;
    gd_http_conn *c = conn_new(s);
    if (!c) {
        drop_connection(s);
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
        c->state = CONN_CLOSING; /* NEW held no count */
        if (trc == 0)
            uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
        uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
        return;
    }
    struct sockaddr_storage ss;
    int sl = (int)sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        format_peer(&ss, c->sess.peer, sizeof c->sess.peer);
        peer_key(&ss, c->peer_key);
    }
    (void)uv_tcp_nodelay(&c->tcp, 1); /* small answers: don't wait for Nagle; optional */
    if (admit(s, c) != 0) {
        refuse(c);
        return;
    }
    if (c->state != CONN_READING)
        return;
    arm_timer(c, s->lim.header_timeout_ms);
    read_now(c);
    if (c->state == CONN_READING)
        start_reading(c);
}

static void on_resume(uv_idle_t *h)
{
    gd_http_server *s = h->data;
    (void)uv_idle_stop(h); /* always 0 */
    s->burst = 0;
    s->burst_tick = uv_now(s->loop);
    if (!s->stopping)
        accept_one(s); /* the one held back; this also polls the listener again */
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
    /* uv_now stands still while libuv keeps calling us within one turn. */
    if (uv_now(s->loop) != s->burst_tick) {
        s->burst_tick = uv_now(s->loop);
        s->burst = 0;
    }
    if (s->burst < GD_HTTP_ACCEPT_BURST) {
        accept_one(s);
        return;
    }
    /* Not accepted: libuv keeps it and stops polling the listener, and the
     * idle handle (which also keeps the next poll from blocking) takes it
     * on the next turn: the rest of this turn's I/O and the next turn's
     * timers come first. */
    int rc = uv_idle_start(&s->resume, on_resume);
    if (rc < 0) { /* cannot happen for an initialised handle; never stall */
        gd_log(GD_LOG_WARN, "http", NULL, "uv_idle_start on %s: %s", s->name, uv_strerror(rc));
        accept_one(s);
    }
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
 * is the listening socket, *bound its address (port 0 resolved).
 * defer_s: TCP_DEFER_ACCEPT (see gd_http_start). */
static int listen_socket(const struct sockaddr_storage *ss, const char *shown, int defer_s, int *fd_out,
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
#ifdef TCP_DEFER_ACCEPT
    /* Optional, Linux: without it only a silent connection could be evicted
     * before its request is seen, which the last read in make_room narrows. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof defer_s) < 0)
        gd_log(GD_LOG_DEBUG, "http", NULL, "TCP_DEFER_ACCEPT on %s: %s", shown, strerror(errno));
#else
    (void)defer_s;
#endif
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
    s->resume.data = s;
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
    /* The kernel hands over a connection once its first bytes are in, so an
     * operator's request is whole when accepted, answered at once and never
     * evicted unseen, and connections that say nothing take no slot until
     * they would time out anyway (then they are accepted and closed). */
    gd_http_limits res;
    gd_http_resolve_limits(&res, lim);
    rc = listen_socket(&ss, shown, (int)((res.header_timeout_ms + 999) / 1000), &fd, &bound, err);
    if (rc < 0)
        return rc;
    s = server_new(loop, &bound, lim, handler, user);
    if (!s) {
        rc = gd_err_set(err, GD_ENOMEM, "http: out of memory");
        goto fail;
    }
    rc = gd_http_hosts_init(&s->hosts, host, s->port, s->lim.allowed_hosts, err);
    s->lim.allowed_hosts = NULL; /* borrowed; the list above is what counts */
    if (rc < 0)
        goto fail;
    rc = uv_tcp_init(loop, &s->listener);
    if (rc < 0) {
        rc = gd_err_set(err, GD_EIO, "http: cannot listen on %s: uv_tcp_init: %s", shown, uv_strerror(rc));
        goto fail;
    }
    /* From here a loop turn is needed to free the server: handles are registered. */
    s->live = 1;
    rc = uv_idle_init(loop, &s->resume);
    if (rc == 0) {
        s->live = 2;
        s->has_resume = 1;
        rc = uv_tcp_open(&s->listener, fd); /* libuv takes the listening socket over */
    }
    if (rc == 0) {
        fd = -1; /* the handle owns it now */
        rc = uv_listen((uv_stream_t *)&s->listener, GD_HTTP_BACKLOG, on_connection);
    }
    if (rc < 0) {
        /* Practically unreachable after listen(2) succeeded. */
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
    if (s)
        gd_http_hosts_free(&s->hosts);
    free(s);
    return rc;
}

int gd_http_split_listen(const char *listen, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return GD_EINVAL;
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (listen[0] == '[' && hl >= 2) { /* [::1]:8080 */
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= cap)
        return GD_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = atoi(colon + 1);
    return 0;
}

int gd_http_port(const gd_http_server *s)
{
    return s ? s->port : 0;
}

static void listener_closed(uv_handle_t *h)
{
    server_release(h->data);
}

static void resume_closed(uv_handle_t *h)
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
    log_full(s); /* what the last second of a flood did */
    uv_close((uv_handle_t *)&s->listener, listener_closed);
    if (s->has_resume)
        uv_close((uv_handle_t *)&s->resume, resume_closed);
    for (gd_http_conn *c = s->head; c; c = c->next)
        conn_close(c);
}
