#include "venue/ledger.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bgsync.h"
#include "base/file.h"
#include "base/log.h"

struct gd_vledger {
    char *path; /* owned */
    int fd;
    uv_loop_t *loop;
    gd_vledger_rec *recs; /* owned: the records not flat */
    size_t n, cap;
    gd_bgsync *sync; /* owned: fdatasyncs off the loop; it closes fd */
};

/* ------------------------------------------------------------ reading */

static int num_field(const cJSON *o, const char *k, double *out, int need)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        return need ? -1 : 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return -1;
    *out = v->valuedouble;
    return 0;
}

/* A symbol as written into a record without escaping, and so as read back:
 * 1 to cap - 1 of [A-Za-z0-9_.-] (a ledger written with anything else could
 * not be read again). */
static int symbol_ok(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0 || n >= cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return 0;
    return 1;
}

static int id_field(const cJSON *o, const char *k, uint64_t *out)
{
    double d;
    if (num_field(o, k, &d, 1) != 0 || !(d >= 1.0) || d > 9007199254740992.0 || d != floor(d))
        return -1;
    *out = (uint64_t)d;
    return 0;
}

static gd_vledger_rec *find(gd_vledger *l, uint64_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->recs[i].id == id)
            return &l->recs[i];
    return NULL;
}

static int add(gd_vledger *l, const gd_vledger_rec *r, gd_err *err)
{
    if (l->n == l->cap) {
        if (l->cap >= GD_VLEDGER_MAX_OPEN)
            return gd_err_set(err, GD_ERANGE, "%s: more than %d open records", l->path, GD_VLEDGER_MAX_OPEN);
        size_t nc = l->cap ? l->cap * 2 : 8;
        gd_vledger_rec *p = realloc(l->recs, nc * sizeof *p);
        if (!p)
            return gd_err_set(err, GD_ENOMEM, "%s: out of memory", l->path);
        l->recs = p;
        l->cap = nc;
    }
    l->recs[l->n++] = *r;
    return 0;
}

static void drop(gd_vledger *l, gd_vledger_rec *r)
{
    size_t i = (size_t)(r - l->recs);
    memmove(&l->recs[i], &l->recs[i + 1], (l->n - i - 1) * sizeof *r);
    l->n--;
}

/* The first key that appears twice in o, or NULL. gordon never writes one;
 * a file that has one was not written by it, and which of the two a reader
 * takes is a guess. */
static const char *dup_key(const cJSON *o)
{
    for (const cJSON *a = o->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && !strcmp(a->string, b->string))
                return a->string;
    return NULL;
}

