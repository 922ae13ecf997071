#include "daemon/views.h"

#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "base/dates.h"
#include "base/json.h"
#include "base/names.h"
#include "risk/quarantine.h"
#include "venue/exec.h"

static const char *const breaker_states[] = {"ok", "warn", "tripped"};

static double drawdown_pct(const gd_book *b)
{
    return b->peak > 0 ? (b->peak - b->equity) / b->peak * 100.0 : 0.0;
}

static char *print_and_free(cJSON *root)
{
    char *out = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return out;
}

char *gd_view_positions_json(const gd_engine *e, const struct gd_vexec *vx)
{
    const gd_book *b = gd_engine_book(e);
    uint32_t n_sym = gd_engine_symbol_count(e);
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "positions");
    for (uint32_t k = 0; k < gd_engine_slot_count(e); k++)
        for (uint32_t s = 0; s < n_sym; s++) {
            const gd_position *p = gd_book_pos(b, k, s);
            if (p->side == GORDON_SIDE_NONE)
                continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "strategy", gd_engine_slot_name(e, k));
            cJSON_AddStringToObject(x, "symbol", gd_engine_symbol(e, s));
            cJSON_AddStringToObject(x, "side", gd_side_name(p->side));
            /* Its strategy was removed by a reload: nobody manages it but its stop. */
            cJSON_AddBoolToObject(x, "orphaned", gd_engine_slot_orphaned(e, k));
            cJSON_AddNumberToObject(x, "qty", p->qty);
            cJSON_AddNumberToObject(x, "entry_price", p->entry_price);
            cJSON_AddNumberToObject(x, "stop", p->stop);
            cJSON_AddNumberToObject(x, "take_profit", p->take_profit);
            cJSON_AddNumberToObject(x, "mark", b->mark[s]);
            cJSON_AddNumberToObject(x, "unrealized_pnl", p->side * p->qty * (b->mark[s] - p->entry_price));
            cJSON_AddNumberToObject(x, "opened_ms", (double)p->opened_ms);
            if (vx) {
                int w = gd_vexec_stop_state(vx, k, s);
                if (w >= 0)
                    cJSON_AddBoolToObject(x, "stop_working", w);
            }
            cJSON_AddItemToArray(arr, x);
        }
    cJSON_AddNumberToObject(root, "equity", b->equity);
    return print_and_free(root);
}

/* {"live": bool, "intents": [newest first]}: each with its outcome and why. */
char *gd_view_intents_json(const gd_engine *e)
{
    static const char *const actions[] = {"none", "entry", "exit"};
    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "live", gd_engine_live(e));
    cJSON *arr = cJSON_AddArrayToObject(root, "intents");
    const gd_intent *it;
    for (uint32_t k = 0; (it = gd_engine_recent_intent(e, k)) != NULL; k++) {
        char buf[sizeof it->detail];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "id", (double)it->id);
        cJSON_AddNumberToObject(x, "time_ms", (double)it->time_ms);
        cJSON_AddStringToObject(x, "strategy", it->strategy < gd_engine_slot_count(e) ? gd_engine_slot_name(e, it->strategy) : "?");
        cJSON_AddStringToObject(x, "symbol", it->symbol < gd_engine_symbol_count(e) ? gd_engine_symbol(e, it->symbol) : "?");
        cJSON_AddStringToObject(x, "action", it->action >= 0 && it->action <= 2 ? actions[it->action] : "?");
        cJSON_AddStringToObject(x, "side", gd_side_name(it->side));
        cJSON_AddStringToObject(x, "result", it->result == GORDON_ACCEPTED ? "accepted" : "rejected");
        cJSON_AddStringToObject(x, "reason", it->result == GORDON_ACCEPTED ? "" : gd_reject_name(it->result));
        cJSON_AddStringToObject(x, "detail", gd_utf8_copy(buf, sizeof buf, it->detail));
        cJSON_AddNumberToObject(x, "ref_price", it->entry);
        cJSON_AddNumberToObject(x, "stop", it->stop);
        cJSON_AddNumberToObject(x, "qty", it->qty);
        cJSON_AddNumberToObject(x, "notional", it->notional);
        cJSON_AddItemToArray(arr, x);
    }
    return print_and_free(root);
}

/* {"live": bool, "fills": [newest first]}: price, slippage against the
 * host's reference, a venue fill's latency from its order leaving. */
