/*
 * donchian_breakout: Donchian channel breakout (turtle style), long and
 * (optionally) short.
 *
 * Channels are over the PREVIOUS bars, never the current one:
 *   HH(n) = highest high of the n bars before this one,
 *   LL(n) = lowest low of the n bars before this one.
 * On each closed bar, in this order:
 *  1. exits: long and close < LL(exit_period) or close < LL(entry_period)
 *     -> EXIT; short and close > HH(exit_period) or close > HH(entry_period)
 *     -> EXIT. (An opposite breakout always closes the position, even with
 *     allow_short = false.)
 *  2. entries: close > HH(entry_period) and not long -> ENTRY long, stop =
 *     close - atr_mult * ATR; close < LL(entry_period), allow_short and not
 *     short -> ENTRY short, stop = close + atr_mult * ATR.
 * Comparisons are strict: a close equal to the channel is not a breakout.
 * ATR is Wilder's: the first bar's true range is high - low, the first ATR is
 * the mean of the first atr_period true ranges, then
 * atr = (atr * (n - 1) + tr) / n.
 * Warm-up: exits need exit_period prior bars, entries entry_period prior bars
 * and an ATR, i.e. max(entry_period + 1, atr_period) bars for the first
 * signal (warmup_bars, for the defaults), and max(entry_period, exit_period)
 * + 1 bars before both channels are full; warmup() reports the larger of the
 * two for the instance's own parameters.
 *
 * The four channel extremes are kept in monotonic deques (fixed-size rings
 * allocated in create, each holding at most `period` (index, price) pairs):
 * amortised O(1) per bar.
 *
 * snapshot/restore (gordon_snap): header {u32 magic, version, symbol_count,
 * entry_period, exit_period, atr_period}, then per symbol: i64 bars seen, ATR
 * state and the four deques (u32 count, then that many (i64 index, f64
 * price) items, front first). A blob whose header or length differs, or
 * whose deques are inconsistent, is refused, and nothing of it is applied.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x444F4E31u /* "DON1" */
#define SNAP_VERSION 2u

typedef struct dq_item {
    int64_t idx; /* bar number within the symbol */
    double v;
} dq_item;

/* Monotonic deque over a ring of cap items: front = extreme of the window. */
typedef struct deque {
    dq_item *buf;
    uint32_t cap, head, len;
} deque;

enum { DQ_HI_ENTRY, DQ_LO_ENTRY, DQ_HI_EXIT, DQ_LO_EXIT, DQ_N };

typedef struct sym_state {
    int64_t n; /* bars seen */
    gordon_atr atr;
    deque dq[DQ_N];
} sym_state;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t entry_period, exit_period, atr_period;
    double atr_mult;
    int allow_short;
    uint32_t nsym;
    sym_state *sym;
    dq_item *pool; /* every deque's ring, one allocation */
} inst;


static dq_item *dq_at(const deque *d, uint32_t k) { return &d->buf[(d->head + k) % d->cap]; }

/* Drops items with idx < min_idx from the front. */
static void dq_expire(deque *d, int64_t min_idx)
{
    while (d->len > 0 && d->buf[d->head].idx < min_idx) {
        d->head = (d->head + 1) % d->cap;
        d->len--;
    }
}

/* Pushes (idx, v), first dropping from the back every item v dominates:
 * sign = +1 keeps a max deque, -1 a min deque. */
static void dq_push(deque *d, int sign, int64_t idx, double v)
{
    while (d->len > 0 && sign * dq_at(d, d->len - 1)->v <= sign * v)
        d->len--;
    if (d->len == d->cap) { /* cannot happen after dq_expire; stay safe */
        d->head = (d->head + 1) % d->cap;
        d->len--;
    }
    *dq_at(d, d->len) = (dq_item){idx, v};
    d->len++;
}

