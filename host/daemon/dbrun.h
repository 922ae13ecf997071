/* The database side of a running daemon: the journal under state_dir, its
 * fsync window, the PostgreSQL writer, and the halt latch reconciled with
 * the database at start. Inactive (every call a no-op) without [db] dsn. */
#ifndef GD_DBRUN_H
#define GD_DBRUN_H

#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "config/config.h"
#include "db/journal.h"
#include "db/writer.h"
#include "engine/engine.h"

typedef struct gd_dbrun {
    int active;
    gd_journal *j;
    gd_dbw *w;
    gd_engine *eng;           /* borrowed */
    uv_loop_t *loop;
    uv_timer_t sync_timer;
    uv_work_t work;           /* the journal's write and fdatasync, off the loop */
    gd_journal_io io;
    int io_busy;
    /* An order for a venue cannot wait for the loop: it waits for the sync
     * on the threadpool (io_done, under mu) and ends it itself. */
    uv_mutex_t mu;
    uv_cond_t cv;
    int sync_init;
    int io_done;
    int io_ended_early;
    int stopped;
    int finished;             /* the last equity point is journaled */
    double io_seconds;
    int timer_init;
    int armed;
    double window_ms;
    uint64_t syncs, sync_failures;
    double sync_seconds_sum;  /* time spent in write + fdatasync */
    int64_t last_sync_fail_log_ms;
    gd_journal_recovery recovery;
    char source[17];          /* the journal's id in the database's rows */
    char latch_source[200];   /* what the start-up reconciliation decided, for /readyz */
} gd_dbrun;

/* Opens the journal (<state_dir>/journal), reconciles the halt latch with
 * the database (the stricter wins, and the log says which), attaches the
 * journal to the engine and starts the writer. Call after the state store
 * is attached to the engine. */
int gd_dbrun_open(gd_dbrun *d, uv_loop_t *loop, const gd_config *cfg, gd_engine *eng, gd_err *err);

/* Syncs what the engine appended and hands it to the writer (between
 * batches of bars, and when the fsync window closes). */
void gd_dbrun_flush(gd_dbrun *d);

/* Once a second: the engine's journal tick, and a sync if one is due. */
void gd_dbrun_tick(gd_dbrun *d, int64_t wall_ms);

/* 1 when the database holds every record (or there is no database). */
int gd_dbrun_caught_up(const gd_dbrun *d);

/* The run is over (a replay's end): the last equity point, synced, so a
 * drain can wait for it to reach the database. */
void gd_dbrun_finish(gd_dbrun *d);

/* Syncs, stops the writer and closes the timer (run the loop afterwards). */
void gd_dbrun_stop(gd_dbrun *d);

/* After the loop has closed everything: closes the journal. */
void gd_dbrun_close(gd_dbrun *d);

#endif
