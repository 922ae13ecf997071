#!/usr/bin/env bash
# End-to-end hot reload with the real binary (SIGHUP):
#  (a) 50 reloads of an unchanged config change nothing: the intent log is
#      byte-identical to a run without reloads;
#  (b) a new build of a strategy .so at the same path takes over, and the open
#      position keeps its stop;
#  (c) broken plugins (wrong ABI, forbidden import, missing entry symbol,
#      create() failing) and a broken INI are refused; the old set trades on;
#  (d) drop-in: a new .so plus a conf.d file, SIGHUP, and it trades;
#  (e) a SIGHUP storm (100 in a second) does no harm.
# usage: e2e_reload.sh GORDON PLUGIN_DIR TEST_PLUGIN_DIR
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
wait_for() { for _ in $(seq 300); do eval "$1" && return 0; sleep 0.1; done; return 1; }
DATA=$PWD/data/usdchf_30m_1996_2001.csv

# ---- (a) 50 reloads, same intents
base() { # base EXIT_WHEN_DONE PACE LISTEN
  cat <<INI
[gordon]
exit_when_done = $1
intent_log = intents.jsonl
[replay]
data = USDCHF:$DATA
bars_per_sec = $2
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = $PLUGINS/ema_cross.so
[overlay.trend]
plugin = $PLUGINS/trend_filter.so
[overlay.vol]
plugin = $PLUGINS/volatility_filter.so
[overlay.hours]
plugin = $PLUGINS/session_filter.so
start_hour = 6
end_hour = 20
[breaker.dd]
plugin = $PLUGINS/drawdown.so
max_drawdown_pct = 50
INI
}
mkdir -p "$T/a1" "$T/a2"
base true 0 >"$T/a1/g.ini"
"$GORDON" run --config "$T/a1/g.ini" --quiet >"$T/a1/out" 2>&1
check "reference run without reloads" '[ -s "$T/a1/intents.jsonl" ]'
base true 12000 >"$T/a2/g.ini"
"$GORDON" run --config "$T/a2/g.ini" >"$T/a2/out" 2>&1 &
PID=$!
# The reloads land while bars flow (a start-up with plugins in workers takes longer).
wait_for 'grep -q "\"component\":\"replay\".*replaying" "$T/a2/out"'
for _ in $(seq 50); do kill -HUP "$PID" 2>/dev/null; sleep 0.06; done
wait "$PID"; rc=$?; PID=
check "paced run with 50 reloads exits cleanly" '[ $rc = 0 ]'
n=$(grep -c '"msg":"reload: plugins unchanged; config: unchanged"' "$T/a2/out")
check "reloads happened during the run ($n)" '[ "$n" -ge 10 ]'
if cmp -s "$T/a1/intents.jsonl" "$T/a2/intents.jsonl"; then
  ok "intent log identical with and without reloads"
else
  bad "intent log identical with and without reloads"
  diff "$T/a1/intents.jsonl" "$T/a2/intents.jsonl" | head -4 | cut -c1-300
  grep -hE "worker|quarantin|deadline" "$T/a2/out" | head -5 | cut -c1-300
fi
ms=$(sed -n 's/.*"component":"reload".*"ms":\([0-9.]*\).*/\1/p' "$T/a2/out" | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int(NR/2)+1]}')
echo "     reload latency, 5 plugins, median: ${ms:-?} ms"

# ---- a live daemon for (b)-(e)
D=$T/d
mkdir -p "$D/conf.d" "$D/plugins"
cp "$TPLUGINS/probe_v1.so" "$D/plugins/probe.so"
cat >"$D/g.ini" <<INI
[gordon]
exit_when_done = false
intent_log = intents.jsonl
[replay]
data = USDCHF:$DATA
bars_per_sec = 300
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.probe]
plugin = ./plugins/probe.so
[strategy.ema]
plugin = $PLUGINS/ema_cross.so
[http]
listen = 127.0.0.1:0
INI
"$GORDON" run --config "$D/g.ini" >"$D/out" 2>&1 &
PID=$!
PORT=
wait_for 'PORT=$(sed -n "s/.*operator API on .*(port \([0-9]*\)).*/\1/p" "$D/out" | head -1); [ -n "$PORT" ]'
U="http://127.0.0.1:$PORT"
reloads() { curl -s "$U/metrics" | sed -n "s/^gordon_plugin_reloads_total{result=\"$1\"} //p"; }
intents() { curl -s "$U/metrics" | sed -n 's/^gordon_intents_total{result="accepted",reason=""} //p'; }
hup_and_wait() { # hup_and_wait RESULT: one SIGHUP, wait for that counter to move
  local before; before=$(reloads "$1")
  kill -HUP "$PID"
  wait_for '[ "$(reloads '"$1"')" -gt "$before" ]'
}
check "daemon up" 'wait_for "curl -s $U/positions | grep -q \"\\\"strategy\\\":\\\"probe\\\"\""'
stop_before=$(curl -s "$U/positions" | grep -o '"strategy":"probe","symbol":"USDCHF","side":"long","orphaned":false,"qty":[0-9.e+-]*,"entry_price":[0-9.e+-]*,"stop":[0-9.e+-]*' | sed 's/.*"stop"://')
check "probe v1 holds a long with a stop ($stop_before)" '[ -n "$stop_before" ]'

