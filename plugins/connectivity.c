/*
 * connectivity (breaker): trips when market data or the venue go quiet.
 *
 * Two channels, each with its own age and limit, at the host clock now:
 *  - data:  age = now - in->last_data_ms, limit max_data_age_ms;
 *  - venue: age = now - in->last_venue_ms, limit max_venue_age_ms; checked
 *    only when max_venue_age_ms > 0, the host's input is SDK 1.1 or newer
 *    (struct_size covers last_venue_ms) and last_venue_ms != 0 (0 means the
 *    host has no venue, as in replay).
 * Ages are whole milliseconds; a timestamp ahead of now counts as age 0.
 * Each channel is TRIPPED when age >= its limit (integers: exact, no
 * tolerance) and WARN when age >= warn_pct % of its limit (warn_pct 100
 * leaves no warn stage: the trip wins).
 *
 * The breaker's state is the worse channel's. value and threshold are the
 * age and limit of the channel that decides it: the one in the worse state,
 * on a tie the one nearer (or further past) its limit relative to the
 * limit, on a further tie the data channel. With equal limits this is simply
 * the older of the two ages; with different limits it keeps
 * "value >= threshold" equivalent to TRIPPED, which the older age alone would
 * not (70 s of data silence is fine under a 120 s limit, 61 s of venue
 * silence is not under a 60 s one).
 *
 * No data yet (last_data_ms == 0): the data channel is not checked, so a
 * daemon that starts before its feed is OK; the breaker guards a feed that
 * has delivered and then goes stale. (A feed that never delivers is not this
 * breaker's to catch.) If last_data_ms returns to 0 after data was seen, the
 * breaker trips: the host lost track of its data, and silence is not safety.
 *
 * In replay now is the bar's close time, so data is always fresh and the venue
 * time is 0: this breaker matters live. It keeps no state worth a hot reload
 * (no snapshot/restore) and needs no bars (no on_bar, warm-up 0); evaluate is
 * O(1) and does not allocate.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gordon/sdk.h>

enum { CH_NONE = 0, CH_DATA = 1, CH_VENUE = 2, CH_LOST = 3 };

typedef struct inst {
    int64_t max_data_ms, max_venue_ms; /* max_venue_ms 0: no venue check */
    double warn_frac;                  /* warn_pct / 100 */
    int seen_data;                     /* last_data_ms was non-zero once */
    int last_state;                    /* previous evaluation's state; -1 before the first */
    int last_channel;                  /* channel that decided it */
} inst;

typedef struct chan {
    int state;
    int64_t age, limit;
    double ratio; /* age / limit */
} chan;

static const gordon_param params[] = {
    {.name = "max_data_age_ms", .type = GORDON_PARAM_INT, .def = 120000, .min = 1000,
     .max = 86400000,
     .help = "trip when the newest market data is this many ms old (checked once data was seen)"},
    {.name = "max_venue_age_ms", .type = GORDON_PARAM_INT, .def = 60000, .min = 0, .max = 86400000,
     .help = "trip when the last good venue reply is this many ms old; 0 = no venue check"},
    {.name = "warn_pct", .type = GORDON_PARAM_DOUBLE, .def = 50, .min = 1, .max = 100,
     .help = "warn when an age reaches this percentage of its limit (100 = no warn stage)"},
};

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    int64_t data_ms = 0, venue_ms = 0;
    double warn_pct = 0;
    if (!api || !GORDON_HAS(api, param_double)) {
        snprintf(err, err_len, "connectivity: host API table too small");
        return -1;
    }
    if (api->param_int(ctx, "max_data_age_ms", &data_ms) != 0 ||
        api->param_int(ctx, "max_venue_age_ms", &venue_ms) != 0 ||
        api->param_double(ctx, "warn_pct", &warn_pct) != 0) {
        snprintf(err, err_len,
                 "connectivity: cannot read parameters max_data_age_ms, max_venue_age_ms, warn_pct");
        return -1;
    }
    if (data_ms < 1 || venue_ms < 0 || !(warn_pct > 0 && warn_pct <= 100)) {
        snprintf(err, err_len,
                 "connectivity: max_data_age_ms (%lld) must be positive, max_venue_age_ms (%lld) "
                 "not negative, warn_pct (%g) in (0, 100]",
                 (long long)data_ms, (long long)venue_ms, warn_pct);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "connectivity: out of memory");
        return -1;
    }
    s->max_data_ms = data_ms;
    s->max_venue_ms = venue_ms;
    s->warn_frac = warn_pct / 100.0;
    s->last_state = -1;
    s->last_channel = CH_NONE;
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

