#include "daemon/api.h"
#include "daemon/api_body.h"
#include "venue/exec.h"
#include "venue/market.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/names.h"
#include "base/strv.h"
#include "daemon/dbrun.h"
#include "daemon/prom.h"
#include "daemon/views.h"
#include "risk/token.h"

int gd_api_init(gd_api *a, gd_err *err)
{
    const char *list = a->cfg->http_token_hashes;
    a->hashes = NULL;
    a->n_hashes = 0;
    if (!list)
        return 0;
    /* "hex, hex": validated by the config loader already. */
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    a->hashes = calloc(n, sizeof *a->hashes);
    if (!a->hashes)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        if (!(a->hashes[a->n_hashes] = strndup(p, 64)))
            return gd_err_set(err, GD_ENOMEM, "out of memory");
        a->n_hashes++;
        p += 64;
    }
    return 0;
}

void gd_api_free(gd_api *a)
{
    gd_strv_free(a->hashes, a->n_hashes);
    a->hashes = NULL;
    a->n_hashes = 0;
}

static void reply(gd_http_response *r, int status, const char *content_type, char *body)
{
    r->status = status;
    r->content_type = content_type;
    r->body = body;
    r->body_len = body ? strlen(body) : 0;
}

static void reply_json(gd_http_response *r, int status, cJSON *obj)
{
    char *s = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    reply(r, s ? status : 500, "application/json", s ? s : strdup("{\"error\":\"out of memory\"}"));
}

static void reply_error(gd_http_response *r, int status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    reply_json(r, status, o);
}

static void log_access(const gd_http_request *req, int status, const char *who)
{
    char f[512], path[200], peer[80], w[64];
    gd_json_escape(path, sizeof path, req->path);
    gd_json_escape(peer, sizeof peer, req->peer ? req->peer : "");
    gd_json_escape(w, sizeof w, who ? who : "");
    snprintf(f, sizeof f, "\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"peer\":\"%s\"%s%s%s", req->method, path,
             status, peer, who ? ",\"who\":\"" : "", who ? w : "", who ? "\"" : "");
    gd_log(status >= 400 ? GD_LOG_WARN : GD_LOG_INFO, "http", f, "%s %s -> %d", req->method, path, status);
}

/* 401 without a token, 403 with a wrong one (GD_EPERM, the reply is set);
 * on success *who names the operator by the hash's first 8 hex characters. */
static int authorize(gd_api *a, const gd_http_request *req, gd_http_response *resp, char *who, size_t cap)
{
    if (!req->authorization || !*req->authorization) {
        resp->www_authenticate = "Bearer";
        reply_error(resp, 401, "operator bearer token required");
        return GD_EPERM;
    }
    int k = a->n_hashes ? gd_token_check(req->authorization, (const char *const *)a->hashes, a->n_hashes) : GD_ENOENT;
    if (k < 0) {
        reply_error(resp, 403, a->n_hashes ? "token not accepted" : "no operator tokens are configured");
        return GD_EPERM;
    }
    char label[9];
    gd_token_label(a->hashes[k], label);
    snprintf(who, cap, "operator:%s", label);
    return 0;
}

/* Optional JSON body {"reason": "...", "force": true} (api_body.c);
 * GD_EPARSE with a 400 reply set when it is not that. */
static int parse_body(const gd_http_request *req, char *reason, size_t cap, int *force, gd_http_response *resp)
{
    const char *why;
    int rc = gd_api_body_parse(req->body, req->body_len, reason, cap, force, &why);
    if (rc)
        reply_error(resp, 400, why);
    return rc;
}

/* The store takes writes: its last probe (a real write and fsync, off the
 * loop every few seconds) worked, and no write to it has failed since (a
 * full disk says no at once, without the loop waiting for a disk). */
static int store_writable(const gd_api *a)
{
    return a->store_writable && gd_engine_halt_state(a->eng)->write_failures == a->store_failures_seen;
}

