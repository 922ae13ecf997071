#!/usr/bin/env bash
# End-to-end: a multi-host DSN, as a PostgreSQL failover pair is given to
# libpq ("host=primary,standby"), whose first host is down (its port
# refuses). The writer must go on to the next host, as libpq does, and
# apply every record there. libpq closes the refused socket and opens the
# next one, usually under the same descriptor number: the writer watched
# the old socket's dup and never connected (it logged "poll: bad file
# descriptor" forever) until it told sockets apart by inode.
# usage: e2e_db_failover.sh GORDON PLUGIN_DIR
set -u
GORDON=$(realpath "$1") PLUGINS=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pg_cluster.sh"
T=$(mktemp -d); [ "$(id -u)" = 0 ] && chmod 755 "$T"
trap 'pg_stop; rm -rf "$T"' EXIT
pg_start "$T/pg" || exit $?
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
q() { pg_psql -c "$1"; }

"$GORDON" migrate --dsn "$PG_DSN" --migrations "$here/../migrations" >"$T/mig" 2>&1 || { cat "$T/mig"; exit 1; }
# A loopback port nothing listens on: the "primary" that is down.
DOWN=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
head -3001 "$here/../data/usdchf_30m_1996_2001.csv" >"$T/bars.csv"
"$GORDON" init --state-dir "$T/state" >/dev/null || exit 1
cat >"$T/g.ini" <<INI
[gordon]
mode = backtest
state_dir = $T/state
intent_log = $T/intents.jsonl
[risk]
equity = 10000
risk_pct = 1
[replay]
data = USDCHF:$T/bars.csv
bars_per_sec = 3000
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
fast = 5
slow = 20
[db]
dsn = host=127.0.0.1,127.0.0.1 port=$DOWN,$PG_PORT user=gordon_test dbname=postgres connect_timeout=10 target_session_attrs=read-write
# Under ASan on two busy cores the writer can need more than the default 10 s.
drain_ms = 120000
INI

timeout 180 "$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err"
rc=$?
check "the run exits 0" '[ $rc = 0 ]'
[ $rc = 0 ] || { tail -30 "$T/out" "$T/err"; exit 1; }
check "the writer connected (to the second host)" 'grep -q "database connected" "$T/err"'
check "no poll error was taken for the cause" '! grep -q "poll: bad file descriptor" "$T/err"'
check "every intent arrived: the intent log's ids, each once" \
  '[ -s "$T/intents.jsonl" ] && [ "$(q "SELECT id FROM trading.intents ORDER BY id" | md5sum)" = "$(python3 -c "import json,sys; print(\"\n\".join(str(i) for i in sorted(json.loads(l)[\"id\"] for l in open(sys.argv[1]))))" "$T/intents.jsonl" | md5sum)" ]'
check "nothing is left in the journal unapplied" \
  '"$GORDON" journal "$T/state/journal" >"$T/j" 2>&1; grep -q ", 0 unapplied$" "$T/j"'
[ $fail = 0 ] || { grep -m5 '"db"' "$T/err" | cut -c1-300; cat "$T/j"; }
echo "1..$n"
exit $fail
