#include "db/drill.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/dates.h"
#include "base/file.h"
#include "base/hash.h"
#include "db/backup.h"
#include "db/pgconn.h"
#include "db/spawn.h"

/* The snapshot's manifest and dump into dir; the dump must be the one the
 * manifest describes. */
static int fetch(const gd_drill_opts *o, const gd_restic_snap *snap, const char *dir, gd_drill_result *res, gd_err *err)
{
    char man[4200], dump[4200], where[160], sha[65];
    char *text = NULL;
    size_t len;
    struct stat st;
    snprintf(man, sizeof man, "%s/%s", dir, GD_MANIFEST_FILE);
    snprintf(dump, sizeof dump, "%s/%s", dir, GD_BACKUP_DUMP_FILE);
    snprintf(where, sizeof where, "snapshot %s: %s", snap->short_id, GD_MANIFEST_FILE);
    int rc = gd_restic_dump(&o->restic, snap->id, GD_MANIFEST_FILE, man, err);
    if (!rc)
        rc = gd_file_read(man, GD_MANIFEST_MAX_BYTES, &text, &len, err);
    if (!rc)
        rc = gd_manifest_parse(text, where, &res->manifest, err);
    free(text);
    if (rc)
        return rc;
    snprintf(res->snapshot_at, sizeof res->snapshot_at, "%s", res->manifest.snapshot_at);
    if ((rc = gd_restic_dump(&o->restic, snap->id, GD_BACKUP_DUMP_FILE, dump, err)) != 0)
        return rc;
    if (stat(dump, &st) != 0)
        return gd_err_set(err, GD_EIO, "%s: %s", dump, strerror(errno));
    if ((unsigned long long)st.st_size != res->manifest.dump_bytes)
        return gd_err_set(err, GD_EINVAL, "snapshot %s: %s is %lld bytes, the manifest says %llu", snap->short_id,
                          GD_BACKUP_DUMP_FILE, (long long)st.st_size, res->manifest.dump_bytes);
    if ((rc = gd_sha256_file(dump, sha, err)) != 0)
        return rc;
    if (strcmp(sha, res->manifest.dump_sha256) != 0)
        return gd_err_set(err, GD_EINVAL, "snapshot %s: %s has sha256 %.16s..., the manifest says %.16s...",
                          snap->short_id, GD_BACKUP_DUMP_FILE, sha, res->manifest.dump_sha256);
    if (o->out)
        fprintf(o->out, "fetched: manifest (%zu tables, database snapshot %s) and dump (%llu bytes, sha256 ok)\n",
                res->manifest.n_tables, res->manifest.snapshot_at, res->manifest.dump_bytes);
    return 0;
}

/* verb + the scratch database's quoted name + tail. */
static int scratch_sql(PGconn *c, const char *verb, const char *name, const char *tail, const char *what, gd_err *err)
{
    char *id = PQescapeIdentifier(c, name, strlen(name));
    char sql[256];
    if (!id)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    snprintf(sql, sizeof sql, "%s %s%s", verb, id, tail);
    PQfreemem(id);
    return gd_pg_exec(c, sql, what, err);
}

static int run_pg_restore(const gd_pg_params *p, const char *db, const char *file, gd_err *err)
{
    char *conninfo = gd_pg_conninfo_db(p, db);
    int rc;
    if (!conninfo)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    /* Roles and grants are the source's, not the scratch's: the tables and
     * their rows are what is checked. */
    char *argv[] = {(char *)"pg_restore",
                    (char *)"--no-owner",
                    (char *)"--no-privileges",
                    (char *)"--exit-on-error",
                    (char *)"--single-transaction",
                    (char *)"--no-password",
                    (char *)"--dbname",
                    conninfo,
                    (char *)file,
                    NULL};
    rc = gd_pg_tool_run(p, argv, GD_BACKUP_STEP_TIMEOUT_MS, err);
    free(conninfo);
    return rc;
}

static int same(const gd_table_sum *a, const gd_table_sum *b)
{
    return a && b && a->rows == b->rows && strcmp(a->checksum, b->checksum) == 0;
}

