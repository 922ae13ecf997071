/* The configuration schema: every host key with its section, type, default,
 * range and flags, in one table that loading, the environment, defaults,
 * messages and the reload diff all read. */
#include "config/config_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"

const char *const gd_cfg_sec_names[SEC_INSTRUMENT + 1] = {"gordon", "risk", "executor", "replay", "http",
                                                          "fred", "isolation", "db", "backup", "venue",
                                                          "market", "soak", "preflight", "promote", "console",
                                                          "instrument"};
const char *const gd_cfg_mode_names[3] = {"backtest", "testnet", "production"};
const char *const gd_cfg_level_names[4] = {"debug", "info", "warn", "error"};

#define CF(f) offsetof(gd_config, f)
#define IF(f) offsetof(gd_instrument, f)

/* Binance's endpoints by name (venue/profile.c has their URLs). */
static const char *const venue_profiles[] = {"demo", "testnet", "live", NULL};
static const char *const venue_key_types[] = {"hmac", "ed25519", NULL};
static const char *const executor_kinds[] = {"sim", "venue", NULL};
static const char *const margin_types[] = {"cross", "isolated", NULL};
static const char *const stages[] = {"testnet", "micro", "full", NULL};
static const char *const irregular_policies[] = {"error", "skip", NULL};
static const char *const unknown_position_rules[] = {"refuse", "close", "adopt", NULL};
static const char *const market_sources[] = {"replay", "venue", NULL};
/* Binance's kline intervals (gd_interval_ms); 1s is the loopback venue's, for tests. */
static const char *const market_intervals[] = {"1s", "1m",  "3m",  "5m", "15m", "30m", "1h",
                                               "2h", "4h",  "6h",  "8h", "12h", "1d",  NULL};

