--TEST--
stats: rsmemcache_stats() counts a scripted run exactly, across pcntl_fork() children (shared counters): failovers, locks, lock waits (count, total, max), a lock wait timeout with the lost-lock refusal that follows, a read repair, per-server requests and errors; the Prometheus text parses and agrees
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
rsmemcache.allow_failover=1
rsmemcache.session_redundancy=1
rsmemcache.retry_interval=60
rsmemcache.locking=1
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/cluster.inc';
$names = [MC1 => 'MC1', MC2 => 'MC2', MC_REFUSED => 'REFUSED'];
cl_watch();
$before = rsmemcache_stats();
var_dump($before['shared'], is_array($before['servers']));

/** Differences since $before for the integer keys. */
function delta(array $before, array $after, array $keys): string {
    return implode(', ', array_map(fn ($k) => "$k " . ($after[$k] - $before[$k]), $keys));
}
/** Forks a child that holds session $id's lock for $ms ms; returns once it holds it. */
function hold(string $id, int $ms): int {
    $flag = tempnam(sys_get_temp_dir(), 'rsmchold');
    unlink($flag);
    $pid = pcntl_fork();
    if ($pid === 0) {
        session_id($id);
        session_start();
        touch($flag);
        usleep($ms * 1000);
        $_SESSION['held'] = true;
        session_write_close();
        pcntl_exec('/bin/true');
        exit(1);
    }
    cl_poll(fn () => file_exists($flag), 10, 'the child to hold the lock');
    @unlink($flag);
    return $pid;
}
function ids(string $tag, string $path, string $home, int $n): array {
    $out = [];
    for ($i = 0; count($out) < $n; $i++) {
        $id = $tag . bin2hex(random_bytes(4)) . $i;
        if (cl_order($id, $path)[0] === $home) { $out[] = $id; }
    }
    return $out;
}

echo "-- 3 requests on sessions homed on a refused port (failover to MC1)\n";
$path = MC_REFUSED . ',' . MC1;
ini_set('session.save_path', $path);
$s0 = rsmemcache_stats();
$ids = ids('ststf', $path, MC_REFUSED, 3);
foreach ($ids as $id) { session_id($id); session_start(); $_SESSION['v'] = 1; session_write_close(); }
$s1 = rsmemcache_stats();
echo delta($s0, $s1, ['failovers', 'locks_acquired', 'lock_waits', 'errors_connect', 'timeouts']), "\n";
$rows = array_column($s1['servers'], null, 'server');
printf("REFUSED: requests %d, errors_connect %d; MC1 requests grew: %s\n", $rows[MC_REFUSED]['requests'] ?? -1,
    $rows[MC_REFUSED]['errors_connect'] ?? -1, var_export(($rows[MC1]['requests'] ?? 0) > ($s0['servers'] ? (array_column($s0['servers'], null, 'server')[MC1]['requests'] ?? 0) : 0), true));

echo "-- a child holds a lock for 400 ms; the parent waits for it\n";
ini_set('session.save_path', MC1);
[$id] = ids('ststw', MC1, MC1, 1);
$pid = hold($id, 400);
session_id($id);
session_start();
$held = $_SESSION['held'] ?? false;
session_write_close();
pcntl_waitpid($pid, $st);
$s2 = rsmemcache_stats();
echo "the parent read the child's write: ", var_export($held, true), "\n";
echo delta($s1, $s2, ['locks_acquired', 'lock_waits', 'lock_wait_timeouts', 'failovers']), "\n";
$waited = $s2['lock_wait_ms_total'] - $s1['lock_wait_ms_total'];
printf("waited in (100, 2000) ms: %s; max >= that wait: %s\n", var_export($waited > 100 && $waited < 2000, true),
    var_export($s2['lock_wait_ms_max'] >= $waited, true));

echo "-- lock_failure=readonly, lock_wait_time=200 ms, the child holds it 1500 ms\n";
ini_set('rsmemcache.lock_failure', 'readonly');
ini_set('rsmemcache.lock_wait_time', '200');
[$id] = ids('ststr', MC1, MC1, 1);
$pid = hold($id, 1500);
session_id($id);
session_start();
$_SESSION['changed'] = 1;
session_write_close();
echo "warnings: ", implode(' | ', array_map(fn ($m) => cl_norm(preg_replace('/session \S+ was/', 'session ID was', $m), $names), cl_msgs())), "\n";
pcntl_waitpid($pid, $st);
$s3 = rsmemcache_stats();
echo delta($s2, $s3, ['locks_acquired', 'lock_waits', 'lock_wait_timeouts', 'lost_lock_refusals']), "\n";
ini_restore('rsmemcache.lock_failure');
ini_restore('rsmemcache.lock_wait_time');

