--TEST--
ini: ini_set() refuses a bad rsmemcache.* value with the warning session_start() would give, returns false and keeps the old value; a good value returns the old one and takes effect
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
$canary = h4_canary_set('iniset');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
set_error_handler(static function (int $no, string $str): bool {
    echo $no === E_WARNING ? 'E_WARNING: ' : "error $no: ", $str, "\n";
    return true;
});
$bad = [
    ['rsmemcache.prefix', " \n"],
    ['rsmemcache.prefix', "app\nflush_all"],
    ['rsmemcache.prefix', 'with space.'],
    ['rsmemcache.timeout', '-1'],
    ['rsmemcache.timeout', 'abc'],
    ['rsmemcache.connect_timeout', '0'],
    ['rsmemcache.hash_strategy', 'ketama_weighted'],
    ['rsmemcache.hash_function', 'md5'],
    ['rsmemcache.lock_failure', 'ignore'],
    ['rsmemcache.session_redundancy', '0'],
    ['rsmemcache.session_redundancy', '17'],
    ['rsmemcache.compat', 'redis'],
    ['rsmemcache.locking', 'maybe'],
    ['rsmemcache.allow_failover', '2'],
    ['rsmemcache.max_failover_attempts', '1001'],
    ['rsmemcache.lock_wait_time', '-5'],
    ['rsmemcache.lock_expire', '0'],
    ['rsmemcache.retry_interval', '86401'],
];
foreach ($bad as [$directive, $value]) {
    echo "-- $directive=", json_encode($value), "\n";
    $old = ini_get($directive);
    var_dump(ini_set($directive, $value));
    echo "ini_get still returns the old value: ", var_export(ini_get($directive) === $old, true), "\n";
}

echo "-- sessions work with the old values\n";
$sid = h4_sid('iniset');
session_id($sid);
var_dump(session_start());
$_SESSION['n'] = 1;
var_dump(session_write_close());
echo "stored under the default prefix: ", count(mc_where(mc_key($sid))), " server(s)\n";

echo "-- good values: ini_set() returns the old value and the new one takes effect\n";
var_dump(ini_set('rsmemcache.prefix', 'h4good.'));
var_dump(ini_get('rsmemcache.prefix'));
var_dump(ini_set('rsmemcache.timeout', ' 300 '));
var_dump(ini_get('rsmemcache.timeout'));
var_dump(ini_set('rsmemcache.lock_failure', 'READONLY'));
var_dump(ini_set('rsmemcache.session_redundancy', '2'));
var_dump(ini_set('rsmemcache.hash_strategy', 'standard'));
session_id($sid);
var_dump(session_start());
$_SESSION['n'] = 2;
var_dump(session_write_close());
echo "stored under the new prefix: ", count(mc_where(mc_key($sid, 'h4good.'))), " server(s) (session_redundancy=2)\n";
foreach ([mc_key($sid, 'h4good.'), mc_key($sid)] as $k) { foreach (h4_servers() as $s) { mc_delete($s, $k); } }

