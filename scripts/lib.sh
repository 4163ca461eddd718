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
