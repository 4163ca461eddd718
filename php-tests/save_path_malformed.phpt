--TEST--
save_path: every malformed entry is refused by name, even after a valid server; nothing is stored
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
ob_start();            // keep "headers" unsent so session ini can change between cases
h4_watch(true);
$canary = h4_canary_set('spmal');

// Each entry comes after a valid, reachable server (MC1): a parser that
// skipped the bad entry would start the session on MC1 and store it there.
$cases = [
    // ports
    '127.0.0.1:0', 'tcp://127.0.0.1:99999', '127.0.0.1:abc', 'tcp://127.0.0.1:', '127.0.0.1:-1', '127.0.0.1:+80',
    // schemes
    'udp://127.0.0.1:11211', 'UDP://127.0.0.1:11211', 'http://127.0.0.1:11211', 'memcached://127.0.0.1',
    // URL parameters (on the real server, so ignoring them would "work")
    'tcp://' . MC2 . '?bogus=1', 'tcp://' . MC2 . '?weight=1&bogus=1', 'tcp://' . MC2 . '?weight',
    'tcp://' . MC2 . '?weight=0', 'tcp://' . MC2 . '?weight=-1', 'tcp://' . MC2 . '?weight=abc', 'tcp://' . MC2 . '?weight=10001',
    'tcp://' . MC2 . '?timeout=abc', 'tcp://' . MC2 . '?timeout=0', 'tcp://' . MC2 . '?timeout=-1',
    'tcp://' . MC2 . '?timeout=inf', 'tcp://' . MC2 . '?timeout=NaN', 'tcp://' . MC2 . '?timeout=3601',
    'tcp://' . MC2 . '?retry_interval=-1', 'tcp://' . MC2 . '?persistent=yes', 'tcp://' . MC2 . '?udp_port=70000',
    MC2 . '?weight=2',
    // unix sockets
    'unix://relative', 'unix://', 'unix:///',
    // hosts
    'tcp://:11211', ':11211', 'tcp://', 'ho$t:11211', 'tcp://user@127.0.0.1:11211', 'tcp://ho/st:11211',
    // IPv6 brackets
    '[::1', 'tcp://[::1:11211', '[zz]:11211', '[]:11211', '[::1]x',
    // colons
    '127.0.0.1:11211:1:2', 'tcp://127.0.0.1:11211:2', '127.0.0.1:11211:abc', '127.0.0.1:11211:0:0',
];
foreach ($cases as $bad) {
    $sid = h4_sid('spmal');
    echo "-- ", h4_norm($bad), "\n";
    ini_set('session.save_path', MC1 . ',' . $bad);
    session_id($sid);
    $started = session_start();
    $_SESSION['probe'] = 'must not be stored';
    $closed = session_write_close();
    printf("start=%s close=%s rsmemcache-warnings=%d key %s\n",
        var_export($started, true), var_export($closed, true), h4_count_rsmc(h4_msgs()), h4_absent(mc_key($sid)));
}

// The same entry alone behaves the same way.
echo "-- alone: tcp://", h4_norm(MC2), "?weight=0\n";
$sid = h4_sid('spmal');
ini_set('session.save_path', 'tcp://' . MC2 . '?weight=0');
session_id($sid);
var_dump(session_start());
echo "key ", h4_absent(mc_key($sid)), "\n";

echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- 127.0.0.1:0
Warning: session_start(): rsmemcache: invalid session.save_path entry '127.0.0.1:0': port '0' must be 1-65535
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,127.0.0.1:0)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://127.0.0.1:99999
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://127.0.0.1:99999': port '99999' must be 1-65535
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://127.0.0.1:99999)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- 127.0.0.1:abc
Warning: session_start(): rsmemcache: invalid session.save_path entry '127.0.0.1:abc': port 'abc' must be 1-65535
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,127.0.0.1:abc)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://127.0.0.1:
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://127.0.0.1:': port '' must be 1-65535
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://127.0.0.1:)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- 127.0.0.1:-1
Warning: session_start(): rsmemcache: invalid session.save_path entry '127.0.0.1:-1': port '-1' must be 1-65535
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,127.0.0.1:-1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- 127.0.0.1:+80
Warning: session_start(): rsmemcache: invalid session.save_path entry '127.0.0.1:+80': port '+80' must be 1-65535
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,127.0.0.1:+80)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- udp://127.0.0.1:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'udp://127.0.0.1:11211': UDP is not supported for sessions; use tcp://
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,udp://127.0.0.1:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- UDP://127.0.0.1:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'UDP://127.0.0.1:11211': UDP is not supported for sessions; use tcp://
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,UDP://127.0.0.1:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- http://127.0.0.1:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'http://127.0.0.1:11211': unknown scheme 'http' (use tcp://, tls:// or unix://)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,http://127.0.0.1:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- memcached://127.0.0.1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'memcached://127.0.0.1': unknown scheme 'memcached' (use tcp://, tls:// or unix://)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,memcached://127.0.0.1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?bogus=1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?bogus=1': unknown parameter 'bogus' (known: weight, timeout, retry_interval, persistent, udp_port)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?bogus=1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?weight=1&bogus=1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?weight=1&bogus=1': unknown parameter 'bogus' (known: weight, timeout, retry_interval, persistent, udp_port)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?weight=1&bogus=1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?weight
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?weight': parameter 'weight' has no value
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?weight)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?weight=0
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?weight=0': weight '0' must be an integer 1-100
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?weight=0)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?weight=-1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?weight=-1': weight '-1' must be an integer 1-100
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?weight=-1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?weight=abc
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?weight=abc': weight 'abc' must be an integer 1-100
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?weight=abc)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?weight=10001
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?weight=10001': weight 10001 is above the maximum of 100
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?weight=10001)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?timeout=abc
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?timeout=abc': timeout must be seconds, > 0 and <= 3600 (e.g. timeout=0.5)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?timeout=abc)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?timeout=0
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?timeout=0': timeout must be seconds, > 0 and <= 3600 (e.g. timeout=0.5)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?timeout=0)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?timeout=-1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?timeout=-1': timeout must be seconds, > 0 and <= 3600 (e.g. timeout=0.5)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?timeout=-1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?timeout=inf
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?timeout=inf': timeout must be seconds, > 0 and <= 3600 (e.g. timeout=0.5)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?timeout=inf)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?timeout=NaN
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?timeout=NaN': timeout must be seconds, > 0 and <= 3600 (e.g. timeout=0.5)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?timeout=NaN)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?timeout=3601
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?timeout=3601': timeout must be seconds, > 0 and <= 3600 (e.g. timeout=0.5)
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?timeout=3601)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?retry_interval=-1
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?retry_interval=-1': retry_interval must be whole seconds, 0-86400
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?retry_interval=-1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?persistent=yes
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?persistent=yes': persistent must be 0 or 1
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?persistent=yes)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://MC2?udp_port=70000
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?udp_port=70000': udp_port must be 0-65535
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://MC2?udp_port=70000)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- MC2?weight=2
Warning: session_start(): rsmemcache: invalid session.save_path entry 'MC2?weight=2': parameters need the tcp://host:port?... form
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,MC2?weight=2)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- unix://relative
Warning: session_start(): rsmemcache: invalid session.save_path entry 'unix://relative': a unix socket needs an absolute path, e.g. unix:///run/memcached.sock
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,unix://relative)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- unix://
Warning: session_start(): rsmemcache: invalid session.save_path entry 'unix://': a unix socket needs an absolute path, e.g. unix:///run/memcached.sock
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,unix://)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- unix:///
Warning: session_start(): rsmemcache: invalid session.save_path entry 'unix:///': a unix socket needs an absolute path, e.g. unix:///run/memcached.sock
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,unix:///)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://:11211': missing host
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- :11211
Warning: session_start(): rsmemcache: invalid session.save_path entry ':11211': missing host
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://': missing host
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- ho$t:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'ho$t:11211': host may contain only letters, digits, '.', '-' and '_'
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,ho$t:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://user@127.0.0.1:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://user@127.0.0.1:11211': host may contain only letters, digits, '.', '-' and '_'
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://user@127.0.0.1:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://ho/st:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://ho/st:11211': host may contain only letters, digits, '.', '-' and '_'
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://ho/st:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- [::1
Warning: session_start(): rsmemcache: invalid session.save_path entry '[::1': missing ']' after IPv6 address
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,[::1)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://[::1:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://[::1:11211': missing ']' after IPv6 address
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://[::1:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- [zz]:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry '[zz]:11211': malformed IPv6 address
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,[zz]:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- []:11211
Warning: session_start(): rsmemcache: invalid session.save_path entry '[]:11211': malformed IPv6 address
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,[]:11211)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- [::1]x
Warning: session_start(): rsmemcache: invalid session.save_path entry '[::1]x': expected ':port' after ']'
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,[::1]x)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- 127.0.0.1:11211:1:2
Warning: session_start(): rsmemcache: invalid session.save_path entry '127.0.0.1:11211:1:2': too many ':' fields (expected host:port[:weight])
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,127.0.0.1:11211:1:2)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- tcp://127.0.0.1:11211:2
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://127.0.0.1:11211:2': use ?weight=N for a weight in a tcp:// URL
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,tcp://127.0.0.1:11211:2)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- 127.0.0.1:11211:abc
Warning: session_start(): rsmemcache: invalid session.save_path entry '127.0.0.1:11211:abc': weight 'abc' must be an integer 1-100
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,127.0.0.1:11211:abc)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- 127.0.0.1:11211:0:0
Warning: session_start(): rsmemcache: invalid session.save_path entry '127.0.0.1:11211:0:0': too many ':' fields (expected host:port[:weight])
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: MC1,127.0.0.1:11211:0:0)
start=false close=false rsmemcache-warnings=1 key absent everywhere
-- alone: tcp://MC2?weight=0
Warning: session_start(): rsmemcache: invalid session.save_path entry 'tcp://MC2?weight=0': weight '0' must be an integer 1-100
Warning: session_start(): Failed to initialize storage module: rsmemcache (path: tcp://MC2?weight=0)
bool(false)
key absent everywhere
canary intact on all servers
