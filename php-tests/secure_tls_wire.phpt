--TEST--
secure: TLS on the wire (a recording proxy between PHP and memcached -Z): every byte captured is a TLS record and none of the session's bytes (value, id, key) appear; a 300 KB session (many records) round-trips; a reconnect in the same process resumes the TLS session (the second ServerHello accepts the ticket of the first connection: pre_shared_key); the same capture in clear does show the session (the recorder sees what passes)
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/secure.inc';
if ($why = sec_skip_reason(17, 4)) { die($why); }
exec('openssl version 2>&1', $o, $rc);
if ($rc !== 0) { die('skip openssl CLI not found'); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.retry_interval=15
rsmemcache.connect_timeout=2000
--FILE--
<?php
require __DIR__ . '/lib/secure_tls.inc';
errlog_open();
ob_start();
$ca = sec_ca('ca');
[$pT, $pR, $pP, $pQ] = sec_ports(17, 4);
// T: memcached -Z, no client certificate asked (resumption works only then,
// see src/net/tls.rs); R: recorder in front of T. P: plain memcached; Q: recorder in front of P.
$good = sec_cert($ca, 'good', 'subjectAltName=IP:127.0.0.1');
$T = sec_start($pT, ['-Z', '-o', "ssl_chain_cert={$good['pem']},ssl_key={$good['key']}"]);
$P = cl_start($pP);
ini_set('rsmemcache.tls_ca_file', $ca['pem']);

/** Starts the recorder on $port in front of $upstream, recording into a new directory; returns [proc, stdin, dir]. */
function recorder(int $port, string $upstream, string $name): array {
    $dir = sec_dir() . "/$name";
    mkdir($dir, 0700);
    $cmd = 'exec ' . php_child_cmd(__DIR__ . '/lib/helpers/secure_tls_recorder.php', [(string)$port, $upstream, $dir, '120']);
    $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', "$dir/stderr", 'w']], $pipes);
    $line = cl_poll(fn () => fgets($pipes[1]), 10, "recorder on $port");
    if (trim($line) !== "port $port") { throw new RuntimeException("recorder: $line " . @file_get_contents("$dir/stderr")); }
    register_shutdown_function(static function () use ($proc, $pipes): void { @fclose($pipes[0]); proc_terminate($proc); proc_close($proc); });
    return [$proc, $pipes[0], $dir];
}
function events(string $dir): array {
    return file("$dir/log", FILE_IGNORE_NEW_LINES) ?: [];
}
/** Closes the recorded connection under the pool (as a server or a network would) and waits until the recorder did. */
function kick(string $dir): void {
    $before = count(events($dir));
    touch("$dir/kick");
    cl_poll(fn () => count(events($dir)) > $before, 10, 'the recorder to close the connection');
}
/** The TLS records of a captured stream: [[type, body], ...], or null if it is not a sequence of whole records. */
function records(string $bytes): ?array {
    $out = [];
    for ($i = 0; $i < strlen($bytes);) {
        if (strlen($bytes) - $i < 5) { return null; }
        $h = unpack('Ctype/nversion/nlen', substr($bytes, $i, 5));
        if ($h['type'] < 20 || $h['type'] > 23 || ($h['version'] >> 8) !== 3 || strlen($bytes) - $i - 5 < $h['len']) { return null; }
        $out[] = [$h['type'], substr($bytes, $i + 5, $h['len'])];
        $i += 5 + $h['len'];
    }
    return $out;
}
/** Extension types of the (clear) ClientHello or ServerHello that opens a stream of records. */
function hello_extensions(array $records): array {
    [$type, $body] = $records[0];
    if ($type !== 22) { return []; }
    $kind = ord($body[0]);   // 1 ClientHello, 2 ServerHello
    $p = 4 + 2 + 32;         // handshake header, version, random
    $p += 1 + ord($body[$p]);                        // session id
    if ($kind === 1) {
        $p += 2 + unpack('n', substr($body, $p, 2))[1];   // cipher suites
        $p += 1 + ord($body[$p]);                         // compression methods
    } else {
        $p += 2 + 1;                                      // cipher suite, compression
    }
    $end = $p + 2 + unpack('n', substr($body, $p, 2))[1];
    $types = [];
    for ($p += 2; $p < $end;) {
        [, $t, $l] = unpack('n2', substr($body, $p, 4));
        $types[] = $t;
        $p += 4 + $l;
    }
    return $types;
}
const PRE_SHARED_KEY = 41;

echo "-- TLS, recorded between PHP and memcached -Z\n";
[, , $rdir] = recorder($pR, $T['addr'], 'tls');
$id = 'sectlswire' . bin2hex(random_bytes(6));
$secret = 'wire-secret-' . bin2hex(random_bytes(8));
[$ok] = tls_request("tls://127.0.0.1:$pR", [], $id, $secret);
kick($rdir);
[$ok2, $data] = tls_request("tls://127.0.0.1:$pR", [], $id);
echo "write ", var_export($ok, true), ", reconnect and read ", var_export($ok2, true), ", same data ", var_export(($data['v'] ?? null) === $secret, true), "\n";
// A value of many TLS records (16 KiB of plaintext each), read in chunks that end inside records.
$id2 = 'sectlswire' . bin2hex(random_bytes(6));
$big = bin2hex(random_bytes(150000));
[$ok] = tls_request("tls://127.0.0.1:$pR", [], $id2, $big);
[$ok2, $data] = tls_request("tls://127.0.0.1:$pR", [], $id2);
echo "a 300 KB session on the same connection: write ", var_export($ok, true), ", read ", var_export($ok2, true), ", same data ", var_export(($data['v'] ?? null) === $big, true), "\n";
echo "recorder: ", implode(', ', events($rdir)), "\n";
foreach ([1, 2] as $n) {
    $c2s = (string)@file_get_contents("$rdir/conn$n.c2s");
    $s2c = (string)@file_get_contents("$rdir/conn$n.s2c");
    $rc = records($c2s);
    $rs = records($s2c);
    echo "connection $n: ", strlen($c2s) > 0 && strlen($s2c) > 0 ? 'bytes both ways' : 'EMPTY', ", all TLS records: ", var_export($rc !== null && $rs !== null, true);
    if ($rc !== null && $rs !== null) {
        echo ", application data records: ", count(array_filter($rc, fn ($r) => $r[0] === 23)) > 0 && count(array_filter($rs, fn ($r) => $r[0] === 23)) > 0 ? 'both ways' : 'MISSING';
        echo ", ClientHello offers a ticket: ", var_export(in_array(PRE_SHARED_KEY, hello_extensions($rc), true), true);
        echo ", ServerHello resumes: ", var_export(in_array(PRE_SHARED_KEY, hello_extensions($rs), true), true);
    }
    echo "\n";
    foreach (['the value' => $secret, 'the session id' => $id, 'the key prefix' => 'rsmemcache.', 'a piece of the 300 KB value' => substr($big, 1000, 64)] as $what => $needle) {
        if (str_contains($c2s . $s2c, $needle)) { echo "  FOUND $what on the wire\n"; }
    }
}
echo "logged: ", json_encode(errlog_take()), "\n";

echo "-- the same in clear (control: the recorder captures what passes)\n";
// The id itself is not on the wire even in clear: keys hold its SHA-256 (rsmemcache.key_hash).
[, , $qdir] = recorder($pQ, $P['addr'], 'clear');
$secret = 'wire-secret-' . bin2hex(random_bytes(8));
[$ok] = tls_request("127.0.0.1:$pQ", [], $id, $secret);
$wire = (string)@file_get_contents("$qdir/conn1.c2s") . (string)@file_get_contents("$qdir/conn1.s2c");
echo "write ", var_export($ok, true), "; on the wire: the value ", var_export(str_contains($wire, $secret), true),
    ", the session id ", var_export(str_contains($wire, $id), true), ", all TLS records ", var_export(records($wire) !== null, true), "\n";
cl_stop_all();
echo "done\n";
ob_end_flush();
?>
--CLEAN--
<?php
require __DIR__ . '/lib/secure.inc';
sec_clean(17, 4);
?>
--EXPECT--
-- TLS, recorded between PHP and memcached -Z
write true, reconnect and read true, same data true
a 300 KB session on the same connection: write true, read true, same data true
recorder: open 1, kick 1, open 2
connection 1: bytes both ways, all TLS records: true, application data records: both ways, ClientHello offers a ticket: false, ServerHello resumes: false
connection 2: bytes both ways, all TLS records: true, application data records: both ways, ClientHello offers a ticket: true, ServerHello resumes: true
logged: []
-- the same in clear (control: the recorder captures what passes)
write true; on the wire: the value true, the session id false, all TLS records false
done
