<?php
/*
 * Load driver of tests/e2e/fpm-faults.sh (PHP CLI, no extension needed: plain
 * stream sockets, HTTP/1.0 to the farm's nginx on loopback).
 *
 * S sessions, each driven by C concurrent clients sharing its cookie: every
 * client sends locked increments (tests/e2e/app/incr.php) one after the
 * other, so the C requests of a session contend for its lock all the time.
 * The shell script owns the faults; it names the current phase in the
 * --control file (one word; "end" stops the load) and the driver attributes
 * each request to the phase in which it was sent. The driver writes
 * "<phase> <requests answered>" to the --status file (every 50 ms), so the
 * script can wait for load to have run instead of sleeping.
 *
 * Usage: php -n increments.php --port P --control FILE --status FILE
 *          [--path /incr.php] [--sessions 12] [--clients 3] [--timeout 10]
 *          [--framework] [--sids FILE] [--victims FILE] [--label NAME]
 *   --sids FILE      the session ids are written there after the set-up
 *   --victims FILE   read at the end: the ids (one a line) that had a copy
 *                    on the server the script killed; reported as kept or lost
 *   --framework      requests incr.php?framework=1 (errors become exceptions)
 *   --allow-refused-in PHASE,...   refused writes (below) sent or answered
 *                    in these phases do not fail the run (they are counted
 *                    and printed)
 *
 * Counted per phase (and printed, with up to 8 samples of each failure):
 *   requests, HTTP errors (status != 200, no answer, not JSON, timeout;
 *   refused writes apart), refused writes (HTTP 503 whose warning is
 *   rsmemcache's "not written: another request changed it after this
 *   request read it", or that message as the exception with --framework:
 *   two requests held the session's lock at once, on two servers, and the
 *   later write was refused rather than going over the other's),
 *   exceptions (framework mode: "exception" in a 500 answer), warnings (in
 *   the answers), lost updates (an answer whose n another answer of the same
 *   session already had: two requests read the same n), lost sessions (the
 *   session id changed or n restarted at 1), workers that answered.
 * At the end every session is read back (op=peek): its n must equal the
 * number of increments answered 200 ("final check"; fewer = lost updates).
 * Exits 0 when every phase had 0 HTTP errors, 0 exceptions, 0 lost updates,
 * 0 lost sessions and the final check held; 1 otherwise; 2 on bad usage.
 */
declare(strict_types=1);
require_once __DIR__ . '/poll.inc';

$opt = getopt('', ['port:', 'path:', 'sessions:', 'clients:', 'timeout:', 'control:', 'status:', 'framework',
    'sids:', 'victims:', 'label:', 'allow-refused-in:']);
if (!isset($opt['port'], $opt['control'], $opt['status'])) {
    fwrite(STDERR, "usage: see the header of " . __FILE__ . "\n");
    exit(2);
}
$port = (int)$opt['port'];
$framework = isset($opt['framework']);
$path = ($opt['path'] ?? '/incr.php') . ($framework ? '?framework=1' : '');
$nSessions = (int)($opt['sessions'] ?? 12);
$nClients = (int)($opt['clients'] ?? 3);
$timeout = (float)($opt['timeout'] ?? 10);
$controlFile = $opt['control'];
$statusFile = $opt['status'];
$label = $opt['label'] ?? 'fpm-faults';
$allowRefused = array_filter(explode(',', $opt['allow-refused-in'] ?? ''));

/** @var array<string, array<string, mixed>> $phases per-phase counters, in order of appearance */
$phases = [];
$samples = [];

function phase(string $name): array {
    global $phases;
    $phases[$name] ??= ['requests' => 0, 'ok' => 0, 'http_errors' => 0, 'refused' => 0, 'refused_outside' => 0,
        'exceptions' => 0, 'warnings' => 0,
        'lost_updates' => 0, 'lost_sessions' => 0, 'workers' => []];
    return $phases[$name];
}

function sample(string $kind, string $text): void {
    global $samples;
    if (count($samples[$kind] ?? []) < 8) { $samples[$kind][] = $text; }
}

function current_phase(): string {
    global $controlFile;
    $p = @file_get_contents($controlFile);
    $p = is_string($p) ? trim($p) : '';
    return $p === '' ? 'warmup' : $p;
}

