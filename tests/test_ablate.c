/* Walk-forward ablation: window generation, settings errors, the parameter
 * grid, no lookahead (perturbing the future changes no past decision), and
 * byte-identical results whatever the number of threads. */
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

#include "ablate/ablate.h"
#include "ablate/ablate_run.h"
#include "ablate/record.h"
#include "config/config.h"
#include "engine/engine.h"
#include "base/dates.h"
#include "base/hash.h"
#include "base/log.h"
#include "data/replay.h"

#define DAY GD_DAY_MS

static char tmpdir[256];

static const char *plugin_dir(void)
{
    const char *v = getenv("GD_PLUGIN_DIR");
    return v && *v ? v : "build/plugins";
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* ------------------------------------------------------------ windows */

static void test_windows_rolling_and_anchored(void **state)
{
    (void)state;
    gd_ablate_settings s;
    memset(&s, 0, sizeof s);
    s.train_ms = 10 * DAY;
    s.test_ms = 5 * DAY;
    s.step_ms = 5 * DAY;
    gd_ab_window w[16];
    /* 30 days of data: windows end at 15, 20, 25, 30 days. */
    size_t n = gd_ablate_windows(0, 30 * DAY, &s, w, 16);
    assert_int_equal(n, 4);
    assert_true(w[0].train_start == 0 && w[0].train_end == 10 * DAY);
    assert_true(w[0].test_start == 10 * DAY && w[0].test_end == 15 * DAY);
    assert_true(w[3].train_start == 15 * DAY && w[3].test_end == 30 * DAY);
    /* Edge: one millisecond short of the last window drops it. */
    assert_int_equal(gd_ablate_windows(0, 30 * DAY - 1, &s, NULL, 0), 3);
    /* Test windows never overlap and follow their training window directly. */
    for (size_t i = 0; i < n; i++) {
        assert_true(w[i].test_start == w[i].train_end);
        if (i)
            assert_true(w[i].test_start >= w[i - 1].test_end);
    }
    /* Anchored: training always starts at the beginning and grows. */
    s.anchored = 1;
    n = gd_ablate_windows(0, 30 * DAY, &s, w, 16);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_true(w[i].train_start == 0);
        assert_true(w[i].train_end == (10 + 5 * (int64_t)i) * DAY);
    }
    /* Data shorter than train + test: none. */
    assert_int_equal(gd_ablate_windows(0, 14 * DAY, &s, w, 16), 0);
    /* A step larger than the test leaves gaps but still no overlap. */
    s.anchored = 0;
    s.step_ms = 7 * DAY;
    n = gd_ablate_windows(0, 30 * DAY, &s, w, 16);
    assert_int_equal(n, 3); /* tests end at 15, 22, 29 */
    assert_true(w[2].test_end == 29 * DAY);
}

static int settings_error(const char *ablate_section, gd_err *err)
{
    char path[512], text[2048];
    snprintf(path, sizeof path, "%s/s.ini", tmpdir);
    snprintf(text, sizeof text, "[ablate]\n%s", ablate_section);
    write_file(path, text);
    gd_config cfg;
    int rc = gd_config_load(path, NULL, &cfg, err);
    assert_int_equal(rc, 0);
    gd_ablate_settings s;
    rc = gd_ablate_settings_parse(&cfg, &s, err);
    gd_config_free(&cfg);
    return rc;
}

static void test_settings_errors(void **state)
{
    (void)state;
    gd_err err;
    assert_int_not_equal(settings_error("train = 180\n", &err), 0);
    assert_non_null(strstr(err.msg, "s.ini:2"));
    assert_non_null(strstr(err.msg, "train"));
    assert_int_not_equal(settings_error("mode = random\n", &err), 0);
    assert_non_null(strstr(err.msg, "random splits do not exist"));
    assert_int_not_equal(settings_error("range.fast = 30:10:5\n", &err), 0);
    assert_non_null(strstr(err.msg, "empty range"));
    assert_int_not_equal(settings_error("range.fast = 10:30:0\n", &err), 0);
    assert_int_not_equal(settings_error("objective = luck\n", &err), 0);
    assert_non_null(strstr(err.msg, "objective"));
    assert_int_not_equal(settings_error("trian = 10d\n", &err), 0);
    assert_non_null(strstr(err.msg, "unknown key"));
    assert_int_not_equal(settings_error("test = 30d\nstep = 10d\n", &err), 0);
    assert_non_null(strstr(err.msg, "overlap"));
    assert_int_equal(settings_error("train = 12w\ntest = 36h\nmode = anchored\n", &err), 0);
}

