#!/usr/bin/env bash
# `gordon ablate --record` against a real, throwaway PostgreSQL: one row of
# trading.ablation_runs whose hashes match the files (plugins, data), whose
# config holds no secret and whose metrics hold every configuration; the same
# run again is idempotent, a stored result that differs is refused, other
# inputs are another row; no DSN, or a database that does not answer, stops
# before the run; a database gone after the run fails with the report
# written; a password in the DSN is never printed.
# usage: e2e_db_ablate_record.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
T=$(mktemp -d)
chmod 755 "$T"
export TMPDIR=$T # the ablation's private plugin copies go away with it
. "$(dirname "$0")/pg_cluster.sh"
writer=
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; pg_stop; rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
pg_start "$T/pg"; rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "cannot start PostgreSQL"; exit 1; }
unset GORDON_DB_DSN

"$GORDON" migrate --dsn "$PG_DSN" --migrations migrations >"$T/out" 2>&1 || { cat "$T/out"; exit 1; }

# The demo's ablation on its first 12,000 bars (about 8 months, 5 windows): seconds.
CSV=$T/usdchf.csv
head -n 12001 data/usdchf_30m_1996_2001.csv >"$CSV"
mkdir -p "$T/confd" "$T/confd2"
# Secrets in the configuration: the [db] dsn is where this run finds its
# database (trust auth ignores the password), and neither may be recorded.
printf '[db]\ndsn = %s password=s3cret\n[fred]\napi_key = fredk3y\n' "$PG_DSN" >"$T/confd/50-secrets.ini"
printf '[executor]\nfee_bps = 3\n' >"$T/confd2/50-fees.ini"
ablate() { # OUT_DIR [options...]
  local out=$1
  shift
  "$GORDON" ablate --config examples/ablate.ini --data "USDCHF:$CSV" --plugin-dir "$PLUGINS" --out "$out" --quiet \
    "$@" >"$T/out" 2>"$T/err"
}
no_secret() { ! grep -q -e s3cret -e fredk3y "$T/out" "$T/err"; }
q() { pg_psql -c "$1"; }

# Refused before anything runs.
ablate "$T/none" --record; rc=$?
check "no DSN: exit 2, said, nothing run" \
  '[ $rc = 2 ] && grep -q "record needs a database: --dsn DSN, GORDON_DB_DSN or \[db\] dsn" "$T/err" && [ ! -e "$T/none" ]'
ablate "$T/none" --record --dsn "host=127.0.0.1 port=1 user=x dbname=x password=s3cret connect_timeout=2"; rc=$?
check "database down before the run: exit 1, said, nothing run" \
  '[ $rc = 1 ] && grep -q "cannot connect to the database.*nothing was run" "$T/err" && [ ! -e "$T/none" ]'
check "database down: the password is not printed" no_secret
ablate "$T/none" --record --dsn "host=127.0.0.1 password s3cret"; rc=$?
check "unreadable DSN: refused without quoting it" \
  '[ $rc = 1 ] && grep -q "not a valid libpq connection string" "$T/err" && no_secret && [ ! -e "$T/none" ]'
ablate "$T/none" --record --dsn "${PG_DSN/dbname=postgres/dbname=template1}"; rc=$?
check "unmigrated database: refused before the run" \
  '[ $rc = 1 ] && grep -q "no trading.ablation_runs: run gordon migrate first" "$T/err" && [ ! -e "$T/none" ]'
ablate "$T/none" --dsn "$PG_DSN"; rc=$?
check "--dsn without --record: usage error" '[ $rc = 2 ] && [ ! -e "$T/none" ]'

