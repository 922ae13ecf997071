/* The file-backed state store: <dir>/latch.json (replaced atomically) and
 * <dir>/audit.jsonl (append only). The latch is fsync'd before a call
 * returns, so a halt acknowledged survives a crash or power loss; an audit
 * line is in the file before its call returns and fdatasync'd in it, or on
 * the threadpool once the daemon's loop runs (gd_state_sync_on_loop). */
#include "risk/state.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/bgsync.h"
#include "base/dates.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"

#define LATCH_NAME "latch.json"
#define AUDIT_NAME "audit.jsonl"
#define IDS_NAME "ids.json"
#define LOCK_NAME "lock"
#define PROBE_NAME ".probe"
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

/* cJSON takes the first of two equal keys; a file that says a thing twice
 * says nothing we can trust. */
static int has_duplicate_key(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && !strcmp(a->string, b->string))
                return 1;
    return 0;
}

/* Parses a small JSON object file's text strictly: no NUL, no trailing
 * garbage, an object, no duplicate keys. */
static int parse_object(const char *path, const char *text, size_t len, cJSON **out, gd_err *err)
{
    *out = NULL;
    if (memchr(text, '\0', len))
        return gd_err_set(err, GD_EPARSE, "%s: not valid JSON (contains a NUL byte)", path);
    /* len + 1 covers the terminating NUL that cJSON's strict mode looks for. */
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!root)
        return gd_err_set(err, GD_EPARSE, "%s: not valid JSON (near byte %td)", path,
                          end ? end - text : (ptrdiff_t)0);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return gd_err_set(err, GD_EPARSE, "%s: top level must be a JSON object", path);
    }
    if (has_duplicate_key(root)) {
        cJSON_Delete(root);
        return gd_err_set(err, GD_EPARSE, "%s: a key appears twice: refused", path);
    }
    *out = root;
    return 0;
}

/* Every field is required with its type: a latch we cannot fully read is
 * refused, never taken as "not halted" (fail closed). */
static int parse_latch(const char *path, const char *text, size_t len, gd_latch *out, gd_err *err)
{
    gd_latch l;
    cJSON *root;
    memset(&l, 0, sizeof l);
    int rc = parse_object(path, text, len, &root, err);
    if (rc)
        return rc;
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

static int parse_ids(const char *path, const char *text, size_t len, uint64_t *next_id, gd_err *err)
{
    cJSON *root;
    int rc = parse_object(path, text, len, &root, err);
    if (rc)
        return rc;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "next_id");
    double v = n && cJSON_IsNumber(n) ? cJSON_GetNumberValue(n) : NAN;
    if (!isfinite(v) || v != floor(v) || v < 1 || v > MAX_EXACT_MS)
        rc = gd_err_set(err, GD_EPARSE, "%s: field \"next_id\" must be a whole number from 1 to 2^53", path);
    else
        *next_id = (uint64_t)v;
    cJSON_Delete(root);
    return rc;
}

/* Reads <dir>/name if it exists (*text NULL when it does not). A symbolic
 * link is refused: a dangling one must not read as "absent". */
