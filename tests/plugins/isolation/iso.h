/* What the isolation suite's hostile plugins share (tests/e2e_isolation.sh,
 * issue 12). Each plugin is a well-formed strategy that imports only what
 * the plugin lint allows, so that it loads, and then reaches for what it may
 * not have:
 *  - libc's own functions, found in memory by three routes: from a libc
 *    function pointer back to libc's ELF header ("fnptr"); from the host-API
 *    table's code back to the executable, its DT_DEBUG, _r_debug and the
 *    loader's list of objects ("rdebug"); through getauxval(AT_BASE) to the
 *    dynamic loader's own _r_debug, and AT_SYSINFO_EHDR to the vDSO
 *    ("auxv");
 *  - raw system calls, an inline `syscall` (x86-64) or `svc 0` (aarch64)
 *    instruction that no import table shows.
 * Everything here is static and header-only; the plugins export nothing but
 * their entry point. The memory walks read other objects' memory on
 * purpose, so they are not instrumented by the sanitizers. */
#ifndef GD_TEST_ISO_H
#define GD_TEST_ISO_H

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <gordon/sdk.h>

#if defined(__GNUC__) || defined(__clang__)
#define ISO_NOSAN __attribute__((no_sanitize("address", "undefined"), unused))
#else
#define ISO_NOSAN
#endif

/* getauxval's keys (<sys/auxv.h> would do, but it declares getauxval). */
#define ISO_AT_BASE         7
#define ISO_AT_SYSINFO_EHDR 33

/* ------------------------------------------------------------ raw calls */

/* One system call by its number, without libc: what a loader's import
 * table never shows. Returns the kernel's value (-errno on failure). */
#if defined(__x86_64__)
static inline long iso_sys(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long iso_sys(long nr, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}
#else
/* Elsewhere the raw attacks do nothing, and the suite's controls say so. */
static inline long iso_sys(long nr, long a, long b, long c, long d, long e, long f)
{
    (void)nr, (void)a, (void)b, (void)c, (void)d, (void)e, (void)f;
    return -38; /* -ENOSYS */
}
#endif

#define ISO_SYS3(nr, a, b, c) iso_sys((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* 127.0.0.1:port as a struct sockaddr_in's bytes, built by hand: htons may
 * be a call into libc in an unoptimised build. */
typedef struct iso_sin {
    uint16_t family;
    uint8_t port[2];
    uint8_t addr[4];
    uint8_t zero[8];
} iso_sin;

static inline iso_sin iso_loopback(int port)
{
    iso_sin s;
    memset(&s, 0, sizeof s);
    s.family = 2; /* AF_INET */
    s.port[0] = (uint8_t)(port >> 8);
    s.port[1] = (uint8_t)port;
    s.addr[0] = 127;
    s.addr[3] = 1;
    return s;
}

/* socket, connect, write payload, close, all raw: the connection the test's
 * listener waits for. Returns the first failing call's -errno, or the bytes
 * written. */
static inline long iso_raw_connect_send(int port, const char *payload)
{
    iso_sin sa = iso_loopback(port);
    long fd = ISO_SYS3(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
    if (fd < 0)
        return fd;
    long rc = ISO_SYS3(SYS_connect, fd, &sa, sizeof sa);
    if (rc == 0)
        rc = ISO_SYS3(SYS_write, fd, payload, strlen(payload));
    ISO_SYS3(SYS_close, fd, 0, 0);
    return rc;
}

/* open(O_CREAT | O_WRONLY) and a write, raw (openat: aarch64 has no open). */
static inline long iso_raw_create(const char *path, const char *text)
{
    long fd = iso_sys(SYS_openat, -100 /* AT_FDCWD */, (long)path, O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0);
    if (fd < 0)
        return fd;
    long rc = ISO_SYS3(SYS_write, fd, text, strlen(text));
    ISO_SYS3(SYS_close, fd, 0, 0);
    return rc;
}

/* Reads up to cap - 1 bytes of path, raw; NUL bytes become newlines so the
 * text can be searched. Returns the bytes read or -errno. */
static inline long iso_raw_read(const char *path, char *buf, size_t cap)
{
    long fd = iso_sys(SYS_openat, -100, (long)path, O_RDONLY, 0, 0, 0);
    long n = 0;
    if (fd < 0)
        return fd;
    while ((size_t)n < cap - 1) {
        long k = ISO_SYS3(SYS_read, fd, buf + n, cap - 1 - (size_t)n);
        if (k <= 0)
            break;
        n += k;
    }
    ISO_SYS3(SYS_close, fd, 0, 0);
    for (long i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = '\n';
    buf[n] = '\0';
    return n;
}

/* The value of NAME= in text (an environment, one variable a line), copied
 * into out; "" if absent. */
static inline void iso_env_value(const char *text, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, name, nl) && p[nl] == '=') {
            size_t i = 0;
            for (p += nl + 1; *p && *p != '\n' && i + 1 < cap; p++)
                out[i++] = *p;
            out[i] = '\0';
            return;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
}

/* ------------------------------------------------------------ ELF in memory */

/* A loaded object's dynamic symbol table, as the dynamic loader sees it. */
typedef struct iso_obj {
    uintptr_t bias; /* l_addr: what the object's addresses are relative to */
    const ElfW(Sym) *sym;
    const char *str;
    const uint32_t *gnu_hash;
    const uint32_t *sysv_hash;
    const ElfW(Half) *versym;
} iso_obj;

static inline int iso_streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The ELF header at the start of the object that maps p: page by page
 * backwards until the magic. An object's segments are mapped as one
 * contiguous range, so every page on the way is readable. */
ISO_NOSAN static const ElfW(Ehdr) *iso_elf_of(const void *p)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
    for (unsigned i = 0; i < 65536 && a; i++, a -= 4096) {
        const unsigned char *q = (const unsigned char *)a;
        if (q[0] == 0x7f && q[1] == 'E' && q[2] == 'L' && q[3] == 'F' && q[EI_CLASS] == ELFCLASS64) {
            const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)a;
            if (eh->e_type == ET_DYN || eh->e_type == ET_EXEC)
                return eh;
        }
    }
    return NULL;
}

