#include "db/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/json.h"

/* ------------------------------------------------------------ environment */

static void envv_add(gd_envv *e, char *kv)
{
    if (!kv) {
        e->failed = 1;
        return;
    }
    if (e->n + 2 > e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        char **g = realloc(e->v, cap * sizeof *g);
        if (!g) {
            free(kv);
            e->failed = 1;
            return;
        }
        e->v = g;
        e->cap = cap;
    }
    e->v[e->n++] = kv;
    e->v[e->n] = NULL;
}

void gd_envv_set(gd_envv *e, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    char *kv = malloc(nl + vl + 2);
    if (kv) {
        memcpy(kv, name, nl);
        kv[nl] = '=';
        memcpy(kv + nl + 1, value, vl + 1);
    }
    envv_add(e, kv);
}

void gd_envv_pass(gd_envv *e, const char *name)
{
    const char *v = getenv(name);
    if (v)
        gd_envv_set(e, name, v);
}

void gd_envv_pass_prefix(gd_envv *e, const char *prefix)
{
    size_t pl = strlen(prefix);
    for (char **p = environ; p && *p; p++)
        if (strncmp(*p, prefix, pl) == 0 && strchr(*p, '='))
            envv_add(e, strdup(*p));
}

int gd_envv_check(const gd_envv *e, gd_err *err)
{
    return e->failed ? gd_err_set(err, GD_ENOMEM, "out of memory building a child's environment") : 0;
}

char *const *gd_envv_get(const gd_envv *e)
{
    static char *const empty[] = {NULL};
    return e->v ? e->v : empty;
}

void gd_envv_free(gd_envv *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
    e->failed = 0;
}

int gd_spawn_tmpdir(const char *prefix, char *out, size_t cap, gd_err *err)
{
    const char *base = getenv("TMPDIR");
    if (!base || base[0] != '/')
        base = "/tmp";
    int n = snprintf(out, cap, "%s/%s.XXXXXX", base, prefix);
    if (n < 0 || (size_t)n >= cap)
        return gd_err_set(err, GD_ERANGE, "TMPDIR %s: too long", base);
    /* mkdtemp makes it 0700: the dump is the whole trading record. */
    if (!mkdtemp(out))
        return gd_err_set(err, GD_EIO, "cannot create a temporary directory in %s: %s", base, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------ signals */

/* The process has one set of signal dispositions: one flag. */
static volatile sig_atomic_t g_canceled;

static void on_signal(int sig)
{
    (void)sig;
    g_canceled = 1;
}

int gd_spawn_trap_signals(gd_err *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: poll() in gd_spawn_run returns EINTR and looks. */
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return gd_err_set(err, GD_EIO, "sigaction: %s", strerror(errno));
    return 0;
}

int gd_spawn_canceled(void) { return g_canceled != 0; }

/* ------------------------------------------------------------ the child */

/* The last bytes of stderr: a window of twice the tail, halved when full. */
typedef struct tailbuf {
    char b[2 * GD_SPAWN_TAIL];
    size_t len;
    int cut; /* bytes were dropped from the front */
} tailbuf;

static void tail_add(tailbuf *t, const char *p, size_t n)
{
    if (n >= sizeof t->b) {
        p += n - sizeof t->b / 2;
        n = sizeof t->b / 2;
        t->len = 0;
        t->cut = 1;
    }
    if (t->len + n > sizeof t->b) {
        size_t drop = t->len + n - sizeof t->b / 2;
        if (drop > t->len)
            drop = t->len;
        memmove(t->b, t->b + drop, t->len - drop);
        t->len -= drop;
        t->cut = 1;
    }
    memcpy(t->b + t->len, p, n);
    t->len += n;
}

/* The tail as one line of valid UTF-8: the secret masked, line breaks as
 * " / ", a first line that was cut (it could hold part of the secret)
 * dropped, at most GD_SPAWN_TAIL - 1 bytes from the end. */
static void tail_finish(const tailbuf *t, const char *redact, char out[GD_SPAWN_TAIL])
{
    gd_buf b = GD_BUF_INIT;
    size_t i = 0, rl = redact ? strlen(redact) : 0;
    if (t->cut) {
        while (i < t->len && t->b[i] != '\n')
            i++;
    }
    int sep = 0;
    for (; i < t->len; i++) {
        char c = t->b[i];
        if (rl && t->len - i >= rl && memcmp(t->b + i, redact, rl) == 0) {
            gd_buf_puts(&b, "***");
            i += rl - 1;
            sep = 0;
            continue;
        }
        if (c == '\n' || c == '\r') {
            sep = b.len > 0;
            continue;
        }
        if (sep) {
            gd_buf_puts(&b, " / ");
            sep = 0;
        }
        gd_buf_append(&b, &c, 1);
    }
    const char *s = b.p && !b.failed ? b.p : "";
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t from = 0;
    if (n >= GD_SPAWN_TAIL) {
        /* From the first whole line that fits. */
        from = n - (GD_SPAWN_TAIL - 1);
        const char *cut = strstr(s + from, " / ");
        if (cut)
            from = (size_t)(cut - s) + 3;
        while (from < n && ((unsigned char)s[from] & 0xC0) == 0x80)
            from++;
    }
    char tmp[GD_SPAWN_TAIL];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(n - from), s + from);
    gd_utf8_copy(out, GD_SPAWN_TAIL, tmp);
    gd_buf_free(&b);
}

static int start_child(char *const argv[], char *const envp[], const gd_spawn_opts *o, int out_w, int err_w, pid_t *pid,
                       gd_err *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t all, none;
    int rc = 0;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return gd_err_set(err, GD_ENOMEM, "posix_spawn set-up failed");
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return gd_err_set(err, GD_ENOMEM, "posix_spawn set-up failed");
    }
    sigfillset(&all);
    sigemptyset(&none);
    int e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, err_w, 2);
    if (!e)
        e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (!e && o->cwd)
        e = posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
    /* Our trapped signals and blocked mask are not the child's. */
    if (!e)
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (!e)
        e = posix_spawnattr_setsigdefault(&attr, &all);
    if (!e)
        e = posix_spawnattr_setsigmask(&attr, &none);
    if (e) {
        rc = gd_err_set(err, GD_EIO, "posix_spawn set-up: %s", strerror(e));
        goto out;
    }
    e = posix_spawnp(pid, argv[0], &fa, &attr, argv, envp);
    if (e) {
        *pid = 0;
        rc = gd_err_set(err, e == ENOENT ? GD_ENOENT : GD_EIO, "cannot run %s: %s", argv[0],
                        e == ENOENT ? "not found in PATH" : strerror(e));
    }
