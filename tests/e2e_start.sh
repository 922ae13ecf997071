#!/usr/bin/env bash
# End-to-end: nothing is half-applied at start (issue 10, item 8).
#  - a run that fails to start leaves the previous intent log as it was;
#  - SIGTERM during a data load that is stalled (a FIFO whose writer stops,
#    or one with no writer at all) ends the process at once, cleanly;
#  - a CSV file over [replay] max_file_mb is refused, naming the limit;
#  - an environment override naming no section is an error.
# usage: e2e_start.sh GORDON PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUGINS=$(realpath "$2")
T=$(mktemp -d)
export TMPDIR=$T
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do { kill -9 "$p"; wait "$p"; } 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# --- a failed start keeps the last record ------------------------------------
"$GORDON" run --config examples/demo.ini --plugin-dir "$PLUGINS" --intent-log "$T/intents.jsonl" --quiet >/dev/null 2>&1
before=$(sha256sum <"$T/intents.jsonl")
check "the demo wrote an intent log" '[ -s "$T/intents.jsonl" ]'
sed -e "s#\.\./data/#$PWD/data/#g" -e 's#SPX:[^,]*#SPX:/nonexistent/spx.csv#' examples/demo.ini >"$T/broken.ini"
sed -i "s#^intent_log = .*#intent_log = $T/intents.jsonl#" "$T/broken.ini"
"$GORDON" run --config "$T/broken.ini" --plugin-dir "$PLUGINS" --quiet >"$T/broken.out" 2>&1
check "a run whose data is missing fails" '[ $? = 1 ] && grep -q "nonexistent/spx.csv" "$T/broken.out"'
check "... and leaves the previous intent log untouched" '[ "$(sha256sum <"$T/intents.jsonl")" = "$before" ]'

# --- SIGTERM during a stalled load -------------------------------------------
fifo_config() {
  cat >"$T/fifo.ini" <<INI
[gordon]
intent_log = $T/fifo.intents.jsonl
[replay]
data = X:$T/bars.fifo
[instrument.X]
tick_size = 0.01
step_size = 0.001
[strategy.ema]
plugin = ema_cross
INI
}
fifo_config
# stop_during_load NAME WRITER: starts gordon on the FIFO with WRITER feeding it
# (or none), sends SIGTERM once it is loading, and times the exit.
stop_during_load() {
  rm -f "$T/bars.fifo" && mkfifo "$T/bars.fifo"
  if [ -n "$2" ]; then
    bash -c "$2" &
    PIDS+=($!)
  fi
  "$GORDON" run --config "$T/fifo.ini" --plugin-dir "$PLUGINS" >"$T/$1.out" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then bad "$1: gordon was not still loading"; return; fi
  local t0; t0=$(date +%s%N)
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then bad "$1: still running 5 s after SIGTERM"; kill -9 "$pid"; return; fi
  wait "$pid"
  local rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  check "$1: SIGTERM ends a stalled load in ${ms} ms, exit $rc" '[ "$rc" = 0 ] && [ "$ms" -lt 2000 ]'
}
stop_during_load "writer stalls mid-file" "{ head -5 data/usdchf_30m_1996_2001.csv; sleep 30; } >$T/bars.fifo"
stop_during_load "no writer at all" ""
check "no intent log was made by runs that never started trading" '[ ! -e "$T/fifo.intents.jsonl" ]'

# --- the CSV size limit --------------------------------------------------------
cat >"$T/big.ini" <<INI
[replay]
data = USDCHF:$PWD/data/usdchf_30m_1996_2001.csv
max_file_mb = 1
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
INI
"$GORDON" run --config "$T/big.ini" --plugin-dir "$PLUGINS" --quiet >"$T/big.out" 2>&1
check "a CSV over max_file_mb is refused, naming the limit" '[ $? = 1 ] && grep -q "larger than 1 MiB, the limit (\[replay\] max_file_mb)" "$T/big.out"'

# --- environment overrides ------------------------------------------------------
GORDON_RISKX_PCT=1 "$GORDON" run --config examples/demo.ini --plugin-dir "$PLUGINS" --quiet >"$T/env.out" 2>&1
check "GORDON_RISKX_PCT (no such section) is an error" '[ $? = 1 ] && grep -q "env:GORDON_RISKX_PCT: names no configuration section" "$T/env.out"'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
