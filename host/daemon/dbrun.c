#include "daemon/dbrun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/dates.h"
#include "base/file.h"
#include "base/log.h"
#include "base/rt.h"
#include "db/record.h"
#include "risk/latch.h"

/* The queue between the loop and the thread: a burst of records (a replay
 * at full speed makes two million a second, ~150 bytes each) waits here
 * while the thread journals; it is woken early once an eighth of it is
 * used. 16 MB: with 4 MB the loop caught up with the thread within a
 * bench round and wrote into lines the thread had just read, which cost it
 * 13-26% of its throughput against ~12% (bench/db.sh, 41-61 rounds). */
#define GD_DBQ_BYTES       ((size_t)16 << 20)
/* A fill's or an intent's entry as its records (a few hundred bytes). */
#define GD_DB_FILLEV_GROUP 8192
#define GD_DB_TICK_BUSY_MS 10
#define GD_DB_TICK_WRITER_MS 50
#define GD_DB_TICK_IDLE_MS 250
#define GD_DB_SYNC_WAIT_NS (10ull * 1000000000ull)
#define GD_DB_ROOM_WAIT_NS (2ull * 1000000000ull)

/* ------------------------------------------------------------ the database thread */

static void lost_one(gd_dbrun *d, uint16_t type, const char *why)
{
    uv_mutex_lock(&d->mu);
    d->snap.lost++;
    uv_mutex_unlock(&d->mu);
    gd_log(GD_LOG_ERROR, "journal", NULL, "%s record not journaled: %s", gd_rec_type_name(type), why);
}

/* One packed record journaled in its binary form (or counted lost): a copy
 * of its fields, not its JSON text, which the writer makes at the
 * database's pace (formatting here capped a full-speed replay at what this
 * thread could format, sharing a CPU with the server). 1 when the journal
 * has no room and there is a later: the record is to go again. */
static int journal_one(gd_dbrun *d, uint16_t type, int64_t t, const void *p, size_t len, int final,
                       unsigned char *buf)
{
    size_t n = gd_rec_encode_packed(buf, GD_REC_BIN_MAX, type, p, len);
    if (n == 0) {
        lost_one(d, type, "not a packed record");
        return 0;
    }
    gd_err err;
    uint64_t seq;
    int rc = gd_journal_append(d->j, type, t, buf, (uint32_t)n, &seq, &err);
    if (rc == GD_ENOMEM && !final)
        return 1;
    if (rc)
        lost_one(d, type, err.msg);
    return 0;
}

/* One group's records (db/record.h, GD_REC_GROUP), from where an earlier
 * pass stopped for want of room (d->group_at): none is journaled twice. 1
 * when the journal is full, as drain. */
static int drain_group(gd_dbrun *d, const unsigned char *p, size_t len, int final, unsigned char *buf)
{
    while (d->group_at < len) {
        gd_rec_sub h;
        if (len - d->group_at < sizeof h) {
            lost_one(d, GD_REC_GROUP, "a group's record header is cut short");
            break;
        }
        memcpy(&h, p + d->group_at, sizeof h);
        size_t at = d->group_at + sizeof h, adv = sizeof h + (((size_t)h.len + 7) & ~(size_t)7);
        if (h.len > len - at) {
            lost_one(d, h.type, "a group's record is cut short");
            break;
        }
        if (journal_one(d, h.type, h.time_ms, p + at, h.len, final, buf))
            return 1;
        d->group_at = adv > len - d->group_at ? len : d->group_at + adv;
    }
    d->group_at = 0;
    return 0;
}

/* A fill's entry (GD_REC_FILLEV) or an intent's (GD_REC_INTEV) as the
 * group of records it stands for; expanded the same way again when the
 * journal filled midway, and drain_group resumes where it stopped. 1 when
 * the journal is full. */
