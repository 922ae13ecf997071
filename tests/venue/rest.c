/* The Binance USD-M subset: routing, signed-request checks (HMAC-SHA256
 * and Ed25519, both through OpenSSL, over the exact bytes received), and
 * the endpoints an executor needs. Shapes and codes follow Binance's
 * USD-M futures REST docs; where a detail could not be checked (the algo
 * endpoints' cancel-all reply) the text is followed and a comment
 * says so. The user-data stream (ORDER_TRADE_UPDATE, ALGO_UPDATE,
 * ACCOUNT_UPDATE over a websocket) is ws.c, on its own port. */
#include "venue.h"

#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VN_RECV_WINDOW_DEFAULT 5000
#define VN_RECV_WINDOW_MAX     60000 /* Binance refuses more */
#define VN_AHEAD_MS            1000  /* Binance: timestamp may lead server time by 1 s */

void vn_json(vn_response *out, int status, cJSON *j)
{
    out->status = status;
    out->body = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!out->body) {
        out->status = 500;
        out->body = strdup("{\"code\":-1000,\"msg\":\"venue out of memory\"}");
    }
}

void vn_error(vn_response *out, int status, int code, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "code", code);
    cJSON_AddStringToObject(j, "msg", msg);
    vn_json(out, status, j);
}

const char *vn_param_get(const vn_request *r, const char *key)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].val;
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void url_decode(char *s)
{
    char *w = s;
    for (char *p = s; *p; p++) {
        if (*p == '+')
            *w++ = ' ';
        else if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *w++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else
            *w++ = *p;
    }
    *w = 0;
}

/* Splits query then body into decoded parameters; -1 if too many. */
static int parse_params(vn_request *r)
{
    size_t lq = r->query ? strlen(r->query) : 0, lb = r->body ? strlen(r->body) : 0;
    r->pbuf = malloc(lq + lb + 2);
    if (!r->pbuf)
        return -1;
    snprintf(r->pbuf, lq + lb + 2, "%s&%s", r->query ? r->query : "", r->body ? r->body : "");
    char *save = NULL;
    for (char *t = strtok_r(r->pbuf, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
        if (r->nparams == VN_PARAMS_MAX)
            return -1;
        char *eq = strchr(t, '=');
        if (eq)
            *eq = 0;
        r->params[r->nparams].key = t;
        r->params[r->nparams].val = eq ? eq + 1 : t + strlen(t);
        url_decode(r->params[r->nparams].key);
        url_decode(r->params[r->nparams].val);
        r->nparams++;
    }
    return 0;
}

/* Binance signs totalParams: the query string concatenated with the body,
 * without the signature parameter. Copies that into buf. */
static int signed_payload(const vn_request *r, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s%s", r->query ? r->query : "", r->body ? r->body : "");
    if (n < 0 || (size_t)n >= len)
        return -1;
    char *sig = strstr(buf, "signature=");
    if (!sig || (sig != buf && sig[-1] != '&'))
        return -1;
    char *end = strchr(sig, '&');
    if (sig != buf)
        sig--; /* take the '&' before it */
    if (end)
        memmove(sig, end + (sig == buf ? 1 : 0), strlen(end) + 1);
    else
        *sig = 0;
    return 0;
}

static int verify_hmac(const vn_key *k, const char *payload, const char *sig)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    if (!HMAC(EVP_sha256(), k->secret, (int)strlen(k->secret), (const unsigned char *)payload, strlen(payload), mac,
              &mlen))
        return 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < mlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    return strlen(sig) == 2 * mlen && CRYPTO_memcmp(hex, sig, 2 * mlen) == 0;
}

static int verify_ed25519(const vn_key *k, const char *payload, const char *sig_b64)
{
    unsigned char sig[128];
    size_t blen = strlen(sig_b64);
    if (blen == 0 || blen > 4 * (sizeof(sig) / 3))
        return 0;
    int n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)blen);
    if (n < 64)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, (EVP_PKEY *)k->ed_pub) == 1 &&
             EVP_DigestVerify(ctx, sig, 64, (const unsigned char *)payload, strlen(payload)) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Checks the key, the signature, then the time window; 0 if good, else
 * out holds Binance's error. */
