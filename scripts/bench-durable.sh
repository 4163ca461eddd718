#!/usr/bin/env bash
# The durable tier's rows of `make bench`: a private memcached and a private
# MariaDB (scripts/lib.sh mariadb_private), then bench/durable.php: µs per
# session cycle with the tier off and on, changed and unchanged sessions,
# database statements and memcached commands per cycle. Prints figures;
# fails only if something does not work. Skips (exit 0, saying so) without
# mariadbd. Everything it starts is stopped by PID on exit.
#
# Environment: RSMEMCACHE_BENCH_DURABLE_PORT (memcached; MariaDB on +1;
# default 22241), RSMEMCACHE_BENCH_ROUNDS, RSMEMCACHE_BENCH_CYCLES,
# CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

run_dir=""
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  if [[ -n "$run_dir" && -s "$run_dir/db/pid" ]]; then stop_pids "$(cat "$run_dir/db/pid")"; fi
  [[ -z "$run_dir" ]] || rm -rf -- "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! command -v mariadbd >/dev/null 2>&1 && [[ ! -x /usr/sbin/mariadbd ]]; then
  echo "== durable tier bench skipped: mariadbd not found (Debian package mariadb-server)"
  exit 0
fi
PHP=$(command -v php8.2 || command -v php)
cargo build --release
target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" = /* ]] || target_dir="$ROOT/$target_dir"
SO="$target_dir/release/librsmemcache.so"
# As scripts/bench.sh: everything started from here on (memcached, mariadbd,
# every PHP process) runs on the last CPU we may use, so a loopback round
# trip never waits for another vCPU to wake up.
cpu=$(taskset -pc $$ | grep -o '[0-9]*$')
taskset -pc "$cpu" $$ >/dev/null

PORT=${RSMEMCACHE_BENCH_DURABLE_PORT:-22241}
for p in "$PORT" "$((PORT + 1))"; do
  ! port_in_use "$p" || { echo "port $p is in use; set RSMEMCACHE_BENCH_DURABLE_PORT" >&2; exit 1; }
done
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-bench-durable.XXXXXX")
user_args=()
[[ "$(id -u)" != 0 ]] || user_args=(-u nobody)
memcached -U 0 -m 64 -I 1m "${user_args[@]}" -l 127.0.0.1 -p "$PORT" </dev/null >"$run_dir/memcached.log" 2>&1 &
pids+=("$!")
wait_ready "tcp://127.0.0.1:$PORT"
mariadb_private "$run_dir/db" "$((PORT + 1))" rsm_bench
"$PHP" -n bench/durable.php --php="$PHP" --so="$SO" --mc="127.0.0.1:$PORT" \
  --db="$run_dir/db/sock" --creds="$run_dir/db/credentials"
