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
 * ready is dropped): warm-up = max(slow + 1, atr_period) bars, which the
 * warmup() callback reports for the instance's own parameters.
 *  - cross up:   EXIT if short; ENTRY long, stop = close - atr_mult * ATR
 *                (unless already long).
 *  - cross down: EXIT if long; ENTRY short, stop = close + atr_mult * ATR, if
 *                allow_short (unless already short).
 * Entries use the bar's close as the entry reference. The host owns sizing,
 * fills and stops; no trailing stop here.
 *
 * snapshot/restore (gordon_snap, native byte order, for a hot reload in the
 * same process): header {u32 magic, version, symbol_count, fast, slow,
 * atr_period}, then per symbol {fast EMA, slow EMA, ATR, u32 sign + 1}. A
 * blob whose header or length differs (another plugin, version, symbol count
 * or periods) or whose counts are out of range is refused, and nothing of it
 * is applied.
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
#define SNAP_VERSION 2u

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

/* First signal possible on bar max(slow + 1, atr_period): see the top. */
static uint32_t warmup(void *instance)
{
    const inst *s = instance;
    return s->slow + 1 > s->atr_period ? s->slow + 1 : s->atr_period;
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s = NULL;
    if (!api || !GORDON_HAS(api, emit)) {
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
    if (gordon_param_u32(api, ctx, "fast", 1, &s->fast, err, err_len) ||
        gordon_param_u32(api, ctx, "slow", 1, &s->slow, err, err_len) ||
        gordon_param_u32(api, ctx, "atr_period", 1, &s->atr_period, err, err_len))
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
    gordon_log(api, ctx, GORDON_LOG_INFO,
             "ema_cross: fast=%u slow=%u atr_period=%u atr_mult=%g allow_short=%d warm-up=%u bars",
             s->fast, s->slow, s->atr_period, s->atr_mult, s->allow_short, warmup(s));
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
        gordon_log(s->api, s->ctx, GORDON_LOG_DEBUG, "ema_cross: %s on symbol %u not accepted (%d)", tag,
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

    /* Only on a crossing: the common bar returns above without it. */
    pos = (gordon_position)GORDON_POSITION_INIT;
    if (s->api->position(s->ctx, symbol, &pos) != 0)
        pos.side = GORDON_SIDE_NONE;
    dist = s->atr_mult * st->atr.atr;

    if (sign > 0) {
        if (pos.side == GORDON_SIDE_SHORT)
            emit(s, symbol, GORDON_ACTION_EXIT, GORDON_SIDE_NONE, bar->close, 0, "ema_cross up exit");
        if (pos.side == GORDON_SIDE_LONG)
            return;
        if (!(dist > 0) || !(bar->close - dist > 0)) {
            gordon_log(s->api, s->ctx, GORDON_LOG_DEBUG,
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
            gordon_log(s->api, s->ctx, GORDON_LOG_DEBUG,
                        "ema_cross: no short entry on symbol %u: stop distance %g unusable", symbol,
                        dist);
            return;
        }
        emit(s, symbol, GORDON_ACTION_ENTRY, GORDON_SIDE_SHORT, bar->close, bar->close + dist,
             "ema_cross down");
    }
}

/* ------------------------------------------------------------ snapshot */

static void put_ema(gordon_snap *w, const gordon_ema *e)
{
    gordon_snap_put_f64(w, e->value);
    gordon_snap_put_f64(w, e->sum);
    gordon_snap_put_u32(w, e->count);
}

static void get_ema(gordon_snap *r, gordon_ema *e)
{
    gordon_snap_get_f64(r, &e->value);
    gordon_snap_get_f64(r, &e->sum);
    gordon_snap_get_u32(r, &e->count);
}

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap w;
    uint32_t i;
    gordon_snap_write(&w, buf, cap);
    gordon_snap_put_u32(&w, SNAP_MAGIC);
    gordon_snap_put_u32(&w, SNAP_VERSION);
    gordon_snap_put_u32(&w, s->nsym);
    gordon_snap_put_u32(&w, s->fast);
    gordon_snap_put_u32(&w, s->slow);
    gordon_snap_put_u32(&w, s->atr_period);
    for (i = 0; i < s->nsym; i++) {
        const sym_state *st = &s->sym[i];
        put_ema(&w, &st->fast);
        put_ema(&w, &st->slow);
        gordon_snap_put_f64(&w, st->atr.atr);
        gordon_snap_put_f64(&w, st->atr.sum);
        gordon_snap_put_f64(&w, st->atr.prev_close);
        gordon_snap_put_u32(&w, st->atr.count);
        gordon_snap_put_u32(&w, (uint32_t)(st->sign + 1)); /* -1, 0, 1 as 0..2 */
    }
    return gordon_snap_end(&w);
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap r;
    sym_state *tmp;
    uint32_t i;
    gordon_snap_read(&r, buf, len);
    if (gordon_snap_expect_u32(&r, SNAP_MAGIC) || gordon_snap_expect_u32(&r, SNAP_VERSION) ||
        gordon_snap_expect_u32(&r, s->nsym) || gordon_snap_expect_u32(&r, s->fast) ||
        gordon_snap_expect_u32(&r, s->slow) || gordon_snap_expect_u32(&r, s->atr_period))
        goto refuse;
    /* Decode into scratch first: all of it is restored, or none. */
    tmp = calloc(s->nsym ? s->nsym : 1, sizeof *tmp);
    if (!tmp)
        return -1;
    for (i = 0; i < s->nsym; i++) {
        sym_state *st = &tmp[i];
        uint32_t sign = 0;
        get_ema(&r, &st->fast);
        get_ema(&r, &st->slow);
        gordon_snap_get_f64(&r, &st->atr.atr);
        gordon_snap_get_f64(&r, &st->atr.sum);
        gordon_snap_get_f64(&r, &st->atr.prev_close);
        gordon_snap_get_u32(&r, &st->atr.count);
        gordon_snap_get_u32(&r, &sign);
        if (st->fast.count > s->fast || st->slow.count > s->slow ||
            st->atr.count > s->atr_period || sign > 2)
            break;
        st->sign = (int32_t)sign - 1;
    }
    if (i < s->nsym || gordon_snap_done(&r) != 0) {
        free(tmp);
        goto refuse;
    }
    memcpy(s->sym, tmp, (size_t)s->nsym * sizeof *tmp);
    free(tmp);
    return 0;
refuse:
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                "ema_cross: snapshot refused (length, magic, version, symbol count, periods or "
                "contents differ)");
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
    .warmup = warmup,
};

GORDON_PLUGIN_ENTRY(desc)
