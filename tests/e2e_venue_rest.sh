#!/usr/bin/env bash
# End-to-end: gordon-venue (tests/venue/) speaks Binance USD-M futures REST
# on loopback: time, exchangeInfo, signed orders (HMAC, and one Ed25519),
# duplicate client ids, bad signatures and stale timestamps, a stop as an
# algo order that triggers when the mark crosses it, and every injected
# fault. Only 127.0.0.1; every wait is bounded (curl --max-time).
# usage: e2e_venue_rest.sh GORDON_VENUE
set -u
VENUE=$(realpath "$1")
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1 [$3]"; fi; }

KEY=test-key SECRET=test-secret
openssl genpkey -algorithm ed25519 -out "$T/ed.pem" 2>/dev/null
openssl pkey -in "$T/ed.pem" -pubout -out "$T/ed.pub" 2>/dev/null
"$VENUE" --port-file "$T/port" --key "$KEY:$SECRET" --ed25519-key "edkey:$T/ed.pub" \
  --symbol BTCUSDT:tick=0.10:step=0.001:minqty=0.001:notional=100:price=50000 \
  --symbol ETHUSDT:tick=0.01:step=0.001:notional=20:price=3000 \
  --balance 10000 --fee-bps 4 --verbose 1 2>"$T/venue.log" &
PID=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { echo "FAIL - venue did not start"; cat "$T/venue.log"; exit 1; }
B=http://127.0.0.1:$(cat "$T/port")

