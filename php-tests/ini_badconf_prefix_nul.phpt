--TEST--
ini: an rsmemcache.prefix with an embedded NUL byte is refused by ini_set(), not silently cut at the NUL; the old prefix stays
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
$canary = h4_canary_set('ipnul');
ini_set('session.save_path', MC1 . ',' . MC2 . ',' . MC3);
var_dump(ini_set('rsmemcache.prefix', "h4pfx.\x00evil."));
var_dump(ini_get('rsmemcache.prefix') === PREFIX);   // the old value stays
$sid = h4_sid('ipnul');
session_id($sid);
var_dump(session_start());
$_SESSION['probe'] = 1;
var_dump(session_write_close());
// A handler that read the value as a C string would have used the prefix "h4pfx.".
foreach (['h4pfx.' . $sid, mc_key($sid), $sid] as $k) {
    echo strtr($k, [key_id($sid) => '<id>', $sid => '<id>']), ": ", count(mc_where($k)) === 1 ? 'stored on 1 server' : h4_absent($k), "\n";
    foreach (h4_servers() as $s) { mc_delete($s, $k); }
}
echo "canary ", h4_canary_check($canary), "\n";
--EXPECT--
Warning: ini_set(): rsmemcache: invalid value 'h4pfx.\x00evil.' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key
bool(false)
bool(true)
bool(true)
bool(true)
h4pfx.<id>: absent everywhere
rsmemcache.sess.<id>: stored on 1 server
<id>: absent everywhere
canary intact on all servers
