--TEST--
durable tier: a destroy of a session this request did not read (an administrator's forced logout through SessionHandler::destroy()) covers the version stored: its row is deleted with the database up, and with the database down the tombstone buries the row, so the old cookie reads an empty session in another process once the database is back
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
$prefix = 'dunread.' . bin2hex(random_bytes(3)) . '.';
$servers = [MC1, MC2];
db_setup($prefix, $servers);
ini_set('rsmemcache.durable_timeout', '500');
ini_set('rsmemcache.retry_interval', '1');
$E = db_sid('E'); $G = db_sid('G'); $admin = db_sid('adm');
/** Three requests on $id: the session reaches version 3. */
function visits(string $id, string $user): void {
    foreach ([1, 2, 3] as $n) {
        session_id($id);
        session_start();
        $_SESSION['user'] = $user;
        $_SESSION['n'] = $n;
        session_write_close();
    }
}
/** The administrator's request: its own session open, $victim destroyed through the save handler. */
function force_logout(string $admin, string $victim): bool {
    $h = new SessionHandler();
    session_set_save_handler($h, false);
    session_id($admin);
    session_start();
    $ok = $h->destroy($victim);
    session_write_close();
    return $ok;
}
function child(string $prefix, string $id): string {
    return (string)shell_exec(php_child_cmd(__DIR__ . '/lib/helpers/durable_read_child.php', [implode(',', $GLOBALS['servers']), $prefix, $id, '']) . ' 2>&1');
}
visits($G, 'gina');
visits($E, 'eve');
echo 'rows: G v', db_row($prefix, $G)[0], ', E v', db_row($prefix, $E)[0], "\n";

echo "-- the database up: G logged out by the administrator\n";
echo 'destroyed: ', json_encode(force_logout($admin, $G)), "\n";
echo 'row of G: ', json_encode(db_row($prefix, $G)), "\n";
db_flush_memcached($servers);
echo str_replace($G, '<G>', child($prefix, $G));

echo "-- MariaDB stopped: E logged out by the administrator\n";
visits($E, 'eve');
errlog_take(); // E restored from its row after the flush above: not this part's subject
db_stop();
echo 'destroyed: ', json_encode(force_logout($admin, $E)), "\n";
foreach (errlog_take() as $l) {
    echo '  logged: ', preg_replace(['/durable tier \S+: .*; /', '/session (\w{6})\.\.\./'], ['durable tier DSN: ...; ', 'session <id>'], $l), "\n";
}
echo "-- MariaDB back: the old cookie, in a process of its own\n";
db_start();
echo 'row of E: v', db_row($prefix, $E)[0], "\n";
echo str_replace($E, '<E>', child($prefix, $E));
$row = db_row($prefix, $E);
echo 'row of E now: v', $row[0], ' (the empty session the child started under the same id), holds eve: ', json_encode(str_contains($row[2], 'eve')), "\n";
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECTF--
rows: G v3, E v3
-- the database up: G logged out by the administrator
destroyed: true
row of G: null
child read: [], tombstones honoured: 0
-- MariaDB stopped: E logged out by the administrator
destroyed: true
  logged: rsmemcache: durable tier DSN: ...; sessions work from memcached alone for 1 s
  logged: rsmemcache: session <id>: its durable-tier row was not deleted; retried when the database answers, and not restored meanwhile (tombstone)
-- MariaDB back: the old cookie, in a process of its own
row of E: v6
child read: [], tombstones honoured: 1
child logged: rsmemcache: session <id>: the durable-tier row (version 6) is treated as absent: the session was destroyed at version 6 (unix time %d) after it was written
row of E now: v7 (the empty session the child started under the same id), holds eve: false
