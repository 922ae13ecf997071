#include "db/preflight.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gordon/sdk.h>

#include "base/hash.h"
#include "base/names.h"
#include "db/drill.h"
#include "db/pgconn.h"
#include "db/restic.h"

#define PF_DAY_MS (86400000.0)

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

gd_pf_item *gd_pf_add(gd_pf *r, const char *name, int pass, const char *at, const char *fmt, ...)
{
    if (r->n == GD_PF_MAX_ITEMS)
        return NULL;
    gd_pf_item *it = &r->items[r->n++];
    snprintf(it->name, sizeof it->name, "%s", name);
    it->pass = pass;
    snprintf(it->at, sizeof it->at, "%s", at ? at : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->evidence, sizeof it->evidence, fmt, ap);
    va_end(ap);
    if (!pass)
        r->pass = 0;
    return it;
}

static void utc(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tmv;
    if (!gmtime_r(&t, &tmv) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        snprintf(buf, cap, "%lld ms", (long long)ms);
}

/* One row of one query with text parameters; 1 when a row came, 0 when
 * none, -1 on an error (in why). */
static int one_row(PGconn *c, const char *sql, int n, const char *const *vals, PGresult **out, char *why, size_t cap)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    *out = NULL;
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        char line[400];
        snprintf(why, cap, "the database: %s", gd_pg_errline(c, line, sizeof line));
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) < 1) {
        PQclear(r);
        return 0;
    }
    *out = r;
    return 1;
}

/* The enabled plugin sections' files and hashes, as the soak and the
 * ablation record them; 0, or the first one that could not be read. */
static int plugin_hashes(const gd_pf_opts *o, gd_pf *r, char *why, size_t cap)
{
    const gd_config *cfg = o->cfg;
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return GD_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < cfg->n_plugins && !rc; i++) {
        const gd_plugin_conf *pc = &cfg->plugins[i];
        char path[4096], hex[65], label[128];
        gd_err e;
        if (!pc->enabled)
            continue;
        if ((rc = gd_plugin_resolve(cfg, pc, &o->dirs, path, sizeof path, &e)) != 0 ||
            (rc = gd_sha256_file(path, hex, &e)) != 0) {
            snprintf(why, cap, "%s", e.msg);
            break;
        }
        gd_instance_label(label, sizeof label, pc->kind, pc->name);
        if (!cJSON_AddStringToObject(obj, label, hex))
            rc = GD_ENOMEM;
    }
    if (!rc && !(r->plugins_json = cJSON_PrintUnformatted(obj)))
        rc = GD_ENOMEM;
    cJSON_Delete(obj);
    return rc;
}

static const char *plugin_sha(const gd_pf *r, const char *label, char *buf, size_t cap)
{
    cJSON *o = cJSON_Parse(r->plugins_json);
    const cJSON *s = o ? cJSON_GetObjectItemCaseSensitive(o, label) : NULL;
    snprintf(buf, cap, "%s", cJSON_IsString(s) ? s->valuestring : "");
    cJSON_Delete(o);
    return buf;
}

static void check_soak(PGconn *c, gd_pf *r)
{
    PGresult *q;
    char why[500];
    const char *vals[2] = {r->config_sha256, r->plugins_json};
    int got = one_row(c,
                      "SELECT id, to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), venue,"
                      " metrics->>'hours', metrics->>'trades' FROM trading.soak_runs"
                      " WHERE status = 'passed' AND real_venue AND config_sha256 = $1"
                      " AND plugins = $2::jsonb ORDER BY ended_at DESC LIMIT 1",
                      2, vals, &q, why, sizeof why);
    if (got == 1) {
        gd_pf_add(r, "soak", 1, PQgetvalue(q, 0, 1),
                  "soak %s passed on %s: %s h, %s trades, these plugins and this "
                  "strategies' configuration",
                  PQgetvalue(q, 0, 0), PQgetvalue(q, 0, 2), PQgetvalue(q, 0, 3), PQgetvalue(q, 0, 4));
        PQclear(q);
        return;
    }
    if (got < 0) {
        gd_pf_add(r, "soak", 0, NULL, "%s", why);
        return;
    }
    /* Why not: the latest soak, if any. */
    got = one_row(c,
                  "SELECT id, status, real_venue, config_sha256 = $1, plugins = $2::jsonb, venue, notes"
                  " FROM trading.soak_runs ORDER BY started_at DESC LIMIT 1",
                  2, vals, &q, why, sizeof why);
    if (got == 1) {
        gd_pf_add(
            r, "soak", 0, NULL,
            "no passed soak against a real Binance endpoint for these plugins and this configuration; the latest, "
            "soak %s: %s%s%s%s (%.200s)",
            PQgetvalue(q, 0, 0), PQgetvalue(q, 0, 1),
            strcmp(PQgetvalue(q, 0, 2), "t") ? ", not a Binance endpoint (" : "",
            strcmp(PQgetvalue(q, 0, 2), "t") ? PQgetvalue(q, 0, 5) : "",
            strcmp(PQgetvalue(q, 0, 3), "t") || strcmp(PQgetvalue(q, 0, 4), "t")
                ? ((strcmp(PQgetvalue(q, 0, 2), "t") ? "), other plugins or configuration"
                                                     : ", other plugins or configuration"))
                : (strcmp(PQgetvalue(q, 0, 2), "t") ? ")" : ""),
            PQgetvalue(q, 0, 6));
        PQclear(q);
    } else {
        gd_pf_add(r, "soak", 0, NULL, "%s", got < 0 ? why : "no soak on record (gordon soak --config TESTNET.ini)");
    }
}

/* Every enabled strategy: an ablation on record with its .so and every
 * enabled overlay's, each overlay tested alone in it ("+NAME"). */
