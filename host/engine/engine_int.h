/* What the pieces of the engine share (engine.c, hostapi.c, gen.c,
 * series.c, flatten.c): the engine's state, plugin instances and their
 * generations. Private to host/engine/. */
#ifndef GD_ENGINE_INT_H
#define GD_ENGINE_INT_H

#include <stdint.h>

#include <gordon/sdk.h>

#include "config/params.h"
#include "base/rodata.h"
#include "engine/engine.h"
#include "db/journal.h"
#include "plugin/libcache.h"
#include "plugin/worker.h"
#include "risk/latch.h"
#include "risk/quarantine.h"

/* Signals one strategy may emit in one on_bar; the rest of a flood is
 * dropped and summarised in one intent and one log line. */
#define GD_EMITS_PER_CALL 16u
/* Intent ids are reserved durably in blocks (state store), topped up
 * between batches when half a block is left. */
#define GD_ID_BLOCK 1000000u
/* External series a set of plugins may subscribe to. */
#define GD_SERIES_MAX 32

typedef struct gd_inst gd_inst;
typedef struct gd_proxy gd_proxy;

/* An external series (FRED) as the host last fetched it. */
typedef struct gd_series_data {
    char id[64];
    int64_t *t;          /* owned, observation dates, increasing */
    double *v;           /* owned */
    size_t n;
    int64_t fetched_ms;  /* wall clock of the last good fetch; 0 never */
    int ok;              /* the last fetch succeeded */
} gd_series_data;

struct gd_inst {
    gd_engine *eng;          /* borrowed: the engine it runs in */
    const gd_config *cfg;    /* borrowed: its generation's configuration */
    gordon_ctx *handle;      /* what the plugin holds: an opaque index and generation (hostapi.c) */
    int kind;
    uint32_t index;          /* among instances of its kind in its generation */
    uint32_t slot;           /* strategies: the book/executor/pipeline owner, stable across reloads */
    char *name;              /* owned: "strategy.NAME" style label */
    const char *short_name;  /* points into name after the dot */
    gd_plugin_lib *lib;      /* a reference in the library cache (borrowed when shared) */
    const gordon_plugin *d;  /* &lib->d: the host's zero-extended copy; &dproxy when isolated */
    gordon_plugin dproxy;    /* isolated: lib->d with the stand-ins of isolate.c as callbacks */
    gd_proxy *proxy;         /* isolated: its worker (owned by the instance through self) */
    void *self;              /* the plugin's instance */
    gd_params params;        /* owned */
    const char **pstr;       /* owned array: string params' values in read-only memory, NULL for others */
    gd_rodata pstr_ro;       /* owned: the mapping pstr points into */
    uint8_t *sub;            /* owned: per symbol, 1 if subscribed */
    uint32_t warmup;         /* bars of history it needs: warmup_bars or its warmup() */
    uint32_t emits;          /* signals in the on_bar of bar emit_bar */
    uint64_t emit_bar;       /* the engine's bar count when emits was last reset */
    uint32_t dropped;        /* ... past GD_EMITS_PER_CALL */
    gordon_breaker_result last;     /* the host's copy of its last verdict, validated */
    gordon_breaker_result *scratch; /* owned (breakers): what the plugin writes, with slack behind */
};

/* The largest sizeof(gordon_bar) a plugin may state to bars(): any later
 * minor's bar fits; more is a wrong argument. */
#define GD_BAR_ELEM_MAX 1024u

typedef void (*gd_bar_fn)(void *self, uint32_t symbol, const gordon_bar *bar);

typedef struct gd_call {
    gd_bar_fn fn;
    void *self;      /* the plugin's instance */
    gd_inst *inst;   /* the host's record of it */
    gordon_ctx *ctx; /* its handle, bound for the call */
} gd_call;

/* The handle of the instance the host is calling on this thread, NULL
 * between calls: the host API honours that handle only, so a plugin cannot
 * act as another instance (handles are small numbers, easily guessed), from
 * a thread of its own, or after its call returned. */
extern _Thread_local gordon_ctx *gd_calling;

