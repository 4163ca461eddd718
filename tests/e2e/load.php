<?php
/*
 * Load driver of tests/e2e/sigstop.sh (PHP CLI, no extension needed: plain
 * stream sockets, HTTP/1.0 to the farm's nginx on loopback).
 *
 * K virtual users, each with its own cookie jar (the PHPSESSID cookie the
 * farm sets), each sending requests one after the other to counter.php
 * (tests/e2e/app/) for a fixed time. Every answer must carry the same session
 * id as before and n = previous n + 1. The driver also owns the fault's
 * timeline: after the warm-up it sends SIGSTOP to --stop-pid, after --stop
 * seconds SIGCONT, and keeps the load going for --after seconds.
 *
 * Usage: php -n load.php --port P [--path /counter.php] [--users 40]
 *          [--warmup 5] [--stop 10] [--after 10] [--stop-pid PID]
 *          [--stopped host:port] --healthy host:port,host:port
 *          [--timeout 10] [--think-ms 10] [--slow-ms 3000]
 *          [--max-per-user 5000]
 * Without --stop-pid nothing is stopped (the baseline); the phases still run.
 *
 * Counted (each failure kind prints up to 8 samples):
 *   http errors      status != 200, no/invalid answer, or no answer within --timeout
 *   logouts          the session id changed, or n restarted at 1 after being > 1
 *   stale reads      n != previous n + 1 (after an error: + 1 or + 2, since
 *                    the failed request may or may not have been saved)
 *   healthy failed   an answer whose rsmemcache_servers() shows a --healthy
 *                    server not 'up', or a warning naming a --healthy server
 *   warnings         warnings in answers (fail the baseline: no fault, no warning)
 *   slow             requests over --slow-ms (printed; over --timeout is an error)
 * Prints a summary and "sigstop: requests=..., during stop=..., max latency=... ms";
 * exits 0 when the run passed, 1 otherwise, 2 on bad usage.
 */
declare(strict_types=1);
require_once __DIR__ . '/poll.inc';

$opt = getopt('', ['port:', 'path:', 'users:', 'warmup:', 'stop:', 'after:', 'stop-pid:', 'stopped:',
    'healthy:', 'timeout:', 'think-ms:', 'slow-ms:', 'max-per-user:']);
if (!isset($opt['port'], $opt['healthy'])) {
    fwrite(STDERR, "usage: see the header of " . __FILE__ . "\n");
    exit(2);
}
$port = (int)$opt['port'];
$path = $opt['path'] ?? '/counter.php';
$users = (int)($opt['users'] ?? 40);
$warmup = (float)($opt['warmup'] ?? 5);
$stopFor = (float)($opt['stop'] ?? 10);
$after = (float)($opt['after'] ?? 10);
$stopPid = isset($opt['stop-pid']) ? (int)$opt['stop-pid'] : 0;
$stoppedAddr = $opt['stopped'] ?? '';
$healthy = array_filter(explode(',', $opt['healthy']));
$timeout = (float)($opt['timeout'] ?? 10);
$thinkMs = (int)($opt['think-ms'] ?? 10);
$slowMs = (int)($opt['slow-ms'] ?? 3000);
$maxPerUser = (int)($opt['max-per-user'] ?? 5000);
$fault = $stopPid > 0;

/** The state letter of process $pid ('T' = stopped), or '' if it is gone. */
function proc_state(int $pid): string {
    $st = @file_get_contents("/proc/$pid/stat");
    return is_string($st) && preg_match('/^\d+ \(.*\) (\S) /s', $st, $m) ? $m[1] : '';
}

/** Sends $sig (STOP/CONT) with kill(1) (posix is not loaded under -n), then waits until the process state shows it. */
function signal_pid(int $pid, string $sig): void {
    exec('kill -' . $sig . ' ' . $pid . ' 2>&1', $out, $rc);
    if ($rc !== 0) { throw new RuntimeException("kill -$sig $pid failed: " . implode(' ', $out)); }
    $deadline = microtime(true) + 5;
    while (($sig === 'STOP') !== (proc_state($pid) === 'T')) {
        if (microtime(true) > $deadline) { throw new RuntimeException("pid $pid did not take SIG$sig"); }
        usleep(2000);
    }
}

