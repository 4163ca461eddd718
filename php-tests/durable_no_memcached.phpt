--TEST--
durable tier: every memcached down: sessions written before are read and written through MariaDB, and 8 parallel processes x 25 increments under GET_LOCK lose no update
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
require __DIR__ . '/lib/locking.inc';
errlog_open();
$prefix = 'dnomc.' . bin2hex(random_bytes(3)) . '.';
db_setup($prefix);
$N = 10;
$ids = [];
for ($i = 0; $i < $N; $i++) {
    session_id($ids[$i] = db_sid("nomc$i"));
    session_start(); $_SESSION['n'] = $i; session_write_close();
}
// Every memcached "down": a save_path whose servers refuse connections.
$down = MC_REFUSED;
ini_set('session.save_path', $down);
$read = 0;
foreach ($ids as $i => $id) {
    session_id($id);
    session_start();
    $read += ($_SESSION['n'] ?? null) === $i ? 1 : 0;
    $_SESSION['n'] = $i + 100;
    session_write_close();
}
echo "read with every memcached down: $read of $N\n";
$written = 0;
foreach ($ids as $i => $id) {
    $row = db_row($prefix, $id);
    $written += ($row !== null && $row[0] === 2 && str_contains($row[2], 'n|i:' . ($i + 100) . ';')) ? 1 : 0;
}
echo "written to MariaDB at version 2: $written of $N\n";
$lines = errlog_take();
echo count(array_filter($lines, static fn ($l) => str_contains($l, 'served by the durable tier'))), " served-by-the-durable-tier log lines\n";

// Parallel increments, every memcached down.
$id = db_sid('cnt');
session_id($id); session_start(); $_SESSION['n'] = 0; session_write_close();
$go = sys_get_temp_dir() . '/dnomc-go-' . $id;
@unlink($go);
$ini = ['rsmemcache.prefix=' . $prefix, 'rsmemcache.durable_dsn=' . DB_DIR . '/sock?database=rsm_test',
        'rsmemcache.durable_credentials_file=' . DB_DIR . '/credentials'];
$workers = [];
for ($i = 0; $i < 8; $i++) { $workers[$i] = lk_spawn('lock_counter.php', array_merge([$down, $id, '25', $go], $ini)); }
foreach ($workers as &$w) { lk_expect($w, 'ready'); }
unset($w);
touch($go);
$results = [];
foreach ($workers as &$w) {
    $r = lk_finish($w, 120);
    $results[] = implode(' | ', array_slice($w['lines'], 1)) . ($r['err'] !== '' ? ' stderr: ' . trim($r['err']) : '') . " exit={$r['code']}";
}
unset($w);
unlink($go);
echo implode("\n", array_count_values($results) === ['done ok=25 failed=0 exit=0' => 8] ? ['every worker: done ok=25 failed=0 exit=0'] : $results), "\n";
$row = db_row($prefix, $id);
echo "counter in MariaDB: ", preg_match('/n\|i:(\d+);/', $row[2], $m) ? $m[1] : '?', " (lost updates: ", 200 - (int)($m[1] ?? 0), "), version {$row[0]}\n";
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();

?>
--EXPECT--
read with every memcached down: 10 of 10
written to MariaDB at version 2: 10 of 10
10 served-by-the-durable-tier log lines
every worker: done ok=25 failed=0 exit=0
counter in MariaDB: 200 (lost updates: 0), version 201
