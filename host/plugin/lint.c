/* The plugin lint: rules a plugin .so must follow, checked from its file
 * before any of its code (constructors included) runs.
 *
 * It reads what the dynamic loader reads: the ELF header, the program
 * headers, the PT_DYNAMIC array (at its address, through the PT_LOAD
 * segments, as the loader finds it) and the tables that array points to:
 * strings, symbols, hash tables, symbol versions, relocations. Section
 * headers are never read: the loader ignores them, so a file with zeroed or
 * forged ones is judged as if they were intact. The file is untrusted:
 * every read is bounds-checked, and anything malformed is refused with the
 * file named and what is wrong with it.
 *
 * The rules: a 64-bit little-endian x86-64 or aarch64 ET_DYN; no library
 * search path (DT_RPATH, DT_RUNPATH), audit, filter or pre-initialiser
 * entries, no thread-locals, no executable stack; DT_NEEDED exactly libc.so.6
 * or libm.so.6 (and the sanitizer runtimes in a sanitizer build); every
 * imported symbol on an allowlist of what a computation needs from them.
 *
 * This is a lint that catches accidents and states the rules. It is NOT a
 * security boundary: code in the host's address space can still make raw
 * system calls, find libc's functions in memory, have a symbol of its own
 * bound to libc's by name (interposition), or write over the host. The
 * boundary is the sandboxed worker process that runs plugins in live modes
 * (host/plugin/worker*). */
#include "plugin/lint.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "plugin/lint.c reads ELF files in the host's byte order, which must be little-endian"
#endif

#if defined(__x86_64__)
#define GD_LINT_HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define GD_LINT_HOST_MACHINE EM_AARCH64
#else
#define GD_LINT_HOST_MACHINE EM_NONE /* any of the two; dlopen refuses the wrong one */
#endif

/* A plugin is at most a few MiB and is read into memory whole: a file far
 * larger is a mistake, not a plugin. */
#define GD_LINT_FILE_MAX    ((size_t)256 << 20)
/* Linkers write two to five PT_LOAD segments; many more is a crafted file. */
#define GD_LINT_LOADS_MAX   16u
/* (version, library) pairs in DT_VERNEED: a plugin needs a handful. */
#define GD_LINT_VERNEED_MAX 256u
/* Refused imports named in one message after the first. */
#define GD_LINT_NAMES_MAX   4u
/* Untrusted names are quoted at most this long, unprintable bytes as '?'. */
#define GD_LINT_QUOTE_MAX   96u

/* ------------------------------------------------------------- the rules */

/* DT_NEEDED and DT_VERNEED libraries, matched exactly: a pattern such as
 * libc.so.* also admits a look-alike the plugin ships beside itself. */
static const char *const allowed_libs[] = {
    "libc.so.6",
    "libm.so.6",
#ifdef GD_SANITIZER_BUILD
    /* What -fsanitize=address,undefined links into every object with GCC 12
     * (Debian 12's); clang links its runtimes into the executable instead. */
    "libasan.so.8",
    "libubsan.so.1",
#endif
};

/* The tables read better packed than one name a line. */
/* clang-format off */

/* libm: each also in its float ('f') and long double ('l') form. */
static const char *const allowed_math[] = {
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "copysign", "cos", "cosh", "erf",
    "erfc", "exp", "exp10", "exp2", "expm1", "fabs", "fdim", "floor", "fma", "fmax", "fmin", "fmod", "frexp",
    "hypot", "ilogb", "ldexp", "lgamma", "llrint", "llround", "log", "log10", "log1p", "log2", "logb", "lrint",
    "lround", "modf", "nan", "nearbyint", "nextafter", "nexttoward", "pow", "remainder", "remquo", "rint", "round",
    "scalbln", "scalbn", "sin", "sincos", "sinh", "sqrt", "tan", "tanh", "tgamma", "trunc",
    /* what isfinite(), isinf(), isnan(), fpclassify() and signbit() call
     * when the compiler does not expand them */
    "__finite", "__isinf", "__isnan", "__fpclassify", "__signbit",
};

/* The rest of what a computation needs from libc: memory, strings,
 * formatting into its own buffers, numbers from text, sorting. No streams,
 * files, sockets, processes, signals, time, environment or loader. */
