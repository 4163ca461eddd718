<?php
/* The benchmark's conductor, started by scripts/bench.sh once memcached and
 * the delay proxies run (use that script; it passes everything below):
 *
 *   php -n bench/run.php --php=PHP --so=librsmemcache.so --port=MEMCACHED_PORT
 *       --proxies=D:PORT:CONTROL_PORT,... --tmp=DIR --machine=TEXT
 *       [--tls=TLS_PORT:PLAIN_PORT:CA_FILE --tls-proxies=D:PORT:CONTROL_PORT,...]
 *
 * (--tls: the TLS memcached and its plaintext listener; --tls-proxies: the
 * delay proxies in front of it, for the TLS rows of the round-trip table.)
 *
 * Every measurement is a separate PHP process (bench/session_cycle.php or
 * bench/rtt.php) started with `php -n` and exactly the extensions its
 * handler needs, so handlers cannot interfere. Configurations alternate
 * round by round (each round runs every configuration once, in a freshly
 * shuffled order); a configuration's figure is the median over rounds of
 * each process's median µs per cycle over its batches of cycles. Prints
 * tables and a summary on stdout, progress on stderr. Exits non-zero if
 * any configuration fails (a failing handler must never show up as a fast
 * number); never because of a speed.
 *
 * Tunables (environment): RSMEMCACHE_BENCH_ROUNDS (7), RSMEMCACHE_BENCH_CYCLES
 * (3000), RSMEMCACHE_BENCH_WARMUP (200), RSMEMCACHE_BENCH_PROXY_ROUNDS (3),
 * RSMEMCACHE_BENCH_PROXY_CYCLES (200), RSMEMCACHE_BENCH_MEM_CYCLES (100000),
 * RSMEMCACHE_BENCH_RTT_PAIRS (2000), RSMEMCACHE_BENCH_SEED (random),
 * RSMEMCACHE_BENCH_RUN_TIMEOUT (seconds per process, 120),
 * RSMEMCACHE_BENCH_QUICK=1 (smoke test: 2 rounds of 300 cycles, ...).
 */

declare(strict_types=1);

set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {
    if (!(error_reporting() & $no)) {
        return false;   // silenced with @
    }
    throw new ErrorException($msg, 0, $no, $file, $line);
});

function fail(string $why): never {
    fwrite(STDERR, "bench: FAILED: $why\n");
    exit(1);
}

function progress(string $msg): void {
    fwrite(STDERR, ".. $msg\n");
}

$opt = [];
foreach (array_slice($argv, 1) as $a) {
    if (!preg_match('/^--([a-z-]+)=(.*)$/s', $a, $m)) {
        fail("bad argument '$a'");
    }
    $opt[$m[1]] = $m[2];
}
foreach (['php', 'so', 'port', 'proxies', 'tmp'] as $k) {
    isset($opt[$k]) || fail("--$k is required (run scripts/bench.sh)");
}
$PHP = $opt['php'];
$SO = $opt['so'];
$PORT = (int)$opt['port'];
$HOST = '127.0.0.1';
$TMP = $opt['tmp'];
$DIR = __DIR__;
$PROXIES = [];   // delay µs => [port, control port]
foreach (explode(',', $opt['proxies']) as $p) {
    [$d, $pp, $cp] = array_map('intval', explode(':', $p));
    $PROXIES[$d] = [$pp, $cp];
}
ksort($PROXIES);
$TLS_PROXIES = [];   // the same, in front of the TLS memcached
foreach (array_filter(explode(',', $opt['tls-proxies'] ?? '')) as $p) {
    [$d, $pp, $cp] = array_map('intval', explode(':', $p));
    $TLS_PROXIES[$d] = [$pp, $cp];
}
ksort($TLS_PROXIES);

function env_int(string $name, int $default, int $min = 1): int {
    $v = getenv($name);
    if ($v === false || $v === '') {
        return $default;
    }
    if (!preg_match('/^\d+$/', $v) || (int)$v < $min) {
        fail("$name must be an integer >= $min (got '$v')");
    }
    return (int)$v;
}

$QUICK = getenv('RSMEMCACHE_BENCH_QUICK') === '1';
$ROUNDS = env_int('RSMEMCACHE_BENCH_ROUNDS', $QUICK ? 2 : 7);
$CYCLES = env_int('RSMEMCACHE_BENCH_CYCLES', $QUICK ? 300 : 3000);
$WARMUP = env_int('RSMEMCACHE_BENCH_WARMUP', $QUICK ? 50 : 200);
$PROXY_ROUNDS = env_int('RSMEMCACHE_BENCH_PROXY_ROUNDS', $QUICK ? 1 : 3);
$PROXY_CYCLES = env_int('RSMEMCACHE_BENCH_PROXY_CYCLES', $QUICK ? 50 : 200);
$MEM_CYCLES = env_int('RSMEMCACHE_BENCH_MEM_CYCLES', $QUICK ? 10000 : 100000, 1001);
$RTT_PAIRS = env_int('RSMEMCACHE_BENCH_RTT_PAIRS', $QUICK ? 300 : 2000);
$TIMEOUT = env_int('RSMEMCACHE_BENCH_RUN_TIMEOUT', 120);
$SEED = env_int('RSMEMCACHE_BENCH_SEED', random_int(1, 999999), 0);

/* ------------------------------------------------------------ processes */

/* The measuring process running now; stopped if we are (scripts/bench.sh
 * sends SIGTERM on Ctrl-C or failure). */
