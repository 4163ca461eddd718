--TEST--
locking: 8 parallel processes x 25 locked read-increment-write cycles on one session count exactly 200
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
const WORKERS = 8;
const CYCLES = 25;

/** Runs WORKERS counter processes on a fresh session; returns [stored value, per-worker result lines, lock state]. */
function run_counter(string $tag, array $ini): array {
    $id = lk_sid($tag);
    $go = sys_get_temp_dir() . '/lk-go-' . $id;
    @unlink($go);
    $workers = [];
    for ($i = 0; $i < WORKERS; $i++) {
        $workers[$i] = lk_spawn('lock_counter.php', array_merge([lk_path(), $id, (string)CYCLES, $go], $ini));
    }
    foreach ($workers as $i => &$w) { lk_expect($w, 'ready'); }   // every worker is up before any starts
    unset($w);
    touch($go);
    $results = [];
    foreach ($workers as $i => &$w) {
        $r = lk_finish($w, 120);
        $results[] = implode(' | ', array_slice($w['lines'], 1))   // the lines after "ready"
            . ($r['err'] !== '' ? ' stderr: ' . trim($r['err']) : '') . " exit={$r['code']}";
    }
    unset($w);
    unlink($go);
    $raw = mc_get(lk_home($id), lc_key($id));
    $lock = lk_lock_state($id);
    lk_forget($id);
    return [$raw, $results, $lock];
}

echo "-- locking=1\n";
[$raw, $results, $lock] = run_counter('cnt', ['rsmemcache.locking=1']);
var_dump($raw);
echo implode("\n", array_count_values($results) === [sprintf('done ok=%d failed=0 exit=0', CYCLES) => WORKERS]
    ? ['every worker: done ok=25 failed=0 exit=0'] : $results), "\n";
echo $lock, "\n";

echo "-- locking=0 (may lose updates; not asserted)\n";
[$raw, $results, $lock] = run_counter('cnt0', ['rsmemcache.locking=0']);
preg_match('/^n\|i:(\d+);$/', (string)$raw, $m);
var_dump(isset($m[1]) && $m[1] >= 1 && $m[1] <= WORKERS * CYCLES);
echo $lock, "\n";
?>
--EXPECT--
-- locking=1
string(8) "n|i:200;"
every worker: done ok=25 failed=0 exit=0
lock absent
-- locking=0 (may lose updates; not asserted)
bool(true)
lock absent
