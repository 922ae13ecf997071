/* `gordon preflight --stage micro|full` (issue 16): every item of the
 * pre-live checklist that the machine can check, each pass or fail with its
 * evidence and its date, and the whole run recorded in
 * trading.preflight_runs. It checks the configuration that will trade
 * (mode production at the stage asked) against the records: a passed soak
 * against a real Binance endpoint for the same plugins and strategies'
 * configuration, a walk-forward ablation on record for every strategy with
 * every overlay tested alone, the flatten and latch drills, the restore
 * drill and the last backup, and the configuration's own rules. The
 * observability items (Prometheus rules, Grafana panels, logs, the e2e run)
 * are the daemon room's (daemon/obs_check.h) and added by the caller. */
#ifndef GD_PREFLIGHT_H
#define GD_PREFLIGHT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "base/err.h"
#include "config/config.h"
#include "plugin/path.h"

#define GD_PF_MAX_ITEMS 48

typedef struct gd_pf_item {
    char name[48];
    int pass;
    char evidence[640];
    char at[40]; /* the evidence's date (UTC), "" when none */
} gd_pf_item;

typedef struct gd_pf {
    gd_pf_item items[GD_PF_MAX_ITEMS];
    int n;
    int pass; /* every item passed */
    char config_sha256[65];
    char *plugins_json; /* owned: {"strategy.ema": "sha256", ...} of the enabled sections */
} gd_pf;

/* What a breaker's value was, bar by bar, over the data an ablation on
 * record ran on (bars counted once the breaker gave a value other than 0). */
typedef struct gd_pf_range {
    double min, p50, p95, p99, max;
    double above_pct; /* of those bars, at or above the configured threshold */
    uint64_t bars;
} gd_pf_range;

/* Runs breaker instance pc of cfg alone over data[0..n) (the files an
 * ablation on record named, whose digest must still be data_sha256) and
 * fills *out; else -1 with why. The engine's room has it
 * (daemon/breaker_hist.h); the caller passes it in. */
typedef int (*gd_pf_history_fn)(void *arg, const gd_config *cfg, const gd_plugin_conf *pc, const gd_data_conf *data,
                                size_t n, const char *data_sha256, gd_pf_range *out, char *why, size_t cap);

typedef struct gd_pf_opts {
    const gd_config *cfg;
    int stage;               /* GD_STAGE_MICRO or GD_STAGE_FULL */
    gd_plugin_dirs dirs;     /* where bare plugin names are found */
    const char *testnet_env; /* $GORDON_EXECUTOR_TESTNET as set ("false" for live), or NULL */
    int64_t now_ms;
    gd_pf_history_fn history; /* NULL: the ranges breakers are tuned against cannot be computed */
    void *history_arg;
} gd_pf_opts;

/* Adds one item (the checks of other rooms add theirs: daemon/obs_check.h). */
gd_pf_item *gd_pf_add(gd_pf *r, const char *name, int pass, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Runs every check into *out (c: the database holding trading.*). An
 * error only when the checks could not run at all (out of memory). */
int gd_preflight_run(const gd_pf_opts *o, PGconn *c, gd_pf *out, gd_err *err);

/* The run as a trading.preflight_runs row; *id is its. */
int gd_preflight_record(PGconn *c, const gd_pf *r, int stage, const char *host_version, long long *id, gd_err *err);

void gd_pf_free(gd_pf *r);

/* A promotion to stage `to` (or a demotion) as a trading.stage_promotions
 * row: from the stage on record, by whom, on preflight run preflight_id (0
 * for a demotion), with the numbers checked (JSON object text). */
int gd_stage_promotion_record(PGconn *c, int promote, int from, int to, const char *by, long long preflight_id,
                              const gd_pf *r, const char *numbers_json, const char *notes, long long *id, gd_err *err);

/* Promotion to full, micro live against the backtest: per enabled strategy
 * its closed trades since micro_at_ms (at least [promote] min_trades) with
 * win rate and average R within the gaps of the ablation on record
 * (its configuration with every enabled overlay); the account's max
 * drawdown since then within max_drawdown_ratio of the worst backtest's,
 * and its daily Sharpe no more than max_sharpe_gap below the best
 * backtest's. Each an item in r. */
void gd_full_divergence(const gd_config *cfg, PGconn *c, int64_t micro_at_ms, gd_pf *r);

/* Promotion to full: the promotion to micro on record at least min_days
 * ago and no halt, breaker trip or quarantine since, each an item in r;
 * *micro_at_ms is when micro began (0 when none is on record). */
void gd_full_checks(PGconn *c, int64_t now_ms, double min_days, gd_pf *r, int64_t *micro_at_ms);

#endif
