#!/usr/bin/env bash
# End-to-end test: one pool cannot touch another's shared server state.
#
# One php-fpm master with two pools that run as two different existing
# unprivileged users (A: nobody, B: daemon; no user is created), behind a
# private nginx, and two private memcached: MC1 used by both pools, MC2 only
# by A. The extension maps its shared table in the master, so both pools'
# workers see the same memory; the state in it is keyed by effective uid.
# Both pools have rsmemcache.retry_interval = 1 s (php_value, as php.ini),
# timeout 300 ms, one server per session (no failover).
#
#   1. A stores a session on MC1 and one on MC2; B one on MC1.
#   2. B's rsmemcache_stats() and php --ri rows name no server of A's (MC2).
#   3. MC1 hiccups (SIGSTOP, about 1 s): A's script sets
#      ini_set('rsmemcache.retry_interval', '86400') and pays a timeout.
#   4. MC1 is back (SIGCONT): B's next request uses MC1 at once (its state
#      never saw A's failure), B counts no timeout, and A itself uses MC1
#      again after the pool's 1 s (a run-time value is capped by php.ini's).
#
# Before per-uid state (one slot per server for the whole master, an
# absolute "failed until" deadline) step 4 fails: B skips MC1 for 24 h, and
# step 2 fails: B lists A's servers.
#
# Needs root (php-fpm switches a pool's workers to `user =`); exits 77
# (skipped) otherwise. Environment (all optional):
#   POOLS_BASE_PORT   memcached on BASE and BASE+2, nginx on BASE+4 (27376)
#   FARM_SO, PHP, PHP_FPM, NGINX, MEMCACHED   as for scripts/farm.sh
#   FARM_KEEP_DIR=1   keep the test's directory (configs, logs)
# Exit status: 0 passed, 1 failed, 77 skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd -P)
# shellcheck source=scripts/farm.sh
source scripts/farm.sh

USER_A=nobody
USER_B=daemon
if [[ $(id -u) != 0 ]]; then
  echo "pools: SKIP: needs root (php-fpm pools running as $USER_A and $USER_B)"
  exit 77
fi
group_of() { id -gn "$1"; }

