/* Verification of the audit trail's hash chain (see audit.h), streamed: one
 * line in memory at a time, so a long trail costs time, not memory. */
#include "risk/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/hash.h"

#define CHUNK (64 * 1024)
/* Room in front of a line for the legacy fold's previous digest, so the
 * fold hashes one buffer without a copy. */
#define HEAD  64

typedef struct reader {
    int fd;
    const char *path; /* borrowed */
    char chunk[CHUNK];
    size_t pos, len;
} reader;

/* The next line into line[0..*len) (no newline, NUL-terminated), *complete
 * saying whether a newline ended it; *eof instead when nothing is left. */
static int read_line(reader *r, char *line, size_t *len, int *complete, int *eof, uint64_t lineno, gd_err *err)
{
    size_t n = 0;
    *complete = 0;
    for (;;) {
        if (r->pos == r->len) {
            ssize_t got;
            do
                got = read(r->fd, r->chunk, sizeof r->chunk);
            while (got < 0 && errno == EINTR);
            if (got < 0)
                return gd_err_set(err, GD_EIO, "%s: read: %s", r->path, strerror(errno));
            if (got == 0)
                break;
            r->pos = 0;
            r->len = (size_t)got;
        }
        const char *s = r->chunk + r->pos;
        const char *nl = memchr(s, '\n', r->len - r->pos);
        size_t take = nl ? (size_t)(nl - s) : r->len - r->pos;
        if (n + take > GD_AUDIT_LINE_MAX)
            return gd_err_set(err, GD_ERANGE,
                              "%s:%llu: longer than %d bytes: not a line gordon writes (refused; move the file "
                              "aside and keep it for review)",
                              r->path, (unsigned long long)lineno, GD_AUDIT_LINE_MAX);
        memcpy(line + n, s, take);
        n += take;
        r->pos += take;
        if (nl) {
            r->pos++;
            *complete = 1;
            break;
        }
    }
    line[n] = '\0';
    *len = n;
    *eof = n == 0 && !*complete;
    return 0;
}

/* The members of one line the chain looks at. */
typedef struct rec {
    const char *bad; /* why the line is not a JSON object we can read; NULL if it is */
    int has_seq, has_prev, seq_ok, prev_ok, broken_event, legacy_ok;
    uint64_t seq, legacy_lines;
    char prev[65], legacy_sha[65];
} rec;

