/* Plugin loader: ELF import audit, dlopen, descriptor ABI and content checks.
 *
 * The import audit is a guard rail, not a sandbox: code in the host's address
 * space can always reach the kernel (inline asm) or the host's memory. It
 * catches the plugin that innocently opens a socket, reads a file or spawns a
 * thread, and states the rule it broke, before any of its code (constructors
 * included) runs. */
#include "plugin/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/names.h"

/* ------------------------------------------------------------ import audit */

/* Undefined dynamic symbols a plugin may not import, grouped by why. A name
 * ending in '*' is a prefix. Fortified variants (__open_2, __recv_chk) are
 * listed because _FORTIFY_SOURCE renames the import. */
typedef struct forbidden_group {
    const char *category;
    const char *why;
    const char *const *names; /* NULL-terminated */
} forbidden_group;

static const char *const forbid_network[] = {
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "send", "sendto", "sendmsg", "sendmmsg", "recv*", "__recv_chk", "__recvfrom_chk",
    "getaddrinfo", "getnameinfo", "gethostbyname*", "gethostbyaddr*",
    "curl_*", "PQ*", "SSL_*",
    NULL};

static const char *const forbid_process[] = {
    "fork", "vfork", "clone", "clone3", "exec*", "fexecve", "posix_spawn*",
    "system", "popen", "daemon", "kill", "killpg", "tgkill", "raise", "ptrace", "prctl",
    "setuid", "setgid", "seteuid", "setegid", "setreuid", "setregid",
    "setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups", "setsid",
    "chroot", "signal", "sigaction", "sigset", "bsd_signal", "__sysv_signal",
    "exit", "_exit", "_Exit", "quick_exit",
    "process_vm_readv", "process_vm_writev",
    NULL};

static const char *const forbid_loader[] = {
    "dlopen", "dlmopen", "dlsym", "dlvsym", "dladdr", "dladdr1", "dlinfo",
    "dl_iterate_phdr",
    NULL};

static const char *const forbid_syscall[] = {
    "syscall", "mprotect", "pkey_mprotect", "mmap", "mmap64", "munmap", "mremap",
    "memfd_create",
    NULL};

static const char *const forbid_files[] = {
    "open", "open64", "__open_2", "__open64_2", "openat", "openat64", "__openat_2",
    "__openat64_2", "creat", "creat64", "fopen", "fopen64", "freopen", "freopen64",
    "fdopen", "opendir", "fdopendir", "tmpfile", "tmpfile64", "mkstemp", "mkostemp",
    "unlink", "unlinkat", "remove", "rename", "renameat", "renameat2",
    "mkdir", "rmdir", "truncate", "truncate64", "symlink", "link", "chmod", "chown",
    NULL};

static const char *const forbid_environment[] = {
    "getenv", "secure_getenv", "environ", "__environ", "setenv", "unsetenv", "putenv",
    "clearenv",
    NULL};

/* atexit() in a shared object compiles to __cxa_atexit(fn, NULL, __dso_handle);
 * __tls_get_addr is how a shared object reaches its thread-locals. */
static const char *const forbid_threads[] = {
    "pthread_create", "thrd_create", "pthread_atfork", "atexit", "at_quick_exit", "on_exit",
    "__cxa_atexit", "__cxa_thread_atexit_impl", "__tls_get_addr",
    NULL};

static const forbidden_group forbidden[] = {
    {"network", "plugins may not do I/O; use the host API", forbid_network},
    {"process", "plugins may not start, signal, control or end processes", forbid_process},
    {"loader", "plugins may not load code or look up symbols", forbid_loader},
    {"raw syscall/memory", "plugins may not make raw system calls or remap memory",
     forbid_syscall},
    {"files", "plugins get data only through the host API", forbid_files},
    {"environment", "plugins are configured only through their declared params",
     forbid_environment},
    {"threads", "plugins run on the host's event loop: no threads, exit handlers or "
                "thread-locals", forbid_threads},
};

/* DT_NEEDED libraries a plugin may depend on (fnmatch patterns). The
 * sanitizer runtimes are here because the test build instruments plugins. */
static const char *const allowed_needed[] = {
    "libc.so.*", "libm.so.*", "libgcc_s.so.*", "libasan.so.*", "libubsan.so.*",
    "ld-linux*.so.*",
};

