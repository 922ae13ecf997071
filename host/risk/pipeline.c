#include "risk/pipeline.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/err.h"
#include "base/json.h"
#include "base/sized.h"
#include "risk/instr.h"

/* What an overlay is told it may write of its reason (GD_REASON_SLACK
 * behind it absorbs one that writes further). */
#define GD_REASON_LEN 96

/* The 1.0 layout of gordon_signal ends with tag. */
#define GD_SIGNAL_V1_SIZE GD_SIZE_THROUGH(gordon_signal, tag)

static const char *const reject_names[GORDON_REJECT__COUNT] = {
    [GORDON_ACCEPTED] = "accepted",
    [GORDON_REJECT_BAD_SIGNAL] = "bad_signal",
    [GORDON_REJECT_HALTED] = "halted",
    [GORDON_REJECT_BREAKER] = "breaker_tripped",
    [GORDON_REJECT_OVERLAY_VETO] = "overlay_veto",
    [GORDON_REJECT_OVERLAY_INVALID] = "overlay_invalid",
    [GORDON_REJECT_NO_STOP] = "no_stop",
    [GORDON_REJECT_STOP_SIDE] = "stop_wrong_side",
    [GORDON_REJECT_BELOW_MIN_QTY] = "below_min_qty",
    [GORDON_REJECT_BELOW_MIN_NOTIONAL] = "below_min_notional",
    [GORDON_REJECT_ORDER_CAP] = "order_notional_cap",
    [GORDON_REJECT_DAILY_CAP] = "daily_notional_cap",
    [GORDON_REJECT_EXPOSURE_CAP] = "gross_exposure_cap",
    [GORDON_REJECT_THROTTLED] = "throttled",
    [GORDON_REJECT_POSITION_OPEN] = "position_open",
    [GORDON_REJECT_NO_POSITION] = "no_position",
    [GORDON_REJECT_NO_EQUITY] = "no_equity",
    [GORDON_REJECT_EXECUTOR] = "executor_refused",
};

const char *gd_reject_name(int code)
{
    if (code < 0 || code >= GORDON_REJECT__COUNT || !reject_names[code])
        return "unknown";
    return reject_names[code];
}

static const char *const reject_words[GORDON_REJECT__COUNT] = {
    [GORDON_ACCEPTED] = "accepted",
    [GORDON_REJECT_BAD_SIGNAL] = "malformed or priced far from the host's price",
    [GORDON_REJECT_HALTED] = "halt latch set",
    [GORDON_REJECT_BREAKER] = "a breaker tripped",
    [GORDON_REJECT_OVERLAY_VETO] = "vetoed by an overlay",
    [GORDON_REJECT_OVERLAY_INVALID] = "an overlay tried to loosen the order (a veto)",
    [GORDON_REJECT_NO_STOP] = "no stop loss",
    [GORDON_REJECT_STOP_SIDE] = "stop on the wrong side of the host's price",
    [GORDON_REJECT_BELOW_MIN_QTY] = "below min_qty",
    [GORDON_REJECT_BELOW_MIN_NOTIONAL] = "below min_notional",
    [GORDON_REJECT_ORDER_CAP] = "max_order_notional_usd leaves too little",
    [GORDON_REJECT_DAILY_CAP] = "max_daily_notional_usd used up",
    [GORDON_REJECT_EXPOSURE_CAP] = "max_gross_exposure_usd reached",
    [GORDON_REJECT_THROTTLED] = "over the order-rate limit",
    [GORDON_REJECT_POSITION_OPEN] = "a position or order already open in the symbol",
    [GORDON_REJECT_NO_POSITION] = "an exit with no position to close",
    [GORDON_REJECT_NO_EQUITY] = "equity not positive",
    [GORDON_REJECT_EXECUTOR] = "refused by the executor",
};

const char *gd_reject_describe(int code)
{
    if (code < 0 || code >= GORDON_REJECT__COUNT || !reject_words[code])
        return "unknown";
    return reject_words[code];
}

/* Appends to buf at *n, never past cap; *n saturates at cap - 1. */
static void explain_put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void explain_put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
    if (*n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n = *n + (size_t)k < cap ? *n + (size_t)k : cap - 1;
}

