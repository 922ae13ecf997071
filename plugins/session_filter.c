/*
 * session_filter (overlay): allow entries only inside a UTC trading session.
 *
 * The decision time is api->now_ms(), which is the close time of the bar that
 * produced the signal (so a 09:30-10:00 bar decides at hour 10, and a daily
 * bar that opens Friday 00:00 closes, and decides, on Saturday 00:00).
 *  - start_hour < end_hour: the session is [start_hour, end_hour), e.g. 8..17;
 *  - start_hour > end_hour: it wraps midnight, e.g. 22..6 = [22, 24) + [0, 6);
 *  - start_hour == end_hour is refused by create (use 0..24 for all day).
 *  - weekdays_only: also veto Saturdays and Sundays (UTC).
 * EXIT signals always KEEP. No bar history is needed (warm-up 0).
 * Integer date arithmetic on milliseconds; floor division, so times before
 * 1970 work too (1970-01-01 was a Thursday).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gordon/sdk.h>

#define MS_PER_HOUR INT64_C(3600000)
#define MS_PER_DAY (24 * MS_PER_HOUR)

typedef struct inst {
    const gordon_host_api *api;
    gordon_ctx *ctx;
    int start_hour, end_hour, weekdays_only;
} inst;

static const gordon_param params[] = {
    {.name = "start_hour", .type = GORDON_PARAM_INT, .def = 0, .min = 0, .max = 23,
     .help = "first UTC hour of the session (inclusive)"},
    {.name = "end_hour", .type = GORDON_PARAM_INT, .def = 24, .min = 1, .max = 24,
     .help = "UTC hour the session ends (exclusive); below start_hour wraps midnight"},
    {.name = "weekdays_only", .type = GORDON_PARAM_BOOL, .def = 0,
     .help = "also veto entries on Saturday and Sunday (UTC)"},
};

static const char *const day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int create(const gordon_host_api *api, gordon_ctx *ctx, void **instance, char *err,
                  size_t err_len)
{
    inst *s;
    int64_t start = 0, end = 0;
    int weekdays = 0;
    if (!api || !GORDON_HAS(api, now_ms)) {
        snprintf(err, err_len, "session_filter: host API table too small");
        return -1;
    }
    if (api->param_int(ctx, "start_hour", &start) != 0 || api->param_int(ctx, "end_hour", &end) != 0 ||
        api->param_bool(ctx, "weekdays_only", &weekdays) != 0) {
        snprintf(err, err_len, "session_filter: cannot read parameters start_hour, end_hour, weekdays_only");
        return -1;
    }
    if (start < 0 || start > 23 || end < 1 || end > 24) {
        snprintf(err, err_len, "session_filter: start_hour must be 0..23 and end_hour 1..24");
        return -1;
    }
    if (start == end) {
        snprintf(err, err_len,
                 "session_filter: start_hour == end_hour (%d) is an empty session; use 0..24 for all day",
                 (int)start);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "session_filter: out of memory");
        return -1;
    }
    s->api = api;
    s->ctx = ctx;
    s->start_hour = (int)start;
    s->end_hour = (int)end;
    s->weekdays_only = weekdays;
    *instance = s;
    return 0;
}

static void destroy(void *instance) { free(instance); }

static int filter(void *instance, const gordon_signal *in, gordon_signal *out, char *reason,
                  size_t reason_len)
{
    const inst *s = instance;
    int64_t now, day, ms_of_day;
    int hour, wday, inside;
    (void)out;
    if (in->action != GORDON_ACTION_ENTRY)
        return GORDON_FILTER_KEEP;
    now = s->api->now_ms(s->ctx);
    day = floor_div(now, MS_PER_DAY);
    ms_of_day = now - day * MS_PER_DAY;
    hour = (int)(ms_of_day / MS_PER_HOUR);
    wday = (int)(((day + 4) % 7 + 7) % 7); /* 0 = Sunday; day 0 was a Thursday */
    if (s->weekdays_only && (wday == 0 || wday == 6)) {
        snprintf(reason, reason_len, "%s (weekdays only)", day_names[wday]);
        return GORDON_FILTER_VETO;
    }
    if (s->start_hour < s->end_hour)
        inside = hour >= s->start_hour && hour < s->end_hour;
    else
        inside = hour >= s->start_hour || hour < s->end_hour;
    if (!inside) {
        snprintf(reason, reason_len, "hour %02d UTC outside session %02d-%02d", hour,
                 s->start_hour, s->end_hour);
        return GORDON_FILTER_VETO;
    }
    return GORDON_FILTER_KEEP;
}

static const gordon_plugin desc = {
    GORDON_PLUGIN_HEADER(GORDON_KIND_OVERLAY),
    .name = "session_filter",
    .version = "1.0.0",
    .description = "vetoes entries outside UTC session hours (wrap-around allowed) or on weekends",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .warmup_bars = 0,
    .create = create,
    .destroy = destroy,
    .filter = filter,
};

GORDON_PLUGIN_ENTRY(desc)
