#include "db/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/file.h"
#include "base/hash.h"

/* pg_advisory_lock key: "gordonMG" */
#define GD_MIGRATE_LOCK_KEY "7453295370469658183"

typedef struct mfile {
    unsigned number;
    char name[128]; /* NNN_name, without .sql */
    char path[4352];
    char sha[65];
    char *sql;      /* owned */
} mfile;

/* NNN_name.sql: three digits, an underscore, [a-z0-9_]+. Other files (a
 * README) are not migrations. */
static int parse_name(const char *f, unsigned *number)
{
    size_t n = strlen(f);
    if (n < 9 || n >= 128 || strcmp(f + n - 4, ".sql") != 0)
        return 0;
    for (int i = 0; i < 3; i++)
        if (f[i] < '0' || f[i] > '9')
            return 0;
    if (f[3] != '_')
        return 0;
    for (size_t i = 4; i < n - 4; i++)
        if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_'))
            return 0;
    *number = (unsigned)((f[0] - '0') * 100 + (f[1] - '0') * 10 + (f[2] - '0'));
    return 1;
}

static int by_number(const void *a, const void *b)
{
    const mfile *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

static void free_files(mfile *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].sql);
    free(m);
}

static int list_files(const char *dir, mfile **out, size_t *n_out, gd_err *err)
{
    DIR *d = opendir(dir);
    mfile *m = NULL;
    size_t n = 0;
    int rc = 0;
    *out = NULL;
    *n_out = 0;
    if (!d)
        return gd_err_set(err, errno == ENOENT ? GD_ENOENT : GD_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        unsigned num;
        if (!parse_name(de->d_name, &num))
            continue;
        mfile *g = realloc(m, (n + 1) * sizeof *m);
        if (!g) {
            rc = gd_err_set(err, GD_ENOMEM, "out of memory");
            break;
        }
        m = g;
        memset(&m[n], 0, sizeof m[n]);
        m[n].number = num;
        snprintf(m[n].name, sizeof m[n].name, "%.*s", (int)(strlen(de->d_name) - 4), de->d_name);
        snprintf(m[n].path, sizeof m[n].path, "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    if (!rc && n > 1)
        qsort(m, n, sizeof *m, by_number);
    for (size_t i = 1; !rc && i < n; i++)
        if (m[i].number == m[i - 1].number)
            rc = gd_err_set(err, GD_EINVAL, "%s and %s: two migrations numbered %03u", m[i - 1].path, m[i].path,
                            m[i].number);
    for (size_t i = 0; !rc && i < n; i++) {
        size_t len;
        rc = gd_file_read(m[i].path, GD_MIGRATION_MAX_BYTES, &m[i].sql, &len, err);
        if (!rc && memchr(m[i].sql, '\0', len))
            rc = gd_err_set(err, GD_EINVAL, "%s: a NUL byte: not an SQL file", m[i].path);
        if (!rc)
            gd_sha256_buf(m[i].sql, len, m[i].sha);
    }
    if (rc) {
        free_files(m, n);
        return rc;
    }
    *out = m;
    *n_out = n;
    return 0;
}

/* The first line of a server message, for one-line errors. */
static const char *first_line(const char *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", s ? s : "");
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

/* A statement that returns nothing useful; GD_EIO naming what failed. */
static int exec_ok(PGconn *c, const char *sql, const char *what, gd_err *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    char line[512];
    int rc = ok ? 0 : gd_err_set(err, GD_EIO, "%s: %s", what, first_line(PQerrorMessage(c), line, sizeof line));
    PQclear(r);
    return rc;
}

/* The line of a 1-based character position in sql. */
static unsigned line_of(const char *sql, long pos)
{
    unsigned line = 1;
    for (long i = 0; i < pos - 1 && sql[i]; i++)
        line += sql[i] == '\n';
    return line;
}

static int apply_one(PGconn *c, const mfile *m, gd_err *err)
{
    char line[512];
    int rc = exec_ok(c, "BEGIN", "begin", err);
    if (rc)
        return rc;
    PGresult *r = PQexec(c, m->sql);
    if (!r || PQresultStatus(r) == PGRES_FATAL_ERROR || PQresultStatus(r) == PGRES_NONFATAL_ERROR) {
        const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        if (pos)
            rc = gd_err_set(err, GD_EINVAL, "%s:%u: %s", m->path, line_of(m->sql, atol(pos)),
                            msg ? msg : first_line(PQerrorMessage(c), line, sizeof line));
        else
            rc = gd_err_set(err, GD_EINVAL, "%s: %s", m->path,
                            msg ? msg : first_line(PQerrorMessage(c), line, sizeof line));
        PQclear(r);
        gd_err ignore;
        exec_ok(c, "ROLLBACK", "rollback", &ignore);
        return rc;
    }
    PQclear(r);
    char num[16];
    snprintf(num, sizeof num, "%u", m->number);
    const char *vals[3] = {num, m->name, m->sha};
    r = PQexecParams(c, "INSERT INTO trading.schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", 3, NULL,
                     vals, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = gd_err_set(err, GD_EIO, "%s: recording it: %s", m->path, first_line(PQerrorMessage(c), line, sizeof line));
        PQclear(r);
        gd_err ignore;
        exec_ok(c, "ROLLBACK", "rollback", &ignore);
        return rc;
    }
    PQclear(r);
    return exec_ok(c, "COMMIT", m->path, err);
}

/* Every recorded migration still has its file, unchanged; done[v] marks
 * the recorded numbers (under the lock nobody else records any). */
static int check_recorded(PGconn *c, const mfile *m, size_t n, const char *dir, unsigned char done[1000],
                          unsigned *recorded, gd_err *err)
{
    PGresult *r = PQexec(c, "SELECT version, name, sha256 FROM trading.schema_migrations ORDER BY version");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        char line[512];
        int rc = gd_err_set(err, GD_EIO, "reading trading.schema_migrations: %s",
                            first_line(PQerrorMessage(c), line, sizeof line));
        PQclear(r);
        return rc;
    }
    int rc = 0;
    *recorded = (unsigned)PQntuples(r);
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        unsigned v = (unsigned)strtoul(PQgetvalue(r, i, 0), NULL, 10);
        if (v < 1000)
            done[v] = 1;
        const char *name = PQgetvalue(r, i, 1), *sha = PQgetvalue(r, i, 2);
        const mfile *f = NULL;
        for (size_t k = 0; k < n; k++)
            if (m[k].number == v)
                f = &m[k];
        if (!f)
            rc = gd_err_set(err, GD_EINVAL, "migration %s is recorded as applied but %s/%s.sql is missing", name, dir,
                            name);
        else if (strcmp(f->name, name) != 0)
            rc = gd_err_set(err, GD_EINVAL, "%s: migration %03u was applied as %s: a renamed file", f->path, v, name);
        else if (strcmp(f->sha, sha) != 0)
            rc = gd_err_set(err, GD_EINVAL,
                            "%s was edited after it was applied (sha256 %.12s..., recorded %.12s...): add a new "
                            "migration instead",
                            f->path, f->sha, sha);
    }
    PQclear(r);
    return rc;
}

int gd_migrate(const char *dsn, const char *dir, FILE *out, gd_migrate_result *res, gd_err *err)
{
    mfile *m = NULL;
    size_t n = 0;
    PGconn *c = NULL;
    char line[512];
    int rc, locked = 0;
    memset(res, 0, sizeof *res);
    rc = list_files(dir, &m, &n, err);
    if (rc)
        return rc;
    res->found = (unsigned)n;
    c = PQconnectdb(dsn ? dsn : "");
    if (!c || PQstatus(c) != CONNECTION_OK) {
        rc = gd_err_set(err, GD_EIO, "cannot connect to the database: %s",
                        c ? first_line(PQerrorMessage(c), line, sizeof line) : "out of memory");
        goto done;
    }
    /* Quiet: NOTICEs ("schema already exists") are not news. */
    if ((rc = exec_ok(c, "SET client_min_messages = warning", "set-up", err)) != 0)
        goto done;
    if ((rc = exec_ok(c, "SELECT pg_advisory_lock(" GD_MIGRATE_LOCK_KEY ")", "taking the migration lock", err)) != 0)
        goto done;
    locked = 1;
    rc = exec_ok(c,
                 "CREATE SCHEMA IF NOT EXISTS trading;"
                 "CREATE TABLE IF NOT EXISTS trading.schema_migrations ("
                 " version integer PRIMARY KEY CHECK (version BETWEEN 0 AND 999),"
                 " name text NOT NULL UNIQUE,"
                 " sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
                 " applied_at timestamptz NOT NULL DEFAULT now())",
                 "creating trading.schema_migrations", err);
    unsigned char done[1000] = {0};
    if (!rc)
        rc = check_recorded(c, m, n, dir, done, &res->recorded, err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (done[m[i].number])
            continue;
        double t0 = gd_mono_ms();
        rc = apply_one(c, &m[i], err);
        if (!rc) {
            res->applied++;
            if (out)
                fprintf(out, "applied %s (%.0f ms)\n", m[i].name, gd_mono_ms() - t0);
        }
    }
    if (!rc && out)
        fprintf(out, "%s: %u migration(s), %u applied now, %u before\n", res->applied ? "migrated" : "up to date",
                res->found, res->applied, res->recorded);
done:
    if (locked) {
        gd_err ignore;
        exec_ok(c, "SELECT pg_advisory_unlock(" GD_MIGRATE_LOCK_KEY ")", "releasing the migration lock", &ignore);
    }
    PQfinish(c);
    free_files(m, n);
    return rc;
}
