#!/usr/bin/env bash
# gordon-console end to end (issue 17): the real daemon in testnet mode
# against the loopback venue, its console driven by headless Chromium
# (puppeteer-core from npm, Debian's chromium), and its security checked
# from outside with curl: every route refuses without a session, a page of
# another origin cannot drive the buttons (Origin, CSRF), the headers hold.
#
#   tests/e2e_console.sh GORDON GORDON_VENUE TEST_PLUGIN_DIR
# Screenshots of each state: tests/console/artifacts/ (CONSOLE_ARTIFACTS).
set -u
GORDON=$(realpath "$1") VENUE=$(realpath "$2") TPLUG=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  declare -f pg_stop >/dev/null && pg_stop
  [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
. "$here/e2e_lib.sh"
. "$here/pg_cluster.sh"
ART=${CONSOLE_ARTIFACTS:-$here/console/artifacts}
mkdir -p "$ART"
CHROME=${CHROME:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROME" ] || { echo "FAIL - no chromium (apt-get install chromium)"; exit 1; }
[ -d "$here/console/node_modules/puppeteer-core" ] ||
  { echo "FAIL - no puppeteer-core: (cd tests/console && npm install) (make check does it)"; exit 1; }

[ "$(id -u)" = 0 ] && chmod 755 "$T"
pg_start "$T/pg" || { echo "FAIL - no PostgreSQL cluster"; exit 1; }
"$GORDON" migrate --dsn "$PG_DSN" --migrations "$here/../migrations" >"$T/mig" 2>&1 || { cat "$T/mig"; exit 1; }
# A walk-forward ablation on record for the strategy's .so: the bots list says so.
SHA=$(sha256sum "$TPLUG/always_long.so" | cut -d' ' -f1)
pg_psql -c "INSERT INTO trading.ablation_runs (run_id, host_version, config_sha256, config, plugins, symbols, data_from,
  data_to, data_sha256, windows, metrics) VALUES ('console-test', 'test', repeat('a', 64), '{}', '{\"strategy.long\":\"$SHA\"}',
  '{BTCUSDT}', '2024-01-01', '2024-02-01', repeat('b', 64), 1, '{}')" >/dev/null
KEY=console-key SECRET=console-secret
TOKEN_OUT=$("$GORDON" token new)
TOKEN=$(echo "$TOKEN_OUT" | sed -n '2p' | tr -d ' ')
HASH=$(echo "$TOKEN_OUT" | sed -n 's/.*operator_token_sha256 = //p')
venue_up "$T/venue.log" --symbol BTCUSDT:tick=0.10:step=0.001:minqty=0.001:notional=5:price=100.37 \
  --balance 10000 --fee-bps 4
"$GORDON" init --state-dir "$T/state" >/dev/null
# The breaker trips at the 40th bar (10 s in at 4 bars a second) for 40
# bars: the banner, a resume refused while it is tripped; the latch stays
# set after it cleared, until the operator resumes.
cat >"$T/console.ini" <<INI
[gordon]
mode = testnet
exit_when_done = false
state_dir = $T/state
plugin_dir = $TPLUG
[risk]
equity = 10000
risk_pct = 0.5
[executor]
kind = venue
[replay]
data = BTCUSDT:$here/../packaging/sample/sample_1h.csv
bars_per_sec = 4
$(venue_ini "poll_ms = 200")
[http]
listen = 127.0.0.1:0
operator_token_sha256 = $HASH
[console]
listen = 127.0.0.1:0
[db]
dsn = $PG_DSN
[strategy.long]
plugin = $TPLUG/always_long.so
[breaker.trip]
plugin = $TPLUG/trip_breaker.so
trip_at_ms = $((1704067200000 + 40 * 3600000))
hold_ms = $((40 * 3600000))
INI
"$GORDON" run --config "$T/console.ini" >"$T/gordon.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
wait_api "$T/gordon.log" "$DPID" || { bad "the daemon did not start"; show "$T/gordon.log"; exit 1; }
CPORT=""
for _ in $(seq 50); do
  CPORT=$(sed -n 's/.*operator console on .*(port \([0-9]*\)).*/\1/p' "$T/gordon.log" | head -1)
  [ -n "$CPORT" ] && break
  sleep 0.1
done
C=http://127.0.0.1:$CPORT
check "the console listens on its own port ($CPORT)" "[ -n '$CPORT' ]" "$(grep console "$T/gordon.log")"

# Security, from outside the browser.
curl -s -D "$T/h" -o /dev/null "$C/"
check "the page: a CSP without inline script, no framing, nosniff, no referrer" \
  "grep -qi \"^Content-Security-Policy: default-src 'none'; script-src 'self'\" '$T/h' && grep -qi '^X-Frame-Options: DENY' '$T/h' && grep -qi '^X-Content-Type-Options: nosniff' '$T/h' && grep -qi '^Referrer-Policy: no-referrer' '$T/h'" \
  "$(cat "$T/h")"
check "the page has no inline script (no script body, no on* handler attribute)" \
  "! curl -s '$C/' | grep -qE '<script>|<script [^s]|[[:space:]]on[a-z]+=\"'"
for r in "GET /events" "GET /session" "GET /api/risk/state" "GET /api/positions" "POST /api/risk/halt" "POST /api/risk/resume" \
  "POST /api/risk/emergency-flatten" "POST /api/strategies/long/quarantine" "POST /logout"; do
  set -- $r
  code=$(curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Origin: $C" "$C$2")
  check "without a session: $r refused ($code)" "[ '$code' = 401 ]"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "$C/")
check "a Host that is not this listener's is refused ($code: DNS rebinding)" "[ '$code' = 421 ]"
code=$(curl -s -o "$T/bad" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"token":"nope"}' "$C/login")
check "a wrong token does not log in ($code)" "[ '$code' = 401 ]" "$(cat "$T/bad")"
curl -s -D "$T/lh" -o "$T/login.json" -X POST -H 'Content-Type: application/json' -H "Origin: $C" \
  -d "{\"token\":\"$TOKEN\"}" "$C/login"
SID=$(sed -n 's/^Set-Cookie: gordon_session=\([0-9a-f]*\);.*/\1/p' "$T/lh" | tr -d '\r')
CSRF=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$T/login.json")
check "the operator's token logs in: an HttpOnly, SameSite=Strict cookie that expires, and a CSRF token" \
  "grep -qi '^Set-Cookie: gordon_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict; Max-Age=[0-9]' '$T/lh' && [ \${#CSRF} = 64 ]" \
  "$(cat "$T/lh" "$T/login.json")"
check "the token is in no log line" "! grep -q '$TOKEN' '$T/gordon.log'"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -b "gordon_session=$SID" -H "Origin: http://evil.example" \
  -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d '{"reason":"csrf"}' "$C/api/risk/halt")
