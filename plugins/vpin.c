/*
 * vpin (breaker): Volume-Synchronized Probability of Informed Trading
 * (Easley, Lopez de Prado, O'Hara 2012, "Flow toxicity and liquidity in a
 * high-frequency world"), from bars with bulk volume classification.
 *
 * Per subscribed symbol, on every bar with volume V > 0:
 *  - dP = close - prev_close (prev_close: the previous bar with volume);
 *  - sigma = sample standard deviation (n - 1) of the previous sigma_window
 *    close-to-close changes, not counting this bar's dP (a ring buffer with
 *    running sums, rebuilt from the ring every sigma_window changes so
 *    rounding cannot drift);
 *  - buy fraction f = Phi(dP / sigma) = erfc(-dP / (sigma sqrt 2)) / 2, with
 *    Phi the standard normal CDF; when sigma is 0 (no variation, or a variance
 *    below 1e-12 of the mean square) f is the limit: 1 if dP > 0, 0 if dP < 0,
 *    1/2 if dP = 0;
 *  - V_buy = V f, V_sell = V - V_buy, poured into volume buckets of
 *    bucket_volume B in bar order. A bar's volume spills across as many
 *    buckets as it fills, split proportionally (each part keeps the bar's f);
 *    a bucket is full when it holds B (to a relative 1e-12);
 *  - each full bucket's imbalance |V_buy - V_sell| enters a ring of the last
 *    n_buckets N (running sum, rebuilt every N buckets);
 *  - VPIN = sum of the N imbalances / (N B), in [0, 1].
 * Bars before the sigma window holds sigma_window changes only fill it (the
 * first classified bar is the one after sigma_window + 1 bars with volume).
 * Bars with zero volume contribute nothing, not even their price; bars with a
 * non-finite close or a negative or non-finite volume are ignored.
 *
 * The breaker's value is the largest VPIN over the symbols whose N buckets
 * are full (the reason names that symbol); while none is full the state is OK
 * with value 0. TRIPPED when value >= threshold, WARN when value >= warn (warn
 * 0 = 90% of threshold), both with a tolerance of 1e-9 (VPIN is a fraction
 * built from running sums, so a hand-computed 0.75 may come out 0.75 - 1 ulp).
 *
 * One bucket_volume serves every subscribed symbol: give symbols of very
 * different volume their own instances (symbols= key). It has no default
 * (0 = unset refuses to create), because a bucket size is in the symbol's own
 * volume units.
 *
 * Cost: on_bar is O(1) amortised (the periodic rebuilds are O(window) once
 * per window), except that a bar filling k buckets pushes min(k, N) of them:
 * O(N) in the worst case. evaluate rescans the symbols, O(symbols), only after
 * a bucket closed somewhere since the last evaluation. Memory is allocated in
 * create only: (sigma_window + n_buckets) doubles per symbol.
 *
 * snapshot/restore keep prices, the sigma windows, the open and the full
 * buckets, and the running sums as they are (so a reloaded instance goes on
 * bit for bit as the old one would have) across a hot reload. Blob: {u32
 * magic, u32 version, u32 nsym, u32 sigma_window, u32 n_buckets, u32 0, f64
 * bucket_volume}, then per symbol {u32 have_prev, u32 dx_n, u32 imb_n, u32
 * dx_pushes, u32 imb_pushes, u32 0, f64 prev_close, f64 open_buy, f64
 * open_sell, f64 dx_sum, f64 dx_sq, f64 imb_sum, f64 dx[sigma_window] oldest
 * first, f64 imb[n_buckets] oldest first}; refused if the header, the
 * parameters or the length differ, or a value is out of range (sums further
 * than 1e-6 relative from the ring's).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x4E505631u /* "1VPN" */
#define SNAP_VERSION 1u
#define SNAP_HDR 32u
#define SNAP_SYM_FIXED 72u
#define TOL 1e-9          /* trip/warn comparison, VPIN units */
#define FILL_TOL 1e-12    /* a bucket within B * FILL_TOL of full is full */
#define VAR_REL_TOL 1e-12 /* variance below this fraction of the mean square is 0 */
#define SQRT2 1.41421356237309504880