static int drain_entry(gd_dbrun *d, uint16_t type, const void *p, size_t len, int64_t t, int final,
                       unsigned char *buf)
{
    _Alignas(8) unsigned char grp[GD_DB_FILLEV_GROUP];
    size_t n = type == GD_REC_FILLEV ? gd_rec_fillev_expand(grp, sizeof grp, p, len, t)
                                     : gd_rec_intev_expand(grp, sizeof grp, p, len, t);
    if (n == 0) {
        lost_one(d, type == GD_REC_FILLEV ? GD_REC_FILL : GD_REC_INTENT,
                 type == GD_REC_FILLEV ? "a fill's entry does not expand" : "an intent's entry does not expand");
        return 0;
    }
    return drain_group(d, grp, n, final, buf);
}

/* Queue to journal, in order. A full journal (the database away long
 * enough) leaves the rest queued until the writer makes room; at the end
 * there is no later. 1 when records are left for want of room. */
static int drain(gd_dbrun *d, int final)
{
    uint16_t type;
    int64_t t;
    size_t len;
    const void *p;
    unsigned char buf[GD_REC_BIN_MAX];
    while ((p = gd_jq_peek(d->q, &type, &t, &len)) != NULL) {
        int full = type == GD_REC_FILLEV || type == GD_REC_INTEV ? drain_entry(d, type, p, len, t, final, buf)
                   : type == GD_REC_GROUP                         ? drain_group(d, p, len, final, buf)
                                                                  : journal_one(d, type, t, p, len, final, buf);
        if (full)
            return 1;
        gd_jq_pop(d->q);
    }
    return 0;
}

/* Write and fdatasync what was appended; whoever waits for it is told. */
static void do_sync(gd_dbrun *d, int blocked)
{
    uint64_t popped = gd_jq_popped(d->q), before = gd_journal_durable_seq(d->j);
    uint64_t t0 = uv_hrtime();
    gd_err err;
    int rc = gd_journal_sync(d->j, &err);
    double secs = (double)(uv_hrtime() - t0) / 1e9;
    uv_mutex_lock(&d->mu);
    if (rc == 0) {
        d->durable_popped = popped;
        if (gd_journal_durable_seq(d->j) != before) {
            d->snap.syncs++;
            d->snap.sync_seconds_sum += secs;
        }
    } else {
        d->snap.sync_failures++;
        d->sync_fail_gen++;
        snprintf(d->sync_error, sizeof d->sync_error, "%s", err.msg);
    }
    if (rc == 0 && blocked) {
        /* What waits in the queue cannot be made durable now: an order
         * waiting for it is refused rather than kept waiting. */
        d->sync_fail_gen++;
        snprintf(d->sync_error, sizeof d->sync_error, "journal memory full (%zu bytes): %llu records wait for the "
                 "database", gd_journal_bytes_used(d->j), (unsigned long long)(gd_jq_pushed(d->q) - popped));
    }
    uv_cond_broadcast(&d->cv);
    uv_mutex_unlock(&d->mu);
    if (rc) {
        int64_t now = gd_mono_ms();
        if (now - d->last_sync_fail_log_ms >= 10000) {
            d->last_sync_fail_log_ms = now;
            gd_log(GD_LOG_ERROR, "journal", NULL, "journal sync failed (retrying): %s", err.msg);
        }
        atomic_store(&d->want_sync, 1); /* again on the next tick */
    }
}

static void publish(gd_dbrun *d)
{
    atomic_store_explicit(&d->pub.last_seq, gd_journal_last_seq(d->j), memory_order_relaxed);
    atomic_store_explicit(&d->pub.applied_seq, gd_journal_applied_seq(d->j), memory_order_relaxed);
    atomic_store_explicit(&d->pub.depth, gd_journal_depth(d->j), memory_order_relaxed);
    atomic_store_explicit(&d->pub.bytes, gd_journal_bytes_used(d->j), memory_order_relaxed);
    uv_mutex_lock(&d->mu);
    if (d->w)
        d->snap.w = *gd_dbw_stats_get(d->w);
    d->snap.depth = gd_journal_depth(d->j);
    d->snap.popped = gd_jq_popped(d->q);
    d->snap.caught_up = d->w && gd_journal_durable_seq(d->j) == gd_journal_last_seq(d->j) && gd_dbw_caught_up(d->w);
    uv_cond_broadcast(&d->cv); /* room in the queue */
    uv_mutex_unlock(&d->mu);
}

