//! Driver tests over a scripted [`super::transport::Transport`]: each round trip the session
//! driver makes is answered by the next step of a script, which sees the
//! commands (so it can answer a lock add with the value that add carried),
//! and every round trip is recorded, so the tests assert the outcome and
//! the round trips that led to it. No sockets; the wire faults
//! that live above the wire (unknown lock adds, dropped pipelines, error
//! lines in place of a reply, silent lock servers, abandoned locks, the
//! order of writes and release) are each exercised here.

use super::{
    plan::LockValue,
    scripted::{Scripted, copy, hd, is_lock_add, lock_value, ops, setup, short},
};
use crate::{
    config,
    core::keys::now_ms,
    core::replica,
    error::Error,
    net::protocol::{Meta, Reply},
};
use parking_lot::Mutex;
use std::{io, sync::Arc};

const SID: &[u8] = b"0123456789abcdef0123456789abcdef";

#[test]
fn a_locked_request_with_one_copy_takes_two_round_trips() {
    let (mut h, t) = setup(&[]);
    let home = h.locate(SID).unwrap().servers[0];
    t.answer(|_, c| {
        if is_lock_add(c) {
            hd(7)
        } else {
            copy(b"v|i:1;", 1, 40)
        }
    });
    t.answer(|_, c| {
        if short(c).starts_with("ms K") {
            hd(41)
        } else {
            hd(0)
        }
    });
    assert_eq!(h.read(SID).unwrap(), b"v|i:1;");
    h.write(SID, b"v|i:2;", 1440).unwrap();
    let log = t.log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        log[0],
        [(home, vec!["ms L ME".to_owned(), "mg K".to_owned()])]
    );
    // The release rides behind the store on the same server: memcached runs
    // a pipeline in order, so the copy is stored before the lock goes.
    assert_eq!(
        log[1],
        [(home, vec!["ms K C40".to_owned(), "md L C7".to_owned()])]
    );
    h.release().unwrap();
    assert_eq!(t.log().len(), 2, "nothing left to release");
}

/// Scripts the lock+read round trip of a session with two copies: the lock
/// taken (CAS 7), both copies `n|i:5;` at version 5 with CAS 100 + server.
fn lock_and_two_copies(t: &Scripted) {
    t.answer(|s, c| {
        if is_lock_add(c) {
            hd(7)
        } else {
            copy(b"n|i:5;", 5, 100 + s as u64)
        }
    });
}

#[test]
fn with_two_copies_the_lock_is_released_only_after_both_writes() {
    let (mut h, t) = setup(&[(config::SESSION_REDUNDANCY, "2")]);
    let order = h.locate(SID).unwrap().servers;
    lock_and_two_copies(&t);
    t.answer(|_, _| hd(50));
    assert_eq!(h.read(SID).unwrap(), b"n|i:5;");
    h.write(SID, b"n|i:6;", 1440).unwrap();
    let log = t.log();
    assert_eq!(log.len(), 2, "lock+read, writes: {log:?}");
    let writes = ops(&log[1]);
    assert!(
        !writes.iter().any(|c| c.starts_with("md")),
        "release sent with the writes: {writes:?}"
    );
    // Both copies were read at the newest version: both writes carry the
    // CAS they were read with (the one beside the lock and the other).
    for s in &order[..2] {
        let guarded = format!("ms K C{}", 100 + s);
        assert!(writes.contains(&guarded), "{writes:?}");
    }
    // The releases once both writes were answered, unawaited (the lock's
    // copy on the second server first): 2 round trips for the request.
    assert_eq!(
        t.unawaited(),
        [
            (2, order[1], vec!["md L C7".to_owned()]),
            (2, order[0], vec!["md L C7".to_owned()])
        ],
        "released after the writes' round trip"
    );
}

