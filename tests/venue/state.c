/* Venue state: symbols and their rules, the one-way positions, market
 * fills at the symbol's price, and algo stops that trigger on the mark. */
#include "venue.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

int64_t vn_now_ms(const vn_venue *v)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 + v->clock_offset_ms;
}

vn_symbol *vn_symbol_find(vn_venue *v, const char *name, int *idx)
{
    for (size_t i = 0; name && i < v->nsym; i++)
        if (strcmp(v->sym[i].name, name) == 0) {
            if (idx)
                *idx = (int)i;
            return &v->sym[i];
        }
    return NULL;
}

/* Decimals a rule like "0.010" needs on the wire: 2. */
static int decimals(double x)
{
    for (int d = 0; d < 10; d++) {
        double r = x * pow(10, d);
        if (fabs(r - llround(r)) < 1e-9 * (r > 1 ? r : 1))
            return d;
    }
    return 10;
}

/* SYMBOL[:key=value...] with keys tick, step, minqty, maxqty, notional,
 * protect, price, leverage. */
int vn_symbol_parse(vn_venue *v, const char *spec, char *why, size_t whylen)
{
    if (v->nsym >= VN_SYMBOLS_MAX) {
        snprintf(why, whylen, "more than %d symbols", VN_SYMBOLS_MAX);
        return -1;
    }
    vn_symbol *s = &v->sym[v->nsym];
    memset(s, 0, sizeof(*s));
    s->tick = 0.1;
    s->step = 0.001;
    s->min_qty = 0.001;
    s->max_qty = 1000;
    s->notional = 100;
    s->trigger_protect = 0.05;
    s->price = 50000;
    s->leverage = 20;
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", spec);
    char *save = NULL;
    char *tok = strtok_r(copy, ":", &save);
    if (!tok || !*tok || strlen(tok) >= VN_NAME_MAX) {
        snprintf(why, whylen, "--symbol %s: no symbol name", spec);
        return -1;
    }
    snprintf(s->name, sizeof(s->name), "%s", tok);
    while ((tok = strtok_r(NULL, ":", &save))) {
        char *eq = strchr(tok, '=');
        char *end = NULL;
        if (!eq) {
            snprintf(why, whylen, "--symbol %s: '%s' is not key=value", spec, tok);
            return -1;
        }
        *eq = 0;
        double x = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(x > 0)) {
            snprintf(why, whylen, "--symbol %s: %s: not a positive number", spec, tok);
            return -1;
        }
        /* the wire repeats the rule as written: tick=0.10 is "0.10" */
        const char *dot = strchr(eq + 1, '.');
        int dec = dot ? (int)strlen(dot + 1) : 0;
        if (!strcmp(tok, "tick")) {
            s->tick = x;
            s->price_dec = dec;
        } else if (!strcmp(tok, "step")) {
            s->step = x;
            s->qty_dec = dec;
        } else if (!strcmp(tok, "minqty"))
            s->min_qty = x;
        else if (!strcmp(tok, "maxqty"))
            s->max_qty = x;
        else if (!strcmp(tok, "notional"))
            s->notional = x;
        else if (!strcmp(tok, "protect"))
            s->trigger_protect = x;
        else if (!strcmp(tok, "price"))
            s->price = x;
        else if (!strcmp(tok, "leverage"))
            s->leverage = (int)x;
        else {
            snprintf(why, whylen, "--symbol %s: unknown key %s", spec, tok);
            return -1;
        }
    }
    s->mark = s->price;
    if (decimals(s->tick) > s->price_dec)
        s->price_dec = decimals(s->tick);
    if (decimals(s->step) > s->qty_dec)
        s->qty_dec = decimals(s->step);
    v->nsym++;
    return 0;
}

