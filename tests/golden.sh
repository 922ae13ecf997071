#!/usr/bin/env bash
# The demo's results do not move: `gordon run` on examples/demo.ini (its
# summary and its intent log) and `gordon ablate` on examples/ablate.ini
# (ablation.json, report.html, the ranking) are digested and compared with
# the digests recorded in tests/golden/demo.sha256.
#
# What legitimately differs between builds and commits is masked first: the
# git describe string, the plugins' file hashes (a debug build's .so differs
# from a release one), the ablation's wall time and progress lines.
#
# usage: golden.sh GORDON PLUGIN_DIR            compare (exit 1 on a change)
#        golden.sh GORDON PLUGIN_DIR --record   rewrite tests/golden/demo.sha256
set -u
GORDON=$1 PLUGINS=$2 MODE=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
GOLDEN=$HERE/golden/demo.sha256
T=$(mktemp -d)
export TMPDIR=$T
trap 'rm -rf "$T"' EXIT

mask() {
  sed -E -e "s#${PLUGINS%/}/#PLUGINS/#g" -e 's/"git_describe":[[:space:]]*"[^"]*"/"git_describe":"GIT"/' \
         -e 's/[0-9a-f]{64}/SHA256/g' -e 's#>[0-9a-f]{12}</code>#>SHA</code>#g' \
         -e 's#git <code>[^<]*</code>#git <code>GIT</code>#' "$1"
}

"$GORDON" run --config examples/demo.ini --plugin-dir "$PLUGINS" --intent-log "$T/intents.jsonl" --quiet \
  >"$T/run.out" 2>"$T/run.err" || { echo "FAIL - demo run exited $?"; cat "$T/run.err"; exit 1; }
grep -v '^replay ' "$T/run.out" >"$T/summary.txt"
"$GORDON" ablate --config examples/ablate.ini --plugin-dir "$PLUGINS" --out "$T/ablation" --jobs 2 \
  >"$T/ablate.out" 2>"$T/ablate.err" || { echo "FAIL - demo ablation exited $?"; cat "$T/ablate.err"; exit 1; }
grep -v -e '^ablate: ' -e ' runs, .* M bars, on ' "$T/ablate.out" >"$T/ranking.txt"
mask "$T/ablation/ablation.json" >"$T/ablation.json"
mask "$T/ablation/report.html" >"$T/report.html"

(cd "$T" && sha256sum summary.txt intents.jsonl ranking.txt ablation.json report.html) >"$T/now.sha256"

if [ "$MODE" = --record ]; then
  mkdir -p "$(dirname "$GOLDEN")"
  cp "$T/now.sha256" "$GOLDEN"
  echo "recorded $GOLDEN"
  cat "$GOLDEN"
  exit 0
fi
pass=0 fail=0
while read -r sum name; do
  want=$(awk -v n="$name" '$2 == n { print $1 }' "$GOLDEN")
  if [ "$sum" = "$want" ]; then
    pass=$((pass + 1)); echo "ok   - $name unchanged"
  else
    fail=$((fail + 1)); echo "FAIL - $name changed (digest $sum, recorded ${want:-none})"
    [ "$name" = summary.txt ] && sed 's/^/    /' "$T/summary.txt"
  fi
done <"$T/now.sha256"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
