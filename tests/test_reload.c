/* Reloads are transactions (gd_engine_reload): all of the new set or none of
 * it. A refused reload leaves the running set trading exactly as if nothing
 * had been tried; an accepted one keeps positions, stops and the latch, and
 * carries each plugin's state over so the record does not move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "base/buf.h"
#include "base/log.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/intentlog.h"

#define HOUR 3600000LL
#define NBARS 600

static char tmpdir[256];
static gordon_bar bars_a[NBARS], bars_b[NBARS];

static const char *env_or(const char *k, const char *d)
{
    const char *v = getenv(k);
    return v && *v ? v : d;
}

/* Every intent, formatted as the intent log would write it. */
static int rec_record(void *self, const gd_intent *it, const char *strategy, const char *symbol)
{
    char line[2048];
    gd_intent_format(line, sizeof line, it, strategy, symbol);
    return gd_buf_printf(self, "%s\n", line);
}
static int rec_flush(void *self, gd_err *err)
{
    (void)self;
    (void)err;
    return 0;
}
static void rec_close(void *self) { (void)self; }
static const gd_intentlog_ops rec_ops = {rec_record, rec_flush, rec_close};

static void walk(gordon_bar *b, size_t n, uint64_t seed, double px)
{
    int64_t t = 1600000000000LL / HOUR * HOUR;
    for (size_t i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double r = ((double)(seed % 2001) - 1000.0) / 100000.0 * 1.5;
        double o = px, c = px * (1 + r);
        b[i] = (gordon_bar){t, t + HOUR, o, (o > c ? o : c) * 1.003, (o < c ? o : c) * 0.997, c, 10};
        t += HOUR;
        px = c;
    }
}

/* A config file in tmpdir; strategies is the text after the common part. */
static gd_config *load(const char *name, const char *strategies)
{
    char ini[4096], path[512];
    snprintf(ini, sizeof ini,
             "[risk]\nequity = 100000\nrisk_pct = 1\nmax_order_notional_usd = 1000000\n"
             "max_daily_notional_usd = 100000000\nmax_gross_exposure_usd = 10000000\n"
             "max_intents_per_sec = 100\nmax_intents_per_sec_strategy = 100\n"
             "[instrument.AAA]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[instrument.BBB]\ntick_size = 0.01\nstep_size = 0.001\n%s",
             strategies);
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    gd_config *cfg = calloc(1, sizeof *cfg);
    gd_err err;
    assert_non_null(cfg);
    if (gd_config_load(path, NULL, cfg, &err) != 0)
        fail_msg("%s", err.msg);
    return cfg;
}