int vn_path_load(vn_symbol *s, const char *file, char *why, size_t whylen)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(why, whylen, "%s: cannot open", file);
        return -1;
    }
    char line[256];
    size_t cap = 0, lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        long long t;
        double p;
        if (line[0] == '#' || line[0] == '\n' || (lineno == 1 && !strncmp(line, "time", 4)))
            continue;
        if (sscanf(line, "%lld,%lf", &t, &p) != 2 || !(p > 0)) {
            snprintf(why, whylen, "%s:%zu: expected time_ms,price", file, lineno);
            rc = -1;
            break;
        }
        if (s->path_n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *nt = realloc(s->path_t, cap * sizeof(*nt));
            if (nt)
                s->path_t = nt;
            double *np = realloc(s->path_p, cap * sizeof(*np));
            if (np)
                s->path_p = np;
            if (!nt || !np) {
                snprintf(why, whylen, "%s: out of memory", file);
                rc = -1;
                break;
            }
        }
        s->path_t[s->path_n] = t;
        s->path_p[s->path_n++] = p;
    }
    fclose(f);
    return rc;
}

/* Each symbol with a path takes the last row at or before venue time. */
void vn_path_apply(vn_venue *v)
{
    int64_t now = vn_now_ms(v);
    for (size_t i = 0; i < v->nsym; i++) {
        vn_symbol *s = &v->sym[i];
        size_t k = s->path_n;
        while (k > 0 && s->path_t[k - 1] > now)
            k--;
        if (k > 0 && s->path_p[k - 1] != s->price)
            vn_set_mark(v, (int)i, s->path_p[k - 1], s->path_p[k - 1]);
    }
}

vn_order *vn_order_new(vn_venue *v)
{
    if (v->norders == v->cap_orders) {
        size_t cap = v->cap_orders ? v->cap_orders * 2 : 64;
        vn_order *n = realloc(v->orders, cap * sizeof(*n));
        if (!n)
            return NULL;
        v->orders = n;
        v->cap_orders = cap;
    }
    vn_order *o = &v->orders[v->norders++];
    memset(o, 0, sizeof(*o));
    o->id = v->next_order_id++;
    o->time = o->update_time = vn_now_ms(v);
    return o;
}

vn_algo *vn_algo_new(vn_venue *v)
{
    if (v->nalgos == v->cap_algos) {
        size_t cap = v->cap_algos ? v->cap_algos * 2 : 64;
        vn_algo *n = realloc(v->algos, cap * sizeof(*n));
        if (!n)
            return NULL;
        v->algos = n;
        v->cap_algos = cap;
    }
    vn_algo *a = &v->algos[v->nalgos++];
    memset(a, 0, sizeof(*a));
    a->id = v->next_algo_id++;
    a->create_time = a->update_time = vn_now_ms(v);
    return a;
}

void vn_fill(vn_venue *v, vn_order *o, double fraction)
{
    vn_symbol *s = &v->sym[o->sym];
    double px = s->price;
    double q = o->qty * (fraction > 0 && fraction < 1 ? fraction : 1);
    q = floor(q / s->step + 1e-9) * s->step;
    double signed_q = o->buy ? q : -q;
    double amt = s->pos_amt;
    vn_trade t = {.id = ++v->next_trade_id, .qty = q, .price = px};
    if (amt != 0 && (amt > 0) != (signed_q > 0)) {
        /* reducing: realise PnL on the closed part */
        double closed = fmin(fabs(amt), q);
        t.realized = closed * (px - s->entry) * (amt > 0 ? 1 : -1);
        v->wallet += t.realized;
        s->realized += t.realized;
    }
    double next = amt + signed_q;
    if (fabs(next) < s->step / 2)
        next = 0;
    if (next == 0)
        s->entry = 0;
    else if (amt == 0 || (amt > 0) != (next > 0))
        s->entry = px; /* opened, or flipped through zero */
    else if (fabs(next) > fabs(amt))
        s->entry = (s->entry * fabs(amt) + px * q) / fabs(next);
    s->pos_amt = next;
    t.commission = q * px * v->fee_bps / 10000.0;
    v->wallet -= t.commission;
    o->executed = q;
    o->avg_price = px;
    o->update_time = vn_now_ms(v);
    snprintf(o->status, sizeof(o->status), "%s", q < o->qty ? "PARTIALLY_FILLED" : "FILLED");
    /* Binance's order: the TRADE, then the balance and position it moved */
    vn_ev_order(v, o, "TRADE", &t);
    vn_ev_account(v, s);
}

double vn_unrealized(const vn_symbol *s) { return s->pos_amt * (s->mark - s->entry); }

double vn_initial_margin(const vn_symbol *s)
{
    return fabs(s->pos_amt) * s->mark / (s->leverage > 0 ? s->leverage : 1);
}

