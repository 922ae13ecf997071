#!/usr/bin/env bash
# End-to-end: a replay writes every trading table through the journal, and
# the database agrees with the host's own counts.
#  - intents = the intent log's lines, fills = 2 x trades + open positions,
#    positions = trades + open, an equity point per fill plus start and stop;
#  - orders and their events follow the fills (entries filled, stops working
#    or filled or canceled, never an order without its intent);
#  - a breaker trip reaches trading.risk_events and trading.halt_latch;
#  - the halt latch: the database's halt wins over a clear state file, a
#    state file's halt wins over a clear database (the stricter, said in the
#    log); the journal is compacted once applied.
# usage: e2e_db_replay.sh GORDON PLUGIN_DIR
set -u
. "$(dirname "$0")/db_e2e.sh"
db_e2e_begin "$1" "$2"
config() { # config FILE [breaker]
  db_e2e_ini "$1" "$PG_DSN" ""
  if [ "${2:-}" = breaker ]; then printf '[breaker.dd]\nplugin = drawdown\nmax_drawdown_pct = 3\n' >>"$1"; fi
}

# --- 1. a replay, every table -------------------------------------------------
config "$T/a.ini"
"$GORDON" run --config "$T/a.ini" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err"; rc=$?
check "the replay with a database exits 0" '[ $rc = 0 ]'
[ $rc = 0 ] || { tail -20 "$T/out" "$T/err"; exit 1; }
trades=$(sed -n 's/^trades *\([0-9]*\).*/\1/p' "$T/out")
open=$(sed -n 's/^open positions *\([0-9]*\).*/\1/p' "$T/out")
check "it traded (trades: $trades)" '[ "${trades:-0}" -gt 100 ]'
check "the database connected" 'grep -q "database connected" "$T/err"'
check "intents in the database = the intent log's lines ($(wc -l <"$T/intents.jsonl"))" \
  '[ "$(q "SELECT count(*) FROM trading.intents")" = "$(wc -l <"$T/intents.jsonl")" ]'
if [ "$(q "SELECT count(*) FROM trading.intents")" != "$(wc -l <"$T/intents.jsonl")" ]; then
  echo "# intents in the database: $(q "SELECT count(*) FROM trading.intents"); the daemon said:"
  grep -E 'caught up|refused|rejected|database' "$T/err" | cut -c1-300 | head -8 | sed 's/^/#   /'
  [ -s "$T/state/journal/rejected.jsonl" ] && head -c 600 "$T/state/journal/rejected.jsonl" | sed 's/^/#   rejected: /'
fi
check "the same intent ids as the intent log" \
  '[ "$(q "SELECT id FROM trading.intents ORDER BY id" | md5sum)" = "$(python3 -c "import json,sys; print(\"\n\".join(str(i) for i in sorted(json.loads(l)[\"id\"] for l in open(sys.argv[1]))))" "$T/intents.jsonl" | md5sum)" ]'
check "fills = 2 x trades + open positions" '[ "$(q "SELECT count(*) FROM trading.fills")" = $((2 * trades + open)) ]'
check "positions = trades + open positions" '[ "$(q "SELECT count(*) FROM trading.positions")" = $((trades + open)) ] && [ "$(q "SELECT count(*) FROM trading.positions WHERE status = '"'"'open'"'"'")" = "$open" ]'
check "an equity point per fill, and at start and stop" '[ "$(q "SELECT count(*) FROM trading.equity_points")" = $((2 * trades + open + 2)) ]'
final=$(sed -n 's/^final equity *\([-0-9.]*\).*/\1/p' "$T/out")
check "the last equity point is the final equity ($final)" '[ "$(q "SELECT round(equity::numeric, 2) FROM trading.equity_points ORDER BY id DESC LIMIT 1")" = "$final" ]'
check "every entry fill has its entry order filled" '[ "$(q "SELECT count(*) FROM trading.orders WHERE kind = '"'"'entry'"'"' AND status = '"'"'filled'"'"'")" = "$(q "SELECT count(*) FROM trading.fills WHERE reason = '"'"'entry'"'"'")" ]'
check "every stop is working (open position), filled or canceled" '[ "$(q "SELECT count(*) FROM trading.orders WHERE kind = '"'"'stop'"'"' AND status NOT IN ('"'"'working'"'"', '"'"'filled'"'"', '"'"'canceled'"'"')")" = 0 ] && [ "$(q "SELECT count(*) FROM trading.orders WHERE kind = '"'"'stop'"'"' AND status = '"'"'working'"'"'")" = "$open" ]'
check "each order's events end in its status" '[ "$(q "SELECT count(*) FROM trading.orders o WHERE o.status <> (SELECT e.status FROM trading.order_events e WHERE e.client_id = o.client_id ORDER BY e.id DESC LIMIT 1)")" = 0 ]'
check "realised PnL of each position = the sum of its fills' (each net of its fee)" '[ "$(q "SELECT count(*) FROM trading.positions p WHERE abs(p.realized_pnl - (SELECT sum(f.realized_pnl) FROM trading.fills f WHERE f.position_id = p.id)) > 1e-6")" = 0 ] && [ "$(q "SELECT count(*) FROM trading.positions p WHERE abs(p.fees - (SELECT sum(f.fee) FROM trading.fills f WHERE f.position_id = p.id)) > 1e-6")" = 0 ]'

