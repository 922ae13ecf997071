/* Keeps the host's handle past its instance and forges others (issue 11).
 * Every on_bar also calls through forged handles (an address, the next
 * index with the same generation -- a live instance's handle, maybe -- its
 * own with the generation bumped or cleared); from a destructor, when the
 * library is unloaded, it calls through the one it kept. Every such call must be refused and counted
 * (gordon_plugin_refused_calls_total), never reach another instance. */
#include <stdint.h>
#include <stdlib.h>

#include <gordon/sdk.h>

static const gordon_host_api *g_api;
static gordon_ctx *g_ctx;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int forge;
} inst;

#include "inst.h"

static const gordon_param params[] = {
    {.name = "forge", .type = GORDON_PARAM_BOOL, .def = 1, .help = "forge handles on every bar"},
};

static void misuse(const gordon_host_api *api, gordon_ctx *ctx, uint32_t sym)
{
    gordon_signal sig = GORDON_SIGNAL_INIT;
    int64_t i;
    sig.symbol = sym;
    sig.action = GORDON_ACTION_ENTRY;
    sig.side = GORDON_SIDE_LONG;
    sig.entry = 1.0;
    sig.stop_loss = 0.5;
    api->emit(ctx, &sig);
    api->log(ctx, GORDON_LOG_ERROR, "hostile_stale_handle: a stale handle logged");
    api->param_int(ctx, "fast", &i);
    api->symbol_count(ctx);
    api->symbol_name(ctx, 0);
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = inst_new(api, ctx);
    if (!s)
        return -1;
    g_api = api;
    g_ctx = ctx;
    api->param_bool(ctx, "forge", &s->forge);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    uintptr_t h = (uintptr_t)s->ctx;
    (void)b;
    if (!s->forge)
        return;
    misuse(s->api, (gordon_ctx *)(uintptr_t)0x1000, sym);
    misuse(s->api, (gordon_ctx *)(h + 1), sym);
    misuse(s->api, (gordon_ctx *)(h + ((uintptr_t)1 << 32)), sym);
    misuse(s->api, (gordon_ctx *)(h & 0xffffffffu), sym);
}

__attribute__((destructor)) static void at_unload(void)
{
    if (g_api)
        misuse(g_api, g_ctx, 0);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_stale_handle",
    .version = "0.0",
    .description = "calls the host through stale and forged handles (tests)",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
