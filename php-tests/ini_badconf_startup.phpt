--TEST--
ini: bad rsmemcache.* values given at startup (-d, as from php.ini) are accepted then, and session_start() refuses them by name; ini_set() of a good value recovers
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
<?php if (!function_exists('shell_exec')) { die('skip shell_exec unavailable'); } ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
$canary = h4_canary_set('inistart');
$child = <<<'PHP'
set_error_handler(function ($no, $str) { echo "  warning: ", $str, "\n"; return true; });
[$directive, $good] = [$argv[1], $argv[2]];
echo "  ini_get: ", json_encode(ini_get($directive)), "\n";
$started = session_start();
echo "  session_start: ", var_export($started, true), "\n";
echo "  ini_set(good): ", var_export(ini_set($directive, $good) !== false, true), "\n";
$started = session_start();
echo "  session_start: ", var_export($started, true), "\n";
session_destroy();
PHP;
$php = escapeshellarg(getenv('TEST_PHP_EXECUTABLE') ?: PHP_BINARY) . ' ' . (getenv('TEST_PHP_EXTRA_ARGS') ?: '');
$cases = [
    ['rsmemcache.prefix', 'a b', 'h4ok.'],
    ['rsmemcache.timeout', '-1', '500'],
    ['rsmemcache.hash_strategy', 'ring', 'ketama'],
    ['rsmemcache.lock_failure', 'ignore', 'readonly'],
    ['rsmemcache.session_redundancy', '0', '1'],
    ['rsmemcache.key_hash', 'md5', 'none'],
];
foreach ($cases as [$directive, $bad, $good]) {
    echo "-- -d $directive=$bad\n";
    $cmd = $php . ' -d ' . escapeshellarg("$directive=$bad")
        . ' -d ' . escapeshellarg('session.save_path=' . MC1 . ',' . MC2)
        . ' -r ' . escapeshellarg($child) . ' -- ' . escapeshellarg($directive) . ' ' . escapeshellarg($good) . ' 2>&1';
    echo h4_norm((string)shell_exec($cmd));
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- -d rsmemcache.prefix=a b
  ini_get: "a b"
  warning: session_start(): rsmemcache: invalid value 'a b' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
  warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2)
  session_start: false
  ini_set(good): true
  session_start: true
-- -d rsmemcache.timeout=-1
  ini_get: "-1"
  warning: session_start(): rsmemcache: invalid value '-1' for rsmemcache.timeout: expected an integer from 1 to 600000
  warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2)
  session_start: false
  ini_set(good): true
  session_start: true
-- -d rsmemcache.hash_strategy=ring
  ini_get: "ring"
  warning: session_start(): rsmemcache: invalid value 'ring' for rsmemcache.hash_strategy: expected consistent, standard or ketama
  warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2)
  session_start: false
  ini_set(good): true
  session_start: true
-- -d rsmemcache.lock_failure=ignore
  ini_get: "ignore"
  warning: session_start(): rsmemcache: invalid value 'ignore' for rsmemcache.lock_failure: expected error or readonly
  warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2)
  session_start: false
  ini_set(good): true
  session_start: true
-- -d rsmemcache.session_redundancy=0
  ini_get: "0"
  warning: session_start(): rsmemcache: invalid value '0' for rsmemcache.session_redundancy: expected an integer from 1 to 16
  warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2)
  session_start: false
  ini_set(good): true
  session_start: true
-- -d rsmemcache.key_hash=md5
  ini_get: "md5"
  warning: session_start(): rsmemcache: invalid value 'md5' for rsmemcache.key_hash: expected sha256 or none
  warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2)
  session_start: false
  ini_set(good): true
  session_start: true
canary intact on all servers
