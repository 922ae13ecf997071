#!/usr/bin/env bash
# gordon run --trades FILE.csv (issue 18): one row per trade as the book
# counts it, consistent with the summary and the intent log; exit reasons
# including a stop the bar gapped through; data before 1970.
#
#   tests/e2e_trades.sh GORDON BUNDLED_PLUGIN_DIR TEST_PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUG=$(realpath "$2") TPLUG=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$here/e2e_lib.sh"

# The demo: 20 years of S&P 500 and 5 of USD/CHF through ema_cross.
(cd "$here/.." && "$GORDON" run --config examples/demo.ini --plugin-dir "$PLUG" --trades "$T/demo.csv" \
  --intent-log "$T/demo.jsonl" --quiet >"$T/demo.out" 2>"$T/demo.err")
check "the demo runs with --trades" "[ $? = 0 ]" "$(tail -3 "$T/demo.err")"
check "the trade list agrees with the summary and the intent log, row by row" "$PY - '$T/demo.csv' '$T/demo.jsonl' '$T/demo.out' <<'PY'
import csv, json, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
intents = {}
for line in open(sys.argv[2]):
    j = json.loads(line)
    intents[j['id']] = j
out = open(sys.argv[3]).read()
n = int(re.search(r'^trades +(\d+)', out, re.M).group(1))
pnl = float(re.search(r'^net PnL exact +(\S+)', out, re.M).group(1))
assert len(rows) == n and n > 100, (len(rows), n)
assert abs(sum(float(r['pnl']) for r in rows) - pnl) < 1e-6, (sum(float(r['pnl']) for r in rows), pnl)
reasons = {r['exit_reason'] for r in rows}
assert reasons <= {'stop', 'gap_through_stop', 'take_profit', 'exit_signal', 'flatten'}, reasons
for r in rows:
    it = intents[int(r['intent_id'])]
    assert it['action'] == 'entry' and it['result'] == 'accepted', it
    assert it['strategy'] == r['strategy'] and it['symbol'] == r['symbol'] and it['side'] == r['side'], (it, r)
    assert it['ts'] <= int(r['entry_ms']) <= int(r['exit_ms']), (it, r)   # filled at the next bar's open
    assert float(r['qty']) <= it['qty'] * (1 + 1e-12), (it, r)
    assert abs(float(r['stop']) - it['stop']) <= 1e-9 * it['stop'], (it, r)
    risk = float(r['qty']) * abs(float(r['entry_price']) - float(r['stop']))
    assert abs(float(r['r_multiple']) - float(r['pnl']) / risk) < 1e-9 * max(1, abs(float(r['r_multiple']))), r
    gross = (1 if r['side'] == 'long' else -1) * float(r['qty']) * (float(r['exit_price']) - float(r['entry_price']))
    assert abs(gross - float(r['fees']) - float(r['pnl'])) < 1e-6 * max(1, abs(gross)), r
    assert r['entry_time'].endswith('Z') and r['exit_time'] >= r['entry_time'], r
PY" "$(head -3 "$T/demo.csv")"

# Before 1970, a stop the next bar opens below, then one hit inside a bar.
cat >"$T/gap.csv" <<CSV
open_time_ms,open,high,low,close,volume
-10800000,100,100.5,99.5,100,10
-7200000,100,100.5,99.5,100,10
-3600000,95,95.5,94.8,95,10
0,95,95.2,94,94.5,10
3600000,94.5,95,94.2,94.6,10
CSV
cat >"$T/gap.ini" <<INI
[replay]
data = GAPUSDT:$T/gap.csv
[instrument.GAPUSDT]
tick_size = 0.01
step_size = 0.001
[strategy.long]
plugin = $TPLUG/always_long.so
INI
"$GORDON" run --config "$T/gap.ini" --trades "$T/gap.csv.out" --quiet >"$T/gap.out" 2>&1
check "data before 1970 replays" "[ $? = 0 ] && grep -q '^trades *2 ' '$T/gap.out'" "$(cat "$T/gap.out")"
check "a stop the bar opened through is gap_through_stop (filled at the open), the next a plain stop" "$PY - '$T/gap.csv.out' <<'PY'
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
assert [x['exit_reason'] for x in r] == ['gap_through_stop', 'stop'], r
assert r[0]['entry_time'] == '1969-12-31T22:00:00.000Z' and r[0]['entry_ms'] == '-7200000', r[0]
assert r[0]['exit_time'] == '1969-12-31T23:00:00.000Z' and abs(float(r[0]['exit_price']) - 95 * 0.9999) < 1e-9, r[0]
assert float(r[0]['r_multiple']) < -4.5 and abs(float(r[1]['r_multiple']) + 1.09) < 0.01, r
PY" "$(cat "$T/gap.csv.out")"

