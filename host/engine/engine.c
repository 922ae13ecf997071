/* The engine: the per-bar hot path, breakers, fills, and the road from a
 * strategy's signal through the risk pipeline to the executor. Instances and
 * reloads live in gen.c, the plugins' view of the host in hostapi.c. */
#include "engine/engine_int.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/json.h"
#include "base/log.h"
#include "base/rodata.h"
#include "base/sized.h"
#include "base/strv.h"
#include "engine/simexec.h"
#include "engine/trades.h"
#include "risk/state.h"

/* ------------------------------------------------------------ signals */

void gd_engine_record(gd_engine *e, const gd_intent *it)
{
    gd_pipeline_commit(&e->pipe, it);
    /* Written again as it ended (an executor's refusal): the same entry. */
    uint32_t last = (e->ri_head + GD_RECENT - 1) % GD_RECENT;
    if (e->ri_n && e->recent_intents[last].id == it->id) {
        e->recent_intents[last] = *it;
    } else {
        e->recent_intents[e->ri_head] = *it;
        e->ri_head = (e->ri_head + 1) % GD_RECENT;
        if (e->ri_n < GD_RECENT)
            e->ri_n++;
    }
    /* Journaled already before its order went out, unless the executor
     * then refused it (the record is written again, as it ended). */
    if (e->rec.j && (e->rec.pre_iid != it->id || it->result != GORDON_ACCEPTED))
        gd_engine_rec_intent(e, it, NULL);
    if (e->log.ops) {
        const char *strat = it->strategy < e->n_slots ? e->slot_names[it->strategy] : "?";
        const char *sym = it->symbol < e->n_symbols ? e->symbols[it->symbol] : "?";
        if (e->log.ops->record(e->log.self, it, strat, sym) != 0)
            gd_log(GD_LOG_ERROR, "intentlog", NULL, "failed to record intent %llu",
                   (unsigned long long)it->id);
    }
}

static int rec_sync(gd_engine *e, gd_err *err)
{
    gd_engine_rec_group_flush(e); /* what is waited for must be in the queue */
    return e->rec.sync_now ? e->rec.sync_now(e->rec.arg, err) : gd_journal_sync(e->rec.j, err);
}

/* An order whose records are journaled goes out. sync_rc says whether they
 * are on disk (serr why not): an entry that cannot be is not sent, an exit
 * goes all the same (less risk). */
static int submit_send(gd_engine *e, const gd_order *o, int sync_rc, const gd_err *serr, gd_err *err)
{
    if (sync_rc != 0 && o->kind == GD_ORDER_ENTRY) {
        gd_engine_rec_submitted(e, o, 0, "the journal could not be synced");
        return gd_err_set(err, GD_EIO, "%s", serr->msg);
    }
    if (e->exec.ops->remote) {
        e->sent[e->sent_head].intent_id = o->intent_id;
        e->sent[e->sent_head].sent_ms = gd_wall_ms();
        e->sent_head = (e->sent_head + 1) % GD_RECENT;
    }
    int rc = e->exec.ops->submit(e->exec.self, o, err);
    gd_engine_rec_submitted(e, o, rc == 0, rc ? err->msg : NULL);
    return rc;
}

/* An order that leaves the process is on disk first: journaled, then the
 * journal synced, for an executor whose orders leave it. */
static int submit_sync(gd_engine *e, gd_err *serr)
{
    if (!e->rec.j || !e->exec.ops->remote)
        return 0;
    int rc = rec_sync(e, serr);
    if (rc)
        gd_log(GD_LOG_ERROR, "journal", NULL, "journal sync failed before an order: %s", serr->msg);
    return rc;
}

int gd_engine_submit(gd_engine *e, const gd_order *o, const gd_intent *it, gd_err *err)
{
    gd_err serr;
    if (e->rec.j) {
        gd_engine_rec_intent(e, it, o);
        e->rec.pre_iid = it->id;
    }
    int src = submit_sync(e, &serr);
    return submit_send(e, o, src, &serr, err);
}

void gd_engine_submit_all(gd_engine *e, const gd_order *o, const gd_intent *it, uint32_t n, int *rcs, gd_err *errs)
{
    gd_err serr;
    for (uint32_t k = 0; e->rec.j && k < n; k++)
        gd_engine_rec_intent(e, &it[k], &o[k]);
    int src = submit_sync(e, &serr);
    for (uint32_t k = 0; k < n; k++)
        rcs[k] = submit_send(e, &o[k], src, &serr, &errs[k]);
}

