--TEST--
durable tier: a logout while the database is failing (degrade) stays a logout: session_destroy() and session_regenerate_id(true) leave a tombstone; once the database is back the old cookie reads an empty session in another process (the tombstone honoured, the row deleted then), and this process's retry list deletes the rows of destroys nobody read again
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
require __DIR__ . '/lib/lifecycle.inc';
errlog_open();
$prefix = 'dtomb.' . bin2hex(random_bytes(3)) . '.';
$servers = [MC1, MC2];
db_setup($prefix, $servers);
ini_set('rsmemcache.durable_timeout', '500');
ini_set('rsmemcache.retry_interval', '1');
$A = db_sid('A'); $B = db_sid('B'); $C = db_sid('C'); $D = db_sid('D');
function login(string $id, string $user): void {
    session_id($id);
    session_start();
    $_SESSION['user'] = $user;
    session_write_close();
}
/** Per session: the user its row logs in, or - (no row, or an empty session). */
function rows(string $prefix, array $ids): string {
    return implode(' ', array_map(function ($t) use ($prefix, $ids) {
        $r = db_sql("SELECT CONCAT('x', HEX(data)) FROM rsmemcache_sessions WHERE id = '" . addslashes($prefix . db_row_id($ids[$t])) . "'");
        $data = $r ? (string)hex2bin(substr($r[0][0], 1)) : '';
        return "$t:" . (preg_match('/user\|s:\d+:"([^"]*)"/', $data, $m) ? $m[1] : '-');
    }, array_keys($ids)));
}
function child(string $prefix, string $id): string {
    return (string)shell_exec(php_child_cmd(__DIR__ . '/lib/helpers/durable_read_child.php', [implode(',', $GLOBALS['servers']), $prefix, $id, '']) . ' 2>&1');
}
function pause(int $s): void { $until = time() + $s; while (time() <= $until) { usleep(50000); } }
login($A, 'alice'); login($B, 'bob'); login($C, 'carol');
echo 'rows: ', rows($prefix, compact('A', 'B', 'C')), "\n";
$s0 = rsmemcache_stats();

echo "-- MariaDB stopped: logouts\n";
db_stop();
session_id($A); session_start(); session_destroy();
session_id($B); session_start(); session_regenerate_id(true); $B2 = session_id(); session_write_close();
session_id($C); session_start(); session_destroy();
foreach (errlog_take() as $l) {
    echo '  logged: ', preg_replace(['/durable tier \S+: .*; /', '/session (\w{6})\.\.\./'], ['durable tier DSN: ...; ', 'session <id>'], $l), "\n";
}
$s1 = rsmemcache_stats();
echo 'tombstones_written +', $s1['tombstones_written'] - $s0['tombstones_written'], "\n";

echo "-- MariaDB back: the old cookies, each read by a process of its own\n";
db_start();
echo 'rows: ', rows($prefix, compact('A', 'B', 'C')), "\n";
echo str_replace($A, '<A>', child($prefix, $A));
echo str_replace($B, '<B>', child($prefix, $B));
echo 'rows: ', rows($prefix, compact('A', 'B', 'C')), "\n";

echo "-- this process's next call to the database deletes C's row (its retry list)\n";
pause(1);
login($D, 'dave');
echo 'rows: ', rows($prefix, compact('A', 'B', 'C', 'D')), "\n";
echo str_replace($C, '<C>', child($prefix, $C));
session_id($B2); session_start();
echo 'the new id of B: ', json_encode($_SESSION), "\n";
session_write_close();
echo "-- the same id used again after its logout: a new session, newer than the tombstone\n";
login($A, 'alice again');
echo str_replace($A, '<A>', child($prefix, $A));
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECTF--
rows: A:alice B:bob C:carol
-- MariaDB stopped: logouts
  logged: rsmemcache: durable tier DSN: ...; sessions work from memcached alone for 1 s
  logged: rsmemcache: session <id>: its durable-tier row was not deleted; retried when the database answers, and not restored meanwhile (tombstone)
  logged: rsmemcache: session <id>: its durable-tier row was not deleted; retried when the database answers, and not restored meanwhile (tombstone)
  logged: rsmemcache: session <id>: its durable-tier row was not deleted; retried when the database answers, and not restored meanwhile (tombstone)
tombstones_written +3
-- MariaDB back: the old cookies, each read by a process of its own
rows: A:alice B:bob C:carol
child read: [], tombstones honoured: 1
child logged: rsmemcache: session <id>: the durable-tier row (version 1) is treated as absent: the session was destroyed at version 1 (unix time %d) after it was written
child read: [], tombstones honoured: 1
child logged: rsmemcache: session <id>: the durable-tier row (version 1) is treated as absent: the session was destroyed at version 1 (unix time %d) after it was written
rows: A:- B:- C:carol
-- this process's next call to the database deletes C's row (its retry list)
rows: A:- B:- C:- D:dave
child read: [], tombstones honoured: 0
the new id of B: {"user":"bob"}
-- the same id used again after its logout: a new session, newer than the tombstone
child read: {"user":"alice again"}, tombstones honoured: 0
