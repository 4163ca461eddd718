--TEST--
locking: a request that opened the session read-only (lock_failure=readonly) cannot destroy it while another request holds its lock; the holder's write lands
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
ob_start();
ini_set('session.save_path', lk_path());
$id = lk_sid('rodestroy');
session_id($id);
session_start();
$_SESSION['who'] = 'seed';
session_write_close();

$holder = lk_spawn('lock_session.php', [lk_path(), $id]);
lk_send($holder, 'start');
echo "holder: ", explode(' ms=', lk_expect($holder, 'start', true))[0], "\n";

// This request gives up waiting and reads the session read-only, then tries to destroy it.
ini_set('rsmemcache.lock_wait_time', '100');
ini_set('rsmemcache.lock_failure', 'readonly');
set_error_handler(static fn (): bool => true);   // whatever it warns, the data must stay
session_id($id);
var_dump(session_start());
session_destroy();
restore_error_handler();
echo "data after the read-only destroy: ", var_export(mc_get(lk_home($id), lc_key($id)), true), "\n";

lk_send($holder, 'set who holder');
lk_send($holder, 'close');
$r = lk_finish($holder);
lk_show('holder', array_map(static fn ($l) => preg_replace('/ t=\d+/', '', $l), $r['out']), $id);
echo "stored: ", var_export(mc_get(lk_home($id), lc_key($id)), true), "\n";
lk_forget($id);
?>
--EXPECT--
holder: start true
bool(true)
data after the read-only destroy: 'who|s:4:"seed";'
holder: set
holder: close true
stored: 'who|s:6:"holder";'