static void check_ablations(const gd_config *cfg, PGconn *c, gd_pf *r)
{
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *s = &cfg->plugins[i];
        if (!s->enabled || s->kind != GORDON_KIND_STRATEGY)
            continue;
        char name[96], label[128], sha[65];
        snprintf(name, sizeof name, "ablation %s", s->name);
        gd_instance_label(label, sizeof label, s->kind, s->name);
        /* What the row must hold: {"strategy.x": sha, "overlay.y": sha, ...} and "+y" configurations. */
        cJSON *want = cJSON_CreateObject(), *alone = cJSON_CreateArray();
        int ok = want && alone && cJSON_AddStringToObject(want, label, plugin_sha(r, label, sha, sizeof sha));
        for (size_t k = 0; ok && k < cfg->n_plugins; k++) {
            const gd_plugin_conf *ov = &cfg->plugins[k];
            if (!ov->enabled || ov->kind != GORDON_KIND_OVERLAY)
                continue;
            char ol[128], cn[96];
            gd_instance_label(ol, sizeof ol, ov->kind, ov->name);
            snprintf(cn, sizeof cn, "+%s", ov->name);
            cJSON *cfgname = cJSON_CreateObject();
            ok = cJSON_AddStringToObject(want, ol, plugin_sha(r, ol, sha, sizeof sha)) && cfgname &&
                 cJSON_AddStringToObject(cfgname, "name", cn) && cJSON_AddItemToArray(alone, cfgname);
        }
        char *w = ok ? cJSON_PrintUnformatted(want) : NULL, *a = ok ? cJSON_PrintUnformatted(alone) : NULL;
        cJSON_Delete(want);
        cJSON_Delete(alone);
        if (!w || !a) {
            gd_pf_add(r, name, 0, NULL, "out of memory");
            free(w);
            free(a);
            continue;
        }
        const char *vals[2] = {w, a};
        PGresult *q;
        char why[500];
        int got =
            one_row(c,
                    "SELECT id, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), windows,"
                    " to_char(data_from, 'YYYY-MM-DD'), to_char(data_to, 'YYYY-MM-DD')"
                    " FROM trading.ablation_runs WHERE plugins @> $1::jsonb"
                    " AND metrics->'configurations' @> $2::jsonb ORDER BY recorded_at DESC LIMIT 1",
                    2, vals, &q, why, sizeof why);
        if (got == 1) {
            gd_pf_add(r, name, 1, PQgetvalue(q, 0, 1),
                      "ablation run %s: %s walk-forward windows over %s..%s, these plugins, every overlay also alone",
                      PQgetvalue(q, 0, 0), PQgetvalue(q, 0, 2), PQgetvalue(q, 0, 3), PQgetvalue(q, 0, 4));
            PQclear(q);
        } else {
            gd_pf_add(r, name, 0, NULL, "%s",
                      got < 0
                          ? why
                          : "no walk-forward ablation on record with this strategy's .so and every enabled overlay's, "
                            "each tested alone (gordon ablate --record)");
        }
        free(w);
        free(a);
    }
}

/* The latest risk event of a kind, and (for the latch) a resume after it. */
static void check_drills(PGconn *c, gd_pf *r)
{
    PGresult *q;
    char why[500];
    int got = one_row(c,
                      "SELECT to_char(f.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), f.who,"
                      " (SELECT count(*) FROM trading.positions p WHERE p.opened_at <= f.at"
                      "   AND (p.closed_at IS NULL OR p.closed_at > f.at + interval '5 minutes'))"
                      " FROM trading.risk_events f WHERE f.kind = 'flatten' ORDER BY f.at DESC LIMIT 1",
                      0, NULL, &q, why, sizeof why);
    if (got == 1) {
        int left = atoi(PQgetvalue(q, 0, 2));
        gd_pf_add(r, "flatten drill", left == 0, PQgetvalue(q, 0, 0),
                  "emergency flatten by %s; %d position(s) open then left open 5 minutes after it", PQgetvalue(q, 0, 1),
                  left);
        PQclear(q);
    } else {
        gd_pf_add(r, "flatten drill", 0, NULL, "%s",
                  got < 0 ? why : "no emergency flatten on record: exercise POST /risk/emergency-flatten on testnet");
    }
    got = one_row(c,
                  "SELECT to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), h.kind, h.who,"
                  " to_char(s.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), s.who"
                  " FROM trading.risk_events h JOIN LATERAL (SELECT at, who FROM trading.risk_events"
                  "   WHERE kind IN ('resume', 'resume_forced') AND at >= h.at ORDER BY at LIMIT 1) s ON true"
                  " WHERE h.kind IN ('halt', 'trip') ORDER BY h.at DESC LIMIT 1",
                  0, NULL, &q, why, sizeof why);
    if (got == 1) {
        gd_pf_add(r, "latch drill", 1, PQgetvalue(q, 0, 3), "%s by %s at %s, resumed by %s", PQgetvalue(q, 0, 1),
                  PQgetvalue(q, 0, 2), PQgetvalue(q, 0, 0), PQgetvalue(q, 0, 4));
        PQclear(q);
    } else {
        gd_pf_add(r, "latch drill", 0, NULL, "%s",
                  got < 0
                      ? why
                      : "no halt (or breaker trip) followed by a resume on record: trip, halt and resume on testnet");
    }
}

