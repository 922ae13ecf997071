/* Every metric family the host exports on /metrics, in one table.
 *
 * X(name, type, help, labels):
 *   name    the family name, a bare identifier (stringify with #name);
 *   type    counter | gauge | histogram, a bare identifier (#type is the
 *           text for the "# TYPE" line);
 *   help    the "# HELP" text, a string literal;
 *   labels  the label names, comma-separated in one string literal, "" for
 *           none.
 *
 * Use:
 *   #define GD_PROM_ENUM(name, type, help, labels) GD_PROM_##name,
 *   enum { GD_PROM_FAMILIES(GD_PROM_ENUM) GD_PROM__COUNT };
 *
 * packaging/prometheus/alerts.yml and packaging/grafana/gordon.json must
 * cover every family listed here, and alerts may use no other gordon_
 * metric: tests/check_prometheus.sh reads this file (each "X(gordon_name,
 * type," with name and type on one line) and enforces both.
 *
 * Label values the alert rules rely on (keep them stable):
 *   gordon_breaker_state      0 ok, 1 warn, 2 tripped
 *   gordon_intents_total      result = accepted | rejected;
 *                             reason = "" when accepted, else gd_reject_name()
 *                             (overlay_veto, daily_notional_cap, halted, ...)
 *   gordon_orders_total       kind = the order kind (entry, exit, stop, ...)
 *   gordon_fills_total        reason = entry | exit | stop | take_profit | ...
 *   gordon_plugin_*_total     result = ok | error
 *   gordon_http_requests_total code = the HTTP status as three digits
 * Units are in the names: seconds, bps, pct (0..100), and the account
 * currency (USD) for equity and notional. */
#ifndef GD_PROM_FAMILIES_H
#define GD_PROM_FAMILIES_H