static int read_record(const char *dir, const char *name, char **text, size_t *len, char **path, gd_err *err)
{
    struct stat sb;
    *text = NULL;
    *len = 0;
    if (!(*path = path_join(dir, name)))
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", dir);
    if (lstat(*path, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        return gd_err_set(err, GD_EIO, "%s: %s", *path, strerror(errno));
    }
    if (S_ISLNK(sb.st_mode))
        return gd_err_set(err, GD_EPARSE, "%s: is a symbolic link: refused (the state store holds its own files)",
                          *path);
    if (!S_ISREG(sb.st_mode))
        return gd_err_set(err, GD_EPARSE, "%s: not a regular file", *path);
    int rc = gd_file_read(*path, LATCH_MAX_BYTES, text, len, err);
    if (rc == GD_ERANGE)
        rc = gd_err_set(err, GD_EPARSE, "%s: larger than %d bytes: not a state file", *path, LATCH_MAX_BYTES);
    return rc;
}

static int load_records(gd_state *st, gd_err *err)
{
    char *text = NULL, *path = NULL;
    size_t len;
    /* A leftover *.tmp (crash before rename) is ignored: the rename is the
     * commit point, so latch.json is the last committed value. */
    int rc = read_record(st->dir, LATCH_NAME, &text, &len, &path, err);
    if (!rc && text)
        rc = parse_latch(path, text, len, &st->latch, err);
    free(text);
    free(path);
    if (rc)
        return rc;
    st->next_id = 1;
    rc = read_record(st->dir, IDS_NAME, &text, &len, &path, err);
    if (!rc && text)
        rc = parse_ids(path, text, len, &st->next_id, err);
    free(text);
    free(path);
    return rc;
}

static long read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

/* One owner per directory: an exclusive flock on <dir>/lock, held until the
 * process ends or closes the store, with the owner's pid written in it. */
static int take_lock(gd_state *st, gd_err *err)
{
    char *path = path_join(st->dir, LOCK_NAME);
    if (!path)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", st->dir);
    int rc = 0, fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = e == EWOULDBLOCK ? read_pid(fd) : 0;
        close(fd);
        if (e == EWOULDBLOCK)
            rc = gd_err_set(err, GD_ESTATE,
                            "%s: state directory in use by another gordon (pid %ld): one daemon per state_dir",
                            st->dir, pid);
        else
            rc = gd_err_set(err, GD_EIO, "%s: cannot lock: %s", path, strerror(e));
        goto out;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        rc = gd_err_set(err, GD_EIO, "%s: cannot write our pid: %s", path, strerror(errno));
        close(fd);
        goto out;
    }
    st->lock_fd = fd;
out:
    free(path);
    return rc;
}

/* Inspecting: who owns the store now, without disturbing them. */
static long lock_holder(const char *dir)
{
    char *path = path_join(dir, LOCK_NAME);
    long pid = 0;
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd >= 0) {
        if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
            pid = read_pid(fd);
        close(fd); /* drops a shared lock we may have taken */
    }
    free(path);
    return pid;
}

static int verify_trail(gd_state *st, gd_err *err)
{
    char *path = path_join(st->dir, AUDIT_NAME);
    if (!path)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", st->dir);
    int rc = gd_audit_verify(path, &st->audit, NULL, NULL, err);
    free(path);
    return rc;
}

/* A found break halts the store: the latch first, durably, so that a
 * failure after it still leaves the store halted (and the break, not yet
 * recorded, is found again at the next open). The record of the break
 * chains to the last line read, whatever that line holds, so the trail
 * verifies from it on; a cut last line is ended first, so the record is
 * not glued onto it. */
static int record_break(gd_state *st, gd_err *err)
{
    const gd_audit_tail *t = &st->audit;
    char what[sizeof st->latch.why], before[sizeof st->latch.who + sizeof st->latch.why + 4];
    char esc[2 * sizeof before], fields[sizeof esc + 200], seal[160] = "";
    int rc;

    snprintf(what, sizeof what, AUDIT_NAME " line %llu: %s", (unsigned long long)t->break_line, t->break_what);
    snprintf(before, sizeof before, "%s: %s", st->latch.who, st->latch.why);
    int was_halted = st->latch.halted;
    gd_latch l;
    memset(&l, 0, sizeof l);
    l.halted = 1;
    l.since_ms = gd_wall_ms();
    snprintf(l.who, sizeof l.who, "state");
    snprintf(l.why, sizeof l.why, "audit trail broken at %s", what);
    if ((rc = gd_state_set_latch(st, &l, err)) != 0)
        return gd_err_prefix(err, rc, "audit trail broken at %s; could not halt: ", what);
    if (t->partial) {
        char *path = path_join(st->dir, AUDIT_NAME);
        rc = path ? write_all(st->audit_fd, "\n", 1, path, err) : gd_err_set(err, GD_ENOMEM, "out of memory");
        /* Lines from before the chain whose last one only lacked its
         * newline are now a whole legacy prefix, which the next open folds
         * and expects this record (the chain's first) to seal: seal it, or
         * that open finds a break the store made itself. */
        gd_audit_tail now;
        gd_err verr;
        if (!rc && t->seq == 0 && gd_audit_verify(path, &now, NULL, NULL, &verr) == 0 && now.legacy &&
            !now.sealed && !now.break_line)
            snprintf(seal, sizeof seal, ",\"legacy_lines\":%llu,\"legacy_sha256\":\"%s\"",
                     (unsigned long long)now.legacy, now.legacy_sha);
        free(path);
        if (rc)
            return rc;
        st->audit.partial = 0;
    }
    gd_json_escape(esc, sizeof esc, before);
    snprintf(fields, sizeof fields, "\"file\":\"" AUDIT_NAME "\",\"line\":%llu%s%s%s%s",
             (unsigned long long)t->break_line, was_halted ? ",\"halted_before\":\"" : "", was_halted ? esc : "",
             was_halted ? "\"" : "", seal);
    return gd_state_audit(st, GD_AUDIT_EV_BROKEN, "state", what, gd_wall_ms(), fields, err);
}

