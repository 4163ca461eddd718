--TEST--
durable tier: with every memcached down and rsmemcache.retry_interval=0 sessions are read and written through the table (the servers that failed in this request count as unreachable, whatever the interval); with session.use_strict_mode=1 an id whose session only the table holds is kept and its session restored, an unknown id is replaced
--SKIPIF--
<?php require __DIR__ . '/lib/durable.inc'; db_skipif(); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_probability=0
display_errors=1
error_reporting=-1
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/durable.inc';
errlog_open();
$prefix = 'dzero.' . bin2hex(random_bytes(3)) . '.';
db_setup($prefix);
ini_set('rsmemcache.retry_interval', '0');
$N = 5;
$ids = [];
for ($i = 0; $i < $N; $i++) {
    session_id($ids[$i] = db_sid("z$i"));
    session_start(); $_SESSION['n'] = $i; session_write_close();
}
ini_set('session.save_path', MC_REFUSED);
$read = $written = 0;
foreach ($ids as $i => $id) {
    session_id($id);
    if (!session_start()) { continue; }
    $read += ($_SESSION['n'] ?? null) === $i ? 1 : 0;
    $_SESSION['n'] = $i + 100;
    $written += session_write_close() ? 1 : 0;
}
echo "retry_interval=0, every memcached down: read $read of $N, written $written of $N\n";
$rows = 0;
foreach ($ids as $i => $id) {
    $row = db_row($prefix, $id);
    $rows += ($row !== null && $row[0] === 2 && str_contains($row[2], 'n|i:' . ($i + 100) . ';')) ? 1 : 0;
}
echo "rows at version 2 with the new value: $rows of $N\n";
echo count(array_filter(errlog_take(), static fn ($l) => str_contains($l, 'served by the durable tier'))), " served-by-the-durable-tier log lines\n";

// use_strict_mode: memcached is back but empty; the table holds the session.
db_setup($prefix);
ini_restore('rsmemcache.retry_interval');
db_flush_memcached();
ini_set('session.use_strict_mode', '1');
session_id($ids[0]);
session_start();
echo "strict mode, only the table has it: id kept ", var_export(session_id() === $ids[0], true), ", n=", $_SESSION['n'] ?? '-', "\n";
session_write_close();
$unknown = db_sid('unknown');
session_id($unknown);
session_start();
echo "strict mode, unknown id: id kept ", var_export(session_id() === $unknown, true), "\n";
session_write_close();
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECT--
retry_interval=0, every memcached down: read 5 of 5, written 5 of 5
rows at version 2 with the new value: 5 of 5
5 served-by-the-durable-tier log lines
strict mode, only the table has it: id kept true, n=100
strict mode, unknown id: id kept false
