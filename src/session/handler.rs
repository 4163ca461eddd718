//! The session driver: the per-request state and the short loops that run
//! planned round trips ([`super::plan`]) over a [`Transport`] and act on
//! what [`super::settle`] makes of the replies. This file holds the state
//! and what every operation shares; the read path (lock + read) is in
//! [`super::read`], the write paths (write, touch, destroy, exists) in
//! [`super::write`]. No FFI types here; [`crate::php::session_module`] converts PHP's
//! pointers to these calls, errors to warnings and events to log lines.
//!
//! Contract honoured (PHP's `ps_module`, php-src `ext/session/php_session.h`
//! and `session.c`): a missing session reads as an empty
//! string; `exists` (behind validate_sid and create_sid's collision check)
//! writes nothing; `update_timestamp` touches and falls back to a full write
//! when the key has vanished; every write is confirmed by the server and a
//! refused write leaves the previous copy in place.
//!
//! Placement: a session's copies live on the first
//! `rsmemcache.session_redundancy` *usable* servers of its probe order
//! ([`crate::core::hash::Distribution::probe_order`]); a server marked failed is
//! skipped (failover), one that fails during the request is marked and the
//! next one takes its place. Without `allow_failover` the copies stay on
//! the first N servers of the order, and a missing one is not replaced.
//! Copies carry a version ([`crate::core::replica`]): a read asks all copies at
//! once, returns the newest and repairs the others; a write stores the next
//! version on every copy, in parallel.
//!
//! Resize (`rsmemcache.previous_save_path`): the read also asks, in the
//! same round trip, the servers where the list before the resize placed
//! the session, and moves a copy found only there to its new home;
//! `exists` and `destroy` reach those servers too (`session/resize.rs`).
//! Hashed keys (`rsmemcache.key_hash_migrate`) move the same way: the raw
//! key's copies are read at the raw key's placement and moved under the
//! hashed key.
//!
//! Locking (`rsmemcache.locking = 1`, see [`crate::core::lock`]): `read` takes the
//! lock and reads every copy in one round trip (`ms <lock> … ME c` and
//! `mg <key> v c f t` written together, to several servers in parallel);
//! `write` stores the copies and releases the lock only once every copy's
//! write was answered: in the same round trip when the only copy lives on
//! the lock's server (2 round trips per locked request), in a second one
//! otherwise (`session_redundancy ≥ 2`, `compat=memcached`: 3), so the next
//! holder never reads a copy before this request's write to it landed;
//! `close`, `destroy` and dropping the handler release it too. A lock add
//! whose outcome is unknown (no reply, an error line, no CAS id) is
//! resolved by reading the lock; one that may still land later is deleted
//! when its server answers again, and one that did land late is
//! recognised as abandoned by the next request ([`super::plan::LockValue`]). Each copy is written with the CAS
//! id it was read with (or as an add when it did not exist), so a request
//! whose lock expired never overwrites a newer copy.

use super::{
    plan::{Batch, Holder, Tag, delete_cas_cmd},
    transport::Transport,
};
use crate::{
    config::{Config, Placement},
    core::keys::{Compat, KeyHash, SessionKeys},
    core::lock::LockSettings,
    error::{Error, Result, SidForLog},
    net::protocol::Reply,
    net::registry,
};
use std::{cell::RefCell, sync::Arc};

/// The lock this request holds: on which server, with which CAS id.
#[derive(Debug, Clone)]
pub(super) struct HeldLock {
    pub(super) server: usize,
    pub(super) cas: u64,
    /// The value this request stored in the lock item.
    pub(super) value: Vec<u8>,
}

/// One copy of the session as this request knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CopyState {
    pub(super) server: usize,
    /// CAS id of the copy as read or last written; `None` when the server
    /// had no copy.
    pub(super) cas: Option<u64>,
    /// Whether this request asked the server (a server added by failover
    /// after the read was not asked).
    pub(super) read: bool,
}

