--TEST--
durable tier: durable_failure=error fails a write that cannot reach the database (memcached already has it); a missing table names stubs/rsmemcache-durable.sql; credentials never appear in warnings, logs, phpinfo() or rsmemcache_servers()
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
html_errors=0
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/durable.inc';
errlog_open();
$prefix = 'derr.' . bin2hex(random_bytes(3)) . '.';
$secret = explode(':', trim(file_get_contents(DB_DIR . '/credentials')), 2)[1];
$wrong = 'Wr0ngPassw0rd' . bin2hex(random_bytes(4));
file_put_contents($badcreds = tempnam(sys_get_temp_dir(), 'rsmc-creds'), "rsm:$wrong\n");
$seen = '';
set_error_handler(static function ($no, $msg) use (&$seen) { $seen .= "$msg\n"; echo "warning: ", preg_replace('/tier \S+: .*/', 'tier ...', $msg), "\n"; return true; });

// 1. error: a write that cannot reach the database fails with a warning;
// memcached has the new data already (it is written first).
db_setup($prefix);
$id = db_sid('err');
session_id($id); session_start(); $_SESSION['v'] = 1; session_write_close();
ini_set('rsmemcache.durable_dsn', 'mysql://' . MC_REFUSED . '/rsm_test');
ini_set('rsmemcache.durable_failure', 'error');
session_id($id);
var_dump(session_start());                       // memcached has it: no database read
$_SESSION['v'] = 2;
var_dump(session_write_close());
$loc = rsmemcache_locate($id);
var_dump(mc_get($loc['servers'][0], $loc['key']));
echo "row still at: ", db_row($prefix, $id)[0], "\n";

// 2. A missing table: the warning (error) and the log line (degrade) name the stub.
db_setup($prefix);
ini_set('rsmemcache.durable_table', 'no_such_table');
ini_set('rsmemcache.durable_failure', 'error');
session_id(db_sid('nt')); session_start(); $_SESSION['v'] = 1; session_write_close();
echo str_contains($seen, 'stubs/rsmemcache-durable.sql') ? "warning names the stub\n" : "warning does not name the stub\n";
ini_set('rsmemcache.durable_failure', 'degrade');
ini_set('rsmemcache.durable_timeout', '999');     // other settings: a tier of its own
var_dump(session_id(db_sid('nt2')), session_start());
$_SESSION['v'] = 1;
var_dump(session_write_close());
$log = implode("\n", errlog_take());
echo str_contains($log, 'stubs/rsmemcache-durable.sql') ? "log names the stub\n" : "log does not name the stub\n";

// 3. Wrong password (error): the warning names neither password.
ini_restore('rsmemcache.durable_table');
ini_set('rsmemcache.durable_failure', 'error');
ini_set('rsmemcache.durable_credentials_file', $badcreds);
session_id(db_sid('cred')); session_start(); $_SESSION['v'] = 1; session_write_close();
ob_start(); phpinfo(); $info = ob_get_clean();
$all = $seen . implode("\n", errlog_take()) . $info . print_r(rsmemcache_servers(), true) . print_r(ini_get_all('rsmemcache'), true);
echo str_contains($all, 'Access denied') ? "access denied reported\n" : "no access denied\n";
echo "real password shown: ", substr_count($all, $secret), ", wrong password shown: ", substr_count($all, $wrong), "\n";
unlink($badcreds);
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECTF--
bool(true)
warning: session_write_close(): rsmemcache: durable tier ...
warning: session_write_close(): Failed to write session data (rsmemcache). %s
bool(true)
string(6) "v|i:2;"
row still at: 1
warning: session_start(): rsmemcache: durable tier ...
warning: session_start(): Failed to read session data: rsmemcache %s
warning names the stub
string(0) ""
bool(true)
bool(true)
log names the stub
warning: session_start(): rsmemcache: durable tier ...
warning: session_start(): Failed to read session data: rsmemcache %s
access denied reported
real password shown: 0, wrong password shown: 0