/* Opening to write: continue the chain, after recording a break or sealing
 * lines from before the chain. */
static int continue_chain(gd_state *st, gd_err *err)
{
    const gd_audit_tail *t = &st->audit;
    if (t->break_line)
        return record_break(st, err);
    if (t->legacy && !t->sealed) {
        char why[160], fields[160];
        snprintf(why, sizeof why, "the hash chain starts here; the %llu line(s) before it predate it",
                 (unsigned long long)t->legacy);
        snprintf(fields, sizeof fields, "\"legacy_lines\":%llu,\"legacy_sha256\":\"%s\"", (unsigned long long)t->legacy,
                 t->legacy_sha);
        return gd_state_audit(st, GD_AUDIT_EV_START, "state", why, gd_wall_ms(), fields, err);
    }
    return 0;
}

int gd_state_open(const char *dir, int mode, gd_state *st, gd_err *err)
{
    struct stat sb;
    int rc;

    memset(st, 0, sizeof *st);
    st->audit_fd = st->lock_fd = -1;
    if (!dir || !*dir)
        return gd_err_set(err, GD_EINVAL, "state_dir: empty path");
    if (stat(dir, &sb) != 0) {
        if (errno == ENOENT)
            return gd_err_set(err, GD_ENOENT,
                              "%s: state directory does not exist (it is never made implicitly: check the "
                              "path, or create it with `gordon init --state-dir %s`)",
                              dir, dir);
        return gd_err_set(err, GD_EIO, "%s: cannot stat state directory: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode))
        return gd_err_set(err, GD_EINVAL, "%s: state directory: %s", dir, strerror(ENOTDIR));
    if (!(st->dir = strdup(dir)))
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", dir);
    if (mode == GD_STATE_INSPECT) {
        st->holder_pid = lock_holder(dir);
        if ((rc = load_records(st, err)) == 0)
            rc = verify_trail(st, err);
        goto done;
    }
    /* The lock first: what we read must not change under us. */
    if ((rc = take_lock(st, err)) != 0 || (rc = load_records(st, err)) != 0 || (rc = verify_trail(st, err)) != 0)
        goto done;
    char *audit_path = path_join(dir, AUDIT_NAME);
    if (!audit_path) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", dir);
        goto done;
    }
    st->audit_fd = open(audit_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (st->audit_fd < 0)
        rc = gd_err_set(err, GD_EIO, "%s: cannot open: %s", audit_path, strerror(errno));
    free(audit_path);
    if (!rc)
        rc = continue_chain(st, err);
done:
    if (rc)
        gd_state_close(st);
    return rc;
}

/* ------------------------------------------------------------ audit syncs off the loop */

int gd_state_sync_on_loop(gd_state *st, uv_loop_t *loop, gd_err *err)
{
    if (st->audit_fd < 0 || st->sync)
        return 0;
    char what[4096];
    snprintf(what, sizeof what, "%s/" AUDIT_NAME, st->dir);
    return gd_bgsync_new(loop, st->audit_fd, "state", what, &st->sync, err);
}

uint64_t gd_state_sync_failures(const gd_state *st) { return gd_bgsync_failures(st->sync); }

void gd_state_close(gd_state *st)
{
    if (!st)
        return;
    if (st->sync) {
        /* The loop has finished (its work with it): what is left is synced
         * now, and the file closed. */
        gd_bgsync_close(st->sync);
        st->sync = NULL;
    } else if (st->audit_fd >= 0) {
        close(st->audit_fd);
    }
    if (st->lock_fd >= 0)
        close(st->lock_fd); /* releases the flock */
    free(st->dir);
    memset(st, 0, sizeof *st);
    st->audit_fd = st->lock_fd = -1;
}

static int write_atomic(const char *dir, const char *name, const char *text, gd_err *err);

int gd_state_init(const char *dir, gd_err *err)
{
    struct stat sb;
    if (!dir || !*dir)
        return gd_err_set(err, GD_EINVAL, "state_dir: empty path");
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return gd_err_set(err, GD_EINVAL, "%s: exists and is not a directory", dir);
        gd_state st;
        int rc = gd_state_open(dir, GD_STATE_INSPECT, &st, err);
        if (rc)
            return rc;
        gd_state_close(&st);
        return 0; /* a store already: keep it as it is */
    }
    int rc = gd_mkdirs(dir, 0700, err);
    if (rc)
        return rc;
    if (chmod(dir, 0700) != 0)
        return gd_err_set(err, GD_EIO, "%s: chmod: %s", dir, strerror(errno));
    /* An empty trail from the start: the chain's first record follows genesis. */
    char *path = path_join(dir, AUDIT_NAME);
    if (!path)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: cannot create: %s", path, strerror(errno));
    } else if (close(fd) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: close: %s", path, strerror(errno));
    } else {
        /* Intent ids name orders on the venue (g<id>-e): a store made anew
         * starts past every id an earlier one could have used, so a lookup
         * by client id never finds another store's order. */
        char json[64];
        snprintf(json, sizeof json, "{\"next_id\":%llu}", (unsigned long long)gd_wall_ms() * 1000ull);
        rc = write_atomic(dir, IDS_NAME, json, err);
    }
    free(path);
    return rc;
}

