/* Loader tests: the lint, ABI/content validation, plugin memory bounds, dlopen,
 * plugin sets, hashes. */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <dlfcn.h>

#include "base/hash.h"
#include "base/file.h"
#include "base/names.h"
#include "plugin/libcache.h"
#include "plugin/lint.h"
#include "plugin/loader.h"
#include "tmpdir.h"

/* ---------------------------------------------------------------- helpers */

static char plugin_path_buf[PATH_MAX];

/* Path of a test plugin built into GD_TEST_PLUGIN_DIR. */
static const char *tp(const char *name)
{
    const char *dir = getenv("GD_TEST_PLUGIN_DIR");

    assert_non_null(dir);
    snprintf(plugin_path_buf, sizeof plugin_path_buf, "%s/%s.so", dir, name);
    return plugin_path_buf;
}

#define assert_msg_has(err, needle)                                                            \
    do {                                                                                       \
        if (!strstr((err).msg, (needle)))                                                      \
            fail_msg("message \"%s\" lacks \"%s\"", (err).msg, (needle));                      \
    } while (0)

static void assert_zeroed(const gd_plugin_lib *lib)
{
    static const gd_plugin_lib zero;
    assert_memory_equal(lib, &zero, sizeof zero);
}

/* gd_loader_open must fail with code and a message holding both needles. */
static void expect_open_fails(const char *name, int code, const char *n1, const char *n2)
{
    gd_plugin_lib lib;
    gd_err err = {{0}};
    int rc;

    memset(&lib, 0x5a, sizeof lib);
    rc = gd_loader_open(tp(name), &lib, &err);
    if (rc != code)
        fail_msg("%s: expected %d, got %d: %s", name, code, rc, err.msg);
    assert_msg_has(err, name);
    if (n1)
        assert_msg_has(err, n1);
    if (n2)
        assert_msg_has(err, n2);
    assert_zeroed(&lib);
}

/* gd_loader_load (no lint) must fail likewise. */
static void expect_load_fails(const char *name, int code, const char *n1, const char *n2)
{
    static const char hex[] = "0000000000000000000000000000000000000000000000000000000000000000";
    gd_plugin_lib lib;
    gd_err err = {{0}};
    int rc;

    memset(&lib, 0x5a, sizeof lib);
    rc = gd_loader_load(tp(name), tp(name), hex, &lib, &err);
    if (rc != code)
        fail_msg("%s: expected %d, got %d: %s", name, code, rc, err.msg);
    assert_msg_has(err, name);
    assert_msg_has(err, n1);
    assert_msg_has(err, n2);
    assert_zeroed(&lib);
}

static void expect_imports_fail(const char *name, int code, const char *n1, const char *n2)
{
    gd_err err = {{0}};
    int rc = gd_lint_plugin(tp(name), NULL, &err);

    if (rc != code)
        fail_msg("%s: expected %d, got %d: %s", name, code, rc, err.msg);
    assert_msg_has(err, name);
    if (n1)
        assert_msg_has(err, n1);
    if (n2)
        assert_msg_has(err, n2);
}

/* --------------------------------------------------------------- hashing */

static void test_sha256_buf(void **state)
{
    char hex[65];
    (void)state;

    gd_sha256_buf("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    gd_sha256_buf("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_file(void **state)
{
    char path[PATH_MAX];
    char hex[65], want[65];
    static char big[200000];
    gd_err err = {{0}};
    FILE *f;
    int fd;
    (void)state;

    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 31u);
    fd = gd_test_tmpfile(path, sizeof path, "gd_test_hash");
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(big, 1, sizeof big, f), sizeof big);
    fclose(f);
    assert_int_equal(gd_sha256_file(path, hex, &err), GD_OK);
    gd_sha256_buf(big, sizeof big, want);
    assert_string_equal(hex, want);
    unlink(path);

    assert_int_equal(gd_sha256_file("/nonexistent/gd/file", hex, &err), GD_ENOENT);
    assert_msg_has(err, "/nonexistent/gd/file");
}

/* ----------------------------------------------------------- import audit */

static void test_imports_good(void **state)
{
    gd_err err = {{0}};
    (void)state;
    assert_int_equal(gd_lint_plugin(tp("good_strategy"), NULL, &err), GD_OK);
    /* Every bundled-style valid test plugin passes the audit too. */
    assert_int_equal(gd_lint_plugin(tp("bad_kind"), NULL, &err), GD_OK);
}

static void test_imports_forbidden(void **state)
{
    (void)state;
    expect_imports_fail("imports_socket", GD_EFORBIDDEN, "imports 'socket'",
                        "not on the plugin import allowlist (plugins compute; they get data only "
                        "through the host API)");
    expect_imports_fail("imports_getenv", GD_EFORBIDDEN, "'getenv'", "import allowlist");
    expect_imports_fail("imports_dlopen", GD_EFORBIDDEN, "'dlopen'", "import allowlist");
    expect_imports_fail("needs_lib", GD_EFORBIDDEN, "libcjson", "needs library");
    /* A host symbol is an import like any other (and would not resolve). */
    expect_imports_fail("host_symbol", GD_EFORBIDDEN, "'gd_engine_secret'", "import allowlist");
}

static void test_imports_not_found(void **state)
{
    gd_err err = {{0}};
    (void)state;
    assert_int_equal(gd_lint_plugin("/nonexistent/gd/plugin.so", NULL, &err), GD_ENOENT);
    assert_msg_has(err, "/nonexistent/gd/plugin.so");
}

static void test_imports_not_elf(void **state)
{
    char path[PATH_MAX];
    static const char text[] = "this is not an ELF file\n";
    gd_err err = {{0}};
    int fd;
    (void)state;

    fd = gd_test_tmpfile(path, sizeof path, "gd_test_notelf");
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    assert_int_equal(gd_lint_plugin(path, NULL, &err), GD_EINVAL);
    assert_msg_has(err, "not an ELF shared object");
    assert_msg_has(err, path);

    /* Empty file. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gd_lint_plugin(path, NULL, &err), GD_EINVAL);
    assert_msg_has(err, "not an ELF shared object");

    /* gd_loader_open reports the same and leaves nothing behind. */
    {
        gd_plugin_lib lib;
        assert_int_equal(gd_loader_open(path, &lib, &err), GD_EINVAL);
        assert_msg_has(err, "not an ELF shared object");
        assert_zeroed(&lib);
    }
    unlink(path);

    /* A directory. */
    assert_int_equal(gd_lint_plugin("/tmp", NULL, &err), GD_EINVAL);
    assert_msg_has(err, "not an ELF shared object");
}