int gd_engine_emit(gd_engine *e, gd_inst *in, const gordon_signal *sig)
{
    /* Signals come from on_bar only: no reentry from fills or overlays; and
     * none while a backtest window is still warming up. */
    if (e->in_strategy != in || e->warming || e->now_ms < e->trade_from_ms)
        return -1;
    /* A flood is cut off without deciding each signal; on_bar's end writes
     * one intent and one log line for all of them. */
    if (in->emit_bar != e->ctr.bars) { /* counted per on_bar, reset here rather than on every bar */
        in->emit_bar = e->ctr.bars;
        in->emits = 0;
    }
    if (++in->emits > GD_EMITS_PER_CALL) {
        if (in->dropped < UINT32_MAX)
            in->dropped++;
        e->ctr.dropped++;
        e->flooded = 1;
        return GORDON_REJECT_THROTTLED;
    }
    e->ctr.signals++;

    gd_account_view acct;
    gd_slot_orders so = {0, 0, 0.0};
    uint32_t sym = sig->struct_size >= GD_SIZE_THROUGH(gordon_signal, symbol) ? sig->symbol : UINT32_MAX;
    memset(&acct, 0, sizeof acct);
    acct.equity = e->book.equity;
    acct.gross_exposure = e->book.gross + e->exec.ops->pending_notional(e->exec.self);
    acct.tripped = e->tripped       ? e->tripped
                   : e->market_gate ? e->market_gate
                   : e->bar_gate    ? e->bar_gate
                                    : gd_engine_rec_gate(e);
    if (e->quar.n) {
        const gd_qentry *q = gd_qlist_find(&e->quar, in->short_name);
        acct.quarantined = q ? q->who : NULL;
    }
    if (sym < e->n_symbols) {
        e->exec.ops->slot(e->exec.self, in->slot, sym, &so);
        acct.subscribed = in->sub[sym];
        const gd_position *pos = gd_book_pos(&e->book, in->slot, sym);
        acct.pos_side = pos->side;
        acct.pos_qty = pos->qty;
        acct.entry_pending = so.entry_pending;
        acct.exit_pending = so.exit_pending;
        /* A reversal: this position's exit is accepted and fills first (at the
         * same open), so the position it closes does not count against the
         * gross cap of the entry that follows it. Simulated fills only: a
         * venue may still refuse the exit, and then both would be open. */
        if (so.exit_pending && pos->side != GORDON_SIDE_NONE && e->book.mark[sym] > 0.0 && !e->exec.ops->remote) {
            double g = pos->qty * e->book.mark[sym];
            acct.gross_exposure = acct.gross_exposure > g ? acct.gross_exposure - g : 0.0;
        }
        /* The host's price, not what the plugin says: the venue's mark
         * where live data brings one no older than this bar's close, else
         * the bar's close. */
        acct.ref_price = e->ref_mark[sym] > 0.0 && e->ref_mark_ms[sym] >= e->last_bar_ms[sym] ? e->ref_mark[sym]
                                                                                             : e->book.mark[sym];
    }
    /* Overlays judge only the symbols they follow. */
    uint32_t n_ov = 0;
    const gd_gen *g = e->gen;
    for (uint32_t i = 0; i < g->n_overlays; i++)
        if (sym < e->n_symbols && g->overlay_insts[i]->sub[sym])
            g->ov_scratch[n_ov++] = g->overlays[i];

    gd_intent it;
    gd_engine_ensure_id(e); /* may set the latch: read it after */
    acct.halted = e->halt.halted;
    gd_pipeline_decide(&e->pipe, in->slot, sig, &acct, g->ov_scratch, n_ov, e->now_ms, &it);
    if (it.result == GORDON_ACCEPTED) {
        gd_order o;
        gd_err err;
        memset(&o, 0, sizeof o);
        o.intent_id = it.id;
        o.owner = in->slot;
        o.symbol = it.symbol;
        o.kind = it.action == GORDON_ACTION_ENTRY ? GD_ORDER_ENTRY : GD_ORDER_EXIT;
        o.side = it.side;
        o.qty = o.kind == GD_ORDER_ENTRY ? it.qty : 0.0; /* an exit closes the whole position */
        o.stop = it.stop;
        o.take_profit = it.take_profit;
        o.ref_price = it.entry;
        o.time_ms = it.time_ms;
        if (gd_engine_submit(e, &o, &it, &err) != 0) {
            it.result = GORDON_REJECT_EXECUTOR;
            it.qty = it.notional = 0.0;
            snprintf(it.detail, sizeof it.detail, "%.150s", err.msg);
        } else {
            e->ctr.orders[o.kind]++;
            /* Slippage is measured against what the strategy saw. */
            e->slot_ref[(size_t)in->slot * e->n_symbols + o.symbol] =
                o.kind == GD_ORDER_ENTRY ? o.ref_price : e->book.mark[o.symbol];
        }
    }
    gd_engine_record(e, &it);
    return it.result;
}

static inline void evaluate_breakers(gd_engine *e);

/* ------------------------------------------------------------ fills */

const double gd_slip_bounds[GD_SLIP_BUCKETS] = GD_SLIP_BOUNDS_BPS;