static int hex64(const char *s, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void check_config(const gd_pf_opts *o, gd_pf *r)
{
    const gd_config *cfg = o->cfg;
    const char *st = gd_stage_name(o->stage);
    int ok = cfg->mode == GD_MODE_PRODUCTION && cfg->stage_rank == o->stage;
    gd_pf_add(r, "stage", ok, NULL, "the configuration is mode %s at stage %s (preflight for production at %s)",
              gd_mode_name(cfg->mode), gd_stage_name(cfg->stage_rank), st);
    gd_pf_add(r, "stop required", cfg->sl_required != 0, NULL, "[executor] sl_required = %s",
              cfg->sl_required ? "true" : "false");
    gd_stage_bounds b;
    gd_stage_bounds_for(o->stage, cfg->allocation_usd, cfg->allocation_max_usd, &b);
    ok = cfg->allocation_usd > 0 && cfg->allocation_usd <= b.allocation_max && cfg->risk_pct <= b.risk_pct_max &&
         cfg->max_order_notional > 0 && cfg->max_order_notional <= b.order_max && cfg->max_daily_notional > 0 &&
         cfg->max_daily_notional <= b.daily_max && cfg->max_gross_exposure <= b.gross_max;
    gd_pf_add(
        r, "caps", ok, NULL,
        "allocation %.2f (at most %.2f), risk %.2f%% (at most %.2f), per order %.2f (at most %.2f), daily %.2f (at "
        "most %.2f), gross %.2f (at most %.2f) for stage %s",
        cfg->allocation_usd, b.allocation_max, cfg->risk_pct, b.risk_pct_max, cfg->max_order_notional, b.order_max,
        cfg->max_daily_notional, b.daily_max, cfg->max_gross_exposure, b.gross_max, st);
    /* Operator tokens: hashes only, none of a well-known token. */
    static const char *const weak[] = {"", "changeme", "token", "test", "admin", "operator", "gordon", "secret"};
    int n = 0, bad = 0, weak_hit = 0;
    const char *p = cfg->http_token_hashes ? cfg->http_token_hashes : "";
    while (*p) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (!len)
            break;
        n++;
        bad |= !hex64(p, len);
        for (size_t k = 0; k < sizeof weak / sizeof weak[0]; k++) {
            char hx[65];
            gd_sha256_buf(weak[k], strlen(weak[k]), hx);
            weak_hit |= len == 64 && !memcmp(hx, p, 64);
        }
        p += len;
    }
    gd_pf_add(r, "operator tokens", n > 0 && !bad && !weak_hit, NULL,
              "%d operator token hash(es) in [http] "
              "operator_token_sha256%s%s",
              n, bad ? "; one is not a SHA-256" : "",
              weak_hit ? "; one is the hash of a well-known token (make one with gordon token new)" : "");
    /* Breakers: each tuned (check_breaker, which needs the database). */
    int n_br = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++)
        n_br += cfg->plugins[i].enabled && cfg->plugins[i].kind == GORDON_KIND_BREAKER;
    gd_pf_add(r, "breakers", n_br > 0, NULL, "%d breaker(s) configured", n_br);
    /* Live keys, never printed. */
    struct stat sb;
    int key_ok = cfg->venue_key_file && stat(cfg->venue_key_file, &sb) == 0 && S_ISREG(sb.st_mode) &&
                 !(sb.st_mode & 077) && sb.st_size > 0;
    int live = o->testnet_env && !strcmp(o->testnet_env, "false") && !cfg->testnet && cfg->venue_profile &&
               !strcmp(cfg->venue_profile, "live") && !cfg->venue_rest_url && !cfg->venue_ws_url;
    int api = cfg->venue_api_key && *cfg->venue_api_key;
    gd_pf_add(r, "live venue", live && key_ok && api, NULL,
              "GORDON_EXECUTOR_TESTNET %s, [venue] profile %s%s, api key %s, key file %s",
              o->testnet_env ? (!strcmp(o->testnet_env, "false") ? "= false" : "is not false") : "is not set",
              cfg->venue_profile ? cfg->venue_profile : "demo (the default)",
              cfg->venue_rest_url || cfg->venue_ws_url ? " with its URLs overridden" : "", api ? "present" : "missing",
              key_ok ? "present, only its owner can read it" : "missing, empty or readable by others");
}

static void check_backups(const gd_pf_opts *o, PGconn *c, gd_pf *r)
{
    const gd_config *cfg = o->cfg;
    char at[40], why[500];
    gd_restic rs = {cfg->backup_repository, cfg->backup_password_file, 60000};
    gd_restic_snap snap;
    gd_err e;
    if (!cfg->backup_repository) {
        gd_pf_add(r, "backup", 0, NULL, "no [backup] restic_repository configured");
    } else if (gd_restic_latest(&rs, &snap, &e) != 0) {
        gd_pf_add(r, "backup", 0, NULL, "the latest snapshot could not be read: %s", e.msg);
    } else {
        utc(snap.time_ms, at, sizeof at);
        double h = (double)(o->now_ms - snap.time_ms) / 3600e3;
        gd_pf_add(r, "backup", h <= 2.0, at, "snapshot %s, %.1f h old (the checklist asks at most 2 h)", snap.short_id,
                  h);
    }
    PGresult *q;
    int got = one_row(c,
                      "SELECT id, (extract(epoch FROM at) * 1000)::bigint, seconds FROM trading.restore_drills"
                      " WHERE ok ORDER BY at DESC LIMIT 1",
                      0, NULL, &q, why, sizeof why);
    if (got == 1) {
        int64_t ms = strtoll(PQgetvalue(q, 0, 1), NULL, 10);
        double days = (double)(o->now_ms - ms) / PF_DAY_MS;
        utc(ms, at, sizeof at);
        gd_pf_add(r, "restore drill", days <= 90.0, at,
                  "restore drill %s ok in %s s, %.0f day(s) ago (the checklist asks "
                  "at most 90)",
                  PQgetvalue(q, 0, 0), PQgetvalue(q, 0, 2), days);
        PQclear(q);
    } else {
        gd_pf_add(r, "restore drill", 0, NULL, "%s",
                  got < 0 ? why : "no ok restore drill on record (gordon restore-drill)");
    }
}