/* Runs stmt with h bound; nests (an emit runs the overlays' filters). */
#define GD_CALL_AS(h, stmt)                                                                                            \
    do {                                                                                                               \
        gordon_ctx *gd_saved_ = gd_calling;                                                                            \
        gd_calling = (h);                                                                                              \
        stmt;                                                                                                          \
        gd_calling = gd_saved_;                                                                                        \
    } while (0)


/* Per-symbol dispatch lists, built once so the hot path only walks arrays. */
typedef struct gd_dispatch {
    gd_call *pre;            /* breakers' and overlays' on_bar */
    uint32_t n_pre;
    gd_call *strat;          /* strategies' on_bar */
    uint32_t n_strat;
} gd_dispatch;

/* One generation of plugin instances: what a reload replaces as a whole. */
typedef struct gd_gen {
    gd_config *owned_cfg;        /* owned after a reload; NULL when borrowed from the caller */
    const gd_config *cfg;
    gd_inst *insts;              /* owned, all kinds in config order */
    uint32_t n_insts;
    gd_inst **strategies;        /* borrowed pointers into insts */
    uint32_t n_strategies;
    gd_inst **breakers;
    uint32_t n_breakers;
    gd_overlay_ref *overlays;    /* owned */
    gd_inst **overlay_insts;
    uint32_t n_overlays;
    gd_overlay_ref *ov_scratch;  /* owned: the overlays applying to one signal */
    gd_dispatch *dispatch;       /* owned, per symbol */
    gd_inst **by_slot;           /* owned: the strategy instance of each slot, NULL if none */
    uint32_t n_slots;
    char **new_slots;            /* owned: strategy names this generation adds */
    uint32_t n_new_slots;
    gd_plugin_lib **libs;        /* the libraries this generation runs, once each */
    uint32_t n_libs;
} gd_gen;

/* Bar history per symbol: a power-of-two ring, long enough for every
 * warm-up, mapped twice (ring.c): the host writes `bars`; plugins are handed
 * pointers into `ro`, the same memory read-only between guard pages. */
typedef struct gd_ring {
    gordon_bar *bars;      /* the host's writable view */
    const gordon_bar *ro;  /* the plugins' view */
    uint64_t n;
    uint64_t mask;
    void *fence;           /* the read-only view's reservation, guard pages included */
    size_t map_len;
    size_t page;
} gd_ring;

/* ring.c: grows r to cap bars (a power of two), keeping its history; what
 * names the symbol for errors. */
int gd_ring_reserve(gd_ring *r, uint64_t cap, const char *what, gd_err *err);
void gd_ring_free(gd_ring *r);

/* records.c: per slot and symbol, what the journal has said of its orders
 * and position, so status changes name the right orders. */
typedef struct gd_recslot {
    uint64_t entry_iid;          /* entry submitted, not filled (0: none) */
    uint64_t pos_id;             /* the open position's entry intent (0: flat) */
    uint64_t exit_iid;           /* exit or flatten submitted for it (0: none) */
    char exit_kind;              /* 'x' or 'f' */
    int has_stop, has_tp;        /* protective orders still working or pending */
    int side;
    double qty0, entry, stop, tp;
    int64_t opened_ms;
    double realized, fees;       /* so far, net of the entry fee */
} gd_recslot;

#define GD_REC_SAMPLES 8192
typedef struct gd_recsample {
    uint64_t last_seq;
    int64_t wall_ms;
} gd_recsample;