static void on_tick(uv_timer_t *t);

static void step(gd_dbrun *d)
{
    if (d->closing)
        return;
    int stop = atomic_load(&d->want_stop);
    int blocked = drain(d, stop);
    atomic_store(&d->pub.full, blocked);
    if (atomic_exchange(&d->want_sync, 0) || stop)
        do_sync(d, blocked);
    if (d->w)
        gd_dbw_kick(d->w);
    publish(d);
    if (stop) {
        if (d->w) {
            gd_dbw_stop(d->w);
            d->w = NULL;
        }
        if (atomic_load(&d->stop_sent)) {
            d->closing = 1;
            uv_timer_stop(&d->tick);
            uv_close((uv_handle_t *)&d->tick, NULL);
            uv_close((uv_handle_t *)&d->wake, NULL);
        } else {
            uv_timer_start(&d->tick, on_tick, 1, 0);
        }
        return;
    }
    /* Records queued: soon; only the writer behind (it runs on its own
     * handles): often enough to publish its progress; nothing: rarely. */
    int queued = blocked || gd_jq_used(d->q) != 0;
    uv_timer_start(&d->tick, on_tick,
                   queued ? GD_DB_TICK_BUSY_MS : d->snap.caught_up ? GD_DB_TICK_IDLE_MS : GD_DB_TICK_WRITER_MS, 0);
}

static void on_wake(uv_async_t *a) { step(a->data); }
static void on_tick(uv_timer_t *t) { step(t->data); }

static void thread_main(void *arg)
{
    gd_dbrun *d = arg;
    gd_rt_normal(); /* not the hot path: it must not compete with a real-time loop */
    prctl(PR_SET_NAME, "gordon-db", 0, 0, 0); /* for top -H and perf; failure is harmless */
    uv_run(&d->dl, UV_RUN_DEFAULT);
}

/* The thread's loop, the writer on it, then the thread (on the other CPUs
 * when the loop thread is pinned). */
static int start_thread(gd_dbrun *d, const gd_config *cfg, const char *rej, gd_err *err)
{
    int rc = uv_loop_init(&d->dl);
    if (rc)
        return gd_err_set(err, GD_EIO, "database thread loop: %s", uv_strerror(rc));
    d->dl_init = 1;
    if ((rc = uv_async_init(&d->dl, &d->wake, on_wake)) != 0 || (rc = uv_timer_init(&d->dl, &d->tick)) != 0) {
        if (!rc)
            uv_close((uv_handle_t *)&d->wake, NULL);
        return gd_err_set(err, GD_EIO, "database thread handles: %s", uv_strerror(rc));
    }
    d->wake.data = d->tick.data = d;
    gd_dbw_opts wo = {&d->dl, cfg->db_dsn, d->j, rej, d->source, cfg->db_connect_timeout_ms, 0,
                      cfg->db_reconnect_max_ms, 0, 0, (uint32_t)cfg->db_connections};
    if ((rc = gd_dbw_start(&wo, &d->w, err)) != 0)
        goto fail;
    uv_timer_start(&d->tick, on_tick, 0, 0);
    gd_rt_mask m;
    gd_rt_helpers_begin(&m);
    rc = uv_thread_create(&d->thread, thread_main, d);
    gd_rt_helpers_end(&m);
    if (rc) {
        rc = gd_err_set(err, GD_EIO, "database thread: %s", uv_strerror(rc));
        goto fail;
    }
    d->thread_started = 1;
    return 0;
fail:
    gd_dbw_stop(d->w);
    d->w = NULL;
    uv_close((uv_handle_t *)&d->wake, NULL);
    uv_close((uv_handle_t *)&d->tick, NULL);
    return rc;
}

/* ------------------------------------------------------------ the loop's side */

