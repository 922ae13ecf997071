/* Calls a real (hidden) host function; dlopen must still fail. */
#include <gordon/sdk.h>
const char *gd_strerror(int code);
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
    if (symbol == 12345u) (void)gd_strerror(0);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "host_real_symbol",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
