/* A param default outside [min, max]: refused (GD_EINVAL). */
#include <gordon/sdk.h>

static const gordon_param params[] = {
    {.name = "period", .type = GORDON_PARAM_INT, .def = 100, .min = 2, .max = 50, .help = "x"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    (void)api; (void)ctx; (void)err; (void)err_len;
    *instance = 0;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    (void)instance; (void)symbol; (void)bar;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "bad_params",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = params,
    .n_params = 1,
};

GORDON_PLUGIN_ENTRY(desc)