/// What this request knows about the session it read.
#[derive(Debug)]
pub(super) struct Opened {
    pub(super) sid: Vec<u8>,
    pub(super) keys: SessionKeys,
    pub(super) copies: Vec<CopyState>,
    /// Newest version read (0 when there was no copy).
    pub(super) version: u32,
    pub(super) lock: Option<HeldLock>,
    /// The lock's copy on the next server, when held
    /// ([`super::lock_copy`]).
    pub(super) lock_copy: Option<HeldLock>,
    /// Read without the lock after a lock timeout (`lock_failure=readonly`):
    /// the bytes read, so an unchanged write (lazy_write off) can be told
    /// from a change.
    pub(super) readonly: Option<Vec<u8>>,
    /// Read from the durable tier because no memcached server was
    /// reachable: written there too, under its database lock.
    pub(super) db_only: bool,
    /// The database lock (`GET_LOCK`) this request holds, by name.
    pub(super) db_lock: Option<String>,
    /// A copy read was refused by encryption or was plaintext while
    /// encryption is on: an unchanged session is written in full (sealed,
    /// over that copy) instead of touched.
    pub(super) rewrite: bool,
    /// A copy read was refused (encryption, or older than a tombstone):
    /// a plaintext durable-tier row is then never restored in its place.
    pub(super) refused_copy: bool,
    /// The newest tombstone read beside the copies ([`crate::core::tomb`]).
    pub(super) tomb: Option<crate::core::tomb::Tomb>,
    /// The expiry sealed in the copy (or row) read, unix s: kept by read
    /// repair and moves, so they never lengthen a value's life.
    pub(super) expires_at: Option<i64>,
    /// The sealed bytes this request stored at a version, for the durable
    /// row of that version (the row holds what memcached holds).
    pub(super) sealed: Option<(u32, Vec<u8>)>,
    /// The durable-tier row read was plaintext while encryption is on, or
    /// sealed under the raw key (`key_hash_migrate`): the next write stores
    /// it sealed under the data key whatever `durable_write_every` says.
    pub(super) plain_row: bool,
}

/// Per-request handler state (lives in PHP's `PS(mod_data)` between open
/// and close).
#[derive(Debug)]
pub struct Handler {
    pub(super) pool: Arc<dyn Transport>,
    prefix: Vec<u8>,
    pub(super) compat: Compat,
    /// `rsmemcache.key_hash` in effect (never hashed under a compat mode).
    key_hash: KeyHash,
    /// `rsmemcache.key_hash_migrate` in effect.
    key_hash_migrate: bool,
    pub(super) placement: Placement,
    pub(super) lock: LockSettings,
    /// Most bytes a compressed copy may inflate to.
    pub(super) max_inflated: usize,
    /// How copies are sealed and opened (`rsmemcache.encryption_*`).
    pub(super) codec: crate::core::replica::Codec,
    /// `rsmemcache.timeout` in ms: when a lock add's sender stops waiting.
    pub(super) io_timeout_ms: i64,
    pub(super) opened: Option<Opened>,
    /// Lines for PHP's error log from the current call (read repairs,
    /// resolved faults); never raised into the page.
    pub(super) notices: RefCell<Vec<String>>,
    /// Who this request is, for the native lock value (`None`: no details).
    pub(super) holder: Option<Holder>,
    /// The last lock value seen held by another request during a lock wait
    /// (for the lock-wait log line).
    pub(super) seen_lock: RefCell<Option<Vec<u8>>>,
    /// The durable tier behind memcached (`rsmemcache.durable_dsn`).
    pub(super) durable: Option<Arc<crate::durable::Tier>>,
    /// `session.gc_maxlifetime`, s: the life of a tombstone
    /// ([`crate::core::tomb::lifetime`]).
    pub(super) maxlifetime: i64,
}

/// Where a session lives, as configured (server health left aside):
/// what `rsmemcache_locate()` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The data key (also the session's id in the durable table).
    pub key: Vec<u8>,
    /// With `rsmemcache.key_hash_migrate`: the raw data key still looked
    /// up for a copy written before hashing was on.
    pub raw_key: Option<Vec<u8>>,
    /// Server indexes of the probe order, home first.
    pub servers: Vec<usize>,
    /// The lock key.
    pub lock_key: Vec<u8>,
    /// The server of the lock.
    pub lock_server: usize,
}