/* The tables of a dynamic array. glibc relocates their addresses in place
 * when the array is writable; the vDSO's are left relative. */
ISO_NOSAN static int iso_obj_dyn(iso_obj *o, uintptr_t bias, const ElfW(Dyn) *dyn)
{
    memset(o, 0, sizeof *o);
    o->bias = bias;
    for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t v = dyn->d_un.d_ptr;
        if (v < bias)
            v += bias;
        switch (dyn->d_tag) {
        case DT_SYMTAB: o->sym = (const ElfW(Sym) *)v; break;
        case DT_STRTAB: o->str = (const char *)v; break;
        case DT_GNU_HASH: o->gnu_hash = (const uint32_t *)v; break;
        case DT_HASH: o->sysv_hash = (const uint32_t *)v; break;
        case DT_VERSYM: o->versym = (const ElfW(Half) *)v; break;
        default: break;
        }
    }
    return o->sym && o->str && (o->gnu_hash || o->sysv_hash) ? 0 : -1;
}

/* An object from its ELF header in memory: the program headers give the
 * bias and PT_DYNAMIC. */
ISO_NOSAN static int iso_obj_ehdr(iso_obj *o, const ElfW(Ehdr) *eh)
{
    if (!eh)
        return -1;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
    uintptr_t lo = UINTPTR_MAX;
    const ElfW(Phdr) *dyn = NULL;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && (ph[i].p_vaddr & ~(uintptr_t)4095) < lo)
            lo = ph[i].p_vaddr & ~(uintptr_t)4095;
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = &ph[i];
    }
    if (!dyn || lo == UINTPTR_MAX)
        return -1;
    uintptr_t bias = (uintptr_t)eh - lo;
    return iso_obj_dyn(o, bias, (const ElfW(Dyn) *)(bias + dyn->p_vaddr));
}

/* A symbol's address in o by name, as the loader finds it: the GNU hash
 * table (or the SysV one), skipping hidden (non-default) versions. An IFUNC
 * is resolved by calling its resolver. NULL if absent. */
