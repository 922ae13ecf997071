#include "daemon/console.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ctype.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/log.h"
#include "daemon/catalog.h"
#include "daemon/dbrun.h"
#include "daemon/http.h"
#include "db/pgconn.h"
#include "risk/token.h"

/* The page, compiled in (console/, embedded by CMake). */
extern const unsigned char gd_console_index_html[], gd_console_app_js[], gd_console_app_css[];
extern const size_t gd_console_index_html_len, gd_console_app_js_len, gd_console_app_css_len;

#define MAX_SESSIONS        16
#define TOKEN_MAX           256
#define MAX_STREAMS         32
#define LOGIN_FAILS_PER_MIN 10
#define COOKIE              "gordon_session"
/* The equity curve: a point every EQ_EVERY_MS for the last 24 hours. */
#define EQ_EVERY_MS         5000
#define EQ_POINTS           (24 * 3600 * 1000 / EQ_EVERY_MS)
/* Each breaker's value and threshold, as often, for the last 6 hours. */
#define BR_MAX              16
#define BR_POINTS           (6 * 3600 * 1000 / EQ_EVERY_MS)
/* The plugin hashes with a walk-forward ablation on record, asked again this often. */
#define ABL_EVERY_MS        10000
#define CAT_EVERY_MS        2000

/* On every answer: nothing inline runs, nothing frames it, nothing leaks. */
static const char SEC_HEADERS[] =
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"
    "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";

typedef struct session {
    char id[65];   /* the cookie's value: 32 random bytes, hex; "" when free */
    char csrf[65]; /* what every POST must carry */
    char token[TOKEN_MAX];
    uint64_t key; /* its streams' key */
    int64_t expires_ms;
} session;

struct gd_console {
    gd_console_hooks hooks;
    uv_loop_t *loop;
    const gd_config *cfg;
    gd_api *api;
    gd_http_server *http;
    uv_timer_t tick;
    int closing, pending;
    char origins[8][300]; /* "http://HOST:PORT" this listener answers as */
    size_t n_origins;
    session sess[MAX_SESSIONS];
    uint64_t next_key;
    char hdr[1024]; /* the answer's extra headers (security, cookie), valid until it is queued */
    char *last;     /* the last snapshot sent */
    int64_t fail_window_ms;
    unsigned fails;
    /* equity points since the daemon started (a ring) */
    struct eq_point {
        int64_t t;
        double equity, drawdown_pct;
    } * eq;
    uint32_t eq_head, eq_n;
    int64_t eq_next_ms;
    struct br_ring {
        char name[64];
        struct br_point {
            int64_t t;
            double value, threshold;
        } * p; /* BR_POINTS, allocated when the breaker is first seen */
        uint32_t head, n;
    } br[BR_MAX];
    uint32_t n_br;
    /* trading.ablation_runs' plugin hashes, asked on the threadpool */
    char *dsn; /* owned; NULL: no database */
    double connect_ms;
    uv_work_t abl_work;
    int abl_busy;
    int64_t abl_next_ms;
    char *abl_hashes;  /* "h1\nh2\n..." last known (owned), NULL before the first answer */
    char *abl_new;     /* the job's answer, NULL when it failed */
    char abl_why[200]; /* ... and why */
    /* The equity curve before this daemon started, read once from
     * trading.equity_points (this journal's rows) by the same job. */
    int hist_state;  /* 0 to read, 1 read (or no journal source) */
    char source[17]; /* the journal's id, "" without one */
    int64_t started_ms;
    struct eq_point *hist_new; /* the job's rows, oldest first */
    uint32_t hist_n;
    gd_catalog *cat; /* the plugins a bot can be placed from */
    int64_t cat_next_ms;
};

void gd_console_stop(gd_console *c);
static void release(gd_console *c);
static char *bots_json(const gd_console *c);
static char *equity_json(const gd_console *c, int last_only);

/* ------------------------------------------------------------ helpers */

