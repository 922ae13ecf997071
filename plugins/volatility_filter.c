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
 * Warm-up: atr_period + lookback - 1 bars (warmup() reports it for the
 * instance's parameters).
 *
 * snapshot/restore (gordon_snap) keep the ATRs and rings across a hot reload:
 * header {u32 magic, version, symbol_count, atr_period, lookback}, then per
 * symbol {f64 atr, sum, prev_close, u32 count, head, len, f64 ring[lookback]};
 * refused, and nothing of it applied, if the header or length differs or a
 * count or ring position is out of range.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

static uint32_t warmup(void *instance)
{
    const inst *s = instance;
    return s->atr_period + s->lookback - 1;
}

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
    uint32_t i;
    if (!api || !GORDON_HAS(api, symbol_count)) {
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
    if (gordon_param_u32(api, ctx, "atr_period", 1, &s->atr_period, err, err_len) ||
        gordon_param_u32(api, ctx, "lookback", 1, &s->lookback, err, err_len))
        goto fail;
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

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap w;
    uint32_t i, j;
    gordon_snap_write(&w, buf, cap);
    gordon_snap_put_u32(&w, SNAP_MAGIC);
    gordon_snap_put_u32(&w, SNAP_VERSION);
    gordon_snap_put_u32(&w, s->nsym);
    gordon_snap_put_u32(&w, s->atr_period);
    gordon_snap_put_u32(&w, s->lookback);
    for (i = 0; i < s->nsym; i++) {
        const sym_state *st = &s->sym[i];
        gordon_snap_put_f64(&w, st->atr.atr);
        gordon_snap_put_f64(&w, st->atr.sum);
        gordon_snap_put_f64(&w, st->atr.prev_close);
        gordon_snap_put_u32(&w, st->atr.count);
        gordon_snap_put_u32(&w, st->head);
        gordon_snap_put_u32(&w, st->len);
        for (j = 0; j < s->lookback; j++)
            gordon_snap_put_f64(&w, st->ring[j]);
    }
    return gordon_snap_end(&w);
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap r;
    uint32_t i, j;
    int pass;
    /* Two passes over the blob: validate everything, then apply it. */
    for (pass = 0; pass < 2; pass++) {
        gordon_snap_read(&r, buf, len);
        if (gordon_snap_expect_u32(&r, SNAP_MAGIC) || gordon_snap_expect_u32(&r, SNAP_VERSION) ||
            gordon_snap_expect_u32(&r, s->nsym) || gordon_snap_expect_u32(&r, s->atr_period) ||
            gordon_snap_expect_u32(&r, s->lookback))
            goto refuse;
        for (i = 0; i < s->nsym; i++) {
            sym_state st = s->sym[i]; /* keeps the ring pointer */
            gordon_snap_get_f64(&r, &st.atr.atr);
            gordon_snap_get_f64(&r, &st.atr.sum);
            gordon_snap_get_f64(&r, &st.atr.prev_close);
            gordon_snap_get_u32(&r, &st.atr.count);
            gordon_snap_get_u32(&r, &st.head);
            gordon_snap_get_u32(&r, &st.len);
            if (st.atr.count > s->atr_period || st.head >= s->lookback || st.len > s->lookback ||
                (st.len < s->lookback && st.head != st.len))
                goto refuse;
            for (j = 0; j < s->lookback; j++) {
                double v;
                gordon_snap_get_f64(&r, &v);
                if (pass == 1)
                    st.ring[j] = v;
            }
            if (pass == 1)
                s->sym[i] = st;
        }
        if (gordon_snap_done(&r) != 0)
            goto refuse; /* only reachable in the first pass */
    }
    return 0;
refuse:
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                "volatility_filter: snapshot refused (length, magic, version, symbol count, "
                "atr_period, lookback or contents differ)");
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
    .warmup = warmup,
};

GORDON_PLUGIN_ENTRY(desc)
