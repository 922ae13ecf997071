#!/usr/bin/env bash
# gordon preflight (issue 16, item 3) against real PostgreSQL: on a fresh
# install every evidence item fails for its own reason while the
# configuration's items pass; then each piece of evidence is produced (a
# soak on the loopback venue, which does not count, then one on record as
# against a real endpoint; a walk-forward ablation recorded by `gordon
# ablate --record`; the flatten and latch drills through a daemon's operator
# API; a restic backup by `gordon backup`; a restore drill on record; a
# real Prometheus loaded with the shipped rules; gordon's log line pushed to
# a loopback Loki; the e2e record of this version) and its item passes,
# until preflight passes whole. A dashboard missing a family's panel, and an
# e2e record of another version, fail. Every run is recorded.
# usage: e2e_preflight.sh GORDON PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUGINS=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  declare -f pg_stop >/dev/null && pg_stop
  rm -rf "$T"
}
trap cleanup EXIT
. "$here/e2e_lib.sh"
. "$here/pg_cluster.sh"
[ "$(id -u)" = 0 ] && chmod 755 "$T"
pg_start "$T/pg" || { echo "no PostgreSQL cluster"; exit 1; }
"$GORDON" migrate --dsn "$PG_DSN" --migrations "$root/migrations" >"$T/mig" 2>&1 || { cat "$T/mig"; exit 1; }
export GORDON_DB_DSN=$PG_DSN RESTIC_CACHE_DIR=$T/cache

TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
printf 'k' >"$T/key"
chmod 600 "$T/key"
printf '%s\n' "restic-$RANDOM$RANDOM" >"$T/restic.pw"
chmod 600 "$T/restic.pw"
"$GORDON" init --state-dir "$T/state" >/dev/null
python3 "$here/loki_server.py" --port-file "$T/loki.port" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/loki.port" ] && break; sleep 0.1; done
LOKI=http://127.0.0.1:$(cat "$T/loki.port")
FRED_KEY=abcdefghij0123456789abcdefghij01
mkfifo "$T/fred.in"
python3 "$here/fred_server.py" "$FRED_KEY" <"$T/fred.in" >"$T/fred.port" &
PIDS+=($!)
exec 7>"$T/fred.in" # its stdin stays open while the test runs
for _ in $(seq 50); do [ -s "$T/fred.port" ] && break; sleep 0.1; done
FRED=http://127.0.0.1:$(head -1 "$T/fred.port")
PROM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The strategies as examples/ablate.ini has them (the ablation below is of those).
sections=$(sed -n '/^\[strategy.ema\]/,/^\[ablate\]/p' "$root/examples/ablate.ini" | sed '$d')
cat >"$T/micro.ini" <<INI
[gordon]
mode = production
stage = micro
state_dir = $T/state
[risk]
risk_pct = 1
[executor]
testnet = false
sl_required = true
kind = venue
[market]
source = venue
symbols = USDCHF
interval = 30m
[venue]
profile = live
api_key = live-key
key_file = $T/key
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
[backup]
restic_repository = $T/repo
restic_password_file = $T/restic.pw
[preflight]
prometheus_url = http://127.0.0.1:$PROM_PORT
alerts_file = $root/packaging/prometheus/alerts.yml
grafana_dashboard = ${DASHBOARD:-$root/packaging/grafana/gordon.json}
loki_url = $LOKI
loki_query = {job="gordon"}
e2e_record = $T/e2e.json
$sections
[fred]
base_url = $FRED
api_key = $FRED_KEY
[breaker.dd]
plugin = drawdown
max_drawdown_pct = ${DD_PCT:-25}
[breaker.vix]
plugin = macro
series = VIXCLS
threshold = 40
INI
pf() { GORDON_EXECUTOR_TESTNET=false "$GORDON" preflight --stage micro --config "$T/micro.ini" --plugin-dir "$PLUGINS" >"$T/$1" 2>&1; echo $?; }
item() { grep -E "^(PASS|FAIL)  $2 " "$T/$1" | head -1; }
passes() { item "$1" "$2" | grep -q '^PASS'; }

rc=$(pf first)
check "a fresh install fails preflight (exit $rc) and records the run" \
  "[ $rc = 1 ] && grep -q '^preflight [0-9]* for stage micro: .* FAILED (trading.preflight_runs)' '$T/first' && [ \"\$(pg_psql -c 'SELECT count(*) FROM trading.preflight_runs WHERE NOT passed')\" = 1 ]" \
  "$(tail -3 "$T/first")"
