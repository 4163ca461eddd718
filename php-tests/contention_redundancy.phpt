--TEST--
contention: 16 processes incrementing 4 sessions for ~10 s with session_redundancy=2 and locking lose no update, see no false "another request changed it" conflict, and leave no lock behind
--SKIPIF--
<?php require __DIR__.'/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.locking=1
rsmemcache.session_redundancy=2
rsmemcache.lock_wait_time=10000
rsmemcache.retry_interval=0
--FILE--
<?php
require __DIR__ . '/hostile.inc';
$path = MC1 . ',' . MC2 . ',' . MC3;
ini_set('session.save_path', $path);
$ids = [];
for ($i = 0; $i < 4; $i++) { $ids[] = hp_sid("cr$i"); }
$r = hp_contention($path, $ids, 16, 10.0);
$final = 0;
$unreadable = 0;
foreach ($ids as $id) {
    session_id($id);
    if (session_start(['read_and_close' => true])) { $final += (int)($_SESSION['n'] ?? 0); } else { $unreadable++; }
}
$locks = 0;
foreach ($ids as $id) {
    foreach ([MC1, MC2, MC3] as $s) { if (mc_get($s, PREFIX . $id . '.lock') !== null) { $locks++; } }
}
echo "children that failed: {$r['bad_children']}\n";
echo "cycles > 0: ", $r['cycles'] > 0 ? 'yes' : 'no', "\n";
echo "increments confirmed: {$r['writes_ok']}; sum of final counters: $final; LOST UPDATES: ",
    max(0, $r['writes_ok'] - $final), "; unconfirmed writes that landed anyway: ", max(0, $final - $r['writes_ok']), "\n";
echo "\"another request changed it\" warnings (false conflicts): {$r['conflicts']}\n";
echo "sessions unreadable at the end: $unreadable\n";
echo "lock items left on the servers: $locks\n";
if ($r['clean'] !== $r['cycles']) {
    printf("cycles %d, starts ok %d, writes confirmed %d, clean (no warning) %d\n", $r['cycles'], $r['starts_ok'], $r['writes_ok'], $r['clean']);
}
arsort($r['warnings']);
foreach (array_slice($r['warnings'], 0, 5, true) as $w => $n) { echo "  warning x$n: ", h4_norm($w), "\n"; }
hp_forget(...$ids);
?>
--EXPECTF--
children that failed: 0
cycles > 0: yes
increments confirmed: %d; sum of final counters: %d; LOST UPDATES: 0; unconfirmed writes that landed anyway: 0
"another request changed it" warnings (false conflicts): 0
sessions unreadable at the end: 0
lock items left on the servers: 0
