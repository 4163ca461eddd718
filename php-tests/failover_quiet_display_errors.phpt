--TEST--
failover: with session_redundancy=2 and one refused server, failing over is quiet (display_errors=1 prints nothing) and goes to the error log as an rsmemcache: line naming the server
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
$ids = [];
for ($i = 0; $i < 50; $i++) { $ids[] = hp_sid("fq$i"); }
$written = $intact = 0;
foreach ($ids as $id) {
    session_id($id);
    if (session_start()) {
        $_SESSION['v'] = "value of $id";
        if (session_write_close()) { $written++; }
    }
}
foreach ($ids as $id) {
    session_id($id);
    if (session_start() && ($_SESSION['v'] ?? null) === "value of $id") { $intact++; }
    session_write_close();
}
echo "written: $written/50, read back intact: $intact/50\n";
$stored = 0;
foreach ($ids as $id) { if (count(mc_where(mc_key($id))) >= 1) { $stored++; } }
echo "stored on a live server: $stored/50\n";
$lines = file($log, FILE_IGNORE_NEW_LINES) ?: [];
$named = preg_grep('/^(\[[^\]]*\] )?rsmemcache: .*' . preg_quote(MC_REFUSED, '/') . '/', $lines);
echo "error log lines starting with rsmemcache: naming the refused server: ", count($named) > 0 ? 'yes' : 'NO', "\n";
$phpWarnings = preg_grep('/PHP Warning/', $lines);
echo "PHP warnings in the error log: ", count($phpWarnings), "\n";
foreach (array_slice($phpWarnings, 0, 2) as $l) { echo "  ", h4_norm(str_replace(MC_REFUSED, 'REFUSED', $l)), "\n"; }
@unlink($log);
hp_forget(...$ids);
?>
--EXPECT--
written: 50/50, read back intact: 50/50
stored on a live server: 50/50
error log lines starting with rsmemcache: naming the refused server: yes
PHP warnings in the error log: 0