static const char *const allowed_imports[] = {
    /* memory and strings */
    "memchr", "memcmp", "memcpy", "memmem", "memmove", "mempcpy", "memrchr", "memset", "explicit_bzero", "stpcpy",
    "stpncpy", "strcasecmp", "strcat", "strchr", "strcmp", "strcpy", "strcspn", "strdup", "strlen", "strncasecmp",
    "strncat", "strncmp", "strncpy", "strndup", "strnlen", "strpbrk", "strrchr", "strspn", "strstr", "strtok_r",
    /* their _FORTIFY_SOURCE forms */
    "__memcpy_chk", "__memmove_chk", "__mempcpy_chk", "__memset_chk", "__explicit_bzero_chk", "__stpcpy_chk",
    "__stpncpy_chk", "__strcat_chk", "__strcpy_chk", "__strncat_chk", "__strncpy_chk",
    /* formatting into and parsing from the caller's buffer, never a stream */
    "snprintf", "sprintf", "vsnprintf", "vsprintf", "__snprintf_chk", "__sprintf_chk", "__vsnprintf_chk",
    "__vsprintf_chk", "sscanf", "vsscanf", "__isoc99_sscanf", "__isoc99_vsscanf", "__isoc23_sscanf",
    "__isoc23_vsscanf",
    /* the heap */
    "malloc", "calloc", "realloc", "reallocarray", "free", "aligned_alloc", "posix_memalign",
    /* sorting and searching */
    "qsort", "qsort_r", "bsearch",
    /* numbers from text (glibc 2.38 renames them under C2x as __isoc23_*) */
    "atof", "atoi", "atol", "atoll", "strtod", "strtof", "strtold", "strtol", "strtoll", "strtoul", "strtoull",
    "strtoimax", "strtoumax", "__isoc23_strtol", "__isoc23_strtoll", "__isoc23_strtoul", "__isoc23_strtoull",
    "__isoc23_strtoimax", "__isoc23_strtoumax",
    /* integer arithmetic */
    "abs", "labs", "llabs", "imaxabs", "div", "ldiv", "lldiv", "imaxdiv",
    /* <ctype.h>: the macros read the tables, the functions do the same */
    "__ctype_b_loc", "__ctype_tolower_loc", "__ctype_toupper_loc", "isalnum", "isalpha", "isblank", "iscntrl",
    "isdigit", "isgraph", "islower", "isprint", "ispunct", "isspace", "isupper", "isxdigit", "tolower", "toupper",
    /* what the compiler and assert() call; aarch64's canary is a variable */
    "__assert_fail", "__errno_location", "__stack_chk_fail", "__stack_chk_guard",
};

/* clang-format on */

/* Weak references the C runtime's crt files put in every shared object:
 * allowed only weak, as the toolchain writes them. */
static const char *const toolchain_weak[] = {
    "__cxa_finalize",
    "_ITM_deregisterTMCloneTable",
    "_ITM_registerTMCloneTable",
    "__gmon_start__",
};

#ifdef GD_SANITIZER_BUILD
/* The instrumentation's calls into its runtimes. */
static const char *const sanitizer_prefixes[] = {"__asan_", "__ubsan_", "__sanitizer_"};
#endif

/* Dynamic tags a plugin may not have: each changes what gets loaded, or
 * runs code, before or around the plugin itself. */
static const struct refused_tag {
    Elf64_Sxword tag;
    const char *name;
    int is_string; /* the value is a DT_STRTAB offset, quoted in the message */
    const char *why;
} refused_tags[] = {
    {DT_RPATH, "DT_RPATH", 1,
     "a library search path lets a plugin pick the libraries it gets (plugins link the system's libc.so.6 and "
     "libm.so.6, found where the system keeps them)"},
    {DT_RUNPATH, "DT_RUNPATH", 1,
     "a library search path lets a plugin pick the libraries it gets (plugins link the system's libc.so.6 and "
     "libm.so.6, found where the system keeps them)"},
    {DT_AUDIT, "DT_AUDIT", 1, "an audit library runs inside the dynamic loader"},
    {DT_DEPAUDIT, "DT_DEPAUDIT", 1, "an audit library runs inside the dynamic loader"},
    {DT_FILTER, "DT_FILTER", 1, "a filter hands the plugin's symbols to another library"},
    {DT_AUXILIARY, "DT_AUXILIARY", 1, "a filter hands the plugin's symbols to another library"},
    {DT_PREINIT_ARRAY, "DT_PREINIT_ARRAY", 0, "pre-initialisers belong to executables"},
    {DT_PREINIT_ARRAYSZ, "DT_PREINIT_ARRAYSZ", 0, "pre-initialisers belong to executables"},
};

static int in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, list[i]))
            return 1;
    return 0;
}

#define IN_LIST(name, list) in_list((name), (list), sizeof(list) / sizeof(list)[0])

static int math_allowed(const char *name)
{
    for (size_t i = 0; i < sizeof allowed_math / sizeof allowed_math[0]; i++) {
        size_t n = strlen(allowed_math[i]);
        if (strncmp(name, allowed_math[i], n))
            continue;
        if (!name[n] || ((name[n] == 'f' || name[n] == 'l') && !name[n + 1]))
            return 1;
    }
    return 0;
}

/* name as imported (exact: the loader looks up the name as written). */
static int import_allowed(const char *name, int weak)
{
    if (IN_LIST(name, allowed_imports) || math_allowed(name))
        return 1;
    if (weak && IN_LIST(name, toolchain_weak))
        return 1;
#ifdef GD_SANITIZER_BUILD
    for (size_t i = 0; i < sizeof sanitizer_prefixes / sizeof sanitizer_prefixes[0]; i++)
        if (!strncmp(name, sanitizer_prefixes[i], strlen(sanitizer_prefixes[i])))
            return 1;
#endif
    return 0;
}

static int lib_allowed(const char *lib) { return IN_LIST(lib, allowed_libs); }

/* "libc.so.6, libm.so.6": the library allowlist, for messages. */
static const char *libs_text(char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof allowed_libs / sizeof allowed_libs[0] && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", allowed_libs[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

/* s as quoted text: printable ASCII, at most GD_LINT_QUOTE_MAX bytes. The
 * file chose these bytes; they go into logs and terminals. */
static const char *quote(const char *s, char out[GD_LINT_QUOTE_MAX + 4])
{
    size_t i;

    if (!s)
        return "(unreadable)";
    for (i = 0; i < GD_LINT_QUOTE_MAX && s[i]; i++)
        out[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i])
        out[i++] = '.', out[i++] = '.', out[i++] = '.';
    out[i] = '\0';
    return out;
}

