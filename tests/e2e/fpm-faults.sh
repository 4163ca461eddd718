#!/usr/bin/env bash
# End-to-end fault test of the web tier: locked
# increments through nginx and two php-fpm masters while a memcached is
# killed and restarted, an FPM master is reloaded and workers recycle.
#
# Starts a private farm (scripts/farm.sh): 3 memcached, php-fpm A and B
# (4 workers each, pm.max_requests = 20 so workers keep being replaced) with
# session_redundancy=2, allow_failover=1, timeout=1000 ms, retry_interval=2 s,
# locking on, behind nginx (round robin). tests/e2e/increments.php drives
# 12 sessions x 3 concurrent clients (one cookie per session) against
# tests/e2e/app/incr.php, a locked increment; this script runs the faults
# and names the phase in a control file; each phase lasts until the load has
# had a number of answers (polled, no sleeps):
#
#   recycle      no fault but workers recycling (pm.max_requests)
#   mc-kill      SIGKILL to memcached 1 of 3 (the sessions with a copy on it
#                are listed first, straight from memcached)
#   mc-restart   memcached 1 started again, empty, on its port (at least
#                until the workers' retry interval, 2 s, has passed)
#   fpm-reload   USR2 to FPM master A: graceful reload, new workers
#
# --framework: the page runs under a framework's error
# handling (every PHP error of every level becomes an ErrorException, as
# Laravel's HandleExceptions does) with display_errors=1; phases: recycle,
# then mc-kill with memcached 1 of 3 killed for good.
#
# FARM_WEB=apache (tests/e2e/apache.sh) runs the same phases on two Apache
# httpd (prefork + mod_php, MaxConnectionsPerChild = the max requests below)
# instead of php-fpm; the last phase is then apache-graceful: USR1 to Apache
# A, a graceful restart (new children; the parent unloads and reloads mod_php
# and the extension). Apache logs no normal worker exit: "workers ended"
# counts the worker PIDs of its access logs that no longer run.
#
# Refused writes ("not written: another request changed it after this
# request read it", HTTP 503 here, or that ErrorException with --framework)
# are counted apart and fail the run in every phase. They used to happen
# around a kill or restart of the lock's server (0-4 per run): the lock died
# with its server and a second request took it on the next server while the
# first still wrote. With session_redundancy=2 the lock now has a copy on
# that next server (src/session/lock_copy.rs), so the second request waits.
# --lenient (FPM_FAULTS_LENIENT=1) restores the old allowance (refusals
# sent and answered in mc-kill and mc-restart pass), for comparing builds.

# Passes when, in every phase: 0 HTTP errors, 0 exceptions, 0 lost updates
# (no two answers of a session with the same n, and each session's stored n
# equals its increments answered 200), 0 lost sessions, no worker crash in
# the FPM or PHP error logs (a signal other than the master's SIGQUIT, a
# non-zero exit, a PHP fatal error), every session that had a copy on the
# killed server kept; without --framework also: workers were recycled.
# Prints a table per phase: requests, HTTP errors, refused writes, exceptions, lost updates,
# lost sessions, worker crashes, workers recycled, workers that answered.
#
# Usage: tests/e2e/fpm-faults.sh [--framework] [--lenient]
# Environment (all optional):
#   FPM_FAULTS_LENIENT=1     same as --lenient
#   FPM_FAULTS_BASE_PORT     memcached on BASE, BASE+2, BASE+4, nginx on BASE+6
#                            (27301; steps of 2: with an odd BASE every
#                            listener is on an odd port — inside Linux's
#                            ephemeral range, 32768-60999, connect() takes
#                            even local ports, and another program's
#                            connection from one blocks a bind there for a
#                            minute: seen with ports 333xx)
#   FPM_FAULTS_SESSIONS, FPM_FAULTS_CLIENTS   sessions, clients per session (12, 3)
#   FPM_FAULTS_PHASE_REQUESTS  answers each phase waits for (1000)
#   FPM_FAULTS_MAX_REQUESTS  pm.max_requests, Apache's MaxConnectionsPerChild (20)
#   FARM_WEB                 fpm (default) or apache: the web servers
#   FARM_SO                  the extension (default build/rsmemcache.so)
#   FARM_KEEP_DIR=1          keep the farm's directory (logs) after the run
# Exit status: 0 passed, 1 failed, 2 bad usage.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd -P)
# shellcheck source=scripts/farm.sh
source scripts/farm.sh

