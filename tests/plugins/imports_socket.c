/* Calls socket(): the loader must refuse it (network). */
#include <gordon/sdk.h>
#include <sys/socket.h>
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
    if (symbol == 12345u) (void)socket(AF_INET, SOCK_STREAM, 0);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "imports_socket",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
