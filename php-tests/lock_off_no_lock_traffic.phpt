--TEST--
locking: rsmemcache.locking=0 (php.ini or ini_set before session_start) sends no lock traffic: one get and one set per session cycle, no delete (memcached stats)
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
rsmemcache.locking=0
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
// Compares memcached's global counters around one session cycle: assumes no
// other client talks to the test servers meanwhile (run-tests.php without -j,
// as scripts/run-tests.sh runs it).
ini_set('session.save_path', lk_path());
$servers = array_values(array_unique([MC1, MC2, MC3]));
$ids = [];

/** Sum of the stats counters over the three test servers. */
function all_stats(array $servers): array {
    $sum = [];
    foreach ($servers as $s) {
        foreach (lk_stats($s) as $k => $v) { if (is_numeric($v)) { $sum[$k] = ($sum[$k] ?? 0) + $v; } }
    }
    return $sum;
}
/** One session cycle (start, change, close) on $id; returns the stats deltas summed over all servers. */
function cycle(array $servers, string $id, bool $change = true): string {
    $before = all_stats($servers);
    session_id($id);
    session_start();
    if ($change) { $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1; }
    session_write_close();
    $d = lk_stats_delta($before, all_stats($servers));
    return implode(' ', array_map(static fn ($k, $v) => "$k=$v", array_keys($d), $d));
}
/** Whether session $id's lock key exists while the session is open. */
function lock_while_open(string $id): string {
    session_id($id);
    session_start();
    $state = lk_lock_state($id);
    session_write_close();
    return $state;
}

echo "-- rsmemcache.locking=0 from php.ini\n";
$ids[] = $id = lk_sid('off');
echo "new session:       ", cycle($servers, $id), "\n";
echo "existing session:  ", cycle($servers, $id), "\n";
echo "unchanged (touch): ", cycle($servers, $id, false), "\n";
echo "while open: ", lock_while_open($id), "\n";

echo "-- ini_set('rsmemcache.locking', '1')\n";
ini_set('rsmemcache.locking', '1');
$ids[] = $id = lk_sid('on');
echo "new session:       ", cycle($servers, $id), "\n";
echo "existing session:  ", cycle($servers, $id), "\n";
echo "unchanged (touch): ", cycle($servers, $id, false), "\n";
echo "while open: ", lock_while_open($id), "\n";

echo "-- ini_set('rsmemcache.locking', '0') before session_start()\n";
ini_set('rsmemcache.locking', '0');
$ids[] = $id = lk_sid('offagain');
echo "new session:       ", cycle($servers, $id), "\n";
echo "existing session:  ", cycle($servers, $id), "\n";
echo "unchanged (touch): ", cycle($servers, $id, false), "\n";
echo "while open: ", lock_while_open($id), "\n";
echo "data: ", mc_get(lk_home($id), lc_key($id)), "\n";
lk_forget(...$ids);
?>
--EXPECT--
-- rsmemcache.locking=0 from php.ini
new session:       cmd_get=1 get_hits=0 get_misses=1 cmd_set=1 delete_hits=0 delete_misses=0 cmd_touch=0
existing session:  cmd_get=1 get_hits=1 get_misses=0 cmd_set=1 delete_hits=0 delete_misses=0 cmd_touch=0
unchanged (touch): cmd_get=1 get_hits=1 get_misses=0 cmd_set=0 delete_hits=0 delete_misses=0 cmd_touch=1
while open: lock absent
-- ini_set('rsmemcache.locking', '1')
new session:       cmd_get=1 get_hits=0 get_misses=1 cmd_set=2 delete_hits=1 delete_misses=0 cmd_touch=0
existing session:  cmd_get=1 get_hits=1 get_misses=0 cmd_set=2 delete_hits=1 delete_misses=0 cmd_touch=0
unchanged (touch): cmd_get=1 get_hits=1 get_misses=0 cmd_set=1 delete_hits=1 delete_misses=0 cmd_touch=1
while open: lock held
-- ini_set('rsmemcache.locking', '0') before session_start()
new session:       cmd_get=1 get_hits=0 get_misses=1 cmd_set=1 delete_hits=0 delete_misses=0 cmd_touch=0
existing session:  cmd_get=1 get_hits=1 get_misses=0 cmd_set=1 delete_hits=0 delete_misses=0 cmd_touch=0
unchanged (touch): cmd_get=1 get_hits=1 get_misses=0 cmd_set=0 delete_hits=0 delete_misses=0 cmd_touch=1
while open: lock absent
data: n|i:2;
