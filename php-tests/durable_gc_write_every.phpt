--TEST--
durable tier: durable_write_every = 10 (the row lags by at most 9 changes, never goes backwards), session_gc() deletes exactly the expired rows and returns how many, destroy deletes the row
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
$prefix = 'dgc.' . bin2hex(random_bytes(3)) . '.';
db_sql('DROP TABLE IF EXISTS rsm_gc');
db_sql('CREATE TABLE rsm_gc LIKE rsmemcache_sessions');
db_setup($prefix);
ini_set('rsmemcache.durable_table', 'rsm_gc');
ini_set('rsmemcache.durable_write_every', '10');

// write_every = 10: 35 changes of one session.
$id = db_sid('every');
$worst = 0; $backwards = 0; $last = 0; $writes = 0;
for ($v = 1; $v <= 35; $v++) {
    session_id($id);
    session_start();
    $_SESSION['n'] = $v;
    session_write_close();
    $row = db_row($prefix, $id, 'rsm_gc');
    if ($row[0] < $last) { $backwards++; }
    if ($row[0] !== $last) { $writes++; }
    $last = $row[0];
    preg_match('/n\|i:(\d+);/', $row[2], $m);
    if ((int)$m[1] !== $row[0]) { echo "row data n={$m[1]} at version {$row[0]}\n"; }
    $worst = max($worst, $v - $row[0]);
}
echo "35 changes: $writes database writes, largest lag $worst, went backwards $backwards times, row at version $last\n";
// An unchanged session (lazy_write) does no database write.
session_id($id);
session_start();
session_write_close();
echo "unchanged request: row at version ", db_row($prefix, $id, 'rsm_gc')[0], "\n";

// gc: 3 sessions that live 1 s, 2 that live an hour.
ini_set('rsmemcache.durable_write_every', '1');
$short = [];
ini_set('session.gc_maxlifetime', '1');
for ($i = 0; $i < 3; $i++) {
    session_id($short[] = db_sid("short$i"));
    session_start(); $_SESSION['x'] = $i; session_write_close();
}
ini_set('session.gc_maxlifetime', '3600');
$long = [];
for ($i = 0; $i < 2; $i++) {
    session_id($long[] = db_sid("long$i"));
    session_start(); $_SESSION['x'] = $i; session_write_close();
}
// Wait until the short rows' expiry (unix seconds) has passed.
$exp = max(array_map(static fn ($s) => db_row($GLOBALS['prefix'], $s, 'rsm_gc')[1], $short));
while (time() <= $exp) { usleep(50000); }
session_id(db_sid('gc'));
session_start();
var_dump(session_gc());
var_dump(session_gc());
session_write_close();
echo "short rows left: ", count(array_filter($short, static fn ($s) => db_row($GLOBALS['prefix'], $s, 'rsm_gc') !== null)), "\n";
echo "long rows left: ", count(array_filter($long, static fn ($s) => db_row($GLOBALS['prefix'], $s, 'rsm_gc') !== null)), "\n";

// destroy deletes the row and the copies.
session_id($long[0]);
session_start();
var_dump(session_destroy());
var_dump(db_row($prefix, $long[0], 'rsm_gc'));
db_sql('DROP TABLE rsm_gc');
ob_end_flush();
?>
--EXPECT--
35 changes: 4 database writes, largest lag 9, went backwards 0 times, row at version 30
unchanged request: row at version 30
int(3)
int(0)
short rows left: 0
long rows left: 2
bool(true)
NULL
