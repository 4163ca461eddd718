--TEST--
keys: key_hash_migrate moves a live farm from raw keys (key_hash=none) to hashed ones with 0 logouts: each session is read from its raw key, moved under its hashed key (sealed ones re-sealed under the hashed key's AAD), its raw copy deleted, counted as key_hash_moved; strict mode keeps an id not moved yet, destroy removes its raw copy; without migrate a raw-only session is not found
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
ob_start();   // session ini settings stay changeable (no headers sent)
require __DIR__ . '/lib/lifecycle.inc';
require __DIR__ . '/lib/encryption.inc';
$servers = [MC1, MC2, MC3];
ini_set('session.save_path', implode(',', $servers));
$N = 24;

/** Writes sessions $ids under raw keys, as a farm with key_hash=none does. */
function write_raw(array $ids, string $tag): void {
    ini_set('rsmemcache.key_hash', 'none');
    ini_set('rsmemcache.key_hash_migrate', '0');
    foreach ($ids as $i => $id) {
        session_id($id);
        session_start();
        $_SESSION['user'] = "$tag$i";
        $_SESSION['n'] = $i;
        session_write_close();
    }
}
/** Where $ids have copies: [raw copies, hashed copies]. */
function copies(array $ids): array {
    $raw = $hashed = 0;
    foreach ($ids as $id) {
        $raw += count(mc_where(mc_key($id, PREFIX, false)));
        $hashed += count(mc_where(lc_key($id)));
    }
    return [$raw, $hashed];
}
function moved(): int { return rsmemcache_stats()['key_hash_moved']; }

foreach (['plaintext' => '', 'sealed' => enc_keyfile('keys', "k1 " . enc_hex() . "\n")] as $mode => $keyfile) {
    echo "-- $mode --\n";
    ini_set('rsmemcache.encryption_key_file', $keyfile);
    $ids = [];
    for ($i = 0; $i < $N; $i++) { $ids[] = lc_sid("mig$mode$i"); }
    write_raw($ids, 'u');
    [$raw, $hashed] = copies($ids);
    echo "written with key_hash=none: raw copies $raw, hashed copies $hashed\n";

    // Without migrate, a raw-only session is not found under sha256.
    ini_set('rsmemcache.key_hash', 'sha256');
    session_id($ids[0]);
    session_start();
    echo "sha256 without migrate sees: ", json_encode($_SESSION), "\n";
    session_abort();

    ini_set('rsmemcache.key_hash_migrate', '1');
    $before = moved();
    $logouts = 0;
    foreach ($ids as $i => $id) {
        session_id($id);
        session_start();
        if (($_SESSION['user'] ?? null) !== "u$i" || ($_SESSION['n'] ?? null) !== $i) { $logouts++; }
        $_SESSION['n'] = $i + 1000;
        session_write_close();
    }
    echo "logouts: $logouts of $N\n";
    echo "key_hash_moved: ", moved() - $before, "\n";
    [$raw, $hashed] = copies($ids);
    echo "after the move: raw copies $raw, hashed copies $hashed\n";
    $kept = 0;
    foreach ($ids as $i => $id) {
        session_id($id);
        session_start();
        $kept += ($_SESSION['n'] ?? null) === $i + 1000 ? 1 : 0;
        session_write_close();
    }
    echo "read again with their changes: $kept of $N; moved again: ", moved() - $before - $N, "\n";
    if ($keyfile !== '') {
        $sealed = 0;
        foreach ($ids as $id) {
            $w = mc_where(lc_key($id));
            $sealed += $w && !str_contains((string)mc_get($w[0], lc_key($id)), 'user') ? 1 : 0;
        }
        echo "hashed copies sealed: $sealed of $N\n";
    }
    foreach ($ids as $id) { foreach ($servers as $s) { mc_delete($s, lc_key($id)); } }
}
ini_set('rsmemcache.encryption_key_file', '');

echo "-- strict mode and destroy before a move --\n";
$a = lc_sid('migstrict');
$b = lc_sid('migdestroy');
write_raw([$a, $b], 'x');
ini_set('rsmemcache.key_hash', 'sha256');
ini_set('rsmemcache.key_hash_migrate', '1');
ini_set('session.use_strict_mode', '1');
session_id($a);
session_start();
echo "strict mode keeps the id: ", var_export(session_id() === $a, true), ", data: ", $_SESSION['user'] ?? 'none', "\n";
session_write_close();
ini_set('session.use_strict_mode', '0');
// Destroy of a session not read in this request (another id).
session_id($a);
session_start();
session_destroy();
echo "destroyed session's copies (raw, hashed): ", json_encode(copies([$a])), "\n";
// A raw copy that appears after the move (a server still on key_hash=none
// wrote it) goes with the destroy too: it could not bring the session back.
session_id($b);
session_start();
echo "b read: ", $_SESSION['user'] ?? 'none', "\n";
$rawHome = lc_home([MC1 => 1, MC2 => 1, MC3 => 1], mc_key($b, PREFIX, false));
echo "planted at the raw key's home: ", mc_set($rawHome, mc_key($b, PREFIX, false), 'user|s:2:"zz";', 600), "\n";
session_destroy();
echo "after destroy (raw, hashed): ", json_encode(copies([$b])), "\n";
lc_forget($a, $b);
ob_end_flush();
?>
--EXPECT--
-- plaintext --
written with key_hash=none: raw copies 24, hashed copies 0
sha256 without migrate sees: []
logouts: 0 of 24
key_hash_moved: 24
after the move: raw copies 0, hashed copies 24
read again with their changes: 24 of 24; moved again: 0
-- sealed --
written with key_hash=none: raw copies 24, hashed copies 0
sha256 without migrate sees: []
logouts: 0 of 24
key_hash_moved: 24
after the move: raw copies 0, hashed copies 24
read again with their changes: 24 of 24; moved again: 0
hashed copies sealed: 24 of 24
-- strict mode and destroy before a move --
strict mode keeps the id: true, data: x0
destroyed session's copies (raw, hashed): [0,0]
b read: x1
planted at the raw key's home: HD
after destroy (raw, hashed): [0,0]
