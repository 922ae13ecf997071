/* `gordon ablate --record`: one walk-forward ablation as a row of
 * trading.ablation_runs (migrations/001_trading.sql).
 *
 * Plain text in, so this room knows nothing of the ablation: the caller
 * builds the JSON. One synchronous connection, parameterised statements, a
 * connect timeout. The DSN may hold a password: it never appears in err, not
 * even when libpq cannot parse it.
 *
 * run_id identifies what ran (the caller derives it from the configuration,
 * plugins, data and host version). Recording a run_id that is already there
 * is idempotent when the stored metrics are the same (the existing row's id
 * is returned, *existed set) and refused (GD_EEXIST) when they differ: the
 * same inputs gave other results, and the first record is never replaced. */
#ifndef GD_RECORD_RUN_H
#define GD_RECORD_RUN_H

#include <stdint.h>

#include "base/err.h"

/* How long a statement may take once connected: the table may be locked. */
#define GD_DB_RECORD_STATEMENT_TIMEOUT "60s"

typedef struct gd_ablation_record {
    const char *run_id; /* unique, non-empty */
    const char *host_version;
    const char *config_sha256; /* 64 lowercase hex */
    const char *config_json;   /* a JSON object: the configuration, without secrets */
    const char *plugins_json;  /* a JSON object: instance -> sha256 of the .so loaded */
    const char *symbols_json;  /* a JSON array of strings, at least one */
    int64_t data_from_ms, data_to_ms;
    const char *data_sha256;  /* 64 lowercase hex */
    uint32_t windows;         /* > 0 */
    const char *metrics_json; /* JSON: the result */
    const char *report_path;  /* NULL: none */
} gd_ablation_record;

/* Before a long run: the database answers, trading.ablation_runs exists, and
 * this role may insert and read it. connect_timeout_ms bounds the connection
 * unless the DSN sets connect_timeout itself. */
int gd_db_record_ablation_check(const char *dsn, int connect_timeout_ms, gd_err *err);

/* Inserts r. *id_out gets the row's id (the existing row's when the run was
 * already recorded with the same metrics; then *existed is 1). */
int gd_db_record_ablation(const char *dsn, int connect_timeout_ms, const gd_ablation_record *r, int64_t *id_out,
                          int *existed, gd_err *err);

#endif