static const gordon_param params[] = {
    {.name = "entry_period", .type = GORDON_PARAM_INT, .tunable = 1, .def = 20, .min = 2,
     .max = 400, .step = 1, .help = "breakout channel: bars before the current one"},
    {.name = "exit_period", .type = GORDON_PARAM_INT, .tunable = 1, .def = 10, .min = 2,
     .max = 400, .step = 1, .help = "exit channel: bars before the current one"},
    {.name = "atr_period", .type = GORDON_PARAM_INT, .def = 14, .min = 2, .max = 200,
     .help = "Wilder ATR period for the stop distance"},
    {.name = "atr_mult", .type = GORDON_PARAM_DOUBLE, .tunable = 1, .def = 2.0, .min = 0.5,
     .max = 20, .step = 0.5, .help = "stop distance in ATRs from the entry close"},
    {.name = "allow_short", .type = GORDON_PARAM_BOOL, .def = 1,
     .help = "enter short on a downside breakout"},
};

/* See the top: the later of the first possible signal and full channels. */
static uint32_t warmup(void *instance)
{
    const inst *s = instance;
    uint32_t channels = (s->entry_period > s->exit_period ? s->entry_period : s->exit_period) + 1;
    return channels > s->atr_period ? channels : s->atr_period;
}

static uint32_t dq_cap(const inst *s, int k)
{
    return (k == DQ_HI_ENTRY || k == DQ_LO_ENTRY) ? s->entry_period : s->exit_period;
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
    size_t per_sym;
    uint32_t i;
    if (!api || !GORDON_HAS(api, emit)) {
        snprintf(err, err_len, "donchian_breakout: host API table too small");
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "donchian_breakout: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    if (gordon_param_u32(api, ctx, "entry_period", 1, &s->entry_period, err, err_len) ||
        gordon_param_u32(api, ctx, "exit_period", 1, &s->exit_period, err, err_len) ||
        gordon_param_u32(api, ctx, "atr_period", 1, &s->atr_period, err, err_len))
        goto fail;
    if (api->param_double(ctx, "atr_mult", &s->atr_mult) != 0 || !(s->atr_mult > 0)) {
        snprintf(err, err_len, "donchian_breakout: cannot read double parameter 'atr_mult'");
        goto fail;
    }
    if (api->param_bool(ctx, "allow_short", &s->allow_short) != 0) {
        snprintf(err, err_len, "donchian_breakout: cannot read bool parameter 'allow_short'");
        goto fail;
    }
    s->nsym = api->symbol_count(ctx);
    s->sym = calloc(s->nsym ? s->nsym : 1, sizeof *s->sym);
    per_sym = 2 * (size_t)s->entry_period + 2 * (size_t)s->exit_period;
    s->pool = calloc(per_sym * (s->nsym ? s->nsym : 1), sizeof *s->pool);
    if (!s->sym || !s->pool) {
        snprintf(err, err_len, "donchian_breakout: out of memory for %u symbols", s->nsym);
        goto fail;
    }
    for (i = 0; i < s->nsym; i++) {
        dq_item *p = s->pool + per_sym * i;
        int k;
        for (k = 0; k < DQ_N; k++) {
            s->sym[i].dq[k].buf = p;
            s->sym[i].dq[k].cap = dq_cap(s, k);
            p += s->sym[i].dq[k].cap;
        }
    }
    gordon_log(api, ctx, GORDON_LOG_INFO,
             "donchian_breakout: entry_period=%u exit_period=%u atr_period=%u atr_mult=%g "
             "allow_short=%d warm-up=%u bars",
             s->entry_period, s->exit_period, s->atr_period, s->atr_mult, s->allow_short, warmup(s));
    *instance = s;
    return 0;
fail:
    destroy(s);
    return -1;
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
        gordon_log(s->api, s->ctx, GORDON_LOG_DEBUG, "donchian_breakout: %s on symbol %u not accepted (%d)",
                    tag, symbol, rc);
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym_state *st;
    int atr_ok, entry_ok, exit_ok, k;
    double c, hi_e = 0, lo_e = 0, hi_x = 0, lo_x = 0;

    if (symbol >= s->nsym || !isfinite(bar->close) || !isfinite(bar->high) || !isfinite(bar->low))
        return;
    st = &s->sym[symbol];
    c = bar->close;
    atr_ok = gordon_atr_update(&st->atr, s->atr_period, bar);
    entry_ok = st->n >= s->entry_period;
    exit_ok = st->n >= s->exit_period;
    if (entry_ok) {
        hi_e = st->dq[DQ_HI_ENTRY].buf[st->dq[DQ_HI_ENTRY].head].v;
        lo_e = st->dq[DQ_LO_ENTRY].buf[st->dq[DQ_LO_ENTRY].head].v;
    }
    if (exit_ok) {
        hi_x = st->dq[DQ_HI_EXIT].buf[st->dq[DQ_HI_EXIT].head].v;
        lo_x = st->dq[DQ_LO_EXIT].buf[st->dq[DQ_LO_EXIT].head].v;
    }

    if (entry_ok || exit_ok) {
        gordon_position pos = GORDON_POSITION_INIT;
        int side;
        double dist;
        if (s->api->position(s->ctx, symbol, &pos) != 0)
            pos.side = GORDON_SIDE_NONE;
        side = pos.side;
        if (side == GORDON_SIDE_LONG &&
            ((exit_ok && c < lo_x) || (entry_ok && c < lo_e))) {
            emit(s, symbol, GORDON_ACTION_EXIT, GORDON_SIDE_NONE, c, 0, "donchian exit long");
            side = GORDON_SIDE_NONE;
        } else if (side == GORDON_SIDE_SHORT &&
                   ((exit_ok && c > hi_x) || (entry_ok && c > hi_e))) {
            emit(s, symbol, GORDON_ACTION_EXIT, GORDON_SIDE_NONE, c, 0, "donchian exit short");
            side = GORDON_SIDE_NONE;
        }
        dist = s->atr_mult * st->atr.atr;
        if (entry_ok && atr_ok && dist > 0) {
            if (c > hi_e && side != GORDON_SIDE_LONG) {
                if (c - dist > 0)
                    emit(s, symbol, GORDON_ACTION_ENTRY, GORDON_SIDE_LONG, c, c - dist,
                         "donchian long");
            } else if (c < lo_e && s->allow_short && side != GORDON_SIDE_SHORT) {
                emit(s, symbol, GORDON_ACTION_ENTRY, GORDON_SIDE_SHORT, c, c + dist,
                     "donchian short");
            }
        }
    }

    /* Slide the windows: after this bar they cover [n + 1 - period, n]. */
    for (k = 0; k < DQ_N; k++) {
        deque *d = &st->dq[k];
        int hi = (k == DQ_HI_ENTRY || k == DQ_HI_EXIT);
        dq_expire(d, st->n + 1 - (int64_t)d->cap);
        dq_push(d, hi ? 1 : -1, st->n, hi ? bar->high : bar->low);
    }
    st->n++;
}

