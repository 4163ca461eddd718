--TEST--
secure: secret files are checked on the open descriptor, as libpq and OpenSSH check key files: an auth, key or TLS file writable by its group or by everyone, or owned by another user than root or PHP's, is refused with a warning naming the directive and saying what to do (never the content); a world-readable secret works and is logged once per process; 0600 and group-readable 0640 work silently; an empty auth file is refused
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
exec('openssl version 2>&1', $o, $rc);
if ($rc !== 0) { die('skip openssl CLI not found'); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/secure.inc';
require_once __DIR__ . '/lib/encryption.inc';
errlog_open();
ob_start();
$d = sec_dir();
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings): bool { $warnings[] = $msg; return true; });
$secret = 'pw-' . bin2hex(random_bytes(8));
$key = 'k1 ' . enc_hex() . "\n";

/** Writes $content to $d/$name with $mode and returns the path. */
function secret(string $name, string $content, int $mode): string {
    $f = sec_dir() . "/$name";
    file_put_contents($f, $content);
    chmod($f, $mode);
    return $f;
}
/** One request with directive $dir = $file; prints whether it started and the warnings and log lines it raised. */
function try_file(string $what, string $dir, string $file, array $more = []): void {
    global $warnings, $secret, $key;
    ini_set('session.save_path', $GLOBALS['path'] ?? MC1);
    foreach (array_merge([$dir => $file], $more) as $k => $v) { ini_set($k, $v); }
    session_id('secfile' . bin2hex(random_bytes(8)));
    $_SESSION = [];
    $ok = @session_start();
    if ($ok) { $_SESSION['v'] = 1; session_write_close(); }
    foreach (array_merge([$dir => ''], array_fill_keys(array_keys($more), '')) as $k => $v) { ini_set($k, $v); }
    echo "$what: started ", var_export($ok, true), "\n";
    $lines = array_merge(array_map(fn ($w) => "warning: $w", $warnings), array_map(fn ($l) => "logged: $l", errlog_take()));
    foreach ($lines as $l) {
        if (str_contains($l, $secret) || str_contains($l, trim(substr($key, 3)))) { echo "  THE SECRET IS SHOWN\n"; }
        echo "  ", str_replace(sec_dir(), '<dir>', $l), "\n";
    }
    $warnings = [];
}

echo "-- rsmemcache.auth_file\n";
try_file('0600', 'rsmemcache.auth_file', secret('auth-0600', "u:$secret\n", 0600));
try_file('0640', 'rsmemcache.auth_file', secret('auth-0640', "u:$secret\n", 0640));
try_file('0644', 'rsmemcache.auth_file', secret('auth-0644', "u:$secret\n", 0644));
try_file('0644 again (logged once)', 'rsmemcache.auth_file', "$d/auth-0644");
try_file('0666', 'rsmemcache.auth_file', secret('auth-0666', "u:$secret\n", 0666));
try_file('0620', 'rsmemcache.auth_file', secret('auth-0620', "u:$secret\n", 0620));
try_file('empty', 'rsmemcache.auth_file', secret('auth-empty', '', 0600));
try_file('a directory', 'rsmemcache.auth_file', $d);
if (cl_is_root()) {
    $f = secret('auth-nobody', "u:$secret\n", 0600);
    chown($f, 'nobody');
    try_file('owned by nobody', 'rsmemcache.auth_file', $f);
} else {
    echo "owned by nobody: started false\n  warning: session_start(): rsmemcache: rsmemcache.auth_file '<dir>/auth-nobody' cannot be used: it is owned by uid N (not checked: the test does not run as root)\n";
}

echo "-- rsmemcache.encryption_key_file\n";
try_file('0600', 'rsmemcache.encryption_key_file', secret('key-0600', $key, 0600));
try_file('0602', 'rsmemcache.encryption_key_file', secret('key-0602', $key, 0602));

echo "-- rsmemcache.tls_key_file, rsmemcache.tls_ca_file\n";
$ca = sec_ca('ca');
chmod($ca['pem'], 0644);
$client = sec_cert($ca, 'php-client');
chmod($client['key'], 0666);
$tls = ['rsmemcache.tls_ca_file' => $ca['pem'], 'rsmemcache.tls_cert_file' => $client['pem']];
$path = 'tls://' . MC1;
try_file('key 0666', 'rsmemcache.tls_key_file', $client['key'], $tls);
chmod($ca['pem'], 0664);
try_file('CA file 0664', 'rsmemcache.tls_key_file', $client['key'], $tls);
restore_error_handler();
ob_end_flush();
?>
--EXPECTF--
-- rsmemcache.auth_file
0600: started true
0640: started true
0644: started true
  logged: rsmemcache: rsmemcache.auth_file '<dir>/auth-0644' is readable by every user (mode 0644); run chmod 0600 on it (or 0640 with the group PHP runs as)
0644 again (logged once): started true
0666: started false
  warning: session_start(): rsmemcache: rsmemcache.auth_file '<dir>/auth-0666' cannot be used: it is writable by every user (mode 0666), so they could replace it; run chmod go-w on it (0600, or 0640 for a group of readers)
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
0620: started false
  warning: session_start(): rsmemcache: rsmemcache.auth_file '<dir>/auth-0620' cannot be used: it is writable by its group (mode 0620), so they could replace it; run chmod go-w on it (0600, or 0640 for a group of readers)
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
empty: started false
  warning: session_start(): rsmemcache: rsmemcache.auth_file '<dir>/auth-empty' cannot be used: the first line is empty; expected user:password
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
a directory: started false
  warning: session_start(): rsmemcache: rsmemcache.auth_file '<dir>' cannot be used: not a regular file
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
owned by nobody: started false
  warning: session_start(): rsmemcache: rsmemcache.auth_file '<dir>/auth-nobody' cannot be used: it is owned by uid %d%s
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
-- rsmemcache.encryption_key_file
0600: started true
0602: started false
  warning: session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/key-0602' cannot be used: it is writable by every user (mode 0602), so they could replace it; run chmod go-w on it (0600, or 0640 for a group of readers)
  warning: session_start(): Failed to initialize storage module: rsmemcache (path: %s)
-- rsmemcache.tls_key_file, rsmemcache.tls_ca_file
key 0666: started false
  warning: session_start(): rsmemcache: rsmemcache.tls_key_file '<dir>/php-client.key' cannot be used: it is writable by every user (mode 0666), so they could replace it; run chmod go-w on it (0600, or 0640 for a group of readers)
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
CA file 0664: started false
  warning: session_start(): rsmemcache: rsmemcache.tls_ca_file '<dir>/ca.pem' cannot be used: it is writable by its group (mode 0664), so they could replace it; run chmod go-w on it (0600, or 0640 for a group of readers)
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
