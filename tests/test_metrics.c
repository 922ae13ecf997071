/* Backtest metrics against values computed by hand on small fixtures. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ablate/stats.h"
#include "base/dates.h"

#define DAY GD_DAY_MS
/* 2024-01-01 23:59:59.999 UTC: a day end, so samples are day ends too. */
#define T0 1704153599999LL

static void days(int64_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        t[i] = T0 + (int64_t)i * DAY;
}

static void assert_na(const gd_metrics *m, int k, const char *reason)
{
    assert_true(isnan(m->v[k]));
    assert_non_null(m->na[k]);
    assert_string_equal(m->na[k], reason);
}

static void assert_val(const gd_metrics *m, int k, double v, double tol)
{
    assert_null(m->na[k]);
    assert_float_equal(m->v[k], v, tol);
}

static void test_names(void **state)
{
    (void)state;
    static const char *want[GD_M__COUNT] = {
        "trades", "win_rate_pct", "profit_factor", "net_pnl", "cagr_pct", "max_dd_pct",
        "max_dd_days", "sharpe", "sortino", "exposure_pct", "avg_r", "fees"};
    for (int m = 0; m < GD_M__COUNT; m++) {
        assert_string_equal(gd_metric_name(m), want[m]);
        assert_non_null(gd_metric_label(m));
        assert_true(strlen(gd_metric_label(m)) > 0);
    }
    assert_string_equal(gd_metric_label(GD_M_SHARPE), "Sharpe");
    assert_string_equal(gd_metric_label(GD_M_MAX_DD), "Max DD %");
    assert_int_equal(gd_metric_direction(GD_M_SHARPE), 1);
    assert_int_equal(gd_metric_direction(GD_M_CAGR), 1);
    assert_int_equal(gd_metric_direction(GD_M_MAX_DD), -1);
    assert_int_equal(gd_metric_direction(GD_M_MAX_DD_DAYS), -1);
    assert_int_equal(gd_metric_direction(GD_M_TRADES), 0);
    /* Every metric has a heading, a terminal abbreviation, a description
     * and a unit: the outputs recode none of them. */
    for (int m = 0; m < GD_M__COUNT; m++) {
        assert_true(strlen(gd_metric_head(m)) > 0);
        assert_true(strlen(gd_metric_abbr(m)) > 0);
        assert_true(strlen(gd_metric_help(m)) > 0);
        assert_int_not_equal(gd_metric_unit(m), GD_MU_NONE);
    }
    assert_string_equal(gd_metric_head(GD_M_MAX_DD), "Max DD");
    assert_string_equal(gd_metric_abbr(GD_M_MAX_DD), "maxDD");
    assert_int_equal(gd_metric_unit(GD_M_MAX_DD), GD_MU_PCT);
    assert_int_equal(gd_metric_unit(GD_M_TRADES), GD_MU_COUNT);
    assert_int_equal(gd_metric_unit(GD_M_NET_PNL), GD_MU_MONEY);
    assert_int_equal(gd_metric_unit(GD_M_SHARPE), GD_MU_RATIO);
    assert_int_equal(gd_metric_unit(GD_M_MAX_DD_DAYS), GD_MU_DAYS);
    assert_int_equal(gd_metric_direction(GD_M_FEES), -1);
    /* Out of range: never NULL, so a caller's "%s" cannot crash. */
    assert_non_null(gd_metric_name(GD_M__COUNT));
    assert_non_null(gd_metric_label(-1));
    assert_non_null(gd_metric_head(-1));
    assert_non_null(gd_metric_abbr(GD_M__COUNT));
    assert_non_null(gd_metric_help(99));
    assert_int_equal(gd_metric_unit(-1), GD_MU_NONE);
    assert_int_equal(gd_metric_direction(99), 0);
}

static void test_mean_stddev(void **state)
{
    (void)state;
    /* {2,4,4,4,5,5,7,9}: mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16
     * = 32; sample sd = sqrt(32/7) = 2.138089935299395. */
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    assert_float_equal(gd_mean(x, 8), 5.0, 1e-15);
    assert_float_equal(gd_stddev(x, 8), 2.138089935299395, 1e-14);
    assert_true(isnan(gd_mean(x, 0)));
    assert_true(isnan(gd_stddev(x, 1)));
}

