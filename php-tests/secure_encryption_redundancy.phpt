--TEST--
secure: with session_redundancy=2, a copy that fails authentication is treated as absent and the other copy is used; read repair overwrites the bad copy (sealed, same version); when both fail the session is absent, both are logged, and the next write replaces both
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; if (MC1 === MC2) { die('skip needs two servers'); } ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.lazy_write=1
rsmemcache.session_redundancy=2
--FILE--
<?php
require __DIR__ . '/lib/encryption.inc';
errlog_open();
ob_start();
$keys = enc_keyfile('keys', 'k1 ' . enc_hex() . "\n");
$path = MC1 . ',' . MC2;
$id = lc_sid('encN2');
$ids = ['id' => $id];
$names = [MC1 => 'MC1', MC2 => 'MC2'];
$flip = function (array $c): string { $v = $c['value']; $i = strlen($v) - 3; $v[$i] = chr(ord($v[$i]) ^ 0x80); return $v; };
$copies = function () use ($id): array { return [enc_raw(MC1, $id), enc_raw(MC2, $id)]; };

enc_request($path, $keys, $id, 'alice');
[$c1, $c2] = $copies();
echo "two sealed copies: ", json_encode(enc_sealed($c1) && enc_sealed($c2)), ", same version: ", json_encode($c1['flags'] === $c2['flags']), "\n";

foreach ([[MC1, 0], [MC2, 1]] as [$bad, $i]) {
    echo "-- a flipped byte on ", $names[$bad], "\n";
    $before = $copies();
    echo "raw ms: ", enc_forge($bad, $id, $flip($before[$i]), $before[$i]['flags']), "\n";
    [$ok, $data] = enc_request($path, $keys, $id);
    echo "read: started ", json_encode($ok), ", data ", json_encode($data), "\n";
    foreach (enc_log($ids, $names) as $l) { echo "  logged: $l\n"; }
    $after = $copies();
    echo "repaired: sealed ", json_encode(enc_sealed($after[$i])), ", version as the good copy: ", json_encode($after[$i]['flags'] === $after[1 - $i]['flags']),
        ", new bytes: ", json_encode($after[$i]['value'] !== $before[$i]['value']), "\n";
    [$ok, $data] = enc_request($path, $keys, $id);
    echo "read again: data ", json_encode($data), ", log ", json_encode(enc_log($ids, $names)), "\n";
}

echo "-- both copies flipped\n";
[$c1, $c2] = $copies();
enc_forge(MC1, $id, $flip($c1), $c1['flags']);
enc_forge(MC2, $id, $flip($c2), $c2['flags']);
[$ok, $data] = enc_request($path, $keys, $id, 'fresh');
echo "read: started ", json_encode($ok), ", data ", json_encode($data), "\n";
$log = enc_log($ids, $names);
sort($log);
foreach ($log as $l) { echo "  logged: $l\n"; }
[$ok, $data] = enc_request($path, $keys, $id);
[$c1, $c2] = $copies();
echo "after the write: data ", json_encode($data), ", both sealed ", json_encode(enc_sealed($c1) && enc_sealed($c2)), ", log ", json_encode(enc_log($ids, $names)), "\n";
echo "warnings: ", json_encode(enc_warnings()), "\n";
lc_forget($id);
?>
--EXPECTF--
two sealed copies: true, same version: true
-- a flipped byte on MC1
raw ms: HD
read: started true, data {"v":"alice"}
  logged: rsmemcache: session <id>: the copy on server MC1 is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
  logged: rsmemcache: session <id>: read repair wrote version 1 to 1 stale or missing copy
repaired: sealed true, version as the good copy: true, new bytes: true
read again: data {"v":"alice"}, log []
-- a flipped byte on MC2
raw ms: HD
read: started true, data {"v":"alice"}
  logged: rsmemcache: session <id>: the copy on server MC2 is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
  logged: rsmemcache: session <id>: read repair wrote version 1 to 1 stale or missing copy
repaired: sealed true, version as the good copy: true, new bytes: true
read again: data {"v":"alice"}, log []
-- both copies flipped
read: started true, data []
  logged: rsmemcache: session <id>: the copy on server MC1 is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
  logged: rsmemcache: session <id>: the copy on server MC2 is treated as absent: failed authentication with key id 'k1' (forged, altered, or copied from another session)
after the write: data {"v":"fresh"}, both sealed true, log []
warnings: []