static void on_fill(void *host, uint32_t owner, gordon_fill *f, double stop, double tp)
{
    gd_engine *e = host;
    double ref = f->reason == GORDON_FILL_STOP ? stop
                 : f->reason == GORDON_FILL_TAKE_PROFIT ? tp
                 : owner < e->n_slots ? e->slot_ref[(size_t)owner * e->n_symbols + f->symbol] : 0.0;
    if (f->reason >= 0 && f->reason < 6)
        e->ctr.fills[f->reason]++;
    if (ref > 0.0) {
        double bps = f->side * (f->price - ref) / ref * 1e4;
        if (bps < 0.0)
            bps = 0.0; /* the histogram measures harm; a better price counts as none */
        size_t b = 0;
        while (b < GD_SLIP_BUCKETS && bps > gd_slip_bounds[b])
            b++;
        e->ctr.slip_le[b]++;
        e->ctr.slip_sum += bps;
        e->ctr.slip_count++;
        if (bps > e->gen->cfg->fill_tolerance_bps) {
            e->ctr.slip_breaches++;
            static const char *const why[] = {"a", "an entry", "an exit", "a stop", "a take-profit", "a flatten"};
            gd_log(GD_LOG_WARN, "risk", NULL, "%s fill of %s at %g, %.1f bps worse than the host's %g: past [risk] "
                   "fill_tolerance_bps %g", why[f->reason >= 1 && f->reason <= 5 ? f->reason : 0],
                   f->symbol < e->n_symbols ? e->symbols[f->symbol] : "?", f->price, bps, ref,
                   e->gen->cfg->fill_tolerance_bps);
        }
    }
    gd_recent_fill *rf = &e->recent_fills[e->rf_head];
    rf->time_ms = f->time_ms;
    rf->intent_id = f->intent_id;
    rf->owner = owner;
    rf->symbol = f->symbol;
    rf->side = f->side;
    rf->reason = f->reason;
    rf->qty = f->qty;
    rf->price = f->price;
    rf->fee = f->fee;
    rf->ref = ref > 0.0 ? ref : 0.0;
    rf->slippage_bps = ref > 0.0 ? f->side * (f->price - ref) / ref * 1e4 : 0.0;
    rf->latency_ms = -1;
    /* Only orders that left the process have a send time (gd_engine_submit). */
    if (e->exec.ops->remote &&
        (f->reason == GORDON_FILL_ENTRY || f->reason == GORDON_FILL_EXIT || f->reason == GORDON_FILL_FLATTEN))
        for (uint32_t k = 0; k < GD_RECENT; k++)
            if (e->sent[k].intent_id == f->intent_id && e->sent[k].sent_ms) {
                rf->latency_ms = f->time_ms - e->sent[k].sent_ms;
                break;
            }
    e->rf_head = (e->rf_head + 1) % GD_RECENT;
    if (e->rf_n < GD_RECENT)
        e->rf_n++;
    uint64_t pos_before = owner < e->book.n_owners ? gd_book_pos(&e->book, owner, f->symbol)->intent_id : 0;
    gd_position before;
    if (e->trades && owner < e->book.n_owners)
        before = *gd_book_pos(&e->book, owner, f->symbol);
    gd_book_apply_fill(&e->book, owner, f, stop, tp);
    if (e->trades && owner < e->book.n_owners)
        gd_trades_fill(e->trades, owner, owner < e->n_slots ? e->slot_names[owner] : "?",
                       f->symbol < e->n_symbols ? e->symbols[f->symbol] : "?", f, &before, ref);
    gd_engine_rec_fill(e, owner, f, stop, tp, pos_before, ref);
    /* A venue's fill is on disk before the executor notes it delivered (its
     * ledger): a restart then neither loses nor repeats it. */
    gd_err serr;
    if (e->rec.j && e->exec.ops && e->exec.ops->remote && rec_sync(e, &serr) != 0)
        gd_log(GD_LOG_ERROR, "journal", NULL, "journal sync after a fill failed: %s", serr.msg);
    /* An orphan (its strategy was removed by a reload) has no one to tell. */
    gd_inst *in = owner < e->gen->n_slots ? e->gen->by_slot[owner] : NULL;
    if (in) {
        if (in->d->on_fill)
            GD_CALL_AS(in->handle, in->d->on_fill(in->self, f));
    }
    /* A fill between bars (a venue's user-data stream) changes the account
     * now: the breakers look at once. Fills of a bar are followed by the
     * bar's own evaluation. */
    if (!e->in_bar && e->gen->n_breakers)
        evaluate_breakers(e);
}

void gd_engine_adopt(gd_engine *e, uint32_t owner, const gordon_fill *entry, double stop, double tp)
{
    if (owner >= e->book.n_owners || entry->symbol >= e->n_symbols)
        return;
    gd_book_adopt(&e->book, owner, entry, stop, tp);
    gd_engine_rec_adopt(e, owner, entry, stop, tp);
    /* Its records (with gd_engine_adopt_new's intent and stop) on disk
     * before the executor's protective stop leaves; a failed sync is said
     * and the stop goes all the same, as an exit does (less risk). */
    gd_err serr;
    if (e->rec.j && e->exec.ops && e->exec.ops->remote && rec_sync(e, &serr) != 0)
        gd_log(GD_LOG_ERROR, "journal", NULL, "journal sync before an adopted position's stop failed: %s", serr.msg);
    /* Its strategy hears of it as of an entry fill (it may have kept
     * nothing across the restart). */
    gd_inst *in = owner < e->gen->n_slots ? e->gen->by_slot[owner] : NULL;
    if (in && in->d->on_fill) {
        gordon_fill f = *entry;
        GD_CALL_AS(in->handle, in->d->on_fill(in->self, &f));
    }
}

int gd_engine_adopt_new(gd_engine *e, uint32_t owner, gordon_fill *entry, double stop, double ref_price,
                        uint64_t *intent_id, gd_err *err)
{
    if (owner >= e->book.n_owners || owner >= e->n_slots || entry->symbol >= e->n_symbols)
        return gd_err_set(err, GD_EINVAL, "adopting a position: no strategy slot %u or symbol %u", owner, entry->symbol);
    if (gd_book_pos(&e->book, owner, entry->symbol)->side != 0)
        return gd_err_set(err, GD_ESTATE, "adopting a position: %s already holds %s", e->slot_names[owner],
                          e->symbols[entry->symbol]);
    gd_engine_ensure_id(e);
    gd_intent it;
    memset(&it, 0, sizeof it);
    it.id = e->pipe.next_id++;
    it.time_ms = entry->time_ms;
    it.strategy = owner;
    it.symbol = entry->symbol;
    it.action = GORDON_ACTION_ENTRY;
    it.side = entry->side;
    it.entry = ref_price > 0.0 ? ref_price : entry->price;
    it.entry_claim = entry->price;
    it.stop = it.orig_stop = stop;
    it.risk_scale = 1.0;
    it.qty = entry->qty;
    it.notional = entry->qty * it.entry;
    it.result = GORDON_ACCEPTED;
    snprintf(it.tag, sizeof it.tag, "adopted");
    snprintf(it.detail, sizeof it.detail, "a venue position gordon did not open, adopted with a stop at %.10g", stop);
    gd_engine_record(e, &it);
    gd_engine_rec_adopted_stop(e, owner, entry->symbol, entry->side, it.id, stop);
    entry->intent_id = it.id;
    gd_engine_adopt(e, owner, entry, stop, 0.0);
    *intent_id = it.id;
    return 0;
}