static int random_hex(char out[65])
{
    unsigned char b[32];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

static void set_body(gd_http_response *r, int status, const char *ctype, const char *text)
{
    r->status = status;
    r->content_type = ctype;
    r->body = strdup(text);
    r->body_len = r->body ? strlen(r->body) : 0;
    if (!r->body)
        r->status = 500;
}

static void error(gd_http_response *r, int status, const char *msg)
{
    char esc[256], body[320];
    cJSON *s = cJSON_CreateString(msg);
    char *q = s ? cJSON_PrintUnformatted(s) : NULL;
    snprintf(esc, sizeof esc, "%s", q ? q : "\"error\"");
    snprintf(body, sizeof body, "{\"error\":%s}", esc);
    cJSON_free(q);
    cJSON_Delete(s);
    set_body(r, status, "application/json", body);
}

static void asset(gd_http_response *r, const unsigned char *p, size_t n, const char *ctype)
{
    r->status = 200;
    r->content_type = ctype;
    r->body = malloc(n ? n : 1);
    if (!r->body) {
        r->status = 500;
        return;
    }
    memcpy(r->body, p, n);
    r->body_len = n;
}

/* The cookie's session, if live. */
static session *find_session(gd_console *c, const char *cookie)
{
    if (!cookie)
        return NULL;
    const char *p = cookie;
    size_t kl = strlen(COOKIE);
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        if (!strncmp(p, COOKIE, kl) && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t vl = strcspn(v, ";");
            if (vl != 64)
                return NULL;
            int64_t now = gd_wall_ms();
            for (int i = 0; i < MAX_SESSIONS; i++) {
                session *s = &c->sess[i];
                if (s->id[0] && CRYPTO_memcmp(s->id, v, 64) == 0)
                    return s->expires_ms > now ? s : NULL;
            }
            return NULL;
        }
        p += strcspn(p, ";");
    }
    return NULL;
}

static void end_session(gd_console *c, session *s)
{
    if (c->http && s->key)
        gd_http_close_streams(c->http, s->key);
    OPENSSL_cleanse(s, sizeof *s);
}

/* Origin names this listener (a page of ours), compared without case. */
static int origin_ok(const gd_console *c, const char *origin)
{
    if (!origin)
        return 0;
    for (size_t i = 0; i < c->n_origins; i++)
        if (!strcasecmp(origin, c->origins[i]))
            return 1;
    return 0;
}

/* A session's request, made to the operator API in the operator's name. */
static void forward(gd_console *c, const session *s, const gd_http_request *req, const char *path,
                    gd_http_response *resp)
{
    char auth[TOKEN_MAX + 16];
    snprintf(auth, sizeof auth, "Bearer %s", s->token);
    gd_http_request r = *req;
    r.path = path;
    r.authorization = auth;
    r.cookie = r.origin = r.csrf_token = NULL;
    gd_api_handle(c->api, &r, resp);
    OPENSSL_cleanse(auth, sizeof auth);
}

/* One of the operator API's read-only views, as the console itself asks
 * for it (no token: they are open). The caller frees r->body. */
static void api_get(gd_console *c, const char *path, gd_http_response *r)
{
    gd_http_request q;
    memset(&q, 0, sizeof q);
    q.method = "GET";
    q.path = path;
    q.query = "";
    q.body = "";
    q.peer = "console";
    memset(r, 0, sizeof *r);
    r->status = 200;
    gd_api_handle(c->api, &q, r);
}

/* {"state":..., "positions":..., "strategies":..., "at_ms":...}: what the page shows, from the API's views. */
static char *snapshot(gd_console *c)
{
    static const char *const parts[][2] = {{"state", "/risk/state"},
                                           {"positions", "/positions"},
                                           {"strategies", "/strategies"},
                                           {"intents", "/intents"},
                                           {"fills", "/fills"}};
    gd_buf b = GD_BUF_INIT;
    gd_buf_printf(&b, "{\"at_ms\":%lld", (long long)gd_wall_ms());
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        gd_http_response r;
        api_get(c, parts[i][1], &r);
        gd_buf_printf(&b, ",\"%s\":", parts[i][0]);
        if (r.status == 200 && r.body && r.body_len)
            gd_buf_append(&b, r.body, r.body_len);
        else
            gd_buf_append(&b, "null", 4);
        free(r.body);
    }
    char *bots = bots_json(c);
    gd_buf_printf(&b, ",\"bots\":%s}", bots ? bots : "null");
    free(bots);
    if (b.failed) {
        gd_buf_free(&b);
        return NULL;
    }
    return gd_buf_take(&b);
}

/* ------------------------------------------------------------ bots */

/* Points older than every point of the ring put before them (the ring
 * keeps the newest EQ_POINTS). */
