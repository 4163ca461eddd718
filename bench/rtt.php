<?php
/* Raw round trips from PHP to memcached, for the benchmark's floor. Started
 * by bench/run.php:
 *
 *   php -n bench/rtt.php HOST:PORT [PAIRS] [WARMUP]
 *
 * One plain TCP socket (stream_socket_client, TCP_NODELAY); a pair is
 * fwrite("mn\r\n") + fgets() twice, the two sequential round trips of a
 * session cycle without anything else. Prints one JSON line: the median and
 * the minimum time of a pair in microseconds.
 */

declare(strict_types=1);

$addr = $argv[1] ?? '';
$pairs = (int)($argv[2] ?? 2000);
$warmup = (int)($argv[3] ?? 200);
if ($addr === '' || $pairs < 1) {
    fwrite(STDERR, "usage: php -n rtt.php HOST:PORT [PAIRS] [WARMUP]\n");
    exit(2);
}

$ctx = stream_context_create(['socket' => ['tcp_nodelay' => true]]);
$s = stream_socket_client("tcp://$addr", $errno, $errstr, 2, STREAM_CLIENT_CONNECT, $ctx);
if (!$s) {
    fwrite(STDERR, "rtt: cannot connect to $addr: $errstr\n");
    exit(1);
}
stream_set_timeout($s, 2);

$t = [];
for ($i = -$warmup; $i < $pairs; $i++) {
    $t0 = hrtime(true);
    fwrite($s, "mn\r\n");
    $a = fgets($s);
    fwrite($s, "mn\r\n");
    $b = fgets($s);
    $t1 = hrtime(true);
    if ($a !== "MN\r\n" || $b !== "MN\r\n") {
        fwrite(STDERR, 'rtt: unexpected answer ' . var_export([$a, $b], true) . "\n");
        exit(1);
    }
    if ($i >= 0) {
        $t[] = $t1 - $t0;
    }
}
fclose($s);
sort($t);
$n = count($t);
$median = $n % 2 ? $t[intdiv($n, 2)] : ($t[$n / 2 - 1] + $t[$n / 2]) / 2;
echo json_encode(['pair_us' => $median / 1e3, 'pair_min_us' => $t[0] / 1e3, 'pairs' => $n]), "\n";
