/* `gordon backup`: schema trading, consistent, into a restic repository.
 *
 * One REPEATABLE READ, READ ONLY transaction exports its snapshot; the
 * per-table row counts and checksums are computed in it, and pg_dump
 * --snapshot dumps exactly that snapshot, so the manifest describes the dump
 * to the row. The dump and manifest.json go into a private (0700) temporary
 * directory, restic backs it up tagged gordon-trading, then restic forget
 * keeps the last snapshot of each of the last keep_hourly hours. The
 * temporary directory is removed on every path. pg_dump gets the password
 * in its environment, never in argv; the DSN is never printed. */
#ifndef GD_BACKUP_H
#define GD_BACKUP_H

#include <stdio.h>

#include "base/err.h"
#include "db/restic.h"

/* pg_dump, pg_restore and each restic command are killed after this long:
 * hours for a database of this size, but a hung network or lock must not
 * hold an hourly job for ever. */
#define GD_BACKUP_STEP_TIMEOUT_MS (4.0 * 3600 * 1000)
/* pg_dump waits this long for a table lock (a migration holds them). */
#define GD_BACKUP_LOCK_WAIT       "5min"

typedef struct gd_backup_opts {
    const char *dsn;           /* libpq connection string (never printed) */
    gd_restic restic;          /* repository, password file, step timeout */
    unsigned keep_hourly;      /* restic forget --keep-hourly; 0: no forget */
    double connect_timeout_ms; /* unless the DSN sets connect_timeout */
    FILE *out;                 /* progress lines (may be NULL) */
} gd_backup_opts;

typedef struct gd_backup_result {
    char snapshot_id[72]; /* restic's (short) id */
    char snapshot_at[32]; /* the database snapshot's time, UTC */
    size_t tables;
    long long rows;
    unsigned long long dump_bytes;
    int forgot; /* restic forget ran and succeeded */
} gd_backup_result;

/* 0 once the snapshot is in the repository and old ones are forgotten. A
 * failing forget after a good backup is an error too (with snapshot_id
 * set): retention that does not run fills the repository. */
int gd_backup(const gd_backup_opts *o, gd_backup_result *res, gd_err *err);

#endif
