//! The durable tier: a SQL table behind memcached (`rsmemcache.durable_*`)
//! so sessions survive losing every memcached server. This module owns the
//! store boundary ([`Store`]: MariaDB/MySQL in [`mysql`]; PostgreSQL would
//! be another implementation), the per-process connection and health of
//! each configured database ([`Tier`]), and the failure policy
//! (`durable_failure = degrade | error`). The decisions are pure, in
//! [`plan`]; the session driver calls [`Tier`] from
//! `session/durable.rs`. Credentials are read from the file named by
//! `rsmemcache.durable_credentials_file` when a connection is opened and
//! are never logged, shown or kept in an error text.

pub mod mysql;
pub mod plan;

use crate::{
    core::keys::now_ms,
    error::{Error, Result},
};
use once_cell::sync::Lazy;
use parking_lot::Mutex;
use plan::{Dsn, Failure, Health};
use std::{collections::HashMap, panic::AssertUnwindSafe, sync::Arc};

/// Validated `rsmemcache.durable_*` directives (the tier is on when
/// `rsmemcache.durable_dsn` is not empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Settings {
    /// `rsmemcache.durable_dsn`.
    pub dsn: Dsn,
    /// `rsmemcache.durable_credentials_file`: path of the `user:password`
    /// file (empty: no connection is tried; never an anonymous login).
    pub credentials_file: String,
    /// `rsmemcache.durable_table`: a plain identifier.
    pub table: String,
    /// `rsmemcache.durable_write_every` (≥ 1).
    pub write_every: u32,
    /// `rsmemcache.durable_timeout`: connect, read and write timeout, ms.
    pub timeout_ms: u64,
    /// `rsmemcache.durable_failure`.
    pub failure: Failure,
    /// `rsmemcache.retry_interval`, seconds: how long a failed database is
    /// left alone (and how often its failure is logged).
    pub retry_interval_s: u64,
    /// `rsmemcache.durable_tls`: TLS on a TCP link (`required`) or not.
    pub tls: plan::Tls,
    /// `rsmemcache.durable_tls_ca_file`: PEM CA file added to the bundled
    /// public roots (empty: those roots only).
    pub tls_ca_file: String,
    /// `rsmemcache.durable_tls_server_name`: empty, or the DSN's host (the
    /// client verifies the host it connects to).
    pub tls_server_name: String,
    /// `rsmemcache.durable_server_public_key_file`: the server's RSA public
    /// key (PEM) for `caching_sha2_password` over plaintext TCP; empty:
    /// such a login is refused.
    pub server_public_key_file: String,
}

/// A session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Session data, as PHP serialised it.
    pub data: Vec<u8>,
    /// Version of the data (the copies' version, [`crate::core::replica`]).
    pub version: u32,
    /// Unix seconds after which the row is expired.
    pub expires_at: i64,
}

/// A store's failure. Its text comes from the client and never holds the
/// password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    /// The table does not exist.
    pub missing_table: bool,
    /// The client's message.
    pub text: String,
}

/// A session table in some SQL database, keyed by the session's memcached
/// data key. Implementations do one statement per call and report errors
/// as values; retries, health and policy belong to [`Tier`].
pub trait Store: Send + std::fmt::Debug {
    /// The row of `id`, expired or not.
    ///
    /// # Errors
    /// The client's error.
    fn load(&mut self, id: &[u8]) -> Result<Option<Row>, StoreError>;
    /// Inserts or replaces the row of `id` when `row.version` is newer
    /// than the stored one or the stored one expired at `now` (unix s); at
    /// the same version only extends the expiry. Never replaces newer data.
    ///
    /// # Errors
    /// The client's error.
    fn save(&mut self, id: &[u8], row: &Row, now: i64) -> Result<(), StoreError>;
    /// Deletes the row of `id` (no error when there is none).
    ///
    /// # Errors
    /// The client's error.
    fn delete(&mut self, id: &[u8]) -> Result<(), StoreError>;
    /// Deletes the row of `id` if its version is not newer than `version`
    /// (the copies' serial arithmetic): what a destroy at `version` deletes,
    /// never a row written after it under the same id.
    ///
    /// # Errors
    /// The client's error.
    fn delete_upto(&mut self, id: &[u8], version: u32) -> Result<(), StoreError>;
    /// Deletes the rows expired at `now` (unix s); returns how many.
    ///
    /// # Errors
    /// The client's error.
    fn gc(&mut self, now: i64) -> Result<u64, StoreError>;
    /// Tries once to take the database's named lock `name` for this
    /// connection (`GET_LOCK(name, 0)`); `true` when taken. It is freed by
    /// [`Store::unlock`] or when the connection closes.
    ///
    /// # Errors
    /// The client's error.
    fn try_lock(&mut self, name: &str) -> Result<bool, StoreError>;
    /// Frees the named lock `name` (`RELEASE_LOCK`).
    ///
    /// # Errors
    /// The client's error.
    fn unlock(&mut self, name: &str) -> Result<(), StoreError>;
}

