#!/usr/bin/env bash
# Session benchmark: rsmemcache against php-memcached, pecl-memcache and PHP's
# files handler, plus the floor (two raw round trips + a files cycle), round
# trips per cycle measured through a delay proxy, and the memory of a long
# rsmemcache process. Prints figures; never fails because of a speed (it
# fails only if something does not work, e.g. a handler errors).
#
#   bash scripts/bench.sh         (or: make bench)
#
# Builds the extension (cargo build --release) and the delay proxy
# (examples/delay_proxy.rs), starts a private memcached and one delay proxy
# per delay on loopback, runs bench/run.php, and stops everything it started,
# by PID, on exit, failure and Ctrl-C.
#
# Environment (all optional):
#   RSMEMCACHE_BENCH_PORT         memcached port (default 22211); the proxies
#                                 use the next ports: PORT+1..PORT+k, their
#                                 control ports PORT+k+1..PORT+2k (k delays);
#                                 a TLS memcached PORT+2k+1 (TLS) and +2k+2
#                                 (plain, for checks); delay proxies in front
#                                 of the TLS memcached PORT+2k+3..PORT+3k+2,
#                                 their control ports PORT+3k+3..PORT+4k+2
#   RSMEMCACHE_BENCH_DELAYS       proxy delays in µs (default "0 500 1000")
#   RSMEMCACHE_BENCH_ROUNDS       rounds (7)        RSMEMCACHE_BENCH_CYCLES  cycles per run (3000)
#   RSMEMCACHE_BENCH_WARMUP       warm-up cycles per run (200)
#   RSMEMCACHE_BENCH_PROXY_ROUNDS (3)               RSMEMCACHE_BENCH_PROXY_CYCLES (200)
#   RSMEMCACHE_BENCH_MEM_CYCLES   cycles of the memory run (100000)
#   RSMEMCACHE_BENCH_SEED         shuffle seed (random, printed)
#   RSMEMCACHE_BENCH_QUICK=1      smoke test: few rounds and cycles
#   RSMEMCACHE_BENCH_CPUS         CPU list (taskset -c syntax) that every process
#                                 of the run is pinned to: memcached, the
#                                 proxies and all PHP processes. Default: the
#                                 last CPU we may use; "none": no pinning.
#   RSMEMCACHE_BENCH_SKIP_DEPS=1  do not run scripts/deps.sh
#   CARGO_TARGET_DIR              where cargo builds (default: target)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

run_dir=""
pids=()

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf '!! %s\n' "$*" >&2
  exit 1
}

cleanup() {
  stop_pids "${pids[@]}"
  pids=()
  if [[ -n "$run_dir" && -d "$run_dir" ]]; then
    rm -rf -- "$run_dir"
  fi
  run_dir=""
}

