<?php
/* Failover figures for rsmemcache (a measurement, not a test).
 *
 * Usage:
 *   php -n -d extension=target/release/librsmemcache.so bench/failover.php
 *       [--sessions=300] [--timeout=200] [--retry=1] [--lock-wait=1000]
 *   scripts/failover-figures.sh [same options]      (builds, then runs this)
 *
 * For each run (session_redundancy N = 1 and 2; failure = SIGKILL or
 * FO_SIGSTOP) it starts 3 fresh private memcached daemons on free loopback
 * ports (stopped by PID when the run ends, also on Ctrl-C), and in this one
 * PHP process (think: one PHP-FPM worker with a warm connection pool):
 *
 *   1. writes --sessions sessions (v1) over the 3 servers;
 *   2. fails the server that is home to the most sessions:
 *        SIGKILL  a crash: its port refuses connections at once;
 *        SIGSTOP  a hang: the kernel still accepts connections, nothing is
 *                 answered, so requests wait for rsmemcache.timeout /
 *                 connect_timeout (--timeout ms);
 *   3. updates every session to v2, one request each (session_start, set,
 *      session_write_close), the sessions homed on the failed server first:
 *        "first ms"   wall time of the first request after the failure
 *        "next 50"    median wall time of the 50 requests after it
 *        "slow"       requests of the update slower than --timeout / 2
 *        "lost"       requests that read an empty session (the user's data
 *                     was gone: logged out) instead of v1
 *   4. SIGSTOP only: SIGCONT, waits until this process may retry the server
 *      (rsmemcache_servers() state "retry due", --retry s), reads every
 *      session once more:
 *        "stale"      reads that returned v1 although v2 was written
 *        "bad start"  session_start() returning false (e.g. a lock item the
 *                     hung server executed after the requester gave up)
 *      plus "base ms": median request time before the failure.
 *
 * Timing is hrtime() around whole requests, on loopback: network latency is
 * not modelled, only what the failure adds.
 */

const FO_SIGKILL = 9;
const FO_SIGTERM = 15;
const FO_SIGCONT = 18;
const FO_SIGSTOP = 19;

function usage(string $why): never {
    fwrite(STDERR, "$why\nusage: php -n -d extension=/path/librsmemcache.so " . basename(__FILE__)
        . " [--sessions=300] [--timeout=200] [--retry=1] [--lock-wait=1000]\n");
    exit(2);
}

$opt = ['sessions' => 300, 'timeout' => 200, 'retry' => 1, 'lock-wait' => 1000];
foreach (array_slice($argv, 1) as $arg) {
    if (!preg_match('/^--(sessions|timeout|retry|lock-wait)=(\d+)$/', $arg, $m)) { usage("unknown option $arg"); }
    $opt[$m[1]] = (int)$m[2];
}
if (!extension_loaded('rsmemcache')) { usage('the rsmemcache extension is not loaded (-d extension=...)'); }
if ($opt['sessions'] < 52) { usage('--sessions must be at least 52'); }

/* ---- private daemons ----------------------------------------------------- */

$DAEMONS = [];

function memcached_bin(): string {
    foreach (array_merge(explode(':', getenv('PATH') ?: ''), ['/usr/bin', '/usr/local/bin', '/usr/sbin']) as $dir) {
        if ($dir !== '' && is_executable("$dir/memcached")) { return "$dir/memcached"; }
    }
    fwrite(STDERR, "memcached not found\n");
    exit(1);
}

function is_root(): bool {
    $s = @file_get_contents('/proc/self/status');
    return is_string($s) && preg_match('/^Uid:\s+0\s/m', $s) === 1;
}

/** A loopback port nothing listens on (the kernel's pick). */
function free_port(): int {
    $s = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
    if (!$s) { fwrite(STDERR, "cannot find a free port: $errstr\n"); exit(1); }
    $name = stream_socket_get_name($s, false);
    fclose($s);
    return (int)substr($name, strrpos($name, ':') + 1);
}

function answers(string $addr): bool {
    $s = @stream_socket_client("tcp://$addr", $errno, $errstr, 0.5);
    if (!$s) { return false; }
    stream_set_timeout($s, 0, 500000);
    fwrite($s, "version\r\n");
    $line = fgets($s);
    fclose($s);
    return is_string($line) && str_starts_with($line, 'VERSION ');
}

function refused(string $addr): bool {
    $s = @stream_socket_client("tcp://$addr", $errno, $errstr, 0.5);
    if ($s) { fclose($s); return false; }
    return true;
}

function wait_for(callable $cond, float $timeout, string $what): void {
    $deadline = microtime(true) + $timeout;
    while (!$cond()) {
        if (microtime(true) > $deadline) { throw new RuntimeException("timed out waiting for $what"); }
        usleep(5000);
    }
}

