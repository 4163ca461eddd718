--TEST--
cluster: with session_redundancy=2, a request whose lock's memcached stops (SIGSTOP) between its read and its write still releases that lock: the release rides behind the timed-out write on the same connection and runs when the server resumes, so a web server that never saw the stall takes the session at once, not after the lock's TTL
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if ($why = cl_skip_reason(97, 2)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
[$a, $b] = cl_start_all(cl_ports(97, 2));
$path = "{$a['addr']},{$b['addr']}";
$ini = [
    'session.save_path' => $path,
    'rsmemcache.allow_failover' => 1,
    // Two copies: the release cannot ride in the write's pipeline to A (it
    // waits for B's write too), so it is a step of its own after A timed out.
    'rsmemcache.session_redundancy' => 2,
    'rsmemcache.timeout' => 300,
    'rsmemcache.connect_timeout' => 300,
    // Worker 1 skips A for 60 s once it timed out there: only what it
    // queued on its connection to A can release the lock.
    'rsmemcache.retry_interval' => 60,
    'rsmemcache.lock_expire' => 60,
    'rsmemcache.lock_wait_time' => 3000,
];
$id = null;
for ($i = 0; $id === null; $i++) {
    $c = cl_ids("stall$i", 1)[0];
    if (cl_order($c, $path)[0] === $a['addr']) { $id = $c; }
}
$lockKey = mc_lock_key($id);

$w1 = cl_worker($ini);
$r = cl_call($w1, ['op' => 'write', 'values' => [$id => 'v1']]);
printf("seeded: %s\n", var_export($r['closed'][$id], true));
$r = cl_call($w1, ['op' => 'open', 'id' => $id]);
printf("worker 1 holds the session: started %s, read %s\n", var_export($r['started'], true), var_export($r['read'], true));
printf("its lock is on A: %s\n", var_export(mc_get($a['addr'], $lockKey) !== null, true));

echo "-- SIGSTOP A; worker 1 writes: A times out, B's copy is written\n";
cl_pause($a);
$r = cl_call($w1, ['op' => 'commit', 'value' => 'v2']);
printf("closed %s, warnings %d\n", var_export($r['closed'], true), count($r['warnings']));
printf("A as worker 1 sees it: %s\n", cl_state($w1, $a['addr'])['state']);

echo "-- SIGCONT A\n";
cl_resume($a);
// The write and then the release queued behind it run now.
cl_poll(fn () => mc_get($a['addr'], $lockKey) === null, 10, 'the lock on A to be released');
echo "lock on A after the resume: gone\n";

echo "-- a worker of another web server (A never failed there) takes the session at once\n";
$w2 = cl_worker($ini);
$t = microtime(true);
$r = cl_call($w2, ['op' => 'read', 'ids' => [$id]]);
printf("started %s, read %s, warnings %d, waited for a lock: %s\n", var_export($r['started'][$id], true),
    var_export($r['read'][$id], true), count($r['warnings']), $r['ms'][$id] > 2000 ? 'YES' : 'no');
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(97, 2);
?>
--EXPECT--
seeded: true
worker 1 holds the session: started true, read 'v1'
its lock is on A: true
-- SIGSTOP A; worker 1 writes: A times out, B's copy is written
closed true, warnings 0
A as worker 1 sees it: failed
-- SIGCONT A
lock on A after the resume: gone
-- a worker of another web server (A never failed there) takes the session at once
started true, read 'v2', warnings 0, waited for a lock: no
