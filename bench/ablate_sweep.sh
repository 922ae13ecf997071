#!/usr/bin/env bash
# bench/ablate_sweep.sh: the sharded-ablation sweep of issue 18. N synthetic 1-minute bars (default
# 10 M, about 19 years) x 8 overlay configurations (ema_cross with trend_filter, volatility_filter
# and session_filter toggled) x 16 parameter sets (range.fast 4 x range.slow 4) per window,
# walk-forward; wall time of
#   (a) gordon ablate --jobs 1
#   (b) gordon ablate --jobs 2
#   (c) SHARDS (4) concurrent `gordon ablate --shard K/4 --jobs 1`, then `gordon ablate merge`
# and whether (b)'s and the merge's ablation.json, report.html, trades/ and table are byte-identical
# to (a)'s. Figures, never assertions on time; exit 1 if a run fails or an output differs.
#
# usage: bench/ablate_sweep.sh [BUILD_DIR] [N_BARS]      (default build, 10000000)
# environment:
#   TRAIN, TEST, STEP  the windows (default 730d, 365d, 365d at 10 M bars, scaled with N_BARS
#                      otherwise, so any N gives about 17 windows)
#   SHARDS             shard count for (c) (default 4)
#   SEED               the bars' seed (default 12345)
#   KEEP=1             keep the work directory (bars, config, every output and log)
#   NO_BUILD=1         do not run `cmake --build BUILD_DIR --target gordon <plugins>` first
# At 10 M bars (a) takes about 100 s on the 2-core reference machine, the whole script about 5
# minutes (35 s of it writing and importing the bars), with ~1 GB of memory per gordon process
# (4 at once in (c)) and ~1 GB in $TMPDIR. Build or copy the binaries first if someone else may
# rebuild BUILD_DIR meanwhile: a binary that changes during the sweep invalidates it (detected).
set -euo pipefail
export LC_ALL=C
# The runs must see only the sweep's configuration.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^GORDON_' || true)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
N_BARS=${2:-10000000}
SHARDS=${SHARDS:-4}
SEED=${SEED:-12345}
case $N_BARS in '' | *[!0-9]*) echo "usage: $0 [BUILD_DIR] [N_BARS]" >&2; exit 2 ;; esac
case $SHARDS in '' | *[!0-9]* | 0) echo "ablate_sweep: SHARDS=$SHARDS: expected a positive integer" >&2; exit 2 ;; esac
[ "$N_BARS" -ge 20000 ] || { echo "ablate_sweep: N_BARS=$N_BARS: at least 20000" >&2; exit 2; }
[ -d "$BUILD" ] || [ ! -d "$ROOT/$BUILD" ] || BUILD=$ROOT/$BUILD
[ -d "$BUILD" ] || { echo "ablate_sweep: no build directory $BUILD (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release)" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd)
PLUGINS=(ema_cross trend_filter volatility_filter session_filter)
if [ -z "${NO_BUILD:-}" ] && [ -f "$BUILD/CMakeCache.txt" ]; then
    cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" --target gordon "${PLUGINS[@]}" >/dev/null
fi
GORDON=$BUILD/gordon
PLUGIN_DIR=$BUILD/plugins
RAN=("$GORDON")
for p in "${PLUGINS[@]}"; do RAN+=("$PLUGIN_DIR/$p.so"); done
for f in "${RAN[@]}"; do
    [ -e "$f" ] || { echo "ablate_sweep: $f missing: cmake --build $BUILD -j2 --target gordon ${PLUGINS[*]}" >&2; exit 2; }
done
# What ran: compared at the end, since a rebuild during the sweep would mix binaries.
fingerprint() { cat "${RAN[@]}" | sha256sum | cut -c1-64; }
FP0=$(fingerprint)

