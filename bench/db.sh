#!/usr/bin/env bash
# bench/db.sh [BUILD_DIR] [bench_db args]: a throwaway PostgreSQL cluster
# (tests/pg_cluster.sh), the trading schema migrated into it, then bench_db
# against it; the cluster is stopped whatever happens. Part 1 (the loop) and
# part 2 (the writer) run one after the other on the same cluster, so the
# writer meets the tables part 1 filled. BENCH_PG_CPUS=LIST keeps the server
# (and every backend it forks) on those CPUs during part 1, as if it ran on
# another machine: with bench_db --pin on another CPU the loop has its own.
# BENCH_PG_WRITER_CPUS=LIST (default: every CPU) is where the server runs
# for part 2, where nothing else is measured: a database server has more
# than one CPU, and each of the writer's connections is one server process.
# With --phase in the arguments, bench_db runs once, as asked. Between the
# two parts (or alone, with --instructions) the loop's instructions with the
# database off and on, by callgrind (valgrind), when it is installed.
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
# BENCH_PG_SETTINGS="name=value ...": the server as configured for its
# tables (PostgreSQL's defaults, shared_buffers = 128 MB among them, are
# for a small machine); set, the server restarted, and said.
if [ -n "${BENCH_PG_SETTINGS:-}" ]; then
  for kv in $BENCH_PG_SETTINGS; do
    pg_psql -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >/dev/null || { echo "bench/db.sh: cannot set $kv" >&2; exit 1; }
  done
  pg_crash && pg_restart || { cat "$T/pg/server.log" >&2; exit 1; }
  if [ -n "${BENCH_PG_CPUS:-}" ]; then
    taskset -a -p -c "$BENCH_PG_CPUS" "$(head -1 "$T/pg/data/postmaster.pid")" >/dev/null || exit 1
  fi
fi
echo "bench/db.sh: server settings: $(pg_psql -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'fsync', 'synchronous_commit', 'wal_init_zero')")"
"$build/gordon" migrate --dsn "$PG_DSN" --migrations "$root/migrations" >/dev/null || exit 1
# The cluster runs with fsync=off (a test cluster): the figures measure the
# host's side, its journal fsyncs included, not the server's disk.
# --instructions: the loop's instructions by callgrind, one round with the
# database off and one on (after a warm-up pass), counted on the loop
# thread from each batch's start to its end (bench_db's feed(): the bars,
# their records, the flushes): the same every run, where a round's wall
# clock moves by tens of percent on a shared machine. What the records cost
# in instructions, not in cache misses: wall clock says the rest.
instructions() {
  command -v valgrind >/dev/null || { echo "bench/db.sh: valgrind is not installed (apt-get install -y valgrind): the loop's instruction counts are not measured" >&2; return 1; }
  local args=() a cg=$T/cg.out off on
  for a in "$@"; do case "$a" in --instructions) ;; *) args+=("$a") ;; esac; done
  echo "bench_db: the loop's instructions (callgrind, the loop thread in feed(): bars, records, flushes; one round each after a warm-up pass)"
  GORDON_DB_DSN=$PG_DSN valgrind -q --tool=callgrind --separate-threads=yes --toggle-collect=feed \
    --callgrind-out-file="$cg" "$build/bench/bench_db" "${args[@]}" --phase loop --rounds 1 >/dev/null || return 1
  count() { # the loop thread's count in the dump the bench named $1
    local f
    f=$(grep -l "^desc: Trigger: Client Request: round $1\$" "$cg".*-01 2>/dev/null | head -1)
    [ -n "$f" ] && awk '/^summary:/ {print $2}' "$f"
  }
  off=$(count off); on=$(count on)
  rm -f "$cg"*
  if [ -z "$off" ] || [ -z "$on" ] || [ "$off" = 0 ]; then
    echo "bench/db.sh: no round's counts from callgrind (bench_db built without valgrind/callgrind.h?)" >&2; return 1
  fi
  awk -v off="$off" -v on="$on" 'BEGIN { printf "  database off %d instructions a round, on %d: the database adds %.2f%% to the loop'"'"'s instructions (the goal, < 5%% of its throughput, is judged by wall clock above; this is the part of it no other work on the machine moves)\n", off, on, (on - off) / off * 100 }'
}
case " $* " in *" --instructions "*)
  instructions "$@"; exit $? ;;
esac
case " $* " in *" --phase "*)
  GORDON_DB_DSN=$PG_DSN "$build/bench/bench_db" "$@"; exit $? ;;
esac
GORDON_DB_DSN=$PG_DSN "$build/bench/bench_db" "$@" --phase loop || exit $?
instructions "$@" # needs valgrind; said and skipped without it
# Every process of the cluster (the postmaster, its background workers; new
# backends inherit the postmaster's CPUs) moves to the writer's CPUs.
pm=$(head -1 "$T/pg/data/postmaster.pid")
cpus=${BENCH_PG_WRITER_CPUS:-0-$(($(nproc) - 1))}
for st in /proc/[0-9]*/stat; do
  read -r pid _ _ ppid _ <"$st" 2>/dev/null || continue
  if [ "$pid" = "$pm" ] || [ "$ppid" = "$pm" ]; then
    taskset -a -p -c "$cpus" "$pid" >/dev/null 2>&1
  fi
done
# What the server did besides the writer's statements while it was timed:
# the writer meets tables part 1 filled, and autovacuum and checkpoints
# run on a server that is written to without pause; said beside the figure.
server_work() {
  pg_psql -F ' ' -c "SELECT (SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables WHERE schemaname = 'trading'),
    (SELECT coalesce(sum(autovacuum_count), 0) FROM pg_stat_user_tables WHERE schemaname = 'trading'),
    (SELECT coalesce(sum(autoanalyze_count), 0) FROM pg_stat_user_tables WHERE schemaname = 'trading'),
    (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)"
}
read -r rows0 av0 aa0 ck0 <<<"$(server_work)"
GORDON_DB_DSN=$PG_DSN "$build/bench/bench_db" "$@" --phase writer
rc=$?
sleep 1 # the backends' counters reach the statistics when they go idle
read -r rows1 av1 aa1 ck1 <<<"$(server_work)"
echo "  the server meanwhile: $((av1 - av0)) autovacuum(s), $((aa1 - aa0)) autoanalyze(s), $((ck1 - ck0)) checkpoint(s); the trading tables held ~$rows0 rows before, ~$rows1 after"
exit $rc
