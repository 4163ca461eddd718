--TEST--
shared state: slots are claimed only after a real round trip: rsmemcache_servers() with 130 made-up servers, or a session on a server that refuses, claims no slot of the shared table (none is listed, none is shared), so a real server still gets its shared slot once it answers
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
rsmemcache.timeout=300
rsmemcache.connect_timeout=300
--FILE--
<?php
require __DIR__ . '/lib/config.inc';
ob_start();
function shared_rows(array $rows): int {
    return count(array_filter($rows, fn ($r) => $r['shared']));
}

echo "-- 130 made-up servers (never contacted)\n";
$made_up = [];
for ($i = 1; $i <= 130; $i++) { $made_up[] = sprintf('127.0.%d.%d:11211', 200 + intdiv($i, 250), $i % 250 + 1); }
$rows = rsmemcache_servers(implode(',', $made_up));
echo "rows: ", count($rows), ", shared: ", shared_rows($rows), "\n";

echo "-- a session on a server that refuses\n";
ini_set('session.save_path', MC_REFUSED);
session_id('claims' . bin2hex(random_bytes(8)));
var_dump(@session_start());
$row = rsmemcache_servers()[0];
echo "$row[state], shared ", var_export($row['shared'], true), "\n";

echo "-- a real server: own state until it answers, shared after\n";
ini_set('session.save_path', MC2);
echo "before: shared ", var_export(rsmemcache_servers()[0]['shared'], true), "\n";
session_id('claims' . bin2hex(random_bytes(8)));
var_dump(session_start());
$_SESSION['v'] = 1;
var_dump(session_write_close());
echo "after: shared ", var_export(rsmemcache_servers()[0]['shared'], true), "\n";
echo "the made-up servers still hold no slot: ", shared_rows(rsmemcache_servers(implode(',', $made_up))) === 0 ? 'yes' : 'no', "\n";
?>
--EXPECT--
-- 130 made-up servers (never contacted)
rows: 130, shared: 0
-- a session on a server that refuses
bool(false)
failed, shared false
-- a real server: own state until it answers, shared after
before: shared false
bool(true)
bool(true)
after: shared true
the made-up servers still hold no slot: yes