base=${POOLS_BASE_PORT:-27376}
mc1=$base
mc2=$((base + 2))
http=$((base + 4))
so=${FARM_SO:-$ROOT/build/rsmemcache.so}
[[ $so == /* ]] || so=$ROOT/$so
[[ -f $so ]] || { echo "pools: no extension at $so (run make build)" >&2; exit 1; }
[[ -n ${PHP:-} ]] || php_resolve
fpm=${PHP_FPM:-$(php_fpm_for "${PHP:-php}" || _farm_find php-fpm)} || { echo "pools: php-fpm not found" >&2; exit 1; }
nginx=${NGINX:-$(_farm_find nginx)} || { echo "pools: nginx not found" >&2; exit 1; }
mc_bin=${MEMCACHED:-$(_farm_find memcached)} || { echo "pools: memcached not found" >&2; exit 1; }
for p in "$mc1" "$mc2" "$http"; do
  if port_in_use "$p"; then echo "pools: port $p on 127.0.0.1 is already in use" >&2; exit 1; fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-pools.XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/app" "$dir/nginx"
cp tests/e2e/pools/pools.php "$dir/app/"
chmod -R a+rX "$dir/app"
pids=()
fpm_pid=""
cleanup() {
  local -
  set +e
  local w workers=()
  [[ -n $fpm_pid ]] && mapfile -t workers < <(farm_children_of "$fpm_pid")
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; done
  ((${#pids[@]})) && stop_pids "${pids[@]}"
  for w in "${workers[@]}"; do
    { read -r comm <"/proc/$w/comm"; } 2>/dev/null || continue
    [[ $comm == php-fpm* ]] && kill -9 "$w" 2>/dev/null
  done
  if [[ ${FARM_KEEP_DIR:-0} == 1 ]]; then echo "pools: kept $dir"; else rm -rf -- "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for p in "$mc1" "$mc2"; do
  "$mc_bin" -U 0 -l 127.0.0.1 -p "$p" -m 64 -c 1024 -u nobody </dev/null >>"$dir/memcached-$p.log" 2>&1 &
  pids+=("$!")
done
mc1_pid=${pids[0]}
wait_ready "tcp://127.0.0.1:$mc1" "tcp://127.0.0.1:$mc2" || { echo "pools: memcached did not come up" >&2; exit 1; }

pool_conf() {
  local name=$1 user=$2
  touch "$dir/php-$name.log"
  chmod 666 "$dir/php-$name.log"
  cat <<CONF
[$name]
user = $user
group = $(group_of "$user")
listen = $dir/fpm-$name.sock
listen.mode = 0666
pm = static
pm.max_children = 2
catch_workers_output = yes
clear_env = yes
php_admin_value[error_log] = $dir/php-$name.log
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
php_admin_value[session.save_handler] = rsmemcache
php_value[session.save_path] = "127.0.0.1:$mc1"
php_admin_value[session.use_strict_mode] = 0
php_admin_value[session.use_cookies] = 0
php_admin_value[rsmemcache.allow_failover] = 0
php_admin_value[rsmemcache.timeout] = 300
php_admin_value[rsmemcache.connect_timeout] = 300
php_value[rsmemcache.retry_interval] = 1
CONF
}
{
  cat <<CONF
[global]
pid = $dir/fpm.pid
error_log = $dir/fpm.log
daemonize = no
CONF
  pool_conf A "$USER_A"
  pool_conf B "$USER_B"
} >"$dir/fpm.conf"
"$fpm" -n -d "extension=$so" -y "$dir/fpm.conf" -p "$dir" -F </dev/null >"$dir/fpm.out" 2>&1 &
fpm_pid=$!
pids+=("$fpm_pid")

{
  _farm_nginx_head "$dir"
  cat <<CONF
    server {
        listen 127.0.0.1:$http;
        root $dir/app;
        location = /_status { return 200 "ok\n"; }
CONF
  for name in A B; do
    cat <<CONF
        location = /$name/pools.php {
            fastcgi_pass unix:$dir/fpm-$name.sock;
            fastcgi_param SCRIPT_NAME /pools.php;
            fastcgi_param SCRIPT_FILENAME \$document_root/pools.php;
$(_farm_fastcgi_params)
        }
CONF
  done
  echo '    }'
  echo '}'
} >"$dir/nginx.conf"
"$nginx" -p "$dir/nginx/" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" </dev/null >"$dir/nginx.out" 2>&1 &
pids+=("$!")

ready() {
  pid_alive "$fpm_pid" || return 2
  [[ -S $dir/fpm-A.sock && -S $dir/fpm-B.sock ]] || return 1
  (($(farm_children_of "$fpm_pid" | wc -l) >= 4)) || return 1
  curl -sf --noproxy '*' --max-time 2 -o /dev/null "http://127.0.0.1:$http/_status"
}
_farm_poll 20 "php-fpm and nginx" ready || { cat "$dir/fpm.out" "$dir/fpm.log" "$dir/nginx-error.log" >&2 2>/dev/null; exit 1; }

call() { # call POOL QUERY
  curl -sS --noproxy '*' --max-time 10 "http://127.0.0.1:$http/$1/pools.php?$2" 2>&1 || true
}
sid() { printf 'pools%s%s' "$1" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"; }
json() { "$PHP" -n -r '$v = json_decode($argv[1], true); foreach (explode("/", $argv[2]) as $k) { $v = $v[$k] ?? null; } echo is_array($v) ? json_encode($v) : var_export($v, true);' "$1" "$2"; }

rc=0
check() { # check WHAT EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then
    echo "pools: ok   $1: $3"
  else
    echo "pools: FAIL $1: expected $2, got $3"
    rc=1
  fi
}

echo "== e2e pools: one php-fpm master, pool A as $USER_A, pool B as $USER_B; MC1 127.0.0.1:$mc1 (both), MC2 127.0.0.1:$mc2 (A only)"
check "A stores a session on MC1" ok "$(call A "op=touch&id=$(sid a)")"
check "A stores a session on MC2" ok "$(call A "op=touch&id=$(sid a)&path=127.0.0.1:$mc2")"
check "B stores a session on MC1" ok "$(call B "op=touch&id=$(sid b)")"
a_state=$(call A "op=state&mc=127.0.0.1:$mc2")
b_state=$(call B "op=state&mc=127.0.0.1:$mc2")
check "A runs as" "$(id -u "$USER_A")" "$(json "$a_state" euid)"
check "B runs as" "$(id -u "$USER_B")" "$(json "$b_state" euid)"
check "A's rsmemcache_stats() lists MC2" true "$(json "$a_state" stats_servers | grep -q "127.0.0.1:$mc2" && echo true || echo false)"
check "B's rsmemcache_stats() lists" "[\"127.0.0.1:$mc1\"]" "$(json "$b_state" stats_servers)"
check "B's php --ri rows naming MC2" 0 "$(json "$b_state" minfo_rows)"

echo "== MC1 hiccups (SIGSTOP); A sets retry_interval=86400 and pays a timeout"
kill -STOP "$mc1_pid"
a_out=$(call A "op=hiccup&id=$(sid a)")
check "A during the hiccup fails" fail "${a_out%%:*}"
sleep 0.5
kill -CONT "$mc1_pid"
wait_ready "tcp://127.0.0.1:$mc1" || { echo "pools: MC1 did not answer after SIGCONT" >&2; rc=1; }
echo "== MC1 is back"
check "B's next request uses MC1" ok "$(call B "op=touch&id=$(sid b)")"
b_state=$(call B "op=state")
check "B sees MC1" "'up'" "$(json "$b_state" "servers/127.0.0.1:$mc1")"
check "B's timeouts" 0 "$(json "$b_state" timeouts)"
check "B's rsmemcache_stats() lists" "[\"127.0.0.1:$mc1\"]" "$(json "$b_state" stats_servers)"
a_state=$(call A "op=state")
check "A's timeouts" 1 "$(json "$a_state" timeouts)"
grep -h 'rsmemcache: server' "$dir/php-A.log" | sed 's/^\[[^]]*\] /pools: A logged: /' || true
if grep -q 'rsmemcache' "$dir/php-B.log"; then
  echo "pools: FAIL B logged:"; sed 's/^/  /' "$dir/php-B.log"; rc=1
fi
# A itself: its own 1 s (the pool's value caps the script's 86400).
a_back=fail
for _ in 1 2 3 4 5 6; do
  sleep 0.5
  out=$(call A "op=touch&id=$(sid a)")
  if [[ $out == ok ]]; then a_back=ok; break; fi
done
check "A uses MC1 again within 3 s" ok "$a_back"
if grep -E 'exited on signal|SIGSEGV|PHP Fatal error' "$dir/fpm.log" "$dir/php-A.log" "$dir/php-B.log"; then
  echo "pools: FAIL: a worker crashed (lines above)"; rc=1
fi

if ((rc == 0)); then echo "pools: PASS"; else echo "pools: FAIL"; fi
exit "$rc"
