/* Writes around the bar it is given (issue 11): the bar itself and up to 16
 * bars either side, hoping the pointer is into the host's data (the next
 * bar = the future, the same bar = the next plugin's input). The host hands
 * out bars in a read-only view of its history between guard pages: the
 * first write must fault, and nothing the other plugins see can change. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gordon/sdk.h>

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)api;
    (void)ctx;
    (void)err;
    (void)n;
    *out = (void *)1; /* no state */
    return 0;
}

static void destroy(void *p) { (void)p; }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    (void)p;
    (void)sym;
    gordon_bar *w = (gordon_bar *)b;
    for (int k = -16; k <= 16; k++) {
        gordon_bar *x = w + k;
        x->open = x->high = x->low = x->close = 1e9;
        x->volume = NAN;
        x->open_time_ms = x->close_time_ms = INT64_MAX;
    }
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_future_bars",
    .version = "0.0",
    .description = "writes over its bar and 16 bars either side (tests)",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
