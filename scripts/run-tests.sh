#!/usr/bin/env bash
# Builds the extension, starts private memcached daemons, runs the Rust tests
# (cargo test --release) and the PHP tests (php-tests/*.phpt through PHP's
# run-tests.php), stops the daemons, runs the end-to-end farm tests
# (tests/e2e/sigstop.sh and tests/e2e/fpm-faults.sh, plain and --framework:
# nginx + two php-fpm + their own three memcached under load, one of them
# stopped or killed; tests/e2e/apache.sh, the demo and those fault phases on
# two Apache + mod_php; each counted as one test), and prints "N passed,
# N failed" as the last line. Exits non-zero if anything failed, if no .phpt test passed, or if
# the extension does not load.
#
#   scripts/run-tests.sh                        # everything
#   scripts/run-tests.sh php-tests/foo.phpt     # extra args go to run-tests.php
#
# Environment:
#   RSMEMCACHE_TEST_BASE_PORT   first TCP port (default 21211); the daemons use
#                               BASE, BASE+1, BASE+2, and BASE+88 (or the next
#                               free port above it) is the "refused" port.
#   RSMEMCACHE_SKIP_CARGO_TESTS=1  run only the .phpt tests (and the e2e tests).
#   RSMEMCACHE_SKIP_E2E=1       skip the tests/e2e/ tests (they are also skipped
#                               when test files are named on the command line).
#   SIGSTOP_BASE_PORT           ports of sigstop.sh: memcached on this, +2
#                               and +4, nginx on +80 (default BASE+110).
#   FPM_FAULTS_BASE_PORT        ports of fpm-faults.sh: memcached on this, +2
#                               and +4, nginx on +6 (default BASE+150).
#   HUNG_BASE_PORT              ports of hung_server.sh (default BASE+120).
#   POOLS_BASE_PORT             ports of pools.sh: memcached on this and +2,
#                               nginx on +4 (default BASE+176).
#   APACHE_BASE_PORT            ports of apache.sh: BASE+170 to BASE+188 (default).
# Exported to the tests: RSMEMCACHE_TEST_SERVERS, RSMEMCACHE_TEST_SOCKET,
# RSMEMCACHE_TEST_REFUSED_PORT, RSMEMCACHE_SO (see php-tests/lib/config.inc).
set -euo pipefail

orig_pwd=$(pwd -P)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

passed=0
failed=0
summary_printed=0
run_dir=""
pids=()

log() { printf '== %s\n' "$*"; }
warn() { printf '!! %s\n' "$*" >&2; }

cleanup() {
  stop_pids "${pids[@]}"
  pids=()
  stop_mariadb
  if [[ -n "$run_dir" && -d "$run_dir" ]]; then
    rm -rf -- "$run_dir"
  fi
  run_dir=""
}

on_exit() {
  local rc=$?
  set +e
  cleanup
  if ((!summary_printed)); then
    # Aborted early (build failure, daemon failure, ...): still end with the
    # summary line, and never report success.
    ((rc != 0)) || rc=1
    printf '%d passed, %d failed\n' "$passed" "$((failed + 1))"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
  warn "$*"
  exit 1
}

# Stops the private mariadbd (by the PID in its pid file; a fault test may
# have restarted it under a new PID).
stop_mariadb() {
  if [[ -n "${db_dir:-}" && -s "$db_dir/pid" ]]; then
    stop_pids "$(cat "$db_dir/pid")"
    rm -f "$db_dir/pid"
  fi
}

# --- dependencies and build -------------------------------------------------
bash scripts/deps.sh
if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
  export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || die "cargo (Rust >= 1.85) not found; install it with rustup"