int gd_engine_quarantine(gd_engine *e, const char *name, int on, const char *who, const char *why, gd_err *err)
{
    uint32_t slot;
    if (on && gd_engine_slot_index(e, name, &slot) != 0)
        return gd_err_set(err, GD_ENOENT, "no running strategy named %s", name);
    if (!on && !gd_qlist_find(&e->quar, name))
        return gd_err_set(err, GD_ENOENT, "strategy %s is not quarantined", name);
    if (on && gd_qlist_find(&e->quar, name))
        return 0; /* already: the first record stands */
    gd_qlist next = e->quar;
    int64_t now = gd_wall_ms();
    if (on) {
        int rc = gd_qlist_add(&next, name, who, why, now, err);
        if (rc)
            return rc;
    } else {
        gd_qlist_remove(&next, name);
    }
    gd_err serr;
    gd_state *st = e->halt.state;
    int saved = !st || gd_qlist_save(st->dir, &next, &serr) == 0;
    /* Out of trading at once even when the store failed (the safer side);
     * back in only once the store says so. */
    if (on || saved)
        e->quar = next;
    if (on)
        e->ctr.quarantines++;
    char fields[160], detail[160];
    snprintf(fields, sizeof fields, "\"strategy\":\"%s\"%s", name, saved ? "" : ",\"durable\":false");
    snprintf(detail, sizeof detail, "{%s}", fields);
    gd_err aerr;
    if (st && gd_state_audit(st, on ? "quarantine" : "release", who, why, now, fields, &aerr) != 0)
        gd_log(GD_LOG_ERROR, "risk", NULL, "audit of a %s: %s", on ? "quarantine" : "release", aerr.msg);
    gd_engine_rec_risk(e, on ? "quarantine" : "release", who, why, detail);
    gd_log(GD_LOG_WARN, "risk", NULL, "strategy %s %s by %s: %s%s", name, on ? "quarantined" : "released", who, why,
           saved ? "" : " (NOT durable: the store could not be written)");
    if (!saved)
        return gd_err_set(err, GD_EIO, "%s: %s", on ? "in force in memory but not durable" : "not released",
                          serr.msg);
    return 0;
}

const gd_qlist *gd_engine_quarantine_list(const gd_engine *e) { return &e->quar; }

uint32_t gd_engine_warmup_bars(const gd_engine *e)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < e->gen->n_insts; i++)
        if (e->gen->insts[i].warmup > w)
            w = e->gen->insts[i].warmup;
    return w;
}

void gd_engine_set_mark(gd_engine *e, uint32_t symbol, double mark, int64_t time_ms)
{
    if (symbol < e->n_symbols && isfinite(mark) && mark > 0.0 && time_ms >= e->ref_mark_ms[symbol]) {
        e->ref_mark[symbol] = mark;
        e->ref_mark_ms[symbol] = time_ms;
    }
}

void gd_engine_set_market_stale(gd_engine *e, int stale, const char *why)
{
    if (!!stale == !!e->market_gate)
        return;
    e->market_gate = stale ? "market" : NULL;
    gd_engine_rec_risk(e, stale ? "market_stale" : "market_current", "breaker:market", why, NULL);
}

void gd_engine_on_bar_live(gd_engine *e, uint32_t symbol, const gordon_bar *bar, int stale)
{
    e->bar_gate = stale ? "stale_bar" : NULL;
    gd_engine_on_bar(e, symbol, bar);
    e->bar_gate = NULL;
}

int gd_engine_slot_index(const gd_engine *e, const char *name, uint32_t *out)
{
    for (uint32_t k = 0; k < e->n_slots; k++) {
        const char *n = gd_engine_slot_name(e, k);
        if (n && !strcmp(n, name) && !gd_engine_slot_orphaned(e, k)) {
            *out = k;
            return 0;
        }
    }
    return GD_ENOENT;
}

/* ------------------------------------------------------------ halt, breakers */

int gd_engine_halt(gd_engine *e, const char *who, const char *why, gd_err *err)
{
    if (!e->halt.halted)
        e->ctr.halts++;
    return gd_halt_set(&e->halt, who, why, e->now_ms, err);
}

int gd_engine_resume(gd_engine *e, const char *who, const char *why, int force, gd_err *err)
{
    if (!e->halt.halted)
        return 0;
    if (e->tripped && !force) {
        char f[160];
        snprintf(f, sizeof f, "\"tripped\":\"%s\"", e->tripped);
        gd_halt_audit(&e->halt, "resume_refused", who, why, e->now_ms, f);
        return gd_err_set(err, GD_ESTATE, "breaker %s is still tripped: resume refused (use force to override)",
                          e->tripped);
    }
    int rc = gd_halt_clear(&e->halt, force && e->tripped ? "resume_forced" : "resume", who, why, e->now_ms, err);
    if (rc)
        return rc;
    /* Breakers may re-baseline; whatever still trips latches again at the
     * next evaluation. */
    for (uint32_t i = 0; i < e->gen->n_breakers; i++)
        if (e->gen->breakers[i]->d->on_resume)
            GD_CALL_AS(e->gen->breakers[i]->handle, e->gen->breakers[i]->d->on_resume(e->gen->breakers[i]->self));
    e->tripped = NULL;
    return 0;
}

static int reserve_ids(gd_engine *e, gd_err *err)
{
    uint64_t upto = e->pipe.next_id + GD_ID_BLOCK;
    int rc = gd_state_reserve_ids(e->halt.state, upto, err);
    if (rc == 0)
        e->ids_limit = upto;
    return rc;
}

/* Without durable ids nothing new may trade: the latch, whose write may
 * fail the same way but holds in memory. */
static void reserve_or_halt(gd_engine *e)
{
    gd_err err;
    if (reserve_ids(e, &err) == 0)
        return;
    char why[300];
    snprintf(why, sizeof why, "intent ids cannot be reserved: %s", err.msg);
    gd_log(GD_LOG_ERROR, "state", NULL, "%s", why);
    (void)gd_engine_halt(e, "host", why, NULL);
}