typedef struct gd_rec {
    gd_journal *j;               /* borrowed; NULL: nothing journaled */
    /* With a queue, records go to the database thread packed (db/jq.h) and
     * j is that thread's: read only through pub. */
    struct gd_jq *q;
    const struct gd_jpub *pub;
    gd_recslot *slots;           /* owned: [owner * n_symbols + symbol] */
    uint32_t n_owners;
    double max_depth, max_age_s;
    size_t mem_bytes;            /* the journal's memory (max_bytes) */
    int64_t equity_ms;           /* equity point timer (0: none) */
    int64_t last_equity_ms, last_sample_ms, wall_ms;
    gd_recsample samples[GD_REC_SAMPLES];
    uint32_t sample_head, n_samples;
    int blocked;                 /* the db breaker: no new entries */
    double age_s;
    uint64_t lost;               /* records that could not be journaled */
    uint64_t pre_iid;            /* the intent journaled before its order was submitted */
    /* An open group (GD_REC_GROUP): its room in the queue, reserved, and
     * the bytes of sub-records written there so far. */
    unsigned char *g_at;
    size_t g_len;
    int g_depth;                 /* gd_engine_rec_group_begin calls not yet ended */
    struct gd_rec_fillev *ev;    /* the fill being recorded in place in the queue (GD_REC_FILLEV), or NULL */
    void (*appended)(void *arg);
    int (*sync_now)(void *arg, gd_err *err);
    /* The queue is full: wait (a bounded time, not at all when the thread
     * cannot take anything) for the database thread to make room; 0: try
     * once more. */
    int (*queue_full)(void *arg);
    void *arg;
} gd_rec;

struct gd_engine {
    uint32_t n_symbols;
    char **symbols;              /* owned */
    const char **sym_ro;         /* owned array: the names in read-only memory, what plugins get */
    gd_rodata sym_rodata;        /* owned: the mapping sym_ro points into */
    gd_instrument *instr;        /* owned, per symbol */
    gd_instrument *venue_instr;  /* owned: the venue's rules once known; they win over [instrument.*] */

    gd_gen *gen;                 /* owned: the running generation */
    gd_libcache *cache;          /* the plugin libraries */
    int own_cache;               /* 1: made (and freed) by this engine; 0: shared, read-only */
    char **plugin_dirs;          /* owned copies of gd_engine_opts.plugin_dirs.first */
    size_t n_plugin_dirs;
    char *plugin_dir_last;       /* owned copy of gd_engine_opts.plugin_dirs.last, or NULL */
    char **skip;                 /* owned copies of gd_engine_opts.skip */
    uint32_t n_skip;
    const gd_param_override *overrides; /* borrowed from the options (ablation only) */
    uint32_t n_overrides;
    char **slot_names;           /* owned: strategy names by slot, grow only */
    uint32_t n_slots;
    int warming;                 /* replaying history into new instances: no signals */
    int reloading;               /* a new generation is being built */

    gd_ring *hist;               /* owned, per symbol */
    gd_worker_conf *wconf;       /* owned: plugins run in workers; NULL in-process */

    const gordon_host_api *api; /* the one read-only table (gd_hostapi_table) */
    gd_pipeline pipe;
    gd_book book;
    gd_executor exec;
    gd_intentlog log;            /* ops NULL when none */
    struct gd_trades *trades;    /* owned: the trade list, NULL when none */
    gd_halt halt;
    uint64_t ids_limit;          /* with a store: ids below this are durably reserved */

    int64_t now_ms;
    int64_t last_data_ms;
    int64_t trade_from_ms;
    gd_inst *in_strategy;        /* set while a strategy's on_bar runs */
    int flooded;                 /* a strategy went past GD_EMITS_PER_CALL in this bar */
    int in_bar;                  /* gd_engine_on_bar is running: breakers follow at its end */
    int in_create;               /* a plugin's create() is running */
    int replay;                  /* bar time is the clock; series freshness follows it */
    int series_source;           /* a series fetcher is configured */
    gd_series_data *series;      /* owned */
    uint32_t n_series;
    gd_engine_counters ctr;
    double *slot_ref;            /* owned: reference price of each slot's last order */
    /* The latest decisions and fills, for the operator's console (newest
     * at head - 1); fixed arrays: recording one copies, never allocates. */
    gd_intent recent_intents[GD_RECENT];
    uint32_t ri_head, ri_n;
    gd_recent_fill recent_fills[GD_RECENT];
    uint32_t rf_head, rf_n;
    /* When the latest orders left for a venue (wall clock), by intent id:
     * a fill's latency is measured from there. */
    struct {
        uint64_t intent_id;
        int64_t sent_ms;
    } sent[GD_RECENT];
    uint32_t sent_head;
    int64_t *last_bar_ms;        /* owned: close time of each symbol's last bar */
    double *ref_mark;            /* owned: the venue's mark price per symbol (live; 0: the bar's close) */
    int64_t *ref_mark_ms;        /* owned: ... its venue time */
    const char *tripped;         /* name of a breaker tripped at the last evaluation */
    const char *market_gate;     /* "market": live bars are stale (no entries), NULL: current */
    const char *bar_gate;        /* "stale_bar": the bar being delivered is a backfilled old one */
    gd_rec rec;                  /* the journal for the database (records.c) */
    gd_qlist quar;               /* strategies out of trading (risk/quarantine.h), as the store has them */
};

