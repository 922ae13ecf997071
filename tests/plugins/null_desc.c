/* The entry point returns NULL: refused (GD_EPLUGIN). */
#include <gordon/sdk.h>
#include <stddef.h>

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
    .name = "null_desc",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void);
GORDON_EXPORT const gordon_plugin *gordon_plugin_entry_v1(void)
{
    /* Always NULL; desc is referenced only to keep the file warning-free. */
    return desc.magic == 0 ? &desc : NULL;
}
