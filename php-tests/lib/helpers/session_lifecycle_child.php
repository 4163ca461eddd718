<?php
/* Child process for session_second_process.phpt: opens session <id> on
 * <save_path> with rsmemcache, prints what it read, adds 'child' => <marker>
 * and writes the session back.
 * Usage: php session_lifecycle_child.php <save_path> <id> <marker>
 */
[, $savePath, $id, $marker] = $argv;
ini_set('session.save_handler', 'rsmemcache');
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
ini_set('session.use_strict_mode', '1');   // the id must be known to the server
ini_set('session.save_path', $savePath);
session_id($id);
$started = session_start();
echo 'child pid differs: ', getmypid() !== (int) getenv('LC_PARENT_PID') ? 'yes' : 'no', "\n";
echo 'child started: ', var_export($started, true), "\n";
echo 'child kept id: ', var_export(session_id() === $id, true), "\n";
echo 'child read: ', json_encode($_SESSION), "\n";
$_SESSION['child'] = $marker;
echo 'child wrote: ', var_export(session_write_close(), true), "\n";