/** Splits a raw HTTP answer: [status|null, Set-Cookie PHPSESSID value|null, body]. */
function parse_answer(string $raw): array {
    $p = strpos($raw, "\r\n\r\n");
    if ($p === false || !preg_match('#^HTTP/1\.[01] (\d{3})#', $raw, $m)) {
        return [null, null, $raw];
    }
    $head = substr($raw, 0, $p);
    $cookie = preg_match('/^Set-Cookie:\s*PHPSESSID=([^;\r\n]*)/mi', $head, $ck) ? urldecode($ck[1]) : null;
    return [(int)$m[1], $cookie, substr($raw, $p + 4)];
}

/** One blocking request (set-up and final check). */
function http_get(string $uri, ?string $sid): string {
    global $port, $timeout;
    $s = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 2);
    if (!$s) { return ''; }
    stream_set_timeout($s, (int)ceil($timeout));
    $req = "GET $uri HTTP/1.0\r\nHost: 127.0.0.1:$port\r\nConnection: close\r\n";
    if ($sid !== null) { $req .= "Cookie: PHPSESSID=$sid\r\n"; }
    fwrite($s, $req . "\r\n");
    $raw = stream_get_contents($s);
    fclose($s);
    return is_string($raw) ? $raw : '';
}

// Session state: sid, increments answered 200, the n values seen.
$sess = [];

/** Checks one finished increment of session $k sent in phase $ph. */
function finish(int $k, string $ph, ?int $status, ?string $cookie, string $body, string $err, float $start): void {
    global $sess, $phases, $t0, $framework;
    phase($ph);
    $P = &$phases[$ph];
    $S = &$sess[$k];
    $P['requests']++;
    $when = sprintf('t=%.2fs', $start - $t0);
    $j = $status !== null ? json_decode($body, true) : null;
    if (is_array($j)) {
        $P['workers'][($j['node'] ?? '?') . '/' . ($j['pid'] ?? '?')] = true;
        foreach ($j['warnings'] ?? [] as $w) {
            $P['warnings']++;
            sample('warning', "[$ph] session $k $when: $w");
        }
        if (isset($j['exception'])) {
            $P['exceptions']++;
            sample('exception', "[$ph] session $k $when: {$j['exception']}");
        }
    }
    $refusal = 'another request changed it after this request read it';
    if (is_array($j) && ($framework
            ? $status === 500 && str_contains((string)($j['exception'] ?? ''), $refusal)
            : $status === 503 && array_filter($j['warnings'] ?? [], fn ($w) => str_contains($w, $refusal)))) {
        $P['refused']++;
        // In flight while the lock's server was killed or came back counts
        // as during that fault: sent or answered in an allowed phase.
        global $allowRefused, $nowPhase;
        if (!in_array($ph, $allowRefused, true) && !in_array($nowPhase, $allowRefused, true)) {
            $P['refused_outside']++;
        }
        if ($framework) { $P['exceptions']--; } // counted apart
        $S['errors']++;
        sample('refused', "[$ph] session $k $when: worker {$j['node']}/{$j['pid']}: write of n = " . ($j['n'] ?? '?') . ' refused');
        return;
    }
    if ($status !== 200 || !is_array($j) || !isset($j['sid'], $j['n'])) {
        $P['http_errors']++;
        $S['errors']++;
        sample('http', sprintf('[%s] session %d %s: %s: %s', $ph, $k, $when,
            $status === null ? 'no answer' : "HTTP $status", $err !== '' ? $err : substr(trim($body), 0, 300)));
        return;
    }
    $sid = (string)$j['sid'];
    $n = (int)$j['n'];
    if ($S['sid'] !== null && ($sid !== $S['sid'] || ($cookie !== null && $cookie !== $S['sid']))) {
        $P['lost_sessions']++;
        $S['lost'] = true;
        sample('session', "[$ph] session $k $when: id changed {$S['sid']} -> $sid (cookie " . ($cookie ?? '-') . ", n $n)");
        return;
    }
    if ($S['sid'] !== null && $n === 1) {
        $P['lost_sessions']++;
        $S['lost'] = true;
        sample('session', "[$ph] session $k $when: n restarted at 1 (session $sid, worker {$j['node']}/{$j['pid']})");
        return;
    }
    $S['sid'] = $sid;
    $S['ok']++;
    $P['ok']++;
    if (isset($S['seen'][$n])) {
        $P['lost_updates']++;
        sample('lost', "[$ph] session $k $when: n = $n answered twice (now by worker {$j['node']}/{$j['pid']}, before by {$S['seen'][$n]})");
    }
    $S['seen'][$n] = "{$j['node']}/{$j['pid']}";
}

