//! Resizing the pool without logging anyone out: the driver's side of
//! `rsmemcache.previous_save_path` (the server list before a server was
//! added or removed; the pool reaches its servers, see
//! [`crate::net::pool::previous`]).
//!
//! * The look-up rides in the read's round trip: beside the lock add and
//!   the reads of the copies, each server of the session's previous
//!   placement that is not one of its new copies gets an `mg` of the key in
//!   the same parallel batch ([`super::plan::previous_reads`]). No extra
//!   round trip for any session, moved or not.
//! * An old copy is used only when every copy at the new home is missing
//!   ([`super::settle::from_previous`]): the new home wins whenever it has
//!   the session.
//! * The move: the old copy is written to the new home as an add (never
//!   over a copy that appeared meanwhile), with its version and remaining
//!   TTL kept, by the read itself — like a read repair, under the lock this
//!   request took at the new home (the authority), so an unchanged session
//!   (`lazy_write`, where PHP may only touch it) moves too. Once a store at
//!   the new home is confirmed, the old copies are deleted, CAS-guarded
//!   (only if unchanged since read), in one more round trip, paid once per
//!   moved session: a copy left behind could otherwise come back after the
//!   new home lost its copy (a restart, an eviction) — a destroyed or
//!   rewritten session reappearing. `destroy` deletes at the previous
//!   placement too, and `exists` looks there, so strict mode does not
//!   replace the id of a session not moved yet.
//! * An old server that fails or answers an error is read as missing: the
//!   sessions only it holds are lost, as without the previous list; no
//!   warning in the page. Moves are counted
//!   ([`crate::shared_state::stats::Total::SessionsMoved`]), not logged one by one.
//! * Hashed keys (`rsmemcache.key_hash_migrate`) are the same move in the
//!   key space: the raw key's first `session_redundancy` usable servers of
//!   its own probe order are old places too ([`Old::raw`]), read in the same
//!   round trip under the raw key; a copy found only there is opened under
//!   the raw key (its AAD when sealed), stored under the hashed key (sealed
//!   under the hashed key's AAD) and its raw copies deleted, CAS-guarded.
//!   Counted as [`crate::shared_state::stats::Total::KeyHashMoved`]. The raw key at the
//!   previous list's placement is not looked up: resize and switch to
//!   hashed keys one after the other.

use super::{
    handler::{Handler, Opened},
    plan::{Batch, Tag, delete_cas_cmd, previous_reads},
    settle::from_previous,
};
use crate::{
    core::keys::SessionKeys,
    core::replica::Found,
    error::Result,
    net::protocol::{Command, Reply},
    shared_state::stats::{self, Total},
};

/// A place beside the session's copies where a copy written before a
/// change may still be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Old {
    /// The server.
    pub(super) server: usize,
    /// Under the raw key ([`SessionKeys::raw`], `key_hash_migrate`); else
    /// under the data key at the previous list's placement.
    pub(super) raw: bool,
}

impl Handler {
    /// The old places of the session to read beside its `copies`: the
    /// servers of its previous placement (see [`previous_reads`]) and, with
    /// `key_hash_migrate`, the raw key's first `session_redundancy` servers,
    /// leaving out those that failed in this request or may not be used now.
    pub(super) fn previous_servers(
        &self,
        keys: &SessionKeys,
        copies: &[usize],
        failed: &[usize],
    ) -> Vec<Old> {
        let n = self.placement.redundancy;
        let order = self
            .pool
            .previous_order(&keys.data_hash, self.placement.max_attempts);
        let mut out: Vec<Old> = previous_reads(&order, n, copies)
            .into_iter()
            .filter(|s| !failed.contains(s) && self.usable(*s))
            .map(|server| Old { server, raw: false })
            .collect();
        if let Some(raw) = &keys.raw {
            let order = self.order(&raw.data_hash);
            out.extend(
                self.pick_except(&order, n, failed)
                    .into_iter()
                    .map(|server| Old { server, raw: true }),
            );
        }
        out
    }

