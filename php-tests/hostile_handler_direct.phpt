--TEST--
hostile: ids passed straight to the handler (SessionHandler::read/write/destroy, bypassing PHP's own id filter) are refused with a warning; nothing is sent
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
h4_watch();
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
$canary = h4_canary_set('hostdir');

// SessionHandler wraps the configured native handler (rsmemcache), and its
// methods hand the id to it unchanged.
$h = new SessionHandler();
session_set_save_handler($h, true);
$good = h4_sid('hostdgood');
session_id($good);
var_dump(session_start());
$_SESSION['keep'] = 'me';

$evil = PREFIX . h4_sid('hostdevil');
$ids = [
    "abc\r\nflush_all",
    "abc\r\nflush_all\r\n",
    "abc\r\nms $evil 1 T0\r\nX",
    "abc\r\nmd " . PREFIX . $good,
    "a b",
    "x\x00y",
    "",
    str_repeat('a', 300),
    "../../etc",
];
foreach ($ids as $id) {
    $label = strtr($id, [PREFIX . $good => '<good key>', $evil => '<evil key>']);
    echo "-- \"", h4_show(strlen($label) > 40 ? substr($label, 0, 40) . '...' : $label), "\"\n";
    $r = $h->read($id);
    $w = $h->write($id, "hostile|s:1:\"x\";");
    $d = $h->destroy($id);
    printf("  read=%s write=%s destroy=%s\n", var_export($r, true), var_export($w, true), var_export($d, true));
    $msgs = h4_msgs();
    $unique = array_unique(array_map(fn ($m) => preg_replace('/^SessionHandler::\w+\(\): /', '', $m), $msgs));
    printf("  %d warnings, all rsmemcache's: %s\n", count($msgs), var_export(h4_count_rsmc($msgs) === count($msgs), true));
    foreach ($unique as $m) { echo "  ", h4_show(strtr($m, [PREFIX . $good => '<good key>', $evil => '<evil key>'])), "\n"; }
    echo "  leftovers=", json_encode(h4_hostile_leftovers($id, PREFIX, [mc_key($good)])), "\n";
}
var_dump(session_write_close());
echo "-- after all\n";
echo "injected key: ", h4_absent($evil), "\n";
$where = mc_where(mc_key($good));
echo "real session stored on one server: ", var_export(count($where) === 1, true), "\n";
var_dump(mc_get($where[0] ?? MC1, mc_key($good)));
echo "canary ", h4_canary_check($canary), "\n";
foreach (h4_servers() as $s) { mc_delete($s, mc_key($good)); }
--EXPECT--
bool(true)
-- "abc\r\nflush_all"
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id 'abc\\r\\nf...' refused: byte 0x0d at offset 3 is outside the session id alphabet [A-Za-z0-9,-]
  leftovers=[]
-- "abc\r\nflush_all\r\n"
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id 'abc\\r\\nf...' refused: byte 0x0d at offset 3 is outside the session id alphabet [A-Za-z0-9,-]
  leftovers=[]
-- "abc\r\nms <evil key> 1 T0\r\nX"
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id 'abc\\r\\nm...' refused: byte 0x0d at offset 3 is outside the session id alphabet [A-Za-z0-9,-]
  leftovers=[]
-- "abc\r\nmd <good key>"
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id 'abc\\r\\nm...' refused: byte 0x0d at offset 3 is outside the session id alphabet [A-Za-z0-9,-]
  leftovers=[]
-- "a b"
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id 'a b' refused: byte 0x20 at offset 1 is outside the session id alphabet [A-Za-z0-9,-]
  leftovers=[]
-- "x\000y"
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id 'x\\x00y' refused: byte 0x00 at offset 1 is outside the session id alphabet [A-Za-z0-9,-]
  leftovers=[]
-- ""
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id '' refused: empty id
  leftovers=[]
-- "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id 'aaaaaa...' refused: key would be 316 bytes, memcached allows 250
  leftovers=[]
-- "../../etc"
  read=false write=false destroy=false
  3 warnings, all rsmemcache's: true
  rsmemcache: session id '../../...' refused: byte 0x2e at offset 0 is outside the session id alphabet [A-Za-z0-9,-]
  leftovers=[]
bool(true)
-- after all
injected key: absent everywhere
real session stored on one server: true
string(14) "keep|s:2:"me";"
canary intact on all servers
