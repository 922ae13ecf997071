#include "venue/rest.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/log.h"
#include "net/curluv.h"

struct gd_rest {
    uv_loop_t *loop;
    gd_curluv *cu;
    char *base;
    char *api_key;
    char key_header[160];
    const gd_signer *signer;
    long timeout_ms;
    long recv_window_ms;
    int64_t offset_ms;
    unsigned active;
    struct call *calls; /* in flight */
    char clock_why[256]; /* why the last clock sample failed ("" none) */
};

typedef struct call {
    gd_rest *r;
    CURL *easy;
    struct curl_slist *headers;
    char *url;
    char *body;                /* POST/PUT: the form */
    size_t body_len, body_off; /* how much of it curl has taken */
    gd_buf resp;
    gd_rest_cb cb;
    void *arg;
    long used_weight, order_count, retry_after;
    int too_big;
    int64_t sent_ms;
    uint64_t t0;
    char errbuf[CURL_ERROR_SIZE];
    struct call *prev, *next;
} call;

/* The form goes out through a read callback so that it can be refused a
 * rewind: libcurl resends a request by itself when a reused connection
 * turns out dead with nothing answered, and for an order that the venue may
 * have applied before the connection died, that is a blind retry (Binance's
 * client ids are unique among open orders only: a filled market order's id
 * can be used again). Refused, the request ends unknown and is looked up. */
static size_t read_body(char *buf, size_t size, size_t n, void *arg)
{
    call *c = arg;
    size_t want = size * n, left = c->body_len - c->body_off;
    if (want > left)
        want = left;
    memcpy(buf, c->body + c->body_off, want);
    c->body_off += want;
    return want;
}

static int seek_body(void *arg, curl_off_t off, int origin)
{
    call *c = arg;
    if (origin != SEEK_SET || off != 0 || c->body_off > 0)
        return CURL_SEEKFUNC_FAIL;
    return CURL_SEEKFUNC_OK;
}

static void call_free(call *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->headers);
    free(c->url);
    free(c->body);
    gd_buf_free(&c->resp);
    free(c);
}

static void unlink_call(gd_rest *r, call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        r->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    call *c = userp;
    size_t n = size * nmemb;
    if (c->resp.len + n > GD_REST_MAX_BODY) {
        c->too_big = 1;
        return 0; /* curl fails the transfer */
    }
    gd_buf_append(&c->resp, data, n);
    return c->resp.failed ? 0 : n;
}

static long header_long(const char *v, size_t n)
{
    char t[32];
    if (n >= sizeof t)
        n = sizeof t - 1;
    memcpy(t, v, n);
    t[n] = '\0';
    char *end;
    long x = strtol(t, &end, 10);
    return end == t || x < 0 ? -1 : x;
}

/* The rate-limit headers, whatever their case. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    call *c = userp;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);
    if (!colon)
        return n;
    size_t kl = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vl = n - kl - 1;
    while (vl && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (kl == 20 && !strncasecmp(data, "x-mbx-used-weight-1m", kl))
        c->used_weight = header_long(v, vl);
    else if (kl == 20 && !strncasecmp(data, "x-mbx-order-count-1m", kl))
        c->order_count = header_long(v, vl);
    else if (kl == 11 && !strncasecmp(data, "retry-after", kl))
        c->retry_after = header_long(v, vl);
    return n;
}

/* What a reply means. */
static void judge(call *c, CURLcode cc, gd_rest_reply *out)
{
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    out->status = status;
    if (cc != CURLE_OK || status == 0) {
        out->outcome = GD_REST_UNKNOWN;
        snprintf(out->msg, sizeof out->msg, "%s",
                 c->too_big     ? "reply too large"
                 : c->errbuf[0] ? c->errbuf
                                : curl_easy_strerror(cc));
        return;
    }
    gd_rest_judge(status, c->resp.p, c->resp.len, out);
}

