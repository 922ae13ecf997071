/* The database thread (daemon/dbrun.c) as an order sees it: an entry for a
 * venue leaves only once its records are on disk (the thread synced them
 * while the loop waited), and with the journal full (the database away) the
 * entry is refused, saying why, instead of waiting for ever, and the loop
 * is not held up record by record. The database is a port nobody listens
 * on: the writer retries in the background.
 * `ctest -R db_thread`. */
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
#include <uv.h>

#include "base/log.h"
#include "config/config.h"
#include "daemon/dbrun.h"
#include "db/journal.h"
#include "db/record.h"
#include "engine/engine.h"
#include "engine/engine_int.h" /* gd_engine_submit: what the pipeline calls for an accepted intent */

/* On tmpfs where there is one: the full-journal case writes 64 MiB, and
 * what it checks is the thread's logic, not the disk's speed. */
static char tmpdir[64];
static char jdir[400];

static const char *env_or(const char *k, const char *d)
{
    const char *v = getenv(k);
    return v && *v ? v : d;
}

/* What the journal's files hold right now (not what is in memory). */
static uint64_t want_id;
static int on_disk_intent;
static int count_intent(void *arg, const gd_jrec *r)
{
    (void)arg;
    char needle[40], text[GD_REC_MAX];
    snprintf(needle, sizeof needle, "{\"id\":%llu,", (unsigned long long)want_id);
    /* The thread journals binary records: read as the writer reads them. */
    assert_true(gd_rec_is_binary(r->data, r->len));
    size_t n = gd_rec_format_binary(text, sizeof text, r->type, r->data, r->len);
    assert_true(n > 0);
    if (r->type == GD_REC_INTENT && n >= strlen(needle) && !memcmp(text, needle, strlen(needle)))
        on_disk_intent++;
    return 0;
}

