#!/usr/bin/env bash
# End-to-end: PostgreSQL dies mid-run (pg_ctl stop -m immediate) and comes
# back; the host trades on, journals, and every row arrives exactly once.
# Then each of the writer's two connections is ended on its own, mid-run.
# With a small [db] max_depth the db breaker opens during the outage (new
# entries refused, recorded as such) and closes once the database caught up.
# usage: e2e_db_outage.sh GORDON PLUGIN_DIR
set -u
. "$(dirname "$0")/db_e2e.sh"
db_e2e_begin "$1" "$2"
db_e2e_ini "$T/g.ini" "$PG_DSN" 2500 "max_depth = 300
reconnect_max_ms = 400"

# About 8 s of paced replay; the database is away from 2 s to 4.5 s.
"$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err" &
PID=$!
sleep 2
pg_crash
sleep 2.5
pg_restart || { echo "cannot restart the cluster"; exit 1; }
for _ in $(seq 300); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
wait $PID; rc=$?; PID=
check "the run exits 0 after the outage" '[ $rc = 0 ]'
[ $rc = 0 ] || { tail -30 "$T/out" "$T/err"; exit 1; }
check "it saw the connection go" 'grep -q "database connection lost" "$T/err"'
check "it reconnected" '[ "$(grep -c "database connected" "$T/err")" -ge 2 ]'
# While the server was down its port refused connections: the log says so as
# libpq does, not as the poll error libuv turns a socket's error into.
check "the failed reconnects say why (connection refused), not a poll error" \
  'grep -q "database connection failed: connect: .*Connection refused" "$T/err" && ! grep -q "poll: bad file descriptor" "$T/err"'
[ $fail = 0 ] || grep -E 'database (connection|connected)' "$T/err" | cut -c1-300 | head -12 | sed 's/^/#   /'
trades=$(sed -n 's/^trades *\([0-9]*\).*/\1/p' "$T/out")
open=$(sed -n 's/^open positions *\([0-9]*\).*/\1/p' "$T/out")
check "it kept trading through the outage (trades: $trades)" '[ "${trades:-0}" -gt 100 ]'
check "every intent arrived: the intent log's ids, each once" db_e2e_intents_arrived
check "every fill arrived once: 2 x trades + open positions" '[ "$(q "SELECT count(*) FROM trading.fills")" = $((2 * trades + open)) ]'
check "positions: trades + open" '[ "$(q "SELECT count(*) FROM trading.positions")" = $((trades + open)) ]'
check "equity points: one per fill, start and stop" '[ "$(q "SELECT count(*) FROM trading.equity_points")" -ge $((2 * trades + open + 2)) ]'
# Opened, then cleared; on a slow machine the catch-up after the outage may
# open it again while the journal is still deep, but it always ends clear.
bk=$(q "SELECT string_agg(kind, ',' ORDER BY id) FROM trading.risk_events WHERE kind LIKE 'db_breaker%'")
check "the db breaker opened during the outage and closed after ($bk)" \
  '[[ "$bk" =~ ^db_breaker,db_breaker_clear(,db_breaker,db_breaker_clear)*$ ]]'
check "entries refused meanwhile are on record with the reason" \
  '[ "$(q "SELECT count(*) FROM trading.intents WHERE result = '"'"'breaker_tripped'"'"' AND detail LIKE '"'"'%breaker db%'"'"'")" -gt 0 ]'
check "the journal is empty of unapplied records" '"$GORDON" journal "$T/state/journal" >"$T/j" 2>&1; cat "$T/j" | grep -qi "applied"'

# --- one of the writer's two connections dies, then the other -----------------
# The server ends one backend (pg_terminate_backend: an administrator, an
# idle timeout, a crashed backend): the other connection carries on, the one
# that died reconnects and sends again what it had in flight. The first
# connection writes intents and orders, the second the rows that refer to
# them; each is ended once, mid-run, into a database of its own.
q "CREATE DATABASE lanes" >/dev/null
dsn=${PG_DSN/dbname=postgres/dbname=lanes}
"$GORDON" migrate --dsn "$dsn" --migrations "$here/../migrations" >/dev/null 2>&1
rm -rf "$T/state" && "$GORDON" init --state-dir "$T/state" >/dev/null
db_e2e_ini "$T/l.ini" "$dsn" 2500 "reconnect_max_ms = 400"
"$GORDON" run --config "$T/l.ini" --plugin-dir "$PLUGINS" >"$T/outl" 2>"$T/errl" &
PID=$!
end_lane() { # end_lane 'TABLE|...': end the backend whose last statement wrote one of these
  local k e
  for k in $(seq 100); do # its last statement may be another (the statistics refresh): look again
    e=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'lanes'
           AND application_name = 'gordon' AND query ~ 'INTO trading\.($1) '")
    [ "$e" != 0 ] && break
    sleep 0.02
  done
  echo "$e"
}
sleep 2; ended1=$(end_lane 'intents|orders')
sleep 2; ended2=$(end_lane 'positions|fills|equity_points')
for _ in $(seq 300); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
wait $PID; rc=$?; PID=
check "a run whose connections were ended one at a time exits 0" '[ $rc = 0 ]'
check "each connection was ended once ($ended1, $ended2), and said so" \
  '[ "$ended1" = 1 ] && [ "$ended2" = 1 ] && grep -q "connection lost.*(first connection" "$T/errl" && grep -q "connection lost.*(second connection" "$T/errl"'
trades=$(sed -n 's/^trades *\([0-9]*\).*/\1/p' "$T/outl")
open=$(sed -n 's/^open positions *\([0-9]*\).*/\1/p' "$T/outl")
ql() { "$PG_BIN/psql" "$dsn" -X -q -t -A -c "$1"; }
check "every intent arrived, each once" '[ "$(ql "SELECT count(DISTINCT id) || '"'"' '"'"' || count(*) FROM trading.intents")" = "$(wc -l <"$T/intents.jsonl") $(wc -l <"$T/intents.jsonl")" ]'
check "every fill arrived once: 2 x trades + open positions ($trades, $open)" '[ "${trades:-0}" -gt 100 ] && [ "$(ql "SELECT count(*) FROM trading.fills")" = $((2 * trades + open)) ]'
check "positions: trades + open" '[ "$(ql "SELECT count(*) FROM trading.positions")" = $((trades + open)) ]'
check "nothing refused" '[ ! -s "$T/state/journal/rejected.jsonl" ] && ! grep -q "refused by the database" "$T/errl"'

echo "1..$n"
exit $fail
