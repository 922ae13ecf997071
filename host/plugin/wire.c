#include "plugin/wire.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "base/dates.h"

/* ------------------------------------------------------------ writing */

void gd_wb_start(gd_wbuf *w, void *mem, size_t cap, uint16_t type)
{
    w->p = mem;
    w->cap = cap < GD_WIRE_HDR + GD_WIRE_MAX ? cap : GD_WIRE_HDR + GD_WIRE_MAX;
    w->len = 0;
    w->bad = cap < GD_WIRE_HDR;
    if (w->bad)
        return;
    uint32_t magic = GD_WIRE_MAGIC;
    uint16_t flags = 0;
    memcpy(w->p, &magic, 4);
    memcpy(w->p + 4, &type, 2);
    memcpy(w->p + 6, &flags, 2);
    w->len = GD_WIRE_HDR;
}

void gd_wb_bytes(gd_wbuf *w, const void *p, size_t n)
{
    if (w->bad || n > w->cap - w->len) {
        w->bad = 1;
        return;
    }
    if (n)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

void gd_wb_u8(gd_wbuf *w, uint8_t v) { gd_wb_bytes(w, &v, 1); }
void gd_wb_u32(gd_wbuf *w, uint32_t v) { gd_wb_bytes(w, &v, 4); }
void gd_wb_i32(gd_wbuf *w, int32_t v) { gd_wb_bytes(w, &v, 4); }
void gd_wb_i64(gd_wbuf *w, int64_t v) { gd_wb_bytes(w, &v, 8); }
void gd_wb_u64(gd_wbuf *w, uint64_t v) { gd_wb_bytes(w, &v, 8); }
void gd_wb_f64(gd_wbuf *w, double v) { gd_wb_bytes(w, &v, 8); }

void gd_wb_str(gd_wbuf *w, const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max) : 0;
    gd_wb_u32(w, (uint32_t)n);
    gd_wb_bytes(w, s, n);
}

/* ------------------------------------------------------------ reading */

int gd_rb_start(gd_rbuf *r, const void *msg, size_t n, gd_err *err)
{
    uint32_t magic;
    memset(r, 0, sizeof *r);
    if (n < GD_WIRE_HDR)
        return gd_err_set(err, GD_EPROTO, "a message of %zu bytes is shorter than the header", n);
    memcpy(&magic, msg, 4);
    memcpy(&r->type, (const char *)msg + 4, 2);
    memcpy(&r->flags, (const char *)msg + 6, 2);
    if (magic != GD_WIRE_MAGIC)
        return gd_err_set(err, GD_EPROTO, "a message with bad magic 0x%08x", magic);
    if (n - GD_WIRE_HDR > GD_WIRE_MAX)
        return gd_err_set(err, GD_EPROTO, "a message of %zu bytes is over the limit", n);
    r->p = (const unsigned char *)msg + GD_WIRE_HDR;
    r->len = n - GD_WIRE_HDR;
    return 0;
}

const void *gd_rb_bytes(gd_rbuf *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = 1;
        return NULL;
    }
    const void *p = r->p + r->off;
    r->off += n;
    return p;
}

#define RB_SCALAR(name, type)                                                                                          \
    type name(gd_rbuf *r)                                                                                              \
    {                                                                                                                  \
        type v = 0;                                                                                                    \
        const void *p = gd_rb_bytes(r, sizeof v);                                                                      \
        if (p)                                                                                                         \
            memcpy(&v, p, sizeof v);                                                                                   \
        return v;                                                                                                      \
    }
RB_SCALAR(gd_rb_u8, uint8_t)
RB_SCALAR(gd_rb_u32, uint32_t)
RB_SCALAR(gd_rb_i32, int32_t)
RB_SCALAR(gd_rb_i64, int64_t)
RB_SCALAR(gd_rb_u64, uint64_t)
RB_SCALAR(gd_rb_f64, double)

