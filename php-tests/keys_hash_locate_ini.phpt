--TEST--
keys: rsmemcache_locate() shows the derived keys (data key, lock key, table id; raw key while migrating) under key_hash=sha256, none and compat=memcache; a bad rsmemcache.key_hash or key_hash_migrate is refused by ini_set() and at session_start() with a warning naming the directive
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
set_error_handler(static function (int $no, string $str): bool {
    echo $no === E_WARNING ? 'E_WARNING: ' : "error $no: ", $str, "\n";
    return true;
});
function show(string $id): void {
    $l = rsmemcache_locate($id);
    foreach (['key', 'lock_key', 'table_id', 'raw_key'] as $k) { echo "  $k: ", var_export($l[$k], true), "\n"; }
    echo "  lock on the data's home: ", var_export($l['lock_server'] === $l['servers'][0], true), "\n";
    echo "  home as pecl-memcache places the stored key: ",
        var_export($l['servers'][0] === lc_home([MC1 => 1, MC2 => 1, MC3 => 1], $l['key']), true), "\n";
}
// SHA-256("abc"), FIPS 180-2 B.1, in base64url: ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0
echo "-- default (sha256)\n";
echo "  ini: ", ini_get('rsmemcache.key_hash'), ", migrate ", ini_get('rsmemcache.key_hash_migrate'), "\n";
show('abc');
echo "  key = lc_key: ", var_export(rsmemcache_locate('abc')['key'] === lc_key('abc'), true), "\n";
echo "-- sha256 + migrate\n";
ini_set('rsmemcache.key_hash_migrate', '1');
show('abc');
echo "-- none\n";
ini_set('rsmemcache.key_hash', 'none');
show('abc');
ini_set('rsmemcache.key_hash', 'sha256');
echo "-- compat=memcache keeps the raw layout\n";
ini_set('rsmemcache.compat', 'memcache');
show('abc');
ini_set('rsmemcache.compat', 'none');
ini_set('rsmemcache.key_hash_migrate', '0');

echo "-- bad values\n";
foreach ([['rsmemcache.key_hash', 'md5'], ['rsmemcache.key_hash', 'sha-256'], ['rsmemcache.key_hash_migrate', 'soon']] as [$d, $v]) {
    echo "ini_set($d, ", json_encode($v), "): ";
    var_dump(ini_set($d, $v));
}
echo "still: ", ini_get('rsmemcache.key_hash'), "\n";
echo "-- a refused id\n";
var_dump(rsmemcache_locate("bad id"));
?>
--EXPECT--
-- default (sha256)
  ini: sha256, migrate 0
  key: 'rsmemcache.sess.ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'
  lock_key: 'rsmemcache.sess.ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0.lock'
  table_id: 'rsmemcache.sess.ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'
  raw_key: NULL
  lock on the data's home: true
  home as pecl-memcache places the stored key: true
  key = lc_key: true
-- sha256 + migrate
  key: 'rsmemcache.sess.ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'
  lock_key: 'rsmemcache.sess.ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0.lock'
  table_id: 'rsmemcache.sess.ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'
  raw_key: 'rsmemcache.sess.abc'
  lock on the data's home: true
  home as pecl-memcache places the stored key: true
-- none
  key: 'rsmemcache.sess.abc'
  lock_key: 'rsmemcache.sess.abc.lock'
  table_id: 'rsmemcache.sess.abc'
  raw_key: NULL
  lock on the data's home: true
  home as pecl-memcache places the stored key: true
-- compat=memcache keeps the raw layout
  key: 'abc'
  lock_key: 'abc.lock'
  table_id: 'abc'
  raw_key: NULL
  lock on the data's home: true
  home as pecl-memcache places the stored key: true
-- bad values
ini_set(rsmemcache.key_hash, "md5"): E_WARNING: ini_set(): rsmemcache: invalid value 'md5' for rsmemcache.key_hash: expected sha256 or none
bool(false)
ini_set(rsmemcache.key_hash, "sha-256"): E_WARNING: ini_set(): rsmemcache: invalid value 'sha-256' for rsmemcache.key_hash: expected sha256 or none
bool(false)
ini_set(rsmemcache.key_hash_migrate, "soon"): E_WARNING: ini_set(): rsmemcache: invalid value 'soon' for rsmemcache.key_hash_migrate: expected 0 or 1
bool(false)
still: sha256
-- a refused id
E_WARNING: rsmemcache_locate(): rsmemcache: session id 'bad id' refused: byte 0x20 at offset 3 is outside the session id alphabet [A-Za-z0-9,-]
bool(false)
