#!/usr/bin/env bash
# bench/replay_vs.sh [REV] [ROUNDS] [BUILD_DIR]: bench_replay at this tree's
# build beside bench_replay at REV (default 9743a12, the figure issue 11
# holds the pipeline to), REV built Release in a temporary worktree. The two
# run alternately, ROUNDS times each (default 8), on one CPU, on the real
# data only (--bars 1000 keeps the synthetic part short): one run's median
# is compared with the other's, taken the same minutes, because on a shared
# machine a figure read today and one read last week differ by more than
# the 5% being asked about. With valgrind installed, both also give their
# instructions in gd_engine_on_bar (callgrind, 300,000 synthetic bars):
# deterministic, but blind to where code falls in the cache, which moved
# this figure by up to 8% with no change in the work done.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-9743a12}
rounds=${2:-8}
build=${3:-$root/build}
head_bin=$build/bench/bench_replay
[ -x "$head_bin" ] || { echo "replay_vs: no $head_bin (make build)"; exit 1; }
T=$(mktemp -d)
cleanup() { git -C "$root" worktree remove --force "$T/ref" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
git -C "$root" worktree add --detach "$T/ref" "$rev" >/dev/null 2>&1 || { echo "replay_vs: cannot check out $rev"; exit 1; }
echo "replay_vs: building $rev (Release) in a temporary worktree"
(cd "$T/ref" && cmake -B build -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  cmake --build build -j"$(nproc)" --target bench_replay >/dev/null) || { echo "replay_vs: $rev does not build"; exit 1; }
ref_bin=$T/ref/build/bench/bench_replay
cpu=$(($(nproc) - 1))

# host M bars/s of the real data, or nothing
figure() { taskset -c "$cpu" "$1" --bars 1000 --reps 30 2>/dev/null |
  awk '/^real/ { for (i = 1; i <= NF; i++) if ($i == "host") print $(i + 1) }'; }
for ((r = 0; r < rounds; r++)); do
  echo "head $(figure "$head_bin")" >>"$T/runs"
  echo "ref $(figure "$ref_bin")" >>"$T/runs"
done
stat() { awk -v w="$1" '$1 == w && NF == 2 { print $2 }' "$T/runs" | sort -g |
  awk '{ v[NR] = $1 } END { if (NR) printf "%.2f %.2f %d", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }'; }
read -r hm hb hn <<<"$(stat head)"
read -r fm fb fn <<<"$(stat ref)"
[ -n "${hm:-}" ] && [ -n "${fm:-}" ] || { echo "replay_vs: a run printed no figure"; exit 1; }
printf 'real USD/CHF 30m, M bars/s over %d alternating rounds on CPU %d:\n' "$rounds" "$cpu"
printf '  this build  median %6s  best %6s  (%s runs)\n' "$hm" "$hb" "$hn"
printf '  %-10s  median %6s  best %6s  (%s runs)\n' "$rev" "$fm" "$fb" "$fn"
awk -v h="$hm" -v r="$fm" -v hb="$hb" -v rb="$fb" 'BEGIN {
  d = (h / r - 1) * 100; printf "  this build vs %s: %+.1f%% by median, %+.1f%% by best; within 5%%: %s\n",
  "the reference", d, (hb / rb - 1) * 100, (d >= -5 ? "yes" : "no") }'

if command -v valgrind >/dev/null; then
  instr() { valgrind --tool=callgrind --callgrind-out-file="$T/cg" --toggle-collect=gd_engine_on_bar \
    "$1" --bars 300000 --reps 1 2>&1 | awk '/Collected :/ { print $NF }'; }
  hi=$(instr "$head_bin")
  ri=$(instr "$ref_bin")
  # Nothing collected: the symbol is not there to toggle on (an LTO build
  # may inline or rename it).
  if [ "${hi:-0}" -gt 0 ] 2>/dev/null && [ "${ri:-0}" -gt 0 ] 2>/dev/null; then
    awk -v h="$hi" -v r="$ri" 'BEGIN {
      printf "instructions in gd_engine_on_bar (300,000 synthetic bars): this build %.1f M, reference %.1f M (%+.1f%%)\n",
      h / 1e6, r / 1e6, (h / r - 1) * 100 }'
  else
    echo "instructions: callgrind collected nothing in gd_engine_on_bar for one side (this build ${hi:-?}, reference ${ri:-?}): is the symbol there?"
  fi
fi
exit 0
