--TEST--
failure: a refused port makes session_start() fail promptly, naming the server; while marked failed it is not retried
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
$canary = h4_canary_set('refused');
ini_set('session.save_path', MC_REFUSED);

echo "-- known id\n";
$sid = h4_sid('refused');
session_id($sid);
$t0 = hrtime(true);
var_dump(session_start());
$ms = h4_ms($t0);
$msgs = h4_msgs();
echo "under 500 ms: ", var_export($ms < 500, true), "\n";
echo "names the server: ", var_export(str_contains($msgs[0] ?? '', 'rsmemcache: server ' . MC_REFUSED . ': connect failed: '), true), "\n";
$_SESSION['probe'] = 1;
var_dump(session_write_close());
echo "key ", h4_absent(mc_key($sid)), "\n";

echo "-- again, same process: skipped while marked failed\n";
session_id($sid);
$t0 = hrtime(true);
var_dump(session_start());
$ms = h4_ms($t0);
$msgs = h4_msgs();
echo "under 50 ms: ", var_export($ms < 50, true), "\n";
preg_match('/next retry in (\d+) ms/', $msgs[0] ?? '', $m);
echo "retry in (0, 15000] ms: ", var_export(isset($m[1]) && $m[1] > 0 && $m[1] <= 15000, true), "\n";

echo "-- a new visitor (no id) is refused at once too\n";
$t0 = hrtime(true);
var_dump(session_start());
echo "under 50 ms: ", var_export(h4_ms($t0) < 50, true), "\n";
h4_msgs();
echo "canary ", h4_canary_check($canary), "\n";
--EXPECTF--
-- known id

Warning: session_start(): rsmemcache: server 127.0.0.1:%d: connect failed: %s in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
under 500 ms: true
names the server: true
bool(false)
key absent everywhere
-- again, same process: skipped while marked failed

Warning: session_start(): rsmemcache: server 127.0.0.1:%d is marked failed after an error; next retry in %d ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
under 50 ms: true
retry in (0, 15000] ms: true
-- a new visitor (no id) is refused at once too

Warning: session_start(): rsmemcache: server 127.0.0.1:%d is marked failed after an error; next retry in %d ms in %s on line %d

Warning: session_start(): rsmemcache: server 127.0.0.1:%d is marked failed after an error; next retry in %d ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
under 50 ms: true
canary intact on all servers
