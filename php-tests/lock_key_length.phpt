--TEST--
locking: with locking on, a prefix + id leaving less than 5 bytes for ".lock" is refused (lock key would be N bytes, memcached allows 250); with locking off it is stored
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
ob_start();
ini_set('session.save_path', lk_path());
set_error_handler(static function (int $no, string $str): bool {
    echo "warning: ", preg_replace("/session id '[^']*'/", "session id '<ID>'", $str), "\n";
    return true;
});
$keys = [];

/** An id of exactly $len bytes, unique to this run. */
function id_of(int $len): string {
    return substr(lk_sid('len') . str_repeat('0', 300), 0, $len);
}
function attempt(string $prefix, int $idLen): void {
    global $keys;
    $id = id_of($idLen);
    $key = $prefix . $id;
    $skey = mc_key($id, $prefix);   // stored under the hashed id; the raw key must fit all the same
    $keys[] = $skey;
    echo "prefix ", strlen($prefix), " + id $idLen = ", strlen($key), " bytes (lock key ", strlen($key) + 5, "), locking=",
        ini_get('rsmemcache.locking'), "\n";
    session_id($id);
    $started = session_start();
    $_SESSION['x'] = 1;
    $closed = session_write_close();
    $home = lc_home([MC1 => 1, MC2 => 1, MC3 => 1], $skey);
    $stored = mc_where($skey) === [$home];
    $lock = mc_where($skey . '.lock') ? 'lock LEFT' : 'no lock left';
    printf("start=%s close=%s stored=%s %s\n", var_export($started, true), var_export($closed, true),
        var_export($stored, true), $lock);
}

ini_set('rsmemcache.locking', '1');
echo "-- default prefix (16 bytes)\n";
attempt(PREFIX, 229);
attempt(PREFIX, 230);
attempt(PREFIX, 234);
attempt(PREFIX, 235);
echo "-- a 200-byte prefix\n";
ini_set('rsmemcache.prefix', $long = 'lklong.' . str_repeat('p', 193));
attempt($long, 45);
attempt($long, 46);
attempt($long, 50);
echo "-- locking=0: only the data key must fit\n";
ini_set('rsmemcache.locking', '0');
attempt($long, 46);
attempt($long, 50);
attempt($long, 51);
ini_restore('rsmemcache.prefix');
attempt(PREFIX, 234);
foreach ($keys as $k) {
    if (strlen($k) <= 250) { foreach (lc_all_servers() as $s) { mc_delete($s, $k); } }
}
?>
--EXPECTF--
-- default prefix (16 bytes)
prefix 16 + id 229 = 245 bytes (lock key 250), locking=1
start=true close=true stored=true no lock left
prefix 16 + id 230 = 246 bytes (lock key 251), locking=1
warning: session_start(): rsmemcache: session id '<ID>' refused: lock key would be 251 bytes, memcached allows 250
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
start=false close=false stored=false no lock left
prefix 16 + id 234 = 250 bytes (lock key 255), locking=1
warning: session_start(): rsmemcache: session id '<ID>' refused: lock key would be 255 bytes, memcached allows 250
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
start=false close=false stored=false no lock left
prefix 16 + id 235 = 251 bytes (lock key 256), locking=1
warning: session_start(): rsmemcache: session id '<ID>' refused: key would be 251 bytes, memcached allows 250
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
start=false close=false stored=false no lock left
-- a 200-byte prefix
prefix 200 + id 45 = 245 bytes (lock key 250), locking=1
start=true close=true stored=true no lock left
prefix 200 + id 46 = 246 bytes (lock key 251), locking=1
warning: session_start(): rsmemcache: session id '<ID>' refused: lock key would be 251 bytes, memcached allows 250
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
start=false close=false stored=false no lock left
prefix 200 + id 50 = 250 bytes (lock key 255), locking=1
warning: session_start(): rsmemcache: session id '<ID>' refused: lock key would be 255 bytes, memcached allows 250
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
start=false close=false stored=false no lock left
-- locking=0: only the data key must fit
prefix 200 + id 46 = 246 bytes (lock key 251), locking=0
start=true close=true stored=true no lock left
prefix 200 + id 50 = 250 bytes (lock key 255), locking=0
start=true close=true stored=true no lock left
prefix 200 + id 51 = 251 bytes (lock key 256), locking=0
warning: session_start(): rsmemcache: session id '<ID>' refused: key would be 251 bytes, memcached allows 250
warning: session_start(): Failed to read session data: rsmemcache (path: %s)
start=false close=false stored=false no lock left
prefix 16 + id 234 = 250 bytes (lock key 255), locking=0
start=true close=true stored=true no lock left
