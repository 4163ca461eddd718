//! The write paths of the driver: write (store every copy, then release
//! the lock), update_timestamp (touch, refilling vanished copies), destroy
//! and exists.

use super::{
    handler::{CopyState, Handler, Opened, failed_over, id_prefix, unexpected},
    plan::{Batch, Tag, delete_cas_cmd, over_limit, read_cmd, store_cmd},
    settle::{Stored, store_outcome},
};
use crate::{
    core::keys,
    core::replica,
    error::{Error, Result},
    net::protocol::{Command, Exptime, Reply},
    shared_state::stats::{self, Total},
};

impl Handler {
    /// Stores `data` under `sid` with a TTL of `maxlifetime` seconds on
    /// every copy (the next version), then releases this request's lock
    /// once every copy's write was answered (in the same round trip when
    /// the only copy lives on the lock's server).
    ///
    /// # Errors
    /// A refused id; [`Error::ReadOnly`] for a changed session opened
    /// read-only (an unchanged one is accepted without a write);
    /// [`Error::Conflict`] when a copy changed since it was read (possible
    /// only after the lock expired); [`Error::TooLarge`] or
    /// [`Error::WriteRefused`] when a server would not store it — the
    /// previous copies then stay intact; connection errors when no copy
    /// could be written.
    pub fn write(&mut self, sid: &[u8], data: &[u8], maxlifetime: i64) -> Result<()> {
        let exptime = keys::ttl_for(maxlifetime, keys::now_unix());
        self.with_opened(sid, |h, o| {
            if let Some(read) = o.readonly.as_ref() {
                // PHP calls write for unchanged data too when lazy_write is
                // off: nothing to refuse then.
                if read.as_slice() == data {
                    return Ok(());
                }
                stats::bump(Total::LostLockRefusals);
                return Err(Error::ReadOnly {
                    id: id_prefix(sid),
                    refused: "changes not written",
                });
            }
            let (previous, version) = (o.version, replica::next_version(o.version));
            if o.db_only {
                return h.durable_only_write(o, data, version, maxlifetime);
            }
            h.store_copies(o, data, exptime, version, None)?;
            h.durable_write(o, data, previous, maxlifetime)
        })
    }

