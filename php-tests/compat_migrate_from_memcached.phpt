--TEST--
compat: migration from php-memcached: 42 sessions written by session.save_handler=memcached read back identically by rsmemcache with rsmemcache.compat=memcached; a session open in a php-memcached request is locked for rsmemcache and vice versa (rolling switch); sessions rsmemcache wrote are read by php-memcached (rollback)
--SKIPIF--
<?php require __DIR__ . '/lib/compat.inc'; cp_skipif(['memcached']); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_maxlifetime=1440
session.lazy_write=1
--FILE--
<?php
require __DIR__ . '/lib/compat.inc';
const N = 42;
const BIG = [4, 20];
$path = MC1 . ',' . MC2 . ',' . MC3;
$mcd = [
    'session.save_handler' => 'memcached',
    'session.save_path' => $path,
    // php-memcached's lock TTL defaults to max_execution_time, 0 (never) on
    // the CLI: give it one, so the lock of a killed child frees itself.
    'memcached.sess_lock_expire' => '60',
];
$rs = [
    'session.save_handler' => 'rsmemcache',
    'session.save_path' => $path,
    'rsmemcache.compat' => 'memcached',
    'rsmemcache.lock_wait_time' => '2000',
    'rsmemcache.lock_failure' => 'error',
];
ini_set('rsmemcache.compat', 'memcached');

$ids = [];
$want = [];
$cleanup = [];
$forget = static function (string $id) use (&$cleanup): void {
    array_push($cleanup, "memc.sess.key.$id", "memc.sess.key.lock.$id");
};
for ($i = 0; $i < N; $i++) {
    $id = cp_sid("cpmd$i");
    $ids[$i] = $id;
    $want[$id] = cp_payload($i, $id, in_array($i, BIG, true));
    $forget($id);
}
/** A warning with the session id and the save_path replaced by placeholders. */
$norm = static fn (string $w, string $id): string => str_replace([$id, substr($id, 0, 6) . '...', $path], ['<ID>', '<ID>', '<PATH>'], $w);

