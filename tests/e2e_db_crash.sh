#!/usr/bin/env bash
# End-to-end: the host is killed (-9) mid-run at several points, including
# with records journaled but not yet in the database (PostgreSQL down), and
# with a torn last record; after a restart nothing it had journaled is
# missing from trading.* and nothing is there twice. The journal as it was
# at each kill (`gordon journal --dump`) is the record of what was
# acknowledged; db_crash_check.py compares it with the tables' keys. A
# simulated run's positions end with its process: the next run marks what
# the killed ones left open as abandoned.
# usage: e2e_db_crash.sh GORDON PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUGINS=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pg_cluster.sh"
T=$(mktemp -d); [ "$(id -u)" = 0 ] && chmod 755 "$T"
PID=
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; pg_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
pg_start "$T/pg" || exit $?
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
q() { pg_psql -c "$1"; }

"$GORDON" migrate --dsn "$PG_DSN" --migrations "$here/../migrations" >"$T/mig" 2>&1 || { cat "$T/mig"; exit 1; }
head -20001 "$here/../data/usdchf_30m_1996_2001.csv" >"$T/bars.csv"
"$GORDON" init --state-dir "$T/state" >/dev/null || exit 1
J=$T/state/journal
cat >"$T/g.ini" <<INI
[gordon]
mode = backtest
state_dir = $T/state
[risk]
equity = 10000
risk_pct = 1
[replay]
data = USDCHF:$T/bars.csv
bars_per_sec = ${BARS_PER_SEC:-4000}
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
fast = 5
slow = 20
[db]
dsn = $PG_DSN
# Under ASan on two busy cores the writer can need more than the default 10 s.
drain_ms = 120000
reconnect_max_ms = 300
INI
k=0
# run_and_kill SECONDS: a paced run, killed -9 after SECONDS; the journal
# as the kill left it is dumped.
run_and_kill() {
  k=$((k + 1))
  "$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/out$k" 2>&1 &
  PID=$!
  sleep "$1"
  kill -9 $PID; wait $PID 2>/dev/null; PID=
  "$GORDON" journal --dump "$J" >"$T/dump$k" 2>"$T/dump$k.err"
}

run_and_kill 1.5    # mid-run, the writer busy
run_and_kill 0.6    # early: the start-up records and the first batches
check "kills 1 and 2: the journal held records" '[ "$(grep -c "\"seq\"" "$T/dump1")" -gt 0 ] && [ "$(grep -c "\"seq\"" "$T/dump2")" -gt 0 ]'
pg_crash            # records journaled now never reach the database before the kill
run_and_kill 1.5
check "kill 3 (database down): records were journaled and not applied" '[ "$(grep -c "\"seq\"" "$T/dump3")" -gt 100 ]'
pg_restart || { echo "cannot restart the cluster"; exit 1; }
# A torn last record: the kill came mid-append (half a record at the end).
seg=$(ls "$J"/*.gdj | tail -1)
before=$(stat -c %s "$seg")
head -c 37 /dev/urandom >>"$seg"
"$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/final" 2>&1; rc=$?
check "the final run exits 0" '[ $rc = 0 ]'
[ $rc = 0 ] || tail -20 "$T/final"
check "the torn record was found, dropped and logged" 'grep -q "torn" "$T/final"'
check "the records before it were replayed" 'grep -q "database connected" "$T/final"'
for t in intents order_events positions fills equity_points risk_events; do
  q "SELECT id FROM trading.$t" >"$T/$t"
done
q "SELECT client_id FROM trading.orders" >"$T/orders"
q "SELECT last_seq FROM trading.halt_latch" >"$T/latch"
check "everything journaled at every kill is in the database, once" \
  'python3 "$here/db_crash_check.py" "$T" "$T"/dump1 "$T"/dump2 "$T"/dump3 >"$T/cmp" 2>&1 || { cat "$T/cmp"; false; }'
cat "$T/cmp"
check "fills reference orders and positions that exist (foreign keys held)" \
  '[ "$(q "SELECT count(*) FROM trading.fills f LEFT JOIN trading.orders o USING (client_id) WHERE o.client_id IS NULL")" = 0 ]'
check "no fill recorded twice under two ids (same order, time, price, qty)" \
  '[ "$(q "SELECT count(*) FROM (SELECT client_id, at, price, qty, count(*) FROM trading.fills GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d")" = 0 ]'
check "the database refused nothing" '! grep -q "refused by the database" "$T/final" && [ ! -s "$J/rejected.jsonl" ]'
check "positions the killed runs left open are abandoned; one open at most" \
  '[ "$(q "SELECT count(*) FROM trading.positions WHERE status = '"'"'abandoned'"'"'")" -ge 1 ] && [ "$(q "SELECT count(*) FROM trading.positions WHERE status = '"'"'open'"'"'")" -le 1 ]'
check "nothing left unapplied" '"$GORDON" journal "$J" >"$T/j" 2>&1; grep -qi "applied" "$T/j"'
echo "1..$n"
exit $fail
