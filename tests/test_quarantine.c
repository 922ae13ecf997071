/* risk/quarantine: the durable list of strategies out of trading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "risk/quarantine.h"
#include "tmpdir.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(g_dir, sizeof g_dir, NULL, "gd_quar");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(g_dir);
}

static void put(const char *text)
{
    char p[320];
    snprintf(p, sizeof p, "%s/quarantine.json", g_dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_quarantine_roundtrip(void **state)
{
    (void)state;
    gd_qlist q, r;
    gd_err e;
    assert_int_equal(gd_qlist_load(g_dir, &q, &e), 0); /* no file: empty */
    assert_int_equal(q.n, 0);
    assert_int_equal(gd_qlist_add(&q, "ema", "operator:ab12cd34", "why \"quoted\"", 1700000000000, &e), 0);
    assert_int_equal(gd_qlist_add(&q, "ema", "other", "again", 1, &e), 0); /* the first record stands */
    assert_int_equal(gd_qlist_add(&q, "two", "host", "stop failed", 5, &e), 0);
    assert_int_equal(gd_qlist_add(&q, "Bad Name", "x", "y", 1, &e), GD_EINVAL);
    assert_int_equal(gd_qlist_save(g_dir, &q, &e), 0);
    assert_int_equal(gd_qlist_load(g_dir, &r, &e), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(gd_qlist_find(&r, "ema")->who, "operator:ab12cd34");
    assert_string_equal(gd_qlist_find(&r, "ema")->why, "why \"quoted\"");
    assert_int_equal(gd_qlist_find(&r, "ema")->since_ms, 1700000000000);
    gd_qlist_remove(&r, "ema");
    gd_qlist_remove(&r, "absent");
    assert_int_equal(r.n, 1);
    assert_null(gd_qlist_find(&r, "ema"));
    assert_string_equal(r.e[0].name, "two");
}

static void test_quarantine_bad_file_is_an_error(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "{\"strategies\":{}}",
        "{\"strategies\":[{\"name\":\"Bad\",\"who\":\"x\",\"why\":\"y\",\"since_ms\":1}]}",
        "{\"strategies\":[{\"name\":\"a\",\"who\":\"x\",\"why\":\"y\"}]}",
        "{\"strategies\":[{\"name\":\"a\",\"who\":\"x\",\"why\":\"y\",\"since_ms\":1e300}]}",
        "{\"strategies\":[{\"name\":\"a\",\"who\":\"x\",\"why\":\"y\",\"since_ms\":1},"
        "{\"name\":\"a\",\"who\":\"x\",\"why\":\"y\",\"since_ms\":2}]}",
    };
    static const char *const says[] = {"not {\"strategies\"", "not {\"strategies\"", "strategies[0].name",
                                       "strategies[0]: who, why", "strategies[0]: who, why",
                                       "strategies[1].name: a is listed twice"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gd_qlist q;
        gd_err e;
        put(bad[i]);
        assert_true(gd_qlist_load(g_dir, &q, &e) < 0);
        if (!strstr(e.msg, says[i]) || !strstr(e.msg, "quarantine.json"))
            fail_msg("%zu: %s", i, e.msg);
        assert_int_equal(q.n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quarantine_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quarantine_bad_file_is_an_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