void gd_rest_judge(long status, const char *body, size_t len, gd_rest_reply *out)
{
    out->status = status;
    out->code = 0;
    out->msg[0] = '\0';
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *code = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "code") : NULL;
    const cJSON *msg = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "msg") : NULL;
    /* Success bodies may carry "code" too (200 with code 200 on some
     * endpoints); only a negative code is an error. Binance's codes are
     * small integers: anything else is no code (and no overflowing cast). */
    if (cJSON_IsNumber(code) && code->valuedouble < 0 && code->valuedouble >= -100000)
        out->code = (int)code->valuedouble;
    if (cJSON_IsString(msg))
        snprintf(out->msg, sizeof out->msg, "%s", msg->valuestring);
    cJSON_Delete(root);
    if (status == 429 || status == 418)
        out->outcome = GD_REST_LIMITED;
    else if (status >= 500 || out->code == -1006 || out->code == -1007)
        out->outcome = GD_REST_UNKNOWN; /* the venue may have done it */
    else if (status >= 400 || out->code < 0)
        out->outcome = GD_REST_REJECTED;
    else
        out->outcome = GD_REST_OK;
    if (out->outcome != GD_REST_OK && !out->msg[0])
        snprintf(out->msg, sizeof out->msg, "HTTP %ld", status);
}

static void on_done(void *arg, CURL *easy, CURLcode cc)
{
    call *c = arg;
    gd_rest *r = c->r;
    (void)easy;
    gd_rest_reply rep;
    memset(&rep, 0, sizeof rep);
    judge(c, cc, &rep);
    rep.body = c->resp.p ? c->resp.p : "";
    rep.body_len = c->resp.len;
    rep.used_weight_1m = c->used_weight;
    rep.order_count_1m = c->order_count;
    rep.retry_after_s = c->retry_after;
    rep.seconds = (double)(uv_hrtime() - c->t0) / 1e9;
    rep.sent_ms = c->sent_ms;
    rep.received_ms = gd_wall_ms();
    unlink_call(r, c);
    r->active--;
    c->cb(c->arg, &rep);
    call_free(c);
}

