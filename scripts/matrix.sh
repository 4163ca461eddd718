#!/usr/bin/env bash
# The test matrix: runs the README's test command (`make test`) on the host
# and in debootstrapped Debian chroots with other PHPs, and tests the Debian
# package in a fresh chroot. Prints per target its setup and extension build
# times, its "N passed, N failed" line and its skipped tests with their
# reasons, then the sum as the last line, "N passed, N failed". Exits
# non-zero if any target failed or no test passed. Needs root (chroot,
# mount, debootstrap); `make test-matrix` runs it.
#
#   bash scripts/matrix.sh
#   MATRIX_TARGETS="trixie-8.4 zts-8.2" bash scripts/matrix.sh
#   MATRIX_TARGETS=sid-8.6 MATRIX_COMMAND="bash scripts/run-tests.sh php-tests/secure_auth.phpt" bash scripts/matrix.sh
#
# Targets (MATRIX_TARGETS, default all, in this order; KNOWN_TARGETS below
# lists them, run_target says what each does):
#   host        make test with the host's PHP (scripts/deps.sh installs it)
#   trixie-8.4  Debian 13 trixie, PHP 8.4 from Debian packages: the full
#               README test command, e2e farm tests included
#   sid-8.5     Debian sid with experimental in sources.list, PHP 8.5
#               (php8.5-dev/-cli/-fpm from experimental, sid's memcached
#               and nginx: the e2e farm tests run against them; no
#               php8.5-memcache/-memcached exist, so the compat tests skip)
#   sid-8.6     the same with PHP 8.6 (experimental's php8.6-dev/-cli/-fpm)
#   zts-8.2     Debian 12 bookworm with a thread-safe PHP built from the
#               Debian source package php8.2 (apt-get source; configure
#               --enable-zts --enable-embed; about 8 minutes on 2 cores,
#               under nice), installed in /opt/php-zts inside the chroot
#   zts-threads `make test-threads` in the zts-8.2 chroot (the same
#               directory and PHP): the threaded embed host
#               (tests/threads/run.sh)
#   deb         scripts/deb-test.sh: make deb, then install the package with
#               apt into a fresh chroot of the host's release, use it, remove it
#   deb-trixie  the same for Debian 13: the package is built for trixie's
#               PHP 8.4 in the trixie-8.4 chroot (its cached build), then
#               scripts/deb-test.sh installs it into a fresh trixie chroot
#   phpize      the PHP way (scripts/phpize-test.sh): in a trixie chroot with
#               only php8.4-dev, php8.4-cli, memcached, clang, libclang-dev
#               and make from Debian (no scripts/deps.sh), a clean copy of the
#               tree is built with `cd ext && phpize && ./configure
#               --enable-rsmemcache && make && make install`, then loaded by
#               name (php --ri) and used for a session against memcached
#
# Chroots are kept between runs in MATRIX_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/rsmemcache-matrix): one directory per target
# with the debootstrapped root, the installed packages, the ZTS PHP and the
# cargo target directory, so a second run only copies the sources and
# builds incrementally. A fresh machine builds all of it from nothing
# (debootstrap is installed when missing). MATRIX_FRESH=1 throws the cache
# of the chosen targets away first.
#
# Inside a chroot the host's rustup toolchains are bind-mounted read-only
# (RUSTUP_HOME, default ~/.rustup) and the host's cargo home (bin, registry)
# is copied in, so cargo writes only inside the chroot. Every mount is
# undone on exit, failure and Ctrl-C (scripts/chroot.sh), and checked with
# findmnt.
#
# MATRIX_COMMAND replaces `make test` in the chroot targets (a quicker
# check while porting, e.g. `make build` or run-tests.sh with named tests).
#
# Other environment: MATRIX_MIRROR (Debian mirror), RSMEMCACHE_TEST_BASE_PORT
# (passed to every target; targets run one after another),
# RSMEMCACHE_SKIP_E2E / RSMEMCACHE_SKIP_CARGO_TESTS (passed on).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
# shellcheck source=scripts/chroot.sh
source scripts/chroot.sh