pub(super) fn unexpected(pool: &dyn Transport, idx: usize, what: &str, reply: &Reply) -> Error {
    Error::Protocol {
        server: pool.label(idx),
        detail: format!("unexpected reply to {what}: {reply}"),
    }
}

/// This machine's host name (`/proc/sys/kernel/hostname`, read once; `-`
/// when unreadable).
fn host_name() -> String {
    static HOST: once_cell::sync::OnceCell<String> = once_cell::sync::OnceCell::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "-".to_owned())
    })
    .clone()
}

/// How every message names session `sid`: its first 6 characters
/// ([`SidForLog`]). A session id is a credential, and error logs are read by
/// more people than should hold one; 6 characters tell requests apart
/// without giving the id away.
pub(super) fn id_prefix(sid: &[u8]) -> SidForLog {
    SidForLog::new(sid)
}

/// Seconds between two log lines about accepted plaintext values (per
/// process).
pub const PLAINTEXT_LOG_EVERY_S: i64 = 60;

/// Whether a read or write that used `servers` failed over: one of them is
/// not among the first `n` of the probe `order` (a home server was down or
/// failed), counted in [`crate::shared_state::stats::Total::Failovers`].
pub(super) fn failed_over(
    order: &[usize],
    n: usize,
    servers: impl IntoIterator<Item = usize>,
) -> bool {
    let home = &order[..n.min(order.len())];
    servers.into_iter().any(|s| !home.contains(&s))
}

impl Handler {
    /// Opens the handler for one request: the process-wide pool for
    /// `save_path` (parsed once per process), the key layout, placement and
    /// lock settings.
    ///
    /// # Errors
    /// save_path errors ([`Error::SavePath`], [`Error::EmptySavePath`]);
    /// [`Error::KeyFile`] when `rsmemcache.encryption_key_file` is set and
    /// cannot be used (the session never starts in plaintext instead).
    pub fn open(save_path: &str, config: &Config) -> Result<Self> {
        let ring = match config.encryption.key_file.as_str() {
            "" => None,
            path => Some(crate::secrets::crypt::load(path)?),
        };
        let pool: Arc<dyn Transport> = registry::pool_for(save_path, &config.pool)?;
        let mut h = Self::with_transport(pool, config);
        h.set_key_ring(ring);
        Ok(h)
    }

    /// Seals copies with `ring` (`None`: plaintext); plaintext copies are
    /// read as `rsmemcache.encryption_accept_plaintext` of the config says.
    pub fn set_key_ring(&mut self, ring: Option<Arc<crate::secrets::crypt::KeyRing>>) {
        self.codec.ring = ring;
    }

    /// A handler over any [`Transport`] (the unit tests script one).
    #[must_use]
    pub fn with_transport(pool: Arc<dyn Transport>, config: &Config) -> Self {
        Self {
            pool,
            prefix: config.prefix.as_bytes().to_vec(),
            compat: config.compat,
            key_hash: config.key_hash,
            key_hash_migrate: config.key_hash_migrate,
            placement: config.placement,
            lock: config.lock,
            max_inflated: crate::core::replica::MAX_INFLATED,
            codec: crate::core::replica::Codec {
                ring: None,
                accept_plaintext: config.encryption.accept_plaintext,
                accept_plaintext_until: config.encryption.accept_plaintext_until,
            },
            io_timeout_ms: i64::try_from(config.pool.timeout_ms).unwrap_or(i64::MAX),
            opened: None,
            notices: RefCell::new(Vec::new()),
            holder: None,
            seen_lock: RefCell::new(None),
            durable: config.durable.as_ref().map(crate::durable::tier_for),
            maxlifetime: crate::core::keys::FALLBACK_MAXLIFETIME,
        }
    }

    /// Sets `session.gc_maxlifetime` (seconds) for what the handler writes
    /// outside a write call (tombstones).
    pub fn set_maxlifetime(&mut self, seconds: i64) {
        self.maxlifetime = seconds;
    }

    /// Whether destroys leave tombstones and reads look for them: while
    /// encryption or the durable tier is on ([`crate::core::tomb`]).
    pub(super) fn tombstones(&self) -> bool {
        self.codec.ring.is_some() || self.durable.is_some()
    }