#[test]
fn a_copy_written_by_another_request_after_the_lock_server_died_is_a_conflict() {
    // The lock's server dies while this request holds the lock; a second
    // request of the same session then takes the lock on the next server
    // and writes the copy there. This request's write must not go over it
    // (a lost update): its CAS, read at the newest version, is refused, and
    // no copy moves to a failover server (it would tie the other's version).
    let (mut h, t) = setup(&[(config::SESSION_REDUNDANCY, "2")]);
    let order = h.locate(SID).unwrap().servers;
    lock_and_two_copies(&t);
    let home = order[0];
    t.then(move |jobs, down| {
        jobs.iter()
            .map(|j| {
                if j.server == home {
                    down.push(home);
                    Err(Error::Io {
                        server: "s".into(),
                        source: io::Error::new(io::ErrorKind::ConnectionReset, "killed"),
                    })
                } else {
                    Ok(vec![Reply::Exists])
                }
            })
            .collect()
    });
    t.answer(|_, _| hd(0)); // the release, tried once the writes were answered
    assert_eq!(h.read(SID).unwrap(), b"n|i:5;");
    let e = h.write(SID, b"n|i:6;", 1440).unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{e}");
    let log = t.log();
    assert!(
        !log[2..]
            .iter()
            .flat_map(|r| ops(r))
            .any(|c| c.starts_with("ms K")),
        "no failover write after a conflict: {log:?}"
    );
    assert!(
        ops(&log[1]).contains(&format!("ms K C{}", 100 + order[1])),
        "{log:?}"
    );
}

#[test]
fn a_stale_copy_that_read_repair_could_not_fix_is_written_unconditionally() {
    // Read in parallel with the lock add, the other copy may predate the
    // previous holder's write: older version, its CAS no guard (versions
    // decide), so it is no false conflict.
    let (mut h, t) = setup(&[(config::SESSION_REDUNDANCY, "2")]);
    let order = h.locate(SID).unwrap().servers;
    let home = order[0];
    t.answer(move |s, c| {
        if is_lock_add(c) {
            hd(7)
        } else if s == home {
            copy(b"n|i:5;", 5, 100)
        } else {
            copy(b"n|i:4;", 4, 101)
        }
    });
    t.answer(|_, _| Reply::Exists); // the repair loses its CAS race
    t.answer(|_, _| hd(50));
    t.answer(|_, _| hd(0));
    assert_eq!(h.read(SID).unwrap(), b"n|i:5;");
    h.write(SID, b"n|i:6;", 1440).unwrap();
    let log = t.log();
    assert_eq!(ops(&log[1]), ["ms K C101"], "the repair: {log:?}");
    let writes = ops(&log[2]);
    assert!(writes.contains(&"ms K C100".to_owned()), "{writes:?}");
    assert!(writes.contains(&"ms K".to_owned()), "{writes:?}");
}

#[test]
fn a_lock_add_answered_without_its_cas_is_resolved_by_reading_the_lock() {
    let (mut h, t) = setup(&[]);
    let sent = Arc::new(Mutex::new(Vec::new()));
    let keep = sent.clone();
    // `HD` without `c`: not taken as C0.
    t.answer(move |_, c| {
        if is_lock_add(c) {
            *keep.lock() = lock_value(c);
            Reply::Done(Meta::default())
        } else {
            copy(b"x", 1, 3)
        }
    });
    let ours = sent.clone();
    t.answer(move |_, _| {
        Reply::Value(
            ours.lock().clone(),
            Meta {
                cas: Some(9),
                ..Meta::default()
            },
        )
    });
    assert_eq!(h.read(SID).unwrap(), b"x");
    assert_eq!(ops(&t.log()[1]), ["mg L"]);
    h.release().unwrap();
    assert_eq!(
        t.last_unawaited().1,
        ["md L C9"],
        "released with the CAS read back"
    );
}

