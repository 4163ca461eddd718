--TEST--
session lifecycle: strict mode keeps a known id, and validating it writes nothing (value, TTL and CAS untouched)
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=1
session.serialize_handler=php
session.gc_maxlifetime=1440
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
ini_set('session.save_path', MC1);

echo "-- id created by PHP in strict mode --\n";
var_dump(session_start());
$id = session_id();
var_dump(lc_is_php_id($id));
$_SESSION['step'] = 1;
session_write_close();
session_id($id);
var_dump(session_start());
var_dump(session_id() === $id, $_SESSION);
session_write_close();

echo "-- id stored behind PHP's back --\n";
$raw = lc_sid('strictknown');
var_dump(mc_set(MC1, lc_key($raw), 'step|i:7;', 300));
$before = mc_meta(MC1, lc_key($raw));
session_id($raw);
var_dump(session_start());
var_dump(session_id() === $raw, $_SESSION);
$during = mc_meta(MC1, lc_key($raw));
var_dump($during['c'] === $before['c'], lc_ttl_ok($during, 300));
var_dump(mc_get(MC1, lc_key($raw)));
session_abort();
lc_forget($id, $raw);
?>
--EXPECT--
-- id created by PHP in strict mode --
bool(true)
bool(true)
bool(true)
bool(true)
array(1) {
  ["step"]=>
  int(1)
}
-- id stored behind PHP's back --
string(2) "HD"
bool(true)
bool(true)
array(1) {
  ["step"]=>
  int(7)
}
bool(true)
bool(true)
string(9) "step|i:7;"