$t0 = microtime(true);
$answered = 0;
$lastStatus = 0.0;
function write_status(string $ph): void {
    global $statusFile, $answered;
    file_put_contents("$statusFile.tmp", "$ph $answered\n");
    rename("$statusFile.tmp", $statusFile);
}

// Set-up: one first request per session (no cookie) creates it.
$ph = current_phase();
for ($k = 0; $k < $nSessions; $k++) {
    $sess[$k] = ['sid' => null, 'ok' => 0, 'errors' => 0, 'seen' => [], 'lost' => false];
    $start = microtime(true);
    [$status, $cookie, $body] = parse_answer(http_get($path, null));
    finish($k, $ph, $status, $cookie, $body, '', $start);
    $answered++;
    if ($sess[$k]['sid'] === null) {
        fwrite(STDERR, "increments: session $k could not be created: HTTP " . ($status ?? '-') . ' ' . substr(trim($body), 0, 300) . "\n");
        exit(1);
    }
}
if (isset($opt['sids'])) {
    file_put_contents($opt['sids'], implode("\n", array_column($sess, 'sid')) . "\n");
}
write_status($ph);

// The load: C clients per session, each one request at a time.
$cl = [];
for ($i = 0; $i < $nSessions * $nClients; $i++) {
    $cl[$i] = ['k' => $i % $nSessions, 'sock' => null, 'buf' => '', 't0' => 0.0, 'phase' => ''];
}

function send(int $i, string $ph): void {
    global $cl, $sess, $port, $path, $answered;
    $c = &$cl[$i];
    $c['t0'] = microtime(true);
    $c['buf'] = '';
    $c['phase'] = $ph;
    $s = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 2);
    if (!$s) {
        finish($c['k'], $ph, null, null, '', "connect: $errstr", $c['t0']);
        $answered++;
        return;
    }
    fwrite($s, "GET $path HTTP/1.0\r\nHost: 127.0.0.1:$port\r\nConnection: close\r\nCookie: PHPSESSID={$sess[$c['k']]['sid']}\r\n\r\n");
    stream_set_blocking($s, false);
    $c['sock'] = $s;
}

$nowPhase = $ph;
for (;;) {
    $now = microtime(true);
    $ph = current_phase();
    $nowPhase = $ph;
    $stopping = $ph === 'end';
    $active = 0;
    foreach ($cl as $i => $c) {
        if ($c['sock'] !== null) {
            if ($now - $c['t0'] > $timeout) {
                fclose($c['sock']);
                $cl[$i]['sock'] = null;
                finish($c['k'], $c['phase'], null, null, '', sprintf('no complete answer within %.0f s', $timeout), $c['t0']);
                $answered++;
            } else {
                $active++;
            }
        } elseif (!$stopping) {
            send($i, $ph);
            if ($cl[$i]['sock'] !== null) { $active++; }
        }
    }
    if ($now - $lastStatus > 0.05) {
        write_status($ph);
        $lastStatus = $now;
    }
    if ($active === 0) {
        if ($stopping) { break; }
        usleep(10000);
        continue;
    }
    $read = [];
    foreach ($cl as $i => $c) {
        if ($c['sock'] !== null) { $read[$i] = $c['sock']; }
    }
    poll_answers($read, function (int $i, string $chunk) use (&$cl): void {
        $cl[$i]['buf'] .= $chunk;
    }, function (int $i) use (&$cl, &$answered): void {
        fclose($cl[$i]['sock']);
        $cl[$i]['sock'] = null;
        [$status, $cookie, $body] = parse_answer($cl[$i]['buf']);
        finish($cl[$i]['k'], $cl[$i]['phase'], $status, $cookie, $body,
            $status === null ? 'malformed answer: ' . substr($cl[$i]['buf'], 0, 200) : '', $cl[$i]['t0']);
        $answered++;
    });
}
$elapsed = microtime(true) - $t0;

