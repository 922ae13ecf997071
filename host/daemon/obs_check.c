#include "daemon/obs_check.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "daemon/prom_families.h"

#define OBS_BODY_MAX   (8u << 20)
#define OBS_TIMEOUT_MS 10000L

#define OBS_NAME(name, type, help, labels) #name,
static const char *const families[] = {GD_PROM_FAMILIES(OBS_NAME)};
#define N_FAMILIES (sizeof families / sizeof families[0])

typedef struct body {
    char *p;
    size_t n;
    int over;
} body;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    body *b = arg;
    size_t n = size * nmemb;
    if (b->n + n > OBS_BODY_MAX) {
        b->over = 1;
        return 0;
    }
    char *q = realloc(b->p, b->n + n + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, ptr, n);
    b->p = q;
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

/* GET url: 0 and the body (caller frees) on HTTP 200, else why. */
static int http_get(const char *url, char **out, char *why, size_t cap)
{
    body b = {NULL, 0, 0};
    CURL *c = curl_easy_init();
    long code = 0;
    *out = NULL;
    if (!c) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, OBS_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || code != 200 || !b.p) {
        snprintf(why, cap, "%s: %s", url,
                 rc != CURLE_OK ? (b.over ? "reply too large" : curl_easy_strerror(rc))
                 : code != 200  ? "not HTTP 200"
                                : "empty reply");
        if (rc == CURLE_OK && code != 200)
            snprintf(why, cap, "%s: HTTP %ld", url, code);
        free(b.p);
        return -1;
    }
    *out = b.p;
    return 0;
}

/* 1 when text names family f: f not followed by an identifier character,
 * or followed by a histogram's _bucket, _sum or _count. */
static int names_family(const char *text, const char *f)
{
    size_t n = strlen(f);
    for (const char *p = strstr(text, f); p; p = strstr(p + 1, f)) {
        if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        const char *e = p + n;
        if (!isalnum((unsigned char)*e) && *e != '_')
            return 1;
        if (!strncmp(e, "_bucket", 7) || !strncmp(e, "_sum", 4) || !strncmp(e, "_count", 6)) {
            const char *z = e + (e[1] == 'b' ? 7 : e[1] == 's' ? 4 : 6);
            if (!isalnum((unsigned char)*z) && *z != '_')
                return 1;
        }
    }
    return 0;
}

/* The first gordon_ metric named in text that is no family, into out. */
static int unknown_family(const char *text, char *out, size_t cap)
{
    for (const char *p = strstr(text, "gordon_"); p; p = strstr(p + 1, "gordon_")) {
        if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        size_t n = 0;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        int known = 0;
        for (size_t i = 0; i < N_FAMILIES && !known; i++)
            known = names_family(name, families[i]);
        if (!known) {
            snprintf(out, cap, "%s", name);
            return 1;
        }
    }
    return 0;
}

static void collect_exprs(const cJSON *j, char **acc, size_t *len, int *oom)
{
    if (!j || *oom)
        return;
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, j)
        {
            if (c->string && !strcmp(c->string, "expr") && cJSON_IsString(c)) {
                size_t n = strlen(c->valuestring);
                char *q = realloc(*acc, *len + n + 2);
                if (!q) {
                    *oom = 1;
                    return;
                }
                memcpy(q + *len, c->valuestring, n);
                q[*len + n] = '\n';
                q[*len + n + 1] = '\0';
                *acc = q;
                *len += n + 1;
            } else {
                collect_exprs(c, acc, len, oom);
            }
        }
    }
}