static void test_imports_not_shared(void **state)
{
    gd_err err = {{0}};
    (void)state;

    /* ELF, but a relocatable object. */
    assert_int_equal(gd_lint_plugin(GD_TEST_RELOC_OBJ, NULL, &err), GD_EINVAL);
    assert_msg_has(err, "not an ELF shared object");
    assert_msg_has(err, "relocatable");

    /* ELF, but an executable (ET_EXEC, or ET_DYN flagged PIE). */
    assert_int_equal(gd_lint_plugin("/proc/self/exe", NULL, &err), GD_EINVAL);
    assert_msg_has(err, "not an ELF shared object");
    assert_msg_has(err, "executable");
}

/* ---------------------------------------------------------------- opening */

static void test_open_good(void **state)
{
    gd_plugin_lib lib;
    gd_err err = {{0}};
    char hex[65];
    char *text = NULL;
    size_t text_len = 0;
    FILE *mem;
    (void)state;

    assert_int_equal(gd_loader_open(tp("good_strategy"), &lib, &err), GD_OK);
    assert_non_null(lib.handle);
    assert_non_null(lib.desc);
    assert_string_equal(lib.path, tp("good_strategy"));
    assert_int_equal(gd_sha256_file(tp("good_strategy"), hex, &err), GD_OK);
    assert_string_equal(lib.sha256_hex, hex);
    assert_string_equal(lib.d.name, "good_strategy");
    assert_string_equal(lib.d.version, "1.2.3");
    assert_int_equal(lib.d.kind, GORDON_KIND_STRATEGY);
    assert_int_equal(lib.d.n_params, 2);
    assert_int_equal(lib.d.warmup_bars, 20);
    assert_non_null(lib.d.on_bar);
    assert_memory_equal(&lib.d, lib.desc, sizeof lib.d);

    mem = open_memstream(&text, &text_len);
    assert_non_null(mem);
    gd_loader_describe(&lib, mem);
    fclose(mem);
    assert_non_null(strstr(text, "good_strategy"));
    assert_non_null(strstr(text, hex));
    assert_non_null(strstr(text, "strategy"));
    assert_non_null(strstr(text, "1.2.3"));
    assert_non_null(strstr(text, "test strategy for the loader"));
    assert_non_null(strstr(text, "warmup_bars:  20"));
    assert_non_null(strstr(text, "fast"));
    assert_non_null(strstr(text, "range [2, 50]"));
    assert_non_null(strstr(text, "tunable step 1"));
    assert_non_null(strstr(text, "fast moving average length"));
    assert_non_null(strstr(text, "threshold"));
    assert_non_null(strstr(text, "on_fill yes"));
    assert_non_null(strstr(text, "snapshot/restore no"));
    free(text);

    gd_loader_close(&lib);
    assert_zeroed(&lib);
    gd_loader_close(&lib); /* idempotent */
}

/* A bare file name must load that file, not search the library path. */
static void test_open_relative(void **state)
{
    char cwd[PATH_MAX];
    gd_plugin_lib lib;
    gd_err err = {{0}};
    int rc;
    (void)state;

    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(getenv("GD_TEST_PLUGIN_DIR")), 0);
    rc = gd_loader_open("good_strategy.so", &lib, &err);
    assert_int_equal(chdir(cwd), 0);
    if (rc != GD_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(lib.path, "good_strategy.so");
    gd_loader_close(&lib);
}

static void test_open_failures(void **state)
{
    gd_plugin_lib lib;
    gd_err err = {{0}};
    (void)state;

    memset(&lib, 0x5a, sizeof lib);
    assert_int_equal(gd_loader_open("/nonexistent/gd/x.so", &lib, &err), GD_ENOENT);
    assert_msg_has(err, "/nonexistent/gd/x.so");
    assert_msg_has(err, "not found");
    assert_zeroed(&lib);

    expect_open_fails("imports_socket", GD_EFORBIDDEN, "'socket'", "import allowlist");
    expect_open_fails("future_major", GD_EABI, "major", "ABI 2.");
    expect_open_fails("newer_minor", GD_EABI, "minor", "host is " GORDON_SDK_VERSION_STRING);
    expect_open_fails("huge_warmup", GD_ERANGE, "warmup_bars 4294967295", "GORDON_WARMUP_BARS_MAX");
    expect_open_fails("small_struct", GD_EABI, "struct_size 16", "too small");
    expect_open_fails("bad_magic", GD_EABI, "magic", "0xdeadbeef");
    expect_open_fails("no_entry", GD_EABI, "missing entry symbol gordon_plugin_entry_v1",
                      "GORDON_PLUGIN_ENTRY");
    expect_open_fails("null_desc", GD_EPLUGIN, "gordon_plugin_entry_v1", "NULL");
    expect_open_fails("bad_kind", GD_EINVAL, "kind 7", NULL);
    expect_open_fails("missing_callback", GD_EINVAL, "on_bar", NULL);
    expect_open_fails("bad_params", GD_EINVAL, "'period'", "outside [2, 50]");
    /* The lint refuses a host symbol as an import off its allowlist... */
    expect_open_fails("host_symbol", GD_EFORBIDDEN, "gd_engine_secret", "import allowlist");
    expect_open_fails("host_real_symbol", GD_EFORBIDDEN, "gd_strerror", "import allowlist");
    /* ...and past the lint, the host exports no symbols: dlopen(RTLD_NOW)
     * names the unresolved one. */
    expect_load_fails("host_symbol", GD_EINVAL, "gd_engine_secret", "cannot load plugin");
    expect_load_fails("host_real_symbol", GD_EINVAL, "gd_strerror", "cannot load plugin");
}

/* Issue 11: a plugin's data is untrusted input. Each hostile descriptor is
 * refused naming the field, never followed into a crash or an over-read. */