KNOWN_TARGETS=(host trixie-8.4 sid-8.5 sid-8.6 zts-8.2 zts-threads deb deb-trixie phpize)
TARGETS=${MATRIX_TARGETS:-${KNOWN_TARGETS[*]}}
COMMAND=${MATRIX_COMMAND:-make test}
CACHE=${MATRIX_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/rsmemcache-matrix}
MIRROR=$CHROOT_MIRROR
HOST_RUSTUP=${RUSTUP_HOME:-${HOME:-/root}/.rustup}
HOST_CARGO=${CARGO_HOME:-${HOME:-/root}/.cargo}
ZTS_PREFIX=/opt/php-zts
ZTS_CONFIGURE="--prefix=$ZTS_PREFIX --enable-zts --disable-all --enable-session --enable-cli --enable-embed --enable-fpm --enable-pcntl --enable-posix --with-zlib --disable-cgi --disable-phpdbg"
PASS_ENV=(RSMEMCACHE_TEST_BASE_PORT RSMEMCACHE_SKIP_E2E RSMEMCACHE_SKIP_CARGO_TESTS SIGSTOP_BASE_PORT
  THREADS_T THREADS_N THREADS_S THREADS_W THREADS_TSAN THREADS_TSAN_ARGS)

log() { printf '== %s\n' "$*"; }
warn() { printf '!! %s\n' "$*" >&2; }

LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-matrix.XXXXXX")
# Unmounts whatever is still mounted under the chroots of this run's targets
# (a target's own trap normally did it already) and fails if anything stays
# mounted. (Each target's directory is locked by the run using it.)
sweep_mounts() {
  local m t dir left=0
  for t in $TARGETS; do
    dir=$CACHE/${t/#zts-threads/zts-8.2}
    [[ -d $dir ]] || continue
    dir=$(readlink -f "$dir")
    while read -r m; do
      [[ -n $m ]] || continue
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done < <(chroot_mounts_under "$dir" | sort -r)
    while read -r m; do
      [[ -n $m ]] || continue
      warn "$m is still mounted"
      left=1
    done < <(chroot_mounts_under "$dir")
  done
  return "$left"
}
on_exit() {
  local rc=$?
  set +e
  sweep_mounts || rc=1
  rm -rf -- "$LOG_DIR"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for t in $TARGETS; do
  [[ " ${KNOWN_TARGETS[*]} " == *" $t "* ]] || { warn "unknown matrix target '$t' (known: ${KNOWN_TARGETS[*]})"; exit 2; }
done
if [[ " $TARGETS " != " host " ]]; then
  [[ $(id -u) == 0 ]] || { warn "the chroot targets need root (chroot, mount)"; exit 2; }
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
fi

# --- one chroot target ------------------------------------------------------

# Copies the working tree (without build output) to ROOT/src and the host's
# cargo home (rustup's proxies and the crate registry) to .cargo in root's home in the chroot.
# The sources get the time of the copy (tar -m): with their own times, a file
# edited while an earlier run was building could look older than that
# build, and cargo would keep the stale result.
copy_in() {
  local root=$1
  rm -rf -- "$root/src"
  mkdir -p "$root/src" "$root$CHROOT_HOME/.cargo"
  tar -C "$ROOT" --exclude=./target --exclude=./build --exclude=./.git --exclude=./.run -cf - . \
    | tar -C "$root/src" -xmf -
  local d
  for d in bin registry env; do
    [[ -e $HOST_CARGO/$d ]] && cp -a "$HOST_CARGO/$d" "$root$CHROOT_HOME/.cargo/"
  done
  return 0
}

# Builds the thread-safe PHP inside ROOT (once; zts.ok records the configure
# line it was built with).
build_zts_php() {
  local dir=$1 root=$1/tree
  if [[ -f $dir/zts.ok && $(<"$dir/zts.ok") == "$ZTS_CONFIGURE" && -x $root$ZTS_PREFIX/bin/php-config ]]; then
    return 0
  fi
  log "zts-8.2: building PHP from Debian's php8.2 source package: ./configure $ZTS_CONFIGURE"
  chroot_run "$root" -- apt-get update -qq || return 1
  chroot_run "$root" -- apt-get install -y -qq build-essential pkg-config xz-utils dpkg-dev ca-certificates zlib1g-dev >/dev/null || return 1
  chroot_run "$root" ZTS_CONFIGURE="$ZTS_CONFIGURE" -- bash -euc '
    rm -rf /usr/local/src/php8.2 && mkdir -p /usr/local/src/php8.2 && cd /usr/local/src/php8.2
    apt-get source --download-only -qq php8.2 2>&1 | grep -v "unsandboxed as root" || true
    tar xf "$(ls php8.2_*.orig.tar.* | grep -v "\.asc$" | head -n 1)"
    cd php-8.2.*/
    t0=$SECONDS
    # shellcheck disable=SC2086
    nice ./configure $ZTS_CONFIGURE >configure.log 2>&1 || { tail -n 30 configure.log; exit 1; }
    echo "== configure: $((SECONDS - t0)) s"
    t0=$SECONDS
    nice make -j"$(nproc)" >make.log 2>&1 || { tail -n 40 make.log; exit 1; }
    echo "== make: $((SECONDS - t0)) s"
    make install >install.log 2>&1 || { tail -n 30 install.log; exit 1; }' || return 1
  printf '%s' "$ZTS_CONFIGURE" >"$dir/zts.ok"
}

# chroot_setup NAME SUITE SOURCES [VAR=value ...]: the chroot of target NAME
# made ready in CACHE/NAME/tree (bootstrap and packages cached; scripts/deps.sh
# inside), mounted, the sources copied in. Sets CHROOT_ROOT and CHROOT_VARS
# (the environment for chroot_run: the given variables, PASS_ENV, the cargo
# target directory). The caller unmounts (chroot_umount_all); its lock on the
# directory lasts until the calling (sub)shell exits.
CHROOT_ROOT=""
CHROOT_VARS=()
chroot_setup() {
  local name=$1 suite=$2 sources=$3
  shift 3
  local dir=$CACHE/$name root=$CACHE/$name/tree v t0 lock_fd
  CHROOT_ROOT=$root
  CHROOT_VARS=("$@")
  [[ -d $HOST_RUSTUP/toolchains ]] || { warn "$name: no rustup toolchains in $HOST_RUSTUP (set RUSTUP_HOME)"; return 1; }
  [[ -x $HOST_CARGO/bin/cargo ]] || { warn "$name: no cargo in $HOST_CARGO/bin (set CARGO_HOME)"; return 1; }
  mkdir -p "$CACHE"
  exec {lock_fd}>"$CACHE/$name.lock"
  flock -n "$lock_fd" || { warn "$name: another matrix run is using $dir"; return 1; }
  [[ ${MATRIX_FRESH:-0} != 1 ]] || rm -rf -- "$dir"
  t0=$SECONDS
  chroot_bootstrap "$CACHE" "$dir" "$suite" || return 1
  chroot_apt_setup "$root" "$sources"
  chroot_mount "$root" "$HOST_RUSTUP" || return 1
  if [[ $name == zts-* ]]; then
    build_zts_php "$dir" || return 1
  fi
  copy_in "$root"
  for v in "${PASS_ENV[@]}"; do
    [[ -z ${!v:-} ]] || CHROOT_VARS+=("$v=${!v}")
  done
  CHROOT_VARS+=(CARGO_TARGET_DIR=/var/tmp/rsmemcache-target)
  if [[ ! -d $root/usr/share/ca-certificates/mozilla ]]; then   # for cargo's downloads
    chroot_run "$root" -- apt-get update -qq || return 1
    chroot_run "$root" -- apt-get install -y -qq ca-certificates >/dev/null || return 1
  fi
  if [[ $name == phpize ]]; then   # only what the PHP way needs, no deps.sh
    chroot_run "$root" -- apt-get update -qq || return 1
    chroot_run "$root" -- apt-get install -y -qq php8.4-dev php8.4-cli memcached clang libclang-dev make >/dev/null || return 1
  else
    chroot_run "$root" "${CHROOT_VARS[@]}" -- bash /src/scripts/deps.sh || return 1
  fi
  printf '== setup: %d s (chroot, packages%s)\n' "$((SECONDS - t0))" "$([[ $name == zts-* ]] && echo ', ZTS PHP')"
}

# run_chroot_target NAME SUITE SOURCES [VAR=value ...]: chroot_setup, then
# the README's test command (or MATRIX_COMMAND, or TARGET_CMD: the target's
# own command) in /src, then unmount.
run_chroot_target() {
  local rc=0
  chroot_setup "$@" || return 1
  chroot_run "$CHROOT_ROOT" "${CHROOT_VARS[@]}" MATRIX_COMMAND="${TARGET_CMD:-$COMMAND}" -- bash -c 'cd /src && eval "$MATRIX_COMMAND"' || rc=$?
  chroot_umount_all || rc=1
  return "$rc"
}

# deb_for_release TARGET SUITE SOURCES [VAR=value ...]: builds the Debian
# package in chroot target TARGET (`make deb`: its PHP, its cached cargo
# build), unmounts, then tests it with scripts/deb-test.sh in a fresh chroot
# of SUITE.
deb_for_release() {
  local suite=$2 deb rc=0
  # (The target's cache is reused even with MATRIX_FRESH=1: that run made it.)
  MATRIX_FRESH=0 chroot_setup "$@" || return 1
  echo "== make deb (in the $1 chroot)"
  chroot_run "$CHROOT_ROOT" "${CHROOT_VARS[@]}" -- bash -c 'cd /src && make --no-print-directory deb' \
    | tee "$LOG_DIR/$1-deb.out" || rc=1
  deb=$(tail -n 1 "$LOG_DIR/$1-deb.out")
  chroot_umount_all || rc=1
  ((rc == 0)) || return 1
  [[ $deb == build/*.deb && -f $CHROOT_ROOT/src/$deb ]] || { warn "make deb in $1 named no package"; return 1; }
  mkdir -p "$CACHE/tmp"
  cp "$CHROOT_ROOT/src/$deb" "$CACHE/tmp/"
  MATRIX_CACHE=$CACHE DEB_TEST_SUITE=$suite bash scripts/deb-test.sh "$CACHE/tmp/${deb##*/}" || rc=$?
  rm -f -- "$CACHE/tmp/${deb##*/}"
  return "$rc"
}

SOURCES_TRIXIE="deb $MIRROR trixie main"
SOURCES_SID="deb $MIRROR sid main
deb $MIRROR experimental main"

# What each target runs; a new target is a line in KNOWN_TARGETS (above)
# and a branch here.
run_target() {
  local t=$1
  case $t in
    host)
      make test
      ;;
    trixie-8.4)
      run_chroot_target "$t" trixie "$SOURCES_TRIXIE" PHP_VERSION=8.4
      ;;
    sid-8.5 | sid-8.6)
      run_chroot_target "$t" sid "$SOURCES_SID" PHP_VERSION="${t#sid-}"
      ;;
    zts-8.2)
      run_chroot_target "$t" bookworm "deb $MIRROR bookworm main
