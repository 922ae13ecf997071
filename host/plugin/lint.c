/* The plugin lint: an ELF import audit, read with libelf before any of the
 * plugin's code (constructors included) runs.
 *
 * The import audit is a guard rail, not a sandbox: code in the host's address
 * space can always reach the kernel (inline asm) or the host's memory. It
 * catches the plugin that innocently opens a socket, reads a file or spawns a
 * thread, and states the rule it broke. */
#include "plugin/lint.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int gd_lint_plugin(const char *file, const char *display, gd_err *err)
{
    const char *path = display ? display : file;
    Elf *elf = NULL;
    Elf_Scn *scn = NULL;
    Elf_Scn *dynsym = NULL, *dynamic = NULL;
    GElf_Shdr dynsym_sh = {0}, dynamic_sh = {0};
    GElf_Ehdr eh;
    struct stat st;
    int fd = -1;
    int rc;

    if (!file)
        return gd_err_set(err, GD_EINVAL, "plugin path is NULL");
    if (elf_version(EV_CURRENT) == EV_NONE)
        return gd_err_set(err, GD_EIO, "libelf initialisation failed: %s", elf_errmsg(-1));
    fd = open(file, O_RDONLY | O_CLOEXEC);
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
