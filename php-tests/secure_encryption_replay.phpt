--TEST--
secure: an older authentic sealed value written back is refused once its sealed expiry (write time + gc_maxlifetime) is more than 5 s past, and at once after a logout (tombstone, counted); values are format 2 with the expiry in the header; a new session under the destroyed id is accepted
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
$keys = enc_keyfile('keys', 'k1 ' . enc_hex() . "\n");
$A = lc_sid('replA');
$B = lc_sid('replB');
$ids = ['A' => $A, 'B' => $B];
$names = [MC1 => 'MC1'];
function show_log(array $ids, array $names): void {
    foreach (enc_log($ids, $names) as $l) { echo '  logged: ', preg_replace('/unix time \d+/', 'unix time T', $l), "\n"; }
}

echo "-- the expiry is sealed in the header\n";
ini_set('session.gc_maxlifetime', '1');
$t0 = time();
enc_request(MC1, $keys, $A, 'logged-in');
$old = enc_raw(MC1, $A);
$exp = unpack('J', substr($old['value'], 2 + ord($old['value'][1]), 8))[1];
echo 'format ', ord($old['value'][0]), ', expiry - write time in [1, 2]: ', json_encode($exp - $t0 >= 1 && $exp - $t0 <= 2), "\n";
ini_set('session.gc_maxlifetime', '1440');
enc_request(MC1, $keys, $A, 'changed');
echo "-- the old value written back within its expiry + 5 s: accepted (AEAD alone cannot tell)\n";
enc_forge(MC1, $A, $old['value'], $old['flags']);
[, $data] = enc_request(MC1, $keys, $A);
echo 'A: ', json_encode($data), "\n";
echo "-- written back after that: refused\n";
while (time() <= $exp + 5) { usleep(100000); }
enc_forge(MC1, $A, $old['value'], $old['flags']);
[$ok, $data] = enc_request(MC1, $keys, $A);
echo 'A: started ', json_encode($ok), ', data ', json_encode($data), "\n";
show_log($ids, $names);

echo "-- after a logout: a value written before it is refused at once\n";
enc_request(MC1, $keys, $B, 'bob');
enc_request(MC1, $keys, $B, 'bob, admin');
$before = enc_raw(MC1, $B);
$s0 = rsmemcache_stats();
ini_set('rsmemcache.encryption_key_file', $keys);
session_id($B); session_start(); session_destroy();
$s1 = rsmemcache_stats();
echo 'destroyed: copy ', json_encode(enc_raw(MC1, $B)), ', tombstone ', preg_replace('/ \d+$/', ' T', (string)mc_get(MC1, lc_key($B) . '.tomb')), ', tombstones_written +', $s1['tombstones_written'] - $s0['tombstones_written'], "\n";
enc_forge(MC1, $B, $before['value'], $before['flags']);
[$ok, $data] = enc_request(MC1, $keys, $B);
$s2 = rsmemcache_stats();
echo 'B: started ', json_encode($ok), ', data ', json_encode($data), ', tombstones_honoured +', $s2['tombstones_honoured'] - $s1['tombstones_honoured'], "\n";
show_log($ids, $names);
echo "-- the same id used again: newer than the tombstone\n";
enc_request(MC1, $keys, $B, 'new');
[, $data] = enc_request(MC1, $keys, $B);
echo 'B: ', json_encode($data), ', version ', enc_raw(MC1, $B)['flags'] >> 12, "\n";
show_log($ids, $names);
lc_forget($A, $B);
mc_delete(MC1, lc_key($B) . '.tomb');
ob_end_flush();
?>
--EXPECTF--
-- the expiry is sealed in the header
format 2, expiry - write time in [1, 2]: true
-- the old value written back within its expiry + 5 s: accepted (AEAD alone cannot tell)
A: {"v":"logged-in"}
-- written back after that: refused
A: started true, data []
  logged: rsmemcache: session <A>: the copy on server MC1 is treated as absent: an authentic value whose expiry (unix time T) has passed: an old copy written back
-- after a logout: a value written before it is refused at once
destroyed: copy null, tombstone 2 T, tombstones_written +1
B: started true, data [], tombstones_honoured +1
  logged: rsmemcache: session <B>: the copy on server MC1 (version 2) is treated as absent: the session was destroyed at version 2 (unix time T) after it was written
-- the same id used again: newer than the tombstone
B: {"v":"new"}, version 4
