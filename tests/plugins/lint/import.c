/* Imports one function named by GD_LINT_IMPORT (tests/lint.cmake builds it
 * once per name): glibc aliases of process, network and signal functions
 * that a deny list missed. Declared here so nothing else comes with them;
 * never called. */
#include <gordon/sdk.h>

extern int GD_LINT_IMPORT(void);

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)api;
    (void)ctx;
    (void)err;
    (void)err_len;
    *instance = 0;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    (void)instance;
    (void)bar;
    if (symbol == 12345u)
        (void)GD_LINT_IMPORT();
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "lint_import",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