/* name[0..len) against one table entry; the name has no @VERSION suffix. */
static int name_matches(const char *name, size_t len, const char *pat)
{
    size_t plen = strlen(pat);

    if (plen > 0 && pat[plen - 1] == '*')
        return len >= plen - 1 && memcmp(name, pat, plen - 1) == 0;
    return len == plen && memcmp(name, pat, len) == 0;
}

/* Returns the group forbidding name, or NULL. */
static const forbidden_group *forbidden_group_of(const char *name)
{
    size_t len = strcspn(name, "@");
    size_t g;

    for (g = 0; g < sizeof forbidden / sizeof forbidden[0]; g++) {
        const char *const *p;
        for (p = forbidden[g].names; *p; p++)
            if (name_matches(name, len, *p))
                return &forbidden[g];
    }
    return NULL;
}

static int needed_allowed(const char *lib)
{
    size_t i;

    for (i = 0; i < sizeof allowed_needed / sizeof allowed_needed[0]; i++)
        if (fnmatch(allowed_needed[i], lib, 0) == 0)
            return 1;
    return 0;
}

static const char *elf_type_name(unsigned type)
{
    switch (type) {
    case ET_REL: return "a relocatable object";
    case ET_EXEC: return "an executable";
    case ET_CORE: return "a core file";
    default: return "not a shared object";
    }
}

static int audit_dynsym(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *path,
                        gd_err *err)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    const forbidden_group *first_group = NULL;
    const char *first = NULL;
    size_t n, i, more = 0;

    if (!data || sh->sh_entsize == 0)
        return gd_err_set(err, GD_EINVAL, "%s: malformed dynamic symbol table", path);
    n = sh->sh_size / sh->sh_entsize;
    for (i = 1; i < n; i++) { /* index 0 is the reserved null symbol */
        GElf_Sym sym;
        const char *name;
        const forbidden_group *g;

        if (!gelf_getsym(data, (int)i, &sym))
            return gd_err_set(err, GD_EINVAL, "%s: malformed dynamic symbol %zu", path, i);
        if (sym.st_shndx != SHN_UNDEF)
            continue;
        name = elf_strptr(elf, sh->sh_link, sym.st_name);
        /* A name we cannot read is one we cannot vouch for. */
        if (!name)
            return gd_err_set(err, GD_EINVAL, "%s: malformed dynamic symbol %zu", path, i);
        if (!*name)
            continue;
        g = forbidden_group_of(name);
        if (!g)
            continue;
        if (!first) {
            first = name;
            first_group = g;
        } else {
            more++;
        }
    }
    if (!first)
        return GD_OK;
    if (more)
        return gd_err_set(err, GD_EFORBIDDEN,
                          "%s: imports forbidden symbol '%.*s' (%s): %s (and %zu more)", path,
                          (int)strcspn(first, "@"), first, first_group->category,
                          first_group->why, more);
    return gd_err_set(err, GD_EFORBIDDEN, "%s: imports forbidden symbol '%.*s' (%s): %s", path,
                      (int)strcspn(first, "@"), first, first_group->category, first_group->why);
}

/* Position-independent executables are ET_DYN too, but cannot be dlopen()ed. */
static int is_pie(Elf_Scn *scn, const GElf_Shdr *sh)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t n, i;

    if (!data || sh->sh_entsize == 0)
        return 0;
    n = sh->sh_size / sh->sh_entsize;
    for (i = 0; i < n; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_PIE))
            return 1;
    }
    return 0;
}

/* Checks DT_NEEDED entries against the allow-list. */
static int audit_needed(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *path,
                         gd_err *err)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t n, i;

    if (!data || sh->sh_entsize == 0)
        return gd_err_set(err, GD_EINVAL, "%s: malformed dynamic section", path);
    n = sh->sh_size / sh->sh_entsize;
    for (i = 0; i < n; i++) {
        GElf_Dyn dyn;
        const char *lib;

        if (!gelf_getdyn(data, (int)i, &dyn))
            return gd_err_set(err, GD_EINVAL, "%s: malformed dynamic entry %zu", path, i);
        if (dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag != DT_NEEDED)
            continue;
        lib = elf_strptr(elf, sh->sh_link, (size_t)dyn.d_un.d_val);
        if (!lib)
            return gd_err_set(err, GD_EINVAL, "%s: malformed DT_NEEDED entry", path);
        if (!needed_allowed(lib))
            return gd_err_set(err, GD_EFORBIDDEN,
                              "%s: needs library '%s', which plugins may not link (allowed: "
                              "libc, libm, libgcc_s, the dynamic loader and sanitizer "
                              "runtimes): plugins get everything else through the host API",
                              path, lib);
    }
    return GD_OK;
}

