/* `gordon ablate --record`: the row of trading.ablation_runs (record_run.h). */
#include "db/record_run.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of a libpq or server message, for one-line errors. */
static const char *first_line(const char *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", s ? s : "");
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

/* A failed statement: the server's primary message, else libpq's. */
static int stmt_fail(PGconn *c, const PGresult *r, const char *what, gd_err *err)
{
    char line[512];
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    return gd_err_set(err, GD_EIO, "%s: %s", what, msg ? msg : first_line(PQerrorMessage(c), line, sizeof line));
}

/* A DSN libpq would read as a connection string rather than a bare name. */
static int is_conninfo(const char *dsn)
{
    return strchr(dsn, '=') || !strncmp(dsn, "postgresql://", 13) || !strncmp(dsn, "postgres://", 11);
}

/* Connects with a timeout (the DSN's own connect_timeout wins) and a bound
 * on each statement. */
static int connect_db(const char *dsn, int connect_timeout_ms, PGconn **out, gd_err *err)
{
    char tmo[16];
    *out = NULL;
    if (!dsn || !dsn[0])
        return gd_err_set(err, GD_EINVAL, "no database DSN");
    if (is_conninfo(dsn)) {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
        if (!opts) {
            /* libpq's message quotes the part it could not read: maybe a password. */
            int oom = perr == NULL;
            PQfreemem(perr);
            return oom ? gd_err_set(err, GD_ENOMEM, "out of memory")
                       : gd_err_set(err, GD_EINVAL,
                                    "the database DSN is not a valid libpq connection string (not shown: it may "
                                    "hold a password)");
        }
        PQconninfoFree(opts);
    }
    /* Whole seconds; libpq takes 1 as 2. */
    int s = connect_timeout_ms > 0 ? (connect_timeout_ms + 999) / 1000 : 10;
    snprintf(tmo, sizeof tmo, "%d", s < 2 ? 2 : s);
    /* Entries before the expanded dbname are defaults the DSN may override. */
    const char *const kw[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const val[] = {tmo, "gordon ablate", dsn, NULL};
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (!c)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
        char line[512];
        int rc = gd_err_set(err, GD_EIO, "cannot connect to the database: %s",
                            first_line(PQerrorMessage(c), line, sizeof line));
        PQfinish(c);
        return rc;
    }
    PGresult *r = PQexec(c, "SET statement_timeout = '" GD_DB_RECORD_STATEMENT_TIMEOUT "'");
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        int rc = stmt_fail(c, r, "setting statement_timeout", err);
        PQclear(r);
        PQfinish(c);
        return rc;
    }
    PQclear(r);
    *out = c;
    return 0;
}

int gd_db_record_ablation_check(const char *dsn, int connect_timeout_ms, gd_err *err)
{
    PGconn *c = NULL;
    PGresult *r = NULL;
    int rc = connect_db(dsn, connect_timeout_ms, &c, err);
    if (rc)
        return rc;
    /* has_*_privilege on a missing table would be an error, not false. */
    r = PQexec(c, "SELECT t IS NOT NULL,"
                  " CASE WHEN t IS NULL THEN false ELSE"
                  "  has_table_privilege(t, 'INSERT') AND has_table_privilege(t, 'SELECT') AND"
                  "  has_sequence_privilege(pg_get_serial_sequence('trading.ablation_runs', 'id'), 'USAGE') END"
                  " FROM (SELECT to_regclass('trading.ablation_runs') AS t) s");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 2) {
        rc = stmt_fail(c, r, "looking for trading.ablation_runs", err);
        goto done;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        rc = gd_err_set(err, GD_ENOENT, "the database has no trading.ablation_runs: run gordon migrate first");
    else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0)
        rc = gd_err_set(err, GD_EPERM,
                        "this database role may not insert into and read trading.ablation_runs (and use its id "
                        "sequence)");
done:
    PQclear(r);
    PQfinish(c);
    return rc;
}

