#!/usr/bin/env bash
# End-to-end: the audit trail is hash-chained (issue 12, item 5), through the
# real binary.
#  - gordon init makes an empty trail; records written by operator halts and
#    resumes chain (seq, prev) and `gordon audit verify` says "ok";
#  - a line edited while the daemon is down: verify names the line where the
#    chain breaks (exit 1), `gordon check` says so, and the daemon starts
#    HALTED with the break in the reason, a log line and a record of the
#    break in the trail;
#  - after an operator resume, a restart is not halted again (the break is
#    recorded, the chain verifies from there), but verify still reports it;
#  - a last line cut mid-way halts the next start the same way;
#  - a trail from before the chain is sealed at start, not refused.
# usage: e2e_audit_chain.sh GORDON PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUGINS=$(realpath "$2")

T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }

TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
AUTH=(-H "Authorization: Bearer $TOKEN")
head -501 data/usdchf_30m_1996_2001.csv >"$T/bars.csv"
S=$T/state
A=$S/audit.jsonl

cat >"$T/g.ini" <<INI
[gordon]
mode = testnet
exit_when_done = false
state_dir = $S
[risk]
equity = 10000
risk_pct = 1
[replay]
data = USDCHF:$T/bars.csv
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
fast = 5
slow = 20
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
INI

# start LOG: a daemon on g.ini; sets PID and U once its API answers.
start() {
  "$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/$1" 2>&1 &
  PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$T/$1" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  U="http://127.0.0.1:$PORT"
  [ -n "$PORT" ] && [ "$(code "$U/risk/state")" = 200 ]
}
stop() { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }
op() { code -X POST "${AUTH[@]}" -d "{\"reason\":\"$2\"}" "$U/risk/$1"; }
verify() { "$GORDON" audit verify "$S" >"$T/verify.out" 2>&1; }

# --- 1. a fresh trail, chained records ---------------------------------------
"$GORDON" init --state-dir "$S" >/dev/null
check "gordon init makes an empty trail" '[ -f "$A" ] && [ ! -s "$A" ]'
verify
check "verify on the empty trail: ok, exit 0" '[ $? = 0 ] && grep -qx "ok: 0 records, chain intact" "$T/verify.out"'
check "daemon up" 'start run1.log'
check "halt, resume, halt, resume: 200 each" \
  '[ "$(op halt "drill one")" = 200 ] && [ "$(op resume "reviewed one")" = 200 ] &&
   [ "$(op halt "drill two")" = 200 ] && [ "$(op resume "reviewed two")" = 200 ]'
check "the records chain: seq 1..4, the first after genesis" \
  '[ "$(sed -n "s/^{\"seq\":\([0-9]*\),\"prev\":\"[0-9a-f]\{64\}\",.*/\1/p" "$A" | tr "\n" " ")" = "1 2 3 4 " ] &&
   head -1 "$A" | grep -q "\"prev\":\"0\{64\}\""'
check "line 2's prev is the SHA-256 of line 1" \
  '[ "$(head -1 "$A" | tr -d "\n" | sha256sum | cut -c1-64)" = "$(sed -n 2p "$A" | sed "s/.*\"prev\":\"\([0-9a-f]*\)\".*/\1/")" ]'
verify
check "verify beside the running daemon: ok: 4 records" '[ $? = 0 ] && grep -qx "ok: 4 records, chain intact" "$T/verify.out"'
stop
check "the start logged the verified trail" 'grep -q "audit trail verified: 0 line(s), chain intact" "$T/run1.log"'

# --- 2. an edited line --------------------------------------------------------
sed -i '2s/reviewed one/nothing to see/' "$A"
verify
check "verify after an edit of line 2: exit 1, the break at line 3" \
  '[ $? = 1 ] && grep -q "audit.jsonl:3: chain broken: \"prev\" is not the SHA-256 of line 2" "$T/verify.out" &&
   grep -q "^BROKEN: .*breaks at line 3" "$T/verify.out"'
