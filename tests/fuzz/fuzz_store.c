/* libFuzzer target for the bar store (data/store.c gd_store_parse, what
 * replay and ablation read a .gdb file with). The input is taken as the
 * store's columns and header fields; the header is then made consistent
 * (magic, version, size, count, the checksum of the columns) so the fuzzer
 * reaches the per-bar checks, and every few inputs it is left as it came.
 * Checked beyond "no crash": a store that parses has at least two bars with
 * times strictly increasing on its interval within years 1..9999, finite
 * prices > 0 with low <= open, close <= high, volume >= 0, close = open +
 * interval; writing it again and parsing that gives the same bars bit for
 * bit; a failure leaves the series zeroed and says why, naming the file. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/store.h"
#include "fuzz_tmp.h"

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void check(const gd_series *s, int rc, const gd_err *err)
{
    if (rc) {
        if (s->bars || s->n || !strstr(err->msg, "fuzz.gdb"))
            abort();
        return;
    }
    if (s->n < 2 || s->interval_ms <= 0 || strcmp(s->symbol, "FUZZ") != 0)
        abort();
    for (size_t k = 0; k < s->n; k++) {
        const gordon_bar *b = &s->bars[k];
        if (b->open_time_ms < GD_CSV_MIN_MS || b->open_time_ms > GD_CSV_MAX_MS ||
            b->close_time_ms != b->open_time_ms + s->interval_ms || (k && b->open_time_ms <= s->bars[k - 1].open_time_ms) ||
            (b->open_time_ms - s->bars[0].open_time_ms) % s->interval_ms != 0)
            abort();
        if (!(b->low > 0) || !isfinite(b->high) || b->low > b->open || b->low > b->close || b->open > b->high ||
            b->close > b->high || !(b->volume >= 0) || !isfinite(b->volume))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    int raw = data[0] % 8 == 0; /* as it came: the header checks */
    int64_t iv = (int64_t)(data[1] % 4 == 0 ? 60000 : data[1] % 4 == 1 ? 1 : (int64_t)data[2] * 1000 + 1);
    size_t n = (size - 3) / 48, len = GD_STORE_HEADER_SIZE + n * 48;
    unsigned char *b = calloc(1, raw ? size : len);
    if (!b)
        return 0;
    if (raw) {
        memcpy(b, data, size);
        len = size;
    } else {
        memcpy(b + GD_STORE_HEADER_SIZE, data + 3, n * 48);
        memcpy(b, GD_STORE_MAGIC, 8);
        b[8] = 1;
        b[12] = GD_STORE_HEADER_SIZE;
        memcpy(b + 16, "FUZZ", 4);
        wr64(b + 48, (uint64_t)iv);
        wr64(b + 56, n);
        wr64(b + 64, gd_store_checksum(b + GD_STORE_HEADER_SIZE, n));
    }
    gd_series s;
    gd_err err;
    err.msg[0] = '\0';
    memset(&s, 0xa5, sizeof s);
    int rc = gd_store_parse("fuzz.gdb", "FUZZ", b, len, &s, &err);
    check(&s, rc, &err);
    if (rc == 0) {
        /* Round trip: written and read again, the same bars. */
        static char path[512];
        if (!path[0])
            snprintf(path, sizeof path, "%s/fuzz.gdb", fuzz_tmp_dir("store"));
        gd_series t;
        if (gd_store_write(&s, path, &err) != 0)
            abort();
        size_t l2 = 0;
        FILE *f = fopen(path, "rb");
        unsigned char *c = f ? malloc(len + 1) : NULL;
        if (!f || !c)
            abort();
        l2 = fread(c, 1, len + 1, f);
        fclose(f);
        if (gd_store_parse("fuzz.gdb", "FUZZ", c, l2, &t, &err) != 0 || t.n != s.n ||
            memcmp(t.bars, s.bars, s.n * sizeof *s.bars) != 0)
            abort();
        free(c);
        gd_series_free(&t);
        gd_series_free(&s);
    }
    free(b);
    return 0;
}
