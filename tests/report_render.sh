#!/usr/bin/env bash
# Renders an ablation report.html with headless Chromium, offline, and checks it.
#
#   tests/report_render.sh REPORT.html [OUT.png]
#
# Writes a 1200x2400 screenshot (default: REPORT.png beside the HTML), dumps
# the DOM and checks that the page parsed (the DOM holds the SVG charts), that
# it is self-contained (no script, no external resource) and that Chromium
# logged no page error. Exit 0: ok; 1: a check failed; 2: usage; 77: Chromium
# is not installed (for a ctest SKIP_RETURN_CODE).
# CHROMIUM=/path/to/chromium overrides the browser.
set -u

usage() { echo "usage: $0 REPORT.html [OUT.png]" >&2; exit 2; }
fail() { echo "report_render: FAIL: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || usage
html=$1
[ -f "$html" ] || { echo "report_render: no such file: $html" >&2; exit 2; }
out=${2:-${html%.html}.png}
[ "$out" != "$html" ] || out=$html.png

chromium=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
    echo "report_render: chromium not installed (apt-get install chromium); skipping" >&2
    exit 77
fi

abs=$(realpath "$html") || fail "realpath $html"
out_abs=$(realpath -m "$out")
# file:// URL: percent-encode the characters that matter in a path.
url="file://$(printf '%s' "$abs" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/#/%23/g' -e 's/?/%3F/g')"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Static checks first: one self-contained HTML5 file.
head -c 15 "$abs" | grep -q '^<!DOCTYPE html>' || fail "does not start with <!DOCTYPE html>"
if grep -Eiq '<script|<link|<img|<iframe|<object|<embed|@import|url\(' "$abs"; then
    fail "not self-contained (script, link, image, embed, @import or url() found)"
fi
if grep -Eiq '(src|href)=["'\'']?(https?:|//)' "$abs"; then
    fail "references an external resource"
fi

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --disable-extensions --hide-scrollbars --mute-audio --force-device-scale-factor=1
       --enable-logging=stderr --v=0)

# 1. Screenshot.
rm -f "$out_abs"
timeout 120 "$chromium" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" \
    --screenshot="$out_abs" --window-size=1200,2400 "$url" >"$work/shot.out" 2>"$work/shot.err"
rc=$?
[ $rc -eq 0 ] || { cat "$work/shot.err" >&2; fail "chromium --screenshot exited $rc"; }
[ -s "$out_abs" ] || { cat "$work/shot.err" >&2; fail "no screenshot written"; }

# 2. DOM dump.
timeout 120 "$chromium" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" \
    --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.err"
rc=$?
[ $rc -eq 0 ] || { cat "$work/dom.err" >&2; fail "chromium --dump-dom exited $rc"; }
grep -q '</html>' "$work/dom.html" || fail "DOM dump is empty or truncated"
nsvg_src=$(grep -o '<svg class="chart"' "$abs" | wc -l)
nsvg_dom=$(grep -o '<svg class="chart"' "$work/dom.html" | wc -l)
[ "$nsvg_dom" -ge 1 ] || fail "no chart <svg> in the DOM"
[ "$nsvg_dom" -eq "$nsvg_src" ] || fail "DOM has $nsvg_dom chart svg(s), the file $nsvg_src"
grep -q '<table' "$work/dom.html" || fail "no table in the DOM"
grep -qi '<script' "$work/dom.html" && fail "script in the DOM"

# 3. Page errors: console errors, uncaught exceptions, failed loads.
if grep -hE 'CONSOLE|Uncaught|Failed to load resource|net::ERR_|Refused to|Not allowed to load' \
        "$work/shot.err" "$work/dom.err" >"$work/page-errors"; then
    cat "$work/page-errors" >&2
    fail "chromium reported page errors"
fi

echo "report_render: ok: $nsvg_dom chart(s), screenshot $out_abs"
exit 0
