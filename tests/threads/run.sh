#!/usr/bin/env bash
# `make test-threads`: the extension in a threaded host, the way FrankenPHP
# runs PHP. Needs a thread-safe PHP built with --enable-embed (PHP_CONFIG /
# PHP, as for `make build`; the zts-threads target of scripts/matrix.sh
# builds one in a chroot and runs this there), a C compiler, memcached, and
# for the ThreadSanitizer run Rust nightly (rustup). Builds the extension
# and tests/threads/host.c, starts three private memcached, then runs:
#
#   1. host with THREADS_T threads x THREADS_N requests over THREADS_S shared
#      session ids, then a worker-mode loop of THREADS_W requests per thread
#      (see host.c); each "CHECK" line it prints is one test;
#   2. the extension built with -Zsanitizer=thread (and -Zbuild-std: the
#      standard library instrumented too; needs rust-src) in the host linked with
#      ThreadSanitizer's runtime, a short run (THREADS_TSAN_ARGS, default
#      4 threads x 200 requests over 6 ids, worker loops of 100), with
#      tests/threads/tsan.supp: one test, passed when ThreadSanitizer
#      reports nothing and every check passed. THREADS_TSAN=0 skips it.
#      The host loads the extension itself there (host.c -e): PHP's
#      extension= loader uses RTLD_DEEPBIND, which TSan's runtime refuses.
#      (Not helgrind: it does not see futex-based locks and atomics, so it
#      reports races in any Rust code using parking_lot, std's Mutex or Arc.)
#
# Ends with "N passed, N failed"; exits non-zero when anything failed or
# cannot run (saying what is missing).
#
# Environment: RSMEMCACHE_TEST_BASE_PORT (memcached on BASE+40, +41, +42;
# default 21211), THREADS_T (8), THREADS_N (5000), THREADS_S (24),
# THREADS_W (2000), THREADS_TSAN (1), THREADS_TSAN_ARGS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd -P)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

