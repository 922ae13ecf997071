/* Unit tests for host/ablate/report.c and svg.c: the walk-forward ablation
 * HTML report, the metric formatter and the one ranking of configurations.
 * The result is built by hand: 3 configurations (one failed, one with HTML
 * in its name), 1 overlay, 4 windows, curves with a drawdown, some NaN
 * metrics.
 * GD_REPORT_SAMPLE=path writes the sample report there (for
 * tests/report_render.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate.h"
#include "base/dates.h"

#define DAY GD_DAY_MS
#define NW 4
#define TEST_DAYS 91
#define NPTS (NW * TEST_DAYS)

static const char *const g_symbols_arr[] = {"SPX", "USDCHF"};
static char *g_overlays_trend[] = {"trend"};
static char *g_params[3][NW];

static gd_ab_window g_windows[NW];
static gd_metrics g_win[3][NW];
static int g_win_failed[3][NW];
static int64_t g_t[3][NPTS];
static double g_eq[3][NPTS];
static gd_ab_config g_configs[3];
static gd_ab_overlay g_overlay;
static gd_ab_plugin g_plugins[2];
static gd_ab_result g_r;

static void set_all(gd_metrics *m, double base)
{
    memset(m, 0, sizeof *m);
    m->v[GD_M_TRADES] = 40 + base;
    m->v[GD_M_WIN_RATE] = 38.5 + base;
    m->v[GD_M_PROFIT_FACTOR] = 1.21 + base / 10;
    m->v[GD_M_NET_PNL] = 12345.678 * (base - 1);
    m->v[GD_M_CAGR] = 4.2 * (base - 1);
    m->v[GD_M_MAX_DD] = 8.75 + base;
    m->v[GD_M_MAX_DD_DAYS] = 63 + base;
    m->v[GD_M_SHARPE] = 0.4 * base;
    m->v[GD_M_SORTINO] = 0.6 * base;
    m->v[GD_M_EXPOSURE] = 31.25;
    m->v[GD_M_AVG_R] = 0.11 * base;
    m->v[GD_M_FEES] = 1523.4;
}

/* The synthetic result; everything static, nothing to free. */
static const gd_ab_result *build(void)
{
    static const char *const names[3] = {"baseline", "+trend <b>&", "all"};
    int64_t start = INT64_C(1420156800000); /* 2015-01-02 */

    memset(&g_r, 0, sizeof g_r);
    g_r.schema = GD_ABLATE_SCHEMA;
    snprintf(g_r.git_describe, sizeof g_r.git_describe, "v0.1.0-12-gdeadbee");
    snprintf(g_r.config_path, sizeof g_r.config_path, "examples/demo.ini");
    snprintf(g_r.strategy, sizeof g_r.strategy, "strategy.ema");
    snprintf(g_r.objective, sizeof g_r.objective, "sharpe");
    snprintf(g_r.mode, sizeof g_r.mode, "rolling");
    g_r.train_ms = 365 * DAY;
    g_r.test_ms = TEST_DAYS * DAY;
    g_r.step_ms = TEST_DAYS * DAY;
    g_r.periods_per_year = 252;
    g_r.bootstrap = 2000;
    g_r.seed = 42;
    g_r.equity = 100000;
    g_r.symbols = (char **)g_symbols_arr;
    g_r.n_symbols = 2;
    g_r.data_start = start;
    g_r.data_end = start + (365 + NPTS) * DAY;
    g_r.data_bars = 12345;
    g_r.param_sets = 12;
    g_r.trials = 36;
    g_r.runs = 432;
    g_r.seconds = 7777.25;
    g_r.jobs = 4;

    for (int w = 0; w < NW; w++) {
        g_windows[w].train_start = start + w * TEST_DAYS * DAY;
        g_windows[w].train_end = g_windows[w].train_start + 365 * DAY;
        g_windows[w].test_start = g_windows[w].train_end;
        g_windows[w].test_end = g_windows[w].test_start + TEST_DAYS * DAY;
    }
    g_r.windows = g_windows;
    g_r.n_windows = NW;

    for (int c = 0; c < 3; c++) {
        gd_ab_config *cf = &g_configs[c];
        memset(cf, 0, sizeof *cf);
        snprintf(cf->name, sizeof cf->name, "%s", names[c]);
        set_all(&cf->overall, 1.0 + c);
        cf->win = g_win[c];
        cf->win_failed = g_win_failed[c];
        cf->win_params = g_params[c];
        cf->dsr = 0.3 + 0.3 * c;
        for (int w = 0; w < NW; w++) {
            static char buf[3][NW][64];
            set_all(&g_win[c][w], 1.0 + c - w);
            snprintf(buf[c][w], sizeof buf[c][w], "fast=%d slow=%d", 8 + w + c, 30 + 2 * w);
            g_params[c][w] = buf[c][w];
            g_win_failed[c][w] = 0;
        }
        /* a rising curve with a drawdown in the middle */
        double eq = 100000;
        for (int i = 0; i < NPTS; i++) {
            g_t[c][i] = g_windows[0].test_start + (i + 1) * DAY;
            double drift = 40.0 * (c + 1);
            if (i > 120 && i < 200)
                drift = -90.0 * (c + 1);
            eq += drift + 300.0 * sin(i * 0.3 + c);
            g_eq[c][i] = eq;
        }
        cf->curve_t = g_t[c];
        cf->curve_eq = g_eq[c];
        cf->curve_n = NPTS;
    }
    g_configs[1].overlays = g_overlays_trend;
    g_configs[1].n_overlays = 1;
    g_configs[2].overlays = g_overlays_trend;
    g_configs[2].n_overlays = 1;
    /* NaN metrics, overall and per window */
    g_configs[0].overall.v[GD_M_PROFIT_FACTOR] = NAN;
    g_configs[0].overall.na[GD_M_PROFIT_FACTOR] = "no losing trades";
    g_configs[1].overall.v[GD_M_SORTINO] = NAN;
    g_configs[1].overall.na[GD_M_SORTINO] = "no downside returns";
    g_configs[1].dsr = NAN;
    g_configs[1].dsr_na = "fewer than 2 trials";
    g_win[1][2].v[GD_M_SHARPE] = NAN;
    g_win[1][2].na[GD_M_SHARPE] = "zero variance of daily returns";
    g_win[0][3].v[GD_M_NET_PNL] = NAN;
    g_win[0][3].na[GD_M_NET_PNL] = "no equity samples";
    /* the third config failed everywhere */
    g_configs[2].failed = 1;
    snprintf(g_configs[2].fail_reason, sizeof g_configs[2].fail_reason,
             "plugin \"trend\" failed: init returned -1");
    for (int w = 0; w < NW; w++)
        g_win_failed[2][w] = 1;
    g_configs[2].curve_n = 0;
    g_r.configs = g_configs;
    g_r.n_configs = 3;

    memset(&g_overlay, 0, sizeof g_overlay);
    snprintf(g_overlay.name, sizeof g_overlay.name, "trend");
    for (int k = 0; k < GD_AB_N_EFFECT_METRICS; k++) {
        g_overlay.alone[k] = (gd_ab_effect){0.25 * (k + 1), 0.05, 0.5 * (k + 1), NW};
        g_overlay.marginal[k] = (gd_ab_effect){-0.1 * k, -0.4, 0.3, NW};
    }
    g_overlay.marginal[3] = (gd_ab_effect){NAN, NAN, NAN, 1};
    g_overlay.verdict = GD_AB_HELPS;
    snprintf(g_overlay.verdict_reason, sizeof g_overlay.verdict_reason,
             "marginal Sharpe interval [0.05, 0.50] above 0");
    g_r.overlays = &g_overlay;
    g_r.n_overlays = 1;

    for (int i = 0; i < 2; i++) {
        memset(&g_plugins[i], 0, sizeof g_plugins[i]);
        snprintf(g_plugins[i].instance, sizeof g_plugins[i].instance, "%s", i ? "overlay.trend" : "strategy.ema");
        snprintf(g_plugins[i].plugin, sizeof g_plugins[i].plugin, "%s", i ? "trend_filter" : "ema_cross");
        snprintf(g_plugins[i].version, sizeof g_plugins[i].version, "1.0.%d", i);
        snprintf(g_plugins[i].path, sizeof g_plugins[i].path, "%s",
                 i ? "build/plugins/trend_filter.so" : "build/plugins/ema_cross.so");
        snprintf(g_plugins[i].sha256, sizeof g_plugins[i].sha256, "%s",
                 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    }
    g_r.plugins = g_plugins;
    g_r.n_plugins = 2;
    return &g_r;
}

/* Renders r into a malloc'd NUL-terminated string. */
static char *render(const gd_ab_result *r, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    gd_err err = {{0}};
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    int rc = gd_ab_write_html(r, f, &err);
    if (rc)
        fprintf(stderr, "gd_ab_write_html: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    if (len)
        *len = n;
    return buf;
}

static size_t count(const char *h, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(h, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_format_metric(void **state)
{
    char b[64];
    (void)state;

    gd_ab_format_metric(GD_M_SHARPE, NAN, b, sizeof b);
    assert_string_equal(b, "n/a");
    gd_ab_format_metric(GD_M_TRADES, 537, b, sizeof b);
    assert_string_equal(b, "537");
    gd_ab_format_metric(GD_M_WIN_RATE, 22.456, b, sizeof b);
    assert_string_equal(b, "22.46%");
    gd_ab_format_metric(GD_M_MAX_DD, 6.7, b, sizeof b);
    assert_string_equal(b, "6.70%");
    gd_ab_format_metric(GD_M_SHARPE, -0.123, b, sizeof b);
    assert_string_equal(b, "-0.12");
    gd_ab_format_metric(GD_M_PROFIT_FACTOR, 0.909, b, sizeof b);
    assert_string_equal(b, "0.91");
    gd_ab_format_metric(GD_M_NET_PNL, -6315.8, b, sizeof b);
    assert_string_equal(b, "-6,315.80");
    gd_ab_format_metric(GD_M_NET_PNL, 1234567.891, b, sizeof b);
    assert_string_equal(b, "1,234,567.89");
    gd_ab_format_metric(GD_M_FEES, 999.999, b, sizeof b);
    assert_string_equal(b, "1,000.00");
    gd_ab_format_metric(GD_M_NET_PNL, -0.001, b, sizeof b); /* no "-0.00" */
    assert_string_equal(b, "0.00");
    gd_ab_format_metric(GD_M_MAX_DD_DAYS, 63.04, b, sizeof b);
    assert_string_equal(b, "63.0");
    gd_ab_format_metric(GD_M_AVG_R, 0.5, b, sizeof b);
    assert_string_equal(b, "0.50");
    gd_ab_format_metric(GD_M_CAGR, INFINITY, b, sizeof b);
    assert_string_equal(b, "inf%");
    /* truncation is safe */
    gd_ab_format_metric(GD_M_NET_PNL, 1234567.0, b, 4);
    assert_string_equal(b, "1,2");
    gd_ab_format_metric(GD_M_NET_PNL, 1.0, b, 0);
}

static void test_html_content(void **state)
{
    (void)state;
    char *h = render(build(), NULL);

    const char *path = getenv("GD_REPORT_SAMPLE");
    if (path && *path) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(h, f);
        assert_int_equal(fclose(f), 0);
    }

    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(h, "</html>\n"));
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "http"));
    assert_null(strstr(h, "url("));
    assert_null(strstr(h, "@import"));
    assert_true(count(h, "<svg class=\"chart\"") == 2);
    /* header */
    assert_non_null(strstr(h, "Walk-forward ablation: strategy.ema"));
    assert_non_null(strstr(h, "v0.1.0-12-gdeadbee"));
    assert_non_null(strstr(h, "examples/demo.ini"));
    assert_non_null(strstr(h, "SPX, USDCHF"));
    assert_non_null(strstr(h, "2015-01-02 &rarr; "));
    assert_non_null(strstr(h, "365 days / 91 days / 91 days"));
    /* names, escaped */
    assert_non_null(strstr(h, "baseline"));
    assert_non_null(strstr(h, "+trend &lt;b&gt;&amp;"));
    assert_null(strstr(h, "<b>&"));
    assert_non_null(strstr(h, ">all<"));
    assert_non_null(strstr(h, "failed: plugin &quot;trend&quot; failed: init returned -1"));
    /* NaN with reasons as tooltips and footnotes */
    assert_non_null(strstr(h, "title=\"no losing trades\">n/a<sup>"));
    assert_non_null(strstr(h, "title=\"no downside returns\">n/a"));
    assert_non_null(strstr(h, "fewer than 2 trials"));
    assert_non_null(strstr(h, "zero variance of daily returns"));
    assert_non_null(strstr(h, "fewer than 2 paired windows"));
    /* verdict */
    assert_non_null(strstr(h, "class=\"badge helps\">helps<"));
    assert_non_null(strstr(h, "marginal Sharpe interval [0.05, 0.50] above 0"));
    /* numbers */
    assert_non_null(strstr(h, "12,345.68"));   /* net PnL of "+trend" */
    assert_non_null(strstr(h, "Failed configurations omitted: all."));
    /* per-window params tooltip, plugins */
    assert_non_null(strstr(h, "params: fast=9 slow=32"));
    assert_non_null(strstr(h, "0123456789ab<"));
    assert_non_null(strstr(h, "build/plugins/trend_filter.so"));
    /* no wall time or job count */
    assert_null(strstr(h, "7777"));
    assert_null(strstr(h, "7,777"));
    assert_null(strstr(h, "jobs"));
    /* the ranking puts the config with the higher Sharpe first */
    assert_true(strstr(h, "+trend &lt;b&gt;&amp;") < strstr(h, ">baseline<"));

    free(h);
}

