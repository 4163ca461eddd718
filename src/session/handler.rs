//! The save handler's logic on Rust types: what each `ps_module` callback
//! does against memcached — placement with failover, versioned copies,
//! and the session lock. No FFI types here; [`super::ffi`] converts PHP's
//! pointers to these calls and errors to warnings.
//!
//! Contract honoured (anchors.md §0): a missing session reads as an empty
//! string; `exists` (behind validate_sid and create_sid's collision check)
//! writes nothing; `update_timestamp` touches and falls back to a full write
//! when the key has vanished; every write is confirmed by the server and a
//! refused write leaves the previous copy in place.
//!
//! Placement: a session's copies live on the first
//! `rsmemcache.session_redundancy` *usable* servers of its probe order
//! ([`crate::hash::Distribution::probe_order`]); a server marked failed is
//! skipped (failover), one that fails during the request is marked and the
//! next one takes its place. Without `allow_failover` the copies stay on
//! the first N servers of the order, and a missing one is not replaced.
//! Copies carry a version ([`crate::replica`]): a read asks all copies at
//! once, returns the newest and repairs the others; a write stores the next
//! version on every copy, in parallel.
//!
//! Locking (`rsmemcache.locking = 1`, see [`crate::lock`]): `read` takes the
//! lock and reads every copy in one round trip (`ms <lock> … ME c` and
//! `mg <key> v c f t` written together, to several servers in parallel);
//! `write` stores the copies and releases the lock in one round trip
//! (`ms <key> … C<cas>` and `md <lock> C<cas>`); `close`, `destroy` and
//! dropping the handler release it too. Each copy is written with the CAS
//! id it was read with (or as an add when it did not exist), so a request
//! whose lock expired never overwrites a newer copy.

use crate::{
    config::{Config, Placement},
    error::{Error, Result, escape_for_message},
    keys::{self, Compat, SessionKeys},
    lock::{self, Backoff, LockFailure, LockSettings, RealClock, Waited},
    pool::{self, Job, Pool},
    protocol::{Command, Exptime, Reply, SetMode},
    replica::{self, Found},
};
use std::{cell::RefCell, sync::Arc};

/// The lock this request holds: on which server, with which CAS id.
#[derive(Debug, Clone, Copy)]
struct HeldLock {
    server: usize,
    cas: u64,
}

/// One copy of the session as this request knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Copy {
    server: usize,
    /// CAS id of the copy as read or last written; `None` when the server
    /// had no copy.
    cas: Option<u64>,
    /// Whether this request asked the server (a server added by failover
    /// after the read was not asked).
    read: bool,
}

/// What this request knows about the session it read.
#[derive(Debug)]
struct Opened {
    sid: Vec<u8>,
    keys: SessionKeys,
    copies: Vec<Copy>,
    /// Newest version read (0 when there was no copy).
    version: u32,
    lock: Option<HeldLock>,
    /// Read without the lock after a lock timeout (`lock_failure=readonly`):
    /// the bytes read, so an unchanged write (lazy_write off) can be told
    /// from a change.
    readonly: Option<Vec<u8>>,
}

/// Per-request handler state (lives in PHP's `PS(mod_data)` between open
/// and close).
#[derive(Debug)]
pub struct Handler {
    pool: Arc<Pool>,
    prefix: Vec<u8>,
    compat: Compat,
    placement: Placement,
    lock: LockSettings,
    opened: Option<Opened>,
    /// Failovers that happened during the current call, to be raised as
    /// warnings once the call has succeeded.
    notices: RefCell<Vec<String>>,
}

/// Where a session lives, as configured (server health left aside):
/// what `rsmemcache_locate()` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The data key.
    pub key: Vec<u8>,
    /// Server indexes of the probe order, home first.
    pub servers: Vec<usize>,
    /// The lock key.
    pub lock_key: Vec<u8>,
    /// The server of the lock.
    pub lock_server: usize,
}

/// What a command in a [`Batch`] was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    /// `ms <lock> ME`: take the lock.
    LockAdd,
    /// `mg <lock> v c`: what holds it (compat=memcache: `0` means free).
    LockPeek,
    /// Read, store, touch or delete of the copy at this index.
    Copy(usize),
    /// `md <lock> C<cas>`: release.
    Release,
}