static void eq_prepend(gd_console *c, const struct eq_point *old, uint32_t n)
{
    struct eq_point *all = calloc((size_t)n + c->eq_n, sizeof *all);
    if (!all)
        return;
    uint32_t m = 0;
    int64_t first = c->eq_n ? c->eq[(c->eq_head + EQ_POINTS - c->eq_n) % EQ_POINTS].t : INT64_MAX;
    for (uint32_t k = 0; k < n; k++)
        if (old[k].t < first && (m == 0 || old[k].t > all[m - 1].t))
            all[m++] = old[k];
    for (uint32_t k = 0; k < c->eq_n; k++)
        all[m++] = c->eq[(c->eq_head + EQ_POINTS - c->eq_n + k) % EQ_POINTS];
    uint32_t skip = m > EQ_POINTS ? m - EQ_POINTS : 0;
    for (uint32_t k = skip; k < m; k++)
        c->eq[k - skip] = all[k];
    c->eq_n = m - skip;
    c->eq_head = c->eq_n % EQ_POINTS;
    free(all);
}

/* On the threadpool: every plugin hash an ablation on record names. */
static void abl_query(uv_work_t *w)
{
    gd_console *c = w->data;
    PGconn *pg = NULL;
    gd_err err;
    c->abl_new = NULL;
    c->abl_why[0] = '\0';
    if (gd_pg_open(c->dsn, c->connect_ms, &pg, &err) != 0) {
        snprintf(c->abl_why, sizeof c->abl_why, "%s", err.msg);
        return;
    }
    if (!c->hist_state && c->source[0]) {
        /* The last 24 hours before this start, at most EQ_POINTS of them (evenly thinned). */
        char since[32];
        snprintf(since, sizeof since, "%lld", (long long)c->started_ms);
        const char *v[2] = {c->source, since};
        PGresult *h = PQexecParams(pg,
                                   "SELECT (extract(epoch FROM at) * 1000)::bigint, equity, drawdown_pct FROM"
                                   " trading.equity_points WHERE source = $1 AND at < to_timestamp($2::bigint / 1000.0)"
                                   " AND at >= to_timestamp($2::bigint / 1000.0) - interval '24 hours' ORDER BY at",
                                   2, NULL, v, NULL, NULL, 0);
        int n = PQresultStatus(h) == PGRES_TUPLES_OK ? PQntuples(h) : 0;
        uint32_t keep = n > EQ_POINTS / 2 ? EQ_POINTS / 2 : (uint32_t)n; /* room for this run's own */
        if (keep && (c->hist_new = calloc(keep, sizeof *c->hist_new)) != NULL) {
            for (uint32_t k = 0; k < keep; k++) {
                int row = (int)((uint64_t)k * (uint64_t)n / keep);
                c->hist_new[k] =
                    (struct eq_point){strtoll(PQgetvalue(h, row, 0), NULL, 10), strtod(PQgetvalue(h, row, 1), NULL),
                                      strtod(PQgetvalue(h, row, 2), NULL)};
            }
            c->hist_n = keep;
        }
        PQclear(h);
    }
    PGresult *r = PQexec(pg, "SELECT DISTINCT e.value FROM trading.ablation_runs a, jsonb_each_text(a.plugins) e");
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        gd_buf b = GD_BUF_INIT;
        for (int i = 0; i < PQntuples(r); i++)
            if (PQgetlength(r, i, 0) == 64)
                gd_buf_printf(&b, "%s\n", PQgetvalue(r, i, 0));
        gd_buf_append(&b, "", 0);
        c->abl_new = b.failed ? NULL : gd_buf_take(&b);
        gd_buf_free(&b);
    } else {
        snprintf(c->abl_why, sizeof c->abl_why, "%s", PQerrorMessage(pg));
    }
    PQclear(r);
    PQfinish(pg);
}

static void abl_done(uv_work_t *w, int status)
{
    gd_console *c = w->data;
    c->abl_busy = 0;
    if (status == 0 && c->abl_new) {
        free(c->abl_hashes);
        c->abl_hashes = c->abl_new;
    } else if (status == 0) {
        gd_log(GD_LOG_WARN, "console", NULL, "ablations on record could not be read: %s", c->abl_why);
    }
    c->abl_new = NULL;
    if (status == 0 && !c->hist_state) {
        c->hist_state = 1;
        if (c->hist_n)
            eq_prepend(c, c->hist_new, c->hist_n);
    }
    free(c->hist_new);
    c->hist_new = NULL;
    c->hist_n = 0;
    if (c->closing)
        release(c); /* the stop waited for this job */
}

static void abl_maybe(gd_console *c, int64_t now)
{
    if (!c->dsn || c->abl_busy || c->closing || now < c->abl_next_ms)
        return;
    c->abl_next_ms = now + ABL_EVERY_MS;
    c->abl_work.data = c;
    if (uv_queue_work(c->loop, &c->abl_work, abl_query, abl_done) == 0)
        c->abl_busy = 1;
}