void gd_engine_ensure_id(gd_engine *e)
{
    if (e->halt.state && e->pipe.next_id >= e->ids_limit)
        reserve_or_halt(e);
}

int gd_engine_set_state(gd_engine *e, gd_state *st, gd_err *err)
{
    gd_halt_attach(&e->halt, st);
    if (!st)
        return 0;
    int qrc = gd_qlist_load(st->dir, &e->quar, err);
    if (qrc)
        return qrc;
    for (uint32_t i = 0; i < e->quar.n; i++)
        gd_log(GD_LOG_WARN, "risk", NULL, "strategy %s is quarantined (since %lld by %s: %s)", e->quar.e[i].name,
               (long long)e->quar.e[i].since_ms, e->quar.e[i].who, e->quar.e[i].why);
    /* A run starts above every id an earlier run may have used. */
    if (e->pipe.next_id < st->next_id)
        e->pipe.next_id = st->next_id;
    return reserve_ids(e, err);
}

int gd_engine_halted(const gd_engine *e) { return e->halt.halted; }

int gd_engine_set_executor(gd_engine *e, gd_executor x, gd_err *err)
{
    if (e->ctr.bars || e->book.fills)
        return gd_err_set(err, GD_ESTATE, "the executor is chosen before the first bar");
    if (x.ops->grow(x.self, e->n_slots) != 0)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    if (e->exec.ops)
        e->exec.ops->destroy(e->exec.self);
    e->exec = x;
    return 0;
}

gd_fill_sink gd_engine_fill_sink(gd_engine *e) { return (gd_fill_sink){e, on_fill}; }

int gd_engine_set_venue_rules(gd_engine *e, const gd_instrument *per_symbol, double equity, gd_err *err)
{
    if (e->book.fills)
        return gd_err_set(err, GD_ESTATE, "the venue's rules and equity are set before anything trades");
    if (!e->venue_instr && !(e->venue_instr = calloc(e->n_symbols ? e->n_symbols : 1, sizeof *e->venue_instr)))
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    memcpy(e->venue_instr, per_symbol, e->n_symbols * sizeof *per_symbol);
    memcpy(e->instr, per_symbol, e->n_symbols * sizeof *per_symbol);
    if (equity > 0.0) {
        gd_book *b = &e->book;
        b->start_equity = b->cash = b->equity = b->peak = b->dd_floor = equity;
    }
    return 0;
}

int gd_engine_sync_latch(gd_engine *e, gd_err *err) { return gd_halt_sync(&e->halt, err); }

/* What every breaker is told, from the book and the clocks. */
static inline __attribute__((always_inline)) void breaker_input(const gd_engine *e, gordon_breaker_input *in)
{
    in->struct_size = sizeof *in;
    in->open_positions = e->book.open_count;
    in->now_ms = e->now_ms;
    in->equity = e->book.equity;
    in->gross_exposure = e->book.gross;
    in->realized_pnl = e->book.realized;
    in->last_data_ms = e->last_data_ms;
    in->last_venue_ms = 0;
}

/* Breaker b's verdict when it is not a steady OK: the reason is read when
 * the state changes (the SDK's contract: a breaker writes it then),
 * terminated here and made valid UTF-8 where it is shown (views, the
 * latch), not on every bar. */
static __attribute__((noinline, cold)) void breaker_change(gd_engine *e, gd_inst *b, int rc, int state)
{
    gordon_breaker_result *r = &b->last;
    int before = r->state;
    r->state = state;
    if (state != before || rc != 0) {
        memcpy(r->reason, b->scratch->reason, sizeof r->reason);
        r->reason[sizeof r->reason - 1] = '\0';
    }
    if (rc != 0 || state < GORDON_BREAKER_OK || state > GORDON_BREAKER_TRIPPED) {
        r->state = GORDON_BREAKER_TRIPPED;
        snprintf(r->reason, sizeof r->reason, "evaluate failed (rc %d)", rc);
    }
    if (r->state == GORDON_BREAKER_TRIPPED) {
        if (before != GORDON_BREAKER_TRIPPED)
            e->ctr.breaker_trips++;
        if (!e->tripped)
            e->tripped = b->short_name;
        if (!e->halt.halted) {
            char why[200];
            snprintf(why, sizeof why, "breaker tripped: %s (value %.6g, threshold %.6g)", r->reason, r->value,
                     r->threshold);
            (void)gd_engine_halt(e, b->name, why, NULL); /* set in memory whatever the disk says */
        }
    }
}

/* Breaker b's verdict, as its evaluate (returning rc) left it in b->scratch:
 * read field by field, as the plugin wrote them (one wide load across two
 * of its stores would wait for them to reach the cache, every bar). */
static inline __attribute__((always_inline)) void breaker_verdict(gd_engine *e, gd_inst *b, int rc)
{
    volatile gordon_breaker_result *out = b->scratch;
    int state = out->state;
    b->last.value = out->value;
    b->last.threshold = out->threshold;
    if (__builtin_expect(rc != 0 || state != GORDON_BREAKER_OK || b->last.state != GORDON_BREAKER_OK, 0))
        breaker_change(e, b, rc, state);
}

/* Breaker b's scratch made ready for an evaluate (its struct_size is set
 * once: the host never reads it back). */
static inline __attribute__((always_inline)) void breaker_scratch(gd_inst *b)
{
    gordon_breaker_result *out = b->scratch;
    out->state = GORDON_BREAKER_OK;
    out->value = 0.0;
    out->threshold = 0.0;
}

/* Breakers run on every bar and after every fill; a breaker that fails to
 * evaluate counts as tripped, because silence is not safety. */
