--TEST--
session lifecycle: under PHP's own session defaults (no session.use_strict_mode, cookie or lazy_write setting: PHP 8.6 turns strict mode on) a session round trip works, an unknown id is adopted with strict mode off and replaced with it on, and a known id is kept either way
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
// PHP 8.6 changed the default of session.use_strict_mode from 0 to 1
// (main/php.ini and ext/session/session.c of PHP 8.6).
$strict = (bool) ini_get('session.use_strict_mode');
echo "strict mode by default where PHP 8.6 or later makes it so: ", var_export($strict === (PHP_VERSION_ID >= 80600), true), "\n";

echo "-- a new session under the defaults --\n";
session_start();
$id = session_id();
var_dump(lc_is_php_id($id));
$_SESSION['n'] = 1;
var_dump(session_write_close());

echo "-- the known id is kept and read back --\n";
session_id($id);
session_start();
var_dump(session_id() === $id, $_SESSION);
$_SESSION['n']++;
session_write_close();
session_id($id);
session_start();
var_dump($_SESSION['n']);
session_write_close();

echo "-- an unknown id: adopted without strict mode, replaced with it --\n";
$unknown = lc_sid('defaultsunknown');
session_id($unknown);
session_start();
$got = session_id();
echo "replaced: ", var_export($got !== $unknown, true), ", as strict mode says: ", var_export(($got !== $unknown) === $strict, true), "\n";
var_dump($_SESSION);
session_write_close();
lc_forget($id, $unknown, $got);
?>
--EXPECTF--
strict mode by default where PHP 8.6 or later makes it so: true
-- a new session under the defaults --
bool(true)
bool(true)
-- the known id is kept and read back --
bool(true)
array(1) {
  ["n"]=>
  int(1)
}
int(2)
-- an unknown id: adopted without strict mode, replaced with it --
replaced: %s, as strict mode says: true
array(0) {
}
