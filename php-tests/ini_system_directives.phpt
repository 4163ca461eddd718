--TEST--
ini: the security directives are system settings: ini_set() of each (DSN, credential, key and TLS files, TLS verification, plaintext acceptance, and the test switch itself) returns false with a warning naming it and where to set it, and its php.ini value stays in force; other directives still change at runtime; ini_restore() works; a file directive outside open_basedir is refused at session_start()
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.use_strict_mode=0
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
rsmemcache.test_allow_ini_set=0
rsmemcache.tls_verify_peer=1
rsmemcache.encryption_accept_plaintext=0
rsmemcache.timeout=1000
--FILE--
<?php
require __DIR__ . '/lib/config.inc';
ob_start();
set_error_handler(static function (int $no, string $str): bool {
    echo $no === E_WARNING ? '  E_WARNING: ' : "  error $no: ", $str, "\n";
    return true;
});
$system = [
    'rsmemcache.durable_dsn' => 'mysql://192.0.2.9:3306/theirs',
    'rsmemcache.durable_credentials_file' => '/etc/hostname',
    'rsmemcache.encryption_key_file' => '/etc/hostname',
    'rsmemcache.encryption_accept_plaintext' => '1',
    'rsmemcache.auth_file' => '/etc/hostname',
    'rsmemcache.tls' => '1',
    'rsmemcache.tls_ca_file' => '/etc/hostname',
    'rsmemcache.tls_cert_file' => '/etc/hostname',
    'rsmemcache.tls_key_file' => '/etc/hostname',
    'rsmemcache.tls_server_name' => 'theirs.test',
    'rsmemcache.tls_verify_peer' => '0',
    'rsmemcache.test_allow_ini_set' => '1',
];
foreach ($system as $name => $value) {
    $before = ini_get($name);
    $r = ini_set($name, $value);
    echo "$name: ini_set returns ", var_export($r, true), ", value kept ", var_export(ini_get($name) === $before, true), "\n";
}
echo "after all that, rsmemcache.tls_verify_peer = ", ini_get('rsmemcache.tls_verify_peer'), "\n";
echo "rsmemcache.timeout: ini_set returns ", var_export(ini_set('rsmemcache.timeout', '500'), true), ", now ", ini_get('rsmemcache.timeout'), "\n";
ini_restore('rsmemcache.tls_verify_peer');
ini_restore('rsmemcache.timeout');
echo "after ini_restore: tls_verify_peer = ", ini_get('rsmemcache.tls_verify_peer'), ", timeout = ", ini_get('rsmemcache.timeout'), "\n";
echo "session works: ";
ini_set('session.save_path', MC1);
session_id('inisys' . bin2hex(random_bytes(8)));
var_dump(session_start());
session_write_close();
ob_end_flush();
?>
--EXPECT--
  E_WARNING: ini_set(): rsmemcache: rsmemcache.durable_dsn is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.durable_dsn: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.durable_credentials_file is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.durable_credentials_file: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.encryption_key_file is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.encryption_key_file: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.encryption_accept_plaintext is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.encryption_accept_plaintext: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.auth_file is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.auth_file: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.tls is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.tls: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.tls_ca_file is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.tls_ca_file: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.tls_cert_file is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.tls_cert_file: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.tls_key_file is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.tls_key_file: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.tls_server_name is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.tls_server_name: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.tls_verify_peer is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.tls_verify_peer: ini_set returns false, value kept true
  E_WARNING: ini_set(): rsmemcache: rsmemcache.test_allow_ini_set is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini
rsmemcache.test_allow_ini_set: ini_set returns false, value kept true
after all that, rsmemcache.tls_verify_peer = 1
rsmemcache.timeout: ini_set returns '1000', now 500
after ini_restore: tls_verify_peer = 1, timeout = 1000
session works: bool(true)
