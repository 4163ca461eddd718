--TEST--
save_path: empty or separator-only save_path is refused with the empty-save_path warning; nothing is stored
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.save_path=
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();
$canary = h4_canary_set('spempty');

// 1. save_path empty from the ini file.
$sid = h4_sid('spempty');
session_id($sid);
var_dump(session_start());
$_SESSION['probe'] = 1;
var_dump(session_write_close());
echo "rsmemcache warnings: ", h4_count_rsmc(h4_msgs()), "; key ", h4_absent(mc_key($sid)), "\n";

// 2. set at run time: only separators, whitespace.
foreach ([',', ',,,', ' , , ', '   ', "\t", " ,\t, "] as $sp) {
    echo "-- ", json_encode($sp), "\n";
    $sid = h4_sid('spempty');
    ini_set('session.save_path', $sp);
    session_id($sid);
    var_dump(session_start());
    $_SESSION['probe'] = 1;
    var_dump(session_write_close());
    echo "rsmemcache warnings: ", h4_count_rsmc(h4_msgs()), "; key ", h4_absent(mc_key($sid)), "\n";
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECTF--
Warning: session_start(): rsmemcache: session.save_path is empty: give at least one memcached server in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path: ) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
-- ","

Warning: session_start(): rsmemcache: session.save_path is empty: give at least one memcached server in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path: ,) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
-- ",,,"

Warning: session_start(): rsmemcache: session.save_path is empty: give at least one memcached server in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path: ,,,) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
-- " , , "

Warning: session_start(): rsmemcache: session.save_path is empty: give at least one memcached server in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path:  , , ) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
-- "   "

Warning: session_start(): rsmemcache: session.save_path is empty: give at least one memcached server in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path:    ) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
-- "\t"

Warning: session_start(): rsmemcache: session.save_path is empty: give at least one memcached server in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path: 	) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
-- " ,\t, "

Warning: session_start(): rsmemcache: session.save_path is empty: give at least one memcached server in %s on line %d

Warning: session_start(): Failed to initialize storage module: rsmemcache (path:  ,	, ) in %s on line %d
bool(false)
bool(false)
rsmemcache warnings: 1; key absent everywhere
canary intact on all servers
