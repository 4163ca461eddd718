//! The lock's copy. With `session_redundancy` ≥ 2 in native mode
//! (`compat = none`), a request takes the session lock on two servers: the
//! lock's own (the first usable server of its probe order) and, in the same
//! round trip, the next usable one — the server a request would take the
//! lock on if the first one failed, and the session's second copy's.
//!
//! Why: a lock on one server vanishes with that server. When it dies (or
//! restarts empty) while a request holds the lock, the next request fails
//! the lock over to the next server and gets it at once, and two requests
//! then change the session together; the CAS on the copies refuses one of
//! them ("changed by another request", HTTP 503 in the application) rather
//! than lose its update. With the copy, the request that fails over finds
//! the lock still held there and waits its turn, and one that takes the
//! first server's fresh lock after a restart waits for the copy.
//!
//! Rules (ordered locking, so no two requests can wait for each other):
//! * the lock counts as taken when both adds succeeded (or the copy's
//!   server failed: the lock then rests on one server, as without copies);
//! * the first server's lock taken, the copy held by someone else: keep the
//!   first and wait for the copy (its holder is a request that failed over
//!   past the first server, or one releasing it; neither waits for the
//!   first server);
//! * the first server's lock held by someone else: give the copy back at
//!   once (unawaited `md C<cas>`) and wait for the first one;
//! * release both once the writes were answered, unawaited.
//!
//! Cost: nothing in round trips — the copy's add rides in the pipeline that
//! reads the second copy — and one more small item per session.

use super::{
    handler::{Handler, HeldLock, Opened},
    plan::{Batch, Tag, lock_add_cmd},
};
use crate::{
    core::keys::Compat,
    core::lock::{self, Backoff, RealClock, Waited},
    error::Result,
    net::protocol::Reply,
};

/// What the lock copy's add, sent beside the first lock attempt, left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CopyStep {
    /// Held, or not to be had (its server failed; the first lock was not
    /// taken): nothing to do.
    Settled,
    /// Held by another request while the first lock is ours: wait for it.
    Wait,
}

impl Handler {
    /// Whether this handler takes a lock copy (native mode, redundancy ≥ 2,
    /// locking on).
    pub(super) fn takes_lock_copies(&self) -> bool {
        self.lock.enabled && self.compat == Compat::None && self.placement.redundancy >= 2
    }

    /// The server of the lock copy for a lock on `first`: the next server
    /// of `lock_order` this request may use (none without failover: no
    /// request then moves the lock off its server).
    pub(super) fn lock_copy_server(
        &self,
        lock_order: &[usize],
        first: usize,
        failed: &[usize],
    ) -> Option<usize> {
        if !self.takes_lock_copies() {
            return None;
        }
        let mut skip = failed.to_vec();
        skip.push(first);
        self.pick_except(lock_order, 1, &skip).first().copied()
    }

