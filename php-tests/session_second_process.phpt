--TEST--
session lifecycle: a second PHP process reads the session the first wrote, and the first sees its changes
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
$path = MC1 . ',' . MC2 . ',' . MC3;
ini_set('session.save_path', $path);
$id = lc_sid('secondproc');
$key = lc_key($id);
putenv('LC_PARENT_PID=' . getmypid());

session_id($id);
var_dump(session_start());
$_SESSION['user'] = 'alice';
$_SESSION['cart'] = [7, 8];
var_dump(session_write_close());
$home = lc_home([MC1 => 1, MC2 => 1, MC3 => 1], $key);
var_dump(lc_holders($key) === [$home]);

$marker = 'm' . bin2hex(random_bytes(4));
$out = shell_exec(php_child_cmd(__DIR__ . '/lib/helpers/session_lifecycle_child.php', [$path, $id, $marker]) . ' 2>&1');
echo $out;

echo "-- raw after child --\n";
var_dump(lc_holders($key) === [$home]);
var_dump(mc_get($home, $key) === 'user|s:5:"alice";cart|a:2:{i:0;i:7;i:1;i:8;}child|s:9:"' . $marker . '";');

echo "-- parent again --\n";
session_id($id);
var_dump(session_start());
var_dump($_SESSION['user'], $_SESSION['cart'], $_SESSION['child'] === $marker);
session_write_close();
lc_forget($id);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
child pid differs: yes
child started: true
child kept id: true
child read: {"user":"alice","cart":[7,8]}
child wrote: true
-- raw after child --
bool(true)
bool(true)
-- parent again --
bool(true)
string(5) "alice"
array(2) {
  [0]=>
  int(7)
  [1]=>
  int(8)
}
bool(true)
