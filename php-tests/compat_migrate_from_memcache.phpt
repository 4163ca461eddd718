--TEST--
compat: migration from pecl-memcache: 42 sessions written by session.save_handler=memcache (2 copies, large ones compressed, released locks "0" beside them) read back identically by rsmemcache with rsmemcache.compat=memcache without waiting for those locks; sessions rsmemcache changed read back by pecl-memcache (rollback); a session open in a pecl-memcache request is locked for rsmemcache; without compat they are not found
--SKIPIF--
<?php require __DIR__ . '/lib/compat.inc'; cp_skipif(['memcache']); ?>
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
const BIG = [5, 17, 30];   // sessions of >= 25000 compressible bytes (pecl compresses from 20000)
$path = 'tcp://' . MC1 . ', tcp://' . MC2 . ', tcp://' . MC3;
$common = ['session.save_path' => $path];
$pecl = $common + [
    'session.save_handler' => 'memcache',
    // pecl's defaults except the TTL of its lock items (15 s): longer, so the
    // released markers "0" surely still exist when rsmemcache reads.
    'memcache.lock_timeout' => '120',
];
$rs = $common + [
    'session.save_handler' => 'rsmemcache',
    'rsmemcache.lock_wait_time' => '2000',
    'rsmemcache.lock_failure' => 'error',
];

$ids = [];
$want = [];
$cleanup = [];
for ($i = 0; $i < N; $i++) {
    $id = cp_sid("cpmm$i");
    $ids[$i] = $id;
    $want[$id] = cp_payload($i, $id, in_array($i, BIG, true));
    array_push($cleanup, $id, "$id.lock", "rsmemcache.sess.$id", "rsmemcache.sess.$id.lock");
}

