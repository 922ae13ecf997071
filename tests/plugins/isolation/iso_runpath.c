/* Isolation class 4: a plugin that brings a library of its own, iso_dep
 * (DT_NEEDED libiso_dep.so, found through DT_RUNPATH $ORIGIN), whose
 * constructor connects out and creates a file before any plugin code runs.
 * The lint refuses the search path and the library; the suite also loads
 * it in a gordon-worker directly to show the sandbox would stop it. */
#include <gordon/sdk.h>

int iso_dep_value(void);

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)api, (void)ctx, (void)err, (void)err_len;
    *instance = 0;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    (void)instance, (void)bar;
    if (symbol == 12345u)
        (void)iso_dep_value();
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_runpath",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
