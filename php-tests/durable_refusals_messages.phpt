--TEST--
durable tier: a DSN holding user:password@ is refused without echoing the password; an empty credentials file and an unset one are refused in words (never an anonymous login); a database that cannot be reached is reported in words, never as the client's Debug text (DriverError { ... })
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
$prefix = 'dmsg.' . bin2hex(random_bytes(3)) . '.';
$seen = [];
set_error_handler(static function ($no, $msg) use (&$seen) { $seen[] = $msg; return true; });
$show = static function () use (&$seen): void {
    foreach ($seen as $m) { echo "  ", preg_replace(['/^\w+\(\): /', '/\/\S+\/sock\?database=\w+/', '/\S*rsmc-empty\w*/', '/127\.0\.0\.1:\d+/', '/\(rsmemcache\)\. .*/', '/ \(path: [^)]*\)/'], ['', 'DSN', 'FILE', 'ADDR', '(rsmemcache).', ''], $m), "\n"; }
    $seen = [];
};

// 1. user:password@ in the DSN.
$pw = 'Dsn5ecret' . bin2hex(random_bytes(4));
var_dump(ini_set('rsmemcache.durable_dsn', "mysql://rsm:$pw@127.0.0.1:3306/rsm_test"));
echo "password echoed: ", str_contains(implode("\n", $seen), $pw) ? 'yes' : 'no', "\n";
$show();

// 2. An empty credentials file, then none named.
db_setup($prefix);
ini_set('rsmemcache.durable_failure', 'error');
$empty = tempnam(sys_get_temp_dir(), 'rsmc-empty');
ini_set('rsmemcache.durable_credentials_file', $empty);
session_id(db_sid('e1')); session_start(); $_SESSION['v'] = 1; session_write_close();
echo "empty credentials file:\n";
$show();
ini_set('rsmemcache.durable_credentials_file', '');
ini_set('rsmemcache.durable_timeout', '999');            // another tier: tried afresh
session_id(db_sid('e2')); session_start(); $_SESSION['v'] = 1; session_write_close();
echo "no credentials file:\n";
$show();
unlink($empty);

// 3. Nothing listens at the DSN's address.
db_setup($prefix);
ini_set('rsmemcache.durable_failure', 'error');
ini_set('rsmemcache.durable_dsn', 'mysql://' . MC_REFUSED . '/rsm_test');
session_id(db_sid('e3')); session_start(); $_SESSION['v'] = 1; session_write_close();
echo "nothing listening:\n";
$show();
$logged = implode("\n", errlog_take());
echo "Debug text in the log: ", preg_match('/\b(DriverError|IoError|MySqlError) \{/', $logged) ? 'yes' : 'no', "\n";
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
ob_end_flush();
?>
--EXPECT--
bool(false)
password echoed: no
  rsmemcache: invalid value 'mysql://***@ADDR/rsm_test' for rsmemcache.durable_dsn: put user and password in rsmemcache.durable_credentials_file, not the DSN
empty credentials file:
  rsmemcache: durable tier DSN: rsmemcache.durable_credentials_file FILE: the file is empty; write user:password on its first line (an empty file is refused, never an anonymous login)
  Failed to read session data: rsmemcache
no credentials file:
  rsmemcache: durable tier DSN: rsmemcache.durable_credentials_file is not set: name a file whose first line is user:password (an anonymous login is never tried)
  Failed to read session data: rsmemcache
nothing listening:
  rsmemcache: durable tier mysql://ADDR/rsm_test: cannot connect to ADDR: Connection refused (os error 111); check the DSN and that the database listens
  Failed to read session data: rsmemcache
Debug text in the log: no
