#!/usr/bin/env bash
# End-to-end: the SDK installed to a prefix (`cmake --install BUILD --prefix P`,
# as the README documents) is usable: gordon-sdk.pc names P, only plugins land
# in lib/gordon/plugins, the man page is there, and the template builds and
# passes `make check` with exactly the command its README documents.
# usage: e2e_sdk_install.sh BUILD_DIR
set -u
BUILD=$1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
P=$T/opt/gordon

# The README's install line, with its prefix replaced by ours.
line=$(grep -o 'cmake --install build --prefix [^ `]*' "$ROOT/README.md" | head -1)
if [ -n "$line" ]; then ok "README documents the prefix install"; else bad "README has no 'cmake --install build --prefix'"; fi
if cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1; then ok "cmake --install --prefix"
else bad "cmake --install --prefix"; sed 's/^/    /' "$T/install.log" | tail -5; fi

pc=$(find "$P" -name gordon-sdk.pc | head -1)
if [ -n "$pc" ] && grep -qx "prefix=$P" "$pc" && grep -qx "includedir=$P/include" "$pc"; then
  ok "gordon-sdk.pc follows the install prefix"; else bad "gordon-sdk.pc: $(cat "$pc" 2>/dev/null | head -2 | tr '\n' ' ')"; fi
extra=$(find "$P"/lib*/gordon/plugins -mindepth 1 ! -name '*.so' 2>/dev/null)
if [ -z "$extra" ] && ls "$P"/lib*/gordon/plugins/*.so >/dev/null 2>&1; then ok "only plugins in lib/gordon/plugins"
else bad "lib/gordon/plugins holds: $extra"; fi
if [ -f "$P/share/man/man1/gordon.1" ]; then ok "man page installed"; else bad "no share/man/man1/gordon.1"; fi

# The installed daemon finds its own plugins and worker (no --plugin-dir).
if "$P/bin/gordon" check --config "$ROOT/examples/demo.ini" >"$T/gcheck.log" 2>&1; then ok "installed gordon finds its plugins"
else bad "installed gordon check"; sed 's/^/    /' "$T/gcheck.log" | tail -5; fi

# The template, copied out of the prefix, built with the template README's command.
cp -r "$P/share/gordon/plugin-template" "$T/tpl"
cmd=$(grep -o '^make PKG_CONFIG_PATH=[^ ]*' "$T/tpl/README.md" | head -1)
if [ -n "$cmd" ]; then ok "template README documents make PKG_CONFIG_PATH=..."; else bad "template README: no make PKG_CONFIG_PATH= line"; fi
cmd=${cmd//\/opt\/gordon/$P}
# No SDK in a standard place may help: an empty search path besides ours.
if (cd "$T/tpl" && env -u PKG_CONFIG_PATH PKG_CONFIG_LIBDIR=/nonexistent bash -c "$cmd") >"$T/make.log" 2>&1 && [ -f "$T/tpl/my_strategy.so" ]; then
  ok "template builds with: $cmd"; else bad "template build: $cmd"; sed 's/^/    /' "$T/make.log" | tail -5; fi
if (cd "$T/tpl" && make check GORDON="$P/bin/gordon") >"$T/check.log" 2>&1; then ok "make check on the template plugin"
else bad "make check"; sed 's/^/    /' "$T/check.log" | tail -5; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