int gd_rest_new(const gd_rest_opts *o, gd_rest **out, gd_err *err)
{
    *out = NULL;
    if (!o->loop || !o->base_url || !o->base_url[0])
        return gd_err_set(err, GD_EINVAL, "venue: a loop and a base URL are required");
    if (strncmp(o->base_url, "https://", 8) && strncmp(o->base_url, "http://127.0.0.1", 16) &&
        strncmp(o->base_url, "http://localhost", 16))
        return gd_err_set(err, GD_EINVAL, "venue: %s: https only (plain http only to the loopback venue)", o->base_url);
    if (o->api_key && strlen(o->api_key) > 128)
        return gd_err_set(err, GD_EINVAL, "venue: the API key is longer than any Binance key");
    gd_rest *r = calloc(1, sizeof *r);
    if (!r)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    r->loop = o->loop;
    r->signer = o->signer;
    r->timeout_ms = o->timeout_ms > 0 ? (long)o->timeout_ms : 10000;
    r->recv_window_ms = o->recv_window_ms > 0 ? (long)o->recv_window_ms : 5000;
    size_t bl = strlen(o->base_url);
    while (bl && o->base_url[bl - 1] == '/')
        bl--;
    r->base = strndup(o->base_url, bl);
    r->api_key = o->api_key ? strdup(o->api_key) : NULL;
    if (!r->base || (o->api_key && !r->api_key)) {
        gd_rest_close(r);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    if (r->api_key)
        snprintf(r->key_header, sizeof r->key_header, "X-MBX-APIKEY: %s", r->api_key);
    int rc = gd_curluv_new(o->loop, "venue", &r->cu, err);
    if (rc) {
        gd_rest_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void gd_rest_set_offset(gd_rest *r, int64_t offset_ms) { r->offset_ms = offset_ms; }
int64_t gd_rest_offset(const gd_rest *r) { return r->offset_ms; }
unsigned gd_rest_active(const gd_rest *r) { return r->active; }

/* Appends recvWindow, timestamp and the signature to q. */
static int sign_into(gd_rest *r, gd_buf *q, gd_err *err)
{
    if (!r->signer)
        return gd_err_set(err, GD_ESTATE, "venue: a signed request without a key");
    gd_buf_printf(q, "%srecvWindow=%ld&timestamp=%" PRId64, q->len ? "&" : "", r->recv_window_ms,
                  gd_wall_ms() + r->offset_ms);
    if (q->failed)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    char sig[GD_SIGN_MAX];
    int n = gd_sign(r->signer, q->p, q->len, sig, err);
    if (n < 0)
        return n;
    gd_buf_puts(q, "&signature=");
    /* base64 (Ed25519) has + / =: percent-encoded; hex passes as it is */
    for (int i = 0; i < n; i++) {
        char ch = sig[i];
        if (isalnum((unsigned char)ch))
            gd_buf_append(q, &ch, 1);
        else
            gd_buf_printf(q, "%%%02X", (unsigned char)ch);
    }
    return q->failed ? gd_err_set(err, GD_ENOMEM, "out of memory") : 0;
}

int gd_rest_call(gd_rest *r, const char *method, const char *path, const char *params, int sign, gd_rest_cb cb,
                 void *arg, gd_err *err)
{
    int body_params = !strcmp(method, "POST") || !strcmp(method, "PUT");
    if (!body_params && strcmp(method, "GET") && strcmp(method, "DELETE"))
        return gd_err_set(err, GD_EINVAL, "venue: method %s", method);
    if (!path || path[0] != '/')
        return gd_err_set(err, GD_EINVAL, "venue: path must start with /");
    call *c = calloc(1, sizeof *c);
    gd_buf q = GD_BUF_INIT, url = GD_BUF_INIT;
    int rc;
    if (!c)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    c->r = r;
    c->cb = cb;
    c->arg = arg;
    c->used_weight = c->order_count = c->retry_after = -1;
    gd_buf_puts(&q, params ? params : "");
    if (sign && (rc = sign_into(r, &q, err)) != 0)
        goto fail;
    gd_buf_printf(&url, "%s%s", r->base, path);
    if (!body_params && q.len)
        gd_buf_printf(&url, "?%s", q.p);
    if (url.failed || q.failed) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    c->url = gd_buf_take(&url);
    if (body_params)
        c->body = q.p ? gd_buf_take(&q) : strdup("");
    if (c->body)
        c->body_len = strlen(c->body);
    if (!(c->easy = curl_easy_init()) || (body_params && !c->body)) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    if (r->api_key && !(c->headers = curl_slist_append(c->headers, r->key_header))) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    if (body_params) {
        /* No "Expect: 100-continue": one round trip, the body at once. */
        struct curl_slist *h = curl_slist_append(c->headers, "Content-Type: application/x-www-form-urlencoded");
        if (h) {
            c->headers = h;
            h = curl_slist_append(c->headers, "Expect:");
        }
        if (!h) {
            rc = gd_err_set(err, GD_ENOMEM, "out of memory");
            goto fail;
        }
        c->headers = h;
    }
    int ok =
        curl_easy_setopt(c->easy, CURLOPT_URL, c->url) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, r->timeout_ms) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "gordon/" GD_VERSION) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, (void *)c) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, (void *)c) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf) == CURLE_OK &&
        curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK &&
        (!body_params || (curl_easy_setopt(c->easy, CURLOPT_POST, 1L) == CURLE_OK &&
                          curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, read_body) == CURLE_OK &&
                          curl_easy_setopt(c->easy, CURLOPT_READDATA, (void *)c) == CURLE_OK &&
                          curl_easy_setopt(c->easy, CURLOPT_SEEKFUNCTION, seek_body) == CURLE_OK &&
                          curl_easy_setopt(c->easy, CURLOPT_SEEKDATA, (void *)c) == CURLE_OK &&
                          curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len) == CURLE_OK));
    if (!ok) {
        rc = gd_err_set(err, GD_EINVAL, "venue: setting curl options failed");
        goto fail;
    }
    c->t0 = uv_hrtime();
    c->sent_ms = gd_wall_ms();
    if ((rc = gd_curluv_add(r->cu, c->easy, on_done, c, err)) != 0)
        goto fail;
    c->next = r->calls;
    if (r->calls)
        r->calls->prev = c;
    r->calls = c;
    r->active++;
    gd_buf_free(&q);
    return 0;
fail:
    gd_buf_free(&q);
    gd_buf_free(&url);
    call_free(c);
    return rc;
}