static void live_config_name(const gd_config *cfg, char *buf, size_t cap);

/* A parameter of a plugin section as written, or NULL. */
static const char *param(const gd_plugin_conf *pc, const char *key)
{
    for (size_t i = 0; i < pc->n_params; i++)
        if (!strcmp(pc->params[i].key, key))
            return pc->params[i].value;
    return NULL;
}

/* The plugin a section names, without a directory or .so. */
static void plugin_base(const gd_plugin_conf *pc, char *buf, size_t cap)
{
    const char *p = strrchr(pc->plugin, '/');
    p = p ? p + 1 : pc->plugin;
    size_t n = strlen(p);
    if (n > 3 && !strcmp(p + n - 3, ".so"))
        n -= 3;
    snprintf(buf, cap, "%.*s", (int)n, p);
}

/* The worst max drawdown (%) of the enabled strategies' ablations on record
 * (their all-overlays configuration), or -1. */
static double backtest_dd(const gd_config *cfg, PGconn *c, gd_pf *r)
{
    char cfgname[96];
    double worst = -1;
    live_config_name(cfg, cfgname, sizeof cfgname);
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *s = &cfg->plugins[i];
        if (!s->enabled || s->kind != GORDON_KIND_STRATEGY)
            continue;
        char label[128], sha[65], want[256], why[300];
        gd_instance_label(label, sizeof label, s->kind, s->name);
        plugin_sha(r, label, sha, sizeof sha);
        snprintf(want, sizeof want, "{\"%s\":\"%s\"}", label, sha);
        const char *v[2] = {want, cfgname};
        PGresult *q;
        if (one_row(c,
                    "SELECT (x->'metrics'->>'max_dd_pct')::float8 FROM trading.ablation_runs a,"
                    " jsonb_array_elements(a.metrics->'configurations') x WHERE a.plugins @> $1::jsonb AND"
                    " x->>'name' = $2 ORDER BY a.recorded_at DESC LIMIT 1",
                    2, v, &q, why, sizeof why) == 1) {
            double dd = atof(PQgetvalue(q, 0, 0));
            if (dd > worst)
                worst = dd;
            PQclear(q);
        }
    }
    return worst;
}

/* GET url; 0 on HTTP 200, else why. */
static int http_ok(const char *url, char *why, size_t cap)
{
    CURL *h = curl_easy_init();
    long code = 0;
    if (!h) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK)
        snprintf(why, cap, "%s", curl_easy_strerror(rc));
    else if (code != 200)
        snprintf(why, cap, "HTTP %ld", code);
    return rc == CURLE_OK && code == 200 ? 0 : -1;
}

/* The data the latest ablation on record for an enabled strategy's .so ran
 * on: the record's id, data digest, dates and [replay] data (symbol, path
 * as the ablation resolved it). 1 found, 0 none, -1 error (why). */
static int data_on_record(const gd_config *cfg, PGconn *c, gd_pf *r, long long *id, char sha[65], char *dates,
                          size_t dcap, gd_data_conf **data, size_t *n, char *why, size_t cap)
{
    *data = NULL;
    *n = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *s = &cfg->plugins[i];
        if (!s->enabled || s->kind != GORDON_KIND_STRATEGY)
            continue;
        char label[128], psha[65], want[256];
        gd_instance_label(label, sizeof label, s->kind, s->name);
        snprintf(want, sizeof want, "{\"%s\":\"%s\"}", label, plugin_sha(r, label, psha, sizeof psha));
        const char *v[1] = {want};
        PGresult *q;
        int got = one_row(c,
                          "SELECT id, data_sha256, to_char(data_from, 'YYYY-MM-DD') || '..' ||"
                          " to_char(data_to, 'YYYY-MM-DD'), config->'replay'->'data' FROM trading.ablation_runs"
                          " WHERE plugins @> $1::jsonb ORDER BY recorded_at DESC LIMIT 1",
                          1, v, &q, why, cap);
        if (got < 0)
            return -1;
        if (got == 0)
            continue;
        *id = strtoll(PQgetvalue(q, 0, 0), NULL, 10);
        snprintf(sha, 65, "%s", PQgetvalue(q, 0, 1));
        snprintf(dates, dcap, "%s", PQgetvalue(q, 0, 2));
        cJSON *a = cJSON_Parse(PQgetvalue(q, 0, 3));
        PQclear(q);
        int na = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
        if (na <= 0 || !(*data = calloc((size_t)na, sizeof **data))) {
            snprintf(why, cap, "ablation run %lld: %s", *id,
                     na <= 0 ? "its configuration names no [replay] data files" : "out of memory");
            cJSON_Delete(a);
            return -1;
        }
        const cJSON *d;
        cJSON_ArrayForEach(d, a)
        {
            const char *sym = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "symbol"));
            const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "path"));
            if (!sym || !path || strlen(sym) >= sizeof(*data)[0].symbol) {
                snprintf(why, cap, "ablation run %lld: data entry %zu has no symbol or file", *id, *n + 1);
                break;
            }
            snprintf((*data)[*n].symbol, sizeof(*data)[*n].symbol, "%s", sym);
            const cJSON *iv = cJSON_GetObjectItemCaseSensitive(d, "interval_ms");
            (*data)[*n].interval_ms = cJSON_IsNumber(iv) && iv->valuedouble > 0 && iv->valuedouble < 1e12
                                          ? (int64_t)iv->valuedouble
                                          : 0; /* as the ablation declared it */
            if (!((*data)[*n].path = strdup(path))) {
                snprintf(why, cap, "out of memory");
                break;
            }
            (*n)++;
        }
        cJSON_Delete(a);
        if (*n == (size_t)na)
            return 1;
        for (size_t k = 0; k < *n; k++)
            free((*data)[k].path);
        free(*data);
        *data = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

