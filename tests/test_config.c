/* Unit tests for host/config/: files, conf.d order, environment, validation, reload diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tmpdir.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gordon/sdk.h>

#include "config/config.h"

#include "plugin/path.h"

/* Each test gets a fresh temp dir, removed afterwards. */
static char g_dir[64];
static char *const g_noenv[] = {NULL};

static int setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(g_dir, sizeof g_dir, NULL, "gd_test_config");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(g_dir);
}

/* Path of rel inside the temp dir (rotating buffers, so several may be live). */
static const char *P(const char *rel)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", g_dir, rel);
    return b;
}

static const char *W(const char *rel, const char *content)
{
    const char *path = P(rel);
    char dir[512];
    char *slash;
    FILE *f;
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    *slash = '\0';
    mkdir(dir, 0755); /* one level is all the tests need */
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
    assert_int_equal(fclose(f), 0);
    return path;
}

#define assert_msg(err, sub)                                           \
    do {                                                               \
        if (!strstr((err).msg, (sub)))                                 \
            fail_msg("message \"%s\" lacks \"%s\"", (err).msg, (sub)); \
    } while (0)

static void assert_zeroed(const gd_config *cfg)
{
    static const gd_config zero;
    assert_memory_equal(cfg, &zero, sizeof zero);
}

/* Loads main.ini (+ conf.d beside it) with envp; expects rc; on failure checks cfg is zeroed. */
static int load(const char *main_rel, char *const *envp, gd_config *cfg, gd_err *err)
{
    int rc;
    memset(cfg, 0x5A, sizeof *cfg); /* garbage: an error must leave it zeroed */
    err->msg[0] = '\0';
    rc = gd_config_load_env(main_rel ? P(main_rel) : NULL, NULL, envp ? envp : g_noenv, cfg, err);
    if (rc)
        assert_zeroed(cfg);
    return rc;
}

static void expect_fail(const char *main_rel, char *const *envp, int code, const char *sub)
{
    gd_config cfg;
    gd_err err;
    int rc = load(main_rel, envp, &cfg, &err);
    if (rc != code)
        fail_msg("rc %d (%s), expected %d; message: %s", rc, gd_strerror(rc), code, err.msg);
    assert_msg(err, sub);
}

/* ------------------------------------------------------------ defaults */

static void check_defaults(const gd_config *cfg)
{
    assert_int_equal(cfg->mode, GD_MODE_BACKTEST);
    assert_null(cfg->plugin_dir);
    assert_null(cfg->intent_log);
    assert_null(cfg->state_dir);
    assert_string_equal(cfg->log_level, "info");
    assert_true(cfg->equity == 10000);
    assert_true(cfg->risk_pct == 0.5);
    assert_true(cfg->leverage == 1);
    assert_true(cfg->max_order_notional == 50000);
    assert_true(cfg->max_daily_notional == 500000);
    assert_true(cfg->max_gross_exposure == 100000);
    assert_true(cfg->max_intents_per_sec == 20);
    assert_true(cfg->max_intents_per_sec_strategy == 5);
    assert_int_equal(cfg->sl_required, 1);
    assert_int_equal(cfg->testnet, 1);
    assert_true(cfg->max_notional_usd_prod == 1000);
    assert_true(cfg->fee_bps == 4);
    assert_true(cfg->slippage_bps == 1);
    assert_int_equal(cfg->n_data, 0);
    assert_int_equal(cfg->n_instruments, 0);
    assert_int_equal(cfg->n_plugins, 0);
}

/* Where the plugin of section i is found (plugin/path.h), with no default
 * directory: what the config alone says. */
static const char *resolved(const gd_config *cfg, size_t i)
{
    static char buf[4096];
    gd_err e;
    if (gd_plugin_resolve(cfg, &cfg->plugins[i], NULL, buf, sizeof buf, &e) != 0)
        fail_msg("%s", e.msg);
    return buf;
}

