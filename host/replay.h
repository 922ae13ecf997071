/* Bar series from CSV files and their merge into one time-ordered tape. */
#ifndef GD_REPLAY_H
#define GD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <gordon/sdk.h>

#include "err.h"

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
 * is an error). */
int gd_csv_load(const char *path, const char *symbol, gd_series *out, gd_err *err);
void gd_series_free(gd_series *s);

/* The replay order of several series: bars merged by close time, ties by
 * series index. The series are borrowed and must outlive the tape. */
typedef struct gd_tape {
    const gd_series *series;
    size_t n_series;
    uint32_t *sym;      /* owned; series index of the k-th bar */
    uint32_t *idx;      /* owned; bar index within that series */
    size_t n;
} gd_tape;

int gd_tape_build(const gd_series *series, size_t n_series, gd_tape *out, gd_err *err);
void gd_tape_free(gd_tape *t);

#endif
