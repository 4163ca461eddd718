--TEST--
durable tier: with key_hash=sha256 (the default) the table's id column holds no session id (prefix + base64url SHA-256); key_hash_migrate moves a row written under the raw id (key_hash=none) to the hashed id when memcached has no copy: 0 logouts, raw row gone, key_hash_moved counts it; a destroy removes a raw row too
--SKIPIF--
<?php require __DIR__ . '/lib/durable.inc'; db_skipif(); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_probability=0
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/durable.inc';
$prefix = 'dhash.' . bin2hex(random_bytes(3)) . '.';
db_setup($prefix);
$N = 12;
$ids = [];
for ($i = 0; $i < $N; $i++) {
    $ids[$i] = db_sid("h$i");
    session_id($ids[$i]);
    session_start();
    $_SESSION['n'] = $i;
    session_write_close();
}
$rows = db_sql("SELECT id FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
$leak = 0;
foreach ($rows as [$rowId]) { foreach ($ids as $id) { if (str_contains($rowId, substr($id, 0, 12))) { $leak++; } } }
echo "rows: ", count($rows), "; ids in the id column: $leak\n";
echo "row of each session under prefix + db_row_id: ", count(array_filter($ids, fn ($id) => db_row($prefix, $id) !== null)), "\n";
echo "row id = locate's table_id: ", var_export(db_sql("SELECT COUNT(*) FROM rsmemcache_sessions WHERE id = '" . addslashes(rsmemcache_locate($ids[0])['table_id']) . "'")[0][0] === '1', true), "\n";

echo "-- migrate rows written with key_hash=none\n";
ini_set('rsmemcache.key_hash', 'none');
$old = [];
for ($i = 0; $i < $N; $i++) {
    $old[$i] = db_sid("r$i");
    session_id($old[$i]);
    session_start();
    $_SESSION['n'] = 100 + $i;
    session_write_close();
}
$raw = fn (string $id) => db_sql("SELECT COUNT(*) FROM rsmemcache_sessions WHERE id = '" . addslashes($prefix . $id) . "'")[0][0];
echo "raw rows: ", array_sum(array_map($raw, $old)), "\n";
db_flush_memcached();
ini_set('rsmemcache.key_hash', 'sha256');
ini_set('rsmemcache.key_hash_migrate', '1');
$before = rsmemcache_stats()['key_hash_moved'];
$logouts = 0;
foreach ($old as $i => $id) {
    session_id($id);
    session_start();
    if (($_SESSION['n'] ?? null) !== 100 + $i) { $logouts++; }
    session_write_close();
}
echo "logouts: $logouts of $N; key_hash_moved: ", rsmemcache_stats()['key_hash_moved'] - $before, "\n";
echo "raw rows left: ", array_sum(array_map($raw, $old)), "; hashed rows: ",
    count(array_filter($old, fn ($id) => db_row($prefix, $id) !== null)), "\n";
echo "memcached copies under the hashed key: ", count(array_filter($old, fn ($id) => mc_where(mc_key($id, $prefix)) !== [])), "\n";

echo "-- destroy removes a raw row\n";
$d = db_sid('d');
db_sql("REPLACE INTO rsmemcache_sessions (id, data, version, expires_at, updated_at) VALUES ('" . addslashes($prefix . $d) . "', 'n|i:7;', 1, " . (time() + 600) . ", " . time() . ")");
session_id($d);
session_start();
echo "read from the raw row: ", $_SESSION['n'] ?? 'none', "\n";
db_sql("REPLACE INTO rsmemcache_sessions (id, data, version, expires_at, updated_at) VALUES ('" . addslashes($prefix . $d) . "', 'n|i:8;', 1, " . (time() + 600) . ", " . time() . ")");
session_destroy();
echo "rows left (raw, hashed): ", $raw($d), ", ", db_row($prefix, $d) === null ? 0 : 1, "\n";
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECT--
rows: 12; ids in the id column: 0
row of each session under prefix + db_row_id: 12
row id = locate's table_id: true
-- migrate rows written with key_hash=none
raw rows: 12
logouts: 0 of 12; key_hash_moved: 12
raw rows left: 0; hashed rows: 12
memcached copies under the hashed key: 12
-- destroy removes a raw row
read from the raw row: 7
rows left (raw, hashed): 0, 0