typedef struct sym {
    double prev_close;
    int have_prev;
    uint32_t dx_n, dx_head, dx_pushes; /* changes held, next slot, pushes since rebuild */
    double dx_sum, dx_sq;
    uint32_t imb_n, imb_head, imb_pushes;
    double imb_sum;
    double open_buy, open_sell; /* the bucket being filled */
    double vpin;                /* valid when imb_n == N */
} sym;

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    uint32_t nsym, w, n; /* symbols, sigma_window, n_buckets */
    double b, threshold, warn;
    sym *syms;
    double *dx;  /* nsym * w */
    double *imb; /* nsym * n */
    int dirty;   /* a bucket closed since the last rescan */
    int have_max;
    uint32_t max_sym;
    double max_vpin;
    int last_state;
    uint32_t last_sym;
} inst;

static const gordon_param params[] = {
    {.name = "bucket_volume", .type = GORDON_PARAM_DOUBLE, .def = 0, .min = 0, .max = 1e18,
     .help = "volume per bucket in the symbols' volume units (required, > 0)"},
    {.name = "n_buckets", .type = GORDON_PARAM_INT, .def = 50, .min = 1, .max = 10000,
     .help = "VPIN averages the order imbalance of this many latest full buckets"},
    {.name = "sigma_window", .type = GORDON_PARAM_INT, .def = 50, .min = 2, .max = 10000,
     .help = "bars of close-to-close changes whose standard deviation scales bulk classification"},
    {.name = "threshold", .type = GORDON_PARAM_DOUBLE, .def = 0.8, .min = 0.01, .max = 1,
     .help = "trip when VPIN (max over symbols) reaches this"},
    {.name = "warn", .type = GORDON_PARAM_DOUBLE, .def = 0, .min = 0, .max = 1,
     .help = "warn when VPIN reaches this; 0 = 90% of threshold"},
};

