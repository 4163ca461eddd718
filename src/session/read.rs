//! The read path of the driver: take the session's lock and read every copy
//! in one round trip, wait for a contended lock, resolve lock adds whose
//! outcome is unknown, pick the newest copy and repair the others.

use super::{
    handler::{CopyState, Handler, HeldLock, Opened, failed_over, unexpected},
    lock_copy::CopyStep,
    lock_try::Step,
    plan::{Batch, LockValue, Tag, read_cmd},
    resize::Old,
};
use crate::{
    core::keys::{Compat, now_ms},
    core::lock::{self, Backoff, RealClock, Waited},
    core::replica::{self, Found},
    core::tomb::Tomb,
    error::{Error, Result},
    net::protocol::Reply,
    shared_state::stats::{self, Total},
};

/// One reply per server asked (`None` where it failed).
type Answers = Vec<Option<Reply>>;

/// A copy's data, remaining TTL (s) and sealed expiry (unix s), as read.
pub(super) type Picked = (Vec<u8>, Option<i64>, Option<i64>);

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
        let mut failed = Vec::new();
        let r = match self.read_into(&mut o, &mut failed) {
            // No copy anywhere: the durable tier may have the session.
            Ok(d) if o.version == 0 && self.durable.is_some() => self
                .durable_read(&mut o)
                .map(|r| if r.is_empty() { d } else { r }),
            // No memcached server at all (each failed in this request or is
            // left alone for its retry interval, whatever that interval is,
            // 0 included): the durable tier serves the session, under its
            // database lock.
            Err(e)
                if self.durable.is_some() && e.is_server_fault() && self.none_usable(&failed) =>
            {
                self.durable_only_read(&mut o, e)
            }
            r => r,
        };
        if let Some(t) = o.tomb.filter(|_| o.version == 0) {
            // Destroyed, and not written since: a new session under this id
            // continues from the tombstone's version, so its copies are
            // newer than every buried one.
            o.version = t.version;
        }
        // Kept even on error: close then releases a lock taken before it.
        self.opened = Some(o);
        r
    }

    /// The value this request stores in its lock item: the native
    /// [`LockValue`], or the bare token the compat presets' handlers (pecl-memcache,
    /// php-memcached) use.
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

    /// Reads into `o`; `failed` gets the servers that failed in this read.
    fn read_into(&mut self, o: &mut Opened, failed: &mut Vec<usize>) -> Result<Vec<u8>> {
        let token = if self.lock.enabled {
            Some(lock::new_token().map_err(|e| Error::Random(e.to_string()))?)
        } else {
            None
        };
        let order = self.order(&o.keys.data_hash);
        let lock_order = self.lock_order(&o.keys, &order);
        let n = self.placement.redundancy;
        let mut last: Option<Error> = None;
        for _ in 0..=2 * self.pool.server_count() + 2 {
            if let Some(l) = o.lock.take_if(|l| failed.contains(&l.server)) {
                // Its server failed after we took it: that lock is gone, or
                // is deleted when the server answers again.
                self.delete_lock_when_back(l.server, &o.keys.lock, &l.value);
                // The lock's copy stands in: it is held on the server a
                // request failing over would lock next.
                o.lock = o.lock_copy.take();
            }
            if let Some(l) = o.lock_copy.take_if(|l| failed.contains(&l.server)) {
                self.delete_lock_when_back(l.server, &o.keys.lock, &l.value);
            }
            let copies = self.pick_except(&order, n, failed);
            if copies.is_empty() {
                return Err(self.unreachable(&o.sid, &order, last));
            }
            let lock_server = match token {
                Some(_) if o.lock.is_none() => {
                    match self.pick_except(&lock_order, 1, failed).first() {
                        Some(&s) => Some(s),
                        None => return Err(self.unreachable(&o.sid, &lock_order, last)),
                    }
                }
                _ => None,
            };
            let copy_server =
                lock_server.and_then(|s| self.lock_copy_server(&lock_order, s, failed));
            let value = token.as_ref().map(|t| self.lock_value(t));
            let mut batch = Batch::default();
            if let (Some(s), Some(v)) = (lock_server, value.as_deref()) {
                self.push_lock_attempt(&mut batch, s, &o.keys.lock, v, false);
                if let Some(b) = copy_server {
                    self.push_lock_copy(&mut batch, b, &o.keys.lock, v);
                }
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
            if read_now {
                self.push_tomb_reads(&mut batch, o, &copies);
            }
            // After a resize or with key_hash_migrate: the old places are
            // read in the same round trip.
            let previous = self.previous_servers(&o.keys, &copies, failed);
            for (j, p) in previous.iter().enumerate().filter(|_| read_now) {
                let key = o.keys.old_key(p.raw);
                batch.push(p.server, read_cmd(key, true), Tag::Previous(j));
            }
            let mut answers: Vec<Option<Reply>> = vec![None; copies.len()];
            let mut old: Vec<Option<Reply>> = vec![None; previous.len()];
            let mut tombs: Answers = vec![None; copies.len()];
            let (mut added, mut peek, mut lock_err) = (None, None, None);
            let (mut copy_added, mut copy_failed) = (None, false);
            let mut retry = false;
            for (server, tags, res) in self.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match (tag, reply) {
                                (Tag::LockAdd, r) => added = Some(r),
                                (Tag::LockPeek, r) => peek = Some(r),
                                (Tag::LockCopyAdd, r) => copy_added = Some(r),
                                (Tag::Previous(j), r) => old[j] = Some(r),
                                (Tag::Tomb(i), r) => tombs[i] = Some(r),
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
                        copy_failed |= tags.contains(&Tag::LockCopyAdd);
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
                let step = self.lock_step(s, &o.keys.lock, v, added, peek, lock_err);
                let copy_step = copy_server.map(|b| {
                    let held = matches!(step, Ok(Step::Got(_)));
                    let r = self.settle_lock_copy(o, b, v, held, copy_added, copy_failed);
                    (b, r)
                });
                match step? {
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
                        if let Some((b, CopyStep::Wait)) = copy_step {
                            if !self.wait_lock_copy(o, b, v)? {
                                return self.gave_up_on_lock(o, &copies, n);
                            }
                            // What was read beside the copy's add may
                            // predate its holder's write.
                            reread = true;
                        }
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
                            value: v.clone(),
                        });
                        if let Some(b) = self.lock_copy_server(&lock_order, s, failed)
                            && !self.wait_lock_copy(o, b, &v)?
                        {
                            return self.gave_up_on_lock(o, &copies, n);
                        }
                    }
                    Ok(Waited::GaveUp(after)) => self.lock_wait_gave_up(o, after)?,
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
                match self.read_copies(o, &copies, &previous, n > 1) {
                    Ok((a, p, t)) => (answers, old, tombs) = (a, p, t),
                    Err(e) if e.is_server_fault() => {
                        failed.push(copies[0]);
                        last = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            o.tomb = self.newest_tomb(tombs);
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

    /// Reads every copy (and its server's tombstone), and the copies at
    /// the `previous` places (after a resize, or under the raw key), in one
    /// parallel round trip.
    pub(super) fn read_copies(
        &self,
        o: &Opened,
        copies: &[usize],
        previous: &[Old],
        ttl: bool,
    ) -> Result<(Answers, Answers, Answers)> {
        let keys = &o.keys;
        let mut batch = Batch::per_copy(copies, read_cmd(&keys.data, ttl));
        self.push_tomb_reads(&mut batch, o, copies);
        for (j, p) in previous.iter().enumerate() {
            batch.push(
                p.server,
                read_cmd(keys.old_key(p.raw), true),
                Tag::Previous(j),
            );
        }
        let mut answers = vec![None; copies.len()];
        let mut old = vec![None; previous.len()];
        let mut tombs = vec![None; copies.len()];
        for (server, tags, res) in self.run(batch) {
            match res {
                Ok(replies) => {
                    for (tag, reply) in tags.into_iter().zip(replies) {
                        match tag {
                            Tag::Copy(i) => answers[i] = Some(reply),
                            Tag::Previous(j) => old[j] = Some(reply),
                            Tag::Tomb(i) => tombs[i] = Some(reply),
                            _ => {}
                        }
                    }
                }
                Err(e) if e.is_server_fault() && server != copies[0] => {}
                Err(e) => return Err(e),
            }
        }
        Ok((answers, old, tombs))
    }

    /// Adds a read of the session's tombstone to the pipeline of each copy
    /// server, after the copy's read (while tombstones are on).
    fn push_tomb_reads<'a>(&self, batch: &mut Batch<'a>, o: &'a Opened, copies: &[usize]) {
        let Some(tomb) = o.keys.tomb.as_ref().filter(|_| self.tombstones()) else {
            return;
        };
        for (i, &c) in copies.iter().enumerate() {
            batch.push(c, read_cmd(tomb, false), Tag::Tomb(i));
        }
    }

    /// Whether the copy at `version` on `server` is older than session
    /// `o`'s tombstone (then logged and counted).
    fn buried(&self, o: &Opened, server: usize, version: u32) -> bool {
        let Some(t) = o.tomb.filter(|t| t.buries(version)) else {
            return false;
        };
        let what = format!(
            "the copy on server {} (version {version})",
            self.pool.label(server)
        );
        self.tomb_honoured(o, &t, &what);
        true
    }

    /// The newest tombstone among the replies to [`Handler::push_tomb_reads`].
    pub(super) fn newest_tomb(&self, tombs: Answers) -> Option<Tomb> {
        Tomb::newest(tombs.into_iter().filter_map(|r| match r {
            Some(Reply::Value(v, _)) => Tomb::parse(&v),
            _ => None,
        }))
    }

    /// Picks the newest copy among `answers` (one per server of `copies`;
    /// `None` for a server that failed), records what was read in `o`, and
    /// repairs stale or missing copies. When no copy exists, the newest of
    /// `old` (the replies of the `previous` places: the previous placement
    /// after a resize, the raw key's with `key_hash_migrate`) is moved in
    /// ([`Handler::move_from_previous`]).
    pub(super) fn settle_copies(
        &self,
        o: &mut Opened,
        copies: &[usize],
        answers: Vec<Option<Reply>>,
        previous: &[Old],
        old: Vec<Option<Reply>>,
    ) -> Result<Vec<u8>> {
        let mut found = Vec::new();
        let mut values: Vec<Option<Picked>> = Vec::new();
        o.copies.clear();
        // Copies refused by encryption (indexes into `o.copies`), and
        // whether a plaintext copy was read with encryption on.
        let mut refused: Vec<usize> = Vec::new();
        let mut plaintext = false;
        for (&server, answer) in copies.iter().zip(answers) {
            match answer {
                None => {}
                Some(Reply::Value(data, meta)) => {
                    // A copy written before the session was destroyed (one
                    // that missed the destroy, or one written back) counts
                    // as one that does not open.
                    let opened = self
                        .open_copy(o, server, data, meta.client_flags, (false, ""))?
                        .filter(|d| !self.buried(o, server, d.version));
                    let Some(d) = opened else {
                        // Never returned to PHP: absent, logged, and
                        // overwritten (repair or the next write, CAS
                        // guarded by the id read here).
                        refused.push(o.copies.len());
                        found.push(Found::Missing);
                        values.push(None);
                        o.copies.push(CopyState {
                            server,
                            cas: meta.cas,
                            read: true,
                        });
                        continue;
                    };
                    // Plaintext, or sealed without an expiry (format 1),
                    // read with encryption on: sealed (format 2) by the
                    // next write, even an unchanged session's.
                    plaintext |= self.codec.ring.is_some() && d.expires_at.is_none();
                    found.push(Found::Version(d.version));
                    values.push(Some((d.data, meta.ttl, d.expires_at)));
                    o.copies.push(CopyState {
                        server,
                        cas: meta.cas,
                        read: true,
                    });
                }
                Some(Reply::Miss) => {
                    found.push(Found::Missing);
                    values.push(None);
                    o.copies.push(CopyState {
                        server,
                        cas: None,
                        read: true,
                    });
                }
                Some(other) => return Err(unexpected(&*self.pool, server, "mg", &other)),
            }
        }
        // A refused copy not repaired below, or a plaintext one: the next
        // write stores the session in full even if unchanged.
        o.rewrite = plaintext || !refused.is_empty();
        o.refused_copy = !refused.is_empty();
        let Some(best) = replica::newest(&found) else {
            o.version = 0;
            let moved = self.move_from_previous(o, &found, previous, old)?;
            return Ok(moved.unwrap_or_default());
        };
        let Found::Version(version) = found[best] else {
            return Ok(Vec::new());
        };
        o.version = version;
        let Some((data, ttl, expires_at)) = values[best].take() else {
            return Ok(Vec::new());
        };
        o.expires_at = expires_at;
        let stale = replica::stale(&found);
        if !stale.is_empty() {
            self.repair(o, &stale, &data, ttl);
            // `repair` leaves `read` set on the copies it stored.
            o.rewrite = plaintext || refused.iter().any(|&i| !o.copies[i].read);
        }
        Ok(data)
    }
}
