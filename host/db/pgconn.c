#include "db/pgconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

const char *gd_pg_errline(PGconn *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", c ? PQerrorMessage(c) : "out of memory");
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

int gd_pg_exec(PGconn *c, const char *sql, const char *what, gd_err *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    char line[512];
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                 ? 0
                 : gd_err_set(err, GD_EIO, "%s: %s", what, gd_pg_errline(c, line, sizeof line));
    PQclear(r);
    return rc;
}

int gd_pg_insert_id(PGconn *c, const char *sql, int n, const char *const *vals, const char *what, long long *id,
                    gd_err *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    int rc = 0;
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 1) {
        char line[512];
        int empty = r && PQresultStatus(r) == PGRES_TUPLES_OK;
        rc = gd_err_set(err, GD_EIO, "recording it in %s: %s", what,
                        empty ? "no row came back" : gd_pg_errline(c, line, sizeof line));
    } else {
        const char *v = PQgetvalue(r, 0, 0);
        char *end = NULL;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end)
            rc = gd_err_set(err, GD_EPROTO, "recording it in %s: the id came back as \"%.40s\"", what, v);
        else
            *id = x;
    }
    PQclear(r);
    return rc;
}

/* Text output that does not depend on the server's or the role's settings. */
static const char session_sql[] = "SET client_min_messages = warning; SET TimeZone = 'UTC';"
                                  "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
                                  "SET extra_float_digits = 3; SET bytea_output = 'hex'";

