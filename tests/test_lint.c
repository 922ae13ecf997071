/* Plugin lint tests (host/plugin/lint.c): the attacks that beat the old
 * section-header, deny-list audit (glibc aliases, a look-alike libc with a
 * RUNPATH, zeroed section headers), the dynamic tags it refuses, the
 * library allowlist, and files that are truncated, inconsistent or
 * randomly damaged: each refused with a clear message, never a crash or an
 * over-read (the check build runs this under ASan). Fixtures are built by
 * tests/lint.cmake from tests/plugins/lint/ into GD_LINT_FIXTURES. */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/lint.h"
#include "tmpdir.h"

/* ---------------------------------------------------------------- helpers */

#define assert_msg_has(err, needle)                                       \
    do {                                                                  \
        if (!strstr((err).msg, (needle)))                                 \
            fail_msg("message \"%s\" lacks \"%s\"", (err).msg, (needle)); \
    } while (0)

static const char *fx(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.so", GD_LINT_FIXTURES, name);
    return path;
}

/* gd_lint_plugin(path) returns code with a message naming path and both
 * needles (NULL: none); the message is left in *out if given. */
static void expect_lint(const char *path, int code, const char *n1, const char *n2, gd_err *out)
{
    gd_err err = {{0}};
    int rc = gd_lint_plugin(path, NULL, &err);

    if (rc != code)
        fail_msg("%s: expected %d, got %d: %s", path, code, rc, err.msg);
    if (code != 0) {
        assert_msg_has(err, path);
        if (n1)
            assert_msg_has(err, n1);
        if (n2)
            assert_msg_has(err, n2);
    }
    if (out)
        *out = err;
    /* GD_LINT_SHOW=1 prints every message, to read them in one go. */
    if (getenv("GD_LINT_SHOW"))
        print_message("%s\n", err.msg);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A damaged copy of a fixture, in a temporary file. */
typedef struct copy {
    char path[PATH_MAX];
    unsigned char *buf; /* the bytes as written */
    size_t len;
    int fd;
} copy;

static copy copy_open(const char *fixture)
{
    copy c;

    memset(&c, 0, sizeof c);
    c.fd = gd_test_tmpfile(c.path, sizeof c.path, "gd_test_lint");
    assert_true(c.fd >= 0);
    c.buf = slurp(fx(fixture), &c.len);
    return c;
}

static void copy_write(copy *c)
{
    assert_int_equal(ftruncate(c->fd, 0), 0);
    assert_int_equal(pwrite(c->fd, c->buf, c->len, 0), (ssize_t)c->len);
}

static void copy_close(copy *c)
{
    close(c->fd);
    unlink(c->path);
    free(c->buf);
}

/* Restores the fixture's bytes after a mutation. */
static void copy_reset(copy *c, const char *fixture)
{
    free(c->buf);
    c->buf = slurp(fx(fixture), &c->len);
}

static Elf64_Ehdr ehdr(const copy *c)
{
    Elf64_Ehdr eh;
    memcpy(&eh, c->buf, sizeof eh);
    return eh;
}

static size_t phdr_off(const copy *c, size_t i) { return ehdr(c).e_phoff + i * sizeof(Elf64_Phdr); }

static Elf64_Phdr phdr(const copy *c, size_t i)
{
    Elf64_Phdr ph;
    memcpy(&ph, c->buf + phdr_off(c, i), sizeof ph);
    return ph;
}

static void phdr_put(copy *c, size_t i, const Elf64_Phdr *ph) { memcpy(c->buf + phdr_off(c, i), ph, sizeof *ph); }

/* Index of the first program header of type, or -1. */
static int phdr_find(const copy *c, uint32_t type)
{
    for (int i = 0; i < ehdr(c).e_phnum; i++)
        if (phdr(c, (size_t)i).p_type == type)
            return i;
    return -1;
}

/* The file offset of a virtual address, through PT_LOAD. */
static size_t vaddr_off(const copy *c, uint64_t vaddr)
{
    for (size_t i = 0; i < ehdr(c).e_phnum; i++) {
        Elf64_Phdr ph = phdr(c, i);
        if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz)
            return (size_t)(ph.p_offset + (vaddr - ph.p_vaddr));
    }
    fail_msg("address 0x%llx is in no PT_LOAD", (unsigned long long)vaddr);
    return 0;
}

