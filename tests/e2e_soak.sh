#!/usr/bin/env bash
# The testnet soak on record (issue 16, item 2), with real PostgreSQL and the
# loopback venue: `gordon soak` runs the daemon in testnet mode on the venue
# (replayed bars, paced) for a short --duration, then writes its
# trading.soak_runs row: failed against the runbook's gate (it ran minutes,
# not 72 h), with every reason, what it measured, the plugins' hashes, the
# strategies' configuration digest, and the venue marked as not a Binance
# endpoint (it never counts for a promotion). A soak stopped by SIGTERM is
# 'aborted'; [soak] thresholds below the runbook's are refused.
# usage: e2e_soak.sh GORDON GORDON_VENUE TEST_PLUGIN_DIR
set -u
GORDON=$(realpath "$1") VENUE=$(realpath "$2") TPLUG=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
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
"$GORDON" migrate --dsn "$PG_DSN" --migrations "$here/../migrations" >"$T/mig" 2>&1 || { cat "$T/mig"; exit 1; }

KEY=soak-key SECRET=soak-secret
venue_up "$T/venue.log" --symbol BTCUSDT:tick=0.10:step=0.001:minqty=0.001:notional=5:price=100.37 \
  --balance 10000 --fee-bps 4
"$GORDON" init --state-dir "$T/state" >/dev/null
cat >"$T/soak.ini" <<INI
[gordon]
mode = testnet
exit_when_done = false
state_dir = $T/state
[risk]
equity = 10000
risk_pct = 0.5
[executor]
kind = venue
[replay]
data = BTCUSDT:$here/../packaging/sample/sample_1h.csv
bars_per_sec = 20
$(venue_ini "poll_ms = 200")
[db]
dsn = $PG_DSN
[strategy.long]
plugin = $TPLUG/always_long.so
INI

