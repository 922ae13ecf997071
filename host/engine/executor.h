/* The executor interface: where accepted intents become orders. The simulated
 * executor fills against replayed bars; a venue executor (Binance) implements
 * the same operations over REST. Fills come back through gd_fill_sink. */
#ifndef GD_EXECUTOR_H
#define GD_EXECUTOR_H

#include <stdint.h>

#include <gordon/sdk.h>

#include "base/err.h"

typedef enum gd_order_kind {
    GD_ORDER_ENTRY = 1,  /* market entry with protective stop (and optional take profit) */
    GD_ORDER_EXIT = 2,   /* reduce-only market close of the slot's position */
    GD_ORDER_FLATTEN = 3 /* reduce-only, emergency */
} gd_order_kind;

typedef struct gd_order {
    uint64_t intent_id;
    uint32_t owner;      /* strategy instance index */
    uint32_t symbol;
    int32_t kind;        /* gd_order_kind */
    int32_t side;        /* ENTRY: position side to open */
    double qty;          /* ENTRY: host-sized quantity; EXIT: ignored (whole position) */
    double stop;         /* ENTRY: protective stop, 0 only when stops are not required */
    double take_profit;  /* 0 = none */
    double ref_price;
    int64_t time_ms;
} gd_order;

/* What is outstanding for one slot, as the executor knows it. */
typedef struct gd_slot_orders {
    int entry_pending;
    int exit_pending;
    double entry_notional;
} gd_slot_orders;

typedef struct gd_fill_sink {
    void *host;
    /* stop/tp are the protective levels now working for the position. */
    void (*on_fill)(void *host, uint32_t owner, gordon_fill *fill, double stop, double tp);
} gd_fill_sink;

typedef struct gd_executor_ops {
    const char *name;
    /* 1: orders leave the process (a venue): the journal is synced before
     * each submit. 0: simulated, synced between batches of bars. */
    int remote;
    /* Takes an order or refuses it (err says why). An EXIT while only an
     * entry is pending cancels that entry. */
    int (*submit)(void *self, const gd_order *order, gd_err *err);
    void (*slot)(void *self, uint32_t owner, uint32_t symbol, gd_slot_orders *out);
    double (*pending_notional)(void *self);
    /* Room for more owners after a reload added strategies. */
    int (*grow)(void *self, uint32_t n_owners);
    /* Simulated venues only (NULL otherwise): a bar opened and closed. */
    void (*on_bar)(void *self, uint32_t symbol, const gordon_bar *bar);
    void (*destroy)(void *self);
} gd_executor_ops;

typedef struct gd_executor {
    const gd_executor_ops *ops;
    void *self;
} gd_executor;

#endif
