--TEST--
locking: a lock placed by another token is never deleted by us (read-only after a timeout, and after our own lock expired and was replaced)
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

function seeded(string $tag): string {
    global $ids;
    $ids[] = $id = lk_sid($tag);
    session_id($id);
    session_start();
    $_SESSION['who'] = 'seed';
    session_write_close();
    return $id;
}
/** Places a foreign lock (not ours: a value no rsmemcache request would use) on session $id; returns the value. */
function foreign_lock(string $id): string {
    $value = 'foreign-' . bin2hex(random_bytes(6));
    if (mc_set(lk_home($id), lk_lock_key($id), $value, 60) !== 'HD') { throw new RuntimeException('cannot set the foreign lock'); }
    return $value;
}
function foreign_intact(string $id, string $value): string {
    return lk_lock_value($id) === $value && mc_where(lk_lock_key($id)) === [lk_home($id)]
        ? 'foreign lock intact' : 'foreign lock CHANGED: ' . var_export(lk_lock_value($id), true);
}
function run_child(string $id, array $ini, array $cmds): void {
    $c = lk_spawn('lock_session.php', array_merge([lk_path(), $id], $ini));
    foreach ($cmds as $cmd) { lk_send($c, $cmd); }
    $r = lk_finish($c);
    lk_show('child', array_map(static fn ($l) => preg_replace('/ ms=\d+ t0=\d+ t1=\d+| t=\d+/', '', $l), $r['out']), $id);
}

echo "== a foreign lock held for the whole wait\n";
set_error_handler(static function (int $no, string $str) use (&$id): bool {
    echo "warning: ", str_replace([$id, substr($id, 0, 6) . '...'], '<ID>', $str), "\n";
    return true;
});
ini_set('rsmemcache.lock_wait_time', '200');
foreach (['readonly', 'error'] as $policy) {
    ini_set('rsmemcache.lock_failure', $policy);
    echo "-- lock_failure=$policy, this process, changed and closed\n";
    $id = seeded("f$policy");
    $value = foreign_lock($id);
    session_id($id);
    var_dump(session_start());
    $_SESSION['who'] = 'me';
    session_write_close();
    echo foreign_intact($id, $value), ", data ", mc_get(lk_home($id), lc_key($id)), "\n";

    echo "-- lock_failure=$policy, this process, session_abort()\n";
    session_id($id);
    var_dump(session_start());
    session_abort();
    echo foreign_intact($id, $value), "\n";

    echo "-- lock_failure=$policy, a child that ends its request with the session open\n";
    run_child($id, ['rsmemcache.lock_wait_time=200', "rsmemcache.lock_failure=$policy"], ['start', 'set who child']);
    echo foreign_intact($id, $value), ", data ", mc_get(lk_home($id), lc_key($id)), "\n";
}
restore_error_handler();
ini_restore('rsmemcache.lock_wait_time');
ini_restore('rsmemcache.lock_failure');

echo "== our lock expired and another request's lock replaced it\n";
foreach (['close' => ['set who late', 'close'], 'close unchanged' => ['close'], 'abort' => ['abort'],
          'destroy' => ['destroy'], 'end of request' => ['set who late']] as $label => $cmds) {
    echo "-- $label\n";
    $id = seeded('exp' . preg_replace('/\W/', '', $label));
    $c = lk_spawn('lock_session.php', [lk_path(), $id, 'rsmemcache.lock_expire=1']);
    lk_send($c, 'start');
    echo "child: ", explode(' ms=', lk_expect($c, 'start', true))[0], "\n";
    lk_wait_until(static fn () => lk_lock_value($id) === null, 5, 'the child\'s 1 s lock to expire');
    $value = foreign_lock($id);
    foreach ($cmds as $cmd) { lk_send($c, $cmd); }
    $r = lk_finish($c);
    lk_show('child', array_map(static fn ($l) => preg_replace('/ t=\d+/', '', $l), $r['out']), $id);
    echo foreign_intact($id, $value), "\n";
}
lk_forget(...$ids);
?>
--EXPECTF--
== a foreign lock held for the whole wait
-- lock_failure=readonly, this process, changed and closed
bool(true)
warning: session_write_close(): rsmemcache: session <ID> was opened read-only because another request held its lock; changes not written
warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
foreign lock intact, data who|s:4:"seed";
-- lock_failure=readonly, this process, session_abort()
bool(true)
foreign lock intact
-- lock_failure=readonly, a child that ends its request with the session open
child: start true
child: set
child: warning: PHP Request Shutdown: rsmemcache: session <ID> was opened read-only because another request held its lock; changes not written
child: warning: PHP Request Shutdown: Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
foreign lock intact, data who|s:4:"seed";
-- lock_failure=error, this process, changed and closed
warning: session_start(): rsmemcache: session <ID> is locked by another request; gave up after waiting %d ms (rsmemcache.lock_wait_time)
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
bool(false)
foreign lock intact, data who|s:4:"seed";
-- lock_failure=error, this process, session_abort()
warning: session_start(): rsmemcache: session <ID> is locked by another request; gave up after waiting %d ms (rsmemcache.lock_wait_time)
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
bool(false)
foreign lock intact
-- lock_failure=error, a child that ends its request with the session open
child: warning: session_start(): rsmemcache: session <ID> is locked by another request; gave up after waiting %d ms (rsmemcache.lock_wait_time)
child: warning: session_start(): Failed to read session data: rsmemcache (path: %s)
child: start false
child: set
foreign lock intact, data who|s:4:"seed";
== our lock expired and another request's lock replaced it
-- close
child: start true
child: set
child: close true
foreign lock intact
-- close unchanged
child: start true
child: close true
foreign lock intact
-- abort
child: start true
child: abort true
foreign lock intact
-- destroy
child: start true
child: destroy true
foreign lock intact
-- end of request
child: start true
child: set
foreign lock intact
