/* The host's risk pipeline: every signal becomes exactly one intent, accepted
 * with a host-computed quantity or rejected with a reason. Nothing a plugin
 * says is taken on trust: the price is the host's own (the plugin's entry is
 * a claim that must be near it), overlays work on copies and only validated
 * tightenings are taken back. Order of checks for entries: validity ->
 * order-rate throttle (every signal counts) -> entry claim vs the host's
 * price -> halt latch -> breakers -> position state -> overlays -> stop loss
 * -> sizing (min qty / min notional) -> per-order cap -> daily cap -> gross
 * exposure cap. Exits only need validity and a position: caps, minimums, the
 * latch and throttles never block a reduction. */
#ifndef GD_PIPELINE_H
#define GD_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include <gordon/sdk.h>

#include "config/config.h"

typedef struct gd_limits {
    double risk_pct;           /* percent of equity per trade */
    int sl_required;
    double max_order_notional; /* effective per-order cap (production cap applied) */
    double max_daily_notional; /* per UTC day, over every accepted entry */
    double max_gross_exposure; /* open positions + pending entries, all strategies */
    uint32_t rate_global;      /* signals per rolling second, all strategies (every emit counts) */
    uint32_t rate_strategy;    /* the same per strategy */
    double entry_tol_bps;      /* an entry claim this close to the host's price is believed... */
    double entry_tol_ticks;    /* ... or this many ticks, whichever is wider */
    double allocation;         /* sizing uses min(equity, allocation); 0: the equity */
} gd_limits;

/* Limits from a loaded configuration (the production cap folded in). */
void gd_limits_from_config(const gd_config *cfg, gd_limits *out);

/* What a plugin's text (an overlay's veto reason, a breaker's) may run past
 * the buffer it was told about: slack behind every such buffer absorbs it. */
#define GD_REASON_SLACK 1024

/* An overlay as the pipeline calls it. */
typedef struct gd_overlay_ref {
    const char *name;
    void *instance;
    int (*filter)(void *instance, const gordon_signal *in, gordon_signal *out, char *reason,
                  size_t reason_len);
    /* Isolated overlays (NULL in-process): filter in two halves, so every
     * overlay is asked at once and the answers read in order. An answer to
     * an input that an earlier overlay then tightened is read and set aside,
     * and the overlay asked again with the tightened signal: the result is
     * the sequential chain's. */
    int (*send)(void *instance, const gordon_signal *in);
    int (*recv)(void *instance, gordon_signal *out, char *reason, size_t reason_len);
} gd_overlay_ref;

/* What the caller knows about the account and the signal's slot. */
typedef struct gd_account_view {
    double equity;
    double gross_exposure;   /* |qty| x mark of open positions + pending entry notional */
    int halted;              /* the halt latch */
    const char *tripped;     /* name of a tripped breaker, or NULL */
    const char *quarantined; /* the strategy is quarantined: who did it, or NULL */
    int subscribed;          /* the strategy receives this symbol's bars */
    int32_t pos_side;        /* this strategy's position in the symbol */
    double pos_qty;          /* ... and its quantity (0 when flat) */
    int entry_pending;
    int exit_pending;
    double ref_price;        /* the host's price for the symbol (replay: this bar's close; live:
                                the mark); 0 when it has none yet */
} gd_account_view;

typedef enum gd_cap_kind { GD_CAP_NONE = 0, GD_CAP_ORDER = 1, GD_CAP_DAILY = 2, GD_CAP_EXPOSURE = 3 } gd_cap_kind;

typedef struct gd_intent {
    uint64_t id;
    int64_t time_ms;
    uint32_t strategy;
    uint32_t symbol;
    int32_t action;
    int32_t side;
    double entry;       /* the host's reference price: what sizing, the stop side and caps used */
    double entry_claim; /* the plugin's entry, as it claimed it */
    double stop;        /* final, after overlays and tick rounding */
    double orig_stop;   /* as the strategy asked */
    double take_profit;
    double risk_scale;
    double qty;         /* 0 unless accepted (exits: 0 = whole position) */
    double notional;
    int result;         /* gordon_reject; GORDON_ACCEPTED = 0 */
    int capped_by;      /* gd_cap_kind that reduced qty, if any */
    char tag[32];
    char detail[160];   /* human explanation of a rejection or adjustment */
} gd_intent;

/* Order-rate window: the times of the last `cap` signals counted. */
typedef struct gd_rate {
    int64_t *t;
    uint32_t cap;
    uint32_t head;
    uint32_t count;
} gd_rate;

typedef struct gd_pipeline {
    gd_limits lim;
    const gd_instrument *instr; /* borrowed, one per symbol */
    uint32_t n_symbols;
    uint32_t n_strategies;
    int64_t day;                /* UTC day of used_today */
    double used_today;
    gd_rate global;
    gd_rate *per_strategy;      /* owned, n_strategies */
    uint64_t next_id;
    uint64_t by_result[GORDON_REJECT__COUNT];
} gd_pipeline;

int gd_pipeline_init(gd_pipeline *p, const gd_limits *lim, const gd_instrument *instr,
                     uint32_t n_symbols, uint32_t n_strategies);
void gd_pipeline_free(gd_pipeline *p);
/* More strategies (reload); existing windows and today's usage stay. */
int gd_pipeline_grow(gd_pipeline *p, uint32_t n_strategies);
/* New limits (reload): today's usage is kept; rate windows restart only
 * when their size changed. */
int gd_pipeline_set_limits(gd_pipeline *p, const gd_limits *lim, const gd_instrument *instr);

/* Runs every check and fills *out. Does not change caps or throttles: call
 * gd_pipeline_commit once the executor has taken an accepted order. */
void gd_pipeline_decide(gd_pipeline *p, uint32_t strategy, const gordon_signal *sig,
                        const gd_account_view *acct, const gd_overlay_ref *overlays,
                        size_t n_overlays, int64_t now_ms, gd_intent *out);

/* Records the final result: counts it, and for accepted entries charges the
 * daily cap. (The rate windows counted the signal when it was decided.) */
void gd_pipeline_commit(gd_pipeline *p, const gd_intent *it);

/* Notional the daily cap still allows at now_ms. */
double gd_pipeline_daily_left(gd_pipeline *p, int64_t now_ms);

const char *gd_reject_name(int code);
/* The reason in words an author acts on ("stop on the wrong side of the
 * host's price"); gd_reject_name is the record's token. */
const char *gd_reject_describe(int code);
/* Why a run traded nothing, from its signal count and the pipeline's counts
 * per result: "412 signals, all rejected: 398 stop on the wrong side of the
 * host's price, 14 below min_qty" (at most top reasons, most frequent
 * first, the rest summed), or "no signals". Always terminates buf. */
void gd_reject_explain(char *buf, size_t cap, uint64_t signals, const uint64_t by_result[GORDON_REJECT__COUNT],
                       size_t top);
const char *gd_cap_name(int cap);

#endif
