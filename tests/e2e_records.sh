#!/usr/bin/env bash
# End-to-end: every record is valid JSON and valid UTF-8 whatever bytes come
# in (issue 10, item 6). A strategy with broken tags and log text, a breaker
# whose trip reason is broken, and an operator whose reasons are raw invalid
# bytes; then the intent log, the audit trail, latch.json, the daemon's JSON
# log lines, /risk/state, /positions and /metrics are all read strictly (a
# UTF-8 decoder that refuses invalid bytes, then a JSON parser). A request
# body with bytes after its JSON object is 400, not a halt.
# usage: e2e_records.sh GORDON PLUGIN_DIR TEST_PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUGINS=$(realpath "$2") TPLUGINS=$(realpath "$3")
T=$(mktemp -d)
export TMPDIR=$T
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
wait_for() { for _ in $(seq "${2:-100}"); do eval "$1" && return 0; sleep 0.1; done; return 1; }

TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
head -3001 data/usdchf_30m_1996_2001.csv >"$T/bars.csv"
"$GORDON" init --state-dir "$T/state" >/dev/null
cat >"$T/g.ini" <<INI
[gordon]
mode = testnet
exit_when_done = false
state_dir = $T/state
intent_log = $T/intents.jsonl
[risk]
equity = 10000
risk_pct = 1
[replay]
data = USDCHF:$T/bars.csv
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.bad]
plugin = $TPLUGINS/bad_text_strategy.so
[breaker.badb]
plugin = $TPLUGINS/bad_text_breaker.so
trip_after = 1500
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
INI
"$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/log" 2>&1 &
PID=$!
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$T/log" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
U="http://127.0.0.1:$PORT"
check "the breaker trips with its broken reason" 'wait_for "curl -s \"\$U/risk/state\" | grep -q \"\\\"halted\\\":true\"" 300'
AUTH=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
printf '{"reason":"resume \xff\xfe\xc3 bytes", "force": true}' >"$T/resume.json"
c=$(code -X POST "${AUTH[@]}" --data-binary @"$T/resume.json" "$U/risk/resume")
check "a forced resume with an invalid-UTF-8 reason is accepted" '[ "$c" = 200 ]'
printf '{"reason":"halt \xed\xa0\x80 surrogate \xe2\x82"}' >"$T/halt.json"
c=$(code -X POST "${AUTH[@]}" --data-binary @"$T/halt.json" "$U/risk/halt")
check "a halt with an invalid-UTF-8 reason is recorded" '[ "$c" = 200 ]'
c=$(code -X POST "${AUTH[@]}" --data-binary '{"reason":"x"} trailing' "$U/risk/halt")
check "a body with bytes after its JSON object is 400" '[ "$c" = 400 ] && grep -q trailing "$T/body"'
curl -s "$U/risk/state" >"$T/risk_state.json"
curl -s "$U/positions" >"$T/positions.json"
curl -s "$U/metrics" >"$T/metrics.txt"
kill -TERM "$PID"
wait "$PID"
PID=

strict() { # strict KIND FILE: every line (jsonl) or the file (json) decodes and parses
  python3 - "$1" "$2" <<'PY'
import json, sys
kind, path = sys.argv[1], sys.argv[2]
raw = open(path, 'rb').read()
try:
    text = raw.decode('utf-8')  # strict: invalid bytes raise
except UnicodeDecodeError as e:
    print(f"{path}: not UTF-8: {e}"); sys.exit(1)
if kind == 'json':
    json.loads(text)
elif kind == 'jsonl':
    n = 0
    for line in text.splitlines():
        if line.startswith('{'):
            json.loads(line); n += 1
    if n == 0:
        print(f"{path}: no JSON lines"); sys.exit(1)
sys.exit(0)
PY
}
check "intent log: UTF-8, one JSON object per line" 'strict jsonl "$T/intents.jsonl"'
check "... with the broken tags in it, replaced" 'grep -q "bad" "$T/intents.jsonl" && grep -q "$(printf "\xef\xbf\xbd")" "$T/intents.jsonl"'
check "audit trail: UTF-8, JSON lines" 'strict jsonl "$T/state/audit.jsonl"'
check "... the breaker's halt, the forced resume and the operator's halt are in it" \
  'grep -q "\"event\":\"halt\",\"who\":\"breaker.badb\"" "$T/state/audit.jsonl" && grep -q resume_forced "$T/state/audit.jsonl" && grep -q "surrogate" "$T/state/audit.jsonl"'
check "latch.json: UTF-8, JSON" 'strict json "$T/state/latch.json"'
check "daemon log lines: UTF-8, JSON" 'strict jsonl "$T/log"'
check "... the plugin's own broken log text is in them" 'grep -q "quoted" "$T/log" && grep -q "overlong" "$T/log"'
check "/risk/state: UTF-8, JSON" 'strict json "$T/risk_state.json"'
check "/positions: UTF-8, JSON" 'strict json "$T/positions.json"'
check "/metrics: UTF-8" 'strict text "$T/metrics.txt"'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