/* VPIN's threshold inside the range VPIN took on the data on record: run
 * alone over the files of the latest ablation on record (whose digest they
 * must still have), from its first full bucket on. Passes between the
 * median (below it, it would trip on most bars) and the maximum (above it,
 * it never would have). */
static void check_vpin(const gd_pf_opts *o, PGconn *c, const gd_plugin_conf *pc, const char *name, gd_pf *r)
{
    const char *v = param(pc, "threshold");
    if (!v) {
        gd_pf_add(r, name, 0, NULL, "threshold not set in %s:%d (the plugin's default is not a choice)", pc->file,
                  pc->line);
        return;
    }
    double t = atof(v);
    if (!o->history) {
        gd_pf_add(r, name, 0, NULL, "threshold %g: no way to compute VPIN's historical range in this program", t);
        return;
    }
    long long id = 0;
    char sha[65], dates[64] = "", why[600] = "";
    gd_data_conf *data = NULL;
    size_t n = 0;
    int got = data_on_record(o->cfg, c, r, &id, sha, dates, sizeof dates, &data, &n, why, sizeof why);
    if (got <= 0) {
        gd_pf_add(r, name, 0, NULL, "threshold %g: %s", t,
                  got < 0 ? why : "no ablation on record: no data on record to compute VPIN's range on");
        return;
    }
    gd_pf_range g;
    memset(&g, 0, sizeof g);
    if (o->history(o->history_arg, o->cfg, pc, data, n, sha, &g, why, sizeof why) != 0) {
        gd_pf_add(r, name, 0, NULL, "threshold %g: VPIN over ablation run %lld's data (%s): %s", t, id, dates, why);
    } else {
        gd_pf_add(r, name, g.bars > 0 && t >= g.p50 && t <= g.max, NULL,
                  "threshold %g against VPIN over ablation run %lld's data (%s, %llu bars with full buckets): min "
                  "%.3f, median %.3f, 95th %.3f, 99th %.3f, max %.3f; at or above it on %.2f%% of them (between the "
                  "median and the max)",
                  t, id, dates, (unsigned long long)g.bars, g.min, g.p50, g.p95, g.p99, g.max, g.above_pct);
    }
    for (size_t k = 0; k < n; k++)
        free(data[k].path);
    free(data);
}

/* Each breaker tuned for what it guards, by the bundled plugin it runs:
 * drawdown between the backtest's own max drawdown (so that normal trading
 * does not trip it) and twice it; connectivity's freshness window within
 * three bars of the market interval; correlation's density threshold set
 * between 0.5 and 0.99; macro's FRED key present and accepted by FRED for
 * its series; VPIN's threshold inside the range VPIN took on the data on
 * record (check_vpin). Another plugin: its parameters set. */
static void check_breaker(const gd_pf_opts *o, PGconn *c, const gd_plugin_conf *pc, gd_pf *r)
{
    const gd_config *cfg = o->cfg;
    char name[96], base[64];
    snprintf(name, sizeof name, "breaker %s", pc->name);
    plugin_base(pc, base, sizeof base);
    if (!strcmp(base, "drawdown")) {
        const char *v = param(pc, "max_drawdown_pct");
        double dd = backtest_dd(cfg, c, r), t = v ? atof(v) : 0;
        if (!v)
            gd_pf_add(r, name, 0, NULL, "max_drawdown_pct not set in %s:%d (the plugin's default is not a choice)",
                      pc->file, pc->line);
        else if (dd < 0)
            gd_pf_add(r, name, 0, NULL, "max_drawdown_pct %g: no ablation on record to tune it against", t);
        else
            gd_pf_add(r, name, t >= dd && t <= 2 * dd, NULL,
                      "max_drawdown_pct %g against the backtest's max drawdown %.2f%% (between it and twice it)", t,
                      dd);
    } else if (!strcmp(base, "connectivity")) {
        const char *v = param(pc, "max_data_age_ms");
        double iv = (double)cfg->market_interval_ms, t = v ? atof(v) : 0;
        if (!v || !(iv > 0))
            gd_pf_add(r, name, 0, NULL, "%s",
                      !v ? "max_data_age_ms not set" : "no [market] interval to tune it against");
        else
            gd_pf_add(r, name, t >= iv && t <= 3 * iv + cfg->market_stale_grace_ms, NULL,
                      "max_data_age_ms %.0f for %.0f ms bars (between one bar and three plus [market] stale_grace_ms)",
                      t, iv);
    } else if (!strcmp(base, "correlation")) {
        const char *v = param(pc, "threshold");
        double t = v ? atof(v) : 0;
        gd_pf_add(r, name, v && t >= 0.5 && t <= 0.99, NULL, "density threshold %s (set, between 0.5 and 0.99)",
                  v ? v : "not set");
    } else if (!strcmp(base, "macro")) {
        const char *series = param(pc, "series");
        char url[1024], why[200];
        if (!cfg->fred_api_key || !*cfg->fred_api_key) {
            gd_pf_add(r, name, 0, NULL, "no FRED API key ([fred] api_key or GORDON_FRED_API_KEY)");
            return;
        }
        CURL *h = curl_easy_init();
        char *k = h ? curl_easy_escape(h, cfg->fred_api_key, 0) : NULL;
        char *sid = h ? curl_easy_escape(h, series ? series : "VIXCLS", 0) : NULL;
        if (k && sid)
            snprintf(url, sizeof url, "%s/fred/series/observations?series_id=%s&api_key=%s&file_type=json&limit=1",
                     cfg->fred_base_url ? cfg->fred_base_url : "https://api.stlouisfed.org", sid, k);
        int ok = k && sid && http_ok(url, why, sizeof why) == 0;
        curl_free(k);
        curl_free(sid);
        if (h)
            curl_easy_cleanup(h);
        gd_pf_add(r, name, ok, NULL, "FRED key present; FRED %s series %s%s%s", ok ? "answers for" : "refused",
                  series ? series : "VIXCLS", ok ? "" : ": ", ok ? "" : why);
    } else if (!strcmp(base, "vpin")) {
        check_vpin(o, c, pc, name, r);
    } else {
        gd_pf_add(r, name, pc->n_params > 0, NULL, "%zu parameter(s) set in %s:%d", pc->n_params, pc->file, pc->line);
    }
}