function start_daemon(): array {
    global $DAEMONS;
    for ($try = 0; $try < 5; $try++) {
        $port = free_port();
        $cmd = [memcached_bin(), '-l', '127.0.0.1', '-p', (string)$port, '-U', '0', '-m', '64', '-c', '1024'];
        if (is_root()) { array_push($cmd, '-u', 'nobody'); }
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        $d = ['proc' => $proc, 'pid' => proc_get_status($proc)['pid'], 'addr' => "127.0.0.1:$port"];
        $DAEMONS[$d['pid']] = $d;
        $deadline = microtime(true) + 10;
        while (proc_get_status($proc)['running'] && !answers($d['addr']) && microtime(true) < $deadline) { usleep(5000); }
        if (proc_get_status($proc)['running'] && answers($d['addr'])) { return $d; }
        stop_daemon($d);   // lost the port to someone else: another one
    }
    throw new RuntimeException('cannot start memcached');
}

function stop_daemon(array $d): void {
    global $DAEMONS;
    if (!isset($DAEMONS[$d['pid']])) { return; }
    unset($DAEMONS[$d['pid']]);
    proc_terminate($d['proc'], FO_SIGCONT);
    proc_terminate($d['proc'], FO_SIGKILL);
    $deadline = microtime(true) + 5;
    while (proc_get_status($d['proc'])['running'] && microtime(true) < $deadline) { usleep(5000); }
    proc_close($d['proc']);
}

function stop_all(): void {
    global $DAEMONS;
    foreach ($DAEMONS as $d) { stop_daemon($d); }
}
register_shutdown_function('stop_all');
if (function_exists('pcntl_async_signals')) {
    pcntl_async_signals(true);
    foreach ([FO_SIGTERM, 2 /* SIGINT */] as $sig) { pcntl_signal($sig, static function () { stop_all(); exit(130); }); }
}

/* ---- requests ------------------------------------------------------------ */

$WARNINGS = [];
set_error_handler(static function (int $no, string $str) use (&$WARNINGS): bool {
    if (!(error_reporting() & $no)) { return true; }   // silenced with @ (the bench's own probes)
    $WARNINGS[] = $str;
    return true;
});

/** One request: returns [started, value read, ms]. */
function request(string $id, ?string $value): array {
    $t0 = hrtime(true);
    session_id($id);
    $started = session_start();
    $read = $started ? ($_SESSION['v'] ?? null) : null;
    if ($started) {
        if ($value !== null) { $_SESSION['v'] = $value; }
        session_write_close();
    }
    return [$started, $read, (hrtime(true) - $t0) / 1e6];
}

function median(array $xs): float {
    sort($xs);
    $n = count($xs);
    return $n % 2 ? $xs[intdiv($n, 2)] : ($xs[$n / 2 - 1] + $xs[$n / 2]) / 2;
}

function state_of(string $addr): string {
    foreach (rsmemcache_servers() as $r) { if ($r['server'] === $addr) { return $r['state']; } }
    return '?';
}

