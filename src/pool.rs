//! Per-process server pools: for one save_path (and the directives that shape
//! it) the parsed server list, the key distribution, idle connections per
//! server, and each server's failure state.
//!
//! * Connections are reused across requests of the same PHP process and
//!   handed to one request at a time (a `Mutex` around each idle list), so no
//!   connection is ever shared between threads under ZTS.
//! * A connection that saw any error is dropped, never returned.
//! * An idle connection the server closed meanwhile (memcached restarted,
//!   idle timeout) is detected on first use and the command is replayed once
//!   on a fresh connection; every command we send is safe to repeat.
//! * A server that failed (connect error, timeout, I/O error) is skipped by
//!   every later request of the process until its retry interval has passed,
//!   so a dead server costs its timeout once per interval, not per request
//!   (pecl-memcache's `retry_interval` semantics).

use crate::{
    connection::Connection,
    error::{Error, Result},
    hash::{Distribution, HashFunction, Strategy},
    protocol::{Command, Reply},
    save_path::{self, ServerSpec},
};
use once_cell::sync::Lazy;
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    io,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Idle connections kept per server and process.
pub const MAX_IDLE_PER_SERVER: usize = 4;

/// Pools kept per process (one per distinct save_path + settings).
const MAX_POOLS: usize = 32;

/// Everything besides the server list that shapes a pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolSettings {
    /// Connect timeout in milliseconds (`rsmemcache.connect_timeout`).
    pub connect_timeout_ms: u64,
    /// Read/write timeout in milliseconds (`rsmemcache.timeout`).
    pub timeout_ms: u64,
    /// Seconds a failed server is skipped (`rsmemcache.retry_interval`).
    pub retry_interval_s: u64,
    /// Key distribution strategy.
    pub strategy: Strategy,
    /// Key hash function.
    pub function: HashFunction,
}

/// One server of a pool: its address, idle connections and health.
#[derive(Debug)]
pub struct Server {
    spec: ServerSpec,
    label: String,
    connect_timeout: Duration,
    io_timeout: Duration,
    retry_interval: Duration,
    idle: Mutex<Vec<Connection>>,
    failed_until: Mutex<Option<Instant>>,
    /// The server's `item_size_max` in bytes; 0 until first asked.
    item_size_max: AtomicU64,
}

impl Server {
    fn new(spec: ServerSpec, s: &PoolSettings) -> Self {
        let timeout = spec.timeout_ms;
        Self {
            label: spec.label(),
            connect_timeout: Duration::from_millis(timeout.unwrap_or(s.connect_timeout_ms)),
            io_timeout: Duration::from_millis(timeout.unwrap_or(s.timeout_ms)),
            retry_interval: Duration::from_secs(
                spec.retry_interval_s.unwrap_or(s.retry_interval_s),
            ),
            spec,
            idle: Mutex::new(Vec::new()),
            failed_until: Mutex::new(None),
            item_size_max: AtomicU64::new(0),
        }
    }

    /// The server's label (`host:port` or `unix:///path`).
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The parsed save_path entry.
    #[must_use]
    pub fn spec(&self) -> &ServerSpec {
        &self.spec
    }

    /// `Some(instant)` while the server is marked failed.
    #[must_use]
    pub fn failed_until(&self) -> Option<Instant> {
        let until = *self.failed_until.lock();
        until.filter(|t| *t > Instant::now())
    }

    fn mark_failed(&self) {
        *self.failed_until.lock() = Some(Instant::now() + self.retry_interval);
        self.idle.lock().clear();
        // It may come back with other settings.
        self.item_size_max.store(0, Ordering::Relaxed);
    }

    fn connect(&self) -> Result<Connection> {
        Connection::connect(&self.spec, self.connect_timeout, self.io_timeout)
    }

    fn release(&self, conn: Connection) {
        if conn.is_broken() {
            return;
        }
        let mut idle = self.idle.lock();
        if idle.len() < MAX_IDLE_PER_SERVER {
            idle.push(conn);
        }
    }
}

/// True for errors that show a reused connection had been closed by the
/// server while idle (so the command never reached it).
fn is_stale(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if matches!(
        source.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted
    ))
}

/// A server list with its distribution and connections.
#[derive(Debug)]
pub struct Pool {
    servers: Vec<Server>,
    dist: Distribution,
}

