--TEST--
session lifecycle: session_start(['read_and_close' => true]) reads the data and writes nothing (value, CAS and TTL unchanged)
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
session.gc_maxlifetime=100
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$id = lc_sid('readclose');
$key = lc_key($id);
$home = lc_home([MC1 => 1, MC2 => 1, MC3 => 1], $key);

session_id($id);
session_start();
$_SESSION['seen'] = 1;
session_write_close();
$before = mc_meta($home, $key);

ini_set('session.gc_maxlifetime', '5000');   // a write or touch would show up in the TTL
session_id($id);
var_dump(session_start(['read_and_close' => true]));
var_dump(session_status() === PHP_SESSION_NONE);
var_dump($_SESSION);
$_SESSION['seen'] = 2;                        // no effect: the session is closed
$_SESSION['more'] = 'x';
var_dump(session_write_close());

$after = mc_meta($home, $key);
var_dump($after['c'] === $before['c']);
var_dump(lc_ttl_ok($after, 100));
var_dump(mc_get($home, $key));
var_dump(lc_holders($key) === [$home]);

echo "-- unknown id with read_and_close: nothing is created --\n";
$ghost = lc_sid('readcloseghost');
session_id($ghost);
var_dump(session_start(['read_and_close' => true]));
var_dump($_SESSION);
var_dump(lc_holders(lc_key($ghost)));
lc_forget($id, $ghost);
?>
--EXPECT--
bool(true)
bool(true)
array(1) {
  ["seen"]=>
  int(1)
}
bool(false)
bool(true)
bool(true)
string(9) "seen|i:1;"
bool(true)
-- unknown id with read_and_close: nothing is created --
bool(true)
array(0) {
}
array(0) {
}
