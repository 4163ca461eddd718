--TEST--
hostile: a reply carrying another key (mg X rewritten to mg Y by a proxy) is a protocol error, never Y's session served as X's
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.retry_interval=0
rsmemcache.timeout=500
rsmemcache.lock_wait_time=2000
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
ob_start();
$proxy = hp_start(MC1);
ini_set('session.save_path', 'tcp://' . $proxy['addr'] . '?retry_interval=0');
hp_watch();
$x = hp_sid('fkx');
$y = hp_sid('fky');
$who = static fn (string $id): string => 'who|s:' . strlen($id) . ':"' . $id . '";';
try {
    foreach ([0, 1] as $locking) {
        echo "-- locking=$locking\n";
        ini_set('rsmemcache.locking', (string)$locking);
        hp_put(MC1, $x, $who($x));
        hp_put(MC1, $y, $who($y));
        hp_rule($proxy, ['mode' => 'pass']);
        session_id($x); session_start(); session_write_close();      // a pooled connection exists
        hp_msgs();
        hp_rule($proxy, ['mode' => 'foreign_key', 'match' => '/^mg ' . preg_quote(mc_key($x), '/') . ' /',
                         'to' => mc_key($y), 'count' => 1]);
        session_id($x);
        $ok = session_start();
        $msgs = hp_msgs();
        echo "proxy rewrote mg X to mg Y: ", hp_fired($proxy, 'foreign_key') === $locking + 1 ? 'yes' : 'NO', "\n";
        echo "session_start: ", var_export($ok, true), "\n";
        echo "protocol error warning: ", preg_grep('/rsmemcache: .*protocol error/', $msgs) ? 'yes' : 'no', "\n";
        echo "session shows Y's data: ", ($_SESSION['who'] ?? null) === $y ? 'YES' : 'no', "\n";
        if ($ok) { session_write_close(); }
        hp_msgs();
        echo "stored X still X's: ", str_starts_with((string)mc_get(MC1, mc_key($x)), $who($x)) ? 'yes' : 'NO', "\n";
        echo "stored Y still Y's: ", str_starts_with((string)mc_get(MC1, mc_key($y)), $who($y)) ? 'yes' : 'NO', "\n";
        echo "lock of X left: ", hp_lock_left(MC1, $x), "\n";
        // the proxy passes again (count spent)
        session_id($x);
        $ok = session_start();
        echo "again: session_start ", var_export($ok, true), ", reads own data: ",
            ($_SESSION['who'] ?? null) === $x ? 'yes' : 'no', ", warnings: ", hp_summary(hp_msgs(), [$x, $y]), "\n";
        if ($ok) { session_write_close(); }
        hp_forget($x, $y);
    }
} finally {
    hp_stop($proxy);
    hp_forget($x, $y);
}
ob_end_flush();
?>
--EXPECT--
-- locking=0
proxy rewrote mg X to mg Y: yes
session_start: false
protocol error warning: yes
session shows Y's data: no
stored X still X's: yes
stored Y still Y's: yes
lock of X left: EN
again: session_start true, reads own data: yes, warnings: none
-- locking=1
proxy rewrote mg X to mg Y: yes
session_start: false
protocol error warning: yes
session shows Y's data: no
stored X still X's: yes
stored Y still Y's: yes
lock of X left: EN
again: session_start true, reads own data: yes, warnings: none
