#!/usr/bin/env bash
# Per-strategy quarantine end to end (issue 16): `gordon run` on paced real
# USD/CHF bars with two strategies; POST /strategies/NAME/quarantine takes
# one out of trading (token-gated, audited, durable): its entries are
# refused, the other strategy trades on; the quarantine survives a kill -9
# and a restart; /release puts it back; the refusals say why.
# usage: e2e_quarantine.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
T=$(mktemp -d)
export TMPDIR=$T
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. "$(dirname "$0")/e2e_lib.sh"

TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
"$GORDON" init --state-dir "$T/state" >/dev/null
cat >"$T/g.ini" <<INI
[gordon]
mode = testnet
exit_when_done = false
state_dir = $T/state
intent_log = $T/intents.jsonl
[risk]
equity = 100000
risk_pct = 0.5
max_intents_per_sec = 1000
max_intents_per_sec_strategy = 1000
[replay]
data = USDCHF:$PWD/data/usdchf_30m_1996_2001.csv
bars_per_sec = 400
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.fast]
plugin = ema_cross
fast = 3
slow = 8
[strategy.slow]
plugin = ema_cross
fast = 5
slow = 13
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
INI

start() {
  "$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/log$1" 2>&1 &
  PID=$!
  wait_api "$T/log$1" "$PID"
  PORT=${U##*:}
}
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
auth() { code -X POST -H "Authorization: Bearer $TOKEN" "$@"; }
# entries of NAME after line N of the intent log: "accepted rejected" counts
entries_after() {
  tail -n +"$(($2 + 1))" "$T/intents.jsonl" | "$PY" -c '
import json, sys
acc = rej = 0
for l in sys.stdin:
    r = json.loads(l)
    if r["strategy"] != sys.argv[1] or r["action"] != "entry":
        continue
    if r["result"] == "accepted":
        acc += 1
    elif "quarantined" in r.get("detail", ""):
        rej += 1
print(acc, rej)' "$1"
}

start 1
check "API up" '[ -n "$PORT" ] && [ "$(code "$U/healthz")" = 200 ]'
for _ in $(seq 100); do [ -s "$T/intents.jsonl" ] && break; sleep 0.1; done
check "GET /strategies lists both, neither quarantined" \
  '[ "$(code "$U/strategies")" = 200 ] && grep -q "{\"name\":\"fast\",\"quarantine\":null}" "$T/body" && grep -q "{\"name\":\"slow\",\"quarantine\":null}" "$T/body"' "$(cat "$T/body")"
check "quarantine without a token: 401" '[ "$(code -X POST "$U/strategies/fast/quarantine")" = 401 ]'
check "quarantine with a wrong token: 403" '[ "$(code -X POST -H "Authorization: Bearer nope" "$U/strategies/fast/quarantine")" = 403 ]'
check "quarantine of a strategy that does not run: 404" \
  '[ "$(auth -d "{\"reason\":\"x\"}" "$U/strategies/nosuch/quarantine")" = 404 ]'
check "GET on the action: 405" '[ "$(code "$U/strategies/fast/quarantine")" = 405 ]'
check "a bad body: 400" '[ "$(auth -d "{\"reason\":5}" "$U/strategies/fast/quarantine")" = 400 ]'
check "quarantine with a token: 200" \
  '[ "$(auth -d "{\"reason\":\"e2e: misbehaving\"}" "$U/strategies/fast/quarantine")" = 200 ]' "$(cat "$T/body")"
check "the reply shows who and why" \
  'grep -q "{\"name\":\"fast\",\"quarantine\":{\"who\":\"operator:${HASH:0:8}\",\"why\":\"e2e: misbehaving\"" "$T/body"' "$(cat "$T/body")"
mark=$(wc -l <"$T/intents.jsonl")
sleep 4
read -r acc rej <<<"$(entries_after fast "$mark")"
check "the quarantined strategy's entries are refused ($acc accepted, $rej refused as quarantined)" \
  '[ "$acc" = 0 ] && [ "$rej" -gt 0 ]'
read -r acc2 _ <<<"$(entries_after slow "$mark")"
check "the other strategy trades on ($acc2 entries accepted)" '[ "$acc2" -gt 0 ]'
check "the refusals name it (breaker_tripped: the strategy is quarantined)" \
  'grep -q "\"strategy\":\"fast\".*\"reason\":\"breaker_tripped\".*the strategy is quarantined (by operator:" "$T/intents.jsonl"'
curl -s "$U/metrics" >"$T/m"
check "/metrics: one strategy quarantined by an operator" \
  'grep -qx "gordon_plugin_quarantined{state=\"operator\"} 1" "$T/m"'
check "audited (audit.jsonl: quarantine, who, why, strategy)" \
  'grep -q "\"event\":\"quarantine\",\"who\":\"operator:${HASH:0:8}\",\"why\":\"e2e: misbehaving\",\"strategy\":\"fast\"" "$T/state/audit.jsonl"'
check "durable (quarantine.json)" 'grep -q "\"name\":\"fast\"" "$T/state/quarantine.json"'

kill -9 "$PID"; wait "$PID" 2>/dev/null
start 2
check "after kill -9 and a restart it is still quarantined" \
  '[ "$(code "$U/strategies")" = 200 ] && grep -q "{\"name\":\"fast\",\"quarantine\":{\"who\":\"operator:" "$T/body"' "$(cat "$T/body")"
check "the start says so" 'grep -q "strategy fast is quarantined" "$T/log2"'
check "release with a token: 200" '[ "$(auth -d "{\"reason\":\"fixed\"}" "$U/strategies/fast/release")" = 200 ]'
check "release again: 409 (not quarantined)" '[ "$(auth -d "{\"reason\":\"again\"}" "$U/strategies/fast/release")" = 409 ]'
mark=$(wc -l <"$T/intents.jsonl")
ok_after=0
for _ in $(seq 100); do
  read -r acc _ <<<"$(entries_after fast "$mark")"
  [ "$acc" -gt 0 ] && { ok_after=1; break; }
  sleep 0.1
done
check "released, its entries are accepted again" '[ $ok_after = 1 ]'
check "the release is audited" 'grep -q "\"event\":\"release\",\"who\":\"operator:${HASH:0:8}\",\"why\":\"fixed\",\"strategy\":\"fast\"" "$T/state/audit.jsonl"'
check "the store holds nothing now" 'grep -q "{\"strategies\":\[\]}" "$T/state/quarantine.json"'
check "gordon audit verify: the chain holds" '"$GORDON" audit verify "$T/state" >/dev/null 2>&1'
kill -TERM "$PID"; wait "$PID" 2>/dev/null
PID=
check "no sanitizer report" '! grep -q Sanitizer "$T/log1" "$T/log2"'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
