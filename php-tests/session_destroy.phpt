--TEST--
session lifecycle: session_destroy() removes the key from memcached; the id then reads as an empty session
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
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$ring = [MC1 => 1, MC2 => 1, MC3 => 1];
$id = lc_sid('destroy');
$key = lc_key($id);
$other = lc_sid('destroyother');   // a neighbour session that must survive

foreach ([$other, $id] as $sid) {
    session_id($sid);
    session_start();
    $_SESSION['who'] = $sid === $id ? 'victim' : 'neighbour';
    session_write_close();
}
var_dump(lc_holders($key) === [lc_home($ring, $key)]);

session_id($id);
var_dump(session_start());
var_dump($_SESSION['who']);
var_dump(session_destroy());
var_dump(session_status() === PHP_SESSION_NONE);
var_dump(lc_holders($key));
var_dump(mc_get(lc_home($ring, lc_key($other)), lc_key($other)));

echo "-- same id again --\n";
session_id($id);
var_dump(session_start());
var_dump($_SESSION);
var_dump(session_destroy());          // destroying a missing session is not an error
var_dump(lc_holders($key));
lc_forget($id, $other);
?>
--EXPECT--
bool(true)
bool(true)
string(6) "victim"
bool(true)
bool(true)
array(0) {
}
string(20) "who|s:9:"neighbour";"
-- same id again --
bool(true)
array(0) {
}
bool(true)
array(0) {
}
