/*
 * gordon plugin helpers: code compiled into the plugin, NOT part of the ABI.
 *
 * Everything here is static inline, has no struct_size and may change
 * between SDK versions without a version bump: a plugin carries the copy it
 * was built with, so the host never sees these types. Nothing here
 * allocates, does I/O or keeps global state, so every helper may be used
 * from on_bar (except gordon_param_u32, which belongs in create()).
 *
 *  - indicators: gordon_ema, gordon_atr (Wilder), gordon_rsi (Wilder); each
 *    keeps its state in a struct the plugin owns (one per symbol, zeroed,
 *    allocated in create), and its update returns 1 once the value exists;
 *  - gordon_snap: a bounds-checked writer and reader for the snapshot and
 *    restore callbacks (native byte order: a snapshot only crosses a hot
 *    reload inside one process);
 *  - gordon_param_u32: reads an int parameter in create() and writes the
 *    error text;
 *  - gordon_log: printf-style logging, formatted here, in the plugin's own
 *    buffer (the host's log() takes a finished message since SDK 1.3).
 */
#ifndef GORDON_HELPERS_H
#define GORDON_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gordon/sdk.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ indicators */

/* Periods (n) must be at least 1; with n == 0 an update does nothing and
 * returns 0, so a bad parameter cannot divide by zero. */

/* Exponential moving average: the first value is the simple mean of the
 * first n inputs; then value += 2 / (n + 1) * (x - value). */
typedef struct gordon_ema {
    double value;
    double sum;      /* of the inputs while seeding */
    uint32_t count;  /* inputs seen, saturating at n */
} gordon_ema;

/* Returns 1 once value is defined. */
static inline int gordon_ema_update(gordon_ema *e, uint32_t n, double x)
{
    /* count saturates at n, so once seeded count == n >= 1: one comparison
     * on the common path, with n == 0 (n - 1 wraps) never passing it. */
    if (e->count > n - 1u) {
        e->value += 2.0 / (n + 1.0) * (x - e->value);
        return 1;
    }
    if (n == 0)
        return 0;
    e->sum += x;
    if (++e->count == n)
        e->value = e->sum / n;
    return e->count == n;
}

/* Wilder's average true range: the first bar's true range is high - low;
 * the first ATR is the mean of n true ranges, then (atr * (n - 1) + tr) / n. */
typedef struct gordon_atr {
    double atr;
    double sum;        /* of the true ranges while seeding */
    double prev_close;
    uint32_t count;    /* bars seen, saturating at n */
} gordon_atr;

/* The bar's true range against the previous close (high - low on the first). */
static inline double gordon_true_range_(const gordon_atr *a, const gordon_bar *b)
{
    double tr = b->high - b->low;
    if (a->count > 0) {
        double up = b->high - a->prev_close, dn = a->prev_close - b->low;
        if (up < 0)
            up = -up;
        if (dn < 0)
            dn = -dn;
        if (up > tr)
            tr = up;
        if (dn > tr)
            tr = dn;
    }
    return tr;
}

/* Returns 1 once atr is defined. */
static inline int gordon_atr_update(gordon_atr *a, uint32_t n, const gordon_bar *b)
{
    double tr;
    /* Each branch takes the true range itself: deciding first and sharing
     * that code cost 8 instructions a bar (bench_replay, callgrind). */
    if (a->count > n - 1u) { /* seeded (as in gordon_ema_update) */
        tr = gordon_true_range_(a, b);
        a->prev_close = b->close;
        a->atr = (a->atr * (n - 1) + tr) / n;
        return 1;
    }
    if (n == 0)
        return 0;
    tr = gordon_true_range_(a, b);
    a->prev_close = b->close;
    a->sum += tr;
    if (++a->count == n)
        a->atr = a->sum / n;
    return a->count == n;
}

/* Wilder's relative strength index of a series (usually closes): each input
 * after the first makes a change d = x - previous input, a gain max(d, 0)
 * and a loss max(-d, 0). The first averages are the means of the first n
 * gains and losses (so the first RSI comes with input n + 1), then
 * avg = (avg * (n - 1) + new) / n. value = 100 * avg_gain / (avg_gain +
 * avg_loss), which is 100 - 100 / (1 + RS) without dividing by a zero loss;
 * a series that has not moved at all over the averages reads 50.
 * Skip non-finite inputs before calling (as with the other indicators). */
