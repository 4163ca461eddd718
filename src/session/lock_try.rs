//! One lock attempt and what it means: the add (and a look at the lock
//! where the answer matters), its outcome — taken, held by another request,
//! pecl-memcache's released marker, an abandoned lock, an add whose outcome
//! is unknown — and the polls of a lock wait.

use super::{
    handler::{Handler, Opened, id_prefix, unexpected},
    plan::{Batch, Tag, delete_cas_cmd, lock_add_cmd, lock_peek_cmd, store_cmd},
    settle::{LockTry, Resolved, lock_outcome, resolve_lock},
};
use crate::{
    core::keys::{Compat, now_ms},
    core::lock::LockFailure,
    error::{Error, Result},
    net::protocol::{Command, Exptime, Reply},
    shared_state::stats::{self, Total},
};

/// How one lock step ended.
pub(super) enum Step {
    /// Ours, with the lock item's CAS id.
    Got(u64),
    /// Someone else's: wait.
    Contended,
    /// Not ours and not held (our add did not land): add again.
    Again,
    /// The lock's server failed: fail over.
    ServerFailed(Error),
}

impl Handler {
    /// Adds a lock attempt for `server` to `batch`: the add, and a look at
    /// the lock item after it where the answer matters (pecl-memcache
    /// leaves `0` in a lock it released; in the wait loop, to recognise an
    /// abandoned lock).
    pub(super) fn push_lock_attempt<'a>(
        &self,
        batch: &mut Batch<'a>,
        server: usize,
        key: &'a [u8],
        value: &'a [u8],
        waiting: bool,
    ) {
        batch.push(
            server,
            lock_add_cmd(key, value, self.lock.expire_s),
            Tag::LockAdd,
        );
        if self.compat == Compat::Memcache || (waiting && self.compat == Compat::None) {
            batch.push(server, lock_peek_cmd(key), Tag::LockPeek);
        }
    }

    /// Acts on a lock attempt — the add's reply, the look at the lock after
    /// it (if planned), or the server's error ([`lock_outcome`]): takes
    /// pecl-memcache's `0`, clears an abandoned lock, resolves an unknown add
    /// by reading the lock.
    pub(super) fn lock_step(
        &self,
        server: usize,
        key: &[u8],
        value: &[u8],
        added: Option<Reply>,
        peek: Option<Reply>,
        err: Option<Error>,
    ) -> Result<Step> {
        let outcome = if err.is_some() {
            LockTry::Unknown
        } else {
            lock_outcome(
                added.as_ref(),
                peek.as_ref(),
                self.compat == Compat::Memcache,
                now_ms(),
            )
        };
        match outcome {
            LockTry::Acquired(cas) => Ok(Step::Got(cas)),
            LockTry::Held => Ok(Step::Contended),
            LockTry::Zero(cas) => Ok(match self.take_zero_lock(server, key, value, cas)? {
                Some(cas) => Step::Got(cas),
                None => Step::Contended,
            }),
            LockTry::Abandoned(cas) => {
                let r = self.pool.execute(server, &[delete_cas_cmd(key, cas)]);
                if r.is_ok() {
                    self.notices.borrow_mut().push(format!(
                        "server {}: removed the abandoned lock '{}' (stored after its sender gave up)",
                        self.pool.label(server),
                        crate::error::escape_redacting_ids(key, 250)
                    ));
                }
                Ok(Step::Again)
            }
            LockTry::Unknown => {
                let silent = err.as_ref().is_some_and(|e| {
                    !self.pool.usable(server)
                        || matches!(
                            e,
                            Error::Timeout { .. }
                                | Error::Connect { .. }
                                | Error::ConnectTimeout { .. }
                                | Error::ServerDown { .. }
                        )
                });
                if silent && let Some(e) = err {
                    // Marked failed, silent, or never reached: no second
                    // try now (it would cost another timeout). A sent add
                    // may still land; it is deleted when the server
                    // answers again.
                    self.delete_lock_when_back(server, key, value);
                    return Ok(Step::ServerFailed(e));
                }
                // Still usable after a fault (a zero retry interval): it is
                // not used again by this request all the same, as on the
                // copy path. A connection found closed (not marked failed)
                // says nothing about the server.
                let fault = err.filter(|e| !matches!(e, Error::Io { .. }));
                let resolved = match self.pool.execute(server, &[Command::peek(key)]) {
                    Ok(replies) => resolve_lock(replies.first(), value),
                    Err(e) => {
                        self.delete_lock_when_back(server, key, value);
                        return Ok(Step::ServerFailed(e));
                    }
                };
                Ok(match (fault, resolved) {
                    (None, Resolved::Ours(cas)) => Step::Got(cas),
                    (None, Resolved::Free) => Step::Again,
                    (None, Resolved::NotOurs) => Step::Contended,
                    (Some(e), resolved) => {
                        if let Resolved::Ours(cas) = resolved {
                            // Ours on a server this request gives up: give
                            // it back now, not after lock_expire.
                            let gone = self.pool.execute(server, &[delete_cas_cmd(key, cas)]);
                            if gone.is_err() {
                                self.delete_lock_when_back(server, key, value);
                            }
                        }
                        Step::ServerFailed(e)
                    }
                })
            }
        }
    }

    /// Replaces pecl-memcache's released marker `0` by our value, if the
    /// item is still that marker (CAS).
    fn take_zero_lock(
        &self,
        server: usize,
        key: &[u8],
        value: &[u8],
        cas: u64,
    ) -> Result<Option<u64>> {
        let set = store_cmd(
            key,
            value,
            Exptime::from(self.lock.expire_s),
            0,
            Some(Some(cas)),
        );
        match self.pool.execute(server, &[set])?.pop() {
            Some(Reply::Done(meta)) => Ok(meta.cas),
            Some(Reply::Exists | Reply::NotFound) | None => Ok(None),
            Some(other) => Err(unexpected(&*self.pool, server, "ms (lock)", &other)),
        }
    }

    /// One poll of a contended lock: `Some(cas)` when taken.
    pub(super) fn try_lock(&self, server: usize, key: &[u8], value: &[u8]) -> Result<Option<u64>> {
        for _ in 0..3 {
            let mut batch = Batch::default();
            self.push_lock_attempt(&mut batch, server, key, value, true);
            let (mut added, mut peek, mut err) = (None, None, None);
            for (_, tags, res) in self.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match tag {
                                Tag::LockAdd => added = Some(reply),
                                Tag::LockPeek => peek = Some(reply),
                                _ => {}
                            }
                        }
                    }
                    Err(e) => err = Some(e),
                }
            }
            if let Some(Reply::Value(v, _)) = &peek
                && v.as_slice() != value
            {
                self.seen_lock.replace(Some(v.clone()));
            }
            match self.lock_step(server, key, value, added, peek, err)? {
                Step::Got(cas) => return Ok(Some(cas)),
                Step::Contended => return Ok(None),
                Step::Again => {}
                Step::ServerFailed(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// A lock wait ran out after `after`: counted, then, by
    /// `rsmemcache.lock_failure`, [`Error::LockTimeout`] (`error`) or the
    /// session opened read-only (`readonly`; the bytes read are filled in
    /// by the caller).
    ///
    /// # Errors
    /// [`Error::LockTimeout`] with `lock_failure = error`.
    pub(super) fn lock_wait_gave_up(
        &self,
        o: &mut Opened,
        after: std::time::Duration,
    ) -> Result<()> {
        stats::bump(Total::LockWaitTimeouts);
        if self.lock.failure == LockFailure::Error {
            return Err(Error::LockTimeout {
                id: id_prefix(&o.sid),
                waited_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
            });
        }
        o.readonly = Some(Vec::new());
        Ok(())
    }
}
