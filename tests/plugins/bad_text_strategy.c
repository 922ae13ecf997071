/* A strategy whose text is not UTF-8 (tags, log lines) and has quotes and
 * newlines in it: every record it reaches must still be valid JSON and
 * valid UTF-8. It is long in a position or flat, alternating. */
#include <stdlib.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    unsigned n;
} inst;

#include "inst.h"

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **out, char *err, size_t n)
{
    (void)err;
    (void)n;
    inst *s = inst_new(api, ctx);
    if (!s)
        return -1;
    *out = s;
    /* A finished message with broken bytes, and a % that must not format. */
    api->log(ctx, GORDON_LOG_WARN, "created \xff\xfe \"quoted\"\nnext line %n %s \xc3");
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    if (++s->n % 10)
        return;
    gordon_signal sig = GORDON_SIGNAL_INIT;
    gordon_position pos = GORDON_POSITION_INIT;
    s->api->position(s->ctx, sym, &pos);
    sig.symbol = sym;
    sig.action = pos.side == GORDON_SIDE_NONE ? GORDON_ACTION_ENTRY : GORDON_ACTION_EXIT;
    sig.side = GORDON_SIDE_LONG;
    sig.entry = b->close;
    sig.stop_loss = b->close * 0.97;
    /* 31 bytes of trouble: invalid bytes, a quote, a backslash, a newline, a cut euro sign. */
    static const char tag[] = "\xff\"\\\n\x01 bad \xc3\x28 tag \xe2\x82\xac\xe2\x82";
    for (size_t i = 0; i + 1 < sizeof tag && i + 1 < sizeof sig.tag; i++)
        sig.tag[i] = tag[i];
    s->api->emit(s->ctx, &sig);
    if (s->n % 200 == 0)
        s->api->log(s->ctx, GORDON_LOG_WARN, "bar: \xed\xa0\x80 surrogate, \xc0\xaf overlong");
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "bad_text_strategy",
    .version = "0.0",
    .description = "text that is not UTF-8 in tags and logs (tests)",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
