<?php
/* The durable tier's rows of `make bench` (started by scripts/bench-durable.sh
 * with a private memcached and MariaDB running):
 *
 *   php -n bench/durable.php --php=PHP --so=SO --mc=HOST:PORT --db=SOCKET --creds=FILE
 *
 * Configurations, each a separate process per round, in a shuffled order
 * every round: the tier off / on (write_every 1) / on (write_every 10), and
 * with encryption on: the tier off / on (write_every 1, sealed rows), for
 * changed and unchanged sessions. Per configuration: the median over rounds
 * of µs per cycle, the ratio to the same cycle without the tier, database
 * statements per cycle (MariaDB's Com_stmt_execute) and memcached commands
 * per cycle (its stats), both counted around the timed part only.
 * Tunables: RSMEMCACHE_BENCH_ROUNDS (5), RSMEMCACHE_BENCH_CYCLES (2000).
 */
declare(strict_types=1);
$opt = [];
foreach (array_slice($argv, 1) as $a) { if (preg_match('/^--(\w+)=(.*)$/s', $a, $m)) { $opt[$m[1]] = $m[2]; } }
$rounds = (int)(getenv('RSMEMCACHE_BENCH_ROUNDS') ?: 5);
$cycles = (int)(getenv('RSMEMCACHE_BENCH_CYCLES') ?: 2000);
$warmup = 50;

function mc_stats(string $server): int {
    $s = stream_socket_client("tcp://$server", $e, $es, 2) ?: exit("bench: memcached $server: $es\n");
    fwrite($s, "stats\r\n");
    $n = 0;
    while (($l = fgets($s)) !== false && $l !== "END\r\n") {
        if (preg_match('/^STAT (cmd_get|cmd_set|cmd_touch|delete_hits|delete_misses) (\d+)/', $l, $m)) { $n += (int)$m[2]; }
    }
    return $n;
}
function db_stmts(string $sock): int {
    $out = shell_exec('mariadb --no-defaults -N -B -S ' . escapeshellarg($sock) . " -u root -e \"SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'\"");
    return (int)(explode("\t", trim((string)$out))[1] ?? 0);
}

// Sealed rows against plain ones: the same configurations with
// rsmemcache.encryption_key_file set (copies and rows sealed).
$keyfile = tempnam(sys_get_temp_dir(), 'rsmc-bench-keys');
file_put_contents($keyfile, 'k1 ' . bin2hex(random_bytes(32)) . "\n");
register_shutdown_function(static fn () => @unlink($keyfile));
$configs = [];
foreach (['changed', 'unchanged'] as $mode) {
    foreach (['off' => null, 'on, write_every=1' => 1, 'on, write_every=10' => 10,
              'off, encrypted' => null, 'on, we=1, sealed rows' => 1] as $label => $every) {
        $ini = ['session.save_handler=rsmemcache', "session.save_path={$opt['mc']}", 'session.use_cookies=0',
                'session.cache_limiter=', 'session.use_strict_mode=0', 'session.serialize_handler=php',
                'session.gc_probability=0'];
        if ($every !== null) {
            $ini[] = "rsmemcache.durable_dsn={$opt['db']}?database=rsm_bench";
            $ini[] = "rsmemcache.durable_credentials_file={$opt['creds']}";
            $ini[] = "rsmemcache.durable_write_every=$every";
        }
        if (str_contains($label, 'encrypted') || str_contains($label, 'sealed')) {
            $ini[] = "rsmemcache.encryption_key_file=$keyfile";
        }
        $configs[] = ['mode' => $mode, 'tier' => $label, 'ini' => $ini, 'us' => [], 'db' => [], 'mc' => []];
    }
}
$seed = random_int(0, PHP_INT_MAX);
mt_srand($seed);
fwrite(STDERR, ".. durable tier: $rounds rounds x " . count($configs) . " configurations x $cycles cycles (seed $seed)\n");
for ($r = 0; $r < $rounds; $r++) {
    $order = array_keys($configs);
    shuffle($order);
    foreach ($order as $i) {
        $c = &$configs[$i];
        $id = 'bench' . bin2hex(random_bytes(8));
        $args = [$opt['php'], '-n', '-d', "extension={$opt['so']}"];
        foreach ($c['ini'] as $kv) { array_push($args, '-d', $kv); }
        // Warm-up inside the process is not counted: counters are read by a
        // first run of 0 timed cycles... instead, count the whole process and
        // subtract a warm-up-only process's counts.
        $run = static function (int $n) use ($args, $id, $c, $warmup): array {
            $cmd = implode(' ', array_map('escapeshellarg', array_merge($args, [__DIR__ . '/durable_cycle.php', $id . $n, $c['mode'], (string)$n, (string)$warmup])));
            $mc0 = mc_stats($GLOBALS['opt']['mc']); $db0 = db_stmts($GLOBALS['opt']['db']);
            $out = shell_exec($cmd . ' 2>&1');
            $mc1 = mc_stats($GLOBALS['opt']['mc']); $db1 = db_stmts($GLOBALS['opt']['db']);
            $j = json_decode(trim((string)$out), true);
            if (!is_array($j)) { fwrite(STDERR, "bench: FAILED: {$c['mode']} tier {$c['tier']}: $out\n"); exit(1); }
            return [$j['us'], $mc1 - $mc0, $db1 - $db0];
        };
        [$us, $mc, $db] = $run($cycles);
        [, $mcw, $dbw] = $run(1);
        $c['us'][] = $us;
        $c['mc'][] = ($mc - $mcw) / ($cycles - 1);
        $c['db'][] = ($db - $dbw) / ($cycles - 1);
        unset($c);
    }
}
function median(array $v): float { sort($v); $n = count($v); return $n % 2 ? $v[intdiv($n, 2)] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2; }
echo "\n== durable tier (MariaDB behind memcached): one session, 100 B payload, locking on, lazy_write on\n";
printf("%-10s %-22s %10s %10s %16s %18s\n", 'cycle', 'durable tier', 'µs/cycle', 'vs off', 'DB stmts/cycle', 'memcached cmds/cycle');
$off = [];
foreach ($configs as $c) { if ($c['tier'] === 'off') { $off[$c['mode']] = median($c['us']); } }
foreach ($configs as $c) {
    $m = median($c['us']);
    printf("%-10s %-22s %10.1f %9.3fx %16.2f %18.2f\n", $c['mode'], $c['tier'], $m, $m / $off[$c['mode']], median($c['db']), median($c['mc']));
}
$by = [];
foreach ($configs as $c) { $by[$c['mode']][$c['tier']] = median($c['us']); }
echo "\n== sealed rows against plain rows (tier on, write_every=1; 'encrypted' also seals the memcached copies)\n";
foreach ($by as $mode => $t) {
    printf("%-10s sealed rows %8.1f µs vs plain rows %8.1f µs: %.3fx (encryption alone, tier off: %.3fx)\n", $mode,
        $t['on, we=1, sealed rows'], $t['on, write_every=1'], $t['on, we=1, sealed rows'] / $t['on, write_every=1'],
        $t['off, encrypted'] / $t['off']);
}
