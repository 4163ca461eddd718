# shellcheck shell=bash
# A private web farm on loopback, for end-to-end tests and the demo
# (sourced, not run):
#
#   N memcached daemons (127.0.0.1, TCP ports)
#   two PHP web servers, "A" and "B", each its own static pool of workers
#     with the built extension loaded and session.save_handler = rsmemcache:
#     php-fpm masters (FARM_WEB=fpm, the default) or Apache httpd with the
#     prefork MPM and mod_php (FARM_WEB=apache)
#   one nginx balancing round robin over both (FPM sockets, or a reverse
#     proxy to both Apaches' loopback ports) on a loopback port
#
# Everything lives in one temporary directory (configs, pid files, unix
# sockets, logs, nginx temp paths), is started as a child of the calling
# shell, is stopped by PID (farm_stop) and the directory is removed. No
# system service, system config or system port is used or touched.
#
# It is a separate file from scripts/lib.sh because it keeps state (the PIDs
# and paths of one farm, in FARM_* variables) and is only needed by the
# scripts that run a farm; lib.sh stays the small stateless helpers that
# run-tests.sh and bench.sh share. farm.sh sources lib.sh (stop_pids,
# port_in_use, wait_ready).
#
# Usage:
#   source scripts/farm.sh
#   FARM_MC_PORTS=(27201 27202 27203)    # memcached ports (required)
#   FARM_HTTP_PORT=27280                  # nginx port (required)
#   FARM_APP_DIR=$PWD/tests/e2e/app       # document root (required)
#   FARM_INI=(rsmemcache.timeout=1000)    # extra php.ini settings for both pools
#   trap farm_stop EXIT                   # the caller owns the trap
#   farm_start || exit 1                  # returns 1 (and cleans up) on failure
#   ... http://127.0.0.1:$FARM_HTTP_PORT/<script>.php   (round robin A/B)
#   ... http://127.0.0.1:$FARM_HTTP_PORT/_node/A/<script>.php (only A; B alike)
#   farm_check_logs || echo "a worker crashed"
#   farm_stop
#
# Input variables (all but the first three optional):
#   FARM_MC_PORTS       array of memcached TCP ports on 127.0.0.1
#   FARM_HTTP_PORT      nginx's port on 127.0.0.1
#   FARM_APP_DIR        absolute path of the PHP app (document root)
#   FARM_WEB            fpm (default) or apache: which web servers A and B are
#   FARM_APACHE_PORTS   with FARM_WEB=apache: the two Apaches' ports on
#                       127.0.0.1 (default FARM_HTTP_PORT+2 and +4)
#   FARM_SO             the extension (default: <repo>/build/rsmemcache.so), or
#                       "system": PHP's own configuration loads it (see below)
#   FARM_WORKERS        workers per web server, a static pool (default 8):
#                       pm = static, or prefork's Start/Min/MaxSpareServers
#   FARM_INI            array of name=value set in both pools (php_admin_value)
#   FARM_MAX_REQUESTS   pm.max_requests (Apache: MaxConnectionsPerChild, one
#                       request per connection): a worker exits after this many
#                       requests and a new one is started (default 0: never)
#   FARM_SAVE_HANDLER   session.save_handler (default rsmemcache)
#   FARM_EXTENSIONS     array of other extensions both masters load (-d
#                       extension=NAME, in this order, after the one of FARM_SO;
#                       e.g. (igbinary msgpack memcached) for php-memcached)
#   FARM_SAVE_PATH      session.save_path (default: the memcached list)
#   PHP_FPM, NGINX, MEMCACHED, PHP, APACHE   binaries (default: found on PATH
#                       or /usr/sbin; APACHE: apache2 or httpd)
#   APACHE_MODULES      Apache's module directory (/usr/lib/apache2/modules)
#   APACHE_MOD_PHP      mod_php (default APACHE_MODULES/libphp<PHP's x.y>.so)
#   FARM_KEEP_DIR=1     farm_stop leaves FARM_DIR (logs, configs) in place
#   TMPDIR              where the farm's directory is created (default /tmp)
# Output variables (set by farm_start):
#   FARM_DIR            the farm's directory (removed by farm_stop)
#   FARM_MC_PIDS        memcached PIDs, in FARM_MC_PORTS order
#   FARM_FPM_PIDS       the two web servers' master PIDs (A, B): php-fpm
#                       masters or Apache parents (whose children are the workers)
#   FARM_NGINX_PID      nginx master's PID
#   FARM_SAVE_PATH      session.save_path used
#   FARM_FPM_LOGS       the web servers' error logs and PHP error logs (A, B)
#   FARM_WEB_NAME       "php-fpm" or "Apache", for messages
#
# Faults, for tests (each waits until the change took effect, or fails):
#   farm_mc_kill I      SIGKILL to memcached I (index into FARM_MC_PORTS), reaped
#   farm_mc_restart I   starts memcached I again, empty, on its port
#   farm_web_reload I   graceful reload of web server I (0 = A, 1 = B): USR2
#                       to the FPM master, USR1 to the Apache parent (a graceful
#                       restart: it also unloads and reloads mod_php and the
#                       extension in the parent); returns when the master runs
#                       a full set of new workers
#
# Each FPM master runs `php-fpm -n` (no system php.ini or conf.d: only what
# is set here counts), loads the extension with `-d extension=<full path>`,
# and gets the session settings through php_admin_value in its pool. With
# FARM_SO=system it runs without -n and without an extension line: php-fpm
# reads its own php.ini and conf.d scan directory, as an installed server
# does, so the extension loads only if that configuration enables it (e.g.
# the conf.d link the Debian package's phpenmod made; scripts/deb-test.sh).
# The pool's php_admin_value settings still override php.ini's, and the
# system's pool.d is not read (-y names the farm's own config). Workers'
# PHP errors go to php-<node>.log; the masters log to fpm-<node>.log (worker
# crashes appear there as "exited on signal").
#
# Each Apache (FARM_WEB=apache) runs `apache2 -f <its own config>
# -DNO_DETACH` as a child of the calling shell (stopped by PID, never
# apachectl or the system service; as root its workers run as nobody):
# NO_DETACH keeps the parent's PID (no fork) but makes it a session and
# process group leader, which matters because prefork ends its children at
# shutdown with a SIGTERM to its whole process group (with -DFOREGROUND that
# group is the caller's, and the caller's script would get it too). It has
# its own ServerRoot, pid file, error log and runtime directory under
# FARM_DIR, only the modules its config loads (prefork, authz_core, alias,
# env, mod_php), KeepAlive off, and PHP reading only the php.ini written for
# it (PHPINIDir, PHP_INI_SCAN_DIR empty: no conf.d), which loads the
# extension; the session settings are php_admin_value lines, the node name
# is SetEnv FARM_NODE. With FARM_SO=system the system php.ini and conf.d of
# mod_php count instead, as for php-fpm. Workers' PHP errors go to
# php-<node>.log, Apache's own errors (a worker crash: "exit signal") to
# apache-<node>.log, and every request's worker PID to apache-<node>-pids.log
# (farm_workers_ended).

