/* Bar series from CSV files and their merge into one time-ordered tape. */
#include "data/replay.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/log.h"
#include "data/store.h"
#include "config/config.h"

enum { GD_CSV_NFIELDS = 6 };

static const char *const gd_csv_field[GD_CSV_NFIELDS] = {
    "open_time_ms", "open", "high", "low", "close", "volume",
};

/* --------------------------------------------------------------- numbers */

/* The buffer is scanned once: each field is parsed where it stands and its
 * delimiter classified, with no per-line or per-field copies or calls for the
 * common forms. Unusual forms (exponents, long mantissas, junk) take the slow
 * path through strtoll/strtod, which also decides whether they are valid. */

/* Is q a field delimiter? Sets *next (where the next field or line starts)
 * and *eol (1 when the delimiter ends the line: \n, \r\n or end of data). A
 * \r not followed by \n or the end is not a delimiter but part of the field. */
static inline int gd_delim(const char *q, const char *end, const char **next, int *eol)
{
    if (q == end) {
        *next = q;
        *eol = 1;
        return 1;
    }
    switch (*q) {
    case ',':
        *next = q + 1;
        *eol = 0;
        return 1;
    case '\n':
        *next = q + 1;
        *eol = 1;
        return 1;
    case '\r':
        if (q + 1 == end || q[1] == '\n') {
            *next = q + 1 + (q + 1 < end);
            *eol = 1;
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

/* One field as found on the line: [s, e), and what follows it. */
typedef struct gd_field {
    const char *s, *e;
    const char *next;
    int eol;
} gd_field;

/* Finds the end of a field the fast path could not take. */
static void gd_field_finish(gd_field *f, const char *q, const char *end)
{
    while (!gd_delim(q, end, &f->next, &f->eol))
        q++;
    f->e = q;
}

/* Exact powers of ten: every 10^k for k <= 22 is representable in a double. */
static const double gd_pow10[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* strtod/strtoll need a terminated string: the buffer is ours, so the
 * delimiter is swapped for a NUL for the call and put back. */
static const char *gd_slow_double(const gd_field *f, double *v)
{
    char *e = (char *)f->e, saved = *e, *q;
    const char *why = NULL;

    if (f->s == f->e)
        return "empty";
    /* strtod would skip leading blanks silently. */
    if (isspace((unsigned char)*f->s))
        return "not a number";
    *e = '\0';
    errno = 0;
    *v = strtod(f->s, &q);
    if (q != e)
        why = "not a number";
    else if (memchr(f->s, 'x', (size_t)(e - f->s)) || memchr(f->s, 'X', (size_t)(e - f->s)))
        why = "not a decimal number (hex is not accepted)"; /* strtod reads "0x1p3" */
    else if (!isfinite(*v)) /* strtod accepts "nan", "inf" and overflows to inf */
        why = "not a finite number";
    else if (errno == ERANGE)
        why = "number out of range";
    *e = saved;
    return why;
}

/* Parses a double field at s. Clinger's fast path for plain decimals
 * ([+-]digits[.digits]): when the digits form an integer m <= 2^53 and there
 * are at most 22 fraction digits, m / 10^k is one correctly rounded IEEE
 * operation on exact operands, so the result equals strtod's; glibc strtod is
 * several times slower. Returns NULL or why the field is not a number. */
static const char *gd_field_double(gd_field *f, const char *s, const char *end, double *v)
{
    const char *p = s, *d;
    uint64_t m = 0;
    int neg = 0, ndig, frac = 0;

    f->s = s;
    if (*p == '-' || *p == '+') /* *end is NUL, so reading *p is safe */
        neg = (*p++ == '-');
    for (d = p; *p >= '0' && *p <= '9'; p++)
        m = m * 10 + (uint64_t)(*p - '0');
    ndig = (int)(p - d);
    if (*p == '.') {
        for (d = ++p; *p >= '0' && *p <= '9'; p++)
            m = m * 10 + (uint64_t)(*p - '0');
        frac = (int)(p - d);
        ndig += frac;
    }
    /* Up to 19 digits cannot wrap uint64; longer mantissas go to strtod. */
    if (ndig > 0 && ndig <= 19 && m <= (UINT64_C(1) << 53) && frac <= 22 &&
        gd_delim(p, end, &f->next, &f->eol)) {
        f->e = p;
        /* Integral values (volumes, round prices) need no division. */
        *v = frac ? (double)m / gd_pow10[frac] : (double)m;
        if (neg)
            *v = -*v;
        return NULL;
    }
    gd_field_finish(f, p, end);
    return gd_slow_double(f, v);
}

/* Parses an integer field at s: [+-]digits, up to 18 digits on the fast path
 * (cannot overflow int64), strtoll for the rest. */
static const char *gd_field_int64(gd_field *f, const char *s, const char *end, int64_t *v)
{
    const char *p = s, *d;
    uint64_t m = 0;
    int neg = 0;
    char *e, saved, *q;
    const char *why = NULL;
    long long x;

    f->s = s;
    if (*p == '-' || *p == '+')
        neg = (*p++ == '-');
    for (d = p; *p >= '0' && *p <= '9'; p++)
        m = m * 10 + (uint64_t)(*p - '0');
    if (p > d && p - d <= 18 && gd_delim(p, end, &f->next, &f->eol)) {
        f->e = p;
        *v = neg ? -(int64_t)m : (int64_t)m;
        return NULL;
    }
    gd_field_finish(f, p, end);
    if (f->s == f->e)
        return "empty";
    if (isspace((unsigned char)*f->s))
        return "not an integer";
    e = (char *)f->e;
    saved = *e;
    *e = '\0';
    errno = 0;
    x = strtoll(f->s, &q, 10);
    if (q != e)
        why = "not an integer";
    else if (errno == ERANGE)
        why = "integer out of range";
    *e = saved;
    *v = (int64_t)x;
    return why;
}

/* Header iff the first field of line 1 is non-empty and cannot begin a number. */
static int gd_is_header(const char *line)
{
    char c = line[0];
    return c != ',' && !(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.';
}

/* ------------------------------------------------------------- CSV load */

/* Initial capacity of the bar array: lines in the first 16 KiB scaled to the
 * file, plus slack, so a uniform file needs one allocation and no copy. The
 * array still doubles when the guess falls short (O(log n) reallocations for
 * millions of lines), and unused slack is returned at the end. */
static size_t gd_estimate_lines(const char *buf, size_t len)
{
    const size_t sample = 16384;
    size_t lines = 0;
    const char *p = buf, *e = buf + (len < sample ? len : sample);
    size_t est;

    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        lines++;
        p++;
    }
    if (len <= sample || lines == 0)
        return lines + 16;
    est = (size_t)((double)len / (double)sample * (double)lines * 1.0625);
    /* No bar line is shorter than "0,1,1,1,1,0\n": blank lines cannot inflate it. */
    return (est < len / 12 ? est : len / 12) + 16;
}

/* A field's text for messages: at most 40 bytes, it is not NUL-terminated. */
#define GD_Q(fi) (int)(fl[fi].e - fl[fi].s > 40 ? 40 : fl[fi].e - fl[fi].s), fl[fi].s

int gd_csv_load(const char *path, const char *symbol, gd_series *out, gd_err *err)
{
    return gd_csv_load_opts(path, symbol, NULL, out, err);
}

/* A bar store (store.h) is memory-mapped and read in place: 1 when path is
 * not one (read it as CSV), else 0 or the error. */
static int load_store(const char *path, const char *symbol, size_t max, const gd_csv_opts *opts, gd_series *out,
                      gd_err *err)
{
    char magic[8];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1; /* the CSV path says why */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic ||
        !gd_store_is(magic, sizeof magic)) {
        close(fd);
        return 1;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return gd_err_set(err, GD_ERANGE, "%s: larger than %zu MiB, the limit ([replay] max_file_mb)", path,
                          max >> 20);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return gd_err_set(err, GD_EIO, "%s: mmap: %s", path, strerror(errno));
    int rc = gd_store_parse(path, symbol, map, (size_t)st.st_size, out, err);
    if (!rc && opts && opts->sha256)
        gd_sha256_buf(map, (size_t)st.st_size, opts->sha256);
    munmap(map, (size_t)st.st_size);
    return rc;
}

int gd_csv_load_opts(const char *path, const char *symbol, const gd_csv_opts *opts, gd_series *out, gd_err *err)
{
    int rc = 0;
    char *buf = NULL;
    size_t len = 0;

    if (opts && opts->sha256)
        opts->sha256[0] = '\0';
    if (!out)
        return gd_err_set(err, GD_EINVAL, "gd_csv_load: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path)
        return gd_err_set(err, GD_EINVAL, "gd_csv_load: path is NULL");
    if (!symbol || !symbol[0] || strlen(symbol) >= sizeof out->symbol)
        return gd_err_set(err, GD_EINVAL, "%s: symbol must be 1..%zu characters", path,
                          sizeof out->symbol - 1);

    size_t max = opts && opts->max_bytes ? opts->max_bytes : GD_CSV_MAX_BYTES;
    rc = load_store(path, symbol, max, opts, out, err);
    if (rc != 1)
        return rc; /* a bar store, loaded or refused */
    rc = gd_file_read_cancel(path, max, opts ? opts->cancel : NULL, &buf, &len, err);
    if (rc == GD_ERANGE)
        return gd_err_set(err, GD_ERANGE, "%s: larger than %zu MiB, the limit ([replay] max_file_mb)", path,
                          max >> 20);
    if (rc)
        return rc;
    if (opts && opts->sha256)
        gd_sha256_buf(buf, len, opts->sha256);
    rc = gd_csv_parse(path, symbol, buf, len, out, err);
    free(buf);
    if (rc && opts && opts->sha256)
        opts->sha256[0] = '\0';
    return rc;
}

/* The file's bytes (buf[len] == '\0'), as read above; path names them in
 * errors. */
int gd_csv_parse(const char *path, const char *symbol, const char *buf, size_t len, gd_series *out, gd_err *err)
{
    int rc = 0;
    const char *p, *end;
    size_t lineno = 0, prev_line = 0, cap = 0, first_line = 0;
    gordon_bar *bars = NULL;
    size_t n = 0;
    int64_t interval = 0;

    if (!out)
        return gd_err_set(err, GD_EINVAL, "gd_csv_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !buf || buf[len] != '\0')
        return gd_err_set(err, GD_EINVAL, "gd_csv_parse: no name, or the bytes are not NUL-terminated");
    if (!symbol || !symbol[0] || strlen(symbol) >= sizeof out->symbol)
        return gd_err_set(err, GD_EINVAL, "%s: symbol must be 1..%zu characters", path,
                          sizeof out->symbol - 1);

    cap = gd_estimate_lines(buf, len);
    bars = malloc(cap * sizeof *bars);
    if (!bars) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
        goto fail;
    }

    p = buf;
    end = buf + len; /* *end == '\0': the scanners may peek at it */
    /* A UTF-8 byte order mark would otherwise turn a data line 1 into a "header". */
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;

    while (p < end) {
        const char *line = p;
        gd_field fl[GD_CSV_NFIELDS];
        int64_t ts = 0;
        double v[GD_CSV_NFIELDS];
        const char *why;
        gordon_bar *b;
        int i;

        lineno++;
        if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
            p += (*p == '\r' && p + 1 < end) ? 2 : 1; /* empty line */
            continue;
        }
        if (lineno == 1 && gd_is_header(p)) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
            continue;
        }

        for (i = 0; i < GD_CSV_NFIELDS; i++) {
            why = i == 0 ? gd_field_int64(&fl[0], p, end, &ts)
                         : gd_field_double(&fl[i], p, end, &v[i]);
            if (why) {
                rc = gd_err_set(err, GD_EPARSE, "%s:%zu:%zu: field %s: %s '%.*s'", path, lineno,
                                (size_t)(fl[i].s - line) + 1, gd_csv_field[i], why, GD_Q(i));
                goto fail;
            }
            if (i < GD_CSV_NFIELDS - 1 && fl[i].eol) {
                /* Column just past the end of the line, where ",field" was due. */
                rc = gd_err_set(err, GD_EPARSE, "%s:%zu:%zu: field %s: missing", path, lineno,
                                (size_t)(fl[i].e - line) + 1, gd_csv_field[i + 1]);
                goto fail;
            }
            if (i == GD_CSV_NFIELDS - 1 && !fl[i].eol) {
                rc = gd_err_set(err, GD_EPARSE,
                                "%s:%zu:%zu: field %d: extra field (expected %d: "
                                "open_time_ms,open,high,low,close,volume)",
                                path, lineno, (size_t)(fl[i].next - line) + 1,
                                GD_CSV_NFIELDS + 1, GD_CSV_NFIELDS);
                goto fail;
            }
            p = fl[i].next;
        }

#define GD_BAD(...)                                                                          \
    do {                                                                                     \
        rc = gd_err_set(err, GD_EINVAL, "%s:%zu:%zu: field %s: " __VA_ARGS__);               \
        goto fail;                                                                           \
    } while (0)
#define GD_AT(fi) path, lineno, (size_t)(fl[fi].s - line) + 1, gd_csv_field[fi]

        /* Before 1970 is negative and valid (UTC); outside years 1 to 9999 is
         * a mistake, and the bound keeps differences of times from overflowing. */
        if (ts < GD_CSV_MIN_MS || ts > GD_CSV_MAX_MS)
            GD_BAD("timestamp outside years 1 to 9999 '%.*s'", GD_AT(0), GD_Q(0));
        for (i = 1; i <= 4; i++)
            if (!(v[i] > 0))
                GD_BAD("price must be > 0, got '%.*s'", GD_AT(i), GD_Q(i));
        if (v[5] < 0)
            GD_BAD("volume must be >= 0, got '%.*s'", GD_AT(5), GD_Q(5));
        /* No tolerance: exported data is consistent, and a bar whose open or
         * close lies outside its own range would break stop/fill simulation. */
        if (v[2] < v[3])
            GD_BAD("high '%.*s' is below low '%.*s'", GD_AT(2), GD_Q(2), GD_Q(3));
        if (v[1] < v[3] || v[1] > v[2])
            GD_BAD("open '%.*s' outside [low '%.*s', high '%.*s']", GD_AT(1), GD_Q(1), GD_Q(3),
                   GD_Q(2));
        if (v[4] < v[3] || v[4] > v[2])
            GD_BAD("close '%.*s' outside [low '%.*s', high '%.*s']", GD_AT(4), GD_Q(4), GD_Q(3),
                   GD_Q(2));
        if (n > 0) {
            int64_t prev = bars[n - 1].open_time_ms;
            if (ts == prev)
                GD_BAD("duplicate timestamp %lld (line %zu and line %zu)", GD_AT(0),
                       (long long)ts, prev_line, lineno);
            if (ts < prev)
                GD_BAD("out of order: %lld at line %zu is before %lld at line %zu", GD_AT(0),
                       (long long)ts, lineno, (long long)prev, prev_line);
            if (interval == 0 || ts - prev < interval)
                interval = ts - prev; /* no overflow: both are within GD_CSV_MIN_MS..GD_CSV_MAX_MS */
        } else {
            first_line = lineno;
        }
#undef GD_BAD
#undef GD_AT

        if (n == cap) {
            gordon_bar *nb = realloc(bars, cap * 2 * sizeof *bars);
            if (!nb) {
                rc = gd_err_set(err, GD_ENOMEM, "%s: out of memory at line %zu", path, lineno);
                goto fail;
            }
            bars = nb;
            cap *= 2;
        }
        b = &bars[n++];
        b->open_time_ms = ts;
        b->close_time_ms = 0;
        b->open = v[1];
        b->high = v[2];
        b->low = v[3];
        b->close = v[4];
        b->volume = v[5];
        prev_line = lineno;
    }

    if (n == 0) {
        rc = gd_err_set(err, GD_EINVAL, "%s: no bars", path);
        goto fail;
    }
    if (n == 1) {
        rc = gd_err_set(err, GD_EINVAL,
                        "%s:%zu: only one bar: the interval is unknown (need at least two)", path,
                        first_line);
        goto fail;
    }
    if (bars[n - 1].open_time_ms > INT64_MAX - interval) {
        rc = gd_err_set(err, GD_ERANGE, "%s:%zu: field open_time_ms: close time overflows",
                        path, prev_line);
        goto fail;
    }
    for (size_t k = 0; k < n; k++)
        bars[k].close_time_ms = bars[k].open_time_ms + interval;

    if (cap - n > n / 8) { /* give back the slack of the last doubling */
        gordon_bar *nb = realloc(bars, n * sizeof *bars);
        if (nb)
            bars = nb;
    }
    memcpy(out->symbol, symbol, strlen(symbol) + 1);
    out->bars = bars;
    out->n = n;
    out->interval_ms = interval;
    return 0;

fail:
    free(bars);
    memset(out, 0, sizeof *out);
    return rc;
}

int gd_series_set_interval(gd_series *s, int64_t interval_ms, const char *path, gd_err *err)
{
    if (interval_ms <= 0)
        return 0;
    for (size_t k = 1; k < s->n; k++) {
        int64_t gap = s->bars[k].open_time_ms - s->bars[k - 1].open_time_ms;
        if (gap % interval_ms != 0)
            return gd_err_set(err, GD_EINVAL,
                              "%s: bar %zu (open_time_ms %lld) is %lld ms after the one before: not a whole number of "
                              "the declared [market] interval (%lld ms)",
                              path, k + 1, (long long)s->bars[k].open_time_ms, (long long)gap, (long long)interval_ms);
    }
    if (s->n && s->bars[s->n - 1].open_time_ms > INT64_MAX - interval_ms)
        return gd_err_set(err, GD_ERANGE, "%s: the last bar's close time overflows", path);
    for (size_t k = 0; k < s->n; k++)
        s->bars[k].close_time_ms = s->bars[k].open_time_ms + interval_ms;
    s->interval_ms = interval_ms;
    return 0;
}

void gd_series_free(gd_series *s)
{
    if (!s)
        return;
    free(s->bars);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ tape */

typedef struct gd_merge {
    const gd_series *series;
    size_t *pos;    /* next bar of each series */
    uint32_t *heap; /* series indices with bars left, min-heap */
    size_t n;
} gd_merge;

/* Order: close time, then series index. A total order, so the merge is
 * deterministic whatever the heap's shape. */
static int gd_merge_less(const gd_merge *m, uint32_t a, uint32_t b)
{
    int64_t ta = m->series[a].bars[m->pos[a]].close_time_ms;
    int64_t tb = m->series[b].bars[m->pos[b]].close_time_ms;
    return ta < tb || (ta == tb && a < b);
}

static void gd_merge_sift_down(gd_merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        uint32_t t;
        if (l < m->n && gd_merge_less(m, m->heap[l], m->heap[s]))
            s = l;
        if (r < m->n && gd_merge_less(m, m->heap[r], m->heap[s]))
            s = r;
        if (s == i)
            return;
        t = m->heap[i];
        m->heap[i] = m->heap[s];
        m->heap[s] = t;
        i = s;
    }
}

int gd_tape_build(const gd_series *series, size_t n_series, gd_tape *out, gd_err *err)
{
    int rc;
    size_t total = 0;
    gd_merge m = {series, NULL, NULL, 0};

    if (!out)
        return gd_err_set(err, GD_EINVAL, "gd_tape_build: out is NULL");
    memset(out, 0, sizeof *out);
    if (n_series > 0 && !series)
        return gd_err_set(err, GD_EINVAL, "gd_tape_build: series is NULL");
    if (n_series > UINT32_MAX)
        return gd_err_set(err, GD_EINVAL, "gd_tape_build: too many series (%zu)", n_series);

    for (size_t i = 0; i < n_series; i++) {
        const gd_series *s = &series[i];
        if (!memchr(s->symbol, '\0', sizeof s->symbol) || !s->symbol[0])
            return gd_err_set(err, GD_EINVAL, "series %zu: symbol empty or not terminated", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(series[j].symbol, s->symbol) == 0)
                return gd_err_set(err, GD_EEXIST, "series %zu and %zu: duplicate symbol '%s'",
                                  j, i, s->symbol);
        if (s->n > 0 && !s->bars)
            return gd_err_set(err, GD_EINVAL, "series %zu (%s): bars is NULL", i, s->symbol);
        if (s->n > UINT32_MAX)
            return gd_err_set(err, GD_EINVAL, "series %zu (%s): too many bars (%zu)", i,
                              s->symbol, s->n);
        /* The merge relies on it; series may come from elsewhere than gd_csv_load. */
        for (size_t k = 1; k < s->n; k++)
            if (s->bars[k].close_time_ms <= s->bars[k - 1].close_time_ms)
                return gd_err_set(err, GD_EINVAL,
                                  "series %zu (%s): close times not increasing at bar %zu", i,
                                  s->symbol, k);
        if (total > SIZE_MAX / sizeof(uint32_t) - s->n)
            return gd_err_set(err, GD_EINVAL, "gd_tape_build: too many bars");
        total += s->n;
    }

    out->series = series;
    out->n_series = n_series;
    if (total == 0)
        return 0;

    out->sym = malloc(total * sizeof *out->sym);
    out->idx = malloc(total * sizeof *out->idx);
    m.pos = calloc(n_series, sizeof *m.pos);
    m.heap = malloc(n_series * sizeof *m.heap);
    if (!out->sym || !out->idx || !m.pos || !m.heap) {
        rc = gd_err_set(err, GD_ENOMEM, "gd_tape_build: out of memory for %zu bars", total);
        goto fail;
    }

    for (size_t i = 0; i < n_series; i++)
        if (series[i].n > 0)
            m.heap[m.n++] = (uint32_t)i;
    for (size_t i = m.n / 2; i-- > 0;)
        gd_merge_sift_down(&m, i);

    for (size_t k = 0; k < total; k++) {
        uint32_t s = m.heap[0];
        out->sym[k] = s;
        out->idx[k] = (uint32_t)m.pos[s];
        if (++m.pos[s] == series[s].n)
            m.heap[0] = m.heap[--m.n]; /* series exhausted: drop it */
        if (m.n > 0)
            gd_merge_sift_down(&m, 0);
    }
    out->n = total;
    free(m.pos);
    free(m.heap);
    return 0;

fail:
    free(m.pos);
    free(m.heap);
    gd_tape_free(out);
    return rc;
}

void gd_tape_free(gd_tape *t)
{
    if (!t)
        return;
    free(t->sym);
    free(t->idx);
    memset(t, 0, sizeof *t);
}

int gd_series_conform(gd_series *s, const gd_data_conf *d, int64_t default_ms, int skip, uint64_t *skipped,
                      gd_err *err)
{
    int64_t iv = d->interval_ms > 0 ? d->interval_ms : default_ms;
    if (iv <= 0 || !s->n)
        return 0;
    if (skip) {
        int64_t t0 = s->bars[0].open_time_ms, first = 0;
        size_t m = 1;
        uint64_t off = 0;
        for (size_t k = 1; k < s->n; k++) {
            /* Both within the CSV's time bounds: the difference cannot overflow. */
            if ((s->bars[k].open_time_ms - t0) % iv != 0) {
                if (!off++)
                    first = s->bars[k].open_time_ms;
                continue;
            }
            s->bars[m++] = s->bars[k];
        }
        if (off) {
            if (m < 2)
                return gd_err_set(err, GD_EINVAL, "%s: every row but the first is off its %lld ms interval", d->path,
                                  (long long)iv);
            s->n = m;
            gd_log(GD_LOG_WARN, "replay", NULL,
                   "%s: %llu row(s) off its %lld ms interval skipped ([replay] irregular = skip), the first at "
                   "open_time_ms %lld",
                   d->path, (unsigned long long)off, (long long)iv, (long long)first);
            if (skipped)
                *skipped += off;
        }
    }
    return gd_series_set_interval(s, iv, d->path, err);
}

int gd_data_load(const gd_data_conf *data, size_t n, int64_t interval_ms, int skip_irregular, gd_series *series,
                 char digest[65], gd_err *err)
{
    gd_buf ids = GD_BUF_INIT;
    size_t i;
    int rc;
    for (i = 0; i < n; i++) {
        char sha[65];
        gd_csv_opts co = {0, NULL, sha};
        rc = gd_csv_load_opts(data[i].path, data[i].symbol, &co, &series[i], err);
        if (!rc && (rc = gd_series_conform(&series[i], &data[i], interval_ms, skip_irregular, NULL, err)) != 0)
            gd_series_free(&series[i]);
        if (rc)
            goto fail;
        gd_buf_printf(&ids, "%s  %s\n", sha, data[i].symbol);
    }
    char *text = gd_buf_take(&ids);
    if (!text) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    gd_sha256_buf(text, strlen(text), digest);
    free(text);
    return 0;
fail:
    while (i > 0)
        gd_series_free(&series[--i]);
    gd_buf_free(&ids);
    return rc;
}
