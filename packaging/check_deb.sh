#!/usr/bin/env bash
# Builds the Debian packages gordon and gordon-sdk-dev, lints them, installs them
# into a clean Debian root with their maintainer scripts, exercises them there
# and purges them again.
#
#   packaging/check_deb.sh               build + lintian + install test   (make check-deb)
#   packaging/check_deb.sh --build-only  build only                       (make deb)
#   packaging/check_deb.sh --no-build    test the .debs already in the output dir
#
# Output: build-deb/gordon_<version>_<arch>.deb, build-deb/gordon-sdk-dev_<version>_<arch>.deb
# (plus -dbgsym, .buildinfo, .changes). The packages are built from a staging copy
# of the tree (build-deb/src/gordon-<version>, packaging/debian as debian/), so the
# repository itself is never touched; the build runs without network when it can
# (unshare -n as root).
#
# The install test needs root, debootstrap and the Debian mirror the first time:
# the minbase root is cached in /var/cache/gordon-debootstrap.tgz and downloaded
# .debs in /var/cache/gordon-debootstrap-apt/ (GD_DEBOOTSTRAP_CACHE,
# GD_DEBOOTSTRAP_APT; --refresh rebuilds the root). GD_VERBOSE=1 shows every
# check's output; GD_CHECK_BOOT=auto|yes|no controls the systemd-nspawn boot test
# (auto: skipped where nspawn cannot boot). Exit status: 0 all passed,
# 1 something failed, 77 cannot run here (not root, no debootstrap and no network).
set -euo pipefail
# Under pipefail, `cmd | grep -q` fails when grep exits at the first match and cmd,
# still writing, dies of SIGPIPE: with long output, grep without -q (>/dev/null) reads all.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${GD_DEB_OUT:-$ROOT/build-deb}
SUITE=${GD_DEB_SUITE:-bookworm}
MIRROR=${GD_DEB_MIRROR:-http://deb.debian.org/debian}
CACHE=${GD_DEBOOTSTRAP_CACHE:-/var/cache/gordon-debootstrap.tgz}
APT_CACHE=${GD_DEBOOTSTRAP_APT:-/var/cache/gordon-debootstrap-apt}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

mode=check refresh=0
for a in "$@"; do
  case $a in
    --build-only) mode=build ;;
    --no-build) mode=nobuild ;;
    --refresh) refresh=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check_deb.sh: unknown argument '$a' (try --help)" >&2; exit 2 ;;
  esac
done