static void check_grafana(const gd_config *cfg, gd_pf *r)
{
    const char *path = cfg->pf_grafana_dashboard ? cfg->pf_grafana_dashboard : "/usr/share/gordon/grafana/gordon.json";
    char *text = NULL, *exprs = NULL;
    size_t len = 0, elen = 0;
    gd_err e;
    if (gd_file_read(path, OBS_BODY_MAX, &text, &len, &e) != 0) {
        gd_pf_add(r, "grafana panels", 0, NULL, "%s", e.msg);
        return;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    int oom = 0;
    collect_exprs(j, &exprs, &elen, &oom);
    cJSON_Delete(j);
    free(text);
    if (!exprs) {
        gd_pf_add(r, "grafana panels", 0, NULL, "%s: %s", path, oom ? "out of memory" : "no panel query (\"expr\")");
        return;
    }
    char missing[300] = "", gone[128] = "";
    size_t n_missing = 0;
    for (size_t i = 0; i < N_FAMILIES; i++)
        if (!names_family(exprs, families[i]) && n_missing++ == 0)
            snprintf(missing, sizeof missing, "%s", families[i]);
    int stale = unknown_family(exprs, gone, sizeof gone);
    free(exprs);
    if (n_missing || stale)
        gd_pf_add(r, "grafana panels", 0, NULL, "%s: %zu famil%s without a panel%s%s%s%s", path, n_missing,
                  n_missing == 1 ? "y" : "ies", n_missing ? " (first: " : "", missing, n_missing ? ")" : "",
                  stale ? "; a panel queries a family gordon does not export" : "");
    else
        gd_pf_add(r, "grafana panels", 1, NULL, "%s: a panel for every one of the %zu families, none for another", path,
                  N_FAMILIES);
    if (stale)
        snprintf(r->items[r->n - 1].evidence + strlen(r->items[r->n - 1].evidence),
                 sizeof r->items[0].evidence - strlen(r->items[r->n - 1].evidence), " (%s)", gone);
}

/* The alert names in the shipped rules file ("- alert: NAME" lines). */
static size_t shipped_alerts(const char *text, char names[][96], size_t cap)
{
    size_t n = 0;
    for (const char *p = text; p && *p && n < cap; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncmp(q, "- alert:", 8) != 0)
            continue;
        q += 8;
        while (*q == ' ')
            q++;
        size_t k = strcspn(q, " \t\r\n");
        if (k && k < 96)
            snprintf(names[n++], 96, "%.*s", (int)k, q);
    }
    return n;
}

static void check_prometheus(const gd_config *cfg, gd_pf *r)
{
    const char *base = cfg->pf_prometheus_url ? cfg->pf_prometheus_url : "http://127.0.0.1:9090";
    const char *file = cfg->pf_alerts_file ? cfg->pf_alerts_file : "/usr/share/gordon/prometheus/alerts.yml";
    char url[600], why[700], *text = NULL, *reply = NULL;
    size_t len;
    gd_err e;
    static char names[256][96];
    if (gd_file_read(file, OBS_BODY_MAX, &text, &len, &e) != 0) {
        gd_pf_add(r, "prometheus rules", 0, NULL, "%s", e.msg);
        return;
    }
    size_t n = shipped_alerts(text, names, sizeof names / sizeof names[0]);
    free(text);
    snprintf(url, sizeof url, "%s/api/v1/rules?type=alert", base);
    if (!n) {
        gd_pf_add(r, "prometheus rules", 0, NULL, "%s: no alert rule in it", file);
        return;
    }
    if (http_get(url, &reply, why, sizeof why) != 0) {
        gd_pf_add(r, "prometheus rules", 0, NULL, "%s", why);
        return;
    }
    cJSON *j = cJSON_Parse(reply);
    free(reply);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "groups");
    if (!cJSON_IsString(st) || strcmp(st->valuestring, "success") || !cJSON_IsArray(groups)) {
        gd_pf_add(r, "prometheus rules", 0, NULL, "%s: not a Prometheus rules reply", url);
        cJSON_Delete(j);
        return;
    }
    size_t loaded = 0, unhealthy = 0;
    char first_missing[96] = "", *queries = NULL;
    size_t qlen = 0;
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        const cJSON *g, *rule;
        cJSON_ArrayForEach(g, groups)
        {
            cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(g, "rules"))
            {
                const cJSON *nm = cJSON_GetObjectItemCaseSensitive(rule, "name");
                const cJSON *h = cJSON_GetObjectItemCaseSensitive(rule, "health");
                const cJSON *qy = cJSON_GetObjectItemCaseSensitive(rule, "query");
                if (!cJSON_IsString(nm) || strcmp(nm->valuestring, names[i]) || found)
                    continue;
                found = 1;
                unhealthy += cJSON_IsString(h) && !strcmp(h->valuestring, "err");
                if (cJSON_IsString(qy)) {
                    size_t k = strlen(qy->valuestring);
                    char *q2 = realloc(queries, qlen + k + 2);
                    if (q2) {
                        memcpy(q2 + qlen, qy->valuestring, k);
                        q2[qlen + k] = '\n';
                        q2[qlen + k + 1] = '\0';
                        queries = q2;
                        qlen += k + 1;
                    }
                }
            }
        }
        loaded += found;
        if (!found && !first_missing[0])
            snprintf(first_missing, sizeof first_missing, "%s", names[i]);
    }
    cJSON_Delete(j);
    size_t uncovered = 0;
    const char *first_uncovered = "";
    for (size_t i = 0; i < N_FAMILIES; i++)
        if (!queries || !names_family(queries, families[i]))
            if (uncovered++ == 0)
                first_uncovered = families[i];
    free(queries);
    int pass = loaded == n && !unhealthy && !uncovered;
    char miss[140] = "";
    if (first_missing[0])
        snprintf(miss, sizeof miss, " (missing: %s)", first_missing);
    gd_pf_add(r, "prometheus rules", pass, NULL,
              "%zu of %zu shipped alert rules loaded in %s%s, %zu unhealthy; %zu of %zu families without a loaded "
              "rule%s%s",
              loaded, n, base, miss, unhealthy, uncovered, N_FAMILIES, uncovered ? ", first: " : "", first_uncovered);
}

