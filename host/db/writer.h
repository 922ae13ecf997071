/* The PostgreSQL writer: applies the journal's durable records to trading.*
 * on the host's libuv loop, never blocking it. libpq runs non-blocking
 * (PQconnectStartParams/PQconnectPoll, then pipeline mode with prepared
 * statements), driven by a uv_poll_t on a dup of PQsocket. Records go in
 * order, in batches (each batch one implicit transaction, closed by a
 * pipeline sync), several batches in flight. Every statement is idempotent
 * (ON CONFLICT on the record's id, updates guarded by the record's sequence
 * number), so after an outage or a crash the writer simply starts again
 * after the journal's applied mark.
 *
 * A batch the database refuses for its data (a constraint, SQLSTATE classes
 * 22 and 23) is retried one record at a time; a record refused on its own is
 * set aside in reject_path (JSON lines, fsync'd), logged and counted, never
 * dropped silently. Any other failure (connection lost, server shutting
 * down) closes the connection and reconnects with exponential backoff.
 *
 * With two connections (the default), the work is split in two stages,
 * each a server process: the first writes intents, orders and order
 * events; the second positions, fills, fee corrections, equity points, risk
 * events and the latch, sending a record only once the first has applied
 * every record up to it (so what a row refers to is there). The second
 * marks the journal applied. A reader may see an order a moment before its
 * fill, as it may between two batches of one connection. */
#ifndef GD_WRITER_H
#define GD_WRITER_H

#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "db/journal.h"

/* Batch round trip histogram bounds, seconds (+Inf implied). */
#define GD_DBW_LAT_BUCKETS 12
#define GD_DBW_LAT_BOUNDS {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5}
extern const double gd_dbw_lat_bounds[GD_DBW_LAT_BUCKETS];

typedef struct gd_dbw_stats {
    int connected;            /* statements prepared, writing */
    uint64_t connects;        /* connections made (the first one included) */
    uint64_t reconnects;      /* connections lost or failed, then tried again */
    uint64_t applied;         /* records written */
    uint64_t replayed;        /* ... of which were journaled before the connection that wrote them
                                 (an outage, or an earlier run) */
    uint64_t rejected;        /* refused by the database and set aside */
    uint64_t batches;
    uint64_t lat_le[GD_DBW_LAT_BUCKETS + 1];
    double lat_sum;
    int64_t last_ok_ms;       /* wall clock of the last batch applied (0: none) */
    char last_error[256];     /* why the last connection failed or closed ("" none) */
} gd_dbw_stats;

typedef struct gd_dbw_opts {
    uv_loop_t *loop;
    const char *dsn;          /* copied; never logged */
    gd_journal *journal;      /* borrowed; must outlive the writer */
    const char *reject_path;  /* where refused records go (copied) */
    const char *source;       /* the journal's id: 16 lowercase hex (copied) */
    double connect_timeout_ms;
    double reconnect_min_ms;  /* first backoff (0: 250) */
    double reconnect_max_ms;
    uint32_t batch_max;       /* records per batch (0: 512) */
    uint32_t inflight_max;    /* batches in flight (0: 4) */
    uint32_t connections;     /* 1, or 2 (0: 2): intents and orders on one, the rest on the other */
} gd_dbw_opts;

typedef struct gd_dbw gd_dbw;

/* Starts connecting at once. */
int gd_dbw_start(const gd_dbw_opts *opts, gd_dbw **out, gd_err *err);

/* New durable records: send them if the connection is up. Cheap. */
void gd_dbw_kick(gd_dbw *w);

/* Closes the connection and every handle; the memory is freed once libuv
 * has closed them (run the loop). w must not be used after. */
void gd_dbw_stop(gd_dbw *w);

const gd_dbw_stats *gd_dbw_stats_get(const gd_dbw *w);

/* 1 when every durable record is applied and nothing is in flight. */
int gd_dbw_caught_up(const gd_dbw *w);

/* The halt latch as the database holds it, read once at start-up
 * (blocking, bounded by timeout_ms). found 0: no row yet. */
typedef struct gd_db_latch {
    int found;
    int halted;
    char who[96];
    char reason[256];
    int64_t since_ms;
} gd_db_latch;
int gd_db_latch_read(const char *dsn, double timeout_ms, gd_db_latch *out, gd_err *err);

#endif
