<?php
/*
 * End-to-end test page (tests/e2e/sigstop.sh, served by the farm of
 * scripts/farm.sh): starts the session, increments $_SESSION['n'], writes
 * the session, and answers one JSON line:
 *
 *   {"node":"A","pid":123,"sid":"...","n":7,
 *    "servers":[{"server":"127.0.0.1:27201","state":"up","last_error":null},...],
 *    "warnings":[...]}
 *
 * "servers" is rsmemcache_servers(): the state of each memcached as THIS
 * worker process sees it. Warnings are collected into the answer and still
 * logged. HTTP 503 when session_start() fails or the session was not
 * written (PHP's "Failed to write session data" warning).
 */
declare(strict_types=1);

$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings): bool {
    $warnings[] = $msg;
    return false; // PHP logs it too
});

function answer(int $status, array $body): never {
    global $warnings;
    $servers = [];
    foreach (rsmemcache_servers() ?: [] as $s) {
        $servers[] = ['server' => $s['server'], 'state' => $s['state'], 'last_error' => $s['last_error']];
    }
    http_response_code($status);
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    $node = getenv('FARM_NODE');
    echo json_encode(['node' => $node === false ? '?' : $node, 'pid' => getmypid()] + $body
        + ['servers' => $servers, 'warnings' => $warnings], JSON_UNESCAPED_SLASHES), "\n";
    exit;
}

if (!session_start()) {
    answer(503, ['error' => 'session_start() failed']);
}
$n = (int)($_SESSION['n'] ?? 0) + 1;
$_SESSION['n'] = $n;
$sid = session_id();
$before = count($warnings);
session_write_close();
foreach (array_slice($warnings, $before) as $w) {
    if (str_contains($w, 'Failed to write session data')) {
        answer(503, ['error' => 'session not written', 'sid' => $sid, 'n' => $n]);
    }
}
answer(200, ['sid' => $sid, 'n' => $n]);