try {
    echo "-- php-memcached writes --\n";
    $child = cp_spawn(['memcached'], $mcd, 'php-memcached writer');
    $problems = [];
    foreach ($want as $id => $data) { $problems = array_merge($problems, cp_write($child, $id, $data)); }
    $end = cp_end($child);
    echo "written without problems: ", var_export($problems === [], true), "\n";
    cp_show('writer', $problems);
    if ($end['code'] !== 0 || $end['stderr'] !== '') { echo "writer exit {$end['code']}, stderr ", var_export($end['stderr'], true), "\n"; }
    $placed = 0;
    foreach ($want as $id => $data) {
        $loc = rsmemcache_locate($id, $path);
        $where = cp_where("memc.sess.key.$id");
        if ($where === [$loc['servers'][0]] && cp_where("memc.sess.key.lock.$id") === []) { $placed++; }
        else { echo "$id: data on ", json_encode($where), ", rsmemcache_locate ", json_encode($loc), "\n"; }
    }
    echo "each on one daemon, the home rsmemcache_locate names, lock released: $placed/", N, "\n";

    echo "-- rsmemcache with rsmemcache.compat=memcached reads them --\n";
    $child = cp_spawn([], $rs, 'rsmemcache reader');
    $same = 0;
    foreach ($want as $id => $data) {
        $r = cp_read($child, $id, 'close');
        if ($r['start'] && !$r['warnings'] && $r['data'] === $data) { $same++; continue; }
        echo "$id: start ", var_export($r['start'], true), ", warnings ", json_encode($r['warnings']),
            ", data ", $r['data'] === null ? 'none' : 'DIFFERENT', "\n";
    }
    cp_end($child);
    echo "read back identically, session_start() true, no warnings: $same/", N, "\n";

    echo "-- a php-memcached request holds a session: rsmemcache waits, then gives up --\n";
    $id = $ids[3];
    $lockKey = "memc.sess.key.lock.$id";
    $holder = cp_spawn(['memcached'], $mcd, 'php-memcached holder');
    $r = cp_call($holder, "start $id");
    echo "php-memcached: {$r['answer']}\n";
    $at = cp_wait_until(static fn () => cp_where($lockKey), 10, "php-memcached's lock item $lockKey");
    echo "its lock item is on the lock server rsmemcache_locate names: ", var_export($at === [rsmemcache_locate($id, $path)['lock_server']], true), "\n";
    $waiter = cp_spawn([], ['rsmemcache.lock_wait_time' => '300'] + $rs, 'rsmemcache waiter');
    $r = cp_call($waiter, "start $id");
    echo "rsmemcache: {$r['answer']}\n";
    foreach ($r['warnings'] as $w) { echo "rsmemcache warning: ", $norm($w, $id), "\n"; }
    echo "php-memcached's lock untouched: ", var_export(cp_where($lockKey) === $at && mc_get($at[0], $lockKey) === '1', true), "\n";
    cp_call($holder, 'set holder ' . base64_encode('php-memcached'));
    $r = cp_call($holder, 'close');
    echo "php-memcached: {$r['answer']}, lock item gone: ", var_export(cp_where($lockKey) === [], true), "\n";
    $want[$id]['holder'] = 'php-memcached';
    $r = cp_read($waiter, $id, '');
    echo "rsmemcache now: start ", var_export($r['start'], true), ", warnings ", count($r['warnings']),
        ", sees php-memcached's write: ", var_export($r['data'] === $want[$id], true), "\n";

    echo "-- an rsmemcache request holds it: php-memcached waits, then gives up --\n";
    echo "rsmemcache's lock item is where php-memcached looks: ", var_export(cp_where($lockKey) === $at, true), "\n";
    $other = cp_spawn(['memcached'], [
        'memcached.sess_lock_wait_min' => '20', 'memcached.sess_lock_wait_max' => '20', 'memcached.sess_lock_retries' => '3',
    ] + $mcd, 'php-memcached waiter');
    $r = cp_call($other, "start $id");
    echo "php-memcached: {$r['answer']}\n";
    foreach ($r['warnings'] as $w) { echo "php-memcached warning: ", $norm($w, $id), "\n"; }
    cp_call($waiter, 'set rs ' . base64_encode('rsmemcache'));
    $r = cp_call($waiter, 'close');
    $want[$id]['rs'] = 'rsmemcache';
    echo "rsmemcache: {$r['answer']}, lock item gone: ", var_export(cp_where($lockKey) === [], true), "\n";
    $r = cp_read($other, $id, 'close');
    echo "php-memcached now: start ", var_export($r['start'], true), ", warnings ", count($r['warnings']),
        ", sees rsmemcache's write: ", var_export($r['data'] === $want[$id], true), "\n";
    foreach ([$holder, $waiter, $other] as $c) { cp_end($c); }

    echo "-- rollback: sessions written by rsmemcache, read by php-memcached --\n";
    $child = cp_spawn([], $rs, 'rsmemcache writer');
    $fresh = [];
    for ($i = 0; $i < 3; $i++) {
        $nid = cp_sid("cpmdrs$i");
        $forget($nid);
        $fresh[$nid] = cp_payload(100 + $i, $nid, $i === 2);
    }
    $changed = [$ids[0], $ids[BIG[0]]];
    $problems = [];
    foreach ($fresh as $nid => $data) { $problems = array_merge($problems, cp_write($child, $nid, $data)); }
    foreach ($changed as $cid) {
        $want[$cid]['migrated'] = "by rsmemcache $cid";
        $problems = array_merge($problems, cp_write($child, $cid, $want[$cid]));
    }
    cp_end($child);
    echo "rsmemcache wrote 3 new and changed 2 sessions: ", var_export($problems === [], true), "\n";
    cp_show('rsmemcache writer', $problems);
    $flags = [];
    foreach (array_merge(array_keys($fresh), $changed) as $cid) {
        $where = cp_where("memc.sess.key.$cid");
        $meta = $where ? mc_meta($where[0], "memc.sess.key.$cid") : null;
        $flags[] = $meta === null ? 'missing' : sprintf('one copy: %s, on its home: %s, version in flags: %s', var_export(count($where) === 1, true),
            var_export($where[0] === rsmemcache_locate($cid, $path)['servers'][0], true), var_export($meta['f'] >> 12 > 0 && ($meta['f'] & 0xfff) === 0, true));
    }
    echo implode("\n", array_unique($flags)), "\n";
    $child = cp_spawn(['memcached'], $mcd, 'php-memcached reader');
    $ok = 0;
    foreach ($fresh + array_intersect_key($want, array_flip($changed)) as $cid => $data) {
        $r = cp_read($child, $cid, 'close');
        if ($r['start'] && !$r['warnings'] && $r['data'] === $data) { $ok++; }
        else { echo "$cid: ", json_encode(['start' => $r['start'], 'warnings' => $r['warnings'], 'keys' => array_keys($r['data'] ?? [])]), "\n"; }
    }
    $end = cp_end($child);
    echo "php-memcached reads them as rsmemcache wrote them: $ok/5\n";
    if ($end['code'] !== 0 || $end['stderr'] !== '') { echo "reader exit {$end['code']}, stderr ", var_export($end['stderr'], true), "\n"; }
} finally {
    cp_forget($cleanup);
}
?>
--EXPECTF--
-- php-memcached writes --
written without problems: true
each on one daemon, the home rsmemcache_locate names, lock released: 42/42
-- rsmemcache with rsmemcache.compat=memcached reads them --
read back identically, session_start() true, no warnings: 42/42
-- a php-memcached request holds a session: rsmemcache waits, then gives up --
php-memcached: start true
its lock item is on the lock server rsmemcache_locate names: true
rsmemcache: start false
rsmemcache warning: session_start(): rsmemcache: session <ID> is locked by another request; gave up after waiting %d ms (rsmemcache.lock_wait_time)
rsmemcache warning: session_start(): Failed to read session data: rsmemcache (path: <PATH>)
php-memcached's lock untouched: true
php-memcached: close true, lock item gone: true
rsmemcache now: start true, warnings 0, sees php-memcached's write: true
-- an rsmemcache request holds it: php-memcached waits, then gives up --
rsmemcache's lock item is where php-memcached looks: true
php-memcached: start false
php-memcached warning: session_start(): Unable to clear session lock record
php-memcached warning: session_start(): Failed to read session data: memcached (path: <PATH>)
rsmemcache: close true, lock item gone: true
php-memcached now: start true, warnings 0, sees rsmemcache's write: true
-- rollback: sessions written by rsmemcache, read by php-memcached --
rsmemcache wrote 3 new and changed 2 sessions: true
one copy: true, on its home: true, version in flags: true
php-memcached reads them as rsmemcache wrote them: 5/5
