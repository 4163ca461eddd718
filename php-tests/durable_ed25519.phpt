--TEST--
durable tier: an account using MariaDB's ed25519 authentication (auth_ed25519) logs in and the session is written to and read back from the table (the client used to panic on every such connection)
--SKIPIF--
<?php
require __DIR__ . '/lib/durable.inc'; db_skipif();
$r = db_sql("SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'ed25519'");
if ((int)$r[0][0] === 0) {
    try { db_sql("INSTALL SONAME 'auth_ed25519'"); } catch (RuntimeException $e) { die('skip auth_ed25519 cannot be installed: ' . $e->getMessage()); }
}
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
display_errors=1
error_reporting=-1
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/durable.inc';
errlog_open();
$prefix = 'ded.' . bin2hex(random_bytes(3)) . '.';
$pw = 'Ed' . bin2hex(random_bytes(12));
db_sql("DROP USER IF EXISTS 'rsm_ed'@'localhost'");
db_sql("CREATE USER 'rsm_ed'@'localhost' IDENTIFIED VIA ed25519 USING PASSWORD('$pw')");
db_sql("GRANT ALL ON rsm_test.* TO 'rsm_ed'@'localhost'");
echo "plugin: ", db_sql("SELECT plugin FROM mysql.user WHERE user = 'rsm_ed'")[0][0] ?? '-', "\n";
$creds = tempnam(sys_get_temp_dir(), 'rsmc-ed');
file_put_contents($creds, "rsm_ed:$pw\n");
db_setup($prefix);
ini_set('rsmemcache.durable_credentials_file', $creds);
ini_set('rsmemcache.durable_failure', 'error');
$id = db_sid('ed');
session_id($id);
var_dump(session_start());
$_SESSION['v'] = 'ed25519-ok';
var_dump(session_write_close());
$row = db_row($prefix, $id);
echo "row: ", $row === null ? 'none' : "version {$row[0]}, " . $row[2], "\n";
db_flush_memcached();
session_id($id);
session_start();
echo "read back from the table: ", $_SESSION['v'] ?? '-', "\n";
session_write_close();
echo count(array_filter(errlog_take(), static fn ($l) => str_contains($l, 'restored from the durable tier'))), " restore line(s)\n";
unlink($creds);
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
db_sql("DROP USER 'rsm_ed'@'localhost'");
ob_end_flush();
?>
--EXPECT--
plugin: ed25519
bool(true)
bool(true)
row: version 1, v|s:10:"ed25519-ok";
read back from the table: ed25519-ok
1 restore line(s)
