--TEST--
shared state per user: pcntl_fork() children running as another effective uid (posix_seteuid, as php-fpm pools with another `user =`) neither see nor change the server state and counters of the first uid (rsmemcache_stats, rsmemcache_servers, php --ri rows); processes of the same uid still share theirs
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
require_once __DIR__ . '/lib/compat.inc';
if (!function_exists('pcntl_fork') || !function_exists('pcntl_exec')) { die('skip pcntl not available'); }
if (!is_executable('/bin/true')) { die('skip no /bin/true'); }
if (!cl_is_root()) { die('skip needs root (posix_seteuid to another user)'); }
if (!cp_load('posix') || !function_exists('posix_seteuid')) { die('skip posix extension not available'); }
if ($why = cl_skip_reason(164, 1)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.allow_failover=1
rsmemcache.session_redundancy=1
rsmemcache.timeout=300
rsmemcache.connect_timeout=300
rsmemcache.retry_interval=30
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
require __DIR__ . '/lib/compat.inc';
cp_load('posix');
const OTHER_UID = 65534; // nobody
[$fakePort] = cl_ports(164, 1);
$fake = cl_start($fakePort);
$path = "{$fake['addr']}," . MC1;
ini_set('session.save_path', $path);
$names = [$fake['addr'] => 'FAKE', MC1 => 'REAL'];
cl_watch();
// A directory the other uid can write its report and error log into (not
// sticky: /tmp's protected_regular would refuse opening root's files).
$dir = sys_get_temp_dir() . '/rsmcuid' . bin2hex(random_bytes(4));
mkdir($dir);
chmod($dir, 0777);

function request(string $id): string {
    session_id($id);
    if (!session_start()) { return 'start failed'; }
    $_SESSION['v'] = 1;
    return session_write_close() ? 'ok' : 'close failed';
}
function homed_on_fake(): string {
    global $path, $fake;
    do { $id = 'uid' . bin2hex(random_bytes(8)); } while (cl_order($id, $path)[0] !== $fake['addr']);
    return $id;
}
/** What this process sees of FAKE and the counters. */
function view(): array {
    global $fake, $names;
    $row = null;
    foreach (rsmemcache_servers() as $r) { if ($r['server'] === $fake['addr']) { $row = $r; } }
    $stats = rsmemcache_stats();
    $used = array_filter($stats['servers'], fn ($s) => $s['requests'] > 0);
    $labels = array_map(fn ($s) => $names[$s['server']] ?? $s['server'], $used);
    sort($labels);
    ob_start();
    phpinfo(INFO_MODULES);
    $info = ob_get_clean();
    preg_match('/^stats ' . preg_quote($fake['addr'], '/') . ' => requests=(\d+)/m', $info, $m);
    return [
        'FAKE' => "{$row['state']}, failures {$row['failures']}, shared " . var_export($row['shared'], true),
        'stats lists with requests' => '[' . implode(', ', $labels) . ']',
        'requests > 0' => var_export($stats['requests'] > 0, true),
        'php --ri: requests on FAKE' => $m[1] ?? 'no row',
    ];
}
function show(string $who, array $v): void {
    foreach ($v as $k => $x) { echo "$who $k: ", is_array($x) ? json_encode($x) : $x, "\n"; }
}
/** Runs $f in a forked child under OTHER_UID; returns its report. */
function as_other(callable $f): array {
    global $dir;
    $out = "$dir/report";
    $log = "$dir/log";
    if (is_file($out)) { unlink($out); }
    touch($log);
    chmod($log, 0666);
    $pid = pcntl_fork();
    if ($pid === -1) { throw new RuntimeException('fork failed'); }
    if ($pid === 0) {
        $r = ['error' => 'posix_seteuid failed'];
        if (posix_seteuid(OTHER_UID) && posix_geteuid() === OTHER_UID) {
            ini_set('error_log', $log);
            try { $r = $f(); } catch (Throwable $e) { $r = ['error' => $e->getMessage()]; }
            $r['logged'] = count(array_filter(file($log) ?: [], fn ($l) => str_contains($l, 'rsmemcache: ')));
        }
        file_put_contents($out, json_encode($r));
        pcntl_exec('/bin/true');
        exit(1);
    }
    pcntl_waitpid($pid, $status);
    $r = is_file($out) ? json_decode((string)file_get_contents($out), true) : null;
    foreach ([$out, $log] as $f) { if (is_file($f)) { unlink($f); } }
    $r ??= ['error' => 'no report'];
    return $r;
}

echo "-- root stores a session homed on FAKE (FAKE gets root's shared slot)\n";
echo "request: ", request(homed_on_fake()), "\n";
$root = view();
show('root', $root);

echo "-- a child as uid ", OTHER_UID, " looks, then stores a session homed on FAKE\n";
$r = as_other(function () {
    $before = view();
    $req = request(homed_on_fake());
    return ['before' => $before, 'request' => $req, 'after' => view()];
});
show('other, before:', $r['before'] ?? $r);
echo "other request: ", $r['request'] ?? '-', "\n";
show('other, after:', $r['after'] ?? []);

echo "-- FAKE hangs (SIGSTOP); another child as uid ", OTHER_UID, " pays one timeout\n";
cl_pause($fake);
$r = as_other(fn () => ['request' => request(homed_on_fake()), 'after' => view()]);
echo "other request: ", $r['request'] ?? json_encode($r), ", logged ", $r['logged'] ?? '-', "\n";
show('other', $r['after'] ?? []);
cl_resume($fake);

echo "-- root is untouched\n";
$now = view();
show('root', $now);
echo "root's counters unchanged: ", var_export($now === $root, true), "\n";
echo "request: ", request(homed_on_fake()), "\n";
echo "warnings in root: ", json_encode(cl_msgs()), ", logged: ", count(cl_logged()), "\n";

echo "-- a third child as uid ", OTHER_UID, " shares its uid's state (FAKE still failed for it)\n";
$r = as_other(fn () => ['after' => view()]);
show('other', $r['after'] ?? $r);
cl_stop($fake);
@rmdir($dir);
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(164, 1);
?>
--EXPECT--
-- root stores a session homed on FAKE (FAKE gets root's shared slot)
request: ok
root FAKE: up, failures 0, shared true
root stats lists with requests: [FAKE]
root requests > 0: true
root php --ri: requests on FAKE: 2
-- a child as uid 65534 looks, then stores a session homed on FAKE
other, before: FAKE: up, failures 0, shared false
other, before: stats lists with requests: []
other, before: requests > 0: false
other, before: php --ri: requests on FAKE: 0
other request: ok
other, after: FAKE: up, failures 0, shared true
other, after: stats lists with requests: [FAKE]
other, after: requests > 0: true
other, after: php --ri: requests on FAKE: 2
-- FAKE hangs (SIGSTOP); another child as uid 65534 pays one timeout
other request: ok, logged 1
other FAKE: failed, failures 1, shared true
other stats lists with requests: [FAKE, REAL]
other requests > 0: true
other php --ri: requests on FAKE: 3
-- root is untouched
root FAKE: up, failures 0, shared true
root stats lists with requests: [FAKE]
root requests > 0: true
root php --ri: requests on FAKE: 2
root's counters unchanged: true
request: ok
warnings in root: [], logged: 0
-- a third child as uid 65534 shares its uid's state (FAKE still failed for it)
other FAKE: failed, failures 1, shared true
other stats lists with requests: [FAKE, REAL]
other requests > 0: true
other php --ri: requests on FAKE: 3
done
