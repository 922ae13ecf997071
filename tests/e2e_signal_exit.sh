#!/usr/bin/env bash
# End-to-end: how `gordon run` exits when a signal stops a replay part way,
# and that the man page says the same: SIGTERM (a service stopped) 0,
# SIGINT (a person interrupting) 130. usage: e2e_signal_exit.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
# A paced replay: 67601 bars at 2000 bars/s would take half a minute.
sed -e "s#^intent_log = .*#intent_log = $T/intents.jsonl#" -e "s#\.\./data#$ROOT/data#g" \
  -e 's#^\[replay\]#[replay]\nbars_per_sec = 2000#' "$ROOT/examples/demo.ini" >"$T/paced.ini"
grep -q '^bars_per_sec' "$T/paced.ini" || { echo "FAIL - no [replay] section to pace"; exit 1; }

# stop SIGNAL WANT_RC SUMMARY_PATTERN
stop() {
  "$GORDON" run --config "$T/paced.ini" --plugin-dir "$PLUGINS" --quiet >"$T/out" 2>"$T/err" &
  local pid=$! i
  for i in $(seq 100); do grep -q '^gordon .*: mode' "$T/out" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  kill -"$1" "$pid"
  wait "$pid"
  local rc=$?
  if [ "$rc" = "$2" ] && grep -q "$3" "$T/out"; then ok "$1 mid-replay exits $rc, summary says '$3'"
  else bad "$1 mid-replay: exit $rc (wanted $2)"; sed 's/^/    /' "$T/out" "$T/err" | tail -5; fi
}
stop TERM 0 'stopped by SIGTERM before the data ended'
stop INT 130 ', interrupted$'

# The man page states the same statuses.
man=$ROOT/packaging/man/gordon.1
if grep -q 'SIGTERM (how a service is stopped) exits with status 0' "$man" &&
   grep -q 'SIGINT (a person$' "$man" && grep -A3 '^\.B 130$' "$man" | grep -q 'SIGINT'; then
  ok "man page: SIGTERM 0, SIGINT 130"; else bad "man page disagrees on SIGTERM/SIGINT exit status"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
