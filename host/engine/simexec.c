#include "engine/simexec.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

typedef struct simslot {
    uint8_t entry;       /* an entry waits for the next open */
    uint8_t exit;        /* an exit waits for the next open */
    int8_t entry_side;
    int8_t pos_side;     /* the venue's view of the position */
    double entry_qty;
    double entry_stop;
    double entry_tp;
    double entry_ref;
    uint64_t entry_intent;
    uint64_t exit_intent;
    int32_t exit_kind;
    double pos_qty;
    double stop;
    double tp;
    uint64_t pos_intent;
} simslot;

typedef struct simexec {
    gd_simexec_conf c;
    gd_fill_sink sink;
    simslot *slots;       /* owned: [owner * n_symbols + symbol] */
    uint32_t *active;     /* owned: per symbol, slots with anything working */
    double pending_notional;
} simexec;

static simslot *slot_of(simexec *x, uint32_t owner, uint32_t symbol)
{
    return &x->slots[(size_t)owner * x->c.n_symbols + symbol];
}

static int slot_busy(const simslot *s) { return s->entry || s->exit || s->pos_side; }

static void fill(simexec *x, uint32_t owner, uint32_t symbol, int side, int reason, double qty,
                 double price, int64_t t, uint64_t intent)
{
    gordon_fill f;
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.symbol = symbol;
    f.side = side;
    f.reason = reason;
    f.qty = qty;
    f.price = price;
    f.fee = qty * price * x->c.fee_bps / 1e4;
    f.time_ms = t;
    f.intent_id = intent;
    simslot *s = slot_of(x, owner, symbol);
    x->sink.on_fill(x->sink.host, owner, &f, s->stop, s->tp);
}

static int sim_submit(void *self, const gd_order *o, gd_err *err)
{
    simexec *x = self;
    if (o->owner >= x->c.n_owners || o->symbol >= x->c.n_symbols)
        return gd_err_set(err, GD_EINVAL, "order for unknown owner %u / symbol %u", o->owner, o->symbol);
    simslot *s = slot_of(x, o->owner, o->symbol);
    int was_busy = slot_busy(s);
    switch (o->kind) {
    case GD_ORDER_ENTRY:
        if (s->entry)
            return gd_err_set(err, GD_ESTATE, "an entry is already pending");
        if (!(o->qty > 0.0))
            return gd_err_set(err, GD_EINVAL, "entry quantity must be positive");
        s->entry = 1;
        s->entry_side = (int8_t)o->side;
        s->entry_qty = o->qty;
        s->entry_stop = o->stop;
        s->entry_tp = o->take_profit;
        s->entry_ref = o->ref_price;
        s->entry_intent = o->intent_id;
        x->pending_notional += o->qty * o->ref_price;
        break;
    case GD_ORDER_EXIT:
    case GD_ORDER_FLATTEN:
        if (s->pos_side) {
            s->exit = 1;
            s->exit_intent = o->intent_id;
            s->exit_kind = o->kind;
        }
        if (s->entry) { /* nothing filled yet: cancelling is the whole exit */
            s->entry = 0;
            x->pending_notional -= s->entry_qty * s->entry_ref;
            if (x->pending_notional < 1e-9)
                x->pending_notional = 0.0;
        } else if (!s->pos_side) {
            return gd_err_set(err, GD_ESTATE, "nothing to exit");
        }
        break;
    default:
        return gd_err_set(err, GD_EINVAL, "unknown order kind %d", o->kind);
    }
    if (!was_busy && slot_busy(s))
        x->active[o->symbol]++;
    else if (was_busy && !slot_busy(s))
        x->active[o->symbol]--;
    return 0;
}

static void sim_slot(void *self, uint32_t owner, uint32_t symbol, gd_slot_orders *out)
{
    simexec *x = self;
    const simslot *s = slot_of(x, owner, symbol);
    out->entry_pending = s->entry;
    out->exit_pending = s->exit;
    out->entry_notional = s->entry ? s->entry_qty * s->entry_ref : 0.0;
}

static double sim_pending_notional(void *self) { return ((simexec *)self)->pending_notional; }

/* Checks the working stop and take profit against one bar. A bar that
 * reaches both is taken as the stop first: the conservative reading. */
