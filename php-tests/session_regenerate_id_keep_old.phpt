--TEST--
session lifecycle: session_regenerate_id(false) keeps the old key (with the data as of the call) and the new key holds the data
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
$old = lc_sid('regenkeep');

session_id($old);
session_start();
$_SESSION['a'] = 1;
session_write_close();

session_id($old);
session_start();
$_SESSION['a'] = 2;                       // changed before the regeneration
var_dump(session_regenerate_id(false));
$new = session_id();
var_dump($new !== $old, lc_is_php_id($new));
echo "old key during request: ";
var_dump(lc_holders(lc_key($old)) === [lc_home($ring, lc_key($old))]);
var_dump(mc_get(lc_home($ring, lc_key($old)), lc_key($old)));
$_SESSION['b'] = 3;                       // changed after the regeneration
var_dump(session_write_close());

echo "-- after close --\n";
var_dump(lc_holders(lc_key($old)) === [lc_home($ring, lc_key($old))]);
var_dump(mc_get(lc_home($ring, lc_key($old)), lc_key($old)));
var_dump(lc_holders(lc_key($new)) === [lc_home($ring, lc_key($new))]);
var_dump(mc_get(lc_home($ring, lc_key($new)), lc_key($new)));
var_dump(lc_ttl_ok(mc_meta(lc_home($ring, lc_key($new)), lc_key($new)), 1440));

echo "-- new id reads the data --\n";
session_id($new);
session_start();
var_dump($_SESSION);
session_write_close();
lc_forget($old, $new);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
old key during request: bool(true)
string(6) "a|i:2;"
bool(true)
-- after close --
bool(true)
string(6) "a|i:2;"
bool(true)
string(12) "a|i:2;b|i:3;"
bool(true)
-- new id reads the data --
array(2) {
  ["a"]=>
  int(2)
  ["b"]=>
  int(3)
}
