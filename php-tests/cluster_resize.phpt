--TEST--
resize: 300 sessions on 3 servers; add a 4th (and, apart, remove one with session_redundancy=1): without rsmemcache.previous_save_path the sessions whose home moved are lost; with it every one reads back, is moved to its new home with its version (unchanged sessions too, under lazy_write), the old copy is deleted, and sessions_moved counts them
--SKIPIF--
<?php require __DIR__ . '/lib/cluster.inc'; echo cl_skip_reason(136, 4); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=1
session.serialize_handler=php
session.lazy_write=1
--FILE--
<?php
require __DIR__ . '/lib/cluster.inc';
ob_start();
const N = 300;
[$a, $b, $c, $d] = array_map(fn ($x) => $x['addr'], cl_start_all(cl_ports(136, 4)));
$all = [$a, $b, $c, $d];

function use_list(string $now, string $before): void {
    ini_set('session.save_path', $now);
    ini_set('rsmemcache.previous_save_path', $before);
}

/** Writes N sessions ($_SESSION['i'] = i); returns their ids. */
function write_all(string $tag): array {
    ini_set('session.use_strict_mode', '0');
    $ids = [];
    for ($i = 0; $i < N; $i++) {
        $id = "rsz{$tag}{$i}x" . bin2hex(random_bytes(6));
        session_id($id);
        session_start();
        $_SESSION['i'] = $i;
        session_write_close();
        $ids[$i] = $id;
    }
    ini_set('session.use_strict_mode', '1');
    return $ids;
}

/** Reads every session; returns the ids read back with their data. With
 *  $close, even sessions are changed (written) and odd ones left unchanged
 *  (lazy_write: only touched); else every request is aborted (no write). */
function read_all(array $ids, bool $close): array {
    $ok = [];
    foreach ($ids as $i => $id) {
        session_id($id);
        session_start();
        if (session_id() === $id && ($_SESSION['i'] ?? null) === $i) { $ok[] = $id; }
        if ($close) {
            if ($i % 2 === 0) { $_SESSION['changed'] = true; }
            session_write_close();
        } else {
            session_abort();
        }
    }
    return $ok;
}

/** The servers of $servers holding a copy of session $id. */
function holders(string $id, array $servers): array {
    return array_values(array_filter($servers, fn ($s) => mc_get($s, mc_key($id)) !== null));
}

function moved(): int { return rsmemcache_stats()['sessions_moved']; }

/** printf, also appended to the file named by RSMEMCACHE_RESIZE_FIGURES
 *  (scripts/resize-figures.sh), which run-tests.php leaves nowhere else on
 *  a pass. */
function figure(string $format, ...$args): void {
    $line = sprintf($format, ...$args);
    echo $line;
    $file = getenv('RSMEMCACHE_RESIZE_FIGURES');
    if ($file !== false && $file !== '') { file_put_contents($file, $line, FILE_APPEND); }
}

/** One resize from $before to $now; prints the figures. */
function resize(string $what, string $tag, string $before, string $now, array $servers): void {
    use_list($before, '');
    $ids = write_all($tag);
    $flags = [];
    foreach ($ids as $id) { $h = holders($id, $servers); $flags[$id] = count($h) === 1 ? mc_meta($h[0], mc_key($id))['f'] : null; }

    use_list($now, '');
    $kept = read_all($ids, false);
    $lost = array_diff($ids, $kept);
    figure("%s, without previous_save_path: %d/%d read back, %d lost (%.1f per cent); some and not all: %s\n",
        $what, count($kept), N, count($lost), 100 * count($lost) / N, var_export(count($lost) > 0 && count($lost) < N, true));

    use_list($now, $before);
    $m0 = moved();
    $with = read_all($ids, true);
    $moved = moved() - $m0;
    figure("%s, with previous_save_path: %d/%d read back; moved %d = the %d lost without: %s\n",
        $what, count($with), N, $moved, count($lost), var_export($moved === count($lost), true));

    // Where they are now: one copy each, at the new home; the moved
    // unchanged ones (odd) with the version they had.
    $one = $kept_version = $unchanged = 0;
    foreach ($ids as $i => $id) {
        $h = holders($id, $servers);
        if (count($h) === 1) { $one++; }
        if ($i % 2 === 1 && in_array($id, $lost, true)) {
            $unchanged++;
            if (count($h) === 1 && mc_meta($h[0], mc_key($id))['f'] === $flags[$id]) { $kept_version++; }
        }
    }
    figure("%s: on exactly one server: %d/%d; moved unchanged sessions with their version: %d/%d\n",
        $what, $one, N, $kept_version, $unchanged);

    use_list($now, '');
    $after = read_all($ids, false);
    $changed = 0;
    foreach ($ids as $i => $id) {
        session_id($id);
        session_start();
        if (($_SESSION['changed'] ?? false) === ($i % 2 === 0)) { $changed++; }
        session_abort();
    }
    figure("%s, then without previous_save_path: %d/%d read back, the changes of the moved request kept: %d/%d\n",
        $what, count($after), N, $changed, N);
}

resize('add a 4th server', 'add', "$a,$b,$c", "$a,$b,$c,$d", $all);
resize('remove a server (redundancy 1)', 'rm', "$a,$b,$c", "$a,$b", $all);

// The servers only in the previous list are shown as such.
use_list("$a,$b", "$a,$b,$c");
$roles = array_map(fn ($r) => cl_norm($r['server'], [$a => 'A', $b => 'B', $c => 'C']) . ' ' . $r['role'], rsmemcache_servers());
echo "roles: ", implode(', ', $roles), "\n";

// A bad list is refused like a bad save_path, naming the directive.
set_error_handler(function (int $no, string $msg) { echo "warning: $msg\n"; return true; });
var_dump(ini_set('rsmemcache.previous_save_path', "$a,udp://$b"));
echo "kept: ", ini_get('rsmemcache.previous_save_path') === "$a,$b,$c" ? 'yes' : 'no', "\n";
cl_stop_all();
echo "done\n";
?>
--CLEAN--
<?php
require __DIR__ . '/lib/cluster.inc';
cl_clean_ports(136, 4);
?>
--EXPECTF--
add a 4th server, without previous_save_path: %d/300 read back, %d lost (%f per cent); some and not all: true
add a 4th server, with previous_save_path: 300/300 read back; moved %d = the %d lost without: true
add a 4th server: on exactly one server: 300/300; moved unchanged sessions with their version: %d/%d
add a 4th server, then without previous_save_path: 300/300 read back, the changes of the moved request kept: 300/300
remove a server (redundancy 1), without previous_save_path: %d/300 read back, %d lost (%f per cent); some and not all: true
remove a server (redundancy 1), with previous_save_path: 300/300 read back; moved %d = the %d lost without: true
remove a server (redundancy 1): on exactly one server: 300/300; moved unchanged sessions with their version: %d/%d
remove a server (redundancy 1), then without previous_save_path: 300/300 read back, the changes of the moved request kept: 300/300
roles: A current+previous, B current+previous, C previous
warning: ini_set(): rsmemcache: invalid rsmemcache.previous_save_path entry 'udp://%s': %s
bool(false)
kept: yes
done
