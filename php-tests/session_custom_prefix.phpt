--TEST--
session lifecycle: the key is rsmemcache.prefix + hashed session id, placed by the prefixed key
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
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
ini_set('rsmemcache.prefix', 'lc.pfx:');
$ring = [MC1 => 1, MC2 => 1, MC3 => 1];
$id = lc_sid('prefix');
$key = mc_key($id, 'lc.pfx:');   // prefix + hashed id (rsmemcache.key_hash = sha256)

session_id($id);
session_start();
$_SESSION['p'] = 1;
session_write_close();
var_dump(lc_holders($key) === [lc_home($ring, $key)]);
var_dump(mc_get(lc_home($ring, $key), $key));
var_dump(lc_holders(lc_key($id)));       // nothing under the default prefix

session_id($id);
session_start();
var_dump($_SESSION);
session_destroy();
var_dump(lc_holders($key));

echo "-- empty prefix: key = hashed id --\n";
ini_set('rsmemcache.prefix', '');
session_id($id);
session_start();
$_SESSION['p'] = 2;
session_write_close();
$bare = key_id($id);
var_dump(lc_holders($bare) === [lc_home($ring, $bare)]);
var_dump(mc_get(lc_home($ring, $bare), $bare));
foreach (lc_all_servers() as $s) { mc_delete($s, $bare); }
?>
--EXPECT--
bool(true)
string(6) "p|i:1;"
array(0) {
}
array(1) {
  ["p"]=>
  int(1)
}
array(0) {
}
-- empty prefix: key = hashed id --
bool(true)
string(6) "p|i:2;"
