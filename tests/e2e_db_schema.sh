#!/usr/bin/env bash
# The trading schema (migrations/001_trading.sql) against a real PostgreSQL:
# it applies from empty, and its constraints refuse the states the risk rules
# forbid (each refusal below is a row the host must never be able to write).
# usage: e2e_db_schema.sh GORDON_BIN
set -u
GORDON=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pg_cluster.sh"
T=$(mktemp -d); [ "$(id -u)" = 0 ] && chmod 755 "$T"
trap 'pg_stop; rm -rf "$T"' EXIT
pg_start "$T/pg" || exit $?
fail=0; n=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
refused() { ! pg_psql -c "$2" >"$T/err" 2>&1 && grep -q "$3" "$T/err"; }
accepted() { pg_psql -c "$1" >"$T/err" 2>&1 || { cat "$T/err"; false; }; }

"$GORDON" migrate --dsn "$PG_DSN" --migrations "$here/../migrations" >"$T/out" 2>&1; rc=$?
check "migrations apply from empty" '[ $rc = 0 ]'; [ $rc = 0 ] || { cat "$T/out"; exit 1; }
for t in intents orders order_events positions fills equity_points risk_events halt_latch \
         ablation_runs soak_runs promotions restore_drills; do
  check "table trading.$t exists" '[ "$(pg_psql -c "SELECT to_regclass('"'"'trading.$t'"'"') IS NOT NULL")" = t ]'
done

I="INSERT INTO trading.intents (source, id, at, strategy, symbol, action, side, result, ref_price, stop, qty, notional, stop_required, journal_seq)"
check "an accepted long entry with its stop below the host's price" 'accepted "$I VALUES ('"'"'00000000000000aa'"'"', 1, now(), '"'"'ema'"'"', '"'"'BTCUSDT'"'"', '"'"'entry'"'"', 1, '"'"'accepted'"'"', 100, 95, 2, 200, true, 1)"'
check "an accepted entry without a stop: refused when stops are required" 'refused x "$I VALUES ('"'"'00000000000000aa'"'"', 2, now(), '"'"'ema'"'"', '"'"'BTCUSDT'"'"', '"'"'entry'"'"', 1, '"'"'accepted'"'"', 100, NULL, 2, 200, true, 2)" intents_check'
check "a long whose stop is above the host's price: refused" 'refused x "$I VALUES ('"'"'00000000000000aa'"'"', 3, now(), '"'"'ema'"'"', '"'"'BTCUSDT'"'"', '"'"'entry'"'"', 1, '"'"'accepted'"'"', 100, 101, 2, 200, true, 3)" intents_check'
check "a short whose stop is below the host's price: refused" 'refused x "$I VALUES ('"'"'00000000000000aa'"'"', 4, now(), '"'"'ema'"'"', '"'"'BTCUSDT'"'"', '"'"'entry'"'"', -1, '"'"'accepted'"'"', 100, 99, 2, 200, true, 4)" intents_check'
check "a rejected intent with a quantity: refused" 'refused x "$I VALUES ('"'"'00000000000000aa'"'"', 5, now(), '"'"'ema'"'"', '"'"'BTCUSDT'"'"', '"'"'entry'"'"', 1, '"'"'daily_cap'"'"', 100, 95, 2, 200, true, 5)" intents_check'
check "a side other than -1, 0, 1: refused" 'refused x "$I VALUES ('"'"'00000000000000aa'"'"', 6, now(), '"'"'ema'"'"', '"'"'BTCUSDT'"'"', '"'"'entry'"'"', 2, '"'"'no_stop'"'"', 100, 95, 0, 0, true, 6)" intents_side_check'
check "a negative quantity: refused" 'refused x "$I VALUES ('"'"'00000000000000aa'"'"', 7, now(), '"'"'ema'"'"', '"'"'BTCUSDT'"'"', '"'"'exit'"'"', 1, '"'"'accepted'"'"', 100, 0, -1, 0, true, 7)" intents_qty_check'
check "without required stops, an entry without a stop is representable" 'accepted "$I VALUES ('"'"'00000000000000aa'"'"', 8, now(), '"'"'ema'"'"', '"'"'ETHUSDT'"'"', '"'"'entry'"'"', 1, '"'"'accepted'"'"', 100, NULL, 2, 200, false, 8)"'

