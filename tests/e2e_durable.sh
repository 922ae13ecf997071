#!/usr/bin/env bash
# End-to-end: the kill switch and the record can be trusted (issue 10,
# items 1-4), through the real binary.
#  - a halt on a full tmpfs, and on a read-only bind mount, is answered 503
#    with the reason, "persisted" says false, /readyz fails, the metrics say
#    so; once the disk is back the daemon persists it by itself, and after a
#    kill -9 the restarted daemon is halted;
#  - one daemon per state_dir: a second one refuses to start, naming the pid;
#  - a state_dir that does not exist is never created (gordon init is how);
#  - a dangling latch.json symlink or a latch with a duplicate key refuses
#    the start (and gordon check says so);
#  - intent ids never repeat across restarts of a daemon.
# The mounts happen in a private mount namespace (unshare), so nothing leaks
# onto the machine; exit 77 only where no namespace can be made.
# usage: e2e_durable.sh GORDON PLUGIN_DIR TEST_PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUGINS=$(realpath "$2") TPLUGINS=$(realpath "$3")

if [ "${GD_IN_NS:-}" != 1 ]; then
  if [ "$(id -u)" = 0 ]; then ns=(unshare -m --propagation private); else ns=(unshare -r -m --propagation private); fi
  if ! "${ns[@]}" true 2>/dev/null; then
    echo "e2e_durable: cannot make a mount namespace (unshare: $("${ns[@]}" true 2>&1 | head -1)); skipped"
    exit 77
  fi
  GD_IN_NS=1 exec "${ns[@]}" bash "$0" "$@"
fi

