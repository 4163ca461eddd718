--TEST--
secure: a bad encryption_key_file (missing, empty, a short key, bad encoding, a repeated id, a bad line) fails session_start() with a warning naming the directive and the path, never the file's content, and never falls back to plaintext; a fixed file is used without a restart; ini_set refuses a bad encryption_accept_plaintext
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
require __DIR__ . '/lib/encryption.inc';
errlog_open();
ob_start();
$hex = enc_hex();
$dir = enc_dir();
$id = lc_sid('keyfile');
$cases = [
    'missing' => null,
    'empty' => '',
    'comments only' => "# no key yet\n\n",
    'short key' => 'k1 ' . substr($hex, 0, 62) . "\n",
    'bad encoding' => 'k1 ' . str_repeat('!', 44) . "\n",
    'repeated id' => "k1 $hex\nk2 " . enc_hex() . "\nk1 " . enc_hex() . "\n",
    'no id' => "$hex\n",
    'bad id' => "k/1 $hex\n",
];
$all = '';
foreach ($cases as $what => $content) {
    $f = $content === null ? "$dir/none" : enc_keyfile(str_replace(' ', '-', $what), $content);
    [$ok, $data] = enc_request(MC1, $f, $id, 'never');
    echo "$what: started ", json_encode($ok), "\n";
    foreach (enc_warnings() as $w) {
        $all .= $w;
        echo "  ", str_replace([$dir, MC1], ['<dir>', 'MC1'], $w), "\n";
    }
}
echo "stored: ", json_encode(enc_raw(MC1, $id)), "\n";
echo "a key in a warning: ", json_encode(str_contains($all, substr($hex, 0, 16)) || str_contains($all, '!!!!')), "\n";

echo "-- the file fixed, same path, same process\n";
file_put_contents("$dir/short-key", "k1 $hex\n");
[$ok] = enc_request(MC1, "$dir/short-key", $id, 'now');
echo "started ", json_encode($ok), ", warnings ", json_encode(enc_warnings()), ", sealed ", json_encode(enc_sealed(enc_raw(MC1, $id))), "\n";

echo "-- ini_set\n";
var_dump(@ini_set('rsmemcache.encryption_accept_plaintext', 'maybe'));
echo error_get_last()['message'] ?? '-', "\n";
var_dump(ini_get('rsmemcache.encryption_accept_plaintext'));
echo "log: ", json_encode(errlog_take()), "\n";
lc_forget($id);
?>
--EXPECT--
missing: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/none' cannot be used: No such file or directory (os error 2)
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
empty: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/empty' cannot be used: it holds no key (expected lines '<id> <key>')
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
comments only: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/comments-only' cannot be used: it holds no key (expected lines '<id> <key>')
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
short key: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/short-key' cannot be used: line 1: the key is 31 bytes, not 32
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
bad encoding: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/bad-encoding' cannot be used: line 1: the key is neither 64 hex digits nor base64
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
repeated id: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/repeated-id' cannot be used: line 3 repeats the key id of line 1
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
no id: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/no-id' cannot be used: line 1 is not '<id> <key>' (an id, a space, 32 bytes as hex or base64)
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
bad id: started false
  session_start(): rsmemcache: rsmemcache.encryption_key_file '<dir>/bad-id' cannot be used: line 1: a key id is 1-32 letters, digits, '.', '_' or '-'
  session_start(): Failed to initialize storage module: rsmemcache (path: MC1)
stored: null
a key in a warning: false
-- the file fixed, same path, same process
started true, warnings [], sealed true
-- ini_set
bool(false)
ini_set(): rsmemcache: invalid value 'maybe' for rsmemcache.encryption_accept_plaintext: expected 0 or 1
string(1) "0"
log: []
