--TEST--
cluster: a lock add sent to a hung memcached (SIGSTOP) and answered only after SIGCONT is removed by its sender as soon as the server resumes, although that worker skips the server for its retry interval; the next request of the session does not wait for the lock's TTL
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if ($why = cl_skip_reason(90, 2)) { die($why); }
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
[$a, $b] = cl_start_all(cl_ports(90, 2));
$path = "{$a['addr']},{$b['addr']}";
$ini = [
    'session.save_path' => $path,
    'rsmemcache.allow_failover' => 1,
    'rsmemcache.timeout' => 300,
    'rsmemcache.connect_timeout' => 300,
    // The worker that sent the add does not talk to the server again for
    // 60 s: only the late reply on the connection it kept can clear the lock.
    'rsmemcache.retry_interval' => 60,
    'rsmemcache.lock_expire' => 60,
    'rsmemcache.lock_wait_time' => 2000,
];
/** An id whose home (lock and data) is $addr. */
function homed_on(string $addr, string $path, string $tag): string {
    for ($i = 0; ; $i++) {
        $id = cl_ids("$tag$i", 1)[0];
        if (cl_order($id, $path)[0] === $addr) { return $id; }
    }
}
function delete_hits(string $addr): int {
    preg_match('/STAT delete_hits (\d+)/', mc_raw($addr, "stats\r\n", "/END\r\n$/"), $m);
    return (int)$m[1];
}
$id = homed_on($a['addr'], $path, 'orph');
$other = homed_on($b['addr'], $path, 'othr');
$lockKey = mc_lock_key($id);

$w1 = cl_worker($ini);
echo "-- SIGSTOP A; worker 1 runs a request: its lock add to A gets no reply\n";
cl_pause($a);
$r = cl_call($w1, ['op' => 'write', 'values' => [$id => 'v1']]);
printf("started %s, closed %s, warnings %d\n", var_export($r['started'][$id], true), var_export($r['closed'][$id], true), count($r['warnings']));
printf("A as worker 1 sees it: %s\n", cl_state($w1, $a['addr'])['state']);

echo "-- SIGCONT A: the queued add runs late\n";
cl_resume($a);
// The add lands, then the compare-and-delete that worker 1 queued behind it.
cl_poll(fn () => delete_hits($a['addr']) >= 1, 10, 'the late lock on A to be deleted');
printf("lock on A after the late reply: %s\n", var_export(mc_get($a['addr'], $lockKey), true));

echo "-- a request from another worker takes the session at once\n";
$w2 = cl_worker($ini);
$r = cl_call($w2, ['op' => 'read', 'ids' => [$id]]);
printf("started %s, warnings %d\n", var_export($r['started'][$id], true), count($r['warnings']));

echo "-- worker 1 logs the removal with its next request\n";
$r = cl_call($w1, ['op' => 'read', 'ids' => [$other]]);
$removed = array_values(array_filter($r['logged'], fn ($l) => str_contains($l, 'removed the lock')));
// Messages cut every run of 7+ id characters of a key to 6 and '...'.
$shownKey = preg_replace_callback('/[A-Za-z0-9,-]{7,}/', fn ($m) => substr($m[0], 0, 6) . '...', $lockKey);
echo implode("\n", array_map(fn ($l) => str_replace([$a['addr'], $shownKey], ['A', 'LOCK'], $l), $removed)), "\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(90, 2);
?>
--EXPECT--
-- SIGSTOP A; worker 1 runs a request: its lock add to A gets no reply
started true, closed true, warnings 0
A as worker 1 sees it: failed
-- SIGCONT A: the queued add runs late
lock on A after the late reply: NULL
-- a request from another worker takes the session at once
started true, warnings 0
-- worker 1 logs the removal with its next request
rsmemcache: server A: removed the lock LOCK, stored after its sender gave up (late reply)
