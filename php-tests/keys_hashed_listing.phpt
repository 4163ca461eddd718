--TEST--
keys: with key_hash=sha256 (the default) no session id appears in any memcached key: lru_crawler metadump all on every server after sessions are written (and while one holds its lock) lists hashed keys only, mg of the raw-id key misses
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
require __DIR__ . '/lib/lifecycle.inc';
$servers = [MC1, MC2, MC3];
ini_set('session.save_path', implode(',', $servers));

/** Every key memcached lists on $server (metadump URL-encodes them). */
function listed(string $server): array {
    $r = mc_raw($server, "lru_crawler metadump all\r\n", "/(^|\r\n)(END|BUSY[^\r]*|ERROR[^\r]*)\r\n$/");
    preg_match_all('/^key=(\S+)/m', $r, $m);
    return array_map('urldecode', $m[1]);
}

$ids = [];
for ($i = 0; $i < 30; $i++) {
    $ids[$i] = lc_sid("hk$i");
    session_id($ids[$i]);
    session_start();
    $_SESSION['user'] = "user$i";
    session_write_close();
}
// One session held open: its lock item is listed too.
session_id($ids[0]);
session_start();
$keys = [];
foreach ($servers as $s) { $keys = array_merge($keys, listed($s)); }
$leaks = [];
foreach ($keys as $k) {
    foreach ($ids as $id) {
        // The whole id, or any 12 characters of it.
        for ($o = 0; $o + 12 <= strlen($id); $o++) {
            if (str_contains($k, substr($id, $o, 12))) { $leaks[] = $k; break 2; }
        }
    }
}
echo "keys listed naming a session id: ", count($leaks), "\n";
$data = count(array_filter($ids, fn ($id) => in_array(lc_key($id), $keys, true)));
echo "hashed data keys listed: $data of ", count($ids), "\n";
echo "lock of the open session listed under its hashed key: ", var_export(in_array(mc_lock_key($ids[0]), $keys, true), true), "\n";
echo "hashed key shape: ", preg_match('/^' . preg_quote(PREFIX, '/') . '[A-Za-z0-9_-]{43}$/', lc_key($ids[0])) ? 'prefix + 43 base64url' : lc_key($ids[0]), "\n";
$raw = 0;
foreach ($ids as $id) { $raw += count(mc_where(mc_key($id, PREFIX, false))); }
echo "copies under the raw key (prefix + id): $raw\n";
session_write_close();
echo "read back: ";
session_id($ids[7]);
session_start();
echo $_SESSION['user'], "\n";
session_write_close();
foreach ($ids as $id) { foreach ($servers as $s) { mc_delete($s, lc_key($id)); } }
?>
--EXPECT--
keys listed naming a session id: 0
hashed data keys listed: 30 of 30
lock of the open session listed under its hashed key: true
hashed key shape: prefix + 43 base64url
copies under the raw key (prefix + id): 0
read back: user7