static void test_flat_equity(void **state)
{
    (void)state;
    int64_t t[5];
    days(t, 5);
    const double eq[5] = {1000, 1000, 1000, 1000, 1000};
    gd_metrics m;
    gd_metrics_compute(t, eq, 5, NULL, 365, &m);
    /* Four returns, all exactly 0: sd 0, no downside. */
    assert_na(&m, GD_M_SHARPE, "no variance (flat equity)");
    assert_na(&m, GD_M_SORTINO, "no losing days");
    assert_true(isnan(m.sr_period));
    assert_int_equal(m.n_returns, 4);
    /* (1000/1000)^(365.25/4) - 1 = 0. */
    assert_val(&m, GD_M_CAGR, 0.0, 0.0);
    assert_val(&m, GD_M_MAX_DD, 0.0, 0.0);
    assert_val(&m, GD_M_MAX_DD_DAYS, 0.0, 0.0);
    assert_val(&m, GD_M_NET_PNL, 0.0, 0.0);
    /* No trade statistics given. */
    assert_na(&m, GD_M_TRADES, "no trade statistics");
    assert_na(&m, GD_M_PROFIT_FACTOR, "no trade statistics");
    assert_na(&m, GD_M_FEES, "no trade statistics");
}

static void test_five_days(void **state)
{
    (void)state;
    int64_t t[5];
    days(t, 5);
    /* Returns +10%, -10%, 0, +10%. */
    const double eq[5] = {100, 110, 99, 99, 108.9};
    gd_metrics m;
    gd_metrics_compute(t, eq, 5, NULL, 365, &m);
    assert_int_equal(m.n_returns, 4);
    /* mean = (0.1 - 0.1 + 0 + 0.1)/4 = 0.025
     * deviations 0.075, -0.125, -0.025, 0.075; squares 0.005625, 0.015625,
     * 0.000625, 0.005625: sum 0.0275; sample var 0.0275/3 = 0.00916667;
     * sd = 0.0957427107756338
     * sr_period = 0.025/0.0957427107756338 = 0.2611164839335468
     * Sharpe = 0.2611164839335468 * sqrt(365) (19.1049731745428) = 4.988623420981347 */
    assert_float_equal(m.sr_period, 0.2611164839335468, 1e-12);
    assert_val(&m, GD_M_SHARPE, 4.988623420981347, 1e-10);
    /* Downside: only -0.1 counts: DD = sqrt(0.01/4) = 0.05;
     * Sortino = 0.025/0.05 * sqrt(365) = 0.5 * 19.1049731745428 = 9.5524865872714 */
    assert_val(&m, GD_M_SORTINO, 9.5524865872714, 1e-10);
    /* Population moments: m2 = 0.0275/4 = 0.006875;
     * m3 = (2*0.075^3 - 0.125^3 - 0.025^3)/4 = (0.00084375 - 0.001953125
     *      - 0.000015625)/4 = -0.00028125; skew = m3/m2^1.5 = -0.4933822002181587
     * m4 = (2*0.075^4 + 0.125^4 + 0.025^4)/4 = 0.0003078125/4 = 0.000076953125;
     * kurt = m4/m2^2 = 0.000076953125/0.000047265625 = 1.628099173553719 */
    assert_float_equal(m.skew, -0.4933822002181587, 1e-10);
    assert_float_equal(m.kurt, 1.628099173553719, 1e-10);
    /* CAGR over 4 days: (108.9/100)^(365.25/4) - 1 = 1.089^91.3125 - 1
     * = 2403.962285614098 -> 240396.2285614098 % */
    assert_val(&m, GD_M_CAGR, 240396.2285614098, 1e-6);
    /* Peak 110 (day 1), trough 99: 11/110 = 10%; never back to 110: the
     * episode runs to the last sample, day 4: 3 days. */
    assert_val(&m, GD_M_MAX_DD, 10.0, 1e-12);
    assert_val(&m, GD_M_MAX_DD_DAYS, 3.0, 0.0);
    assert_val(&m, GD_M_NET_PNL, 8.9, 1e-12);

    /* Same curve, 252 periods a year: Sharpe = 0.2611164839335468 * sqrt(252)
     * (15.87450786638754) = 4.145095880574586. */
    gd_metrics_compute(t, eq, 5, NULL, 252, &m);
    assert_val(&m, GD_M_SHARPE, 4.145095880574586, 1e-10);
}