/* File offset of the dynamic entry with tag (the first), or 0. */
static size_t dyn_find(const copy *c, int64_t tag)
{
    Elf64_Phdr ph = phdr(c, (size_t)phdr_find(c, PT_DYNAMIC));

    for (size_t off = ph.p_offset; off + sizeof(Elf64_Dyn) <= ph.p_offset + ph.p_filesz; off += sizeof(Elf64_Dyn)) {
        Elf64_Dyn d;
        memcpy(&d, c->buf + off, sizeof d);
        if (d.d_tag == tag)
            return off;
        if (d.d_tag == DT_NULL)
            break;
    }
    return 0;
}

static void dyn_retag(copy *c, size_t off, int64_t tag)
{
    Elf64_Dyn d;
    memcpy(&d, c->buf + off, sizeof d);
    d.d_tag = tag;
    memcpy(c->buf + off, &d, sizeof d);
}

/* ---------------------------------------------------------------- passing */

static void lint_passes_bundled_plugins(void **state)
{
    const char *dir = getenv("GD_PLUGIN_DIR");
    struct dirent *de;
    int n = 0;
    DIR *d;
    (void)state;

    assert_non_null(dir);
    d = opendir(dir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char path[PATH_MAX];
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        expect_lint(path, 0, NULL, NULL, NULL);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
    expect_lint(fx("good"), 0, NULL, NULL, NULL);
}

static void lint_names_the_display_path(void **state)
{
    gd_err err = {{0}};
    (void)state;

    assert_int_equal(gd_lint_plugin(fx("import_socket"), "shown/as.so", &err), GD_EFORBIDDEN);
    assert_msg_has(err, "shown/as.so: imports 'socket'");
    assert_null(strstr(err.msg, GD_LINT_FIXTURES));
}

/* -------------------------------------------------------------- refusing */

/* Each of these went past the old deny list. */
static void lint_refuses_glibc_aliases(void **state)
{
    static const char *const names[] = {"_IO_popen", "__libc_system", "__socket", "__connect",
                                        "__fork",    "__sigaction",   "gsignal",  "timer_create"};
    (void)state;

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char fixture[64], quoted[80];
        snprintf(fixture, sizeof fixture, "import_%s", names[i]);
        snprintf(quoted, sizeof quoted, "imports '%s'", names[i]);
        expect_lint(fx(fixture), GD_EFORBIDDEN, quoted,
                    "which is not on the plugin import allowlist (plugins compute; they get data only through the "
                    "host API)",
                    NULL);
    }
    /* The version is resolved and reported. */
    expect_lint(fx("import___libc_system"), GD_EFORBIDDEN, "(GLIBC_PRIVATE from libc.so.6)", NULL, NULL);
    expect_lint(fx("import_socket"), GD_EFORBIDDEN, "'socket' (GLIBC_2.2.5 from libc.so.6)", NULL, NULL);
}

static void lint_refuses_search_paths(void **state)
{
    (void)state;
    expect_lint(fx("runpath"), GD_EFORBIDDEN, "has DT_RUNPATH '$ORIGIN', which plugins may not have",
                "library search path", NULL);
    expect_lint(fx("rpath"), GD_EFORBIDDEN, "has DT_RPATH '/opt/gd-lint-rpath', which plugins may not have",
                "library search path", NULL);
    /* The attack as it came: a look-alike libc beside the plugin. */
    expect_lint(fx("evil_libc_runpath"), GD_EFORBIDDEN, "DT_RUNPATH", NULL, NULL);
}

static void lint_needs_exactly_libc_and_libm(void **state)
{
    (void)state;
    expect_lint(fx("needs_evil_libc"), GD_EFORBIDDEN, "needs library 'libc.so.6.evil'",
                "not on the plugin library allowlist (libc.so.6, libm.so.6", NULL);
}

/* The dynamic tags that load or run something else, and the segments a
 * plugin may not have, each put into a copy of good.so. */
