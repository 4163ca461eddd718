<?php
/* A hostile memcached proxy for the hostile_*.phpt tests (no rsmemcache needed).
 *
 * Usage: php hostile_proxy.php <upstream host:port> <control.json> <portfile> <logfile> [listen_port=0] [lifetime_s=120]
 *
 * Listens on 127.0.0.1:<listen_port> (0 = any free port), writes the port to
 * <portfile> (atomically, via rename) and prints "port <n>" on stdout, then
 * relays every client connection to its own upstream connection. It parses
 * the client->server stream into commands (an `ms`/`set`-style command has a
 * data block of the announced length + CRLF; every other command is one line)
 * and the server->client stream into replies (VA/VALUE carry a data block,
 * STAT/VALUE lines run up to END), pairing them in order, so that it can
 * corrupt chosen replies.
 *
 * The rule is read from <control.json> at every new client command (a missing
 * or unreadable file means "pass"). Format (one JSON object):
 *   {"mode": "...", "count": 1, ...mode options..., "seq": <anything>}
 * `count` (default 1) is how many times the corruption fires; afterwards the
 * proxy passes everything through. Counting is per distinct file content, so
 * rewriting the file with another `seq` re-arms the same rule.
 * `match` (optional, every mode): a PCRE (with delimiters) the command line
 * (without CRLF) must match for the command to be targeted.
 * Modes:
 *   pass             relay untouched
 *   stray            after the reply to a targeted command whose code is
 *                    `code` (default "VA"), append one extra "EN\r\n";
 *                    `delay_ms` (default 0): 0 = in the same write, > 0 = as a
 *                    separate write that many ms later
 *   foreign_key      rewrite a targeted "mg <key> ..." to "mg <to> ..." upstream
 *                    (`to` required), so the reply is genuinely another key's
 *   huge_length      answer a targeted mg with "VA 1073741824 <flags memcached
 *                    sent>\r\n" + 4096 bytes, then hang (relay nothing more on
 *                    this connection, keep it open)
 *   negative_length  replace the reply to a targeted mg with "VA -1 <flags>\r\n"
 *                    (the value bytes dropped); later replies pass
 *   server_error     replace the reply to a targeted command with
 *                    "SERVER_ERROR out of memory storing object\r\n"; `nth`
 *                    (1-based index of the command in its pipeline) targets by
 *                    position (with or without `match`)
 *   no_cas           strip the "c<number>" token from an HD reply to a targeted
 *                    ms (default match: /^ms /)
 *   drop_after       for a pipeline holding a targeted command: forward all of
 *                    it upstream, wait for all of its replies (so memcached
 *                    executed every command), relay only the first `after`
 *                    (default 1) of them, then close the client connection
 *   hang             from a targeted command on: relay no reply on this
 *                    connection any more (keep it open)
 * A pipeline is the run of commands sent while earlier replies are still
 * pending (the client writes one pipeline, then reads all of its replies).
 * Every fired corruption appends one line to <logfile>:
 *   "<mode> conn=<n> cmd=<command line> <detail>" (and drop_after adds
 *   "closed conn=<n> (drop_after) after relaying <k> of <m> replies").
 * Exits on SIGTERM/SIGINT, when its stdin is closed, or after lifetime_s.
 */
if ($argc < 5) {
    fwrite(STDERR, "usage: hostile_proxy.php <upstream> <control.json> <portfile> <logfile> [port] [lifetime]\n");
    exit(2);
}
[, $upstream, $controlFile, $portFile, $logFile] = $argv;
$listenPort = (int)($argv[5] ?? 0);
$lifetime = (float)($argv[6] ?? 120);

$stop = false;
if (function_exists('pcntl_async_signals')) {
    pcntl_async_signals(true);
    $h = static function () use (&$stop): void { $stop = true; };
    pcntl_signal(SIGTERM, $h);
    pcntl_signal(SIGINT, $h);
}

$server = stream_socket_server("tcp://127.0.0.1:$listenPort", $errno, $errstr);
if (!$server) {
    fwrite(STDERR, "cannot listen: $errstr\n");
    exit(1);
}
stream_set_blocking($server, false);
$name = stream_socket_get_name($server, false);
$port = (int)substr($name, strrpos($name, ':') + 1);
file_put_contents($portFile . '.tmp', (string)$port);
rename($portFile . '.tmp', $portFile);
echo "port $port\n";
@fflush(STDOUT);