# Windows: 730d/365d/365d over 10 M bars (~6944 days, 17 windows), in proportion for other N.
days() { awk -v n="$N_BARS" -v d="$1" 'BEGIN { x = int(n * d / 10000000); print (x < 1 ? 1 : x) "d" }'; }
TRAIN=${TRAIN:-$(days 730)}
TEST=${TEST:-$(days 365)}
STEP=${STEP:-$TEST}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ablate_sweep.XXXXXX")
LOG=$WORK/logs
mkdir -p "$LOG"
# Kills what this script started and is still running (each recorded by its pid while it runs;
# /usr/bin/time's child too), then removes the work directory unless KEEP=1.
# shellcheck disable=SC2317 # (a trap)
cleanup() {
    local rc=$? f p
    trap - EXIT INT TERM
    for f in "$WORK"/pid.*; do
        [ -e "$f" ] || continue
        p=$(cat "$f" 2>/dev/null) || continue
        [ -n "$p" ] || continue
        pkill -TERM -P "$p" 2>/dev/null || true
        kill -TERM "$p" 2>/dev/null || true
    done
    if [ -n "${KEEP:-}" ]; then echo "ablate_sweep: kept $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
TIMECMD=()
if /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then TIMECMD=(/usr/bin/time -f %M -o); fi

# timed NAME CMD...: runs CMD with stdout in $LOG/NAME.out and stderr in $LOG/NAME.err, its pid in
# $WORK/pid.NAME while it runs; writes "RC START END MAXRSS_KB" to $WORK/time.NAME. Never fails.
timed() {
    local name=$1 t0 t1 rc pid rss=-
    shift
    t0=$(now)
    if [ ${#TIMECMD[@]} -gt 0 ]; then
        "${TIMECMD[@]}" "$WORK/rss.$name" "$@" >"$LOG/$name.out" 2>"$LOG/$name.err" &
    else
        "$@" >"$LOG/$name.out" 2>"$LOG/$name.err" &
    fi
    pid=$!
    echo "$pid" >"$WORK/pid.$name"
    if wait "$pid"; then rc=0; else rc=$?; fi
    t1=$(now)
    rm -f "$WORK/pid.$name"
    [ ! -s "$WORK/rss.$name" ] || rss=$(tail -n 1 "$WORK/rss.$name")
    case $rss in '' | *[!0-9]*) rss=- ;; esac
    echo "$rc $t0 $t1 $rss" >"$WORK/time.$name"
}
rc_of() { cut -d' ' -f1 "$WORK/time.$1"; }
wall_of() { local r t0 t1 _; read -r r t0 t1 _ <"$WORK/time.$1"; sub "$t1" "$t0"; }
rss_of() { cut -d' ' -f4 "$WORK/time.$1"; }
# "RUNS MBARS" from the line of a run's stdout that counts them ("2856 runs, 240.9 M bars, on ...",
# "gordon ablate: shard 0/4: 34 of the (configuration, window) pairs, 578 runs, 60.1 M bars ..."),
# or "- -".
summary_of() {
    local s
    s=$(sed -n 's/^\(.*[^0-9]\)\{0,1\}\([0-9][0-9]*\) runs, \([0-9.][0-9.]*\) M bars.*/\2 \3/p' "$LOG/$1.out" 2>/dev/null |
        tail -n 1)
    echo "${s:-- -}"
}
# The ranking table and the overlay effects: stdout up to the closing line.
table_of() { awk '/^[0-9]+ runs, [0-9.]+ M bars/ { exit } { print }' "$LOG/$1.out"; }
failed() { # failed NAME WHAT
    echo "ablate_sweep: $2 failed (exit $(rc_of "$1")); last lines of its stderr:" >&2
    tail -n 15 "$LOG/$1.err" >&2 || true
}

echo "ablate_sweep: $GORDON ($("$GORDON" --version 2>/dev/null | head -n 1))"
echo "ablate_sweep: work directory $WORK"

# --- The bars: a seeded random walk in log price with trend regimes (drift up, down or none,
# ~4000 bars each), volatility regimes (x0.5, x1, x2, ~33000 bars each), busier 07-20 UTC, a weak
# pull back to 100 (prices stay ~40..250). Park-Miller generator: the same bars from any awk.
echo "ablate_sweep: writing $N_BARS synthetic 1-minute bars (seed $SEED)"
t0=$(now)
awk -v N="$N_BARS" -v SEED="$SEED" -v T0=1104537600000 '
function rnd() { S = (S * 16807) % 2147483647; return S / 2147483647 }
function gauss(  u1, u2, r) {
    if (HAVE) { HAVE = 0; return SPARE }
    u1 = rnd(); u2 = rnd(); r = sqrt(-2 * log(u1))
    SPARE = r * sin(6.283185307179586 * u2); HAVE = 1
    return r * cos(6.283185307179586 * u2)
}
BEGIN {
    S = SEED % 2147483647; if (S <= 0) S = 1
    lp = log(100); l0 = lp; o = 100; drift = 0; volm = 1
    print "open_time_ms,open,high,low,close,volume"
    for (k = 0; k < N; k++) {
        u = rnd()
        if (u < 0.00025) { u = rnd(); drift = u < 0.4 ? 0.00002 : (u < 0.8 ? -0.00002 : 0) }
        else if (u > 0.99997) { u = rnd(); volm = u < 0.3 ? 0.5 : (u < 0.7 ? 1 : 2) }
        ms = T0 + k * 60000
        hr = int((ms % 86400000) / 3600000)
        sig = 0.0005 * volm * (hr >= 7 && hr < 20 ? 1.3 : 0.7)
        lp += drift + sig * gauss() - 0.000001 * (lp - l0)
        c = exp(lp)
        h = (o > c ? o : c) * (1 + sig * rnd())
        l = (o < c ? o : c) * (1 - sig * rnd())
        printf "%.0f,%.4f,%.4f,%.4f,%.4f,%.0f\n", ms, o, h, l, c, 20 + 400 * volm * rnd()
        o = c
    }
}' >"$WORK/bars.csv"
t1=$(now)
GEN_S=$(sub "$t1" "$t0")
timed import "$GORDON" data import --symbol SYN --interval 1m "$WORK/bars.csv" "$WORK/bars.gdb"
[ "$(rc_of import)" = 0 ] || { failed import "gordon data import"; exit 1; }
rm -f "$WORK/bars.csv"
echo "ablate_sweep: bars written in $GEN_S s, imported in $(wall_of import) s ($(cat "$LOG/import.out" "$LOG/import.err" | head -n 1))"

CFG=$WORK/sweep.ini
cat >"$CFG" <<INI
; bench/ablate_sweep.sh: $N_BARS synthetic 1-minute bars, 8 configurations x 16 parameter sets
[replay]
data = SYN:bars.gdb

[risk]
equity = 100000
risk_pct = 0.5
max_order_notional_usd = 200000
max_daily_notional_usd = 2000000
max_gross_exposure_usd = 200000

[executor]
fee_bps = 2
slippage_bps = 1

[instrument.SYN]
tick_size = 0.0001
step_size = 0.001
min_qty = 0.001
min_notional = 5

[strategy.ema]
plugin = ema_cross
atr_period = 14
atr_mult = 3

[overlay.trend]
plugin = trend_filter
period = 200

[overlay.vol]
plugin = volatility_filter
lookback = 500
min_pct = 5
max_pct = 95

[overlay.hours]
plugin = session_filter
start_hour = 7
end_hour = 20
weekdays_only = true

[ablate]
strategy = ema
train = $TRAIN
test = $TEST
step = $STEP
mode = rolling
objective = sharpe
range.fast = 10:40:10
range.slow = 60:240:60
max_param_sets = 16
bootstrap = 2000
seed = 1
periods_per_year = 365
INI
# One spelling of the config and plugin paths for every run: ablation.json records them.
COMMON=(--config "$CFG" --plugin-dir "$PLUGIN_DIR" --quiet)
STATUS=0

echo "ablate_sweep: (a) gordon ablate ${COMMON[*]} --out $WORK/out-j1 --jobs 1"
timed j1 "$GORDON" ablate "${COMMON[@]}" --out "$WORK/out-j1" --jobs 1
[ "$(rc_of j1)" = 0 ] || { failed j1 "(a) --jobs 1"; exit 1; }
echo "ablate_sweep:     $(head -n 1 "$LOG/j1.out")"
echo "ablate_sweep: (b) gordon ablate ... --out $WORK/out-j2 --jobs 2"
timed j2 "$GORDON" ablate "${COMMON[@]}" --out "$WORK/out-j2" --jobs 2
[ "$(rc_of j2)" = 0 ] || { failed j2 "(b) --jobs 2"; STATUS=1; }

# --- (c) shards. A gordon without the shard CLI says "unknown option --shard" (and, for merge,
# "unexpected argument 'merge'"): probe it on a missing config before starting anything.
SHARD_OK=1
SHARD_NOTE=
"$GORDON" ablate --config "$WORK/no-such.ini" --shard 0/1 --out "$WORK/probe" --quiet \
    >/dev/null 2>"$LOG/probe.err" || true
if grep -q -- "unknown option.*--shard\|unrecognized option.*--shard" "$LOG/probe.err"; then
    SHARD_OK=0
    SHARD_NOTE="skipped: this gordon has no --shard ($(head -n 1 "$LOG/probe.err"))"
fi
SHARD_DIR=$WORK/shards
if [ "$SHARD_OK" = 1 ]; then
    mkdir -p "$SHARD_DIR"
    echo "ablate_sweep: (c) $SHARDS x gordon ablate ... --shard K/$SHARDS --out $SHARD_DIR --jobs 1, concurrently"
    t0=$(now)
    subs=()
    for ((k = 0; k < SHARDS; k++)); do
        timed "shard-$k" "$GORDON" ablate "${COMMON[@]}" --shard "$k/$SHARDS" --out "$SHARD_DIR" --jobs 1 &
        subs+=($!)
    done
    for p in "${subs[@]}"; do wait "$p" || true; done
    t1=$(now)
    SHARDS_S=$(sub "$t1" "$t0")
    for ((k = 0; k < SHARDS; k++)); do
        if [ "$(rc_of "shard-$k")" != 0 ]; then
            SHARD_OK=0
            if grep -q -- "unknown option.*--shard" "$LOG/shard-$k.err"; then
                SHARD_NOTE="skipped: this gordon has no --shard ($(head -n 1 "$LOG/shard-$k.err"))"
            else
                failed "shard-$k" "(c) shard $k/$SHARDS"
                SHARD_NOTE="failed: shard $k/$SHARDS exited $(rc_of "shard-$k")"
                STATUS=1
            fi
        elif [ ! -f "$SHARD_DIR/shard-$k-of-$SHARDS.gdab" ]; then
            echo "ablate_sweep: warning: shard $k/$SHARDS succeeded but wrote no $SHARD_DIR/shard-$k-of-$SHARDS.gdab" >&2
        fi
    done
fi
if [ "$SHARD_OK" = 1 ]; then
    echo "ablate_sweep:     gordon ablate merge ${COMMON[*]} --out $WORK/out-merge $SHARD_DIR"
    timed merge "$GORDON" ablate merge "${COMMON[@]}" --out "$WORK/out-merge" "$SHARD_DIR"
    if [ "$(rc_of merge)" != 0 ]; then
        SHARD_OK=0
        if grep -q -- "unexpected argument 'merge'\|unknown command" "$LOG/merge.err"; then
            SHARD_NOTE="merge skipped: this gordon has no 'ablate merge' ($(head -n 1 "$LOG/merge.err"))"
        else
            failed merge "gordon ablate merge"
            SHARD_NOTE="failed: merge exited $(rc_of merge)"
            STATUS=1
        fi
    fi
fi

# --- The figures.
read -r RUNS MB < <(summary_of j1)
J1_S=$(wall_of j1)
row() { # row LABEL WALL RUNS MBARS RSS [part]: a part of (c) gets no speed-up
    awk -v l="$1" -v w="$2" -v r="$3" -v m="$4" -v rss="$5" -v part="${6:-}" -v base="$J1_S" 'BEGIN {
        bps = (m != "-" && w > 0) ? sprintf("%.1f", m / w) : "-"
        up = (w > 0 && part == "") ? sprintf("%.2fx", base / w) : "-"
        mem = (rss != "-" && rss != "") ? sprintf("%.0f", rss / 1024) : "-"
        printf "%-34s %9.2f %8s %10s %9s %8s %9s\n", l, w, r, m, bps, up, mem }'
}
echo
echo "ablate_sweep: $N_BARS 1-minute bars, $(sed -n 's/^walk-forward ablation of [^:]*: \([0-9]* windows ([^)]*)\).*/\1/p' "$LOG/j1.out"), 8 configurations x 16 parameter sets"
printf "%-34s %9s %8s %10s %9s %8s %9s\n" "run" "wall s" "runs" "M bars" "M bars/s" "vs j1" "peak MB"
row "(a) --jobs 1" "$J1_S" "$RUNS" "$MB" "$(rss_of j1)"
if [ "$(rc_of j2)" = 0 ]; then
    read -r r m < <(summary_of j2)
    row "(b) --jobs 2" "$(wall_of j2)" "$r" "$m" "$(rss_of j2)"
fi
if [ "$SHARD_OK" = 1 ]; then
    for ((k = 0; k < SHARDS; k++)); do
        read -r r m < <(summary_of "shard-$k")
        row "    shard $k/$SHARDS --jobs 1" "$(wall_of "shard-$k")" "$r" "$m" "$(rss_of "shard-$k")" part
    done
    row "(c) $SHARDS shards, concurrent" "$SHARDS_S" "-" "-" "-"
    row "    merge" "$(wall_of merge)" "-" "-" "$(rss_of merge)" part
    TOTAL_S=$(awk -v a="$SHARDS_S" -v b="$(wall_of merge)" 'BEGIN { printf "%.2f", a + b }')
    read -r r m < <(summary_of merge)
    [ "$r" != - ] || { r=$RUNS; m=$MB; }
    row "(c) shards + merge" "$TOTAL_S" "$r" "$m" "-"
else
    echo "(c) $SHARDS shards: $SHARD_NOTE"
fi

# --- Byte-identity with (a).
same() { # same LABEL OTHER_DIR OTHER_NAME
    local f v out=
    for f in ablation.json report.html; do
        if cmp -s "$WORK/out-j1/$f" "$2/$f"; then v=identical; else v=DIFFER; STATUS=1; fi
        out+=" $f $v,"
    done
    if diff -r -q "$WORK/out-j1/trades" "$2/trades" >/dev/null 2>&1; then v=identical; else v=DIFFER; STATUS=1; fi
    out+=" trades/ $v,"
    if cmp -s <(table_of j1) <(table_of "$3"); then v=identical; else v=DIFFER; STATUS=1; fi
    out+=" table $v"
    echo "$1 vs (a):$out"
}
echo
[ "$(rc_of j2)" != 0 ] || same "(b) --jobs 2" "$WORK/out-j2" j2
if [ "$SHARD_OK" = 1 ]; then same "(c) merge   " "$WORK/out-merge" merge; else echo "(c) merge    vs (a): n/a ($SHARD_NOTE)"; fi
if [ "$(fingerprint)" != "$FP0" ]; then
    echo "ablate_sweep: $GORDON or a plugin changed while the sweep ran (rebuilt?): the runs mixed binaries," \
        "so neither the figures nor the comparisons hold; run it again (NO_BUILD=1 on a copy of the build)" >&2
    STATUS=1
fi
exit "$STATUS"
