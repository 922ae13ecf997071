/* What the engine journals for the database (db/record.h): intents, orders
 * and their status changes, positions, fills, equity points, risk events and
 * the latch, in the order they happened, each appended before the order it
 * concerns is submitted. Without a journal every function here returns at
 * once. Formatting goes into a stack buffer: nothing is allocated per bar. */
#include "engine/engine_int.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/log.h"
#include "db/jq.h"
#include "db/record.h"

static void lost(gd_engine *e, int type, const char *why)
{
    e->rec.lost++;
    gd_log(GD_LOG_ERROR, "journal", NULL, "%s record not journaled: %s", gd_rec_type_name(type), why);
}

/* ------------------------------------------------------------ groups */

#define SUB_HDR sizeof(gd_rec_sub)
#define SUB_MAX (SUB_HDR + ((GD_REC_PACK_MAX + 7) & ~(size_t)7))

/* A group's room: a few of the largest records (a fill's five are a few
 * hundred bytes), a quarter of the queue at most. */
static size_t group_room(const gd_engine *e)
{
    size_t room = 4 * SUB_MAX, cap = gd_jq_cap(e->rec.q) / 4;
    return room < cap ? room : cap;
}

/* Commits the open group, if any: one entry, one wake-up hint. */
static void group_close(gd_engine *e)
{
    if (!e->rec.g_at)
        return;
    gd_jq_commit(e->rec.q, GD_REC_GROUP, 0, e->rec.g_len);
    e->rec.g_at = NULL;
    e->rec.g_len = 0;
    if (e->rec.appended)
        e->rec.appended(e->rec.arg);
}

void gd_engine_rec_group_begin(gd_engine *e)
{
    if (e->rec.q)
        e->rec.g_depth++;
}

void gd_engine_rec_group_end(gd_engine *e)
{
    if (e->rec.q && e->rec.g_depth > 0 && --e->rec.g_depth == 0)
        group_close(e);
}

void gd_engine_rec_group_flush(gd_engine *e)
{
    if (e->rec.q)
        group_close(e);
}

/* Where the next sub-record of the open group goes (opening one, or
 * closing a full one and opening another); NULL: no room for a group (the
 * record goes alone, which may wait for room). */
static unsigned char *group_slot(gd_engine *e)
{
    size_t room = group_room(e);
    if (room < SUB_MAX)
        return NULL;
    if (e->rec.g_at && room - e->rec.g_len < SUB_MAX)
        group_close(e);
    if (!e->rec.g_at && !(e->rec.g_at = gd_jq_reserve(e->rec.q, room)))
        return NULL;
    return e->rec.g_at + e->rec.g_len;
}

/* A record's time. Before the first bar a replay has no clock of its own:
 * the wall's. */
static int64_t rec_time(const gd_engine *e) { return e->now_ms ? e->now_ms : gd_wall_ms(); }

/* A fill's records as one entry written in place (db/record.h,
 * GD_REC_FILLEV): after what is already queued; NULL without a queue or
 * without room (its records then go one by one, which may wait for it). */
static gd_rec_fillev *fillev_open(gd_engine *e)
{
    if (!e->rec.q)
        return NULL;
    group_close(e);
    gd_rec_fillev *ev = gd_jq_reserve(e->rec.q, sizeof *ev);
    if (!ev)
        return NULL;
    ev->n_status = 0;
    ev->has_pos = ev->has_fill = ev->has_eq = 0;
    e->rec.ev = ev;
    return ev;
}

/* Up to its last status change used: a fill makes one to three of the six
 * it has room for, and the queue's bytes are lines the loop writes and the
 * database thread reads. */
static void fillev_commit(gd_engine *e)
{
    uint32_t n = e->rec.ev->n_status;
    e->rec.ev = NULL;
    gd_jq_commit(e->rec.q, GD_REC_FILLEV, rec_time(e), gd_rec_fillev_size(n));
    if (e->rec.appended)
        e->rec.appended(e->rec.arg);
}

/* Where a record of this type goes in the open fill's entry, in the order
 * it expands in (status changes, position, fill, equity point), taken; NULL
 * when none is open or the record would be out of that order. The fill's
 * own records are written there directly (building each as arguments and
 * copying them in was a sixth of a fill's cost on the loop, callgrind);
 * none carries a string of its own (literals and the engine's names: the
 * entry copies none, the database thread reads them later). */
