<?php
// The threaded host's last request (tests/threads/host.c), on the main
// thread after every other thread has ended: for each session and both key
// prefixes, "n <prefix 0|1> <session number> <counter> <1 if its lock item
// is still in memcached, else 0>", then one "stats ..." line from
// rsmemcache_stats(). The lock item is looked up with a meta get on the
// lock's server (rsmemcache_locate() names both). rsmemcache sends a
// release unawaited, on the releasing thread's connection, which memcached
// may serve after this one: a lock item seen is looked at again for up to
// 1 s (as php-tests/config.inc's mc_lock_get()); a lock really left behind
// stays for its TTL and is still counted.

ini_set('session.use_cookies', '0');
$sessions = (int) $_SERVER['RSMT_SESSIONS'];
$prefixes = [$_SERVER['RSMT_PREFIX'], $_SERVER['RSMT_PREFIX2']];

function rsmt_lock_held(string $sid): int {
    $where = rsmemcache_locate($sid);
    $conn = stream_socket_client('tcp://' . $where['lock_server'], $errno, $errstr, 5);
    if (!$conn) {
        echo "problem cannot reach {$where['lock_server']}: $errstr\n";
        return 1;
    }
    stream_set_timeout($conn, 5);
    $until = microtime(true) + 1.0;
    do {
        fwrite($conn, "mg {$where['lock_key']} k\r\n");
        $line = (string) fgets($conn);
        if (str_starts_with($line, 'EN')) {
            fclose($conn);
            return 0;
        }
        usleep(2000);
    } while (microtime(true) < $until);
    fclose($conn);
    return 1;
}

foreach ($prefixes as $space => $prefix) {
    ini_set('rsmemcache.prefix', $prefix);
    for ($k = 0; $k < $sessions; $k++) {
        $sid = sprintf('rsmt%s%04d', $_SERVER['RSMT_SID_BASE'], $k);
        session_id($sid);
        if (!session_start(['read_and_close' => true])) {
            echo "problem session_start() failed for session $k\n";
            continue;
        }
        $n = (isset($_SESSION['id']) && $_SESSION['id'] !== $sid) ? -1 : ($_SESSION['n'] ?? 0);
        echo "n $space $k $n ", rsmt_lock_held($sid), "\n";
    }
}
$stats = rsmemcache_stats();
echo 'stats';
foreach (['locks_acquired', 'lock_waits', 'lock_wait_ms_max', 'lock_wait_timeouts', 'lost_lock_refusals',
          'write_conflicts', 'failovers'] as $key) {
    echo " $key=", $stats[$key] ?? '?';
}
echo "\n";
// Connections each memcached accepted in the whole run (a pool that keeps
// too few idle connections for its threads reconnects per request).
echo 'connections';
foreach (rsmemcache_servers() as $server) {
    $conn = stream_socket_client('tcp://' . $server['server'], $errno, $errstr, 5);
    fwrite($conn, "stats\r\nquit\r\n");
    $total = '?';
    while (($line = fgets($conn)) !== false && !str_starts_with($line, 'END')) {
        if (preg_match('/^STAT total_connections (\d+)/', $line, $m)) { $total = $m[1]; }
    }
    echo " {$server['server']}=$total";
}
echo "\n";
