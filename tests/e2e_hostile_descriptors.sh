#!/usr/bin/env bash
# End-to-end, issue 11 item 4: a plugin's descriptor is untrusted input. Each
# hostile test plugin must be refused with a message naming the field and
# exit 1 -- from `gordon plugin check` and from the daemon's loader (`gordon
# check`, through the library cache) -- never die of a signal or trip a
# sanitizer. usage: e2e_hostile_descriptors.sh GORDON TEST_PLUGIN_DIR
set -u
GORDON=$1 TPLUGINS=$2
T=$(mktemp -d)
export TMPDIR=$T # the library cache's private copies go away with it
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
run() { "$GORDON" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
show() { sed 's/^/    /' "$1" | head -5; }

# refused WHAT NEEDLE: the last run exited 1 (not a signal: > 128), said
# NEEDLE on stderr, and no sanitizer spoke.
refused() {
  if [ "$rc" -ge 128 ]; then bad "$1: killed by signal $((rc - 128))"; show "$T/err"; return 1; fi
  if [ "$rc" != 1 ]; then bad "$1: exit $rc, wanted 1"; show "$T/err"; return 1; fi
  if grep -q -e 'AddressSanitizer' -e 'runtime error:' -e 'LeakSanitizer' "$T/err"; then
    bad "$1: a sanitizer reported"; show "$T/err"; return 1
  fi
  if ! grep -qF -- "$2" "$T/err"; then bad "$1: no '$2' on stderr"; show "$T/err"; return 1; fi
  ok "$1"
}

# name|the refusal it must print
cases=(
  "hostile_params_count|plugin 'hostile_params_count': param 1: name is not a NUL-terminated string within the plugin (at most 63 bytes)"
  "hostile_version_unterminated|plugin 'hostile_version_unterminated': version is not a NUL-terminated string within the plugin (at most 63 bytes)"
  "hostile_desc_strings|plugin 'hostile_desc_strings': description is not a NUL-terminated string within the plugin (at most 1023 bytes)"
  "hostile_param_strings|plugin 'hostile_param_strings': param 'label': def_str is not a NUL-terminated string within the plugin"
  "hostile_params_ptr|plugin 'hostile_params_ptr': params table (2 x"
  "hostile_params_bogus|plugin 'hostile_params_bogus': params table (3 x"
  "hostile_desc_ptr|is not within the plugin (its 12 header bytes)"
  "hostile_desc_size|struct_size 60000 runs past the plugin's memory"
)

for c in "${cases[@]}"; do
  name=${c%%|*} want=${c#*|}
  so=$TPLUGINS/$name.so
  if [ ! -f "$so" ]; then bad "$name: $so not built"; continue; fi

  # `gordon plugin check`: refused, and nothing of the descriptor printed.
  run plugin check "$so"
  if refused "plugin check $name" "$want"; then
    grep -qF "$so: REFUSED: " "$T/err" || bad "plugin check $name: no REFUSED line naming the file"
    [ -s "$T/out" ] && { bad "plugin check $name: printed descriptor data"; show "$T/out"; }
  fi

  # The daemon's loader (library cache), as `gordon check` drives it.
  printf '[replay]\ndata = X:%s\n[instrument.X]\ntick_size = 0.01\nstep_size = 0.01\n[strategy.s]\nplugin = %s\n' \
    "$PWD/data/sp500_1d_2000_2020.csv" "$name" >"$T/$name.ini"
  run check --config "$T/$name.ini" --plugin-dir "$TPLUGINS"
  refused "check (library cache) $name" "$want"
done

# Several at once: each refused, a good one among them still described, exit 1.
args=()
for c in "${cases[@]}"; do args+=("$TPLUGINS/${c%%|*}.so"); done
run plugin check "${args[@]}" "$TPLUGINS/good_strategy.so"
if refused "plugin check on all of them" "REFUSED"; then
  n=$(grep -c ': REFUSED: ' "$T/err")
  [ "$n" = "${#cases[@]}" ] && ok "every one refused ($n)" || bad "$n of ${#cases[@]} refused"
  grep -q "good_strategy.so: OK" "$T/out" && ok "the good plugin still checks OK" || bad "good_strategy not OK"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
