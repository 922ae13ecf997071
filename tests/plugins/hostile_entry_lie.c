/* Lies about its entry price (issue 11): mode 0 is a long claiming entry 1
 * with a stop at 0.99 whatever the market trades at (the old pipeline sized
 * that at 1 and bought a fortune); mode 1 a short claiming three times the
 * price with a stop 1% above its claim. The host must size at its own price
 * and refuse claims far from it. */
#include <stdint.h>
#include <stdlib.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int64_t mode;
    unsigned n;
} inst;

#include "inst.h"

static const gordon_param params[] = {
    {.name = "mode", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 1, .help = "0 low long, 1 high short"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = inst_new(api, ctx);
    if (!s)
        return -1;
    api->param_int(ctx, "mode", &s->mode);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    if (++s->n % 7)
        return;
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.symbol = sym;
    sig.action = GORDON_ACTION_ENTRY;
    if (s->mode == 0) {
        sig.side = GORDON_SIDE_LONG;
        sig.entry = 1.0;
        sig.stop_loss = 0.99;
    } else {
        sig.side = GORDON_SIDE_SHORT;
        sig.entry = b->close * 3.0;
        sig.stop_loss = b->close * 3.03;
    }
    s->api->emit(s->ctx, &sig);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_entry_lie",
    .version = "0.0",
    .description = "claims entry prices far from the market (tests)",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