# The PHP in use: PHP_CONFIG / PHP from the environment, else php-config and
# php on PATH (scripts/lib.sh php_resolve); cargo's build.rs and ext-php-rs
# read the same PHP_CONFIG.
php_resolve
[[ -n "$PHP" ]] || die "php not found"
[[ -n "$PHP_CONFIG" ]] || die "php-config not found (install php<version>-dev or set PHP_CONFIG)"
MEMCACHED=$(command -v memcached || true)
[[ -n "$MEMCACHED" ]] || die "memcached not found"
log "PHP $("$PHP" -n -r 'echo PHP_VERSION, PHP_ZTS ? " ZTS" : " NTS";') ($PHP, $PHP_CONFIG)"
log "memcached $("$MEMCACHED" -V 2>/dev/null | sed -n 's/^memcached //p' | head -n 1) ($MEMCACHED)"
# The cargo integration tests (tests/common: php_bin) run this PHP too, not
# whatever "php" is on PATH.
export TEST_PHP_EXECUTABLE="$PHP"

log "cargo build --release"
cargo build --release
target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" = /* ]] || target_dir="$ROOT/$target_dir"
SO="$target_dir/release/librsmemcache.so"
[[ -f "$SO" ]] || die "build produced no $SO"
export RSMEMCACHE_SO="$SO"

log "checking that $SO loads into $PHP"
if ! load_err=$("$PHP" -n -d "extension=$SO" -r 'exit(extension_loaded("rsmemcache") ? 0 : 1);' 2>&1); then
  warn "the extension does not load: $PHP -n -d extension=$SO"
  [[ -z "$load_err" ]] || warn "$load_err"
  die "FATAL: rsmemcache extension failed to load"
fi
[[ -z "$load_err" ]] || warn "loading the extension printed: $load_err"

skip_cargo=${RSMEMCACHE_SKIP_CARGO_TESTS:-0}
if [[ "$skip_cargo" != 1 ]]; then
  # Compile the test binaries before the daemons start, so compile errors
  # surface early.
  log "cargo test --release --no-run"
  cargo test --release --no-run
fi

# --- memcached daemons ------------------------------------------------------
BASE=${RSMEMCACHE_TEST_BASE_PORT:-21211}
[[ "$BASE" =~ ^[0-9]+$ ]] && ((BASE >= 1024 && BASE + 200 < 65536)) \
  || die "RSMEMCACHE_TEST_BASE_PORT must be a port number between 1024 and 65335 (got '$BASE')"

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-test.XXXXXX")
chmod 777 "$run_dir"   # memcached (user nobody when we are root) creates its socket here
SOCKET="$run_dir/memcached.sock"

user_args=()
if [[ "$(id -u)" = 0 ]]; then
  user_args=(-u nobody)
fi
common=(-U 0 -m 64 -I 1m -c 1024 "${user_args[@]}")

servers=()
targets=()
for port in "$BASE" "$((BASE + 1))" "$((BASE + 2))"; do
  if port_in_use "$port"; then
    die "port $port is already in use on 127.0.0.1 (another memcached?); set RSMEMCACHE_TEST_BASE_PORT to a free range"
  fi
  "$MEMCACHED" "${common[@]}" -l 127.0.0.1 -p "$port" \
    </dev/null >"$run_dir/memcached-$port.log" 2>&1 &
  pids+=("$!")
  servers+=("127.0.0.1:$port")
  targets+=("tcp://127.0.0.1:$port")
done
"$MEMCACHED" "${common[@]}" -s "$SOCKET" -a 0777 \
  </dev/null >"$run_dir/memcached-socket.log" 2>&1 &
pids+=("$!")
targets+=("unix://$SOCKET")

if ! wait_ready "${targets[@]}"; then
  for f in "$run_dir"/memcached-*.log; do
    [[ -s "$f" ]] && warn "$(basename "$f"): $(cat "$f")"
  done
  die "memcached did not come up"
fi
# Make sure the daemons that answered are ours (not someone else's that
# grabbed a port between the check and the start).
for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || die "memcached (pid $pid) exited early: $(cat "$run_dir"/memcached-*.log 2>/dev/null)"
done
log "memcached up: ${servers[*]} $SOCKET (pids ${pids[*]})"

refused=$((BASE + 88))
while port_in_use "$refused"; do
  refused=$((refused + 1))
  ((refused < BASE + 100)) || die "no free port for RSMEMCACHE_TEST_REFUSED_PORT near $((BASE + 88))"
