/* bench_isolation: what running plugins in sandboxed workers costs. The
 * pipeline of bench_replay (1 strategy + 3 overlays + 1 breaker, sizing,
 * caps, simulated fills) on real USD/CHF 30m bars, in-process and isolated:
 * bars per second, and the latency of one bar from its arrival to its
 * intents recorded (gd_engine_on_bar returns after both), p50/p99/max.
 * The goal beside it: isolated p99 under 200 us per bar.
 *
 * usage: bench_isolation [--bars N]   (isolated run; default 20000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "config/config.h"
#include "data/replay.h"
#include "engine/engine.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct result {
    double seconds, p50, p99, max;
    uint64_t signals, trades, deaths;
} result;

static int run(gd_config *cfg, int isolate, const gordon_bar *bars, size_t n, result *out)
{
    const char *syms[1] = {"USDCHF"};
    gd_engine_opts o;
    gd_engine *e;
    gd_err err;
    memset(&o, 0, sizeof o);
    cfg->iso_plugins = isolate;
    o.cfg = cfg;
    o.symbols = syms;
    o.n_symbols = 1;
    o.plugin_dirs.last = GD_BENCH_PLUGIN_DIR;
    if (gd_engine_new(&o, &e, &err) != 0) {
        fprintf(stderr, "bench_isolation: %s\n", err.msg);
        return -1;
    }
    double *lat = malloc(n * sizeof *lat);
    if (!lat) {
        gd_engine_free(e);
        return -1;
    }
    double t0 = now_us();
    for (size_t i = 0; i < n; i++) {
        double a = now_us();
        gd_engine_on_bar(e, 0, &bars[i]);
        lat[i] = now_us() - a;
    }
    out->seconds = (now_us() - t0) / 1e6;
    gd_engine_stats st;
    gd_engine_stats_get(e, &st);
    out->signals = st.signals;
    out->trades = gd_engine_book(e)->trades;
    out->deaths = gd_engine_counters_get(e)->worker_deaths;
    gd_engine_free(e);
    qsort(lat, n, sizeof *lat, cmp_double);
    out->p50 = lat[n / 2];
    out->p99 = lat[(size_t)((double)(n - 1) * 0.99)];
    out->max = lat[n - 1];
    free(lat);
    return 0;
}

static void print(const char *label, size_t n, const result *r)
{
    printf("%-12s %7zu bars %10.0f bars/s   per bar p50 %8.1f us  p99 %8.1f us  max %9.1f us   "
           "%llu signals, %llu trades, %llu worker deaths\n",
           label, n, (double)n / r->seconds, r->p50, r->p99, r->max, (unsigned long long)r->signals,
           (unsigned long long)r->trades, (unsigned long long)r->deaths);
}

int main(int argc, char **argv)
{
    size_t n_iso = 20000;
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--bars") == 0)
            n_iso = strtoull(argv[i + 1], NULL, 10);
    gd_config cfg;
    gd_err err;
    gd_log_init(stderr, GD_LOG_WARN);
    if (gd_config_load(GD_BENCH_SRC "/bench/replay.ini", NULL, &cfg, &err) != 0) {
        fprintf(stderr, "bench_isolation: %s\n", err.msg);
        return 1;
    }
    if (!cfg.iso_worker && !(cfg.iso_worker = strdup(GD_BENCH_WORKER)))
        return 1;
    gd_series real;
    if (gd_csv_load(GD_BENCH_SRC "/data/usdchf_30m_1996_2001.csv", "USDCHF", &real, &err) != 0) {
        fprintf(stderr, "bench_isolation: %s\n", err.msg);
        return 1;
    }
    if (n_iso == 0 || n_iso > real.n)
        n_iso = real.n;
    printf("bench_isolation: 1 strategy (ema_cross) + 3 overlays + drawdown breaker, real USD/CHF 30m; "
           "latency = one bar in to its intents recorded\n");
    result in, iso;
    if (run(&cfg, 0, real.bars, n_iso, &in) != 0 || run(&cfg, 1, real.bars, n_iso, &iso) != 0)
        return 1;
    print("in-process", n_iso, &in);
    print("isolated", n_iso, &iso);
    printf("isolated / in-process: %.0fx the time per bar; goal: isolated p99 < 200 us per bar -> %s "
           "(%.1f us)\n",
           in.seconds > 0 ? iso.seconds / in.seconds : 0.0, iso.p99 < 200 ? "met" : "NOT met", iso.p99);
    if (in.signals != iso.signals || in.trades != iso.trades)
        printf("WARNING: the two runs differ (signals %llu vs %llu, trades %llu vs %llu)\n",
               (unsigned long long)in.signals, (unsigned long long)iso.signals, (unsigned long long)in.trades,
               (unsigned long long)iso.trades);
    gd_series_free(&real);
    gd_config_free(&cfg);
    return 0;
}