int gd_loader_check_imports(const char *path, gd_err *err)
{
    Elf *elf = NULL;
    Elf_Scn *scn = NULL;
    Elf_Scn *dynsym = NULL, *dynamic = NULL;
    GElf_Shdr dynsym_sh = {0}, dynamic_sh = {0};
    GElf_Ehdr eh;
    struct stat st;
    int fd = -1;
    int rc;

    if (!path)
        return gd_err_set(err, GD_EINVAL, "plugin path is NULL");
    if (elf_version(EV_CURRENT) == EV_NONE)
        return gd_err_set(err, GD_EIO, "libelf initialisation failed: %s", elf_errmsg(-1));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return gd_err_set(err, e == ENOENT ? GD_ENOENT : GD_EIO, "%s: cannot open plugin: %s",
                          path, strerror(e));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object (not a regular file)",
                        path);
        goto fail;
    }
    elf = elf_begin(fd, ELF_C_READ, NULL);
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
        rc = gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object", path);
        goto fail;
    }
    if (eh.e_type != ET_DYN) {
        rc = gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object (ELF type %u: %s)", path,
                        (unsigned)eh.e_type, elf_type_name(eh.e_type));
        goto fail;
    }
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_DYNSYM && !dynsym) {
            dynsym = scn;
            dynsym_sh = sh;
        } else if (sh.sh_type == SHT_DYNAMIC && !dynamic) {
            dynamic = scn;
            dynamic_sh = sh;
        }
    }
    /* Without them there is nothing to audit; a shared object stripped of
     * its section headers still loads, so refuse rather than wave it in. */
    if (!dynsym || !dynamic) {
        rc = gd_err_set(err, GD_EINVAL,
                        "%s: no dynamic symbol table or dynamic section to audit (section "
                        "headers stripped?)", path);
        goto fail;
    }
    if (is_pie(dynamic, &dynamic_sh)) {
        rc = gd_err_set(err, GD_EINVAL,
                        "%s: not an ELF shared object (a position-independent executable)",
                        path);
        goto fail;
    }
    /* Symbols first: a forbidden import says more than the library it needs. */
    rc = audit_dynsym(elf, dynsym, &dynsym_sh, path, err);
    if (rc == GD_OK)
        rc = audit_needed(elf, dynamic, &dynamic_sh, path, err);
fail:
    if (elf)
        elf_end(elf);
    close(fd);
    return rc;
}

/* ------------------------------------------------------------- validation */

/* Every v1 field up to the reserved tail must be present. */
#define GD_PLUGIN_V1_MIN_SIZE offsetof(gordon_plugin, reserved)
/* Bigger than any plausible future descriptor: garbage, not a newer SDK. */
#define GD_PLUGIN_MAX_SIZE (64u * 1024u)
#define GD_MAX_PARAMS 256u
/* Every v1 param field (name .. help) is read, so all must be present. */
#define GD_PARAM_V1_MIN_SIZE (offsetof(gordon_param, help) + sizeof(const char *))
#define GD_PARAM_MAX_SIZE 4096u
/* Integers travel as doubles; beyond 2^53 they are no longer exact. */
#define GD_INT_PARAM_LIMIT 9007199254740992.0

static int is_integral(double v)
{
    return isfinite(v) && floor(v) == v && fabs(v) <= GD_INT_PARAM_LIMIT;
}

/* The i-th declaration, honouring the plugin's param_size (>= v1 size,
 * checked by the caller), copied so the host never reads past it. */
static void param_at(const gordon_plugin *d, uint32_t i, gordon_param *out)
{
    const unsigned char *base = (const unsigned char *)d->params;

    memcpy(out, base + (size_t)i * d->param_size, sizeof *out);
}

static const char *param_type_name(int type)
{
    switch (type) {
    case GORDON_PARAM_INT: return "int";
    case GORDON_PARAM_DOUBLE: return "double";
    case GORDON_PARAM_BOOL: return "bool";
    case GORDON_PARAM_STRING: return "string";
    default: return "?";
    }
}

