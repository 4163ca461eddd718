--TEST--
ini: a bad rsmemcache.prefix (blank, control, non-ASCII, > 200 bytes) is refused by name at ini_set(); the old prefix stays and nothing is stored under the bad one
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch(true);
$canary = h4_canary_set('inipfx');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$bad = ['h4 pfx.', "h4\tpfx.", "h4\npfx.", "h4\rpfx.", "h4\x7fpfx.", "h4\xc3\xa9pfx.", str_repeat('p', 201)];
foreach ($bad as $prefix) {
    echo "-- rsmemcache.prefix=\"", addcslashes($prefix, "\0..\37\177..\377"), "\"\n";
    $result = ini_set('rsmemcache.prefix', $prefix);
    h4_msgs();   // the ini_set() warning, printed above: count only session_start()'s below
    printf("ini_set: %s; prefix now %s\n", var_export($result, true), json_encode(ini_get('rsmemcache.prefix')));
    $sid = h4_sid('inipfx');
    session_id($sid);
    $started = session_start();
    $_SESSION['probe'] = 1;
    $closed = session_write_close();
    // Where a lenient handler would have put it: the prefix cut at its first
    // bad byte, or no prefix at all; the old (default) prefix is the right place.
    $cut = substr($prefix, 0, strcspn($prefix, " \t\r\n\x00\x7f\xc3"));
    $keys = array_unique([substr($cut, 0, 200) . $sid, $sid]);
    $found = array_filter($keys, fn ($k) => mc_where($k) !== []);
    printf("start=%s close=%s rsmemcache-warnings=%d under the old prefix: %s; elsewhere: %s\n", var_export($started, true),
        var_export($closed, true), h4_count_rsmc(h4_msgs()), count(mc_where(mc_key($sid))) === 1 ? 'stored on 1 server' : h4_absent(mc_key($sid)),
        $found ? 'FOUND' : 'nowhere');
    foreach (array_merge($keys, [mc_key($sid)]) as $k) { foreach (h4_servers() as $s) { mc_delete($s, $k); } }   // leave nothing behind
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
Warning: ini_set(): rsmemcache: invalid value 'h4 pfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
ini_set: false; prefix now "rsmemcache.sess."
start=true close=true rsmemcache-warnings=0 under the old prefix: stored on 1 server; elsewhere: nowhere
-- rsmemcache.prefix="h4\tpfx."
Warning: ini_set(): rsmemcache: invalid value 'h4\x09pfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
ini_set: false; prefix now "rsmemcache.sess."
start=true close=true rsmemcache-warnings=0 under the old prefix: stored on 1 server; elsewhere: nowhere
-- rsmemcache.prefix="h4\npfx."
Warning: ini_set(): rsmemcache: invalid value 'h4\npfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
ini_set: false; prefix now "rsmemcache.sess."
start=true close=true rsmemcache-warnings=0 under the old prefix: stored on 1 server; elsewhere: nowhere
-- rsmemcache.prefix="h4\rpfx."
Warning: ini_set(): rsmemcache: invalid value 'h4\rpfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
ini_set: false; prefix now "rsmemcache.sess."
start=true close=true rsmemcache-warnings=0 under the old prefix: stored on 1 server; elsewhere: nowhere
-- rsmemcache.prefix="h4\177pfx."
Warning: ini_set(): rsmemcache: invalid value 'h4\x7fpfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
ini_set: false; prefix now "rsmemcache.sess."
start=true close=true rsmemcache-warnings=0 under the old prefix: stored on 1 server; elsewhere: nowhere
-- rsmemcache.prefix="h4\303\251pfx."
Warning: ini_set(): rsmemcache: invalid value 'h4\xc3\xa9pfx.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
ini_set: false; prefix now "rsmemcache.sess."
start=true close=true rsmemcache-warnings=0 under the old prefix: stored on 1 server; elsewhere: nowhere
-- rsmemcache.prefix="ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
Warning: ini_set(): rsmemcache: invalid value 'pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp...' for rsmemcache.prefix: longer than 200 bytes, leaving too little room for the session id
ini_set: false; prefix now "rsmemcache.sess."
start=true close=true rsmemcache-warnings=0 under the old prefix: stored on 1 server; elsewhere: nowhere
-- rsmemcache.prefix of exactly 200 bytes is allowed
start=true close=true rsmemcache-warnings=0 key stored on 1 server
-- empty rsmemcache.prefix is allowed (key = id)
start=true close=true rsmemcache-warnings=0 key stored on 1 server
canary intact on all servers
