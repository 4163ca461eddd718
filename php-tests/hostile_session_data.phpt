--TEST--
hostile: session data full of protocol lines, NULs and binary bytes is stored byte-exact and read back; nothing else on the servers changes
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$canary = h4_canary_set('hostdata');
$evil = PREFIX . h4_sid('hostdevil');
$payloads = [
    'crlf'   => "\r\nflush_all\r\n",
    'ms'     => "x\r\nms $evil 1 T0\r\nX\r\nmn\r\n",
    'reply'  => "HD\r\nVA 5\r\nHELLO\r\nEN\r\nSERVER_ERROR boom\r\n",
    'nul'    => "a\x00b\x00\r\n\x00",
    'binary' => random_bytes(100000),
    'edge'   => str_repeat('y', 16 * 1024 - 3) . "\r\nmn\r\n",   // a line end at the 16 KiB read-buffer edge
];
$sid = h4_sid('hostdata');
session_id($sid);
var_dump(session_start());
$_SESSION = $payloads;
$encoded = session_encode();
var_dump(session_write_close());
$where = mc_where(mc_key($sid));
echo "stored on one server: ", var_export(count($where) === 1, true), "\n";
echo "stored byte-exact: ", var_export(mc_get($where[0], mc_key($sid)) === $encoded, true), "\n";

session_id($sid);
var_dump(session_start());
echo "read back identical: ", var_export($_SESSION === $payloads, true), "\n";
session_destroy();
echo "after destroy: ", h4_absent(mc_key($sid)), "\n";
echo "injected key: ", h4_absent($evil), "\n";
echo "warnings: ", count(h4_msgs()), "\n";
echo "canary ", h4_canary_check($canary), "\n";
?>
--EXPECT--
bool(true)
bool(true)
stored on one server: true
stored byte-exact: true
bool(true)
read back identical: true
after destroy: absent everywhere
injected key: absent everywhere
warnings: 0
canary intact on all servers
