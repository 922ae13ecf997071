/* A distribution-free 95% interval for the q-quantile of n sorted samples,
 * for the benches' verdicts: how many samples fall below the true quantile
 * is Binomial(n, q), so two order statistics bracket it. With few samples
 * one side has no bound (the largest sample may still be below a p99). */
#ifndef GD_BENCH_QUANTILE_H
#define GD_BENCH_QUANTILE_H

#include <math.h>
#include <stddef.h>

/* lo: the last index with P(B <= lo) <= 2.5% (-1 when there is none);
 * hi: the first with P(B <= hi) >= 97.5% (n when there is none). The pmf
 * in logs: n may be thousands. */
static inline void gd_bench_quantile_ci(size_t n, double q, long *lo, size_t *hi)
{
    double cdf = 0, lp = log(q), lq = log(1.0 - q), ln = lgamma((double)n + 1);
    *lo = -1;
    *hi = n;
    for (size_t k = 0; k < n; k++) {
        cdf += exp(ln - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) + (double)k * lp + (double)(n - k) * lq);
        if (cdf <= 0.025)
            *lo = (long)k;
        if (cdf >= 0.975) {
            *hi = k;
            break;
        }
    }
}

/* Goal "below goal": met when the interval is all under it, NOT met when
 * all at or over it, else not shown (no bound on a side counts as open). */
static inline const char *gd_bench_verdict(const double *v, size_t n, long lo, size_t hi, double goal)
{
    if (hi < n && v[hi] < goal)
        return "met";
    if (lo >= 0 && v[lo] >= goal)
        return "NOT met";
    return "not shown: too few samples or too close";
}

#endif
