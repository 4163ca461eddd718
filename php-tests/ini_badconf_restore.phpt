--TEST--
ini: ini_restore() after ini_set() brings back the request's starting value, even a bad php.ini one (reported at session_start); a refused ini_set() leaves the value it found
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.hash_strategy=bogus
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch(true);
$canary = h4_canary_set('inirst');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
echo "-- a bad php.ini value is kept at startup and reported at session_start\n";
var_dump(ini_get('rsmemcache.hash_strategy'));
h4_attempt('inirst');
echo "-- ini_set() of a good value\n";
var_dump(ini_set('rsmemcache.hash_strategy', 'standard'));
h4_attempt('inirst');
echo "-- ini_set() of a bad value is refused; the good value stays\n";
var_dump(ini_set('rsmemcache.hash_strategy', 'ring'));
h4_msgs();   // the ini_set() warning, printed above: count only session_start()'s below
var_dump(ini_get('rsmemcache.hash_strategy'));
h4_attempt('inirst');
echo "-- ini_restore() brings back the php.ini value, bad as it is\n";
ini_restore('rsmemcache.hash_strategy');
var_dump(ini_get('rsmemcache.hash_strategy'));
h4_attempt('inirst');
var_dump(ini_set('rsmemcache.hash_strategy', 'consistent'));
foreach (['rsmemcache.timeout' => ['250', '0'], 'rsmemcache.prefix' => ['h4rst.', 'a b']] as $directive => [$good, $bad]) {
    echo "-- $directive\n";
    $default = ini_get($directive);
    var_dump(ini_set($directive, $good) === $default);
    var_dump(ini_set($directive, $bad));
    h4_msgs();
    echo "good value kept: ", var_export(ini_get($directive) === $good, true), "\n";
    h4_attempt('inirst', $directive === 'rsmemcache.prefix' ? $good : PREFIX);
    ini_restore($directive);
    echo "restored to the default: ", var_export(ini_get($directive) === $default, true), "\n";
    h4_attempt('inirst');
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- a bad php.ini value is kept at startup and reported at session_start
string(5) "bogus"
Warning: session_start(): rsmemcache: invalid value 'bogus' for rsmemcache.hash_strategy: expected consistent, standard or ketama
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- ini_set() of a good value
string(5) "bogus"
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- ini_set() of a bad value is refused; the good value stays
Warning: ini_set(): rsmemcache: invalid value 'ring' for rsmemcache.hash_strategy: expected consistent, standard or ketama
bool(false)
string(8) "standard"
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- ini_restore() brings back the php.ini value, bad as it is
string(5) "bogus"
Warning: session_start(): rsmemcache: invalid value 'bogus' for rsmemcache.hash_strategy: expected consistent, standard or ketama
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
string(5) "bogus"
-- rsmemcache.timeout
bool(true)
Warning: ini_set(): rsmemcache: invalid value '0' for rsmemcache.timeout: expected an integer from 1 to 600000
bool(false)
good value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
restored to the default: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.prefix
bool(true)
Warning: ini_set(): rsmemcache: invalid value 'a b' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
bool(false)
good value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
restored to the default: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
