/* A strategy whose create() reports an error: refused at start and at reload. */
#include <stdio.h>

#include <gordon/sdk.h>

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)api;
    (void)ctx;
    (void)out;
    snprintf(err, n, "deliberately refusing to start");
    return -1;
}

static void destroy(void *p) { (void)p; }
static void on_bar(void *p, uint32_t sym, const gordon_bar *b) { (void)p; (void)sym; (void)b; }

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "probe",
    .version = "0.0",
    .description = "create() fails (tests)",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