framework=0
strict=1
[[ ${FPM_FAULTS_LENIENT:-0} == 1 ]] && strict=0
for a in "$@"; do
  case $a in
    --framework) framework=1 ;;
    --lenient) strict=0 ;;
    --strict) strict=1 ;;
    *) echo "usage: $0 [--framework] [--lenient]" >&2; exit 2 ;;
  esac
done
web=${FARM_WEB:-fpm}
label=$web-faults
((framework)) && label=$web-framework
reload_phase=fpm-reload
web_name=FPM
recycled_name='workers recycled'
max_name=pm.max_requests
if [[ $web == apache ]]; then
  reload_phase=apache-graceful
  web_name=Apache
  recycled_name='workers ended'
  max_name=MaxConnectionsPerChild
fi

base=${FPM_FAULTS_BASE_PORT:-27301}
FARM_MC_PORTS=("$base" "$((base + 2))" "$((base + 4))")
FARM_HTTP_PORT=$((base + 6))
FARM_APP_DIR=$ROOT/tests/e2e/app
FARM_WORKERS=4
FARM_MAX_REQUESTS=${FPM_FAULTS_MAX_REQUESTS:-20}
retry_s=2
FARM_INI=("${FARM_FAULT_TEST_INI[@]}" "rsmemcache.retry_interval=$retry_s")
((framework)) && FARM_INI+=(display_errors=1)
per_phase=${FPM_FAULTS_PHASE_REQUESTS:-1000}
victim=1 # index into FARM_MC_PORTS

run_dir=""
driver_pid=""
cleanup() {
  set +e
  if [[ -n $driver_pid ]]; then
    kill "$driver_pid" 2>/dev/null
    wait "$driver_pid" 2>/dev/null
  fi
  farm_stop
  [[ -n $run_dir ]] && rm -rf -- "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "$label: FAIL: $*"
  exit 1
}

what="memcached killed and restarted, $web_name master reloaded, workers recycling"
((framework)) && what="framework error handling, display_errors=1, memcached killed"
echo "== e2e $label: $what"
farm_start || fail "the farm did not start"
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-fpm-faults.XXXXXX")
control=$run_dir/control
status=$run_dir/status
echo recycle >"$control"

# --- phase bookkeeping -------------------------------------------------------

phases=()
declare -A crash_at=() recycled_at=()
all_logs() { cat "${FARM_FPM_LOGS[@]}" 2>/dev/null || true; }
count_crashes() { all_logs | farm_crash_lines | grep -c . || true; }
count_recycled() { farm_workers_ended; }

# Starts phase $1: the driver attributes requests sent from now on to it.
begin_phase() {
  phases+=("$1")
  crash_at[$1]=$(count_crashes)
  recycled_at[$1]=$(count_recycled)
  echo "$1" >"$control"
  echo "$label: t=$(($(date +%s) - t_start))s phase $1"
}

answered() {
  local ph n
  { read -r ph n <"$status"; } 2>/dev/null || return 1
  echo "${n:-0}"
}

# Waits until the driver has had $1 more answers than now (or it died: fail).
wait_load() {
  local want have i
  have=$(answered || echo 0)
  want=$((have + $1))
  for ((i = 0; i < 1200; i++)); do
    pid_alive "$driver_pid" || fail "the load driver exited early (see above)"
    have=$(answered || echo 0)
    ((have >= want)) && return 0
    sleep 0.05
  done
  fail "the load made no progress: $have of $want answers after 60 s"
}

# Writes the ids of the sessions that have a copy on memcached $1 (index).
sessions_on() {
  "$PHP" -n -r '
    [$port, $sids] = [$argv[1], file($argv[2], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES)];
    $s = stream_socket_client("tcp://127.0.0.1:$port", $e, $m, 2) or exit(1);
    foreach ($sids as $sid) {
        // rsmemcache.key_hash = sha256 (the default): the key holds base64url(SHA-256(id)).
        $kid = rtrim(strtr(base64_encode(hash("sha256", $sid, true)), "+/", "-_"), "=");
        fwrite($s, "mg rsmemcache.sess.$kid\r\n");
        $line = fgets($s);
        if (strncmp($line, "HD", 2) === 0) { echo $sid, "\n"; }
        elseif (strncmp($line, "EN", 2) !== 0) { fwrite(STDERR, "unexpected reply: $line"); exit(1); }
    }' -- "${FARM_MC_PORTS[$1]}" "$run_dir/sids"
}

# --- load and faults ---------------------------------------------------------