static void *fillev_slot(gd_engine *e, int type)
{
    gd_rec_fillev *ev = e->rec.ev;
    if (!ev)
        return NULL;
    int later = ev->has_pos + ev->has_fill * 2 + ev->has_eq * 4; /* what follows must come after */
    switch (type) {
    case GD_REC_ORDER_EVENT:
        return !later && ev->n_status < GD_REC_FILLEV_STATUS ? &ev->st[ev->n_status++] : NULL;
    case GD_REC_POSITION:
        return later < 1 ? (ev->has_pos = 1, &ev->pos) : NULL;
    case GD_REC_FILL:
        return later < 2 ? (ev->has_fill = 1, &ev->fill) : NULL;
    case GD_REC_EQUITY:
        return later < 4 ? (ev->has_eq = 1, &ev->eq) : NULL;
    default:
        return NULL;
    }
}

/* Where a record's arguments are built: in the open fill's entry when it
 * takes the type there (nothing more to do), else in own, to be emitted. */
static void *rec_dst(gd_engine *e, int type, void *own)
{
    void *slot = fillev_slot(e, type);
    return slot ? slot : own;
}

/* One record: into the open fill's entry, packed for the database thread,
 * or formatted and appended here when the engine holds the journal itself. */
static void emit(gd_engine *e, int type, const void *args)
{
    if (e->rec.ev) {
        /* A fill's entry owns the queue's room until it is committed, and
         * its records are written into it (fillev_slot): anything else
         * emitted meanwhile, or out of its order, is lost, never written
         * over that room. */
        lost(e, type, "not part of a fill's entry, or out of its order");
        return;
    }
    int64_t t = rec_time(e);
    unsigned char *g;
    if (e->rec.q && e->rec.g_depth && (g = group_slot(e)) != NULL) {
        size_t n = gd_rec_pack(g + SUB_HDR, GD_REC_PACK_MAX, type, args);
        if (!n) { /* an unknown type: cannot happen */
            lost(e, type, "not a record type");
            return;
        }
        gd_rec_sub h = {(uint32_t)n, (uint16_t)type, 0, t};
        memcpy(g, &h, sizeof h);
        e->rec.g_len += SUB_HDR + ((n + 7) & ~(size_t)7);
        return; /* appended() is told when the group is committed */
    }
    if (e->rec.q) {
        /* A record alone after a group's records: theirs first. */
        group_close(e);
        /* Room for the largest record, then its own size committed: one
         * pass over its strings. */
        void *p = gd_jq_reserve(e->rec.q, GD_REC_PACK_MAX);
        if (!p && e->rec.queue_full && e->rec.queue_full(e->rec.arg) == 0)
            p = gd_jq_reserve(e->rec.q, GD_REC_PACK_MAX);
        if (!p) {
            lost(e, type, "the journal queue is full (the database thread is behind)");
            return;
        }
        size_t n = gd_rec_pack(p, GD_REC_PACK_MAX, type, args);
        if (!n) { /* an unknown type: cannot happen */
            lost(e, type, "not a record type");
            return;
        }
        gd_jq_commit(e->rec.q, (uint16_t)type, t, n);
    } else {
        char buf[GD_REC_MAX];
        size_t n = gd_rec_format(buf, sizeof buf, type, args);
        gd_err err;
        uint64_t seq;
        if (n >= GD_REC_MAX) { /* the formatters' bound: cannot happen, never write half a record */
            lost(e, type, "too long");
            return;
        }
        if (gd_journal_append(e->rec.j, (uint16_t)type, t, buf, (uint32_t)n, &seq, &err) != 0) {
            lost(e, type, err.msg);
            return;
        }
    }
    if (e->rec.appended)
        e->rec.appended(e->rec.arg);
}

/* The journal as the db breaker sees it: its own, or what the database
 * thread published of it plus what waits in the queue. The queue's part is
 * first taken from the loop's own view (an upper bound that costs no cache
 * miss) and read anew only when that bound would close the breaker. */
