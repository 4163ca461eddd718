<?php
/*
 * End-to-end test page of tests/e2e/fpm-faults.sh (served by the farm of
 * scripts/farm.sh): a locked increment. session_start() takes the session's
 * lock, the page reads $_SESSION['n'], works work_ms milliseconds (default
 * 2) with the lock held, writes n + 1 and closes the session. Parallel
 * requests of one session must therefore each see a different n; a lost
 * update shows as two answers with the same n.
 *
 *   incr.php                 increment; answers
 *                            {"node":"A","pid":123,"sid":"...","n":7,"exception":null}
 *   incr.php?op=peek         read only (read_and_close): {"...","n":7}
 *   incr.php?framework=1     the same under a framework's error handling, as
 *                            Laravel's HandleExceptions does it: every PHP
 *                            error of every level becomes an ErrorException,
 *                            display_errors stays as the pool set it (the
 *                            test sets 1), and the exception handler answers
 *                            HTTP 500 with "exception": "<class>: <message>".
 *
 * Without framework=1 a warning is collected into "warnings" (and logged).
 * HTTP 503 when session_start() fails or the write failed (PHP's "Failed to
 * write session data" warning, or session_write_close() false).
 */
declare(strict_types=1);

$framework = ($_GET['framework'] ?? '') === '1';
$warnings = [];

function answer(int $status, array $body): never {
    global $warnings;
    http_response_code($status);
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    $node = getenv('FARM_NODE');
    echo json_encode(['node' => $node === false ? '?' : $node, 'pid' => getmypid()] + $body
        + ['warnings' => $warnings, 'display_errors' => ini_get('display_errors')], JSON_UNESCAPED_SLASHES), "\n";
    exit;
}

if ($framework) {
    error_reporting(E_ALL);
    set_error_handler(function (int $level, string $message, string $file = '', int $line = 0): bool {
        if (error_reporting() & $level) {
            throw new ErrorException($message, 0, $level, $file, $line);
        }
        return false;
    });
    set_exception_handler(function (Throwable $e): void {
        answer(500, ['exception' => get_class($e) . ': ' . $e->getMessage()]);
    });
} else {
    set_error_handler(function (int $no, string $msg) use (&$warnings): bool {
        $warnings[] = $msg;
        return false; // PHP logs it too
    });
}

$work_ms = (int)($_GET['work_ms'] ?? 2);
if (($_GET['op'] ?? '') === 'peek') {
    if (!session_start(['read_and_close' => true])) {
        answer(503, ['error' => 'session_start() failed']);
    }
    answer(200, ['sid' => session_id(), 'n' => (int)($_SESSION['n'] ?? 0), 'exception' => null]);
}

if (!session_start()) {
    answer(503, ['error' => 'session_start() failed']);
}
$n = (int)($_SESSION['n'] ?? 0) + 1;
if ($work_ms > 0) {
    usleep(min($work_ms, 1000) * 1000);
}
$_SESSION['n'] = $n;
$sid = session_id();
$before = count($warnings);
$closed = session_write_close();
$failed = !$closed;
foreach (array_slice($warnings, $before) as $w) {
    $failed = $failed || str_contains($w, 'Failed to write session data');
}
if ($failed) {
    answer(503, ['error' => 'session not written', 'sid' => $sid, 'n' => $n]);
}
answer(200, ['sid' => $sid, 'n' => $n, 'exception' => null]);
