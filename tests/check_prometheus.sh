#!/usr/bin/env bash
# Keeps the metric table, the alert rules and the dashboard in step.
#
#   tests/check_prometheus.sh [METRICS_FILE]
#
# (a) every family of host/daemon/prom_families.h is used by at least one alert expr
#     in packaging/prometheus/alerts.yml and by at least one panel target in
#     packaging/grafana/gordon.json; alerts use no gordon_ metric outside the
#     table (histogram _bucket/_sum/_count count as their family);
#     gordon.json is valid JSON and every panel has a title and a unit;
# (b) promtool check rules, then promtool test rules on scenarios below that
#     assert exactly which alerts fire (every rule fires in one of them);
# (c) with METRICS_FILE (a scrape of /metrics): promtool check metrics on it,
#     and every family of the table present with its declared TYPE.
# Exit 0 on success, 1 on a failure, 77 (skip) when promtool is missing and
# everything that could be checked without it passed.
set -euo pipefail

root=${GD_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
families_h=host/daemon/prom_families.h
alerts=packaging/prometheus/alerts.yml
dash=packaging/grafana/gordon.json
metrics_file=${1:-}
if [ -n "$metrics_file" ]; then
  case $metrics_file in /*) ;; *) metrics_file=$OLDPWD/$metrics_file ;; esac
fi

failed=0
fail() { echo "check_prometheus: FAIL: $*" >&2; failed=1; }
note() { echo "check_prometheus: $*"; }

for f in "$families_h" "$alerts" "$dash"; do
  [ -f "$f" ] || { echo "check_prometheus: FAIL: $f is missing" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- (a) the table -----------------------------------------------------------
# "X(gordon_name, type," -> "gordon_name type"
sed -n 's/^[[:space:]]*X(\(gordon_[a-z0-9_]*\),[[:space:]]*\(counter\|gauge\|histogram\)\b.*/\1 \2/p' \
  "$families_h" >"$tmp/families"
n_fam=$(wc -l <"$tmp/families")
[ "$n_fam" -gt 0 ] || { echo "check_prometheus: FAIL: no X(gordon_..., type, ...) entries in $families_h" >&2; exit 1; }
dups=$(cut -d' ' -f1 "$tmp/families" | sort | uniq -d)
[ -z "$dups" ] || fail "$families_h: duplicate families: $dups"

# Alert expressions: single-line "expr: ..." or a block scalar "expr: |".
awk '
  function indent(s) { match(s, /^ */); return RLENGTH }
  inblock { if ($0 ~ /^[[:space:]]*$/ || indent($0) > ind) { print; next } inblock = 0 }
  /^[[:space:]]*(- )?expr:/ {
    v = $0; sub(/^[[:space:]]*(- )?expr:[[:space:]]*/, "", v)
    if (v ~ /^[|>][-+]?[[:space:]]*$/) { inblock = 1; ind = indent($0) } else print v
  }' "$alerts" >"$tmp/alert_exprs"
[ -s "$tmp/alert_exprs" ] || fail "$alerts: no expr found"

# Panel target expressions (the file is one key per line, as Grafana writes it).
grep -o '"expr":[[:space:]]*"\([^"\\]\|\\.\)*"' "$dash" >"$tmp/dash_exprs" || true
[ -s "$tmp/dash_exprs" ] || fail "$dash: no panel target expr found"

# Maps metric names used in a file to table families; reports unknown ones.
# Output: one family name per line.
resolve() { # file label strict
  grep -o 'gordon_[a-zA-Z0-9_:]*' "$1" | sort -u | while read -r m; do
    if grep -q "^$m " "$tmp/families"; then
      echo "$m"
      continue
    fi
    base=${m%_bucket}; base=${base%_sum}; base=${base%_count}
    if [ "$base" != "$m" ] && grep -q "^$base histogram$" "$tmp/families"; then
      echo "$base"
      continue
    fi
    if [ "$3" = strict ]; then
      echo "UNKNOWN $m"
    fi
  done
}
resolve "$tmp/alert_exprs" alerts strict >"$tmp/alert_used"
resolve "$tmp/dash_exprs" dashboard strict >"$tmp/dash_used"
while read -r _ m; do
  fail "$alerts uses $m, which is not a family in $families_h"
done < <(grep '^UNKNOWN ' "$tmp/alert_used" || true)
while read -r _ m; do
  fail "$dash queries $m, which is not a family in $families_h"
done < <(grep '^UNKNOWN ' "$tmp/dash_used" || true)
while read -r fam _; do
  grep -qx "$fam" "$tmp/alert_used" || fail "$fam (in $families_h) has no alert rule in $alerts"
  grep -qx "$fam" "$tmp/dash_used" || fail "$fam (in $families_h) has no panel in $dash"
done <"$tmp/families"

# JSON validity and panel basics: python3, else jq, else skipped.
if command -v python3 >/dev/null 2>&1; then
  python3 - "$dash" <<'PY' || fail "$dash: see above"
import json, sys
path = sys.argv[1]
try:
    d = json.load(open(path))
except ValueError as e:
    sys.exit(f"{path}: not valid JSON: {e}")
bad = []
ids = set()
for p in d.get("panels", []):
    if p.get("id") in ids:
        bad.append(f"duplicate panel id {p.get('id')}")
    ids.add(p.get("id"))
    if p.get("type") == "row":
        continue
    t = p.get("title") or "(untitled)"
    if not p.get("title"):
        bad.append("a panel has no title")
    if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
        bad.append(f"panel {t!r} has no unit")
    if not p.get("targets"):
        bad.append(f"panel {t!r} has no targets")
    for tg in p.get("targets", []):
        if tg.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            bad.append(f"panel {t!r}: target datasource is not ${{DS_PROMETHEUS}}")
if not any(v.get("name") == "DS_PROMETHEUS" for v in d.get("templating", {}).get("list", [])):
    bad.append("no DS_PROMETHEUS datasource variable")
for b in bad:
    print(f"{path}: {b}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
elif command -v jq >/dev/null 2>&1; then
  jq -e '.panels | length > 0' "$dash" >/dev/null || fail "$dash: not valid JSON or no panels"
else
  note "neither python3 nor jq: JSON validity of $dash not checked"
fi

[ "$failed" = 0 ] && note "$n_fam families: all covered by alerts and dashboard panels"

# --- (b) promtool ------------------------------------------------------------
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$failed" != 0 ]; then exit 1; fi
  note "SKIP: promtool not found (apt-get install prometheus)"
  exit 77
fi

promtool check rules "$alerts" || fail "promtool check rules $alerts"

# Scenarios: each lists exactly the alerts that must be firing at eval_time
# (count by alertname and instance over ALERTS), so a rule that never fires,
# or fires on a healthy host, fails here.
cat >"$tmp/alerts_test.yml" <<EOF
rule_files:
  - $root/$alerts
evaluation_interval: 1m
tests:
  # A healthy host: nothing fires.
  - interval: 1m
    input_series:
      - {series: 'up{job="gordon",instance="a"}', values: '1x120'}
      - {series: 'gordon_up{job="gordon",instance="a"}', values: '1x120'}
      - {series: 'gordon_build_info{job="gordon",instance="a",version="0.1.0",git="v0.1.0",sdk_abi="1.0"}', values: '1x120'}
      - {series: 'gordon_breaker_state{job="gordon",instance="a",breaker="dd"}', values: '0x120'}
      - {series: 'gordon_breaker_value{job="gordon",instance="a",breaker="dd"}', values: '3.5x120'}
      - {series: 'gordon_halt_latch{job="gordon",instance="a"}', values: '0x120'}
      - {series: 'gordon_intents_total{job="gordon",instance="a",result="accepted"}', values: '0+1x120'}
      - {series: 'gordon_intents_total{job="gordon",instance="a",result="rejected",reason="overlay_veto"}', values: '0+3x120'}
      - {series: 'gordon_intents_total{job="gordon",instance="a",result="rejected",reason="daily_notional_cap"}', values: '0x120'}
      - {series: 'gordon_orders_total{job="gordon",instance="a",kind="entry"}', values: '0+1x120'}
      - {series: 'gordon_fills_total{job="gordon",instance="a",reason="entry"}', values: '0+1x120'}
      - {series: 'gordon_fill_slippage_bps_bucket{job="gordon",instance="a",le="1"}', values: '0+1x120'}
      - {series: 'gordon_fill_slippage_bps_bucket{job="gordon",instance="a",le="5"}', values: '0+1x120'}
      - {series: 'gordon_fill_slippage_bps_bucket{job="gordon",instance="a",le="+Inf"}', values: '0+1x120'}
      - {series: 'gordon_fill_slippage_bps_count{job="gordon",instance="a"}', values: '0+1x120'}
      - {series: 'gordon_equity{job="gordon",instance="a"}', values: '100000x120'}
      - {series: 'gordon_drawdown_pct{job="gordon",instance="a"}', values: '2x120'}
      - {series: 'gordon_notional_used_today{job="gordon",instance="a"}', values: '100x120'}
      - {series: 'gordon_notional_cap_daily{job="gordon",instance="a"}', values: '1000x120'}
      - {series: 'gordon_positions_open{job="gordon",instance="a"}', values: '1x120'}
      - {series: 'gordon_data_freshness_seconds{job="gordon",instance="a",symbol="BTCUSDT"}', values: '5x120'}
      - {series: 'gordon_plugin_loads_total{job="gordon",instance="a",result="ok"}', values: '4x120'}
      - {series: 'gordon_plugin_reloads_total{job="gordon",instance="a",result="ok"}', values: '0x60 1x60'}
      - {series: 'gordon_plugin_worker_deaths_total{job="gordon",instance="a",reason="deadline"}', values: '0x120'}
      - {series: 'gordon_plugin_worker_restarts_total{job="gordon",instance="a"}', values: '0x120'}
      - {series: 'gordon_plugin_quarantined{job="gordon",instance="a",state="stopped"}', values: '0x120'}
      - {series: 'gordon_loop_lag_seconds{job="gordon",instance="a"}', values: '0.01x120'}
      - {series: 'gordon_bars_total{job="gordon",instance="a"}', values: '0+1x120'}
      - {series: 'gordon_http_requests_total{job="gordon",instance="a",code="200"}', values: '0+2x120'}
    promql_expr_test:
      - expr: 'ALERTS{alertstate="firing"}'
        eval_time: 100m
        exp_samples: []

  # Safety: halt, breakers, stale data, caps, drawdown, equity.
  - interval: 1m
    input_series:
      - {series: 'gordon_up{job="gordon",instance="b"}', values: '1x60'}
      - {series: 'gordon_halt_latch{job="gordon",instance="b"}', values: '1x60'}
      - {series: 'gordon_breaker_state{job="gordon",instance="b",breaker="dd"}', values: '2x60'}
      - {series: 'gordon_breaker_state{job="gordon",instance="b",breaker="vol"}', values: '1x60'}
      - {series: 'gordon_breaker_value{job="gordon",instance="b",breaker="dd"}', values: '12x60'}
      - {series: 'gordon_breaker_value{job="gordon",instance="b",breaker="vix"}', values: '$(printf 'NaN %.0s' {1..45})'}
      - {series: 'gordon_data_freshness_seconds{job="gordon",instance="b",symbol="BTCUSDT"}', values: '300x60'}
      - {series: 'gordon_data_freshness_seconds{job="gordon",instance="b",symbol="ETHUSDT"}', values: '5x60'}
      - {series: 'gordon_notional_used_today{job="gordon",instance="b"}', values: '950x60'}
      - {series: 'gordon_notional_cap_daily{job="gordon",instance="b"}', values: '1000x60'}
      - {series: 'gordon_drawdown_pct{job="gordon",instance="b"}', values: '12x60'}
      - {series: 'gordon_equity{job="gordon",instance="b"}', values: '100000-200x60'}
      - {series: 'gordon_positions_open{job="gordon",instance="b"}', values: '2x60'}
    promql_expr_test:
      - expr: 'count by (alertname, breaker, symbol) (ALERTS{alertstate="firing"})'
        eval_time: 40m
        exp_samples:
          - {labels: '{alertname="GordonHaltLatched"}', value: 1}
          - {labels: '{alertname="GordonBreakerTripped", breaker="dd"}', value: 1}
          - {labels: '{alertname="GordonBreakerWarning", breaker="vol"}', value: 1}
          - {labels: '{alertname="GordonBreakerValueInvalid", breaker="vix"}', value: 1}
          - {labels: '{alertname="GordonDataStale", symbol="BTCUSDT"}', value: 1}
          - {labels: '{alertname="GordonDailyNotionalNearCap"}', value: 1}
          - {labels: '{alertname="GordonDrawdownHigh"}', value: 1}
          - {labels: '{alertname="GordonEquityDrop"}', value: 1}
          - {labels: '{alertname="GordonPositionsOpenWhileHalted"}', value: 1}
    alert_rule_test:
      # Fires at once: a halt must never wait for a "for:".
      - eval_time: 1m
        alertname: GordonHaltLatched
        exp_alerts:
          - exp_labels: {severity: critical, job: gordon, instance: b}
            exp_annotations:
              summary: "gordon halt latch is set on b"
              description: "No entries are accepted until an operator resumes (POST /risk/resume). The reason is in the state dir's audit.jsonl and latch.json."

  # Trading flow: c1 executor stalled and no bars, c2 risk rejections and
  # no fills, c3 runaway orders, stop-loss burst and high slippage.
  - interval: 1m
    input_series:
      - {series: 'gordon_up{job="gordon",instance="c1"}', values: '1x90'}
      - {series: 'gordon_up{job="gordon",instance="c2"}', values: '1x90'}
      - {series: 'gordon_up{job="gordon",instance="c3"}', values: '1x90'}
      - {series: 'gordon_intents_total{job="gordon",instance="c1",result="accepted"}', values: '0+2x90'}
      - {series: 'gordon_bars_total{job="gordon",instance="c1"}', values: '100x90'}
      - {series: 'gordon_intents_total{job="gordon",instance="c2",result="accepted"}', values: '0+1x90'}
      - {series: 'gordon_intents_total{job="gordon",instance="c2",result="rejected",reason="daily_notional_cap"}', values: '0+8x90'}
      - {series: 'gordon_intents_total{job="gordon",instance="c2",result="rejected",reason="overlay_veto"}', values: '0+5x90'}
      - {series: 'gordon_orders_total{job="gordon",instance="c2",kind="entry"}', values: '0+1x90'}
      - {series: 'gordon_bars_total{job="gordon",instance="c2"}', values: '0+1x90'}
      - {series: 'gordon_orders_total{job="gordon",instance="c3",kind="entry"}', values: '0+40x90'}
      - {series: 'gordon_fills_total{job="gordon",instance="c3",reason="stop"}', values: '0+1x90'}
      - {series: 'gordon_fill_slippage_bps_bucket{job="gordon",instance="c3",le="10"}', values: '0+1x90'}
      - {series: 'gordon_fill_slippage_bps_bucket{job="gordon",instance="c3",le="20"}', values: '0+1x90'}
      - {series: 'gordon_fill_slippage_bps_bucket{job="gordon",instance="c3",le="50"}', values: '0+10x90'}
      - {series: 'gordon_fill_slippage_bps_bucket{job="gordon",instance="c3",le="+Inf"}', values: '0+10x90'}
      - {series: 'gordon_fill_slippage_bps_count{job="gordon",instance="c3"}', values: '0+10x90'}
      - {series: 'gordon_bars_total{job="gordon",instance="c3"}', values: '0+1x90'}
    promql_expr_test:
      - expr: 'count by (alertname, instance) (ALERTS{alertstate="firing"})'
        eval_time: 60m
        exp_samples:
          - {labels: '{alertname="GordonExecutorStalled", instance="c1"}', value: 1}
          - {labels: '{alertname="GordonNoBars", instance="c1"}', value: 1}
          - {labels: '{alertname="GordonIntentsRejectedHigh", instance="c2"}', value: 1}
          - {labels: '{alertname="GordonOrdersWithoutFills", instance="c2"}', value: 1}
          - {labels: '{alertname="GordonOrderRateHigh", instance="c3"}', value: 1}
          - {labels: '{alertname="GordonStopLossBurst", instance="c3"}', value: 1}
          - {labels: '{alertname="GordonFillSlippageHigh", instance="c3"}', value: 1}

  # Runtime: loop lag, plugin and reload failures, HTTP errors, versions, down.
  - interval: 1m
    input_series:
      - {series: 'gordon_up{job="gordon",instance="d1"}', values: '1x90'}
      - {series: 'gordon_build_info{job="gordon",instance="d1",version="0.1.0",git="v0.1.0",sdk_abi="1.0"}', values: '1x90'}
      - {series: 'gordon_loop_lag_seconds{job="gordon",instance="d1"}', values: '3x90'}
      - {series: 'gordon_plugin_loads_total{job="gordon",instance="d1",result="ok"}', values: '3x90'}
      - {series: 'gordon_plugin_loads_total{job="gordon",instance="d1",result="error"}', values: '0x60 1x30'}
      - {series: 'gordon_plugin_reloads_total{job="gordon",instance="d1",result="error"}', values: '0x60 1x30'}
      - {series: 'gordon_http_requests_total{job="gordon",instance="d1",code="200"}', values: '0+5x90'}
      - {series: 'gordon_http_requests_total{job="gordon",instance="d1",code="500"}', values: '0x60 1x30'}
      - {series: 'gordon_http_requests_total{job="gordon",instance="d1",code="401"}', values: '0+2x90'}
      - {series: 'gordon_plugin_worker_deaths_total{job="gordon",instance="d1",reason="deadline"}', values: '0x60 1x10 2x10 3x10'}
      - {series: 'gordon_plugin_worker_deaths_total{job="gordon",instance="d1",reason="died"}', values: '0x90'}
      - {series: 'gordon_plugin_worker_restarts_total{job="gordon",instance="d1"}', values: '0x60 1 2 3x27'}
      - {series: 'gordon_plugin_quarantined{job="gordon",instance="d1",state="stopped"}', values: '0x65 1x25'}
      - {series: 'gordon_plugin_quarantined{job="gordon",instance="d1",state="restarting"}', values: '0x90'}
      - {series: 'gordon_up{job="gordon",instance="d2"}', values: '0x90'}
      - {series: 'gordon_build_info{job="gordon",instance="d2",version="0.2.0",git="v0.2.0",sdk_abi="1.1"}', values: '1x90'}
      - {series: 'up{job="gordon",instance="d3"}', values: '0x90'}
    promql_expr_test:
      - expr: 'count by (alertname, instance) (ALERTS{alertstate="firing"})'
        eval_time: 70m
        exp_samples:
          - {labels: '{alertname="GordonLoopLag", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonLoopLagSevere", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonPluginLoadFailed", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonPluginReloadFailed", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonHttpServerErrors", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonHttpAuthFailures", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonPluginWorkerDied", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonPluginWorkerFlapping", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonPluginQuarantined", instance="d1"}', value: 1}
          - {labels: '{alertname="GordonDown", instance="d2"}', value: 1}
          - {labels: '{alertname="GordonDown", instance="d3"}', value: 1}
          - {labels: '{alertname="GordonVersionDrift"}', value: 1}

  # Nothing reports at all: absent(gordon_up).
  - interval: 1m
    input_series:
      - {series: 'up{job="node",instance="x"}', values: '1x10'}
    promql_expr_test:
      - expr: 'count by (alertname) (ALERTS{alertstate="firing"})'
        eval_time: 5m
        exp_samples:
          - {labels: '{alertname="GordonDown"}', value: 1}

  # The database and the journal: e1 cannot reach PostgreSQL (down, backlog,
  # breaker open, flapping), e2 is connected but applies nothing, had records
  # refused and a failed fdatasync, e3 writes slowly, replays a large backlog
  # and makes the trading loop wait for the database thread; e4 is healthy
  # (a few short waits of the loop stay under the alert's bar).
  - interval: 1m
    input_series:
      - {series: 'up{job="gordon",instance="e1"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="e1"}', values: '1x40'}
      - {series: 'gordon_db_connected{job="gordon",instance="e1"}', values: '0x40'}
      - {series: 'gordon_db_journal_depth{job="gordon",instance="e1"}', values: '500x40'}
      - {series: 'gordon_db_journal_age_seconds{job="gordon",instance="e1"}', values: '0+60x40'}
      - {series: 'gordon_db_breaker_open{job="gordon",instance="e1"}', values: '0x20 1x20'}
      - {series: 'gordon_db_reconnects_total{job="gordon",instance="e1"}', values: '0+1x40'}
      - {series: 'gordon_db_applied_records_total{job="gordon",instance="e1"}', values: '1000x40'}
      - {series: 'gordon_db_replayed_records_total{job="gordon",instance="e1"}', values: '0x40'}
      - {series: 'gordon_db_rejected_records_total{job="gordon",instance="e1"}', values: '0x40'}
      - {series: 'gordon_db_journal_sync_failures_total{job="gordon",instance="e1"}', values: '0x40'}
      - {series: 'gordon_db_journal_lost_records_total{job="gordon",instance="e1"}', values: '0x40'}
      - {series: 'gordon_db_queue_waits_total{job="gordon",instance="e1"}', values: '0+1x40'}
      - {series: 'gordon_db_queue_wait_seconds_total{job="gordon",instance="e1"}', values: '0+0.001x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e1",le="0.1"}', values: '0+10x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e1",le="1"}', values: '0+10x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e1",le="+Inf"}', values: '0+10x40'}
      - {series: 'up{job="gordon",instance="e2"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="e2"}', values: '1x40'}
      - {series: 'gordon_db_connected{job="gordon",instance="e2"}', values: '1x40'}
      - {series: 'gordon_db_journal_depth{job="gordon",instance="e2"}', values: '50x40'}
      - {series: 'gordon_db_journal_age_seconds{job="gordon",instance="e2"}', values: '30x40'}
      - {series: 'gordon_db_breaker_open{job="gordon",instance="e2"}', values: '0x40'}
      - {series: 'gordon_db_reconnects_total{job="gordon",instance="e2"}', values: '0x40'}
      - {series: 'gordon_db_applied_records_total{job="gordon",instance="e2"}', values: '1000x40'}
      - {series: 'gordon_db_replayed_records_total{job="gordon",instance="e2"}', values: '0x40'}
      - {series: 'gordon_db_rejected_records_total{job="gordon",instance="e2"}', values: '0x30 3x10'}
      - {series: 'gordon_db_journal_sync_failures_total{job="gordon",instance="e2"}', values: '0x35 1x5'}
      - {series: 'gordon_db_journal_lost_records_total{job="gordon",instance="e2"}', values: '0x40'}
      - {series: 'gordon_db_queue_waits_total{job="gordon",instance="e2"}', values: '0+1x40'}
      - {series: 'gordon_db_queue_wait_seconds_total{job="gordon",instance="e2"}', values: '0+0.001x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e2",le="0.1"}', values: '0+10x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e2",le="1"}', values: '0+10x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e2",le="+Inf"}', values: '0+10x40'}
      - {series: 'up{job="gordon",instance="e3"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="e3"}', values: '1x40'}
      - {series: 'gordon_db_connected{job="gordon",instance="e3"}', values: '1x40'}
      - {series: 'gordon_db_journal_depth{job="gordon",instance="e3"}', values: '10x40'}
      - {series: 'gordon_db_journal_age_seconds{job="gordon",instance="e3"}', values: '1x40'}
      - {series: 'gordon_db_breaker_open{job="gordon",instance="e3"}', values: '0x40'}
      - {series: 'gordon_db_reconnects_total{job="gordon",instance="e3"}', values: '0x40'}
      - {series: 'gordon_db_applied_records_total{job="gordon",instance="e3"}', values: '0+30000x40'}
      - {series: 'gordon_db_replayed_records_total{job="gordon",instance="e3"}', values: '0+20000x40'}
      - {series: 'gordon_db_rejected_records_total{job="gordon",instance="e3"}', values: '0x40'}
      - {series: 'gordon_db_journal_sync_failures_total{job="gordon",instance="e3"}', values: '0x40'}
      - {series: 'gordon_db_journal_lost_records_total{job="gordon",instance="e3"}', values: '0x40'}
      - {series: 'gordon_db_queue_waits_total{job="gordon",instance="e3"}', values: '0+3x40'}
      - {series: 'gordon_db_queue_wait_seconds_total{job="gordon",instance="e3"}', values: '0+0.5x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e3",le="0.1"}', values: '0x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e3",le="1"}', values: '0x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e3",le="2.5"}', values: '0+100x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e3",le="+Inf"}', values: '0+100x40'}
      - {series: 'up{job="gordon",instance="e4"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="e4"}', values: '1x40'}
      - {series: 'gordon_db_connected{job="gordon",instance="e4"}', values: '1x40'}
      - {series: 'gordon_db_journal_depth{job="gordon",instance="e4"}', values: '5x40'}
      - {series: 'gordon_db_journal_age_seconds{job="gordon",instance="e4"}', values: '1x40'}
      - {series: 'gordon_db_breaker_open{job="gordon",instance="e4"}', values: '0x40'}
      - {series: 'gordon_db_reconnects_total{job="gordon",instance="e4"}', values: '0x40'}
      - {series: 'gordon_db_applied_records_total{job="gordon",instance="e4"}', values: '0+100x40'}
      - {series: 'gordon_db_replayed_records_total{job="gordon",instance="e4"}', values: '0x40'}
      - {series: 'gordon_db_rejected_records_total{job="gordon",instance="e4"}', values: '0x40'}
      - {series: 'gordon_db_journal_sync_failures_total{job="gordon",instance="e4"}', values: '0x40'}
      - {series: 'gordon_db_journal_lost_records_total{job="gordon",instance="e4"}', values: '0x40'}
      - {series: 'gordon_db_queue_waits_total{job="gordon",instance="e4"}', values: '0+1x40'}
      - {series: 'gordon_db_queue_wait_seconds_total{job="gordon",instance="e4"}', values: '0+0.001x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e4",le="0.1"}', values: '0+10x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e4",le="1"}', values: '0+10x40'}
      - {series: 'gordon_db_write_latency_seconds_bucket{job="gordon",instance="e4",le="+Inf"}', values: '0+10x40'}
    promql_expr_test:
      - expr: 'count by (alertname, instance) (ALERTS{alertstate="firing"})'
        eval_time: 40m
        exp_samples:
          - {labels: '{alertname="GordonDatabaseDown", instance="e1"}', value: 1}
          - {labels: '{alertname="GordonJournalBacklog", instance="e1"}', value: 1}
          - {labels: '{alertname="GordonDbBreakerOpen", instance="e1"}', value: 1}
          - {labels: '{alertname="GordonDbReconnecting", instance="e1"}', value: 1}
          - {labels: '{alertname="GordonDbNotApplying", instance="e2"}', value: 1}
          - {labels: '{alertname="GordonDbRecordsRejected", instance="e2"}', value: 1}
          - {labels: '{alertname="GordonJournalFailing", instance="e2"}', value: 1}
          - {labels: '{alertname="GordonDbWritesSlow", instance="e3"}', value: 1}
          - {labels: '{alertname="GordonDbReplayingBacklog", instance="e3"}', value: 1}
          - {labels: '{alertname="GordonDbThreadLagging", instance="e3"}', value: 1}

  # The venue (v1: not ready, its stream down, weight near the limit, an
  # unprotected position, unknown replies, a reconcile mismatch, a failed
  # stop), live market data (v2: stream down, stale, a gap left unfilled),
  # the host's own state (v3: a halt not yet durable, the state store
  # unwritable, refused plugin calls, a fill past its tolerance); v4 is all
  # of these healthy (a found-and-filled gap, backfilled bars under the
  # bar, one unknown reply: nothing fires).
  - interval: 1m
    input_series:
      - {series: 'up{job="gordon",instance="v1"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="v1"}', values: '1x40'}
      - {series: 'gordon_venue_ready{job="gordon",instance="v1"}', values: '0x40'}
      - {series: 'gordon_venue_stream_connected{job="gordon",instance="v1"}', values: '0x40'}
      - {series: 'gordon_venue_used_weight_1m{job="gordon",instance="v1"}', values: '2000x40'}
      - {series: 'gordon_venue_unprotected_positions{job="gordon",instance="v1"}', values: '1x40'}
      - {series: 'gordon_venue_requests_total{job="gordon",instance="v1",outcome="sent"}', values: '0+5x40'}
      - {series: 'gordon_venue_requests_total{job="gordon",instance="v1",outcome="unknown"}', values: '0+1x40'}
      - {series: 'gordon_venue_reconcile_mismatches_total{job="gordon",instance="v1"}', values: '0x35 1x5'}
      - {series: 'gordon_venue_stop_failures_total{job="gordon",instance="v1"}', values: '0x35 1x5'}
      - {series: 'up{job="gordon",instance="v2"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="v2"}', values: '1x40'}
      - {series: 'gordon_market_stream_connected{job="gordon",instance="v2"}', values: '0x40'}
      - {series: 'gordon_market_stale{job="gordon",instance="v2"}', values: '1x40'}
      - {series: 'gordon_market_gaps_total{job="gordon",instance="v2",outcome="found"}', values: '0x35 1x5'}
      - {series: 'gordon_market_gaps_total{job="gordon",instance="v2",outcome="unfilled"}', values: '0x35 1x5'}
      - {series: 'gordon_market_bars_total{job="gordon",instance="v2",source="stream"}', values: '0+1x40'}
      - {series: 'up{job="gordon",instance="v3"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="v3"}', values: '1x40'}
      - {series: 'gordon_halt_latch{job="gordon",instance="v3"}', values: '1x40'}
      - {series: 'gordon_halt_latch_persisted{job="gordon",instance="v3"}', values: '0x40'}
      - {series: 'gordon_state_store_writable{job="gordon",instance="v3"}', values: '0x40'}
      - {series: 'gordon_state_write_failures_total{job="gordon",instance="v3"}', values: '0x35 1x5'}
      - {series: 'gordon_plugin_refused_calls_total{job="gordon",instance="v3"}', values: '0x35 2x5'}
      - {series: 'gordon_fill_tolerance_breaches_total{job="gordon",instance="v3"}', values: '0x35 1x5'}
      - {series: 'up{job="gordon",instance="v4"}', values: '1x40'}
      - {series: 'gordon_up{job="gordon",instance="v4"}', values: '1x40'}
      - {series: 'gordon_venue_ready{job="gordon",instance="v4"}', values: '1x40'}
      - {series: 'gordon_venue_stream_connected{job="gordon",instance="v4"}', values: '1x40'}
      - {series: 'gordon_venue_used_weight_1m{job="gordon",instance="v4"}', values: '300x40'}
      - {series: 'gordon_venue_unprotected_positions{job="gordon",instance="v4"}', values: '0x40'}
      - {series: 'gordon_venue_requests_total{job="gordon",instance="v4",outcome="sent"}', values: '0+5x40'}
      - {series: 'gordon_venue_requests_total{job="gordon",instance="v4",outcome="unknown"}', values: '0x38 1x2'}
      - {series: 'gordon_venue_reconcile_mismatches_total{job="gordon",instance="v4"}', values: '0x40'}
      - {series: 'gordon_venue_stop_failures_total{job="gordon",instance="v4"}', values: '0x40'}
      - {series: 'gordon_market_stream_connected{job="gordon",instance="v4"}', values: '1x40'}
      - {series: 'gordon_market_stale{job="gordon",instance="v4"}', values: '0x40'}
      - {series: 'gordon_market_gaps_total{job="gordon",instance="v4",outcome="found"}', values: '0x35 1x5'}
      - {series: 'gordon_market_gaps_total{job="gordon",instance="v4",outcome="unfilled"}', values: '0x40'}
      - {series: 'gordon_market_bars_total{job="gordon",instance="v4",source="stream"}', values: '0+1x40'}
      - {series: 'gordon_market_bars_total{job="gordon",instance="v4",source="backfill"}', values: '0+1x40'}
      - {series: 'gordon_halt_latch{job="gordon",instance="v4"}', values: '0x40'}
      - {series: 'gordon_halt_latch_persisted{job="gordon",instance="v4"}', values: '1x40'}
      - {series: 'gordon_state_store_writable{job="gordon",instance="v4"}', values: '1x40'}
      - {series: 'gordon_state_write_failures_total{job="gordon",instance="v4"}', values: '0x40'}
      - {series: 'gordon_plugin_refused_calls_total{job="gordon",instance="v4"}', values: '0x40'}
      - {series: 'gordon_fill_tolerance_breaches_total{job="gordon",instance="v4"}', values: '0x40'}
    promql_expr_test:
      - expr: 'count by (alertname, instance) (ALERTS{alertstate="firing"})'
        eval_time: 40m
        exp_samples:
          - {labels: '{alertname="GordonVenueNotReady", instance="v1"}', value: 1}
          - {labels: '{alertname="GordonVenueStreamDown", instance="v1"}', value: 1}
          - {labels: '{alertname="GordonVenueWeightHigh", instance="v1"}', value: 1}
          - {labels: '{alertname="GordonVenueUnprotectedPosition", instance="v1"}', value: 1}
          - {labels: '{alertname="GordonVenueUnknownReplies", instance="v1"}', value: 1}
          - {labels: '{alertname="GordonVenueReconcileMismatch", instance="v1"}', value: 1}
          - {labels: '{alertname="GordonVenueStopFailure", instance="v1"}', value: 1}
          - {labels: '{alertname="GordonMarketStreamDown", instance="v2"}', value: 1}
          - {labels: '{alertname="GordonMarketStale", instance="v2"}', value: 1}
          - {labels: '{alertname="GordonMarketGapsUnfilled", instance="v2"}', value: 1}
          - {labels: '{alertname="GordonHaltLatched", instance="v3"}', value: 1}
          - {labels: '{alertname="GordonHaltNotDurable", instance="v3"}', value: 1}
          - {labels: '{alertname="GordonStateStoreUnwritable", instance="v3"}', value: 1}
          - {labels: '{alertname="GordonStateWriteFailures", instance="v3"}', value: 1}
          - {labels: '{alertname="GordonPluginRefusedCalls", instance="v3"}', value: 1}
          - {labels: '{alertname="GordonFillToleranceBreached", instance="v3"}', value: 1}
EOF
promtool test rules "$tmp/alerts_test.yml" || fail "promtool test rules: an alert scenario did not fire as expected"
# Every rule is made to fire by some scenario: a rule that cannot fire (a
# quantile over a sum without le) passes promtool's checks otherwise.
while read -r a; do
  grep -q "alertname=\"$a\"\|alertname: $a\$" "$tmp/alerts_test.yml" ||
    fail "$alerts: alert $a fires in no scenario of $0"
done < <(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$alerts" | sort -u)

# --- (c) a real scrape ---------------------------------------------------------
if [ -n "$metrics_file" ]; then
  if [ ! -r "$metrics_file" ]; then
    fail "$metrics_file: cannot read"
  else
    # promtool lints (exit 3 for lint findings, 1 for parse errors).
    promtool check metrics <"$metrics_file" || fail "promtool check metrics < $metrics_file"
    while read -r fam type; do
      got=$(sed -n "s/^# TYPE $fam \([a-z]*\)[[:space:]]*\$/\1/p" "$metrics_file" | head -n1)
      if [ -z "$got" ]; then
        fail "$metrics_file: family $fam (in $families_h) is not exported (no # TYPE line)"
      elif [ "$got" != "$type" ]; then
        fail "$metrics_file: $fam has TYPE $got, $families_h says $type"
      fi
    done <"$tmp/families"
    while read -r fam; do
      grep -q "^$fam " "$tmp/families" ||
        fail "$metrics_file: exports $fam, which is not in $families_h"
    done < <(sed -n 's/^# TYPE \(gordon_[a-zA-Z0-9_:]*\) .*/\1/p' "$metrics_file" | sort -u)
  fi
fi

if [ "$failed" != 0 ]; then
  echo "check_prometheus: FAILED" >&2
  exit 1
fi
note "OK"