done

# --- private MariaDB for the durable tier (php-tests/durable_*.phpt) ------------
# Started once per run when mariadbd exists (Debian's mariadb-server): own
# datadir, unix socket and loopback port (BASE+100) under the run's temp
# dir, never the system service; stopped by the PID in its pid file (the
# fault test restarts it through $run_dir/mariadb/start.sh). Its TCP port
# speaks TLS only (--require-secure-transport=ON; the unix socket counts as
# secure), with a v3 certificate for IP:127.0.0.1 signed by a CA made here
# with openssl ($db_dir/tls/ca.pem, exported for php-tests/durable_tls*.phpt).
# Without it the durable tests skip, saying so.
db_dir=""
if { command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]]; } \
  && command -v mariadb-install-db >/dev/null 2>&1 && command -v mariadb >/dev/null 2>&1; then
  db_dir="$run_dir/mariadb"
  db_port=$((BASE + 100))
  port_in_use "$db_port" && die "port $db_port (MariaDB) is already in use; set RSMEMCACHE_TEST_BASE_PORT to a free range"
  db_tls=()
  if command -v openssl >/dev/null 2>&1; then
    mkdir -p "$db_dir/tls"
    (
      cd "$db_dir/tls"
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
        -days 2 -subj "/CN=rsmemcache test database CA"
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout db.key -out db.csr -subj "/CN=db"
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >db.ext
      openssl x509 -req -in db.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out db.pem -days 2 -extfile db.ext
    ) >"$db_dir/tls.log" 2>&1 || die "openssl could not make the MariaDB test certificates: $(tail -n 3 "$db_dir/tls.log")"
    db_tls=(--ssl-ca="$db_dir/tls/ca.pem" --ssl-cert="$db_dir/tls/db.pem" --ssl-key="$db_dir/tls/db.key"
      --require-secure-transport=ON)
    export RSMEMCACHE_TEST_MARIADB_CA="$db_dir/tls/ca.pem"
  fi
  mariadb_private "$db_dir" "$db_port" rsm_test "${db_tls[@]}" || die "the private MariaDB did not start"
  export RSMEMCACHE_TEST_MARIADB_DIR="$db_dir"
  export RSMEMCACHE_TEST_MARIADB_PORT="$db_port"
  log "MariaDB up: 127.0.0.1:$db_port $db_dir/sock (pid $(cat "$db_dir/pid"))"
else
  warn "mariadbd not found (Debian package mariadb-server): the durable tier tests will skip"
fi

RSMEMCACHE_TEST_SERVERS=$(IFS=,; echo "${servers[*]}")
export RSMEMCACHE_TEST_SERVERS
export RSMEMCACHE_TEST_SOCKET="$SOCKET"
export RSMEMCACHE_TEST_REFUSED_PORT="$refused"
log "RSMEMCACHE_TEST_SERVERS=$RSMEMCACHE_TEST_SERVERS RSMEMCACHE_TEST_SOCKET=$SOCKET RSMEMCACHE_TEST_REFUSED_PORT=$refused"

# --- cargo tests ------------------------------------------------------------
cargo_passed=0
cargo_failed=0
if [[ "$skip_cargo" != 1 ]]; then
  log "cargo test --release"
  set +e
  cargo test --release 2>&1 | tee "$run_dir/cargo-test.log"
  cargo_rc=${PIPESTATUS[0]}
  set -e
  while read -r p f; do
    cargo_passed=$((cargo_passed + p))
    cargo_failed=$((cargo_failed + f))
  done < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$run_dir/cargo-test.log")
  if ((cargo_rc != 0 && cargo_failed == 0)); then
    warn "cargo test exited with status $cargo_rc without reporting a failed test; counting it as one failure"
    cargo_failed=1
  fi
  log "cargo tests: $cargo_passed passed, $cargo_failed failed"
else
  log "cargo tests skipped (RSMEMCACHE_SKIP_CARGO_TESTS=1)"