T=$(mktemp -d)
export TMPDIR=$T
PID= PID2=
cleanup() {
  for p in $PID $PID2; do kill -9 "$p" 2>/dev/null; done
  umount -l "$T/tmpfs" "$T/ro/state" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
wait_for() { # wait_for EXPR [TENTHS]: poll up to TENTHS/10 s (default 10 s)
  for _ in $(seq "${2:-100}"); do eval "$1" && return 0; sleep 0.1; done
  return 1
}

TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
AUTH=(-H "Authorization: Bearer $TOKEN")
head -2001 data/usdchf_30m_1996_2001.csv >"$T/bars.csv"

# config NAME STATE_DIR [MODE]: a daemon that replays 2000 bars and serves.
config() {
  cat >"$T/$1.ini" <<INI
[gordon]
mode = ${3:-testnet}
exit_when_done = false
state_dir = $2
intent_log = $T/$1.intents.jsonl
[risk]
equity = 10000
risk_pct = 1
[replay]
data = USDCHF:$T/bars.csv
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.al]
plugin = $TPLUGINS/always_long.so
risk_scale = 0.01
[strategy.ema]
plugin = ema_cross
fast = 5
slow = 20
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
INI
}
# start NAME: starts a daemon on T/NAME.ini, sets PID and U.
start() {
  local log="$T/$1.log"
  "$GORDON" run --config "$T/$1.ini" --plugin-dir "$PLUGINS" >"$log" 2>&1 &
  PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  U="http://127.0.0.1:$PORT"
  # Trading has started: the always-long strategy has an accepted entry.
  wait_for '[ "$(code "$U/risk/state")" = 200 ] && grep -q "\"accepted\"" "$T/body"' 100
}
stop() { kill -9 "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }
metric() { curl -s "$U/metrics" | sed -n "s/^$1 //p"; }

# --- 1a. a full disk -------------------------------------------------------
mkdir -p "$T/tmpfs"
mount -t tmpfs -o size=256k tmpfs "$T/tmpfs"
"$GORDON" init --state-dir "$T/tmpfs/state" >/dev/null
config full "$T/tmpfs/state"
start full
check "daemon up on the tmpfs store" '[ -n "$PORT" ]'
dd if=/dev/zero of="$T/tmpfs/fill" bs=4k 2>/dev/null
check "the tmpfs is full" '! dd if=/dev/zero of="$T/tmpfs/more" bs=4k count=1 2>/dev/null'
rm -f "$T/tmpfs/more"
c=$(code -X POST "${AUTH[@]}" -d '{"reason":"drill on a full disk"}' "$U/risk/halt")
check "halt on a full disk is 503, not 200" '[ "$c" = 503 ]'
check "... saying it is not durable and why" 'grep -q "NOT durable" "$T/body" && grep -q "No space left" "$T/body"'
check "... with the latch set and persisted false" 'grep -q "\"halted\":true" "$T/body" && grep -q "\"persisted\":false" "$T/body"'
code "$U/risk/state" >/dev/null
check "/risk/state: halted, persisted false" 'grep -q "\"halted\":true" "$T/body" && grep -q "\"persisted\":false" "$T/body"'
check "/readyz fails while the store cannot be written" '[ "$(code "$U/readyz")" = 503 ] && grep -q "\"state_store_writable\":false" "$T/body"'
check "metrics: latch not persisted" '[ "$(metric gordon_halt_latch_persisted)" = 0 ] && [ "$(metric gordon_halt_latch)" = 1 ]'
check "metrics: store not writable, failures counted" 'wait_for "[ \"\$(metric gordon_state_store_writable)\" = 0 ]" 70 && [ "$(metric gordon_state_write_failures_total)" -ge 1 ]'
c=$(code -X POST "${AUTH[@]}" "$U/risk/emergency-flatten")
check "flatten on a full disk: orders out, 503 for the latch" '[ "$c" = 503 ] && grep -q "\"persisted\":false" "$T/body"'
rm -f "$T/tmpfs/fill"
check "with room again the daemon persists the latch by itself" \
  'wait_for "code \"\$U/risk/state\" >/dev/null; grep -q \"\\\"persisted\\\":true\" \"\$T/body\"" 50'
check "... and /readyz recovers" 'wait_for "[ \"\$(code \"\$U/readyz\")\" = 200 ]" 80'
check "... and the metric" '[ "$(metric gordon_halt_latch_persisted)" = 1 ]'
stop
start full
code "$U/risk/state" >/dev/null
check "after kill -9 and a restart the daemon is halted" 'grep -q "\"halted\":true" "$T/body" && grep -q "drill on a full disk" "$T/body"'
stop

# --- 1b. a read-only store ---------------------------------------------------
# A read-only bind mount laid over the running daemon's state_dir (its open
# files stay below it; everything it opens by name from now on is read-only).
mkdir -p "$T/ro"
"$GORDON" init --state-dir "$T/ro/state" >/dev/null
config ro "$T/ro/state"
start ro
mount --bind "$T/ro/state" "$T/ro/state" && mount -o remount,bind,ro "$T/ro/state"
check "the store is now read-only" '! touch "$T/ro/state/x" 2>/dev/null'
c=$(code -X POST "${AUTH[@]}" -d '{"reason":"drill on a read-only disk"}' "$U/risk/halt")
check "halt on a read-only store is 503" '[ "$c" = 503 ] && grep -q "Read-only file system" "$T/body"'
check "/readyz fails on a read-only store" '[ "$(code "$U/readyz")" = 503 ]'
umount "$T/ro/state"
check "writable again: persisted by itself" \
  'wait_for "code \"\$U/risk/state\" >/dev/null; grep -q \"\\\"persisted\\\":true\" \"\$T/body\"" 50'
stop

# --- 2. one daemon per state_dir --------------------------------------------
mkdir -p "$T/own"
"$GORDON" init --state-dir "$T/own/state" >/dev/null
config own "$T/own/state"
start own
A=$PID
"$GORDON" run --config "$T/own.ini" --plugin-dir "$PLUGINS" >"$T/second.log" 2>&1 &
PID2=$!
wait_for '! kill -0 "$PID2" 2>/dev/null' 100
wait "$PID2"
rc=$?
PID2=
check "a second daemon on the same state_dir refuses to start" '[ "$rc" = 1 ]'
check "... naming the holder" 'grep -q "in use by another gordon (pid $A)" "$T/second.log"'
check "the first one is untouched" '[ "$(code "$U/risk/state")" = 200 ] && grep -q "\"halted\":false" "$T/body"'
"$GORDON" check --config "$T/own.ini" --plugin-dir "$PLUGINS" >"$T/check.out" 2>&1
check "gordon check says who holds the store" 'grep -q "in use by a running gordon (pid $A)" "$T/check.out"'
stop

# --- 3. never created --------------------------------------------------------
config typo "$T/no/such/state"
"$GORDON" run --config "$T/typo.ini" --plugin-dir "$PLUGINS" >"$T/typo.log" 2>&1
rc=$?
check "a state_dir that does not exist is an error" '[ "$rc" = 1 ] && grep -q "does not exist" "$T/typo.log" && grep -q "gordon init --state-dir" "$T/typo.log"'
check "... and is not created" '[ ! -e "$T/no" ]'

# --- 3b. a dangling latch link, duplicate keys -------------------------------
mkdir -p "$T/bad"
"$GORDON" init --state-dir "$T/bad/state" >/dev/null
ln -s "$T/nowhere/latch.json" "$T/bad/state/latch.json"
config bad "$T/bad/state"
"$GORDON" run --config "$T/bad.ini" --plugin-dir "$PLUGINS" >"$T/bad.log" 2>&1
check "a dangling latch.json symlink refuses the start" '[ $? = 1 ] && grep -q "symbolic link" "$T/bad.log"'
rm "$T/bad/state/latch.json"
printf '{"halted":true,"who":"operator:x","why":"y","since_ms":1,"halted":false}\n' >"$T/bad/state/latch.json"
"$GORDON" run --config "$T/bad.ini" --plugin-dir "$PLUGINS" >"$T/bad.log" 2>&1
check "a latch with a duplicate key refuses the start" '[ $? = 1 ] && grep -q "appears twice" "$T/bad.log"'
"$GORDON" check --config "$T/bad.ini" --plugin-dir "$PLUGINS" >"$T/check.out" 2>&1
check "gordon check refuses it too" '[ $? = 1 ] && grep -q "appears twice" "$T/check.out"'

# --- 4. intent ids never repeat ----------------------------------------------
mkdir -p "$T/ids"
"$GORDON" init --state-dir "$T/ids/state" >/dev/null
config ids "$T/ids/state"
for run in 1 2 3; do
  start ids
  wait_for 'grep -q "replay done" "$T/ids.log"' 300
  stop
done
total=$(wc -l <"$T/ids.intents.jsonl")
unique=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$T/ids.intents.jsonl" | sort -u | wc -l)
check "three runs appended to one intent log ($total records)" '[ "$total" -gt 3 ]'
check "no intent id repeats across restarts" '[ "$total" = "$unique" ]'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
