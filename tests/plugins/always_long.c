/* Goes long whenever flat, stop 1% below the close: keeps positions open so
 * that halt, flatten and restart can be tested on something real. */
#include <stdio.h>
#include <stdlib.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    double scale;
} inst;

static const gordon_param params[] = {
    {.name = "risk_scale", .type = GORDON_PARAM_DOUBLE, .def = 1, .min = 0.001, .max = 1,
     .help = "fraction of the risk budget per entry"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    inst *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    api->param_double(ctx, "risk_scale", &s->scale);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    gordon_position pos = {.struct_size = sizeof pos};
    if (s->api->position(s->ctx, sym, &pos) != 0 || pos.side != GORDON_SIDE_NONE || pos.order_pending)
        return;
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.symbol = sym;
    sig.action = GORDON_ACTION_ENTRY;
    sig.side = GORDON_SIDE_LONG;
    sig.entry = b->close;
    sig.stop_loss = b->close * 0.99;
    sig.risk_scale = s->scale;
    snprintf(sig.tag, sizeof sig.tag, "always long");
    s->api->emit(s->ctx, &sig);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "always_long",
    .version = "1.0",
    .description = "long whenever flat (tests)",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
