#!/usr/bin/env bash
# Prints rsmemcache's failover figures (bench/failover.php): builds the
# extension in release mode if needed, then runs the script, which starts 3
# private memcached daemons on free loopback ports per run and stops them by
# PID when the run ends (also on Ctrl-C).
#
#   scripts/failover-figures.sh [--sessions=300] [--timeout=200] [--retry=1] [--lock-wait=1000]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
php_resolve
[[ -n "$PHP" ]] || { echo "php not found" >&2; exit 1; }
command -v memcached >/dev/null 2>&1 || { echo "memcached not found" >&2; exit 1; }
target_dir=${CARGO_TARGET_DIR:-target}
SO=${RSMEMCACHE_SO:-$target_dir/release/librsmemcache.so}
if [[ -z "${RSMEMCACHE_SO:-}" ]]; then
  if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
    export PATH="${HOME:-/root}/.cargo/bin:$PATH"
  fi
  cargo build --release >&2
fi
[[ -f "$SO" ]] || { echo "no $SO" >&2; exit 1; }
exec "$PHP" -n -d "extension=$SO" bench/failover.php "$@"
