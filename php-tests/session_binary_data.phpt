--TEST--
session lifecycle: values with NUL, CRLF and protocol lines ("\r\nflush_all\r\n") round trip byte for byte; other keys are intact
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_maxlifetime=1440
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$id = lc_sid('binary');
$key = lc_key($id);
$home = lc_home([MC1 => 1, MC2 => 1, MC3 => 1], $key);

$canary = 'rsmemcache.canary.binary' . getmypid() . 'x' . bin2hex(random_bytes(6));
foreach ([MC1, MC2, MC3] as $s) { mc_set($s, $canary, "alive\r\non $s", 300); }

$all = '';
for ($i = 0; $i < 256; $i++) { $all .= chr($i); }
$evil = "a\0b\r\nflush_all\r\nEND\r\nEN\r\nVA 5 v\r\nHD\r\nmn\r\n\0\r\n";
$blob = random_bytes(300000) . "\r\nflush_all\r\n";
$weirdKey = "k\r\nflush_all\r\n";

session_id($id);
session_start();
$_SESSION['all'] = $all;
$_SESSION['evil'] = $evil;
$_SESSION['blob'] = $blob;
$_SESSION[$weirdKey] = 1;
var_dump(session_write_close());

$expected = 'all|s:256:"' . $all . '";'
    . 'evil|s:' . strlen($evil) . ':"' . $evil . '";'
    . 'blob|s:' . strlen($blob) . ':"' . $blob . '";'
    . $weirdKey . '|i:1;';
var_dump(lc_holders($key) === [$home]);
$raw = mc_get($home, $key);
var_dump(strlen($raw) === strlen($expected), $raw === $expected);

echo "-- read back --\n";
session_id($id);
session_start();
var_dump($_SESSION['all'] === $all, $_SESSION['evil'] === $evil, $_SESSION['blob'] === $blob);
var_dump($_SESSION[$weirdKey]);
var_dump(count($_SESSION));
session_write_close();

echo "-- canaries --\n";
foreach ([MC1, MC2, MC3] as $s) { var_dump(mc_get($s, $canary) === "alive\r\non $s"); }
foreach ([MC1, MC2, MC3] as $s) { mc_delete($s, $canary); }
lc_forget($id);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
-- read back --
bool(true)
bool(true)
bool(true)
int(1)
int(4)
-- canaries --
bool(true)
bool(true)
bool(true)
