/* The file-backed state store: <dir>/latch.json (replaced atomically) and
 * <dir>/audit.jsonl (append only). Both are fsync'd before a call returns,
 * so what a caller was told is recorded survives a crash or power loss. */
#include "risk/state.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"

#define LATCH_NAME "latch.json"
#define LATCH_TMP_NAME "latch.json.tmp"
#define AUDIT_NAME "audit.jsonl"
/* A latch file is a few hundred bytes; anything much larger is not ours. */
#define LATCH_MAX_BYTES (64 * 1024)
/* since_ms goes through a JSON number (a double): keep it exact. */
#define MAX_EXACT_MS 9007199254740992.0 /* 2^53 */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int copy_str_field(const cJSON *root, const char *path, const char *key, char *dst,
                          size_t cap, gd_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!it)
        return gd_err_set(err, GD_EPARSE, "%s: field \"%s\" is missing", path, key);
    if (!cJSON_IsString(it) || !it->valuestring)
        return gd_err_set(err, GD_EPARSE, "%s: field \"%s\" must be a string", path, key);
    size_t n = strlen(it->valuestring);
    if (n >= cap)
        return gd_err_set(err, GD_EPARSE, "%s: field \"%s\" is longer than %zu bytes", path, key,
                          cap - 1);
    memcpy(dst, it->valuestring, n + 1);
    return GD_OK;
}

/* Every field is required with its type: a latch we cannot fully read is
 * refused, never taken as "not halted" (fail closed). */
static int parse_latch(const char *path, const char *text, size_t len, gd_latch *out, gd_err *err)
{
    gd_latch l;
    int rc;
    memset(&l, 0, sizeof l);
    if (memchr(text, '\0', len))
        return gd_err_set(err, GD_EPARSE, "%s: not valid JSON (contains a NUL byte)", path);
    /* Trailing garbage is refused too; len + 1 covers the terminating NUL
     * that cJSON's strict mode looks for. */
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!root)
        return gd_err_set(err, GD_EPARSE, "%s: not valid JSON (near byte %td)", path,
                          end ? end - text : (ptrdiff_t)0);
    if (!cJSON_IsObject(root)) {
        rc = gd_err_set(err, GD_EPARSE, "%s: top level must be a JSON object", path);
        goto fail;
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "halted");
    if (!h) {
        rc = gd_err_set(err, GD_EPARSE, "%s: field \"halted\" is missing", path);
        goto fail;
    }
    if (!cJSON_IsBool(h)) {
        rc = gd_err_set(err, GD_EPARSE, "%s: field \"halted\" must be true or false", path);
        goto fail;
    }
    l.halted = cJSON_IsTrue(h) ? 1 : 0;
    if ((rc = copy_str_field(root, path, "who", l.who, sizeof l.who, err)) != 0)
        goto fail;
    if ((rc = copy_str_field(root, path, "why", l.why, sizeof l.why, err)) != 0)
        goto fail;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "since_ms");
    if (!s) {
        rc = gd_err_set(err, GD_EPARSE, "%s: field \"since_ms\" is missing", path);
        goto fail;
    }
    double v = cJSON_IsNumber(s) ? cJSON_GetNumberValue(s) : NAN;
    if (!isfinite(v) || v != floor(v) || fabs(v) > MAX_EXACT_MS) {
        rc = gd_err_set(err, GD_EPARSE, "%s: field \"since_ms\" must be an integer (milliseconds)",
                        path);
        goto fail;
    }
    l.since_ms = (int64_t)v;
    *out = l;
    rc = GD_OK;
fail:
    cJSON_Delete(root);
    return rc;
}

static int fsync_dir(const char *dir, gd_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return gd_err_set(err, GD_EIO, "%s: fsync directory: %s", dir, strerror(e));
    }
    close(fd);
    return GD_OK;
}

static int write_all(int fd, const char *buf, size_t len, const char *path, gd_err *err)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return gd_err_set(err, GD_EIO, "%s: write: %s", path, strerror(errno));
        }
        off += (size_t)w;
    }
    return GD_OK;
}