out:
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Reads what is there; 1 at end of file (or an error), 0 otherwise. */
static int drain(int fd, tailbuf *t, gd_buf *cap)
{
    char b[8192];
    ssize_t n = read(fd, b, sizeof b);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : 1;
    if (n == 0)
        return 1;
    if (t)
        tail_add(t, b, (size_t)n);
    else
        gd_buf_append(cap, b, (size_t)n);
    return 0;
}

static int status_of(int ws) { return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 255; }

/* Waits for the child and reads its pipes until both close, it is reaped
 * and nothing more is there (a grandchild holding a pipe does not keep us),
 * the deadline passes, the captured output is too long, or a signal. */
static int supervise(pid_t pid, int *outr, int *errr, const gd_spawn_opts *o, tailbuf *t, gd_buf *cap, int *ws,
                     int *reaped_out)
{
    size_t out_max = o->out_max ? o->out_max : 1024 * 1024;
    double deadline = o->timeout_ms > 0 ? gd_mono_ms() + o->timeout_ms : 0;
    int reaped = 0;
    for (;;) {
        if (!reaped) {
            pid_t w = waitpid(pid, ws, WNOHANG);
            if (w == pid || (w < 0 && errno != EINTR))
                reaped = *reaped_out = 1;
        }
        /* A signal first: the same signal may have ended the child too (a
         * process group's), and the operator's interruption is the news. */
        if (gd_spawn_canceled())
            return GD_ECANCELED;
        if (reaped && *outr < 0 && *errr < 0)
            return 0;
        if (cap->failed)
            return GD_ENOMEM;
        if (cap->len > out_max)
            return GD_ERANGE;
        int wait_ms = 100;
        if (deadline) {
            double left = deadline - gd_mono_ms();
            if (left <= 0)
                return GD_ETIMEDOUT;
            if (left < wait_ms)
                wait_ms = (int)left + 1;
        }
        struct pollfd p[2];
        int np = 0;
        if (*outr >= 0)
            p[np++] = (struct pollfd){*outr, POLLIN, 0};
        if (*errr >= 0)
            p[np++] = (struct pollfd){*errr, POLLIN, 0};
        if (np == 0) {
            /* Both pipes closed but not reaped yet: a short sleep. */
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        int k = poll(p, (nfds_t)np, reaped ? 0 : wait_ms);
        if (k < 0 && errno != EINTR)
            return GD_EIO;
        if (k == 0 && reaped) {
            /* Reaped and nothing left to read: what still holds the pipes
             * is not the child. */
            close_fd(outr);
            close_fd(errr);
            return 0;
        }
        for (int i = 0; k > 0 && i < np; i++) {
            if (!p[i].revents)
                continue;
            int *fd = p[i].fd == *outr ? outr : errr;
            if (drain(*fd, fd == errr ? t : NULL, cap))
                close_fd(fd);
        }
    }
}

int gd_spawn_run(char *const argv[], char *const envp[], const gd_spawn_opts *o, gd_spawn_result *r, gd_err *err)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, ws = 0, rc;
    pid_t pid = 0;
    gd_buf cap = GD_BUF_INIT;
    tailbuf *t = calloc(1, sizeof *t);
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (!t)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    if (pipe2(errp, O_CLOEXEC) != 0 || (o->out_fd < 0 && pipe2(outp, O_CLOEXEC) != 0)) {
        rc = gd_err_set(err, GD_EIO, "pipe: %s", strerror(errno));
        goto out;
    }
    rc = start_child(argv, envp, o, o->out_fd >= 0 ? o->out_fd : outp[1], errp[1], &pid, err);
    close_fd(&outp[1]);
    close_fd(&errp[1]);
    if (rc)
        goto out;
    int reaped = 0;
    rc = supervise(pid, &outp[0], &errp[0], o, t, &cap, &ws, &reaped);
    if (rc && !reaped) {
        /* Killed, then reaped, so no zombie and no orphan left running
         * (never a pid already reaped: it may be another process's now). */
        kill(pid, SIGKILL);
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
    }
    /* Ended by an interrupting signal of its own: the same Ctrl-C or
     * SIGTERM reached its process group (a terminal, timeout(1)), and the
     * child died of it before this process ran its handler. */
    if (rc == 0 && WIFSIGNALED(ws) &&
        (WTERMSIG(ws) == SIGINT || WTERMSIG(ws) == SIGTERM || WTERMSIG(ws) == SIGHUP))
        rc = GD_ECANCELED;
    r->status = status_of(ws);
    tail_finish(t, o->redact, r->tail);
    const char *name = o->label ? o->label : argv[0];
    const char *tl = r->tail[0] ? r->tail : "(nothing on stderr)";
    switch (rc) {
    case 0:
        if (WIFSIGNALED(ws))
            rc = gd_err_set(err, GD_EIO, "%s was killed by signal %d (%s): %s", name, WTERMSIG(ws),
                            strsignal(WTERMSIG(ws)), tl);
        else if (r->status != 0)
            rc = gd_err_set(err, GD_EIO, "%s exited with status %d: %s", name, r->status, tl);
        break;
    case GD_ETIMEDOUT:
        gd_err_set(err, rc, "%s did not finish within %.0f s and was killed: %s", name, o->timeout_ms / 1000, tl);
        break;
    case GD_ERANGE:
        gd_err_set(err, rc, "%s wrote more than %zu bytes to stdout and was killed", name,
                   o->out_max ? o->out_max : (size_t)1024 * 1024);
        break;
    case GD_ECANCELED: gd_err_set(err, rc, "interrupted by a signal: %s was killed", name); break;
    case GD_ENOMEM: gd_err_set(err, rc, "out of memory reading the output of %s", name); break;
    default: gd_err_set(err, rc, "waiting for %s: %s", name, strerror(errno)); break;
    }
    if (o->out_fd < 0) {
        size_t len = cap.len;
        r->out = gd_buf_take(&cap);
        if (!r->out && !rc)
            rc = gd_err_set(err, GD_ENOMEM, "out of memory reading the output of %s", name);
        r->out_len = r->out ? len : 0;
    }
out:
    close_fd(&outp[0]);
    close_fd(&outp[1]);
    close_fd(&errp[0]);
    close_fd(&errp[1]);
    gd_buf_free(&cap);
    free(t);
    return rc;
}

void gd_spawn_result_free(gd_spawn_result *r)
{
    free(r->out);
    r->out = NULL;
    r->out_len = 0;
}