char *gd_view_fills_json(const gd_engine *e)
{
    static const char *const reasons[] = {"?", "entry", "exit", "stop", "take_profit", "flatten"};
    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "live", gd_engine_live(e));
    cJSON *arr = cJSON_AddArrayToObject(root, "fills");
    const gd_recent_fill *f;
    for (uint32_t k = 0; (f = gd_engine_recent_fill(e, k)) != NULL; k++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "time_ms", (double)f->time_ms);
        cJSON_AddNumberToObject(x, "intent_id", (double)f->intent_id);
        cJSON_AddStringToObject(x, "strategy", f->owner < gd_engine_slot_count(e) ? gd_engine_slot_name(e, f->owner) : "?");
        cJSON_AddStringToObject(x, "symbol", f->symbol < gd_engine_symbol_count(e) ? gd_engine_symbol(e, f->symbol) : "?");
        cJSON_AddStringToObject(x, "side", gd_side_name(f->side));
        cJSON_AddStringToObject(x, "reason", f->reason >= 1 && f->reason <= 5 ? reasons[f->reason] : "?");
        cJSON_AddNumberToObject(x, "qty", f->qty);
        cJSON_AddNumberToObject(x, "price", f->price);
        cJSON_AddNumberToObject(x, "fee", f->fee);
        if (f->ref > 0.0) {
            cJSON_AddNumberToObject(x, "ref_price", f->ref);
            cJSON_AddNumberToObject(x, "slippage_bps", f->slippage_bps);
        }
        if (f->latency_ms >= 0)
            cJSON_AddNumberToObject(x, "latency_ms", (double)f->latency_ms);
        cJSON_AddItemToArray(arr, x);
    }
    return print_and_free(root);
}

static void add_breakers(cJSON *root, const gd_engine *e)
{
    cJSON *br = cJSON_AddArrayToObject(root, "breakers");
    for (uint32_t i = 0; i < gd_engine_breaker_count(e); i++) {
        gd_breaker_view v;
        if (gd_engine_breaker(e, i, &v) != 0)
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", v.name);
        cJSON_AddStringToObject(x, "plugin", v.plugin);
        cJSON_AddStringToObject(x, "state", breaker_states[v.last.state]);
        if (isfinite(v.last.value))
            cJSON_AddNumberToObject(x, "value", v.last.value);
        else
            cJSON_AddNullToObject(x, "value");
        cJSON_AddNumberToObject(x, "threshold", v.last.threshold);
        if (v.last.state != GORDON_BREAKER_OK) {
            char reason[sizeof v.last.reason];
            cJSON_AddStringToObject(x, "reason", gd_utf8_copy(reason, sizeof reason, v.last.reason));
        }
        cJSON_AddItemToArray(br, x);
    }
}

char *gd_view_strategies_json(const gd_engine *e)
{
    const gd_qlist *q = gd_engine_quarantine_list(e);
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "strategies") : NULL;
    for (uint32_t k = 0; arr && k < gd_engine_slot_count(e); k++) {
        const char *name = gd_engine_slot_name(e, k);
        if (!name || gd_engine_slot_orphaned(e, k))
            continue; /* removed by a reload */
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o) || !cJSON_AddStringToObject(o, "name", name)) {
            arr = NULL;
            break;
        }
        const gd_qentry *x = gd_qlist_find(q, name);
        if (x) {
            cJSON *qo = cJSON_AddObjectToObject(o, "quarantine");
            if (!qo || !cJSON_AddStringToObject(qo, "who", x->who) || !cJSON_AddStringToObject(qo, "why", x->why) ||
                !cJSON_AddNumberToObject(qo, "since_ms", (double)x->since_ms)) {
                arr = NULL;
                break;
            }
        } else if (!cJSON_AddNullToObject(o, "quarantine")) {
            arr = NULL;
            break;
        }
    }
    char *s = arr ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return s;
}