static int validate_param(const gordon_plugin *d, uint32_t i, gd_err *err)
{
    gordon_param p;
    uint32_t j;

    param_at(d, i, &p);
    if (!p.name)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': param %u: name is NULL", d->name, i);
    if (!gd_name_valid(p.name, GD_NAME_MAX))
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param %u: name '%.*s' must match [a-z0-9_]{1,%d}",
                          d->name, i, GD_NAME_MAX + 1, p.name, GD_NAME_MAX);
    for (j = 0; j < i; j++) {
        gordon_param q;
        param_at(d, j, &q);
        if (strcmp(q.name, p.name) == 0)
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s' is declared twice (params %u and %u)",
                              d->name, p.name, j, i);
    }
    if (p.type < GORDON_PARAM_INT || p.type > GORDON_PARAM_STRING)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': type %d is not valid (1 int, 2 double, "
                          "3 bool, 4 string)", d->name, p.name, (int)p.type);
    if (p.tunable != 0 && p.tunable != 1)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': param '%s': tunable must be 0 or 1, not %d",
                          d->name, p.name, (int)p.tunable);

    if (p.type == GORDON_PARAM_INT &&
        (!is_integral(p.def) || !is_integral(p.min) || !is_integral(p.max)))
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': int default/min/max must be whole "
                          "numbers within +-2^53 (default %g, min %g, max %g)",
                          d->name, p.name, p.def, p.min, p.max);
    if (p.type == GORDON_PARAM_INT || p.type == GORDON_PARAM_DOUBLE) {
        if (!isfinite(p.def))
            return gd_err_set(err, GD_EINVAL, "plugin '%s': param '%s': default %g is not finite",
                              d->name, p.name, p.def);
        /* Infinite bounds are allowed (unbounded); NaN ones are not. */
        if (isnan(p.min) || isnan(p.max) || !(p.min <= p.max))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': range [%g, %g] is empty or NaN",
                              d->name, p.name, p.min, p.max);
        if (!(p.min <= p.def && p.def <= p.max))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': default %g is outside [%g, %g]", d->name,
                              p.name, p.def, p.min, p.max);
        if (p.tunable && (!isfinite(p.step) || !(p.step > 0)))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': tunable, so step must be > 0 (got %g)",
                              d->name, p.name, p.step);
        if (p.tunable && p.type == GORDON_PARAM_INT && !is_integral(p.step))
            return gd_err_set(err, GD_EINVAL,
                              "plugin '%s': param '%s': int step %g is not a whole number",
                              d->name, p.name, p.step);
    }
    if (p.type == GORDON_PARAM_BOOL && p.def != 0.0 && p.def != 1.0)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': bool default %g is not 0 or 1", d->name,
                          p.name, p.def);
    /* STRING: def_str may be NULL, meaning "". */
    if (p.tunable && p.type != GORDON_PARAM_INT && p.type != GORDON_PARAM_DOUBLE)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': param '%s': only int and double params can be tunable, "
                          "not %s", d->name, p.name, param_type_name(p.type));
    return GD_OK;
}