echo "-- a value refused after a good one keeps the good one\n";
var_dump(ini_set('rsmemcache.prefix', "bad\x00"));
var_dump(ini_get('rsmemcache.prefix'));
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- rsmemcache.prefix=" \n"
E_WARNING: ini_set(): rsmemcache: invalid value ' \n' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
bool(false)
ini_get still returns the old value: true
-- rsmemcache.prefix="app\nflush_all"
E_WARNING: ini_set(): rsmemcache: invalid value 'app\nflush_all' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
bool(false)
ini_get still returns the old value: true
-- rsmemcache.prefix="with space."
E_WARNING: ini_set(): rsmemcache: invalid value 'with space.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
bool(false)
ini_get still returns the old value: true
-- rsmemcache.timeout="-1"
E_WARNING: ini_set(): rsmemcache: invalid value '-1' for rsmemcache.timeout: expected an integer from 1 to 600000
bool(false)
ini_get still returns the old value: true
-- rsmemcache.timeout="abc"
E_WARNING: ini_set(): rsmemcache: invalid value 'abc' for rsmemcache.timeout: expected an integer from 1 to 600000
bool(false)
ini_get still returns the old value: true
-- rsmemcache.connect_timeout="0"
E_WARNING: ini_set(): rsmemcache: invalid value '0' for rsmemcache.connect_timeout: expected an integer from 1 to 600000
bool(false)
ini_get still returns the old value: true
-- rsmemcache.hash_strategy="ketama_weighted"
E_WARNING: ini_set(): rsmemcache: invalid value 'ketama_weighted' for rsmemcache.hash_strategy: expected consistent, standard or ketama
bool(false)
ini_get still returns the old value: true
-- rsmemcache.hash_function="md5"
E_WARNING: ini_set(): rsmemcache: invalid value 'md5' for rsmemcache.hash_function: expected crc32 or fnv
bool(false)
ini_get still returns the old value: true
-- rsmemcache.lock_failure="ignore"
E_WARNING: ini_set(): rsmemcache: invalid value 'ignore' for rsmemcache.lock_failure: expected error or readonly
bool(false)
ini_get still returns the old value: true
-- rsmemcache.session_redundancy="0"
E_WARNING: ini_set(): rsmemcache: invalid value '0' for rsmemcache.session_redundancy: expected an integer from 1 to 16
bool(false)
ini_get still returns the old value: true
-- rsmemcache.session_redundancy="17"
E_WARNING: ini_set(): rsmemcache: invalid value '17' for rsmemcache.session_redundancy: expected an integer from 1 to 16
bool(false)
ini_get still returns the old value: true
-- rsmemcache.compat="redis"
E_WARNING: ini_set(): rsmemcache: invalid value 'redis' for rsmemcache.compat: expected none, memcache or memcached
bool(false)
ini_get still returns the old value: true
-- rsmemcache.locking="maybe"
E_WARNING: ini_set(): rsmemcache: invalid value 'maybe' for rsmemcache.locking: expected 0 or 1
bool(false)
ini_get still returns the old value: true
-- rsmemcache.allow_failover="2"
E_WARNING: ini_set(): rsmemcache: invalid value '2' for rsmemcache.allow_failover: expected 0 or 1
bool(false)
ini_get still returns the old value: true
-- rsmemcache.max_failover_attempts="1001"
E_WARNING: ini_set(): rsmemcache: invalid value '1001' for rsmemcache.max_failover_attempts: expected an integer from 1 to 1000
bool(false)
ini_get still returns the old value: true
-- rsmemcache.lock_wait_time="-5"
E_WARNING: ini_set(): rsmemcache: invalid value '-5' for rsmemcache.lock_wait_time: expected an integer from 0 to 600000
bool(false)
ini_get still returns the old value: true
-- rsmemcache.lock_expire="0"
E_WARNING: ini_set(): rsmemcache: invalid value '0' for rsmemcache.lock_expire: expected an integer from 1 to 86400
bool(false)
ini_get still returns the old value: true
-- rsmemcache.retry_interval="86401"
E_WARNING: ini_set(): rsmemcache: invalid value '86401' for rsmemcache.retry_interval: expected an integer from 0 to 86400
bool(false)
ini_get still returns the old value: true
-- sessions work with the old values
bool(true)
bool(true)
stored under the default prefix: 1 server(s)
-- good values: ini_set() returns the old value and the new one takes effect
string(16) "rsmemcache.sess."
string(7) "h4good."
string(4) "1000"
string(5) " 300 "
string(5) "error"
string(1) "1"
string(10) "consistent"
bool(true)
bool(true)
stored under the new prefix: 2 server(s) (session_redundancy=2)
-- a value refused after a good one keeps the good one
E_WARNING: ini_set(): rsmemcache: invalid value 'bad\x00' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
bool(false)
string(7) "h4good."
canary intact on all servers