static inline __attribute__((always_inline)) void evaluate_breakers(gd_engine *e)
{
    e->tripped = NULL;
    for (uint32_t i = 0; i < e->gen->n_breakers; i++) {
        gd_inst *b = e->gen->breakers[i];
        /* Each breaker gets its own input (one cannot doctor what the next
         * reads), filled field by field, and writes its verdict into its own
         * scratch (allocated apart, with slack behind the reason): the host
         * keeps only the fields it validates, read one by one. The scratch
         * persists, so a breaker may write its reason only when its state
         * changes. */
        gordon_breaker_input in;
        breaker_input(e, &in);
        breaker_scratch(b);
        int rc;
        GD_CALL_AS(b->handle, rc = b->d->evaluate(b->self, &in, b->scratch));
        breaker_verdict(e, b, rc);
    }
}

/* isolate.c's one batch for a bar: the breakers' verdicts, as they come. */
void gd_engine_breakers_begin(gd_engine *e, gordon_breaker_input *in)
{
    e->tripped = NULL;
    breaker_input(e, in);
    for (uint32_t i = 0; i < e->gen->n_breakers; i++)
        breaker_scratch(e->gen->breakers[i]);
}

void gd_engine_breaker_verdict(gd_engine *e, uint32_t i, int rc) { breaker_verdict(e, e->gen->breakers[i], rc); }

/* ------------------------------------------------------------ hot path */

/* One intent and one log line for a flood's dropped signals. */
static __attribute__((noinline, cold)) void summarise_dropped(gd_engine *e, gd_inst *in, uint32_t s)
{
    gd_intent it;
    memset(&it, 0, sizeof it);
    gd_engine_ensure_id(e);
    it.id = e->pipe.next_id++;
    it.time_ms = e->now_ms;
    it.strategy = in->slot;
    it.symbol = s;
    it.action = GORDON_ACTION_ENTRY;
    it.result = GORDON_REJECT_THROTTLED;
    snprintf(it.detail, sizeof it.detail, "%u more signals in one on_bar dropped (at most %u are decided)",
             in->dropped, GD_EMITS_PER_CALL);
    e->ctr.signals++;
    gd_engine_record(e, &it);
    gd_log(GD_LOG_WARN, "risk", NULL, "%s: %u signals in one on_bar past the limit of %u were dropped", in->name,
           in->dropped, GD_EMITS_PER_CALL);
    in->dropped = 0;
}

void gd_engine_on_bar(gd_engine *e, uint32_t s, const gordon_bar *bar)
{
    /* The bar is stored into the history first: plugins read it through
     * the ring's other (read-only) view, and a store is only seen through
     * another mapping once it has left the store buffer -- the work between
     * keeps the CPU from stalling on that. It counts as history (api->bars)
     * only after the fills at its open: a strategy told of a fill there
     * has not had this bar yet (no lookahead). */
    gd_ring *r = &e->hist[s];
    uint64_t slot = r->n & r->mask;
    r->bars[slot] = *bar;

    e->in_bar = 1;
    e->now_ms = bar->close_time_ms;
    e->last_data_ms = bar->close_time_ms;
    e->last_bar_ms[s] = bar->close_time_ms;
    e->ctr.bars++;

    /* Orders placed at earlier closes meet this bar first: no lookahead. */
    if (e->exec.ops->on_bar)
        e->exec.ops->on_bar(e->exec.self, s, bar);
    gd_book_mark(&e->book, s, bar->close, bar->close_time_ms);
    r->n++;

    /* Callbacks get the bar in the ring's read-only view: a plugin cannot
     * change it for the host or the next plugin, nor reach the replay data. */
    const gordon_bar *view = &r->ro[slot];

    /* Each call binds its instance's handle (nested calls save and restore
     * it; nothing is bound when a bar starts, and nothing after). */
    const gd_dispatch *d = &e->gen->dispatch[s];
    if (__builtin_expect(e->wconf != NULL, 0) && gd_isolate_bar_all(e, d, s, view) == 0) {
        /* Every worker had the bar at once, the breakers' evaluate with it:
         * the bar cost the slowest worker, not the sum of the phases. */
        goto strategies_done;
    }
    if (__builtin_expect(e->wconf != NULL, 0)) {
        gd_isolate_bar(e, d->pre, d->n_pre, s, view, 0);
    } else {
        for (uint32_t i = 0; i < d->n_pre; i++) {
            gd_calling = d->pre[i].ctx;
            d->pre[i].fn(d->pre[i].self, s, view);
        }
    }
    gd_calling = NULL;
    if (e->gen->n_breakers)
        evaluate_breakers(e);
    if (__builtin_expect(e->wconf != NULL, 0)) {
        gd_isolate_bar(e, d->strat, d->n_strat, s, view, 1);
    } else {
        for (uint32_t i = 0; i < d->n_strat; i++) {
            e->in_strategy = d->strat[i].inst;
            gd_calling = d->strat[i].ctx;
            d->strat[i].fn(d->strat[i].self, s, view);
        }
    }
strategies_done:
    gd_calling = NULL;
    e->in_strategy = NULL;
    if (e->flooded) {
        e->flooded = 0;
        for (uint32_t i = 0; i < d->n_strat; i++)
            if (d->strat[i].inst->dropped)
                summarise_dropped(e, d->strat[i].inst, s);
    }
    e->in_bar = 0;
}

const gd_intent *gd_engine_recent_intent(const gd_engine *e, uint32_t k)
{
    return k < e->ri_n ? &e->recent_intents[(e->ri_head + GD_RECENT - 1 - k) % GD_RECENT] : NULL;
}

const gd_recent_fill *gd_engine_recent_fill(const gd_engine *e, uint32_t k)
{
    return k < e->rf_n ? &e->recent_fills[(e->rf_head + GD_RECENT - 1 - k) % GD_RECENT] : NULL;
}