/* ------------------------------------------------------------ server time */

#define CLOCK_MAX_SAMPLES 15

typedef struct clock_sync {
    gd_rest *r;
    int n, sent, got, answered;
    int64_t offsets[CLOCK_MAX_SAMPLES];
    void (*done)(void *arg, int rc, int64_t offset_ms);
    void *arg;
} clock_sync;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void clock_next(clock_sync *s);

static void on_time(void *arg, const gd_rest_reply *rep)
{
    clock_sync *s = arg;
    s->answered++;
    if (rep->outcome == GD_REST_OK) {
        cJSON *root = cJSON_ParseWithLength(rep->body, rep->body_len);
        const cJSON *t = root ? cJSON_GetObjectItemCaseSensitive(root, "serverTime") : NULL;
        if (cJSON_IsNumber(t) && t->valuedouble > 0 && t->valuedouble < 9e15) {
            /* the server read its clock about halfway through the round trip */
            int64_t mid = rep->sent_ms + (rep->received_ms - rep->sent_ms) / 2;
            s->offsets[s->got++] = (int64_t)t->valuedouble - mid;
        } else {
            snprintf(s->r->clock_why, sizeof s->r->clock_why, "HTTP %ld without a usable serverTime", rep->status);
        }
        cJSON_Delete(root);
    } else if (rep->status) {
        snprintf(s->r->clock_why, sizeof s->r->clock_why, "HTTP %ld%s%s", rep->status, rep->msg[0] ? ": " : "",
                 rep->msg);
    } else {
        snprintf(s->r->clock_why, sizeof s->r->clock_why, "%s", rep->msg[0] ? rep->msg : "no answer");
    }
    clock_next(s);
}

static void clock_next(clock_sync *s)
{
    gd_err err;
    while (s->sent < s->n) {
        s->sent++;
        if (gd_rest_call(s->r, "GET", "/fapi/v1/time", "", 0, on_time, s, &err) == 0)
            return; /* one at a time: each sample's round trip its own */
        snprintf(s->r->clock_why, sizeof s->r->clock_why, "%s", err.msg);
        s->answered++;
    }
    if (s->answered < s->n)
        return;
    int rc = 0;
    int64_t off = s->r->offset_ms;
    if (s->got * 2 < s->n) {
        rc = GD_EIO;
    } else {
        qsort(s->offsets, (size_t)s->got, sizeof s->offsets[0], cmp_i64);
        off = s->offsets[s->got / 2];
        s->r->offset_ms = off;
    }
    void (*done)(void *, int, int64_t) = s->done;
    void *arg = s->arg;
    free(s);
    done(arg, rc, off);
}

int gd_rest_sync_clock(gd_rest *r, int n, void (*done)(void *arg, int rc, int64_t offset_ms), void *arg, gd_err *err)
{
    if (n < 1 || n > CLOCK_MAX_SAMPLES)
        return gd_err_set(err, GD_ERANGE, "venue: 1 to %d time samples", CLOCK_MAX_SAMPLES);
    clock_sync *s = calloc(1, sizeof *s);
    if (!s)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    s->r = r;
    s->n = n;
    s->done = done;
    s->arg = arg;
    r->clock_why[0] = '\0';
    clock_next(s);
    return 0;
}

const char *gd_rest_clock_why(const gd_rest *r) { return r->clock_why[0] ? r->clock_why : "no sample failed"; }

/* ------------------------------------------------------------ close */

static void on_cu_closed(void *arg)
{
    gd_rest *r = arg;
    if (r->api_key) {
        OPENSSL_cleanse(r->api_key, strlen(r->api_key));
        free(r->api_key);
    }
    OPENSSL_cleanse(r->key_header, sizeof r->key_header);
    free(r->base);
    free(r);
}

void gd_rest_close(gd_rest *r)
{
    if (!r)
        return;
    while (r->calls) {
        call *c = r->calls;
        gd_curluv_cancel(r->cu, c->easy);
        unlink_call(r, c);
        call_free(c);
    }
    r->active = 0;
    if (r->cu)
        gd_curluv_close(r->cu, on_cu_closed, r);
    else
        on_cu_closed(r);
}
