/* Journal records: what the host tells PostgreSQL, one type per kind of row.
 * A payload is a flat JSON object whose members are the row's columns (the
 * writer binds them by name, db/writer.c), or the binary form of the same
 * (below) that the database thread journals and the writer turns into that
 * object before binding it; the record's sequence number and
 * time come from the journal header. Ids are fixed here, before anything is
 * written, so applying a record twice changes nothing: intents by intent id,
 * orders by client order id, positions by their entry intent, and fills,
 * order events, equity points and risk events by the journal's sequence
 * number. Formatting writes into the caller's buffer and allocates nothing. */
#ifndef GD_RECORD_H
#define GD_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "risk/pipeline.h"

enum gd_rec_type {
    GD_REC_INTENT = 1,      /* a signal and its outcome (again if the executor refused it) */
    GD_REC_ORDER = 2,       /* an order as sent (status "new") */
    GD_REC_ORDER_EVENT = 3, /* an order's status changed */
    GD_REC_POSITION = 4,    /* a position's state (opened, reduced, closed) */
    GD_REC_FILL = 5,
    GD_REC_EQUITY = 6,
    GD_REC_RISK = 7,        /* trips, halts, resumes, flattens, quarantines */
    GD_REC_LATCH = 8,       /* the halt latch as it now is */
    GD_REC_SESSION = 9,     /* a run starts: a simulated executor's positions and orders of the runs
                               before are gone with them (abandoned, expired) */
    GD_REC_FEE = 10,        /* the venue's commission on an order, against the estimate its fills were
                               charged when they came (the order reply has none) */
    GD_REC__COUNT
};

/* A journal queue entry that holds several packed records, each behind a
 * gd_rec_sub header and padded to 8 bytes (the records of one event: a
 * fill's status changes, position, fill and equity point; an entry's intent
 * and orders): one reserve and commit for them all. Never journaled. */
#define GD_REC_GROUP 0x7F00u
typedef struct gd_rec_sub {
    uint32_t len;   /* the packed record's bytes */
    uint16_t type;
    uint16_t pad;
    int64_t time_ms;
} gd_rec_sub;

/* A fill's records as one queue entry (never journaled): its status
 * changes, position, fill and equity point, as the loop decided them,
 * written in place in the queue with no string copied (every string a fill
 * records is a name the engine owns or a literal, as packing's stable
 * strings). The database thread expands it (gd_rec_fillev_expand) into the
 * group those records would have made, in the same order: the journal holds
 * the same records. A fill made 5 of a full-speed replay's 7 records a
 * trade; packed one by one they were most of the loop's cost of the
 * database. */
#define GD_REC_FILLEV 0x7F01u
#define GD_REC_FILLEV_STATUS 6 /* a fill changes 4 orders' status at most */
typedef struct gd_rec_evstatus {
    uint64_t intent_id;
    char kind;
    const char *status, *detail;
} gd_rec_evstatus;

/* The largest payload the formatters write; a buffer this size always fits. */
#define GD_REC_MAX 2048

const char *gd_rec_type_name(int type); /* "intent", ...; "unknown" */

/* Order client ids: "g<intent id>-<k>", k: e entry, s stop, t take profit,
 * x exit, f flatten. Unique per intent and kind; 36 characters at most
 * (Binance's clientOrderId). */
#define GD_CLIENT_ID_MAX 40
void gd_client_id(char out[GD_CLIENT_ID_MAX], uint64_t intent_id, char kind);
/* An order's kind by its client id letter ("entry", "stop", "take_profit",
 * "exit", "flatten" for f and c); NULL for any other letter. */
const char *gd_rec_order_kind(char k);

/* A client id as its parts, for a record whose client_id is NULL: written
 * out where the record is formatted (off the trading loop). kind 0: none. */
typedef struct gd_rec_cid {
    uint64_t intent_id;
    char kind;
} gd_rec_cid;

size_t gd_rec_intent(char *buf, size_t cap, const gd_intent *it, const char *strategy, const char *symbol,
                     int stop_required);

typedef struct gd_rec_order {
    const char *client_id;
    uint64_t intent_id;
    const char *kind;      /* entry, stop, take_profit, exit, flatten */
    const char *strategy;
    const char *symbol;
    int side;              /* +1 buys, -1 sells */
    double qty;            /* 0: the whole position */
    double price;          /* trigger of a stop or take profit; 0: market */
    int reduce_only;
    gd_rec_cid cid;        /* when client_id is NULL */
} gd_rec_order;
size_t gd_rec_order_fmt(char *buf, size_t cap, const gd_rec_order *o);

size_t gd_rec_order_event(char *buf, size_t cap, const char *client_id, const char *status,
                          const char *detail, const char *venue_id);

