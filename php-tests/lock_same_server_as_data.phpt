--TEST--
locking: with 3 servers the lock key lives on the session's own server (30 sessions, checked while each lock is held), with the lock_expire TTL, a 32-hex token and this process as its holder
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.lock_expire=7
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
ini_set('session.save_path', lk_path());
$ok = 0;
$used = [];
$ids = [];
$tokens = [];
for ($i = 0; $i < 30; $i++) {
    $ids[] = $id = lk_sid("srv$i");
    session_id($id);
    session_start();
    $_SESSION['i'] = $i;
    session_write_close();                      // the data now exists

    session_id($id);
    session_start();                            // the lock is held from here to the close
    $dataAt = mc_where(lc_key($id));
    $lockAt = mc_where(lk_lock_key($id));
    $token = $lockAt ? mc_get($lockAt[0], lk_lock_key($id)) : null;
    $meta = $lockAt ? mc_meta($lockAt[0], lk_lock_key($id)) : null;
    $good = $dataAt === [lk_home($id)] && $lockAt === $dataAt
        && preg_match('/^[0-9a-f]{32} \d+ \d+ 7 \S+ ' . getmypid() . ' \d+ \S+$/', (string)$token) && !isset($tokens[$token])
        && lc_ttl_ok($meta, 7);
    if ($good) { $ok++; $used[$dataAt[0]] = true; $tokens[$token] = true; }
    else { echo "session $i: data on ", h4_norm(implode(',', $dataAt)), ", lock on ", h4_norm(implode(',', $lockAt)), ", token ", var_export($token, true), ", meta ", json_encode($meta), "\n"; }
    session_write_close();
    if (mc_where(lk_lock_key($id))) { echo "session $i: lock left after close\n"; }
}
echo "$ok of 30 locks on their data's server, with a fresh 32-hex token, a 7 s TTL and this PID\n";
echo "servers used: ", count($used) >= 2 ? 'more than one' : count($used), "\n";
lk_forget(...$ids);
?>
--EXPECT--
30 of 30 locks on their data's server, with a fresh 32-hex token, a 7 s TTL and this PID
servers used: more than one
