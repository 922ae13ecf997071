/* Invariant 8 for positions taken up at start or found at run time: the
 * records of an adopted position (its intent, its adopted stop, the
 * adoption) are on disk (fdatasync'd) before gd_engine_adopt_new /
 * gd_engine_adopt return, since the executor's protective stop leaves right
 * after; the same holds with a sync_now hook (the daemon's). And an
 * emergency flatten of several positions: every order's records on disk
 * before the first leaves, by one sync, not one per position. */
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
#include "db/journal.h"
#include "engine/engine.h"

static char tmpdir[256];

static const char *env_or(const char *k, const char *d)
{
    const char *v = getenv(k);
    return v && *v ? v : d;
}

static int syncs, sent;
static gd_journal *jr;

/* A venue in name only: remote, takes a flatten's orders (counted, each
 * only once its records are on disk), nothing else. */
static int x_submit(void *self, const gd_order *o, gd_err *err)
{
    (void)self;
    if (o->kind != GD_ORDER_FLATTEN)
        return gd_err_set(err, GD_EINVAL, "test executor takes no orders but a flatten's");
    assert_int_equal(gd_journal_durable_seq(jr), gd_journal_last_seq(jr));
    sent++;
    return 0;
}
static void x_slot(void *self, uint32_t owner, uint32_t symbol, gd_slot_orders *out)
{
    (void)self, (void)owner, (void)symbol;
    memset(out, 0, sizeof *out);
}
static double x_pending(void *self) { return (void)self, 0.0; }
static int x_grow(void *self, uint32_t n) { return (void)self, (void)n, 0; }
static void x_destroy(void *self) { (void)self; }
static const gd_executor_ops x_ops = {"test-venue", 1, x_submit, x_slot, x_pending, x_grow, NULL, x_destroy};

static int hook_sync(void *arg, gd_err *err)
{
    (void)arg;
    syncs++;
    return gd_journal_sync(jr, err);
}

