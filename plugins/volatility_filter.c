/*
 * volatility_filter (overlay): trade only in a normal volatility regime.
 *
 * Per symbol and bar (O(1)): Wilder's ATR(atr_period) (the first bar's true
 * range is high - low, the first ATR is the mean of the first atr_period true
 * ranges, then atr = (atr * (n - 1) + tr) / n); once it exists,
 * ATR% = 100 * ATR / close is pushed into a ring of the last `lookback`
 * values (bars with a non-positive close are skipped).
 *
 * filter(), only for entries (O(lookback), signals are rare):
 *  - until the ring is full: VETO "volatility history k/lookback";
 *  - p = percentile rank of the newest ATR% within the ring (which includes
 *    it), mid-rank convention: p = 100 * (below + equal / 2) / lookback, where
 *    below / equal count the ring's values < / == the newest one;
 *  - p < min_pct or p > max_pct: VETO ("ATR percentile 95.2 > 90");
 *  - p > reduce_above_pct: TIGHTEN, risk_scale halved, nothing else changed;
 *  - otherwise KEEP. EXIT signals always KEEP.
 * Warm-up: atr_period + lookback - 1 bars.
 *
 * snapshot/restore keep the ATRs and rings across a hot reload (header
 * {magic, version, symbol_count, atr_period, lookback}; refused if it
 * differs).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x564F4C31u /* "VOL1" */
#define SNAP_VERSION 1u

typedef struct sym_state {
    gordon_atr atr;
    double *ring;  /* lookback values, inside the instance's pool */
    uint32_t head; /* next slot to write */
    uint32_t len;  /* values held, <= lookback */
} sym_state;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t atr_period, lookback;
    double min_pct, max_pct, reduce_above_pct;
    uint32_t nsym;
    sym_state *sym;
    double *pool;
} inst;


static const gordon_param params[] = {
    {.name = "atr_period", .type = GORDON_PARAM_INT, .def = 14, .min = 2, .max = 200,
     .help = "Wilder ATR period"},
    {.name = "lookback", .type = GORDON_PARAM_INT, .def = 500, .min = 20, .max = 10000,
     .help = "bars of ATR% history the percentile is taken over"},
    {.name = "min_pct", .type = GORDON_PARAM_DOUBLE, .def = 10, .min = 0, .max = 100,
     .help = "veto entries when the ATR% percentile is below this"},
    {.name = "max_pct", .type = GORDON_PARAM_DOUBLE, .def = 90, .min = 0, .max = 100,
     .help = "veto entries when the ATR% percentile is above this"},
    {.name = "reduce_above_pct", .type = GORDON_PARAM_DOUBLE, .def = 75, .min = 0, .max = 100,
     .help = "halve risk_scale when the ATR% percentile is above this"},
};

static void destroy(void *instance)
{
    inst *s = instance;
    if (!s)
        return;
    free(s->pool);
    free(s->sym);
    free(s);
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    int64_t atr_period = 0, lookback = 0;
    uint32_t i;
    if (!api || api->struct_size < offsetof(gordon_host_api, symbol_count) + sizeof api->symbol_count) {
        snprintf(err, err_len, "volatility_filter: host API table too small");
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "volatility_filter: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    if (api->param_int(ctx, "atr_period", &atr_period) != 0 || atr_period < 1 ||
        atr_period > 1000000 || api->param_int(ctx, "lookback", &lookback) != 0 ||
        lookback < 1 || lookback > 1000000) {
        snprintf(err, err_len, "volatility_filter: cannot read int parameters atr_period, lookback");
        goto fail;
    }
    s->atr_period = (uint32_t)atr_period;
    s->lookback = (uint32_t)lookback;
    if (api->param_double(ctx, "min_pct", &s->min_pct) != 0 ||
        api->param_double(ctx, "max_pct", &s->max_pct) != 0 ||
        api->param_double(ctx, "reduce_above_pct", &s->reduce_above_pct) != 0) {
        snprintf(err, err_len,
                 "volatility_filter: cannot read double parameters min_pct, max_pct, reduce_above_pct");
        goto fail;
    }
    if (!(s->min_pct < s->max_pct)) {
        snprintf(err, err_len, "volatility_filter: min_pct (%g) must be less than max_pct (%g)",
                 s->min_pct, s->max_pct);
        goto fail;
    }
    s->nsym = api->symbol_count(ctx);
    s->sym = calloc(s->nsym ? s->nsym : 1, sizeof *s->sym);
    s->pool = calloc((size_t)s->lookback * (s->nsym ? s->nsym : 1), sizeof *s->pool);
    if (!s->sym || !s->pool) {
        snprintf(err, err_len, "volatility_filter: out of memory for %u symbols x %u values",
                 s->nsym, s->lookback);
        goto fail;
    }
    for (i = 0; i < s->nsym; i++)
        s->sym[i].ring = s->pool + (size_t)s->lookback * i;
    *instance = s;
    return 0;
fail:
    destroy(s);
    return -1;
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym_state *st;
    if (symbol >= s->nsym || !isfinite(bar->close) || !isfinite(bar->high) || !isfinite(bar->low))
        return;
    st = &s->sym[symbol];
    if (!gordon_atr_update(&st->atr, s->atr_period, bar) || !(bar->close > 0))
        return;
    st->ring[st->head] = 100.0 * st->atr.atr / bar->close;
    st->head = (st->head + 1) % s->lookback;
    if (st->len < s->lookback)
        st->len++;
}

