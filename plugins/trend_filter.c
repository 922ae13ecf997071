/*
 * trend_filter (overlay): trade only with the trend of a long EMA.
 *
 * Per symbol it keeps EMA(period) of closes, seeded with the simple mean of
 * the first `period` closes (first value on bar `period`), then
 * ema += alpha * (close - ema), alpha = 2 / (period + 1).
 *
 * filter():
 *  - EXIT signals: always KEEP;
 *  - entries on a symbol whose EMA does not exist yet (fewer than `period`
 *    bars seen, or a symbol this overlay is not subscribed to): VETO
 *    "trend not established";
 *  - long entries when the last close < EMA: VETO; short entries when the last
 *    close > EMA: VETO (a close equal to the EMA passes);
 *  - anything else KEEP.
 * Warm-up: `period` bars (warmup() reports it for the instance's period).
 *
 * snapshot/restore (gordon_snap) keep the EMAs across a hot reload: header
 * {u32 magic, version, symbol_count, period}, then {f64 ema, sum, close, u32
 * count} per symbol; a blob whose header or length differs, or with a count
 * above the period, is refused, and nothing of it is applied.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x54524E31u /* "TRN1" */
#define SNAP_VERSION 1u

typedef struct sym_state {
    double ema;
    double sum;
    double close;
    uint32_t count; /* closes seen, saturating at the period */
} sym_state;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t period;
    uint32_t nsym;
    sym_state *sym;
} inst;

static const gordon_param params[] = {
    {.name = "period", .type = GORDON_PARAM_INT, .def = 200, .min = 2, .max = 2000,
     .help = "EMA period in bars; entries against the EMA's side are vetoed"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    uint32_t period = 0;
    if (!api || !GORDON_HAS(api, symbol_count)) {
        snprintf(err, err_len, "trend_filter: host API table too small");
        return -1;
    }
    if (gordon_param_u32(api, ctx, "period", 1, &period, err, err_len) != 0)
        return -1;
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "trend_filter: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->period = period;
    s->nsym = api->symbol_count(ctx);
    s->sym = calloc(s->nsym ? s->nsym : 1, sizeof *s->sym);
    if (!s->sym) {
        snprintf(err, err_len, "trend_filter: out of memory for %u symbols", s->nsym);
        free(s);
        return -1;
    }
    *instance = s;
    return 0;
}

static uint32_t warmup(void *instance)
{
    const inst *s = instance;
    return s->period;
}

static void destroy(void *instance)
{
    inst *s = instance;
    if (!s)
        return;
    free(s->sym);
    free(s);
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym_state *st;
    if (symbol >= s->nsym || !isfinite(bar->close))
        return;
    st = &s->sym[symbol];
    st->close = bar->close;
    if (st->count < s->period) {
        st->sum += bar->close;
        if (++st->count == s->period)
            st->ema = st->sum / s->period;
        return;
    }
    st->ema += 2.0 / (s->period + 1.0) * (bar->close - st->ema);
}

static int filter(void *instance, const gordon_signal *in, gordon_signal *out, char *reason,
                  size_t reason_len)
{
    const inst *s = instance;
    const sym_state *st;
    (void)out;
    if (in->action != GORDON_ACTION_ENTRY)
        return GORDON_FILTER_KEEP;
    if (in->symbol >= s->nsym || s->sym[in->symbol].count < s->period) {
        snprintf(reason, reason_len, "trend not established");
        return GORDON_FILTER_VETO;
    }
    st = &s->sym[in->symbol];
    if (in->side == GORDON_SIDE_LONG && st->close < st->ema) {
        snprintf(reason, reason_len, "close %.6g < EMA(%u) %.6g", st->close, s->period, st->ema);
        return GORDON_FILTER_VETO;
    }
    if (in->side == GORDON_SIDE_SHORT && st->close > st->ema) {
        snprintf(reason, reason_len, "close %.6g > EMA(%u) %.6g", st->close, s->period, st->ema);
        return GORDON_FILTER_VETO;
    }
    if (in->side != GORDON_SIDE_LONG && in->side != GORDON_SIDE_SHORT) {
        snprintf(reason, reason_len, "entry without a side");
        return GORDON_FILTER_VETO;
    }
    return GORDON_FILTER_KEEP;
}

/* ------------------------------------------------------------ snapshot */

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap w;
    uint32_t i;
    gordon_snap_write(&w, buf, cap);
    gordon_snap_put_u32(&w, SNAP_MAGIC);
    gordon_snap_put_u32(&w, SNAP_VERSION);
    gordon_snap_put_u32(&w, s->nsym);
    gordon_snap_put_u32(&w, s->period);
    for (i = 0; i < s->nsym; i++) {
        gordon_snap_put_f64(&w, s->sym[i].ema);
        gordon_snap_put_f64(&w, s->sym[i].sum);
        gordon_snap_put_f64(&w, s->sym[i].close);
        gordon_snap_put_u32(&w, s->sym[i].count);
    }
    return gordon_snap_end(&w);
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap r;
    uint32_t i;
    int pass;
    /* Two passes over the blob: validate everything, then apply it. */
    for (pass = 0; pass < 2; pass++) {
        gordon_snap_read(&r, buf, len);
        if (gordon_snap_expect_u32(&r, SNAP_MAGIC) || gordon_snap_expect_u32(&r, SNAP_VERSION) ||
            gordon_snap_expect_u32(&r, s->nsym) || gordon_snap_expect_u32(&r, s->period))
            goto refuse;
        for (i = 0; i < s->nsym; i++) {
            sym_state st;
            gordon_snap_get_f64(&r, &st.ema);
            gordon_snap_get_f64(&r, &st.sum);
            gordon_snap_get_f64(&r, &st.close);
            gordon_snap_get_u32(&r, &st.count);
            if (st.count > s->period)
                goto refuse;
            if (pass == 1)
                s->sym[i] = st;
        }
        if (gordon_snap_done(&r) != 0)
            goto refuse; /* only reachable in the first pass */
    }
    return 0;
refuse:
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                "trend_filter: snapshot refused (length, magic, version, symbol count, period or "
                "contents differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_OVERLAY),
    .name = "trend_filter",
    .version = "1.0.0",
    .description = "vetoes entries against the side of EMA(period) of closes",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 200, /* = period, for the default */
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .filter = filter,
    .snapshot = snapshot,
    .restore = restore,
    .warmup = warmup,
};

GORDON_PLUGIN_ENTRY(desc)
