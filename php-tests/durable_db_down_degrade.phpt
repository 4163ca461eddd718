--TEST--
durable tier: MariaDB stopped mid-run with degrade: requests keep working from memcached, one error-log line per retry interval, rsmemcache_servers() shows it; back: the next write catches up
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
$prefix = 'ddown.' . bin2hex(random_bytes(3)) . '.';
db_setup($prefix);
ini_set('rsmemcache.durable_write_every', '10');
ini_set('rsmemcache.durable_timeout', '500');
ini_set('rsmemcache.retry_interval', '1');
$id = db_sid('down');
function bump(string $id): int {
    session_id($id);
    session_start();
    $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
    $n = $_SESSION['n'];
    session_write_close();
    return $n;
}
bump($id);                                  // created: written to the database
echo 'row after create: n=', str_contains(db_row($prefix, $id)[2], 'n|i:1;') ? 1 : '?', "\n";
db_stop();
for ($i = 0; $i < 8; $i++) { $n = bump($id); }   // versions 2-9: not due, no database I/O
echo "n=$n: ", count(errlog_take()), " error-log line(s)\n";
for ($i = 0; $i < 3; $i++) { $n = bump($id); }   // version 10 is due: fails, logged
echo "n while MariaDB is down: $n\n";
$lines = errlog_take();
echo count($lines), " error-log line(s)\n";
echo preg_replace('/^(rsmemcache: durable tier \S+): .*; /', '$1: ...; ', $lines[0] ?? '-'), "\n";
$tier = array_values(array_filter(rsmemcache_servers(), static fn ($s) => str_starts_with($s['server'], 'durable ')));
echo $tier[0]['state'], ' ', $tier[0]['failures'] >= 1 ? 'failures>=1' : 'no failures', "\n";
// The next retry interval: the missed write is tried again, logged once.
$until = time() + 2;
while (time() < $until) { usleep(50000); }
$n = bump($id);
echo count(errlog_take()), " line(s) after the interval\n";
db_start();
$until = time() + 2;
while (time() < $until) { usleep(50000); }
$n = bump($id);                             // version 14: not a 10th, but a write was missed
$row = db_row($prefix, $id);
echo "back: n=$n, row version {$row[0]}, row holds n=", preg_match('/n\|i:(\d+);/', $row[2], $m) ? $m[1] : '?', "\n";
echo implode("\n", array_map(static fn ($l) => preg_replace('/\/\S+sock\?database=\w+/', 'DSN', $l), errlog_take())), "\n";
$n = bump($id);                             // version 15: lags again (write_every 10)
echo "row version then: ", db_row($prefix, $id)[0], "\n";
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECTF--
row after create: n=1
n=9: 0 error-log line(s)
n while MariaDB is down: 12
1 error-log line(s)
rsmemcache: durable tier %s: ...; sessions work from memcached alone for 1 s
failed failures>=1
1 line(s) after the interval
back: n=14, row version 14, row holds n=14
rsmemcache: durable tier DSN: answering again
row version then: 14