/* ------------------------------------------------------------ snapshot */

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap w;
    uint32_t i, j;
    int k;
    gordon_snap_write(&w, buf, cap);
    gordon_snap_put_u32(&w, SNAP_MAGIC);
    gordon_snap_put_u32(&w, SNAP_VERSION);
    gordon_snap_put_u32(&w, s->nsym);
    gordon_snap_put_u32(&w, s->entry_period);
    gordon_snap_put_u32(&w, s->exit_period);
    gordon_snap_put_u32(&w, s->atr_period);
    for (i = 0; i < s->nsym; i++) {
        const sym_state *st = &s->sym[i];
        gordon_snap_put_i64(&w, st->n);
        gordon_snap_put_f64(&w, st->atr.atr);
        gordon_snap_put_f64(&w, st->atr.sum);
        gordon_snap_put_f64(&w, st->atr.prev_close);
        gordon_snap_put_u32(&w, st->atr.count);
        for (k = 0; k < DQ_N; k++) {
            const deque *d = &st->dq[k];
            gordon_snap_put_u32(&w, d->len);
            for (j = 0; j < d->len; j++) {
                gordon_snap_put_i64(&w, dq_at(d, j)->idx);
                gordon_snap_put_f64(&w, dq_at(d, j)->v);
            }
        }
    }
    return gordon_snap_end(&w);
}