cJSON *gd_view_risk(const gd_engine *e)
{
    const gd_book *b = gd_engine_book(e);
    const gd_pipeline *pipe = gd_engine_pipeline(e);
    const gd_halt *h = gd_engine_halt_state(e);
    uint32_t n_sym = gd_engine_symbol_count(e);
    cJSON *root = cJSON_CreateObject();
    cJSON *latch = cJSON_AddObjectToObject(root, "halt_latch");
    cJSON_AddBoolToObject(latch, "halted", h->halted);
    if (h->halted) {
        cJSON_AddStringToObject(latch, "who", h->who);
        cJSON_AddStringToObject(latch, "reason", h->reason);
        cJSON_AddNumberToObject(latch, "since_ms", (double)h->since_ms);
    }
    /* The last write's real outcome: false without a store, or while it fails. */
    cJSON_AddBoolToObject(latch, "persisted", h->state != NULL && h->persisted);
    if (h->store_error[0])
        cJSON_AddStringToObject(latch, "store_error", h->store_error);
    add_breakers(root, e);
    cJSON *acct = cJSON_AddObjectToObject(root, "account");
    cJSON_AddNumberToObject(acct, "equity", b->equity);
    cJSON_AddNumberToObject(acct, "peak_equity", b->peak);
    cJSON_AddNumberToObject(acct, "drawdown_pct", drawdown_pct(b));
    cJSON_AddNumberToObject(acct, "gross_exposure", b->gross);
    cJSON_AddNumberToObject(acct, "gross_exposure_cap", pipe->lim.max_gross_exposure);
    cJSON_AddNumberToObject(acct, "notional_used_today", pipe->used_today);
    cJSON_AddNumberToObject(acct, "notional_cap_daily", pipe->lim.max_daily_notional);
    cJSON_AddNumberToObject(acct, "open_positions", b->open_count);
    /* The stage's allocation: what sizing takes as the equity, at most. */
    if (pipe->lim.allocation > 0.0)
        cJSON_AddNumberToObject(acct, "allocation_usd", pipe->lim.allocation);
    else
        cJSON_AddNullToObject(acct, "allocation_usd");
    cJSON_AddNumberToObject(acct, "sizing_equity",
                            pipe->lim.allocation > 0.0 && pipe->lim.allocation < b->equity ? pipe->lim.allocation
                                                                                           : b->equity);
    /* Positions whose strategy a reload removed: only their stops manage them. */
    cJSON *orph = cJSON_AddArrayToObject(root, "orphaned_positions");
    for (uint32_t k = 0; k < gd_engine_slot_count(e); k++)
        for (uint32_t s = 0; s < n_sym; s++) {
            const gd_position *p = gd_book_pos(b, k, s);
            if (p->side == GORDON_SIDE_NONE || !gd_engine_slot_orphaned(e, k))
                continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "strategy", gd_engine_slot_name(e, k));
            cJSON_AddStringToObject(x, "symbol", gd_engine_symbol(e, s));
            cJSON_AddStringToObject(x, "side", gd_side_name(p->side));
            cJSON_AddNumberToObject(x, "qty", p->qty);
            cJSON_AddNumberToObject(x, "stop", p->stop);
            cJSON_AddItemToArray(orph, x);
        }
    cJSON *in = cJSON_AddObjectToObject(root, "intents");
    for (int i = 0; i < GORDON_REJECT__COUNT; i++)
        if (pipe->by_result[i])
            cJSON_AddNumberToObject(in, gd_reject_name(i), (double)pipe->by_result[i]);
    cJSON_AddNumberToObject(root, "clock_ms", (double)gd_engine_now(e));
    return root;
}

char *gd_view_risk_json(const gd_engine *e) { return print_and_free(gd_view_risk(e)); }