on_exit() {
  local rc=$?
  set +e
  cleanup
  ((rc == 0)) || printf '!! benchmark aborted (exit status %d)\n' "$rc" >&2
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dependencies and build -------------------------------------------------
if [[ "${RSMEMCACHE_BENCH_SKIP_DEPS:-0}" != 1 ]]; then
  bash scripts/deps.sh
fi
if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
  export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || die "cargo (Rust >= 1.85) not found; install it with rustup"

php_resolve
[[ -n "$PHP" ]] || die "php not found"
MEMCACHED=$(command -v memcached || true)
[[ -n "$MEMCACHED" ]] || die "memcached not found"

log "cargo build --release"
cargo build --release
log "cargo build --release --example delay_proxy"
cargo build --release --example delay_proxy
target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" = /* ]] || target_dir="$ROOT/$target_dir"
SO="$target_dir/release/librsmemcache.so"
PROXY="$target_dir/release/examples/delay_proxy"
[[ -f "$SO" ]] || die "build produced no $SO"
[[ -x "$PROXY" ]] || die "build produced no $PROXY"

# --- CPU pinning ------------------------------------------------------------
# On virtual machines a loopback round trip to a process on another, idle vCPU
# waits for that vCPU to wake up (100+ µs here), so unpinned figures jump
# between two modes from one process to the next depending on where the
# scheduler puts PHP and memcached. With everything on one CPU each round
# trip is two context switches: stable, and the same for every handler.
# Pinning this shell pins everything it starts from now on (after the build).
ncpu=$(nproc)   # before pinning, which makes nproc answer 1
CPUS=${RSMEMCACHE_BENCH_CPUS:-auto}
pinning="none (RSMEMCACHE_BENCH_CPUS=none)"
if [[ "$CPUS" != none ]]; then
  command -v taskset >/dev/null 2>&1 || die "taskset (util-linux) not found; install it or set RSMEMCACHE_BENCH_CPUS=none"
  if [[ "$CPUS" == auto ]]; then
    allowed=$(taskset -pc $$ | sed 's/.*: *//')
    CPUS=$(grep -o '[0-9]*$' <<<"$allowed")
    [[ -n "$CPUS" ]] || die "cannot read this process's CPU affinity ('$allowed'); set RSMEMCACHE_BENCH_CPUS"
  fi
  taskset -pc "$CPUS" $$ >/dev/null || die "taskset -pc '$CPUS' failed; set RSMEMCACHE_BENCH_CPUS to CPUs we may use, or none"
  pinning="CPU $CPUS for memcached, the proxies and every PHP process (RSMEMCACHE_BENCH_CPUS; none = unpinned)"
fi

# --- ports ------------------------------------------------------------------
PORT=${RSMEMCACHE_BENCH_PORT:-22211}
read -r -a DELAYS <<<"${RSMEMCACHE_BENCH_DELAYS:-0 500 1000}"
((${#DELAYS[@]} >= 2)) || die "RSMEMCACHE_BENCH_DELAYS needs at least two delays (got '${DELAYS[*]}')"
for d in "${DELAYS[@]}"; do
  [[ "$d" =~ ^[0-9]+$ ]] || die "RSMEMCACHE_BENCH_DELAYS: '$d' is not a number of µs"
done
k=${#DELAYS[@]}
[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT >= 1024 && PORT + 2 * k < 65536)) \
  || die "RSMEMCACHE_BENCH_PORT must be a port number between 1024 and $((65535 - 2 * k)) (got '$PORT')"

for ((p = PORT; p <= PORT + 2 * k; p++)); do
  if port_in_use "$p"; then
    die "port $p is already in use on 127.0.0.1; set RSMEMCACHE_BENCH_PORT to a free range ($((2 * k + 1)) ports)"
  fi
done

# Polls until 127.0.0.1:$1 (a proxy's control port) answers "writes=...".
wait_control() {
  "$PHP" -n -r '
    $deadline = microtime(true) + 15;
    for (;;) {
        $s = @stream_socket_client("tcp://127.0.0.1:" . $argv[1], $errno, $errstr, 1);
        if ($s) {
            stream_set_timeout($s, 1);
            $line = fgets($s);
            fclose($s);
            if (is_string($line) && strncmp($line, "writes=", 7) === 0) { exit(0); }
        }
        if (microtime(true) > $deadline) { fwrite(STDERR, "no answer on control port $argv[1]\n"); exit(1); }
        usleep(20000);
    }' -- "$1"
}

# --- memcached and the delay proxies -----------------------------------------
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-bench.XXXXXX")

user_args=()
if [[ "$(id -u)" = 0 ]]; then
  user_args=(-u nobody)
fi
"$MEMCACHED" -U 0 -m 256 -I 1m -c 1024 "${user_args[@]}" -l 127.0.0.1 -p "$PORT" \
  </dev/null >"$run_dir/memcached.log" 2>&1 &
mc_pid=$!
pids+=("$mc_pid")
wait_ready "tcp://127.0.0.1:$PORT" || die "memcached did not come up on 127.0.0.1:$PORT: $(cat "$run_dir/memcached.log")"
kill -0 "$mc_pid" 2>/dev/null || die "memcached (pid $mc_pid) exited early: $(cat "$run_dir/memcached.log")"

proxies=()
for ((j = 0; j < k; j++)); do
  d=${DELAYS[j]}
  pp=$((PORT + 1 + j))
  cp=$((PORT + 1 + k + j))
  "$PROXY" --listen "127.0.0.1:$pp" --upstream "127.0.0.1:$PORT" --delay-us "$d" \
    --control "127.0.0.1:$cp" </dev/null >"$run_dir/proxy-$d.log" 2>&1 &
  px_pid=$!
  pids+=("$px_pid")
  if ! wait_ready "tcp://127.0.0.1:$pp" || ! wait_control "$cp"; then
    die "delay proxy (D=$d) did not come up on 127.0.0.1:$pp/$cp: $(cat "$run_dir/proxy-$d.log")"
  fi
  kill -0 "$px_pid" 2>/dev/null || die "delay proxy (pid $px_pid) exited early: $(cat "$run_dir/proxy-$d.log")"
  proxies+=("$d:$pp:$cp")
done
# A TLS memcached (-Z) for the TLS rows, with a certificate made now: TLS on
# TLS_PORT, plain on TLS_PORT+1 (memcached's notls: listener) for checking
# what the runs stored.
TLS_PORT=$((PORT + 2 * k + 1))
for p in "$TLS_PORT" "$((TLS_PORT + 1))"; do
  port_in_use "$p" && die "port $p is already in use on 127.0.0.1; set RSMEMCACHE_BENCH_PORT to a free range"
done
command -v openssl >/dev/null 2>&1 || die "openssl not found (the TLS rows need a certificate)"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$run_dir/ca.key" -out "$run_dir/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null \
  && openssl req "${ec[@]}" -keyout "$run_dir/srv.key" -out "$run_dir/srv.csr" -subj "/CN=bench" 2>/dev/null \
  && printf 'subjectAltName=IP:127.0.0.1\n' >"$run_dir/srv.ext" \
  && openssl x509 -req -in "$run_dir/srv.csr" -CA "$run_dir/ca.pem" -CAkey "$run_dir/ca.key" -CAcreateserial \
    -out "$run_dir/srv.pem" -days 2 -extfile "$run_dir/srv.ext" 2>/dev/null \
  || die "openssl could not make the benchmark's certificates"
chmod 755 "$run_dir"
chmod 644 "$run_dir"/srv.key "$run_dir"/srv.pem
"$MEMCACHED" -U 0 -m 256 -I 1m -c 1024 "${user_args[@]}" -Z \
  -o "ssl_chain_cert=$run_dir/srv.pem,ssl_key=$run_dir/srv.key" \
  -l "127.0.0.1:$TLS_PORT" -l "notls:127.0.0.1:$((TLS_PORT + 1))" \
  </dev/null >"$run_dir/memcached-tls.log" 2>&1 &
pids+=("$!")
wait_ready "tcp://127.0.0.1:$((TLS_PORT + 1))" || die "TLS memcached did not come up: $(cat "$run_dir/memcached-tls.log")"
# The same delay proxies in front of the TLS memcached (they relay the TLS
# records untouched), for the TLS rows of the round-trip table.
tls_proxies=()
for ((j = 0; j < k; j++)); do
  d=${DELAYS[j]}
  pp=$((TLS_PORT + 2 + j))
  cp=$((TLS_PORT + 2 + k + j))
  for p in "$pp" "$cp"; do
    port_in_use "$p" && die "port $p is already in use on 127.0.0.1; set RSMEMCACHE_BENCH_PORT to a free range"
  done
  "$PROXY" --listen "127.0.0.1:$pp" --upstream "127.0.0.1:$TLS_PORT" --delay-us "$d" \
    --control "127.0.0.1:$cp" </dev/null >"$run_dir/proxy-tls-$d.log" 2>&1 &
  px_pid=$!
  pids+=("$px_pid")
  # (It binds its listening port before the control port; a plain
  # "version" through it would get no answer from the TLS memcached.)
  if ! wait_control "$cp"; then
    die "TLS delay proxy (D=$d) did not come up on 127.0.0.1:$pp/$cp: $(cat "$run_dir/proxy-tls-$d.log")"
  fi
  tls_proxies+=("$d:$pp:$cp")
done

log "memcached on 127.0.0.1:$PORT (pid $mc_pid); TLS memcached on $TLS_PORT; delay proxies (D:port:control) ${proxies[*]}, in front of the TLS memcached ${tls_proxies[*]}; pinning: $pinning"

# --- the run ------------------------------------------------------------------
php_ver=$("$PHP" -n -r 'echo PHP_VERSION;')
ext_ver() { "$PHP" -r "echo phpversion('$1') ?: 'not loaded';" 2>/dev/null || echo '?'; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')
machine:   $ncpu CPUs (${cpu:-unknown CPU}), $(uname -s) $(uname -r) $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg)
pinning:   $pinning
software:  PHP $php_ver ($PHP), $("$MEMCACHED" -V), pecl-memcache $(ext_ver memcache), php-memcached $(ext_ver memcached), rsmemcache $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1) ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git')$(git diff --quiet HEAD -- src 2>/dev/null || echo ', src modified'))"

list=$(IFS=,; echo "${proxies[*]}")
# In the background so that a signal reaches our trap at once; the trap stops
# it first (it stops its own measuring process on SIGTERM).
"$PHP" -n bench/run.php --php="$PHP" --so="$SO" --port="$PORT" --proxies="$list" \
  --tmp="$run_dir" --machine="$machine" --tls="$TLS_PORT:$((TLS_PORT + 1)):$run_dir/ca.pem" \
  --tls-proxies="$(IFS=,; echo "${tls_proxies[*]}")" &
runner=$!
pids=("$runner" "${pids[@]}")
wait "$runner"
