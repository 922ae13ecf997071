#!/usr/bin/env bash
# bench/db.sh [BUILD_DIR] [bench_db args]: a throwaway PostgreSQL cluster
# (tests/pg_cluster.sh), the trading schema migrated into it, then bench_db
# against it; the cluster is stopped whatever happens. BENCH_PG_CPUS=LIST
# keeps the server (and every backend it forks) on those CPUs, as if it ran
# on another machine: with bench_db --pin on another CPU the loop has its
# own.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
. "$root/tests/pg_cluster.sh"
T=$(mktemp -d); [ "$(id -u)" = 0 ] && chmod 755 "$T"
trap 'pg_stop; rm -rf "$T"' EXIT
pg_start "$T/pg" || exit $?
if [ -n "${BENCH_PG_CPUS:-}" ]; then
  taskset -a -p -c "$BENCH_PG_CPUS" "$(head -1 "$T/pg/data/postmaster.pid")" >/dev/null || exit 1
fi
# A server that has run a while recycles its WAL segments; a new cluster
# creates and zero-fills each 16 MB one as the writer fills it (7% of the
# server's CPU in this bench, perf): the steady state is measured.
pg_psql -c "ALTER SYSTEM SET wal_init_zero = off" >/dev/null && pg_psql -c "SELECT pg_reload_conf()" >/dev/null || exit 1
"$build/gordon" migrate --dsn "$PG_DSN" --migrations "$root/migrations" >/dev/null || exit 1
# The cluster runs with fsync=off (a test cluster): the figures measure the
# host's side, its journal fsyncs included, not the server's disk.
GORDON_DB_DSN=$PG_DSN "$build/bench/bench_db" "$@"
