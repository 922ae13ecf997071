#!/usr/bin/env bash
# The plugin author's first hour, as the docs tell it: README.md "Writing a
# plugin" and the template's README, run exactly as written so they cannot
# rot. Commands and files are taken from the documents' fenced blocks (and
# the "Build it with `...`" / "audit it with `...`" spans), never retyped
# here; the only substitutions are the install prefix (/opt/gordon and
# /usr/share/gordon become a temporary one) and `build`, the README's build
# directory, which is a link to ours.
# usage: e2e_readme_walkthrough.sh BUILD_DIR
set -u
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
show() { sed 's/^/    /' "$1" | tail -"${2:-6}"; }
# block FILE LANG FIRST_LINE_RE: the first ```LANG block whose first line
# matches FIRST_LINE_RE (an awk regex), without its fences.
block() {
  awk -v lang="$2" -v re="$3" '
    /^```/ { if (inb) { if (hit) exit; inb = 0 } else { inb = 1; first = 1; ok = (substr($0, 4) == lang) } next }
    inb && first { first = 0; if (ok && $0 ~ re) hit = 1 }
    inb && hit { print }' "$1"
}
# span FILE LEAD: the `code` right after the words LEAD.
span() { grep -o "$2 \`[^\`]*\`" "$1" | head -1 | sed "s/^$2 \`//; s/\`\$//"; }
P=$T/opt/gordon
S=$T/src # the author's working directory: a gordon checkout with its build
mkdir -p "$S"
ln -s "$ROOT/sdk" "$S/sdk"
ln -s "$BUILD" "$S/build"
README=$ROOT/README.md

# 1. README: jump.c, built and audited with the commands the text gives.
block "$README" c '^#include' >"$S/jump.c"
[ -s "$S/jump.c" ] && grep -q 'GORDON_PLUGIN_ENTRY' "$S/jump.c" && ok "README: jump.c extracted" || bad "README: no jump.c block"
cmd=$(span "$README" "Build it with")
if [ -n "$cmd" ] && (cd "$S" && bash -ec "$cmd") >"$T/jump.log" 2>&1 && [ -f "$S/jump.so" ]; then
  ok "README: $cmd"; else bad "README: build jump.c: '$cmd'"; show "$T/jump.log"; fi
# The template builds with -Werror: the example must pass it too.
if (cd "$S" && cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I sdk/include jump.c) >"$T/jumpw.log" 2>&1; then
  ok "README: jump.c is clean under -Wall -Wextra -Werror"; else bad "README: jump.c warns"; show "$T/jumpw.log"; fi
cmd=$(span "$README" "audit it with")
if [ -n "$cmd" ] && (cd "$S" && PATH=$BUILD:$PATH bash -ec "$cmd") >"$T/jcheck.log" 2>&1 && grep -q '^jump.so: OK$' "$T/jcheck.log"; then
  ok "README: $cmd"; else bad "README: audit jump.so: '$cmd'"; show "$T/jcheck.log"; fi

# 2. README: install into a prefix, copy the template, build it.
block "$README" sh '^cmake --install build --prefix /opt/gordon' >"$T/install.sh"
grep -q '^make PKG_CONFIG_PATH=' "$T/install.sh" && ok "README: prefix install block" || bad "README: no prefix install block"
sed -i "s#/opt/gordon#$P#g" "$T/install.sh"
# Nothing but the prefix's SDK may help the template find its header.
if (cd "$S" && env -u PKG_CONFIG_PATH PKG_CONFIG_LIBDIR=/nonexistent bash -e "$T/install.sh") >"$T/install.log" 2>&1 &&
   [ -f "$S/my_plugin/my_strategy.so" ]; then
  ok "README: install, copy the template, make"; else bad "README: install block"; show "$T/install.log"; fi
M=$S/my_plugin
TREADME=$M/README.md # the copy the author reads, installed with the template
export PATH=$P/bin:$PATH # the installed gordon from here on

# 3. Template README: check, then the first backtest on the sample bars.
cmd=$(block "$TREADME" sh '^make check' | sed 's/ *#.*//')
if [ -n "$cmd" ] && (cd "$M" && bash -ec "$cmd") >"$T/mcheck.log" 2>&1 && grep -q '^./my_strategy.so: OK$' "$T/mcheck.log"; then
  ok "template README: $cmd"; else bad "template README: '$cmd'"; show "$T/mcheck.log"; fi
block "$TREADME" ini '^; my-backtest.ini' | sed "s#/usr/share/gordon#$P/share/gordon#g" >"$M/my-backtest.ini"
grep -q '^plugin = my_strategy' "$M/my-backtest.ini" && ok "template README: my-backtest.ini" ||
  bad "template README: no my-backtest.ini block"
cmd=$(block "$TREADME" sh '^gordon run --config my-backtest.ini')
if [ -n "$cmd" ] && (cd "$M" && bash -ec "$cmd") >"$T/run.out" 2>"$T/run.err"; then
  ok "template README: $cmd"; else bad "template README: '$cmd'"; show "$T/run.err"; fi
bars=$(sed -n 's/^bars  *\([0-9]*\)$/\1/p' "$T/run.out")
trades=$(sed -n 's/^trades  *\([0-9]*\).*/\1/p' "$T/run.out")
if [ "${bars:-0}" -gt 0 ] && [ "${trades:-0}" -gt 0 ]; then ok "the backtest traded: $bars bars, $trades trades"
else bad "backtest summary: bars '$bars' trades '$trades'"; show "$T/run.out" 14; fi
# Not bundled: found in '.', as --plugin-dir . says; its log line names it.
grep -q '"component":"plugin","msg":"my_strategy' "$T/run.err" && ok "the author's plugin ran" ||
  { bad "no log line from my_strategy on stderr"; show "$T/run.err"; }

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
