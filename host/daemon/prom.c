#include "daemon/prom.h"

#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "daemon/prom_families.h"
#include "risk/quarantine.h"

#define GD_PROM_ENUM(name, type, help, labels) GD_PROM_##name,
enum { GD_PROM_FAMILIES(GD_PROM_ENUM) GD_PROM__COUNT };
#define GD_PROM_ROW(name, type, help, labels) {#name, #type, help},
static const struct {
    const char *name, *type, *help;
} prom_rows[] = {GD_PROM_FAMILIES(GD_PROM_ROW)};

/* A label value as the exposition format wants it: \\, \" and \n escaped,
 * and valid UTF-8. Names and symbols are validated at load, so this is the
 * second line of defence, not the first. */
static const char *label(char *out, size_t cap, const char *v)
{
    char ok[256];
    size_t n = 0;
    gd_utf8_copy(ok, sizeof ok, v ? v : "");
    for (const char *p = ok; *p && n + 3 < cap; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n')
            out[n++] = '\\';
        out[n++] = *p == '\n' ? 'n' : *p;
    }
    out[n] = '\0';
    return out;
}

static void head(gd_buf *b, int fam)
{
    gd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", prom_rows[fam].name, prom_rows[fam].help, prom_rows[fam].name,
                  prom_rows[fam].type);
}

const char *gd_prom_family_help(const char *name)
{
    for (int i = 0; i < GD_PROM__COUNT; i++)
        if (!strcmp(prom_rows[i].name, name))
            return prom_rows[i].help;
    return NULL;
}

void gd_prom_head(gd_buf *b, const char *name)
{
    for (int i = 0; i < GD_PROM__COUNT; i++)
        if (!strcmp(prom_rows[i].name, name)) {
            head(b, i);
            return;
        }
}

static void breakers(gd_buf *b, const gd_engine *e)
{
    uint32_t n = gd_engine_breaker_count(e);
    gd_breaker_view v;
    char l[300];
    head(b, GD_PROM_gordon_breaker_state);
    for (uint32_t i = 0; i < n; i++)
        if (gd_engine_breaker(e, i, &v) == 0)
            gd_buf_printf(b, "gordon_breaker_state{breaker=\"%s\"} %d\n", label(l, sizeof l, v.name), v.last.state);
    head(b, GD_PROM_gordon_breaker_value);
    for (uint32_t i = 0; i < n; i++) {
        if (gd_engine_breaker(e, i, &v) != 0)
            continue;
        if (isfinite(v.last.value))
            gd_buf_printf(b, "gordon_breaker_value{breaker=\"%s\"} %.17g\n", label(l, sizeof l, v.name), v.last.value);
        else
            gd_buf_printf(b, "gordon_breaker_value{breaker=\"%s\"} NaN\n", label(l, sizeof l, v.name));
    }
}

static void flow(gd_buf *b, const gd_engine *e)
{
    static const char *const fill_reasons[] = {"", "entry", "exit", "stop", "take_profit", "flatten"};
    static const char *const order_kinds[] = {"", "entry", "exit", "flatten"};
    const gd_pipeline *pipe = gd_engine_pipeline(e);
    const gd_engine_counters *c = gd_engine_counters_get(e);
    head(b, GD_PROM_gordon_intents_total);
    gd_buf_printf(b, "gordon_intents_total{result=\"accepted\",reason=\"\"} %llu\n",
                  (unsigned long long)pipe->by_result[GORDON_ACCEPTED]);
    for (int i = 1; i < GORDON_REJECT__COUNT; i++)
        gd_buf_printf(b, "gordon_intents_total{result=\"rejected\",reason=\"%s\"} %llu\n", gd_reject_name(i),
                      (unsigned long long)pipe->by_result[i]);
    head(b, GD_PROM_gordon_orders_total);
    for (int k = 1; k < 4; k++)
        gd_buf_printf(b, "gordon_orders_total{kind=\"%s\"} %llu\n", order_kinds[k], (unsigned long long)c->orders[k]);
    head(b, GD_PROM_gordon_fills_total);
    for (int k = 1; k < 6; k++)
        gd_buf_printf(b, "gordon_fills_total{reason=\"%s\"} %llu\n", fill_reasons[k], (unsigned long long)c->fills[k]);
    head(b, GD_PROM_gordon_fill_slippage_bps);
    uint64_t cum = 0;
    for (int k = 0; k < GD_SLIP_BUCKETS; k++) {
        cum += c->slip_le[k];
        gd_buf_printf(b, "gordon_fill_slippage_bps_bucket{le=\"%g\"} %llu\n", gd_slip_bounds[k],
                      (unsigned long long)cum);
    }
    cum += c->slip_le[GD_SLIP_BUCKETS];
    gd_buf_printf(b, "gordon_fill_slippage_bps_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    gd_buf_printf(b, "gordon_fill_slippage_bps_sum %.17g\ngordon_fill_slippage_bps_count %llu\n", c->slip_sum,
                  (unsigned long long)c->slip_count);
    head(b, GD_PROM_gordon_fill_tolerance_breaches_total);
    gd_buf_printf(b, "gordon_fill_tolerance_breaches_total %llu\n", (unsigned long long)c->slip_breaches);
}

