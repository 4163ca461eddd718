#!/usr/bin/env bash
# Installs what building, testing and the demo need, from Debian/Ubuntu
# packages, skipping what is already there. Runs apt-get update first when
# something is missing. Needs root (or sudo).
# php8.2-fpm and nginx are for the private web farm (scripts/farm.sh: the
# e2e test and the demo), which runs them with its own configs, sockets and
# ports; nothing here starts or enables their system services (their Debian
# packages may start them on install; the farm neither needs nor touches them).
set -euo pipefail

pkgs=(php8.2-dev php8.2-cli memcached clang libclang-dev curl make
      php8.2-memcache php8.2-memcached php8.2-fpm nginx
      mariadb-server)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
  # rustup installs put cargo in ~/.cargo/bin, which a non-login shell may lack.
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || { echo "deps: cargo (Rust >= 1.85) is required; install it with rustup" >&2; exit 1; }
