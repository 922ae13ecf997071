/* [ablate] settings: parsing and checking them, durations, objectives, and
 * the walk-forward windows they describe. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ablate/ablate_int.h"
#include "base/dates.h"

/* "180d", "36h", "1.5w": a positive number and a unit, 1 ms or more and not
 * absurdly long; GD_EINVAL if it is not one. */
static int parse_duration(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v <= 0)
        return GD_EINVAL;
    while (isspace((unsigned char)*end))
        end++;
    double unit;
    if (!strcmp(end, "ms"))
        unit = 1;
    else if (!strcmp(end, "s"))
        unit = 1000;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        unit = 60000;
    else if (!strcmp(end, "h"))
        unit = 3600000;
    else if (!strcmp(end, "d"))
        unit = (double)GD_DAY_MS;
    else if (!strcmp(end, "w"))
        unit = 7.0 * (double)GD_DAY_MS;
    else
        return GD_EINVAL;
    double ms = v * unit;
    if (ms < 1 || ms > 1e15)
        return GD_EINVAL;
    *out = (int64_t)llround(ms);
    return 0;
}

static const char *const objective_names[] = {"sharpe", "sortino", "cagr", "net_pnl", "profit_factor"};
static const int objective_metric[] = {GD_M_SHARPE, GD_M_SORTINO, GD_M_CAGR, GD_M_NET_PNL,
                                       GD_M_PROFIT_FACTOR};

static int kv_err(gd_err *err, int code, const gd_kv *kv, const char *fmt, const char *what)
{
    return gd_err_set(err, code, "%s:%d: [ablate] %s: %s (%s)", kv->file, kv->line, kv->key, what, fmt);
}

/* train, test, step, warmup */
static int parse_duration_key(gd_ablate_settings *s, const gd_kv *kv, gd_err *err)
{
    const char *k = kv->key, *v = kv->value;
    int64_t d;
    if (!strcmp(k, "warmup")) {
        if (!strcmp(v, "auto"))
            s->warmup_ms = -1;
        else if (!strcmp(v, "0"))
            s->warmup_ms = 0;
        else if (parse_duration(v, &d))
            return kv_err(err, GD_EINVAL, kv, "allowed: auto, 0 or a duration such as 30d", "not a duration");
        else
            s->warmup_ms = d;
        return 0;
    }
    if (parse_duration(v, &d))
        return kv_err(err, GD_EINVAL, kv, "allowed: a positive number with a unit ms, s, m, h, d, w, e.g. 180d",
                      "not a duration");
    if (!strcmp(k, "train"))
        s->train_ms = d;
    else if (!strcmp(k, "test"))
        s->test_ms = d;
    else
        s->step_ms = d;
    return 0;
}

/* max_param_sets, bootstrap, seed: whole numbers */
static int parse_count_key(gd_ablate_settings *s, const gd_kv *kv, gd_err *err)
{
    const char *k = kv->key, *v = kv->value;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    long long lo = !strcmp(k, "seed") ? 0 : 1, hi = !strcmp(k, "bootstrap") ? 100000 : 1000000;
    if (end == v || *end || errno || n < lo || n > hi)
        return kv_err(err, GD_ERANGE, kv,
                      !strcmp(k, "bootstrap") ? "allowed: 1..100000" : "allowed: a whole number >= 1",
                      "bad number");
    if (!strcmp(k, "max_param_sets"))
        s->max_param_sets = (uint32_t)n;
    else if (!strcmp(k, "bootstrap"))
        s->bootstrap = (unsigned)n;
    else
        s->seed = (uint64_t)n;
    return 0;
}

/* periods_per_year, alpha */
static int parse_real_key(gd_ablate_settings *s, const gd_kv *kv, gd_err *err)
{
    const char *k = kv->key, *v = kv->value;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    int isalpha_ = !strcmp(k, "alpha");
    if (end == v || *end || errno || !isfinite(d) || (isalpha_ ? (d <= 0 || d >= 0.5) : (d < 1 || d > 100000)))
        return kv_err(err, GD_ERANGE, kv, isalpha_ ? "allowed: (0, 0.5)" : "allowed: 1..100000", "bad number");
    if (isalpha_)
        s->alpha = d;
    else
        s->periods_per_year = d;
    return 0;
}

