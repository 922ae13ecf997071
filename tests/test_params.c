/* Unit tests for host/params.c: binding a plugin section to declared params. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gordon/sdk.h>

#include "config/config.h"
#include "config/params.h"
#include "tmpdir.h"

#define assert_msg(err, sub)                                                                       \
    do {                                                                                           \
        if (!strstr((err).msg, (sub)))                                                             \
            fail_msg("message \"%s\" lacks \"%s\"", (err).msg, (sub));                             \
    } while (0)

static const gordon_param g_params[] = {
    {"fast", GORDON_PARAM_INT, 1, 10, 2, 100, 1, NULL, "fast EMA period"},
    {"mult", GORDON_PARAM_DOUBLE, 1, 1.5, 0.1, 10, 0.1, NULL, "ATR multiple for the stop"},
    {"long_only", GORDON_PARAM_BOOL, 0, 0, 0, 1, 0, NULL, "no shorts"},
    {"label", GORDON_PARAM_STRING, 0, 0, 0, 0, 0, "ema", "tag for the intent log"},
    {"note", GORDON_PARAM_STRING, 0, 0, 0, 0, 0, NULL, "NULL default"},
};

static const gordon_plugin g_desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_STRATEGY),
    .name = "ema",
    .version = "1",
    .params = g_params,
    .n_params = sizeof g_params / sizeof g_params[0],
};

/* A section as config.c would produce it, with n keys from kv. */
static gd_plugin_conf section(gd_kv *kv, size_t n)
{
    gd_plugin_conf pc;
    memset(&pc, 0, sizeof pc);
    pc.kind = GORDON_KIND_STRATEGY;
    pc.name = "trend";
    pc.plugin = "ema";
    pc.params = kv;
    pc.n_params = n;
    pc.file = "s.ini";
    pc.line = 1;
    return pc;
}

static int bind1(const char *key, const char *value, gd_params *out, gd_err *err)
{
    gd_kv kv = {(char *)key, (char *)value, "s.ini", 7};
    gd_plugin_conf pc = section(&kv, 1);
    memset(out, 0x5A, sizeof *out);
    err->msg[0] = '\0';
    return gd_params_bind(&g_desc, &pc, out, err);
}

static void expect_fail(const char *key, const char *value, int code, const char *sub)
{
    gd_params p;
    gd_err err;
    int rc = bind1(key, value, &p, &err);
    if (rc != code)
        fail_msg("%s = %s: rc %d, expected %d (%s)", key, value, rc, code, err.msg);
    assert_msg(err, sub);
    assert_null(p.v); /* nothing half-bound */
    assert_int_equal(p.n, 0);
}

static void test_defaults(void **state)
{
    gd_plugin_conf pc = section(NULL, 0);
    gd_params p;
    gd_err err;
    const gd_param_value *v;
    (void)state;
    assert_int_equal(gd_params_bind(&g_desc, &pc, &p, &err), 0);
    assert_int_equal(p.n, 5);
    v = gd_params_find(&p, "fast");
    assert_non_null(v);
    assert_int_equal(v->i, 10);
    assert_true(v->d == 10);
    assert_int_equal(v->from_config, 0);
    assert_null(v->file);
    assert_string_equal(v->decl.help, "fast EMA period");
    v = gd_params_find(&p, "mult");
    assert_true(v->d == 1.5);
    v = gd_params_find(&p, "long_only");
    assert_int_equal(v->i, 0);
    assert_string_equal(gd_params_find(&p, "label")->s, "ema");
    assert_string_equal(gd_params_find(&p, "note")->s, "");
    assert_null(gd_params_find(&p, "nope"));
    /* Declaration order is kept. */
    assert_string_equal(p.v[0].decl.name, "fast");
    assert_string_equal(p.v[4].decl.name, "note");
    gd_params_free(&p);
    assert_null(p.v);
    assert_int_equal(p.n, 0);
}

