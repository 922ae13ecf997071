/* libpq for the commands that drive PostgreSQL's own tools (gordon backup,
 * gordon restore-drill): connections whose password never leaves this
 * process except in a child's environment, and the per-table row counts and
 * checksums both commands compare. A DSN or a password never reaches an
 * error message. */
#ifndef GD_PGCONN_H
#define GD_PGCONN_H

#include <libpq-fe.h>
#include <stddef.h>

#include "base/err.h"
#include "db/manifest.h"
#include "db/spawn.h"

/* Connects to dsn (connect_timeout_ms applies unless the DSN sets its own
 * connect_timeout) and fixes the session's text output (UTC, ISO dates,
 * exact floats, hex bytea) so that a row's text, and so its checksum, is
 * the same in any session. */
int gd_pg_open(const char *dsn, double connect_timeout_ms, PGconn **out, gd_err *err);

/* A live connection's parameters as libpq resolved them (from the DSN, the
 * PG* environment, a service file), split. */
typedef struct gd_pg_params {
    char *conninfo; /* owned: "key='value' ..." without password or dbname (may be "") */
    char *password; /* owned: what the connection used (NULL if none) */
    char *dbname;   /* owned */
} gd_pg_params;

int gd_pg_params_get(PGconn *c, gd_pg_params *p, gd_err *err);
void gd_pg_params_free(gd_pg_params *p);
/* p's conninfo for dbname, for a tool's -d: no password in it (argv is
 * world-readable). NULL when out of memory; the caller frees it. */
char *gd_pg_conninfo_db(const gd_pg_params *p, const char *dbname);
/* gd_pg_open with p's parameters (and password) to dbname. */
int gd_pg_open_params(const gd_pg_params *p, const char *dbname, double connect_timeout_ms, PGconn **out, gd_err *err);
/* The environment for pg_dump and pg_restore: PATH and HOME passed on,
 * LC_ALL=C, and the password as PGPASSWORD. */
void gd_pg_tool_env(const gd_pg_params *p, gd_envv *e);

/* Runs a PostgreSQL client tool (pg_dump, pg_restore: argv[0]) with p's
 * environment (the password only as PGPASSWORD, masked in what it says)
 * within timeout_ms; GD_ENOENT says to install postgresql-client. */
int gd_pg_tool_run(const gd_pg_params *p, char *const argv[], double timeout_ms, gd_err *err);

/* A statement whose result is not needed; GD_EIO "what: <server message>". */
int gd_pg_exec(PGconn *c, const char *sql, const char *what, gd_err *err);
/* An INSERT ... RETURNING id of one row, with n text parameters: the id into
 * *id; GD_EIO "recording it in WHAT: <server message>", or GD_EPROTO when
 * the answer is not one whole number. */
int gd_pg_insert_id(PGconn *c, const char *sql, int n, const char *const *vals, const char *what, long long *id,
                    gd_err *err);
/* The first line of the connection's last error, into buf. */
const char *gd_pg_errline(PGconn *c, char *buf, size_t cap);

/* The row count and checksum of every table of schema trading (partitioned
 * tables as one), as the connection's current snapshot sees them, sorted by
 * name: count(*) and md5(string_agg(md5(row::text) ORDER BY that)). The
 * caller frees *out. */
int gd_pg_table_sums(PGconn *c, gd_table_sum **out, size_t *n, gd_err *err);

#endif
