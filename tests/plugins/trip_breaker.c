/* A breaker that trips at a configured time for hold_ms (one minute by
 * default), then reports ok again: the host's latch must stay set
 * regardless. */
#include <stdio.h>
#include <stdlib.h>

#include <gordon/sdk.h>

typedef struct inst {
    int64_t at, hold;
} inst;

static const gordon_param params[] = {
    {.name = "trip_at_ms", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 9e15, .help = "when"},
    {.name = "hold_ms", .type = GORDON_PARAM_INT, .def = 60000, .min = 1, .max = 9e15, .help = "for how long"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    inst *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    api->param_int(ctx, "trip_at_ms", &s->at);
    api->param_int(ctx, "hold_ms", &s->hold);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static int evaluate(void *p, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    const inst *s = p;
    /* Tripped for hold_ms, then quiet again. */
    int trip = in->now_ms >= s->at && in->now_ms < s->at + s->hold;
    out->state = trip ? GORDON_BREAKER_TRIPPED : GORDON_BREAKER_OK;
    out->value = (double)in->now_ms;
    out->threshold = (double)s->at;
    if (trip)
        snprintf(out->reason, sizeof out->reason, "scheduled trip");
    return 0;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_BREAKER),
    .name = "trip_breaker",
    .version = "1.0",
    .description = "trips once at trip_at_ms",
    .params = params,
    .n_params = 2,
    .create = create,
    .destroy = destroy,
    .evaluate = evaluate,
};

GORDON_PLUGIN_ENTRY(desc)
