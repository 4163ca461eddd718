<?php
/* One durable-tier benchmark run (started by bench/durable.php): session
 * cycles on one session in ONE process, with the ini given on the command
 * line. --mode=changed: session_start(); $_SESSION['n']++;
 * session_write_close(). --mode=unchanged: session_start();
 * session_write_close() (lazy_write: an expiry refresh). Prints one JSON
 * line {"us": median over batches of 100 cycles of µs per cycle}; any warning aborts the run, and the
 * counter must equal the number of changed cycles at the end.
 *
 *   php -n -d extension=... -d session.* -d rsmemcache.* durable_cycle.php ID MODE CYCLES WARMUP
 */
declare(strict_types=1);
set_error_handler(static function (int $no, string $msg): bool { fwrite(STDERR, "durable_cycle: $msg\n"); exit(1); });
[, $id, $mode, $cycles, $warmup] = $argv;
$cycle = static function (bool $change) use ($id): void {
    session_id($id);
    if (!session_start()) { fwrite(STDERR, "session_start failed\n"); exit(1); }
    if ($change) { $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1; }
    $_SESSION['p'] ??= str_repeat('x', 100);
    if (!session_write_close()) { fwrite(STDERR, "session_write_close failed\n"); exit(1); }
};
for ($i = 0; $i < (int)$warmup; $i++) { $cycle(true); }
// The median over batches of 100 cycles of their mean: a burst of other
// load on the machine moves only the batches it hits.
$batches = [];
for ($done = 0; $done < (int)$cycles; $done += 100) {
    $n = min(100, (int)$cycles - $done);
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) { $cycle($mode === 'changed'); }
    $batches[] = (hrtime(true) - $t) / 1000 / $n;
}
sort($batches);
$us = $batches[intdiv(count($batches), 2)];
session_id($id);
session_start(['read_and_close' => true]);
$want = (int)$warmup + ($mode === 'changed' ? (int)$cycles : 0);
if (($_SESSION['n'] ?? -1) !== $want) { fwrite(STDERR, "counter {$_SESSION['n']} != $want\n"); exit(1); }
echo json_encode(['us' => $us]), "\n";
