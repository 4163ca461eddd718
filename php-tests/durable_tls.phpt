--TEST--
durable tier, the link: a TCP DSN speaks verified TLS by default (a recording proxy sees no session data, id, password or SQL); a certificate for another address, one from another CA, a server without TLS and a server name other than the DSN's host are refused in words, before the user name or password is sent; the TLS directives are system settings
--SKIPIF--
<?php require __DIR__ . '/lib/durable_link.inc'; dl_skipif(true, 0, 3); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
rsmemcache.test_allow_ini_set=0
--FILE--
<?php
require __DIR__ . '/lib/durable_link.inc';
$prefix = 'dtls.' . bin2hex(random_bytes(3)) . '.';
$secret = explode(':', trim(file_get_contents(DB_DIR . '/credentials')), 2)[1];
$db = '127.0.0.1:' . getenv('RSMEMCACHE_TEST_MARIADB_PORT');
[$pRec, $pOther, $pFake] = dl_ports(0, 3);
$path = implode(',', [MC1, MC2, MC3]);
$debug = false;
/** Prints what a request raised, DSNs and ports replaced. */
function show(array $r): void {
    foreach (array_merge($r['warnings'], $r['logged']) as $m) {
        echo '  ', preg_replace(['/^\w+\(\): /', '/mysql:\/\/[\d.]+:\d+\/rsm_test/', '/\(rsmemcache\)\. .*/', '/session [\w.]+:/'], ['', 'DSN', '(rsmemcache).', 'session <id>:'], $m), "\n";
    }
}

// 1. Verified TLS through a recording proxy: write, then read in another process.
$rec = dl_recorder("127.0.0.1:$pRec", $db);
$ini = dl_tcp_ini($prefix, [], '127.0.0.1', $pRec);
$id = db_sid('tls');
$value = 'tls-value-' . bin2hex(random_bytes(8));
$w = dl_request($ini, $path, $id, $value);
db_flush_memcached();                      // the read must come from the table
$r = dl_request($ini, $path, $id);
echo "verified TLS: write ", json_encode($w['written']), ", read from the table ", json_encode(($r['data']['v'] ?? null) === $value),
    ", row version ", db_row($prefix, $id)[0] ?? '-', ", tier ", $r['durable']['state'], "\n";
show($w); show($r);
$wire = '';
foreach (glob("$rec/conn*") as $f) { $wire .= file_get_contents($f); }
echo "bytes recorded: ", strlen($wire) > 1000 ? 'many' : strlen($wire), "\n";
foreach (['the value' => $value, 'the session id' => $id, 'the password' => $secret, 'the table name' => 'rsmemcache_sessions', 'SQL' => 'SELECT data'] as $what => $needle) {
    echo "  $what on the wire: ", str_contains($wire, $needle) ? 'SEEN' : 'no', "\n";
}
$debug = $debug || dl_has_debug_text($w) || dl_has_debug_text($r);

// 2. The same server at an address its certificate does not name (127.0.0.2).
$rec2 = dl_recorder("127.0.0.2:$pOther", $db);
$r = dl_request(dl_tcp_ini($prefix, [], '127.0.0.2', $pOther), $path, db_sid('name'), 'x');
echo "certificate for another address: written ", json_encode($r['written']), "\n";
show($r);
$c2s = (string)@file_get_contents("$rec2/conn1.c2s");
echo "  password or user name sent: ", str_contains($c2s, $secret) || str_contains($c2s, "rsm\0") ? 'SEEN' : 'no', "\n";
$debug = $debug || dl_has_debug_text($r);

// 3. A CA of our own that did not sign the server's certificate.
$d = dl_dir('ca');
exec('openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ' . escapeshellarg("$d/other.key")
    . ' -out ' . escapeshellarg("$d/other.pem") . ' -days 2 -subj /CN=other 2>&1', $o, $rc);
$r = dl_request(dl_tcp_ini($prefix, ['rsmemcache.durable_tls_ca_file' => "$d/other.pem"]), $path, db_sid('ca'), 'x');
echo "certificate from another CA: written ", json_encode($r['written']), "\n";
show($r);
$debug = $debug || dl_has_debug_text($r);

// 4. A server that offers no TLS (an impostor): nothing but the greeting is exchanged.
$fake = dl_impostor($pFake, 'full');
$r = dl_request(dl_tcp_ini($prefix, [], '127.0.0.1', $pFake), $path, db_sid('plain'), 'x');
echo "server without TLS: written ", json_encode($r['written']), "\n";
show($r);
echo "  impostor saw: ", implode(', ', array_unique(dl_events($fake))), "\n";
$debug = $debug || dl_has_debug_text($r);

// 5. A server name other than the DSN's host.
$r = dl_request(dl_tcp_ini($prefix, ['rsmemcache.durable_tls_server_name' => 'db.example']), $path, db_sid('sn'), 'x');
echo "server name other than the host: written ", json_encode($r['written']), "\n";
show($r);

echo "Debug text in any message: ", $debug ? 'yes' : 'no', "\n";
// 6. System settings: ini_set() cannot change them.
var_dump(ini_get('rsmemcache.durable_tls'), @ini_set('rsmemcache.durable_tls', 'off'), ini_get('rsmemcache.durable_tls'));
var_dump(@ini_set('rsmemcache.durable_tls_ca_file', '/tmp/x'), @ini_set('rsmemcache.durable_server_public_key_file', '/tmp/x'));
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
?>
--EXPECT--
verified TLS: write true, read from the table true, row version 1, tier up
  rsmemcache: session <id>: no copy in memcached; version 1 restored from the durable tier
  rsmemcache: session <id>: read repair wrote version 1 to 1 stale or missing copy
bytes recorded: many
  the value on the wire: no
  the session id on the wire: no
  the password on the wire: no
  the table name on the wire: no
  SQL on the wire: no
certificate for another address: written true
  rsmemcache: durable tier DSN: the database's certificate is not valid for the name verified (the DSN's host, or rsmemcache.durable_tls_server_name); the certificate needs that name in its subjectAltName; sessions work from memcached alone for 15 s
  password or user name sent: no
certificate from another CA: written true
  rsmemcache: durable tier DSN: the database's certificate is not signed by a CA of rsmemcache.durable_tls_ca_file (or the bundled public roots); sessions work from memcached alone for 15 s
server without TLS: written true
  rsmemcache: durable tier DSN: the database does not offer TLS and rsmemcache.durable_tls = required: give the server a certificate (ssl_cert, ssl_key), or set rsmemcache.durable_tls = off for a link you trust; sessions work from memcached alone for 15 s
  impostor saw: greeting, quit, closed
server name other than the host: written true
  rsmemcache: durable tier DSN: rsmemcache.durable_tls_server_name db.example differs from the DSN's host 127.0.0.1: this client verifies the host it connects to, so write the certificate's name as the DSN's host (and let it resolve to the database); sessions work from memcached alone for 15 s
Debug text in any message: no
string(8) "required"
bool(false)
string(8) "required"
bool(false)
bool(false)