    /// Stores `data` at `version` on the session's copies — those read
    /// (with their CAS under a lock) and, with failover, usable servers in
    /// place of any that failed — then releases the lock. The release rides
    /// in the same round trip only when every copy lives on the lock's own
    /// server (memcached runs a pipeline in order, so the copy is stored
    /// before the lock goes); otherwise it is sent once every copy's write
    /// was answered, so the next holder never reads a copy this request is
    /// still writing. `only` replaces the targets (refilling copies a touch
    /// found missing, as adds, or replacing copies on failed servers). A
    /// store whose connection dropped before its reply is checked by
    /// reading the copy back: stored if it holds this version and data.
    fn store_copies(
        &mut self,
        o: &mut Opened,
        data: &[u8],
        exptime: Exptime,
        version: u32,
        only: Option<Vec<CopyState>>,
    ) -> Result<()> {
        let order = self.order(&o.keys.data_hash);
        let n = self.placement.redundancy;
        let refill = only.is_some();
        let mut targets: Vec<CopyState> = match only {
            Some(copies) => copies,
            None => {
                let mut t: Vec<CopyState> = o
                    .copies
                    .iter()
                    .copied()
                    .filter(|c| self.usable(c.server))
                    .collect();
                self.fill(&mut t, &order, n);
                t
            }
        };
        if targets.is_empty() {
            return Err(self.unreachable(&o.sid, &order, None));
        }
        // Sealed once for every copy (a fresh nonce per write), to expire
        // with the TTL written.
        let now = keys::now_unix();
        let expires_at = if exptime <= keys::MAX_RELATIVE_TTL {
            now + exptime
        } else {
            exptime
        };
        let (value, flags) = self.codec.seal(&o.keys.data, data, version, expires_at)?;
        let data: &[u8] = &value;
        // A refused size keeps the lock for close to release.
        for c in &targets {
            self.check_size(&o.sid, &o.keys.data, c.server, data)?;
        }
        let locked = o.lock.is_some() || refill;
        let mut with_writes = o
            .lock
            .as_ref()
            .is_some_and(|l| targets.iter().all(|c| c.server == l.server));
        let mut released = false;
        let mut stored: Vec<CopyState> = Vec::new();
        let mut used: Vec<usize> = targets.iter().map(|c| c.server).collect();
        let (mut conflict, mut refused, mut last) = (false, None, None);
        while !targets.is_empty() {
            let mut batch = Batch::default();
            for (i, c) in targets.iter().enumerate() {
                // CAS guards every copy this request read at the version
                // it uses (or repaired to it), not only the one beside the
                // lock: if the lock's server dies, a request that takes
                // the lock over on the next server writes these copies,
                // and going over them would lose its update. A copy read
                // older (a parallel read that predated the previous
                // holder's write) is not `read` (see `repair`): versions
                // decide there, so it is no false conflict.
                let guarded = (locked && c.read).then_some(c.cas);
                batch.push(
                    c.server,
                    store_cmd(&o.keys.data, data, exptime, flags, guarded),
                    Tag::Copy(i),
                );
            }
            if with_writes && let Some(l) = &o.lock {
                batch.push(l.server, delete_cas_cmd(&o.keys.lock, l.cas), Tag::Release);
            }
            with_writes = false;
            let mut failed = 0;
            let mut unknown: Vec<usize> = Vec::new();
            for (server, tags, res) in self.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            let Tag::Copy(i) = tag else {
                                // Any answer to the release: it ran (EX/NF:
                                // the lock had expired; not ours to free).
                                released = true;
                                continue;
                            };
                            match store_outcome(&reply) {
                                Stored::Yes(cas) => stored.push(CopyState {
                                    cas,
                                    read: true,
                                    ..targets[i]
                                }),
                                Stored::Conflict => conflict = true,
                                Stored::Refused(answer) => {
                                    refused = Some(Error::WriteRefused {
                                        id: id_prefix(&o.sid),
                                        size: data.len(),
                                        server: self.pool.label(server),
                                        answer,
                                    });
                                }
                                Stored::Unexpected => {
                                    return Err(unexpected(&*self.pool, server, "ms", &reply));
                                }
                            }
                        }
                    }
                    Err(e) => {
                        for tag in &tags {
                            if let Tag::Copy(i) = tag {
                                if self.usable(server) {
                                    // Dropped, server still up: look.
                                    unknown.push(*i);
                                } else {
                                    failed += 1;
                                }
                            }
                        }
                        last = Some(e);
                    }
                }
            }
            if !unknown.is_empty() {
                let servers: Vec<usize> = unknown.iter().map(|&i| targets[i].server).collect();
                let batch = Batch::per_copy(&servers, read_cmd(&o.keys.data, false));
                for (_, tags, res) in self.run(batch) {
                    let landed = res.ok().and_then(|mut r| r.pop()).and_then(|r| match r {
                        Reply::Value(v, meta) if v == data && meta.client_flags == Some(flags) => {
                            Some(meta.cas)
                        }
                        _ => None,
                    });
                    let Some(Tag::Copy(j)) = tags.first() else {
                        continue;
                    };
                    match landed {
                        Some(cas) => stored.push(CopyState {
                            cas,
                            read: true,
                            ..targets[unknown[*j]]
                        }),
                        None => failed += 1,
                    }
                }
            }
            // Copies whose server failed move to the next usable servers.
            targets.clear();
            // Not after a conflict: another request owns the session now,
            // and a copy moved to a failover server would tie its version.
            if failed > 0 && !refill && !conflict {
                for s in order.iter().copied() {
                    if targets.len() == failed || stored.len() + targets.len() >= n {
                        break;
                    }
                    if !used.contains(&s) && self.placement.allow_failover && self.usable(s) {
                        used.push(s);
                        targets.push(CopyState {
                            server: s,
                            cas: None,
                            read: false,
                        });
                    }
                }
            }
        }
        // The lock's copy first: a request waiting for the lock then finds
        // its copy free once it has the lock.
        self.release_lock_copy(o);
        if released {
            o.lock = None;
        } else if let Some(l) = o.lock.take() {
            // Every copy's write was answered (or failed): now the lock,
            // unawaited — nothing this request does depends on its answer,
            // so a locked write costs no round trip for it. A failed
            // release is not the write's failure; it is retried when the
            // server answers again.
            let _ = self.release_lock_unawaited(&o.keys.lock, l);
        }
        if let Some(e) = refused {
            return Err(e);
        }
        if conflict {
            stats::bump(Total::WriteConflicts);
            return Err(Error::Conflict {
                id: id_prefix(&o.sid),
                expire_s: self.lock.expire_s,
            });
        }
        if stored.is_empty() {
            return Err(self.unreachable(&o.sid, &order, last));
        }
        if self.codec.ring.is_some() {
            // The durable row of this version holds the same bytes.
            o.sealed = Some((version, value.into_owned()));
        }
        if !refill {
            if failed_over(&order, n, stored.iter().map(|c| c.server)) {
                stats::bump(Total::Failovers);
            }
            o.copies = stored;
            o.version = version;
            o.rewrite = false;
            o.expires_at = self.codec.ring.is_some().then_some(expires_at);
        }
        Ok(())
    }
    /// Adds usable servers of `order` not yet in `targets` until it has `n`
    /// (with failover; without, only the first `n` of the order count).
    /// A server is asked whether it is usable only when it would be taken
    /// (asking may make this request the one probe of a server due for a
    /// retry, see [`crate::shared_state::health::Health::admit`]).
    fn fill(&self, targets: &mut Vec<CopyState>, order: &[usize], n: usize) {
        let limit = if self.placement.allow_failover {
            order.len()
        } else {
            n.min(order.len())
        };
        for &s in &order[..limit] {
            if targets.len() >= n {
                break;
            }
            if !targets.iter().any(|c| c.server == s) && self.usable(s) {
                targets.push(CopyState {
                    server: s,
                    cas: None,
                    read: false,
                });
            }
        }
    }

    /// Refuses a value the server would not store ([`over_limit`]). The
    /// limit was learned with the first round trip to the server (the read,
    /// for every copy this request read): no I/O here, so a dead server
    /// never stands between a write and its failover.
    fn check_size(&self, sid: &[u8], key: &[u8], idx: usize, data: &[u8]) -> Result<()> {
        match over_limit(self.pool.known_item_size_max(idx), key, data) {
            None => Ok(()),
            Some(limit) => Err(Error::TooLarge {
                id: id_prefix(sid),
                size: data.len(),
                server: self.pool.label(idx),
                limit,
            }),
        }
    }

    /// Deletes session `sid` from every usable server of its probe order
    /// (stray older copies included, so none can bring the session back)
    /// and releases its lock, in one round trip; a session that does not
    /// exist is not an error.
    ///
    /// # Errors
    /// A refused id; [`Error::ReadOnly`] for a session opened read-only
    /// (another request holds its lock); connection errors when no server
    /// answered.
    pub fn destroy(&mut self, sid: &[u8]) -> Result<()> {
        if self
            .opened
            .as_ref()
            .is_some_and(|o| o.db_only && o.sid == sid)
        {
            return self.durable_only_destroy();
        }
        // A session this request did not read (a destroy of another id,
        // e.g. an administrator's forced logout): its version is looked up
        // first, so the tombstone and the row delete cover what is stored.
        let unread = self.opened.as_ref().is_none_or(|o| o.sid != sid);
        let floor = if unread && self.tombstones() {
            self.stored_version(sid)?
        } else {
            0
        };
        let version = self.destroy_copies(sid, floor)?;
        self.durable_destroy(sid, version)
    }

    /// The newest version of session `sid` stored anywhere: its copies (on
    /// the servers a destroy reaches), its tombstone and its durable-tier
    /// row; 0 when none is found. One round trip to memcached (flags only,
    /// no value) and one read of the row; a server or database that fails
    /// is left out (the destroy reports it).
    ///
    /// # Errors
    /// A refused id.
    fn stored_version(&self, sid: &[u8]) -> Result<u32> {
        let keys = self.keys_for(sid)?;
        let order = self.order(&keys.data_hash);
        let servers = self.pick(&order, order.len());
        let flags_only = Command::Get {
            key: &keys.data,
            value: false,
            ttl: false,
            cas: false,
            flags: true,
            touch: None,
        };
        let mut batch = Batch::per_copy(&servers, flags_only);
        if let Some(tomb) = &keys.tomb {
            for (i, &s) in servers.iter().enumerate() {
                batch.push(s, read_cmd(tomb, false), Tag::Tomb(i));
            }
        }
        let mut newest = 0;
        let mut take = |v: u32| {
            if replica::is_newer(v, newest) {
                newest = v;
            }
        };
        for (_, tags, res) in self.run(batch) {
            for (tag, reply) in tags.into_iter().zip(res.unwrap_or_default()) {
                match (tag, reply) {
                    (Tag::Copy(_), Reply::Done(meta) | Reply::Value(_, meta)) => {
                        take(meta.client_flags.unwrap_or(0) >> replica::VERSION_SHIFT);
                    }
                    (Tag::Tomb(_), Reply::Value(v, _)) => {
                        if let Some(t) = crate::core::tomb::Tomb::parse(&v) {
                            take(t.version);
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(v) = self.durable_version(&keys) {
            take(v);
        }
        Ok(newest)
    }

    /// Deletes the copies (and, while tombstones are on, leaves the
    /// session's tombstone on the same servers in the same round trip);
    /// returns the version destroyed: the version read, or `floor` when
    /// that is newer ([`Handler::stored_version`] of an unread session).
    fn destroy_copies(&mut self, sid: &[u8], floor: u32) -> Result<u32> {
        self.with_opened(sid, |h, o| {
            if replica::is_newer(floor, o.version) {
                o.version = floor;
            }
            if o.readonly.is_some() {
                // Another request holds this session's lock; deleting under
                // it would make that request's write fail.
                stats::bump(Total::LostLockRefusals);
                return Err(Error::ReadOnly {
                    id: id_prefix(sid),
                    refused: "not destroyed",
                });
            }
            let order = h.order(&o.keys.data_hash);
            let servers = if h.placement.allow_failover {
                h.pick(&order, order.len())
            } else {
                h.pick(&order, h.placement.redundancy)
            };
            if servers.is_empty() {
                return Err(h.unreachable(sid, &order, None));
            }
            let delete = Command::Delete {
                key: &o.keys.data,
                cas: None,
            };
            let mut batch = Batch::per_copy(&servers, delete);
            let now = keys::now_unix();
            let tomb = crate::core::tomb::Tomb {
                version: o.version,
                destroyed_at: now,
            }
            .encode();
            let tomb_ttl = keys::ttl_for(crate::core::tomb::lifetime(h.maxlifetime), now);
            if let Some(key) = o.keys.tomb.as_ref().filter(|_| h.tombstones()) {
                for (i, &s) in servers.iter().enumerate() {
                    batch.push(s, store_cmd(key, &tomb, tomb_ttl, 0, None), Tag::Tomb(i));
                }
            }
            h.push_previous(&mut batch, &o.keys, &servers, &[], |key| Command::Delete {
                key,
                cas: None,
            });
            let lock = o.lock.take();
            if let Some(l) = &lock {
                batch.push(l.server, delete_cas_cmd(&o.keys.lock, l.cas), Tag::Release);
            }
            let (mut answered, mut last, mut buried) = (0, None, 0);
            let mut released = false;
            for (server, tags, res) in h.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match (tag, reply) {
                                (Tag::Release, _) => released = true,
                                (Tag::Tomb(_), Reply::Done(_)) => buried += 1,
                                (Tag::Tomb(_), _) => {}
                                (Tag::Copy(_), Reply::Done(_) | Reply::NotFound) => answered += 1,
                                (Tag::Previous(_), _) => {}
                                (_, other) => {
                                    return Err(unexpected(&*h.pool, server, "md", &other));
                                }
                            }
                        }
                    }
                    Err(e) if e.is_server_fault() => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
            if !released {
                o.lock = lock;
            }
            h.release_lock_copy(o);
            o.copies.clear();
            let version = std::mem::take(&mut o.version);
            if buried > 0 {
                stats::bump(Total::TombstonesWritten);
                // A new session under this id continues from the
                // tombstone's version.
                o.version = version;
                o.tomb = Some(crate::core::tomb::Tomb {
                    version,
                    destroyed_at: now,
                });
            }
            if answered == 0 {
                return Err(h.unreachable(sid, &order, last));
            }
            Ok(version)
        })
    }

    /// Whether session `sid` exists on any of its copy servers. A pure
    /// probe (`mg` without flags): nothing is written, no TTL changes. With
    /// encryption on, the copies are read (`mg v f`) and only one that
    /// opens counts: a value planted by someone who can write to memcached
    /// does not make its id known to `use_strict_mode`. An
    /// id that could never be stored (bytes outside the alphabet, too long
    /// a key) does not exist: it is answered without a warning and without
    /// reaching memcached, so a client sending junk cookies to a
    /// strict-mode site gets a fresh id rather than filling the log.
    ///
    /// # Errors
    /// Connection errors when no server answered.
    pub fn exists(&self, sid: &[u8]) -> Result<bool> {
        let Ok(keys) = self.keys_for(sid) else {
            return Ok(false);
        };
        let order = self.order(&keys.data_hash);
        let (mut failed, mut last) = (Vec::new(), None);
        for _ in 0..=self.pool.server_count() {
            let servers = self.pick_except(&order, self.placement.redundancy, &failed);
            if servers.is_empty() {
                break;
            }
            // With encryption on, a copy counts only if it opens: a value
            // planted by someone who can write to memcached must not make
            // its id known to use_strict_mode (session fixation).
            let sealed = self.codec.ring.is_some();
            let probe = |key| {
                if sealed {
                    read_cmd(key, false)
                } else {
                    Command::probe(key)
                }
            };
            let mut batch = Batch::per_copy(&servers, probe(&keys.data));
            let old = self.push_previous(&mut batch, &keys, &servers, &failed, probe);
            let mut answered = false;
            for (server, tags, res) in self.run(batch) {
                let is_copy = |t: &Tag| matches!(t, Tag::Copy(_));
                let replies = match res {
                    Ok(r) => r,
                    // An old place that fails is read as missing.
                    Err(e) if e.is_server_fault() && !tags.iter().any(is_copy) => continue,
                    Err(e) if e.is_server_fault() => {
                        failed.push(server);
                        last = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                // A server can be asked for the data key and, as an old
                // place, for the raw key.
                for (tag, reply) in tags.iter().zip(replies) {
                    let key = match tag {
                        Tag::Previous(j) => keys.old_key(old[*j].raw),
                        _ => &keys.data,
                    };
                    match (is_copy(tag), reply) {
                        (_, Reply::Done(_)) => return Ok(true),
                        (copy, Reply::Value(v, meta)) if sealed => {
                            let flags = meta.client_flags.unwrap_or(0);
                            let now = crate::core::keys::now_unix();
                            match self.codec.open(key, v, flags, self.max_inflated, now) {
                                Err(replica::Unusable::Refused(_)) => answered |= copy,
                                // Undecodable: read reports it.
                                _ => return Ok(true),
                            }
                        }
                        (true, Reply::Miss) => answered = true,
                        (true, other) => return Err(unexpected(&*self.pool, server, "mg", &other)),
                        (false, _) => {}
                    }
                }
            }
            if answered {
                // A server that failed may hold a copy; one that answered
                // has none. With failover, the servers after it stand in.
                if failed.is_empty() || !self.placement.allow_failover {
                    return Ok(false);
                }
                if self.pick_except(&order, self.placement.redundancy, &failed) == servers {
                    return Ok(false);
                }
            }
        }
        Err(self.unreachable(sid, &order, last))
    }

    /// Refreshes the TTL of an unchanged session (`lazy_write`) on every
    /// copy without resending it, releasing the lock in the same round
    /// trip; a copy that has vanished meanwhile is written in full (as an
    /// add, so a copy another request created meanwhile is kept). A session
    /// opened read-only is left alone (nothing changed).
    ///
    /// # Errors
    /// As [`Handler::write`].
    pub fn update_timestamp(&mut self, sid: &[u8], data: &[u8], maxlifetime: i64) -> Result<()> {
        self.with_opened(sid, |h, o| {
            let previous = o.version;
            if o.db_only && o.readonly.is_none() {
                return h.durable_only_write(o, data, previous, maxlifetime);
            }
            h.touch_copies(o, data, maxlifetime)?;
            if o.version == previous {
                h.durable_touch(o, data, maxlifetime)
            } else {
                h.durable_write(o, data, previous, maxlifetime)
            }
        })
    }

    fn touch_copies(&mut self, o: &mut Opened, data: &[u8], maxlifetime: i64) -> Result<()> {
        let exptime = keys::ttl_for(maxlifetime, keys::now_unix());
        let sid = o.sid.clone();
        let sid = sid.as_slice();
        {
            let h = self;
            if o.readonly.is_some() {
                return Ok(());
            }
            let mut targets: Vec<usize> = o
                .copies
                .iter()
                .filter(|c| c.cas.is_some() && h.usable(c.server))
                .map(|c| c.server)
                .collect();
            let reseal = o.expires_at.is_some_and(|e| {
                crate::secrets::crypt::reseal_due(e, keys::now_unix(), keys::lifetime(maxlifetime))
            });
            if targets.is_empty() || o.rewrite || reseal {
                // Nothing was read (or nothing existed), or a copy read
                // must be sealed (plaintext, format 1) or replaced
                // (refused), or its sealed expiry renewed: a full write.
                let version = replica::next_version(o.version);
                return h.store_copies(o, data, exptime, version, None);
            }
            targets.truncate(h.placement.redundancy);
            let mut batch = Batch::per_copy(&targets, Command::touch(&o.keys.data, exptime));
            let lock = o.lock.take();
            if let Some(l) = &lock {
                batch.push(l.server, delete_cas_cmd(&o.keys.lock, l.cas), Tag::Release);
            }
            let (mut touched, mut missing, mut last) = (0, Vec::new(), None);
            let mut faulted = Vec::new();
            let mut released = false;
            for (server, tags, res) in h.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match (tag, reply) {
                                (Tag::Release, _) => released = true,
                                (Tag::Copy(_), Reply::Done(_)) => touched += 1,
                                (Tag::Copy(i), Reply::Miss) => missing.push(targets[i]),
                                (_, other) => {
                                    return Err(unexpected(&*h.pool, server, "mg T", &other));
                                }
                            }
                        }
                    }
                    Err(e) if e.is_server_fault() => {
                        faulted.push(server);
                        last = Some(e);
                    }
                    Err(e) => return Err(e),
                }
            }
            if !released {
                o.lock = lock;
            }
            h.release_lock_copy(o);
            // Copies gone (evicted or expired mid-request) are written in
            // full, as adds; copies on servers that failed are replaced by
            // the next usable servers, as a write would.
            let mut refill: Vec<CopyState> = missing
                .iter()
                .map(|&server| CopyState {
                    server,
                    cas: None,
                    read: true,
                })
                .collect();
            let order = h.order(&o.keys.data_hash);
            if h.placement.allow_failover {
                let have = touched + refill.len();
                let spare = h
                    .pick(&order, order.len())
                    .into_iter()
                    .filter(|s| !targets.contains(s) && !faulted.contains(s))
                    .take(h.placement.redundancy.saturating_sub(have));
                refill.extend(spare.map(|server| CopyState {
                    server,
                    cas: None,
                    read: false,
                }));
            }
            if !refill.is_empty() && (touched > 0 || !missing.is_empty()) {
                return h.store_copies(o, data, exptime, o.version, Some(refill));
            }
            if touched == 0 {
                return Err(h.unreachable(sid, &order, last));
            }
            Ok(())
        }
    }
}
