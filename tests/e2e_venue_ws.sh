#!/usr/bin/env bash
# End-to-end: gordon-venue's user-data websocket (tests/venue/ws.c). A probe
# on the listen key's stream sees a MARKET entry and a STOP_MARKET algo stop
# that fires as ORDER_TRADE_UPDATE, ACCOUNT_UPDATE and ALGO_UPDATE in
# Binance's shapes and order; then the faults: ws_silent loses events,
# stuck_triggering shows TRIGGERING, ws_drop closes without a close frame,
# listen_key_expire sends listenKeyExpired then closes (and PUT answers
# -1125), an unknown key is refused, the 24 h cut closes a socket whose key
# is kept alive, and DELETE listenKey closes its sockets. Only 127.0.0.1;
# every wait is bounded.
# usage: e2e_venue_ws.sh GORDON_VENUE GORDON_VENUE_WSPROBE
set -u
VENUE=$(realpath "$1")
PROBE=$(realpath "$2")
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

KEY=test-key SECRET=test-secret
"$VENUE" --port-file "$T/port" --ws-port-file "$T/wsport" --key "$KEY:$SECRET" \
  --symbol BTCUSDT:tick=0.10:step=0.001:minqty=0.001:notional=100:price=50000 \
  --balance 10000 --fee-bps 4 --verbose 1 2>"$T/venue.log" &
PID=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] && [ -s "$T/wsport" ] || { echo "FAIL - venue did not start"; cat "$T/venue.log"; exit 1; }
B=http://127.0.0.1:$(cat "$T/port")
W=ws://127.0.0.1:$(cat "$T/wsport")

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
py() { "$PY" "$@"; }
now() { date +%s%3N; }
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}'; }
# breq METHOD PATH PARAMS: signed, params in a form body; prints "STATUS BODY"
breq() {
  local q="$3&timestamp=$(now)"
  curl -s --max-time 5 -o "$T/body" -w '%{http_code}' -X "$1" -H "X-MBX-APIKEY: $KEY" \
    --data "$q&signature=$(sig "$q")" "$B$2" >"$T/code"
  echo "$(cat "$T/code") $(cat "$T/body")"
}
ctl() { curl -s --max-time 5 -X "$1" "$B/_venue/$2" ${3:+--data "$3"}; }
lk() { curl -s --max-time 5 -X "$1" -H "X-MBX-APIKEY: $KEY" "$B/fapi/v1/listenKey"; }
lkey() { lk POST | py -c 'import json,sys; print(json.load(sys.stdin)["listenKey"])'; }

