--TEST--
secure: memcached ASCII authentication (-Y): right credentials work; wrong or missing ones are refused with a warning naming the server and no session data; with a second server the session fails over (logged); the password never shows in php --ri, phpinfo(), rsmemcache_servers(), warnings or the error log
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/secure.inc';
if ($why = sec_skip_reason(0, 2)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.retry_interval=15
--FILE--
<?php
require __DIR__ . '/lib/secure.inc';
require __DIR__ . '/lib/errlog.inc';
errlog_open();
ob_start();
$secret = 'pw-' . bin2hex(random_bytes(8));
[$pA, $pB] = sec_ports(0, 2);
$A = sec_start($pA, ['-Y', sec_file('memcached-auth', "farm:$secret\n")]);
$B = cl_start($pB);
$names = [$A['addr'] => 'A', $B['addr'] => 'B'];
$good = sec_file('client-good', "farm:$secret\n", 0600);
$bad = sec_file('client-bad', "farm:not-$secret\n", 0600);
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings): bool { $warnings[] = $msg; return true; });

/** One request: start session $id on $path with auth file $file, optionally set v, close; returns [started, data]. */
function request(string $path, string $file, string $id, ?string $set = null): array {
    ini_set('session.save_path', $path);
    ini_set('rsmemcache.auth_file', $file);
    session_id($id);
    $_SESSION = [];
    $ok = session_start();
    $data = $_SESSION;
    if ($ok && $set !== null) { $_SESSION['v'] = $set; }
    if ($ok) { session_write_close(); }
    return [$ok, $data];
}
function show(array &$warnings, array $names): void {
    foreach ($warnings as $w) { echo "  warning: ", preg_replace('/session \w+:/', 'session <id>:', cl_norm($w, $names)), "\n"; }
    foreach (errlog_take() as $l) { echo "  logged: ", preg_replace('/session \w+/', 'session <id>', cl_norm($l, $names)), "\n"; }
    $GLOBALS['all_text'] = ($GLOBALS['all_text'] ?? '') . implode("\n", $warnings);
    $warnings = [];
}

echo "-- right credentials, A only\n";
$id = 'secauth' . bin2hex(random_bytes(6));
[$ok] = request($A['addr'], $good, $id, 'alice');
echo "write: started ", var_export($ok, true), "\n";
[$ok, $data] = request($A['addr'], $good, $id);
echo "read: started ", var_export($ok, true), ", data ", json_encode($data), "\n";
show($warnings, $names);
$raw = sec_raw_auth($A['addr'], 'farm', $secret, "mg " . mc_key($id) . " v\r\nmn\r\n");
echo "stored on A (read with the credentials): ", var_export(str_contains($raw, 'alice'), true), "\n";
echo "A without credentials: ", trim(mc_raw($A['addr'], "mg " . mc_key($id) . " v\r\n")), "\n";

echo "-- wrong credentials, A only\n";
[$ok, $data] = request($A['addr'], $bad, $id);
echo "read: started ", var_export($ok, true), ", data ", json_encode($data), "\n";
show($warnings, $names);

echo "-- no auth_file, A only\n";
[$ok, $data] = request($A['addr'], '', $id);
echo "read: started ", var_export($ok, true), ", data ", json_encode($data), "\n";
show($warnings, $names);

echo "-- wrong credentials, A (home, refuses) and B (no -Y)\n";
// A is still marked failed for these settings from the wrong-credentials
// phase (the failure state is shared and keyed by server and auth file):
// it is skipped, without a new error-log line.
$path = "{$A['addr']},{$B['addr']}";
$ids = array_map(fn ($i) => "secauthfo$i" . bin2hex(random_bytes(4)), range(0, 40));
$fo = array_values(array_filter($ids, fn ($x) => cl_order($x, $path)[0] === $A['addr']))[0];
[$ok] = request($path, $bad, $fo, 'bob');
[$ok2, $data] = request($path, $bad, $fo);
echo "write: started ", var_export($ok, true), "; read: started ", var_export($ok2, true), ", data ", json_encode($data), "\n";
show($warnings, $names);
echo "copy on B: ", var_export(mc_get($B['addr'], mc_key($fo)) !== null, true), "\n";
echo "B keeps no readable auth item: ", var_export(mc_get($B['addr'], 'rsmemcache.auth') === null, true), "\n";
$servers = rsmemcache_servers($path);
foreach ($servers as $s) { echo "  ", cl_norm($s['label'] ?? $s['server'] ?? '?', $names), ": ", $s['state'] ?? '?', "\n"; }

echo "-- the password shows nowhere\n";
$php = getenv('TEST_PHP_EXECUTABLE') ?: PHP_BINARY;
$ri = shell_exec(escapeshellarg($php) . ' ' . (getenv('TEST_PHP_EXTRA_ARGS') ?: '') . ' -d rsmemcache.auth_file=' . escapeshellarg($good) . ' --ri rsmemcache 2>&1');
echo "php --ri names the file: ", var_export(str_contains((string)$ri, $good), true), "\n";
ini_set('rsmemcache.auth_file', $good);
ob_start(); phpinfo(); $info = ob_get_clean();
echo "phpinfo() names the file: ", var_export(str_contains($info, $good), true), "\n";
$dump = var_export(rsmemcache_servers($path), true) . var_export(rsmemcache_servers($A['addr']), true);
$log = (string)file_get_contents($GLOBALS['errlog']['file']);
foreach (['php --ri' => $ri, 'phpinfo()' => $info, 'rsmemcache_servers()' => $dump, 'warnings' => $all_text, 'error log' => $log, 'page output' => ob_get_contents()] as $where => $text) {
    echo "$where holds the password: ", var_export(str_contains((string)$text, $secret), true), "\n";
}
restore_error_handler();
cl_stop_all();
echo "done\n";
ob_end_flush();
?>
--CLEAN--
<?php
require __DIR__ . '/lib/secure.inc';
sec_clean(0, 2);
?>
--EXPECTF--
-- right credentials, A only
write: started true
read: started true, data {"v":"alice"}
stored on A (read with the credentials): true
A without credentials: CLIENT_ERROR unauthenticated
-- wrong credentials, A only
read: started false, data []
  warning: session_start(): rsmemcache: server A: authentication refused (rsmemcache.auth_file): CLIENT_ERROR unauthenticated
  warning: session_start(): Failed to read session <id>: rsmemcache (path: A)
  logged: rsmemcache: server A: authentication refused (rsmemcache.auth_file): CLIENT_ERROR unauthenticated; the server is skipped for 15 s
-- no auth_file, A only
read: started false, data []
  warning: session_start(): rsmemcache: server A: authentication refused (rsmemcache.auth_file): CLIENT_ERROR unauthenticated
  warning: session_start(): Failed to read session <id>: rsmemcache (path: A)
  logged: rsmemcache: server A: authentication refused (rsmemcache.auth_file): CLIENT_ERROR unauthenticated; the server is skipped for 15 s
-- wrong credentials, A (home, refuses) and B (no -Y)
write: started true; read: started true, data {"v":"bob"}
  logged: rsmemcache: server A: authentication refused (rsmemcache.auth_file): CLIENT_ERROR unauthenticated; the server is skipped for 15 s
copy on B: true
B keeps no readable auth item: true
  A: failed
  B: up
-- the password shows nowhere
php --ri names the file: true
phpinfo() names the file: true
php --ri holds the password: false
phpinfo() holds the password: false
rsmemcache_servers() holds the password: false
warnings holds the password: false
error log holds the password: false
page output holds the password: false
done
