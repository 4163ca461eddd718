#!/usr/bin/env bash
# `make install`: copies build/rsmemcache.so into the extension directory of
# the PHP in use (scripts/lib.sh php_resolve: PHP_CONFIG, PHP or php-config
# on PATH) and enables it.
#   Debian/Ubuntu PHP (/etc/php/$ver exists and phpenmod is there): writes
#     /etc/php/$ver/mods-available/rsmemcache.ini ("; priority=30", after
#     session's 20; the same file the Debian package ships) and runs
#     phpenmod -v $ver -s ALL rsmemcache.
#   Other PHP builds: writes 30-rsmemcache.ini into php-config --ini-dir
#     (the scan directory PHP was configured with), or, without one, prints
#     the extension= line to add to php.ini.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
php_resolve
[[ -n $PHP_CONFIG && -n $PHP_VER ]] || { echo "install: no php-config found (install php<version>-dev or set PHP_CONFIG)" >&2; exit 1; }
[[ -f build/rsmemcache.so ]] || { echo "install: no build/rsmemcache.so (run make build)" >&2; exit 1; }
ext_dir=$("$PHP_CONFIG" --extension-dir)
install -D -m 0644 build/rsmemcache.so "$ext_dir/rsmemcache.so"
echo "install: $ext_dir/rsmemcache.so"
ini_text() {
  printf '; rsmemcache: PHP sessions in memcached. Directives: %s\n' "see stubs/rsmemcache.ini or the README"
  printf '; priority=30\nextension=rsmemcache.so\n'
}
if [[ -d /etc/php/$PHP_VER ]] && command -v phpenmod >/dev/null 2>&1; then
  mkdir -p "/etc/php/$PHP_VER/mods-available"
  ini_text >"/etc/php/$PHP_VER/mods-available/rsmemcache.ini"
  phpenmod -v "$PHP_VER" -s ALL rsmemcache
  echo "install: /etc/php/$PHP_VER/mods-available/rsmemcache.ini, enabled with phpenmod for every SAPI"
elif ini_dir=$("$PHP_CONFIG" --ini-dir 2>/dev/null) && [[ -n $ini_dir ]]; then
  mkdir -p "$ini_dir"
  ini_text >"$ini_dir/30-rsmemcache.ini"
  echo "install: $ini_dir/30-rsmemcache.ini"
else
  echo "install: add 'extension=rsmemcache.so' to $("$PHP" -r 'echo php_ini_loaded_file() ?: "php.ini";')"
fi
