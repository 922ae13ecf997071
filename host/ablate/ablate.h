/* Walk-forward ablation: a strategy evaluated out of sample, window by window,
 * with every subset of overlays that the ablation needs (baseline, each alone,
 * all, all but one), parameters chosen in sample per window, in parallel and
 * deterministically. The result is plain data for the table, ablation.json
 * and report.html. */
#ifndef GD_ABLATE_H
#define GD_ABLATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gordon/sdk.h>

#include "config/config.h"
#include "base/err.h"
#include "ablate/stats.h"

#define GD_ABLATE_SCHEMA 1

typedef struct gd_ab_window {
    int64_t train_start, train_end;  /* [start, end) in ms, bar close times */
    int64_t test_start, test_end;
} gd_ab_window;

/* One symbol's contribution to a configuration, summed over its
 * out-of-sample windows that ran: round trips closed, winners among them,
 * fees charged, and net PnL (realised net of every fee, plus what was still
 * open at each window's end, marked at its last close) in the chained
 * curve's money: a window's PnL scaled by its equity at the start of that
 * window over the configured equity, as the chained curve scales it. The
 * symbols' net PnL sum to the configuration's net PnL. */
typedef struct gd_ab_symbol {
    uint64_t trades;
    uint64_t wins;
    double net_pnl;
    double fees;
} gd_ab_symbol;

/* One evaluated configuration (a set of enabled overlays). */
typedef struct gd_ab_config {
    char name[128];          /* "baseline", "+trend", "all", "all-trend" */
    char **overlays;         /* owned: names of the enabled overlays */
    size_t n_overlays;
    int failed;              /* 1: every window failed; see fail_reason */
    char fail_reason[256];
    gd_metrics overall;      /* over the concatenated out-of-sample curve */
    gd_metrics *win;         /* owned: per window, out of sample */
    int *win_failed;         /* owned: per window, 1 if that window could not run */
    char **win_params;       /* owned: per window, the chosen parameters ("fast=12 slow=30") */
    double dsr;              /* Deflated Sharpe Ratio of the overall curve, NaN if undefined */
    const char *dsr_na;      /* reason when dsr is NaN */
    uint64_t signals;        /* out of sample, summed over the windows that ran */
    uint64_t by_result[GORDON_REJECT__COUNT]; /* ... and the pipeline's counts per result */
    int64_t *curve_t;        /* owned: concatenated OOS equity, one point per UTC day end */
    double *curve_eq;
    size_t curve_n;
    char *trades;            /* owned: its out-of-sample trades as CSV, a window column first, or NULL */
    gd_ab_symbol *by_symbol; /* owned: per symbol of the result, in its order */
} gd_ab_config;

typedef enum gd_ab_verdict { GD_AB_INCONCLUSIVE = 0, GD_AB_HELPS = 1, GD_AB_HURTS = 2 } gd_ab_verdict;

/* "inconclusive", "helps", "hurts" (anything else: "inconclusive"). */
const char *gd_ab_verdict_name(int verdict);

/* A paired difference across windows: mean and bootstrap interval. */
typedef struct gd_ab_effect {
    double mean, lo, hi;     /* NaN if fewer than 2 paired windows */
    size_t n;                /* paired windows used */
} gd_ab_effect;

/* The metrics effects are reported for, in this order. */
#define GD_AB_N_EFFECT_METRICS 4
extern const int gd_ab_effect_metrics[GD_AB_N_EFFECT_METRICS]; /* SHARPE, MAX_DD, CAGR, TRADES */

typedef struct gd_ab_overlay {
    char name[64];
    gd_ab_effect alone[GD_AB_N_EFFECT_METRICS];    /* "+X" minus "baseline", per window */
    gd_ab_effect marginal[GD_AB_N_EFFECT_METRICS]; /* "all" minus "all-X", per window */
    int verdict;             /* gd_ab_verdict, from the marginal Sharpe interval */
    char verdict_reason[160];
} gd_ab_overlay;

typedef struct gd_ab_plugin {
    char instance[96];       /* "strategy.ema" */
    char plugin[64];         /* descriptor name */
    char version[32];
    char path[512];
    char sha256[65];
} gd_ab_plugin;

typedef struct gd_ab_result {
    int schema;              /* GD_ABLATE_SCHEMA */
    char git_describe[64];
    char config_path[512];
    char strategy[96];       /* instance name */
    char objective[32];      /* sharpe | sortino | cagr | net_pnl */
    char mode[16];           /* rolling | anchored */
    int64_t train_ms, test_ms, step_ms;
    double periods_per_year;
    unsigned bootstrap;      /* resamples */
    double alpha;            /* intervals are (1 - alpha) two-sided */
    uint64_t seed;
    double equity;           /* starting equity of every window */
    char **symbols;          /* owned */
    size_t n_symbols;
    int64_t data_start, data_end;  /* ms */
    uint64_t data_bars;
    /* SHA-256 of the lines "HEX  SYMBOL\n" (sha256sum's format), HEX the
     * SHA-256 of each data file as read, in the order read ([replay] data or
     * --data; the tape breaks ties by it). Not in ablation.json. */
    char data_sha256[65];
    gd_ab_plugin *plugins;   /* owned */
    size_t n_plugins;
    gd_ab_window *windows;   /* owned */
    size_t n_windows;
    gd_ab_config *configs;   /* owned; configs[0] is the baseline */
    size_t n_configs;
    gd_ab_overlay *overlays; /* owned */
    size_t n_overlays;
    uint64_t param_sets;     /* parameter sets tried per config and window */
    uint64_t trials;         /* configs x param sets: the DSR's number of trials */
    uint64_t runs;           /* engine runs done */
    uint64_t bars_run;       /* bars fed through the engine over all runs (warm-up included) */
    double seconds;          /* wall time (not part of the deterministic output) */
    unsigned jobs;
    unsigned shards;         /* merged from this many shards; 0: run here */
} gd_ab_result;

void gd_ab_result_free(gd_ab_result *r);

/* The one ranking of the configurations, shown by the terminal table and
 * report.html alike: order[0..n_configs) gets their indexes, best first.
 * Configurations that ran come before failed ones; then the larger overall
 * Sharpe first, an undefined Sharpe after every defined one; ties keep the
 * configurations' order, so the ranking is deterministic. */
void gd_ab_rank(const gd_ab_result *r, size_t *order);

/* The human outputs, all from a finished result. */
int gd_ab_write_table(const gd_ab_result *r, FILE *out, gd_err *err);
int gd_ab_write_json(const gd_ab_result *r, const char *path, gd_err *err);
/* DIR/trades/NAME.csv per configuration (NAME: its name, anything but
 * [A-Za-z0-9_+.-] as '_'): the trade list of `gordon run --trades` for its
 * out-of-sample windows, in order, each row led by its window's index.
 * Each file is written beside and renamed. */
int gd_ab_write_trades(const gd_ab_result *r, const char *dir, gd_err *err);
int gd_ab_write_html(const gd_ab_result *r, FILE *out, gd_err *err);

/* Formats a metric value for people: "n/a" for NaN, units per metric. */
void gd_ab_format_metric(int metric, double v, char *buf, size_t cap);

#endif