#[test]
fn a_dropped_lock_pipeline_is_resolved_by_reading_not_replayed() {
    let (mut h, t) = setup(&[]);
    let sent = Arc::new(Mutex::new(Vec::new()));
    let keep = sent.clone();
    // The connection drops before any reply; memcached ran the add.
    t.then(move |jobs, _| {
        *keep.lock() = lock_value(&jobs[0].cmds[0]);
        vec![Err(Error::Io {
            server: "s".into(),
            source: io::Error::new(io::ErrorKind::UnexpectedEof, "closed"),
        })]
    });
    let ours = sent.clone();
    t.answer(move |_, _| {
        Reply::Value(
            ours.lock().clone(),
            Meta {
                cas: Some(5),
                ..Meta::default()
            },
        )
    });
    t.answer(|_, _| copy(b"mine", 2, 8));
    assert_eq!(h.read(SID).unwrap(), b"mine", "never an empty session");
    let log = t.log();
    let adds = log
        .iter()
        .flat_map(|r| ops(r))
        .filter(|c| c == "ms L ME")
        .count();
    assert_eq!(
        adds, 1,
        "the add is not re-sent (it would wait for its own lock): {log:?}"
    );
    assert_eq!(ops(&log[2]), ["mg K"], "read again under the lock");
    assert_eq!(t.unused_steps(), 0);
    h.release().unwrap();
    assert_eq!(
        t.last_unawaited().1,
        ["md L C5"],
        "the resolved lock is ours"
    );
}

#[test]
fn an_error_line_in_place_of_the_copy_keeps_the_lock_for_close() {
    let (mut h, t) = setup(&[]);
    // SERVER_ERROR for the read in the lock+read pipeline.
    t.answer(|_, c| {
        if is_lock_add(c) {
            hd(4)
        } else {
            Reply::Failed("SERVER_ERROR out of memory".into())
        }
    });
    t.answer(|_, _| copy(b"kept", 3, 6));
    assert_eq!(h.read(SID).unwrap(), b"kept");
    h.release().unwrap();
    assert_eq!(
        t.last_unawaited().1,
        ["md L C4"],
        "the lock taken first is released"
    );
}

#[test]
fn a_silent_lock_server_is_failed_over_and_its_add_deleted_when_back() {
    let (mut h, t) = setup(&[]);
    let order = h.locate(SID).unwrap().servers;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let keep = sent.clone();
    let home = order[0];
    t.then(move |jobs, down| {
        *keep.lock() = lock_value(&jobs[0].cmds[0]);
        down.push(home);
        vec![Err(Error::Timeout {
            server: "s".into(),
            ms: 1000,
        })]
    });
    t.answer(|_, c| if is_lock_add(c) { hd(2) } else { Reply::Miss });
    assert_eq!(
        h.read(SID).unwrap(),
        b"",
        "a new session on the next server"
    );
    let log = t.log();
    assert_eq!(
        log.len(),
        2,
        "one timeout, no peek at a silent server: {log:?}"
    );
    assert_eq!(log[1][0].0, order[1], "lock and copy failed over");
    let pending = t.script.lock().pending_deletes.clone();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].0, home);
    assert!(pending[0].1.ends_with(b".lock"));
    assert_eq!(
        pending[0].2,
        *sent.lock(),
        "deleted only if it still holds our value"
    );
    h.release().unwrap();
    assert_eq!(t.last_unawaited(), (order[1], vec!["md L C2".to_owned()]));
}

/// Scripts the first two round trips of a read that finds the lock held by
/// a lock stored at `sent_ago_ms` before now (its sender's deadline 1 s
/// after that) with `ttl_s` of its 20 s left: the lock+read round trip (the
/// add refused) and the first poll of the wait (the add refused, the look
/// at the lock answering that value with CAS 11).
fn held_by(t: &Scripted, sent_ago_ms: i64, ttl_s: i64) {
    let now = now_ms();
    let holder = LockValue {
        token: [b'e'; 32],
        sent_ms: now - sent_ago_ms,
        deadline_ms: now - sent_ago_ms + 1000,
        expire_s: 20,
        holder: None,
    }
    .encode();
    t.answer(|_, c| {
        if is_lock_add(c) {
            Reply::NotStored
        } else {
            copy(b"d", 1, 1)
        }
    });
    t.answer(move |_, c| {
        if is_lock_add(c) {
            Reply::NotStored
        } else {
            Reply::Value(
                holder.clone(),
                Meta {
                    cas: Some(11),
                    ttl: Some(ttl_s),
                    client_flags: None,
                },
            )
        }
    });
}