static void test_values(void **state)
{
    gd_kv kv[] = {
        {"fast", "20", "s.ini", 3},
        {"mult", "2.25", "s.ini", 4},
        {"long_only", "Yes", "conf.d/1.ini", 2},
        {"label", "trend one", "s.ini", 6},
    };
    gd_plugin_conf pc = section(kv, 4);
    gd_params p;
    gd_err err;
    const gd_param_value *v;
    (void)state;
    assert_int_equal(gd_params_bind(&g_desc, &pc, &p, &err), 0);
    v = gd_params_find(&p, "fast");
    assert_int_equal(v->i, 20);
    assert_true(v->d == 20);
    assert_int_equal(v->from_config, 1);
    assert_string_equal(v->file, "s.ini");
    assert_int_equal(v->line, 3);
    assert_true(gd_params_find(&p, "mult")->d == 2.25);
    v = gd_params_find(&p, "long_only");
    assert_int_equal(v->i, 1);
    assert_string_equal(v->file, "conf.d/1.ini");
    assert_string_equal(gd_params_find(&p, "label")->s, "trend one");
    assert_int_equal(gd_params_find(&p, "note")->from_config, 0);
    gd_params_free(&p);
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_fail("slow", "26", GD_EINVAL,
                "s.ini:7: [strategy.trend] slow: unknown parameter for plugin 'ema' (known: fast, "
                "mult, long_only, label, note)");
    /* A plugin without params knows none. */
    {
        gordon_plugin d = g_desc;
        gd_kv kv = {"x", "1", "s.ini", 2};
        gd_plugin_conf pc = section(&kv, 1);
        gd_params p;
        gd_err err;
        d.params = NULL;
        d.n_params = 0;
        assert_int_equal(gd_params_bind(&d, &pc, &p, &err), GD_EINVAL);
        assert_msg(err, "s.ini:2: [strategy.trend] x: unknown parameter for plugin 'ema' (known: none)");
        pc.n_params = 0;
        assert_int_equal(gd_params_bind(&d, &pc, &p, &err), 0);
        assert_int_equal(p.n, 0);
        gd_params_free(&p);
    }
}

static void test_ranges_and_types(void **state)
{
    (void)state;
    expect_fail("fast", "101", GD_ERANGE,
                "s.ini:7: [strategy.trend] fast: 101 is out of range (allowed: integers in [2, 100])");
    expect_fail("fast", "1", GD_ERANGE, "fast: 1 is out of range");
    expect_fail("fast", "1.5", GD_EINVAL,
                "s.ini:7: [strategy.trend] fast: '1.5' is not an integer (allowed: integers in [2, 100])");
    expect_fail("fast", "1e1", GD_EINVAL, "'1e1' is not an integer");
    expect_fail("fast", "", GD_EINVAL, "'' is not an integer");
    expect_fail("fast", "99999999999999999999", GD_ERANGE, "out of range");
    expect_fail("mult", "0.05", GD_ERANGE,
                "s.ini:7: [strategy.trend] mult: 0.05 is out of range (allowed: [0.1, 10])");
    expect_fail("mult", "2x", GD_EINVAL, "mult: '2x' is not a number (allowed: [0.1, 10])");
    expect_fail("mult", "nan", GD_EINVAL, "'nan' is not a number");
    expect_fail("mult", "inf", GD_EINVAL, "'inf' is not a number");
    {
        gd_params p;
        gd_err err;
        assert_int_equal(bind1("mult", "10", &p, &err), 0); /* bounds are inclusive */
        assert_true(gd_params_find(&p, "mult")->d == 10);
        gd_params_free(&p);
        assert_int_equal(bind1("fast", "+2", &p, &err), 0);
        assert_int_equal(gd_params_find(&p, "fast")->i, 2);
        gd_params_free(&p);
    }
}