# Debian's python3 first: a pyenv shim costs a third of a second a call.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
py() { "$PY" "$@"; }
now() { date +%s%3N; }
sig() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}'; }
# req METHOD PATH PARAMS: signed, params in the query; prints "STATUS BODY"
req() {
  local q="$3&timestamp=${TS:-$(now)}"
  curl -s --max-time 5 -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$1" -H "X-MBX-APIKEY: ${APIKEY:-$KEY}" \
    "$B$2?$q&signature=${SIG:-$(sig "$q")}" >"$T/code"
  echo "$(cat "$T/code") $(cat "$T/body")"
}
# breq METHOD PATH PARAMS: signed, params in a form body
breq() {
  local q="$3&timestamp=$(now)"
  curl -s --max-time 5 -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$1" -H "X-MBX-APIKEY: $KEY" \
    --data "$q&signature=$(sig "$q")" "$B$2" >"$T/code"
  echo "$(cat "$T/code") $(cat "$T/body")"
}
ctl() { curl -s --max-time 5 -X "$1" "$B/_venue/$2" ${3:+--data "$3"}; }
jf() { py -c 'import json,sys; d=json.loads(sys.stdin.read().split(" ",1)[1]); print(eval(sys.argv[1]))' "$1"; }
state() { ctl GET state | py -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# --- public endpoints
r=$(curl -s --max-time 5 "$B/fapi/v1/time")
check "time answers serverTime near now" \
  "py -c 'import json,sys,time; t=json.loads(sys.argv[1])[\"serverTime\"]; sys.exit(abs(t-time.time()*1000)>5000)' \"\$r\"" "$r"
r=$(curl -s --max-time 5 "$B/fapi/v1/exchangeInfo")
check "exchangeInfo carries the symbol rules" "echo \"\$r\" | py -c '
import json,sys; d=json.load(sys.stdin); s={x[\"symbol\"]:x for x in d[\"symbols\"]}[\"BTCUSDT\"]
f={x[\"filterType\"]:x for x in s[\"filters\"]}
assert f[\"PRICE_FILTER\"][\"tickSize\"]==\"0.10\" and f[\"LOT_SIZE\"][\"stepSize\"]==\"0.001\"
assert f[\"MARKET_LOT_SIZE\"][\"minQty\"]==\"0.001\" and f[\"MIN_NOTIONAL\"][\"notional\"]==\"100\"
assert s[\"triggerProtect\"]==\"0.0500\"'" "${r:0:200}"
check "ping" "[ \"\$(curl -s --max-time 5 $B/fapi/v1/ping)\" = '{}' ]" ""

# --- account set-up
r=$(req GET /fapi/v1/positionSide/dual "")
check "position mode is one-way" "[ \"\$(echo \"\$r\" | jf 'd[\"dualSidePosition\"]')\" = False ]" "$r"
r=$(breq POST /fapi/v1/leverage "symbol=BTCUSDT&leverage=5")
check "leverage set" "[ \"\$(echo \"\$r\" | jf 'd[\"leverage\"]')\" = 5 ]" "$r"
r=$(breq POST /fapi/v1/marginType "symbol=BTCUSDT&marginType=CROSSED")
check "marginType unchanged is -4046" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -4046 ]" "$r"
r=$(req GET /fapi/v2/account "")
check "account v2: wallet 10000, available 10000" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"totalWalletBalance\"]+\" \"+d[\"availableBalance\"]')\" = '10000.00000000 10000.00000000' ]" "${r:0:200}"

# --- signing and time
r=$(SIG=0000 req GET /fapi/v2/account "")
check "bad signature is -1022" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1022 ]" "$r"
r=$(APIKEY=nobody req GET /fapi/v2/account "")
check "unknown API key is -2015 (401)" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2015 ] && [ \"\${r%% *}\" = 401 ]" "$r"
r=$(TS=$(($(now) - 6000)) req GET /fapi/v2/account "")
check "stale timestamp is -1021" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1021 ]" "$r"
r=$(TS=$(($(now) - 6000)) req GET /fapi/v2/account "recvWindow=10000")
check "a wider recvWindow admits it" "[ \"\${r%% *}\" = 200 ]" "${r:0:100}"
r=$(TS=$(($(now) + 3000)) req GET /fapi/v2/account "")
check "timestamp 3 s ahead is -1021" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1021 ]" "$r"
q="timestamp=$(now)"
printf '%s' "$q" >"$T/edmsg"
edsig=$(openssl pkeyutl -sign -inkey "$T/ed.pem" -rawin -in "$T/edmsg" 2>/dev/null | base64 -w0 |
  py -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip(), safe=""))')
r=$(curl -s --max-time 5 -H "X-MBX-APIKEY: edkey" "$B/fapi/v1/positionSide/dual?$q&signature=$edsig")
check "an Ed25519-signed request is admitted" "[ \"\$r\" = '{\"dualSidePosition\":false}' ]" "$r"
r=$(curl -s --max-time 5 -H "X-MBX-APIKEY: edkey" "$B/fapi/v1/positionSide/dual?$q&signature=$(sig "$q")")
check "an HMAC signature under an Ed25519 key is -1022" "[ \"\$(echo \"0 \$r\" | jf 'd[\"code\"]')\" = -1022 ]" "$r"

# --- a MARKET entry, its query, a duplicate
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-e1")
check "signed MARKET order accepted (ACK: NEW)" "[ \"\$(echo \"\$r\" | jf 'd[\"status\"]+d[\"clientOrderId\"]')\" = NEWgd-e1 ]" "$r"
check "order response carries X-MBX-ORDER-COUNT-1M" "grep -qi '^X-MBX-ORDER-COUNT-1M: 1' '$T/hdr'" "$(cat "$T/hdr")"
r=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-e1")
check "query by client id: FILLED 0.010 at 50000" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"status\"]+\" \"+d[\"executedQty\"]+\" \"+d[\"avgPrice\"]')\" = 'FILLED 0.010 50000.00' ]" "$r"
check "used weight header present" "grep -qi '^X-MBX-USED-WEIGHT-1M: [0-9]' '$T/hdr'" "$(cat "$T/hdr")"
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-e1")
check "duplicate client id is -4116" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -4116 ]" "$r"
check "the duplicate did not trade" "[ \"\$(state 'd[\"positions\"][0][\"positionAmt\"]')\" = 0.010 ]" ""
r=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=nope")
check "unknown order is -2013" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2013 ]" "$r"
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.010&stopPrice=49000")
check "stop types on /order are -4120" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -4120 ]" "$r"
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.0105")
check "quantity off the step is -1111" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1111 ]" "$r"
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001")
check "below min notional is -4164" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -4164 ]" "$r"

