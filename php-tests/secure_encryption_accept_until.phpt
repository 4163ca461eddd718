--TEST--
secure: every plaintext value read under encryption_accept_plaintext=1 is counted (plaintext_accepted) and logged with the id's first 6 characters, at most one line a minute; encryption_accept_plaintext_until in the past refuses them as accept_plaintext=0 does; a bad value is refused by ini_set
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
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
require __DIR__ . '/lib/encryption.inc';
errlog_open();
ob_start();
$keys = enc_keyfile('keys', 'k1 ' . enc_hex() . "\n");
$A = lc_sid('untA'); $B = lc_sid('untB'); $C = lc_sid('untC');
$ids = ['A' => $A, 'B' => $B, 'C' => $C];
$names = [MC1 => 'MC1'];
$plain = 'v|s:5:"plain";';
function accepted(): int { return rsmemcache_stats()['plaintext_accepted']; }

echo "-- accept_plaintext=1, no end\n";
enc_forge(MC1, $A, $plain, 0);
enc_forge(MC1, $B, $plain, 0);
$n0 = accepted();
[, $a] = enc_request(MC1, $keys, $A, null, true);
[, $b] = enc_request(MC1, $keys, $B, null, true);
echo 'A ', json_encode($a), ', B ', json_encode($b), ', plaintext_accepted +', accepted() - $n0, "\n";
foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }
echo 'A resealed by its (unchanged) write: ', json_encode(enc_sealed(enc_raw(MC1, $A))), "\n";

echo "-- accept_plaintext=1 until a time already past\n";
var_dump(ini_set('rsmemcache.encryption_accept_plaintext_until', (string)(time() - 1)));
enc_forge(MC1, $C, $plain, 0);
$n1 = accepted();
[$ok, $c] = enc_request(MC1, $keys, $C, null, true);
echo 'C: started ', json_encode($ok), ', data ', json_encode($c), ', plaintext_accepted +', accepted() - $n1, "\n";
foreach (enc_log($ids, $names) as $l) { echo '  logged: ', preg_replace('/\(\d+\)/', '(T)', $l), "\n"; }

echo "-- until a time to come: accepted\n";
ini_set('rsmemcache.encryption_accept_plaintext_until', (string)(time() + 3600));
enc_forge(MC1, $C, $plain, 0);
[, $c] = enc_request(MC1, $keys, $C, null, true);
echo 'C ', json_encode($c), ', plaintext_accepted +', accepted() - $n1, "\n";
echo "-- a bad value\n";
set_error_handler(function (int $no, string $msg): bool { echo "warning: $msg\n"; return true; });
var_dump(ini_set('rsmemcache.encryption_accept_plaintext_until', 'tomorrow'));
restore_error_handler();
echo ini_get('rsmemcache.encryption_accept_plaintext_until') > time() ? "kept\n" : "changed\n";
lc_forget($A, $B, $C);
ob_end_flush();
?>
--EXPECTF--
-- accept_plaintext=1, no end
A {"v":"plain"}, B {"v":"plain"}, plaintext_accepted +2
  logged: rsmemcache: session <A>: a plaintext copy on server MC1 was accepted (rsmemcache.encryption_accept_plaintext = 1; %d since the last such line; no end set (rsmemcache.encryption_accept_plaintext_until)); set it to 0 once every session is encrypted
A resealed by its (unchanged) write: true
-- accept_plaintext=1 until a time already past
string(1) "0"
C: started true, data [], plaintext_accepted +0
  logged: rsmemcache: session <C>: the copy on server MC1 is treated as absent: a plaintext value, and rsmemcache.encryption_accept_plaintext_until (T) has passed
-- until a time to come: accepted
C {"v":"plain"}, plaintext_accepted +1
-- a bad value
warning: %srsmemcache.encryption_accept_plaintext_until%s
bool(false)
kept
