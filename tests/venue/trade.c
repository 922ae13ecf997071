/* The signed endpoints: account, positions, position mode, leverage,
 * margin type, MARKET orders and conditional algo orders. */
#include "venue.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int truthy(const char *s) { return s && (strcmp(s, "true") == 0 || strcmp(s, "TRUE") == 0); }

/* A positive number that is a whole multiple of unit; -1 if malformed,
 * -2 if not a multiple. */
static int parse_multiple(const char *s, double unit, double *x)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    *x = strtod(s, &end);
    if (*end || !isfinite(*x))
        return -1;
    double k = *x / unit;
    if (fabs(k - llround(k)) > 1e-6)
        return -2;
    return 0;
}

/* Binance's newClientOrderId / clientAlgoId rule: ^[\.A-Z\:/a-z0-9_-]{1,36}$ */
static int client_id_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 36 && strspn(s, ".:/_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

static int side_of(const vn_request *r, vn_response *out, int *buy)
{
    const char *side = vn_param_get(r, "side");
    if (side && !strcmp(side, "BUY"))
        *buy = 1;
    else if (side && !strcmp(side, "SELL"))
        *buy = 0;
    else {
        vn_error(out, 400, -1117, "Invalid side.");
        return -1;
    }
    return 0;
}

static cJSON *position_json(const vn_symbol *s, int v3)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "symbol", s->name);
    cJSON_AddStringToObject(p, "positionSide", "BOTH");
    cJSON_AddItemToObject(p, "positionAmt", vn_fmt(s->pos_amt, s->qty_dec));
    cJSON_AddItemToObject(p, "entryPrice", vn_fmt(s->entry, 8));
    cJSON_AddItemToObject(p, "breakEvenPrice", vn_fmt(s->entry, 8));
    cJSON_AddItemToObject(p, "markPrice", vn_fmt(s->mark, 8));
    cJSON_AddItemToObject(p, v3 ? "unrealizedProfit" : "unRealizedProfit", vn_fmt(vn_unrealized(s), 8));
    cJSON_AddItemToObject(p, "notional", vn_fmt(s->pos_amt * s->mark, 8));
    cJSON_AddItemToObject(p, "initialMargin", vn_fmt(vn_initial_margin(s), 8));
    cJSON_AddItemToObject(p, "maintMargin", vn_fmt(vn_initial_margin(s) / 2, 8));
    cJSON_AddStringToObject(p, "isolatedMargin", "0.00000000");
    cJSON_AddStringToObject(p, "isolatedWallet", "0");
    cJSON_AddStringToObject(p, "liquidationPrice", "0");
    cJSON_AddStringToObject(p, "marginType", s->isolated ? "isolated" : "cross");
    cJSON_AddBoolToObject(p, "isolated", s->isolated);
    cJSON_AddStringToObject(p, "isAutoAddMargin", "false");
    char lev[16];
    snprintf(lev, sizeof(lev), "%d", s->leverage);
    cJSON_AddStringToObject(p, "leverage", lev);
    cJSON_AddStringToObject(p, "maxNotionalValue", "1000000");
    cJSON_AddNumberToObject(p, "updateTime", 0);
    return p;
}

