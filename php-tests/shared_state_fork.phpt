--TEST--
shared state: pcntl_fork() children share the failure state mapped at module startup: a server gets its shared slot once it answered (not before), and when it then hangs, found dead by one child, it is skipped by 8 others without a timeout; once its retry interval passes, 8 children at once send exactly one probe (one timeout, one log line)
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if (!function_exists('pcntl_fork') || !function_exists('pcntl_exec')) { die('skip pcntl not available'); }
if (!is_executable('/bin/true')) { die('skip no /bin/true'); }
if ($why = cl_skip_reason(80, 1)) { die($why); }
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
rsmemcache.retry_interval=2
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
require __DIR__ . '/lib/failure.inc';
[$fakePort] = cl_ports(80, 1);
$fake = cl_start($fakePort);
$path = "{$fake['addr']}," . MC1;
ini_set('session.save_path', $path);
$names = [$fake['addr'] => 'FAKE', MC1 => 'REAL'];
cl_watch();

/** One request: start, store $value, close; "ok" or what went wrong. */
function request(string $id, string $value): string {
    session_id($id);
    if (!session_start()) { return 'start failed'; }
    $_SESSION['v'] = $value;
    return session_write_close() ? 'ok' : 'close failed';
}
function fake_row(string $addr): array {
    foreach (rsmemcache_servers() as $row) { if ($row['server'] === $addr) { return $row; } }
    throw new RuntimeException("no row for $addr");
}
/** Forks one child per list of ids, all at once; each runs a request per id
 * and reports its outcomes (the child leaves by exec, so the parent's
 * shutdown functions never run in it). Returns the outcome counts. */
function children(array $lists, string $round): array {
    $files = [];
    $pids = [];
    foreach ($lists as $k => $ids) {
        $files[$k] = tempnam(sys_get_temp_dir(), 'rsmcfork');
        $pid = pcntl_fork();
        if ($pid === -1) { throw new RuntimeException('fork failed'); }
        if ($pid === 0) {
            $out = [];
            foreach ($ids as $id) { $out[] = request($id, $round); }
            file_put_contents($files[$k], json_encode($out));
            pcntl_exec('/bin/true');
            exit(1);
        }
        $pids[] = $pid;
    }
    foreach ($pids as $pid) { pcntl_waitpid($pid, $status); }
    $all = [];
    foreach ($files as $f) {
        $all = array_merge($all, json_decode((string)file_get_contents($f), true) ?? ['NO REPORT']);
        @unlink($f);
    }
    return array_count_values($all);
}
function logged_summary(array $names): string {
    $lines = array_map(fn ($l) => cl_norm($l, $names), cl_logged());
    return count($lines) . ($lines ? ' (' . implode(' | ', array_unique($lines)) . ')' : '');
}

$ids = [];
for ($i = 0; count($ids) < 49; $i++) {
    $id = 'clshm' . bin2hex(random_bytes(4)) . $i;
    if (cl_order($id, $path)[0] === $fake['addr']) { $ids[] = $id; }
}
printf("state shared before any round trip: %s\n", var_export(fake_row($fake['addr'])['shared'], true));
echo "-- the parent stores one session homed on FAKE (a real round trip), then FAKE hangs (SIGSTOP)\n";
do { $own = 'clshm' . bin2hex(random_bytes(6)); } while (cl_order($own, $path)[0] !== $fake['addr']);
echo "stored: ", var_export(request($own, 'p'), true), "\n";
printf("state shared: %s\n", var_export(fake_row($fake['addr'])['shared'], true));
cl_pause($fake);

echo "-- one child, one request on a session homed on FAKE\n";
echo "outcomes: ", json_encode(children([[$ids[0]]], 'a')), "\n";
echo "logged: ", logged_summary($names), "\n";
$row = fake_row($fake['addr']);
printf("the parent sees FAKE %s, failures %d, last error: %s\n", $row['state'], $row['failures'], cl_norm((string)$row['last_error'], $names));

echo "-- 8 children at once, 3 requests each, within the interval\n";
echo "outcomes: ", json_encode(children(array_chunk(array_slice($ids, 1, 24), 3), 'b')), "\n";
echo "logged: ", logged_summary($names), "\n";

echo "-- the retry interval passes; 8 children at once, 3 requests each\n";
cl_poll(fn () => fake_row($fake['addr'])['state'] === 'retry due', 10, 'FAKE to be due for a retry');
echo "outcomes: ", json_encode(children(array_chunk(array_slice($ids, 25, 24), 3), 'c')), "\n";
echo "logged: ", logged_summary($names), "\n";
$row = fake_row($fake['addr']);
printf("the parent sees FAKE %s, failures %d\n", $row['state'], $row['failures']);
$stored = count(array_filter($ids, fn ($id) => mc_get(MC1, mc_key($id)) !== null));
echo "sessions stored on REAL: $stored/49\n";
echo "warnings in the parent: ", count(cl_msgs()), "\n";
cl_stop($fake);
foreach ($ids as $id) { mc_delete(MC1, mc_key($id)); }
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(80, 1);
?>
--EXPECT--
state shared before any round trip: false
-- the parent stores one session homed on FAKE (a real round trip), then FAKE hangs (SIGSTOP)
stored: 'ok'
state shared: true
-- one child, one request on a session homed on FAKE
outcomes: {"ok":1}
logged: 1 (rsmemcache: server FAKE: no answer within 300 ms; the server is skipped for 2 s)
the parent sees FAKE failed, failures 1, last error: server FAKE: no answer (seen by another process)
-- 8 children at once, 3 requests each, within the interval
outcomes: {"ok":24}
logged: 0
-- the retry interval passes; 8 children at once, 3 requests each
outcomes: {"ok":24}
logged: 1 (rsmemcache: server FAKE: no answer within 300 ms; the server is skipped for 2 s)
the parent sees FAKE failed, failures 2
sessions stored on REAL: 49/49
warnings in the parent: 0
done
