#!/usr/bin/env bash
# Tests the Debian package the way a user installs it: builds it (make deb;
# or takes the .deb given as $1), installs it with `apt-get install ./X.deb`
# into a fresh minbase chroot of the host's Debian release, or of
# DEB_TEST_SUITE (e.g. trixie, for a package built there; apt resolves the
# PHP it depends on), then checks as separate tests:
#   - the module is enabled for the CLI and for php-fpm (phpenmod ran), after
#     session (conf.d priority 30), and php --ri rsmemcache answers
#   - a session written by one php process through the installed extension,
#     against a private memcached started in the chroot (own port, pid file;
#     stopped by PID), is read back by a second one
#   - the demo (scripts/demo.sh, DEMO_EXTENSION=installed) passes inside the
#     chroot: nginx over two php-fpm masters and two private memcached, all
#     from apt, the masters loading the extension through the package's
#     fpm/conf.d link (no -n, no extension line: scripts/farm.sh
#     FARM_SO=system), each web server reporting that conf.d file; the
#     demo's "all N steps passed" is one check
#   - `apt-get remove` disables it (conf.d link gone) and php -v still
#     starts without a warning; `apt-get purge` removes its ini
# Prints "N passed, N failed" last; exits non-zero on any failure.
# Ports on 127.0.0.1 (the chroot shares the host's network), from
# RSMEMCACHE_TEST_BASE_PORT (default 21211: all below Linux's ephemeral
# range, 32768-60999; scripts/matrix.sh passes the same BASE to every target
# and runs them one after another):
#   BASE+150   the memcached of the session round trip
#   BASE+161, BASE+162, BASE+163   the demo's two memcached and its nginx (a
#              range no test of `make test` uses; DEMO_MC1_PORT,
#              DEMO_MC2_PORT, DEMO_WEB_PORT override them)
# Needs root. The debootstrapped base is cached in MATRIX_CACHE (see
# scripts/matrix.sh and chroot_base in scripts/chroot.sh) and copied for each run; the copy is removed and every
# mount undone on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=scripts/chroot.sh
source scripts/chroot.sh

CACHE=${MATRIX_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/rsmemcache-matrix}
PORT=${RSMEMCACHE_TEST_BASE_PORT:-21211}
DEMO_PORTS=("${DEMO_MC1_PORT:-$((PORT + 161))}" "${DEMO_MC2_PORT:-$((PORT + 162))}" "${DEMO_WEB_PORT:-$((PORT + 163))}")
PORT=$((PORT + 150))
passed=0
failed=0
work=""
done_summary=0

on_exit() {
  local rc=$?
  set +e
  if [[ -n $work && -f $work/tree/tmp/memcached.pid ]]; then
    stop_pids "$(<"$work/tree/tmp/memcached.pid")"
  fi
  chroot_umount_all || rc=1
  [[ -z $work ]] || rm -rf -- "$work"
  if ((!done_summary)); then
    printf '%d passed, %d failed\n' "$passed" "$((failed + 1))"
    ((rc)) || rc=1
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
    passed=$((passed + 1))
  else
    echo "FAILED: $what"
    failed=$((failed + 1))
  fi
}

