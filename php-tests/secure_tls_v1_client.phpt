--TEST--
secure: an X.509 v1 client certificate (openssl x509 -req without -extfile on OpenSSL 3.0, openssl req -x509 -x509v1 on newer ones) works against memcached -Z ssl_verify_mode=2, logged once as v1 with how to make a v3 one; a client without a certificate is told in words that the server requires one; a connection with tls_verify_peer=0 is logged once per process
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/secure.inc';
if ($why = sec_skip_reason(21, 1)) { die($why); }
exec('openssl version 2>&1', $o, $rc);
if ($rc !== 0) { die('skip openssl CLI not found'); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.retry_interval=0
rsmemcache.connect_timeout=2000
--FILE--
<?php
require __DIR__ . '/lib/secure_tls.inc';
errlog_open();
ob_start();
$ca = sec_ca('ca');
[$p] = sec_ports(21, 1);
$G = sec_start($p, sec_tls_args(sec_cert($ca, 'good', 'subjectAltName=IP:127.0.0.1'), $ca, 2));
$names = [$G['addr'] => 'G'];
// No -extfile: OpenSSL 3.0 makes an X.509 v1 certificate. Newer ones (3.6
// checked) add a subject and an authority key identifier in `openssl x509
// -req` and `openssl ca` alike and make v3; there `openssl req -x509 -x509v1`
// signs the same request as v1, given a config that names no extensions.
$v1 = sec_cert($ca, 'v1-client');
chmod($v1['key'], 0600);
exec('openssl x509 -noout -text -in ' . escapeshellarg($v1['pem']), $text);
if (!preg_grep('/Version: 1 \(0x0\)/', $text)) {
    $d = sec_dir();
    file_put_contents("$d/v1.cnf", "[req]\ndistinguished_name = dn\n[dn]\n");
    sec_openssl(['req', '-x509', '-x509v1', '-config', "$d/v1.cnf", '-in', "$d/v1-client.csr", '-CA', $ca['pem'], '-CAkey', $ca['key'], '-out', $v1['pem'], '-days', '2']);
    $text = [];
    exec('openssl x509 -noout -text -in ' . escapeshellarg($v1['pem']), $text);
}
echo "client certificate: ", preg_grep('/Version: 1 \(0x0\)/', $text) ? 'X.509 v1' : 'not v1', "\n";
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings): bool { $warnings[] = $msg; return true; });
$base = ['rsmemcache.tls_ca_file' => $ca['pem'], 'rsmemcache.tls_cert_file' => $v1['pem'], 'rsmemcache.tls_key_file' => $v1['key'], 'rsmemcache.tls_verify_peer' => '1'];

echo "-- mutual TLS with the v1 client certificate\n";
tls_round_trip('tls://G', "tls://{$G['addr']}", $base, $warnings, $names + [sec_dir() => '<dir>']);
tls_round_trip('tls://G again', "tls://{$G['addr']}", $base, $warnings, $names + [sec_dir() => '<dir>']);

echo "-- tls_verify_peer=0\n";
tls_round_trip('tls://G', "tls://{$G['addr']}", ['rsmemcache.tls_verify_peer' => '0'] + $base, $warnings, $names + [sec_dir() => '<dir>']);
tls_round_trip('tls://G again', "tls://{$G['addr']}", ['rsmemcache.tls_verify_peer' => '0'] + $base, $warnings, $names + [sec_dir() => '<dir>']);

echo "-- no client certificate, G requires one\n";
tls_round_trip('tls://G', "tls://{$G['addr']}", ['rsmemcache.tls_cert_file' => '', 'rsmemcache.tls_key_file' => ''] + $base, $warnings, $names);
restore_error_handler();
cl_stop_all();
echo "done\n";
ob_end_flush();
?>
--CLEAN--
<?php
require __DIR__ . '/lib/secure.inc';
sec_clean(21, 1);
?>
--EXPECTF--
client certificate: X.509 v1
-- mutual TLS with the v1 client certificate
tls://G: write true, read true, same data true
  logged: rsmemcache: rsmemcache.tls_cert_file '<dir>/v1-client.pem' is an X.509 v1 certificate: it is sent as it is (memcached decides), without checking that rsmemcache.tls_key_file belongs to it; to make a v3 one, sign it again with openssl x509 -req ... -extfile FILE, FILE holding extendedKeyUsage=clientAuth
tls://G again: write true, read true, same data true
-- tls_verify_peer=0
tls://G: write true, read true, same data true
  logged: rsmemcache: TLS connections are made with rsmemcache.tls_verify_peer = 0: the servers' certificates are not verified, so anyone in the path can pose as a memcached server; set it to 1 outside tests
tls://G again: write true, read true, same data true
-- no client certificate, G requires one
tls://G: write false, read false, same data false
  warning: session_start(): rsmemcache: server G: I/O error: the server requires a client certificate: set rsmemcache.tls_cert_file and rsmemcache.tls_key_file
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://G)
%A
done
