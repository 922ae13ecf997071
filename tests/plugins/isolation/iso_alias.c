/* Isolation class 3: glibc's other names for what plugins may not call:
 * _IO_popen, __libc_system, __socket, __connect, __fork, __sigaction,
 * gsignal, timer_create. Built twice (tests/isolation.cmake):
 *  - iso_alias_import_NAME.so (GD_ISO_IMPORT=NAME) imports the alias: the
 *    lint refuses it, and the suite runs it in a gordon-worker directly to
 *    show the sandbox stops the call too;
 *  - iso_alias_walk.so imports nothing refused and finds the alias named by
 *    attack in libc's memory (iso.h), so the call happens inside the worker.
 * Each is called on the first bar:
 *  _IO_popen, __libc_system: "touch MARKER" through /bin/sh;
 *  __socket: a socket, then a raw connect to 127.0.0.1:port;
 *  __connect: on fd (a parameter; -1: a raw socket), to 127.0.0.1:port;
 *  __fork: the child creates MARKER;
 *  __sigaction: SIGTERM ignored; gsignal: SIGTERM raised;
 *  timer_create: a SIGEV_THREAD timer (a thread of glibc's). */
#include "iso.h"

#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

FILE *_IO_popen(const char *cmd, const char *mode);
int __libc_system(const char *cmd);
int __socket(int domain, int type, int protocol);
int __connect(int fd, const struct sockaddr *sa, socklen_t len);
pid_t __fork(void);
int __sigaction(int sig, const struct sigaction *sa, struct sigaction *old);

#define ISO_STR_(x) #x
#define ISO_STR(x)  ISO_STR_(x)

typedef struct alias_self {
    iso_self s;
    int64_t fd;
} alias_self;

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)err, (void)err_len;
    alias_self *a = calloc(1, sizeof *a);
    void *common = NULL;
    if (!a || iso_create_common(api, ctx, &common) != 0) {
        free(a);
        free(common);
        return -1;
    }
    a->s = *(iso_self *)common;
    free(common);
    if (api->param_int(ctx, "fd", &a->fd) != 0)
        a->fd = -1;
#ifdef GD_ISO_IMPORT
    snprintf(a->s.attack, sizeof a->s.attack, "%s", ISO_STR(GD_ISO_IMPORT));
#endif
    *instance = a;
    return 0;
}

static void notify(union sigval v)
{
    const iso_self *s = v.sival_ptr;
    iso_raw_create(s->marker, "iso_alias timer thread\n");
}

/* The alias, imported or found in memory. */
static void *alias_fn(iso_self *s)
{
#ifdef GD_ISO_IMPORT
    (void)s;
    return (void *)&GD_ISO_IMPORT;
#else
    iso_obj libc;
    if (iso_find_libc(&libc, "fnptr", s->api, s->ctx) != 0)
        return NULL;
    return iso_sym(&libc, s->attack);
#endif
}

static void call_alias(iso_self *s, int64_t fd_param, void *fn)
{
    const char *a = s->attack;
    char cmd[600];
    iso_sin sa = iso_loopback((int)s->port);
    snprintf(cmd, sizeof cmd, "touch '%s'", s->marker);
    iso_log(s, "calling the alias", 0);
    if (!strcmp(a, "_IO_popen")) {
        iso_log(s, "_IO_popen() != NULL", ((FILE * (*)(const char *, const char *)) fn)(cmd, "r") != NULL);
    } else if (!strcmp(a, "__libc_system")) {
        iso_log(s, "__libc_system()", ((int (*)(const char *))fn)(cmd));
    } else if (!strcmp(a, "__socket")) {
        long fd = ((int (*)(int, int, int))fn)(2, 1, 0);
        iso_log(s, "__socket()", fd);
        if (fd >= 0 && ISO_SYS3(SYS_connect, fd, &sa, sizeof sa) == 0)
            iso_log(s, "write()", ISO_SYS3(SYS_write, fd, "iso_alias __socket\n", 19));
    } else if (!strcmp(a, "__connect")) {
        long fd = fd_param >= 0 ? fd_param : ISO_SYS3(SYS_socket, 2, 1, 0);
        long rc = ((int (*)(int, const void *, unsigned))fn)((int)fd, &sa, sizeof sa);
        iso_log(s, "__connect()", rc);
        if (rc == 0)
            iso_log(s, "write()", ISO_SYS3(SYS_write, fd, "iso_alias __connect\n", 20));
    } else if (!strcmp(a, "__fork")) {
        long pid = ((pid_t(*)(void))fn)();
        if (pid == 0) {
            iso_raw_create(s->marker, "iso_alias __fork child\n");
            iso_sys(SYS_exit_group, 0, 0, 0, 0, 0, 0);
        }
        iso_log(s, "__fork()", pid);
    } else if (!strcmp(a, "__sigaction")) {
        struct sigaction act;
        memset(&act, 0, sizeof act);
        act.sa_handler = SIG_IGN;
        iso_log(s, "__sigaction(SIGTERM, SIG_IGN)",
                ((int (*)(int, const struct sigaction *, struct sigaction *))fn)(SIGTERM, &act, NULL));
    } else if (!strcmp(a, "gsignal")) {
        iso_log(s, "gsignal(SIGTERM)", ((int (*)(int))fn)(SIGTERM));
    } else if (!strcmp(a, "timer_create")) {
        struct sigevent sev;
        timer_t t;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = SIGEV_THREAD;
        sev.sigev_notify_function = notify;
        sev.sigev_value.sival_ptr = s;
        iso_log(s, "timer_create(SIGEV_THREAD)",
                ((int (*)(clockid_t, struct sigevent *, timer_t *))fn)(CLOCK_MONOTONIC, &sev, &t));
    }
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    alias_self *as = instance;
    iso_self *s = &as->s;
    (void)symbol;
    if (!iso_now(s, bar))
        return;
    void *fn = alias_fn(s);
    if (!fn) {
        iso_log(s, "looking it up", -1);
        return;
    }
    call_alias(s, as->fd, fn);
}

static const gordon_param params[] = {
    ISO_PARAM_FROM,
    ISO_PARAM_STR("attack", "the alias to call (the walk variant)"),
    ISO_PARAM_PORT,
    ISO_PARAM_STR("marker", "a file the attack tries to create"),
    {.name = "fd", .type = GORDON_PARAM_INT, .def = -1, .min = -1, .max = 1024, .help = "__connect's socket"},
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_alias",
    .version = "1.0",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .create = create,
    .destroy = iso_destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