/// Rows whose expiry this process knows, kept at most (then forgotten).
const KNOWN_MAX: usize = 4096;

/// Row deletes kept for a retry at most (the oldest is dropped first; its
/// tombstone in memcached still keeps the row from being restored).
const PENDING_MAX: usize = 4096;

struct State {
    /// The open store and the process that opened it.
    store: Option<(rustix::process::Pid, Box<dyn Store>)>,
    health: Health,
    /// Session key → row expiry (unix s) as last written or read by this
    /// process: lets an unchanged session skip the database.
    known: HashMap<Vec<u8>, i64>,
    /// Row deletes of destroys that failed: (session key, version
    /// destroyed), retried first by the next call that reaches the
    /// database.
    pending: Vec<(Vec<u8>, u32)>,
}

/// One configured database as this process sees it: its connection, its
/// health and what it knows of row expiries.
pub struct Tier {
    settings: Settings,
    state: Mutex<State>,
}

impl std::fmt::Debug for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tier")
            .field("dsn", &self.settings.dsn.label())
            .finish_non_exhaustive()
    }
}

/// What `rsmemcache_servers()` shows of a tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `durable mysql://…` label.
    pub label: String,
    /// `up` or `failed`.
    pub state: &'static str,
    /// Milliseconds until it is tried again (when failed).
    pub retry_in_ms: Option<u64>,
    /// Failures seen by this process.
    pub failures: u64,
    /// Last error (never holds credentials).
    pub last_error: Option<String>,
}

static TIERS: Lazy<Mutex<HashMap<Settings, Arc<Tier>>>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// The process-wide tier for `settings`, made on first use.
#[must_use]
pub fn tier_for(settings: &Settings) -> Arc<Tier> {
    let mut tiers = TIERS.lock();
    if tiers.len() >= 8 && !tiers.contains_key(settings) {
        tiers.clear();
    }
    Arc::clone(
        tiers
            .entry(settings.clone())
            .or_insert_with(|| Arc::new(Tier::new(settings.clone()))),
    )
}

/// Every tier of this process, for `rsmemcache_servers()`.
#[must_use]
pub fn all() -> Vec<Arc<Tier>> {
    TIERS.lock().values().cloned().collect()
}

fn open_store(settings: &Settings) -> Result<Box<dyn Store>, StoreError> {
    let (user, pass) = if settings.credentials_file.is_empty() {
        return Err(StoreError {
            missing_table: false,
            text: "rsmemcache.durable_credentials_file is not set: name a file whose first line is user:password (an anonymous login is never tried)".to_owned(),
        });
    } else {
        let text = crate::secrets::secret_file::read_checked(
            "rsmemcache.durable_credentials_file",
            &settings.credentials_file,
            crate::secrets::secret_file::Kind::Secret,
        )
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|why| StoreError {
            missing_table: false,
            text: format!(
                "cannot use rsmemcache.durable_credentials_file {}: {why}",
                crate::error::escape_for_message(settings.credentials_file.as_bytes(), 200)
            ),
        })?;
        plan::parse_credentials(&text).map_err(|why| StoreError {
            missing_table: false,
            text: format!(
                "rsmemcache.durable_credentials_file {}: {why}",
                crate::error::escape_for_message(settings.credentials_file.as_bytes(), 200)
            ),
        })?
    };
    Ok(Box::new(mysql::MysqlStore::connect(
        settings, &user, &pass,
    )?))
}