/* Snapshot bytes per symbol (create bounds nsym so the total cannot overflow). */
static size_t sym_bytes(uint32_t w, uint32_t n)
{
    return SNAP_SYM_FIXED + ((size_t)w + n) * sizeof(double);
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    double b = 0, threshold = 0, warn = 0;
    int64_t n = 0, w = 0;
    uint32_t nsym;
    if (!api || !GORDON_HAS(api, symbol_name)) {
        snprintf(err, err_len, "vpin: host API table too small");
        return -1;
    }
    if (api->param_double(ctx, "bucket_volume", &b) != 0 ||
        api->param_int(ctx, "n_buckets", &n) != 0 ||
        api->param_int(ctx, "sigma_window", &w) != 0 ||
        api->param_double(ctx, "threshold", &threshold) != 0 ||
        api->param_double(ctx, "warn", &warn) != 0) {
        snprintf(err, err_len, "vpin: cannot read parameters bucket_volume, n_buckets, "
                               "sigma_window, threshold, warn");
        return -1;
    }
    if (!(b > 0) || !isfinite(b)) {
        snprintf(err, err_len,
                 "vpin: set bucket_volume (> 0): the volume per bucket, in the symbols' units");
        return -1;
    }
    if (n < 1 || n > 10000 || w < 2 || w > 10000 || !(threshold > 0 && threshold <= 1)) {
        snprintf(err, err_len, "vpin: n_buckets, sigma_window or threshold out of range");
        return -1;
    }
    if (warn == 0)
        warn = 0.9 * threshold;
    if (!(warn > 0 && warn < threshold)) {
        snprintf(err, err_len, "vpin: warn (%g) must be below threshold (%g)", warn, threshold);
        return -1;
    }
    nsym = api->symbol_count(ctx);
    if (nsym > (SIZE_MAX / 4 - SNAP_HDR) / sym_bytes((uint32_t)w, (uint32_t)n)) {
        snprintf(err, err_len, "vpin: too many symbols (%u) for these windows", nsym);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "vpin: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->nsym = nsym;
    s->w = (uint32_t)w;
    s->n = (uint32_t)n;
    s->b = b;
    s->threshold = threshold;
    s->warn = warn;
    s->last_state = -1;
    s->syms = calloc(nsym ? nsym : 1, sizeof *s->syms);
    s->dx = calloc(nsym ? (size_t)nsym * s->w : 1, sizeof *s->dx);
    s->imb = calloc(nsym ? (size_t)nsym * s->n : 1, sizeof *s->imb);
    if (!s->syms || !s->dx || !s->imb) {
        free(s->syms);
        free(s->dx);
        free(s->imb);
        free(s);
        snprintf(err, err_len, "vpin: out of memory for %u symbols", nsym);
        return -1;
    }
    *instance = s;
    return 0;
}

static void destroy(void *instance)
{
    inst *s = instance;
    if (!s)
        return;
    free(s->syms);
    free(s->dx);
    free(s->imb);
    free(s);
}

static void rebuild_dx(const inst *s, uint32_t id)
{
    sym *y = &s->syms[id];
    const double *r = s->dx + (size_t)id * s->w;
    uint32_t i;
    y->dx_sum = y->dx_sq = 0;
    for (i = 0; i < y->dx_n; i++) {
        double v = r[(y->dx_head + s->w - y->dx_n + i) % s->w];
        y->dx_sum += v;
        y->dx_sq += v * v;
    }
    y->dx_pushes = 0;
}

static void push_dx(const inst *s, uint32_t id, double v)
{
    sym *y = &s->syms[id];
    double *r = s->dx + (size_t)id * s->w;
    if (y->dx_n == s->w) {
        double old = r[y->dx_head];
        y->dx_sum -= old;
        y->dx_sq -= old * old;
    } else {
        y->dx_n++;
    }
    r[y->dx_head] = v;
    y->dx_head = (y->dx_head + 1) % s->w;
    y->dx_sum += v;
    y->dx_sq += v * v;
    if (++y->dx_pushes >= s->w)
        rebuild_dx(s, id);
}

static void rebuild_imb(const inst *s, uint32_t id)
{
    sym *y = &s->syms[id];
    const double *r = s->imb + (size_t)id * s->n;
    uint32_t i;
    y->imb_sum = 0;
    for (i = 0; i < y->imb_n; i++)
        y->imb_sum += r[(y->imb_head + s->n - y->imb_n + i) % s->n];
    y->imb_pushes = 0;
}

static void update_vpin(inst *s, sym *y)
{
    if (y->imb_n == s->n) {
        y->vpin = fmax(0.0, y->imb_sum / ((double)s->n * s->b));
        s->dirty = 1;
    }
}

static void push_imb(const inst *s, uint32_t id, double v)
{
    sym *y = &s->syms[id];
    double *r = s->imb + (size_t)id * s->n;
    if (y->imb_n == s->n)
        y->imb_sum -= r[y->imb_head];
    else
        y->imb_n++;
    r[y->imb_head] = v;
    y->imb_head = (y->imb_head + 1) % s->n;
    y->imb_sum += v;
    if (++y->imb_pushes >= s->n)
        rebuild_imb(s, id);
}

/* Pours volume v with buy fraction f into the symbol's buckets. */
static void pour(inst *s, uint32_t id, double v, double f)
{
    sym *y = &s->syms[id];
    double space = s->b - (y->open_buy + y->open_sell), take, k, rem, full_imb;
    uint32_t i, pushes;
    if (space < 0)
        space = 0;
    if (v < space - s->b * FILL_TOL) {
        y->open_buy += v * f;
        y->open_sell += v * (1 - f);
        return;
    }
    /* complete the open bucket */
    take = v < space ? v : space;
    y->open_buy += take * f;
    y->open_sell += take * (1 - f);
    push_imb(s, id, fabs(y->open_buy - y->open_sell));
    y->open_buy = y->open_sell = 0;
    v -= take;
    /* whole buckets of this bar alone, then the remainder opens the next */
    k = floor(v / s->b);
    rem = v - k * s->b;
    if (rem < 0)
        rem = 0;
    if (rem >= s->b * (1 - FILL_TOL)) {
        k += 1;
        rem = 0;
    }
    full_imb = fabs(s->b * f - s->b * (1 - f));
    pushes = k >= (double)s->n ? s->n : (uint32_t)k; /* older ones would be overwritten */
    for (i = 0; i < pushes; i++)
        push_imb(s, id, full_imb);
    y->open_buy = rem * f;
    y->open_sell = rem * (1 - f);
    update_vpin(s, y);
}

static void on_bar(void *instance, uint32_t symbol, const gordon_bar *bar)
{
    inst *s = instance;
    sym *y;
    double dp;
    if (symbol >= s->nsym || !isfinite(bar->close) || !isfinite(bar->volume) || !(bar->volume > 0))
        return;
    y = &s->syms[symbol];
    if (!y->have_prev) {
        y->prev_close = bar->close;
        y->have_prev = 1;
        return;
    }
    dp = bar->close - y->prev_close;
    y->prev_close = bar->close;
    if (y->dx_n == s->w) {
        double mean = y->dx_sum / s->w;
        double var = (y->dx_sq - y->dx_sum * mean) / (s->w - 1), f;
        if (var > VAR_REL_TOL * (y->dx_sq / s->w))
            f = 0.5 * erfc(-dp / (sqrt(var) * SQRT2));
        else
            f = dp > 0 ? 1.0 : dp < 0 ? 0.0 : 0.5;
        pour(s, symbol, bar->volume, f);
    }
    push_dx(s, symbol, dp);
}

static void rescan(inst *s)
{
    uint32_t i;
    s->have_max = 0;
    s->max_vpin = 0;
    s->max_sym = 0;
    for (i = 0; i < s->nsym; i++) {
        const sym *y = &s->syms[i];
        if (y->imb_n == s->n && (!s->have_max || y->vpin > s->max_vpin)) {
            s->have_max = 1;
            s->max_vpin = y->vpin;
            s->max_sym = i;
        }
    }
    s->dirty = 0;
}

static int evaluate(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    inst *s = instance;
    int state;
    double v;
    (void)in;
    if (s->dirty)
        rescan(s);
    v = s->have_max ? s->max_vpin : 0.0;
    out->value = v;
    out->threshold = s->threshold;
    state = !s->have_max                ? GORDON_BREAKER_OK
            : v >= s->threshold - TOL ? GORDON_BREAKER_TRIPPED
            : v >= s->warn - TOL      ? GORDON_BREAKER_WARN
                                      : GORDON_BREAKER_OK;
    out->state = state;
    /* Written when the state or the worst symbol changes (evaluate runs on
     * every bar; the host keeps *out and value carries the live number). */
    if (state != s->last_state || (state != GORDON_BREAKER_OK && s->max_sym != s->last_sym) ||
        out->reason[0] == '\0') {
        const char *name = state != GORDON_BREAKER_OK ? s->api->symbol_name(s->ctx, s->max_sym) : NULL;
        if (!name)
            name = "?";
        if (state == GORDON_BREAKER_TRIPPED)
            snprintf(out->reason, sizeof out->reason, "VPIN %.4f >= %.4f on %s (%u buckets of %g)",
                     v, s->threshold, name, s->n, s->b);
        else if (state == GORDON_BREAKER_WARN)
            snprintf(out->reason, sizeof out->reason,
                     "VPIN %.4f >= warn %.4f on %s (trips at %.4f)", v, s->warn, name,
                     s->threshold);
        else
            out->reason[0] = '\0';
    }
    s->last_state = state;
    s->last_sym = s->max_sym;
    return 0;
}

/* ------------------------------------------------------------- snapshot */

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap p;
    uint32_t id, i;
    gordon_snap_write(&p, buf, cap);
    gordon_snap_put_u32(&p, SNAP_MAGIC);
    gordon_snap_put_u32(&p, SNAP_VERSION);
    gordon_snap_put_u32(&p, s->nsym);
    gordon_snap_put_u32(&p, s->w);
    gordon_snap_put_u32(&p, s->n);
    gordon_snap_put_u32(&p, 0);
    gordon_snap_put_f64(&p, s->b);
    for (id = 0; id < s->nsym; id++) {
        const sym *y = &s->syms[id];
        const double *dx = s->dx + (size_t)id * s->w, *imb = s->imb + (size_t)id * s->n;
        gordon_snap_put_u32(&p, (uint32_t)y->have_prev);
        gordon_snap_put_u32(&p, y->dx_n);
        gordon_snap_put_u32(&p, y->imb_n);
        gordon_snap_put_u32(&p, y->dx_pushes);
        gordon_snap_put_u32(&p, y->imb_pushes);
        gordon_snap_put_u32(&p, 0);
        gordon_snap_put_f64(&p, y->prev_close);
        gordon_snap_put_f64(&p, y->open_buy);
        gordon_snap_put_f64(&p, y->open_sell);
        gordon_snap_put_f64(&p, y->dx_sum);
        gordon_snap_put_f64(&p, y->dx_sq);
        gordon_snap_put_f64(&p, y->imb_sum);
        for (i = 0; i < s->w; i++)
            gordon_snap_put_f64(&p, i < y->dx_n ? dx[(y->dx_head + s->w - y->dx_n + i) % s->w] : 0.0);
        for (i = 0; i < s->n; i++)
            gordon_snap_put_f64(&p, i < y->imb_n ? imb[(y->imb_head + s->n - y->imb_n + i) % s->n] : 0.0);
    }
    return gordon_snap_end(&p);
}

