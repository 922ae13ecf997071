/* A valid minimal strategy with two params; the loader's happy path. */
#include <gordon/sdk.h>
#include <stdlib.h>

typedef struct state { uint32_t bars; } state;

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    (void)api; (void)ctx; (void)err; (void)err_len;
    *instance = calloc(1, sizeof(state));
    return *instance ? 0 : -1;
}

static void destroy(void *instance) { free(instance); }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    (void)symbol; (void)bar;
    ((state *)instance)->bars++;
}

static void on_fill(void *instance, const gordon_fill *fill) { (void)instance; (void)fill; }

static const gordon_param params[] = {
    {.name = "fast", .type = GORDON_PARAM_INT, .tunable = 1, .def = 10, .min = 2, .max = 50,
     .step = 1, .help = "fast moving average length"},
    {.name = "threshold", .type = GORDON_PARAM_DOUBLE, .def = 0.5, .min = 0, .max = 1,
     .help = "entry threshold"},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "good_strategy",
    .version = "1.2.3",
    .description = "test strategy for the loader",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 20,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .on_fill = on_fill,
};

GORDON_PLUGIN_ENTRY(desc)