/// Runs one call into the database client, turning a panic inside it into
/// a [`StoreError`], so that the tier's own policy (`durable_failure`,
/// health, counters, retry interval) applies to it as to any failure. The
/// panic's message is kept only when it is plain words (no `Debug`
/// output).
fn client_guard<T>(f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .filter(|m| m.len() <= 120 && !m.contains(['{', '(', '`', '"']));
            drop(payload);
            Err(StoreError {
                missing_table: false,
                text: format!(
                    "the database client failed inside (a panic{}, caught; the connection was dropped): usually a malformed answer from the server; check that the DSN points at MariaDB/MySQL",
                    what.map_or_else(String::new, |m| format!(": {m}"))
                ),
            })
        }
    }
}

impl Tier {
    fn new(settings: Settings) -> Self {
        Self {
            settings,
            state: Mutex::new(State {
                store: None,
                health: Health::default(),
                known: HashMap::new(),
                pending: Vec::new(),
            }),
        }
    }

    /// The settings this tier was made with.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Health for `rsmemcache_servers()`.
    #[must_use]
    pub fn status(&self) -> Status {
        let st = self.state.lock();
        let now = now_ms();
        let down = !st.health.usable(now);
        Status {
            label: format!("durable {}", self.settings.dsn.label()),
            state: if st.health.last_error.is_some() {
                "failed"
            } else {
                "up"
            },
            retry_in_ms: down.then(|| u64::try_from(st.health.down_until_ms - now).unwrap_or(0)),
            failures: st.health.failures,
            last_error: st.health.last_error.clone(),
        }
    }

    /// Whether a write skipped while the database was down is waiting to be
    /// caught up.
    #[must_use]
    pub fn missed_write(&self) -> bool {
        self.state.lock().health.missed_write
    }

    /// Keeps the delete of `id`'s row up to `version` for a retry by the
    /// next call that reaches the database (a destroy whose delete failed).
    pub fn defer_delete(&self, id: Vec<u8>, version: u32) {
        let mut st = self.state.lock();
        st.pending.retain(|(k, _)| *k != id);
        if st.pending.len() >= PENDING_MAX {
            st.pending.remove(0);
        }
        st.pending.push((id, version));
    }

    /// Row deletes waiting for a retry in this process.
    #[must_use]
    pub fn pending_deletes(&self) -> usize {
        self.state.lock().pending.len()
    }

    /// The row expiry this process last saw for `id`.
    #[must_use]
    pub fn known_expiry(&self, id: &[u8]) -> Option<i64> {
        self.state.lock().known.get(id).copied()
    }

    /// Runs `f` on the store (opening it first, in this process). `Ok(None)`:
    /// the database failed or is left alone for its retry interval, and the
    /// policy is `degrade`. Failures are pushed to `log` once per retry
    /// interval; a recovery is logged too. `write` marks a skipped write
    /// for catching up.
    ///
    /// # Errors
    /// [`Error::Durable`] with `durable_failure = error` (and whatever the
    /// policy for a missing table, whose text names
    /// `stubs/rsmemcache-durable.sql`).
    pub fn call<T>(
        &self,
        write: bool,
        log: &mut Vec<String>,
        f: impl FnOnce(&mut dyn Store, &mut HashMap<Vec<u8>, i64>) -> Result<T, StoreError>,
    ) -> Result<Option<T>> {
        let mut st = self.state.lock();
        let now = now_ms();
        let outcome = if st.health.usable(now) {
            self.attempt(&mut st, f)
        } else {
            Err(StoreError {
                missing_table: false,
                text: format!(
                    "not tried again before its retry interval has passed (last error: {})",
                    st.health.last_error.as_deref().unwrap_or("-")
                ),
            })
        };
        self.settle(&mut st, now, write, log, outcome)
    }

