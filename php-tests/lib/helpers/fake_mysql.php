<?php
/* An impostor database for the durable tier's tests (no rsmemcache needed):
 * whatever answers at a DSN's address, speaking just enough of the MySQL
 * client/server protocol (https://dev.mysql.com/doc/dev/mysql-server/latest/
 * page_protocol_connection_phase.html) to see what a client hands it.
 *
 * Usage: php fake_mysql.php <listen port> <mode> <dir> [lifetime_s=120]
 *
 * Listens on 127.0.0.1:<listen port>, prints "port <n>" once it does, and
 * serves connections one after another. Each sends a HandshakeV10 greeting
 * (server 8.0.36, plugin caching_sha2_password, no CLIENT_SSL: it offers
 * no TLS). Then, by <mode>:
 *   full   after the client's handshake response, asks for
 *          caching_sha2_password full authentication (0x01 0x04). A client
 *          that asks for the server's public key (0x02) gets this
 *          impostor's own RSA key, and the password it then sends
 *          encrypted is decrypted with the matching private key (as any
 *          impostor would). A client that sends an encrypted password
 *          without asking (a pinned key) is decrypted the same way.
 *   empty  after the client's handshake response, sends an empty packet
 *          (a malformed answer: the client expects at least one byte).
 * Events are appended to <dir>/log, one a line:
 *   "greeting"                 the greeting was sent
 *   "response user=<user>"     the client's handshake response arrived
 *   "key-request"              the client asked for the server's RSA key
 *   "password <hex>"           a password was recovered (hex of it)
 *   "encrypted-undecryptable"  an encrypted password arrived that this
 *                              key cannot open
 *   "after-full-auth <n>"      bytes the client sent after the full
 *                              authentication request in all
 *   "closed"                   the connection ended
 * The public key is in <dir>/impostor-key.pem. Exits on SIGTERM, when its
 * stdin is closed, or after lifetime_s.
 */
if ($argc < 4) {
    fwrite(STDERR, "usage: fake_mysql.php <listen port> <full|empty> <dir> [lifetime]\n");
    exit(2);
}
[, $port, $mode, $dir] = $argv;
$lifetime = (int)($argv[4] ?? 120);
$key = openssl_pkey_new(['private_key_bits' => 2048, 'private_key_type' => OPENSSL_KEYTYPE_RSA]);
file_put_contents("$dir/impostor-key.pem", openssl_pkey_get_details($key)['key']);
$server = stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr);
if (!$server) {
    fwrite(STDERR, "cannot listen on $port: $errstr\n");
    exit(1);
}
echo "port $port\n";
$log = static fn(string $line) => file_put_contents("$dir/log", "$line\n", FILE_APPEND);
$end = microtime(true) + $lifetime;
stream_set_blocking(STDIN, false);

/** Reads one packet: [seq, payload], or null when the peer closed or went quiet for 5 s. */
function packet($c): ?array {
    $head = '';
    while (strlen($head) < 4) {
        $r = [$c]; $w = $e = null;
        if (!stream_select($r, $w, $e, 5)) { return null; }
        $b = fread($c, 4 - strlen($head));
        if ($b === '' || $b === false) { return null; }
        $head .= $b;
    }
    $len = unpack('V', substr($head, 0, 3) . "\0")[1];
    $body = '';
    while (strlen($body) < $len) {
        $r = [$c]; $w = $e = null;
        if (!stream_select($r, $w, $e, 5)) { return null; }
        $b = fread($c, $len - strlen($body));
        if ($b === '' || $b === false) { return null; }
        $body .= $b;
    }
    return [ord($head[3]), $body];
}

function send($c, int $seq, string $payload): void {
    fwrite($c, substr(pack('V', strlen($payload)), 0, 3) . chr($seq & 0xff) . $payload);
}

/** What an encrypted password opens to with $key (the scramble XOR undone), or null. */
function recover($key, string $encrypted, string $nonce): ?string {
    if (!openssl_private_decrypt($encrypted, $plain, $key, OPENSSL_PKCS1_OAEP_PADDING)) { return null; }
    $out = '';
    for ($i = 0; $i < strlen($plain); $i++) { $out .= chr(ord($plain[$i]) ^ ord($nonce[$i % strlen($nonce)])); }
    return rtrim($out, "\0");
}

while (microtime(true) < $end) {
    $r = [$server, STDIN]; $w = $e = null;
    if (!@stream_select($r, $w, $e, 0, 50000)) { continue; }
    if (in_array(STDIN, $r, true) && fread(STDIN, 1) === '' && feof(STDIN)) { exit(0); }
    if (!in_array($server, $r, true)) { continue; }
    $c = @stream_socket_accept($server, 1);
    if (!$c) { continue; }
    $nonce = '';
    for ($i = 0; $i < 20; $i++) { $nonce .= chr(random_int(0x21, 0x7e)); }
    // PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH and friends; no CLIENT_SSL (0x800).
    $caps = 0x1 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x100000 | 0x200000;
    $greeting = "\x0a" . "8.0.36\0" . pack('V', 7) . substr($nonce, 0, 8) . "\0"
        . pack('v', $caps & 0xffff) . "\xff" . pack('v', 2) . pack('v', $caps >> 16)
        . chr(21) . str_repeat("\0", 10) . substr($nonce, 8) . "\0" . "caching_sha2_password\0";
    send($c, 0, $greeting);
    $log('greeting');
    $p = packet($c);
    if ($p !== null && strlen($p[1]) < 33) {
        // Not a handshake response: COM_QUIT (0x01) of a client giving up, or an SSL request.
        $log($p[1] === "\x01" ? 'quit' : 'short-packet ' . strlen($p[1]));
    } elseif ($p !== null) {
        // capabilities(4) max packet(4) charset(1) filler(23) user NUL ...
        $user = strstr(substr($p[1], 32), "\0", true);
        $log('response user=' . $user);
        if ($mode === 'empty') {
            send($c, $p[0] + 1, '');
        } else {
            send($c, $p[0] + 1, "\x01\x04");
            $after = 0;
            while (($q = packet($c)) !== null) {
                $after += strlen($q[1]) + 4;
                if ($q[1] === "\x01") {
                    $log('quit');              // COM_QUIT: the client gave up
                    break;
                }
                if ($q[1] === "\x02") {
                    $log('key-request');
                    send($c, $q[0] + 1, "\x01" . openssl_pkey_get_details($key)['key']);
                    continue;
                }
                $pw = recover($key, $q[1], $nonce);
                $log($pw === null ? 'encrypted-undecryptable' : 'password ' . bin2hex($pw));
                // Access denied: the impostor has what it wanted.
                send($c, $q[0] + 1, "\xff" . pack('v', 1045) . '#28000Access denied');
                break;
            }
            $log("after-full-auth $after");
        }
    }
    // Drain what the client still sends, then close.
    while (packet($c) !== null) {}
    fclose($c);
    $log('closed');
}
