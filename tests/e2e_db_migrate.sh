#!/usr/bin/env bash
# Issue 13, item 1: `gordon migrate` against a real, throwaway PostgreSQL:
# from empty; a re-run is a no-op; an edited, renamed or removed applied file
# is refused (nothing runs); a failing migration names file:line and leaves
# nothing of itself; two migrators at once apply each migration once.
# usage: e2e_db_migrate.sh GORDON
set -u
GORDON=$1
T=$(mktemp -d)
chmod 755 "$T"
. "$(dirname "$0")/pg_cluster.sh"
trap 'pg_stop; rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
pg_start "$T/pg"; rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "cannot start PostgreSQL"; exit 1; }

M=$T/m
mkdir -p "$M"
cat >"$M/001_first.sql" <<'SQL'
CREATE TABLE trading.t1 (id bigint PRIMARY KEY);
SQL
cat >"$M/002_second.sql" <<'SQL'
CREATE TABLE trading.t2 (id bigint PRIMARY KEY,
                         t1 bigint REFERENCES trading.t1 (id));
INSERT INTO trading.t1 VALUES (1);
SQL
echo "not a migration" >"$M/README.md"
migrate() { "$GORDON" migrate --dsn "$PG_DSN" --migrations "$M" >"$T/out" 2>&1; }

migrate; rc=$?
check "from empty: exit 0" '[ $rc = 0 ]'
check "from empty: both applied, in order" 'grep -q "^applied 001_first" "$T/out" && grep -q "^applied 002_second" "$T/out"'
check "recorded with their checksums" \
  '[ "$(pg_psql -c "SELECT version || '"'"':'"'"' || name || '"'"':'"'"' || sha256 FROM trading.schema_migrations ORDER BY 1")" = "$(printf "1:001_first:%s\n2:002_second:%s" "$(sha256sum <"$M/001_first.sql" | cut -c1-64)" "$(sha256sum <"$M/002_second.sql" | cut -c1-64)")" ]'
migrate; rc=$?
check "re-run: a no-op, exit 0" '[ $rc = 0 ] && grep -q "^up to date: 2 migration(s), 0 applied now, 2 before" "$T/out"'
check "re-run: nothing applied twice" '[ "$(pg_psql -c "SELECT count(*) FROM trading.t1")" = 1 ]'
check "the DSN is not printed" '! grep -q "$PG_PORT" "$T/out"'

# An edited applied file: refused, and a new one after it does not run.
cp "$M/001_first.sql" "$T/001.keep"
echo "-- an innocent comment" >>"$M/001_first.sql"
printf 'CREATE TABLE trading.t3 (id int);\n' >"$M/003_third.sql"
migrate; rc=$?
check "edited file: exit 1, named" '[ $rc = 1 ] && grep -q "001_first.sql was edited after it was applied" "$T/out"'
check "edited file: nothing else ran" '[ -z "$(pg_psql -c "SELECT to_regclass('"'"'trading.t3'"'"')")" ]'
cp "$T/001.keep" "$M/001_first.sql"
mv "$M/002_second.sql" "$M/002_renamed.sql"
migrate; rc=$?
check "renamed file: refused" '[ $rc = 1 ] && grep -q "002_renamed.sql: migration 002 was applied as 002_second" "$T/out"'
mv "$M/002_renamed.sql" "$T/002.keep"
migrate; rc=$?
check "removed file: refused" '[ $rc = 1 ] && grep -q "migration 002_second is recorded as applied but .*002_second.sql is missing" "$T/out"'
mv "$T/002.keep" "$M/002_second.sql"
migrate; rc=$?
check "restored files: 003 applies" '[ $rc = 0 ] && grep -q "^applied 003_third" "$T/out"'