check "breaker dd fails: no ablation on record to tune its drawdown against" \
  "item first 'breaker dd' | grep -q 'FAIL.*no ablation on record to tune it against'" "$(item first 'breaker dd')"
for it in plugins stage "stop required" caps "operator tokens" "breaker vix" breakers "live venue"; do
  check "the configuration's item passes: $it" "passes first '$it'" "$(item first "$it")"
done
check "soak fails: none on record" "item first soak | grep -q 'FAIL.*no soak on record'" "$(item first soak)"
check "ablation fails: none on record" "item first 'ablation ema' | grep -q 'FAIL.*no walk-forward ablation on record'" "$(item first 'ablation ema')"
check "flatten drill fails: none on record" "item first 'flatten drill' | grep -q 'FAIL.*no emergency flatten on record'"
check "latch drill fails: none on record" "item first 'latch drill' | grep -q 'FAIL.*no halt (or breaker trip) followed by a resume'"
check "backup fails: no snapshot" "item first backup | grep -q 'FAIL.*latest snapshot could not be read'" "$(item first backup)"
check "restore drill fails: none on record" "item first 'restore drill' | grep -q 'FAIL.*no ok restore drill on record'"
check "prometheus rules fail: no Prometheus answers" "item first 'prometheus rules' | grep -q 'FAIL.*127.0.0.1:$PROM_PORT/api/v1/rules'" \
  "$(item first 'prometheus rules')"
check "prometheus scrape fails: no Prometheus answers" "item first 'prometheus scrape' | grep -q 'FAIL.*127.0.0.1:$PROM_PORT/api/v1/query'" \
  "$(item first 'prometheus scrape')"
check "the shipped dashboard has a panel for every family" "passes first 'grafana panels'" "$(item first 'grafana panels')"
check "logs fail: nothing from gordon in Loki" "item first logs | grep -q 'FAIL.*no line from gordon in Loki'" "$(item first logs)"
check "e2e fails: no record" "item first 'e2e at this version' | grep -q 'FAIL.*e2e.json'" "$(item first 'e2e at this version')"
check "the live keys are never printed" "! grep -q 'live-key' '$T/first'"
env -u GORDON_EXECUTOR_TESTNET "$GORDON" preflight --stage micro --config "$T/micro.ini" --plugin-dir "$PLUGINS" >"$T/tn" 2>&1
check "without GORDON_EXECUTOR_TESTNET=false in the environment the live venue item fails" \
  "item tn 'live venue' | grep -q 'FAIL.*GORDON_EXECUTOR_TESTNET is not set'" "$(item tn 'live venue')"

# Evidence 1: a soak. On the loopback venue it does not count.
read -r cfgsha plugins <<<"$(pg_psql -c "SELECT config_sha256, plugins::text FROM trading.preflight_runs ORDER BY id DESC LIMIT 1" | tr '|' ' ')"
ins_soak() { # ins_soak REAL VENUE
  pg_psql -c "INSERT INTO trading.soak_runs (mode, started_at, ended_at, status, config_sha256, plugins, metrics, venue, real_venue)
              VALUES ('testnet', now() - interval '73 hours', now(), 'passed', '$cfgsha', '$plugins'::jsonb,
                      '{\"hours\":73,\"trades\":41}', '$2', $1)" >/dev/null
}
ins_soak false "testnet http://127.0.0.1:9"
rc=$(pf second)
check "a soak on the loopback venue does not count" "item second soak | grep -q 'FAIL.*not a Binance endpoint'" "$(item second soak)"
ins_soak true "live https://fapi.binance.com"
rc=$(pf third)
check "a passed soak against a real endpoint, these plugins and configuration, passes" \
  "item third soak | grep -q 'PASS.*passed on live https://fapi.binance.com: 73 h, 41 trades'" "$(item third soak)"

# Evidence 2: the walk-forward ablation, recorded.
"$GORDON" ablate --config "$root/examples/ablate.ini" --jobs 2 --out "$T/abl" --plugin-dir "$PLUGINS" --record \
  --quiet >"$T/ablate.out" 2>&1
check "gordon ablate --record recorded the ablation" "grep -q 'trading.ablation_runs id' '$T/ablate.out'" "$(tail -2 "$T/ablate.out")"

