#!/usr/bin/env bash
# End-to-end: a backtest (gordon run) and an ablation configuration that
# close no trade say why at once: the top rejection reasons with their
# counts, as the intent log has them. Here min_qty is out of reach, so every
# signal the overlays let through is below it.
# usage: e2e_zero_trades.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
sed -e "s#\.\./data#$ROOT/data#g" -e "s#^intent_log = .*#intent_log = $T/intents.jsonl#" \
  -e 's/^min_qty = .*/min_qty = 1000000000/' "$ROOT/examples/demo.ini" >"$T/run.ini"
"$GORDON" run --config "$T/run.ini" --plugin-dir "$PLUGINS" --quiet >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && ok "run exits 0" || bad "run: exit $rc: $(tail -2 "$T/err")"
veto=$(grep -c '"reason":"overlay_veto"' "$T/intents.jsonl")
minq=$(grep -c '"reason":"below_min_qty"' "$T/intents.jsonl")
total=$(wc -l <"$T/intents.jsonl")
# Most frequent first, counts as in the intent log.
if [ "$veto" -ge "$minq" ]; then
  want="0 trades: $total signals, all rejected: $veto vetoed by an overlay, $minq below min_qty"
else
  want="0 trades: $total signals, all rejected: $minq below min_qty, $veto vetoed by an overlay"
fi
[ "$minq" -gt 0 ] && grep -qxF "warning         $want" "$T/out" && ok "run: $want" ||
  { bad "run: no warning '$want'"; sed 's/^/    /' "$T/out"; }

sed -e "s#\.\./data#$ROOT/data#g" -e 's/^min_qty = .*/min_qty = 1000000000/' "$ROOT/examples/ablate.ini" >"$T/ab.ini"
"$GORDON" ablate --config "$T/ab.ini" --plugin-dir "$PLUGINS" --out "$T/o" --jobs 2 --quiet >"$T/aout" 2>"$T/aerr"
rc=$?
[ "$rc" = 0 ] && ok "ablate exits 0" || bad "ablate: exit $rc: $(tail -2 "$T/aerr")"
# The baseline has no overlay: every signal is below min_qty.
grep -qE '^gordon ablate: warning: configuration baseline: 0 trades out of sample in [0-9]+ window\(s\): ([0-9]+) signals, all rejected: \1 below min_qty$' "$T/aerr" &&
  ok "ablate: baseline names below_min_qty with its count" || { bad "ablate: baseline warning"; sed 's/^/    /' "$T/aerr"; }
grep -qE '^gordon ablate: warning: configuration all: 0 trades .*: [0-9]+ signals, all rejected: [0-9]+ (vetoed by an overlay|below min_qty), [0-9]+ (vetoed by an overlay|below min_qty)$' "$T/aerr" &&
  ok "ablate: all names both reasons" || bad "ablate: all's warning"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