static int validate_content(const gordon_plugin *d, gd_err *err)
{
    uint32_t i;

    if (d->kind < GORDON_KIND_STRATEGY || d->kind > GORDON_KIND_BREAKER)
        return gd_err_set(err, GD_EINVAL,
                          "descriptor kind %d is not valid (1 strategy, 2 overlay, 3 breaker)",
                          (int)d->kind);
    if (!d->name)
        return gd_err_set(err, GD_EINVAL, "descriptor name is NULL");
    if (!gd_name_valid(d->name, GD_NAME_MAX))
        return gd_err_set(err, GD_EINVAL, "descriptor name '%.*s' must match [a-z0-9_]{1,%d}",
                          GD_NAME_MAX + 1, d->name, GD_NAME_MAX);
    if (!d->version || !*d->version)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': version is NULL or empty", d->name);
    if (!d->create)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': create callback is NULL", d->name);
    if (!d->destroy)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': destroy callback is NULL", d->name);
    if (d->kind == GORDON_KIND_STRATEGY && !d->on_bar)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': a strategy needs an on_bar callback",
                          d->name);
    if (d->kind == GORDON_KIND_OVERLAY && !d->filter)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': an overlay needs a filter callback",
                          d->name);
    if (d->kind == GORDON_KIND_BREAKER && !d->evaluate)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': a breaker needs an evaluate callback",
                          d->name);
    /* Half a hot-reload pair cannot be used and hints at a mistake. */
    if (!d->snapshot != !d->restore)
        return gd_err_set(err, GD_EINVAL,
                          "plugin '%s': snapshot and restore must both be set or both be NULL",
                          d->name);

    if (d->n_params > GD_MAX_PARAMS)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': n_params %u exceeds the limit of %u",
                          d->name, d->n_params, GD_MAX_PARAMS);
    if (d->n_params == 0)
        return GD_OK;
    if (!d->params)
        return gd_err_set(err, GD_EINVAL, "plugin '%s': params is NULL but n_params is %u",
                          d->name, d->n_params);
    if (d->param_size < GD_PARAM_V1_MIN_SIZE || d->param_size > GD_PARAM_MAX_SIZE)
        return gd_err_set(err, GD_EABI,
                          "plugin '%s': param_size %u is outside [%zu, %u] (set it to "
                          "sizeof(gordon_param))", d->name, d->param_size,
                          (size_t)GD_PARAM_V1_MIN_SIZE, GD_PARAM_MAX_SIZE);
    /* The stride must keep every element aligned, or reading them is UB. */
    if (d->param_size % _Alignof(gordon_param) != 0)
        return gd_err_set(err, GD_EABI,
                          "plugin '%s': param_size %u is not a multiple of %zu (set it to "
                          "sizeof(gordon_param))", d->name, d->param_size,
                          (size_t)_Alignof(gordon_param));
    for (i = 0; i < d->n_params; i++) {
        int rc = validate_param(d, i, err);
        if (rc != GD_OK)
            return rc;
    }
    return GD_OK;
}

int gd_loader_validate(const gordon_plugin *desc, gordon_plugin *copy, gd_err *err)
{
    gordon_plugin d;
    size_t n;
    int rc;

    if (copy)
        memset(copy, 0, sizeof *copy);
    if (!desc)
        return gd_err_set(err, GD_EINVAL, "descriptor is NULL");
    /* Only the four header fields are read before struct_size is trusted. */
    if (desc->magic != GORDON_PLUGIN_MAGIC)
        return gd_err_set(err, GD_EABI,
                          "descriptor magic 0x%08x is not GORDON_PLUGIN_MAGIC 0x%08x: not a "
                          "gordon plugin descriptor", (unsigned)desc->magic,
                          (unsigned)GORDON_PLUGIN_MAGIC);
    if (desc->abi_major != GORDON_SDK_ABI_MAJOR)
        return gd_err_set(err, GD_EABI,
                          "plugin built for SDK ABI %u.%u, host is %u.%u: the major version "
                          "differs; rebuild the plugin against this SDK",
                          (unsigned)desc->abi_major, (unsigned)desc->abi_minor,
                          (unsigned)GORDON_SDK_ABI_MAJOR, (unsigned)GORDON_SDK_ABI_MINOR);
    if (desc->abi_minor > GORDON_SDK_ABI_MINOR)
        return gd_err_set(err, GD_EABI,
                          "plugin built for SDK ABI %u.%u, host is %u.%u: the minor version "
                          "is newer than the host's; upgrade gordon or rebuild the plugin",
                          (unsigned)desc->abi_major, (unsigned)desc->abi_minor,
                          (unsigned)GORDON_SDK_ABI_MAJOR, (unsigned)GORDON_SDK_ABI_MINOR);
    if (desc->struct_size < GD_PLUGIN_V1_MIN_SIZE)
        return gd_err_set(err, GD_EABI,
                          "descriptor struct_size %u is too small: ABI %u.0 needs at least %zu",
                          (unsigned)desc->struct_size, (unsigned)GORDON_SDK_ABI_MAJOR,
                          (size_t)GD_PLUGIN_V1_MIN_SIZE);
    if (desc->struct_size > GD_PLUGIN_MAX_SIZE)
        return gd_err_set(err, GD_EABI,
                          "descriptor struct_size %u is implausibly large (limit %u): corrupt "
                          "descriptor", (unsigned)desc->struct_size, GD_PLUGIN_MAX_SIZE);

    /* From here on only the zero-extended copy is read. */
    n = desc->struct_size < sizeof d ? desc->struct_size : sizeof d;
    memset(&d, 0, sizeof d);
    memcpy(&d, desc, n);
    rc = validate_content(&d, err);
    if (rc != GD_OK)
        return rc;
    if (copy)
        *copy = d;
    return GD_OK;
}

/* ---------------------------------------------------------------- loading */