# Evidence 3: the flatten and latch drills, through a daemon's operator API.
cat >"$T/drill.ini" <<INI
[gordon]
mode = testnet
exit_when_done = false
state_dir = $T/state
[replay]
data = USDCHF:$root/data/usdchf_30m_1996_2001.csv
bars_per_sec = 200
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
[db]
dsn = $PG_DSN
$sections
INI
"$GORDON" run --config "$T/drill.ini" --plugin-dir "$PLUGINS" >"$T/drill.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
wait_api "$T/drill.log" "$DPID" || { bad "the drill daemon did not start"; show "$T/drill.log"; }
AUTH=(-H "Authorization: Bearer $TOKEN")
sleep 2
curl -s --max-time 5 -X POST "${AUTH[@]}" -d '{"reason":"latch drill"}' "$U/risk/halt" >/dev/null
curl -s --max-time 5 -X POST "${AUTH[@]}" -d '{"reason":"latch drill over"}' "$U/risk/resume" >/dev/null
sleep 1
curl -s --max-time 5 -X POST "${AUTH[@]}" -d '{"reason":"flatten drill"}' "$U/risk/emergency-flatten" >"$T/flat.json"
sleep 1
kill -TERM "$DPID"
wait "$DPID"

# Evidence 4: a backup (restic, for real) and a restore drill on record.
RESTIC_REPOSITORY="$T/repo" RESTIC_PASSWORD_FILE="$T/restic.pw" restic init -q >/dev/null 2>&1
timeout 120 "$GORDON" backup --config "$T/micro.ini" >"$T/backup.out" 2>&1
check "gordon backup made a snapshot" "[ $? = 0 ]" "$(tail -3 "$T/backup.out")"
pg_psql -c "INSERT INTO trading.restore_drills (at, snapshot_id, snapshot_at, scratch_db, seconds, ok, tables, detail)
            VALUES (now() - interval '10 days', 'abc123', now() - interval '10 days', 'gordon_drill_x', 3.2, true, '{}', '')" >/dev/null

# Evidence 5: the observability. A dashboard that lost a panel and kept one
# for a family gone fails.
"$PY" - "$root/packaging/grafana/gordon.json" "$T/dash.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
panels = d["panels"]
panels[:] = [p for p in panels if "gordon_halt_latch" not in json.dumps(p)]
panels.append({"type": "stat", "title": "gone", "targets": [{"expr": "gordon_gone_total"}]})
json.dump(d, open(sys.argv[2], "w"))
PYEOF
cp "$T/micro.ini" "$T/micro.keep"
sed -i "s|^grafana_dashboard = .*|grafana_dashboard = $T/dash.json|" "$T/micro.ini"
rc=$(pf dash)
check "a dashboard without a family's panel and with a gone family's fails" \
  "item dash 'grafana panels' | grep -q 'FAIL.*famil[a-z]* without a panel (first: gordon_halt_latch); a panel queries a family gordon does not export (gordon_gone_total)'" \
  "$(item dash 'grafana panels')"