/* Rules alert on nothing unless Prometheus scrapes gordon: a target that
 * exports gordon's families and is up. */
static void check_scrape(const gd_config *cfg, gd_pf *r)
{
    const char *base = cfg->pf_prometheus_url ? cfg->pf_prometheus_url : "http://127.0.0.1:9090";
    char url[900], why[700], *reply = NULL;
    CURL *h = curl_easy_init();
    char *q = h ? curl_easy_escape(h,
                                   "up == 1 and on (job, instance) count by (job, instance) "
                                   "({__name__=~\"gordon_.+\"})",
                                   0)
                : NULL;
    if (!q) {
        if (h)
            curl_easy_cleanup(h);
        gd_pf_add(r, "prometheus scrape", 0, NULL, "out of memory");
        return;
    }
    snprintf(url, sizeof url, "%s/api/v1/query?query=%s", base, q);
    curl_free(q);
    curl_easy_cleanup(h);
    if (http_get(url, &reply, why, sizeof why) != 0) {
        gd_pf_add(r, "prometheus scrape", 0, NULL, "%s", why);
        return;
    }
    cJSON *j = cJSON_Parse(reply);
    free(reply);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "result");
    if (!cJSON_IsString(st) || strcmp(st->valuestring, "success") || !cJSON_IsArray(res)) {
        gd_pf_add(r, "prometheus scrape", 0, NULL, "%s/api/v1/query: not a Prometheus query reply", base);
    } else if (cJSON_GetArraySize(res) == 0) {
        gd_pf_add(r, "prometheus scrape", 0, NULL,
                  "%s scrapes no gordon: no target exporting gordon_* families is up (its scrape_configs)", base);
    } else {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "metric");
        const char *job = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "job"));
        const char *inst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "instance"));
        gd_pf_add(r, "prometheus scrape", 1, NULL, "%s scrapes gordon: %d target(s) up, first job %.60s instance %.80s",
                  base, cJSON_GetArraySize(res), job ? job : "?", inst ? inst : "?");
    }
    cJSON_Delete(j);
}