/* Both sides by name; detail lists what differs. */
static int compare(gd_drill_result *res, gd_err *err)
{
    const gd_manifest *m = &res->manifest;
    size_t cap = m->n_tables + res->n_restored, n = 0, i = 0, k = 0;
    res->tables = calloc(cap ? cap : 1, sizeof *res->tables);
    if (!res->tables)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    while (i < m->n_tables || k < res->n_restored) {
        gd_drill_table *t = &res->tables[n++];
        int c = i == m->n_tables ? 1 : k == res->n_restored ? -1 : strcmp(m->tables[i].name, res->restored[k].name);
        if (c <= 0)
            t->want = &m->tables[i++];
        if (c >= 0)
            t->got = &res->restored[k++];
        snprintf(t->name, sizeof t->name, "%s", t->want ? t->want->name : t->got->name);
        t->ok = same(t->want, t->got);
    }
    res->n_tables = n;
    size_t used = 0;
    for (size_t j = 0; j < n; j++) {
        const gd_drill_table *t = &res->tables[j];
        if (t->ok)
            continue;
        res->n_mismatch++;
        char one[200];
        if (!t->got)
            snprintf(one, sizeof one, "%s (in the backup, not restored)", t->name);
        else if (!t->want)
            snprintf(one, sizeof one, "%s (restored, not in the manifest)", t->name);
        else if (t->want->rows != t->got->rows)
            snprintf(one, sizeof one, "%s (%lld rows in the manifest, %lld restored)", t->name, t->want->rows,
                     t->got->rows);
        else
            snprintf(one, sizeof one, "%s (same %lld rows, different checksum)", t->name, t->got->rows);
        int w = snprintf(res->detail + used, sizeof res->detail - used, "%s%s", used ? ", " : "tables differ: ", one);
        if (w > 0 && (size_t)w < sizeof res->detail - used)
            used += (size_t)w;
    }
    if (res->n_mismatch)
        return gd_err_set(err, GD_ESTATE, "%zu of %zu tables do not match the backup: %s", res->n_mismatch, n,
                          res->detail);
    return 0;
}

/* Creates the scratch database, restores into it, sums it; the caller
 * drops it whatever happens once *created is set. */
static int restore_and_sum(const gd_drill_opts *o, PGconn *src, const gd_pg_params *p, const char *dump,
                           gd_drill_result *res, int *created, gd_err *err)
{
    PGconn *s = NULL;
    int rc = scratch_sql(src, "CREATE DATABASE", res->scratch_db, " TEMPLATE template0",
                         "creating the scratch database (the role needs CREATEDB)", err);
    if (rc)
        return rc;
    *created = 1;
    if ((rc = run_pg_restore(p, res->scratch_db, dump, err)) != 0)
        return rc;
    if ((rc = gd_pg_open_params(p, res->scratch_db, o->connect_timeout_ms, &s, err)) != 0) {
        gd_err_prefix(err, rc, "scratch database %s: ", res->scratch_db);
        return rc;
    }
    rc = gd_pg_table_sums(s, &res->restored, &res->n_restored, err);
    PQfinish(s);
    if (!rc && o->out)
        fprintf(o->out, "restored into %s: %zu tables\n", res->scratch_db, res->n_restored);
    return rc;
}

