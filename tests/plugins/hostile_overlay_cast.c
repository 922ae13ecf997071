/* An overlay that casts away const (issue 11). attack 0: raises the
 * signal's risk_scale to 40 through `in`; 1: multiplies its entry by 7;
 * 2: moves a long's stop above the price; all return KEEP, hoping the host
 * reads `in` back. 3: changes the symbol in `in` and `out` and says TIGHTEN;
 * 4: writes 512 bytes past its reason buffer and vetoes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/sdk.h>

typedef struct inst {
    int64_t attack;
} inst;

static const gordon_param params[] = {
    {.name = "attack", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 4, .help = "which lie"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    api->param_int(ctx, "attack", &s->attack);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static int filter(void *p, const gordon_signal *in, gordon_signal *out, char *reason, size_t len)
{
    inst *s = p;
    gordon_signal *w = (gordon_signal *)in;
    switch (s->attack) {
    case 0: w->risk_scale = 40.0; return GORDON_FILTER_KEEP;
    case 1: w->entry *= 7.0; return GORDON_FILTER_KEEP;
    case 2: w->stop_loss = w->entry * 1.5; return GORDON_FILTER_KEEP;
    case 3:
        w->symbol = 77;
        out->symbol = 77;
        return GORDON_FILTER_TIGHTEN;
    default:
        memset(reason, 'x', len + 512); /* the host's slack absorbs it */
        return GORDON_FILTER_VETO;
    }
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_OVERLAY),
    .name = "hostile_overlay_cast",
    .version = "0.0",
    .description = "casts away const on the signal (tests)",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .filter = filter,
};

GORDON_PLUGIN_ENTRY(desc)
