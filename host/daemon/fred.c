/* FRED client: libcurl multi on libuv in the pattern of curl's
 * docs/examples/multi-uv.c. curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> one uv_poll_t each) and when to call it back
 * (CURLMOPT_TIMERFUNCTION -> one uv_timer_t); we hand readiness back with
 * curl_multi_socket_action and collect finished transfers with
 * curl_multi_info_read. Nothing here blocks the loop.
 *
 * Lifetime: every uv handle is counted in open_handles; gd_fred_stop closes
 * them all and the last close callback frees the object, so callbacks that
 * libuv still has queued never see freed memory. The API key is kept only to
 * build request URLs and to redact it from any text we hand out or log. */
#include "daemon/fred.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "base/dates.h"
#include "base/json.h"
#include "base/log.h"

#define GD_FRED_DEFAULT_TIMEOUT_MS 10000u
#define GD_FRED_REDACTED "<redacted>"

typedef struct gd_fred_sock {
    uv_poll_t poll; /* handle.data points back to this context */
    curl_socket_t fd;
    gd_fred *f;
    struct gd_fred_sock *prev, *next;
} gd_fred_sock;

typedef struct gd_fred_xfer {
    gd_fred *f;
    CURL *easy;
    char *series;
    char *log_url; /* the request URL with the key replaced, for logs */
    char *buf;     /* response body, NUL-terminated */
    size_t len, cap;
    int active;    /* currently added to the multi handle */
    int too_big;   /* the write callback refused more data */
    int oom;
    char errbuf[CURL_ERROR_SIZE];
    char msg[1024];
} gd_fred_xfer;

struct gd_fred {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t curl_timer; /* curl's own timeouts */
    uv_timer_t round_timer; /* the next round (0 ms at start, poll_ms after) */
    gd_fred_xfer *xfers;
    size_t n;
    size_t pending; /* transfers of the current round not yet reported */
    gd_fred_sock *socks;
    gd_fred_cb cb;
    void *user;
    char *key;
    char *key_esc;
    uint64_t poll_ms;
    size_t max_body;
    int stopping;
    int open_handles;
    void (*on_closed)(void *arg);
    void *closed_arg;
};

/* ---- dates and numbers ---------------------------------------------- */

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Strict "YYYY-MM-DD" -> UTC midnight in ms: exact for any year, no
 * timegm/TZ dependence. */
static int parse_date(const char *s, int64_t *t_ms)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return -1;
    int dim = mdays[m - 1] + (m == 2 && is_leap(y));
    if (d > dim)
        return -1;
    *t_ms = gd_days_from_civil(y, (unsigned)m, (unsigned)d) * GD_DAY_MS;
    return 0;
}

/* A plain decimal number: strtod alone would also take hex, "inf", "nan"
 * and leading blanks, none of which FRED sends. */
static int parse_value(const char *s, double *v)
{
    if (!*s)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr("+-.eE", *p))
            return -1;
    char *end = NULL;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(x))
        return -1;
    *v = x;
    return 0;
}