int gd_loader_open(const char *path, gd_plugin_lib *out, gd_err *err)
{
    gd_plugin_lib lib;
    gordon_plugin_entry_fn entry;
    const char *dl_path = path;
    char *dotted = NULL;
    void *sym;
    struct stat st;
    int rc;

    memset(&lib, 0, sizeof lib);
    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out)
        return gd_err_set(err, GD_EINVAL, "gd_loader_open: path and out are required");
    if (stat(path, &st) != 0) {
        int e = errno;
        return gd_err_set(err, e == ENOENT ? GD_ENOENT : GD_EIO, "%s: plugin not found: %s",
                          path, strerror(e));
    }
    /* Audit before dlopen: constructors run at load time. */
    rc = gd_loader_check_imports(path, err);
    if (rc != GD_OK)
        return rc;
    rc = gd_sha256_file(path, lib.sha256_hex, err);
    if (rc != GD_OK)
        return rc;
    lib.path = strdup(path);
    if (!lib.path) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
        goto fail;
    }

    /* Without a '/', dlopen searches the library path instead of the file
     * that was just audited. */
    if (!strchr(path, '/')) {
        size_t len = strlen(path) + 3;
        dotted = malloc(len);
        if (!dotted) {
            rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        snprintf(dotted, len, "./%s", path);
        dl_path = dotted;
    }
    dlerror();
    /* RTLD_NOW: unresolved symbols (e.g. host internals, which are hidden)
     * fail here, not mid-session; RTLD_LOCAL: plugins cannot see each other. */
    lib.handle = dlopen(dl_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib.handle) {
        const char *e = dlerror();
        rc = gd_err_set(err, GD_EINVAL, "%s: cannot load plugin: %s", path,
                        e ? e : "dlopen failed");
        goto fail;
    }
    dlerror();
    sym = dlsym(lib.handle, GORDON_ENTRY_SYMBOL);
    if (!sym) {
        rc = gd_err_set(err, GD_EABI,
                        "%s: missing entry symbol " GORDON_ENTRY_SYMBOL
                        ": not a gordon plugin or built without GORDON_PLUGIN_ENTRY", path);
        goto fail;
    }
    /* POSIX guarantees a dlsym'd function survives this conversion. */
    memcpy(&entry, &sym, sizeof entry);
    lib.desc = entry();
    if (!lib.desc) {
        rc = gd_err_set(err, GD_EPLUGIN, "%s: " GORDON_ENTRY_SYMBOL "() returned NULL", path);
        goto fail;
    }
    rc = gd_loader_validate(lib.desc, &lib.d, err);
    if (rc != GD_OK) {
        gd_err_prefix(err, rc, "%s: ", path);
        goto fail;
    }
    free(dotted);
    *out = lib;
    return GD_OK;
fail:
    free(dotted);
    gd_loader_close(&lib);
    return rc;
}

void gd_loader_close(gd_plugin_lib *lib)
{
    if (!lib)
        return;
    if (lib->handle)
        dlclose(lib->handle);
    free(lib->path);
    memset(lib, 0, sizeof *lib);
}

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