static gd_engine *make_n(gd_config *cfg, int with_hook, uint32_t n_syms)
{
    static const char *const syms[] = {"AAA", "BBB", "CCC"};
    char ini[1024], path[512], jdir[512];
    snprintf(ini, sizeof ini,
             "[risk]\nequity = 100000\nrisk_pct = 1\nmax_order_notional_usd = 1000000\n"
             "max_daily_notional_usd = 100000000\nmax_gross_exposure_usd = 10000000\n"
             "[instrument.AAA]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[instrument.BBB]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[instrument.CCC]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[strategy.long]\nplugin = %s/always_long.so\n",
             env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins"));
    snprintf(path, sizeof path, "%s/adopt.ini", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    gd_err err;
    if (gd_config_load(path, NULL, cfg, &err) != 0)
        fail_msg("%s", err.msg);
    gd_engine_opts o;
    gd_engine *e;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.symbols = syms;
    o.n_symbols = n_syms;
    o.plugin_dirs.last = env_or("GD_PLUGIN_DIR", "build/plugins");
    o.live = 1;
    if (gd_engine_new(&o, &e, &err) != 0)
        fail_msg("%s", err.msg);
    if (gd_engine_set_executor(e, (gd_executor){&x_ops, NULL}, &err) != 0)
        fail_msg("%s", err.msg);
    snprintf(jdir, sizeof jdir, "%s/journal%d", tmpdir, with_hook);
    gd_journal_opts jo = {jdir, 1 << 20, 0};
    if (gd_journal_open(&jo, &jr, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    gd_engine_journal jc;
    memset(&jc, 0, sizeof jc);
    jc.journal = jr;
    jc.max_depth = 1e9;
    jc.max_age_s = 1e9;
    jc.mem_bytes = 1 << 20;
    jc.sync_now = with_hook ? hook_sync : NULL;
    if (gd_engine_set_journal(e, &jc, &err) != 0)
        fail_msg("%s", err.msg);
    /* What set-up journaled is not the point: made durable first. */
    assert_int_equal(gd_journal_sync(jr, &err), 0);
    return e;
}

static gd_engine *make(gd_config *cfg, int with_hook) { return make_n(cfg, with_hook, 1); }

static void adopt_both(int with_hook)
{
    gd_config cfg;
    gd_engine *e = make(&cfg, with_hook);
    gd_err err;
    syncs = 0;
    uint64_t before = gd_journal_last_seq(jr), id = 0;
    gordon_fill f;
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.symbol = 0;
    f.side = 1;
    f.reason = GORDON_FILL_ENTRY;
    f.qty = 2.0;
    f.price = 100.0;
    f.time_ms = 1700000000000;
    /* A venue position gordon did not open. */
    assert_int_equal(gd_engine_adopt_new(e, 0, &f, 98.0, 100.5, &id, &err), 0);
    assert_true(id > 0);
    assert_true(gd_journal_last_seq(jr) > before);
    assert_int_equal(gd_journal_durable_seq(jr), gd_journal_last_seq(jr));
    if (with_hook)
        assert_true(syncs >= 1);
    gd_engine_free(e);
    gd_journal_close(jr);
    gd_config_free(&cfg);

    /* One of gordon's, taken up from the ledger after a restart. */
    e = make(&cfg, with_hook);
    syncs = 0;
    before = gd_journal_last_seq(jr);
    f.intent_id = 41;
    gd_engine_adopt(e, 0, &f, 98.0, 0.0);
    assert_true(gd_journal_last_seq(jr) > before);
    assert_int_equal(gd_journal_durable_seq(jr), gd_journal_last_seq(jr));
    if (with_hook)
        assert_true(syncs >= 1);
    gd_engine_free(e);
    gd_journal_close(jr);
    gd_config_free(&cfg);
}

static void test_adopt_durable_direct(void **state)
{
    (void)state;
    adopt_both(0);
}

static void test_adopt_durable_hook(void **state)
{
    (void)state;
    adopt_both(1);
}

/* Three positions (adopted: each synced as it was taken up), then the
 * flatten: three orders, every record on disk before each leaves, one sync. */
static void flatten_synced_once(int with_hook)
{
    gd_config cfg;
    gd_engine *e = make_n(&cfg, with_hook, 3);
    gd_err err;
    gordon_fill f;
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.side = 1;
    f.reason = GORDON_FILL_ENTRY;
    f.qty = 2.0;
    f.price = 100.0;
    f.time_ms = 1700000000000;
    for (uint32_t s = 0; s < 3; s++) {
        uint64_t id = 0;
        f.symbol = s;
        assert_int_equal(gd_engine_adopt_new(e, 0, &f, 98.0, 0.0, &id, &err), 0);
    }
    syncs = 0;
    sent = 0;
    uint64_t before = gd_journal_last_seq(jr);
    char *json = NULL;
    assert_int_equal(gd_engine_flatten(e, "operator:test", "drill", &json), 0);
    assert_non_null(json);
    assert_int_equal(sent, 3);
    assert_non_null(strstr(json, "\"errors\":[]"));
    free(json);
    assert_true(gd_journal_last_seq(jr) > before);
    if (with_hook)
        assert_int_equal(syncs, 1);
    gd_engine_free(e);
    gd_journal_close(jr);
    gd_config_free(&cfg);
}

static void test_flatten_durable_one_sync_direct(void **state)
{
    (void)state;
    flatten_synced_once(0);
}

static void test_flatten_durable_one_sync_hook(void **state)
{
    (void)state;
    flatten_synced_once(1);
}

static int setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(tmpdir, sizeof tmpdir, NULL, "test_adopt");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adopt_durable_direct),
        cmocka_unit_test(test_adopt_durable_hook),
        cmocka_unit_test(test_flatten_durable_one_sync_direct),
        cmocka_unit_test(test_flatten_durable_one_sync_hook),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