/* 1 or 0 when the database answered, -1 when it is not known. */
static int abl_on_record(const gd_console *c, const char *sha)
{
    if (!c->abl_hashes || !sha || strlen(sha) != 64)
        return -1;
    for (const char *p = c->abl_hashes; *p; p = strchr(p, '\n') + 1)
        if (!strncmp(p, sha, 64))
            return 1;
    return 0;
}

/* The plugin directories' catalogue, rescanned this often (a file only described again when it changed). */
static void cat_maybe(gd_console *c, int64_t now)
{
    if (c->closing || now < c->cat_next_ms)
        return;
    c->cat_next_ms = now + CAT_EVERY_MS;
    gd_catalog_refresh(c->cat, c->hooks.plugin_dirs, c->api->eng ? gd_engine_config(c->api->eng) : c->cfg);
}

/* {"stage", "risk_pct", "allocation_usd", "strategies": [{name, plugin, enabled, symbols, params}],
 *  "instances": [...running...], "plugins": the catalogue (catalog.h)} */
static char *bots_json(const gd_console *c)
{
    const gd_config *cfg = c->api->eng ? gd_engine_config(c->api->eng) : c->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "stage", gd_stage_name(cfg->stage_rank));
    cJSON_AddNumberToObject(o, "risk_pct", cfg->risk_pct);
    if (cfg->allocation_usd > 0)
        cJSON_AddNumberToObject(o, "allocation_usd", cfg->allocation_usd);
    else
        cJSON_AddNullToObject(o, "allocation_usd");
    cJSON *st = cJSON_AddArrayToObject(o, "strategies");
    for (size_t i = 0; st && i < cfg->n_plugins; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        if (pc->kind != GORDON_KIND_STRATEGY)
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddItemToArray(st, x);
        cJSON_AddStringToObject(x, "name", pc->name);
        cJSON_AddStringToObject(x, "plugin", pc->plugin);
        cJSON_AddBoolToObject(x, "enabled", pc->enabled);
        cJSON_AddStringToObject(x, "file", pc->file ? pc->file : "");
        cJSON *p = cJSON_AddObjectToObject(x, "params");
        for (size_t k = 0; p && k < pc->n_params; k++)
            cJSON_AddStringToObject(p, pc->params[k].key, pc->params[k].value);
    }
    char *inst = c->api->eng ? gd_engine_instances_json(c->api->eng) : NULL;
    cJSON *ij = inst ? cJSON_Parse(inst) : NULL;
    free(inst);
    cJSON *it;
    cJSON_ArrayForEach(it, ij)
    {
        int a = abl_on_record(c, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "sha256")));
        if (a < 0)
            cJSON_AddNullToObject(it, "ablation_on_record");
        else
            cJSON_AddBoolToObject(it, "ablation_on_record", a);
    }
    cJSON_AddItemToObject(o, "instances", ij ? ij : cJSON_CreateArray());
    cJSON_AddBoolToObject(o, "database", c->dsn != NULL);
    char *cat = gd_catalog_json(c->cat);
    cJSON *cj = cat ? cJSON_Parse(cat) : NULL;
    free(cat);
    cJSON_AddItemToObject(o, "plugins", cj ? cj : cJSON_CreateArray());
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* POST /bots: the drop-in gd_console_bot_ini writes, placed by the daemon
 * (a conf.d file and a transactional reload). */
static void place(gd_console *c, const gd_http_request *req, gd_http_response *resp)
{
    char why[600], name[40], msg[2048];
    char *text = NULL;
    if (gd_console_bot_ini(req->body, req->body_len, req->peer, gd_wall_ms(), &text, name, sizeof name, why,
                           sizeof why) != 0) {
        error(resp, 400, why);
        return;
    }
    if (!c->hooks.place) {
        free(text);
        error(resp, 500, "cannot place bots here");
        return;
    }
    int rc = c->hooks.place(c->hooks.arg, name, text, msg, sizeof msg);
    free(text);
    if (rc == 0) {
        gd_log(GD_LOG_INFO, "console", NULL, "bot %s placed from %s", name, req->peer);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "placed", name);
        cJSON_AddStringToObject(o, "summary", msg);
        char *t = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        set_body(resp, 200, "application/json", t ? t : "{}");
        free(t);
    } else {
        gd_log(GD_LOG_WARN, "console", NULL, "bot %s refused: %s", name, msg);
        error(resp, rc == GD_EEXIST ? 409 : 422, msg);
    }
}

/* ------------------------------------------------------------ routes */

