/* `gordon restore-drill`: proof that the latest backup restores.
 *
 * The newest snapshot tagged gordon-trading is taken from the restic
 * repository (its manifest.json and dump, into a private temporary
 * directory; the dump must match the manifest's size and SHA-256), restored
 * with pg_restore into a scratch database created for the drill on the
 * source's server (gordon_drill_<unix time>_<pid>; the DSN's role needs
 * CREATEDB), and every table's row count and checksum there is compared
 * with the manifest: the source as of the backup, not as of now. The
 * scratch database is dropped on every path once created; the whole drill
 * is timed, and once a snapshot was found it is recorded in the source's
 * trading.restore_drills (ok or not, both sides of every table, what
 * failed). The pre-live checklist asks for an ok drill within 90 days:
 * gd_drill_last_ok. */
#ifndef GD_DRILL_H
#define GD_DRILL_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "db/manifest.h"
#include "db/restic.h"

typedef struct gd_drill_opts {
    const char *dsn;           /* the source database (never printed) */
    gd_restic restic;          /* repository, password file, step timeout */
    double connect_timeout_ms; /* unless the DSN sets connect_timeout */
    FILE *out;                 /* progress lines (may be NULL) */
} gd_drill_opts;

typedef struct gd_drill_table {
    char name[GD_TABLE_NAME_MAX];
    const gd_table_sum *want; /* borrowed from the result's manifest; NULL: not in it */
    const gd_table_sum *got;  /* borrowed from the result's restored sums; NULL: not restored */
    int ok;
} gd_drill_table;

typedef struct gd_drill_result {
    int ok;               /* every table matched and the scratch database is gone */
    int recorded;         /* a row is in trading.restore_drills */
    long long drill_id;   /* its id */
    char snapshot_id[72]; /* restic's (empty: none was found) */
    char snapshot_at[48]; /* the database snapshot's time (restic's until the manifest is read) */
    char scratch_db[64];
    int scratch_dropped;
    double seconds;
    gd_manifest manifest;   /* owned */
    gd_table_sum *restored; /* owned, sorted by name */
    size_t n_restored;
    gd_drill_table *tables; /* owned: the union of both sides, by name */
    size_t n_tables, n_mismatch;
    char detail[1024]; /* what failed, as recorded ("" when ok) */
} gd_drill_result;

/* 0 when the drill ran and every table matched. Otherwise an error: the
 * snapshot could not be found or fetched, the dump did not match its
 * manifest, pg_restore failed, or GD_ESTATE when tables differ (err names
 * them). res says how far it got; free it with gd_drill_result_free. */
int gd_restore_drill(const gd_drill_opts *o, gd_drill_result *res, gd_err *err);
void gd_drill_result_free(gd_drill_result *res);

/* The per-table comparison as a short table, then the outcome. */
void gd_drill_print(const gd_drill_result *res, FILE *out);

/* The time (UTC ms) of the latest ok drill recorded in dsn's
 * trading.restore_drills, and of the latest drill at all; *found /
 * *found_any say whether there is one. */
int gd_drill_last(const char *dsn, double connect_timeout_ms, int64_t *ok_ms, int *found, int64_t *any_ms,
                  int *found_any, gd_err *err);

/* The time of the latest ok drill (the pre-live checklist's question). */
int gd_drill_last_ok(const char *dsn, double connect_timeout_ms, int64_t *at_ms, int *found, gd_err *err);

#endif
