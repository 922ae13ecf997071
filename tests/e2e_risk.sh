#!/usr/bin/env bash
# End-to-end: `gordon run` on paced replay data with the operator API on:
# the drawdown breaker trips and latches, /risk/state and /metrics show it,
# resume is refused without a token, with a wrong one and while tripped, is
# forced with a token and trading continues; emergency flatten closes the
# positions; the latch survives kill -9; malformed requests get 400.
# usage: e2e_risk.sh GORDON PLUGIN_DIR TEST_PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2 TPLUGINS=$3
T=$(mktemp -d)
export TMPDIR=$T # private plugin copies of killed daemons go away with it
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
check "token new prints a token and its hash" '[ ${#TOKEN} = 64 ] && [ ${#HASH} = 64 ]'
check "the hash is sha256 of the token" '[ "$(printf %s "$TOKEN" | sha256sum | cut -c1-64)" = "$HASH" ]'

mkdir -p "$T/state"
cat >"$T/g.ini" <<INI
[gordon]
exit_when_done = false
state_dir = $T/state
intent_log = $T/intents.jsonl
[risk]
equity = 10000
risk_pct = 2
[replay]
data = USDCHF:$PWD/data/usdchf_30m_1996_2001.csv
bars_per_sec = ${BARS_PER_SEC:-800}
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
fast = 5
slow = 20
[strategy.al]
; always in a position (or about to be), at 1% of the budget: something to flatten
plugin = $TPLUGINS/always_long.so
risk_scale = 0.01
[breaker.dd]
plugin = drawdown
max_drawdown_pct = 4
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
INI

start() {
  "$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/log$1" 2>&1 &
  PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$T/log$1" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  U="http://127.0.0.1:$PORT"
}
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
wait_for() { # wait_for DESC EXPR: poll up to 60 s
  for _ in $(seq 600); do eval "$2" && return 0; sleep 0.1; done
  return 1
}

start 1
check "API listening" '[ -n "$PORT" ] && [ "$(code "$U/healthz")" = 200 ]'
if wait_for "ready" '[ "$(code "$U/readyz")" = 200 ]'; then ok "readyz turns ready"; else bad "readyz never 200"; fi
check "readyz lists its checks" 'grep -q state_store_writable "$T/body"'
if wait_for "latch" 'curl -s "$U/risk/state" | grep -q "\"halted\":true"'; then ok "drawdown breaker trips and latches"; else bad "no trip within 60 s"; fi
curl -s "$U/risk/state" >"$T/state.json"
check "/risk/state names the breaker and its state" 'grep -q "\"name\":\"dd\",\"plugin\":\"drawdown\",\"state\":\"tripped\"" "$T/state.json"'
curl -s "$U/metrics" >"$T/metrics.txt"
check "/metrics shows the latch" 'grep -q "^gordon_halt_latch 1$" "$T/metrics.txt"'
check "/metrics shows the tripped breaker" 'grep -q "^gordon_breaker_state{breaker=\"dd\"} 2$" "$T/metrics.txt"'
check "/metrics rejections by reason" 'grep -q "^gordon_intents_total{result=\"rejected\",reason=\"halted\"} [1-9]" "$T/metrics.txt" || sleep 1'
bash tests/check_prometheus.sh "$T/metrics.txt" >"$T/prom" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "promtool check metrics and rules pass"; elif [ $rc = 77 ]; then echo "skip - promtool not installed"; else bad "check_prometheus: $(tail -3 "$T/prom")"; fi

