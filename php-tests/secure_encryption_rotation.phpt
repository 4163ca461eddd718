--TEST--
secure: key rotation (new key first, old key second) reads sessions sealed with the old key and seals with the new one; a key id no longer in the file is treated as absent; encryption_accept_plaintext=1 reads a plaintext session and its next write (lazy, unchanged) stores it sealed; with encryption off an encrypted value is an error, never ciphertext for PHP
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
$old = enc_hex();
$new = base64_encode(random_bytes(32));   // base64 works as well as hex
$oldOnly = enc_keyfile('old', "old $old\n");
$rotated = enc_keyfile('rotated', "# new key first: it seals\nnew $new\n# kept until every session sealed with it has expired\nold $old\n");
$newOnly = enc_keyfile('new', "new $new\n");
$R = lc_sid('rotR');
$S = lc_sid('rotS');
$P = lc_sid('rotP');
$ids = ['R' => $R, 'S' => $S, 'P' => $P];
$names = [MC1 => 'MC1'];
$show = function (string $what, array $r) { echo "$what: started ", json_encode($r[0]), ", data ", json_encode($r[1]), "\n"; };

echo "-- rotation\n";
enc_request(MC1, $oldOnly, $R, 'r1');
enc_request(MC1, $oldOnly, $S, 's1');
echo "R sealed with: ", enc_key_id(enc_raw(MC1, $R)), "\n";
$show('R read with the rotated file', enc_request(MC1, $rotated, $R, 'r2'));
echo "R now sealed with: ", enc_key_id(enc_raw(MC1, $R)), "\n";
$show('R read with the new key alone', enc_request(MC1, $newOnly, $R));
$show('S (still under the old key) read with the rotated file', enc_request(MC1, $rotated, $S));
echo "S, unchanged and lazy, still sealed with: ", enc_key_id(enc_raw(MC1, $S)), "\n";
$show('S read with the new key alone', enc_request(MC1, $newOnly, $S));
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }

echo "-- switching on with accept_plaintext\n";
enc_request(MC1, '', $P, 'plain');
$raw = enc_raw(MC1, $P);
echo "P stored in plaintext: ", json_encode($raw['value']), ", flags & 0xfff = ", $raw['flags'] & 0xfff, "\n";
$show('P read with accept_plaintext=0', enc_request(MC1, $newOnly, $P, null, false));
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }
// That request's own (unchanged) write replaced the plaintext copy with
// a sealed empty session: put the plaintext one back for the next step.
echo "plaintext put back: ", enc_forge(MC1, $P, $raw['value'], $raw['flags']), "\n";
$show('P read with accept_plaintext=1', enc_request(MC1, $newOnly, $P, null, true));
$raw = enc_raw(MC1, $P);
echo "P after that request's unchanged (lazy) write: sealed ", json_encode(enc_sealed($raw)), ", key id ", enc_key_id($raw), ", plaintext in it ", json_encode(str_contains($raw['value'], 'plain')), ", version ", $raw['flags'] >> 12, "\n";
$show('P read with accept_plaintext=0', enc_request(MC1, $newOnly, $P, null, false));
echo "log: ", json_encode(enc_log($ids, $names)), "\n";

echo "-- encryption off, sealed value\n";
$show('P read without a key file', enc_request(MC1, '', $P));
// (PHP may call read twice; each failure raises the same warning.)
foreach (array_unique(enc_warnings()) as $w) { echo "  warning: ", str_replace([$P, substr($P, 0, 6) . '...', MC1], ['<P>', '<P>', 'MC1'], $w), "\n"; }
echo "P untouched: sealed ", json_encode(enc_sealed(enc_raw(MC1, $P))), "\n";
lc_forget($R, $S, $P);
?>
--EXPECTF--
-- rotation
R sealed with: old
R read with the rotated file: started true, data {"v":"r1"}
R now sealed with: new
R read with the new key alone: started true, data {"v":"r2"}
S (still under the old key) read with the rotated file: started true, data {"v":"s1"}
S, unchanged and lazy, still sealed with: old
S read with the new key alone: started true, data []
  logged: rsmemcache: session <S>: the copy on server MC1 is treated as absent: encrypted with key id 'old', which rsmemcache.encryption_key_file does not hold
-- switching on with accept_plaintext
P stored in plaintext: "v|s:5:\"plain\";", flags & 0xfff = 0
P read with accept_plaintext=0: started true, data []
  logged: rsmemcache: session <P>: the copy on server MC1 is treated as absent: a plaintext value, and rsmemcache.encryption_accept_plaintext is off
plaintext put back: HD
P read with accept_plaintext=1: started true, data {"v":"plain"}
P after that request's unchanged (lazy) write: sealed true, key id new, plaintext in it false, version %d
P read with accept_plaintext=0: started true, data {"v":"plain"}
log: ["rsmemcache: session <P>: a plaintext copy on server MC1 was accepted (rsmemcache.encryption_accept_plaintext = 1; 1 since the last such line; no end set (rsmemcache.encryption_accept_plaintext_until)); set it to 0 once every session is encrypted"]
-- encryption off, sealed value
P read without a key file: started false, data []
  warning: session_start(): rsmemcache: session <P> on server MC1 cannot be read: an encrypted value, and rsmemcache.encryption_key_file is not set; the stored copy is left as it is
  warning: session_start(): Failed to read session data: rsmemcache (path: MC1)
P untouched: sealed true