const HUGE = 1073741824;
const SERVER_ERROR = "SERVER_ERROR out of memory storing object\r\n";

$fired = [];          // rule content => times fired
$ruleCache = [null, ['mode' => 'pass']];
$conns = [];          // id => connection state
$nextConn = 0;
$delayed = [];        // [due microtime, conn id, bytes]

function plog(string $line): void {
    global $logFile;
    file_put_contents($logFile, $line . "\n", FILE_APPEND | LOCK_EX);
}

/** The current rule and its identity (the file's content). */
function current_rule(): array {
    global $controlFile, $ruleCache;
    $raw = @file_get_contents($controlFile);
    if ($raw === false || trim($raw) === '') { return ['', ['mode' => 'pass']]; }
    if ($ruleCache[0] === $raw) { return [$raw, $ruleCache[1]]; }
    $rule = json_decode($raw, true);
    if (!is_array($rule) || !isset($rule['mode'])) {
        fwrite(STDERR, "bad control file: $raw\n");
        $rule = ['mode' => 'pass'];
    }
    $rule += ['count' => 1];
    $ruleCache = [$raw, $rule];
    return [$raw, $rule];
}

/** True (and counts one firing) if the rule identified by $id may still fire. */
function may_fire(string $id, array $rule): bool {
    global $fired;
    return ($fired[$id] ?? 0) < (int)$rule['count'];
}

function fire(string $id, array $rule, int $conn, string $cmd, string $detail): void {
    global $fired;
    $fired[$id] = ($fired[$id] ?? 0) + 1;
    plog(sprintf('%s conn=%d cmd=%s %s', $rule['mode'], $conn, $cmd, $detail));
}

function targeted(array $rule, string $line, string $defaultMatch = ''): bool {
    $re = $rule['match'] ?? $defaultMatch;
    return $re === '' || preg_match($re, $line) === 1;
}

/** Splits one complete command off $buf: [line, full bytes] or null if incomplete. */
function take_command(string &$buf): ?array {
    $eol = strpos($buf, "\r\n");
    if ($eol === false) { return null; }
    $line = substr($buf, 0, $eol);
    $tok = preg_split('/ +/', $line);
    $data = -1;
    if ($tok[0] === 'ms' && isset($tok[2]) && preg_match("/^\\d+$/", $tok[2])) { $data = (int)$tok[2]; }
    if (in_array($tok[0], ['set', 'add', 'replace', 'append', 'prepend', 'cas'], true) && isset($tok[4]) && preg_match("/^\\d+$/", $tok[4])) {
        $data = (int)$tok[4];
    }
    $len = $eol + 2 + ($data >= 0 ? $data + 2 : 0);
    if (strlen($buf) < $len) { return null; }
    $full = substr($buf, 0, $len);
    $buf = (string)substr($buf, $len);
    return [$line, $full];
}

/** Splits one complete reply off $buf: [first line, full bytes] or null if incomplete. */
function take_reply(string &$buf): ?array {
    $pos = 0;
    $first = null;
    for (;;) {
        $eol = strpos($buf, "\r\n", $pos);
        if ($eol === false) { return null; }
        $line = substr($buf, $pos, $eol - $pos);
        $first ??= $line;
        $next = $eol + 2;
        if (preg_match('/^VA (\d+)/', $line, $m)) {
            $next += (int)$m[1] + 2;
            if (strlen($buf) < $next) { return null; }
            $pos = $next;
            break;
        }
        if (preg_match('/^VALUE \S+ \d+ (\d+)/', $line, $m)) {
            $next += (int)$m[1] + 2;
            if (strlen($buf) < $next) { return null; }
            $pos = $next;
            continue;                                  // more VALUEs or END
        }
        if (str_starts_with($line, 'STAT ')) { $pos = $next; continue; }   // up to END
        $pos = $next;
        break;
    }
    $full = substr($buf, 0, $pos);
    $buf = (string)substr($buf, $pos);
    return [$first, $full];
}

function close_conn(int $id, string $why = ''): void {
    global $conns;
    if (!isset($conns[$id])) { return; }
    @fclose($conns[$id]['client']);
    if ($conns[$id]['up']) { @fclose($conns[$id]['up']); }
    unset($conns[$id]);
}

function send_client(int $id, string $bytes): void {
    global $conns;
    if ($bytes === '' || !isset($conns[$id])) { return; }
    $conns[$id]['out'] .= $bytes;
}

