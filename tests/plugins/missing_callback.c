/* A strategy without on_bar: refused (GD_EINVAL). */
#include <gordon/sdk.h>

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    (void)api; (void)ctx; (void)err; (void)err_len;
    *instance = 0;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "missing_callback",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    /* .on_bar deliberately missing */
};

GORDON_PLUGIN_ENTRY(desc)
