/*
 * macro (breaker): trips on an external macro series, e.g. FRED's VIXCLS.
 *
 * create() asks the host to fetch `series` (api->series_subscribe, SDK 1.1);
 * the host does all I/O and evaluate() reads the latest observation at the
 * host's clock with api->series_get (in replay: the newest observation dated
 * at or before now, no lookahead). create fails on a host older than SDK 1.1
 * and when the host refuses the subscription ("no macro data source
 * configured: set [fred] api_key").
 *
 * Measure, by mode:
 *  - level:  value = the latest observation;
 *  - change: value = latest - previous observation (OK with value 0 while
 *    there is no previous observation).
 * TRIPPED when value >= threshold, WARN when value >= warn (warn 0 = 90% of a
 * positive threshold; in general threshold - 10% of |threshold|, so a
 * threshold of 0 has no warn stage). Both compare with a tolerance of
 * 1e-9 x max(1, |threshold|), since FRED values are decimals (32.1 - 27.1
 * is 5.000000000000004). threshold = threshold.
 *
 * Data health, checked first (fail closed: silence is not safety):
 *  - stale: the host flags the series stale (its last fetch failed or is too
 *    old) and now - fetched_ms > max_stale_ms -> TRIPPED "macro series X
 *    stale for N h" (strictly more than max_stale_ms);
 *  - no data: no observation yet (obs_ms == 0 or a NaN value) and now - the
 *    now of the first evaluate() > max_stale_ms -> TRIPPED "no data for
 *    series X"; before that, OK with value 0 (waiting for the first fetch);
 *  - series_get failing -> TRIPPED.
 * While tripped for data health, value is the last measure when there is one,
 * else 0.
 *
 * The reason is written when the state or its cause changes (evaluate runs on
 * every bar; the host keeps *out and value carries the live number). No bars
 * are needed (no on_bar, warm-up 0); evaluate is O(1) and does not allocate.
 *
 * snapshot/restore keep the time of the first evaluation, so a hot reload
 * does not restart the no-data grace period. Blob (24 bytes): {u32 magic,
 * u32 version, i64 first_ms, u32 have_first, u32 0}; refused if the header or
 * length differ. Restoring keeps the earlier of the two first times.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x43414D31u /* "1MAC" */
#define SNAP_VERSION 1u
#define HOUR_MS 3600000.0

enum { MODE_LEVEL = 0, MODE_CHANGE = 1 };
enum { C_NONE = 0, C_WAIT, C_NOPREV, C_VALUE, C_STALE, C_NODATA, C_GETFAIL };

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    const char *series; /* the host's param string: valid for the instance's lifetime */
    int mode;
    double threshold, warn, tol;
    int64_t max_stale_ms;
    int have_first;
    int64_t first_ms; /* now of the first evaluation */
    int last_state, last_cause;
} inst;

