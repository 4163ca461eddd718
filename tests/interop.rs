//! Interoperability with another memcached client: a session written by PHP
//! through the `rsmemcache` save handler is stored as exactly the bytes PHP
//! serialized, readable by any client under `rsmemcache.sess.<id>`; and bytes
//! another client stores there are what PHP reads back as `$_SESSION`.
//!
//! Each test starts its own single memcached, so placement plays no part.

mod common;

use common::{Memcached, base64_decode, run_php};
use futures::executor::block_on;

/// The default `rsmemcache.prefix`.
const PREFIX: &str = "rsmemcache.sess.";

/// The memcached key of session `sid` under the default directives.
fn key_of(sid: &str) -> String {
    let hashed = rsmemcache::core::keys::hashed_id(sid.as_bytes());
    format!("{PREFIX}{}", String::from_utf8_lossy(&hashed))
}

/// PHP that stores binary-ish data (NULs, CRLF, every byte 0x80-0xff) in
/// session `sid`, prints `ENC <base64 of session_encode()>` and writes the
/// session.
fn php_writer(sid: &str) -> String {
    format!(
        r#"
session_id('{sid}');
if (!session_start()) {{ fwrite(STDERR, "session_start failed\n"); exit(2); }}
$high = implode('', array_map('chr', range(0x80, 0xff)));
$_SESSION['bin'] = "nul\0mid\r\ncrlf" . $high . "\0";
$_SESSION['n'] = 42;
$_SESSION['f'] = 1.5;
$_SESSION['arr'] = ['k' => "v\r\nw", 7 => true, 'nested' => [null, "\x00\xff"]];
echo 'ENC ', base64_encode(session_encode()), "\n";
if (!session_write_close()) {{ fwrite(STDERR, "session_write_close failed\n"); exit(3); }}
echo "WRITTEN\n";
"#
    )
}

/// PHP that opens session `sid` and prints every entry of `$_SESSION` as
/// `KEY <name> <base64 of serialize(value)>`, then `ENC <base64 of
/// session_encode()>`.
fn php_reader(sid: &str) -> String {
    format!(
        r#"
session_id('{sid}');
if (!session_start()) {{ fwrite(STDERR, "session_start failed\n"); exit(2); }}
foreach ($_SESSION as $k => $v) {{ echo 'KEY ', $k, ' ', base64_encode(serialize($v)), "\n"; }}
echo 'COUNT ', count($_SESSION), "\n";
echo 'ENC ', base64_encode(session_encode()), "\n";
if (!session_write_close()) {{ fwrite(STDERR, "session_write_close failed\n"); exit(3); }}
"#
    )
}

/// Sanity check on the test data itself: it holds the awkward bytes.
fn assert_binaryish(bytes: &[u8]) {
    assert!(bytes.contains(&0), "test data has a NUL");
    assert!(bytes.windows(2).any(|w| w == b"\r\n"), "test data has CRLF");
    for b in 0x80..=0xffu8 {
        assert!(bytes.contains(&b), "test data lacks byte {b:#04x}");
    }
}

#[test]
fn session_written_by_php_is_read_back_byte_for_byte_by_memcache_async() {
    let mc = Memcached::start();
    let sid = "interopPhpWrites1";
    let run = run_php(&mc.save_path(), &[], &php_writer(sid));
    run.assert_clean();
    assert!(run.out().contains("WRITTEN\n"), "{}", run.out());
    let encoded = base64_decode(&run.field("ENC").expect("ENC line"));
    assert_binaryish(&encoded);
    assert!(
        encoded.starts_with(b"bin|s:"),
        "php serializer format: {encoded:?}"
    );

    let mut client = mc.async_client();
    let stored = block_on(client.get(key_of(sid))).expect("session key is in memcached");
    assert_eq!(stored.len(), encoded.len(), "stored length");
    assert!(
        stored == encoded,
        "stored bytes differ from session_encode()"
    );

    // PHP reading it again sees the same session and re-encodes it identically.
    let again = run_php(&mc.save_path(), &[], &php_reader(sid));
    again.assert_clean();
    assert_eq!(
        base64_decode(&again.field("ENC").expect("ENC line")),
        encoded
    );
    assert_eq!(again.field("COUNT").as_deref(), Some("4"));
}