static cJSON *side_json(const gd_table_sum *t)
{
    if (!t)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    if (o && (!cJSON_AddNumberToObject(o, "rows", (double)t->rows) ||
              !cJSON_AddStringToObject(o, "checksum", t->checksum))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static char *tables_json(const gd_drill_result *res)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (size_t i = 0; ok && i < res->n_tables; i++) {
        const gd_drill_table *t = &res->tables[i];
        cJSON *e = cJSON_CreateObject(), *w = side_json(t->want), *g = side_json(t->got);
        ok = e && w && g && cJSON_AddItemToObject(e, "backup", w);
        if (!ok)
            cJSON_Delete(w);
        ok = ok && cJSON_AddItemToObject(e, "restored", g);
        if (!ok)
            cJSON_Delete(g);
        ok = ok && cJSON_AddBoolToObject(e, "ok", t->ok) && cJSON_AddItemToObject(o, t->name, e);
        if (!ok)
            cJSON_Delete(e);
    }
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

static int record(PGconn *src, gd_drill_result *res, gd_err *err)
{
    char secs[64];
    char *tables = tables_json(res);
    if (!tables)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    snprintf(secs, sizeof secs, "%.3f", res->seconds);
    const char *vals[7] = {res->snapshot_id,    res->snapshot_at, res->scratch_db, secs,
                           res->ok ? "t" : "f", tables,           res->detail};
    long long id = 0;
    int rc = gd_pg_insert_id(src,
                             "INSERT INTO trading.restore_drills"
                             " (snapshot_id, snapshot_at, scratch_db, seconds, ok, tables, detail)"
                             " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING id",
                             7, vals, "trading.restore_drills", &id, err);
    free(tables);
    if (rc == 0) {
        res->recorded = 1;
        res->drill_id = id;
    }
    return rc;
}

/* Everything after the snapshot was found: fetch, restore, compare, drop. */
static int drill_snapshot(const gd_drill_opts *o, PGconn *src, const gd_restic_snap *snap, gd_drill_result *res,
                          gd_err *err)
{
    char dir[4096], dump[4200];
    gd_pg_params p;
    int created = 0;
    memset(&p, 0, sizeof p);
    int rc = gd_spawn_tmpdir("gordon-drill", dir, sizeof dir, err);
    if (rc)
        return rc;
    snprintf(dump, sizeof dump, "%s/%s", dir, GD_BACKUP_DUMP_FILE);
    rc = fetch(o, snap, dir, res, err);
    if (!rc)
        rc = gd_pg_params_get(src, &p, err);
    if (!rc)
        rc = restore_and_sum(o, src, &p, dump, res, &created, err);
    if (!rc)
        rc = compare(res, err);
    if (created) {
        gd_err derr;
        /* FORCE (13+): a connection left behind must not keep it alive. */
        int drc =
            scratch_sql(src, "DROP DATABASE IF EXISTS", res->scratch_db,
                        PQserverVersion(src) >= 130000 ? " WITH (FORCE)" : "", "dropping the scratch database", &derr);
        res->scratch_dropped = drc == 0;
        if (drc && !rc)
            rc = gd_err_set(err, drc, "%s: %s is left behind, drop it by hand", derr.msg, res->scratch_db);
    }
    gd_rmdir_flat(dir);
    gd_pg_params_free(&p);
    return rc;
}

int gd_restore_drill(const gd_drill_opts *o, gd_drill_result *res, gd_err *err)
{
    PGconn *src = NULL;
    gd_restic_snap snap;
    gd_envv check = GD_ENVV_INIT;
    double t0 = gd_mono_ms();
    memset(res, 0, sizeof *res);
    snprintf(res->scratch_db, sizeof res->scratch_db, "gordon_drill_%lld_%ld", (long long)time(NULL), (long)getpid());
    int rc = gd_restic_env(&o->restic, &check, err);
    gd_envv_free(&check);
    if (rc)
        return rc;
    if ((rc = gd_pg_open(o->dsn, o->connect_timeout_ms, &src, err)) != 0)
        return rc;
    if ((rc = gd_restic_latest(&o->restic, &snap, err)) != 0)
        goto out;
    snprintf(res->snapshot_id, sizeof res->snapshot_id, "%s", snap.id);
    snprintf(res->snapshot_at, sizeof res->snapshot_at, "%s", snap.time);
    if (o->out)
        fprintf(o->out, "latest snapshot: %s (restic time %s)\n", snap.short_id, snap.time);
    rc = drill_snapshot(o, src, &snap, res, err);
    res->ok = rc == 0;
    res->seconds = (gd_mono_ms() - t0) / 1000;
    if (rc) {
        /* What failed is the record's detail (never the DSN: no message
         * here carries it). */
        if (!res->n_mismatch)
            snprintf(res->detail, sizeof res->detail, "%s", err->msg);
        gd_err rerr;
        if (record(src, res, &rerr) != 0)
            gd_err_prefix(err, rc, "%s; also ", rerr.msg);
        goto out;
    }
    snprintf(res->detail, sizeof res->detail, "%s", "");
    rc = record(src, res, err);
    if (rc)
        res->ok = 0;
out:
    PQfinish(src);
    return rc;
}

void gd_drill_result_free(gd_drill_result *res)
{
    gd_manifest_free(&res->manifest);
    free(res->restored);
    free(res->tables);
    res->restored = NULL;
    res->tables = NULL;
    res->n_restored = res->n_tables = 0;
}

void gd_drill_print(const gd_drill_result *res, FILE *out)
{
    if (!res->n_tables)
        return;
    fprintf(out, "%-24s %14s %14s  %s\n", "table", "backup rows", "restored rows", "result");
    for (size_t i = 0; i < res->n_tables; i++) {
        const gd_drill_table *t = &res->tables[i];
        char w[32] = "-", g[32] = "-";
        if (t->want)
            snprintf(w, sizeof w, "%lld", t->want->rows);
        if (t->got)
            snprintf(g, sizeof g, "%lld", t->got->rows);
        const char *what = t->ok                           ? "ok"
                           : !t->got                       ? "MISSING"
                           : !t->want                      ? "EXTRA"
                           : t->want->rows != t->got->rows ? "ROWS DIFFER"
                                                           : "CHECKSUM DIFFERS";
        fprintf(out, "%-24s %14s %14s  %s\n", t->name, w, g, what);
    }
}

int gd_drill_last(const char *dsn, double connect_timeout_ms, int64_t *ok_ms, int *found, int64_t *any_ms,
                  int *found_any, gd_err *err)
{
    PGconn *c = NULL;
    *found = *found_any = 0;
    *ok_ms = *any_ms = 0;
    int rc = gd_pg_open(dsn, connect_timeout_ms, &c, err);
    if (rc)
        return rc;
    PGresult *r = PQexec(c, "SELECT floor(extract(epoch FROM max(at) FILTER (WHERE ok)) * 1000)::bigint,"
                            " floor(extract(epoch FROM max(at)) * 1000)::bigint FROM trading.restore_drills");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        char line[512];
        rc = gd_err_set(err, GD_EIO, "reading trading.restore_drills: %s", gd_pg_errline(c, line, sizeof line));
    } else {
        if (!PQgetisnull(r, 0, 0)) {
            *found = 1;
            *ok_ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        }
        if (!PQgetisnull(r, 0, 1)) {
            *found_any = 1;
            *any_ms = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        }
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

int gd_drill_last_ok(const char *dsn, double connect_timeout_ms, int64_t *at_ms, int *found, gd_err *err)
{
    int64_t any;
    int found_any;
    return gd_drill_last(dsn, connect_timeout_ms, at_ms, found, &any, &found_any, err);
}
