#!/bin/sh
# Builds one libFuzzer target (tests/fuzz/fuzz_TARGET.c, linked with the
# host files it exercises: the real parsers, no sockets) and runs it for a
# bounded time on a copy of its seed corpus (tests/fuzz/corpus/TARGET) with
# its dictionary (tests/fuzz/dict/TARGET.dict, if any).
# usage: run_fuzz.sh [TARGET]   (default http; `run_fuzz.sh list` names them)
#   FUZZ_SECONDS  run time (default 30)
#   CC            clang to use (default: clang, then clang-14)
#   FUZZ_KEEP     if set, a directory where the grown corpus is copied
#   FUZZ_BIN      if set, where the built fuzzer is copied (to replay inputs)
# Exit: 0 clean, 1 a crash/leak/timeout was found (reproducer in the log),
# 77 when clang or its fuzzer runtime is missing (ctest: SKIP_RETURN_CODE 77).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-30}
target=${1:-http}
h=$root/host
base="$h/base/err.c $h/base/log.c $h/base/json.c $h/base/buf.c $h/base/hash.c $h/base/jscan.c"

# What each target links: its parser and what that parser calls.
max_len=20000
case $target in
http)
    srcs="$h/daemon/http_session.c $h/risk/token.c"
    libs="-luv -lhttp_parser -lcrypto" ;;
config)
    srcs="$h/config/config.c $h/config/diff.c $h/config/env.c $h/config/json.c $h/config/reader.c
          $h/config/schema.c $h/config/values.c $h/base/strv.c $h/base/names.c $h/base/dates.c"
    libs="-linih -lcjson"; max_len=8192 ;;
csv)
    srcs="$h/data/replay.c $h/data/store.c $h/base/file.c $h/base/dates.c"
    libs="-lcrypto"; max_len=16384 ;;
store)
    srcs="$h/data/store.c $h/data/replay.c $h/base/file.c $h/base/dates.c"
    libs="-lcrypto"; max_len=16384 ;;
shard)
    srcs="$h/ablate/shard.c $h/ablate/runs.c $h/ablate/stats.c $h/base/file.c $h/base/dates.c"
    libs="-lcrypto -lm"; max_len=16384 ;;
state)
    srcs="$h/risk/state.c $h/risk/audit.c $h/base/bgsync.c $h/base/file.c $h/base/dates.c"
    libs="-lcjson -lcrypto -luv"; max_len=8192 ;; # uv: audit syncs off the loop
journal)
    srcs="$h/db/journal.c $h/db/journal_file.c $h/db/record.c $h/risk/pipeline.c $h/risk/instr.c $h/base/file.c
          $h/base/dates.c $h/base/names.c"
    libs="-lcjson -lm"; max_len=16384 ;;
wire)
    srcs="$h/plugin/wire.c $h/plugin/worker.c $h/plugin/loader.c $h/plugin/libcache.c $h/plugin/path.c
          $h/plugin/sandbox.c $h/plugin/objmem.c $h/plugin/lint.c $h/base/file.c $h/base/names.c
          $h/base/strv.c $h/base/dates.c $h/base/rodata.c"
    libs="-lcjson -lcrypto -lseccomp -ldl"; max_len=8192 ;;
fred)
    srcs="$h/daemon/fred_parse.c $h/base/dates.c"
    libs="-lcjson"; max_len=16384 ;;
rules)
    srcs="$h/venue/rules.c $h/risk/instr.c"
    libs="-lcjson -lm"; max_len=8192 ;;
market)
    srcs="$h/venue/market.c $h/venue/rules.c $h/risk/instr.c $h/venue/rest.c $h/venue/stream.c $h/venue/profile.c $h/venue/sign.c $h/net/curluv.c
          $h/base/dates.c $h/base/file.c"
    libs="-lcjson -luv -lcurl -lwebsockets -lcrypto"; max_len=4096 ;;
api)
    srcs="$h/daemon/api_body.c"
    libs="-lcjson"; max_len=4096 ;;
console)
    srcs="$h/daemon/console_bot.c"
    libs="-lcjson -linih"; max_len=4096 ;;
venue)
    srcs="$h/venue/reply.c $h/venue/rest.c $h/venue/rules.c $h/risk/instr.c $h/venue/sign.c $h/net/curluv.c $h/base/dates.c $h/base/file.c"
    libs="-lcjson -luv -lcurl -lcrypto -lm"; max_len=8192 ;;