    /// Adds `cmd(key)` for each of [`Handler::previous_servers`] to `batch`
    /// (`key`: the data key, or the raw key at a raw place), tagged
    /// [`Tag::Previous`] (`exists` probes there, `destroy` deletes there
    /// too: a session not moved yet exists, and goes).
    pub(super) fn push_previous<'a>(
        &self,
        batch: &mut Batch<'a>,
        keys: &'a SessionKeys,
        copies: &[usize],
        failed: &[usize],
        cmd: impl Fn(&'a [u8]) -> Command<'a>,
    ) -> Vec<Old> {
        let old = self.previous_servers(keys, copies, failed);
        for (j, p) in old.iter().enumerate() {
            batch.push(p.server, cmd(keys.old_key(p.raw)), Tag::Previous(j));
        }
        old
    }

    /// After every copy at the new home (`new`, as found) missed: takes the
    /// newest copy among `old` (the replies of the `previous` servers, `None`
    /// where one failed), moves it to the new home and returns its data;
    /// `None` when the previous placement has no copy either.
    ///
    /// # Errors
    /// [`Error::Undecodable`] for an old copy rsmemcache cannot read.
    pub(super) fn move_from_previous(
        &self,
        o: &mut Opened,
        new: &[Found],
        previous: &[Old],
        old: Vec<Option<Reply>>,
    ) -> Result<Option<Vec<u8>>> {
        let mut found = Vec::with_capacity(old.len());
        let mut values = Vec::with_capacity(old.len());
        let mut cas = Vec::with_capacity(old.len());
        for (p, answer) in previous.iter().zip(old) {
            match answer {
                Some(Reply::Value(data, meta)) => {
                    let where_ = if p.raw {
                        " under its raw key (key_hash_migrate)"
                    } else {
                        " (previous_save_path)"
                    };
                    let Some(d) =
                        self.open_copy(o, p.server, data, meta.client_flags, (p.raw, where_))?
                    else {
                        found.push(Found::Missing);
                        values.push(None);
                        cas.push(None);
                        continue;
                    };
                    found.push(Found::Version(d.version));
                    values.push(Some((d.data, meta.ttl, d.expires_at)));
                    cas.push(meta.cas);
                }
                _ => {
                    found.push(Found::Missing);
                    values.push(None);
                    cas.push(None);
                }
            }
        }
        let Some(best) = from_previous(new, &found) else {
            return Ok(None);
        };
        let Found::Version(version) = found[best] else {
            return Ok(None);
        };
        let Some((data, ttl, expires_at)) = values[best].take() else {
            return Ok(None);
        };
        o.version = version;
        o.expires_at = expires_at;
        let targets: Vec<usize> = (0..o.copies.len()).collect();
        if self.store_newest(o, &targets, &data, ttl) > 0 {
            stats::bump(if previous[best].raw {
                Total::KeyHashMoved
            } else {
                Total::SessionsMoved
            });
            // Stored at the new home: the old copies (the one moved and any
            // older) go, if unchanged since read. Best effort: one left
            // behind expires by its TTL.
            let mut batch = Batch::default();
            for (j, c) in cas.into_iter().enumerate() {
                if let Some(c) = c {
                    let key = o.keys.old_key(previous[j].raw);
                    batch.push(previous[j].server, delete_cas_cmd(key, c), Tag::Previous(j));
                }
            }
            let _ = self.run(batch);
        }
        Ok(Some(data))
    }
}

#[cfg(test)]
mod tests {
    use super::super::scripted::{copy, hd, is_lock_add, ops, setup_resized};
    use crate::{
        core::replica,
        net::protocol::{Command, Reply},
    };
    use parking_lot::Mutex;
    use std::sync::Arc;

    const NOW: &str = "a:1, b:2, c:3, d:4";
    const BEFORE: &str = "a:1, b:2, c:3";

    /// A session id whose home under [`BEFORE`] is (`moved`) or is not
    /// another server than its home under [`NOW`], with both homes (new,
    /// old).
    fn sid_moved(moved: bool) -> (Vec<u8>, usize, usize) {
        let sid = sid_where(&[], |new, old, _| (new[0] != old[0]) == moved);
        let (h, t) = setup_resized(&[], NOW, Some(BEFORE));
        let hash = h.keys_for(&sid).unwrap().data_hash;
        let old = crate::session::transport::Transport::previous_order(&*t, &hash, 20)[0];
        let new = h.locate(&sid).unwrap().servers[0];
        (sid, new, old)
    }