static void test_deterministic(void **state)
{
    size_t n1, n2;
    (void)state;
    char *a = render(build(), &n1);
    gd_ab_result *r = (gd_ab_result *)build();
    r->seconds = 99.0; /* not part of the output */
    r->jobs = 1;
    char *b = render(r, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
}

/* Degenerate inputs: nothing to draw, single points, flat curves. */
static void test_edge_cases(void **state)
{
    (void)state;
    gd_ab_result *r = (gd_ab_result *)build();

    /* one point, a flat curve, no curve */
    r->configs[0].curve_n = 1;
    for (int i = 0; i < NPTS; i++)
        g_eq[1][i] = 100000;
    char *h = render(r, NULL);
    assert_non_null(strstr(h, "<circle"));
    assert_null(strstr(h, "nan"));
    assert_null(strstr(h, "inf"));
    free(h);

    /* every curve empty, every metric NaN */
    r->configs[0].curve_n = 0;
    r->configs[1].curve_n = 0;
    for (int c = 0; c < 3; c++) {
        for (int m = 0; m < GD_M__COUNT; m++) {
            r->configs[c].overall.v[m] = NAN;
            r->configs[c].overall.na[m] = NULL;
            for (int w = 0; w < NW; w++)
                g_win[c][w].v[m] = NAN;
        }
    }
    h = render(r, NULL);
    assert_non_null(strstr(h, "No out-of-sample equity curve"));
    assert_non_null(strstr(h, "not computable"));
    assert_null(strstr(h, "nan"));
    free(h);

    /* an empty result */
    gd_ab_result empty;
    memset(&empty, 0, sizeof empty);
    h = render(&empty, NULL);
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(h, "no configurations"));
    free(h);
}