try {
    echo "-- pecl-memcache writes --\n";
    $child = cp_spawn(['memcache'], $pecl, 'pecl writer');
    $problems = [];
    foreach ($want as $id => $data) { $problems = array_merge($problems, cp_write($child, $id, $data)); }
    $end = cp_end($child);
    echo "written: ", N - count(array_unique(array_map(static fn ($p) => strtok($p, ':'), $problems))), "/", N, "\n";
    cp_show('writer', $problems);
    if ($end['code'] !== 0 || $end['stderr'] !== '') { echo "writer exit {$end['code']}, stderr ", var_export($end['stderr'], true), "\n"; }

    // Raw: two copies (memcache.session_redundancy = 2) on the first two servers
    // of the probe order rsmemcache computes, each with pecl's released lock
    // "0" beside it; the large ones compressed (client flag 0x2).
    ini_set('rsmemcache.compat', 'memcache');
    $placed = $zeroLocks = 0;
    $bad = [];
    foreach ($want as $id => $data) {
        $loc = rsmemcache_locate($id, $path);
        $holders = cp_where($id);
        $expect = array_slice($loc['servers'], 0, 2);
        sort($holders);
        sort($expect);
        if ($holders === $expect) { $placed++; } else { $bad[] = "$id: copies on " . implode(' ', $holders) . ', rsmemcache_locate ' . implode(' ', $loc['servers']); }
        $locks = array_map(static fn ($s) => mc_get($s, "$id.lock"), $holders);
        if ($locks && $locks === array_fill(0, count($locks), '0') && cp_where("$id.lock") === cp_where($id)) { $zeroLocks++; }
        else { $bad[] = "$id: lock items " . json_encode(array_combine($holders, $locks)); }
    }
    echo "sessions with 2 copies on the first two servers of rsmemcache_locate's order: $placed/", N, "\n";
    echo "sessions with a released lock '0' beside each copy: $zeroLocks/", N, "\n";
    cp_show('raw', $bad);
    $compressed = 0;
    foreach (BIG as $i) {
        $id = $ids[$i];
        $home = rsmemcache_locate($id, $path)['servers'][0];
        $meta = mc_meta($home, $id);
        $plain = strlen(session_encode_like($want[$id]));
        if ($plain >= 25000 && $meta !== null && ($meta['f'] & 2) === 2 && $meta['s'] < $plain) { $compressed++; }
        else { echo "$id: {$plain} bytes, stored ", json_encode($meta), "\n"; }
    }
    echo "large sessions stored compressed by pecl (client flag 0x2): $compressed/", count(BIG), "\n";

    echo "-- rsmemcache without compat (defaults) --\n";
    $child = cp_spawn([], $rs, 'rsmemcache (no compat)');
    $empty = 0;
    foreach ($want as $id => $data) {
        $r = cp_read($child, $id, 'abort');
        if ($r['start'] && !$r['warnings'] && $r['data'] === []) { $empty++; }
        else { echo "$id: ", json_encode($r), "\n"; }
    }
    cp_end($child);
    echo "sessions found: ", N - $empty, "/", N, " (key rsmemcache.sess.<id>, placed by hashing that key)\n";

    echo "-- rsmemcache with rsmemcache.compat=memcache --\n";
    $still = 0;
    foreach ($want as $id => $data) { if (cp_where("$id.lock") !== [] && mc_get(cp_where("$id.lock")[0], "$id.lock") === '0') { $still++; } }
    echo "pecl's released locks still present: $still/", N, "\n";
    $child = cp_spawn([], $rs + ['rsmemcache.compat' => 'memcache'], 'rsmemcache (compat=memcache)');
    $same = 0;
    foreach ($want as $id => $data) {
        $r = cp_read($child, $id, 'close');
        if ($r['start'] && !$r['warnings'] && $r['data'] === $data) { $same++; continue; }
        echo "$id: start ", var_export($r['start'], true), ", warnings ", json_encode($r['warnings']),
            ", data ", $r['data'] === null ? 'none' : (serialize($r['data']) === serialize($data) ? 'same serialization' : 'DIFFERENT'), "\n";
    }
    echo "read back identically, session_start() true, no warnings: $same/", N, "\n";
    // Nothing is left locked for pecl-memcache: each lock item is gone or its released marker "0".
    $held = [];
    foreach ($want as $id => $data) {
        foreach (cp_where("$id.lock") as $s) {
            $v = mc_lock_get($s, "$id.lock", static fn (?string $v): bool => $v !== null && $v !== '0');
            if ($v !== null && $v !== '0') { $held[] = "$id.lock on $s = '$v'"; }
        }
    }
    echo "lock items left held after rsmemcache's requests: ", count($held), "\n";
    cp_show('held', $held);

    echo "-- rsmemcache changes two sessions (one large) --\n";
    $changed = [$ids[0], $ids[BIG[0]]];
    foreach ($changed as $id) {
        $r = cp_call($child, "start $id");
        $s = cp_call($child, 'set migrated ' . base64_encode("by rsmemcache $id"));
        $c = cp_call($child, 'close');
        $want[$id]['migrated'] = "by rsmemcache $id";
        echo "changed: {$r['answer']}, {$c['answer']}, warnings: ", count($r['warnings']) + count($s['warnings']) + count($c['warnings']), "\n";
        $copies = [];
        foreach (cp_where($id) as $srv) {
            $meta = mc_meta($srv, $id);
            $copies[] = (mc_get($srv, $id) === session_encode_like($want[$id]) ? 'new data' : 'OLD/OTHER data')
                . sprintf(', flags & 0xfff = %d, version > 0: %s', $meta['f'] & 0xfff, var_export(($meta['f'] >> 12) > 0, true));
        }
        echo "copies: ", count($copies), "; ", implode(' | ', array_unique($copies)), "\n";
    }
    $end = cp_end($child);
    if ($end['code'] !== 0 || $end['stderr'] !== '') { echo "rsmemcache child exit {$end['code']}, stderr ", var_export($end['stderr'], true), "\n"; }

    echo "-- rollback: pecl-memcache reads them again --\n";
    // lock_timeout 5: pecl waits at most 10 s for a lock it finds held (none should be).
    $child = cp_spawn(['memcache'], ['memcache.lock_timeout' => '5'] + $pecl, 'pecl reader');
    $ok = 0;
    $check = array_merge($changed, [$ids[1], $ids[2], $ids[BIG[1]]]);
    foreach ($check as $id) {
        $r = cp_read($child, $id, 'close');
        if ($r['start'] && !$r['warnings'] && $r['data'] === $want[$id]) { $ok++; }
        else { echo "$id: ", json_encode(['start' => $r['start'], 'warnings' => $r['warnings'], 'keys' => array_keys($r['data'] ?? [])]), "\n"; }
    }
    $end = cp_end($child);
    echo "pecl-memcache reads the 2 changed and 3 untouched sessions as expected: $ok/", count($check), "\n";
    if ($end['code'] !== 0 || $end['stderr'] !== '') { echo "pecl reader exit {$end['code']}, stderr ", var_export($end['stderr'], true), "\n"; }

    echo "-- a pecl-memcache request holds a session: rsmemcache waits, then gives up --\n";
    $id = $ids[7];
    $lockServer = rsmemcache_locate($id, $path)['lock_server'];
    $holder = cp_spawn(['memcache'], $pecl, 'pecl holder');
    $r = cp_call($holder, "start $id");
    echo "pecl-memcache: {$r['answer']}, warnings: ", count($r['warnings']), "\n";
    cp_wait_until(static fn () => mc_get($lockServer, "$id.lock") === '1', 10, "pecl's lock '1' on $lockServer");
    echo "its lock item on rsmemcache's lock server holds '1'\n";
    $waiter = cp_spawn([], ['rsmemcache.compat' => 'memcache', 'rsmemcache.lock_wait_time' => '300'] + $rs, 'rsmemcache waiter');
    $r = cp_call($waiter, "start $id");
    echo "rsmemcache: {$r['answer']}\n";
    foreach ($r['warnings'] as $w) { echo "rsmemcache warning: ", str_replace([$id, substr($id, 0, 6) . '...', $path], ['<ID>', '<ID>', '<PATH>'], $w), "\n"; }
    echo "pecl's lock untouched: ", var_export(mc_get($lockServer, "$id.lock") === '1', true), "\n";
    cp_call($holder, 'set holder ' . base64_encode('pecl-memcache'));
    $r = cp_call($holder, 'close');
    $want[$id]['holder'] = 'pecl-memcache';
    echo "pecl-memcache: {$r['answer']}, lock released to '0': ", var_export(mc_get($lockServer, "$id.lock") === '0', true), "\n";
    $r = cp_read($waiter, $id, 'close');
    echo "rsmemcache now: start ", var_export($r['start'], true), ", warnings ", count($r['warnings']),
        ", sees pecl-memcache's write: ", var_export($r['data'] === $want[$id], true), "\n";
    foreach ([$holder, $waiter] as $c) { cp_end($c); }
} finally {
    cp_forget($cleanup);
}

