<?php
/* One durable-tier benchmark run (started by bench/durable.php): session
 * cycles on one session in ONE process, with the ini given on the command
 * line. --mode=changed: session_start(); $_SESSION['n']++;
 * session_write_close(). --mode=unchanged: session_start();
 * session_write_close() (lazy_write: an expiry refresh). Prints one JSON
 * line {"us": mean µs per timed cycle}; any warning aborts the run, and the
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
$t = hrtime(true);
for ($i = 0; $i < (int)$cycles; $i++) { $cycle($mode === 'changed'); }
$us = (hrtime(true) - $t) / 1000 / (int)$cycles;
session_id($id);
session_start(['read_and_close' => true]);
$want = (int)$warmup + ($mode === 'changed' ? (int)$cycles : 0);
if (($_SESSION['n'] ?? -1) !== $want) { fwrite(STDERR, "counter {$_SESSION['n']} != $want\n"); exit(1); }
echo json_encode(['us' => $us]), "\n";