/** One run; returns its row of figures. */
function run(int $n, string $failure, array $opt): array {
    global $WARNINGS;
    $d = [start_daemon(), start_daemon(), start_daemon()];
    $path = implode(',', array_column($d, 'addr'));
    foreach ([
        'session.save_handler' => 'rsmemcache', 'session.save_path' => $path, 'session.use_cookies' => '0',
        'session.cache_limiter' => '', 'session.use_strict_mode' => '0', 'session.serialize_handler' => 'php',
        'rsmemcache.session_redundancy' => (string)$n, 'rsmemcache.allow_failover' => '1',
        'rsmemcache.timeout' => (string)$opt['timeout'], 'rsmemcache.connect_timeout' => (string)$opt['timeout'],
        'rsmemcache.retry_interval' => (string)$opt['retry'], 'rsmemcache.lock_wait_time' => (string)$opt['lock-wait'],
    ] as $k => $v) {
        if (ini_set($k, $v) === false) { throw new RuntimeException("ini_set($k) refused"); }
    }

    $tag = bin2hex(random_bytes(4));
    $ids = [];
    $home = [];
    for ($i = 0; $i < $opt['sessions']; $i++) {
        $ids[] = $id = "fo{$tag}x$i";
        $home[$id] = rsmemcache_locate($id)['servers'][0];
    }
    $count = array_count_values($home);
    arsort($count);
    $victimAddr = array_key_first($count);
    $victim = $d[array_search($victimAddr, array_column($d, 'addr'), true)];
    // Sessions homed on the victim first: the first request after the failure needs it.
    $ids = array_values(array_unique([...array_keys($home, $victimAddr, true), ...$ids]));

    $base = [];
    foreach ($ids as $id) { $base[] = request($id, "v1:$id")[2]; }
    $WARNINGS = [];

    if ($failure === 'SIGKILL') {
        proc_terminate($victim['proc'], FO_SIGKILL);
        wait_for(fn () => refused($victimAddr), 5, 'the killed port to refuse');
    } else {
        proc_terminate($victim['proc'], FO_SIGSTOP);
        wait_for(function () use ($victim) {
            $st = @file_get_contents("/proc/{$victim['pid']}/stat");
            return is_string($st) && preg_match('/^\d+ \(.*\) T /s', $st);
        }, 5, 'the daemon to stop');
    }

    $ms = [];
    $lost = 0;
    $badStart = 0;
    foreach ($ids as $id) {
        [$started, $read, $t] = request($id, "v2:$id");
        $ms[] = $t;
        $badStart += (int)!$started;
        $lost += (int)($started && $read !== "v1:$id");
    }
    $updateWarnings = count($WARNINGS);
    // Distinct warning texts, servers named F (failed) / O (others), ids and numbers hidden.
    $names = [$victimAddr => 'F'];
    foreach ($d as $x) { $names[$x['addr']] ??= 'O'; }
    $kinds = [];
    foreach ($WARNINGS as $w) {
        $w = preg_replace(['/session fo\w+/', '/in \d+ ms/'], ['session <id>', 'in N ms'], strtr($w, $names));
        $kinds[$w] = ($kinds[$w] ?? 0) + 1;
    }
    $row = [
        'N' => $n, 'failure' => $failure, 'homed' => $count[$victimAddr],
        'base' => median($base), 'first' => $ms[0], 'next50' => median(array_slice($ms, 1, 50)),
        'slow' => count(array_filter($ms, fn ($t) => $t >= $opt['timeout'] / 2)),
        'lost' => $lost, 'stale' => null, 'badstart' => $badStart, 'warnings' => $updateWarnings, 'kinds' => $kinds,
    ];

    if ($failure === 'SIGSTOP') {
        proc_terminate($victim['proc'], FO_SIGCONT);
        wait_for(fn () => answers($victimAddr), 10, 'the daemon to answer again');
        wait_for(fn () => state_of($victimAddr) !== 'failed', $opt['retry'] + 10, 'the retry interval');
        $stale = 0;
        foreach ($ids as $id) {
            [$started, $read] = request($id, null);
            $row['badstart'] += (int)!$started;
            $stale += (int)($read === "v1:$id");
        }
        $row['stale'] = $stale;
    }
    foreach ($d as $x) { stop_daemon($x); }
    return $row;
}

/* ---- main ---------------------------------------------------------------- */

// Nothing goes to stdout before the runs end: once output has started, PHP
// refuses session ini changes ("headers already sent"). Progress goes to stderr.
$rows = [];
foreach ([1, 2] as $n) {
    foreach (['SIGKILL', 'SIGSTOP'] as $failure) {
        fwrite(STDERR, "run: N=$n, $failure ...\n");
        $rows[] = run($n, $failure, $opt);
    }
}
printf("rsmemcache failover figures: 3 memcached, %d sessions, timeout = connect_timeout = %d ms, retry_interval = %d s, lock_wait_time = %d ms\n",
    $opt['sessions'], $opt['timeout'], $opt['retry'], $opt['lock-wait']);
printf("one PHP process with a warm pool; PHP %s, %s\n\n", PHP_VERSION, trim((string)shell_exec(escapeshellarg(memcached_bin()) . ' -V 2>&1')));
$fmt = "%-2s %-8s %6s %8s %9s %8s %5s %5s %6s %6s %9s\n";
printf($fmt, 'N', 'failure', 'homed', 'base ms', 'first ms', 'next 50', 'slow', 'lost', 'stale', 'bad st', 'warnings');
foreach ($rows as $r) {
    printf($fmt, $r['N'], $r['failure'], $r['homed'], sprintf('%.2f', $r['base']), sprintf('%.1f', $r['first']),
        sprintf('%.2f', $r['next50']), $r['slow'], $r['lost'], $r['stale'] ?? '-', $r['badstart'], $r['warnings']);
}
echo "\nhomed: sessions whose home is the failed server; base ms: median request before the failure;\n",
    "first ms / next 50: the first request after the failure (a session homed there) / median of the 50 after it;\n",
    "slow: update requests >= timeout/2; lost: update requests that read an empty session instead of v1;\n",
    "stale: reads of v1 after the server came back (v2 was written); bad st: session_start() false (update + reread);\n",
    "warnings: PHP warnings during the update pass, listed below (F = the failed server, O = another one).\n";
foreach ($rows as $r) {
    echo "\nN={$r['N']} {$r['failure']}:\n";
    foreach ($r['kinds'] as $w => $c) { printf("  %3d x %s\n", $c, $w); }
}