check "resume without a token: 401" '[ "$(code -X POST "$U/risk/resume")" = 401 ]'
check "resume with a wrong token: 403" '[ "$(code -X POST -H "Authorization: Bearer nope" "$U/risk/resume")" = 403 ]'
check "resume while tripped: 409" '[ "$(code -X POST -H "Authorization: Bearer $TOKEN" -d "{\"reason\":\"try\"}" "$U/risk/resume")" = 409 ]'
check "still halted" 'curl -s "$U/risk/state" | grep -q "\"halted\":true"'
acc0=$(curl -s "$U/metrics" | sed -n 's/^gordon_intents_total{result="accepted",reason=""} //p')
check "forced resume with a token: 200" '[ "$(code -X POST -H "Authorization: Bearer $TOKEN" -d "{\"reason\":\"reviewed\",\"force\":true}" "$U/risk/resume")" = 200 ]'
check "latch clear after resume" 'grep -q "\"halted\":false" "$T/body"'
if wait_for "accepted" '[ "$(curl -s "$U/metrics" | sed -n "s/^gordon_intents_total{result=\"accepted\",reason=\"\"} //p")" -gt "$acc0" ]'; then
  ok "trading continues after the resume"; else bad "no accepted intent after resume"; fi

if wait_for "position" 'curl -s "$U/positions" | grep -q "\"symbol\":\"USDCHF\""'; then ok "a position is open"; else bad "no position opened"; fi
check "flatten without a token: 401" '[ "$(code -X POST "$U/risk/emergency-flatten")" = 401 ]'
check "emergency flatten: 200" '[ "$(code -X POST -H "Authorization: Bearer $TOKEN" -d "{\"reason\":\"drill\"}" "$U/risk/emergency-flatten")" = 200 ]'
check "flatten lists what it closed" 'grep -q "\"closed\":\[{\"strategy\":\"[a-z]*\",\"symbol\":\"USDCHF\"" "$T/body"'
check "flatten latches the halt" 'curl -s "$U/risk/state" | grep -q "\"halted\":true"'
if wait_for "flat" 'curl -s "$U/positions" | grep -q "\"positions\":\[\]"'; then ok "positions closed"; else bad "positions still open"; fi

# Malformed requests never hurt the host.
printf 'GARBAGE\r\n\r\n' >"$T/g1"; printf 'GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n' >"$T/g2"
printf 'POST /risk/halt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"reason"' >"$T/g3"
for g in g1 g2; do
  exec 3<>/dev/tcp/127.0.0.1/"$PORT"; cat "$T/$g" >&3; timeout 5 head -1 <&3 >"$T/resp_$g"; exec 3<&-
  check "malformed request $g gets 400" 'grep -q "^HTTP/1.1 400" "$T/resp_$g"'
done
check "bad JSON body: 400" '[ "$(code -X POST -H "Authorization: Bearer $TOKEN" -d "{\"reason\":" "$U/risk/halt")" = 400 ]'
check "unknown endpoint: 404" '[ "$(code "$U/nope")" = 404 ]'
check "wrong method: 405" '[ "$(code -X POST "$U/positions")" = 405 ]'
check "alive after malformed requests" '[ "$(code "$U/healthz")" = 200 ]'

# kill -9, restart: the latch is still set and nothing enters.
kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
start 2
check "restarted" '[ -n "$PORT" ] && [ "$(code "$U/healthz")" = 200 ]'
check "latch survives kill -9" 'curl -s "$U/risk/state" | grep -q "\"halted\":true.*restored"'
sleep 2
m=$(curl -s "$U/metrics")
check "no entry accepted after the restart" 'echo "$m" | grep -q "^gordon_intents_total{result=\"accepted\",reason=\"\"} 0$" && echo "$m" | grep -q "reason=\"halted\"} [1-9]"'
check "audit trail has trip, resume, flatten" 'grep -q "\"event\":\"halt\"" "$T/state/audit.jsonl" && grep -q "\"event\":\"resume_forced\"" "$T/state/audit.jsonl" && grep -q "\"event\":\"flatten\"" "$T/state/audit.jsonl" && grep -q "\"event\":\"resume_refused\"" "$T/state/audit.jsonl"'
check "no token in any log" '! grep -q "$TOKEN" "$T"/log* "$T/state/audit.jsonl"'
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "SIGTERM stops it cleanly" '[ $rc = 130 ] || [ $rc = 0 ]'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
