/* The engine: plugin instances, the host-API table they see, the per-bar
 * dispatch, and the wiring of pipeline, book, executor, intent log and halt
 * latch. Read-only views of it (JSON, Prometheus, the summary) live in
 * daemon/; they use the introspection functions at the end. */
#ifndef GD_ENGINE_H
#define GD_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include <gordon/sdk.h>

#include "base/err.h"
#include "config/config.h"
#include "engine/book.h"
#include "engine/executor.h"
#include "engine/intentlog.h"
#include "plugin/libcache.h"
#include "plugin/loader.h"
#include "plugin/path.h"
#include "risk/latch.h"
#include "risk/pipeline.h"

typedef struct gd_engine gd_engine;
struct gd_state;

/* Fill slippage against the order's reference, in bps (positive = worse):
 * the upper bounds of the histogram's buckets; +Inf is implied. */
#define GD_SLIP_BUCKETS 9
#define GD_SLIP_BOUNDS_BPS {0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 250.0}
extern const double gd_slip_bounds[GD_SLIP_BUCKETS];

typedef struct gd_engine_counters {
    uint64_t bars;                         /* closed bars processed */
    uint64_t signals;                      /* emitted by strategies and decided (one intent each) */
    uint64_t dropped;                      /* past the per-on_bar limit, summarised */
    uint64_t flatten_ok, flatten_failed;   /* emergency-flatten exits (intents, not signals) sent, refused */
    uint64_t orders[4];                    /* by gd_order_kind */
    uint64_t fills[6];                     /* by gordon_fill_reason */
    uint64_t slip_le[GD_SLIP_BUCKETS + 1]; /* counts per bucket, last = +Inf */
    double slip_sum;
    uint64_t slip_count;
    uint64_t slip_breaches;                /* fills past [risk] fill_tolerance_bps (the soak gate reads it) */
    uint64_t loads_ok, loads_failed;       /* plugin libraries (0 when the cache is shared) */
    uint64_t reloads_ok, reloads_failed;
    uint64_t worker_deaths;                /* plugin workers killed or dead (isolated mode) */
    uint64_t worker_timeouts;              /* ... of which missed a deadline */
    uint64_t worker_protocol;              /* ... of which broke the protocol */
    uint64_t worker_restarts;              /* restarted after a death */
    uint64_t halts;                        /* the latch set from clear (the soak gate reads these three) */
    uint64_t breaker_trips;                /* a breaker's verdict turned to tripped */
    uint64_t quarantines;                  /* strategies quarantined */
} gd_engine_counters;

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
    gd_plugin_dirs plugin_dirs;  /* where bare plugin names are looked up (copied) */
    /* Instances to leave out (ablation toggles overlays): names of
     * [kind.NAME] sections, or NULL. */
    const char *const *skip;
    uint32_t n_skip;
    /* Optional: a library cache the caller filled (gd_libcache_open on every
     * plugin path, as gd_plugin_resolve names it); the engine then opens
     * nothing and only finds in it, so engines on worker threads can share
     * it. Borrowed. NULL: the engine keeps a cache of its own. */
    gd_libcache *plugin_cache;
    const gd_param_override *overrides;
    uint32_t n_overrides;
    /* Backtest windows: signals before this time are dropped (return -1 to
     * the plugin) so indicators warm up on earlier bars without trading.
     * 0 means no such restriction. */
    int64_t trade_from_ms;
    int live;           /* 1: the clock is the wall clock (venue data); 0: bar time */
    int series_source;  /* 1: a fetcher for external series ([fred]) is configured */
} gd_engine_opts;

/* Loads and checks every enabled plugin, binds its parameters, creates its
 * instances, sets up the simulated executor. Nothing is half-built on error. */
int gd_engine_new(const gd_engine_opts *opts, gd_engine **out, gd_err *err);
void gd_engine_free(gd_engine *e);

/* Hot reload: builds the whole new plugin set from cfg (heap-allocated; the
 * engine takes it, also on failure), carries state over (snapshot/restore or
 * a warm-up from the bar history), then swaps it in. Positions, orders, stops,
 * equity, today's caps and the latch are untouched; a strategy removed from
 * the config leaves orphaned positions that keep their stops. On any error
 * the running set is untouched. summary lists what changed. */