/* Slot k's position and orders in symbol s; 0 when it holds nothing there
 * (flat, and no entry pending). */
static inline int gd_engine_slot_holds(const gd_engine *e, uint32_t k, uint32_t s, const gd_position **p,
                                       gd_slot_orders *so)
{
    *p = gd_book_pos(&e->book, k, s);
    e->exec.ops->slot(e->exec.self, k, s, so);
    return (*p)->side != GORDON_SIDE_NONE || so->entry_pending;
}

/* engine.c: makes sure the next intent id is durably reserved (a store
 * attached); if it cannot be, the latch is set. Called before an id is
 * taken. */
void gd_engine_ensure_id(gd_engine *e);

/* hostapi.c: the table every plugin instance receives, the same for all:
 * in a page of its own, read-only once filled, never freed (a library's
 * destructor may still reach for it after everything else is gone). */
const gordon_host_api *gd_hostapi_table(void);

/* Handles: what a plugin holds instead of a pointer into the engine. A
 * handle is an index into a process-wide table plus a generation, checked on
 * every call; a freed instance's handle (a destructor after unload, a copy
 * kept too long) is refused and counted. NULL when the table is full. */
gordon_ctx *gd_handle_new(gd_inst *in);
void gd_handle_free(gordon_ctx *h);
/* The instance in a handle's slot, uncounted and unchecked: for the crash
 * report only. */
const gd_inst *gd_handle_peek(gordon_ctx *h);
/* The instance of the handle being called now (checked, not counted), or
 * NULL: for the host's own stand-ins (isolate.c). */
gd_inst *gd_handle_inst(gordon_ctx *h);

/* isolate.c: plugins in sandboxed workers. dst becomes src with the
 * stand-ins that call the instance's worker. */
void gd_isolate_desc(const gordon_plugin *src, gordon_plugin *dst);
/* on_bar of the calls (all isolated; all strategies or none) in batches:
 * the bar to every worker, then each one's answer in call order. */
void gd_isolate_bar(gd_engine *e, const gd_call *calls, uint32_t n, uint32_t symbol, const gordon_bar *bar,
                    int strategies);
/* A bar's whole isolated dispatch as one batch: the bar to every pre
 * (overlay, breaker) and strategy worker at once, each breaker's evaluate
 * right behind its bar; then the pre answers, the breakers' verdicts and
 * the strategies' answers (their signals decided as they are served), in
 * that order: the results are the phases' one after another (a strategy's
 * on_bar reads nothing the pre calls or breakers change, and its signals
 * are decided only after every verdict). 0 when done; -1 when the batch
 * is too large, and nothing was sent (the caller goes phase by phase). */
int gd_isolate_bar_all(gd_engine *e, const gd_dispatch *d, uint32_t symbol, const gordon_bar *bar);
/* engine.c, for it: e->tripped cleared, the breakers' input, their
 * scratch readied; then verdict i from its evaluate's rc. */
void gd_engine_breakers_begin(gd_engine *e, gordon_breaker_input *in);
void gd_engine_breaker_verdict(gd_engine *e, uint32_t i, int rc);
/* Restarts quarantined workers whose backoff has passed (timers). */
void gd_isolate_tick(gd_engine *e);
/* Instances whose worker is down; *for_good those past max_restarts. */
uint32_t gd_isolate_quarantined(const gd_engine *e, uint32_t *for_good);
/* gen.c: replays the kept history (its last max_bars bars of each symbol;
 * 0: all of it) into instances, without signals. */
