/* FRED client: libcurl on the loop through net/curluv (curl's multi-uv.c
 * pattern). Nothing here blocks the loop.
 *
 * Lifetime: the round timer and the curl driver are counted in
 * open_handles; gd_fred_stop closes both and the last close frees the
 * object, so callbacks that libuv still has queued never see freed memory. The API key is kept only to
 * build request URLs and to redact it from any text we hand out or log.
 * The reply parser is in fred_parse.c. A libuv call failing inside a curl
 * callback is logged and reported to curl, which fails the transfer; one
 * failing at start is an error returned to the caller. */
#include "daemon/fred.h"
#include "daemon/fred_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "base/json.h"
#include "base/log.h"
#include "net/curluv.h"

#define GD_FRED_DEFAULT_TIMEOUT_MS 10000u
#define GD_FRED_REDACTED "<redacted>"
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
    gd_curluv *cu;         /* the transfers, on the loop */
    uv_timer_t round_timer; /* the next round (0 ms at start, poll_ms after) */
    gd_fred_xfer *xfers;
    size_t n;
    size_t pending; /* transfers of the current round not yet reported */
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
    if (!f->stopping && f->pending == 0 && f->poll_ms > 0) {
        int rc = uv_timer_start(&f->round_timer, on_round, f->poll_ms, 0);
        if (rc < 0) /* cannot happen for an open timer; if it did, polling would silently stop */
            gd_log(GD_LOG_ERROR, "fred", NULL, "polling stopped: uv_timer_start: %s", uv_strerror(rc));
    }
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

static void on_done(void *arg, CURL *easy, CURLcode cc)
{
    gd_fred_xfer *x = arg;
    (void)easy;
    x->active = 0;
    finish(x->f, x, cc);
}

static void on_cu_closed(void *arg) { handle_closed(arg); }

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
        gd_err e;
        if (gd_curluv_add(f->cu, x->easy, on_done, x, &e) == 0) {
            x->active = 1;
            continue;
        }
        gd_fred_result r = {.series = x->series};
        snprintf(x->msg, sizeof x->msg, "%s", e.msg);
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
    (void)uv_timer_stop(&f->round_timer); /* always 0 */
    for (size_t i = 0; i < f->n; i++)
        f->xfers[i].active = 0;
    gd_curluv_close(f->cu, on_cu_closed, f); /* aborts what is in flight */
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
             curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
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

static int check_args(const uv_loop_t *loop, const gd_fred_conf *conf, const char *const *series, size_t n,
                      gd_fred_cb cb, gd_fred **out, gd_err *err)
{
    int64_t t;
    if (!loop || !conf || !cb || !out)
        return gd_err_set(err, GD_EINVAL, "fred: missing loop, config, callback or output");
    if (!conf->api_key || !conf->api_key[0])
        return gd_err_set(err, GD_EINVAL, "fred: api_key is required");
    if (!series || n == 0)
        return gd_err_set(err, GD_EINVAL, "fred: no series to fetch");
    for (size_t i = 0; i < n; i++)
        if (!series[i] || !series[i][0])
            return gd_err_set(err, GD_EINVAL, "fred: series[%zu] is empty", i);
    if (conf->observation_start && gd_fred_parse_date(conf->observation_start, &t) != 0)
        return gd_err_set(err, GD_EINVAL, "fred: observation_start '%.40s' is not a YYYY-MM-DD date",
                          conf->observation_start);
    return 0;
}

/* Everything but the loop's handles: the key, one easy handle per series.
 * On failure nothing is left. */
static int fred_new(uv_loop_t *loop, const gd_fred_conf *conf, const char *const *series, size_t n,
                    gd_fred_cb cb, void *user, gd_fred **out, gd_err *err)
{
    const char *base = conf->base_url && conf->base_url[0] ? conf->base_url : GD_FRED_DEFAULT_URL;
    size_t base_len = strlen(base);
    int rc;
    while (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
    if (base_len > INT_MAX / 2)
        return gd_err_set(err, GD_EINVAL, "fred: base_url too long");

    gd_fred *f = calloc(1, sizeof *f);
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
    *out = f;
    return 0;

fail:
    fred_free(f);
    return rc;
}

/* Hands f to the loop: the curl driver and the round timer, the first round on the next
 * iteration so that no callback runs before the caller has the object. On
 * failure f is gone: freed here when no handle was open, else by the close
 * callbacks of those that were (the loop must run once more). */
static int start_timers(gd_fred *f, gd_err *err)
{
    int rc = gd_curluv_new(f->loop, "fred", &f->cu, err);
    if (rc < 0) {
        fred_free(f);
        return rc;
    }
    f->open_handles = 1;
    int round_open = 0;
    rc = uv_timer_init(f->loop, &f->round_timer);
    if (rc == 0) {
        f->round_timer.data = f;
        f->open_handles = 2;
        round_open = 1;
        rc = uv_timer_start(&f->round_timer, on_round, 0, 0);
    }
    if (rc == 0)
        return 0;
    int code = gd_err_set(err, GD_EIO, "fred: %s: %s", round_open ? "uv_timer_start" : "uv_timer_init",
                          uv_strerror(rc));
    /* No transfer was added: only the driver and the timer to close. */
    f->stopping = 1;
    gd_curluv_close(f->cu, on_cu_closed, f);
    if (round_open)
        uv_close((uv_handle_t *)&f->round_timer, on_timer_closed);
    return code;
}

int gd_fred_start(uv_loop_t *loop, const gd_fred_conf *conf, const char *const *series, size_t n,
                  gd_fred_cb cb, void *user, gd_fred **out, gd_err *err)
{
    gd_fred *f = NULL;
    int rc;

    if (out)
        *out = NULL;
    if ((rc = check_args(loop, conf, series, n, cb, out, err)) < 0 || (rc = gd_curl_global(err)) < 0 ||
        (rc = fred_new(loop, conf, series, n, cb, user, &f, err)) < 0 || (rc = start_timers(f, err)) < 0)
        return rc;
    *out = f;
    return 0;
}
