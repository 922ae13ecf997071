#!/usr/bin/env bash
# Writes the record of an end-to-end run that `gordon preflight` reads ("make
# e2e passed at the installed version"): the version of the binary tested
# (with its git describe), whether the run passed, when, and how many tests.
# usage: e2e_record.sh GORDON RECORD EXIT_STATUS [TESTS]
set -eu
GORDON=$1 OUT=$2 RC=$3 N=${4:-0}
version=$("$GORDON" version | sed -n 's/^gordon \(.*)\), SDK .*/\1/p')
[ -n "$version" ] || { echo "e2e_record: cannot read the version of $GORDON" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
tmp=$(mktemp "$(dirname "$OUT")/.e2e.XXXXXX")
printf '{"version":"%s","passed":%s,"at_ms":%s,"tests":%s}\n' "$version" \
  "$([ "$RC" = 0 ] && echo true || echo false)" "$(date +%s%3N)" "$N" >"$tmp"
mv -f "$tmp" "$OUT"
echo "e2e record: $OUT ($version, $([ "$RC" = 0 ] && echo passed || echo FAILED))"