static void account(vn_venue *v, vn_response *out, int v3)
{
    double upnl = 0, im = 0;
    for (size_t i = 0; i < v->nsym; i++) {
        upnl += vn_unrealized(&v->sym[i]);
        im += vn_initial_margin(&v->sym[i]);
    }
    double avail = vn_available(v);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "feeTier", 0);
    cJSON_AddBoolToObject(j, "canTrade", 1);
    cJSON_AddBoolToObject(j, "canDeposit", 1);
    cJSON_AddBoolToObject(j, "canWithdraw", 1);
    cJSON_AddBoolToObject(j, "multiAssetsMargin", 0);
    cJSON_AddNumberToObject(j, "updateTime", 0);
    cJSON_AddItemToObject(j, "totalInitialMargin", vn_fmt(im, 8));
    cJSON_AddItemToObject(j, "totalMaintMargin", vn_fmt(im / 2, 8));
    cJSON_AddItemToObject(j, "totalWalletBalance", vn_fmt(v->wallet, 8));
    cJSON_AddItemToObject(j, "totalUnrealizedProfit", vn_fmt(upnl, 8));
    cJSON_AddItemToObject(j, "totalMarginBalance", vn_fmt(v->wallet + upnl, 8));
    cJSON_AddItemToObject(j, "totalPositionInitialMargin", vn_fmt(im, 8));
    cJSON_AddItemToObject(j, "totalOpenOrderInitialMargin", vn_fmt(0, 8));
    cJSON_AddItemToObject(j, "totalCrossWalletBalance", vn_fmt(v->wallet, 8));
    cJSON_AddItemToObject(j, "totalCrossUnPnl", vn_fmt(upnl, 8));
    cJSON_AddItemToObject(j, "availableBalance", vn_fmt(avail, 8));
    cJSON_AddItemToObject(j, "maxWithdrawAmount", vn_fmt(avail, 8));
    cJSON *assets = cJSON_AddArrayToObject(j, "assets");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "asset", "USDT");
    cJSON_AddItemToObject(a, "walletBalance", vn_fmt(v->wallet, 8));
    cJSON_AddItemToObject(a, "unrealizedProfit", vn_fmt(upnl, 8));
    cJSON_AddItemToObject(a, "marginBalance", vn_fmt(v->wallet + upnl, 8));
    cJSON_AddItemToObject(a, "maintMargin", vn_fmt(im / 2, 8));
    cJSON_AddItemToObject(a, "initialMargin", vn_fmt(im, 8));
    cJSON_AddItemToObject(a, "positionInitialMargin", vn_fmt(im, 8));
    cJSON_AddItemToObject(a, "openOrderInitialMargin", vn_fmt(0, 8));
    cJSON_AddItemToObject(a, "crossWalletBalance", vn_fmt(v->wallet, 8));
    cJSON_AddItemToObject(a, "crossUnPnl", vn_fmt(upnl, 8));
    cJSON_AddItemToObject(a, "availableBalance", vn_fmt(avail, 8));
    cJSON_AddItemToObject(a, "maxWithdrawAmount", vn_fmt(avail, 8));
    cJSON_AddBoolToObject(a, "marginAvailable", 1);
    cJSON_AddNumberToObject(a, "updateTime", 0);
    cJSON_AddItemToArray(assets, a);
    cJSON *ps = cJSON_AddArrayToObject(j, "positions");
    for (size_t i = 0; i < v->nsym; i++)
        if (!v3 || v->sym[i].pos_amt != 0) /* v3 lists open positions only */
            cJSON_AddItemToArray(ps, position_json(&v->sym[i], v3));
    vn_json(out, 200, j);
}

static void position_risk(vn_venue *v, const vn_request *r, vn_response *out, int v3)
{
    const char *want = vn_param_get(r, "symbol");
    if (want && !vn_symbol_find(v, want, NULL)) {
        vn_error(out, 400, -1121, "Invalid symbol.");
        return;
    }
    cJSON *j = cJSON_CreateArray();
    for (size_t i = 0; i < v->nsym; i++)
        if (!want || !strcmp(want, v->sym[i].name))
            cJSON_AddItemToArray(j, position_json(&v->sym[i], v3));
    vn_json(out, 200, j);
}

static void leverage(vn_venue *v, const vn_request *r, vn_response *out)
{
    vn_symbol *s = vn_need_symbol(v, r, out, NULL);
    if (!s)
        return;
    const char *l = vn_param_get(r, "leverage");
    int lev = l ? atoi(l) : 0;
    if (lev < 1 || lev > 125) {
        vn_error(out, 400, -4028, "Leverage is not valid");
        return;
    }
    s->leverage = lev;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "leverage", lev);
    cJSON_AddStringToObject(j, "maxNotionalValue", "1000000");
    cJSON_AddStringToObject(j, "symbol", s->name);
    vn_json(out, 200, j);
}