int gd_engine_live(const gd_engine *e) { return !e->replay; }

void gd_engine_tick(gd_engine *e, int64_t wall_ms)
{
    /* Live, time passes whether or not data comes: that is what lets the
     * connectivity breaker see a feed that went quiet. In replay the clock
     * is bar time and stays where the last bar put it. */
    if (!e->replay && wall_ms > e->now_ms)
        e->now_ms = wall_ms;
    if (e->gen->n_breakers && !e->warming && !e->in_bar)
        evaluate_breakers(e);
    if (e->wconf)
        gd_isolate_tick(e);
}

/* ------------------------------------------------------------ setup */

int gd_engine_new(const gd_engine_opts *o, gd_engine **out, gd_err *err)
{
    const gd_config *cfg = o->cfg;
    int rc = GD_ENOMEM;
    gd_engine *e = calloc(1, sizeof *e);
    *out = NULL;
    if (!e)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    e->n_symbols = o->n_symbols;
    e->trade_from_ms = o->trade_from_ms ? o->trade_from_ms : INT64_MIN;
    e->replay = !o->live;
    e->series_source = o->series_source;
    e->cache = o->plugin_cache;
    e->own_cache = !e->cache;
    e->overrides = o->overrides;
    e->n_overrides = o->n_overrides;
    if (o->plugin_dirs.n_first) {
        if (!(e->plugin_dirs = calloc(o->plugin_dirs.n_first, sizeof *e->plugin_dirs)))
            goto nomem;
        for (size_t i = 0; i < o->plugin_dirs.n_first; i++)
            if (o->plugin_dirs.first[i] && !(e->plugin_dirs[e->n_plugin_dirs++] = strdup(o->plugin_dirs.first[i])))
                goto nomem;
    }
    if (o->plugin_dirs.last && !(e->plugin_dir_last = strdup(o->plugin_dirs.last)))
        goto nomem;
    if (o->n_skip) {
        if (!(e->skip = calloc(o->n_skip, sizeof *e->skip)))
            goto nomem;
        for (uint32_t i = 0; i < o->n_skip; i++)
            if (o->skip[i] && !(e->skip[e->n_skip++] = strdup(o->skip[i])))
                goto nomem;
    }
    if (o->n_symbols == 0) {
        rc = gd_err_set(err, GD_EINVAL, "no symbols: configure [replay] data = SYMBOL:file.csv");
        goto fail;
    }
    e->symbols = calloc(o->n_symbols, sizeof *e->symbols);
    e->instr = calloc(o->n_symbols, sizeof *e->instr);
    e->last_bar_ms = calloc(o->n_symbols, sizeof *e->last_bar_ms);
    e->ref_mark = calloc(o->n_symbols, sizeof *e->ref_mark);
    e->ref_mark_ms = calloc(o->n_symbols, sizeof *e->ref_mark_ms);
    if (!e->symbols || !e->instr || !e->last_bar_ms || !e->ref_mark || !e->ref_mark_ms)
        goto nomem;
    for (uint32_t s = 0; s < o->n_symbols; s++)
        if (!(e->symbols[s] = strdup(o->symbols[s])))
            goto nomem;
    /* Plugins get the names read-only: orders are routed by them. */
    if (!(e->sym_ro = calloc(o->n_symbols, sizeof *e->sym_ro)))
        goto nomem;
    rc = gd_rodata_strings(&e->sym_rodata, (const char *const *)e->symbols, o->n_symbols, e->sym_ro, err);
    if (rc)
        goto fail;
    rc = gd_engine_copy_instruments(e, cfg, e->instr, err);
    if (rc)
        goto fail;
    if (e->own_cache && (rc = gd_libcache_new(&e->cache, err)) != 0)
        goto fail;
    /* Isolated: the cache only lints, hashes and has a worker describe each
     * plugin; instances run in workers. A cache shared by an ablation's
     * engines holds loaded code, so ablations run in-process. */
    if (e->own_cache && gd_config_isolated(cfg)) {
        if (!(e->wconf = malloc(sizeof *e->wconf)))
            goto nomem;
        gd_worker_conf_default(e->wconf);
        rc = gd_worker_find_exe(cfg->iso_worker, e->wconf->exe, sizeof e->wconf->exe, err);
        if (rc)
            goto fail;
        e->wconf->deadline_ms = (uint32_t)cfg->iso_deadline_ms;
        e->wconf->start_ms = (uint32_t)cfg->iso_start_ms;
        e->wconf->address_space_mb = (uint64_t)cfg->iso_memory_mb;
        e->wconf->cpu_seconds = (uint64_t)cfg->iso_cpu_seconds;
        e->wconf->lock_memory = cfg->lock_memory;
        e->wconf->rt_priority = (int)cfg->rt_priority;
        if (cfg->iso_pin_cpu) {
            /* This thread runs the loop and every call: it and its workers
             * share the CPU it is on now. */
            int cpu = sched_getcpu();
            cpu_set_t set;
            CPU_ZERO(&set);
            if (cpu >= 0) {
                CPU_SET(cpu, &set);
                if (sched_setaffinity(0, sizeof set, &set) == 0)
                    e->wconf->cpu = cpu;
            }
        }
        gd_libcache_isolate(e->cache, e->wconf);
    }
    if (!(e->api = gd_hostapi_table())) {
        rc = gd_err_set(err, GD_ENOMEM, "cannot map the host-API table");
        goto fail;
    }

    rc = gd_gen_build(e, cfg, &e->gen, err);
    if (rc)
        goto fail;
    rc = gd_engine_ensure_history(e, e->gen, err);
    if (rc)
        goto fail;
    /* The first generation's strategy names are the first slots. */
    e->slot_names = e->gen->new_slots;
    e->n_slots = e->gen->n_new_slots;
    e->gen->new_slots = NULL;
    e->gen->n_new_slots = 0;

    gd_limits lim;
    gd_limits_from_config(cfg, &lim);
    if (gd_pipeline_init(&e->pipe, &lim, e->instr, e->n_symbols, e->n_slots) != 0)
        goto nomem;
    if (gd_book_init(&e->book, e->n_slots, e->n_symbols, cfg->equity) != 0)
        goto nomem;
    gd_simexec_conf sc = {e->n_slots, e->n_symbols, cfg->fee_bps, cfg->slippage_bps};
    rc = gd_simexec_new(&sc, (gd_fill_sink){e, on_fill}, &e->exec, err);
    if (rc)
        goto fail;
    e->slot_ref = calloc((size_t)(e->n_slots ? e->n_slots : 1) * e->n_symbols, sizeof *e->slot_ref);
    if (!e->slot_ref)
        goto nomem;
    *out = e;
    return 0;
nomem:
    rc = gd_err_set(err, GD_ENOMEM, "out of memory");
fail:
    gd_engine_free(e);
    return rc;
}