double vn_available(const vn_venue *v)
{
    double a = v->wallet;
    for (size_t i = 0; i < v->nsym; i++)
        a += vn_unrealized(&v->sym[i]) - vn_initial_margin(&v->sym[i]);
    return a;
}

static int algo_hit(const vn_algo *a, double px)
{
    int stop = strcmp(a->type, "STOP_MARKET") == 0;
    /* a sell stop guards a long: fires at or below; a sell take-profit at or above */
    if (stop)
        return a->buy ? px >= a->trigger : px <= a->trigger;
    return a->buy ? px <= a->trigger : px >= a->trigger;
}

/* Binance's algo service: TRIGGERING when the price crosses, TRIGGERED once
 * the MARKET order is in the matching engine, FINISHED when it is done. */
static void algo_status(vn_venue *v, vn_algo *a, const char *status)
{
    snprintf(a->status, sizeof(a->status), "%s", status);
    a->update_time = vn_now_ms(v);
    vn_ev_algo(v, a);
}

static void algo_trigger(vn_venue *v, vn_algo *a)
{
    vn_symbol *s = &v->sym[a->sym];
    a->trigger_time = vn_now_ms(v);
    double q = a->close_position ? fabs(s->pos_amt) : a->qty;
    int reduces = s->pos_amt != 0 && (s->pos_amt > 0) != (a->buy != 0);
    if (!a->stuck && (q <= 0 || ((a->close_position || a->reduce_only) && !reduces))) {
        algo_status(v, a, "EXPIRED"); /* nothing to close: the system cancels it */
        return;
    }
    algo_status(v, a, "TRIGGERING");
    if (a->stuck)
        return;
    if ((a->close_position || a->reduce_only) && q > fabs(s->pos_amt))
        q = fabs(s->pos_amt);
    vn_order *o = vn_order_new(v);
    if (!o) {
        fprintf(stderr, "gordon-venue: out of memory triggering algo %lld\n", (long long)a->id);
        algo_status(v, a, "REJECTED");
        return;
    }
    o->sym = a->sym;
    o->buy = a->buy;
    o->qty = q;
    o->reduce_only = 1;
    o->close_position = a->close_position;
    snprintf(o->type, sizeof(o->type), "MARKET");
    snprintf(o->status, sizeof(o->status), "NEW");
    /* Binance's triggered order carries the algo's client id */
    snprintf(o->client_id, sizeof(o->client_id), "%s", a->client_id);
    a->actual_order_id = o->id;
    algo_status(v, a, "TRIGGERED");
    vn_ev_order(v, o, "NEW", NULL);
    vn_fill(v, o, 1);
    a->executed = o->executed;
    a->avg_price = o->avg_price;
    algo_status(v, a, "FINISHED");
}

void vn_check_triggers(vn_venue *v)
{
    for (size_t i = 0; i < v->nalgos; i++) {
        vn_algo *a = &v->algos[i];
        if (strcmp(a->status, "NEW") != 0)
            continue;
        const vn_symbol *s = &v->sym[a->sym];
        double px = strcmp(a->working, "MARK_PRICE") == 0 ? s->mark : s->price;
        if (algo_hit(a, px))
            algo_trigger(v, a);
    }
}

void vn_set_mark(vn_venue *v, int sym, double price, double mark)
{
    v->sym[sym].price = price;
    v->sym[sym].mark = mark;
    vn_check_triggers(v);
}

void vn_venue_free(vn_venue *v)
{
    for (size_t i = 0; i < v->nsym; i++) {
        free(v->sym[i].path_t);
        free(v->sym[i].path_p);
        free(v->sym[i].kl);
    }
    free(v->orders);
    free(v->algos);
}

cJSON *vn_fmt(double x, int dec)
{
    char b[64];
    snprintf(b, sizeof(b), "%.*f", dec, x);
    if (strcmp(b, "-0") == 0 || (b[0] == '-' && strspn(b + 1, "0.") == strlen(b + 1)))
        memmove(b, b + 1, strlen(b));
    return cJSON_CreateString(b);
}

static void add_s(cJSON *o, const char *k, const char *s) { cJSON_AddItemToObject(o, k, cJSON_CreateString(s)); }

