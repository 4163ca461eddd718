--TEST--
hostile: ids given to session_id() (CRLF + command, blank, NUL, 300 bytes, path, other bytes) never reach memcached as keys or commands; canary and an existing session survive
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
display_errors=0
--FILE--
<?php
require __DIR__ . '/lib/failure.inc';
ob_start();
h4_watch();                      // warnings are printed below, escaped
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$canary = h4_canary_set('hostid');

// A real session that must survive whatever follows.
$good = h4_sid('hostgood');
session_id($good);
session_start();
$_SESSION['keep'] = 'me';
session_write_close();
$goodCopy = mc_get(mc_where(mc_key($good))[0], mc_key($good));

$evil = PREFIX . h4_sid('hostevil');          // what an injected "ms" line would create
$ids = [
    "abc\r\nflush_all",
    "abc\r\nflush_all\r\n",
    "abc\r\nmd " . mc_key($good),
    "abc\r\nms $evil 1 T0\r\nX",
    "a b",
    "abc\tdef",
    "x\x00y",
    str_repeat('a', 300),
    "../../etc",
    "abc;flush_all",
    "h4\xc3\xa9",
    "abc<script>",
];
foreach ($ids as $id) {
    $label = strtr($id, [mc_key($good) => '<good key>', $evil => '<evil key>']);
    echo "-- \"", h4_show(strlen($label) > 40 ? substr($label, 0, 40) . '...' : $label), "\"\n";
    session_id($id);
    $started = session_start();
    $now = session_id();
    $_SESSION['hostile'] = 'x';
    $closed = session_write_close();
    foreach (h4_msgs() as $m) { echo "  warning: ", h4_show(h4_norm(str_replace(mc_key($good), '<good key>', $m))), "\n"; }
    if ($started && $now !== $id) {
        echo "  PHP replaced the id with a new one: ", var_export((bool)preg_match('/^[a-z0-9]{32}$/', $now), true), "\n";
        session_id($now); session_start(); session_destroy();     // tidy up that new session
        h4_msgs();
    }
    printf("  start=%s close=%s leftovers=%s\n", var_export($started, true), var_export($closed, true),
        json_encode(h4_hostile_leftovers($id, PREFIX, [mc_key($good)])));
}
echo "-- after all\n";
echo "injected key: ", h4_absent($evil), "\n";
echo "existing session intact: ", var_export(mc_get(mc_where(mc_key($good))[0] ?? MC1, mc_key($good)) === $goodCopy, true), "\n";
echo "canary ", h4_canary_check($canary), "\n";
foreach (h4_servers() as $s) { mc_delete($s, mc_key($good)); }
--EXPECT--
-- "abc\r\nflush_all"
  PHP replaced the id with a new one: true
  start=true close=true leftovers=[]
-- "abc\r\nflush_all\r\n"
  PHP replaced the id with a new one: true
  start=true close=true leftovers=[]
-- "abc\r\nmd <good key>"
  PHP replaced the id with a new one: true
  start=true close=true leftovers=[]
-- "abc\r\nms <evil key> 1 T0\r\nX"
  PHP replaced the id with a new one: true
  start=true close=true leftovers=[]
-- "a b"
  PHP replaced the id with a new one: true
  start=true close=true leftovers=[]
-- "abc\tdef"
  PHP replaced the id with a new one: true
  start=true close=true leftovers=[]
-- "x\000y"
  warning: session_start(): rsmemcache: session id 'x\\x00y' refused: byte 0x00 at offset 1 is outside the session id alphabet [A-Za-z0-9,-]
  warning: session_start(): Failed to read session data: rsmemcache (path: MC1,MC2,MC3)
  start=false close=false leftovers=[]
-- "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."
  warning: session_start(): rsmemcache: session id 'aaaaaa...' refused: key would be 316 bytes, memcached allows 250
  warning: session_start(): Failed to read session data: rsmemcache (path: MC1,MC2,MC3)
  start=false close=false leftovers=[]
-- "../../etc"
  warning: session_start(): rsmemcache: session id '../../...' refused: byte 0x2e at offset 0 is outside the session id alphabet [A-Za-z0-9,-]
  warning: session_start(): Failed to read session data: rsmemcache (path: MC1,MC2,MC3)
  start=false close=false leftovers=[]
-- "abc;flush_all"
  warning: session_start(): rsmemcache: session id 'abc;fl...' refused: byte 0x3b at offset 3 is outside the session id alphabet [A-Za-z0-9,-]
  warning: session_start(): Failed to read session data: rsmemcache (path: MC1,MC2,MC3)
  start=false close=false leftovers=[]
-- "h4\303\251"
  warning: session_start(): rsmemcache: session id 'h4\\xc3\\xa9' refused: byte 0xc3 at offset 2 is outside the session id alphabet [A-Za-z0-9,-]
  warning: session_start(): Failed to read session data: rsmemcache (path: MC1,MC2,MC3)
  start=false close=false leftovers=[]
-- "abc<script>"
  PHP replaced the id with a new one: true
  start=true close=true leftovers=[]
-- after all
injected key: absent everywhere
existing session intact: true
canary intact on all servers
