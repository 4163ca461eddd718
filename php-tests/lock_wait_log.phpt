--TEST--
lock: a wait longer than rsmemcache.lock_wait_log writes one error-log line with the session id's first 6 characters (never the whole id), the wait and the holder's PID, host, script (CLI) and start time, read from the native lock value; a shorter wait, or lock_wait_log=0, logs nothing
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
if (!function_exists('pcntl_fork') || !function_exists('pcntl_exec')) { die('skip pcntl not available'); }
if (!is_executable('/bin/true')) { die('skip no /bin/true'); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.locking=1
rsmemcache.lock_wait_time=10000
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/cluster.inc';
ini_set('session.save_path', MC1);
cl_watch();

/** Forks a child that holds session $id's lock for $ms ms; returns its PID once it holds it. */
function hold(string $id, int $ms): int {
    $flag = tempnam(sys_get_temp_dir(), 'rsmchold');
    unlink($flag);
    $pid = pcntl_fork();
    if ($pid === 0) {
        session_id($id);
        session_start();
        touch($flag);
        usleep($ms * 1000);
        session_write_close();
        pcntl_exec('/bin/true');
        exit(1);
    }
    cl_poll(fn () => file_exists($flag), 10, 'the child to hold the lock');
    @unlink($flag);
    return $pid;
}
/** Waits for $id held $ms ms by a child; returns [child pid, the lines logged]. */
function wait_behind(string $id, int $ms): array {
    $pid = hold($id, $ms);
    session_id($id);
    session_start();
    session_write_close();
    pcntl_waitpid($pid, $st);
    return [$pid, cl_logged()];
}

$id = 'lwlog' . bin2hex(random_bytes(8));
echo "-- the holder sleeps 3 s (lock_wait_log default 1000 ms)\n";
var_dump(ini_get('rsmemcache.lock_wait_log'));
$t0 = microtime(true);
[$pid, $lines] = wait_behind($id, 3000);
echo "lines: ", count($lines), "\n";
$line = $lines[0] ?? '';
echo "names the holder's PID: ", var_export(str_contains($line, "held by pid $pid on "), true), "\n";
echo "names the script: ", var_export(str_contains($line, ' for ' . $_SERVER['SCRIPT_FILENAME'] . ' '), true), "\n";
echo "never the whole id: ", var_export(!str_contains($line, $id) && str_contains($line, 'session ' . substr($id, 0, 6) . '...'), true), "\n";
echo "host: ", var_export(str_contains($line, ' on ' . gethostname() . ' '), true), "\n";
if (preg_match('/waited (\d+) ms for its lock \(then took it\)/', $line, $m)) {
    echo "wait in [2000, 3500] ms: ", var_export($m[1] >= 2000 && $m[1] <= 3500, true), "\n";
} else {
    echo "NO WAIT IN: $line\n";
}
if (preg_match('/its request started at unix ms (\d+), the lock taken at (\d+)\)$/', $line, $m)) {
    echo "start and lock times within the test: ", var_export($m[1] / 1000 >= $t0 - 60 && $m[2] / 1000 >= $t0 - 1 && $m[2] / 1000 <= microtime(true), true), "\n";
} else {
    echo "NO TIMES IN: $line\n";
}

echo "-- the holder sleeps 300 ms\n";
[, $lines] = wait_behind($id, 300);
echo "lines: ", count($lines), "\n";

echo "-- lock_wait_log=0, the holder sleeps 1500 ms\n";
ini_set('rsmemcache.lock_wait_log', '0');
[, $lines] = wait_behind($id, 1500);
echo "lines: ", count($lines), "\n";

echo "-- lock_wait_log=200, the holder sleeps 600 ms\n";
ini_set('rsmemcache.lock_wait_log', '200');
[, $lines] = wait_behind($id, 600);
echo "lines: ", count($lines), "\n";
echo "warnings: ", count(cl_msgs()), "\n";
var_dump(ini_set('rsmemcache.lock_wait_log', '-1'));
echo implode(' | ', cl_msgs()), "\n";
mc_delete(MC1, mc_key($id));
?>
--EXPECT--
-- the holder sleeps 3 s (lock_wait_log default 1000 ms)
string(4) "1000"
lines: 1
names the holder's PID: true
names the script: true
never the whole id: true
host: true
wait in [2000, 3500] ms: true
start and lock times within the test: true
-- the holder sleeps 300 ms
lines: 0
-- lock_wait_log=0, the holder sleeps 1500 ms
lines: 0
-- lock_wait_log=200, the holder sleeps 600 ms
lines: 1
warnings: 0
bool(false)
ini_set(): rsmemcache: invalid value '-1' for rsmemcache.lock_wait_log: expected an integer from 0 to 600000
