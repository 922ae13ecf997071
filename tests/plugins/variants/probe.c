/* Reload probe: one descriptor name ("probe") in two builds (PROBE_VERSION
 * 1 and 2) that behave differently, to show a reload really swaps the code.
 * v1 goes long when flat; v2 asks to go short (refused while the long is open). */
#include <stdio.h>
#include <stdlib.h>

#include <gordon/sdk.h>

#ifndef PROBE_VERSION
#define PROBE_VERSION 1 /* tests/engine.cmake builds it with 1 and with 2 */
#endif
#define VERSION PROBE_VERSION

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint64_t bars;
} inst;

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    inst *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    gordon_position pos = {.struct_size = sizeof pos};
    if (++s->bars % 10 || s->api->position(s->ctx, sym, &pos) != 0 || pos.order_pending)
        return;
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.symbol = sym;
    sig.action = GORDON_ACTION_ENTRY;
    sig.entry = b->close;
    sig.risk_scale = 0.1;
    snprintf(sig.tag, sizeof sig.tag, "probe-v%d", VERSION);
    if (VERSION == 1) {
        if (pos.side != GORDON_SIDE_NONE)
            return;
        sig.side = GORDON_SIDE_LONG;
        sig.stop_loss = b->close * 0.99;
    } else {
        sig.side = GORDON_SIDE_SHORT;
        sig.stop_loss = b->close * 1.01;
    }
    s->api->emit(s->ctx, &sig);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "probe",
    .version = VERSION == 1 ? "1.0" : "2.0",
    .description = "reload probe (tests)",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
