#!/usr/bin/env bash
# End-to-end: `gordon ablate` with an overlay that cannot load: the
# configurations with it fail, the others run, the outputs are written, and
# the exit status is 1 with a summary naming each failed configuration and
# why; and it says which strategy parameters it searches and which it pins.
# usage: e2e_ablate_failures.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
# Also: fast set in the strategy section while [ablate] ranges name none.
sed -e "s#\.\./data#$ROOT/data#g" -e "s#^plugin = session_filter#plugin = $T/missing.so#" \
  -e 's/^range\./;range./' -e 's/^atr_period = 14/atr_period = 14\nfast = 12/' \
  "$ROOT/examples/ablate.ini" >"$T/bad.ini"
"$GORDON" ablate --config "$T/bad.ini" --plugin-dir "$PLUGINS" --out "$T/o" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 1 ] && ok "exit 1 when a configuration failed" || bad "exit $rc, wanted 1"
grep -q '^gordon ablate: 4 of 8 configuration(s) failed:$' "$T/err" && ok "summary counts the failures" ||
  { bad "no failure summary"; sed 's/^/    /' "$T/err" | tail -6; }
for c in +hours all all-trend all-vol; do
  grep -q "^  $c .*overlay hours failed to load: .*missing.so" "$T/err" && ok "names $c and why" || bad "summary lacks $c"
done
grep -q '^  baseline ' "$T/err" && bad "baseline listed as failed" || ok "configurations that ran are not listed"
[ -s "$T/o/ablation.json" ] && [ -s "$T/o/report.html" ] && ok "outputs written all the same" || bad "outputs missing"
grep -q "^ablate: fast pinned at 12 (set in \[strategy.ema\] at $T/bad.ini:[0-9]*; remove it or add \[ablate\] range.fast" "$T/err" &&
  ok "says fast is pinned, where and why" || bad "no pinned line for fast"
grep -q "^ablate: slow searched over 3..500 step 1 (declared tunable range)" "$T/err" && ok "says slow is searched, over what" ||
  bad "no searched line for slow"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
