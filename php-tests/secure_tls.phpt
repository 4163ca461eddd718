--TEST--
secure: TLS to memcached -Z (certificates made by the test with openssl): a session round trip over mutual TLS; an untrusted server certificate, a name that does not match and a missing client certificate each fail with a warning naming the server (failover to a good server, logged); tls_server_name verifies a name for an IP address; rsmemcache.tls=1 for a php-memcached list; a plaintext client gets nothing from a TLS server
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/secure.inc';
if ($why = sec_skip_reason(10, 3)) { die($why); }
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
$other = sec_ca('otherca');
$client = sec_cert($ca, 'php-client', 'extendedKeyUsage=clientAuth');
chmod($client['key'], 0600);
[$p1, $p2, $p3] = sec_ports(10, 3);
// U: certificate from a CA the client does not trust; G: good (IP SAN); N: good, but named memcached.test only.
$U = sec_start($p1, sec_tls_args(sec_cert($other, 'untrusted', 'subjectAltName=IP:127.0.0.1'), $ca, 2));
$G = sec_start($p2, sec_tls_args(sec_cert($ca, 'good', 'subjectAltName=IP:127.0.0.1'), $ca, 2));
$N = sec_start($p3, sec_tls_args(sec_cert($ca, 'named', 'subjectAltName=DNS:memcached.test'), $ca, 0));
$names = [$U['addr'] => 'U', $G['addr'] => 'G', $N['addr'] => 'N'];
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings): bool { $warnings[] = $msg; return true; });
$base = ['rsmemcache.tls_ca_file' => $ca['pem'], 'rsmemcache.tls_cert_file' => $client['pem'], 'rsmemcache.tls_key_file' => $client['key'], 'rsmemcache.tls_server_name' => '', 'rsmemcache.tls' => '0'];

echo "-- mutual TLS to G\n";
tls_round_trip('tls://G', "tls://{$G['addr']}", $base, $warnings, $names);
tls_round_trip('rsmemcache.tls=1, G in a php-memcached list', $G['addr'], ['rsmemcache.tls' => '1'] + $base, $warnings, $names);
echo "a plaintext client at G: ", json_encode(@mc_raw($G['addr'], "mn\r\n")), "\n";

echo "-- untrusted certificate (U)\n";
tls_round_trip('tls://U alone', "tls://{$U['addr']}", $base, $warnings, $names);
$path = "tls://{$U['addr']}, tls://{$G['addr']}";
// An id whose home is U, so U is tried first.
$ids = array_map(fn ($i) => "sectlsfo$i" . bin2hex(random_bytes(4)), range(0, 40));
$fo = array_values(array_filter($ids, fn ($x) => cl_order($x, $path)[0] === $U['addr']))[0];
// U is still marked failed for these settings from the phase before (shared
// failure state): skipped, without a new error-log line.
tls_round_trip('tls://U then G (failover)', $path, $base, $warnings, $names, $fo);

echo "-- no client certificate, G requires one\n";
tls_round_trip('tls://G', "tls://{$G['addr']}", ['rsmemcache.tls_cert_file' => '', 'rsmemcache.tls_key_file' => ''] + $base, $warnings, $names);

echo "-- N is memcached.test, reached by IP\n";
tls_round_trip('tls://N, no server name', "tls://{$N['addr']}", $base, $warnings, $names);
tls_round_trip('tls://N, tls_server_name=memcached.test', "tls://{$N['addr']}", ['rsmemcache.tls_server_name' => 'memcached.test'] + $base, $warnings, $names);
tls_round_trip('tcp://N (no TLS: never a silent plaintext fallback)', "tcp://{$N['addr']}", ['rsmemcache.connect_timeout' => '300', 'rsmemcache.timeout' => '300'] + $base, $warnings, $names);
restore_error_handler();
cl_stop_all();
echo "done\n";
ob_end_flush();
?>
--CLEAN--
<?php
require __DIR__ . '/lib/secure.inc';
sec_clean(10, 3);
?>
--EXPECTF--
-- mutual TLS to G
tls://G: write true, read true, same data true
rsmemcache.tls=1, G in a php-memcached list: write true, read true, same data true
a plaintext client at G: ""
-- untrusted certificate (U)
tls://U alone: write false, read false, same data false
  warning: session_start(): rsmemcache: server U: TLS handshake failed: the server's certificate is not signed by a CA of rsmemcache.tls_ca_file (or of the system's roots when that is empty)
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://U)
  warning: session_start(): rsmemcache: server U is marked failed after an error; next retry in N ms
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://U)
  logged: rsmemcache: server U: TLS handshake failed: the server's certificate is not signed by a CA of rsmemcache.tls_ca_file (or of the system's roots when that is empty); the server is skipped for 15 s
tls://U then G (failover): write true, read true, same data true
  logged: rsmemcache: server U: TLS handshake failed: the server's certificate is not signed by a CA of rsmemcache.tls_ca_file (or of the system's roots when that is empty); the server is skipped for 15 s
-- no client certificate, G requires one
tls://G: write false, read false, same data false
  warning: session_start(): rsmemcache: server G: I/O error: the server requires a client certificate: set rsmemcache.tls_cert_file and rsmemcache.tls_key_file
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://G)
  warning: session_start(): rsmemcache: server G is marked failed after an error; next retry in N ms
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://G)
  logged: rsmemcache: server G: I/O error: the server requires a client certificate: set rsmemcache.tls_cert_file and rsmemcache.tls_key_file; the server is skipped for 15 s
-- N is memcached.test, reached by IP
tls://N, no server name: write false, read false, same data false
  warning: session_start(): rsmemcache: server N: TLS handshake failed: the server's certificate is not valid for the name '127.0.0.1' (it names 'memcached.test'): set rsmemcache.tls_server_name to one of its names, or give the server a certificate for this name
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://N)
  warning: session_start(): rsmemcache: server N is marked failed after an error; next retry in N ms
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://N)
  logged: rsmemcache: server N: TLS handshake failed: the server's certificate is not valid for the name '127.0.0.1' (it names 'memcached.test'): set rsmemcache.tls_server_name to one of its names, or give the server a certificate for this name; the server is skipped for 15 s
tls://N, tls_server_name=memcached.test: write true, read true, same data true
tcp://N (no TLS: never a silent plaintext fallback): write false, read false, same data false
  warning: session_start(): rsmemcache: server N: %s
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tcp://N)
  warning: session_start(): rsmemcache: server N is marked failed after an error; next retry in N ms
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tcp://N)
  logged: rsmemcache: server N: %s; the server is skipped for 15 s
done
