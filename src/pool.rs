//! Per-process server pools: for one save_path (and the directives that shape
//! it) the parsed server list, the key distribution, idle connections per
//! server, and each server's failure state.
//!
//! * Connections are reused across requests of the same PHP process and
//!   handed to one request at a time (a `Mutex` around each idle list, popped
//!   while in use), so no connection is ever shared between threads under
//!   ZTS. At most [`MAX_IDLE_PER_SERVER`] are kept per server.
//! * A connection that saw any error is dropped, never returned.
//! * A connection idle for [`IDLE_CHECK_AFTER`] or longer is checked before
//!   use (a non-blocking read must find nothing); one the server closed
//!   meanwhile that slips through is detected on first use and the commands
//!   are replayed once on a fresh connection; every command we send is safe
//!   to repeat.
//! * A server that failed (connect error, timeout, I/O or protocol error) is
//!   skipped by every later request of the process until its retry interval
//!   has passed, then tried again by the next request that needs it
//!   ([`Health`]), so a dead server costs its timeout once per interval, not
//!   per request (pecl-memcache's `retry_interval` semantics).
//! * [`Pool::execute_parallel`] sends one pipeline to each of several servers
//!   before reading any reply, so reaching N servers costs one round trip.

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

/// An idle connection unused for this long is checked before it is used.
pub const IDLE_CHECK_AFTER: Duration = Duration::from_secs(2);

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

/// A server's failure state machine, driven by the instants passed in (so
/// it is tested with a fake clock): *up* → (error) → *failed until t* →
/// (t passed) → *retry due*: the next request tries it; success makes it
/// *up*, another error *failed* for a new interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    failed_until: Option<Instant>,
    /// Errors seen since the process started.
    pub failures: u64,
    /// The last error's text.
    pub last_error: Option<String>,
}

/// What [`Health::state`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Usable (never failed, or answered since).
    Up,
    /// Skipped until this instant.
    Failed(Instant),
    /// Failed, and its retry interval has passed: the next use tries it.
    RetryDue,
}

impl Health {
    /// The state at `now`.
    #[must_use]
    pub fn state(&self, now: Instant) -> State {
        match self.failed_until {
            None => State::Up,
            Some(t) if t > now => State::Failed(t),
            Some(_) => State::RetryDue,
        }
    }

    /// Whether a request at `now` may use the server.
    #[must_use]
    pub fn usable(&self, now: Instant) -> bool {
        !matches!(self.state(now), State::Failed(_))
    }

    /// Records an error at `now`: skipped for `retry` from now (a zero
    /// interval means "retry on the next use").
    pub fn fail(&mut self, now: Instant, retry: Duration, error: String) {
        self.failed_until = Some(now + retry);
        self.failures += 1;
        self.last_error = Some(error);
    }

