/* The engine: plugin instances, the host-API table they see, the per-bar
 * dispatch, and the wiring of pipeline, book, executor and intent log. */
#ifndef GD_ENGINE_H
#define GD_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include <gordon/sdk.h>

#include "book.h"
#include "config.h"
#include "err.h"
#include "executor.h"
#include "intentlog.h"
#include "loader.h"
#include "pipeline.h"

typedef struct gd_engine gd_engine;

/* A parameter value imposed on an instance (walk-forward search). */
typedef struct gd_param_override {
    const char *instance;  /* section name: "strategy.ema" */
    const char *param;
    double value;
} gd_param_override;

typedef struct gd_engine_opts {
    const gd_config *cfg;        /* borrowed; must outlive the engine */
    const char *const *symbols;  /* the symbol universe, ids in this order */
    uint32_t n_symbols;
    const char *plugin_dir;      /* where bare plugin names are looked up */
    /* Instances to leave out (ablation toggles overlays): names of
     * [kind.NAME] sections, or NULL. */
    const char *const *skip;
    uint32_t n_skip;
    /* Optional: plugins already opened (by the resolved path), shared by
     * many engines; the engine then opens nothing itself. Borrowed. */
    const gd_plugin_set *shared_plugins;
    const gd_param_override *overrides;
    uint32_t n_overrides;
    /* Backtest windows: signals before this time are dropped (return -1 to
     * the plugin) so indicators warm up on earlier bars without trading.
     * 0 means no such restriction. */
    int64_t trade_from_ms;
} gd_engine_opts;

/* Loads and checks every enabled plugin, binds its parameters, creates its
 * instances, sets up the simulated executor. Nothing is half-built on error. */
int gd_engine_new(const gd_engine_opts *opts, gd_engine **out, gd_err *err);
void gd_engine_free(gd_engine *e);

/* Takes ownership of an intent log (closed by gd_engine_free). */
void gd_engine_set_intentlog(gd_engine *e, gd_intentlog log);

/* The hot path: one closed bar of symbol. Allocates nothing. */
void gd_engine_on_bar(gd_engine *e, uint32_t symbol, const gordon_bar *bar);

/* Writes buffered intents; call between batches of bars. */
int gd_engine_flush(gd_engine *e, gd_err *err);

typedef struct gd_engine_stats {
    uint64_t bars;
    uint64_t signals;
    uint64_t by_result[GORDON_REJECT__COUNT];
    int halted;
    char halt_reason[160];
} gd_engine_stats;

const gd_book *gd_engine_book(const gd_engine *e);
void gd_engine_stats_get(const gd_engine *e, gd_engine_stats *out);

/* A human summary of the run (trades, PnL, drawdown, rejections). */
void gd_engine_summary(const gd_engine *e, FILE *out);

/* The halt latch. Setting it is always allowed; clearing is the operator's. */
void gd_engine_halt(gd_engine *e, const char *who, const char *why);
int gd_engine_halted(const gd_engine *e);

#endif
