/* libFuzzer target for what the venue executor reads from Binance
 * (venue/reply.c, venue/rest.c): the user-data stream's events
 * (ORDER_TRADE_UPDATE, ALGO_UPDATE, ACCOUNT_UPDATE, listenKeyExpired), order
 * and algo-order replies, the account and positionRisk replies, and the
 * judgement of a reply's status and error body. The first byte picks which. Checked beyond "no crash": every value
 * gordon acts on is inside its range (a status is an upper-case word, a
 * quantity finite and >= 0 or absent, a price finite and > 0 or absent, a
 * commission finite and >= 0, strings terminated inside their buffers, at
 * most GD_VEV_MAX_POS positions, each finite), an error code is Binance's
 * size, and an order event written back parses to the same values. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "venue/reply.h"
#include "venue/rest.h"

static void check_str(const char *s, size_t cap)
{
    if (memchr(s, '\0', cap) == NULL)
        abort();
}

static void check_order(const gd_vorder *o)
{
    check_str(o->status, sizeof o->status);
    for (const char *p = o->status; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
            abort();
    if (!isnan(o->executed) && !(isfinite(o->executed) && o->executed >= 0))
        abort();
    if (!isnan(o->avg) && !(isfinite(o->avg) && o->avg > 0))
        abort();
}

/* A number as the venue writes it (a string), or absent when not given. */
static int num(char *buf, size_t cap, const char *key, double v)
{
    return isnan(v) ? snprintf(buf, cap, "%s", "") : snprintf(buf, cap, ",\"%s\":\"%.17g\"", key, v);
}