passed=0
failed=0
pids=()
work=""
log() { printf '== %s\n' "$*"; }
on_exit() {
  local rc=$?
  set +e
  stop_pids "${pids[@]}"
  [[ -z $work ]] || rm -rf -- "$work"
  printf '%d passed, %d failed\n' "$passed" "$failed"
  ((rc == 0 && failed == 0 && passed > 0)) || exit 1
  exit 0
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
missing() {
  echo "test-threads: $*" >&2
  failed=$((failed + 1))
  exit 1
}

if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
  export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
php_resolve
[[ -n $PHP && -n $PHP_CONFIG ]] || missing "no PHP found (set PHP_CONFIG to a ZTS PHP's php-config)"
if [[ $("$PHP" -n -r 'echo PHP_ZTS ? 1 : 0;') != 1 ]]; then   # (a bool from PHP 8.6 on)
  missing "$PHP is not thread-safe; this test needs a PHP built with --enable-zts --enable-embed (set PHP_CONFIG to its php-config; \`MATRIX_TARGETS=zts-threads make test-matrix\` builds one in a chroot and runs this test there)"
fi
prefix=$("$PHP_CONFIG" --prefix)
[[ " $("$PHP_CONFIG" --php-sapis) " == *" embed "* && -f $prefix/lib/libphp.so ]] \
  || missing "$PHP has no embed SAPI ($prefix/lib/libphp.so); build it with --enable-embed"
command -v cc >/dev/null 2>&1 || missing "no C compiler (cc; Debian package build-essential)"
command -v memcached >/dev/null 2>&1 || missing "memcached not found"
tsan=${THREADS_TSAN:-1}
tsan_args=${THREADS_TSAN_ARGS:--t 4 -n 200 -s 6 -w 100}
if [[ $tsan == 1 ]]; then
  sysroot=$(rustup run nightly rustc --print sysroot 2>/dev/null || true)
  tsan_rt=$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-nightly_rt.tsan.a
  [[ -n $sysroot && -f $tsan_rt ]] \
    || missing "the ThreadSanitizer run needs Rust nightly with its TSan runtime (rustup toolchain install nightly), or set THREADS_TSAN=0"
  [[ -f $sysroot/lib/rustlib/src/rust/library/Cargo.lock ]] \
    || missing "the ThreadSanitizer run builds Rust's standard library instrumented and needs its sources (rustup component add rust-src --toolchain nightly), or set THREADS_TSAN=0"
fi
log "PHP $("$PHP" -n -r 'echo PHP_VERSION;') ZTS, embed SAPI $prefix/lib/libphp.so"

log "cargo build --release"
cargo build --release
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir == /* ]] || target_dir="$ROOT/$target_dir"
so="$target_dir/release/librsmemcache.so"

work=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-threads.XXXXXX")
chmod 755 "$work"
log "cc tests/threads/host.c"
# shellcheck disable=SC2046  # php-config prints several flags
cc -O2 -g -Wall -Wextra -Wno-unused-parameter -o "$work/host" tests/threads/host.c \
  $("$PHP_CONFIG" --includes) -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -lphp -lpthread -ldl

base=${RSMEMCACHE_TEST_BASE_PORT:-21211}
ports=("$((base + 40))" "$((base + 41))" "$((base + 42))")
user_args=()
[[ $(id -u) != 0 ]] || user_args=(-u nobody)
servers=()
targets=()
for p in "${ports[@]}"; do
  port_in_use "$p" && missing "port $p is in use; set RSMEMCACHE_TEST_BASE_PORT to a free range"
  memcached -U 0 -m 64 -c 1024 -t 2 "${user_args[@]}" -l 127.0.0.1 -p "$p" </dev/null >"$work/memcached-$p.log" 2>&1 &
  pids+=("$!")
  servers+=("127.0.0.1:$p")
  targets+=("tcp://127.0.0.1:$p")
done
wait_ready "${targets[@]}" || missing "memcached did not come up"
save_path=$(IFS=,; echo "${servers[*]}")

ini=(
  -d "extension=$so"
  -d session.save_handler=rsmemcache
  -d "session.save_path=$save_path"
  -d session.use_strict_mode=0
  -d session.use_cookies=1
  -d session.use_only_cookies=1
  -d session.cache_limiter=
  -d session.gc_probability=0
  -d display_errors=0
  -d log_errors=1
  -d error_reporting=-1
  -d html_errors=0
  -d max_execution_time=0
  # A lock left behind would make the next request of its session wait
  # past this and fail (lock_failure=error), before the lock expires.
  -d rsmemcache.lock_wait_time=10000
  -d rsmemcache.lock_expire=30
)

# Counts the CHECK lines of a host run.
count_checks() {
  local p f
  p=$(grep -c '^CHECK .*: pass' "$1" || true)
  f=$(grep -c '^CHECK .*: fail' "$1" || true)
  passed=$((passed + p))
  failed=$((failed + f))
  return 0
}

t=${THREADS_T:-8} n=${THREADS_N:-5000} s=${THREADS_S:-24} w=${THREADS_W:-2000}
log "host: $t threads x $n requests, $s shared session ids, worker mode $t x $w"
set +e
"$work/host" -x tests/threads -t "$t" -n "$n" -s "$s" -w "$w" "${ini[@]}" 2>&1 | tee "$work/host.log"
rc=${PIPESTATUS[0]}
set -e
count_checks "$work/host.log"
if ((rc != 0)) && ! grep -q '^CHECK .*: fail' "$work/host.log"; then
  echo "test-threads: the host exited with status $rc" >&2
  failed=$((failed + 1))
fi

if [[ $tsan == 1 ]]; then
  # ThreadSanitizer: the extension built with -Zsanitizer=thread (Rust
  # nightly) and the host linked with that toolchain's TSan runtime (the
  # same LLVM as the instrumentation). PHP itself is not instrumented: its
  # own memory accesses are not checked, its pthread calls are.
  # The standard library is rebuilt instrumented too (-Zbuild-std): the
  # prebuilt one is not, so TSan would not see the synchronisation inside
  # std's Once, Mutex, thread::scope, and would report races that are none
  # (e.g. on a OnceLock's value: written in Once::call, read after).
  # https://doc.rust-lang.org/beta/unstable-book/compiler-flags/sanitizer.html
  log "ThreadSanitizer build (cargo +nightly, -Zsanitizer=thread, -Zbuild-std)"
  triple=x86_64-unknown-linux-gnu
  # std's own dependencies (library/Cargo.lock) come from crates.io; where
  # it cannot be reached (a chroot without the proxy's certificate), the
  # copies already in cargo's cache are used (--offline).
  offline=()
  cargo +nightly fetch -Zbuild-std --target "$triple" >/dev/null 2>&1 || offline=(--offline)
  RUSTFLAGS="-Zsanitizer=thread" \
    cargo +nightly build -Zbuild-std "${offline[@]}" --release --target "$triple" --target-dir "$target_dir/tsan"
  so_tsan="$target_dir/tsan/$triple/release/librsmemcache.so"
  # shellcheck disable=SC2046
  cc -O1 -g -o "$work/host-tsan" tests/threads/host.c $("$PHP_CONFIG" --includes) \
    -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -lphp -Wl,--export-dynamic \
    -Wl,--whole-archive "$tsan_rt" -Wl,--no-whole-archive -lpthread -ldl -lm -lrt
  # The host loads the extension itself (-e, without RTLD_DEEPBIND, which
  # PHP's extension= loader uses and ThreadSanitizer refuses).
  tsan_ini=(-e "$so_tsan" "${ini[@]:2}")
  log "host under ThreadSanitizer: $tsan_args"
  set +e
  # shellcheck disable=SC2086  # tsan_args is a list of options
  TSAN_OPTIONS="suppressions=$ROOT/tests/threads/tsan.supp exitcode=66 halt_on_error=0 log_path=$work/tsan" \
    "$work/host-tsan" -x tests/threads $tsan_args "${tsan_ini[@]}" >"$work/tsan-host.log" 2>&1
  rc=$?
  set -e
  sed 's/^/   tsan run: /' "$work/tsan-host.log"
  reports=$(cat "$work"/tsan.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
  log "ThreadSanitizer: $reports report(s)"
  if ((rc == 0 && reports == 0)) && grep -q '^CHECK' "$work/tsan-host.log" \
    && ! grep -q '^CHECK .*: fail' "$work/tsan-host.log"; then
    log "ThreadSanitizer run: passed"
    passed=$((passed + 1))
  else
    echo "test-threads: the ThreadSanitizer run failed (exit status $rc, $reports report(s)):" >&2
    cat "$work"/tsan.* 2>/dev/null | head -n 200 >&2
    failed=$((failed + 1))
  fi
fi