static void test_short_samples(void **state)
{
    (void)state;
    int64_t t[3];
    days(t, 3);
    const double eq[3] = {100, 101, 100.5};
    gd_metrics m;
    /* One sample: no returns, no span. */
    gd_metrics_compute(t, eq, 1, NULL, 365, &m);
    assert_na(&m, GD_M_SHARPE, "fewer than 2 daily returns");
    assert_na(&m, GD_M_SORTINO, "fewer than 2 daily returns");
    assert_na(&m, GD_M_CAGR, "span shorter than a day");
    assert_val(&m, GD_M_NET_PNL, 0.0, 0.0);
    assert_val(&m, GD_M_MAX_DD, 0.0, 0.0);
    /* Two samples: one return. */
    gd_metrics_compute(t, eq, 2, NULL, 365, &m);
    assert_na(&m, GD_M_SHARPE, "fewer than 2 daily returns");
    /* One day: (101/100)^(365.25/1) - 1 = e^(365.25 * ln 1.01) - 1
     * = e^(365.25 * 0.00995033085) - 1 = e^3.6343583 - 1 = 36.8775 -> 3687.754 % */
    assert_val(&m, GD_M_CAGR, 3687.754075120409, 1e-8);
    /* Samples 12 hours apart: a span under a day is not annualised. */
    const int64_t th[3] = {T0, T0 + DAY / 2, T0 + DAY - 1};
    gd_metrics_compute(th, eq, 3, NULL, 365, &m);
    assert_na(&m, GD_M_CAGR, "span shorter than a day");
    /* No samples at all. */
    gd_metrics_compute(t, eq, 0, NULL, 365, &m);
    assert_na(&m, GD_M_NET_PNL, "no equity samples");
}

static void test_constant_growth(void **state)
{
    (void)state;
    int64_t t[6];
    days(t, 6);
    double eq[6];
    for (int i = 0; i < 6; i++)
        eq[i] = 100.0 * pow(1.01, i);
    gd_metrics m;
    gd_metrics_compute(t, eq, 6, NULL, 365, &m);
    /* Every return is 1% up to rounding: sd is noise, not variance. */
    assert_na(&m, GD_M_SHARPE, "no variance (flat equity)");
    assert_na(&m, GD_M_SORTINO, "no losing days");
    /* Five days of 1 %: (1.01^5)^(365.25/5) - 1 = 1.01^365.25 - 1 = 36.8775
     * -> 3687.754 % (as in test_short_samples). */
    assert_val(&m, GD_M_CAGR, 3687.754075120409, 1e-8);
}

static void test_losing_trades(void **state)
{
    (void)state;
    int64_t t[2];
    days(t, 2);
    const double eq[2] = {1000, 850};
    /* Three losers of -50 each, net of 2 in fees each, each -1R; 30 of 100
     * bars with a position. */
    const gd_trade_stats ts = {.trades = 3, .wins = 0, .gross_profit = 0, .gross_loss = 150,
                               .fees = 6, .sum_r = -3.0, .r_count = 3, .bars = 100,
                               .exposed_bars = 30};
    gd_metrics m;
    gd_metrics_compute(t, eq, 2, &ts, 365, &m);
    assert_val(&m, GD_M_TRADES, 3.0, 0.0);
    assert_val(&m, GD_M_WIN_RATE, 0.0, 0.0);        /* 100 * 0/3 */
    assert_val(&m, GD_M_PROFIT_FACTOR, 0.0, 0.0);   /* 0/150 */
    assert_val(&m, GD_M_AVG_R, -1.0, 1e-15);        /* -3/3 */
    assert_val(&m, GD_M_EXPOSURE, 30.0, 1e-12);     /* 100 * 30/100 */
    assert_val(&m, GD_M_FEES, 6.0, 0.0);
    assert_val(&m, GD_M_NET_PNL, -150.0, 0.0);
    assert_val(&m, GD_M_MAX_DD, 15.0, 1e-12);       /* 150/1000 */

    /* A mix: 2 wins of 3: 66.67 %; PF = 300/100 = 3; avg R (2 + 2 - 1)/3 = 1. */
    const gd_trade_stats mix = {.trades = 3, .wins = 2, .gross_profit = 300, .gross_loss = 100,
                                .fees = 1.5, .sum_r = 3.0, .r_count = 3, .bars = 10,
                                .exposed_bars = 10};
    gd_metrics_compute(t, eq, 2, &mix, 365, &m);
    assert_val(&m, GD_M_WIN_RATE, 200.0 / 3.0, 1e-12);
    assert_val(&m, GD_M_PROFIT_FACTOR, 3.0, 1e-15);
    assert_val(&m, GD_M_AVG_R, 1.0, 1e-15);
    assert_val(&m, GD_M_EXPOSURE, 100.0, 0.0);
}