O="INSERT INTO trading.orders (source, client_id, intent_id, kind, strategy, symbol, side, qty, price, reduce_only, status, created_at, updated_at, last_seq)"
check "an entry order for intent 1" 'accepted "$O VALUES ('"'"'00000000000000aa'"'"', '"'"'g1-e'"'"', 1, '"'"'entry'"'"', '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, 2, NULL, false, '"'"'new'"'"', now(), now(), 10)"'
check "an order for an intent that does not exist: refused" 'refused x "$O VALUES ('"'"'00000000000000aa'"'"', '"'"'g99-e'"'"', 99, '"'"'entry'"'"', '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, 2, NULL, false, '"'"'new'"'"', now(), now(), 11)" foreign key'
check "a stop order that is not reduce-only: refused" 'refused x "$O VALUES ('"'"'00000000000000aa'"'"', '"'"'g1-s'"'"', 1, '"'"'stop'"'"', '"'"'ema'"'"', '"'"'BTCUSDT'"'"', -1, NULL, 95, false, '"'"'new'"'"', now(), now(), 12)" orders_check'
check "a stop order without a trigger price: refused" 'refused x "$O VALUES ('"'"'00000000000000aa'"'"', '"'"'g1-s'"'"', 1, '"'"'stop'"'"', '"'"'ema'"'"', '"'"'BTCUSDT'"'"', -1, NULL, NULL, true, '"'"'new'"'"', now(), now(), 12)" orders_check'
check "a client id Binance would refuse: refused" 'refused x "$O VALUES ('"'"'00000000000000aa'"'"', '"'"'g1 e!'"'"', 1, '"'"'entry'"'"', '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, 2, NULL, false, '"'"'new'"'"', now(), now(), 13)" client_id_check'

P="INSERT INTO trading.positions (source, id, strategy, symbol, side, qty, open_qty, entry, stop, stop_required, status, opened_at, updated_at, last_seq)"
check "an open position with its stop" 'accepted "$P VALUES ('"'"'00000000000000aa'"'"', 1, '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, 2, 2, 100, 95, true, '"'"'open'"'"', now(), now(), 14)"'
check "a second open position for the same strategy and symbol: refused" 'refused x "$P VALUES ('"'"'00000000000000aa'"'"', 8, '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, 2, 2, 100, 95, false, '"'"'open'"'"', now(), now(), 15)" positions_open'
check "a position without a stop when stops are required: refused" 'refused x "$P VALUES ('"'"'00000000000000aa'"'"', 8, '"'"'ema'"'"', '"'"'ETHUSDT'"'"', 1, 2, 2, 100, NULL, true, '"'"'open'"'"', now(), now(), 15)" positions_check'
check "a closed position without its close time: refused" 'refused x "UPDATE trading.positions SET status='"'"'closed'"'"', open_qty=0, exit_price=99 WHERE id=1" positions_check'

F="INSERT INTO trading.fills (source, id, client_id, intent_id, position_id, strategy, symbol, side, reason, qty, price, fee, realized_pnl, at)"
check "a fill of the entry order" 'accepted "$F VALUES ('"'"'00000000000000aa'"'"', 16, '"'"'g1-e'"'"', 1, 1, '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, '"'"'entry'"'"', 2, 100, 0.08, 0, now())"'
check "a fill of an order that was never recorded: refused" 'refused x "$F VALUES ('"'"'00000000000000aa'"'"', 17, '"'"'g1-x'"'"', 1, 1, '"'"'ema'"'"', '"'"'BTCUSDT'"'"', -1, '"'"'exit'"'"', 2, 100, 0.08, 0, now())" foreign key'
check "a fill naming another intent than its order's: refused" 'refused x "$F VALUES ('"'"'00000000000000aa'"'"', 19, '"'"'g1-e'"'"', 8, 1, '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, '"'"'entry'"'"', 2, 100, 0.08, 0, now())" fills_order_fkey'
check "a fill with zero quantity: refused" 'refused x "$F VALUES ('"'"'00000000000000aa'"'"', 18, '"'"'g1-e'"'"', 1, 1, '"'"'ema'"'"', '"'"'BTCUSDT'"'"', 1, '"'"'entry'"'"', 0, 100, 0.08, 0, now())" fills_qty_check'