void gd_engine_warm_up(gd_engine *e, gd_inst *const *insts, uint32_t n, uint64_t max_bars);

/* hostapi.c: what the pipeline calls for an overlay (instance = its
 * gd_inst): the plugin's filter with the overlay's handle bound. */
int gd_overlay_filter(void *instance, const gordon_signal *in, gordon_signal *out, char *reason, size_t len);
/* Isolated overlays: the filter's two halves (isolate.c). */
int gd_overlay_send(void *instance, const gordon_signal *in);
int gd_overlay_recv(void *instance, gordon_signal *out, char *reason, size_t len);

/* engine.c: a strategy's signal through the pipeline to the executor;
 * returns what emit returns. */
int gd_engine_emit(gd_engine *e, gd_inst *in, const gordon_signal *sig);
/* Commits an intent to the pipeline's ledgers and the intent log. */
void gd_engine_record(gd_engine *e, const gd_intent *it);

/* gen.c: generations. */
int gd_gen_build(gd_engine *e, const gd_config *cfg, gd_gen **out, gd_err *err);
void gd_gen_free(gd_engine *e, gd_gen *g);
/* History long enough for g's largest warm-up (keeps what it has). */
int gd_engine_ensure_history(gd_engine *e, const gd_gen *g, gd_err *err);
/* The rules of each traded symbol from cfg. */
int gd_engine_copy_instruments(const gd_engine *e, const gd_config *cfg, gd_instrument *out, gd_err *err);

/* series.c: external series for the host API. */
int gd_series_subscribe(gd_engine *e, const char *id);
int gd_series_get(gd_engine *e, const char *id, gordon_series_point *out);
void gd_series_free_all(gd_engine *e);

/* engine.c: journals the intent and its orders, then submits (syncing the
 * journal first for an executor whose orders leave the process). */
int gd_engine_submit(gd_engine *e, const gd_order *o, const gd_intent *it, gd_err *err);
/* n orders at once (an emergency flatten): every one's records journaled,
 * one sync for them all (not one per order: each is a disk's flush), then
 * each submitted; rcs[k] and errs[k] as gd_engine_submit's. The caller
 * sets rec.pre_iid to it[k].id before recording it[k] as it ended. */
void gd_engine_submit_all(gd_engine *e, const gd_order *o, const gd_intent *it, uint32_t n, int *rcs, gd_err *errs);

/* records.c: the journal for the database (no-ops without one). */
int gd_engine_rec_grow(gd_engine *e, uint32_t n_owners, gd_err *err);
/* An intent and the orders o submits for it (before submit; NULL: the
 * intent alone). */
void gd_engine_rec_intent(gd_engine *e, const gd_intent *it, const gd_order *o);
/* The records emitted between begin and end go to the database thread as
 * one queue entry (nested pairs: the outermost end commits it). end before
 * anything waits for the records to be durable. */
void gd_engine_rec_group_begin(gd_engine *e);
void gd_engine_rec_group_end(gd_engine *e);
void gd_engine_rec_group_flush(gd_engine *e); /* commits what an open group holds now */
void gd_engine_rec_submitted(gd_engine *e, const gd_order *o, int ok, const char *why);
void gd_engine_rec_adopt(gd_engine *e, uint32_t owner, const gordon_fill *f, double stop, double tp);
/* records.c: the order row of the stop placed on an adopted position. */
void gd_engine_rec_adopted_stop(gd_engine *e, uint32_t owner, uint32_t sym, int side, uint64_t intent_id, double stop);
/* ref: the host's reference price for the fill's slippage (0: none). */
void gd_engine_rec_fill(gd_engine *e, uint32_t owner, const gordon_fill *f, double stop, double tp,
                        uint64_t pos_before, double ref);                                /* after the book */
void gd_engine_rec_risk(gd_engine *e, const char *kind, const char *who, const char *why, const char *detail);
void gd_engine_rec_latch(gd_engine *e);
const char *gd_engine_rec_gate(gd_engine *e);                                /* "db" while it blocks entries */

#endif