$CURRENT = null;
if (function_exists('pcntl_async_signals')) {
    pcntl_async_signals(true);
    $stop = static function (int $sig): never {
        if (is_resource($GLOBALS['CURRENT']) && proc_get_status($GLOBALS['CURRENT'])['running']) {
            proc_terminate($GLOBALS['CURRENT'], SIGTERM);
        }
        fwrite(STDERR, "bench: stopped by signal $sig\n");
        exit(128 + $sig);
    };
    pcntl_signal(SIGTERM, $stop);
    pcntl_signal(SIGINT, $stop);
}

/* Runs $cmd (argv array, no shell) with a wall-clock limit; returns
 * [exit code, stdout, stderr]. A process over the limit is terminated (by its
 * own handle) and reported as failed. */
function run_cmd(array $cmd, int $timeout): array {
    $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    if (!is_resource($p)) {
        fail('cannot start ' . implode(' ', $cmd));
    }
    $GLOBALS['CURRENT'] = $p;
    stream_set_blocking($pipes[1], false);
    stream_set_blocking($pipes[2], false);
    $out = ['', '', ''];
    $open = [1 => $pipes[1], 2 => $pipes[2]];
    $deadline = hrtime(true) + $timeout * 1_000_000_000;
    while ($open) {
        $r = array_values($open);
        $w = $e = null;
        if (@stream_select($r, $w, $e, 0, 200_000) === false) {
            continue;
        }
        foreach ($open as $i => $h) {
            $chunk = fread($h, 65536);
            if (is_string($chunk)) {
                $out[$i] .= $chunk;
            }
            if (feof($h)) {
                fclose($h);
                unset($open[$i]);
            }
        }
        if ($open && hrtime(true) > $deadline) {
            proc_terminate($p, 15);
            for ($i = 0; $i < 20 && proc_get_status($p)['running']; $i++) {
                usleep(100_000);
            }
            if (proc_get_status($p)['running']) {
                proc_terminate($p, 9);
            }
            foreach ($open as $h) {
                fclose($h);
            }
            proc_close($p);
            $GLOBALS['CURRENT'] = null;
            return [-1, $out[1], $out[2] . "\n(killed after {$timeout} s: RSMEMCACHE_BENCH_RUN_TIMEOUT)"];
        }
    }
    $rc = proc_close($p);
    $GLOBALS['CURRENT'] = null;
    return [$rc, $out[1], $out[2]];
}

/* Runs a measuring process and returns its JSON result, or fails the bench
 * with everything the process said. */
function run_json(array $cmd, string $what): array {
    global $TIMEOUT;
    [$rc, $out, $err] = run_cmd($cmd, $TIMEOUT);
    $res = json_decode(trim($out), true);
    if ($rc !== 0 || !is_array($res) || trim($err) !== '') {
        fail("$what (exit status $rc)\n  command: " . implode(' ', array_map('escapeshellarg', $cmd))
            . "\n  stdout: " . trim($out) . "\n  stderr: " . trim($err));
    }
    return $res;
}

/* The `php` arguments that load extension(s) $exts, tried in order: -n with
 * exactly these extensions, then the system's ini files (where the
 * extension may need others loaded first). */
function load_args(array $candidates, string $ext): array {
    global $PHP;
    foreach ($candidates as $args) {
        [$rc, , $err] = run_cmd(array_merge([$PHP], $args,
            ['-r', "exit(extension_loaded('$ext') && extension_loaded('session') ? 0 : 1);"]), 30);
        if ($rc === 0 && trim($err) === '') {
            return $args;
        }
    }
    fail("cannot load the PHP extension '$ext' (tried: "
        . implode(' | ', array_map(static fn($a) => 'php ' . implode(' ', $a), $candidates)) . ')');
}

function ini_args(array $ini): array {
    $a = [];
    foreach ($ini as $k => $v) {
        $a[] = '-d';
        $a[] = "$k=\"$v\"";
    }
    return $a;
}

function median(array $v): float {
    sort($v);
    $n = count($v);
    return $n % 2 ? (float)$v[intdiv($n, 2)] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2;
}

/* --------------------------------------------------------- configurations */

$loads = [
    'rsmemcache' => load_args([['-n', '-d', "extension=$SO"]], 'rsmemcache'),
    'memcache' => load_args([['-n', '-d', 'extension=memcache'], []], 'memcache'),
    'memcached' => load_args([
        ['-n', '-d', 'extension=igbinary', '-d', 'extension=msgpack', '-d', 'extension=memcached'],
        ['-n', '-d', 'extension=igbinary', '-d', 'extension=memcached'],
        ['-n', '-d', 'extension=memcached'],
        [],
    ], 'memcached'),
    'files' => ['-n'],
];
foreach ($loads as $h => $args) {
    if (!in_array('-n', $args, true)) {
        progress("WARNING: $h loads only through the system ini files; its runs use them, with -d overrides");
    }
}

$common = [
    'display_errors' => 'stderr',
    'error_reporting' => '-1',
    'session.use_cookies' => '0',
    'session.use_only_cookies' => '0',
    'session.cache_limiter' => '',
    'session.use_strict_mode' => '0',
    'session.lazy_write' => '1',
    'session.gc_probability' => '0',
    'session.serialize_handler' => 'php',
    'session.gc_maxlifetime' => '1440',
];

$SIZES = [100 => '100 B', 10000 => '10 KB'];
$configs = [];
/* $c: name, handler, persist, size, lock (on|off|off*|flock), mode (rw|ro),
 * ini (save_path given separately), save_path(port) closure, key prefix. */
