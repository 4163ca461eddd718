//! The save handler's logic on Rust types: what each `ps_module` callback
//! does against memcached. No FFI types here; [`super::ffi`] converts PHP's
//! pointers to these calls and errors to warnings.
//!
//! Contract honoured (anchors.md §0): a missing session reads as an empty
//! string; `exists` (behind validate_sid and create_sid's collision check)
//! writes nothing; `update_timestamp` touches and falls back to a full write
//! when the key has vanished; every write is confirmed by the server and a
//! refused write leaves the previous copy in place.

use crate::{
    config::Config,
    error::{Error, Result},
    keys,
    pool::{self, Pool},
    protocol::{Command, Reply, SetMode},
};
use std::sync::Arc;

/// Per-request handler state (lives in PHP's `PS(mod_data)` between open
/// and close).
#[derive(Debug)]
pub struct Handler {
    pool: Arc<Pool>,
    prefix: Vec<u8>,
}

fn unexpected(pool: &Pool, idx: usize, what: &str, reply: &Reply) -> Error {
    Error::Protocol {
        server: pool.servers()[idx].label().to_owned(),
        detail: format!("unexpected reply to {what}: {reply:?}"),
    }
}

/// Client flags rsmemcache stores with session values: 0, raw bytes, as
/// pecl-memcache and php-memcached do for sessions.
const SESSION_FLAGS: u32 = 0;

/// Bytes memcached adds to key + value when sizing an item (48-byte header,
/// 8-byte CAS, key NUL, value CRLF; memcached 1.6's
/// `item_make_header`). Used to refuse too-large sessions before sending.
const ITEM_OVERHEAD: u64 = 59;

/// memcached's smallest possible `item_size_max` (`-I 1k`): smaller sessions
/// never need the server's limit.
const MIN_ITEM_SIZE_MAX: u64 = 1024;

impl Handler {
    /// Opens the handler for one request: the process-wide pool for
    /// `save_path` (parsed once per process) and the key prefix.
    ///
    /// # Errors
    /// save_path errors ([`Error::SavePath`], [`Error::EmptySavePath`]).
    pub fn open(save_path: &str, config: &Config) -> Result<Self> {
        Ok(Self {
            pool: pool::shared(save_path, &config.pool)?,
            prefix: config.prefix.as_bytes().to_vec(),
        })
    }

    /// The key for `sid` and the index of its home server.
    fn locate(&self, sid: &[u8]) -> Result<(Vec<u8>, usize)> {
        let key = keys::session_key(&self.prefix, sid)?;
        let idx = self.pool.distribution().probe_order(&key, 1)[0];
        Ok((key, idx))
    }

    /// Reads session `sid`: its bytes, or an empty vector when it does not
    /// exist.
    ///
    /// # Errors
    /// A refused id, or any server/connection error (never an empty session
    /// in place of one that could not be read).
    pub fn read(&self, sid: &[u8]) -> Result<Vec<u8>> {
        let (key, idx) = self.locate(sid)?;
        let get = Command::Get {
            key: &key,
            value: true,
            ttl: false,
            cas: false,
            flags: false,
            touch: None,
        };
        match self.pool.execute(idx, &[get])?.pop() {
            Some(Reply::Value(data, _)) => Ok(data),
            Some(Reply::Miss) => Ok(Vec::new()),
            Some(other) => Err(unexpected(&self.pool, idx, "mg", &other)),
            None => unreachable!("one reply per command"),
        }
    }

    /// Stores `data` under `sid` with a TTL of `maxlifetime` seconds.
    ///
    /// # Errors
    /// A refused id; [`Error::WriteRefused`] with the size and the server's
    /// answer when the server does not store it (e.g. larger than its item
    /// size limit) — the previous copy then stays intact; connection errors.
    pub fn write(&self, sid: &[u8], data: &[u8], maxlifetime: i64) -> Result<()> {
        let (key, idx) = self.locate(sid)?;
        self.check_size(sid, &key, idx, data)?;
        let set = Command::Set {
            key: &key,
            value: data,
            exptime: keys::ttl_for(maxlifetime, keys::now_unix()),
            client_flags: SESSION_FLAGS,
            mode: SetMode::Set,
            cas: None,
        };
        match self.pool.execute(idx, &[set]) {
            Ok(mut r) => match r.pop() {
                Some(Reply::Done(_)) => Ok(()),
                Some(other) => Err(unexpected(&self.pool, idx, "ms", &other)),
                None => unreachable!("one reply per command"),
            },
            Err(Error::Server { server, answer }) => Err(Error::WriteRefused {
                id: String::from_utf8_lossy(sid).into_owned(),
                size: data.len(),
                server,
                answer,
            }),
            Err(e) => Err(e),
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

    /// Deletes session `sid`; a session that does not exist is not an error.
    ///
    /// # Errors
    /// A refused id or connection errors.
    pub fn destroy(&self, sid: &[u8]) -> Result<()> {
        let (key, idx) = self.locate(sid)?;
        match self
            .pool
            .execute(
                idx,
                &[Command::Delete {
                    key: &key,
                    cas: None,
                }],
            )?
            .pop()
        {
            Some(Reply::Done(_) | Reply::NotFound) => Ok(()),
            Some(other) => Err(unexpected(&self.pool, idx, "md", &other)),
            None => unreachable!("one reply per command"),
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
        match self.pool.execute(idx, &[probe])?.pop() {
            Some(Reply::Done(_)) => Ok(true),
            Some(Reply::Miss) => Ok(false),
            Some(other) => Err(unexpected(&self.pool, idx, "mg", &other)),
            None => unreachable!("one reply per command"),
        }
    }

    /// Refreshes the TTL of an unchanged session (`lazy_write`) without
    /// resending it; if the key has vanished meanwhile, writes `data` in full.
    ///
    /// # Errors
    /// As [`Handler::write`].
    pub fn update_timestamp(&self, sid: &[u8], data: &[u8], maxlifetime: i64) -> Result<()> {
        let (key, idx) = self.locate(sid)?;
        let exptime = keys::ttl_for(maxlifetime, keys::now_unix());
        let touch = Command::Get {
            key: &key,
            value: false,
            ttl: false,
            cas: false,
            flags: false,
            touch: Some(exptime),
        };
        match self.pool.execute(idx, &[touch])?.pop() {
            Some(Reply::Done(_)) => Ok(()),
            Some(Reply::Miss) => self.write(sid, data, maxlifetime),
            Some(other) => Err(unexpected(&self.pool, idx, "mg T", &other)),
            None => unreachable!("one reply per command"),
        }
    }
}