    #[test]
    fn a_session_at_its_old_home_is_read_in_the_same_round_trip_and_moved() {
        let (sid, new, old) = sid_moved(true);
        let (mut h, t) = setup_resized(&[], NOW, Some(BEFORE));
        t.answer(move |s, c| match s {
            _ if is_lock_add(c) => hd(7),
            s if s == new => Reply::Miss,
            _ => copy(b"cart|i:3;", 4, 55),
        });
        let flags = Arc::new(Mutex::new(None));
        let seen = Arc::clone(&flags);
        t.answer(move |_, c| {
            if let Command::Set { client_flags, .. } = *c {
                *seen.lock() = Some(client_flags);
            }
            hd(60)
        });
        t.answer(|_, _| Reply::Done(crate::net::protocol::Meta::default()));
        assert_eq!(h.read(&sid).unwrap(), b"cart|i:3;");
        let log = t.log();
        assert_eq!(
            log[0],
            [
                (new, vec!["ms L ME".to_owned(), "mg K".to_owned()]),
                (old, vec!["mg K".to_owned()])
            ],
            "one round trip: lock, new home and old home"
        );
        assert_eq!(
            log[1],
            [(new, vec!["ms K ME".to_owned()])],
            "moved as an add"
        );
        assert_eq!(*flags.lock(), Some(replica::flags_for(4)), "version kept");
        assert_eq!(
            log[2],
            [(old, vec!["md K C55".to_owned()])],
            "old copy gone"
        );
        // The write goes to the new home, guarded by the moved copy's CAS,
        // at the next version.
        t.answer(|_, _| hd(61));
        h.write(&sid, b"cart|i:4;", 1440).unwrap();
        assert_eq!(ops(&t.log()[3]), ["ms K C60", "md L C7"]);
        assert_eq!(t.unused_steps(), 0);
    }

    #[test]
    fn the_new_home_wins_whenever_it_has_the_session() {
        let (sid, new, _) = sid_moved(true);
        let (mut h, t) = setup_resized(&[], NOW, Some(BEFORE));
        t.answer(move |s, c| match s {
            _ if is_lock_add(c) => hd(7),
            s if s == new => copy(b"new|i:1;", 2, 40),
            _ => copy(b"left behind|i:1;", 9, 55),
        });
        assert_eq!(h.read(&sid).unwrap(), b"new|i:1;");
        assert_eq!(t.log().len(), 1, "no move, no delete");
        release(&mut h, &t);
        // Both missing: a new session, nothing moved.
        let (mut h, t) = setup_resized(&[], NOW, Some(BEFORE));
        t.answer(|_, c| if is_lock_add(c) { hd(7) } else { Reply::Miss });
        assert_eq!(h.read(&sid).unwrap(), b"");
        assert_eq!(t.log().len(), 1);
        release(&mut h, &t);
    }

    /// Scripts and runs the release of the lock taken.
    fn release(h: &mut crate::session::handler::Handler, t: &super::super::scripted::Scripted) {
        t.answer(|_, _| hd(0));
        h.release().unwrap();
    }

    #[test]
    fn a_session_that_did_not_move_is_read_as_before() {
        let (sid, new, _) = sid_moved(false);
        let (mut h, t) = setup_resized(&[], NOW, Some(BEFORE));
        t.answer(|_, c| if is_lock_add(c) { hd(7) } else { Reply::Miss });
        h.read(&sid).unwrap();
        assert_eq!(
            t.log()[0],
            [(new, vec!["ms L ME".to_owned(), "mg K".to_owned()])]
        );
        release(&mut h, &t);
    }

    #[test]
    fn a_failed_old_home_reads_as_missing() {
        let (sid, new, _) = sid_moved(true);
        let (mut h, t) = setup_resized(&[], NOW, Some(BEFORE));
        t.then(move |jobs, _| {
            jobs.iter()
                .map(|j| {
                    if j.server == new {
                        Ok(j.cmds
                            .iter()
                            .map(|c| if is_lock_add(c) { hd(7) } else { Reply::Miss })
                            .collect())
                    } else {
                        Err(crate::error::Error::Protocol {
                            server: "old".into(),
                            detail: "x".into(),
                        })
                    }
                })
                .collect()
        });
        assert_eq!(h.read(&sid).unwrap(), b"");
        assert_eq!(t.unused_steps(), 0);
        release(&mut h, &t);
    }

