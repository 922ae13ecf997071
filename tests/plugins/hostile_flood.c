/* Floods the pipeline (issue 11): `burst` entry signals in one on_bar, every
 * `every` bars. The host decides at most 16 per call and summarises the
 * rest in one intent and one log line: the run's time and the size of its
 * intent log and log stay bounded whatever the burst. */
#include <stdint.h>
#include <stdlib.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int64_t burst, every;
    int64_t n;
} inst;

#include "inst.h"

static const gordon_param params[] = {
    {.name = "burst", .type = GORDON_PARAM_INT, .def = 1000000, .min = 1, .max = 100000000, .help = "emits per burst"},
    {.name = "every", .type = GORDON_PARAM_INT, .def = 50, .min = 1, .max = 1000000, .help = "bars between bursts"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = inst_new(api, ctx);
    if (!s)
        return -1;
    api->param_int(ctx, "burst", &s->burst);
    api->param_int(ctx, "every", &s->every);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    if (++s->n % s->every)
        return;
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.symbol = sym;
    sig.action = GORDON_ACTION_ENTRY;
    sig.side = GORDON_SIDE_LONG;
    sig.entry = b->close;
    sig.stop_loss = b->close * 0.98;
    for (int64_t i = 0; i < s->burst; i++)
        s->api->emit(s->ctx, &sig);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_flood",
    .version = "0.0",
    .description = "emits a million signals in one on_bar (tests)",
    .params = params,
    .n_params = 2,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