static void wake_thread(gd_dbrun *d, int sync)
{
    if (sync)
        atomic_store(&d->want_sync, 1);
    if (d->thread_started && !d->stop_requested)
        uv_async_send(&d->wake);
}

/* The last wake: the thread syncs what is queued, stops the writer and
 * ends (see stop_sent). */
static void request_stop(gd_dbrun *d)
{
    if (d->stop_requested)
        return;
    atomic_store(&d->want_sync, 1);
    atomic_store(&d->want_stop, 1);
    if (d->thread_started)
        uv_async_send(&d->wake);
    d->stop_requested = 1;
    atomic_store(&d->stop_sent, 1);
}

static void on_sync_timer(uv_timer_t *t)
{
    gd_dbrun *d = t->data;
    d->armed = 0;
    d->flushed_at = gd_jq_pushed(d->q);
    wake_thread(d, 1);
}

/* The engine queued a record: it is synced within the window. Arming a
 * timer makes no system call; a queue filling up wakes the thread early. */
static void on_appended(void *arg)
{
    gd_dbrun *d = arg;
    if (d->room_gave_up) /* a store only when it changes: no write to the line per record */
        d->room_gave_up = 0;
    if (gd_jq_take_hint(d->q))
        wake_thread(d, 0);
    if (d->armed || !d->timer_init)
        return;
    d->armed = 1;
    uv_timer_start(&d->sync_timer, on_sync_timer, (uint64_t)d->window_ms, 0);
}

/* The queue is full: the loop waits, a bounded time, for the thread to
 * take half of it (records are not dropped while it only lags). Not when
 * the journal itself is full (the database away for long): the thread
 * cannot take anything then, and the loop must go on (exits still flow)
 * rather than wait on every record; those records are lost, as they would
 * be without the queue. -1: do not try again. */
static int queue_full(void *arg)
{
    gd_dbrun *d = arg;
    if (!d->thread_started || d->stop_requested || atomic_load(&d->pub.full) || d->room_gave_up)
        return -1;
    uint64_t deadline = uv_hrtime() + GD_DB_ROOM_WAIT_NS;
    uv_mutex_lock(&d->mu);
    wake_thread(d, 0);
    while (gd_jq_used(d->q) * 2 > gd_jq_cap(d->q) && !atomic_load(&d->pub.full)) {
        uint64_t now = uv_hrtime();
        if (now >= deadline)
            break;
        uv_cond_timedwait(&d->cv, &d->mu, deadline - now);
    }
    uv_mutex_unlock(&d->mu);
    d->room_waits++;
    d->room_wait_ns += uv_hrtime() - (deadline - GD_DB_ROOM_WAIT_NS);
    /* A thread that took nothing for that long (a disk stalled in
     * fdatasync) is not waited for again until a record gets in. */
    d->room_gave_up = gd_jq_used(d->q) * 2 > gd_jq_cap(d->q) && !atomic_load(&d->pub.full);
    return 0; /* the caller tries once more: there may be room now */
}

/* An order about to leave for a venue: everything queued before it made
 * durable by the thread, waited for here (a few milliseconds: the order
 * had to wait for a fdatasync anyway). */
static int sync_now(void *arg, gd_err *err)
{
    gd_dbrun *d = arg;
    if (!d->thread_started || d->stop_requested)
        return gd_err_set(err, GD_ESTATE, "journal: the database thread is stopping");
    uint64_t target = gd_jq_pushed(d->q), deadline = uv_hrtime() + GD_DB_SYNC_WAIT_NS;
    int rc = 0;
    uv_mutex_lock(&d->mu);
    uint64_t gen = d->sync_fail_gen;
    wake_thread(d, 1);
    while (d->durable_popped < target && d->sync_fail_gen == gen) {
        uint64_t now = uv_hrtime();
        if (now >= deadline)
            break;
        uv_cond_timedwait(&d->cv, &d->mu, deadline - now);
    }
    if (d->durable_popped < target)
        rc = gd_err_set(err, GD_EIO, "journal sync: %s",
                        d->sync_fail_gen != gen ? d->sync_error : "the database thread did not sync within 10 s");
    uv_mutex_unlock(&d->mu);
    return rc;
}