void gd_reject_explain(char *buf, size_t cap, uint64_t signals, const uint64_t by_result[GORDON_REJECT__COUNT],
                       size_t top)
{
    size_t n = 0;
    if (!cap)
        return;
    buf[0] = '\0';
    uint64_t rejected = 0;
    for (int i = 1; i < GORDON_REJECT__COUNT; i++)
        rejected += by_result[i];
    if (!signals && !rejected && !by_result[GORDON_ACCEPTED]) {
        explain_put(buf, cap, &n, "no signals");
        return;
    }
    explain_put(buf, cap, &n, "%llu signal%s", (unsigned long long)signals, signals == 1 ? "" : "s");
    if (!rejected) {
        explain_put(buf, cap, &n, ", %llu accepted, none rejected", (unsigned long long)by_result[GORDON_ACCEPTED]);
        return;
    }
    if (!by_result[GORDON_ACCEPTED])
        explain_put(buf, cap, &n, ", all rejected: ");
    else
        explain_put(buf, cap, &n, ", %llu accepted, %llu rejected: ", (unsigned long long)by_result[GORDON_ACCEPTED],
                    (unsigned long long)rejected);
    /* Most frequent first (ties: the lower code); the rest as one sum. */
    int used[GORDON_REJECT__COUNT] = {0};
    uint64_t shown = 0;
    for (size_t k = 0; k < top; k++) {
        int best = 0;
        for (int i = 1; i < GORDON_REJECT__COUNT; i++)
            if (!used[i] && by_result[i] && (!best || by_result[i] > by_result[best]))
                best = i;
        if (!best)
            break;
        used[best] = 1;
        shown += by_result[best];
        explain_put(buf, cap, &n, "%s%llu %s", k ? ", " : "", (unsigned long long)by_result[best],
                    gd_reject_describe(best));
    }
    if (shown < rejected) {
        int others = 0;
        for (int i = 1; i < GORDON_REJECT__COUNT; i++)
            others += !used[i] && by_result[i];
        explain_put(buf, cap, &n, "%s%llu for %d other reason%s", shown ? ", " : "",
                    (unsigned long long)(rejected - shown), others,
                    others == 1 ? "" : "s");
    }
}

const char *gd_cap_name(int cap)
{
    switch (cap) {
    case GD_CAP_ORDER: return "order_notional";
    case GD_CAP_DAILY: return "daily_notional";
    case GD_CAP_EXPOSURE: return "gross_exposure";
    default: return "none";
    }
}

void gd_limits_from_config(const gd_config *cfg, gd_limits *out)
{
    memset(out, 0, sizeof *out);
    out->risk_pct = cfg->risk_pct;
    out->sl_required = cfg->sl_required;
    out->max_order_notional = cfg->max_order_notional;
    if (cfg->mode == GD_MODE_PRODUCTION && cfg->max_notional_usd_prod < out->max_order_notional)
        out->max_order_notional = cfg->max_notional_usd_prod;
    out->max_daily_notional = cfg->max_daily_notional;
    out->max_gross_exposure = cfg->max_gross_exposure;
    out->rate_global = cfg->max_intents_per_sec >= 1.0 ? (uint32_t)cfg->max_intents_per_sec : 1;
    out->rate_strategy =
        cfg->max_intents_per_sec_strategy >= 1.0 ? (uint32_t)cfg->max_intents_per_sec_strategy : 1;
    out->entry_tol_bps = cfg->entry_tolerance_bps;
    out->entry_tol_ticks = cfg->entry_tolerance_ticks;
    out->allocation = cfg->allocation_usd;
}

static int rate_init(gd_rate *r, uint32_t cap)
{
    r->t = calloc(cap ? cap : 1, sizeof *r->t);
    r->cap = cap ? cap : 1;
    r->head = r->count = 0;
    return r->t ? 0 : GD_ENOMEM;
}

/* Allowed if fewer than cap intents were accepted in (now - 1s, now]. */
static int rate_allows(const gd_rate *r, int64_t now_ms)
{
    if (r->count < r->cap)
        return 1;
    int64_t oldest = r->t[r->head]; /* head is the oldest slot when full */
    return oldest <= now_ms - 1000;
}