int gd_preflight_run(const gd_pf_opts *o, PGconn *c, gd_pf *out, gd_err *err)
{
    char why[600] = "";
    memset(out, 0, sizeof *out);
    out->pass = 1;
    char *cj = NULL;
    int rc = gd_config_json(o->cfg, GD_CFG_JSON_PLUGINS, &cj, err);
    if (rc)
        return rc;
    gd_sha256_buf(cj, strlen(cj), out->config_sha256);
    free(cj);
    rc = plugin_hashes(o, out, why, sizeof why);
    if (rc == GD_ENOMEM)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    if (rc) {
        gd_pf_add(out, "plugins", 0, NULL, "%s", why);
        if (!(out->plugins_json = strdup("{}")))
            return gd_err_set(err, GD_ENOMEM, "out of memory");
    } else {
        gd_pf_add(out, "plugins", 1, NULL, "%s", out->plugins_json);
    }
    check_config(o, out);
    for (size_t i = 0; i < o->cfg->n_plugins; i++)
        if (o->cfg->plugins[i].enabled && o->cfg->plugins[i].kind == GORDON_KIND_BREAKER)
            check_breaker(o, c, &o->cfg->plugins[i], out);
    check_soak(c, out);
    check_ablations(o->cfg, c, out);
    check_drills(c, out);
    check_backups(o, c, out);
    return 0;
}

int gd_preflight_record(PGconn *c, const gd_pf *r, int stage, const char *host_version, long long *id, gd_err *err)
{
    cJSON *a = cJSON_CreateArray();
    int ok = a != NULL;
    for (int i = 0; ok && i < r->n; i++) {
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(a, o) && cJSON_AddStringToObject(o, "item", r->items[i].name) &&
             cJSON_AddBoolToObject(o, "pass", r->items[i].pass) &&
             cJSON_AddStringToObject(o, "evidence", r->items[i].evidence) &&
             (r->items[i].at[0] ? cJSON_AddStringToObject(o, "at", r->items[i].at) != NULL
                                : cJSON_AddNullToObject(o, "at") != NULL);
    }
    char *items = ok ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    if (!items)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    const char *vals[5] = {gd_stage_name(stage), r->pass ? "t" : "f", host_version, r->config_sha256, r->plugins_json};
    const char *v6[6] = {vals[0], vals[1], vals[2], vals[3], vals[4], items};
    int rc = gd_pg_insert_id(c,
                             "INSERT INTO trading.preflight_runs (stage, passed, host_version, config_sha256, plugins,"
                             " items) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb) RETURNING id",
                             6, v6, "trading.preflight_runs", id, err);
    free(items);
    return rc;
}

int gd_stage_promotion_record(PGconn *c, int promote, int from, int to, const char *by, long long preflight_id,
                              const gd_pf *r, const char *numbers_json, const char *notes, long long *id, gd_err *err)
{
    char pf[32];
    snprintf(pf, sizeof pf, "%lld", preflight_id);
    const char *vals[9] = {promote ? "promote" : "demote",
                           gd_stage_name(from),
                           gd_stage_name(to),
                           by,
                           preflight_id ? pf : NULL,
                           r ? r->config_sha256 : NULL,
                           r ? r->plugins_json : NULL,
                           numbers_json ? numbers_json : "{}",
                           notes ? notes : ""};
    return gd_pg_insert_id(c,
                           "INSERT INTO trading.stage_promotions (kind, from_stage, to_stage, approved_by,"
                           " preflight_run_id, config_sha256, plugins, numbers, notes)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9) RETURNING id",
                           9, vals, "trading.stage_promotions", id, err);
}

void gd_full_checks(PGconn *c, int64_t now_ms, double min_days, gd_pf *r, int64_t *micro_at_ms)
{
    PGresult *q;
    char why[500], at[40];
    *micro_at_ms = 0;
    int got = one_row(c,
                      "SELECT id, (extract(epoch FROM at) * 1000)::bigint FROM trading.stage_promotions"
                      " WHERE kind = 'promote' AND to_stage = 'micro' ORDER BY at DESC LIMIT 1",
                      0, NULL, &q, why, sizeof why);
    if (got != 1) {
        gd_pf_add(r, "a month at micro", 0, NULL, "%s", got < 0 ? why : "no promotion to micro on record");
        return;
    }
    int64_t ms = strtoll(PQgetvalue(q, 0, 1), NULL, 10);
    double days = (double)(now_ms - ms) / PF_DAY_MS;
    utc(ms, at, sizeof at);
    *micro_at_ms = ms;
    gd_pf_add(r, "a month at micro", days >= min_days, at, "micro since promotion %s, %.1f day(s) (at least %.0f)",
              PQgetvalue(q, 0, 0), days, min_days);
    PQclear(q);
    char since[32];
    snprintf(since, sizeof since, "%lld", (long long)ms);
    const char *vals[1] = {since};
    got = one_row(c,
                  "SELECT count(*) FILTER (WHERE kind = 'halt'), count(*) FILTER (WHERE kind = 'trip'),"
                  " count(*) FILTER (WHERE kind = 'quarantine') FROM trading.risk_events"
                  " WHERE at >= to_timestamp($1::bigint / 1000.0)",
                  1, vals, &q, why, sizeof why);
    if (got != 1) {
        gd_pf_add(r, "micro without incident", 0, NULL, "%s", got < 0 ? why : "no answer");
        return;
    }
    long h = atol(PQgetvalue(q, 0, 0)), t = atol(PQgetvalue(q, 0, 1)), k = atol(PQgetvalue(q, 0, 2));
    gd_pf_add(r, "micro without incident", h + t + k == 0, NULL,
              "since micro began: %ld halt(s), %ld breaker trip(s), %ld quarantine(s)", h, t, k);
    PQclear(q);
}

