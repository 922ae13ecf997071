/* The JSON-lines intent log: one line per intent, NaN as null, appended to
 * (never truncated) when durable, fresh per run otherwise. */
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

#include "tmpdir.h"

#include "engine/intentlog.h"

static char dir[64];

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    assert_non_null(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void write_two(const char *path, int durable)
{
    gd_intentlog log;
    gd_err err;
    gd_intent it;
    memset(&it, 0, sizeof it);
    it.id = 1;
    it.action = GORDON_ACTION_ENTRY;
    it.side = GORDON_SIDE_LONG;
    it.result = GORDON_ACCEPTED;
    it.entry = 100;
    it.stop = 95;
    it.qty = 2;
    assert_int_equal(gd_intentlog_jsonl_open(path, durable, NULL, &log, &err), 0);
    assert_int_equal(log.ops->record(log.self, &it, "s", "X"), 0);
    it.id = 2;
    it.result = GORDON_REJECT_NO_STOP;
    it.entry = NAN;
    assert_int_equal(log.ops->record(log.self, &it, "s", "X"), 0);
    assert_int_equal(log.ops->flush(log.self, &err), 0);
    log.ops->close(log.self);
}

static void test_truncate_vs_append(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/a.jsonl", dir);
    write_two(path, 0);
    write_two(path, 0);
    assert_int_equal(count_lines(path), 2); /* a backtest starts a fresh log */
    write_two(path, 1);
    write_two(path, 1);
    assert_int_equal(count_lines(path), 6); /* a daemon appends: nothing is erased */
}

static void test_format(void **state)
{
    (void)state;
    char buf[1024];
    gd_intent it;
    memset(&it, 0, sizeof it);
    it.id = 7;
    it.time_ms = 1700000000000LL;
    it.action = GORDON_ACTION_ENTRY;
    it.side = GORDON_SIDE_SHORT;
    it.result = GORDON_REJECT_OVERLAY_VETO;
    it.entry = INFINITY;
    it.stop = 101.5;
    snprintf(it.tag, sizeof it.tag, "a\"b");
    snprintf(it.detail, sizeof it.detail, "trend: below EMA");
    size_t n = gd_intent_format(buf, sizeof buf, &it, "ema", "BTCUSDT");
    assert_true(n < sizeof buf);
    assert_non_null(strstr(buf, "\"id\":7,"));
    assert_non_null(strstr(buf, "\"result\":\"rejected\",\"reason\":\"overlay_veto\""));
    assert_non_null(strstr(buf, "\"entry\":null"));
    assert_non_null(strstr(buf, "\"stop\":101.5"));
    assert_non_null(strstr(buf, "\"tag\":\"a\\\"b\""));
    assert_non_null(strstr(buf, "\"side\":\"short\""));
    /* A short buffer reports the length it needed, like snprintf. */
    char small[16];
    assert_int_equal(gd_intent_format(small, sizeof small, &it, "ema", "BTCUSDT"), n);
}

static int setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(dir, sizeof dir, NULL, "gd_test_intentlog");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncate_vs_append),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