[[ $(id -u) == 0 ]] || { echo "deb-test: needs root (chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

if [[ -n ${1:-} ]]; then
  deb=$1
else
  echo "== make deb"
  # scripts/deb.sh prints the package's path last (--no-print-directory: no
  # "make[1]: Leaving directory" after it when make runs nested).
  deb=$(make --no-print-directory deb | tee /dev/stderr | tail -n 1)
fi
[[ -f $deb ]] || { echo "deb-test: no package at '$deb'" >&2; exit 1; }
deb=$(readlink -f "$deb")
pkg=$(dpkg-deb -f "$deb" Package)
ver=${pkg#php}
ver=${ver%-rsmemcache}
suite=${DEB_TEST_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
[[ -n $suite ]] || { echo "deb-test: cannot tell the host's Debian release (set DEB_TEST_SUITE)" >&2; exit 1; }

t0=$SECONDS
chroot_base "$CACHE" "$suite"
mkdir -p "$CACHE/tmp"
work=$(mktemp -d "$CACHE/tmp/deb-test.XXXXXX")
echo "== fresh chroot: copy of the $suite base in $work"
cp -a "$CACHE/base-$suite/tree" "$work/tree"
root=$work/tree
chroot_apt_setup "$root" "deb $CHROOT_MIRROR $suite main"
chroot_mount "$root"
cp "$deb" "$root/tmp/"
# php-fpm, memcached, nginx and curl: what the demo's web farm runs.
echo "== apt-get install ./${deb##*/} php$ver-fpm memcached nginx curl"
chroot_run "$root" -- apt-get update -qq
chroot_run "$root" -- apt-get install -y -qq "./tmp/${deb##*/}" "php$ver-fpm" memcached nginx curl >"$work/apt.log" 2>&1 \
  || { tail -n 30 "$work/apt.log"; exit 1; }
# The demo and the scripts it sources, nothing else of the tree: no build/
# in the chroot, so a farm that fell back to build/rsmemcache.so instead of
# the installed extension would fail rather than pass.
mkdir -p "$root/src"
tar -cf - scripts demo | tar -C "$root/src" -xf -
printf '== setup: %d s (chroot, packages)\n' "$((SECONDS - t0))"

in_root() { chroot_run "$root" -- "$@"; }
php_has() { [[ $(in_root "php$ver" -r 'echo extension_loaded("rsmemcache") ? "yes" : "no";' 2>&1) == yes ]]; }
# (Output captured before grep: with pipefail, `cmd | grep -q` fails when grep
# exits at the first match while cmd is still writing, SIGPIPE.)
fpm_has() { local m; m=$(in_root "php-fpm$ver" -m 2>/dev/null) && grep -qx rsmemcache <<<"$m"; }
link_prio() { [[ $(readlink "$root/etc/php/$ver/cli/conf.d/30-rsmemcache.ini") == "/etc/php/$ver/mods-available/rsmemcache.ini" ]]; }
ri() { local out; out=$(in_root "php$ver" --ri rsmemcache) && grep -q 'rsmemcache.save_path\|rsmemcache.prefix' <<<"$out"; }
check "installed: enabled for the CLI (php$ver)" php_has
check "installed: enabled for php-fpm$ver" fpm_has
check "installed: cli/conf.d/30-rsmemcache.ini links to mods-available (after session)" link_prio
check "installed: php --ri rsmemcache lists its directives" ri

# A session through the installed extension, against a private memcached.
in_root memcached -u nobody -l 127.0.0.1 -p "$PORT" -U 0 -d -P /tmp/memcached.pid
php_resolve   # the host's PHP polls the chroot's memcached (same network)
wait_ready "tcp://127.0.0.1:$PORT"
sess_ini=(-d session.save_handler=rsmemcache -d "session.save_path=127.0.0.1:$PORT" -d session.use_cookies=0 -d session.cache_limiter=)
write_read() {
  in_root "php$ver" "${sess_ini[@]}" -r 'session_id("debtest" . getmypid()); session_start() || exit(1);
    $_SESSION["n"] = 42; session_write_close() || exit(1); echo session_id();' >"$work/sid" || return 1
  [[ $(in_root "php$ver" "${sess_ini[@]}" -r 'session_id($argv[1]); session_start() || exit(1);
    echo $_SESSION["n"] ?? "missing";' "$(<"$work/sid")") == 42 ]]
}
check "installed: a session written by one php process is read by another (memcached 127.0.0.1:$PORT)" write_read
stop_pids "$(<"$root/tmp/memcached.pid")"
rm -f "$root/tmp/memcached.pid"

# The demo against the installed package. Its php-fpm masters run with their
# php.ini and conf.d (FARM_SO=system) rather than `-n -d extension=<path>`:
# that is how an installed server loads it, so the package's enablement for
# the fpm SAPI is what is tested (php-config, which knows the extension
# directory, is in php-dev, which a user's server does not have). The demo
# stops everything it started by PID; chroot_umount_all (EXIT trap) ends
# anything left in the chroot by an interrupted run.
run_demo() {
  chroot_run "$root" PHP="/usr/bin/php$ver" DEMO_EXTENSION=installed \
    DEMO_MC1_PORT="${DEMO_PORTS[0]}" DEMO_MC2_PORT="${DEMO_PORTS[1]}" DEMO_WEB_PORT="${DEMO_PORTS[2]}" \
    -- bash /src/scripts/demo.sh >"$work/demo.log" 2>&1
  local rc=$?
  if ((rc)) || ! grep -qE '^demo: all [1-9][0-9]* steps passed$' "$work/demo.log"; then
    tail -n 40 "$work/demo.log"
    return 1
  fi
  grep -E '^demo: (using|web server [AB] loaded)' "$work/demo.log"
  return 0
}
echo "== demo (scripts/demo.sh) in the chroot against the installed extension, ports ${DEMO_PORTS[*]}"
t1=$SECONDS
if run_demo; then
  demo_line=$(grep -E '^demo: all [0-9]+ steps passed$' "$work/demo.log")
  check "installed: the demo farm (nginx, php-fpm A and B via conf.d, memcached): ${demo_line#demo: } ($((SECONDS - t1)) s)" true
else
  check "installed: the demo farm (nginx, php-fpm A and B via conf.d, memcached) passes" false
fi

echo "== apt-get remove $pkg"
chroot_run "$root" -- apt-get remove -y -qq "$pkg" >"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; exit 1; }
no_link() { [[ ! -e $root/etc/php/$ver/cli/conf.d/30-rsmemcache.ini && ! -L $root/etc/php/$ver/cli/conf.d/30-rsmemcache.ini ]]; }
php_starts() {
  local out
  out=$(in_root "php$ver" -v 2>&1) || return 1
  [[ $out == PHP\ $ver.* && $out != *Warning* && $out != *rsmemcache* ]]
}
check "removed: conf.d link gone" no_link
check "removed: php -v starts without a warning" php_starts
not_loaded() { ! php_has; }
check "removed: rsmemcache no longer loaded" not_loaded
echo "== apt-get purge $pkg"
chroot_run "$root" -- apt-get purge -y -qq "$pkg" >"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; exit 1; }
check "purged: mods-available/rsmemcache.ini gone" test ! -e "$root/etc/php/$ver/mods-available/rsmemcache.ini"

done_summary=1
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0 && passed > 0))