static void rate_push(gd_rate *r, int64_t now_ms)
{
    r->t[r->head] = now_ms;
    r->head = (r->head + 1) % r->cap;
    if (r->count < r->cap)
        r->count++;
}

int gd_pipeline_init(gd_pipeline *p, const gd_limits *lim, const gd_instrument *instr,
                     uint32_t n_symbols, uint32_t n_strategies)
{
    memset(p, 0, sizeof *p);
    p->lim = *lim;
    p->instr = instr;
    p->n_symbols = n_symbols;
    p->n_strategies = n_strategies;
    p->day = INT64_MIN;
    p->next_id = 1;
    if (rate_init(&p->global, lim->rate_global) != 0)
        goto fail;
    p->per_strategy = calloc(n_strategies ? n_strategies : 1, sizeof *p->per_strategy);
    if (!p->per_strategy)
        goto fail;
    for (uint32_t i = 0; i < n_strategies; i++)
        if (rate_init(&p->per_strategy[i], lim->rate_strategy) != 0)
            goto fail;
    return 0;
fail:
    gd_pipeline_free(p);
    return GD_ENOMEM;
}

int gd_pipeline_grow(gd_pipeline *p, uint32_t n)
{
    if (n <= p->n_strategies)
        return 0;
    gd_rate *r = realloc(p->per_strategy, n * sizeof *r);
    if (!r)
        return GD_ENOMEM;
    p->per_strategy = r;
    for (uint32_t i = p->n_strategies; i < n; i++) {
        if (rate_init(&r[i], p->lim.rate_strategy) != 0) {
            p->n_strategies = i; /* the ones made so far are freed with the pipeline */
            return GD_ENOMEM;
        }
        p->n_strategies = i + 1;
    }
    return 0;
}

int gd_pipeline_set_limits(gd_pipeline *p, const gd_limits *lim, const gd_instrument *instr)
{
    /* Everything new is allocated before anything changes: all or nothing. */
    gd_rate g = {0}, *ps = NULL;
    int new_g = lim->rate_global != p->lim.rate_global;
    int new_s = lim->rate_strategy != p->lim.rate_strategy && p->n_strategies;
    if (new_g && rate_init(&g, lim->rate_global) != 0)
        goto fail;
    if (new_s) {
        ps = calloc(p->n_strategies, sizeof *ps);
        if (!ps)
            goto fail;
        for (uint32_t i = 0; i < p->n_strategies; i++)
            if (rate_init(&ps[i], lim->rate_strategy) != 0)
                goto fail;
    }
    if (new_g) {
        free(p->global.t);
        p->global = g;
    }
    if (new_s) {
        for (uint32_t i = 0; i < p->n_strategies; i++) {
            free(p->per_strategy[i].t);
            p->per_strategy[i] = ps[i];
        }
        free(ps);
    }
    p->lim = *lim;
    p->instr = instr;
    return 0;
fail:
    free(g.t);
    if (ps)
        for (uint32_t i = 0; i < p->n_strategies; i++)
            free(ps[i].t);
    free(ps);
    return GD_ENOMEM;
}

void gd_pipeline_free(gd_pipeline *p)
{
    free(p->global.t);
    if (p->per_strategy)
        for (uint32_t i = 0; i < p->n_strategies; i++)
            free(p->per_strategy[i].t);
    free(p->per_strategy);
    memset(p, 0, sizeof *p);
}

double gd_pipeline_daily_left(gd_pipeline *p, int64_t now_ms)
{
    int64_t day = gd_day_index(now_ms);
    if (day != p->day) {
        p->day = day;
        p->used_today = 0.0;
    }
    double left = p->lim.max_daily_notional - p->used_today;
    return left > 0.0 ? left : 0.0;
}

