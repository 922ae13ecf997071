/*
 * correlation (breaker): trips when the positions held or intended move as
 * one. Correlation density = the mean absolute pairwise Pearson correlation
 * of per-bar log returns, over the symbols that carry exposure.
 *
 * Returns. Per subscribed symbol, each bar with a finite close > 0 after a
 * previous such bar adds r = log(close / prev_close) to a ring of the last
 * `window` returns (bars with a non-finite or non-positive close are
 * ignored). Alignment is by bar count, not by time: the j-th oldest of each
 * symbol's last `window` returns are paired, so symbols fed bars of the same
 * timeframe without gaps line up bar for bar; a symbol that missed bars is
 * paired shifted by that many bars. A symbol is measured only once it holds
 * `window` returns.
 *
 * The set. At each evaluation, the measured symbols whose api->exposure()
 * reports gross_qty > 0 or pending_qty > 0 (any strategy's open position or
 * pending entry). Exposed symbols without a full window are left out (they
 * cannot be measured yet).
 *
 * Density. For k >= 2 members: sum over the k(k-1)/2 pairs of |r_ab|, divided
 * by the number of pairs, r_ab = Pearson correlation of the two aligned
 * windows (each |r| capped at 1 against rounding). A member whose returns
 * have no variance (below 1e-20 of their mean square, e.g. a flat price) has
 * r = 0 with every other member. Fewer than 2 members: OK, value 0.
 *
 * Cost. Computing is O(k * window + k^2 * window) and happens in evaluate
 * only when k >= 2 and either a new bar arrived (any symbol) or the set
 * changed since the last computation; otherwise the cached density is used,
 * so the correlations are computed at most once per bar unless fills change
 * the set. Finding the set is O(symbols) exposure() calls. on_bar is O(1).
 * All memory (2 x window doubles per symbol) is allocated in create.
 *
 * State: TRIPPED when density >= threshold, WARN when density >= warn (0 = 90%
 * of threshold), both with a tolerance of 1e-9 (perfectly correlated returns
 * come out as 1 - 1 ulp). value = density, threshold = threshold.
 *
 * snapshot/restore keep the return rings across a hot reload. Blob: {u32
 * magic, u32 version, u32 nsym, u32 window}, then per symbol {u32 have_prev,
 * u32 n, f64 prev_close, f64 ret[window] oldest first}; refused if the
 * header, the parameters, the length or any value differ.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x524F4331u /* "1COR" */
#define SNAP_VERSION 1u
#define SNAP_SYM_FIXED 16u
#define TOL 1e-9
#define VAR_REL_TOL 1e-20

typedef struct sym {
    double prev_close;
    int have_prev;
    uint32_t n, head; /* returns held (<= window), next slot */
} sym;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t nsym, w;
    double threshold, warn;
    sym *syms;
    double *ret;   /* nsym * w: the rings */
    double *z;     /* nsym * w: scratch, normalised windows of the set's members */
    uint32_t *set; /* this evaluation's members */
    uint32_t *cached_set;
    uint32_t cached_k;
    uint64_t gen, cached_gen; /* bars seen; at the last computation */
    int have_cache;
    double density, max_r;
    uint32_t max_a, max_b;
    int last_state;
} inst;

static const gordon_param params[] = {
    {.name = "window", .type = GORDON_PARAM_INT, .def = 100, .min = 10, .max = 5000,
     .help = "bars of log returns per symbol the correlations are measured over"},
    {.name = "threshold", .type = GORDON_PARAM_DOUBLE, .def = 0.8, .min = 0.01, .max = 1,
     .help = "trip when the mean |correlation| of the exposed symbols reaches this"},
    {.name = "warn", .type = GORDON_PARAM_DOUBLE, .def = 0, .min = 0, .max = 1,
     .help = "warn when the density reaches this; 0 = 90% of threshold"},
};