static int open_with(const char *const *keys, const char *const *vals, PGconn **out, gd_err *err)
{
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    *out = NULL;
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char line[512];
        int rc = gd_err_set(err, GD_EIO, "cannot connect to the database: %s", gd_pg_errline(c, line, sizeof line));
        PQfinish(c);
        return rc;
    }
    int rc = gd_pg_exec(c, session_sql, "setting up the session", err);
    if (rc) {
        PQfinish(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void timeout_str(double ms, char buf[32])
{
    /* libpq counts whole seconds, at least 2. */
    long s = (long)((ms + 999) / 1000);
    snprintf(buf, 32, "%ld", s < 2 ? 2 : s);
}

int gd_pg_open(const char *dsn, double connect_timeout_ms, PGconn **out, gd_err *err)
{
    char t[32];
    timeout_str(connect_timeout_ms, t);
    /* Later keywords win: the DSN's own connect_timeout overrides ours. */
    const char *keys[] = {"connect_timeout", "dbname", NULL};
    const char *vals[] = {t, dsn ? dsn : "", NULL};
    return open_with(keys, vals, out, err);
}

int gd_pg_open_params(const gd_pg_params *p, const char *dbname, double connect_timeout_ms, PGconn **out, gd_err *err)
{
    char t[32];
    timeout_str(connect_timeout_ms, t);
    /* The first dbname is expanded as a connection string; the second is a
     * plain database name and wins. */
    const char *keys[] = {"connect_timeout", "dbname", "dbname", "password", NULL};
    const char *vals[] = {t, p->conninfo, dbname, p->password, NULL};
    if (!p->password)
        keys[3] = NULL;
    return open_with(keys, vals, out, err);
}

static void quote_value(gd_buf *b, const char *v)
{
    gd_buf_puts(b, "'");
    for (; *v; v++) {
        if (*v == '\'' || *v == '\\')
            gd_buf_puts(b, "\\");
        gd_buf_append(b, v, 1);
    }
    gd_buf_puts(b, "'");
}

int gd_pg_params_get(PGconn *c, gd_pg_params *p, gd_err *err)
{
    memset(p, 0, sizeof *p);
    PQconninfoOption *opts = PQconninfo(c);
    if (!opts)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    gd_buf b = GD_BUF_INIT;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !o->val[0])
            continue;
        /* Passwords ('*': password, sslpassword) stay out; the service's
         * values are already expanded here; the database is set per use;
         * compiled-in defaults are the tools' defaults too. */
        if (strchr(o->dispchar, '*') || strcmp(o->keyword, "dbname") == 0 || strcmp(o->keyword, "service") == 0 ||
            (o->compiled && strcmp(o->compiled, o->val) == 0))
            continue;
        if (b.len)
            gd_buf_puts(&b, " ");
        gd_buf_puts(&b, o->keyword);
        gd_buf_puts(&b, "=");
        quote_value(&b, o->val);
    }
    PQconninfoFree(opts);
    p->conninfo = gd_buf_take(&b);
    const char *pw = PQpass(c), *db = PQdb(c);
    p->password = pw && pw[0] ? strdup(pw) : NULL;
    p->dbname = strdup(db ? db : "");
    if (!p->conninfo || !p->dbname || (pw && pw[0] && !p->password)) {
        gd_pg_params_free(p);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    return 0;
}

void gd_pg_params_free(gd_pg_params *p)
{
    free(p->conninfo);
    if (p->password) {
        /* Not left in freed memory. */
        volatile char *s = p->password;
        while (*s)
            *s++ = '\0';
    }
    free(p->password);
    free(p->dbname);
    memset(p, 0, sizeof *p);
}

char *gd_pg_conninfo_db(const gd_pg_params *p, const char *dbname)
{
    gd_buf b = GD_BUF_INIT;
    gd_buf_puts(&b, p->conninfo);
    if (b.len)
        gd_buf_puts(&b, " ");
    gd_buf_puts(&b, "dbname=");
    quote_value(&b, dbname);
    return gd_buf_take(&b);
}

void gd_pg_tool_env(const gd_pg_params *p, gd_envv *e)
{
    gd_envv_pass(e, "PATH");
    /* ~/.postgresql/ (client certificates, root.crt) */
    gd_envv_pass(e, "HOME");
    gd_envv_set(e, "LC_ALL", "C");
    if (p->password)
        gd_envv_set(e, "PGPASSWORD", p->password);
}

int gd_pg_table_sums(PGconn *c, gd_table_sum **out, size_t *n_out, gd_err *err)
{
    char line[512];
    gd_table_sum *t = NULL;
    size_t n = 0;
    int rc = 0;
    *out = NULL;
    *n_out = 0;
    PGresult *r = PQexec(c, "SELECT c.relname FROM pg_catalog.pg_class c"
                            " JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace"
                            " WHERE s.nspname = 'trading' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                            " ORDER BY c.relname COLLATE \"C\"");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = gd_err_set(err, GD_EIO, "listing the tables of schema trading: %s", gd_pg_errline(c, line, sizeof line));
        goto out;
    }
    n = (size_t)PQntuples(r);
    t = calloc(n ? n : 1, sizeof *t);
    if (!t) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = PQgetvalue(r, (int)i, 0);
        snprintf(t[i].name, sizeof t[i].name, "%s", name);
        char *id = PQescapeIdentifier(c, name, strlen(name));
        if (!id) {
            rc = gd_err_set(err, GD_ENOMEM, "out of memory");
            goto out;
        }
        /* The alias is not a column name of ours: a column named like it
         * would shadow the whole-row reference. */
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT count(*), coalesce(md5(string_agg(md5(gd_row_::text), '' ORDER BY md5(gd_row_::text))), '')"
                 " FROM trading.%s gd_row_",
                 id);
        PQfreemem(id);
        PGresult *q = PQexec(c, sql);
        if (!q || PQresultStatus(q) != PGRES_TUPLES_OK || PQntuples(q) != 1) {
            rc = gd_err_set(err, GD_EIO, "counting trading.%s: %s", t[i].name, gd_pg_errline(c, line, sizeof line));
            PQclear(q);
            goto out;
        }
        t[i].rows = strtoll(PQgetvalue(q, 0, 0), NULL, 10);
        snprintf(t[i].checksum, sizeof t[i].checksum, "%s", PQgetvalue(q, 0, 1));
        PQclear(q);
    }
    gd_table_sums_sort(t, n);
    *out = t;
    *n_out = n;
    t = NULL;
out:
    PQclear(r);
    free(t);
    return rc;
}

int gd_pg_tool_run(const gd_pg_params *p, char *const argv[], double timeout_ms, gd_err *err)
{
    gd_envv env = GD_ENVV_INIT;
    gd_spawn_result res;
    int rc;
    gd_pg_tool_env(p, &env);
    if ((rc = gd_envv_check(&env, err)) != 0)
        goto out;
    gd_spawn_opts so = {NULL, NULL, -1, 64 * 1024, timeout_ms, p->password};
    rc = gd_spawn_run(argv, gd_envv_get(&env), &so, &res, err);
    if (rc == GD_ENOENT)
        gd_err_prefix(err, rc, "%s is not installed (apt-get install postgresql-client): ", argv[0]);
    gd_spawn_result_free(&res);
out:
    gd_envv_free(&env);
    return rc;
}
