/* The run summary after an emergency flatten: the flatten's exits are no
 * strategy's signals, so "signals N (accepted A, rejected R)" still adds up
 * (A + R = N) and the flatten gets its own line. */
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

#include "base/log.h"
#include "config/config.h"
#include "daemon/views.h"
#include "engine/engine.h"

#define HOUR 3600000LL

static char tmpdir[256];

static gordon_bar bar_at(size_t i)
{
    int64_t t = 1600000000000LL + (int64_t)i * HOUR;
    double px = 100.0 + (double)(i % 7) * 0.1; /* small moves: stops stay far */
    return (gordon_bar){t, t + HOUR, px, px * 1.001, px * 0.999, px, 10};
}

static void test_flatten_summary_counts(void **state)
{
    (void)state;
    char ini[2048], path[512];
    const char *dir = getenv("GD_TEST_PLUGIN_DIR");
    if (!dir || !*dir)
        dir = "build/tests/plugins";
    snprintf(ini, sizeof ini,
             "[risk]\nequity = 50000\nrisk_pct = 1\nmax_gross_exposure_usd = 1000000\n"
             "max_order_notional_usd = 1000000\nmax_daily_notional_usd = 100000000\n"
             "[instrument.AAA]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[instrument.BBB]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[strategy.l1]\nplugin = %s/always_long.so\n[strategy.l2]\nplugin = %s/always_long.so\n",
             dir, dir);
    snprintf(path, sizeof path, "%s/flat.ini", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    assert_int_equal(fclose(f), 0);
    gd_config cfg;
    gd_err err;
    if (gd_config_load(path, NULL, &cfg, &err))
        fail_msg("%s", err.msg);
    const char *syms[] = {"AAA", "BBB"};
    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &cfg;
    o.symbols = syms;
    o.n_symbols = 2;
    gd_engine *e;
    if (gd_engine_new(&o, &e, &err))
        fail_msg("%s", err.msg);
    size_t i = 0;
    for (; i < 30; i++) {
        gordon_bar b = bar_at(i);
        gd_engine_on_bar(e, 0, &b);
        gd_engine_on_bar(e, 1, &b);
    }
    uint32_t open = gd_engine_book(e)->open_count;
    assert_true(open >= 3);
    char *json = NULL;
    assert_int_equal(gd_engine_flatten(e, "operator:test", "drill", &json), 0);
    free(json);
    gordon_bar b = bar_at(i);
    gd_engine_on_bar(e, 0, &b);
    gd_engine_on_bar(e, 1, &b);
    assert_int_equal(gd_engine_book(e)->open_count, 0);

    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    gd_view_summary(e, m);
    assert_int_equal(fclose(m), 0);
    unsigned long long n = 0, a = 0, r = 0, fl = 0, ff = 0;
    const char *line = strstr(text, "signals ");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "signals %llu (accepted %llu, rejected %llu)", &n, &a, &r), 3);
    if (a + r != n)
        fail_msg("after a flatten: signals %llu, accepted %llu + rejected %llu\n%s", n, a, r, text);
    line = strstr(text, "flatten ");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "flatten %llu exit(s) sent by emergency flatten (%llu failed)", &fl, &ff), 2);
    assert_int_equal(fl, open);
    assert_int_equal(ff, 0);
    free(text);
    gd_engine_free(e);
    gd_config_free(&cfg);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(gd_test_tmpdir(tmpdir, sizeof tmpdir, NULL, "gd_test_flatten"), 0);
    gd_log_init(stderr, GD_LOG_ERROR);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatten_summary_counts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
