--TEST--
hostile: a proxied reply announcing "VA 1073741824" (then hanging) or "VA -1" is a protocol error; a PHP process under a 400 MB address-space limit survives it
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; if (!is_executable('/bin/sh')) die('skip no /bin/sh'); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.retry_interval=0
rsmemcache.timeout=1000
rsmemcache.lock_wait_time=2000
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
$child = tempnam(sys_get_temp_dir(), 'hphuge') . '.php';
file_put_contents($child, <<<'PHP'
<?php
[, $path, $id, $locking] = $argv;
ini_set('session.save_path', $path);
ini_set('rsmemcache.locking', $locking);
set_error_handler(static function (int $no, string $str): bool { echo "warning: $str\n"; return true; });
session_id($id);
$ok = session_start();
echo 'session_start: ', var_export($ok, true), "\n";
echo 'data: ', json_encode($_SESSION ?? null), "\n";
if ($ok) { session_write_close(); }
echo "child survived\n";
PHP);
$proxy = hp_start(MC1);
$id = hp_sid('huge');
try {
    foreach ([['huge_length', 0], ['huge_length', 1], ['negative_length', 0], ['negative_length', 1]] as [$mode, $locking]) {
        hp_put(MC1, $id, 'who|s:5:"owner";');
        hp_rule($proxy, ['mode' => $mode, 'match' => '/^mg ' . preg_quote(mc_key($id), '/') . ' (.* )?v( |$)/', 'count' => 1]);
        $before = hp_fired($proxy, $mode);
        $cmd = '/bin/sh -c ' . escapeshellarg('ulimit -v 400000; exec ' . php_child_cmd($child,
            ['tcp://' . $proxy['addr'] . '?retry_interval=0', $id, (string)$locking]));
        $t0 = hrtime(true);
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]); fclose($pipes[2]);
        $code = proc_close($p);
        $ms = h4_ms($t0);
        echo "-- $mode, locking=$locking: proxy fired: ", hp_fired($proxy, $mode) > $before ? 'yes' : 'NO', "\n";
        echo "exit code: $code", $code === 134 || $code === 6 ? ' (SIGABRT)' : '', "\n";
        $lines = $out === '' ? [] : explode("\n", rtrim($out, "\n"));
        echo "rsmemcache protocol error warning: ",
            preg_grep('/^warning: .*rsmemcache: .*protocol error/', $lines) ? 'yes' : 'no', "\n";
        echo "served the value anyway: ", preg_grep('/^data: .*owner/', $lines) ? 'YES' : 'no', "\n";
        echo "child survived: ", in_array('child survived', $lines, true) ? 'yes' : 'no', "\n";
        echo "under 10 s: ", $ms < 10000 ? 'yes' : 'no', "\n";
        if ($code !== 0 || !in_array('child survived', $lines, true)) {
            foreach (array_slice(array_merge($lines, explode("\n", trim($err))), 0, 6) as $l) {
                if ($l !== '') { echo "  | ", h4_norm(str_replace([$id, substr($id, 0, 6) . '...'], '<ID>', $l)), "\n"; }
            }
        }
        mc_delete(MC1, mc_lock_key($id));
    }
} finally {
    hp_stop($proxy);
    hp_forget($id);
    @unlink($child);
}
?>
--EXPECT--
-- huge_length, locking=0: proxy fired: yes
exit code: 0
rsmemcache protocol error warning: yes
served the value anyway: no
child survived: yes
under 10 s: yes
-- huge_length, locking=1: proxy fired: yes
exit code: 0
rsmemcache protocol error warning: yes
served the value anyway: no
child survived: yes
under 10 s: yes
-- negative_length, locking=0: proxy fired: yes
exit code: 0
rsmemcache protocol error warning: yes
served the value anyway: no
child survived: yes
under 10 s: yes
-- negative_length, locking=1: proxy fired: yes
exit code: 0
rsmemcache protocol error warning: yes
served the value anyway: no
child survived: yes
under 10 s: yes