static int parse_id(const char *s, int64_t *id, gd_err *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return gd_err_set(err, GD_EPROTO, "trading.ablation_runs: the id '%.32s' is not a number", s);
    *id = v;
    return 0;
}

/* The run was there already: the same when its metrics are. */
static int existing(PGconn *c, const gd_ablation_record *rec, int64_t *id_out, gd_err *err)
{
    const char *vals[2] = {rec->run_id, rec->metrics_json};
    PGresult *r = PQexecParams(c, "SELECT id, metrics = $2::jsonb FROM trading.ablation_runs WHERE run_id = $1", 2,
                               NULL, vals, NULL, NULL, 0);
    int rc;
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != 2) {
        rc = stmt_fail(c, r, "reading trading.ablation_runs", err);
        goto done;
    }
    if (PQntuples(r) != 1) {
        rc = gd_err_set(err, GD_ESTATE, "run %s: already recorded, then gone: try again", rec->run_id);
        goto done;
    }
    if ((rc = parse_id(PQgetvalue(r, 0, 0), id_out, err)) != 0)
        goto done;
    if (strcmp(PQgetvalue(r, 0, 1), "t") != 0)
        rc = gd_err_set(err, GD_EEXIST,
                        "run %s is already recorded (id %lld) with other metrics: the same configuration, plugins, "
                        "data and host version gave different results; the first record stays",
                        rec->run_id, (long long)*id_out);
done:
    PQclear(r);
    return rc;
}

int gd_db_record_ablation(const char *dsn, int connect_timeout_ms, const gd_ablation_record *rec, int64_t *id_out,
                          int *existed, gd_err *err)
{
    PGconn *c = NULL;
    PGresult *r = NULL;
    char from[24], to[24], windows[16];
    *id_out = 0;
    *existed = 0;
    if (!rec->run_id || !rec->run_id[0] || !rec->windows)
        return gd_err_set(err, GD_EINVAL, "an ablation record needs a run_id and windows");
    int rc = connect_db(dsn, connect_timeout_ms, &c, err);
    if (rc)
        return rc;
    snprintf(from, sizeof from, "%lld", (long long)rec->data_from_ms);
    snprintf(to, sizeof to, "%lld", (long long)rec->data_to_ms);
    snprintf(windows, sizeof windows, "%u", (unsigned)rec->windows);
    const char *vals[12] = {rec->run_id,
                            rec->host_version,
                            rec->config_sha256,
                            rec->config_json,
                            rec->plugins_json,
                            rec->symbols_json,
                            from,
                            to,
                            rec->data_sha256,
                            windows,
                            rec->metrics_json,
                            rec->report_path};
    /* Times as integer milliseconds (no float rounding); symbols as JSON, so
     * no array-literal quoting. One statement: no transaction to leave open. */
    r = PQexecParams(c,
                     "INSERT INTO trading.ablation_runs (run_id, host_version, config_sha256, config, plugins,"
                     " symbols, data_from, data_to, data_sha256, windows, metrics, report_path)"
                     " VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, ARRAY(SELECT jsonb_array_elements_text($6::jsonb)),"
                     " to_timestamp(0) + $7::bigint * interval '1 millisecond',"
                     " to_timestamp(0) + $8::bigint * interval '1 millisecond',"
                     " $9, $10::integer, $11::jsonb, $12)"
                     " ON CONFLICT (run_id) DO NOTHING RETURNING id",
                     12, NULL, vals, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != 1) {
        rc = stmt_fail(c, r, "inserting into trading.ablation_runs", err);
        goto done;
    }
    if (PQntuples(r) == 1) {
        rc = parse_id(PQgetvalue(r, 0, 0), id_out, err);
        goto done;
    }
    rc = existing(c, rec, id_out, err);
    if (!rc)
        *existed = 1;
done:
    PQclear(r);
    PQfinish(c);
    return rc;
}