static void test_single_and_no_trades(void **state)
{
    (void)state;
    int64_t t[2];
    days(t, 2);
    const double eq[2] = {1000, 1050};
    /* One winner of +50, no known risk, no bars counted. */
    const gd_trade_stats one = {.trades = 1, .wins = 1, .gross_profit = 50, .fees = 1};
    gd_metrics m;
    gd_metrics_compute(t, eq, 2, &one, 365, &m);
    assert_val(&m, GD_M_TRADES, 1.0, 0.0);
    assert_val(&m, GD_M_WIN_RATE, 100.0, 0.0);
    assert_na(&m, GD_M_PROFIT_FACTOR, "no losing trades");
    assert_na(&m, GD_M_AVG_R, "no trades with a known risk");
    assert_na(&m, GD_M_EXPOSURE, "no bars");
    assert_val(&m, GD_M_FEES, 1.0, 0.0);

    const gd_trade_stats none = {.bars = 50};
    gd_metrics_compute(t, eq, 2, &none, 365, &m);
    assert_val(&m, GD_M_TRADES, 0.0, 0.0);
    assert_na(&m, GD_M_WIN_RATE, "no trades");
    assert_na(&m, GD_M_PROFIT_FACTOR, "no trades");
    assert_val(&m, GD_M_EXPOSURE, 0.0, 0.0);
}

static void test_drawdown(void **state)
{
    (void)state;
    double pct, ms;
    /* Days 0..7: 100 120 90 120 130 104 110 117.
     * Episode 1: peak 120 (day 1), trough 90: 30/120 = 25 %, back at 120 on
     *   day 3: 2 days.
     * Episode 2: peak 130 (day 4), trough 104: 26/130 = 20 %, not recovered
     *   by day 7: 3 days, the longest. */
    int64_t t[8];
    days(t, 8);
    const double eq[8] = {100, 120, 90, 120, 130, 104, 110, 117};
    gd_max_drawdown(t, eq, 8, &pct, &ms);
    assert_float_equal(pct, 25.0, 1e-12);
    assert_true(ms == 3.0 * DAY);

    /* Uneven times (days 0, 1, 2, 5, 6): 100 80 90 100 95.
     * Peak 100 at day 0, trough 80: 20 %, back at 100 on day 5: 5 days;
     * then 100 -> 95 (5 %) for 1 day. The recovered episode is longer. */
    const int64_t tu[5] = {T0, T0 + DAY, T0 + 2 * DAY, T0 + 5 * DAY, T0 + 6 * DAY};
    const double eu[5] = {100, 80, 90, 100, 95};
    gd_max_drawdown(tu, eu, 5, &pct, &ms);
    assert_float_equal(pct, 20.0, 1e-12);
    assert_true(ms == 5.0 * DAY);

    /* Recovery through a new high also ends the episode: 100 90 105 on days
     * 0, 1, 2: 10 %, 2 days. */
    const double er[3] = {100, 90, 105};
    gd_max_drawdown(t, er, 3, &pct, &ms);
    assert_float_equal(pct, 10.0, 1e-12);
    assert_true(ms == 2.0 * DAY);

    /* Rising only: no drawdown. */
    const double up[3] = {100, 101, 102};
    gd_max_drawdown(t, up, 3, &pct, &ms);
    assert_true(pct == 0.0 && ms == 0.0);

    /* Through gd_metrics_compute: 3 days in days. */
    gd_metrics m;
    gd_metrics_compute(t, eq, 8, NULL, 365, &m);
    assert_val(&m, GD_M_MAX_DD, 25.0, 1e-12);
    assert_val(&m, GD_M_MAX_DD_DAYS, 3.0, 0.0);
}

static void test_equity_to_zero(void **state)
{
    (void)state;
    int64_t t[4];
    days(t, 4);
    const double eq[4] = {100, 50, 0, 0};
    gd_metrics m;
    gd_metrics_compute(t, eq, 4, NULL, 365, &m);
    assert_na(&m, GD_M_SHARPE, "equity reached zero");
    assert_na(&m, GD_M_SORTINO, "equity reached zero");
    assert_na(&m, GD_M_CAGR, "equity reached zero");
    assert_true(isnan(m.sr_period) && isnan(m.skew) && isnan(m.kurt));
    assert_int_equal(m.n_returns, 0);
    /* The drawdown and the PnL are still defined: 100 % lost, never
     * recovered from the day-0 peak: 3 days. */
    assert_val(&m, GD_M_MAX_DD, 100.0, 0.0);
    assert_val(&m, GD_M_MAX_DD_DAYS, 3.0, 0.0);
    assert_val(&m, GD_M_NET_PNL, -100.0, 0.0);
}

