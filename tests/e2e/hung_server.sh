#!/usr/bin/env bash
# End-to-end test of the shared health state: a hung memcached costs one timeout per
# retry interval per php-fpm master, not one per worker.
#
# Starts a private farm (scripts/farm.sh): 3 memcached, php-fpm A and B with
# 16 workers each (session_redundancy=2, allow_failover=1, timeout=1000 ms,
# retry_interval=3 s), nginx round robin. tests/e2e/load.php drives 40 users
# against counter.php; after the warm-up one memcached gets SIGSTOP for 13 s
# (about 4 retry intervals) and SIGCONT at the end.
#
# Counted per master, from its PHP error log: the lines "server <stopped>: no
# answer ..." (or "connect timed out"), one per request that paid a timeout.
# The first burst (lines within the timeout + 2 s of the first one: every
# request already waiting on the server when it hung pays, whatever the
# state sharing) is reported apart; the lines after it are the timeouts paid
# per retry interval. Also reported: the connections the hung server
# accepted during the stop (memcached's total_connections, read before the
# stop and after SIGCONT).
#
# Passes when load.php passes (no HTTP error, logout or stale read) and each
# master paid at most one timeout per retry interval after the first burst
# (plus one: an interval may straddle the stop's end). With per-process
# state (rsmemcache before the state shared by a master's workers) each worker pays once per interval: about 16 per
# master and interval; HUNG_REPORT_ONLY=1 prints the figures without that
# check, to measure an older build (FARM_SO=...).
#
# Environment (all optional):
#   HUNG_BASE_PORT      memcached on BASE..BASE+2, nginx on BASE+80 (27301)
#   HUNG_WORKERS        workers per master (16)
#   HUNG_RETRY          rsmemcache.retry_interval in s (3)
#   HUNG_STOP           seconds the memcached stays stopped (13)
#   HUNG_REPORT_ONLY=1  print the figures, do not check the per-interval bound
#   FARM_SO, FARM_KEEP_DIR, PHP   as for scripts/farm.sh
# Exit status: 0 passed, 1 failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd -P)
# shellcheck source=scripts/farm.sh
source scripts/farm.sh

base=${HUNG_BASE_PORT:-27301}
retry=${HUNG_RETRY:-3}
stop_s=${HUNG_STOP:-13}
timeout_ms=1000
FARM_MC_PORTS=("$base" "$((base + 1))" "$((base + 2))")
FARM_HTTP_PORT=$((base + 80))
FARM_APP_DIR=$ROOT/tests/e2e/app
FARM_WORKERS=${HUNG_WORKERS:-16}
FARM_INI=(
  session.use_strict_mode=1
  session.use_cookies=1
  session.use_only_cookies=1
  session.lazy_write=1
  rsmemcache.session_redundancy=2
  rsmemcache.allow_failover=1
  rsmemcache.timeout=$timeout_ms
  rsmemcache.connect_timeout=$timeout_ms
  rsmemcache.retry_interval=$retry
  rsmemcache.locking=1
)

trap farm_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== e2e hung_server: ${FARM_WORKERS} workers per master, retry_interval ${retry} s, SIGSTOP for ${stop_s} s"
farm_start

stopped=127.0.0.1:${FARM_MC_PORTS[0]}

# memcached's total_connections (each stats call is one connection itself).
total_connections() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'stats\r\nquit\r\n' >&3
  while IFS= read -r -t 5 line <&3; do
    line=${line%$'\r'}
    if [[ $line == "STAT total_connections "* ]]; then echo "${line##* }"; fi
  done
  exec 3>&-
}
conn_before=$(total_connections "${FARM_MC_PORTS[0]}")

rc=0
"$PHP" -n tests/e2e/load.php --port "$FARM_HTTP_PORT" --path /counter.php --users 40 \
  --warmup 4 --stop "$stop_s" --after 0 --timeout 10 \
  --healthy "127.0.0.1:${FARM_MC_PORTS[1]},127.0.0.1:${FARM_MC_PORTS[2]}" \
  --stop-pid "${FARM_MC_PIDS[0]}" --stopped "$stopped" || rc=1

# The backlog of connections made during the stop is accepted after SIGCONT.
sleep 1
conn_after=$(total_connections "${FARM_MC_PORTS[0]}")
conns=$((conn_after - conn_before - 1))

farm_check_logs || rc=1

bound=$(((stop_s + retry - 1) / retry + 1))
for i in 0 1; do
  node=$([[ $i == 0 ]] && echo A || echo B)
  log=${FARM_FPM_LOGS[$((2 * i + 1))]}
  # "<total> <burst> <later>" from the log's timestamps (whole seconds).
  read -r total burst later < <("$PHP" -n -r '
    [$file, $server, $windowS] = [$argv[1], $argv[2], (int)$argv[3]];
    $times = [];
    foreach (is_file($file) ? file($file) : [] as $l) {
        if (preg_match("/^\[([^\]]+)\] rsmemcache: server " . preg_quote($server, "/") . ": (no answer|connect timed out)/", $l, $m)) {
            $times[] = strtotime($m[1]);
        }
    }
    $burst = $times ? count(array_filter($times, fn ($t) => $t <= $times[0] + $windowS)) : 0;
    printf("%d %d %d\n", count($times), $burst, count($times) - $burst);
  ' "$log" "$stopped" "$(((timeout_ms + 999) / 1000 + 2))")
  echo "hung_server: master $node: timeouts paid $total: first burst $burst, then $later in ${stop_s} s (at most one per ${retry} s retry interval: bound $bound)"
  if [[ ${HUNG_REPORT_ONLY:-0} != 1 ]] && ((later > bound)); then
    echo "hung_server: FAIL: master $node paid $later timeouts after the first burst (more than one per retry interval)"
    rc=1
  fi
done
echo "hung_server: connections the hung server accepted during the stop: $conns"

if ((rc == 0)); then
  echo "hung_server: PASS"
else
  echo "hung_server: FAIL"
fi
exit "$rc"
