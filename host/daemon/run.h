/* `gordon run` over replayed bars: everything on one libuv loop. CSVs load on
 * the threadpool; bars are replayed in batches from an idle handle (or paced
 * by a timer) so that the loop keeps serving its other handles: signals, the
 * operator HTTP API, FRED fetches. */
#ifndef GD_RUN_H
#define GD_RUN_H

#include <stdio.h>

#include "config/config.h"
#include "engine/engine.h"
#include "base/err.h"

typedef struct gd_run_opts {
    const gd_config *cfg;
    const char *config_path;  /* re-read on SIGHUP (NULL: reload only conf.d and the environment) */
    const char *confd;        /* as given to gd_config_load */
    gd_plugin_dirs plugin_dirs; /* see gd_engine_opts */
    const char *intent_log;   /* overrides cfg->intent_log when non-NULL */
    const char *trades;       /* the trade list (engine/trades.h), or NULL */
    FILE *summary;            /* NULL: no summary */
    const char *banner;       /* a line for summary once everything is up and the replay starts
                                 (NULL: none): a run that fails to start prints none */
    const char *const *skip;  /* instances to leave out, see gd_engine_opts */
    uint32_t n_skip;
    int *port_out;            /* if non-NULL: the operator API's bound port */
    int quiet;                /* keep the log level at warnings across reloads */
    /* Called once everything is listening, before data loads (tests, sd_notify). */
    void (*ready)(void *arg, int http_port);
    void *ready_arg;
    double duration_ms;       /* > 0: stop this long after trading starts (gordon soak), as at the data's end */
} gd_run_opts;

typedef struct gd_run_result {
    uint64_t reloads_ok, reloads_failed;
    uint64_t bars;
    double seconds;           /* wall time of the replay itself */
    int interrupted;          /* SIGINT/SIGTERM stopped it early */
    int duration_reached;     /* opts.duration_ms passed */
    double trading_seconds;   /* from trading's start to the stop (wall, monotonic) */
    /* What the soak gate reads, from the engine and the venue executor. */
    uint64_t trades, halts, breaker_trips, quarantines, tolerance_breaches, mismatches, incidents;
    char *plugins_json;       /* owned by the caller (free): gd_engine_plugins_json at the end */
    /* How it traded, for a soak's comparison with the backtest: */
    uint64_t wins;
    double avg_r;             /* mean R of the round trips with a known initial risk */
    double max_dd_pct;
    double sharpe;            /* of hourly equity returns (bar time), annualised; NAN under
                                 GD_RUN_MIN_HOURS_SHARPE of them (only with opts.duration_ms) */
    uint64_t hourly_returns;
    char *strategies_json;    /* owned by the caller (free): {"ema": {"trades", "wins", "avg_r"}} */
} gd_run_result;

#define GD_RUN_MIN_HOURS_SHARPE 24

int gd_run_replay(const gd_run_opts *opts, gd_run_result *res, gd_err *err);

#endif
