//! The save handler's logic on Rust types: what each `ps_module` callback
//! does against memcached, including the session lock. No FFI types here;
//! [`super::ffi`] converts PHP's pointers to these calls and errors to
//! warnings.
//!
//! Contract honoured (anchors.md §0): a missing session reads as an empty
//! string; `exists` (behind validate_sid and create_sid's collision check)
//! writes nothing; `update_timestamp` touches and falls back to a full write
//! when the key has vanished; every write is confirmed by the server and a
//! refused write leaves the previous copy in place.
//!
//! Locking (`rsmemcache.locking = 1`, see [`crate::lock`]): `read` takes the
//! lock and reads the data in one round trip (`ms <key>.lock … ME c` and
//! `mg <key> v c` sent together); `write` stores the data and releases the
//! lock in one round trip (`ms <key> … C<cas>` and `md <key>.lock C<cas>`);
//! `close`, `destroy` and dropping the handler release it too. The data is
//! written with the CAS id it was read with (or as an add when it did not
//! exist), so a request whose lock expired never overwrites a newer copy.

use crate::{
    config::Config,
    error::{Error, Result, escape_for_message},
    keys,
    lock::{self, Backoff, LockFailure, LockSettings, RealClock, Waited},
    pool::{self, Pool},
    protocol::{Command, Meta, Reply, SetMode},
};
use std::sync::Arc;

/// Client flags rsmemcache stores with session values: 0, raw bytes, as
/// pecl-memcache and php-memcached do for sessions.
const SESSION_FLAGS: u32 = 0;

/// The lock this request holds.
#[derive(Debug)]
struct HeldLock {
    key: Vec<u8>,
    cas: u64,
}

