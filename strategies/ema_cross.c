/*
 * ema_cross: exponential moving-average crossover, long and (optionally) short.
 *
 * Indicators, per symbol, O(1) per bar:
 *  - EMA(n): seeded with the simple mean of the first n closes (the EMA's
 *    first value is on bar n), then ema += alpha * (close - ema) with
 *    alpha = 2 / (n + 1).
 *  - ATR(n), Wilder: the true range of the first bar is high - low (no
 *    previous close); the first ATR is the mean of the first n true ranges
 *    (on bar n), then atr = (atr * (n - 1) + tr) / n.
 *
 * Signals. The sign of fast - slow is tracked from the first bar on which
 * both EMAs exist (bar `slow`); a bar where fast == slow keeps the previous
 * sign. A cross is a change of that sign, so the first possible signal is on
 * bar slow + 1, and only if the ATR exists by then (a cross before the ATR is
 * ready is dropped): warm-up = max(slow + 1, atr_period) bars.
 *  - cross up:   EXIT if short; ENTRY long, stop = close - atr_mult * ATR
 *                (unless already long).
 *  - cross down: EXIT if long; ENTRY short, stop = close + atr_mult * ATR, if
 *                allow_short (unless already short).
 * Entries use the bar's close as the entry reference. The host owns sizing,
 * fills and stops; no trailing stop here.
 *
 * snapshot/restore: a fixed-layout blob (native endianness, for hot reload in
 * the same process): header {magic, version, symbol_count, fast, slow,
 * atr_period} then one fixed record per symbol. A blob whose header differs
 * (another plugin, version, symbol count or periods) is refused.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x45435831u /* "ECX1" */
#define SNAP_VERSION 1u

typedef struct sym_state {
    gordon_ema fast, slow;
    gordon_atr atr;
    int32_t sign; /* sign of fast - slow once known: -1, +1; 0 = not yet */
} sym_state;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t fast, slow, atr_period;
    double atr_mult;
    int allow_short;
    uint32_t nsym;
    sym_state *sym;
} inst;
/* Wilder's ATR; returns 1 once it has a value. */

static const gordon_param params[] = {
    {.name = "fast", .type = GORDON_PARAM_INT, .tunable = 1, .def = 12, .min = 2, .max = 200,
     .step = 1, .help = "fast EMA period in bars (must be below slow)"},
    {.name = "slow", .type = GORDON_PARAM_INT, .tunable = 1, .def = 26, .min = 3, .max = 500,
     .step = 1, .help = "slow EMA period in bars"},
    {.name = "atr_period", .type = GORDON_PARAM_INT, .def = 14, .min = 2, .max = 200,
     .help = "Wilder ATR period for the stop distance"},
    {.name = "atr_mult", .type = GORDON_PARAM_DOUBLE, .tunable = 1, .def = 2.5, .min = 0.5,
     .max = 20, .step = 0.5, .help = "stop distance in ATRs from the entry close"},
    {.name = "allow_short", .type = GORDON_PARAM_BOOL, .def = 1,
     .help = "enter short on a cross down (otherwise only exit longs)"},
};

