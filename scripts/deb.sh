#!/usr/bin/env bash
# Builds the Debian package build/php${ver}-rsmemcache_<version>_<arch>.deb
# for the Debian PHP in use (scripts/lib.sh php_resolve: PHP_CONFIG, PHP or
# php-config on PATH) with dpkg-deb; `make deb` runs it after `make build`.
# Prints the package's path as the last line.
#
# The package holds:
#   $(php-config --extension-dir)/rsmemcache.so
#   /etc/php/$ver/mods-available/rsmemcache.ini   (a conffile: "; priority=30"
#       (after session's 20), extension=rsmemcache.so, then every directive
#       of stubs/rsmemcache.ini with its documentation, commented out so
#       php.ini's settings are not overridden)
#   /usr/share/doc/php$ver-rsmemcache/{rsmemcache.ini,README.md,copyright}
# postinst enables the module for every SAPI (phpenmod through Debian's
# php-maintscript-helper, as dh_php does), prerm disables it on removal,
# postrm removes leftover conf.d links on purge. Depends on phpapi-<api> (the
# virtual package of the PHP engine it was built for), php$ver-common (which
# brings phpenmod) and the libc6 version its symbols need.
#
# Environment: RSMEMCACHE_SO (default build/rsmemcache.so), DEB_MAINTAINER.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/lib.sh
source scripts/lib.sh

die() { echo "deb: $*" >&2; exit 1; }

php_resolve
[[ -n $PHP_CONFIG && -n $PHP_VER ]] || die "no PHP found (install php<version>-dev or set PHP_CONFIG)"
dpkg-query -S "$(readlink -f "$PHP_CONFIG")" >/dev/null 2>&1 \
  || die "$PHP_CONFIG is not Debian's (no package owns it); the package is built for Debian's PHP packages only (use make install)"
so=${RSMEMCACHE_SO:-build/rsmemcache.so}
[[ -f $so ]] || die "no $so (run make build)"

ver=$PHP_VER
api=$("$PHP_CONFIG" --phpapi)
ext_dir=$("$PHP_CONFIG" --extension-dir)
[[ $ext_dir == /usr/lib/php/* ]] || die "unexpected extension dir $ext_dir"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
arch=$(dpkg --print-architecture)
pkg=php$ver-rsmemcache
out=build/${pkg}_${version}_${arch}.deb

# libc6 (>= the newest GLIBC_x.y symbol version the module needs).
glibc=$(objdump -T "$so" 2>/dev/null | sed -n 's/.*GLIBC_\([0-9][0-9.]*\).*/\1/p' | sort -V | tail -n 1)
depends="phpapi-$api, php$ver-common${glibc:+, libc6 (>= $glibc)}"

stage=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-deb.XXXXXX")
trap 'rm -rf -- "$stage"' EXIT
chmod 755 "$stage"
install -d "$stage/DEBIAN" "$stage$ext_dir" "$stage/etc/php/$ver/mods-available" "$stage/usr/share/doc/$pkg"
install -m 0644 "$so" "$stage$ext_dir/rsmemcache.so"
strip --strip-unneeded "$stage$ext_dir/rsmemcache.so" 2>/dev/null || true

{
  printf '; rsmemcache: PHP sessions in memcached (package %s %s).\n' "$pkg" "$version"
  printf '; Enabled for every SAPI by phpenmod when the package is installed;\n'
  printf ';   phpdismod rsmemcache / phpenmod rsmemcache  switch it off and on.\n'
  printf '; Loaded after session (priority 20). The directives below are the\n'
  printf '; defaults, commented out; set them here, in php.ini or per pool.\n'
  printf '; priority=30\n'
  printf 'extension=rsmemcache.so\n\n'
  # The stub, with every setting line commented out.
  sed -e 's/^\([^;[:space:]]\)/;\1/' stubs/rsmemcache.ini
} >"$stage/etc/php/$ver/mods-available/rsmemcache.ini"
chmod 0644 "$stage/etc/php/$ver/mods-available/rsmemcache.ini"
install -m 0644 stubs/rsmemcache.ini README.md "$stage/usr/share/doc/$pkg/"
cat >"$stage/usr/share/doc/$pkg/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: rsmemcache
Files: *
License: MIT
EOF
chmod 0644 "$stage/usr/share/doc/$pkg/copyright"

echo "/etc/php/$ver/mods-available/rsmemcache.ini" >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-rsmemcache developers <rsmemcache@localhost>}
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends
Provides: php-rsmemcache
Section: php
Priority: optional
Description: PHP session save handler keeping sessions in memcached (rsmemcache)
 rsmemcache registers the session.save_handler "rsmemcache": PHP sessions in
 a pool of memcached servers with consistent hashing, failover, redundant
 copies and session locking, written in Rust. Built for PHP $ver
 (API $api). Select it with session.save_handler = rsmemcache and list the
 servers in session.save_path; see /etc/php/$ver/mods-available/rsmemcache.ini.
EOF
cat >"$stage/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = "configure" ]; then
    if [ -e /usr/lib/php/php-maintscript-helper ]; then
        . /usr/lib/php/php-maintscript-helper
        php_invoke enmod $ver ALL rsmemcache || exit 1
    else
        phpenmod -v $ver -s ALL rsmemcache
    fi
fi
EOF
cat >"$stage/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
if [ "\$1" = "remove" ] || [ "\$1" = "upgrade" ]; then
    if [ -e /usr/lib/php/php-maintscript-helper ]; then
        . /usr/lib/php/php-maintscript-helper
        php_invoke dismod $ver ALL rsmemcache || exit 1
    elif command -v phpdismod >/dev/null 2>&1; then
        phpdismod -v $ver -s ALL rsmemcache
    fi
fi
EOF
cat >"$stage/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ "\$1" = "purge" ]; then
    # Leftover conf.d links to rsmemcache.ini (dangling once it is gone).
    find /etc/php/$ver -xtype l 2>/dev/null | while read -r link; do
        if [ "\$(basename "\$(readlink -m "\$link")")" = rsmemcache.ini ]; then
            rm -f "\$link"
        fi
    done
    rm -f /var/lib/php/modules/$ver/*/enabled_by_maint/rsmemcache \\
          /var/lib/php/modules/$ver/*/enabled_by_admin/rsmemcache \\
          /var/lib/php/modules/$ver/*/disabled_by_maint/rsmemcache \\
          /var/lib/php/modules/$ver/*/disabled_by_admin/rsmemcache
fi
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

mkdir -p build
rm -f "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
dpkg-deb --info "$out" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\): /deb: \1: /p'
echo "$out"
