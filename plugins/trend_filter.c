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
 * Warm-up: `period` bars.
 *
 * snapshot/restore keep the EMAs across a hot reload: header {magic, version,
 * symbol_count, period}, then {ema, sum, close, count} per symbol; a blob
 * whose header or length differs is refused.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    int64_t period = 0;
    if (!api || api->struct_size < offsetof(gordon_host_api, symbol_count) + sizeof api->symbol_count) {
        snprintf(err, err_len, "trend_filter: host API table too small");
        return -1;
    }
    if (api->param_int(ctx, "period", &period) != 0 || period < 1 || period > 1000000) {
        snprintf(err, err_len, "trend_filter: cannot read int parameter 'period'");
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "trend_filter: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->period = (uint32_t)period;
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

#define HDR_BYTES (4 * 4)
#define REC_BYTES (3 * 8 + 4)

typedef struct cursor {
    unsigned char *w;
    const unsigned char *r;
    size_t off;
} cursor;

static void put_u32(cursor *c, uint32_t v) { memcpy(c->w + c->off, &v, 4); c->off += 4; }
static void put_f64(cursor *c, double v) { memcpy(c->w + c->off, &v, 8); c->off += 8; }
static uint32_t get_u32(cursor *c) { uint32_t v; memcpy(&v, c->r + c->off, 4); c->off += 4; return v; }
static double get_f64(cursor *c) { double v; memcpy(&v, c->r + c->off, 8); c->off += 8; return v; }

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    size_t need = HDR_BYTES + (size_t)s->nsym * REC_BYTES;
    cursor c = {buf, NULL, 0};
    uint32_t i;
    if (!buf || cap < need)
        return need;
    put_u32(&c, SNAP_MAGIC);
    put_u32(&c, SNAP_VERSION);
    put_u32(&c, s->nsym);
    put_u32(&c, s->period);
    for (i = 0; i < s->nsym; i++) {
        put_f64(&c, s->sym[i].ema);
        put_f64(&c, s->sym[i].sum);
        put_f64(&c, s->sym[i].close);
        put_u32(&c, s->sym[i].count);
    }
    return c.off;
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    cursor c = {NULL, buf, 0};
    uint32_t i;
    if (!buf || len != HDR_BYTES + (size_t)s->nsym * REC_BYTES || get_u32(&c) != SNAP_MAGIC ||
        get_u32(&c) != SNAP_VERSION || get_u32(&c) != s->nsym || get_u32(&c) != s->period)
        goto refuse;
    /* Validate every record before touching the instance. */
    for (i = 0; i < s->nsym; i++) {
        c.off = HDR_BYTES + (size_t)i * REC_BYTES + 3 * 8;
        if (get_u32(&c) > s->period)
            goto refuse;
    }
    c.off = HDR_BYTES;
    for (i = 0; i < s->nsym; i++) {
        s->sym[i].ema = get_f64(&c);
        s->sym[i].sum = get_f64(&c);
        s->sym[i].close = get_f64(&c);
        s->sym[i].count = get_u32(&c);
    }
    return 0;
refuse:
    s->api->log(s->ctx, GORDON_LOG_WARN,
                "trend_filter: snapshot refused (length, magic, version, symbol count or period differ)");
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
};

GORDON_PLUGIN_ENTRY(desc)
