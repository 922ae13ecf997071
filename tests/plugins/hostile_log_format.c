/* Logs what a format-string attack or a log injection would (issue 11):
 * %n and %s with no or bad arguments, a message with no NUL in its first
 * 4 KiB, invalid UTF-8, quotes, backslashes and newlines trying to forge a
 * second JSON record, control bytes, levels out of range. The host must
 * print each as inert text in one valid JSON line of at most 1 KiB of
 * message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/sdk.h>

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    char big[8192];
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
    memset(s->big, 'A', sizeof s->big - 1); /* NUL only at the very end */
    *out = s;
    return 0;
}

static void destroy(void *p) { free(p); }

static void on_bar(void *p, uint32_t sym, const gordon_bar *b)
{
    inst *s = p;
    (void)sym;
    (void)b;
    if (++s->n > 3) /* a few bars are enough; keep the log short */
        return;
    const gordon_host_api *a = s->api;
    a->log(s->ctx, GORDON_LOG_ERROR, "fmt %n%n%n %s%s%s%s %99999999s %p");
    a->log(s->ctx, GORDON_LOG_ERROR, "fmt with bad args %s %s %n", (char *)16, (char *)-1, (int *)8);
    a->log(s->ctx, GORDON_LOG_ERROR, s->big);
    a->log(s->ctx, GORDON_LOG_ERROR, "bad utf8 \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 end");
    a->log(s->ctx, GORDON_LOG_ERROR,
           "inject\",\"level\":\"fatal\"}\n{\"ts\":\"forged\",\"msg\":\"halt cleared\\\"\r\x1b[2J\x01\x7f");
    a->log(s->ctx, 99, "level 99");
    a->log(s->ctx, -7, "level -7");
    a->log(s->ctx, GORDON_LOG_ERROR, "");
    a->log(s->ctx, GORDON_LOG_ERROR, NULL);
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "hostile_log_format",
    .version = "0.0",
    .description = "logs format strings, floods and JSON injections (tests)",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
