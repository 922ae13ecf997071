/* The isolation suite's control: runs a plugin with NO sandbox and no lint,
 * in this process, so the suite can show that each hostile plugin's attack
 * really works when nothing stops it (a test that cannot fail proves
 * nothing). A minimal host: create with the parameters given as
 * key=value arguments, three on_bar calls, destroy. log() prints to stdout.
 * usage: iso_harness PLUGIN.so [key=value]... */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/sdk.h>

static int g_argc;
static char **g_argv;

static const char *arg_of(const char *name)
{
    size_t n = strlen(name);
    for (int i = 2; i < g_argc; i++)
        if (!strncmp(g_argv[i], name, n) && g_argv[i][n] == '=')
            return g_argv[i] + n + 1;
    return NULL;
}

static void h_log(gordon_ctx *ctx, int level, const char *msg, ...)
{
    (void)ctx;
    printf("harness: log %d: %s\n", level, msg);
    fflush(stdout);
}

static int h_int(gordon_ctx *ctx, const char *name, int64_t *out)
{
    (void)ctx;
    const char *v = arg_of(name);
    if (!v)
        return -1;
    *out = strtoll(v, NULL, 10);
    return 0;
}

static int h_double(gordon_ctx *ctx, const char *name, double *out)
{
    (void)ctx;
    const char *v = arg_of(name);
    if (!v)
        return -1;
    *out = strtod(v, NULL);
    return 0;
}

static int h_bool(gordon_ctx *ctx, const char *name, int *out)
{
    (void)ctx;
    const char *v = arg_of(name);
    if (!v)
        return -1;
    *out = !strcmp(v, "true");
    return 0;
}

static int h_string(gordon_ctx *ctx, const char *name, const char **out)
{
    (void)ctx;
    const char *v = arg_of(name);
    *out = v ? v : "";
    return 0;
}

static int64_t h_now(gordon_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static uint32_t h_count(gordon_ctx *ctx)
{
    (void)ctx;
    return 1;
}

static const char *h_name(gordon_ctx *ctx, uint32_t s)
{
    (void)ctx;
    return s == 0 ? "USDCHF" : NULL;
}

static int h_sub(gordon_ctx *ctx, uint32_t s)
{
    (void)ctx;
    return s == 0;
}

static size_t h_bars(gordon_ctx *ctx, uint32_t s, size_t n, gordon_bar *out, size_t elem)
{
    (void)ctx, (void)s, (void)n, (void)out, (void)elem;
    return 0;
}

static int h_position(gordon_ctx *ctx, uint32_t s, gordon_position *out)
{
    (void)ctx, (void)s, (void)out;
    return -1;
}

static double h_equity(gordon_ctx *ctx)
{
    (void)ctx;
    return 10000;
}

static int h_emit(gordon_ctx *ctx, const gordon_signal *sig)
{
    (void)ctx, (void)sig;
    return GORDON_REJECT_HALTED;
}

static const gordon_host_api api = {
    .struct_size = sizeof(gordon_host_api),
    .abi_major = GORDON_SDK_ABI_MAJOR,
    .abi_minor = GORDON_SDK_ABI_MINOR,
    .bar_size = sizeof(gordon_bar),
    .log = h_log,
    .param_int = h_int,
    .param_double = h_double,
    .param_bool = h_bool,
    .param_string = h_string,
    .now_ms = h_now,
    .symbol_count = h_count,
    .symbol_name = h_name,
    .subscribed = h_sub,
    .bars = h_bars,
    .position = h_position,
    .equity = h_equity,
    .emit = h_emit,
};

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    if (argc < 2) {
        fprintf(stderr, "usage: iso_harness PLUGIN.so [key=value]...\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("harness: dlopen: %s\n", dlerror());
        return 1;
    }
    printf("harness: loaded %s\n", argv[1]);
    fflush(stdout);
    gordon_plugin_entry_fn entry = (gordon_plugin_entry_fn)dlsym(h, GORDON_ENTRY_SYMBOL);
    const gordon_plugin *d = entry ? entry() : NULL;
    if (!d || !d->create) {
        printf("harness: no descriptor\n");
        return 1;
    }
    void *self = NULL;
    char err[256] = "";
    if (d->create(&api, (gordon_ctx *)&api, &self, err, sizeof err) != 0) {
        printf("harness: create failed: %s\n", err);
        return 1;
    }
    gordon_bar bar = {0, 1800000, 1.0, 1.0, 1.0, 1.0, 0.0};
    for (int i = 0; i < 3 && d->on_bar; i++)
        d->on_bar(self, 0, &bar);
    if (d->destroy)
        d->destroy(self);
    printf("harness: done\n");
    return 0;
}