fi
passed=$((passed + cargo_passed))
failed=$((failed + cargo_failed))

# --- phpt tests -------------------------------------------------------------
run_tests=""
candidates=()
if [[ -n "$PHP_CONFIG" ]]; then
  candidates+=("$("$PHP_CONFIG" --extension-dir 2>/dev/null)/build/run-tests.php"
               "$("$PHP_CONFIG" --prefix 2>/dev/null)/lib/php/build/run-tests.php")
fi
shopt -s nullglob
candidates+=(/usr/lib/php/*/build/run-tests.php /usr/local/lib/php/build/run-tests.php)
shopt -u nullglob
for c in "${candidates[@]}"; do
  if [[ -f "$c" ]]; then run_tests=$c; break; fi
done
[[ -n "$run_tests" ]] || die "run-tests.php not found (install php<version>-dev)"

# Test paths may be given relative to the caller's directory or the repo root.
rt_args=()
has_target=0
for a in "$@"; do
  if [[ "$a" != -* && "$a" != /* && ! -e "$a" && -e "$orig_pwd/$a" ]]; then
    a="$orig_pwd/$a"
  fi
  if [[ "$a" != -* && -e "$a" ]]; then has_target=1; fi
  rt_args+=("$a")
done
((has_target)) || rt_args+=(php-tests/)

log "run-tests.php ${rt_args[*]}"
# The tests vary the system settings (key, credential and TLS files, DSN)
# between requests of one process, with ini_set(): rsmemcache.test_allow_ini_set
# lets them; the tests of the system settings themselves turn it off in
# their --INI-- section.
# -j1: one test at a time. The tests share the three memcached and the
# MariaDB: some count the servers' stats around a request, flush, kill or
# restart them. PHP 8.6's run-tests.php runs tests in parallel unless told
# otherwise (up to 8.5 one at a time was its default).
set +e
NO_INTERACTION=1 REPORT_EXIT_STATUS=1 TEST_PHP_EXECUTABLE="$PHP" \
  "$PHP" -n "$run_tests" -j1 -q --no-color --show-diff -n -d "extension=$SO" -d "error_log=$run_dir/php-errors.log" -d rsmemcache.test_allow_ini_set=1 "${rt_args[@]}" \
  </dev/null 2>&1 | tee "$run_dir/run-tests.log"
rt_rc=${PIPESTATUS[0]}
set -e

rt_count() {
  local n
  n=$(sed -n "s/^$1 *: *\([0-9]*\).*/\1/p" "$run_dir/run-tests.log" | tail -n 1)
  echo "${n:-0}"
}
phpt_passed=$(rt_count 'Tests passed')
phpt_failed=$(rt_count 'Tests failed')
phpt_borked=$(rt_count 'Tests borked')
phpt_leaked=$(rt_count 'Tests leaked')
phpt_skipped=$(rt_count 'Tests skipped')
phpt_warned=$(rt_count 'Tests warned')
phpt_bad=$((phpt_failed + phpt_borked + phpt_leaked))

if ! grep -q '^Tests passed *:' "$run_dir/run-tests.log"; then
  warn "run-tests.php printed no summary (no tests found or it crashed)"
fi
if ((rt_rc != 0 && phpt_bad == 0)); then
  warn "run-tests.php exited with status $rt_rc without reporting a failed test; counting it as one failure"
  phpt_bad=1
fi
if ((phpt_skipped > 0)); then
  warn "$phpt_skipped phpt test(s) SKIPPED:"
  tr '\r' '\n' <"$run_dir/run-tests.log" | grep '^SKIP ' >&2 || true
fi
if ((phpt_warned > 0)); then
  warn "$phpt_warned phpt test(s) WARNED:"
  tr '\r' '\n' <"$run_dir/run-tests.log" | grep '^WARN ' >&2 || true
fi
if ((phpt_borked > 0)); then
  warn "$phpt_borked phpt test(s) BORKED (malformed), counted as failed"