T0=$(date +%s)
say() { printf '== [%4ss] %s\n' $(($(date +%s) - T0)) "$*"; }
die() { echo "check_deb.sh: $*" >&2; exit 1; }
skip() { echo "check_deb.sh: SKIP: $*" >&2; exit 77; }

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# apt-get install only what is missing (like `make deps`).
need_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# One source of truth: project(gordon VERSION x.y.z) in CMakeLists.txt.
VERSION=$(sed -n 's/^project(gordon VERSION \([0-9][0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
[ -n "$VERSION" ] || die "cannot read the version from CMakeLists.txt"
ARCH=$(dpkg --print-architecture)
TRIPLET=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
DEB=$OUT/gordon_${VERSION}_${ARCH}.deb
SDKDEB=$OUT/gordon-sdk-dev_${VERSION}_${ARCH}.deb

check_changelog_version() {
  local cv
  cv=$(dpkg-parsechangelog -l "$ROOT/packaging/debian/changelog" -S Version)
  [ "$cv" = "$VERSION" ] ||
    die "packaging/debian/changelog is at $cv but CMakeLists.txt says $VERSION: add a changelog entry for $VERSION (e.g. dch -c packaging/debian/changelog -v $VERSION)"
}

build() {
  need_pkgs dpkg-dev debhelper
  check_changelog_version
  local stage=$OUT/src/gordon-$VERSION
  say "staging the source tree in ${stage#"$ROOT"/}"
  rm -rf "$OUT/src"
  mkdir -p "$stage"
  # What a clean clone has: no build trees, outputs or build products (.gitignore),
  # and no data/ (not packaged).
  tar -C "$ROOT" --exclude=./.git --exclude='./build*' --exclude=./out --exclude=./data \
      --exclude='*.o' --exclude='*.so' -cf - . | tar -C "$stage" -xf -
  rm -rf "$stage/debian"
  cp -a "$ROOT/packaging/debian" "$stage/debian"

  if ! (cd "$stage" && dpkg-checkbuilddeps >/dev/null 2>&1); then
    say "installing the build dependencies"
    (cd "$stage" && $SUDO apt-get build-dep -y -qq ./) || die "cannot install the build dependencies"
  fi

  # No network for the build itself: only Debian packages and this tree.
  local nonet=()
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then nonet=(unshare -n); fi
  say "dpkg-buildpackage -b (${nonet[*]:-with network}); log: ${OUT#"$ROOT"/}/build.log"
  rm -f "$OUT"/*.deb "$OUT"/*.ddeb "$OUT"/*.buildinfo "$OUT"/*.changes
  if ! (cd "$stage" && "${nonet[@]}" dpkg-buildpackage -b --no-sign -j"$JOBS") >"$OUT/build.log" 2>&1; then
    tail -40 "$OUT/build.log" >&2
    die "dpkg-buildpackage failed (full log: $OUT/build.log)"
  fi
  mv "$OUT"/src/*.deb "$OUT"/src/*.buildinfo "$OUT"/src/*.changes "$OUT"/
  find "$OUT/src" -maxdepth 1 -name '*.ddeb' -exec mv {} "$OUT"/ \;
  [ -f "$DEB" ] && [ -f "$SDKDEB" ] || die "expected $DEB and $SDKDEB"
  say "built:"
  ls -l "$OUT"/*.deb | sed 's/^/   /'
}

if [ "$mode" = build ]; then
  build
  exit 0
fi

# ------------------------------------------------------------------ the checks
[ "$(id -u)" = 0 ] || skip "the install test needs root (chroot, mount, dpkg in a Debian root)"
if ! need_pkgs debootstrap lintian dpkg-dev 2>/dev/null; then
  command -v debootstrap >/dev/null && command -v lintian >/dev/null ||
    skip "debootstrap or lintian missing and apt-get cannot install them (no network?)"
fi

if [ "$mode" = nobuild ]; then
  [ -f "$DEB" ] && [ -f "$SDKDEB" ] || die "no packages in $OUT: run without --no-build"
else
  build
fi

pass=0 failed=0
LOG=$(mktemp)
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# t DESCRIPTION CMD...: one check; the command's output is shown if it fails (or
# always with GD_VERBOSE=1).
t() {
  local d=$1; shift
  if "$@" >"$LOG" 2>&1; then
    ok "$d"
    [ "${GD_VERBOSE:-0}" = 0 ] || sed 's/^/      /' "$LOG"
  else
    bad "$d"; sed 's/^/      /' "$LOG" | tail -30
  fi
}

WORK='' ROOTFS='' NSPAWN_PID='' NSPAWN_TMPFS=''
cleanup() {
  local rc=$?
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  [ -n "$NSPAWN_TMPFS" ] && umount "$NSPAWN_TMPFS" 2>/dev/null || true
  if [ -n "$ROOTFS" ]; then
    for m in "$ROOTFS/var/cache/apt/archives" "$ROOTFS/proc"; do
      mountpoint -q "$m" 2>/dev/null && { umount "$m" 2>/dev/null || umount -l "$m"; }
    done
    # Never recurse into something still mounted (the apt cache is the host's).
    if ! grep -q " $ROOTFS/" /proc/mounts; then
      rm -rf --one-file-system "$WORK"
    else
      echo "check_deb.sh: $ROOTFS still has mounts; left in place" >&2
    fi
  fi
  rm -f "$LOG"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the packages, from outside -------------------------------------------------
say "package contents"
list_deb() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's#^\./#/#; s#/$##'; }
has_paths() {
  local deb=$1 p rc=0; shift
  local content; content=$(list_deb "$deb")
  for p in "$@"; do grep -qxF "$p" <<<"$content" || { echo "missing: $p"; rc=1; }; done
  return $rc
}
t "gordon contains the daemon, config, units, man page, dashboards, migrations, state dirs" \
  has_paths "$DEB" /usr/bin/gordon /usr/libexec/gordon/gordon-worker /usr/share/doc/gordon/isolation.md.gz /etc/gordon/gordon.ini /etc/gordon/conf.d /etc/default/gordon \
    /lib/systemd/system/gordon.service /lib/systemd/system/gordon-migrate.service \
    /lib/systemd/system/gordon-backup.service /lib/systemd/system/gordon-backup.timer /usr/share/man/man1/gordon.1.gz \
    /usr/share/gordon/prometheus/alerts.yml /usr/share/gordon/grafana/gordon.json \
    /usr/share/gordon/migrations /usr/share/gordon/sample/sample_1h.csv /var/lib/gordon \
    /usr/share/doc/gordon/examples/ip-allowlist.conf /usr/share/doc/gordon/examples/realtime.conf \
    /usr/share/doc/gordon/examples/ablate-indexed-job.yaml /usr/share/doc/gordon/examples/ablate-array.sbatch \
    /usr/share/doc/gordon/examples/ablate-submit.sh \
    /var/lib/gordon/plugins /usr/share/doc/gordon/copyright /usr/share/doc/gordon/changelog.gz
# Every SQL migration of the tree, where gordon-migrate.service reads them.
MIGS=()
for f in "$ROOT"/migrations/[0-9][0-9][0-9]_*.sql; do
  [ -e "$f" ] && MIGS+=("/usr/share/gordon/migrations/$(basename "$f")")
done
t "gordon contains every migration of migrations/ (${#MIGS[@]}) in /usr/share/gordon/migrations" \
  eval '[ ${#MIGS[@]} -gt 0 ] && has_paths "$DEB" "${MIGS[@]}"'
recommends() { dpkg-deb -f "$DEB" Recommends | tr -d ' ' | tr , '\n' | grep -qx "$1"; }
t "gordon recommends restic and postgresql-client (backups, the restore drill)" \
  eval 'recommends restic && recommends postgresql-client'
BUILT=()
for f in "$OUT/src/gordon-$VERSION/obj-$TRIPLET/plugins/"*.so; do
  [ -e "$f" ] && BUILT+=("/usr/lib/$TRIPLET/gordon/plugins/$(basename "$f")")
done
t "gordon contains every plugin the build made (${#BUILT[@]})" \
  eval '[ ${#BUILT[@]} -gt 0 ] && has_paths "$DEB" "${BUILT[@]}"'
t "gordon-sdk-dev contains the headers, the .pc file and the plugin template" \
  has_paths "$SDKDEB" /usr/include/gordon/sdk.h /usr/include/gordon/helpers.h "/usr/lib/$TRIPLET/pkgconfig/gordon-sdk.pc" \
    /usr/share/gordon/plugin-template/Makefile /usr/share/gordon/plugin-template/README.md \
    /usr/share/gordon/plugin-template/my_strategy.c
conffiles_ok() {
  local d; d=$(mktemp -d)
  dpkg-deb -e "$DEB" "$d"
  cat "$d/conffiles"
  [ "$(sort "$d/conffiles")" = "$(printf '%s\n' /etc/default/gordon /etc/gordon/conf.d/README /etc/gordon/gordon.ini)" ]
  local rc=$?; rm -rf "$d"; return $rc
}
t "conffiles: /etc/gordon/gordon.ini, /etc/gordon/conf.d/README, /etc/default/gordon" conffiles_ok
no_data() { ! { list_deb "$DEB"; list_deb "$SDKDEB"; } | grep -E 'sp500|usdchf|/data/'; }
t "the market data in data/ is not packaged" no_data
t "package version $VERSION (CMakeLists.txt) in both" \
  eval '[ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" ] && [ "$(dpkg-deb -f "$SDKDEB" Version)" = "$VERSION" ]'

say "lintian"
if lintian --fail-on error --display-info --tag-display-limit 0 "$DEB" "$SDKDEB" >"$LOG" 2>&1; then
  ok "lintian: no errors ($(grep -c '^W:' "$LOG" || true) warning(s), $(grep -c '^I:' "$LOG" || true) info)"
else
  bad "lintian reports errors"
fi
grep -E '^[EWI]:' "$LOG" | sed 's/^/      /' || true

# --- a clean Debian root ----------------------------------------------------------
WORK=$(mktemp -d /var/tmp/gordon-check-deb.XXXXXX)
ROOTFS=$WORK/root
mkdir -p "$ROOTFS" "$APT_CACHE/partial"
if [ "$refresh" = 1 ] || [ ! -s "$CACHE" ]; then
  say "debootstrap --variant=minbase $SUITE (cached afterwards in $CACHE)"
  if ! debootstrap --variant=minbase --include=gcc,libc6-dev,make,pkgconf,systemd,procps "$SUITE" "$ROOTFS" "$MIRROR" \
      >"$WORK/debootstrap.log" 2>&1; then
    tail -20 "$WORK/debootstrap.log" >&2
    if ! getent hosts "$(sed 's#^[a-z]*://##; s#[:/].*##' <<<"$MIRROR")" >/dev/null; then
      skip "debootstrap failed and the mirror $MIRROR does not resolve (no network?)"
    fi
    die "debootstrap failed (log above)"
  fi
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb
  tar -C "$ROOTFS" --numeric-owner -czf "$CACHE.tmp" . && mv "$CACHE.tmp" "$CACHE"
else
  say "unpacking the cached Debian root $CACHE"
  tar -C "$ROOTFS" --numeric-owner -xzf "$CACHE"
fi
mount -t proc proc "$ROOTFS/proc" || skip "cannot mount /proc in the chroot (no privileges?)"
mount --bind "$APT_CACHE" "$ROOTFS/var/cache/apt/archives"
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# Nothing starts services in this root.
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
# No pty in the chroot: keep dpkg from asking for one.
echo 'Dpkg::Use-Pty "0";' >"$ROOTFS/etc/apt/apt.conf.d/90gordon-check"

in_root() {
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
as_gordon() { in_root runuser -u gordon -- "$@"; }

say "apt-get update in the root"
in_root apt-get update -qq >"$LOG" 2>&1 || { cat "$LOG" >&2; skip "apt-get update failed in the chroot (no network?)"; }

# Everything on disk that a package could leave behind (not apt's and dpkg's own
# databases, logs, caches or scratch space).
snapshot() {
  (cd "$ROOTFS" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./run -o -path ./tmp \
      -o -path ./var/tmp -o -path ./root -o -path ./var/cache -o -path ./var/lib/apt \
      -o -path ./var/lib/dpkg -o -path ./var/log -o -path ./usr/sbin/policy-rc.d \) -prune -o -print) |
    sed 's#^\.##' | sort
}
# The runtime dependencies first (from the packages' own Depends:, and gordon's
# Recommends:, which apt installs with it), so that the before/after comparison
# around install + purge sees only what gordon does.
deps=$( { dpkg-deb -f "$DEB" Depends; echo ,; dpkg-deb -f "$DEB" Recommends; echo ,; dpkg-deb -f "$SDKDEB" Depends; } |
  tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep . | sort -u | tr '\n' ' ')
say "apt-get install the dependencies: $deps"
in_root apt-get install -y -q $deps >"$LOG" 2>&1 || { cat "$LOG"; die "cannot install the dependencies in the root"; }
snapshot >"$WORK/before"

say "apt-get install ./gordon_${VERSION}_${ARCH}.deb ./gordon-sdk-dev_${VERSION}_${ARCH}.deb"
mkdir -p "$ROOTFS/tmp/debs"
cp "$DEB" "$SDKDEB" "$ROOTFS/tmp/debs/"
failed_before=$failed
t "apt-get install of both packages (dependencies from Debian, postinst runs)" \
  in_root apt-get install -y -q "/tmp/debs/$(basename "$DEB")" "/tmp/debs/$(basename "$SDKDEB")"
if [ "$failed" != "$failed_before" ]; then
  bad "cannot continue without the packages installed"
  echo "$pass passed, $failed failed"
  exit 1
fi

say "checks in the root"
t "dpkg: gordon and gordon-sdk-dev installed" \
  eval 'in_root dpkg-query -W -f="\${db:Status-Abbrev}\n" gordon gordon-sdk-dev | grep -cx "ii " | grep -qx 2'
in_root gordon --version >"$WORK/version" 2>&1 || true
t "gordon --version: $(cat "$WORK/version")" grep -q "^gordon $VERSION (.*), SDK ABI [0-9]*\.[0-9]*$" "$WORK/version"
user_ok() {
  local ent; ent=$(in_root getent passwd gordon) || return 1
  echo "$ent"
  IFS=: read -r _ _ uid _ _ home shell <<<"$ent"
  [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/gordon ] && [ "$shell" = /usr/sbin/nologin ] &&
    in_root getent group gordon
}
t "system user and group gordon (uid < 1000, home /var/lib/gordon, no login)" user_ok
perm() { local got; got=$(in_root stat -c '%U:%G %a' "$1"); echo "$1: $got"; [ "$got" = "$2" ]; }
t "/var/lib/gordon is gordon:gordon 0750" perm /var/lib/gordon "gordon:gordon 750"
t "/var/lib/gordon/plugins is root:root 0755 (the daemon cannot write code)" perm /var/lib/gordon/plugins "root:root 755"
t "/etc/default/gordon is root:root 0600" perm /etc/default/gordon "root:root 600"
t "/etc/gordon/gordon.ini is root:root 0644" perm /etc/gordon/gordon.ini "root:root 644"
t "conffiles registered with dpkg" \
  eval 'in_root dpkg-query -W -f="\${Conffiles}\n" gordon | grep -c -e " /etc/gordon/gordon.ini " -e " /etc/default/gordon " | grep -qx 2'
t "man page gordon(1) installed, gzipped" \
  eval 'in_root zcat /usr/share/man/man1/gordon.1.gz | grep "^\.TH GORDON 1" >/dev/null'
no_secrets() {
  ! in_root grep -nE '^[[:space:]]*(api_key|operator_token_sha256)[[:space:]]*=' /etc/gordon/gordon.ini &&
  ! in_root grep -nvE '^[[:space:]]*(#|$)' /etc/default/gordon
}
t "no secrets shipped (no api_key or token hash set; /etc/default/gordon all comments)" no_secrets
t "shipped config: [gordon] mode = testnet, [executor] testnet = true" \
  eval 'in_root grep -qx "mode = testnet" /etc/gordon/gordon.ini && in_root grep -qx "testnet = true" /etc/gordon/gordon.ini'

plugins_ok() {
  local n=0 f
  for f in $(in_root sh -c "ls /usr/lib/$TRIPLET/gordon/plugins/*.so"); do
    in_root gordon plugin check "$f" >/dev/null || { echo "refused: $f"; in_root gordon plugin check "$f"; return 1; }
    echo "OK $f"; n=$((n + 1))
  done
  [ "$n" = "${#BUILT[@]}" ]
}
t "gordon plugin check on every bundled plugin (${#BUILT[@]})" plugins_ok

t "pkg-config: gordon-sdk $VERSION, --cflags" \
  eval 'in_root pkg-config --cflags gordon-sdk && [ "$(in_root pkg-config --modversion gordon-sdk)" = "$VERSION" ]'
template_ok() {
  in_root sh -ec 'rm -rf /tmp/tpl; cp -r /usr/share/gordon/plugin-template /tmp/tpl; cd /tmp/tpl;
    echo "cflags: $(pkg-config --cflags gordon-sdk)"; make; make check'
}
t "plugin template builds against the installed SDK and passes gordon plugin check" template_ok

# The shipped config as the service runs it, but ending with the data and on a free port.
t "gordon run accepts /etc/gordon/gordon.ini (as gordon, replay of the sample)" \
  as_gordon env GORDON_GORDON_EXIT_WHEN_DONE=true GORDON_HTTP_LISTEN=127.0.0.1:0 \
    gordon run --config /etc/gordon/gordon.ini --quiet
t "state written by the daemon under /var/lib/gordon belongs to gordon" \
  eval 'perm /var/lib/gordon/state "gordon:gordon 700" && in_root test -s /var/lib/gordon/intents.jsonl'
refuses_prod() {
  local rc=0
  as_gordon env GORDON_GORDON_MODE=production GORDON_GORDON_EXIT_WHEN_DONE=true \
    GORDON_HTTP_LISTEN=127.0.0.1:0 gordon run --config /etc/gordon/gordon.ini --quiet || rc=$?
  [ "$rc" = 1 ]
}
t "mode = production on the shipped config is refused (testnet = true)" refuses_prod

# A short replay as the gordon user: a bundled strategy, overlay and breaker, and
# the template plugin deployed as a drop-in, referenced by path from a conf.d file.
mkdir -p "$ROOTFS/tmp/gdcheck/conf.d"
cat >"$ROOTFS/tmp/gdcheck/replay.ini" <<EOF
[gordon]
mode = testnet
state_dir = /tmp/gdcheck/state
intent_log = /tmp/gdcheck/intents.jsonl

[risk]
equity = 10000
risk_pct = 0.5

[replay]
data = SAMPLE:/usr/share/gordon/sample/sample_1h.csv

[instrument.SAMPLE]
tick_size = 0.01
step_size = 0.001
min_qty = 0.001
min_notional = 5

[strategy.ema]
plugin = ema_cross
fast = 10
slow = 30

[overlay.trend]
plugin = trend_filter
period = 100

[breaker.dd]
plugin = drawdown
max_drawdown_pct = 20
EOF
cat >"$ROOTFS/tmp/gdcheck/conf.d/20-my-strategy.ini" <<EOF
[strategy.mine]
plugin = /var/lib/gordon/plugins/my_strategy.so
period = 24
stop_pct = 2
EOF
in_root install -m 0644 /tmp/tpl/my_strategy.so /var/lib/gordon/plugins/my_strategy.so || true
in_root chown -R gordon:gordon /tmp/gdcheck
as_gordon gordon init --state-dir /tmp/gdcheck/state >/dev/null
replay_ok() {
  as_gordon timeout 60 gordon run --config /tmp/gdcheck/replay.ini --confd /tmp/gdcheck/conf.d >"$WORK/replay.out" 2>&1 || {
    cat "$WORK/replay.out"; return 1; }
  grep -E '^(bars|signals|trades) ' "$WORK/replay.out"
  grep -qE '^bars +720$' "$WORK/replay.out" && in_root test -s /tmp/gdcheck/intents.jsonl &&
    grep -q '"strategy":"mine"' "$ROOTFS/tmp/gdcheck/intents.jsonl"
}
t "replay as gordon: bundled plugins + drop-in plugin from /var/lib/gordon/plugins, 720 bars" replay_ok

# The daemon as the unit runs it: stays up after the data, serves the API, stops on SIGTERM.
daemon_ok() {
  local pidf=/tmp/gdcheck/daemon.pid outf=$ROOTFS/tmp/gdcheck/daemon.out port='' rc=0
  in_root sh -c "runuser -u gordon -- env GORDON_HTTP_LISTEN=127.0.0.1:0 \
      gordon run --config /etc/gordon/gordon.ini >/tmp/gdcheck/daemon.out 2>&1 & echo \$! >$pidf"
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$outf" | head -1)
    [ -n "$port" ] && grep -q 'serving until SIGTERM' "$outf" && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$outf"; return 1; }
  echo "API on port $port"
  in_root timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nConnection: close\r\n\r\n' >&3; cat <&3" \
    >"$WORK/healthz" || true
  head -1 "$WORK/healthz"
  head -1 "$WORK/healthz" | grep -q ' 200 ' || rc=1
  # No token hash configured: mutating endpoints refuse everyone.
  in_root timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'POST /risk/halt HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nAuthorization: Bearer 0000000000000000000000000000000000000000000000000000000000000000\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >&3; cat <&3" \
    >"$WORK/halt" || true
  echo "POST /risk/halt: $(head -1 "$WORK/halt")"
  head -1 "$WORK/halt" | grep -q ' 403 ' || rc=1
  in_root sh -c "kill -TERM \$(cat $pidf)"
  for _ in $(seq 1 100); do
    in_root sh -c "kill -0 \$(cat $pidf) 2>/dev/null" || break
    sleep 0.1
  done
  if in_root sh -c "kill -0 \$(cat $pidf) 2>/dev/null"; then
    echo "still running 10 s after SIGTERM"; in_root sh -c "kill -KILL \$(cat $pidf)"; rc=1
  fi
  [ $rc = 0 ] || cat "$outf"
  return $rc
}
t "shipped config: the daemon stays up after the data, /healthz 200, POST /risk/halt 403 (no tokens), SIGTERM stops it" daemon_ok

UNITS="gordon.service gordon-migrate.service gordon-backup.service gordon-backup.timer"
verify_unit() {
  # Offline, inside the installed root (which has systemd but does not run it), so
  # ExecStart=, ExecReload=, Requires= and the targets resolve against what the
  # packages installed. Documentation= is checked by the man page test (no man-db here).
  local u
  for u in $UNITS; do
    in_root systemd-analyze verify --man=no "/lib/systemd/system/$u" || return 1
  done
}
t "systemd-analyze verify $UNITS (in the installed root)" verify_unit
# The hardening does not regress: the exposure score stays at 1.4 or better
# (systemd-analyze counts it in tenths), for the daemon and the units beside it.
security_ok() {
  local u
  for u in gordon.service gordon-migrate.service gordon-backup.service; do
    in_root systemd-analyze security --offline=yes --threshold=14 "/lib/systemd/system/$u" | tail -1 || return 1
  done
}
t "systemd-analyze security: exposure 1.4 or lower (gordon, gordon-migrate, gordon-backup)" security_ok
# Read from the installed files (nothing runs systemd here; the boot test
# below shows the behaviour).
unit_has() { in_root grep -qx "$2" "/lib/systemd/system/$1" || { echo "$1: no line $2"; return 1; }; }
units_wired() {
  unit_has gordon.service "Requires=gordon-migrate.service" && unit_has gordon.service "After=gordon-migrate.service" &&
    unit_has gordon-migrate.service "Type=oneshot" && unit_has gordon-migrate.service "RemainAfterExit=yes" &&
    unit_has gordon-migrate.service "User=gordon" &&
    unit_has gordon-migrate.service \
      "ExecStart=/usr/bin/gordon migrate --config /etc/gordon/gordon.ini --migrations /usr/share/gordon/migrations" &&
    unit_has gordon-backup.service "Type=oneshot" && unit_has gordon-backup.service "User=gordon" &&
    unit_has gordon-backup.service "ExecStart=/usr/bin/gordon backup --config /etc/gordon/gordon.ini" &&
    unit_has gordon-backup.timer "OnCalendar=hourly" && unit_has gordon-backup.timer "Persistent=true" &&
    unit_has gordon-backup.timer "RandomizedDelaySec=5min"
}
t "gordon.service Requires= and is After= gordon-migrate.service (oneshot, RemainAfterExit, as gordon); gordon-backup.service oneshot as gordon; its timer hourly, Persistent, spread over 5 min" units_wired
t "gordon-backup.timer is installed disabled; gordon-migrate.service and gordon-backup.service are static" \
  eval '[ "$(in_root systemctl is-enabled gordon-backup.timer)" = disabled ] &&
        [ "$(in_root systemctl is-enabled gordon-migrate.service)" = static ] &&
        [ "$(in_root systemctl is-enabled gordon-backup.service)" = static ]'
# What gordon-migrate.service runs, on the shipped config (no database).
t "gordon migrate --config /etc/gordon/gordon.ini (no database): exit 0, nothing to do" \
  eval 'as_gordon gordon migrate --config /etc/gordon/gordon.ini --migrations /usr/share/gordon/migrations |
        grep "no database configured.*nothing to do"'
t "gordon backup and restore-drill are there; restic and pg_dump (recommended) are installed" \
  eval 'help=$(in_root gordon --help) && grep -q "^  backup " <<<"$help" && grep -q "^  restore-drill " <<<"$help" &&
        in_root restic version && in_root pg_dump --version'
# Installed disabled; enabling works offline, and purge must undo it.
t "gordon.service is installed disabled; systemctl enable works" \
  eval '[ "$(in_root systemctl is-enabled gordon.service)" = disabled ] && in_root systemctl enable gordon.service &&
        in_root test -L /etc/systemd/system/multi-user.target.wants/gordon.service'

# Conffiles: a reinstall (as an upgrade would) keeps the operator's edit.
keeps_edit() {
  in_root sh -c 'echo "; local edit by check_deb.sh" >>/etc/gordon/gordon.ini'
  in_root apt-get install -y -q --reinstall -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "/tmp/debs/$(basename "$DEB")" && in_root grep -qx "; local edit by check_deb.sh" /etc/gordon/gordon.ini
}
t "reinstall keeps an operator's edit of /etc/gordon/gordon.ini" keeps_edit

# --- purge ----------------------------------------------------------------------------
say "apt-get purge"
in_root rm -rf /tmp/gdcheck /tmp/tpl
t "apt-get purge -y gordon gordon-sdk-dev" in_root apt-get purge -y -q gordon gordon-sdk-dev
gone() {
  local p rc=0
  for p in /etc/gordon /etc/default/gordon /var/lib/gordon /usr/bin/gordon "/usr/lib/$TRIPLET/gordon" \
      /usr/share/gordon /usr/include/gordon "/usr/lib/$TRIPLET/pkgconfig/gordon-sdk.pc" \
      /lib/systemd/system/gordon.service /lib/systemd/system/gordon-migrate.service \
      /lib/systemd/system/gordon-backup.service /lib/systemd/system/gordon-backup.timer \
      /usr/share/doc/gordon /usr/share/man/man1/gordon.1.gz; do
    [ -e "$ROOTFS$p" ] && { echo "left behind: $p"; rc=1; }
  done
  in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' gordon gordon-sdk-dev 2>/dev/null |
    grep -v '^un ' | grep . && rc=1
  return $rc
}
t "after purge: no conffiles, no /var/lib/gordon, no files of either package" gone
leftovers() {
  snapshot >"$WORK/after"
  # The system user stays by Debian practice (and its passwd/group lines with it).
  diff "$WORK/before" "$WORK/after" | grep '^[<>]' |
    grep -vxE '> /etc/(passwd|group|shadow|gshadow)-' | tee "$WORK/diff"
  [ ! -s "$WORK/diff" ]
}
t "after purge: the filesystem is as before the install (apart from passwd backups)" leftovers
in_root getent passwd gordon >/dev/null && echo "note: the gordon system user remains after purge (Debian practice; uid not reused)"

# --- the unit under a real systemd ------------------------------------------------------
# Reinstall (the user already exists: postinst must cope), enable, boot the root
# with systemd-nspawn (own network namespace, so port 8080 is free) and drive the
# service with systemctl: Type=notify readiness, the sandbox, reload, stop. Needs
# systemd-nspawn to be able to boot here; if it cannot, this part is skipped.
say "reinstall, then boot the root with systemd-nspawn (GD_CHECK_BOOT=${GD_CHECK_BOOT:-auto})"
t "reinstall after purge (existing gordon user)" \
  in_root apt-get install -y -q "/tmp/debs/$(basename "$DEB")" "/tmp/debs/$(basename "$SDKDEB")"
in_root systemctl enable gordon.service >/dev/null 2>&1 || true
in_ct() { nsenter -t "$CT_LEADER" -m -u -i -n -p -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
boot_start() {
  CT_LEADER=
  if ! command -v systemd-nspawn >/dev/null; then
    need_pkgs systemd-container >/dev/null 2>&1 || { echo "no systemd-nspawn"; return 1; }
  fi
  # nspawn keeps state under /run/systemd/nspawn and refuses to clean it up on a
  # disk file system (hosts without a tmpfs /run, e.g. containers).
  mkdir -p /run/systemd/nspawn
  if [ "$(stat -f -c %T /run/systemd/nspawn)" != tmpfs ]; then
    mount -t tmpfs tmpfs /run/systemd/nspawn && NSPAWN_TMPFS=/run/systemd/nspawn
  fi
  umount "$ROOTFS/var/cache/apt/archives" "$ROOTFS/proc"
  systemd-nspawn -D "$ROOTFS" --boot --register=no --keep-unit --private-network --console=pipe \
    </dev/null >"$WORK/boot.log" 2>&1 &
  NSPAWN_PID=$!
  for _ in $(seq 1 150); do
    CT_LEADER=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
    if [ -n "$CT_LEADER" ] && in_ct systemctl is-system-running 2>/dev/null | grep -qE 'running|degraded'; then
      return 0
    fi
    kill -0 "$NSPAWN_PID" 2>/dev/null || break
    sleep 0.2
  done
  tail -5 "$WORK/boot.log"
  return 1
}
service_ok() {
  local st rc=0
  for _ in $(seq 1 100); do
    st=$(in_ct systemctl is-active gordon.service || true)
    [ "$st" = activating ] || break
    sleep 0.1
  done
  echo "gordon.service: $st ($(in_ct systemctl show -P StatusText gordon.service))"
  [ "$st" = active ] || rc=1
  # WatchdogSec=30s: the daemon arms its pings (every 15 s) from the unit's WATCHDOG_USEC.
  echo "watchdog: $(in_ct systemctl show -P WatchdogUSec gordon.service)"
  [ "$(in_ct systemctl show -P WatchdogUSec gordon.service)" = 30s ] || rc=1
  for _ in $(seq 1 50); do # journald may take a moment to store the line
    in_ct journalctl -u gordon.service --no-pager | grep 'WATCHDOG=1 every 15000 ms' >/dev/null && break
    sleep 0.1
  done
  in_ct journalctl -u gordon.service --no-pager | grep 'WATCHDOG=1 every 15000 ms' >/dev/null || { echo "watchdog not armed"; rc=1; }
  in_ct timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080
    printf "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n" >&3; cat <&3' >"$WORK/readyz" 2>&1 || true
  head -1 "$WORK/readyz"; tail -1 "$WORK/readyz"; echo
  head -1 "$WORK/readyz" | grep -q ' 200 ' || rc=1
  in_ct systemctl reload gordon.service || rc=1
  [ "$(in_ct systemctl is-active gordon.service)" = active ] || { echo "not active after reload"; rc=1; }
  in_ct systemctl stop gordon.service || rc=1
  echo "after stop: $(in_ct systemctl show -P Result gordon.service), exit status $(in_ct systemctl show -P ExecMainStatus gordon.service)"
  [ "$(in_ct systemctl show -P Result gordon.service)" = success ] || rc=1
  [ $rc = 0 ] || in_ct journalctl -u gordon.service --no-pager | tail -20
  return $rc
}
# gordon-migrate.service guards the daemon: the boot ran it first (no database:
# nothing to do); a migration that fails keeps gordon from starting; fixed, it
# starts. gordon-backup.service runs gordon backup as gordon in its sandbox (the
# password file readable there; no database here, so it stops at the connection).
units_run_ok() {
  local rc=0 d="$ROOTFS/etc/systemd/system"
  echo "gordon-migrate.service: $(in_ct systemctl is-active gordon-migrate.service)"
  [ "$(in_ct systemctl is-active gordon-migrate.service)" = active ] || rc=1
  in_ct journalctl -u gordon-migrate.service --no-pager | grep "nothing to do" || { echo "not in its journal: nothing to do"; rc=1; }
  mkdir -p "$d/gordon-migrate.service.d" "$d/gordon-backup.service.d"
  printf '[Service]\nEnvironment="GORDON_DB_DSN=host=127.0.0.1 port=1 dbname=x connect_timeout=2"\n' \
    >"$d/gordon-migrate.service.d/unreachable.conf"
  in_ct systemctl daemon-reload
  in_ct systemctl stop gordon.service gordon-migrate.service
  if in_ct systemctl start gordon.service 2>&1; then echo "gordon.service started although its migration failed"; rc=1; fi
  echo "with a failing migration: gordon.service $(in_ct systemctl is-active gordon.service), gordon-migrate.service $(in_ct systemctl is-active gordon-migrate.service)"
  [ "$(in_ct systemctl is-active gordon.service)" != active ] || rc=1
  [ "$(in_ct systemctl is-active gordon-migrate.service)" = failed ] || rc=1
  in_ct journalctl -u gordon-migrate.service --no-pager | grep "cannot connect to the database" || rc=1
  rm -rf "$d/gordon-migrate.service.d"
  in_ct systemctl daemon-reload
  in_ct systemctl reset-failed gordon.service gordon-migrate.service
  in_ct systemctl start gordon.service || rc=1
  echo "fixed: gordon.service $(in_ct systemctl is-active gordon.service)"
  [ "$(in_ct systemctl is-active gordon.service)" = active ] || rc=1
  in_ct systemctl stop gordon.service || rc=1
  printf 'not-a-real-password\n' >"$ROOTFS/etc/gordon/restic.pw"
  in_ct chown root:gordon /etc/gordon/restic.pw
  in_ct chmod 0640 /etc/gordon/restic.pw
  printf '[Service]\nEnvironment="GORDON_DB_DSN=host=127.0.0.1 port=1 dbname=x connect_timeout=2" "GORDON_BACKUP_RESTIC_REPOSITORY=/var/backups/gordon/repo" "GORDON_BACKUP_RESTIC_PASSWORD_FILE=/etc/gordon/restic.pw"\n' \
    >"$d/gordon-backup.service.d/test.conf"
  in_ct systemctl daemon-reload
  if in_ct systemctl start gordon-backup.service 2>&1; then echo "gordon-backup.service succeeded without a database"; rc=1; fi
  in_ct journalctl -u gordon-backup.service --no-pager | grep "gordon backup: FAILED: cannot connect to the database" || rc=1
  rm -rf "$d/gordon-backup.service.d" "$ROOTFS/etc/gordon/restic.pw"
  in_ct systemctl daemon-reload
  in_ct systemctl enable --now gordon-backup.timer || rc=1
  in_ct systemctl list-timers --all --no-pager gordon-backup.timer | grep gordon-backup.timer || rc=1
  in_ct systemctl disable --now gordon-backup.timer || rc=1
  return $rc
}
# The Ansible deployment (packaging/ansible): ansible-core goes into the root
# before it boots (the container has no network); the playbook then runs in
# the booted container against itself (connection local), with a test vault,
# on a host where gordon was purged: it installs the .deb, writes
# /etc/default/gordon (0600, root) from the vault, lays the stage's config,
# runs the migrate one-shot, starts the service and checks /healthz and
# /readyz. A second run changes nothing.
ANSIBLE=
if in_root apt-get install -y -q ansible-core python3-apt >"$WORK/ansible-install.log" 2>&1; then
  ANSIBLE=1
  rm -rf "$ROOTFS/var/tmp/gd-ansible"
  cp -r "$ROOT/packaging/ansible" "$ROOTFS/var/tmp/gd-ansible"
  cp "$DEB" "$ROOTFS/var/tmp/gd-ansible/gordon.deb"
  printf 'vault-test-%s\n' "$RANDOM$RANDOM" >"$ROOTFS/var/tmp/gd-ansible/vault.pw"
  chmod 600 "$ROOTFS/var/tmp/gd-ansible/vault.pw"
  VAULT_TOKEN_HASH=$(printf 'ansible-test-token' | sha256sum | cut -d' ' -f1)
  printf 'vault_gordon_operator_token_sha256: %s\nvault_gordon_secret: sek-%s\n' "$VAULT_TOKEN_HASH" "$RANDOM$RANDOM" \
    >"$ROOTFS/var/tmp/gd-ansible/vault.yml"
  in_root ansible-vault encrypt --vault-password-file /var/tmp/gd-ansible/vault.pw /var/tmp/gd-ansible/vault.yml >"$LOG" 2>&1 ||
    { cat "$LOG"; ANSIBLE=; }
  VAULT_SECRET=
  cat >"$ROOTFS/var/tmp/gd-ansible/inventory.ini" <<'INV'
[gordon]
localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 ansible_become_method=su
INV
  cat >"$ROOTFS/var/tmp/gd-ansible/test-vars.yml" <<'VARS'
gordon_deb: /var/tmp/gd-ansible/gordon.deb
gordon_mode: testnet
gordon_stage: testnet
gordon_risk_pct: 0.25
gordon_http_listen: 127.0.0.1:8080
gordon_operator_token_sha256: "{{ vault_gordon_operator_token_sha256 }}"
gordon_env:
  GORDON_FRED_API_KEY: "{{ vault_gordon_secret }}"
VARS
else
  echo "note: ansible-core could not be installed in the root (no network?): the Ansible test is skipped"
  sed 's/^/      /' "$WORK/ansible-install.log" | tail -3
fi
playbook() { # playbook LOGNAME: one run in the container; its recap into $WORK/LOGNAME
  in_ct env HOME=/root LC_ALL=C.UTF-8 ANSIBLE_LOCAL_TEMP=/var/tmp/gd-ansible/tmp ANSIBLE_NOCOLOR=1 \
    ansible-playbook -i /var/tmp/gd-ansible/inventory.ini /var/tmp/gd-ansible/site.yml -e @/var/tmp/gd-ansible/test-vars.yml \
    -e @/var/tmp/gd-ansible/vault.yml --vault-password-file /var/tmp/gd-ansible/vault.pw >"$WORK/$1" 2>&1
}
ansible_ok() {
  local rc=0 recap
  in_ct systemctl stop gordon.service
  in_ct apt-get purge -y -q gordon >/dev/null 2>&1 || { echo "cannot purge gordon in the container"; return 1; }
  playbook ansible1 || { tail -30 "$WORK/ansible1"; return 1; }
  recap=$(grep -A1 '^PLAY RECAP' "$WORK/ansible1" | tail -1)
  echo "first run: $recap"
  echo "$recap" | grep -Eq 'changed=[1-9][0-9]* .*failed=0' || rc=1
  playbook ansible2 || { tail -30 "$WORK/ansible2"; return 1; }
  recap=$(grep -A1 '^PLAY RECAP' "$WORK/ansible2" | tail -1)
  echo "second run: $recap"
  echo "$recap" | grep -Eq 'changed=0 .*failed=0' || { grep -B2 '^changed:' "$WORK/ansible2" | head -20; rc=1; }
  [ "$(in_ct stat -c '%a %U %G' /etc/default/gordon)" = "600 root root" ] || { echo "/etc/default/gordon: $(in_ct stat -c '%a %U %G' /etc/default/gordon)"; rc=1; }
  in_ct grep -q '^GORDON_FRED_API_KEY=sek-' /etc/default/gordon || { echo "the vault's secret is not in /etc/default/gordon"; rc=1; }
  grep -q 'sek-' "$WORK/ansible1" "$WORK/ansible2" && { echo "the secret is in ansible's output"; rc=1; }
  in_ct grep -q "^operator_token_sha256 = $VAULT_TOKEN_HASH" /etc/gordon/conf.d/50-stage.ini || { echo "the token hash is not in 50-stage.ini"; rc=1; }
  in_ct grep -q '^risk_pct = 0.25' /etc/gordon/conf.d/50-stage.ini || rc=1
  [ "$(in_ct systemctl is-active gordon.service)" = active ] || { echo "gordon.service: $(in_ct systemctl is-active gordon.service)"; rc=1; }
  [ "$(in_ct systemctl is-enabled gordon.service)" = enabled ] || rc=1
  grep -q 'ok: \[localhost\].*' "$WORK/ansible1" && grep -q 'TASK \[gordon : /readyz says ready\]' "$WORK/ansible2" || rc=1
  in_ct systemctl stop gordon.service
  return $rc
}
if [ "${GD_CHECK_BOOT:-auto}" = no ]; then
  echo "SKIP: boot test (GD_CHECK_BOOT=no)"
elif boot_start >"$LOG" 2>&1; then
  t "systemd (nspawn): gordon.service starts (Type=notify, sandboxed, watchdog armed), /readyz 200, reloads, stops cleanly" service_ok
  t "systemd (nspawn): gordon-migrate.service runs before gordon (no database: nothing to do); a failing migration keeps gordon from starting; gordon-backup.service runs gordon backup sandboxed; the timer enables" units_run_ok
  [ -n "$ANSIBLE" ] && t "Ansible (packaging/ansible, test vault): the playbook installs the .deb, writes /etc/default/gordon 0600 from the vault, lays the stage config, starts gordon, /healthz and /readyz; a second run changes nothing" ansible_ok
  in_ct systemctl poweroff >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
elif [ "${GD_CHECK_BOOT:-auto}" = yes ]; then
  bad "systemd-nspawn could not boot the root"; sed 's/^/      /' "$LOG"
else
  echo "SKIP: boot test: systemd-nspawn cannot boot here (GD_CHECK_BOOT=yes makes this a failure):"
  sed 's/^/      /' "$LOG"
fi

say "done"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