deb-src $MIRROR bookworm main" PHP_CONFIG="$ZTS_PREFIX/bin/php-config" PHP="$ZTS_PREFIX/bin/php"
      ;;
    zts-threads)   # the zts-8.2 chroot and PHP, the threaded embed host
      TARGET_CMD='make test-threads' run_chroot_target zts-8.2 bookworm "deb $MIRROR bookworm main
deb-src $MIRROR bookworm main" PHP_CONFIG="$ZTS_PREFIX/bin/php-config" PHP="$ZTS_PREFIX/bin/php"
      ;;
    deb)
      MATRIX_CACHE=$CACHE bash scripts/deb-test.sh
      ;;
    phpize)
      TARGET_CMD='bash scripts/phpize-test.sh' run_chroot_target "$t" trixie "$SOURCES_TRIXIE"
      ;;
    deb-trixie)
      deb_for_release trixie-8.4 trixie "$SOURCES_TRIXIE" PHP_VERSION=8.4
      ;;
  esac
}

# --- the matrix ---------------------------------------------------------------
summary_re='^[0-9]+ passed, [0-9]+ failed$'
total_passed=0
total_failed=0
report=()
for t in $TARGETS; do
  log "matrix target $t"
  t0=$SECONDS
  set +e
  (
    trap 'chroot_umount_all || exit 1' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    run_target "$t"
  ) </dev/null 2>&1 | tee "$LOG_DIR/$t.log"
  rc=${PIPESTATUS[0]}
  sweep_mounts || rc=1
  set -e
  secs=$((SECONDS - t0))
  line=$(grep -E "$summary_re" "$LOG_DIR/$t.log" | tail -n 1 || true)
  if [[ -z $line ]]; then
    line="0 passed, 1 failed"
  elif ((rc != 0)) && [[ $line == *" 0 failed" ]]; then
    line="${line%% *} passed, 1 failed"   # a failure outside the counted tests
  fi
  p=${line%% passed*}
  f=${line#*passed, }
  f=${f%% failed}
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  php=$(sed -n 's/^== PHP \([^ ]* [NZ]TS\).*/\1/p' "$LOG_DIR/$t.log" | head -n 1)
  mc=$(sed -n 's/^== memcached \([0-9][0-9.]*\) .*/\1/p' "$LOG_DIR/$t.log" | head -n 1)
  e2e_ok=$(grep -c '^== e2e .*: passed$' "$LOG_DIR/$t.log" || true)
  e2e_all=$((e2e_ok + $(grep -c '^!! e2e .*: FAILED' "$LOG_DIR/$t.log" || true)))
  build=$(sed -n 's/^ *Finished `release` profile.* in \(.*\)$/\1/p' "$LOG_DIR/$t.log" | head -n 1)
  setup=$(sed -n 's/^== setup: \([0-9]* s\).*/\1/p' "$LOG_DIR/$t.log" | head -n 1)
  report+=("$(printf '%-11s %-15s memcached %-7s setup %-6s build %-8s total %4d s  e2e %-4s %s' \
    "$t" "${php:--}" "${mc:--}" "${setup:--}" "${build:--}" "$secs" "$([[ $e2e_all == 0 ]] && echo - || echo "$e2e_ok/$e2e_all")" "$line")")
  while IFS= read -r s; do
    report+=("$(printf '              skipped: %s' "$s")")
  done < <(tr '\r' '\n' <"$LOG_DIR/$t.log" | sed -n 's/^SKIP .*\[\(\(php-tests\|tests\/e2e\)\/[^]]*\)\] *reason: *\(.*\)$/\1: \3/p' | sort -u)
done

echo
log "matrix summary (setup: chroot, packages, ZTS PHP; build: cargo build --release of the extension; e2e: farm tests passed/run)"
printf '   %s\n' "${report[@]}"
log "matrix took $((SECONDS / 60)) min $((SECONDS % 60)) s"
printf '%d passed, %d failed\n' "$total_passed" "$total_failed"
((total_failed == 0 && total_passed > 0))