$u = [];
for ($i = 0; $i < $users; $i++) {
    $u[$i] = ['sid' => null, 'n' => 0, 'after_error' => false, 'sock' => null, 'buf' => '',
              't0' => 0.0, 'next' => 0.0, 'count' => 0];
}

$c = ['requests' => 0, 'during_stop' => 0, 'http_errors' => 0, 'logouts' => 0, 'stale' => 0,
      'healthy_failed' => 0, 'warnings' => 0, 'slow' => 0, 'stopped_seen_failed' => 0];
$samples = [];
$healthyWorkers = [];
$stoppedWorkers = [];
$workers = [];
$maxLat = 0.0;
$maxLatStop = 0.0;
$lat = [];

function sample(string $kind, string $text): void {
    global $samples;
    if (count($samples[$kind] ?? []) < 8) { $samples[$kind][] = $text; }
}

$t0 = microtime(true);
$tStop = $t0 + $warmup;
$tCont = $tStop + $stopFor;
$tEnd = $tCont + $after;
$stopped = false;
$resumed = false;

/** Checks one finished request of user $i (status, body or error) and updates the counters. */
function finish(int $i, ?int $status, string $body, string $err, float $start, float $end): void {
    global $u, $c, $healthy, $stoppedAddr, $slowMs, $maxLat, $maxLatStop, $lat, $healthyWorkers, $stoppedWorkers,
        $workers, $tStop, $tCont, $fault;
    $ms = ($end - $start) * 1000;
    $lat[] = $ms;
    $c['requests']++;
    $inStop = $start >= $tStop && $start < $tCont;
    if ($inStop) { $c['during_stop']++; $maxLatStop = max($maxLatStop, $ms); }
    $maxLat = max($maxLat, $ms);
    $when = sprintf('t=%.2fs', $start - $GLOBALS['t0']);
    if ($ms > $slowMs) {
        $c['slow']++;
        sample('slow', sprintf('user %d %s took %d ms (status %s%s)', $i, $when, $ms, $status ?? '-', $err !== '' ? ", $err" : ''));
    }
    $j = $status !== null ? json_decode($body, true) : null;
    if (is_array($j)) {
        $worker = ($j['node'] ?? '?') . '/' . ($j['pid'] ?? '?');
        $workers[$worker] = true;
        foreach ($j['servers'] ?? [] as $s) {
            if (in_array($s['server'], $healthy, true) && $s['state'] !== 'up') {
                $c['healthy_failed']++;
                $healthyWorkers[$worker] = true;
                sample('healthy', "user $i $when worker $worker: {$s['server']} {$s['state']} ({$s['last_error']})");
            }
            if ($s['server'] === $stoppedAddr && $s['state'] !== 'up') {
                $c['stopped_seen_failed']++;
                $stoppedWorkers[$worker] = true;
            }
        }
        foreach ($j['warnings'] ?? [] as $w) {
            $c['warnings']++;
            sample('warning', "user $i $when worker $worker: $w");
            foreach ($healthy as $h) {
                if (str_contains($w, $h)) {
                    $c['healthy_failed']++;
                    $healthyWorkers[$worker] = true;
                    sample('healthy', "user $i $when worker $worker warned: $w");
                }
            }
        }
    }
    $user = &$u[$i];
    if ($status !== 200 || !is_array($j) || !isset($j['sid'], $j['n'])) {
        $c['http_errors']++;
        sample('http', sprintf('user %d %s: %s after %d ms: %s', $i, $when,
            $status === null ? 'no answer' : "HTTP $status", $ms, $err !== '' ? $err : substr(trim($body), 0, 300)));
        $user['after_error'] = true;
        return;
    }
    $sid = (string)$j['sid'];
    $n = (int)$j['n'];
    if ($user['sid'] !== null && $sid !== $user['sid']) {
        $c['logouts']++;
        sample('logout', "user $i $when: session id changed {$user['sid']} -> $sid (n {$user['n']} -> $n)");
    } elseif ($user['n'] > 1 && $n === 1) {
        $c['logouts']++;
        sample('logout', "user $i $when: n restarted at 1 after {$user['n']} (session $sid)");
    } else {
        $ok = $n === $user['n'] + 1 || ($user['after_error'] && $n === $user['n'] + 2);
        if (!$ok) {
            $c['stale']++;
            sample('stale', "user $i $when: n = $n after {$user['n']}" . ($user['after_error'] ? ' (after an error)' : '') . " (session $sid, worker {$j['node']}/{$j['pid']})");
        }
    }
    $user['sid'] = $sid;
    $user['n'] = $n;
    $user['after_error'] = false;
}