cp "$T/micro.keep" "$T/micro.ini"
# A gordon for Prometheus to scrape (its own state: this one only shows its /metrics).
"$GORDON" init --state-dir "$T/state_scraped" >/dev/null
cat >"$T/scraped.ini" <<INI
[gordon]
mode = backtest
exit_when_done = false
state_dir = $T/state_scraped
[replay]
data = USDCHF:$root/data/usdchf_30m_1996_2001.csv
bars_per_sec = 50
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
$sections
INI
"$GORDON" run --config "$T/scraped.ini" --plugin-dir "$PLUGINS" >"$T/scraped.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
wait_api "$T/scraped.log" "$SPID" || { bad "the gordon to scrape did not start"; show "$T/scraped.log"; }
SCRAPED=${U#http://}
# A real Prometheus with the shipped rules, scraping it.
mkdir -p "$T/prom"
printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - %s\nscrape_configs:\n  - job_name: gordon\n    static_configs:\n      - targets: [\x27%s\x27]\n' \
  "$root/packaging/prometheus/alerts.yml" "$SCRAPED" >"$T/prom/prometheus.yml"
prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$T/prom/log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null && break; sleep 0.1; done
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query?query=up" | grep -q '"value":\[[0-9.]*,"1"\]' && break
  sleep 0.1
done
# A line of gordon's own log in Loki, as promtail would push it.
line=$(head -1 "$T/drill.log" | sed 's/\\/\\\\/g; s/"/\\"/g')
curl -s -X POST -H 'Content-Type: application/json' \
  --data "{\"streams\":[{\"stream\":{\"job\":\"gordon\"},\"values\":[[\"$(date +%s%N)\",\"$line\"]]}]}" \
  "$LOKI/loki/api/v1/push" >/dev/null
# The e2e record: one for another version fails, this one's passes.
printf '{"version":"0.0.9 (v0.0.9)","passed":true,"at_ms":%s,"tests":97}\n' "$(date +%s%3N)" >"$T/e2e.json"
rc=$(pf old)
check "an e2e record of another version does not count" "item old 'e2e at this version' | grep -q 'FAIL.*(not this one)'" \
  "$(item old 'e2e at this version')"
bash "$here/e2e_record.sh" "$GORDON" "$T/e2e.json" 0 97 >/dev/null

sed -i 's/^max_drawdown_pct = .*/max_drawdown_pct = 10/' "$T/micro.ini"
rc=$(pf lowdd)
check "a drawdown breaker tighter than the backtest's own max drawdown fails" \
  "item lowdd 'breaker dd' | grep -q 'FAIL.*max_drawdown_pct 10 against the backtest.s max drawdown'" "$(item lowdd 'breaker dd')"
sed -i 's/^max_drawdown_pct = .*/max_drawdown_pct = 25/' "$T/micro.ini"
rc=$(pf last)
for it in "breaker dd" soak "ablation ema" "flatten drill" "latch drill" backup "restore drill" "prometheus rules" "prometheus scrape" "grafana panels" logs \
  "e2e at this version"; do
  check "with its evidence produced, it passes: $it" "passes last '$it'" "$(item last "$it")"
done
check "every item passes: preflight PASSED (exit $rc)" \
  "[ $rc = 0 ] && ! grep -q '^FAIL' '$T/last' && grep -q 'for stage micro: [0-9]* of [0-9]* item(s) pass: PASSED' '$T/last'" \
  "$(grep '^FAIL' "$T/last")"
check "every run on record: the last one passed, the others not" \
  '[ "$(pg_psql -c "SELECT string_agg(passed::text, '"','"' ORDER BY id) FROM trading.preflight_runs")" = false,false,false,false,false,false,false,true ]' \
  "$(pg_psql -c 'SELECT id, passed FROM trading.preflight_runs')"
# gordon promote: one stage up, by an operator, on a preflight that passes now.
promote() { GORDON_EXECUTOR_TESTNET=false "$GORDON" promote --config "$T/micro.ini" --plugin-dir "${2:-$PLUGINS}" --to "$1" 2>&1; }
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote full)
printf '%s\n' "$out" >"$T/promote.out"
check "promote --to full from testnet: refused, stages are never skipped" "grep -q 'stages are never skipped' '$T/promote.out'" "$out"
out=$(env -u GORDON_OPERATOR_TOKEN GORDON_EXECUTOR_TESTNET=false "$GORDON" promote --config "$T/micro.ini" --plugin-dir "$PLUGINS" --to micro 2>&1)
printf '%s\n' "$out" >"$T/promote.out"
check "promote without an operator token: refused" "grep -q 'set GORDON_OPERATOR_TOKEN' '$T/promote.out'" "$out"
out=$(GORDON_OPERATOR_TOKEN=not-the-token promote micro)
printf '%s\n' "$out" >"$T/promote.out"
check "promote with a token that is not an operator's: refused" "grep -q 'is not one of \[http\] operator_token_sha256' '$T/promote.out'" "$out"
# Changed plugin hashes: the soak and the ablation were of other .so files.
mkdir -p "$T/plugins2"
cp "$PLUGINS"/*.so "$T/plugins2/"
printf '\0' >>"$T/plugins2/ema_cross.so"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote micro "$T/plugins2")
printf '%s\n' "$out" >"$T/promote.out"
check "a promotion with a changed plugin hash is refused (the soak and the ablation were of the other)" \
  "grep -q 'refused:' '$T/promote.out' && grep -q '^FAIL  soak' '$T/promote.out' && grep -q '^FAIL  ablation ema' '$T/promote.out'" \
  "$(echo "$out" | tail -4)"
check "... and nothing is promoted" "[ \"\$(pg_psql -c 'SELECT count(*) FROM trading.stage_promotions')\" = 0 ] && \"$GORDON\" stage --config '$T/micro.ini' | grep -q '^stage on record: testnet'"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote micro)
printf '%s\n' "$out" >"$T/promote.out"
check "promote --to micro on a passing preflight: promoted, by the operator" \
  "grep -q '^promoted to micro by operator:${HASH:0:12}: promotion [0-9]* on preflight [0-9]*' '$T/promote.out'" "$out"
check "on record: stage.json says micro, trading.stage_promotions has it with its preflight" \
  "\"$GORDON\" stage --config '$T/micro.ini' | grep -q '^stage on record: micro' && [ \"\$(pg_psql -c \"SELECT kind || ' ' || from_stage || ' ' || to_stage || ' ' || (p.passed)::text FROM trading.stage_promotions s JOIN trading.preflight_runs p ON p.id = s.preflight_run_id\")\" = 'promote testnet micro true' ]" \
  "$(pg_psql -c 'SELECT * FROM trading.stage_promotions')"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote micro)
printf '%s\n' "$out" >"$T/promote.out"
check "promoting to micro again: refused (the stage on record is micro)" "grep -q 'the stage on record is micro' '$T/promote.out'" "$out"
sed -i 's/^stage = micro/stage = full/' "$T/micro.ini"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote full)
printf '%s\n' "$out" >"$T/promote.out"
check "promote --to full the same day: refused, the month at micro has not passed" \
  "grep -q '^FAIL  a month at micro .*0.0 day(s) (at least 30)' '$T/promote.out' && grep -q '^PASS  micro without incident' '$T/promote.out'" "$out"
# A month at micro, as the record would hold it: the promotion and the
# testnet drills dated back, micro's closed trades and daily equity. The
# trades are first unlike the backtest (every one a winner), then like it.
pg_psql -c "UPDATE trading.stage_promotions SET at = now() - interval '31 days';
            UPDATE trading.risk_events SET at = at - interval '40 days'" >/dev/null
read -r bt_win bt_r bt_dd bt_sh <<<"$(pg_psql -c "SELECT x->'metrics'->>'win_rate_pct', x->'metrics'->>'avg_r', x->'metrics'->>'max_dd_pct', x->'metrics'->>'sharpe' FROM trading.ablation_runs a,
  jsonb_array_elements(a.metrics->'configurations') x WHERE x->>'name' = 'all' ORDER BY a.id DESC LIMIT 1" | tr '|' ' ')"
micro_trades() { # micro_trades WINNERS WIN_R LOSE_R (20 trades of strategy ema, 1 R = 1.0)
  pg_psql -c "DELETE FROM trading.positions WHERE source = 'feedfacefeedface'; DELETE FROM trading.intents WHERE source = 'feedfacefeedface';
    INSERT INTO trading.intents (source, id, at, strategy, symbol, action, side, result, ref_price, stop, qty, notional, stop_required, journal_seq)
      SELECT 'feedfacefeedface', g, now() - (g || ' days')::interval, 'ema', 'USDCHF', 'entry', 1, 'accepted', 1.0, 0.99, 100, 100, true, g
      FROM generate_series(1, 20) g;
    INSERT INTO trading.positions (source, id, strategy, symbol, side, qty, open_qty, entry, stop, stop_required, status,
                                   opened_at, closed_at, exit_price, realized_pnl, updated_at, last_seq)
      SELECT 'feedfacefeedface', g, 'ema', 'USDCHF', 1, 100, 0, 1.0, 0.99, true, 'closed', now() - (g || ' days')::interval,
             now() - (g || ' days')::interval + interval '1 hour', 1.0, CASE WHEN g <= $1 THEN $2 ELSE $3 END,
             now(), g FROM generate_series(1, 20) g" >/dev/null
}
pg_psql -c "INSERT INTO trading.equity_points (source, id, at, cause, equity, cash, unrealized, gross, open_positions, drawdown_pct)
  SELECT 'feedfacefeedface', g, now() - ((30 - g) || ' days')::interval, 'timer', 500 + g + (g % 3) * 0.5, 500 + g, 0, 0, 0,
         CASE WHEN g % 3 = 0 THEN 0.3 ELSE 0 END FROM generate_series(0, 30) g" >/dev/null
micro_trades 20 1.5 -1
sed -i 's/^stage = micro/stage = full/' "$T/micro.ini"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote full)
printf '%s\n' "$out" >"$T/promote.out"
check "promote --to full with micro unlike the backtest (every trade a winner): refused on the divergence" \
  "grep -q '^PASS  a month at micro' '$T/promote.out' && grep -q '^PASS  micro without incident' '$T/promote.out' && grep -q '^FAIL  divergence ema .*win rate 100.0%' '$T/promote.out'" \
  "$(echo "$out" | grep -E 'micro|divergence|refused')"
# Like the backtest: its win rate, and its average R (losers -1 R, winners make up the rest).
w=$("$PY" -c "print(max(1, round(20 * $bt_win / 100)))")
a=$("$PY" -c "print((20 * $bt_r + (20 - $w)) / $w)")
micro_trades "$w" "$a" -1
check "the soak on record predates its round trips: refused, it cannot be compared" \
  "grep -q '^FAIL  soak vs backtest ema .*has no round trips of ema on record' '$T/promote.out'" "$(grep 'soak vs' "$T/promote.out")"
soak_metrics() { # soak_metrics TRADES WINS AVG_R MAX_DD SHARPE: the passed real soak as it traded
  pg_psql -c "UPDATE trading.soak_runs SET metrics = metrics || jsonb_build_object('max_dd_pct', $4::float8, 'sharpe', $5::float8,
                'strategies', jsonb_build_object('ema', jsonb_build_object('trades', $1, 'wins', $2, 'avg_r', $3::float8)))
              WHERE real_venue AND status = 'passed'" >/dev/null
}
soak_metrics 41 41 2.5 "$bt_dd" "$bt_sh"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote full)
printf '%s\n' "$out" >"$T/promote.out"
check "promote --to full with micro like the backtest but the soak unlike it (every trade a winner): refused" \
  "grep -q '^PASS  divergence ema' '$T/promote.out' && grep -q '^FAIL  soak vs backtest ema .*41 trade(s) (at least 10), win rate 100.0%' '$T/promote.out' && grep -q 'refused' '$T/promote.out'" \
  "$(echo "$out" | grep -E 'soak vs|refused')"
sw=$("$PY" -c "print(max(1, round(41 * $bt_win / 100)))")
soak_metrics 41 "$sw" "$("$PY" -c "print($bt_r)")" "$("$PY" -c "print($bt_dd * 2)")" "$bt_sh"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote full)
printf '%s\n' "$out" >"$T/promote.out"
check "... and with the soak's drawdown twice the backtest's (at most 1.5x): refused" \
  "grep -q '^PASS  soak vs backtest ema' '$T/promote.out' && grep -q '^FAIL  soak vs backtest account .*(at most 1.5x)' '$T/promote.out'" \
  "$(echo "$out" | grep -E 'soak vs|refused')"
soak_metrics 41 "$sw" "$("$PY" -c "print($bt_r)")" "$bt_dd" "$bt_sh"
out=$(GORDON_OPERATOR_TOKEN=$TOKEN promote full)
printf '%s\n' "$out" >"$T/promote.out"
check "promote --to full after a month at micro and a soak like the backtest, without incident: promoted" \
  "grep -q '^PASS  divergence ema' '$T/promote.out' && grep -q '^PASS  divergence account' '$T/promote.out' && grep -q '^PASS  soak vs backtest ema' '$T/promote.out' && grep -q '^PASS  soak vs backtest account' '$T/promote.out' && grep -q '^promoted to full by operator:' '$T/promote.out'" \
  "$(echo "$out" | grep -E 'micro|divergence|soak vs|refused|promoted')"
check "... stage.json says full; the promotion records micro's start" \
  "\"$GORDON\" stage --config '$T/micro.ini' | grep -q '^stage on record: full' && [ \"\$(pg_psql -c \"SELECT count(*) FROM trading.stage_promotions WHERE to_stage = 'full' AND numbers ? 'micro_since_ms'\")\" = 1 ]"
sed -i 's/^stage = full/stage = micro/' "$T/micro.ini"
out=$("$GORDON" stage demote --to testnet --reason "drill over" --config "$T/micro.ini" 2>&1)
printf '%s\n' "$out" >"$T/promote.out"
check "a demotion is always allowed (full to testnet), and on record in the database too" \
  "grep -q 'trading.stage_promotions id' '$T/promote.out' && [ \"\$(pg_psql -c \"SELECT from_stage FROM trading.stage_promotions WHERE kind = 'demote' AND to_stage = 'testnet'\")\" = full ]" "$out"

# VPIN's threshold against the range VPIN took on the data on record, run
# alone in a worker over the latest ablation's files. USD/CHF has no volume:
# no bucket ever fills, and preflight says so.
cat >>"$T/micro.ini" <<INI
[breaker.toxic]
plugin = vpin
bucket_volume = 2000000000
n_buckets = 50
sigma_window = 50
threshold = 0.99
INI
rc=$(pf vpin0)
check "breaker vpin on the data on record without volume: fails, it gave no value" \
  "item vpin0 'breaker toxic' | grep -q 'FAIL.*VPIN over ablation run [0-9]*.s data (1996-.*gave no value on 62496 bars'" \
  "$(item vpin0 'breaker toxic')"
# An ablation of the same plugins on S&P 500 daily bars (with volume): the data on record now.
cp "$root/data/sp500_1d_2000_2020.csv" "$T/spx.csv"
sed -e "s|^data = .*|data = SPX:$T/spx.csv|" -e 's/^\[instrument.USDCHF\]/[instrument.SPX]/' \
  "$root/examples/ablate.ini" >"$T/spx.ini"
"$GORDON" ablate --config "$T/spx.ini" --jobs 2 --out "$T/abl2" --plugin-dir "$PLUGINS" --record --quiet >"$T/ablate2.out" 2>&1
check "an ablation of the same plugins on S&P 500 bars recorded" "grep -q 'trading.ablation_runs id' '$T/ablate2.out'" \
  "$(tail -2 "$T/ablate2.out")"
rc=$(pf vpin1)
check "a VPIN threshold above anything VPIN reached on the data on record fails, with the range" \
  "item vpin1 'breaker toxic' | grep -q 'FAIL  breaker toxic .*threshold 0.99 against VPIN over ablation run [0-9]*.s data (2000-01-03..2020-04-1[78], [0-9]* bars with full buckets): min 0[.][0-9]*, median 0[.][0-9]*, 95th 0[.][0-9]*, 99th 0[.][0-9]*, max 0[.][0-9]*; at or above it on 0.00% of them'" \
  "$(item vpin1 'breaker toxic')"
read -r vmin vmed vmax <<<"$(item vpin1 'breaker toxic' | sed -E 's/.*min ([0-9.]+), median ([0-9.]+), .*max ([0-9.]+);.*/\1 \2 \3/')"
check "the range is a VPIN's: 0 < min <= median <= max <= 1" \
  "$PY -c 'import sys; a,b,c=map(float,sys.argv[1:]); sys.exit(not (0 < a <= b <= c <= 1))' $vmin $vmed $vmax" "$vmin $vmed $vmax"