# probe NAME URL: a probe in the background (20 s at most), its pid in PIDS
# and in $T/NAME.pid; waits up to 3 s for it to connect (or to fail).
probe() {
  "$PROBE" "$2" --seconds 20 >"$T/$1.out" 2>"$T/$1.err" &
  local p=$!
  PIDS+=("$p")
  echo "$p" >"$T/$1.pid"
  for _ in $(seq 30); do
    grep -q 'connected\|cannot connect' "$T/$1.err" 2>/dev/null && return 0
    kill -0 "$p" 2>/dev/null || return 0
    sleep 0.1
  done
}
# ended NAME SECONDS: the probe exited within SECONDS; its code in $T/NAME.rc
ended() {
  local p n=$(($2 * 10))
  p=$(cat "$T/$1.pid")
  for _ in $(seq "$n"); do
    if ! kill -0 "$p" 2>/dev/null; then
      wait "$p"
      echo $? >"$T/$1.rc"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
# seen NAME PYEXPR SECONDS: some event d in NAME's output matches PYEXPR
seen() {
  local n=$(($3 * 10))
  for _ in $(seq "$n"); do
    evs "$1" "any($2 for d in E)" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
# evs NAME PYEXPR [show]: evaluates PYEXPR over E, the events NAME printed;
# exit 0 if true (prints the value with a third argument)
evs() {
  py - "$T/$1.out" "$2" ${3:+show} <<'EOF'
import json, sys
E = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def o(d): return d.get("o", {})
def st(kind, key, ident):  # the X of each event of one order or algo order
    return [(o(d).get("x"), o(d)["X"]) if kind == "ORDER_TRADE_UPDATE" else o(d)["X"]
            for d in E if d["e"] == kind and o(d).get(key) == ident]
r = eval("(" + sys.argv[2] + ")")  # parenthesised: the expression may span lines
if len(sys.argv) > 3:
    print(r)
sys.exit(0 if r else 1)
EOF
}

K=$(lkey)
check "listen key created" "[ -n \"\$K\" ]" "$K"
probe a "$W/ws/$K"
probe b "$W/private/ws/$K"
check "probe connects on /ws/<listenKey>" "grep -q connected $T/a.err" "$(cat "$T/a.err")"
check "probe connects on /private/ws/<listenKey>" "grep -q connected $T/b.err" "$(cat "$T/b.err")"
check "state counts two user-data sockets" \
  "[ \"\$(ctl GET state | py -c 'import json,sys; print(json.load(sys.stdin)[\"userStreamSockets\"])')\" = 2 ]" ""
check "the venue answers a client ping" "$PROBE $W/ws/$K --ping --seconds 1 2>&1 >/dev/null | grep -q pong" ""

# --- an entry, a stop, and the stop firing
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-e1")
check "entry MARKET order placed" "[ \"\${r%% *}\" = 200 ]" "$r"
r=$(breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=49000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s1")
check "STOP_MARKET algo order placed" "[ \"\${r%% *}\" = 200 ]" "$r"
ctl POST price "symbol=BTCUSDT&price=48900" >/dev/null
seen a 'd["e"]=="ALGO_UPDATE" and o(d)["X"]=="FINISHED"' 5
check "entry: ORDER_TRADE_UPDATE NEW then TRADE/FILLED" \
  "evs a 'st(\"ORDER_TRADE_UPDATE\",\"c\",\"gd-e1\")==[(\"NEW\",\"NEW\"),(\"TRADE\",\"FILLED\")]'" "$(head -c 600 "$T/a.out")"
check "entry fill: l, L, z, commission, trade id" "evs a '[(o(d)[\"l\"],o(d)[\"L\"],o(d)[\"z\"],o(d)[\"N\"],o(d)[\"n\"],o(d)[\"t\"]>0) for d in E
  if d[\"e\"]==\"ORDER_TRADE_UPDATE\" and o(d)[\"x\"]==\"TRADE\"][0]==(\"0.010\",\"50000.00\",\"0.010\",\"USDT\",\"0.20000000\",True)'" ""
check "ACCOUNT_UPDATE after the entry fill: m ORDER, balance, position 0.010 at 50000" "evs a '[(d[\"a\"][\"m\"],d[\"a\"][\"B\"][0][\"a\"],d[\"a\"][\"B\"][0][\"wb\"],
  d[\"a\"][\"P\"][0][\"s\"],d[\"a\"][\"P\"][0][\"pa\"],d[\"a\"][\"P\"][0][\"ep\"],d[\"a\"][\"P\"][0][\"ps\"]) for d in E if d[\"e\"]==\"ACCOUNT_UPDATE\"][0]
  ==(\"ORDER\",\"USDT\",\"9999.80000000\",\"BTCUSDT\",\"0.010\",\"50000.00000000\",\"BOTH\")'" ""
check "stop: ALGO_UPDATE NEW, TRIGGERING, TRIGGERED, FINISHED" \
  "evs a 'st(\"ALGO_UPDATE\",\"caid\",\"gd-s1\")==[\"NEW\",\"TRIGGERING\",\"TRIGGERED\",\"FINISHED\"]'" "$(cat "$T/a.out")"
check "the stop's MARKET order: ORDER_TRADE_UPDATE NEW then TRADE/FILLED, c = clientAlgoId, reduce-only" \
  "evs a 'st(\"ORDER_TRADE_UPDATE\",\"c\",\"gd-s1\")==[(\"NEW\",\"NEW\"),(\"TRADE\",\"FILLED\")] and all(o(d)[\"o\"]==\"MARKET\" and o(d)[\"R\"] is True
  for d in E if d[\"e\"]==\"ORDER_TRADE_UPDATE\" and o(d)[\"c\"]==\"gd-s1\")'" ""
check "event order: TRIGGERED, the stop's fill, ACCOUNT_UPDATE flat, FINISHED" "evs a '[(d[\"e\"],o(d).get(\"X\") or float(d[\"a\"][\"P\"][0][\"pa\"])) for d in E][-5:]==[
  (\"ALGO_UPDATE\",\"TRIGGERED\"),(\"ORDER_TRADE_UPDATE\",\"NEW\"),(\"ORDER_TRADE_UPDATE\",\"FILLED\"),(\"ACCOUNT_UPDATE\",0.0),(\"ALGO_UPDATE\",\"FINISHED\")]'" ""
check "TRIGGERED and FINISHED carry the MARKET order's id (ai); FINISHED its fill (ap, aq)" "evs a '[(o(d)[\"ai\"]!=\"\",o(d).get(\"aq\")) for d in E
  if d[\"e\"]==\"ALGO_UPDATE\" and o(d)[\"X\"] in (\"TRIGGERED\",\"FINISHED\")]==[(True,\"0.000\"),(True,\"0.010\")]'" ""
check "ORDER_TRADE_UPDATE carries Binance's fields" "evs a 'all(set(\"s c S o f q p ap sp x X i l z L T t b a m R wt ot ps cp rp\".split())<=set(o(d))
  and isinstance(o(d)[\"i\"],int) and isinstance(d[\"E\"],int) and isinstance(d[\"T\"],int) for d in E if d[\"e\"]==\"ORDER_TRADE_UPDATE\")'" ""
check "ALGO_UPDATE carries Binance's fields" "evs a 'all(set(\"caid aid at o s S ps f q X ai tp p wt pm cp pP R tt\".split())<=set(o(d))
  and o(d)[\"at\"]==\"CONDITIONAL\" and o(d)[\"o\"]==\"STOP_MARKET\" and o(d)[\"tp\"]==\"49000.00\" and o(d)[\"wt\"]==\"MARK_PRICE\" and o(d)[\"cp\"] is True
  for d in E if d[\"e\"]==\"ALGO_UPDATE\")'" ""
check "ACCOUNT_UPDATE carries Binance's fields" "evs a 'all(set(\"a wb cw bc\".split())<=set(d[\"a\"][\"B\"][0]) and set(\"s pa ep cr up mt iw ps\".split())<=set(d[\"a\"][\"P\"][0])
  for d in E if d[\"e\"]==\"ACCOUNT_UPDATE\")'" ""
check "the second socket (/private/ws) got the same events" "cmp -s $T/a.out $T/b.out" "$(wc -l "$T/a.out" "$T/b.out" | head -2)"

# --- ws_silent: the next two events are lost (NEW, TRADE); ACCOUNT_UPDATE arrives
n0=$(wc -l <"$T/a.out")
ctl POST fault "kind=ws_silent&count=2" >/dev/null
breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-e2" >/dev/null
seen a 'd["e"]=="ACCOUNT_UPDATE" and d["a"]["P"][0]["pa"]=="0.010" and d is E[-1]' 5
sleep 0.2
check "ws_silent: two events lost, the third delivered" \
  "[ \$(( \$(wc -l <$T/a.out) - n0 )) = 1 ] && tail -1 $T/a.out | grep -q ACCOUNT_UPDATE" "$(tail -n +$((n0 + 1)) "$T/a.out")"

# --- stuck_triggering: TRIGGERING, then release fires it
ctl POST fault "kind=stuck_triggering" >/dev/null
breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=48000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s2" >/dev/null
ctl POST price "symbol=BTCUSDT&price=47900" >/dev/null
seen a 'd["e"]=="ALGO_UPDATE" and o(d)["caid"]=="gd-s2" and o(d)["X"]=="TRIGGERING"' 5
check "stuck_triggering: ALGO_UPDATE NEW then TRIGGERING, no fill" \
  "evs a 'st(\"ALGO_UPDATE\",\"caid\",\"gd-s2\")==[\"NEW\",\"TRIGGERING\"] and not st(\"ORDER_TRADE_UPDATE\",\"c\",\"gd-s2\")'" ""
ctl POST release >/dev/null
seen a 'd["e"]=="ALGO_UPDATE" and o(d)["caid"]=="gd-s2" and o(d)["X"]=="FINISHED"' 5
check "release: ALGO_UPDATE NEW, then TRIGGERING, TRIGGERED, FINISHED" \
  "evs a 'st(\"ALGO_UPDATE\",\"caid\",\"gd-s2\")==[\"NEW\",\"TRIGGERING\",\"NEW\",\"TRIGGERING\",\"TRIGGERED\",\"FINISHED\"]'" ""

# --- cancel: ALGO_UPDATE CANCELED
breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010" >/dev/null
breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=40000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s3" >/dev/null
breq DELETE /fapi/v1/algoOrder "clientAlgoId=gd-s3" >/dev/null
seen a 'd["e"]=="ALGO_UPDATE" and o(d)["caid"]=="gd-s3" and o(d)["X"]=="CANCELED"' 5
check "cancel: ALGO_UPDATE NEW then CANCELED" "evs a 'st(\"ALGO_UPDATE\",\"caid\",\"gd-s3\")==[\"NEW\",\"CANCELED\"]'" ""

# --- partial with expire=1: NEW, TRADE/PARTIALLY_FILLED, then EXPIRED
ctl POST fault "kind=partial&fraction=0.5&expire=1" >/dev/null
breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-p1" >/dev/null
seen a 'd["e"]=="ORDER_TRADE_UPDATE" and o(d)["c"]=="gd-p1" and o(d)["x"]=="EXPIRED"' 5
check "partial fault: ORDER_TRADE_UPDATE NEW, TRADE/PARTIALLY_FILLED (l 0.005), EXPIRED/EXPIRED" \
  "evs a 'st(\"ORDER_TRADE_UPDATE\",\"c\",\"gd-p1\")==[(\"NEW\",\"NEW\"),(\"TRADE\",\"PARTIALLY_FILLED\"),(\"EXPIRED\",\"EXPIRED\")]
  and [o(d)[\"l\"] for d in E if d[\"e\"]==\"ORDER_TRADE_UPDATE\" and o(d)[\"c\"]==\"gd-p1\"]==[\"0.000\",\"0.005\",\"0.000\"]'" ""

# --- ws_drop: both sockets closed at once, no close frame
ctl POST fault "kind=ws_drop" >/dev/null
check "ws_drop closes every socket (probe exits 0)" "ended a 3 && ended b 3 && [ \$(cat $T/a.rc) = 0 ]" "$(cat "$T/a.err")"
check "ws_drop sends no close frame" "grep -q closed $T/a.err && ! grep -q 'close frame' $T/a.err $T/b.err" "$(cat "$T/a.err")"

# --- listen_key_expire: listenKeyExpired, a close frame, and PUT -1125
probe c "$W/ws/$K"
check "a new socket on the same key" "grep -q connected $T/c.err" "$(cat "$T/c.err")"
ctl POST fault "kind=listen_key_expire" >/dev/null
check "listen_key_expire: the socket closes" "ended c 3" ""
check "listen_key_expire: listenKeyExpired with the key, last, then a close frame" \
  "evs c 'E[-1][\"e\"]==\"listenKeyExpired\" and E[-1][\"listenKey\"]==\"$K\" and isinstance(E[-1][\"E\"],int)' && grep -q 'close frame 1000' $T/c.err" \
  "$(cat "$T/c.out" "$T/c.err")"
r=$(lk PUT)
check "keep-alive after expiry answers -1125" "echo \"0 \$r\" | grep -q -- '-1125'" "$r"
check "the expired key is refused (probe exits 1)" "$PROBE $W/ws/$K --seconds 3 >/dev/null 2>&1; [ \$? = 1 ]" ""
check "an unknown key is refused" "$PROBE $W/ws/nosuchkey --seconds 3 >/dev/null 2>&1; [ \$? = 1 ]" ""
check "a path that is not a user stream is refused" "$PROBE $W/stream --seconds 3 >/dev/null 2>&1; [ \$? = 1 ]" ""

# --- the 24 h cut: a socket whose key is kept alive is still closed at 24 h
K2=$(lkey)
check "a new listen key after expiry" "[ -n \"\$K2\" ] && [ \"\$K2\" != \"\$K\" ]" "$K2"
probe d "$W/ws/$K2"
for _ in $(seq 28); do # 28 x 50 min of venue time with a keep-alive each: 23 h 20 min
  ctl POST advance "ms=3000000" >/dev/null
  lk PUT >/dev/null
done
sleep 0.2
check "before 24 h the socket is open" "kill -0 \$(cat $T/d.pid) 2>/dev/null && grep -q connected $T/d.err" "$(cat "$T/d.err")"
ctl POST advance "ms=3000000" >/dev/null
check "at 24 h the venue closes it" "ended d 3 && grep -q 'close frame 1000' $T/d.err" "$(cat "$T/d.err")"
check "the cut is not an expiry: no listenKeyExpired" "! grep -q listenKeyExpired $T/d.out" "$(cat "$T/d.out")"
check "the key is still alive after the cut" "lk PUT | grep -q \"\$K2\"" ""

# --- DELETE closes the key's sockets (a close frame, no listenKeyExpired)
probe e "$W/ws/$K2"
check "a socket on the kept-alive key" "grep -q connected $T/e.err" "$(cat "$T/e.err")"
lk DELETE >/dev/null
check "DELETE listenKey closes its sockets" "ended e 3 && grep -q 'close frame 1000' $T/e.err && ! grep -q listenKeyExpired $T/e.out" \
  "$(cat "$T/e.err" "$T/e.out")"

kill "$PID" 2>/dev/null
wait "$PID"
rc=$?
PID=
check "venue exits 0 on SIGTERM" "[ $rc = 0 ]" "$(tail -3 "$T/venue.log")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
