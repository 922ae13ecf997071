/* The Binance USD-M executor (issue 14): what the pipeline accepted, placed
 * on the venue over signed REST on the host's loop, behind the executor
 * interface (host/executor.h).
 *
 * An entry is a MARKET order whose client id comes from the intent
 * (g<intent>-e), so a retry is idempotent and a restart can find it. Once
 * any of it fills, the stop goes on at once as a conditional algo order
 * (STOP_MARKET, closePosition, MARK_PRICE, clientAlgoId g<intent>-s), the
 * take profit likewise (-t). A stop that cannot be placed within the retry
 * budget, that stays TRIGGERING past the grace window, that disappears, or
 * that has not filled a grace window after the host's price crossed it
 * (the shadow stop) is an incident: the position is closed with a
 * reduce-only market order and the host halts.
 *
 * A reply that is not a clear answer is "unknown": the order is looked up
 * by its client id before anything is sent again (DESIGN invariant 10).
 * 429/418 back off for Retry-After; -1021 re-measures the clock.
 *
 * Start-up, before anything trades: the server-time offset, the symbols'
 * rules from exchangeInfo (they replace [instrument.*]), one-way position
 * mode (hedge mode is refused), margin type and leverage per symbol, the
 * account's equity, and the venue's positions and algo orders (a position
 * gordon did not open is refused or closed, per [venue] unknown_positions).
 *
 * Binance's one-way mode nets a symbol's positions, so one strategy at a
 * time may hold or enter a symbol; a second entry is refused.
 *
 * Restarts: every entry is written to the ledger (venue/ledger.h) before
 * it leaves, with its strategy, stop and take profit; fills and closes
 * follow. At start-up the ledger's open records are gordon's own: their
 * symbols' venue positions are not "unknown". Once the host took the
 * venue's rules, gd_vexec_recover looks each entry up by its client id
 * (never sending it again: an entry the venue never took is dropped), puts
 * what filled into the host's book (fills the host was not told of are
 * delivered as fills; what it was told of is adopted), finds the stop and
 * take profit by their client ids (placed if missing, within the retry
 * budget, as for a new position), and a position the venue closed while
 * gordon was down is closed in the book at the price its stop, take profit
 * or close filled at (the mark price, logged, if none of them did). */
#ifndef GD_VENUE_EXEC_H
#define GD_VENUE_EXEC_H

#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "config/config.h"
#include "engine/executor.h"

typedef struct gd_vexec gd_vexec;

/* The venue's commission on one order (gd_vexec_hooks.fee). */
typedef struct gd_vexec_fee {
    char client_id[24];   /* the order's, g<id>-<kind> */
    uint64_t intent_id;   /* the order's intent (a stop's: its position's entry) */
    uint64_t position_id; /* the position's entry intent */
    char asset[16];
    double estimated, charged;
    int apply;
} gd_vexec_fee;

typedef struct gd_vexec_hooks {
    void *arg;
    /* Start-up finished: rc 0 (trading may start) or an error saying what
     * the venue refused. */
    void (*ready)(void *arg, int rc, const gd_err *err);
    /* A position was, or may be, without a working stop: the host halts,
     * and the strategy that held it (owner; UINT32_MAX when none did) is
     * quarantined. */
    void (*incident)(void *arg, uint32_t owner, const char *why);
    /* An order's status changed (kind: 'e' entry, 's' stop, 't' take
     * profit, 'x' exit, 'f' flatten, 'c' a close by the executor). */
    void (*order_event)(void *arg, uint32_t owner, uint32_t symbol, uint64_t intent_id, char kind, const char *status,
                        const char *detail);
    /* The strategy instance an owner index names, and back (0, or GD_ENOENT
     * when no running strategy has that name): the ledger keeps names,
     * which survive a restart with a changed configuration. */
    const char *(*owner_name)(void *arg, uint32_t owner);
    int (*owner_index)(void *arg, const char *name, uint32_t *owner);
    /* A position opened before a restart whose entry fill the host was
     * already told of: into the book as it stands (gd_engine_adopt). */
    void (*adopt)(void *arg, uint32_t owner, const gordon_fill *entry, double stop, double tp);
    /* A venue position gordon did not open, adopted by owner ([venue]
     * unknown_positions = adopt): into the book with a new intent id
     * (gd_engine_adopt_new), which names the stop placed next. */
    int (*adopt_new)(void *arg, uint32_t owner, gordon_fill *entry, double stop, double ref_price, uint64_t *intent_id,
                     gd_err *err);
    /* The venue's commission on an order, once the order is final and its
     * fills were delivered: they were charged an estimate ([executor]
     * fee_bps; an order reply carries none). apply: the commission is in
     * the symbol's quote asset, so charged - estimated goes into the book. */
    void (*fee)(void *arg, uint32_t owner, uint32_t symbol, const gd_vexec_fee *f);
} gd_vexec_hooks;