int gd_engine_reload(gd_engine *e, gd_config *cfg, char *summary, size_t cap, gd_err *err);
/* The configuration of the running generation. */
const gd_config *gd_engine_config(const gd_engine *e);
/* Counts a reload that failed before reaching the engine (a config error). */
void gd_engine_reload_failed(gd_engine *e);

/* The venue executor (venue/exec.h) in place of the simulated one, before
 * the first bar; the engine owns it from then on. */
int gd_engine_set_executor(gd_engine *e, gd_executor x, gd_err *err);
/* Where an executor delivers its fills. */
gd_fill_sink gd_engine_fill_sink(gd_engine *e);
/* The venue's rules per symbol, which replace [instrument.*] now and after
 * every reload; and the account's equity, before anything traded. */
int gd_engine_set_venue_rules(gd_engine *e, const gd_instrument *per_symbol, double equity, gd_err *err);
/* A position the venue executor found open after a restart, put into the
 * book as it stands (no fill recorded, no fee charged again) and told to
 * its strategy as an entry fill. Call after gd_engine_set_venue_rules. */
void gd_engine_adopt(gd_engine *e, uint32_t owner, const gordon_fill *entry, double stop, double tp);
/* A venue position gordon did not open, adopted by the strategy in slot
 * owner ([venue] unknown_positions = adopt): an intent is recorded for it
 * (accepted, tag "adopted", its notional counted against the day's cap),
 * whose id names the stop the executor then places and comes back in
 * *intent_id; then as gd_engine_adopt (entry->intent_id is set here). The
 * intent's reference price is ref_price (the mark the stop was set from:
 * the stop is on its right side even when the position's own entry is
 * not), its entry claim the position's entry. */
int gd_engine_adopt_new(gd_engine *e, uint32_t owner, gordon_fill *entry, double stop, double ref_price,
                        uint64_t *intent_id, gd_err *err);
/* The venue's commission on an order (client_id) of owner's on symbol, once
 * final: its fills were charged `estimated`, the venue charged `charged` in
 * asset. With apply (the symbol's quote asset) the difference goes into the
 * book; either way it is journaled (trading.fee_corrections). */
void gd_engine_fee(gd_engine *e, uint32_t owner, uint32_t symbol, const char *client_id, uint64_t intent_id,
                   uint64_t position_id, const char *asset, double estimated, double charged, int apply);
/* Takes strategy name out of trading (on 1: its new entries are refused,
 * its exits and stops go on) or puts it back (on 0), durably in the state
 * store, audited and recorded (risk events quarantine/release). A
 * quarantine the store could not write is in force anyway and GD_EIO says
 * so; a release that could not be written does not happen. GD_ENOENT: no
 * such running strategy (quarantine) or not quarantined (release). */
int gd_engine_quarantine(gd_engine *e, const char *name, int on, const char *who, const char *why, gd_err *err);
struct gd_qlist;
const struct gd_qlist *gd_engine_quarantine_list(const gd_engine *e);
/* The largest warm-up (bars of history) any running plugin declared. */
uint32_t gd_engine_warmup_bars(const gd_engine *e);
/* The venue's mark price for symbol at venue time time_ms (live): the
 * host's reference price for sizing, the stop-side check and the caps on
 * a bar that closed no later than it (else the bar's close is). */
void gd_engine_set_mark(gd_engine *e, uint32_t symbol, double mark, int64_t time_ms);
/* Live bars went stale (1) or are current again (0): while stale no entry
 * is accepted (the connectivity breaker, "market"); each change is a risk
 * event. Exits, stops and flattens go on. */
void gd_engine_set_market_stale(gd_engine *e, int stale, const char *why);
/* gd_engine_on_bar for a live bar; stale: a backfilled bar too old to
 * enter on (strategies see it, entries decided on it are refused). */
void gd_engine_on_bar_live(gd_engine *e, uint32_t symbol, const gordon_bar *bar, int stale);
/* The running strategy slot named name (its instance name). GD_ENOENT if none. */
int gd_engine_slot_index(const gd_engine *e, const char *name, uint32_t *out);
/* A venue order's status changed (journaled as an order event). */
void gd_engine_order_event(gd_engine *e, uint32_t owner, uint32_t symbol, uint64_t intent_id, char kind,
                           const char *status, const char *detail);