static int read_int(const gordon_host_api *api, gordon_ctx *ctx, const char *name, uint32_t *out,
                    char *err, size_t err_len)
{
    int64_t v = 0;
    if (api->param_int(ctx, name, &v) != 0 || v < 1 || v > 1000000) {
        snprintf(err, err_len, "ema_cross: cannot read int parameter '%s'", name);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s = NULL;
    if (!api || api->struct_size < offsetof(gordon_host_api, emit) + sizeof api->emit) {
        snprintf(err, err_len, "ema_cross: host API table too small");
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "ema_cross: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    if (read_int(api, ctx, "fast", &s->fast, err, err_len) ||
        read_int(api, ctx, "slow", &s->slow, err, err_len) ||
        read_int(api, ctx, "atr_period", &s->atr_period, err, err_len))
        goto fail;
    if (api->param_double(ctx, "atr_mult", &s->atr_mult) != 0 || !(s->atr_mult > 0)) {
        snprintf(err, err_len, "ema_cross: cannot read double parameter 'atr_mult'");
        goto fail;
    }
    if (api->param_bool(ctx, "allow_short", &s->allow_short) != 0) {
        snprintf(err, err_len, "ema_cross: cannot read bool parameter 'allow_short'");
        goto fail;
    }
    if (s->fast >= s->slow) {
        snprintf(err, err_len, "ema_cross: fast (%u) must be less than slow (%u)", s->fast, s->slow);
        goto fail;
    }
    s->nsym = api->symbol_count(ctx);
    s->sym = calloc(s->nsym ? s->nsym : 1, sizeof *s->sym);
    if (!s->sym) {
        snprintf(err, err_len, "ema_cross: out of memory for %u symbols", s->nsym);
        goto fail;
    }
    api->log(ctx, GORDON_LOG_INFO,
             "ema_cross: fast=%u slow=%u atr_period=%u atr_mult=%g allow_short=%d warm-up=%u bars",
             s->fast, s->slow, s->atr_period, s->atr_mult, s->allow_short,
             s->slow + 1 > s->atr_period ? s->slow + 1 : s->atr_period);
    *instance = s;
    return 0;
fail:
    free(s);
    return -1;
}

static void destroy(void *instance)
{
    inst *s = instance;
    if (!s)
        return;
    free(s->sym);
    free(s);
}

static void emit(inst *s, uint32_t symbol, int action, int side, double entry, double stop,
                 const char *tag)
{
    gordon_signal sig = GORDON_SIGNAL_INIT;
    int rc;
    sig.symbol = symbol;
    sig.action = action;
    sig.side = side;
    sig.entry = entry;
    sig.stop_loss = stop;
    snprintf(sig.tag, sizeof sig.tag, "%s", tag);
    rc = s->api->emit(s->ctx, &sig);
    if (rc != GORDON_ACCEPTED)
        s->api->log(s->ctx, GORDON_LOG_DEBUG, "ema_cross: %s on symbol %u not accepted (%d)", tag,
                    symbol, rc);
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym_state *st;
    gordon_position pos;
    int fast_ok, slow_ok, atr_ok, sign, prev;
    double diff, dist;

    if (symbol >= s->nsym || !isfinite(bar->close) || !isfinite(bar->high) || !isfinite(bar->low))
        return;
    st = &s->sym[symbol];
    atr_ok = gordon_atr_update(&st->atr, s->atr_period, bar);
    fast_ok = gordon_ema_update(&st->fast, s->fast, bar->close);
    slow_ok = gordon_ema_update(&st->slow, s->slow, bar->close);
    if (!fast_ok || !slow_ok)
        return;

    diff = st->fast.value - st->slow.value;
    sign = diff > 0 ? 1 : diff < 0 ? -1 : 0;
    if (sign == 0)
        return; /* a touch is not a cross; keep the previous sign */
    prev = st->sign;
    st->sign = sign;
    if (prev == 0 || prev == sign || !atr_ok)
        return;

    memset(&pos, 0, sizeof pos);
    pos.struct_size = sizeof pos;
    if (s->api->position(s->ctx, symbol, &pos) != 0)
        pos.side = GORDON_SIDE_NONE;
    dist = s->atr_mult * st->atr.atr;

    if (sign > 0) {
        if (pos.side == GORDON_SIDE_SHORT)
            emit(s, symbol, GORDON_ACTION_EXIT, GORDON_SIDE_NONE, bar->close, 0, "ema_cross up exit");
        if (pos.side == GORDON_SIDE_LONG)
            return;
        if (!(dist > 0) || !(bar->close - dist > 0)) {
            s->api->log(s->ctx, GORDON_LOG_DEBUG,
                        "ema_cross: no long entry on symbol %u: stop distance %g unusable at %g",
                        symbol, dist, bar->close);
            return;
        }
        emit(s, symbol, GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, bar->close, bar->close - dist,
             "ema_cross up");
    } else {
        if (pos.side == GORDON_SIDE_LONG)
            emit(s, symbol, GORDON_ACTION_EXIT, GORDON_SIDE_NONE, bar->close, 0,
                 "ema_cross down exit");
        if (!s->allow_short || pos.side == GORDON_SIDE_SHORT)
            return;
        if (!(dist > 0)) {
            s->api->log(s->ctx, GORDON_LOG_DEBUG,
                        "ema_cross: no short entry on symbol %u: stop distance %g unusable", symbol,
                        dist);
            return;
        }
        emit(s, symbol, GORDON_ACTION_ENTRY, GORDON_SIDE_SHORT, bar->close, bar->close + dist,
             "ema_cross down");
    }
}

/* ------------------------------------------------------------ snapshot */

#define HDR_BYTES (6 * 4)
#define REC_BYTES (2 * (2 * 8 + 4) + (3 * 8 + 4) + 4)

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
    put_u32(&c, s->fast);
    put_u32(&c, s->slow);
    put_u32(&c, s->atr_period);
    for (i = 0; i < s->nsym; i++) {
        const sym_state *st = &s->sym[i];
        put_f64(&c, st->fast.value);
        put_f64(&c, st->fast.sum);
        put_u32(&c, st->fast.count);
        put_f64(&c, st->slow.value);
        put_f64(&c, st->slow.sum);
        put_u32(&c, st->slow.count);
        put_f64(&c, st->atr.atr);
        put_f64(&c, st->atr.sum);
        put_f64(&c, st->atr.prev_close);
        put_u32(&c, st->atr.count);
        put_u32(&c, (uint32_t)st->sign);
    }
    return c.off;
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    cursor c = {NULL, buf, 0};
    sym_state *tmp;
    uint32_t i;
    if (!buf || len != HDR_BYTES + (size_t)s->nsym * REC_BYTES)
        goto refuse;
    if (get_u32(&c) != SNAP_MAGIC || get_u32(&c) != SNAP_VERSION || get_u32(&c) != s->nsym ||
        get_u32(&c) != s->fast || get_u32(&c) != s->slow || get_u32(&c) != s->atr_period)
        goto refuse;
    tmp = calloc(s->nsym ? s->nsym : 1, sizeof *tmp);
    if (!tmp)
        return -1;
    for (i = 0; i < s->nsym; i++) {
        sym_state *st = &tmp[i];
        int32_t sign;
        st->fast.value = get_f64(&c);
        st->fast.sum = get_f64(&c);
        st->fast.count = get_u32(&c);
        st->slow.value = get_f64(&c);
        st->slow.sum = get_f64(&c);
        st->slow.count = get_u32(&c);
        st->atr.atr = get_f64(&c);
        st->atr.sum = get_f64(&c);
        st->atr.prev_close = get_f64(&c);
        st->atr.count = get_u32(&c);
        sign = (int32_t)get_u32(&c);
        st->sign = sign;
        if (st->fast.count > s->fast || st->slow.count > s->slow ||
            st->atr.count > s->atr_period || sign < -1 || sign > 1) {
            free(tmp);
            goto refuse;
        }
    }
    memcpy(s->sym, tmp, (size_t)s->nsym * sizeof *tmp);
    free(tmp);
    return 0;
refuse:
    s->api->log(s->ctx, GORDON_LOG_WARN,
                "ema_cross: snapshot refused (length, magic, version, symbol count or periods differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "ema_cross",
    .version = "1.0.0",
    .description = "EMA(fast) / EMA(slow) crossover; ATR stop; optional shorts",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    /* For the default parameters: max(slow + 1, atr_period). */
    .warmup_bars = 27,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .snapshot = snapshot,
    .restore = restore,
};

GORDON_PLUGIN_ENTRY(desc)
