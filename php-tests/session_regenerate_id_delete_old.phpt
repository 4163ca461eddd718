--TEST--
session lifecycle: session_regenerate_id(true) deletes the old key and the new key holds the data
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_maxlifetime=1440
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start(); // keep headers unsent: session_regenerate_id() refuses to run after output
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$ring = [MC1 => 1, MC2 => 1, MC3 => 1];
$old = lc_sid('regendel');

session_id($old);
session_start();
$_SESSION['a'] = 1;
session_write_close();
var_dump(lc_holders(lc_key($old)) === [lc_home($ring, lc_key($old))]);

session_id($old);
session_start();
$_SESSION['a'] = 2;
var_dump(session_regenerate_id(true));
$new = session_id();
var_dump($new !== $old, lc_is_php_id($new));
echo "old key during request: ";
var_dump(lc_holders(lc_key($old)));
var_dump(session_write_close());

echo "-- after close --\n";
var_dump(lc_holders(lc_key($old)));
var_dump(lc_holders(lc_key($new)) === [lc_home($ring, lc_key($new))]);
var_dump(mc_get(lc_home($ring, lc_key($new)), lc_key($new)));

echo "-- old id is empty, new id has the data --\n";
session_id($new);
session_start();
var_dump($_SESSION);
session_write_close();
session_id($old);
session_start();
var_dump($_SESSION);
session_abort();
var_dump(lc_holders(lc_key($old)));
lc_forget($old, $new);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
old key during request: array(0) {
}
bool(true)
-- after close --
array(0) {
}
bool(true)
string(6) "a|i:2;"
-- old id is empty, new id has the data --
array(1) {
  ["a"]=>
  int(2)
}
array(0) {
}
array(0) {
}