static void test_defaults(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    gd_config_defaults(&cfg);
    check_defaults(&cfg);
    assert_int_equal(cfg.n_files, 0);
    gd_config_free(&cfg);

    assert_int_equal(load(NULL, NULL, &cfg, &err), 0);
    check_defaults(&cfg);
    assert_int_equal(cfg.n_files, 0);
    gd_config_free(&cfg);
    assert_zeroed(&cfg);

    /* An empty file (comments only) gives the defaults too. */
    W("main.ini", "; nothing\n# here\n\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    check_defaults(&cfg);
    assert_int_equal(cfg.n_files, 1);
    assert_string_equal(cfg.files[0], P("main.ini"));
    gd_config_free(&cfg);
}

/* ------------------------------------------------------ files and order */

static void test_confd_later_wins(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 1\nleverage = 2\n[executor]\nfee_bps = 3\n");
    W("conf.d/10-a.ini", "[risk]\nrisk_pct = 2\n[executor]\nfee_bps = 5\n");
    W("conf.d/20-b.ini", "[risk]\nrisk_pct = 3\n");
    W("conf.d/notes.txt", "[bogus]\nnot = read\n");
    W("conf.d/.hidden.ini", "[bogus]\nnot = read\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_true(cfg.risk_pct == 3);
    assert_true(cfg.leverage == 2);
    assert_true(cfg.fee_bps == 5);
    assert_int_equal(cfg.n_files, 3);
    assert_string_equal(cfg.files[0], P("main.ini"));
    assert_string_equal(cfg.files[1], P("conf.d/10-a.ini"));
    assert_string_equal(cfg.files[2], P("conf.d/20-b.ini"));
    gd_config_free(&cfg);
}

/* Where a drop-in goes (the console places bots there): the directory the loader reads. */
static void test_confd_dir(void **state)
{
    (void)state;
    char *d = gd_config_confd_dir("/etc/gordon/gordon.ini", NULL);
    assert_string_equal(d, "/etc/gordon/conf.d");
    free(d);
    d = gd_config_confd_dir("/etc/gordon/gordon.ini", "/srv/drop");
    assert_string_equal(d, "/srv/drop");
    free(d);
    d = gd_config_confd_dir("gordon.ini", NULL);
    assert_string_equal(d, "conf.d");
    free(d);
    assert_null(gd_config_confd_dir(NULL, NULL));
}

static void test_confd_lexical_order(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    /* "10-a.ini" < "9-b.ini" as strings, so 9-b is read last and wins. */
    W("main.ini", "[risk]\nrisk_pct = 1\n");
    W("conf.d/9-b.ini", "[risk]\nrisk_pct = 2\n");
    W("conf.d/10-a.ini", "[risk]\nrisk_pct = 4\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_true(cfg.risk_pct == 2);
    assert_int_equal(cfg.n_files, 3);
    assert_string_equal(cfg.files[1], P("conf.d/10-a.ini"));
    assert_string_equal(cfg.files[2], P("conf.d/9-b.ini"));
    gd_config_free(&cfg);
}

static void test_explicit_confd_and_missing(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 1\n");
    W("conf.d/1.ini", "[risk]\nrisk_pct = 2\n");
    W("other/1.ini", "[risk]\nrisk_pct = 3\n");
    assert_int_equal(gd_config_load_env(P("main.ini"), P("other"), g_noenv, &cfg, &err), 0);
    assert_true(cfg.risk_pct == 3); /* the explicit dir replaces the default conf.d */
    assert_int_equal(cfg.n_files, 2);
    gd_config_free(&cfg);

    expect_fail("missing.ini", NULL, GD_ENOENT, "missing.ini: cannot open");
    memset(&cfg, 0x5A, sizeof cfg);
    assert_int_equal(gd_config_load_env(P("main.ini"), P("nodir"), g_noenv, &cfg, &err), GD_ENOENT);
    assert_msg(err, "nodir: cannot open directory");
    assert_zeroed(&cfg);
}

static void test_repeated_key_same_file(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 1\n[executor]\nfee_bps = 1\n[risk]\nrisk_pct = 2.5\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_true(cfg.risk_pct == 2.5);
    assert_true(cfg.fee_bps == 1);
    gd_config_free(&cfg);
}

/* --------------------------------------------------------- environment */

static void test_env_overrides(void **state)
{
    gd_config cfg;
    gd_err err;
    char *env[] = {"PATH=/usr/bin",
                   "GORDON_CONFIG=/etc/gordon/gordon.ini", /* the one GORDON_* that is not an override */
                   "GORDON_EXECUTOR_SL_REQUIRED=false",
                   "GORDON_EXECUTOR_MAX_NOTIONAL_USD_PROD= 250 ",
                   "GORDON_EXECUTOR_TESTNET=off",
                   "GORDON_RISK_RISK_PCT=2",
                   "GORDON_GORDON_INTENT_LOG=rel/intents.jsonl",
                   "GORDON_GORDON_LOG_LEVEL=DEBUG",
                   NULL};
    (void)state;
    W("main.ini", "[executor]\nsl_required = true\ntestnet = true\nmax_notional_usd_prod = 1000\n"
                  "[risk]\nrisk_pct = 1\n[gordon]\nintent_log = file.jsonl\n");
    assert_int_equal(load("main.ini", env, &cfg, &err), 0);
    assert_int_equal(cfg.sl_required, 0);
    assert_int_equal(cfg.testnet, 0);
    assert_true(cfg.max_notional_usd_prod == 250);
    assert_true(cfg.risk_pct == 2);
    assert_string_equal(cfg.intent_log, "rel/intents.jsonl"); /* env paths: relative to the cwd */
    assert_string_equal(cfg.log_level, "debug");
    gd_config_free(&cfg);

    /* Each of the three named executor variables on its own, over defaults. */
    {
        char *e1[] = {"GORDON_EXECUTOR_SL_REQUIRED=0", NULL};
        char *e2[] = {"GORDON_EXECUTOR_MAX_NOTIONAL_USD_PROD=12.5", NULL};
        char *e3[] = {"GORDON_EXECUTOR_TESTNET=no", NULL};
        assert_int_equal(load(NULL, e1, &cfg, &err), 0);
        assert_int_equal(cfg.sl_required, 0);
        assert_int_equal(cfg.testnet, 1);
        gd_config_free(&cfg);
        assert_int_equal(load(NULL, e2, &cfg, &err), 0);
        assert_true(cfg.max_notional_usd_prod == 12.5);
        assert_int_equal(cfg.sl_required, 1);
        gd_config_free(&cfg);
        assert_int_equal(load(NULL, e3, &cfg, &err), 0);
        assert_int_equal(cfg.testnet, 0);
        gd_config_free(&cfg);
    }
}

static void test_env_process_environ(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    /* gd_config_load reads the real environment. */
    assert_int_equal(setenv("GORDON_RISK_LEVERAGE", "3", 1), 0);
    assert_int_equal(gd_config_load(NULL, NULL, &cfg, &err), 0);
    assert_true(cfg.leverage == 3);
    gd_config_free(&cfg);
    assert_int_equal(unsetenv("GORDON_RISK_LEVERAGE"), 0);
}

static void test_env_errors(void **state)
{
    char *foo[] = {"GORDON_EXECUTOR_FOO=1", NULL};
    char *range[] = {"GORDON_RISK_RISK_PCT=6", NULL};
    char *mode[] = {"GORDON_GORDON_MODE=live", NULL};
    char *section[] = {"GORDON_RISKX_PCT=1", NULL};
    (void)state;
    /* A section that does not exist is a typo too, not someone else's variable. */
    expect_fail(NULL, section, GD_EINVAL, "env:GORDON_RISKX_PCT: names no configuration section");
    expect_fail(NULL, section, GD_EINVAL, "gordon, risk, executor, replay, http, fred");
    expect_fail(NULL, foo, GD_EINVAL, "env:GORDON_EXECUTOR_FOO: [executor] foo: unknown key (allowed: ");
    expect_fail(NULL, foo, GD_EINVAL, "sl_required, testnet");
    expect_fail(NULL, range, GD_ERANGE,
                "env:GORDON_RISK_RISK_PCT: [risk] risk_pct: 6 is out of range (allowed: > 0 and <= 5)");
    expect_fail(NULL, mode, GD_EINVAL, "env:GORDON_GORDON_MODE: [gordon] mode: 'live' is not a mode");
}

/* ---------------------------------------------------------- validation */

static void test_unknown_key(void **state)
{
    (void)state;
    W("main.ini", "; comment\n[risk]\nrisk_pct = 1\nrisk_pctt = 2\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "unknown key (allowed: equity, risk_pct, leverage");
    {
        char want[600];
        snprintf(want, sizeof want, "%s:4: [risk] risk_pctt: unknown key", P("main.ini"));
        expect_fail("main.ini", NULL, GD_EINVAL, want);
    }
    /* In a conf.d file, the message names that file and its line. */
    W("main.ini", "[risk]\nrisk_pct = 1\n");
    W("conf.d/20-x.ini", "\n\n[executor]\nfee_bps = 1\nsl_requird = true\n");
    {
        char want[600];
        snprintf(want, sizeof want, "%s:5: [executor] sl_requird: unknown key", P("conf.d/20-x.ini"));
        expect_fail("main.ini", NULL, GD_EINVAL, want);
    }
    /* Instrument sections have a fixed key set too. */
    W("conf.d/20-x.ini", "[instrument.BTCUSDT]\ntick_size = 0.1\nstep_size = 0.001\nlot = 1\n");
    expect_fail("main.ini", NULL, GD_EINVAL, ":4: [instrument.BTCUSDT] lot: unknown key (allowed: tick_size");
}

static void test_unknown_section(void **state)
{
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 1\n\n[riks]\nx = 1\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:4: [riks]: unknown section (allowed: gordon");
    /* Detected even when the section has no keys (inih never reports those). */
    W("main.ini", "[risk]\n[Strategy.x]\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [Strategy.x]: unknown section");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 0.5x\n");
    expect_fail("main.ini", NULL, GD_EINVAL,
                "main.ini:2: [risk] risk_pct: '0.5x' is not a number (allowed: > 0 and <= 5)");
    W("main.ini", "[risk]\nequity = \n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[risk] equity: '' is not a number");
    W("main.ini", "[executor]\nfee_bps = nan\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[executor] fee_bps: 'nan' is not a number");
    W("main.ini", "[executor]\nfee_bps = 0x10\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "'0x10' is not a number");
    W("main.ini", "[risk]\nequity = 1e999\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "'1e999' is not a number");
    /* Inline comments are stripped by inih, so this is fine. */
    {
        gd_config cfg;
        gd_err err;
        W("main.ini", "[risk]\nrisk_pct = 1.5 ; one and a half\nequity = 2e4\n");
        assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
        assert_true(cfg.risk_pct == 1.5);
        assert_true(cfg.equity == 20000);
        gd_config_free(&cfg);
    }
}

static void test_out_of_range(void **state)
{
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 6\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "main.ini:2: [risk] risk_pct: 6 is out of range (allowed: > 0 and <= 5)");
    W("main.ini", "[risk]\nrisk_pct = 0\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "risk_pct: 0 is out of range");
    W("main.ini", "[risk]\nmax_daily_notional_usd = -1\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "[risk] max_daily_notional_usd: -1 is out of range (allowed: >= 0)");
    W("main.ini", "[executor]\nmax_notional_usd_prod = -0.01\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "max_notional_usd_prod: -0.01 is out of range");
    W("main.ini", "[risk]\nleverage = 126\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "(allowed: >= 1 and <= 125)");
    W("main.ini", "[risk]\nmax_intents_per_sec = 0\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "max_intents_per_sec: 0 is out of range (allowed: > 0)");
    /* 0 is a legal cap (no entries). */
    {
        gd_config cfg;
        gd_err err;
        W("main.ini", "[risk]\nmax_order_notional_usd = 0\nrisk_pct = 5\n");
        assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
        assert_true(cfg.max_order_notional == 0);
        gd_config_free(&cfg);
    }
}

static void test_bools_and_enums(void **state)
{
    static const char *const t[] = {"true", "TRUE", "yes", "On", "1"};
    static const char *const f[] = {"false", "False", "no", "OFF", "0"};
    gd_config cfg;
    gd_err err;
    char buf[128];
    (void)state;
    for (size_t i = 0; i < 5; i++) {
        snprintf(buf, sizeof buf, "[executor]\ntestnet = %s\nsl_required = %s\n", f[i], t[i]);
        W("main.ini", buf);
        assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
        assert_int_equal(cfg.testnet, 0);
        assert_int_equal(cfg.sl_required, 1);
        gd_config_free(&cfg);
    }
    W("main.ini", "[executor]\ntestnet = maybe\n");
    expect_fail("main.ini", NULL, GD_EINVAL,
                "[executor] testnet: 'maybe' is not a boolean (allowed: true/false/yes/no/on/off/1/0)");
    W("main.ini", "[gordon]\nlog_level = verbose\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "(allowed: debug, info, warn, error)");
    W("main.ini", "[gordon]\nmode = TestNet\nlog_level = warn\nstate_dir = st\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.mode, GD_MODE_TESTNET);
    assert_string_equal(gd_mode_name(cfg.mode), "testnet");
    assert_string_equal(cfg.log_level, "warn");
    gd_config_free(&cfg);
    assert_string_equal(gd_mode_name(GD_MODE_BACKTEST), "backtest");
    assert_string_equal(gd_mode_name(GD_MODE_PRODUCTION), "production");
    assert_string_equal(gd_mode_name((gd_mode)7), "unknown");
}

static void test_production_rules(void **state)
{
    gd_config cfg;
    gd_err err;
    char want[600];
    (void)state;
    W("main.ini", "[gordon]\nmode = production\n[executor]\ntestnet = false\nsl_required = false\n");
    snprintf(want, sizeof want, "%s:5: [executor] sl_required: production refuses sl_required=false", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);

    /* Production chosen by the environment, sl_required=false in a file. */
    {
        char *env[] = {"GORDON_GORDON_MODE=production", NULL};
        W("main.ini", "[executor]\ntestnet = false\n");
        W("conf.d/50.ini", "[executor]\nsl_required = no\n");
        snprintf(want, sizeof want, "%s:2: [executor] sl_required: production refuses", P("conf.d/50.ini"));
        expect_fail("main.ini", env, GD_EINVAL, want);
        unlink(P("conf.d/50.ini"));
    }
    /* ... and the other way round. */
    {
        char *env[] = {"GORDON_EXECUTOR_SL_REQUIRED=false", NULL};
        W("main.ini", "[gordon]\nmode = production\n[executor]\ntestnet = false\n");
        expect_fail("main.ini", env, GD_EINVAL,
                    "env:GORDON_EXECUTOR_SL_REQUIRED: [executor] sl_required: production refuses");
    }
    /* Production with testnet left at its default (true) is refused, naming the mode's line. */
    W("main.ini", "[risk]\nrisk_pct = 1\n[gordon]\nmode = production\n");
    snprintf(want, sizeof want, "%s:4: [executor] testnet: mode = production needs testnet = false", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    /* mode = testnet with testnet = false is contradictory. */
    W("main.ini", "[gordon]\nmode = testnet\n[executor]\ntestnet = 0\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:4: [executor] testnet: mode = testnet needs testnet = true");

    /* Production trades on the venue, and a backtest never does. */
    W("main.ini", "[gordon]\nmode = production\nstate_dir = st\n[executor]\ntestnet = false\n");
    snprintf(want, sizeof want, "%s:2: [executor] kind: mode = production trades on the venue (allowed: venue)",
             P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    W("main.ini", "[executor]\nkind = venue\n");
    snprintf(want, sizeof want, "%s:2: [executor] kind: a backtest fills on replayed bars", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);

    /* Outside backtests the latch needs a state directory to survive restarts. */
    W("main.ini", "[gordon]\nmode = production\n[executor]\ntestnet = false\nsl_required = true\nkind = venue\n");
    snprintf(want, sizeof want, "%s:2: [gordon] state_dir: mode = production needs a state directory", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);

    /* Production trades on the venue's own bars. */
    W("main.ini",
      "[gordon]\nmode = production\nstate_dir = st\n[executor]\ntestnet = false\nsl_required = true\nkind = venue\n");
    snprintf(want, sizeof want, "%s:2: [market] source: mode = production trades on the venue's own bars",
             P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);

    /* Production trades at a live stage. */
    W("main.ini",
      "[gordon]\nmode = production\nstate_dir = st\n[executor]\ntestnet = false\nsl_required = true\nkind = venue\n"
      "[market]\nsource = venue\nsymbols = BTCUSDT, ETHUSDT\ninterval = 1h\n");
    snprintf(want, sizeof want, "%s:2: [gordon] stage: mode = production trades at a live stage (allowed: micro, full)",
             P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);

    /* The valid production set. */
    W("main.ini",
      "[gordon]\nmode = production\nstage = micro\nstate_dir = st\n[executor]\ntestnet = false\nsl_required = true\n"
      "kind = venue\n[market]\nsource = venue\nsymbols = BTCUSDT, ETHUSDT\ninterval = 1h\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    /* micro: $500, the caps the stage's defaults for it. */
    assert_int_equal(cfg.stage_rank, GD_STAGE_MICRO);
    assert_true(cfg.allocation_usd == 500 && cfg.max_order_notional == 1000 && cfg.max_gross_exposure == 1500 &&
                cfg.max_daily_notional == 10000 && cfg.max_notional_usd_prod == 1000);
    assert_int_equal(cfg.n_data, 2);
    assert_string_equal(cfg.data[1].symbol, "ETHUSDT");
    assert_null(cfg.data[1].path);
    assert_int_equal(cfg.market_interval_ms, 3600000);
    assert_int_equal(cfg.mode, GD_MODE_PRODUCTION);
    assert_int_equal(cfg.sl_required, 1);
    assert_int_equal(cfg.testnet, 0);
    gd_config_free(&cfg);
}

/* [market]: live bars need an interval and symbols, and no files. */
static void test_market_section(void **state)
{
    gd_config cfg;
    gd_err err;
    char want[512];
    (void)state;
    W("main.ini", "[market]\nsource = venue\nsymbols = BTCUSDT\n");
    snprintf(want, sizeof want, "%s:2: [market] interval: source = venue needs the bars' interval", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    W("main.ini", "[market]\nsource = venue\ninterval = 1m\n");
    snprintf(want, sizeof want, "%s:2: [market] symbols: source = venue needs the symbols", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    W("main.ini", "[market]\nsource = venue\ninterval = 1m\nsymbols = BTCUSDT, btc\n");
    snprintf(want, sizeof want, "%s:4: [market] symbols: 'btc' is not a venue symbol", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    W("main.ini", "[market]\nsource = venue\ninterval = 1m\nsymbols = BTCUSDT BTCUSDT\n");
    snprintf(want, sizeof want, "%s:4: [market] symbols: BTCUSDT is named twice", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    W("main.ini", "[market]\ninterval = 2m\n");
    snprintf(want, sizeof want, "%s:2: [market] interval", P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    W("data.csv", "open_time_ms,open,high,low,close,volume\n0,1,1,1,1,1\n60000,1,1,1,1,1\n");
    W("main.ini", "[replay]\ndata = BTCUSDT:data.csv\n[market]\nsource = venue\ninterval = 1m\nsymbols = BTCUSDT\n");
    snprintf(want, sizeof want, "%s:2: [replay] data: [market] source = venue takes its bars from the venue",
             P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    /* A replay may declare its interval too. */
    W("main.ini", "[replay]\ndata = BTCUSDT:data.csv\n[market]\ninterval = 5m\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.market_interval_ms, 300000);
    assert_int_equal(gd_config_live_market(&cfg), 0);
    assert_non_null(cfg.data[0].path);
    gd_config_free(&cfg);
    assert_int_equal(gd_interval_ms("1d"), 86400000);
    assert_int_equal(gd_interval_ms("7m"), 0);
}

/* ----------------------------------------------------------------- paths */

static void test_relative_paths(void **state)
{
    gd_config cfg;
    gd_err err;
    char want[600];
    (void)state;
    W("etc/main.ini", "[gordon]\n"
                      "intent_log = logs/intents.jsonl\n"
                      "state_dir = /var/lib/gordon\n"
                      "plugin_dir = plugins\n"
                      "[replay]\n"
                      "data = BTCUSDT:data/btc.csv,  ETHUSDT @ 4h : /abs/eth.csv\n"
                      "[strategy.a]\n"
                      "plugin = ./my/a.so\n"
                      "[overlay.b]\n"
                      "plugin = trend_filter\n"
                      "[breaker.c]\n"
                      "plugin = /opt/c.so\n");
    W("etc/conf.d/10.ini", "[strategy.d]\nplugin = ../shared/d.so\n[gordon]\nstate_dir = st\n");
    W("etc/plugins/trend_filter.so", ""); /* the resolver finds files that exist */
    assert_int_equal(load("etc/main.ini", NULL, &cfg, &err), 0);
    assert_string_equal(cfg.intent_log, P("etc/logs/intents.jsonl"));
    assert_string_equal(cfg.state_dir, P("etc/conf.d/st")); /* relative to the file that set it */
    assert_string_equal(cfg.plugin_dir, P("etc/plugins"));
    assert_int_equal(cfg.n_data, 2);
    assert_string_equal(cfg.data[0].symbol, "BTCUSDT");
    assert_string_equal(cfg.data[0].path, P("etc/data/btc.csv"));
    assert_string_equal(cfg.data[1].symbol, "ETHUSDT");
    assert_string_equal(cfg.data[1].path, "/abs/eth.csv");
    assert_int_equal(cfg.data[0].interval_ms, 0);
    assert_int_equal(cfg.data[1].interval_ms, 14400000);
    assert_int_equal(cfg.n_plugins, 4);
    assert_int_equal(cfg.plugins[0].kind, GORDON_KIND_STRATEGY);
    assert_string_equal(cfg.plugins[0].plugin, "./my/a.so");
    snprintf(want, sizeof want, "%s/./my/a.so", P("etc"));
    assert_string_equal(cfg.plugins[0].plugin_path, want);
    assert_string_equal(resolved(&cfg, 0), want);
    assert_int_equal(cfg.plugins[1].kind, GORDON_KIND_OVERLAY);
    assert_string_equal(cfg.plugins[1].plugin, "trend_filter");
    assert_null(cfg.plugins[1].plugin_path); /* a bare name: the resolver looks in plugin_dir */
    assert_string_equal(resolved(&cfg, 1), P("etc/plugins/trend_filter.so"));
    assert_int_equal(cfg.plugins[2].kind, GORDON_KIND_BREAKER);
    assert_string_equal(cfg.plugins[2].plugin_path, "/opt/c.so");
    assert_string_equal(cfg.plugins[3].name, "d");
    assert_string_equal(cfg.plugins[3].plugin_path, P("etc/conf.d/../shared/d.so"));
    gd_config_free(&cfg);

    /* Without plugin_dir a bare name stays a name and plugin_path stays NULL. */
    W("main.ini", "[strategy.s]\nplugin = ema_cross\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_string_equal(cfg.plugins[0].plugin, "ema_cross");
    assert_null(cfg.plugins[0].plugin_path);
    {
        char buf[256];
        assert_int_equal(gd_plugin_resolve(&cfg, &cfg.plugins[0], NULL, buf, sizeof buf, &err), GD_ENOENT);
        assert_non_null(strstr(err.msg, "main.ini:1: [strategy.s] plugin = ema_cross: no plugin directory"));
        W("d/ema_cross.so", "");
        const char *d[] = {P("d")};
        gd_plugin_dirs dirs = {d, 1, NULL};
        assert_int_equal(gd_plugin_resolve(&cfg, &cfg.plugins[0], &dirs, buf, sizeof buf, &err), 0);
        assert_string_equal(buf, P("d/ema_cross.so"));
    }
    gd_config_free(&cfg);

    /* plugin_dir from the environment applies to names from files. */
    {
        char envv[600];
        snprintf(envv, sizeof envv, "GORDON_GORDON_PLUGIN_DIR=%s", P("d"));
        char *env[] = {envv, NULL};
        assert_int_equal(load("main.ini", env, &cfg, &err), 0);
        assert_string_equal(resolved(&cfg, 0), P("d/ema_cross.so"));
        gd_config_free(&cfg);
    }
}

/* Bare plugin names are looked up in the command line's folders, then the
 * config's plugin_dir, then the bundled folder: the config's folder stacks
 * between them and never replaces the command line's. Folders are a list:
 * one whose path contains ':' is one folder. */
static void test_plugin_dirs_stack(void **state)
{
    gd_config cfg;
    gd_err err;
    char buf[1024], want[1024];
    (void)state;
    W("stack/main.ini", "[gordon]\nplugin_dir = cfgdir\n[strategy.s]\nplugin = x\n");
    assert_int_equal(load("stack/main.ini", NULL, &cfg, &err), 0);
    char cli1[512], cli2[512], bundled[512]; /* P() reuses its buffers */
    snprintf(cli1, sizeof cli1, "%s", P("cli1"));
    snprintf(cli2, sizeof cli2, "%s", P("c:li2"));
    snprintf(bundled, sizeof bundled, "%s", P("bundled"));
    const char *cli[] = {cli1, cli2};
    gd_plugin_dirs dirs = {cli, 2, bundled};
    const gd_plugin_conf *pc = &cfg.plugins[0];

    /* In no folder: every path tried, in order. */
    assert_int_equal(gd_plugin_resolve(&cfg, pc, &dirs, buf, sizeof buf, &err), GD_ENOENT);
    snprintf(want, sizeof want, "plugin = x: not found (tried %s/x.so, %s/x.so, %s/x.so, %s/x.so)", P("cli1"),
             P("c:li2"), P("stack/cfgdir"), P("bundled"));
    assert_non_null(strstr(err.msg, want));

    /* Each folder alone finds it; the earlier one wins once several hold it. */
    W("bundled/x.so", "");
    assert_int_equal(gd_plugin_resolve(&cfg, pc, &dirs, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, P("bundled/x.so"));
    W("stack/cfgdir/x.so", "");
    assert_int_equal(gd_plugin_resolve(&cfg, pc, &dirs, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, P("stack/cfgdir/x.so"));
    W("c:li2/x.so", "");
    assert_int_equal(gd_plugin_resolve(&cfg, pc, &dirs, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, P("c:li2/x.so"));
    W("cli1/x.so", "");
    assert_int_equal(gd_plugin_resolve(&cfg, pc, &dirs, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, P("cli1/x.so"));

    /* Without command-line folders the config's comes before the bundled. */
    gd_plugin_dirs only_bundled = {NULL, 0, bundled};
    assert_int_equal(gd_plugin_resolve(&cfg, pc, &only_bundled, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, P("stack/cfgdir/x.so"));
    gd_config_free(&cfg);
}

static void test_fixture_relative_to_cwd(void **state)
{
    /* Tests run from the repo root: a main file given relative to the cwd
     * yields paths relative to the cwd. */
    gd_config cfg;
    gd_err err;
    const gd_instrument *in;
    (void)state;
    assert_int_equal(gd_config_load_env("tests/fixtures/config/basic/gordon.ini", NULL, g_noenv, &cfg, &err), 0);
    assert_int_equal(cfg.n_files, 2);
    assert_string_equal(cfg.files[1], "tests/fixtures/config/basic/conf.d/50-local.ini");
    assert_string_equal(cfg.plugin_dir, "tests/fixtures/config/basic/plugins");
    assert_string_equal(cfg.intent_log, "tests/fixtures/config/basic/out/intents.jsonl");
    assert_string_equal(cfg.state_dir, "tests/fixtures/config/basic/conf.d/state");
    assert_true(cfg.risk_pct == 0.75);
    assert_int_equal(cfg.n_data, 1);
    assert_string_equal(cfg.data[0].path, "tests/fixtures/config/basic/../../../../data/sp500_1d_2000_2020.csv");
    assert_int_equal(access(cfg.data[0].path, R_OK), 0);
    in = gd_config_instrument(&cfg, "SPX");
    assert_non_null(in);
    assert_true(in->tick_size == 0.01);
    assert_true(in->step_size == 0.001);
    assert_true(in->min_qty == 0);
    assert_null(gd_config_instrument(&cfg, "NOPE"));
    assert_int_equal(cfg.n_plugins, 1);
    {
        /* The fixture ships no plugin: the resolver names where it looked. */
        char buf[512];
        assert_int_equal(gd_plugin_resolve(&cfg, &cfg.plugins[0], NULL, buf, sizeof buf, &err), GD_ENOENT);
        assert_non_null(strstr(err.msg, "(tried tests/fixtures/config/basic/plugins/ema_cross.so)"));
    }
    assert_int_equal(cfg.plugins[0].n_params, 1);
    assert_string_equal(cfg.plugins[0].params[0].key, "fast");
    assert_string_equal(cfg.plugins[0].params[0].value, "20");
    assert_string_equal(cfg.plugins[0].params[0].file, "tests/fixtures/config/basic/conf.d/50-local.ini");
    assert_int_equal(cfg.plugins[0].params[0].line, 9);
    gd_config_free(&cfg);
}

/* ----------------------------------------------------------- instruments */

static void test_instruments(void **state)
{
    gd_config cfg;
    gd_err err;
    char want[600];
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 1\n[instrument.BTCUSDT]\ntick_size = 0.1\n");
    snprintf(want, sizeof want, "%s:3: [instrument.BTCUSDT] step_size: missing (required; allowed: > 0)",
             P("main.ini"));
    expect_fail("main.ini", NULL, GD_EINVAL, want);
    /* Keys spread over files are merged before the check. */
    W("conf.d/1.ini", "[instrument.BTCUSDT]\nstep_size = 0.001\nmin_notional = 5\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.n_instruments, 1);
    assert_true(cfg.instruments[0].tick_size == 0.1);
    assert_true(cfg.instruments[0].step_size == 0.001);
    assert_true(cfg.instruments[0].min_notional == 5);
    gd_config_free(&cfg);
    unlink(P("conf.d/1.ini"));
    /* A header with no keys at all is still checked. */
    W("main.ini", "[instrument.ETHUSDT]\n\n[risk]\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:1: [instrument.ETHUSDT] tick_size: missing");
    W("main.ini", "[instrument.ETHUSDT]\ntick_size = 0\nstep_size = 1\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "tick_size: 0 is out of range (allowed: > 0)");
    W("main.ini", "[instrument.ETHUSDT]\ntick_size = 1\nstep_size = 1\nmin_qty = -1\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "min_qty: -1 is out of range (allowed: >= 0)");
}

static void test_bad_symbols(void **state)
{
    (void)state;
    W("main.ini", "[replay]\ndata = BTC/USD:x.csv\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [replay] data: bad symbol 'BTC/USD'");
    W("main.ini", "[replay]\ndata = x.csv\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[replay] data: 'x.csv' is not SYMBOL:path");
    W("main.ini", "[replay]\ndata = A:a.csv, B:\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[replay] data: empty path for B");
    W("main.ini", "[replay]\ndata = A:a.csv, B:b.csv, A:c.csv\n");
    expect_fail("main.ini", NULL, GD_EEXIST, "[replay] data: symbol A given twice");
    W("main.ini", "[replay]\ndata = A:a.csv,,B:b.csv\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[replay] data: empty item");
    W("main.ini", "[replay]\ndata = A@7m:a.csv\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [replay] data: A@7m: not an interval (allowed: 1s, 1m");
    W("main.ini", "[replay]\nirregular = drop\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [replay] irregular");
    W("main.ini", "[instrument.BTC USD]\ntick_size = 1\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[instrument.BTC USD]: bad symbol 'BTC USD'");
    W("main.ini", "[instrument.]\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[instrument.]: bad symbol ''");
    W("main.ini", "[strategy.s]\nplugin = x\nsymbols = A,,B\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:3: [strategy.s] symbols: empty item");
    W("main.ini", "[strategy.s]\nplugin = x\nsymbols = A, ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[strategy.s] symbols: bad symbol 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456'");
    W("main.ini", "[strategy.s]\nplugin = x\nsymbols = A, A\n");
    expect_fail("main.ini", NULL, GD_EEXIST, "[strategy.s] symbols: A given twice");
    W("main.ini", "[strategy.s]\nplugin = x\nsymbols =\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:3: [strategy.s] symbols: empty list");
}

/* --------------------------------------------------------------- plugins */

static void test_plugin_sections(void **state)
{
    gd_config cfg;
    gd_err err;
    char name63[64], buf[256];
    (void)state;
    W("main.ini", "[strategy.trend]\n"
                  "plugin = ema_cross\n"
                  "symbols = BTCUSDT, ETHUSDT\n"
                  "fast = 12\n"
                  "slow = 26\n"
                  "[breaker.dd]\n"
                  "plugin = drawdown\n"
                  "enabled = off\n");
    W("conf.d/10.ini", "\n[strategy.trend]\nslow = 30\nlabel = x ; comment\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.n_plugins, 2);
    {
        const gd_plugin_conf *pc = &cfg.plugins[0];
        assert_int_equal(pc->kind, GORDON_KIND_STRATEGY);
        assert_string_equal(pc->name, "trend");
        assert_int_equal(pc->enabled, 1);
        assert_string_equal(pc->file, P("main.ini"));
        assert_int_equal(pc->line, 1);
        assert_int_equal(pc->n_symbols, 2);
        assert_string_equal(pc->symbols[0], "BTCUSDT");
        assert_string_equal(pc->symbols[1], "ETHUSDT");
        assert_int_equal(pc->n_params, 3);
        assert_string_equal(pc->params[0].key, "fast");
        assert_string_equal(pc->params[0].value, "12");
        assert_string_equal(pc->params[0].file, P("main.ini"));
        assert_int_equal(pc->params[0].line, 4);
        assert_string_equal(pc->params[1].key, "slow"); /* later wins, first position kept */
        assert_string_equal(pc->params[1].value, "30");
        assert_string_equal(pc->params[1].file, P("conf.d/10.ini"));
        assert_int_equal(pc->params[1].line, 3);
        assert_string_equal(pc->params[2].key, "label");
        assert_string_equal(pc->params[2].value, "x");
    }
    assert_int_equal(cfg.plugins[1].kind, GORDON_KIND_BREAKER);
    assert_int_equal(cfg.plugins[1].enabled, 0);
    assert_int_equal(cfg.plugins[1].n_symbols, 0);
    assert_null(cfg.plugins[1].symbols);
    gd_config_free(&cfg);
    unlink(P("conf.d/10.ini"));

    /* Missing plugin = names the section header, even in a key-less section. */
    W("main.ini", "[risk]\nrisk_pct = 1\n[overlay.vol]\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:3: [overlay.vol] plugin: missing (required");
    W("main.ini", "[overlay.vol]\nplugin = vol_filter.so\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [overlay.vol] plugin: bad plugin 'vol_filter.so'");
    W("main.ini", "[overlay.vol]\nplugin =\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[overlay.vol] plugin: bad plugin ''");
    W("main.ini", "[strategy.Trend]\nplugin = x\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[strategy.Trend]: bad instance name 'Trend'");
    W("main.ini", "[strategy.]\nplugin = x\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "[strategy.]: bad instance name ''");
    W("main.ini", "[strategy.x]\nplugin = a\n[overlay.x]\nplugin = b\n");
    expect_fail("main.ini", NULL, GD_EEXIST, "main.ini:3: [overlay.x]: instance name 'x' is already used");
    W("main.ini", "[strategy.x]\nplugin = a\nenabled = perhaps\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:3: [strategy.x] enabled: 'perhaps' is not a boolean");

    /* 63-character names work (inih alone would truncate the section to 49). */
    memset(name63, 'n', 63);
    name63[63] = '\0';
    snprintf(buf, sizeof buf, "[strategy.%s]\nplugin = a\nk = v\n", name63);
    W("main.ini", buf);
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.n_plugins, 1);
    assert_string_equal(cfg.plugins[0].name, name63);
    assert_int_equal(cfg.plugins[0].n_params, 1);
    gd_config_free(&cfg);
    snprintf(buf, sizeof buf, "[strategy.%sn]\nplugin = a\n", name63);
    W("main.ini", buf);
    expect_fail("main.ini", NULL, GD_EINVAL, "bad instance name");
}

/* ------------------------------------------------------- syntax, lines */

static void test_syntax(void **state)
{
    char buf[400];
    (void)state;
    W("main.ini", "[risk]\nrisk_pct = 1\n[executor\nfee_bps = 1\n");
    expect_fail("main.ini", NULL, GD_EPARSE, "main.ini:3: syntax error: '[' without ']'");
    W("main.ini", "[risk]\n\nrisk_pct 1\n");
    expect_fail("main.ini", NULL, GD_EPARSE, "main.ini:3: syntax error: expected key = value");
    W("main.ini", "risk_pct = 1\n[risk]\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:1: risk_pct: key outside any section");
    W("main.ini", "[risk]\n= 1\n");
    expect_fail("main.ini", NULL, GD_EPARSE, "main.ini:2: empty key");
    /* inih's line buffer is 200 bytes: longer lines are refused, not split. */
    snprintf(buf, sizeof buf, "[strategy.s]\nplugin = x\nlabel = %0300d\n", 7);
    W("main.ini", buf);
    expect_fail("main.ini", NULL, GD_EPARSE, "main.ini:3: line too long");
    /* CRLF line endings and a UTF-8 BOM are fine. */
    {
        gd_config cfg;
        gd_err err;
        W("main.ini", "\xEF\xBB\xBF[risk]\r\nrisk_pct = 2\r\n");
        assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
        assert_true(cfg.risk_pct == 2);
        gd_config_free(&cfg);
    }
}

/* A stage's allocation, risk per trade and caps within its bounds. */
static void test_stage_bounds(void **state)
{
    (void)state;
    gd_config cfg;
    gd_err err;
    W("main.ini", "[gordon]\nmode = testnet\nstate_dir = st\nstage = micro\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:4: [gordon] stage: mode = testnet is the testnet stage");
    W("main.ini", "[gordon]\nstage = micro\n[risk]\nallocation_usd = 600\n");
    expect_fail("main.ini", NULL, GD_ERANGE,
                "main.ini:4: [risk] allocation_usd: 600 is more than stage micro allows (allowed: at most 500)");
    W("main.ini", "[gordon]\nstage = micro\n[risk]\nrisk_pct = 1.5\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "main.ini:4: [risk] risk_pct: 1.5 is more than stage micro allows");
    W("main.ini", "[gordon]\nstage = micro\n[risk]\nallocation_usd = 400\nmax_order_notional_usd = 1300\n");
    expect_fail("main.ini", NULL, GD_ERANGE,
                "main.ini:5: [risk] max_order_notional_usd: 1300 is more than stage micro allows for an allocation of "
                "400 (allowed: at most 1200)");
    W("main.ini", "[gordon]\nstage = full\n[risk]\nallocation_usd = 6000\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "[risk] allocation_usd: 6000 is more than stage full allows (allowed: at "
                                             "most 5000, [risk] allocation_max_usd)");
    W("main.ini", "[gordon]\nstage = full\n[risk]\nallocation_usd = 6000\nallocation_max_usd = 8000\nrisk_pct = 2\n"
                  "max_daily_notional_usd = 300000\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_true(cfg.allocation_usd == 6000 && cfg.max_daily_notional == 300000 && cfg.max_order_notional == 12000);
    gd_config_free(&cfg);
    /* full without an allocation: $2,000. testnet: bounds nothing. */
    W("main.ini", "[gordon]\nstage = full\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_true(cfg.allocation_usd == 2000 && cfg.max_order_notional == 4000);
    gd_config_free(&cfg);
    W("main.ini", "[gordon]\nmode = testnet\nstate_dir = st\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_true(cfg.stage_rank == GD_STAGE_TESTNET && cfg.allocation_usd == 0 && cfg.max_order_notional == 50000);
    gd_config_free(&cfg);
}

/* unknown_positions = adopt needs a strategy to hold the position and a stop. */
static void test_venue_adopt_needs_strategy_and_stop(void **state)
{
    (void)state;
    W("main.ini", "[venue]\nunknown_positions = adopt\nadopt_stop_pct = 2\n[strategy.s]\nplugin = x\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [venue] adopt_strategy: unknown_positions = adopt needs");
    W("main.ini",
      "[venue]\nunknown_positions = adopt\nadopt_strategy = t\nadopt_stop_pct = 2\n[strategy.s]\nplugin = x\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:3: [venue] adopt_strategy: unknown_positions = adopt needs");
    W("main.ini", "[venue]\nunknown_positions = adopt\nadopt_strategy = s\n[strategy.s]\nplugin = x\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [venue] adopt_stop_pct: unknown_positions = adopt needs");
    W("main.ini", "[venue]\nadopt_stop_pct = 60\n");
    expect_fail("main.ini", NULL, GD_ERANGE, "main.ini:2: [venue] adopt_stop_pct: 60 is out of range");
    gd_config cfg;
    gd_err err;
    W("main.ini", "[venue]\nunknown_positions = adopt\nadopt_strategy = s\nadopt_stop_pct = 2\nstartup_ms = 5000\n"
                  "[strategy.s]\nplugin = x\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_string_equal(cfg.venue_adopt_strategy, "s");
    assert_true(cfg.venue_adopt_stop_pct == 2 && cfg.venue_startup_ms == 5000);
    gd_config_free(&cfg);
}

static void test_continuation_lines(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    /* Lists may go on on indented lines; the first line may be empty. */
    W("main.ini", "[replay]\n"
                  "data =\n"
                  "    A:a.csv,\n"
                  "    B:b.csv\n"
                  "  ; a comment between\n"
                  "    C:c.csv\n"
                  "[strategy.s]\n"
                  "plugin = x\n"
                  "symbols = A,\n"
                  "  B, C\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.n_data, 3);
    assert_string_equal(cfg.data[2].symbol, "C");
    assert_string_equal(cfg.data[2].path, P("c.csv"));
    assert_int_equal(cfg.plugins[0].n_symbols, 3);
    gd_config_free(&cfg);

    /* A later data = replaces the whole list. */
    W("conf.d/1.ini", "[replay]\ndata = Z:z.csv\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.n_data, 1);
    assert_string_equal(cfg.data[0].path, P("conf.d/z.csv"));
    gd_config_free(&cfg);
    unlink(P("conf.d/1.ini"));

    /* Errors on a continuation line name that line. */
    W("main.ini", "[replay]\ndata = A:a.csv,\n  B:b.csv,\n  A:x.csv\n");
    expect_fail("main.ini", NULL, GD_EEXIST, "main.ini:4: [replay] data: symbol A given twice");
    /* Indented keys after a key are continuations, which scalar keys refuse. */
    W("main.ini", "[risk]\n  risk_pct = 1\n  leverage = 2\n");
    expect_fail("main.ini", NULL, GD_EPARSE, "main.ini:3: [risk] risk_pct: indented line continues");
    W("main.ini", "[strategy.s]\nplugin = x\nfast = 1\n  2\n");
    expect_fail("main.ini", NULL, GD_EPARSE, "main.ini:4: [strategy.s] fast: indented line continues");
    /* A data list that ends up empty is an error, not "no data". */
    W("main.ini", "[replay]\ndata =\n");
    expect_fail("main.ini", NULL, GD_EINVAL, "main.ini:2: [replay] data: empty list");
}

static void test_nothing_half_applied(void **state)
{
    gd_config cfg;
    gd_err err;
    (void)state;
    /* Lots of valid state is built before the error in the last file. */
    W("main.ini", "[gordon]\nplugin_dir = p\nintent_log = i\nstate_dir = s\nlog_level = debug\n"
                  "[replay]\ndata = A:a.csv, B:b.csv\n"
                  "[instrument.A]\ntick_size = 1\nstep_size = 1\n"
                  "[strategy.s]\nplugin = x\nsymbols = A\nk = v\n");
    W("conf.d/1.ini", "[risk]\nrisk_pct = 1\n");
    W("conf.d/2.ini", "[risk]\nrisk_pct = 9\n");
    assert_int_equal(load("main.ini", NULL, &cfg, &err), GD_ERANGE); /* load() checks zeroing */
    assert_msg(err, "conf.d/2.ini:2:");
    /* Same with an environment error after all files were read. */
    {
        char *env[] = {"GORDON_REPLAY_DATAS=x", NULL};
        unlink(P("conf.d/2.ini"));
        assert_int_equal(load("main.ini", env, &cfg, &err), GD_EINVAL);
        assert_msg(err, "env:GORDON_REPLAY_DATAS: [replay] datas: unknown key (allowed: data, bars_per_sec, "
                        "max_file_mb, trade_from_ms, irregular)");
    }
    /* And with an error found only when finishing (cross-field). */
    {
        char *env[] = {"GORDON_GORDON_MODE=production", NULL};
        assert_int_equal(load("main.ini", env, &cfg, &err), GD_EINVAL);
    }
    /* The same files load fine otherwise; free is leak-checked by ASan. */
    assert_int_equal(load("main.ini", NULL, &cfg, &err), 0);
    assert_int_equal(cfg.n_files, 2);
    gd_config_free(&cfg);
    assert_zeroed(&cfg);
    gd_config_free(&cfg); /* idempotent on a zeroed struct */
}

/* ------------------------------------------------------------ reload diff */

static void test_diff(void **state)
{
    gd_config a, b;
    gd_err err;
    char buf[512], restart[256];
    (void)state;
    W("a/main.ini", "[risk]\nrisk_pct = 0.5\nequity = 1000\n[instrument.BTCUSDT]\ntick_size = 0.1\n"
                    "step_size = 0.001\n[strategy.s1]\nplugin = ema_cross\nfast = 5\n"
                    "[overlay.o1]\nplugin = trend_filter\n");
    W("b/main.ini", "[risk]\nrisk_pct = 1\nequity = 2000\n[instrument.BTCUSDT]\ntick_size = 0.5\n"
                    "step_size = 0.001\n[strategy.s1]\nplugin = ema_cross\nfast = 6\n"
                    "[breaker.k1]\nplugin = drawdown\n");
    assert_int_equal(load("a/main.ini", NULL, &a, &err), 0);
    assert_int_equal(load("b/main.ini", NULL, &b, &err), 0);

    assert_int_equal(gd_config_diff(&a, &a, buf, sizeof buf, restart, sizeof restart), 0);
    assert_string_equal(buf, "");
    assert_string_equal(restart, "");

    assert_int_equal(gd_config_diff(&a, &b, buf, sizeof buf, restart, sizeof restart), 6);
    assert_string_equal(buf, "[risk] equity, [risk] risk_pct, [instrument.BTCUSDT], [strategy.s1] fast, "
                             "[breaker.k1] added, [overlay.o1] removed");
    assert_string_equal(restart, "[risk] equity"); /* the starting equity needs a restart */
    /* restart may be NULL; a short buffer is cut, never overrun. */
    char tiny[8];
    assert_int_equal(gd_config_diff(&b, &a, tiny, sizeof tiny, NULL, 0), 6);
    assert_true(strlen(tiny) < sizeof tiny);
    gd_config_free(&a);
    gd_config_free(&b);
}

/* The reload line names the plugin parameters that changed, not just the section. */
static void test_diff_reload_names_plugin_params(void **state)
{
    gd_config a, b;
    gd_err err;
    char buf[512];
    (void)state;
    W("a/main.ini", "[strategy.rsi]\nplugin = ema_cross\nfast = 5\nslow = 20\nstop_atr = 2\n");
    W("b/main.ini", "[strategy.rsi]\nplugin = ema_cross\nsymbols = SPX\nfast = 7\nslow = 20\n");
    assert_int_equal(load("a/main.ini", NULL, &a, &err), 0);
    assert_int_equal(load("b/main.ini", NULL, &b, &err), 0);
    assert_int_equal(gd_config_diff(&a, &b, buf, sizeof buf, NULL, 0), 1);
    assert_string_equal(buf, "[strategy.rsi] symbols, [strategy.rsi] fast, [strategy.rsi] stop_atr (removed)");
    gd_config_free(&a);
    gd_config_free(&b);
}

/* argv[1], if given, is a cmocka test-name filter (tests/config.cmake runs
 * the reload-diff tests alone under the name config_reload_diff). */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_reload_names_plugin_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confd_later_wins, setup, teardown),
        cmocka_unit_test(test_confd_dir),
        cmocka_unit_test_setup_teardown(test_confd_lexical_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explicit_confd_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_key_same_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_process_environ, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bools_and_enums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_production_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_market_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_dirs_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fixture_relative_to_cwd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instruments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_symbols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_continuation_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_venue_adopt_needs_strategy_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_half_applied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