static void login(gd_console *c, const gd_http_request *req, gd_http_response *resp)
{
    int64_t now = gd_wall_ms();
    if (req->origin && !origin_ok(c, req->origin)) {
        error(resp, 403, "the login must come from this console's own page");
        return;
    }
    if (now - c->fail_window_ms > 60000) {
        c->fail_window_ms = now;
        c->fails = 0;
    }
    if (c->fails >= LOGIN_FAILS_PER_MIN) {
        error(resp, 429, "too many failed logins: wait a minute");
        return;
    }
    cJSON *j = cJSON_ParseWithLength(req->body, req->body_len);
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "token"));
    int ok = tok && strlen(tok) < TOKEN_MAX && strlen(tok) > 0;
    if (ok) {
        char auth[TOKEN_MAX + 16];
        snprintf(auth, sizeof auth, "Bearer %s", tok);
        ok = c->api->n_hashes && gd_token_check(auth, (const char *const *)c->api->hashes, c->api->n_hashes) >= 0;
        OPENSSL_cleanse(auth, sizeof auth);
    }
    /* The token leaves no copy behind: the parsed one and the request's
     * own buffer (the server's, reused for the next request) are wiped. */
    if (!ok) {
        c->fails++;
        if (tok)
            OPENSSL_cleanse((void *)tok, strlen(tok));
        cJSON_Delete(j);
        OPENSSL_cleanse((void *)req->body, req->body_len);
        gd_log(GD_LOG_WARN, "console", NULL, "login refused from %s: not an operator token", req->peer);
        error(resp, 401, "not an operator token");
        return;
    }
    /* A free slot, else the session that expires first. */
    session *s = &c->sess[0];
    for (int i = 0; i < MAX_SESSIONS; i++) {
        if (!c->sess[i].id[0] || c->sess[i].expires_ms <= now) {
            s = &c->sess[i];
            break;
        }
        if (c->sess[i].expires_ms < s->expires_ms)
            s = &c->sess[i];
    }
    end_session(c, s);
    if (random_hex(s->id) != 0 || random_hex(s->csrf) != 0) {
        OPENSSL_cleanse(s, sizeof *s);
        cJSON_Delete(j);
        error(resp, 500, "no randomness for a session");
        return;
    }
    snprintf(s->token, sizeof s->token, "%s", tok);
    OPENSSL_cleanse((void *)tok, strlen(tok));
    cJSON_Delete(j);
    OPENSSL_cleanse((void *)req->body, req->body_len);
    s->key = ++c->next_key;
    s->expires_ms = now + (int64_t)(c->cfg->console_ttl_s * 1000.0);
    char body[256];
    snprintf(body, sizeof body, "{\"csrf\":\"%s\",\"expires_ms\":%lld}", s->csrf, (long long)s->expires_ms);
    set_body(resp, 200, "application/json", body);
    snprintf(c->hdr, sizeof c->hdr, "%sSet-Cookie: " COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld\r\n",
             SEC_HEADERS, s->id, (long long)c->cfg->console_ttl_s);
    resp->headers = c->hdr;
    gd_log(GD_LOG_INFO, "console", NULL, "operator logged in from %s", req->peer);
}

