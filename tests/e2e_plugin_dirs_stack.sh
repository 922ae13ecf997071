#!/usr/bin/env bash
# End-to-end: --plugin-dir stacks before the bundled plugin folder: an
# author's folder holding only their own plugin still finds the bundled
# overlays, and their copy wins over a bundled one of the same name. With
# [gordon] plugin_dir too, the order is: every --plugin-dir as given, the
# config's folder, the bundled one; a folder whose path has ':' is one folder.
# usage: e2e_plugin_dirs_stack.sh GORDON BUNDLED_PLUGIN_DIR TEST_PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2 TPLUGINS=$3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
mkdir "$T/mine"
cp "$TPLUGINS/always_long.so" "$T/mine/"
sed -e "s#^intent_log = .*#intent_log = $T/intents.jsonl#" -e "s#\.\./data#$ROOT/data#g" \
  -e 's#^plugin = ema_cross#plugin = always_long#' "$ROOT/examples/demo.ini" |
  awk '/^\[/ { s = ($0 == "[strategy.ema]") } !s || /^\[/ || /^(plugin|symbols) *=/' >"$T/stack.ini"
# The binary's own folder ($PLUGINS, beside it) is the bundled one.
[ "$(dirname "$GORDON")/plugins" -ef "$PLUGINS" ] || echo "note: bundled folder is not beside the binary"
if "$GORDON" check --config "$T/stack.ini" --plugin-dir "$T/mine" >"$T/out" 2>"$T/err"; then
  ok "author's folder first, bundled overlays found after it"; else bad "check: $(tail -2 "$T/err")"; fi
if "$GORDON" run --config "$T/stack.ini" --plugin-dir "$T/mine" --quiet >"$T/out" 2>"$T/err" &&
   grep -q '"strategy":"ema"' "$T/intents.jsonl"; then ok "run with stacked folders"; else bad "run: $(tail -2 "$T/err")"; fi
# Not in the author's folder nor bundled: the error names the author's folder.
sed 's#^plugin = always_long#plugin = nowhere_xyz#' "$T/stack.ini" >"$T/missing.ini"
"$GORDON" check --config "$T/missing.ini" --plugin-dir "$T/mine" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" != 0 ] && grep -q "$T/mine/nowhere_xyz.so" "$T/err" && ok "a plugin in no folder is named in the first" ||
  bad "missing plugin: exit $rc: $(tail -2 "$T/err")"
# The config's plugin_dir holds an always_long that refuses to start; the
# command line's folders (the second one's path has a ':') come first.
mkdir "$T/cfgdir" "$T/co:lon" "$T/empty"
cp "$TPLUGINS/create_fails.so" "$T/cfgdir/always_long.so"
cp "$TPLUGINS/always_long.so" "$T/co:lon/"
sed "s#^\[gordon\]#[gordon]\nplugin_dir = $T/cfgdir#" "$T/stack.ini" >"$T/cfgdir.ini"
if "$GORDON" run --config "$T/cfgdir.ini" --plugin-dir "$T/empty" --plugin-dir "$T/co:lon" --quiet \
     >"$T/out" 2>"$T/err"; then
  ok "--plugin-dir (a path with ':') before [gordon] plugin_dir"; else bad "cli before config: $(tail -2 "$T/err")"; fi
"$GORDON" check --config "$T/cfgdir.ini" --plugin-dir "$T/empty" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" != 0 ] && grep -q 'deliberately refusing' "$T/err" && ok "then the config's folder, before the bundled" ||
  bad "config's folder not used: exit $rc: $(tail -2 "$T/err")"
# Named nowhere: every folder tried, in order.
sed 's#^plugin = always_long#plugin = nowhere_xyz#' "$T/cfgdir.ini" >"$T/missing2.ini"
"$GORDON" check --config "$T/missing2.ini" --plugin-dir "$T/co:lon" >"$T/out" 2>"$T/err"
grep -q "tried $T/co:lon/nowhere_xyz.so, $T/cfgdir/nowhere_xyz.so, .*/nowhere_xyz.so)" "$T/err" &&
  ok "a missing plugin names every folder in order" || bad "missing plugin: $(tail -2 "$T/err")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