check "CSRF: a POST from another origin, even with the cookie and the token, is refused ($code)" "[ '$code' = 403 ]"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -b "gordon_session=$SID" -H 'Content-Type: application/json' \
  -H "X-CSRF-Token: $CSRF" -d '{"reason":"csrf"}' "$C/api/risk/halt")
check "CSRF: a POST without an Origin is refused ($code)" "[ '$code' = 403 ]"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -b "gordon_session=$SID" -H "Origin: $C" \
  -H 'Content-Type: application/json' -d '{"reason":"csrf"}' "$C/api/risk/halt")
check "CSRF: a POST of this origin without the CSRF token is refused ($code)" "[ '$code' = 403 ]"
check "... and nothing was halted" "! curl -s '$U/risk/state' | grep -q '\"halted\":true'"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "gordon_session=$SID" "$C/api/risk/state")
check "with the session, the API's views ($code)" "[ '$code' = 200 ]"
curl -s -b "gordon_session=$SID" "$C/api/fills" >"$T/fills.json"
curl -s -b "gordon_session=$SID" "$C/api/intents" >"$T/intents.json"
check "the latest fills and intents (the operator API's /fills and /intents)" \
  "grep -q '\"live\":' '$T/fills.json' && grep -q '\"intents\":\[' '$T/intents.json'" "$(head -c 300 "$T/fills.json")"
timeout 3 curl -s -N -b "gordon_session=$SID" "$C/events" >"$T/sse" 2>/dev/null
check "the event stream pushes snapshots (server-sent events, no polling)" \
  "grep -q '^event: snapshot' '$T/sse' && grep -q '^data: {\"at_ms\":' '$T/sse'" "$(head -c 300 "$T/sse")"
curl -s -o /dev/null -X POST -b "gordon_session=$SID" -H "Origin: $C" -H "X-CSRF-Token: $CSRF" "$C/logout"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "gordon_session=$SID" "$C/api/risk/state")
check "after logout the session is gone ($code)" "[ '$code' = 401 ]"

# The operator, in a real browser.
(cd "$here/console" && CONSOLE_URL="$C" CONSOLE_TOKEN="$TOKEN" CHROME="$CHROME" ARTIFACTS="$ART" API_URL="$U" \
  timeout 180 node console.test.mjs) >"$T/browser.out" 2>&1