static void account(gd_buf *b, const gd_engine *e)
{
    const gd_book *bk = gd_engine_book(e);
    const gd_pipeline *pipe = gd_engine_pipeline(e);
    head(b, GD_PROM_gordon_equity);
    gd_buf_printf(b, "gordon_equity %.17g\n", bk->equity);
    head(b, GD_PROM_gordon_drawdown_pct);
    gd_buf_printf(b, "gordon_drawdown_pct %.17g\n",
                  bk->peak > 0 ? (bk->peak - bk->equity) / bk->peak * 100.0 : 0.0);
    head(b, GD_PROM_gordon_notional_used_today);
    gd_buf_printf(b, "gordon_notional_used_today %.17g\n", pipe->used_today);
    head(b, GD_PROM_gordon_notional_cap_daily);
    gd_buf_printf(b, "gordon_notional_cap_daily %.17g\n", pipe->lim.max_daily_notional);
    head(b, GD_PROM_gordon_positions_open);
    gd_buf_printf(b, "gordon_positions_open %u\n", bk->open_count);
}

char *gd_prom_exposition(const gd_engine *e, const char *extra)
{
    const gd_engine_counters *c = gd_engine_counters_get(e);
    gd_buf b = GD_BUF_INIT;
    head(&b, GD_PROM_gordon_up);
    gd_buf_printf(&b, "gordon_up 1\n");
    head(&b, GD_PROM_gordon_build_info);
    char l1[300], l2[300];
    gd_buf_printf(&b, "gordon_build_info{version=\"%s\",git=\"%s\",sdk_abi=\"%d.%d\"} 1\n",
                  label(l1, sizeof l1, GD_VERSION), label(l2, sizeof l2, GD_GIT_DESCRIBE), GORDON_SDK_ABI_MAJOR,
                  GORDON_SDK_ABI_MINOR);
    breakers(&b, e);
    const gd_halt *h = gd_engine_halt_state(e);
    head(&b, GD_PROM_gordon_halt_latch);
    gd_buf_printf(&b, "gordon_halt_latch %d\n", h->halted);
    head(&b, GD_PROM_gordon_halt_latch_persisted);
    gd_buf_printf(&b, "gordon_halt_latch_persisted %d\n", h->state != NULL && h->persisted);
    head(&b, GD_PROM_gordon_state_write_failures_total);
    gd_buf_printf(&b, "gordon_state_write_failures_total %llu\n", (unsigned long long)h->write_failures);
    flow(&b, e);
    account(&b, e);
    head(&b, GD_PROM_gordon_data_freshness_seconds);
    for (uint32_t s = 0; s < gd_engine_symbol_count(e); s++) {
        int64_t last = gd_engine_last_bar_ms(e, s);
        if (last)
            gd_buf_printf(&b, "gordon_data_freshness_seconds{symbol=\"%s\"} %.3f\n",
                          label(l1, sizeof l1, gd_engine_symbol(e, s)),
                          (double)(gd_engine_now(e) - last) / 1000.0);
    }
    head(&b, GD_PROM_gordon_plugin_loads_total);
    gd_buf_printf(&b, "gordon_plugin_loads_total{result=\"ok\"} %llu\ngordon_plugin_loads_total{result=\"error\"} %llu\n",
                  (unsigned long long)c->loads_ok, (unsigned long long)c->loads_failed);
    head(&b, GD_PROM_gordon_plugin_refused_calls_total);
    gd_buf_printf(&b, "gordon_plugin_refused_calls_total %llu\n", (unsigned long long)gd_plugin_refused_calls());
    head(&b, GD_PROM_gordon_plugin_worker_deaths_total);
    uint64_t other = c->worker_deaths - c->worker_timeouts - c->worker_protocol;
    gd_buf_printf(&b,
                  "gordon_plugin_worker_deaths_total{reason=\"deadline\"} %llu\n"
                  "gordon_plugin_worker_deaths_total{reason=\"protocol\"} %llu\n"
                  "gordon_plugin_worker_deaths_total{reason=\"died\"} %llu\n",
                  (unsigned long long)c->worker_timeouts, (unsigned long long)c->worker_protocol,
                  (unsigned long long)other);
    head(&b, GD_PROM_gordon_plugin_worker_restarts_total);
    gd_buf_printf(&b, "gordon_plugin_worker_restarts_total %llu\n", (unsigned long long)c->worker_restarts);
    uint32_t stopped = 0, down = gd_engine_quarantined(e, &stopped);
    head(&b, GD_PROM_gordon_plugin_quarantined);
    gd_buf_printf(&b, "gordon_plugin_quarantined{state=\"restarting\"} %u\ngordon_plugin_quarantined{state=\"stopped\"} %u\n",
                  down - stopped, stopped);
    gd_buf_printf(&b, "gordon_plugin_quarantined{state=\"operator\"} %u\n", gd_engine_quarantine_list(e)->n);
    head(&b, GD_PROM_gordon_plugin_reloads_total);
    gd_buf_printf(&b,
                  "gordon_plugin_reloads_total{result=\"ok\"} %llu\ngordon_plugin_reloads_total{result=\"error\"} %llu\n",
                  (unsigned long long)c->reloads_ok, (unsigned long long)c->reloads_failed);
    head(&b, GD_PROM_gordon_bars_total);
    gd_buf_printf(&b, "gordon_bars_total %llu\n", (unsigned long long)c->bars);
    if (extra)
        gd_buf_puts(&b, extra);
    return gd_buf_take(&b);
}
