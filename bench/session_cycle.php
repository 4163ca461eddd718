<?php
/* One benchmark configuration run: session cycles in a loop, in ONE PHP CLI
 * process, with whatever save handler the command line configured (-n plus
 * -d extension=... and -d session.*). Started by bench/run.php; prints one
 * JSON line on stdout and exits 0, or explains on stderr and exits non-zero.
 *
 *   php -n -d extension=... -d session.save_handler=... -d session.save_path=...
 *       bench/session_cycle.php --id=ID --size=BYTES --cycles=N [--warmup=N]
 *       [--mode=rw|ro|un] [--verify=mc:HOST:PORT:KEY | --verify=mc-sealed:HOST:PORT:KEY | --verify=file:PATH]
 *       [--batch=N] [--control=HOST:PORT] [--rss-at=N,N,...]
 *
 * A cycle (--mode=rw):
 *     session_id($id); session_start(); $_SESSION['n']++; session_write_close();
 * A read-only cycle (--mode=ro):
 *     session_id($id); session_start(['read_and_close' => true]);
 * An unchanged cycle (--mode=un), what most requests of a site do:
 *     session_id($id); session_start(); (read $_SESSION) session_write_close();
 * locked like rw, nothing changed (with lazy_write=1 PHP calls the
 * handler's update_timestamp instead of write).
 * The warm-up cycles are always rw: they create the session with
 * $_SESSION['p'] = str_repeat('x', size) and a counter, so the ro cycles
 * read a real session.
 *
 * Checks, so that a handler failing silently cannot produce a fast number:
 * every session_start()/session_write_close() must return true, any PHP
 * warning or notice aborts the run, the counter must equal the number of rw
 * cycles at the end (each cycle read what the previous one wrote), every ro
 * cycle must read the same counter and payload, and --verify reads the
 * session back from where the handler should have put it (memcached, via a
 * raw meta-protocol socket that bypasses the handler and any proxy; or the
 * files handler's file) and finds the final counter in it.
 *
 * Output: us_per_cycle, the mean over the timed loop, and
 * us_per_cycle_batch_median, the median over its full batches of --batch
 * cycles (default 100) of their mean: the same on a quiet machine, but a
 * burst of other load on the machine moves only the batches it hits.
 *
 * --control: the delay proxy's control port; its client-chunk and connection
 * counters are read before and after the timed loop.
 * --rss-at: after these cycle counts (warm-up not included) record VmHWM and
 * VmRSS from /proc/self/status; the run does max(--cycles, max(--rss-at)).
 */

declare(strict_types=1);

set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {
    if (!(error_reporting() & $no)) {
        return false;   // silenced with @
    }
    throw new ErrorException($msg, 0, $no, $file, $line);
});

function fail(string $why): never {
    fwrite(STDERR, 'session_cycle: ' . ini_get('session.save_handler') . ': ' . $why . "\n");
    exit(1);
}

$opt = [];
foreach (array_slice($argv, 1) as $a) {
    if (!preg_match('/^--([a-z-]+)=(.*)$/s', $a, $m)) {
        fail("bad argument '$a'");
    }
    $opt[$m[1]] = $m[2];
}
$id = $opt['id'] ?? fail('--id is required');
$size = (int)($opt['size'] ?? fail('--size is required'));
$cycles = (int)($opt['cycles'] ?? fail('--cycles is required'));
$warmup = (int)($opt['warmup'] ?? 100);
$mode = $opt['mode'] ?? 'rw';
$batch = (int)($opt['batch'] ?? 100);
$rssAt = isset($opt['rss-at']) ? array_map('intval', explode(',', $opt['rss-at'])) : [];
if ($rssAt) {
    $cycles = max($cycles, ...$rssAt);
}
if ($cycles < 1 || $warmup < 1 || $batch < 1 || $size < 0 || !in_array($mode, ['rw', 'ro', 'un'], true)) {
    fail('bad --cycles/--warmup/--size/--mode');
}

/* The proxy's counters: [client chunks, connections]. */
function proxy_counters(string $addr): array {
    $s = stream_socket_client("tcp://$addr", $errno, $errstr, 2);
    if (!$s) {
        fail("control port $addr: $errstr");
    }
    stream_set_timeout($s, 2);
    $line = (string)fgets($s);
    fclose($s);
    if (!preg_match('/^writes=(\d+) conns=(\d+)/', $line, $m)) {
        fail("control port $addr answered '" . trim($line) . "'");
    }
    return [(int)$m[1], (int)$m[2]];
}

function rss(): array {
    $status = (string)file_get_contents('/proc/self/status');
    $kb = static fn(string $f): int => preg_match("/^$f:\\s+(\\d+) kB/m", $status, $m) ? (int)$m[1] : -1;
    return ['hwm_kb' => $kb('VmHWM'), 'rss_kb' => $kb('VmRSS')];
}

/* The stored session, read with a raw meta-protocol get: its bytes, or null. */
function memcached_get(string $host, int $port, string $key): ?string {
    $s = stream_socket_client("tcp://$host:$port", $errno, $errstr, 2);
    if (!$s) {
        fail("verify: cannot connect to memcached $host:$port: $errstr");
    }
    stream_set_timeout($s, 2);
    fwrite($s, "mg $key v\r\n");
    $head = (string)fgets($s);
    if (strncmp($head, 'EN', 2) === 0) {
        fclose($s);
        return null;
    }
    if (!preg_match('/^VA (\d+)/', $head, $m)) {
        fail("verify: memcached answered '" . trim($head) . "' to mg $key");
    }
    $want = (int)$m[1] + 2;
    $data = '';
    while (strlen($data) < $want && !feof($s)) {
        $chunk = fread($s, $want - strlen($data));
        if ($chunk === false || $chunk === '') {
            break;
        }
        $data .= $chunk;
    }
    fclose($s);
    return substr($data, 0, -2);
}