# --- the stop as an algo order, triggered by the mark
r=$(breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=51000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s0")
check "a stop above the mark for a long is -2021" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2021 ]" "$r"
r=$(breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=49000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s1")
check "stop placed as an algo order: NEW" "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]+d[\"clientAlgoId\"]')\" = NEWgd-s1 ]" "$r"
r=$(req GET /fapi/v1/openAlgoOrders "symbol=BTCUSDT")
check "openAlgoOrders lists it" "[ \"\$(echo \"\$r\" | jf 'len(d)')\" = 1 ]" "$r"
ctl POST price "symbol=BTCUSDT&price=48800&mark=49100" >/dev/null
r=$(req GET /fapi/v1/algoOrder "clientAlgoId=gd-s1")
check "last below the trigger, mark above: still NEW" "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]')\" = NEW ]" "$r"
ctl POST price "symbol=BTCUSDT&price=48800&mark=48950" >/dev/null
r=$(req GET /fapi/v1/algoOrder "clientAlgoId=gd-s1")
check "mark crosses: FINISHED with an actual order" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]+\" \"+d[\"executedQty\"]')\" = 'FINISHED 0.010' ]" "$r"
check "the position is closed" "[ \"\$(state 'len(d[\"positions\"])')\" = 0 ]" ""
check "wallet: -12 PnL and two fees" "[ \"\$(state 'd[\"walletBalance\"]')\" = 9987.60480000 ]" "$(state 'd["walletBalance"]')"
r=$(breq DELETE /fapi/v1/algoOrder "clientAlgoId=gd-s1")
check "cancelling a finished stop is -2011" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2011 ]" "$r"

# a second entry and stop, cancelled through algoOpenOrders
ctl POST price "symbol=BTCUSDT&price=50000" >/dev/null
breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-e2" >/dev/null
breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=49000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s2" >/dev/null
r=$(breq DELETE /fapi/v1/algoOpenOrders "symbol=BTCUSDT")
check "algoOpenOrders cancelled" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = 200 ]" "$r"
r=$(req GET /fapi/v1/algoOrder "clientAlgoId=gd-s2")
check "the stop is CANCELED" "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]')\" = CANCELED ]" "$r"
r=$(breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice=49000.0&closePosition=true&workingType=CONTRACT_PRICE&clientAlgoId=gd-tp0")
check "a take-profit below the price for a long is -2021" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2021 ]" "$r"
r=$(breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice=51000.0&closePosition=true&workingType=CONTRACT_PRICE&clientAlgoId=gd-tp1")
check "take-profit placed" "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]+d[\"orderType\"]')\" = NEWTAKE_PROFIT_MARKET ]" "$r"
ctl POST price "symbol=BTCUSDT&price=51000&mark=50900" >/dev/null
r=$(req GET /fapi/v1/algoOrder "clientAlgoId=gd-tp1")
check "the last price reaches it (CONTRACT_PRICE): FINISHED at 51000" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]+\" \"+d[\"avgPrice\"]')\" = 'FINISHED 51000.00' ] && [ \"\$(state 'len(d[\"positions\"])')\" = 0 ]" "$r"
ctl POST price "symbol=BTCUSDT&price=50000" >/dev/null
breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-e3" >/dev/null
r=$(breq DELETE /fapi/v1/allOpenOrders "symbol=BTCUSDT")
check "allOpenOrders answers 200" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = 200 ]" "$r"
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&reduceOnly=true")
check "reduce-only that would add is -2022" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2022 ]" "$r"
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010&reduceOnly=true&newOrderRespType=RESULT")
check "reduce-only close (RESULT: FILLED)" "[ \"\$(echo \"\$r\" | jf 'd[\"status\"]')\" = FILLED ]" "$r"

# --- listen key (the stream itself is a later slice)
lk() { curl -s --max-time 5 -X "$1" -H "X-MBX-APIKEY: $KEY" "$B/fapi/v1/listenKey"; }
k1=$(lk POST) k2=$(lk POST)
check "listenKey: created, and the same key while it lives" "[ \"\$k1\" = \"\$k2\" ] && echo \"0 \$k1\" | jf 'd[\"listenKey\"]' >/dev/null" "$k1 $k2"
check "listenKey keep-alive" "[ \"\$(lk PUT)\" = \"\$k1\" ]" ""
ctl POST advance "ms=3600001" >/dev/null
r=$(lk PUT)
check "after 60 min without keep-alive it is gone (-1125)" "[ \"\$(echo \"0 \$r\" | jf 'd[\"code\"]')\" = -1125 ]" "$r"
ctl POST advance "ms=-3600001" >/dev/null

# --- injected faults
ctl POST fault "kind=http500&path=/fapi/v1/time" >/dev/null
r=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$B/fapi/v1/time")
check "fault http500" "[ \"\$r\" = 500 ]" "$r"
check "a fault is spent after count" "[ \"\$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' $B/fapi/v1/time)\" = 200 ]" ""
ctl POST fault "kind=http503&path=/fapi/v1/order&count=2" >/dev/null
r1=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-f1")
r2=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-f1")
check "fault http503 twice, and the order was not applied" \
  "[ \"\${r1%% *} \${r2%% *}\" = '503 503' ] && [ \"\$(state 'len(d[\"positions\"])')\" = 0 ]" "$r1 | $r2"