static void test_grid_thinning(void **state)
{
    (void)state;
    gd_ab_axis ax[2] = {{"fast", 1, 2, 200, 1, 199, 0}, {"mult", 0, 0.5, 20, 0.5, 40, 0}};
    gd_ablate_grid_thin(ax, 2, 16);
    uint64_t n = gd_ablate_grid_size(ax, 2);
    assert_true(n <= 16 && n >= 4);
    /* Both ends of every range survive the thinning. */
    double v[2];
    gd_ablate_grid_point(ax, 2, 0, v);
    assert_true(v[0] == 2 && v[1] == 0.5);
    gd_ablate_grid_point(ax, 2, n - 1, v);
    assert_true(v[0] == 200 && v[1] == 20);
    /* A grid that fits is kept whole. */
    gd_ab_axis one = {"slow", 1, 40, 120, 40, 3, 0};
    gd_ablate_grid_thin(&one, 1, 9);
    assert_int_equal(gd_ablate_grid_size(&one, 1), 3);
    gd_ablate_grid_point(&one, 1, 1, v);
    assert_true(v[0] == 80);
}

/* ------------------------------------------------------------ data */

/* The first `n` bars of the real USD/CHF file, optionally with every bar
 * closing after `after_ms` perturbed (prices scaled, range widened). */
static void write_csv(const char *path, size_t n, int64_t after_ms)
{
    gd_series s;
    gd_err err;
    int rc = gd_csv_load("data/usdchf_30m_1996_2001.csv", "USDCHF", &s, &err);
    if (rc)
        fail_msg("%s", err.msg);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    uint64_t rng = 0x853c49e6748fea9bull;
    fprintf(f, "open_time_ms,open,high,low,close,volume\n");
    for (size_t i = 0; i < n && i < s.n; i++) {
        gordon_bar b = s.bars[i];
        if (b.close_time_ms > after_ms) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            double k = 1.0 + ((double)(rng % 2001) - 1000.0) / 20000.0; /* +-5% */
            b.open *= k;
            b.close *= 2.0 - k;
            b.high = fmax(fmax(b.open, b.close), b.high * k) * 1.001;
            b.low = fmin(fmin(b.open, b.close), b.low * k) * 0.999;
        }
        fprintf(f, "%lld,%.10g,%.10g,%.10g,%.10g,%.10g\n", (long long)b.open_time_ms, b.open, b.high, b.low,
                b.close, b.volume);
    }
    fclose(f);
    gd_series_free(&s);
}

#define CFG_TEXT\
    "[replay]\ndata = USDCHF:%s\n"\
    "[risk]\nequity = 100000\nrisk_pct = 0.5\nmax_order_notional_usd = 200000\n"\
    "max_daily_notional_usd = 2000000\nmax_gross_exposure_usd = 200000\n"\
    "[instrument.USDCHF]\ntick_size = 0.00001\nstep_size = 1\nmin_qty = 1\nmin_notional = 5\n"\
    "[strategy.ema]\nplugin = ema_cross\natr_mult = 3\n"\
    "[overlay.trend]\nplugin = trend_filter\nperiod = 100\n"\
    "[overlay.hours]\nplugin = session_filter\nstart_hour = 6\nend_hour = 20\n"\
    "%s"\
    "[ablate]\ntrain = 60d\ntest = 20d\nrange.fast = 10:20:10\nrange.slow = 40:80:40\n"\
    "max_param_sets = 4\nbootstrap = 200\n"

