/* The engine with real .so plugins: a hostile strategy's garbage never
 * becomes an order outside the rules, the halt latch holds, and setup errors
 * are named. */
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

#include "config/config.h"
#include "engine/engine.h"
#include "base/log.h"

#define DAY 86400000LL

static char tmpdir[256];

static const char *env_or(const char *k, const char *d)
{
    const char *v = getenv(k);
    return v && *v ? v : d;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

typedef struct capture {
    double order_cap, daily_cap, gross_cap;
    int64_t halt_after;     /* no accepted entry at or after this time */
    double day_used[4096];
    int64_t first_day;
    uint64_t n, accepted_entries, accepted_exits, after_halt_exits;
    uint64_t by_result[GORDON_REJECT__COUNT];
} capture;

static int cap_record(void *self, const gd_intent *it, const char *strategy, const char *symbol)
{
    capture *c = self;
    (void)strategy;
    (void)symbol;
    c->n++;
    assert_true(it->result >= 0 && it->result < GORDON_REJECT__COUNT);
    c->by_result[it->result]++;
    if (it->result != GORDON_ACCEPTED) {
        assert_true(it->qty == 0.0);
        return 0;
    }
    if (it->action == GORDON_ACTION_EXIT) {
        c->accepted_exits++;
        if (it->time_ms >= c->halt_after)
            c->after_halt_exits++;
        return 0;
    }
    assert_int_equal(it->action, GORDON_ACTION_ENTRY);
    c->accepted_entries++;
    assert_true(it->time_ms < c->halt_after);
    assert_true(isfinite(it->entry) && it->entry > 0);
    assert_true(isfinite(it->stop));
    if (it->side == GORDON_SIDE_LONG)
        assert_true(it->stop > 0 && it->stop < it->entry);
    else
        assert_true(it->side == GORDON_SIDE_SHORT && it->stop > it->entry);
    assert_true(isfinite(it->qty) && it->qty > 0);
    assert_true(it->notional <= c->order_cap);
    if (c->first_day < 0)
        c->first_day = it->time_ms / DAY;
    int64_t d = it->time_ms / DAY - c->first_day;
    assert_true(d >= 0 && d < 4096);
    c->day_used[d] += it->notional;
    assert_true(c->day_used[d] <= c->daily_cap * (1 + 1e-12));
    return 0;
}
static int cap_flush(void *self, gd_err *err)
{
    (void)self;
    (void)err;
    return 0;
}
static void cap_close(void *self) { (void)self; }
static const gd_intentlog_ops cap_ops = {cap_record, cap_flush, cap_close};

static gordon_bar *walk(size_t n, uint64_t seed)
{
    gordon_bar *b = calloc(n, sizeof *b);
    double px = 100.0;
    int64_t t = 1600000000000LL / DAY * DAY;
    for (size_t i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double r = ((double)(seed % 2001) - 1000.0) / 100000.0; /* +-1% */
        double o = px, c = px * (1 + r);
        b[i] = (gordon_bar){t, t + 3600000, o, fmax(o, c) * 1.002, fmin(o, c) * 0.998, c, 10};
        t += 3600000;
        px = c;
    }
    return b;
}

/* Runs two hostile strategies and a breaker tripping at halt_at over two
 * random walks. Returns the engine's stats; *open_at records, for each bar
 * index, how many positions were open before it. */
static void hostile_run(const gordon_bar *a, const gordon_bar *b, size_t nbars, int64_t halt_at,
                        capture *c, uint32_t *open_before, gd_engine_stats *st)
{
    char ini[4096], path[512];
    const char *dir = env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins");
    snprintf(ini, sizeof ini,
             "[risk]\nequity = 50000\nrisk_pct = 2\nmax_order_notional_usd = 3000\n"
             "max_daily_notional_usd = 20000\nmax_gross_exposure_usd = 15000\n"
             "max_intents_per_sec = 3\nmax_intents_per_sec_strategy = 2\n"
             "[instrument.AAA]\ntick_size = 0.01\nstep_size = 0.001\nmin_qty = 0.001\nmin_notional = 5\n"
             "[instrument.BBB]\ntick_size = 0.1\nstep_size = 1\nmin_qty = 1\nmin_notional = 10\n"
             "[strategy.evil]\nplugin = %s/hostile_strategy.so\nseed = 7\n"
             "[strategy.evil2]\nplugin = %s/hostile_strategy.so\nseed = 99\nsymbols = BBB\n"
             "[breaker.trip]\nplugin = %s/trip_breaker.so\ntrip_at_ms = %lld\n",
             dir, dir, dir, (long long)halt_at);
    snprintf(path, sizeof path, "%s/hostile.ini", tmpdir);
    write_file(path, ini);

    gd_config cfg;
    gd_err err;
    int rc = gd_config_load(path, NULL, &cfg, &err);
    if (rc)
        fail_msg("%s", err.msg);
    const char *syms[] = {"AAA", "BBB"};
    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &cfg;
    o.symbols = syms;
    o.n_symbols = 2;
    gd_engine *e;
    rc = gd_engine_new(&o, &e, &err);
    if (rc)
        fail_msg("%s", err.msg);
    memset(c, 0, sizeof *c);
    c->order_cap = 3000;
    c->daily_cap = 20000;
    c->gross_cap = 15000;
    c->halt_after = halt_at;
    c->first_day = -1;
    gd_engine_set_intentlog(e, (gd_intentlog){&cap_ops, c});
    for (size_t i = 0; i < nbars; i++) {
        open_before[i] = gd_engine_book(e)->open_count;
        gd_engine_on_bar(e, 0, &a[i]);
        gd_engine_on_bar(e, 1, &b[i]);
        /* Gross exposure stays within its cap, give or take one bar's move. */
        assert_true(gd_engine_book(e)->gross <= 15000 * 1.05);
    }
    gd_engine_stats_get(e, st);
    /* Exactly one intent per signal that reached the host. */
    assert_int_equal(c->n, st->signals);
    gd_engine_free(e);
    gd_config_free(&cfg);
}

static void test_hostile_strategy_end_to_end(void **state)
{
    (void)state;
    const size_t nbars = 24 * 200; /* 200 days of hourly bars, two symbols */
    gordon_bar *a = walk(nbars, 0x1234567), *b = walk(nbars, 0xabcdef1);
    uint32_t *open_before = calloc(nbars, sizeof *open_before);
    static capture c;
    gd_engine_stats st;

    /* First without a halt, to find a moment with positions open. */
    hostile_run(a, b, nbars, (int64_t)9e15, &c, open_before, &st);
    assert_int_equal(st.halted, 0);
    size_t k = nbars * 3 / 4;
    /* A moment from which positions stay open for a few bars, so that the
     * halted run has positions to exit after the latch is set. */
    for (; k < nbars - 10; k++) {
        size_t j = 0;
        while (j < 6 && open_before[k + j] > 0)
            j++;
        if (j == 6)
            break;
    }
    assert_true(k < nbars - 10);

    /* Then the same run halted there: garbage never passes, no entry is
     * accepted from the halt on, and exits still go through. */
    hostile_run(a, b, nbars, a[k].close_time_ms, &c, open_before, &st);
    assert_int_equal(st.halted, 1);
    assert_non_null(strstr(st.halt_reason, "trip"));
    assert_true(c.accepted_entries > 20);
    assert_true(c.by_result[GORDON_REJECT_BAD_SIGNAL] > 100);
    assert_true(c.by_result[GORDON_REJECT_HALTED] > 100);
    assert_true(c.by_result[GORDON_REJECT_NO_STOP] + c.by_result[GORDON_REJECT_STOP_SIDE] > 100);
    assert_true(c.by_result[GORDON_REJECT_THROTTLED] + c.by_result[GORDON_REJECT_DAILY_CAP] +
                    c.by_result[GORDON_REJECT_EXPOSURE_CAP] + c.by_result[GORDON_REJECT_POSITION_OPEN] >
                0);
    assert_true(c.after_halt_exits > 0);
    free(open_before);
    free(a);
    free(b);
}

static int engine_error(const char *ini_text, const char *symbol, gd_err *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/err.ini", tmpdir);
    write_file(path, ini_text);
    gd_config cfg;
    int rc = gd_config_load(path, NULL, &cfg, err);
    if (rc)
        return rc;
    const char *syms[] = {symbol};
    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &cfg;
    o.symbols = syms;
    o.n_symbols = 1;
    o.plugin_dirs.last = env_or("GD_PLUGIN_DIR", "build/plugins");
    gd_engine *e = NULL;
    rc = gd_engine_new(&o, &e, err);
    gd_engine_free(e);
    gd_config_free(&cfg);
    return rc;
}

#define INSTR "[instrument.X]\ntick_size = 0.01\nstep_size = 0.001\n"

static void test_setup_errors(void **state)
{
    (void)state;
    gd_err err;
    /* No instrument rules: refuse rather than guess. */
    assert_int_not_equal(engine_error("[strategy.s]\nplugin = ema_cross\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "[instrument.X]"));
    /* A strategy section naming an overlay plugin. */
    assert_int_not_equal(engine_error(INSTR "[strategy.s]\nplugin = trend_filter\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "err.ini:4"));
    assert_non_null(strstr(err.msg, "overlay"));
    /* A parameter out of the plugin's declared range names file:line:key. */
    assert_int_not_equal(engine_error(INSTR "[strategy.s]\nplugin = ema_cross\nfast = 100000\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "err.ini:6"));
    assert_non_null(strstr(err.msg, "fast"));
    /* An unknown parameter. */
    assert_int_not_equal(engine_error(INSTR "[strategy.s]\nplugin = ema_cross\nfsat = 10\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "fsat"));
    /* The plugin's own create() refusing (fast >= slow) is reported with its reason. */
    assert_int_not_equal(engine_error(INSTR "[strategy.s]\nplugin = ema_cross\nfast = 30\nslow = 20\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "failed to create"));
    /* A missing plugin file. */
    assert_int_not_equal(engine_error(INSTR "[strategy.s]\nplugin = no_such_plugin\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "no_such_plugin"));
    /* symbols = a symbol without data. */
    assert_int_not_equal(engine_error(INSTR "[strategy.s]\nplugin = ema_cross\nsymbols = Y\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "Y"));
    /* No strategy at all. */
    assert_int_not_equal(engine_error(INSTR "[breaker.d]\nplugin = drawdown\n", "X", &err), 0);
    assert_non_null(strstr(err.msg, "strategy"));
    /* And a correct one works. */
    assert_int_equal(engine_error(INSTR "[strategy.s]\nplugin = ema_cross\n", "X", &err), 0);
}

/* warmup() (SDK 1.2): the host keeps the history an instance's parameters
 * need, beyond its declared warmup_bars, and refuses more than the limit. */
static void test_warmup_callback(void **state)
{
    (void)state;
    char ini[1024], path[512];
    const char *tp = env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins");
    gd_err err;
    snprintf(ini, sizeof ini, INSTR "[strategy.w]\nplugin = %s/warmup_param.so\nbars = 3000\n", tp);
    snprintf(path, sizeof path, "%s/warm.ini", tmpdir);
    write_file(path, ini);
    gd_config cfg;
    if (gd_config_load(path, NULL, &cfg, &err) != 0)
        fail_msg("%s", err.msg);
    const char *syms[] = {"X"};
    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &cfg;
    o.symbols = syms;
    o.n_symbols = 1;
    gd_engine *e;
    if (gd_engine_new(&o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    gordon_bar *b = walk(3100, 0x4242);
    for (size_t i = 0; i < 3100; i++)
        gd_engine_on_bar(e, 0, &b[i]);
    gd_engine_stats st;
    gd_engine_stats_get(e, &st);
    /* It emits once it sees 3000 bars of history: only if the host kept them. */
    assert_int_equal(st.signals, 1);
    gd_engine_free(e);
    gd_config_free(&cfg);
    free(b);

    snprintf(ini, sizeof ini, INSTR "[strategy.w]\nplugin = %s/warmup_param.so\nbars = 1048577\n", tp);
    assert_int_not_equal(engine_error(ini, "X", &err), 0);
    assert_non_null(strstr(err.msg, "asks for a warm-up of 1048577 bars"));
}

/* Timers, not bars, drive freshness: a live engine whose feed goes quiet is
 * halted by the connectivity breaker on the timer's turn, without waiting
 * for a bar that never comes. In replay the clock stays on bar time. */
static void test_tick_sees_a_stalled_feed(void **state)
{
    (void)state;
    char ini[1024], path[512];
    gd_err err;
    snprintf(ini, sizeof ini,
             INSTR "[strategy.s]\nplugin = ema_cross\n[breaker.conn]\nplugin = connectivity\n"
                   "max_data_age_ms = 10000\nmax_venue_age_ms = 0\n");
    snprintf(path, sizeof path, "%s/tick.ini", tmpdir);
    write_file(path, ini);
    for (int live = 0; live <= 1; live++) {
        gd_config cfg;
        if (gd_config_load(path, NULL, &cfg, &err) != 0)
            fail_msg("%s", err.msg);
        const char *syms[] = {"X"};
        gd_engine_opts o;
        memset(&o, 0, sizeof o);
        o.cfg = &cfg;
        o.symbols = syms;
        o.n_symbols = 1;
        o.plugin_dirs.last = env_or("GD_PLUGIN_DIR", "build/plugins");
        o.live = live;
        gd_engine *e;
        if (gd_engine_new(&o, &e, &err) != 0)
            fail_msg("%s", err.msg);
        gordon_bar *b = walk(20, 0x77);
        for (size_t i = 0; i < 20; i++)
            gd_engine_on_bar(e, 0, &b[i]);
        int64_t last = b[19].close_time_ms;
        gd_engine_tick(e, last + 5000); /* quiet for 5 s: fine */
        assert_false(gd_engine_halted(e));
        gd_engine_tick(e, last + 30000); /* quiet for 30 s: stale */
        assert_int_equal(gd_engine_halted(e), live);
        if (live) {
            gd_breaker_view v;
            assert_int_equal(gd_engine_breaker(e, 0, &v), 0);
            assert_int_equal(v.last.state, GORDON_BREAKER_TRIPPED);
            assert_true(v.last.value >= 30000);
        }
        gd_engine_free(e);
        gd_config_free(&cfg);
        free(b);
    }
}

/* Emergency flatten closes every position through the executor, latches
 * the halt, and nothing opens again. */
static void test_flatten(void **state)
{
    (void)state;
    char ini[2048], path[512];
    const size_t nbars = 200;
    gordon_bar *a = walk(nbars, 0x55aa), *b = walk(nbars, 0x77bb);
    const char *dir = env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins");
    snprintf(ini, sizeof ini,
             "[risk]\nequity = 50000\nrisk_pct = 1\nmax_gross_exposure_usd = 1000000\n"
             "max_order_notional_usd = 1000000\nmax_daily_notional_usd = 100000000\n"
             "[instrument.AAA]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[instrument.BBB]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[strategy.l1]\nplugin = %s/always_long.so\n[strategy.l2]\nplugin = %s/always_long.so\n",
             dir, dir);
    snprintf(path, sizeof path, "%s/flat.ini", tmpdir);
    write_file(path, ini);
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
    for (; i < 50; i++) {
        gd_engine_on_bar(e, 0, &a[i]);
        gd_engine_on_bar(e, 1, &b[i]);
    }
    assert_true(gd_engine_book(e)->open_count >= 3); /* 2 strategies x 2 symbols, minus stop-outs */
    char *json = NULL;
    assert_int_equal(gd_engine_flatten(e, "operator:test", "drill", &json), 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"closed\":[{"));
    free(json);
    assert_true(gd_engine_halted(e));
    /* The reduce-only orders fill at the next bar's open. */
    gd_engine_on_bar(e, 0, &a[i]);
    gd_engine_on_bar(e, 1, &b[i]);
    i++;
    assert_int_equal(gd_engine_book(e)->open_count, 0);
    for (; i < nbars; i++) {
        gd_engine_on_bar(e, 0, &a[i]);
        gd_engine_on_bar(e, 1, &b[i]);
        assert_int_equal(gd_engine_book(e)->open_count, 0);
    }
    /* Resume is the operator's; then trading starts again. */
    assert_int_equal(gd_engine_resume(e, "operator:test", "drill over", 0, &err), 0);
    assert_false(gd_engine_halted(e));
    gd_engine_free(e);
    gd_config_free(&cfg);
    free(a);
    free(b);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(gd_test_tmpdir(tmpdir, sizeof tmpdir, NULL, "gd_test_engine"), 0);
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
        cmocka_unit_test(test_hostile_strategy_end_to_end),
        cmocka_unit_test(test_setup_errors),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_warmup_callback),
        cmocka_unit_test(test_tick_sees_a_stalled_feed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