# (b) new build, same path
cp "$TPLUGINS/probe_v2.so" "$D/plugins/probe.so"
if hup_and_wait ok; then ok "reload with the new probe build"; else bad "reload did not happen"; fi
grep -q '"msg":"reload: ~strategy.probe (probe ' "$D/out" && ok "reload line names the replaced plugin" || bad "reload summary"
check "the new behaviour appears" 'wait_for "grep -q \"probe-v2\" $D/intents.jsonl"'
stop_after=$(curl -s "$U/positions" | grep -o '"strategy":"probe","symbol":"USDCHF","side":"long","orphaned":false,"qty":[0-9.e+-]*,"entry_price":[0-9.e+-]*,"stop":[0-9.e+-]*' | sed 's/.*"stop"://')
if [ -z "$stop_after" ]; then echo "     (the long was closed by its stop meanwhile)"; ok "position kept until its stop";
else check "the open position keeps its stop" '[ "$stop_after" = "$stop_before" ]'; fi

# (c) broken plugins and a broken INI are refused; trading goes on
for broken in future_major imports_socket no_entry create_fails; do
  cp "$D/plugins/probe.so" "$D/probe.good"
  cp "$TPLUGINS/$broken.so" "$D/plugins/probe.so"
  if hup_and_wait error; then ok "refuses $broken"; else bad "no refusal for $broken"; fi
  cp "$D/probe.good" "$D/plugins/probe.so"
done
grep -q "reload refused, the running set keeps trading.*socket" "$D/out" && ok "refusal names the forbidden import" || bad "socket refusal text"
grep -q "reload refused.*deliberately refusing to start" "$D/out" && ok "refusal carries the plugin's create error" || bad "create refusal text"
printf '[risk]\nrisk_pct = lots\n' >"$D/conf.d/90-bad.ini"
if hup_and_wait error; then ok "refuses a broken INI"; else bad "broken INI accepted"; fi
grep -q 'reload refused.*90-bad.ini:2' "$D/out" && ok "the INI refusal names file:line" || bad "INI refusal text"
rm "$D/conf.d/90-bad.ini"
a0=$(intents)
check "still trading after the refusals" 'wait_for "[ \"\$(intents)\" -gt $a0 ]"'
check "probe v2 still the running code" 'tail -5 "$D/intents.jsonl" | grep -q "probe-v2\|\"strategy\":\"ema\""'

# (d) drop-in strategy
cp "$PLUGINS/donchian_breakout.so" "$D/plugins/dropin.so"
printf '[strategy.dropin]\nplugin = %s\nentry_period = 10\nexit_period = 5\n' "$D/plugins/dropin.so" >"$D/conf.d/50-dropin.ini"
if hup_and_wait ok; then ok "drop-in reload"; else bad "drop-in reload failed: $(grep reload "$D/out" | tail -1)"; fi
grep -q '"msg":"reload: +strategy.dropin (donchian_breakout)' "$D/out" && ok "reload line names the added strategy" || bad "drop-in summary"
check "the drop-in trades" 'wait_for "grep -q \"\\\"strategy\\\":\\\"dropin\\\"\" $D/intents.jsonl"'

# (e) SIGHUP storm
ok0=$(reloads ok)
for _ in $(seq 100); do kill -HUP "$PID"; done
sleep 1
check "alive after the storm" '[ "$(curl -s -o /dev/null -w %{http_code} $U/healthz)" = 200 ]'
n=$(( $(reloads ok) - ok0 ))
check "the storm coalesced: 100 signals, $n reload(s)" '[ "$n" -ge 1 ] && [ "$n" -lt 100 ]'
a1=$(intents)
check "trading after the storm" 'wait_for "[ \"\$(intents)\" -gt $a1 ]"'

# Removing a strategy orphans its position: kept, with its stop, reported.
rm "$D/conf.d/50-dropin.ini"
printf '[strategy.probe]\nenabled = false\n' >"$D/conf.d/60-noprobe.ini"
if hup_and_wait ok; then ok "reload removing the probe"; else bad "reload failed: $(grep reload "$D/out" | tail -1)"; fi
grep -q '"msg":"reload: .*-strategy.probe' "$D/out" && ok "reload line names the removed strategy" || bad "removal summary"
if curl -s "$U/positions" | grep -q '"strategy":"probe"'; then
  check "its open position is reported orphaned" 'curl -s "$U/positions" | grep -q "\"strategy\":\"probe\",\"symbol\":\"USDCHF\",\"side\":\"[a-z]*\",\"orphaned\":true"'
  check "and logged as orphaned" 'grep -q "orphaned position: strategy probe" "$D/out"'
  check "and listed in /risk/state" 'curl -s "$U/risk/state" | grep -q "\"orphaned_positions\":\[{\"strategy\":\"probe\""'
else
  echo "     (the probe was flat at removal: nothing to orphan)"
fi
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
if [ $rc = 0 ]; then ok "clean exit (no leak under ASan) after all reloads"; else
  bad "exit $rc after the reloads"; grep -v '^    #[1-9]' "$D/out" | grep -A12 'ERROR\|SUMMARY' | head -40; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
