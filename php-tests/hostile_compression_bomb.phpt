--TEST--
hostile: a compressed session (pecl-memcache's flag 2) of ~500 KB that inflates to 512 MiB is refused at a quarter of memory_limit with a warning: the process never grows past 256 MB (VmHWM), and its lock is released
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; if (!is_readable('/proc/self/status')) die('skip needs /proc'); if (!function_exists('deflate_init')) die('skip needs zlib'); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
$child = tempnam(sys_get_temp_dir(), 'hpbomb') . '.php';
file_put_contents($child, <<<'PHP'
<?php
[, $path, $id] = $argv;
ini_set('session.save_path', $path);
ini_set('memory_limit', '128M');
set_error_handler(static function (int $no, string $str): bool { echo "warning: $str\n"; return true; });
session_id($id);
$ok = session_start();
echo 'session_start: ', var_export($ok, true), "\n";
preg_match('/^VmHWM:\s+(\d+) kB/m', (string)file_get_contents('/proc/self/status'), $m);
echo 'peak memory under 256 MB: ', ((int)($m[1] ?? PHP_INT_MAX)) < 262144 ? 'yes' : 'NO (' . ($m[1] ?? '?') . ' kB)', "\n";
echo "child survived\n";
PHP);
// 512 MiB of zeros, deflated as a stream (the test never holds them).
$z = deflate_init(ZLIB_ENCODING_DEFLATE, ['level' => 9]);
$mib = str_repeat("\0", 1 << 20);
$bomb = '';
for ($i = 0; $i < 512; $i++) { $bomb .= deflate_add($z, $mib, ZLIB_NO_FLUSH); }
$bomb .= deflate_add($z, '', ZLIB_FINISH);
echo "compressed under 1 MB: ", var_export(strlen($bomb) < 1000000, true), "\n";
$id = hp_sid('bomb');
$key = mc_key($id);
$r = mc_raw(MC1, "ms $key " . strlen($bomb) . " F2 T600\r\n$bomb\r\n");
echo "stored with flag 2: ", var_export(str_starts_with($r, 'HD'), true), "\n";
$cmd = php_child_cmd($child, ['tcp://' . MC1, $id]);
$p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$out = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
fclose($pipes[1]); fclose($pipes[2]);
$code = proc_close($p);
$lines = $out === '' ? [] : explode("\n", rtrim($out, "\n"));
echo "exit code: $code", $code === 134 || $code === 6 ? ' (SIGABRT)' : '', "\n";
echo "warning names the cap: ", preg_grep('/^warning: .*rsmemcache: session .* cannot be read: compressed value .* inflates to more than 33554432 bytes/', $lines) ? 'yes' : 'no', "\n";
foreach ($lines as $l) { if (preg_match('/^(session_start|peak memory|child survived)/', $l)) { echo "$l\n"; } }
if ($code !== 0) { echo "  | ", h4_norm(trim($err)), "\n"; }
echo "lock left: ", mc_lock_get(MC1, "$key.lock") === null ? 'no' : 'YES', "\n";
echo "stored copy left as it is: ", var_export(mc_get(MC1, $key) === $bomb, true), "\n";
mc_delete(MC1, $key);
@unlink($child);
?>
--EXPECT--
compressed under 1 MB: true
stored with flag 2: true
exit code: 0
warning names the cap: yes
session_start: false
peak memory under 256 MB: yes
child survived
lock left: no
stored copy left as it is: true