#define GD_PROM_FAMILIES(X)                                                                        \
    X(gordon_up, gauge, "1 while the host is running and its trading loop is alive", "")           \
    X(gordon_build_info, gauge,                                                                    \
      "Always 1; labels identify the running build", "version,git,sdk_abi")                        \
    X(gordon_breaker_state, gauge, "Breaker state: 0 ok, 1 warn, 2 tripped", "breaker")            \
    X(gordon_breaker_value, gauge, "Last value a breaker evaluated (its own units)", "breaker")    \
    X(gordon_halt_latch, gauge, "1 while the persisted halt latch is set, else 0", "")             \
    X(gordon_halt_latch_persisted, gauge,                                                          \
      "1 when the state store holds the latch as it is in memory, 0 while a write is failing", "")   \
    X(gordon_state_store_writable, gauge,                                                          \
      "1 when the last write-and-fsync probe of the state store succeeded, else 0", "")            \
    X(gordon_state_write_failures_total, counter,                                                  \
      "Latch and audit writes to the state store that failed", "")                                \
    X(gordon_intents_total, counter,                                                               \
      "Signals turned into intents, by result and reject reason", "result,reason")                 \
    X(gordon_orders_total, counter, "Orders sent to the executor, by kind", "kind")                \
    X(gordon_fills_total, counter,                                                                 \
      "Fills received, by what closed or opened the position", "reason")                           \
    X(gordon_fill_slippage_bps, histogram,                                                         \
      "Adverse fill slippage vs the intended price, bps (favourable = 0)", "")                     \
    X(gordon_fill_tolerance_breaches_total, counter,                                               \
      "Fills whose adverse slippage passed [risk] fill_tolerance_bps", "")                         \
    X(gordon_equity, gauge, "Account equity in USD, marked to market", "")                         \
    X(gordon_drawdown_pct, gauge, "Drawdown from the equity peak, in percent (0..100)", "")        \
    X(gordon_notional_used_today, gauge, "Notional accepted today (UTC), in USD", "")              \
    X(gordon_notional_cap_daily, gauge, "Configured daily notional cap, in USD", "")               \
    X(gordon_positions_open, gauge, "Open positions", "")                                          \
    X(gordon_data_freshness_seconds, gauge,                                                        \
      "Seconds since market data for the symbol last arrived", "symbol")                           \
    X(gordon_plugin_loads_total, counter, "Plugin load attempts, by result", "result")             \
    X(gordon_plugin_refused_calls_total, counter,                                                  \
      "Host-API calls refused: a stale, forged or foreign plugin handle", "")                               \
    X(gordon_plugin_worker_deaths_total, counter,                                                  \
      "Plugin worker processes killed or dead (isolated mode), by reason", "reason")               \
    X(gordon_plugin_worker_restarts_total, counter, "Plugin workers restarted after a death", "")  \
    X(gordon_plugin_quarantined, gauge,                                                            \
      "Plugin instances out of trading: worker down (restarting, or stopped for good), or strategies quarantined (operator)", \
      "state")                                                                                      \
    X(gordon_plugin_reloads_total, counter,                                                        \
      "Config and plugin reload transactions, by result", "result")                                \
    X(gordon_loop_lag_seconds, gauge,                                                              \
      "Event loop lag: how late the last timer fired, in seconds", "")                             \
    X(gordon_bars_total, counter, "Closed bars processed", "")                                     \
    X(gordon_http_requests_total, counter,                                                         \
      "Operator API requests answered, by HTTP status", "code")                                    \
    X(gordon_db_connected, gauge, "1 while the database writer is connected and writing", "")      \
    X(gordon_db_journal_depth, gauge, "Journal records not yet in the database", "")              \
    X(gordon_db_journal_age_seconds, gauge,                                                        \
      "How long the oldest journal record not yet in the database has waited, in seconds", "")     \
    X(gordon_db_breaker_open, gauge,                                                               \
      "1 while the db breaker refuses new entries (journal too deep or too old)", "")              \
    X(gordon_db_write_latency_seconds, histogram,                                                  \
      "Round trip of one batch of journal records to the database, in seconds", "")               \
    X(gordon_db_reconnects_total, counter, "Database connections lost or failed, then retried", "") \
    X(gordon_db_applied_records_total, counter, "Journal records written to the database", "")     \
    X(gordon_db_replayed_records_total, counter,                                                   \
      "Journal records written after an outage or a restart (journaled before the connection)", "") \
    X(gordon_db_rejected_records_total, counter,                                                   \
      "Journal records the database refused, set aside in journal/rejected.jsonl", "")            \
    X(gordon_db_journal_sync_failures_total, counter, "Journal write or fdatasync failures", "")    \
    X(gordon_db_journal_lost_records_total, counter,                                               \
      "Records that could not be journaled at all (the journal was full)", "")                         \
    X(gordon_db_queue_waits_total, counter,                                                        \
      "Times the trading loop waited for the database thread (its queue to the journal was full)", "") \
    X(gordon_db_queue_wait_seconds_total, counter,                                                 \
      "Seconds the trading loop spent waiting for the database thread", "")                        \
    X(gordon_venue_ready, gauge, "1 once the venue's start-up checks passed ([executor] kind = venue)", "") \
    X(gordon_venue_used_weight_1m, gauge, "The venue's X-MBX-USED-WEIGHT-1M on its last reply", "") \
    X(gordon_venue_requests_total, counter,                                                        \
      "Venue order requests by outcome: sent, rejected, unknown, looked up, resent, limited", "outcome") \
    X(gordon_venue_stream_connected, gauge, "1 while the venue's user-data stream is connected", "") \
    X(gordon_venue_reconcile_mismatches_total, counter,                                            \
      "Run-time reconciliations where the venue's position and gordon's book disagreed", "")        \
    X(gordon_venue_stop_failures_total, counter,                                                   \
      "Stops that could not be placed, hung in TRIGGERING or disappeared (positions then closed)", "") \
    X(gordon_venue_unprotected_positions, gauge,                                                   \
      "Positions on the venue without a working stop (briefly, between a fill and its stop)", "") \
    X(gordon_market_bars_total, counter,                                                           \
      "Live closed bars delivered, by source: the stream, or a REST backfill (warm-up, gaps)", "source") \
    X(gordon_market_gaps_total, counter, "Gaps in live bars: found, and left unfilled after three fetches", \
      "outcome")                                                                                    \
    X(gordon_market_stale, gauge, "1 while live market data is stale: no new entries (the connectivity breaker)", \
      "")                                                                                           \
    X(gordon_market_stream_connected, gauge, "1 while the market-data stream is connected", "")

/* The buckets of gordon_fill_slippage_bps are the engine's
 * (GD_SLIP_BOUNDS_BPS in engine/engine.h), which counts fills into them. */

#endif
