/* The ablation runner's settings, windows, parameter grid and entry point. */
#ifndef GD_ABLATE_RUN_H
#define GD_ABLATE_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "ablate/ablate.h"
#include "config/config.h"
#include "base/err.h"
#include "plugin/path.h"

#define GD_AB_MAX_TUNE 8

/* range.PARAM = min:max:step */
typedef struct gd_ab_range {
    char param[64];
    double min, max, step;
    const char *file; /* borrowed from the config */
    int line;
} gd_ab_range;

/* [ablate] */
typedef struct gd_ablate_settings {
    char strategy[64];        /* instance to evaluate; "" = the only one */
    int64_t train_ms, test_ms, step_ms;
    int anchored;             /* 0 rolling, 1 anchored (train grows from the start) */
    int objective;            /* index into the objective names */
    uint32_t max_param_sets;
    unsigned bootstrap;
    uint64_t seed;
    double alpha;
    double periods_per_year;
    int64_t warmup_ms;        /* -1 = auto */
    gd_ab_range ranges[GD_AB_MAX_TUNE];
    size_t n_ranges;
} gd_ablate_settings;

/* Validates cfg->ablate; errors name file:line and key. */
int gd_ablate_settings_parse(const gd_config *cfg, gd_ablate_settings *s, gd_err *err);
const char *gd_ablate_objective_name(int objective);

/* Walk-forward windows over [data_start, data_end]: writes up to cap and
 * returns how many there are. Only whole windows; never random. */
size_t gd_ablate_windows(int64_t data_start, int64_t data_end, const gd_ablate_settings *s,
                         gd_ab_window *out, size_t cap);

/* One tunable parameter's values: min, min+step, ..., thinned to `keep`. */
typedef struct gd_ab_axis {
    char param[64];
    int is_int;
    double min, max, step;
    uint32_t count;   /* values in the full range */
    uint32_t keep;    /* values searched */
} gd_ab_axis;

uint64_t gd_ablate_grid_size(const gd_ab_axis *ax, size_t n);
void gd_ablate_grid_thin(gd_ab_axis *ax, size_t n, uint64_t max_sets);
void gd_ablate_grid_point(const gd_ab_axis *ax, size_t n, uint64_t k, double *values);

typedef struct gd_ablate_opts {
    const gd_config *cfg;
    const char *config_path;
    gd_plugin_dirs plugin_dirs; /* borrowed: must outlive the run */
    unsigned jobs;            /* worker threads */
    FILE *progress;           /* NULL: silent */
    int progress_tty;         /* 1: a redrawn bar; 0: a line per 10% */
    uint32_t shard_k, shard_n; /* gd_ablate_shard: run shard k of n */
} gd_ablate_opts;

int gd_ablate_run(const gd_ablate_opts *o, gd_ab_result *res, gd_err *err);

/* Scale-out. The work is the (configuration, window) pairs, numbered
 * configuration x windows + window; shard K of N owns the pairs i with
 * i % N == K and runs their in-sample search and out-of-sample run, exactly
 * as a whole run would. */
typedef struct gd_ab_shard_info {
    char path[4352];          /* DIR/shard-K-of-N.gdab */
    uint64_t pairs, runs, bars;
    double seconds;
} gd_ab_shard_info;

/* Runs shard o->shard_k of o->shard_n and writes DIR/shard-K-of-N.gdab
 * atomically (two processes given the same shard write the same bytes, and
 * neither sees the other's half). */
int gd_ablate_shard(const gd_ablate_opts *o, const char *dir, gd_ab_shard_info *info, gd_err *err);
/* The result of the whole ablation from its shards (paths: shard files or
 * directories of them), the same as gd_ablate_run's: o must describe the
 * same ablation (checked against each shard's key), every shard must be
 * there. */
int gd_ablate_merge(const gd_ablate_opts *o, const char *const *paths, size_t n_paths, gd_ab_result *res,
                    gd_err *err);
/* The configuration path the shards were run with (merge's default). */
int gd_ablate_shard_config(const char *const *paths, size_t n_paths, char *config, size_t cap, gd_err *err);

#endif
