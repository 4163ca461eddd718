--TEST--
ini: bad rsmemcache.hash_strategy / rsmemcache.hash_function values are refused by name at session_start
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
$canary = h4_canary_set('inihash');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$bad = [
    'rsmemcache.hash_strategy' => ['bogus', '', 'ring', 'consistent,standard'],
    'rsmemcache.hash_function' => ['md5', '', 'crc', 'fnv1', 'crc32 fnv'],
];
foreach ($bad as $directive => $values) {
    foreach ($values as $value) {
        echo "-- $directive=", json_encode($value), "\n";
        ini_set($directive, $value);
        h4_attempt('inihash');
    }
    ini_set($directive, ini_get_all('rsmemcache')[$directive]['global_value']);   // back to the default (not ini_restore: see ini_badconf_restore.phpt)
}
// Case and surrounding blanks do not matter.
foreach (['rsmemcache.hash_strategy' => ['STANDARD', ' Consistent ', "consistent\n"], 'rsmemcache.hash_function' => ['FNV', 'fnv1a', ' CRC32 ']] as $directive => $values) {
    foreach ($values as $value) {
        echo "-- $directive=", json_encode($value), " (valid)\n";
        ini_set($directive, $value);
        h4_attempt('inihash');
    }
    ini_set($directive, ini_get_all('rsmemcache')[$directive]['global_value']);   // back to the default (not ini_restore: see ini_badconf_restore.phpt)
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- rsmemcache.hash_strategy="bogus"
Warning: session_start(): rsmemcache: invalid value 'bogus' for rsmemcache.hash_strategy: expected consistent, standard or ketama
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_strategy=""
Warning: session_start(): rsmemcache: invalid value '' for rsmemcache.hash_strategy: expected consistent, standard or ketama
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_strategy="ring"
Warning: session_start(): rsmemcache: invalid value 'ring' for rsmemcache.hash_strategy: expected consistent, standard or ketama
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_strategy="consistent,standard"
Warning: session_start(): rsmemcache: invalid value 'consistent,standard' for rsmemcache.hash_strategy: expected consistent, standard or ketama
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_function="md5"
Warning: session_start(): rsmemcache: invalid value 'md5' for rsmemcache.hash_function: expected crc32 or fnv
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_function=""
Warning: session_start(): rsmemcache: invalid value '' for rsmemcache.hash_function: expected crc32 or fnv
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_function="crc"
Warning: session_start(): rsmemcache: invalid value 'crc' for rsmemcache.hash_function: expected crc32 or fnv
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_function="fnv1"
Warning: session_start(): rsmemcache: invalid value 'fnv1' for rsmemcache.hash_function: expected crc32 or fnv
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_function="crc32 fnv"
Warning: session_start(): rsmemcache: invalid value 'crc32 fnv' for rsmemcache.hash_function: expected crc32 or fnv
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- rsmemcache.hash_strategy="STANDARD" (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_strategy=" Consistent " (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_strategy="consistent\n" (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function="FNV" (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function="fnv1a" (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function=" CRC32 " (valid)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
