//! The read path of the driver: take the session's lock and read every copy
//! in one round trip, wait for a contended lock, resolve lock adds whose
//! outcome is unknown, pick the newest copy and repair the others.

use super::{
    handler::{Copy, Handler, HeldLock, Opened, failed_over, id_text, unexpected},
    plan::{
        Batch, LockValue, Tag, delete_cas_cmd, lock_add_cmd, lock_peek_cmd, read_cmd, store_cmd,
    },
    settle::{LockTry, Resolved, lock_outcome, resolve_lock},
};
use crate::{
    error::{Error, Result},
    keys::{Compat, now_ms},
    lock::{self, Backoff, LockFailure, RealClock, Waited},
    protocol::{Command, Exptime, Reply},
    replica::{self, Found},
    stats::{self, Total},
};

/// One reply per server asked (`None` where it failed).
type Answers = Vec<Option<Reply>>;

/// How one lock step ended.
enum Step {
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
    /// Reads session `sid` (taking its lock when locking is on): the newest
    /// of its copies, or an empty vector when no server has one. Stale or
    /// missing copies are repaired.
    ///
    /// # Errors
    /// A refused id; [`Error::LockTimeout`] when the lock stayed taken for
    /// the whole wait budget and `lock_failure = error`;
    /// [`Error::Undecodable`] for a copy rsmemcache cannot read; connection
    /// errors when no server answers. Never an empty session in place of
    /// one that could not be read.
    pub fn read(&mut self, sid: &[u8]) -> Result<Vec<u8>> {
        // A second read in the same open (PHP does not do this, but be safe):
        // give back the lock of the first.
        self.release()?;
        let mut o = self.fresh(sid)?;
        let r = match self.read_into(&mut o) {
            // No copy anywhere: the durable tier may have the session.
            Ok(d) if o.version == 0 && self.durable.is_some() => self
                .durable_read(&mut o)
                .map(|r| if r.is_empty() { d } else { r }),
            // No memcached server at all: the durable tier serves the
            // session, under its database lock.
            Err(e) if self.durable.is_some() && e.is_server_fault() && self.none_usable() => {
                self.durable_only_read(&mut o, e)
            }
            r => r,
        };
        // Kept even on error: close then releases a lock taken before it.
        self.opened = Some(o);
        r
    }

    /// The value this request stores in its lock item: the native
    /// [`LockValue`], or the bare token the compat presets' anchors use.
    fn lock_value(&self, token: &[u8; 32]) -> Vec<u8> {
        if self.compat != Compat::None {
            return token.to_vec();
        }
        let sent_ms = now_ms();
        LockValue {
            token: *token,
            sent_ms,
            deadline_ms: sent_ms.saturating_add(self.io_timeout_ms),
            expire_s: self.lock.expire_s,
            holder: self.holder.clone(),
        }
        .encode()
    }

