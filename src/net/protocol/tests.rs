//! Tests of the meta protocol codec: encoding, every reply shape, replies
//! for another command, error lines, hostile lengths, partial input.

use super::*;

fn enc(c: Command<'_>) -> Vec<u8> {
    let mut v = Vec::new();
    c.encode(7, &mut v);
    v
}

fn meta(key: &[u8]) -> Expect {
    Expect {
        opaque: 7,
        key: key.to_vec(),
        kind: ExpectKind::Meta,
    }
}

/// Parses `bytes` as replies to commands on key `k` with opaque 7.
fn one(bytes: &[u8]) -> Result<Reply, String> {
    match parse_reply(bytes, &meta(b"k"), 1 << 20).map_err(|e| e.to_string())? {
        Parsed::Reply(r, used) => {
            assert_eq!(used, bytes.len(), "whole reply consumed");
            Ok(r)
        }
        Parsed::Incomplete => Err("incomplete".into()),
    }
}

#[test]
fn encodes_meta_commands_with_opaque_and_key() {
    let get = Command::Get {
        key: b"k",
        value: true,
        ttl: true,
        cas: true,
        flags: false,
        touch: None,
    };
    assert_eq!(enc(get), b"mg k v t c O7 k\r\n");
    assert_eq!(enc(Command::touch(b"k", 60)), b"mg k T60 O7 k\r\n");
    let set = Command::Set {
        key: b"k",
        value: b"a\r\nb\0",
        exptime: 1440,
        client_flags: 0,
        mode: SetMode::Set,
        cas: None,
    };
    assert_eq!(enc(set), b"ms k 5 T1440 c O7 k\r\na\r\nb\0\r\n");
    let add = Command::Set {
        key: b"l",
        value: b"t",
        exptime: 30,
        client_flags: 2,
        mode: SetMode::Add,
        cas: Some(9),
    };
    assert_eq!(enc(add), b"ms l 1 T30 c F2 ME C9 O7 k\r\nt\r\n");
    let del = Command::Delete {
        key: b"l",
        cas: Some(7),
    };
    assert_eq!(enc(del), b"md l C7 O7 k\r\n");
    assert_eq!(enc(Command::Noop), b"mn\r\n");
    assert_eq!(enc(Command::StatsSettings), b"stats settings\r\n");
}

#[test]
fn only_idempotent_commands_may_be_repeated() {
    assert!(Command::peek(b"k").safe_to_repeat());
    assert!(Command::touch(b"k", 5).safe_to_repeat());
    let set = |mode, cas| Command::Set {
        key: b"k",
        value: b"v",
        exptime: 0,
        client_flags: 0,
        mode,
        cas,
    };
    assert!(set(SetMode::Set, None).safe_to_repeat());
    assert!(!set(SetMode::Add, None).safe_to_repeat(), "lock add");
    assert!(!set(SetMode::Set, Some(3)).safe_to_repeat(), "CAS store");
    let del = |cas| Command::Delete { key: b"k", cas };
    assert!(del(None).safe_to_repeat());
    assert!(!del(Some(3)).safe_to_repeat(), "compare-and-delete");
}

#[test]
fn parses_every_reply_shape() {
    assert_eq!(one(b"HD O7 kk\r\n"), Ok(Reply::Done(Meta::default())));
    assert_eq!(
        one(b"HD t50 c7 f3 O7 kk\r\n"),
        Ok(Reply::Done(Meta {
            ttl: Some(50),
            cas: Some(7),
            client_flags: Some(3)
        }))
    );
    assert_eq!(
        one(b"VA 5 t-1 c9 O7 kk\r\na\r\nb\0\r\n"),
        Ok(Reply::Value(
            b"a\r\nb\0".to_vec(),
            Meta {
                ttl: Some(-1),
                cas: Some(9),
                client_flags: None
            }
        ))
    );
    assert_eq!(
        one(b"VA 0 O7 kk\r\n\r\n"),
        Ok(Reply::Value(vec![], Meta::default()))
    );
    assert_eq!(one(b"EN O7 kk\r\n"), Ok(Reply::Miss));
    assert_eq!(one(b"NS c0 O7 kk\r\n"), Ok(Reply::NotStored));
    assert_eq!(one(b"EX kk O7\r\n"), Ok(Reply::Exists));
    assert_eq!(one(b"NF O7 kk\r\n"), Ok(Reply::NotFound));
    let noop = Expect {
        opaque: 0,
        key: Vec::new(),
        kind: ExpectKind::Noop,
    };
    assert_eq!(
        parse_reply(b"MN\r\n", &noop, 10).unwrap(),
        Parsed::Reply(Reply::Noop, 4)
    );
}