static void handle(void *user, const gd_http_request *req, gd_http_response *resp)
{
    gd_console *c = user;
    const char *p = req->path;
    int get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    int post = !strcmp(req->method, "POST");
    resp->headers = SEC_HEADERS;
    if (get && (!strcmp(p, "/") || !strcmp(p, "/index.html"))) {
        asset(resp, gd_console_index_html, gd_console_index_html_len, "text/html; charset=utf-8");
        return;
    }
    if (get && !strcmp(p, "/app.js")) {
        asset(resp, gd_console_app_js, gd_console_app_js_len, "text/javascript; charset=utf-8");
        return;
    }
    if (get && !strcmp(p, "/app.css")) {
        asset(resp, gd_console_app_css, gd_console_app_css_len, "text/css; charset=utf-8");
        return;
    }
    if (post && !strcmp(p, "/login")) {
        login(c, req, resp);
        return;
    }
    session *s = find_session(c, req->cookie);
    if (!s) {
        error(resp, 401, "log in first (no live session)");
        return;
    }
    if (post) {
        /* A page of another origin may send the cookie; it cannot read the
         * CSRF token, nor name this origin. */
        if (!origin_ok(c, req->origin)) {
            error(resp, 403, "refused: the request does not come from this console's page (Origin)");
            return;
        }
        if (!req->csrf_token || strlen(req->csrf_token) != 64 || CRYPTO_memcmp(req->csrf_token, s->csrf, 64) != 0) {
            error(resp, 403, "refused: missing or wrong CSRF token");
            return;
        }
    }
    if (get && !strcmp(p, "/bots")) {
        char *t = bots_json(c);
        if (!t) {
            error(resp, 500, "out of memory");
            return;
        }
        resp->status = 200;
        resp->content_type = "application/json";
        resp->body = t;
        resp->body_len = strlen(t);
        return;
    }
    if (post && !strcmp(p, "/bots")) {
        place(c, req, resp);
        return;
    }
    if (get && !strcmp(p, "/equity")) {
        char *j = equity_json(c, 0);
        if (!j) {
            error(resp, 500, "out of memory");
            return;
        }
        resp->status = 200;
        resp->content_type = "application/json";
        resp->body = j;
        resp->body_len = strlen(j);
        return;
    }
    if (get && !strcmp(p, "/session")) {
        char body[256];
        snprintf(body, sizeof body, "{\"csrf\":\"%s\",\"expires_ms\":%lld}", s->csrf, (long long)s->expires_ms);
        set_body(resp, 200, "application/json", body);
        return;
    }
    if (post && !strcmp(p, "/logout")) {
        end_session(c, s);
        set_body(resp, 200, "application/json", "{\"logged_out\":true}");
        snprintf(c->hdr, sizeof c->hdr, "%sSet-Cookie: " COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n",
                 SEC_HEADERS);
        resp->headers = c->hdr;
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(p, "/events")) {
        if (gd_http_stream_count(c->http) >= MAX_STREAMS) {
            error(resp, 503, "too many open event streams");
            return;
        }
        char *snap = snapshot(c);
        gd_buf b = GD_BUF_INIT;
        gd_buf_printf(&b, "retry: 3000\n\nevent: snapshot\ndata: %s\n\n", snap ? snap : "null");
        free(snap);
        if (b.failed) {
            gd_buf_free(&b);
            error(resp, 500, "out of memory");
            return;
        }
        resp->status = 200;
        resp->content_type = "text/event-stream";
        resp->body_len = b.len;
        resp->body = gd_buf_take(&b);
        resp->stream = 1;
        resp->stream_key = s->key;
        return;
    }
    if (!strncmp(p, "/api/", 5) && (get || post)) {
        forward(c, s, req, p + 4, resp);
        if (!resp->headers)
            resp->headers = SEC_HEADERS;
        return;
    }
    error(resp, 404, "no such page");
}

/* A breaker's ring (a new one for a name not seen before; NULL when full). */
static struct br_ring *br_ring_of(gd_console *c, const char *name)
{
    for (uint32_t i = 0; i < c->n_br; i++)
        if (!strcmp(c->br[i].name, name))
            return &c->br[i];
    if (c->n_br >= BR_MAX || strlen(name) >= sizeof c->br[0].name)
        return NULL;
    struct br_ring *r = &c->br[c->n_br];
    if (!(r->p = calloc(BR_POINTS, sizeof *r->p)))
        return NULL;
    snprintf(r->name, sizeof r->name, "%s", name);
    c->n_br++;
    return r;
}

/* The account's equity and drawdown now, from the API's risk view; each
 * breaker's value and threshold go into its ring at time now. */
static int equity_now(gd_console *c, int64_t now, double *eq, double *dd)
{
    gd_http_response r;
    api_get(c, "/risk/state", &r);
    cJSON *j = r.status == 200 && r.body ? cJSON_ParseWithLength(r.body, r.body_len) : NULL;
    free(r.body);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "account");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(a, "equity"),
                *d = cJSON_GetObjectItemCaseSensitive(a, "drawdown_pct");
    int ok = cJSON_IsNumber(e) && cJSON_IsNumber(d);
    if (ok) {
        *eq = e->valuedouble;
        *dd = d->valuedouble;
    }
    const cJSON *b, *brs = ok ? cJSON_GetObjectItemCaseSensitive(j, "breakers") : NULL;
    cJSON_ArrayForEach(b, brs)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name"));
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, "value"),
                    *t = cJSON_GetObjectItemCaseSensitive(b, "threshold");
        struct br_ring *ring = name && cJSON_IsNumber(v) && cJSON_IsNumber(t) ? br_ring_of(c, name) : NULL;
        if (!ring)
            continue;
        ring->p[ring->head] = (struct br_point){now, v->valuedouble, t->valuedouble};
        ring->head = (ring->head + 1) % BR_POINTS;
        if (ring->n < BR_POINTS)
            ring->n++;
    }
    cJSON_Delete(j);
    return ok ? 0 : -1;
}