/* Decodes one symbol's record into st (whose deques point at scratch rings
 * of the right capacities); returns 0 if it is consistent. */
static int decode_sym(const inst *s, gordon_snap *r, sym_state *st)
{
    uint32_t j;
    int k;
    gordon_snap_get_i64(r, &st->n);
    gordon_snap_get_f64(r, &st->atr.atr);
    gordon_snap_get_f64(r, &st->atr.sum);
    gordon_snap_get_f64(r, &st->atr.prev_close);
    gordon_snap_get_u32(r, &st->atr.count);
    if (st->n < 0 || st->atr.count > s->atr_period)
        return -1;
    for (k = 0; k < DQ_N; k++) {
        deque *d = &st->dq[k];
        d->head = 0;
        if (gordon_snap_get_u32(r, &d->len) != 0 || d->len > d->cap)
            return -1;
        for (j = 0; j < d->len; j++) {
            gordon_snap_get_i64(r, &d->buf[j].idx);
            gordon_snap_get_f64(r, &d->buf[j].v);
        }
        /* Items must be strictly newer front to back, inside the window and
         * not newer than the last bar seen. */
        for (j = 0; j < d->len; j++) {
            int64_t idx = d->buf[j].idx;
            if (idx >= st->n || idx < st->n - (int64_t)d->cap ||
                (j > 0 && idx <= d->buf[j - 1].idx))
                return -1;
        }
    }
    return 0;
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap r;
    size_t per_sym = 2 * (size_t)s->entry_period + 2 * (size_t)s->exit_period;
    dq_item *scratch = NULL;
    sym_state *tmp = NULL;
    uint32_t i;
    gordon_snap_read(&r, buf, len);
    if (gordon_snap_expect_u32(&r, SNAP_MAGIC) || gordon_snap_expect_u32(&r, SNAP_VERSION) ||
        gordon_snap_expect_u32(&r, s->nsym) || gordon_snap_expect_u32(&r, s->entry_period) ||
        gordon_snap_expect_u32(&r, s->exit_period) || gordon_snap_expect_u32(&r, s->atr_period))
        goto refuse;
    /* Decode everything into scratch first: all of it is restored, or none. */
    tmp = calloc(s->nsym ? s->nsym : 1, sizeof *tmp);
    scratch = calloc(per_sym * (s->nsym ? s->nsym : 1), sizeof *scratch);
    if (!tmp || !scratch) {
        free(tmp);
        free(scratch);
        return -1;
    }
    for (i = 0; i < s->nsym; i++) {
        dq_item *p = scratch + per_sym * i;
        int k;
        for (k = 0; k < DQ_N; k++) {
            tmp[i].dq[k].buf = p;
            tmp[i].dq[k].cap = dq_cap(s, k);
            p += tmp[i].dq[k].cap;
        }
        if (decode_sym(s, &r, &tmp[i]) != 0)
            goto refuse;
    }
    if (gordon_snap_done(&r) != 0)
        goto refuse;
    /* Adopt the scratch rings as the instance's own. */
    free(s->pool);
    free(s->sym);
    s->pool = scratch;
    s->sym = tmp;
    return 0;
refuse:
    free(tmp);
    free(scratch);
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                "donchian_breakout: snapshot refused (length, magic, version, symbol count, "
                "periods or contents differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "donchian_breakout",
    .version = "1.0.0",
    .description = "Donchian channel breakout with exit channel; ATR stop; optional shorts",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    /* For the default parameters: max(entry_period + 1, atr_period). */
    .warmup_bars = 21,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .snapshot = snapshot,
    .restore = restore,
    .warmup = warmup,
};

GORDON_PLUGIN_ENTRY(desc)