/** Handles newly read client bytes of connection $id. */
function on_client_data(int $id): void {
    global $conns;
    $c = &$conns[$id];
    while (($cmd = take_command($c['in'])) !== null) {
        [$line, $full] = $cmd;
        [$rid, $rule] = current_rule();
        $mode = $rule['mode'];
        if (!$c['pending']) { $c['pipeline']++; $c['pos'] = 0; }
        $c['pos']++;
        $entry = ['line' => $line, 'pipeline' => $c['pipeline'], 'pos' => $c['pos'], 'act' => null, 'rid' => $rid, 'rule' => $rule];
        $isMg = str_starts_with($line, 'mg ');
        switch ($mode) {
            case 'foreign_key':
                if ($isMg && targeted($rule, $line) && may_fire($rid, $rule)) {
                    $tok = explode(' ', $line);
                    $old = $tok[1];
                    $tok[1] = (string)$rule['to'];
                    $new = implode(' ', $tok);
                    $full = $new . "\r\n";
                    fire($rid, $rule, $id, $line, "-> $new");
                    $entry['line'] = $new;
                }
                break;
            case 'huge_length':
            case 'negative_length':
                if ($isMg && targeted($rule, $line)) { $entry['act'] = $mode; }
                break;
            case 'stray':
            case 'no_cas':
            case 'hang':
                if (targeted($rule, $line, $mode === 'no_cas' ? '/^ms /' : '')) { $entry['act'] = $mode; }
                break;
            case 'server_error':
                $byPos = !isset($rule['nth']) || (int)$rule['nth'] === $c['pos'];
                if ($byPos && (isset($rule['nth']) || isset($rule['match'])) && targeted($rule, $line)) {
                    $entry['act'] = $mode;
                }
                break;
            case 'drop_after':
                if (targeted($rule, $line) && !isset($c['drop'][$c['pipeline']]) && may_fire($rid, $rule)) {
                    $c['drop'][$c['pipeline']] = ['after' => (int)($rule['after'] ?? 1), 'seen' => 0];
                    fire($rid, $rule, $id, $line, 'pipeline ' . $c['pipeline'] . ': relaying ' . (int)($rule['after'] ?? 1)
                        . ' replies, then closing');
                }
                break;
        }
        $c['pending'][] = $entry;
        $c['upout'] .= $full;
    }
}

/** Handles newly read upstream bytes of connection $id. */
function on_upstream_data(int $id): void {
    global $conns, $delayed;
    while (isset($conns[$id]) && ($rep = take_reply($conns[$id]['upin'])) !== null) {
        $c = &$conns[$id];
        [$first, $full] = $rep;
        $entry = array_shift($c['pending']);
        if ($entry === null) { send_client($id, $full); continue; }   // unsolicited: relay
        if ($c['hung']) { continue; }
        $rid = $entry['rid'];
        $rule = $entry['rule'];
        $out = $full;
        $after = '';
        switch ($entry['act']) {
            case 'stray':
                $code = $rule['code'] ?? 'VA';
                if (preg_match('/^' . preg_quote($code, '/') . '\b/', $first) && may_fire($rid, $rule)) {
                    $delay = (int)($rule['delay_ms'] ?? 0);
                    fire($rid, $rule, $id, $entry['line'], "after '$first': EN " . ($delay > 0 ? "$delay ms later" : 'same write'));
                    if ($delay > 0) { $delayed[] = [microtime(true) + $delay / 1000, $id, "EN\r\n"]; } else { $after = "EN\r\n"; }
                }
                break;
            case 'huge_length':
            case 'negative_length':
                if (may_fire($rid, $rule)) {
                    $flags = preg_match('/^(?:VA \d+|EN|HD)(.*)$/', $first, $m) ? $m[1] : '';
                    if ($entry['act'] === 'huge_length') {
                        $out = 'VA ' . HUGE . "$flags\r\n" . str_repeat('x', 4096);
                        $c['hung'] = true;
                    } else {
                        $out = "VA -1$flags\r\n";
                    }
                    fire($rid, $rule, $id, $entry['line'], "'$first' -> '" . strtok($out, "\r") . "'");
                }
                break;
            case 'server_error':
                if (may_fire($rid, $rule)) {
                    fire($rid, $rule, $id, $entry['line'], "'$first' -> SERVER_ERROR");
                    $out = SERVER_ERROR;
                }
                break;
            case 'no_cas':
                if (str_starts_with($first, 'HD') && preg_match('/ c\d+/', $first) && may_fire($rid, $rule)) {
                    $new = preg_replace('/ c\d+/', '', $first, 1);
                    fire($rid, $rule, $id, $entry['line'], "'$first' -> '$new'");
                    $out = $new . substr($full, strlen($first));
                }
                break;
            case 'hang':
                if (may_fire($rid, $rule)) {
                    fire($rid, $rule, $id, $entry['line'], 'hanging');
                    $c['hung'] = true;
                    continue 2;
                }
                break;
        }
        $drop = $c['drop'][$entry['pipeline']] ?? null;
        if ($drop !== null) {
            $c['drop'][$entry['pipeline']]['seen']++;
            if ($drop['seen'] < $drop['after']) { send_client($id, $out . $after); }
            $rest = array_filter($c['pending'], static fn ($e) => $e['pipeline'] === $entry['pipeline']);
            if (!$rest) {
                plog(sprintf('closed conn=%d (drop_after) after relaying %d of %d replies', $id,
                    min($drop['after'], $drop['seen'] + 1), $drop['seen'] + 1));
                $c['closing'] = true;      // flush what is queued, then close
            }
            continue;
        }
        send_client($id, $out . $after);
    }
}

