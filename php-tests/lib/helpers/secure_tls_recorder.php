<?php
/* A recording TCP proxy for secure_tls_wire.phpt (no rsmemcache needed): what
 * an eavesdropper on the network between PHP and memcached would capture.
 *
 * Usage: php secure_tls_recorder.php <listen [host:]port> <upstream host:port> <dir> [lifetime_s=120]
 *
 * Listens on 127.0.0.1:<listen port> (or the loopback address given before
 * it, e.g. 127.0.0.2:PORT), prints "port <n>" on stdout once it
 * does, and relays every client connection (numbered 1, 2, ...) to its own
 * upstream connection, untouched, appending each direction's bytes to
 * <dir>/conn<n>.c2s (client to server) and <dir>/conn<n>.s2c. One line per
 * event is appended to <dir>/log:
 *   "open <n>"               a client connected (upstream connected too)
 *   "close <n> <who>"        <who> (client|server) closed the connection,
 *                            so the proxy closed both sides
 *   "kick <n>"               <dir>/kick appeared: the proxy closed
 *                            connection <n> (both sides) and removed the file
 * Exits on SIGTERM/SIGINT, when its stdin is closed, or after lifetime_s.
 */
if ($argc < 4) {
    fwrite(STDERR, "usage: secure_tls_recorder.php <listen port> <upstream> <dir> [lifetime]\n");
    exit(2);
}
[, $listen, $upstream, $dir] = $argv;
[$host, $port] = str_contains($listen, ':') ? explode(':', $listen, 2) : ['127.0.0.1', $listen];
$lifetime = (int)($argv[4] ?? 120);
$server = stream_socket_server("tcp://$host:$port", $errno, $errstr);
if (!$server) {
    fwrite(STDERR, "cannot listen on $port: $errstr\n");
    exit(1);
}
echo "port $port\n";
$end = microtime(true) + $lifetime;
$log = static fn(string $line) => file_put_contents("$dir/log", "$line\n", FILE_APPEND);
$stdin = STDIN;
stream_set_blocking($stdin, false);
$pairs = [];   // n => [client, upstream]
$n = 0;
$close = static function (int $i, string $why) use (&$pairs, $log): void {
    fclose($pairs[$i][0]);
    fclose($pairs[$i][1]);
    unset($pairs[$i]);
    $log("$why");
};
while (microtime(true) < $end) {
    if (is_file("$dir/kick")) {
        foreach (array_keys($pairs) as $i) {
            $close($i, "kick $i");
        }
        unlink("$dir/kick");
    }
    $r = [$server, $stdin];
    foreach ($pairs as [$c, $u]) {
        $r[] = $c;
        $r[] = $u;
    }
    $w = $e = null;
    if (!@stream_select($r, $w, $e, 0, 20000)) {
        continue;
    }
    foreach ($r as $s) {
        if ($s === $stdin) {
            if (fread($stdin, 1) === '' && feof($stdin)) {
                exit(0);
            }
            continue;
        }
        if ($s === $server) {
            $c = @stream_socket_accept($server, 1);
            if (!$c) {
                continue;
            }
            $u = @stream_socket_client("tcp://$upstream", $errno, $errstr, 2);
            if (!$u) {
                fclose($c);
                continue;
            }
            $pairs[++$n] = [$c, $u];
            $log("open $n");
            continue;
        }
        foreach ($pairs as $i => [$c, $u]) {
            if ($s !== $c && $s !== $u) {
                continue;
            }
            $data = fread($s, 65536);
            if ($data === '' || $data === false) {
                $close($i, "close $i " . ($s === $c ? 'client' : 'server'));
                break;
            }
            file_put_contents("$dir/conn$i." . ($s === $c ? 'c2s' : 's2c'), $data, FILE_APPEND);
            fwrite($s === $c ? $u : $c, $data);
            break;
        }
    }
}
