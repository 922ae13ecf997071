/* libFuzzer target for bar files (data/replay.c): gd_csv_parse, the parser
 * gd_csv_load_opts runs on a file's bytes (`[replay] data`), then
 * gd_tape_build over the result. The input is split at a line "%%" into
 * two files, symbols A and B: A is parsed from memory (fast), B is also
 * written to a file and loaded through gd_csv_load_opts, which must agree
 * with the parse of the same bytes.
 * Checked beyond "no crash", against what replay.h promises: a failure
 * zeroes the series (and the SHA-256) and says why; a loaded series has at
 * least two bars, finite prices > 0, volume >= 0, low <= open, close <=
 * high, strictly increasing open times, interval = the smallest gap (> 0)
 * and close = open + interval (and the SHA-256 of the bytes read); the
 * tape of both holds every bar once, in non-decreasing close time. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/log.h"
#include "data/replay.h"
#include "data/store.h"
#include "fuzz_tmp.h"

static char path[2][300];

static void setup(void)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "%s", fuzz_tmp_dir("csv"));
    snprintf(path[0], sizeof path[0], "%s/a.csv", dir);
    snprintf(path[1], sizeof path[1], "%s/b.csv", dir);
    gd_log_init(NULL, GD_LOG_OFF);
}

static void check_failed(const gd_series *out, const gd_err *err)
{
    static const gd_series zero;
    if (memcmp(out, &zero, sizeof zero) != 0 || !err->msg[0])
        abort();
}

static int load(int i, const char *s, size_t n, gd_series *out)
{
    const char *sym = i ? "B" : "A";
    gd_err err;
    err.msg[0] = '\0';
    /* The parser peeks at the byte after a field: a NUL, as a file read gives. */
    char *copy = malloc(n + 1);
    if (!copy)
        abort();
    memcpy(copy, s, n);
    copy[n] = '\0';
    memset(out, 0xa5, sizeof *out);
    /* Bytes that start like a bar store are read as one (store.h), by the
     * file path as by this one. */
    int rc = gd_store_is(copy, n) ? gd_store_parse(path[i], sym, copy, n, out, &err)
                                  : gd_csv_parse(path[i], sym, copy, n, out, &err);
    free(copy);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_csv: %s: rc %d, %zu bars %s\n", sym, rc, rc ? 0 : out->n, rc ? err.msg : "");
    if (rc != 0)
        check_failed(out, &err);
    if (i == 1) {
        /* The file path: the same answer, and the SHA-256 of the bytes. */
        char sha[65] = "x";
        gd_csv_opts o = {.max_bytes = 1 << 20, .sha256 = sha};
        gd_series f;
        gd_err ferr;
        ferr.msg[0] = '\0';
        fuzz_put(path[i], s, n);
        memset(&f, 0xa5, sizeof f);
        int frc = gd_csv_load_opts(path[i], sym, &o, &f, &ferr);
        if (frc != rc || strcmp(err.msg, ferr.msg) != 0)
            abort();
        if (frc != 0) {
            check_failed(&f, &ferr);
            if (sha[0])
                abort();
        } else {
            char want[65];
            gd_sha256_buf(s, n, want);
            if (strcmp(sha, want) != 0 || f.n != out->n || f.interval_ms != out->interval_ms ||
                memcmp(f.bars, out->bars, f.n * sizeof *f.bars) != 0)
                abort();
            gd_series_free(&f);
        }
    }
    if (rc != 0)
        return rc;
    if (strcmp(out->symbol, sym) != 0 || out->n < 2 || out->interval_ms <= 0)
        abort();
    int64_t gap = INT64_MAX;
    for (size_t k = 0; k < out->n; k++) {
        const gordon_bar *b = &out->bars[k];
        if (!isfinite(b->open) || !isfinite(b->high) || !isfinite(b->low) || !isfinite(b->close) ||
            !isfinite(b->volume))
            abort();
        if (!(b->low > 0) || b->volume < 0 || b->low > b->open || b->low > b->close || b->open > b->high ||
            b->close > b->high)
            abort();
        if (b->open_time_ms < GD_CSV_MIN_MS || b->open_time_ms > GD_CSV_MAX_MS ||
            b->close_time_ms != b->open_time_ms + out->interval_ms)
            abort();
        if (k) {
            if (b->open_time_ms <= out->bars[k - 1].open_time_ms)
                abort();
            int64_t g = b->open_time_ms - out->bars[k - 1].open_time_ms;
            if (g < gap)
                gap = g;
        }
    }
    if (gap != out->interval_ms)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        setup();
        once = 1;
    }
    const char *d = (const char *)data;
    const char *sep = memmem(d, size, "\n%%\n", 4);
    size_t n0 = sep ? (size_t)(sep - d) + 1 : size;
    gd_series s[2];
    int ok = 0;
    if (load(0, d, n0, &s[0]) == 0)
        ok++;
    if (sep && load(1, sep + 4, size - n0 - 3, &s[ok]) == 0)
        ok++;
    if (ok) {
        gd_tape t;
        gd_err err;
        size_t total = 0;
        if (gd_tape_build(s, (size_t)ok, &t, &err) != 0)
            abort(); /* distinct symbols, increasing close times: nothing to refuse */
        for (int i = 0; i < ok; i++)
            total += s[i].n;
        if (t.n != total)
            abort();
        for (size_t k = 1; k < t.n; k++)
            if (gd_tape_bar(&t, k)->close_time_ms < gd_tape_bar(&t, k - 1)->close_time_ms)
                abort();
        gd_tape_free(&t);
    }
    for (int i = 0; i < ok; i++)
        gd_series_free(&s[i]);
    return 0;
}