static void reject(gd_intent *it, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reject(gd_intent *it, int code, const char *fmt, ...)
{
    va_list ap;
    it->result = code;
    it->qty = 0.0;
    it->notional = 0.0;
    va_start(ap, fmt);
    vsnprintf(it->detail, sizeof it->detail, fmt, ap);
    va_end(ap);
}

/* reject(it, code, "%s: %s", a, b) without printf: an overlay's veto, the
 * most common refusal in a backtest. Cut at the buffer as snprintf cuts. */
static void reject_pair(gd_intent *it, int code, const char *a, const char *b)
{
    const char *part[3] = {a ? a : "(null)", ": ", b ? b : "(null)"};
    size_t n = 0;
    it->result = code;
    it->qty = 0.0;
    it->notional = 0.0;
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(part[k]);
        if (l > sizeof it->detail - 1 - n)
            l = sizeof it->detail - 1 - n;
        memcpy(it->detail + n, part[k], l);
        n += l;
    }
    it->detail[n] = '\0';
}

static int finite_nonneg(double x) { return isfinite(x) && x >= 0.0; }

/* A stop is valid when strictly on the losing side of entry. */
static int stop_ok(int side, double entry, double stop)
{
    return side == GORDON_SIDE_LONG ? (stop > 0.0 && stop < entry) : (stop > entry);
}

/* A take profit is valid when strictly on the winning side (0 = none). */
static int tp_ok(int side, double entry, double tp)
{
    if (tp == 0.0)
        return 1;
    return side == GORDON_SIDE_LONG ? tp > entry : (tp > 0.0 && tp < entry);
}

/* Overlays may only make a signal smaller or safer. Returns NULL if `out` is a
 * valid tightening of `in` (the host's own copy, which the overlay never saw
 * by pointer) at the host's price px, otherwise what was violated. */
static const char *tighten_violation(const gordon_signal *in, const gordon_signal *out, double px)
{
    if (out->symbol != in->symbol || out->action != in->action || out->side != in->side)
        return "changed symbol, action or side";
    if (memcmp(&out->entry, &in->entry, sizeof in->entry) != 0)
        return "changed the entry claim";
    if (!isfinite(out->risk_scale) || !(out->risk_scale > 0.0) || out->risk_scale > in->risk_scale)
        return "raised risk_scale (or made it invalid)";
    if (!finite_nonneg(out->stop_loss) || !finite_nonneg(out->take_profit))
        return "invalid price";
    int s = in->side;
    if (in->stop_loss != 0.0) {
        if (out->stop_loss == 0.0)
            return "removed the stop loss";
        if (s == GORDON_SIDE_LONG ? out->stop_loss < in->stop_loss : out->stop_loss > in->stop_loss)
            return "loosened the stop loss";
    }
    if (out->stop_loss != 0.0 && !stop_ok(s, px, out->stop_loss))
        return "moved the stop loss to the wrong side of the price";
    if (in->take_profit != 0.0) {
        if (out->take_profit == 0.0)
            return "removed the take profit";
        if (s == GORDON_SIDE_LONG ? out->take_profit > in->take_profit
                                  : out->take_profit < in->take_profit)
            return "moved the take profit further away";
    }
    if (!tp_ok(s, px, out->take_profit))
        return "moved the take profit to the wrong side of the price";
    return NULL;
}

/* Clamps qty so that qty*entry <= limit; returns 1 if it had to. */
static int clamp_to(double *qty, double entry, double limit, double step)
{
    if (*qty * entry <= limit)
        return 0;
    *qty = limit > 0.0 ? gd_round_down_step(limit / entry, step) : 0.0;
    /* Rounding to step decimals must never land above the limit. */
    while (*qty > 0.0 && *qty * entry > limit)
        *qty = gd_round_down_step(*qty - step, step);
    return 1;
}

static void decide_exit(const gd_account_view *acct, gd_intent *it)
{
    if (acct->exit_pending) {
        reject(it, GORDON_REJECT_NO_POSITION, "an exit is already pending");
        return;
    }
    if (acct->pos_side == GORDON_SIDE_NONE && !acct->entry_pending) {
        reject(it, GORDON_REJECT_NO_POSITION, "no position or pending entry to exit");
        return;
    }
    /* The record says what is closed (a pending entry alone: side none, qty 0). */
    it->side = acct->pos_side;
    it->qty = acct->pos_side != GORDON_SIDE_NONE && acct->pos_qty > 0.0 ? acct->pos_qty : 0.0;
    it->result = GORDON_ACCEPTED;
}

