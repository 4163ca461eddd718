--TEST--
ini: after a bad rsmemcache.* value, ini_restore() brings back the default and sessions work again
--SKIPIF--
<?php require __DIR__.'/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
--FILE--
<?php
require __DIR__ . '/failure.inc';
ob_start();
h4_watch(true);
$canary = h4_canary_set('inirst');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
foreach (['rsmemcache.timeout' => '0', 'rsmemcache.hash_strategy' => 'bogus', 'rsmemcache.prefix' => 'a b'] as $directive => $bad) {
    echo "-- $directive\n";
    $default = ini_get($directive);
    ini_set($directive, $bad);
    h4_attempt('inirst');
    ini_restore($directive);
    echo "restored to the default: ", var_export(ini_get($directive) === $default, true), "\n";
    h4_attempt('inirst');
    ini_set($directive, $default);          // so the next case starts clean even if ini_restore failed
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- rsmemcache.timeout
Warning: session_start(): rsmemcache: invalid value '0' for rsmemcache.timeout: expected an integer from 1 to 600000
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
restored to the default: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_strategy
Warning: session_start(): rsmemcache: invalid value 'bogus' for rsmemcache.hash_strategy: expected consistent, standard or ketama
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
restored to the default: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.prefix
Warning: session_start(): rsmemcache: invalid value 'a b' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
restored to the default: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