static void test_open_hostile(void **state)
{
    (void)state;
    expect_open_fails("hostile_params_count", GD_EINVAL,
                      "plugin 'hostile_params_count': param 1: name is not a NUL-terminated "
                      "string within the plugin (at most 63 bytes)", NULL);
    expect_open_fails("hostile_version_unterminated", GD_EINVAL,
                      "version is not a NUL-terminated string within the plugin (at most 63 bytes)",
                      "no NUL in its first 64 bytes");
    expect_open_fails("hostile_desc_strings", GD_EINVAL,
                      "description is not a NUL-terminated string within the plugin", "0x10 is outside it");
    expect_open_fails("hostile_param_strings", GD_EINVAL, "param 'label': def_str is not a NUL-terminated",
                      "is outside it");
    expect_open_fails("hostile_params_ptr", GD_EINVAL, "params table (2 x", "is not within the plugin");
    expect_open_fails("hostile_params_bogus", GD_EINVAL, "params table (3 x", "at 0x1000)");
    expect_open_fails("hostile_desc_ptr", GD_EINVAL, "descriptor at", "is not within the plugin (its 12 header bytes)");
    expect_open_fails("hostile_desc_size", GD_EINVAL, "struct_size 60000", "runs past the plugin's memory");
}

/* ------------------------------------------------------ in-memory validate */

static int t_create(const gordon_host_api *api, gordon_ctx *ctx, void **inst, char *e, size_t n)
{
    (void)api, (void)ctx, (void)e, (void)n;
    *inst = NULL;
    return 0;
}
static void t_destroy(void *inst) { (void)inst; }
static void t_on_bar(void *inst, uint32_t s, const gordon_bar *b) { (void)inst, (void)s, (void)b; }
static int t_filter(void *inst, const gordon_signal *in, gordon_signal *out, char *r, size_t n)
{
    (void)inst, (void)in, (void)out, (void)r, (void)n;
    return 0;
}
static int t_evaluate(void *inst, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    (void)inst, (void)in, (void)out;
    return 0;
}
static size_t t_snapshot(void *inst, void *buf, size_t cap)
{
    (void)inst, (void)buf, (void)cap;
    return 0;
}

static gordon_param base_params[3];

static gordon_plugin base_desc(void)
{
    static const gordon_param p[3] = {
        {.name = "period", .type = GORDON_PARAM_INT, .tunable = 1, .def = 14, .min = 2,
         .max = 200, .step = 1, .help = "length"},
        {.name = "k", .type = GORDON_PARAM_DOUBLE, .def = 2.0, .min = 0.5, .max = 4.0},
        {.name = "label", .type = GORDON_PARAM_STRING, .def_str = "x"},
    };
    gordon_plugin d = {GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY)};

    memcpy(base_params, p, sizeof p);
    d.name = "base";
    d.version = "1";
    d.params = base_params;
    d.n_params = 3;
    d.create = t_create;
    d.destroy = t_destroy;
    d.on_bar = t_on_bar;
    return d;
}

static void expect_invalid(const gordon_plugin *d, int code, const char *needle)
{
    gordon_plugin copy;
    gd_err err = {{0}};
    int rc;

    memset(&copy, 0x5a, sizeof copy);
    rc = gd_loader_validate(d, &copy, &err);
    if (rc != code)
        fail_msg("expected %d (%s), got %d: %s", code, needle, rc, err.msg);
    assert_msg_has(err, needle);
    {
        static const gordon_plugin zero;
        assert_memory_equal(&copy, &zero, sizeof zero);
    }
}

static void test_validate_ok(void **state)
{
    gordon_plugin d = base_desc(), copy;
    gd_err err = {{0}};
    (void)state;

    assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);
    assert_memory_equal(&copy, &d, sizeof d);
    assert_int_equal(gd_loader_validate(&d, NULL, &err), GD_OK);

    /* Overlays and breakers with the callbacks their kinds need. */
    d.kind = GORDON_KIND_OVERLAY;
    d.on_bar = NULL;
    d.filter = t_filter;
    assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);
    d.kind = GORDON_KIND_BREAKER;
    d.filter = NULL;
    d.evaluate = t_evaluate;
    assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);

    /* No params at all: params may be NULL. */
    d = base_desc();
    d.n_params = 0;
    d.params = NULL;
    assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);

    /* Longest legal name. */
    d = base_desc();
    d.name = "abcdefghijklmnopqrstuvwxyz0123456789_abcdefghijklmnopqrstuvwxyz";
    assert_int_equal(strlen(d.name), 63);
    assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);
}

/* A v1-minimum descriptor (no reserved tail) is zero-extended in the copy;
 * a larger one (a future minor's layout) is truncated to what the host knows. */
static void test_validate_sizes(void **state)
{
    union {
        gordon_plugin d;
        unsigned char bytes[sizeof(gordon_plugin) + 256];
    } big;
    gordon_plugin copy;
    gd_err err = {{0}};
    (void)state;

    memset(big.bytes, 0xab, sizeof big.bytes);
    big.d = base_desc();
    memset(big.d.reserved, 0xab, sizeof big.d.reserved);
    big.d.struct_size = (uint32_t)offsetof(gordon_plugin, reserved);
    assert_int_equal(gd_loader_validate(&big.d, &copy, &err), GD_OK);
    for (size_t i = 0; i < 8; i++)
        assert_null(copy.reserved[i]);
    assert_string_equal(copy.name, "base");

    big.d.struct_size = (uint32_t)sizeof big;
    assert_int_equal(gd_loader_validate(&big.d, &copy, &err), GD_OK);
    assert_int_equal(copy.struct_size, sizeof big);
}

static void test_validate_header(void **state)
{
    gordon_plugin d;
    (void)state;

    expect_invalid(NULL, GD_EINVAL, "NULL");
    d = base_desc();
    d.magic = 0x12345678u;
    expect_invalid(&d, GD_EABI, "magic 0x12345678");
    d = base_desc();
    d.abi_major = GORDON_SDK_ABI_MAJOR + 1;
    expect_invalid(&d, GD_EABI, "major");
    d = base_desc();
    d.abi_major = 0;
    expect_invalid(&d, GD_EABI, "major");
    d = base_desc();
    d.abi_minor = GORDON_SDK_ABI_MINOR + 1;
    expect_invalid(&d, GD_EABI, "minor");
    d = base_desc();
    d.struct_size = (uint32_t)offsetof(gordon_plugin, reserved) - 1;
    expect_invalid(&d, GD_EABI, "struct_size");
    d = base_desc();
    d.struct_size = 0;
    expect_invalid(&d, GD_EABI, "too small");
    d = base_desc();
    d.struct_size = 64u * 1024u + 1u;
    expect_invalid(&d, GD_EABI, "implausibly large");
}