/// Commands for several servers, sent in one parallel round trip.
#[derive(Debug, Default)]
struct Batch<'a> {
    jobs: Vec<Job<'a>>,
    tags: Vec<Vec<Tag>>,
}

impl<'a> Batch<'a> {
    /// A batch sending `cmd` to each of `servers`, tagged `Copy(i)`.
    fn per_copy(servers: &[usize], cmd: Command<'a>) -> Self {
        let mut batch = Self::default();
        for (i, &s) in servers.iter().enumerate() {
            batch.push(s, cmd, Tag::Copy(i));
        }
        batch
    }

    fn push(&mut self, server: usize, cmd: Command<'a>, tag: Tag) {
        if let Some(i) = self.jobs.iter().position(|j| j.server == server) {
            self.jobs[i].cmds.push(cmd);
            self.tags[i].push(tag);
        } else {
            self.jobs.push(Job {
                server,
                cmds: vec![cmd],
            });
            self.tags.push(vec![tag]);
        }
    }

    /// Runs the batch: per server, its tags and the replies (or its error).
    fn run(self, pool: &Pool) -> Vec<(usize, Vec<Tag>, Result<Vec<Reply>>)> {
        let results = pool.execute_parallel(&self.jobs);
        self.jobs
            .iter()
            .map(|j| j.server)
            .zip(self.tags)
            .zip(results)
            .map(|((s, t), r)| (s, t, r))
            .collect()
    }
}

fn unexpected(pool: &Pool, idx: usize, what: &str, reply: &Reply) -> Error {
    Error::Protocol {
        server: pool.servers()[idx].label().to_owned(),
        detail: format!("unexpected reply to {what}: {reply:?}"),
    }
}

fn id_text(sid: &[u8]) -> String {
    escape_for_message(sid, 64)
}

/// `mg <key> v c f [t]`: a copy with its CAS id, flags (version) and, for
/// repairs, remaining TTL.
fn read_cmd(key: &[u8], ttl: bool) -> Command<'_> {
    Command::Get {
        key,
        value: true,
        ttl,
        cas: true,
        flags: true,
        touch: None,
    }
}

fn release_cmd(key: &[u8], cas: u64) -> Command<'_> {
    Command::Delete {
        key,
        cas: Some(cas),
    }
}

/// Outcome of one lock attempt.
enum LockTry {
    Acquired(u64),
    Held,
    /// compat=memcache: the lock item holds pecl-memcache's released
    /// marker `0`, with this CAS id.
    Zero(u64),
}

/// Bytes memcached adds to key + value when sizing an item (48-byte header,
/// 8-byte CAS, key NUL, value CRLF; memcached 1.6's
/// `item_make_header`). Used to refuse too-large sessions before sending.
const ITEM_OVERHEAD: u64 = 59;

/// memcached's smallest possible `item_size_max` (`-I 1k`): smaller sessions
/// never need the server's limit.
const MIN_ITEM_SIZE_MAX: u64 = 1024;

impl Handler {
    /// Opens the handler for one request: the process-wide pool for
    /// `save_path` (parsed once per process), the key layout, placement and
    /// lock settings.
    ///
    /// # Errors
    /// save_path errors ([`Error::SavePath`], [`Error::EmptySavePath`]).
    pub fn open(save_path: &str, config: &Config) -> Result<Self> {
        Ok(Self {
            pool: pool::shared(save_path, &config.pool)?,
            prefix: config.prefix.as_bytes().to_vec(),
            compat: config.compat,
            placement: config.placement,
            lock: config.lock,
            opened: None,
            notices: RefCell::new(Vec::new()),
        })
    }

    /// The pool this handler uses.
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Where session `sid` lives: keys and probe order, regardless of
    /// which servers are up.
    ///
    /// # Errors
    /// A refused id.
    pub fn locate(&self, sid: &[u8]) -> Result<Located> {
        let keys = self.keys_for(sid)?;
        let servers = self.order(&keys.data_hash);
        let lock_server = self.lock_order(&keys, &servers)[0];
        Ok(Located {
            key: keys.data,
            servers,
            lock_key: keys.lock,
            lock_server,
        })
    }

