#!/usr/bin/env bash
# [gordon] realtime_priority and lock_memory (issue 14's latency tail): the
# loop thread runs as SCHED_FIFO with the daemon's memory locked, the thread
# pool, the market-data loader and the database thread stay normal, on
# the other CPUs; without the privilege the
# daemon refuses to start, naming what is missing; bad values are refused
# with file:line.
#
#   tests/e2e_realtime.sh GORDON TEST_PLUGIN_DIR
set -u
GORDON=$(realpath "$1") TPLUG=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
. "$here/e2e_lib.sh"

ini() { # ini EXTRA-[gordon]-LINES
  cat <<INI
[gordon]
exit_when_done = false
$1
[replay]
data = BTCUSDT:$here/../packaging/sample/sample_1h.csv
bars_per_sec = 50
[instrument.BTCUSDT]
tick_size = 0.01
step_size = 0.001
[strategy.long]
plugin = $TPLUG/always_long.so
INI
}

# policy TID: the scheduling policy of a task of the daemon (0 normal, 1 FIFO), field 41 of its stat
policy() { sed 's/.*) //' "/proc/$DPID/task/$1/stat" 2>/dev/null | awk '{print $39}'; }

# AddressSanitizer's shadow cannot be locked: such a build refuses lock_memory.
LOCK=true
if ldd "$GORDON" | grep -q libasan; then
  LOCK=false
  ini "lock_memory = true" >"$T/asan.ini"
  out=$("$GORDON" run --config "$T/asan.ini" 2>&1)
  check "an AddressSanitizer build refuses lock_memory, saying why" "echo '$out' | grep -q 'not in a build with AddressSanitizer'" "$out"
fi
ini "realtime_priority = 10
lock_memory = $LOCK" >"$T/rt.ini"
# The strategy in a sandboxed worker: it runs at the loop's priority and
# locks its memory too.
printf '[isolation]\nplugins = true\n' >>"$T/rt.ini"
# And a database (nothing listens there: the writer retries in the
# background), so the database thread runs too.
"$GORDON" init --state-dir "$T/state" >/dev/null 2>&1
printf 'state_dir = %s\n' "$T/state" >"$T/sd"
sed -i "/^\[gordon\]/r $T/sd" "$T/rt.ini"
printf '[db]\ndsn = host=127.0.0.1 port=9 dbname=none connect_timeout=1\n' >>"$T/rt.ini"
"$GORDON" run --config "$T/rt.ini" >"$T/rt.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
for _ in $(seq 50); do grep -q 'loop thread:' "$T/rt.log" && break; kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
sleep 0.5
if grep -q 'loop thread: SCHED_FIFO priority 10' "$T/rt.log"; then
  ok "the daemon started with the loop thread real-time"
  check "the loop thread (the main task) is SCHED_FIFO" "[ '$(policy "$DPID")' = 1 ]" "policy $(policy "$DPID")"
  others=$(for t in /proc/$DPID/task/*; do t=${t##*/}; [ "$t" = "$DPID" ] || echo "$t=$(policy "$t")"; done)
  check "every other thread (the thread pool, the loader, the database thread) runs normally" \
    "[ -n '$others' ] && ! echo '$others' | grep -qv '=0$'" "$others"
  DBT=$(grep -l '^gordon-db$' /proc/$DPID/task/*/comm 2>/dev/null | head -1)
  DBT=${DBT%/comm}
  cpus() { awk '/^Cpus_allowed_list:/ {print $2}' "$1/status"; }
  check "the database thread runs (gordon-db), off the loop's CPU" \
    "[ -n '$DBT' ] && [ \"\$(cpus '$DBT')\" != \"\$(cpus /proc/$DPID/task/$DPID)\" ] || [ \$(nproc) = 1 ]" \
    "db thread ${DBT:-none}: $( [ -n "$DBT" ] && cpus "$DBT"), loop: $(cpus /proc/$DPID/task/$DPID)"
  [ $LOCK = true ] && check "its memory is locked (VmLck)" "awk '/^VmLck:/ {exit !(\$2 > 0)}' /proc/$DPID/status" "$(grep VmLck "/proc/$DPID/status")"
  W=
  for s in /proc/[0-9]*/stat; do
    l=$(cat "$s" 2>/dev/null) || continue
    case $l in *"(gordon-worker) "*) read -r -a f <<<"${l##*) }"; [ "${f[1]}" = "$DPID" ] && W=${l%% *} ;; esac
  done
  check "the plugin's worker runs SCHED_FIFO 10 too" "[ -n '$W' ] && [ \"\$(sed 's/.*) //' /proc/$W/stat | awk '{print \$39, \$38}')\" = '1 10' ]" "worker ${W:-none}"
  [ $LOCK = true ] && check "and its memory is locked (VmLck)" "awk '/^VmLck:/ {exit !(\$2 > 0)}' /proc/$W/status" "$(grep VmLck "/proc/$W/status" 2>&1)"
  kill -TERM "$DPID"
  wait "$DPID"
  rc=$?
  check "it stops cleanly ($rc)" "[ $rc = 0 ] || [ $rc = 130 ]"
else
  # Not privileged here (no CAP_SYS_NICE / CAP_IPC_LOCK): a clear refusal.
  wait "$DPID"
  rc=$?
  check "without the privilege the daemon refuses to start, naming what is missing" \
    "[ $rc != 0 ] && grep -Eq 'needs (CAP_SYS_NICE|CAP_IPC_LOCK)' '$T/rt.log'" "rc $rc: $(tail -3 "$T/rt.log")"
fi

# As an unprivileged user (no CAP_SYS_NICE, RLIMIT_RTPRIO 0) the refusal is
# real: run as nobody when this test runs as root.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups \
  --inh-caps=-all true 2>/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$GORDON"; then
  chmod 755 "$T"
  ini "realtime_priority = 10" >"$T/np.ini"
  chmod 644 "$T/np.ini"
  setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
    bash -c "ulimit -r 0 2>/dev/null; exec '$GORDON' run --config '$T/np.ini'" >"$T/np.log" 2>&1
  rc=$?
  check "unprivileged, the daemon refuses to start, naming CAP_SYS_NICE" \
    "[ $rc != 0 ] && grep -q 'cannot run the loop thread as SCHED_FIFO 10: .*needs CAP_SYS_NICE' '$T/np.log'" \
    "rc $rc: $(tail -3 "$T/np.log")"
else
  echo "skip - the unprivileged refusal (not root, or no setpriv, or nobody cannot run $GORDON)"
fi

ini "realtime_priority = 5.5" >"$T/frac.ini"
out=$("$GORDON" check --config "$T/frac.ini" 2>&1)
check "a fractional priority is refused with file:line" \
  "echo '$out' | grep -q 'frac.ini:3.*realtime_priority: 5.5 is not a whole number'" "$out"
ini "realtime_priority = 100" >"$T/big.ini"
out=$("$GORDON" check --config "$T/big.ini" 2>&1)
check "a priority above 99 is refused with file:line" "echo '$out' | grep -q 'big.ini:3.*realtime_priority'" "$out"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