static void test_validate_content(void **state)
{
    gordon_plugin d;
    (void)state;

    d = base_desc();
    d.kind = 0;
    expect_invalid(&d, GD_EINVAL, "kind 0");
    d = base_desc();
    d.kind = 4;
    expect_invalid(&d, GD_EINVAL, "kind 4");
    d = base_desc();
    d.name = NULL;
    expect_invalid(&d, GD_EINVAL, "name is NULL");
    d = base_desc();
    d.name = "";
    expect_invalid(&d, GD_EINVAL, "must match [a-z0-9_]");
    d = base_desc();
    d.name = "Bad";
    expect_invalid(&d, GD_EINVAL, "'Bad'");
    d = base_desc();
    d.name = "has-dash";
    expect_invalid(&d, GD_EINVAL, "'has-dash'");
    d = base_desc();
    d.name = "abcdefghijklmnopqrstuvwxyz0123456789_abcdefghijklmnopqrstuvwxyz0";
    expect_invalid(&d, GD_EINVAL, "must match [a-z0-9_]{1,63}");
    d = base_desc();
    d.version = NULL;
    expect_invalid(&d, GD_EINVAL, "version");
    d = base_desc();
    d.version = "";
    expect_invalid(&d, GD_EINVAL, "version");
    d = base_desc();
    d.create = NULL;
    expect_invalid(&d, GD_EINVAL, "create");
    d = base_desc();
    d.destroy = NULL;
    expect_invalid(&d, GD_EINVAL, "destroy");
    d = base_desc();
    d.on_bar = NULL;
    expect_invalid(&d, GD_EINVAL, "on_bar");
    d = base_desc();
    d.kind = GORDON_KIND_OVERLAY;
    expect_invalid(&d, GD_EINVAL, "filter");
    d = base_desc();
    d.kind = GORDON_KIND_BREAKER;
    expect_invalid(&d, GD_EINVAL, "evaluate");
    d = base_desc();
    d.snapshot = t_snapshot;
    expect_invalid(&d, GD_EINVAL, "snapshot and restore");
}

static void test_validate_params(void **state)
{
    gordon_plugin d;
    (void)state;

    d = base_desc();
    d.n_params = 257;
    expect_invalid(&d, GD_EINVAL, "n_params 257");
    d = base_desc();
    d.params = NULL;
    expect_invalid(&d, GD_EINVAL, "params is NULL");
    d = base_desc();
    d.param_size = (uint32_t)offsetof(gordon_param, help);
    expect_invalid(&d, GD_EABI, "param_size");
    d = base_desc();
    d.param_size = 100000;
    expect_invalid(&d, GD_EABI, "param_size 100000");
    d = base_desc();
    d.param_size = (uint32_t)sizeof(gordon_param) + 4;
    d.n_params = 1;
    expect_invalid(&d, GD_EABI, "not a multiple");

    d = base_desc();
    base_params[1].name = NULL;
    expect_invalid(&d, GD_EINVAL, "param 1: name is NULL");
    d = base_desc();
    base_params[1].name = "K";
    expect_invalid(&d, GD_EINVAL, "'K'");
    d = base_desc();
    base_params[2].name = "period";
    expect_invalid(&d, GD_EINVAL, "'period' is declared twice");
    d = base_desc();
    base_params[1].type = 9;
    expect_invalid(&d, GD_EINVAL, "type 9");
    d = base_desc();
    base_params[1].def = 0.1;
    expect_invalid(&d, GD_EINVAL, "'k': default 0.1 is outside [0.5, 4]");
    d = base_desc();
    base_params[1].def = 5;
    expect_invalid(&d, GD_EINVAL, "outside");
    d = base_desc();
    base_params[1].min = 5;
    expect_invalid(&d, GD_EINVAL, "range [5, 4]");
    d = base_desc();
    base_params[1].def = NAN;
    expect_invalid(&d, GD_EINVAL, "not finite");
    d = base_desc();
    base_params[1].max = NAN;
    expect_invalid(&d, GD_EINVAL, "NaN");
    d = base_desc();
    base_params[0].def = 14.5;
    expect_invalid(&d, GD_EINVAL, "whole numbers");
    d = base_desc();
    base_params[0].step = 0;
    expect_invalid(&d, GD_EINVAL, "step must be > 0");
    d = base_desc();
    base_params[0].step = 0.5;
    expect_invalid(&d, GD_EINVAL, "int step 0.5");
    d = base_desc();
    base_params[1].tunable = 1;
    expect_invalid(&d, GD_EINVAL, "'k': tunable, so step must be > 0");
    d = base_desc();
    base_params[1].tunable = 2;
    expect_invalid(&d, GD_EINVAL, "tunable must be 0 or 1");
    d = base_desc();
    base_params[2].tunable = 1;
    base_params[2].step = 1;
    expect_invalid(&d, GD_EINVAL, "only int and double params can be tunable");
    d = base_desc();
    base_params[2].type = GORDON_PARAM_BOOL;
    base_params[2].def = 2;
    expect_invalid(&d, GD_EINVAL, "bool default 2");

    /* Valid edge cases: a bool, a string with no default, unbounded doubles. */
    {
        gordon_plugin copy;
        gd_err err = {{0}};
        d = base_desc();
        base_params[2].type = GORDON_PARAM_BOOL;
        base_params[2].def = 1;
        assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);
        d = base_desc();
        base_params[2].def_str = NULL;
        base_params[1].min = -INFINITY;
        base_params[1].max = INFINITY;
        assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);
    }
}

/* ------------------------------------------ plugin memory (issue 11, item 4) */

/* A fake plugin's memory: one segment the test lays a descriptor, its params
 * and strings out in, and a gd_objmem covering exactly that segment, so
 * every edge (a string running off the end, a table half outside) is exact. */
static _Alignas(16) unsigned char arena[16384];
static size_t arena_used;
static gd_objmem arena_mem;

static void *arena_alloc(size_t len)
{
    size_t off = (arena_used + 15u) & ~(size_t)15u;

    assert_true(off + len <= sizeof arena);
    arena_used = off + len;
    return arena + off;
}

static const char *arena_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(n);

    memcpy(p, s, n);
    return p;
}

