/* The testnet soak on record (issue 16): `gordon soak` runs the daemon in
 * testnet mode on the venue for a duration and writes a trading.soak_runs
 * row: 'running' when it starts, then passed / failed / aborted with what
 * it measured and why it failed. The gate's thresholds are the runbook's
 * and can only be raised ([soak] min_hours >= 72, min_trades >= 30); the
 * zero-tolerance items are fixed. Only a soak against a real Binance
 * endpoint (the profile's own URLs, not a rest_url of the operator's)
 * counts for a promotion: the row says which it was (real_venue). */
#ifndef GD_SOAK_H
#define GD_SOAK_H

#include <libpq-fe.h>
#include <stdint.h>

#include "base/err.h"

typedef struct gd_soak_metrics {
    double hours;    /* how long it traded */
    uint64_t trades; /* closed round trips */
    uint64_t halts;  /* the latch set (by anyone) */
    uint64_t breaker_trips;
    uint64_t quarantines;
    uint64_t tolerance_breaches; /* fills past [risk] fill_tolerance_bps */
    uint64_t mismatches;         /* reconciliations that disagreed with the venue */
    uint64_t incidents;          /* venue incidents (stops that failed, unknown positions) */
    int interrupted;             /* stopped by a signal before its duration */
    /* How it traded, which promotion to full compares with the backtest: */
    uint64_t wins;
    double avg_r;
    double max_dd_pct;
    double sharpe; /* annualised, of hourly returns; NAN when too few (null) */
    uint64_t hourly_returns;
    const char *strategies_json; /* {"ema": {"trades", "wins", "avg_r"}} or NULL; borrowed */
} gd_soak_metrics;

typedef struct gd_soak_gate {
    double min_hours;
    double min_trades;
} gd_soak_gate;

/* 1 when m passes the gate; why lists every reason it does not ("" when
 * it does), "; "-separated. */
int gd_soak_verdict(const gd_soak_metrics *m, const gd_soak_gate *g, char *why, size_t cap);

/* The soak's row while it runs. */
typedef struct gd_soak_row {
    const char *config_sha256; /* 64 hex */
    const char *plugins_json;  /* {"strategy.ema": "sha256", ...} */
    const char *venue;         /* "demo https://demo-fapi.binance.com" */
    int real_venue;
} gd_soak_row;

/* INSERT ... status 'running'; *id is the row's. */
int gd_soak_begin(PGconn *c, const gd_soak_row *row, long long *id, gd_err *err);

/* UPDATE the row: ended now, status passed/failed/aborted, the metrics as
 * JSON (with the gate's thresholds), the plugins that ran ({"strategy.ema":
 * "sha256"}), why it did not pass appended to the notes. */
int gd_soak_end(PGconn *c, long long id, const gd_soak_metrics *m, const gd_soak_gate *g, const char *plugins_json,
                gd_err *err);

/* The metrics as the row's JSON (caller frees). */
char *gd_soak_metrics_json(const gd_soak_metrics *m, const gd_soak_gate *g);

#endif
