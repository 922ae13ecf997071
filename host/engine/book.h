/* Positions, marks and equity: host state that no plugin can write. One
 * position per (owner, symbol), where owner is the strategy instance. */
#ifndef GD_BOOK_H
#define GD_BOOK_H

#include <stdint.h>

#include <gordon/sdk.h>

typedef struct gd_position {
    int32_t side;        /* gordon_side; NONE when flat */
    double qty;
    double entry_price;
    double stop;
    double take_profit;
    double entry_fee;    /* to report a round trip net of both fees */
    double init_risk;    /* qty x |entry - stop| at the entry fill; 0 without a stop */
    int64_t opened_ms;
    uint64_t intent_id;
} gd_position;

/* One owner's closed round trips (a soak compares each strategy's with its
 * backtest). */
typedef struct gd_owner_stats {
    uint64_t trades;
    uint64_t wins;
    double sum_r;
    uint64_t r_count;
} gd_owner_stats;

/* One symbol's share of the book: what a portfolio ablation reports per
 * symbol. cash + the symbol's unrealised PnL is its contribution to equity,
 * so the contributions sum to equity - start_equity. */
typedef struct gd_sym_stats {
    uint64_t trades;       /* closed round trips (partial exits each count) */
    uint64_t wins;
    double cash;           /* realised PnL net of every fee charged on the symbol */
    double fees;
} gd_sym_stats;

typedef struct gd_book {
    uint32_t n_owners;
    uint32_t n_symbols;
    gd_position *pos;      /* owned: [owner * n_symbols + symbol] */
    double *mark;          /* owned: last close per symbol (0 before the first) */
    double *sym_unreal;    /* owned: unrealised PnL per symbol */
    double *sym_gross;     /* owned: |qty| x mark per symbol */
    uint32_t *sym_open;    /* owned: open positions per symbol */
    gd_sym_stats *sym;     /* owned: per symbol */
    gd_owner_stats *own;   /* owned: per owner */

    double start_equity;
    double cash;           /* start + realised - fees */
    double unreal;         /* sum of sym_unreal */
    double gross;          /* sum of sym_gross */
    double equity;         /* cash + unreal */
    uint32_t open_count;

    /* statistics */
    double peak;
    double max_dd_pct;
    double dd_floor;       /* equity below which a new worst drawdown may start (book.c) */
    int64_t peak_ms;
    int64_t max_dd_duration_ms;
    double realized;
    double fees;
    uint64_t trades;       /* closed round trips */
    uint64_t wins;
    double gross_profit;   /* sum of winning round trips, net of fees */
    double gross_loss;     /* sum of losing round trips (positive number) */
    double sum_r;          /* sum of R multiples (net PnL / initial risk) */
    uint64_t r_count;      /* round trips with a known initial risk */
    uint64_t fills;
} gd_book;

int gd_book_init(gd_book *b, uint32_t n_owners, uint32_t n_symbols, double equity);
/* Room for more owners (a reload added strategies); existing rows stay. */
int gd_book_grow(gd_book *b, uint32_t n_owners);
void gd_book_free(gd_book *b);

static inline const gd_position *gd_book_pos(const gd_book *b, uint32_t owner, uint32_t symbol)
{
    return &b->pos[(size_t)owner * b->n_symbols + symbol];
}

/* Marks symbol at price (a bar close) at time now; updates equity and drawdown. */
void gd_book_mark(gd_book *b, uint32_t symbol, double price, int64_t now_ms);

/* Applies a fill to owner's position. Entry fills open it with stop/tp;
 * reducing fills close (part of) it and set fill->realized_pnl. */
void gd_book_apply_fill(gd_book *b, uint32_t owner, gordon_fill *fill, double stop, double tp);

/* The venue charged delta more (less, negative) than a fill of owner's on
 * symbol was charged: cash, fees and realised PnL take it, and an open
 * position's entry fee (its round trip is reported net of it). A round
 * trip already closed keeps its statistics. */
void gd_book_fee(gd_book *b, uint32_t owner, uint32_t symbol, double delta, int64_t now_ms);

/* A position opened before a restart (the venue executor found it): put in
 * as it stands, without a fill and without charging its fee again (the
 * cash is the venue's balance, which paid it). */
void gd_book_adopt(gd_book *b, uint32_t owner, const gordon_fill *entry, double stop, double tp);

#endif
