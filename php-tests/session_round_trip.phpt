--TEST--
session lifecycle: write, close, start again; memcached holds the exact serialized bytes with TTL = gc_maxlifetime
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_maxlifetime=1234
session.lazy_write=1
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ini_set('session.save_path', MC1);
$id = lc_sid('roundtrip');
$key = lc_key($id);

echo "-- first request --\n";
session_id($id);
var_dump(session_start());
var_dump(session_id() === $id);
var_dump($_SESSION);
var_dump(lc_holders($key));             // session_start writes nothing
$_SESSION['n'] = 42;
$_SESSION['list'] = [1, 'two', 3.5];
$_SESSION['obj'] = new ArrayObject(['k' => 'v']);
var_dump(session_write_close());

echo "-- raw --\n";
var_dump(lc_holders($key) === [MC1]);
$raw = mc_get(MC1, $key);
var_dump($raw);
$meta = mc_meta(MC1, $key);
var_dump(lc_ttl_ok($meta, 1234));
// Client flags: version in bits 12-31 (see src/core/replica.rs), the bits
// pecl-memcache reads as type/compression markers all 0.
var_dump($meta['f'] & 0xfff, $meta['s'] === strlen($raw));

echo "-- second request --\n";
session_id($id);
var_dump(session_start());
var_dump($_SESSION['n'], $_SESSION['list'], $_SESSION['obj']['k']);
$_SESSION['n']++;
var_dump(session_write_close());
var_dump(mc_get(MC1, $key));

echo "-- third request --\n";
session_id($id);
var_dump(session_start());
var_dump($_SESSION['n']);
session_write_close();
lc_forget($id);
var_dump(lc_holders($key));
?>
--EXPECT--
-- first request --
bool(true)
bool(true)
array(0) {
}
array(0) {
}
bool(true)
-- raw --
bool(true)
string(127) "n|i:42;list|a:3:{i:0;i:1;i:1;s:3:"two";i:2;d:3.5;}obj|O:11:"ArrayObject":4:{i:0;i:0;i:1;a:1:{s:1:"k";s:1:"v";}i:2;a:0:{}i:3;N;}"
bool(true)
int(0)
bool(true)
-- second request --
bool(true)
int(42)
array(3) {
  [0]=>
  int(1)
  [1]=>
  string(3) "two"
  [2]=>
  float(3.5)
}
string(1) "v"
bool(true)
string(127) "n|i:43;list|a:3:{i:0;i:1;i:1;s:3:"two";i:2;d:3.5;}obj|O:11:"ArrayObject":4:{i:0;i:0;i:1;a:1:{s:1:"k";s:1:"v";}i:2;a:0:{}i:3;N;}"
-- third request --
bool(true)
int(43)
array(0) {
}
