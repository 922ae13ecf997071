#!/usr/bin/env bash
# gordon venue check against a Binance-shaped stub on the loopback
# (venue_stub.py: its clock 8 s ahead, signatures and timestamps verified):
# the offset, the symbols, one-way mode and the balance with a key; a hedge
# mode account, a world-readable key file, a live profile without
# GORDON_EXECUTOR_TESTNET=false, and a venue that does not answer, each
# refused with a clear message; the secret never printed.
# Then against the loopback venue (tests/venue/, gordon-venue): the same
# check with an HMAC key and with an Ed25519 key, both verified there.
# usage: e2e_venue_check.sh GORDON [GORDON_VENUE]
set -u
GORDON=$1 VENUE=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
stub() { # stub [hedge] -> PORT
  python3 "$here/venue_stub.py" 60 "${1:-}" >"$T/port.$$" &
  PIDS="$PIDS $!"
  for _ in $(seq 50); do [ -s "$T/port.$$" ] && break; sleep 0.1; done
  PORT=$(head -1 "$T/port.$$"); rm -f "$T/port.$$"
}
printf 'test-secret\n' >"$T/secret"; chmod 600 "$T/secret"
conf() { # conf FILE URL [extra lines]
  cat >"$1" <<INI
[gordon]
mode = backtest
[replay]
data = BTCUSDT:$here/../packaging/sample/sample_1h.csv
[instrument.BTCUSDT]
tick_size = 0.1
step_size = 0.001
[strategy.ema]
plugin = ema_cross
[venue]
profile = testnet
rest_url = $2
key_file = $T/secret
${3:-}
INI
}
stub; conf "$T/a.ini" "http://127.0.0.1:$PORT"
GORDON_VENUE_API_KEY=test-key "$GORDON" venue check --config "$T/a.ini" >"$T/out" 2>&1; rc=$?
check "venue check passes against the stub" '[ $rc = 0 ] && grep -q "^ok" "$T/out"' || cat "$T/out"
check "it measured the stub's clock (+8 s)" 'grep -Eq "server time +\+(79[0-9][0-9]|80[0-9][0-9]) ms" "$T/out"'
check "it found the configured symbol" 'grep -q "BTCUSDT *TRADING" "$T/out"'
check "signed requests passed: one-way mode and the balance" 'grep -q "position mode one-way" "$T/out" && grep -q "wallet 10000" "$T/out"'
check "the secret is never printed" '! grep -q "test-secret" "$T/out"'
GORDON_VENUE_API_KEY=wrong-key "$GORDON" venue check --config "$T/a.ini" >"$T/out" 2>&1; rc=$?
check "a wrong API key: refused, naming the venue's code" '[ $rc = 1 ] && grep -q -- "-2015" "$T/out"'
stub hedge; conf "$T/h.ini" "http://127.0.0.1:$PORT"
GORDON_VENUE_API_KEY=test-key "$GORDON" venue check --config "$T/h.ini" >"$T/out" 2>&1; rc=$?
check "a hedge-mode account is refused, saying how to fix it" '[ $rc = 1 ] && grep -q "hedge mode" "$T/out"'
chmod 644 "$T/secret"
GORDON_VENUE_API_KEY=test-key "$GORDON" venue check --config "$T/a.ini" >"$T/out" 2>&1; rc=$?
check "a key file others can read is refused" '[ $rc = 1 ] && grep -q "chmod 600" "$T/out"'
chmod 600 "$T/secret"
conf "$T/l.ini" "http://127.0.0.1:$PORT" 
sed -i 's/^profile = testnet/profile = live/' "$T/l.ini"
GORDON_VENUE_API_KEY=test-key "$GORDON" venue check --config "$T/l.ini" >"$T/out" 2>&1; rc=$?
check "profile live without GORDON_EXECUTOR_TESTNET=false is refused" '[ $rc = 1 ] && grep -q "GORDON_EXECUTOR_TESTNET=false" "$T/out"'
conf "$T/d.ini" "http://127.0.0.1:1" "timeout_ms = 500"
GORDON_VENUE_API_KEY=test-key timeout 20 "$GORDON" venue check --config "$T/d.ini" >"$T/out" 2>&1; rc=$?
check "a venue that does not answer: refused, said" '[ $rc = 1 ] && grep -q "fapi/v1/time" "$T/out"'
if [ -n "$VENUE" ]; then
  printf 'venue-secret\n' >"$T/vsecret"; chmod 600 "$T/vsecret"
  openssl genpkey -algorithm ed25519 -out "$T/ed.pem" 2>/dev/null && chmod 600 "$T/ed.pem"
  openssl pkey -in "$T/ed.pem" -pubout -out "$T/ed.pub.pem" 2>/dev/null
  "$VENUE" --port-file "$T/vport" --key "hmac-key:venue-secret" --ed25519-key "ed-key:$T/ed.pub.pem" \
    --symbol BTCUSDT:tick=0.10:step=0.001:minqty=0.001:notional=100:price=50000 --clock-offset-ms 3000 \
    >"$T/venue.log" 2>&1 &
  PIDS="$PIDS $!"
  for _ in $(seq 50); do [ -s "$T/vport" ] && break; sleep 0.1; done
  V=http://127.0.0.1:$(cat "$T/vport")
  sed "s|^key_file = .*|key_file = $T/vsecret|" "$T/a.ini" | sed "s|^rest_url = .*|rest_url = $V|" >"$T/v.ini"
  GORDON_VENUE_API_KEY=hmac-key "$GORDON" venue check --config "$T/v.ini" >"$T/out" 2>&1; rc=$?
  check "the loopback venue: HMAC-signed check passes, its clock found (+3 s)" \
    '[ $rc = 0 ] && grep -Eq "server time +\+(29[0-9][0-9]|30[0-9][0-9]) ms" "$T/out" && grep -q "position mode one-way" "$T/out"' || cat "$T/out"
  sed "s|^key_file = .*|key_file = $T/ed.pem\nkey_type = ed25519|" "$T/v.ini" >"$T/e.ini"
  GORDON_VENUE_API_KEY=ed-key "$GORDON" venue check --config "$T/e.ini" >"$T/out" 2>&1; rc=$?
  check "the loopback venue: Ed25519-signed check passes" '[ $rc = 0 ] && grep -q "wallet 10000" "$T/out"' || cat "$T/out"
fi
echo "1..$n"
exit $fail
