#!/usr/bin/env bash
# Issue 12: a worker that breaks the protocol is killed, counted and its
# strategy quarantined, and the run goes on. The strategy iso_proto writes
# garbage on its worker's own socket with a raw system call (which the
# sandbox allows: it is the worker's channel), one kind per run:
#   1 no header, 2 an unknown type, 3 a flood of log lines in one call,
#   4 a datagram over the size limit, 5 an emit whose tag runs past the end.
# Each run is a backtest with --isolate beside a healthy ema_cross.
# usage: e2e_isolation_protocol.sh GORDON PLUGIN_DIR ISO_PROTO_SO
set -u
GORDON=$1 PLUGINS=$2 PROTO=$3
T=$(mktemp -d)
export TMPDIR=$T
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# 400 hourly bars of a gentle wave: enough for ema_cross to trade.
python3 - "$T/bars.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("open_time_ms,open,high,low,close,volume\n")
    px = 100.0
    for i in range(400):
        o = px
        px = 100 + 8 * math.sin(i / 25.0) + 0.3 * math.sin(i * 1.7)
        f.write("%d,%.4f,%.4f,%.4f,%.4f,10\n" % (1704067200000 + i * 3600000, o, max(o, px) + 0.2, min(o, px) - 0.2, px))
PY
conf() { # conf ATTACK
  cat <<INI
[gordon]
exit_when_done = true
intent_log = intents.jsonl
[replay]
data = TEST:$T/bars.csv
[instrument.TEST]
tick_size = 0.0001
step_size = 0.001
[strategy.proto]
plugin = $PROTO
attack = $1
[strategy.ema]
plugin = $PLUGINS/ema_cross.so
fast = 5
slow = 20
INI
}
# The reference: ema_cross alone, in-process.
mkdir -p "$T/ref"
conf 1 | sed '/^\[strategy.proto\]/,/^attack/d' >"$T/ref/g.ini"
"$GORDON" run --config "$T/ref/g.ini" --quiet >"$T/ref/out" 2>&1
check "reference run" '[ -s "$T/ref/intents.jsonl" ]'

names=("" "no header" "unknown type" "log flood" "oversized datagram" "emit past its end")
for a in 1 2 3 4 5; do
  d=$T/a$a
  mkdir -p "$d"
  conf $a >"$d/g.ini"
  (cd "$d" && timeout 120 "$GORDON" run --config g.ini --isolate >out 2>&1)
  rc=$?
  check "attack $a (${names[$a]}): the run completes (exit $rc)" '[ $rc = 0 ]'
  check "attack $a: the worker is stopped and the strategy quarantined" \
    'grep -q "\"component\":\"isolation\".*strategy.proto: worker stopped.*quarantined" "$d/out"'
  if [ $a = 3 ]; then
    check "attack $a: at most 32 of its log lines reach the log" \
      '[ "$(grep -c "\"plugin\":\"strategy.proto\"" "$d/out")" -le 33 ]'
    check "attack $a: the flood is what killed it" 'grep -q "more than 4096 messages in one call" "$d/out"'
  else
    check "attack $a: counted as a protocol violation" \
      'grep -q "plugin workers  1 killed or died (0 past the deadline, 1 broke the protocol)" "$d/out"'
  fi
  check "attack $a: the healthy strategy's intents are exactly the reference's" \
    'cmp -s <(grep -v "\"strategy\":\"proto\"" "$d/intents.jsonl") "$T/ref/intents.jsonl"'
  grep -q '"strategy":"proto"' "$d/intents.jsonl" && bad "attack $a: an intent of the quarantined strategy" || true
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