    /// Records a successful round trip.
    pub fn succeed(&mut self) {
        self.failed_until = None;
    }
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
    health: Mutex<Health>,
    /// The server's `item_size_max` in bytes; 0 until first asked.
    item_size_max: AtomicU64,
    /// Items to delete if they still hold a given value, once the server
    /// answers again (see [`Pool::delete_when_back`]).
    pending_deletes: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
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
            health: Mutex::new(Health::default()),
            item_size_max: AtomicU64::new(0),
            pending_deletes: Mutex::new(Vec::new()),
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
        match self.health.lock().state(Instant::now()) {
            State::Failed(t) => Some(t),
            State::Up | State::RetryDue => None,
        }
    }

    /// A copy of the server's health record.
    #[must_use]
    pub fn health(&self) -> Health {
        self.health.lock().clone()
    }

    /// Idle connections currently kept.
    #[must_use]
    pub fn idle_connections(&self) -> usize {
        self.idle.lock().len()
    }

    /// Whether a request may use the server now.
    #[must_use]
    pub fn usable(&self) -> bool {
        self.health.lock().usable(Instant::now())
    }

    /// The retry interval for this server.
    #[must_use]
    pub fn retry_interval(&self) -> Duration {
        self.retry_interval
    }

    fn mark_failed(&self, e: &Error) {
        self.health
            .lock()
            .fail(Instant::now(), self.retry_interval, e.to_string());
        self.idle.lock().clear();
        // It may come back with other settings.
        self.item_size_max.store(0, Ordering::Relaxed);
    }

    /// [`Error::ServerDown`] while the server is marked failed, else `None`.
    #[must_use]
    pub fn down_error(&self) -> Option<Error> {
        let until = self.failed_until()?;
        Some(Error::ServerDown {
            server: self.label.clone(),
            retry_in_ms: u64::try_from(until.saturating_duration_since(Instant::now()).as_millis())
                .unwrap_or(u64::MAX),
        })
    }

    /// An idle connection that still looks open, if any.
    fn take_idle(&self) -> Option<Connection> {
        loop {
            let mut conn = self.idle.lock().pop()?;
            if conn.last_used().elapsed() < IDLE_CHECK_AFTER || conn.looks_open() {
                return Some(conn);
            }
        }
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

    /// Books the outcome of a round trip: success clears a failure, a server
    /// fault marks the server failed.
    fn record<T>(&self, r: &Result<T>) {
        match r {
            Ok(_) => {
                let mut h = self.health.lock();
                if h.failed_until.is_some() {
                    h.succeed();
                }
            }
            Err(e) if e.is_server_fault() && !matches!(e, Error::ServerDown { .. }) => {
                self.mark_failed(e);
            }
            Err(_) => {}
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

/// A server's state as `php --ri rsmemcache` and `rsmemcache_servers()`
/// show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerStatus {
    /// `host:port`, `[v6]:port` or `unix:///path`.
    pub label: String,
    /// Weight from save_path.
    pub weight: u32,
    /// `up`, `failed` (skipped until `failed_until`) or `retry due` (failed,
    /// interval passed: the next request tries it).
    pub state: &'static str,
    /// While failed: when it is tried again, unix time in seconds.
    pub failed_until_unix: Option<f64>,
    /// While failed: milliseconds until it is tried again.
    pub retry_in_ms: Option<u64>,
    /// Errors seen by this process.
    pub failures: u64,
    /// The last error's text.
    pub last_error: Option<String>,
    /// Idle connections kept.
    pub idle_connections: usize,
}

impl Server {
    /// This server's [`ServerStatus`] now.
    #[must_use]
    pub fn status(&self) -> ServerStatus {
        let health = self.health();
        let now = Instant::now();
        let (state, until) = match health.state(now) {
            State::Up => ("up", None),
            State::Failed(t) => ("failed", Some(t.saturating_duration_since(now))),
            State::RetryDue => ("retry due", None),
        };
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        ServerStatus {
            label: self.label.clone(),
            weight: self.spec.weight,
            state,
            failed_until_unix: until.map(|d| (wall + d).as_secs_f64()),
            retry_in_ms: until.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            failures: health.failures,
            last_error: health.last_error,
            idle_connections: self.idle_connections(),
        }
    }
}

/// Most pending deletes kept per server; older ones are dropped (their items
/// expire by TTL anyway).
const MAX_PENDING_DELETES: usize = 64;

/// One server's share of a parallel round trip.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// Server index in the pool.
    pub server: usize,
    /// Commands sent to it in one write, in order.
    pub cmds: Vec<Command<'a>>,
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
        let job = Job {
            server: idx,
            cmds: cmds.to_vec(),
        };
        self.execute_parallel(std::slice::from_ref(&job))
            .pop()
            .expect("one job, one result")
    }

    /// Remembers that `key` on server `idx` may hold `value`, written by a
    /// command whose outcome is unknown (it timed out: a stopped or
    /// partitioned server may still execute it when it resumes — a lock add
    /// would then leave a lock nobody holds). The next time this process
    /// uses the server, the item is deleted if it holds exactly `value`
    /// (`mg` then `md C<cas>`).
    pub fn delete_when_back(&self, idx: usize, key: Vec<u8>, value: Vec<u8>) {
        let mut list = self.servers[idx].pending_deletes.lock();
        if list.len() >= MAX_PENDING_DELETES {
            list.remove(0);
        }
        list.push((key, value));
    }

    /// Runs the pending deletes of server `idx`, if any (called after a
    /// round trip to it succeeded, so a server still hanging costs no second
    /// timeout); those that cannot run now stay pending.
    fn settle_pending(&self, idx: usize) {
        let server = &self.servers[idx];
        let pending = std::mem::take(&mut *server.pending_deletes.lock());
        if pending.is_empty() {
            return;
        }
        let done = self.with_connection(idx, |c| {
            for (key, value) in &pending {
                if let Some(Reply::Value(v, meta)) = c.execute(&[Command::peek(key)])?.pop()
                    && v == *value
                {
                    c.execute(&[Command::Delete { key, cas: meta.cas }])?;
                }
            }
            Ok(())
        });
        if done.is_err() {
            server.pending_deletes.lock().extend(pending);
        }
    }

    /// Sends each job's commands to its server — every pipeline written
    /// before any reply is read, so N servers cost one round trip — and
    /// returns one result per job, in order: the replies, or that server's
    /// error (other jobs are unaffected). Jobs must name distinct servers.
    pub fn execute_parallel(&self, jobs: &[Job<'_>]) -> Vec<Result<Vec<Reply>>> {
        // Phase 1: a connection per job, pipeline written.
        let mut sent: Vec<Result<(Connection, bool)>> = jobs
            .iter()
            .map(|job| {
                let server = &self.servers[job.server];
                if let Some(e) = server.down_error() {
                    return Err(e);
                }
                let (mut conn, reused) = match server.take_idle() {
                    Some(c) => (c, true),
                    None => (server.connect()?, false),
                };
                for c in &job.cmds {
                    conn.queue(c);
                }
                match conn.flush() {
                    Ok(()) => Ok((conn, reused)),
                    Err(e) if reused && is_stale(&e) => {
                        let mut fresh = server.connect()?;
                        for c in &job.cmds {
                            fresh.queue(c);
                        }
                        fresh.flush().map(|()| (fresh, false))
                    }
                    Err(e) => Err(e),
                }
            })
            .collect();
        // Phase 2: the replies, server by server.
        jobs.iter()
            .zip(sent.drain(..))
            .map(|(job, conn)| {
                let server = &self.servers[job.server];
                let result = conn.and_then(|(mut conn, reused)| {
                    let replies: Result<Vec<Reply>> =
                        job.cmds.iter().map(|_| conn.read_reply()).collect();
                    match replies {
                        Err(e) if reused && is_stale(&e) => {
                            let mut fresh = server.connect()?;
                            let r = fresh.execute(&job.cmds);
                            server.release(fresh);
                            r
                        }
                        other => {
                            server.release(conn);
                            other
                        }
                    }
                });
                server.record(&result);
                if result.is_ok() {
                    // Answering again: finish what a timeout left open.
                    self.settle_pending(job.server);
                }
                result
            })
            .collect()
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
        if let Some(e) = server.down_error() {
            return Err(e);
        }
        let fresh = |f: &mut dyn FnMut(&mut Connection) -> Result<T>| {
            let mut conn = server.connect()?;
            let r = f(&mut conn);
            server.release(conn);
            r
        };
        let result = match server.take_idle() {
            Some(mut conn) => match f(&mut conn) {
                Err(e) if is_stale(&e) => fresh(&mut f),
                other => {
                    server.release(conn);
                    other
                }
            },
            None => fresh(&mut f),
        };
        server.record(&result);
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
    // Most processes use one save_path: check the last one first, without
    // hashing or allocating.
    let hit = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(p, s, _)| p == save_path && s == settings)
            .map(|(_, _, pool)| Arc::clone(pool))
    });
    if let Some(pool) = hit {
        return Ok(pool);
    }
    let pool = shared_slow(save_path, settings)?;
    LAST.with_borrow_mut(|last| {
        *last = Some((save_path.to_owned(), settings.clone(), Arc::clone(&pool)));
    });
    Ok(pool)
}

