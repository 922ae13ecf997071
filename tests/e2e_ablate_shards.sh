#!/usr/bin/env bash
# End-to-end: `gordon ablate --shard K/N` as separate processes, one shard
# run twice at once into the same directory, then `gordon ablate merge`:
# ablation.json, report.html and the trade lists byte for byte those of one
# `gordon ablate`. And the merge's refusals: a missing shard, a damaged one,
# one from another ablation, shards of different N.
# usage: e2e_ablate_shards.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
T=$(mktemp -d)
export TMPDIR=$T
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

python3 tests/portfolio_data.py "$T" 300 || { echo "FAIL - portfolio data"; exit 1; }
CFG=tests/fixtures/ablate_portfolio.ini
DATA=(--data "AAA:$T/AAA.csv" --data "BBB:$T/BBB.csv" --data "CCC:$T/CCC.csv")
ab() { "$GORDON" ablate --config "$CFG" --plugin-dir "$PLUGINS" "${DATA[@]}" --quiet "$@"; }
merge() { "$GORDON" ablate merge --plugin-dir "$PLUGINS" "${DATA[@]}" --quiet "$@"; }

ab --out "$T/one" --jobs 2 >"$T/one.txt" 2>"$T/one.err" || bad "single run: $(tail -3 "$T/one.err")"

# Three shards as three processes, and shard 1 twice at once into the same
# directory (two pods given the same index).
pids=()
for k in 0 1 2 1; do
  ab --shard "$k/3" --out "$T/shards" --jobs 1 >"$T/s$k.$RANDOM.out" 2>>"$T/shards.err" &
  pids+=($!)
done
rcs=0
for p in "${pids[@]}"; do wait "$p" || rcs=1; done
[ $rcs = 0 ] && ok "4 shard processes (1 twice) exit 0" || bad "a shard failed: $(cat "$T/shards.err")"
n=$(ls "$T/shards" | wc -l)
[ "$n" = 3 ] && ls "$T/shards" | grep -qx 'shard-1-of-3.gdab' && ok "exactly 3 shard files, no temporaries left" ||
  bad "shard dir: $(ls "$T/shards")"
grep -h "shard 1/3:" "$T"/s1.*.out | head -1 | grep -q "pairs, .* runs" && ok "a shard says what it ran" || bad "shard output: $(cat "$T"/s1.*.out)"

if merge --config "$CFG" --out "$T/merged" "$T/shards" >"$T/merged.txt" 2>"$T/merge.err"; then ok "merge runs"; else
  bad "merge: $(tail -3 "$T/merge.err")"; fi
cmp -s "$T/one/ablation.json" "$T/merged/ablation.json" && ok "ablation.json identical to the single run" || bad "ablation.json differs"
cmp -s "$T/one/report.html" "$T/merged/report.html" && ok "report.html identical to the single run" || bad "report.html differs"
diff -r "$T/one/trades" "$T/merged/trades" >/dev/null && ok "trade lists identical to the single run" || bad "trades differ"
diff <(grep -v ' runs, .* M bars' "$T/one.txt") <(grep -v ' runs, .* M bars' "$T/merged.txt") >/dev/null &&
  ok "table identical to the single run" || bad "table differs"
grep -q "merged from 3 shards" "$T/merged.txt" && ok "merge says how many shards" || bad "merge summary: $(tail -1 "$T/merged.txt")"
# The runs done and bars fed add up to the single run's.
runs1=$(grep -o '^[0-9]* runs' "$T/one.txt") runs2=$(grep -o '^[0-9]* runs' "$T/merged.txt")
[ -n "$runs1" ] && [ "$runs1" = "$runs2" ] && ok "shards' runs add up ($runs1)" || bad "runs: $runs1 vs $runs2"

# --config defaults to the one the shards recorded; a duplicate of a shard in
# another directory is the same work and is taken once.
mkdir -p "$T/extra" && cp "$T/shards/shard-1-of-3.gdab" "$T/extra/"
merge --out "$T/merged2" "$T/shards" "$T/extra" >/dev/null 2>"$T/m2.err" &&
  cmp -s "$T/one/ablation.json" "$T/merged2/ablation.json" && ok "merge without --config, a shard given twice: identical" ||
  bad "merge2: $(tail -3 "$T/m2.err")"

# Refusals.
if merge --out "$T/x" "$T/shards/shard-0-of-3.gdab" "$T/shards/shard-2-of-3.gdab" >/dev/null 2>"$T/e"; then
  bad "merged with a shard missing"; else grep -q "1 of 3 shards missing: 1" "$T/e" && ok "a missing shard is named" || bad "missing: $(cat "$T/e")"; fi
mkdir -p "$T/dmg" && cp "$T/shards"/*.gdab "$T/dmg/" && truncate -s -100 "$T/dmg/shard-2-of-3.gdab"
if merge --out "$T/x" "$T/dmg" >/dev/null 2>"$T/e"; then bad "merged a damaged shard"; else
  grep -q "shard-2-of-3.gdab: checksum mismatch" "$T/e" && ok "a damaged shard is refused, named" || bad "damaged: $(cat "$T/e")"; fi
mkdir -p "$T/confd" && printf '[risk]\nrisk_pct = 0.5\n' >"$T/confd/other.ini"
ab --confd "$T/confd" --shard 1/3 --out "$T/other" --jobs 1 >/dev/null 2>&1
mkdir -p "$T/mixed" && cp "$T/shards/shard-0-of-3.gdab" "$T/shards/shard-2-of-3.gdab" "$T/other/shard-1-of-3.gdab" "$T/mixed/"
if merge --config "$CFG" --out "$T/x" "$T/mixed" >/dev/null 2>"$T/e"; then bad "merged a shard of another ablation"; else
  grep -q "shard-1-of-3.gdab: from another ablation" "$T/e" && ok "a shard of another ablation is refused" || bad "other: $(cat "$T/e")"; fi
ab --shard 0/2 --out "$T/two" --jobs 1 >/dev/null 2>&1
if merge --out "$T/x" "$T/shards" "$T/two" >/dev/null 2>"$T/e"; then bad "merged shards of different N"; else
  grep -q "shard 0 of 2, but other shards are of 3" "$T/e" && ok "shards of different N are refused" || bad "N: $(cat "$T/e")"; fi
if ab --shard 3/3 --out "$T/x" >/dev/null 2>"$T/e"; then bad "accepted --shard 3/3"; else
  grep -q "expected K/N with 0 <= K < N" "$T/e" && ok "--shard K/N with K >= N is a usage error" || bad "3/3: $(cat "$T/e")"; fi
if ab --shard 0/100000 --out "$T/x" >/dev/null 2>"$T/e"; then bad "accepted more shards than pairs"; else
  grep -q "use at most" "$T/e" && ok "more shards than pairs is refused" || bad "100000: $(cat "$T/e")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
