--TEST--
hostile: a stray extra reply ("EN" after a VA, in the same write or 50 ms later) never makes a pooled connection serve another session's data
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
$ids = [];
for ($i = 0; $i < 4; $i++) { $ids[] = hp_sid("stray$i"); }
$who = static fn (string $id): string => 'who|s:' . strlen($id) . ':"' . $id . '";';

try {
    foreach ([0, 1] as $locking) {
        foreach (['same write' => 0, 'delayed 50 ms' => 50] as $variant => $delay) {
            ini_set('rsmemcache.locking', (string)$locking);
            foreach ($ids as $id) { hp_put(MC1, $id, $who($id)); }
            hp_rule($proxy, ['mode' => 'pass']);
            // one clean cycle first, so a pooled connection exists
            session_id($ids[0]); session_start(); session_write_close();
            hp_msgs();
            $before = hp_fired($proxy, 'stray');
            hp_rule($proxy, ['mode' => 'stray', 'code' => 'VA', 'delay_ms' => $delay, 'count' => 4]);
            $starts = $failed = $own = $foreign = $other = 0;
            $warnings = [];
            for ($round = 0; $round < 5; $round++) {
                foreach ($ids as $id) {
                    session_id($id);
                    $ok = session_start();
                    $starts++;
                    $got = $_SESSION['who'] ?? null;
                    if ($ok !== true) { $failed++; }
                    if ($got === $id) { $own++; }
                    elseif (in_array($got, $ids, true)) { $foreign++; }
                    elseif ($ok) { $other++; }
                    if ($ok) {
                        $_SESSION['seen'] = ($_SESSION['seen'] ?? 0) + 1;   // forces a write
                        session_write_close();
                    }
                    array_push($warnings, ...hp_msgs());
                }
            }
            hp_rule($proxy, ['mode' => 'pass']);
            $intact = 0;
            foreach ($ids as $id) {
                $raw = mc_get(MC1, mc_key($id));
                if ($raw !== null && str_starts_with($raw, $who($id))) { $intact++; }
            }
            $fired = hp_fired($proxy, 'stray') - $before;
            printf("locking=%d %s: stray fired: %s; starts %d, failed %d, own reads %d, FOREIGN READS %d, empty/other %d, stored data intact %d/4\n",
                $locking, $variant, $fired > 0 ? 'yes' : 'NO', $starts, $failed, $own, $foreign, $other, $intact);
            foreach (array_slice(array_unique($warnings), 0, 3) as $w) {
                echo "  warning: ", hp_summary([$w], $ids), "\n";
            }
            foreach ($ids as $id) { mc_delete(MC1, mc_lock_key($id)); }
        }
    }
} finally {
    hp_stop($proxy);
    hp_forget(...$ids);
}
ob_end_flush();
?>
--EXPECT--
locking=0 same write: stray fired: yes; starts 20, failed 0, own reads 20, FOREIGN READS 0, empty/other 0, stored data intact 4/4
locking=0 delayed 50 ms: stray fired: yes; starts 20, failed 0, own reads 20, FOREIGN READS 0, empty/other 0, stored data intact 4/4
locking=1 same write: stray fired: yes; starts 20, failed 0, own reads 20, FOREIGN READS 0, empty/other 0, stored data intact 4/4
locking=1 delayed 50 ms: stray fired: yes; starts 20, failed 0, own reads 20, FOREIGN READS 0, empty/other 0, stored data intact 4/4
