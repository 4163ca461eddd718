--TEST--
locking: a waiter whose lock_wait_time runs out fails with a warning (lock_failure=error) or reads read-only and has its changes refused (lock_failure=readonly); the holder's write lands intact
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
ob_start();
ini_set('session.save_path', lk_path());
$id = lk_sid('wait');
$home = lk_home($id);
$key = lc_key($id);

session_id($id);
session_start();
$_SESSION['who'] = 'seed';
session_write_close();
echo "seeded: ", mc_get($home, $key), "\n";

// The holder takes the lock and keeps it until told to write.
$holder = lk_spawn('lock_session.php', [lk_path(), $id]);
lk_send($holder, 'start');
echo "holder: ", explode(' ms=', lk_expect($holder, 'start', true))[0], "\n";
echo "holder's ", lk_lock_state($id), "\n";
$holderToken = lk_lock_value($id);

/** Runs a waiter with the given ini and commands; prints its output (id as <ID>, times cut). Returns its lines. */
function waiter(string $id, array $ini, array $cmds): array {
    $w = lk_spawn('lock_session.php', array_merge([lk_path(), $id], $ini));
    foreach ($cmds as $c) { lk_send($w, $c); }
    lk_send($w, 'exit');
    $r = lk_finish($w);
    $lines = array_map(static fn ($l) => preg_replace('/ t0=\d+ t1=\d+| t=\d+/', '', $l), $r['out']);
    lk_show('waiter', $lines, $id);
    if ($r['err'] !== '' || $r['code'] !== 0) { echo "waiter stderr/exit: {$r['err']} {$r['code']}\n"; }
    return $r['out'];
}

echo "-- lock_failure=error, lock_wait_time=300\n";
$out = waiter($id, ['rsmemcache.lock_wait_time=300', 'rsmemcache.lock_failure=error'], ['start', 'data']);
$text = implode("\n", $out);
preg_match('/gave up after waiting (\d+) ms/', $text, $m);
preg_match('/^start false ms=(\d+)/m', $text, $d);
echo "reported wait >= 300 ms: ", var_export(isset($m[1]) && (int)$m[1] >= 300, true), "\n";
echo "session_start() took >= 300 ms and < 5 s: ", var_export(isset($d[1]) && $d[1] >= 300 && $d[1] < 5000, true), "\n";
echo "lock still the holder's: ", var_export(lk_lock_value($id) === $holderToken, true), "\n";

echo "-- lock_failure=readonly, lock_wait_time=300, changed\n";
waiter($id, ['rsmemcache.lock_wait_time=300', 'rsmemcache.lock_failure=readonly'],
    ['start', 'data', 'set who waiter', 'close']);
echo "stored: ", mc_get($home, $key), "\n";
echo "lock still the holder's: ", var_export(lk_lock_value($id) === $holderToken, true), "\n";

echo "-- lock_failure=readonly, unchanged: no warning\n";
waiter($id, ['rsmemcache.lock_wait_time=300', 'rsmemcache.lock_failure=readonly'], ['start', 'data', 'close']);
echo "lock still the holder's: ", var_export(lk_lock_value($id) === $holderToken, true), "\n";

echo "-- readonly session ended without close (end of request)\n";
waiter($id, ['rsmemcache.lock_wait_time=300', 'rsmemcache.lock_failure=readonly'], ['start', 'set who waiter2']);
echo "lock still the holder's: ", var_export(lk_lock_value($id) === $holderToken, true), "\n";

echo "-- the holder writes\n";
lk_send($holder, 'data');
lk_send($holder, 'set who holder');
lk_send($holder, 'close');
$r = lk_finish($holder);
lk_show('holder', array_map(static fn ($l) => preg_replace('/ t=\d+/', '', $l), $r['out']), $id);
echo "stored: ", mc_get($home, $key), "\n";
echo lk_lock_state($id), "\n";
lk_forget($id);
?>
--EXPECTF--
seeded: who|s:4:"seed";
holder: start true
holder's lock held
-- lock_failure=error, lock_wait_time=300
waiter: warning: session_start(): rsmemcache: session <ID> is locked by another request; gave up after waiting %d ms (rsmemcache.lock_wait_time)
waiter: warning: session_start(): Failed to read session data: rsmemcache (path: %s)
waiter: start false ms=%d
waiter: data []
reported wait >= 300 ms: true
session_start() took >= 300 ms and < 5 s: true
lock still the holder's: true
-- lock_failure=readonly, lock_wait_time=300, changed
waiter: start true ms=%d
waiter: data {"who":"seed"}
waiter: set
waiter: warning: session_write_close(): rsmemcache: session <ID> was opened read-only because another request held its lock; changes not written
waiter: warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
waiter: close true
stored: who|s:4:"seed";
lock still the holder's: true
-- lock_failure=readonly, unchanged: no warning
waiter: start true ms=%d
waiter: data {"who":"seed"}
waiter: close true
lock still the holder's: true
-- readonly session ended without close (end of request)
waiter: start true ms=%d
waiter: set
waiter: warning: PHP Request Shutdown: rsmemcache: session <ID> was opened read-only because another request held its lock; changes not written
waiter: warning: PHP Request Shutdown: Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
lock still the holder's: true
-- the holder writes
holder: data {"who":"seed"}
holder: set
holder: close true
stored: who|s:6:"holder";
lock absent