/* A venue in name only: remote; at submit, looks at the disk. */
static int submits;
static int x_submit(void *self, const gd_order *o, gd_err *err)
{
    (void)self, (void)o;
    submits++;
    on_disk_intent = 0;
    gd_journal_recovery rec;
    gd_err serr;
    if (gd_journal_scan(jdir, count_intent, NULL, &rec, &serr) != 0)
        fail_msg("scan: %s", serr.msg);
    return gd_err_set(err, GD_EINVAL, "test venue takes no orders");
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

typedef struct rig {
    gd_config cfg;
    gd_engine *e;
    uv_loop_t loop;
    gd_dbrun db;
} rig;

static void rig_open(rig *r, const char *name)
{
    char ini[2048], path[512], sd[512];
    gd_err err;
    snprintf(sd, sizeof sd, "%s/%s", tmpdir, name);
    assert_int_equal(mkdir(sd, 0700), 0);
    snprintf(jdir, sizeof jdir, "%s/journal", sd);
    snprintf(ini, sizeof ini,
             "[gordon]\nstate_dir = %s\n"
             "[db]\ndsn = host=127.0.0.1 port=1 dbname=none connect_timeout=1\nmax_depth = 10000\n"
             "[risk]\nequity = 100000\nrisk_pct = 1\nmax_order_notional_usd = 1000000\n"
             "max_daily_notional_usd = 100000000\nmax_gross_exposure_usd = 10000000\n"
             "[instrument.AAA]\ntick_size = 0.01\nstep_size = 0.001\n"
             "[strategy.long]\nplugin = %s/always_long.so\n",
             sd, env_or("GD_TEST_PLUGIN_DIR", "build/tests/plugins"));
    snprintf(path, sizeof path, "%s/%s.ini", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    if (gd_config_load(path, NULL, &r->cfg, &err) != 0)
        fail_msg("%s", err.msg);
    static const char *const syms[] = {"AAA"};
    gd_engine_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = &r->cfg;
    o.symbols = syms;
    o.n_symbols = 1;
    o.plugin_dirs.last = env_or("GD_PLUGIN_DIR", "build/plugins");
    o.live = 1;
    if (gd_engine_new(&o, &r->e, &err) != 0)
        fail_msg("%s", err.msg);
    if (gd_engine_set_executor(r->e, (gd_executor){&x_ops, NULL}, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(uv_loop_init(&r->loop), 0);
    if (gd_dbrun_open(&r->db, &r->loop, &r->cfg, r->e, &err) != 0)
        fail_msg("%s", err.msg);
}

static void rig_close(rig *r)
{
    gd_dbrun_stop(&r->db);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&r->loop), 0);
    gd_dbrun_close(&r->db);
    gd_engine_free(r->e);
    gd_config_free(&r->cfg);
}

static void entry(uint64_t id, gd_order *o, gd_intent *it)
{
    memset(o, 0, sizeof *o);
    memset(it, 0, sizeof *it);
    o->intent_id = it->id = id;
    o->kind = GD_ORDER_ENTRY;
    o->side = it->side = 1;
    o->qty = it->qty = 1;
    o->stop = it->stop = it->orig_stop = 90;
    o->ref_price = it->entry = it->entry_claim = 100;
    it->action = GORDON_ACTION_ENTRY;
    it->risk_scale = 1;
    it->notional = 100;
}

static void test_db_thread_entry_waits_for_disk(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, "ok");
    gd_order o;
    gd_intent it;
    gd_err err;
    for (uint64_t id = 7001; id < 7021; id++) {
        entry(id, &o, &it);
        want_id = id;
        submits = 0;
        /* The venue refuses it, but only after it was asked: the journal
         * was synced first. */
        assert_int_not_equal(gd_engine_submit(r.e, &o, &it, &err), 0);
        assert_int_equal(submits, 1);
        assert_int_equal(on_disk_intent, 1);
    }
    rig_close(&r);
}

static void test_db_thread_full_journal_refuses_entry(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, "full");
    /* Nothing reaches the database: equity points until the journal (64
     * MiB) and then the queue are full and one is lost. */
    for (int i = 0; i < 2000000 && gd_engine_rec_lost(r.e) == 0; i++) {
        gd_engine_equity_point(r.e, "timer");
        if (i % 1000 == 0)
            uv_run(&r.loop, UV_RUN_NOWAIT); /* the fsync window's timer, as the daemon's loop runs it */
    }
    assert_true(gd_engine_rec_lost(r.e) > 0);
    /* The loop is not held up record by record while the journal is full
     * (the db breaker keeps entries out; exits and fills must flow). */
    uint64_t t1 = uv_hrtime();
    for (int i = 0; i < 100; i++)
        gd_engine_equity_point(r.e, "timer");
    assert_true(uv_hrtime() - t1 < 1000000000ull);
    gd_order o;
    gd_intent it;
    gd_err err;
    entry(9001, &o, &it);
    submits = 0;
    uint64_t t0 = uv_hrtime();
    assert_int_equal(gd_engine_submit(r.e, &o, &it, &err), GD_EIO);
    assert_int_equal(submits, 0); /* never sent */
    assert_non_null(strstr(err.msg, "journal memory full"));
    assert_true(uv_hrtime() - t0 < 5ull * 1000000000ull); /* refused, not kept waiting */
    gd_dbrun_snap snap;
    gd_dbrun_snapshot(&r.db, &snap);
    assert_int_equal(snap.w.connected, 0);
    /* Before the journal was full the loop outran the thread (a record is
     * packed in tens of nanoseconds, formatted in microseconds) and waited
     * for room in the queue: counted, for gordon_db_queue_wait*_total. */
    assert_true(snap.room_waits > 0);
    assert_true(snap.room_wait_ns > 0);
    rig_close(&r);
}

static int setup(void **state)
{
    (void)state;
    gd_log_init(stderr, GD_LOG_OFF); /* the full journal logs every record it loses */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return gd_test_tmpdir(tmpdir, sizeof tmpdir, base, "gordon-dbthread");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_db_thread_entry_waits_for_disk),
        cmocka_unit_test(test_db_thread_full_journal_refuses_entry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
