/* Ablation shards (ablate/shard.c): what a shard writes comes back bit for
 * bit through the merge, with the metrics recomputed as the run computed
 * them; a missing, damaged, foreign, repeated-but-different or forged shard
 * is refused naming why; every single-byte change to a shard, even with its
 * checksum made right again, is refused or read without harm (ASan). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "ablate/ablate_int.h"
#include "base/hash.h"

#define N_CFGS  3
#define N_WINS  4
#define N_SYMS  2
#define N_PAIRS (N_CFGS * N_WINS)
#define PPY     365.0

static char dir[4096];

static const char *at(const char *name)
{
    static char p[4][4200];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static int setup(void **state)
{
    (void)state;
    return gd_test_tmpdir(dir, sizeof dir, NULL, "test_shard");
}

static int teardown(void **state)
{
    (void)state;
    return gd_test_rmtree(dir);
}

/* Pair i's run: samples, stats, trades, per-symbol figures, all from i. */
static void make_run(ab_run *r, size_t i)
{
    memset(r, 0, sizeof *r);
    if (i == 5) { /* one failed window, as a run records it */
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "out of memory in window %zu", i);
        return;
    }
    r->n = 3 + i % 4;
    r->t = malloc(r->n * sizeof *r->t);
    r->eq = malloc(r->n * sizeof *r->eq);
    assert_non_null(r->t);
    assert_non_null(r->eq);
    for (size_t k = 0; k < r->n; k++) {
        r->t[k] = (int64_t)(1600000000000LL + (int64_t)(i * 100 + k) * 86400000LL);
        r->eq[k] = 100000.0 + (double)(k * 137) / 3.0 - (double)i * 0.1;
    }
    r->bars_fed = 1000 + i;
    r->ts.trades = i + 1;
    r->ts.wins = i / 2;
    r->ts.gross_profit = 1.0 / 3.0 * (double)i;
    r->ts.gross_loss = 0.1 * (double)i;
    r->ts.fees = 2.5e-3 * (double)i;
    r->ts.sum_r = -0.7 * (double)i;
    r->ts.r_count = i;
    r->ts.bars = 500 + i;
    r->ts.exposed_bars = 100 + i;
    r->signals = 7 * i;
    for (int k = 0; k < GORDON_REJECT__COUNT; k++)
        r->by_result[k] = i * 10 + (uint64_t)k;
    if (i % 3) {
        char buf[128];
        snprintf(buf, sizeof buf, "AAA,long,%zu,1.5\nBBB,short,%zu,-2.25\n", i, i);
        r->trades = strdup(buf);
        assert_non_null(r->trades);
    }
    r->sym = calloc(N_SYMS, sizeof *r->sym);
    assert_non_null(r->sym);
    for (size_t s = 0; s < N_SYMS; s++) {
        r->sym[s].trades = i + s;
        r->sym[s].wins = s;
        r->sym[s].net_pnl = (double)i / 7.0 - (double)s;
        r->sym[s].fees = 0.01 * (double)(i + s);
    }
    gd_metrics_compute(r->t, r->eq, r->n, &r->ts, PPY, &r->m);
}

static void make_runs(ab_runs *rs)
{
    memset(rs, 0, sizeof *rs);
    rs->n = N_PAIRS;
    rs->oos = calloc(N_PAIRS, sizeof *rs->oos);
    rs->chosen = calloc(N_PAIRS, sizeof *rs->chosen);
    assert_non_null(rs->oos);
    assert_non_null(rs->chosen);
    for (size_t i = 0; i < N_PAIRS; i++) {
        make_run(&rs->oos[i], i);
        rs->chosen[i] = (i * 5) % 9;
    }
}

static ab_shard_hdr hdr(uint32_t k, uint32_t n, const char *key_seed)
{
    ab_shard_hdr h;
    memset(&h, 0, sizeof h);
    h.k = k;
    h.n = n;
    gd_sha256_buf(key_seed, strlen(key_seed), h.key);
    snprintf(h.config_path, sizeof h.config_path, "examples/ablate.ini");
    h.n_cfgs = N_CFGS;
    h.n_wins = N_WINS;
    h.n_symbols = N_SYMS;
    h.runs = 10 + k;
    h.bars = 1000 * (k + 1);
    h.n_sets = 9;
    return h;
}