ISO_NOSAN static void *iso_sym(const iso_obj *o, const char *name)
{
    const ElfW(Sym) *hit = NULL;
    if (o->gnu_hash) {
        const uint32_t *g = o->gnu_hash;
        uint32_t nbuckets = g[0], symoffset = g[1], bloom_size = g[2];
        const ElfW(Addr) *bloom = (const ElfW(Addr) *)(g + 4);
        const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
        const uint32_t *chain = buckets + nbuckets;
        uint32_t h = 5381;
        for (const unsigned char *s = (const unsigned char *)name; *s; s++)
            h = h * 33 + *s;
        uint32_t i = nbuckets ? buckets[h % nbuckets] : 0;
        for (; i >= symoffset && !hit; i++) {
            uint32_t ch = chain[i - symoffset];
            const ElfW(Sym) *s = &o->sym[i];
            if ((ch | 1) == (h | 1) && s->st_shndx != SHN_UNDEF && iso_streq(o->str + s->st_name, name) &&
                !(o->versym && (o->versym[i] & 0x8000)))
                hit = s;
            if (ch & 1)
                break;
        }
    } else {
        uint32_t nchain = o->sysv_hash[1];
        for (uint32_t i = 1; i < nchain && !hit; i++) {
            const ElfW(Sym) *s = &o->sym[i];
            if (s->st_shndx != SHN_UNDEF && iso_streq(o->str + s->st_name, name) &&
                !(o->versym && (o->versym[i] & 0x8000)))
                hit = s;
        }
    }
    if (!hit)
        return NULL;
    void *p = (void *)(o->bias + hit->st_value);
    if (ELF64_ST_TYPE(hit->st_info) == STT_GNU_IFUNC)
        p = ((void *(*)(void))p)();
    return p;
}

/* libc in a list of loaded objects (a link_map chain). */
ISO_NOSAN static int iso_libc_in(iso_obj *o, const struct link_map *m)
{
    for (unsigned n = 0; m && n < 4096; m = m->l_next, n++) {
        const char *name = m->l_name, *slash = name ? strrchr(name, '/') : NULL;
        if (name && iso_streq(slash ? slash + 1 : name, "libc.so.6"))
            return iso_obj_dyn(o, m->l_addr, m->l_ld);
    }
    return -1;
}

/* Route "fnptr": from a libc function's address (ldiv is on the import
 * allowlist and no sanitizer intercepts it) back to libc's ELF header. */
ISO_NOSAN static int iso_libc_fnptr(iso_obj *o)
{
    ldiv_t (*volatile f)(long, long) = ldiv;
    return iso_obj_ehdr(o, iso_elf_of((const void *)f));
}

/* Route "rdebug": the host-API table's code lives in the executable that
 * loaded the plugin; its DT_DEBUG holds the loader's _r_debug, whose r_map
 * lists every object, libc among them. */
ISO_NOSAN static int iso_libc_rdebug(iso_obj *o, const gordon_host_api *api)
{
    const ElfW(Ehdr) *exe = iso_elf_of((const void *)api->log);
    if (!exe)
        return -1;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)exe + exe->e_phoff);
    uintptr_t lo = UINTPTR_MAX;
    const ElfW(Dyn) *dyn = NULL;
    for (unsigned i = 0; i < exe->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && (ph[i].p_vaddr & ~(uintptr_t)4095) < lo)
            lo = ph[i].p_vaddr & ~(uintptr_t)4095;
    for (unsigned i = 0; i < exe->e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)((uintptr_t)exe - lo + ph[i].p_vaddr);
    for (; dyn && dyn->d_tag != DT_NULL; dyn++)
        if (dyn->d_tag == DT_DEBUG && dyn->d_un.d_ptr)
            return iso_libc_in(o, ((const struct r_debug *)dyn->d_un.d_ptr)->r_map);
    return -1;
}

/* Route "auxv": libc's getauxval (found by the first route) gives the
 * dynamic loader's base (AT_BASE), whose exported _r_debug lists libc; and
 * the vDSO (AT_SYSINFO_EHDR), whose symbols are read the same way. */