static int ablate(const char *csv, const char *extra, unsigned jobs, gd_ab_result *res, gd_err *err)
{
    char path[512], text[4096];
    snprintf(path, sizeof path, "%s/ab.ini", tmpdir);
    snprintf(text, sizeof text, CFG_TEXT, csv, extra);
    write_file(path, text);
    gd_config cfg;
    int rc = gd_config_load(path, NULL, &cfg, err);
    if (rc)
        return rc;
    gd_ablate_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &cfg;
    o.config_path = "ab.ini";
    o.plugin_dirs.last = plugin_dir();
    o.jobs = jobs;
    rc = gd_ablate_run(&o, res, err);
    gd_config_free(&cfg);
    return rc;
}

static void test_determinism_across_jobs(void **state)
{
    (void)state;
    char csv[512], j1[512], j2[512];
    gd_ab_result r1, r2;
    gd_err err;
    snprintf(csv, sizeof csv, "%s/a.csv", tmpdir);
    write_csv(csv, 9000, INT64_MAX); /* about six months */
    if (ablate(csv, "", 1, &r1, &err))
        fail_msg("%s", err.msg);
    if (ablate(csv, "", 2, &r2, &err))
        fail_msg("%s", err.msg);
    assert_true(r1.n_windows >= 5);
    assert_int_equal(r1.n_configs, 4); /* baseline, +trend, +hours, all */
    assert_int_equal(r1.param_sets, 4);
    snprintf(j1, sizeof j1, "%s/j1.json", tmpdir);
    snprintf(j2, sizeof j2, "%s/j2.json", tmpdir);
    assert_int_equal(gd_ab_write_json(&r1, j1, &err), 0);
    assert_int_equal(gd_ab_write_json(&r2, j2, &err), 0);
    char *a = read_all(j1), *b = read_all(j2);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\"sha256\""));
    assert_non_null(strstr(a, "\"schema\":\t1") ? strstr(a, "\"schema\":\t1") : strstr(a, "\"schema\": 1"));
    free(a);
    free(b);
    /* The HTML report is byte-identical too. */
    snprintf(j1, sizeof j1, "%s/r1.html", tmpdir);
    snprintf(j2, sizeof j2, "%s/r2.html", tmpdir);
    FILE *f1 = fopen(j1, "w"), *f2 = fopen(j2, "w");
    assert_int_equal(gd_ab_write_html(&r1, f1, &err), 0);
    assert_int_equal(gd_ab_write_html(&r2, f2, &err), 0);
    fclose(f1);
    fclose(f2);
    a = read_all(j1);
    b = read_all(j2);
    assert_string_equal(a, b);
    free(a);
    free(b);
    gd_ab_result_free(&r1);
    gd_ab_result_free(&r2);
}

/* ablate() keeping the configuration, for the record built from both. */
static void ablate_record(const char *csv, const char *extra, unsigned jobs, gd_ab_result *res, gd_config *cfg,
                          gd_ab_record *rec)
{
    char path[512], text[4096];
    gd_err err;
    snprintf(path, sizeof path, "%s/ab.ini", tmpdir);
    snprintf(text, sizeof text, CFG_TEXT, csv, extra);
    write_file(path, text);
    if (gd_config_load(path, NULL, cfg, &err))
        fail_msg("%s", err.msg);
    gd_ablate_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.config_path = path;
    o.plugin_dirs.last = plugin_dir();
    o.jobs = jobs;
    if (gd_ablate_run(&o, res, &err) || gd_ab_record_build(res, cfg, "/r/report.html", rec, &err))
        fail_msg("%s", err.msg);
}

/* The row of trading.ablation_runs: hashes that can be checked from
 * outside, no secret, and a run_id that names the inputs, not the run. */