int vn_check_signed(vn_venue *v, const vn_request *r, vn_response *out)
{
    if (!r->api_key || !*r->api_key) {
        vn_error(out, 401, -2014, "API-key format invalid.");
        return -1;
    }
    const vn_key *k = NULL;
    for (size_t i = 0; i < v->nkeys; i++)
        if (strcmp(v->keys[i].api_key, r->api_key) == 0)
            k = &v->keys[i];
    if (!k) {
        vn_error(out, 401, -2015, "Invalid API-key, IP, or permissions for action.");
        return -1;
    }
    const char *sig = vn_param_get(r, "signature");
    const char *ts = vn_param_get(r, "timestamp");
    if (!ts) {
        vn_error(out, 400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
        return -1;
    }
    if (!sig) {
        vn_error(out, 400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
        return -1;
    }
    char payload[8192];
    int good = signed_payload(r, payload, sizeof(payload)) == 0 &&
               (k->ed_pub ? verify_ed25519(k, payload, sig) : verify_hmac(k, payload, sig));
    if (!good) {
        vn_error(out, 400, -1022, "Signature for this request is not valid.");
        return -1;
    }
    char *end = NULL;
    long long t = strtoll(ts, &end, 10);
    const char *rw = vn_param_get(r, "recvWindow");
    long long win = rw ? strtoll(rw, NULL, 10) : VN_RECV_WINDOW_DEFAULT;
    if (!*ts || *end || win <= 0 || win > VN_RECV_WINDOW_MAX) {
        vn_error(out, 400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
        return -1;
    }
    int64_t now = vn_now_ms(v);
    if (t > now + VN_AHEAD_MS) {
        vn_error(out, 400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
        return -1;
    }
    if (now - t > win) {
        vn_error(out, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
        return -1;
    }
    return 0;
}

vn_symbol *vn_need_symbol(vn_venue *v, const vn_request *r, vn_response *out, int *idx)
{
    const char *name = vn_param_get(r, "symbol");
    vn_symbol *s = vn_symbol_find(v, name, idx);
    if (!s)
        vn_error(out, 400, -1121, "Invalid symbol.");
    return s;
}

static cJSON *filter(const char *type)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "filterType", type);
    return f;
}

/* One symbol of exchangeInfo, with its filters. */
static cJSON *symbol_info(const vn_symbol *s)
{
    cJSON *o = cJSON_CreateObject();
    char base[VN_NAME_MAX];
    snprintf(base, sizeof(base), "%s", s->name);
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, "USDT") == 0)
        base[bl - 4] = 0;
    cJSON_AddStringToObject(o, "symbol", s->name);
    cJSON_AddStringToObject(o, "pair", s->name);
    cJSON_AddStringToObject(o, "contractType", "PERPETUAL");
    cJSON_AddNumberToObject(o, "deliveryDate", 4133404800000.0);
    cJSON_AddNumberToObject(o, "onboardDate", 1569398400000.0);
    cJSON_AddStringToObject(o, "status", "TRADING");
    cJSON_AddStringToObject(o, "maintMarginPercent", "2.5000");
    cJSON_AddStringToObject(o, "requiredMarginPercent", "5.0000");
    cJSON_AddStringToObject(o, "baseAsset", base);
    cJSON_AddStringToObject(o, "quoteAsset", "USDT");
    cJSON_AddStringToObject(o, "marginAsset", "USDT");
    cJSON_AddNumberToObject(o, "pricePrecision", s->price_dec);
    cJSON_AddNumberToObject(o, "quantityPrecision", s->qty_dec);
    cJSON_AddNumberToObject(o, "baseAssetPrecision", 8);
    cJSON_AddNumberToObject(o, "quotePrecision", 8);
    cJSON_AddStringToObject(o, "underlyingType", "COIN");
    cJSON_AddNumberToObject(o, "settlePlan", 0);
    cJSON_AddItemToObject(o, "triggerProtect", vn_fmt(s->trigger_protect, 4));
    cJSON_AddStringToObject(o, "liquidationFee", "0.012500");
    cJSON_AddStringToObject(o, "marketTakeBound", "0.05");
    cJSON *fs = cJSON_AddArrayToObject(o, "filters");
    cJSON *f = filter("PRICE_FILTER");
    cJSON_AddItemToObject(f, "minPrice", vn_fmt(s->tick, s->price_dec));
    cJSON_AddItemToObject(f, "maxPrice", vn_fmt(1e7, s->price_dec));
    cJSON_AddItemToObject(f, "tickSize", vn_fmt(s->tick, s->price_dec));
    cJSON_AddItemToArray(fs, f);
    const char *lots[] = {"LOT_SIZE", "MARKET_LOT_SIZE"};
    for (size_t k = 0; k < 2; k++) {
        f = filter(lots[k]);
        cJSON_AddItemToObject(f, "minQty", vn_fmt(s->min_qty, s->qty_dec));
        cJSON_AddItemToObject(f, "maxQty", vn_fmt(s->max_qty, s->qty_dec));
        cJSON_AddItemToObject(f, "stepSize", vn_fmt(s->step, s->qty_dec));
        cJSON_AddItemToArray(fs, f);
    }
    f = filter("MAX_NUM_ORDERS");
    cJSON_AddNumberToObject(f, "limit", 200);
    cJSON_AddItemToArray(fs, f);
    f = filter("MAX_NUM_ALGO_ORDERS");
    cJSON_AddNumberToObject(f, "limit", 10);
    cJSON_AddItemToArray(fs, f);
    f = filter("MIN_NOTIONAL");
    cJSON_AddItemToObject(f, "notional", vn_fmt(s->notional, 0));
    cJSON_AddItemToArray(fs, f);
    f = filter("PERCENT_PRICE");
    cJSON_AddStringToObject(f, "multiplierUp", "1.0500");
    cJSON_AddStringToObject(f, "multiplierDown", "0.9500");
    cJSON_AddStringToObject(f, "multiplierDecimal", "4");
    cJSON_AddItemToArray(fs, f);
    const char *ots[] = {
        "LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"};
    cJSON_AddItemToObject(o, "orderTypes", cJSON_CreateStringArray(ots, 7));
    const char *tifs[] = {"GTC", "IOC", "FOK", "GTX", "GTD"};
    cJSON_AddItemToObject(o, "timeInForce", cJSON_CreateStringArray(tifs, 5));
    return o;
}

void vn_exchange_info(vn_venue *v, vn_response *out)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "timezone", "UTC");
    cJSON_AddNumberToObject(j, "serverTime", (double)vn_now_ms(v));
    cJSON_AddStringToObject(j, "futuresType", "U_MARGINED");
    cJSON *rl = cJSON_AddArrayToObject(j, "rateLimits");
    const char *rls[][4] = {{"REQUEST_WEIGHT", "MINUTE", "1", "2400"},
                            {"ORDERS", "MINUTE", "1", "1200"},
                            {"ORDERS", "SECOND", "10", "300"}};
    for (size_t i = 0; i < 3; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "rateLimitType", rls[i][0]);
        cJSON_AddStringToObject(o, "interval", rls[i][1]);
        cJSON_AddNumberToObject(o, "intervalNum", atoi(rls[i][2]));
        cJSON_AddNumberToObject(o, "limit", atoi(rls[i][3]));
        cJSON_AddItemToArray(rl, o);
    }
    cJSON_AddArrayToObject(j, "exchangeFilters");
    cJSON *assets = cJSON_AddArrayToObject(j, "assets");
    cJSON *usdt = cJSON_CreateObject();
    cJSON_AddStringToObject(usdt, "asset", "USDT");
    cJSON_AddBoolToObject(usdt, "marginAvailable", 1);
    cJSON_AddNullToObject(usdt, "autoAssetExchange");
    cJSON_AddItemToArray(assets, usdt);
    cJSON *syms = cJSON_AddArrayToObject(j, "symbols");
    for (size_t i = 0; i < v->nsym; i++)
        cJSON_AddItemToArray(syms, symbol_info(&v->sym[i]));
    vn_json(out, 200, j);
}

