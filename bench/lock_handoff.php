<?php
/* Lock hand-off delay of rsmemcache's session lock (a measurement, not a test).
 *
 * Usage:
 *   php -n -d extension=target/release/librsmemcache.so bench/lock_handoff.php 127.0.0.1:PORT
 *       [--handoffs=200] [--procs=2] [--hold=20] [--pause=6]
 *
 * Starts --procs worker processes (the same PHP binary with the same -n/-d
 * arguments, read from /proc/self/cmdline) that take turns on ONE session
 * stored on the given memcached server, with rsmemcache.locking=1:
 *
 *   loop: t_call = now; session_start()                 (waits for the lock)
 *         t_acq = now; read seq; hold the lock ~--hold ms (uniformly
 *                           jittered from half to 1.5 times it); seq++
 *         session_write_close()                         (writes + releases)
 *         t_rel = now; sleep --pause ms                 (lets another worker in)
 *
 * The default pause (6 ms) is longer than the longest poll delay (5 ms), so
 * the releaser rarely takes the lock straight back; with a shorter pause it
 * often does (no fairness between waiters and newcomers), and the skipped
 * count shows how often.
 *
 * The hand-off delay of session value seq is t_acq of the worker that read
 * seq minus t_rel of the worker that wrote it: the time from the holder's
 * session_write_close() returning to the waiter's session_start() returning.
 * Only real hand-offs are counted: a different process, which was already
 * waiting (its t_call before the release). Timestamps are hrtime(), i.e.
 * CLOCK_MONOTONIC on Linux, which is system-wide, so they are comparable
 * across processes on one machine.
 *
 * Prints count, min, median, p90, p99, max and mean in milliseconds (also
 * measured from the holder *calling* session_write_close(), an upper bound:
 * the release happens at memcached somewhere inside that call), plus the
 * uncontended session_start() time on the same server for reference.
 */

if (($argv[1] ?? '') === '--worker') {
    worker(array_slice($argv, 2));
    exit(0);
}

function usage(string $why): never {
    fwrite(STDERR, "$why\nusage: php -n -d extension=/path/librsmemcache.so " . basename(__FILE__)
        . " HOST:PORT [--handoffs=200] [--procs=2] [--hold=20] [--pause=6]\n");
    exit(2);
}

function configure(string $server): void {
    ini_set('session.save_handler', 'rsmemcache');
    ini_set('session.save_path', $server);
    ini_set('session.use_cookies', '0');
    ini_set('session.cache_limiter', '');
    ini_set('session.use_strict_mode', '0');
    ini_set('session.serialize_handler', 'php');
    ini_set('rsmemcache.locking', '1');
    ini_set('rsmemcache.lock_wait_time', '30000');
    ini_set('rsmemcache.prefix', 'rsmemcache.bench.');
    set_error_handler(static function (int $no, string $str): bool {
        fwrite(STDERR, "[" . getmypid() . "] warning: $str\n");
        return true;
    });
}

/** Worker: args server id target hold_ms pause_ms. Waits for "go" on stdin; prints its events at the end. */
function worker(array $a): void {
    [$server, $id, $target, $hold, $pause] = $a;
    configure($server);
    fwrite(STDOUT, "ready\n");
    if (trim((string)fgets(STDIN)) !== 'go') { exit(1); }
    $pid = getmypid();
    $events = [];
    for (;;) {
        session_id($id);
        $tCall = hrtime(true);
        if (!session_start()) { fwrite(STDERR, "[$pid] session_start failed\n"); exit(1); }
        $tAcq = hrtime(true);
        $seq = (int)($_SESSION['seq'] ?? -1);
        if ($seq < 0 || $seq >= (int)$target) { session_write_close(); break; }
        // A jittered hold (hold/2 .. 3*hold/2), so the waiter's poll phase is not locked to the release.
        usleep((int)($hold * 1000 * (0.5 + mt_rand() / mt_getrandmax())));
        $_SESSION['seq'] = $seq + 1;
        $tClose = hrtime(true);
        if (!session_write_close()) { fwrite(STDERR, "[$pid] session_write_close failed\n"); exit(1); }
        $tRel = hrtime(true);
        $events[] = "A $seq $tCall $tAcq $pid";
        $events[] = 'R ' . ($seq + 1) . " $tRel $pid $tClose";
        usleep((int)($pause * 1000));
    }
    fwrite(STDOUT, implode("\n", $events) . "\nend\n");
}

/** The PHP binary and the options before the script on this process's command line (-n, -d ...). */
function php_command(): string {
    $raw = @file_get_contents('/proc/self/cmdline');
    $parts = $raw === false ? [] : explode("\0", rtrim($raw, "\0"));
    $opts = [];
    for ($i = 1; $i < count($parts); $i++) {
        if (realpath($parts[$i]) === realpath(__FILE__)) { break; }
        $opts[] = $parts[$i];
    }
    if ($raw === false) { $opts = ['-n', '-d', 'extension=' . (getenv('RSMEMCACHE_SO') ?: 'rsmemcache')]; }
    return implode(' ', array_map('escapeshellarg', array_merge([PHP_BINARY], $opts)));
}

function percentile(array $sorted, float $p): float {
    $n = count($sorted);
    $rank = (int)ceil($p / 100 * $n) - 1;
    return $sorted[max(0, min($n - 1, $rank))];
}

