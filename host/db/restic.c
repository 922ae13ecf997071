#include "db/restic.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dates.h"

int gd_restic_env(const gd_restic *r, gd_envv *e, gd_err *err)
{
    if (!r->repository || !r->repository[0])
        return gd_err_set(err, GD_EINVAL, "no restic repository: set [backup] restic_repository");
    if (!r->password_file || !r->password_file[0])
        return gd_err_set(err, GD_EINVAL, "no restic password: set [backup] restic_password_file");
    if (access(r->password_file, R_OK) != 0)
        return gd_err_set(err, GD_ENOENT, "[backup] restic_password_file %s: %s", r->password_file, strerror(errno));
    gd_envv_set(e, "RESTIC_REPOSITORY", r->repository);
    gd_envv_set(e, "RESTIC_PASSWORD_FILE", r->password_file);
    /* Its cache (~/.cache/restic, or these), temporary files, and programs
     * a back end runs (sftp: ssh; rclone). */
    static const char *const pass[] = {"PATH", "HOME", "TMPDIR", "TZ", "RESTIC_CACHE_DIR", "XDG_CACHE_HOME"};
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
        gd_envv_pass(e, pass[i]);
    /* Storage back ends read their credentials from the environment (S3,
     * B2, Azure, GCS, Swift, the REST server, rclone). */
    static const char *const prefixes[] = {"AWS_", "B2_", "AZURE_", "GOOGLE_", "OS_", "ST_", "RESTIC_REST_", "RCLONE_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        gd_envv_pass_prefix(e, prefixes[i]);
    return gd_envv_check(e, err);
}

/* Runs restic with args (after "restic"), stdout captured into *out (may be
 * NULL: discarded) or into out_fd. */
static int run(const gd_restic *r, const char *const *args, const char *cwd, int out_fd, size_t out_max, char **out,
               gd_err *err)
{
    gd_envv env = GD_ENVV_INIT;
    gd_spawn_result res;
    char *argv[16];
    size_t n = 0;
    argv[n++] = (char *)"restic";
    for (size_t i = 0; args[i] && n + 1 < sizeof argv / sizeof argv[0]; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int rc = gd_restic_env(r, &env, err);
    if (rc)
        goto out;
    char label[32];
    snprintf(label, sizeof label, "restic %s", args[0]);
    gd_spawn_opts so = {label, cwd, out_fd, out_max, r->timeout_ms, NULL};
    rc = gd_spawn_run(argv, gd_envv_get(&env), &so, &res, err);
    if (rc == GD_ENOENT)
        gd_err_prefix(err, rc, "restic is not installed (apt-get install restic): ");
    if (!rc && out) {
        *out = res.out;
        res.out = NULL;
    }
    gd_spawn_result_free(&res);
out:
    gd_envv_free(&env);
    return rc;
}

int gd_restic_backup(const gd_restic *r, const char *parent_dir, char id[72], gd_err *err)
{
    const char *args[] = {"backup", "--json", "--quiet", "--tag", GD_RESTIC_TAG, GD_RESTIC_DIR, NULL};
    char *out = NULL;
    id[0] = '\0';
    int rc = run(r, args, parent_dir, -1, 1024 * 1024, &out, err);
    if (rc)
        return rc;
    /* One JSON object per line; the summary names the snapshot. */
    for (char *line = out, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        cJSON *o = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "message_type");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "snapshot_id");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "summary") == 0 && cJSON_IsString(s) &&
            strlen(s->valuestring) < 72)
            snprintf(id, 72, "%s", s->valuestring);
        cJSON_Delete(o);
    }
    free(out);
    if (!id[0])
        return gd_err_set(err, GD_EPROTO, "restic backup succeeded but named no snapshot (no summary line)");
    return 0;
}

