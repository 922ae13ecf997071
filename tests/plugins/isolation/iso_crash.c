/* Isolation class 8: a plugin that takes its own process down, or tries to
 * change how signals reach it, on its first bar:
 *  abort:        libc's abort(), found in memory;
 *  assert:       __assert_fail (on the import allowlist), as assert() does;
 *  segv:         raise(SIGSEGV), found in memory;
 *  nullwrite:    a store to address 16;
 *  alarm:        alarm(1), then 2 s of spinning on the clock (pause-like);
 *  pthread_exit: the worker's only thread exits (found in memory: the lint
 *                refuses the import);
 *  sigaction:    SIGTERM, SIGINT and SIGHUP ignored and every signal
 *                blocked, by raw rt_sigaction / rt_sigprocmask, then back
 *                to work as if nothing happened;
 *  timer:        timer_create(SIGEV_THREAD) + timer_settime, found in
 *                memory: glibc starts a thread, whose callback creates MARKER;
 *  killhost:     raw getppid + kill(SIGKILL): the host itself.
 * The daemon must keep running and answering, and stop cleanly on SIGTERM. */
#include "iso.h"

#include <signal.h>
#include <time.h>

/* What assert() calls; <assert.h> declares it only without NDEBUG. */
void __assert_fail(const char *assertion, const char *file, unsigned int line, const char *function)
    __attribute__((noreturn));

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

static void notify(union sigval v)
{
    const iso_self *s = v.sival_ptr;
    iso_raw_create(s->marker, "iso_crash timer thread\n");
}

/* The kernel's struct sigaction (x86-64 and aarch64 layouts agree here). */
typedef struct iso_ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
} iso_ksigaction;

static void *libc_fn(iso_self *s, const char *name)
{
    iso_obj libc;
    void *fn = iso_find_libc(&libc, "fnptr", s->api, s->ctx) == 0 ? iso_sym(&libc, name) : NULL;
    if (!fn)
        iso_log(s, name, -1);
    return fn;
}

static void timer_attack(iso_self *s)
{
    int (*tc)(clockid_t, struct sigevent *, timer_t *) = libc_fn(s, "timer_create");
    int (*ts)(timer_t, int, const struct itimerspec *, struct itimerspec *) = libc_fn(s, "timer_settime");
    struct sigevent sev;
    struct itimerspec when;
    timer_t t;
    if (!tc || !ts)
        return;
    memset(&sev, 0, sizeof sev);
    memset(&when, 0, sizeof when);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = notify;
    sev.sigev_value.sival_ptr = s;
    when.it_value.tv_nsec = 1000000;
    iso_log(s, "timer_create(SIGEV_THREAD)", 0);
    int rc = tc(CLOCK_MONOTONIC, &sev, &t);
    iso_log(s, "timer_create(SIGEV_THREAD)", rc);
    if (rc == 0)
        iso_log(s, "timer_settime(1 ms)", ts(t, 0, &when, NULL));
    for (int64_t until = mono_ms() + 20; mono_ms() < until;)
        ;
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    iso_self *s = instance;
    const char *a = s->attack;
    (void)symbol;
    if (!iso_now(s, bar))
        return;
    iso_log(s, "starting", 0);
    if (!strcmp(a, "abort")) {
        void (*f)(void) = libc_fn(s, "abort");
        if (f)
            f();
    } else if (!strcmp(a, "assert")) {
        __assert_fail("a hostile plugin", __FILE__, __LINE__, __func__);
    } else if (!strcmp(a, "segv")) {
        int (*f)(int) = libc_fn(s, "raise");
        if (f)
            iso_log(s, "raise(SIGSEGV)", f(SIGSEGV));
    } else if (!strcmp(a, "nullwrite")) {
        volatile int *p = (volatile int *)(uintptr_t)(16 + s->port); /* port: 0, unknown to the compiler */
        *p = 1;
    } else if (!strcmp(a, "alarm")) {
        unsigned (*f)(unsigned) = libc_fn(s, "alarm");
        if (f)
            iso_log(s, "alarm(1)", f(1));
        for (int64_t until = mono_ms() + 2000; mono_ms() < until;)
            ;
    } else if (!strcmp(a, "pthread_exit")) {
        void (*f)(void *) = libc_fn(s, "pthread_exit");
        if (f)
            f(NULL);
    } else if (!strcmp(a, "sigaction")) {
        iso_ksigaction ign = {(void *)SIG_IGN, 0, NULL, 0};
        unsigned long all = ~0ul;
        iso_log(s, "raw rt_sigaction(SIGTERM, SIG_IGN)", iso_sys(SYS_rt_sigaction, SIGTERM, (long)&ign, 0, 8, 0, 0));
        iso_log(s, "raw rt_sigaction(SIGINT, SIG_IGN)", iso_sys(SYS_rt_sigaction, SIGINT, (long)&ign, 0, 8, 0, 0));
        iso_log(s, "raw rt_sigaction(SIGHUP, SIG_IGN)", iso_sys(SYS_rt_sigaction, SIGHUP, (long)&ign, 0, 8, 0, 0));
        iso_log(s, "raw rt_sigprocmask(SIG_BLOCK, all)",
                iso_sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, 8, 0, 0));
    } else if (!strcmp(a, "timer")) {
        timer_attack(s);
    } else if (!strcmp(a, "killhost")) {
        long ppid = ISO_SYS3(SYS_getppid, 0, 0, 0);
        iso_log(s, "raw getppid()", ppid);
        if (ppid > 1)
            iso_log(s, "raw kill(host, SIGKILL)", ISO_SYS3(SYS_kill, ppid, SIGKILL, 0));
    }
    iso_log(s, "still running", 0);
}

static const gordon_param params[] = {
    ISO_PARAM_FROM,
    ISO_PARAM_STR("attack", "abort, assert, segv, nullwrite, alarm, pthread_exit, sigaction, timer, killhost"),
    ISO_PARAM_STR("marker", "a file the timer thread tries to create"),
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_crash",
    .version = "1.0",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .create = create,
    .destroy = iso_destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
