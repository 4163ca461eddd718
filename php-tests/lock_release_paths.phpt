--TEST--
locking: the lock is released at once by read_and_close, session_abort(), session_destroy(), session_regenerate_id(true/false), session_write_close() and a fatal error
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
ob_start(); // keep headers unsent: session_regenerate_id() refuses to run after output
ini_set('session.save_path', lk_path());
$ids = [];

/** A fresh session holding who=seed (written and unlocked). */
function seeded(string $tag): string {
    global $ids;
    $ids[] = $id = lk_sid($tag);
    session_id($id);
    session_start();
    $_SESSION['who'] = 'seed';
    session_write_close();
    return $id;
}
function data(string $id): string {
    return var_export(mc_get(lk_home($id), lc_key($id)), true);
}

echo "-- read_and_close\n";
$id = seeded('rac');
session_id($id);
var_dump(session_start(['read_and_close' => true]));
echo lk_lock_state($id), ", data ", data($id), ", \$_SESSION ", json_encode($_SESSION), "\n";

echo "-- session_write_close()\n";
$id = seeded('wc');
session_id($id);
session_start();
echo "after start: ", lk_lock_state($id), "\n";
$_SESSION['who'] = 'wc';
var_dump(session_write_close());
echo "after close: ", lk_lock_state($id), ", data ", data($id), "\n";

echo "-- session_write_close() of an unchanged session (lazy_write touch)\n";
session_id($id);
session_start();
echo "after start: ", lk_lock_state($id), "\n";
var_dump(session_write_close());
echo "after close: ", lk_lock_state($id), ", data ", data($id), "\n";

echo "-- session_abort()\n";
$id = seeded('abort');
session_id($id);
session_start();
echo "after start: ", lk_lock_state($id), "\n";
$_SESSION['who'] = 'aborted';
var_dump(session_abort());
echo "after abort: ", lk_lock_state($id), ", data ", data($id), "\n";

echo "-- session_destroy()\n";
$id = seeded('destroy');
session_id($id);
session_start();
echo "after start: ", lk_lock_state($id), "\n";
var_dump(session_destroy());
echo "after destroy: ", lk_lock_state($id), ", data ", data($id), "\n";

foreach ([true, false] as $deleteOld) {
    echo "-- session_regenerate_id(", var_export($deleteOld, true), ")\n";
    $old = seeded('regen' . (int)$deleteOld);
    session_id($old);
    session_start();
    echo "after start: old ", lk_lock_state($old), "\n";
    $_SESSION['who'] = 'regen';
    var_dump(session_regenerate_id($deleteOld));
    $ids[] = $new = session_id();
    echo "after regenerate: old ", lk_lock_state($old), ", old data ", data($old), "\n";
    echo "after regenerate: new ", lk_lock_state($new), "\n";
    var_dump(session_write_close());
    echo "after close: new ", lk_lock_state($new), ", new data ", data($new), "\n";
}

echo "-- fatal error in a child after session_start()\n";
$id = seeded('fatal');
$child = lk_spawn('lock_session.php', [lk_path(), $id]);
lk_send($child, 'start');
lk_send($child, 'set who fatal');
echo "child: ", explode(' ms=', lk_expect($child, 'start', true))[0], "\n";
lk_expect($child, 'set');
echo "while the child runs: ", lk_lock_state($id), "\n";
lk_send($child, 'fatal');
$r = lk_finish($child);
foreach ($r['out'] as $l) {
    if (str_contains($l, 'Fatal error')) { echo "child: ", preg_replace('/ in \S+(:\d+| on line \d+).*/', '', trim($l)), "\n"; }
    elseif (str_starts_with($l, 'warning')) { echo "child: ", str_replace([$id, substr($id, 0, 6) . '...'], '<ID>', $l), "\n"; }
}
echo "child exit code: {$r['code']}\n";
echo "after the child exited: ", lk_lock_state($id), ", data ", data($id), "\n";

lk_forget(...$ids);
?>
--EXPECT--
-- read_and_close
bool(true)
lock absent, data 'who|s:4:"seed";', $_SESSION {"who":"seed"}
-- session_write_close()
after start: lock held
bool(true)
after close: lock absent, data 'who|s:2:"wc";'
-- session_write_close() of an unchanged session (lazy_write touch)
after start: lock held
bool(true)
after close: lock absent, data 'who|s:2:"wc";'
-- session_abort()
after start: lock held
bool(true)
after abort: lock absent, data 'who|s:4:"seed";'
-- session_destroy()
after start: lock held
bool(true)
after destroy: lock absent, data NULL
-- session_regenerate_id(true)
after start: old lock held
bool(true)
after regenerate: old lock absent, old data NULL
after regenerate: new lock held
bool(true)
after close: new lock absent, new data 'who|s:5:"regen";'
-- session_regenerate_id(false)
after start: old lock held
bool(true)
after regenerate: old lock absent, old data 'who|s:5:"regen";'
after regenerate: new lock held
bool(true)
after close: new lock absent, new data 'who|s:5:"regen";'
-- fatal error in a child after session_start()
child: start true
while the child runs: lock held
child: Fatal error: Uncaught Error: Call to undefined function lk_this_function_does_not_exist()
child exit code: 255
after the child exited: lock absent, data 'who|s:5:"fatal";'