# The writer refreshes the statistics its foreign-key checks are planned
# with (last_analyze: an ANALYZE of its own; autovacuum's is last_autoanalyze).
check "the writer analyzed intents, orders and positions" '[ "$(q "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = '"'"'trading'"'"' AND relname IN ('"'"'intents'"'"', '"'"'orders'"'"', '"'"'positions'"'"') AND last_analyze IS NOT NULL")" = 3 ]'
check "the halt latch row says clear" '[ "$(q "SELECT halted FROM trading.halt_latch")" = f ]'
check "the journal is applied and compacted" '"$GORDON" journal "$T/state/journal" >"$T/j" 2>&1; grep -qi "applied" "$T/j" && [ "$(ls "$T/state/journal"/*.gdj | wc -l)" -le 1 ]'

# --- 2. a breaker trip reaches risk_events and the latch ----------------------
n1=$(wc -l <"$T/intents.jsonl") # a backtest starts its intent log afresh each run
# Rows already in the database for records the next run journals first (as
# if another writer used this source): records never sent go without the
# duplicate check, meet these, and go again with it; nothing is refused.
src=$(cat "$T/state/db_source")
top=$(q "SELECT greatest((SELECT max(journal_seq) FROM trading.intents), (SELECT max(id) FROM trading.fills),
  (SELECT max(id) FROM trading.equity_points), (SELECT max(id) FROM trading.order_events),
  (SELECT coalesce(max(id), 0) FROM trading.risk_events), (SELECT max(last_seq) FROM trading.positions))")
