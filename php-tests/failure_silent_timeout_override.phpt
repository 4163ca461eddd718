--TEST--
failure: save_path ?timeout=0.2 overrides rsmemcache.timeout/connect_timeout for a server that never answers
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.timeout=5000
rsmemcache.connect_timeout=5000
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$srv = h4_server('silent');
try {
    ini_set('session.save_path', "tcp://{$srv['addr']}?timeout=0.2");
    $sid = h4_sid('silentov');
    session_id($sid);
    $t0 = hrtime(true);
    var_dump(session_start());
    $ms = h4_ms($t0);
    $msgs = h4_msgs();
    echo "waited the override (>= 150 ms): ", var_export($ms >= 150, true), "\n";
    echo "not the 5000 ms directive (< 1 s): ", var_export($ms < 1000, true), "\n";
    echo "names the server: ", var_export(str_contains($msgs[0] ?? '', "rsmemcache: server {$srv['addr']}: no answer within 200 ms"), true), "\n";
    echo "connections the server accepted: ", h4_server_count($srv), "\n";
} finally {
    h4_server_stop($srv);
}
echo "key ", h4_absent(mc_key($sid)), "\n";
--EXPECTF--
Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 200 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: tcp://127.0.0.1:%d?timeout=0.2) in %s on line %d
bool(false)
waited the override (>= 150 ms): true
not the 5000 ms directive (< 1 s): true
names the server: true
connections the server accepted: 1
key absent everywhere