#[test]
fn session_stored_by_memcache_async_is_what_php_reads() {
    let mc = Memcached::start();
    let sid = "interopRustWrites1";
    let key = key_of(sid);

    let mut bin = b"nul\0mid\r\ncrlf".to_vec();
    bin.extend(0x80..=0xffu8);
    bin.push(0);
    let mut bin_entry = format!("s:{}:\"", bin.len()).into_bytes();
    bin_entry.extend_from_slice(&bin);
    bin_entry.extend_from_slice(b"\";");

    let mut data = b"user|s:5:\"alice\";n|i:42;bin|".to_vec();
    data.extend_from_slice(&bin_entry);
    assert_binaryish(&data);

    let mut client = mc.async_client();
    block_on(client.set(&key, &data, 0)).expect("set (noreply)");
    // `set` is noreply: a get on the same connection is ordered after it.
    assert_eq!(block_on(client.get(&key)).expect("value is stored"), data);

    let run = run_php(&mc.save_path(), &[], &php_reader(sid));
    run.assert_clean();
    let entries: Vec<(String, Vec<u8>)> = run
        .out()
        .lines()
        .filter_map(|l| l.strip_prefix("KEY "))
        .map(|l| {
            let (k, v) = l.split_once(' ').expect("KEY name value");
            (k.to_owned(), base64_decode(v))
        })
        .collect();
    let want: Vec<(String, Vec<u8>)> = vec![
        ("user".to_owned(), b"s:5:\"alice\";".to_vec()),
        ("n".to_owned(), b"i:42;".to_vec()),
        ("bin".to_owned(), bin_entry.clone()),
    ];
    assert_eq!(entries, want, "$_SESSION as PHP read it");
    assert_eq!(run.field("COUNT").as_deref(), Some("3"));
    assert!(
        base64_decode(&run.field("ENC").expect("ENC line")) == data,
        "session_encode() differs from the stored bytes"
    );

    // PHP left the (unchanged) session as it was.
    let mut client = mc.async_client();
    assert!(block_on(client.get(&key)).expect("still stored") == data);
}

#[test]
fn missing_session_reads_as_empty_and_is_created_on_write() {
    let mc = Memcached::start();
    let sid = "interopFresh1";
    let run = run_php(&mc.save_path(), &[], &php_reader(sid));
    run.assert_clean();
    assert_eq!(run.field("COUNT").as_deref(), Some("0"));
    // A later write from PHP is visible to the other client.
    let run = run_php(&mc.save_path(), &[], &php_writer(sid));
    run.assert_clean();
    let encoded = base64_decode(&run.field("ENC").expect("ENC line"));
    let mut client = mc.async_client();
    let stored = block_on(client.get(key_of(sid))).expect("session key is in memcached");
    assert!(stored == encoded);
}

#[test]
fn php_session_over_a_unix_socket_save_path() {
    let mc = Memcached::start_unix(&[]);
    let sid = "interopUnix1";
    assert!(mc.save_path().starts_with("unix:///"));
    let run = run_php(&mc.save_path(), &[], &php_writer(sid));
    run.assert_clean();
    let encoded = base64_decode(&run.field("ENC").expect("ENC line"));

    let mut client = mc.async_unix_client();
    let stored = block_on(client.get(key_of(sid))).expect("session key is in memcached");
    assert!(
        stored == encoded,
        "stored bytes differ from session_encode()"
    );

    let again = run_php(&mc.save_path(), &[], &php_reader(sid));
    again.assert_clean();
    assert_eq!(
        base64_decode(&again.field("ENC").expect("ENC line")),
        encoded
    );
}