#[test]
fn replies_for_another_command_are_refused() {
    // A stray EN (no opaque) must not be taken for the next reply.
    assert!(one(b"EN\r\n").unwrap_err().contains("does not match"));
    // A reply naming another key.
    let e = one(b"VA 1 O7 kother\r\nx\r\n").unwrap_err();
    assert!(
        e.contains("does not match") && e.contains("another key") && !e.contains("other\r"),
        "{e}"
    );
    assert!(one(b"HD O8 kk\r\n").unwrap_err().contains("O8"));
    assert!(one(b"HD kk\r\n").unwrap_err().contains("no opaque"));
    assert!(one(b"MN\r\n").unwrap_err().contains("unexpected reply"));
}

#[test]
fn error_lines_answer_the_command() {
    for line in [
        &b"SERVER_ERROR object too large for cache"[..],
        b"CLIENT_ERROR bad command line format",
        b"ERROR",
    ] {
        let bytes = [line, b"\r\n"].concat();
        assert_eq!(
            one(&bytes),
            Ok(Reply::Failed(String::from_utf8_lossy(line).into_owned()))
        );
    }
}

#[test]
fn huge_or_bad_lengths_are_refused_before_allocation() {
    // A huge length: 22 bytes announcing 1 GiB; refused at the header.
    let e = one(b"VA 1073741824 O7 kk\r\n").unwrap_err();
    assert!(e.contains("more than the 1048576 allowed"), "{e}");
    assert!(one(b"VA -1 O7 kk\r\n").unwrap_err().contains("bad length"));
    assert!(
        one(b"VA 18446744073709551616 O7 kk\r\n")
            .unwrap_err()
            .contains("bad length")
    );
    assert!(one(b"VA x\r\n").unwrap_err().contains("bad length"));
    assert!(one(b"VA\r\n").unwrap_err().contains("without a length"));
    assert!(one(b"VA 3 O7 kk\r\nabcd\r\n").unwrap_err().contains("CRLF"));
    assert!(one(b"HD tX O7 kk\r\n").unwrap_err().contains("bad flag"));
    assert!(one(b"HD\n").unwrap_err().contains("CRLF"));
    assert!(
        one(b"STORED\r\n")
            .unwrap_err()
            .contains("unexpected reply 'STORED'")
    );
}

#[test]
fn partial_replies_are_incomplete_at_every_split() {
    let whole = b"VA 3 c1 f0 O7 kk\r\nxyz\r\n";
    for cut in 0..whole.len() {
        assert_eq!(
            parse_reply(&whole[..cut], &meta(b"k"), 100).unwrap(),
            Parsed::Incomplete,
            "cut at {cut}"
        );
    }
    // A reply followed by the next one's bytes takes only its own.
    let two = b"HD O7 kk\r\nEN O8 kk\r\n";
    assert_eq!(
        parse_reply(two, &meta(b"k"), 100).unwrap(),
        Parsed::Reply(Reply::Done(Meta::default()), 10)
    );
}

#[test]
fn parses_stats() {
    let e = Command::StatsSettings.expect(0);
    let bytes = b"STAT item_size_max 1048576\r\nSTAT evictions on\r\nEND\r\n";
    let Parsed::Reply(Reply::Stats(stats), used) = parse_reply(bytes, &e, 0).unwrap() else {
        panic!("stats");
    };
    assert_eq!(used, bytes.len());
    assert_eq!(stats[0], ("item_size_max".to_owned(), "1048576".to_owned()));
    assert_eq!(
        parse_reply(&bytes[..20], &e, 0).unwrap(),
        Parsed::Incomplete
    );
    assert!(parse_reply(b"ERROR\r\n", &e, 0).is_err());
}

#[test]
fn overlong_line_is_refused() {
    let junk = vec![b'x'; MAX_LINE + 10];
    assert!(one(&junk).unwrap_err().contains("too long"));
}

#[test]
fn auth_is_an_expired_set_answered_stored() {
    let creds = crate::net::auth::Credentials::parse("/f", b"farm:s3cret\n").unwrap();
    let c = Command::Auth(&creds);
    assert_eq!(
        enc(c),
        b"set rsmemcache.auth 0 -1 11\r\nfarm s3cret\r\n".to_vec()
    );
    assert!(c.safe_to_repeat());
    assert!(!format!("{c:?}").contains("s3cret"));
    let e = c.expect(7);
    assert_eq!(e.kind, ExpectKind::Stored);
    assert_eq!(
        parse_reply(b"STORED\r\n", &e, 0).unwrap(),
        Parsed::Reply(Reply::Done(Meta::default()), 8)
    );
    assert_eq!(
        parse_reply(b"CLIENT_ERROR unauthenticated\r\n", &e, 0).unwrap(),
        Parsed::Reply(Reply::Failed("CLIENT_ERROR unauthenticated".into()), 30)
    );
    assert!(parse_reply(b"NOT_STORED\r\n", &e, 0).is_err());
    assert_eq!(parse_reply(b"STOR", &e, 0).unwrap(), Parsed::Incomplete);
}