static gd_engine *engine(const gd_config *cfg, gd_buf *log)
{
    static const char *const syms[] = {"AAA", "BBB"};
    gd_engine_opts o;
    gd_engine *e;
    gd_err err;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.symbols = syms;
    o.n_symbols = 2;
    o.plugin_dirs.last = env_or("GD_PLUGIN_DIR", "build/plugins");
    if (gd_engine_new(&o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    gd_engine_set_intentlog(e, (gd_intentlog){&rec_ops, log});
    return e;
}

static void feed(gd_engine *e, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        gd_engine_on_bar(e, 0, &bars_a[i]);
        gd_engine_on_bar(e, 1, &bars_b[i]);
    }
}

static const char *strategies_ema(void)
{
    static char s[1024];
    snprintf(s, sizeof s,
             "[strategy.ema]\nplugin = ema_cross\nfast = 8\nslow = 21\natr_period = 14\natr_mult = 2\n"
             "[strategy.long]\nplugin = %s/always_long.so\n",
             env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins"));
    return s;
}

/* The reference: the whole walk with no reload at all. */
static char *reference_run(void)
{
    gd_buf log = GD_BUF_INIT;
    gd_config *cfg = load("ref.ini", strategies_ema());
    gd_engine *e = engine(cfg, &log);
    feed(e, 0, NBARS);
    gd_engine_free(e);
    gd_config_free(cfg);
    free(cfg);
    char *s = gd_buf_take(&log);
    assert_non_null(s);
    assert_true(strstr(s, "\"result\":\"accepted\"") != NULL); /* it traded: the comparison means something */
    return s;
}

/* Each refused reload changes nothing: same intents, same config, same
 * positions, and the failure is counted. */
static void test_refused_reloads_change_nothing(void **state)
{
    (void)state;
    char *want = reference_run();
    const char *tp = env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins");
    char broken[5][1024];
    /* A plugin whose create() fails after the others were built. */
    snprintf(broken[0], sizeof broken[0], "%s[strategy.late]\nplugin = %s/create_fails.so\n", strategies_ema(), tp);
    /* A plugin file that does not exist. */
    snprintf(broken[1], sizeof broken[1], "%s[overlay.ghost]\nplugin = %s/no_such_plugin.so\n", strategies_ema(),
             tp);
    /* Two libraries with one descriptor name. */
    snprintf(broken[2], sizeof broken[2], "%s[strategy.d1]\nplugin = %s/dup_name_a.so\n[strategy.d2]\nplugin = %s/dup_name_b.so\n",
             strategies_ema(), tp, tp);
    /* A parameter the plugin refuses. */
    snprintf(broken[3], sizeof broken[3],
             "[strategy.ema]\nplugin = ema_cross\nfast = 8\nslow = 21\natr_period = 14\natr_mult = 2\n"
             "[strategy.long]\nplugin = %s/always_long.so\nrisk_scale = 7\n",
             tp);
    /* A key that needs a restart. */
    snprintf(broken[4], sizeof broken[4], "[gordon]\nstate_dir = %s\n%s", tmpdir, strategies_ema());

    gd_buf log = GD_BUF_INIT;
    gd_config *cfg = load("run.ini", strategies_ema());
    gd_engine *e = engine(cfg, &log);
    size_t at = 0;
    for (int k = 0; k < 5; k++) {
        size_t next = (size_t)(k + 1) * (NBARS / 6);
        feed(e, at, next);
        at = next;
        uint32_t open = gd_engine_book(e)->open_count;
        double equity = gd_engine_book(e)->equity;
        uint64_t failed = gd_engine_counters_get(e)->reloads_failed;
        char name[32], summary[2048];
        gd_err err;
        snprintf(name, sizeof name, "broken%d.ini", k);
        gd_config *bad = load(name, broken[k]);
        assert_int_not_equal(gd_engine_reload(e, bad, summary, sizeof summary, &err), 0); /* takes bad */
        assert_true(err.msg[0] != '\0');
        assert_ptr_equal(gd_engine_config(e), cfg);
        assert_int_equal(gd_engine_counters_get(e)->reloads_failed, failed + 1);
        assert_int_equal(gd_engine_book(e)->open_count, open);
        assert_true(gd_engine_book(e)->equity == equity);
    }
    feed(e, at, NBARS);
    assert_int_equal(gd_engine_counters_get(e)->reloads_ok, 0);
    gd_engine_free(e);
    gd_config_free(cfg);
    free(cfg);
    char *got = gd_buf_take(&log);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

/* An accepted reload of the same plugins (new config objects each time)
 * carries indicator state over by snapshot/restore: the intents are those of
 * a run that never reloaded. */
static void test_accepted_reloads_keep_the_record(void **state)
{
    (void)state;
    char *want = reference_run();
    gd_buf log = GD_BUF_INIT;
    gd_config *cfg = load("run2.ini", strategies_ema());
    gd_engine *e = engine(cfg, &log);
    for (size_t at = 0; at < NBARS; at += NBARS / 10) {
        feed(e, at, at + NBARS / 10);
        char summary[2048];
        gd_err err;
        if (gd_engine_reload(e, load("same.ini", strategies_ema()), summary, sizeof summary, &err) != 0)
            fail_msg("%s", err.msg);
        assert_non_null(strstr(summary, "plugins unchanged"));
    }
    assert_int_equal(gd_engine_counters_get(e)->reloads_ok, 10);
    gd_engine_free(e);
    gd_config_free(cfg);
    free(cfg);
    char *got = gd_buf_take(&log);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

/* Removing a strategy orphans its positions with their stops; adding one
 * gives it a new slot; the latch survives both. */
static void test_reload_orphans_and_latch(void **state)
{
    (void)state;
    gd_buf log = GD_BUF_INIT;
    gd_config *cfg = load("o.ini", strategies_ema());
    gd_engine *e = engine(cfg, &log);
    feed(e, 0, 50);
    assert_true(gd_engine_book(e)->open_count > 0);
    (void)gd_engine_halt(e, "operator:test", "before reload", NULL);
    uint32_t slot_long = UINT32_MAX;
    for (uint32_t k = 0; k < gd_engine_slot_count(e); k++)
        if (!strcmp(gd_engine_slot_name(e, k), "long"))
            slot_long = k;
    assert_int_not_equal(slot_long, UINT32_MAX);
    const gd_position *p = gd_book_pos(gd_engine_book(e), slot_long, 0);
    assert_int_equal(p->side, GORDON_SIDE_LONG);
    double stop = p->stop;

    char summary[2048];
    gd_err err;
    char only_ema[512];
    snprintf(only_ema, sizeof only_ema,
             "[strategy.ema]\nplugin = ema_cross\nfast = 8\nslow = 21\natr_period = 14\natr_mult = 2\n"
             "[strategy.long2]\nplugin = %s/always_long.so\n",
             env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins"));
    if (gd_engine_reload(e, load("o2.ini", only_ema), summary, sizeof summary, &err) != 0)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(summary, "+strategy.long2"));
    assert_non_null(strstr(summary, "-strategy.long"));
    assert_true(gd_engine_halted(e));
    assert_true(gd_engine_slot_orphaned(e, slot_long));
    assert_int_equal(gd_engine_slot_count(e), 3); /* ema, long (orphaned), long2 */
    p = gd_book_pos(gd_engine_book(e), slot_long, 0);
    assert_int_equal(p->side, GORDON_SIDE_LONG);
    assert_true(p->stop == stop);
    /* The orphan's stop still works: a crash far below it closes it. */
    gordon_bar crash = bars_a[50];
    crash.open = crash.high = stop * 0.5;
    crash.low = crash.close = stop * 0.4;
    gd_engine_on_bar(e, 0, &crash);
    assert_int_equal(gd_book_pos(gd_engine_book(e), slot_long, 0)->side, GORDON_SIDE_NONE);
    gd_engine_free(e);
    gd_config_free(cfg);
    free(cfg);
    gd_buf_free(&log);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char b[65536];
    size_t n;
    while ((n = fread(b, 1, sizeof b, in)) > 0)
        assert_int_equal(fwrite(b, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Plugin folders stack at start and at every reload alike: the command
 * line's first, then [gordon] plugin_dir of the config being loaded, then
 * the bundled one. The config's folder holds a 'mine' that refuses to start
 * (found first, the start or the reload fails) and an 'other' found nowhere
 * else; its path has a ':', which a joined list would split. */
static void test_reload_plugin_dirs_stack(void **state)
{
    (void)state;
    const char *tp = env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins");
    char cli[512], cfgdir[512], from[512], to[600];
    snprintf(cli, sizeof cli, "%s/cli", tmpdir);
    snprintf(cfgdir, sizeof cfgdir, "%s/cfg:dir", tmpdir);
    assert_int_equal(mkdir(cli, 0755), 0);
    assert_int_equal(mkdir(cfgdir, 0755), 0);
    snprintf(from, sizeof from, "%s/always_long.so", tp);
    snprintf(to, sizeof to, "%s/mine.so", cli);
    copy_file(from, to);
    snprintf(from, sizeof from, "%s/create_fails.so", tp);
    snprintf(to, sizeof to, "%s/mine.so", cfgdir);
    copy_file(from, to);
    snprintf(from, sizeof from, "%s/good_strategy.so", tp);
    snprintf(to, sizeof to, "%s/other.so", cfgdir);
    copy_file(from, to);

    char ini[2048];
    snprintf(ini, sizeof ini, "[gordon]\nplugin_dir = %s\n[strategy.m]\nplugin = mine\n", cfgdir);
    gd_config *cfg = load("dirs1.ini", ini);
    const char *first[] = {cli};
    gd_engine_opts o;
    gd_engine *e;
    gd_err err;
    gd_buf log = GD_BUF_INIT;
    static const char *const syms[] = {"AAA", "BBB"};
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.symbols = syms;
    o.n_symbols = 2;
    o.plugin_dirs = (gd_plugin_dirs){first, 1, env_or("GD_PLUGIN_DIR", "build/plugins")};
    if (gd_engine_new(&o, &e, &err) != 0)
        fail_msg("start: %s", err.msg);
    gd_engine_set_intentlog(e, (gd_intentlog){&rec_ops, &log});
    feed(e, 0, 20);

    /* mine from the command line's folder, other from the config's,
     * ema_cross from the bundled one. */
    snprintf(ini, sizeof ini,
             "[gordon]\nplugin_dir = %s\n[strategy.m]\nplugin = mine\n[strategy.o]\nplugin = other\n"
             "[strategy.ema]\nplugin = ema_cross\n",
             cfgdir);
    char summary[2048];
    if (gd_engine_reload(e, load("dirs2.ini", ini), summary, sizeof summary, &err) != 0)
        fail_msg("reload: %s", err.msg);
    assert_non_null(strstr(summary, "+strategy.o"));
    assert_non_null(strstr(summary, "+strategy.ema"));
    feed(e, 20, 40);
    gd_engine_free(e);
    gd_config_free(cfg);
    free(cfg);
    gd_buf_free(&log);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(gd_test_tmpdir(tmpdir, sizeof tmpdir, NULL, "gd_test_reload"), 0);
    setenv("TMPDIR", tmpdir, 1); /* the library cache's private copies go here */
    gd_log_init(stderr, GD_LOG_OFF);
    walk(bars_a, NBARS, 0x1234, 100.0);
    walk(bars_b, NBARS, 0x9876, 40.0);
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
        cmocka_unit_test(test_refused_reloads_change_nothing),
        cmocka_unit_test(test_accepted_reloads_keep_the_record),
        cmocka_unit_test(test_reload_orphans_and_latch),
        cmocka_unit_test(test_reload_plugin_dirs_stack),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
