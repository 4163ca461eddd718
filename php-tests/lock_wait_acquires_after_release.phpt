--TEST--
locking: a waiter with a generous lock_wait_time takes the lock right after the holder releases it and reads the holder's write
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
ini_set('session.save_path', lk_path());
$id = lk_sid('acq');
$home = lk_home($id);

$holder = lk_spawn('lock_session.php', [lk_path(), $id]);
lk_send($holder, 'start');
echo "holder: ", explode(' ms=', lk_expect($holder, 'start', true))[0], "\n";
echo "holder's ", lk_lock_state($id), "\n";

// The waiter starts; it is known to be polling once its add attempts show
// up in the home server's set counter (each poll is one `ms ... ME`).
$sets = (int)lk_stats($home)['cmd_set'];
$waiter = lk_spawn('lock_session.php', [lk_path(), $id, 'rsmemcache.lock_wait_time=20000']);
lk_send($waiter, 'start');
lk_send($waiter, 'data');
lk_send($waiter, 'close');
lk_wait_until(static fn () => (int)lk_stats($home)['cmd_set'] >= $sets + 4, 15, 'the waiter polling the lock');
echo "waiter polling\n";

lk_send($holder, 'set who holder');
lk_send($holder, 'close');
preg_match('/^close true t=(\d+)$/', lk_expect($holder, 'close', true), $rel) or print("holder close failed\n");
$r = lk_finish($holder);
if ($r['out'] || $r['code'] !== 0) { echo "holder: ", implode(' | ', $r['out']), " exit={$r['code']}\n"; }

$start = lk_expect($waiter, 'start', true);
preg_match('/^start (\w+) ms=(\d+) t0=(\d+) t1=(\d+)$/', $start, $w);
echo "waiter start: $w[1]\n";
$handoff = lk_ms_between((int)$rel[1], (int)$w[4]);
echo "waiter began before the release: ", var_export((int)$w[3] < (int)$rel[1], true), "\n";
echo "waiter returned after the release: ", var_export($handoff > 0, true), "\n";
echo "within 250 ms of the release: ", var_export($handoff < 250, true), ($handoff < 250 ? '' : " ($handoff ms)"), "\n";
$r = lk_finish($waiter);
echo "waiter: ", implode(' | ', array_map(static fn ($l) => preg_replace('/ t=\d+/', '', $l), $r['out'])), "\n";
echo "stored: ", mc_get($home, lc_key($id)), "\n";
echo lk_lock_state($id), "\n";
lk_forget($id);
?>
--EXPECT--
holder: start true
holder's lock held
waiter polling
waiter start: true
waiter began before the release: true
waiter returned after the release: true
within 250 ms of the release: true
waiter: data {"who":"holder"} | close true
stored: who|s:6:"holder";
lock absent
