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

void gd_wb_bar(gd_wbuf *w, const gordon_bar *b)
{
    gd_wb_i64(w, b->open_time_ms);
    gd_wb_i64(w, b->close_time_ms);
    gd_wb_f64(w, b->open);
    gd_wb_f64(w, b->high);
    gd_wb_f64(w, b->low);
    gd_wb_f64(w, b->close);
    gd_wb_f64(w, b->volume);
}

void gd_rb_bar(gd_rbuf *r, gordon_bar *b)
{
    b->open_time_ms = gd_rb_i64(r);
    b->close_time_ms = gd_rb_i64(r);
    b->open = gd_rb_f64(r);
    b->high = gd_rb_f64(r);
    b->low = gd_rb_f64(r);
    b->close = gd_rb_f64(r);
    b->volume = gd_rb_f64(r);
}

void gd_wb_signal(gd_wbuf *w, const gordon_signal *s)
{
    gd_wb_u32(w, s->symbol);
    gd_wb_i32(w, s->action);
    gd_wb_i32(w, s->side);
    gd_wb_f64(w, s->entry);
    gd_wb_f64(w, s->stop_loss);
    gd_wb_f64(w, s->take_profit);
    gd_wb_f64(w, s->risk_scale);
    gd_wb_str(w, s->tag, sizeof s->tag - 1);
}

void gd_rb_signal(gd_rbuf *r, gordon_signal *s)
{
    memset(s, 0, sizeof *s);
    s->struct_size = sizeof *s;
    s->symbol = gd_rb_u32(r);
    s->action = gd_rb_i32(r);
    s->side = gd_rb_i32(r);
    s->entry = gd_rb_f64(r);
    s->stop_loss = gd_rb_f64(r);
    s->take_profit = gd_rb_f64(r);
    s->risk_scale = gd_rb_f64(r);
    gd_rb_str(r, s->tag, sizeof s->tag);
}

void gd_wb_position(gd_wbuf *w, const gordon_position *p)
{
    gd_wb_i32(w, p->side);
    gd_wb_f64(w, p->qty);
    gd_wb_f64(w, p->entry_price);
    gd_wb_f64(w, p->stop_loss);
    gd_wb_f64(w, p->take_profit);
    gd_wb_f64(w, p->unrealized_pnl);
    gd_wb_i64(w, p->opened_ms);
    gd_wb_i32(w, p->order_pending);
}

void gd_rb_position(gd_rbuf *r, gordon_position *p)
{
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    p->side = gd_rb_i32(r);
    p->qty = gd_rb_f64(r);
    p->entry_price = gd_rb_f64(r);
    p->stop_loss = gd_rb_f64(r);
    p->take_profit = gd_rb_f64(r);
    p->unrealized_pnl = gd_rb_f64(r);
    p->opened_ms = gd_rb_i64(r);
    p->order_pending = gd_rb_i32(r);
}

void gd_wb_fill(gd_wbuf *w, const gordon_fill *f)
{
    gd_wb_u32(w, f->symbol);
    gd_wb_i32(w, f->side);
    gd_wb_i32(w, f->reason);
    gd_wb_f64(w, f->qty);
    gd_wb_f64(w, f->price);
    gd_wb_f64(w, f->fee);
    gd_wb_f64(w, f->realized_pnl);
    gd_wb_i64(w, f->time_ms);
    gd_wb_u64(w, f->intent_id);
}

void gd_rb_fill(gd_rbuf *r, gordon_fill *f)
{
    memset(f, 0, sizeof *f);
    f->struct_size = sizeof *f;
    f->symbol = gd_rb_u32(r);
    f->side = gd_rb_i32(r);
    f->reason = gd_rb_i32(r);
    f->qty = gd_rb_f64(r);
    f->price = gd_rb_f64(r);
    f->fee = gd_rb_f64(r);
    f->realized_pnl = gd_rb_f64(r);
    f->time_ms = gd_rb_i64(r);
    f->intent_id = gd_rb_u64(r);
}

void gd_wb_exposure(gd_wbuf *w, const gordon_exposure *x)
{
    gd_wb_u32(w, x->strategies);
    gd_wb_f64(w, x->net_qty);
    gd_wb_f64(w, x->gross_qty);
    gd_wb_f64(w, x->pending_qty);
    gd_wb_f64(w, x->notional);
}

void gd_rb_exposure(gd_rbuf *r, gordon_exposure *x)
{
    memset(x, 0, sizeof *x);
    x->struct_size = sizeof *x;
    x->strategies = gd_rb_u32(r);
    x->net_qty = gd_rb_f64(r);
    x->gross_qty = gd_rb_f64(r);
    x->pending_qty = gd_rb_f64(r);
    x->notional = gd_rb_f64(r);
}

void gd_wb_series(gd_wbuf *w, const gordon_series_point *p)
{
    gd_wb_i32(w, p->stale);
    gd_wb_i64(w, p->obs_ms);
    gd_wb_i64(w, p->fetched_ms);
    gd_wb_f64(w, p->value);
    gd_wb_f64(w, p->prev_value);
}

void gd_rb_series(gd_rbuf *r, gordon_series_point *p)
{
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    p->stale = gd_rb_i32(r);
    p->obs_ms = gd_rb_i64(r);
    p->fetched_ms = gd_rb_i64(r);
    p->value = gd_rb_f64(r);
    p->prev_value = gd_rb_f64(r);
}

void gd_wb_breaker_in(gd_wbuf *w, const gordon_breaker_input *in)
{
    gd_wb_u32(w, in->open_positions);
    gd_wb_i64(w, in->now_ms);
    gd_wb_f64(w, in->equity);
    gd_wb_f64(w, in->gross_exposure);
    gd_wb_f64(w, in->realized_pnl);
    gd_wb_i64(w, in->last_data_ms);
    gd_wb_i64(w, in->last_venue_ms);
}

void gd_rb_breaker_in(gd_rbuf *r, gordon_breaker_input *in)
{
    memset(in, 0, sizeof *in);
    in->struct_size = sizeof *in;
    in->open_positions = gd_rb_u32(r);
    in->now_ms = gd_rb_i64(r);
    in->equity = gd_rb_f64(r);
    in->gross_exposure = gd_rb_f64(r);
    in->realized_pnl = gd_rb_f64(r);
    in->last_data_ms = gd_rb_i64(r);
    in->last_venue_ms = gd_rb_i64(r);
}

void gd_wb_breaker_out(gd_wbuf *w, const gordon_breaker_result *o)
{
    gd_wb_i32(w, o->state);
    gd_wb_f64(w, o->value);
    gd_wb_f64(w, o->threshold);
    gd_wb_str(w, o->reason, sizeof o->reason - 1);
}

void gd_rb_breaker_out(gd_rbuf *r, gordon_breaker_result *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->state = gd_rb_i32(r);
    o->value = gd_rb_f64(r);
    o->threshold = gd_rb_f64(r);
    gd_rb_str(r, o->reason, sizeof o->reason);
}

void gd_wb_ctx(gd_wbuf *w, const gd_wire_ctx *c)
{
    gd_wb_i64(w, c->now_ms);
    gd_wb_f64(w, c->equity);
}

void gd_rb_ctx(gd_rbuf *r, gd_wire_ctx *c)
{
    c->now_ms = gd_rb_i64(r);
    c->equity = gd_rb_f64(r);
}

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