static const gd_key_spec keys[] = {
    {SEC_GORDON, "mode", KT_MODE, CF(mode), GD_MODE_BACKTEST, 0, 0, KF_RESTART, NULL},
    {SEC_GORDON, "plugin_dir", KT_PATH, CF(plugin_dir), 0, 0, 0, 0, NULL},
    {SEC_GORDON, "intent_log", KT_PATH, CF(intent_log), 0, 0, 0, KF_RESTART, NULL},
    {SEC_GORDON, "state_dir", KT_PATH, CF(state_dir), 0, 0, 0, KF_RESTART, NULL},
    {SEC_GORDON, "log_level", KT_LOGLEVEL, CF(log_level), 0, 0, 0, 0, NULL},
    {SEC_RISK, "equity", KT_DOUBLE, CF(equity), 10000, 0, INFINITY, KF_MIN_EXCL | KF_RESTART, NULL},
    {SEC_RISK, "risk_pct", KT_DOUBLE, CF(risk_pct), 0.5, 0, 5, KF_MIN_EXCL, NULL},
    {SEC_RISK, "leverage", KT_DOUBLE, CF(leverage), 1, 1, 125, 0, NULL},
    {SEC_RISK, "max_order_notional_usd", KT_DOUBLE, CF(max_order_notional), 50000, 0, INFINITY, 0, NULL},
    {SEC_RISK, "max_daily_notional_usd", KT_DOUBLE, CF(max_daily_notional), 500000, 0, INFINITY, 0, NULL},
    {SEC_RISK, "max_gross_exposure_usd", KT_DOUBLE, CF(max_gross_exposure), 100000, 0, INFINITY, 0, NULL},
    {SEC_RISK, "max_intents_per_sec", KT_DOUBLE, CF(max_intents_per_sec), 20, 0, INFINITY, KF_MIN_EXCL, NULL},
    {SEC_RISK, "max_intents_per_sec_strategy", KT_DOUBLE, CF(max_intents_per_sec_strategy), 5, 0,
     INFINITY, KF_MIN_EXCL, NULL},
    {SEC_RISK, "entry_tolerance_bps", KT_DOUBLE, CF(entry_tolerance_bps), 50, 0, 10000, 0, NULL},
    {SEC_RISK, "fill_tolerance_bps", KT_DOUBLE, CF(fill_tolerance_bps), 50, 0, 10000, 0, NULL},
    {SEC_RISK, "entry_tolerance_ticks", KT_DOUBLE, CF(entry_tolerance_ticks), 2, 0, 1e6, 0, NULL},
    {SEC_RISK, "allocation_usd", KT_DOUBLE, CF(allocation_usd), 0, 0, 1e12, 0, NULL},
    {SEC_RISK, "allocation_max_usd", KT_DOUBLE, CF(allocation_max_usd), 5000, 0, 1e12, KF_MIN_EXCL, NULL},
    {SEC_EXECUTOR, "sl_required", KT_BOOL, CF(sl_required), 1, 0, 0, 0, NULL},
    {SEC_EXECUTOR, "testnet", KT_BOOL, CF(testnet), 1, 0, 0, 0, NULL},
    {SEC_EXECUTOR, "max_notional_usd_prod", KT_DOUBLE, CF(max_notional_usd_prod), 1000, 0, INFINITY, 0, NULL},
    {SEC_EXECUTOR, "fee_bps", KT_DOUBLE, CF(fee_bps), 4, 0, 100, 0, NULL},
    {SEC_EXECUTOR, "slippage_bps", KT_DOUBLE, CF(slippage_bps), 1, 0, 1000, 0, NULL},
    {SEC_EXECUTOR, "kind", KT_CHOICE, CF(executor_kind), 0, 0, 0, KF_RESTART, executor_kinds},
    {SEC_GORDON, "stage", KT_CHOICE, CF(stage), 0, 0, 0, KF_RESTART, stages},
    {SEC_GORDON, "exit_when_done", KT_BOOL, CF(exit_when_done), 1, 0, 0, KF_RESTART, NULL},
    {SEC_GORDON, "realtime_priority", KT_DOUBLE, CF(rt_priority), 0, 0, 99, KF_RESTART, NULL},
    {SEC_GORDON, "lock_memory", KT_BOOL, CF(lock_memory), 0, 0, 0, KF_RESTART, NULL},
    {SEC_REPLAY, "data", KT_DATA, 0, 0, 0, 0, KF_RESTART, NULL},
    {SEC_REPLAY, "bars_per_sec", KT_DOUBLE, CF(bars_per_sec), 0, 0, 1e9, KF_RESTART, NULL},
    {SEC_REPLAY, "max_file_mb", KT_DOUBLE, CF(replay_max_file_mb), 2048, 1, 65536, KF_RESTART, NULL},
    {SEC_REPLAY, "trade_from_ms", KT_DOUBLE, CF(replay_trade_from_ms), 0, 0, 9e15, KF_RESTART, NULL},
    {SEC_REPLAY, "irregular", KT_CHOICE, CF(replay_irregular), 0, 0, 0, KF_RESTART, irregular_policies},
    {SEC_HTTP, "listen", KT_LISTEN, CF(http_listen), 0, 0, 0, KF_RESTART, NULL},
    {SEC_HTTP, "operator_token_sha256", KT_HASHES, CF(http_token_hashes), 0, 0, 0, 0, NULL},
    {SEC_HTTP, "max_body_bytes", KT_DOUBLE, CF(http_max_body), 65536, 256, 16777216, KF_RESTART, NULL},
    {SEC_HTTP, "idle_timeout_ms", KT_DOUBLE, CF(http_idle_ms), 10000, 100, 3600000, KF_RESTART, NULL},
    {SEC_HTTP, "header_timeout_ms", KT_DOUBLE, CF(http_header_ms), 5000, 100, 600000, KF_RESTART, NULL},
    {SEC_HTTP, "max_connections", KT_DOUBLE, CF(http_max_conns), 64, 1, 4096, KF_RESTART, NULL},
    {SEC_HTTP, "max_connections_per_peer", KT_DOUBLE, CF(http_max_conns_peer), 32, 0, 4096, KF_RESTART, NULL},
    {SEC_HTTP, "allowed_hosts", KT_HOSTS, CF(http_allowed_hosts), 0, 0, 0, KF_RESTART, NULL},
    {SEC_FRED, "api_key", KT_STRING, CF(fred_api_key), 0, 0, 0, KF_RESTART | KF_SECRET, NULL},
    {SEC_FRED, "base_url", KT_STRING, CF(fred_base_url), 0, 0, 0, KF_RESTART, NULL},
    {SEC_FRED, "poll_ms", KT_DOUBLE, CF(fred_poll_ms), 3600000, 1000, 7.0 * (double)GD_DAY_MS, KF_RESTART, NULL},
    {SEC_FRED, "timeout_ms", KT_DOUBLE, CF(fred_timeout_ms), 10000, 100, 600000, KF_RESTART, NULL},
    {SEC_FRED, "observation_start", KT_STRING, CF(fred_observation_start), 0, 0, 0, KF_RESTART, NULL},
    {SEC_ISOLATION, "plugins", KT_BOOL, CF(iso_plugins), 0, 0, 0, KF_RESTART, NULL},
    {SEC_ISOLATION, "worker", KT_PATH, CF(iso_worker), 0, 0, 0, KF_RESTART, NULL},
    {SEC_ISOLATION, "deadline_ms", KT_DOUBLE, CF(iso_deadline_ms), 50, 1, 60000, 0, NULL},
    {SEC_ISOLATION, "start_timeout_ms", KT_DOUBLE, CF(iso_start_ms), 5000, 100, 600000, 0, NULL},
    {SEC_ISOLATION, "memory_mb", KT_DOUBLE, CF(iso_memory_mb), 1024, 0, 1048576, 0, NULL},
    {SEC_ISOLATION, "cpu_seconds", KT_DOUBLE, CF(iso_cpu_seconds), 86400, 0, 1e9, 0, NULL},
    {SEC_ISOLATION, "max_restarts", KT_DOUBLE, CF(iso_max_restarts), 5, 0, 1000, 0, NULL},
    {SEC_ISOLATION, "pin_cpu", KT_BOOL, CF(iso_pin_cpu), 1, 0, 0, KF_RESTART, NULL},
    {SEC_ISOLATION, "restart_backoff_ms", KT_DOUBLE, CF(iso_backoff_ms), 1000, 10, 3600000, 0, NULL},
    {SEC_DB, "dsn", KT_STRING, CF(db_dsn), 0, 0, 0, KF_RESTART | KF_SECRET, NULL},
    {SEC_DB, "sync_window_ms", KT_DOUBLE, CF(db_sync_window_ms), 5, 0, 1000, 0, NULL},
    {SEC_DB, "max_depth", KT_DOUBLE, CF(db_max_depth), 100000, 1, 10000000, 0, NULL},
    {SEC_DB, "max_age_s", KT_DOUBLE, CF(db_max_age_s), 300, 1, 7.0 * 86400, 0, NULL},
    {SEC_DB, "equity_interval_s", KT_DOUBLE, CF(db_equity_interval_s), 60, 1, 86400, 0, NULL},
    {SEC_DB, "reconnect_max_ms", KT_DOUBLE, CF(db_reconnect_max_ms), 30000, 100, 3600000, 0, NULL},
    {SEC_DB, "connect_timeout_ms", KT_DOUBLE, CF(db_connect_timeout_ms), 10000, 100, 600000, 0, NULL},
    {SEC_DB, "drain_ms", KT_DOUBLE, CF(db_drain_ms), 10000, 0, 3600000, 0, NULL},
    {SEC_DB, "connections", KT_DOUBLE, CF(db_connections), 2, 1, 2, KF_RESTART, NULL},
    /* A REST or S3 repository URL may carry credentials. */
    {SEC_BACKUP, "restic_repository", KT_STRING, CF(backup_repository), 0, 0, 0, KF_SECRET, NULL},
    {SEC_BACKUP, "restic_password_file", KT_PATH, CF(backup_password_file), 0, 0, 0, 0, NULL},
    {SEC_BACKUP, "keep_hourly", KT_DOUBLE, CF(backup_keep_hourly), 48, 0, 100000, 0, NULL},
    {SEC_VENUE, "profile", KT_CHOICE, CF(venue_profile), 0, 0, 0, KF_RESTART, venue_profiles},
    {SEC_VENUE, "rest_url", KT_STRING, CF(venue_rest_url), 0, 0, 0, KF_RESTART, NULL},
    {SEC_VENUE, "ws_url", KT_STRING, CF(venue_ws_url), 0, 0, 0, KF_RESTART, NULL},
    {SEC_VENUE, "api_key", KT_STRING, CF(venue_api_key), 0, 0, 0, KF_RESTART | KF_SECRET, NULL},
    {SEC_VENUE, "key_file", KT_PATH, CF(venue_key_file), 0, 0, 0, KF_RESTART | KF_SECRET, NULL},
    {SEC_VENUE, "key_type", KT_CHOICE, CF(venue_key_type), 0, 0, 0, KF_RESTART, venue_key_types},
    {SEC_VENUE, "recv_window_ms", KT_DOUBLE, CF(venue_recv_window_ms), 5000, 1, 60000, 0, NULL},
    {SEC_VENUE, "timeout_ms", KT_DOUBLE, CF(venue_timeout_ms), 10000, 100, 120000, 0, NULL},
    {SEC_VENUE, "margin_type", KT_CHOICE, CF(venue_margin_type), 0, 0, 0, KF_RESTART, margin_types},
    {SEC_VENUE, "poll_ms", KT_DOUBLE, CF(venue_poll_ms), 2000, 200, 60000, 0, NULL},
    {SEC_VENUE, "stop_grace_ms", KT_DOUBLE, CF(venue_stop_grace_ms), 5000, 100, 600000, 0, NULL},
    {SEC_VENUE, "retry_budget_ms", KT_DOUBLE, CF(venue_retry_budget_ms), 5000, 100, 600000, 0, NULL},
    {SEC_VENUE, "unknown_positions", KT_CHOICE, CF(venue_unknown_positions), 0, 0, 0, KF_RESTART,
     unknown_position_rules},
    {SEC_VENUE, "adopt_strategy", KT_STRING, CF(venue_adopt_strategy), 0, 0, 0, KF_RESTART, NULL},
    {SEC_VENUE, "adopt_stop_pct", KT_DOUBLE, CF(venue_adopt_stop_pct), 0, 0, 50, KF_RESTART, NULL},
    {SEC_VENUE, "reconcile_ms", KT_DOUBLE, CF(venue_reconcile_ms), 30000, 1000, 600000, 0, NULL},
    {SEC_VENUE, "startup_ms", KT_DOUBLE, CF(venue_startup_ms), 60000, 1000, 3600000, 0, NULL},
    {SEC_PREFLIGHT, "prometheus_url", KT_STRING, CF(pf_prometheus_url), 0, 0, 0, 0, NULL},
    {SEC_PREFLIGHT, "alerts_file", KT_PATH, CF(pf_alerts_file), 0, 0, 0, 0, NULL},
    {SEC_PREFLIGHT, "grafana_dashboard", KT_PATH, CF(pf_grafana_dashboard), 0, 0, 0, 0, NULL},
    {SEC_PREFLIGHT, "loki_url", KT_STRING, CF(pf_loki_url), 0, 0, 0, 0, NULL},
    {SEC_PREFLIGHT, "loki_query", KT_STRING, CF(pf_loki_query), 0, 0, 0, 0, NULL},
    {SEC_PREFLIGHT, "e2e_record", KT_PATH, CF(pf_e2e_record), 0, 0, 0, 0, NULL},
    {SEC_PROMOTE, "min_trades", KT_DOUBLE, CF(pr_min_trades), 10, 10, 1e6, 0, NULL},
    {SEC_PROMOTE, "max_win_rate_gap_pct", KT_DOUBLE, CF(pr_max_win_gap), 15, 0, 50, 0, NULL},
    {SEC_PROMOTE, "max_avg_r_gap", KT_DOUBLE, CF(pr_max_r_gap), 0.5, 0, 2, 0, NULL},
    {SEC_PROMOTE, "max_drawdown_ratio", KT_DOUBLE, CF(pr_max_dd_ratio), 1.5, 1, 3, 0, NULL},
    {SEC_PROMOTE, "max_sharpe_gap", KT_DOUBLE, CF(pr_max_sharpe_gap), 1, 0, 3, 0, NULL},
    {SEC_CONSOLE, "listen", KT_LISTEN, CF(console_listen), 0, 0, 0, KF_RESTART, NULL},
    {SEC_CONSOLE, "session_ttl_s", KT_DOUBLE, CF(console_ttl_s), 43200, 60, 604800, 0, NULL},
    {SEC_CONSOLE, "allowed_hosts", KT_HOSTS, CF(console_allowed_hosts), 0, 0, 0, KF_RESTART, NULL},
    {SEC_SOAK, "min_hours", KT_DOUBLE, CF(soak_min_hours), 72, 72, 8760, 0, NULL},
    {SEC_SOAK, "min_trades", KT_DOUBLE, CF(soak_min_trades), 30, 30, 1e6, 0, NULL},
    {SEC_MARKET, "source", KT_CHOICE, CF(market_source), 0, 0, 0, KF_RESTART, market_sources},
    {SEC_MARKET, "symbols", KT_STRING, CF(market_symbols), 0, 0, 0, KF_RESTART, NULL},
    {SEC_MARKET, "interval", KT_CHOICE, CF(market_interval), 0, 0, 0, KF_RESTART, market_intervals},
    {SEC_MARKET, "stale_grace_ms", KT_DOUBLE, CF(market_stale_grace_ms), 30000, 100, 3600000, 0, NULL},
    {SEC_MARKET, "backfill_max_age_ms", KT_DOUBLE, CF(market_backfill_max_age_ms), 0, 0, 7.0 * (double)GD_DAY_MS, 0,
     NULL},
    {SEC_INSTRUMENT, "tick_size", KT_DOUBLE, IF(tick_size), 0, 0, INFINITY, KF_MIN_EXCL | KF_REQUIRED, NULL},
    {SEC_INSTRUMENT, "step_size", KT_DOUBLE, IF(step_size), 0, 0, INFINITY, KF_MIN_EXCL | KF_REQUIRED, NULL},
    {SEC_INSTRUMENT, "min_qty", KT_DOUBLE, IF(min_qty), 0, 0, INFINITY, 0, NULL},
    {SEC_INSTRUMENT, "min_notional", KT_DOUBLE, IF(min_notional), 0, 0, INFINITY, 0, NULL},
};