void gd_dbrun_flush(gd_dbrun *d)
{
    if (!d->active || d->stopped)
        return;
    /* A sync already due within the window, or nothing queued since the
     * last one was asked for: no need to wake the thread (a system call)
     * between every batch of a replay. */
    uint64_t pushed = gd_jq_pushed(d->q);
    if (d->armed || pushed == d->flushed_at)
        return;
    d->flushed_at = pushed;
    wake_thread(d, 1);
}

void gd_dbrun_tick(gd_dbrun *d, int64_t wall_ms)
{
    if (!d->active)
        return;
    gd_engine_journal_tick(d->eng, wall_ms);
    gd_dbrun_flush(d);
}

int gd_dbrun_caught_up(gd_dbrun *d)
{
    if (!d->active)
        return 1;
    uv_mutex_lock(&d->mu);
    int ok = d->snap.caught_up && d->snap.popped == gd_jq_pushed(d->q);
    uv_mutex_unlock(&d->mu);
    return ok;
}

void gd_dbrun_snapshot(gd_dbrun *d, gd_dbrun_snap *out)
{
    if (!d->active || !d->sync_init) {
        memset(out, 0, sizeof *out);
        return;
    }
    uv_mutex_lock(&d->mu);
    *out = d->snap;
    uv_mutex_unlock(&d->mu);
    out->room_waits = d->room_waits;
    out->room_wait_ns = d->room_wait_ns;
}

/* The latch: the state file's (already in the engine) and the database's;
 * the stricter wins. */
static void reconcile_latch(gd_dbrun *d, const gd_config *cfg)
{
    gd_err err;
    gd_db_latch dl;
    const gd_halt *h = gd_engine_halt_state(d->eng);
    if (gd_db_latch_read(cfg->db_dsn, cfg->db_connect_timeout_ms, &dl, &err) != 0) {
        snprintf(d->latch_source, sizeof d->latch_source, "state file only (database unreachable at start)");
        gd_log(GD_LOG_WARN, "risk", NULL, "halt latch: the database could not be read at start (%s); using the "
               "state file's alone (%s)", err.msg, h->halted ? "halted" : "clear");
        return;
    }
    if (dl.halted && !h->halted) {
        char why[400];
        snprintf(why, sizeof why, "the database's halt latch is set (by %s: %s)", dl.who, dl.reason);
        snprintf(d->latch_source, sizeof d->latch_source, "database (halted; the state file said clear)");
        gd_log(GD_LOG_WARN, "risk", NULL, "halt latch: the database says HALTED (%s: %s), the state file says "
               "clear: starting halted (the stricter of the two)", dl.who, dl.reason);
        if (gd_engine_halt(d->eng, "database", why, &err) != 0)
            gd_log(GD_LOG_ERROR, "state", NULL, "halt latch from the database not persisted: %s", err.msg);
        return;
    }
    if (h->halted && !dl.halted) {
        snprintf(d->latch_source, sizeof d->latch_source, "state file (halted; the database said clear)");
        gd_log(GD_LOG_WARN, "risk", NULL, "halt latch: the state file says HALTED (%s), the database says %s: "
               "starting halted (the stricter of the two); the database is brought up to date",
               h->reason, dl.found ? "clear" : "nothing yet");
        gd_engine_rec_latch_now(d->eng);
        return;
    }
    if (!dl.found) {
        snprintf(d->latch_source, sizeof d->latch_source, "both clear (no row in the database yet)");
        gd_engine_rec_latch_now(d->eng);
    } else {
        snprintf(d->latch_source, sizeof d->latch_source, "both agree (%s)", h->halted ? "halted" : "clear");
    }
    gd_log(GD_LOG_INFO, "risk", NULL, "halt latch: the state file and the database agree: %s",
           h->halted ? "halted" : "clear");
}