foreach ($SIZES as $size => $sl) {
    foreach (['on' => '1', 'off' => '0'] as $lk => $lv) {
        $configs[] = [
            'handler' => 'rsmemcache', 'persist' => '-', 'size' => $size, 'lock' => $lk, 'mode' => 'rw',
            'ini' => ['session.save_handler' => 'rsmemcache', 'rsmemcache.locking' => $lv,
                      'rsmemcache.prefix' => 'rsmemcache.sess.'],
            'path' => static fn(int $p) => "127.0.0.1:$p", 'prefix' => 'rsmemcache.sess.',
        ];
    }
    $configs[] = [
        'handler' => 'rsmemcache', 'persist' => '-', 'size' => $size, 'lock' => 'off', 'mode' => 'ro',
        'ini' => ['session.save_handler' => 'rsmemcache', 'rsmemcache.locking' => '0',
                  'rsmemcache.prefix' => 'rsmemcache.sess.'],
        'path' => static fn(int $p) => "127.0.0.1:$p", 'prefix' => 'rsmemcache.sess.',
    ];
    foreach (['yes' => '1', 'no' => '0'] as $pk => $pv) {
        foreach (['on' => '1', 'off' => '0'] as $lk => $lv) {
            $configs[] = [
                'handler' => 'memcached', 'persist' => $pk, 'size' => $size, 'lock' => $lk, 'mode' => 'rw',
                'ini' => ['session.save_handler' => 'memcached', 'memcached.sess_persistent' => $pv,
                          'memcached.sess_locking' => $lv, 'memcached.sess_lock_wait_min' => '1',
                          'memcached.sess_lock_wait_max' => '5', 'memcached.sess_prefix' => 'memc.sess.key.'],
                'path' => static fn(int $p) => "127.0.0.1:$p", 'prefix' => 'memc.sess.key.',
            ];
        }
        foreach (['on', 'off*'] as $lk) {
            // pecl-memcache has no switch: its session handler always locks.
            $configs[] = [
                'handler' => 'memcache', 'persist' => $pk, 'size' => $size, 'lock' => $lk, 'mode' => 'rw',
                'ini' => ['session.save_handler' => 'memcache'],
                'path' => $pk === 'yes'
                    ? static fn(int $p) => "tcp://127.0.0.1:$p?persistent=1"
                    : static fn(int $p) => "tcp://127.0.0.1:$p",
                'prefix' => '',
            ];
        }
    }
    /* Unchanged-session rows: a locked request that changes nothing. */
    $configs[] = [
        'handler' => 'rsmemcache', 'persist' => '-', 'size' => $size, 'lock' => 'on', 'mode' => 'un',
        'ini' => ['session.save_handler' => 'rsmemcache', 'rsmemcache.locking' => '1',
                  'rsmemcache.prefix' => 'rsmemcache.sess.'],
        'path' => static fn(int $p) => "127.0.0.1:$p", 'prefix' => 'rsmemcache.sess.',
    ];
    $configs[] = [
        'handler' => 'memcached', 'persist' => 'yes', 'size' => $size, 'lock' => 'on', 'mode' => 'un',
        'ini' => ['session.save_handler' => 'memcached', 'memcached.sess_persistent' => '1',
                  'memcached.sess_locking' => '1', 'memcached.sess_lock_wait_min' => '1',
                  'memcached.sess_lock_wait_max' => '5', 'memcached.sess_prefix' => 'memc.sess.key.'],
        'path' => static fn(int $p) => "127.0.0.1:$p", 'prefix' => 'memc.sess.key.',
    ];
    $configs[] = [
        'handler' => 'memcache', 'persist' => 'yes', 'size' => $size, 'lock' => 'on', 'mode' => 'un',
        'ini' => ['session.save_handler' => 'memcache'],
        'path' => static fn(int $p) => "tcp://127.0.0.1:$p?persistent=1", 'prefix' => '',
    ];
    $configs[] = [
        'handler' => 'files', 'persist' => '-', 'size' => $size, 'lock' => 'flock', 'mode' => 'rw',
        'ini' => ['session.save_handler' => 'files'],
        'path' => static fn(int $p) => $GLOBALS['TMP'] . '/files', 'prefix' => null,
    ];
}
/* TLS rows: rsmemcache over TLS (pooled connections) to the TLS memcached. */
if (isset($opt['tls'])) {
    [$tport, $tplain, $tca] = explode(':', $opt['tls'], 3);
    foreach ($SIZES as $size => $sl) {
        $configs[] = [
            'handler' => 'rsmemcache', 'persist' => 'tls', 'size' => $size, 'lock' => 'on', 'mode' => 'rw',
            'ini' => ['session.save_handler' => 'rsmemcache', 'rsmemcache.locking' => '1',
                      'rsmemcache.prefix' => 'rsmemcache.sess.', 'rsmemcache.tls_ca_file' => $tca],
            'path' => static fn(int $p) => "tls://127.0.0.1:$p", 'prefix' => 'rsmemcache.sess.',
            'port' => (int)$tport, 'vport' => (int)$tplain,
        ];
    }
}
/* Encryption rows: the plain locked cycle with rsmemcache.encryption_key_file
 * (XChaCha20-Poly1305); the stored value is checked to hold no plaintext. */