static uint64_t j_depth(const gd_engine *e)
{
    if (!e->rec.q)
        return gd_journal_depth(e->rec.j);
    uint64_t base = atomic_load_explicit(&e->rec.pub->depth, memory_order_relaxed);
    if ((double)(base + gd_jq_count_upper(e->rec.q)) > e->rec.max_depth)
        gd_jq_refresh(e->rec.q);
    return base + gd_jq_count_upper(e->rec.q);
}

static int j_half_full(const gd_engine *e)
{
    if (!e->rec.q)
        return gd_journal_bytes_used(e->rec.j) * 2 > e->rec.mem_bytes;
    /* The queue is not counted: it only waits for the thread, which moves
     * it into the journal or, when the journal is full, leaves it (and the
     * loop waits for room, gd_rec.queue_full). */
    return atomic_load_explicit(&e->rec.pub->bytes, memory_order_relaxed) * 2 > e->rec.mem_bytes;
}

static uint64_t j_applied(const gd_engine *e)
{
    return e->rec.q ? atomic_load_explicit(&e->rec.pub->applied_seq, memory_order_relaxed)
                    : gd_journal_applied_seq(e->rec.j);
}

static uint64_t j_last(const gd_engine *e)
{
    return e->rec.q ? atomic_load_explicit(&e->rec.pub->last_seq, memory_order_relaxed)
                    : gd_journal_last_seq(e->rec.j);
}

static const char *slot_name(const gd_engine *e, uint32_t k) { return k < e->n_slots ? e->slot_names[k] : "?"; }
static const char *sym_name(const gd_engine *e, uint32_t s) { return s < e->n_symbols ? e->symbols[s] : "?"; }

static gd_recslot *rslot(gd_engine *e, uint32_t owner, uint32_t symbol)
{
    if (!e->rec.slots || owner >= e->rec.n_owners || symbol >= e->n_symbols)
        return NULL;
    return &e->rec.slots[(size_t)owner * e->n_symbols + symbol];
}

int gd_engine_rec_grow(gd_engine *e, uint32_t n_owners, gd_err *err)
{
    if (!e->rec.j || n_owners <= e->rec.n_owners)
        return 0;
    size_t old = (size_t)e->rec.n_owners * e->n_symbols, now = (size_t)n_owners * e->n_symbols;
    gd_recslot *s = realloc(e->rec.slots, now * sizeof *s);
    if (!s)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    memset(s + old, 0, (now - old) * sizeof *s);
    e->rec.slots = s;
    e->rec.n_owners = n_owners;
    return 0;
}

static void rec_order(gd_engine *e, uint64_t iid, char k, const char *kind, uint32_t owner, uint32_t sym,
                      int side, double qty, double price, int reduce_only)
{
    /* The client id is written out by the database thread. */
    gd_rec_order o = {NULL, iid, kind, slot_name(e, owner), sym_name(e, sym), side, qty, price, reduce_only,
                      {iid, k}};
    emit(e, GD_REC_ORDER, &o);
}

static void rec_status(gd_engine *e, uint64_t iid, char k, const char *status, const char *detail)
{
    gd_rec_evstatus *s = fillev_slot(e, GD_REC_ORDER_EVENT);
    if (s) {
        *s = (gd_rec_evstatus){iid, k, status, detail};
        return;
    }
    gd_rec_order_event_args a = {NULL, status, detail, NULL, {iid, k}};
    emit(e, GD_REC_ORDER_EVENT, &a);
}

/* The protective orders of a position (or of a pending entry) that will
 * not fill any more. */
static void cancel_protective(gd_engine *e, gd_recslot *r, uint64_t iid, const char *why)
{
    if (r->has_stop)
        rec_status(e, iid, 's', "canceled", why);
    if (r->has_tp)
        rec_status(e, iid, 't', "canceled", why);
    r->has_stop = r->has_tp = 0;
}

