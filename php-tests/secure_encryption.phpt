--TEST--
secure: encryption_key_file seals every session value (flag 0x4, no plaintext in memcached); a value forged with a raw ms, one copied from another session id, one with a flipped byte and a plaintext one are each treated as absent (logged with the id's first 6 characters, no warning) and overwritten by the next write, even of an unchanged session
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
--FILE--
<?php
require __DIR__ . '/lib/encryption.inc';
errlog_open();
ob_start();
$hex = enc_hex();
$keys = enc_keyfile('keys', "# test farm\nk1 $hex\n");
$A = lc_sid('encA');
$B = lc_sid('encB');
$ids = ['A' => $A, 'B' => $B];
$names = [MC1 => 'MC1'];
$secret = 'alice-' . bin2hex(random_bytes(4));

echo "-- write A, read it back\n";
[$ok] = enc_request(MC1, $keys, $A, $secret);
[$ok2, $data] = enc_request(MC1, $keys, $A);
echo "started ", json_encode([$ok, $ok2]), ", data ", $data === ['v' => $secret] ? 'as written' : json_encode($data), "\n";
$rawA = enc_raw(MC1, $A);
echo "raw A: sealed ", json_encode(enc_sealed($rawA)), ", key id ", enc_key_id($rawA),
    ", version ", $rawA['flags'] >> 12, ", holds the plaintext ", json_encode(str_contains($rawA['value'], $secret) || str_contains($rawA['value'], 'v|')),
    ", length ", strlen($rawA['value']) - strlen('v|' . serialize($secret)), " bytes over the plaintext\n";
echo "log: ", json_encode(enc_log($ids, $names)), "\n";

echo "-- A's value copied under B's key (same flags)\n";
echo "raw ms: ", enc_forge(MC1, $B, $rawA['value'], $rawA['flags']), "\n";
[$ok, $data] = enc_request(MC1, $keys, $B);
echo "B: started ", json_encode($ok), ", data ", json_encode($data), "\n";
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }
$after = enc_raw(MC1, $B);
echo "B after its (unchanged, lazy) write: sealed ", json_encode(enc_sealed($after)), ", replaced ", json_encode($after['value'] !== $rawA['value']), "\n";
[$ok, $data] = enc_request(MC1, $keys, $B);
echo "B again: data ", json_encode($data), ", log ", json_encode(enc_log($ids, $names)), "\n";
[$ok, $data] = enc_request(MC1, $keys, $A);
echo "A still: ", $data === ['v' => $secret] ? 'as written' : json_encode($data), "\n";

echo "-- a flipped byte in A\n";
$flipped = $rawA['value'];
$at = intdiv(strlen($flipped), 2);
$flipped[$at] = chr(ord($flipped[$at]) ^ 0x01);
echo "raw ms: ", enc_forge(MC1, $A, $flipped, $rawA['flags']), "\n";
[$ok, $data] = enc_request(MC1, $keys, $A);
echo "A: started ", json_encode($ok), ", data ", json_encode($data), "\n";
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }

echo "-- forged with raw ms: a sealed-looking value, and a plaintext one\n";
$forged = "\x01\x02k1" . random_bytes(24) . 'v|s:5:"admin";' . random_bytes(16);
echo "raw ms: ", enc_forge(MC1, $B, $forged, (7 << 12) | 4), "\n";
[$ok, $data] = enc_request(MC1, $keys, $B, 'bob');
echo "B: started ", json_encode($ok), ", data ", json_encode($data), "\n";
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }
[$ok, $data] = enc_request(MC1, $keys, $B);
echo "B after its write: data ", json_encode($data), ", sealed ", json_encode(enc_sealed(enc_raw(MC1, $B))), "\n";
echo "raw ms: ", enc_forge(MC1, $B, 'v|s:5:"admin";', 9 << 12), "\n";
[$ok, $data] = enc_request(MC1, $keys, $B);
echo "B: started ", json_encode($ok), ", data ", json_encode($data), "\n";
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }
echo "with a lookalike header but no flag: ", enc_forge(MC1, $B, "\x01\x02k1" . substr($rawA['value'], 4), 9 << 12), "\n";
[$ok, $data] = enc_request(MC1, $keys, $B);
echo "B: data ", json_encode($data), "\n";
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }

echo "-- use_strict_mode: a planted value does not make its id known\n";
ini_set('session.use_strict_mode', '1');
$F = lc_sid('encF');
echo "raw ms: ", enc_forge(MC1, $F, "\x01\x02k1" . random_bytes(40), (1 << 12) | 4), "\n";
foreach (['planted' => $F, 'genuine' => $A] as $what => $sid) {
    session_id($sid);
    $ok = session_start();
    echo "$what id: started ", json_encode($ok), ", id kept ", json_encode(session_id() === $sid), "\n";
    session_abort();
}
ini_set('session.use_strict_mode', '0');
echo "log: ", json_encode(enc_log($ids, $names)), "\n";
lc_forget($F);

echo "-- never a warning, never the key\n";
$w = enc_warnings();
echo "warnings: ", json_encode($w), "\n";
$log = (string)file_get_contents($GLOBALS['errlog']['file']);
echo "key in the log: ", json_encode(str_contains($log, substr($hex, 0, 16))), "\n";
ob_start();
phpinfo(INFO_MODULES);
$info = ob_get_clean();
echo "phpinfo names the file: ", json_encode(str_contains($info, $keys)), ", shows the key: ", json_encode(str_contains($info, substr($hex, 0, 16))), "\n";
lc_forget($A, $B);
?>
--EXPECTF--
-- write A, read it back
started [true,true], data as written
raw A: sealed true, key id k1, version 1, holds the plaintext false, length 52 bytes over the plaintext
log: []
-- A's value copied under B's key (same flags)
raw ms: HD
B: started true, data []
  logged: rsmemcache: session <B>: the copy on server MC1 is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
B after its (unchanged, lazy) write: sealed true, replaced true
B again: data [], log []
A still: as written
-- a flipped byte in A
raw ms: HD
A: started true, data []
  logged: rsmemcache: session <A>: the copy on server MC1 is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
-- forged with raw ms: a sealed-looking value, and a plaintext one
raw ms: HD
B: started true, data []
  logged: rsmemcache: session <B>: the copy on server MC1 is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
B after its write: data {"v":"bob"}, sealed true
raw ms: HD
B: started true, data []
  logged: rsmemcache: session <B>: the copy on server MC1 is treated as absent: a plaintext value, and rsmemcache.encryption_accept_plaintext is off
with a lookalike header but no flag: HD
B: data []
  logged: rsmemcache: session <B>: the copy on server MC1 is treated as absent: a plaintext value, and rsmemcache.encryption_accept_plaintext is off
-- use_strict_mode: a planted value does not make its id known
raw ms: HD
planted id: started true, id kept false
genuine id: started true, id kept true
log: []
-- never a warning, never the key
warnings: []
key in the log: false
phpinfo names the file: true, shows the key: false
