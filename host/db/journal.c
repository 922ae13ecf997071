/* The journal in memory (see db/journal.h): one buffer of max_bytes holds
 * the unapplied records exactly as they are on disk, as a ring. A record
 * never straddles the end: when it does not fit there it goes to the front
 * and the end is left unused until the head passes it, so every record is
 * one run of bytes (gd_jrec.data points into it) and a sync writes at most
 * two runs with one writev. An index ring gives each live seq its offset
 * (seq is contiguous, so finding one is O(1)). */
#include "db/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/dates.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "db/journal_int.h"

#define GD_JOURNAL_DEFAULT_BYTES    ((size_t)64 << 20)
#define GD_JOURNAL_DEFAULT_SEGMENT  ((size_t)8 << 20)
/* The index keeps offset / 8 in 32 bits. */
#define GD_JOURNAL_MAX_BYTES        ((size_t)UINT32_MAX * 8)
/* The applied file is rewritten at most this often (unless forced): the
 * writer marks after every batch, and a lagging mark only means applying
 * again after a crash, which is harmless. */
#define GD_JOURNAL_APPLIED_EVERY_MS 1000.0

struct gd_journal {
    char *dir;          /* owned */
    int lock_fd;        /* flock'd <dir>/lock */
    unsigned char *buf; /* owned: cap bytes, the ring */
    size_t cap;
    uint32_t *idx;          /* owned: [seq % n_idx] = the record's offset / 8 */
    size_t n_idx;           /* cap / GD_JHDR: more than can be live at once */
    size_t head, tail;      /* the oldest live record; where the next goes */
    size_t wrap_end;        /* when wrapped: where the back run ends */
    int wrapped;            /* live = [head, wrap_end) + [0, tail) */
    uint64_t last, durable; /* newest appended; newest fdatasync'd */
    uint64_t applied;       /* newest marked applied: live is applied+1..last */
    uint64_t applied_file;  /* the mark the applied file holds */
    double applied_next_ms; /* gd_mono_ms when it may be rewritten */
    size_t segment_bytes;
    int seg_fd;         /* the newest segment, O_APPEND; -1 before the first */
    uint64_t seg_first; /* its name */
    uint64_t seg_size;  /* its durable length */
    int seg_dirty;      /* a failed write may have left bytes past seg_size */
    int io_busy;        /* a gd_journal_io is out (sync_begin .. sync_end) */
    uint64_t *segs;     /* owned: the first seq of every segment on disk */
    size_t n_segs, cap_segs;
};

static unsigned char *rec_at(const gd_journal *j, uint64_t seq) { return j->buf + (size_t)j->idx[seq % j->n_idx] * 8; }

/* Room for size bytes, or NULL (and nothing changed) when full. */
static unsigned char *ring_place(gd_journal *j, size_t size)
{
    size_t off;
    if (j->last == j->applied) {
        j->head = j->tail = 0;
        j->wrapped = 0;
    }
    if (!j->wrapped) {
        if (j->cap - j->tail >= size) {
            off = j->tail;
        } else if (j->head >= size) {
            j->wrap_end = j->tail;
            j->wrapped = 1;
            off = 0;
        } else {
            return NULL;
        }
    } else if (j->head - j->tail >= size) {
        off = j->tail;
    } else {
        return NULL;
    }
    j->tail = off + size;
    return j->buf + off;
}

/* Live records up to seq are gone. */
static void ring_release(gd_journal *j, uint64_t seq)
{
    j->applied = seq;
    if (j->applied == j->last) {
        j->head = j->tail = 0;
        j->wrapped = 0;
        return;
    }
    size_t h = (size_t)(rec_at(j, seq + 1) - j->buf);
    if (j->wrapped && h < j->head)
        j->wrapped = 0; /* the head crossed to the front run */
    j->head = h;
}

/* Appending is on the trading loop's hot path: the memory is faulted in
 * here, once, so no append takes a page fault (each one a trip into the
 * kernel, several microseconds in a VM). NULL on failure. */
