--TEST--
session lifecycle: session_gc() returns int(0), not false, and deletes nothing
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_probability=1
session.gc_divisor=1
session.gc_maxlifetime=60
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ini_set('session.save_path', MC1);
$old = lc_sid('gcold');
var_dump(mc_set(MC1, lc_key($old), 'old|b:1;', 300));   // a session GC must leave alone
$id = lc_sid('gc');

session_id($id);
var_dump(session_start());                 // gc_probability 1/1: GC runs here too
var_dump(session_gc());
var_dump(session_gc());
$_SESSION['k'] = 'v';
var_dump(session_write_close());
var_dump(mc_get(MC1, lc_key($old)));
var_dump(mc_get(MC1, lc_key($id)));
lc_forget($old, $id);
?>
--EXPECT--
string(2) "HD"
bool(true)
int(0)
int(0)
bool(true)
string(8) "old|b:1;"
string(10) "k|s:1:"v";"
