/* Performance statistics of a backtest. Conventions (see stats.h):
 * - daily returns r_i = eq[i]/eq[i-1] - 1, i = 1..n-1; undefined once the
 *   equity is <= 0 (or not finite), then every return-based value is NaN;
 * - Sharpe uses the sample sd (n - 1); Sortino the downside deviation
 *   sqrt(sum(min(r, 0)^2) / N) over all N returns (target 0);
 * - skew and kurt are population-moment estimates, m3/m2^1.5 and m4/m2^2
 *   (non-excess), as the Deflated Sharpe Ratio expects;
 * - drawdown in percent of the running peak; its duration runs from the peak
 *   to the first sample back at or above it, or to the last sample. */
#include "ablate/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"

#define GD_EULER_GAMMA 0.5772156649015329
#define GD_SQRT_2PI 2.5066282746310002
#define GD_E 2.718281828459045

/* Everything known about a metric, in one place: every output (the
 * terminal table, ablation.json, report.html) takes its names, headings,
 * units and directions from here. */
static const struct {
    const char *name;   /* JSON key */
    const char *label;  /* for people, with the unit */
    const char *head;   /* column heading, no unit */
    const char *abbr;   /* narrow terminal column */
    const char *help;   /* what it measures, one line */
    int direction;
    int unit;
} gd_metric_info[GD_M__COUNT] = {
    [GD_M_TRADES] = {"trades", "Trades", "Trades", "trades", "closed round trips", 0, GD_MU_COUNT},
    [GD_M_WIN_RATE] = {"win_rate_pct", "Win rate %", "Win rate", "win%",
                       "percent of round trips with positive net PnL", 1, GD_MU_PCT},
    [GD_M_PROFIT_FACTOR] = {"profit_factor", "Profit factor", "Profit factor", "PF",
                            "gross profit / gross loss, net of fees", 1, GD_MU_RATIO},
    [GD_M_NET_PNL] = {"net_pnl", "Net PnL", "Net PnL", "net PnL", "final minus initial equity", 1, GD_MU_MONEY},
    [GD_M_CAGR] = {"cagr_pct", "CAGR %", "CAGR", "CAGR", "compounded annual growth rate", 1, GD_MU_PCT},
    [GD_M_MAX_DD] = {"max_dd_pct", "Max DD %", "Max DD", "maxDD", "peak-to-trough drawdown of the daily curve", -1,
                     GD_MU_PCT},
    [GD_M_MAX_DD_DAYS] = {"max_dd_days", "Max DD days", "DD days", "ddDays", "longest time below a previous peak",
                          -1, GD_MU_DAYS},
    [GD_M_SHARPE] = {"sharpe", "Sharpe", "Sharpe", "Sharpe", "annualised Sharpe ratio of daily returns", 1,
                     GD_MU_RATIO},
    [GD_M_SORTINO] = {"sortino", "Sortino", "Sortino", "Sortino", "annualised Sortino ratio of daily returns", 1,
                      GD_MU_RATIO},
    [GD_M_EXPOSURE] = {"exposure_pct", "Exposure %", "Exposure", "expo", "percent of bars with a position open", 0,
                       GD_MU_PCT},
    [GD_M_AVG_R] = {"avg_r", "Avg R", "Avg R", "avgR", "mean net PnL per round trip in units of initial risk", 1,
                    GD_MU_RATIO},
    /* Less paid for the same result is better; a ranking never rewards fees. */
    [GD_M_FEES] = {"fees", "Fees", "Fees", "fees", "fees paid", -1, GD_MU_MONEY},
};

static int known(int m) { return m >= 0 && m < GD_M__COUNT; }

const char *gd_metric_name(int m) { return known(m) ? gd_metric_info[m].name : "unknown"; }
const char *gd_metric_label(int m) { return known(m) ? gd_metric_info[m].label : "unknown"; }
const char *gd_metric_head(int m) { return known(m) ? gd_metric_info[m].head : "metric"; }
const char *gd_metric_abbr(int m) { return known(m) ? gd_metric_info[m].abbr : "?"; }
const char *gd_metric_help(int m) { return known(m) ? gd_metric_info[m].help : ""; }
int gd_metric_direction(int m) { return known(m) ? gd_metric_info[m].direction : 0; }
int gd_metric_unit(int m) { return known(m) ? gd_metric_info[m].unit : GD_MU_NONE; }