$server = $argv[1] ?? usage('missing HOST:PORT');
if (!preg_match('/^[^:\s]+:\d+$|^\//', $server)) { usage("bad server '$server'"); }
$opt = ['handoffs' => 200, 'procs' => 2, 'hold' => 20, 'pause' => 6];
foreach (array_slice($argv, 2) as $arg) {
    if (!preg_match('/^--(handoffs|procs|hold|pause)=(\d+(?:\.\d+)?)$/', $arg, $m)) { usage("unknown option $arg"); }
    $opt[$m[1]] = $m[1] === 'hold' || $m[1] === 'pause' ? (float)$m[2] : (int)$m[2];
}
if (!extension_loaded('rsmemcache')) { usage('the rsmemcache extension is not loaded (-d extension=...)'); }
if ($opt['procs'] < 2) { usage('--procs must be at least 2'); }
configure($server);

// Reference: an uncontended session_start() (lock add + read in one round trip).
$id = 'bench' . bin2hex(random_bytes(8));
$solo = [];
for ($i = 0; $i < 50; $i++) {
    session_id($id);
    $t = hrtime(true);
    session_start();
    $solo[] = (hrtime(true) - $t) / 1e6;
    $_SESSION['seq'] = 0;
    session_write_close();
}
sort($solo);

// Extra sequence numbers: hand-offs that do not count (same process, or a
// waiter that arrived after the release) are replaced.
$target = (int)ceil($opt['handoffs'] * 1.5) + 20;
$cmd = php_command() . ' ' . escapeshellarg(__FILE__) . ' --worker '
    . implode(' ', array_map('escapeshellarg', [$server, $id, (string)$target, (string)$opt['hold'], (string)$opt['pause']]));
$workers = [];
for ($i = 0; $i < $opt['procs']; $i++) {
    $p = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $pipes);
    if (!is_resource($p)) { fwrite(STDERR, "cannot start a worker\n"); exit(1); }
    $workers[] = ['proc' => $p, 'in' => $pipes[0], 'out' => $pipes[1]];
}
foreach ($workers as $w) {
    if (trim((string)fgets($w['out'])) !== 'ready') { fwrite(STDERR, "a worker did not start\n"); exit(1); }
}
foreach ($workers as $w) { fwrite($w['in'], "go\n"); fflush($w['in']); }
$acq = $rel = [];
foreach ($workers as $w) {
    while (($line = fgets($w['out'])) !== false) {
        $f = explode(' ', trim($line));
        if ($f[0] === 'A') { $acq[(int)$f[1]] = ['call' => (int)$f[2], 't' => (int)$f[3], 'pid' => $f[4]]; }
        if ($f[0] === 'R') { $rel[(int)$f[1]] = ['t' => (int)$f[2], 'pid' => $f[3], 'close' => (int)$f[4]]; }
    }
    fclose($w['in']);
    fclose($w['out']);
    if (proc_close($w['proc']) !== 0) { fwrite(STDERR, "a worker failed\n"); exit(1); }
}
// Clean up the bench session.
session_id($id);
session_start();
session_destroy();

$delays = $fromCall = [];
$same = $late = 0;
ksort($acq);
foreach ($acq as $seq => $a) {
    if (!isset($rel[$seq])) { continue; }                        // seq 0: written by the parent
    $r = $rel[$seq];
    if ($r['pid'] === $a['pid']) { $same++; continue; }          // the releaser took it again
    if ($a['call'] >= $r['t']) { $late++; continue; }            // the waiter came after the release
    $delays[] = ($a['t'] - $r['t']) / 1e6;
    $fromCall[] = ($a['t'] - $r['close']) / 1e6;
    if (count($delays) === $opt['handoffs']) { break; }
}
sort($delays);
sort($fromCall);
$n = count($delays);
if ($n === 0) { fwrite(STDERR, "no hand-offs measured\n"); exit(1); }
printf("rsmemcache lock hand-off on %s: %d processes, lock held %.1f ms +-50%%, pause %.1f ms after each release\n",
    $server, $opt['procs'], $opt['hold'], $opt['pause']);
printf("hand-offs measured: %d (skipped: %d re-taken by the releaser, %d waiter arrived after the release)%s\n",
    $n, $same, $late, $n < $opt['handoffs'] ? " - fewer than the {$opt['handoffs']} asked for; use a longer --pause" : '');
printf("hand-off delay (session_write_close() returned -> waiter's session_start() returned), ms:\n");
printf("  min %.3f  median %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f\n",
    $delays[0], percentile($delays, 50), percentile($delays, 90), percentile($delays, 99), $delays[$n - 1],
    array_sum($delays) / $n);
$neg = count(array_filter($delays, static fn ($d) => $d < 0));
printf("  %d negative: the waiter was in before the holder's session_write_close() returned (memcached frees\n"
    . "  the lock before the holder reads its reply, and the holder may be descheduled meanwhile)\n", $neg);
printf("same, measured from the holder calling session_write_close() (an upper bound), ms:\n");
printf("  min %.3f  median %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f\n",
    $fromCall[0], percentile($fromCall, 50), percentile($fromCall, 90), percentile($fromCall, 99), $fromCall[$n - 1],
    array_sum($fromCall) / $n);
printf("uncontended session_start() for reference, ms: median %.3f  p90 %.3f  max %.3f\n",
    percentile($solo, 50), percentile($solo, 90), $solo[count($solo) - 1]);