/* {"every_ms":N,"points":[[t,equity,drawdown_pct],...],"breakers":{NAME:
 * [[t,value,threshold],...]}} oldest first, or only the newest with
 * last_only. */
static char *equity_json(const gd_console *c, int last_only)
{
    gd_buf b = GD_BUF_INIT;
    gd_buf_printf(&b, "{\"every_ms\":%d,\"points\":[", EQ_EVERY_MS);
    uint32_t from = last_only && c->eq_n ? c->eq_n - 1 : 0;
    for (uint32_t k = from; k < c->eq_n; k++) {
        const struct eq_point *p = &c->eq[(c->eq_head + EQ_POINTS - c->eq_n + k) % EQ_POINTS];
        gd_buf_printf(&b, "%s[%lld,%.10g,%.6g]", k > from ? "," : "", (long long)p->t, p->equity, p->drawdown_pct);
    }
    gd_buf_append(&b, "],\"breakers\":{", 14);
    for (uint32_t i = 0; i < c->n_br; i++) {
        const struct br_ring *r = &c->br[i];
        char esc[160];
        gd_json_escape(esc, sizeof esc, r->name);
        gd_buf_printf(&b, "%s\"%s\":[", i ? "," : "", esc);
        uint32_t f = last_only && r->n ? r->n - 1 : 0;
        for (uint32_t k = f; k < r->n; k++) {
            const struct br_point *p = &r->p[(r->head + BR_POINTS - r->n + k) % BR_POINTS];
            gd_buf_printf(&b, "%s[%lld,%.10g,%.10g]", k > f ? "," : "", (long long)p->t, p->value, p->threshold);
        }
        gd_buf_append(&b, "]", 1);
    }
    gd_buf_append(&b, "}}", 2);
    if (b.failed) {
        gd_buf_free(&b);
        return NULL;
    }
    return gd_buf_take(&b);
}

static void sample_equity(gd_console *c, int64_t now)
{
    double eq, dd;
    if (now < c->eq_next_ms || equity_now(c, now, &eq, &dd) != 0)
        return;
    c->eq_next_ms = now + EQ_EVERY_MS;
    c->eq[c->eq_head] = (struct eq_point){now, eq, dd};
    c->eq_head = (c->eq_head + 1) % EQ_POINTS;
    if (c->eq_n < EQ_POINTS)
        c->eq_n++;
    if (!gd_http_stream_count(c->http))
        return;
    char *j = equity_json(c, 1);
    gd_buf b = GD_BUF_INIT;
    if (j)
        gd_buf_printf(&b, "event: equity\ndata: %s\n\n", j);
    if (j && !b.failed)
        gd_http_broadcast(c->http, b.p, b.len);
    gd_buf_free(&b);
    free(j);
}

/* Once a second: expired sessions end; the equity curve gets its point; a
 * changed snapshot goes to the streams. */
static void on_tick(uv_timer_t *t)
{
    gd_console *c = t->data;
    int64_t now = gd_wall_ms();
    sample_equity(c, now);
    abl_maybe(c, now);
    cat_maybe(c, now);
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (c->sess[i].id[0] && c->sess[i].expires_ms <= now)
            end_session(c, &c->sess[i]);
    if (!gd_http_stream_count(c->http))
        return;
    char *snap = snapshot(c);
    if (!snap)
        return;
    /* at_ms changes every time: compare what follows it. */
    const char *body = strchr(snap, ',');
    const char *last = c->last ? strchr(c->last, ',') : NULL;
    if (last && body && !strcmp(body, last)) {
        free(snap);
        return;
    }
    gd_buf b = GD_BUF_INIT;
    gd_buf_printf(&b, "event: snapshot\ndata: %s\n\n", snap);
    if (!b.failed)
        gd_http_broadcast(c->http, b.p, b.len);
    gd_buf_free(&b);
    free(c->last);
    c->last = snap;
}

/* ------------------------------------------------------------ life */

static void add_origin(gd_console *c, const char *hostport)
{
    if (c->n_origins < sizeof c->origins / sizeof c->origins[0])
        snprintf(c->origins[c->n_origins++], sizeof c->origins[0], "http://%s", hostport);
}

