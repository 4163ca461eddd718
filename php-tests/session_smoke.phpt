--TEST--
rsmemcache: a session written by one request is read back by the next
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/config.inc';
ini_set('session.save_path', MC1);
session_id('smoke' . getmypid());
var_dump(session_start());
$_SESSION['greeting'] = 'hello';
var_dump(session_write_close());
$_SESSION = [];
var_dump(session_start());
var_dump($_SESSION['greeting']);
session_destroy();
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
string(5) "hello"
