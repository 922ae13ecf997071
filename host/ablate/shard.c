/* Shard files: what `gordon ablate --shard K/N` ran (its pairs'
 * out-of-sample runs and chosen parameter sets) and how `gordon ablate
 * merge` takes them back.
 *
 * Layout, little-endian:
 *   "GDABSHRD" u32 version u32 k u32 n  char key[64] (hex SHA-256)
 *   u32 len + config path  u32 n_cfgs u32 n_wins u32 n_symbols u32 n_results
 *   u64 runs u64 bars u32 n_pairs, then per pair:
 *     u32 pair u64 chosen u8 failed u16 len + error u64 bars_fed
 *     trade stats (u64 trades, wins; f64 gross_profit, gross_loss, fees,
 *     sum_r; u64 r_count, bars, exposed_bars) u64 signals u64 by_result[..]
 *     u64 n + i64 t[n] + f64 eq[n]  u8 has_trades [u64 len + rows]
 *     u8 has_sym [per symbol u64 trades, wins f64 net_pnl, fees]
 *   char sha256[64]: the hex SHA-256 of everything before it.
 * Doubles travel as their bits, so a merged result is the single run's
 * byte for byte. A shard is read as untrusted input: every length is
 * bounded by what remains and by the ablation's shape. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ablate/ablate_int.h"
#include "base/buf.h"
#include "base/dates.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/le.h"

#define MAGIC         "GDABSHRD"
#define VERSION       1u
/* Sample times a run can take: its bars' years (data/replay.h), a day's
 * margin for the day-end samples. */
#define SAMPLE_MIN_MS (GD_CSV_MIN_MS - 2 * GD_DAY_MS)
#define SAMPLE_MAX_MS (GD_CSV_MAX_MS + 2 * GD_DAY_MS)
/* A shard of the largest ablation still fits; anything bigger is not ours. */
#define MAX_FILE      ((size_t)8 << 30)

/* ------------------------------------------------------------ writing */

static void put32(gd_buf *b, uint32_t v)
{
    unsigned char x[4];
    gd_wr32(x, v);
    gd_buf_append(b, x, sizeof x);
}

static void put64(gd_buf *b, uint64_t v)
{
    unsigned char x[8];
    gd_wr64(x, v);
    gd_buf_append(b, x, sizeof x);
}

static void putf(gd_buf *b, double v) { put64(b, gd_double_bits(v)); }

static void put_run(gd_buf *b, uint32_t pair, uint64_t chosen, const ab_run *r, size_t n_symbols)
{
    size_t el = strnlen(r->error, sizeof r->error);
    unsigned char u8;
    put32(b, pair);
    put64(b, chosen);
    u8 = r->failed ? 1 : 0;
    gd_buf_append(b, &u8, 1);
    gd_buf_append(b, (unsigned char[2]){(unsigned char)el, (unsigned char)(el >> 8)}, 2);
    gd_buf_append(b, r->error, el);
    put64(b, r->bars_fed);
    put64(b, r->ts.trades);
    put64(b, r->ts.wins);
    putf(b, r->ts.gross_profit);
    putf(b, r->ts.gross_loss);
    putf(b, r->ts.fees);
    putf(b, r->ts.sum_r);
    put64(b, r->ts.r_count);
    put64(b, r->ts.bars);
    put64(b, r->ts.exposed_bars);
    put64(b, r->signals);
    for (int k = 0; k < GORDON_REJECT__COUNT; k++)
        put64(b, r->by_result[k]);
    put64(b, r->n);
    for (size_t i = 0; i < r->n; i++)
        put64(b, (uint64_t)r->t[i]);
    for (size_t i = 0; i < r->n; i++)
        putf(b, r->eq[i]);
    u8 = r->trades ? 1 : 0;
    gd_buf_append(b, &u8, 1);
    if (r->trades) {
        size_t tl = strlen(r->trades);
        put64(b, tl);
        gd_buf_append(b, r->trades, tl);
    }
    u8 = r->sym ? 1 : 0;
    gd_buf_append(b, &u8, 1);
    for (size_t s = 0; r->sym && s < n_symbols; s++) {
        put64(b, r->sym[s].trades);
        put64(b, r->sym[s].wins);
        putf(b, r->sym[s].net_pnl);
        putf(b, r->sym[s].fees);
    }
}

