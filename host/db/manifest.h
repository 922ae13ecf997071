/* manifest.json: what a backup holds, written beside the dump by `gordon
 * backup` and checked by `gordon restore-drill`. The per-table row counts
 * and checksums are computed in the same database snapshot that pg_dump
 * dumps, so a faithful restore reproduces them exactly.
 *
 *   {"format":1, "kind":"gordon-trading", "schema":"trading",
 *    "snapshot_at":"2026-01-02T03:04:05.678Z", "snapshot_at_ms":...,
 *    "database":"...", "server_version":"15.8 ...", "gordon_version":"...",
 *    "dump":{"file":"trading.dump", "bytes":N, "sha256":"<hex>"},
 *    "tables":{"intents":{"rows":N, "checksum":"<md5 hex, or empty>"}, ...}} */
#ifndef GD_MANIFEST_H
#define GD_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define GD_MANIFEST_FORMAT    1
#define GD_MANIFEST_KIND      "gordon-trading"
#define GD_MANIFEST_FILE      "manifest.json"
#define GD_BACKUP_DUMP_FILE   "trading.dump"
/* Far more than a few hundred tables need; bounds what a drill reads. */
#define GD_MANIFEST_MAX_BYTES (4u * 1024u * 1024u)
/* PostgreSQL names are at most 63 bytes (NAMEDATALEN - 1). */
#define GD_TABLE_NAME_MAX     64

typedef struct gd_table_sum {
    char name[GD_TABLE_NAME_MAX];
    long long rows;
    /* md5 of the rows' md5s (of each row's text) in sorted order, 32 hex
     * digits; empty for an empty table */
    char checksum[33];
} gd_table_sum;

typedef struct gd_manifest {
    char snapshot_at[32]; /* the database snapshot's time, UTC, ms */
    int64_t snapshot_at_ms;
    char database[128];
    char server_version[128];
    char gordon_version[128];
    unsigned long long dump_bytes;
    char dump_sha256[65];
    gd_table_sum *tables; /* owned, sorted by name */
    size_t n_tables;
} gd_manifest;

/* Writes m as JSON to path, a new file (mode 0600; an existing one is an
 * error). */
int gd_manifest_write(const gd_manifest *m, const char *path, gd_err *err);

/* Parses text (NUL-terminated); every field is checked (types, lengths,
 * hex, whole numbers, no table twice). On error m is empty and err names
 * where ("<where>: tables.intents.rows: ..."). */
int gd_manifest_parse(const char *text, const char *where, gd_manifest *m, gd_err *err);
void gd_manifest_free(gd_manifest *m);

/* Sorts tables by name (strcmp), the order manifests and reports use. */
void gd_table_sums_sort(gd_table_sum *t, size_t n);
/* The entry named name, or NULL. */
const gd_table_sum *gd_table_sum_find(const gd_table_sum *t, size_t n, const char *name);

#endif
