#!/usr/bin/env bash
# End-to-end: the kill switch stays reachable under a connection flood.
# The real daemon, with the default [http] limits (max_connections 64,
# max_connections_per_peer 32, header_timeout_ms 5000), against a python
# slowloris (tests/flood_slowloris.py: 200 sockets, more than the cap, each
# trickling a header and reconnecting when dropped, from 127.0.0.1..4 so both
# the per-address and the global limit are hit, and the operator shares its
# address with 50 of them). 100 halts and 100 emergency flattens with a valid
# token must each succeed within 1 s; the figures are printed. Then: a client
# over the cap that cannot be admitted gets a real 503 (Retry-After,
# Connection: close, never a reset), the per-address limit, the Host check
# (foreign 421 and logged, missing 400), and config errors naming file:line.
# Every process it starts is bounded in time and killed on exit.
# usage: e2e_flood.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
FLOOD="python3 $HERE/flood_slowloris.py"
T=$(mktemp -d)
export TMPDIR=$T
PIDS=""
cleanup() {
  for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
command -v curl >/dev/null || { echo "skip: curl not installed"; exit 77; }

TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
"$GORDON" init --state-dir "$T/state" >/dev/null || bad "gordon init"

conf() { # conf [EXTRA [http] LINES]
  cat <<INI
[gordon]
exit_when_done = false
state_dir = $T/state
[replay]
data = USDCHF:$PWD/data/usdchf_30m_1996_2001.csv
bars_per_sec = 200
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
allowed_hosts = gordon.test
INI
  [ $# -gt 0 ] && printf '%s\n' "$@"
}

# Bad [http] values are refused up front, naming file:line and the key.
conf "max_connections = 0" >"$T/bad1.ini"
conf "allowed_hosts = gordon.test, not/a/host" >"$T/bad2.ini"
conf "header_timeout_ms = 5" >"$T/bad3.ini"
for i in 1 2 3; do
  "$GORDON" check --config "$T/bad$i.ini" --plugin-dir "$PLUGINS" >"$T/bad$i.out" 2>&1
  echo "$?" >"$T/bad$i.rc"
done
check "max_connections = 0 refused at file:line" '[ "$(cat $T/bad1.rc)" != 0 ] && grep -q "bad1.ini:16: \[http\] max_connections: 0 is out of range" "$T/bad1.out"'
check "a bad allowed_hosts item refused at file:line" '[ "$(cat $T/bad2.rc)" != 0 ] && grep -q "bad2.ini:16: \[http\] allowed_hosts: .*not a list of HOST or HOST:PORT" "$T/bad2.out"'
check "header_timeout_ms below 100 refused" '[ "$(cat $T/bad3.rc)" != 0 ] && grep -q "bad3.ini:16: \[http\] header_timeout_ms" "$T/bad3.out"'

conf >"$T/g.ini"
"$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/log" 2>&1 &
GPID=$!
PIDS="$PIDS $GPID"
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$T/log" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
U="http://127.0.0.1:$PORT"
code() { curl -s -o "$T/body" -w '%{http_code}' --max-time 5 "$@"; }
check "API listening" '[ -n "$PORT" ] && [ "$(code "$U/healthz")" = 200 ]'

# One timed call: "CODE SECONDS" appended to file $1.
timed() {
  local f=$1 ep=$2
  local r
  r=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}' -X POST \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"reason":"flood drill"}' \
    "$U/risk/$ep")
  echo "${r:-000 5}" >>"$f"
}
# "N/M ok, p50 X ms, p99 Y ms, max Z ms": ok = 200 within 1 s.
summary() {
  sort -k2 -g "$1" | awk '{ n++; t[n] = $2 * 1000; if ($1 == 200 && $2 < 1.0) good++ }
    END { p50 = t[int((n + 1) * 0.50)]; p99 = t[int(n * 0.99 + 0.999)];
          printf "%d/%d ok, p50 %.1f ms, p99 %.1f ms, max %.1f ms", good, n, p50, p99, t[n] }'
}
all_ok() { [ "$(awk '$1 == 200 && $2 < 1.0' "$1" | wc -l)" = "$(wc -l <"$1")" ] && [ "$(wc -l <"$1")" = "$2" ]; }

# The reference: no attack.
: >"$T/ref_halt"; : >"$T/ref_flat"
for _ in $(seq 20); do timed "$T/ref_halt" halt; timed "$T/ref_flat" emergency-flatten; done

# The flood: sources 127.0.0.1..4 where the machine has them (Linux does).
SRC=127.0.0.1
python3 -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null && SRC=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
$FLOOD slowloris "$PORT" --sockets 200 --seconds 45 --source "$SRC" >"$T/slowloris.json" 2>"$T/slowloris.err" &
SL=$!
PIDS="$PIDS $SL"
for _ in $(seq 50); do grep -q "is full" "$T/log" && break; sleep 0.1; done
check "the slowloris fills the server" 'grep -q "is full" "$T/log"'
: >"$T/halt"; : >"$T/flat"
for _ in $(seq 100); do timed "$T/halt" halt; timed "$T/flat" emergency-flatten; done
check "the slowloris ran throughout" 'kill -0 $SL 2>/dev/null'
kill -TERM $SL 2>/dev/null; wait $SL 2>/dev/null
echo "# slowloris: $(cat "$T/slowloris.json")"
echo "# halt,  no attack:      $(summary "$T/ref_halt")"
echo "# flatten, no attack:    $(summary "$T/ref_flat")"
echo "# halt under slowloris:    $(summary "$T/halt")"
echo "# flatten under slowloris: $(summary "$T/flat")"
check "halt under slowloris: 100 of 100 succeed, each within 1 s" 'all_ok "$T/halt" 100'
check "flatten under slowloris: 100 of 100 succeed, each within 1 s" 'all_ok "$T/flat" 100'
check "the server closed slow connections to admit new ones" 'grep -q "closed [1-9][0-9]* waiting for a request" "$T/log"'
check "alive after the flood" '[ "$(code "$U/healthz")" = 200 ]'