void gd_engine_order_event(gd_engine *e, uint32_t owner, uint32_t symbol, uint64_t intent_id, char kind,
                           const char *status, const char *detail)
{
    gd_recslot *r = e->rec.j ? rslot(e, owner, symbol) : NULL;
    if (!r)
        return;
    if (kind == 'c' && !strcmp(status, "new")) {
        /* The executor's own close (a stop that failed): an order of its own. */
        const gd_position *p = gd_book_pos(&e->book, owner, symbol);
        if (p->side != GORDON_SIDE_NONE) {
            rec_order(e, intent_id, 'c', "flatten", owner, symbol, -p->side, 0.0, 0.0, 1);
            /* Its fills are recorded against g<intent>-c, not -f. */
            r->exit_iid = intent_id;
            r->exit_kind = 'c';
        }
        return;
    }
    rec_status(e, intent_id, kind, status, detail);
    /* An entry the venue refused: its stop and take profit never were. */
    if (kind == 'e' && !strcmp(status, "rejected") && r->entry_iid == intent_id) {
        if (r->has_stop)
            rec_status(e, intent_id, 's', "rejected", "its entry was rejected");
        if (r->has_tp)
            rec_status(e, intent_id, 't', "rejected", "its entry was rejected");
        r->entry_iid = 0;
        r->has_stop = r->has_tp = 0;
    }
}

void gd_engine_rec_adopted_stop(gd_engine *e, uint32_t owner, uint32_t sym, int side, uint64_t intent_id, double stop)
{
    /* The stop the executor places on an adopted position: its order row,
     * as an entry's stop has one from the entry's submit. */
    if (e->rec.j && rslot(e, owner, sym) && stop > 0.0)
        rec_order(e, intent_id, 's', "stop", owner, sym, -side, 0.0, stop, 1);
}

/* The orders o submits (an entry: itself, its stop, its take profit; an
 * exit or a flatten: one, when there is a position), as an intent's entry
 * holds them; their count. */
static uint32_t intev_orders(gd_engine *e, const gd_order *o, gd_rec_evorder *ord)
{
    uint32_t n = 0;
    if (!rslot(e, o->owner, o->symbol))
        return 0;
    if (o->kind == GD_ORDER_ENTRY) {
        ord[n++] = (gd_rec_evorder){o->qty, 0.0, o->side, 'e', 0};
        if (o->stop > 0.0)
            ord[n++] = (gd_rec_evorder){0.0, o->stop, -o->side, 's', 1};
        if (o->take_profit > 0.0)
            ord[n++] = (gd_rec_evorder){0.0, o->take_profit, -o->side, 't', 1};
        return n;
    }
    const gd_position *p = gd_book_pos(&e->book, o->owner, o->symbol);
    if (p->side != GORDON_SIDE_NONE)
        ord[n++] = (gd_rec_evorder){0.0, 0.0, -p->side, o->kind == GD_ORDER_FLATTEN ? 'f' : 'x', 1};
    return n;
}

/* The same orders one by one (when they cannot go as one entry). */
static void rec_submit(gd_engine *e, const gd_order *o)
{
    gd_rec_evorder ord[GD_REC_INTEV_ORDERS];
    uint32_t n = e->rec.j ? intev_orders(e, o, ord) : 0;
    for (uint32_t i = 0; i < n; i++)
        rec_order(e, o->intent_id, ord[i].k, gd_rec_order_kind(ord[i].k), o->owner, o->symbol, ord[i].side,
                  ord[i].qty, ord[i].price, ord[i].reduce_only);
}

/* An intent and its orders as one entry written in place in the queue
 * (db/record.h, GD_REC_INTEV); 0 when it cannot be (no queue, a group or a
 * fill's entry open, an order not the intent's own, no room): then they
 * go record by record. */
static int intev(gd_engine *e, const gd_intent *it, const gd_order *o)
{
    if (!e->rec.q || e->rec.ev || e->rec.g_depth ||
        (o && (o->intent_id != it->id || o->owner != it->strategy || o->symbol != it->symbol)))
        return 0;
    group_close(e); /* what was queued before comes first */
    gd_rec_intev *ev = gd_jq_reserve(e->rec.q, GD_REC_INTEV_MAX);
    if (!ev)
        return 0;
    ev->strategy = slot_name(e, it->strategy);
    ev->symbol = sym_name(e, it->symbol);
    ev->stop_required = e->pipe.lim.sl_required;
    memcpy(ev->it, it, sizeof ev->it);
    memcpy(ev->tag, it->tag, sizeof ev->tag);
    ev->tag[sizeof ev->tag - 1] = '\0';
    uint32_t n = o ? intev_orders(e, o, ev->ord) : 0;
    ev->n_orders = n;
    char *detail = (char *)(ev->ord + n);
    size_t dlen = strnlen(it->detail, sizeof it->detail - 1);
    memcpy(detail, it->detail, dlen);
    detail[dlen] = '\0';
    gd_jq_commit(e->rec.q, GD_REC_INTEV, rec_time(e), gd_rec_intev_size(n, dlen));
    if (e->rec.appended)
        e->rec.appended(e->rec.arg);
    return 1;
}