static void destroy(void *instance)
{
    inst *s = instance;
    if (!s)
        return;
    free(s->syms);
    free(s->ret);
    free(s->z);
    free(s->set);
    free(s->cached_set);
    free(s);
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    int64_t w = 0;
    double threshold = 0, warn = 0;
    uint32_t nsym;
    size_t cells;
    if (!api || !GORDON_HAS(api, exposure) || !api->exposure) {
        snprintf(err, err_len,
                 "correlation: the host is older than SDK 1.1 (no exposure() in its API table)");
        return -1;
    }
    if (api->param_int(ctx, "window", &w) != 0 ||
        api->param_double(ctx, "threshold", &threshold) != 0 ||
        api->param_double(ctx, "warn", &warn) != 0) {
        snprintf(err, err_len, "correlation: cannot read parameters window, threshold, warn");
        return -1;
    }
    if (w < 2 || w > 5000 || !(threshold > 0 && threshold <= 1)) {
        snprintf(err, err_len, "correlation: window or threshold out of range");
        return -1;
    }
    if (warn == 0)
        warn = 0.9 * threshold;
    if (!(warn > 0 && warn < threshold)) {
        snprintf(err, err_len, "correlation: warn (%g) must be below threshold (%g)", warn,
                 threshold);
        return -1;
    }
    nsym = api->symbol_count(ctx);
    if ((size_t)nsym > SIZE_MAX / 4 / ((size_t)w * sizeof(double) + SNAP_SYM_FIXED)) {
        snprintf(err, err_len, "correlation: too many symbols (%u) for window %lld", nsym,
                 (long long)w);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "correlation: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->nsym = nsym;
    s->w = (uint32_t)w;
    s->threshold = threshold;
    s->warn = warn;
    s->last_state = -1;
    cells = nsym ? (size_t)nsym * s->w : 1;
    s->syms = calloc(nsym ? nsym : 1, sizeof *s->syms);
    s->ret = calloc(cells, sizeof *s->ret);
    s->z = calloc(cells, sizeof *s->z);
    s->set = calloc(nsym ? nsym : 1, sizeof *s->set);
    s->cached_set = calloc(nsym ? nsym : 1, sizeof *s->cached_set);
    if (!s->syms || !s->ret || !s->z || !s->set || !s->cached_set) {
        destroy(s);
        snprintf(err, err_len, "correlation: out of memory for %u symbols x %lld returns", nsym,
                 (long long)w);
        return -1;
    }
    *instance = s;
    return 0;
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym *y;
    double c = bar->close;
    if (symbol >= s->nsym || !isfinite(c) || !(c > 0))
        return;
    y = &s->syms[symbol];
    if (y->have_prev) {
        s->ret[(size_t)symbol * s->w + y->head] = log(c / y->prev_close);
        y->head = (y->head + 1) % s->w;
        if (y->n < s->w)
            y->n++;
        s->gen++;
    }
    y->prev_close = c;
    y->have_prev = 1;
}

/* Writes member i's window, oldest first, centred and scaled to unit length
 * (all zeros without variance), into row i of the scratch. */
static void normalise(inst *s, uint32_t i, uint32_t id)
{
    const sym *y = &s->syms[id];
    const double *r = s->ret + (size_t)id * s->w;
    double *z = s->z + (size_t)i * s->w;
    double mean = 0, ss = 0, sq = 0, scale;
    uint32_t j;
    for (j = 0; j < s->w; j++) {
        z[j] = r[(y->head + j) % s->w]; /* full ring: the oldest is at head */
        mean += z[j];
        sq += z[j] * z[j];
    }
    mean /= s->w;
    for (j = 0; j < s->w; j++) {
        z[j] -= mean;
        ss += z[j] * z[j];
    }
    scale = ss > VAR_REL_TOL * sq && ss > 0 ? 1.0 / sqrt(ss) : 0.0;
    for (j = 0; j < s->w; j++)
        z[j] *= scale;
}

static void compute(inst *s, uint32_t k)
{
    uint32_t a, b, j;
    double sum = 0;
    s->max_r = -1;
    s->max_a = s->max_b = 0;
    for (a = 0; a < k; a++)
        normalise(s, a, s->set[a]);
    for (a = 0; a < k; a++) {
        const double *za = s->z + (size_t)a * s->w;
        for (b = a + 1; b < k; b++) {
            const double *zb = s->z + (size_t)b * s->w;
            double r = 0;
            for (j = 0; j < s->w; j++)
                r += za[j] * zb[j];
            r = fmin(1.0, fabs(r));
            sum += r;
            if (r > s->max_r) {
                s->max_r = r;
                s->max_a = s->set[a];
                s->max_b = s->set[b];
            }
        }
    }
    s->density = sum / ((double)k * (k - 1) / 2.0);
    memcpy(s->cached_set, s->set, (size_t)k * sizeof *s->set);
    s->cached_k = k;
    s->cached_gen = s->gen;
    s->have_cache = 1;
}

static int exposed(const inst *s, uint32_t id)
{
    gordon_exposure e = GORDON_EXPOSURE_INIT;
    if (s->api->exposure(s->ctx, id, &e) != 0)
        return 0;
    return e.gross_qty > 0 || e.pending_qty > 0;
}

static int evaluate(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    inst *s = instance;
    uint32_t id, k = 0;
    int state;
    double v = 0;
    (void)in;
    for (id = 0; id < s->nsym; id++)
        if (s->syms[id].n == s->w && exposed(s, id))
            s->set[k++] = id;
    if (k >= 2) {
        if (!s->have_cache || s->cached_gen != s->gen || s->cached_k != k ||
            memcmp(s->cached_set, s->set, (size_t)k * sizeof *s->set) != 0)
            compute(s, k);
        v = s->density;
    }
    out->value = v;
    out->threshold = s->threshold;
    state = k < 2                        ? GORDON_BREAKER_OK
            : v >= s->threshold - TOL ? GORDON_BREAKER_TRIPPED
            : v >= s->warn - TOL      ? GORDON_BREAKER_WARN
                                      : GORDON_BREAKER_OK;
    out->state = state;
    /* Written only when the state changes: evaluate runs on every bar and the
     * host keeps *out (value carries the live density). */
    if (state != s->last_state || out->reason[0] == '\0') {
        if (state == GORDON_BREAKER_OK) {
            out->reason[0] = '\0';
        } else {
            const char *na = s->api->symbol_name(s->ctx, s->max_a);
            const char *nb = s->api->symbol_name(s->ctx, s->max_b);
            snprintf(out->reason, sizeof out->reason,
                     "correlation density %.3f >= %s%.3f over %u exposed symbols (max |r| %.3f "
                     "%s/%s)",
                     v, state == GORDON_BREAKER_TRIPPED ? "" : "warn ",
                     state == GORDON_BREAKER_TRIPPED ? s->threshold : s->warn, k, s->max_r,
                     na ? na : "?", nb ? nb : "?");
        }
    }
    s->last_state = state;
    return 0;
}

/* ------------------------------------------------------------- snapshot */

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap p;
    uint32_t id, j;
    gordon_snap_write(&p, buf, cap);
    gordon_snap_put_u32(&p, SNAP_MAGIC);
    gordon_snap_put_u32(&p, SNAP_VERSION);
    gordon_snap_put_u32(&p, s->nsym);
    gordon_snap_put_u32(&p, s->w);
    for (id = 0; id < s->nsym; id++) {
        const sym *y = &s->syms[id];
        const double *r = s->ret + (size_t)id * s->w;
        gordon_snap_put_u32(&p, (uint32_t)y->have_prev);
        gordon_snap_put_u32(&p, y->n);
        gordon_snap_put_f64(&p, y->prev_close);
        for (j = 0; j < s->w; j++)
            gordon_snap_put_f64(&p, j < y->n ? r[(y->head + s->w - y->n + j) % s->w] : 0.0);
    }
    return gordon_snap_end(&p);
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap p;
    uint32_t magic = 0, version = 0, nsym = 0, w = 0, id, j;
    int pass;
    /* Two passes over the blob: check everything, then apply it. */
    for (pass = 0; pass < 2; pass++) {
        gordon_snap_read(&p, buf, len);
        gordon_snap_get_u32(&p, &magic);
        gordon_snap_get_u32(&p, &version);
        gordon_snap_get_u32(&p, &nsym);
        if (gordon_snap_get_u32(&p, &w) != 0 || magic != SNAP_MAGIC || version != SNAP_VERSION)
            goto refuse;
        if (nsym != s->nsym || w != s->w) {
            gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                        "correlation: snapshot refused: it was taken with %u symbols and window %u",
                        nsym, w);
            return -1;
        }
        for (id = 0; id < s->nsym; id++) {
            sym *y = &s->syms[id];
            uint32_t have = 0, n = 0;
            double prev = 0;
            gordon_snap_get_u32(&p, &have);
            gordon_snap_get_u32(&p, &n);
            gordon_snap_get_f64(&p, &prev);
            if (have > 1 || n > s->w || (have && !(isfinite(prev) && prev > 0)))
                goto refuse;
            for (j = 0; j < s->w; j++) {
                double v = 0;
                if (gordon_snap_get_f64(&p, &v) != 0 || !isfinite(v))
                    goto refuse;
                if (pass == 1)
                    s->ret[(size_t)id * s->w + j] = v; /* oldest first: head = n % w */
            }
            if (pass == 1) {
                y->have_prev = (int)have;
                y->n = n;
                y->head = n % s->w;
                y->prev_close = prev;
            }
        }
        if (gordon_snap_done(&p) != 0)
            goto refuse; /* only reachable in the first pass */
    }
    s->gen++;
    s->have_cache = 0;
    return 0;
refuse:
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                "correlation: snapshot refused (length, magic, version or contents differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_BREAKER),
    .name = "correlation",
    .version = "1.0.0",
    .description = "trips when the mean absolute pairwise correlation of the exposed symbols' "
                   "returns reaches threshold; warns before",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 0,
    .create = create,
    .destroy = destroy,
    .on_bar = on_bar,
    .evaluate = evaluate,
    .snapshot = snapshot,
    .restore = restore,
};

GORDON_PLUGIN_ENTRY(desc)