thread_local! {
    /// The pool this thread used last, with its save_path and settings.
    static LAST: std::cell::RefCell<Option<(String, PoolSettings, Arc<Pool>)>> =
        const { std::cell::RefCell::new(None) };
}

fn shared_slow(save_path: &str, settings: &PoolSettings) -> Result<Arc<Pool>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn health_state_machine_with_a_fake_clock() {
        let t0 = Instant::now();
        let mut h = Health::default();
        assert_eq!(h.state(t0), State::Up);
        h.fail(t0, 15 * S, "refused".into());
        assert_eq!(h.state(t0), State::Failed(t0 + 15 * S));
        assert!(!h.usable(t0 + 14 * S), "skipped for the whole interval");
        assert_eq!(h.state(t0 + 15 * S), State::RetryDue);
        assert!(h.usable(t0 + 15 * S), "tried again once it has passed");
        // The retry fails: skipped for a new interval from then.
        h.fail(t0 + 16 * S, 15 * S, "refused".into());
        assert!(!h.usable(t0 + 30 * S));
        assert!(h.usable(t0 + 31 * S));
        // The retry succeeds: up.
        h.succeed();
        assert_eq!(h.state(t0 + 31 * S), State::Up);
        assert_eq!((h.failures, h.last_error.as_deref()), (2, Some("refused")));
    }

    #[test]
    fn zero_retry_interval_retries_on_the_next_use() {
        let t0 = Instant::now();
        let mut h = Health::default();
        h.fail(t0, Duration::ZERO, "x".into());
        assert!(h.usable(t0));
    }
}