/* Where needle first occurs in h[from, to), or SIZE_MAX. */
static size_t pos_in(const char *h, const char *from, const char *to, const char *needle)
{
    const char *a = strstr(h, from), *b = a ? strstr(a, to) : NULL, *p = a ? strstr(a, needle) : NULL;
    assert_non_null(a);
    assert_non_null(b);
    return p && p < b ? (size_t)(p - h) : SIZE_MAX;
}

/* The one ranking (gd_ab_rank): ran before failed, larger Sharpe first, an
 * undefined Sharpe after every defined one, ties in configuration order;
 * the terminal table and report.html show it alike. */
static void test_ranking(void **state)
{
    (void)state;
    gd_ab_result *r = (gd_ab_result *)build();
    size_t order[3];

    /* Sharpe 0.4, 0.8 and a failed configuration with the highest, 1.2. */
    gd_ab_rank(r, order);
    assert_true(order[0] == 1 && order[1] == 0 && order[2] == 2);
    /* Ties keep the configurations' order. */
    g_configs[0].overall.v[GD_M_SHARPE] = g_configs[1].overall.v[GD_M_SHARPE];
    gd_ab_rank(r, order);
    assert_true(order[0] == 0 && order[1] == 1 && order[2] == 2);
    /* A failed configuration ranks after one that ran without a Sharpe, and
     * that one after every defined Sharpe, whatever their indexes. */
    g_configs[1].failed = 1;
    g_configs[2].failed = 0;
    g_configs[2].overall.v[GD_M_SHARPE] = NAN;
    g_configs[2].overall.na[GD_M_SHARPE] = "no variance (flat equity)";
    gd_ab_rank(r, order);
    assert_true(order[0] == 0 && order[1] == 2 && order[2] == 1);

    /* The table and the report list them in that order. */
    char *t = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&t, &n);
    assert_non_null(f);
    gd_err werr;
    assert_int_equal(gd_ab_write_table(r, f, &werr), 0);
    assert_int_equal(fclose(f), 0);
    size_t t0 = pos_in(t, "configuration", "\n\n", "\nbaseline "), t1 = pos_in(t, "configuration", "\n\n", "\nall "),
           t2 = pos_in(t, "configuration", "\n\n", "\n+trend <b>&");
    assert_true(t0 < t1 && t1 < t2 && t2 != SIZE_MAX);
    char *h = render(r, NULL);
    size_t h0 = pos_in(h, "id=\"ranking\"", "</section>", "</svg>baseline<"),
           h1 = pos_in(h, "id=\"ranking\"", "</section>", "</svg>all<"),
           h2 = pos_in(h, "id=\"ranking\"", "</section>", "</svg>+trend &lt;b&gt;&amp;<");
    assert_true(h0 < h1 && h1 < h2 && h2 != SIZE_MAX);
    free(t);
    free(h);

    assert_string_equal(gd_ab_verdict_name(GD_AB_HELPS), "helps");
    assert_string_equal(gd_ab_verdict_name(GD_AB_HURTS), "hurts");
    assert_string_equal(gd_ab_verdict_name(GD_AB_INCONCLUSIVE), "inconclusive");
}

static void test_errors(void **state)
{
    gd_err err = {{0}};
    (void)state;

    assert_int_equal(gd_ab_write_html(NULL, stdout, &err), GD_EINVAL);
    assert_int_equal(gd_ab_write_html(build(), NULL, &err), GD_EINVAL);

    /* ablation.json where no file can be made: an error naming the path. */
    err.msg[0] = '\0';
    assert_int_equal(gd_ab_write_json(build(), "/nonexistent-dir/ablation.json", &err), GD_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/ablation.json"));

    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    err.msg[0] = '\0';
    assert_int_equal(gd_ab_write_html(build(), f, &err), GD_EIO);
    assert_true(err.msg[0] != '\0');
    clearerr(f);
    err.msg[0] = '\0';
    assert_int_equal(gd_ab_write_table(build(), f, &err), GD_EIO);
    assert_true(err.msg[0] != '\0');
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_metric),
        cmocka_unit_test(test_html_content),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_ranking),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
