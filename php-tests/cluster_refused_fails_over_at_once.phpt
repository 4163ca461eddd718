--TEST--
cluster: a refused server fails over at once and is then skipped: 20 requests on sessions homed on it all succeed, it is tried once (failures 1), no warning but one error-log line; in strict mode the id check fails over too
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.allow_failover=1
rsmemcache.session_redundancy=1
rsmemcache.retry_interval=15
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
$path = MC_REFUSED . ',' . MC1 . ',' . MC2;
ini_set('session.save_path', $path);
$names = [MC_REFUSED => 'REFUSED', MC1 => 'MC1', MC2 => 'MC2'];
cl_watch();

$ids = [];
for ($i = 0; count($ids) < 21; $i++) {
    $id = 'clref' . bin2hex(random_bytes(4)) . $i;
    if (cl_order($id, $path)[0] === MC_REFUSED) { $ids[] = $id; }
}
$strictId = array_pop($ids);

echo "-- first request on a session homed on REFUSED\n";
session_id($ids[0]);
var_dump(session_start());
$_SESSION['v'] = 'first';
var_dump(session_write_close());
echo "warnings: ", count(cl_msgs()), "\n";
foreach (cl_logged() as $m) { echo "  logged: ", cl_norm($m, $names), "\n"; }
$next = cl_order($ids[0], $path)[1];
echo "stored on the next server of its probe order: ", var_export(mc_get($next, mc_key($ids[0])) === cl_encoded('first'), true), "\n";

echo "-- 19 more requests in this process\n";
$ok = 0;
foreach (array_slice($ids, 1) as $k => $id) {
    session_id($id);
    if (session_start()) {
        $_SESSION['v'] = "n$k";
        $ok += (int)session_write_close();
    }
}
echo "succeeded: $ok/19, warnings: ", count(cl_msgs()), ", logged: ", count(cl_logged()), "\n";
$readBack = 0;
foreach (array_slice($ids, 1) as $k => $id) {
    session_id($id);
    session_start();
    $readBack += (int)(($_SESSION['v'] ?? null) === "n$k");
    session_write_close();
}
echo "read back: $readBack/19, warnings: ", count(cl_msgs()), "\n";
foreach (rsmemcache_servers() as $row) {
    printf("%s: %s, failures %d, last error: %s\n", $names[$row['server']], $row['state'], $row['failures'],
        cl_norm(var_export($row['last_error'], true), $names));
}

echo "-- strict mode, a fresh process: an unknown id homed on REFUSED\n";
$w = cl_worker(['session.save_path' => $path, 'session.use_strict_mode' => 1]);
$a = cl_call($w, ['op' => 'write', 'values' => [$strictId => 'strict']]);
printf("started %s, closed %s\n", var_export($a['started'][$strictId], true), var_export($a['closed'][$strictId], true));
echo "a new id was issued: ", var_export($a['sid'][$strictId] !== $strictId, true), "\n";
$ids[] = $a['sid'][$strictId];
echo "warnings: ", count($a['warnings']), "\n";
foreach ($a['logged'] as $m) { echo "  logged: ", cl_norm($m, $names), "\n"; }
cl_worker_stop($w);

foreach ($ids as $id) { foreach ([MC1, MC2] as $s) { mc_delete($s, mc_key($id)); } }
echo "done\n";
?>
--EXPECT--
-- first request on a session homed on REFUSED
bool(true)
bool(true)
warnings: 0
  logged: rsmemcache: server REFUSED: connect failed: Connection refused (os error 111); the server is skipped for 15 s
stored on the next server of its probe order: true
-- 19 more requests in this process
succeeded: 19/19, warnings: 0, logged: 0
read back: 19/19, warnings: 0
REFUSED: failed, failures 1, last error: 'server REFUSED: connect failed: Connection refused (os error 111)'
MC1: up, failures 0, last error: NULL
MC2: up, failures 0, last error: NULL
-- strict mode, a fresh process: an unknown id homed on REFUSED
started true, closed true
a new id was issued: true
warnings: 0
  logged: rsmemcache: server REFUSED: connect failed: Connection refused (os error 111); the server is skipped for 15 s
done
