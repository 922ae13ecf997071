/* The operator API: routes of the HTTP server onto the engine. Read-only
 * views are open; anything that changes risk needs an operator bearer token
 * whose SHA-256 is configured. Every mutating attempt is logged (never the
 * token) and audited. */
#ifndef GD_API_H
#define GD_API_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "engine/engine.h"
#include "base/err.h"
#include "daemon/http.h"
#include "risk/state.h"

typedef struct gd_api {
    gd_engine *eng;             /* borrowed */
    const gd_config *cfg;       /* borrowed */
    gd_state *state;            /* borrowed, NULL without [gordon] state_dir */
    struct gd_dbrun *db;        /* borrowed: the journal and the database writer */
    const struct gd_vexec *vexec; /* borrowed: the venue executor, NULL when simulated */
    int venue_ready;
    struct gd_vmarket *market; /* live market data (borrowed), NULL: replay */
    int market_stale;          /* the connectivity breaker: live bars are late */
    char **hashes;              /* owned: operator token hashes */
    size_t n_hashes;
    /* readiness and gauges, kept by the runner */
    int plugins_loaded;
    int replay_started;
    int replay_done;
    uint64_t bars_replayed;
    double loop_lag_s;
    uint32_t series_rounds;
    int store_writable;         /* the last probe of the state store succeeded */
    uint64_t store_failures_seen; /* the latch's write failures when it ended: more since, not writable */
    char store_error[256];      /* why the last probe failed */
    /* counters */
    uint64_t http_by_code[600]; /* by status, counted by the HTTP server */
} gd_api;

int gd_api_init(gd_api *a, gd_err *err);
void gd_api_free(gd_api *a);
void gd_api_handle(void *user, const gd_http_request *req, gd_http_response *resp);

#endif