// Final check: each session's stored n equals its increments answered 200.
$final = ['sessions' => 0, 'lost_updates' => 0, 'unreadable' => 0];
$peekPath = '/incr.php?op=peek' . ($framework ? '&framework=1' : '');
foreach ($sess as $k => $S) {
    $final['sessions']++;
    [$status, , $body] = parse_answer(http_get($peekPath, $S['sid']));
    $j = $status === 200 ? json_decode($body, true) : null;
    if (!is_array($j) || ($j['sid'] ?? null) !== $S['sid']) {
        $final['unreadable']++;
        sample('final', "session $k ({$S['sid']}): peek answered HTTP " . ($status ?? '-') . ': ' . substr(trim($body), 0, 200));
        continue;
    }
    $n = (int)$j['n'];
    if ($n < $S['ok']) {
        $final['lost_updates'] += $S['ok'] - $n;
        sample('final', "session $k ({$S['sid']}): stored n = $n, but {$S['ok']} increments were answered 200");
    } elseif ($n > $S['ok'] + $S['errors']) {
        $final['lost_updates'] += 0;
        sample('final', "session $k ({$S['sid']}): stored n = $n > {$S['ok']} answered + {$S['errors']} failed increments");
        $final['unreadable']++;
    }
}

$victims = [];
if (isset($opt['victims']) && is_file($opt['victims'])) {
    $victims = array_values(array_filter(array_map('trim', file($opt['victims']))));
}
$victimsKept = 0;
foreach ($sess as $S) {
    if (in_array($S['sid'], $victims, true) && !$S['lost']) { $victimsKept++; }
}

$total = ['requests' => 0, 'http_errors' => 0, 'refused' => 0, 'exceptions' => 0, 'lost_updates' => 0, 'lost_sessions' => 0,
    'warnings' => 0];
printf("%s: %d sessions x %d clients, %.1f s, %s\n", $label, $nSessions, $nClients, $elapsed,
    $framework ? 'framework error handling (every error an ErrorException)' : 'plain page');
foreach ($phases as $P) {
    foreach ($total as $key => $_) { $total[$key] += $P[$key]; }
}
printf("%s: final check: %d sessions read back, stored n below the increments answered: %d lost updates; unreadable or inconsistent: %d\n",
    $label, $final['sessions'], $final['lost_updates'], $final['unreadable']);
if ($victims) {
    printf("%s: sessions with a copy on the killed server: %d, kept: %d\n", $label, count($victims), $victimsKept);
}
printf("%s: warnings in answers: %d (refused writes: %d)\n", $label, $total['warnings'], $total['refused']);
foreach (['http' => 'HTTP errors', 'refused' => 'refused writes', 'exception' => 'exceptions', 'lost' => 'lost updates', 'session' => 'lost sessions',
          'final' => 'final check', 'warning' => 'warnings'] as $kind => $title) {
    foreach ($samples[$kind] ?? [] as $line) { echo "  [$title] $line\n"; }
}
// Machine-readable per phase, for the shell script's table.
foreach ($phases as $name => $P) {
    printf("PHASE %s requests=%d http_errors=%d refused=%d exceptions=%d lost_updates=%d lost_sessions=%d warnings=%d workers=%d\n",
        $name, $P['requests'], $P['http_errors'], $P['refused'], $P['exceptions'], $P['lost_updates'], $P['lost_sessions'],
        $P['warnings'], count($P['workers']));
}

$fail = [];
if ($total['requests'] < $nSessions * 2) { $fail[] = "only {$total['requests']} requests"; }
foreach (['http_errors' => 'HTTP errors', 'exceptions' => 'exceptions', 'lost_updates' => 'lost updates',
          'lost_sessions' => 'lost sessions'] as $key => $what) {
    if ($total[$key]) { $fail[] = "{$total[$key]} $what"; }
}
foreach ($phases as $name => $P) {
    if ($P['refused_outside']) {
        $fail[] = "{$P['refused_outside']} refused writes sent in phase $name and answered outside " . implode(', ', $allowRefused ?: ['-']);
    }
}
if ($final['lost_updates'] || $final['unreadable']) { $fail[] = 'the final check failed'; }
if ($victims && $victimsKept !== count($victims)) { $fail[] = (count($victims) - $victimsKept) . ' sessions of the killed server lost'; }
if ($fail) {
    echo "$label: load FAIL: ", implode(', ', $fail), "\n";
    exit(1);
}
echo "$label: load ok\n";
exit(0);
