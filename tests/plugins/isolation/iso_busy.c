/* Isolation class 7: a plugin that does not return. On every bar:
 *  attack = spin:    for (;;), forever;
 *  attack = spin200: 200 ms of spinning on the clock (a sleep that makes
 *                    no forbidden system call: clock_gettime is allowed).
 * The host must kill the worker at its deadline, quarantine the instance,
 * restart it with backoff (its warm-up spins again) and give up after
 * max_restarts, while the operator API keeps answering.
 *  attack = spin_create: dies on its first bar (a forbidden call), and its
 *                    create() spins forever once the wall clock passes
 *                    after_wall_ms: the first start is quick, every restart
 *                    hangs until the host's start budget runs out. */
#include "iso.h"

#include <time.h>

static int64_t clock_ms(clockid_t clock)
{
    struct timespec ts = {0, 0};
    ISO_SYS3(SYS_clock_gettime, clock, &ts, 0);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    int64_t after = 0;
    (void)err, (void)err_len;
    if (iso_create_common(api, ctx, instance) != 0)
        return -1;
    const iso_self *s = *instance;
    if (!strcmp(s->attack, "spin_create") && api->param_int(ctx, "after_wall_ms", &after) == 0 && after > 0 &&
        clock_ms(CLOCK_REALTIME) > after)
        for (volatile unsigned long n = 0;; n++)
            ;
    return 0;
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    iso_self *s = instance;
    (void)symbol;
    if (bar->open_time_ms < s->from_ms)
        return;
    if (!strcmp(s->attack, "spin_create")) {
        iso_log(s, "dying, to be restarted", 0);
        ISO_SYS3(SYS_socket, 2, 1, 0);
        return;
    }
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
    ISO_PARAM_STR("attack", "spin, spin200 or spin_create"),
    {.name = "after_wall_ms", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 1e15, .help = "spin_create's time"},
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