check "the halt latch is one row" 'accepted "INSERT INTO trading.halt_latch (halted, reason, who, since, updated_at, source, last_seq) VALUES (true, '"'"'dd'"'"', '"'"'breaker:dd'"'"', now(), now(), '"'"'00000000000000aa'"'"', 1)" && refused x "INSERT INTO trading.halt_latch (id, halted, updated_at, source, last_seq) VALUES (2, false, now(), '"'"'00000000000000aa'"'"', 2)" halt_latch_id_check'
check "a halt without a reason: refused" 'refused x "UPDATE trading.halt_latch SET reason='"'"''"'"'" halt_latch_check'
check "promotion to production without a soak and an ablation on record: refused" 'refused x "INSERT INTO trading.promotions (strategy, plugin_sha256, from_mode, to_mode, approved_by) VALUES ('"'"'ema'"'"', repeat('"'"'a'"'"', 64), '"'"'testnet'"'"', '"'"'production'"'"', '"'"'op'"'"')" promotions_check'
check "a risk event without who: refused" 'refused x "INSERT INTO trading.risk_events (source, id, at, kind, who) VALUES ('"'"'00000000000000aa'"'"', 1, now(), '"'"'halt'"'"', '"'"''"'"')" risk_events_who_check'
check "a source id that is not 16 hex digits: refused" 'refused x "INSERT INTO trading.intents (source, id, at, strategy, symbol, action, side, result, stop_required, journal_seq) VALUES ('"'"'host-1'"'"', 90, now(), '"'"'ema'"'"', '"'"'X'"'"', '"'"'exit'"'"', 0, '"'"'halted'"'"', true, 90)" intents_source_check'
# 010 rewrote the two checks every row runs: the same strings refused.
src_refused() { refused x "INSERT INTO trading.intents (source, id, at, strategy, symbol, action, side, result, stop_required, journal_seq) VALUES ('$1', 90, now(), 'ema', 'X', 'exit', 0, 'halted', true, 90)" intents_source_check; }
check "a source of 15 or 17 hex digits, in upper case, or with a two-byte character: refused" 'src_refused 000000000000000 && src_refused 00000000000000aaa && src_refused 00000000000000AA && src_refused 00000000000000é && src_refused ""'
cid() { echo "INSERT INTO trading.orders (source, client_id, intent_id, kind, strategy, symbol, side, qty, price, reduce_only, status, created_at, updated_at, last_seq) VALUES ('00000000000000aa', '$1', 1, 'entry', 'ema', 'BTCUSDT', 1, 2, NULL, false, 'new', now(), now(), 13)"; }
cid37=$(printf 'a%.0s' $(seq 37))
check "a client id empty, of 37 characters or with a character outside Binance's set: refused" 'refused x "$(cid "")" client_id_check && refused x "$(cid "$cid37")" client_id_check && refused x "$(cid "g1-é")" client_id_check && refused x "$(cid "g1:e+")" client_id_check'
check "a client id of 36 characters of every allowed kind: accepted" 'accepted "$(cid "A.z:9/_-${cid37:0:28}")"'
check "the same ids from another source are other rows" 'accepted "INSERT INTO trading.intents (source, id, at, strategy, symbol, action, side, result, stop_required, journal_seq) VALUES ('"'"'00000000000000bb'"'"', 1, now(), '"'"'ema'"'"', '"'"'X'"'"', '"'"'exit'"'"', 0, '"'"'halted'"'"', true, 1)"'
check "re-running the migrations is a no-op" '"$GORDON" migrate --dsn "$PG_DSN" --migrations "$here/../migrations" >"$T/out" 2>&1 && grep -q "up to date\|nothing to apply\|0 applied" "$T/out" || { cat "$T/out"; false; }'
echo "1..$n"
exit $fail
