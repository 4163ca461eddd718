--TEST--
session lifecycle: session_abort() discards changes; the stored data is untouched (value, CAS and TTL)
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
ini_set('session.save_path', MC1);
$id = lc_sid('abort');
$key = lc_key($id);

session_id($id);
session_start();
$_SESSION['balance'] = 10;
session_write_close();
$before = mc_meta(MC1, $key);

ini_set('session.gc_maxlifetime', '5000');
session_id($id);
session_start();
$_SESSION['balance'] = 0;
var_dump(session_abort());
var_dump(session_status() === PHP_SESSION_NONE);
var_dump(mc_get(MC1, $key));
$after = mc_meta(MC1, $key);
var_dump($after['c'] === $before['c'], lc_ttl_ok($after, 100));

echo "-- next request sees the stored data --\n";
session_id($id);
session_start();
var_dump($_SESSION);
session_abort();

echo "-- abort of a new session creates nothing --\n";
$fresh = lc_sid('abortfresh');
session_id($fresh);
session_start();
$_SESSION['x'] = 1;
session_abort();
var_dump(lc_holders(lc_key($fresh)));
lc_forget($id, $fresh);
?>
--EXPECT--
bool(true)
bool(true)
string(13) "balance|i:10;"
bool(true)
bool(true)
-- next request sees the stored data --
array(1) {
  ["balance"]=>
  int(10)
}
-- abort of a new session creates nothing --
array(0) {
}
