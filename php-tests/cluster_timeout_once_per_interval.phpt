--TEST--
cluster: a server that accepts but never answers costs one connection (one timeout) per retry interval in a process: 20 requests on sessions homed on it all fail over, it is connected once; after the interval, once more
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if ($why = cl_skip_reason(40, 2)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.allow_failover=1
rsmemcache.session_redundancy=1
rsmemcache.timeout=300
rsmemcache.retry_interval=2
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
require __DIR__ . '/lib/failure.inc';
[$fakePort, $realPort] = cl_ports(40, 2);
$real = cl_start($realPort);
$fake = cl_silent($fakePort);
$path = "{$fake['addr']},{$real['addr']}";
ini_set('session.save_path', $path);
$names = [$fake['addr'] => 'FAKE', $real['addr'] => 'REAL'];
cl_watch();

/** One request: start, store $value, close; returns "ok" or what went wrong. */
function request(string $id, string $value): string {
    session_id($id);
    if (!session_start()) { return 'start failed'; }
    $had = $_SESSION['v'] ?? null;
    $_SESSION['v'] = $value;
    if (!session_write_close()) { return 'close failed'; }
    return $had === null ? 'ok (new)' : 'ok (read ' . $had . ')';
}
function fake_row(string $addr): array {
    foreach (rsmemcache_servers() as $row) { if ($row['server'] === $addr) { return $row; } }
    throw new RuntimeException("no row for $addr");
}

// Session ids whose home is the fake server.
$ids = [];
for ($i = 0; count($ids) < 20; $i++) {
    $id = 'cltmo' . bin2hex(random_bytes(4)) . $i;
    if (cl_order($id, $path)[0] === $fake['addr']) { $ids[] = $id; }
}

echo "-- 20 requests in this process, each on a session homed on FAKE\n";
$outcomes = [];
foreach ($ids as $k => $id) {
    $outcomes[] = request($id, "a$k");
    if ($k === 0) {
        $row = fake_row($fake['addr']);
        printf("after the first: FAKE %s, retry in (0, 2000] ms: %s, failures %d, last error: %s\n", $row['state'],
            var_export($row['retry_in_ms'] > 0 && $row['retry_in_ms'] <= 2000, true), $row['failures'], cl_norm((string)$row['last_error'], $names));
        printf("failed_until within 2 s from now: %s\n", var_export($row['failed_until'] > microtime(true) && $row['failed_until'] <= microtime(true) + 2.0, true));
    }
}
echo "outcomes: ", json_encode(array_count_values($outcomes)), "\n";
echo "warnings: ", count(cl_msgs()), "\n";
foreach (cl_logged() as $m) { echo "  logged: ", cl_norm($m, $names), "\n"; }
echo "connections FAKE accepted: ", h4_server_count($fake), "\n";
$stored = count(array_filter($ids, fn ($id) => mc_get($real['addr'], mc_key($id)) !== null));
echo "sessions stored on REAL: $stored/20\n";
$row = fake_row($fake['addr']);
printf("FAKE: %s, failures %d\n", $row['state'], $row['failures']);

echo "-- wait until the retry interval has passed\n";
cl_poll(fn () => fake_row($fake['addr'])['state'] === 'retry due', 10, 'FAKE to be due for a retry');
$row = fake_row($fake['addr']);
printf("FAKE: %s, retry_in_ms %s, failed_until %s\n", $row['state'], var_export($row['retry_in_ms'], true), var_export($row['failed_until'], true));

echo "-- 5 more requests on the same sessions\n";
$outcomes = [];
foreach (array_slice($ids, 0, 5) as $k => $id) { $outcomes[] = request($id, "b$k"); }
echo "outcomes: ", implode(', ', $outcomes), "\n";
echo "warnings: ", count(cl_msgs()), "\n";
foreach (cl_logged() as $m) { echo "  logged: ", cl_norm($m, $names), "\n"; }
echo "connections FAKE accepted: ", h4_server_count($fake), "\n";
$row = fake_row($fake['addr']);
printf("FAKE: %s, failures %d\n", $row['state'], $row['failures']);
h4_server_stop($fake);
foreach ($ids as $id) { mc_delete($real['addr'], mc_key($id)); }
cl_stop_all();
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(40, 2);
?>
--EXPECT--
-- 20 requests in this process, each on a session homed on FAKE
after the first: FAKE failed, retry in (0, 2000] ms: true, failures 1, last error: server FAKE: no answer within 300 ms
failed_until within 2 s from now: true
outcomes: {"ok (new)":20}
warnings: 0
  logged: rsmemcache: server FAKE: no answer within 300 ms; the server is skipped for 2 s
connections FAKE accepted: 1
sessions stored on REAL: 20/20
FAKE: failed, failures 1
-- wait until the retry interval has passed
FAKE: retry due, retry_in_ms NULL, failed_until NULL
-- 5 more requests on the same sessions
outcomes: ok (read a0), ok (read a1), ok (read a2), ok (read a3), ok (read a4)
warnings: 0
  logged: rsmemcache: server FAKE: no answer within 300 ms; the server is skipped for 2 s
connections FAKE accepted: 2
FAKE: failed, failures 2
done