typedef struct gordon_rsi {
    double value;      /* in [0, 100] once defined */
    double avg_gain;   /* sum of the gains while seeding, then Wilder's average */
    double avg_loss;   /* likewise, of the losses (>= 0) */
    double prev;       /* the previous input */
    uint32_t count;    /* inputs seen, saturating at n + 1 */
} gordon_rsi;

/* Returns 1 once value is defined. */
static inline int gordon_rsi_update(gordon_rsi *r, uint32_t n, double x)
{
    double d, gain, loss, total;
    if (n == 0)
        return 0;
    if (r->count == 0) {
        r->prev = x;
        r->count = 1;
        return 0;
    }
    d = x - r->prev;
    r->prev = x;
    gain = d > 0 ? d : 0.0;
    loss = d < 0 ? -d : 0.0;
    if (r->count <= n) { /* seeding: changes 1..n */
        r->avg_gain += gain;
        r->avg_loss += loss;
        if (r->count++ < n)
            return 0;
        r->avg_gain /= n;
        r->avg_loss /= n;
    } else {
        r->avg_gain = (r->avg_gain * (n - 1) + gain) / n;
        r->avg_loss = (r->avg_loss * (n - 1) + loss) / n;
    }
    total = r->avg_gain + r->avg_loss;
    r->value = total > 0 ? 100.0 * r->avg_gain / total : 50.0;
    return 1;
}

/* ------------------------------------------------------------- snapshots */

/* One cursor for writing or reading a snapshot blob. Every put and get is
 * checked against the buffer's end; a put that does not fit is not written
 * but still counted, so one pass over the state both fills a buffer that is
 * large enough and measures the size a too small (or NULL) one needs. A get
 * past the end fails, sets *out to 0 and makes every later get fail too.
 *
 *   static size_t snapshot(void *instance, void *buf, size_t cap)
 *   {
 *       gordon_snap w;
 *       gordon_snap_write(&w, buf, cap);
 *       gordon_snap_put_u32(&w, MY_MAGIC);
 *       ...
 *       return gordon_snap_end(&w); // bytes written, or needed if > cap
 *   }
 *   static int restore(void *instance, const void *buf, size_t len)
 *   {
 *       gordon_snap r;
 *       gordon_snap_read(&r, buf, len);
 *       if (gordon_snap_expect_u32(&r, MY_MAGIC) != 0 || ...)
 *           return -1;
 *       ... decode into scratch, then check gordon_snap_done(&r) == 0
 *       (every byte read, none missing) before touching the instance ...
 *   }
 */
typedef struct gordon_snap {
    unsigned char *w;        /* writing: the buffer, or NULL to only count */
    const unsigned char *r;  /* reading: the blob */
    size_t cap;              /* bytes in the buffer or blob */
    size_t off;              /* bytes put (or needed) or got so far */
    int failed;              /* a put did not fit, or a get ran past the end */
} gordon_snap;

/* Starts writing into buf[0..cap); buf NULL only counts. */
static inline void gordon_snap_write(gordon_snap *s, void *buf, size_t cap)
{
    s->w = (unsigned char *)buf;
    s->r = NULL;
    s->cap = buf ? cap : 0;
    s->off = 0;
    s->failed = 0;
}

/* Starts reading the blob buf[0..len); buf NULL reads as an empty blob. */
static inline void gordon_snap_read(gordon_snap *s, const void *buf, size_t len)
{
    s->w = NULL;
    s->r = (const unsigned char *)buf;
    s->cap = buf ? len : 0;
    s->off = 0;
    s->failed = 0;
}

static inline void gordon_snap_put(gordon_snap *s, const void *p, size_t n)
{
    if (s->off > SIZE_MAX - n) { /* cannot even count it */
        s->off = SIZE_MAX;
        s->failed = 1;
        return;
    }
    if (!s->failed && s->w && n <= s->cap - s->off)
        memcpy(s->w + s->off, p, n);
    else
        s->failed = 1;
    s->off += n;
}

static inline void gordon_snap_put_u32(gordon_snap *s, uint32_t v) { gordon_snap_put(s, &v, sizeof v); }
static inline void gordon_snap_put_i64(gordon_snap *s, int64_t v) { gordon_snap_put(s, &v, sizeof v); }
static inline void gordon_snap_put_f64(gordon_snap *s, double v) { gordon_snap_put(s, &v, sizeof v); }

