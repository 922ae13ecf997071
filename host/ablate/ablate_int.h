/* Internals shared by the files of host/ablate/ (like libuv's uv-common.h);
 * nothing outside the room includes this.
 *
 *   settings.c  [ablate] settings, durations, objectives, walk-forward windows
 *   grid.c      tunable axes of the strategy, grid thinning, grid points
 *   plugins.c   plugins loaded once for every run, the instances recorded
 *   runner.c    one engine run over a window, the thread pool, progress
 *   ablate.c    gd_ablate_run, phase by phase; effects, verdicts, the ranking;
 *               shards and their merge
 *   shard.c     a shard's file: writing, reading, merging
 *   runs.c      the runs' memory
 *   stats.c     statistics and the metric table (names, labels, directions)
 *   format.c    text for people: HTML escaping, numbers, dates, metric values
 *   table.c     the terminal table
 *   json.c      ablation.json
 *   record.c    the row of trading.ablation_runs (gordon ablate --record)
 *   report.c    report.html: page, tables, notes
 *   svg.c       report.html: charts, axes, paths, colours */
#ifndef GD_ABLATE_INT_H
#define GD_ABLATE_INT_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "ablate/ablate.h"
#include "ablate/ablate_run.h"
#include "ablate/stats.h"
#include "base/err.h"
#include "config/config.h"
#include "data/replay.h"
#include "plugin/libcache.h"
#include "plugin/loader.h"

#define MAX_OVERLAYS 16
/* baseline, each alone, all, all but each */
#define MAX_CONFIGS (2 + 2 * MAX_OVERLAYS)
/* Sentinel of a configuration index: no such configuration. */
#define NO_CFG (-1)

/* ------------------------------------------------------------ the run */

/* The market data of an ablation, loaded once and read by every run. */
typedef struct ab_data {
    gd_series *series;    /* owned */
    size_t n_series;
    gd_tape tape;
    int64_t *close;       /* owned: close time of each tape bar */
    const char **symbols; /* borrowed names, one per series */
} ab_data;

/* What every run shares, read-only once the runs start. */
typedef struct ab_ctx {
    const gd_config *cfg;
    const gd_ablate_settings *s;
    gd_plugin_dirs plugin_dirs; /* borrowed from gd_ablate_opts */
    FILE *progress;            /* borrowed, NULL: quiet; the searched and pinned parameters go here */
    gd_libcache *cache;        /* owned: the plugins, loaded once, shared read-only by every run */
    gd_plugin_lib *libs[2 + MAX_OVERLAYS]; /* borrowed from cache: the distinct libraries loaded */
    size_t n_libs;
    ab_data data;
    char strategy_label[96];   /* "strategy.ema" */
    char overlay_names[MAX_OVERLAYS][80];   /* instance names */
    char overlay_labels[MAX_OVERLAYS][96];  /* "overlay.trend" */
    char overlay_error[MAX_OVERLAYS][256];  /* load failure, or "" */
    size_t n_overlays;
    gd_ab_axis axes[GD_AB_MAX_TUNE];
    size_t n_axes;
    uint64_t n_sets;
    int64_t warmup_ms;
} ab_ctx;

/* One configuration to evaluate: the overlays enabled, as a bit mask. */
typedef struct ab_cfg {
    uint32_t mask;
    char name[128];
    int failed;
    char reason[256];
} ab_cfg;

/* What one engine run over [start, end) yields. A run that cannot be done
 * is a result too (failed, with the reason), not an error of the ablation. */
typedef struct ab_run {
    int failed;
    char error[200];
    uint64_t bars_fed;
    gd_trade_stats ts;
    uint64_t signals;  /* decided while trading (warm-up signals are dropped) */
    uint64_t by_result[GORDON_REJECT__COUNT]; /* the pipeline's counts: why it (did not) trade */
    int64_t *t;        /* owned: daily samples */
    double *eq;
    size_t n;
    gd_metrics m;
    char *trades;      /* owned: out-of-sample runs' trade rows (engine/trades.h, no header), or NULL */
    gd_ab_symbol *sym; /* owned: out-of-sample runs' per-symbol stats (data.n_series), or NULL */
} ab_run;

/* settings.c: the metric an objective maximises. */
int gd_ab_objective_metric(int objective);

/* grid.c: the axes searched for the strategy d, configured as pc: its
 * tunable parameters, or those given a range. Fills c->axes and c->n_sets. */
int gd_ab_axes_build(ab_ctx *c, const gordon_plugin *d, const gd_plugin_conf *pc, gd_err *err);

/* plugins.c: loads the enabled plugins (the evaluated strategy and every
 * overlay) into c->plugins, records them in res and builds the axes. */
int gd_ab_plugins_load(ab_ctx *c, gd_ab_result *res, gd_err *err);
/* The most bars of warm-up any loaded plugin declares. */
uint32_t gd_ab_plugins_warmup_bars(const ab_ctx *c);
void gd_ab_plugins_free(ab_ctx *c);

/* runner.c: every engine run of the ablation. For each configuration and
 * window, the in-sample search over the grid (when there is a choice), then
 * the out-of-sample run with the chosen parameter set. */