/* Mid-rank percentile of the newest value within the full ring. */
static double percentile_rank(const inst *s, const sym_state *st)
{
    double cur = st->ring[(st->head + s->lookback - 1) % s->lookback];
    uint32_t below = 0, equal = 0, i;
    for (i = 0; i < s->lookback; i++) {
        if (st->ring[i] < cur)
            below++;
        else if (st->ring[i] == cur)
            equal++;
    }
    return 100.0 * (below + 0.5 * equal) / s->lookback;
}

static int filter(void *instance, const gordon_signal *in, gordon_signal *out, char *reason,
                  size_t reason_len)
{
    const inst *s = instance;
    const sym_state *st;
    double p;
    if (in->action != GORDON_ACTION_ENTRY)
        return GORDON_FILTER_KEEP;
    if (in->symbol >= s->nsym) {
        snprintf(reason, reason_len, "volatility history 0/%u", s->lookback);
        return GORDON_FILTER_VETO;
    }
    st = &s->sym[in->symbol];
    if (st->len < s->lookback) {
        snprintf(reason, reason_len, "volatility history %u/%u", st->len, s->lookback);
        return GORDON_FILTER_VETO;
    }
    p = percentile_rank(s, st);
    if (p < s->min_pct) {
        snprintf(reason, reason_len, "ATR percentile %.1f < %g", p, s->min_pct);
        return GORDON_FILTER_VETO;
    }
    if (p > s->max_pct) {
        snprintf(reason, reason_len, "ATR percentile %.1f > %g", p, s->max_pct);
        return GORDON_FILTER_VETO;
    }
    if (p > s->reduce_above_pct) {
        out->risk_scale = in->risk_scale * 0.5;
        snprintf(reason, reason_len, "ATR percentile %.1f > %g: risk halved", p,
                 s->reduce_above_pct);
        return GORDON_FILTER_TIGHTEN;
    }
    return GORDON_FILTER_KEEP;
}

/* ------------------------------------------------------------ snapshot */

#define HDR_BYTES (5 * 4)

typedef struct cursor {
    unsigned char *w;
    const unsigned char *r;
    size_t off;
} cursor;

static void put_u32(cursor *c, uint32_t v) { memcpy(c->w + c->off, &v, 4); c->off += 4; }
static void put_f64(cursor *c, double v) { memcpy(c->w + c->off, &v, 8); c->off += 8; }
static uint32_t get_u32(cursor *c) { uint32_t v; memcpy(&v, c->r + c->off, 4); c->off += 4; return v; }
static double get_f64(cursor *c) { double v; memcpy(&v, c->r + c->off, 8); c->off += 8; return v; }

static size_t rec_bytes(const inst *s)
{
    /* atr (3 doubles + count), head, len, ring */
    return 3 * 8 + 3 * 4 + (size_t)s->lookback * 8;
}

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    size_t need = HDR_BYTES + (size_t)s->nsym * rec_bytes(s);
    cursor c = {buf, NULL, 0};
    uint32_t i, j;
    if (!buf || cap < need)
        return need;
    put_u32(&c, SNAP_MAGIC);
    put_u32(&c, SNAP_VERSION);
    put_u32(&c, s->nsym);
    put_u32(&c, s->atr_period);
    put_u32(&c, s->lookback);
    for (i = 0; i < s->nsym; i++) {
        const sym_state *st = &s->sym[i];
        put_f64(&c, st->atr.atr);
        put_f64(&c, st->atr.sum);
        put_f64(&c, st->atr.prev_close);
        put_u32(&c, st->atr.count);
        put_u32(&c, st->head);
        put_u32(&c, st->len);
        for (j = 0; j < s->lookback; j++)
            put_f64(&c, st->ring[j]);
    }
    return c.off;
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    cursor c = {NULL, buf, 0};
    uint32_t i, j;
    if (!buf || len != HDR_BYTES + (size_t)s->nsym * rec_bytes(s) || get_u32(&c) != SNAP_MAGIC ||
        get_u32(&c) != SNAP_VERSION || get_u32(&c) != s->nsym || get_u32(&c) != s->atr_period ||
        get_u32(&c) != s->lookback)
        goto refuse;
    /* Validate every record before touching the instance. */
    for (i = 0; i < s->nsym; i++) {
        uint32_t count, head, n;
        c.off = HDR_BYTES + (size_t)i * rec_bytes(s) + 3 * 8;
        count = get_u32(&c);
        head = get_u32(&c);
        n = get_u32(&c);
        if (count > s->atr_period || head >= s->lookback || n > s->lookback ||
            (n < s->lookback && head != n))
            goto refuse;
    }
    c.off = HDR_BYTES;
    for (i = 0; i < s->nsym; i++) {
        sym_state *st = &s->sym[i];
        st->atr.atr = get_f64(&c);
        st->atr.sum = get_f64(&c);
        st->atr.prev_close = get_f64(&c);
        st->atr.count = get_u32(&c);
        st->head = get_u32(&c);
        st->len = get_u32(&c);
        for (j = 0; j < s->lookback; j++)
            st->ring[j] = get_f64(&c);
    }
    return 0;
refuse:
    s->api->log(s->ctx, GORDON_LOG_WARN,
                "volatility_filter: snapshot refused (length, magic, version, symbol count, "
                "atr_period or lookback differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_OVERLAY),
    .name = "volatility_filter",
    .version = "1.0.0",
    .description = "vetoes entries in extreme ATR% percentiles; halves risk in high ones",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 513, /* atr_period + lookback - 1, for the defaults */
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .filter = filter,
    .snapshot = snapshot,
    .restore = restore,
};

GORDON_PLUGIN_ENTRY(desc)
