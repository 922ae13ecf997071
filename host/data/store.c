#include "data/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/file.h"
#include "base/le.h"

#define COLS 6

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME  UINT64_C(1099511628211)

static inline uint64_t fnv_word(uint64_t h, uint64_t w) { return (h ^ w) * FNV_PRIME; }

/* The checksum: FNV-1a 64 over the six column hashes, each FNV-1a 64 over
 * its column's 64-bit words. Six independent chains let one pass over the
 * rows check and decode at memory speed. */
static uint64_t combine(const uint64_t col[COLS])
{
    uint64_t h = FNV_OFFSET;
    for (int i = 0; i < COLS; i++)
        h = fnv_word(h, col[i]);
    return h;
}

uint64_t gd_store_checksum(const void *cols, uint64_t n)
{
    const unsigned char *p = cols;
    uint64_t ch[COLS];
    for (int i = 0; i < COLS; i++) {
        ch[i] = FNV_OFFSET;
        for (uint64_t k = 0; k < n; k++)
            ch[i] = fnv_word(ch[i], gd_rd64(p + 8 * ((size_t)i * n + k)));
    }
    return combine(ch);
}

int gd_store_is(const void *p, size_t len) { return len >= 8 && !memcmp(p, GD_STORE_MAGIC, 8); }

int gd_store_parse(const char *path, const char *symbol, const void *buf, size_t len, gd_series *out, gd_err *err)
{
    const unsigned char *b = buf;
    memset(out, 0, sizeof *out);
    if (!gd_store_is(buf, len) || len < GD_STORE_HEADER_SIZE)
        return gd_err_set(err, GD_EPARSE, "%s: not a bar store (no GDBARS header)", path);
    uint32_t version = gd_rd32(b + 8), hsize = gd_rd32(b + 12);
    if (version != 1 || hsize != GD_STORE_HEADER_SIZE)
        return gd_err_set(err, GD_EPARSE, "%s: bar store version %u (header %u bytes): this gordon reads version 1",
                          path, version, hsize);
    char sym[33];
    memcpy(sym, b + 16, 32);
    sym[32] = '\0';
    if (strcmp(sym, symbol) != 0)
        return gd_err_set(err, GD_EINVAL, "%s: a bar store of %.32s, named for %s", path, sym, symbol);
    int64_t iv = (int64_t)gd_rd64(b + 48);
    uint64_t n = gd_rd64(b + 56), sum = gd_rd64(b + 64);
    if (n < 2 || n > (len - GD_STORE_HEADER_SIZE) / (8 * COLS) || len != GD_STORE_HEADER_SIZE + n * 8 * COLS)
        return gd_err_set(err, GD_EPARSE, "%s: bar store of %llu bars in %zu bytes: truncated or padded", path,
                          (unsigned long long)n, len);
    if (iv <= 0 || iv > GD_CSV_MAX_MS - GD_CSV_MIN_MS)
        return gd_err_set(err, GD_EPARSE, "%s: bar store interval %lld ms", path, (long long)iv);
    const unsigned char *col = b + GD_STORE_HEADER_SIZE;
    uint64_t ch[COLS] = {FNV_OFFSET, FNV_OFFSET, FNV_OFFSET, FNV_OFFSET, FNV_OFFSET, FNV_OFFSET};
    const char *bad = NULL;
    size_t bad_k = 0;
    int64_t bad_t = 0;
    /* Huge pages where the kernel has them: millions of bars would otherwise
     * cost a page fault every 4 KiB (expensive under a hypervisor). */
    gordon_bar *bars = NULL;
    size_t bytes = (size_t)n * sizeof *bars;
    if (bytes < ((size_t)2 << 20))
        bars = malloc(bytes);
    else if (posix_memalign((void **)&bars, (size_t)2 << 20, bytes) != 0)
        bars = NULL;
    else
        (void)madvise(bars, bytes, MADV_HUGEPAGE);
    if (!bars)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory for %llu bars", path, (unsigned long long)n);
    const unsigned char *t = col, *o = col + 8 * n, *h = col + 16 * n, *l = col + 24 * n, *c = col + 32 * n,
                        *v = col + 40 * n;
    int64_t t0 = (int64_t)gd_rd64(t);
    for (size_t k = 0; k < n; k++) {
        gordon_bar *x = &bars[k];
        uint64_t w[COLS] = {gd_rd64(t + 8 * k), gd_rd64(o + 8 * k), gd_rd64(h + 8 * k),
                            gd_rd64(l + 8 * k), gd_rd64(c + 8 * k), gd_rd64(v + 8 * k)};
        for (int i = 0; i < COLS; i++)
            ch[i] = fnv_word(ch[i], w[i]);
        x->open_time_ms = (int64_t)w[0];
        x->open = gd_bits_double(w[1]);
        x->high = gd_bits_double(w[2]);
        x->low = gd_bits_double(w[3]);
        x->close = gd_bits_double(w[4]);
        x->volume = gd_bits_double(w[5]);
        const char *why = NULL;
        if (bad) /* past the first bad bar only the checksum goes on: t0 may be out of range */
            continue;
        if (x->open_time_ms < GD_CSV_MIN_MS || x->open_time_ms > GD_CSV_MAX_MS - iv)
            why = "time outside years 1 to 9999";
        else if (k && x->open_time_ms <= bars[k - 1].open_time_ms)
            why = "time not after the bar before";
        else if ((x->open_time_ms - t0) % iv != 0)
            why = "time off the store's interval";
        else if (!(isfinite(x->high) && isfinite(x->low) && x->low > 0 && x->open > 0 && x->close > 0 &&
                   isfinite(x->open) && isfinite(x->close)))
            why = "a price not finite and > 0";
        else if (x->high < x->low || x->open < x->low || x->open > x->high || x->close < x->low || x->close > x->high)
            why = "open or close outside [low, high]";
        else if (!(isfinite(x->volume) && x->volume >= 0))
            why = "volume not finite and >= 0";
        if (why) {
            /* Said after the checksum: a damaged file is "damaged", not a bad bar. */
            bad = why;
            bad_k = k;
            bad_t = x->open_time_ms;
            continue;
        }
        x->close_time_ms = x->open_time_ms + iv;
    }
    if (combine(ch) != sum) {
        free(bars);
        return gd_err_set(err, GD_EPARSE, "%s: bar store checksum mismatch: the file is damaged", path);
    }
    if (bad) {
        free(bars);
        return gd_err_set(err, GD_EINVAL, "%s: bar %zu (open_time_ms %lld): %s", path, bad_k + 1, (long long)bad_t,
                          bad);
    }
    snprintf(out->symbol, sizeof out->symbol, "%s", symbol);
    out->bars = bars;
    out->n = (size_t)n;
    out->interval_ms = iv;
    return 0;
}

