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
 *     api->log for messages;
 *   - no threads, no global mutable state: keep everything in the instance;
 *   - on_bar must not allocate: allocate per-symbol state in create;
 *   - be deterministic: same bars in, same signals out.
 *
 * Build: see Makefile and README.md in this directory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gordon/sdk.h>

/* Per-symbol state: a ring of the last `period` closes and their sum. */
typedef struct sym_state {
    double *ring;      /* period closes, points into inst.closes */
    double sum;        /* sum of the closes in the ring */
    uint32_t n;        /* closes seen, saturating at period */
    uint32_t head;     /* next slot to overwrite */
    double prev_close; /* for the cross test */
    double prev_sma;   /* the SMA at the previous bar */
    int has_prev_sma;  /* 1 once prev_sma exists */
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
    int64_t period = 0;
    uint32_t i;
    inst *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "my_strategy: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    if (api->param_int(ctx, "period", &period) != 0 ||
        api->param_double(ctx, "stop_pct", &s->stop_pct) != 0) {
        snprintf(err, err_len, "my_strategy: cannot read parameters");
        goto fail;
    }
    s->period = (uint32_t)period;
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
    api->log(ctx, GORDON_LOG_INFO, "my_strategy: period=%u stop_pct=%g", s->period, s->stop_pct);
    *instance = s;
    return 0;
fail:
    destroy(s);
    return -1;
}

/* Called once per closed bar of every subscribed symbol, in time order. */
static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym_state *st;
    gordon_position pos = {0};
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

    /* Ask the host what we hold in this symbol (set struct_size first). */
    pos.struct_size = sizeof pos;
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
        if (rc != GORDON_ACCEPTED)
            s->api->log(s->ctx, GORDON_LOG_DEBUG, "my_strategy: entry not accepted (%d)", rc);
    }
    st->prev_close = bar->close;
    st->prev_sma = sma;
    st->has_prev_sma = 1;
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
    /* optional: .on_fill, and .snapshot/.restore to keep state across a hot reload */
};

/* Exports gordon_plugin_entry_v1(), the only symbol the host looks up. */
GORDON_PLUGIN_ENTRY(desc)