/* Writes text as <dir>/name durably: a temporary file, fsync, rename, fsync
 * of the directory. On failure the old file is what remains. */
static int write_atomic(const char *dir, const char *name, const char *text, gd_err *err)
{
    char *path = path_join(dir, name), *tmp = NULL;
    int fd = -1, rc;
    size_t tl = path ? strlen(path) + 5 : 0;
    if (!path || !(tmp = malloc(tl))) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", dir);
        goto out;
    }
    snprintf(tmp, tl, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    if ((rc = write_all(fd, text, strlen(text), tmp, err)) != 0 || (rc = write_all(fd, "\n", 1, tmp, err)) != 0)
        goto fail_unlink;
    if (fsync(fd) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto fail_unlink;
    }
    /* close() can report a deferred write error (NFS): check it. */
    int cr = close(fd);
    fd = -1;
    if (cr != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: close: %s", tmp, strerror(errno));
        goto fail_unlink;
    }
    if (rename(tmp, path) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: rename to %s: %s", tmp, path, strerror(errno));
        goto fail_unlink;
    }
    /* Without this the rename itself may not survive a power loss: the new
     * file is in place but not known durable, so report failure. */
    rc = fsync_dir(dir, err);
    goto out;
fail_unlink:
    unlink(tmp);
out:
    if (fd >= 0)
        close(fd);
    free(tmp);
    free(path);
    return rc;
}

int gd_state_set_latch(gd_state *st, const gd_latch *l, gd_err *err)
{
    char *json = NULL;
    cJSON *root = NULL;
    int rc;

    if (!st || !st->dir || !l || st->lock_fd < 0)
        return gd_err_set(err, GD_EINVAL, "state: not open for writing");
    if (strnlen(l->who, sizeof l->who) == sizeof l->who ||
        strnlen(l->why, sizeof l->why) == sizeof l->why)
        return gd_err_set(err, GD_EINVAL, "%s: latch who/why not NUL-terminated", st->dir);
    if (fabs((double)l->since_ms) > MAX_EXACT_MS)
        return gd_err_set(err, GD_ERANGE, "%s: latch since_ms %lld out of range", st->dir,
                          (long long)l->since_ms);
    root = cJSON_CreateObject();
    if (!root || !cJSON_AddBoolToObject(root, "halted", l->halted != 0) ||
        !cJSON_AddStringToObject(root, "who", l->who) || !cJSON_AddStringToObject(root, "why", l->why) ||
        !cJSON_AddNumberToObject(root, "since_ms", (double)l->since_ms) ||
        !(json = cJSON_PrintUnformatted(root))) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", st->dir);
        goto out;
    }
    rc = write_atomic(st->dir, LATCH_NAME, json, err);
    if (!rc)
        st->latch = *l;
