--TEST--
ini: a bad rsmemcache.connect_timeout from the ini file (not ini_set) is refused at session_start; ini_set of a good value recovers
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.connect_timeout=0
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$canary = h4_canary_set('inisec');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
var_dump(ini_get('rsmemcache.connect_timeout'));
$sid = h4_sid('inisec');
session_id($sid);
var_dump(session_start());
$_SESSION['probe'] = 1;
var_dump(session_write_close());
echo "rsmemcache warnings: ", h4_count_rsmc(h4_msgs()), "; key ", h4_absent(mc_key($sid)), "\n";

echo "-- fixed with ini_set\n";
ini_set('rsmemcache.connect_timeout', '500');
h4_attempt('inisec');
echo "canary ", h4_canary_check($canary), "\n";
--EXPECTF--
string(1) "0"

Warning: session_start(): rsmemcache: invalid value '0' for rsmemcache.connect_timeout: expected an integer from 1 to 600000 in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path: %s) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
-- fixed with ini_set
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