brc=$?
cat "$T/browser.out"
pass=$((pass + $(grep -c '^ok   - ' "$T/browser.out")))
fail=$((fail + $(grep -c '^FAIL - ' "$T/browser.out")))
check "the browser run finished ($brc)" "[ $brc = 0 ]" "$(tail -5 "$T/browser.out")"
check "the placed bot is a conf.d drop-in; the refused one left nothing" \
  "grep -q '^\[strategy.second\]' '$T/conf.d/90-console-second.ini' && grep -q '^risk_pct = 1' '$T/conf.d/90-console-second.ini' && [ ! -e '$T/conf.d/90-console-bad.ini' ]" \
  "$(ls "$T/conf.d" 2>&1)"
curl -s -D "$T/lh2" -o "$T/login2.json" -X POST -H 'Content-Type: application/json' -H "Origin: $C" \
  -d "{\"token\":\"$TOKEN\"}" "$C/login"
SID=$(sed -n 's/^Set-Cookie: gordon_session=\([0-9a-f]*\);.*/\1/p' "$T/lh2" | tr -d '\r')
CSRF=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$T/login2.json")
# The plugin catalogue: every .so of the directory described by a sandboxed
# worker; the hostile ones (an import of socket(), strings past their bounds)
# are listed with why, the daemon unharmed.
curl -s -b "gordon_session=$SID" -H "Origin: $C" "$C/bots" >"$T/bots.json"
check "the catalogue describes always_long (its parameter with range) and lists refused plugins with why" \
  "python3 - '$T/bots.json' <<'PY'
import json, sys
p = {x['name']: x for x in json.load(open(sys.argv[1]))['plugins']}
a = p['always_long']
assert a['kind'] == 'strategy' and len(a['sha256']) == 64, a
assert a['params'] == [{'name': 'risk_scale', 'type': 'double', 'default': 1, 'min': 0.001, 'max': 1, 'tunable': False,
                        'help': 'fraction of the risk budget per entry'}], a['params']
assert 'socket' in p['imports_socket']['error'], p['imports_socket']
assert 'error' in p['hostile_desc_strings'] and 'error' in p['hostile_params_count'], p['hostile_params_count']
assert p['vpin' if 'vpin' in p else 'trip_breaker']['kind'] == 'breaker'
assert not any(x.get('pending') for x in p.values()), [n for n, x in p.items() if x.get('pending')]
PY" "$(head -c 3000 "$T/bots.json")"
check "a placed bot's parameters are what the page's fields held" \
  "grep -q '^risk_scale = 0.5' '$T/conf.d/90-console-second.ini'" "$(cat "$T/conf.d/90-console-second.ini")"
code=$(curl -s -o "$T/inj" -w '%{http_code}' -X POST -b "gordon_session=$SID" -H "Origin: $C" -H "X-CSRF-Token: $CSRF" \
  -H 'Content-Type: application/json' -d '{"name":"x","plugin":"always_long","params":{"fast":"1\n[risk]\nrisk_pct = 5"}}' "$C/bots")
check "a parameter value cannot smuggle in a section (400, nothing written)" \
  "[ '$code' = 400 ] && [ ! -e '$T/conf.d/90-console-x.ini' ]" "$code $(cat "$T/inj")"
# A restart: the console's equity curve starts with the points this
# journal wrote to trading.equity_points before it.
kill -TERM "$DPID"
for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
RESTART_MS=$(date +%s%3N)
"$GORDON" run --config "$T/console.ini" >>"$T/gordon.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
wait_api "$T/gordon.log" "$DPID" 2 || { bad "the daemon did not start again"; show "$T/gordon.log"; }
CPORT=""
for _ in $(seq 50); do
  CPORT=$(sed -n 's/.*operator console on .*(port \([0-9]*\)).*/\1/p' "$T/gordon.log" | sed -n 2p)
  [ -n "$CPORT" ] && break
  sleep 0.1
done
C=http://127.0.0.1:$CPORT
curl -s -D "$T/lh3" -o /dev/null -X POST -H 'Content-Type: application/json' -H "Origin: $C" -d "{\"token\":\"$TOKEN\"}" "$C/login"
SID=$(sed -n 's/^Set-Cookie: gordon_session=\([0-9a-f]*\);.*/\1/p' "$T/lh3" | tr -d '\r')
old=no
for _ in $(seq 30); do
  curl -s -b "gordon_session=$SID" "$C/equity" >"$T/equity.json"
  old=$("$PY" -c 'import json,sys; p=json.load(open(sys.argv[1]))["points"]; print("yes" if p and p[0][0] < int(sys.argv[2]) else "no")' "$T/equity.json" "$RESTART_MS" 2>/dev/null)
  [ "$old" = yes ] && break
  sleep 0.5
done
check "after a restart the equity curve begins with the points on record from before it (trading.equity_points)" \
  "[ '$old' = yes ]" "$(head -c 300 "$T/equity.json")"
check "no sanitizer report" "! grep -q Sanitizer '$T/gordon.log'" "$(grep -m3 Sanitizer "$T/gordon.log")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
