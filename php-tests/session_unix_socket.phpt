--TEST--
session lifecycle: a session round trips through a memcached on a unix socket (unix:///path and /path forms)
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
if (MC_SOCKET === '') { die('skip RSMEMCACHE_TEST_SOCKET not set'); }
$c = @stream_socket_client('unix://' . MC_SOCKET, $e, $es, 1);
if (!$c) { die('skip memcached not reachable at ' . MC_SOCKET); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_maxlifetime=999
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();
foreach (['unix://' . MC_SOCKET, MC_SOCKET] as $n => $savePath) {
    ini_set('session.save_path', $savePath);
    $id = lc_sid("unixsock$n");
    $key = lc_key($id);
    session_id($id);
    var_dump(session_start());
    $_SESSION['via'] = "socket$n";
    var_dump(session_write_close());
    var_dump(lc_holders($key) === [MC_SOCKET]);          // on the socket server only, none of the TCP ones
    var_dump(mc_get(MC_SOCKET, $key));
    var_dump(lc_ttl_ok(mc_meta(MC_SOCKET, $key), 999));
    session_id($id);
    session_start();
    var_dump($_SESSION);
    session_destroy();
    var_dump(lc_holders($key));
}
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
string(18) "via|s:7:"socket0";"
bool(true)
array(1) {
  ["via"]=>
  string(7) "socket0"
}
array(0) {
}
bool(true)
bool(true)
bool(true)
string(18) "via|s:7:"socket1";"
bool(true)
array(1) {
  ["via"]=>
  string(7) "socket1"
}
array(0) {
}