/* What snapshot() returns: the bytes written when everything fit, else the
 * size the whole snapshot needs (larger than cap). */
static inline size_t gordon_snap_end(const gordon_snap *s) { return s->off; }

/* Copies n bytes to p and returns 0, or returns -1 (p zeroed) past the end. */
static inline int gordon_snap_get(gordon_snap *s, void *p, size_t n)
{
    if (s->failed || !s->r || n > s->cap - s->off) {
        s->failed = 1;
        memset(p, 0, n);
        return -1;
    }
    memcpy(p, s->r + s->off, n);
    s->off += n;
    return 0;
}

static inline int gordon_snap_get_u32(gordon_snap *s, uint32_t *out) { return gordon_snap_get(s, out, sizeof *out); }
static inline int gordon_snap_get_i64(gordon_snap *s, int64_t *out) { return gordon_snap_get(s, out, sizeof *out); }
static inline int gordon_snap_get_f64(gordon_snap *s, double *out) { return gordon_snap_get(s, out, sizeof *out); }

/* Reads a u32 and returns 0 if it equals want (a magic, a version, a
 * parameter the blob must have been taken with), else -1. */
static inline int gordon_snap_expect_u32(gordon_snap *s, uint32_t want)
{
    uint32_t v;
    return gordon_snap_get_u32(s, &v) == 0 && v == want ? 0 : -1;
}

/* Bytes of the blob not read yet. */
static inline size_t gordon_snap_left(const gordon_snap *s) { return s->cap - s->off; }

/* After reading: 0 if every get succeeded and the blob was read to its
 * last byte, else -1 (truncated, or longer than what was decoded). After
 * writing: 0 if everything fit. */
static inline int gordon_snap_done(const gordon_snap *s)
{
    return !s->failed && (s->w || s->off == s->cap) ? 0 : -1;
}

/* ------------------------------------------------------------- parameters */

/* Reads the declared int parameter name into *out, for create(). The host
 * has already checked it against the descriptor's bounds; this refuses
 * what the code itself cannot take: a value below min (e.g. a period of 0)
 * or above UINT32_MAX. Returns 0, or -1 with the reason in err (the host
 * prefixes it with the instance and plugin names). */
static inline int gordon_param_u32(const gordon_host_api *api, gordon_ctx *ctx, const char *name,
                                   uint32_t min, uint32_t *out, char *err, size_t err_len)
{
    int64_t v = 0;
    if (api->param_int(ctx, name, &v) != 0) {
        if (err && err_len)
            snprintf(err, err_len, "cannot read int parameter '%s' (not declared as an int)", name);
        return -1;
    }
    if (v < (int64_t)min || v > (int64_t)UINT32_MAX) {
        if (err && err_len)
            snprintf(err, err_len, "int parameter '%s' = %lld is outside [%lu, %lu]", name,
                     (long long)v, (unsigned long)min, (unsigned long)UINT32_MAX);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* Longest message gordon_log formats (the host keeps at most 1023 bytes). */
#define GORDON_LOG_MAX 1024

/* printf-style logging through the host: the text is formatted here, in the
 * plugin's own stack buffer, and handed to api->log as a finished message.
 * The compiler checks the format against the arguments. Not for on_bar's
 * every call: formatting costs more than a bar. */
static inline void gordon_log(const gordon_host_api *api, gordon_ctx *ctx, int level, const char *fmt, ...)
    GORDON_PRINTF(4, 5);
static inline void gordon_log(const gordon_host_api *api, gordon_ctx *ctx, int level, const char *fmt, ...)
{
    char msg[GORDON_LOG_MAX];
    va_list ap;
    /* Formatting costs more than a bar: not for a message nobody keeps. */
    if (GORDON_HAS(api, log_enabled) && api->log_enabled && !api->log_enabled(ctx, level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* A 1.3 host prints the message as given; an older one formats, so it
     * gets "%s" and the message as its argument. */
    if (api->abi_minor >= 3)
        api->log(ctx, level, msg);
    else
        api->log(ctx, level, "%s", msg);
}

#ifdef __cplusplus
}
#endif

#endif /* GORDON_HELPERS_H */
