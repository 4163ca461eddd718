--TEST--
failure: after a timeout the server is skipped for rsmemcache.retry_interval: the next session_start() fails at once without connecting
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.timeout=300
rsmemcache.connect_timeout=300
rsmemcache.retry_interval=15
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$srv = h4_server('silent');
try {
    ini_set('session.save_path', $srv['addr']);
    $sid = h4_sid('retry');
    echo "-- first attempt\n";
    session_id($sid);
    var_dump(session_start());
    h4_msgs();
    echo "connections: ", h4_server_count($srv), "\n";

    echo "-- second attempt, same process\n";
    session_id($sid);
    $t0 = hrtime(true);
    var_dump(session_start());
    $ms = h4_ms($t0);
    $msgs = h4_msgs();
    echo "under 50 ms: ", var_export($ms < 50, true), "\n";
    preg_match('/server (\S+) is marked failed after an error; next retry in (\d+) ms/', $msgs[0] ?? '', $m);
    echo "names the server: ", var_export(($m[1] ?? '') === $srv['addr'], true), "\n";
    echo "retry in (14000, 15000] ms: ", var_export(isset($m[2]) && $m[2] > 14000 && $m[2] <= 15000, true), "\n";
    echo "connections: ", h4_server_count($srv), "\n";

    echo "-- a new visitor (no id), same process\n";
    $t0 = hrtime(true);
    var_dump(session_start());
    echo "under 50 ms: ", var_export(h4_ms($t0) < 50, true), "\n";
    h4_msgs();
    echo "connections: ", h4_server_count($srv), "\n";
} finally {
    h4_server_stop($srv);
}
echo "key ", h4_absent(mc_key($sid)), "\n";
--EXPECTF--
-- first attempt

Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 300 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
connections: 1
-- second attempt, same process

Warning: session_start(): rsmemcache: server 127.0.0.1:%d is marked failed after an error; next retry in %d ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
under 50 ms: true
names the server: true
retry in (14000, 15000] ms: true
connections: 1
-- a new visitor (no id), same process

Warning: session_start(): rsmemcache: server 127.0.0.1:%d is marked failed after an error; next retry in %d ms in %s on line %d

Warning: session_start(): rsmemcache: server 127.0.0.1:%d is marked failed after an error; next retry in %d ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
under 50 ms: true
connections: 1
key absent everywhere