static int near(double stored, double ring)
{
    return isfinite(stored) && fabs(stored - ring) <= 1e-6 * (1.0 + fabs(ring));
}

/* Reads one symbol's record into *y and, if rings are given, its rings
 * (laid out oldest first); returns 1 if every value is there and in range. */
static int read_sym(const inst *s, gordon_snap *p, sym *y, double *dx, double *imb)
{
    uint32_t have = 0, i, pad = 0;
    double sum = 0, sq = 0, isum = 0;
    int ok;
    memset(y, 0, sizeof *y);
    gordon_snap_get_u32(p, &have);
    gordon_snap_get_u32(p, &y->dx_n);
    gordon_snap_get_u32(p, &y->imb_n);
    gordon_snap_get_u32(p, &y->dx_pushes);
    gordon_snap_get_u32(p, &y->imb_pushes);
    gordon_snap_get_u32(p, &pad);
    y->have_prev = have == 1;
    gordon_snap_get_f64(p, &y->prev_close);
    gordon_snap_get_f64(p, &y->open_buy);
    gordon_snap_get_f64(p, &y->open_sell);
    gordon_snap_get_f64(p, &y->dx_sum);
    gordon_snap_get_f64(p, &y->dx_sq);
    gordon_snap_get_f64(p, &y->imb_sum);
    ok = have <= 1 && y->dx_n <= s->w && y->imb_n <= s->n && y->dx_pushes < s->w &&
         y->imb_pushes < s->n && pad == 0 && isfinite(y->prev_close) && isfinite(y->open_buy) &&
         isfinite(y->open_sell) && y->open_buy >= 0 && y->open_sell >= 0 &&
         y->open_buy + y->open_sell < s->b;
    for (i = 0; i < s->w; i++) {
        double v = 0;
        gordon_snap_get_f64(p, &v);
        ok = ok && isfinite(v);
        if (i < y->dx_n) {
            sum += v;
            sq += v * v;
        }
        if (dx)
            dx[i] = v;
    }
    for (i = 0; i < s->n; i++) {
        double v = 0;
        gordon_snap_get_f64(p, &v);
        ok = ok && isfinite(v) && v >= 0 && v <= s->b * (1 + 1e-9);
        if (i < y->imb_n)
            isum += v;
        if (imb)
            imb[i] = v;
    }
    y->dx_head = y->dx_n % s->w;
    y->imb_head = y->imb_n % s->n;
    return ok && !p->failed && near(y->dx_sum, sum) && near(y->dx_sq, sq) && near(y->imb_sum, isum);
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap p;
    uint32_t id;
    uint32_t nsym = 0, w = 0, n = 0, pad = 0;
    double b = 0;
    gordon_snap_read(&p, buf, len);
    if (gordon_snap_expect_u32(&p, SNAP_MAGIC) || gordon_snap_expect_u32(&p, SNAP_VERSION))
        goto refuse;
    gordon_snap_get_u32(&p, &nsym);
    gordon_snap_get_u32(&p, &w);
    gordon_snap_get_u32(&p, &n);
    gordon_snap_get_u32(&p, &pad);
    if (gordon_snap_get_f64(&p, &b) != 0 || pad != 0)
        goto refuse;
    if (nsym != s->nsym || w != s->w || n != s->n || b != s->b) {
        gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                    "vpin: snapshot refused: it was taken with %u symbols, sigma_window %u, "
                    "n_buckets %u, bucket_volume %g",
                    nsym, w, n, b);
        return -1;
    }
    for (id = 0; id < s->nsym; id++) {
        sym y;
        if (!read_sym(s, &p, &y, NULL, NULL))
            goto refuse;
    }
    if (gordon_snap_done(&p) != 0)
        goto refuse;
    /* valid: read it again, past the header, into the instance */
    gordon_snap_read(&p, buf, len);
    for (id = 0; id < 6; id++)
        gordon_snap_get_u32(&p, &pad);
    gordon_snap_get_f64(&p, &b);
    for (id = 0; id < s->nsym; id++) {
        sym *y = &s->syms[id];
        (void)read_sym(s, &p, y, s->dx + (size_t)id * s->w, s->imb + (size_t)id * s->n);
        update_vpin(s, y);
    }
    s->dirty = 1;
    return 0;
refuse:
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN,
                "vpin: snapshot refused (length, magic, version or contents differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_BREAKER),
    .name = "vpin",
    .version = "1.0.0",
    .description = "trips when the volume-synchronized probability of informed trading (VPIN, "
                   "bulk volume classification) reaches threshold on any symbol; warns before",
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