/* base_desc(), wholly inside the arena. */
static gordon_plugin *arena_desc(void)
{
    gordon_plugin d = base_desc(), *out;
    gordon_param *p;

    memset(arena, 0, sizeof arena);
    arena_used = 0;
    arena_mem = (gd_objmem){.seg = {{(uintptr_t)arena, (uintptr_t)arena + sizeof arena}}, .n = 1};
    p = arena_alloc(d.n_params * sizeof *p);
    memcpy(p, base_params, d.n_params * sizeof *p);
    for (uint32_t i = 0; i < d.n_params; i++) {
        p[i].name = arena_str(p[i].name);
        if (p[i].def_str)
            p[i].def_str = arena_str(p[i].def_str);
        if (p[i].help)
            p[i].help = arena_str(p[i].help);
    }
    d.params = p;
    d.name = arena_str(d.name);
    d.version = arena_str(d.version);
    d.description = arena_str("a plugin in the arena");
    out = arena_alloc(sizeof *out);
    *out = d;
    return out;
}

/* n bytes of c, unterminated, ending exactly at the arena's end. */
static char *arena_tail(char c, size_t n)
{
    char *p = (char *)arena + sizeof arena - n;

    memset(p, c, n);
    return p;
}

/* A string of n copies of c in the arena, terminated. */
static const char *arena_rep(char c, size_t n)
{
    char *p = arena_alloc(n + 1);

    memset(p, c, n);
    p[n] = '\0';
    return p;
}

static void expect_invalid_in(const gordon_plugin *d, int code, const char *n1, const char *n2)
{
    gordon_plugin copy;
    gd_err err = {{0}};
    int rc;

    memset(&copy, 0x5a, sizeof copy);
    rc = gd_loader_validate_in(&arena_mem, d, &copy, &err);
    if (rc != code)
        fail_msg("expected %d (%s), got %d: %s", code, n1, rc, err.msg);
    assert_msg_has(err, n1);
    if (n2)
        assert_msg_has(err, n2);
    {
        static const gordon_plugin zero;
        assert_memory_equal(&copy, &zero, sizeof zero);
    }
}

static void expect_valid_in(const gordon_plugin *d)
{
    gordon_plugin copy;
    gd_err err = {{0}};

    if (gd_loader_validate_in(&arena_mem, d, &copy, &err) != GD_OK)
        fail_msg("refused: %s", err.msg);
    assert_memory_equal(&copy, d, sizeof copy);
}

/* The descriptor itself and its struct_size must be the plugin's memory. */
static void test_bounds_descriptor(void **state)
{
    gordon_plugin *d, on_stack;
    unsigned char *end;
    (void)state;

    d = arena_desc();
    expect_valid_in(d);
    /* Host data is not the plugin's: the stack, the test binary's strings. */
    on_stack = *d;
    expect_invalid_in(&on_stack, GD_EINVAL, "descriptor at", "is not within the plugin");
    expect_invalid_in((const gordon_plugin *)(uintptr_t)16u, GD_EINVAL, "descriptor at 0x10",
                      "header bytes");
    expect_invalid_in((const gordon_plugin *)(UINTPTR_MAX - 7u), GD_EINVAL, "descriptor at",
                      "stray pointer");
    /* Header straddling the end of the memory: refused before reading. */
    end = arena + sizeof arena;
    memcpy(end - 8, d, 8);
    expect_invalid_in((const gordon_plugin *)(const void *)(end - 8), GD_EINVAL,
                      "its 12 header bytes", NULL);
    /* A whole header near the end, but struct_size runs past it. */
    memcpy(end - 64, d, 64);
    expect_invalid_in((const gordon_plugin *)(const void *)(end - 64), GD_EINVAL,
                      "struct_size", "runs past the plugin's memory");
    /* The header is still checked first: garbage there is an ABI refusal. */
    memset(end - 64, 0, 64);
    expect_invalid_in((const gordon_plugin *)(const void *)(end - 64), GD_EABI, "magic", NULL);
}

static void test_bounds_strings(void **state)
{
    gordon_plugin *d;
    char *tail;
    (void)state;

    /* Required names: outside, or running off the end of the memory. */
    d = arena_desc();
    d->name = "base"; /* the test binary's .rodata, not the plugin's */
    expect_invalid_in(d, GD_EINVAL, "descriptor name is not a NUL-terminated string within the "
                      "plugin (at most 63 bytes)", NULL);
    d = arena_desc();
    d->name = arena_tail('a', 10);
    expect_invalid_in(d, GD_EINVAL, "descriptor name is not a NUL-terminated string", NULL);
    /* Too long but readable: the syntax message, quoting 64 bytes. */
    d = arena_desc();
    d->name = arena_rep('a', 64);
    expect_invalid_in(d, GD_EINVAL, "must match [a-z0-9_]{1,63}", NULL);

    /* version: at most 63 bytes, NUL-terminated, in the plugin. */
    d = arena_desc();
    d->version = arena_rep('v', 63);
    expect_valid_in(d);
    d = arena_desc();
    d->version = arena_rep('v', 64);
    expect_invalid_in(d, GD_EINVAL, "plugin 'base': version is not a NUL-terminated string "
                      "within the plugin (at most 63 bytes)", "no NUL in its first 64 bytes");
    d = arena_desc();
    tail = arena_tail('v', 8);
    d->version = tail;
    expect_invalid_in(d, GD_EINVAL, "version", "runs off the end of the plugin's memory");
    d = arena_desc();
    d->version = (const char *)(uintptr_t)16u;
    expect_invalid_in(d, GD_EINVAL, "version", "0x10 is outside it");
    d = arena_desc();
    d->version = arena_str("");
    expect_invalid_in(d, GD_EINVAL, "version is NULL or empty", NULL);

    /* description: optional, at most 1023 bytes. */
    d = arena_desc();
    d->description = NULL;
    expect_valid_in(d);
    d = arena_desc();
    d->description = arena_rep('d', 1023);
    expect_valid_in(d);
    d = arena_desc();
    d->description = arena_rep('d', 1024);
    expect_invalid_in(d, GD_EINVAL, "'base': description", "(at most 1023 bytes)");
    d = arena_desc();
    d->description = "in the test binary";
    expect_invalid_in(d, GD_EINVAL, "description is not a NUL-terminated string within the plugin",
                      "is outside it");
    d = arena_desc();
    d->description = (const char *)(UINTPTR_MAX - 15u);
    expect_invalid_in(d, GD_EINVAL, "description", "is outside it");
}