void gd_engine_rec_intent(gd_engine *e, const gd_intent *it, const gd_order *o)
{
    if (!e->rec.j || intev(e, it, o))
        return;
    gd_engine_rec_group_begin(e);
    gd_rec_intent_args a = {it, slot_name(e, it->strategy), sym_name(e, it->symbol), e->pipe.lim.sl_required};
    emit(e, GD_REC_INTENT, &a);
    if (o)
        rec_submit(e, o);
    gd_engine_rec_group_end(e);
}

void gd_engine_rec_submitted(gd_engine *e, const gd_order *o, int ok, const char *why)
{
    gd_recslot *r = e->rec.j ? rslot(e, o->owner, o->symbol) : NULL;
    if (!r)
        return;
    if (o->kind == GD_ORDER_ENTRY) {
        if (!ok) {
            rec_status(e, o->intent_id, 'e', "rejected", why);
            if (o->stop > 0.0)
                rec_status(e, o->intent_id, 's', "rejected", why);
            if (o->take_profit > 0.0)
                rec_status(e, o->intent_id, 't', "rejected", why);
            return;
        }
        r->entry_iid = o->intent_id;
        r->has_stop = o->stop > 0.0;
        r->has_tp = o->take_profit > 0.0;
        return;
    }
    const gd_position *p = gd_book_pos(&e->book, o->owner, o->symbol);
    char k = o->kind == GD_ORDER_FLATTEN ? 'f' : 'x';
    if (!ok) {
        if (p->side != GORDON_SIDE_NONE)
            rec_status(e, o->intent_id, k, "rejected", why);
        return;
    }
    if (r->entry_iid) { /* the exit took the place of an entry that never filled */
        rec_status(e, r->entry_iid, 'e', "canceled", "canceled by an exit before it filled");
        cancel_protective(e, r, r->entry_iid, "its entry was canceled");
        r->entry_iid = 0;
    }
    if (p->side != GORDON_SIDE_NONE) {
        r->exit_iid = o->intent_id;
        r->exit_kind = k;
    }
}

static const char *fill_reason(int reason)
{
    switch (reason) {
    case GORDON_FILL_ENTRY: return "entry";
    case GORDON_FILL_EXIT: return "exit";
    case GORDON_FILL_STOP: return "stop";
    case GORDON_FILL_TAKE_PROFIT: return "take_profit";
    case GORDON_FILL_FLATTEN: return "flatten";
    default: return "exit";
    }
}

static void rec_position(gd_engine *e, const gd_recslot *r, uint32_t owner, uint32_t sym, const gd_position *p,
                         int closed, int64_t t, double exit_price)
{
    gd_rec_position own, *dst = rec_dst(e, GD_REC_POSITION, &own);
    *dst = (gd_rec_position){.id = r->pos_id,
                             .strategy = slot_name(e, owner),
                             .symbol = sym_name(e, sym),
                             .side = r->side,
                             .qty = r->qty0,
                             .open_qty = closed ? 0.0 : p->qty,
                             .entry = r->entry,
                             .stop = r->stop,
                             .take_profit = r->tp,
                             .stop_required = e->pipe.lim.sl_required,
                             .closed = closed,
                             .opened_ms = r->opened_ms,
                             .closed_ms = t,
                             .exit_price = exit_price,
                             .realized_pnl = r->realized,
                             .fees = r->fees};
    if (dst == &own)
        emit(e, GD_REC_POSITION, dst);
}

/* A position found after a restart: its records already say it opened;
 * the slot learns it so its close is recorded against it. The position's
 * row is written again (an upsert: the same values, a newer sequence). */
void gd_engine_rec_adopt(gd_engine *e, uint32_t owner, const gordon_fill *f, double stop, double tp)
{
    gd_recslot *r = e->rec.j ? rslot(e, owner, f->symbol) : NULL;
    if (!r)
        return;
    memset(r, 0, sizeof *r);
    r->pos_id = f->intent_id;
    r->side = f->side;
    r->qty0 = f->qty;
    r->entry = f->price;
    r->stop = stop;
    r->tp = tp;
    r->opened_ms = f->time_ms;
    r->realized = -f->fee;
    r->fees = f->fee;
    r->has_stop = stop > 0.0;
    r->has_tp = tp > 0.0;
    rec_position(e, r, owner, f->symbol, gd_book_pos(&e->book, owner, f->symbol), 0, f->time_ms, 0.0);
}