static void write_shards(const ab_runs *rs, uint32_t n, const char *sub, const char *key_seed)
{
    char d[4300];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    assert_int_equal(mkdir(d, 0755) == 0 || access(d, F_OK) == 0, 1);
    for (uint32_t k = 0; k < n; k++) {
        char p[4400];
        gd_err err;
        ab_shard_hdr h = hdr(k, n, key_seed);
        snprintf(p, sizeof p, "%s/shard-%u-of-%u.gdab", d, k, n);
        assert_int_equal(gd_ab_shard_write(p, &h, rs, &err), 0);
    }
}

static int merge(const char *const *paths, size_t n, ab_runs *out, gd_err *err)
{
    ab_shard_hdr want = hdr(0, 0, "one ablation");
    return gd_ab_shard_merge(paths, n, &want, PPY, out, err);
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void assert_same_run(const ab_run *a, const ab_run *b)
{
    assert_int_equal(a->failed, b->failed);
    assert_string_equal(a->error, b->error);
    assert_int_equal(a->bars_fed, b->bars_fed);
    assert_memory_equal(&a->ts, &b->ts, sizeof a->ts);
    assert_int_equal(a->signals, b->signals);
    assert_memory_equal(a->by_result, b->by_result, sizeof a->by_result);
    assert_int_equal(a->n, b->n);
    for (size_t k = 0; k < a->n; k++) {
        assert_int_equal(a->t[k], b->t[k]);
        assert_true(same_double(a->eq[k], b->eq[k]));
    }
    if (a->trades)
        assert_string_equal(a->trades, b->trades);
    else
        assert_null(b->trades);
    assert_int_equal(!a->sym, !b->sym);
    for (size_t s = 0; a->sym && s < N_SYMS; s++) {
        assert_int_equal(a->sym[s].trades, b->sym[s].trades);
        assert_int_equal(a->sym[s].wins, b->sym[s].wins);
        assert_true(same_double(a->sym[s].net_pnl, b->sym[s].net_pnl));
        assert_true(same_double(a->sym[s].fees, b->sym[s].fees));
    }
    for (int m = 0; !a->failed && m < GD_M__COUNT; m++)
        assert_true(same_double(a->m.v[m], b->m.v[m]) || (isnan(a->m.v[m]) && isnan(b->m.v[m])));
}

static void round_trip(void **state)
{
    (void)state;
    ab_runs rs, back;
    gd_err err;
    make_runs(&rs);
    write_shards(&rs, 3, "rt", "one ablation");
    const char *paths[] = {at("rt")};
    assert_int_equal(merge(paths, 1, &back, &err), 0);
    assert_int_equal(back.n, N_PAIRS);
    assert_int_equal(back.shards, 3);
    assert_int_equal(back.runs, 10 + 11 + 12);
    assert_int_equal(back.bars, 1000 + 2000 + 3000);
    for (size_t i = 0; i < N_PAIRS; i++) {
        assert_same_run(&rs.oos[i], &back.oos[i]);
        assert_int_equal(rs.chosen[i], back.chosen[i]);
    }
    gd_ab_runs_free(&back);

    /* The same shard again, from another directory: taken once. */
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/dup' && cp '%s/rt/shard-1-of-3.gdab' '%s/dup/'", dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    const char *two[] = {at("rt"), at("dup")};
    assert_int_equal(merge(two, 2, &back, &err), 0);
    assert_int_equal(back.shards, 3);
    assert_int_equal(back.runs, 33);
    gd_ab_runs_free(&back);

    /* The config path a shard records: merge's default. */
    char cfg[512];
    assert_int_equal(gd_ab_shard_config(paths, 1, cfg, sizeof cfg, &err), 0);
    assert_string_equal(cfg, "examples/ablate.ini");
    gd_ab_runs_free(&rs);
}

static void refusals(void **state)
{
    (void)state;
    ab_runs rs, back;
    gd_err err;
    make_runs(&rs);
    write_shards(&rs, 3, "ref", "one ablation");

    const char *some[] = {at("ref/shard-0-of-3.gdab"), at("ref/shard-2-of-3.gdab")};
    assert_int_equal(merge(some, 2, &back, &err), GD_ENOENT);
    assert_non_null(strstr(err.msg, "1 of 3 shards missing: 1"));

    write_shards(&rs, 3, "other", "another ablation");
    const char *mixed[] = {at("ref/shard-0-of-3.gdab"), at("other/shard-1-of-3.gdab"), at("ref/shard-2-of-3.gdab")};
    assert_int_equal(merge(mixed, 3, &back, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "shard-1-of-3.gdab: from another ablation"));

    write_shards(&rs, 2, "two", "one ablation");
    const char *n23[] = {at("ref"), at("two")};
    assert_int_equal(merge(n23, 2, &back, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "but other shards are of 3"));

    /* The same index with other contents: not the same work. */
    ab_runs alt;
    make_runs(&alt);
    alt.chosen[1] = 8;
    write_shards(&alt, 3, "alt", "one ablation");
    const char *conflict[] = {at("ref"), at("alt/shard-1-of-3.gdab")};
    assert_int_equal(merge(conflict, 2, &back, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "given twice with different contents"));
    gd_ab_runs_free(&alt);

    const char *none[] = {at("nowhere")};
    assert_int_equal(merge(none, 1, &back, &err), GD_ENOENT);
    assert_non_null(strstr(err.msg, "nowhere"));
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/empty'", dir);
    assert_int_equal(system(cmd), 0);
    const char *empty[] = {at("empty")};
    assert_int_equal(merge(empty, 1, &back, &err), GD_ENOENT);
    assert_non_null(strstr(err.msg, "no shard-K-of-N.gdab files"));
    gd_ab_runs_free(&rs);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spill(const char *path, const char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Every byte of a shard changed (three ways), the checksum made right so the
 * parser itself is tried: refused with a message naming the file, or, where
 * the change is in a value (a sample, a count of trades), read without harm;
 * never a crash, an over-read or a leak (ASan). Then damage the checksum
 * catches: a flipped byte, a truncation, an appended byte. */
static void every_byte(void **state)
{
    (void)state;
    ab_runs rs, back;
    gd_err err;
    make_runs(&rs);
    write_shards(&rs, 2, "fz", "one ablation");
    size_t len;
    char *orig = slurp(at("fz/shard-1-of-2.gdab"), &len);
    const char *paths[] = {at("fz/shard-0-of-2.gdab"), at("fz/shard-1-of-2.gdab")};
    static const unsigned char xors[] = {0x01, 0x80, 0xff};
    size_t refused = 0, read_ok = 0;
    char *b = malloc(len);
    assert_non_null(b);
    for (size_t i = 0; i < len - 64; i++)
        for (size_t x = 0; x < sizeof xors; x++) {
            memcpy(b, orig, len);
            b[i] = (char)(b[i] ^ xors[x]);
            char sum[65];
            gd_sha256_buf(b, len - 64, sum);
            memcpy(b + len - 64, sum, 64);
            spill(paths[1], b, len);
            int rc = merge(paths, 2, &back, &err);
            if (rc) {
                refused++;
                assert_non_null(strstr(err.msg, "shard-"));
            } else {
                read_ok++;
                gd_ab_runs_free(&back);
            }
        }
    assert_true(refused > 0);
    assert_true(read_ok > 0);

    memcpy(b, orig, len);
    b[len / 2] ^= 0x10;
    spill(paths[1], b, len);
    assert_int_equal(merge(paths, 2, &back, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "shard-1-of-2.gdab: checksum mismatch"));
    spill(paths[1], orig, len - 1);
    assert_int_equal(merge(paths, 2, &back, &err), GD_EINVAL);
    spill(paths[1], orig, 10);
    assert_int_equal(merge(paths, 2, &back, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, "too short"));
    spill(paths[1], orig, len);
    assert_int_equal(merge(paths, 2, &back, &err), 0);
    gd_ab_runs_free(&back);
    free(b);
    free(orig);
    gd_ab_runs_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(refusals),
        cmocka_unit_test(every_byte),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