void gd_pf_free(gd_pf *r)
{
    free(r->plugins_json);
    r->plugins_json = NULL;
}

/* The ablation configuration that runs live: every enabled overlay ("all"
 * with two or more, "+NAME" with one, "baseline" with none). */
static void live_config_name(const gd_config *cfg, char *buf, size_t cap)
{
    int n = 0;
    const char *one = NULL;
    for (size_t i = 0; i < cfg->n_plugins; i++)
        if (cfg->plugins[i].enabled && cfg->plugins[i].kind == GORDON_KIND_OVERLAY) {
            n++;
            one = cfg->plugins[i].name;
        }
    if (n == 0)
        snprintf(buf, cap, "baseline");
    else if (n == 1)
        snprintf(buf, cap, "+%s", one);
    else
        snprintf(buf, cap, "all");
}

/* A number in the soak's metrics (obj.key), NAN when absent or null. */
static double jnum(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* One strategy's round trips in the soak against its backtest: as many as
 * [promote] min_trades, win rate and average R within their gaps. */
static void soak_strategy(const gd_config *cfg, const cJSON *soak, const char *soak_id, const char *strategy,
                          long long ab, double bt_win, double bt_r, gd_pf *r)
{
    char name[96];
    snprintf(name, sizeof name, "soak vs backtest %s", strategy);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(soak, "strategies"), strategy);
    double n = jnum(st, "trades"), wins = jnum(st, "wins"), avg_r = jnum(st, "avg_r");
    if (!isfinite(n) || !isfinite(wins) || !isfinite(avg_r)) {
        gd_pf_add(r, name, 0, NULL, "soak %s has no round trips of %s on record (a soak of an older version?)", soak_id,
                  strategy);
        return;
    }
    double win = n > 0 ? 100.0 * wins / n : 0;
    int ok =
        n >= cfg->pr_min_trades && fabs(win - bt_win) <= cfg->pr_max_win_gap && fabs(avg_r - bt_r) <= cfg->pr_max_r_gap;
    gd_pf_add(r, name, ok, NULL,
              "soak %s: %.0f trade(s) (at least %.0f), win rate %.1f%% vs %.1f%% in ablation run %lld (gap at most "
              "%.1f), average R %.2f vs %.2f (gap at most %.2f)",
              soak_id, n, cfg->pr_min_trades, win, bt_win, ab, cfg->pr_max_win_gap, avg_r, bt_r, cfg->pr_max_r_gap);
}

/* The soak's account against the backtest: drawdown within the ratio, the
 * hourly Sharpe not further below the backtest's than the gap. */
static void soak_account(const gd_config *cfg, const cJSON *soak, const char *soak_id, double worst_dd,
                         double best_sharpe, gd_pf *r)
{
    double dd = jnum(soak, "max_dd_pct"), sh = jnum(soak, "sharpe");
    int ok = isfinite(dd) && isfinite(sh) && dd <= worst_dd * cfg->pr_max_dd_ratio &&
             sh >= best_sharpe - cfg->pr_max_sharpe_gap;
    gd_pf_add(r, "soak vs backtest account", ok, NULL,
              "soak %s: max drawdown %.2f%% vs the backtest's %.2f%% (at most %.1fx), hourly Sharpe %s%.2f vs %.2f (at "
              "most %.2f below)",
              soak_id, isfinite(dd) ? dd : 0, worst_dd, cfg->pr_max_dd_ratio,
              isfinite(sh) ? "" : "(not on record: too few hours) ", isfinite(sh) ? sh : 0, best_sharpe,
              cfg->pr_max_sharpe_gap);
}

