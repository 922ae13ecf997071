#include "db/backup.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/hash.h"
#include "db/manifest.h"
#include "db/pgconn.h"
#include "db/spawn.h"

/* The exported snapshot and what the manifest says about the server. */
static int take_snapshot(PGconn *c, char *snap, size_t snap_cap, gd_manifest *m, gd_err *err)
{
    int rc = gd_pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the snapshot", err);
    if (rc)
        return rc;
    /* The snapshot is taken as this statement starts; clock_timestamp() is
     * read just after, so no write the dump holds is later than it. */
    PGresult *r = PQexec(c, "WITH t AS (SELECT clock_timestamp() AS at)"
                            " SELECT pg_export_snapshot(),"
                            " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
                            " floor(extract(epoch FROM at) * 1000)::bigint,"
                            " current_database(), current_setting('server_version') FROM t");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        char line[512];
        rc = gd_err_set(err, GD_EIO, "exporting the snapshot: %s", gd_pg_errline(c, line, sizeof line));
        PQclear(r);
        return rc;
    }
    snprintf(snap, snap_cap, "%s", PQgetvalue(r, 0, 0));
    snprintf(m->snapshot_at, sizeof m->snapshot_at, "%s", PQgetvalue(r, 0, 1));
    m->snapshot_at_ms = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    snprintf(m->database, sizeof m->database, "%s", PQgetvalue(r, 0, 3));
    snprintf(m->server_version, sizeof m->server_version, "%s", PQgetvalue(r, 0, 4));
    snprintf(m->gordon_version, sizeof m->gordon_version, "%s (%s)", GD_VERSION, GD_GIT_DESCRIBE);
    PQclear(r);
    return 0;
}

static int run_pg_dump(const gd_pg_params *p, const char *snap, const char *file, gd_err *err)
{
    char snap_arg[128], file_arg[4200];
    char *conninfo = gd_pg_conninfo_db(p, p->dbname);
    int rc;
    if (!conninfo)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    snprintf(snap_arg, sizeof snap_arg, "--snapshot=%s", snap);
    snprintf(file_arg, sizeof file_arg, "--file=%s", file);
    /* No password in argv: it is in PGPASSWORD, in the child's environment. */
    char *argv[] = {(char *)"pg_dump",
                    snap_arg,
                    (char *)"--schema=trading",
                    (char *)"--format=custom",
                    (char *)"--no-password",
                    (char *)"--lock-wait-timeout=" GD_BACKUP_LOCK_WAIT,
                    file_arg,
                    (char *)"--dbname",
                    conninfo,
                    NULL};
    rc = gd_pg_tool_run(p, argv, GD_BACKUP_STEP_TIMEOUT_MS, err);
    free(conninfo);
    return rc;
}

/* The database side: snapshot, sums, dump, manifest, into dir. */
static int dump_database(const gd_backup_opts *o, const char *dir, gd_backup_result *res, gd_err *err)
{
    PGconn *c = NULL;
    gd_pg_params p;
    gd_manifest m;
    char snap[128], dump[4200], man[4200];
    struct stat st;
    memset(&p, 0, sizeof p);
    memset(&m, 0, sizeof m);
    snprintf(dump, sizeof dump, "%s/%s", dir, GD_BACKUP_DUMP_FILE);
    snprintf(man, sizeof man, "%s/%s", dir, GD_MANIFEST_FILE);
    int rc = gd_pg_open(o->dsn, o->connect_timeout_ms, &c, err);
    if (!rc)
        rc = gd_pg_params_get(c, &p, err);
    if (!rc)
        rc = take_snapshot(c, snap, sizeof snap, &m, err);
    if (!rc)
        rc = gd_pg_table_sums(c, &m.tables, &m.n_tables, err);
    if (!rc && m.n_tables == 0)
        rc = gd_err_set(err, GD_ENOENT, "database %s has no tables in schema trading (run gordon migrate)", m.database);
    if (rc)
        goto out;
    for (size_t i = 0; i < m.n_tables; i++)
        res->rows += m.tables[i].rows;
    res->tables = m.n_tables;
    snprintf(res->snapshot_at, sizeof res->snapshot_at, "%s", m.snapshot_at);
    if (o->out)
        fprintf(o->out, "database %s, snapshot at %s: %zu tables, %lld rows\n", m.database, m.snapshot_at, m.n_tables,
                res->rows);
    /* The transaction stays open until pg_dump has imported its snapshot
     * and finished. */
    if ((rc = run_pg_dump(&p, snap, dump, err)) != 0)
        goto out;
    if ((rc = gd_pg_exec(c, "COMMIT", "ending the snapshot", err)) != 0)
        goto out;
    if (stat(dump, &st) != 0) {
        rc = gd_err_set(err, GD_EIO, "pg_dump wrote no %s: %s", GD_BACKUP_DUMP_FILE, strerror(errno));
        goto out;
    }
    m.dump_bytes = (unsigned long long)st.st_size;
    res->dump_bytes = m.dump_bytes;
    if ((rc = gd_sha256_file(dump, m.dump_sha256, err)) != 0 || (rc = gd_manifest_write(&m, man, err)) != 0)
        goto out;
    if (o->out)
        fprintf(o->out, "pg_dump: %llu bytes, sha256 %.16s...\n", m.dump_bytes, m.dump_sha256);
out:
    PQfinish(c);
    gd_pg_params_free(&p);
    gd_manifest_free(&m);
    return rc;
}

int gd_backup(const gd_backup_opts *o, gd_backup_result *res, gd_err *err)
{
    char tmp[4096], dir[4200] = "";
    gd_envv check = GD_ENVV_INIT;
    memset(res, 0, sizeof *res);
    /* The repository settings first: nothing is dumped for a backup that
     * cannot be stored. */
    int rc = gd_restic_env(&o->restic, &check, err);
    gd_envv_free(&check);
    if (rc)
        return rc;
    if ((rc = gd_spawn_tmpdir("gordon-backup", tmp, sizeof tmp, err)) != 0)
        return rc;
    snprintf(dir, sizeof dir, "%s/%s", tmp, GD_RESTIC_DIR);
    if (mkdir(dir, 0700) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: %s", dir, strerror(errno));
        goto out;
    }
    if ((rc = dump_database(o, dir, res, err)) != 0)
        goto out;
    if ((rc = gd_restic_backup(&o->restic, tmp, res->snapshot_id, err)) != 0)
        goto out;
    if (o->out)
        fprintf(o->out, "restic: snapshot %s saved (tag %s)\n", res->snapshot_id, GD_RESTIC_TAG);
    if (o->keep_hourly > 0) {
        if ((rc = gd_restic_forget(&o->restic, o->keep_hourly, err)) != 0) {
            gd_err_prefix(err, rc, "snapshot %s was saved, but forgetting old ones failed: ", res->snapshot_id);
            goto out;
        }
        res->forgot = 1;
        if (o->out)
            fprintf(o->out, "restic: forget --keep-hourly %u --prune done\n", o->keep_hourly);
    }
out:
    /* The dump is the whole trading record: never left behind. */
    gd_rmdir_flat(dir);
    gd_rmdir_flat(tmp);
    return rc;
}
