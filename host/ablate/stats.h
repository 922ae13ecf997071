/* Performance statistics of a backtest, from an equity curve sampled at
 * UTC day ends and the book's trade statistics. A value that cannot be
 * computed is NaN with a reason, never a made-up number. */
#ifndef GD_STATS_H
#define GD_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef enum gd_metric {
    GD_M_TRADES = 0,     /* closed round trips */
    GD_M_WIN_RATE,       /* percent of round trips with positive net PnL */
    GD_M_PROFIT_FACTOR,  /* gross profit / gross loss, net of fees */
    GD_M_NET_PNL,        /* final - initial equity */
    GD_M_CAGR,           /* percent per year, compounded over the span */
    GD_M_MAX_DD,         /* percent, peak to trough of the daily curve */
    GD_M_MAX_DD_DAYS,    /* longest time below a previous peak, days */
    GD_M_SHARPE,         /* annualised: mean/sd of daily returns x sqrt(periods_per_year) */
    GD_M_SORTINO,        /* annualised: mean / downside deviation x sqrt(periods_per_year) */
    GD_M_EXPOSURE,       /* percent of bars with a position open */
    GD_M_AVG_R,          /* mean of net PnL / initial risk per round trip */
    GD_M_FEES,           /* fees paid */
    GD_M__COUNT
} gd_metric;

/* What the book knows about trades, summed over a run. */
typedef struct gd_trade_stats {
    uint64_t trades;
    uint64_t wins;
    double gross_profit;  /* sum of winning round trips, net of fees */
    double gross_loss;    /* sum of losing round trips, positive */
    double fees;
    double sum_r;         /* sum of R multiples */
    uint64_t r_count;     /* round trips with a known initial risk */
    uint64_t bars;        /* bars observed */
    uint64_t exposed_bars;/* bars observed with at least one position open */
} gd_trade_stats;

/* The reason a Sharpe or Sortino is NaN on a flat curve: a flat window is
 * worth zero in a paired comparison, not "unknown". */
#define GD_NA_NO_VARIANCE "no variance (flat equity)"

typedef struct gd_metrics {
    double v[GD_M__COUNT];          /* NaN where not computable */
    const char *na[GD_M__COUNT];    /* static reason when v is NaN, else NULL */
    /* for the Deflated Sharpe Ratio */
    uint32_t n_returns;             /* daily returns used */
    double sr_period;               /* per-period (non-annualised) Sharpe */
    double skew;                    /* of the daily returns */
    double kurt;                    /* non-excess kurtosis (normal = 3) */
} gd_metrics;

/* How a metric's value reads: the unit it is in. */
typedef enum gd_mu {
    GD_MU_NONE = 0,      /* not a known metric */
    GD_MU_COUNT,         /* a whole number (trades) */
    GD_MU_PCT,           /* percent; a difference of two is in percentage points */
    GD_MU_RATIO,         /* a plain ratio (Sharpe, profit factor) */
    GD_MU_MONEY,         /* the account's currency */
    GD_MU_DAYS
} gd_mu;

/* The one table of what a metric is called and how it reads, for every
 * output; out of range: a placeholder, never NULL. */
const char *gd_metric_name(int m);   /* "sharpe", "max_dd_pct", ... for JSON */
const char *gd_metric_label(int m);  /* "Sharpe", "Max DD %", ... for people */
const char *gd_metric_head(int m);   /* "Sharpe", "Max DD", "DD days": a column heading, no unit */
const char *gd_metric_abbr(int m);   /* "Sharpe", "maxDD", "win%": a narrow terminal column */
const char *gd_metric_help(int m);   /* "closed round trips": what it measures */
/* 1 if a larger value is better (Sharpe), -1 if smaller is (max drawdown), 0 neither (trades). */
int gd_metric_direction(int m);
int gd_metric_unit(int m);           /* gd_mu */

/* eq[i] is the equity at time t[i] (ms), t strictly increasing, n >= 1 and
 * eq[0] the starting equity. periods_per_year scales Sharpe and Sortino for
 * daily samples (365 for markets that never close, 252 for exchanges). */
void gd_metrics_compute(const int64_t *t, const double *eq, size_t n, const gd_trade_stats *ts,
                        double periods_per_year, gd_metrics *out);

/* Building blocks, exposed for tests and for the ablation's statistics. */
double gd_mean(const double *x, size_t n);
double gd_stddev(const double *x, size_t n);      /* sample (n - 1); NaN if n < 2 */
void gd_max_drawdown(const int64_t *t, const double *eq, size_t n, double *dd_pct, double *dd_ms);

double gd_norm_cdf(double x);
double gd_norm_ppf(double p);   /* inverse of gd_norm_cdf, p in (0, 1) */

/* Deflated Sharpe Ratio (Bailey & Lopez de Prado, 2014): the probability that
 * the true Sharpe exceeds the best one expected from n_trials unskilled tries.
 * sr: per-period Sharpe of the strategy; sr_var: variance of the per-period
 * Sharpes across the trials; n_obs: number of returns; skew, kurt of the
 * returns (kurt non-excess). NaN if undefined. */
double gd_deflated_sharpe(double sr, double sr_var, double n_trials, double n_obs, double skew,
                          double kurt);
/* The expected maximum Sharpe of n_trials unskilled tries (SR0 in the paper). */
double gd_expected_max_sharpe(double sr_var, double n_trials);

/* Percentile bootstrap of the mean of d[0..n): B resamples with replacement
 * from a seeded generator (deterministic). NaN values in d are skipped.
 * Returns the number of values used; lo/hi NaN if fewer than 2. */
size_t gd_bootstrap_mean_ci(const double *d, size_t n, unsigned B, uint64_t seed, double alpha,
                            double *mean, double *lo, double *hi);

#endif
