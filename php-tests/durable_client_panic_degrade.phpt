--TEST--
durable tier: a panic inside the database client (an impostor's empty packet where the client expects an answer) is a failure of the tier: with durable_failure=degrade the request works from memcached without a warning, the tier shows failed with its failure counted, and the log line says what failed in words
--SKIPIF--
<?php require __DIR__ . '/lib/durable_link.inc'; dl_skipif(false, 4, 1); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/durable_link.inc';
$prefix = 'dpanic.' . bin2hex(random_bytes(3)) . '.';
[$pFake] = dl_ports(4, 1);
$fake = dl_impostor($pFake, 'empty');
$ini = [
    'rsmemcache.prefix' => $prefix,
    'rsmemcache.durable_dsn' => "mysql://127.0.0.1:$pFake/rsm_test",
    'rsmemcache.durable_credentials_file' => DB_DIR . '/credentials',
    'rsmemcache.durable_tls' => 'off',
    'rsmemcache.durable_failure' => 'degrade',
];
$id = db_sid('panic');
$r = dl_request($ini, implode(',', [MC1, MC2, MC3]), $id, 'kept');
echo "started ", json_encode($r['started']), ", written ", json_encode($r['written']), ", warnings ", count($r['warnings']), "\n";
foreach ($r['warnings'] as $w) { echo "  warning: $w\n"; }
foreach ($r['logged'] as $l) { echo "  logged: ", preg_replace('/mysql:\/\/[\d.]+:\d+\/rsm_test/', 'DSN', $l), "\n"; }
echo "tier: ", $r['durable']['state'] ?? '-', ", failures ", $r['durable']['failures'] ?? '-', "\n";
cl_poll(fn () => in_array('closed', dl_events($fake), true), 20, 'the impostor to close');
echo "impostor: ", implode(', ', array_unique(dl_events($fake))), "\n";
// memcached has the write.
$r = dl_request(['rsmemcache.prefix' => $prefix], implode(',', [MC1, MC2, MC3]), $id);
echo "read back from memcached: ", $r['data']['v'] ?? '-', "\n";
?>
--EXPECT--
started true, written true, warnings 0
  logged: rsmemcache: durable tier DSN: the database client failed inside (a panic: index out of bounds: the len is 0 but the index is 0, caught; the connection was dropped): usually a malformed answer from the server; check that the DSN points at MariaDB/MySQL; sessions work from memcached alone for 15 s
tier: failed, failures 1
impostor: greeting, response user=rsm, closed
read back from memcached: kept
