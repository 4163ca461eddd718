# Shell helpers shared by scripts/run-tests.sh, scripts/bench.sh and
# scripts/farm.sh (sourced, not run). wait_ready needs $PHP set by the caller.

# True while process $1 exists and is not a zombie.
pid_alive() {
  local stat
  # read, not $(<file): under set -e, bash 5.2 exits when $(<file) cannot
  # open the file, even on the left of ||.
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Stops the given PIDs: SIGTERM to all, a bounded wait (5 s) for each, SIGKILL
# for a straggler, then reaps it.
stop_pids() {
  local pid i
  for pid in "$@"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "$@"; do
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# True if something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp).
port_in_use() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Polls until every target (tcp://host:port or unix:///path) answers
# "version\r\n" with "VERSION ..." (memcached, directly or through a proxy);
# bounded by a 15 second deadline.
wait_ready() {
  "$PHP" -n -r '
    $deadline = microtime(true) + 15;
    foreach (array_slice($argv, 1) as $t) {
        for (;;) {
            $s = @stream_socket_client($t, $errno, $errstr, 1);
            if ($s) {
                stream_set_timeout($s, 1);
                fwrite($s, "version\r\n");
                $line = fgets($s);
                fclose($s);
                if (is_string($line) && strncmp($line, "VERSION ", 8) === 0) { break; }
            }
            if (microtime(true) > $deadline) { fwrite(STDERR, "no answer from $t\n"); exit(1); }
            usleep(20000);
        }
    }' -- "$@"
}

# Finds the PHP in use and sets PHP_CONFIG, PHP and PHP_VER (major.minor), in
# this order of precedence: the PHP_CONFIG and PHP environment variables,
# then php-config and php on PATH (Debian's alternatives pick the default
# version). PHP_CONFIG alone gives PHP (its --php-binary) and PHP alone gives
# the php-config next to it (php8.4 -> php-config8.4). Any of them may stay
# empty when no PHP is installed yet (scripts/deps.sh installs one).
php_resolve() {
  local suffix c
  PHP_CONFIG=${PHP_CONFIG:-}
  PHP=${PHP:-}
  if [[ -z $PHP_CONFIG && -n $PHP ]]; then
    suffix=${PHP##*/php}
    for c in "${PHP%/*}/php-config$suffix" "$(command -v "php-config$suffix" 2>/dev/null)"; do
      if [[ -n $c && $c == */php-config* && -x $c ]]; then PHP_CONFIG=$c; break; fi
    done
  fi
  [[ -n $PHP_CONFIG ]] || PHP_CONFIG=$(command -v php-config 2>/dev/null || true)
  if [[ -z $PHP && -n $PHP_CONFIG ]]; then
    PHP=$("$PHP_CONFIG" --php-binary 2>/dev/null || true)
    [[ -x $PHP ]] || PHP=""
  fi
  [[ -n $PHP ]] || PHP=$(command -v php 2>/dev/null || true)
  PHP_VER=""
  if [[ -n $PHP ]]; then
    PHP_VER=$("$PHP" -n -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;' 2>/dev/null || true)
  elif [[ -n $PHP_CONFIG ]]; then
    PHP_VER=$("$PHP_CONFIG" --version 2>/dev/null | cut -d. -f1,2)
  fi
  export PHP_CONFIG PHP
}

# The php-fpm binary that belongs to PHP binary $1 (/usr/bin/php8.4 ->
# /usr/sbin/php-fpm8.4, PREFIX/bin/php -> PREFIX/sbin/php-fpm), or php-fpm on
# PATH; prints nothing and fails when there is none.
php_fpm_for() {
  local php=$1 dir base c
  dir=${php%/*}
  base=${php##*/}
  for c in "${dir%/bin}/sbin/php-fpm${base#php}" "$dir/php-fpm${base#php}" \
           "$(command -v "php-fpm${base#php}" 2>/dev/null)"; do
    if [[ -n $c && -x $c && ! -d $c ]]; then echo "$c"; return 0; fi
  done
  return 1
}

# Starts a private MariaDB (Debian's mariadb-server) for the durable tier:
#   mariadb_private DIR PORT DATABASE [MARIADBD_ARG...]
# bootstraps DIR/data with mariadb-install-db, writes DIR/start.sh (starts
# mariadbd in the background: socket DIR/sock, 127.0.0.1:PORT, pid file
# DIR/pid, never the system service; extra arguments, e.g. --ssl-cert=...,
# are appended), starts it, waits until it answers,
# creates DATABASE with the table of stubs/rsmemcache-durable.sql and a user
# rsm whose random password goes to DIR/credentials (user:password). Stop it
# with: stop_pids "$(cat DIR/pid)". Returns non-zero, saying why on stderr,
# when something fails. Needs mariadbd, mariadb-install-db and mariadb.
mariadb_private() {
  local dir=$1 port=$2 db=$3 mariadbd user secret i extra=""
  shift 3
  (($# == 0)) || extra=$(printf ' %q' "$@")
  mariadbd=$(command -v mariadbd || { [[ -x /usr/sbin/mariadbd ]] && echo /usr/sbin/mariadbd; } || true)
  [[ -n "$mariadbd" ]] || { echo "mariadbd not found" >&2; return 1; }
  user=$(id -un)
  mkdir -p "$dir"
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
    --auth-root-authentication-method=normal >"$dir/install.log" 2>&1 \
    || { echo "mariadb-install-db failed: $(tail -n 5 "$dir/install.log")" >&2; return 1; }
  cat >"$dir/start.sh" <<START
#!/usr/bin/env bash
# Starts a private mariadbd in the background (pid in $dir/pid). Descriptors
# the caller left open (a test's sockets and pipes) are closed first, so the
# daemon never keeps a port or a pipe of its caller alive.
for fd in /proc/\$\$/fd/*; do
  fd=\${fd##*/}
  if ((fd > 2)); then eval "exec \$fd>&-" 2>/dev/null; fi
done
"$mariadbd" --no-defaults --datadir="$dir/data" --socket="$dir/sock" --port=$port \\
  --bind-address=127.0.0.1 --user="$user" --pid-file="$dir/pid" --skip-name-resolve \\
  --innodb-buffer-pool-size=32M --log-error="$dir/error.log"$extra </dev/null >/dev/null 2>&1 &
START
  bash "$dir/start.sh"
  for ((i = 0; i < 600; i++)); do
    [[ -S "$dir/sock" && -s "$dir/pid" ]] \
      && mariadb --no-defaults -S "$dir/sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  [[ -s "$dir/pid" ]] || { echo "mariadbd did not start: $(tail -n 5 "$dir/error.log" 2>/dev/null)" >&2; return 1; }
  secret=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mariadb --no-defaults -S "$dir/sock" -u root <<SQL || { echo "could not create database $db" >&2; return 1; }
CREATE DATABASE $db;
CREATE USER 'rsm'@'localhost' IDENTIFIED BY '$secret';
CREATE USER 'rsm'@'127.0.0.1' IDENTIFIED BY '$secret';
GRANT ALL ON $db.* TO 'rsm'@'localhost';
GRANT ALL ON $db.* TO 'rsm'@'127.0.0.1';
SQL
  mariadb --no-defaults -S "$dir/sock" -u root "$db" <stubs/rsmemcache-durable.sql \
    || { echo "stubs/rsmemcache-durable.sql did not load" >&2; return 1; }
  printf 'rsm:%s\n' "$secret" >"$dir/credentials"
  chmod 600 "$dir/credentials" # a secret readable by everyone is logged
}
