--TEST--
ini: a bad rsmemcache.previous_save_path is refused like a bad save_path, naming the directive: at session_start() when it came from startup, at once by ini_set(); empty turns it off
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.previous_save_path="127.0.0.1:11211, tcp://127.0.0.1:99999"
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/config.inc';
ob_start();
set_error_handler(function (int $no, string $msg) { echo "warning: $msg\n"; return true; });
ini_set('session.save_path', MC1);
$r = session_start();
echo "from startup: session_start: ", var_export($r, true), "\n";
foreach (['udp://127.0.0.1:1', '127.0.0.1:1,127.0.0.1:1', ',', 'tcp://127.0.0.1:1?weight=0'] as $bad) {
    echo "-- ", json_encode($bad), "\n";
    $r = ini_set('rsmemcache.previous_save_path', $bad);
    echo "ini_set: ", var_export($r, true), "; kept: ", var_export(ini_get('rsmemcache.previous_save_path') === '127.0.0.1:11211, tcp://127.0.0.1:99999', true), "\n";
}
echo "-- \"\"\n";
$r = ini_set('rsmemcache.previous_save_path', '');
echo "ini_set: ", var_export($r !== false, true), "\n";
session_id('prevbad' . getmypid());
$r = session_start();
echo "off: session_start: ", var_export($r, true), "\n";
session_destroy();
?>
--EXPECTF--
warning: session_start(): rsmemcache: invalid rsmemcache.previous_save_path entry 'tcp://127.0.0.1:99999': port '99999' must be 1-65535
warning: session_start(): Failed to initialize storage module: rsmemcache (path: %s)
from startup: session_start: false
-- "udp:\/\/127.0.0.1:1"
warning: ini_set(): rsmemcache: invalid rsmemcache.previous_save_path entry 'udp://127.0.0.1:1': UDP is not supported for sessions; use tcp://
ini_set: false; kept: true
-- "127.0.0.1:1,127.0.0.1:1"
warning: ini_set(): rsmemcache: invalid rsmemcache.previous_save_path entry '127.0.0.1:1': server listed twice
ini_set: false; kept: true
-- ","
warning: ini_set(): rsmemcache: invalid rsmemcache.previous_save_path entry ',': no server given (leave it empty for none)
ini_set: false; kept: true
-- "tcp:\/\/127.0.0.1:1?weight=0"
warning: ini_set(): rsmemcache: invalid rsmemcache.previous_save_path entry 'tcp://127.0.0.1:1?weight=0': weight '0' must be an integer 1-100
ini_set: false; kept: true
-- ""
ini_set: true
off: session_start: true