void vn_dispatch(vn_venue *v, vn_request *r, vn_response *out)
{
    out->status = 200;
    out->action = VN_ANSWER;
    out->weight = 1; /* the control API sets 0; routes set their own */
    v->requests++;
    if (parse_params(r) != 0) {
        vn_error(out, 400, -1101, "Too many parameters sent for this endpoint.");
        return;
    }
    if (strncmp(r->path, "/_venue/", 8) == 0) {
        out->weight = 0;
        vn_control(v, r, out);
        return;
    }
    vn_path_apply(v);
    vn_fault *f = vn_fault_take(v, r, 0);
    int drop = 0;
    if (f) {
        switch (f->kind) {
        case VF_HTTP500: vn_error(out, 500, -1000, "An unknown error occurred while processing the request."); return;
        case VF_HTTP503:
            vn_error(out, 503, -1008,
                     "Server is currently overloaded with other requests. Please try again in a few minutes.");
            return;
        case VF_TIMEOUT: out->action = VN_HOLD; return;
        case VF_RATELIMIT:
            out->retry_after = f->retry_after > 0 ? f->retry_after : 1;
            vn_error(out, 429, -1003, "Too many requests; current limit of IP is 2400 requests per minute.");
            return;
        case VF_SKEW: vn_error(out, 400, -1021, "Timestamp for this request is outside of the recvWindow."); return;
        case VF_DROP: drop = VN_DROP; break;
        case VF_HOLD_APPLIED: drop = VN_HOLD; break;
        case VF_BACKEND: drop = -1; break;
        case VF_BAN:
            out->retry_after = f->retry_after > 0 ? f->retry_after : 1;
            vn_error(out, 418, -1003, "Way too many requests; IP banned until further notice.");
            return;
        default: break;
        }
    }
    vn_route(v, r, out);
    if (drop == -1) { /* whatever the route did, the client learns nothing */
        free(out->body);
        out->body = NULL;
        vn_error(out, 503, -1007,
                 "Timeout waiting for response from backend server. Send status unknown; execution status unknown.");
    } else if (drop)
        out->action = drop;
}
