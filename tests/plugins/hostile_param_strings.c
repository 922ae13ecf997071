/* Issue 11: a string param's default points at the top of the address
 * space, not the plugin's memory; the descriptor's own strings are fine.
 * Refused (GD_EINVAL) naming the param and def_str. */
#include <stdint.h>

#include <gordon/sdk.h>

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

static const gordon_param params[] = {
    {.name = "period", .type = GORDON_PARAM_INT, .def = 10, .min = 2, .max = 50, .help = "ok"},
    {.name = "label", .type = GORDON_PARAM_STRING, .def_str = (const char *)(UINTPTR_MAX - 15u),
     .help = "a default nobody can read"},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_param_strings",
    .version = "1.0",
    .description = "a valid description",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = params,
    .n_params = 2,
};

GORDON_PLUGIN_ENTRY(desc)
