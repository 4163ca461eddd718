#!/usr/bin/env bash
# Throughput of the web tier (make bench-tier): the demo page's "visit" action
# (demo/app.php: session start, one counter incremented, session written)
# through nginx round robin over two php-fpm masters x 8 workers and three
# memcached (scripts/farm.sh), with each session save handler in turn on
# the same tier, in one run:
#
#   rsmemcache          defaults (session_redundancy 1, locking on)
#   rsmemcache r=2      session_redundancy 2
#   pecl-memcache       persistent connections (tcp://...?persistent=1), its
#                       defaults otherwise (it always locks)
#   php-memcached       memcached.sess_persistent=1, sess_locking=1, lock
#                       wait 1-5 ms (as make bench)
#
# Each handler gets a fresh farm (new memcached, new workers); wrk
# (bench/tier.lua: 200 existing sessions per wrk thread, picked at random)
# runs WARMUP s at c=16, then DURATION s at each concurrency. The handlers
# take turns, ROUNDS times, so a burst of other load on the machine hits
# all of them alike; the table gives the median over the rounds of
# requests/s and of p99 latency (and the best round's requests/s), then memcached's curr_connections per
# server after the last level, less this script's own stats connection
# (the workers' connections), and the FPM workers' total RSS. Not a test: nothing is asserted but that every answer was a
# 200 with the page's body (exit status 1 if an rsmemcache answer was not;
# pecl memcache's and memcached's bad answers are printed).
#
# Usage: bash scripts/tier-bench.sh     (or: make bench-tier)
# Environment (all optional):
#   TIER_BASE_PORT     memcached on BASE, BASE+2, BASE+4, nginx on BASE+6
#                      (27411; odd ports, see tests/e2e/fpm-faults.sh)
#   TIER_DURATION      seconds per concurrency level (8)
#   TIER_WARMUP        seconds of warm-up per handler (3)
#   TIER_ROUNDS        rounds (3)
#   TIER_CONNECTIONS   concurrency levels (4 16 64)
#   TIER_HANDLERS      subset of: rsmemcache rsmemcache-r2 memcache memcached
#   TIER_WORKERS       workers per FPM master (8)
#   FARM_SO            the extension (default: built with cargo build --release)
#   PHP, PHP_CONFIG    the PHP to use
# Exit status: 0 when every run answered only 200s, 1 otherwise.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
# shellcheck source=scripts/farm.sh
source scripts/farm.sh

