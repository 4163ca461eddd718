--TEST--
secure: no warning or error-log line holds more than the first 6 characters of a session id: a lock wait that runs out (error and readonly, with the lock-wait log line), a write conflict, a read repair, a session too large, a copy that cannot be decoded, every server unreachable and a refused id each name the session by 6 characters; the warnings and the error log hold no 7 consecutive characters of any id used
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc';
$r = mc_raw(MC1, "stats settings\r\n", "/END\r\n$/");
if (!preg_match('/STAT item_size_max (\d+)/', $r, $m) || $m[1] > 1048576) { die('skip needs memcached started with -I 1m'); } ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
rsmemcache.lock_wait_time=300
rsmemcache.lock_wait_log=100
rsmemcache.retry_interval=0
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
require_once __DIR__ . '/lib/errlog.inc';
errlog_open();
ob_start();
$path = lk_path();
ini_set('session.save_path', $path);
$ids = [];
/** A fresh 32-character id for $tag, remembered for the final scan. */
function id_for(string $tag): string {
    global $ids;
    $id = substr('lg' . $tag . bin2hex(random_bytes(16)), 0, 32);
    return $ids[$tag] = $id;
}
$seen = [];
set_error_handler(function (int $no, string $msg) use (&$seen): bool { $seen[] = $msg; return true; });
/** Prints the warnings and log lines since the last call, each id shown as <tag>. */
function show(string $what): void {
    global $seen, $ids;
    $lines = array_merge(array_map(fn ($w) => "warning: $w", $seen), array_map(fn ($l) => "logged: $l", errlog_take()));
    $GLOBALS['all'] = array_merge($GLOBALS['all'] ?? [], $lines);
    $seen = [];
    echo "-- $what\n";
    foreach ($lines as $l) {
        foreach ($ids as $tag => $id) { $l = str_replace(substr($id, 0, 6) . '...', "<$tag>", $l); }
        $l = preg_replace(['/\d+ ms/', '/127\.0\.0\.1:\d+/', '/pid \d+ on \S+ for \S+/', '/unix ms \d+/', '/taken at \d+/', '/\(\d+ bytes\)/'], ['N ms', 'S', 'pid P on H for U', 'unix ms T', 'taken at T', '(N bytes)'], $l);
        echo "  $l\n";
    }
}
function start(string $id): bool { session_id($id); $_SESSION = []; return session_start(); }

// A lock held by someone else for the whole wait: error, then readonly.
$id = id_for('lock');
start($id); $_SESSION['v'] = 1; session_write_close();
mc_set(lk_home($id), lk_lock_key($id), 'held-by-another', 30);
start($id);
show('lock wait runs out (lock_failure=error)');
ini_set('rsmemcache.lock_failure', 'readonly');
start($id); $_SESSION['v'] = 2; session_write_close();
show('lock wait runs out (lock_failure=readonly), then a change');
ini_restore('rsmemcache.lock_failure');
mc_delete(lk_home($id), lk_lock_key($id));

// Another writer (one that does not lock) changes the copy between this
// request's read and write.
$id = id_for('cfl');
start($id); $_SESSION['v'] = 1; session_write_close();
start($id);
mc_set(lk_home($id), lc_key($id), 'v|i:9;');
$_SESSION['v'] = 2;
session_write_close();
show('write conflict');

// Two copies, one deleted: the read repairs it.
ini_set('rsmemcache.session_redundancy', '2');
$id = id_for('rep');
start($id); $_SESSION['v'] = 1; session_write_close();
$holders = mc_where(lc_key($id));
mc_delete($holders[0], lc_key($id));
start($id); session_write_close();
show('read repair');
ini_restore('rsmemcache.session_redundancy');

// A session over memcached's item size.
$id = id_for('big');
start($id); $_SESSION['v'] = 1; session_write_close();
start($id); $_SESSION['big'] = str_repeat('x', 2 * 1024 * 1024); session_write_close();
show('session too large');

// A copy with client flags rsmemcache does not know.
$id = id_for('bad');
mc_raw(lk_home($id), "ms " . lc_key($id) . " 3 F8 T60\r\nabc\r\n");
start($id);
show('copy that cannot be decoded');
mc_delete(lk_home($id), lc_key($id));

// No server reachable.
ini_set('session.save_path', MC_REFUSED . ',127.0.0.1:1');
$id = id_for('dead');
start($id);
show('every server unreachable');
ini_set('session.save_path', $path);

// An id refused before any server is asked (the key would be too long).
$id = id_for('long') . str_repeat('a', 230);
$ids['long'] = $id;
start($id);
show('refused id');

restore_error_handler();
$leaks = 0;
foreach ($GLOBALS['all'] as $l) {
    foreach ($ids as $id) {
        for ($i = 0; $i + 7 <= strlen($id); $i++) {
            if (str_contains($l, substr($id, $i, 7))) { $leaks++; echo "LEAK: $l\n"; break; }
        }
    }
}
echo count($GLOBALS['all']), " messages, ", $leaks, " holding 7 or more characters of a session id\n";
lk_forget(...array_values($ids));
ob_end_flush();
?>
--EXPECTF--
-- lock wait runs out (lock_failure=error)
  warning: session_start(): rsmemcache: session <lock> is locked by another request; gave up after waiting N ms (rsmemcache.lock_wait_time)
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
  logged: rsmemcache: session <lock>: waited N ms for its lock (then gave up), held by a request that left no details in the lock (compat mode or an older rsmemcache)
-- lock wait runs out (lock_failure=readonly), then a change
  warning: session_write_close(): rsmemcache: session <lock> was opened read-only because another request held its lock; changes not written
  warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
  logged: rsmemcache: session <lock>: waited N ms for its lock (then gave up), held by a request that left no details in the lock (compat mode or an older rsmemcache)
-- write conflict
  warning: session_write_close(): rsmemcache: session <cfl> not written: another request changed it after this request read it (this request's lock expires after rsmemcache.lock_expire = 20 s; the other may not lock at all)
  warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
-- read repair
  logged: rsmemcache: session <rep>: read repair wrote version 1 to 1 stale or missing copy
-- session too large
  warning: session_write_close(): rsmemcache: session <big> not written (N bytes): server S stores at most 1048576 bytes per item (item_size_max); the previous copy is kept
  warning: session_write_close(): Failed to write session data (rsmemcache). Please verify that the current setting of session.save_path is correct (%s)
-- copy that cannot be decoded
  warning: session_start(): rsmemcache: session <bad> on server S cannot be read: %s; the stored copy is left as it is
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
-- every server unreachable
  warning: session_start(): rsmemcache: session <dead>: no memcached server reachable (2 tried); last error: server S: connect failed: Connection refused (os error 111)
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
  logged: rsmemcache: server S: connect failed: Connection refused (os error 111); the server is skipped for 0 s
  logged: rsmemcache: server S: connect failed: Connection refused (os error 111); the server is skipped for 0 s
-- refused id
  warning: session_start(): rsmemcache: session id '<long>' refused: key would be %d bytes, memcached allows 250
  warning: session_start(): Failed to read session data: rsmemcache (path: %s)
%d messages, 0 holding 7 or more characters of a session id
