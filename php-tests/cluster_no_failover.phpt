--TEST--
cluster: allow_failover=0 with a session's server dead: session_start() fails with that server's own error (other sessions unaffected); with every server dead and failover on: "no memcached server reachable (3 tried)"
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if ($why = cl_skip_reason(50, 3)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.session_redundancy=1
rsmemcache.retry_interval=15
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
$daemons = cl_start_all(cl_ports(50, 3));
$addrs = array_column($daemons, 'addr');
$path = implode(',', $addrs);
ini_set('session.save_path', $path);

// $id lives on A (its home); $other on B.
$ids = cl_ids('nf', 200);
// (an id whose probe order reaches all 3 servers: 1 in ~700 does not)
$id = array_values(array_filter($ids, fn ($x) => count(cl_order($x, $path)) === 3))[0];
$order = cl_order($id, $path);
[$aAddr, $bAddr, $cAddr] = $order;
$names = [$aAddr => 'A', $bAddr => 'B', $cAddr => 'C'];
$other = array_values(array_filter($ids, fn ($x) => cl_order($x, $path)[0] === $bAddr))[0];
$byAddr = array_combine($addrs, $daemons);
/** Warning text with ports and numbers made stable. */
function show(string $m, array $names, array $ids): string {
    return preg_replace('/next retry in \d+ ms/', 'next retry in N ms', cl_norm($m, $names + $ids));
}
// Messages show 6 characters of an id; $id and $other share them, and
// every message names $id.
$idNames = [$id => '<id>', $other => '<other>', substr($id, 0, 6) . '...' => '<id>'];

$w = cl_worker(['session.save_path' => $path]);
cl_call($w, ['op' => 'write', 'values' => [$id => 'on A', $other => 'on B']]);
cl_worker_stop($w);
echo "stored: ", var_export(mc_get($aAddr, mc_key($id)) === cl_encoded('on A') && mc_get($bAddr, mc_key($other)) === cl_encoded('on B'), true), "\n";

echo "-- SIGKILL A; allow_failover=0\n";
cl_kill($byAddr[$aAddr]);
$w = cl_worker(['session.save_path' => $path, 'rsmemcache.allow_failover' => 0]);
foreach ([1, 2] as $k) {
    $a = cl_call($w, ['op' => 'read', 'ids' => [$id]]);
    echo "request $k on <id>: started ", var_export($a['started'][$id], true), "\n";
    foreach ($a['warnings'] as $m) { echo "  ", show($m, $names, $idNames), "\n"; }
}
$a = cl_call($w, ['op' => 'read', 'ids' => [$other]]);
printf("request on <other> (on B): started %s, read %s, warnings %d\n", var_export($a['started'][$other], true), var_export($a['read'][$other], true), count($a['warnings']));
cl_worker_stop($w);

echo "-- SIGKILL B and C; allow_failover=1\n";
cl_kill($byAddr[$bAddr]);
cl_kill($byAddr[$cAddr]);
$w = cl_worker(['session.save_path' => $path, 'rsmemcache.allow_failover' => 1]);
foreach ([1, 2] as $k) {
    $a = cl_call($w, ['op' => 'read', 'ids' => [$id]]);
    echo "request $k on <id>: started ", var_export($a['started'][$id], true), "\n";
    foreach ($a['warnings'] as $m) { echo "  ", show($m, $names, $idNames), "\n"; }
}
$n = cl_call($w, ['op' => 'new', 'value' => 'x']);
echo "a new visitor: started ", json_encode($n['started']), "\n";
foreach ($n['warnings'] as $m) { echo "  ", preg_replace('/session (?!data)[\w,-]+(\.\.\.)?:/', 'session <new>:', show($m, $names, $idNames)), "\n"; }
cl_worker_stop($w);
cl_stop_all();
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(50, 3);
?>
--EXPECTF--
stored: true
-- SIGKILL A; allow_failover=0
request 1 on <id>: started false
  session_start(): rsmemcache: server A: connect failed: Connection refused (os error 111)
  session_start(): Failed to read session data: rsmemcache (path: %s)
request 2 on <id>: started false
  session_start(): rsmemcache: server A is marked failed after an error; next retry in N ms
  session_start(): Failed to read session data: rsmemcache (path: %s)
request on <other> (on B): started true, read 'on B', warnings 0
-- SIGKILL B and C; allow_failover=1
request 1 on <id>: started false
  session_start(): rsmemcache: session <id>: no memcached server reachable (3 tried); last error: server C: connect failed: Connection refused (os error 111)
  session_start(): Failed to read session data: rsmemcache (path: %s)
request 2 on <id>: started false
  session_start(): rsmemcache: session <id>: no memcached server reachable (3 tried); last error: server C is marked failed after an error; next retry in N ms
  session_start(): Failed to read session data: rsmemcache (path: %s)
a new visitor: started [false,false]
%A
done
