<?php
// Worker mode of the threaded host (tests/threads/host.c): one script
// instance serves RSMT_ITERATIONS requests in a loop, as a FrankenPHP worker
// does: each picks a session id, session_id() + session_start(), checks
// that it sees only that session, increments its counter and
// session_write_close(); every fifth only reads (read_and_close). The last
// one leaves its session open: PHP writes and unlocks it at the end of the
// request. Output (nothing before the loop ends, so session_start() can
// still send its headers): "worker <bad> <foreign> <carried>", then
// "w <session number> <increments>" per session, then the first problems.

ini_set('session.use_cookies', '0');
mt_srand((int) $_SERVER['RSMT_SEED']);
$iterations = (int) $_SERVER['RSMT_ITERATIONS'];
$sessions = (int) $_SERVER['RSMT_SESSIONS'];
$prefix = $_SERVER['RSMT_PREFIX'];
$counts = array_fill(0, $sessions, 0);
$bad = $foreign = $carried = 0;
$problems = [];

for ($i = 0; $i < $iterations; $i++) {
    $k = mt_rand(0, $sessions - 1);
    $sid = sprintf('rsmt%s%04d', $_SERVER['RSMT_SID_BASE'], $k);
    // The previous iteration's session is closed; $_SESSION still holds its
    // data (PHP keeps it after session_write_close()) until session_start()
    // replaces it with this session's.
    if (session_status() !== PHP_SESSION_NONE) {
        $bad++; $carried++; $problems[] = "iteration $i: a session is still active";
        session_write_close();
    }
    session_id($sid);
    $read_only = $i % 5 === 4;
    if (!session_start($read_only ? ['read_and_close' => true] : [])) {
        $bad++; $problems[] = "iteration $i: session_start() failed";
        continue;
    }
    $n = $_SESSION['n'] ?? 0;
    if (session_id() !== $sid || (isset($_SESSION['id']) && $_SESSION['id'] !== $sid)
        || (isset($_SESSION['space']) && $_SESSION['space'] !== $prefix)
        || array_diff(array_keys($_SESSION), ['id', 'n', 'by', 'space'])) {
        $bad++; $foreign++; $problems[] = "iteration $i: sees another session's data";
        if (!$read_only) { session_abort(); }
        continue;
    }
    if ($read_only) {
        continue;
    }
    $_SESSION = ['id' => $sid, 'n' => $n + 1, 'by' => "worker $i", 'space' => $prefix];
    if ($i === $iterations - 1) {
        $counts[$k]++;   // left open: written at the end of the request
        break;
    }
    if (!session_write_close()) {
        $bad++; $problems[] = "iteration $i: session_write_close() failed";
        continue;
    }
    $counts[$k]++;
}

echo "worker $bad $foreign $carried\n";
foreach ($counts as $k => $c) {
    echo "w $k $c\n";
}
foreach (array_slice($problems, 0, 5) as $p) {
    echo "problem $p\n";
}