static void test_bounds_params(void **state)
{
    gordon_plugin *d;
    gordon_param *p;
    (void)state;

    /* The table: n_params x param_size bytes, all of them the plugin's. */
    d = arena_desc();
    d->n_params = 200; /* three real entries, then the strings read as entries */
    expect_invalid_in(d, GD_EINVAL, "plugin 'base': param 3: name", NULL);
    d = arena_desc();
    d->params = (const gordon_param *)(const void *)(arena + 4096);
    d->n_params = 256; /* 16 KiB: more than the arena holds after it */
    expect_invalid_in(d, GD_EINVAL, "params table (256 x", "is not within the plugin");
    d = arena_desc();
    d->params = (const gordon_param *)(const void *)(arena + sizeof arena - sizeof(gordon_param));
    d->n_params = 2;
    expect_invalid_in(d, GD_EINVAL, "params table (2 x", "n_params or params is wrong");
    d = arena_desc();
    d->params = base_params; /* the test binary's */
    expect_invalid_in(d, GD_EINVAL, "params table", "is not within the plugin");
    d = arena_desc();
    d->params = (const gordon_param *)(uintptr_t)4096u;
    expect_invalid_in(d, GD_EINVAL, "params table (3 x", "at 0x1000)");

    /* Junk past the real entries: garbage pointers are refused, not followed. */
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[1].name = (const char *)(uintptr_t)0xdeadbeefdeadbeefull;
    expect_invalid_in(d, GD_EINVAL, "plugin 'base': param 1: name is not a NUL-terminated string "
                      "within the plugin (at most 63 bytes)", NULL);
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[2].name = arena_tail('n', 5);
    expect_invalid_in(d, GD_EINVAL, "param 2: name is not a NUL-terminated string", NULL);
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[1].name = arena_rep('k', 64);
    expect_invalid_in(d, GD_EINVAL, "param 1: name", "must match [a-z0-9_]{1,63}");

    /* def_str and help: optional, at most 1023 bytes, whatever the type. */
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[2].def_str = arena_rep('s', 1023);
    p[0].help = arena_rep('h', 1023);
    expect_valid_in(d);
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[2].def_str = arena_rep('s', 1024);
    expect_invalid_in(d, GD_EINVAL, "plugin 'base': param 'label': def_str is not a "
                      "NUL-terminated string within the plugin (at most 1023 bytes)", NULL);
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[0].def_str = (const char *)(uintptr_t)16u; /* an int param's: still checked */
    expect_invalid_in(d, GD_EINVAL, "param 'period': def_str", "0x10 is outside it");
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[1].help = (const char *)(UINTPTR_MAX - 15u);
    expect_invalid_in(d, GD_EINVAL, "param 'k': help is not a NUL-terminated string", NULL);
    d = arena_desc();
    p = (gordon_param *)(uintptr_t)d->params;
    p[0].help = arena_tail('h', 100);
    expect_invalid_in(d, GD_EINVAL, "param 'period': help", "runs off the end");
}

/* Host memory (mem NULL, unit tests' descriptors) still has the limits. */
static void test_bounds_host_memory(void **state)
{
    static char longer[1100];
    gordon_plugin d;
    (void)state;

    memset(longer, 'x', sizeof longer - 1);
    d = base_desc();
    d.version = longer + sizeof longer - 1 - 64;
    expect_invalid(&d, GD_EINVAL, "version is not a NUL-terminated string");
    d = base_desc();
    d.description = longer + sizeof longer - 1 - 1024;
    expect_invalid(&d, GD_EINVAL, "at most 1023 bytes");
    d = base_desc();
    d.description = longer + sizeof longer - 1 - 1023;
    {
        gordon_plugin copy;
        gd_err err = {{0}};
        assert_int_equal(gd_loader_validate(&d, &copy, &err), GD_OK);
    }
    d = base_desc();
    base_params[1].help = longer;
    expect_invalid(&d, GD_EINVAL, "param 'k': help");
}

/* The primitives: segments of a real object, ranges, bounded strings. */
static void test_objmem(void **state)
{
    static const char in_binary[] = "in the test binary";
    char on_stack[16] = "on the stack";
    gd_objmem self, *nul = NULL;
    gd_plugin_lib lib;
    gd_err err = {{0}};
    size_t len;
    void *prog;
    char *heap;
    (void)state;

    /* The program's own segments: its data is in, the stack and heap not. */
    prog = dlopen(NULL, RTLD_NOW);
    assert_non_null(prog);
    assert_int_equal(gd_objmem_init(&self, prog, &err), GD_OK);
    dlclose(prog);
    assert_true(self.n >= 1 && self.n <= GD_OBJMEM_MAX_SEGS);
    for (size_t i = 0; i < self.n; i++) {
        assert_true(self.seg[i].lo < self.seg[i].hi);
        if (i)
            assert_true(self.seg[i - 1].hi < self.seg[i].lo); /* sorted, merged */
    }
    assert_true(gd_objmem_range_ok(&self, in_binary, sizeof in_binary));
    assert_true(gd_objmem_range_ok(&self, arena, sizeof arena));
    assert_false(gd_objmem_range_ok(&self, on_stack, 1));
    heap = malloc(32);
    assert_non_null(heap);
    assert_false(gd_objmem_range_ok(&self, heap, 1));
    free(heap);
    assert_false(gd_objmem_range_ok(&self, NULL, 0));
    assert_false(gd_objmem_range_ok(&self, (const void *)(uintptr_t)16u, 1));
    /* No wrap-around: a huge length from inside is refused. */
    assert_false(gd_objmem_range_ok(&self, in_binary, SIZE_MAX));
    assert_false(gd_objmem_range_ok(&self, in_binary, SIZE_MAX - (uintptr_t)in_binary + 2));
    /* mem NULL: host memory the caller vouches for; only NULL refused. */
    assert_true(gd_objmem_range_ok(nul, on_stack, sizeof on_stack));
    assert_false(gd_objmem_range_ok(nul, NULL, 1));
    assert_ptr_equal(gd_objmem_string(&self, in_binary, 63, &err), in_binary);
    assert_null(gd_objmem_string(&self, in_binary, 5, &err));
    assert_msg_has(err, "no NUL in its first 6 bytes");
    assert_null(gd_objmem_string(&self, on_stack, 63, &err));
    assert_msg_has(err, "is outside it");
    assert_null(gd_objmem_string(&self, NULL, 63, &err));
    assert_string_equal(err.msg, "is NULL");
    assert_int_equal(gd_objmem_strnlen(&self, in_binary, 4, &len), 1);
    assert_int_equal(len, 5); /* max + 1: no NUL in 5 bytes, all readable */
    assert_int_equal(gd_objmem_strnlen(&self, in_binary, 63, &len), 1);
    assert_int_equal(len, strlen(in_binary));
    assert_int_equal(gd_objmem_init(&self, NULL, &err), GD_EINVAL);
    assert_int_equal(self.n, 0);

    /* A loaded plugin: its descriptor and strings are in, the host's not. */
    assert_int_equal(gd_loader_open(tp("good_strategy"), &lib, &err), GD_OK);
    assert_true(lib.mem.n >= 1);
    assert_true(gd_plugin_range_ok(&lib, lib.desc, lib.desc->struct_size));
    assert_true(gd_plugin_range_ok(&lib, lib.d.params, lib.d.n_params * lib.d.param_size));
    assert_ptr_equal(gd_plugin_string(&lib, lib.d.version, GD_PLUGIN_VERSION_MAX, &err),
                     lib.d.version);
    assert_false(gd_plugin_range_ok(&lib, in_binary, 1));
    assert_null(gd_plugin_string(&lib, in_binary, 63, &err));
    assert_msg_has(err, "outside");
    assert_null(gd_plugin_string(NULL, lib.d.version, 63, &err));
    gd_loader_close(&lib);
}

