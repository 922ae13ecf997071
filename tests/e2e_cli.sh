#!/usr/bin/env bash
# End-to-end: the real gordon binary on the demo data, bad configs, bad data
# and bad plugins. usage: e2e_cli.sh GORDON PLUGIN_DIR TEST_PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2 TPLUGINS=$3
T=$(mktemp -d)
export TMPDIR=$T # private plugin copies of killed daemons go away with it
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
# expect NAME WANT_RC GREP_PATTERN FILE
expect() {
  if [ "$2" != "$rc" ]; then bad "$1: exit $rc, wanted $2"; sed 's/^/    /' "$T/err" | head -5; return; fi
  if [ -n "$3" ] && ! grep -q -- "$3" "$4"; then bad "$1: no '$3' in output"; sed 's/^/    /' "$4" | head -5; return; fi
  ok "$1"
}
run() { "$GORDON" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

run --version
expect "version names the SDK ABI" 0 "SDK ABI 1.3" "$T/out"

# The demo: real data, bundled plugins, intent log.
run run --config examples/demo.ini --plugin-dir "$PLUGINS" --intent-log "$T/intents.jsonl"
expect "demo replay runs" 0 "^bars *67601" "$T/out"
signals=$(sed -n 's/^signals *\([0-9]*\).*/\1/p' "$T/out")
lines=$(wc -l <"$T/intents.jsonl")
if [ -n "$signals" ] && [ "$signals" = "$lines" ]; then ok "one intent record per signal ($lines)"; else bad "signals $signals vs intent lines $lines"; fi
if grep -q '"result":"accepted"' "$T/intents.jsonl" && ! grep '"result":"accepted"' "$T/intents.jsonl" | grep -q '"action":"entry".*"stop":0[,}]'; then
  ok "accepted entries carry a stop"; else bad "accepted entry without a stop or none accepted"; fi
# A backtest's stdout is exactly its banner and summary, whole; the JSON
# log lines (info level: not --quiet) are all on stderr.
summary_re='^(gordon [0-9.]+: mode backtest, .*|[a-z][A-Za-z ]{0,15}[A-Za-z] {2,}.*|[a-z]+ [a-z_]+ +(ok|warn|TRIPPED).*|rejections by reason:|  [a-z_]+ +[0-9]+)$'
if [ "$(head -1 "$T/out" | cut -c1-7)" = "gordon " ] && [ "$(tail -1 "$T/out" | cut -c1-7)" = "replay " ] &&
   ! grep -q '^{' "$T/out" && [ -z "$(grep -vE "$summary_re" "$T/out")" ]; then
  ok "backtest stdout is the summary alone"; else bad "backtest stdout is not the summary alone"; sed 's/^/    /' "$T/out" | head -8; fi
if grep -q '"component":"replay","msg":"replaying' "$T/err" && [ -z "$(grep -v '^{"ts":".*}$' "$T/err")" ]; then
  ok "backtest logs are JSON lines on stderr"; else bad "backtest stderr"; sed 's/^/    /' "$T/err" | head -5; fi
# The daemon (testnet) keeps logging to stdout, where journald reads it.
"$GORDON" init --state-dir "$T/tnstate" >/dev/null
head -301 data/usdchf_30m_1996_2001.csv >"$T/tnbars.csv"
printf '[gordon]\nmode = testnet\nstate_dir = %s\nintent_log = %s\n[replay]\ndata = USDCHF:%s\n[instrument.USDCHF]\ntick_size = 0.00001\nstep_size = 1\n[strategy.ema]\nplugin = ema_cross\n[http]\nlisten = 127.0.0.1:0\n' \
  "$T/tnstate" "$T/tn.jsonl" "$T/tnbars.csv" >"$T/tn.ini"
run run --config "$T/tn.ini" --plugin-dir "$PLUGINS"
expect "testnet logs JSON lines to stdout" 0 '"component":"replay","msg":"replaying' "$T/out"
# Deterministic: the same run gives the same intents.
run run --config examples/demo.ini --plugin-dir "$PLUGINS" --intent-log "$T/intents2.jsonl" --quiet
if cmp -s "$T/intents.jsonl" "$T/intents2.jsonl"; then ok "replay is deterministic"; else bad "two runs differ"; fi

# `gordon check` validates without trading.
run check --config examples/demo.ini --plugin-dir "$PLUGINS"
expect "check accepts the demo config" 0 "^OK: mode backtest, 2 symbol" "$T/out"
printf '[replay]\ndata = X:%s\n[instrument.X]\ntick_size = 0.01\nstep_size = 0.01\n[strategy.s]\nplugin = ema_cross\nfast = 0\n' \
  "$PWD/data/sp500_1d_2000_2020.csv" >"$T/chk.ini"
run check --config "$T/chk.ini" --plugin-dir "$PLUGINS"
expect "check names a bad plugin parameter" 1 "chk.ini:8" "$T/err"

# Configuration errors name file and line, and the host refuses to start.
cat >"$T/bad.ini" <<'INI'
[risk]
risk_pcnt = 1
INI
run run --config "$T/bad.ini"
expect "unknown key names file:line" 1 "bad.ini:2" "$T/err"
printf '[risk]\nrisk_pct = 6\n' >"$T/range.ini"
run run --config "$T/range.ini"
expect "risk_pct > 5 refused" 1 "range.ini:2" "$T/err"
printf '[risk]\nmax_daily_notional_usd = -1\n' >"$T/neg.ini"
run run --config "$T/neg.ini"
expect "negative cap refused" 1 "neg.ini:2" "$T/err"
GORDON_EXECUTOR_SL_REQUIRED=maybe run run --config examples/demo.ini
expect "bad env override named" 1 "GORDON_EXECUTOR_SL_REQUIRED" "$T/err"
printf '[gordon]\nmode = production\n[executor]\ntestnet = false\n' >"$T/prod.ini"
GORDON_EXECUTOR_SL_REQUIRED=false run run --config "$T/prod.ini"
expect "production refuses sl_required=false" 1 "sl_required" "$T/err"

# Bad market data: file:line:column.
printf 'open_time_ms,open,high,low,close,volume\n0,1,2,0.5,1.5,10\n60000,1,2,0.5,abc,10\n' >"$T/bad.csv"
cat >"$T/csv.ini" <<INI
[replay]
data = X:bad.csv
[instrument.X]
tick_size = 0.01
step_size = 0.01
[strategy.s]
plugin = ema_cross
INI
run run --config "$T/csv.ini" --plugin-dir "$PLUGINS"
expect "CSV error names file:line:column" 1 "bad.csv:3:15" "$T/err"

# Plugins: every bundled one passes the offline check; broken ones are refused.
for so in "$PLUGINS"/*.so; do
  run plugin check "$so"
  expect "plugin check $(basename "$so")" 0 "OK" "$T/out"
done
run plugin check "$TPLUGINS/imports_socket.so"
expect "plugin importing socket refused" 1 "socket" "$T/err"
run plugin check "$TPLUGINS/future_major.so"
expect "future ABI major refused" 1 "major" "$T/err"
cat >"$T/sock.ini" <<INI
[replay]
data = X:$PWD/data/sp500_1d_2000_2020.csv
[instrument.X]
tick_size = 0.01
step_size = 0.01
[strategy.s]
plugin = $TPLUGINS/imports_socket.so
INI
run run --config "$T/sock.ini"
expect "run refuses a forbidden plugin" 1 "socket" "$T/err"

# The plugin template builds against the SDK alone and passes the audit.
cp -r sdk/template "$T/tpl"
if make -s -C "$T/tpl" SDK_CFLAGS="-I$PWD/sdk/include" GORDON="$GORDON" check >"$T/out" 2>"$T/err"; then
  rc=0; else rc=$?; fi
expect "plugin template builds and loads" 0 "OK" "$T/out"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
