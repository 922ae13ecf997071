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
. "$(dirname "$0")/db_e2e.sh"
db_e2e_begin "$1" "$2"

# A loopback port nothing listens on: the "primary" that is down.
DOWN=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
db_e2e_ini "$T/g.ini" "host=127.0.0.1,127.0.0.1 port=$DOWN,$PG_PORT user=gordon_test dbname=postgres connect_timeout=10 target_session_attrs=read-write" ""

timeout 180 "$GORDON" run --config "$T/g.ini" --plugin-dir "$PLUGINS" >"$T/out" 2>"$T/err"
rc=$?
check "the run exits 0" '[ $rc = 0 ]'
[ $rc = 0 ] || { tail -30 "$T/out" "$T/err"; exit 1; }
check "the writer connected (to the second host)" 'grep -q "database connected" "$T/err"'
check "no poll error was taken for the cause" '! grep -q "poll: bad file descriptor" "$T/err"'
check "every intent arrived: the intent log's ids, each once" db_e2e_intents_arrived
check "nothing is left in the journal unapplied" \
  '"$GORDON" journal "$T/state/journal" >"$T/j" 2>&1; grep -q ", 0 unapplied$" "$T/j"'
[ $fail = 0 ] || { grep -m5 '"db"' "$T/err" | cut -c1-300; cat "$T/j"; }
echo "1..$n"
exit $fail
