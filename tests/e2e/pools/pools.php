<?php
/* The app of tests/e2e/pools.sh, served by two php-fpm pools of one master
 * that run as two different users. One request per call, plain text or JSON:
 *   ?op=touch&id=ID[&path=SAVE_PATH]  a session round trip (start, write,
 *                                     close): "ok" or "fail: <warnings>"
 *   ?op=hiccup&id=ID                  the same after
 *                                     ini_set('rsmemcache.retry_interval', '86400')
 *   ?op=state&mc=HOST:PORT            JSON: this worker's euid, FAKE state
 *                                     (rsmemcache_servers()), the servers
 *                                     rsmemcache_stats() lists, its timeouts,
 *                                     and how many php --ri (phpinfo) rows
 *                                     name HOST:PORT
 */
header('Content-Type: text/plain');
$op = $_GET['op'] ?? '';
$warnings = [];
set_error_handler(static function (int $no, string $str) use (&$warnings): bool {
    $warnings[] = $str;
    return true;
});

function euid(): int {
    foreach (file('/proc/self/status') ?: [] as $line) {
        if (preg_match('/^Uid:\s+\d+\s+(\d+)/', $line, $m)) { return (int)$m[1]; }
    }
    return -1;
}

function touch_session(string $id, ?string $path): bool {
    if ($path !== null) { session_save_path($path); }
    session_id($id);
    if (!session_start()) { return false; }
    $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
    return session_write_close();
}

switch ($op) {
    case 'hiccup':
        ini_set('rsmemcache.retry_interval', '86400');
        // fall through
    case 'touch':
        $ok = touch_session((string)($_GET['id'] ?? ''), $_GET['path'] ?? null);
        echo $ok ? "ok\n" : 'fail: ' . implode(' | ', $warnings) . "\n";
        break;
    case 'state':
        $mc = (string)($_GET['mc'] ?? '');
        $state = [];
        foreach (rsmemcache_servers() as $r) { $state[$r['server']] = $r['state']; }
        $stats = rsmemcache_stats();
        ob_start();
        phpinfo(INFO_MODULES);
        $info = ob_get_clean();
        echo json_encode([
            'euid' => euid(),
            'servers' => $state,
            'stats_servers' => array_column($stats['servers'], 'server'),
            'timeouts' => $stats['timeouts'],
            'minfo_rows' => $mc === '' ? 0 : preg_match_all('/(server|stats) ' . preg_quote($mc, '/') . '\b/', $info),
        ]), "\n";
        break;
    default:
        http_response_code(400);
        echo "unknown op\n";
}