int gd_state_open(const char *dir, gd_state *st, gd_err *err)
{
    char *latch_path = NULL, *audit_path = NULL, *text = NULL;
    size_t len = 0;
    struct stat sb;
    int rc;

    memset(st, 0, sizeof *st);
    st->audit_fd = -1;
    if (!dir || !*dir)
        return gd_err_set(err, GD_EINVAL, "state_dir: empty path");
    /* Parents are not created: a typo in state_dir should fail, not
     * silently start a fresh (unhalted) store somewhere else. */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return gd_err_set(err, GD_EIO, "%s: cannot create state directory: %s", dir,
                          strerror(errno));
    if (stat(dir, &sb) != 0)
        return gd_err_set(err, GD_EIO, "%s: cannot stat state directory: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return gd_err_set(err, GD_EIO, "%s: state directory: %s", dir, strerror(ENOTDIR));

    st->dir = strdup(dir);
    latch_path = path_join(dir, LATCH_NAME);
    audit_path = path_join(dir, AUDIT_NAME);
    if (!st->dir || !latch_path || !audit_path) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", dir);
        goto fail;
    }

    /* A leftover latch.json.tmp (crash before rename) is ignored: the
     * rename is the commit point, so latch.json is the last committed
     * value. The next set_latch truncates the leftover. */
    rc = gd_file_read(latch_path, LATCH_MAX_BYTES, &text, &len, err);
    if (rc == GD_ERANGE)
        rc = gd_err_set(err, GD_EPARSE, "%s: larger than %d bytes: not a latch file", latch_path, LATCH_MAX_BYTES);
    if (rc == GD_ENOENT) {
        memset(&st->latch, 0, sizeof st->latch);
    } else if (rc != 0) {
        goto fail;
    } else if ((rc = parse_latch(latch_path, text, len, &st->latch, err)) != 0) {
        goto fail;
    }

    st->audit_fd = open(audit_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (st->audit_fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: cannot open: %s", audit_path, strerror(errno));
        goto fail;
    }
    rc = GD_OK;
    goto out;
fail:
    gd_state_close(st);
out:
    free(text);
    free(latch_path);
    free(audit_path);
    return rc;
}

void gd_state_close(gd_state *st)
{
    if (!st)
        return;
    if (st->audit_fd >= 0)
        close(st->audit_fd);
    free(st->dir);
    memset(st, 0, sizeof *st);
    st->audit_fd = -1;
}

int gd_state_set_latch(gd_state *st, const gd_latch *l, gd_err *err)
{
    char *tmp_path = NULL, *latch_path = NULL, *json = NULL;
    cJSON *root = NULL;
    int fd = -1, rc;

    if (!st || !st->dir || !l)
        return gd_err_set(err, GD_EINVAL, "state: not open");
    if (strnlen(l->who, sizeof l->who) == sizeof l->who ||
        strnlen(l->why, sizeof l->why) == sizeof l->why)
        return gd_err_set(err, GD_EINVAL, "%s: latch who/why not NUL-terminated", st->dir);
    if (fabs((double)l->since_ms) > MAX_EXACT_MS)
        return gd_err_set(err, GD_ERANGE, "%s: latch since_ms %lld out of range", st->dir,
                          (long long)l->since_ms);

    tmp_path = path_join(st->dir, LATCH_TMP_NAME);
    latch_path = path_join(st->dir, LATCH_NAME);
    root = cJSON_CreateObject();
    if (!tmp_path || !latch_path || !root || !cJSON_AddBoolToObject(root, "halted", l->halted != 0) ||
        !cJSON_AddStringToObject(root, "who", l->who) || !cJSON_AddStringToObject(root, "why", l->why) ||
        !cJSON_AddNumberToObject(root, "since_ms", (double)l->since_ms) ||
        !(json = cJSON_PrintUnformatted(root))) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", st->dir);
        goto fail;
    }

    fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: cannot create: %s", tmp_path, strerror(errno));
        goto fail;
    }
    if ((rc = write_all(fd, json, strlen(json), tmp_path, err)) != 0 ||
        (rc = write_all(fd, "\n", 1, tmp_path, err)) != 0)
        goto fail_unlink;
    if (fsync(fd) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: fsync: %s", tmp_path, strerror(errno));
        goto fail_unlink;
    }
    /* close() can report a deferred write error (NFS): check it. */
    int cr = close(fd);
    fd = -1;
    if (cr != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: close: %s", tmp_path, strerror(errno));
        goto fail_unlink;
    }
    if (rename(tmp_path, latch_path) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: rename to %s: %s", tmp_path, latch_path, strerror(errno));
        goto fail_unlink;
    }
    /* Without this the rename itself may not survive a power loss. The new
     * file is in place but not known durable: report failure and keep the
     * old in-memory value; the caller should enforce a halt it asked for
     * in memory regardless. */
    if ((rc = fsync_dir(st->dir, err)) != 0)
        goto fail;
    st->latch = *l;
    rc = GD_OK;
    goto out;