int gd_console_start(uv_loop_t *loop, const gd_config *cfg, gd_api *api, const gd_console_hooks *hooks,
                     gd_console **out, gd_err *err)
{
    char host[256], hp[300];
    int port;
    *out = NULL;
    if (!cfg->console_listen)
        return 0;
    if (gd_http_split_listen(cfg->console_listen, host, sizeof host, &port) != 0)
        return gd_err_set(err, GD_EINVAL, "[console] listen = %s: expected HOST:PORT", cfg->console_listen);
    if (!api->n_hashes)
        return gd_err_set(err, GD_EINVAL,
                          "[console] listen is set but no operator token is configured ([http] "
                          "operator_token_sha256): nobody could log in");
    gd_console *c = calloc(1, sizeof *c);
    if (!c)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    c->loop = loop;
    c->cfg = cfg;
    c->api = api;
    if (hooks)
        c->hooks = *hooks;
    c->connect_ms = cfg->db_connect_timeout_ms;
    c->started_ms = gd_wall_ms();
    if (api->db && api->db->source[0])
        snprintf(c->source, sizeof c->source, "%s", api->db->source);
    int rc;
    if ((cfg->db_dsn && !(c->dsn = strdup(cfg->db_dsn))) || !(c->eq = calloc(EQ_POINTS, sizeof *c->eq))) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto fail;
    }
    rc = gd_catalog_new(loop, &c->cat, err);
    if (rc)
        goto fail;
    gd_http_limits lim = {
        .max_body_bytes = 16384,
        .max_connections = 64,
        .max_connections_per_peer = 32,
        .allowed_hosts = cfg->console_allowed_hosts,
    };
    rc = gd_http_start(loop, host, port, &lim, handle, c, &c->http, err);
    if (rc)
        goto fail;
    port = gd_http_port(c->http);
    snprintf(hp, sizeof hp, "%s%s%s:%d", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port);
    add_origin(c, hp);
    snprintf(hp, sizeof hp, "localhost:%d", port);
    add_origin(c, hp);
    snprintf(hp, sizeof hp, "127.0.0.1:%d", port);
    add_origin(c, hp);
    snprintf(hp, sizeof hp, "[::1]:%d", port);
    add_origin(c, hp);
    for (const char *a = cfg->console_allowed_hosts; a && *a;) {
        size_t n = strcspn(a, ", ");
        if (n && n < 200) {
            snprintf(hp, sizeof hp, "%.*s", (int)n, a);
            add_origin(c, hp);
            if (!strchr(hp, ':')) {
                snprintf(hp, sizeof hp, "%.*s:%d", (int)n, a, port);
                add_origin(c, hp);
            }
        }
        a += n;
        a += strspn(a, ", ");
    }
    rc = uv_timer_init(loop, &c->tick);
    if (rc < 0) {
        gd_http_stop(c->http, NULL, NULL);
        rc = gd_err_set(err, GD_EIO, "console: timer: %s", uv_strerror(rc));
        goto fail;
    }
    c->tick.data = c;
    cat_maybe(c, gd_wall_ms());
    rc = uv_timer_start(&c->tick, on_tick, 1000, 1000);
    if (rc < 0) {
        gd_console_stop(c);
        return gd_err_set(err, GD_EIO, "console: timer: %s", uv_strerror(rc));
    }
    gd_log(GD_LOG_INFO, "console", NULL, "operator console on http://%s:%d/ (port %d)", host, port, port);
    *out = c;
    return 0;
fail:
    gd_catalog_free(c->cat);
    free(c->dsn);
    free(c->eq);
    free(c);
    return rc;
}

int gd_console_port(const gd_console *c) { return c ? gd_http_port(c->http) : 0; }

static void release(gd_console *c)
{
    if (--c->pending > 0)
        return;
    for (int i = 0; i < MAX_SESSIONS; i++)
        OPENSSL_cleanse(&c->sess[i], sizeof c->sess[i]);
    free(c->last);
    free(c->eq);
    free(c->abl_hashes);
    gd_catalog_free(c->cat);
    if (c->dsn)
        OPENSSL_cleanse(c->dsn, strlen(c->dsn)); /* it may hold a password */
    free(c->dsn);
    for (uint32_t i = 0; i < c->n_br; i++)
        free(c->br[i].p);
    free(c);
}

static void http_closed(void *arg) { release(arg); }
static void timer_closed(uv_handle_t *h) { release(h->data); }

void gd_console_stop(gd_console *c)
{
    if (!c || c->closing)
        return;
    c->closing = 1;
    c->pending = 2 + (c->abl_busy ? 1 : 0);
    uv_close((uv_handle_t *)&c->tick, timer_closed);
    gd_http_stop(c->http, http_closed, c);
    c->http = NULL;
}