/* range.PARAM = min:max:step */
static int parse_range_key(gd_ablate_settings *s, const gd_kv *kv, gd_err *err)
{
    double a, b, c;
    char extra;
    if (s->n_ranges >= GD_AB_MAX_TUNE)
        return kv_err(err, GD_EINVAL, kv, "at most 8 ranges", "too many ranges");
    if (sscanf(kv->value, "%lf:%lf:%lf%c", &a, &b, &c, &extra) != 3 || !isfinite(a) || !isfinite(b) ||
        !isfinite(c) || c <= 0)
        return kv_err(err, GD_EINVAL, kv, "allowed: min:max:step with step > 0, e.g. 10:50:10", "bad range");
    if (a > b)
        return kv_err(err, GD_ERANGE, kv, "min must not exceed max", "empty range");
    gd_ab_range *r = &s->ranges[s->n_ranges++];
    snprintf(r->param, sizeof r->param, "%s", kv->key + 6);
    r->min = a;
    r->max = b;
    r->step = c;
    r->file = kv->file;
    r->line = kv->line;
    return 0;
}

static int parse_key(gd_ablate_settings *s, const gd_kv *kv, gd_err *err)
{
    const char *k = kv->key, *v = kv->value;
    if (!strcmp(k, "train") || !strcmp(k, "test") || !strcmp(k, "step") || !strcmp(k, "warmup"))
        return parse_duration_key(s, kv, err);
    if (!strcmp(k, "max_param_sets") || !strcmp(k, "bootstrap") || !strcmp(k, "seed"))
        return parse_count_key(s, kv, err);
    if (!strcmp(k, "periods_per_year") || !strcmp(k, "alpha"))
        return parse_real_key(s, kv, err);
    if (!strncmp(k, "range.", 6))
        return parse_range_key(s, kv, err);
    if (!strcmp(k, "mode")) {
        if (!strcmp(v, "rolling"))
            s->anchored = 0;
        else if (!strcmp(v, "anchored"))
            s->anchored = 1;
        else
            return kv_err(err, GD_EINVAL, kv, "allowed: rolling, anchored; random splits do not exist",
                          "unknown mode");
        return 0;
    }
    if (!strcmp(k, "objective")) {
        size_t j;
        for (j = 0; j < sizeof objective_names / sizeof objective_names[0]; j++)
            if (!strcmp(v, objective_names[j]))
                break;
        if (j == sizeof objective_names / sizeof objective_names[0])
            return kv_err(err, GD_EINVAL, kv, "allowed: sharpe, sortino, cagr, net_pnl, profit_factor",
                          "unknown objective");
        s->objective = (int)j;
        return 0;
    }
    if (!strcmp(k, "strategy")) {
        snprintf(s->strategy, sizeof s->strategy, "%s", v);
        return 0;
    }
    return kv_err(err, GD_EINVAL, kv,
                  "allowed: strategy, train, test, step, mode, objective, max_param_sets, warmup, "
                  "bootstrap, seed, alpha, periods_per_year, range.PARAM",
                  "unknown key");
}

int gd_ablate_settings_parse(const gd_config *cfg, gd_ablate_settings *s, gd_err *err)
{
    memset(s, 0, sizeof *s);
    s->train_ms = 180 * GD_DAY_MS;
    s->test_ms = 30 * GD_DAY_MS;
    s->step_ms = 0; /* = test */
    s->anchored = 0;
    s->objective = 0;
    s->max_param_sets = 16;
    s->bootstrap = 2000;
    s->seed = 1;
    s->alpha = 0.05;
    s->periods_per_year = 365;
    s->warmup_ms = -1; /* auto */
    for (size_t i = 0; i < cfg->n_ablate; i++) {
        int rc = parse_key(s, &cfg->ablate[i], err);
        if (rc)
            return rc;
    }
    if (s->step_ms == 0)
        s->step_ms = s->test_ms;
    if (s->step_ms < s->test_ms)
        return gd_err_set(err, GD_EINVAL,
                          "[ablate] step (%.3g d) is shorter than test (%.3g d): out-of-sample windows would "
                          "overlap and be counted twice",
                          (double)s->step_ms / (double)GD_DAY_MS, (double)s->test_ms / (double)GD_DAY_MS);
    return 0;
}

const char *gd_ablate_objective_name(int objective) { return objective_names[objective]; }

int gd_ab_objective_metric(int objective) { return objective_metric[objective]; }

/* ------------------------------------------------------------ windows */

size_t gd_ablate_windows(int64_t data_start, int64_t data_end, const gd_ablate_settings *s,
                         gd_ab_window *out, size_t cap)
{
    size_t n = 0;
    for (int64_t k = 0;; k++) {
        gd_ab_window w;
        int64_t shift = k * s->step_ms;
        w.train_start = s->anchored ? data_start : data_start + shift;
        w.train_end = data_start + s->train_ms + shift;
        w.test_start = w.train_end;
        w.test_end = w.test_start + s->test_ms;
        if (w.test_end > data_end)
            break;
        if (out && n < cap)
            out[n] = w;
        n++;
    }
    return n;
}