# Every slot an operator's request in progress: nothing can be evicted.
# First one address at its limit (32): refused, while another is served.
if [ "$SRC" != 127.0.0.1 ]; then
  $FLOOD hold "$PORT" --count 32 --source 127.0.0.2 --token "$TOKEN" --seconds 20 >"$T/hold2" 2>&1 &
  H2=$!
  PIDS="$PIDS $H2"
  for _ in $(seq 50); do grep -q held "$T/hold2" && break; sleep 0.1; done
  $FLOOD probe "$PORT" --source 127.0.0.2 --repeat 5 >"$T/probe2"
  check "per-address limit: a 33rd connection from 127.0.0.2 gets 503" 'grep -q "\"status\": {\"503\": 5}, \"reset\": 0, \"nothing\": 0" "$T/probe2"'
  check "per-address limit: 127.0.0.1 is still served" '[ "$(code "$U/healthz")" = 200 ]'
  $FLOOD hold "$PORT" --count 32 --source 127.0.0.3 --token "$TOKEN" --seconds 20 >"$T/hold3" 2>&1 &
  H3=$!
  PIDS="$PIDS $H3"
  for _ in $(seq 50); do grep -q held "$T/hold3" && break; sleep 0.1; done
  # A request sent at once, unread when refused: still a 503, never a reset.
  $FLOOD probe "$PORT" --repeat 20 --request "POST /risk/halt HTTP/1.1\\r\\nHost: 127.0.0.1:$PORT\\r\\nContent-Length: 2\\r\\n\\r\\n{}" >"$T/probe1"
  echo "# over the cap: $(cat "$T/probe1")"
  check "over the cap: 20 of 20 get 503, no reset" 'grep -q "\"status\": {\"503\": 20}, \"reset\": 0, \"nothing\": 0" "$T/probe1"'
  check "the 503 says Retry-After and Connection: close" 'grep -q "Retry-After: 1 | Connection: close" "$T/probe1"'
  curl -s -i --max-time 5 "$U/healthz" >"$T/curl503"
  check "curl over the cap sees 503 Service Unavailable" 'head -1 "$T/curl503" | grep -q "^HTTP/1.1 503 Service Unavailable"'
  kill -TERM $H2 $H3 2>/dev/null; wait $H2 $H3 2>/dev/null
  for _ in $(seq 50); do [ "$(code "$U/healthz")" = 200 ] && break; sleep 0.1; done
  check "served again once the slots are free" '[ "$(code "$U/healthz")" = 200 ]'
else
  echo "skip - per-address and over-cap checks need 127.0.0.2 (not bindable here)"
fi

# Host: the listener's names and allowed_hosts; anything else 421, none 400.
check "Host 127.0.0.1:PORT: 200" '[ "$(code "$U/healthz")" = 200 ]'
check "Host localhost:PORT: 200" '[ "$(code -H "Host: localhost:$PORT" "$U/healthz")" = 200 ]'
check "Host [::1]:PORT: 200" '[ "$(code -H "Host: [::1]:$PORT" "$U/healthz")" = 200 ]'
check "Host gordon.test (allowed_hosts): 200" '[ "$(code -H "Host: gordon.test" "$U/healthz")" = 200 ]'
check "a foreign Host (DNS rebinding): 421" '[ "$(code -H "Host: evil.example:$PORT" "$U/healthz")" = 421 ]'
check "a foreign Host cannot halt: 421" '[ "$(code -X POST -H "Host: evil.example" -H "Authorization: Bearer $TOKEN" "$U/risk/halt")" = 421 ]'
check "the refused Host is logged" 'grep -q "refused a request from 127.0.0.1:[0-9]* for Host .evil.example:$PORT." "$T/log"'
check "no Host on HTTP/1.1: 400" '[ "$(code -H "Host:" "$U/healthz")" = 400 ] && grep -q "missing Host header" "$T/body"'
check "no Host on HTTP/1.0: 200" '[ "$(code -0 -H "Host:" "$U/healthz")" = 200 ]'
curl -s "$U/metrics" >"$T/metrics"
check "/metrics counts the 503s and 421s" 'grep -q "^gordon_http_requests_total{code=\"503\"} [1-9]" "$T/metrics" && grep -q "^gordon_http_requests_total{code=\"421\"} [1-9]" "$T/metrics"'

kill -TERM $GPID; wait $GPID; rc=$?
check "SIGTERM stops it cleanly" '[ $rc = 130 ] || [ $rc = 0 ]'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