void gd_full_divergence(const gd_config *cfg, PGconn *c, int64_t micro_at_ms, gd_pf *r)
{
    char since[32], cfgname[96], why[500];
    snprintf(since, sizeof since, "%lld", (long long)micro_at_ms);
    live_config_name(cfg, cfgname, sizeof cfgname);
    double worst_dd = -1, best_sharpe = -1e300;
    int have_bt = 0;
    /* The soak preflight counted: how it traded, next to the backtest. */
    cJSON *soak = NULL;
    char soak_id[24] = "";
    {
        const char *sv[2] = {r->config_sha256, r->plugins_json ? r->plugins_json : "{}"};
        PGresult *q;
        int got = one_row(c,
                          "SELECT id, metrics::text FROM trading.soak_runs WHERE status = 'passed' AND real_venue"
                          " AND config_sha256 = $1 AND plugins = $2::jsonb ORDER BY ended_at DESC LIMIT 1",
                          2, sv, &q, why, sizeof why);
        if (got == 1) {
            snprintf(soak_id, sizeof soak_id, "%s", PQgetvalue(q, 0, 0));
            soak = cJSON_Parse(PQgetvalue(q, 0, 1));
            PQclear(q);
        }
        if (!soak)
            gd_pf_add(r, "soak vs backtest", 0, NULL, "%s",
                      got < 0    ? why
                      : got == 1 ? "the soak's metrics could not be read"
                                 : "no passed soak against a real Binance endpoint for these plugins and this "
                                   "configuration to compare");
    }
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const gd_plugin_conf *s = &cfg->plugins[i];
        if (!s->enabled || s->kind != GORDON_KIND_STRATEGY)
            continue;
        char name[96], label[128], sha[65];
        snprintf(name, sizeof name, "divergence %s", s->name);
        gd_instance_label(label, sizeof label, s->kind, s->name);
        plugin_sha(r, label, sha, sizeof sha);
        char want[256];
        snprintf(want, sizeof want, "{\"%s\":\"%s\"}", label, sha);
        const char *bv[2] = {want, cfgname};
        PGresult *q;
        int got = one_row(c,
                          "SELECT a.id, (x->'metrics'->>'win_rate_pct')::float8, (x->'metrics'->>'avg_r')::float8,"
                          " (x->'metrics'->>'max_dd_pct')::float8, (x->'metrics'->>'sharpe')::float8"
                          " FROM trading.ablation_runs a, jsonb_array_elements(a.metrics->'configurations') x"
                          " WHERE a.plugins @> $1::jsonb AND x->>'name' = $2 ORDER BY a.recorded_at DESC LIMIT 1",
                          2, bv, &q, why, sizeof why);
        if (got != 1) {
            gd_pf_add(r, name, 0, NULL, "%s", got < 0 ? why : "no ablation on record to compare with");
            continue;
        }
        long long ab = strtoll(PQgetvalue(q, 0, 0), NULL, 10);
        double bt_win = atof(PQgetvalue(q, 0, 1)), bt_r = atof(PQgetvalue(q, 0, 2));
        double bt_dd = atof(PQgetvalue(q, 0, 3)), bt_sh = atof(PQgetvalue(q, 0, 4));
        PQclear(q);
        have_bt = 1;
        if (bt_dd > worst_dd)
            worst_dd = bt_dd;
        if (bt_sh > best_sharpe)
            best_sharpe = bt_sh;
        if (soak)
            soak_strategy(cfg, soak, soak_id, s->name, ab, bt_win, bt_r, r);
        const char *lv[2] = {since, s->name};
        got = one_row(c,
                      "SELECT count(*), coalesce(100.0 * avg((realized_pnl > 0)::int), 0),"
                      " coalesce(avg(realized_pnl / nullif(qty * abs(entry - stop), 0)), 0)"
                      " FROM trading.positions WHERE status = 'closed' AND strategy = $2"
                      " AND closed_at >= to_timestamp($1::bigint / 1000.0)",
                      2, lv, &q, why, sizeof why);
        if (got != 1) {
            gd_pf_add(r, name, 0, NULL, "%s", got < 0 ? why : "no answer");
            continue;
        }
        long n = atol(PQgetvalue(q, 0, 0));
        double win = atof(PQgetvalue(q, 0, 1)), avg_r = atof(PQgetvalue(q, 0, 2));
        PQclear(q);
        int ok = n >= (long)cfg->pr_min_trades && fabs(win - bt_win) <= cfg->pr_max_win_gap &&
                 fabs(avg_r - bt_r) <= cfg->pr_max_r_gap;
        gd_pf_add(r, name, ok, NULL,
                  "micro: %ld trade(s) (at least %.0f), win rate %.1f%% vs %.1f%% in ablation run %lld (gap at most "
                  "%.1f), average R %.2f vs %.2f (gap at most %.2f)",
                  n, cfg->pr_min_trades, win, bt_win, ab, cfg->pr_max_win_gap, avg_r, bt_r, cfg->pr_max_r_gap);
    }
    if (!have_bt) {
        cJSON_Delete(soak);
        return;
    }
    if (soak)
        soak_account(cfg, soak, soak_id, worst_dd, best_sharpe, r);
    cJSON_Delete(soak);
    const char *dv[1] = {since};
    PGresult *q;
    int got = one_row(c,
                      "WITH d AS (SELECT date_trunc('day', at) AS day, (array_agg(equity ORDER BY at DESC))[1] AS eq"
                      "   FROM trading.equity_points WHERE at >= to_timestamp($1::bigint / 1000.0) GROUP BY 1),"
                      " r AS (SELECT eq / nullif(lag(eq) OVER (ORDER BY day), 0) - 1 AS ret FROM d)"
                      " SELECT (SELECT coalesce(max(drawdown_pct), 0) FROM trading.equity_points"
                      "   WHERE at >= to_timestamp($1::bigint / 1000.0)),"
                      " (SELECT avg(ret) / nullif(stddev_samp(ret), 0) * sqrt(365) FROM r WHERE ret IS NOT NULL)",
                      1, dv, &q, why, sizeof why);
    if (got != 1) {
        gd_pf_add(r, "divergence account", 0, NULL, "%s", got < 0 ? why : "no answer");
        return;
    }
    double dd = atof(PQgetvalue(q, 0, 0));
    int no_sharpe = PQgetisnull(q, 0, 1);
    double sh = no_sharpe ? 0 : atof(PQgetvalue(q, 0, 1));
    PQclear(q);
    int ok = dd <= worst_dd * cfg->pr_max_dd_ratio && !no_sharpe && sh >= best_sharpe - cfg->pr_max_sharpe_gap;
    gd_pf_add(
        r, "divergence account", ok, NULL,
        "micro: max drawdown %.2f%% vs the backtest's %.2f%% (at most %.1fx), daily Sharpe %s%.2f vs %.2f (at most "
        "%.2f below)",
        dd, worst_dd, cfg->pr_max_dd_ratio, no_sharpe ? "(too few days) " : "", sh, best_sharpe,
        cfg->pr_max_sharpe_gap);
}
