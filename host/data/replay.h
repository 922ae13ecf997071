/* Bar series from CSV files and their merge into one time-ordered tape. */
#ifndef GD_REPLAY_H
#define GD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <gordon/sdk.h>

#include "base/err.h"

typedef struct gd_series {
    char symbol[32];
    gordon_bar *bars;   /* owned; strictly increasing open_time_ms */
    size_t n;
    int64_t interval_ms; /* smallest gap between consecutive opens */
} gd_series;

/* Reads `open_time_ms,open,high,low,close,volume` (header line optional).
 * Errors name path:line:column and the field: bad numbers, missing or extra
 * fields, high < low, open/close outside [low, high], negative volume or
 * prices, out-of-order or duplicate timestamps. close_time_ms is filled as
 * open + interval (interval = smallest gap; a single bar gets interval 0 and
 * is an error).
 *
 * Details:
 *  - line 1 is a header iff its first field is non-empty and cannot start a
 *    number; a leading UTF-8 BOM is skipped; \n and \r\n endings; fully
 *    empty lines are skipped (they still count for line numbers); no quoting,
 *    no blanks around fields;
 *  - open_time_ms: a decimal integer >= 0; the other fields: finite decimal
 *    numbers (strtod syntax, whole field, no hex); prices > 0, volume >= 0;
 *  - the range checks are strict (no float tolerance): low <= open, close <= high;
 *  - LINE is 1-based; COLUMN is the 1-based byte column where the offending
 *    field starts (for a missing field: one past the end of the line);
 *  - GD_EPARSE for syntax (missing/extra field, not a number, not finite),
 *    GD_EINVAL for meaning (ranges, order, "no bars", a single bar),
 *    GD_ENOENT when the file does not exist, GD_EIO for other I/O errors;
 *  - symbol: 1..31 characters, copied into out->symbol.
 * *out is overwritten (not freed) on entry and zeroed on any error. */
int gd_csv_load(const char *path, const char *symbol, gd_series *out, gd_err *err);

/* The largest CSV file read, unless opts say otherwise: a bad path (a device,
 * a runaway file) must not exhaust memory. */
#define GD_CSV_MAX_BYTES ((size_t)2048 << 20)
/* The open_time_ms accepted: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z.
 * Times before 1970 are negative milliseconds, valid UTC. */
#define GD_CSV_MIN_MS INT64_C(-62135596800000)
#define GD_CSV_MAX_MS INT64_C(253402300799999)

typedef struct gd_csv_opts {
    size_t max_bytes;            /* 0: GD_CSV_MAX_BYTES; larger files are GD_ERANGE */
    const volatile int *cancel;  /* see gd_file_read_cancel; NULL: not cancellable */
    char *sha256;                /* NULL, or 65 bytes for the hex SHA-256 of the bytes parsed (the file as
                                    it was read, so a record names what ran); "" on error */
} gd_csv_opts;

/* gd_csv_load with a size limit and a way to stop a stalled read
 * (GD_ECANCELED). opts may be NULL. */
int gd_csv_load_opts(const char *path, const char *symbol, const gd_csv_opts *opts, gd_series *out, gd_err *err);
/* What gd_csv_load_opts does once it has the file's bytes: parses len
 * bytes at buf, which must be followed by a '\0' (the scanners peek past
 * a field), as the file at path (named in errors). The same rules and errors;
 * for bytes that are not in a file (and the fuzzer). */
int gd_csv_parse(const char *path, const char *symbol, const char *buf, size_t len, gd_series *out, gd_err *err);
void gd_series_free(gd_series *s);

/* Gives a loaded file (d: its [replay] data entry) its declared interval:
 * its own (SYMBOL@INTERVAL:path), else default_ms ([market] interval), else
 * the one inferred stays. A row off that interval (its time not a whole
 * number of intervals after the first row's) is an error naming it, or
 * with skip ([replay] irregular = skip) is dropped, counted in *skipped and
 * said in one warning per file. */
struct gd_data_conf;
int gd_series_conform(gd_series *s, const struct gd_data_conf *d, int64_t default_ms, int skip, uint64_t *skipped,
                      gd_err *err);

/* The files of a [replay] data list (gd_data_conf: SYMBOL and path), each
 * loaded as gd_csv_load_opts and given interval_ms, into series[0..n), and
 * their digest: the SHA-256 of the lines "FILE_SHA256  SYMBOL\n" in order,
 * what an ablation records as data_sha256 and what re-reading it checks.
 * Hashed as loaded (a file may change while a long run goes on). On error
 * nothing is left loaded. */
int gd_data_load(const struct gd_data_conf *data, size_t n, int64_t interval_ms, int skip_irregular,
                 gd_series *series, char digest[65], gd_err *err);

/* The bars' interval as declared ([market] interval) instead of the
 * smallest gap: every close time is open + interval_ms. A gap between two
 * opens that is not a whole number of intervals is GD_EINVAL naming the bar
 * (path names the file). interval_ms 0: nothing changes. */
int gd_series_set_interval(gd_series *s, int64_t interval_ms, const char *path, gd_err *err);

/* The replay order of several series: bars merged by close time, ties by
 * series index. The series are borrowed and must outlive the tape. */
typedef struct gd_tape {
    const gd_series *series;
    size_t n_series;
    uint32_t *sym;      /* owned; series index of the k-th bar */
    uint32_t *idx;      /* owned; bar index within that series */
    size_t n;
} gd_tape;

/* Errors: GD_EEXIST when two series share a symbol; GD_EINVAL for a series
 * whose close times do not strictly increase. Zero bars in total is a valid,
 * empty tape. O(N log k) for N bars in k series. *out is zeroed on error. */
int gd_tape_build(const gd_series *series, size_t n_series, gd_tape *out, gd_err *err);
void gd_tape_free(gd_tape *t);

/* The k-th bar of the tape, k < t->n. */
static inline const gordon_bar *gd_tape_bar(const gd_tape *t, size_t k)
{
    return &t->series[t->sym[k]].bars[t->idx[k]];
}

/* Bars a replay feed asks the cache for ahead of the one it hands the
 * engine: ~1 us of bars, about a memory access's latency. With the database
 * thread's records streaming through the caches the hardware's own prefetch
 * falls behind on the tape (bench_db: each bar a cache miss, ~5% of the
 * loop). Only cache state: no plugin sees a later bar. */
#define GD_FEED_AHEAD 8

#endif