/* One line of the file: applied to the records, or why not. */
static int apply_line(gd_vledger *l, const char *line, int lineno, char *why, size_t cap)
{
    cJSON *o = cJSON_ParseWithOpts(line, NULL, 1);
    int rc = -1;
    uint64_t id = 0;
    if (!o || !cJSON_IsObject(o)) {
        snprintf(why, cap, "not a JSON object");
        goto out;
    }
    const char *dup = dup_key(o);
    if (dup) {
        snprintf(why, cap, "field %.40s: given twice", dup);
        goto out;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    if (!cJSON_IsString(t)) {
        snprintf(why, cap, "field t: missing");
        goto out;
    }
    if (strcmp(t->valuestring, "entry") && strcmp(t->valuestring, "fill") && strcmp(t->valuestring, "close") &&
        strcmp(t->valuestring, "flat")) {
        snprintf(why, cap, "field t: unknown record type");
        goto out;
    }
    if (id_field(o, "id", &id) != 0) {
        snprintf(why, cap, "field id: not a positive integer");
        goto out;
    }
    gd_vledger_rec *r = find(l, id);
    if (!strcmp(t->valuestring, "entry")) {
        gd_vledger_rec n;
        memset(&n, 0, sizeof n);
        n.id = id;
        n.line = lineno;
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "strategy");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(o, "symbol");
        double side = 0, at = 0;
        if (r) {
            snprintf(why, cap, "field id: entry %" PRIu64 " repeated", id);
            goto out;
        }
        if (!cJSON_IsString(s) || !gd_name_valid(s->valuestring, GD_NAME_MAX)) {
            snprintf(why, cap, "field strategy: not an instance name");
            goto out;
        }
        if (!cJSON_IsString(y) || !symbol_ok(y->valuestring, sizeof n.symbol)) {
            snprintf(why, cap, "field symbol: missing, longer than %zu or not of [A-Za-z0-9_.-]", sizeof n.symbol - 1);
            goto out;
        }
        if (num_field(o, "side", &side, 1) != 0 || (side != 1.0 && side != -1.0)) {
            snprintf(why, cap, "field side: not 1 or -1");
            goto out;
        }
        if (num_field(o, "qty", &n.qty, 1) != 0 || !(n.qty > 0)) {
            snprintf(why, cap, "field qty: not a positive number");
            goto out;
        }
        if (num_field(o, "stop", &n.stop, 0) != 0 || n.stop < 0 || num_field(o, "tp", &n.tp, 0) != 0 || n.tp < 0 ||
            num_field(o, "ref", &n.ref, 0) != 0 || n.ref < 0 || num_field(o, "at", &at, 0) != 0) {
            snprintf(why, cap, "fields stop, tp, ref, at: not numbers (or negative)");
            goto out;
        }
        if (!(fabs(at) <= 9e15) || !(n.qty <= 1e15) || !(n.stop <= 1e15) || !(n.tp <= 1e15) || !(n.ref <= 1e15)) {
            snprintf(why, cap, "fields qty, stop, tp, ref, at: out of range");
            goto out;
        }
        snprintf(n.strategy, sizeof n.strategy, "%s", s->valuestring);
        snprintf(n.symbol, sizeof n.symbol, "%s", y->valuestring);
        n.side = (int)side;
        n.at_ms = (int64_t)at;
        gd_err e;
        if (add(l, &n, &e) != 0) {
            snprintf(why, cap, "%s", e.msg);
            goto out;
        }
        rc = 0;
        goto out;
    }
    if (!r) {
        /* A line about a record compacted away cannot happen: compaction
         * keeps every record that is not flat. */
        snprintf(why, cap, "field id: no entry %" PRIu64 " before it", id);
        goto out;
    }
    if (!strcmp(t->valuestring, "fill")) {
        double f, a;
        if (num_field(o, "filled", &f, 1) != 0 || f < 0 || f > r->qty * (1 + 1e-9) || num_field(o, "avg", &a, 1) != 0 ||
            a < 0) {
            snprintf(why, cap, "fields filled, avg: not numbers within the entry");
            goto out;
        }
        r->filled = f;
        r->avg = a;
    } else if (!strcmp(t->valuestring, "close")) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
        if (id_field(o, "close", &r->close_id) != 0) {
            snprintf(why, cap, "field close: not a positive integer");
            goto out;
        }
        if (!cJSON_IsString(k) || strlen(k->valuestring) != 1 || !strchr("xfc", k->valuestring[0])) {
            snprintf(why, cap, "field kind: not x, f or c");
            goto out;
        }
        r->close_kind = k->valuestring[0];
    } else {
        drop(l, r); /* flat */
    }
    rc = 0;
out:
    cJSON_Delete(o);
    return rc;
}

static int load(gd_vledger *l, gd_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = gd_file_read(l->path, 64u << 20, &buf, &len, err);
    if (rc == GD_ENOENT)
        return 0;
    if (rc)
        return rc;
    size_t off = 0;
    int lineno = 0;
    while (off < len) {
        lineno++;
        char *nl = memchr(buf + off, '\n', len - off);
        if (!nl) {
            /* A crash mid-write: the line never finished, so what it
             * named was never sent. */
            gd_log(GD_LOG_WARN, "venue", NULL, "%s:%d: a torn last line (%zu bytes) dropped", l->path, lineno,
                   len - off);
            break;
        }
        *nl = '\0';
        char why[200];
        if (nl - (buf + off) > GD_VLEDGER_LINE_MAX) {
            rc = gd_err_set(err, GD_EPARSE, "%s:%d: a line longer than %d bytes", l->path, lineno, GD_VLEDGER_LINE_MAX);
            goto out;
        }
        if (apply_line(l, buf + off, lineno, why, sizeof why) != 0) {
            rc = gd_err_set(err, GD_EPARSE, "%s:%d: %s", l->path, lineno, why);
            goto out;
        }
        off = (size_t)(nl - buf) + 1;
    }
out:
    free(buf);
    return rc;
}