static void readyz(gd_api *a, gd_http_response *resp)
{
    cJSON *o = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(o, "checks");
    int ok = 1;
    cJSON_AddBoolToObject(c, "config_loaded", 1);
    cJSON_AddBoolToObject(c, "plugins_loaded", a->plugins_loaded);
    ok &= a->plugins_loaded;
    /* Replay: data counts as fresh once bars flow; live feeds bring their own clock. */
    cJSON_AddBoolToObject(c, "data_fresh", a->replay_started && !a->market_stale);
    ok &= a->replay_started && !a->market_stale;
    if (a->state) {
        const gd_halt *h = gd_engine_halt_state(a->eng);
        int writable = store_writable(a);
        cJSON_AddBoolToObject(c, "state_store_writable", writable);
        if (!writable)
            cJSON_AddStringToObject(o, "state_store_error",
                                    !a->store_writable ? a->store_error
                                    : h->store_error[0] ? h->store_error
                                                        : "a write to the store failed since its last probe");
        ok &= writable;
        int durable = !h->halted || h->persisted;
        cJSON_AddBoolToObject(c, "halt_latch_durable", durable);
        ok &= durable;
    }
    if (a->db && a->db->active) {
        /* Not ready while the database is away: the host still trades
         * within its rules (the db breaker decides about entries), but an
         * operator must know the record is only local. */
        gd_dbrun_snap snap;
        gd_dbrun_snapshot(a->db, &snap);
        const gd_dbw_stats *w = &snap.w;
        double age = 0;
        int blocked = gd_engine_db_blocked(a->eng, &age);
        cJSON *db = cJSON_AddObjectToObject(o, "database");
        cJSON_AddBoolToObject(c, "database_connected", w->connected);
        cJSON_AddBoolToObject(c, "db_breaker_closed", !blocked);
        cJSON_AddNumberToObject(db, "journal_depth", (double)snap.depth);
        cJSON_AddNumberToObject(db, "journal_age_s", age);
        cJSON_AddNumberToObject(db, "applied", (double)w->applied);
        cJSON_AddNumberToObject(db, "reconnects", (double)w->reconnects);
        cJSON_AddStringToObject(db, "halt_latch_source", a->db->latch_source);
        if (w->last_error[0])
            cJSON_AddStringToObject(db, "last_error", w->last_error);
        ok &= w->connected && !blocked;
    }
    if (a->vexec) {
        /* Trading waits for the venue's start-up checks. */
        cJSON_AddBoolToObject(c, "venue_ready", a->venue_ready);
        ok &= a->venue_ready;
    }
    if (gd_engine_series_count(a->eng)) {
        int fetched = a->series_rounds >= gd_engine_series_count(a->eng);
        cJSON_AddBoolToObject(c, "macro_series_fetched", fetched);
        ok &= fetched;
    }
    cJSON_AddBoolToObject(o, "ready", ok);
    reply_json(resp, ok ? 200 : 503, o);
}

/* The journal and the database writer; heads only without a database, so
 * every family is always declared. */