typedef struct ab_plan {
    const ab_ctx *c;
    const ab_cfg *cfgs;
    size_t n_cfgs;
    const gd_ab_window *wins;
    size_t n_wins;
    unsigned jobs;             /* worker threads */
    FILE *progress;            /* NULL: silent */
    int progress_tty;
    uint64_t t0;               /* uv_hrtime() when the ablation started */
    uint32_t shard_k, shard_n; /* shard_n 0: every pair; else the pairs i with i % shard_n == shard_k */
} ab_plan;

typedef struct ab_runs {
    ab_run *oos;               /* owned: by cfg * n_wins + win (a shard's: its pairs only) */
    uint64_t *chosen;          /* owned: the parameter set chosen, same index */
    size_t n;
    uint64_t runs;             /* engine runs done */
    uint64_t bars;             /* bars fed through the engine */
    uint32_t shards;           /* merged: the distinct shards read */
} ab_runs;

int gd_ab_run_all(const ab_plan *p, ab_runs *out, gd_err *err);

/* runs.c: one run's memory, and all of them (the struct zeroed after). */
void gd_ab_run_free(ab_run *r);
void gd_ab_runs_free(ab_runs *r);

/* shard.c: a shard's file (gordon ablate --shard K/N) and the merge. */
typedef struct ab_shard_hdr {
    uint32_t k, n;             /* shard k of n: the pairs i with i % n == k */
    char key[65];              /* hex SHA-256 naming the ablation (ablate.c: shard_key) */
    char config_path[512];     /* as given to the shard, for merge's default */
    uint32_t n_cfgs, n_wins, n_symbols;
    uint64_t runs, bars;       /* engine runs done and bars fed by this shard */
    uint64_t n_sets;           /* merge's expectation only (the key covers it): a chosen set is below it */
} ab_shard_hdr;

/* Writes h and the shard's pairs of runs to path atomically (a unique
 * temporary file renamed over it: concurrent writers never mix). */
int gd_ab_shard_write(const char *path, const ab_shard_hdr *h, const ab_runs *runs, gd_err *err);
/* Reads and checks one shard's header (its checksum first). */
int gd_ab_shard_read_header(const char *path, ab_shard_hdr *h, gd_err *err);
/* The config path the first shard among paths (files or directories)
 * records. */
int gd_ab_shard_config(const char *const *paths, size_t n_paths, char *config, size_t cap, gd_err *err);
/* Every shard among paths into out (every pair, metrics recomputed): each
 * must carry want's key and shape, every index 0..n-1 must be there, and an
 * index found twice must be the same bytes. runs and bars are summed over
 * the distinct shards. */
int gd_ab_shard_merge(const char *const *paths, size_t n_paths, const ab_shard_hdr *want, double periods_per_year,
                      ab_runs *out, gd_err *err);

/* ------------------------------------------------------------ the outputs */

struct cJSON;
/* json.c: the whole result as ablation.json's tree (the caller deletes it);
 * NULL if memory ran out. */
struct cJSON *gd_ab_result_tree(const gd_ab_result *r);

/* format.c: s escaped for HTML text and attribute values, at most max bytes
 * (stops at NUL); control characters become spaces. */
void gd_ab_esc_n(FILE *f, const char *s, size_t max);
void gd_ab_esc(FILE *f, const char *s);
/* A fixed char array member: never read past its end. */
#define GD_AB_ESC_ARR(f, a) gd_ab_esc_n((f), (a), sizeof(a))

/* v with `decimals` decimals, optional thousands separators and explicit
 * plus sign. "-0.00" is printed "0.00"; NaN "n/a". */
void gd_ab_fmt_num(char *buf, size_t cap, double v, int decimals, int sep, int plus);
void gd_ab_fmt_u64(char *buf, size_t cap, uint64_t v);   /* with thousands separators */
void gd_ab_fmt_date(char *buf, size_t cap, int64_t ms);  /* YYYY-MM-DD, UTC */
void gd_ab_fmt_days(char *buf, size_t cap, int64_t ms);  /* "30 days", "1.5 days" */

/* svg.c: a configuration's colour as a small line swatch (table rows,
 * legends); the two chart sections of report.html. */
void gd_ab_svg_swatch(FILE *f, size_t cfg);
void gd_ab_html_curves(const gd_ab_result *r, FILE *f);
void gd_ab_html_bars(const gd_ab_result *r, FILE *f);

/* A window's metric: NaN where the window failed or is missing. */
static inline double gd_ab_win_metric(const gd_ab_config *c, size_t w, int m)
{
    if (!c->win || (c->win_failed && c->win_failed[w]))
        return NAN;
    return c->win[w].v[m];
}

/* Why gd_ab_win_metric is NaN. */
static inline const char *gd_ab_win_na(const gd_ab_config *c, size_t w, int m)
{
    if (!c->win)
        return "no per-window metrics";
    if (c->win_failed && c->win_failed[w])
        return "window failed";
    return c->win[w].na[m] ? c->win[w].na[m] : "not computable";
}

#endif