    /// Adds the lock copy's add for `server` to `batch` (before any read
    /// planned there, so a read in the same pipeline follows it).
    pub(super) fn push_lock_copy<'a>(
        &self,
        batch: &mut Batch<'a>,
        server: usize,
        key: &'a [u8],
        value: &'a [u8],
    ) {
        batch.push(
            server,
            lock_add_cmd(key, value, self.lock.expire_s),
            Tag::LockCopyAdd,
        );
    }

    /// Acts on the lock copy's add on `server`: its reply (`None` when its
    /// server failed, `sent_failed`), and whether the first lock is ours.
    pub(super) fn settle_lock_copy(
        &self,
        o: &mut Opened,
        server: usize,
        value: &[u8],
        first_held: bool,
        added: Option<Reply>,
        sent_failed: bool,
    ) -> CopyStep {
        if sent_failed {
            // The add may still land when the server answers again.
            self.delete_lock_when_back(server, &o.keys.lock, value);
            return CopyStep::Settled;
        }
        match added {
            Some(Reply::Done(meta)) => match meta.cas {
                Some(cas) if first_held => {
                    o.lock_copy = Some(HeldLock {
                        server,
                        cas,
                        value: value.to_vec(),
                    });
                    CopyStep::Settled
                }
                Some(cas) => {
                    // Never hold the copy while waiting for the first lock:
                    // its holder may be waiting for the copy.
                    let l = HeldLock {
                        server,
                        cas,
                        value: value.to_vec(),
                    };
                    let _ = self.release_lock_unawaited(&o.keys.lock, l);
                    CopyStep::Settled
                }
                None => {
                    // Stored, CAS unknown: it is deleted by value when the
                    // server answers next, like an add whose reply was lost.
                    self.delete_lock_when_back(server, &o.keys.lock, value);
                    CopyStep::Settled
                }
            },
            Some(Reply::NotStored) if first_held => CopyStep::Wait,
            _ => CopyStep::Settled,
        }
    }

    /// Waits (within `rsmemcache.lock_wait_time`) for the lock copy on
    /// `server` while holding the first lock. `Ok(true)` once held, or when
    /// its server failed (the lock rests on the first server then);
    /// `Ok(false)` when the wait gave up.
    ///
    /// # Errors
    /// Errors that are not the server's fault.
    pub(super) fn wait_lock_copy(
        &self,
        o: &mut Opened,
        server: usize,
        value: &[u8],
    ) -> Result<bool> {
        let seed = u64::from_le_bytes(value[..8].try_into().unwrap_or([5; 8]));
        let waited = lock::wait_for(
            self.lock.wait,
            &mut Backoff::new(seed),
            &mut RealClock::start(),
            || self.try_lock(server, &o.keys.lock, value),
        );
        match waited {
            Ok(Waited::Acquired(cas)) => {
                o.lock_copy = Some(HeldLock {
                    server,
                    cas,
                    value: value.to_vec(),
                });
                Ok(true)
            }
            Ok(Waited::GaveUp(_)) => Ok(false),
            Err(e) if e.is_server_fault() => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// The lock's copy stayed held for the whole wait while the first lock
    /// was ours: give the first back and end as a lock wait that timed out
    /// (`lock_failure`: an error, or the session read without the lock).
    pub(super) fn gave_up_on_lock(
        &self,
        o: &mut Opened,
        copies: &[usize],
        n: usize,
    ) -> Result<Vec<u8>> {
        if let Some(l) = o.lock.take() {
            let _ = self.release_lock_unawaited(&o.keys.lock, l);
        }
        self.lock_wait_gave_up(o, self.lock.wait)?;
        let previous = self.previous_servers(&o.keys, copies, &[]);
        let (answers, old, tombs) = self.read_copies(o, copies, &previous, n > 1)?;
        o.tomb = self.newest_tomb(tombs);
        let data = self.settle_copies(o, copies, answers, &previous, old)?;
        o.readonly = Some(data.clone());
        Ok(data)
    }

    /// Releases the lock copy, if held, unawaited.
    pub(super) fn release_lock_copy(&self, o: &mut Opened) {
        if let Some(l) = o.lock_copy.take() {
            let _ = self.release_lock_unawaited(&o.keys.lock, l);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        config,
        net::protocol::Reply,
        session::scripted::{copy, hd, is_lock_add, setup},
    };

    const SID: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn with_two_copies_the_lock_is_taken_on_both_servers_in_one_round_trip() {
        let (mut h, t) = setup(&[(config::SESSION_REDUNDANCY, "2")]);
        let order = h.locate(SID).unwrap().servers;
        t.answer(|s, c| {
            if is_lock_add(c) {
                hd(10 + s as u64)
            } else {
                copy(b"d", 3, 100 + s as u64)
            }
        });
        assert_eq!(h.read(SID).unwrap(), b"d");
        let log = t.log();
        assert_eq!(log.len(), 1, "{log:?}");
        for round in &log[0] {
            assert!(order[..2].contains(&round.0));
            assert_eq!(round.1, ["ms L ME", "mg K"], "the add before the read");
        }
        h.release().unwrap();
        let released: Vec<(usize, Vec<String>)> =
            t.unawaited().into_iter().map(|(_, s, c)| (s, c)).collect();
        assert_eq!(
            released,
            [
                (order[1], vec![format!("md L C{}", 10 + order[1])]),
                (order[0], vec![format!("md L C{}", 10 + order[0])]),
            ]
        );
    }

    #[test]
    fn a_lock_copy_held_elsewhere_is_waited_for_and_the_copies_read_again() {
        // A request that failed over past the first server holds the copy:
        // this one keeps the first lock, waits for the copy, then reads the
        // copies again (what it read beside the add may predate the other's
        // write).
        let (mut h, t) = setup(&[(config::SESSION_REDUNDANCY, "2")]);
        let order = h.locate(SID).unwrap().servers;
        let second = order[1];
        t.answer(move |s, c| match (is_lock_add(c), s == second) {
            (true, true) => Reply::NotStored,
            (true, false) => hd(7),
            _ => copy(b"old", 3, 100),
        });
        // The poll of the copy: taken now.
        t.answer(|_, c| if is_lock_add(c) { hd(8) } else { Reply::Miss });
        t.answer(|_, _| copy(b"new", 4, 200));
        assert_eq!(h.read(SID).unwrap(), b"new", "read again once held");
        let log = t.log();
        assert_eq!(log.len(), 3, "{log:?}");
        assert_eq!(log[1], [(second, vec!["ms L ME".into(), "mg L".into()])]);
        assert!(t.unawaited().is_empty(), "the first lock was kept");
        h.release().unwrap();
        let released: Vec<usize> = t.unawaited().into_iter().map(|(_, s, _)| s).collect();
        assert_eq!(released, [second, order[0]]);
    }

    #[test]
    fn a_lock_copy_taken_while_the_first_lock_is_held_elsewhere_is_given_back_at_once() {
        let (mut h, t) = setup(&[
            (config::SESSION_REDUNDANCY, "2"),
            (config::LOCK_WAIT_TIME, "0"),
            (config::LOCK_FAILURE, "error"),
        ]);
        let order = h.locate(SID).unwrap().servers;
        let first = order[0];
        t.answer(move |s, c| match (is_lock_add(c), s == first) {
            (true, true) => Reply::NotStored,
            (true, false) => hd(9),
            _ => copy(b"d", 3, 100),
        });
        // The one poll of the first lock (wait budget 0): still held.
        t.answer(|_, c| {
            if is_lock_add(c) {
                Reply::NotStored
            } else {
                Reply::Miss
            }
        });
        assert!(h.read(SID).is_err(), "lock wait timed out");
        assert_eq!(
            t.unawaited(),
            [(1, order[1], vec!["md L C9".to_owned()])],
            "given back right after the first round trip, before waiting"
        );
    }
}