    /// Names this request in the locks it takes (compat=none): `uri` (or
    /// the CLI script) and the request's start, unix ms; the host name and
    /// process id are added here.
    pub fn set_holder(&mut self, uri: &str, start_ms: i64) {
        self.holder = Some(Holder {
            host: host_name(),
            pid: std::process::id(),
            start_ms,
            uri: uri.to_owned(),
        });
    }

    /// Caps what a compressed copy may inflate to, in bytes (see
    /// [`crate::core::replica::max_inflated`]).
    pub fn set_max_inflated(&mut self, bytes: usize) {
        self.max_inflated = bytes;
    }

    /// The server pool this handler uses.
    #[must_use]
    pub fn transport(&self) -> &dyn Transport {
        &*self.pool
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
            raw_key: keys.raw.map(|r| r.data),
            key: keys.data,
            servers,
            lock_key: keys.lock,
            lock_server,
        })
    }

    /// Takes the lines for PHP's error log from the last call: the pool's
    /// events (servers newly marked failed, dropped connections) and this
    /// handler's (read repairs). A failover is not an error: these are
    /// logged, never raised as warnings.
    pub fn take_notices(&self) -> Vec<String> {
        let mut out = self.pool.take_events();
        out.append(&mut self.notices.borrow_mut());
        out
    }

    /// After a lock wait longer than `rsmemcache.lock_wait_log`: one line
    /// for PHP's error log with the session id's first characters, the wait
    /// and the holder's details from the lock value seen during the wait.
    pub(super) fn log_long_wait(
        &self,
        sid: &[u8],
        waited: std::time::Duration,
        outcome: Option<&crate::core::lock::Waited<u64>>,
    ) {
        let seen = self.seen_lock.take();
        if self.lock.wait_log.is_zero() || waited <= self.lock.wait_log {
            return;
        }
        let holder = seen
            .as_deref()
            .and_then(super::plan::LockValue::parse)
            .and_then(|v| v.holder.map(|h| (h, v.sent_ms)));
        let who = match holder {
            Some((h, since)) => format!(
                "held by pid {} on {} for {} (its request started at unix ms {}, the lock taken at {})",
                h.pid, h.host, h.uri, h.start_ms, since
            ),
            None => "held by a request that left no details in the lock (compat mode or an older rsmemcache)".to_owned(),
        };
        let then = match outcome {
            Some(crate::core::lock::Waited::Acquired(_)) => "then took it",
            Some(crate::core::lock::Waited::GaveUp(_)) => "then gave up",
            None => "until its server failed",
        };
        self.notices.borrow_mut().push(format!(
            "session {}: waited {} ms for its lock ({then}), {who}",
            id_prefix(sid),
            waited.as_millis()
        ));
    }

    /// Runs a batch: per server, its tags and the replies (or its error).
    pub(super) fn run(&self, batch: Batch<'_>) -> Vec<(usize, Vec<Tag>, Result<Vec<Reply>>)> {
        let results = self.pool.execute_parallel(&batch.jobs);
        batch
            .jobs
            .iter()
            .map(|j| j.server)
            .zip(batch.tags)
            .zip(results)
            .map(|((s, t), r)| (s, t, r))
            .collect()
    }

    /// Opens a copy of session `o` read from `server` with client flags
    /// `flags` ([`crate::core::replica::Codec::open`]), under its data key or,
    /// with `raw`, its raw key ([`SessionKeys::old_key`]: the key is the
    /// AAD): `Ok(None)` for a copy encryption refuses — never returned to
    /// PHP, treated as absent, and logged (`where_` says which placement it
    /// was read at, `""` for the session's home).
    ///
    /// # Errors
    /// [`Error::Undecodable`] naming the session and the server.
    pub(super) fn open_copy(
        &self,
        o: &Opened,
        server: usize,
        data: Vec<u8>,
        flags: Option<u32>,
        (raw, where_): (bool, &str),
    ) -> Result<Option<crate::core::replica::Decoded>> {
        match self.codec.open(
            o.keys.old_key(raw),
            data,
            flags.unwrap_or(0),
            self.max_inflated,
            crate::core::keys::now_unix(),
        ) {
            Ok(d) => {
                if self.codec.ring.is_some() && !d.sealed {
                    self.plaintext_accepted(
                        &o.sid,
                        &format!("copy on server {}{where_}", self.pool.label(server)),
                    );
                }
                Ok(Some(d))
            }
            Err(crate::core::replica::Unusable::Undecodable(detail)) => Err(Error::Undecodable {
                id: id_prefix(&o.sid),
                server: self.pool.label(server),
                detail,
            }),
            Err(crate::core::replica::Unusable::Refused(why)) => {
                self.notices.borrow_mut().push(format!(
                    "session {}: the copy on server {}{where_} is treated as absent: {why}",
                    id_prefix(&o.sid),
                    self.pool.label(server)
                ));
                Ok(None)
            }
        }
    }

    /// Books a copy or row (`what`) refused because session `o` was
    /// destroyed after it was written (tombstone `t`): counted as
    /// `tombstones_honoured` and logged.
    pub(super) fn tomb_honoured(&self, o: &Opened, t: &crate::core::tomb::Tomb, what: &str) {
        crate::shared_state::stats::bump(crate::shared_state::stats::Total::TombstonesHonoured);
        self.notices.borrow_mut().push(format!(
            "session {}: {what} is treated as absent: the session was destroyed at version {} (unix time {}) after it was written",
            id_prefix(&o.sid),
            t.version,
            t.destroyed_at
        ));
    }

    /// Books a plaintext value read while encryption is on
    /// (`encryption_accept_plaintext`): counted as `plaintext_accepted`, and
    /// logged naming the session's first 6 characters and `what` — at most
    /// one line per [`PLAINTEXT_LOG_EVERY_S`] per process, saying how many
    /// were accepted since the last line.
    pub(super) fn plaintext_accepted(&self, sid: &[u8], what: &str) {
        use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
        static LAST: AtomicI64 = AtomicI64::new(i64::MIN);
        static SINCE: AtomicU64 = AtomicU64::new(0);
        crate::shared_state::stats::bump(crate::shared_state::stats::Total::PlaintextAccepted);
        let n = SINCE.fetch_add(1, Ordering::Relaxed) + 1;
        let now = crate::core::keys::now_unix();
        let last = LAST.load(Ordering::Relaxed);
        if now.saturating_sub(last) < PLAINTEXT_LOG_EVERY_S
            || LAST
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        SINCE.store(0, Ordering::Relaxed);
        let until = match self.codec.accept_plaintext_until {
            0 => "no end set (rsmemcache.encryption_accept_plaintext_until)".to_owned(),
            t => format!("accepted until unix time {t}"),
        };
        self.notices.borrow_mut().push(format!(
            "session {}: a plaintext {what} was accepted (rsmemcache.encryption_accept_plaintext = 1; {n} since the last such line; {until}); set it to 0 once every session is encrypted",
            id_prefix(sid)
        ));
    }

    pub(super) fn keys_for(&self, sid: &[u8]) -> Result<SessionKeys> {
        SessionKeys::new(
            self.compat,
            self.key_hash,
            &self.prefix,
            sid,
            (
                self.pool.distribution().is_ketama(),
                self.lock.enabled,
                self.key_hash_migrate,
            ),
        )
    }

    pub(super) fn fresh(&self, sid: &[u8]) -> Result<Opened> {
        Ok(Opened {
            sid: sid.to_vec(),
            keys: self.keys_for(sid)?,
            copies: Vec::new(),
            version: 0,
            lock: None,
            lock_copy: None,
            readonly: None,
            db_only: false,
            db_lock: None,
            rewrite: false,
            refused_copy: false,
            tomb: None,
            expires_at: None,
            sealed: None,
            plain_row: false,
        })
    }

    /// The session's probe order (the home server first).
    pub(super) fn order(&self, hash_key: &[u8]) -> Vec<usize> {
        self.pool
            .distribution()
            .probe_order(hash_key, self.placement.max_attempts)
    }

    pub(super) fn lock_order(&self, keys: &SessionKeys, data_order: &[usize]) -> Vec<usize> {
        keys.lock_hash
            .as_ref()
            .map_or_else(|| data_order.to_vec(), |h| self.order(h))
    }

    pub(super) fn usable(&self, server: usize) -> bool {
        self.pool.usable(server)
    }

    /// The first `n` servers of `order` a request may use now: with
    /// failover the first `n` usable ones; without, those of the first `n`
    /// that are usable.
    pub(super) fn pick(&self, order: &[usize], n: usize) -> Vec<usize> {
        self.pick_except(order, n, &[])
    }

    /// [`Handler::pick`], leaving out servers that already failed in this
    /// request (they may be usable again at once with a zero retry interval).
    pub(super) fn pick_except(&self, order: &[usize], n: usize, skip: &[usize]) -> Vec<usize> {
        // Skip first: asking a server that is due for a retry whether it is
        // usable may make this request its one probe.
        let ok = |s: &usize| !skip.contains(s) && self.usable(*s);
        if self.placement.allow_failover {
            order.iter().copied().filter(ok).take(n).collect()
        } else {
            order.iter().copied().take(n).filter(ok).collect()
        }
    }

    /// The error when no server of `order` can be used: a single server's
    /// own error, else [`Error::NoServer`] with the last one.
    pub(super) fn unreachable(&self, sid: &[u8], order: &[usize], last: Option<Error>) -> Error {
        let tried = if self.placement.allow_failover {
            order.len()
        } else {
            1
        };
        let last = last.unwrap_or_else(|| {
            let s = order[tried.min(order.len()) - 1];
            self.pool
                .down_error(s)
                .unwrap_or_else(|| Error::ServerDown {
                    server: self.pool.label(s),
                    retry_in_ms: 0,
                })
        });
        if tried <= 1 {
            last
        } else {
            Error::NoServer {
                id: id_prefix(sid),
                tried,
                last: Box::new(last),
            }
        }
    }

    /// Runs `f` on the state of `sid`: the session read in this request, or
    /// (PHP writing or destroying another id) a fresh state that is not kept.
    pub(super) fn with_opened<T>(
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

    /// Releases this request's lock, if it still holds one (close, abort,
    /// read_and_close, shutdown after a fatal error).
    ///
    /// # Errors
    /// Connection errors; the lock is then deleted when its server answers
    /// again, or expires by its TTL.
    pub fn release(&mut self) -> Result<()> {
        let Some(mut o) = self.opened.take() else {
            return Ok(());
        };
        if let Some(name) = o.db_lock.take() {
            self.durable_unlock(&name);
        }
        self.release_lock_copy(&mut o);
        match o.lock.take() {
            // Nothing left to do after it: unawaited.
            Some(l) => self.release_lock_unawaited(&o.keys.lock, l),
            None => Ok(()),
        }
    }

    /// Deletes lock `key` on `server` once the server answers this process
    /// again, if it still holds `value` — a lock add or release whose
    /// outcome is unknown ([`Transport::delete_when_back`], bounded by the
    /// lock's TTL).
    pub(super) fn delete_lock_when_back(&self, server: usize, key: &[u8], value: &[u8]) {
        self.pool
            .delete_when_back(server, key.to_vec(), value.to_vec(), self.lock.expire_s);
    }

    /// Compare-and-deletes lock `l` without awaiting the answer (read at
    /// its connection's next use; see [`Transport::send_unawaited`]): for a
    /// release that follows confirmed writes, whose outcome changes nothing
    /// for this request — EX/NF would mean the lock is someone else's now.
    /// Saves the release's round trip where it cannot ride with a write
    /// (copies on other servers than the lock's, `compat=memcached`).
    ///
    /// The release is written to the socket before this returns; memcached
    /// runs it whether or not anyone reads the reply (a process that exits
    /// first closes the connection after it). What is lost is only the
    /// knowledge of the outcome: a lock whose server dies before running it
    /// goes with that server's memory, and one whose connection is cut in
    /// flight expires by its TTL — as a release whose reply never came.
    ///
    /// # Errors
    /// The server's error, when the send failed (the lock is then deleted
    /// when the server answers again, its value still ours).
    pub(super) fn release_lock_unawaited(&self, lock_key: &[u8], l: HeldLock) -> Result<()> {
        let r = self
            .pool
            .send_unawaited(l.server, &[delete_cas_cmd(lock_key, l.cas)]);
        if r.is_err() {
            self.delete_lock_when_back(l.server, lock_key, &l.value);
        }
        r
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