/** The bytes session.serialize_handler=php stores for $data (what both handlers hold). */
function session_encode_like(array $data): string {
    $out = '';
    foreach ($data as $k => $v) { $out .= $k . '|' . serialize($v); }
    return $out;
}
?>
--EXPECTF--
-- pecl-memcache writes --
written: 42/42
sessions with 2 copies on the first two servers of rsmemcache_locate's order: 42/42
sessions with a released lock '0' beside each copy: 42/42
large sessions stored compressed by pecl (client flag 0x2): 3/3
-- rsmemcache without compat (defaults) --
sessions found: 0/42 (key rsmemcache.sess.<id>, placed by hashing that key)
-- rsmemcache with rsmemcache.compat=memcache --
pecl's released locks still present: 42/42
read back identically, session_start() true, no warnings: 42/42
lock items left held after rsmemcache's requests: 0
-- rsmemcache changes two sessions (one large) --
changed: start true, close true, warnings: 0
copies: 2; new data, flags & 0xfff = 0, version > 0: true
changed: start true, close true, warnings: 0
copies: 2; new data, flags & 0xfff = 0, version > 0: true
-- rollback: pecl-memcache reads them again --
pecl-memcache reads the 2 changed and 3 untouched sessions as expected: 5/5
-- a pecl-memcache request holds a session: rsmemcache waits, then gives up --
pecl-memcache: start true, warnings: 0
its lock item on rsmemcache's lock server holds '1'
rsmemcache: start false
rsmemcache warning: session_start(): rsmemcache: session <ID> is locked by another request; gave up after waiting %d ms (rsmemcache.lock_wait_time)
rsmemcache warning: session_start(): Failed to read session data: rsmemcache (path: <PATH>)
pecl's lock untouched: true
pecl-memcache: close true, lock released to '0': true
rsmemcache now: start true, warnings 0, sees pecl-memcache's write: true