static void db_metrics(const gd_api *a, gd_buf *b)
{
    gd_dbrun *d = a->db && a->db->active ? a->db : NULL;
    gd_dbrun_snap snap;
    memset(&snap, 0, sizeof snap);
    if (d)
        gd_dbrun_snapshot(d, &snap);
    const gd_dbw_stats *w = d ? &snap.w : NULL;
    double age = 0;
    int blocked = d ? gd_engine_db_blocked(a->eng, &age) : 0;
#define DB_G(name, fmt, v)                           \
    do {                                             \
        gd_prom_head(b, #name);                      \
        if (d)                                       \
            gd_buf_printf(b, #name " " fmt "\n", v); \
    } while (0)
    DB_G(gordon_db_connected, "%d", w ? w->connected : 0);
    DB_G(gordon_db_journal_depth, "%llu", (unsigned long long)snap.depth);
    DB_G(gordon_db_journal_age_seconds, "%.3f", age);
    DB_G(gordon_db_breaker_open, "%d", blocked);
    gd_prom_head(b, "gordon_db_write_latency_seconds");
    if (w) {
        uint64_t cum = 0;
        for (int k = 0; k < GD_DBW_LAT_BUCKETS; k++) {
            cum += w->lat_le[k];
            gd_buf_printf(b, "gordon_db_write_latency_seconds_bucket{le=\"%g\"} %llu\n", gd_dbw_lat_bounds[k],
                          (unsigned long long)cum);
        }
        cum += w->lat_le[GD_DBW_LAT_BUCKETS];
        gd_buf_printf(b, "gordon_db_write_latency_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        gd_buf_printf(b, "gordon_db_write_latency_seconds_sum %.6f\n", w->lat_sum);
        gd_buf_printf(b, "gordon_db_write_latency_seconds_count %llu\n", (unsigned long long)cum);
    }
    DB_G(gordon_db_reconnects_total, "%llu", w ? (unsigned long long)w->reconnects : 0ull);
    DB_G(gordon_db_applied_records_total, "%llu", w ? (unsigned long long)w->applied : 0ull);
    DB_G(gordon_db_replayed_records_total, "%llu", w ? (unsigned long long)w->replayed : 0ull);
    DB_G(gordon_db_rejected_records_total, "%llu", w ? (unsigned long long)w->rejected : 0ull);
    DB_G(gordon_db_journal_sync_failures_total, "%llu", (unsigned long long)snap.sync_failures);
    DB_G(gordon_db_journal_lost_records_total, "%llu",
         d ? (unsigned long long)(gd_engine_rec_lost(a->eng) + snap.lost) : 0ull);
    DB_G(gordon_db_queue_waits_total, "%llu", (unsigned long long)snap.room_waits);
    DB_G(gordon_db_queue_wait_seconds_total, "%.6f", (double)snap.room_wait_ns / 1e9);
#undef DB_G
}

/* The venue executor; heads only when orders are simulated. */
static void venue_metrics(const gd_api *a, gd_buf *b)
{
    gd_vexec_stats v = {0};
    int unprot = 0;
    if (a->vexec) {
        gd_vexec_stats_get(a->vexec, &v);
        unprot = gd_vexec_describe(a->vexec, NULL, 0);
    }
    gd_prom_head(b, "gordon_venue_ready");
    if (a->vexec)
        gd_buf_printf(b, "gordon_venue_ready %d\n", v.ready);
    gd_prom_head(b, "gordon_venue_used_weight_1m");
    if (a->vexec && v.used_weight_1m >= 0)
        gd_buf_printf(b, "gordon_venue_used_weight_1m %ld\n", v.used_weight_1m);
    gd_prom_head(b, "gordon_venue_requests_total");
    if (a->vexec) {
        const struct {
            const char *k;
            uint64_t n;
        } o[] = {{"sent", v.orders_sent + v.algo_sent},
                 {"rejected", v.rejected},
                 {"unknown", v.unknown},
                 {"looked_up", v.lookups},
                 {"resent", v.resent},
                 {"limited", v.limited}};
        for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
            gd_buf_printf(b, "gordon_venue_requests_total{outcome=\"%s\"} %llu\n", o[i].k, (unsigned long long)o[i].n);
    }
    gd_prom_head(b, "gordon_venue_stream_connected");
    if (a->vexec && v.ready)
        gd_buf_printf(b, "gordon_venue_stream_connected %d\n", v.stream_connected);
    gd_prom_head(b, "gordon_venue_reconcile_mismatches_total");
    if (a->vexec)
        gd_buf_printf(b, "gordon_venue_reconcile_mismatches_total %llu\n", (unsigned long long)v.mismatches);
    gd_prom_head(b, "gordon_venue_stop_failures_total");
    if (a->vexec)
        gd_buf_printf(b, "gordon_venue_stop_failures_total %llu\n", (unsigned long long)v.stop_failures);
    gd_prom_head(b, "gordon_venue_unprotected_positions");
    if (a->vexec)
        gd_buf_printf(b, "gordon_venue_unprotected_positions %d\n", unprot);
}

/* Live market data; heads only when bars are replayed. */
static void market_metrics(const gd_api *a, gd_buf *b)
{
    gd_vmarket_stats m = {0};
    if (a->market)
        gd_vmarket_stats_get(a->market, &m);
    gd_prom_head(b, "gordon_market_bars_total");
    if (a->market) {
        gd_buf_printf(b, "gordon_market_bars_total{source=\"stream\"} %llu\n", (unsigned long long)m.bars_stream);
        gd_buf_printf(b, "gordon_market_bars_total{source=\"backfill\"} %llu\n",
                      (unsigned long long)m.bars_backfilled);
    }
    gd_prom_head(b, "gordon_market_gaps_total");
    if (a->market) {
        gd_buf_printf(b, "gordon_market_gaps_total{outcome=\"found\"} %llu\n", (unsigned long long)m.gaps);
        gd_buf_printf(b, "gordon_market_gaps_total{outcome=\"unfilled\"} %llu\n", (unsigned long long)m.gaps_unfilled);
    }
    gd_prom_head(b, "gordon_market_stale");
    if (a->market)
        gd_buf_printf(b, "gordon_market_stale %d\n", a->market_stale);
    gd_prom_head(b, "gordon_market_stream_connected");
    if (a->market)
        gd_buf_printf(b, "gordon_market_stream_connected %d\n", m.connected);
}

static char *daemon_metrics(const gd_api *a)
{
    gd_buf b = GD_BUF_INIT;
    gd_prom_head(&b, "gordon_loop_lag_seconds");
    gd_buf_printf(&b, "gordon_loop_lag_seconds %.6f\n", a->loop_lag_s);
    gd_prom_head(&b, "gordon_state_store_writable");
    if (a->state) /* nothing to write without a store: no sample, no alert */
        gd_buf_printf(&b, "gordon_state_store_writable %d\n", store_writable(a));
    db_metrics(a, &b);
    venue_metrics(a, &b);
    market_metrics(a, &b);
    gd_prom_head(&b, "gordon_http_requests_total");
    for (int c = 100; c < 600; c++)
        if (a->http_by_code[c])
            gd_buf_printf(&b, "gordon_http_requests_total{code=\"%d\"} %llu\n", c,
                          (unsigned long long)a->http_by_code[c]);
    return gd_buf_take(&b);
}

static int latch_durable(const gd_api *a)
{
    const gd_halt *h = gd_engine_halt_state(a->eng);
    return !a->state || h->persisted;
}

/* A halt is acknowledged (200) only once it is durable; set in memory but
 * not recorded, it is 503 with the reason, and the daemon keeps retrying. */
static void halt(gd_api *a, const char *who, const char *reason, gd_http_response *resp)
{
    gd_err err;
    int rc = gd_engine_halt(a->eng, who, reason, &err);
    cJSON *o = gd_view_risk(a->eng);
    if (rc && o) {
        char msg[1300];
        snprintf(msg, sizeof msg,
                 "the halt is in force in memory but NOT durable: %s (a restart now would lose it; the daemon "
                 "retries every second)",
                 err.msg);
        cJSON_AddStringToObject(o, "error", msg);
    }
    reply_json(resp, rc ? 503 : 200, o);
}

/* POST /strategies/NAME/quarantine and /release (rest: "NAME/verb"):
 * token-gated, acknowledged only once durable. */
static void strategy_action(gd_api *a, const gd_http_request *req, const char *rest, int post, char *who,
                            size_t who_cap, gd_http_response *resp)
{
    char name[GD_NAME_MAX + 2], reason[256];
    int force;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    int on = slash && !strcmp(slash, "/quarantine"), off = slash && !strcmp(slash, "/release");
    if (!on && !off) {
        reply_error(resp, 404, "no such endpoint (POST /strategies/NAME/quarantine or /release)");
        return;
    }
    if (n == 0 || n > GD_NAME_MAX) {
        reply_error(resp, 404, "no such strategy");
        return;
    }
    memcpy(name, rest, n);
    name[n] = '\0';
    if (!gd_name_valid(name, GD_NAME_MAX)) {
        reply_error(resp, 404, "no such strategy");
        return;
    }
    if (!post) {
        reply_error(resp, 405, "use POST");
        return;
    }
    if (authorize(a, req, resp, who, who_cap) != 0 || parse_body(req, reason, sizeof reason, &force, resp) != 0)
        return;
    gd_err err;
    int rc = gd_engine_quarantine(a->eng, name, on, who, reason, &err);
    if (rc == GD_ENOENT) {
        reply_error(resp, on ? 404 : 409, err.msg);
        return;
    }
    char *body = gd_view_strategies_json(a->eng);
    if (rc) {
        free(body);
        reply_error(resp, 503, err.msg);
        return;
    }
    reply(resp, 200, "application/json", body);
}

void gd_api_handle(void *user, const gd_http_request *req, gd_http_response *resp)
{
    gd_api *a = user;
    const char *m = req->method, *p = req->path;
    int get = !strcmp(m, "GET"), post = !strcmp(m, "POST");
    char who[64] = "", reason[256];
    int force;

    if (!strcmp(p, "/healthz") && get) {
        reply(resp, 200, "application/json", strdup("{\"status\":\"ok\"}"));
    } else if (!strcmp(p, "/readyz") && get) {
        readyz(a, resp);
    } else if (!strcmp(p, "/metrics") && get) {
        char *extra = daemon_metrics(a);
        reply(resp, 200, "text/plain; version=0.0.4; charset=utf-8", gd_prom_exposition(a->eng, extra));
        free(extra);
    } else if (!strcmp(p, "/risk/state") && get) {
        reply(resp, 200, "application/json", gd_view_risk_json(a->eng));
    } else if (!strcmp(p, "/positions") && get) {
        reply(resp, 200, "application/json", gd_view_positions_json(a->eng, a->vexec));
    } else if (!strcmp(p, "/intents") && get) {
        reply(resp, 200, "application/json", gd_view_intents_json(a->eng));
    } else if (!strcmp(p, "/fills") && get) {
        reply(resp, 200, "application/json", gd_view_fills_json(a->eng));
    } else if (!strcmp(p, "/risk/halt") || !strcmp(p, "/risk/resume") || !strcmp(p, "/risk/emergency-flatten")) {
        if (!post) {
            reply_error(resp, 405, "use POST");
        } else if (authorize(a, req, resp, who, sizeof who) == 0 &&
                   parse_body(req, reason, sizeof reason, &force, resp) == 0) {
            if (!strcmp(p, "/risk/halt")) {
                halt(a, who, reason, resp);
            } else if (!strcmp(p, "/risk/resume")) {
                gd_err err;
                int rc = gd_engine_resume(a->eng, who, reason, force, &err);
                if (rc == 0)
                    reply(resp, 200, "application/json", gd_view_risk_json(a->eng));
                else
                    reply_error(resp, rc == GD_ESTATE ? 409 : 500, err.msg);
            } else {
                char *json = NULL;
                int failures = gd_engine_flatten(a->eng, who, reason, &json);
                /* Orders that failed first; then a latch that is not durable. */
                reply(resp, failures ? 500 : latch_durable(a) ? 200 : 503, "application/json", json);
            }
        }
    } else if (!strcmp(p, "/strategies") && get) {
        reply(resp, 200, "application/json", gd_view_strategies_json(a->eng));
    } else if (!strncmp(p, "/strategies/", 12)) {
        strategy_action(a, req, p + 12, post, who, sizeof who, resp);
    } else if (!strcmp(p, "/healthz") || !strcmp(p, "/readyz") || !strcmp(p, "/metrics") || !strcmp(p, "/risk/state") ||
               !strcmp(p, "/positions") || !strcmp(p, "/strategies") || !strcmp(p, "/intents") ||
               !strcmp(p, "/fills")) {
        reply_error(resp, 405, "use GET");
    } else {
        reply_error(resp, 404, "no such endpoint");
    }
    if (!resp->body)
        reply(resp, 500, "application/json", strdup("{\"error\":\"out of memory\"}"));
    /* Every attempt at a mutating endpoint is logged, with who, never the token. */
    if (post || resp->status >= 400)
        log_access(req, resp->status, who[0] ? who : NULL);
}