static void test_bools(void **state)
{
    static const char *const t[] = {"true", "YES", "on", "1"};
    static const char *const f[] = {"False", "no", "OFF", "0"};
    gd_params p;
    gd_err err;
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(bind1("long_only", t[i], &p, &err), 0);
        assert_int_equal(gd_params_find(&p, "long_only")->i, 1);
        gd_params_free(&p);
        assert_int_equal(bind1("long_only", f[i], &p, &err), 0);
        assert_int_equal(gd_params_find(&p, "long_only")->i, 0);
        gd_params_free(&p);
    }
    expect_fail("long_only", "2", GD_EINVAL,
                "[strategy.trend] long_only: '2' is not a boolean (allowed: true/false/yes/no/on/off/1/0)");
    expect_fail("long_only", "y", GD_EINVAL, "not a boolean");
}

/* An older plugin: its gordon_param ended after max (no step, def_str, help). */
typedef struct old_param {
    const char *name;
    int32_t type;
    int32_t tunable;
    double def;
    double min;
    double max;
} old_param;

/* A newer plugin: fields appended after help. */
typedef struct new_param {
    gordon_param p;
    double extra;
    const char *more;
} new_param;

static void test_decl_stride(void **state)
{
    static const old_param olds[] = {
        {"period", GORDON_PARAM_INT, 1, 20, 2, 200},
        {"k", GORDON_PARAM_DOUBLE, 0, 2, 0.5, 4},
    };
    static const new_param news[] = {
        {{"a", GORDON_PARAM_INT, 0, 1, 0, 5, 1, NULL, "help a"}, 9.0, "x"},
        {{"b", GORDON_PARAM_STRING, 0, 0, 0, 0, 0, "dflt", "help b"}, 9.0, "y"},
    };
    gordon_plugin d = g_desc;
    gordon_param out;
    gd_err err;
    gd_params p;
    (void)state;

    d.params = (const gordon_param *)(const void *)olds;
    d.n_params = 2;
    d.param_size = sizeof(old_param);
    memset(&out, 0x5A, sizeof out);
    assert_int_equal(gd_params_decl(&d, 1, &out, &err), 0);
    assert_string_equal(out.name, "k");
    assert_int_equal(out.type, GORDON_PARAM_DOUBLE);
    assert_true(out.def == 2 && out.min == 0.5 && out.max == 4);
    assert_true(out.step == 0); /* not in the old struct: zero */
    assert_null(out.def_str);
    assert_null(out.help);
    {
        gd_kv kv = {"period", "50", "s.ini", 3};
        gd_plugin_conf pc = section(&kv, 1);
        assert_int_equal(gd_params_bind(&d, &pc, &p, &err), 0);
        assert_int_equal(gd_params_find(&p, "period")->i, 50);
        assert_true(gd_params_find(&p, "k")->d == 2);
        gd_params_free(&p);
    }
    assert_int_equal(gd_params_decl(&d, 2, &out, &err), GD_ERANGE);

    /* A newer, larger struct: the stride is honoured, the tail ignored. */
    d.params = (const gordon_param *)(const void *)news;
    d.param_size = sizeof(new_param);
    assert_int_equal(gd_params_decl(&d, 1, &out, &err), 0);
    assert_string_equal(out.name, "b");
    assert_string_equal(out.def_str, "dflt");
    assert_string_equal(out.help, "help b");

    /* A size that cuts a field in half: that field reads as zero. */
    {
        static unsigned char raw[2 * (sizeof(gordon_param) - 4)];
        const size_t stride = sizeof(gordon_param) - 4;
        gordon_param full = {"h", GORDON_PARAM_BOOL, 0, 1, 0, 1, 0, NULL, "cut in half"};
        memcpy(raw, &full, stride);
        full.name = "i";
        memcpy(raw + stride, &full, stride);
        d.params = (const gordon_param *)(const void *)raw;
        d.param_size = (uint32_t)stride;
        assert_int_equal(gd_params_decl(&d, 1, &out, &err), 0);
        assert_string_equal(out.name, "i");
        assert_true(out.def == 1);
        assert_null(out.help);
    }

    /* Too small to hold even name and type. */
    d.param_size = 8;
    assert_int_equal(gd_params_decl(&d, 0, &out, &err), GD_EABI);
    assert_msg(err, "param_size 8 is too small");
    d.param_size = sizeof(gordon_param);
    d.params = NULL;
    assert_int_equal(gd_params_decl(&d, 0, &out, &err), GD_EABI);
}