t_start=$(date +%s)
phases=()
begin_phase recycle
driver_args=(
  --port "$FARM_HTTP_PORT" --control "$control" --status "$status"
  --sessions "${FPM_FAULTS_SESSIONS:-12}" --clients "${FPM_FAULTS_CLIENTS:-3}"
  --sids "$run_dir/sids" --victims "$run_dir/victims" --label "$label"
)
((framework)) && driver_args+=(--framework)
((strict)) || driver_args+=(--allow-refused-in mc-kill,mc-restart)
"$PHP" -n tests/e2e/increments.php "${driver_args[@]}" >"$run_dir/driver.out" 2>&1 &
driver_pid=$!
wait_load "$per_phase"
[[ -s $run_dir/sids ]] || fail "the driver wrote no session ids"

victim_addr=127.0.0.1:${FARM_MC_PORTS[$victim]}
sessions_on "$victim" >"$run_dir/victims" || fail "could not list the sessions on $victim_addr"
echo "$label: $(wc -l <"$run_dir/victims") of $(wc -l <"$run_dir/sids") sessions have a copy on $victim_addr"
[[ -s $run_dir/victims ]] || fail "no session has a copy on $victim_addr: the kill would prove nothing"

begin_phase mc-kill
farm_mc_kill "$victim" || fail "could not kill memcached $victim_addr"
echo "$label: SIGKILL to memcached $victim_addr"
wait_load "$per_phase"

if ((!framework)); then
  begin_phase mc-restart
  farm_mc_restart "$victim" || fail "memcached $victim_addr did not restart"
  t_back=$(date +%s%N)
  echo "$label: memcached $victim_addr restarted (pid ${FARM_MC_PIDS[$victim]}), empty"
  wait_load "$per_phase"
  # Workers that saw it fail skip it until their retry interval (2 s) is
  # over, new ones use it at once: the phase lasts until that split is over.
  while (($(date +%s%N) - t_back < (retry_s + 1) * 1000000000)); do
    wait_load 50
  done

  begin_phase "$reload_phase"
  farm_web_reload 0 || fail "$FARM_WEB_NAME A did not reload"
  echo "$label: $FARM_WEB_NAME A (pid ${FARM_FPM_PIDS[0]}) reloaded gracefully: $(farm_children_of "${FARM_FPM_PIDS[0]}" | wc -l) new workers"
  wait_load "$per_phase"
fi

echo end >"$control"
rc=0
wait "$driver_pid" || rc=1
driver_pid=""
crash_at[end]=$(count_crashes)
recycled_at[end]=$(count_recycled)
grep -v '^PHASE ' "$run_dir/driver.out" || true

# --- per-phase table -----------------------------------------------------------

declare -A row=()
while read -r _ ph rest; do
  row[$ph]=$rest
done < <(grep '^PHASE ' "$run_dir/driver.out")
printf '%s: %-15s %8s %11s %8s %10s %12s %13s %14s %16s %8s\n' "$label" phase requests 'http errors' refused exceptions \
  'lost updates' 'lost sessions' 'worker crashes' "$recycled_name" workers
bounds=("${phases[@]}" end)
crashes=0
recycled=0
for ((i = 0; i < ${#phases[@]}; i++)); do
  ph=${phases[$i]}
  next=${bounds[$((i + 1))]}
  c=$((crash_at[$next] - crash_at[$ph]))
  r=$((recycled_at[$next] - recycled_at[$ph]))
  crashes=$((crashes + c))
  recycled=$((recycled + r))
  declare -A f=()
  for kv in ${row[$ph]:-}; do f[${kv%%=*}]=${kv#*=}; done
  printf '%s: %-15s %8s %11s %8s %10s %12s %13s %14d %16d %8s\n' "$label" "$ph" "${f[requests]:-?}" "${f[http_errors]:-?}" "${f[refused]:-?}" \
    "${f[exceptions]:-?}" "${f[lost_updates]:-?}" "${f[lost_sessions]:-?}" "$c" "$r" "${f[workers]:-?}"
  unset f
done

if ((crashes > 0)) || ! farm_check_logs; then
  echo "$label: FAIL: a worker crashed or hit a fatal error (see above)"
  rc=1
fi
if ((!framework && recycled == 0)); then
  echo "$label: FAIL: no worker was recycled ($max_name = $FARM_MAX_REQUESTS)"
  rc=1
fi
if ((rc == 0)); then
  echo "$label: PASS"
else
  echo "$label: FAIL"
fi
exit "$rc"