$payload = str_repeat('x', $size);

/* Warm-up: rw cycles that also create the session. */
for ($i = 1; $i <= $warmup; $i++) {
    session_id($id);
    if (!session_start()) {
        fail("session_start() returned false (warm-up cycle $i)");
    }
    if ($i === 1) {
        if ($_SESSION !== []) {
            fail("session $id was not new");
        }
        $_SESSION['n'] = 0;
        $_SESSION['p'] = $payload;
    }
    $_SESSION['n']++;
    if (!session_write_close()) {
        fail("session_write_close() returned false (warm-up cycle $i)");
    }
}

$before = isset($opt['control']) ? proxy_counters($opt['control']) : null;
$rss = [];
$sum = 0;
$checkpoints = $rssAt ?: [$cycles];
sort($checkpoints);
$batches = [];   // µs per cycle of each full batch
$done = 0;
$t0 = hrtime(true);
foreach ($checkpoints as $upto) {
    while ($done < $upto) {
        $n = min($batch, $upto - $done);
        $tb = hrtime(true);
        if ($mode === 'rw') {
            for ($k = 0; $k < $n; $k++) {
                session_id($id);
                session_start();
                $_SESSION['n']++;
                session_write_close();
            }
        } elseif ($mode === 'un') {
            for ($k = 0; $k < $n; $k++) {
                session_id($id);
                session_start();
                $sum += $_SESSION['n'];
                session_write_close();
            }
        } else {
            for ($k = 0; $k < $n; $k++) {
                session_id($id);
                session_start(['read_and_close' => true]);
                $sum += $_SESSION['n'];
            }
        }
        if ($n === $batch) {
            $batches[] = (hrtime(true) - $tb) / 1e3 / $n;
        }
        $done += $n;
    }
    if ($rssAt) {
        $rss[] = ['cycles' => $upto] + rss();
    }
}
$t1 = hrtime(true);
$after = isset($opt['control']) ? proxy_counters($opt['control']) : null;

/* The loop did not check return values (it is the timed part); the counter
 * does: it only reaches its expected value if every cycle read what the
 * previous one wrote. */
$expect = $mode === 'rw' ? $warmup + $cycles : $warmup;
if (($_SESSION['n'] ?? null) !== $expect || ($_SESSION['p'] ?? null) !== $payload) {
    fail('session content wrong after the loop: n=' . var_export($_SESSION['n'] ?? null, true)
        . " (expected $expect), payload " . (($_SESSION['p'] ?? null) === $payload ? 'ok' : 'wrong'));
}
if ($mode !== 'rw' && $sum !== $warmup * $cycles) {
    fail("$mode cycles read a wrong counter (sum $sum, expected " . $warmup * $cycles . ')');
}
if (session_status() !== PHP_SESSION_NONE) {
    fail('session still active after the loop');
}

$verify = $opt['verify'] ?? '';
$needle = "n|i:$expect;";
if (preg_match('/^mc:([^:]+):(\d+):(.+)$/', $verify, $m)) {
    $stored = memcached_get($m[1], (int)$m[2], $m[3]);
    if ($stored === null) {
        fail("verify: key '{$m[3]}' is not in memcached {$m[1]}:{$m[2]}");
    }
    if (!str_contains($stored, $needle) || strlen($stored) < $size) {
        fail("verify: key '{$m[3]}' in memcached holds " . strlen($stored) . " bytes without '$needle'");
    }
} elseif (preg_match('/^mc-sealed:([^:]+):(\d+):(.+)$/', $verify, $m)) {
    // Encrypted: present, at least the payload's size, and no plaintext
    // (the cycles above checked that each read gave the payload back).
    $stored = memcached_get($m[1], (int)$m[2], $m[3]);
    if ($stored === null) {
        fail("verify: key '{$m[3]}' is not in memcached {$m[1]}:{$m[2]}");
    }
    if (str_contains($stored, $needle) || strlen($stored) < $size) {
        fail("verify: key '{$m[3]}' in memcached holds " . strlen($stored) . " bytes, with plaintext or too few");
    }
} elseif (preg_match('/^file:(.+)$/', $verify, $m)) {
    $stored = @file_get_contents($m[1]);
    if (!is_string($stored) || !str_contains($stored, $needle)) {
        fail("verify: session file {$m[1]} missing or without '$needle'");
    }
} elseif ($verify !== '') {
    fail("bad --verify '$verify'");
} else {
    fail('--verify is required');
}

sort($batches);
$nb = count($batches);
$out = [
    'us_per_cycle' => ($t1 - $t0) / 1e3 / $cycles,
    'us_per_cycle_batch_median' => $nb === 0 ? null
        : ($nb % 2 ? $batches[intdiv($nb, 2)] : ($batches[$nb / 2 - 1] + $batches[$nb / 2]) / 2),
    'batches' => $nb,
    'cycles' => $cycles,
    'n' => $_SESSION['n'],
    'bytes' => strlen($stored),
];
if ($before !== null) {
    $out['writes_per_cycle'] = ($after[0] - $before[0]) / $cycles;
    $out['conns_per_cycle'] = ($after[1] - $before[1]) / $cycles;
}
if ($rss) {
    $out['rss'] = $rss;
}
echo json_encode($out), "\n";