double gd_mean(const double *x, size_t n)
{
    if (!x || n == 0)
        return NAN;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

double gd_stddev(const double *x, size_t n)
{
    if (!x || n < 2)
        return NAN;
    /* Two passes: the one-pass sum-of-squares formula cancels badly for
     * returns that are small next to their mean. */
    double m = gd_mean(x, n), ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (double)(n - 1));
}

void gd_max_drawdown(const int64_t *t, const double *eq, size_t n, double *dd_pct, double *dd_ms)
{
    double pct = 0.0, dur = 0.0;
    if (!t || !eq || n == 0) {
        pct = dur = NAN;
        goto out;
    }
    double peak = eq[0];
    int64_t peak_t = t[0];
    int under = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(eq[i])) {
            pct = dur = NAN;
            goto out;
        }
        if (eq[i] >= peak) {
            /* Back at (or above) the peak: the episode lasted until now. */
            if (under && (double)(t[i] - peak_t) > dur)
                dur = (double)(t[i] - peak_t);
            peak = eq[i];
            peak_t = t[i];
            under = 0;
            continue;
        }
        under = 1;
        if (peak <= 0.0) {
            /* A percentage of a non-positive peak means nothing. */
            pct = NAN;
            continue;
        }
        double d = (peak - eq[i]) / peak * 100.0;
        if (d > pct) /* false once pct is NaN: it stays NaN */
            pct = d;
    }
    /* Still under water at the end: the episode counts up to the last sample. */
    if (under && (double)(t[n - 1] - peak_t) > dur)
        dur = (double)(t[n - 1] - peak_t);
out:
    if (dd_pct)
        *dd_pct = pct;
    if (dd_ms)
        *dd_ms = dur;
}

double gd_norm_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* Acklam's rational approximation of the lower half, q in (0, 0.5]
 * (relative error ~1.15e-9), then one Halley step against erfc, which is
 * accurate in the tail, so the result is good to ~1e-15 relative there. */
