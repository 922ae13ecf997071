#!/usr/bin/env bash
# End-to-end: `gordon ablate` on the demo configuration (real data, bundled
# plugins), outputs present and sane, identical at --jobs 1 and 2, and the
# report renders in headless Chromium without errors.
# usage: e2e_ablate.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
T=$(mktemp -d)
export TMPDIR=$T # private plugin copies of killed daemons go away with it
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

if "$GORDON" ablate --config examples/ablate.ini --plugin-dir "$PLUGINS" --out "$T/j2" --jobs 2 >"$T/out" 2>"$T/err"; then
  ok "ablate runs"; else bad "ablate failed: $(tail -3 "$T/err")"; fi
for c in baseline +trend +vol +hours all all-trend all-vol all-hours; do
  grep -q "^$c " "$T/out" && ok "table lists $c" || bad "table lacks $c"
done
grep -q "overlay effects" "$T/out" && ok "table has overlay verdicts" || bad "no overlay verdicts"
[ -s "$T/j2/ablation.json" ] && [ -s "$T/j2/report.html" ] && ok "outputs written" || bad "outputs missing"
grep -q '"schema":[[:space:]]*1' "$T/j2/ablation.json" && grep -q '"sha256"' "$T/j2/ablation.json" &&
  grep -q '"git_describe"' "$T/j2/ablation.json" && ok "json names schema, hashes, git describe" || bad "json fields"

"$GORDON" ablate --config examples/ablate.ini --plugin-dir "$PLUGINS" --out "$T/j1" --jobs 1 --quiet >/dev/null 2>&1
cmp -s "$T/j1/ablation.json" "$T/j2/ablation.json" && ok "ablation.json identical at --jobs 1 and 2" || bad "json differs by job count"
cmp -s "$T/j1/report.html" "$T/j2/report.html" && ok "report.html identical at --jobs 1 and 2" || bad "html differs by job count"

# Refusals: a window longer than the data, an empty range.
printf '[ablate]\ntrain = 3000d\n' >"$T/long.ini"
if "$GORDON" ablate --config examples/ablate.ini --confd "$T" --plugin-dir "$PLUGINS" --out "$T/x" >"$T/out" 2>"$T/err"; then
  bad "accepted windows longer than the data"; else grep -q "windows longer than the data" "$T/err" && ok "refuses windows longer than the data" || bad "message: $(cat "$T/err")"; fi
rm -f "$T/long.ini"
printf '[ablate]\nrange.fast = 30:10:5\n' >"$T/range.ini"
if "$GORDON" ablate --config examples/ablate.ini --confd "$T" --plugin-dir "$PLUGINS" --out "$T/x" >"$T/out" 2>"$T/err"; then
  bad "accepted an empty range"; else grep -q "range.ini:2" "$T/err" && ok "empty range named with file:line" || bad "message: $(cat "$T/err")"; fi

bash tests/report_render.sh "$T/j2/report.html" "$T/report.png" >"$T/render" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "report renders in headless Chromium"; elif [ $rc = 77 ]; then echo "skip - chromium not installed"; else bad "render: $(tail -3 "$T/render")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
