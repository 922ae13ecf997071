/* restic, run as a child process for gordon backup and gordon restore-drill.
 * The repository and its password file travel in the child's environment
 * (RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE), never in argv; nothing else of
 * ours goes with them but what restic needs to find its cache and a storage
 * back end's credentials. A backup is the directory GD_RESTIC_DIR (the dump
 * and manifest.json), so every snapshot holds /gordon-trading/<file>. */
#ifndef GD_RESTIC_H
#define GD_RESTIC_H

#include <stdint.h>

#include "base/err.h"
#include "db/spawn.h"

#define GD_RESTIC_TAG      "gordon-trading"
#define GD_RESTIC_DIR      "gordon-trading"
/* `restic snapshots --json` read at most: thousands of snapshots. */
#define GD_RESTIC_LIST_MAX (16u * 1024u * 1024u)

typedef struct gd_restic {
    const char *repository;    /* borrowed: [backup] restic_repository */
    const char *password_file; /* borrowed: [backup] restic_password_file */
    double timeout_ms;         /* each restic command's limit (0: none) */
} gd_restic;

typedef struct gd_restic_snap {
    char id[72]; /* the full id */
    char short_id[16];
    char time[48];   /* as restic wrote it (RFC 3339, local offset) */
    int64_t time_ms; /* the same, UTC ms */
} gd_restic_snap;

/* restic's environment into e. GD_EINVAL when the repository or the password
 * file is not configured, GD_ENOENT when the password file is not readable
 * (naming the config key, never the password). */
int gd_restic_env(const gd_restic *r, gd_envv *e, gd_err *err);

/* restic backup --tag gordon-trading GD_RESTIC_DIR, run in parent_dir: the
 * new snapshot's (short) id into id. */
int gd_restic_backup(const gd_restic *r, const char *parent_dir, char id[72], gd_err *err);

/* restic forget --tag gordon-trading --group-by host,tags --keep-hourly N
 * --prune: the last snapshot of each of the last N hours is kept. */
int gd_restic_forget(const gd_restic *r, unsigned keep_hourly, gd_err *err);

/* The newest snapshot tagged gordon-trading; GD_ENOENT if there is none. */
int gd_restic_latest(const gd_restic *r, gd_restic_snap *s, gd_err *err);
/* The same from `restic snapshots --json` output (an array). */
int gd_restic_latest_parse(const char *json, gd_restic_snap *s, gd_err *err);

/* restic dump ID /gordon-trading/NAME into path, a new file (0600). */
int gd_restic_dump(const gd_restic *r, const char *id, const char *name, const char *path, gd_err *err);

/* An RFC 3339 time (2026-01-02T03:04:05.123456789+01:00, or Z) as UTC ms;
 * GD_EPARSE if it is not one. */
int gd_rfc3339_ms(const char *s, int64_t *ms, gd_err *err);

#endif