out:
    cJSON_free(json);
    cJSON_Delete(root);
    return rc;
}

int gd_state_reserve_ids(gd_state *st, uint64_t upto, gd_err *err)
{
    char json[64];
    if (!st || !st->dir || st->lock_fd < 0)
        return gd_err_set(err, GD_EINVAL, "state: not open for writing");
    if (upto <= st->next_id)
        return 0;
    if ((double)upto > MAX_EXACT_MS)
        return gd_err_set(err, GD_ERANGE, "%s: intent ids exhausted (2^53)", st->dir);
    snprintf(json, sizeof json, "{\"next_id\":%llu}", (unsigned long long)upto);
    int rc = write_atomic(st->dir, IDS_NAME, json, err);
    if (!rc)
        st->next_id = upto;
    return rc;
}

int gd_state_probe(const gd_state *st, gd_err *err)
{
    if (!st || !st->dir)
        return gd_err_set(err, GD_EINVAL, "state: not open");
    char *path = path_join(st->dir, PROBE_NAME);
    if (!path)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", st->dir);
    int rc = 0, fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: cannot create: %s", path, strerror(errno));
        goto out;
    }
    /* A real block, so a full disk says so here. */
    static const char block[512] = "gordon state probe\n";
    rc = write_all(fd, block, sizeof block, path, err);
    if (!rc && fsync(fd) != 0)
        rc = gd_err_set(err, GD_EIO, "%s: fsync: %s", path, strerror(errno));
    close(fd);
    unlink(path);
out:
    free(path);
    return rc;
}

/* fields_json must make a valid object once wrapped in braces, and not
 * repeat a key of the line's own: the audit trail is read by machines, and
 * verification refuses a line that says a thing twice. */
static int fields_valid(const char *fields_json)
{
    static const char *const own[] = {"seq", "prev", "ts_ms", "event", "who", "why"};
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
    int ok = root && cJSON_IsObject(root) && !has_duplicate_key(root);
    for (size_t i = 0; ok && i < sizeof own / sizeof own[0]; i++)
        ok = cJSON_GetObjectItemCaseSensitive(root, own[i]) == NULL;
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
    size_t cap = ne + nw + ny + nf + 192;
    line = malloc(cap);
    if (!line)
        return gd_err_set(err, GD_ENOMEM, "%s/" AUDIT_NAME ": out of memory", st->dir);
    uint64_t seq = st->audit.seq + 1;
    size_t n = (size_t)snprintf(line, cap, "{\"seq\":%llu,\"prev\":\"%s\",\"ts_ms\":%lld,\"event\":\"",
                                (unsigned long long)seq, st->audit.prev, (long long)at_ms);
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
    /* Verification refuses longer lines (it holds one line in memory). */
    if (n - 1 > GD_AUDIT_LINE_MAX) {
        rc = gd_err_set(err, GD_ERANGE, "%s/" AUDIT_NAME ": event %s: record of %zu bytes, longer than %d", st->dir,
                        event, n - 1, GD_AUDIT_LINE_MAX);
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
    /* The whole line is in the file now, durable or not: the next record
     * chains to it either way (the file is what the next open verifies). */
    gd_audit_advance(&st->audit, seq, line, n - 1);
    if (gd_log_enabled(GD_LOG_INFO)) {
        char f[160];
        snprintf(f, sizeof f, "\"audit_seq\":%llu,\"audit_sha256\":\"%s\"", (unsigned long long)seq, st->audit.prev);
        gd_log(GD_LOG_INFO, "state", f, "audit record %llu (%s) appended; chain head %.16s", (unsigned long long)seq,
               event, st->audit.prev);
    }
    if (st->sync) {
        (void)gd_bgsync_kick(st->sync, NULL); /* a failure is logged and counted there */
    } else if (fdatasync(st->audit_fd) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s/" AUDIT_NAME ": fdatasync: %s", st->dir, strerror(errno));
        goto fail;
    }
    rc = GD_OK;
fail:
    free(line);
    return rc;
}
