--TEST--
ini: a bad rsmemcache.prefix (blank, control, non-ASCII, > 200 bytes) is refused by name at session_start; nothing is stored
--SKIPIF--
<?php require __DIR__.'/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
--FILE--
<?php
require __DIR__ . '/failure.inc';
ob_start();
h4_watch(true);
$canary = h4_canary_set('inipfx');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$bad = ['h4 pfx.', "h4\tpfx.", "h4\npfx.", "h4\rpfx.", "h4\x7fpfx.", "h4\xc3\xa9pfx.", str_repeat('p', 201)];
foreach ($bad as $prefix) {
    echo "-- rsmemcache.prefix=\"", addcslashes($prefix, "\0..\37\177..\377"), "\"\n";
    ini_set('rsmemcache.prefix', $prefix);
    $sid = h4_sid('inipfx');
    session_id($sid);
    $started = session_start();
    $_SESSION['probe'] = 1;
    $closed = session_write_close();
    // Where a lenient handler would have put it: under the default prefix, the
    // prefix cut at its first bad byte, or no prefix at all.
    $cut = substr($prefix, 0, strcspn($prefix, " \t\r\n\x00\x7f\xc3"));
    $keys = array_unique([PREFIX . $sid, substr($cut, 0, 200) . $sid, $sid]);
    $found = array_filter($keys, fn ($k) => mc_where($k) !== []);
    printf("start=%s close=%s rsmemcache-warnings=%d stored: %s\n", var_export($started, true),
        var_export($closed, true), h4_count_rsmc(h4_msgs()), $found ? implode(', ', $found) : 'nowhere');
    foreach ($found as $k) { foreach (h4_servers() as $s) { mc_delete($s, $k); } }   // leave nothing behind
}
echo "-- rsmemcache.prefix of exactly 200 bytes is allowed\n";
ini_set('rsmemcache.prefix', $p200 = str_repeat('p', 200));
h4_attempt('ip', $p200);
echo "-- empty rsmemcache.prefix is allowed (key = id)\n";
ini_set('rsmemcache.prefix', '');
h4_attempt('inipfx', '');
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- rsmemcache.prefix="h4 pfx."
Warning: session_start(): rsmemcache: invalid value 'h4 pfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 stored: nowhere
-- rsmemcache.prefix="h4\tpfx."
Warning: session_start(): rsmemcache: invalid value 'h4\x09pfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 stored: nowhere
-- rsmemcache.prefix="h4\npfx."
Warning: session_start(): rsmemcache: invalid value 'h4\npfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 stored: nowhere
-- rsmemcache.prefix="h4\rpfx."
Warning: session_start(): rsmemcache: invalid value 'h4\rpfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 stored: nowhere
-- rsmemcache.prefix="h4\177pfx."
Warning: session_start(): rsmemcache: invalid value 'h4\x7fpfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 stored: nowhere
-- rsmemcache.prefix="h4\303\251pfx."
Warning: session_start(): rsmemcache: invalid value 'h4\xc3\xa9pfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 stored: nowhere
-- rsmemcache.prefix="ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
Warning: session_start(): rsmemcache: invalid value 'pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp...' for rsmemcache.prefix: longer than 200 bytes, leaving too little room for the session id
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2,MC3)
start=false close=false rsmemcache-warnings=1 stored: nowhere
-- rsmemcache.prefix of exactly 200 bytes is allowed
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- empty rsmemcache.prefix is allowed (key = id)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
