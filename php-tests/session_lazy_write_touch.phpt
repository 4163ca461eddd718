--TEST--
session lifecycle: lazy_write refreshes the TTL of an unchanged session without rewriting it; a change rewrites it
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
ob_start(); // session ini may not change once output (headers) has been sent
ini_set('session.save_path', MC1);
$id = lc_sid('lazytouch');
$key = lc_key($id);

session_id($id);
session_start();
$_SESSION['v'] = 1;
session_write_close();
$m1 = mc_meta(MC1, $key);
var_dump(lc_ttl_ok($m1, 100));

echo "-- unchanged, gc_maxlifetime=5000 --\n";
ini_set('session.gc_maxlifetime', '5000');
session_id($id);
session_start();
var_dump($_SESSION['v']);
var_dump(session_write_close());
$m2 = mc_meta(MC1, $key);
var_dump(lc_ttl_ok($m2, 5000));
var_dump($m2['c'] === $m1['c']);      // not rewritten
var_dump(mc_get(MC1, $key));

echo "-- changed --\n";
ini_set('session.gc_maxlifetime', '3000');
session_id($id);
session_start();
$_SESSION['v'] = 2;
var_dump(session_write_close());
$m3 = mc_meta(MC1, $key);
var_dump(lc_ttl_ok($m3, 3000));
var_dump($m3['c'] !== $m2['c']);
var_dump(mc_get(MC1, $key));

echo "-- lazy_write off: unchanged data is rewritten --\n";
ini_set('session.lazy_write', '0');
session_id($id);
session_start();
session_write_close();
$m4 = mc_meta(MC1, $key);
var_dump($m4['c'] !== $m3['c'], mc_get(MC1, $key));
lc_forget($id);
?>
--EXPECT--
bool(true)
-- unchanged, gc_maxlifetime=5000 --
int(1)
bool(true)
bool(true)
bool(true)
string(6) "v|i:1;"
-- changed --
bool(true)
bool(true)
bool(true)
string(6) "v|i:2;"
-- lazy_write off: unchanged data is rewritten --
bool(true)
string(6) "v|i:2;"
