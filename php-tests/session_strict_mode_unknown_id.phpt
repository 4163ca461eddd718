--TEST--
session lifecycle: strict mode replaces an unknown id with a new one and writes nothing under the unknown id
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
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$ring = [MC1 => 1, MC2 => 1, MC3 => 1];
$unknown = lc_sid('strictunknown');

session_id($unknown);
var_dump(session_start());
$new = session_id();
var_dump($new !== $unknown, lc_is_php_id($new));
var_dump($_SESSION);
echo "during request, unknown id: ";
var_dump(lc_holders(lc_key($unknown)));
echo "during request, new id: ";
var_dump(lc_holders(lc_key($new)));      // create_sid only probes
$_SESSION['fresh'] = true;
var_dump(session_write_close());

echo "-- after close --\n";
var_dump(lc_holders(lc_key($unknown)));
var_dump(lc_holders(lc_key($new)) === [lc_home($ring, lc_key($new))]);
var_dump(mc_get(lc_home($ring, lc_key($new)), lc_key($new)));

echo "-- the unknown id stays unknown on a second attempt --\n";
session_id($unknown);
session_start();
$second = session_id();
var_dump($second !== $unknown, $second !== $new);
session_write_close();
var_dump(lc_holders(lc_key($unknown)));
lc_forget($unknown, $new, $second);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
array(0) {
}
during request, unknown id: array(0) {
}
during request, new id: array(0) {
}
bool(true)
-- after close --
array(0) {
}
bool(true)
string(10) "fresh|b:1;"
-- the unknown id stays unknown on a second attempt --
bool(true)
bool(true)
array(0) {
}