_Static_assert(sizeof keys / sizeof keys[0] == GD_CFG_N_KEYS, "GD_CFG_N_KEYS (config_int.h) counts the table");

const gd_key_spec *const gd_cfg_keys = keys;

size_t gd_cfg_find_key(int sec, const char *key)
{
    for (size_t i = 0; i < GD_CFG_N_KEYS; i++)
        if (keys[i].sec == sec && !strcmp(keys[i].key, key))
            return i;
    return GD_CFG_N_KEYS;
}

void gd_cfg_fmt_range(char *buf, size_t len, const gd_key_spec *k)
{
    const char *lo = (k->flags & KF_MIN_EXCL) ? ">" : ">=";
    if (isinf(k->max))
        snprintf(buf, len, "%s %g", lo, k->min);
    else
        snprintf(buf, len, "%s %g and <= %g", lo, k->min, k->max);
}

void gd_config_defaults(gd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < GD_CFG_N_KEYS; i++) {
        const gd_key_spec *k = &keys[i];
        char *field = (char *)cfg + k->off;
        if (k->sec >= SEC_N_HOST)
            continue;
        if (k->type == KT_BOOL)
            *(int *)(void *)field = k->def != 0;
        else if (k->type == KT_DOUBLE)
            *(double *)(void *)field = k->def;
        else if (k->type == KT_MODE)
            *(gd_mode *)(void *)field = (gd_mode)k->def;
    }
    cfg->log_level = strdup("info"); /* NULL only if out of memory; loading checks */
}

const char *gd_mode_name(gd_mode mode)
{
    if ((unsigned)mode < 3)
        return gd_cfg_mode_names[mode];
    return "unknown";
}
