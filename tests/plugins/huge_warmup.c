/* Declares more warm-up than any host keeps: refused at load (GD_ERANGE),
 * before the host would try to allocate the history. */
#include <stdint.h>

#include <gordon/sdk.h>

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)api;
    (void)ctx;
    (void)err;
    (void)n;
    *out = (void *)1;
    return 0;
}

static void destroy(void *p) { (void)p; }
static void on_bar(void *p, uint32_t sym, const gordon_bar *b) { (void)p; (void)sym; (void)b; }

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "huge_warmup",
    .version = "0.0",
    .description = "warmup_bars = UINT32_MAX (tests)",
    .warmup_bars = UINT32_MAX,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