void gd_pipeline_decide(gd_pipeline *p, uint32_t strategy, const gordon_signal *sig_in,
                        const gd_account_view *acct, const gd_overlay_ref *overlays,
                        size_t n_overlays, int64_t now_ms, gd_intent *it)
{
    gordon_signal sig;
    memset(it, 0, sizeof *it);
    it->id = p->next_id++;
    it->time_ms = now_ms;
    it->strategy = strategy;

    /* Copy only what the plugin's struct has; the rest stays zero. Every
     * field of the 1.0 layout is required. */
    if (!sig_in || sig_in->struct_size < GD_SIGNAL_V1_SIZE) {
        if (sig_in && sig_in->struct_size >= GD_SIZE_THROUGH(gordon_signal, action)) {
            it->symbol = sig_in->symbol;
            it->action = sig_in->action;
        }
        reject(it, GORDON_REJECT_BAD_SIGNAL,
               "signal struct_size %u < %zu: initialise signals with GORDON_SIGNAL_INIT",
               sig_in ? sig_in->struct_size : 0u, (size_t)GD_SIGNAL_V1_SIZE);
        return;
    }
    gd_sized_in(&sig, sizeof sig, sig_in, sig_in->struct_size);
    sig.struct_size = sizeof sig;
    sig.tag[sizeof sig.tag - 1] = '\0';
    it->symbol = sig.symbol;
    it->action = sig.action;
    it->side = sig.side;
    it->entry = acct->ref_price;
    it->entry_claim = sig.entry;
    it->stop = it->orig_stop = sig.stop_loss;
    it->take_profit = sig.take_profit;
    it->risk_scale = sig.risk_scale;
    gd_utf8_copy(it->tag, sizeof it->tag, sig.tag); /* a plugin's text: valid UTF-8 from here on */

    if (sig.symbol >= p->n_symbols) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "unknown symbol id %u", sig.symbol);
        return;
    }
    if (!acct->subscribed) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "strategy is not subscribed to this symbol");
        return;
    }
    /* Every signal counts against the throttle, accepted or not: a flood of
     * garbage exhausts its own budget -- and only its own: what a strategy's
     * limit refuses takes nothing from the shared one, so a flooding
     * strategy cannot starve the others. Exits are counted, never refused. */
    int over = !rate_allows(&p->per_strategy[strategy], now_ms) ? 1 : !rate_allows(&p->global, now_ms) ? 2 : 0;
    rate_push(&p->per_strategy[strategy], now_ms);
    if (over != 1)
        rate_push(&p->global, now_ms);
    if (sig.action == GORDON_ACTION_EXIT) {
        decide_exit(acct, it);
        return;
    }
    if (over) {
        reject(it, GORDON_REJECT_THROTTLED, over == 1 ? "more than %u signals/s from this strategy"
                                                      : "more than %u signals/s in total",
               over == 1 ? p->lim.rate_strategy : p->lim.rate_global);
        return;
    }
    if (sig.action != GORDON_ACTION_ENTRY) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "unknown action %d", sig.action);
        return;
    }
    if (sig.side != GORDON_SIDE_LONG && sig.side != GORDON_SIDE_SHORT) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "side must be long (1) or short (-1), got %d", sig.side);
        return;
    }
    if (!isfinite(sig.entry) || !(sig.entry > 0.0)) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "entry reference must be a positive finite price");
        return;
    }
    /* The host sizes and checks at its own price; the plugin's entry is a
     * claim, believed only near that price. */
    const gd_instrument *ins = &p->instr[sig.symbol];
    const double px = acct->ref_price;
    if (!isfinite(px) || !(px > 0.0)) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "the host has no price for this symbol yet");
        return;
    }
    double tol = px * p->lim.entry_tol_bps / 1e4;
    if (p->lim.entry_tol_ticks * ins->tick_size > tol)
        tol = p->lim.entry_tol_ticks * ins->tick_size;
    if (fabs(sig.entry - px) > tol) {
        reject(it, GORDON_REJECT_BAD_SIGNAL,
               "entry claim %.10g is %.0f bps from the host's price %.10g (tolerance %.10g)", sig.entry,
               fabs(sig.entry - px) / px * 1e4, px, tol);
        return;
    }
    if (!finite_nonneg(sig.stop_loss) || !finite_nonneg(sig.take_profit)) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "stop_loss and take_profit must be finite and >= 0");
        return;
    }
    if (!isfinite(sig.risk_scale) || !(sig.risk_scale > 0.0) || sig.risk_scale > 1.0) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "risk_scale must be in (0, 1]");
        return;
    }
    if (sig.take_profit != 0.0 && !tp_ok(sig.side, px, sig.take_profit)) {
        reject(it, GORDON_REJECT_BAD_SIGNAL, "take_profit on the wrong side of the price");
        return;
    }
    /* 1. halt latch, 2. breakers */
    if (acct->halted) {
        reject(it, GORDON_REJECT_HALTED, "halt latch is set");
        return;
    }
    if (acct->tripped) {
        reject(it, GORDON_REJECT_BREAKER, "breaker %s is tripped", acct->tripped);
        return;
    }
    /* A quarantine is the strategy's own breaker: no new entries. */
    if (acct->quarantined) {
        reject(it, GORDON_REJECT_BREAKER, "the strategy is quarantined (by %s)", acct->quarantined);
        return;
    }

    /* One position or pending entry per strategy and symbol; a reversal
     * needs the opposite position's exit to be pending already. */
    if (acct->entry_pending || (acct->pos_side != GORDON_SIDE_NONE &&
                                !(acct->pos_side == -sig.side && acct->exit_pending))) {
        reject(it, GORDON_REJECT_POSITION_OPEN, acct->entry_pending ? "an entry is already pending"
                                                                    : "a position is already open");
        return;
    }

    /* 3. overlays: veto or tighten, never loosen. Each gets its own copies
     * (writing through its const `in` changes nothing of ours) and a reason
     * buffer with slack past what it is told it may use. */
    size_t asked = 0; /* overlays [i, asked) were sent sig ahead and owe an answer */
    for (size_t i = 0; i < n_overlays; i++) {
        gordon_signal in = sig, out = sig;
        char why[GD_REASON_LEN + GD_REASON_SLACK];
        why[0] = '\0';
        if (i >= asked && overlays[i].send) {
            asked = i;
            while (asked < n_overlays && overlays[asked].send) {
                gordon_signal ahead = sig;
                overlays[asked].send(overlays[asked].instance, &ahead);
                asked++;
            }
        }
        int r = i < asked ? overlays[i].recv(overlays[i].instance, &out, why, GD_REASON_LEN)
                          : overlays[i].filter(overlays[i].instance, &in, &out, why, GD_REASON_LEN);
        if (r == GORDON_FILTER_KEEP)
            continue;
        /* What the rest answered was about sig as it was: read and set aside. */
        for (size_t k = i + 1; k < asked; k++) {
            gordon_signal junk = sig;
            char jw[GD_REASON_LEN + GD_REASON_SLACK];
            overlays[k].recv(overlays[k].instance, &junk, jw, GD_REASON_LEN);
        }
        asked = i + 1;
        if (r == GORDON_FILTER_VETO) {
            char why_ok[GD_REASON_LEN];
            why[GD_REASON_LEN - 1] = '\0';
            gd_utf8_copy(why_ok, sizeof why_ok, why);
            reject_pair(it, GORDON_REJECT_OVERLAY_VETO, overlays[i].name, why_ok[0] ? why_ok : "vetoed");
            return;
        }
        const char *bad = r == GORDON_FILTER_TIGHTEN ? tighten_violation(&sig, &out, px) : "unknown result";
        if (bad) {
            reject_pair(it, GORDON_REJECT_OVERLAY_INVALID, overlays[i].name, bad);
            return;
        }
        /* Only the three fields an overlay may tighten, each validated. */
        sig.stop_loss = out.stop_loss;
        sig.take_profit = out.take_profit;
        sig.risk_scale = out.risk_scale;
    }
    it->stop = sig.stop_loss;
    it->take_profit = sig.take_profit;
    it->risk_scale = sig.risk_scale;

    /* 4. stop loss, on the losing side of the host's price */
    double stop = sig.stop_loss;
    if (stop == 0.0) {
        if (p->lim.sl_required) {
            reject(it, GORDON_REJECT_NO_STOP, "a stop loss is required");
            return;
        }
        /* Without a stop a short's risk is unbounded; a long's is the whole notional. */
        if (sig.side == GORDON_SIDE_SHORT) {
            reject(it, GORDON_REJECT_NO_STOP, "a short without a stop has unbounded risk");
            return;
        }
    } else {
        /* Round the stop away from entry so the size below stays within risk. */
        stop = gd_round_tick(stop, ins->tick_size, sig.side == GORDON_SIDE_LONG ? -1 : 1);
        if (!stop_ok(sig.side, px, stop)) {
            reject(it, GORDON_REJECT_STOP_SIDE, "stop %.10g is not on the %s side of the price %.10g", stop,
                   sig.side == GORDON_SIDE_LONG ? "lower" : "upper", px);
            return;
        }
    }
    it->stop = stop;

    /* 5. sizing: equity x risk% / |entry - stop|, the equity no more than
     * the stage's allocation. A tightened stop must not buy a bigger size,
     * so the distance is the larger of the strategy's and the final one.
     * Leverage plays no part. */
    if (!isfinite(acct->equity) || !(acct->equity > 0.0)) {
        reject(it, GORDON_REJECT_NO_EQUITY, "equity %.10g is not positive", acct->equity);
        return;
    }
    double dist = fabs(px - stop);
    if (it->orig_stop != 0.0 && fabs(px - it->orig_stop) > dist)
        dist = fabs(px - it->orig_stop);
    double equity = p->lim.allocation > 0.0 && p->lim.allocation < acct->equity ? p->lim.allocation : acct->equity;
    double risk_amount = equity * (p->lim.risk_pct / 100.0) * sig.risk_scale;
    double qty = gd_round_down_step(risk_amount / dist, ins->step_size);
    if (qty <= 0.0 || qty < ins->min_qty) {
        reject(it, GORDON_REJECT_BELOW_MIN_QTY, "size %.10g below min qty %.10g (step %.10g)", qty,
               ins->min_qty, ins->step_size);
        return;
    }
    if (qty * px < ins->min_notional) {
        reject(it, GORDON_REJECT_BELOW_MIN_NOTIONAL, "notional %.10g below min notional %.10g", qty * px,
               ins->min_notional);
        return;
    }

    /* 6. caps: clamp down to what is left, then re-check the minimums. */
    static const int cap_reject[] = {0, GORDON_REJECT_ORDER_CAP, GORDON_REJECT_DAILY_CAP,
                                     GORDON_REJECT_EXPOSURE_CAP};
    double limits[4];
    limits[GD_CAP_ORDER] = p->lim.max_order_notional;
    limits[GD_CAP_DAILY] = gd_pipeline_daily_left(p, now_ms);
    limits[GD_CAP_EXPOSURE] = p->lim.max_gross_exposure - acct->gross_exposure;
    for (int c = GD_CAP_ORDER; c <= GD_CAP_EXPOSURE; c++) {
        if (!clamp_to(&qty, px, limits[c], ins->step_size))
            continue;
        it->capped_by = c;
        if (qty <= 0.0 || qty < ins->min_qty || qty * px < ins->min_notional) {
            reject(it, cap_reject[c], "%s cap leaves %.10g of notional", gd_cap_name(c),
                   limits[c] > 0.0 ? limits[c] : 0.0);
            return;
        }
    }

    it->qty = qty;
    it->notional = qty * px;
    it->result = GORDON_ACCEPTED;
    if (it->capped_by)
        snprintf(it->detail, sizeof it->detail, "reduced by the %s cap", gd_cap_name(it->capped_by));
}

void gd_pipeline_commit(gd_pipeline *p, const gd_intent *it)
{
    if (it->result >= 0 && it->result < GORDON_REJECT__COUNT)
        p->by_result[it->result]++;
    if (it->result != GORDON_ACCEPTED || it->action != GORDON_ACTION_ENTRY)
        return;
    gd_pipeline_daily_left(p, it->time_ms); /* rolls the day if needed */
    p->used_today += it->notional;
}