# The settings of the e2e fault tests' farms (tests/e2e/): sessions by
# cookie only, two copies of each, failover on, 1 s timeouts, locking on.
# shellcheck disable=SC2034 # used by the scripts that source this file
FARM_FAULT_TEST_INI=(
  session.use_strict_mode=1
  session.use_cookies=1
  session.use_only_cookies=1
  session.lazy_write=1
  session.gc_maxlifetime=1440
  rsmemcache.session_redundancy=2
  rsmemcache.allow_failover=1
  rsmemcache.timeout=1000
  rsmemcache.connect_timeout=1000
  rsmemcache.locking=1
)

_FARM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib.sh
source "$_FARM_ROOT/scripts/lib.sh"

FARM_DIR=""
FARM_MC_PIDS=()
FARM_FPM_PIDS=()
FARM_NGINX_PID=""
FARM_FPM_LOGS=()
FARM_WEB=${FARM_WEB:-fpm}
FARM_APACHE_PORTS=()
FARM_WEB_NAME=""
_FARM_MC_BIN=""
_FARM_APACHE_BIN=""
_FARM_APACHE_MODULES=""
_FARM_APACHE_MOD_PHP=""

_farm_log() { printf 'farm: %s\n' "$*"; }
_farm_err() { printf 'farm: %s\n' "$*" >&2; }

# Prints the first executable among: command -v NAME..., /usr/sbin/NAME...
_farm_find() {
  local n
  for n in "$@"; do
    command -v "$n" 2>/dev/null && return 0
    [[ -x /usr/sbin/$n ]] && { echo "/usr/sbin/$n"; return 0; }
  done
  return 1
}