static void margin_type(vn_venue *v, const vn_request *r, vn_response *out)
{
    vn_symbol *s = vn_need_symbol(v, r, out, NULL);
    if (!s)
        return;
    const char *t = vn_param_get(r, "marginType");
    int iso;
    if (t && !strcmp(t, "ISOLATED"))
        iso = 1;
    else if (t && !strcmp(t, "CROSSED"))
        iso = 0;
    else {
        vn_error(out, 400, -4044, "The margin type is invalid.");
        return;
    }
    if (iso == s->isolated) {
        vn_error(out, 400, -4046, "No need to change margin type.");
        return;
    }
    if (s->pos_amt != 0) {
        vn_error(out, 400, -4048, "Margin type cannot be changed if there exists position.");
        return;
    }
    s->isolated = iso;
    vn_error(out, 200, 200, "success");
}

static void position_mode(vn_venue *v, const vn_request *r, vn_response *out)
{
    if (!strcmp(r->method, "POST")) {
        const char *d = vn_param_get(r, "dualSidePosition");
        int want = truthy(d);
        if (!d || (!want && strcmp(d, "false") && strcmp(d, "FALSE"))) {
            vn_error(out, 400, -1102,
                     "Mandatory parameter 'dualSidePosition' was not sent, was empty/null, or malformed.");
            return;
        }
        if (want == v->dual_side) {
            vn_error(out, 400, -4059, "No need to change position side.");
            return;
        }
        v->dual_side = want;
        vn_error(out, 200, 200, "success");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "dualSidePosition", v->dual_side);
    vn_json(out, 200, j);
}

static vn_order *order_find(vn_venue *v, int sym, const char *client_id, const char *order_id)
{
    long long id = order_id ? strtoll(order_id, NULL, 10) : -1;
    for (size_t i = v->norders; i-- > 0;) {
        vn_order *o = &v->orders[i];
        if (o->sym == sym &&
            ((order_id && o->id == id) || (!order_id && client_id && !strcmp(o->client_id, client_id))))
            return o;
    }
    return NULL;
}

/* The order type, and a quantity on the step within MARKET_LOT_SIZE:
 * 0, or -1 with Binance's error in out. */
static int order_type_qty(const vn_symbol *s, const vn_request *r, vn_response *out, double *qty_out)
{
    const char *type = vn_param_get(r, "type");
    if (!type) {
        vn_error(out, 400, -1102, "Mandatory parameter 'type' was not sent, was empty/null, or malformed.");
        return -1;
    }
    /* since December 2025 conditional types live on the algo endpoints */
    if (!strcmp(type, "STOP") || !strcmp(type, "STOP_MARKET") || !strcmp(type, "TAKE_PROFIT") ||
        !strcmp(type, "TAKE_PROFIT_MARKET") || !strcmp(type, "TRAILING_STOP_MARKET")) {
        vn_error(out, 400, -4120,
                 "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.");
        return -1;
    }
    if (strcmp(type, "MARKET") != 0) { /* the venue fills MARKET only (this slice) */
        vn_error(out, 400, -1116, "Invalid orderType.");
        return -1;
    }
    double qty;
    int rc = parse_multiple(vn_param_get(r, "quantity"), s->step, &qty);
    if (rc == -1 || (rc == 0 && qty <= 0)) {
        vn_error(out, 400, rc == -1 ? -1102 : -4003,
                 rc == -1 ? "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."
                          : "Quantity less than or equal to zero.");
        return -1;
    }
    if (rc == -2) {
        vn_error(out, 400, -1111, "Precision is over the maximum defined for this asset.");
        return -1;
    }
    if (qty > s->max_qty) {
        vn_error(out, 400, -4005, "Quantity greater than max quantity.");
        return -1;
    }
    if (qty < s->min_qty) { /* below MARKET_LOT_SIZE minQty */
        vn_error(out, 400, -4003, "Quantity less than or equal to zero.");
        return -1;
    }
    *qty_out = qty;
    return 0;
}

