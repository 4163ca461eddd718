--TEST--
secure: TLS failures that fail over (certificates made by the test with openssl): a server certificate that expired (openssl ca -enddate in the past) fails with a warning naming the server and the reason, and a session homed there fails over to a good server (logged); a client without a certificate against memcached -Z ssl_verify_mode=2 fails over the same way
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/secure.inc';
if ($why = sec_skip_reason(13, 4)) { die($why); }
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
$client = sec_cert($ca, 'php-client', 'extendedKeyUsage=clientAuth');
chmod($client['key'], 0600);

[$p1, $p2, $p3, $p4] = sec_ports(13, 4);
// E and F: the same expired certificate (F for the failover: E is marked
// failed after the first case); G: good, no client certificate asked; M:
// good, requires a client certificate.
$expired = tls_expired_cert($ca);
$E = sec_start($p1, sec_tls_args($expired, $ca, 0));
$F = sec_start($p4, sec_tls_args($expired, $ca, 0));
$G = sec_start($p2, sec_tls_args(sec_cert($ca, 'good', 'subjectAltName=IP:127.0.0.1'), $ca, 0));
$M = sec_start($p3, sec_tls_args(sec_cert($ca, 'mutual', 'subjectAltName=IP:127.0.0.1'), $ca, 2));
$names = [$E['addr'] => 'E', $F['addr'] => 'F', $G['addr'] => 'G', $M['addr'] => 'M'];
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings): bool { $warnings[] = $msg; return true; });
$base = ['rsmemcache.tls_ca_file' => $ca['pem'], 'rsmemcache.tls_cert_file' => '', 'rsmemcache.tls_key_file' => '', 'rsmemcache.tls' => '0'];

echo "-- expired certificate (E, F)\n";
tls_round_trip('tls://E alone', "tls://{$E['addr']}", $base, $warnings, $names);
$path = "tls://{$F['addr']}, tls://{$G['addr']}";
tls_round_trip('tls://F then G (failover)', $path, $base, $warnings, $names, tls_homed_on($F['addr'], $path));

echo "-- no client certificate, M requires one\n";
$path = "tls://{$M['addr']}, tls://{$G['addr']}";
tls_round_trip('tls://M then G (failover)', $path, $base, $warnings, $names, tls_homed_on($M['addr'], $path));
echo "-- with the client certificate, M is fine\n";
tls_round_trip('tls://M', "tls://{$M['addr']}", ['rsmemcache.tls_cert_file' => $client['pem'], 'rsmemcache.tls_key_file' => $client['key']] + $base, $warnings, $names);
restore_error_handler();
cl_stop_all();
echo "done\n";
ob_end_flush();
?>
--CLEAN--
<?php
require __DIR__ . '/lib/secure.inc';
sec_clean(13, 4);
?>
--EXPECTF--
-- expired certificate (E, F)
tls://E alone: write false, read false, same data false
  warning: session_start(): rsmemcache: server E: TLS handshake failed: the server's certificate expired at unix time 1577923200 (or this machine's clock is wrong)
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://E)
  warning: session_start(): rsmemcache: server E is marked failed after an error; next retry in N ms
  warning: session_start(): Failed to read session <id>: rsmemcache (path: tls://E)
  logged: rsmemcache: server E: TLS handshake failed: the server's certificate expired at unix time 1577923200 (or this machine's clock is wrong); the server is skipped for 15 s
tls://F then G (failover): write true, read true, same data true
  logged: rsmemcache: server F: TLS handshake failed: the server's certificate expired at unix time 1577923200 (or this machine's clock is wrong); the server is skipped for 15 s
-- no client certificate, M requires one
tls://M then G (failover): write true, read true, same data true
  logged: rsmemcache: server M: I/O error: the server requires a client certificate: set rsmemcache.tls_cert_file and rsmemcache.tls_key_file; the server is skipped for 15 s
-- with the client certificate, M is fine
tls://M: write true, read true, same data true
done
