#!/usr/bin/env bash
# Pre-live stages and allocation end to end (issue 16, item 1):
#   - production refuses to start at a stage above the one on record,
#     naming the missing promotion, before anything reaches the venue;
#   - with the promotion on record it passes that gate (and goes on to the
#     venue: here a closed port, so it stops there);
#   - `gordon stage demote` records a demotion; the same start is refused
#     again; `gordon stage` shows the history;
#   - a backtest at stage micro sizes on min(equity, $500) and takes the
#     stage's caps; a cap above the stage's bound is refused naming the key.
# usage: e2e_stage.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
T=$(mktemp -d)
export TMPDIR=$T
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
. "$(dirname "$0")/e2e_lib.sh"

"$GORDON" init --state-dir "$T/state" >/dev/null
printf 'secret' >"$T/key"
chmod 600 "$T/key"
cat >"$T/prod.ini" <<INI
[gordon]
mode = production
stage = micro
state_dir = $T/state
[executor]
testnet = false
sl_required = true
kind = venue
[market]
source = venue
symbols = BTCUSDT
interval = 1m
[venue]
profile = live
rest_url = http://127.0.0.1:1
ws_url = ws://127.0.0.1:1
api_key = k
key_file = $T/key
timeout_ms = 300
startup_ms = 2000
[strategy.trend]
plugin = ema_cross
INI
run_prod() { GORDON_EXECUTOR_TESTNET=false timeout 30 "$GORDON" run --config "$T/prod.ini" --plugin-dir "$PLUGINS" >"$T/$1.log" 2>&1; echo $?; }

rc=$(run_prod first)
check "production at stage micro with nothing on record is refused (exit $rc)" \
  "[ $rc != 0 ] && [ $rc != 124 ] && grep -q 'no promotion to micro is on record' '$T/first.log'" "$(tail -3 "$T/first.log")"
check "the refusal names the file and says nothing was promoted" \
  "grep -q 'state/stage.json says testnet: nothing was ever promoted' '$T/first.log'"
check "refused before the venue was asked anything" "! grep -q 'venue start-up\|server time' '$T/first.log'" \
  "$(grep -m2 venue "$T/first.log")"

# The record a promotion leaves (written here by hand: `gordon promote` is its only writer).
printf '{"history":[{"stage":"micro","at_ms":%s,"by":"operator:test","why":"preflight passed"}]}' \
  "$(date +%s%3N)" >"$T/state/stage.json"
rc=$(run_prod second)
check "with micro on record the stage gate passes" \
  "grep -q 'stage micro (on record: micro); sizing on min(the account.s equity, 500.00)' '$T/second.log' && ! grep -q 'no promotion' '$T/second.log'" \
  "$(grep -m3 'stage\|error' "$T/second.log")"
check "and it went on to the venue (unreachable here: exit $rc)" "[ $rc != 0 ] && grep -q 'venue start-up' '$T/second.log'" \
  "$(tail -2 "$T/second.log")"

out=$("$GORDON" stage demote --to testnet --reason "fills out of tolerance" --state-dir "$T/state" 2>&1)
check "gordon stage demote records a demotion" "[ $? = 0 ] && echo '$out' | grep -q 'demoted to testnet'" "$out"
out=$("$GORDON" stage demote --to micro --reason again --config "$T/prod.ini" 2>&1)
check "a demotion goes below the stage on record" "echo '$out' | grep -q 'a demotion goes below it'" "$out"
rc=$(run_prod third)
check "after the demotion the micro start is refused again (exit $rc)" \
  "[ $rc != 0 ] && grep -q 'no promotion to micro is on record (.*says testnet)' '$T/third.log'" "$(tail -2 "$T/third.log")"
out=$("$GORDON" stage --config "$T/prod.ini" 2>&1)
check "gordon stage shows the stage and the history" \
  "echo '$out' | grep -q '^stage on record: testnet' && echo '$out' | grep -q 'micro .*by operator:test: preflight passed' && echo '$out' | grep -q 'testnet .*by cli:.*: fills out of tolerance'" "$out"

# A backtest at stage micro: sizing on $500, the stage's caps.
bt() { # bt NAME [risk lines]
  cat >"$T/$1.ini" <<INI
[gordon]
stage = ${STAGE:-micro}
intent_log = $T/$1.jsonl
[risk]
equity = 100000
risk_pct = 1
$2
[replay]
data = USDCHF:$PWD/data/usdchf_30m_1996_2001.csv
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.fast]
plugin = ema_cross
fast = 3
slow = 8
INI
  "$GORDON" run --config "$T/$1.ini" --plugin-dir "$PLUGINS" >"$T/$1.out" 2>&1
}
bt micro ""
rc=$?
# Accepted entries: at most 1% of $500 at risk to the stop, notional within
# the stage's per-order cap for $500 (2x = 1000).
risk_of() { "$PY" -c '
import json,sys
r=n=0
for l in open(sys.argv[1]):
    d=json.loads(l)
    if d.get("result")=="accepted" and d.get("action")=="entry":
        r=max(r,d["qty"]*abs(d["entry"]-d["stop"])); n=max(n,d["notional"])
print("%.4f %.2f" % (r,n))' "$1"; }
read -r maxr maxn <<<"$(risk_of "$T/micro.jsonl")"
check "a micro backtest runs (exit $rc) and sizes on \$500: at most \$5 at risk (largest $maxr), notional within 1000 ($maxn)" \
  "[ $rc = 0 ] && $PY -c 'import sys; sys.exit(not (0 < $maxr <= 5.0001 and 0 < $maxn <= 1000))'" "$(tail -3 "$T/micro.out")"
STAGE=testnet bt plain "" >/dev/null 2>&1 || true
read -r pr pn <<<"$(risk_of "$T/plain.jsonl")"
check "the same backtest without a live stage sizes on the whole equity: more at risk (\$$pr) than micro allows" \
  "$PY -c 'import sys; sys.exit(not $pr > 50)'" "$(tail -2 "$T/plain.out")"
bt capped "max_order_notional_usd = 5000" && rc=0 || rc=$?
check "a cap above the stage's bound is refused naming it (exit $rc)" \
  "[ $rc != 0 ] && grep -q 'max_order_notional_usd: 5000 is more than stage micro allows for an allocation of 500 (allowed: at most 1500)' '$T/capped.out'" \
  "$(tail -2 "$T/capped.out")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
