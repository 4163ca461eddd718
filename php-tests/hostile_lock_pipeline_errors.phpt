--TEST--
hostile: an error reply inside the lock+read pipeline (SERVER_ERROR on the lock add or the read, "VA -1" on the read, a lock add answered without its CAS) leaves no lock item behind; the next request takes the lock at once
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
rsmemcache.lock_wait_time=5000
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
ob_start();
$proxy = hp_start(MC1);
$viaProxy = 'tcp://' . $proxy['addr'] . '?retry_interval=0';
hp_watch();
$ids = [];
try {
    $cases = [
        'SERVER_ERROR on the lock add' => static fn ($key) => ['mode' => 'server_error', 'match' => '/^ms ' . preg_quote("$key.lock", '/') . ' /'],
        'SERVER_ERROR on the read' => static fn ($key) => ['mode' => 'server_error', 'match' => '/^mg ' . preg_quote($key, '/') . ' (.* )?v( |$)/'],
        'VA -1 on the read' => static fn ($key) => ['mode' => 'negative_length', 'match' => '/^mg ' . preg_quote($key, '/') . ' (.* )?v( |$)/'],
        'lock add answered without c<cas>' => static fn ($key) => ['mode' => 'no_cas', 'match' => '/^ms ' . preg_quote("$key.lock", '/') . ' /'],
    ];
    $n = 0;
    foreach ($cases as $label => $rule) {
        $id = $ids[] = hp_sid('lpe' . $n++);
        $key = mc_key($id);
        hp_put(MC1, $id, 'who|s:5:"owner";');
        echo "-- $label\n";
        hp_rule($proxy, ['mode' => 'pass']);
        ini_set('session.save_path', $viaProxy);
        session_id($id); session_start(); session_write_close();    // a pooled connection exists
        hp_msgs();
        $mode = $rule($key)['mode'];
        $before = hp_fired($proxy, $mode);
        hp_rule($proxy, $rule($key) + ['count' => 1]);
        session_id($id);
        $ok = session_start();
        if ($ok) {
            $_SESSION['seen'] = 1;
            session_write_close();
        }
        $msgs = hp_msgs();
        echo "proxy fired: ", hp_fired($proxy, $mode) === $before + 1 ? 'yes' : 'NO', "\n";
        echo "lock item in memcached after the request: ", hp_lock_left(MC1, $id), "\n";
        echo "stored data still readable: ", str_starts_with((string)mc_get(MC1, $key), 'who|s:5:"owner";') ? 'yes' : 'NO', "\n";
        // the next request, straight to memcached (no proxy)
        ini_set('session.save_path', MC1);
        session_id($id);
        $t0 = hrtime(true);
        $ok2 = session_start();
        $ms = h4_ms($t0);
        $msgs2 = hp_msgs();
        echo "next request: session_start ", var_export($ok2, true),
            ", reads own data: ", ($_SESSION['who'] ?? null) === 'owner' ? 'yes' : 'no',
            ", \"locked by another request\": ", preg_grep('/locked by another request/', $msgs2) ? 'YES' : 'no',
            ", under 1 s: ", $ms < 1000 ? 'yes' : 'NO', "\n";
        if ($ok2) { session_write_close(); }
        $msgs2 = array_merge($msgs2, hp_msgs());
        if ($msgs2) { echo "  next request's warnings: ", hp_summary($msgs2, [$id]), "\n"; }
        mc_delete(MC1, "$key.lock");
    }
} finally {
    hp_stop($proxy);
    hp_forget(...$ids);
}
ob_end_flush();
?>
--EXPECT--
-- SERVER_ERROR on the lock add
proxy fired: yes
lock item in memcached after the request: EN
stored data still readable: yes
next request: session_start true, reads own data: yes, "locked by another request": no, under 1 s: yes
-- SERVER_ERROR on the read
proxy fired: yes
lock item in memcached after the request: EN
stored data still readable: yes
next request: session_start true, reads own data: yes, "locked by another request": no, under 1 s: yes
-- VA -1 on the read
proxy fired: yes
lock item in memcached after the request: EN
stored data still readable: yes
next request: session_start true, reads own data: yes, "locked by another request": no, under 1 s: yes
-- lock add answered without c<cas>
proxy fired: yes
lock item in memcached after the request: EN
stored data still readable: yes
next request: session_start true, reads own data: yes, "locked by another request": no, under 1 s: yes