/* `gordon plugin check` prints only what the checks passed: a copy whose
 * pointers are not the plugin's shows markers, never reads through them. */
static void test_describe_unvalidated(void **state)
{
    gd_plugin_lib lib;
    char *text = NULL;
    size_t text_len = 0;
    FILE *mem;
    (void)state;

    memset(&lib, 0, sizeof lib);
    lib.d = *arena_desc();
    lib.mem = arena_mem;
    lib.d.description = (const char *)(uintptr_t)16u;
    lib.d.version = arena_tail('v', 4);
    mem = open_memstream(&text, &text_len);
    assert_non_null(mem);
    gd_loader_describe(&lib, mem);
    fclose(mem);
    assert_non_null(strstr(text, "name:         base"));
    assert_non_null(strstr(text, "version:      (not a string within the plugin)"));
    assert_non_null(strstr(text, "description:  (not a string within the plugin)"));
    assert_non_null(strstr(text, "period"));
    free(text);

    /* A table that is not the plugin's is not listed at all. */
    lib.d.params = (const gordon_param *)(const void *)(arena + 4096);
    lib.d.n_params = 250;
    text = NULL;
    mem = open_memstream(&text, &text_len);
    assert_non_null(mem);
    gd_loader_describe(&lib, mem);
    fclose(mem);
    assert_non_null(strstr(text, "params:       250"));
    assert_null(strstr(text, "period"));
    free(text);
}

/* ---------------------------------------------------------- library cache */

static void copy_to(const char *src, const char *dst)
{
    gd_err e;
    assert_int_equal(gd_file_copy(src, dst, &e), 0);
}

static void test_libcache(void **state)
{
    gd_libcache *c = NULL;
    gd_plugin_lib *a = NULL, *b = NULL, *x = NULL;
    gd_err err = {{0}};
    char good[PATH_MAX], dup_a[PATH_MAX], dir[PATH_MAX], at[PATH_MAX + 32];
    char priv[PATH_MAX];
    uint64_t loaded, failed;
    (void)state;

    snprintf(good, sizeof good, "%s", tp("good_strategy"));
    snprintf(dup_a, sizeof dup_a, "%s", tp("dup_name_a"));
    assert_int_equal(gd_test_tmpdir(dir, sizeof dir, NULL, "gd_test_cache"), 0);
    setenv("TMPDIR", dir, 1);
    assert_int_equal(gd_libcache_new(&c, &err), GD_OK);

    assert_int_equal(gd_libcache_open(c, good, &a, &err), GD_OK);
    /* Loaded from a private, content-addressed copy; the origin is kept. */
    assert_string_equal(a->origin, good);
    assert_true(strncmp(a->path, dir, strlen(dir)) == 0);
    assert_non_null(strstr(a->path, a->sha256_hex));
    snprintf(priv, sizeof priv, "%s", a->path);
    assert_int_equal(access(priv, R_OK), 0);
    /* Same contents: the same library, another reference. */
    assert_int_equal(gd_libcache_open(c, good, &b, &err), GD_OK);
    assert_ptr_equal(a, b);
    assert_ptr_equal(gd_libcache_find(c, good), a);
    assert_null(gd_libcache_find(c, "/elsewhere/good_strategy.so"));

    /* A rebuilt .so at the same path is a new library beside the old one
     * (glibc would hand back the old object for the same path). */
    snprintf(at, sizeof at, "%s/plugin.so", dir);
    copy_to(good, at);
    assert_int_equal(gd_libcache_open(c, at, &x, &err), GD_OK);
    assert_ptr_equal(x, a); /* same bytes as good_strategy */
    copy_to(dup_a, at);
    assert_int_equal(gd_libcache_open(c, at, &x, &err), GD_OK);
    assert_ptr_not_equal(x, a);
    assert_string_equal(x->d.name, "dup_name");
    assert_ptr_equal(gd_libcache_find(c, at), x);

    /* Two libraries with one descriptor name cannot run together: named. */
    gd_plugin_lib *d = NULL;
    assert_int_equal(gd_libcache_open(c, tp("dup_name_b"), &d, &err), GD_OK);
    gd_plugin_lib *set[] = {a, x};
    assert_int_equal(gd_plugin_name_unique(set, 2, d, &err), GD_EEXIST);
    assert_msg_has(err, "'dup_name'");
    assert_msg_has(err, at);
    assert_int_equal(gd_plugin_name_unique(set, 2, x, &err), GD_OK);

    /* Refusals name the operator's file, not the private copy. */
    assert_int_equal(gd_libcache_open(c, tp("imports_socket"), &d, &err), GD_EFORBIDDEN);
    assert_msg_has(err, tp("imports_socket"));
    assert_null(strstr(err.msg, dir));
    assert_int_equal(gd_libcache_open(c, "/nonexistent/gd/x.so", &d, &err), GD_ENOENT);
    assert_int_equal(gd_libcache_open(c, "/tmp", &d, &err), GD_EINVAL);
    assert_msg_has(err, "not a regular file");
    gd_libcache_counts(c, &loaded, &failed);
    assert_int_equal(loaded, 3);

    /* The last reference closes the library and deletes its copy: good's
     * bytes were opened three times (good twice, and plugin.so once). */
    gd_libcache_release(c, a);
    gd_libcache_release(c, b);
    assert_int_equal(access(priv, R_OK), 0);
    gd_libcache_release(c, a);
    assert_int_not_equal(access(priv, R_OK), 0);
    assert_null(gd_libcache_find(c, good));
    /* Freeing removes the private directory with everything in it. */
    gd_libcache_free(c);
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    int entries = 0;
    for (struct dirent *de; (de = readdir(dd)) != NULL;)
        entries += de->d_name[0] != '.';
    closedir(dd);
    assert_int_equal(entries, 1); /* only plugin.so, ours */
    unlink(at);
    assert_int_equal(rmdir(dir), 0); /* nothing left behind but ours */
    unsetenv("TMPDIR");
}