static void test_record_row(void **state)
{
    (void)state;
    char csv[512], sha[65], line[128], want[65];
    gd_ab_result r1, r2, r3;
    gd_config c1, c2, c3;
    gd_ab_record a, b, c;
    gd_err err;
    snprintf(csv, sizeof csv, "%s/rec.csv", tmpdir);
    write_csv(csv, 6000, INT64_MAX);
    const char *secrets = "[db]\ndsn = host=db password=s3cret\n[fred]\napi_key = fredk3y\n";
    ablate_record(csv, secrets, 1, &r1, &c1, &a);
    ablate_record(csv, secrets, 2, &r2, &c2, &b);
    ablate_record(csv, "[executor]\nfee_bps = 3\n", 1, &r3, &c3, &c);

    assert_int_equal(strlen(a.run_id), 64);
    assert_string_equal(a.run_id, b.run_id); /* --jobs is not an input */
    assert_string_equal(a.row.metrics_json, b.row.metrics_json);
    assert_string_not_equal(a.run_id, c.run_id);
    assert_string_not_equal(a.config_sha256, c.config_sha256);

    gd_sha256_buf(a.row.config_json, strlen(a.row.config_json), want);
    assert_string_equal(a.row.config_sha256, want);
    assert_null(strstr(a.row.config_json, "s3cret"));
    assert_null(strstr(a.row.config_json, "fredk3y"));
    assert_null(strstr(a.row.config_json, "\"db\""));
    assert_non_null(strstr(a.row.config_json, "\"strategy.ema\":{\"plugin\":\"ema_cross\""));

    assert_int_equal(gd_sha256_file(csv, sha, &err), 0);
    snprintf(line, sizeof line, "%s  USDCHF\n", sha);
    gd_sha256_buf(line, strlen(line), want);
    assert_string_equal(a.row.data_sha256, want);
    assert_string_equal(a.row.symbols_json, "[\"USDCHF\"]");
    assert_int_equal(a.row.windows, r1.n_windows);
    assert_true(a.row.data_from_ms == r1.data_start && a.row.data_to_ms == r1.data_end);

    snprintf(line, sizeof line, "\"strategy.ema\":\"%s\"", r1.plugins[0].sha256);
    assert_non_null(strstr(a.row.plugins_json, line));
    assert_non_null(strstr(a.row.plugins_json, "\"overlay.trend\":"));
    assert_non_null(strstr(a.row.metrics_json, "\"configurations\":[{\"name\":\"baseline\""));
    assert_null(strstr(a.row.metrics_json, "ab.ini")); /* paths are not results */
    assert_null(strstr(a.row.metrics_json, "\"path\""));
    assert_string_equal(a.row.report_path, "/r/report.html");

    gd_ab_record_free(&a);
    gd_ab_record_free(&b);
    gd_ab_record_free(&c);
    gd_ab_record_free(&c); /* twice is harmless */
    gd_ab_result_free(&r1);
    gd_ab_result_free(&r2);
    gd_ab_result_free(&r3);
    gd_config_free(&c1);
    gd_config_free(&c2);
    gd_config_free(&c3);
}

/* [ablate] alpha sets the intervals: a larger alpha gives narrower ones
 * (same resamples, same seed), recorded in the result and its texts. */
static void test_alpha_sets_the_intervals(void **state)
{
    (void)state;
    char csv[512];
    gd_ab_result r5, r20;
    gd_err err;
    snprintf(csv, sizeof csv, "%s/alpha.csv", tmpdir);
    write_csv(csv, 9000, INT64_MAX);
    if (ablate(csv, "", 1, &r5, &err))
        fail_msg("%s", err.msg);
    if (ablate(csv, "[ablate]\nalpha = 0.2\n", 1, &r20, &err))
        fail_msg("%s", err.msg);
    assert_true(r5.alpha == 0.05);
    assert_true(r20.alpha == 0.2);
    int narrower = 0;
    for (size_t i = 0; i < r5.n_overlays; i++)
        for (int m = 0; m < GD_AB_N_EFFECT_METRICS; m++) {
            const gd_ab_effect *a = &r5.overlays[i].marginal[m], *b = &r20.overlays[i].marginal[m];
            if (isnan(a->lo) || isnan(b->lo))
                continue;
            assert_true(a->mean == b->mean);
            assert_true(b->lo >= a->lo && b->hi <= a->hi);
            narrower += b->hi - b->lo < a->hi - a->lo;
        }
    assert_true(narrower > 0);
    char *t = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&t, &n);
    assert_non_null(f);
    assert_int_equal(gd_ab_write_table(&r20, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(t, "[80% bootstrap interval]"));
    free(t);
    gd_ab_result_free(&r5);
    gd_ab_result_free(&r20);
}

