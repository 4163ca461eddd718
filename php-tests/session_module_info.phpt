--TEST--
session lifecycle: the module info (php --ri rsmemcache) shows the version and every directive with its default
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
ob_start();
(new ReflectionExtension('rsmemcache'))->info();
$info = ob_get_clean();
var_dump(phpversion('rsmemcache') === (new ReflectionExtension('rsmemcache'))->getVersion());
$lines = [
    'rsmemcache support => enabled',
    'version => ' . phpversion('rsmemcache'),
    'save handler => rsmemcache',
    'rsmemcache.prefix => rsmemcache.sess. => rsmemcache.sess.',
    'rsmemcache.compat => none => none',
    'rsmemcache.connect_timeout => 1000 => 1000',
    'rsmemcache.timeout => 1000 => 1000',
    'rsmemcache.retry_interval => 15 => 15',
    'rsmemcache.hash_strategy => consistent => consistent',
    'rsmemcache.hash_function => crc32 => crc32',
    'rsmemcache.allow_failover => 1 => 1',
    'rsmemcache.max_failover_attempts => 20 => 20',
    'rsmemcache.session_redundancy => 1 => 1',
    'rsmemcache.locking => 1 => 1',
    'rsmemcache.lock_wait_time => 30000 => 30000',
    'rsmemcache.lock_expire => 20 => 20',
    'rsmemcache.lock_failure => error => error',
    'rsmemcache.auth_file => no value => no value',
    'rsmemcache.tls => 0 => 0',
    'rsmemcache.tls_ca_file => no value => no value',
    'rsmemcache.tls_cert_file => no value => no value',
    'rsmemcache.tls_key_file => no value => no value',
    'rsmemcache.tls_server_name => no value => no value',
    'rsmemcache.tls_verify_peer => 1 => 1',
    'rsmemcache.lock_wait_log => 1000 => 1000',
    'rsmemcache.durable_dsn => no value => no value',
    'rsmemcache.durable_credentials_file => no value => no value',
    'rsmemcache.durable_table => rsmemcache_sessions => rsmemcache_sessions',
    'rsmemcache.durable_write_every => 1 => 1',
    'rsmemcache.durable_timeout => 1000 => 1000',
    'rsmemcache.durable_failure => degrade => degrade',
    'rsmemcache.durable_tls => required => required',
    'rsmemcache.durable_tls_ca_file => no value => no value',
    'rsmemcache.durable_tls_server_name => no value => no value',
    'rsmemcache.durable_server_public_key_file => no value => no value',
    'rsmemcache.encryption_key_file => no value => no value',
    'rsmemcache.encryption_accept_plaintext => 0 => 0',
    'rsmemcache.previous_save_path => no value => no value',
];
foreach ($lines as $l) {
    echo str_pad($l, 60), preg_match('/^' . preg_quote($l, '/') . '$/m', $info) ? 'present' : 'MISSING', "\n";
}
echo preg_match('/^version => \d+\.\d+\.\d+\S*$/m', $info) ? "version ok\n" : "version MISSING\n";
foreach (['prefix', 'compat', 'connect_timeout', 'timeout', 'retry_interval', 'hash_strategy', 'hash_function', 'allow_failover', 'max_failover_attempts', 'session_redundancy', 'locking', 'lock_wait_time', 'lock_expire', 'lock_failure', 'auth_file', 'tls', 'tls_ca_file', 'tls_cert_file', 'tls_key_file', 'tls_server_name', 'tls_verify_peer', 'lock_wait_log', 'durable_dsn', 'durable_credentials_file', 'durable_table', 'durable_write_every', 'durable_timeout', 'durable_failure', 'durable_tls', 'durable_tls_ca_file', 'durable_tls_server_name', 'durable_server_public_key_file', 'encryption_key_file', 'encryption_accept_plaintext', 'previous_save_path'] as $d) {
    var_dump(ini_get("rsmemcache.$d"));
}
var_dump(count(array_filter(array_keys(ini_get_all('rsmemcache')), fn ($k) => str_starts_with($k, 'rsmemcache.'))));
?>
--EXPECTF--
bool(true)
rsmemcache support => enabled                               present
version => %d.%d.%s present
save handler => rsmemcache                                  present
rsmemcache.prefix => rsmemcache.sess. => rsmemcache.sess.   present
rsmemcache.compat => none => none                           present
rsmemcache.connect_timeout => 1000 => 1000                  present
rsmemcache.timeout => 1000 => 1000                          present
rsmemcache.retry_interval => 15 => 15                       present
rsmemcache.hash_strategy => consistent => consistent        present
rsmemcache.hash_function => crc32 => crc32                  present
rsmemcache.allow_failover => 1 => 1                         present
rsmemcache.max_failover_attempts => 20 => 20                present
rsmemcache.session_redundancy => 1 => 1                     present
rsmemcache.locking => 1 => 1                                present
rsmemcache.lock_wait_time => 30000 => 30000                 present
rsmemcache.lock_expire => 20 => 20                          present
rsmemcache.lock_failure => error => error                   present
rsmemcache.auth_file => no value => no value                present
rsmemcache.tls => 0 => 0                                    present
rsmemcache.tls_ca_file => no value => no value              present
rsmemcache.tls_cert_file => no value => no value            present
rsmemcache.tls_key_file => no value => no value             present
rsmemcache.tls_server_name => no value => no value          present
rsmemcache.tls_verify_peer => 1 => 1                        present
rsmemcache.lock_wait_log => 1000 => 1000                    present
rsmemcache.durable_dsn => no value => no value              present
rsmemcache.durable_credentials_file => no value => no value present
rsmemcache.durable_table => rsmemcache_sessions => rsmemcache_sessionspresent
rsmemcache.durable_write_every => 1 => 1                    present
rsmemcache.durable_timeout => 1000 => 1000                  present
rsmemcache.durable_failure => degrade => degrade            present
rsmemcache.durable_tls => required => required              present
rsmemcache.durable_tls_ca_file => no value => no value      present
rsmemcache.durable_tls_server_name => no value => no value  present
rsmemcache.durable_server_public_key_file => no value => no valuepresent
rsmemcache.encryption_key_file => no value => no value      present
rsmemcache.encryption_accept_plaintext => 0 => 0            present
rsmemcache.previous_save_path => no value => no value       present
version ok
string(16) "rsmemcache.sess."
string(4) "none"
string(4) "1000"
string(4) "1000"
string(2) "15"
string(10) "consistent"
string(5) "crc32"
string(1) "1"
string(2) "20"
string(1) "1"
string(1) "1"
string(5) "30000"
string(2) "20"
string(5) "error"
string(0) ""
string(1) "0"
string(0) ""
string(0) ""
string(0) ""
string(0) ""
string(1) "1"
string(4) "1000"
string(0) ""
string(0) ""
string(19) "rsmemcache_sessions"
string(1) "1"
string(4) "1000"
string(7) "degrade"
string(8) "required"
string(0) ""
string(0) ""
string(0) ""
string(0) ""
string(1) "0"
string(0) ""
int(39)