low=$("$PY" -c "print(round(max(0.01, $vmin), 3))")
sed -i "/^\[breaker.toxic\]/,\$ s/^threshold = .*/threshold = $low/" "$T/micro.ini"
rc=$(pf vpin2)
check "a VPIN threshold below the median (it would have tripped on most bars) fails" \
  "item vpin2 'breaker toxic' | grep -q '^FAIL.*threshold $low against VPIN'" "$(item vpin2 'breaker toxic')"
mid=$("$PY" -c "print(round(($vmed + $vmax) / 2, 3))")
sed -i "/^\[breaker.toxic\]/,\$ s/^threshold = .*/threshold = $mid/" "$T/micro.ini"
rc=$(pf vpin3)
check "a VPIN threshold between the median and the max of the historical range passes" \
  "item vpin3 'breaker toxic' | grep -q '^PASS  breaker toxic .*threshold $mid against VPIN'" "$(item vpin3 'breaker toxic')"
echo "# $(item vpin3 'breaker toxic')"
printf '1587254400000,2800,2850,2790,2840,5000000000\n' >>"$T/spx.csv"
rc=$(pf vpin4)
check "the files of the data on record changed since the ablation: fails, saying so" \
  "item vpin4 'breaker toxic' | grep -q 'FAIL.*the files changed since the ablation ran'" "$(item vpin4 'breaker toxic')"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