typedef struct gd_vexec_opts {
    uv_loop_t *loop;
    const gd_config *cfg;       /* borrowed; [venue], [risk] leverage, [executor] fee_bps */
    const char *const *symbols; /* engine symbol index -> venue symbol; borrowed */
    uint32_t n_symbols;
    uint32_t n_owners;
    gd_fill_sink sink;
    gd_vexec_hooks hooks;
    /* <state_dir>/venue.ledger; NULL: none (a restart then meets gordon's
     * own positions as unknown ones) */
    const char *ledger_path;
} gd_vexec_opts;

typedef struct gd_vexec_stats {
    uint64_t orders_sent;   /* entries, exits and closes posted */
    uint64_t algo_sent;     /* stops and take profits posted */
    uint64_t rejected;      /* clear refusals by the venue */
    uint64_t unknown;       /* replies that were not a clear answer */
    uint64_t lookups;       /* orders looked up by client id */
    uint64_t resent;        /* sent again after a lookup found nothing */
    uint64_t limited;       /* 429/418 */
    uint64_t clock_resyncs; /* -1021 */
    uint64_t stops_working;
    uint64_t stop_failures; /* incidents: stop not placed, stuck, gone */
    uint64_t shadow_closes; /* the host closed a position its venue stop left open */
    uint64_t incidents;
    uint64_t stream_events;   /* user-data stream events read */
    uint64_t stream_connects; /* connections opened (reconnects included) */
    uint64_t reconciliations; /* positions compared with the venue's */
    uint64_t mismatches;      /* ... that disagreed */
    uint64_t recovered;       /* ledger records taken up at start-up */
    uint64_t adopted;         /* ... of which positions put into the book as they stood */
    uint64_t adopted_unknown; /* venue positions gordon did not open, adopted with a stop */
    uint64_t fee_corrections; /* orders whose venue commission replaced the estimate */
    uint64_t fee_foreign;     /* ... paid in another asset than the quote (not in the book) */
    uint64_t fee_implausible; /* ... more than 1 % of the order's notional (not believed, not in the book) */
    int stream_connected;
    long used_weight_1m; /* last X-MBX-USED-WEIGHT-1M, -1 before any */
    long order_count_1m; /* last X-MBX-ORDER-COUNT-1M, -1 before any */
    int ready;
} gd_vexec_stats;

int gd_vexec_new(const gd_vexec_opts *o, gd_vexec **out, gd_err *err);

/* owner's position in symbol: 1 when its stop is confirmed working at the
 * venue, 0 when not (being placed, looked up, or gone), -1 when the
 * executor holds nothing there. */
int gd_vexec_stop_state(const gd_vexec *x, uint32_t owner, uint32_t symbol);

/* The executor interface over x; ops->destroy frees x. */
gd_executor gd_vexec_executor(gd_vexec *x);

/* Starts the asynchronous start-up; hooks.ready reports its end. */
int gd_vexec_start(gd_vexec *x, gd_err *err);

/* Called once when the take-up is over: rc 0 when every record taken up is
 * settled (the entry's fate known, and its position either closed or
 * protected by a stop, and a take profit if it had one, confirmed working
 * at the venue), else an error naming what was not settled within
 * [venue] startup_ms of the start. */
typedef void (*gd_vexec_settled_fn)(void *arg, int rc, const gd_err *err);

/* After ready and once the host holds the venue's rules: takes up the
 * ledger's open records (see above). The lookups run on the loop; nothing
 * should trade before done reports 0 (it may be called before this
 * returns, when there is nothing to take up). */
int gd_vexec_recover(gd_vexec *x, gd_vexec_settled_fn done, void *arg, gd_err *err);

/* After ready: the venue's rules per engine symbol (tick, step, minimum
 * quantity and notional for MARKET orders) and the account's equity. */
const gd_instrument *gd_vexec_instruments(const gd_vexec *x);
double gd_vexec_equity(const gd_vexec *x);

void gd_vexec_stats_get(const gd_vexec *x, gd_vexec_stats *out);

/* The venue's mark price for engine symbol s (live market data): the
 * shadow stop's trigger between bars. */
void gd_vexec_mark(gd_vexec *x, uint32_t s, double mark);

/* Positions gordon holds on the venue, and whether each has a working stop:
 * the reconciliation the tests and /readyz read. Writes at most cap lines
 * "SYMBOL side qty stop=working|none" to buf. Returns the number unprotected. */
int gd_vexec_describe(const gd_vexec *x, char *buf, size_t cap);

/* Stops the timers and aborts what is in flight (no callbacks after);
 * the memory goes with ops->destroy once the loop has closed the handles. */
void gd_vexec_stop(gd_vexec *x);

#endif