ledger)
    srcs="$h/venue/ledger.c $h/base/bgsync.c $h/base/file.c $h/base/names.c"
    libs="-lcjson -luv"; max_len=8192 ;;
jscan)
    srcs=""
    libs="-lcjson"; max_len=4096 ;;
list)
    for f in "$here"/fuzz_*.c; do f=${f##*/fuzz_}; printf '%s ' "${f%.c}"; done; echo; exit 0 ;;
*)
    echo "run_fuzz: unknown target '$target' (run_fuzz.sh list)" >&2; exit 2 ;;
esac

cc=${CC:-}
if [ -z "$cc" ] || ! "$cc" --version 2>/dev/null | grep -q clang; then
    cc=
    for c in clang clang-14; do
        if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
    done
fi
if [ -z "$cc" ]; then
    echo "run_fuzz: clang not found (apt-get install -y clang libclang-rt-14-dev)" >&2
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gd-fuzz-$target.XXXXXX") || exit 1
# The targets' scratch files (fuzz_tmp.h): in memory when possible, and
# gone with this script even if the fuzzer died without cleaning up.
FUZZ_TMP=$(mktemp -d "/dev/shm/gd-fuzz-$target.XXXXXX" 2>/dev/null) || FUZZ_TMP=$work
export FUZZ_TMP
trap 'rm -rf "$work" "$FUZZ_TMP"' EXIT INT TERM

# The fuzzer runtime ships separately (libclang-rt-*-dev): probe for it.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    > "$work/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
    echo "run_fuzz: $cc cannot link -fsanitize=fuzzer (apt-get install -y libclang-rt-14-dev)" >&2
    exit 77
fi

# The target is held to the project's warnings; the host files are built
# as they are (their warnings are gcc's business, checked by the build).
flags="-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -DGD_VERSION=\"fuzz\""
# shellcheck disable=SC2086 # the flag, source and library lists split on purpose
if ! "$cc" $flags -Wall -Wextra -Werror -I "$h" -I "$root/sdk/include" -c "$here/fuzz_$target.c" \
        -o "$work/fuzz_$target.o" ||
   ! "$cc" $flags -w -I "$h" -I "$root/sdk/include" "$work/fuzz_$target.o" $srcs $base $libs -lcrypto \
        -o "$work/fuzz_$target"; then
    echo "run_fuzz: build of fuzz_$target failed" >&2
    exit 1
fi
if [ -n "${FUZZ_BIN:-}" ]; then
    mkdir -p "$FUZZ_BIN" && cp "$work/fuzz_$target" "$FUZZ_BIN/"
fi

mkdir -p "$work/corpus" "$work/artifacts"
cp "$here/corpus/$target"/* "$work/corpus/"
dict=
[ -f "$here/dict/$target.dict" ] && dict="-dict=$here/dict/$target.dict"
echo "run_fuzz: fuzzing $target for ${seconds}s" >&2
# shellcheck disable=SC2086 # dict is empty or one argument
"$work/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
    $dict -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" 2>"$work/log"
rc=$?
grep -v "^0x" "$work/log" | tail -n 60 | cut -c 1-400 >&2
# The figures for the note: executions, edges (cov:), features, corpus.
echo "run_fuzz: $target: $(grep -a 'cov:' "$work/log" | tail -n 1)" >&2
if [ -n "${FUZZ_KEEP:-}" ]; then
    mkdir -p "$FUZZ_KEEP" && cp "$work"/corpus/* "$FUZZ_KEEP"/ 2>/dev/null
fi
if [ $rc -ne 0 ]; then
    # Keep the reproducers: the temp dir goes away on exit.
    keep=${FUZZ_ARTIFACTS:-${TMPDIR:-/tmp}/gd-fuzz-$target-artifacts}
    mkdir -p "$keep"
    for f in "$work"/artifacts/*; do
        [ -f "$f" ] || continue
        cp "$f" "$keep/"
        echo "run_fuzz: reproducer $keep/$(basename "$f") (first 2 KiB, base64):" >&2
        head -c 2048 "$f" | base64 >&2
    done
    echo "run_fuzz: FAILED (fuzzer exit $rc); replay: FUZZ_BIN=DIR run_fuzz.sh $target, then DIR/fuzz_$target FILE" >&2
    exit 1
fi
echo "run_fuzz: ok" >&2
exit 0
