#!/usr/bin/env bash
# End-to-end: the macro breaker with FRED behind a loopback server speaking
# FRED's wire format. A missing key and a rejected key stop the start-up with
# a clear message; with a good key the VIX level trips the breaker during the
# replay (the host fetched the series, the plugin only read it).
# usage: e2e_macro.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
command -v python3 >/dev/null || { echo "skip - python3 not installed"; exit 77; }
T=$(mktemp -d)
export TMPDIR=$T # private plugin copies of killed daemons go away with it
SP=
cleanup() { [ -n "$SP" ] && kill "$SP" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

KEY=abcdefghij0123456789abcdefghij01
mkfifo "$T/in"
python3 tests/fred_server.py "$KEY" <"$T/in" >"$T/port" 2>"$T/server.err" &
SP=$!
exec 7>"$T/in" # the server lives while this stays open
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(head -1 "$T/port")
[ -n "$PORT" ] && ok "loopback FRED on port $PORT" || bad "FRED server did not start"

conf() { # conf KEY_LINE
  cat <<INI
[replay]
data = USDCHF:$PWD/data/usdchf_30m_1996_2001.csv
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
[breaker.vix]
plugin = macro
series = VIXCLS
mode = level
threshold = 35
[fred]
base_url = http://127.0.0.1:$PORT
$1
INI
}
conf "" >"$T/nokey.ini"
"$GORDON" run --config "$T/nokey.ini" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "api_key" "$T/err" && ok "missing key refused at start-up" || bad "missing key: rc $rc $(tail -2 "$T/err")"

conf "api_key = wrongwrongwrongwrongwrongwrong12" >"$T/badkey.ini"
"$GORDON" run --config "$T/badkey.ini" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "FRED rejected the key" "$T/err" && ok "rejected key refused at start-up" || bad "bad key: rc $rc $(tail -2 "$T/err")"
! grep -q wrongwrongwrong "$T/out" "$T/err" && ok "the key appears in no output" || bad "key leaked into output"

conf "api_key = $KEY" >"$T/good.ini"
"$GORDON" run --config "$T/good.ini" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] && ok "runs with a good key" || bad "good key: rc $rc $(tail -3 "$T/err")"
# A backtest: the summary on stdout, the JSON logs on stderr.
grep -q '"msg":"series VIXCLS: [0-9]* observations"' "$T/err" && ok "host fetched the series" || bad "no fetch logged"
grep -q "halt latch      SET: breaker.vix" "$T/out" && ok "VIX above 35 trips the macro breaker" || bad "macro breaker did not trip: $(grep -i 'halt\|breaker' "$T/out" | tail -3)"
grep -q '"event":"halt","who":"breaker.vix"' "$T/err" && ok "the trip is an audit event with who" || bad "no halt event"

exec 7>&-
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
