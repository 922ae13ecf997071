/* Looks for the future from on_fill (no-lookahead): a simulated fill comes
 * at the open of the bar after the signal, before that bar has closed for
 * the strategy. Whatever the host's API then gives as the newest bar must
 * be one the strategy has already had in on_bar; a newer one (that bar's
 * high, low and close) would be lookahead. Says "LOOKAHEAD" if it sees one
 * and "peeked N fills" at the end. Goes long when flat, out 5 bars later. */
#include <stdint.h>
#include <stdlib.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int64_t last_close_ms; /* the newest bar on_bar had */
    unsigned held, fills;
} inst;

#include "inst.h"

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = inst_new(api, ctx);
    if (!s)
        return -1;
    *out = s;
    return 0;
}

static void destroy(void *p)
{
    inst *s = p;
    gordon_log(s->api, s->ctx, GORDON_LOG_INFO, "peeked %u fills", s->fills);
    free(s);
}

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    s->last_close_ms = b->close_time_ms;
    gordon_position pos = GORDON_POSITION_INIT;
    if (s->api->position(s->ctx, sym, &pos) != 0 || pos.order_pending)
        return;
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.symbol = sym;
    sig.entry = b->close;
    if (pos.side == GORDON_SIDE_NONE) {
        sig.action = GORDON_ACTION_ENTRY;
        sig.side = GORDON_SIDE_LONG;
        sig.stop_loss = b->close * 0.95;
        s->held = 0;
    } else if (++s->held >= 5) {
        sig.action = GORDON_ACTION_EXIT;
    } else {
        return;
    }
    s->api->emit(s->ctx, &sig);
}

static void on_fill(void *p, const gordon_fill *f)
{
    inst *s = p;
    gordon_bar newest;
    s->fills++;
    if (s->api->bars(s->ctx, f->symbol, 1, &newest, sizeof newest) == 1 && newest.close_time_ms > s->last_close_ms)
        gordon_log(s->api, s->ctx, GORDON_LOG_ERROR, "LOOKAHEAD: a fill at %lld is shown the bar closing at %lld",
                   (long long)f->time_ms, (long long)newest.close_time_ms);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_peek_on_fill",
    .version = "0.0",
    .description = "reads the newest bar from on_fill (tests: no lookahead)",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .on_fill = on_fill,
};

GORDON_PLUGIN_ENTRY(desc)