ctl POST fault "kind=timeout&path=/fapi/v1/order&method=POST" >/dev/null
q="symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-t1&timestamp=$(now)"
start=$(now)
r=$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' -X POST -H "X-MBX-APIKEY: $KEY" --data "$q&signature=$(sig "$q")" "$B/fapi/v1/order")
check "fault timeout: no answer within the client's 1 s" "[ \"\$r\" = 000 ] && [ \$((\$(now) - start)) -ge 900 ]" "$r"
r=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-t1")
check "the held order was never applied (-2013)" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2013 ]" "$r"
ctl POST fault "kind=drop&path=/fapi/v1/order&method=POST" >/dev/null
q="symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-d1&timestamp=$(now)"
r=$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' -X POST -H "X-MBX-APIKEY: $KEY" --data "$q&signature=$(sig "$q")" "$B/fapi/v1/order")
check "fault drop: the connection closes unanswered" "[ \"\$r\" = 000 ]" "$r"
r=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-d1")
check "... but the order was applied: found by client id" "[ \"\$(echo \"\$r\" | jf 'd[\"status\"]')\" = FILLED ]" "$r"
ctl POST fault "kind=timeout_applied&path=/fapi/v1/order&method=POST" >/dev/null
q="symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-h1&timestamp=$(now)"
r=$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' -X POST -H "X-MBX-APIKEY: $KEY" --data "$q&signature=$(sig "$q")" "$B/fapi/v1/order")
r2=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-h1")
check "fault timeout_applied: no answer, yet the order was applied" \
  "[ \"\$r\" = 000 ] && [ \"\$(echo \"\$r2\" | jf 'd[\"status\"]')\" = FILLED ]" "$r | $r2"
weight() { awk -F': ' 'tolower($1) == "x-mbx-used-weight-1m" { print $2 + 0 }' "$T/hdr"; }
w1=$(weight)
req GET /fapi/v2/account "" >/dev/null
w2=$(weight)
check "account weighs 5 in X-MBX-USED-WEIGHT-1M" "[ \$((w2 - w1)) = 5 ]" "$w1 -> $w2"
ctl POST fault "kind=ratelimit&retry_after=7" >/dev/null
r=$(req GET /fapi/v2/account "")
check "fault ratelimit: 429 -1003 with Retry-After: 7" \
  "[ \"\${r%% *}\" = 429 ] && grep -qi '^Retry-After: 7' '$T/hdr' && [ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1003 ]" "$r"
ctl POST fault "kind=ban&retry_after=30" >/dev/null
r=$(req GET /fapi/v2/account "")
check "fault ban: 418 with Retry-After: 30" "[ \"\${r%% *}\" = 418 ] && grep -qi '^Retry-After: 30' '$T/hdr'" "$r"
ctl POST fault "kind=backend_timeout&path=/fapi/v1/order&method=POST" >/dev/null
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010&reduceOnly=true&newClientOrderId=gd-b1")
r2=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-b1")
check "fault backend_timeout: 503 -1007, yet the order was applied" \
  "[ \"\${r%% *}\" = 503 ] && [ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1007 ] && [ \"\$(echo \"\$r2\" | jf 'd[\"status\"]')\" = FILLED ]" "$r | $r2"