fi
log "phpt tests: $phpt_passed passed, $phpt_bad failed, $phpt_skipped skipped"
passed=$((passed + phpt_passed))
failed=$((failed + phpt_bad))

no_phpt_passed=0
if ((phpt_passed == 0)); then
  warn "no phpt test passed"
  no_phpt_passed=1
fi

# The phpt run's daemons are not needed any more; the e2e test starts its own.
stop_pids "${pids[@]}"
pids=()
stop_mariadb

# --- end-to-end farm tests ----------------------------------------------------
# Each starts its own farm (nginx + php-fpm A and B + three memcached) and
# counts as one test in the summary:
#   tests/e2e/sigstop.sh                one memcached SIGSTOPped for 10 s under
#                                       40 users (about 30 s)
#   tests/e2e/fpm-faults.sh             locked increments while a memcached is
#                                       killed and restarted, FPM master A is
#                                       reloaded (USR2), workers recycle
#   tests/e2e/fpm-faults.sh --framework every PHP error an ErrorException,
#                                       display_errors=1, a memcached killed
#   tests/e2e/hung_server.sh            16 workers per master, one memcached
#                                       SIGSTOPped 13 s: at most one timeout per
#                                       retry interval and master
#   tests/e2e/pools.sh                  one FPM master, two pools as two users:
#                                       neither sees nor changes the other's
#                                       server state (needs root; exit 77 =
#                                       skipped, counted as neither)
#   tests/e2e/apache.sh                 two Apache httpd (prefork + mod_php)
#                                       as the web servers: the demo's walk and
#                                       fpm-faults.sh's phases, plain and
#                                       --framework; skipped (not counted, the
#                                       reason printed) when apache2 or a
#                                       mod_php of this PHP is missing
# Both fpm-faults runs use FPM_FAULTS_BASE_PORT (default BASE+150; memcached
# on it, +2 and +4, nginx on +6), one after the other.
e2e() {
  local name=$1 rc
  shift
  log "tests/e2e/$name"
  set +e
  FARM_SO="$SO" PHP="$PHP" "$@" </dev/null 2>&1 | tee "$run_dir/e2e-${name//[^a-z0-9-]/_}.log"
  rc=${PIPESTATUS[0]}
  set -e
  if ((rc == 0)); then
    log "e2e $name: passed"
    passed=$((passed + 1))
  elif ((rc == 77)); then
    warn "e2e $name: SKIPPED (reason above)"
  else
    warn "e2e $name: FAILED (exit status $rc)"
    failed=$((failed + 1))
  fi
}
if ((has_target)) || [[ ${RSMEMCACHE_SKIP_E2E:-0} == 1 ]]; then
  log "e2e tests skipped (test files named on the command line, or RSMEMCACHE_SKIP_E2E=1)"
else
  export SIGSTOP_BASE_PORT=${SIGSTOP_BASE_PORT:-$((BASE + 110))}
  e2e sigstop.sh bash tests/e2e/sigstop.sh
  export HUNG_BASE_PORT=${HUNG_BASE_PORT:-$((BASE + 120))}
  e2e hung_server.sh bash tests/e2e/hung_server.sh
  export POOLS_BASE_PORT=${POOLS_BASE_PORT:-$((BASE + 176))}
  e2e pools.sh bash tests/e2e/pools.sh
  export FPM_FAULTS_BASE_PORT=${FPM_FAULTS_BASE_PORT:-$((BASE + 150))}
  e2e fpm-faults.sh bash tests/e2e/fpm-faults.sh
  e2e "fpm-faults.sh --framework" bash tests/e2e/fpm-faults.sh --framework
  export APACHE_BASE_PORT=${APACHE_BASE_PORT:-$((BASE + 170))}
  e2e apache.sh bash tests/e2e/apache.sh
fi

# --- summary ----------------------------------------------------------------
cleanup
summary_printed=1
printf '%d passed, %d failed\n' "$passed" "$failed"
if ((failed > 0 || no_phpt_passed)); then
  exit 1
fi
exit 0