/// What this request knows about the session it read.
#[derive(Debug)]
struct Opened {
    sid: Vec<u8>,
    key: Vec<u8>,
    idx: usize,
    /// CAS id of the data as read; `None` when the session did not exist.
    data_cas: Option<u64>,
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
    lock: LockSettings,
    opened: Option<Opened>,
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

/// Splits the replies of a two-command pipeline.
fn two(mut replies: Vec<Reply>) -> (Reply, Reply) {
    let second = replies.pop().unwrap_or(Reply::Noop);
    let first = replies.pop().unwrap_or(Reply::Noop);
    (first, second)
}

fn one(mut replies: Vec<Reply>) -> Reply {
    replies.pop().unwrap_or(Reply::Noop)
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
    /// `save_path` (parsed once per process), the key prefix and the lock
    /// settings.
    ///
    /// # Errors
    /// save_path errors ([`Error::SavePath`], [`Error::EmptySavePath`]).
    pub fn open(save_path: &str, config: &Config) -> Result<Self> {
        Ok(Self {
            pool: pool::shared(save_path, &config.pool)?,
            prefix: config.prefix.as_bytes().to_vec(),
            lock: config.lock,
            opened: None,
        })
    }

    /// The key for `sid` and the index of its home server. With locking on,
    /// the lock key must fit memcached's key limit too.
    fn locate(&self, sid: &[u8]) -> Result<(Vec<u8>, usize)> {
        let reserve = if self.lock.enabled {
            lock::LOCK_SUFFIX.len()
        } else {
            0
        };
        let key = keys::session_key(&self.prefix, sid, reserve)?;
        let idx = self.pool.distribution().probe_order(&key, 1)[0];
        Ok((key, idx))
    }

    /// Reads session `sid` (taking its lock when locking is on): its bytes,
    /// or an empty vector when it does not exist.
    ///
    /// # Errors
    /// A refused id; [`Error::LockTimeout`] when the lock stayed taken for
    /// the whole wait budget and `lock_failure = error`; any server or
    /// connection error. Never an empty session in place of one that could
    /// not be read.
    pub fn read(&mut self, sid: &[u8]) -> Result<Vec<u8>> {
        // A second read in the same open (PHP does not do this, but be safe):
        // give back the lock of the first.
        self.release()?;
        let (key, idx) = self.locate(sid)?;
        let get = Command::Get {
            key: &key,
            value: true,
            ttl: false,
            cas: true,
            flags: false,
            touch: None,
        };
        let mut opened = Opened {
            sid: sid.to_vec(),
            key: key.clone(),
            idx,
            data_cas: None,
            lock: None,
            readonly: None,
        };
        let reply = if self.lock.enabled {
            let token = lock::new_token().map_err(|e| Error::Random(e.to_string()))?;
            let lock_key = lock::lock_key(&key);
            let add = Command::Set {
                key: &lock_key,
                value: &token,
                exptime: i64::from(self.lock.expire_s),
                client_flags: 0,
                mode: SetMode::Add,
                cas: None,
            };
            // Fast path: lock and read in one round trip.
            let (lock_reply, data_reply) = two(self.pool.execute(idx, &[add, get])?);
            match lock_reply {
                Reply::Done(meta) => {
                    opened.lock = Some(HeldLock {
                        key: lock_key,
                        cas: meta.cas.unwrap_or(0),
                    });
                    data_reply
                }
                Reply::NotStored => {
                    // Contended: poll the add alone, then read.
                    let seed = u64::from_le_bytes(token[..8].try_into().expect("8 bytes"));
                    let waited = lock::wait_for(
                        self.lock.wait,
                        &mut Backoff::new(seed),
                        &mut RealClock::start(),
                        || match one(self.pool.execute(idx, &[add])?) {
                            Reply::Done(meta) => Ok(Some(meta.cas.unwrap_or(0))),
                            Reply::NotStored => Ok(None),
                            other => Err(unexpected(&self.pool, idx, "ms (lock)", &other)),
                        },
                    )?;
                    match waited {
                        Waited::Acquired(cas) => {
                            opened.lock = Some(HeldLock { key: lock_key, cas });
                            // Stored before the data read: if the read fails,
                            // close/drop still releases the lock.
                            self.opened = Some(opened);
                            let r = one(self.pool.execute(idx, &[get])?);
                            opened = self.opened.take().expect("just stored");
                            r
                        }
                        Waited::GaveUp(after) => {
                            let waited_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
                            if self.lock.failure == LockFailure::Error {
                                return Err(Error::LockTimeout {
                                    id: id_text(sid),
                                    waited_ms,
                                });
                            }
                            opened.readonly = Some(Vec::new());
                            one(self.pool.execute(idx, &[get])?)
                        }
                    }
                }
                other => return Err(unexpected(&self.pool, idx, "ms (lock)", &other)),
            }
        } else {
            one(self.pool.execute(idx, &[get])?)
        };
        let data = match reply {
            Reply::Value(data, meta) => {
                opened.data_cas = meta.cas;
                data
            }
            Reply::Miss => Vec::new(),
            other => {
                self.opened = Some(opened);
                return Err(unexpected(&self.pool, idx, "mg", &other));
            }
        };
        if let Some(copy) = opened.readonly.as_mut() {
            copy.clone_from(&data);
        }
        self.opened = Some(opened);
        Ok(data)
    }

    /// The key and server of `sid`: as read in this request, else located.
    fn target(&mut self, sid: &[u8]) -> Result<(Vec<u8>, usize)> {
        match self.opened_for(sid) {
            Some(o) => Ok((o.key.clone(), o.idx)),
            None => self.locate(sid),
        }
    }

    /// Takes this request's lock on `sid` out of the state, for a command
    /// that releases it in the same round trip.
    fn take_lock(&mut self, sid: &[u8]) -> Option<HeldLock> {
        self.opened_for(sid).and_then(|o| o.lock.take())
    }

    /// Sends a store (`ms` of `data`) with the release of `lock`, and turns its reply
    /// into the outcome: the stored item's metadata, or
    /// [`Error::WriteRefused`] for an error line, [`Error::Conflict`] when a
    /// CAS or add condition failed.
    fn store(
        &mut self,
        sid: &[u8],
        idx: usize,
        set: Command<'_>,
        data: &[u8],
        lock: Option<HeldLock>,
    ) -> Result<Meta> {
        match self.with_unlock(sid, idx, set, lock) {
            Ok(Reply::Done(meta)) => Ok(meta),
            Ok(Reply::Exists | Reply::NotStored | Reply::NotFound) => Err(Error::Conflict {
                id: id_text(sid),
                expire_s: self.lock.expire_s,
            }),
            Ok(other) => Err(unexpected(&self.pool, idx, "ms", &other)),
            Err(Error::Server { server, answer }) => Err(Error::WriteRefused {
                id: id_text(sid),
                size: data.len(),
                server,
                answer,
            }),
            Err(e) => Err(e),
        }
    }

    /// The state of the session read in this request, if `sid` is it.
    fn opened_for(&mut self, sid: &[u8]) -> Option<&mut Opened> {
        self.opened.as_mut().filter(|o| o.sid == sid)
    }

    /// Stores `data` under `sid` with a TTL of `maxlifetime` seconds, and
    /// releases this request's lock in the same round trip.
    ///
    /// # Errors
    /// A refused id; [`Error::ReadOnly`] for a changed session opened
    /// read-only (an unchanged one is accepted without a write);
    /// [`Error::Conflict`] when the session changed since it was read
    /// (possible only after the lock expired); [`Error::WriteRefused`] with
    /// the size and the server's answer when the server does not store it —
    /// the previous copy then stays intact; connection errors.
    pub fn write(&mut self, sid: &[u8], data: &[u8], maxlifetime: i64) -> Result<()> {
        let exptime = keys::ttl_for(maxlifetime, keys::now_unix());
        if let Some(read) = self.opened_for(sid).and_then(|o| o.readonly.as_ref()) {
            // PHP calls write for unchanged data too when lazy_write is off:
            // nothing to refuse then.
            if read.as_slice() == data {
                return Ok(());
            }
            return Err(Error::ReadOnly {
                id: id_text(sid),
                refused: "changes not written",
            });
        }
        let (key, idx) = self.target(sid)?;
        // Before the lock is taken out of the state: a refused size keeps it
        // for close to release.
        self.check_size(sid, &key, idx, data)?;
        // Under a lock: compare-and-set against the copy we read, or add if
        // there was none, so a lost lock cannot overwrite newer data.
        let lock = self.take_lock(sid);
        let read_cas = self.opened_for(sid).and_then(|o| o.data_cas);
        let (mode, cas) = match (&lock, read_cas) {
            (Some(_), Some(cas)) => (SetMode::Set, Some(cas)),
            (Some(_), None) => (SetMode::Add, None),
            (None, _) => (SetMode::Set, None),
        };
        let set = Command::Set {
            key: &key,
            value: data,
            exptime,
            client_flags: SESSION_FLAGS,
            mode,
            cas,
        };
        let meta = self.store(sid, idx, set, data, lock)?;
        if let Some(o) = self.opened_for(sid) {
            o.data_cas = meta.cas.or(o.data_cas);
        }
        Ok(())
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

    /// Sends `cmd` to server `idx` and, in the same write, the release of
    /// `lock` (when this request holds one); returns `cmd`'s reply. If the
    /// round trip fails the lock is kept, so close retries its release.
    fn with_unlock(
        &mut self,
        sid: &[u8],
        idx: usize,
        cmd: Command<'_>,
        lock: Option<HeldLock>,
    ) -> Result<Reply> {
        let replies = match &lock {
            Some(l) => self.pool.execute(
                idx,
                &[
                    cmd,
                    Command::Delete {
                        key: &l.key,
                        cas: Some(l.cas),
                    },
                ],
            ),
            None => self.pool.execute(idx, &[cmd]),
        };
        match replies {
            Ok(r) => Ok(r.into_iter().next().unwrap_or(Reply::Noop)),
            Err(e) => {
                if let Some(l) = lock {
                    self.put_back(sid, l);
                }
                Err(e)
            }
        }
    }

    /// Keeps a lock whose release did not happen (the pipeline failed), so
    /// close retries it.
    fn put_back(&mut self, sid: &[u8], l: HeldLock) {
        if let Some(o) = self.opened_for(sid) {
            o.lock = Some(l);
        }
    }

    /// Deletes session `sid` (and releases its lock); a session that does
    /// not exist is not an error.
    ///
    /// # Errors
    /// A refused id; [`Error::ReadOnly`] for a session opened read-only
    /// (another request holds its lock); connection errors.
    pub fn destroy(&mut self, sid: &[u8]) -> Result<()> {
        if self.opened_for(sid).is_some_and(|o| o.readonly.is_some()) {
            // Another request holds this session's lock; deleting under it
            // would make that request's write fail.
            return Err(Error::ReadOnly {
                id: id_text(sid),
                refused: "not destroyed",
            });
        }
        let (key, idx) = self.target(sid)?;
        let lock = self.take_lock(sid);
        let del = Command::Delete {
            key: &key,
            cas: None,
        };
        match self.with_unlock(sid, idx, del, lock)? {
            Reply::Done(_) | Reply::NotFound => Ok(()),
            other => Err(unexpected(&self.pool, idx, "md", &other)),
        }
    }

    /// Whether session `sid` exists. A pure probe (`mg` without flags):
    /// nothing is written, no TTL changes. An id that could never be stored
    /// (bytes outside the alphabet, too long a key) does not exist: it is
    /// answered without a warning and without reaching memcached, so a
    /// client sending junk cookies to a strict-mode site gets a fresh id
    /// rather than filling the log.
    ///
    /// # Errors
    /// Connection errors.
    pub fn exists(&self, sid: &[u8]) -> Result<bool> {
        let Ok((key, idx)) = self.locate(sid) else {
            return Ok(false);
        };
        let probe = Command::Get {
            key: &key,
            value: false,
            ttl: false,
            cas: false,
            flags: false,
            touch: None,
        };
        match one(self.pool.execute(idx, &[probe])?) {
            Reply::Done(_) => Ok(true),
            Reply::Miss => Ok(false),
            other => Err(unexpected(&self.pool, idx, "mg", &other)),
        }
    }

    /// Refreshes the TTL of an unchanged session (`lazy_write`) without
    /// resending it, releasing the lock in the same round trip; if the key
    /// has vanished meanwhile, writes `data` in full. A session opened
    /// read-only is left alone (nothing changed).
    ///
    /// # Errors
    /// As [`Handler::write`].
    pub fn update_timestamp(&mut self, sid: &[u8], data: &[u8], maxlifetime: i64) -> Result<()> {
        let exptime = keys::ttl_for(maxlifetime, keys::now_unix());
        if self.opened_for(sid).is_some_and(|o| o.readonly.is_some()) {
            return Ok(());
        }
        let (key, idx) = self.target(sid)?;
        let lock = self.take_lock(sid);
        let touch = Command::Get {
            key: &key,
            value: false,
            ttl: false,
            cas: false,
            flags: false,
            touch: Some(exptime),
        };
        let was_locked = lock.is_some();
        match self.with_unlock(sid, idx, touch, lock)? {
            Reply::Done(_) => Ok(()),
            // Gone (evicted or expired mid-request): write it in full; as an
            // add, so a copy another request created meanwhile is kept.
            Reply::Miss => {
                self.check_size(sid, &key, idx, data)?;
                let set = Command::Set {
                    key: &key,
                    value: data,
                    exptime,
                    client_flags: SESSION_FLAGS,
                    mode: if was_locked {
                        SetMode::Add
                    } else {
                        SetMode::Set
                    },
                    cas: None,
                };
                self.store(sid, idx, set, data, None).map(drop)
            }
            other => Err(unexpected(&self.pool, idx, "mg T", &other)),
        }
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
            .execute(
                o.idx,
                &[Command::Delete {
                    key: &l.key,
                    cas: Some(l.cas),
                }],
            )
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
