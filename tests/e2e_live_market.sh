#!/usr/bin/env bash
# End-to-end: gordon-venue's market data side (tests/venue/market.c). The
# sample 1h bars replayed as 1m bars at 300x (a bar closes every 200 ms of
# real time), 50 of them history: GET /fapi/v1/klines (shape, rebasing,
# errors, weights), the symbol's price following closed bars, pause and
# resume, the combined and raw streams (klines in order, markPrice), a
# stall (bars skipped on the stream, still in REST), a gap of 3, drop (no
# close frame; a new connection works), unknown streams refused, pings.
# Only 127.0.0.1; every wait is bounded; the whole run takes ~20 s.
# usage: e2e_live_market.sh GORDON_VENUE GORDON_VENUE_WSPROBE
set -u
VENUE=$(realpath "$1")
PROBE=$(realpath "$2")
CSV=$(realpath "$(dirname "$0")/../packaging/sample/sample_1h.csv")
T=$(mktemp -d)
PID=
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1 [$3]"; fi; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
py() { "$PY" "$@"; }

IV=60000 # 1m
START=$(date +%s%3N)
"$VENUE" --port-file "$T/port" --ws-port-file "$T/wsport" \
  --symbol BTCUSDT:tick=0.01:step=0.001:minqty=0.001:notional=5:price=100 --symbol ETHUSDT \
  --klines "BTCUSDT:$CSV" --interval 1m --market-speed 300 --market-history 50 --verbose 1 2>"$T/venue.log" &
PID=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] && [ -s "$T/wsport" ] || { echo "FAIL - venue did not start"; cat "$T/venue.log"; exit 1; }
B=http://127.0.0.1:$(cat "$T/port")
W=ws://127.0.0.1:$(cat "$T/wsport")