int gd_fred_parse(const char *json, size_t len, gd_fred_obs **obs, size_t *n, gd_err *err)
{
    gd_fred_obs *out = NULL;
    size_t k = 0;
    int rc;
    const char *end = NULL;
    cJSON *root = NULL;

    if (!obs || !n)
        return gd_err_set(err, GD_EINVAL, "fred: parse: NULL output");
    *obs = NULL;
    *n = 0;
    if (!json)
        return gd_err_set(err, GD_EINVAL, "fred: parse: NULL input");

    /* ParseWithLengthOpts reports the error position itself (no global). */
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t off = end && end >= json ? (size_t)(end - json) : 0;
        return gd_err_set(err, GD_EPARSE, "invalid JSON at byte %zu of %zu", off, len);
    }
    if (!cJSON_IsObject(root)) {
        rc = gd_err_set(err, GD_EPARSE, "top level: not a JSON object");
        goto fail;
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "observations");
    if (!cJSON_IsArray(arr)) {
        rc = gd_err_set(err, GD_EPARSE, "observations: %s", arr ? "not an array" : "missing");
        goto fail;
    }
    int count = cJSON_GetArraySize(arr);
    if (count > 0) {
        out = malloc((size_t)count * sizeof *out);
        if (!out) {
            rc = gd_err_set(err, GD_ENOMEM, "observations: out of memory for %d entries", count);
            goto fail;
        }
    }

    int i = 0;
    int64_t prev = 0;
    const char *prev_date = NULL;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        if (!cJSON_IsObject(o)) {
            rc = gd_err_set(err, GD_EPARSE, "observations[%d]: not an object", i);
            goto fail;
        }
        const cJSON *jd = cJSON_GetObjectItemCaseSensitive(o, "date");
        const cJSON *jv = cJSON_GetObjectItemCaseSensitive(o, "value");
        if (!cJSON_IsString(jd)) {
            rc = gd_err_set(err, GD_EPARSE, "observations[%d].date: %s", i,
                            jd ? "not a string" : "missing");
            goto fail;
        }
        int64_t t;
        if (parse_date(jd->valuestring, &t) != 0) {
            rc = gd_err_set(err, GD_EPARSE, "observations[%d].date: not a valid YYYY-MM-DD date '%.40s'", i,
                            jd->valuestring);
            goto fail;
        }
        /* Missing values still count for the order check: a shuffled reply
         * is wrong whatever the values. */
        if (prev_date && t <= prev) {
            rc = gd_err_set(err, GD_EPARSE,
                            "observations[%d].date: %s is not after %s (observations must be in increasing date order)",
                            i, jd->valuestring, prev_date);
            goto fail;
        }
        if (!cJSON_IsString(jv)) {
            rc = gd_err_set(err, GD_EPARSE, "observations[%d].value: %s", i,
                            jv ? "not a string" : "missing");
            goto fail;
        }
        prev = t;
        prev_date = jd->valuestring;
        i++;
        if (strcmp(jv->valuestring, ".") == 0)
            continue; /* FRED's marker for no observation (holiday, not yet published) */
        double v;
        if (parse_value(jv->valuestring, &v) != 0) {
            rc = gd_err_set(err, GD_EPARSE, "observations[%d].value: not a number '%.40s'", i - 1,
                            jv->valuestring);
            goto fail;
        }
        out[k].t_ms = t;
        out[k].value = v;
        k++;
    }
    cJSON_Delete(root);
    if (k == 0) {
        free(out);
        out = NULL;
    }
    *obs = out;
    *n = k;
    return 0;

fail:
    free(out);
    cJSON_Delete(root);
    return rc;
}

/* ---- helpers ----------------------------------------------------------- */

/* Replaces every occurrence of needle in s (capacity cap) with GD_FRED_REDACTED. */
static void redact_one(char *s, size_t cap, const char *needle)
{
    size_t nl = needle ? strlen(needle) : 0;
    if (nl == 0)
        return;
    char tmp[2048];
    if (cap > sizeof tmp)
        cap = sizeof tmp;
    for (int guard = 0; guard < 64; guard++) {
        char *hit = strstr(s, needle);
        if (!hit)
            return;
        snprintf(tmp, cap, "%.*s%s%s", (int)(hit - s), s, GD_FRED_REDACTED, hit + nl);
        memcpy(s, tmp, strlen(tmp) + 1);
    }
}