static void add_n(cJSON *o, const char *k, double x, int dec) { cJSON_AddItemToObject(o, k, vn_fmt(x, dec)); }

cJSON *vn_order_json(const vn_venue *v, const vn_order *o)
{
    const vn_symbol *s = &v->sym[o->sym];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "orderId", (double)o->id);
    add_s(j, "symbol", s->name);
    add_s(j, "status", o->status);
    add_s(j, "clientOrderId", o->client_id);
    add_s(j, "price", "0");
    add_n(j, "avgPrice", o->avg_price, s->price_dec);
    add_n(j, "origQty", o->qty, s->qty_dec);
    add_n(j, "executedQty", o->executed, s->qty_dec);
    add_n(j, "cumQty", o->executed, s->qty_dec);
    add_n(j, "cumQuote", o->executed * o->avg_price, s->price_dec + s->qty_dec);
    add_s(j, "timeInForce", "GTC");
    add_s(j, "type", o->type);
    cJSON_AddBoolToObject(j, "reduceOnly", o->reduce_only);
    cJSON_AddBoolToObject(j, "closePosition", o->close_position);
    add_s(j, "side", o->buy ? "BUY" : "SELL");
    add_s(j, "positionSide", "BOTH");
    add_s(j, "stopPrice", "0");
    add_s(j, "workingType", "CONTRACT_PRICE");
    cJSON_AddBoolToObject(j, "priceProtect", 0);
    add_s(j, "origType", o->type);
    add_s(j, "priceMatch", "NONE");
    add_s(j, "selfTradePreventionMode", "EXPIRE_MAKER");
    cJSON_AddNumberToObject(j, "goodTillDate", 0);
    cJSON_AddNumberToObject(j, "time", (double)o->time);
    cJSON_AddNumberToObject(j, "updateTime", (double)o->update_time);
    return j;
}

cJSON *vn_algo_json(const vn_venue *v, const vn_algo *a)
{
    const vn_symbol *s = &v->sym[a->sym];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "algoId", (double)a->id);
    add_s(j, "clientAlgoId", a->client_id);
    add_s(j, "algoType", "CONDITIONAL");
    add_s(j, "orderType", a->type);
    add_s(j, "symbol", s->name);
    add_s(j, "side", a->buy ? "BUY" : "SELL");
    add_s(j, "positionSide", "BOTH");
    add_s(j, "timeInForce", "GTC");
    add_n(j, "quantity", a->qty, s->qty_dec);
    add_s(j, "algoStatus", a->status);
    add_n(j, "triggerPrice", a->trigger, s->price_dec);
    add_s(j, "price", "0");
    cJSON_AddNullToObject(j, "icebergQuantity");
    add_s(j, "selfTradePreventionMode", "EXPIRE_MAKER");
    add_s(j, "workingType", a->working);
    add_s(j, "priceMatch", "NONE");
    cJSON_AddBoolToObject(j, "closePosition", a->close_position);
    cJSON_AddBoolToObject(j, "priceProtect", a->price_protect);
    cJSON_AddBoolToObject(j, "reduceOnly", a->reduce_only);
    add_s(j, "activatePrice", "");
    add_s(j, "callbackRate", "");
    cJSON_AddNumberToObject(j, "createTime", (double)a->create_time);
    cJSON_AddNumberToObject(j, "updateTime", (double)a->update_time);
    cJSON_AddNumberToObject(j, "triggerTime", (double)a->trigger_time);
    cJSON_AddNumberToObject(j, "goodTillDate", 0);
    if (a->actual_order_id) {
        char b[32];
        snprintf(b, sizeof(b), "%lld", (long long)a->actual_order_id);
        add_s(j, "actualOrderId", b);
        add_n(j, "executedQty", a->executed, s->qty_dec);
        add_n(j, "avgPrice", a->avg_price, s->price_dec);
    }
    return j;
}

