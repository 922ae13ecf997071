#!/usr/bin/env bash
# bench/http_flood: how fast the kill switch answers while a slowloris holds
# the operator API, beside the same calls with no attack. The daemon runs
# with the default [http] limits; the attacker is tests/flood_slowloris.py
# (SOCKETS sockets from 127.0.0.1..4, each trickling a header, reconnecting
# when dropped; it stops by itself). Each call is a fresh curl, as an
# operator's would be.
# usage: bench/http_flood.sh [GORDON] [CALLS] [SOCKETS]   (default build/gordon, 300, 200)
set -eu
GORDON=${1:-build/gordon}
CALLS=${2:-300}
SOCKETS=${3:-200}
PLUGINS=$(dirname "$GORDON")/plugins
FLOOD="python3 $(cd "$(dirname "$0")/.." && pwd)/tests/flood_slowloris.py"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
HASH=$("$GORDON" token new >"$T/tok"; sed -n 's/.*operator_token_sha256 = //p' "$T/tok")
TOKEN=$(sed -n '2p' "$T/tok" | tr -d ' ')
"$GORDON" init --state-dir "$T/state" >/dev/null
cat >"$T/g.ini" <<INI
[gordon]
exit_when_done = false
state_dir = $T/state
[replay]
data = USDCHF:$PWD/data/usdchf_30m_1996_2001.csv
bars_per_sec = 200
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
INI
"$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/log" 2>&1 &
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$T/log" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "bench/http_flood: the daemon did not start"; cat "$T/log"; exit 1; }

calls() { # calls FILE: CALLS halts then CALLS flattens, "CODE SECONDS ENDPOINT" lines
  for ep in halt emergency-flatten; do
    for _ in $(seq "$CALLS"); do
      r=$(curl -s -o /dev/null --max-time 5 -w "%{http_code} %{time_total}" -X POST \
        -H "Authorization: Bearer $TOKEN" -d '{"reason":"bench"}' "http://127.0.0.1:$PORT/risk/$ep") || true
      echo "${r:-000 5} $ep" >>"$1"
    done
  done
}
line() { # line FILE ENDPOINT
  awk -v ep="$2" '$3 == ep' "$1" | sort -k2 -g | awk '{ n++; t[n] = $2 * 1000; if ($1 == 200 && $2 < 1.0) good++ }
    END { printf "%d/%d ok within 1 s, p50 %.1f ms, p99 %.1f ms, max %.1f ms", good, n,
          t[int((n + 1) * 0.50)], t[int(n * 0.99 + 0.999)], t[n] }'
}

calls "$T/ref"
SRC=127.0.0.1
python3 -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null && SRC=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
$FLOOD slowloris "$PORT" --sockets "$SOCKETS" --seconds 300 --source "$SRC" >"$T/sl.json" &
SL=$!
for _ in $(seq 50); do grep -q "is full" "$T/log" && break; sleep 0.1; done
calls "$T/att"
kill -TERM $SL; wait $SL || true
echo "bench/http_flood: $CALLS calls each, default [http] limits (64 connections, 32 per address)"
echo "halt,    no attack:        $(line "$T/ref" halt)"
echo "flatten, no attack:        $(line "$T/ref" emergency-flatten)"
echo "halt,    $SOCKETS-socket slowloris: $(line "$T/att" halt)"
echo "flatten, $SOCKETS-socket slowloris: $(line "$T/att" emergency-flatten)"
echo "slowloris: $(cat "$T/sl.json")"
