--TEST--
fork: a parent and its pcntl_fork() child, both using the pooled connection the parent opened before the fork, each read only their own session (1000 cycles each, locking on and off)
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; if (!function_exists('pcntl_fork')) die('skip pcntl not available'); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.retry_interval=0
rsmemcache.timeout=1000
rsmemcache.lock_wait_time=1000
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
ob_start();
ini_set('session.save_path', MC1);

/** 1000 cycles on $own; returns the figures. */
function cycles(string $own, array $all): array {
    $r = ['failed_starts' => 0, 'foreign_reads' => 0, 'wrong_counter' => 0, 'warnings' => 0, 'first_warnings' => []];
    set_error_handler(static function (int $no, string $str) use (&$r): bool {
        $r['warnings']++;
        if (count($r['first_warnings']) < 3) { $r['first_warnings'][] = $str; }
        return true;
    });
    $deadline = microtime(true) + 60;       // a broken build must not run for many minutes
    for ($i = 0; $i < 1000; $i++) {
        if (microtime(true) > $deadline) { $r['failed_starts'] += 1000 - $i; $r['first_warnings'][] = "gave up after 60 s at cycle $i"; break; }
        session_id($own);
        $ok = session_start();
        if (!$ok) { $r['failed_starts']++; continue; }
        $who = $_SESSION['who'] ?? null;
        if ($who !== $own) {
            if (in_array($who, $all, true)) { $r['foreign_reads']++; }
            session_abort();
            continue;
        }
        if (($_SESSION['n'] ?? -1) !== $i - $r['failed_starts'] - $r['foreign_reads'] - $r['wrong_counter']) { $r['wrong_counter']++; }
        $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
        session_write_close();
    }
    restore_error_handler();
    return $r;
}

$ids = [];
foreach ([1, 0] as $locking) {
    ini_set('rsmemcache.locking', (string)$locking);
    $p = $ids[] = hp_sid("forkp$locking");
    $c = $ids[] = hp_sid("forkc$locking");
    foreach ([$p, $c] as $id) { hp_put(MC1, $id, 'who|s:' . strlen($id) . ':"' . $id . '";n|i:0;'); }
    session_id($p); session_start(); session_write_close();     // the parent's pooled connection
    $out = tempnam(sys_get_temp_dir(), 'hpfork');
    $pid = pcntl_fork();
    if ($pid === 0) {
        while (ob_get_level()) { ob_end_clean(); }   // the parent's buffered output is the parent's to print
        file_put_contents($out, json_encode(cycles($c, [$p, $c])));
        exit(0);
    }
    $parent = cycles($p, [$p, $c]);
    pcntl_waitpid($pid, $status);
    $child = json_decode((string)file_get_contents($out), true);
    @unlink($out);
    echo "-- locking=$locking\n";
    echo "child exited normally: ", pcntl_wifexited($status) && pcntl_wexitstatus($status) === 0 ? 'yes' : 'NO', "\n";
    foreach (['parent' => $parent, 'child' => $child] as $who => $r) {
        if (!is_array($r)) { echo "$who: NO REPORT\n"; continue; }
        printf("%s: failed session_start %d, FOREIGN READS %d, wrong counter %d\n", $who, $r['failed_starts'], $r['foreign_reads'], $r['wrong_counter']);
        foreach ($r['first_warnings'] as $w) { echo "  $who warning: ", hp_summary([$w], $ids), "\n"; }
    }
    foreach (['parent' => $p, 'child' => $c] as $who => $id) {
        $raw = (string)mc_get(MC1, mc_key($id));
        echo "$who's stored session is its own: ", str_starts_with($raw, 'who|s:' . strlen($id) . ':"' . $id . '";') ? 'yes' : 'NO', "\n";
    }
}
hp_forget(...$ids);
ob_end_flush();
?>
--EXPECT--
-- locking=1
child exited normally: yes
parent: failed session_start 0, FOREIGN READS 0, wrong counter 0
child: failed session_start 0, FOREIGN READS 0, wrong counter 0
parent's stored session is its own: yes
child's stored session is its own: yes
-- locking=0
child exited normally: yes
parent: failed session_start 0, FOREIGN READS 0, wrong counter 0
child: failed session_start 0, FOREIGN READS 0, wrong counter 0
parent's stored session is its own: yes
child's stored session is its own: yes