void gd_loader_describe(const gd_plugin_lib *lib, FILE *out)
{
    const gordon_plugin *d;
    uint32_t i;

    if (!lib || !out)
        return;
    d = &lib->d;
    fprintf(out, "path:         %s\n", or_none(lib->path));
    fprintf(out, "sha256:       %s\n", lib->sha256_hex[0] ? lib->sha256_hex : "(none)");
    fprintf(out, "name:         %s\n", or_none(d->name));
    fprintf(out, "kind:         %s\n", gd_kind_name(d->kind));
    fprintf(out, "version:      %s\n", or_none(d->version));
    fprintf(out, "description:  %s\n", or_none(d->description));
    fprintf(out, "abi:          built for %u.%u, host %u.%u\n", (unsigned)d->abi_major,
            (unsigned)d->abi_minor, (unsigned)GORDON_SDK_ABI_MAJOR,
            (unsigned)GORDON_SDK_ABI_MINOR);
    fprintf(out, "struct_size:  %u (host %zu)\n", (unsigned)d->struct_size,
            sizeof(gordon_plugin));
    fprintf(out, "warmup_bars:  %u\n", (unsigned)d->warmup_bars);
    fprintf(out, "callbacks:    create destroy%s%s%s%s%s%s\n", d->on_bar ? " on_bar" : "",
            d->on_fill ? " on_fill" : "", d->filter ? " filter" : "",
            d->evaluate ? " evaluate" : "", d->snapshot ? " snapshot" : "",
            d->restore ? " restore" : "");
    fprintf(out, "optional:     on_fill %s, snapshot/restore %s\n", d->on_fill ? "yes" : "no",
            d->snapshot && d->restore ? "yes (hot reload keeps state)" : "no");
    fprintf(out, "params:       %u\n", (unsigned)d->n_params);
    /* Validated descriptors only; an unvalidated one may have a bad stride. */
    if (!d->params || d->param_size < GD_PARAM_V1_MIN_SIZE)
        return;
    for (i = 0; i < d->n_params; i++) {
        gordon_param p;

        param_at(d, i, &p);
        fprintf(out, "  %-20s %-6s ", or_none(p.name), param_type_name(p.type));
        switch (p.type) {
        case GORDON_PARAM_INT:
            fprintf(out, "default %.0f  range [%.0f, %.0f]", p.def, p.min, p.max);
            break;
        case GORDON_PARAM_DOUBLE:
            fprintf(out, "default %g  range [%g, %g]", p.def, p.min, p.max);
            break;
        case GORDON_PARAM_BOOL:
            fprintf(out, "default %s", p.def != 0.0 ? "true" : "false");
            break;
        default:
            fprintf(out, "default \"%s\"", p.def_str ? p.def_str : "");
            break;
        }
        if (p.tunable)
            fprintf(out, "  tunable step %g", p.step);
        fputc('\n', out);
        if (p.help)
            fprintf(out, "      %s\n", p.help);
    }
}

/* ------------------------------------------------------------- plugin set */

/* Same file: the same string, or the same file after resolving links. */
static int same_file(const char *a, const char *b)
{
    char *ra, *rb;
    int same;

    if (strcmp(a, b) == 0)
        return 1;
    ra = realpath(a, NULL);
    rb = realpath(b, NULL);
    same = ra && rb && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

int gd_plugin_set_add(gd_plugin_set *set, const char *path, gd_plugin_lib **out, gd_err *err)
{
    gd_plugin_lib *lib = NULL;
    gd_plugin_lib **grown;
    char hex[65];
    size_t i;
    int rc;

    if (out)
        *out = NULL;
    if (!set || !path)
        return gd_err_set(err, GD_EINVAL, "gd_plugin_set_add: set and path are required");
    rc = gd_sha256_file(path, hex, err);
    if (rc != GD_OK)
        return rc;
    for (i = 0; i < set->n; i++) {
        if (strcmp(set->libs[i]->sha256_hex, hex) == 0 && same_file(set->libs[i]->path, path)) {
            if (out)
                *out = set->libs[i];
            return GD_OK;
        }
    }

    lib = calloc(1, sizeof *lib);
    if (!lib)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    rc = gd_loader_open(path, lib, err);
    if (rc != GD_OK)
        goto fail;
    for (i = 0; i < set->n; i++) {
        if (strcmp(set->libs[i]->d.name, lib->d.name) == 0) {
            rc = gd_err_set(err, GD_EEXIST,
                            "%s: plugin name '%s' is already provided by %s%s", path,
                            lib->d.name, set->libs[i]->path,
                            same_file(set->libs[i]->path, path)
                                ? " (the file changed since it was loaded)"
                                : "");
            goto fail;
        }
    }
    grown = realloc(set->libs, (set->n + 1) * sizeof *grown);
    if (!grown) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    set->libs = grown;
    set->libs[set->n++] = lib;
    if (out)
        *out = lib;
    return GD_OK;
fail:
    gd_loader_close(lib);
    free(lib);
    return rc;
}

gd_plugin_lib *gd_plugin_set_find(const gd_plugin_set *set, const char *path)
{
    for (size_t i = 0; set && path && i < set->n; i++)
        if (strcmp(set->libs[i]->path, path) == 0)
            return set->libs[i];
    return NULL;
}

void gd_plugin_set_free(gd_plugin_set *set)
{
    size_t i;

    if (!set)
        return;
    /* Reverse load order, as the dynamic loader itself unloads. */
    for (i = set->n; i > 0; i--) {
        gd_loader_close(set->libs[i - 1]);
        free(set->libs[i - 1]);
    }
    free(set->libs);
    set->libs = NULL;
    set->n = 0;
}