#[test]
fn an_abandoned_lock_is_cleared_and_taken_by_the_next_request() {
    let (mut h, t) = setup(&[(config::LOCK_WAIT_TIME, "2000")]);
    // Stored (full TTL left) by a server that resumed 60 s after the add was
    // sent, long after its sender gave up.
    held_by(&t, 60_000, 20);
    t.answer(|_, _| hd(0));
    t.answer(|_, c| if is_lock_add(c) { hd(12) } else { Reply::Miss });
    t.answer(|_, _| copy(b"d", 1, 1));
    assert_eq!(h.read(SID).unwrap(), b"d");
    let log = t.log();
    assert_eq!(ops(&log[1]), ["ms L ME", "mg L"]);
    assert_eq!(
        ops(&log[2]),
        ["md L C11"],
        "compare-and-delete of the orphan"
    );
    assert_eq!(ops(&log[3]), ["ms L ME", "mg L"]);
    h.release().unwrap();
    assert_eq!(t.last_unawaited().1, ["md L C12"], "released unawaited");
}

#[test]
fn a_live_holder_is_waited_for_not_cleared() {
    let (mut h, t) = setup(&[(config::LOCK_WAIT_TIME, "0")]);
    // Sent 2 s ago and stored at once (2 s of its TTL gone): a request
    // still working under its lock.
    held_by(&t, 2000, 18);
    let e = h.read(SID).unwrap_err();
    assert!(matches!(e, Error::LockTimeout { .. }), "{e}");
    assert!(
        !t.log()
            .iter()
            .flat_map(|r| ops(r))
            .any(|c| c.starts_with("md")),
        "a live lock was deleted"
    );
}

#[test]
fn compat_memcached_reads_the_copy_once_the_lock_is_taken() {
    let (h0, _) = setup(&[(config::COMPAT, "memcached")]);
    // An id whose lock lives on another server than its copy.
    let sid = (0..100)
        .map(|i| format!("{i:032x}").into_bytes())
        .find(|s| {
            let l = h0.locate(s).unwrap();
            l.lock_server != l.servers[0]
        })
        .expect("some id places its lock apart");
    let (mut h, t) = setup(&[(config::COMPAT, "memcached")]);
    t.answer(|_, _| hd(3));
    t.answer(|_, _| copy(b"new", 2, 21));
    t.answer(|_, _| hd(22));
    // A read beside the add could predate the previous holder's write: the
    // copy is read once the lock is taken, not before.
    assert_eq!(h.read(&sid).unwrap(), b"new");
    h.write(&sid, b"newer", 1440).unwrap();
    let log = t.log();
    assert_eq!(log.len(), 3, "lock, read, write: {log:?}");
    assert_eq!(ops(&log[0]), ["ms L ME"], "no read beside the add");
    assert_eq!(ops(&log[1]), ["mg K"]);
    assert_eq!(
        ops(&log[2]),
        ["ms K C21"],
        "CAS from the read under the lock"
    );
    let lock_server = h.locate(&sid).unwrap().lock_server;
    assert_eq!(
        t.unawaited(),
        [(3, lock_server, vec!["md L C3".to_owned()])],
        "released after the write was answered, unawaited"
    );
}

#[test]
fn a_compression_bomb_is_refused_and_the_lock_released_at_close() {
    use std::io::Write as _;
    let (mut h, t) = setup(&[]);
    h.set_max_inflated(1 << 20);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 8 << 20]).unwrap();
    let bomb = z.finish().unwrap();
    t.answer(move |_, c| {
        if is_lock_add(c) {
            hd(5)
        } else {
            Reply::Value(
                bomb.clone(),
                Meta {
                    cas: Some(1),
                    client_flags: Some(replica::FLAG_COMPRESSED),
                    ttl: None,
                },
            )
        }
    });
    let e = h.read(SID).unwrap_err().to_string();
    assert!(e.contains("inflates to more than 1048576 bytes"), "{e}");
    h.release().unwrap();
    assert_eq!(t.last_unawaited().1, ["md L C5"], "released unawaited");
}

#[test]
fn without_failover_a_broken_home_is_an_error_never_an_empty_session() {
    let (mut h, t) = setup(&[(config::ALLOW_FAILOVER, "0"), (config::LOCKING, "0")]);
    let home = h.locate(SID).unwrap().servers[0];
    // A reply for another key or opaque is a protocol error.
    t.then(move |_, down| {
        down.push(home);
        vec![Err(Error::Protocol {
            server: "s".into(),
            detail: "reply does not match its command".into(),
        })]
    });
    let e = h.read(SID).unwrap_err().to_string();
    assert!(e.contains("protocol error"), "{e}");
}

