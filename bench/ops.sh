#!/usr/bin/env bash
# bench/ops: the operator API under load from wrk on loopback while a replay
# runs, and the replay's bars/second with and without that load.
# usage: bench/ops.sh [GORDON] [BARS]   (default build/gordon, 8000000 SYNTHETIC bars)
set -eu
GORDON=${1:-build/gordon}
BARS=${2:-8000000}
command -v wrk >/dev/null || { echo "bench/ops: wrk not installed (apt-get install wrk)"; exit 77; }
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
echo "bench/ops: generating $BARS SYNTHETIC 1-minute bars (seeded random walk)"
awk -v n="$BARS" 'BEGIN { srand(42); p = 100; t = 1500000000000; print "open_time_ms,open,high,low,close,volume";
  for (i = 0; i < n; i++) { o = p; c = o * (1 + (rand() - 0.5) * 0.004); h = (o > c ? o : c) * 1.0005; l = (o < c ? o : c) * 0.9995;
    printf "%.0f,%.5f,%.5f,%.5f,%.5f,%d\n", t, o, h, l, c, 100 + int(rand() * 900); t += 60000; p = c } }' >"$T/syn.csv"
conf() { # conf LISTEN_PORT
  cat <<INI
[gordon]
exit_when_done = ${EXIT:-true}
[replay]
data = SYN:$T/syn.csv
[instrument.SYN]
tick_size = 0.00001
step_size = 0.001
[strategy.ema]
plugin = ema_cross
[overlay.trend]
plugin = trend_filter
[overlay.vol]
plugin = volatility_filter
[overlay.hours]
plugin = session_filter
[breaker.dd]
plugin = drawdown
max_drawdown_pct = 100
[http]
listen = 127.0.0.1:$1
INI
}
replay_rate() { sed -n 's/^replay .*(\([0-9.]*\) M bars\/s).*/\1/p' "$1"; }

# Each run keeps the API up after its replay (exit_when_done = false) and
# stops on SIGTERM; wrk starts before the data has loaded, so its load spans
# the whole replay.
run_once() { # run_once PATH|none -> prints "bars/s|wrk summary"
  local path=$1 port=$((20000 + RANDOM % 20000))
  EXIT=false conf "$port" >"$T/r.ini"
  "$GORDON" run --config "$T/r.ini" --quiet >"$T/r.out" 2>&1 &
  local gp=$!
  for _ in $(seq 200); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
  if [ "$path" = none ]; then
    for _ in $(seq 400); do curl -s "http://127.0.0.1:$port/readyz" | grep -q '"ready":true' && break; sleep 0.05; done
    sleep 3
  else
    wrk -t2 -c32 -d8s --latency "http://127.0.0.1:$port$path" >"$T/wrk" 2>&1 || true
  fi
  kill -TERM $gp; wait $gp || true
}
wrk_line() { echo "$(sed -n 's/^Requests\/sec: *//p' "$T/wrk") req/s, p99 $(awk '/Latency Distribution/ { f = 1 } f && $1 == "99%" { print $2; exit }' "$T/wrk")"; }

run_once none
echo "replay, no load:              $(replay_rate "$T/r.out") M bars/s"
for path in /metrics /healthz; do
  run_once "$path"
  echo "replay under wrk $path: $(replay_rate "$T/r.out") M bars/s; wrk over the run: $(wrk_line)"
done
run_once none
echo "replay, no load (again):      $(replay_rate "$T/r.out") M bars/s"