static void redact(const gd_fred *f, char *s, size_t cap)
{
    redact_one(s, cap, f->key);
    redact_one(s, cap, f->key_esc);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static char *build_url(const char *base, size_t base_len, const char *id_esc, const char *key_esc,
                       const char *start_esc)
{
#define GD_FRED_URL_FMT "%.*s/fred/series/observations?series_id=%s&api_key=%s&file_type=json%s%s"
    const char *sp = start_esc ? "&observation_start=" : "";
    const char *sv = start_esc ? start_esc : "";
    int need = snprintf(NULL, 0, GD_FRED_URL_FMT, (int)base_len, base, id_esc, key_esc, sp, sv);
    if (need < 0)
        return NULL;
    char *url = malloc((size_t)need + 1);
    if (url)
        snprintf(url, (size_t)need + 1, GD_FRED_URL_FMT, (int)base_len, base, id_esc, key_esc, sp, sv);
    return url;
}

static void log_series(int level, const gd_fred_xfer *x, const char *what, const char *detail)
{
    if (!gd_log_enabled(level))
        return;
    char esc[256], fields[320];
    gd_json_escape(esc, sizeof esc, x->series);
    snprintf(fields, sizeof fields, "\"series\":\"%s\"", esc);
    gd_log(level, "fred", fields, "%s%s", what, detail);
}

/* ---- teardown ---------------------------------------------------------- */

static void fred_free(gd_fred *f)
{
    for (size_t i = 0; i < f->n; i++) {
        gd_fred_xfer *x = &f->xfers[i];
        if (x->easy)
            curl_easy_cleanup(x->easy);
        free(x->series);
        free(x->log_url);
        free(x->buf);
    }
    free(f->xfers);
    if (f->key) /* scrub the secret before handing the memory back */
        explicit_bzero(f->key, strlen(f->key));
    if (f->key_esc)
        explicit_bzero(f->key_esc, strlen(f->key_esc));
    free(f->key);
    free(f->key_esc);
    free(f);
}

static void handle_closed(gd_fred *f)
{
    if (--f->open_handles > 0 || !f->stopping)
        return;
    void (*cb)(void *) = f->on_closed;
    void *arg = f->closed_arg;
    fred_free(f);
    if (cb)
        cb(arg);
}

static void on_timer_closed(uv_handle_t *h) { handle_closed(h->data); }

static void on_sock_closed(uv_handle_t *h)
{
    gd_fred_sock *sk = h->data;
    gd_fred *f = sk->f;
    free(sk);
    handle_closed(f);
}

static void sock_close(gd_fred_sock *sk)
{
    gd_fred *f = sk->f;
    if (sk->prev)
        sk->prev->next = sk->next;
    else
        f->socks = sk->next;
    if (sk->next)
        sk->next->prev = sk->prev;
    uv_poll_stop(&sk->poll);
    uv_close((uv_handle_t *)&sk->poll, on_sock_closed);
}

static void on_round(uv_timer_t *t);

/* ---- results ----------------------------------------------------------- */

/* Reports one finished (or failed to start) transfer; the callback may call
 * gd_fred_stop, so nothing after it may assume the multi handle exists. */
static void report(gd_fred *f, gd_fred_xfer *x, gd_fred_result *r)
{
    if (!r->ok) {
        redact(f, x->msg, sizeof x->msg);
        r->error = x->msg;
        log_series(GD_LOG_WARN, x, "fetch failed: ", x->msg);
    }
    if (f->pending > 0)
        f->pending--;
    f->cb(f->user, r);
    /* The next round is timed from the end of this one, so a slow server
     * never has two rounds in flight. */
    if (!f->stopping && f->pending == 0 && f->poll_ms > 0)
        uv_timer_start(&f->round_timer, on_round, f->poll_ms, 0);
}

static void fred_error_body(gd_fred_xfer *x, long status, gd_fred_result *r)
{
    cJSON *root = x->buf ? cJSON_ParseWithLength(x->buf, x->len) : NULL;
    const cJSON *m = root ? cJSON_GetObjectItemCaseSensitive(root, "error_message") : NULL;
    if (cJSON_IsString(m) && m->valuestring[0]) {
        snprintf(x->msg, sizeof x->msg, "%s", m->valuestring);
        /* FRED answers a missing, malformed or unknown key with 400 and a
         * message naming the api_key variable. */
        if ((status == 400 || status == 401 || status == 403) && strstr(m->valuestring, "api_key"))
            r->auth = 1;
    } else {
        snprintf(x->msg, sizeof x->msg, "HTTP %ld without a FRED error message", status);
    }
    cJSON_Delete(root);
}

static void finish(gd_fred *f, gd_fred_xfer *x, CURLcode cc)
{
    gd_fred_result r = {.series = x->series};
    gd_fred_obs *obs = NULL;
    size_t n = 0;
    long status = 0;

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    r.http_status = status;
    if (x->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(x->msg, sizeof x->msg, "response larger than the %zu byte limit, aborted", f->max_body);
    } else if (x->oom) {
        snprintf(x->msg, sizeof x->msg, "out of memory reading the response");
    } else if (cc != CURLE_OK) {
        snprintf(x->msg, sizeof x->msg, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
    } else if (status == 200) {
        gd_err e;
        if (gd_fred_parse(x->buf ? x->buf : "", x->len, &obs, &n, &e) == 0) {
            r.ok = 1;
            r.obs = obs;
            r.n = n;
        } else {
            snprintf(x->msg, sizeof x->msg, "%s", e.msg);
        }
    } else {
        fred_error_body(x, status, &r);
    }
    report(f, x, &r);
    free(obs);
    /* Do not hold up to max_body per series between polls. */
    free(x->buf);
    x->buf = NULL;
    x->len = x->cap = 0;
}

static void check_multi_info(gd_fred *f)
{
    CURLMsg *m;
    int left;
    while (!f->stopping && (m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        /* m is invalid after curl_multi_remove_handle: copy what we need. */
        CURL *easy = m->easy_handle;
        CURLcode cc = m->data.result;
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        gd_fred_xfer *x = (gd_fred_xfer *)(void *)priv;
        curl_multi_remove_handle(f->multi, easy);
        x->active = 0;
        finish(f, x, cc);
    }
}

/* ---- curl <-> libuv ---------------------------------------------------- */

static void on_poll(uv_poll_t *h, int status, int events)
{
    gd_fred_sock *sk = h->data;
    gd_fred *f = sk->f;
    int flags = 0, running;
    if (f->stopping)
        return;
    if (status < 0)
        flags = CURL_CSELECT_ERR; /* let curl find out what broke */
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    /* sk may be closed by curl's socket callback inside this call; it stays
     * allocated until its close callback, and we do not touch it again. */
    curl_multi_socket_action(f->multi, sk->fd, flags, &running);
    check_multi_info(f);
}

static void on_curl_timeout(uv_timer_t *t)
{
    gd_fred *f = t->data;
    int running;
    if (f->stopping)
        return;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(f);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    gd_fred *f = userp;
    (void)multi;
    if (timeout_ms < 0 || f->stopping) {
        uv_timer_stop(&f->curl_timer);
        return 0;
    }
    /* 0 means "call socket_action now": never from inside curl's callback,
     * so on the next loop iteration (as multi-uv.c does). */
    if (timeout_ms == 0)
        timeout_ms = 1;
    return uv_timer_start(&f->curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0) == 0 ? 0 : -1;
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int action, void *userp, void *socketp)
{
    gd_fred *f = userp;
    gd_fred_sock *sk = socketp;
    int events = 0;
    (void)easy;

    switch (action) {
    case CURL_POLL_IN:
    case CURL_POLL_OUT:
    case CURL_POLL_INOUT:
        if (f->stopping)
            return 0;
        if (!sk) {
            sk = calloc(1, sizeof *sk);
            if (!sk)
                return -1;
            if (uv_poll_init_socket(f->loop, &sk->poll, s) != 0) {
                free(sk);
                return -1;
            }
            sk->fd = s;
            sk->f = f;
            sk->poll.data = sk;
            sk->next = f->socks;
            if (f->socks)
                f->socks->prev = sk;
            f->socks = sk;
            f->open_handles++;
            curl_multi_assign(f->multi, s, sk);
        }
        if (action != CURL_POLL_IN)
            events |= UV_WRITABLE;
        if (action != CURL_POLL_OUT)
            events |= UV_READABLE;
        if (uv_poll_start(&sk->poll, events, on_poll) != 0)
            return -1;
        break;
    case CURL_POLL_REMOVE:
        if (sk) {
            /* During teardown curl is dropping its socket hash anyway. */
            if (!f->stopping)
                curl_multi_assign(f->multi, s, NULL);
            sock_close(sk);
        }
        break;
    default:
        break;
    }
    return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    gd_fred_xfer *x = userp;
    size_t n = size * nmemb;
    size_t max = x->f->max_body;
    if (n > max - x->len) {
        x->too_big = 1;
        return 0; /* a short count makes curl abort with CURLE_WRITE_ERROR */
    }
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 16384;
        while (cap < x->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *p = realloc(x->buf, cap);
        if (!p) {
            x->oom = 1;
            return 0;
        }
        x->buf = p;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return n;
}

/* ---- rounds ------------------------------------------------------------ */

static void on_round(uv_timer_t *t)
{
    gd_fred *f = t->data;
    if (f->stopping)
        return;
    f->pending = f->n;
    for (size_t i = 0; i < f->n && !f->stopping; i++) {
        gd_fred_xfer *x = &f->xfers[i];
        x->len = 0;
        x->too_big = 0;
        x->oom = 0;
        x->errbuf[0] = '\0';
        x->msg[0] = '\0';
        if (x->buf)
            x->buf[0] = '\0';
        log_series(GD_LOG_DEBUG, x, "GET ", x->log_url);
        CURLMcode mc = curl_multi_add_handle(f->multi, x->easy);
        if (mc == CURLM_OK) {
            x->active = 1;
            continue;
        }
        gd_fred_result r = {.series = x->series};
        snprintf(x->msg, sizeof x->msg, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
        report(f, x, &r);
    }
}

void gd_fred_stop(gd_fred *f, void (*on_closed)(void *arg), void *arg)
{
    if (!f || f->stopping)
        return;
    f->stopping = 1;
    f->on_closed = on_closed;
    f->closed_arg = arg;
    uv_timer_stop(&f->round_timer);
    for (size_t i = 0; i < f->n; i++) {
        if (f->xfers[i].active) {
            curl_multi_remove_handle(f->multi, f->xfers[i].easy);
            f->xfers[i].active = 0;
        }
    }
    /* May call the socket and timer callbacks for cached connections; both
     * cope with stopping and the handles are still open. */
    curl_multi_cleanup(f->multi);
    f->multi = NULL;
    uv_timer_stop(&f->curl_timer);
    while (f->socks)
        sock_close(f->socks);
    uv_close((uv_handle_t *)&f->curl_timer, on_timer_closed);
    uv_close((uv_handle_t *)&f->round_timer, on_timer_closed);
}

/* ---- start ------------------------------------------------------------- */

static int setup_easy(gd_fred *f, gd_fred_xfer *x, const char *base, size_t base_len, const char *start,
                      uint64_t timeout_ms, gd_err *err)
{
    char *id_esc = NULL, *start_esc = NULL, *url = NULL;
    int rc = GD_ENOMEM;

    x->f = f;
    x->easy = curl_easy_init();
    if (!x->easy) {
        rc = gd_err_set(err, GD_ENOMEM, "fred: curl_easy_init failed");
        goto out;
    }
    if (!f->key_esc) {
        /* Our own copy so fred_free can scrub it (curl_free cannot). */
        char *e = curl_easy_escape(x->easy, f->key, 0);
        f->key_esc = e ? dup_str(e) : NULL;
        if (e) {
            explicit_bzero(e, strlen(e));
            curl_free(e);
        }
        if (!f->key_esc) {
            rc = gd_err_set(err, GD_ENOMEM, "fred: out of memory");
            goto out;
        }
    }
    id_esc = curl_easy_escape(x->easy, x->series, 0);
    if (start)
        start_esc = curl_easy_escape(x->easy, start, 0);
    if (!id_esc || (start && !start_esc)) {
        rc = gd_err_set(err, GD_ENOMEM, "fred: out of memory");
        goto out;
    }
    url = build_url(base, base_len, id_esc, f->key_esc, start_esc);
    x->log_url = build_url(base, base_len, id_esc, GD_FRED_REDACTED, start_esc);
    if (!url || !x->log_url) {
        rc = gd_err_set(err, GD_ENOMEM, "fred: out of memory");
        goto out;
    }
    long tmo = timeout_ms > (uint64_t)LONG_MAX ? LONG_MAX : (long)timeout_ms;
    curl_off_t max = f->max_body > (size_t)INT64_MAX ? (curl_off_t)INT64_MAX : (curl_off_t)f->max_body;
    /* The URL is copied by curl; no redirects (a redirect would carry the key
     * elsewhere), http(s) only, no signals (we are not the only thread). */
    int ok = curl_easy_setopt(x->easy, CURLOPT_URL, url) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, tmo) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
#if LIBCURL_VERSION_NUM >= 0x075500
             curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
#else
             curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK &&
#endif
             curl_easy_setopt(x->easy, CURLOPT_MAXFILESIZE_LARGE, max) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "gordon/" GD_VERSION) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_write) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, (void *)x) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK &&
             curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (void *)x) == CURLE_OK;
    if (!ok) {
        rc = gd_err_set(err, GD_EINVAL, "fred: %s: setting curl options failed", x->series);
        goto out;
    }
    rc = 0;
out:
    if (url) { /* scrub: it holds the key */
        explicit_bzero(url, strlen(url));
        free(url);
    }
    curl_free(id_esc);
    curl_free(start_esc);
    return rc;
}