/** Starts user $i's next request: connect (loopback: immediate) and send it. */
function send(int $i): void {
    global $u, $port, $path;
    $user = &$u[$i];
    $user['t0'] = microtime(true);
    $user['buf'] = '';
    $s = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 2);
    if (!$s) {
        finish($i, null, '', "connect: $errstr", $user['t0'], microtime(true));
        return;
    }
    $req = "GET $path HTTP/1.0\r\nHost: 127.0.0.1:$port\r\nConnection: close\r\n";
    if ($user['sid'] !== null) { $req .= "Cookie: PHPSESSID={$user['sid']}\r\n"; }
    fwrite($s, $req . "\r\n");
    stream_set_blocking($s, false);
    $user['sock'] = $s;
    $user['count']++;
}

/** User $i's answer is complete (EOF): parses it, updates the jar, checks it. */
function received(int $i): void {
    global $u;
    $user = &$u[$i];
    fclose($user['sock']);
    $user['sock'] = null;
    $end = microtime(true);
    $raw = $user['buf'];
    $p = strpos($raw, "\r\n\r\n");
    if ($p === false || !preg_match('#^HTTP/1\.[01] (\d{3})#', $raw, $m)) {
        finish($i, null, '', 'malformed answer: ' . substr($raw, 0, 200), $user['t0'], $end);
        return;
    }
    $head = substr($raw, 0, $p);
    // The cookie jar: a Set-Cookie for PHPSESSID replaces the one kept.
    if (preg_match('/^Set-Cookie:\s*PHPSESSID=([^;\r\n]*)/mi', $head, $ck)) {
        $v = urldecode($ck[1]);
        $user['jar'] = ($v === '' || $v === 'deleted') ? null : $v;
    }
    finish($i, (int)$m[1], substr($raw, $p + 4), '', $user['t0'], $end);
    if (isset($user['jar']) && $user['jar'] !== $user['sid'] && $user['sid'] !== null) {
        // The farm moved the user to another session id (counted as a logout
        // by finish() through the answer's sid); follow the cookie as a browser would.
        $user['sid'] = $user['jar'];
    }
}