static int hex64(const cJSON *it, char out[65])
{
    const char *s = cJSON_IsString(it) ? it->valuestring : NULL;
    if (!s || strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    memcpy(out, s, 65);
    return 1;
}

static int whole(const cJSON *it, uint64_t *out)
{
    double v = cJSON_IsNumber(it) ? cJSON_GetNumberValue(it) : -1.0;
    if (!(v >= 1.0 && v <= (double)GD_AUDIT_SEQ_MAX) || v != (double)(uint64_t)v)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static void parse_rec(const char *line, size_t len, rec *r)
{
    memset(r, 0, sizeof *r);
    if (memchr(line, '\0', len)) {
        r->bad = "not valid JSON (contains a NUL byte)";
        return;
    }
    /* len + 1: cJSON's strict mode wants the terminating NUL in range. */
    cJSON *root = cJSON_ParseWithLengthOpts(line, len + 1, NULL, 1);
    if (!root || !cJSON_IsObject(root)) {
        r->bad = root ? "not a JSON object" : "not valid JSON";
        cJSON_Delete(root);
        return;
    }
    for (const cJSON *a = root->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && !strcmp(a->string, b->string)) {
                r->bad = "a key appears twice";
                cJSON_Delete(root);
                return;
            }
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(root, "seq");
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(root, "prev");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "event");
    r->has_seq = seq != NULL;
    r->has_prev = prev != NULL;
    r->seq_ok = whole(seq, &r->seq);
    r->prev_ok = hex64(prev, r->prev);
    r->broken_event = cJSON_IsString(ev) && !strcmp(ev->valuestring, GD_AUDIT_EV_BROKEN);
    r->legacy_ok = whole(cJSON_GetObjectItemCaseSensitive(root, "legacy_lines"), &r->legacy_lines) &&
                   hex64(cJSON_GetObjectItemCaseSensitive(root, "legacy_sha256"), r->legacy_sha);
    cJSON_Delete(root);
}

enum {
    V_START,
    V_CHAIN,
    V_RESYNC
};

typedef struct verifier {
    gd_audit_tail *t;
    int mode;
    uint64_t max_seq; /* the highest valid seq on any line, for a record after a break */
    gd_audit_note_fn note;
    void *arg;
} verifier;

static void broken(verifier *v, uint64_t lineno, const char *what)
{
    gd_audit_tail *t = v->t;
    t->breaks++;
    if (!t->break_line) {
        t->break_line = lineno;
        snprintf(t->break_what, sizeof t->break_what, "%s", what);
    }
    v->mode = V_RESYNC;
    if (v->note)
        v->note(v->arg, GD_AUDIT_NOTE_BREAK, lineno, what);
}

/* After a break nothing is checked until a record the daemon wrote on
 * finding it: an audit_chain_broken record chained to the line before. */
static void resync(verifier *v, const rec *r, uint64_t lineno)
{
    gd_audit_tail *t = v->t;
    if (r->bad || !r->broken_event || !r->seq_ok || !r->prev_ok || strcmp(r->prev, t->prev) != 0)
        return;
    v->mode = V_CHAIN;
    t->seq = r->seq;
    t->break_line = 0;
    t->break_what[0] = '\0';
    if (v->note)
        v->note(v->arg, GD_AUDIT_NOTE_ACK, lineno, "");
}

/* One complete line (line[-HEAD..-1] is scratch for the legacy fold). */
static void check_line(verifier *v, char *line, size_t len, const rec *r, uint64_t k)
{
    gd_audit_tail *t = v->t;
    char what[sizeof t->break_what];
    if (v->mode == V_RESYNC) {
        resync(v, r, k);
        return;
    }

    if (r->bad) {
        broken(v, k, r->bad);
        return;
    }
    if (!r->has_seq && !r->has_prev) {
        if (v->mode != V_START) {
            broken(v, k, "no \"seq\" and \"prev\": a record outside the chain after chained ones");
            return;
        }
        /* Written before the chain existed: folded, sealed by the first
         * chained record. */
        memcpy(line - HEAD, t->legacy_sha, HEAD);
        gd_sha256_buf(line - HEAD, len + HEAD, t->legacy_sha);
        t->legacy++;
        return;
    }
    if (!r->seq_ok) {
        broken(v, k, "\"seq\" must be a whole number from 1 to 2^53");
        return;
    }
    if (!r->prev_ok) {
        broken(v, k, "\"prev\" must be 64 lowercase hex digits");
        return;
    }
    if (v->mode == V_START && t->legacy) {
        if (!r->legacy_ok || r->legacy_lines != t->legacy || strcmp(r->legacy_sha, t->legacy_sha) != 0) {
            snprintf(what, sizeof what,
                     "the chain's first record does not match the %llu line(s) before it (\"legacy_lines\", "
                     "\"legacy_sha256\"): one of them was changed, removed or added",
                     (unsigned long long)t->legacy);
            broken(v, k, what);
            return;
        }
        t->sealed = 1;
    }
    if (r->seq != t->seq + 1) {
        snprintf(what, sizeof what, "seq %llu where %llu was expected: a record was removed, inserted or moved",
                 (unsigned long long)r->seq, (unsigned long long)(t->seq + 1));
        broken(v, k, what);
        return;
    }
    if (strcmp(r->prev, t->prev) != 0) {
        if (k == 1)
            snprintf(what, sizeof what, "\"prev\" is not the genesis value: lines before it were removed");
        else
            snprintf(what, sizeof what,
                     "\"prev\" is not the SHA-256 of line %llu: that line was changed, or lines were removed "
                     "or inserted before this one",
                     (unsigned long long)(k - 1));
        broken(v, k, what);
        return;
    }
    v->mode = V_CHAIN;
    t->seq = r->seq;
    /* The daemon's record of a break in a chain that holds (the break was
     * only a missing newline at the end): still worth a note. */
    if (r->broken_event && v->note)
        v->note(v->arg, GD_AUDIT_NOTE_ACK, k, "");
}

static void tail_init(gd_audit_tail *t)
{
    memset(t, 0, sizeof *t);
    memcpy(t->prev, GD_AUDIT_GENESIS, sizeof t->prev);
    memcpy(t->legacy_sha, GD_AUDIT_GENESIS, sizeof t->legacy_sha);
}

int gd_audit_verify(const char *path, gd_audit_tail *out, gd_audit_note_fn note, void *arg, gd_err *err)
{
    reader *r = NULL;
    char *buf = NULL;
    struct stat sb;
    int rc;

    tail_init(out);
    verifier v = {out, V_START, 0, note, arg};
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* no record yet: an empty trail */
        if (errno == ELOOP)
            return gd_err_set(err, GD_EIO, "%s: is a symbolic link: refused (the state store holds its own files)",
                              path);
        return gd_err_set(err, GD_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = gd_err_set(err, GD_EIO, "%s: not a regular file", path);
        goto out;
    }
    r = malloc(sizeof *r);
    buf = malloc(HEAD + GD_AUDIT_LINE_MAX + 1);
    if (!r || !buf) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    r->fd = fd;
    r->path = path;
    r->pos = r->len = 0;
    char *line = buf + HEAD;
    for (;;) {
        size_t len = 0;
        int complete = 0, eof = 0;
        uint64_t k = out->lines + 1;
        if ((rc = read_line(r, line, &len, &complete, &eof, k, err)) != 0 || eof)
            break;
        rec rr;
        char h[65];
        gd_sha256_buf(line, len, h);
        parse_rec(line, len, &rr);
        if (!complete) {
            /* Only the last line can lack its newline. */
            out->partial = 1;
            if (v.mode != V_RESYNC)
                broken(&v, k,
                       "incomplete: no newline at the end of the file (cut off, or a write torn by a "
                       "crash)");
        } else {
            check_line(&v, line, len, &rr, k);
        }
        if (rr.seq_ok && rr.seq > v.max_seq)
            v.max_seq = rr.seq;
        memcpy(out->prev, h, sizeof out->prev);
        out->lines = k;
    }
    if (rc < 0)
        goto out;
    /* A record written after an unacknowledged break takes a seq past any
     * the file holds, so no two lines share one. */
    if (v.mode == V_RESYNC && v.max_seq > out->seq)
        out->seq = v.max_seq;
    if (out->seq >= GD_AUDIT_SEQ_MAX) {
        rc = gd_err_set(err, GD_ERANGE, "%s: seq has reached 2^53: no further record can be chained", path);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    free(r);
    close(fd);
    return rc;
}

void gd_audit_advance(gd_audit_tail *tail, uint64_t seq, const char *line, size_t len)
{
    tail->seq = seq;
    gd_sha256_buf(line, len, tail->prev);
    tail->lines++;
    tail->partial = 0;
}
