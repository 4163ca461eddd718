--TEST--
cluster: a hung memcached (SIGSTOP) misses an update and comes back with old copies: with N=2 every read returns the new data and repairs the old copy; with N=1 the old data is read back
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if ($why = cl_skip_reason(30, 3)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.allow_failover=1
rsmemcache.timeout=200
rsmemcache.connect_timeout=200
rsmemcache.retry_interval=1
rsmemcache.lock_wait_time=3000
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
const SESSIONS = 40;
$daemons = cl_start_all(cl_ports(30, 3));
$addrs = array_column($daemons, 'addr');
$path = implode(',', $addrs);
ini_set('session.save_path', $path);

/** Counts ids by $f(id) => label. */
function tally(array $ids, callable $f): array {
    $t = [];
    foreach ($ids as $id) { $l = $f($id); $t[$l] = ($t[$l] ?? 0) + 1; }
    ksort($t);
    return $t;
}
function show(array $t): string {
    return implode(', ', array_map(fn ($k, $v) => "$k $v", array_keys($t), $t));
}

foreach ([2, 1] as $n) {
    echo "== session_redundancy=$n\n";
    $ini = ['session.save_path' => $path, 'rsmemcache.session_redundancy' => $n];
    $ids = cl_ids("st$n", SESSIONS);
    $v1 = cl_values('v1', $ids);
    $v2 = cl_values('v2', $ids);
    $order = [];
    foreach ($ids as $id) { $order[$id] = cl_order($id, $path); }
    // The hung server S: the home of the most sessions.
    $homes = array_count_values(array_map(fn ($o) => $o[0], $order));
    arsort($homes);
    $sAddr = array_key_first($homes);
    $s = $daemons[array_search($sAddr, $addrs, true)];
    $names = [$sAddr => 'S'];
    $onS = array_values(array_filter($ids, fn ($id) => in_array($sAddr, array_slice($order[$id], 0, $n), true)));
    $homedOnS = array_values(array_filter($ids, fn ($id) => $order[$id][0] === $sAddr));
    // Requests go in this order: the sessions homed on S first, so the first
    // request after the hang sends its lock and read to S.
    $ids = array_values(array_unique([...$homedOnS, ...$ids]));
    $v1 = cl_values('v1', $ids);
    $v2 = cl_values('v2', $ids);

    $w = cl_worker($ini);
    $a = cl_call($w, ['op' => 'write', 'values' => $v1]);
    printf("v1 written: started %d, closed %d, warnings %d\n", count(array_filter($a['started'])), count(array_filter($a['closed'])), count($a['warnings']));
    printf("sessions with a copy on S: %d (more than 0: %s), homed on S: %d\n", count($onS), var_export(count($onS) > 0, true), count($homedOnS));

    echo "-- SIGSTOP S, update every session to v2\n";
    cl_pause($s);
    $a = cl_call($w, ['op' => 'write', 'values' => $v2]);
    printf("started %d/%d, closed %d/%d\n", count(array_filter($a['started'])), SESSIONS, count(array_filter($a['closed'])), SESSIONS);
    echo "the update read: ", show(tally($ids, fn ($id) => match ($a['read'][$id]) { $v1[$id] => 'v1', null => 'empty', default => 'other' })), "\n";
    if ($n === 1) {
        echo "the update read exactly the sessions homed on S as empty: ", var_export(array_keys(array_filter($a['read'], 'is_null')) === $homedOnS, true), "\n";
    }
    [, $other] = cl_split_repairs($a['logged']);
    $timeouts = count(array_filter($other, fn ($l) => str_starts_with($l, "rsmemcache: server $sAddr: no answer within 200 ms; the server is skipped")));
    printf("warnings: %d; error-log lines (read repairs aside) naming S's timeout: at least one %s, all of that kind %s\n",
        count($a['warnings']), var_export($timeouts >= 1, true), var_export($timeouts === count($other), true));

    echo "-- SIGCONT S\n";
    cl_resume($s);
    $stale = tally($onS, function ($id) use ($sAddr, $v1, $v2) {
        $c = cl_copy($sAddr, $id);
        return $c === null ? 'missing' : ($c['data'] === cl_encoded($v1[$id]) ? 'v1' : ($c['data'] === cl_encoded($v2[$id]) ? 'v2' : 'other'));
    });
    echo "S's copies: ", show($stale), "\n";
    echo "S kept old (v1) copies: ", var_export(($stale['v1'] ?? 0) > 0, true), "\n";

    cl_poll(fn () => cl_state($w, $sAddr)['state'] !== 'failed', 10, 'S to be due for a retry');
    echo "-- S is due for a retry; the same worker reads every session\n";
    $a = cl_call($w, ['op' => 'read', 'ids' => $ids]);
    printf("started %d/%d\n", count(array_filter($a['started'])), SESSIONS);
    foreach ($a['warnings'] as $m) { echo "  ", cl_norm($m, $names), "\n"; }
    $read = tally($ids, fn ($id) => match ($a['read'][$id]) { $v1[$id] => 'v1 (stale)', $v2[$id] => 'v2', null => 'empty', default => 'other' });
    echo "read: ", show($read), "\n";
    if ($n === 2) {
        echo "every session read as v2: ", var_export(($read['v2'] ?? 0) === SESSIONS, true), "\n";
        $fixed = 0;
        foreach ($onS as $id) {
            $c = cl_copy($sAddr, $id);
            $other = cl_copy(array_values(array_diff(array_slice($order[$id], 0, 2), [$sAddr]))[0], $id);
            if ($c !== null && $other !== null && $c['data'] === cl_encoded($v2[$id]) && $c['version'] === $other['version'] && $c['version'] >= 2) { $fixed++; }
        }
        printf("S's copies now v2 with the other copy's version (>= 2): %d/%d, all: %s\n", $fixed, count($onS), var_export($fixed === count($onS), true));
    } else {
        printf("read stale (v1): %d, sessions homed on S: %d, equal: %s, more than 0: %s\n", $read['v1 (stale)'] ?? 0, count($homedOnS),
            var_export(($read['v1 (stale)'] ?? 0) === count($homedOnS), true), var_export(count($homedOnS) > 0, true));
    }
    // A lock add the hung server took in before the requester gave up may
    // be executed when it resumes: it must not keep the session locked.
    $locks = [];
    foreach ($addrs as $x) { foreach (cl_locks_on($x, $ids) as $id) { $locks[] = ($x === $sAddr ? 'S' : 'other') . ':' . $id; } }
    echo "lock items left after every request has ended: ", count($locks), "\n";
    foreach ($locks as $l) { echo "  $l\n"; }
    cl_worker_stop($w);
}
cl_stop_all();
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(30, 3);
?>
--EXPECTF--
== session_redundancy=2
v1 written: started 40, closed 40, warnings 0
sessions with a copy on S: %d (more than 0: true), homed on S: %d
-- SIGSTOP S, update every session to v2
started 40/40, closed 40/40
the update read: v1 40
warnings: 0; error-log lines (read repairs aside) naming S's timeout: at least one true, all of that kind true
-- SIGCONT S
S's copies: v1 %d
S kept old (v1) copies: true
-- S is due for a retry; the same worker reads every session
started 40/40
read: v2 40
every session read as v2: true
S's copies now v2 with the other copy's version (>= 2): %d/%d, all: true
lock items left after every request has ended: 0
== session_redundancy=1
v1 written: started 40, closed 40, warnings 0
sessions with a copy on S: %d (more than 0: true), homed on S: %d
-- SIGSTOP S, update every session to v2
started 40/40, closed 40/40
the update read: empty %d, v1 %d
the update read exactly the sessions homed on S as empty: true
warnings: 0; error-log lines (read repairs aside) naming S's timeout: at least one true, all of that kind true
-- SIGCONT S
S's copies: v1 %d
S kept old (v1) copies: true
-- S is due for a retry; the same worker reads every session
started 40/40
read: v1 (stale) %d, v2 %d
read stale (v1): %d, sessions homed on S: %d, equal: true, more than 0: true
lock items left after every request has ended: 0
done