ctl() { curl -s --max-time 5 -X "$1" "$B/_venue/$2" ${3:+--data "$3"}; }
# kl QUERY NAME: GET /fapi/v1/klines?QUERY into $T/NAME (body) and $T/NAME.h (headers)
kl() { curl -s --max-time 5 -D "$T/$2.h" -o "$T/$2" "$B/fapi/v1/klines?$1"; }
# pyf EXPR FILE...: EXPR over J (the JSON of each file, a list) and L (their lines); exit 0 if true
pyf() {
  py - "$@" <<'EOF'
import json, sys
expr, files = sys.argv[1], sys.argv[2:]
def load(f):
    try:
        return json.load(open(f))
    except Exception:
        return [json.loads(l) for l in open(f) if l.strip()]
J = [load(f) for f in files]
IV = 60000
def kl(ev):  # closed klines of a stream's output, raw or combined
    return [e.get("data", e)["k"] for e in ev if e.get("data", e).get("e") == "kline" and e.get("data", e)["k"]["x"]]
def gaps(ks):  # the missing bar count between consecutive closed klines
    return [(b["t"] - a["t"]) // IV - 1 for a, b in zip(ks, ks[1:])]
r = eval("(" + expr + ")")
sys.exit(0 if r else 1)
EOF
}
# probe NAME URL ARGS...: a probe in the background; waits up to 3 s for it to connect
probe() {
  local n=$1 u=$2
  shift 2
  "$PROBE" "$u" "$@" >"$T/$n.out" 2>"$T/$n.err" &
  local p=$!
  PIDS+=("$p")
  echo "$p" >"$T/$n.pid"
  for _ in $(seq 30); do
    grep -q 'connected\|cannot connect' "$T/$n.err" 2>/dev/null && return 0
    kill -0 "$p" 2>/dev/null || return 0
    sleep 0.1
  done
}
# ended NAME SECONDS: the probe exited within SECONDS
ended() {
  local p n=$(($2 * 10))
  p=$(cat "$T/$1.pid")
  for _ in $(seq "$n"); do
    kill -0 "$p" 2>/dev/null || { wait "$p"; return 0; }
    sleep 0.1
  done
  return 1
}

# --- REST: the shape, the rebasing, the first bars equal to the CSV's
ctl GET state >"$T/before"
kl "symbol=BTCUSDT&interval=1m&limit=1500" all
ctl GET state >"$T/state0"
check "klines: arrays of 12 (int, 5 strings, int, string, int, 3 strings)" "pyf 'all(len(b)==12 and [type(x).__name__ for x in b]==
  [\"int\",\"str\",\"str\",\"str\",\"str\",\"str\",\"int\",\"str\",\"int\",\"str\",\"str\",\"str\"] for b in J[0])' $T/all" "$(head -c 300 "$T/all")"
check "klines: the 50 history bars, then those closed since, the last unclosed" "pyf 'len(J[0])>=51 and
  J[0][-1][6] > J[2][\"marketTime\"] and all(b[6] < J[1][\"marketTime\"] for b in J[0][:-1])' $T/all $T/state0 $T/before" "$(head -c 300 "$T/state0")"
check "klines: open times spaced by the interval, closeTime = open + interval - 1" "pyf 'all(b[0]-a[0]==IV for a,b in zip(J[0],J[0][1:]))
  and all(b[6]==b[0]+IV-1 for b in J[0])' $T/all" ""
check "klines: rebased, bar 50 opens at the venue's time at start" \
  "pyf 'abs(J[0][50][0] - $START) < 3000 and J[0][49][6] < $START + 3000' $T/all" "$START $(head -c 200 "$T/all")"
check "klines: bar 0 is the CSV's first row, prices with the tick's decimals" \
  "pyf 'J[0][0][1:6]==[\"100.00\",\"100.82\",\"99.80\",\"100.44\",\"110.112\"] and J[0][0][8]==100' $T/all" "$(head -c 200 "$T/all")"
check "klines: the unclosed bar is its open, no volume" "pyf 'J[0][-1][1]==J[0][-1][4] and J[0][-1][5]==\"0.000\"' $T/all" ""
# The used weight is per minute: a sequence that straddles the minute's
# reset (the count drops) is measured again.
for _ in 1 2 3; do
  kl "symbol=BTCUSDT&interval=1m&limit=1500" wall
  w0=$(grep -i '^X-MBX-USED-WEIGHT-1M' "$T/wall.h" | tr -dc 0-9)
  kl "symbol=BTCUSDT&interval=1m&limit=5" five
  w1=$(grep -i '^X-MBX-USED-WEIGHT-1M' "$T/five.h" | tr -dc 0-9)
  kl "symbol=BTCUSDT&interval=1m" dflt
  w2=$(grep -i '^X-MBX-USED-WEIGHT-1M' "$T/dflt.h" | tr -dc 0-9)
  [ "$w1" -ge "$w0" ] && [ "$w2" -ge "$w1" ] && break
done
check "klines: weights 10 (1500), 1 (5), 5 (default 500)" "[ \$((w1 - w0)) = 1 ] && [ \$((w2 - w1)) = 5 ]" "$w0 $w1 $w2"
check "klines: limit=5 gives the latest 5, the unclosed bar last" "pyf 'len(J[0])==5 and J[0][-1][0]>=J[1][-1][0]' $T/five $T/all" ""
s=$(py -c "import json; print(json.load(open('$T/all'))[3][0])")
kl "symbol=BTCUSDT&interval=1m&startTime=$s&endTime=$((s + 2 * IV))" range
check "klines: startTime/endTime select by open time" "pyf '[b[0] for b in J[0]]==[$s,$s+IV,$s+2*IV]' $T/range" "$(cat "$T/range")"
kl "symbol=FOOUSDT&interval=1m" e1
kl "symbol=BTCUSDT&interval=5m" e2
kl "symbol=BTCUSDT&interval=7m" e3
check "klines: -1121 unknown symbol, -1120 another or a bad interval" "grep -q '\"code\":-1121' $T/e1 && grep -q '\"code\":-1120' $T/e2 &&
  grep -q '\"code\":-1120' $T/e3" "$(cat "$T/e1" "$T/e2" "$T/e3")"

# --- pause: the clock stops; the price is the last closed bar's close
ctl POST market action=pause >/dev/null
ctl GET state >"$T/p1"
kl "symbol=BTCUSDT&interval=1m&limit=3" paused
sleep 0.5
ctl GET state >"$T/p2"
check "pause: market time and bar index stand still" "pyf 'J[0][\"marketTime\"]==J[1][\"marketTime\"] and
  J[0][\"symbols\"][0][\"marketBarIndex\"]==J[1][\"symbols\"][0][\"marketBarIndex\"] and J[0][\"marketPaused\"]' $T/p1 $T/p2" "$(head -c 400 "$T/p2")"
check "price and mark follow the last closed bar's close" "pyf 'J[0][\"symbols\"][0][\"price\"]==J[1][-2][4]==J[0][\"symbols\"][0][\"markPrice\"]
  and J[1][-1][0]==J[1][-2][0]+IV' $T/p2 $T/paused" "$(cat "$T/paused")"
check "venue time is not market time" "pyf 'abs(J[0][\"time\"]-J[0][\"marketTime\"]) > 60000' $T/p2" ""
ctl POST market action=resume >/dev/null
sleep 0.5
ctl GET state >"$T/p3"
check "resume: the clock goes on from where it stood" "pyf 'J[1][\"marketTime\"]-J[0][\"marketTime\"] < 800*300 and
  J[1][\"marketTime\"] > J[0][\"marketTime\"] and not J[1][\"marketPaused\"]' $T/p2 $T/p3" ""

# --- the combined stream: closed klines in order at the speed, markPrice
probe c "$W/stream?streams=btcusdt@kline_1m/btcusdt@markPrice@1s" --seconds 3
check "combined stream connects" "grep -q connected $T/c.err" "$(cat "$T/c.err")"
check "state counts the market socket" "[ \"\$(ctl GET state | py -c 'import json,sys; print(json.load(sys.stdin)[\"marketSockets\"])')\" = 1 ]" ""
probe r "$W/market/ws/btcusdt@kline_1m" --count 3 --seconds 3
ended c 5
ended r 2
check "combined: 8 to 16 closed klines in 3 s (one each 200 ms)" "pyf '8 <= len(kl(J[0])) <= 16' $T/c.out" "$(grep -c '\"x\":true' "$T/c.out")"
check "combined: consecutive open times, in order, T = t + interval - 1" "pyf 'gaps(kl(J[0]))==[0]*(len(kl(J[0]))-1) and
  all(k[\"T\"]==k[\"t\"]+IV-1 and k[\"i\"]==\"1m\" and k[\"s\"]==\"BTCUSDT\" for k in kl(J[0]))' $T/c.out" "$(head -c 600 "$T/c.out")"
check "combined: wrapped {stream, data} with the stream names" "pyf 'all(set(e)=={\"stream\",\"data\"} for e in J[0]) and
  {e[\"stream\"] for e in J[0]}=={\"btcusdt@kline_1m\",\"btcusdt@markPrice@1s\"}' $T/c.out" ""
check "combined: a mid-bar update with x false" "pyf 'any(e[\"data\"][\"e\"]==\"kline\" and not e[\"data\"][\"k\"][\"x\"] for e in J[0])' $T/c.out" ""
check "combined: markPriceUpdate after each close, p = the close" "pyf 'all(b[\"data\"][\"e\"]==\"markPriceUpdate\" and b[\"data\"][\"p\"]==a[\"data\"][\"k\"][\"c\"]
  and b[\"data\"][\"r\"]==\"0.00010000\" and b[\"data\"][\"T\"]>b[\"data\"][\"E\"] for a,b in zip(J[0],J[0][1:]) if a[\"data\"][\"e\"]==\"kline\" and a[\"data\"][\"k\"][\"x\"])' $T/c.out" ""
check "raw /market/ws/<stream>: unwrapped kline events" "pyf 'len(J[0])==3 and all(e[\"e\"]==\"kline\" for e in J[0])' $T/r.out" "$(cat "$T/r.out")"

# --- stall: bars that close meanwhile are skipped on the stream, present in REST
probe s "$W/ws/btcusdt@kline_1m" --seconds 3
sleep 0.7
ctl POST market "action=stall&ms=1000" >/dev/null
ended s 5
check "stall: one hole of 3 or more bars, nothing re-sent" "pyf 'len([g for g in gaps(kl(J[0])) if g])==1 and max(gaps(kl(J[0])))>=3 and min(gaps(kl(J[0])))>=0' $T/s.out" \
  "$(grep -o '"t":[0-9]*' "$T/s.out" | tr '\n' ' ')"
hole=$(py -c "
import json
ks=[e['k'] for e in map(json.loads,open('$T/s.out')) if e['k']['x']]
a,b=[(a,b) for a,b in zip(ks,ks[1:]) if b['t']-a['t']>$IV][0]
print(a['t']+$IV, b['t']-$IV)" 2>/dev/null)
kl "symbol=BTCUSDT&interval=1m&startTime=${hole% *}&endTime=${hole#* }" stalled
check "stall: REST serves the skipped bars" "pyf 'len(J[0])>=3 and all(b[0]-a[0]==IV for a,b in zip(J[0],J[0][1:]))' $T/stalled" "$hole $(head -c 200 "$T/stalled")"

# --- gap: the next 3 closed klines are not sent; REST has them
probe g "$W/ws/btcusdt@kline_1m" --seconds 2
sleep 0.5
ctl POST market "action=gap&count=3" >/dev/null
ended g 4
check "gap: exactly one hole of 3 bars" "pyf 'sorted(g for g in gaps(kl(J[0])) if g)==[3]' $T/g.out" "$(grep -o '"t":[0-9]*' "$T/g.out" | tr '\n' ' ')"

# --- drop: every market socket closes abruptly; a new one works
probe d "$W/stream?streams=btcusdt@markPrice" --seconds 10
probe u "$W/ws/btcusdt@kline_1m" --seconds 10
ctl POST market action=drop >"$T/dropped"
check "drop: the sockets close, without a close frame" "ended d 3 && ended u 3 && grep -q closed $T/d.err && ! grep -q 'close frame' $T/d.err $T/u.err" \
  "$(cat "$T/d.err" "$T/u.err")"
check "drop: state counts no market socket" "[ \"\$(ctl GET state | py -c 'import json,sys; print(json.load(sys.stdin)[\"marketSockets\"])')\" = 0 ]" ""
check "after a drop a new connection works" "$PROBE $W/ws/btcusdt@kline_1m --count 2 --seconds 3 2>/dev/null | grep -c kline | grep -q 2" ""
check "markPrice alone: one a second at most, ETHUSDT without klines too" \
  "$PROBE '$W/stream?streams=ethusdt@markPrice@1s' --seconds 2 2>/dev/null | grep -c markPriceUpdate | grep -q '^[123]$'" ""
check "the venue answers a ping on a market socket" "$PROBE $W/ws/btcusdt@kline_1m --ping --seconds 1 2>&1 >/dev/null | grep -q pong" ""

# --- the 24-hour cut, in venue time (POST /_venue/advance), as the user stream's
probe x "$W/ws/btcusdt@markPrice@1s" --seconds 10
check "a market socket before the cut" "grep -q connected $T/x.err" "$(cat "$T/x.err")"
ctl POST advance "ms=86400000" >/dev/null
check "at 24 h of venue time the venue closes it (close frame 1000)" "ended x 3 && grep -q 'close frame 1000' $T/x.err" "$(cat "$T/x.err")"

# --- refusals
check "an unknown symbol's stream is refused" "! $PROBE $W/ws/xrpusdt@kline_1m --seconds 2 2>/dev/null" ""
check "another interval's stream is refused" "! $PROBE $W/ws/btcusdt@kline_5m --seconds 2 2>/dev/null" ""
check "a kline stream of a symbol without klines is refused" "! $PROBE $W/ws/ethusdt@kline_1m --seconds 2 2>/dev/null" ""
check "an unknown listen key is still refused" "! $PROBE $W/ws/noSuchKey --seconds 2 2>/dev/null" ""
check "control: an unknown action is refused" "ctl POST market action=nope | grep -q 'action: one of'" ""

kill "$PID" 2>/dev/null
wait "$PID"
rc=$?
PID=
check "venue exits 0 on SIGTERM" "[ $rc = 0 ]" "$(tail -3 "$T/venue.log")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