/* Validates a MARKET order; fills it unless a fault or rule refuses. */
static void order_new(vn_venue *v, vn_request *r, vn_response *out)
{
    int si, buy;
    double qty;
    vn_symbol *s = vn_need_symbol(v, r, out, &si);
    if (!s || side_of(r, out, &buy) != 0 || order_type_qty(s, r, out, &qty) != 0)
        return;
    const char *cid = vn_param_get(r, "newClientOrderId");
    if (cid && !client_id_ok(cid)) {
        vn_error(
            out, 400, -1100,
            "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
        return;
    }
    if (cid && order_find(v, si, cid, NULL)) {
        vn_error(out, 400, -4116, "ClientOrderId is duplicated.");
        return;
    }
    int reduce = truthy(vn_param_get(r, "reduceOnly"));
    int reduces = s->pos_amt != 0 && (s->pos_amt > 0) != (buy != 0);
    if (reduce && !reduces) {
        vn_error(out, 400, -2022, "ReduceOnly Order is rejected.");
        return;
    }
    if (reduce && qty > fabs(s->pos_amt))
        qty = fabs(s->pos_amt);
    vn_fault *f = vn_fault_take(v, r, 1);
    int fk = f ? f->kind : -1;
    if (fk == VF_MIN_NOTIONAL || (!reduce && qty * s->price < s->notional)) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Order's notional must be no smaller than %g (unless you choose reduce only).",
                 s->notional);
        vn_error(out, 400, -4164, msg);
        return;
    }
    double opening = reduces ? fmax(0, qty - fabs(s->pos_amt)) : qty;
    if (fk == VF_MARGIN || opening * s->price / s->leverage > vn_available(v)) {
        vn_error(out, 400, -2019, "Margin is insufficient.");
        return;
    }
    vn_order *o = vn_order_new(v);
    if (!o) {
        vn_error(out, 500, -1000, "venue out of memory");
        return;
    }
    o->sym = si;
    o->buy = buy;
    o->qty = qty;
    o->reduce_only = reduce;
    snprintf(o->type, sizeof(o->type), "MARKET");
    snprintf(o->status, sizeof(o->status), "NEW");
    if (cid)
        snprintf(o->client_id, sizeof(o->client_id), "%s", cid);
    else
        snprintf(o->client_id, sizeof(o->client_id), "venue_%lld", (long long)o->id);
    /* Binance's default newOrderRespType for futures is ACK: the reply is
     * the order as accepted (NEW, nothing executed); RESULT gives the fill. */
    const char *rt = vn_param_get(r, "newOrderRespType");
    cJSON *ack = (rt && !strcmp(rt, "RESULT")) ? NULL : vn_order_json(v, o);
    int64_t id = o->id;
    vn_ev_order(v, o, "NEW", NULL);
    vn_fill(v, o, fk == VF_PARTIAL ? (f->fraction > 0 ? f->fraction : 0.5) : 1);
    if (fk == VF_PARTIAL && f->expire) { /* a MARKET order's unfilled rest expires */
        snprintf(o->status, sizeof(o->status), "EXPIRED");
        vn_ev_order(v, o, "EXPIRED", NULL);
    }
    vn_check_triggers(v);
    for (size_t i = 0; i < v->norders; i++) /* the array may have grown */
        if (v->orders[i].id == id)
            o = &v->orders[i];
    out->order_count = 1;
    vn_json(out, 200, ack ? ack : vn_order_json(v, o));
}