/* Binds an empty section against the declarations {a, b}; returns rc. */
static int bind_decls(gordon_param a, gordon_param b, gd_err *err)
{
    gordon_param decls[2];
    gordon_plugin d = g_desc;
    gd_plugin_conf pc = section(NULL, 0);
    gd_params p;
    int rc;
    decls[0] = a;
    decls[1] = b;
    d.params = decls;
    d.n_params = 2;
    rc = gd_params_bind(&d, &pc, &p, err);
    gd_params_free(&p);
    return rc;
}

static void test_bad_declarations(void **state)
{
    const gordon_param x = {"x", GORDON_PARAM_INT, 0, 2, 1, 10, 1, NULL, NULL};
    const gordon_param y = {"y", GORDON_PARAM_DOUBLE, 0, 1, 0, 2, 0, NULL, NULL};
    gordon_param bad;
    gd_err err;
    (void)state;
    assert_int_equal(bind_decls(x, y, &err), 0);

    bad = x;
    bad.def = 500;
    assert_int_equal(bind_decls(bad, y, &err), GD_EABI);
    assert_msg(err, "plugin 'ema': param 'x': default 500 is not within [1, 10]");
    bad.def = 2.5;
    assert_int_equal(bind_decls(bad, y, &err), GD_EABI);
    assert_msg(err, "default 2.5 is not an integer");

    bad = y;
    bad.name = "x";
    assert_int_equal(bind_decls(x, bad, &err), GD_EABI);
    assert_msg(err, "param 'x' declared twice");
    bad = y;
    bad.type = 9;
    assert_int_equal(bind_decls(x, bad, &err), GD_EABI);
    assert_msg(err, "unknown type 9");
    bad = y;
    bad.name = NULL;
    assert_int_equal(bind_decls(x, bad, &err), GD_EABI);
    assert_msg(err, "param 1 has no name");
}

static void test_set_number_and_copy(void **state)
{
    gd_kv kv = {"label", "mine", "s.ini", 5};
    gd_plugin_conf pc = section(&kv, 1);
    gd_params p, q;
    gd_err err;
    (void)state;
    assert_int_equal(gd_params_bind(&g_desc, &pc, &p, &err), 0);
    assert_int_equal(gd_params_set_number(&p, "fast", 50, &err), 0);
    assert_int_equal(gd_params_find(&p, "fast")->i, 50);
    assert_true(gd_params_find(&p, "fast")->d == 50);
    assert_int_equal(gd_params_set_number(&p, "fast", 50.5, &err), GD_EINVAL);
    assert_msg(err, "not an integer");
    assert_int_equal(gd_params_set_number(&p, "fast", 101, &err), GD_ERANGE);
    assert_msg(err, "parameter 'fast': 101 is out of range (allowed: [2, 100])");
    assert_int_equal(gd_params_find(&p, "fast")->i, 50); /* unchanged by the failures */
    assert_int_equal(gd_params_set_number(&p, "mult", 0.3, &err), 0);
    assert_true(gd_params_find(&p, "mult")->d == 0.3);
    assert_int_equal(gd_params_set_number(&p, "mult", 1.0 / 0.0, &err), GD_EINVAL);
    assert_int_equal(gd_params_set_number(&p, "label", 1, &err), GD_EINVAL);
    assert_int_equal(gd_params_set_number(&p, "long_only", 1, &err), GD_EINVAL);
    assert_int_equal(gd_params_set_number(&p, "nope", 1, &err), GD_ENOENT);

    /* A deep copy: changing or freeing one leaves the other intact. */
    assert_int_equal(gd_params_copy(&p, &q, &err), 0);
    assert_int_equal(q.n, p.n);
    assert_ptr_not_equal(gd_params_find(&q, "label")->s, gd_params_find(&p, "label")->s);
    assert_int_equal(gd_params_set_number(&q, "fast", 3, &err), 0);
    assert_int_equal(gd_params_find(&p, "fast")->i, 50);
    gd_params_free(&p);
    assert_string_equal(gd_params_find(&q, "label")->s, "mine");
    assert_int_equal(gd_params_find(&q, "fast")->i, 3);
    gd_params_free(&q);

    /* Copy of nothing. */
    memset(&p, 0, sizeof p);
    assert_int_equal(gd_params_copy(&p, &q, &err), 0);
    assert_int_equal(q.n, 0);
    gd_params_free(&q);
}