/* The journal's source id (<state_dir>/db_source): 16 random hex digits
 * made with the journal, naming its rows in the database so that two
 * daemons, or a state_dir made anew, never collide there. A journal that
 * has records must have it: made afresh, the same sequence numbers would
 * name other rows. */
static int load_source(const char *state_dir, int journal_empty, char out[17], gd_err *err)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/db_source", state_dir) >= (int)sizeof path - 4)
        return gd_err_set(err, GD_ERANGE, "[gordon] state_dir is too long");
    char *text = NULL;
    size_t len = 0;
    int rc = gd_file_read(path, 64, &text, &len, err);
    if (rc == 0) {
        while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
            text[--len] = '\0';
        int ok = len == 16;
        for (size_t i = 0; ok && i < len; i++)
            ok = (text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f');
        if (ok)
            memcpy(out, text, 17);
        free(text);
        return ok ? 0 : gd_err_set(err, GD_EPARSE, "%s: expected 16 lowercase hex digits", path);
    }
    if (rc != GD_ENOENT)
        return rc;
    if (!journal_empty)
        return gd_err_set(err, GD_ESTATE, "%s is missing but the journal has records: restore it (its rows in the "
                          "database carry it) rather than make a new one", path);
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return gd_err_set(err, GD_EIO, "getrandom: %s", strerror(errno));
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    char line[18];
    memcpy(line, out, 16);
    line[16] = '\n';
    if ((rc = gd_file_write_durable(path, line, 17, err)) != 0)
        return rc;
    gd_log(GD_LOG_INFO, "journal", NULL, "new journal source id %s (%s)", out, path);
    return 0;
}

int gd_dbrun_open(gd_dbrun *d, uv_loop_t *loop, const gd_config *cfg, gd_engine *eng, gd_err *err)
{
    memset(d, 0, sizeof *d);
    if (!cfg->db_dsn || !cfg->db_dsn[0])
        return 0;
    if (!cfg->state_dir)
        return gd_err_set(err, GD_EINVAL, "[db] dsn needs [gordon] state_dir: the journal lives there");
    char dir[PATH_MAX], rej[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/journal", cfg->state_dir) >= (int)sizeof dir ||
        snprintf(rej, sizeof rej, "%s/journal/rejected.jsonl", cfg->state_dir) >= (int)sizeof rej)
        return gd_err_set(err, GD_ERANGE, "[gordon] state_dir is too long");
    /* Records are a few hundred bytes: room for max_depth of them; the db
     * breaker also closes at half of it. */
    size_t mem = (size_t)cfg->db_max_depth * 512;
    if (mem < ((size_t)64 << 20))
        mem = (size_t)64 << 20;
    gd_journal_opts jo = {dir, mem, 0};
    int rc = gd_journal_open(&jo, &d->j, &d->recovery, err);
    if (rc)
        return rc;
    d->eng = eng;
    d->loop = loop;
    d->active = 1;
    if (uv_mutex_init(&d->mu) != 0) {
        rc = gd_err_set(err, GD_EIO, "uv_mutex_init failed");
        goto fail;
    }
    if (uv_cond_init(&d->cv) != 0) {
        uv_mutex_destroy(&d->mu);
        rc = gd_err_set(err, GD_EIO, "uv_cond_init failed");
        goto fail;
    }
    d->sync_init = 1;
    if ((rc = gd_jq_new(GD_DBQ_BYTES, &d->q, err)) != 0)
        goto fail;
    if ((rc = load_source(cfg->state_dir, d->recovery.last_seq == 0, d->source, err)) != 0)
        goto fail;
    d->window_ms = cfg->db_sync_window_ms;
    char f[200];
    snprintf(f, sizeof f, "\"records\":%llu,\"unapplied\":%llu,\"last_seq\":%llu,\"torn_bytes\":%llu",
             (unsigned long long)d->recovery.records, (unsigned long long)d->recovery.unapplied,
             (unsigned long long)d->recovery.last_seq, (unsigned long long)d->recovery.torn_bytes);
    gd_log(GD_LOG_INFO, "journal", f, "journal %s: %llu record(s), %llu not yet in the database%s%s", dir,
           (unsigned long long)d->recovery.records, (unsigned long long)d->recovery.unapplied,
           d->recovery.torn_bytes ? "; torn last record dropped: " : "",
           d->recovery.torn_bytes ? d->recovery.torn_what : "");
    if ((rc = uv_timer_init(loop, &d->sync_timer)) != 0) {
        rc = gd_err_set(err, GD_EIO, "journal timer: %s", uv_strerror(rc));
        goto fail;
    }
    d->timer_init = 1;
    d->sync_timer.data = d;
    /* What the thread will publish, as it is now. */
    atomic_store(&d->pub.last_seq, gd_journal_last_seq(d->j));
    atomic_store(&d->pub.applied_seq, gd_journal_applied_seq(d->j));
    atomic_store(&d->pub.depth, gd_journal_depth(d->j));
    atomic_store(&d->pub.bytes, gd_journal_bytes_used(d->j));
    gd_engine_journal jc;
    memset(&jc, 0, sizeof jc);
    jc.journal = d->j;
    jc.max_depth = cfg->db_max_depth;
    jc.max_age_s = cfg->db_max_age_s;
    jc.equity_interval_s = cfg->db_equity_interval_s;
    jc.mem_bytes = mem;
    jc.appended = on_appended;
    jc.sync_now = sync_now;
    jc.queue = d->q;
    jc.pub = &d->pub;
    jc.queue_full = queue_full;
    jc.arg = d;
    if ((rc = gd_engine_set_journal(eng, &jc, err)) != 0)
        goto fail;
    gd_engine_rec_session(eng);
    reconcile_latch(d, cfg);
    gd_engine_equity_point(eng, "start");
    if ((rc = start_thread(d, cfg, rej, err)) != 0)
        goto fail;
    gd_dbrun_flush(d);
    return 0;
fail:
    gd_dbrun_stop(d);
    return rc;
}