/* ------------------------------------------------------------ writing */

static int format_rec(const gd_vledger_rec *r, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "{\"t\":\"entry\",\"id\":%" PRIu64 ",\"strategy\":\"%s\",\"symbol\":\"%s\",\"side\":%d,"
                     "\"qty\":%.17g,\"stop\":%.17g,\"tp\":%.17g,\"ref\":%.17g,\"at\":%" PRId64 "}\n",
                     r->id, r->strategy, r->symbol, r->side, r->qty, r->stop, r->tp, r->ref, r->at_ms);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    size_t o = (size_t)n;
    if (r->filled > 0 || r->avg > 0) {
        n = snprintf(out + o, cap - o, "{\"t\":\"fill\",\"id\":%" PRIu64 ",\"filled\":%.17g,\"avg\":%.17g}\n", r->id,
                     r->filled, r->avg);
        if (n < 0 || (size_t)n >= cap - o)
            return -1;
        o += (size_t)n;
    }
    if (r->close_id) {
        n = snprintf(out + o, cap - o, "{\"t\":\"close\",\"id\":%" PRIu64 ",\"close\":%" PRIu64 ",\"kind\":\"%c\"}\n",
                     r->id, r->close_id, r->close_kind);
        if (n < 0 || (size_t)n >= cap - o)
            return -1;
        o += (size_t)n;
    }
    return (int)o;
}

static int compact(gd_vledger *l, gd_err *err)
{
    size_t cap = (l->n + 1) * 3 * GD_VLEDGER_LINE_MAX;
    char *buf = malloc(cap);
    if (!buf)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", l->path);
    size_t len = 0;
    for (size_t i = 0; i < l->n; i++) {
        int n = format_rec(&l->recs[i], buf + len, cap - len);
        if (n < 0) {
            free(buf);
            return gd_err_set(err, GD_ERANGE, "%s: record %" PRIu64 " does not fit a line", l->path, l->recs[i].id);
        }
        len += (size_t)n;
    }
    int rc = gd_file_write_durable(l->path, buf, len, err);
    free(buf);
    return rc;
}