int gd_ab_shard_write(const char *path, const ab_shard_hdr *h, const ab_runs *runs, gd_err *err)
{
    gd_buf b = GD_BUF_INIT;
    size_t n_pairs = (size_t)h->n_cfgs * h->n_wins, mine = 0;
    size_t cl = strnlen(h->config_path, sizeof h->config_path);
    char sum[65];
    int rc;
    for (size_t i = 0; i < n_pairs; i++)
        mine += i % h->n == h->k;
    gd_buf_append(&b, MAGIC, 8);
    put32(&b, VERSION);
    put32(&b, h->k);
    put32(&b, h->n);
    gd_buf_append(&b, h->key, 64);
    put32(&b, (uint32_t)cl);
    gd_buf_append(&b, h->config_path, cl);
    put32(&b, h->n_cfgs);
    put32(&b, h->n_wins);
    put32(&b, h->n_symbols);
    put32(&b, GORDON_REJECT__COUNT);
    put64(&b, h->runs);
    put64(&b, h->bars);
    put32(&b, (uint32_t)mine);
    for (size_t i = 0; i < n_pairs; i++)
        if (i % h->n == h->k)
            put_run(&b, (uint32_t)i, runs->chosen[i], &runs->oos[i], h->n_symbols);
    if (b.failed) {
        gd_buf_free(&b);
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    }
    gd_sha256_buf(b.p, b.len, sum);
    gd_buf_append(&b, sum, 64);
    if (b.failed) {
        gd_buf_free(&b);
        return gd_err_set(err, GD_ENOMEM, "%s: out of memory", path);
    }
    rc = gd_file_publish(path, b.p, b.len, err);
    gd_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------ reading */

/* A cursor over a shard's bytes; the first short read sets err and sticks. */
typedef struct rd {
    const unsigned char *p;
    size_t left;
    size_t size;
    const char *path;
    int bad;
    gd_err *err;
} rd;

static const unsigned char *take(rd *r, size_t n, const char *field)
{
    if (r->bad)
        return NULL;
    if (n > r->left) {
        r->bad = 1;
        gd_err_set(r->err, GD_EINVAL, "%s: truncated at byte %zu reading %s", r->path, r->size - r->left, field);
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint32_t get32(rd *r, const char *field)
{
    const unsigned char *p = take(r, 4, field);
    return p ? gd_rd32(p) : 0;
}

static uint64_t get64(rd *r, const char *field)
{
    const unsigned char *p = take(r, 8, field);
    return p ? gd_rd64(p) : 0;
}

static double getf(rd *r, const char *field) { return gd_bits_double(get64(r, field)); }

static unsigned get8(rd *r, const char *field)
{
    const unsigned char *p = take(r, 1, field);
    return p ? p[0] : 0;
}

/* "PATH: byte N: WHAT V WHY" */
static int fail(rd *r, const char *what, uint64_t v, const char *why)
{
    r->bad = 1;
    return gd_err_set(r->err, GD_EINVAL, "%s: byte %zu: %s %llu %s", r->path, r->size - r->left, what,
                      (unsigned long long)v, why);
}

static int get_header(rd *r, ab_shard_hdr *h)
{
    const unsigned char *m = take(r, 8, "magic");
    if (m && memcmp(m, MAGIC, 8) != 0)
        return gd_err_set(r->err, GD_EINVAL, "%s: not an ablation shard (no %s magic)", r->path, MAGIC);
    uint32_t v = get32(r, "version");
    if (!r->bad && v != VERSION)
        return fail(r, "version", v, "is not the version this gordon writes (1)");
    memset(h, 0, sizeof *h);
    h->k = get32(r, "k");
    h->n = get32(r, "n");
    const unsigned char *key = take(r, 64, "key");
    if (key)
        memcpy(h->key, key, 64);
    uint32_t cl = get32(r, "config path length");
    if (!r->bad && cl >= sizeof h->config_path)
        return fail(r, "config path length", cl, "is too long");
    const unsigned char *cp = take(r, cl, "config path");
    if (cp)
        memcpy(h->config_path, cp, cl);
    h->n_cfgs = get32(r, "configurations");
    h->n_wins = get32(r, "windows");
    h->n_symbols = get32(r, "symbols");
    uint32_t nr = get32(r, "results");
    h->runs = get64(r, "runs");
    h->bars = get64(r, "bars");
    if (r->bad)
        return GD_EINVAL;
    if (h->n == 0 || h->k >= h->n)
        return fail(r, "shard index k =", h->k, "is not below n");
    if (nr != GORDON_REJECT__COUNT)
        return fail(r, "pipeline results count", nr, "differs from this gordon's");
    if (h->n_cfgs == 0 || h->n_cfgs > MAX_CONFIGS || h->n_wins == 0)
        return fail(r, "configurations", h->n_cfgs, "out of range, or no windows");
    return 0;
}

/* Verifies the trailing checksum over everything before it. */
static int check_sum(const char *path, const char *buf, size_t len, gd_err *err)
{
    char sum[65];
    if (len < 8 + 64)
        return gd_err_set(err, GD_EINVAL, "%s: %zu bytes is too short for an ablation shard", path, len);
    gd_sha256_buf(buf, len - 64, sum);
    if (memcmp(sum, buf + len - 64, 64) != 0)
        return gd_err_set(err, GD_EINVAL, "%s: checksum mismatch: the file is damaged or incomplete", path);
    return 0;
}

int gd_ab_shard_read_header(const char *path, ab_shard_hdr *h, gd_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = gd_file_read(path, MAX_FILE, &buf, &len, err);
    if (rc)
        return rc;
    rc = check_sum(path, buf, len, err);
    if (!rc) {
        rd r = {(const unsigned char *)buf, len - 64, len - 64, path, 0, err};
        rc = get_header(&r, h);
    }
    free(buf);
    return rc;
}

/* One pair's run into r (zeroed first; the caller frees it on failure). */
static int get_run(rd *r, const ab_shard_hdr *h, uint64_t n_sets, double periods_per_year, ab_run *run,
                   uint64_t *chosen)
{
    memset(run, 0, sizeof *run);
    *chosen = get64(r, "chosen set");
    if (!r->bad && n_sets && *chosen >= n_sets)
        return fail(r, "chosen set", *chosen, "is not one of the grid's");
    unsigned failed = get8(r, "failed");
    const unsigned char *lp = take(r, 2, "error length");
    size_t el = lp ? (size_t)lp[0] | (size_t)lp[1] << 8 : 0;
    if (!r->bad && el >= sizeof run->error)
        return fail(r, "error length", el, "is too long");
    const unsigned char *ep = take(r, el, "error");
    if (ep)
        memcpy(run->error, ep, el);
    run->failed = failed != 0;
    run->bars_fed = get64(r, "bars fed");
    run->ts.trades = get64(r, "trades");
    run->ts.wins = get64(r, "wins");
    run->ts.gross_profit = getf(r, "gross profit");
    run->ts.gross_loss = getf(r, "gross loss");
    run->ts.fees = getf(r, "fees");
    run->ts.sum_r = getf(r, "sum of R");
    run->ts.r_count = get64(r, "R count");
    run->ts.bars = get64(r, "bars");
    run->ts.exposed_bars = get64(r, "exposed bars");
    run->signals = get64(r, "signals");
    for (int k = 0; k < GORDON_REJECT__COUNT; k++)
        run->by_result[k] = get64(r, "pipeline results");
    uint64_t n = get64(r, "samples");
    if (r->bad)
        return GD_EINVAL;
    if (n > r->left / 16)
        return fail(r, "samples", n, "are more than the file holds");
    run->n = (size_t)n;
    run->t = malloc((n ? n : 1) * sizeof *run->t);
    run->eq = malloc((n ? n : 1) * sizeof *run->eq);
    if (!run->t || !run->eq)
        return gd_err_set(r->err, GD_ENOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < n && !r->bad; i++) {
        run->t[i] = (int64_t)get64(r, "sample time");
        /* What a run samples: day ends within the data's years, in order;
         * anything else would only overflow the statistics. */
        if (!r->bad && (run->t[i] < SAMPLE_MIN_MS || run->t[i] > SAMPLE_MAX_MS || (i && run->t[i] <= run->t[i - 1])))
            return fail(r, "sample", i, "has a time out of range or out of order");
    }
    for (size_t i = 0; i < n; i++)
        run->eq[i] = getf(r, "sample equity");
    if (get8(r, "has trades")) {
        uint64_t tl = get64(r, "trades length");
        if (!r->bad && tl > r->left)
            return fail(r, "trades length", tl, "is more than the file holds");
        const unsigned char *tp = take(r, (size_t)tl, "trades");
        if (tp && memchr(tp, '\0', (size_t)tl))
            return fail(r, "trade rows of length", tl, "hold a NUL byte");
        if (tp && !(run->trades = strndup((const char *)tp, (size_t)tl)))
            return gd_err_set(r->err, GD_ENOMEM, "%s: out of memory", r->path);
    }
    if (get8(r, "has symbols")) {
        if (!(run->sym = calloc(h->n_symbols ? h->n_symbols : 1, sizeof *run->sym)))
            return gd_err_set(r->err, GD_ENOMEM, "%s: out of memory", r->path);
        for (size_t s = 0; s < h->n_symbols; s++) {
            run->sym[s].trades = get64(r, "symbol trades");
            run->sym[s].wins = get64(r, "symbol wins");
            run->sym[s].net_pnl = getf(r, "symbol net PnL");
            run->sym[s].fees = getf(r, "symbol fees");
        }
    }
    if (r->bad)
        return GD_EINVAL;
    /* The metrics are a function of what was read: computed as the run did. */
    if (!run->failed)
        gd_metrics_compute(run->t, run->eq, run->n, &run->ts, periods_per_year, &run->m);
    return 0;
}

/* ------------------------------------------------------------ merging */

/* The shard files among paths: each a file, or a directory whose
 * shard-*-of-*.gdab files are taken in name order. */
static int list_files(const char *const *paths, size_t n_paths, char ***out, size_t *n_out, gd_err *err)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < n_paths && !rc; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            rc = gd_err_set(err, GD_ENOENT, "%s: %s", paths[i], strerror(errno));
            break;
        }
        struct dirent **ents = NULL;
        int ne = 0;
        if (S_ISDIR(st.st_mode)) {
            ne = scandir(paths[i], &ents, NULL, alphasort);
            if (ne < 0) {
                rc = gd_err_set(err, GD_EIO, "%s: %s", paths[i], strerror(errno));
                break;
            }
        }
        int found = 0;
        for (int e = -1; e < (S_ISDIR(st.st_mode) ? ne : 0) && !rc; e++) {
            char path[4096];
            if (S_ISDIR(st.st_mode)) {
                unsigned k, nn;
                char tail[8];
                if (e < 0)
                    continue;
                const char *nm = ents[e]->d_name;
                if (sscanf(nm, "shard-%u-of-%u.%7s", &k, &nn, tail) != 3 || strcmp(tail, "gdab") != 0)
                    continue;
                if ((size_t)snprintf(path, sizeof path, "%s/%s", paths[i], nm) >= sizeof path) {
                    rc = gd_err_set(err, GD_EINVAL, "%s/%s: path too long", paths[i], nm);
                    break;
                }
            } else {
                snprintf(path, sizeof path, "%s", paths[i]);
            }
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 16;
                char **nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    rc = gd_err_set(err, GD_ENOMEM, "out of memory");
                    break;
                }
                v = nv;
                cap = nc;
            }
            if (!(v[n] = strdup(path))) {
                rc = gd_err_set(err, GD_ENOMEM, "out of memory");
                break;
            }
            n++;
            found = 1;
        }
        for (int e = 0; e < ne; e++)
            free(ents[e]);
        free(ents);
        if (!rc && !found)
            rc = gd_err_set(err, GD_ENOENT, "%s: no shard-K-of-N.gdab files in it", paths[i]);
    }
    if (rc) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return rc;
    }
    *out = v;
    *n_out = n;
    return 0;
}

