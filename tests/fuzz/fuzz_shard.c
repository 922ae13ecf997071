/* libFuzzer target for ablation shards (ablate/shard.c, what `gordon
 * ablate merge` reads). The input is mostly taken as the pairs section of
 * shard 0 of 1 of a 2 configurations x 2 windows x 2 symbols ablation,
 * behind a well-formed header and before a correct checksum, so the fuzzer
 * reaches the per-pair parsing; every few inputs it is the whole file as it
 * came (the checksum still made right, or not at all).
 * Checked beyond "no crash": a merge that succeeds has every pair, each run
 * with its samples, stats and per-symbol figures allocated as counted, and
 * runs/bars/shards from the header; a failure frees everything (the leak
 * checker) and says why, naming the file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "base/hash.h"
#include "base/le.h"
#include "fuzz_tmp.h"

#define KEY_SEED "fuzz ablation"

static char path[512];

static void put32(unsigned char **p, uint32_t v)
{
    gd_wr32(*p, v);
    *p += 4;
}

static void put64(unsigned char **p, uint64_t v)
{
    gd_wr64(*p, v);
    *p += 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned runs;
    ab_shard_hdr want;
    memset(&want, 0, sizeof want);
    gd_sha256_buf(KEY_SEED, strlen(KEY_SEED), want.key);
    want.n_cfgs = 2;
    want.n_sets = 4;
    want.n_wins = 2;
    want.n_symbols = 2;
    if (!path[0])
        snprintf(path, sizeof path, "%s/shard-0-of-1.gdab", fuzz_tmp_dir("shard"));

    int mode = (int)(runs++ % 8);
    size_t cap = size + 256;
    unsigned char *buf = malloc(cap), *p = buf;
    if (!buf)
        abort();
    if (mode >= 2) { /* a well-formed header, the input as the pairs */
        memcpy(p, "GDABSHRD", 8);
        p += 8;
        put32(&p, 1);
        put32(&p, 0);
        put32(&p, 1);
        memcpy(p, want.key, 64);
        p += 64;
        put32(&p, 4);
        memcpy(p, "x.in", 4);
        p += 4;
        put32(&p, 2);
        put32(&p, 2);
        put32(&p, 2);
        put32(&p, GORDON_REJECT__COUNT);
        put64(&p, 17);
        put64(&p, 4242);
    }
    memcpy(p, data, size);
    p += size;
    size_t len = (size_t)(p - buf);
    if (mode != 1) { /* the checksum made right */
        char sum[65];
        gd_sha256_buf(buf, len, sum);
        memcpy(p, sum, 64);
        len += 64;
    }
    fuzz_put(path, buf, len);
    free(buf);

    const char *paths[] = {path};
    ab_runs out;
    gd_err err;
    int rc = gd_ab_shard_merge(paths, 1, &want, 365.0, &out, &err);
    if (rc) {
        if (out.oos || out.chosen || out.n || !strstr(err.msg, "shard-0-of-1.gdab"))
            abort();
        return 0;
    }
    if (out.n != 4 || out.shards != 1 || !out.oos || !out.chosen)
        abort();
    if (mode >= 2 && (out.runs != 17 || out.bars != 4242))
        abort();
    volatile double sink = 0.0; /* every value read: ASan sees an over-read */
    for (size_t i = 0; i < out.n; i++) {
        const ab_run *r = &out.oos[i];
        if (!r->t || !r->eq || memchr(r->error, '\0', sizeof r->error) == NULL)
            abort();
        for (size_t k = 0; k < r->n; k++)
            sink += (double)r->t[k] + r->eq[k];
        if (r->trades)
            sink += (double)strlen(r->trades);
        for (size_t s = 0; r->sym && s < 2; s++)
            sink += r->sym[s].net_pnl + (double)r->sym[s].trades;
    }
    (void)sink;
    gd_ab_runs_free(&out);
    return 0;
}
