--TEST--
durable tier, the link: an impostor at the DSN's address that asks for caching_sha2_password full authentication never gets the password: with TLS required (the default) it gets no user name either; with durable_tls=off its request for the password under its own RSA key is refused in words; only a key pinned with durable_server_public_key_file is used (its holder alone can read the password)
--SKIPIF--
<?php require __DIR__ . '/lib/durable_link.inc'; dl_skipif(false, 3, 1); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/durable_link.inc';
$prefix = 'drsa.' . bin2hex(random_bytes(3)) . '.';
$secret = explode(':', trim(file_get_contents(DB_DIR . '/credentials')), 2)[1];
[$pFake] = dl_ports(3, 1);
$fake = dl_impostor($pFake, 'full');
$path = implode(',', [MC1, MC2, MC3]);
$ini = [
    'rsmemcache.prefix' => $prefix,
    'rsmemcache.durable_dsn' => "mysql://127.0.0.1:$pFake/rsm_test",
    'rsmemcache.durable_credentials_file' => DB_DIR . '/credentials',
    'rsmemcache.durable_failure' => 'degrade',
];
/** Runs one request, prints what it raised and what the impostor got. */
function attempt(string $what, array $ini, string $path, string $fake, string $secret): void {
    $before = count(dl_events($fake));
    $r = dl_request($ini, $path, db_sid('rsa'), 'x');
    cl_poll(fn () => in_array('closed', array_slice(dl_events($fake), $before), true), 20, 'the impostor to close');
    $events = array_slice(dl_events($fake), $before);
    echo "$what: written ", json_encode($r['written']), "\n";
    foreach (array_merge($r['warnings'], $r['logged']) as $m) {
        echo '  ', preg_replace(['/^\w+\(\): /', '/mysql:\/\/[\d.]+:\d+\/rsm_test/', '/\(rsmemcache\)\. .*/'], ['', 'DSN', '(rsmemcache).'], $m), "\n";
    }
    $got = array_map(static fn ($e) => str_starts_with($e, 'password ') ? (hex2bin(substr($e, 9)) === $secret ? 'password (the real one)' : 'password (another)') : $e, $events);
    echo "  impostor: ", implode(', ', $got), "\n";
    echo "  Debug text: ", dl_has_debug_text($r) ? 'yes' : 'no', "\n";
}
attempt('TLS required (default)', $ini, $path, $fake, $secret);
attempt('durable_tls=off, no pinned key', $ini + ['rsmemcache.durable_tls' => 'off'], $path, $fake, $secret);
attempt('durable_tls=off, the key pinned', $ini + ['rsmemcache.durable_tls' => 'off', 'rsmemcache.durable_server_public_key_file' => "$fake/impostor-key.pem"], $path, $fake, $secret);
?>
--EXPECTF--
TLS required (default): written true
  rsmemcache: durable tier DSN: the database does not offer TLS and rsmemcache.durable_tls = required: give the server a certificate (ssl_cert, ssl_key), or set rsmemcache.durable_tls = off for a link you trust; sessions work from memcached alone for 15 s
  impostor: greeting, quit, closed
  Debug text: no
durable_tls=off, no pinned key: written true
  rsmemcache: durable tier DSN: the server asked for caching_sha2_password full authentication over a link that is not TLS; the password was not sent (the server's RSA key cannot be trusted over plaintext): set rsmemcache.durable_tls = required, or pin the server's public key with rsmemcache.durable_server_public_key_file; sessions work from memcached alone for 15 s
  impostor: greeting, response user=rsm, quit, after-full-auth 5, closed
  Debug text: no
durable_tls=off, the key pinned: written true
  rsmemcache: durable tier DSN: the database refused the login (Access denied): check rsmemcache.durable_credentials_file and the account's grants (a server with require_secure_transport refuses a login without TLS this way too); sessions work from memcached alone for 15 s
  impostor: greeting, response user=rsm, password (the real one), after-full-auth %d, closed
  Debug text: no