int gd_ab_shard_config(const char *const *paths, size_t n_paths, char *config, size_t cap, gd_err *err)
{
    char **files = NULL;
    size_t n = 0;
    ab_shard_hdr h;
    int rc = list_files(paths, n_paths, &files, &n, err);
    if (rc)
        return rc;
    rc = n ? gd_ab_shard_read_header(files[0], &h, err) : gd_err_set(err, GD_ENOENT, "no shards given");
    if (!rc && (size_t)snprintf(config, cap, "%s", h.config_path) >= cap)
        rc = gd_err_set(err, GD_EINVAL, "%s: config path too long", files[0]);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
    return rc;
}

/* One shard into out; seen[pair] marks the pairs taken. */
static int merge_one(const char *path, const ab_shard_hdr *want, double ppy, ab_runs *out, uint8_t *seen,
                     uint8_t *have_k, char (*sums)[65], uint32_t *n_shards, gd_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    ab_shard_hdr h;
    char sum[65];
    int rc = gd_file_read(path, MAX_FILE, &buf, &len, err);
    if (rc)
        return rc;
    if ((rc = check_sum(path, buf, len, err)) != 0)
        goto out;
    rd r = {(const unsigned char *)buf, len - 64, len - 64, path, 0, err};
    if ((rc = get_header(&r, &h)) != 0)
        goto out;
    if (memcmp(h.key, want->key, 64) != 0) {
        rc = gd_err_set(err, GD_EINVAL,
                        "%s: from another ablation (its configuration, data, plugins or gordon differ from "
                        "%s's): key %.12s..., expected %.12s...",
                        path, want->config_path, h.key, want->key);
        goto out;
    }
    if (h.n_cfgs != want->n_cfgs || h.n_wins != want->n_wins || h.n_symbols != want->n_symbols ||
        h.n > (size_t)h.n_cfgs * h.n_wins) {
        rc = gd_err_set(err, GD_EINVAL,
                        "%s: %u shards of %u configurations x %u windows x %u symbols, expected at most %u x %u "
                        "shards of %u x %u x %u",
                        path, h.n, h.n_cfgs, h.n_wins, h.n_symbols, want->n_cfgs, want->n_wins, want->n_cfgs,
                        want->n_wins, want->n_symbols);
        goto out;
    }
    if (*n_shards == 0)
        *n_shards = h.n;
    if (h.n != *n_shards) {
        rc = gd_err_set(err, GD_EINVAL, "%s: shard %u of %u, but other shards are of %u", path, h.k, h.n, *n_shards);
        goto out;
    }
    memcpy(sum, buf + len - 64, 64);
    sum[64] = '\0';
    if (have_k[h.k]) {
        /* The same index twice (two pods, two directories): the same work,
         * so the same bytes; anything else is not to be trusted. */
        if (strcmp(sums[h.k], sum) != 0)
            rc = gd_err_set(err, GD_EINVAL, "%s: shard %u of %u given twice with different contents", path, h.k, h.n);
        goto out;
    }
    size_t n_pairs = (size_t)h.n_cfgs * h.n_wins, mine = 0;
    for (size_t i = 0; i < n_pairs; i++)
        mine += i % h.n == h.k;
    uint32_t count = get32(&r, "pairs");
    if (r.bad || count != mine) {
        rc = r.bad ? GD_EINVAL : fail(&r, "pairs", count, "are not this shard's share");
        goto out;
    }
    for (uint32_t c = 0; c < count; c++) {
        uint32_t pair = get32(&r, "pair");
        if (r.bad) {
            rc = GD_EINVAL;
            goto out;
        }
        if (pair >= n_pairs || pair % h.n != h.k || seen[pair]) {
            rc = fail(&r, "pair", pair, "is not this shard's, or repeated");
            goto out;
        }
        seen[pair] = 1;
        if ((rc = get_run(&r, &h, want->n_sets, ppy, &out->oos[pair], &out->chosen[pair])) != 0)
            goto out;
    }
    if (r.left) {
        rc = fail(&r, "trailing bytes:", r.left, "after the last pair");
        goto out;
    }
    have_k[h.k] = 1;
    memcpy(sums[h.k], sum, 65);
    out->runs += h.runs;
    out->bars += h.bars;
    out->shards++;
out:
    free(buf);
    return rc;
}

