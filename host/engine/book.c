#include "engine/book.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int gd_book_init(gd_book *b, uint32_t n_owners, uint32_t n_symbols, double equity)
{
    memset(b, 0, sizeof *b);
    b->n_owners = n_owners;
    b->n_symbols = n_symbols;
    size_t slots = (size_t)(n_owners ? n_owners : 1) * (n_symbols ? n_symbols : 1);
    size_t ns = n_symbols ? n_symbols : 1;
    b->pos = calloc(slots, sizeof *b->pos);
    b->mark = calloc(ns, sizeof *b->mark);
    b->sym_unreal = calloc(ns, sizeof *b->sym_unreal);
    b->sym_gross = calloc(ns, sizeof *b->sym_gross);
    b->sym_open = calloc(ns, sizeof *b->sym_open);
    b->sym = calloc(ns, sizeof *b->sym);
    b->own = calloc(n_owners ? n_owners : 1, sizeof *b->own);
    if (!b->pos || !b->mark || !b->sym_unreal || !b->sym_gross || !b->sym_open || !b->sym || !b->own) {
        gd_book_free(b);
        return GD_ENOMEM;
    }
    b->start_equity = b->cash = b->equity = b->peak = equity;
    b->dd_floor = equity;
    b->peak_ms = INT64_MIN;
    return 0;
}

int gd_book_grow(gd_book *b, uint32_t n_owners)
{
    if (n_owners <= b->n_owners)
        return 0;
    /* Owner-major layout: new owners are new rows at the end. */
    size_t old = (size_t)b->n_owners * b->n_symbols, now = (size_t)n_owners * b->n_symbols;
    gd_position *p = realloc(b->pos, now * sizeof *p);
    if (!p)
        return GD_ENOMEM;
    memset(p + old, 0, (now - old) * sizeof *p);
    b->pos = p;
    gd_owner_stats *o = realloc(b->own, n_owners * sizeof *o);
    if (!o)
        return GD_ENOMEM; /* pos grew, n_owners not: retrying is safe */
    memset(o + b->n_owners, 0, (n_owners - b->n_owners) * sizeof *o);
    b->own = o;
    b->n_owners = n_owners;
    return 0;
}

void gd_book_free(gd_book *b)
{
    free(b->pos);
    free(b->mark);
    free(b->sym_unreal);
    free(b->sym_gross);
    free(b->sym_open);
    free(b->sym);
    free(b->own);
    memset(b, 0, sizeof *b);
}

/* Every bar compares equity with dd_floor; the division runs only when the
 * drawdown may be a new worst. The floor sits a hair above the exact bound,
 * so rounding can only send a bar to the exact test, never skip one. */
static double dd_floor(const gd_book *b) { return b->peak * (1.0 - b->max_dd_pct / 100.0) * (1.0 + 1e-12); }

static void track_drawdown(gd_book *b, int64_t now_ms)
{
    if (b->peak_ms == INT64_MIN) /* the first observation starts the clock */
        b->peak_ms = now_ms;
    if (b->equity > b->peak) {
        b->peak = b->equity;
        b->peak_ms = now_ms;
        b->dd_floor = dd_floor(b);
    } else if (b->peak > 0.0) {
        if (b->equity < b->dd_floor) {
            double dd = (b->peak - b->equity) / b->peak * 100.0;
            if (dd > b->max_dd_pct) {
                b->max_dd_pct = dd;
                b->dd_floor = dd_floor(b);
            }
        }
        if (now_ms - b->peak_ms > b->max_dd_duration_ms && b->equity < b->peak)
            b->max_dd_duration_ms = now_ms - b->peak_ms;
    }
}

/* Recomputes one symbol's aggregates: O(owners), only when it has positions
 * (inline: a mark runs it on most bars, and a call cost a fifth of it). */
static inline __attribute__((always_inline)) void resum_symbol(gd_book *b, uint32_t s)
{
    double u = 0.0, g = 0.0, m = b->mark[s];
    if (b->sym_open[s]) {
        for (uint32_t o = 0; o < b->n_owners; o++) {
            const gd_position *p = &b->pos[(size_t)o * b->n_symbols + s];
            if (p->side != GORDON_SIDE_NONE) {
                u += p->side * p->qty * (m - p->entry_price);
                g += p->qty * m;
            }
        }
    }
    b->unreal += u - b->sym_unreal[s];
    b->gross += g - b->sym_gross[s];
    b->sym_unreal[s] = u;
    b->sym_gross[s] = g;
    if (b->open_count == 0) { /* no drift survives a flat book */
        b->unreal = 0.0;
        b->gross = 0.0;
    }
    b->equity = b->cash + b->unreal;
}