/* Takes ownership of an intent log (closed by gd_engine_free). */
void gd_engine_set_intentlog(gd_engine *e, gd_intentlog log);
/* The trade list (trades.h), owned from now on; NULL: none. */
struct gd_trades;
void gd_engine_set_trades(gd_engine *e, struct gd_trades *t);

/* The hot path: one closed bar of symbol. Allocates nothing. */
void gd_engine_on_bar(gd_engine *e, uint32_t symbol, const gordon_bar *bar);

/* A timer's turn (about once a second, outside backtests): the clock of a
 * live engine moves to wall_ms, and the breakers are evaluated, so a stalled
 * feed trips them without waiting for the bar that never comes. */
void gd_engine_tick(gd_engine *e, int64_t wall_ms);

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

/* The halt latch. Setting it is always allowed and takes effect at once;
 * clearing is the operator's. With a state store attached the latch is
 * persisted and every change is an audit event; GD_EIO if the halt could
 * not be persisted (it is set all the same). */
int gd_engine_halt(gd_engine *e, const char *who, const char *why, gd_err *err);
int gd_engine_halted(const gd_engine *e);
/* Retries writing a latch the store fell behind on (a timer calls this). */
int gd_engine_sync_latch(gd_engine *e, gd_err *err);
/* Clears the latch; refused (GD_ESTATE) while a breaker is tripped unless
 * force; GD_EIO if it could not be persisted (then it stays set). */
int gd_engine_resume(gd_engine *e, const char *who, const char *why, int force, gd_err *err);
/* Restores a persisted latch and persists changes from now on, and takes
 * intent ids from the store's sequence (ids never repeat for the life of a
 * state_dir: a block is reserved durably here). Borrowed. */
int gd_engine_set_state(gd_engine *e, struct gd_state *st, gd_err *err);

/* The journal for the database (db/journal.h): from here on every intent,
 * order, status change, position, fill, equity point, risk event and latch
 * change is appended to it, before the order it concerns is submitted (and
 * synced first when the executor sends orders out of the process).
 * appended(arg) is called after each append (cheap: arm a timer). The db
 * breaker refuses new entries while more than max_depth records are
 * unapplied or the oldest has waited max_age_s; exits still flow. Borrowed:
 * the journal must outlive the engine. */
struct gd_journal;
typedef struct gd_engine_journal {
    struct gd_journal *journal;
    double max_depth;
    double max_age_s;
    double equity_interval_s;    /* an equity point on this wall-clock timer (0: only on fills) */
    size_t mem_bytes;            /* the journal's max_bytes: the breaker also closes at half of it */
    void (*appended)(void *arg);
    /* Before an order leaves for a venue: everything journaled so far made
     * durable now, waiting for a sync already on the threadpool (NULL: the
     * journal is synced in the call). */
    int (*sync_now)(void *arg, gd_err *err);
    /* Records packed into this queue for a database thread that owns the
     * journal (NULL: formatted and appended to the journal here); pub is
     * what that thread publishes of the journal, queue_full waits for
     * room (see gd_rec in engine_int.h). */
    struct gd_jq *queue;
    const struct gd_jpub *pub;
    int (*queue_full)(void *arg);
    void *arg;
} gd_engine_journal;
int gd_engine_set_journal(gd_engine *e, const gd_engine_journal *jc, gd_err *err);
/* Once a second with the wall clock, in every mode (the db breaker is a
 * safety rule about the real database): samples the journal, judges the db
 * breaker, writes the timer's equity points. */
void gd_engine_journal_tick(gd_engine *e, int64_t wall_ms);
/* Journals the start of a run: with a simulated executor, the positions
 * and working orders earlier runs left in the database are marked
 * abandoned and expired (they ended with their process). */
void gd_engine_rec_session(gd_engine *e);
/* Journals the latch as it is now (the database brought up to date). */
void gd_engine_rec_latch_now(gd_engine *e);
/* An equity point now ("start", "stop", "timer", "fill"); no-op without a journal. */
void gd_engine_equity_point(gd_engine *e, const char *cause); /* cause: a string literal (db/record.h) */
/* 1 while the db breaker refuses entries; *age_s the oldest unapplied
 * record's wait. */
