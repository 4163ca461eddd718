<?php
/* One request of a durable-tier test, in its own process so that system
 * settings (rsmemcache.durable_tls*, given with -d) apply (durable_link.inc,
 * dl_request()).
 *
 * Usage: php -d ... durable_client.php <save_path> <session id> <value or ''> <error log file>
 *
 * Starts session <id> on <save_path>, reads it, sets $_SESSION['v'] to
 * <value> when one is given, writes it, and prints one JSON object:
 * started, written, data (what was read), warnings (their texts), logged
 * (this request's rsmemcache error-log lines) and durable (the durable
 * tier's row of rsmemcache_servers(), or null).
 */
[, $path, $id, $value, $errlog] = $argv;
ini_set('log_errors', '1');
ini_set('error_log', $errlog);
ini_set('session.save_path', $path);
$warnings = [];
set_error_handler(static function (int $no, string $msg) use (&$warnings): bool { $warnings[] = $msg; return true; });
session_id($id);
$started = session_start();
$data = $started ? $_SESSION : null;
$written = null;
if ($started) {
    if ($value !== '') { $_SESSION['v'] = $value; }
    $written = session_write_close();
}
$logged = [];
foreach (file($errlog, FILE_IGNORE_NEW_LINES) ?: [] as $line) {
    if (preg_match('/^(?:\[[^\]]*\] )?(rsmemcache: .*)$/', $line, $m)) { $logged[] = $m[1]; }
}
$tier = array_values(array_filter(rsmemcache_servers() ?: [], static fn ($s) => str_starts_with($s['server'], 'durable ')));
echo json_encode(['started' => $started, 'written' => $written, 'data' => $data, 'warnings' => $warnings,
    'logged' => $logged, 'durable' => $tier[0] ?? null]), "\n";