static void lint_refuses_dynamic_tags_and_segments(void **state)
{
    static const struct {
        int64_t tag;
        const char *msg;
    } tags[] = {
        {DT_AUDIT, "has DT_AUDIT 'lib"},     {DT_DEPAUDIT, "has DT_DEPAUDIT 'lib"},
        {DT_FILTER, "has DT_FILTER 'lib"},   {DT_AUXILIARY, "has DT_AUXILIARY 'lib"},
        {DT_RUNPATH, "has DT_RUNPATH 'lib"}, {DT_RPATH, "has DT_RPATH 'lib"},
    };
    Elf64_Phdr ph;
    int i;
    (void)state;

    copy c = copy_open("good");
    for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        copy_reset(&c, "good");
        dyn_retag(&c, dyn_find(&c, DT_NEEDED), tags[k].tag); /* its value names a library */
        copy_write(&c);
        expect_lint(c.path, GD_EFORBIDDEN, tags[k].msg, "which plugins may not have", NULL);
    }
    copy_reset(&c, "good");
    assert_true(dyn_find(&c, DT_INIT_ARRAY) != 0);
    dyn_retag(&c, dyn_find(&c, DT_INIT_ARRAY), DT_PREINIT_ARRAY);
    copy_write(&c);
    expect_lint(c.path, GD_EFORBIDDEN, "has DT_PREINIT_ARRAY", "executables", NULL);

    copy_reset(&c, "good");
    i = phdr_find(&c, PT_NOTE);
    assert_true(i >= 0);
    ph = phdr(&c, (size_t)i);
    ph.p_type = PT_TLS;
    phdr_put(&c, (size_t)i, &ph);
    copy_write(&c);
    expect_lint(c.path, GD_EFORBIDDEN, "thread-local storage (PT_TLS)", NULL, NULL);

    copy_reset(&c, "good");
    ph.p_type = PT_INTERP;
    phdr_put(&c, (size_t)i, &ph);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "not an ELF shared object", "program interpreter", NULL);

    copy_reset(&c, "good");
    i = phdr_find(&c, PT_GNU_STACK);
    assert_true(i >= 0);
    ph = phdr(&c, (size_t)i);
    ph.p_flags |= PF_X;
    phdr_put(&c, (size_t)i, &ph);
    copy_write(&c);
    expect_lint(c.path, GD_EFORBIDDEN, "executable stack", NULL, NULL);
    copy_close(&c);
}

static void lint_refuses_other_elf_kinds(void **state)
{
    Elf64_Ehdr eh;
    (void)state;

    copy c = copy_open("good");
    c.buf[EI_CLASS] = ELFCLASS32;
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "not a 64-bit little-endian ELF file", NULL, NULL);

    copy_reset(&c, "good");
    c.buf[EI_DATA] = ELFDATA2MSB;
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "not a 64-bit little-endian ELF file", NULL, NULL);

    copy_reset(&c, "good");
    eh = ehdr(&c);
    eh.e_machine = EM_PPC64;
    memcpy(c.buf, &eh, sizeof eh);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "built for ppc64", "not for this host", NULL);

    copy_reset(&c, "good");
    eh = ehdr(&c);
    eh.e_type = ET_EXEC;
    memcpy(c.buf, &eh, sizeof eh);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "not an ELF shared object", "executable", NULL);
    copy_close(&c);
}

/* ------------------------------------------------ what the loader reads */

/* Zeroed section headers (built by zero_shdr) and garbage ones (here):
 * the same verdict as the intact file. */
static void lint_ignores_section_headers(void **state)
{
    const char *const fixtures[] = {"good", "import_socket"};
    gd_err intact = {{0}}, noshdr = {{0}};
    (void)state;

    expect_lint(fx("good_noshdr"), 0, NULL, NULL, NULL);
    expect_lint(fx("import_socket"), GD_EFORBIDDEN, "imports 'socket'", NULL, &intact);
    expect_lint(fx("import_socket_noshdr"), GD_EFORBIDDEN, "imports 'socket'", NULL, &noshdr);
    assert_string_equal(strstr(intact.msg, ": imports"), strstr(noshdr.msg, ": imports"));

    for (size_t k = 0; k < 2; k++) {
        Elf64_Ehdr eh;
        gd_err err = {{0}};

        copy c = copy_open(fixtures[k]);
        eh = ehdr(&c);
        /* The table itself overwritten, then the header pointing anywhere. */
        if (eh.e_shoff && eh.e_shoff < c.len)
            memset(c.buf + eh.e_shoff, 0xa5, c.len - eh.e_shoff);
        eh.e_shoff = c.len - 3;
        eh.e_shnum = 0xffff;
        eh.e_shentsize = 7;
        eh.e_shstrndx = 0xfffe;
        memcpy(c.buf, &eh, sizeof eh);
        copy_write(&c);
        if (k == 0) {
            expect_lint(c.path, 0, NULL, NULL, NULL);
        } else {
            expect_lint(c.path, GD_EFORBIDDEN, "imports 'socket'", NULL, &err);
            assert_string_equal(strstr(err.msg, ": imports"), strstr(intact.msg, ": imports"));
        }
        copy_close(&c);
    }
}