say() { printf 'tier: %s\n' "$*"; }
die() { printf 'tier: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
PHP=${PHP:-$("${PHP_CONFIG:-php-config}" --php-binary 2>/dev/null || command -v php)}
[[ -x $PHP ]] || die "no php binary"
export PHP
if [[ -z ${FARM_SO:-} ]]; then
  if ! command -v cargo >/dev/null 2>&1 && [[ -x ${HOME:-/root}/.cargo/bin/cargo ]]; then
    export PATH="${HOME:-/root}/.cargo/bin:$PATH"
  fi
  say "building the extension (cargo build --release)"
  cargo build --release >/dev/null 2>&1 || cargo build --release || die "cargo build failed"
  target=${CARGO_TARGET_DIR:-target}
  [[ $target == /* ]] || target=$ROOT/$target
  FARM_SO=$target/release/librsmemcache.so
fi
[[ -f $FARM_SO ]] || die "no extension at $FARM_SO"

base=${TIER_BASE_PORT:-27411}
FARM_MC_PORTS=("$base" "$((base + 2))" "$((base + 4))")
FARM_HTTP_PORT=$((base + 6))
FARM_APP_DIR=$ROOT/demo
FARM_WORKERS=${TIER_WORKERS:-8}
duration=${TIER_DURATION:-8}
rounds=${TIER_ROUNDS:-3}
warmup=${TIER_WARMUP:-3}
read -r -a conns <<<"${TIER_CONNECTIONS:-4 16 64}"
read -r -a handlers <<<"${TIER_HANDLERS:-rsmemcache rsmemcache-r2 memcache memcached}"
threads=2

trap farm_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# php-memcached's Debian build needs igbinary and msgpack loaded first where
# it was built with them: the first set of extensions that loads it.
memcached_exts() {
  local set
  for set in "igbinary msgpack memcached" "igbinary memcached" "memcached"; do
    local args=()
    for e in $set; do args+=(-d "extension=$e"); done
    if "$PHP" -n "${args[@]}" -r 'exit(extension_loaded("memcached") ? 0 : 1);' 2>/dev/null; then
      echo "$set"
      return 0
    fi
  done
  return 1
}

common_ini=(session.use_strict_mode=1 session.use_cookies=1 session.use_only_cookies=1
  session.gc_maxlifetime=1440 session.lazy_write=1)

# Sets FARM_SAVE_HANDLER, FARM_EXTENSIONS, FARM_INI, FARM_SAVE_PATH for $1.
configure() {
  local sp="" p
  FARM_EXTENSIONS=()
  FARM_INI=("${common_ini[@]}")
  case $1 in
    rsmemcache | rsmemcache-r2)
      FARM_SAVE_HANDLER=rsmemcache
      for p in "${FARM_MC_PORTS[@]}"; do sp+="${sp:+,}127.0.0.1:$p"; done
      [[ $1 == rsmemcache-r2 ]] && FARM_INI+=(rsmemcache.session_redundancy=2)
      ;;
    memcache)
      FARM_SAVE_HANDLER=memcache
      FARM_EXTENSIONS=(memcache)
      for p in "${FARM_MC_PORTS[@]}"; do sp+="${sp:+, }tcp://127.0.0.1:$p?persistent=1"; done
      ;;
    memcached)
      FARM_SAVE_HANDLER=memcached
      read -r -a FARM_EXTENSIONS <<<"$(memcached_exts)" || return 1
      FARM_INI+=(memcached.sess_persistent=1 memcached.sess_locking=1 memcached.sess_lock_wait_min=1
        memcached.sess_lock_wait_max=5 memcached.sess_prefix=memc.sess.key.)
      for p in "${FARM_MC_PORTS[@]}"; do sp+="${sp:+,}127.0.0.1:$p"; done
      ;;
    *) die "unknown handler $1 (rsmemcache rsmemcache-r2 memcache memcached)" ;;
  esac
  FARM_SAVE_PATH=$sp
}

# curr_connections of each of the farm's memcached less the one this asks
# on, "a/b/c".
mc_connections() {
  "$PHP" -n -r '
    $all = [];
    foreach (array_slice($argv, 1) as $port) {
        $s = stream_socket_client("tcp://127.0.0.1:$port", $e, $m, 2) or exit(1);
        fwrite($s, "stats\r\n");
        while (($line = fgets($s)) !== false && trim($line) !== "END") {
            if (preg_match("/^STAT curr_connections (\\d+)/", $line, $mm)) { $all[] = (int)$mm[1] - 1; }
        }
        fclose($s);
    }
    echo implode("/", $all);' -- "${FARM_MC_PORTS[@]}"
}

# Total RSS of the FPM workers, MiB.
workers_rss() {
  local w kb total=0
  for w in $(farm_workers); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$w/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo $((total / 1024))
}

# Runs wrk at concurrency $1 for $2 s; prints "rps p50_ms p99_ms bad".
run_wrk() {
  local c=$1 secs=$2 t=$threads out rps p50 p99 bad non2xx sample
  ((c < t)) && t=$c
  out=$(wrk -t "$t" -c "$c" -d "${secs}s" --timeout 10s --latency -s bench/tier.lua \
    "http://127.0.0.1:$FARM_HTTP_PORT/app.php?action=visit" 2>&1) || { echo "$out" >&2; return 1; }
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  bad=$(sed -n 's/^tier: bad=\([0-9]*\).*/\1/p' <<<"$out")
  sample=$(sed -n 's/^tier: bad=[0-9]* \(.*\)/\1/p' <<<"$out")
  [[ -n $sample ]] && say "first bad answer: $sample" >&2
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  bad=$((${bad:-0} + 0))
  ((${non2xx:-0} > bad)) && bad=$non2xx
  if grep -q 'Socket errors' <<<"$out"; then
    say "wrk: $(grep 'Socket errors' <<<"$out")" >&2
    bad=$((bad + 1))
  fi
  echo "${rps:-0} $(to_ms "${p50:-0}") $(to_ms "${p99:-0}") $bad"
}

# wrk latency (e.g. 812.00us, 1.93ms, 1.02s) in ms.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n }'
}

say "nginx round robin over 2 php-fpm masters x $FARM_WORKERS workers, 3 memcached; wrk -t$threads, ${duration} s per level (warm-up ${warmup} s), $rounds rounds; page demo/app.php?action=visit"
declare -A rps=() p99=() conn=() rss=()
status=0
for ((round = 1; round <= rounds; round++)); do
  for h in "${handlers[@]}"; do
    configure "$h" || die "cannot configure $h (is its PHP extension installed?)"
    farm_start >/dev/null || die "the farm did not start for $h"
    body=$(curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$FARM_HTTP_PORT/app.php?action=visit") || die "$h: no answer"
    [[ $body == *'"visits":1'* && $body == *'"warnings":[]'* ]] || die "$h: unexpected answer: $body"
    run_wrk 16 "$warmup" >/dev/null || die "$h: wrk failed"
    for c in "${conns[@]}"; do
      read -r r m50 m99 bad < <(run_wrk "$c" "$duration") || die "$h: wrk failed"
      rps[$h,$c]+="$r "
      p99[$h,$c]+="$m99 "
      if ((bad > 0)); then
        say "$h c=$c: $bad answers were not a 200 with the page's body"
        [[ $h == rsmemcache* ]] && status=1
      fi
      say "round $round $h c=$c: $r req/s, p50 $m50 ms, p99 $m99 ms"
    done
    conn[$h]=$(mc_connections)
    rss[$h]=$(workers_rss)
    if ! farm_check_logs; then
      say "$h: a worker crashed or hit a fatal error (above)"
      status=1
    fi
    farm_stop >/dev/null
  done
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
declare -A best=()
for k in "${!rps[@]}"; do
  best[$k]=$(tr ' ' '\n' <<<"${rps[$k]}" | grep . | sort -g | tail -n 1)
  rps[$k]=$(median "${rps[$k]}")
  p99[$k]=$(median "${p99[$k]}")
done

echo
say "median of $rounds rounds"
printf '%-16s' handler
for c in "${conns[@]}"; do printf ' %14s %9s' "c=$c req/s" "p99 ms"; done
printf ' %17s %12s\n' 'curr_connections' 'workers RSS'
for h in "${handlers[@]}"; do
  printf '%-16s' "$h"
  for c in "${conns[@]}"; do printf ' %14.0f %9s' "${rps[$h,$c]}" "${p99[$h,$c]}"; done
  printf ' %17s %9s MiB\n' "${conn[$h]}" "${rss[$h]}"
done
printf '%-16s' 'best round'
for c in "${conns[@]}"; do printf ' %14s %9s' "c=$c req/s" ''; done
echo
for h in "${handlers[@]}"; do
  printf '%-16s' "$h"
  for c in "${conns[@]}"; do printf ' %14.0f %9s' "${best[$h,$c]}" ''; done
  echo
done
if [[ -n ${rps[rsmemcache,${conns[0]}]:-} ]]; then
  for a in memcache memcached; do
    [[ -n ${rps[$a,${conns[0]}]:-} ]] || continue
    printf 'median rsmemcache / %-10s' "$a:"
    for c in "${conns[@]}"; do
      printf ' c=%s %.2fx' "$c" "$(awk -v x="${rps[rsmemcache,$c]}" -v y="${rps[$a,$c]}" 'BEGIN {print (y > 0 ? x / y : 0)}')"
    done
    echo
  done
fi
exit "$status"
