#!/usr/bin/env bash
# End-to-end test of Apache httpd with mod_php (prefork MPM) as the two web
# servers of a farm: the demo's walk and the fault phases of fpm-faults.sh,
# on two private Apaches behind the farm's nginx (scripts/farm.sh with
# FARM_WEB=apache: each Apache runs `apache2 -f <own config> -DNO_DETACH`
# with its own port, pid file, logs and php.ini under a temporary directory,
# loads only prefork, authz_core, alias, env and mod_php by LoadModule lines,
# and is stopped by PID; the system's apache2 service and config are never
# used). Three parts, each its own farm, one after the other:
#
#   demo             scripts/demo.sh: login on A, seen on B, cart on B, 20
#                    parallel locked requests to A and B, logout (9 steps)
#   faults           tests/e2e/fpm-faults.sh: locked increments while workers
#                    recycle (MaxConnectionsPerChild), a memcached is killed
#                    and restarted, and Apache A restarts gracefully (USR1:
#                    the parent unloads and reloads mod_php and rsmemcache)
#   faults-framework fpm-faults.sh --framework: every PHP error an
#                    ErrorException, display_errors=1, a memcached killed
#
# Passes when all three pass. Skips (exit 77, saying why) when apache2 or the
# mod_php of the PHP in use is missing, or that PHP is not the one mod_php
# belongs to (e.g. a ZTS PHP built from source: Debian's mod_php is NTS).
#
# Usage: bash tests/e2e/apache.sh
# Environment (all optional):
#   APACHE_BASE_PORT  ports: the demo's memcached BASE and BASE+1, nginx
#                     BASE+2, Apaches BASE+4 and BASE+6; the fault tests'
#                     memcached BASE+8, +10, +12, nginx +14, Apaches +16, +18
#                     (default 27401)
#   FARM_SO           the built extension (default: build/rsmemcache.so,
#                     made by `make build` when missing)
#   PHP, PHP_CONFIG   the PHP (default: php-config on PATH; scripts/lib.sh)
#   APACHE, APACHE_MODULES, APACHE_MOD_PHP   see scripts/farm.sh
# Exit status: 0 passed, 1 failed, 77 skipped.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$(pwd -P)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

skip() {
  echo "SKIP Apache + mod_php e2e [tests/e2e/apache.sh] reason: $*"
  exit 77
}

php_resolve
[[ -n $PHP ]] || skip "no php binary found"
apache=${APACHE:-$(command -v apache2 || command -v httpd || { [[ -x /usr/sbin/apache2 ]] && echo /usr/sbin/apache2; })}
[[ -n $apache ]] || skip "apache2 is not installed (apt-get install apache2)"
mod_php=${APACHE_MOD_PHP:-${APACHE_MODULES:-/usr/lib/apache2/modules}/libphp$PHP_VER.so}
[[ -f $mod_php ]] || skip "no mod_php for PHP $PHP_VER ($mod_php; apt-get install libapache2-mod-php$PHP_VER)"
# mod_php must be the same PHP build the extension is for: Debian's
# libphp<ver>.so belongs to the NTS PHP in /usr.
if [[ -z ${APACHE_MOD_PHP:-} ]]; then
  # (PHP_ZTS is an int up to 8.5 and a bool from 8.6 on, where false
  # echoes as ""; the ternary prints 0 or 1 for both.)
  zts=$("$PHP" -n -r 'echo PHP_ZTS ? 1 : 0;')
  prefix=$("$PHP_CONFIG" --prefix 2>/dev/null)
  [[ $zts == 0 && $prefix == /usr ]] ||
    skip "$mod_php belongs to the NTS PHP $PHP_VER in /usr, not to $PHP (prefix $prefix, ZTS=$zts); set APACHE_MOD_PHP to a matching mod_php"
fi

so=${FARM_SO:-}
if [[ -z $so ]]; then
  echo "== apache.sh: make build"
  make build || exit 1
  so=$ROOT/build/rsmemcache.so
fi
[[ $so == /* ]] || so=$ROOT/$so

base=${APACHE_BASE_PORT:-27401}
export FARM_WEB=apache FARM_SO=$so PHP PHP_CONFIG
echo "== e2e apache: $("$apache" -v | sed -n 's/^Server version: //p'), prefork + $mod_php, PHP $("$PHP" -n -r 'echo PHP_VERSION;'), extension $so"

declare -A result=()
parts=()
run_part() {
  local name=$1 rc
  shift
  parts+=("$name")
  echo "== apache.sh part $name: $*"
  "$@"
  rc=$?
  if ((rc == 0)); then result[$name]=passed; else result[$name]="FAILED (exit $rc)"; fi
}

run_part demo env DEMO_EXTENSION="$so" DEMO_SKIP_DEPS=1 \
  DEMO_MC1_PORT="$base" DEMO_MC2_PORT="$((base + 1))" DEMO_WEB_PORT="$((base + 2))" bash scripts/demo.sh
run_part faults env FPM_FAULTS_BASE_PORT="$((base + 8))" bash tests/e2e/fpm-faults.sh
run_part faults-framework env FPM_FAULTS_BASE_PORT="$((base + 8))" bash tests/e2e/fpm-faults.sh --framework

rc=0
for p in "${parts[@]}"; do
  echo "apache: $p: ${result[$p]}"
  [[ ${result[$p]} == passed ]] || rc=1
done
if ((rc == 0)); then echo "apache: PASS"; else echo "apache: FAIL"; fi
exit "$rc"
