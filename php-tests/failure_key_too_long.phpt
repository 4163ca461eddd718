--TEST--
failure: a prefix + id longer than 250 bytes is refused with the key length (never truncated, nothing stored); exactly 250 works
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.locking=0
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$canary = h4_canary_set('longkey');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$prefix = 'h4long.' . str_repeat('k', 193);          // 200 bytes, the longest allowed prefix
ini_set('rsmemcache.prefix', $prefix);

echo "-- 200 + 51 = 251 bytes\n";
$sid = substr(h4_sid('lk') . str_repeat('0', 51), 0, 51);
session_id($sid);
var_dump(session_start());
$_SESSION['probe'] = 1;
var_dump(session_write_close());
// A truncating client would have stored the first 250 bytes of the key.
echo "truncated key: ", h4_absent(substr($prefix . $sid, 0, 250)), "\n";
echo "default-prefix key: ", h4_absent(mc_key($sid)), "\n";

echo "-- 200 + 50 = 250 bytes (the limit) is stored\n";
$sid50 = substr($sid, 0, 50);
session_id($sid50);
var_dump(session_start());
$_SESSION['probe'] = 1;
var_dump(session_write_close());
echo "stored on one server: ", var_export(count(mc_where(mc_key($sid50, $prefix))) === 1, true), "\n";
session_id($sid50);
session_start();
session_destroy();

echo "-- a PHP-generated id that is too long (session.sid_length=64)\n";
// session.sid_length is deprecated since PHP 8.4 (still honoured there and in
// 8.5); the deprecation notice is not what this test is about, the setting
// taking effect is: it is checked before the start.
$er = error_reporting(E_ALL & ~E_DEPRECATED);
$set = ini_set('session.sid_length', '64');
error_reporting($er);
echo "sid_length set: ", var_export($set !== false && ini_get('session.sid_length') === '64', true), "\n";
var_dump(session_start());
var_dump(session_id());
echo "canary ", h4_canary_check($canary), "\n";
--EXPECTF--
-- 200 + 51 = 251 bytes

Warning: session_start(): rsmemcache: session id 'h4lk%s' refused: key would be 251 bytes, memcached allows 250 in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: %s) in %s on line %d
bool(false)
bool(false)
truncated key: absent everywhere
default-prefix key: absent everywhere
-- 200 + 50 = 250 bytes (the limit) is stored
bool(true)
bool(true)
stored on one server: true
-- a PHP-generated id that is too long (session.sid_length=64)
sid_length set: true

Warning: session_start(): rsmemcache: session id '%s' refused: key would be 264 bytes, memcached allows 250 in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: %s) in %s on line %d
bool(false)
string(0) ""
canary intact on all servers
