#!/usr/bin/env bash
# The bar store (issue 18): `gordon data import` turns the demo's CSV into
# stores; the demo run on them writes the same intent log and summary as on
# the CSV, an ablation the same results; a damaged store is refused.
#
#   tests/e2e_store.sh GORDON BUNDLED_PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUG=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$here/e2e_lib.sh"

"$GORDON" data import --symbol SPX --interval 1d "$root/data/sp500_1d_2000_2020.csv" "$T/spx.gdb" >"$T/imp" 2>&1 &&
  "$GORDON" data import --symbol USDCHF --interval 30m "$root/data/usdchf_30m_1996_2001.csv" "$T/usdchf.gdb" >>"$T/imp" 2>&1
check "gordon data import writes both stores" "[ $? = 0 ] && grep -q '62496 bars of USDCHF' '$T/imp'" "$(cat "$T/imp")"
sed -e "s#^data = .*#data = SPX:$T/spx.gdb, USDCHF:$T/usdchf.gdb#" -e "s#^intent_log = .*##" \
  "$root/examples/demo.ini" >"$T/store.ini"
sed -e "s#^data = .*#data = SPX:$root/data/sp500_1d_2000_2020.csv, USDCHF:$root/data/usdchf_30m_1996_2001.csv#" \
  -e "s#^intent_log = .*##" "$root/examples/demo.ini" >"$T/csv.ini"
"$GORDON" run --config "$T/store.ini" --plugin-dir "$PLUG" --intent-log "$T/store.jsonl" --quiet >"$T/store.out" 2>/dev/null
"$GORDON" run --config "$T/csv.ini" --plugin-dir "$PLUG" --intent-log "$T/csv.jsonl" --quiet >"$T/csv.out" 2>/dev/null
check "the demo on the stores writes the same intent log as on the CSV" \
  "[ -s '$T/csv.jsonl' ] && cmp -s '$T/store.jsonl' '$T/csv.jsonl'" "$(cmp "$T/store.jsonl" "$T/csv.jsonl" 2>&1)"
check "... and the same summary" "diff <(grep -v '^replay ' '$T/store.out') <(grep -v '^replay ' '$T/csv.out') >/dev/null" \
  "$(diff <(grep -v '^replay ' "$T/store.out") <(grep -v '^replay ' "$T/csv.out") | head -5)"
sed -e "s#^data = .*#data = USDCHF:$T/usdchf.gdb#" "$root/examples/ablate.ini" >"$T/ab-store.ini"
sed -e "s#^data = .*#data = USDCHF:$root/data/usdchf_30m_1996_2001.csv#" "$root/examples/ablate.ini" >"$T/ab-csv.ini"
"$GORDON" ablate --config "$T/ab-store.ini" --plugin-dir "$PLUG" --out "$T/ab-store" --jobs 2 >/dev/null 2>&1
"$GORDON" ablate --config "$T/ab-csv.ini" --plugin-dir "$PLUG" --out "$T/ab-csv" --jobs 2 >/dev/null 2>&1
check "an ablation on the stores gives the same results as on the CSV" "$PY - '$T/ab-store' '$T/ab-csv' <<'PY'
import json, sys
a, b = (json.load(open(d + '/ablation.json')) for d in sys.argv[1:3])
assert a['configurations'] and a['configurations'] == b['configurations']
PY" "$(ls "$T/ab-store" "$T/ab-csv" 2>&1 | head)"
cp "$T/usdchf.gdb" "$T/bad.gdb"
printf '\x01' | dd of="$T/bad.gdb" bs=1 seek=5000 conv=notrunc 2>/dev/null
sed -e "s#usdchf.gdb#bad.gdb#" "$T/store.ini" >"$T/bad.ini"
out=$("$GORDON" run --config "$T/bad.ini" --plugin-dir "$PLUG" --quiet 2>&1)
check "a damaged store is refused, naming it" "echo '$out' | grep -q 'bad.gdb: bar store checksum mismatch'" "$out"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