# A file's own declared interval; a row off it is an error, or skipped and counted.
{ cat "$T/gap.csv"; echo "5400000,94.6,95,94.2,94.6,10"; echo "7200000,94.6,95,94.2,94.6,10"; } >"$T/irr.csv"
sed -e "s#^data = .*#data = GAPUSDT@1h:$T/irr.csv#" "$T/gap.ini" >"$T/irr.ini"
out=$("$GORDON" run --config "$T/irr.ini" --quiet 2>&1)
check "a row off the file's declared interval (GAPUSDT@1h) is an error naming it" \
  "echo '$out' | grep -q 'irr.csv: bar 6 (open_time_ms 5400000) is 1800000 ms after the one before'" "$out"
printf '[replay]\nirregular = skip\n' >>"$T/irr.ini"
"$GORDON" run --config "$T/irr.ini" >"$T/irr.out" 2>"$T/irr.err"
check "with [replay] irregular = skip it is dropped, counted and said once" \
  "[ $? = 0 ] && grep -q 'irr.csv: 1 row(s) off its 3600000 ms interval skipped' '$T/irr.err' && grep -q '^bars *6' '$T/irr.out'" \
  "$(cat "$T/irr.err" "$T/irr.out" | head -20)"

# Reversals (ema_cross exits and enters the other way on one bar): the
# position being closed does not count against the gross cap of the entry
# that follows its exit, and the cap still holds for the entry itself.
rev_ini() { # rev_ini GROSS_CAP
  sed -e "s#^data = .*#data = USDCHF:$here/../data/usdchf_30m_1996_2001.csv#" -e "s#^intent_log = .*##" \
      -e "s#^max_gross_exposure_usd = .*#max_gross_exposure_usd = $1#" -e '/^\[instrument.SPX\]/,/^min_notional/d' \
      "$here/../examples/demo.ini"
}
rev_check() { # rev_check INTENTS GROSS_CAP
  "$PY" - "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cap = float(sys.argv[2])
exits = {(j['strategy'], j['symbol'], j['ts']) for j in rows if j['action'] == 'exit' and j['result'] == 'accepted'}
rev = [j for j in rows if j['action'] == 'entry' and j['result'] == 'accepted' and (j['strategy'], j['symbol'], j['ts']) in exits]
assert len(rev) >= 5, len(rev)
assert all(j['notional'] <= cap * 1.0001 for j in rows if j['action'] == 'entry' and j['result'] == 'accepted')
print(len(rev), sum(j.get('capped_by') == 'gross_exposure' for j in rev))
PY
}
rev_ini 70000 >"$T/rev.ini"
"$GORDON" run --config "$T/rev.ini" --plugin-dir "$PLUG" --intent-log "$T/rev.jsonl" --quiet >/dev/null 2>&1
r=$(rev_check "$T/rev.jsonl" 70000)
check "a reversal's entry is not clamped by the position its exit closes (gross cap 70000 over a 60000 order cap): $r" \
  "[ -n '$r' ] && [ '${r#* }' = 0 ]" "reversals, capped: $r"
rev_ini 40000 >"$T/rev40.ini"
"$GORDON" run --config "$T/rev40.ini" --plugin-dir "$PLUG" --intent-log "$T/rev40.jsonl" --quiet >/dev/null 2>&1
r=$(rev_check "$T/rev40.jsonl" 40000)
check "with a gross cap below the order cap every entry, reversals too, stays within it: $r" \
  "[ -n '$r' ] && [ '${r#* }' -ge 5 ]" "reversals, capped: $r"

# An ablation: each configuration's out-of-sample trades, window by window.
(cd "$here/.." && "$GORDON" ablate --config examples/ablate.ini --plugin-dir "$PLUG" --out "$T/ab" --jobs 2 \
  >"$T/ab.out" 2>"$T/ab.err")
check "the demo ablation runs" "[ $? = 0 ]" "$(tail -3 "$T/ab.err")"
check "DIR/trades/NAME.csv per configuration: its trades per window are the window's trade count in ablation.json" \
  "$PY - '$T/ab' <<'PY'
import csv, json, sys
d = sys.argv[1]
j = json.load(open(d + '/ablation.json'))
assert len(j['configurations']) >= 4
for c in j['configurations']:
    rows = list(csv.DictReader(open('%s/trades/%s.csv' % (d, c['name']))))
    assert len(rows) == c['metrics']['trades'], (c['name'], len(rows), c['metrics']['trades'])
    wins = [int(r['window']) for r in rows]
    assert wins == sorted(wins), c['name']
    for w, x in enumerate(c['windows']):
        if not x['failed']:
            assert wins.count(w) == x['metrics']['trades'], (c['name'], w, wins.count(w), x['metrics']['trades'])
PY" "$(ls "$T/ab/trades" 2>&1)"

out=$("$GORDON" run --config "$T/gap.ini" --trades "$T/no/such/dir/t.csv" --quiet 2>&1)
check "an unwritable trade list is refused before anything runs, naming it" \
  "echo '$out' | grep -q 'trades $T/no/such/dir/t.csv: No such file or directory'" "$out"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
