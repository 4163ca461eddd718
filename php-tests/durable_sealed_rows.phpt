--TEST--
durable tier with encryption: the row holds the sealed value (format 2, no plaintext); a planted plaintext row is never restored with accept_plaintext=0; a row copied from another session id does not open; a copy refused by the AEAD cannot force a plaintext row in; an old plaintext row is read under accept_plaintext=1 (counted) and resealed by the next write
--SKIPIF--
<?php require __DIR__ . '/lib/durable.inc'; db_skipif(); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
display_errors=1
error_reporting=-1
--FILE--
<?php
ob_start();
require __DIR__ . '/lib/durable.inc';
require __DIR__ . '/lib/encryption.inc';
errlog_open();
$prefix = 'dseal.' . bin2hex(random_bytes(3)) . '.';
db_setup($prefix, [MC1]);
$keys = enc_keyfile('keys', 'k1 ' . enc_hex() . "\n");
ini_set('rsmemcache.encryption_key_file', $keys);
$A = db_sid('A');
$B = db_sid('B');
$ids = ['A' => $A, 'B' => $B];
/** One request on session $id; sets v when $set is given; returns what it read. */
function req(string $id, ?string $set = null): array {
    session_id($id);
    session_start();
    $read = $_SESSION;
    if ($set !== null) { $_SESSION['v'] = $set; }
    session_write_close();
    return $read;
}
function raw(string $prefix, string $id): ?string {
    $r = mc_raw(MC1, 'mg ' . mc_key($id, $prefix) . " v\r\n");
    return preg_match('/^VA \d+/', $r) ? substr($r, strpos($r, "\r\n") + 2, -2) : null;
}
function drop(string $prefix, string $id): void { mc_raw(MC1, 'md ' . mc_key($id, $prefix) . "\r\n"); }
function log_lines(array $ids): string {
    $out = [];
    foreach (enc_log($ids) as $l) { $out[] = '  logged: ' . preg_replace('/\/\S+sock\?database=\w+/', 'DSN', $l); }
    return $out ? implode("\n", $out) . "\n" : '';
}

echo "-- a sealed row\n";
req($A, 'alice');
$row = db_row($prefix, $A);
echo 'row: format ', ord($row[2][0]), ', key id ', substr($row[2], 2, ord($row[2][1])),
    ', holds the plaintext ', json_encode(str_contains($row[2], 'alice')), ', version ', $row[0], "\n";
echo 'the same bytes as memcached: ', json_encode($row[2] === raw($prefix, $A)), "\n";
drop($prefix, $A);
echo 'restored after losing memcached: ', json_encode(req($A)), "\n";
echo log_lines($ids);

echo "-- a planted plaintext row, accept_plaintext=0\n";
drop($prefix, $B);
db_plant($prefix, $B, 'user|s:5:"alice";role|s:5:"admin";', 5);
echo 'B read: ', json_encode(req($B)), "\n";
echo log_lines($ids);
db_sql("DELETE FROM rsmemcache_sessions WHERE id = '" . addslashes($prefix . db_row_id($B)) . "'");
echo 'B again, the row gone: ', json_encode(req($B)), "\n";

echo "-- A's sealed row copied to B's id\n";
db_plant($prefix, $B, db_row($prefix, $A)[2], db_row($prefix, $A)[0]);
drop($prefix, $B);
echo 'B read: ', json_encode(req($B)), "\n";
echo log_lines($ids);

echo "-- a refused copy does not force a plaintext row in, even with accept_plaintext=1\n";
ini_set('rsmemcache.encryption_accept_plaintext', '1');
db_plant($prefix, $B, 'user|s:5:"alice";role|s:5:"admin";', 9);
$forged = "\x02\x02k1" . random_bytes(60);
mc_raw(MC1, "ms " . mc_key($B, $prefix) . " " . strlen($forged) . " F" . ((9 << 12) | 4) . " T600\r\n$forged\r\n");
echo 'B read: ', json_encode(req($B)), "\n";
echo log_lines($ids);

echo "-- an old plaintext row, accept_plaintext=1: read, counted, resealed by the next write\n";
db_plant($prefix, $B, 'v|s:3:"old";', 12);
drop($prefix, $B);
$before = rsmemcache_stats()['plaintext_accepted'];
echo 'B read: ', json_encode(req($B, 'old')), ', plaintext_accepted +', rsmemcache_stats()['plaintext_accepted'] - $before, "\n";
echo log_lines($ids);
$row = db_row($prefix, $B);
echo 'row now: sealed ', json_encode(ord($row[2][0]) === 2 && !str_contains($row[2], 'old')), ', version ', $row[0], "\n";
db_sql("DELETE FROM rsmemcache_sessions WHERE id LIKE '" . addslashes($prefix) . "%'");
drop($prefix, $A); drop($prefix, $B);
ob_end_flush();
?>
--EXPECTF--
-- a sealed row
row: format 2, key id k1, holds the plaintext false, version 1
the same bytes as memcached: true
restored after losing memcached: {"v":"alice"}
  logged: rsmemcache: session <A>: no copy in memcached; version 1 restored from the durable tier
  logged: rsmemcache: session <A>: read repair wrote version 1 to 1 stale or missing copy
-- a planted plaintext row, accept_plaintext=0
B read: []
  logged: rsmemcache: session <B>: the durable-tier row (version 5) is not restored: a plaintext value, and rsmemcache.encryption_accept_plaintext is off
B again, the row gone: []
-- A's sealed row copied to B's id
B read: []
  logged: rsmemcache: session <B>: the durable-tier row (version 1) is not restored: failed authentication with key id 'k1' (forged, altered, or copied from another session)
-- a refused copy does not force a plaintext row in, even with accept_plaintext=1
B read: []
  logged: rsmemcache: session <B>: the copy on server %s is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
  logged: rsmemcache: session <B>: the durable-tier row (version 9) is not restored: a plaintext row, and the copy in memcached was refused
-- an old plaintext row, accept_plaintext=1: read, counted, resealed by the next write
B read: {"v":"old"}, plaintext_accepted +1
  logged: rsmemcache: session <B>: a plaintext durable-tier row was accepted (rsmemcache.encryption_accept_plaintext = 1; 1 since the last such line; no end set (rsmemcache.encryption_accept_plaintext_until)); set it to 0 once every session is encrypted
  logged: rsmemcache: session <B>: no copy in memcached; version 12 restored from the durable tier
  logged: rsmemcache: session <B>: read repair wrote version 12 to 1 stale or missing copy
row now: sealed true, version 13