ctl POST fault "kind=skew" >/dev/null
r=$(req GET /fapi/v2/account "")
check "fault skew: -1021" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1021 ]" "$r"
ctl POST fault "kind=margin" >/dev/null
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010")
check "fault margin: -2019" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2019 ]" "$r"
ctl POST fault "kind=min_notional" >/dev/null
r=$(breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010")
check "fault min_notional: -4164" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -4164 ]" "$r"
ctl POST fault "kind=immediate" >/dev/null
r=$(breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=40000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s3")
check "fault immediate: -2021" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -2021 ]" "$r"
ctl POST fault "kind=reject_stop" >/dev/null
r=$(breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=40000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s3")
check "fault reject_stop: refused, nothing placed" \
  "[ \"\${r%% *}\" = 400 ] && [ \"\$(state 'len([a for a in d[\"algoOrders\"] if a[\"clientAlgoId\"]==\"gd-s3\"])')\" = 0 ]" "$r"
ctl POST fault "kind=stuck_triggering" >/dev/null
breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=49000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-s4" >/dev/null
ctl POST price "symbol=BTCUSDT&price=48900" >/dev/null
r=$(req GET /fapi/v1/algoOrder "clientAlgoId=gd-s4")
check "fault stuck_triggering: TRIGGERING, position still open" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]')\" = TRIGGERING ] && [ \"\$(state 'len(d[\"positions\"])')\" = 1 ]" "$r"
ctl POST release >/dev/null
r=$(req GET /fapi/v1/algoOrder "clientAlgoId=gd-s4")
check "release: the stuck stop finishes and closes" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]')\" = FINISHED ] && [ \"\$(state 'len(d[\"positions\"])')\" = 0 ]" "$r"
ctl POST fault "kind=partial&fraction=0.5" >/dev/null
breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-p1" >/dev/null
r=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-p1")
check "fault partial: half filled" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"status\"]+\" \"+d[\"executedQty\"]')\" = 'PARTIALLY_FILLED 0.005' ]" "$r"
ctl POST fault "kind=partial&fraction=0.4&expire=1" >/dev/null
breq POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=gd-p2" >/dev/null
r=$(req GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=gd-p2")
check "fault partial expire=1: EXPIRED with 0.004 executed" \
  "[ \"\$(echo \"\$r\" | jf 'd[\"status\"]+\" \"+d[\"executedQty\"]')\" = 'EXPIRED 0.004' ]" "$r"
r=$(ctl POST advance "ms=60000")
check "advance moves venue time" "[ \"\$(state 'd[\"clockOffsetMs\"]')\" = 60000 ]" "${r:0:80}"
r=$(req GET /fapi/v2/account "")
check "a client on the old clock is then -1021" "[ \"\$(echo \"\$r\" | jf 'd[\"code\"]')\" = -1021 ]" "$r"
check "the venue still answers after it all" "[ \"\$(curl -s --max-time 5 $B/fapi/v1/ping)\" = '{}' ]" ""
r=$(curl -s --max-time 5 -H 'Connection: close' -D "$T/hdr" "$B/fapi/v1/ping")
check "Connection: close is honoured" "grep -qi '^Connection: close' '$T/hdr'" "$(cat "$T/hdr")"
ctl POST fault "kind=timeout&path=/fapi/v1/ping" >/dev/null
curl -s --max-time 10 -o /dev/null "$B/fapi/v1/ping" &
held=$!
sleep 0.3
kill -TERM "$PID"
wait "$held"
for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
wait "$PID"
rc=$? PID=
check "SIGTERM: exits 0 with held connections, no sanitizer report" \
  "[ $rc = 0 ] && ! grep -q Sanitizer '$T/venue.log'" "rc $rc: $(tail -5 "$T/venue.log")"
check "the verbose log names held and dropped requests, never a signature" \
  "grep -q 'POST /fapi/v1/order -> held' '$T/venue.log' && grep -q 'POST /fapi/v1/order -> dropped' '$T/venue.log' && ! grep -q signature '$T/venue.log'" ""

# --- a price path (time_ms,price) moves the mark and fires a stop
t0=$(now)
{ echo "time_ms,price"; echo "$((t0 - 1000)),2000"; echo "$((t0 + 1500)),1900"; } >"$T/path.csv"
rm -f "$T/port"
"$VENUE" --port-file "$T/port" --key "$KEY:$SECRET" --symbol ETHUSDT:tick=0.01:step=0.001:notional=20 \
  --path "ETHUSDT:$T/path.csv" 2>"$T/venue2.log" &
PID=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
B=http://127.0.0.1:$(cat "$T/port")
breq POST /fapi/v1/order "symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.100" >/dev/null
check "the path sets the fill price" "[ \"\$(state 'd[\"positions\"][0][\"entryPrice\"]')\" = 2000.00000000 ]" ""
breq POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=ETHUSDT&side=SELL&type=STOP_MARKET&triggerPrice=1950.00&closePosition=true&workingType=MARK_PRICE&clientAlgoId=gd-ps" >/dev/null
for _ in $(seq 40); do [ "$(state 'len(d["positions"])')" = 0 ] && break; sleep 0.1; done
r=$(req GET /fapi/v1/algoOrder "clientAlgoId=gd-ps")
check "the path's next row fires the stop on time" "[ \"\$(echo \"\$r\" | jf 'd[\"algoStatus\"]+\" \"+d[\"avgPrice\"]')\" = 'FINISHED 1900.00' ]" "$r"

echo "venue_rest: $pass passed, $fail failed"
[ "$fail" = 0 ]
