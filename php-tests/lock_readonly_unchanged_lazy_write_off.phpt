--TEST--
locking: an unchanged session opened read-only (lock_failure=readonly) is left alone without a warning also with session.lazy_write=0
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=0
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
ini_set('session.save_path', lk_path());
$id = lk_sid('rolazy');
session_id($id);
session_start();
$_SESSION['who'] = 'seed';
session_write_close();

// Another request holds the lock (a foreign token) for the whole wait.
mc_set(lk_home($id), lk_lock_key($id), 'foreign-' . bin2hex(random_bytes(4)), 60);
ini_set('rsmemcache.lock_wait_time', '100');
ini_set('rsmemcache.lock_failure', 'readonly');
set_error_handler(static function (int $no, string $str) use ($id): bool {
    echo "warning: ", str_replace([$id, substr($id, 0, 6) . '...'], '<ID>', $str), "\n";
    return true;
});
session_id($id);
var_dump(session_start());
var_dump($_SESSION);
var_dump(session_write_close());
echo "stored: ", mc_get(lk_home($id), lc_key($id)), "\n";
lk_forget($id);
?>
--EXPECT--
bool(true)
array(1) {
  ["who"]=>
  string(4) "seed"
}
bool(true)
stored: who|s:4:"seed";
