--TEST--
ini: bad rsmemcache.retry_interval values are refused by name at ini_set() (the old value stays); 0 and the maximum are accepted
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
h4_watch(true);
$canary = h4_canary_set('iniri');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
foreach (['-1', '86401', 'x', '1.5', '', '15s'] as $value) {
    echo "-- rsmemcache.retry_interval=", json_encode($value), "\n";
    $result = ini_set('rsmemcache.retry_interval', $value);
    h4_msgs();   // the ini_set() warning, printed above: count only session_start()'s below
    echo "ini_set: ", var_export($result, true), "; now ", ini_get('rsmemcache.retry_interval'), "\n";
    h4_attempt('iniri');
}
foreach (['0', '86400'] as $value) {
    echo "-- rsmemcache.retry_interval=", json_encode($value), " (valid)\n";
    ini_set('rsmemcache.retry_interval', $value);
    h4_attempt('iniri');
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- rsmemcache.retry_interval="-1"
Warning: ini_set(): rsmemcache: invalid value '-1' for rsmemcache.retry_interval: expected an integer from 0 to 86400
ini_set: false; now 15
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.retry_interval="86401"
Warning: ini_set(): rsmemcache: invalid value '86401' for rsmemcache.retry_interval: expected an integer from 0 to 86400
ini_set: false; now 15
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.retry_interval="x"
Warning: ini_set(): rsmemcache: invalid value 'x' for rsmemcache.retry_interval: expected an integer from 0 to 86400
ini_set: false; now 15
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.retry_interval="1.5"
Warning: ini_set(): rsmemcache: invalid value '1.5' for rsmemcache.retry_interval: expected an integer from 0 to 86400
ini_set: false; now 15
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.retry_interval=""
Warning: ini_set(): rsmemcache: invalid value '' for rsmemcache.retry_interval: expected an integer from 0 to 86400
ini_set: false; now 15
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.retry_interval="15s"
Warning: ini_set(): rsmemcache: invalid value '15s' for rsmemcache.retry_interval: expected an integer from 0 to 86400
ini_set: false; now 15
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.retry_interval="0" (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.retry_interval="86400" (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