/* Every prefix of good.so up to the end of its last PT_LOAD is refused as
 * malformed or not ELF; from there on, only section headers are missing. */
static void lint_refuses_truncated_files(void **state)
{
    size_t end = 0, len;
    (void)state;

    copy c = copy_open("good");
    for (size_t i = 0; i < ehdr(&c).e_phnum; i++) {
        Elf64_Phdr ph = phdr(&c, i);
        if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > end)
            end = (size_t)(ph.p_offset + ph.p_filesz);
    }
    assert_true(end > 4096 && end <= c.len);
    copy_write(&c);
    for (len = c.len; len-- > 0;) {
        gd_err err = {{0}};
        int rc;

        /* every byte of the headers, then a prime stride */
        if (len > 4096 && len != end && len != end - 1 && len % 97)
            continue;
        assert_int_equal(ftruncate(c.fd, (off_t)len), 0);
        rc = gd_lint_plugin(c.path, NULL, &err);
        if (len >= end) {
            if (rc != 0)
                fail_msg("cut at %zu (segments end at %zu): %s", len, end, err.msg);
            continue;
        }
        if (rc != GD_EINVAL)
            fail_msg("cut at %zu: expected GD_EINVAL, got %d: %s", len, rc, err.msg);
        assert_msg_has(err, c.path);
        if (len >= sizeof(Elf64_Ehdr))
            assert_msg_has(err, "malformed ELF file");
        else if (len >= SELFMAG)
            assert_msg_has(err, "the ELF header is truncated");
        else
            assert_msg_has(err, "not an ELF shared object");
    }
    copy_close(&c);
}

static void lint_refuses_dynamic_outside_the_file(void **state)
{
    Elf64_Phdr ph;
    int i;
    (void)state;

    copy c = copy_open("good");
    i = phdr_find(&c, PT_DYNAMIC);
    assert_true(i >= 0);

    /* past the end */
    ph = phdr(&c, (size_t)i);
    ph.p_offset = c.len + 4096;
    ph.p_vaddr += 1u << 24;
    phdr_put(&c, (size_t)i, &ph);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "malformed ELF file: PT_DYNAMIC", "runs past the end of the file", NULL);

    /* a size that runs off the end */
    copy_reset(&c, "good");
    ph = phdr(&c, (size_t)i);
    ph.p_filesz = UINT64_MAX - 8;
    phdr_put(&c, (size_t)i, &ph);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "PT_DYNAMIC", "runs past the end of the file", NULL);

    /* the offset says one thing, the address (which the loader reads)
     * another: the address is in no segment */
    copy_reset(&c, "good");
    ph = phdr(&c, (size_t)i);
    ph.p_vaddr += 1u << 24;
    phdr_put(&c, (size_t)i, &ph);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "PT_DYNAMIC: ", "are not inside what a PT_LOAD segment maps from the file", NULL);

    /* a PT_LOAD cut short by the file */
    copy_reset(&c, "good");
    i = phdr_find(&c, PT_LOAD);
    ph = phdr(&c, (size_t)i);
    ph.p_filesz = c.len + 1;
    ph.p_memsz = ph.p_filesz;
    phdr_put(&c, (size_t)i, &ph);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "PT_LOAD segment", "runs past the end of the file", NULL);
    copy_close(&c);
}

