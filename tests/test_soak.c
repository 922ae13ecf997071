/* db/soak: the soak gate's verdict and the row's metrics. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/soak.h"

static const gd_soak_gate gate = {72, 30};

static gd_soak_metrics good(void)
{
    gd_soak_metrics m;
    memset(&m, 0, sizeof m);
    m.hours = 72.5;
    m.trades = 31;
    m.mismatches = 2; /* recorded, not gated */
    return m;
}

/* A soak that meets every threshold passes, with nothing to say. */
static void test_soak_passes(void **state)
{
    (void)state;
    char why[256];
    gd_soak_metrics m = good();
    assert_int_equal(gd_soak_verdict(&m, &gate, why, sizeof why), 1);
    assert_string_equal(why, "");
    m.hours = 72.0;
    m.trades = 30;
    assert_int_equal(gd_soak_verdict(&m, &gate, why, sizeof why), 1);
}

/* Each failed item is named; all of them together. */
static void test_soak_fails_each(void **state)
{
    (void)state;
    char why[512];
    gd_soak_metrics m = good();
    m.hours = 71.99;
    assert_int_equal(gd_soak_verdict(&m, &gate, why, sizeof why), 0);
    assert_string_equal(why, "ran 71.99 h, the gate asks 72 h");
    m = good();
    m.trades = 29;
    assert_int_equal(gd_soak_verdict(&m, &gate, why, sizeof why), 0);
    assert_string_equal(why, "29 trade(s), the gate asks 30");
    m = good();
    m.halts = 1;
    m.breaker_trips = 2;
    m.quarantines = 3;
    m.tolerance_breaches = 4;
    m.interrupted = 1;
    assert_int_equal(gd_soak_verdict(&m, &gate, why, sizeof why), 0);
    assert_string_equal(why, "interrupted after 72.50 h; 1 halt(s), the gate asks none; 2 breaker trip(s), the gate "
                             "asks none; 3 quarantine(s), the gate asks none; 4 fill(s) past the fill tolerance, "
                             "the gate asks none");
    /* A short buffer is cut, never overrun. */
    char small[16];
    assert_int_equal(gd_soak_verdict(&m, &gate, small, sizeof small), 0);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* The row's metrics carry the gate they were judged by. */
static void test_soak_metrics_json(void **state)
{
    (void)state;
    gd_soak_metrics m = good();
    char *j = gd_soak_metrics_json(&m, &gate);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"trades\":31"));
    assert_non_null(strstr(j, "\"reconciliation_mismatches\":2"));
    assert_non_null(strstr(j, "\"gate\":{\"min_hours\":72,\"min_trades\":30}"));
    free(j);
    /* How it traded: win rate from wins, a Sharpe of too few hours is null,
     * each strategy's round trips as the run gave them. */
    m.wins = 20;
    m.trades = 40;
    m.avg_r = 0.25;
    m.max_dd_pct = 3.5;
    m.sharpe = NAN;
    m.hourly_returns = 10;
    m.strategies_json = "{\"ema\":{\"trades\":40,\"wins\":20,\"avg_r\":0.25}}";
    j = gd_soak_metrics_json(&m, &gate);
    assert_non_null(j);
    assert_non_null(
        strstr(j, "\"win_rate_pct\":50,\"avg_r\":0.25,\"max_dd_pct\":3.5,\"sharpe\":null,\"hourly_returns\":10"));
    assert_non_null(strstr(j, "\"strategies\":{\"ema\":{\"trades\":40,\"wins\":20,\"avg_r\":0.25}}"));
    free(j);
    m.sharpe = 1.5;
    m.strategies_json = "not json";
    assert_null(gd_soak_metrics_json(&m, &gate));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soak_passes),
        cmocka_unit_test(test_soak_fails_each),
        cmocka_unit_test(test_soak_metrics_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
