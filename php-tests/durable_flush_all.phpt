--TEST--
durable tier: N sessions written, flush_all on every memcached, all N read back from MariaDB and memcached repopulated
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
errlog_open();
$prefix = 'dflush.' . bin2hex(random_bytes(3)) . '.';
db_setup($prefix);
$N = 40;
$ids = [];
for ($i = 0; $i < $N; $i++) {
    $ids[$i] = db_sid("f$i");
    session_id($ids[$i]);
    session_start();
    $_SESSION['n'] = $i;
    $_SESSION['pad'] = str_repeat(chr(65 + $i % 26), $i * 37);
    session_write_close();
}
$rows = db_sql("SELECT COUNT(*) FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
echo "rows in MariaDB: {$rows[0][0]} of $N\n";
db_flush_memcached();
$inMemcached = 0;
foreach ($ids as $id) {
    $loc = rsmemcache_locate($id);
    $inMemcached += mc_get($loc['servers'][0], $loc['key']) !== null ? 1 : 0;
}
echo "copies in memcached after flush_all: $inMemcached\n";
$lost = 0;
$repopulated = 0;
foreach ($ids as $i => $id) {
    session_id($id);
    session_start();
    if (($_SESSION['n'] ?? null) !== $i || $_SESSION['pad'] !== str_repeat(chr(65 + $i % 26), $i * 37)) { $lost++; }
    $loc = rsmemcache_locate($id);
    $repopulated += mc_get($loc['servers'][0], $loc['key']) !== null ? 1 : 0;
    session_write_close();
}
echo "sessions lost: $lost of $N\n";
echo "memcached repopulated: $repopulated of $N\n";
$restored = count(array_filter(errlog_take(), static fn ($l) => str_contains($l, 'restored from the durable tier')));
echo "restores logged: $restored\n";
// The next read is served by memcached again: no restore logged.
session_id($ids[7]);
session_start();
var_dump($_SESSION['n']);
session_write_close();
var_dump(count(array_filter(errlog_take(), static fn ($l) => str_contains($l, 'restored'))));
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECT--
rows in MariaDB: 40 of 40
copies in memcached after flush_all: 0
sessions lost: 0 of 40
memcached repopulated: 40 of 40
restores logged: 40
int(7)
int(0)
