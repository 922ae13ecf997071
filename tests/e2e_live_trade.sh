#!/usr/bin/env bash
# Live market data end to end (issue 15): the real daemon in testnet mode
# with [market] source = venue and [executor] kind = venue against the
# loopback venue, which replays the sample bars as live 1s klines (market
# time = venue time, so freshness is real): the warm-up by REST, closed
# bars from the stream into the pipeline and the venue executor, a stalled
# stream tripping the connectivity breaker within its window and clearing
# after the backfill, a dropped connection losing no closed bar.
# usage: e2e_live_trade.sh GORDON GORDON_VENUE TEST_PLUGIN_DIR [CASE...]
set -u
GORDON=$(realpath "$1") VENUE=$(realpath "$2") TPLUG=$(realpath "$3")
shift 3
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
. "$here/e2e_lib.sh"

KEY=live-key SECRET=live-secret
CSV=$here/../packaging/sample/sample_1h.csv
HISTORY=60

ctl() { curl -s --max-time 5 -X "$1" "$B/_venue/$2" ${3:+--data "$3"}; }
vq() { ctl GET state | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
metric() { curl -s --max-time 5 "$U/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
until_metric() { # until_metric NAME VALUE [tries of 0.1 s]
  for _ in $(seq "${3:-100}"); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}

venue_start() {
  venue_up "$T/venue.log" --symbol BTCUSDT:tick=0.01:step=0.001:minqty=0.001:notional=5:price=100 \
    --klines "BTCUSDT:$CSV" --interval 1s --market-speed 1 --market-history $HISTORY \
    --balance 10000 --fee-bps 4 --verbose 1
}

write_ini() { # write_ini NAME [extra [market] lines] [strategy sections]
  cat >"$T/$1.ini" <<INI
[gordon]
mode = testnet
state_dir = $T/$1.state
intent_log = $T/$1.intents.jsonl
[risk]
equity = 10000
risk_pct = 0.5
leverage = 3
[executor]
kind = venue
[market]
source = venue
symbols = BTCUSDT
interval = 1s
stale_grace_ms = 1500
${2:-}
[http]
listen = 127.0.0.1:0
$(venue_ini "timeout_ms = 2000" "poll_ms = 500")
${3:-[strategy.long]
plugin = $TPLUG/always_long.so}
INI
}
daemon_start() { # daemon_start NAME [extra [market] lines] [strategy sections]
  write_ini "$@"
  "$GORDON" init --state-dir "$T/$1.state" >/dev/null || return 1
  "$GORDON" run --config "$T/$1.ini" >"$T/$1.log" 2>&1 &
  DPID=$!
  PIDS+=("$DPID")
  wait_api "$T/$1.log" "$DPID"
}
daemon_stop() {
  kill -TERM "$DPID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$DPID" 2>/dev/null
  wait "$DPID" 2>/dev/null
}

# The bars gordon was given, as the venue's bar indices: none missing,
# none twice, in order (open times from its intent log's bar fields are not
# needed: the market metrics and the venue's index say it).
bars_in_order() { # bars_in_order NAME: every closed bar since the warm-up's first, once
  local idx idx2 stream back w0
  idx=$(vq "d['symbols'][0]['marketBarIndex']")
  stream=$(metric 'gordon_market_bars_total{source="stream"}')
  back=$(metric 'gordon_market_bars_total{source="backfill"}')
  idx2=$(vq "d['symbols'][0]['marketBarIndex']")
  w0=$(sed -n 's/.*warm-up delivered (\([0-9]*\) bars).*/\1/p' "$T/$1.log" | head -1)
  # Bars closed by the venue since the first warm-up bar (read before and
  # after gordon's count), less the one on its way.
  local lo=$((idx - (HISTORY - w0) - 1)) hi=$((idx2 - (HISTORY - w0)))
  local got=$((stream + back))
  echo "venue closed $idx..$idx2, warm-up $w0, delivered $got (stream $stream, backfill $back), want $lo..$hi"
  [ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ]
}

case_trade() {
  venue_start
  daemon_start trade || { bad "trade: the daemon did not start"; show "$T/trade.log"; return; }
  check "trade: the warm-up came by REST (GET /fapi/v1/klines)" \
    "for _ in \$(seq 100); do grep -q 'warm-up delivered' '$T/trade.log' && break; sleep 0.1; done; grep -q 'warm-up delivered' '$T/trade.log' && grep -q 'GET /fapi/v1/klines' '$T/venue.log'" \
    "$(grep market "$T/trade.log" | tail -3 | cut -c1-200)"
  check "trade: the market stream connected" \
    "for _ in \$(seq 50); do grep -q 'market stream connected' '$T/trade.log' && break; sleep 0.1; done; grep -q 'market stream connected' '$T/trade.log'"
  check "trade: closed bars arrive by the stream" \
    "for _ in \$(seq 50); do [ \"\$(metric 'gordon_market_bars_total{source=\"stream\"}')\" -ge 3 ] 2>/dev/null && break; sleep 0.1; done; [ \"\$(metric 'gordon_market_bars_total{source=\"stream\"}')\" -ge 3 ]" \
    "$(curl -s "$U/metrics" | grep gordon_market_)"
  local POS='[p for p in d["positions"] if float(p["positionAmt"]) != 0]'
  local ALGO='[a for a in d["algoOrders"] if a["algoStatus"] in ("NEW","TRIGGERING")]'
  check "trade: the strategy's entry went through the pipeline to the venue, with its stop" \
    "for _ in \$(seq 100); do [ \"\$(vq 'len($POS) == 1 and len($ALGO) == 1')\" = True ] && break; sleep 0.1; done; [ \"\$(vq 'len($POS) == 1 and len($ALGO) == 1')\" = True ]" \
    "$(vq "$POS")"
  check "trade: the entry was decided on a live bar (intent log: accepted)" \
    "grep -q '\"result\":\"accepted\"' '$T/trade.intents.jsonl'" "$(head -c 300 "$T/trade.intents.jsonl")"
  check "trade: /readyz is ready with fresh data" \
    "curl -s --max-time 5 '$U/readyz' | grep -q '\"data_fresh\":true'" "$(curl -s "$U/readyz")"
  local r1
  bars_in_order trade >"$T/order1"
  r1=$?
  check "trade: no closed bar missing or repeated" "[ $r1 = 0 ]" "$(cat "$T/order1")"

  # A stall: no events for 4 s while bars keep closing.
  ctl POST market "action=stall&ms=4000" >/dev/null
  local t0
  t0=$(date +%s%3N)
  check "trade: a stalled stream trips the connectivity breaker (gordon_market_stale 1)" "until_metric gordon_market_stale 1 60"
  local dt=$(($(date +%s%3N) - t0))
  # The next bar is due 1 s after the last; stale 1.5 s after that (+ the 1 s timer).
  check "trade: within its window ($dt ms: the interval and stale_grace_ms, checked each second)" "[ $dt -le 4500 ]"
  check "trade: /readyz says the data is not fresh" \
    "curl -s --max-time 5 '$U/readyz' | grep -q '\"data_fresh\":false'" "$(curl -s "$U/readyz")"
  check "trade: the breaker says why (a late bar, or a silent stream)" \
    "grep -q 'market data stale: \(BTCUSDT\|nothing from the market stream\)' '$T/trade.log'"
  check "trade: the stream comes back, the gap is filled by REST, the breaker clears" \
    "until_metric gordon_market_stale 0 80" "$(grep -E 'gap|stale|current' "$T/trade.log" | tail -4 | cut -c1-200)"
  check "trade: the missed bars came by backfill" "grep -q 'a gap: bar' '$T/trade.log'"
  sleep 1.2
  local r2
  bars_in_order trade >"$T/order2"
  r2=$?
  check "trade: after the stall, no closed bar missing or repeated" "[ $r2 = 0 ]" "$(cat "$T/order2")"

  # A dropped connection: reconnected, what closed meanwhile fetched.
  local c0
  c0=$(grep -c 'market stream connected' "$T/trade.log")
  ctl POST market "action=drop" >/dev/null
  check "trade: a dropped market connection is reconnected" \
    "for _ in \$(seq 80); do [ \$(grep -c 'market stream connected' '$T/trade.log') -gt $c0 ] && break; sleep 0.1; done; [ \$(grep -c 'market stream connected' '$T/trade.log') -gt $c0 ]"
  sleep 2.5
  local r3
  bars_in_order trade >"$T/order3"
  r3=$?
  check "trade: after the drop, no closed bar missing or repeated" "[ $r3 = 0 ]" "$(cat "$T/order3")"
  daemon_stop
  check "trade: no sanitizer report" "! grep -q 'Sanitizer' '$T/trade.log'" "$(grep -m3 Sanitizer "$T/trade.log")"
  kill "$VPID" 2>/dev/null
  wait "$VPID" 2>/dev/null
}

# Live against replay: ema_cross on live bars, then a backtest of the same
# bars (the venue's klines as it served them): the same decisions on the
# same bars, sizes within fees and fill prices of each other. Stops are wide
# (atr_mult 20) so no stop fires: a venue stop triggers on the mark price,
# a simulated one on the bar's range, and that difference is documented,
# not tested here. The sample's opens equal the closes before them, so the
# simulated next-open fill and the venue's last-close fill agree.
case_match() {
  local EMA
  EMA=$(dirname "$(dirname "$TPLUG")")/plugins/ema_cross.so
  venue_start
  ema_conf() {
    cat <<INI
[strategy.ema]
plugin = $EMA
fast = 3
slow = 6
atr_period = 5
atr_mult = 20
INI
  }
  daemon_start match "" "$(ema_conf)" || { bad "match: the daemon did not start"; show "$T/match.log"; return; }
  check "match: warm-up delivered" \
    "for _ in \$(seq 100); do grep -q 'warm-up delivered' '$T/match.log' && break; sleep 0.1; done; grep -q 'warm-up delivered' '$T/match.log'" \
    "$(tail -3 "$T/match.log" | cut -c1-200)"
  # 25 live bars (25 s): a few crosses of EMA(3) and EMA(6).
  for _ in $(seq 300); do
    [ "$(metric 'gordon_market_bars_total{source="stream"}')" -ge 25 ] 2>/dev/null && break
    sleep 0.1
  done
  local stream back
  stream=$(metric 'gordon_market_bars_total{source="stream"}')
  back=$(metric 'gordon_market_bars_total{source="backfill"}')
  daemon_stop
  check "match: no sanitizer report" "! grep -q 'Sanitizer' '$T/match.log'" "$(grep -m3 Sanitizer "$T/match.log")"
  local w0 first total
  w0=$(sed -n 's/.*warm-up delivered (\([0-9]*\) bars).*/\1/p' "$T/match.log" | head -1)
  first=$((HISTORY - w0))
  total=$((stream + back))
  # The bars gordon had, as the venue serves them.
  curl -s --max-time 5 "$B/fapi/v1/klines?symbol=BTCUSDT&interval=1s&limit=1500" |
    "$PY" -c '
import json, sys
first, total = int(sys.argv[1]), int(sys.argv[2])
k = json.load(sys.stdin)[first:first + total]
print("open_time_ms,open,high,low,close,volume")
for r in k:
    print(",".join([str(r[0])] + r[1:6]))' "$first" "$total" >"$T/bars.csv"
  # Live, the warm-up's bars were history (entries refused as stale): the
  # replay trades from the first bar that came by the stream.
  local live_from
  live_from=$(curl -s --max-time 5 "$B/fapi/v1/klines?symbol=BTCUSDT&interval=1s&limit=1500" |
    "$PY" -c 'import json,sys; k=json.load(sys.stdin); print(k[int(sys.argv[1])][6] + 1)' "$((first + w0))")
  check "match: the venue served the $total bars gordon had" "[ \$(tail -n +2 '$T/bars.csv' | wc -l) = $total ]" \
    "$(wc -l <"$T/bars.csv")"
  cat >"$T/replay.ini" <<INI
[gordon]
mode = backtest
intent_log = $T/replay.intents.jsonl
[risk]
equity = 10000
risk_pct = 0.5
leverage = 3
[executor]
fee_bps = 4
slippage_bps = 0
[replay]
data = BTCUSDT:$T/bars.csv
trade_from_ms = $live_from
[market]
interval = 1s
[instrument.BTCUSDT]
tick_size = 0.01
step_size = 0.001
min_qty = 0.001
min_notional = 5
$(ema_conf)
INI
  "$GORDON" run --config "$T/replay.ini" >"$T/replay.out" 2>"$T/replay.err"
  local rrc=$?
  check "match: the replay of the same bars ran" "[ $rrc = 0 ]" "$(tail -3 "$T/replay.err")"
  "$PY" - "$T/match.intents.jsonl" "$T/replay.intents.jsonl" >"$T/match.cmp" 2>&1 <<'PY'
import json, sys
def load(p):
    out = []
    for line in open(p):
        r = json.loads(line)
        if r.get("result") == "accepted":
            out.append(r)
    return out
live, rep = load(sys.argv[1]), load(sys.argv[2])
key = lambda r: (r["ts"], r["action"], r["side"])
lk, rk = [key(r) for r in live], [key(r) for r in rep]
print("live", len(lk), "replay", len(rk))
if not lk:
    print("no accepted intent live"); sys.exit(1)
if lk != rk:
    print("decisions differ:\n live   %s\n replay %s" % (lk, rk)); sys.exit(1)
worst = 0.0
for a, b in zip(live, rep):
    if a["action"] == "entry":
        d = abs(a["qty"] - b["qty"]) / b["qty"]
        worst = max(worst, d)
print("largest size difference %.3f%%" % (worst * 100))
sys.exit(0 if worst < 0.02 else 1)
PY
  local crc=$?
  check "match: live and replay decided the same on the same bars, sizes within 2% ($(head -c 200 "$T/match.cmp" | tr '\n' ' '))" \
    "[ $crc = 0 ]" "$(cat "$T/match.cmp")"
  kill "$VPID" 2>/dev/null
  wait "$VPID" 2>/dev/null
}

# The shipped example (packaging/examples/testnet.ini) as it is, pointed at
# the loopback venue by GORDON_* variables only: one command starts,
# checks the account, warms up, follows the stream and is ready.
case_example() {
  venue_start
  mkdir -p "$T/ex"
  "$GORDON" init --state-dir "$T/ex/state" >/dev/null
  env GORDON_GORDON_STATE_DIR="$T/ex/state" GORDON_GORDON_INTENT_LOG="$T/ex/intents.jsonl" \
    GORDON_GORDON_PLUGIN_DIR="$(dirname "$(dirname "$TPLUG")")/plugins" \
    GORDON_VENUE_REST_URL="$B" GORDON_VENUE_WS_URL="$W" GORDON_VENUE_API_KEY="$KEY" \
    GORDON_VENUE_KEY_FILE="$T/secret" GORDON_MARKET_INTERVAL=1s GORDON_MARKET_STALE_GRACE_MS=3000 \
    GORDON_HTTP_LISTEN=127.0.0.1:0 \
    "$GORDON" run --config "$here/../packaging/examples/testnet.ini" >"$T/ex.log" 2>&1 &
  DPID=$!
  PIDS+=("$DPID")
  wait_api "$T/ex.log" "$DPID"
  check "example: the shipped testnet.ini starts (one command)" "[ -n '$U' ]" "$(tail -5 "$T/ex.log" | cut -c1-250)"
  check "example: the venue checked out and the warm-up came (ema_cross: 51 bars)" \
    "for _ in \$(seq 100); do grep -q 'warm-up delivered' '$T/ex.log' && break; sleep 0.1; done; grep -q 'venue ready' '$T/ex.log' && grep -q 'warm-up delivered (5[0-9] bars)' '$T/ex.log'" \
    "$(grep -E 'venue ready|warm-up' "$T/ex.log" | cut -c1-200)"
  check "example: /readyz is ready (venue, fresh data, state store)" \
    "for _ in \$(seq 50); do curl -s --max-time 5 '$U/readyz' | grep -q '\"ready\":true' && break; sleep 0.1; done; curl -s --max-time 5 '$U/readyz' | grep -q '\"ready\":true'" \
    "$(curl -s --max-time 5 "$U/readyz")"
  check "example: live bars reach the strategy" \
    "for _ in \$(seq 50); do [ \"\$(metric 'gordon_market_bars_total{source=\"stream\"}')\" -ge 2 ] 2>/dev/null && break; sleep 0.1; done; [ \"\$(metric 'gordon_market_bars_total{source=\"stream\"}')\" -ge 2 ]"
  check "example: the key is in no log line" "! grep -q '$SECRET' '$T/ex.log'"
  daemon_stop
  check "example: no sanitizer report" "! grep -q 'Sanitizer' '$T/ex.log'" "$(grep -m3 Sanitizer "$T/ex.log")"
  kill "$VPID" 2>/dev/null
  wait "$VPID" 2>/dev/null
}

# Two symbols on one combined stream: each one's bars, each one's trade.
case_two() {
  venue_up "$T/venue2.log" \
    --symbol BTCUSDT:tick=0.01:step=0.001:minqty=0.001:notional=5:price=100 --klines "BTCUSDT:$CSV" \
    --symbol ETHUSDT:tick=0.01:step=0.001:minqty=0.001:notional=5:price=100 --klines "ETHUSDT:$CSV" \
    --interval 1s --market-speed 1 --market-history $HISTORY --balance 10000 --fee-bps 4
  daemon_start two "" "[strategy.long]
plugin = $TPLUG/always_long.so" || { bad "two: the daemon did not start"; show "$T/two.log"; return; }
  sed -i 's/^symbols = BTCUSDT$/symbols = BTCUSDT, ETHUSDT/' "$T/two.ini"
  daemon_stop
  "$GORDON" run --config "$T/two.ini" >"$T/two.log" 2>&1 &
  DPID=$!
  PIDS+=("$DPID")
  check "two: one combined stream for both symbols" \
    "for _ in \$(seq 100); do grep -q 'streams=btcusdt@kline_1s/btcusdt@markPrice@1s/ethusdt@kline_1s/ethusdt@markPrice@1s' '$T/two.log' && break; sleep 0.1; done; grep -q 'ethusdt@kline_1s' '$T/two.log'" \
    "$(grep -m2 market "$T/two.log" | cut -c1-200)"
  local POS2='sorted(p["symbol"] for p in d["positions"] if float(p["positionAmt"]) != 0)'
  local ALGO2='len([a for a in d["algoOrders"] if a["algoStatus"] == "NEW"])'
  both() { [ "$(vq "$POS2 == ['BTCUSDT', 'ETHUSDT'] and $ALGO2 == 2")" = True ]; }
  check "two: each symbol's bars reach the strategy: a position in each, each with its stop" \
    "for _ in \$(seq 150); do both && break; sleep 0.1; done; both" "$(vq "$POS2") $(vq "$ALGO2")"
  daemon_stop
  check "two: no sanitizer report" "! grep -q 'Sanitizer' '$T/two.log'" "$(grep -m3 Sanitizer "$T/two.log")"
  kill "$VPID" 2>/dev/null
  wait "$VPID" 2>/dev/null
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(trade match example two)
for c in "${cases[@]}"; do "case_$c"; done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
