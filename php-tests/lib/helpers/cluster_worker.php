<?php
/* A stand-in for one PHP-FPM worker, for the cluster tests (cluster.inc:
 * cl_worker, cl_call) and bench/failover.php.
 *
 * Usage: php [-d ...] cluster_worker.php '<json object of ini settings>'
 *
 * Applies the ini settings with ini_set(), then serves commands, one JSON
 * object per line on stdin, answering one JSON line each on stdout, until
 * stdin closes. Every session request is session_id() + session_start() +
 * ... + session_write_close(), as a web request would do; the rsmemcache
 * pool (connections, failed-server state) lives on between requests, as in
 * a real worker. Warnings are collected per command, never printed.
 *
 *   {"op":"hello"}                       -> {"pid":n}
 *   {"op":"ini","set":{name:value}}      -> {"ok":true}
 *   {"op":"write","values":{id:value}}   one request per id: stores
 *                                        $_SESSION['v'] = value
 *   {"op":"read","ids":[...]}            one request per id
 *   {"op":"new","value":"..."}           a visitor without an id: gets a new
 *                                        id, stores value; a second request
 *                                        with that id reads it back
 *   {"op":"servers"}                     -> {"servers": rsmemcache_servers()}
 *   {"op":"open","id":id}                session_start() only: the request
 *                                        holds the session (and its lock)
 *   {"op":"commit","value":"..."}        then stores $_SESSION['v'] = value
 *                                        and session_write_close()
 *
 * Session answers: "started" {id: bool}, "closed" {id: bool}, "read"
 * {id: $_SESSION['v'] seen by session_start(), or null}, "ms" {id: the
 * request's wall time in ms}, "sid" {id: the id the session ran under
 * (differs in strict mode for an unknown id)}, "warnings" [texts], "logged"
 * [the rsmemcache lines written to PHP's error log meanwhile], and for "new":
 * "id", "readback".
 */
require __DIR__ . '/../errlog.inc';
$ini = json_decode($argv[1] ?? '{}', true) ?: [];
foreach ($ini as $k => $v) {
    if (ini_set($k, (string)$v) === false) {
        fwrite(STDERR, "ini_set($k) failed\n");
        exit(2);
    }
}
errlog_open();
$warnings = [];
set_error_handler(static function (int $no, string $str) use (&$warnings): bool {
    $warnings[] = $str;
    return true;
});

/** One request on session $id: returns [started, read value, closed, ms, the id the session ran under]. $value null: read only. */
function request(?string $id, ?string $value): array {
    $t0 = hrtime(true);
    session_id($id ?? '');
    $started = session_start();
    $sid = session_id();
    $read = $started ? ($_SESSION['v'] ?? null) : null;
    $closed = false;
    if ($started) {
        if ($value !== null) { $_SESSION['v'] = $value; }
        $closed = session_write_close();
    }
    return [$started, $read, $closed, (hrtime(true) - $t0) / 1e6, $sid];
}

while (($line = fgets(STDIN)) !== false) {
    $cmd = json_decode($line, true);
    $warnings = [];
    $out = [];
    switch ($cmd['op'] ?? '') {
        case 'hello':
            $out = ['pid' => getmypid()];
            break;
        case 'ini':
            foreach ($cmd['set'] as $k => $v) { ini_set($k, (string)$v); }
            $out = ['ok' => true];
            break;
        case 'write':
        case 'read':
            $jobs = $cmd['op'] === 'write' ? $cmd['values'] : array_fill_keys($cmd['ids'], null);
            $out = ['started' => [], 'read' => [], 'closed' => [], 'ms' => [], 'sid' => []];
            foreach ($jobs as $id => $value) {
                $id = (string)$id;
                [$s, $r, $c, $ms, $sid] = request($id, $value);
                $out['sid'][$id] = $sid;
                $out['started'][$id] = $s;
                $out['read'][$id] = $r;
                $out['closed'][$id] = $c;
                $out['ms'][$id] = $ms;
            }
            break;
        case 'new':
            [$s, $r, $c, $ms] = request(null, $cmd['value']);
            $id = session_id();
            session_id('');
            [$s2, $r2, $c2] = $s ? request($id, null) : [false, null, false];
            $out = ['id' => $id, 'started' => [$s, $s2], 'closed' => [$c, $c2], 'readback' => $r2];
            break;
        case 'servers':
            $out = ['servers' => rsmemcache_servers()];
            break;
        case 'open':
            session_id((string)$cmd['id']);
            $started = session_start();
            $out = ['started' => $started, 'read' => $started ? ($_SESSION['v'] ?? null) : null];
            break;
        case 'commit':
            $_SESSION['v'] = $cmd['value'];
            $t0 = hrtime(true);
            $out = ['closed' => session_write_close(), 'ms' => (hrtime(true) - $t0) / 1e6];
            break;
        default:
            $out = ['error' => 'unknown op'];
    }
    $out['warnings'] = $warnings;
    $out['logged'] = errlog_take();
    echo json_encode($out, JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
    fflush(STDOUT);
}
