--TEST--
session lifecycle: session_create_id() returns a new id and writes nothing for it
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
$id = lc_sid('createid');

session_id($id);
session_start();                            // active: create_sid + collision probe of the handler
$a = session_create_id();
$b = session_create_id('lcpre-');
var_dump(lc_is_php_id($a), $a !== $id);
var_dump(str_starts_with($b, 'lcpre-'), lc_is_php_id(substr($b, 6)), $a !== substr($b, 6));
var_dump(session_id() === $id);             // the current session keeps its id
var_dump(lc_holders(lc_key($a)), lc_holders(lc_key($b)));
$_SESSION['x'] = 1;
session_write_close();
var_dump(lc_holders(lc_key($a)), lc_holders(lc_key($b)));
var_dump(count(lc_holders(lc_key($id))));

echo "-- no active session --\n";
$c = session_create_id();
var_dump(lc_is_php_id($c), lc_holders(lc_key($c)));
lc_forget($id);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
array(0) {
}
array(0) {
}
array(0) {
}
array(0) {
}
int(1)
-- no active session --
bool(true)
array(0) {
}