"$GORDON" check --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/check.out" 2>&1
check "gordon check says the trail is broken" 'grep -q "audit trail is BROKEN at audit.jsonl line 3" "$T/check.out"'
check "the daemon still starts" 'start run2.log'
code "$U/risk/state" >/dev/null
check "... HALTED, the reason naming the audit break and the line" \
  'grep -q "\"halted\":true" "$T/body" && grep -q "audit trail broken at audit.jsonl line 3" "$T/body"'
check "... with a log line saying where" 'grep -q "\"level\":\"error\".*is broken at line 3" "$T/run2.log"'
check "... and a record of the break chained to the last line read" \
  'tail -1 "$A" | grep -q "^{\"seq\":5,\"prev\":\"$(sed -n 4p "$A" | tr -d "\n" | sha256sum | cut -c1-64)\",.*\"event\":\"audit_chain_broken\",\"who\":\"state\".*\"line\":3"'
for _ in $(seq 100); do grep -q "replay done" "$T/run2.log" && break; sleep 0.1; done
code "$U/risk/state" >/dev/null
check "entries are refused while halted (intents: halted, none accepted)" \
  'grep -q "\"intents\":{[^}]*\"halted\":[1-9]" "$T/body" && ! grep -q "\"accepted\"" "$T/body"'
check "an operator resumes after review: 200" '[ "$(op resume "audit break reviewed")" = 200 ]'
stop
verify
check "verify still reports the break (exit 1) and the record of it" \
  '[ $? = 1 ] && grep -q "audit.jsonl:3: chain broken" "$T/verify.out" && grep -q "audit.jsonl:5: the daemon found the chain broken" "$T/verify.out" &&
   grep -q "each recorded by the daemon" "$T/verify.out"'
check "a recorded break does not halt the next start" 'start run3.log'
code "$U/risk/state" >/dev/null
check "... not halted" 'grep -q "\"halted\":false" "$T/body"'
check "... the chain goes on after the record (seq 7)" '[ "$(op halt "drill three")" = 200 ] && tail -1 "$A" | grep -q "^{\"seq\":7,"'
stop

# --- 3. a cut last line -----------------------------------------------------------
lines=$(wc -l <"$A")
truncate -s -20 "$A"
verify
check "verify after cutting the last line: exit 1, line $lines incomplete" \
  '[ $? = 1 ] && grep -q "audit.jsonl:$lines: chain broken: incomplete" "$T/verify.out"'
check "the daemon starts" 'start run4.log'
code "$U/risk/state" >/dev/null
check "... halted, naming line $lines" 'grep -q "\"halted\":true" "$T/body" && grep -q "audit trail broken at audit.jsonl line $lines: incomplete" "$T/body"'
stop
check "the cut line was ended before the record of the break" \
  '[ "$(wc -l <"$A")" = $((lines + 1)) ] && tail -1 "$A" | grep -q "\"event\":\"audit_chain_broken\""'

# --- 4. a trail from before the chain ----------------------------------------------
printf '%s\n' '{"ts_ms":1,"event":"halt","who":"operator:ab12cd34","why":"old"}' \
  '{"ts_ms":2,"event":"resume","who":"operator:ab12cd34","why":"old"}' >"$A"
printf '{"halted":false,"who":"","why":"","since_ms":0}\n' >"$S/latch.json"
check "a daemon on a trail without the chain starts" 'start run5.log'
code "$U/risk/state" >/dev/null
check "... not halted" 'grep -q "\"halted\":false" "$T/body"'
stop
check "... and sealed the old lines with the chain's first record" \
  '[ "$(wc -l <"$A")" = 3 ] && tail -1 "$A" | grep -q "^{\"seq\":1,.*\"event\":\"audit_chain_start\".*\"legacy_lines\":2"'
verify
check "verify: ok, the old lines sealed" '[ $? = 0 ] && grep -qx "ok: 3 records, chain intact" "$T/verify.out" && grep -q "sealed" "$T/verify.out"'
sed -i '1s/old/new/' "$A"
verify
check "an edit to a sealed old line is found at the seal" '[ $? = 1 ] && grep -q "audit.jsonl:3: chain broken: the chain.s first record does not match the 2 line" "$T/verify.out"'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