void gd_dbrun_finish(gd_dbrun *d)
{
    if (!d->active || d->finished)
        return;
    d->finished = 1;
    gd_engine_equity_point(d->eng, "stop");
    gd_dbrun_flush(d);
}

void gd_dbrun_stop(gd_dbrun *d)
{
    if (!d->active)
        return;
    if (!d->stopped) {
        if (!d->finished && d->q)
            gd_engine_equity_point(d->eng, "stop");
        d->finished = 1;
        /* The thread syncs everything queued, stops the writer and ends;
         * what it had not applied is applied on the next start. */
        d->stopped = 1;
        request_stop(d);
    }
    if (d->timer_init && !uv_is_closing((uv_handle_t *)&d->sync_timer)) {
        uv_timer_stop(&d->sync_timer);
        uv_close((uv_handle_t *)&d->sync_timer, NULL);
    }
    d->armed = 1; /* no more arming once closed */
}

void gd_dbrun_close(gd_dbrun *d)
{
    if (d->thread_started) {
        request_stop(d);
        uv_thread_join(&d->thread);
        d->thread_started = 0;
    }
    if (d->dl_init) {
        uv_run(&d->dl, UV_RUN_DEFAULT); /* a thread that never started: its handles' closes */
        if (uv_loop_close(&d->dl) != 0)
            gd_log(GD_LOG_ERROR, "db", NULL, "database thread loop closed with handles still open");
        d->dl_init = 0;
    }
    if (d->j) {
        gd_engine_journal jc;
        memset(&jc, 0, sizeof jc);
        gd_err err;
        if (d->eng)
            gd_engine_set_journal(d->eng, &jc, &err);
        /* The thread is gone: what was queued after it stopped is journaled
         * here, and synced by the close. */
        if (d->q)
            drain(d, 1);
        gd_journal_close(d->j);
        d->j = NULL;
    }
    gd_jq_free(d->q);
    d->q = NULL;
    if (d->sync_init) {
        uv_cond_destroy(&d->cv);
        uv_mutex_destroy(&d->mu);
        d->sync_init = 0;
    }
    d->active = 0;
}