int gd_fred_start(uv_loop_t *loop, const gd_fred_conf *conf, const char *const *series, size_t n,
                  gd_fred_cb cb, void *user, gd_fred **out, gd_err *err)
{
    /* curl_global_init is not thread-safe: it runs once here, and the host
     * starts FRED from its main thread before any other libcurl user. */
    static int curl_ready;
    gd_fred *f = NULL;
    int rc;
    int64_t t;

    if (out)
        *out = NULL;
    if (!loop || !conf || !cb || !out)
        return gd_err_set(err, GD_EINVAL, "fred: missing loop, config, callback or output");
    if (!conf->api_key || !conf->api_key[0])
        return gd_err_set(err, GD_EINVAL, "fred: api_key is required");
    if (!series || n == 0)
        return gd_err_set(err, GD_EINVAL, "fred: no series to fetch");
    for (size_t i = 0; i < n; i++)
        if (!series[i] || !series[i][0])
            return gd_err_set(err, GD_EINVAL, "fred: series[%zu] is empty", i);
    if (conf->observation_start && parse_date(conf->observation_start, &t) != 0)
        return gd_err_set(err, GD_EINVAL, "fred: observation_start '%.40s' is not a YYYY-MM-DD date",
                          conf->observation_start);
    const char *base = conf->base_url && conf->base_url[0] ? conf->base_url : GD_FRED_DEFAULT_URL;
    size_t base_len = strlen(base);
    while (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
    if (base_len > INT_MAX / 2)
        return gd_err_set(err, GD_EINVAL, "fred: base_url too long");

    if (!curl_ready) {
        CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (cc != CURLE_OK)
            return gd_err_set(err, GD_EIO, "fred: curl_global_init: %s", curl_easy_strerror(cc));
        curl_ready = 1;
    }

    f = calloc(1, sizeof *f);
    if (!f)
        return gd_err_set(err, GD_ENOMEM, "fred: out of memory");
    f->loop = loop;
    f->cb = cb;
    f->user = user;
    f->poll_ms = conf->poll_ms;
    f->max_body = conf->max_body ? conf->max_body : GD_FRED_DEFAULT_MAX_BODY;
    f->key = dup_str(conf->api_key);
    f->xfers = calloc(n, sizeof *f->xfers);
    if (!f->key || !f->xfers) {
        rc = gd_err_set(err, GD_ENOMEM, "fred: out of memory");
        goto fail;
    }
    f->n = n;
    uint64_t tmo = conf->timeout_ms ? conf->timeout_ms : GD_FRED_DEFAULT_TIMEOUT_MS;
    for (size_t i = 0; i < n; i++) {
        f->xfers[i].series = dup_str(series[i]);
        if (!f->xfers[i].series) {
            rc = gd_err_set(err, GD_ENOMEM, "fred: out of memory");
            goto fail;
        }
        rc = setup_easy(f, &f->xfers[i], base, base_len, conf->observation_start, tmo, err);
        if (rc < 0)
            goto fail;
    }
    f->multi = curl_multi_init();
    if (!f->multi) {
        rc = gd_err_set(err, GD_ENOMEM, "fred: curl_multi_init failed");
        goto fail;
    }
    if (curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, (void *)f) != CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, (void *)f) != CURLM_OK) {
        rc = gd_err_set(err, GD_EINVAL, "fred: curl_multi_setopt failed");
        goto fail;
    }

    /* From here on the object is owned by the loop: uv_timer_init cannot
     * fail, and the first round starts on the next iteration so that no
     * callback runs before the caller has *out. */
    uv_timer_init(loop, &f->curl_timer);
    uv_timer_init(loop, &f->round_timer);
    f->curl_timer.data = f;
    f->round_timer.data = f;
    f->open_handles = 2;
    uv_timer_start(&f->round_timer, on_round, 0, 0);
    *out = f;
    return 0;

fail:
    if (f->multi)
        curl_multi_cleanup(f->multi);
    fred_free(f);
    return rc;
}