void gd_engine_rec_fill(gd_engine *e, uint32_t owner, const gordon_fill *f, double stop, double tp,
                        uint64_t pos_before, double ref)
{
    gd_recslot *r = e->rec.j ? rslot(e, owner, f->symbol) : NULL;
    if (!r)
        return;
    /* Its status changes, position, fill and equity point: one entry, in
     * place in the queue, or a group of records. */
    gd_rec_fillev *ev = fillev_open(e);
    if (!ev)
        gd_engine_rec_group_begin(e);
    const gd_position *p = gd_book_pos(&e->book, owner, f->symbol);
    gd_rec_cid cid;
    uint64_t pos_id;
    if (f->reason == GORDON_FILL_ENTRY) {
        pos_id = f->intent_id;
        cid = (gd_rec_cid){f->intent_id, 'e'};
        rec_status(e, f->intent_id, 'e', "filled", NULL);
        r->entry_iid = 0;
        r->pos_id = pos_id;
        r->side = p->side;
        r->qty0 = f->qty;
        r->entry = f->price;
        r->stop = stop;
        r->tp = tp;
        r->opened_ms = f->time_ms;
        r->realized = -f->fee; /* net of both fees, as the book reports a round trip */
        r->fees = f->fee;
        if (r->has_stop)
            rec_status(e, pos_id, 's', "working", NULL);
        if (r->has_tp)
            rec_status(e, pos_id, 't', "working", NULL);
        rec_position(e, r, owner, f->symbol, p, 0, f->time_ms, 0.0);
    } else {
        pos_id = r->pos_id ? r->pos_id : pos_before;
        char k = f->reason == GORDON_FILL_STOP ? 's'
                 : f->reason == GORDON_FILL_TAKE_PROFIT ? 't'
                 : f->reason == GORDON_FILL_FLATTEN ? 'f' : 'x';
        if (k == 'f' && r->exit_kind == 'c' && r->exit_iid == f->intent_id)
            k = 'c'; /* the executor's own close */
        uint64_t oid = k == 's' || k == 't' ? pos_id : f->intent_id;
        cid = (gd_rec_cid){oid, k};
        rec_status(e, oid, k, "filled", NULL);
        r->realized += f->realized_pnl;
        r->fees += f->fee;
        int closed = p->side == GORDON_SIDE_NONE;
        if (closed) {
            if (k == 's')
                r->has_stop = 0;
            if (k == 't')
                r->has_tp = 0;
            cancel_protective(e, r, pos_id, "the position is closed");
            if (r->exit_iid && (k == 's' || k == 't'))
                rec_status(e, r->exit_iid, r->exit_kind, "canceled", "the position was closed by its stop or target");
            r->exit_iid = 0;
        }
        rec_position(e, r, owner, f->symbol, p, closed, f->time_ms, f->price);
        if (closed)
            r->pos_id = 0;
    }
    gd_rec_fill own, *dst = rec_dst(e, GD_REC_FILL, &own);
    *dst = (gd_rec_fill){NULL, f->intent_id, pos_id, NULL, slot_name(e, owner), sym_name(e, f->symbol), f->side,
                         fill_reason(f->reason), f->qty, f->price, f->fee, f->realized_pnl,
                         ref > 0.0 ? ref : 0.0, ref > 0.0 ? f->side * (f->price - ref) / ref * 1e4 : 0.0, cid};
    if (dst == &own)
        emit(e, GD_REC_FILL, dst);
    gd_engine_equity_point(e, "fill");
    if (ev)
        fillev_commit(e);
    else
        gd_engine_rec_group_end(e);
}

