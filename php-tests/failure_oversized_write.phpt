--TEST--
failure: a session larger than the server's item size (memcached -I 1m) is refused with its size and the server's answer; the previous copy stays; the process keeps working
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc';
$r = mc_raw(MC1, "stats settings\r\n", "/END\r\n$/");
if (!preg_match('/STAT item_size_max (\d+)/', $r, $m) || $m[1] > 1048576) { die('skip needs memcached started with -I 1m'); } ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$canary = h4_canary_set('big');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$sid = h4_sid('big');
$key = mc_key($sid);

echo "-- 1. a small session\n";
session_id($sid);
var_dump(session_start());
$_SESSION['n'] = 1;
var_dump(session_write_close());
$home = mc_where($key);
echo "stored on one server: ", var_export(count($home) === 1, true), "\n";
$home = $home[0];
var_dump(mc_get($home, $key));

echo "-- 2. the same session grows to 2 MB\n";
session_id($sid);
var_dump(session_start());
var_dump($_SESSION);
$_SESSION['big'] = str_repeat('x', 2 * 1024 * 1024);
$size = strlen(session_encode());
echo "encoded size: $size\n";
var_dump(session_write_close());
$msgs = h4_msgs();
echo "warning: ", var_export(($msgs[0] ?? '') === "session_write_close(): rsmemcache: session " . substr($sid, 0, 6) . "... not written ($size bytes): server $home stores at most 1048576 bytes per item (item_size_max); the previous copy is kept", true), "\n";
echo "previous copy intact: ", var_export(mc_get($home, $key) === 'n|i:1;', true), "\n";

echo "-- 3. the next request on the same process works\n";
session_id($sid);
var_dump(session_start());
var_dump($_SESSION);
$_SESSION['n'] = 2;
var_dump(session_write_close());
var_dump(mc_get($home, $key));
echo "still on one server: ", var_export(mc_where($key) === [$home], true), "\n";

session_id($sid);
session_start();
session_destroy();
echo "key after destroy: ", h4_absent($key), "\n";
echo "canary ", h4_canary_check($canary), "\n";
--EXPECTF--
-- 1. a small session
bool(true)
bool(true)
stored on one server: true
string(6) "n|i:1;"
-- 2. the same session grows to 2 MB
bool(true)
array(1) {
  ["n"]=>
  int(1)
}
encoded size: 2097175

Warning: session_write_close(): rsmemcache: session h4big%s not written (2097175 bytes): server %s stores at most 1048576 bytes per item (item_size_max); the previous copy is kept in %s on line %d

Warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s) in %s on line %d
bool(true)
warning: true
previous copy intact: true
-- 3. the next request on the same process works
bool(true)
array(1) {
  ["n"]=>
  int(1)
}
bool(true)
string(6) "n|i:2;"
still on one server: true
key after destroy: absent everywhere
canary intact on all servers
