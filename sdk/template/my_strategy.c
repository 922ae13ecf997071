/*
 * my_strategy: a minimal, complete gordon strategy plugin to copy and edit.
 *
 * Rule (simple moving-average momentum, long only):
 *   - ENTRY long when the close crosses above SMA(period) of closes
 *     (this close > SMA, previous close <= previous SMA), stop stop_pct
 *     percent below the close;
 *   - EXIT when the close falls below the SMA while long.
 *
 * What the host does for you: it sizes the order (equity x risk% / |entry -
 * stop|), fills it at the next bar's open, applies overlays, breakers and caps,
 * and manages the stop. A plugin never states a quantity.
 *
 * Rules for plugins (the loader refuses a .so that breaks the first one):
 *   - no I/O of any kind (files, sockets, getenv, printf to stdout...); use
 *     gordon_log (helpers.h) for messages;
 *   - no threads, no global mutable state: keep everything in the instance;
 *   - on_bar must not allocate: allocate per-symbol state in create;
 *   - be deterministic: same bars in, same signals out.
 *
 * Optional parts shown here: warmup() (the warm-up depends on `period`) and
 * snapshot()/restore(), which carry the SMA rings across a hot reload so the
 * new instance trades on at once instead of warming up again.
 *
 * Build: see Makefile and README.md in this directory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gordon/helpers.h> /* not ABI: compiled into the plugin (snapshots, params) */
#include <gordon/sdk.h>     /* the contract with the host */

#define SNAP_MAGIC 0x4D595331u /* "MYS1": refuses another plugin's blob */
#define SNAP_VERSION 1u        /* bump when the layout below changes */

/* Per-symbol state: a ring of the last `period` closes and their sum. */
typedef struct sym_state {
    double *ring;      /* period closes, points into inst.closes */
    double sum;        /* sum of the closes in the ring */
    uint32_t n;        /* closes seen, saturating at period */
    uint32_t head;     /* next slot to overwrite */
    double prev_close; /* for the cross test */
    double prev_sma;   /* the SMA at the previous bar */
    uint32_t has_prev_sma; /* 1 once prev_sma exists */
} sym_state;

typedef struct inst {
    const gordon_host_api *api; /* the host's table: our only way to act */
    gordon_ctx *ctx;            /* opaque; pass it back on every call */
    uint32_t period;
    double stop_pct;
    uint32_t nsym;
    sym_state *sym;
    double *closes;             /* nsym * period, one allocation */
} inst;

/* Parameters: the host validates the INI section against these (unknown
 * keys and out-of-range values are configuration errors) before create(). */
static const gordon_param params[] = {
    {.name = "period", .type = GORDON_PARAM_INT, .tunable = 1, .def = 50, .min = 2, .max = 1000,
     .step = 5, .help = "SMA period in bars"},
    {.name = "stop_pct", .type = GORDON_PARAM_DOUBLE, .tunable = 1, .def = 2.0, .min = 0.1,
     .max = 50, .step = 0.5, .help = "stop loss distance below the entry, in percent"},
};

static void destroy(void *instance)
{
    inst *s = instance;
    if (!s)
        return;
    free(s->closes);
    free(s->sym);
    free(s);
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    uint32_t i;
    inst *s;
    /* Everything used here is 1.0; check newer members with GORDON_HAS. */
    if (!api || !GORDON_HAS(api, emit)) {
        snprintf(err, err_len, "my_strategy: host API table too small");
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "my_strategy: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    /* gordon_param_u32 writes the reason into err; the host names the plugin. */
    if (gordon_param_u32(api, ctx, "period", 1, &s->period, err, err_len) != 0)
        goto fail;
    if (api->param_double(ctx, "stop_pct", &s->stop_pct) != 0) {
        snprintf(err, err_len, "cannot read double parameter 'stop_pct'");
        goto fail;
    }
    /* Symbols are numbered 0..symbol_count-1; allocate state for all now. */
    s->nsym = api->symbol_count(ctx);
    s->sym = calloc(s->nsym ? s->nsym : 1, sizeof *s->sym);
    s->closes = calloc((size_t)s->period * (s->nsym ? s->nsym : 1), sizeof *s->closes);
    if (!s->sym || !s->closes) {
        snprintf(err, err_len, "my_strategy: out of memory");
        goto fail;
    }
    for (i = 0; i < s->nsym; i++)
        s->sym[i].ring = s->closes + (size_t)s->period * i;
    gordon_log(api, ctx, GORDON_LOG_INFO, "my_strategy: period=%u stop_pct=%g", s->period, s->stop_pct);
    *instance = s;
    return 0;
fail:
    destroy(s);
    return -1;
}

/* Bars of history this instance needs: the first cross compares with the
 * SMA of the previous bar, so period + 1. warmup_bars below says the same
 * for the default period; this tells the host about the configured one. */
static uint32_t warmup(void *instance)
{
    const inst *s = instance;
    return s->period + 1;
}

/* Called once per closed bar of every subscribed symbol, in time order. */
static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym_state *st;
    gordon_position pos = GORDON_POSITION_INIT; /* struct_size set for the host */
    double sma;

    if (symbol >= s->nsym)
        return;
    st = &s->sym[symbol];

    /* O(1) rolling SMA: replace the oldest close in the ring. */
    if (st->n == s->period)
        st->sum -= st->ring[st->head];
    else
        st->n++;
    st->ring[st->head] = bar->close;
    st->sum += bar->close;
    st->head = (st->head + 1) % s->period;
    if (st->n < s->period) {
        st->prev_close = bar->close;
        return; /* warming up: no signals yet */
    }
    sma = st->sum / s->period;

    /* Ask the host what we hold in this symbol. */
    if (s->api->position(s->ctx, symbol, &pos) != 0)
        pos.side = GORDON_SIDE_NONE;

    if (pos.side == GORDON_SIDE_LONG && bar->close < sma) {
        gordon_signal sig = GORDON_SIGNAL_INIT;
        sig.symbol = symbol;
        sig.action = GORDON_ACTION_EXIT;
        snprintf(sig.tag, sizeof sig.tag, "my_strategy exit");
        s->api->emit(s->ctx, &sig);
    } else if (pos.side == GORDON_SIDE_NONE && !pos.order_pending && st->has_prev_sma &&
               st->prev_close <= st->prev_sma && bar->close > sma) {
        gordon_signal sig = GORDON_SIGNAL_INIT; /* sets struct_size and risk_scale = 1 */
        int rc;
        sig.symbol = symbol;
        sig.action = GORDON_ACTION_ENTRY;
        sig.side = GORDON_SIDE_LONG;
        sig.entry = bar->close;                            /* reference price */
        sig.stop_loss = bar->close * (1 - s->stop_pct / 100); /* required, below a long */
        snprintf(sig.tag, sizeof sig.tag, "my_strategy long");
        rc = s->api->emit(s->ctx, &sig);
        /* 0 accepted, > 0 a gordon_reject code, -1 not allowed now (e.g. warm-up) */
        if (rc != GORDON_ACCEPTED)
            gordon_log(s->api, s->ctx, GORDON_LOG_DEBUG, "my_strategy: entry not accepted (%d)", rc);
    }
    st->prev_close = bar->close;
    st->prev_sma = sma;
    st->has_prev_sma = 1;
}