# The PIDs whose parent is $1 (a /proc scan: no procps needed).
farm_children_of() {
  local f stat rest
  for f in /proc/[0-9]*/stat; do
    { read -r stat <"$f"; } 2>/dev/null || continue # not $(<): see pid_alive in lib.sh
    rest=${stat##*) }
    rest=${rest#* }
    [[ ${rest%% *} == "$1" ]] && { f=${f#/proc/}; printf '%s\n' "${f%/stat}"; }
  done
  return 0
}

# Polls "$@" (a command) every 50 ms until it succeeds; $1 = seconds, $2 =
# what. Gives up at once when the command returns 2 (e.g. the process died).
_farm_poll() {
  local secs=$1 what=$2 i rc
  shift 2
  for ((i = 0; i < secs * 20; i++)); do
    rc=0
    "$@" || rc=$?
    ((rc == 0)) && return 0
    ((rc == 2)) && return 1
    sleep 0.05
  done
  _farm_err "timed out after $secs s waiting for $what"
  return 1
}

_farm_http_ok() {
  curl -sf --noproxy '*' --max-time 2 -o /dev/null "http://127.0.0.1:$FARM_HTTP_PORT$1"
}

_farm_fpm_conf() {
  local node=$1
  cat <<EOF
; php-fpm master "$node" of a private rsmemcache farm (scripts/farm.sh)
[global]
pid = $FARM_DIR/fpm-$node.pid
error_log = $FARM_DIR/fpm-$node.log
log_level = notice
daemonize = no
process_control_timeout = 5

[$node]
listen = $FARM_DIR/fpm-$node.sock
listen.mode = 0666
pm = static
pm.max_children = ${FARM_WORKERS:-8}
pm.max_requests = ${FARM_MAX_REQUESTS:-0}
ping.path = /_farm_ping
ping.response = $node
catch_workers_output = yes
decorate_workers_output = no
clear_env = yes
env[FARM_NODE] = $node
php_admin_value[error_log] = $FARM_DIR/php-$node.log
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
php_admin_value[error_reporting] = E_ALL
php_admin_value[session.save_handler] = ${FARM_SAVE_HANDLER:-rsmemcache}
php_admin_value[session.save_path] = "$FARM_SAVE_PATH"
EOF
  _farm_ini_lines 'php_admin_value[%s] = "%s"\n'
}

# Prints each FARM_INI name=value with the printf format $1 (name, value).
_farm_ini_lines() {
  local kv
  for kv in "${FARM_INI[@]}"; do
    # shellcheck disable=SC2059 # the format is the argument
    printf "$1" "${kv%%=*}" "${kv#*=}"
  done
}

_farm_fastcgi_params() {
  cat <<'EOF'
        fastcgi_param QUERY_STRING      $query_string;
        fastcgi_param REQUEST_METHOD    $request_method;
        fastcgi_param CONTENT_TYPE      $content_type;
        fastcgi_param CONTENT_LENGTH    $content_length;
        fastcgi_param REQUEST_URI       $request_uri;
        fastcgi_param DOCUMENT_URI      $document_uri;
        fastcgi_param DOCUMENT_ROOT     $document_root;
        fastcgi_param SERVER_PROTOCOL   $server_protocol;
        fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        fastcgi_param SERVER_SOFTWARE   nginx;
        fastcgi_param REMOTE_ADDR       $remote_addr;
        fastcgi_param REMOTE_PORT       $remote_port;
        fastcgi_param SERVER_ADDR       $server_addr;
        fastcgi_param SERVER_PORT       $server_port;
        fastcgi_param SERVER_NAME       $server_name;
        fastcgi_next_upstream off;
        fastcgi_read_timeout 120s;
EOF
}

# The start of a private nginx's config, up to and including "http {" and
# its log and temp paths, everything under directory $1 (pid, logs; temp
# paths in $1/nginx). Also used by tests/e2e/pools.sh.
_farm_nginx_head() {
  local d=$1
  # As root, nginx would switch its workers to "nobody" (whose group does not
  # exist on Debian); keep them root, like the FPM workers (-R).
  [[ $(id -u) == 0 ]] && echo 'user root;'
  cat <<EOF
# nginx of a private rsmemcache farm (scripts/farm.sh)
daemon off;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/nginx-error.log notice;
events { worker_connections 1024; }
http {
    access_log $d/nginx-access.log;
    client_body_temp_path $d/nginx/client_body;
    proxy_temp_path $d/nginx/proxy;
    fastcgi_temp_path $d/nginx/fastcgi;
    uwsgi_temp_path $d/nginx/uwsgi;
    scgi_temp_path $d/nginx/scgi;
EOF
}

_farm_nginx_conf() {
  _farm_nginx_head "$FARM_DIR"
  if [[ $FARM_WEB == apache ]]; then
    _farm_nginx_apache
  else
    _farm_nginx_fpm
  fi
  printf '    }\n}\n'
}

# The server block's start: port, document root, nginx's own status page.
_farm_nginx_server() {
  cat <<EOF
    server {
        listen 127.0.0.1:$FARM_HTTP_PORT;
        root $FARM_APP_DIR;
        location = /_farm_status { return 200 "ok\n"; }
EOF
}

# Upstream and locations for php-fpm A and B (FastCGI on their sockets).
_farm_nginx_fpm() {
  local node
  cat <<EOF
    upstream farm_fpm {
        server unix:$FARM_DIR/fpm-A.sock;
        server unix:$FARM_DIR/fpm-B.sock;
    }
EOF
  _farm_nginx_server
  # Regex locations are tried in order: the per-node ones come first.
  for node in A B; do
    cat <<EOF
        location = /_node/$node/_farm_ping {
            fastcgi_pass unix:$FARM_DIR/fpm-$node.sock;
            fastcgi_param SCRIPT_NAME /_farm_ping;
            fastcgi_param SCRIPT_FILENAME /_farm_ping;
$(_farm_fastcgi_params)
        }
        location ~ ^/_node/$node(/.+\.php)\$ {
            fastcgi_pass unix:$FARM_DIR/fpm-$node.sock;
            fastcgi_param SCRIPT_NAME \$1;
            fastcgi_param SCRIPT_FILENAME \$document_root\$1;
$(_farm_fastcgi_params)
        }
EOF
  done
  cat <<EOF
        location ~ \.php\$ {
            fastcgi_pass farm_fpm;
            fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
$(_farm_fastcgi_params)
        }
EOF
}

# Upstream and locations for Apache A and B (HTTP on their loopback ports):
# /_node/A/... goes to A only (the prefix is cut), everything else round robin.
_farm_nginx_apache() {
  local i nodes=(A B) params
  params='proxy_set_header Host $http_host;
            proxy_next_upstream off;
            proxy_read_timeout 120s;'
  cat <<EOF
    upstream farm_apache {
        server 127.0.0.1:${FARM_APACHE_PORTS[0]};
        server 127.0.0.1:${FARM_APACHE_PORTS[1]};
    }
EOF
  _farm_nginx_server
  for i in 0 1; do
    cat <<EOF
        location ^~ /_node/${nodes[$i]}/ {
            proxy_pass http://127.0.0.1:${FARM_APACHE_PORTS[$i]}/;
            $params
        }
EOF
  done
  cat <<EOF
        location / {
            proxy_pass http://farm_apache;
            $params
        }
EOF
}

# The Apache config of node $1 listening on 127.0.0.1:$2 (see the header).
# $3: "system" when PHP's own php.ini and conf.d load the extension.
_farm_apache_conf() {
  local node=$1 port=$2 system=$3 w=${FARM_WORKERS:-8}
  cat <<EOF
# Apache "$node" of a private rsmemcache farm (scripts/farm.sh)
ServerRoot "$FARM_DIR"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$FARM_DIR/apache-$node.pid"
DefaultRuntimeDir "$FARM_DIR/apache-$node"
ErrorLog "$FARM_DIR/apache-$node.log"
LogLevel notice
LoadModule mpm_prefork_module "$_FARM_APACHE_MODULES/mod_mpm_prefork.so"
LoadModule authz_core_module "$_FARM_APACHE_MODULES/mod_authz_core.so"
LoadModule alias_module "$_FARM_APACHE_MODULES/mod_alias.so"
LoadModule env_module "$_FARM_APACHE_MODULES/mod_env.so"
<IfModule !log_config_module>
    LoadModule log_config_module "$_FARM_APACHE_MODULES/mod_log_config.so"
</IfModule>
LoadModule php_module "$_FARM_APACHE_MOD_PHP"
StartServers $w
MinSpareServers $w
MaxSpareServers $w
ServerLimit $w
MaxRequestWorkers $w
MaxConnectionsPerChild ${FARM_MAX_REQUESTS:-0}
KeepAlive Off
Timeout 120
LogFormat "%P" farm_pid
CustomLog "$FARM_DIR/apache-$node-pids.log" farm_pid
DocumentRoot "$FARM_APP_DIR"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$FARM_APP_DIR">
    Require all granted
</Directory>
Alias /_farm_ping "$FARM_DIR/ping.php"
<Location /_farm_ping>
    Require all granted
</Location>
<FilesMatch "\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
SetEnv FARM_NODE $node
php_admin_value error_log "$FARM_DIR/php-$node.log"
php_admin_flag log_errors on
php_admin_flag display_errors off
php_admin_value error_reporting -1
php_admin_value session.save_handler ${FARM_SAVE_HANDLER:-rsmemcache}
php_admin_value session.save_path "$FARM_SAVE_PATH"
EOF
  # As root, the workers run as nobody (Apache refuses to serve as root).
  [[ $(id -u) == 0 ]] && printf 'User nobody\nGroup "#%s"\n' "$(id -g nobody)"
  [[ $system == system ]] || printf 'PHPINIDir "%s"\n' "$FARM_DIR/php-$node"
  _farm_ini_lines 'php_admin_value %s "%s"\n'
}

# Finds apache2 (or httpd), its prefork MPM and the mod_php of PHP_VER; sets
# _FARM_APACHE_BIN, _FARM_APACHE_MODULES, _FARM_APACHE_MOD_PHP.
_farm_apache_find() {
  _FARM_APACHE_BIN=${APACHE:-$(_farm_find apache2 httpd)} || { _farm_err "apache2 not found (apt-get install apache2)"; return 1; }
  _FARM_APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}
  [[ -f $_FARM_APACHE_MODULES/mod_mpm_prefork.so ]] || { _farm_err "no prefork MPM in $_FARM_APACHE_MODULES (set APACHE_MODULES)"; return 1; }
  _FARM_APACHE_MOD_PHP=${APACHE_MOD_PHP:-$_FARM_APACHE_MODULES/libphp$PHP_VER.so}
  [[ -f $_FARM_APACHE_MOD_PHP ]] || { _farm_err "no mod_php for PHP $PHP_VER: $_FARM_APACHE_MOD_PHP (apt-get install libapache2-mod-php$PHP_VER, or set APACHE_MOD_PHP)"; return 1; }
}

# Starts Apache node $1 on port $2 in the background ($! is its parent's PID).
# $3: the extension's path, or "system".
_farm_apache_spawn() {
  local node=$1 port=$2 so=$3 ext scan=()
  mkdir -p "$FARM_DIR/apache-$node" "$FARM_DIR/php-$node"
  if [[ $so != system ]]; then
    {
      echo "; php.ini of Apache $node's mod_php (scripts/farm.sh): only this file counts"
      echo "extension=$so"
      for ext in "${FARM_EXTENSIONS[@]}"; do echo "extension=$ext"; done
    } >"$FARM_DIR/php-$node/php.ini"
    scan=(PHP_INI_SCAN_DIR=)   # set and empty: mod_php reads no conf.d
  fi
  : >"$FARM_DIR/php-$node.log"
  [[ $(id -u) == 0 ]] && chown nobody "$FARM_DIR/php-$node.log"
  _farm_apache_conf "$node" "$port" "$so" >"$FARM_DIR/apache-$node.conf"
  env "${scan[@]}" "$_FARM_APACHE_BIN" -f "$FARM_DIR/apache-$node.conf" -DNO_DETACH \
    </dev/null >"$FARM_DIR/apache-$node.out" 2>&1 &
}

# True when Apache parent $1 (node $2, port $3) runs, has its workers and
# answers its ping (mod_php runs, FARM_NODE is set).
_farm_apache_ready() {
  pid_alive "$1" || { _farm_err "Apache $2 (pid $1) exited"; return 2; }
  (($(farm_children_of "$1" | wc -l) >= ${FARM_WORKERS:-8})) || return 1
  [[ $(curl -sf --noproxy '*' --max-time 2 "http://127.0.0.1:$3/_farm_ping" 2>/dev/null) == "$2" ]]
}

# Starts the farm. Returns 0 when memcached answers, both FPM masters run
# all their workers and answer their ping through nginx; otherwise stops
# whatever it started, prints why, and returns 1.
farm_start() {
  local port pid node so fpm nginx i root_args=() ext_args=() n ext
  if ((${#FARM_MC_PORTS[@]} == 0)) || [[ -z ${FARM_HTTP_PORT:-} || -z ${FARM_APP_DIR:-} ]]; then
    _farm_err "FARM_MC_PORTS, FARM_HTTP_PORT and FARM_APP_DIR must be set"
    return 1
  fi
  [[ -d $FARM_APP_DIR && $FARM_APP_DIR == /* ]] || { _farm_err "FARM_APP_DIR must be an absolute directory: $FARM_APP_DIR"; return 1; }
  so=${FARM_SO:-$_FARM_ROOT/build/rsmemcache.so}
  local fpm_ini=()
  if [[ $so != system ]]; then
    [[ $so == /* ]] || so=$PWD/$so
    [[ -f $so ]] || { _farm_err "no extension at $so (run make build)"; return 1; }
    fpm_ini=(-n -d "extension=$so")
  fi
  FARM_WEB=${FARM_WEB:-fpm}
  if [[ $FARM_WEB == apache ]]; then
    FARM_WEB_NAME=Apache
    php_resolve   # PHP_VER: which mod_php
    _farm_apache_find || return 1
    ((${#FARM_APACHE_PORTS[@]} == 2)) || FARM_APACHE_PORTS=("$((FARM_HTTP_PORT + 2))" "$((FARM_HTTP_PORT + 4))")
  elif [[ $FARM_WEB == fpm ]]; then
    FARM_WEB_NAME=php-fpm
    [[ -n ${PHP:-} ]] || php_resolve
    fpm=${PHP_FPM:-$(php_fpm_for "${PHP:-php}" || _farm_find php-fpm)} || { _farm_err "php-fpm not found for ${PHP:-php} (apt-get install php<version>-fpm, or set PHP_FPM)"; return 1; }
    FARM_APACHE_PORTS=()
  else
    _farm_err "FARM_WEB must be fpm or apache, not '$FARM_WEB'"
    return 1
  fi
  nginx=${NGINX:-$(_farm_find nginx)} || { _farm_err "nginx not found (apt-get install nginx)"; return 1; }
  _FARM_MC_BIN=${MEMCACHED:-$(_farm_find memcached)} || { _farm_err "memcached not found"; return 1; }
  [[ -n ${PHP:-} ]] || { _farm_err "php not found"; return 1; }
  command -v curl >/dev/null || { _farm_err "curl not found"; return 1; }

  for port in "${FARM_MC_PORTS[@]}" "$FARM_HTTP_PORT" "${FARM_APACHE_PORTS[@]}"; do
    if port_in_use "$port"; then
      _farm_err "port $port on 127.0.0.1 is already in use"
      return 1
    fi
  done

  FARM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-farm.XXXXXX") || return 1
  mkdir -p "$FARM_DIR/nginx"

  # memcached
  FARM_MC_PIDS=()
  local targets=() sp=""
  for port in "${FARM_MC_PORTS[@]}"; do
    _farm_mc_spawn "$port"
    FARM_MC_PIDS+=("$!")
    targets+=("tcp://127.0.0.1:$port")
    sp+="${sp:+,}127.0.0.1:$port"
  done
  FARM_SAVE_PATH=${FARM_SAVE_PATH:-$sp}
  if ! wait_ready "${targets[@]}"; then
    _farm_err "memcached did not come up: $(cat "$FARM_DIR"/memcached-*.log)"
    _farm_port_holders "${FARM_MC_PORTS[@]}"
    farm_stop
    return 1
  fi
  for pid in "${FARM_MC_PIDS[@]}"; do
    pid_alive "$pid" || { _farm_err "memcached pid $pid exited at start-up"; farm_stop; return 1; }
  done
  _farm_log "memcached up: $FARM_SAVE_PATH (pids ${FARM_MC_PIDS[*]})"

  # php-fpm or Apache A and B
  [[ $(id -u) == 0 ]] && root_args=(-R)
  for ext in "${FARM_EXTENSIONS[@]}"; do ext_args+=(-d "extension=$ext"); done
  FARM_FPM_PIDS=()
  FARM_FPM_LOGS=()
  if [[ $FARM_WEB == apache ]]; then
    # As root the workers run as nobody: they read ping.php and write their
    # PHP error log here.
    chmod 755 "$FARM_DIR"
    printf '<?php echo getenv("FARM_NODE");\n' >"$FARM_DIR/ping.php"
  fi
  for node in A B; do
    if [[ $FARM_WEB == apache ]]; then
      i=$([[ $node == A ]] && echo 0 || echo 1)
      _farm_apache_spawn "$node" "${FARM_APACHE_PORTS[$i]}" "$so"
      FARM_FPM_PIDS+=("$!")
      FARM_FPM_LOGS+=("$FARM_DIR/apache-$node.log" "$FARM_DIR/php-$node.log")
      continue
    fi
    _farm_fpm_conf "$node" >"$FARM_DIR/fpm-$node.conf"
    "$fpm" "${fpm_ini[@]}" "${ext_args[@]}" -y "$FARM_DIR/fpm-$node.conf" -p "$FARM_DIR" -F "${root_args[@]}" \
      </dev/null >"$FARM_DIR/fpm-$node.out" 2>&1 &
    FARM_FPM_PIDS+=("$!")
    FARM_FPM_LOGS+=("$FARM_DIR/fpm-$node.log" "$FARM_DIR/php-$node.log")
  done

  # nginx
  _farm_nginx_conf >"$FARM_DIR/nginx.conf"
  "$nginx" -p "$FARM_DIR/nginx/" -c "$FARM_DIR/nginx.conf" -e "$FARM_DIR/nginx-error.log" \
    </dev/null >"$FARM_DIR/nginx.out" 2>&1 &
  FARM_NGINX_PID=$!

  local nodes=(A B)
  for i in 0 1; do
    node=${nodes[$i]}
    pid=${FARM_FPM_PIDS[$i]}
    if [[ $FARM_WEB == apache ]]; then
      if ! _farm_poll 15 "Apache $node to be ready" _farm_apache_ready "$pid" "$node" "${FARM_APACHE_PORTS[$i]}"; then
        _farm_err "Apache $node: $(cat "$FARM_DIR/apache-$node.out" "$FARM_DIR/apache-$node.log" "$FARM_DIR/php-$node.log" 2>/dev/null)"
        farm_stop
        return 1
      fi
    elif ! _farm_poll 15 "php-fpm $node to be ready" _farm_fpm_ready "$pid" "$node"; then
      _farm_err "php-fpm $node: $(cat "$FARM_DIR/fpm-$node.out" "$FARM_DIR/fpm-$node.log" 2>/dev/null)"
      farm_stop
      return 1
    fi
  done
  if ! _farm_poll 15 "nginx on 127.0.0.1:$FARM_HTTP_PORT" _farm_nginx_ready; then
    _farm_err "nginx: $(cat "$FARM_DIR/nginx.out" "$FARM_DIR/nginx-error.log" 2>/dev/null)"
    _farm_port_holders "$FARM_HTTP_PORT"
    farm_stop
    return 1
  fi
  for node in A B; do
    n=$(curl -sS --noproxy '*' --max-time 2 "http://127.0.0.1:$FARM_HTTP_PORT/_node/$node/_farm_ping" 2>&1) || n="(no answer) $n"
    if [[ $n != "$node" ]]; then
      _farm_err "$FARM_WEB_NAME $node does not answer its ping through nginx: $n"
      farm_stop
      return 1
    fi
  done
  _farm_log "$FARM_WEB_NAME A (pid ${FARM_FPM_PIDS[0]}) and B (pid ${FARM_FPM_PIDS[1]})${FARM_APACHE_PORTS[0]:+ on ports ${FARM_APACHE_PORTS[*]}}, ${FARM_WORKERS:-8} workers each; nginx (pid $FARM_NGINX_PID) on http://127.0.0.1:$FARM_HTTP_PORT/ ; dir $FARM_DIR"
  return 0
}

# After a failed bind: the sockets using any of the ports "$@" on this
# machine (a port inside the ephemeral range, 32768-60999 on Linux, can be
# the local port of some client's connection; listening sockets are caught
# by port_in_use before the start).
_farm_port_holders() {
  local p
  command -v ss >/dev/null || return 0
  for p in "$@"; do
    ss -tanp "( sport = :$p )" 2>/dev/null | tail -n +2 | head -n 5 | sed "s|^|farm: port $p: |" >&2
  done
}

# Starts memcached on 127.0.0.1:$1 in the background ($! is its PID) and
# writes its pid file.
_farm_mc_spawn() {
  local mc_args=()
  [[ $(id -u) == 0 ]] && mc_args=(-u nobody)
  "$_FARM_MC_BIN" -U 0 -l 127.0.0.1 -p "$1" -m 64 -c 1024 "${mc_args[@]}" \
    </dev/null >>"$FARM_DIR/memcached-$1.log" 2>&1 &
  echo "$!" >"$FARM_DIR/memcached-$1.pid"
}

# SIGKILL to memcached $1 (index into FARM_MC_PORTS); reaps it.
farm_mc_kill() {
  local pid=${FARM_MC_PIDS[$1]}
  kill -9 "$pid" 2>/dev/null || { _farm_err "memcached pid $pid was not running"; return 1; }
  wait "$pid" 2>/dev/null || true
  pid_alive "$pid" && { _farm_err "memcached pid $pid survived SIGKILL"; return 1; }
  return 0
}

# Starts memcached $1 (index into FARM_MC_PORTS) again, empty, on its port;
# returns when it answers.
farm_mc_restart() {
  local port=${FARM_MC_PORTS[$1]}
  pid_alive "${FARM_MC_PIDS[$1]}" && { _farm_err "memcached on port $port still runs"; return 1; }
  _farm_mc_spawn "$port"
  FARM_MC_PIDS[$1]=$!
  wait_ready "tcp://127.0.0.1:$port" || { _farm_err "memcached on port $port did not come back"; return 1; }
  pid_alive "${FARM_MC_PIDS[$1]}" || { _farm_err "memcached on port $port exited at start-up"; return 1; }
}

# Graceful reload of web server $1 (0 = A, 1 = B), same PID: USR2 to the
# FPM master (the workers finish their request and exit, the master
# re-executes itself and starts new workers), or USR1 to the Apache parent
# (a graceful restart: the children finish their request and exit, the
# parent re-reads its config, unloads and reloads its modules, mod_php and
# the extension included, and forks new children). Returns when the master
# runs FARM_WORKERS workers none of which existed before, or 1 after 20 s.
farm_web_reload() {
  local pid=${FARM_FPM_PIDS[$1]} nodes=(A B) old sig=USR2
  [[ $FARM_WEB == apache ]] && sig=USR1
  old=" $(farm_children_of "$pid" | paste -sd ' ') "
  kill "-$sig" "$pid" || return 1
  _farm_poll 20 "$FARM_WEB_NAME ${nodes[$1]} to reload" _farm_web_reloaded "$pid" "${nodes[$1]}" "$old" "${FARM_APACHE_PORTS[$1]:-}"
}

_farm_web_reloaded() {
  local w n=0
  if [[ $FARM_WEB == apache ]]; then
    _farm_apache_ready "$1" "$2" "$4" || return $?
  else
    _farm_fpm_ready "$1" "$2" || return $?
  fi
  for w in $(farm_children_of "$1"); do
    [[ $3 == *" $w "* ]] && return 1
    n=$((n + 1))
  done
  ((n >= ${FARM_WORKERS:-8}))
}

# True when FPM master $1 (node $2) runs, has all its workers and its socket.
_farm_fpm_ready() {
  pid_alive "$1" || { _farm_err "php-fpm $2 (pid $1) exited"; return 2; }
  [[ -S $FARM_DIR/fpm-$2.sock ]] || return 1
  (($(farm_children_of "$1" | wc -l) >= ${FARM_WORKERS:-8}))
}

_farm_nginx_ready() {
  pid_alive "$FARM_NGINX_PID" || { _farm_err "nginx (pid $FARM_NGINX_PID) exited"; return 2; }
  _farm_http_ok /_farm_status
}

# The worker PIDs of both FPM masters, one per line.
farm_workers() {
  local pid
  for pid in "${FARM_FPM_PIDS[@]}"; do farm_children_of "$pid"; done
}

# The crash lines among the FPM, Apache and PHP error log lines on stdin: a
# worker killed by a signal other than SIGQUIT (the master's graceful stop,
# at a reload), one that exited with a non-zero code (a worker recycled after
# pm.max_requests exits with code 0), a core dump, a PHP fatal error; Apache
# logs a child killed by a signal other than its own stop and restart
# signals as "child pid N exit signal ...", a crash of the parent as "seg
# fault or similar nasty error".
farm_crash_lines() {
  grep -E 'exited on signal|exit signal|seg fault|SIGSEGV|SIGBUS|SIGABRT|exited with code [1-9]|PHP Fatal error|core dumped' |
    grep -v -E 'exited on signal 3 \(SIGQUIT\)' || true
}

# The rsmemcache lines among the log lines on stdin that name a session by
# more than the first 6 characters of its id (a session id is a credential:
# messages show "session abcdef..." at most).
farm_id_leak_lines() {
  grep -E "rsmemcache: .*session (id ')?[A-Za-z0-9,-]{7}" || true
}

# How many workers have ended normally so far: php-fpm's "exited with code 0"
# lines (a worker recycled after pm.max_requests); with Apache, which logs no
# normal exit, the worker PIDs its access logs name (%P) that no longer run
# (recycled after MaxConnectionsPerChild, or replaced at a graceful restart).
farm_workers_ended() {
  local alive pid n=0
  if [[ $FARM_WEB == apache ]]; then
    alive=" $(farm_workers | paste -sd ' ') "
    for pid in $(sort -u "$FARM_DIR"/apache-*-pids.log 2>/dev/null); do
      [[ $alive == *" $pid "* ]] || n=$((n + 1))
    done
    echo "$n"
  else
    cat "${FARM_FPM_LOGS[@]}" 2>/dev/null | grep -c 'exited with code 0' || true
  fi
}

# Prints worker crashes, PHP fatal errors and rsmemcache lines holding more
# of a session id than its first 6 characters found in the web servers' and
# PHP's error logs; returns 1 if there is one.
farm_check_logs() {
  local f bad=0 lines
  for f in "${FARM_FPM_LOGS[@]}"; do
    [[ -f $f ]] || continue
    lines=$(farm_crash_lines <"$f")
    if [[ -n $lines ]]; then
      printf '%s\n' "$lines" >&2
      _farm_err "crash or fatal error in ${f##*/} (lines above)"
      bad=1
    fi
    lines=$(farm_id_leak_lines <"$f")
    if [[ -n $lines ]]; then
      printf '%s\n' "$lines" | head -5 >&2
      _farm_err "a session id longer than 6 characters in ${f##*/} (lines above)"
      bad=1
    fi
  done
  return "$bad"
}

# Stops everything farm_start started, by PID: nginx, the FPM masters (and
# any worker left behind by a master that had to be killed), memcached
# (SIGCONT first, in case a test stopped one); removes FARM_DIR. Safe to call
# twice and from a trap.
farm_stop() {
  local -
  set +e
  local workers=() w pid comm
  for pid in "${FARM_FPM_PIDS[@]}"; do
    mapfile -t -O "${#workers[@]}" workers < <(farm_children_of "$pid")
  done
  [[ -n $FARM_NGINX_PID ]] && stop_pids "$FARM_NGINX_PID"
  ((${#FARM_FPM_PIDS[@]})) && stop_pids "${FARM_FPM_PIDS[@]}"
  for w in "${workers[@]}"; do
    # A worker survives only if its master was SIGKILLed; make sure the PID
    # is still an FPM or Apache process before signalling it.
    { read -r comm <"/proc/$w/comm"; } 2>/dev/null || continue
    if [[ $comm == php-fpm* || $comm == apache2 || $comm == httpd ]]; then kill -9 "$w" 2>/dev/null; fi
  done
  for pid in "${FARM_MC_PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
  ((${#FARM_MC_PIDS[@]})) && stop_pids "${FARM_MC_PIDS[@]}"
  FARM_NGINX_PID=""
  FARM_FPM_PIDS=()
  FARM_MC_PIDS=()
  if [[ -n $FARM_DIR && -d $FARM_DIR ]]; then
    if [[ ${FARM_KEEP_DIR:-0} == 1 ]]; then
      _farm_log "kept $FARM_DIR (FARM_KEEP_DIR=1)"
    else
      rm -rf -- "$FARM_DIR"
    fi
  fi
  FARM_DIR=""
  return 0
}