void gd_book_mark(gd_book *b, uint32_t s, double price, int64_t now_ms)
{
    b->mark[s] = price;
    if (b->sym_open[s])
        resum_symbol(b, s);
    track_drawdown(b, now_ms);
}

/* A flat row becomes the position f opened. */
static void open_position(gd_book *b, gd_position *p, const gordon_fill *f, double stop)
{
    b->sym_open[f->symbol]++;
    b->open_count++;
    p->side = f->side;
    p->qty = f->qty;
    p->entry_price = f->price;
    p->entry_fee = f->fee;
    p->init_risk = stop > 0.0 ? f->qty * fabs(f->price - stop) : 0.0;
    p->opened_ms = f->time_ms;
    p->intent_id = f->intent_id;
}

void gd_book_apply_fill(gd_book *b, uint32_t owner, gordon_fill *f, double stop, double tp)
{
    gd_position *p = &b->pos[(size_t)owner * b->n_symbols + f->symbol];
    uint32_t s = f->symbol;
    gd_sym_stats *ss = &b->sym[s];
    b->fills++;
    b->fees += f->fee;
    b->cash -= f->fee;
    ss->fees += f->fee;
    ss->cash -= f->fee;
    if (b->mark[s] == 0.0)
        b->mark[s] = f->price;
    if (f->reason == GORDON_FILL_ENTRY) {
        if (p->side == GORDON_SIDE_NONE) {
            open_position(b, p, f, stop);
        } else { /* same-side add: average in (the pipeline does not issue these in v1) */
            double q = p->qty + f->qty;
            p->entry_price = (p->entry_price * p->qty + f->price * f->qty) / q;
            p->qty = q;
            p->entry_fee += f->fee;
            p->init_risk = stop > 0.0 ? q * fabs(p->entry_price - stop) : 0.0;
        }
        p->stop = stop;
        p->take_profit = tp;
        f->realized_pnl = -f->fee;
    } else if (p->side != GORDON_SIDE_NONE) {
        double q = f->qty < p->qty ? f->qty : p->qty;
        double pnl = p->side * q * (f->price - p->entry_price);
        b->cash += pnl;
        ss->cash += pnl;
        b->realized += pnl - f->fee;
        f->realized_pnl = pnl - f->fee;
        double share = q / p->qty;
        double trade = pnl - f->fee - p->entry_fee * share;
        double risk = p->init_risk * share;
        p->entry_fee -= p->entry_fee * share;
        p->init_risk -= risk;
        gd_owner_stats *os = &b->own[owner];
        if (risk > 0.0) {
            b->sum_r += trade / risk;
            b->r_count++;
            os->sum_r += trade / risk;
            os->r_count++;
        }
        p->qty -= q;
        if (p->qty <= 1e-12 * q) {
            memset(p, 0, sizeof *p);
            b->sym_open[s]--;
            b->open_count--;
        }
        b->trades++;
        os->trades++;
        ss->trades++;
        if (trade > 0.0) {
            b->wins++;
            os->wins++;
            ss->wins++;
            b->gross_profit += trade;
        } else {
            b->gross_loss += -trade;
        }
    }
    resum_symbol(b, s);
    track_drawdown(b, f->time_ms);
}

void gd_book_fee(gd_book *b, uint32_t owner, uint32_t symbol, double delta, int64_t now_ms)
{
    gd_position *p = &b->pos[(size_t)owner * b->n_symbols + symbol];
    b->fees += delta;
    b->cash -= delta;
    b->realized -= delta;
    b->sym[symbol].fees += delta;
    b->sym[symbol].cash -= delta;
    /* An open position's round trip is reported net of its entry's fee. */
    if (p->side != GORDON_SIDE_NONE)
        p->entry_fee += delta;
    b->equity = b->cash + b->unreal;
    track_drawdown(b, now_ms);
}

void gd_book_adopt(gd_book *b, uint32_t owner, const gordon_fill *f, double stop, double tp)
{
    gd_position *p = &b->pos[(size_t)owner * b->n_symbols + f->symbol];
    uint32_t s = f->symbol;
    if (p->side != GORDON_SIDE_NONE) { /* taken up twice: the newer word stands */
        b->sym_open[s]--;
        b->open_count--;
    }
    open_position(b, p, f, stop);
    p->stop = stop;
    p->take_profit = tp;
    if (b->mark[s] == 0.0)
        b->mark[s] = f->price;
    resum_symbol(b, s);
    b->equity = b->cash + b->unreal;
}
