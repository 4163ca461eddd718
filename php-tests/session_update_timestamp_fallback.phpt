--TEST--
session lifecycle: an unchanged session whose key vanished mid-request is written in full again at close
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
session.gc_maxlifetime=777
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$id = lc_sid('tsfallback');
$key = lc_key($id);
$home = lc_home([MC1 => 1, MC2 => 1, MC3 => 1], $key);

session_id($id);
session_start();
$_SESSION['cart'] = ['apple', "pe\0ar"];
session_write_close();
$stored = mc_get($home, $key);
var_dump(str_replace("\0", '\\0', $stored));

session_id($id);
session_start();
var_dump(count($_SESSION['cart']));
var_dump(mc_delete($home, $key));      // evicted / deleted behind PHP's back
var_dump(lc_holders($key));
var_dump(session_write_close());        // data unchanged: update_timestamp

var_dump(lc_holders($key) === [$home]);
var_dump(mc_get($home, $key) === $stored);
var_dump(lc_ttl_ok(mc_meta($home, $key), 777));

session_id($id);
session_start();
var_dump($_SESSION['cart'][1] === "pe\0ar");
session_write_close();
lc_forget($id);
?>
--EXPECT--
string(44) "cart|a:2:{i:0;s:5:"apple";i:1;s:5:"pe\0ar";}"
int(2)
string(2) "HD"
array(0) {
}
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
