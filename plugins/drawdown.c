/*
 * drawdown (breaker): trips when equity falls max_drawdown_pct below its peak.
 *
 * The peak is the highest equity seen in evaluate() inputs since the instance
 * was created (or restored). value = (peak - equity) / peak * 100.
 *  - TRIPPED when value >= max_drawdown_pct. "At the threshold" is decided
 *    with a tolerance of 1e-9 percentage points, so peak 100 / equity 80 trips
 *    a 20% breaker even when the division rounds just below 20;
 *  - WARN when value >= the warn level: warn_pct, or 75% of max_drawdown_pct
 *    when warn_pct is 0 (warn_pct must be below max_drawdown_pct);
 *  - OK otherwise, and while no positive equity has been seen.
 * A non-finite equity trips (fail closed). Bars are not needed (warm-up 0).
 *
 * snapshot/restore keep the peak across a hot reload: a 16-byte blob
 * {u32 magic, u32 version, f64 peak} (gordon_snap); refused if the header or
 * length differs or the peak is not a finite non-negative number.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gordon/helpers.h>
#include <gordon/sdk.h>

#define SNAP_MAGIC 0x44524431u /* "DRD1" */
#define SNAP_VERSION 1u
#define TOL_PCT 1e-9

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    double max_pct, warn_pct;
    double peak; /* 0 until a positive equity is seen */
    int last_state; /* state of the previous evaluation; -1 before the first */
} inst;

static const gordon_param params[] = {
    {.name = "max_drawdown_pct", .type = GORDON_PARAM_DOUBLE, .def = 20, .min = 0.1, .max = 100,
     .help = "trip when equity is this many percent below its peak"},
    {.name = "warn_pct", .type = GORDON_PARAM_DOUBLE, .def = 0, .min = 0, .max = 100,
     .help = "warn at this drawdown in percent; 0 = 75% of max_drawdown_pct"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    double max_pct = 0, warn = 0;
    if (!api || !GORDON_HAS(api, param_double)) {
        snprintf(err, err_len, "drawdown: host API table too small");
        return -1;
    }
    if (api->param_double(ctx, "max_drawdown_pct", &max_pct) != 0 ||
        api->param_double(ctx, "warn_pct", &warn) != 0) {
        snprintf(err, err_len, "drawdown: cannot read parameters max_drawdown_pct, warn_pct");
        return -1;
    }
    if (!(max_pct > 0)) {
        snprintf(err, err_len, "drawdown: max_drawdown_pct must be positive");
        return -1;
    }
    if (warn == 0)
        warn = 0.75 * max_pct;
    if (!(warn > 0 && warn < max_pct)) {
        snprintf(err, err_len, "drawdown: warn_pct (%g) must be below max_drawdown_pct (%g)", warn,
                 max_pct);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "drawdown: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->max_pct = max_pct;
    s->warn_pct = warn;
    s->last_state = -1;
    *instance = s;
    return 0;
}

static void destroy(void *instance) { free(instance); }

static int evaluate(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    inst *s = instance;
    double eq = in->equity, value;
    out->threshold = s->max_pct;
    if (!isfinite(eq)) {
        out->state = GORDON_BREAKER_TRIPPED;
        out->value = 100;
        snprintf(out->reason, sizeof out->reason, "equity is not a finite number");
        return 0;
    }
    if (eq > s->peak)
        s->peak = eq;
    if (!(s->peak > 0)) {
        out->state = GORDON_BREAKER_OK;
        out->value = 0;
        snprintf(out->reason, sizeof out->reason, "no positive equity seen yet");
        return 0;
    }
    value = (s->peak - eq) / s->peak * 100.0;
    out->value = value;
    int state = value >= s->max_pct - TOL_PCT  ? GORDON_BREAKER_TRIPPED
                : value >= s->warn_pct - TOL_PCT ? GORDON_BREAKER_WARN
                                                 : GORDON_BREAKER_OK;
    out->state = state;
    /* evaluate runs on every bar and formatting numbers costs more than the
     * rest of the bar, so the reason is written when the state changes; the
     * host keeps *out between calls and value carries the live number. */
    if (state != s->last_state || out->reason[0] == '\0') {
        if (state == GORDON_BREAKER_TRIPPED)
            snprintf(out->reason, sizeof out->reason,
                     "drawdown %.2f%% >= %.2f%% (peak %.2f, equity %.2f)", value, s->max_pct,
                     s->peak, eq);
        else if (state == GORDON_BREAKER_WARN)
            snprintf(out->reason, sizeof out->reason,
                     "drawdown %.2f%% >= warn %.2f%% (peak %.2f, equity %.2f; trips at %.2f%%)",
                     value, s->warn_pct, s->peak, eq, s->max_pct);
        else
            out->reason[0] = '\0';
    }
    s->last_state = state;
    return 0;
}

/* An operator resumed after a halt: the drawdown counts from here, or the
 * breaker would trip again on the very next bar. */
static void on_resume(void *instance)
{
    inst *s = instance;
    s->peak = 0;
    s->last_state = -1;
}

static size_t snapshot(void *instance, void *buf, size_t cap)
{
    const inst *s = instance;
    gordon_snap w;
    gordon_snap_write(&w, buf, cap);
    gordon_snap_put_u32(&w, SNAP_MAGIC);
    gordon_snap_put_u32(&w, SNAP_VERSION);
    gordon_snap_put_f64(&w, s->peak);
    return gordon_snap_end(&w);
}

static int restore(void *instance, const void *buf, size_t len)
{
    inst *s = instance;
    gordon_snap r;
    double peak = 0;
    gordon_snap_read(&r, buf, len);
    if (gordon_snap_expect_u32(&r, SNAP_MAGIC) || gordon_snap_expect_u32(&r, SNAP_VERSION) ||
        gordon_snap_get_f64(&r, &peak) || gordon_snap_done(&r) || !isfinite(peak) || peak < 0)
        goto refuse;
    if (peak > s->peak)
        s->peak = peak;
    return 0;
refuse:
    gordon_log(s->api, s->ctx, GORDON_LOG_WARN, "drawdown: snapshot refused (length, magic or version differ)");
    return -1;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_BREAKER),
    .name = "drawdown",
    .version = "1.0.0",
    .description = "trips when equity is max_drawdown_pct below its peak; warns before",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 0,
    .create = create,
    .destroy = destroy,
    .evaluate = evaluate,
    .snapshot = snapshot,
    .restore = restore,
    .on_resume = on_resume,
};

GORDON_PLUGIN_ENTRY(desc)