/* From an INI file through config.c to bound params, with file:line. */
static void test_from_config_file(void **state)
{
    char dir[256], path[300], want[512];
    FILE *f;
    gd_config cfg;
    gd_params p;
    gd_err err;
    (void)state;
    assert_int_equal(gd_test_tmpdir(dir, sizeof dir, NULL, "gd_test_params"), 0);
    snprintf(path, sizeof path, "%s/g.ini", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[strategy.trend]\nplugin = ema\nmult = 3\nfast = 1.5\n", f);
    fclose(f);
    assert_int_equal(gd_config_load_env(path, NULL, (char *const[]){NULL}, &cfg, &err), 0);
    assert_int_equal(gd_params_bind(&g_desc, &cfg.plugins[0], &p, &err), GD_EINVAL);
    snprintf(want, sizeof want, "%s:4: [strategy.trend] fast: '1.5' is not an integer", path);
    assert_msg(err, want);
    gd_config_free(&cfg);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[strategy.trend]\nplugin = ema\nmult = 3\nfast = 15\n", f);
    fclose(f);
    assert_int_equal(gd_config_load_env(path, NULL, (char *const[]){NULL}, &cfg, &err), 0);
    assert_int_equal(gd_params_bind(&g_desc, &cfg.plugins[0], &p, &err), 0);
    assert_int_equal(gd_params_find(&p, "fast")->i, 15);
    assert_int_equal(gd_params_find(&p, "fast")->line, 4);
    assert_string_equal(gd_params_find(&p, "fast")->file, path);
    gd_params_free(&p);
    gd_config_free(&cfg);
    assert_int_equal(gd_test_rmtree(dir), 0);
}

/* A misspelt parameter gets the nearest declared name; a far one none. */
static void test_unknown_key_did_you_mean(void **state)
{
    (void)state;
    expect_fail("fsat", "26", GD_EINVAL, "fsat: unknown parameter for plugin 'ema' (known: fast, "
                                         "mult, long_only, label, note); did you mean 'fast'?");
    expect_fail("long-only", "1", GD_EINVAL, "; did you mean 'long_only'?");
    const char *far[] = {"slow", "zzzzzz"};
    for (size_t i = 0; i < 2; i++) {
        gd_params p;
        gd_err err;
        assert_int_equal(bind1(far[i], "1", &p, &err), GD_EINVAL);
        if (strstr(err.msg, "did you mean"))
            fail_msg("%s: a guess where none is near: %s", far[i], err.msg);
    }
}

/* argv[1], if given, is a cmocka test-name filter (tests/config.cmake). */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_key_did_you_mean),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_ranges_and_types),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_decl_stride),
        cmocka_unit_test(test_bad_declarations),
        cmocka_unit_test(test_set_number_and_copy),
        cmocka_unit_test(test_from_config_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
