--TEST--
save_path: a server listed twice (in either grammar) is refused by name; nothing is stored
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
$canary = h4_canary_set('spdup');
[$host, $port] = explode(':', MC1);
$cases = [
    MC1 . ',' . MC1,
    MC1 . ' ' . MC1,
    MC1 . ', ' . MC2 . ', ' . MC1,
    'tcp://' . MC1 . ',' . MC1,                               // same address, both grammars
    MC1 . ':1,' . MC1 . ':2',                                 // different weights, same server
    'tcp://' . MC1 . '?weight=2 tcp://' . MC1 . '?weight=3',
    MC2 . ',tcp://' . MC1 . '?timeout=0.5,' . MC1,
];
foreach ($cases as $sp) {
    echo "-- ", h4_norm($sp), "\n";
    $sid = h4_sid('spdup');
    ini_set('session.save_path', $sp);
    session_id($sid);
    $started = session_start();
    $_SESSION['probe'] = 1;
    $closed = session_write_close();
    printf("start=%s close=%s rsmemcache-warnings=%d key %s\n",
        var_export($started, true), var_export($closed, true), h4_count_rsmc(h4_msgs()), h4_absent(mc_key($sid)));
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- MC1,MC1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1': server listed twice
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- MC1 MC1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1': server listed twice
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1 MC1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- MC1, MC2, MC1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1': server listed twice
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1, MC2, MC1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC1,MC1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1': server listed twice
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: tcp://MC1,MC1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- MC1:1,MC1:2
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1:2': server listed twice
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1:1,MC1:2)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC1?weight=2 tcp://MC1?weight=3
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC1?weight=3': server listed twice
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: tcp://MC1?weight=2 tcp://MC1?weight=3)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- MC2,tcp://MC1?timeout=0.5,MC1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC1': server listed twice
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC2,tcp://MC1?timeout=0.5,MC1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
canary intact on all servers