typedef struct gd_rec_position {
    uint64_t id;           /* the entry intent */
    const char *strategy;
    const char *symbol;
    int side;
    double qty, open_qty, entry, stop, take_profit;
    int stop_required;
    int closed;
    int64_t opened_ms, closed_ms;
    double exit_price, realized_pnl, fees;
} gd_rec_position;
size_t gd_rec_position_fmt(char *buf, size_t cap, const gd_rec_position *p);

typedef struct gd_rec_fill {
    const char *client_id;
    uint64_t intent_id;
    uint64_t position_id;
    const char *venue_trade_id; /* NULL in simulation */
    const char *strategy;
    const char *symbol;
    int side;
    const char *reason;    /* entry, exit, stop, take_profit, flatten */
    double qty, price, fee, realized_pnl;
    double ref_price;      /* the host's reference; 0: none (slippage not recorded) */
    double slippage_bps;   /* side x (price - ref) / ref, in bps: positive is worse */
    gd_rec_cid cid;        /* when client_id is NULL */
} gd_rec_fill;
size_t gd_rec_fill_fmt(char *buf, size_t cap, const gd_rec_fill *f);

typedef struct gd_rec_fee {
    const char *client_id;  /* the order's */
    uint64_t intent_id;
    uint64_t position_id;
    const char *strategy;
    const char *symbol;
    const char *asset;      /* the commission's asset, "USDT" */
    double estimated;       /* what its fills were charged ([executor] fee_bps) */
    double charged;         /* what the venue charged (the stream's n, summed over the order's trades) */
    double applied;         /* charged - estimated when in the account's asset (the book took it), else 0 */
    int in_position;        /* the position's own record carries it (it was open) */
} gd_rec_fee;
size_t gd_rec_fee_fmt(char *buf, size_t cap, const gd_rec_fee *f);

typedef struct gd_rec_equity {
    const char *cause;     /* fill, timer, start, stop */
    double equity, cash, unrealized, gross, drawdown_pct;
    uint32_t open_positions;
} gd_rec_equity;
size_t gd_rec_equity_fmt(char *buf, size_t cap, const gd_rec_equity *q);

typedef struct gd_rec_fillev {
    uint32_t n_status;
    int has_pos, has_fill, has_eq;
    gd_rec_position pos;
    gd_rec_fill fill;
    gd_rec_equity eq;
    gd_rec_evstatus st[GD_REC_FILLEV_STATUS]; /* last: only those used are queued */
} gd_rec_fillev;
/* An entry's size in the queue: up to its last status change used. */
static inline size_t gd_rec_fillev_size(uint32_t n_status)
{
    return offsetof(gd_rec_fillev, st) + (size_t)n_status * sizeof(gd_rec_evstatus);
}
/* The entry of len bytes at ev as the GD_REC_GROUP payload its records make
 * (each at time t) in room bytes at dst (a multiple of 8); its size, or 0
 * when it does not fit or is not an entry of its own size. */
size_t gd_rec_fillev_expand(void *dst, size_t room, const gd_rec_fillev *ev, size_t len, int64_t t);

/* An intent and the orders it submits as one queue entry (never
 * journaled), written in place: its fixed fields, tag and detail as the
 * pipeline left them, and each order's kind, side, quantity, price and
 * reduce-only flag (the strategy and symbol are the engine's names; an
 * order's kind and client id follow from its letter and the intent's id).
 * The database thread expands it (gd_rec_intev_expand) into the group of
 * records it stands for: the intent, then its orders. Packed record by
 * record, an intent and its orders were most of the rest of the loop's
 * cost of the database. */
#define GD_REC_INTEV 0x7F02u
#define GD_REC_INTEV_ORDERS 3 /* an entry, its stop and its take profit */
typedef struct gd_rec_evorder {
    double qty, price;
    int32_t side;
    char k;              /* e, s, t, x, f, c (db/record.h's client id letters) */
    unsigned char reduce_only;
} gd_rec_evorder;
typedef struct gd_rec_intev {
    const char *strategy, *symbol;
    int32_t stop_required;
    uint32_t n_orders;
    _Alignas(8) unsigned char it[offsetof(gd_intent, tag)]; /* gd_intent up to its tag */
    char tag[sizeof(((gd_intent *)0)->tag)];
    gd_rec_evorder ord[GD_REC_INTEV_ORDERS]; /* only those used are queued */
    /* then the detail, NUL-terminated (at most gd_intent's detail), padded to 8 */
} gd_rec_intev;
/* The most an entry takes; its size with n orders and a detail of dlen
 * bytes. */
#define GD_REC_INTEV_MAX (sizeof(gd_rec_intev) + sizeof(((gd_intent *)0)->detail))
static inline size_t gd_rec_intev_size(uint32_t n_orders, size_t dlen)
{
    return offsetof(gd_rec_intev, ord) + (size_t)n_orders * sizeof(gd_rec_evorder) + dlen + 1;
}
/* The entry of len bytes at ev as the GD_REC_GROUP payload its records
 * make (each at time t) in room bytes at dst (a multiple of 8); its size,
 * or 0 when it does not fit or is not a well-formed entry of that length. */