$KEYS = "$TMP/bench.keys";
file_put_contents($KEYS, 'bench ' . bin2hex(random_bytes(32)) . "\n");
chmod($KEYS, 0600);
foreach ($SIZES as $size => $sl) {
    $configs[] = [
        'handler' => 'rsmemcache', 'persist' => 'enc', 'size' => $size, 'lock' => 'on', 'mode' => 'rw',
        'ini' => ['session.save_handler' => 'rsmemcache', 'rsmemcache.locking' => '1',
                  'rsmemcache.prefix' => 'rsmemcache.sess.', 'rsmemcache.encryption_key_file' => $KEYS],
        'path' => static fn(int $p) => "127.0.0.1:$p", 'prefix' => 'rsmemcache.sess.', 'sealed' => true,
    ];
}
/* Raw-key rows: the plain locked cycle with rsmemcache.key_hash = none (the
 * session id itself in the key), against the default sha256 rows. */
foreach ($SIZES as $size => $sl) {
    $configs[] = [
        'handler' => 'rsmemcache', 'persist' => 'raw', 'size' => $size, 'lock' => 'on', 'mode' => 'rw',
        'ini' => ['session.save_handler' => 'rsmemcache', 'rsmemcache.locking' => '1',
                  'rsmemcache.prefix' => 'rsmemcache.sess.', 'rsmemcache.key_hash' => 'none'],
        'path' => static fn(int $p) => "127.0.0.1:$p", 'prefix' => 'rsmemcache.sess.', 'raw_key' => true,
    ];
}
@mkdir("$TMP/files", 0700, true);
foreach ($configs as $i => &$c) {
    $c['name'] = sprintf('%s%s %s %s', $c['handler'],
        $c['persist'] === '-' ? '' : ($c['persist'] === 'tls' ? ' TLS' : ($c['persist'] === 'enc' ? ' encrypted'
            : ($c['persist'] === 'raw' ? ' raw keys'
            : ($c['persist'] === 'yes' ? ' persistent' : ' non-persistent')))),
        $SIZES[$c['size']], mode_label($c));
}
unset($c);

/** How a configuration's cycle is named: read-only, lock on|off, or unchanged (locked). */
function mode_label(array $c): string {
    return ['ro' => 'read-only', 'un' => 'unchanged, lock ' . $c['lock']][$c['mode']] ?? 'lock ' . $c['lock'];
}

function find_config(string $handler, string $persist, int $size, string $lock, string $mode = 'rw'): int {
    foreach ($GLOBALS['configs'] as $i => $c) {
        if ($c['handler'] === $handler && $c['persist'] === $persist && $c['size'] === $size
            && $c['lock'] === $lock && $c['mode'] === $mode) {
            return $i;
        }
    }
    fail("no configuration $handler/$persist/$size/$lock/$mode");
}

/* One run of configuration $i: its JSON result. $port: where the handler
 * connects (memcached or a proxy); the session is verified on memcached. */
function run_config(int $i, int $cycles, int $warmup, ?int $port = null, ?int $control = null,
                    string ...$extra): array {
    global $configs, $loads, $common, $PHP, $DIR, $PORT, $HOST, $TMP;
    static $seq = 0;
    $c = $configs[$i];
    $seq++;
    // A new session per process: no lock or counter left over from another run.
    $code = ['rsmemcache' => 'rs', 'memcached' => 'mcd', 'memcache' => 'pecl', 'files' => 'files'];
    $id = sprintf('bench-%s-%d-%d-%s', $code[$c['handler']], $i, $seq, bin2hex(random_bytes(4)));
    $ini = $common + $c['ini'] + ['session.save_path' => ($c['path'])($port ?? $c['port'] ?? $PORT)];
    // rsmemcache's key holds base64url(SHA-256(id)) (rsmemcache.key_hash =
    // sha256, the default) unless the row sets key_hash = none.
    $kid = $c['handler'] === 'rsmemcache' && !($c['raw_key'] ?? false)
        ? rtrim(strtr(base64_encode(hash('sha256', $id, true)), '+/', '-_'), '=') : $id;
    $verify = $c['prefix'] === null
        ? "file:$TMP/files/sess_$id"
        : (($c['sealed'] ?? false) ? 'mc-sealed' : 'mc') . ":$HOST:" . ($c['vport'] ?? $PORT) . ":{$c['prefix']}$kid";
    $cmd = array_merge([$PHP], $loads[$c['handler']], ini_args($ini), [
        "$DIR/session_cycle.php", "--id=$id", "--size={$c['size']}", "--cycles=$cycles",
        "--warmup=$warmup", "--mode={$c['mode']}", "--verify=$verify",
    ]);
    if ($control !== null) {
        $cmd[] = "--control=$HOST:$control";
    }
    array_push($cmd, ...$extra);
    $res = run_json($cmd, $c['name']);
    if ($c['prefix'] === null) {
        @unlink("$TMP/files/sess_$id");
    }
    return $res;
}

function run_rtt(int $pairs): array {
    global $PHP, $DIR, $HOST, $PORT;
    return run_json([$PHP, '-n', "$DIR/rtt.php", "$HOST:$PORT", (string)$pairs, '200'], 'raw round trips');
}

/* ------------------------------------------------------------ measuring */

$t_start = microtime(true);
mt_srand($SEED);