void gd_rb_str(gd_rbuf *r, char *out, size_t cap)
{
    uint32_t n = gd_rb_u32(r);
    out[0] = '\0';
    if (r->bad)
        return;
    if ((size_t)n >= cap) {
        r->bad = 1;
        return;
    }
    const char *p = gd_rb_bytes(r, n);
    if (!p)
        return;
    if (memchr(p, '\0', n)) {
        r->bad = 1;
        return;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

int gd_rb_end(const gd_rbuf *r, gd_err *err)
{
    if (r->bad)
        return gd_err_set(err, GD_EPROTO, "a malformed %s message", gd_wire_type_name(r->type));
    if (r->off != r->len)
        return gd_err_set(err, GD_EPROTO, "a %s message with %zu bytes too many", gd_wire_type_name(r->type),
                          r->len - r->off);
    return 0;
}

/* ------------------------------------------------------------ SDK structs */

/* Each struct's fields on the wire, in order: one list makes both its writer
 * and its reader, so the two cannot drift apart. N(type, field) is a number,
 * S(field) a text of at most sizeof field - 1 bytes. */
#define BAR_FIELDS(N, S)                                                                                      \
    N(i64, open_time_ms) N(i64, close_time_ms) N(f64, open) N(f64, high) N(f64, low) N(f64, close)             \
    N(f64, volume)
#define SIGNAL_FIELDS(N, S)                                                                                   \
    N(u32, symbol) N(i32, action) N(i32, side) N(f64, entry) N(f64, stop_loss) N(f64, take_profit)            \
    N(f64, risk_scale) S(tag)
#define POSITION_FIELDS(N, S)                                                                                 \
    N(i32, side) N(f64, qty) N(f64, entry_price) N(f64, stop_loss) N(f64, take_profit) N(f64, unrealized_pnl) \
    N(i64, opened_ms) N(i32, order_pending)
#define FILL_FIELDS(N, S)                                                                                     \
    N(u32, symbol) N(i32, side) N(i32, reason) N(f64, qty) N(f64, price) N(f64, fee) N(f64, realized_pnl)     \
    N(i64, time_ms) N(u64, intent_id)
#define EXPOSURE_FIELDS(N, S)                                                                                 \
    N(u32, strategies) N(f64, net_qty) N(f64, gross_qty) N(f64, pending_qty) N(f64, notional)
#define SERIES_FIELDS(N, S)                                                                                   \
    N(i32, stale) N(i64, obs_ms) N(i64, fetched_ms) N(f64, value) N(f64, prev_value)
#define BREAKER_IN_FIELDS(N, S)                                                                               \
    N(u32, open_positions) N(i64, now_ms) N(f64, equity) N(f64, gross_exposure) N(f64, realized_pnl)          \
    N(i64, last_data_ms) N(i64, last_venue_ms)
#define BREAKER_OUT_FIELDS(N, S) N(i32, state) N(f64, value) N(f64, threshold) S(reason)
#define CTX_FIELDS(N, S) N(i64, now_ms) N(f64, equity)

#define PUT_NUM(t, f) gd_wb_##t(w, x->f);
#define PUT_STR(f) gd_wb_str(w, x->f, sizeof x->f - 1);
#define GET_NUM(t, f) x->f = gd_rb_##t(r);
#define GET_STR(f) gd_rb_str(r, x->f, sizeof x->f);

/* A reader of an SDK struct (versioned by struct_size) starts from zeros
 * with struct_size set to the reader's own size; a bar is filled whole on
 * the hot path, and the context is the wire's own. */
#define WIRE_PAIR(name, type, FIELDS, START)                                                                  \
    void gd_wb_##name(gd_wbuf *w, const type *x) { FIELDS(PUT_NUM, PUT_STR) }                                \
    void gd_rb_##name(gd_rbuf *r, type *x)                                                                    \
    {                                                                                                         \
        START;                                                                                                \
        FIELDS(GET_NUM, GET_STR)                                                                              \
    }
#define SIZED (memset(x, 0, sizeof *x), x->struct_size = sizeof *x)
#define WHOLE ((void)0)

WIRE_PAIR(bar, gordon_bar, BAR_FIELDS, WHOLE)
WIRE_PAIR(signal, gordon_signal, SIGNAL_FIELDS, SIZED)
WIRE_PAIR(position, gordon_position, POSITION_FIELDS, SIZED)
WIRE_PAIR(fill, gordon_fill, FILL_FIELDS, SIZED)
WIRE_PAIR(exposure, gordon_exposure, EXPOSURE_FIELDS, SIZED)
WIRE_PAIR(series, gordon_series_point, SERIES_FIELDS, SIZED)
WIRE_PAIR(breaker_in, gordon_breaker_input, BREAKER_IN_FIELDS, SIZED)
WIRE_PAIR(breaker_out, gordon_breaker_result, BREAKER_OUT_FIELDS, SIZED)
WIRE_PAIR(ctx, gd_wire_ctx, CTX_FIELDS, WHOLE)

/* ------------------------------------------------------------ transport */

int gd_wire_send(int fd, const gd_wbuf *w, gd_err *err)
{
    if (w->bad)
        return gd_err_set(err, GD_EPROTO, "a message too large to send");
    for (;;) {
        ssize_t n = send(fd, w->p, w->len, MSG_NOSIGNAL);
        if (n == (ssize_t)w->len)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return gd_err_set(err, GD_EIO, "send: %s", n < 0 ? strerror(errno) : "short write");
    }
}

int gd_wire_recv(int fd, void *buf, int timeout_ms, gd_rbuf *r, gd_err *err)
{
    double until = timeout_ms >= 0 ? gd_mono_ms() + timeout_ms : 0;
    for (;;) {
        if (timeout_ms >= 0) {
            double left = until - gd_mono_ms();
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int pr = poll(&p, 1, left > 0 ? (int)(left + 0.999) : 0); /* whole ms, rounded up */
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr < 0)
                return gd_err_set(err, GD_EIO, "poll: %s", strerror(errno));
            if (pr == 0)
                return gd_err_set(err, GD_ETIMEDOUT, "no answer within %d ms", timeout_ms);
        }
        /* MSG_TRUNC: the datagram's real length, so an oversized one is
         * refused rather than read as a shorter valid one. */
        ssize_t n = recv(fd, buf, GD_WIRE_HDR + GD_WIRE_MAX, MSG_TRUNC);
        if (n < 0 && errno == EINTR)
            continue;
        /* Without poll, only a receive timeout on the socket (SO_RCVTIMEO)
         * ends a blocking recv this way. */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (timeout_ms < 0)
                return gd_err_set(err, GD_ETIMEDOUT, "no answer within the socket's timeout");
            continue;
        }
        if (n < 0)
            return gd_err_set(err, GD_EIO, "recv: %s", strerror(errno));
        if (n == 0)
            return gd_err_set(err, GD_EIO, "the worker closed its socket");
        if ((size_t)n > GD_WIRE_HDR + GD_WIRE_MAX)
            return gd_err_set(err, GD_EPROTO, "a message of %zd bytes is over the limit", n);
        return gd_rb_start(r, buf, (size_t)n, err);
    }
}