void gd_view_summary(const gd_engine *e, FILE *out)
{
    const gd_book *b = gd_engine_book(e);
    const gd_pipeline *pipe = gd_engine_pipeline(e);
    const gd_engine_counters *c = gd_engine_counters_get(e);
    const gd_halt *h = gd_engine_halt_state(e);
    double net = b->equity - b->start_equity;
    uint64_t accepted = pipe->by_result[GORDON_ACCEPTED], rejected = 0;
    for (int i = 1; i < GORDON_REJECT__COUNT; i++)
        rejected += pipe->by_result[i];
    /* The pipeline counts every intent; an emergency flatten's exits are no
     * strategy's signals: they get their own line. */
    accepted -= c->flatten_ok <= accepted ? c->flatten_ok : accepted;
    rejected -= c->flatten_failed <= rejected ? c->flatten_failed : rejected;
    /* Every default the run used, so nothing that moved the result is silent.
     * Caps are in each instrument's quote currency (USDT for BTCUSDT). */
    const gd_config *cfg = gd_engine_config(e);
    const gd_limits *l = &pipe->lim;
    fprintf(out, "settings        equity %.17g, risk %.17g%% per trade%s, leverage %.17g (never changes quantity)\n",
            b->start_equity, l->risk_pct, l->allocation > 0.0 ? " of the allocation" : "", cfg->leverage);
    if (l->allocation > 0.0)
        fprintf(out, "allocation      %.17g\n", l->allocation);
    fprintf(out, "execution       %s, fee %.17g bps, slippage %.17g bps, stop %s\n",
            cfg->executor_kind ? cfg->executor_kind : "sim", cfg->fee_bps, cfg->slippage_bps,
            l->sl_required ? "required" : "optional");
    fprintf(out, "caps            per order %.17g, per UTC day %.17g, gross exposure %.17g (quote currency); "
                 "%u signals/s, %u per strategy\n",
            l->max_order_notional, l->max_daily_notional, l->max_gross_exposure, l->rate_global, l->rate_strategy);
    fprintf(out, "bars            %llu\n", (unsigned long long)c->bars);
    fprintf(out, "signals         %llu (accepted %llu, rejected %llu)\n", (unsigned long long)c->signals,
            (unsigned long long)accepted, (unsigned long long)rejected);
    if (c->flatten_ok || c->flatten_failed)
        fprintf(out, "flatten         %llu exit(s) sent by emergency flatten (%llu failed)\n",
                (unsigned long long)c->flatten_ok, (unsigned long long)c->flatten_failed);
    fprintf(out, "trades          %llu", (unsigned long long)b->trades);
    if (b->trades)
        fprintf(out, " (win rate %.1f%%)", 100.0 * (double)b->wins / (double)b->trades);
    fprintf(out, "\n");
    /* A run that closed no trade says why at once, not after a dig through
     * the intent log: the top rejection reasons with their counts. */
    if (!b->trades) {
        char why[512];
        gd_reject_explain(why, sizeof why, c->signals, pipe->by_result, 3);
        fprintf(out, "warning         0 trades: %s%s\n", why,
                b->open_count ? "; positions still open at the end" : "");
    }
    if (b->gross_loss > 0.0)
        fprintf(out, "profit factor   %.2f\n", b->gross_profit / b->gross_loss);
    else
        fprintf(out, "profit factor   n/a (no losing trades)\n");
    fprintf(out, "net PnL         %+.2f (%+.2f%%), fees %.2f\n", net, 100.0 * net / b->start_equity, b->fees);
    /* Exact, to compare two runs (or another engine) without rounding. */
    fprintf(out, "net PnL exact   %.17g (fees %.17g)\n", net, b->fees);
    fprintf(out, "final equity    %.2f (start %.2f)\n", b->equity, b->start_equity);
    fprintf(out, "max drawdown    %.2f%% (longest %.1f days below a peak)\n", b->max_dd_pct,
            (double)b->max_dd_duration_ms / (double)GD_DAY_MS);
    fprintf(out, "open positions  %u\n", b->open_count);
    fprintf(out, "halt latch      %s%s%s\n", h->halted ? "SET" : "clear", h->halted ? ": " : "",
            h->halted ? h->reason : "");
    if (rejected) {
        fprintf(out, "rejections by reason:\n");
        for (int i = 1; i < GORDON_REJECT__COUNT; i++)
            if (pipe->by_result[i])
                fprintf(out, "  %-20s %llu\n", gd_reject_name(i), (unsigned long long)pipe->by_result[i]);
    }
    /* Only when it happened: a plugin misbehaved, and the operator should know. */
    if (c->dropped)
        fprintf(out, "flood dropped   %llu signals past the per-on_bar limit (one throttled intent per flood)\n",
                (unsigned long long)c->dropped);
    uint64_t refused = gd_plugin_refused_calls();
    if (refused)
        fprintf(out, "refused calls   %llu (host API called through a stale, forged or foreign handle)\n",
                (unsigned long long)refused);
    if (c->worker_deaths) {
        uint32_t stopped = 0, down = gd_engine_quarantined(e, &stopped);
        fprintf(out,
                "plugin workers  %llu killed or died (%llu past the deadline, %llu broke the protocol), %llu "
                "restarted; %u quarantined now (%u for good)\n",
                (unsigned long long)c->worker_deaths, (unsigned long long)c->worker_timeouts,
                (unsigned long long)c->worker_protocol, (unsigned long long)c->worker_restarts, down, stopped);
    }
    for (uint32_t i = 0; i < gd_engine_breaker_count(e); i++) {
        gd_breaker_view v;
        if (gd_engine_breaker(e, i, &v) == 0)
            fprintf(out, "breaker %-12s %s (value %.4g, threshold %.4g)\n", v.name, breaker_states[v.last.state],
                    v.last.value, v.last.threshold);
    }
}