progress('checking every configuration once (' . count($configs) . ' configurations, also a warm-up)');
foreach (array_keys($configs) as $i) {
    run_config($i, 50, 5);
}
run_rtt(100);
foreach (array_keys($PROXIES) as $d) {
    // The proxies forward and count.
    $r = run_config(find_config('rsmemcache', '-', 100, 'on'), 5, 5, $PROXIES[$d][0], $PROXIES[$d][1]);
    if (($r['writes_per_cycle'] ?? 0) <= 0) {
        fail("the delay proxy with D=$d counted no writes");
    }
}
foreach (array_keys($TLS_PROXIES) as $d) {
    $r = run_config(find_config('rsmemcache', 'tls', 100, 'on'), 5, 5, $TLS_PROXIES[$d][0], $TLS_PROXIES[$d][1]);
    if (($r['writes_per_cycle'] ?? 0) <= 0) {
        fail("the delay proxy in front of the TLS memcached with D=$d counted no writes");
    }
}

$times = [];   // config index => [µs per cycle per round: the process's batch median]
$means = [];   // config index => [µs per cycle per round: the process's mean]
$rtt = [];     // [pair µs per round]
for ($r = 1; $r <= $ROUNDS; $r++) {
    // The raw round trips three times per round (they are short, and the
    // floor depends on them): fewer rounds hit by a burst of other load.
    $order = array_merge(array_keys($configs), ['rtt', 'rtt', 'rtt']);
    shuffle($order);
    $t = microtime(true);
    foreach ($order as $i) {
        if ($i === 'rtt') {
            $rtt[] = run_rtt($RTT_PAIRS)['pair_us'];
        } else {
            $res = run_config($i, $CYCLES, $WARMUP);
            $times[$i][] = $res['us_per_cycle_batch_median'] ?? $res['us_per_cycle'];
            $means[$i][] = $res['us_per_cycle'];
        }
    }
    progress(sprintf('round %d/%d: %d processes, %.1f s', $r, $ROUNDS, count($order), microtime(true) - $t));
}

/* Round trips, through the delay proxies. */
$proxied = [
    find_config('rsmemcache', '-', 100, 'on'),
    find_config('rsmemcache', '-', 10000, 'on'),
    find_config('rsmemcache', 'enc', 100, 'on'),
    find_config('rsmemcache', 'enc', 10000, 'on'),
    find_config('rsmemcache', '-', 100, 'off'),
    find_config('rsmemcache', '-', 100, 'off', 'ro'),
    find_config('memcached', 'yes', 100, 'on'),
    find_config('memcache', 'yes', 100, 'on'),
    find_config('rsmemcache', '-', 100, 'on', 'un'),
    find_config('memcached', 'yes', 100, 'on', 'un'),
    find_config('memcache', 'yes', 100, 'on', 'un'),
];
if (isset($opt['tls']) && array_keys($TLS_PROXIES) === array_keys($PROXIES)) {
    // The TLS rows through the same delays in front of the TLS memcached.
    $proxied[] = find_config('rsmemcache', 'tls', 100, 'on');
    $proxied[] = find_config('rsmemcache', 'tls', 10000, 'on');
}
/** The delay proxies (delay µs => [port, control port]) for configuration $i. */
function proxies_for(int $i): array {
    return $GLOBALS['configs'][$i]['persist'] === 'tls' ? $GLOBALS['TLS_PROXIES'] : $GLOBALS['PROXIES'];
}
$ptimes = [];  // config => D => [µs]
$pwrites = []; // config => [writes per cycle]
$pconns = [];  // config => [connections per cycle]
for ($r = 1; $r <= $PROXY_ROUNDS; $r++) {
    $order = [];
    foreach ($proxied as $i) {
        foreach (array_keys($PROXIES) as $d) {
            $order[] = [$i, $d];
        }
    }
    shuffle($order);
    $t = microtime(true);
    foreach ($order as [$i, $d]) {
        $px = proxies_for($i);
        $res = run_config($i, $PROXY_CYCLES, min($WARMUP, 50), $px[$d][0], $px[$d][1],
            '--batch=20');
        $ptimes[$i][$d][] = $res['us_per_cycle_batch_median'] ?? $res['us_per_cycle'];
        $pwrites[$i][] = $res['writes_per_cycle'];
        $pconns[$i][] = $res['conns_per_cycle'];
    }
    progress(sprintf('delay-proxy round %d/%d: %d processes, %.1f s', $r, $PROXY_ROUNDS, count($order),
        microtime(true) - $t));
}

/* Memory: one long rsmemcache process. */
$t = microtime(true);
$mem = run_config(find_config('rsmemcache', '-', 100, 'on'), $MEM_CYCLES, 1, null, null,
    "--rss-at=1000,$MEM_CYCLES");
progress(sprintf('memory run: %d cycles, %.1f s', $MEM_CYCLES, microtime(true) - $t));

/* ------------------------------------------------------------ reporting */

$med = [];
foreach ($times as $i => $v) {
    $med[$i] = median($v);
}
$medmean = [];
foreach ($means as $i => $v) {
    $medmean[$i] = median($v);
}
$rtt_pair = median($rtt);

function us(float $v): string {
    return $v >= 1000 ? sprintf('%.0f', $v) : ($v >= 100 ? sprintf('%.1f', $v) : sprintf('%.2f', $v));
}

/* Length in characters (UTF-8; mbstring may not be loaded under -n). */
function chars(string $s): int {
    return (int)preg_match_all('/./us', $s);
}