try {
    for (;;) {
        $now = microtime(true);
        if ($fault && !$stopped && $now >= $tStop) {
            signal_pid($stopPid, 'STOP');
            $stopped = true;
            printf("load: t=%.2fs SIGSTOP to memcached pid %d (%s)\n", microtime(true) - $t0, $stopPid, $stoppedAddr);
        }
        if ($fault && $stopped && !$resumed && $now >= $tCont) {
            signal_pid($stopPid, 'CONT');
            $resumed = true;
            printf("load: t=%.2fs SIGCONT to memcached pid %d\n", microtime(true) - $t0, $stopPid);
        }
        $active = 0;
        foreach ($u as $i => $user) {
            if ($user['sock'] !== null) {
                if ($now - $user['t0'] > $timeout) {
                    fclose($user['sock']);
                    $u[$i]['sock'] = null;
                    finish($i, null, '', sprintf('no complete answer within %.0f s', $timeout), $user['t0'], $now);
                    $u[$i]['next'] = $now + $thinkMs / 1000;
                } else {
                    $active++;
                }
            } elseif ($now < $tEnd && $now >= $user['next'] && $user['count'] < $maxPerUser) {
                send($i);
                if ($u[$i]['sock'] !== null) { $active++; } else { $u[$i]['next'] = $now + $thinkMs / 1000; }
            }
        }
        if ($active === 0 && $now >= $tEnd) { break; }
        $read = [];
        foreach ($u as $i => $user) {
            if ($user['sock'] !== null) { $read[$i] = $user['sock']; }
        }
        if (!$read) { usleep(max(1000, $thinkMs * 500)); continue; }
        poll_answers($read, function (int $i, string $chunk) use (&$u): void {
            $u[$i]['buf'] .= $chunk;
        }, function (int $i) use (&$u, $thinkMs): void {
            received($i);
            $u[$i]['next'] = microtime(true) + $thinkMs / 1000;
        });
    }
} finally {
    if ($fault && $stopped && !$resumed) {
        exec('kill -CONT ' . $stopPid . ' 2>/dev/null');
    }
}

sort($lat);
$pct = fn (float $p) => $lat ? $lat[min(count($lat) - 1, (int)floor($p * count($lat)))] : 0;
$elapsed = microtime(true) - $t0;
printf("load: %d users, %.1f s, %d requests (%.0f/s), %d workers answered%s\n", $users, $elapsed, $c['requests'],
    $c['requests'] / max($elapsed, 0.001), count($workers), $fault ? ", fault: SIGSTOP $stoppedAddr for {$stopFor} s after {$warmup} s, then {$after} s" : ', no fault (baseline)');
printf("load: latency ms: p50 %.0f, p99 %.0f, max %.0f; during the stop max %.0f; over %d ms: %d\n",
    $pct(0.5), $pct(0.99), $maxLat, $maxLatStop, $slowMs, $c['slow']);
printf("load: http errors %d, logouts %d, stale reads %d, healthy server marked failed %d (workers: %d), warnings %d\n",
    $c['http_errors'], $c['logouts'], $c['stale'], $c['healthy_failed'], count($healthyWorkers), $c['warnings']);
if ($fault) {
    printf("load: answers showing the stopped server %s not up: %d (workers: %d of %d)\n",
        $stoppedAddr, $c['stopped_seen_failed'], count($stoppedWorkers), count($workers));
}
foreach (['http' => 'HTTP errors', 'logout' => 'logouts', 'stale' => 'stale reads', 'healthy' => 'healthy server marked failed',
          'warning' => 'warnings', 'slow' => 'slow requests'] as $k => $title) {
    foreach ($samples[$k] ?? [] as $line) { echo "  [$title] $line\n"; }
}
printf("sigstop: requests=%d, during stop=%d, max latency=%.0f ms\n", $c['requests'], $c['during_stop'], $maxLat);

$fail = [];
if ($c['requests'] < $users) { $fail[] = "only {$c['requests']} requests"; }
if ($c['http_errors']) { $fail[] = "{$c['http_errors']} HTTP errors"; }
if ($c['logouts']) { $fail[] = "{$c['logouts']} logouts"; }
if ($c['stale']) { $fail[] = "{$c['stale']} stale reads"; }
if ($c['healthy_failed']) { $fail[] = "{$c['healthy_failed']} times a healthy server was marked failed"; }
if (!$fault && $c['warnings']) { $fail[] = "{$c['warnings']} warnings without a fault"; }
if ($fault && $c['during_stop'] === 0) { $fail[] = 'no request ran during the stop'; }
if ($fail) {
    echo 'load: FAIL: ', implode(', ', $fail), "\n";
    exit(1);
}
echo "load: ok\n";
exit(0);
