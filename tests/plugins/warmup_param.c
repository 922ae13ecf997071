/* A strategy whose warm-up is a parameter, told to the host by warmup()
 * (SDK 1.2). Once the host's history holds that many bars it emits one
 * signal, so a test can see that the host kept enough history; the host
 * refuses an instance asking for more than GORDON_WARMUP_BARS_MAX. */
#include <stdint.h>
#include <stdlib.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t bars;
    gordon_bar *buf; /* bars entries, or NULL when too many to hold */
    int fired;
} inst;

static const gordon_param params[] = {
    {.name = "bars", .type = GORDON_PARAM_INT, .def = 10, .min = 1, .max = 4294967295.0,
     .help = "bars of history this instance asks for"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    int64_t v = 0;
    (void)err;
    (void)n;
    inst *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    api->param_int(ctx, "bars", &v);
    s->api = api;
    s->ctx = ctx;
    s->bars = (uint32_t)v;
    if (s->bars <= 100000)
        s->buf = calloc(s->bars, sizeof *s->buf);
    *out = s;
    return 0;
}

static void destroy(void *p)
{
    inst *s = p;
    free(s->buf);
    free(s);
}

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    if (s->fired || !s->buf || s->api->bars(s->ctx, sym, s->bars, s->buf, sizeof *s->buf) < s->bars)
        return;
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.symbol = sym;
    sig.action = GORDON_ACTION_ENTRY;
    sig.side = GORDON_SIDE_LONG;
    sig.entry = b->close;
    sig.stop_loss = b->close * 0.9;
    s->api->emit(s->ctx, &sig);
    s->fired = 1;
}

static uint32_t warmup(void *p) { return ((inst *)p)->bars; }

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "warmup_param",
    .version = "0.0",
    .description = "warm-up from a parameter through warmup() (tests)",
    .params = params,
    .n_params = 1,
    .warmup_bars = 5,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .warmup = warmup,
};

GORDON_PLUGIN_ENTRY(desc)
