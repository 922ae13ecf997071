/* Kind 7 does not exist: refused (GD_EINVAL). */
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

static const gordon_plugin desc = {
    .magic = GORDON_PLUGIN_MAGIC,
    .struct_size = sizeof(gordon_plugin),
    .abi_major = GORDON_SDK_ABI_MAJOR,
    .abi_minor = GORDON_SDK_ABI_MINOR,
    .kind = 7,
    .param_size = sizeof(gordon_param),
    .name = "bad_kind",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