size_t gd_rec_intev_expand(void *dst, size_t room, const gd_rec_intev *ev, size_t len, int64_t t);

/* detail_json: a JSON object's text, or NULL for {}. */
size_t gd_rec_risk(char *buf, size_t cap, const char *kind, const char *who, const char *reason,
                   const char *detail_json);

/* executor: its name ("sim"); simulated: 1 when its positions do not outlive
 * the process. */
size_t gd_rec_session(char *buf, size_t cap, const char *executor, int simulated);

size_t gd_rec_latch(char *buf, size_t cap, int halted, const char *who, const char *reason, int64_t since_ms);

/* ---- Deferred formatting: a record's arguments, packed on the trading
 * loop (a copy: its struct and its strings), formatted later on the
 * database thread to exactly the text the formatters above give. ---- */

/* The arguments of the records whose formatter takes loose ones. */
typedef struct gd_rec_intent_args {
    const gd_intent *it; /* read while packed: not copied whole (most of its bytes are unused text) */
    const char *strategy, *symbol;
    int stop_required;
} gd_rec_intent_args;
typedef struct gd_rec_order_event_args {
    const char *client_id, *status, *detail, *venue_id;
    gd_rec_cid cid; /* when client_id is NULL */
} gd_rec_order_event_args;
typedef struct gd_rec_risk_args {
    const char *kind, *who, *reason, *detail_json;
} gd_rec_risk_args;
typedef struct gd_rec_session_args {
    const char *executor;
    int simulated;
} gd_rec_session_args;
typedef struct gd_rec_latch_args {
    int halted;
    const char *who, *reason;
    int64_t since_ms;
} gd_rec_latch_args;

/* A string longer than this is cut when packed (a payload never holds one:
 * the formatters escape at most 1023 bytes of it). */
#define GD_REC_PACK_STR 4096

/* args: the type's struct (gd_rec_intent_args, gd_rec_order, ...). */
size_t gd_rec_format(char *buf, size_t cap, int type, const void *args);
/* Packs args (the type's struct) into room bytes at dst, 8-aligned: the
 * bytes written, or 0 for an unknown type or when they would not fit
 * (GD_REC_PACK_MAX always fits). One pass, no allocation. The strategy and
 * symbol names, an order's kind, a fill's reason and an equity point's
 * cause are kept as pointers, not copied: they must stay valid until the
 * packed record is formatted (the engine's names, string literals). */
#define GD_REC_PACK_FIXED_MAX 256
#define GD_REC_PACK_MAX (GD_REC_PACK_FIXED_MAX + 6 * (GD_REC_PACK_STR + 1))
size_t gd_rec_pack(void *dst, size_t room, int type, const void *args);
/* Formats a packed record (len bytes at p, as gd_rec_pack wrote it): the
 * payload's length like gd_rec_format, or 0 when p is not a packed record
 * of that type (too short, a string not terminated within len). */
size_t gd_rec_format_packed(char *buf, size_t cap, int type, const void *p, size_t len);

/* ---- Binary payloads: what the database thread journals. A packed
 * record's arguments, every string copied, in a portable form (db/record.c
 * lists each type's fields): the thread journals a record for the cost of a
 * copy, and the writer formats it (gd_rec_format_binary) at the database's
 * pace. The journal holds both kinds; a JSON payload starts with '{'. A
 * field added to one of the argument structs above (or to gd_intent) goes
 * at the end of its type's table, under a new GD_REC_BIN_VERSION whose
 * reader still takes the old one: a journal outlives an upgrade. ---- */
#define GD_REC_BIN_MAGIC   0x01u
#define GD_REC_BIN_VERSION 1u
/* Large enough for any record gd_rec_encode_packed writes. */
#define GD_REC_BIN_MAX (GD_REC_PACK_FIXED_MAX + 6 * (GD_REC_PACK_STR + 2) + 2)
/* 1 when the payload is binary (its first byte). */
int gd_rec_is_binary(const void *p, size_t len);
/* A packed record (len bytes at p, as gd_rec_pack wrote it) as a binary
 * payload in cap bytes at out: its length, or 0 when p is not a packed
 * record of that type or cap is too small. */
size_t gd_rec_encode_packed(void *out, size_t cap, int type, const void *p, size_t len);
/* A binary payload formatted as its JSON payload (the text
 * gd_rec_format_packed gives for the packed record it came from): the
 * length like gd_rec_format, or 0 when it is not a valid binary payload of
 * that type (every length bounded, nothing left over). Its strings are
 * copied onto the caller's stack (~25 KB). */
size_t gd_rec_format_binary(char *buf, size_t cap, int type, const void *p, size_t len);

#endif