static void order_query(vn_venue *v, const vn_request *r, vn_response *out)
{
    int si;
    if (!vn_need_symbol(v, r, out, &si))
        return;
    const char *oid = vn_param_get(r, "orderId"), *cid = vn_param_get(r, "origClientOrderId");
    if (!oid && !cid) {
        vn_error(out, 400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
        return;
    }
    vn_order *o = order_find(v, si, cid, oid);
    if (!o) {
        vn_error(out, 400, !strcmp(r->method, "DELETE") ? -2011 : -2013,
                 !strcmp(r->method, "DELETE") ? "Unknown order sent." : "Order does not exist.");
        return;
    }
    if (!strcmp(r->method, "DELETE")) { /* MARKET orders are done when they answer */
        vn_error(out, 400, -2011, "Unknown order sent.");
        return;
    }
    vn_json(out, 200, vn_order_json(v, o));
}

static void cancel_all(vn_venue *v, const vn_request *r, vn_response *out, int algo)
{
    int si;
    if (!vn_need_symbol(v, r, out, &si))
        return;
    if (algo)
        for (size_t i = 0; i < v->nalgos; i++)
            if (v->algos[i].sym == si && !strcmp(v->algos[i].status, "NEW")) {
                snprintf(v->algos[i].status, sizeof(v->algos[i].status), "CANCELED");
                v->algos[i].update_time = vn_now_ms(v);
                vn_ev_algo(v, &v->algos[i]);
            }
    /* regular MARKET orders are never resting: nothing to cancel */
    vn_error(out, 200, 200, "The operation of cancel all open order is done.");
}

static vn_algo *algo_find(vn_venue *v, const char *algo_id, const char *client_id)
{
    long long id = algo_id ? strtoll(algo_id, NULL, 10) : -1;
    for (size_t i = v->nalgos; i-- > 0;) {
        vn_algo *a = &v->algos[i];
        if ((algo_id && a->id == id) || (!algo_id && client_id && !strcmp(a->client_id, client_id)))
            return a;
    }
    return NULL;
}

/* triggerPrice on the tick, closePosition or a quantity on the step, a
 * workingType: 0, or -1 with Binance's error in out. */
static int algo_params(const vn_symbol *s, const vn_request *r, vn_response *out, double *trig, int *close, double *qty,
                       const char **wt_out)
{
    int rc = parse_multiple(vn_param_get(r, "triggerPrice"), s->tick, trig);
    if (rc == -1 || (rc == 0 && *trig <= 0)) {
        vn_error(out, 400, -1102, "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.");
        return -1;
    }
    if (rc == -2) {
        vn_error(out, 400, -1111, "Precision is over the maximum defined for this asset.");
        return -1;
    }
    *close = truthy(vn_param_get(r, "closePosition"));
    *qty = 0;
    if (!*close) {
        rc = parse_multiple(vn_param_get(r, "quantity"), s->step, qty);
        if (rc != 0 || *qty <= 0) {
            vn_error(out, 400, rc == -2 ? -1111 : -1102,
                     rc == -2 ? "Precision is over the maximum defined for this asset."
                              : "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
            return -1;
        }
    }
    const char *wt = vn_param_get(r, "workingType");
    *wt_out = wt;
    if (wt && strcmp(wt, "MARK_PRICE") && strcmp(wt, "CONTRACT_PRICE")) {
        vn_error(out, 400, -1102, "Mandatory parameter 'workingType' was not sent, was empty/null, or malformed.");
        return -1;
    }
    return 0;
}

/* POST /fapi/v1/algoOrder: CONDITIONAL STOP_MARKET / TAKE_PROFIT_MARKET. */
static void algo_new(vn_venue *v, vn_request *r, vn_response *out)
{
    int si, buy;
    vn_symbol *s = vn_need_symbol(v, r, out, &si);
    if (!s || side_of(r, out, &buy) != 0)
        return;
    const char *at = vn_param_get(r, "algoType"), *type = vn_param_get(r, "type");
    if (!at || strcmp(at, "CONDITIONAL") != 0) {
        vn_error(out, 400, -1102, "Mandatory parameter 'algoType' was not sent, was empty/null, or malformed.");
        return;
    }
    if (!type || (strcmp(type, "STOP_MARKET") && strcmp(type, "TAKE_PROFIT_MARKET"))) {
        vn_error(out, 400, -1116, "Invalid orderType."); /* this slice: the two market-style conditionals */
        return;
    }
    double trig, qty;
    int close;
    const char *wt;
    if (algo_params(s, r, out, &trig, &close, &qty, &wt) != 0)
        return;
    const char *cid = vn_param_get(r, "clientAlgoId");
    if (cid && !client_id_ok(cid)) {
        vn_error(
            out, 400, -1100,
            "Illegal characters found in parameter 'clientAlgoId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
        return;
    }
    /* Binance's docs do not say what a reused clientAlgoId answers; the
     * issue treats -4116 as "it exists" for both kinds of id. */
    if (cid && algo_find(v, NULL, cid)) {
        vn_error(out, 400, -4116, "ClientOrderId is duplicated.");
        return;
    }
    vn_fault *f = vn_fault_take(v, r, 1);
    int fk = f ? f->kind : -1;
    double px = (wt && !strcmp(wt, "MARK_PRICE")) ? s->mark : s->price;
    int hit = !strcmp(type, "STOP_MARKET") ? (buy ? px >= trig : px <= trig) : (buy ? px <= trig : px >= trig);
    if (fk == VF_IMMEDIATE || hit) {
        vn_error(out, 400, -2021, "Order would immediately trigger.");
        return;
    }
    if (fk == VF_REJECT_STOP) { /* a generic refusal of the new order */
        vn_error(out, 400, -2010, "Order would be rejected by the venue.");
        return;
    }
    vn_algo *a = vn_algo_new(v);
    if (!a) {
        vn_error(out, 500, -1000, "venue out of memory");
        return;
    }
    a->sym = si;
    a->buy = buy;
    a->trigger = trig;
    a->qty = qty;
    a->close_position = close;
    a->reduce_only = truthy(vn_param_get(r, "reduceOnly"));
    a->price_protect = truthy(vn_param_get(r, "priceProtect"));
    a->stuck = fk == VF_STUCK;
    snprintf(a->type, sizeof(a->type), "%s", type);
    snprintf(a->status, sizeof(a->status), "NEW");
    snprintf(a->working, sizeof(a->working), "%s", wt ? wt : "CONTRACT_PRICE");
    if (cid)
        snprintf(a->client_id, sizeof(a->client_id), "%s", cid);
    else
        snprintf(a->client_id, sizeof(a->client_id), "venuealgo_%lld", (long long)a->id);
    vn_ev_algo(v, a);
    out->order_count = 1;
    vn_json(out, 200, vn_algo_json(v, a));
}

static void algo_one(vn_venue *v, const vn_request *r, vn_response *out)
{
    const char *aid = vn_param_get(r, "algoId"), *cid = vn_param_get(r, "clientAlgoId");
    int del = !strcmp(r->method, "DELETE");
    if (!aid && !cid) {
        vn_error(out, 400, -1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!");
        return;
    }
    vn_algo *a = algo_find(v, aid, cid);
    if (!a || (del && strcmp(a->status, "NEW") != 0)) {
        vn_error(out, 400, del ? -2011 : -2013, del ? "Unknown order sent." : "Order does not exist.");
        return;
    }
    if (!del) {
        vn_json(out, 200, vn_algo_json(v, a));
        return;
    }
    snprintf(a->status, sizeof(a->status), "CANCELED");
    a->update_time = vn_now_ms(v);
    vn_ev_algo(v, a);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "algoId", (double)a->id);
    cJSON_AddStringToObject(j, "clientAlgoId", a->client_id);
    cJSON_AddStringToObject(j, "code", "200");
    cJSON_AddStringToObject(j, "msg", "success");
    vn_json(out, 200, j);
}

static void algo_open(vn_venue *v, const vn_request *r, vn_response *out)
{
    const char *want = vn_param_get(r, "symbol");
    int si = -1;
    if (want && !vn_symbol_find(v, want, &si)) {
        vn_error(out, 400, -1121, "Invalid symbol.");
        return;
    }
    cJSON *j = cJSON_CreateArray();
    for (size_t i = 0; i < v->nalgos; i++) {
        const vn_algo *a = &v->algos[i];
        if ((si < 0 || a->sym == si) && (!strcmp(a->status, "NEW") || !strcmp(a->status, "TRIGGERING")))
            cJSON_AddItemToArray(j, vn_algo_json(v, a));
    }
    vn_json(out, 200, j);
}

static void open_orders(vn_venue *v, const vn_request *r, vn_response *out)
{
    const char *want = vn_param_get(r, "symbol");
    int si = -1;
    if (want && !vn_symbol_find(v, want, &si)) {
        vn_error(out, 400, -1121, "Invalid symbol.");
        return;
    }
    cJSON *j = cJSON_CreateArray();
    for (size_t i = 0; i < v->norders; i++) {
        const vn_order *o = &v->orders[i];
        if ((si < 0 || o->sym == si) && (!strcmp(o->status, "NEW") || !strcmp(o->status, "PARTIALLY_FILLED")))
            cJSON_AddItemToArray(j, vn_order_json(v, o));
    }
    vn_json(out, 200, j);
}

static int is(const vn_request *r, const char *method, const char *path)
{
    return !strcmp(r->method, method) && !strcmp(r->path, path);
}

#define VN_LISTEN_KEY_MS (60 * 60 * 1000) /* Binance: a key lives 60 min from its last keep-alive */

/* USER_STREAM endpoints: the API key, no signature. POST creates the key
 * (or returns the live one, extended), PUT keeps it alive (-1125 when gone),
 * DELETE closes it and its sockets. The websocket itself is ws.c. */
static void listen_key(vn_venue *v, const vn_request *r, vn_response *out)
{
    const vn_key *k = NULL;
    for (size_t i = 0; r->api_key && i < v->nkeys; i++)
        if (!strcmp(v->keys[i].api_key, r->api_key))
            k = &v->keys[i];
    if (!k) {
        vn_error(out, 401, r->api_key ? -2015 : -2014,
                 r->api_key ? "Invalid API-key, IP, or permissions for action." : "API-key format invalid.");
        return;
    }
    int64_t now = vn_now_ms(v);
    int live = v->listen_key[0] && now < v->listen_key_expiry;
    if (!strcmp(r->method, "POST")) {
        if (!live)
            snprintf(v->listen_key, sizeof(v->listen_key), "venueListenKey%lld", (long long)now);
        v->listen_key_expiry = now + VN_LISTEN_KEY_MS;
    } else if (!strcmp(r->method, "PUT")) {
        if (!live) {
            vn_error(out, 400, -1125, "This listenKey does not exist.");
            return;
        }
        v->listen_key_expiry = now + VN_LISTEN_KEY_MS;
    } else if (!strcmp(r->method, "DELETE")) {
        v->listen_key[0] = 0;
        vn_ws_check(v); /* its sockets close */
        vn_json(out, 200, cJSON_CreateObject());
        return;
    } else {
        vn_error(out, 405, -1000, "Method not allowed.");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "listenKey", v->listen_key);
    vn_json(out, 200, j);
}

/* Request weights as Binance's USD-M docs give them (IP weight); order
 * placements weigh 0 on the IP limit and count on the order limit. */
static int weight_of(const vn_request *r)
{
    int all = vn_param_get(r, "symbol") == NULL;
    if (!strcmp(r->path, "/fapi/v2/account") || !strcmp(r->path, "/fapi/v3/account") ||
        !strcmp(r->path, "/fapi/v2/positionRisk") || !strcmp(r->path, "/fapi/v3/positionRisk"))
        return 5;
    if (!strcmp(r->path, "/fapi/v1/positionSide/dual") && !strcmp(r->method, "GET"))
        return 30;
    if (!strcmp(r->path, "/fapi/v1/openOrders") || !strcmp(r->path, "/fapi/v1/openAlgoOrders"))
        return all ? 40 : 1;
    if (!strcmp(r->method, "POST") && (!strcmp(r->path, "/fapi/v1/order") || !strcmp(r->path, "/fapi/v1/algoOrder")))
        return 0;
    return 1;
}

void vn_route(vn_venue *v, vn_request *r, vn_response *out)
{
    out->weight = weight_of(r);
    if (is(r, "GET", "/fapi/v1/ping")) {
        vn_json(out, 200, cJSON_CreateObject());
        return;
    }
    if (is(r, "GET", "/fapi/v1/time")) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "serverTime", (double)vn_now_ms(v));
        vn_json(out, 200, j);
        return;
    }
    if (is(r, "GET", "/fapi/v1/exchangeInfo")) {
        vn_exchange_info(v, out);
        return;
    }
    if (is(r, "GET", "/fapi/v1/klines")) {
        vn_klines(v, r, out); /* public; its weight goes by limit */
        return;
    }
    if (!strcmp(r->path, "/fapi/v1/listenKey")) {
        listen_key(v, r, out);
        return;
    }
    static const char *const signed_paths[] = {
        "/fapi/v2/account",           "/fapi/v3/account",       "/fapi/v2/positionRisk", "/fapi/v3/positionRisk",
        "/fapi/v1/positionSide/dual", "/fapi/v1/leverage",      "/fapi/v1/marginType",   "/fapi/v1/order",
        "/fapi/v1/openOrders",        "/fapi/v1/allOpenOrders", "/fapi/v1/algoOrder",    "/fapi/v1/openAlgoOrders",
        "/fapi/v1/algoOpenOrders"};
    int known = 0;
    for (size_t i = 0; i < sizeof(signed_paths) / sizeof(signed_paths[0]); i++)
        known |= !strcmp(r->path, signed_paths[i]);
    if (!known) {
        vn_error(out, 404, -1000, "Not found.");
        return;
    }
    if (vn_check_signed(v, r, out) != 0)
        return;
    if (is(r, "GET", "/fapi/v2/account") || is(r, "GET", "/fapi/v3/account"))
        account(v, out, r->path[7] == '3');
    else if (is(r, "GET", "/fapi/v2/positionRisk") || is(r, "GET", "/fapi/v3/positionRisk"))
        position_risk(v, r, out, r->path[7] == '3');
    else if (!strcmp(r->path, "/fapi/v1/positionSide/dual"))
        position_mode(v, r, out);
    else if (is(r, "POST", "/fapi/v1/leverage"))
        leverage(v, r, out);
    else if (is(r, "POST", "/fapi/v1/marginType"))
        margin_type(v, r, out);
    else if (is(r, "POST", "/fapi/v1/order"))
        order_new(v, r, out);
    else if (is(r, "GET", "/fapi/v1/order") || is(r, "DELETE", "/fapi/v1/order"))
        order_query(v, r, out);
    else if (is(r, "GET", "/fapi/v1/openOrders"))
        open_orders(v, r, out);
    else if (is(r, "DELETE", "/fapi/v1/allOpenOrders"))
        cancel_all(v, r, out, 0);
    else if (is(r, "POST", "/fapi/v1/algoOrder"))
        algo_new(v, r, out);
    else if (is(r, "GET", "/fapi/v1/algoOrder") || is(r, "DELETE", "/fapi/v1/algoOrder"))
        algo_one(v, r, out);
    else if (is(r, "GET", "/fapi/v1/openAlgoOrders"))
        algo_open(v, r, out);
    else if (is(r, "DELETE", "/fapi/v1/algoOpenOrders"))
        cancel_all(v, r, out, 1);
    else
        vn_error(out, 405, -1000, "Method not allowed.");
}
