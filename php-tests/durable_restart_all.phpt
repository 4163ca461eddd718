--TEST--
durable tier: N sessions written, every memcached killed (SIGKILL) and restarted empty on its port, all N read back from MariaDB and memcached repopulated
--SKIPIF--
<?php
require __DIR__ . '/lib/durable.inc';
db_skipif();
require_once __DIR__ . '/lib/cluster.inc';
if ($why = cl_skip_reason(94, 3)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_probability=0
rsmemcache.retry_interval=0
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/durable.inc';
require __DIR__ . '/lib/cluster.inc';
errlog_open();
$daemons = cl_start_all(cl_ports(94, 3));
$addrs = array_column($daemons, 'addr');
$prefix = 'drestart.' . bin2hex(random_bytes(3)) . '.';
db_setup($prefix, $addrs);
$N = 30;
$ids = [];
for ($i = 0; $i < $N; $i++) {
    $ids[$i] = db_sid("r$i");
    session_id($ids[$i]);
    session_start();
    $_SESSION['n'] = $i;
    session_write_close();
}
$rows = db_sql("SELECT COUNT(*) FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
echo "rows in MariaDB: {$rows[0][0]} of $N\n";
echo "-- SIGKILL every memcached, restart each empty on its port\n";
foreach ($daemons as $i => $d) { cl_kill($d); }
foreach ($daemons as $i => $d) { $daemons[$i] = cl_start($d['port']); }
$left = 0;
foreach ($ids as $id) {
    $loc = rsmemcache_locate($id);
    $left += mc_get($loc['servers'][0], $loc['key']) !== null ? 1 : 0;
}
echo "copies in memcached after the restart: $left\n";
$lost = 0;
$repopulated = 0;
foreach ($ids as $i => $id) {
    session_id($id);
    if (!session_start() || ($_SESSION['n'] ?? null) !== $i) { $lost++; }
    session_write_close();
    $loc = rsmemcache_locate($id);
    $repopulated += mc_get($loc['servers'][0], $loc['key']) !== null ? 1 : 0;
}
echo "sessions lost: $lost of $N\n";
echo "memcached repopulated: $repopulated of $N\n";
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(94, 3);
?>
--EXPECT--
rows in MariaDB: 30 of 30
-- SIGKILL every memcached, restart each empty on its port
copies in memcached after the restart: 0
sessions lost: 0 of 30
memcached repopulated: 30 of 30
