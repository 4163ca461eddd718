#!/usr/bin/env bash
# Builds rsmemcache the PHP way, as a user following PECL's steps or PIE
# (build-path "ext" in composer.json) does, and uses the result:
#
#   cd ext && phpize && ./configure --enable-rsmemcache && make && make install
#
# then checks, each counted as one test: modules/rsmemcache.so was built; it
# was installed into php-config --extension-dir; `php -n -d
# extension=rsmemcache --ri rsmemcache` loads it by name from there; a session
# written by one php process through it against a private memcached
# (127.0.0.1:BASE+150, stopped by PID) is read back by a second one; and the
# repository root is untouched (phpize and configure wrote only under ext/:
# the project's Makefile still builds with `make build`). Prints the time of
# each step and "N passed, N failed" last; exits non-zero on any failure.
#
# scripts/matrix.sh runs it in a trixie chroot (target `phpize`) on a fresh
# copy of the tree. Run elsewhere, it builds in the tree it belongs to and,
# unless PHPIZE_TEST_INSTALL_ROOT=/some/dir is set (make install
# INSTALL_ROOT=...: the module goes under that directory and is loaded from
# there by path), installs into the PHP's real extension directory.
#
# Environment: PHPIZE (default phpize), PHP_CONFIG (passed as
# --with-php-config; default: the php-config configure finds), MEMCACHED,
# RSMEMCACHE_TEST_BASE_PORT (default 21211), CARGO_TARGET_DIR (cargo's target
# directory; config.m4 takes it at configure time).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PORT=$((${RSMEMCACHE_TEST_BASE_PORT:-21211} + 150))
install_root=${PHPIZE_TEST_INSTALL_ROOT:-}
passed=0
failed=0
mc_pid=""
work=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-phpize.XXXXXX")

on_exit() {
  local rc=$?
  set +e
  [[ -z $mc_pid ]] || stop_pids "$mc_pid"
  rm -rf -- "$work"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ok WHAT / bad WHAT: one counted test.
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
finish() {
  printf '%d passed, %d failed\n' "$passed" "$failed"
  ((failed == 0 && passed > 0))
  exit $?
}

# step NAME COMMAND...: runs COMMAND in ext/ with its output in a log,
# prints its time; on failure the log's tail, a failed test, and the summary.
step() {
  local name=$1 t0 rc=0
  shift
  t0=$SECONDS
  (cd ext && "$@") >"$work/$name.log" 2>&1 || rc=$?
  echo "== $name: $((SECONDS - t0)) s"
  if ((rc)); then
    tail -n 40 "$work/$name.log"
    bad "$name (exit $rc)"
    finish
  fi
}

root_files() { find . -maxdepth 1 ! -name . ! -name target ! -name build ! -name .git | LC_ALL=C sort; }
root_before=$(root_files)
makefile_sum=$(cksum <Makefile)

phpize=${PHPIZE:-phpize}
configure_args=(--enable-rsmemcache)
[[ -z ${PHP_CONFIG:-} ]] || configure_args+=("--with-php-config=$PHP_CONFIG")
# A fresh clone has none of phpize's files in ext/; a tree that was built
# before (or copied from one) is cleaned the way phpize itself does it.
if [[ -e ext/configure || -e ext/modules ]]; then step clean "$phpize" --clean; fi
echo "== cd ext && $phpize && ./configure ${configure_args[*]} && make && make install"
t_all=$SECONDS
step phpize "$phpize"
step configure ./configure "${configure_args[@]}"
grep -E '^checking for (the PHP to build|cargo)' "$work/configure.log" || true
step make make -j"$(nproc)"
grep -m1 'Finished .release. profile' "$work/make.log" || true
so=ext/modules/rsmemcache.so
if [[ -f $so ]]; then ok "make built $so ($(stat -c %s "$so") bytes)"; else bad "make built no $so"; fi
step install make install ${install_root:+"INSTALL_ROOT=$install_root"}
echo "== phpize build, from phpize to make install: $((SECONDS - t_all)) s"

# The PHP that configure built for (config.m4 wrote its php-config into the Makefile).
PHP_CONFIG=$(sed -n 's/^RSMEMCACHE_PHP_CONFIG = //p' ext/Makefile)
PHP=$("$PHP_CONFIG" --php-binary)
echo "== PHP $("$PHP" -n -r 'echo PHP_VERSION, PHP_ZTS ? " ZTS" : " NTS";') ($PHP, $PHP_CONFIG)"
ext_dir=$("$PHP_CONFIG" --extension-dir)
installed=$install_root$ext_dir/rsmemcache.so
if cmp -s "$so" "$installed"; then ok "make install put it in $installed"; else bad "make install did not put it in $installed"; fi
load=(-d extension=rsmemcache)
[[ -z $install_root ]] || load=(-d "extension=$installed")

ri=$("$PHP" -n "${load[@]}" --ri rsmemcache 2>&1) || true
if grep -q '^rsmemcache\.prefix =>' <<<"$ri"; then
  ok "$PHP -n ${load[*]} --ri rsmemcache: $(grep -m1 -i 'version' <<<"$ri" || echo loaded)"
else
  bad "$PHP -n ${load[*]} --ri rsmemcache: $ri"
fi

# One session round trip through the built module.
mc=${MEMCACHED:-$(command -v memcached || echo /usr/bin/memcached)}
mc_user=()
[[ $(id -u) != 0 ]] || mc_user=(-u nobody)
"$mc" -l 127.0.0.1 -p "$PORT" -U 0 "${mc_user[@]}" </dev/null >"$work/memcached.log" 2>&1 &
mc_pid=$!
sess=(-n "${load[@]}" -d session.save_handler=rsmemcache -d "session.save_path=127.0.0.1:$PORT"
  -d session.use_cookies=0 -d session.cache_limiter=)
if wait_ready "tcp://127.0.0.1:$PORT" &&
  sid=$("$PHP" "${sess[@]}" -r 'session_start() || exit(1); $_SESSION["built"] = "phpize"; session_write_close() || exit(1); echo session_id();') &&
  back=$("$PHP" "${sess[@]}" -r 'session_id($argv[1]); session_start(["read_and_close" => true]) || exit(1); echo $_SESSION["built"] ?? "(empty)";' "$sid") &&
  [[ $back == phpize ]]; then
  ok "a session written by one php process is read by another (memcached 127.0.0.1:$PORT)"
else
  bad "session round trip against memcached 127.0.0.1:$PORT: read back '${back:-}' $(cat "$work/memcached.log")"
fi
stop_pids "$mc_pid"
mc_pid=""

root_after=$(root_files)
if [[ $root_after == "$root_before" && $(cksum <Makefile) == "$makefile_sum" ]] && make -n build >/dev/null 2>&1; then
  ok "the repository root is untouched (phpize and configure wrote only under ext/; make build still works)"
else
  bad "the repository root changed: $(diff <(echo "$root_before") <(echo "$root_after") | tr '\n' ' ')"
fi
finish