/// A handler sealing with one fixed key, and that key ring.
fn sealing(
    extra: &[(&'static std::ffi::CStr, &str)],
) -> (
    super::handler::Handler,
    Arc<Scripted>,
    Arc<crate::secrets::crypt::KeyRing>,
) {
    let (mut h, t) = setup(extra);
    let hex = "5a".repeat(32);
    let ring = Arc::new(
        crate::secrets::crypt::KeyRing::parse("/k", format!("k1 {hex}").as_bytes()).unwrap(),
    );
    h.set_key_ring(Some(Arc::clone(&ring)));
    (h, t, ring)
}

/// A sealed copy of `data` for key `key` at `version`, with CAS id `cas`.
fn sealed_copy(
    ring: &crate::secrets::crypt::KeyRing,
    key: &[u8],
    data: &[u8],
    version: u32,
    cas: u64,
) -> Reply {
    Reply::Value(
        ring.seal(key, version, crate::core::keys::now_unix() + 1440, data)
            .unwrap(),
        Meta {
            ttl: Some(1000),
            cas: Some(cas),
            client_flags: Some(replica::flags_for(version) | replica::FLAG_ENCRYPTED),
        },
    )
}

#[test]
fn a_copy_that_fails_authentication_is_absent_and_repaired_from_the_good_one() {
    let (mut h, t, ring) = sealing(&[(config::SESSION_REDUNDANCY, "2")]);
    let at = h.locate(SID).unwrap();
    let (good, bad) = (at.servers[0], at.servers[1]);
    let key = at.key.clone();
    let r = Arc::clone(&ring);
    t.answer(move |s, c| {
        if is_lock_add(c) {
            hd(7)
        } else if s == good {
            sealed_copy(&r, &key, b"n|i:5;", 5, 100)
        } else {
            // Sealed for another session id: same flags, does not open.
            sealed_copy(&r, b"rsmemcache.sess.other", b"n|i:9;", 5, 200)
        }
    });
    t.answer(|_, _| hd(201));
    t.answer(|_, _| hd(0));
    assert_eq!(h.read(SID).unwrap(), b"n|i:5;");
    let notices = h.take_notices();
    let refused = notices
        .iter()
        .find(|n| n.contains("treated as absent"))
        .expect("the refusal is logged");
    assert!(
        refused.starts_with("session 012345...: the copy on server")
            && refused.contains("failed authentication"),
        "{refused}"
    );
    assert!(!refused.contains("0123456789"), "the whole id: {refused}");
    // Read repair: a CAS-guarded store over the bad copy, sealed anew.
    let log = t.log();
    assert_eq!(log[1], [(bad, vec!["ms K C200".to_owned()])], "{log:?}");
    // Repaired: an unchanged session is only touched (no forced rewrite).
    h.update_timestamp(SID, b"n|i:5;", 1440).unwrap();
    let last = ops(&t.log()[2]);
    assert!(last.iter().all(|c| !c.starts_with("ms K")), "{last:?}");
}

#[test]
fn a_lone_forged_copy_reads_as_absent_and_an_unchanged_write_replaces_it() {
    let (mut h, t, _) = sealing(&[]);
    t.answer(|_, c| {
        if is_lock_add(c) {
            hd(7)
        } else {
            Reply::Value(
                b"\x01\x02k1 forged bytes, no valid tag at all....".to_vec(),
                Meta {
                    ttl: Some(1000),
                    cas: Some(40),
                    client_flags: Some(replica::flags_for(3) | replica::FLAG_ENCRYPTED),
                },
            )
        }
    });
    t.answer(|_, _| hd(41));
    assert_eq!(h.read(SID).unwrap(), b"", "never the forged bytes");
    // lazy_write: PHP calls update_timestamp for the unchanged (empty)
    // session; the forged copy is overwritten, CAS-guarded, not touched.
    h.update_timestamp(SID, b"", 1440).unwrap();
    let last = ops(&t.log()[1]);
    assert_eq!(last[0], "ms K C40", "{last:?}");
}