int gd_restic_forget(const gd_restic *r, unsigned keep_hourly, gd_err *err)
{
    char keep[16];
    snprintf(keep, sizeof keep, "%u", keep_hourly);
    /* Grouped by host and tag, not by path: the backed-up directory's
     * absolute path is a new temporary one each time. */
    const char *args[] = {"forget",    "--quiet",       "--tag", GD_RESTIC_TAG, "--group-by",
                          "host,tags", "--keep-hourly", keep,    "--prune",     NULL};
    return run(r, args, NULL, -1, 4 * 1024 * 1024, NULL, err);
}

/* ------------------------------------------------------------ snapshots */

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

int gd_rfc3339_ms(const char *s, int64_t *ms, gd_err *err)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    const char *p = s;
    if (strlen(s) < 20 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
        !digits(p + 8, 2, &d) || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || !digits(p + 11, 2, &h) ||
        p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' || !digits(p + 17, 2, &se))
        goto bad;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        goto bad;
    p += 19;
    int frac_ms = 0, nd = 0;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, nd++)
            if (nd < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
        if (nd == 0)
            goto bad;
        for (; nd < 3; nd++)
            frac_ms *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            goto bad;
        p += 6;
    } else {
        goto bad;
    }
    if (*p)
        goto bad;
    int64_t days = gd_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
    *ms = secs * 1000 + frac_ms;
    return 0;
bad:
    return gd_err_set(err, GD_EPARSE, "\"%.40s\": not an RFC 3339 time", s);
}

int gd_restic_latest_parse(const char *json, gd_restic_snap *s, gd_err *err)
{
    memset(s, 0, sizeof *s);
    cJSON *a = cJSON_Parse(json);
    int rc = 0, found = 0;
    if (!cJSON_IsArray(a)) {
        rc = gd_err_set(err, GD_EPARSE, "restic snapshots --json: not a JSON array");
        goto out;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, a)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const cJSON *sid = cJSON_GetObjectItemCaseSensitive(o, "short_id");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");
        int64_t ms;
        if (!cJSON_IsString(id) || !cJSON_IsString(t) || strlen(id->valuestring) >= sizeof s->id ||
            !id->valuestring[0] || strlen(t->valuestring) >= sizeof s->time) {
            rc = gd_err_set(err, GD_EPARSE, "restic snapshots --json: a snapshot without an id or a time");
            goto out;
        }
        if ((rc = gd_rfc3339_ms(t->valuestring, &ms, err)) != 0) {
            gd_err_prefix(err, rc, "restic snapshot %.16s: time ", id->valuestring);
            goto out;
        }
        if (found && ms <= s->time_ms)
            continue;
        found = 1;
        snprintf(s->id, sizeof s->id, "%s", id->valuestring);
        snprintf(s->short_id, sizeof s->short_id, "%.8s",
                 cJSON_IsString(sid) && sid->valuestring[0] ? sid->valuestring : id->valuestring);
        snprintf(s->time, sizeof s->time, "%s", t->valuestring);
        s->time_ms = ms;
    }
    if (!found)
        rc = gd_err_set(err, GD_ENOENT, "the repository has no snapshot tagged %s (run gordon backup first)",
                        GD_RESTIC_TAG);
out:
    cJSON_Delete(a);
    return rc;
}

int gd_restic_latest(const gd_restic *r, gd_restic_snap *s, gd_err *err)
{
    const char *args[] = {"snapshots", "--json", "--tag", GD_RESTIC_TAG, NULL};
    char *out = NULL;
    int rc = run(r, args, NULL, -1, GD_RESTIC_LIST_MAX, &out, err);
    if (!rc)
        rc = gd_restic_latest_parse(out, s, err);
    free(out);
    return rc;
}

int gd_restic_dump(const gd_restic *r, const char *id, const char *name, const char *path, gd_err *err)
{
    char file[256];
    snprintf(file, sizeof file, "/%s/%s", GD_RESTIC_DIR, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: %s", path, strerror(errno));
    const char *args[] = {"dump", id, file, NULL};
    int rc = run(r, args, NULL, fd, 0, NULL, err);
    if (close(fd) != 0 && !rc)
        rc = gd_err_set(err, GD_EIO, "%s: close: %s", path, strerror(errno));
    return rc;
}