function table(array $head, array $rows, array $right): string {
    $w = array_map('chars', $head);
    foreach ($rows as $row) {
        foreach ($row as $k => $cell) {
            $w[$k] = max($w[$k], chars($cell));
        }
    }
    $line = static function (array $cells) use ($w, $right): string {
        $s = [];
        foreach ($cells as $k => $cell) {
            $pad = str_repeat(' ', $w[$k] - chars($cell));
            $s[] = in_array($k, $right, true) ? $pad . $cell : $cell . $pad;
        }
        return rtrim(implode('  ', $s)) . "\n";
    };
    $out = $line($head);
    $out .= $line(array_map(static fn($x) => str_repeat('-', $x), $w));
    foreach ($rows as $row) {
        $out .= $line($row);
    }
    return $out;
}

$machine = $opt['machine'] ?? '';
echo "\n== rsmemcache session benchmark\n";
echo $machine !== '' ? rtrim($machine) . "\n" : '';
printf("rounds %d x %d cycles (+%d warm-up) per configuration, order shuffled every round (seed %d)%s\n",
    $ROUNDS, $CYCLES, $WARMUP, $SEED, $QUICK ? '  [QUICK MODE: smoke test, figures unreliable]' : '');
echo "a cycle: session_id(\$fixed); session_start(); \$_SESSION['n']++; session_write_close();\n";
echo "         (read-only: session_start(['read_and_close' => true]) with locking off)\n";
echo "payload: \$_SESSION['p'] = str_repeat('x', 100 | 10000) plus the counter\n";
echo "µs/cycle: median over rounds of each process's median over its batches of 100 cycles (a burst of\n";
echo "          other load on the machine moves only the batches it hits); cycles/s = 1e6 / µs/cycle;\n";
echo "          spread = min..max of it over rounds; mean = median over rounds of each process's plain mean\n";
echo "speedup: that row's µs / rsmemcache's µs for the same size and locking setting\n\n";

$order_rows = [];
foreach (['rsmemcache', 'memcached', 'memcache', 'files'] as $h) {
    foreach ($configs as $i => $c) {
        if ($c['handler'] === $h) {
            $order_rows[] = $i;
        }
    }
}
usort($order_rows, static function ($a, $b) use ($configs) {
    $ha = ['rsmemcache' => 0, 'memcached' => 1, 'memcache' => 2, 'files' => 3];
    $ka = [$configs[$a]['size'], $configs[$a]['mode'] === 'un', $ha[$configs[$a]['handler']], $configs[$a]['persist'] === 'no',
           $configs[$a]['mode'] === 'ro', $configs[$a]['lock'] !== 'on' && $configs[$a]['lock'] !== 'flock'];
    $kb = [$configs[$b]['size'], $configs[$b]['mode'] === 'un', $ha[$configs[$b]['handler']], $configs[$b]['persist'] === 'no',
           $configs[$b]['mode'] === 'ro', $configs[$b]['lock'] !== 'on' && $configs[$b]['lock'] !== 'flock'];
    return $ka <=> $kb;
});

$labels = ['rsmemcache' => 'rsmemcache', 'memcached' => 'php-memcached', 'memcache' => 'pecl-memcache',
           'files' => 'files'];
$rows = [];
foreach ($order_rows as $i) {
    $c = $configs[$i];
    $ref = null;
    if ($c['mode'] === 'rw' && ($c['handler'] !== 'rsmemcache' || in_array($c['persist'], ['tls', 'enc', 'raw'], true))) {
        $lk = in_array($c['lock'], ['on', 'flock'], true) ? 'on' : 'off';
        $ref = $med[find_config('rsmemcache', '-', $c['size'], $lk)];
    } elseif ($c['mode'] === 'un' && $c['handler'] !== 'rsmemcache') {
        $ref = $med[find_config('rsmemcache', '-', $c['size'], 'on', 'un')];
    }
    $rows[] = [
        $labels[$c['handler']],
        $c['persist'],
        $SIZES[$c['size']],
        $c['lock'],
        ['ro' => 'read-only', 'un' => 'unchanged'][$c['mode']] ?? 'read+write',
        us($med[$i]),
        us(min($times[$i])) . '..' . us(max($times[$i])),
        us($medmean[$i]),
        sprintf('%.0f', 1e6 / $med[$i]),
        $ref === null ? ($c['mode'] !== 'ro' ? 'ref' : '-') : sprintf('%.2f×', $med[$i] / $ref),
    ];
}
echo table(['handler', 'persistent', 'size', 'locking', 'cycle', 'µs/cycle', 'spread', 'mean', 'cycles/s',
    'speedup'], $rows, [5, 6, 7, 8, 9]);
echo "off*  = pecl-memcache has no locking switch: its session handler always locks, so its \"off\" rows\n";
echo "        are locked too (compared with rsmemcache unlocked).\n";
echo "flock = the files handler always locks (flock); compared with rsmemcache locked.\n";
echo "php-memcached runs with its defaults (binary protocol on) plus sess_lock_wait_min/max = 1/5 ms.\n\n";

/* Floor. */
$files = [];
foreach ($SIZES as $size => $sl) {
    $files[$size] = $med[find_config('files', '-', $size, 'flock')];
}
$rs_l100 = $med[find_config('rsmemcache', '-', 100, 'on')];
echo "== floor = 2 raw round trips (plain PHP socket, 'mn' twice) + PHP's files handler cycle\n";
printf("2 round trips: %s µs (median of each process's median pair, 3 processes per round; min..max %s..%s)\n",
    us($rtt_pair), us(min($rtt)), us(max($rtt)));
