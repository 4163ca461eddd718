--TEST--
hostile: a server that closes at once or answers garbage fails the session cleanly (warning naming it, process survives)
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.timeout=500
rsmemcache.connect_timeout=500
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch(true);
foreach (['close', 'garbage'] as $mode) {
    echo "-- $mode\n";
    $srv = h4_server($mode);
    try {
        ini_set('session.save_path', $srv['addr']);
        session_id(h4_sid('rogue'));
        $t0 = hrtime(true);
        $started = session_start();
        $ms = h4_ms($t0);
        $msgs = h4_msgs();
        printf("start=%s under 1 s=%s names the server=%s\n", var_export($started, true), var_export($ms < 1000, true),
            var_export(str_contains($msgs[0] ?? '', "rsmemcache: server {$srv['addr']}"), true));
    } finally {
        h4_server_stop($srv);
    }
}
echo "still alive\n";
--EXPECTF--
-- close
Warning: session_start(): rsmemcache: server 127.0.0.1:%d: I/O error: %s
Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d)
start=false under 1 s=true names the server=true
-- garbage
Warning: session_start(): rsmemcache: server 127.0.0.1:%d: protocol error: unexpected reply 'HELLO WORLD'%S
Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d)
start=false under 1 s=true names the server=true
still alive
