--TEST--
ini: bad rsmemcache.timeout / rsmemcache.connect_timeout values are refused by name at ini_set() (the old value stays); a good value is taken
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
$canary = h4_canary_set('inito');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
foreach (['rsmemcache.timeout', 'rsmemcache.connect_timeout'] as $directive) {
    foreach (['0', '-1', 'abc', '1.5', '600001', '', '300ms', '0x10', '99999999999999999999999'] as $value) {
        echo "-- $directive=", json_encode($value), "\n";
        $result = ini_set($directive, $value);
        h4_msgs();   // the ini_set() warning, printed above: count only session_start()'s below
        echo "ini_set: ", var_export($result, true), "; now ", ini_get($directive), "\n";
        h4_attempt('inito');
    }
    echo "-- $directive=\" 300 \" (surrounding blanks are trimmed)\n";
    ini_set($directive, ' 300 ');
    h4_attempt('inito');
    ini_set($directive, ini_get_all('rsmemcache')[$directive]['global_value']);   // back to the default (not ini_restore: see ini_badconf_restore.phpt)
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- rsmemcache.timeout="0"
Warning: ini_set(): rsmemcache: invalid value '0' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout="-1"
Warning: ini_set(): rsmemcache: invalid value '-1' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout="abc"
Warning: ini_set(): rsmemcache: invalid value 'abc' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout="1.5"
Warning: ini_set(): rsmemcache: invalid value '1.5' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout="600001"
Warning: ini_set(): rsmemcache: invalid value '600001' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout=""
Warning: ini_set(): rsmemcache: invalid value '' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout="300ms"
Warning: ini_set(): rsmemcache: invalid value '300ms' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout="0x10"
Warning: ini_set(): rsmemcache: invalid value '0x10' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout="99999999999999999999999"
Warning: ini_set(): rsmemcache: invalid value '99999999999999999999999' for rsmemcache.timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.timeout=" 300 " (surrounding blanks are trimmed)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="0"
Warning: ini_set(): rsmemcache: invalid value '0' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="-1"
Warning: ini_set(): rsmemcache: invalid value '-1' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="abc"
Warning: ini_set(): rsmemcache: invalid value 'abc' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="1.5"
Warning: ini_set(): rsmemcache: invalid value '1.5' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="600001"
Warning: ini_set(): rsmemcache: invalid value '600001' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout=""
Warning: ini_set(): rsmemcache: invalid value '' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="300ms"
Warning: ini_set(): rsmemcache: invalid value '300ms' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="0x10"
Warning: ini_set(): rsmemcache: invalid value '0x10' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout="99999999999999999999999"
Warning: ini_set(): rsmemcache: invalid value '99999999999999999999999' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
ini_set: false; now 1000
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.connect_timeout=" 300 " (surrounding blanks are trimmed)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