    /// Takes the failover notices of the last call (warnings to raise).
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.borrow_mut())
    }

    /// Runs a batch; a server that fails in it is reported as a failover
    /// notice (it is marked failed by the pool and skipped from now on).
    fn run<'a>(&self, batch: Batch<'a>) -> Vec<(usize, Vec<Tag>, Result<Vec<Reply>>)> {
        let out = batch.run(&self.pool);
        if self.placement.allow_failover && self.pool.servers().len() > 1 {
            for (server, _, r) in &out {
                if let Err(e) = r
                    && e.is_server_fault()
                    && !matches!(e, Error::ServerDown { .. })
                {
                    let retry = self.pool.servers()[*server].retry_interval().as_secs();
                    self.notices.borrow_mut().push(format!(
                        "{e}; failing over: the server is skipped for {retry} s"
                    ));
                }
            }
        }
        out
    }

    fn keys_for(&self, sid: &[u8]) -> Result<SessionKeys> {
        SessionKeys::new(
            self.compat,
            &self.prefix,
            sid,
            self.pool.distribution().is_ketama(),
            self.lock.enabled,
        )
    }

    fn fresh(&self, sid: &[u8]) -> Result<Opened> {
        Ok(Opened {
            sid: sid.to_vec(),
            keys: self.keys_for(sid)?,
            copies: Vec::new(),
            version: 0,
            lock: None,
            readonly: None,
        })
    }

    /// The session's probe order (the home server first).
    fn order(&self, hash_key: &[u8]) -> Vec<usize> {
        self.pool
            .distribution()
            .probe_order(hash_key, self.placement.max_attempts)
    }

    fn lock_order(&self, keys: &SessionKeys, data_order: &[usize]) -> Vec<usize> {
        keys.lock_hash
            .as_ref()
            .map_or_else(|| data_order.to_vec(), |h| self.order(h))
    }

    fn usable(&self, server: usize) -> bool {
        self.pool.servers()[server].usable()
    }

    /// The first `n` servers of `order` a request may use now: with
    /// failover the first `n` usable ones; without, those of the first `n`
    /// that are usable.
    fn pick(&self, order: &[usize], n: usize) -> Vec<usize> {
        self.pick_except(order, n, &[])
    }

    /// [`Handler::pick`], leaving out servers that already failed in this
    /// request (they may be usable again at once with a zero retry interval).
    fn pick_except(&self, order: &[usize], n: usize, skip: &[usize]) -> Vec<usize> {
        let ok = |s: &usize| self.usable(*s) && !skip.contains(s);
        if self.placement.allow_failover {
            order.iter().copied().filter(ok).take(n).collect()
        } else {
            order.iter().copied().take(n).filter(ok).collect()
        }
    }

    /// The error when no server of `order` can be used: a single server's
    /// own error, else [`Error::NoServer`] with the last one.
    fn unreachable(&self, sid: &[u8], order: &[usize], last: Option<Error>) -> Error {
        let tried = if self.placement.allow_failover {
            order.len()
        } else {
            1
        };
        let last = last.unwrap_or_else(|| {
            let s = &self.pool.servers()[order[tried.min(order.len()) - 1]];
            s.down_error().unwrap_or_else(|| Error::ServerDown {
                server: s.label().to_owned(),
                retry_in_ms: 0,
            })
        });
        if tried <= 1 {
            last
        } else {
            Error::NoServer {
                id: id_text(sid),
                tried,
                last: Box::new(last),
            }
        }
    }

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
        let r = self.read_into(&mut o);
        // Kept even on error: close then releases a lock taken before it.
        self.opened = Some(o);
        r
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
        for _ in 0..=self.pool.servers().len() {
            if o.lock.is_some_and(|l| failed.contains(&l.server)) {
                // Its server failed after we took it: that lock is gone.
                o.lock = None;
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
            let mut batch = Batch::default();
            if let (Some(s), Some(t)) = (lock_server, token.as_ref()) {
                self.push_lock_attempt(&mut batch, s, &o.keys.lock, t);
            }
            for (i, &c) in copies.iter().enumerate() {
                // After the lock attempt: on the lock's server the read must
                // follow the add in the same pipeline.
                batch.push(c, read_cmd(&o.keys.data, n > 1), Tag::Copy(i));
            }
            let mut answers: Vec<Option<Reply>> = vec![None; copies.len()];
            let (mut added, mut peek) = (None, None);
            let mut retry = false;
            for (server, tags, res) in self.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match tag {
                                Tag::LockAdd => added = Some(reply),
                                Tag::LockPeek => peek = Some(reply),
                                Tag::Copy(i) => answers[i] = Some(reply),
                                Tag::Release => {}
                            }
                        }
                    }
                    Err(e) if e.is_server_fault() => {
                        if let (true, Some(t)) = (tags.contains(&Tag::LockAdd), token.as_ref()) {
                            self.forget_lock_add(server, &o.keys.lock, t, &e);
                        }
                        // The home copy or the lock is needed; another copy
                        // server failing only shrinks the set.
                        retry |= tags.contains(&Tag::LockAdd) || server == copies[0];
                        failed.push(server);
                        last = Some(e);
                    }
                    Err(e) => return Err(e),
                }
            }
            let mut contended = false;
            if let (Some(s), Some(t), true) = (lock_server, token.as_ref(), added.is_some()) {
                match self.lock_outcome(s, added, peek)? {
                    LockTry::Acquired(cas) => o.lock = Some(HeldLock { server: s, cas }),
                    LockTry::Zero(cas) => match self.take_zero_lock(s, &o.keys.lock, t, cas)? {
                        Some(cas) => o.lock = Some(HeldLock { server: s, cas }),
                        None => contended = true,
                    },
                    LockTry::Held => contended = true,
                }
            }
            if retry {
                continue;
            }
            if contended {
                let (s, t) = (
                    lock_server.expect("contended implies a lock server"),
                    token.expect("contended implies a token"),
                );
                let seed = u64::from_le_bytes(t[..8].try_into().expect("8 bytes"));
                let waited = lock::wait_for(
                    self.lock.wait,
                    &mut Backoff::new(seed),
                    &mut RealClock::start(),
                    || self.try_lock(s, &o.keys.lock, &t),
                )?;
                match waited {
                    Waited::Acquired(cas) => o.lock = Some(HeldLock { server: s, cas }),
                    Waited::GaveUp(after) => {
                        let waited_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
                        if self.lock.failure == LockFailure::Error {
                            return Err(Error::LockTimeout {
                                id: id_text(&o.sid),
                                waited_ms,
                            });
                        }
                        o.readonly = Some(Vec::new());
                    }
                }
                // What we read before the wait is out of date.
                match self.read_copies(&o.keys.data, &copies, n > 1) {
                    Ok(a) => answers = a,
                    Err(e) if e.is_server_fault() => {
                        failed.push(copies[0]);
                        last = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let data = self.settle(o, &copies, answers)?;
            if let Some(copy) = o.readonly.as_mut() {
                copy.clone_from(&data);
            }
            return Ok(data);
        }
        Err(self.unreachable(&o.sid, &order, last))
    }

    /// Adds a lock attempt for `server` to `batch`: the add, and under
    /// compat=memcache a look at the lock item (pecl-memcache leaves `0`
    /// in a lock it released).
    fn push_lock_attempt<'a>(
        &self,
        batch: &mut Batch<'a>,
        server: usize,
        key: &'a [u8],
        token: &'a [u8; 32],
    ) {
        batch.push(
            server,
            Command::Set {
                key,
                value: token,
                exptime: Exptime::from(self.lock.expire_s),
                client_flags: 0,
                mode: SetMode::Add,
                cas: None,
            },
            Tag::LockAdd,
        );
        if self.compat == Compat::Memcache {
            batch.push(server, Command::peek(key), Tag::LockPeek);
        }
    }

    fn lock_outcome(
        &self,
        server: usize,
        added: Option<Reply>,
        peek: Option<Reply>,
    ) -> Result<LockTry> {
        match added {
            Some(Reply::Done(meta)) => Ok(LockTry::Acquired(meta.cas.unwrap_or(0))),
            Some(Reply::NotStored) => match peek {
                Some(Reply::Value(v, meta)) if v == b"0" => {
                    Ok(LockTry::Zero(meta.cas.unwrap_or(0)))
                }
                _ => Ok(LockTry::Held),
            },
            Some(other) => Err(unexpected(&self.pool, server, "ms (lock)", &other)),
            None => Err(unexpected(&self.pool, server, "ms (lock)", &Reply::Noop)),
        }
    }

    /// Replaces pecl-memcache's released marker `0` by our token, if the
    /// item is still that marker (CAS).
    fn take_zero_lock(
        &self,
        server: usize,
        key: &[u8],
        token: &[u8; 32],
        cas: u64,
    ) -> Result<Option<u64>> {
        let set = Command::Set {
            key,
            value: token,
            exptime: Exptime::from(self.lock.expire_s),
            client_flags: 0,
            mode: SetMode::Set,
            cas: Some(cas),
        };
        match self.pool.execute(server, &[set])?.pop() {
            Some(Reply::Done(meta)) => Ok(Some(meta.cas.unwrap_or(0))),
            Some(Reply::Exists | Reply::NotFound) => Ok(None),
            Some(other) => Err(unexpected(&self.pool, server, "ms (lock)", &other)),
            None => Ok(None),
        }
    }

    /// One poll of a contended lock: `Some(cas)` when taken.
    fn try_lock(&self, server: usize, key: &[u8], token: &[u8; 32]) -> Result<Option<u64>> {
        let mut batch = Batch::default();
        self.push_lock_attempt(&mut batch, server, key, token);
        let (mut added, mut peek) = (None, None);
        for (_, tags, res) in self.run(batch) {
            let res = res.inspect_err(|e| self.forget_lock_add(server, key, token, e));
            for (tag, reply) in tags.into_iter().zip(res?) {
                match tag {
                    Tag::LockAdd => added = Some(reply),
                    Tag::LockPeek => peek = Some(reply),
                    Tag::Copy(_) | Tag::Release => {}
                }
            }
        }
        match self.lock_outcome(server, added, peek)? {
            LockTry::Acquired(cas) => Ok(Some(cas)),
            LockTry::Zero(cas) => self.take_zero_lock(server, key, token, cas),
            LockTry::Held => Ok(None),
        }
    }

    /// A lock add whose round trip failed after it may have been sent (a
    /// timeout or I/O error, not a refused connect): a stopped or
    /// partitioned server may still execute it when it resumes, leaving a
    /// lock nobody holds for `lock_expire`. The pool deletes it (if it still
    /// holds our token) when the server answers again.
    fn forget_lock_add(&self, server: usize, key: &[u8], token: &[u8; 32], e: &Error) {
        if matches!(e, Error::Timeout { .. } | Error::Io { .. }) {
            self.pool
                .delete_when_back(server, key.to_vec(), token.to_vec());
        }
    }

    /// Reads every copy in one parallel round trip.
    fn read_copies(&self, key: &[u8], copies: &[usize], ttl: bool) -> Result<Vec<Option<Reply>>> {
        let batch = Batch::per_copy(copies, read_cmd(key, ttl));
        let mut answers = vec![None; copies.len()];
        for (server, tags, res) in self.run(batch) {
            match res {
                Ok(replies) => {
                    for (tag, reply) in tags.into_iter().zip(replies) {
                        if let Tag::Copy(i) = tag {
                            answers[i] = Some(reply);
                        }
                    }
                }
                Err(e) if e.is_server_fault() && server != copies[0] => {}
                Err(e) => return Err(e),
            }
        }
        Ok(answers)
    }

    /// Picks the newest copy among `answers` (one per server of `copies`;
    /// `None` for a server that failed), records what was read in `o`, and
    /// repairs stale or missing copies.
    fn settle(
        &self,
        o: &mut Opened,
        copies: &[usize],
        answers: Vec<Option<Reply>>,
    ) -> Result<Vec<u8>> {
        let mut found = Vec::new();
        let mut values: Vec<Option<(Vec<u8>, Option<i64>)>> = Vec::new();
        o.copies.clear();
        for (&server, answer) in copies.iter().zip(answers) {
            match answer {
                None => {}
                Some(Reply::Value(data, meta)) => {
                    let d = replica::decode(data, meta.client_flags.unwrap_or(0)).map_err(
                        |detail| Error::Undecodable {
                            id: id_text(&o.sid),
                            server: self.pool.servers()[server].label().to_owned(),
                            detail,
                        },
                    )?;
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
                Some(other) => return Err(unexpected(&self.pool, server, "mg", &other)),
            }
        }
        let Some(best) = replica::newest(&found) else {
            o.version = 0;
            return Ok(Vec::new());
        };
        let Found::Version(version) = found[best] else {
            unreachable!("newest() points at a copy")
        };
        o.version = version;
        let (data, ttl) = values[best].take().expect("the newest copy has a value");
        let stale = replica::stale(&found);
        if !stale.is_empty() {
            self.repair(o, &stale, &data, ttl);
        }
        Ok(data)
    }

    /// Writes the newest copy over stale ones (CAS: only if unchanged since
    /// read) and into missing ones (add), keeping its remaining TTL. Best
    /// effort: a copy that cannot be repaired now is rewritten by the next
    /// write, and is never read over the newest one meanwhile.
    fn repair(&self, o: &mut Opened, stale: &[usize], data: &[u8], ttl: Option<i64>) {
        let exptime = match ttl {
            Some(t) if t > 0 => t,
            Some(_) => 0,
            None => keys::FALLBACK_MAXLIFETIME,
        };
        let mut batch = Batch::default();
        for &i in stale {
            let c = o.copies[i];
            batch.push(
                c.server,
                Command::Set {
                    key: &o.keys.data,
                    value: data,
                    exptime,
                    client_flags: replica::flags_for(o.version),
                    mode: if c.cas.is_some() {
                        SetMode::Set
                    } else {
                        SetMode::Add
                    },
                    cas: c.cas,
                },
                Tag::Copy(i),
            );
        }
        let mut stored = Vec::new();
        for (_, tags, res) in self.run(batch) {
            let Ok(replies) = res else { continue };
            for (tag, reply) in tags.into_iter().zip(replies) {
                if let (Tag::Copy(i), Reply::Done(meta)) = (tag, reply) {
                    stored.push((i, meta.cas));
                }
            }
        }
        for (i, cas) in stored {
            o.copies[i].cas = cas;
        }
    }

    /// Runs `f` on the state of `sid`: the session read in this request, or
    /// (PHP writing or destroying another id) a fresh state that is not kept.
    fn with_opened<T>(
        &mut self,
        sid: &[u8],
        f: impl FnOnce(&mut Self, &mut Opened) -> Result<T>,
    ) -> Result<T> {
        match self.opened.take() {
            Some(mut o) if o.sid == sid => {
                let r = f(self, &mut o);
                self.opened = Some(o);
                r
            }
            other => {
                self.opened = other;
                let mut o = self.fresh(sid)?;
                f(self, &mut o)
            }
        }
    }

    /// Stores `data` under `sid` with a TTL of `maxlifetime` seconds on
    /// every copy (the next version), and releases this request's lock in
    /// the same round trip.
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
                return Err(Error::ReadOnly {
                    id: id_text(sid),
                    refused: "changes not written",
                });
            }
            let version = replica::next_version(o.version);
            h.store_copies(o, data, exptime, version, None)
        })
    }

    /// Stores `data` at `version` on the session's copies — those read
    /// (with their CAS under a lock) and, with failover, usable servers in
    /// place of any that failed — and releases the lock in the same round
    /// trip. `only` replaces the targets (refilling copies a touch found
    /// missing, as adds, or replacing copies on failed servers).
    fn store_copies(
        &mut self,
        o: &mut Opened,
        data: &[u8],
        exptime: Exptime,
        version: u32,
        only: Option<Vec<Copy>>,
    ) -> Result<()> {
        let order = self.order(&o.keys.data_hash);
        let n = self.placement.redundancy;
        let refill = only.is_some();
        let mut targets: Vec<Copy> = match only {
            Some(copies) => copies,
            None => {
                let mut t: Vec<Copy> = o
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
        // Before the lock is taken out of the state: a refused size keeps it
        // for close to release.
        for c in &targets {
            self.check_size(&o.sid, &o.keys.data, c.server, data)?;
        }
        let locked = o.lock.is_some() || refill;
        let mut lock = o.lock.take();
        let flags = replica::flags_for(version);
        let mut stored: Vec<Copy> = Vec::new();
        let mut used: Vec<usize> = targets.iter().map(|c| c.server).collect();
        let (mut conflict, mut refused, mut last) = (false, None, None);
        while !targets.is_empty() {
            let mut batch = Batch::default();
            for (i, c) in targets.iter().enumerate() {
                let (mode, cas) = match (locked, c.read, c.cas) {
                    (true, true, Some(cas)) => (SetMode::Set, Some(cas)),
                    (true, true, None) => (SetMode::Add, None),
                    _ => (SetMode::Set, None),
                };
                batch.push(
                    c.server,
                    Command::Set {
                        key: &o.keys.data,
                        value: data,
                        exptime,
                        client_flags: flags,
                        mode,
                        cas,
                    },
                    Tag::Copy(i),
                );
            }
            if let Some(l) = lock {
                batch.push(l.server, release_cmd(&o.keys.lock, l.cas), Tag::Release);
            }
            let mut failed = 0;
            for (_, tags, res) in self.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match (tag, reply) {
                                (Tag::Release, _) => lock = None,
                                (Tag::Copy(i), Reply::Done(meta)) => stored.push(Copy {
                                    cas: meta.cas,
                                    read: true,
                                    ..targets[i]
                                }),
                                (
                                    Tag::Copy(_),
                                    Reply::Exists | Reply::NotStored | Reply::NotFound,
                                ) => conflict = true,
                                (Tag::Copy(i), other) => {
                                    return Err(unexpected(
                                        &self.pool,
                                        targets[i].server,
                                        "ms",
                                        &other,
                                    ));
                                }
                                (Tag::LockAdd | Tag::LockPeek, _) => {}
                            }
                        }
                    }
                    Err(Error::Server { server, answer }) => {
                        refused = Some(Error::WriteRefused {
                            id: id_text(&o.sid),
                            size: data.len(),
                            server,
                            answer,
                        });
                    }
                    Err(e) => {
                        failed += tags.iter().filter(|t| matches!(t, Tag::Copy(_))).count();
                        last = Some(e);
                    }
                }
            }
            // The lock's release is sent once; if it failed, close retries.
            if lock.is_some() {
                o.lock = lock.take();
            }
            // Copies whose server failed move to the next usable servers.
            targets.clear();
            if failed > 0 && !refill {
                for s in order.iter().copied().filter(|&s| self.usable(s)) {
                    if targets.len() == failed || stored.len() + targets.len() >= n {
                        break;
                    }
                    if !used.contains(&s) && self.placement.allow_failover {
                        used.push(s);
                        targets.push(Copy {
                            server: s,
                            cas: None,
                            read: false,
                        });
                    }
                }
            }
        }
        if let Some(e) = refused {
            return Err(e);
        }
        if conflict {
            return Err(Error::Conflict {
                id: id_text(&o.sid),
                expire_s: self.lock.expire_s,
            });
        }
        if stored.is_empty() {
            return Err(self.unreachable(&o.sid, &order, last));
        }
        if !refill {
            o.copies = stored;
            o.version = version;
        }
        Ok(())
    }

    /// Adds usable servers of `order` not yet in `targets` until it has `n`
    /// (with failover; without, only the first `n` of the order count).
    fn fill(&self, targets: &mut Vec<Copy>, order: &[usize], n: usize) {
        let candidates = if self.placement.allow_failover {
            self.pick(order, order.len())
        } else {
            self.pick(order, n)
        };
        for s in candidates {
            if targets.len() >= n {
                break;
            }
            if !targets.iter().any(|c| c.server == s) {
                targets.push(Copy {
                    server: s,
                    cas: None,
                    read: false,
                });
            }
        }
    }

    /// Refuses a value the server would not store. memcached answers such a
    /// set with `SERVER_ERROR object too large for cache` *and unlinks the
    /// previous copy*, so the size is checked before anything is sent.
    fn check_size(&self, sid: &[u8], key: &[u8], idx: usize, data: &[u8]) -> Result<()> {
        let need = (data.len() + key.len()) as u64 + ITEM_OVERHEAD;
        if need < MIN_ITEM_SIZE_MAX {
            return Ok(());
        }
        let limit = self.pool.item_size_max(idx)?;
        if need > limit {
            return Err(Error::TooLarge {
                id: String::from_utf8_lossy(sid).into_owned(),
                size: data.len(),
                server: self.pool.servers()[idx].label().to_owned(),
                limit,
            });
        }
        Ok(())
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
        self.with_opened(sid, |h, o| {
            if o.readonly.is_some() {
                // Another request holds this session's lock; deleting under
                // it would make that request's write fail.
                return Err(Error::ReadOnly {
                    id: id_text(sid),
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
            let mut batch = Batch::per_copy(
                &servers,
                Command::Delete {
                    key: &o.keys.data,
                    cas: None,
                },
            );
            let lock = o.lock.take();
            if let Some(l) = lock {
                batch.push(l.server, release_cmd(&o.keys.lock, l.cas), Tag::Release);
            }
            let (mut answered, mut last) = (0, None);
            let mut released = false;
            for (server, tags, res) in h.run(batch) {
                match res {
                    Ok(replies) => {
                        for (tag, reply) in tags.into_iter().zip(replies) {
                            match (tag, reply) {
                                (Tag::Release, _) => released = true,
                                (Tag::Copy(_), Reply::Done(_) | Reply::NotFound) => answered += 1,
                                (_, other) => {
                                    return Err(unexpected(&h.pool, server, "md", &other));
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
            o.copies.clear();
            o.version = 0;
            if answered == 0 {
                return Err(h.unreachable(sid, &order, last));
            }
            Ok(())
        })
    }

    /// Whether session `sid` exists on any of its copy servers. A pure
    /// probe (`mg` without flags): nothing is written, no TTL changes. An
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
        for _ in 0..=self.pool.servers().len() {
            let servers = self.pick_except(&order, self.placement.redundancy, &failed);
            if servers.is_empty() {
                break;
            }
            let batch = Batch::per_copy(&servers, Command::probe(&keys.data));
            let mut answered = false;
            for (server, _, res) in self.run(batch) {
                match res.map(|mut r| r.pop()) {
                    Ok(Some(Reply::Done(_))) => return Ok(true),
                    Ok(Some(Reply::Miss)) => answered = true,
                    Ok(other) => {
                        return Err(unexpected(
                            &self.pool,
                            server,
                            "mg",
                            &other.unwrap_or(Reply::Noop),
                        ));
                    }
                    Err(e) if e.is_server_fault() => {
                        failed.push(server);
                        last = Some(e);
                    }
                    Err(e) => return Err(e),
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
        let exptime = keys::ttl_for(maxlifetime, keys::now_unix());
        self.with_opened(sid, |h, o| {
            if o.readonly.is_some() {
                return Ok(());
            }
            let mut targets: Vec<usize> = o
                .copies
                .iter()
                .filter(|c| c.cas.is_some() && h.usable(c.server))
                .map(|c| c.server)
                .collect();
            if targets.is_empty() {
                // Nothing was read (or nothing existed): a full write.
                let version = replica::next_version(o.version);
                return h.store_copies(o, data, exptime, version, None);
            }
            targets.truncate(h.placement.redundancy);
            let mut batch = Batch::per_copy(&targets, Command::touch(&o.keys.data, exptime));
            let lock = o.lock.take();
            if let Some(l) = lock {
                batch.push(l.server, release_cmd(&o.keys.lock, l.cas), Tag::Release);
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
                                    return Err(unexpected(&h.pool, server, "mg T", &other));
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
            // Copies gone (evicted or expired mid-request) are written in
            // full, as adds; copies on servers that failed are replaced by
            // the next usable servers, as a write would.
            let mut refill: Vec<Copy> = missing
                .iter()
                .map(|&server| Copy {
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
                refill.extend(spare.map(|server| Copy {
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
        })
    }

    /// Releases this request's lock, if it still holds one (close, abort,
    /// read_and_close, shutdown after a fatal error).
    ///
    /// # Errors
    /// Connection errors; the lock then expires by its TTL.
    pub fn release(&mut self) -> Result<()> {
        let Some(mut o) = self.opened.take() else {
            return Ok(());
        };
        let Some(l) = o.lock.take() else {
            return Ok(());
        };
        // EX/NF: the lock expired and may belong to someone else now; it is
        // theirs, so it is left alone.
        self.pool
            .execute(l.server, &[release_cmd(&o.keys.lock, l.cas)])
            .map(drop)
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        // Best effort for paths that skip close (an open that replaces a
        // previous one, as session_reset() does); errors cannot be reported
        // here and the lock's TTL bounds the damage.
        let _ = self.release();
    }
}
