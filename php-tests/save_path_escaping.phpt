--TEST--
save_path: control and non-ASCII bytes in an entry are escaped in the warning, long entries cut; nothing is stored
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
display_errors=0
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();            // warnings collected, printed below with raw bytes made visible
$canary = h4_canary_set('spesc');
$cases = [
    'tcp://127.0.0.1:1' . "\x01",
    "ho\x7fst:11211",
    "h\xc3\xb4st:11211",
    "unix:///tmp/rsmc\x01h4.sock",
    "tcp://127.0.0.1:11211?we\x1bight=1",
    'tcp://' . str_repeat('a', 300) . ':11211?bogus=1',
];
foreach ($cases as $bad) {
    echo "-- ", addcslashes($bad, "\0..\37\177..\377"), "\n";
    $sid = h4_sid('spesc');
    ini_set('session.save_path', MC1 . ',' . $bad);
    session_id($sid);
    var_dump(session_start());
    foreach (h4_msgs() as $m) {
        if (str_contains($m, 'rsmemcache: ')) { echo addcslashes($m, "\0..\37\177..\377"), "\n"; }
    }
    echo "key ", h4_absent(mc_key($sid)), "\n";
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
-- tcp://127.0.0.1:1\001
bool(false)
session_start(): rsmemcache: invalid session.save_path entry 'tcp://127.0.0.1:1\x01': port '1\x01' must be 1-65535
key absent everywhere
-- ho\177st:11211
bool(false)
session_start(): rsmemcache: invalid session.save_path entry 'ho\x7fst:11211': host may contain only letters, digits, '.', '-' and '_'
key absent everywhere
-- h\303\264st:11211
bool(false)
session_start(): rsmemcache: invalid session.save_path entry 'h\xc3\xb4st:11211': host may contain only letters, digits, '.', '-' and '_'
key absent everywhere
-- unix:///tmp/rsmc\001h4.sock
bool(false)
session_start(): rsmemcache: invalid session.save_path entry 'unix:///tmp/rsmc\x01h4.sock': control character in socket path
key absent everywhere
-- tcp://127.0.0.1:11211?we\033ight=1
bool(false)
session_start(): rsmemcache: invalid session.save_path entry 'tcp://127.0.0.1:11211?we\x1bight=1': unknown parameter 'we\x1bight' (known: weight, timeout, retry_interval, persistent, udp_port)
key absent everywhere
-- tcp://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:11211?bogus=1
bool(false)
session_start(): rsmemcache: invalid session.save_path entry 'tcp://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': unknown parameter 'bogus' (known: weight, timeout, retry_interval, persistent, udp_port)
key absent everywhere
canary intact on all servers
