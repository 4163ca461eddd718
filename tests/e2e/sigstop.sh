#!/usr/bin/env bash
# End-to-end fault test (the farm run): a memcached that hangs under
# load must not log anybody out, lose or roll back an update, fail a request,
# or make any worker give up on the servers that never stopped.
#
# Starts a private farm (scripts/farm.sh): 3 memcached, php-fpm A and B
# (8 workers each) with session_redundancy=2, allow_failover=1,
# timeout=1000 ms, retry_interval=15 s, locking on, behind nginx (round
# robin). tests/e2e/load.php then drives K users (own cookie each, requests
# one after the other) against tests/e2e/app/counter.php, which increments
# $_SESSION['n'] and reports rsmemcache_servers() of the worker that
# answered. After the warm-up the driver sends SIGSTOP to one memcached,
# SIGCONT after the stop, and keeps the load going a while longer.
#
# Passes when: 0 HTTP errors (non-200 or no answer within the request
# timeout), 0 logouts, 0 stale reads (each answer is the user's previous
# n + 1), no worker reported a never-stopped server as not 'up', no FPM or
# PHP error-log line names a never-stopped server, and no worker crashed.
# Prints "sigstop: requests=..., during stop=..., max latency=... ms".
#
# Usage: tests/e2e/sigstop.sh [--no-fault]
#   --no-fault   the baseline: the same load and timeline, nothing stopped
#                (then also no warning at all is allowed)
# Environment (all optional):
#   SIGSTOP_BASE_PORT   memcached on BASE, BASE+2, BASE+4; nginx on BASE+80
#                       (default 27201; steps of 2: with an odd BASE every
#                       listener is on an odd port, see fpm-faults.sh)
#   SIGSTOP_USERS       virtual users (40)
#   SIGSTOP_WARMUP, SIGSTOP_STOP, SIGSTOP_AFTER   phase lengths in s (5, 10, 10)
#   SIGSTOP_TIMEOUT     per-request timeout in s, counted as an HTTP error (10)
#   SIGSTOP_NO_FAULT=1  same as --no-fault
#   FARM_SO             the extension (default build/rsmemcache.so; run make build)
#   FARM_KEEP_DIR=1     keep the farm's directory (logs) after the run
# Exit status: 0 passed, 1 failed, 2 bad usage.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd -P)
# shellcheck source=scripts/farm.sh
source scripts/farm.sh

no_fault=${SIGSTOP_NO_FAULT:-0}
for a in "$@"; do
  case $a in
    --no-fault) no_fault=1 ;;
    *) echo "usage: $0 [--no-fault]" >&2; exit 2 ;;
  esac
done

base=${SIGSTOP_BASE_PORT:-27201}
FARM_MC_PORTS=("$base" "$((base + 2))" "$((base + 4))")
FARM_HTTP_PORT=$((base + 80))
FARM_APP_DIR=$ROOT/tests/e2e/app
FARM_WORKERS=8
FARM_INI=("${FARM_FAULT_TEST_INI[@]}" rsmemcache.retry_interval=15)

trap farm_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mode="SIGSTOP of 127.0.0.1:${FARM_MC_PORTS[0]}"
((no_fault)) && mode="no fault (baseline)"
echo "== e2e sigstop: $mode"
farm_start

stopped=127.0.0.1:${FARM_MC_PORTS[0]}
healthy=()
if ((no_fault)); then
  healthy=("127.0.0.1:${FARM_MC_PORTS[0]}")
fi
healthy+=("127.0.0.1:${FARM_MC_PORTS[1]}" "127.0.0.1:${FARM_MC_PORTS[2]}")
load_args=(
  --port "$FARM_HTTP_PORT" --path /counter.php
  --users "${SIGSTOP_USERS:-40}"
  --warmup "${SIGSTOP_WARMUP:-5}" --stop "${SIGSTOP_STOP:-10}" --after "${SIGSTOP_AFTER:-10}"
  --timeout "${SIGSTOP_TIMEOUT:-10}"
  --healthy "$(IFS=,; echo "${healthy[*]}")"
)
((no_fault)) || load_args+=(--stop-pid "${FARM_MC_PIDS[0]}" --stopped "$stopped")

rc=0
"$PHP" -n tests/e2e/load.php "${load_args[@]}" || rc=1

# The masters' and workers' logs: crashes, and any line naming a server that
# never stopped.
if ! farm_check_logs; then
  echo "sigstop: FAIL: a worker crashed or hit a fatal error (see above)"
  rc=1
fi
named=0
for f in "${FARM_FPM_LOGS[@]}"; do
  [[ -f $f ]] || continue
  for h in "${healthy[@]}"; do
    if grep -F -- "$h" "$f" | head -n 5 | sed "s|^|  [${f##*/}] |"; then
      named=$((named + $(grep -cF -- "$h" "$f")))
    fi
  done
done
logged_stopped=0
for f in "${FARM_FPM_LOGS[@]}"; do
  [[ -f $f ]] && logged_stopped=$((logged_stopped + $(grep -cF -- "$stopped" "$f" || true)))
done
echo "sigstop: error-log lines naming a never-stopped server: $named; naming $stopped: $logged_stopped"
if ((named > 0)); then
  echo "sigstop: FAIL: the error logs name a server that never stopped (above)"
  rc=1
fi

if ((rc == 0)); then
  echo "sigstop: PASS ($mode)"
else
  echo "sigstop: FAIL ($mode)"
fi
exit "$rc"
