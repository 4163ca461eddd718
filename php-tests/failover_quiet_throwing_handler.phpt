--TEST--
failover: with an error handler that throws for every error (as frameworks install), a failover to the next server (one refused, session_redundancy=2) throws nothing and loses nothing; it goes to the error log
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
display_errors=1
log_errors=1
html_errors=0
error_reporting=E_ALL
rsmemcache.session_redundancy=2
rsmemcache.allow_failover=1
rsmemcache.connect_timeout=500
rsmemcache.timeout=1000
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
$log = tempnam(sys_get_temp_dir(), 'hpelog');
ini_set('error_log', $log);
ini_set('session.save_path', MC1 . ',' . MC_REFUSED . ',' . MC2);
set_error_handler(static function (int $no, string $str, string $file = '', int $line = 0): bool {
    throw new ErrorException($str, 0, $no, $file, $line);
}, E_ALL);
$ids = [];
for ($i = 0; $i < 50; $i++) { $ids[] = hp_sid("ft$i"); }
$written = $intact = 0;
$exceptions = [];
foreach ($ids as $id) {
    try {
        session_id($id);
        if (session_start()) {
            $_SESSION['v'] = "value of $id";
            if (session_write_close()) { $written++; }
        }
    } catch (ErrorException $e) {
        $exceptions[] = $e->getMessage();
        if (session_status() === PHP_SESSION_ACTIVE) { session_abort(); }
    }
}
foreach ($ids as $id) {
    try {
        session_id($id);
        if (session_start() && ($_SESSION['v'] ?? null) === "value of $id") { $intact++; }
        session_write_close();
    } catch (ErrorException $e) {
        $exceptions[] = $e->getMessage();
        if (session_status() === PHP_SESSION_ACTIVE) { session_abort(); }
    }
}
restore_error_handler();
echo "exceptions thrown: ", count($exceptions), "\n";
foreach (array_slice(array_unique($exceptions), 0, 3) as $m) { echo "  ", str_replace(MC_REFUSED, 'REFUSED', h4_norm($m)), "\n"; }
echo "written: $written/50, read back intact: $intact/50\n";
$lines = file($log, FILE_IGNORE_NEW_LINES) ?: [];
$named = preg_grep('/^(\[[^\]]*\] )?rsmemcache: .*' . preg_quote(MC_REFUSED, '/') . '/', $lines);
echo "error log lines starting with rsmemcache: naming the refused server: ", count($named) > 0 ? 'yes' : 'NO', "\n";
@unlink($log);
hp_forget(...$ids);
?>
--EXPECT--
exceptions thrown: 0
written: 50/50, read back intact: 50/50
error log lines starting with rsmemcache: naming the refused server: yes