int gd_ab_shard_merge(const char *const *paths, size_t n_paths, const ab_shard_hdr *want, double periods_per_year,
                      ab_runs *out, gd_err *err)
{
    char **files = NULL;
    size_t n_files = 0, n_pairs = (size_t)want->n_cfgs * want->n_wins;
    uint8_t *seen = NULL, *have_k = NULL;
    char(*sums)[65] = NULL;
    uint32_t n_shards = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = list_files(paths, n_paths, &files, &n_files, err)) != 0)
        return rc;
    out->n = n_pairs;
    out->oos = calloc(n_pairs, sizeof *out->oos);
    out->chosen = calloc(n_pairs, sizeof *out->chosen);
    seen = calloc(n_pairs, 1);
    /* n is at most the number of pairs: a shard owning nothing is refused at its writing. */
    have_k = calloc(n_pairs + 1, 1);
    sums = calloc(n_pairs + 1, sizeof *sums);
    if (!out->oos || !out->chosen || !seen || !have_k || !sums) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_files && !rc; i++)
        rc = merge_one(files[i], want, periods_per_year, out, seen, have_k, sums, &n_shards, err);
    if (!rc) {
        char missing[256] = "";
        size_t len = 0, n_missing = 0;
        for (uint32_t k = 0; k < n_shards; k++)
            if (!have_k[k]) {
                n_missing++;
                if (len < sizeof missing - 16)
                    len += (size_t)snprintf(missing + len, sizeof missing - len, "%s%u", len ? ", " : "", k);
            }
        if (n_missing)
            rc = gd_err_set(err, GD_ENOENT, "%zu of %u shards missing: %s%s", n_missing, n_shards, missing,
                            len >= sizeof missing - 16 ? ", ..." : "");
    }
out:
    for (size_t i = 0; i < n_files; i++)
        free(files[i]);
    free(files);
    free(seen);
    free(have_k);
    free(sums);
    if (rc)
        gd_ab_runs_free(out);
    return rc;
}
