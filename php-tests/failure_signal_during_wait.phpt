--TEST--
failure: a handled signal (pcntl_alarm) while a reply is awaited does not fail the request or mark the server failed: the wait goes on within rsmemcache.timeout (EINTR is retried)
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
require_once __DIR__ . '/lib/cluster.inc';
if (!function_exists('pcntl_alarm')) { die('skip needs pcntl'); }
if ($why = cl_skip_reason(60, 1)) { die($why); }
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.timeout=5000
rsmemcache.locking=1
rsmemcache.retry_interval=15
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
[$port] = cl_ports(60, 1);
$mc = cl_start($port);
ini_set('session.save_path', $mc['addr']);
$id = 'clsig' . bin2hex(random_bytes(8));
session_id($id);
session_start();
$_SESSION['v'] = 'before';
session_write_close();

// The server stops answering for about 2 s; an alarm signal, with a
// handler, arrives after 1 s, while session_start() waits for the reply.
$alarms = 0;
pcntl_async_signals(true);
pcntl_signal(SIGALRM, function () use (&$alarms) { $alarms++; }, false);
cl_pause($mc);
$resumer = proc_open(['/bin/sh', '-c', 'sleep 2; kill -CONT ' . (int)$mc['pid']], [], $pipes);
cl_watch();
pcntl_alarm(1);
session_id($id);
$started = session_start();
echo "alarm handled during the wait: ", var_export($alarms === 1, true), "\n";
echo "session_start: ", var_export($started, true), ", read: ", $_SESSION['v'] ?? 'none', "\n";
echo "warnings: ", count(cl_msgs()), ", logged: ", count(cl_logged()), "\n";
$_SESSION['v'] = 'after';
echo "written: ", var_export(session_write_close(), true), "\n";
proc_close($resumer);
foreach (rsmemcache_servers() as $row) {
    echo "server state: {$row['state']}, failures {$row['failures']}\n";
}
echo "stored: ", var_export(mc_get($mc['addr'], mc_key($id)) === 'v|s:5:"after";', true), "\n";
cl_stop_all();
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(60, 1);
?>
--EXPECT--
alarm handled during the wait: true
session_start: true, read: before
warnings: 0, logged: 0
written: true
server state: up, failures 0
stored: true
done