void gd_engine_free(gd_engine *e)
{
    if (!e)
        return;
    if (e->log.ops)
        e->log.ops->close(e->log.self);
    gd_trades_close(e->trades);
    gd_gen_free(e, e->gen);
    if (e->own_cache)
        gd_libcache_free(e->cache);
    free(e->wconf);
    if (e->hist)
        for (uint32_t s = 0; s < e->n_symbols; s++)
            gd_ring_free(&e->hist[s]);
    free(e->hist);
    if (e->exec.ops)
        e->exec.ops->destroy(e->exec.self);
    free(e->venue_instr);
    gd_book_free(&e->book);
    gd_pipeline_free(&e->pipe);
    gd_strv_free(e->slot_names, e->n_slots);
    gd_strv_free(e->skip, e->n_skip);
    gd_strv_free(e->plugin_dirs, e->n_plugin_dirs);
    free(e->plugin_dir_last);
    gd_strv_free(e->symbols, e->n_symbols);
    gd_rodata_free(&e->sym_rodata);
    free(e->sym_ro);
    free(e->instr);
    free(e->slot_ref);
    free(e->rec.slots);
    free(e->last_bar_ms);
    free(e->ref_mark);
    free(e->ref_mark_ms);
    gd_series_free_all(e);
    free(e);
}

void gd_engine_set_trades(gd_engine *e, gd_trades *t)
{
    gd_trades_close(e->trades);
    e->trades = t;
}

void gd_engine_set_intentlog(gd_engine *e, gd_intentlog log)
{
    if (e->log.ops)
        e->log.ops->close(e->log.self);
    e->log = log;
}

int gd_engine_flush(gd_engine *e, gd_err *err)
{
    /* Between batches, not per bar: top the reserved ids up. */
    if (e->halt.state && e->pipe.next_id + GD_ID_BLOCK / 2 > e->ids_limit)
        reserve_or_halt(e);
    gd_err terr;
    (void)gd_trades_flush(e->trades, &terr); /* logged there; the trade list is a report, not the record */
    return e->log.ops ? e->log.ops->flush(e->log.self, err) : 0;
}

const gd_book *gd_engine_book(const gd_engine *e) { return &e->book; }

void gd_engine_stats_get(const gd_engine *e, gd_engine_stats *out)
{
    memset(out, 0, sizeof *out);
    out->bars = e->ctr.bars;
    out->signals = e->ctr.signals;
    memcpy(out->by_result, e->pipe.by_result, sizeof out->by_result);
    out->halted = e->halt.halted;
    snprintf(out->halt_reason, sizeof out->halt_reason, "%s", e->halt.reason);
}

/* ------------------------------------------------------------ introspection */

const gd_engine_counters *gd_engine_counters_get(const gd_engine *e) { return &e->ctr; }

int64_t gd_engine_now(const gd_engine *e) { return e->now_ms; }
uint32_t gd_engine_symbol_count(const gd_engine *e) { return e->n_symbols; }
const char *gd_engine_symbol(const gd_engine *e, uint32_t s) { return s < e->n_symbols ? e->symbols[s] : NULL; }
int64_t gd_engine_last_bar_ms(const gd_engine *e, uint32_t s) { return s < e->n_symbols ? e->last_bar_ms[s] : 0; }
uint32_t gd_engine_slot_count(const gd_engine *e) { return e->n_slots; }
const char *gd_engine_slot_name(const gd_engine *e, uint32_t k) { return k < e->n_slots ? e->slot_names[k] : NULL; }

int gd_engine_slot_orphaned(const gd_engine *e, uint32_t k)
{
    return k >= e->gen->n_slots || !e->gen->by_slot[k];
}

const gd_pipeline *gd_engine_pipeline(const gd_engine *e) { return &e->pipe; }
const gd_halt *gd_engine_halt_state(const gd_engine *e) { return &e->halt; }
uint32_t gd_engine_breaker_count(const gd_engine *e) { return e->gen->n_breakers; }

int gd_engine_breaker(const gd_engine *e, uint32_t i, gd_breaker_view *out)
{
    if (i >= e->gen->n_breakers)
        return GD_ERANGE;
    const gd_inst *b = e->gen->breakers[i];
    out->name = b->short_name;
    out->plugin = b->d->name;
    out->last = b->last;
    if (out->last.state < GORDON_BREAKER_OK || out->last.state > GORDON_BREAKER_TRIPPED)
        out->last.state = GORDON_BREAKER_TRIPPED;
    return 0;
}

uint32_t gd_engine_quarantined(const gd_engine *e, uint32_t *stopped)
{
    return gd_isolate_quarantined(e, stopped);
}
