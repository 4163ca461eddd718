--TEST--
cluster: a copy server that dies between a request's read and its write of a session over 1 KB does not fail the write: the size check needs no I/O (the limit was learned with the read), the copy fails over and the session is intact on two live servers
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if ($why = cl_skip_reason(70, 3)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.allow_failover=1
rsmemcache.session_redundancy=2
rsmemcache.locking=1
rsmemcache.retry_interval=15
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
$daemons = cl_start_all(cl_ports(70, 3));
$addrs = array_column($daemons, 'addr');
$path = implode(',', $addrs);
ini_set('session.save_path', $path);
$id = 'cllarge' . bin2hex(random_bytes(8));
$order = cl_order($id, $path);
// Small at first: the old core asked a server's item_size_max only before
// the first write over 1 KB, so the write below is the first to need it.
$small = str_repeat('x', 100);

session_id($id);
session_start();
$_SESSION['v'] = $small;
var_dump(session_write_close());

echo "-- read, then the home server dies, then a write of 8 KB\n";
session_id($id);
var_dump(session_start());
echo "read back: ", var_export($_SESSION['v'] === $small, true), "\n";
cl_kill($daemons[array_search($order[0], $addrs, true)]);
cl_watch();
$_SESSION['v'] = str_repeat('y', 8000);
var_dump(session_write_close());
echo "warnings: ", count(cl_msgs()), "\n";
$live = array_values(array_diff($addrs, [$order[0]]));
$copies = count(array_filter($live, fn ($s) => mc_get($s, mc_key($id)) === cl_encoded(str_repeat('y', 8000))));
echo "copies of the new data on the two live servers: $copies\n";
cl_stop_all();
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(70, 3);
?>
--EXPECT--
bool(true)
-- read, then the home server dies, then a write of 8 KB
bool(true)
read back: true
bool(true)
warnings: 0
copies of the new data on the two live servers: 2
done
