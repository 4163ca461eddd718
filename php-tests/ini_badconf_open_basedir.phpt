--TEST--
ini: open_basedir applies to every file directive (auth, key, credentials and TLS files): a file outside it is refused at session_start() with a warning naming the directive and the path, before the file is opened
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.use_strict_mode=0
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
open_basedir={PWD}
session.save_path=tls://127.0.0.1:1
--FILE--
<?php
require __DIR__ . '/lib/config.inc';
ob_start();
$seen = [];
set_error_handler(static function (int $no, string $str) use (&$seen): bool {
    $seen[] = $str;
    return true;
});
$files = ['rsmemcache.auth_file', 'rsmemcache.encryption_key_file', 'rsmemcache.durable_credentials_file',
    'rsmemcache.tls_ca_file', 'rsmemcache.tls_cert_file', 'rsmemcache.tls_key_file'];
foreach ($files as $name) {
    ini_set($name, '/etc/hostname');
    session_id('basedir' . bin2hex(random_bytes(8)));
    $ok = session_start();
    echo "$name outside open_basedir: started ", var_export($ok, true), "\n";
    foreach ($seen as $w) { echo "  $w\n"; }
    $seen = [];
    ini_set($name, '');
}
ob_end_flush();
?>
--EXPECTF--
rsmemcache.auth_file outside open_basedir: started false
  session_start(): rsmemcache: invalid value '/etc/hostname' for rsmemcache.auth_file: the file is outside open_basedir; move it into an allowed directory or add its directory to open_basedir
  session_start(): Failed to initialize storage module: rsmemcache (path: tls://127.0.0.1:1)
rsmemcache.encryption_key_file outside open_basedir: started false
  session_start(): rsmemcache: invalid value '/etc/hostname' for rsmemcache.encryption_key_file: the file is outside open_basedir; move it into an allowed directory or add its directory to open_basedir
  session_start(): Failed to initialize storage module: rsmemcache (path: tls://127.0.0.1:1)
rsmemcache.durable_credentials_file outside open_basedir: started false
  session_start(): rsmemcache: invalid value '/etc/hostname' for rsmemcache.durable_credentials_file: the file is outside open_basedir; move it into an allowed directory or add its directory to open_basedir
  session_start(): Failed to initialize storage module: rsmemcache (path: tls://127.0.0.1:1)
rsmemcache.tls_ca_file outside open_basedir: started false
  session_start(): rsmemcache: invalid value '/etc/hostname' for rsmemcache.tls_ca_file: the file is outside open_basedir; move it into an allowed directory or add its directory to open_basedir
  session_start(): Failed to initialize storage module: rsmemcache (path: tls://127.0.0.1:1)
rsmemcache.tls_cert_file outside open_basedir: started false
  session_start(): rsmemcache: invalid value '/etc/hostname' for rsmemcache.tls_cert_file: the file is outside open_basedir; move it into an allowed directory or add its directory to open_basedir
  session_start(): Failed to initialize storage module: rsmemcache (path: tls://127.0.0.1:1)
rsmemcache.tls_key_file outside open_basedir: started false
  session_start(): rsmemcache: invalid value '/etc/hostname' for rsmemcache.tls_key_file: the file is outside open_basedir; move it into an allowed directory or add its directory to open_basedir
  session_start(): Failed to initialize storage module: rsmemcache (path: tls://127.0.0.1:1)
