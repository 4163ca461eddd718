--TEST--
hostile: a connection dropped mid-pipeline (commands executed upstream, replies withheld) neither makes a request wait for its own lock nor turns its own CAS write into a false conflict
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.retry_interval=0
rsmemcache.timeout=1000
rsmemcache.locking=1
rsmemcache.lock_expire=20
rsmemcache.lock_wait_time=3000
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
ob_start();
$proxy = hp_start(MC1);
ini_set('session.save_path', 'tcp://' . $proxy['addr'] . '?retry_interval=0');
hp_watch();
$id = hp_sid('drop');
$key = mc_key($id);
try {
    hp_put(MC1, $id, 'who|s:5:"owner";');
    session_id($id); session_start(); session_write_close();      // a pooled connection exists
    hp_msgs();

    echo "-- lock+read pipeline: only the lock add's reply relayed, then the connection closed\n";
    hp_rule($proxy, ['mode' => 'drop_after', 'after' => 1, 'match' => '/^ms ' . preg_quote("$key.lock", '/') . ' /', 'count' => 1]);
    session_id($id);
    $t0 = hrtime(true);
    $ok = session_start();
    $ms = h4_ms($t0);
    $msgs = hp_msgs();
    echo "proxy dropped: ", hp_fired($proxy, 'drop_after') === 1 ? 'yes' : 'NO', "\n";
    echo "session_start: ", var_export($ok, true), "\n";
    echo "read own data: ", ($_SESSION['who'] ?? null) === 'owner' ? 'yes' : 'no', "\n";
    echo "waited for its own lock (\"locked by another request\"): ", preg_grep('/locked by another request/', $msgs) ? 'YES' : 'no', "\n";
    echo "under 10 s: ", $ms < 10000 ? 'yes' : 'NO', "\n";
    if ($ok) {
        $_SESSION['step'] = 'a';
        echo "session_write_close: ", var_export(session_write_close(), true), "\n";
    }
    $msgs = array_merge($msgs, hp_msgs());
    echo "warnings: ", hp_summary($msgs, [$id]), "\n";
    echo "data landed: ", str_contains((string)mc_get(MC1, $key), 'step|s:1:"a"') ? 'yes' : 'no', "\n";
    echo "lock in memcached after close: ", hp_lock_left(MC1, $id), "\n";
    mc_delete(MC1, "$key.lock");

    echo "-- write pipeline: CAS write executed upstream, no reply relayed, connection closed\n";
    hp_rule($proxy, ['mode' => 'drop_after', 'after' => 0, 'match' => '/^ms ' . preg_quote($key, '/') . ' /', 'count' => 1]);
    session_id($id);
    $ok = session_start();
    echo "session_start: ", var_export($ok, true), "\n";
    $_SESSION['step'] = 'b';
    $closed = session_write_close();
    $msgs = hp_msgs();
    echo "proxy dropped: ", hp_fired($proxy, 'drop_after') === 2 ? 'yes' : 'NO', "\n";
    echo "session_write_close: ", var_export($closed, true), "\n";
    echo "false conflict (\"another request changed it\"): ", preg_grep('/another request changed it/', $msgs) ? 'YES' : 'no', "\n";
    echo "warnings: ", hp_summary($msgs, [$id]), "\n";
    echo "data landed: ", str_contains((string)mc_get(MC1, $key), 'step|s:1:"b"') ? 'yes' : 'no', "\n";
    echo "lock in memcached after close: ", hp_lock_left(MC1, $id), "\n";

    echo "-- afterwards, through the proxy (passing)\n";
    hp_rule($proxy, ['mode' => 'pass']);
    session_id($id);
    $t0 = hrtime(true);
    $ok = session_start();
    echo "session_start: ", var_export($ok, true), ", step: ", $_SESSION['step'] ?? '-', ", under 1 s: ", h4_ms($t0) < 1000 ? 'yes' : 'NO', "\n";
    session_write_close();
    echo "warnings: ", hp_summary(hp_msgs(), [$id]), "\n";
} finally {
    hp_stop($proxy);
    hp_forget($id);
}
ob_end_flush();
?>
--EXPECT--
-- lock+read pipeline: only the lock add's reply relayed, then the connection closed
proxy dropped: yes
session_start: true
read own data: yes
waited for its own lock ("locked by another request"): no
under 10 s: yes
session_write_close: true
warnings: none
data landed: yes
lock in memcached after close: EN
-- write pipeline: CAS write executed upstream, no reply relayed, connection closed
session_start: true
proxy dropped: yes
session_write_close: true
false conflict ("another request changed it"): no
warnings: none
data landed: yes
lock in memcached after close: EN
-- afterwards, through the proxy (passing)
session_start: true, step: b, under 1 s: yes
warnings: none
