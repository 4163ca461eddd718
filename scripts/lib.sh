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