const char *gd_wire_type_name(unsigned type)
{
    switch (type) {
    case GD_W_LOAD: return "load";
    case GD_W_CREATE: return "create";
    case GD_W_WARMUP: return "warmup";
    case GD_W_BAR: return "bar";
    case GD_W_FILL: return "fill";
    case GD_W_FILTER: return "filter";
    case GD_W_EVALUATE: return "evaluate";
    case GD_W_RESUME: return "resume";
    case GD_W_SNAPSHOT: return "snapshot";
    case GD_W_RESTORE: return "restore";
    case GD_W_DESTROY: return "destroy";
    case GD_W_REPLY: return "reply";
    case GD_W_HELLO: return "hello";
    case GD_W_FAIL: return "fail";
    case GD_W_DONE: return "done";
    case GD_W_LOG: return "log";
    case GD_W_EMIT: return "emit";
    case GD_W_Q_BARS: return "bars";
    case GD_W_Q_POSITION: return "position";
    case GD_W_Q_EXPOSURE: return "exposure";
    case GD_W_Q_SERIES_SUB: return "series_subscribe";
    case GD_W_Q_SERIES_GET: return "series_get";
    case GD_W_FILTERED: return "filtered";
    case GD_W_EVALUATED: return "evaluated";
    case GD_W_SNAP_CHUNK: return "snapshot chunk";
    default: return "unknown";
    }
}