ISO_NOSAN static int iso_libc_auxv(iso_obj *o, void **vdso_fn)
{
    iso_obj first, ld, vdso;
    if (iso_libc_fnptr(&first) != 0)
        return -1;
    unsigned long (*getauxval_fn)(unsigned long) = (unsigned long (*)(unsigned long))iso_sym(&first, "getauxval");
    if (!getauxval_fn)
        return -1;
    const ElfW(Ehdr) *vd = (const ElfW(Ehdr) *)getauxval_fn(ISO_AT_SYSINFO_EHDR);
    *vdso_fn = NULL;
    if (vd && iso_obj_ehdr(&vdso, vd) == 0) {
        *vdso_fn = iso_sym(&vdso, "__vdso_clock_gettime");
        if (!*vdso_fn)
            *vdso_fn = iso_sym(&vdso, "__kernel_clock_gettime"); /* aarch64's name */
    }
    const ElfW(Ehdr) *ldso = (const ElfW(Ehdr) *)getauxval_fn(ISO_AT_BASE);
    if (!ldso || iso_obj_ehdr(&ld, ldso) != 0)
        return -1;
    const struct r_debug *r = (const struct r_debug *)iso_sym(&ld, "_r_debug");
    return r ? iso_libc_in(o, r->r_map) : -1;
}

/* libc by the named route (fnptr, rdebug, auxv); what it found is logged
 * through the host API, so the test sees the walk worked inside the sandbox
 * before the forbidden call. */
static inline int iso_find_libc(iso_obj *o, const char *route, const gordon_host_api *api, gordon_ctx *ctx)
{
    void *vdso = NULL;
    int rc = !strcmp(route, "rdebug") ? iso_libc_rdebug(o, api)
             : !strcmp(route, "auxv") ? iso_libc_auxv(o, &vdso)
                                      : iso_libc_fnptr(o);
    char msg[256];
    snprintf(msg, sizeof msg, "iso: libc via %s: %s (bias %#lx, socket %p, system %p, vdso clock_gettime %p)", route,
             rc ? "NOT FOUND" : "found", rc ? 0ul : (unsigned long)o->bias, rc ? NULL : iso_sym(o, "socket"),
             rc ? NULL : iso_sym(o, "system"), vdso);
    api->log(ctx, GORDON_LOG_WARN, msg);
    return rc;
}

/* ------------------------------------------------------------ the plugin */

/* Each plugin's instance: the host's table and handle (used only inside a
 * callback of this instance), and whether its attack has run. The attack
 * waits for bars from from_ms on (a parameter), so that the test has its
 * probes running first; a restarted worker's warm-up bars are older. */
typedef struct iso_self {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int done;
    int64_t port;
    int64_t from_ms;
    char attack[64];
    char marker[512];
    char path2[512];
} iso_self;

static inline void iso_str_param(const iso_self *s, const char *name, char *out, size_t cap)
{
    const char *v = NULL;
    out[0] = '\0';
    if (s->api->param_string(s->ctx, name, &v) == 0 && v)
        snprintf(out, cap, "%s", v);
}

static inline int iso_create_common(const gordon_host_api *api, gordon_ctx *ctx, void **instance)
{
    iso_self *s = calloc(1, sizeof *s);
    *instance = s;
    if (!s)
        return -1;
    s->api = api;
    s->ctx = ctx;
    if (api->param_int(ctx, "port", &s->port) != 0)
        s->port = 0;
    if (api->param_int(ctx, "from_ms", &s->from_ms) != 0)
        s->from_ms = 0;
    iso_str_param(s, "attack", s->attack, sizeof s->attack);
    iso_str_param(s, "marker", s->marker, sizeof s->marker);
    return 0;
}

static inline void iso_destroy(void *instance) { free(instance); }

/* 1 once, at the first bar the attack waits for. */
static inline int iso_now(iso_self *s, const gordon_bar *bar) { return bar->open_time_ms >= s->from_ms && !s->done++; }

static inline void iso_log(const iso_self *s, const char *what, long rc)
{
    char msg[320];
    snprintf(msg, sizeof msg, "iso: %s: %s returned %ld", s->attack, what, rc);
    s->api->log(s->ctx, GORDON_LOG_WARN, msg);
}

#define ISO_PARAM_PORT                                                                                                 \
    {.name = "port", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 65535, .help = "the test's listener"}
#define ISO_PARAM_FROM                                                                                                 \
    {.name = "from_ms", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 1e15, .help = "attack from this bar on"}
#define ISO_PARAM_STR(n, h) {.name = n, .type = GORDON_PARAM_STRING, .def_str = "", .help = h}

#endif
