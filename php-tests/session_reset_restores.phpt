--TEST--
session lifecycle: session_reset() restores $_SESSION from the stored data; the stored data is not rewritten
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
session.gc_maxlifetime=1440
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
ini_set('session.save_path', MC1);
$id = lc_sid('reset');
$key = lc_key($id);

session_id($id);
session_start();
$_SESSION['count'] = 5;
session_write_close();
$before = mc_meta(MC1, $key);

session_id($id);
session_start();
$_SESSION['count'] = 99;
$_SESSION['junk'] = 'discard me';
var_dump(session_reset());
var_dump(session_status() === PHP_SESSION_ACTIVE, session_id() === $id);
var_dump($_SESSION);
var_dump(session_write_close());
var_dump(mc_get(MC1, $key));
var_dump(mc_meta(MC1, $key)['c'] === $before['c']);   // unchanged after reset: touched, not rewritten

echo "-- reset then change --\n";
session_id($id);
session_start();
$_SESSION['count'] = 99;
session_reset();
$_SESSION['count']++;
session_write_close();
var_dump(mc_get(MC1, $key));
lc_forget($id);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
array(1) {
  ["count"]=>
  int(5)
}
bool(true)
string(10) "count|i:5;"
bool(true)
-- reset then change --
string(10) "count|i:6;"
