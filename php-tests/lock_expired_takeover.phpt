--TEST--
locking: an expired lock (lock_expire=1) is taken over by a waiter, and the old holder's later write is refused because the session changed meanwhile
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
ini_set('session.save_path', lk_path());
$ids = [];

foreach (['existing session' => true, 'new session (the holder read nothing)' => false] as $label => $seed) {
    echo "-- $label\n";
    $ids[] = $id = lk_sid($seed ? 'exp' : 'expnew');
    $home = lk_home($id);
    if ($seed) {
        session_id($id);
        session_start();
        $_SESSION['who'] = 'seed';
        session_write_close();
    }
    // The holder locks with a 1 s TTL and then does nothing until told to write.
    $holder = lk_spawn('lock_session.php', [lk_path(), $id, 'rsmemcache.lock_expire=1']);
    lk_send($holder, 'start');
    echo "holder: ", explode(' ms=', lk_expect($holder, 'start', true))[0], "\n";
    lk_send($holder, 'data');
    echo "holder: ", lk_expect($holder, 'data', true), "\n";
    $holderToken = lk_lock_value($id);
    echo "holder's lock: ", var_export(is_string($holderToken) && preg_match('/^[0-9a-f]{32}( \d+){3} \S+ \d+ \d+ \S+$/', $holderToken) === 1, true), "\n";

    // The waiter would wait 10 s; the expired lock lets it in after about 1 s.
    $waiter = lk_spawn('lock_session.php', [lk_path(), $id, 'rsmemcache.lock_wait_time=10000']);
    lk_send($waiter, 'start');
    $start = lk_expect($waiter, 'start', true);
    preg_match('/^start (\w+) ms=(\d+)/', $start, $m);
    echo "waiter: start $m[1], within 2.5 s: ", var_export((int)$m[2] < 2500, true), "\n";
    echo "lock now the waiter's: ", var_export(($v = lk_lock_value($id)) !== null && $v !== $holderToken, true), "\n";
    lk_send($waiter, 'data');
    lk_send($waiter, 'set who waiter');
    lk_send($waiter, 'close');
    $r = lk_finish($waiter);
    lk_show('waiter', array_map(static fn ($l) => preg_replace('/ t=\d+/', '', $l), $r['out']), $id);
    echo "stored: ", mc_get($home, lc_key($id)), "\n";

    // Now the old holder writes: refused, the waiter's data stays.
    lk_send($holder, 'set who holder');
    lk_send($holder, 'close');
    $r = lk_finish($holder);
    lk_show('holder', array_map(static fn ($l) => preg_replace('/ t=\d+/', '', $l), $r['out']), $id);
    echo "stored: ", mc_get($home, lc_key($id)), "\n";
    echo lk_lock_state($id), "\n";
}
lk_forget(...$ids);
?>
--EXPECTF--
-- existing session
holder: start true
holder: data {"who":"seed"}
holder's lock: true
waiter: start true, within 2.5 s: true
lock now the waiter's: true
waiter: data {"who":"seed"}
waiter: set
waiter: close true
stored: who|s:6:"waiter";
holder: set
holder: warning: session_write_close(): rsmemcache: session <ID> not written: another request changed it after this request read it (this request's lock expires after rsmemcache.lock_expire = 1 s; the other may not lock at all)
holder: warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
holder: close true
stored: who|s:6:"waiter";
lock absent
-- new session (the holder read nothing)
holder: start true
holder: data []
holder's lock: true
waiter: start true, within 2.5 s: true
lock now the waiter's: true
waiter: data []
waiter: set
waiter: close true
stored: who|s:6:"waiter";
holder: set
holder: warning: session_write_close(): rsmemcache: session <ID> not written: another request changed it after this request read it (this request's lock expires after rsmemcache.lock_expire = 1 s; the other may not lock at all)
holder: warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
holder: close true
stored: who|s:6:"waiter";
lock absent
