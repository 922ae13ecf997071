/* The database side of a running daemon: the journal under state_dir, its
 * fsync window, the PostgreSQL writer, and the halt latch reconciled with
 * the database at start. Inactive (every call a no-op) without [db] dsn.
 *
 * The trading loop only packs records into a queue (db/jq.h); a thread of
 * its own formats them, appends them to the journal, fsyncs it within the
 * window and runs the writer on a libuv loop of its own, so the database
 * costs the trading loop a copy per record. An order for a venue waits for
 * the thread to make everything before it durable (as it had to wait for a
 * fdatasync anyway). */
#ifndef GD_DBRUN_H
#define GD_DBRUN_H

#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "config/config.h"
#include "db/jq.h"
#include "db/journal.h"
#include "db/writer.h"
#include "engine/engine.h"

/* What the database thread last published, for /readyz, /metrics and the
 * bench (copied under the lock: the loop never reads the thread's own). */
typedef struct gd_dbrun_snap {
    gd_dbw_stats w;           /* the writer's (w.connected 0 before it started) */
    uint64_t depth;           /* records in the journal not yet applied */
    uint64_t popped;          /* records taken from the queue when this was published */
    int caught_up;            /* the journal is durable and applied up to popped */
    uint64_t syncs, sync_failures;
    double sync_seconds_sum;  /* time spent in write + fdatasync */
    uint64_t lost;            /* records the thread could not journal */
    uint64_t room_waits;      /* the loop's (gd_dbrun.room_waits): snapshots are taken on the loop */
    uint64_t room_wait_ns;
} gd_dbrun_snap;

typedef struct gd_dbrun {
    int active;
    gd_engine *eng;           /* borrowed */
    uv_loop_t *loop;          /* the trading loop */
    /* The loop's side: records go into q; the fsync window is a timer here
     * (arming it makes no system call) that wakes the thread. */
    gd_jq *q;
    /* Read or written by the loop for every record: a cache line apart
     * from anything the thread writes (its loop's fields, what it
     * publishes), however this struct happens to be aligned. */
    char pad_loop[64];
    uv_timer_t sync_timer;
    int timer_init;
    int armed;
    uint64_t flushed_at;      /* records queued when a sync was last asked for */
    double window_ms;
    int stopped;
    int room_gave_up;         /* the last wait for room in the queue timed out */
    uint64_t room_waits;      /* times the loop waited for room in the queue (the thread lagging) */
    uint64_t room_wait_ns;    /* ... and for how long in all */
    int finished;             /* the last equity point is journaled */
    char pad_pub[64];
    gd_jpub pub;
    char pad_thread[64];
    /* The database thread: its own loop, the journal and the writer. */
    gd_journal *j;            /* the thread's once it runs */
    gd_dbw *w;                /* the thread's */
    size_t group_at;          /* the queue's head entry is a group journaled up to here */
    uv_loop_t dl;
    uv_async_t wake;
    uv_timer_t tick;
    uv_thread_t thread;
    int dl_init, thread_started, closing, stop_requested;
    /* The loop sets want_stop, wakes the thread a last time, then sets
     * stop_sent and never wakes it again: only then may the thread close
     * its wake handle. */
    _Atomic int want_sync, want_stop, stop_sent;
    int64_t last_sync_fail_log_ms;
    /* Under mu: what the thread published; syncs the loop waits for (an
     * order about to leave) or room in the queue. */
    uv_mutex_t mu;
    uv_cond_t cv;
    int sync_init;
    gd_dbrun_snap snap;
    uint64_t durable_popped;  /* records popped whose journal records are durable */
    uint64_t sync_fail_gen;   /* rises on every failed sync */
    char sync_error[256];
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
int gd_dbrun_caught_up(gd_dbrun *d);

/* The run is over (a replay's end): the last equity point, synced, so a
 * drain can wait for it to reach the database. */
void gd_dbrun_finish(gd_dbrun *d);

/* Syncs, stops the writer and closes the timer (run the loop afterwards). */
void gd_dbrun_stop(gd_dbrun *d);

/* After the loop has closed everything: waits for the thread, closes the
 * journal. */
void gd_dbrun_close(gd_dbrun *d);

/* What the thread last published, and the loop's waits for it (zeros when
 * inactive). On the loop's thread. */
void gd_dbrun_snapshot(gd_dbrun *d, gd_dbrun_snap *out);

#endif