static void test_norm(void **state)
{
    (void)state;
    assert_true(gd_norm_cdf(0.0) == 0.5);
    /* Phi(1) = 0.8413447460685429, Phi(-3) = 0.0013498980316300946 */
    assert_float_equal(gd_norm_cdf(1.0), 0.8413447460685429, 1e-15);
    assert_float_equal(gd_norm_cdf(-3.0), 0.0013498980316300946, 1e-17);
    /* Phi^-1(0.975) = 1.959963984540054, Phi^-1(0.3) = -0.5244005127080407,
     * Phi^-1(1e-10) = -6.361340902404056 (the lower tail region). */
    assert_float_equal(gd_norm_ppf(0.975), 1.959963985, 1e-9);
    assert_float_equal(gd_norm_ppf(0.975), 1.959963984540054, 1e-12);
    assert_float_equal(gd_norm_ppf(0.025), -1.959963984540054, 1e-12);
    assert_float_equal(gd_norm_ppf(0.3), -0.5244005127080407, 1e-12);
    assert_float_equal(gd_norm_ppf(1e-10), -6.361340902404056, 1e-10);
    assert_true(gd_norm_ppf(0.5) == 0.0);
    /* Round trip, lower tail relative, upper tail absolute (1 - p is all
     * the information p carries there). */
    const double ps[] = {1e-300, 1e-12, 1e-4, 0.02, 0.024, 0.025, 0.2, 0.5,
                         0.7,    0.97,  0.976, 0.9999, 1 - 1e-12};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double p = ps[i], back = gd_norm_cdf(gd_norm_ppf(p));
        if (p < 0.5)
            assert_true(fabs(back - p) <= 1e-12 * p);
        else
            assert_true(fabs(back - p) <= 1e-15);
    }
    assert_true(isnan(gd_norm_ppf(0.0)));
    assert_true(isnan(gd_norm_ppf(1.0)));
    assert_true(isnan(gd_norm_ppf(-0.5)));
    assert_true(isnan(gd_norm_ppf(NAN)));
}

static void test_deflated_sharpe(void **state)
{
    (void)state;
    /* Worked example: SR = 0.1 per period, V = 0.0025 (sd 0.05), N = 10,
     * T = 250, skew 0, kurt 3.
     * Phi^-1(1 - 1/10) = Phi^-1(0.9) = 1.2815515655446004
     * Phi^-1(1 - 1/(10 e)) = Phi^-1(0.9632120558828558) = 1.7892417645816283
     * SR0 = 0.05 * (0.4227843350984671 * 1.2815515655446004
     *             + 0.5772156649015329 * 1.7892417645816283)
     *     = 0.05 * (0.5418239 + 1.0327744) = 0.0787299150672875
     * z = (0.1 - 0.0787299150672875) * sqrt(249) / sqrt(1 - 0 + (3-1)/4 * 0.01)
     *   = 0.0212700849327125 * 15.7797338380595 / 1.00249688278817
     *   = 0.3348003217901709
     * DSR = Phi(0.3348003217901709) = 0.6311121411223785 */
    assert_float_equal(gd_expected_max_sharpe(0.0025, 10), 0.0787299150672875, 1e-12);
    assert_float_equal(gd_deflated_sharpe(0.1, 0.0025, 10, 250, 0, 3), 0.6311121411223785, 1e-10);
    /* N = 1: no selection, SR0 = 0: z = 0.1 * 15.7797338380595 / 1.00249688278817
     * = 1.574043182475788; Phi = 0.942261266719699 */
    assert_true(gd_expected_max_sharpe(0.0025, 1) == 0.0);
    assert_float_equal(gd_deflated_sharpe(0.1, 0.0025, 1, 250, 0, 3), 0.942261266719699, 1e-10);
    /* More trials deflate more. */
    assert_true(gd_deflated_sharpe(0.1, 0.0025, 100, 250, 0, 3) <
                gd_deflated_sharpe(0.1, 0.0025, 10, 250, 0, 3));
    /* Undefined. */
    assert_true(isnan(gd_deflated_sharpe(0.1, 0.0025, 10, 1, 0, 3)));      /* T < 2 */
    assert_true(isnan(gd_deflated_sharpe(0.1, 0.0025, 10, 250, 20, 3)));   /* 1 - 2 + 0.005 < 0 */
    assert_true(isnan(gd_deflated_sharpe(NAN, 0.0025, 10, 250, 0, 3)));
    assert_true(isnan(gd_deflated_sharpe(0.1, 0.0025, 10, 250, 0, INFINITY)));
    assert_true(isnan(gd_deflated_sharpe(0.1, -1.0, 10, 250, 0, 3)));
    assert_true(isnan(gd_expected_max_sharpe(0.0025, 0.5)));
    assert_true(isnan(gd_expected_max_sharpe(NAN, 10)));
}