/* Perturbing every bar after t changes nothing decided before t: every
 * window whose test ends by t has the same parameters and the same results. */
static void test_no_lookahead(void **state)
{
    (void)state;
    char a[512], b[512];
    gd_ab_result r1, r2;
    gd_err err;
    snprintf(a, sizeof a, "%s/clean.csv", tmpdir);
    snprintf(b, sizeof b, "%s/perturbed.csv", tmpdir);
    write_csv(a, 9000, INT64_MAX);
    if (ablate(a, "", 2, &r1, &err))
        fail_msg("%s", err.msg);
    assert_true(r1.n_windows >= 5);
    int64_t t = r1.windows[r1.n_windows / 2].test_end; /* half the windows are before t */
    write_csv(b, 9000, t);
    if (ablate(b, "", 2, &r2, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(r1.n_windows, r2.n_windows);
    size_t before = 0, changed_after = 0;
    for (size_t c = 0; c < r1.n_configs; c++)
        for (size_t w = 0; w < r1.n_windows; w++) {
            const gd_metrics *m1 = &r1.configs[c].win[w], *m2 = &r2.configs[c].win[w];
            if (r1.windows[w].test_end <= t) {
                before++;
                assert_string_equal(r1.configs[c].win_params[w], r2.configs[c].win_params[w]);
                for (int k = 0; k < GD_M__COUNT; k++)
                    assert_true((isnan(m1->v[k]) && isnan(m2->v[k])) || m1->v[k] == m2->v[k]);
            } else if (memcmp(m1->v, m2->v, sizeof m1->v) != 0) {
                changed_after++;
            }
        }
    assert_true(before >= 8);
    /* The perturbation is real: later windows do change. */
    assert_true(changed_after > 0);
    gd_ab_result_free(&r1);
    gd_ab_result_free(&r2);
}

/* The same at the engine: intents up to t are identical bar for bar. */
typedef struct rec {
    gd_intent it[4096];
    size_t n;
} rec;
static int rec_record(void *self, const gd_intent *it, const char *s, const char *y)
{
    (void)s;
    (void)y;
    rec *r = self;
    if (r->n < 4096)
        r->it[r->n++] = *it;
    return 0;
}
static int rec_flush(void *self, gd_err *err)
{
    (void)self;
    (void)err;
    return 0;
}
static void rec_close(void *self) { (void)self; }
static const gd_intentlog_ops rec_ops = {rec_record, rec_flush, rec_close};

static void engine_intents(const char *csv, rec *out)
{
    char path[512], text[4096];
    gd_err err;
    snprintf(path, sizeof path, "%s/e.ini", tmpdir);
    snprintf(text, sizeof text, CFG_TEXT, csv, "[overlay.vol]\nplugin = volatility_filter\nlookback = 100\n");
    write_file(path, text);
    gd_config cfg;
    if (gd_config_load(path, NULL, &cfg, &err))
        fail_msg("%s", err.msg);
    gd_series s;
    if (gd_csv_load(csv, "USDCHF", &s, &err))
        fail_msg("%s", err.msg);
    const char *syms[] = {"USDCHF"};
    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &cfg;
    o.symbols = syms;
    o.n_symbols = 1;
    o.plugin_dirs.last = plugin_dir();
    gd_engine *e;
    if (gd_engine_new(&o, &e, &err))
        fail_msg("%s", err.msg);
    out->n = 0;
    gd_engine_set_intentlog(e, (gd_intentlog){&rec_ops, out});
    for (size_t i = 0; i < s.n; i++)
        gd_engine_on_bar(e, 0, &s.bars[i]);
    gd_engine_free(e);
    gd_series_free(&s);
    gd_config_free(&cfg);
}

static void test_engine_no_lookahead(void **state)
{
    (void)state;
    static rec r1, r2;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/e1.csv", tmpdir);
    snprintf(b, sizeof b, "%s/e2.csv", tmpdir);
    write_csv(a, 6000, INT64_MAX);
    engine_intents(a, &r1);
    assert_true(r1.n > 20);
    int64_t t = r1.it[r1.n / 2].time_ms;
    write_csv(b, 6000, t);
    engine_intents(b, &r2);
    size_t k = 0;
    for (; k < r1.n && r1.it[k].time_ms <= t; k++) {
        assert_true(k < r2.n);
        assert_memory_equal(&r1.it[k], &r2.it[k], sizeof r1.it[k]);
    }
    assert_true(k >= 10);
    /* and after t, decisions do differ */
    int differ = r1.n != r2.n;
    for (size_t j = k; !differ && j < r1.n; j++)
        differ = memcmp(&r1.it[j], &r2.it[j], sizeof r1.it[j]) != 0;
    assert_true(differ);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    char csv[512];
    gd_ab_result r;
    gd_err err;
    snprintf(csv, sizeof csv, "%s/short.csv", tmpdir);
    write_csv(csv, 1000, INT64_MAX); /* about three weeks: shorter than 60d + 20d */
    assert_int_not_equal(ablate(csv, "", 1, &r, &err), 0);
    assert_non_null(strstr(err.msg, "windows longer than the data"));

    /* An overlay that cannot load fails only the configurations using it. */
    snprintf(csv, sizeof csv, "%s/ok.csv", tmpdir);
    write_csv(csv, 6000, INT64_MAX);
    if (ablate(csv, "[overlay.broken]\nplugin = ./no_such_overlay.so\n", 1, &r, &err))
        fail_msg("%s", err.msg);
    size_t failed = 0;
    for (size_t i = 0; i < r.n_configs; i++)
        if (r.configs[i].failed) {
            failed++;
            assert_non_null(strstr(r.configs[i].fail_reason, "broken"));
            for (int k = 0; k < GD_M__COUNT; k++)
                assert_true(isnan(r.configs[i].overall.v[k]));
        }
    assert_true(failed > 0 && failed < r.n_configs);
    assert_false(r.configs[0].failed); /* the baseline ran */
    gd_ab_result_free(&r);

    /* A strategy that never trades in a window: metrics say n/a with a reason. */
    if (ablate(csv, "[overlay.never]\nplugin = session_filter\nstart_hour = 3\nend_hour = 4\nweekdays_only = true\n", 1,
               &r, &err))
        fail_msg("%s", err.msg);
    int found = 0;
    for (size_t i = 0; i < r.n_configs; i++)
        for (size_t w = 0; w < r.n_windows; w++)
            if (!r.configs[i].win_failed[w] && r.configs[i].win[w].v[GD_M_TRADES] == 0) {
                assert_true(isnan(r.configs[i].win[w].v[GD_M_WIN_RATE]));
                assert_non_null(r.configs[i].win[w].na[GD_M_WIN_RATE]);
                found = 1;
            }
    assert_true(found);
    gd_ab_result_free(&r);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(gd_test_tmpdir(tmpdir, sizeof tmpdir, NULL, "gd_test_ablate"), 0);
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
        cmocka_unit_test(test_windows_rolling_and_anchored),
        cmocka_unit_test(test_settings_errors),
        cmocka_unit_test(test_grid_thinning),
        cmocka_unit_test(test_determinism_across_jobs),
        cmocka_unit_test(test_record_row),
        cmocka_unit_test(test_alpha_sets_the_intervals),
        cmocka_unit_test(test_no_lookahead),
        cmocka_unit_test(test_engine_no_lookahead),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
