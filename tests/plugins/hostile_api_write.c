/* Tries to rewrite the host through what it was given (issue 11). attack 0:
 * points the host-API table's emit at its own function; 1: writes through
 * its gordon_ctx as if it were the host's instance; 2: stores into the
 * table's padding past its end; 3: renames symbol 0 through the pointer
 * symbol_name returns (orders are routed by that name); 4: writes through
 * and past the pointer param_string returns. Each write must fault (the
 * table, the names and the strings are read-only, the handle is not an
 * address), never silently succeed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int64_t attack;
    unsigned n;
} inst;

#include "inst.h"

static const gordon_param params[] = {
    {.name = "attack", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 4, .help = "which write"},
    {.name = "label", .type = GORDON_PARAM_STRING, .def_str = "abc", .help = "a string to write through"},
};

static int my_emit(gordon_ctx *ctx, const gordon_signal *sig)
{
    (void)ctx;
    (void)sig;
    return 0;
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = inst_new(api, ctx);
    if (!s)
        return -1;
    api->param_int(ctx, "attack", &s->attack);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    (void)sym;
    (void)b;
    if (++s->n < 20)
        return;
    /* volatile: the compiler must not drop or reorder the stores */
    if (s->attack == 0) {
        gordon_host_api *w = (gordon_host_api *)s->api;
        *(int (*volatile *)(gordon_ctx *, const gordon_signal *)) & w->emit = my_emit;
    } else if (s->attack == 1) {
        memset((void *)s->ctx, 0x41, 64);
    } else if (s->attack == 2) {
        volatile unsigned char *end = (volatile unsigned char *)s->api + s->api->struct_size;
        end[0] = 0x41;
    } else if (s->attack == 3) {
        volatile char *name = (volatile char *)s->api->symbol_name(s->ctx, 0);
        if (name)
            name[0] = 'Z';
    } else {
        const char *label = NULL;
        if (s->api->param_string(s->ctx, "label", &label) == 0 && label)
            memset((char *)label, 'Z', 64);
    }
    s->api->log(s->ctx, GORDON_LOG_ERROR, "hostile_api_write: the write went through");
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_api_write",
    .version = "0.0",
    .description = "writes to the host-API table and through its handle (tests)",
    .params = params,
    .n_params = 2,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
