<?php
/* A fake memcached for failure tests (no rsmemcache needed).
 *
 * Usage: php silent_server.php [port=0] [lifetime_s=20] [mode=silent]
 *
 * Listens on 127.0.0.1:<port> (0 = any free port), prints "port <n>" on
 * stdout, then accepts connections until <lifetime_s> seconds have passed or
 * its stdin is closed (the test process is gone), whichever comes first.
 * Modes, i.e. what a client gets:
 *   silent  the connection is accepted and whatever is sent is read and
 *           dropped; no byte is ever written back (a hung server)
 *   close   the connection is closed right after accept (a crashing server)
 *   garbage every request chunk is answered with "HELLO WORLD\r\n"
 *   hugeva  every request chunk is answered with a value header announcing
 *           an absurd length: "VA 99999999999999\r\n" (and nothing more)
 * Control on stdin: the line "count" makes it accept every connection still
 * waiting in the backlog and answer "count <n>" (connections accepted so
 * far), so a test can check how often a client connected without sleeping.
 */
$port = (int)($argv[1] ?? 0);
$lifetime = (float)($argv[2] ?? 20);
$mode = $argv[3] ?? 'silent';
if (!in_array($mode, ['silent', 'close', 'garbage', 'hugeva'], true)) {
    fwrite(STDERR, "unknown mode $mode\n");
    exit(2);
}
$server = stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr);
if (!$server) {
    fwrite(STDERR, "cannot listen: $errstr\n");
    exit(1);
}
$name = stream_socket_get_name($server, false);
echo 'port ', substr($name, strrpos($name, ':') + 1), "\n";
fflush(STDOUT);

$deadline = microtime(true) + $lifetime;
$clients = [];
$accepted = 0;

$accept = function () use ($server, $mode, &$clients, &$accepted): void {
    $c = @stream_socket_accept($server, 0);
    if (!$c) { return; }
    $accepted++;
    if ($mode === 'close') { fclose($c); return; }
    stream_set_blocking($c, false);
    $clients[(int)$c] = $c;
};

while (($left = $deadline - microtime(true)) > 0) {
    $read = array_merge([$server, STDIN], array_values($clients));
    $w = $e = null;
    $n = @stream_select($read, $w, $e, (int)$left, (int)(fmod($left, 1) * 1e6));
    if ($n === false) { break; }
    foreach ($read as $s) {
        if ($s === $server) {
            $accept();
        } elseif ($s === STDIN) {
            $line = fgets(STDIN);
            if ($line === false) { exit(0); }           // parent gone
            if (trim($line) === 'count') {
                do {                                     // drain the backlog first
                    $r2 = [$server]; $w2 = $e2 = null;
                    $ready = @stream_select($r2, $w2, $e2, 0, 0);
                    if ($ready) { $accept(); }
                } while ($ready);
                echo "count $accepted\n";
                fflush(STDOUT);
            }
        } else {
            $data = fread($s, 65536);
            if ($data === '' || $data === false) {
                if (feof($s)) { unset($clients[(int)$s]); fclose($s); }
                continue;
            }
            if ($mode === 'garbage') { @fwrite($s, "HELLO WORLD\r\n"); }
            if ($mode === 'hugeva') { @fwrite($s, "VA 99999999999999\r\n"); }
        }
    }
}
exit(0);