void gd_engine_fee(gd_engine *e, uint32_t owner, uint32_t symbol, const char *client_id, uint64_t intent_id,
                   uint64_t position_id, const char *asset, double estimated, double charged, int apply)
{
    if (owner >= e->book.n_owners || symbol >= e->n_symbols || !isfinite(estimated) || !isfinite(charged) ||
        estimated < 0.0 || charged < 0.0)
        return;
    double d = apply ? charged - estimated : 0.0;
    if (d != 0.0)
        gd_book_fee(&e->book, owner, symbol, d, e->now_ms);
    gd_recslot *r = e->rec.j ? rslot(e, owner, symbol) : NULL;
    if (!r)
        return;
    /* The position's row carries its fees while it is open; after, the
     * database adds the correction to it. */
    int open = r->pos_id == position_id;
    gd_rec_fee rf = {client_id, intent_id, position_id, slot_name(e, owner), sym_name(e, symbol), asset, estimated,
                     charged, d, open};
    emit(e, GD_REC_FEE, &rf);
    if (d != 0.0 && open) {
        r->fees += d;
        r->realized -= d;
        rec_position(e, r, owner, symbol, gd_book_pos(&e->book, owner, symbol), 0, e->now_ms, 0.0);
    }
    if (d != 0.0)
        gd_engine_equity_point(e, "fill"); /* a fill's cost corrected: equity_points.cause knows no other */
}

void gd_engine_equity_point(gd_engine *e, const char *cause)
{
    if (!e->rec.j)
        return;
    const gd_book *b = &e->book;
    double dd = b->peak > 0.0 && b->equity < b->peak ? (b->peak - b->equity) / b->peak * 100.0 : 0.0;
    gd_rec_equity own, *dst = rec_dst(e, GD_REC_EQUITY, &own);
    *dst = (gd_rec_equity){cause, b->equity, b->cash, b->unreal, b->gross, dd, b->open_count};
    if (dst == &own)
        emit(e, GD_REC_EQUITY, dst);
}

void gd_engine_rec_risk(gd_engine *e, const char *kind, const char *who, const char *why, const char *detail)
{
    if (!e->rec.j)
        return;
    gd_rec_risk_args a = {kind, who, why, detail};
    emit(e, GD_REC_RISK, &a);
}

void gd_engine_rec_latch(gd_engine *e)
{
    if (!e->rec.j)
        return;
    const gd_halt *h = &e->halt;
    gd_rec_latch_args a = {h->halted, h->who, h->why, h->since_ms};
    emit(e, GD_REC_LATCH, &a);
}

/* The latch's audited events, as risk events; a change of the latch also
 * as the latch's row. */
static void on_halt_event(void *arg, const char *event, const char *who, const char *why, const char *fields)
{
    gd_engine *e = arg;
    const char *kind = event;
    if (!strcmp(event, "halt"))
        kind = !strncmp(who, "breaker", 7) ? "trip" : "halt";
    char detail[600];
    snprintf(detail, sizeof detail, "{%s}", fields ? fields : "");
    gd_engine_rec_risk(e, kind, who, why, detail);
    if (!strcmp(event, "halt") || !strncmp(event, "resume", 6))
        gd_engine_rec_latch(e);
}

/* ------------------------------------------------------------ the db breaker */

/* Journal depth sampled once a second with the wall clock, so the age of
 * the oldest unapplied record is known in wall time (records carry the
 * event's time, which in a replay is bar time). */
static int64_t oldest_unapplied_wall(const gd_engine *e, int64_t now)
{
    uint64_t applied = j_applied(e);
    if (j_depth(e) == 0)
        return now;
    /* the newest sample taken when the journal ended at or before the
     * applied mark: everything unapplied came after it */
    int64_t t = 0;
    for (uint32_t i = 0; i < e->rec.n_samples; i++) {
        const gd_recsample *s = &e->rec.samples[(e->rec.sample_head + GD_REC_SAMPLES - 1 - i) % GD_REC_SAMPLES];
        if (s->last_seq <= applied) {
            t = s->wall_ms;
            break;
        }
        t = s->wall_ms; /* older than every sample we still have */
    }
    return t ? t : now;
}

