<?php
/* Counter worker for lock_parallel_counter.phpt.
 *
 * Usage: php lock_counter.php <save_path> <id> <cycles> <go_file> [ini.name=value ...]
 *
 * Prints "ready", waits until <go_file> exists (so all workers start
 * together), then does <cycles> times: session_start(); $_SESSION['n']++;
 * session_write_close(). Prints every warning as "warning: <text>" and ends
 * with "done ok=<cycles that started and wrote> failed=<the others>".
 */
[, $savePath, $id, $cycles, $go] = $argv;
ini_set('session.save_path', $savePath);
foreach (array_slice($argv, 5) as $setting) {
    [$name, $value] = explode('=', $setting, 2);
    ini_set($name, $value);
}
set_error_handler(static function (int $no, string $str): bool {
    fwrite(STDOUT, "warning: $str\n");
    return true;
});
fwrite(STDOUT, "ready\n");
$deadline = microtime(true) + 30;
while (!file_exists($go)) {
    if (microtime(true) > $deadline) { fwrite(STDOUT, "no go file\n"); exit(1); }
    usleep(1000);
}
$ok = $failed = 0;
for ($i = 0; $i < (int)$cycles; $i++) {
    session_id($id);
    if (!session_start()) { $failed++; continue; }
    $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
    if (session_write_close()) { $ok++; } else { $failed++; }
}
fwrite(STDOUT, "done ok=$ok failed=$failed\n");
