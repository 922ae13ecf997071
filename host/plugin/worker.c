#include "plugin/worker.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/hash.h"
#include "plugin/lint.h"
#include "plugin/sandbox.h"

#ifndef GD_WORKER_INSTALLED
#define GD_WORKER_INSTALLED "/usr/libexec/gordon/gordon-worker"
#endif

void gd_worker_conf_default(gd_worker_conf *c)
{
    memset(c, 0, sizeof *c);
    c->deadline_ms = 50;
    c->start_ms = 5000;
    c->address_space_mb = 1024;
    c->cpu_seconds = 24 * 3600;
    c->cpu = -1;
}

static int executable(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

int gd_worker_find_exe(const char *explicit_path, char *out, size_t cap, gd_err *err)
{
    char self[PATH_MAX], beside[PATH_MAX + 32];
    if (explicit_path && explicit_path[0]) {
        if (!executable(explicit_path))
            return gd_err_set(err, GD_ENOENT, "plugin worker %s: not an executable file", explicit_path);
        snprintf(out, cap, "%s", explicit_path);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    beside[0] = '\0';
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(beside, sizeof beside, "%s/gordon-worker", self);
            if (executable(beside)) {
                snprintf(out, cap, "%s", beside);
                return 0;
            }
#ifdef GD_INSTALL_LIBEXECDIR_REL
            /* An install into a prefix: P/bin/gordon, P/LIBEXECDIR/gordon/gordon-worker. */
            char inst[PATH_MAX + 64];
            if (GD_INSTALL_LIBEXECDIR_REL[0] != '/' &&
                snprintf(inst, sizeof inst, "%s/../%s/gordon/gordon-worker", self, GD_INSTALL_LIBEXECDIR_REL) <
                    (int)sizeof inst &&
                executable(inst)) {
                snprintf(out, cap, "%s", inst);
                return 0;
            }
#endif
        }
    }
    if (executable(GD_WORKER_INSTALLED)) {
        snprintf(out, cap, "%s", GD_WORKER_INSTALLED);
        return 0;
    }
    return gd_err_set(err, GD_ENOENT, "no plugin worker program: neither %s nor %s is executable (set [isolation] worker)",
                      beside[0] ? beside : "(beside the executable)", GD_WORKER_INSTALLED);
}

/* ------------------------------------------------------------ process */

int gd_worker_spawn(const gd_worker_conf *c, const char *plugin_path, uint32_t load_flags, gd_worker *w,
                    gd_err *err)
{
    int sv[2] = {-1, -1}, child = -1, rc = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int fa_ok = 0, attr_ok = 0;
    sigset_t all, none;

    w->pid = 0;
    w->fd = -1;
    w->why[0] = '\0';
    w->status = 0;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return gd_err_set(err, GD_EIO, "socketpair: %s", strerror(errno));
    /* Above the worker's fd 3, so dup2 always makes a fresh, inheritable copy. */
    child = fcntl(sv[1], F_DUPFD_CLOEXEC, GD_WORKER_FD + 1);
    if (child < 0) {
        rc = gd_err_set(err, GD_EIO, "fcntl: %s", strerror(errno));
        goto out;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        rc = gd_err_set(err, GD_ENOMEM, "posix_spawn set-up failed");
        goto out;
    }
    fa_ok = 1;
    if (posix_spawnattr_init(&attr) != 0) {
        rc = gd_err_set(err, GD_ENOMEM, "posix_spawn set-up failed");
        goto out;
    }
    attr_ok = 1;
    sigfillset(&all);
    sigemptyset(&none);
    int e = posix_spawn_file_actions_adddup2(&fa, child, GD_WORKER_FD);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
#if !defined(__SANITIZE_ADDRESS__)
    /* Sanitizer builds keep stderr for the runtime's reports. */
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
#endif
    if (!e)
        e = posix_spawn_file_actions_addclosefrom_np(&fa, GD_WORKER_FD + 1);
    if (!e)
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    if (!e)
        e = posix_spawnattr_setsigdefault(&attr, &all);
    if (!e)
        e = posix_spawnattr_setsigmask(&attr, &none);
    if (e) {
        rc = gd_err_set(err, GD_EIO, "posix_spawn set-up: %s", strerror(e));
        goto out;
    }
    char *argv[] = {(char *)"gordon-worker", NULL};
    char *envp[] = {NULL}; /* nothing of the host's environment: no keys, no tokens */
    e = posix_spawn(&w->pid, c->exe, &fa, &attr, argv, envp);
    if (e) {
        w->pid = 0;
        rc = gd_err_set(err, GD_EIO, "cannot start the plugin worker %s: %s", c->exe, strerror(e));
        goto out;
    }
    w->fd = sv[0];
    sv[0] = -1;
    /* A call's wait is one blocking recv bounded by the deadline, not a
     * poll and a recv: a system call less per message. */
    struct timeval tv = {(time_t)(c->deadline_ms / 1000), (suseconds_t)(c->deadline_ms % 1000) * 1000};
    if (setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        rc = gd_err_set(err, GD_EIO, "setsockopt(SO_RCVTIMEO): %s", strerror(errno));
        gd_worker_kill(w, "could not be given a deadline");
        goto out;
    }
    /* Calls are synchronous: on the host's CPU a call is a switch, not a
     * wake-up of another CPU (three times slower here). Best effort. */
    if (c->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(c->cpu, &set);
        (void)sched_setaffinity(w->pid, sizeof set, &set);
    }

    gd_wbuf m;
    gd_wb_start(&m, w->out, sizeof w->out, GD_W_LOAD);
    gd_wb_u32(&m, GD_WIRE_VERSION);
    gd_wb_str(&m, plugin_path, 4095);
    gd_wb_u32(&m, load_flags | (c->lock_memory ? GD_WIRE_LOAD_LOCK : 0u));
    gd_wb_u64(&m, c->address_space_mb);
    gd_wb_u64(&m, c->cpu_seconds);
    rc = gd_worker_send(w, &m, err);
    if (rc)
        gd_worker_kill(w, "could not be sent its plugin");
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    if (child >= 0)
        close(child);
    return rc;
}