cJSON *vn_state_json(const vn_venue *v)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "time", (double)vn_now_ms(v));
    cJSON_AddNumberToObject(j, "clockOffsetMs", (double)v->clock_offset_ms);
    cJSON_AddNumberToObject(j, "requests", (double)v->requests);
    cJSON_AddNumberToObject(j, "userStreamSockets", vn_ws_sockets());
    cJSON_AddNumberToObject(j, "userStreamSilent", v->ws_silent);
    vn_market_state(v, j, NULL, 0);
    add_n(j, "walletBalance", v->wallet, 8);
    add_n(j, "availableBalance", vn_available(v), 8);
    cJSON *syms = cJSON_AddArrayToObject(j, "symbols");
    cJSON *pos = cJSON_AddArrayToObject(j, "positions");
    for (size_t i = 0; i < v->nsym; i++) {
        const vn_symbol *s = &v->sym[i];
        cJSON *o = cJSON_CreateObject();
        add_s(o, "symbol", s->name);
        add_n(o, "price", s->price, s->price_dec);
        add_n(o, "markPrice", s->mark, s->price_dec);
        cJSON_AddNumberToObject(o, "leverage", s->leverage);
        add_s(o, "marginType", s->isolated ? "isolated" : "cross");
        vn_market_state(v, NULL, o, (int)i);
        cJSON_AddItemToArray(syms, o);
        if (s->pos_amt != 0) {
            cJSON *p = cJSON_CreateObject();
            add_s(p, "symbol", s->name);
            add_n(p, "positionAmt", s->pos_amt, s->qty_dec);
            add_n(p, "entryPrice", s->entry, 8);
            add_n(p, "unRealizedProfit", vn_unrealized(s), 8);
            cJSON_AddItemToArray(pos, p);
        }
    }
    cJSON *ords = cJSON_AddArrayToObject(j, "orders");
    for (size_t i = 0; i < v->norders; i++)
        cJSON_AddItemToArray(ords, vn_order_json(v, &v->orders[i]));
    cJSON *algos = cJSON_AddArrayToObject(j, "algoOrders");
    for (size_t i = 0; i < v->nalgos; i++)
        cJSON_AddItemToArray(algos, vn_algo_json(v, &v->algos[i]));
    cJSON *faults = cJSON_AddArrayToObject(j, "faults");
    for (size_t i = 0; i < v->nfaults; i++) {
        cJSON *f = cJSON_CreateObject();
        add_s(f, "kind", vn_fault_name(v->faults[i].kind));
        add_s(f, "path", v->faults[i].path);
        cJSON_AddNumberToObject(f, "count", v->faults[i].count);
        cJSON_AddItemToArray(faults, f);
    }
    return j;
}

/* --- user-data events (Binance USD-M user data stream shapes) --- */

static void add_i(cJSON *o, const char *k, int64_t x) { cJSON_AddNumberToObject(o, k, (double)x); }

static cJSON *event(const vn_venue *v, const char *type, int64_t t)
{
    cJSON *j = cJSON_CreateObject();
    add_s(j, "e", type);
    add_i(j, "E", vn_now_ms(v));
    add_i(j, "T", t);
    return j;
}

void vn_ev_order(vn_venue *v, const vn_order *o, const char *exec, const vn_trade *t)
{
    const vn_symbol *s = &v->sym[o->sym];
    cJSON *j = event(v, "ORDER_TRADE_UPDATE", o->update_time);
    cJSON *d = cJSON_CreateObject();
    add_s(d, "s", s->name);
    add_s(d, "c", o->client_id);
    add_s(d, "S", o->buy ? "BUY" : "SELL");
    add_s(d, "o", o->type);
    add_s(d, "f", "GTC");
    add_n(d, "q", o->qty, s->qty_dec);
    add_s(d, "p", "0");
    add_n(d, "ap", o->avg_price, s->price_dec);
    add_s(d, "sp", "0");
    add_s(d, "x", exec);
    add_s(d, "X", o->status);
    add_i(d, "i", o->id);
    add_n(d, "l", t ? t->qty : 0, s->qty_dec);
    add_n(d, "z", o->executed, s->qty_dec);
    add_n(d, "L", t ? t->price : 0, s->price_dec);
    if (t) { /* Binance: commission only with a fill */
        add_s(d, "N", "USDT");
        add_n(d, "n", t->commission, 8);
    }
    add_i(d, "T", o->update_time);
    add_i(d, "t", t ? t->id : 0);
    add_s(d, "b", "0");
    add_s(d, "a", "0");
    cJSON_AddBoolToObject(d, "m", 0); /* MARKET orders take */
    cJSON_AddBoolToObject(d, "R", o->reduce_only);
    add_s(d, "wt", "CONTRACT_PRICE");
    add_s(d, "ot", o->type);
    add_s(d, "ps", "BOTH");
    cJSON_AddBoolToObject(d, "cp", o->close_position);
    add_n(d, "rp", t ? t->realized : 0, 8);
    cJSON_AddBoolToObject(d, "pP", 0);
    add_i(d, "si", 0);
    add_i(d, "ss", 0);
    add_s(d, "V", "EXPIRE_MAKER");
    add_s(d, "pm", "NONE");
    add_i(d, "gtd", 0);
    cJSON_AddItemToObject(j, "o", d);
    vn_ws_push(v, j);
}