fail_unlink:
    unlink(tmp_path);
fail:
out:
    if (fd >= 0)
        close(fd);
    cJSON_free(json);
    cJSON_Delete(root);
    free(tmp_path);
    free(latch_path);
    return rc;
}

/* fields_json must make a valid object once wrapped in braces: the audit
 * trail is read by machines, and one bad line would poison it. */
static int fields_valid(const char *fields_json)
{
    size_t n = strlen(fields_json);
    if (memchr(fields_json, '\n', n))
        return 0; /* one event, one line */
    char *obj = malloc(n + 3);
    if (!obj)
        return 0;
    obj[0] = '{';
    memcpy(obj + 1, fields_json, n);
    obj[n + 1] = '}';
    obj[n + 2] = '\0';
    cJSON *root = cJSON_ParseWithOpts(obj, NULL, 1); /* no trailing garbage */
    int ok = root && cJSON_IsObject(root);
    cJSON_Delete(root);
    free(obj);
    return ok;
}

int gd_state_audit(gd_state *st, const char *event, const char *who, const char *why, int64_t at_ms,
                   const char *fields_json, gd_err *err)
{
    char *line = NULL;
    int rc;

    if (!st || st->audit_fd < 0 || !st->dir)
        return gd_err_set(err, GD_EINVAL, "state: not open");
    if (!event || !*event)
        return gd_err_set(err, GD_EINVAL, "%s/" AUDIT_NAME ": empty event name", st->dir);
    who = who ? who : "";
    why = why ? why : "";
    int has_fields = fields_json && *fields_json;
    if (has_fields && !fields_valid(fields_json))
        return gd_err_set(err, GD_EINVAL, "%s/" AUDIT_NAME ": event %s: extra fields are not valid JSON members",
                          st->dir, event);

    /* gd_json_escape with cap 0 only measures. */
    size_t ne = gd_json_escape(NULL, 0, event), nw = gd_json_escape(NULL, 0, who),
           ny = gd_json_escape(NULL, 0, why), nf = has_fields ? strlen(fields_json) : 0;
    size_t cap = ne + nw + ny + nf + 96;
    line = malloc(cap);
    if (!line)
        return gd_err_set(err, GD_ENOMEM, "%s/" AUDIT_NAME ": out of memory", st->dir);
    size_t n = (size_t)snprintf(line, cap, "{\"ts_ms\":%lld,\"event\":\"", (long long)at_ms);
    n += gd_json_escape(line + n, cap - n, event);
    n += (size_t)snprintf(line + n, cap - n, "\",\"who\":\"");
    n += gd_json_escape(line + n, cap - n, who);
    n += (size_t)snprintf(line + n, cap - n, "\",\"why\":\"");
    n += gd_json_escape(line + n, cap - n, why);
    n += (size_t)snprintf(line + n, cap - n, "\"%s%s}\n", has_fields ? "," : "",
                          has_fields ? fields_json : "");
    if (n >= cap) { /* cannot happen with the sizes above; never write a torn line */
        rc = gd_err_set(err, GD_EIO, "%s/" AUDIT_NAME ": line too long", st->dir);
        goto fail;
    }

    /* One write() per line: with O_APPEND the line lands whole at the end. */
    ssize_t w;
    do {
        w = write(st->audit_fd, line, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        rc = gd_err_set(err, GD_EIO, "%s/" AUDIT_NAME ": write: %s", st->dir, strerror(errno));
        goto fail;
    }
    if ((size_t)w != n) {
        /* Disk full mid-line: cut the partial line back off so the next
         * event does not get glued onto it. */
        off_t end = lseek(st->audit_fd, 0, SEEK_END);
        int tr = end >= (off_t)w ? ftruncate(st->audit_fd, end - (off_t)w) : -1;
        (void)tr; /* best effort: the error below is what matters */
        rc = gd_err_set(err, GD_EIO, "%s/" AUDIT_NAME ": short write (%zd of %zu bytes): %s", st->dir,
                        w, n, strerror(ENOSPC));
        goto fail;
    }
    if (fdatasync(st->audit_fd) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s/" AUDIT_NAME ": fdatasync: %s", st->dir, strerror(errno));
        goto fail;
    }
    rc = GD_OK;
fail:
    free(line);
    return rc;
}
