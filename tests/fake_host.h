/* A tiny stand-in for the gordon host, for testing plugins in isolation.
 *
 * It implements gordon_host_api over a fake context: parameters come from a
 * "name=value" list checked against the plugin's declarations (unknown names,
 * bad numbers and out-of-range values are refused like the real host does;
 * missing ones take their defaults), symbols are named by the test, now_ms,
 * positions and equity are set by the test, and emit() records signals.
 * Sized structs follow sdk.h's rule: signals must cover the 1.0 layout and
 * are copied min(struct_size, sizeof), zero-extended; positions, exposure and
 * series points are written up to the plugin's struct_size.
 *
 * SDK 1.1 parts: exposure() reports what the test set per symbol (all zero
 * by default); series_subscribe() records the ids it is asked for (only
 * from create(), like the real host) and returns what the test chose
 * (default 0); series_get() returns the point the test set for an id, a
 * "no data yet" point for a subscribed id without one, and -1 otherwise.
 * fh_evaluate() calls a breaker the way the engine does: one result per
 * instance that persists between calls, state/value/threshold reset before
 * each call, reason kept. */
#ifndef FAKE_HOST_H
#define FAKE_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <gordon/sdk.h>

#define FH_MAX_SIGNALS 1024
#define FH_MAX_SERIES 8

typedef struct fh_host fh_host;

/* Creates a fake host for one plugin instance. params: NULL-terminated
 * "name=value" strings (may be NULL). Symbols are 0..nsym-1, named "S0",
 * "S1", ... Returns NULL and a message in err on bad params. */
fh_host *fh_new(const gordon_plugin *desc, const char *const *params, uint32_t nsym, char *err,
                size_t err_len);
void fh_free(fh_host *h);

/* dlopen()s GD_PLUGIN_DIR/<names[i]>.so for each name and fetches each
 * descriptor from gordon_plugin_entry_v1; 0, or -1 with a message on stderr. */
int fh_load_plugins(const char *const *names, int n, void **handles, const gordon_plugin **descs);
void fh_unload_plugins(void **handles, int n);

const gordon_host_api *fh_api(void);
gordon_ctx *fh_ctx(fh_host *h);

/* Calls desc->create through the fake host; returns its result. The instance
 * is destroyed by fh_free. */
int fh_create_instance(fh_host *h, char *err, size_t err_len);
void *fh_instance(fh_host *h);

/* Sets now_ms to bar->close_time_ms and calls on_bar. */
void fh_bar(fh_host *h, uint32_t symbol, const gordon_bar *bar);

void fh_set_now(fh_host *h, int64_t now_ms);
void fh_set_equity(fh_host *h, double equity);
/* Sets the instance's position; side 0 = flat. */
void fh_set_position(fh_host *h, uint32_t symbol, int side, double qty, double entry_price,
                     int order_pending);
/* What emit returns (default GORDON_ACCEPTED). */
void fh_set_emit_result(fh_host *h, int rc);

size_t fh_signal_count(const fh_host *h);
const gordon_signal *fh_signal(const fh_host *h, size_t i);
void fh_clear_signals(fh_host *h);

/* Number of log lines and the last one (for checking messages). */
int fh_log_count(const fh_host *h);
const char *fh_last_log(const fh_host *h);

/* ---- SDK 1.1 ---- */

/* Pretends to be an older host: create() sees api->struct_size = size (e.g.
 * offsetof(gordon_host_api, exposure) for a 1.0 host). 0 restores the full size. */
void fh_set_api_size(fh_host *h, uint32_t size);

/* All strategies' exposure in symbol, as exposure() reports it. */
void fh_set_exposure(fh_host *h, uint32_t symbol, double gross_qty, double pending_qty);
void fh_set_exposure_full(fh_host *h, uint32_t symbol, const gordon_exposure *e);

/* What series_subscribe returns (default 0). */
void fh_set_series_subscribe_result(fh_host *h, int rc);
/* Ids series_subscribe was called with, in order (at most FH_MAX_SERIES). */
int fh_series_subscribed_count(const fh_host *h);
const char *fh_series_subscribed(const fh_host *h, int i);
/* Sets the point series_get returns for id (struct_size is filled in). */
void fh_set_series(fh_host *h, const char *id, const gordon_series_point *p);

/* Calls desc->evaluate with the instance's persistent result (see above) and
 * now_ms = in->now_ms; returns evaluate's return code. */
int fh_evaluate(fh_host *h, const gordon_breaker_input *in);
/* The persistent result (writable, so a test can poison the reason). */
gordon_breaker_result *fh_breaker_result(fh_host *h);

#endif
