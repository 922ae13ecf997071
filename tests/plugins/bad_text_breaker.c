/* A breaker that trips after trip_after bars with a reason that is not
 * UTF-8 and is as long as the buffer, so it reaches the latch, the audit
 * trail, the logs and /risk/state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/sdk.h>

typedef struct inst {
    int64_t trip_after;
    int64_t bars;
} inst;

static const gordon_param params[] = {
    {.name = "trip_after", .type = GORDON_PARAM_INT, .def = 300, .min = 1, .max = 1e9,
     .help = "bars before it trips"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    api->param_int(ctx, "trip_after", &s->trip_after);
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }
static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    (void)sym;
    (void)b;
    ((inst *)p)->bars++;
}

static int evaluate(void *p, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    inst *s = p;
    (void)in;
    if (s->bars < s->trip_after)
        return 0;
    out->state = GORDON_BREAKER_TRIPPED;
    out->value = (double)s->bars;
    out->threshold = (double)s->trip_after;
    /* Fill the whole buffer, ending in the middle of a euro sign. */
    memset(out->reason, 'x', sizeof out->reason);
    memcpy(out->reason, "bad \xff\xfe \"why\"\n\\ ", 16);
    memcpy(out->reason + sizeof out->reason - 3, "\xe2\x82", 2);
    out->reason[sizeof out->reason - 1] = '\0';
    return 0;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_BREAKER),
    .name = "bad_text_breaker",
    .version = "0.0",
    .description = "trips with a reason that is not UTF-8 (tests)",
    .params = params,
    .n_params = 1,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .evaluate = evaluate,
};

GORDON_PLUGIN_ENTRY(desc)