impl Pool {
    /// Builds a pool; no connection is opened until first use.
    ///
    /// # Panics
    /// If `specs` is empty.
    #[must_use]
    pub fn new(specs: Vec<ServerSpec>, settings: &PoolSettings) -> Self {
        let dist = Distribution::new(settings.strategy, settings.function, &specs);
        Self {
            servers: specs
                .into_iter()
                .map(|s| Server::new(s, settings))
                .collect(),
            dist,
        }
    }

    /// The key distribution over this pool's servers.
    #[must_use]
    pub fn distribution(&self) -> &Distribution {
        &self.dist
    }

    /// The servers, in save_path order.
    #[must_use]
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// Sends `cmds` to server `idx` in one write and returns one reply per
    /// command. Reuses an idle connection when there is one.
    ///
    /// # Errors
    /// [`Error::ServerDown`] while the server is marked failed; connect and
    /// I/O errors (which mark it failed); [`Error::Server`] for an error line.
    pub fn execute(&self, idx: usize, cmds: &[Command<'_>]) -> Result<Vec<Reply>> {
        self.with_connection(idx, |c| c.execute(cmds))
    }

    /// The largest item server `idx` stores (its `item_size_max`, bytes),
    /// asked once per process (`stats settings`) and cached until the server
    /// fails.
    ///
    /// # Errors
    /// As [`Pool::execute`]; a reply without `item_size_max` is a protocol
    /// error.
    pub fn item_size_max(&self, idx: usize) -> Result<u64> {
        let server = &self.servers[idx];
        let known = server.item_size_max.load(Ordering::Relaxed);
        if known != 0 {
            return Ok(known);
        }
        let stats = self.with_connection(idx, Connection::stats_settings)?;
        let limit = stats
            .iter()
            .find(|(k, _)| k == "item_size_max")
            .and_then(|(_, v)| v.parse::<u64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| Error::Protocol {
                server: server.label.clone(),
                detail: "stats settings without item_size_max".into(),
            })?;
        server.item_size_max.store(limit, Ordering::Relaxed);
        Ok(limit)
    }

    /// Runs `f` on a connection to server `idx`: an idle one when there is
    /// one (replaying `f` once on a fresh connection if the idle one turns
    /// out closed by the server), else a new one. The connection goes back to
    /// the idle list unless it saw an error.
    fn with_connection<T>(
        &self,
        idx: usize,
        mut f: impl FnMut(&mut Connection) -> Result<T>,
    ) -> Result<T> {
        let server = &self.servers[idx];
        if let Some(until) = server.failed_until() {
            return Err(Error::ServerDown {
                server: server.label.clone(),
                retry_in_ms: u64::try_from(
                    until.saturating_duration_since(Instant::now()).as_millis(),
                )
                .unwrap_or(u64::MAX),
            });
        }
        let reused = server.idle.lock().pop();
        let fresh = |f: &mut dyn FnMut(&mut Connection) -> Result<T>| {
            let mut conn = server.connect()?;
            let r = f(&mut conn);
            server.release(conn);
            r
        };
        let result = match reused {
            Some(mut conn) => match f(&mut conn) {
                Err(e) if is_stale(&e) => fresh(&mut f),
                other => {
                    server.release(conn);
                    other
                }
            },
            None => fresh(&mut f),
        };
        if let Err(e) = &result
            && e.is_server_fault()
        {
            server.mark_failed();
        }
        result
    }
}

/// Pools by save_path and settings.
type Registry = HashMap<(String, PoolSettings), Arc<Pool>>;

static POOLS: Lazy<Mutex<Registry>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// The process-wide pool for `save_path` and `settings`, built on first use
/// and reused by every later request (no per-request parse or ring build).
///
/// # Errors
/// save_path errors from [`save_path::parse`].
pub fn shared(save_path: &str, settings: &PoolSettings) -> Result<Arc<Pool>> {
    let key = (save_path.to_owned(), settings.clone());
    if let Some(p) = POOLS.lock().get(&key) {
        return Ok(Arc::clone(p));
    }
    let pool = Arc::new(Pool::new(save_path::parse(save_path)?, settings));
    let mut pools = POOLS.lock();
    if pools.len() >= MAX_POOLS {
        pools.clear();
    }
    Ok(Arc::clone(pools.entry(key).or_insert(pool)))
}

/// Every pool of this process, for `php --ri` and `rsmemcache_servers()`.
#[must_use]
pub fn all() -> Vec<Arc<Pool>> {
    POOLS.lock().values().cloned().collect()
}