$deadline = microtime(true) + $lifetime;
$stdinOpen = true;
while (!$stop && microtime(true) < $deadline) {
    $read = [$server];
    if ($stdinOpen) { $read[] = STDIN; }
    $write = [];
    foreach ($conns as $id => $c) {
        if (!$c['closing']) { $read[] = $c['client']; $read[] = $c['up']; }
        if ($c['out'] !== '') { $write[] = $c['client']; }
        if ($c['upout'] !== '') { $write[] = $c['up']; }
    }
    $timeout = 200000;
    foreach ($delayed as [$due]) { $timeout = max(0, min($timeout, (int)(($due - microtime(true)) * 1e6))); }
    $e = null;
    $n = @stream_select($read, $write, $e, 0, $timeout);
    if ($n === false) { if ($stop) { break; } usleep(1000); continue; }
    foreach ($delayed as $k => [$due, $id, $bytes]) {
        if ($due <= microtime(true)) { send_client($id, $bytes); unset($delayed[$k]); }
    }
    foreach ($read as $s) {
        if ($s === $server) {
            $cl = @stream_socket_accept($server, 0);
            if (!$cl) { continue; }
            $up = @stream_socket_client("tcp://$upstream", $en, $es, 2);
            if (!$up) { fclose($cl); plog("upstream connect failed: $es"); continue; }
            stream_set_blocking($cl, false);
            stream_set_blocking($up, false);
            $id = ++$nextConn;
            $conns[$id] = ['client' => $cl, 'up' => $up, 'in' => '', 'out' => '', 'upin' => '', 'upout' => '',
                'pending' => [], 'pipeline' => 0, 'pos' => 0, 'drop' => [], 'hung' => false, 'closing' => false];
            continue;
        }
        if ($s === STDIN) {
            if (fgets(STDIN) === false) { $stdinOpen = false; $stop = true; }
            continue;
        }
        foreach ($conns as $id => $c) {
            if ($s === $c['client']) {
                $data = @fread($s, 65536);
                if ($data === '' || $data === false) { if (feof($s)) { close_conn($id); } continue 2; }
                $conns[$id]['in'] .= $data;
                on_client_data($id);
                continue 2;
            }
            if ($s === $c['up']) {
                $data = @fread($s, 65536);
                if ($data === '' || $data === false) {
                    if (feof($s)) {
                        if (!$conns[$id]['hung']) { close_conn($id); }
                    }
                    continue 2;
                }
                $conns[$id]['upin'] .= $data;
                on_upstream_data($id);
                continue 2;
            }
        }
    }
    foreach ($write as $s) {
        foreach ($conns as $id => $c) {
            if ($s === $c['client'] && $c['out'] !== '') {
                $w = @fwrite($s, $c['out']);
                if ($w === false) { close_conn($id); continue 2; }
                $conns[$id]['out'] = (string)substr($c['out'], $w);
            } elseif ($s === $c['up'] && $c['upout'] !== '') {
                $w = @fwrite($s, $c['upout']);
                if ($w === false) { close_conn($id); continue 2; }
                $conns[$id]['upout'] = (string)substr($c['upout'], $w);
            }
        }
    }
    foreach ($conns as $id => $c) {
        if ($c['closing'] && $c['out'] === '') { close_conn($id); }
    }
}
foreach (array_keys($conns) as $id) { close_conn($id); }
exit(0);
