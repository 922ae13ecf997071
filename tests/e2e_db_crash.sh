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
. "$(dirname "$0")/db_e2e.sh"
db_e2e_begin "$1" "$2"
J=$T/state/journal
db_e2e_ini "$T/g.ini" "$PG_DSN" "${BARS_PER_SEC:-4000}" "reconnect_max_ms = 300"
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
# The database thread journals binary records; the dump shows each as its
# JSON object (what db_crash_check.py compares with the rows).
check "the journal holds binary records, dumped as JSON" '[ "$(grep -c "\"binary\":true,\"data\":{" "$T/dump3")" -gt 100 ]'
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
