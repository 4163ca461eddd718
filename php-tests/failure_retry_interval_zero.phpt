--TEST--
failure: with retry_interval 0 (directive or save_path parameter) a failed server is tried again at once; a save_path retry_interval overrides the directive
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.timeout=300
rsmemcache.connect_timeout=300
rsmemcache.retry_interval=60
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$srv = h4_server('silent');
function attempt(array $srv, string $sid): void {
    session_id($sid);
    $t0 = hrtime(true);
    var_dump(session_start());
    $ms = h4_ms($t0);
    $msgs = h4_msgs();
    if (str_contains($msgs[0] ?? '', "server {$srv['addr']}: no answer within 300 ms")) {
        echo "tried again: waited ", $ms >= 250 ? ">= 250 ms" : "too little", "\n";
    } elseif (preg_match('/server (\S+) is marked failed after an error; next retry in (\d+) ms/', $msgs[0] ?? '', $m)) {
        echo "skipped: ", $ms < 50 ? "at once" : "slowly", ", next retry in ", round($m[2] / 1000), " s\n";
    } else {
        echo "unexpected: ", h4_norm(implode(' | ', $msgs)), "\n";
    }
    echo "connections: ", h4_server_count($srv), "\n";
}
try {
    $sid = h4_sid('retry0');
    echo "-- rsmemcache.retry_interval=0\n";
    ini_set('rsmemcache.retry_interval', '0');
    ini_set('session.save_path', $srv['addr']);
    attempt($srv, $sid);
    attempt($srv, $sid);

    echo "-- directive 15, save_path ?retry_interval=0\n";
    ini_set('rsmemcache.retry_interval', '15');
    ini_set('session.save_path', "tcp://{$srv['addr']}?retry_interval=0");
    attempt($srv, $sid);
    attempt($srv, $sid);

    echo "-- directive 0, save_path ?retry_interval=60\n";
    ini_set('rsmemcache.retry_interval', '0');
    ini_set('session.save_path', "tcp://{$srv['addr']}?retry_interval=60");
    attempt($srv, $sid);
    attempt($srv, $sid);
} finally {
    h4_server_stop($srv);
}
echo "key ", h4_absent(mc_key($sid)), "\n";
--EXPECTF--
-- rsmemcache.retry_interval=0

Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 300 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
tried again: waited >= 250 ms
connections: 1

Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 300 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
tried again: waited >= 250 ms
connections: 2
-- directive 15, save_path ?retry_interval=0

Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 300 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: tcp://127.0.0.1:%d?retry_interval=0) in %s on line %d
bool(false)
tried again: waited >= 250 ms
connections: 3

Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 300 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: tcp://127.0.0.1:%d?retry_interval=0) in %s on line %d
bool(false)
tried again: waited >= 250 ms
connections: 4
-- directive 0, save_path ?retry_interval=60

Warning: session_start(): rsmemcache: server 127.0.0.1:%d: no answer within 300 ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: tcp://127.0.0.1:%d?retry_interval=60) in %s on line %d
bool(false)
tried again: waited >= 250 ms
connections: 5

Warning: session_start(): rsmemcache: server 127.0.0.1:%d is marked failed after an error; next retry in %d ms in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: tcp://127.0.0.1:%d?retry_interval=60) in %s on line %d
bool(false)
skipped: at once, next retry in 60 s
connections: 5
key absent everywhere
