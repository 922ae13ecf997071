#!/usr/bin/env bash
# Issue 13: gordon backup and gordon restore-drill against a real, throwaway
# PostgreSQL (password auth for the role they use) and a local restic
# repository. The backup is one consistent snapshot; the drill restores the
# latest into a scratch database, compares every table with the manifest
# (the source as of the backup: rows added after it must not matter), drops
# it and records itself in trading.restore_drills. Tampered snapshots
# (manifest counts, dump bytes, a manifest that is not JSON), a missing
# password file and an interrupted drill fail clearly and leave nothing
# behind. The database password never shows in any output, in any child's
# argv, or in restic's environment.
# usage: e2e_db_backup.sh GORDON
set -u
GORDON=$1
for p in restic pg_dump pg_restore; do
  command -v "$p" >/dev/null || { echo "SKIP: no $p (apt-get install restic postgresql-client)"; exit 77; }
done
T=$(mktemp -d)
chmod 755 "$T"
. "$(dirname "$0")/pg_cluster.sh"
trap 'pg_stop; rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; return 1; fi; } # 1 on failure: callers may show why
pg_start "$T/pg"; rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "cannot start PostgreSQL"; exit 1; }
"$GORDON" migrate --dsn "$PG_DSN" --migrations "$PWD/migrations" >"$T/out" 2>&1 || { cat "$T/out"; exit 1; }

# The role the commands use logs in with a password (SCRAM), so pg_dump and
# pg_restore work only if it reaches them (never through argv).
SECRET=s3cret-$RANDOM$RANDOM
pg_psql -c "CREATE ROLE gordon_pw LOGIN SUPERUSER PASSWORD '$SECRET'"
{ echo "host all gordon_pw 127.0.0.1/32 scram-sha-256"; cat "$PG_DIR/data/pg_hba.conf"; } >"$T/hba"
cat "$T/hba" >"$PG_DIR/data/pg_hba.conf"
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" reload >/dev/null
sleep 0.5
NOPW_DSN="host=127.0.0.1 port=$PG_PORT user=gordon_pw dbname=postgres connect_timeout=10"
PW_DSN="$NOPW_DSN password=$SECRET"
check "password auth is on for the role (no password: refused)" \
  '! PGPASSWORD= "$PG_BIN/psql" "$NOPW_DSN" -w -X -q -c "SELECT 1" >/dev/null 2>&1'

# The trading record: rows in several tables, with text that needs quoting,
# non-ASCII, JSON, microseconds and floats that need all their digits.
pg_psql <<'SQL'
INSERT INTO trading.intents (source, id, at, strategy, symbol, action, side, result, stop_required, journal_seq, ref_price, tag, detail)
VALUES ('00000000000000aa', 1, '2026-01-02 03:04:05.123456+00', 'ema', 'BTCUSDT', 'entry', 1, 'rejected', true, 1, 0.1 + 0.2, 'it''s "quoted"', E'line\nbreak'),
       ('00000000000000aa', 2, '2026-01-02 03:04:06+00', 'ema', 'ETHUSDT', 'exit', -1, 'rejected', true, 2, 1e-300, 'Zürich ✓', ''),
       ('00000000000000aa', 3, '2026-01-02 03:04:07+00', 'mr', 'BTCUSDT', 'unknown', 0, 'halted', false, 3, NULL, '', '');
INSERT INTO trading.equity_points (source, id, at, cause, equity, cash, unrealized, gross, open_positions, drawdown_pct)
SELECT '00000000000000aa', g, '2026-01-02'::timestamptz + g * interval '1 minute', 'timer', 10000 + g / 3.0, 10000, g / 7.0, 0, 0, 0
FROM generate_series(1, 40) g;
INSERT INTO trading.risk_events (source, id, at, kind, who, reason, detail)
VALUES ('00000000000000aa', 1, now(), 'halt', 'operator:abc', 'test', '{"a": [1, 2.5, "x"]}'), ('00000000000000aa', 2, now(), 'trip', 'breaker:dd', 'dd', '{}');
INSERT INTO trading.halt_latch (id, halted, reason, who, since, updated_at, source, last_seq) VALUES (1, true, 'test', 'operator:abc', now(), now(), '00000000000000aa', 2);
SQL
counts() { pg_psql -c "SELECT (SELECT count(*) FROM trading.intents) || ' ' || (SELECT count(*) FROM trading.equity_points) || ' ' || (SELECT count(*) FROM trading.risk_events)"; }
PRE=$(counts)