# Statistics current before the next run: a table that does not double in
# it is not analyzed again by the writer (on tables of millions of rows each
# ANALYZE held the writer up ~0.3 s for nothing).
q "ANALYZE trading.intents, trading.orders, trading.positions" >/dev/null
stats() { q "SELECT s.relname || ':' || s.analyze_count || ':' || c.relpages || ':' || pg_relation_size(c.oid) / current_setting('block_size')::int8
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = 'trading' AND s.relname IN ('intents', 'orders', 'positions') ORDER BY 1"; }
stats >"$T/stats_before"
q "INSERT INTO trading.equity_points (source, id, at, cause, equity, cash, unrealized, gross, open_positions, drawdown_pct)
   SELECT '$src', g, now(), 'timer', 1, 1, 0, 0, 0, 0 FROM generate_series($top + 1, $top + 40) g" >/dev/null
config "$T/b.ini" breaker
"$GORDON" run --config "$T/b.ini" --plugin-dir "$PLUGINS" >"$T/out2" 2>"$T/err2"; rc=$?
check "records never sent that met rows already there: sent again, none refused" \
  'grep -q "met rows already in the database" "$T/err2" && ! grep -q "refused by the database" "$T/err2" && [ ! -s "$T/state/journal/rejected.jsonl" ]'
stats >"$T/stats_after"
# name:analyze_count:relpages:pages, before and after: not doubled -> the same analyze_count.
not_doubled=$(join -t: "$T/stats_before" "$T/stats_after" | awk -F: '$7 <= 2 * $3 { n++; if ($2 != $5) bad++ } END { print n + 0 ":" bad + 0 }')
check "tables that did not double were not analyzed again (checked:refreshed = $not_doubled)" '[ "${not_doubled%%:*}" -ge 1 ] && [ "${not_doubled#*:}" = 0 ]'
check "a run with a tight drawdown breaker exits 0, halted" '[ $rc = 0 ] && grep -q "^halt latch *SET" "$T/out2"'
check "the trip is a risk event, who = the breaker" '[ "$(q "SELECT count(*) FROM trading.risk_events WHERE kind = '"'"'trip'"'"' AND who LIKE '"'"'breaker%'"'"'")" -ge 1 ]'
check "the database's halt latch is set, with who and why" '[ "$(q "SELECT halted, who <> '"''"', reason <> '"''"' FROM trading.halt_latch")" = "t|t|t" ]'
check "intents of both runs are in the database" '[ "$(q "SELECT count(*) FROM trading.intents")" = $((n1 + $(wc -l <"$T/intents.jsonl"))) ]'

# --- 3. the stricter latch wins ---------------------------------------------
# The state file is halted now; clear the database's row by hand: the host
# starts halted and brings the database back to halted.
q "UPDATE trading.halt_latch SET halted = false, reason = '', who = '', since = NULL" >/dev/null
"$GORDON" run --config "$T/a.ini" --plugin-dir "$PLUGINS" >"$T/out3" 2>"$T/err3"
check "state file halted, database clear: starts halted and says which" 'grep -q "state file says HALTED" "$T/err3" && grep -q "^halt latch *SET" "$T/out3"'
check "... and the database is halted again" '[ "$(q "SELECT halted FROM trading.halt_latch")" = t ]'
# A fresh state dir (clear) against a halted database: the database wins.
rm -rf "$T/state" && "$GORDON" init --state-dir "$T/state" >/dev/null
"$GORDON" run --config "$T/a.ini" --plugin-dir "$PLUGINS" >"$T/out4" 2>"$T/err4"
check "database halted, state file clear: starts halted and says which" 'grep -q "the database says HALTED" "$T/err4" && grep -q "^halt latch *SET" "$T/out4"'
check "... and no entry was accepted (its intents: all refused)" '[ -s "$T/intents.jsonl" ] && [ "$(grep "\"action\":\"entry\"" "$T/intents.jsonl" | grep -c "\"result\":\"accepted\"")" = 0 ]'

# --- 4. one connection or two: the same rows ----------------------------------
# [db] connections = 2 (the default) writes intents and orders on one
# connection and the rest on another, which waits for the first; 1 writes
# everything on one. The same run into two new databases gives the same rows
# (the source, the ids and the wall-clock times of the start and stop aside).
for c in 1 2; do
  q "CREATE DATABASE conns$c" >/dev/null
  dsn=${PG_DSN/dbname=postgres/dbname=conns$c}
  "$GORDON" migrate --dsn "$dsn" --migrations "$here/../migrations" >/dev/null 2>&1
  rm -rf "$T/state" && "$GORDON" init --state-dir "$T/state" >/dev/null
  db_e2e_ini "$T/c$c.ini" "$dsn" "" "connections = $c"
  "$GORDON" run --config "$T/c$c.ini" --plugin-dir "$PLUGINS" >"$T/outc$c" 2>"$T/errc$c"; rc=$?
  check "a replay with [db] connections = $c exits 0" '[ $rc = 0 ]'
  for t in intents orders order_events positions fills equity_points; do
    # Ids are made from the clock at start (and name orders): each run's differ.
    "$PG_BIN/psql" "$dsn" -X -q -t -A -c "SELECT to_jsonb(x) - 'source' - 'journal_seq' - 'last_seq' - 'id'
      - 'client_id' - 'intent_id' - 'position_id'
      - CASE WHEN to_jsonb(x)->>'cause' IN ('start', 'stop') THEN 'at' ELSE '' END FROM trading.$t x" |
      sort >"$T/rows$c.$t"
  done
done
for t in intents orders order_events positions fills equity_points; do
  check "$t: the same rows with one connection and with two ($(wc -l <"$T/rows1.$t") rows)" \
    '[ -s "$T/rows1.$t" ] && cmp -s "$T/rows1.$t" "$T/rows2.$t"'
done
check "two connections: the log says connected once both are" '[ "$(grep -c "database connected" "$T/errc2")" = 1 ]'

echo "1..$n"
exit $fail
