#!/bin/sh
# Builds the libFuzzer target for the HTTP request path (the session in
# host/daemon/http_session.c: no sockets) and runs it for a
# bounded time on a copy of the seed corpus.
#   FUZZ_SECONDS  run time (default 30)
#   CC            clang to use (default: clang, then clang-14)
#   FUZZ_KEEP     if set, a directory where the grown corpus is copied
# Exit: 0 clean, 1 a crash/leak/timeout was found (reproducer in the log),
# 77 when clang or its fuzzer runtime is missing (ctest: SKIP_RETURN_CODE 77).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-30}

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

work=$(mktemp -d "${TMPDIR:-/tmp}/gd-fuzz-http.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

# The fuzzer runtime ships separately (libclang-rt-*-dev): probe for it.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    > "$work/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
    echo "run_fuzz: $cc cannot link -fsanitize=fuzzer (apt-get install -y libclang-rt-14-dev)" >&2
    exit 77
fi

if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -D_GNU_SOURCE -I "$root/host" -I "$root/sdk/include" \
        "$root/tests/fuzz/fuzz_http.c" "$root/host/daemon/http_session.c" "$root/host/base/err.c" "$root/host/base/log.c" \
        "$root/host/base/json.c" "$root/host/base/buf.c" "$root/host/risk/token.c" "$root/host/base/hash.c" \
        -luv -lhttp_parser -lcrypto -o "$work/fuzz_http"; then
    echo "run_fuzz: build failed" >&2
    exit 1
fi

mkdir -p "$work/corpus" "$work/artifacts"
cp "$root"/tests/fuzz/corpus/* "$work/corpus/"
echo "run_fuzz: fuzzing http for ${seconds}s" >&2
"$work/fuzz_http" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=20000 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" 2>"$work/log"
rc=$?
grep -v "^0x" "$work/log" | tail -n 60 | cut -c 1-400 >&2
if [ -n "${FUZZ_KEEP:-}" ]; then
    mkdir -p "$FUZZ_KEEP" && cp "$work"/corpus/* "$FUZZ_KEEP"/ 2>/dev/null
fi
if [ $rc -ne 0 ]; then
    # Keep the reproducers: the temp dir goes away on exit.
    keep=${FUZZ_ARTIFACTS:-${TMPDIR:-/tmp}/gd-fuzz-http-artifacts}
    mkdir -p "$keep"
    for f in "$work"/artifacts/*; do
        [ -f "$f" ] || continue
        cp "$f" "$keep/"
        echo "run_fuzz: reproducer $keep/$(basename "$f") (first 2 KiB, base64):" >&2
        head -c 2048 "$f" | base64 >&2
    done
    echo "run_fuzz: FAILED (fuzzer exit $rc); replay: build as above, then ./fuzz_http FILE" >&2
    exit 1
fi
echo "run_fuzz: ok" >&2
exit 0