int gd_engine_db_blocked(const gd_engine *e, double *age_s);
/* Records that could not be journaled (a full journal). */
uint64_t gd_engine_rec_lost(const gd_engine *e);

/* Emergency flatten: sets the latch, cancels pending entries and sends a
 * reduce-only market order for every open position. *json (malloc'd) lists
 * what was sent and what failed; returns the number of failures. */
int gd_engine_flatten(gd_engine *e, const char *who, const char *why, char **json);

/* External series the plugins subscribed to, and their updates. */
uint32_t gd_engine_series_count(const gd_engine *e);
const char *gd_engine_series_id(const gd_engine *e, uint32_t i);
int gd_engine_series_update(gd_engine *e, const char *id, const int64_t *t, const double *v, size_t n, int ok);

/* ---- introspection, for the read-only views in daemon/ ---- */

const gd_engine_counters *gd_engine_counters_get(const gd_engine *e);
/* Calls from plugins with a stale or forged handle, refused (process-wide). */
uint64_t gd_plugin_refused_calls(void);
/* Isolated mode: instances whose worker is down (quarantined); *stopped
 * those that will not be restarted again (past max_restarts). */
uint32_t gd_engine_quarantined(const gd_engine *e, uint32_t *stopped);
/* A fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE) prints which plugin
 * instance was being called, then dies as it would have. Once, early. */
int gd_engine_crash_report_install(gd_err *err);
int64_t gd_engine_now(const gd_engine *e);
uint32_t gd_engine_symbol_count(const gd_engine *e);
const char *gd_engine_symbol(const gd_engine *e, uint32_t s);
/* Close time of the symbol's last bar, 0 before the first. */
int64_t gd_engine_last_bar_ms(const gd_engine *e, uint32_t s);
/* Strategy slots (position owners), stable across reloads. */
uint32_t gd_engine_slot_count(const gd_engine *e);
const char *gd_engine_slot_name(const gd_engine *e, uint32_t k);
/* {"strategy.ema": "<SHA-256 of its .so>", ...}: the running instances, in
 * load order (what a soak or an ablation ran). The caller frees it; NULL
 * when out of memory. */
char *gd_engine_plugins_json(const gd_engine *e);
/* [{"label", "kind", "plugin", "version", "sha256"}, ...]: the running
 * instances in load order. The caller frees it; NULL when out of memory. */
char *gd_engine_instances_json(const gd_engine *e);
/* 1 when a reload removed the slot's strategy: only its stops manage it. */
int gd_engine_slot_orphaned(const gd_engine *e, uint32_t k);
const gd_pipeline *gd_engine_pipeline(const gd_engine *e);
const gd_halt *gd_engine_halt_state(const gd_engine *e);

/* The latest intents and fills (k = 0 the newest; NULL past the last kept). */
#define GD_RECENT 64
typedef struct gd_recent_fill {
    int64_t time_ms;
    uint64_t intent_id;
    uint32_t owner, symbol;
    int32_t side, reason;
    double qty, price, fee;
    double ref;           /* the host's reference price, 0 if none */
    double slippage_bps;  /* side x (price - ref) / ref: positive is worse */
    int64_t latency_ms;   /* a venue's: from its order leaving to its fill (wall); -1 if unknown */
} gd_recent_fill;
const gd_intent *gd_engine_recent_intent(const gd_engine *e, uint32_t k);
const gd_recent_fill *gd_engine_recent_fill(const gd_engine *e, uint32_t k);
/* 1 when the clock is the wall clock (live data), 0 in a replay. */
int gd_engine_live(const gd_engine *e);

typedef struct gd_breaker_view {
    const char *name;             /* instance name, "dd" */
    const char *plugin;           /* descriptor name, "drawdown" */
    gordon_breaker_result last;   /* its last verdict (state always valid) */
} gd_breaker_view;
uint32_t gd_engine_breaker_count(const gd_engine *e);
int gd_engine_breaker(const gd_engine *e, uint32_t i, gd_breaker_view *out);

#endif