static void check_protective(simexec *x, uint32_t owner, uint32_t sym, simslot *s,
                             const gordon_bar *b, double slip)
{
    int side = s->pos_side;
    double px = 0.0;
    int reason = 0;
    if (s->stop > 0.0) {
        if (side > 0 ? b->open <= s->stop : b->open >= s->stop) {
            px = b->open; /* gapped through: the open is the first price there was */
            reason = GORDON_FILL_STOP;
        } else if (side > 0 ? b->low <= s->stop : b->high >= s->stop) {
            px = s->stop;
            reason = GORDON_FILL_STOP;
        }
        if (reason)
            px *= 1.0 - side * slip;
    }
    if (!reason && s->tp > 0.0) {
        if (side > 0 ? b->open >= s->tp : b->open <= s->tp) {
            px = b->open;
            reason = GORDON_FILL_TAKE_PROFIT;
        } else if (side > 0 ? b->high >= s->tp : b->low <= s->tp) {
            px = s->tp;
            reason = GORDON_FILL_TAKE_PROFIT;
        }
    }
    if (!reason)
        return;
    double q = s->pos_qty;
    uint64_t intent = s->pos_intent;
    s->pos_side = 0;
    s->pos_qty = 0.0;
    fill(x, owner, sym, -side, reason, q, px, b->open_time_ms, intent);
    s->stop = s->tp = 0.0;
}

/* A bar meets the symbol's orders and positions (sim_on_bar has checked
 * there are some: apart, so a quiet bar does not pay this one's frame). */
static __attribute__((noinline)) void sim_bar_active(simexec *x, uint32_t sym, const gordon_bar *b)
{
    double slip = x->c.slippage_bps / 1e4;
    for (uint32_t o = 0; o < x->c.n_owners; o++) {
        simslot *s = slot_of(x, o, sym);
        if (!slot_busy(s))
            continue;
        if (s->exit) {
            s->exit = 0;
            if (s->pos_side) {
                int side = s->pos_side;
                double q = s->pos_qty;
                s->pos_side = 0;
                s->pos_qty = 0.0;
                fill(x, o, sym, -side,
                     s->exit_kind == GD_ORDER_FLATTEN ? GORDON_FILL_FLATTEN : GORDON_FILL_EXIT, q,
                     b->open * (1.0 - side * slip), b->open_time_ms, s->exit_intent);
                s->stop = s->tp = 0.0;
            }
        }
        if (s->entry) {
            s->entry = 0;
            x->pending_notional -= s->entry_qty * s->entry_ref;
            if (x->pending_notional < 1e-9)
                x->pending_notional = 0.0;
            s->pos_side = s->entry_side;
            s->pos_qty = s->entry_qty;
            s->stop = s->entry_stop;
            s->tp = s->entry_tp;
            s->pos_intent = s->entry_intent;
            fill(x, o, sym, s->entry_side, GORDON_FILL_ENTRY, s->entry_qty,
                 b->open * (1.0 + s->entry_side * slip), b->open_time_ms, s->entry_intent);
        }
        /* A position opened at this open lives through this bar's range. */
        if (s->pos_side)
            check_protective(x, o, sym, s, b, slip);
        if (!slot_busy(s))
            x->active[sym]--;
    }
}

static void sim_on_bar(void *self, uint32_t sym, const gordon_bar *b)
{
    simexec *x = self;
    if (x->active[sym] != 0)
        sim_bar_active(x, sym, b);
}

static int sim_grow(void *self, uint32_t n_owners)
{
    simexec *x = self;
    if (n_owners <= x->c.n_owners)
        return 0;
    size_t old = (size_t)x->c.n_owners * x->c.n_symbols, now = (size_t)n_owners * x->c.n_symbols;
    simslot *s = realloc(x->slots, now * sizeof *s);
    if (!s)
        return GD_ENOMEM;
    memset(s + old, 0, (now - old) * sizeof *s);
    x->slots = s;
    x->c.n_owners = n_owners;
    return 0;
}

static void sim_destroy(void *self)
{
    simexec *x = self;
    if (!x)
        return;
    free(x->slots);
    free(x->active);
    free(x);
}

static const gd_executor_ops sim_ops = {
    .name = "sim",
    .submit = sim_submit,
    .slot = sim_slot,
    .pending_notional = sim_pending_notional,
    .grow = sim_grow,
    .on_bar = sim_on_bar,
    .destroy = sim_destroy,
};

int gd_simexec_new(const gd_simexec_conf *conf, gd_fill_sink sink, gd_executor *out, gd_err *err)
{
    simexec *x = calloc(1, sizeof *x);
    if (!x)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    x->c = *conf;
    x->sink = sink;
    x->slots = calloc((size_t)(conf->n_owners ? conf->n_owners : 1) * (conf->n_symbols ? conf->n_symbols : 1),
                      sizeof *x->slots);
    x->active = calloc(conf->n_symbols ? conf->n_symbols : 1, sizeof *x->active);
    if (!x->slots || !x->active) {
        sim_destroy(x);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    out->ops = &sim_ops;
    out->self = x;
    return 0;
}

int gd_simexec_set_costs(gd_executor *x, double fee_bps, double slippage_bps)
{
    if (!x || x->ops != &sim_ops)
        return GD_EINVAL; /* not a simulated executor: a venue has no configured costs */
    simexec *sx = x->self;
    sx->c.fee_bps = fee_bps;
    sx->c.slippage_bps = slippage_bps;
    return 0;
}