/* Hot reload: the host asks the old instance for its state and hands it to
 * the new one (possibly a new build of this file). The blob stays in one
 * process, so native byte order is fine. Layout: {magic, version, nsym,
 * period}, then per symbol {n, head, has_prev_sma, sum, prev_close,
 * prev_sma, ring[period]}. One pass writes it, or, when buf is NULL or too
 * small, only measures it: gordon_snap_end() returns the size either way. */
static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap w;
    uint32_t i, j;
    gordon_snap_write(&w, buf, cap);
    gordon_snap_put_u32(&w, SNAP_MAGIC);
    gordon_snap_put_u32(&w, SNAP_VERSION);
    gordon_snap_put_u32(&w, s->nsym);
    gordon_snap_put_u32(&w, s->period);
    for (i = 0; i < s->nsym; i++) {
        const sym_state *st = &s->sym[i];
        gordon_snap_put_u32(&w, st->n);
        gordon_snap_put_u32(&w, st->head);
        gordon_snap_put_u32(&w, st->has_prev_sma);
        gordon_snap_put_f64(&w, st->sum);
        gordon_snap_put_f64(&w, st->prev_close);
        gordon_snap_put_f64(&w, st->prev_sma);
        for (j = 0; j < s->period; j++)
            gordon_snap_put_f64(&w, st->ring[j]);
    }
    return gordon_snap_end(&w);
}

/* Restore all of it or nothing: check the header against this instance
 * (another period or symbol count means the state does not fit), decode into
 * scratch, check that the blob ended exactly there, and only then adopt it.
 * On refusal the host warms the instance up from bar history instead. */
static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap r;
    sym_state *sym = NULL;
    double *closes = NULL;
    uint32_t i, j;
    gordon_snap_read(&r, buf, len);
    if (gordon_snap_expect_u32(&r, SNAP_MAGIC) || gordon_snap_expect_u32(&r, SNAP_VERSION) ||
        gordon_snap_expect_u32(&r, s->nsym) || gordon_snap_expect_u32(&r, s->period))
        goto refuse;
    sym = calloc(s->nsym ? s->nsym : 1, sizeof *sym);
    closes = calloc((size_t)s->period * (s->nsym ? s->nsym : 1), sizeof *closes);
    if (!sym || !closes)
        goto refuse;
    for (i = 0; i < s->nsym; i++) {
        sym_state *st = &sym[i];
        st->ring = closes + (size_t)s->period * i;
        gordon_snap_get_u32(&r, &st->n);
        gordon_snap_get_u32(&r, &st->head);
        gordon_snap_get_u32(&r, &st->has_prev_sma);
        gordon_snap_get_f64(&r, &st->sum);
        gordon_snap_get_f64(&r, &st->prev_close);
        gordon_snap_get_f64(&r, &st->prev_sma);
        for (j = 0; j < s->period; j++)
            gordon_snap_get_f64(&r, &st->ring[j]);
        /* values on_bar relies on: an index inside the ring */
        if (st->n > s->period || st->head >= s->period || st->has_prev_sma > 1)
            goto refuse;
    }
    if (gordon_snap_done(&r) != 0) /* truncated, or bytes left over */
        goto refuse;
    free(s->sym);
    free(s->closes);
    s->sym = sym;
    s->closes = closes;
    return 0;
refuse:
    free(sym);
    free(closes);
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN, "my_strategy: snapshot refused (it does not match)");
    return -1;
}

/* The descriptor: GORDON_PLUGIN_HEADER fills magic, sizes and ABI version. */
static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "my_strategy", /* [a-z0-9_]+, unique among loaded plugins */
    .version = "0.1.0",
    .description = "long when the close crosses above its SMA; exit below it",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 51, /* period + 1 for the default: the first cross needs a previous SMA */
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .snapshot = snapshot, /* optional: state across a hot reload */
    .restore = restore,
    .warmup = warmup,     /* optional (SDK 1.2): warm-up for the configured period */
    /* optional too: .on_fill, to hear about this strategy's fills */
};

/* Exports gordon_plugin_entry_v1(), the only symbol the host looks up. */
GORDON_PLUGIN_ENTRY(desc)