static void utc(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tmv;
    if (!gmtime_r(&t, &tmv) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        snprintf(buf, cap, "%lld ms", (long long)ms);
}

static void check_logs(const gd_config *cfg, int64_t now_ms, gd_pf *r)
{
    if (cfg->pf_loki_url) {
        char why[700];
        const char *sel = cfg->pf_loki_query ? cfg->pf_loki_query : "{unit=\"gordon.service\"}";
        CURL *c = curl_easy_init();
        char *q = c ? curl_easy_escape(c, sel, 0) : NULL, *reply = NULL;
        if (c)
            curl_easy_cleanup(c);
        if (!q) {
            gd_pf_add(r, "logs", 0, NULL, "out of memory");
            return;
        }
        char url[1200];
        snprintf(url, sizeof url, "%s/loki/api/v1/query_range?query=%s&start=%lld&end=%lld&limit=1&direction=backward",
                 cfg->pf_loki_url, q, (long long)(now_ms - 300000) * 1000000LL, (long long)(now_ms + 1000) * 1000000LL);
        curl_free(q);
        if (http_get(url, &reply, why, sizeof why) != 0) {
            gd_pf_add(r, "logs", 0, NULL, "%s", why);
            return;
        }
        cJSON *j = cJSON_Parse(reply);
        free(reply);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "result");
        double newest = 0;
        const cJSON *s, *v;
        cJSON_ArrayForEach(s, res)
        {
            cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(s, "values"))
            {
                const cJSON *ts = cJSON_GetArrayItem(v, 0);
                double t = cJSON_IsString(ts) ? strtod(ts->valuestring, NULL) / 1e6 : 0;
                if (t > newest)
                    newest = t;
            }
        }
        cJSON_Delete(j);
        if (newest > 0 && newest >= (double)(now_ms - 300000)) {
            char at[40];
            utc((int64_t)newest, at, sizeof at);
            gd_pf_add(r, "logs", 1, at, "a line from gordon in Loki (%s, %s) within the last 5 minutes",
                      cfg->pf_loki_url, sel);
        } else {
            gd_pf_add(r, "logs", 0, NULL, "no line from gordon in Loki (%s, %s) within the last 5 minutes",
                      cfg->pf_loki_url, sel);
        }
        return;
    }
    /* No Loki: the journal, as the unit logs there. */
    FILE *p = popen("journalctl -u gordon.service --since -5min -o cat -n 1 --no-pager -q 2>/dev/null", "r");
    char line[256] = "";
    int got = p && fgets(line, sizeof line, p) != NULL;
    int st = p ? pclose(p) : -1;
    if (got && st == 0)
        gd_pf_add(r, "logs", 1, NULL, "a line from gordon.service in the systemd journal within the last 5 minutes");
    else
        gd_pf_add(r, "logs", 0, NULL,
                  "no line from gordon.service in the systemd journal within the last 5 minutes "
                  "(and no [preflight] loki_url)");
}

static void check_e2e(const gd_config *cfg, const char *version, int64_t now_ms, gd_pf *r)
{
    const char *path = cfg->pf_e2e_record ? cfg->pf_e2e_record : "/var/lib/gordon/e2e.json";
    char *text = NULL, at[40];
    size_t len;
    gd_err e;
    if (gd_file_read(path, 1u << 20, &text, &len, &e) != 0) {
        gd_pf_add(r, "e2e at this version", 0, NULL, "%s (make e2e E2E_RECORD=%s writes it)", e.msg, path);
        return;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "version"),
                *ok = cJSON_GetObjectItemCaseSensitive(j, "passed");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "at_ms"), *n = cJSON_GetObjectItemCaseSensitive(j, "tests");
    if (!cJSON_IsString(v) || !cJSON_IsBool(ok) || !cJSON_IsNumber(t)) {
        gd_pf_add(r, "e2e at this version", 0, NULL, "%s: not an e2e record (version, passed, at_ms)", path);
        cJSON_Delete(j);
        return;
    }
    utc((int64_t)t->valuedouble, at, sizeof at);
    int same = !strcmp(v->valuestring, version);
    gd_pf_add(r, "e2e at this version", same && cJSON_IsTrue(ok) && t->valuedouble <= (double)now_ms + 60000, at,
              "%s: %s, %d test(s), at version %s%s", path, cJSON_IsTrue(ok) ? "passed" : "FAILED",
              cJSON_IsNumber(n) ? n->valueint : 0, v->valuestring, same ? "" : " (not this one)");
    cJSON_Delete(j);
}

void gd_obs_check(const gd_config *cfg, const char *version, int64_t now_ms, gd_pf *r)
{
    check_prometheus(cfg, r);
    check_scrape(cfg, r);
    check_grafana(cfg, r);
    check_logs(cfg, now_ms, r);
    check_e2e(cfg, version, now_ms, r);
}
