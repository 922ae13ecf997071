/* risk/stage: the pre-live stage on record, and the gate a configuration's
 * stage must pass at start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "risk/stage.h"
#include "tmpdir.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(g_dir, sizeof g_dir, NULL, "gd_stage");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(g_dir);
}

static void put(const char *text)
{
    char p[320];
    snprintf(p, sizeof p, "%s/stage.json", g_dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_has(const gd_err *e, const char *sub)
{
    if (!strstr(e->msg, sub))
        fail_msg("\"%s\" lacks \"%s\"", e->msg, sub);
}

/* Nothing on record is testnet: micro and full refuse, naming the promotion. */
static void test_stage_nothing_on_record(void **state)
{
    (void)state;
    gd_stage_rec r;
    gd_err err;
    assert_int_equal(gd_stage_load(g_dir, &r, &err), 0);
    assert_int_equal(r.cur.rank, GD_STAGE_TESTNET);
    assert_int_equal(r.on_record, 0);
    assert_int_equal(gd_stage_allows(&r, GD_STAGE_TESTNET, g_dir, &err), 0);
    assert_int_equal(gd_stage_allows(&r, GD_STAGE_MICRO, g_dir, &err), GD_EPERM);
    assert_has(&err, "[gordon] stage = micro: no promotion to micro is on record");
    assert_has(&err, "says testnet: nothing was ever promoted");
}

/* Recorded stages read back with their history; a demotion is a record too. */
static void test_stage_record_and_history(void **state)
{
    (void)state;
    gd_stage_rec r, back;
    gd_err err;
    assert_int_equal(gd_stage_load(g_dir, &r, &err), 0);
    assert_int_equal(gd_stage_record(g_dir, &r, GD_STAGE_MICRO, "operator:ab12", "preflight 7 passed", 1000, &err), 0);
    assert_int_equal(gd_stage_allows(&r, GD_STAGE_MICRO, g_dir, &err), 0);
    assert_int_equal(gd_stage_allows(&r, GD_STAGE_FULL, g_dir, &err), GD_EPERM);
    assert_has(&err, "no promotion to full is on record");
    /* A clock that went back does not make the history go back. */
    assert_int_equal(gd_stage_record(g_dir, &r, GD_STAGE_TESTNET, "cli:root", "slippage", 500, &err), 0);
    assert_int_equal(gd_stage_load(g_dir, &back, &err), 0);
    assert_int_equal(back.on_record, 1);
    assert_int_equal(back.n_hist, 2);
    assert_int_equal(back.cur.rank, GD_STAGE_TESTNET);
    assert_true(back.cur.at_ms == 1000);
    assert_string_equal(back.hist[0].by, "operator:ab12");
    assert_string_equal(back.hist[1].why, "slippage");
    assert_int_equal(gd_stage_allows(&back, GD_STAGE_MICRO, g_dir, &err), GD_EPERM);
    /* The history keeps the newest GD_STAGE_HISTORY. */
    for (int i = 0; i < GD_STAGE_HISTORY + 5; i++)
        assert_int_equal(
            gd_stage_record(g_dir, &back, i % 2 ? GD_STAGE_MICRO : GD_STAGE_TESTNET, "cli:x", "n", 2000 + i, &err), 0);
    assert_int_equal(gd_stage_load(g_dir, &r, &err), 0);
    assert_int_equal(r.n_hist, GD_STAGE_HISTORY);
    assert_true(r.cur.at_ms == 2000 + GD_STAGE_HISTORY + 4);
    assert_int_equal(gd_stage_record(g_dir, &r, 7, "x", "y", 1, &err), GD_EINVAL);
}

/* A damaged file is an error naming it and the field, never "testnet". */
static void test_stage_damaged_file(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"", "not {\"history\""},
        {"{\"history\":[]}", "not {\"history\""},
        {"{\"history\":[{\"stage\":\"live\",\"at_ms\":1,\"by\":\"a\",\"why\":\"b\"}]}", "history[0].stage"},
        {"{\"history\":[{\"stage\":\"micro\",\"at_ms\":1e300,\"by\":\"a\",\"why\":\"b\"}]}", "history[0].at_ms"},
        {"{\"history\":[{\"stage\":\"micro\",\"at_ms\":1,\"why\":\"b\"}]}", "history[0]: by and why"},
        {"{\"history\":[{\"stage\":\"micro\",\"at_ms\":5,\"by\":\"a\",\"why\":\"b\"},"
         "{\"stage\":\"full\",\"at_ms\":4,\"by\":\"a\",\"why\":\"b\"}]}",
         "history[1].at_ms: earlier"},
        {"[1]", "not {\"history\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gd_stage_rec r;
        gd_err err;
        put(cases[i].text);
        assert_int_not_equal(gd_stage_load(g_dir, &r, &err), 0);
        assert_has(&err, "stage.json");
        assert_has(&err, cases[i].want);
        assert_int_equal(r.on_record, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stage_nothing_on_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_record_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_damaged_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
