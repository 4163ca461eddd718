#!/usr/bin/env bash
# Installs what building, testing and the demo need, from Debian/Ubuntu
# packages, skipping what is already there. Runs apt-get update first when
# something is missing. Needs root (or sudo).
#
# The PHP is the one in use (scripts/lib.sh php_resolve: PHP_CONFIG, PHP, or
# php-config/php on PATH); with none installed, PHP_VERSION (e.g. 8.4) or the
# distribution's default (the version php-cli depends on) is installed. For a
# Debian PHP the matching php${ver}-dev and -cli are required, and
# php${ver}-fpm, -memcache and -memcached are installed where the archive
# has them (there are no php8.5-memcache/-memcached packages: the compat
# tests then skip, saying so). A PHP that no Debian package owns (a source
# build such as the ZTS matrix target) gets only the non-PHP packages.
#
# php-fpm, nginx, apache2 and libapache2-mod-php${ver} (where the archive has
# it) are for the private web farms (scripts/farm.sh: the e2e tests and the
# demo), which run them with their own configs, sockets and ports. Debian's
# maintainer scripts start a package's service on install (apache2 would
# take port 80, memcached 11211); this project never uses a system service,
# so apt-get runs under a policy-rc.d that forbids every service start (exit
# 101, honoured by invoke-rc.d and deb-systemd-invoke). It is written only
# when there is none (a chroot of scripts/chroot.sh has its own) and removed
# as soon as apt-get is done, so no service is started, and nothing that was
# running is stopped. The packages still enable their services for the next
# boot, as Debian does; `systemctl disable apache2` undoes that.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
updated=0
apt_update() {
  ((updated)) || $sudo apt-get update -qq
  updated=1
}
# (Output captured before matching: grep -q closing the pipe early would
# fail the pipeline under pipefail.)
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }
# True if apt has an installation candidate for package $1.
available() {
  local out
  out=$(apt-cache policy "$1" 2>/dev/null) || return 1
  grep -Eq '^ +Candidate: [^(]' <<<"$out"
}

# policy-rc.d: see the header. Ours holds a marker line, so only ours is removed.
policy=/usr/sbin/policy-rc.d
policy_marker="# rsmemcache scripts/deps.sh: no service starts while apt-get runs"
deny_service_starts() {
  [[ -e $policy ]] && return 0
  printf '#!/bin/sh\n%s\nexit 101\n' "$policy_marker" | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  trap allow_service_starts EXIT
}
allow_service_starts() {
  if [[ -f $policy ]] && grep -qxF "$policy_marker" "$policy"; then
    $sudo rm -f "$policy"
  fi
}

php_resolve
ver=${PHP_VER:-${PHP_VERSION:-}}
debian_php=1
if [[ -n $PHP_CONFIG ]] && ! dpkg-query -S "$(readlink -f "$PHP_CONFIG")" >/dev/null 2>&1; then
  debian_php=0
fi
if [[ -z $ver ]]; then
  apt_update
  ver=$(apt-cache depends php-cli 2>/dev/null | sed -n 's/^ *Depends: php\([0-9][0-9.]*\)-cli$/\1/p' | head -n 1)
  [[ -n $ver ]] || { echo "deps: no PHP found and apt offers no php-cli; set PHP_VERSION (e.g. 8.4)" >&2; exit 1; }
  echo "deps: no PHP installed; installing PHP $ver"
fi

required=(memcached clang libclang-dev curl make nginx openssl mariadb-server)
optional=()
if ((debian_php)); then
  required+=("php$ver-dev" "php$ver-cli")
  optional+=("php$ver-fpm" "php$ver-memcache" "php$ver-memcached" apache2 "libapache2-mod-php$ver")
fi

missing=()
for p in "${required[@]}" "${optional[@]}"; do
  installed "$p" || missing+=("$p")
done
# True if every missing package is optional and absent from apt's package
# lists as they are (then there is nothing to install, and no apt-get update
# on every run only to learn again that php8.6-memcache does not exist).
only_absent_optional() {
  local p
  [[ -n $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null) ]] || return 1
  for p in "${missing[@]}"; do
    [[ " ${optional[*]} " == *" $p "* ]] && ! available "$p" || return 1
  done
}
if ((${#missing[@]})) && only_absent_optional; then
  echo "deps: ${missing[*]}: not in the archive; skipping (tests that need them skip)"
elif ((${#missing[@]})); then
  apt_update
  want=()
  for p in "${missing[@]}"; do
    if available "$p"; then
      want+=("$p")
    elif [[ " ${optional[*]} " == *" $p "* ]]; then
      echo "deps: $p is not in the archive; skipping it (tests that need it skip)"
    else
      want+=("$p")   # let apt-get name what it cannot find
    fi
  done
  if ((${#want[@]})); then
    echo "deps: installing ${want[*]}"
    deny_service_starts
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
    allow_service_starts
  fi
fi
if ! command -v cargo >/dev/null 2>&1; then
  # rustup installs put cargo in ~/.cargo/bin, which a non-login shell may lack.
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || { echo "deps: cargo (Rust >= 1.85) is required; install it with rustup" >&2; exit 1; }
