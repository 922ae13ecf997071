#!/usr/bin/env bash
# End-to-end: `gordon check` refuses what `gordon run` would then fail to
# open: an intent-log folder it cannot make, a missing or unreadable data file, a
# missing state_dir. usage: e2e_check_paths.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
# expect NAME WANT_RC PATTERN: the last command's exit status and stderr.
expect() {
  if [ "$2" != "$rc" ]; then bad "$1: exit $rc, wanted $2"; sed 's/^/    /' "$T/err" | head -5; return; fi
  if [ -n "$3" ] && ! grep -q -- "$3" "$T/err"; then bad "$1: no '$3' in stderr"; sed 's/^/    /' "$T/err" | head -5; return; fi
  ok "$1"
}
gd() { "$GORDON" "$@" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err"; rc=$?; }
sed -e "s#^intent_log = .*#intent_log = $T/logs/intents.jsonl#" -e "s#\.\./data#$ROOT/data#g" \
  "$ROOT/examples/demo.ini" >"$T/base.ini"

# run makes the intent log's folder; check says when it cannot be made.
gd check --config "$T/base.ini"
expect "check: intent log folder to be made" 0 ""
gd run --config "$T/base.ini" --quiet
if [ "$rc" = 0 ] && [ -s "$T/logs/intents.jsonl" ]; then ok "run makes the intent log's folder"; else bad "run: exit $rc, no $T/logs/intents.jsonl"; fi
: >"$T/afile"
sed "s#^intent_log = .*#intent_log = $T/afile/logs/intents.jsonl#" "$T/base.ini" >"$T/nolog.ini"
gd check --config "$T/nolog.ini"
expect "check: intent log folder cannot be made" 1 "intent_log $T/afile/logs/intents.jsonl: .*Not a directory"
gd run --config "$T/nolog.ini" --quiet
expect "run fails there too" 1 "afile"

sed "s#usdchf_30m_1996_2001.csv#missing.csv#" "$T/base.ini" >"$T/nodata.ini"
gd check --config "$T/nodata.ini"
expect "check: data file missing" 1 "\[replay\] data USDCHF: .*missing.csv: No such file"

{ printf '[gordon]\nstate_dir = %s/nostate\n' "$T"; cat "$T/base.ini"; } >"$T/nostate.ini"
gd check --config "$T/nostate.ini"
expect "check: state_dir missing" 1 "state_dir: .*does not exist"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
