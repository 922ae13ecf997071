/* `gordon migrate`: the database schema from migrations/NNN_name.sql.
 *
 * Files are applied in number order, each in one transaction together with
 * its row in trading.schema_migrations (number, name, SHA-256 of the file),
 * under a PostgreSQL advisory lock so that two migrators never race. A run
 * is idempotent: what is recorded is skipped. Before anything is applied,
 * every recorded migration must still have its file with the same name and
 * checksum: an edited, renamed or removed file is refused, naming it, and
 * nothing runs. */
#ifndef GD_MIGRATE_H
#define GD_MIGRATE_H

#include <stdio.h>

#include "base/err.h"

/* Longest migration file read. */
#define GD_MIGRATION_MAX_BYTES (4u * 1024u * 1024u)

typedef struct gd_migrate_result {
    unsigned found;    /* migration files in the directory */
    unsigned applied;  /* applied by this run */
    unsigned recorded; /* recorded before this run */
} gd_migrate_result;

/* Applies the migrations in dir to the database at dsn (a libpq connection
 * string; its password is never printed). Progress lines go to out (may be
 * NULL). On failure err names the file and, for SQL errors, its line. */
int gd_migrate(const char *dsn, const char *dir, FILE *out, gd_migrate_result *res, gd_err *err);

#endif