echo "-- session_redundancy=2: one copy deleted behind its back, read again\n";
$path = MC1 . ',' . MC2;
ini_set('session.save_path', $path);
ini_set('rsmemcache.session_redundancy', '2');
[$id] = ids('ststp', $path, MC1, 1);
session_id($id); session_start(); $_SESSION['v'] = 2; session_write_close();
mc_delete(cl_order($id, $path)[1], mc_key($id));
$s4 = rsmemcache_stats();
session_id($id); session_start(); session_write_close();
$s5 = rsmemcache_stats();
echo delta($s4, $s5, ['read_repairs', 'write_conflicts', 'failovers', 'locks_acquired']), "\n";
ini_restore('rsmemcache.session_redundancy');

echo "-- Prometheus text\n";
$text = rsmemcache_stats('prometheus');
$samples = [];
$typed = [];
foreach (explode("\n", rtrim($text, "\n")) as $line) {
    if (preg_match('/^# (HELP|TYPE) (rsmemcache_\w+) (.+)$/', $line, $m)) {
        if ($m[1] === 'TYPE') { $typed[$m[2]] = $m[3]; }
        continue;
    }
    if (!preg_match('/^(rsmemcache_\w+)(\{(\w+="(?:[^"\\\\]|\\\\.)*"(,\w+="(?:[^"\\\\]|\\\\.)*")*)\})? (\d+)$/', $line, $m)) {
        echo "UNPARSED: $line\n";
        continue;
    }
    if (!isset($typed[$m[1]])) { echo "NO TYPE for $m[1]\n"; }
    $samples[] = [$m[1], $m[3] ?? '', (int)$m[5]];
}
$s6 = rsmemcache_stats();
$value = fn (string $name) => array_sum(array_map(fn ($s) => $s[2], array_filter($samples, fn ($s) => $s[0] === $name)));
foreach (['locks_acquired', 'lock_waits', 'lock_wait_timeouts', 'lost_lock_refusals', 'read_repairs', 'failovers', 'requests'] as $k) {
    printf("rsmemcache_%s_total = rsmemcache_stats()['%s']: %s\n", $k, $k, var_export($value("rsmemcache_{$k}_total") === $s6[$k], true));
}
printf("lock_wait_ms_total and _max agree: %s\n", var_export($value('rsmemcache_lock_wait_ms_total') === $s6['lock_wait_ms_total']
    && $value('rsmemcache_lock_wait_ms_max') === $s6['lock_wait_ms_max'], true));
echo "types: ", $typed['rsmemcache_failovers_total'], ' ', $typed['rsmemcache_lock_wait_ms_max'], "\n";
echo "a server label: ", var_export(str_contains($text, 'rsmemcache_errors_total{server="' . MC_REFUSED . '",kind="connect"} 1'), true), "\n";
var_dump(rsmemcache_stats('xml'));
echo implode(' | ', cl_msgs()), "\n";
echo "logged: ", count(cl_logged()) > 0 ? 'yes' : 'no', "\n";
?>
--EXPECT--
bool(true)
bool(true)
-- 3 requests on sessions homed on a refused port (failover to MC1)
failovers 6, locks_acquired 3, lock_waits 0, errors_connect 1, timeouts 0
REFUSED: requests 0, errors_connect 1; MC1 requests grew: true
-- a child holds a lock for 400 ms; the parent waits for it
the parent read the child's write: true
locks_acquired 2, lock_waits 1, lock_wait_timeouts 0, failovers 0
waited in (100, 2000) ms: true; max >= that wait: true
-- lock_failure=readonly, lock_wait_time=200 ms, the child holds it 1500 ms
warnings: session_write_close(): rsmemcache: session ID was opened read-only because another request held its lock; changes not written | session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (MC1)
locks_acquired 1, lock_waits 1, lock_wait_timeouts 1, lost_lock_refusals 1
-- session_redundancy=2: one copy deleted behind its back, read again
read_repairs 1, write_conflicts 0, failovers 0, locks_acquired 1
-- Prometheus text
rsmemcache_locks_acquired_total = rsmemcache_stats()['locks_acquired']: true
rsmemcache_lock_waits_total = rsmemcache_stats()['lock_waits']: true
rsmemcache_lock_wait_timeouts_total = rsmemcache_stats()['lock_wait_timeouts']: true
rsmemcache_lost_lock_refusals_total = rsmemcache_stats()['lost_lock_refusals']: true
rsmemcache_read_repairs_total = rsmemcache_stats()['read_repairs']: true
rsmemcache_failovers_total = rsmemcache_stats()['failovers']: true
rsmemcache_requests_total = rsmemcache_stats()['requests']: true
lock_wait_ms_total and _max agree: true
types: counter gauge
a server label: true
bool(false)
rsmemcache_stats(): rsmemcache: rsmemcache_stats(): unknown format 'xml' (use 'array' or 'prometheus')
logged: yes