static void lint_refuses_inconsistent_tables(void **state)
{
    size_t off;
    Elf64_Dyn d;
    (void)state;

    copy c = copy_open("good");

    /* A relocation naming a symbol the hash table does not count: the
     * loader binds by index, so the lint could not see that import. */
    off = dyn_find(&c, DT_RELA);
    assert_true(off != 0);
    memcpy(&d, c.buf + off, sizeof d);
    {
        size_t rel = vaddr_off(&c, d.d_un.d_ptr);
        Elf64_Rela r;
        memcpy(&r, c.buf + rel, sizeof r);
        r.r_info = ELF64_R_INFO(0x7fffffu, ELF64_R_TYPE(r.r_info));
        memcpy(c.buf + rel, &r, sizeof r);
    }
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "DT_RELA relocation 0 names symbol 8388607",
                "past the end of the dynamic symbol table", NULL);

    /* Two symbol tables: which one the loader uses is not for us to guess. */
    copy_reset(&c, "good");
    dyn_retag(&c, dyn_find(&c, DT_SYMENT), DT_SYMTAB);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "more than one DT_SYMTAB", NULL, NULL);

    /* No terminator inside PT_DYNAMIC (linkers pad it with several). */
    copy_reset(&c, "good");
    while ((off = dyn_find(&c, DT_NULL)) != 0)
        dyn_retag(&c, off, DT_DEBUG);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "no DT_NULL terminator", NULL, NULL);

    /* A string table running off its segment. */
    copy_reset(&c, "good");
    off = dyn_find(&c, DT_STRSZ);
    memcpy(&d, c.buf + off, sizeof d);
    d.d_un.d_val = 1u << 30;
    memcpy(c.buf + off, &d, sizeof d);
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "DT_STRTAB (the dynamic strings): 1073741824 bytes", "are not inside", NULL);

    /* The symbol table laid over the string table. */
    copy_reset(&c, "good");
    {
        size_t sym = dyn_find(&c, DT_SYMTAB), str = dyn_find(&c, DT_STRTAB);
        Elf64_Dyn s;
        memcpy(&s, c.buf + str, sizeof s);
        memcpy(&d, c.buf + sym, sizeof d);
        d.d_un.d_ptr = s.d_un.d_ptr;
        memcpy(c.buf + sym, &d, sizeof d);
    }
    copy_write(&c);
    expect_lint(c.path, GD_EINVAL, "DT_STRTAB (offset 0x", ") overlap", NULL);

    /* No hash table: the symbol count is unknown. */
    copy_reset(&c, "good");
    off = dyn_find(&c, DT_GNU_HASH) ? dyn_find(&c, DT_GNU_HASH) : dyn_find(&c, DT_HASH);
    dyn_retag(&c, off, DT_DEBUG);
    copy_write(&c);
    if (dyn_find(&c, DT_HASH) == 0 && dyn_find(&c, DT_GNU_HASH) == 0)
        expect_lint(c.path, GD_EINVAL, "neither DT_HASH nor DT_GNU_HASH", NULL, NULL);
    copy_close(&c);
}

/* Bytes changed at random where the lint reads (headers, the dynamic
 * array, the tables at the start of the first segment): any verdict but a
 * crash, and a refusal names the file. */
static void lint_survives_random_damage(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15u; /* a fixed seed: a failure replays */
    size_t dyn_off, dyn_len, head;
    int i;
    (void)state;

    copy c = copy_open("import_socket");
    i = phdr_find(&c, PT_DYNAMIC);
    dyn_off = (size_t)phdr(&c, (size_t)i).p_offset;
    dyn_len = (size_t)phdr(&c, (size_t)i).p_filesz;
    head = c.len < 4096 ? c.len : 4096;
    copy_write(&c);
    for (int round = 0; round < 3000; round++) {
        size_t at[4];
        unsigned char was[4];
        gd_err err = {{0}};
        int n = 1 + round % 4, rc;

        for (int k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            at[k] = (x & 1) ? (size_t)(x >> 8) % head : dyn_off + (size_t)(x >> 8) % dyn_len;
            was[k] = c.buf[at[k]];
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* small values and bit flips say more than noise */
            c.buf[at[k]] = (x & 3) == 0 ? (unsigned char)(x >> 8) : (unsigned char)(was[k] ^ (1u << ((x >> 8) & 7)));
            assert_int_equal(pwrite(c.fd, &c.buf[at[k]], 1, (off_t)at[k]), 1);
        }
        rc = gd_lint_plugin(c.path, NULL, &err);
        if (rc != 0 && rc != GD_EINVAL && rc != GD_EFORBIDDEN)
            fail_msg("round %d: unexpected %d: %s", round, rc, err.msg);
        if (rc != 0)
            assert_msg_has(err, c.path);
        for (int k = n; k-- > 0;) {
            c.buf[at[k]] = was[k];
            assert_int_equal(pwrite(c.fd, &was[k], 1, (off_t)at[k]), 1);
        }
    }
    copy_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lint_passes_bundled_plugins),      cmocka_unit_test(lint_names_the_display_path),
        cmocka_unit_test(lint_refuses_glibc_aliases),       cmocka_unit_test(lint_refuses_search_paths),
        cmocka_unit_test(lint_needs_exactly_libc_and_libm), cmocka_unit_test(lint_refuses_dynamic_tags_and_segments),
        cmocka_unit_test(lint_refuses_other_elf_kinds),     cmocka_unit_test(lint_ignores_section_headers),
        cmocka_unit_test(lint_refuses_truncated_files),     cmocka_unit_test(lint_refuses_dynamic_outside_the_file),
        cmocka_unit_test(lint_refuses_inconsistent_tables), cmocka_unit_test(lint_survives_random_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
