/* A plugin the lint passes: it imports only allowlisted libc and libm
 * functions. tests/lint.cmake also links it with a RUNPATH, an RPATH and a
 * look-alike libc, and strips its section headers. */
#include <gordon/sdk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct good {
    double sum;
    char label[32];
} good;

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    good *g = calloc(1, sizeof *g);

    (void)api;
    (void)ctx;
    if (!g) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    snprintf(g->label, sizeof g->label, "good %d", 1);
    *instance = g;
    return 0;
}

static void destroy(void *instance) { free(instance); }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    good *g = instance;

    (void)symbol;
    g->sum += sqrt(fabs(bar->close));
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "lint_good",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
