<?php
/* Child process for the durable tombstone tests: a PHP process of its own
 * (no retry list inherited) reads session <id> with the durable tier on and
 * prints what it read, how many tombstones it honoured, and its log lines.
 * Usage: php durable_read_child.php <save_path> <prefix> <id> <key file or ''>
 */
[, $savePath, $prefix, $id, $keys] = $argv;
require __DIR__ . '/../durable.inc';
errlog_open();
ini_set('session.save_handler', 'rsmemcache');
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
ini_set('session.use_strict_mode', '0');
db_setup($prefix, explode(',', $savePath));
ini_set('rsmemcache.encryption_key_file', $keys);
$before = rsmemcache_stats()['tombstones_honoured'];
session_id($id);
session_start();
echo 'child read: ', json_encode($_SESSION), ', tombstones honoured: ', rsmemcache_stats()['tombstones_honoured'] - $before, "\n";
session_write_close();
foreach (errlog_take() as $l) {
    echo 'child logged: ', str_replace([$id, substr($id, 0, 6) . '...'], ['<id:full>', '<id>'], $l), "\n";
}
