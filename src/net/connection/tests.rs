//! Tests of one connection over a unix socket pair whose far end the test
//! scripts: reply matching, stray bytes, silence, limits, the readiness loop.

use super::*;
use crate::net::protocol::{Exptime, SetMode};
use std::{
    io::Write,
    os::unix::net::UnixListener,
    sync::atomic::{AtomicBool, Ordering::Relaxed},
};

/// A connection over a unix socket whose other end the test scripts.
fn pair() -> (Connection, std::os::unix::net::UnixStream, tempdir::Dir) {
    let dir = tempdir::Dir::new();
    let path = dir.0.join("s");
    let listener = UnixListener::bind(&path).expect("bind");
    let spec = ServerSpec {
        addr: ServerAddr::Unix(path),
        weight: 1,
        timeout_ms: None,
        retry_interval_s: None,
        tls: false,
    };
    let conn = Connection::connect(&spec, Duration::from_secs(1), Duration::from_millis(300))
        .expect("connect");
    let (peer, _) = listener.accept().expect("accept");
    (conn, peer, dir)
}

mod tempdir {
    /// A private temporary directory, removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "rsmemcache-conn-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).expect("mkdir");
            Self(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn answer(peer: &mut std::os::unix::net::UnixStream, bytes: &[u8]) {
    peer.write_all(bytes).expect("peer write");
}

#[test]
fn replies_are_matched_and_stray_bytes_break_the_connection() {
    let (mut c, mut peer, _d) = pair();
    answer(&mut peer, b"EN O1 kk\r\nEN\r\n");
    let r = c.execute(&[Command::peek(b"k")]).expect("reply");
    assert_eq!(r, vec![Reply::Miss]);
    assert!(c.saw_stray_bytes() && c.is_broken());
    assert!(!c.looks_open());
}

#[test]
fn a_stray_reply_arriving_later_is_seen_before_reuse() {
    let (mut c, mut peer, _d) = pair();
    answer(&mut peer, b"EN O1 kk\r\n");
    assert_eq!(
        c.execute(&[Command::peek(b"k")]).expect("ok"),
        vec![Reply::Miss]
    );
    assert!(c.looks_open());
    answer(&mut peer, b"EN\r\n");
    std::thread::sleep(Duration::from_millis(20));
    assert!(!c.looks_open(), "stray bytes waiting in the socket");
}

#[test]
fn a_reply_for_another_key_is_a_protocol_error() {
    let (mut c, mut peer, _d) = pair();
    answer(&mut peer, b"VA 1 O1 kother\r\nx\r\n");
    let e = c.execute(&[Command::peek(b"k")]).unwrap_err().to_string();
    assert!(
        e.contains("protocol error") && e.contains("does not match"),
        "{e}"
    );
    assert!(c.is_broken());
}

#[test]
fn silence_is_a_timeout_and_eof_an_io_error() {
    let (mut c, peer, _d) = pair();
    let e = c.execute(&[Command::peek(b"k")]).unwrap_err().to_string();
    assert!(e.contains("no answer within 300 ms"), "{e}");
    let (mut c2, peer2, _d2) = pair();
    drop(peer2);
    let e = c2.execute(&[Command::peek(b"k")]).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(!c2.received_any());
    drop(peer);
}

#[test]
fn a_silent_server_does_not_use_up_another_ones_deadline() {
    let (mut quiet, _peer_q, _d1) = pair();
    let (mut talks, mut peer_t, _d2) = pair();
    quiet.queue(&Command::peek(b"k"));
    talks.queue(&Command::peek(b"k"));
    quiet.start();
    talks.start();
    let replier = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        answer(&mut peer_t, b"EN O1 kk\r\n");
        peer_t
    });
    let r = drive(&mut [&mut quiet, &mut talks]);
    let _peer = replier.join().expect("thread");
    assert!(matches!(r[0], Err(Error::Timeout { .. })));
    assert!(r[1].is_ok(), "{:?}", r[1]);
    assert_eq!(talks.take_replies(), vec![Reply::Miss]);
}

#[test]
fn values_over_the_limit_are_refused_at_the_header() {
    let (mut c, mut peer, _d) = pair();
    c.set_max_value(1000);
    answer(&mut peer, b"VA 1073741824 O1 kk\r\nabc");
    let e = c.execute(&[Command::peek(b"k")]).unwrap_err().to_string();
    assert!(e.contains("more than the 1000 allowed"), "{e}");
}

#[test]
fn name_resolution_of_ip_literals_needs_no_resolver() {
    let a = dial::resolve("127.0.0.1", 5, Duration::from_millis(1)).expect("ip");
    assert_eq!(a, vec!["127.0.0.1:5".parse().expect("addr")]);
    let a = dial::resolve("[::1]", 5, Duration::from_millis(1)).expect("ip6");
    assert_eq!(a, vec!["[::1]:5".parse().expect("addr")]);
}