static double gd_norm_ppf_lower(double q)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549732539343734e+00,
                                4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00};
    double x;
    if (q < 0.02425) {
        double u = sqrt(-2.0 * log(q));
        x = (((((c[0] * u + c[1]) * u + c[2]) * u + c[3]) * u + c[4]) * u + c[5]) /
            ((((d[0] * u + d[1]) * u + d[2]) * u + d[3]) * u + 1.0);
    } else {
        double u = q - 0.5, r = u * u;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    double e = gd_norm_cdf(x) - q;
    double u = e * GD_SQRT_2PI * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

double gd_norm_ppf(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return NAN;
    /* 1 - p is exact for p >= 0.5, so the upper half reuses the lower one
     * by symmetry without losing the tail's precision. */
    return p <= 0.5 ? gd_norm_ppf_lower(p) : -gd_norm_ppf_lower(1.0 - p);
}

double gd_expected_max_sharpe(double sr_var, double n_trials)
{
    if (!isfinite(sr_var) || !isfinite(n_trials) || sr_var < 0.0 || n_trials < 1.0)
        return NAN;
    if (n_trials == 1.0)
        return 0.0; /* no selection, nothing to deflate */
    double g = GD_EULER_GAMMA;
    return sqrt(sr_var) * ((1.0 - g) * gd_norm_ppf(1.0 - 1.0 / n_trials) +
                           g * gd_norm_ppf(1.0 - 1.0 / (n_trials * GD_E)));
}

double gd_deflated_sharpe(double sr, double sr_var, double n_trials, double n_obs, double skew,
                          double kurt)
{
    if (!isfinite(sr) || !isfinite(n_obs) || !isfinite(skew) || !isfinite(kurt) || n_obs < 2.0)
        return NAN;
    double sr0 = gd_expected_max_sharpe(sr_var, n_trials);
    double v = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr;
    if (!isfinite(sr0) || !(v > 0.0))
        return NAN;
    return gd_norm_cdf((sr - sr0) * sqrt(n_obs - 1.0) / sqrt(v));
}

/* splitmix64: tiny, fine with any seed (0 included), the same everywhere. */
static uint64_t gd_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0, without modulo bias: reject the short last cycle. */
static size_t gd_rand_below(uint64_t *s, size_t n)
{
    uint64_t bound = (uint64_t)n, min = (0 - bound) % bound, x;
    do
        x = gd_splitmix64(s);
    while (x < min);
    return (size_t)(x % bound);
}

static int gd_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's type 7: linear interpolation between order statistics at (B-1)p. */
static double gd_quantile_sorted(const double *s, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + (s[i + 1] - s[i]) * (h - (double)i);
}

size_t gd_bootstrap_mean_ci(const double *d, size_t n, unsigned B, uint64_t seed, double alpha,
                            double *mean, double *lo, double *hi)
{
    size_t m = 0;
    double sum = 0.0;
    for (size_t i = 0; d && i < n; i++)
        if (!isnan(d[i])) {
            sum += d[i];
            m++;
        }
    double mu = m ? sum / (double)m : NAN, l = NAN, h = NAN;
    double *means = NULL;
    if (m >= 2 && B > 0 && alpha > 0.0 && alpha < 1.0)
        means = calloc(B, sizeof *means); /* calloc checks B * size for overflow */
    if (means) {
        uint64_t s = seed;
        for (unsigned b = 0; b < B; b++) {
            /* Draw m of the non-NaN values: rejecting NaN slots keeps the
             * draw uniform over them without an index array. Summing in
             * draw order makes constant data give exactly the point mean. */
            double rs = 0.0;
            for (size_t k = 0; k < m; k++) {
                double x;
                do
                    x = d[gd_rand_below(&s, n)];
                while (isnan(x));
                rs += x;
            }
            means[b] = rs / (double)m;
        }
        /* qsort is not stable, but equal doubles are interchangeable, so the
         * sorted array, and the interval, do not depend on the libc. */
        qsort(means, B, sizeof *means, gd_cmp_double);
        l = gd_quantile_sorted(means, B, alpha / 2.0);
        h = gd_quantile_sorted(means, B, 1.0 - alpha / 2.0);
        free(means);
    }
    if (mean)
        *mean = mu;
    if (lo)
        *lo = l;
    if (hi)
        *hi = h;
    return m;
}

static void gd_set(gd_metrics *out, int m, double v, const char *na)
{
    out->v[m] = isnan(v) ? NAN : v;
    out->na[m] = isnan(v) ? (na ? na : "not computable") : NULL;
}

static void gd_trade_metrics(const gd_trade_stats *ts, gd_metrics *out)
{
    static const int trade_m[] = {GD_M_TRADES, GD_M_WIN_RATE, GD_M_PROFIT_FACTOR,
                                  GD_M_EXPOSURE, GD_M_AVG_R,  GD_M_FEES};
    if (!ts) {
        for (size_t i = 0; i < sizeof trade_m / sizeof trade_m[0]; i++)
            gd_set(out, trade_m[i], NAN, "no trade statistics");
        return;
    }
    gd_set(out, GD_M_TRADES, (double)ts->trades, NULL);
    gd_set(out, GD_M_WIN_RATE, ts->trades ? 100.0 * (double)ts->wins / (double)ts->trades : NAN,
           "no trades");
    if (ts->trades == 0)
        gd_set(out, GD_M_PROFIT_FACTOR, NAN, "no trades");
    else if (!(ts->gross_loss > 0.0))
        gd_set(out, GD_M_PROFIT_FACTOR, NAN, "no losing trades");
    else
        gd_set(out, GD_M_PROFIT_FACTOR, ts->gross_profit / ts->gross_loss, NULL);
    gd_set(out, GD_M_EXPOSURE, ts->bars ? 100.0 * (double)ts->exposed_bars / (double)ts->bars : NAN,
           "no bars");
    gd_set(out, GD_M_AVG_R, ts->r_count ? ts->sum_r / (double)ts->r_count : NAN,
           "no trades with a known risk");
    gd_set(out, GD_M_FEES, ts->fees, "fees not finite");
}

void gd_metrics_compute(const int64_t *t, const double *eq, size_t n, const gd_trade_stats *ts,
                        double periods_per_year, gd_metrics *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    for (int m = 0; m < GD_M__COUNT; m++)
        gd_set(out, m, NAN, "no equity samples");
    out->sr_period = out->skew = out->kurt = NAN;
    gd_trade_metrics(ts, out);
    if (!t || !eq || n == 0)
        return;

    /* Where the returns stop being defined: the first sample that is not a
     * positive finite equity (a return from or to it is meaningless). */
    const char *bad = NULL;
    for (size_t i = 0; i < n && !bad; i++) {
        if (!isfinite(eq[i]))
            bad = "equity not finite";
        else if (eq[i] <= 0.0)
            bad = i == 0 ? "starting equity not positive" : "equity reached zero";
    }

    gd_set(out, GD_M_NET_PNL, eq[n - 1] - eq[0], "equity not finite");
    double dd_pct, dd_ms;
    gd_max_drawdown(t, eq, n, &dd_pct, &dd_ms);
    gd_set(out, GD_M_MAX_DD, dd_pct, bad);
    gd_set(out, GD_M_MAX_DD_DAYS, dd_ms / (double)GD_DAY_MS, bad);

    double span_days = (double)(t[n - 1] - t[0]) / (double)GD_DAY_MS;
    if (bad)
        gd_set(out, GD_M_CAGR, NAN, bad);
    else if (span_days < 1.0)
        gd_set(out, GD_M_CAGR, NAN, "span shorter than a day");
    else {
        double c = (pow(eq[n - 1] / eq[0], 365.25 / span_days) - 1.0) * 100.0;
        gd_set(out, GD_M_CAGR, isfinite(c) ? c : NAN, "too large to annualise");
    }

    const char *why = bad;
    size_t nr = n - 1;
    if (!why && nr < 2)
        why = "fewer than 2 daily returns";
    if (!why && !(periods_per_year > 0.0 && isfinite(periods_per_year)))
        why = "periods_per_year not positive";
    if (why) {
        gd_set(out, GD_M_SHARPE, NAN, why);
        gd_set(out, GD_M_SORTINO, NAN, why);
        return;
    }

    /* Two passes over the returns, recomputed rather than stored: the mean,
     * then the central moments and the downside sum. */
    double sum = 0.0;
    for (size_t i = 1; i < n; i++)
        sum += eq[i] / eq[i - 1] - 1.0;
    double mu = sum / (double)nr, m2 = 0.0, m3 = 0.0, m4 = 0.0, down = 0.0;
    for (size_t i = 1; i < n; i++) {
        double r = eq[i] / eq[i - 1] - 1.0, c = r - mu;
        m2 += c * c;
        m3 += c * c * c;
        m4 += c * c * c * c;
        if (r < 0.0)
            down += r * r;
    }
    out->n_returns = (uint32_t)(nr > UINT32_MAX ? UINT32_MAX : nr);
    double sd = sqrt(m2 / (double)(nr - 1)), ann = sqrt(periods_per_year);
    /* Constant growth leaves only rounding noise in sd; a ratio of noise is
     * a made-up number, so treat it as no variance. */
    if (sd == 0.0 || sd <= 1e-12 * fabs(mu)) {
        gd_set(out, GD_M_SHARPE, NAN, GD_NA_NO_VARIANCE);
    } else {
        m2 /= (double)nr;
        m3 /= (double)nr;
        m4 /= (double)nr;
        out->sr_period = mu / sd;
        out->skew = m3 / pow(m2, 1.5);
        out->kurt = m4 / (m2 * m2);
        gd_set(out, GD_M_SHARPE, out->sr_period * ann, NULL);
    }
    double dd = sqrt(down / (double)nr);
    gd_set(out, GD_M_SORTINO, dd > 0.0 ? mu / dd * ann : NAN, "no losing days");
}