static void roundtrip(const gd_vevent *ev)
{
    /* Written back only when its strings need no escaping. */
    const char *s[] = {ev->symbol, ev->client_id, ev->commission_asset};
    for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        for (const char *p = s[k]; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                return;
    char z[64], ap[64], n[64], msg[1024];
    num(z, sizeof z, "z", ev->order.executed);
    num(ap, sizeof ap, "ap", ev->order.avg);
    if (ev->trade)
        snprintf(n, sizeof n, ",\"N\":\"%s\",\"n\":\"%.17g\"", ev->commission_asset, ev->commission);
    else
        n[0] = '\0';
    char t[40] = "";
    if (ev->trade_id >= 0)
        snprintf(t, sizeof t, ",\"t\":%lld", (long long)ev->trade_id);
    int len =
        snprintf(msg, sizeof msg,
                 "{\"e\":\"ORDER_TRADE_UPDATE\",\"o\":{\"s\":\"%s\",\"c\":\"%s\",\"X\":\"%s\",\"x\":\"%s\"%s%s%s%s}}",
                 ev->symbol, ev->client_id, ev->order.status, ev->exec_type, z, ap, n, t);
    if (len <= 0 || (size_t)len >= sizeof msg)
        return;
    static gd_vevent back;
    char why[160];
    if (gd_vevent_parse(msg, (size_t)len, &back, why, sizeof why) != 0 || back.type != GD_VEV_ORDER)
        abort();
    if (strcmp(back.symbol, ev->symbol) || strcmp(back.client_id, ev->client_id) ||
        strcmp(back.order.status, ev->order.status) || strcmp(back.exec_type, ev->exec_type) ||
        back.trade != ev->trade || back.trade_id != ev->trade_id)
        abort();
    if (memcmp(&back.order.executed, &ev->order.executed, sizeof(double)) != 0 &&
        !(isnan(back.order.executed) && isnan(ev->order.executed)))
        abort();
    if (memcmp(&back.order.avg, &ev->order.avg, sizeof(double)) != 0 &&
        !(isnan(back.order.avg) && isnan(ev->order.avg)))
        abort();
    if (ev->trade && (back.commission != ev->commission || strcmp(back.commission_asset, ev->commission_asset)))
        abort();
}

static void event(const char *text, size_t size)
{
    static gd_vevent ev;
    char why[160];
    int rc = gd_vevent_parse(text, size, &ev, why, sizeof why);
    check_str(why, sizeof why);
    if (rc != 0) {
        if (rc != -1 || !why[0])
            abort();
        return;
    }
    if (ev.type < GD_VEV_OTHER || ev.type > GD_VEV_KEY_EXPIRED)
        abort();
    check_str(ev.name, sizeof ev.name);
    check_str(ev.symbol, sizeof ev.symbol);
    check_str(ev.client_id, sizeof ev.client_id);
    check_str(ev.exec_type, sizeof ev.exec_type);
    check_str(ev.commission_asset, sizeof ev.commission_asset);
    check_order(&ev.order);
    if (ev.trade && (!isfinite(ev.commission) || ev.commission < 0 || !ev.commission_asset[0] ||
                     strcmp(ev.exec_type, "TRADE") != 0))
        abort();
    if (ev.trade_id < -1)
        abort();
    if (ev.n_pos > GD_VEV_MAX_POS)
        abort();
    for (uint32_t k = 0; k < ev.n_pos; k++) {
        check_str(ev.pos[k].symbol, sizeof ev.pos[k].symbol);
        if (!ev.pos[k].symbol[0] || !isfinite(ev.pos[k].amt))
            abort();
    }
    if (ev.type == GD_VEV_ORDER)
        roundtrip(&ev);
}

static void reply(const char *text, size_t size, int algo)
{
    cJSON *j = cJSON_ParseWithLength(text, size);
    gd_vorder o;
    gd_vreply_order(j, algo, &o);
    check_order(&o);
    cJSON_Delete(j);
}

static void judge(const char *text, size_t size, long status)
{
    gd_rest_reply r;
    memset(&r, 0, sizeof r);
    gd_rest_judge(status, text, size, &r);
    check_str(r.msg, sizeof r.msg);
    if (r.outcome != GD_REST_OK && r.outcome != GD_REST_UNKNOWN && r.outcome != GD_REST_REJECTED &&
        r.outcome != GD_REST_LIMITED)
        abort();
    if (r.code > 0 || r.code < -100000 || r.status != status)
        abort();
    if (r.outcome != GD_REST_OK && !r.msg[0])
        abort();
    /* A negative code is never a success. */
    if (r.code < 0 && r.outcome == GD_REST_OK)
        abort();
}

/* GET /fapi/v2/account and /fapi/v2/positionRisk: every value gordon acts
 * on believable (finite, in range) or NAN, every symbol terminated. */
static void account(const char *text, size_t size)
{
    cJSON *j = cJSON_ParseWithLength(text, size);
    double margin, eq = gd_vreply_equity(j, &margin);
    if (!isnan(eq) && !(isfinite(eq) && eq > 0 && eq <= 1e12))
        abort();
    if (!isnan(margin) && !isfinite(margin))
        abort();
    cJSON_Delete(j);
}

static void positions(const char *text, size_t size)
{
    cJSON *j = cJSON_ParseWithLength(text, size);
    const cJSON *p;
    gd_vposition vp;
    gd_vreply_position(j, &vp); /* a lone object, or anything, is read without harm */
    cJSON_ArrayForEach(p, j)
    {
        gd_vreply_position(p, &vp);
        check_str(vp.symbol, sizeof vp.symbol);
        if (!isnan(vp.amt) && !(isfinite(vp.amt) && fabs(vp.amt) <= 1e12))
            abort();
        if (!isnan(vp.mark) && !(vp.mark > 0 && vp.mark <= 1e12))
            abort();
        if (!isnan(vp.entry) && !(vp.entry > 0 && vp.entry <= 1e12))
            abort();
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    /* 0xf0 and up: the account and position replies (added later: the
     * corpus's first bytes below keep what they picked). */
    if (data[0] >= 0xf0) {
        if (data[0] & 1)
            positions(text, n);
        else
            account(text, n);
        return 0;
    }
    switch (data[0] % 4) {
    case 0: event(text, n); break;
    case 1: reply(text, n, 0); break;
    case 2: reply(text, n, 1); break;
    default:
        if (n < 2)
            return 0;
        judge(text + 2, n - 2, (long)((unsigned)(unsigned char)text[0] << 8 | (unsigned char)text[1]) % 600);
        break;
    }
    return 0;
}
