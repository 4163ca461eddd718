--TEST--
cluster: rsmemcache_servers() and the MINFO rows (php --ri rsmemcache) for a pool with an up server and a failed one (failed -> retry due with save_path retry_interval); a bad save_path or directive gives a warning and false
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.allow_failover=1
rsmemcache.session_redundancy=1
rsmemcache.retry_interval=15
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
$path = 'tcp://' . MC1 . ', tcp://' . MC_REFUSED . '?retry_interval=1&weight=2';
ini_set('session.save_path', $path);
$names = [MC1 => 'UP', MC_REFUSED => 'REFUSED'];

/** The rows of rsmemcache_servers(), one line each, ports hidden. */
function rows(?string $path = null): void {
    $list = rsmemcache_servers($path);
    if (!is_array($list)) { var_dump($list); return; }
    foreach ($list as $r) {
        $until = $r['failed_until'] === null ? 'null'
            : (is_float($r['failed_until']) && $r['failed_until'] > microtime(true) && $r['failed_until'] <= microtime(true) + 1.0 ? 'float, within 1 s' : 'BAD ' . var_export($r['failed_until'], true));
        $retry = $r['retry_in_ms'] === null ? 'null'
            : (is_int($r['retry_in_ms']) && $r['retry_in_ms'] > 0 && $r['retry_in_ms'] <= 1000 ? 'int in (0, 1000]' : 'BAD ' . var_export($r['retry_in_ms'], true));
        printf("  %s weight=%d state=%s failed_until=%s retry_in_ms=%s failures=%d last_error=%s idle=%s\n",
            cl_norm($r['server'], $GLOBALS['names']), $r['weight'], $r['state'], $until, $retry, $r['failures'],
            cl_norm(var_export($r['last_error'], true), $GLOBALS['names']), $r['idle_connections'] > 0 ? '>0' : '0');
    }
    echo "  keys: ", implode(',', array_keys($list[0])), "\n";
}
/** The "server ..." rows of the MINFO table (what php --ri rsmemcache prints), ports and numbers hidden. */
function minfo(): void {
    ob_start();
    (new ReflectionExtension('rsmemcache'))->info();
    $lines = array_filter(explode("\n", ob_get_clean()), fn ($l) => str_starts_with($l, 'server '));
    foreach ($lines as $l) {
        echo "  ", preg_replace('/retry in \d+ ms/', 'retry in N ms', cl_norm($l, $GLOBALS['names'])), "\n";
    }
}

echo "-- before any request\n";
rows();
minfo();

echo "-- one request on a session homed on REFUSED\n";
for ($i = 0; cl_order($id = 'clsrv' . bin2hex(random_bytes(4)) . $i, $path)[0] !== MC_REFUSED; $i++);
cl_watch();
session_id($id);
var_dump(session_start());
$_SESSION['v'] = 1;
var_dump(session_write_close());
echo "  warnings: ", count(cl_msgs()), "\n";
foreach (cl_logged() as $m) { echo "  logged: ", cl_norm($m, $names), "\n"; }
rows();
minfo();

echo "-- once its retry interval (1 s, from save_path) has passed\n";
cl_poll(function () { foreach (rsmemcache_servers() as $r) { if ($r['server'] === MC_REFUSED) { return $r['state'] === 'retry due'; } } }, 10, 'retry due');
rows();
minfo();

echo "-- another save_path (given, not session.save_path), never used\n";
rows('10.0.0.1:11211:3, /tmp/rsmemcache-nonexistent.sock, [::1]:11211');

echo "-- bad input\n";
var_dump(rsmemcache_servers('tcp://cache:99999'));
var_dump(rsmemcache_servers(''));
var_dump(ini_set('rsmemcache.timeout', 'abc'));
foreach (cl_msgs() as $m) { echo "  ", $m, "\n"; }
ini_restore('rsmemcache.timeout');

echo "-- php --ri rsmemcache in a fresh process (no pool yet)\n";
$out = shell_exec(escapeshellarg(getenv('TEST_PHP_EXECUTABLE') ?: PHP_BINARY) . ' ' . (getenv('TEST_PHP_EXTRA_ARGS') ?: '') . ' --ri rsmemcache 2>&1');
echo "  support enabled: ", var_export(str_contains($out, 'rsmemcache support => enabled'), true), "\n";
echo "  server rows: ", preg_match_all('/^server /m', $out), "\n";
foreach ([MC1] as $s) { mc_delete($s, mc_key($id)); }
echo "done\n";
?>
--EXPECT--
-- before any request
  UP weight=1 state=up failed_until=null retry_in_ms=null failures=0 last_error=NULL idle=0
  REFUSED weight=2 state=up failed_until=null retry_in_ms=null failures=0 last_error=NULL idle=0
  keys: server,weight,state,failed_until,retry_in_ms,failures,last_error,idle_connections,shared,role
  server UP => up
  server REFUSED => up
-- one request on a session homed on REFUSED
bool(true)
bool(true)
  warnings: 0
  logged: rsmemcache: server REFUSED: connect failed: Connection refused (os error 111); the server is skipped for 1 s
  UP weight=1 state=up failed_until=null retry_in_ms=null failures=0 last_error=NULL idle=>0
  REFUSED weight=2 state=failed failed_until=float, within 1 s retry_in_ms=int in (0, 1000] failures=1 last_error='server REFUSED: connect failed: Connection refused (os error 111)' idle=0
  keys: server,weight,state,failed_until,retry_in_ms,failures,last_error,idle_connections,shared,role
  server UP => up
  server REFUSED => failed, retry in N ms (server REFUSED: connect failed: Connection refused (os error 111))
-- once its retry interval (1 s, from save_path) has passed
  UP weight=1 state=up failed_until=null retry_in_ms=null failures=0 last_error=NULL idle=>0
  REFUSED weight=2 state=retry due failed_until=null retry_in_ms=null failures=1 last_error='server REFUSED: connect failed: Connection refused (os error 111)' idle=0
  keys: server,weight,state,failed_until,retry_in_ms,failures,last_error,idle_connections,shared,role
  server UP => up
  server REFUSED => retry due
-- another save_path (given, not session.save_path), never used
  10.0.0.1:11211 weight=3 state=up failed_until=null retry_in_ms=null failures=0 last_error=NULL idle=0
  unix:///tmp/rsmemcache-nonexistent.sock weight=1 state=up failed_until=null retry_in_ms=null failures=0 last_error=NULL idle=0
  [::1]:11211 weight=1 state=up failed_until=null retry_in_ms=null failures=0 last_error=NULL idle=0
  keys: server,weight,state,failed_until,retry_in_ms,failures,last_error,idle_connections,shared,role
-- bad input
bool(false)
bool(false)
bool(false)
  rsmemcache_servers(): rsmemcache: invalid session.save_path entry 'tcp://cache:99999': port '99999' must be 1-65535
  rsmemcache_servers(): rsmemcache: session.save_path is empty: give at least one memcached server
  ini_set(): rsmemcache: invalid value 'abc' for rsmemcache.timeout: expected an integer from 1 to 600000
-- php --ri rsmemcache in a fresh process (no pool yet)
  support enabled: true
  server rows: 0
done
