#include "daemon/dbrun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/dates.h"
#include "base/file.h"
#include "base/log.h"
#include "risk/latch.h"

static void on_sync_timer(uv_timer_t *t)
{
    gd_dbrun *d = t->data;
    d->armed = 0;
    gd_dbrun_flush(d);
}

/* The engine appended a record: it is synced within the window. Arming a
 * timer makes no system call. */
static void on_appended(void *arg)
{
    gd_dbrun *d = arg;
    if (d->armed || !d->timer_init)
        return;
    d->armed = 1;
    uv_timer_start(&d->sync_timer, on_sync_timer, (uint64_t)d->window_ms, 0);
}

static void sync_failed(gd_dbrun *d, const gd_err *err)
{
    d->sync_failures++;
    int64_t now = gd_mono_ms();
    if (now - d->last_sync_fail_log_ms >= 10000) {
        d->last_sync_fail_log_ms = now;
        gd_log(GD_LOG_ERROR, "journal", NULL, "journal sync failed (retrying): %s", err->msg);
    }
    /* Again within the window (or 100 ms: a failing disk is not hammered). */
    if (d->timer_init && !d->armed && !d->stopped) {
        d->armed = 1;
        uv_timer_start(&d->sync_timer, on_sync_timer, (uint64_t)(d->window_ms > 100 ? d->window_ms : 100), 0);
    }
}

/* The write and fdatasync, on libuv's threadpool: the loop never waits on
 * the disk. */
static void sync_work(uv_work_t *w)
{
    gd_dbrun *d = w->data;
    uint64_t t0 = uv_hrtime();
    gd_journal_sync_io(&d->io);
    d->io_seconds = (double)(uv_hrtime() - t0) / 1e9;
    uv_mutex_lock(&d->mu);
    d->io_done = 1;
    uv_cond_signal(&d->cv);
    uv_mutex_unlock(&d->mu);
}

/* An order about to leave for a venue: the journal durable up to now. A
 * sync on the threadpool is waited for (a few milliseconds: the order had
 * to wait for a fdatasync anyway) and ended here; then the rest is synced
 * in the call. */
static int sync_now(void *arg, gd_err *err)
{
    gd_dbrun *d = arg;
    if (d->io_busy && !d->io_ended_early) {
        uv_mutex_lock(&d->mu);
        while (!d->io_done)
            uv_cond_wait(&d->cv, &d->mu);
        uv_mutex_unlock(&d->mu);
        d->io_ended_early = 1;
        int rc = gd_journal_sync_end(d->j, &d->io, err);
        if (rc) {
            sync_failed(d, err);
            return rc;
        }
        d->syncs++;
        d->sync_seconds_sum += d->io_seconds;
    }
    int rc = gd_journal_sync(d->j, err);
    if (!rc)
        d->syncs++;
    return rc;
}

static void sync_done(uv_work_t *w, int status)
{
    gd_dbrun *d = w->data;
    gd_err err;
    (void)status;
    d->io_busy = 0;
    if (d->io_ended_early) { /* sync_now ended it already */
        d->io_ended_early = 0;
        gd_dbw_kick(d->w);
        if (gd_journal_durable_seq(d->j) < gd_journal_last_seq(d->j))
            gd_dbrun_flush(d);
        return;
    }
    if (gd_journal_sync_end(d->j, &d->io, &err) != 0) {
        sync_failed(d, &err);
        return;
    }
    d->syncs++;
    d->sync_seconds_sum += d->io_seconds;
    gd_dbw_kick(d->w);
    /* What was appended meanwhile goes at once: group commit. */
    if (gd_journal_durable_seq(d->j) < gd_journal_last_seq(d->j))
        gd_dbrun_flush(d);
}

void gd_dbrun_flush(gd_dbrun *d)
{
    if (!d->active || d->io_busy)
        return;
    if (gd_journal_durable_seq(d->j) < gd_journal_last_seq(d->j)) {
        gd_err err;
        if (gd_journal_sync_begin(d->j, &d->io, &err) != 0) {
            sync_failed(d, &err);
            return;
        }
        if (d->io.n_iov) {
            d->work.data = d;
            d->io_done = 0;
            if (!d->stopped && uv_queue_work(d->loop, &d->work, sync_work, sync_done) == 0) {
                d->io_busy = 1;
                return;
            }
            /* No loop to hand it to (stopping): here and now. */
            gd_journal_sync_io(&d->io);
            if (gd_journal_sync_end(d->j, &d->io, &err) != 0) {
                sync_failed(d, &err);
                return;
            }
            d->syncs++;
        }
    }
    gd_dbw_kick(d->w);
}

void gd_dbrun_tick(gd_dbrun *d, int64_t wall_ms)
{
    if (!d->active)
        return;
    gd_engine_journal_tick(d->eng, wall_ms);
    gd_dbrun_flush(d);
}

int gd_dbrun_caught_up(const gd_dbrun *d)
{
    if (!d->active)
        return 1;
    return !d->io_busy && gd_journal_durable_seq(d->j) == gd_journal_last_seq(d->j) && gd_dbw_caught_up(d->w);
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
    /* Records are a few hundred bytes: room for max_depth of them (touched
     * as used); the db breaker also closes at half of it. */
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
    gd_engine_journal jc = {d->j, cfg->db_max_depth, cfg->db_max_age_s, cfg->db_equity_interval_s, mem, on_appended,
                            sync_now, d};
    if ((rc = gd_engine_set_journal(eng, &jc, err)) != 0)
        goto fail;
    gd_engine_rec_session(eng);
    reconcile_latch(d, cfg);
    gd_engine_equity_point(eng, "start");
    gd_dbw_opts wo = {loop, cfg->db_dsn, d->j, rej, d->source, cfg->db_connect_timeout_ms, 0,
                      cfg->db_reconnect_max_ms, 0, 0};
    if ((rc = gd_dbw_start(&wo, &d->w, err)) != 0)
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
    if (d->w) {
        if (!d->finished)
            gd_engine_equity_point(d->eng, "stop");
        d->finished = 1;
        /* Synced here and now (whatever is on the threadpool finishes as
         * the loop winds down, then syncs the rest the same way): applied
         * on the next start if the database does not take it first. */
        d->stopped = 1;
        gd_dbrun_flush(d);
        gd_dbw_stop(d->w);
        d->w = NULL;
    }
    if (d->timer_init && !uv_is_closing((uv_handle_t *)&d->sync_timer)) {
        uv_timer_stop(&d->sync_timer);
        uv_close((uv_handle_t *)&d->sync_timer, NULL);
    }
    d->armed = 1; /* no more arming once closed */
}

void gd_dbrun_close(gd_dbrun *d)
{
    if (d->j) {
        gd_engine_journal jc = {NULL, 0, 0, 0, 0, NULL, NULL, NULL};
        gd_err err;
        if (d->eng)
            gd_engine_set_journal(d->eng, &jc, &err);
        gd_journal_close(d->j);
        d->j = NULL;
    }
    if (d->sync_init) {
        uv_cond_destroy(&d->cv);
        uv_mutex_destroy(&d->mu);
        d->sync_init = 0;
    }
    d->active = 0;
}
