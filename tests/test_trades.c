/* The trade list writer (engine/trades.c): a row per reducing fill with the
 * entry's share of fees and risk, exit reasons, times before 1970, the
 * header once, appending across opens. */
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

#include "engine/trades.h"

static char path[4096]; /* a mkstemp file under $TMPDIR (or /tmp), made by test_rows */

static char *slurp(void)
{
    FILE *f = fopen(path, "rb");
    static char buf[8192];
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static gordon_fill fill(int reason, int side, double qty, double price, double fee, int64_t t)
{
    gordon_fill f;
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.symbol = 0;
    f.reason = reason;
    f.side = side;
    f.qty = qty;
    f.price = price;
    f.fee = fee;
    f.time_ms = t;
    return f;
}

static void test_rows(void **state)
{
    gd_trades *t;
    gd_err err;
    (void)state;
    snprintf(path, sizeof path, "%s/gd_test_trades_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gd_trades_open(path, 0, 1, 1.0, &t, &err), 0);
    gd_position flat, pos;
    memset(&flat, 0, sizeof flat);
    gordon_fill e = fill(GORDON_FILL_ENTRY, 1, 10, 100.1, 0.4, -3600000);
    gd_trades_fill(t, 0, "s", "BTCUSDT", &e, &flat, 100.0); /* 10 bps worse than the host's 100 */
    pos = (gd_position){.side = 1,
                        .qty = 10,
                        .entry_price = 100.1,
                        .stop = 99,
                        .entry_fee = 0.4,
                        .init_risk = 10 * 1.1,
                        .opened_ms = -3600000,
                        .intent_id = 7};
    /* Half out on a signal at 101, then the rest stopped through a gap at 97. */
    gordon_fill x = fill(GORDON_FILL_EXIT, -1, 5, 101, 0.2, 0);
    gd_trades_fill(t, 0, "s", "BTCUSDT", &x, &pos, 101);
    pos.qty = 5;
    pos.entry_fee = 0.2;
    pos.init_risk = 5.5;
    gordon_fill s = fill(GORDON_FILL_STOP, -1, 5, 97, 0.2, 3600000);
    gd_trades_fill(t, 0, "s", "BTCUSDT", &s, &pos, 99);
    assert_int_equal(gd_trades_flush(t, &err), 0);
    gd_trades_close(t);
    const char *txt = slurp();
    const char *l1 = strchr(txt, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
    assert_int_equal(strncmp(txt, "strategy,symbol,side,qty,entry_time,", 36), 0);
    /* pnl = 5 x (101 - 100.1) - 0.2 - 0.2 = 4.1; R = 4.1 / 5.5 */
    assert_non_null(strstr(l1, "s,BTCUSDT,long,5,1969-12-31T23:00:00.000Z,-3600000,100.09999999999999,99,"));
    const char *why = strstr(l1, ",exit_signal,");
    assert_true(why && why < l2);
    char *p;
    double fees = strtod(why + 13, &p), pnl = strtod(p + 1, &p), r = strtod(p + 1, &p);
    assert_true(fabs(fees - 0.4) < 1e-12 && fabs(pnl - 4.1) < 1e-9 && fabs(r - 4.1 / 5.5) < 1e-9);
    assert_int_equal(strncmp(p, ",7\n", 3), 0);
    assert_non_null(strstr(l2, ",1970-01-01T01:00:00.000Z,3600000,97,"));
    assert_non_null(strstr(l2, ",gap_through_stop,"));
    assert_string_equal(strchr(l2, '\n'), "\n"); /* two rows, nothing after */
    /* Appending keeps the rows and writes no second header. */
    assert_int_equal(gd_trades_open(path, 1, 1, 1.0, &t, &err), 0);
    gd_trades_close(t);
    assert_int_equal(strstr(strstr(slurp(), "strategy,") + 1, "strategy,") == NULL, 1);
    unlink(path);
}

/* Memory mode (an ablation's runs): the rows, no header, taken once. */
static void test_memory(void **state)
{
    gd_trades *t;
    gd_err err;
    (void)state;
    assert_int_equal(gd_trades_open_mem(1, 1.0, &t, &err), 0);
    assert_null(gd_trades_take(t));
    gd_position pos = {
        .side = -1, .qty = 2, .entry_price = 50, .stop = 51, .init_risk = 2, .opened_ms = 1000, .intent_id = 3};
    for (int i = 0; i < 200; i++) { /* past the first allocation */
        gordon_fill x = fill(GORDON_FILL_TAKE_PROFIT, 1, 2, 45, 0.1, 2000 + i);
        gd_trades_fill(t, 0, "s", "X", &x, &pos, 45);
    }
    char *rows = gd_trades_take(t);
    assert_non_null(rows);
    assert_int_equal(strncmp(rows, "s,X,short,2,", 12), 0);
    assert_non_null(strstr(rows, ",take_profit,"));
    size_t n = 0;
    for (const char *p = rows; (p = strchr(p, '\n')) != NULL; p++)
        n++;
    assert_int_equal(n, 200);
    free(rows);
    assert_null(gd_trades_take(t));
    gd_trades_close(t);
}

static void test_unwritable(void **state)
{
    gd_trades *t = NULL;
    gd_err err;
    (void)state;
    assert_int_not_equal(gd_trades_open("/nonexistent-dir/t.csv", 0, 1, 1.0, &t, &err), 0);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/t.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rows), cmocka_unit_test(test_memory),
                                       cmocka_unit_test(test_unwritable)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
