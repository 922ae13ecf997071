/* Isolation class 2: raw system calls. No import, no libc function: an
 * inline `syscall` instruction (iso.h) on the first bar, chosen by attack:
 *  connect: socket + connect to 127.0.0.1:port, then write;
 *  open:    open(MARKER, O_CREAT | O_WRONLY) (openat on aarch64), a write;
 *  openat:  the same through openat(AT_FDCWD, ...);
 *  execve:  /bin/sh -c 'touch MARKER', replacing the process.
 * Outside a sandbox each works (the suite's control run); in a worker the
 * seccomp filter kills the process at the call. */
#include "iso.h"

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)err, (void)err_len;
    return iso_create_common(api, ctx, instance);
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    iso_self *s = instance;
    (void)symbol;
    if (!iso_now(s, bar))
        return;
    if (!strcmp(s->attack, "connect")) {
        iso_log(s, "raw socket+connect+write", 0);
        iso_log(s, "raw socket+connect+write", iso_raw_connect_send((int)s->port, "iso_raw_syscall connect\n"));
    } else if (!strcmp(s->attack, "open")) {
        iso_log(s, "raw open(O_CREAT|O_WRONLY)", 0);
#ifdef SYS_open
        long fd = ISO_SYS3(SYS_open, s->marker, O_CREAT | O_WRONLY | O_TRUNC, 0644);
#else
        long fd = iso_sys(SYS_openat, -100, (long)s->marker, O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0);
#endif
        iso_log(s, "raw open(O_CREAT|O_WRONLY)", fd);
        if (fd >= 0) {
            ISO_SYS3(SYS_write, fd, "iso_raw_syscall\n", 16);
            ISO_SYS3(SYS_close, fd, 0, 0);
        }
    } else if (!strcmp(s->attack, "openat")) {
        iso_log(s, "raw openat(O_CREAT|O_WRONLY)", 0);
        iso_log(s, "raw openat(O_CREAT|O_WRONLY)", iso_raw_create(s->marker, "iso_raw_syscall\n"));
    } else if (!strcmp(s->attack, "execve")) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "touch '%s'", s->marker);
        const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
        const char *envp[] = {NULL};
        iso_log(s, "raw execve(/bin/sh -c touch)", 0);
        iso_log(s, "raw execve(/bin/sh -c touch)", ISO_SYS3(SYS_execve, "/bin/sh", argv, envp));
    }
}

static const gordon_param params[] = {
    ISO_PARAM_FROM,
    ISO_PARAM_STR("attack", "connect, open, openat or execve"),
    ISO_PARAM_PORT,
    ISO_PARAM_STR("marker", "a file the attack tries to create"),
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_raw_syscall",
    .version = "1.0",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .create = create,
    .destroy = iso_destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