static void db_gate(gd_engine *e, int64_t wall)
{
    uint64_t depth = j_depth(e);
    double age_s = (double)(wall - oldest_unapplied_wall(e, wall)) / 1000.0;
    e->rec.age_s = age_s > 0 ? age_s : 0;
    /* Half the journal's memory is the exits' reserve: past it, entries stop
     * whatever the depth says (records larger than usual). */
    int full = j_half_full(e);
    int block = (double)depth > e->rec.max_depth || age_s > e->rec.max_age_s || full;
    if (block == e->rec.blocked)
        return;
    e->rec.blocked = block;
    char why[200], detail[120];
    snprintf(detail, sizeof detail, "{\"depth\":%llu,\"age_s\":%.1f}", (unsigned long long)depth, age_s);
    if (block) {
        snprintf(why, sizeof why, "database behind: %llu records unapplied (max %.0f), oldest %.0f s (max %.0f s)%s: "
                 "no new entries", (unsigned long long)depth, e->rec.max_depth, age_s, e->rec.max_age_s,
                 full ? ", journal memory half full" : "");
        gd_log(GD_LOG_ERROR, "db", NULL, "db breaker open: %s", why);
    } else {
        snprintf(why, sizeof why, "database caught up: %llu records unapplied", (unsigned long long)depth);
        gd_log(GD_LOG_WARN, "db", NULL, "db breaker closed: %s", why);
    }
    gd_engine_rec_risk(e, block ? "db_breaker" : "db_breaker_clear", "breaker:db", why, detail);
}

void gd_engine_journal_tick(gd_engine *e, int64_t wall)
{
    if (!e->rec.j)
        return;
    if (wall - e->rec.last_sample_ms >= 1000) {
        gd_recsample *s = &e->rec.samples[e->rec.sample_head];
        s->last_seq = j_last(e);
        s->wall_ms = wall;
        e->rec.sample_head = (e->rec.sample_head + 1) % GD_REC_SAMPLES;
        if (e->rec.n_samples < GD_REC_SAMPLES)
            e->rec.n_samples++;
        e->rec.last_sample_ms = wall;
    }
    e->rec.wall_ms = wall;
    db_gate(e, wall);
    if (e->rec.equity_ms > 0 && wall - e->rec.last_equity_ms >= e->rec.equity_ms) {
        e->rec.last_equity_ms = wall;
        gd_engine_equity_point(e, "timer");
    }
}

/* Between ticks only the depth can close the gate (appending is what
 * deepens it); the age is judged once a second. */
const char *gd_engine_rec_gate(gd_engine *e)
{
    if (!e->rec.j)
        return NULL;
    if (!e->rec.blocked && ((double)j_depth(e) > e->rec.max_depth || j_half_full(e)))
        db_gate(e, e->rec.wall_ms);
    return e->rec.blocked ? "db" : NULL;
}

void gd_engine_rec_latch_now(gd_engine *e) { gd_engine_rec_latch(e); }

void gd_engine_rec_session(gd_engine *e)
{
    if (!e->rec.j)
        return;
    gd_rec_session_args a = {e->exec.ops->name, !e->exec.ops->remote};
    emit(e, GD_REC_SESSION, &a);
}

int gd_engine_set_journal(gd_engine *e, const gd_engine_journal *jc, gd_err *err)
{
    if (!jc->journal) {
        e->rec.j = NULL;
        e->rec.q = NULL;
        e->rec.pub = NULL;
        e->halt.on_event = NULL;
        e->halt.event_arg = NULL;
        return 0;
    }
    e->rec.j = jc->journal;
    e->rec.max_depth = jc->max_depth;
    e->rec.max_age_s = jc->max_age_s;
    e->rec.mem_bytes = jc->mem_bytes;
    e->rec.equity_ms = (int64_t)(jc->equity_interval_s * 1000.0);
    e->rec.appended = jc->appended;
    e->rec.sync_now = jc->sync_now;
    e->rec.q = jc->queue;
    e->rec.pub = jc->pub;
    e->rec.queue_full = jc->queue_full;
    e->rec.arg = jc->arg;
    e->rec.wall_ms = e->rec.last_equity_ms = gd_wall_ms();
    int rc = gd_engine_rec_grow(e, e->n_slots ? e->n_slots : 1, err);
    if (rc)
        return rc;
    e->halt.on_event = on_halt_event;
    e->halt.event_arg = e;
    return 0;
}

int gd_engine_db_blocked(const gd_engine *e, double *age_s)
{
    if (age_s)
        *age_s = e->rec.age_s;
    return e->rec.blocked;
}

uint64_t gd_engine_rec_lost(const gd_engine *e) { return e->rec.lost; }
