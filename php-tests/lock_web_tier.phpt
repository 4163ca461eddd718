--TEST--
locking: web tier: two `php -S` servers with 8 workers each share one session; 50 parallel requests alternating between them count exactly 50, all answered 200
--SKIPIF--
<?php
require __DIR__ . '/lib/skipif.inc';
if (PHP_OS_FAMILY !== 'Linux') { die('skip needs Linux (/proc, process groups)'); }
if (!function_exists('proc_open')) { die('skip proc_open unavailable'); }
$s = @stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
if (!$s) { die("skip cannot bind a loopback port: $errstr"); }
fclose($s);
?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/locking.inc';
const REQUESTS = 50;
ini_set('session.save_path', lk_path());
$id = lk_sid('web');

// The session exists (n=0) before the requests; the app runs in strict mode.
session_id($id);
session_start();
$_SESSION['n'] = 0;
session_write_close();

$servers = [];
register_shutdown_function(static function () use (&$servers): void {
    foreach ($servers as $k => $srv) { lk_web_stop($srv); unset($servers[$k]); }
});
$ini = ['session.save_path' => lk_path(), 'session.serialize_handler' => 'php'];
foreach ([0, 1] as $k) {
    $srv = lk_web_start(__DIR__ . '/lib/helpers', __DIR__ . '/lib/helpers/lock_web_app.php', $ini, 8);
    if ($srv === null) { echo "web server $k did not come up\n"; exit(1); }
    $servers[$k] = $srv;
}
echo "two web servers up\n";
$workers = array_map(static fn ($s) => count(lk_children_of($s['pid'])), $servers);
echo "workers per server: ", implode(', ', $workers), "\n";

$requests = [];
for ($i = 0; $i < REQUESTS; $i++) {
    $requests[] = [$servers[$i % 2]['port'], '/inc', ["Cookie: PHPSESSID=$id"]];
}
$t0 = hrtime(true);
$answers = lk_http_parallel($requests, 60);
$ms = lk_ms_between($t0, hrtime(true));

$statuses = array_count_values(array_map(static fn ($a) => (string)$a[0], $answers));
ksort($statuses);
echo "statuses: ", json_encode($statuses), "\n";
$seen = [];
$pids = [];
foreach ($answers as $i => [$status, $body]) {
    if ($status === 200 && preg_match('/^n=(\d+) pid=(\d+)$/', trim($body), $m)) {
        $seen[] = (int)$m[1];
        $pids[$i % 2][$m[2]] = true;
    } else {
        echo "request $i: $status ", trim(str_replace([$id, substr($id, 0, 6) . '...'], '<ID>', $body)), "\n";
    }
}
sort($seen);
echo "every value 1..", REQUESTS, " returned exactly once: ", var_export($seen === range(1, REQUESTS), true), "\n";
echo "answered by both servers: ", var_export(count($pids) === 2, true), "\n";
echo "stored: ", mc_get(lk_home($id), lc_key($id)), "\n";
echo lk_lock_state($id), "\n";

foreach ($servers as $k => $srv) {
    $all = array_merge([$srv['pid']], lk_children_of($srv['pid']));
    lk_web_stop($srv);
    unset($servers[$k]);
    $left = array_filter($all, 'lk_alive');
    echo "server $k stopped: ", $left ? 'NO, left: ' . implode(' ', $left) : 'master and workers gone', "\n";
}
if (getenv('LK_WEB_REPORT')) { file_put_contents(getenv('LK_WEB_REPORT'), sprintf("lock_web_tier: %d requests in %.0f ms; worker pids used: %s\n", REQUESTS, $ms,
    implode(' / ', array_map(static fn ($p) => count($p), $pids))), FILE_APPEND); }
lk_forget($id);
?>
--EXPECT--
two web servers up
workers per server: 8, 8
statuses: {"200":50}
every value 1..50 returned exactly once: true
answered by both servers: true
stored: n|i:50;
lock absent
server 0 stopped: master and workers gone
server 1 stopped: master and workers gone