int gd_store_write(const gd_series *s, const char *path, gd_err *err)
{
    if (s->n < 2 || s->interval_ms <= 0)
        return gd_err_set(err, GD_EINVAL, "%s: a store needs at least two bars and their interval", path);
    size_t n = s->n, len = GD_STORE_HEADER_SIZE + n * 8 * COLS;
    unsigned char *b = calloc(1, len);
    if (!b)
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    unsigned char *col = b + GD_STORE_HEADER_SIZE;
    uint64_t ch[COLS] = {FNV_OFFSET, FNV_OFFSET, FNV_OFFSET, FNV_OFFSET, FNV_OFFSET, FNV_OFFSET};
    for (size_t k = 0; k < n; k++) {
        const gordon_bar *x = &s->bars[k];
        uint64_t w[COLS] = {(uint64_t)x->open_time_ms, gd_double_bits(x->open),  gd_double_bits(x->high), gd_double_bits(x->low),
                            gd_double_bits(x->close),          gd_double_bits(x->volume)};
        for (int i = 0; i < COLS; i++) {
            gd_wr64(col + 8 * ((size_t)i * n + k), w[i]);
            ch[i] = fnv_word(ch[i], w[i]);
        }
    }
    memcpy(b, GD_STORE_MAGIC, 8);
    b[8] = 1;                                    /* version */
    b[12] = (unsigned char)GD_STORE_HEADER_SIZE; /* header size */
    memcpy(b + 16, s->symbol, strnlen(s->symbol, 31));
    gd_wr64(b + 48, (uint64_t)s->interval_ms);
    gd_wr64(b + 56, (uint64_t)n);
    gd_wr64(b + 64, combine(ch));
    /* Market data is no secret and is often shared (a cluster's pods): 0644. */
    int rc = gd_file_publish(path, b, len, err);
    free(b);
    return rc;
}

/* Binance's archive rows keep their first six fields: the rest is cut. */
static void keep_six(char *buf, size_t *len)
{
    size_t r = 0, w = 0;
    while (r < *len) {
        int commas = 0;
        while (r < *len && buf[r] != '\n') {
            if (buf[r] == ',' && ++commas == 6) {
                while (r < *len && buf[r] != '\n')
                    r++;
                break;
            }
            buf[w++] = buf[r++];
        }
        if (r < *len)
            buf[w++] = buf[r++]; /* the newline */
    }
    buf[w] = '\0';
    *len = w;
}

int gd_store_import(const char *in, const char *symbol, const char *layout, int64_t interval_ms, const char *out,
                    size_t *n_bars, gd_err *err)
{
    gd_series s;
    char *buf = NULL;
    size_t len = 0;
    int rc;
    if (strcmp(layout, "csv") != 0 && strcmp(layout, "binance") != 0)
        return gd_err_set(err, GD_EINVAL, "--layout %s: expected csv or binance", layout);
    if ((rc = gd_file_read_cancel(in, GD_CSV_MAX_BYTES, NULL, &buf, &len, err)) != 0)
        return rc;
    if (gd_store_is(buf, len)) {
        free(buf);
        return gd_err_set(err, GD_EINVAL, "%s: already a bar store", in);
    }
    if (!strcmp(layout, "binance"))
        keep_six(buf, &len);
    rc = gd_csv_parse(in, symbol, buf, len, &s, err);
    free(buf);
    if (rc)
        return rc;
    if (interval_ms > 0 && (rc = gd_series_set_interval(&s, interval_ms, in, err)) != 0)
        goto out;
    rc = gd_store_write(&s, out, err);
    if (!rc && n_bars)
        *n_bars = s.n;
out:
    gd_series_free(&s);
    return rc;
}