static chan measure(const inst *s, int64_t now, int64_t t, int64_t limit)
{
    chan c;
    c.age = age_of(now, t);
    c.limit = limit;
    c.ratio = (double)c.age / (double)limit;
    c.state = c.age >= limit                                       ? GORDON_BREAKER_TRIPPED
              : (double)c.age >= s->warn_frac * (double)limit ? GORDON_BREAKER_WARN
                                                                   : GORDON_BREAKER_OK;
    return c;
}

static void write_reason(const inst *s, int state, int channel, const chan *c, char *r, size_t n)
{
    double age = (double)c->age / 1000.0, lim = (double)c->limit / 1000.0;
    double warn = s->warn_frac * lim;
    if (state == GORDON_BREAKER_OK)
        r[0] = '\0';
    else if (channel == CH_LOST)
        snprintf(r, n, "market data time went back to 0 after data was seen");
    else if (state == GORDON_BREAKER_TRIPPED)
        snprintf(r, n, channel == CH_DATA ? "no market data for %.1f s (limit %.1f s)"
                                          : "no venue reply for %.1f s (limit %.1f s)",
                 age, lim);
    else
        snprintf(r, n,
                 channel == CH_DATA ? "market data %.1f s old (warn %.1f s, trips at %.1f s)"
                                    : "last venue reply %.1f s ago (warn %.1f s, trips at %.1f s)",
                 age, warn, lim);
}

static int evaluate(void *instance, const gordon_breaker_input *in, gordon_breaker_result *out)
{
    inst *s = instance;
    int64_t now = in->now_ms;
    int64_t venue_t = 0;
    int channel = CH_NONE, state = GORDON_BREAKER_OK;
    chan c = {GORDON_BREAKER_OK, 0, s->max_data_ms, 0.0};

    if (GORDON_HAS(in, last_venue_ms))
        venue_t = in->last_venue_ms;
    if (in->last_data_ms != 0) {
        s->seen_data = 1;
        c = measure(s, now, in->last_data_ms, s->max_data_ms);
        channel = CH_DATA;
    } else if (s->seen_data) {
        channel = CH_LOST;
        c.state = GORDON_BREAKER_TRIPPED;
    }
    if (s->max_venue_ms > 0 && venue_t != 0 && channel != CH_LOST) {
        chan v = measure(s, now, venue_t, s->max_venue_ms);
        if (channel == CH_NONE || v.state > c.state || (v.state == c.state && v.ratio > c.ratio)) {
            c = v;
            channel = CH_VENUE;
        }
    }
    state = c.state;
    out->state = state;
    out->value = (double)c.age;
    out->threshold = (double)c.limit;
    /* Written only when the state or the deciding channel changes: evaluate
     * runs on every bar and the host keeps *out (value carries the live age). */
    if (state != s->last_state || channel != s->last_channel || out->reason[0] == '\0')
        write_reason(s, state, channel, &c, out->reason, sizeof out->reason);
    s->last_state = state;
    s->last_channel = channel;
    return 0;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_BREAKER),
    .name = "connectivity",
    .version = "1.0.0",
    .description = "trips when market data or venue replies are older than their limits; warns "
                   "before",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 0,
    .create = create,
    .destroy = destroy,
    .evaluate = evaluate,
};

GORDON_PLUGIN_ENTRY(desc)
