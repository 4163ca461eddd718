//! Settling, pure: what the replies of a planned round trip mean for the
//! session — was the lock taken, by whom, is a lock abandoned, was a copy
//! stored, refused or in conflict. No I/O; the driver
//! ([`super::handler`]) acts on the answers.

use super::plan::LockValue;
use crate::{
    core::replica::{self, Found},
    net::protocol::Reply,
};

/// Outcome of one lock attempt (`ms <lock> ME` and, where planned, a look
/// at the lock in the same pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockTry {
    /// Ours, with the lock item's CAS id.
    Acquired(u64),
    /// Another request holds it.
    Held,
    /// compat=memcache: the lock item holds pecl-memcache's released
    /// marker `0`, with this CAS id.
    Zero(u64),
    /// Held by a lock nobody holds (stored after its sender gave up, see
    /// [`LockValue::abandoned`]), with this CAS id: delete it and try again.
    Abandoned(u64),
    /// Not known: no reply, an error line, or a success without its CAS id.
    /// Resolved by reading the lock: ours if it holds our value.
    Unknown,
}

/// Reads a lock attempt's replies. `peek` is the look at the lock after
/// the add (if planned); `zero_is_free` under compat=memcache; `now_ms`
/// this request's clock (unix ms).
#[must_use]
pub fn lock_outcome(
    added: Option<&Reply>,
    peek: Option<&Reply>,
    zero_is_free: bool,
    now_ms: i64,
) -> LockTry {
    match added {
        Some(Reply::Done(meta)) => meta.cas.map_or(LockTry::Unknown, LockTry::Acquired),
        Some(Reply::NotStored) => match peek {
            Some(Reply::Value(v, meta)) => match (meta.cas, meta.ttl) {
                (Some(cas), _) if zero_is_free && v == b"0" => LockTry::Zero(cas),
                (Some(cas), Some(ttl))
                    if LockValue::parse(v).is_some_and(|l| l.abandoned(ttl, now_ms)) =>
                {
                    LockTry::Abandoned(cas)
                }
                _ => LockTry::Held,
            },
            _ => LockTry::Held,
        },
        _ => LockTry::Unknown,
    }
}

/// What a look at a lock (`mg <lock> v c`) says about a lock add of ours
/// whose outcome was unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// The lock holds our value: ours, with this CAS id.
    Ours(u64),
    /// No lock: our add did not land (or expired); try again.
    Free,
    /// Someone else's lock, or an answer that says nothing.
    NotOurs,
}

/// Resolves an unknown lock add from a look at the lock item.
#[must_use]
pub fn resolve_lock(peek: Option<&Reply>, ours: &[u8]) -> Resolved {
    match peek {
        Some(Reply::Value(v, meta)) if v == ours => {
            meta.cas.map_or(Resolved::NotOurs, Resolved::Ours)
        }
        Some(Reply::Miss) => Resolved::Free,
        _ => Resolved::NotOurs,
    }
}

/// What the reply to a store of a copy means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Stored; the new CAS id when the reply had one.
    Yes(Option<u64>),
    /// Not stored: the copy changed since it was read (`EX`), exists
    /// already (`NS` to an add), or vanished (`NF` to a CAS store).
    Conflict,
    /// The server refused it with an error line.
    Refused(String),
    /// A reply that does not answer a store.
    Unexpected,
}

/// Reads the reply to `ms <key> …`.
#[must_use]
pub fn store_outcome(reply: &Reply) -> Stored {
    match reply {
        Reply::Done(meta) => Stored::Yes(meta.cas),
        Reply::Exists | Reply::NotStored | Reply::NotFound => Stored::Conflict,
        Reply::Failed(line) => Stored::Refused(line.clone()),
        _ => Stored::Unexpected,
    }
}

