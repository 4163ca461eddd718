--TEST--
shared state: the slot holds when a server failed, not until when: a script that sets rsmemcache.retry_interval=86400 at run time while a server hangs gets php.ini's 2 s itself (a run-time value is capped by php.ini's), a forked process with php.ini's value retries after 2 s, and a shorter run-time value shortens only the caller's own wait
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if (!function_exists('pcntl_fork') || !function_exists('pcntl_exec')) { die('skip pcntl not available'); }
if (!is_executable('/bin/true')) { die('skip no /bin/true'); }
if ($why = cl_skip_reason(165, 1)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
rsmemcache.allow_failover=1
rsmemcache.session_redundancy=1
rsmemcache.timeout=300
rsmemcache.connect_timeout=300
rsmemcache.retry_interval=2
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
[$fakePort] = cl_ports(165, 1);
$fake = cl_start($fakePort);
$path = "{$fake['addr']}," . MC1;
ini_set('session.save_path', $path);
cl_watch();

function request(): string {
    global $path, $fake;
    do { $id = 'rcap' . bin2hex(random_bytes(8)); } while (cl_order($id, $path)[0] !== $fake['addr']);
    session_id($id);
    if (!session_start()) { return 'start failed'; }
    $_SESSION['v'] = 1;
    return session_write_close() ? 'ok' : 'close failed';
}
function fake_row(): array {
    global $fake;
    foreach (rsmemcache_servers() as $r) { if ($r['server'] === $fake['addr']) { return $r; } }
    throw new RuntimeException('no FAKE row');
}
function wait_text(): string {
    $r = fake_row();
    if ($r['state'] !== 'failed') { return $r['state']; }
    return $r['retry_in_ms'] <= 2000 ? 'failed, retry within 2 s' : "failed, retry in {$r['retry_in_ms']} ms";
}

echo "-- FAKE answers once (its shared slot), then hangs; the script sets retry_interval=86400\n";
echo "request: ", request(), ", shared: ", var_export(fake_row()['shared'], true), "\n";
cl_pause($fake);
var_dump(ini_set('rsmemcache.retry_interval', '86400'));
echo "request: ", request(), "\n";
echo "logged: ", implode(' | ', array_map(fn ($l) => preg_replace('/\d+\.\d+\.\d+\.\d+:\d+/', 'FAKE', $l), cl_logged())), "\n";
echo "the script itself: ", wait_text(), "\n";

echo "-- a forked process with php.ini's value (as the next request of any worker)\n";
$report = tempnam(sys_get_temp_dir(), 'rsmcrcap');
$pid = pcntl_fork();
if ($pid === 0) {
    ini_restore('rsmemcache.retry_interval');
    $seen = [wait_text()];
    try {
        $seen[] = cl_poll(fn () => fake_row()['state'] === 'retry due' ? 'retry due' : false, 10, 'FAKE due for a retry');
    } catch (Throwable $e) {
        $seen[] = wait_text();
    }
    file_put_contents($report, json_encode($seen));
    pcntl_exec('/bin/true');
    exit(1);
}
pcntl_waitpid($pid, $status);
echo "it sees: ", implode(' -> ', json_decode((string)file_get_contents($report), true) ?? ['no report']), "\n";
unlink($report);

echo "-- a shorter run-time value shortens the caller's own wait\n";
$r = request();  // the probe: FAKE still hangs, failed again from now
ini_set('rsmemcache.retry_interval', '0');
echo "retry_interval=0: ", wait_text(), "\n";
ini_set('rsmemcache.retry_interval', '1');
echo "retry_interval=1: ", fake_row()['state'] === 'failed' && fake_row()['retry_in_ms'] <= 1000 ? 'failed, retry within 1 s' : wait_text(), "\n";
cl_resume($fake);
echo "warnings: ", count(cl_msgs()), "\n";
cl_stop($fake);
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(165, 1);
?>
--EXPECT--
-- FAKE answers once (its shared slot), then hangs; the script sets retry_interval=86400
request: ok, shared: true
string(1) "2"
request: ok
logged: rsmemcache: server FAKE: no answer within 300 ms; the server is skipped for 2 s
the script itself: failed, retry within 2 s
-- a forked process with php.ini's value (as the next request of any worker)
it sees: failed, retry within 2 s -> retry due
-- a shorter run-time value shortens the caller's own wait
retry_interval=0: retry due
retry_interval=1: failed, retry within 1 s
warnings: 0
