/* Issue 11: the description points at address 16 and a param's help at
 * the top of the address space, neither of them the plugin's memory.
 * Refused (GD_EINVAL) at the description, the first of them checked. */
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
    {.name = "period", .type = GORDON_PARAM_INT, .def = 10, .min = 2, .max = 50,
     .help = (const char *)(UINTPTR_MAX - 15u)},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_desc_strings",
    .version = "1.0",
    .description = (const char *)(uintptr_t)16u,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .params = params,
    .n_params = 1,
};

GORDON_PLUGIN_ENTRY(desc)