static void test_bootstrap(void **state)
{
    (void)state;
    double mean, lo, hi;
    /* Constant data: every resample mean is the point mean. */
    const double c[6] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    assert_int_equal(gd_bootstrap_mean_ci(c, 6, 500, 42, 0.05, &mean, &lo, &hi), 6);
    assert_true(lo == mean && hi == mean);
    assert_float_equal(mean, 0.1, 1e-15);

    /* 1..10: mean 5.5, standard error sqrt(8.25/10) = 0.908; a 95 %
     * interval is about 5.5 +- 1.78. */
    double x[10];
    for (int i = 0; i < 10; i++)
        x[i] = i + 1;
    assert_int_equal(gd_bootstrap_mean_ci(x, 10, 2000, 7, 0.05, &mean, &lo, &hi), 10);
    assert_float_equal(mean, 5.5, 1e-15);
    assert_true(lo > 3.2 && lo < 4.2);
    assert_true(hi > 6.8 && hi < 7.8);
    /* Same seed, same interval, bit for bit. */
    double mean2, lo2, hi2;
    gd_bootstrap_mean_ci(x, 10, 2000, 7, 0.05, &mean2, &lo2, &hi2);
    assert_true(mean2 == mean && lo2 == lo && hi2 == hi);
    /* Another seed draws other resamples. */
    gd_bootstrap_mean_ci(x, 10, 2000, 8, 0.05, &mean2, &lo2, &hi2);
    assert_true(lo2 != lo || hi2 != hi);
    /* A wider alpha gives a narrower interval. */
    gd_bootstrap_mean_ci(x, 10, 2000, 7, 0.5, &mean2, &lo2, &hi2);
    assert_true(lo2 > lo && hi2 < hi);

    /* NaNs are skipped: 3 values used, mean (1 + 2 + 3)/3 = 2. */
    const double wn[5] = {1, NAN, 2, 3, NAN};
    assert_int_equal(gd_bootstrap_mean_ci(wn, 5, 1000, 1, 0.05, &mean, &lo, &hi), 3);
    assert_float_equal(mean, 2.0, 1e-15);
    assert_true(lo >= 1.0 && lo <= 2.0 && hi >= 2.0 && hi <= 3.0);

    /* Fewer than 2 values: the mean if any, no interval. */
    const double one[2] = {NAN, 5};
    assert_int_equal(gd_bootstrap_mean_ci(one, 2, 1000, 1, 0.05, &mean, &lo, &hi), 1);
    assert_true(mean == 5.0 && isnan(lo) && isnan(hi));
    assert_int_equal(gd_bootstrap_mean_ci(one, 0, 1000, 1, 0.05, &mean, &lo, &hi), 0);
    assert_true(isnan(mean) && isnan(lo) && isnan(hi));
    /* No resamples: no interval. */
    gd_bootstrap_mean_ci(x, 10, 0, 1, 0.05, &mean, &lo, &hi);
    assert_true(mean == 5.5 && isnan(lo) && isnan(hi));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_mean_stddev),
        cmocka_unit_test(test_flat_equity),
        cmocka_unit_test(test_five_days),
        cmocka_unit_test(test_short_samples),
        cmocka_unit_test(test_constant_growth),
        cmocka_unit_test(test_losing_trades),
        cmocka_unit_test(test_single_and_no_trades),
        cmocka_unit_test(test_drawdown),
        cmocka_unit_test(test_equity_to_zero),
        cmocka_unit_test(test_norm),
        cmocka_unit_test(test_deflated_sharpe),
        cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