/* The daemon's path (the library cache) checks bounds as well. */
static void test_libcache_hostile(void **state)
{
    static const char *const names[][2] = {
        {"hostile_params_count", "param 1: name is not a NUL-terminated string"},
        {"hostile_version_unterminated", "version is not a NUL-terminated string"},
        {"hostile_desc_strings", "description is not a NUL-terminated string"},
        {"hostile_params_ptr", "is not within the plugin"},
        {"hostile_desc_ptr", "is not within the plugin"},
        {"hostile_desc_size", "runs past the plugin's memory"},
    };
    const size_t n = sizeof names / sizeof names[0];
    char dir[PATH_MAX];
    gd_libcache *c = NULL;
    gd_plugin_lib *lib = NULL;
    gd_err err = {{0}};
    uint64_t loaded, failed;
    (void)state;

    assert_int_equal(gd_test_tmpdir(dir, sizeof dir, NULL, "gd_test_cache"), 0);
    setenv("TMPDIR", dir, 1);
    assert_int_equal(gd_libcache_new(&c, &err), GD_OK);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        int rc;

        snprintf(path, sizeof path, "%s", tp(names[i][0]));
        rc = gd_libcache_open(c, path, &lib, &err);
        if (rc != GD_EINVAL)
            fail_msg("%s: expected %d, got %d: %s", names[i][0], GD_EINVAL, rc, err.msg);
        assert_null(lib);
        assert_msg_has(err, path);
        assert_msg_has(err, names[i][1]);
    }
    gd_libcache_counts(c, &loaded, &failed);
    assert_int_equal(loaded, 0);
    assert_int_equal(failed, n);
    gd_libcache_free(c);
    assert_int_equal(rmdir(dir), 0); /* nothing left behind */
    unsetenv("TMPDIR");
}

/* Every bundled plugin that has been built passes the loader (the list is
 * whatever is in GD_PLUGIN_DIR; none built is not an error here). */
static void test_bundled_plugins(void **state)
{
    const char *dir = getenv("GD_PLUGIN_DIR");
    struct dirent *e;
    DIR *d = NULL;
    (void)state;

    if (!dir || !(d = opendir(dir)))
        skip();
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char path[PATH_MAX];
        gd_plugin_lib lib;
        gd_err err = {{0}};

        if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (gd_loader_open(path, &lib, &err) != GD_OK) {
            closedir(d);
            fail_msg("bundled plugin refused: %s", err.msg);
        }
        gd_loader_close(&lib);
    }
    closedir(d);
}

static void test_kind_name(void **state)
{
    (void)state;
    assert_string_equal(gd_kind_name(GORDON_KIND_STRATEGY), "strategy");
    assert_string_equal(gd_kind_name(GORDON_KIND_OVERLAY), "overlay");
    assert_string_equal(gd_kind_name(GORDON_KIND_BREAKER), "breaker");
    assert_string_equal(gd_kind_name(0), "unknown");
    assert_string_equal(gd_kind_name(42), "unknown");
}

/* A descriptor from another sdk.h with the same ABI numbers (a different
 * size at this minor, its create where this host's layout has none) is
 * named as such, not as a plain NULL callback. */
static void test_validate_sdk_header_mismatch(void **state)
{
    union {
        gordon_plugin d;
        unsigned char bytes[sizeof(gordon_plugin) + 16];
    } big;
    gd_err err = {{0}};
    (void)state;
    memset(big.bytes, 0, sizeof big.bytes);
    big.d = base_desc();
    big.d.create = NULL;
    big.d.struct_size = (uint32_t)sizeof big;
    assert_int_equal(gd_loader_validate(&big.d, NULL, &err), GD_EABI);
    if (!strstr(err.msg, "built against a different gordon/sdk.h with the same ABI numbers"))
        fail_msg("unexpected: %s", err.msg);
}

/* argv[1], if given, is a cmocka test-name filter (tests/loader.cmake). */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_sdk_header_mismatch),
        cmocka_unit_test(test_sha256_buf),
        cmocka_unit_test(test_sha256_file),
        cmocka_unit_test(test_imports_good),
        cmocka_unit_test(test_imports_forbidden),
        cmocka_unit_test(test_imports_not_found),
        cmocka_unit_test(test_imports_not_elf),
        cmocka_unit_test(test_imports_not_shared),
        cmocka_unit_test(test_open_good),
        cmocka_unit_test(test_open_relative),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_open_hostile),
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_sizes),
        cmocka_unit_test(test_validate_header),
        cmocka_unit_test(test_validate_content),
        cmocka_unit_test(test_validate_params),
        cmocka_unit_test(test_bounds_descriptor),
        cmocka_unit_test(test_bounds_strings),
        cmocka_unit_test(test_bounds_params),
        cmocka_unit_test(test_bounds_host_memory),
        cmocka_unit_test(test_objmem),
        cmocka_unit_test(test_describe_unvalidated),
        cmocka_unit_test(test_libcache),
        cmocka_unit_test(test_libcache_hostile),
        cmocka_unit_test(test_bundled_plugins),
        cmocka_unit_test(test_kind_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
