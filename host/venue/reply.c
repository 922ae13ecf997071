#include "venue/reply.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "venue/rules.h"

static double jnum(const cJSON *o, const char *key) { return gd_venue_num(cJSON_GetObjectItemCaseSensitive(o, key)); }

/* A string member copied when it fits (with its terminator) in cap; else "". */
static void jcopy(const cJSON *o, const char *key, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    out[0] = '\0';
    if (cJSON_IsString(v) && strlen(v->valuestring) < cap)
        memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
}

/* A venue word: [A-Z_]+, else "". */
static void word(const cJSON *o, const char *key, char *out, size_t cap)
{
    jcopy(o, key, out, cap);
    for (const char *p = out; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || *p == '_')) {
            out[0] = '\0';
            return;
        }
}

static double qty(double v) { return isfinite(v) && v >= 0.0 ? v : NAN; }
static double price(double v) { return isfinite(v) && v > 0.0 ? v : NAN; }

void gd_vreply_order(const cJSON *j, int algo, gd_vorder *out)
{
    memset(out, 0, sizeof *out);
    if (algo)
        word(j, "algoStatus", out->status, sizeof out->status);
    if (!out->status[0])
        word(j, "status", out->status, sizeof out->status);
    out->executed = qty(jnum(j, "executedQty"));
    out->avg = price(jnum(j, "avgPrice"));
}

#define BELIEVABLE 1e12

void gd_vreply_position(const cJSON *p, gd_vposition *out)
{
    memset(out, 0, sizeof *out);
    jcopy(p, "symbol", out->symbol, sizeof out->symbol);
    double amt = jnum(p, "positionAmt"), mark = jnum(p, "markPrice"), entry = jnum(p, "entryPrice");
    out->amt = isfinite(amt) && fabs(amt) <= BELIEVABLE ? amt : NAN;
    out->mark = price(mark) <= BELIEVABLE ? mark : NAN;
    out->entry = price(entry) <= BELIEVABLE ? entry : NAN;
}

double gd_vreply_equity(const cJSON *j, double *margin)
{
    double wallet = jnum(j, "totalWalletBalance"), m = jnum(j, "totalMarginBalance");
    *margin = isfinite(m) ? m : NAN;
    double eq = isfinite(wallet) ? wallet : m;
    return isfinite(eq) && eq > 0.0 && eq <= BELIEVABLE ? eq : NAN;
}

static void order_event(const cJSON *o, gd_vevent *ev)
{
    jcopy(o, "s", ev->symbol, sizeof ev->symbol);
    jcopy(o, "c", ev->client_id, sizeof ev->client_id);
    word(o, "X", ev->order.status, sizeof ev->order.status);
    ev->order.executed = qty(jnum(o, "z"));
    ev->order.avg = price(jnum(o, "ap"));
    word(o, "x", ev->exec_type, sizeof ev->exec_type);
    double n = jnum(o, "n"), t = jnum(o, "t");
    jcopy(o, "N", ev->commission_asset, sizeof ev->commission_asset);
    ev->trade = !strcmp(ev->exec_type, "TRADE") && isfinite(n) && n >= 0.0 && ev->commission_asset[0];
    ev->commission = ev->trade ? n : 0.0;
    /* Trade ids are integers below 2^53 as JSON numbers carry them. */
    ev->trade_id = isfinite(t) && t >= 0.0 && t < 9007199254740992.0 && t == floor(t) ? (int64_t)t : -1;
}

static void algo_event(const cJSON *o, gd_vevent *ev)
{
    jcopy(o, "s", ev->symbol, sizeof ev->symbol);
    jcopy(o, "caid", ev->client_id, sizeof ev->client_id);
    word(o, "X", ev->order.status, sizeof ev->order.status);
    ev->order.executed = qty(jnum(o, "aq"));
    ev->order.avg = price(jnum(o, "ap"));
}

static void account_event(const cJSON *a, gd_vevent *ev)
{
    const cJSON *p, *ps = cJSON_GetObjectItemCaseSensitive(a, "P");
    if (!cJSON_IsArray(ps))
        return;
    cJSON_ArrayForEach(p, ps)
    {
        gd_vev_pos q;
        jcopy(p, "s", q.symbol, sizeof q.symbol);
        q.amt = jnum(p, "pa");
        if (ev->n_pos >= GD_VEV_MAX_POS || !q.symbol[0] || !isfinite(q.amt))
            ev->pos_dropped++;
        else
            ev->pos[ev->n_pos++] = q;
    }
}

int gd_vevent_parse(const char *text, size_t len, gd_vevent *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    out->order.executed = out->order.avg = NAN;
    out->trade_id = -1;
    why[0] = '\0';
    cJSON *j = cJSON_ParseWithLength(text, len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "e");
    if (!cJSON_IsObject(j) || !cJSON_IsString(e) || !e->valuestring[0]) {
        snprintf(why, cap, "%s", j ? "a message without an event type" : "not JSON");
        cJSON_Delete(j);
        return -1;
    }
    snprintf(out->name, sizeof out->name, "%s", e->valuestring);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "o"), *a = cJSON_GetObjectItemCaseSensitive(j, "a");
    if (!strcmp(e->valuestring, "ORDER_TRADE_UPDATE") || !strcmp(e->valuestring, "ALGO_UPDATE")) {
        if (cJSON_IsObject(o)) {
            out->type = e->valuestring[0] == 'O' ? GD_VEV_ORDER : GD_VEV_ALGO;
            (out->type == GD_VEV_ORDER ? order_event : algo_event)(o, out);
        } else {
            snprintf(why, cap, "%s without its order (\"o\")", out->name);
        }
    } else if (!strcmp(e->valuestring, "ACCOUNT_UPDATE")) {
        if (cJSON_IsObject(a)) {
            out->type = GD_VEV_ACCOUNT;
            account_event(a, out);
        } else {
            snprintf(why, cap, "%s without its account (\"a\")", out->name);
        }
    } else if (!strcmp(e->valuestring, "listenKeyExpired")) {
        out->type = GD_VEV_KEY_EXPIRED;
    }
    cJSON_Delete(j);
    return 0;
}