    #[test]
    fn exists_and_destroy_reach_the_old_home() {
        let (sid, new, old) = sid_moved(true);
        let (mut h, t) = setup_resized(&[], NOW, Some(BEFORE));
        t.answer(move |s, _| {
            if s == new {
                Reply::Miss
            } else {
                Reply::Done(crate::net::protocol::Meta::default())
            }
        });
        assert!(
            h.exists(&sid).unwrap(),
            "strict mode keeps a session not moved yet"
        );
        assert_eq!(t.log()[0].len(), 2);
        t.answer(|_, _| Reply::NotFound);
        h.destroy(&sid).unwrap();
        let round = &t.log()[1];
        assert!(round.contains(&(old, vec!["md K".to_owned()])), "{round:?}");
    }

    /// A session id (under `dirs`) for which `pick(new copies, old
    /// placement's first servers, lock server)` holds.
    fn sid_where(
        dirs: &[(&'static std::ffi::CStr, &str)],
        pick: impl Fn(&[usize], &[usize], usize) -> bool,
    ) -> Vec<u8> {
        let (h, t) = setup_resized(dirs, NOW, Some(BEFORE));
        (0..10_000u32)
            .map(|k| format!("{k:032x}").into_bytes())
            .find(|sid| {
                let at = h.locate(sid).unwrap();
                let hash = h.keys_for(sid).unwrap().data_hash;
                let old = crate::session::transport::Transport::previous_order(&*t, &hash, 20);
                pick(&at.servers, &old, at.lock_server)
            })
            .expect("such an id")
    }

    #[test]
    fn with_the_lock_apart_the_old_home_is_read_with_the_copies_once_the_lock_is_ours() {
        let dirs = [(crate::config::COMPAT, "memcached")];
        let sid = sid_where(&dirs, |new, old, lock| new[0] != old[0] && lock != new[0]);
        let (mut h, t) = setup_resized(&dirs, NOW, Some(BEFORE));
        let at = h.locate(&sid).unwrap();
        let (new, lock) = (at.servers[0], at.lock_server);
        t.answer(|_, _| hd(7));
        t.answer(move |s, _| {
            if s == new {
                Reply::Miss
            } else {
                copy(b"m|i:1;", 3, 9)
            }
        });
        t.answer(|_, _| hd(10));
        t.answer(|_, _| Reply::Done(crate::net::protocol::Meta::default()));
        assert_eq!(h.read(&sid).unwrap(), b"m|i:1;");
        let log = t.log();
        assert_eq!(log[0], [(lock, vec!["ms L ME".to_owned()])]);
        assert_eq!(
            log[1].len(),
            2,
            "new home and old home together: {:?}",
            log[1]
        );
        assert_eq!(ops(&log[1]), ["mg K", "mg K"]);
        assert_eq!(log[2], [(new, vec!["ms K ME".to_owned()])]);
        assert_eq!(ops(&log[3]), ["md K C9"]);
        release(&mut h, &t);
    }

    #[test]
    fn with_two_copies_the_moved_session_goes_to_both_new_copies() {
        let dirs = [(crate::config::SESSION_REDUNDANCY, "2")];
        let sid = sid_where(&dirs, |new, old, _| {
            !new[..2].contains(&old[0]) && !new[..2].contains(&old[1])
        });
        let (mut h, t) = setup_resized(&dirs, NOW, Some(BEFORE));
        let copies = h.locate(&sid).unwrap().servers[..2].to_vec();
        let news = copies.clone();
        t.answer(move |s, c| match s {
            _ if is_lock_add(c) => hd(7),
            s if news.contains(&s) => Reply::Miss,
            s => copy(b"r|i:2;", 5, 20 + s as u64),
        });
        t.answer(|_, _| hd(30));
        t.answer(|_, _| Reply::Done(crate::net::protocol::Meta::default()));
        assert_eq!(h.read(&sid).unwrap(), b"r|i:2;");
        let log = t.log();
        assert_eq!(
            log[0].len(),
            4,
            "two new copies and two old ones: {:?}",
            log[0]
        );
        assert_eq!(ops(&log[1]), ["ms K ME", "ms K ME"]);
        assert_eq!(log[2].len(), 2, "both old copies deleted");
        assert!(ops(&log[2]).iter().all(|o| o.starts_with("md K C2")));
        release(&mut h, &t);
    }
}