#[test]
fn a_timed_out_pipeline_keeps_what_it_owes_and_takes_late_replies() {
    let (mut c, mut peer, _d) = pair();
    // The first of two replies comes in time, the add's only after the
    // deadline (a server that resumed after SIGSTOP).
    answer(&mut peer, b"EN O1 kdata\r\n");
    let add = Command::Set {
        key: b"lock",
        value: b"t",
        exptime: Exptime::from(20_u32),
        client_flags: 0,
        mode: SetMode::Add,
        cas: None,
    };
    let e = c.execute(&[Command::peek(b"data"), add]).unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }) && c.timed_out() && c.is_broken());
    assert_eq!(
        c.owed_reply_for(b"lock"),
        Some(1),
        "the add's reply, after the peek's"
    );
    assert_eq!(c.owed_reply_for(b"data"), None, "already answered");
    answer(&mut peer, b"HD O2 klock c77\r\n");
    let stop = AtomicBool::new(false);
    let until = Instant::now() + Duration::from_secs(5);
    let r = c
        .await_late(until, Duration::from_millis(20), &stop)
        .expect("late replies");
    assert_eq!(r.len(), 2);
    assert!(
        matches!(&r[1], Reply::Done(m) if m.cas == Some(77)),
        "{r:?}"
    );
}

#[test]
fn waiting_for_late_replies_ends_at_its_deadline_or_when_stopped() {
    let (mut c, _peer, _d) = pair();
    let e = c.execute(&[Command::peek(b"k")]).unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }));
    let stop = AtomicBool::new(false);
    let slice = Duration::from_millis(10);
    let past = Instant::now();
    assert!(c.await_late(past, slice, &stop).is_err(), "deadline passed");
    stop.store(true, Relaxed);
    let later = Instant::now() + Duration::from_secs(60);
    assert!(c.await_late(later, slice, &stop).is_err(), "stopped");
    assert!(
        c.owed_reply_for(b"k").is_some(),
        "still owed: nothing was read"
    );
}

#[test]
fn replies_owed_unawaited_are_matched_before_the_next_pipeline() {
    let (mut c, mut peer, _d) = pair();
    let release = Command::Delete {
        key: b"l",
        cas: Some(7),
    };
    assert!(c.send_unawaited(&[release]).expect("sent"));
    assert_eq!(c.owed_unawaited(), 1);
    // Not there yet: still reusable, the reply stays owed.
    assert!(c.looks_open());
    assert_eq!(c.owed_unawaited(), 1);
    // It arrives together with the next pipeline's own reply.
    answer(&mut peer, b"HD O1 kl\r\nEN O2 kk\r\n");
    let r = c.execute(&[Command::peek(b"k")]).expect("replies");
    assert_eq!(r, vec![Reply::Miss], "only the pipeline's own reply");
    assert_eq!(c.owed_unawaited(), 0);
    assert!(c.looks_open());

    // One that arrived while idle is taken by the reuse check.
    assert!(c.send_unawaited(&[release]).expect("sent"));
    answer(&mut peer, b"EX O3 kl\r\n");
    assert!(c.looks_open(), "a lock that was not ours any more");
    assert_eq!(c.owed_unawaited(), 0);
}

#[test]
fn an_unawaited_reply_for_another_command_or_one_too_many_breaks_the_connection() {
    // A unix socket's write is in the peer's queue when it returns: no
    // wait is needed before looking.
    let (mut c, mut peer, _d) = pair();
    let release = Command::Delete {
        key: b"l",
        cas: Some(7),
    };
    assert!(c.send_unawaited(&[release]).expect("sent"));
    answer(&mut peer, b"HD O9 kl\r\n");
    assert!(!c.looks_open(), "wrong opaque");

    let (mut c, mut peer, _d) = pair();
    assert!(c.send_unawaited(&[release]).expect("sent"));
    answer(&mut peer, b"HD O1 kl\r\nEN\r\n");
    assert!(!c.looks_open(), "one reply too many");
    assert!(c.saw_stray_bytes());
}

#[test]
fn a_release_appended_to_a_timed_out_pipeline_goes_out_behind_it() {
    use std::io::Read as _;
    let (mut c, mut peer, _d) = pair();
    let write = Command::Set {
        key: b"data",
        value: b"v2",
        exptime: Exptime::from(20_u32),
        client_flags: 0,
        mode: SetMode::Set,
        cas: Some(5),
    };
    let release = Command::Delete {
        key: b"lock",
        cas: Some(9),
    };
    assert!(!c.append_late(&[release]), "only after a timeout");
    // The server stops before answering the write.
    let e = c.execute(&[write]).unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }) && c.timed_out());
    assert!(c.append_late(&[release]), "written at once");
    peer.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut got = Vec::new();
    while !got.ends_with(b"\r\n") || !got.windows(7).any(|w| w == b"md lock") {
        let mut buf = [0u8; 256];
        let n = peer.read(&mut buf).expect("peer read");
        assert!(n > 0, "closed");
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    let (ms, md) = (
        text.find("ms data").expect("ms"),
        text.find("md lock").expect("md"),
    );
    assert!(ms < md, "the release behind the write: {text}");
    // When the server resumes, both replies come, in order.
    answer(&mut peer, b"HD O1 kdata\r\nHD O2 klock\r\n");
    let stop = AtomicBool::new(false);
    let until = Instant::now() + Duration::from_secs(5);
    let r = c
        .await_late(until, Duration::from_millis(20), &stop)
        .expect("late replies");
    assert_eq!(r.len(), 2, "{r:?}");
}
