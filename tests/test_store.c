/* The bar store (data/store.c): a round trip keeps every bar bit for bit;
 * a damaged, truncated, foreign or forged file is refused naming why;
 * Binance's archive layout imports; gd_csv_load_opts reads a store. */
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

#include "data/store.h"

static char dir[4096]; /* a mkdtemp directory under $TMPDIR (or /tmp), made by setup */

static const char *at(const char *name)
{
    static char p[4][4200];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void put(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *get(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static const char CSV[] = "open_time_ms,open,high,low,close,volume\n"
                          "-3600000,1.25,1.5,1,1.125,10\n0,1.125,1.2,1.1,1.15,0\n3600000,1.15,1.3,1.05,1.2,7.5\n";

static void test_round_trip(void **state)
{
    gd_series a, b;
    gd_err err;
    size_t n = 0;
    (void)state;
    put(at("a.csv"), CSV, sizeof CSV - 1);
    assert_int_equal(gd_store_import(at("a.csv"), "X", "csv", 3600000, at("a.gdb"), &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(gd_csv_load(at("a.csv"), "X", &a, &err), 0);
    char sha[65];
    gd_csv_opts o = {0, NULL, sha};
    assert_int_equal(gd_csv_load_opts(at("a.gdb"), "X", &o, &b, &err), 0); /* recognised by its magic */
    assert_int_equal(strlen(sha), 64);
    assert_int_equal(b.n, a.n);
    assert_int_equal(b.interval_ms, 3600000);
    assert_memory_equal(a.bars, b.bars, a.n * sizeof *a.bars);
    gd_series_free(&a);
    gd_series_free(&b);
}

static void expect_refused(const char *name, const char *sym, const char *needle)
{
    gd_series s;
    gd_err err;
    int rc = gd_csv_load(at(name), sym, &s, &err);
    if (rc == 0 || !strstr(err.msg, needle))
        print_error("%s: rc %d '%s', wanted '%s'\n", name, rc, err.msg, needle);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err.msg, needle));
    assert_null(s.bars);
}

static void test_refused(void **state)
{
    gd_err err;
    size_t len;
    (void)state;
    put(at("b.csv"), CSV, sizeof CSV - 1);
    assert_int_equal(gd_store_import(at("b.csv"), "X", "csv", 0, at("b.gdb"), NULL, &err), 0);
    char *b = get(at("b.gdb"), &len);
    assert_int_equal(len, GD_STORE_HEADER_SIZE + 3 * 48);
    expect_refused("b.gdb", "Y", "a bar store of X, named for Y");
    b[GD_STORE_HEADER_SIZE + 8 * 3 + 1] ^= 1; /* a bit of an open price */
    put(at("damaged.gdb"), b, len);
    expect_refused("damaged.gdb", "X", "checksum mismatch");
    put(at("short.gdb"), b, len - 8);
    expect_refused("short.gdb", "X", "truncated or padded");
    b[8] = 2;
    put(at("v2.gdb"), b, len);
    expect_refused("v2.gdb", "X", "bar store version 2");
    free(b);
    /* A forged file with a valid checksum: its bars are checked as any input. */
    gordon_bar bars[2] = {{0, 60000, 1, 2, 1.5, 1.2, 1}, {60000, 120000, 1, 1, 1, 1, 1}};
    gd_series s = {"X", bars, 2, 60000};
    assert_int_equal(gd_store_write(&s, at("forged.gdb"), &err), 0);
    expect_refused("forged.gdb", "X", "bar 1 (open_time_ms 0): open or close outside [low, high]");
    gordon_bar off[2] = {{0, 60000, 1, 2, 0.5, 1.2, 1}, {90000, 150000, 1, 1, 1, 1, 1}};
    gd_series s2 = {"X", off, 2, 60000};
    assert_int_equal(gd_store_write(&s2, at("offgrid.gdb"), &err), 0);
    expect_refused("offgrid.gdb", "X", "bar 2 (open_time_ms 90000): time off the store's interval");
}

static void test_binance_layout(void **state)
{
    gd_series s;
    gd_err err;
    size_t n;
    (void)state;
    static const char BN[] =
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,"
        "ignore\n"
        "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704070799999,53957450.96,37263,658.3,27935300.2,"
        "0\n"
        "1704070800000,42475.23,42775.00,42431.65,42613.56,1196.37856,1704074399999,50984108.27,39016,645.0,27489500.9,"
        "0\n";
    put(at("bn.csv"), BN, sizeof BN - 1);
    assert_int_not_equal(gd_store_import(at("bn.csv"), "BTCUSDT", "csv", 0, at("bn0.gdb"), NULL, &err), 0);
    assert_non_null(strstr(err.msg, "extra field"));
    assert_int_equal(gd_store_import(at("bn.csv"), "BTCUSDT", "binance", 3600000, at("bn.gdb"), &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(gd_csv_load(at("bn.gdb"), "BTCUSDT", &s, &err), 0);
    assert_true(s.bars[1].close == 42613.56 && s.bars[0].volume == 1271.68108);
    assert_int_equal(s.bars[1].close_time_ms, 1704074400000);
    gd_series_free(&s);
    assert_int_not_equal(gd_store_import(at("bn.gdb"), "BTCUSDT", "csv", 0, at("x.gdb"), NULL, &err), 0);
    assert_non_null(strstr(err.msg, "already a bar store"));
}

static int setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(dir, sizeof dir, NULL, "gd_test_store");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip), cmocka_unit_test(test_refused),
                                       cmocka_unit_test(test_binance_layout)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