# Wrappers record every argv and environment of pg_dump, pg_restore and
# restic, then run the real program (or, with $T/slow-NAME, sleep instead).
REAL_RESTIC=$(command -v restic)
mkdir -p "$T/bin" "$T/tmp" "$T/logs"
for p in pg_dump pg_restore restic; do
  real=$(command -v "$p")
  cat >"$T/bin/$p" <<EOF
#!/bin/sh
printf '%s\n' "\$0 \$*" >>"$T/logs/argv"
env >"$T/logs/env-$p"
[ -e "$T/slow-$p" ] && { : >"$T/logs/slow-$p"; exec sleep 60; }
exec "$real" "\$@"
EOF
  chmod 755 "$T/bin/$p"
done
export PATH="$T/bin:$PATH" TMPDIR="$T/tmp" RESTIC_CACHE_DIR="$T/cache" GD_TEST_CANARY=canary-not-for-children
printf '%s\n' "restic-$RANDOM$RANDOM" >"$T/restic.pw"
chmod 600 "$T/restic.pw"
RESTIC_REPOSITORY="$T/repo" RESTIC_PASSWORD_FILE="$T/restic.pw" restic init -q >/dev/null 2>&1 || { echo "restic init failed"; exit 1; }
cat >"$T/g.ini" <<EOF
[backup]
restic_repository = $T/repo
restic_password_file = $T/restic.pw
keep_hourly = 2
EOF
# The DSN comes from the environment (as the units read /etc/default/gordon):
# --dsn would put the password into gordon's own argv.
export GORDON_DB_DSN="$PW_DSN"
G() { timeout 120 "$GORDON" "$@" --config "$T/g.ini" >"$T/out" 2>&1; }
ALL="$T/all-output"
: >"$ALL"
keep() { cat "$T/out" >>"$ALL"; }
tmp_empty() { [ -z "$(ls -A "$T/tmp")" ]; }
drills() { pg_psql -c "SELECT count(*) FROM trading.restore_drills"; }
no_scratch() { [ "$(pg_psql -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'gordon_drill_%'")" = 0 ]; }
# The test's own restic calls bypass the wrapper (they are not gordon's).
rs() { RESTIC_REPOSITORY="$T/repo" RESTIC_PASSWORD_FILE="$T/restic.pw" "$REAL_RESTIC" "$@"; }

G backup; rc=$?; keep
check "backup: exit 0, names the snapshot" '[ $rc = 0 ] && grep -Eq "^OK: snapshot [0-9a-f]{8}: 16 tables" "$T/out"' || cat "$T/out"
check "backup: one snapshot tagged gordon-trading" '[ "$(rs snapshots --json --tag gordon-trading | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 1 ]'
rs dump latest /gordon-trading/manifest.json >"$T/manifest.json" 2>/dev/null
check "backup: the manifest counts the rows as they were" \
  '[ "$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))[\"tables\"]; print(t[\"intents\"][\"rows\"], t[\"equity_points\"][\"rows\"], t[\"risk_events\"][\"rows\"])" "$T/manifest.json")" = "$PRE" ]'
check "backup: pg_dump got the password in its environment only" \
  'grep -q "^PGPASSWORD=$SECRET\$" "$T/logs/env-pg_dump" && grep -q "pg_dump .*--snapshot=" "$T/logs/argv"'
check "backup: no child's argv holds the password" '! grep -q "$SECRET" "$T/logs/argv"'
check "backup: restic's environment has its repository and password file, not the database password" \
  'grep -q "^RESTIC_PASSWORD_FILE=$T/restic.pw\$" "$T/logs/env-restic" && ! grep -q "$SECRET" "$T/logs/env-restic"'
check "backup: children get a bounded environment (no GORDON_*, no unrelated variables)" \
  '! grep -q -e GD_TEST_CANARY -e GORDON_ "$T/logs/env-restic" "$T/logs/env-pg_dump"'
check "backup: the temporary dump is gone" tmp_empty

# Rows written after the backup: the drill compares with the backup.
pg_psql -c "INSERT INTO trading.intents (source, id, at, strategy, symbol, action, side, result, stop_required, journal_seq) VALUES ('00000000000000aa', 4, now(), 'ema', 'X', 'exit', 1, 'rejected', true, 4)"
pg_psql -c "INSERT INTO trading.equity_points (source, id, at, cause, equity, cash, unrealized, gross, open_positions, drawdown_pct) SELECT '00000000000000aa', g, now(), 'timer', 1, 1, 0, 0, 0, 0 FROM generate_series(41, 45) g"
G restore-drill; rc=$?; keep
check "drill: exit 0, every table ok" '[ $rc = 0 ] && grep -q "^OK: snapshot .*16 tables match" "$T/out" && ! grep -E "^[a-z_]+ +[0-9-]+ +[0-9-]+  [A-Z]" "$T/out"' || cat "$T/out"
check "drill: one ok row in trading.restore_drills" \
  '[ "$(pg_psql -c "SELECT count(*) || '"'"':'"'"' || bool_and(ok) FROM trading.restore_drills")" = "1:true" ]'
check "drill: the restored counts are the pre-backup counts, not now's" \
  '[ "$(pg_psql -c "SELECT (tables->'"'"'intents'"'"'->'"'"'restored'"'"'->>'"'"'rows'"'"') || '"'"' '"'"' || (tables->'"'"'equity_points'"'"'->'"'"'restored'"'"'->>'"'"'rows'"'"') || '"'"' '"'"' || (tables->'"'"'risk_events'"'"'->'"'"'backup'"'"'->>'"'"'rows'"'"') FROM trading.restore_drills")" = "$PRE" ] && [ "$(counts)" != "$PRE" ]'
check "drill: snapshot_at is the backup's database snapshot, seconds > 0" \
  '[ "$(pg_psql -c "SELECT count(*) FROM trading.restore_drills WHERE snapshot_at < now() - interval '"'"'0.1 s'"'"' AND seconds > 0 AND scratch_db LIKE '"'"'gordon_drill_%'"'"'")" = 1 ]'
check "drill: the scratch database is gone" no_scratch
check "drill: pg_restore got the password in its environment only" \
  'grep -q "^PGPASSWORD=$SECRET\$" "$T/logs/env-pg_restore" && ! grep -q "$SECRET" "$T/logs/argv"'
check "drill: the temporary files are gone" tmp_empty

G restore-drill --check-age 90; rc=$?; keep
check "--check-age 90: exit 0 after an ok drill" '[ $rc = 0 ] && grep -q "^last successful restore drill: " "$T/out"'
pg_psql -c "UPDATE trading.restore_drills SET at = now() - interval '100 days'"
G restore-drill --check-age 90; rc=$?; keep
check "--check-age 90: exit 1 when the last ok drill is 100 days old" '[ $rc = 1 ] && grep -q "no successful restore drill within 90 days" "$T/out"'
G restore-drill --check-age 120; rc=$?; keep
check "--check-age 120: exit 0 then" '[ $rc = 0 ]'
pg_psql -c "UPDATE trading.restore_drills SET at = now()"

# DSN precedence: --dsn, then GORDON_DB_DSN, then [db] dsn.
cp "$T/g.ini" "$T/g-dsn.ini"
printf '[db]\ndsn = host=127.0.0.1 port=1 dbname=none connect_timeout=2\n' >>"$T/g-dsn.ini"
timeout 60 "$GORDON" restore-drill --last --config "$T/g-dsn.ini" >"$T/out" 2>&1; rc=$?; keep
check "GORDON_DB_DSN wins over [db] dsn" '[ $rc = 0 ]'
GORDON_DB_DSN="host=127.0.0.1 port=1 dbname=none connect_timeout=2" \
  timeout 60 "$GORDON" restore-drill --last --config "$T/g.ini" --dsn "$PG_DSN" >"$T/out" 2>&1; rc=$?; keep
check "--dsn wins over GORDON_DB_DSN" '[ $rc = 0 ]'
env -u GORDON_DB_DSN timeout 60 "$GORDON" restore-drill --last --config "$T/g-dsn.ini" >"$T/out" 2>&1; rc=$?; keep
check "[db] dsn is used when nothing else names a database" '[ $rc = 1 ] && grep -q "cannot connect to the database" "$T/out"'

# Tampered snapshots, each made the newest with restic itself.
tamper() { # $1: a python statement on m (the manifest) or d (the dump's bytes)
  rm -rf "$T/r"
  rs restore latest --target "$T/r" >/dev/null 2>&1 || return 1
  python3 - "$T/r/gordon-trading" "$1" <<'PY' || return 1
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
dump = bytearray(open(d + "/trading.dump", "rb").read())
raw = None
exec(sys.argv[2])
open(d + "/manifest.json", "w").write(raw if raw is not None else json.dumps(m))
open(d + "/trading.dump", "wb").write(dump)
PY
  sleep 1 # a strictly newer snapshot time
  (cd "$T/r" && rs backup --quiet --tag gordon-trading gordon-trading >/dev/null 2>&1)
}
n0=$(drills)
tamper 'm["tables"]["equity_points"]["rows"] += 1; m["tables"]["risk_events"]["checksum"] = "0" * 32' || bad "tamper: could not make the snapshot"
G restore-drill; rc=$?; keep
check "manifest with wrong counts: exit 1, names the tables" \
  '[ $rc = 1 ] && grep -q "FAILED: 2 of 16 tables do not match the backup: tables differ: equity_points (41 rows in the manifest, 40 restored), risk_events (same 2 rows, different checksum)" "$T/out"' || cat "$T/out"
check "manifest with wrong counts: recorded ok = false, both sides kept" \
  '[ "$(drills)" = $((n0 + 1)) ] && [ "$(pg_psql -c "SELECT ok::text || '"'"' '"'"' || (tables->'"'"'equity_points'"'"'->'"'"'backup'"'"'->>'"'"'rows'"'"') || '"'"' '"'"' || (tables->'"'"'equity_points'"'"'->'"'"'restored'"'"'->>'"'"'rows'"'"') || '"'"' '"'"' || (detail LIKE '"'"'tables differ: equity_points%'"'"')::text FROM trading.restore_drills ORDER BY id DESC LIMIT 1")" = "false 41 40 true" ]'
check "manifest with wrong counts: scratch database dropped, temporary files gone" 'no_scratch && tmp_empty'

tamper 'dump[len(dump) // 2] ^= 0xff' || bad "tamper: could not make the snapshot"
G restore-drill; rc=$?; keep
check "a corrupted dump: exit 1, said, recorded ok = false before any restore" \
  '[ $rc = 1 ] && grep -q "trading.dump has sha256 .*, the manifest says" "$T/out" && [ "$(drills)" = $((n0 + 2)) ] && [ "$(pg_psql -c "SELECT ok FROM trading.restore_drills ORDER BY id DESC LIMIT 1")" = f ]' || cat "$T/out"
check "a corrupted dump: nothing left behind" 'no_scratch && tmp_empty'

tamper 'raw = "{not json"' || bad "tamper: could not make the snapshot"
G restore-drill; rc=$?; keep
check "a manifest that is not JSON: exit 1, said, recorded" \
  '[ $rc = 1 ] && grep -q "manifest.json: not valid JSON" "$T/out" && [ "$(drills)" = $((n0 + 3)) ]' || cat "$T/out"

# The repository's password file gone: both commands stop, saying which key.
mv "$T/restic.pw" "$T/restic.pw.away"
G backup; rc=$?; keep
check "no password file: backup exits 1 naming restic_password_file" \
  '[ $rc = 1 ] && grep -q "FAILED: \[backup\] restic_password_file .*restic.pw: No such file" "$T/out" && tmp_empty'
G restore-drill; rc=$?; keep
check "no password file: the drill exits 1, nothing recorded" \
  '[ $rc = 1 ] && grep -q "restic_password_file" "$T/out" && [ "$(drills)" = $((n0 + 3)) ]'
# A password file with the wrong password: restic's own message.
echo wrong >"$T/restic.pw"
G backup; rc=$?; keep
check "wrong repository password: backup exits 1 with restic's message, no dump left" \
  '[ $rc = 1 ] && grep -q "restic backup exited with status 1: Fatal: wrong password" "$T/out" && tmp_empty'
mv "$T/restic.pw.away" "$T/restic.pw"

# A good backup again, then a drill interrupted while pg_restore runs: the
# scratch database is dropped and the drill recorded as failed.
G backup; rc=$?; keep
check "backup again: exit 0" '[ $rc = 0 ]'
check "restic forget kept at most keep_hourly = 2 snapshots" \
  '[ "$(rs snapshots --json --tag gordon-trading | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" -le 2 ]'
touch "$T/slow-pg_restore"
timeout 120 "$GORDON" restore-drill --config "$T/g.ini" >"$T/out" 2>&1 &
gp=$!
for _ in $(seq 1 200); do [ -e "$T/logs/slow-pg_restore" ] && break; sleep 0.1; done
check "interrupt: the drill reached pg_restore and made its scratch database" \
  '[ "$(pg_psql -c "SELECT count(*) FROM pg_database WHERE datname LIKE '"'"'gordon_drill_%'"'"'")" = 1 ]'
kill -TERM $gp
t0=$(date +%s)
wait $gp; rc=$?; keep
rm -f "$T/slow-pg_restore"
el=$(($(date +%s) - t0))
check "interrupt: exit 1 within seconds, said (exit $rc after ${el} s)" \
  '[ $rc = 1 ] && [ $el -lt 10 ] && grep -q "interrupted by a signal: pg_restore was killed" "$T/out"' ||
  { echo "# its output:"; sed 's/^/#   /' "$T/out" | tail -15; }
check "interrupt: scratch database dropped, temporary files gone, recorded ok = false" \
  'no_scratch && tmp_empty && [ "$(pg_psql -c "SELECT ok FROM trading.restore_drills ORDER BY id DESC LIMIT 1")" = f ]'
G restore-drill; rc=$?; keep
check "and a drill after it: exit 0" '[ $rc = 0 ]'

# A wrong password in the DSN is not echoed either.
GORDON_DB_DSN="$NOPW_DSN password=wr0ng-$SECRET" timeout 60 "$GORDON" backup --config "$T/g.ini" >"$T/out" 2>&1; rc=$?; keep
check "wrong database password: exit 1, password authentication failed" \
  '[ $rc = 1 ] && grep -q "password authentication failed" "$T/out"'
# No repository configured.
printf '[backup]\nrestic_password_file = %s\n' "$T/restic.pw" >"$T/norepo.ini"
timeout 60 "$GORDON" backup --config "$T/norepo.ini" >"$T/out" 2>&1; rc=$?; keep
check "no repository configured: exit 1, says which key" '[ $rc = 1 ] && grep -q "set \[backup\] restic_repository" "$T/out"'

check "the database password appears in no output of any run" '! grep -q "$SECRET" "$ALL"'
check "... nor in any child's argv" '! grep -q "$SECRET" "$T/logs/argv"'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