    /// One use of the store: opened (again) if needed, the pending row
    /// deletes done first, then `f`. The connection is kept only if every
    /// call answered. Panics in the client are [`StoreError`]s.
    fn attempt<T>(
        &self,
        st: &mut State,
        f: impl FnOnce(&mut dyn Store, &mut HashMap<Vec<u8>, i64>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pid = rustix::process::getpid();
        if st.store.as_ref().is_some_and(|(p, _)| *p != pid) {
            // Opened by the parent before a fork: its socket is shared with
            // that process. Never use it, and never close it politely (a
            // COM_QUIT would end the parent's session): forget it.
            if let Some(inherited) = st.store.take() {
                std::mem::forget(inherited);
            }
        }
        let (p, mut store) = match st.store.take() {
            Some(s) => s,
            None => client_guard(|| open_store(&self.settings)).map(|s| (pid, s))?,
        };
        // Deletes of destroys that failed go first: a row buried by a
        // tombstone must not outlive it.
        let mut r = Ok(());
        while let Some((id, version)) = st.pending.last().cloned() {
            r = client_guard(|| store.delete_upto(&id, version));
            if r.is_err() {
                break;
            }
            if let Some((id, _)) = st.pending.pop() {
                st.known.remove(&id);
            }
        }
        let known = &mut st.known;
        if known.len() >= KNOWN_MAX {
            known.clear();
        }
        let r = r.and_then(|()| client_guard(|| f(&mut *store, known)));
        if r.is_ok() {
            // Only a connection that answered is kept; after an error it may
            // be out of step: dropped (a drop that panics too is caught:
            // nothing unwinds into PHP).
            st.store = Some((p, store));
        } else {
            let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(store)));
        }
        r
    }

    /// Applies the tier's policy to `outcome`: health, the missed-write
    /// mark, a log line when the state changes, and `durable_failure`.
    fn settle<T>(
        &self,
        st: &mut State,
        now: i64,
        write: bool,
        log: &mut Vec<String>,
        outcome: Result<T, StoreError>,
    ) -> Result<Option<T>> {
        let label = self.settings.dsn.label();
        let e = match outcome {
            Ok(v) => {
                if st.health.succeed() {
                    log.push(format!("durable tier {label}: answering again"));
                }
                if write {
                    st.health.missed_write = false;
                }
                return Ok(Some(v));
            }
            Err(e) => e,
        };
        let text = if e.missing_table {
            format!(
                "{} (create the table with stubs/rsmemcache-durable.sql)",
                e.text
            )
        } else {
            e.text
        };
        let tried = st.health.usable(now);
        if tried
            && st
                .health
                .fail(now, self.settings.retry_interval_s, text.clone())
        {
            log.push(format!(
                "durable tier {label}: {text}; {} for {} s",
                match self.settings.failure {
                    Failure::Degrade => "sessions work from memcached alone",
                    Failure::Error => "writes fail",
                },
                self.settings.retry_interval_s
            ));
        }
        if write {
            st.health.missed_write = true;
        }
        match self.settings.failure {
            Failure::Degrade => Ok(None),
            Failure::Error => Err(Error::Durable {
                dsn: label,
                detail: text,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_panic_is_a_store_error() {
        let r: Result<(), StoreError> = client_guard(|| {
            let v: Vec<u8> = Vec::new();
            let i = v.len();
            std::hint::black_box(v[i]);
            Ok(())
        });
        let e = r.unwrap_err();
        assert!(e.text.contains("panic: index out of bounds"), "{}", e.text);
        assert!(!e.missing_table);
        // A message with Debug output in it is not repeated.
        let r: Result<(), StoreError> = client_guard(|| panic!("bad {:?}", Some(1)));
        assert!(!r.unwrap_err().text.contains("Some"));
        assert_eq!(client_guard(|| Ok(7)), Ok(7));
    }
}