$frows = [];
foreach ($SIZES as $size => $sl) {
    $floor = $rtt_pair + $files[$size];
    foreach ([['on', 'rw'], ['off', 'rw']] as [$lk, $mode]) {
        $v = $med[find_config('rsmemcache', '-', $size, $lk, $mode)];
        $frows[] = [
            "rsmemcache $sl lock $lk", us($v), us($rtt_pair), us($files[$size]), us($floor),
            sprintf('%.2f×', $v / $floor), us($v - $floor),
        ];
    }
}
echo table(['configuration', 'µs/cycle', '2 RTT', 'files', 'floor', 'ratio', 'above floor (µs)'],
    $frows, [1, 2, 3, 4, 5, 6]);
echo "\n";

/* Encryption: the same locked cycle with every value sealed, against plain;
 * the round trips per cycle of both come from the delay-proxy table below. */
echo "== encryption (rsmemcache.encryption_key_file: XChaCha20-Poly1305, a random 192-bit nonce per write)\n";
$erows = [];
foreach ($SIZES as $size => $sl) {
    $plain = $med[find_config('rsmemcache', '-', $size, 'on')];
    $enc = $med[find_config('rsmemcache', 'enc', $size, 'on')];
    $erows[] = ["rsmemcache $sl lock on", us($plain), us($enc), sprintf('%.2f×', $enc / $plain), us($enc - $plain)];
}
echo table(['configuration', 'plain µs/cycle', 'encrypted µs/cycle', 'encrypted / plain', 'cost (µs)'], $erows, [1, 2, 3, 4]);
echo "round trips per cycle: see the 'encrypted' rows of the round-trip table (the same as plain)\n\n";

/* Hashed keys: the default rows (key_hash = sha256) against key_hash = none. */
echo "== hashed keys (rsmemcache.key_hash = sha256, the default: keys hold SHA-256 of the id) against raw keys (none)\n";
$krows = [];
foreach ($SIZES as $size => $sl) {
    $hashed = $med[find_config('rsmemcache', '-', $size, 'on')];
    $raw = $med[find_config('rsmemcache', 'raw', $size, 'on')];
    $krows[] = ["rsmemcache $sl lock on", us($raw), us($hashed), sprintf('%.2f×', $hashed / $raw), us($hashed - $raw)];
}
echo table(['configuration', 'none µs/cycle', 'sha256 µs/cycle', 'sha256 / none', 'cost (µs)'], $krows, [1, 2, 3, 4]);
echo "(one SHA-256 of the id per request; the same round trips)\n\n";

/* Round trips. */
/** A configuration's name in the round-trip table. */
function rt_label(array $c): string {
    $p = ['yes' => ' persistent', 'tls' => ' TLS', 'enc' => ' encrypted', 'raw' => ' raw keys'][$c['persist']] ?? '';
    return $GLOBALS['labels'][$c['handler']] . $p . ' ' . $GLOBALS['SIZES'][$c['size']]
        . ' ' . mode_label($c);
}
$ds = array_keys($PROXIES);
printf("== round trips per cycle, through the delay proxy (each client->server chunk held D µs; %d round%s x %d cycles per D)\n",
    $PROXY_ROUNDS, $PROXY_ROUNDS > 1 ? 's' : '', $PROXY_CYCLES);
echo "slope = least-squares slope of µs/cycle over D = round trips the cycle waits for\n";
$rt = [];
$prows = [];
foreach ($proxied as $i) {
    $c = $configs[$i];
    $xs = $ys = [];
    $row = [rt_label($c)];
    foreach ($ds as $d) {
        $y = median($ptimes[$i][$d]);
        $xs[] = $d;
        $ys[] = $y;
        $row[] = us($y);
    }
    $n = count($xs);
    $mx = array_sum($xs) / $n;
    $my = array_sum($ys) / $n;
    $num = $den = 0.0;
    foreach ($xs as $k => $x) {
        $num += ($x - $mx) * ($ys[$k] - $my);
        $den += ($x - $mx) ** 2;
    }
    $slope = $den > 0 ? $num / $den : NAN;
    $w = median($pwrites[$i]);
    $rt[$i] = [$slope, $w];
    $row[] = sprintf('%.2f', $slope);
    $row[] = sprintf('%.2f', $w) . (min($pwrites[$i]) != max($pwrites[$i])
        ? sprintf(' (%.2f..%.2f)', min($pwrites[$i]), max($pwrites[$i])) : '');
    $row[] = sprintf('%.2f', median($pconns[$i]));
    $prows[] = $row;
}
echo table(array_merge(['configuration'], array_map(static fn($d) => "D=$d µs/cycle", $ds),
    ['round trips', 'client writes/cycle', 'connects/cycle']), $prows, range(1, count($ds) + 3));
echo "\n";

/* Unchanged sessions: a locked request that changes nothing, the three
 * handlers side by side, with the round trips each waits for. */
echo "== unchanged session (session_start(); read; session_write_close(); lazy_write = 1, locked)\n";
$urows = [];
$i_ref = find_config('rsmemcache', '-', 100, 'on', 'un');
foreach ([['rsmemcache', '-'], ['memcached', 'yes'], ['memcache', 'yes']] as [$h, $pk]) {
    $i1 = find_config($h, $pk, 100, 'on', 'un');
    $i2 = find_config($h, $pk, 10000, 'on', 'un');
    $urows[] = [$labels[$h] . ($pk === 'yes' ? ' persistent' : ''), us($med[$i1]), us($med[$i2]),
        isset($rt[$i1]) ? sprintf('%.2f', $rt[$i1][0]) : '-', isset($rt[$i1]) ? sprintf('%.2f', $rt[$i1][1]) : '-',
        $h === 'rsmemcache' ? 'ref' : sprintf('%.2f×', $med[$i1] / $med[$i_ref])];
}
echo table(['handler', '100 B µs/cycle', '10 KB µs/cycle', 'round trips (100 B)', 'client writes/cycle',
    'vs rsmemcache (100 B)'], $urows, [1, 2, 3, 4, 5]);
