--TEST--
failure: a server that accepts but never answers fails session_start() after rsmemcache.timeout, naming the server
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.timeout=300
rsmemcache.connect_timeout=300
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$srv = h4_server('silent');
try {
    ini_set('session.save_path', $srv['addr']);
    $sid = h4_sid('silent');
    session_id($sid);
    $t0 = hrtime(true);
    var_dump(session_start());
    $ms = h4_ms($t0);
    $msgs = h4_msgs();
    echo "waited the timeout (>= 250 ms): ", var_export($ms >= 250, true), "\n";
    echo "returned within 1 s: ", var_export($ms < 1000, true), "\n";
    echo "names the server: ", var_export(str_contains($msgs[0] ?? '', "rsmemcache: server {$srv['addr']}: no answer within 300 ms"), true), "\n";
    var_dump(session_status() === PHP_SESSION_NONE);
    echo "connections the server accepted: ", h4_server_count($srv), "\n";
} finally {
    h4_server_stop($srv);
}
echo "key ", h4_absent(mc_key($sid)), "\n";
--EXPECTF--
Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 300 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
waited the timeout (>= 250 ms): true
returned within 1 s: true
names the server: true
bool(true)
connections the server accepted: 1
key absent everywhere
