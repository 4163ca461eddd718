--TEST--
session lifecycle: a gc_maxlifetime over 30 days is honoured (memcached's absolute-time rule), for writes and TTL refreshes
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
session.gc_maxlifetime=3456000
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
ini_set('session.save_path', MC1);
$id = lc_sid('longlife');
$key = lc_key($id);

session_id($id);
session_start();
$_SESSION['days'] = 40;
session_write_close();
$m1 = mc_meta(MC1, $key);
var_dump(lc_ttl_ok($m1, 3456000));       // 40 days, not "already expired" nor "never"
var_dump(mc_get(MC1, $key));

echo "-- unchanged, 60 days: touched --\n";
ini_set('session.gc_maxlifetime', '5184000');
session_id($id);
session_start();
session_write_close();
$m2 = mc_meta(MC1, $key);
var_dump(lc_ttl_ok($m2, 5184000), $m2['c'] === $m1['c']);

echo "-- exactly 30 days --\n";
ini_set('session.gc_maxlifetime', '2592000');
session_id($id);
session_start();
$_SESSION['days'] = 30;
session_write_close();
var_dump(lc_ttl_ok(mc_meta(MC1, $key), 2592000), mc_get(MC1, $key));
lc_forget($id);
?>
--EXPECT--
bool(true)
string(10) "days|i:40;"
-- unchanged, 60 days: touched --
bool(true)
bool(true)
-- exactly 30 days --
bool(true)
string(10) "days|i:30;"
