--TEST--
save_path: more than 256 servers, or a weight above 100, is refused by name at once (no panic, no long build); the largest allowed pool works
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
// Warnings are collected and printed below, without session's own "Failed to
// initialize storage module" (which repeats the whole save_path).
$GLOBALS['h4_msgs'] = [];
set_error_handler(static function (int $no, string $str): bool { $GLOBALS['h4_msgs'][] = $str; return true; });
$canary = h4_canary_set('splim');
// Servers that are never contacted: 10.255.x.y, after the real MC1 first.
$fillers = fn (int $n, string $suffix = '') => array_map(fn ($i) => sprintf('10.255.%d.%d:11211%s', intdiv($i, 256), $i % 256, $suffix), range(0, $n - 1));
$cases = [
    '257 servers' => implode(',', array_merge([MC1], $fillers(256))),
    '65536 servers' => implode(',', array_merge([MC1], $fillers(65535))),
    'weight 101 (list grammar)' => MC1 . ':101',
    'weight 10000 (URL)' => 'tcp://' . MC1 . '?weight=10000',
    'weight 101 after a space' => MC1 . ' 101',
    '100 servers of weight 10000' => implode(',', array_merge([MC1 . ':10000'], $fillers(99, ':10000'))),
];
foreach ($cases as $name => $sp) {
    echo "-- $name\n";
    ini_set('session.save_path', $sp);
    $sid = h4_sid('splim');
    session_id($sid);
    $t0 = hrtime(true);
    $started = session_start();
    $ms = h4_ms($t0);
    $_SESSION['probe'] = 1;
    $closed = session_write_close();
    $msgs = array_filter(h4_msgs(), fn ($m) => str_contains($m, 'rsmemcache: '));
    foreach ($msgs as $m) { echo "Warning: ", h4_norm($m), "\n"; }
    printf("start=%s close=%s rsmemcache-warnings=%d key %s; refused within a second: %s\n", var_export($started, true),
        var_export($closed, true), count($msgs), h4_absent(mc_key($sid)), var_export($ms < 1000, true));
}
echo "-- rsmemcache_servers() refuses the same way\n";
var_dump(rsmemcache_servers(implode(',', $fillers(257))));
foreach (h4_msgs() as $m) { echo "Warning: ", h4_norm($m), "\n"; }
echo "-- 256 servers of weight 100 (the maximum) are accepted\n";
$sp = implode(',', array_merge([MC1 . ':100'], $fillers(255, ':100')));
var_dump(count(rsmemcache_servers($sp)));
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- 257 servers
Warning: session_start(): rsmemcache: invalid session.save_path entry '10.255.0.255:11211': more than 256 servers (the maximum)
start=false close=false rsmemcache-warnings=1 key absent everywhere; refused within a second: true
-- 65536 servers
Warning: session_start(): rsmemcache: invalid session.save_path entry '10.255.0.255:11211': more than 256 servers (the maximum)
start=false close=false rsmemcache-warnings=1 key absent everywhere; refused within a second: true
-- weight 101 (list grammar)
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1:101': weight 101 is above the maximum of 100
start=false close=false rsmemcache-warnings=1 key absent everywhere; refused within a second: true
-- weight 10000 (URL)
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC1?weight=10000': weight 10000 is above the maximum of 100
start=false close=false rsmemcache-warnings=1 key absent everywhere; refused within a second: true
-- weight 101 after a space
Warning: session_start(): rsmemcache: invalid session.save_path entry '101': weight 101 is above the maximum of 100
start=false close=false rsmemcache-warnings=1 key absent everywhere; refused within a second: true
-- 100 servers of weight 10000
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1:10000': weight 10000 is above the maximum of 100
start=false close=false rsmemcache-warnings=1 key absent everywhere; refused within a second: true
-- rsmemcache_servers() refuses the same way
bool(false)
Warning: rsmemcache_servers(): rsmemcache: invalid session.save_path entry '10.255.1.0:11211': more than 256 servers (the maximum)
-- 256 servers of weight 100 (the maximum) are accepted
int(256)
canary intact on all servers