int gd_worker_send(gd_worker *w, const gd_wbuf *m, gd_err *err)
{
    if (w->fd < 0)
        return gd_err_set(err, GD_EIO, "the worker is not running");
    return gd_wire_send(w->fd, m, err);
}

int gd_worker_recv(gd_worker *w, int timeout_ms, gd_rbuf *r, gd_err *err)
{
    if (w->fd < 0)
        return gd_err_set(err, GD_EIO, "the worker is not running");
    return gd_wire_recv(w->fd, w->buf, timeout_ms, r, err);
}

int gd_worker_realtime(gd_worker *w, const gd_worker_conf *c, uint32_t deadline_ms, gd_err *err)
{
    if (c->rt_priority <= 0 || w->pid <= 0)
        return 0;
    /* The kernel's bound first: a real-time worker that does not block
     * within its deadline's CPU time gets SIGXCPU, and SIGKILL at twice
     * that. At the loop's priority the host cannot cut it short itself. */
    rlim_t us = (rlim_t)(deadline_ms ? deadline_ms : 1) * 1000;
    struct rlimit rl = {us, 2 * us};
    if (prlimit(w->pid, RLIMIT_RTTIME, &rl, NULL) != 0)
        return gd_err_set(err, errno == EPERM ? GD_EPERM : GD_EIO, "prlimit(RLIMIT_RTTIME): %s", strerror(errno));
    struct sched_param sp;
    memset(&sp, 0, sizeof sp);
    sp.sched_priority = c->rt_priority;
    if (sched_setscheduler(w->pid, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0)
        return gd_err_set(err, errno == EPERM ? GD_EPERM : GD_EIO, "SCHED_FIFO %d: %s", c->rt_priority,
                          strerror(errno));
    /* The host's own wait becomes the backstop (GD_WORKER_RT_WALL). */
    uint64_t wall = (uint64_t)(deadline_ms ? deadline_ms : 1) * GD_WORKER_RT_WALL;
    struct timeval tv = {(time_t)(wall / 1000), (suseconds_t)(wall % 1000) * 1000};
    if (setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
        return gd_err_set(err, GD_EIO, "setsockopt(SO_RCVTIMEO): %s", strerror(errno));
    return 0;
}

void gd_worker_kill(gd_worker *w, const char *why)
{
    if (why && !w->why[0])
        snprintf(w->why, sizeof w->why, "%s", why);
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
            ;
        w->pid = 0;
    }
}

void gd_worker_stop(gd_worker *w, uint32_t wait_ms)
{
    if (w->pid > 0 && w->fd >= 0) {
        gd_wbuf m;
        gd_wb_start(&m, w->out, sizeof w->out, GD_W_DESTROY);
        if (gd_worker_send(w, &m, NULL) == 0) {
            /* The worker exits after destroy; its socket closing says so. */
            gd_rbuf r;
            gd_err e;
            /* A worker that keeps talking instead of exiting is killed. */
            for (int k = 0; k < 64 && gd_worker_recv(w, (int)wait_ms, &r, &e) == 0; k++)
                ;
            int st;
            pid_t p = waitpid(w->pid, &st, WNOHANG);
            if (p == w->pid) {
                w->status = st;
                w->pid = 0;
            }
        }
    }
    gd_worker_kill(w, NULL);
}

void gd_worker_describe_end(const gd_worker *w, char *out, size_t cap)
{
    if (WIFSIGNALED(w->status)) {
        int sig = WTERMSIG(w->status);
        const char *name = sigabbrev_np(sig);
        snprintf(out, cap, "killed by SIG%s%s", name ? name : "?",
                 sig == SIGSYS    ? " (a system call the sandbox forbids)"
                 : sig == SIGKILL ? " (by the host, or a limit)"
                 : sig == SIGXFSZ ? " (a file write past RLIMIT_FSIZE 0)"
                 : sig == SIGXCPU ? " (past its CPU time: a real-time call's deadline, or RLIMIT_CPU)"
                                  : "");
    } else if (WIFEXITED(w->status)) {
        snprintf(out, cap, "exit status %d", WEXITSTATUS(w->status));
    } else {
        snprintf(out, cap, "ended");
    }
}

/* ------------------------------------------------------------ descriptor */

static void no_call(void)
{
    /* The stand-ins are only ever replaced (engine/isolate.c), never called:
     * a call here means plugin code was about to run in the host. */
    fputs("gordon: internal error: an isolated plugin's callback was called in the host process\n", stderr);
    abort();
}

static int sc_create(const gordon_host_api *a, gordon_ctx *c, void **i, char *e, size_t l)
{
    (void)a, (void)c, (void)i, (void)e, (void)l;
    no_call();
    return -1;
}
static void sc_destroy(void *i) { (void)i, no_call(); }
static void sc_on_bar(void *i, uint32_t s, const gordon_bar *b) { (void)i, (void)s, (void)b, no_call(); }
static void sc_on_fill(void *i, const gordon_fill *f) { (void)i, (void)f, no_call(); }
static int sc_filter(void *i, const gordon_signal *in, gordon_signal *out, char *r, size_t l)
{
    (void)i, (void)in, (void)out, (void)r, (void)l;
    no_call();
    return 1;
}
static int sc_evaluate(void *i, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    (void)i, (void)in, (void)out;
    no_call();
    return -1;
}
static size_t sc_snapshot(void *i, void *b, size_t c)
{
    (void)i, (void)b, (void)c;
    no_call();
    return 0;
}
static int sc_restore(void *i, const void *b, size_t l)
{
    (void)i, (void)b, (void)l;
    no_call();
    return -1;
}
static void sc_on_resume(void *i) { (void)i, no_call(); }
static uint32_t sc_warmup(void *i)
{
    (void)i;
    no_call();
    return 0;
}

/* A string the worker sent, kept in lib. */
static char *keep(gd_plugin_lib *lib, gd_rbuf *r, size_t max)
{
    char *s = malloc(max + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    gd_rb_str(r, s, max + 1);
    lib->owned_strs[lib->n_owned_strs++] = s;
    return s;
}

static char *keep_opt(gd_plugin_lib *lib, gd_rbuf *r, size_t max)
{
    return gd_rb_u8(r) ? keep(lib, r, max) : NULL;
}

int gd_worker_read_hello(gd_rbuf *r, gd_plugin_lib *lib, uint32_t *callbacks, gd_err *err)
{
    gordon_plugin d;
    memset(&d, 0, sizeof d);
    d.magic = GORDON_PLUGIN_MAGIC;
    uint32_t struct_size = gd_rb_u32(r);
    d.abi_major = (uint16_t)gd_rb_u32(r);
    d.abi_minor = (uint16_t)gd_rb_u32(r);
    d.kind = gd_rb_i32(r);
    /* What the host knows of the layout: the plugin's own size is the
     * worker's business (it zero-extended the descriptor it validated). */
    d.struct_size = struct_size < sizeof d ? struct_size : (uint32_t)sizeof d;
    uint32_t n_params_max = 256;
    lib->owned_strs = calloc(3 + 3 * (size_t)n_params_max, sizeof *lib->owned_strs);
    if (!lib->owned_strs)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    d.name = keep(lib, r, GD_PLUGIN_NAME_MAX);
    d.version = keep(lib, r, GD_PLUGIN_VERSION_MAX);
    d.description = keep_opt(lib, r, GD_PLUGIN_DESCRIPTION_MAX);
    d.warmup_bars = gd_rb_u32(r);
    uint32_t cbs = gd_rb_u32(r);
    d.n_params = gd_rb_u32(r);
    if (r->bad || d.n_params > n_params_max)
        return gd_err_set(err, GD_EPROTO, "the worker sent a malformed descriptor (%u params)", d.n_params);
    if (d.n_params) {
        if (!(lib->owned_params = calloc(d.n_params, sizeof *lib->owned_params)))
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        for (uint32_t i = 0; i < d.n_params; i++) {
            gordon_param *p = &lib->owned_params[i];
            p->name = keep(lib, r, GD_PARAM_NAME_MAX);
            p->type = gd_rb_i32(r);
            p->tunable = gd_rb_i32(r);
            p->def = gd_rb_f64(r);
            p->min = gd_rb_f64(r);
            p->max = gd_rb_f64(r);
            p->step = gd_rb_f64(r);
            p->def_str = keep_opt(lib, r, GD_PARAM_DEF_STR_MAX);
            p->help = keep_opt(lib, r, GD_PARAM_HELP_MAX);
        }
        d.params = lib->owned_params;
    }
    d.param_size = sizeof(gordon_param);
    lib->worker_landlock = gd_rb_u8(r);
    int rc = gd_rb_end(r, err);
    if (rc)
        return rc;
    d.create = cbs & GD_WCB_CREATE ? sc_create : NULL;
    d.destroy = cbs & GD_WCB_DESTROY ? sc_destroy : NULL;
    d.on_bar = cbs & GD_WCB_ON_BAR ? sc_on_bar : NULL;
    d.on_fill = cbs & GD_WCB_ON_FILL ? sc_on_fill : NULL;
    d.filter = cbs & GD_WCB_FILTER ? sc_filter : NULL;
    d.evaluate = cbs & GD_WCB_EVALUATE ? sc_evaluate : NULL;
    d.snapshot = cbs & GD_WCB_SNAPSHOT ? sc_snapshot : NULL;
    d.restore = cbs & GD_WCB_RESTORE ? sc_restore : NULL;
    d.on_resume = cbs & GD_WCB_ON_RESUME ? sc_on_resume : NULL;
    d.warmup = cbs & GD_WCB_WARMUP ? sc_warmup : NULL;
    /* The worker validated what it read; the host validates what it got. */
    rc = gd_loader_validate(&d, &lib->d, err);
    if (rc)
        return rc;
    lib->desc = &lib->d;
    lib->worker_callbacks = cbs;
    if (callbacks)
        *callbacks = cbs;
    return 0;
}

int gd_worker_describe(const gd_worker_conf *c, const char *path, const char *origin, const char *sha256_hex,
                       gd_plugin_lib *lib, gd_err *err)
{
    gd_worker *w = malloc(sizeof *w);
    gd_rbuf r;
    int rc;
    memset(lib, 0, sizeof *lib);
    if (!w)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    lib->path = strdup(path);
    lib->origin = strdup(origin);
    if (!lib->path || !lib->origin) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(lib->sha256_hex, sizeof lib->sha256_hex, "%s", sha256_hex);
    rc = gd_worker_spawn(c, path, GD_WIRE_LOAD_DESCRIBE, w, err);
    if (rc)
        goto out;
    rc = gd_worker_recv(w, (int)c->start_ms, &r, err);
    if (rc == 0 && r.type == GD_W_FAIL) {
        char why[GD_WIRE_TEXT_MAX];
        gd_rb_str(&r, why, sizeof why);
        rc = gd_err_set(err, GD_EINVAL, "%s", why);
    } else if (rc == 0 && r.type == GD_W_HELLO) {
        rc = gd_worker_read_hello(&r, lib, NULL, err);
    } else if (rc == 0) {
        rc = gd_err_set(err, GD_EPROTO, "the plugin worker sent %s instead of its descriptor",
                        gd_wire_type_name(r.type));
    } else if (rc == GD_EIO) {
        char end[128];
        gd_worker_kill(w, NULL);
        gd_worker_describe_end(w, end, sizeof end);
        rc = gd_err_set(err, GD_EPLUGIN, "the plugin's worker ended while loading it (%s)", end);
    }
out:
    gd_worker_kill(w, NULL);
    free(w);
    if (rc)
        gd_loader_close(lib);
    return rc;
}

int gd_worker_inspect(const gd_worker_conf *c, const char *path, gd_plugin_lib *out, gd_err *err)
{
    char hex[65], abs[PATH_MAX];
    struct stat st;
    memset(out, 0, sizeof *out);
    if (stat(path, &st) != 0) {
        int e = errno;
        return gd_err_set(err, e == ENOENT ? GD_ENOENT : GD_EIO, "%s: plugin not found: %s", path, strerror(e));
    }
    int rc = gd_lint_plugin(path, NULL, err);
    if (!rc)
        rc = gd_sha256_file(path, hex, err);
    if (rc)
        return rc;
    /* The worker's Landlock rule and dlopen need a path that names this file. */
    if (!realpath(path, abs))
        return gd_err_set(err, GD_EIO, "%s: %s", path, strerror(errno));
    rc = gd_worker_describe(c, abs, path, hex, out, err);
    return rc;
}