echo "\n";

/* TLS: the same locked cycle over TLS (pooled connections) against plain,
 * with the round trips per cycle of both (delay-proxy slope / client writes). */
if (isset($opt['tls'])) {
    echo "== TLS (rustls, pooled connections; the TLS memcached is a second daemon of the same build)\n";
    $trows = [];
    foreach ($SIZES as $size => $sl) {
        $ip = find_config('rsmemcache', '-', $size, 'on');
        $it = find_config('rsmemcache', 'tls', $size, 'on');
        $rtf = static fn(int $i): string => isset($rt[$i]) ? sprintf('%.2f / %.2f', $rt[$i][0], $rt[$i][1]) : '-';
        $trows[] = ["rsmemcache $sl lock on", us($med[$ip]), us($med[$it]), sprintf('%.2f×', $med[$it] / $med[$ip]),
            $rtf($ip), $rtf($it)];
    }
    echo table(['configuration', 'plain µs/cycle', 'TLS µs/cycle', 'TLS / plain', 'plain RT / writes', 'TLS RT / writes'],
        $trows, [1, 2, 3, 4, 5]);
    echo "target: TLS / plain <= 1.15 and the same round trips per cycle (RT = delay-proxy slope, writes = client writes\n";
    echo "per cycle, both from the round-trip table). Pinned to one CPU, memcached's own TLS work (OpenSSL) adds to each cycle.\n\n";
}

/* Memory. */
[$m1, $m2] = $mem['rss'];
echo "== memory of one rsmemcache PHP process (locked, 100 B; /proc/self/status)\n";
printf("after %6d cycles: VmHWM %6d kB  VmRSS %6d kB\n", $m1['cycles'], $m1['hwm_kb'], $m1['rss_kb']);
printf("after %6d cycles: VmHWM %6d kB  VmRSS %6d kB\n", $m2['cycles'], $m2['hwm_kb'], $m2['rss_kb']);
printf("difference:          VmHWM %+6d kB  VmRSS %+6d kB  (%.1f µs/cycle over the run)\n\n",
    $m2['hwm_kb'] - $m1['hwm_kb'], $m2['rss_kb'] - $m1['rss_kb'], $mem['us_per_cycle']);

/* Summary. The targets are judged on the medians; the same ratios from
 * each configuration's best round (min over rounds) follow in brackets: on a
 * machine shared with other work they show what an undisturbed run gives. */
$verdict = static fn(bool $ok): string => $ok ? 'met' : 'NOT met';
$i_rs = find_config('rsmemcache', '-', 100, 'on');
$i_md = find_config('memcached', 'yes', 100, 'on');
$i_pm = find_config('memcache', 'yes', 100, 'on');
$i_fi = find_config('files', '-', 100, 'flock');
$best = static fn(int $i): float => min($times[$i]);
$floor100 = $rtt_pair + $files[100];
$floor_best = min($rtt) + $best($i_fi);
$r_md = $med[$i_md] / $rs_l100;
$r_pm = $med[$i_pm] / $rs_l100;
$r_fl = $rs_l100 / $floor100;
echo "== summary (rsmemcache locked, 100 B; [best rounds] = the same ratio from each figure's min over rounds)\n";
printf("rsmemcache locked 100 B: %s µs/cycle, %.0f cycles/s\n", us($rs_l100), 1e6 / $rs_l100);
printf("rsmemcache locked 100 B vs php-memcached persistent: %.2f× (target ≥ 1.75) %s  [best rounds: %.2f×]\n",
    $r_md, $verdict($r_md >= 1.75), $best($i_md) / $best($i_rs));
printf("rsmemcache locked 100 B vs pecl-memcache persistent: %.2f× (target ≥ 1.35) %s  [best rounds: %.2f×]\n",
    $r_pm, $verdict($r_pm >= 1.35), $best($i_pm) / $best($i_rs));
printf("rsmemcache vs floor: %.2f× (target ≤ 1.2) %s  [floor %s µs = 2 RTT %s + files %s; best rounds: %.2f×]\n",
    $r_fl, $verdict($r_fl <= 1.2), us($floor100), us($rtt_pair), us($files[100]), $best($i_rs) / $floor_best);
echo "round trips per cycle (delay-proxy slope / client writes counted):\n";
foreach ($proxied as $i) {
    $c = $configs[$i];
    printf("  %-42s %.2f / %.2f\n", rt_label($c), $rt[$i][0], $rt[$i][1]);
}
printf("RSS (VmHWM) after %d cycles: %d kB; after %d cycles: %d kB; difference %+d kB\n",
    $m1['cycles'], $m1['hwm_kb'], $m2['cycles'], $m2['hwm_kb'], $m2['hwm_kb'] - $m1['hwm_kb']);
$load = implode(' ', array_slice(explode(' ', (string)file_get_contents('/proc/loadavg')), 0, 3));
printf("bench time: %.0f s; load average at the end: %s%s\n", microtime(true) - $t_start, $load,
    (float)$load > 1.5 ? ' (busy machine: other processes compete for the CPUs, figures are noisier)' : '');