/* ------------------------------------------------------- reading the file */

typedef struct lint_seg {
    uint64_t vaddr, off, filesz, memsz;
} lint_seg;

/* Dynamic tags read once each. The loader keeps the last of duplicates and
 * a reader might keep the first, so duplicates are refused. */
/* clang-format off */
enum { T_STRTAB, T_STRSZ, T_SYMTAB, T_SYMENT, T_HASH, T_GNU_HASH, T_VERSYM, T_VERNEED, T_VERNEEDNUM, T_RELA,
       T_RELASZ, T_RELAENT, T_JMPREL, T_PLTRELSZ, T_PLTREL, T_REL, T_FLAGS_1, T_COUNT };
/* clang-format on */

static const struct {
    Elf64_Sxword tag;
    const char *name;
} tag_names[T_COUNT] = {
    [T_STRTAB] = {DT_STRTAB, "DT_STRTAB"},
    [T_STRSZ] = {DT_STRSZ, "DT_STRSZ"},
    [T_SYMTAB] = {DT_SYMTAB, "DT_SYMTAB"},
    [T_SYMENT] = {DT_SYMENT, "DT_SYMENT"},
    [T_HASH] = {DT_HASH, "DT_HASH"},
    [T_GNU_HASH] = {DT_GNU_HASH, "DT_GNU_HASH"},
    [T_VERSYM] = {DT_VERSYM, "DT_VERSYM"},
    [T_VERNEED] = {DT_VERNEED, "DT_VERNEED"},
    [T_VERNEEDNUM] = {DT_VERNEEDNUM, "DT_VERNEEDNUM"},
    [T_RELA] = {DT_RELA, "DT_RELA"},
    [T_RELASZ] = {DT_RELASZ, "DT_RELASZ"},
    [T_RELAENT] = {DT_RELAENT, "DT_RELAENT"},
    [T_JMPREL] = {DT_JMPREL, "DT_JMPREL"},
    [T_PLTRELSZ] = {DT_PLTRELSZ, "DT_PLTRELSZ"},
    [T_PLTREL] = {DT_PLTREL, "DT_PLTREL"},
    [T_REL] = {DT_REL, "DT_REL"},
    [T_FLAGS_1] = {DT_FLAGS_1, "DT_FLAGS_1"},
};

typedef struct lint_tag {
    uint64_t v;
    int set;
} lint_tag;

typedef struct lint_need { /* one (version, library) pair of DT_VERNEED */
    unsigned ndx;          /* the version index symbols name it by */
    const char *version;   /* borrowed: in the file buffer */
    const char *lib;       /* borrowed: in the file buffer */
} lint_need;

typedef struct lint_elf {
    const char *path;         /* borrowed: the name messages use */
    const unsigned char *buf; /* borrowed: the whole file */
    size_t len;
    lint_seg load[GD_LINT_LOADS_MAX];
    size_t n_load;
    uint64_t dyn_off; /* the dynamic array: file offset, entries before DT_NULL */
    size_t n_dyn;
    lint_tag t[T_COUNT];
    uint64_t str_off, sym_off, versym_off; /* file offsets of the tables */
    uint64_t n_sym;                        /* symbols, per the hash tables */
    lint_need need[GD_LINT_VERNEED_MAX];
    size_t n_need;
} lint_elf;