# A failing migration: file:line, and nothing of it stays.
printf 'CREATE TABLE trading.t4 (id int);\n\nINSERT INTO trading.t4 VALUES (1);\nSELEC 1;\n' >"$M/004_broken.sql"
migrate; rc=$?
check "failing migration: exit 1 naming file:line" '[ $rc = 1 ] && grep -q "004_broken.sql:4: syntax error" "$T/out"'
check "failing migration: rolled back whole" '[ -z "$(pg_psql -c "SELECT to_regclass('"'"'trading.t4'"'"')")" ] && [ "$(pg_psql -c "SELECT count(*) FROM trading.schema_migrations")" = 3 ]'
rm "$M/004_broken.sql"

# Two migrators at once: the lock makes one wait; each migration once.
printf 'CREATE TABLE trading.t5 (id int);\nSELECT pg_sleep(1);\nINSERT INTO trading.t5 VALUES (5);\n' >"$M/005_slow.sql"
"$GORDON" migrate --dsn "$PG_DSN" --migrations "$M" >"$T/c1" 2>&1 &
p1=$!
"$GORDON" migrate --dsn "$PG_DSN" --migrations "$M" >"$T/c2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check "concurrent migrators: both exit 0" '[ $r1 = 0 ] && [ $r2 = 0 ]'
check "concurrent migrators: 005 applied exactly once" \
  '[ "$(cat "$T/c1" "$T/c2" | grep -c "^applied 005_slow")" = 1 ] && [ "$(pg_psql -c "SELECT count(*) FROM trading.t5")" = 1 ]'

# Two files with one number, and no database: clear errors.
printf 'SELECT 1;\n' >"$M/005_again.sql"
migrate; rc=$?
check "two migrations numbered 005: refused" '[ $rc = 1 ] && grep -q "two migrations numbered 005" "$T/out"'
rm "$M/005_again.sql"
"$GORDON" migrate --dsn "host=127.0.0.1 port=1 user=x dbname=x connect_timeout=2" --migrations "$M" >"$T/out" 2>&1; rc=$?
check "no database: exit 1, said" '[ $rc = 1 ] && grep -q "cannot connect to the database" "$T/out"'
# The project's own migrations apply to an empty database.
"$GORDON" migrate --dsn "${PG_DSN/dbname=postgres/dbname=template1}" --migrations "$PWD/migrations" >"$T/out" 2>&1; rc=$?
check "the project's migrations/ apply cleanly" '[ $rc = 0 ]'; [ $rc = 0 ] || cat "$T/out"

# --config: [db] dsn from the file (GORDON_DB_DSN, then --dsn, win over it);
# a file without a database has nothing to migrate (gordon-migrate.service
# on a database-less install), exit 0.
printf '[db]\ndsn = %s\n' "$PG_DSN" >"$T/with-db.ini"
printf '[db]\ndsn = host=127.0.0.1 port=1 user=x dbname=x connect_timeout=2\n' >"$T/bad-db.ini"
: >"$T/no-db.ini"
"$GORDON" migrate --config "$T/with-db.ini" --migrations "$M" >"$T/out" 2>&1; rc=$?
check "--config: [db] dsn is used" '[ $rc = 0 ] && grep -q "^up to date: " "$T/out"'
GORDON_DB_DSN="$PG_DSN" "$GORDON" migrate --config "$T/bad-db.ini" --migrations "$M" >"$T/out" 2>&1; rc=$?
check "--config: GORDON_DB_DSN wins over [db] dsn" '[ $rc = 0 ] && grep -q "^up to date: " "$T/out"'
"$GORDON" migrate --config "$T/bad-db.ini" --dsn "$PG_DSN" --migrations "$M" >"$T/out" 2>&1; rc=$?
check "--config: --dsn wins over [db] dsn" '[ $rc = 0 ] && grep -q "^up to date: " "$T/out"'
env -u GORDON_DB_DSN "$GORDON" migrate --config "$T/no-db.ini" --migrations "$M" >"$T/out" 2>&1; rc=$?
check "--config without a database: exit 0, nothing to do" '[ $rc = 0 ] && grep -q "no database configured.*nothing to do" "$T/out"'
env -u GORDON_DB_DSN "$GORDON" migrate --migrations "$M" >"$T/out" 2>&1; rc=$?
check "no --config and no DSN: a usage error" '[ $rc = 2 ]'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
