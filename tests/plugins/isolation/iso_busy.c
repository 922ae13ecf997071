/* Isolation class 7: a plugin that does not return. On every bar:
 *  attack = spin:    for (;;), forever;
 *  attack = spin200: 200 ms of spinning on the clock (a sleep that makes
 *                    no forbidden system call: clock_gettime is allowed).
 * The host must kill the worker at its deadline, quarantine the instance,
 * restart it with backoff (its warm-up spins again) and give up after
 * max_restarts, while the operator API keeps answering. */
#include "iso.h"

#include <time.h>

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)err, (void)err_len;
    return iso_create_common(api, ctx, instance);
}

static int64_t mono_ms(void)
{
    struct timespec ts = {0, 0};
    ISO_SYS3(SYS_clock_gettime, CLOCK_MONOTONIC, &ts, 0);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    iso_self *s = instance;
    (void)symbol;
    if (bar->open_time_ms < s->from_ms)
        return;
    if (!s->done++)
        iso_log(s, "spinning", 0);
    if (!strcmp(s->attack, "spin")) {
        for (volatile unsigned long n = 0;; n++)
            ;
    } else if (!strcmp(s->attack, "spin200")) {
        int64_t until = mono_ms() + 200;
        while (mono_ms() < until)
            ;
    }
}

static const gordon_param params[] = {
    ISO_PARAM_FROM,
    ISO_PARAM_STR("attack", "spin or spin200"),
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_busy",
    .version = "1.0",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .create = create,
    .destroy = iso_destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