    fn read_into(&mut self, o: &mut Opened) -> Result<Vec<u8>> {
        let token = if self.lock.enabled {
            Some(lock::new_token().map_err(|e| Error::Random(e.to_string()))?)
        } else {
            None
        };
        let order = self.order(&o.keys.data_hash);
        let lock_order = self.lock_order(&o.keys, &order);
        let n = self.placement.redundancy;
        let mut last: Option<Error> = None;
        let mut failed: Vec<usize> = Vec::new();
        for _ in 0..=2 * self.pool.server_count() + 2 {
            if let Some(l) = o.lock.take_if(|l| failed.contains(&l.server)) {
                // Its server failed after we took it: that lock is gone, or
                // is deleted when the server answers again.
                self.pool.delete_when_back(
                    l.server,
                    o.keys.lock.clone(),
                    l.value,
                    self.lock.expire_s,
                );
            }
            let copies = self.pick_except(&order, n, &failed);
            if copies.is_empty() {
                return Err(self.unreachable(&o.sid, &order, last));
            }
            let lock_server = match token {
                Some(_) if o.lock.is_none() => {
                    match self.pick_except(&lock_order, 1, &failed).first() {
                        Some(&s) => Some(s),
                        None => return Err(self.unreachable(&o.sid, &lock_order, last)),
                    }
                }
                _ => None,
            };
            let value = token.as_ref().map(|t| self.lock_value(t));
            let mut batch = Batch::default();
            if let (Some(s), Some(v)) = (lock_server, value.as_deref()) {
                self.push_lock_attempt(&mut batch, s, &o.keys.lock, v, false);
            }
            // Where no copy shares the lock's server (compat=memcached), a
            // read beside the add could predate the previous holder's write
            // and is read again once the lock is ours: not sent at all.
            let read_now = lock_server.is_none_or(|s| copies.contains(&s));
            for (i, &c) in copies.iter().enumerate().filter(|_| read_now) {
                // After the lock attempt: on the lock's server the read must
                // follow the add in the same pipeline.
                batch.push(c, read_cmd(&o.keys.data, n > 1), Tag::Copy(i));
            }
            // After a resize: the old home is read in the same round trip.
            let previous = self.previous_servers(&o.keys.data_hash, &copies, &failed);
            for (j, &s) in previous.iter().enumerate().filter(|_| read_now) {
                batch.push(s, read_cmd(&o.keys.data, true), Tag::Previous(j));
            }
            let mut answers: Vec<Option<Reply>> = vec![None; copies.len()];
            let mut old: Vec<Option<Reply>> = vec![None; previous.len()];
            let (mut added, mut peek, mut lock_err) = (None, None, None);
            let mut retry = false;
            for (server, tags, res) in self.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match (tag, reply) {
                                (Tag::LockAdd, r) => added = Some(r),
                                (Tag::LockPeek, r) => peek = Some(r),
                                (Tag::Previous(j), r) => old[j] = Some(r),
                                (Tag::Copy(i), Reply::Failed(answer)) => {
                                    // The copy could not be read: like a
                                    // failed server for this request.
                                    let e = Error::Server {
                                        server: self.pool.label(server),
                                        answer,
                                    };
                                    // The server answered: it stays in
                                    // use (and keeps our lock); read again.
                                    retry |= i == 0;
                                    last = Some(e);
                                }
                                (Tag::Copy(i), r) => answers[i] = Some(r),
                                _ => {}
                            }
                        }
                    }
                    Err(e) if e.is_server_fault() => {
                        if tags.contains(&Tag::LockAdd) {
                            // The copies read there are missing: never an
                            // empty session in place of one not read.
                            retry |= server == copies[0];
                            lock_err = Some(e);
                        } else {
                            // The home copy is needed; another copy's
                            // server failing only shrinks the set.
                            retry |= server == copies[0];
                            failed.push(server);
                            last = Some(e);
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            let mut contended = false;
            let mut reread = false;
            if let (Some(s), Some(v)) = (lock_server, value.as_ref()) {
                match self.lock_step(s, &o.keys.lock, v, added, peek, lock_err)? {
                    Step::Got(cas) => {
                        stats::bump(Total::LocksAcquired);
                        o.lock = Some(HeldLock {
                            server: s,
                            cas,
                            value: v.clone(),
                        });
                        // Not read beside the add (see `read_now`): read
                        // now that the lock is ours.
                        reread = !read_now;
                    }
                    Step::Contended => contended = true,
                    Step::Again => continue,
                    Step::ServerFailed(e) => {
                        // The copies read on that server go with it.
                        failed.push(s);
                        last = Some(e);
                        continue;
                    }
                }
            }
            if retry {
                continue;
            }
            if contended {
                let (s, v) = match (lock_server, value) {
                    (Some(s), Some(v)) => (s, v),
                    _ => return Err(self.unreachable(&o.sid, &lock_order, last)),
                };
                let seed = u64::from_le_bytes(v[..8].try_into().unwrap_or([7; 8]));
                let started = std::time::Instant::now();
                let waited = lock::wait_for(
                    self.lock.wait,
                    &mut Backoff::new(seed),
                    &mut RealClock::start(),
                    || self.try_lock(s, &o.keys.lock, &v),
                );
                let waited_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                stats::lock_waited(waited_ms);
                self.log_long_wait(&o.sid, started.elapsed(), waited.as_ref().ok());
                match waited {
                    Ok(Waited::Acquired(cas)) => {
                        stats::bump(Total::LocksAcquired);
                        o.lock = Some(HeldLock {
                            server: s,
                            cas,
                            value: v,
                        });
                    }
                    Ok(Waited::GaveUp(after)) => {
                        stats::bump(Total::LockWaitTimeouts);
                        let waited_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
                        if self.lock.failure == LockFailure::Error {
                            return Err(Error::LockTimeout {
                                id: id_text(&o.sid),
                                waited_ms,
                            });
                        }
                        o.readonly = Some(Vec::new());
                    }
                    Err(e) if e.is_server_fault() => {
                        // The lock's server failed during the wait: fail
                        // over (a lock there is gone with it).
                        failed.push(s);
                        last = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            if contended || reread {
                // What we read before the wait is out of date, or was not
                // read yet.
                match self.read_copies(&o.keys.data, &copies, &previous, n > 1) {
                    Ok((a, p)) => (answers, old) = (a, p),
                    Err(e) if e.is_server_fault() => {
                        failed.push(copies[0]);
                        last = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let data = self.settle_copies(o, &copies, answers, &previous, old)?;
            if failed_over(&order, n, copies.iter().copied()) {
                stats::bump(Total::Failovers);
            }
            if let Some(copy) = o.readonly.as_mut() {
                copy.clone_from(&data);
            }
            return Ok(data);
        }
        Err(self.unreachable(&o.sid, &order, last))
    }

    /// Adds a lock attempt for `server` to `batch`: the add, and a look at
    /// the lock item after it where the answer matters (pecl-memcache
    /// leaves `0` in a lock it released; in the wait loop, to recognise an
    /// abandoned lock).
    fn push_lock_attempt<'a>(
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
    fn lock_step(
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
                        "server {}: removed the abandoned lock {} (stored after its sender gave up)",
                        self.pool.label(server),
                        crate::error::escape_for_message(key, 80)
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
                    self.pool.delete_when_back(
                        server,
                        key.to_vec(),
                        value.to_vec(),
                        self.lock.expire_s,
                    );
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
                        self.pool.delete_when_back(
                            server,
                            key.to_vec(),
                            value.to_vec(),
                            self.lock.expire_s,
                        );
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
                                self.pool.delete_when_back(
                                    server,
                                    key.to_vec(),
                                    value.to_vec(),
                                    self.lock.expire_s,
                                );
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
    fn try_lock(&self, server: usize, key: &[u8], value: &[u8]) -> Result<Option<u64>> {
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

    /// Reads every copy, and the copies at the `previous` placement (after
    /// a resize), in one parallel round trip.
    fn read_copies(
        &self,
        key: &[u8],
        copies: &[usize],
        previous: &[usize],
        ttl: bool,
    ) -> Result<(Answers, Answers)> {
        let mut batch = Batch::per_copy(copies, read_cmd(key, ttl));
        for (j, &s) in previous.iter().enumerate() {
            batch.push(s, read_cmd(key, true), Tag::Previous(j));
        }
        let mut answers = vec![None; copies.len()];
        let mut old = vec![None; previous.len()];
        for (server, tags, res) in self.run(batch) {
            match res {
                Ok(replies) => {
                    for (tag, reply) in tags.into_iter().zip(replies) {
                        match tag {
                            Tag::Copy(i) => answers[i] = Some(reply),
                            Tag::Previous(j) => old[j] = Some(reply),
                            _ => {}
                        }
                    }
                }
                Err(e) if e.is_server_fault() && server != copies[0] => {}
                Err(e) => return Err(e),
            }
        }
        Ok((answers, old))
    }

    /// Picks the newest copy among `answers` (one per server of `copies`;
    /// `None` for a server that failed), records what was read in `o`, and
    /// repairs stale or missing copies. When no copy exists, the newest of
    /// `old` (the replies of the `previous` placement's servers after a
    /// resize) is moved in ([`Handler::move_from_previous`]).
    fn settle_copies(
        &self,
        o: &mut Opened,
        copies: &[usize],
        answers: Vec<Option<Reply>>,
        previous: &[usize],
        old: Vec<Option<Reply>>,
    ) -> Result<Vec<u8>> {
        let mut found = Vec::new();
        let mut values: Vec<Option<(Vec<u8>, Option<i64>)>> = Vec::new();
        o.copies.clear();
        for (&server, answer) in copies.iter().zip(answers) {
            match answer {
                None => {}
                Some(Reply::Value(data, meta)) => {
                    let d = self.decode_copy(&o.sid, server, data, meta.client_flags)?;
                    found.push(Found::Version(d.version));
                    values.push(Some((d.data, meta.ttl)));
                    o.copies.push(Copy {
                        server,
                        cas: meta.cas,
                        read: true,
                    });
                }
                Some(Reply::Miss) => {
                    found.push(Found::Missing);
                    values.push(None);
                    o.copies.push(Copy {
                        server,
                        cas: None,
                        read: true,
                    });
                }
                Some(other) => return Err(unexpected(&*self.pool, server, "mg", &other)),
            }
        }
        let Some(best) = replica::newest(&found) else {
            o.version = 0;
            let moved = self.move_from_previous(o, &found, previous, old)?;
            return Ok(moved.unwrap_or_default());
        };
        let Found::Version(version) = found[best] else {
            return Ok(Vec::new());
        };
        o.version = version;
        let Some((data, ttl)) = values[best].take() else {
            return Ok(Vec::new());
        };
        let stale = replica::stale(&found);
        if !stale.is_empty() {
            self.repair(o, &stale, &data, ttl);
        }
        Ok(data)
    }
}
