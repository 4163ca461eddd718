<?php
// One request of the threaded host (tests/threads/host.c). The host hands
// in the session id as the PHPSESSID cookie and the case in $_SERVER; this
// prints one line: "ok <1 if it committed an increment, else 0> <counter>"
// or "bad <kind> <what>" (kinds: carried, foreign, start, other).

$sid = $_SERVER['RSMT_SID'];
$case = $_SERVER['RSMT_CASE'];
$prefix = $_SERVER['RSMT_PREFIX'];

// Nothing of an earlier request on this thread may be visible here.
$carried = [];
if (session_status() !== PHP_SESSION_NONE) { $carried[] = 'a session is active'; }
if (session_id() !== '') { $carried[] = 'session_id() is ' . substr(session_id(), 0, 10); }
if (isset($_SESSION)) { $carried[] = '$_SESSION is set'; }
if (ini_get('rsmemcache.prefix') !== $prefix) { $carried[] = 'rsmemcache.prefix is ' . ini_get('rsmemcache.prefix'); }
if (ini_get('memory_limit') !== '128M') { $carried[] = 'memory_limit is ' . ini_get('memory_limit'); }
if (isset($GLOBALS['rsmt_global'])) { $carried[] = 'a global of an earlier request'; }
if (($_COOKIE['PHPSESSID'] ?? null) !== $sid) { $carried[] = 'cookie is not this request\'s'; }
if ($carried) {
    echo 'bad carried ', implode('; ', $carried), "\n";
    return;
}
$rsmt_global = 1;

if ($case === 'prefix') {
    // The same id in a second key space; the next request must not inherit it.
    $prefix = $_SERVER['RSMT_PREFIX2'];
    ini_set('rsmemcache.prefix', $prefix);
}
if (!session_start($case === 'read' ? ['read_and_close' => true] : [])) {
    echo "bad start session_start() failed\n";
    return;
}
if (session_id() !== $sid) {
    echo 'bad foreign session_id() is ', substr(session_id(), 0, 10), "\n";
    return;
}
// A session holds only what the requests of its own id wrote.
$n = $_SESSION['n'] ?? 0;
$foreign = [];
if (isset($_SESSION['id']) && $_SESSION['id'] !== $sid) { $foreign[] = 'id ' . substr((string) $_SESSION['id'], 0, 10); }
if (isset($_SESSION['space']) && $_SESSION['space'] !== $prefix) { $foreign[] = 'key space ' . $_SESSION['space']; }
if (array_diff(array_keys($_SESSION), ['id', 'n', 'by', 'space'])) { $foreign[] = 'keys ' . implode(',', array_keys($_SESSION)); }
if (!is_int($n)) { $foreign[] = 'counter'; }
if ($foreign) {
    echo 'bad foreign ', implode('; ', $foreign), "\n";
    return;
}

function rsmt_increment(string $sid, int $n, string $prefix): void {
    $_SESSION = ['id' => $sid, 'n' => $n + 1, 'by' => $_SERVER['RSMT_TAG'], 'space' => $prefix];
}

switch ($case) {
    case 'read':
        echo "ok 0 $n\n";
        break;
    case 'inc':
    case 'prefix':
        rsmt_increment($sid, $n, $prefix);
        if (!session_write_close()) {
            echo "bad other session_write_close() failed\n";
            break;
        }
        echo "ok 1 $n\n";
        break;
    case 'noclose':
        // Written and unlocked by PHP at the end of the request.
        rsmt_increment($sid, $n, $prefix);
        echo "ok 1 $n\n";
        break;
    case 'exit':
        rsmt_increment($sid, $n, $prefix);
        echo "ok 1 $n\n";
        exit(0);
    case 'fatal_exception':
        echo "ok 0 $n\n";
        throw new RuntimeException('deliberate');
    case 'fatal_error':
        echo "ok 0 $n\n";
        trigger_error('deliberate', E_USER_ERROR);
        break;
    case 'fatal_memory':
        echo "ok 0 $n\n";
        ini_set('memory_limit', '4M');
        $big = str_repeat('x', 8 << 20);
        echo "bad other memory_limit did not stop the request\n";
        break;
    case 'fatal_undefined':
        echo "ok 0 $n\n";
        rsmt_deliberately_undefined();
        break;
    default:
        echo "bad other unknown case $case\n";
}