# The record, its DSN from [db] dsn.
ablate "$T/rec1" --confd "$T/confd" --record; rc=$?
check "record: exit 0" '[ $rc = 0 ]'; [ $rc = 0 ] || cat "$T/err"
line=$(grep "^recorded as trading.ablation_runs id" "$T/out")
id=$(sed -n 's/^recorded as trading.ablation_runs id \([0-9]*\), run_id \([0-9a-f]*\)$/\1/p' <<<"$line")
run_id=$(sed -n 's/^recorded as trading.ablation_runs id \([0-9]*\), run_id \([0-9a-f]*\)$/\2/p' <<<"$line")
check "record: prints the row's id and run_id" '[ -n "$id" ] && [ ${#run_id} = 64 ]'
check "record: the report is written too" '[ -s "$T/rec1/ablation.json" ] && [ -s "$T/rec1/report.html" ]'
check "record: no password or key printed" no_secret
check "one row, the one printed" '[ "$(q "SELECT count(*) || '"'"' '"'"' || max(id) || '"'"' '"'"' || max(run_id) FROM trading.ablation_runs")" = "1 $id $run_id" ]'
want=$(for p in strategy.ema:ema_cross overlay.trend:trend_filter overlay.vol:volatility_filter overlay.hours:session_filter; do
  echo "${p%%:*} $(sha256sum <"$PLUGINS/${p#*:}.so" | cut -c1-64)"; done | sort)
check "plugins: each instance with the sha256 of its .so" \
  '[ "$(q "SELECT key || '"'"' '"'"' || value FROM trading.ablation_runs, jsonb_each_text(plugins) ORDER BY 1")" = "$want" ]'
check "config_sha256: 64 hex" '[[ "$(q "SELECT config_sha256 FROM trading.ablation_runs")" =~ ^[0-9a-f]{64}$ ]]'
check "config: the effective one (the plugin sections, --data)" \
  '[ "$(q "SELECT (config->'"'"'strategy.ema'"'"'->>'"'"'plugin'"'"') || '"'"' '"'"' || (config->'"'"'replay'"'"'->'"'"'data'"'"'->0->>'"'"'path'"'"') || '"'"' '"'"' || (config->'"'"'ablate'"'"'->>'"'"'train'"'"') FROM trading.ablation_runs")" = "ema_cross $CSV 180d" ]'
check "config: no dsn, no api_key, no secret" \
  '[ "$(q "SELECT config ? '"'"'db'"'"' OR config ? '"'"'fred'"'"' OR config::text ~ '"'"'dsn|api_key|s3cret|fredk3y'"'"' FROM trading.ablation_runs")" = f ]'
first=$(sed -n 2p "$CSV" | cut -d, -f1)
last=$(tail -n 1 "$CSV" | cut -d, -f1)
check "data range: first bar's open to last bar's close" \
  '[ "$(q "SELECT (extract(epoch FROM data_from) * 1000)::bigint || '"'"' '"'"' || (extract(epoch FROM data_to) * 1000)::bigint FROM trading.ablation_runs")" = "$first $((last + 1800000))" ]'
dsha=$(printf '%s  USDCHF\n' "$(sha256sum <"$CSV" | cut -c1-64)" | sha256sum | cut -c1-64)
check "data_sha256: sha256sum lines of the data files, hashed" '[ "$(q "SELECT data_sha256 FROM trading.ablation_runs")" = "$dsha" ]'
check "symbols and windows" '[ "$(q "SELECT array_to_string(symbols, '"'"','"'"') || '"'"' '"'"' || windows FROM trading.ablation_runs")" = "USDCHF $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"windows\"]))" "$T/rec1/ablation.json")" ]'
check "metrics: every configuration and overlay of the report" \
  '[ "$(q "SELECT string_agg(c->>'"'"'name'"'"', '"'"','"'"') || '"'"' '"'"' || jsonb_array_length(metrics->'"'"'overlays'"'"') FROM trading.ablation_runs, jsonb_array_elements(metrics->'"'"'configurations'"'"') c GROUP BY metrics")" = "baseline,+trend,+vol,+hours,all,all-trend,all-vol,all-hours 3" ]'
check "metrics: per-configuration metrics and verdicts" \
  '[ "$(q "SELECT (metrics->'"'"'configurations'"'"'->0->'"'"'metrics'"'"') ? '"'"'sharpe'"'"' AND (metrics->'"'"'overlays'"'"'->0) ? '"'"'verdict'"'"' FROM trading.ablation_runs")" = t ]'
check "report_path: the report, absolute" '[ "$(q "SELECT report_path FROM trading.ablation_runs")" = "$(realpath "$T/rec1/report.html")" ]'

# The same run again (DSN from the environment, another thread count and
# output directory): the row that is there, nothing new.
GORDON_DB_DSN="$PG_DSN password=s3cret" ablate "$T/rec2" --confd "$T/confd" --jobs 1 --record; rc=$?
check "same run again: exit 0, the existing row" \
  '[ $rc = 0 ] && grep -q "^already recorded as trading.ablation_runs id $id, run_id $run_id (the same results; not written again)$" "$T/out"'
check "same run again: still one row, report_path unchanged" \
  '[ "$(q "SELECT count(*) || '"'"' '"'"' || max(report_path) FROM trading.ablation_runs")" = "1 $(realpath "$T/rec1/report.html")" ]'
check "same run again: no password printed" no_secret

# The stored result differs from what the same inputs give now: refused.
q "UPDATE trading.ablation_runs SET metrics = '{\"edited\": true}'" >/dev/null
ablate "$T/rec3" --confd "$T/confd" --record --dsn "$PG_DSN"; rc=$?
check "same run, other stored metrics: exit 1, said" \
  '[ $rc = 1 ] && grep -q "run $run_id is already recorded (id $id) with other metrics" "$T/err" && [ -s "$T/rec3/report.html" ]'
check "same run, other stored metrics: the first record stays" \
  '[ "$(q "SELECT count(*) || '"'"' '"'"' || max(metrics::text) FROM trading.ablation_runs")" = "1 {\"edited\": true}" ]'

# Another configuration: another run, another row.
ablate "$T/rec4" --confd "$T/confd2" --record --dsn "$PG_DSN"; rc=$?
check "other inputs: a new row" \
  '[ $rc = 0 ] && grep -q "^recorded as trading.ablation_runs id" "$T/out" && [ "$(q "SELECT count(DISTINCT run_id) || '"'"' '"'"' || count(DISTINCT config_sha256) FROM trading.ablation_runs")" = "2 2" ]'

# The same run as shards merged elsewhere: the merge records the same row.
id4=$(sed -n 's/^recorded as trading.ablation_runs id \([0-9]*\), run_id.*$/\1/p' "$T/out")
for k in 0 1 2; do
  "$GORDON" ablate --config examples/ablate.ini --data "USDCHF:$CSV" --plugin-dir "$PLUGINS" --confd "$T/confd2" \
    --shard "$k/3" --out "$T/shards" --jobs 1 --quiet >/dev/null 2>>"$T/shards.err" &
done
wait
"$GORDON" ablate merge --data "USDCHF:$CSV" --plugin-dir "$PLUGINS" --confd "$T/confd2" --out "$T/rec5" --quiet \
  --record --dsn "$PG_DSN" "$T/shards" >"$T/out" 2>"$T/err"; rc=$?
check "3 shards merged with --record: the row of the same run on one machine" \
  '[ $rc = 0 ] && grep -q "^already recorded as trading.ablation_runs id $id4, run_id [0-9a-f]* (the same results; not written again)$" "$T/out"'
check "shards merged: ablation.json the one machine's" 'cmp -s "$T/rec4/ablation.json" "$T/rec5/ablation.json"'

# The database goes away during the run: the data file is a FIFO, opened
# after the check before the run; the cluster stops before the bars come.
mkfifo "$T/fifo.csv"
(exec 3>"$T/fifo.csv"; pg_stop; cat "$CSV" >&3) &
writer=$!
timeout 120 "$GORDON" ablate --config examples/ablate.ini --data "USDCHF:$T/fifo.csv" --plugin-dir "$PLUGINS" \
  --out "$T/down" --quiet --record --dsn "$PG_DSN password=s3cret connect_timeout=2" >"$T/out" 2>"$T/err"; rc=$?
wait "$writer"; writer=
check "database gone after the run: exit 1, said" \
  '[ $rc = 1 ] && grep -q "not recorded: cannot connect to the database" "$T/err"'; [ $rc = 1 ] || cat "$T/err"
check "database gone after the run: the report is written" '[ -s "$T/down/ablation.json" ] && [ -s "$T/down/report.html" ]'
check "database gone after the run: no password printed" no_secret

echo "$pass passed, $fail failed"
[ $fail = 0 ]