/// After a resize: which copy read at the previous placement (`old`, one
/// per server asked there) becomes the session — the newest of them, and
/// only when no copy at the new home (`new`) exists. The new home wins
/// whenever it has the session, however old: it is where every write since
/// the resize went, so an old copy is at best as new and at worst a copy
/// left behind.
#[must_use]
pub fn from_previous(new: &[Found], old: &[Found]) -> Option<usize> {
    if replica::newest(new).is_some() {
        return None;
    }
    replica::newest(old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::protocol::Meta;

    fn cas(c: u64) -> Meta {
        Meta {
            cas: Some(c),
            ..Meta::default()
        }
    }

    #[test]
    fn lock_replies() {
        let ok = Reply::Done(cas(5));
        assert_eq!(
            lock_outcome(Some(&ok), None, false, 0),
            LockTry::Acquired(5)
        );
        // A success without its CAS id is not taken as `C0`.
        let no_cas = Reply::Done(Meta::default());
        assert_eq!(
            lock_outcome(Some(&no_cas), None, false, 0),
            LockTry::Unknown
        );
        let err = Reply::Failed("SERVER_ERROR out of memory".into());
        assert_eq!(lock_outcome(Some(&err), None, false, 0), LockTry::Unknown);
        assert_eq!(lock_outcome(None, None, false, 0), LockTry::Unknown);
        assert_eq!(
            lock_outcome(Some(&Reply::Miss), None, false, 0),
            LockTry::Unknown
        );
        let ns = Reply::NotStored;
        assert_eq!(lock_outcome(Some(&ns), None, false, 0), LockTry::Held);
        let zero = Reply::Value(b"0".to_vec(), cas(9));
        assert_eq!(
            lock_outcome(Some(&ns), Some(&zero), true, 0),
            LockTry::Zero(9)
        );
        assert_eq!(
            lock_outcome(Some(&ns), Some(&zero), false, 0),
            LockTry::Held
        );
    }

    #[test]
    fn an_abandoned_lock_is_recognised_by_the_next_request() {
        let v = LockValue {
            token: [b'f'; 32],
            sent_ms: 100_000,
            deadline_ms: 101_000,
            expire_s: 20,
            holder: None,
        };
        let meta = |ttl| Meta {
            cas: Some(3),
            ttl: Some(ttl),
            client_flags: None,
        };
        let ns = Reply::NotStored;
        // Stored 10 s after it was sent (the server was stopped), seen now.
        let late = Reply::Value(v.encode(), meta(20));
        assert_eq!(
            lock_outcome(Some(&ns), Some(&late), false, 110_000),
            LockTry::Abandoned(3)
        );
        // A holder that took it on time and works for 10 s: held.
        let live = Reply::Value(v.encode(), meta(10));
        assert_eq!(
            lock_outcome(Some(&ns), Some(&live), false, 110_000),
            LockTry::Held
        );
    }

    #[test]
    fn unknown_lock_adds_are_resolved_by_reading_the_lock() {
        let ours = b"mine".to_vec();
        let v = |b: &[u8]| Reply::Value(b.to_vec(), cas(4));
        assert_eq!(resolve_lock(Some(&v(&ours)), &ours), Resolved::Ours(4));
        assert_eq!(resolve_lock(Some(&v(b"theirs")), &ours), Resolved::NotOurs);
        assert_eq!(resolve_lock(Some(&Reply::Miss), &ours), Resolved::Free);
        assert_eq!(resolve_lock(None, &ours), Resolved::NotOurs);
    }

    #[test]
    fn an_old_copy_is_used_only_when_the_new_home_has_none() {
        use Found::{Missing, Version};
        // The new home has the session (even an older version): it wins.
        assert_eq!(from_previous(&[Version(3)], &[Version(7)]), None);
        assert_eq!(from_previous(&[Missing, Version(1)], &[Version(7)]), None);
        // New home missed: the newest old copy.
        assert_eq!(from_previous(&[Missing], &[Version(7)]), Some(0));
        assert_eq!(
            from_previous(&[Missing, Missing], &[Version(2), Version(5)]),
            Some(1)
        );
        // Nobody has it: a new session.
        assert_eq!(from_previous(&[Missing], &[Missing]), None);
        assert_eq!(from_previous(&[Missing], &[]), None);
    }

    #[test]
    fn store_replies() {
        assert_eq!(store_outcome(&Reply::Done(cas(2))), Stored::Yes(Some(2)));
        for r in [Reply::Exists, Reply::NotStored, Reply::NotFound] {
            assert_eq!(store_outcome(&r), Stored::Conflict);
        }
        assert_eq!(
            store_outcome(&Reply::Failed("SERVER_ERROR x".into())),
            Stored::Refused("SERVER_ERROR x".into())
        );
        assert_eq!(store_outcome(&Reply::Miss), Stored::Unexpected);
    }
}
