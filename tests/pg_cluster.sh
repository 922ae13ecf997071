# A throwaway PostgreSQL cluster for one test (source this file):
#   pg_start DIR   initdb + pg_ctl on DIR, a free loopback port, trust auth for
#                  the test role only; sets PG_DSN (and PG_BIN, PG_PORT)
#   pg_stop        stops it, whatever happened (also on EXIT via pg_trap)
#   pg_crash, pg_restart   an immediate stop, and a start on the same port
# As root, the cluster runs as the postgres user (initdb refuses root).
pg_find_bin() {
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { PG_BIN=$d; return 0; }
  done
  command -v initdb >/dev/null && { PG_BIN=$(dirname "$(command -v initdb)"); return 0; }
  return 1
}
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
  PG_DIR=$1
  pg_find_bin || { echo "pg_cluster: no initdb (apt-get install postgresql)"; return 77; }
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U gordon_test --auth=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log"; return 1; }
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off" start >/dev/null ||
    { cat "$PG_DIR/server.log"; return 1; }
  PG_DSN="host=127.0.0.1 port=$PG_PORT user=gordon_test dbname=postgres connect_timeout=10"
}
# pg_crash: the server dies as in a power cut (no shutdown checkpoint);
# pg_restart: the same cluster comes back on the same port.
pg_crash() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1; }
pg_restart() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off" start >/dev/null
}
pg_stop() {
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
  return 0
}
pg_psql() { "$PG_BIN/psql" "$PG_DSN" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