static void *map_populated(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void journal_free(gd_journal *j)
{
    if (!j)
        return;
    if (j->seg_fd >= 0 && close(j->seg_fd) != 0)
        gd_log(GD_LOG_ERROR, "journal", NULL, "%s: closing the segment: %s", j->dir, strerror(errno));
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* releases the lock */
    free(j->segs);
    if (j->idx)
        munmap(j->idx, j->n_idx * sizeof *j->idx);
    if (j->buf)
        munmap(j->buf, j->cap);
    free(j->dir);
    free(j);
}

static int take_lock(gd_journal *j, gd_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/" GD_JLOCK, j->dir) >= (int)sizeof path)
        return gd_err_set(err, GD_ERANGE, "%.200s: journal directory name too long", j->dir);
    j->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (j->lock_fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot open: %s", path, strerror(errno));
    while (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK)
            return gd_err_set(err, GD_ESTATE, "%s: the journal is in use (another process holds %s)", j->dir, path);
        return gd_err_set(err, GD_EIO, "%s: cannot lock: %s", path, strerror(errno));
    }
    return GD_OK;
}

typedef struct load_ctx {
    gd_journal *j;
    const gd_jscan *s;
    int started;
} load_ctx;

/* Records after the applied mark go into memory, already durable. */
static int load_record(void *arg, const gd_jrec *r, const unsigned char *raw, gd_err *err)
{
    load_ctx *c = arg;
    gd_journal *j = c->j;
    if (r->seq <= c->s->applied)
        return GD_OK;
    if (!c->started) {
        j->applied = j->last = r->seq - 1;
        c->started = 1;
    }
    size_t size = gd_jrec_size(r->len);
    unsigned char *p = ring_place(j, size);
    if (!p)
        return gd_err_set(err, GD_ERANGE,
                          "%s: the unapplied records (from seq %llu, at seq %llu) do not fit in max_bytes %zu", j->dir,
                          (unsigned long long)(c->s->applied + 1), (unsigned long long)r->seq, j->cap);
    memcpy(p, raw, size);
    j->idx[r->seq % j->n_idx] = (uint32_t)((size_t)(p - j->buf) / 8);
    j->last = r->seq;
    return GD_OK;
}

/* Segments before the newest whose every record the applied file covers. */
static int compact(gd_journal *j, gd_err *err)
{
    char path[4096];
    while (j->n_segs >= 2 && j->segs[1] - 1 <= j->applied_file) {
        int rc = gd_jseg_path(path, sizeof path, j->dir, j->segs[0], err);
        if (rc)
            return rc;
        if (unlink(path) != 0 && errno != ENOENT)
            return gd_err_set(err, GD_EIO, "%s: cannot remove an applied segment: %s", path, strerror(errno));
        memmove(j->segs, j->segs + 1, (j->n_segs - 1) * sizeof *j->segs);
        j->n_segs--;
    }
    return GD_OK;
}

/* Cuts the torn tail the scan found off the newest segment. */
static int cut_torn_tail(gd_journal *j, const gd_jscan *s, gd_err *err)
{
    char path[4096], esc[4096], fields[4400];
    int rc = gd_jseg_path(path, sizeof path, j->dir, s->segs[s->n_segs - 1], err);
    if (rc)
        return rc;
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot open to cut its torn tail: %s", path, strerror(errno));
    if (ftruncate(fd, (off_t)s->newest_len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return gd_err_set(err, GD_EIO, "%s: cannot cut its torn tail at offset %zu: %s", path, s->newest_len,
                          strerror(e));
    }
    if (close(fd) != 0)
        return gd_err_set(err, GD_EIO, "%s: close: %s", path, strerror(errno));
    gd_json_escape(esc, sizeof esc, path);
    snprintf(fields, sizeof fields, "\"file\":\"%s\",\"offset\":%zu,\"seq\":%llu,\"bytes\":%llu", esc, s->newest_len,
             (unsigned long long)(s->last_seq + 1), (unsigned long long)s->torn_bytes);
    gd_log(GD_LOG_WARN, "journal", fields, "torn tail cut off the newest segment (a crash mid-write): %llu bytes, %s",
           (unsigned long long)s->torn_bytes, s->torn_what);
    return GD_OK;
}

static int open_newest(gd_journal *j, const gd_jscan *s, gd_err *err)
{
    char path[4096];
    if (!s->n_segs)
        return GD_OK; /* the first sync makes one */
    j->seg_first = s->segs[s->n_segs - 1];
    int rc = gd_jseg_path(path, sizeof path, j->dir, j->seg_first, err);
    if (rc)
        return rc;
    j->seg_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (j->seg_fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot open for appending: %s", path, strerror(errno));
    j->seg_size = s->newest_len;
    return GD_OK;
}

static int check_opts(const gd_journal_opts *o, size_t *cap, size_t *seg, gd_err *err)
{
    if (!o || !o->dir || !o->dir[0])
        return gd_err_set(err, GD_EINVAL, "journal: no directory");
    *cap = (o->max_bytes ? o->max_bytes : GD_JOURNAL_DEFAULT_BYTES) & ~(size_t)7;
    *seg = o->segment_bytes ? o->segment_bytes : GD_JOURNAL_DEFAULT_SEGMENT;
    if (*cap < gd_jrec_size(GD_JOURNAL_MAX_RECORD) || *cap > GD_JOURNAL_MAX_BYTES)
        return gd_err_set(err, GD_ERANGE, "%s: journal max_bytes %zu: expected %zu..%zu (room for the largest record)",
                          o->dir, o->max_bytes, gd_jrec_size(GD_JOURNAL_MAX_RECORD), GD_JOURNAL_MAX_BYTES);
    return GD_OK;
}

int gd_journal_open(const gd_journal_opts *opts, gd_journal **out, gd_journal_recovery *rec, gd_err *err)
{
    gd_journal *j = NULL;
    gd_jscan s = {0};
    size_t cap = 0, seg = 0; /* set by check_opts; GCC 12 -O2 cannot tell */
    int rc;
    *out = NULL;
    if (rec)
        memset(rec, 0, sizeof *rec);
    if ((rc = check_opts(opts, &cap, &seg, err)) != 0)
        return rc;
    if (!(j = calloc(1, sizeof *j)))
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", opts->dir);
    j->lock_fd = j->seg_fd = -1;
    j->cap = cap;
    j->n_idx = cap / GD_JHDR;
    j->segment_bytes = seg;
    if (!(j->dir = strdup(opts->dir)) || !(j->buf = map_populated(cap)) ||
        !(j->idx = map_populated(j->n_idx * sizeof *j->idx))) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory for the journal (%zu bytes)", opts->dir, cap);
        goto fail;
    }
    if ((rc = gd_mkdirs(j->dir, 0700, err)) != 0 || (rc = take_lock(j, err)) != 0)
        goto fail;
    load_ctx ctx = {j, &s, 0};
    if ((rc = gd_jscan_dir(j->dir, load_record, &ctx, &s, err)) != 0)
        goto fail;
    /* Everything checked: only now change anything on disk. */
    if (s.torn_bytes && (rc = cut_torn_tail(j, &s, err)) != 0)
        goto fail;
    j->applied = j->applied_file = s.applied;
    j->last = j->durable = s.last_seq;
    if ((rc = open_newest(j, &s, err)) != 0)
        goto fail;
    j->segs = s.segs;
    j->n_segs = j->cap_segs = s.n_segs;
    s.segs = NULL;
    gd_err cerr; /* removing applied segments can wait for the next mark */
    if (compact(j, &cerr) != 0)
        gd_log(GD_LOG_WARN, "journal", NULL, "%s", cerr.msg);
    if (rec) {
        rec->records = s.records;
        rec->unapplied = j->last - j->applied;
        rec->last_seq = s.last_seq;
        rec->applied_seq = s.applied;
        rec->torn_bytes = s.torn_bytes;
        rec->segments = s.n_segs;
        snprintf(rec->torn_what, sizeof rec->torn_what, "%s", s.torn_what);
    }
    *out = j;
    return GD_OK;
fail:
    gd_jscan_free(&s);
    journal_free(j);
    return rc;
}

int gd_journal_append(gd_journal *j, uint16_t type, int64_t time_ms, const void *data, uint32_t len, uint64_t *seq_out,
                      gd_err *err)
{
    if (len > GD_JOURNAL_MAX_RECORD)
        return gd_err_set(err, GD_ERANGE, "journal: a record of %u bytes (at most %u)", len,
                          (unsigned)GD_JOURNAL_MAX_RECORD);
    if (len && !data)
        return gd_err_set(err, GD_EINVAL, "journal: a record of %u bytes without data", len);
    if (j->last == UINT64_MAX)
        return gd_err_set(err, GD_ERANGE, "journal: sequence numbers exhausted");
    unsigned char *p = ring_place(j, gd_jrec_size(len));
    if (!p)
        return gd_err_set(err, GD_ENOMEM,
                          "journal: memory full (%zu of %zu bytes hold %llu records not yet applied to the database)",
                          gd_journal_bytes_used(j), j->cap, (unsigned long long)(j->last - j->applied));
    uint64_t seq = j->last + 1;
    gd_jrec_encode(p, seq, time_ms, type, data, len);
    j->idx[seq % j->n_idx] = (uint32_t)((size_t)(p - j->buf) / 8);
    j->last = seq;
    if (seq_out)
        *seq_out = seq;
    return GD_OK;
}

/* A new newest segment named first; the directory is fsync'd so the file
 * survives a power loss before anything is acknowledged in it. */
static int rotate(gd_journal *j, uint64_t first, gd_err *err)
{
    char path[4096];
    int rc = gd_jseg_path(path, sizeof path, j->dir, first, err);
    if (rc)
        return rc;
    if (j->n_segs == j->cap_segs) {
        size_t nc = j->cap_segs ? j->cap_segs * 2 : 16;
        uint64_t *g = realloc(j->segs, nc * sizeof *g);
        if (!g)
            return gd_err_set(err, GD_ENOMEM, "%s: out of memory for a new segment", path);
        j->segs = g;
        j->cap_segs = nc;
    }
    /* O_TRUNC: the name can only be left over from a rotation of ours that
     * failed before anything was written to it. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return gd_err_set(err, GD_EIO, "%s: cannot create: %s", path, strerror(errno));
    if ((rc = gd_jfsync_dir(j->dir, err)) != 0) {
        close(fd);
        return rc;
    }
    if (j->seg_fd >= 0 && close(j->seg_fd) != 0)
        gd_log(GD_LOG_WARN, "journal", NULL, "%s: closing the previous segment: %s", j->dir, strerror(errno));
    j->seg_fd = fd;
    j->seg_first = first;
    j->seg_size = 0;
    j->seg_dirty = 0;
    j->segs[j->n_segs++] = first;
    return GD_OK;
}

/* writev until all is written; 0 or an errno. */
static int write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        if (w == 0)
            return EIO;
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

int gd_journal_sync_begin(gd_journal *j, gd_journal_io *io, gd_err *err)
{
    int rc;
    memset(io, 0, sizeof *io);
    io->fd = -1;
    if (j->io_busy)
        return gd_err_set(err, GD_ESTATE, "journal: a sync is already under way");
    if (j->durable == j->last)
        return GD_OK;
    /* A failed attempt may have left part of the batch: cut it, so the
     * rewrite leaves no garbage and no duplicate. */
    if (j->seg_dirty) {
        if (ftruncate(j->seg_fd, (off_t)j->seg_size) != 0) {
            int e = errno;
            char path[4096];
            gd_jseg_path(path, sizeof path, j->dir, j->seg_first, NULL);
            return gd_err_set(err, GD_EIO, "%s: cannot cut a failed write back to %llu bytes: %s", path,
                              (unsigned long long)j->seg_size, strerror(e));
        }
        j->seg_dirty = 0;
    }
    if ((j->seg_fd < 0 || (j->seg_size && j->seg_size >= j->segment_bytes)) &&
        (rc = rotate(j, j->durable + 1, err)) != 0)
        return rc;
    size_t p = (size_t)(rec_at(j, j->durable + 1) - j->buf);
    if (j->wrapped && p >= j->head) { /* the pending records run past the back */
        io->iov[io->n_iov++] = (struct iovec){j->buf + p, j->wrap_end - p};
        io->iov[io->n_iov++] = (struct iovec){j->buf, j->tail};
        io->bytes = j->wrap_end - p + j->tail;
    } else {
        io->iov[io->n_iov++] = (struct iovec){j->buf + p, j->tail - p};
        io->bytes = j->tail - p;
    }
    io->fd = j->seg_fd;
    io->from = j->durable + 1;
    io->upto = j->last;
    j->io_busy = 1;
    return GD_OK;
}

void gd_journal_sync_io(gd_journal_io *io)
{
    if (io->n_iov == 0)
        return;
    io->error = write_all(io->fd, io->iov, io->n_iov);
    if (!io->error && fdatasync(io->fd) != 0)
        io->error = errno ? errno : EIO;
}

int gd_journal_sync_end(gd_journal *j, gd_journal_io *io, gd_err *err)
{
    if (io->n_iov == 0)
        return GD_OK;
    j->io_busy = 0;
    io->n_iov = 0;
    if (io->error) {
        char path[4096];
        j->seg_dirty = 1;
        gd_jseg_path(path, sizeof path, j->dir, j->seg_first, NULL);
        return gd_err_set(err, GD_EIO, "%s: cannot write seq %llu..%llu (%zu bytes): %s", path,
                          (unsigned long long)io->from, (unsigned long long)io->upto, io->bytes,
                          strerror(io->error));
    }
    j->seg_size += io->bytes;
    j->durable = io->upto;
    return GD_OK;
}

int gd_journal_sync(gd_journal *j, gd_err *err)
{
    gd_journal_io io;
    int rc = gd_journal_sync_begin(j, &io, err);
    if (rc)
        return rc;
    gd_journal_sync_io(&io);
    return gd_journal_sync_end(j, &io, err);
}

int gd_journal_mark_applied(gd_journal *j, uint64_t seq, int force, gd_err *err)
{
    if (seq > j->durable)
        return gd_err_set(err, GD_EINVAL, "journal: seq %llu marked applied, but only up to %llu is durable",
                          (unsigned long long)seq, (unsigned long long)j->durable);
    if (seq > j->applied)
        ring_release(j, seq);
    double now = gd_mono_ms();
    if (j->applied_file < j->applied && (force || now >= j->applied_next_ms)) {
        j->applied_next_ms = now + GD_JOURNAL_APPLIED_EVERY_MS;
        int rc = gd_japplied_write(j->dir, j->applied, err);
        if (rc)
            return rc;
        j->applied_file = j->applied;
    }
    return compact(j, err);
}

void gd_journal_close(gd_journal *j)
{
    gd_err err;
    if (!j)
        return;
    if (gd_journal_sync(j, &err) != 0)
        gd_log(GD_LOG_ERROR, "journal", NULL, "closing: %s", err.msg);
    if (gd_journal_mark_applied(j, j->applied, 1, &err) != 0)
        gd_log(GD_LOG_ERROR, "journal", NULL, "closing: %s", err.msg);
    journal_free(j);
}

uint64_t gd_journal_last_seq(const gd_journal *j) { return j->last; }

uint64_t gd_journal_durable_seq(const gd_journal *j) { return j->durable; }

uint64_t gd_journal_applied_seq(const gd_journal *j) { return j->applied; }

uint64_t gd_journal_depth(const gd_journal *j) { return j->last - j->applied; }

int64_t gd_journal_oldest_ms(const gd_journal *j)
{
    gd_jrec r;
    if (j->last == j->applied)
        return 0;
    gd_jrec_decode(rec_at(j, j->applied + 1), &r);
    return r.time_ms;
}

size_t gd_journal_bytes_used(const gd_journal *j)
{
    if (j->last == j->applied)
        return 0;
    return j->wrapped ? j->cap - j->head + j->tail : j->tail - j->head;
}

size_t gd_journal_read(const gd_journal *j, uint64_t after, gd_jrec *out, size_t max)
{
    size_t n = 0;
    for (uint64_t s = (after > j->applied ? after : j->applied) + 1; s <= j->durable && n < max; s++)
        gd_jrec_decode(rec_at(j, s), &out[n++]);
    return n;
}

typedef struct scan_ctx {
    int (*fn)(void *arg, const gd_jrec *r);
    void *arg;
} scan_ctx;

static int scan_record(void *arg, const gd_jrec *r, const unsigned char *raw, gd_err *err)
{
    const scan_ctx *c = arg;
    (void)raw;
    (void)err;
    return c->fn(c->arg, r);
}

int gd_journal_scan(const char *dir, int (*fn)(void *arg, const gd_jrec *r), void *arg, gd_journal_recovery *rec,
                    gd_err *err)
{
    gd_jscan s;
    scan_ctx c = {fn, arg};
    if (rec)
        memset(rec, 0, sizeof *rec);
    int rc = gd_jscan_dir(dir, fn ? scan_record : NULL, &c, &s, err);
    if (rc == GD_OK && rec) {
        rec->records = s.records;
        rec->last_seq = s.last_seq;
        rec->applied_seq = s.applied;
        rec->unapplied = s.last_seq - s.applied;
        rec->torn_bytes = s.torn_bytes;
        rec->segments = s.n_segs;
        snprintf(rec->torn_what, sizeof rec->torn_what, "%s", s.torn_what);
    }
    gd_jscan_free(&s);
    return rc;
}
