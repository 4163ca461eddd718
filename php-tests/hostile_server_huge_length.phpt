--TEST--
hostile: a server announcing an absurd value length ("VA 99999999999999") fails the session with a warning; the PHP process must not abort
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
h4_watch();
$srv = h4_server('hugeva');
try {
    ini_set('session.save_path', $srv['addr']);
    session_id(h4_sid('hugeva'));
    $t0 = hrtime(true);
    var_dump(session_start());
    $msgs = h4_msgs();
    echo "under 1 s: ", var_export(h4_ms($t0) < 1000, true), "\n";
    echo "names the server: ", var_export(str_contains($msgs[0] ?? '', "rsmemcache: server {$srv['addr']}: "), true), "\n";
} finally {
    h4_server_stop($srv);
}
echo "still alive\n";
?>
--EXPECTF--
Warning: session_start(): rsmemcache: server 127.0.0.1:%d: %s in %s on line %d

Warning: session_start(): Failed to read session data: rsmemcache (path: 127.0.0.1:%d) in %s on line %d
bool(false)
under 1 s: true
names the server: true
still alive