static int put(gd_vledger *l, const char *line, size_t n, gd_err *err)
{
    ssize_t w;
    do {
        w = write(l->fd, line, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0)
        return gd_err_set(err, GD_EIO, "%s: write: %s", l->path, strerror(errno));
    if ((size_t)w != n) {
        /* A partial line would glue onto the next: cut it back off. */
        off_t end = lseek(l->fd, 0, SEEK_END);
        if (end >= (off_t)w && ftruncate(l->fd, end - (off_t)w) != 0)
            gd_log(GD_LOG_ERROR, "venue", NULL, "%s: a partial line could not be cut off", l->path);
        return gd_err_set(err, GD_EIO, "%s: short write (%zd of %zu bytes)", l->path, w, n);
    }
    /* On the loop a failed sync is logged there, and the line is in the
     * file all the same; with no loop the caller is told. */
    int rc = gd_bgsync_kick(l->sync, err);
    return l->loop ? 0 : rc;
}

int gd_vledger_open(const char *path, uv_loop_t *loop, gd_vledger **out, gd_err *err)
{
    gd_vledger *l = calloc(1, sizeof *l);
    int rc;
    if (!l || !(l->path = strdup(path))) {
        free(l);
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    }
    l->fd = -1;
    l->loop = loop;
    if ((rc = load(l, err)) != 0 || (rc = compact(l, err)) != 0)
        goto fail;
    l->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (l->fd < 0) {
        rc = gd_err_set(err, GD_EIO, "%s: open: %s", path, strerror(errno));
        goto fail;
    }
    if ((rc = gd_bgsync_new(loop, l->fd, "venue", path, &l->sync, err)) != 0)
        goto fail;
    *out = l;
    return 0;
fail:
    gd_vledger_free(l);
    return rc;
}

void gd_vledger_free(gd_vledger *l)
{
    if (!l)
        return;
    if (l->sync)
        gd_bgsync_close(l->sync); /* syncs what is left (after the one in flight), closes fd */
    else if (l->fd >= 0)
        close(l->fd);
    free(l->recs);
    free(l->path);
    free(l);
}

const char *gd_vledger_path(const gd_vledger *l) { return l->path; }
size_t gd_vledger_count(const gd_vledger *l) { return l ? l->n : 0; }
const gd_vledger_rec *gd_vledger_at(const gd_vledger *l, size_t i) { return i < l->n ? &l->recs[i] : NULL; }

const gd_vledger_rec *gd_vledger_find(const gd_vledger *l, uint64_t id) { return l ? find((gd_vledger *)l, id) : NULL; }

int gd_vledger_entry(gd_vledger *l, const gd_vledger_rec *r, gd_err *err)
{
    if (find(l, r->id))
        return gd_err_set(err, GD_EEXIST, "%s: entry %" PRIu64 " is already recorded", l->path, r->id);
    if (!gd_name_valid(r->strategy, GD_NAME_MAX) || !symbol_ok(r->symbol, sizeof r->symbol))
        return gd_err_set(err, GD_EINVAL, "%s: entry %" PRIu64 ": bad strategy or symbol name", l->path, r->id);
    gd_vledger_rec n = *r;
    n.filled = n.avg = 0;
    n.close_id = 0;
    n.close_kind = 0;
    n.line = 0;
    char line[GD_VLEDGER_LINE_MAX];
    int len = format_rec(&n, line, sizeof line);
    if (len < 0)
        return gd_err_set(err, GD_ERANGE, "%s: entry %" PRIu64 " does not fit a line", l->path, r->id);
    int rc = add(l, &n, err);
    if (rc)
        return rc;
    if ((rc = put(l, line, (size_t)len, err)) != 0)
        l->n--;
    return rc;
}

int gd_vledger_fill(gd_vledger *l, uint64_t id, double filled, double avg, gd_err *err)
{
    gd_vledger_rec *r = find(l, id);
    if (!r)
        return gd_err_set(err, GD_ENOENT, "%s: no entry %" PRIu64, l->path, id);
    char line[256];
    int n = snprintf(line, sizeof line, "{\"t\":\"fill\",\"id\":%" PRIu64 ",\"filled\":%.17g,\"avg\":%.17g}\n", id,
                     filled, avg);
    int rc = put(l, line, (size_t)n, err);
    if (!rc) {
        r->filled = filled;
        r->avg = avg;
    }
    return rc;
}

int gd_vledger_close(gd_vledger *l, uint64_t id, uint64_t close_id, char kind, gd_err *err)
{
    gd_vledger_rec *r = find(l, id);
    if (!r)
        return gd_err_set(err, GD_ENOENT, "%s: no entry %" PRIu64, l->path, id);
    if (!kind || !strchr("xfc", kind) || !close_id)
        return gd_err_set(err, GD_EINVAL, "%s: entry %" PRIu64 ": bad close", l->path, id);
    char line[256];
    int n = snprintf(line, sizeof line, "{\"t\":\"close\",\"id\":%" PRIu64 ",\"close\":%" PRIu64 ",\"kind\":\"%c\"}\n",
                     id, close_id, kind);
    int rc = put(l, line, (size_t)n, err);
    if (!rc) {
        r->close_id = close_id;
        r->close_kind = kind;
    }
    return rc;
}

int gd_vledger_flat(gd_vledger *l, uint64_t id, gd_err *err)
{
    gd_vledger_rec *r = find(l, id);
    if (!r)
        return 0;
    char line[128];
    int n = snprintf(line, sizeof line, "{\"t\":\"flat\",\"id\":%" PRIu64 "}\n", id);
    int rc = put(l, line, (size_t)n, err);
    if (!rc)
        drop(l, r);
    return rc;
}