static int malformed(const lint_elf *e, gd_err *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int malformed(const lint_elf *e, gd_err *err, const char *fmt, ...)
{
    char what[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return gd_err_set(err, GD_EINVAL, "%s: malformed ELF file: %s", e->path, what);
}

/* Only after the range was checked. */
static uint16_t rd16(const lint_elf *e, uint64_t off)
{
    uint16_t v;
    memcpy(&v, e->buf + off, sizeof v);
    return v;
}

static uint32_t rd32(const lint_elf *e, uint64_t off)
{
    uint32_t v;
    memcpy(&v, e->buf + off, sizeof v);
    return v;
}

static int in_file(const lint_elf *e, uint64_t off, uint64_t size) { return off <= e->len && size <= e->len - off; }

/* The PT_LOAD segment whose bytes from the file hold vaddr, or NULL. The
 * rest of a segment (up to p_memsz) is zeros the file does not hold. */
static const lint_seg *seg_of(const lint_elf *e, uint64_t vaddr)
{
    for (size_t i = 0; i < e->n_load; i++)
        if (vaddr >= e->load[i].vaddr && vaddr - e->load[i].vaddr < e->load[i].filesz)
            return &e->load[i];
    return NULL;
}

/* The file offset of [vaddr, vaddr + size): it must lie within one
 * segment's bytes from the file, as the loader maps it. */
static int map_range(const lint_elf *e, uint64_t vaddr, uint64_t size, const char *what, uint64_t *off, gd_err *err)
{
    const lint_seg *s = seg_of(e, vaddr);

    if (!s || size > s->filesz - (vaddr - s->vaddr))
        return malformed(e, err,
                         "%s: %" PRIu64 " bytes at address 0x%" PRIx64 " are not inside what a PT_LOAD "
                         "segment maps from the file",
                         what, size, vaddr);
    *off = s->off + (vaddr - s->vaddr);
    return GD_OK;
}

/* The NUL-terminated string at off in DT_STRTAB, or NULL. */
static const char *dynstr(const lint_elf *e, uint64_t off)
{
    const char *s;

    if (off >= e->t[T_STRSZ].v)
        return NULL;
    s = (const char *)e->buf + e->str_off + off;
    return memchr(s, '\0', e->t[T_STRSZ].v - off) ? s : NULL;
}

static const char *machine_name(unsigned m)
{
    switch (m) {
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "aarch64";
    case EM_386: return "i386";
    case EM_ARM: return "32-bit arm";
    case EM_RISCV: return "risc-v";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    default: return "an unknown machine";
    }
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

/* --------------------------------------------------------- the structure */

static int lint_header(const lint_elf *e, Elf64_Ehdr *eh, gd_err *err)
{
    if (e->len < SELFMAG || memcmp(e->buf, ELFMAG, SELFMAG))
        return gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object (no ELF magic)", e->path);
    if (e->len < EI_NIDENT)
        return malformed(e, err, "the ELF header is truncated (the file has %zu bytes)", e->len);
    if (e->buf[EI_CLASS] != ELFCLASS64 || e->buf[EI_DATA] != ELFDATA2LSB)
        return gd_err_set(err, GD_EINVAL,
                          "%s: not a 64-bit little-endian ELF file (class %u, byte order %u): "
                          "plugins are built for x86-64 or aarch64",
                          e->path, e->buf[EI_CLASS], e->buf[EI_DATA]);
    if (e->len < sizeof *eh)
        return malformed(e, err, "the ELF header is truncated (the file has %zu bytes, the header needs %zu)", e->len,
                         sizeof *eh);
    memcpy(eh, e->buf, sizeof *eh);
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return malformed(e, err, "ELF version %u, not %u", (unsigned)eh->e_version, (unsigned)EV_CURRENT);
    if (eh->e_type != ET_DYN)
        return gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object (ELF type %u: %s)", e->path,
                          (unsigned)eh->e_type, elf_type_name(eh->e_type));
    if ((eh->e_machine != EM_X86_64 && eh->e_machine != EM_AARCH64) ||
        (GD_LINT_HOST_MACHINE != EM_NONE && eh->e_machine != GD_LINT_HOST_MACHINE))
        return gd_err_set(err, GD_EINVAL, "%s: built for %s (ELF machine %u), not for this host (%s)", e->path,
                          machine_name(eh->e_machine), (unsigned)eh->e_machine, machine_name(GD_LINT_HOST_MACHINE));
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return malformed(e, err, "program header entries of %u bytes, not %zu", (unsigned)eh->e_phentsize,
                         sizeof(Elf64_Phdr));
    /* PN_XNUM moves the count into section 0: plugins have a few. */
    if (eh->e_phnum == 0 || eh->e_phnum == PN_XNUM)
        return malformed(e, err, "%s program headers", eh->e_phnum ? "an extended count (PN_XNUM) of" : "no");
    if (!in_file(e, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        return malformed(e, err,
                         "the %u program headers at offset 0x%" PRIx64 " run past the end of the file "
                         "(%zu bytes)",
                         (unsigned)eh->e_phnum, (uint64_t)eh->e_phoff, e->len);
    return GD_OK;
}

static int lint_load(lint_elf *e, const Elf64_Phdr *ph, size_t i, gd_err *err)
{
    const lint_seg *prev = e->n_load ? &e->load[e->n_load - 1] : NULL;

    if (e->n_load == GD_LINT_LOADS_MAX)
        return malformed(e, err, "more than %u PT_LOAD segments", GD_LINT_LOADS_MAX);
    if (!in_file(e, ph->p_offset, ph->p_filesz))
        return malformed(e, err,
                         "PT_LOAD segment (program header %zu: %" PRIu64 " bytes at offset 0x%" PRIx64
                         ") runs past the end of the file (%zu bytes): truncated?",
                         i, (uint64_t)ph->p_filesz, (uint64_t)ph->p_offset, e->len);
    if (ph->p_filesz > ph->p_memsz || ph->p_memsz > UINT64_MAX - ph->p_vaddr)
        return malformed(e, err,
                         "PT_LOAD segment (program header %zu) has %" PRIu64 " bytes in the file but %" PRIu64
                         " in memory at 0x%" PRIx64,
                         i, (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz, (uint64_t)ph->p_vaddr);
    /* Ascending and apart, as the loader requires: each address then maps
     * to one file offset. */
    if (prev && ph->p_vaddr < prev->vaddr + prev->memsz)
        return malformed(e, err,
                         "PT_LOAD segment (program header %zu) at 0x%" PRIx64 " overlaps or precedes the "
                         "one before it",
                         i, (uint64_t)ph->p_vaddr);
    e->load[e->n_load++] = (lint_seg){ph->p_vaddr, ph->p_offset, ph->p_filesz, ph->p_memsz};
    return GD_OK;
}

static int lint_segments(lint_elf *e, const Elf64_Ehdr *eh, gd_err *err)
{
    Elf64_Phdr dyn = {0};
    int have_dyn = 0, rc;
    uint64_t off = 0;

    for (size_t i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, e->buf + eh->e_phoff + i * sizeof ph, sizeof ph);
        switch (ph.p_type) {
        case PT_LOAD:
            if ((rc = lint_load(e, &ph, i, err)) != GD_OK)
                return rc;
            break;
        case PT_DYNAMIC:
            if (have_dyn++)
                return malformed(e, err, "more than one PT_DYNAMIC segment");
            dyn = ph;
            break;
        case PT_INTERP:
            return gd_err_set(err, GD_EINVAL,
                              "%s: not an ELF shared object (an executable: it names a program "
                              "interpreter)",
                              e->path);
        case PT_TLS:
            return gd_err_set(err, GD_EFORBIDDEN,
                              "%s: has thread-local storage (PT_TLS), which plugins may not "
                              "have: they keep their state in their instance",
                              e->path);
        case PT_GNU_STACK:
            if (ph.p_flags & PF_X)
                return gd_err_set(err, GD_EFORBIDDEN,
                                  "%s: asks for an executable stack (PT_GNU_STACK), which "
                                  "plugins may not: loading it makes every thread's stack in the host executable",
                                  e->path);
            break;
        default: break;
        }
    }
    if (!e->n_load)
        return malformed(e, err, "no PT_LOAD segment");
    if (!have_dyn)
        return malformed(e, err, "no PT_DYNAMIC segment");
    if (!in_file(e, dyn.p_offset, dyn.p_filesz))
        return malformed(e, err,
                         "PT_DYNAMIC (%" PRIu64 " bytes at offset 0x%" PRIx64 ") runs past the end of the "
                         "file (%zu bytes)",
                         (uint64_t)dyn.p_filesz, (uint64_t)dyn.p_offset, e->len);
    /* The loader reads the array at its address: that is what counts. */
    rc = map_range(e, dyn.p_vaddr, dyn.p_filesz, "PT_DYNAMIC", &off, err);
    if (rc)
        return rc;
    if (off != dyn.p_offset)
        return malformed(e, err,
                         "PT_DYNAMIC's address 0x%" PRIx64 " maps to file offset 0x%" PRIx64 ", not to its "
                         "stated offset 0x%" PRIx64,
                         (uint64_t)dyn.p_vaddr, off, (uint64_t)dyn.p_offset);
    e->dyn_off = off;
    e->n_dyn = dyn.p_filesz / sizeof(Elf64_Dyn);
    return GD_OK;
}

static Elf64_Dyn dyn_at(const lint_elf *e, size_t i)
{
    Elf64_Dyn d;
    memcpy(&d, e->buf + e->dyn_off + i * sizeof d, sizeof d);
    return d;
}

/* Reads the tags the lint needs; n_dyn becomes the count before DT_NULL. */
static int lint_dynamic(lint_elf *e, gd_err *err)
{
    size_t i;

    for (i = 0; i < e->n_dyn; i++) {
        Elf64_Dyn d = dyn_at(e, i);

        if (d.d_tag == DT_NULL)
            break;
        for (size_t k = 0; k < T_COUNT; k++) {
            if (tag_names[k].tag != d.d_tag)
                continue;
            if (e->t[k].set)
                return malformed(e, err, "more than one %s entry in the dynamic array", tag_names[k].name);
            e->t[k] = (lint_tag){d.d_un.d_val, 1};
        }
    }
    /* Without one, the loader would read on past the segment. */
    if (i == e->n_dyn)
        return malformed(e, err, "the dynamic array (PT_DYNAMIC, %zu entries) has no DT_NULL terminator", e->n_dyn);
    e->n_dyn = i;
    if (e->t[T_FLAGS_1].set && (e->t[T_FLAGS_1].v & DF_1_PIE))
        return gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object (a position-independent executable)", e->path);
    if (!e->t[T_STRTAB].set || !e->t[T_STRSZ].set)
        return malformed(e, err, "no dynamic string table (DT_STRTAB and DT_STRSZ)");
    return map_range(e, e->t[T_STRTAB].v, e->t[T_STRSZ].v, "DT_STRTAB (the dynamic strings)", &e->str_off, err);
}

static int lint_refused_tags(const lint_elf *e, gd_err *err)
{
    char q[GD_LINT_QUOTE_MAX + 4];

    for (size_t i = 0; i < e->n_dyn; i++) {
        Elf64_Dyn d = dyn_at(e, i);

        for (size_t k = 0; k < sizeof refused_tags / sizeof refused_tags[0]; k++) {
            const struct refused_tag *r = &refused_tags[k];
            if (r->tag != d.d_tag)
                continue;
            if (r->is_string)
                return gd_err_set(err, GD_EFORBIDDEN, "%s: has %s '%s', which plugins may not have: %s", e->path,
                                  r->name, quote(dynstr(e, d.d_un.d_val), q), r->why);
            return gd_err_set(err, GD_EFORBIDDEN, "%s: has %s, which plugins may not have: %s", e->path, r->name,
                              r->why);
        }
    }
    return GD_OK;
}

/* ------------------------------------------------------------ the tables */

typedef struct lint_range {
    const char *what;
    uint64_t off, size;
} lint_range;

static int count_hash(const lint_elf *e, uint64_t *n, lint_range *r, gd_err *err)
{
    uint64_t off = 0;
    uint32_t nbucket, nchain;
    int rc = map_range(e, e->t[T_HASH].v, 8, "DT_HASH", &off, err);

    if (rc)
        return rc;
    nbucket = rd32(e, off);
    nchain = rd32(e, off + 4);
    if (!nbucket)
        return malformed(e, err, "DT_HASH has no buckets");
    *r = (lint_range){"DT_HASH", off, 8 + 4 * ((uint64_t)nbucket + nchain)};
    *n = nchain; /* one chain entry per symbol */
    return map_range(e, e->t[T_HASH].v, r->size, "DT_HASH", &off, err);
}

static int count_gnu_hash(const lint_elf *e, uint64_t *n, lint_range *r, gd_err *err)
{
    uint64_t vaddr = e->t[T_GNU_HASH].v, off = 0, head, avail, last = 0;
    uint32_t nbucket, symoff, nbloom;
    int rc = map_range(e, vaddr, 16, "DT_GNU_HASH", &off, err);

    if (rc)
        return rc;
    nbucket = rd32(e, off);
    symoff = rd32(e, off + 4);
    nbloom = rd32(e, off + 8);
    if (!nbucket)
        return malformed(e, err, "DT_GNU_HASH has no buckets");
    head = 16 + 8 * (uint64_t)nbloom + 4 * (uint64_t)nbucket; /* bytes before the chains */
    if ((rc = map_range(e, vaddr, head, "DT_GNU_HASH", &off, err)) != GD_OK)
        return rc;
    for (uint32_t b = 0; b < nbucket; b++) {
        uint32_t first = rd32(e, off + 16 + 8 * (uint64_t)nbloom + 4 * (uint64_t)b);
        if (first && first < symoff)
            return malformed(e, err,
                             "DT_GNU_HASH bucket %" PRIu32 " starts at symbol %" PRIu32 ", below the first "
                             "hashed symbol %" PRIu32,
                             b, first, symoff);
        if (first > last)
            last = first;
    }
    *n = symoff; /* symbols below symoff (imports among them) are not hashed */
    *r = (lint_range){"DT_GNU_HASH", off, head};
    if (!last)
        return GD_OK;
    /* Chains run in bucket order, so the one starting last ends the table:
     * at its entry with the low bit set. */
    avail = seg_of(e, vaddr)->filesz - (vaddr - seg_of(e, vaddr)->vaddr);
    for (uint64_t i = last;; i++) {
        uint64_t at = head + 4 * (i - symoff);
        if (at + 4 > avail)
            return malformed(e, err,
                             "DT_GNU_HASH's last chain (from symbol %" PRIu64 ") runs past the end of its "
                             "segment",
                             last);
        if (rd32(e, off + at) & 1) {
            *n = i + 1;
            r->size = at + 4;
            return GD_OK;
        }
    }
}

static int lint_verneed(lint_elf *e, gd_err *err)
{
    uint64_t at = e->t[T_VERNEED].v, off = 0;

    if (!e->t[T_VERNEED].set)
        return GD_OK;
    if (!e->t[T_VERNEEDNUM].set || e->t[T_VERNEEDNUM].v > GD_LINT_VERNEED_MAX)
        return malformed(e, err, "DT_VERNEED without a DT_VERNEEDNUM of at most %u", GD_LINT_VERNEED_MAX);
    for (uint64_t i = 0; i < e->t[T_VERNEEDNUM].v; i++) {
        Elf64_Verneed vn;
        uint64_t aux;
        int rc;

        if ((rc = map_range(e, at, sizeof vn, "a DT_VERNEED entry", &off, err)) != GD_OK)
            return rc;
        memcpy(&vn, e->buf + off, sizeof vn);
        if (vn.vn_version != VER_NEED_CURRENT || !dynstr(e, vn.vn_file))
            return malformed(e, err, "DT_VERNEED entry %" PRIu64 " (version %u, library name at string offset %u)", i,
                             (unsigned)vn.vn_version, (unsigned)vn.vn_file);
        aux = at + vn.vn_aux;
        for (unsigned k = 0; k < vn.vn_cnt; k++) {
            Elf64_Vernaux va;

            if ((rc = map_range(e, aux, sizeof va, "a DT_VERNEED version", &off, err)) != GD_OK)
                return rc;
            memcpy(&va, e->buf + off, sizeof va);
            if (!dynstr(e, va.vna_name))
                return malformed(e, err, "a DT_VERNEED version's name is outside DT_STRTAB");
            if (e->n_need == GD_LINT_VERNEED_MAX)
                return malformed(e, err, "more than %u DT_VERNEED versions", GD_LINT_VERNEED_MAX);
            e->need[e->n_need++] = (lint_need){va.vna_other & 0x7fffu, dynstr(e, va.vna_name), dynstr(e, vn.vn_file)};
            if (!va.vna_next)
                break;
            aux += va.vna_next;
        }
        if (!vn.vn_next)
            break;
        at += vn.vn_next;
    }
    return GD_OK;
}

/* Every symbol a relocation names must be one the lint reads: the loader
 * binds by index, whatever the hash tables say the count is. */
static int lint_relocs(const lint_elf *e, int addr, int size, gd_err *err)
{
    const char *what = tag_names[addr].name;
    uint64_t off = 0;
    int rc;

    if (!e->t[addr].set)
        return GD_OK;
    if (!e->t[size].set || e->t[size].v % sizeof(Elf64_Rela))
        return malformed(e, err, "%s's size (%s) is not a whole number of relocations", what, tag_names[size].name);
    if ((rc = map_range(e, e->t[addr].v, e->t[size].v, what, &off, err)) != GD_OK)
        return rc;
    for (uint64_t i = 0; i < e->t[size].v / sizeof(Elf64_Rela); i++) {
        Elf64_Rela r;
        memcpy(&r, e->buf + off + i * sizeof r, sizeof r);
        if (ELF64_R_SYM(r.r_info) >= e->n_sym)
            return malformed(e, err,
                             "%s relocation %" PRIu64 " names symbol %" PRIu64 ", past the end of the "
                             "dynamic symbol table (%" PRIu64 " symbols per its hash table)",
                             what, i, (uint64_t)ELF64_R_SYM(r.r_info), e->n_sym);
    }
    return GD_OK;
}

static int lint_overlaps(const lint_elf *e, const lint_range *r, size_t n, gd_err *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            if (r[i].size && r[k].size && r[i].off < r[k].off + r[k].size && r[k].off < r[i].off + r[i].size)
                return malformed(e, err,
                                 "%s (offset 0x%" PRIx64 ", %" PRIu64 " bytes) and %s (offset 0x%" PRIx64 ", %" PRIu64
                                 " bytes) overlap",
                                 r[i].what, r[i].off, r[i].size, r[k].what, r[k].off, r[k].size);
    return GD_OK;
}

/* Symbol count, symbol and version tables, relocations: each bounded. */
static int lint_tables(lint_elf *e, gd_err *err)
{
    lint_range r[6] = {{"PT_DYNAMIC", e->dyn_off, e->n_dyn * sizeof(Elf64_Dyn)},
                       {"DT_STRTAB", e->str_off, e->t[T_STRSZ].v}};
    size_t nr = 2;
    uint64_t n = 0;
    int rc;

    if (!e->t[T_HASH].set && !e->t[T_GNU_HASH].set)
        return malformed(e, err, "neither DT_HASH nor DT_GNU_HASH: the dynamic symbol table's size is unknown");
    if (e->t[T_HASH].set && (rc = count_hash(e, &n, &r[nr++], err)) != GD_OK)
        return rc;
    e->n_sym = n;
    if (e->t[T_GNU_HASH].set && (rc = count_gnu_hash(e, &n, &r[nr++], err)) != GD_OK)
        return rc;
    if (n > e->n_sym) /* both: read as many symbols as either names */
        e->n_sym = n;
    if (!e->t[T_SYMTAB].set)
        return malformed(e, err, "no dynamic symbol table (DT_SYMTAB)");
    if (e->t[T_SYMENT].set && e->t[T_SYMENT].v != sizeof(Elf64_Sym))
        return malformed(e, err, "DT_SYMENT is %" PRIu64 ", not %zu", e->t[T_SYMENT].v, sizeof(Elf64_Sym));
    rc = map_range(e, e->t[T_SYMTAB].v, e->n_sym * sizeof(Elf64_Sym), "DT_SYMTAB (the dynamic symbols)", &e->sym_off,
                   err);
    if (rc)
        return rc;
    r[nr++] = (lint_range){"DT_SYMTAB", e->sym_off, e->n_sym * sizeof(Elf64_Sym)};
    if (e->t[T_VERSYM].set) {
        rc = map_range(e, e->t[T_VERSYM].v, e->n_sym * 2, "DT_VERSYM (the symbol versions)", &e->versym_off, err);
        if (rc)
            return rc;
        r[nr++] = (lint_range){"DT_VERSYM", e->versym_off, e->n_sym * 2};
    }
    if ((rc = lint_overlaps(e, r, nr, err)) != GD_OK || (rc = lint_verneed(e, err)) != GD_OK)
        return rc;
    if (e->t[T_REL].set)
        return malformed(e, err, "DT_REL relocations, which the x86-64 and aarch64 loaders do not apply");
    if (e->t[T_RELAENT].set && e->t[T_RELAENT].v != sizeof(Elf64_Rela))
        return malformed(e, err, "DT_RELAENT is %" PRIu64 ", not %zu", e->t[T_RELAENT].v, sizeof(Elf64_Rela));
    if (e->t[T_JMPREL].set && (!e->t[T_PLTREL].set || e->t[T_PLTREL].v != DT_RELA))
        return malformed(e, err, "DT_JMPREL without a DT_PLTREL of DT_RELA");
    if ((rc = lint_relocs(e, T_RELA, T_RELASZ, err)) != GD_OK)
        return rc;
    return lint_relocs(e, T_JMPREL, T_PLTRELSZ, err);
}

/* ------------------------------------------------------- what it links */

static int lint_needed(const lint_elf *e, gd_err *err)
{
    char q[GD_LINT_QUOTE_MAX + 4], libs[256];

    for (size_t i = 0; i < e->n_dyn; i++) {
        Elf64_Dyn d = dyn_at(e, i);
        const char *lib;

        if (d.d_tag != DT_NEEDED)
            continue;
        if (!(lib = dynstr(e, d.d_un.d_val)))
            return malformed(e, err, "DT_NEEDED entry %zu's name is outside DT_STRTAB", i);
        if (!lib_allowed(lib))
            return gd_err_set(err, GD_EFORBIDDEN,
                              "%s: needs library '%s', which is not on the plugin library "
                              "allowlist (%s): plugins get everything else through the host API",
                              e->path, quote(lib, q), libs_text(libs, sizeof libs));
    }
    /* The loader takes a version's library from here, not DT_NEEDED. */
    for (size_t k = 0; k < e->n_need; k++)
        if (!lib_allowed(e->need[k].lib))
            return gd_err_set(err, GD_EFORBIDDEN,
                              "%s: needs a version of library '%s', which is not on the plugin "
                              "library allowlist (%s)",
                              e->path, quote(e->need[k].lib, q), libs_text(libs, sizeof libs));
    return GD_OK;
}

/* The version the loader asks for symbol i: NULL when it asks for none. */
static int symbol_version(const lint_elf *e, uint64_t i, const lint_need **out, gd_err *err)
{
    unsigned ndx;

    *out = NULL;
    if (!e->t[T_VERSYM].set)
        return GD_OK;
    ndx = rd16(e, e->versym_off + 2 * i) & 0x7fffu;
    if (ndx <= VER_NDX_GLOBAL)
        return GD_OK;
    for (size_t k = 0; k < e->n_need; k++)
        if (e->need[k].ndx == ndx) {
            *out = &e->need[k];
            return GD_OK;
        }
    return malformed(e, err, "imported symbol %" PRIu64 " has version index %u, which no DT_VERNEED entry defines", i,
                     ndx);
}

/* " (GLIBC_2.2.5 from libc.so.6)", " (weak)", or "". */
static const char *version_text(const lint_need *v, int weak, char *buf, size_t size)
{
    if (v) {
        char q1[GD_LINT_QUOTE_MAX + 4], q2[GD_LINT_QUOTE_MAX + 4];
        snprintf(buf, size, " (%s from %s%s)", quote(v->version, q1), quote(v->lib, q2), weak ? ", weak" : "");
    } else {
        snprintf(buf, size, "%s", weak ? " (weak)" : "");
    }
    return buf;
}

static int lint_imports(const lint_elf *e, gd_err *err)
{
    char first[GD_LINT_QUOTE_MAX + 4], q[GD_LINT_QUOTE_MAX + 4], ver[256], more[512] = "";
    const char *why = NULL;
    size_t n_bad = 0, used = 0;
    int rc;

    for (uint64_t i = 1; i < e->n_sym; i++) { /* 0 is the null symbol */
        const lint_need *v;
        const char *name;
        Elf64_Sym s;
        int weak, allowed;

        memcpy(&s, e->buf + e->sym_off + i * sizeof s, sizeof s);
        if (s.st_shndx != SHN_UNDEF)
            continue;
        if (!(name = dynstr(e, s.st_name)))
            return malformed(e, err, "symbol %" PRIu64 "'s name is outside DT_STRTAB", i);
        if (!*name)
            continue;
        if ((rc = symbol_version(e, i, &v, err)) != GD_OK)
            return rc;
        weak = ELF64_ST_BIND(s.st_info) == STB_WEAK;
        allowed = import_allowed(name, weak);
        /* glibc's internals are off limits whatever the name */
        if (allowed && !(v && !strcmp(v->version, "GLIBC_PRIVATE")))
            continue;
        if (!n_bad++) {
            quote(name, first);
            version_text(v, weak, ver, sizeof ver);
            why = allowed ? "a version of glibc's private interface, which plugins may not use"
                          : "which is not on the plugin import allowlist (plugins compute; they get data only "
                            "through the host API)";
        } else if (n_bad <= GD_LINT_NAMES_MAX + 1 && used < sizeof more) {
            int w = snprintf(more + used, sizeof more - used, "%s'%s'", used ? ", " : "; also ", quote(name, q));
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (!n_bad)
        return GD_OK;
    if (n_bad > GD_LINT_NAMES_MAX + 1)
        return gd_err_set(err, GD_EFORBIDDEN, "%s: imports '%s'%s, %s%s and %zu more", e->path, first, ver, why, more,
                          n_bad - 1 - GD_LINT_NAMES_MAX);
    return gd_err_set(err, GD_EFORBIDDEN, "%s: imports '%s'%s, %s%s", e->path, first, ver, why, more);
}

/* ------------------------------------------------------------------ entry */

int gd_lint_plugin(const char *file, const char *display, gd_err *err)
{
    const char *path = display ? display : file;
    gd_err inner = {{0}};
    lint_elf *e = NULL;
    Elf64_Ehdr eh;
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int rc;

    if (!file)
        return gd_err_set(err, GD_EINVAL, "plugin path is NULL");
    if (stat(file, &st) != 0) {
        int en = errno;
        return gd_err_set(err, en == ENOENT ? GD_ENOENT : GD_EIO, "%s: cannot open plugin: %s", path, strerror(en));
    }
    if (!S_ISREG(st.st_mode))
        return gd_err_set(err, GD_EINVAL, "%s: not an ELF shared object (not a regular file)", path);
    rc = gd_file_read(file, GD_LINT_FILE_MAX, &buf, &len, &inner);
    if (rc)
        return gd_err_set(err, rc, "%s: cannot read plugin: %s", path, inner.msg);
    e = calloc(1, sizeof *e);
    if (!e) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    e->path = path;
    e->buf = (const unsigned char *)buf;
    e->len = len;
    /* The structure, the tags that change what is loaded, the tables;
     * then what it links and imports, from tables known to be sound. */
    if ((rc = lint_header(e, &eh, err)) != GD_OK || (rc = lint_segments(e, &eh, err)) != GD_OK ||
        (rc = lint_dynamic(e, err)) != GD_OK || (rc = lint_refused_tags(e, err)) != GD_OK ||
        (rc = lint_tables(e, err)) != GD_OK)
        goto out;
    /* Libraries before symbols: a library off the list explains its imports. */
    if ((rc = lint_needed(e, err)) != GD_OK)
        goto out;
    rc = lint_imports(e, err);
out:
    free(e);
    free(buf);
    return rc;
}