void vn_ev_algo(vn_venue *v, const vn_algo *a)
{
    const vn_symbol *s = &v->sym[a->sym];
    cJSON *j = event(v, "ALGO_UPDATE", a->update_time);
    cJSON *d = cJSON_CreateObject();
    add_s(d, "caid", a->client_id);
    add_i(d, "aid", a->id);
    add_s(d, "at", "CONDITIONAL");
    add_s(d, "o", a->type);
    add_s(d, "s", s->name);
    add_s(d, "S", a->buy ? "BUY" : "SELL");
    add_s(d, "ps", "BOTH");
    add_s(d, "f", "GTC");
    add_n(d, "q", a->qty, s->qty_dec);
    add_s(d, "X", a->status);
    char b[32] = "";
    if (a->actual_order_id)
        snprintf(b, sizeof(b), "%lld", (long long)a->actual_order_id);
    add_s(d, "ai", b);
    if (a->actual_order_id) { /* Binance: only once placed in the matching engine */
        add_n(d, "ap", a->avg_price, s->price_dec);
        add_n(d, "aq", a->executed, s->qty_dec);
        add_s(d, "act", "MARKET");
    }
    add_n(d, "tp", a->trigger, s->price_dec);
    add_s(d, "p", "0");
    add_s(d, "V", "EXPIRE_MAKER");
    add_s(d, "wt", a->working);
    add_s(d, "pm", "NONE");
    cJSON_AddBoolToObject(d, "cp", a->close_position);
    cJSON_AddBoolToObject(d, "pP", a->price_protect);
    cJSON_AddBoolToObject(d, "R", a->reduce_only);
    add_i(d, "tt", a->trigger_time);
    add_i(d, "gtd", 0);
    if (!strcmp(a->status, "REJECTED"))
        add_s(d, "rm", "venue out of memory");
    cJSON_AddItemToObject(j, "o", d);
    vn_ws_push(v, j);
}

void vn_ev_account(vn_venue *v, const vn_symbol *s)
{
    int64_t now = vn_now_ms(v);
    cJSON *j = event(v, "ACCOUNT_UPDATE", now);
    cJSON *a = cJSON_CreateObject();
    add_s(a, "m", "ORDER");
    cJSON *bal = cJSON_CreateObject();
    add_s(bal, "a", "USDT");
    add_n(bal, "wb", v->wallet, 8);
    add_n(bal, "cw", v->wallet, 8);
    add_s(bal, "bc", "0"); /* a fill moves PnL and fees only */
    cJSON *B = cJSON_CreateArray();
    cJSON_AddItemToArray(B, bal);
    cJSON_AddItemToObject(a, "B", B);
    cJSON *p = cJSON_CreateObject();
    add_s(p, "s", s->name);
    add_n(p, "pa", s->pos_amt, s->qty_dec);
    add_n(p, "ep", s->entry, 8);
    add_n(p, "bep", s->entry, 8);
    add_n(p, "cr", s->realized, 8);
    add_n(p, "up", vn_unrealized(s), 8);
    add_s(p, "mt", s->isolated ? "isolated" : "cross");
    add_s(p, "iw", "0");
    add_s(p, "ps", "BOTH");
    add_s(p, "ma", "USDT");
    cJSON *P = cJSON_CreateArray();
    cJSON_AddItemToArray(P, p);
    cJSON_AddItemToObject(a, "P", P);
    cJSON_AddItemToObject(j, "a", a);
    vn_ws_push(v, j);
}
