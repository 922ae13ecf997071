#include "db/soak.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pgconn.h"

/* Appends one reason to why ("; " between them). */
static void add_why(char *why, size_t cap, size_t *off, const char *reason)
{
    if (*off >= cap)
        return;
    int n = snprintf(why + *off, cap - *off, "%s%s", *off ? "; " : "", reason);
    if (n > 0)
        *off += (size_t)n;
}

int gd_soak_verdict(const gd_soak_metrics *m, const gd_soak_gate *g, char *why, size_t cap)
{
    char r[160];
    size_t off = 0;
    if (cap)
        why[0] = '\0';
    if (m->interrupted) {
        snprintf(r, sizeof r, "interrupted after %.2f h", m->hours);
        add_why(why, cap, &off, r);
    }
    if (m->hours < g->min_hours) {
        snprintf(r, sizeof r, "ran %.2f h, the gate asks %.0f h", m->hours, g->min_hours);
        add_why(why, cap, &off, r);
    }
    if ((double)m->trades < g->min_trades) {
        snprintf(r, sizeof r, "%llu trade(s), the gate asks %.0f", (unsigned long long)m->trades, g->min_trades);
        add_why(why, cap, &off, r);
    }
    static const char *const names[] = {"halt(s)", "breaker trip(s)", "quarantine(s)",
                                        "fill(s) past the fill tolerance"};
    const uint64_t counts[] = {m->halts, m->breaker_trips, m->quarantines, m->tolerance_breaches};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (counts[i]) {
            snprintf(r, sizeof r, "%llu %s, the gate asks none", (unsigned long long)counts[i], names[i]);
            add_why(why, cap, &off, r);
        }
    return off == 0;
}

char *gd_soak_metrics_json(const gd_soak_metrics *m, const gd_soak_gate *g)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *gate = o ? cJSON_AddObjectToObject(o, "gate") : NULL;
    int ok = gate && cJSON_AddNumberToObject(o, "hours", m->hours) &&
             cJSON_AddNumberToObject(o, "trades", (double)m->trades) &&
             cJSON_AddNumberToObject(o, "halts", (double)m->halts) &&
             cJSON_AddNumberToObject(o, "breaker_trips", (double)m->breaker_trips) &&
             cJSON_AddNumberToObject(o, "quarantines", (double)m->quarantines) &&
             cJSON_AddNumberToObject(o, "tolerance_breaches", (double)m->tolerance_breaches) &&
             cJSON_AddNumberToObject(o, "reconciliation_mismatches", (double)m->mismatches) &&
             cJSON_AddNumberToObject(o, "venue_incidents", (double)m->incidents) &&
             cJSON_AddBoolToObject(o, "interrupted", m->interrupted) &&
             cJSON_AddNumberToObject(o, "win_rate_pct", m->trades ? 100.0 * (double)m->wins / (double)m->trades : 0) &&
             cJSON_AddNumberToObject(o, "avg_r", m->avg_r) && cJSON_AddNumberToObject(o, "max_dd_pct", m->max_dd_pct) &&
             (isfinite(m->sharpe) ? cJSON_AddNumberToObject(o, "sharpe", m->sharpe) != NULL
                                  : cJSON_AddNullToObject(o, "sharpe") != NULL) &&
             cJSON_AddNumberToObject(o, "hourly_returns", (double)m->hourly_returns) &&
             cJSON_AddNumberToObject(gate, "min_hours", g->min_hours) &&
             cJSON_AddNumberToObject(gate, "min_trades", g->min_trades);
    if (ok && m->strategies_json) {
        cJSON *st = cJSON_Parse(m->strategies_json);
        ok = cJSON_IsObject(st) && cJSON_AddItemToObject(o, "strategies", st);
        if (!ok)
            cJSON_Delete(st);
    }
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

int gd_soak_begin(PGconn *c, const gd_soak_row *row, long long *id, gd_err *err)
{
    char notes[600];
    snprintf(notes, sizeof notes, "venue: %s%s", row->venue,
             row->real_venue ? "" : " (not a Binance endpoint: does not count for a promotion)");
    const char *vals[5] = {row->config_sha256, row->plugins_json, row->venue, row->real_venue ? "t" : "f", notes};
    return gd_pg_insert_id(c,
                           "INSERT INTO trading.soak_runs"
                           " (mode, started_at, status, config_sha256, plugins, venue, real_venue, notes)"
                           " VALUES ('testnet', now(), 'running', $1, $2::jsonb, $3, $4, $5) RETURNING id",
                           5, vals, "trading.soak_runs", id, err);
}

int gd_soak_end(PGconn *c, long long id, const gd_soak_metrics *m, const gd_soak_gate *g, const char *plugins_json,
                gd_err *err)
{
    char why[1024], idtxt[32];
    int pass = gd_soak_verdict(m, g, why, sizeof why);
    char *metrics = gd_soak_metrics_json(m, g);
    if (!metrics)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    snprintf(idtxt, sizeof idtxt, "%lld", id);
    const char *status = pass ? "passed" : m->interrupted ? "aborted" : "failed";
    const char *vals[5] = {idtxt, status, metrics, why, plugins_json};
    PGresult *r = PQexecParams(c,
                               "UPDATE trading.soak_runs SET ended_at = greatest(now(), started_at), status = $2,"
                               " metrics = $3::jsonb, plugins = $5::jsonb,"
                               " notes = notes || CASE WHEN $4 = '' THEN '' ELSE '; ' || $4 END"
                               " WHERE id = $1 AND status = 'running'",
                               5, NULL, vals, NULL, NULL, 0);
    free(metrics);
    int rc = 0;
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(r), "1") != 0) {
        char line[512];
        rc = gd_err_set(err, GD_EIO, "recording the soak's end in trading.soak_runs (id %lld): %s", id,
                        r && PQresultStatus(r) == PGRES_COMMAND_OK ? "no running row with that id"
                                                                   : gd_pg_errline(c, line, sizeof line));
    }
    PQclear(r);
    return rc;
}
