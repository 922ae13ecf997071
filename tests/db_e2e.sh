# What the database end-to-end tests share (source it; tests/pg_cluster.sh
# comes with it):
#   db_e2e_begin GORDON PLUGIN_DIR   GORDON, PLUGINS, here, T (removed on exit,
#       kept with KEEP=1; $PID, if set, is killed first), a throwaway cluster
#       with the trading schema, check and q, $T/bars.csv (the first 20,000
#       USD/CHF 30m bars) and an initialised state dir $T/state.
#   db_e2e_ini FILE DSN PACE [LINES]  the ema_cross backtest they run on those
#       bars, journaled to DSN, its intents in $T/intents.jsonl; PACE is
#       [replay] bars_per_sec ("" for as fast as it goes); LINES go after
#       [db]'s own (more [db] keys, or further sections).
#   db_e2e_intents_arrived   0 when trading.intents holds exactly the intent
#       log's ids, each once.
# shellcheck shell=bash

db_e2e_begin() {
  GORDON=$(realpath "$1") PLUGINS=$(realpath "$2")
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  . "$here/pg_cluster.sh"
  T=$(mktemp -d)
  [ "$(id -u)" = 0 ] && chmod 755 "$T"
  PID=
  trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; pg_stop; [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
  pg_start "$T/pg" || exit $?
  n=0 fail=0
  "$GORDON" migrate --dsn "$PG_DSN" --migrations "$here/../migrations" >"$T/mig" 2>&1 || { cat "$T/mig"; exit 1; }
  head -20001 "$here/../data/usdchf_30m_1996_2001.csv" >"$T/bars.csv"
  "$GORDON" init --state-dir "$T/state" >/dev/null || exit 1
}

check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
q() { pg_psql -c "$1"; }

db_e2e_ini() { # db_e2e_ini FILE DSN PACE [LINES]
  cat >"$1" <<INI
[gordon]
mode = backtest
state_dir = $T/state
intent_log = $T/intents.jsonl
[risk]
equity = 10000
risk_pct = 1
[replay]
data = USDCHF:$T/bars.csv
${3:+bars_per_sec = $3}
[instrument.USDCHF]
tick_size = 0.00001
step_size = 1
[strategy.ema]
plugin = ema_cross
fast = 5
slow = 20
[db]
dsn = $2
# Under ASan on two busy cores the writer can need more than the default 10 s.
drain_ms = 120000
${4:-}
INI
}

db_e2e_intents_arrived() {
  [ -s "$T/intents.jsonl" ] &&
    [ "$(q "SELECT id FROM trading.intents ORDER BY id" | md5sum)" = \
      "$(python3 -c 'import json,sys; print("\n".join(str(i) for i in sorted(json.loads(l)["id"] for l in open(sys.argv[1]))))' "$T/intents.jsonl" | md5sum)" ]
}
