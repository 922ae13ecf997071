/* A strategy that does everything wrong on purpose: random sides, stops on
 * either side or missing, NaN/inf/negative prices, huge risk scales, unknown
 * symbols and actions, short structs, and misuse of the host API. The host
 * must turn all of it into well-formed intents within every rule. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint64_t rng;
    uint32_t nsym;
} inst;

static const gordon_param params[] = {
    {.name = "seed", .type = GORDON_PARAM_INT, .def = 1, .min = 1, .max = 1e9, .help = "rng seed"},
};

static uint64_t rnd(inst *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static double price(inst *s, double ref)
{
    switch (rnd(s) % 14) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -ref;
    case 3: return 0.0;
    case 4: return 1e308;
    case 5: return 1e-308;
    case 6: return ref; /* zero distance */
    default: return ref * (1.0 + ((double)(rnd(s) % 400) - 200.0) / 2000.0);
    }
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    inst *s = calloc(1, sizeof *s);
    int64_t seed = 1;
    if (!s) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    api->param_int(ctx, "seed", &seed);
    s->rng = (uint64_t)seed * 0x9E3779B97F4A7C15ull | 1;
    s->nsym = api->symbol_count(ctx);
    /* Emitting from create is not allowed. */
    gordon_signal sig = GORDON_SIGNAL_INIT;
    sig.action = GORDON_ACTION_ENTRY;
    sig.side = GORDON_SIDE_LONG;
    sig.entry = 100;
    sig.stop_loss = 90;
    if (api->emit(ctx, &sig) != -1) {
        snprintf(err, n, "host accepted a signal from create()");
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    /* Misuse that must be refused without harm. */
    int64_t i;
    const char *str;
    gordon_position small;
    gordon_bar hist[4];
    (void)s->api->param_int(s->ctx, "no_such_param", &i);
    (void)s->api->param_string(s->ctx, "seed", &str); /* wrong type */
    memset(&small, 0, sizeof small);
    small.struct_size = 4;
    (void)s->api->position(s->ctx, sym, &small);
    (void)s->api->bars(s->ctx, sym + 1000, 4, hist, sizeof hist[0]);
    (void)s->api->bars(s->ctx, sym, 1000000, hist, 0);
    (void)s->api->bars(s->ctx, sym, 4, hist, SIZE_MAX / 2); /* a stride that wraps the host's writes */
    (void)s->api->emit(NULL, NULL);

    int n = (int)(rnd(s) % 4);
    for (int k = 0; k < n; k++) {
        gordon_signal sig = GORDON_SIGNAL_INIT;
        sig.symbol = rnd(s) % 10 ? sym : (uint32_t)(rnd(s) % (s->nsym + 2));
        sig.action = (int32_t)(rnd(s) % 5 ? (rnd(s) % 3 ? GORDON_ACTION_ENTRY : GORDON_ACTION_EXIT)
                                          : (int32_t)(rnd(s) % 7) - 2);
        sig.side = (int32_t)(rnd(s) % 6 ? (rnd(s) % 2 ? GORDON_SIDE_LONG : GORDON_SIDE_SHORT)
                                        : (int32_t)(rnd(s) % 9) - 4);
        sig.entry = rnd(s) % 8 ? b->close : price(s, b->close);
        sig.stop_loss = price(s, sig.entry);
        sig.take_profit = rnd(s) % 3 ? 0.0 : price(s, sig.entry);
        sig.risk_scale = rnd(s) % 4 ? 1.0 : (double)(rnd(s) % 1000) / 10.0 - 10.0;
        if (rnd(s) % 40 == 0)
            sig.struct_size = (uint32_t)(rnd(s) % sizeof sig);
        memset(sig.tag, 'x', sizeof sig.tag); /* not NUL-terminated */
        (void)s->api->emit(s->ctx, &sig);
    }
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_strategy",
    .version = "1.0",
    .description = "emits garbage signals to test the host's risk pipeline",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
