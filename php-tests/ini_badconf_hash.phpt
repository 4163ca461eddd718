--TEST--
ini: bad rsmemcache.hash_strategy / rsmemcache.hash_function values are refused by name at ini_set(); the old value stays and sessions work
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
$canary = h4_canary_set('inihash');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$bad = [
    'rsmemcache.hash_strategy' => ['bogus', '', 'ring', 'consistent,standard'],
    'rsmemcache.hash_function' => ['md5', '', 'crc', 'fnv1', 'crc32 fnv'],
];
foreach ($bad as $directive => $values) {
    foreach ($values as $value) {
        echo "-- $directive=", json_encode($value), "\n";
        $old = ini_get($directive);
        $result = ini_set($directive, $value);
        h4_msgs();   // the ini_set() warning, printed above: count only session_start()'s below
        echo "ini_set: ", var_export($result, true), "; old value kept: ", var_export(ini_get($directive) === $old, true), "\n";
        h4_attempt('inihash');
    }
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
Warning: ini_set(): rsmemcache: invalid value 'bogus' for rsmemcache.hash_strategy: expected consistent, standard or ketama
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_strategy=""
Warning: ini_set(): rsmemcache: invalid value '' for rsmemcache.hash_strategy: expected consistent, standard or ketama
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_strategy="ring"
Warning: ini_set(): rsmemcache: invalid value 'ring' for rsmemcache.hash_strategy: expected consistent, standard or ketama
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_strategy="consistent,standard"
Warning: ini_set(): rsmemcache: invalid value 'consistent,standard' for rsmemcache.hash_strategy: expected consistent, standard or ketama
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function="md5"
Warning: ini_set(): rsmemcache: invalid value 'md5' for rsmemcache.hash_function: expected crc32 or fnv
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function=""
Warning: ini_set(): rsmemcache: invalid value '' for rsmemcache.hash_function: expected crc32 or fnv
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function="crc"
Warning: ini_set(): rsmemcache: invalid value 'crc' for rsmemcache.hash_function: expected crc32 or fnv
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function="fnv1"
Warning: ini_set(): rsmemcache: invalid value 'fnv1' for rsmemcache.hash_function: expected crc32 or fnv
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- rsmemcache.hash_function="crc32 fnv"
Warning: ini_set(): rsmemcache: invalid value 'crc32 fnv' for rsmemcache.hash_function: expected crc32 or fnv
ini_set: false; old value kept: true
start=true close=true rsmemcache-warnings=0 key stored on 1 server
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