ctl() { curl -s --max-time 5 -X "$1" "http://127.0.0.1:$(cat "$T/port")/_venue/$2" ${3:+--data "$3"}; }
algos() { ctl GET state | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(len([a for a in d["algoOrders"] if a["algoStatus"]=="NEW"]))'; }
"$GORDON" soak --config "$T/soak.ini" --duration 8s >"$T/soak.out" 2>&1 &
spid=$!
PIDS+=("$spid")
# A round trip while it runs: the entry's stop fires, gordon books the trade.
for _ in $(seq 60); do [ "$(algos 2>/dev/null)" = 1 ] && break; sleep 0.1; done
ctl POST price "symbol=BTCUSDT&price=95" >/dev/null
sleep 1.5
ctl POST price "symbol=BTCUSDT&price=100.37" >/dev/null
wait "$spid"
rc=$?
row() { pg_psql -c "SELECT $1 FROM trading.soak_runs ORDER BY id DESC LIMIT 1"; }
check "a soak of seconds on the loopback venue fails the gate (exit $rc)" \
  "[ $rc = 1 ] && grep -q '^soak [0-9]* FAILED: ' '$T/soak.out'" "$(tail -3 "$T/soak.out" | cut -c1-300)"
check "its row: failed, ended, mode testnet" "[ \"\$(row \"status || ' ' || (ended_at IS NOT NULL) || ' ' || mode\")\" = 'failed true testnet' ]" \
  "$(row "status, ended_at, mode")"
check "the reasons: the duration and the trades (the runbook's 72 h and 30)" \
  "row notes | grep -q 'ran 0.00 h, the gate asks 72 h' && row notes | grep -q 'trade(s), the gate asks 30'" "$(row notes)"
check "the venue is on record and does not count (not a Binance endpoint)" \
  "[ \"\$(row \"venue LIKE 'testnet http://127.0.0.1:%' AND NOT real_venue\")\" = t ] && row notes | grep -q 'does not count for a promotion'" \
  "$(row "venue || ' ' || real_venue")"
trades=$(row "metrics->>'trades'")
check "what it measured: trades ($trades: the stop's round trip at least), hours, the gate's thresholds" \
  "[ \"\$(row \"(metrics->>'trades')::int >= 1 AND (metrics->'gate'->>'min_hours')::int = 72 AND (metrics->'gate'->>'min_trades')::int = 30 AND (metrics->>'hours')::float8 > 0.001\")\" = t ]" \
  "$(row metrics)"
check "how it traded, for the comparison with the backtest: win rate, average R (the stopped trade about -1 R), drawdown, an hourly Sharpe, per strategy" \
  "[ \"\$(row \"(metrics->>'win_rate_pct')::float8 BETWEEN 0 AND 100 AND (metrics->>'avg_r')::float8 < -0.5 AND (metrics->>'max_dd_pct')::float8 > 0 AND jsonb_typeof(metrics->'sharpe') = 'number' AND (metrics->>'hourly_returns')::int >= 24 AND metrics->'strategies'->'long'->>'trades' = metrics->>'trades'\")\" = t ]" \
  "$(row metrics)"
# The price fell 5% under the strategy: its next entry filled far from the
# host's price and its stop would have triggered at once (an incident: the
# position closed, the host halted, the strategy quarantined). Whatever of
# that happened, the row counts it and the notes name it.
named=$("$PY" -c '
import json,sys
m=json.loads(sys.argv[1]); notes=sys.argv[2]
words={"halts":"halt(s)","breaker_trips":"breaker trip(s)","quarantines":"quarantine(s)","tolerance_breaches":"fill(s) past the fill tolerance"}
bad=[k for k,w in words.items() if (m[k]>0) != (("%d %s, the gate asks none" % (m[k],w)) in notes)]
print("ok" if not bad else "missing: "+",".join(bad))' "$(row metrics)" "$(row notes)")
check "every halt, trip, quarantine and fill past the tolerance counted is named in the notes ($named)" "[ '$named' = ok ]" \
  "$(row "metrics || ' | ' || notes")"
sha=$(sha256sum "$TPLUG/always_long.so" | cut -d' ' -f1)
check "the plugins' hashes (strategy.long = sha256 of its .so) and a config digest" \
  "[ \"\$(row \"plugins->>'strategy.long'\")\" = '$sha' ] && row config_sha256 | grep -Eqx '[0-9a-f]{64}'" "$(row plugins)"
digest1=$(row config_sha256)

# A soak stopped by SIGTERM is aborted.
"$GORDON" soak --config "$T/soak.ini" --duration 1h >"$T/soak2.out" 2>&1 &
spid=$!
PIDS+=("$spid")
for _ in $(seq 100); do grep -q 'replaying\|live market data' "$T/soak2.out" && break; sleep 0.1; done
check "while it runs, its row says running" "[ \"\$(row status)\" = running ]" "$(row status)"
sleep 1
kill -TERM "$spid"
wait "$spid"
rc=$?
check "stopped by SIGTERM: aborted (exit $rc), recorded" \
  "[ $rc = 1 ] && [ \"\$(row status)\" = aborted ] && row notes | grep -q 'interrupted after'" "$(row "status || ' ' || notes")"
check "the same strategies' configuration gives the same digest" "[ \"\$(row config_sha256)\" = '$digest1' ]"

out=$("$GORDON" soak --config "$T/soak.ini" --duration 5x 2>&1)
rc=$?
check "a bad --duration is refused (exit $rc)" "[ $rc = 2 ] && echo '$out' | grep -q -- '--duration 5x'" "$out"
# The gate's thresholds only go up.
printf '[soak]\nmin_hours = 24\n' >>"$T/soak.ini"
"$GORDON" soak --config "$T/soak.ini" --duration 5s >"$T/soak3.out" 2>&1
rc=$?
check "[soak] min_hours below the runbook's 72 is refused (exit $rc)" \
  "[ $rc = 1 ] && grep -q 'min_hours: 24 is out of range' '$T/soak3.out'" "$(tail -2 "$T/soak3.out")"
check "no sanitizer report" "! grep -q Sanitizer '$T/soak.out' '$T/soak2.out'"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