static const gordon_param params[] = {
    {.name = "series", .type = GORDON_PARAM_STRING, .def_str = "VIXCLS",
     .help = "id of the external (FRED) series the host fetches, e.g. VIXCLS"},
    {.name = "mode", .type = GORDON_PARAM_STRING, .def_str = "level",
     .help = "level: trip when the latest value >= threshold; change: when latest - previous "
             ">= threshold"},
    {.name = "threshold", .type = GORDON_PARAM_DOUBLE, .def = 30, .min = -1e12, .max = 1e12,
     .help = "trip level of the value (level) or of the rise (change)"},
    {.name = "warn", .type = GORDON_PARAM_DOUBLE, .def = 0, .min = -1e12, .max = 1e12,
     .help = "warn level, below threshold; 0 = 90% of threshold"},
    {.name = "max_stale_ms", .type = GORDON_PARAM_INT, .def = 259200000, .min = 60000,
     .max = 7776000000.0,
     .help = "trip when the series is stale, or has no data, for longer than this (default 3 days)"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    const char *series = NULL, *mode = NULL;
    double threshold = 0, warn = 0;
    int64_t stale = 0;
    int m;
    if (!api || !GORDON_HAS(api, param_string)) {
        snprintf(err, err_len, "macro: host API table too small");
        return -1;
    }
    if (api->param_string(ctx, "series", &series) != 0 ||
        api->param_string(ctx, "mode", &mode) != 0 ||
        api->param_double(ctx, "threshold", &threshold) != 0 ||
        api->param_double(ctx, "warn", &warn) != 0 ||
        api->param_int(ctx, "max_stale_ms", &stale) != 0) {
        snprintf(err, err_len,
                 "macro: cannot read parameters series, mode, threshold, warn, max_stale_ms");
        return -1;
    }
    if (!series || !*series) {
        snprintf(err, err_len, "macro: series is empty (a FRED series id, e.g. VIXCLS)");
        return -1;
    }
    if (mode && strcmp(mode, "level") == 0)
        m = MODE_LEVEL;
    else if (mode && strcmp(mode, "change") == 0)
        m = MODE_CHANGE;
    else {
        snprintf(err, err_len, "macro: mode must be 'level' or 'change', not '%s'",
                 mode ? mode : "");
        return -1;
    }
    if (!isfinite(threshold) || !isfinite(warn) || stale < 1) {
        snprintf(err, err_len, "macro: threshold, warn or max_stale_ms out of range");
        return -1;
    }
    if (warn == 0) {
        warn = threshold - 0.1 * fabs(threshold);
    } else if (!(warn < threshold)) {
        snprintf(err, err_len, "macro: warn (%g) must be below threshold (%g)", warn, threshold);
        return -1;
    }
    if (!GORDON_HAS(api, series_get) || !api->series_subscribe || !api->series_get) {
        snprintf(err, err_len,
                 "macro: the host is older than SDK 1.1 (no series_subscribe/series_get); "
                 "macro data needs a newer gordon");
        return -1;
    }
    if (api->series_subscribe(ctx, series) != 0) {
        snprintf(err, err_len,
                 "macro: series '%s' refused: no macro data source configured: set [fred] "
                 "api_key (or the id is not valid)",
                 series);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "macro: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->series = series;
    s->mode = m;
    s->threshold = threshold;
    s->warn = warn;
    s->tol = 1e-9 * fmax(1.0, fabs(threshold));
    s->max_stale_ms = stale;
    s->last_state = -1;
    s->last_cause = C_NONE;
    *instance = s;
    return 0;
}

static void destroy(void *instance) { free(instance); }

/* now - t without overflow; 0 when t is not before now. */
static int64_t age_of(int64_t now, int64_t t)
{
    if (t >= now)
        return 0;
    if (t < 0 && now > INT64_MAX + t)
        return INT64_MAX;
    return now - t;
}

static void write_reason(const inst *s, int state, int cause, double v, int64_t age,
                         const gordon_series_point *p, char *r, size_t n)
{
    if (state == GORDON_BREAKER_OK) {
        r[0] = '\0';
        return;
    }
    switch (cause) {
    case C_GETFAIL:
        snprintf(r, n, "macro series %s: the host has no such series", s->series);
        return;
    case C_STALE:
        snprintf(r, n, "macro series %s stale for %.0f h (limit %.0f h)", s->series,
                 (double)age / HOUR_MS, (double)s->max_stale_ms / HOUR_MS);
        return;
    case C_NODATA:
        snprintf(r, n, "no data for series %s after %.0f h", s->series, (double)age / HOUR_MS);
        return;
    default:
        break;
    }
    if (s->mode == MODE_LEVEL)
        snprintf(r, n, state == GORDON_BREAKER_TRIPPED ? "%s at %.4g >= %.4g" : "%s at %.4g >= warn %.4g",
                 s->series, v, state == GORDON_BREAKER_TRIPPED ? s->threshold : s->warn);
    else
        snprintf(r, n,
                 state == GORDON_BREAKER_TRIPPED ? "%s rose %.4g >= %.4g (%.4g to %.4g)"
                                                 : "%s rose %.4g >= warn %.4g (%.4g to %.4g)",
                 s->series, v, state == GORDON_BREAKER_TRIPPED ? s->threshold : s->warn,
                 p->prev_value, p->value);
    if (state == GORDON_BREAKER_WARN) {
        size_t used = strlen(r);
        if (used < n)
            snprintf(r + used, n - used, ", trips at %.4g", s->threshold);
    }
}

static int evaluate(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    inst *s = instance;
    int64_t now = in->now_ms, age = 0;
    gordon_series_point p = GORDON_SERIES_POINT_INIT;
    int state = GORDON_BREAKER_OK, cause = C_NONE, have_obs, have_v = 0;
    double v = 0;

    if (!s->have_first) {
        s->have_first = 1;
        s->first_ms = now;
    }
    if (s->api->series_get(s->ctx, s->series, &p) != 0) {
        cause = C_GETFAIL;
        state = GORDON_BREAKER_TRIPPED;
        goto done;
    }
    have_obs = p.obs_ms != 0 && isfinite(p.value);
    if (have_obs && s->mode == MODE_LEVEL) {
        v = p.value;
        have_v = 1;
    } else if (have_obs && isfinite(p.prev_value)) {
        v = p.value - p.prev_value;
        have_v = 1;
    }
    if (p.stale && p.fetched_ms != 0 && (age = age_of(now, p.fetched_ms)) > s->max_stale_ms) {
        cause = C_STALE;
        state = GORDON_BREAKER_TRIPPED;
    } else if (!have_obs) {
        age = age_of(now, s->first_ms);
        cause = age > s->max_stale_ms ? C_NODATA : C_WAIT;
        state = cause == C_NODATA ? GORDON_BREAKER_TRIPPED : GORDON_BREAKER_OK;
    } else if (!have_v) {
        cause = C_NOPREV;
    } else {
        cause = C_VALUE;
        state = v >= s->threshold - s->tol ? GORDON_BREAKER_TRIPPED
                : v >= s->warn - s->tol    ? GORDON_BREAKER_WARN
                                           : GORDON_BREAKER_OK;
    }
done:
    out->state = state;
    out->value = have_v ? v : 0.0;
    out->threshold = s->threshold;
    if (state != s->last_state || cause != s->last_cause || out->reason[0] == '\0')
        write_reason(s, state, cause, v, age, &p, out->reason, sizeof out->reason);
    s->last_state = state;
    s->last_cause = cause;
    return 0;
}

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap w;
    gordon_snap_write(&w, buf, cap);
    gordon_snap_put_u32(&w, SNAP_MAGIC);
    gordon_snap_put_u32(&w, SNAP_VERSION);
    gordon_snap_put_i64(&w, s->first_ms);
    gordon_snap_put_u32(&w, (uint32_t)s->have_first);
    gordon_snap_put_u32(&w, 0);
    return gordon_snap_end(&w);
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap r;
    uint32_t have = 0, pad = 0;
    int64_t first = 0;
    gordon_snap_read(&r, buf, len);
    if (gordon_snap_expect_u32(&r, SNAP_MAGIC) || gordon_snap_expect_u32(&r, SNAP_VERSION))
        goto refuse;
    gordon_snap_get_i64(&r, &first);
    gordon_snap_get_u32(&r, &have);
    gordon_snap_get_u32(&r, &pad);
    if (gordon_snap_done(&r) || have > 1 || pad != 0 || (have == 0 && first != 0))
        goto refuse;
    if (have && (!s->have_first || first < s->first_ms)) {
        s->have_first = 1;
        s->first_ms = first;
    }
    return 0;
refuse:
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN, "macro: snapshot refused (length, magic or version differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_BREAKER),
    .name = "macro",
    .version = "1.0.0",
    .description = "trips when an external macro series (FRED, e.g. VIXCLS) reaches a level or "
                   "rises by threshold, or when its data is stale; warns before",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 0,
    .create = create,
    .destroy = destroy,
    .evaluate = evaluate,
    .snapshot = snapshot,
    .restore = restore,
};

GORDON_PLUGIN_ENTRY(desc)
