//! Per-process server pools: for one save_path (and the directives that shape
//! it) the parsed server list, the key distribution, idle connections per
//! server, and each server's failure state.
//!
//! * Connections are reused across requests of the same PHP process and
//!   handed to one request at a time (a `Mutex` around each idle list, popped
//!   while in use), so no connection is ever shared between threads under
//!   ZTS. A connection is opened only when none is idle, so a server's idle
//!   list holds at most as many as were in use at once: one per worker
//!   process under php-fpm or Apache prefork, up to the number of threads
//!   in a threaded server (FrankenPHP, a ZTS SAPI). At most
//!   [`MAX_IDLE_PER_SERVER`] are kept per server.
//! * A connection that saw any error, an error line or stray bytes is
//!   dropped, never returned. An idle connection is checked before each use
//!   (one non-blocking `recv` must find nothing), and one opened by another
//!   process (before a `fork()`) is never used.
//! * Replays only where safe: when a reused connection turns out closed
//!   before any reply byte came back (the server closed it while idle, or
//!   restarted), the pipeline is re-sent on a fresh connection only if every
//!   command in it is safe to repeat ([`Command::safe_to_repeat`]);
//!   otherwise the error is returned without marking the server failed, and
//!   the session layer resolves the outcome by reading state.
//! * A server that failed (connect error, timeout, I/O or protocol error) is
//!   skipped by every later request — of every worker of the master
//!   running as the same user: the state lives in the shared table of
//!   [`crate::shared_state::shared`], one slot per uid and server, claimed once the server
//!   has answered — until its retry interval has passed since the failure
//!   (each request applies its own interval, capped by php.ini's), then
//!   probed again by exactly one request that needs it ([`Health`]), so a
//!   dead server costs its timeout once per interval and master, not per
//!   request or per worker (pecl-memcache's `retry_interval` semantics,
//!   made farm-wide). Each error a request paid for is queued as an event
//!   ([`Pool::take_events`]) for the error log. Without a shared slot (no
//!   module startup, full table, a server that never answered) the state
//!   is this process's own, as before.
//! * [`Pool::execute_parallel`] writes one pipeline to each of several
//!   servers and waits for all replies together, each server against its
//!   own deadline ([`crate::net::connection::drive`]).
//! * With `rsmemcache.auth_file`, each new connection's first pipeline
//!   starts with the authentication `set` (memcached `-Y`), so it costs no
//!   extra round trip; a refusal is a server fault like a refused connect.
//! * A server's `item_size_max` is learned with the first pipeline sent to
//!   it (`stats settings` in front, once per process and server) and then
//!   bounds the values it may announce and the sessions planned for it.

pub mod previous;
mod status;

pub use crate::shared_state::health::{Admit, Fault, Health, State};
use crate::{
    core::hash::{Distribution, HashFunction, Strategy},
    core::save_path::ServerSpec,
    error::{Error, Result},
    net::connection::{Connection, drive},
    net::protocol::{Command, Reply},
    shared_state::shared::{self, Cells},
    shared_state::stats::{self, ServerCounter},
};
use parking_lot::Mutex;
pub use status::ServerStatus;
use std::{
    io,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Idle connections kept per server and process: a bound on the file
/// descriptors kept after a burst, above the thread count of any threaded
/// PHP server. (A smaller cap makes the threads beyond it reconnect on every
/// request: with 8 threads and 4 kept, about a connect per request, and
/// closed connections piling up in `TIME_WAIT`.)
pub const MAX_IDLE_PER_SERVER: usize = 256;

/// Everything besides the server list that shapes a pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolSettings {
    /// Connect timeout in milliseconds (`rsmemcache.connect_timeout`).
    pub connect_timeout_ms: u64,
    /// Read/write timeout in milliseconds (`rsmemcache.timeout`).
    pub timeout_ms: u64,
    /// Seconds a failed server is skipped (`rsmemcache.retry_interval`).
    pub retry_interval_s: u64,
    /// The longest retry interval php.ini sets, in seconds (its
    /// `rsmemcache.retry_interval`, or a `retry_interval=` in its
    /// `session.save_path`): every server's interval is capped by it, so a
    /// value set at run time can only shorten it. 86 400 (the range's top)
    /// where php.ini is not known.
    pub retry_interval_cap_s: u64,
    /// Key distribution strategy.
    pub strategy: Strategy,
    /// Key hash function.
    pub function: HashFunction,
    /// Path of the memcached ASCII authentication credentials
    /// (`rsmemcache.auth_file`); empty: no authentication.
    pub auth_file: String,
    /// The `rsmemcache.tls*` directives.
    pub tls: crate::net::tls::TlsSettings,
    /// `rsmemcache.previous_save_path` as set (trimmed; empty: none).
    pub previous_save_path: String,
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
    /// The server's slot: health (and counters), shared by the workers of a
    /// master where a shared table exists.
    cells: Cells,
    /// The last error's full text as this process saw it (the slot holds
    /// only its kind).
    last_error: Mutex<Option<String>>,
    /// The server's `item_size_max` in bytes; 0 until first asked.
    item_size_max: AtomicU64,
    /// Items to delete if they still hold a given value, once the server
    /// answers again (see [`Pool::delete_when_back`]).
    pending_deletes: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
    /// Connections whose pipeline timed out, kept (at most
    /// [`MAX_LATE_PER_SERVER`], newest): an add's late reply may be watched
    /// ([`crate::net::late`]), and a lock release can still reach a server that
    /// is only slow or stopped ([`Pool::send_unawaited`]).
    late: Mutex<Vec<Connection>>,
    /// In the current list, the previous one (a resize), or both.
    role: previous::Role,
}

/// Timed-out connections kept per server for [`crate::net::late`].
pub const MAX_LATE_PER_SERVER: usize = 2;

impl Server {
    fn new(spec: ServerSpec, s: &PoolSettings) -> Self {
        let timeout = spec.timeout_ms;
        let label = spec.label();
        Self {
            cells: Cells::new(&identity::shared_identity(&spec, &label, s)),
            last_error: Mutex::new(None),
            label,
            connect_timeout: Duration::from_millis(timeout.unwrap_or(s.connect_timeout_ms)),
            io_timeout: Duration::from_millis(timeout.unwrap_or(s.timeout_ms)),
            retry_interval: Duration::from_secs(
                spec.retry_interval_s
                    .unwrap_or(s.retry_interval_s)
                    .min(s.retry_interval_cap_s),
            ),
            spec,
            idle: Mutex::new(Vec::new()),
            item_size_max: AtomicU64::new(0),
            pending_deletes: Mutex::new(Vec::new()),
            late: Mutex::new(Vec::new()),
            role: previous::Role::Current,
        }
    }

    /// The server's part in a resize ([`previous::Role`]).
    #[must_use]
    pub fn role(&self) -> previous::Role {
        self.role
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

    /// Idle connections currently kept.
    #[must_use]
    pub fn idle_connections(&self) -> usize {
        self.idle.lock().len()
    }

    /// The retry interval for this server (capped by php.ini's, see
    /// [`PoolSettings::retry_interval_cap_s`]).
    #[must_use]
    pub fn retry_interval(&self) -> Duration {
        self.retry_interval
    }

    /// Marks the server failed (for every process sharing its slot).
    fn mark_failed(&self, e: &Error) {
        let fault = Fault::of(e);
        let now = shared::now_ms();
        self.health().fail(now, fault);
        self.cells.touch(now);
        stats::bump_server(&self.cells, ServerCounter::Failed(fault));
        *self.last_error.lock() = Some(e.to_string());
        self.idle.lock().clear();
        // It may come back with other settings.
        self.item_size_max.store(0, Ordering::Relaxed);
    }

    /// The server's `item_size_max` in bytes, once learned.
    #[must_use]
    pub fn known_item_size_max(&self) -> Option<u64> {
        match self.item_size_max.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// An idle connection of this process that still looks open, if any.
    /// Connections of another process (inherited through `fork()`) are
    /// forgotten: dropping closes only this process's descriptor.
    fn take_idle(&self) -> Option<Connection> {
        loop {
            let mut conn = self.idle.lock().pop()?;
            if !conn.owned_by_this_process() {
                self.idle.lock().clear();
                drop(conn);
                continue;
            }
            if conn.looks_open() {
                return Some(conn);
            }
        }
    }

    fn connect(&self, tls: &crate::net::tls::TlsSettings) -> Result<Connection> {
        let tls = crate::net::tls::for_server(&self.spec, tls)?;
        Connection::connect_tls(&self.spec, self.connect_timeout, self.io_timeout, tls)
    }

    /// Keeps a connection whose pipeline held an add and timed out (see
    /// [`Server::late`]).
    fn keep_late(&self, conn: Connection) {
        let mut late = self.late.lock();
        late.retain(Connection::owned_by_this_process);
        if late.len() >= MAX_LATE_PER_SERVER {
            late.remove(0);
        }
        late.push(conn);
    }

    /// Takes the kept timed-out connection that still owes the reply to a
    /// command on `key`.
    fn take_late(&self, key: &[u8]) -> Option<Connection> {
        let mut late = self.late.lock();
        let at = late
            .iter()
            .position(|c| c.owned_by_this_process() && c.owed_reply_for(key).is_some())?;
        Some(late.swap_remove(at))
    }

    /// Takes the newest kept timed-out connection of this process.
    fn take_newest_late(&self) -> Option<Connection> {
        let mut late = self.late.lock();
        late.retain(Connection::owned_by_this_process);
        late.pop()
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

    /// Books a successful round trip: the server gets its shared slot if it
    /// had none (see [`crate::shared_state::shared::Cells::answered`]), and a failure is
    /// cleared.
    fn record_success(&self) {
        self.cells.answered(shared::now_ms());
        self.health().succeed();
    }

    /// Books an error: a server fault marks the server failed and returns
    /// the log line (one per error a request paid for: with the shared
    /// table, one per interval and master).
    fn record_error(&self, e: &Error) -> Option<String> {
        (e.is_server_fault() && !matches!(e, Error::ServerDown { .. })).then(|| {
            self.mark_failed(e);
            format!(
                "{e}; the server is skipped for {} s",
                self.retry_interval.as_secs()
            )
        })
    }
}

/// True for errors that show a reused connection had been closed by the
/// server (while idle, or by a restart) before any reply byte came back.
fn is_stale(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if matches!(
        source.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted | io::ErrorKind::WriteZero
    ))
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
    /// The current list, then the servers only in the previous list.
    servers: Vec<Server>,
    /// How many of `servers` are the current list (`dist` covers them).
    current: usize,
    /// Where the list before a resize placed sessions ([`previous`]).
    previous: Option<previous::Previous>,
    dist: Distribution,
    /// Lines for the error log: servers newly marked failed, connections
    /// dropped for stray bytes (see [`Pool::take_events`]).
    events: Mutex<Vec<String>>,
    /// `rsmemcache.auth_file`, if set: every new connection authenticates
    /// first.
    auth_file: Option<String>,
    /// The `rsmemcache.tls*` directives.
    tls: crate::net::tls::TlsSettings,
}

/// Most events kept until taken.
const MAX_EVENTS: usize = 32;

impl Pool {
    /// Builds a pool; no connection is opened until first use.
    ///
    /// # Panics
    /// If `specs` is empty.
    #[must_use]
    pub fn new(specs: Vec<ServerSpec>, settings: &PoolSettings) -> Self {
        Self::with_previous(specs, &[], settings)
    }

    /// The key distribution over this pool's servers.
    #[must_use]
    pub fn distribution(&self) -> &Distribution {
        &self.dist
    }

    /// The servers, in save_path order (then those only in
    /// `rsmemcache.previous_save_path`, see [`previous`]).
    #[must_use]
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// Takes the lines queued for PHP's error log since the last call: a
    /// server newly marked failed (once per server per retry interval), a
    /// connection dropped because of stray bytes.
    pub fn take_events(&self) -> Vec<String> {
        let mut lines = std::mem::take(&mut *self.events.lock());
        lines.extend(crate::net::late::take_events());
        lines.extend(crate::secrets::secret_file::take_notices());
        lines
    }

    fn event(&self, line: String) {
        let mut ev = self.events.lock();
        if ev.len() < MAX_EVENTS {
            ev.push(line);
        }
    }

    /// Sends `cmds` to server `idx` in one write and returns one reply per
    /// command. Reuses an idle connection when there is one.
    ///
    /// # Errors
    /// [`Error::ServerDown`] while the server is marked failed; connect,
    /// timeout, I/O and protocol errors (which mark it failed).
    pub fn execute(&self, idx: usize, cmds: &[Command<'_>]) -> Result<Vec<Reply>> {
        let job = Job {
            server: idx,
            cmds: cmds.to_vec(),
        };
        self.execute_parallel(std::slice::from_ref(&job))
            .pop()
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Sends each job's commands to its server — every pipeline written
    /// before any reply is awaited, all replies awaited together, so N
    /// servers cost one round trip and a silent server only its own
    /// deadline — and returns one result per job, in order: the replies, or
    /// that server's error (other jobs are unaffected). Jobs must name
    /// distinct servers. Servers that answered run their pending deletes.
    pub fn execute_parallel(&self, jobs: &[Job<'_>]) -> Vec<Result<Vec<Reply>>> {
        let out = self.run(jobs);
        for (job, r) in jobs.iter().zip(&out) {
            if r.is_ok() && !self.servers[job.server].pending_deletes.lock().is_empty() {
                self.settle_pending(job.server);
            }
        }
        out
    }

    /// [`Pool::execute_parallel`] without the pending deletes.
    fn run(&self, jobs: &[Job<'_>]) -> Vec<Result<Vec<Reply>>> {
        let mut out = self.round(jobs, true);
        // Reused connections found closed before any reply: re-send on a
        // fresh connection where every command is safe to repeat.
        let again: Vec<usize> = out
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                matches!(r, Err(Retry::Stale(_)))
                    && jobs[*i].cmds.iter().all(Command::safe_to_repeat)
            })
            .map(|(i, _)| i)
            .collect();
        if !again.is_empty() {
            let retry_jobs: Vec<Job<'_>> = again.iter().map(|&i| jobs[i].clone()).collect();
            for (i, r) in again.into_iter().zip(self.round(&retry_jobs, false)) {
                out[i] = r;
            }
        }
        // A stale connection's error is returned without marking the server
        // failed: it may well be fine (it restarted, or closed an idle
        // connection); the caller resolves what the unsafe commands did.
        out.into_iter()
            .map(|r| r.map_err(|(Retry::Stale(e) | Retry::No(e))| e))
            .collect()
    }

    /// One parallel round trip; `reuse` allows idle connections.
    fn round(&self, jobs: &[Job<'_>], reuse: bool) -> Vec<Result<Vec<Reply>, Retry>> {
        let mut out: Vec<Option<Result<Vec<Reply>, Retry>>> = jobs.iter().map(|_| None).collect();
        let mut sent: Vec<Sent> = Vec::with_capacity(jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            match self.send(i, job, reuse) {
                Ok(s) => sent.push(s),
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        let results = {
            let mut conns: Vec<&mut Connection> = sent.iter_mut().map(|s| &mut s.conn).collect();
            drive(&mut conns)
        };
        for (s, r) in sent.into_iter().zip(results) {
            let job = s.job;
            out[job] = Some(self.settle(&self.servers[jobs[job].server], s, r));
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Ok(Vec::new())))
            .collect()
    }

    /// Queues job `i`'s commands on a connection to its server (an idle one
    /// when `reuse`, else a new one, authenticated first) and starts it.
    fn send(&self, i: usize, job: &Job<'_>, reuse: bool) -> Result<Sent, Retry> {
        let server = &self.servers[job.server];
        if let Some(e) = server.down_error() {
            return Err(Retry::No(e));
        }
        let idle = if reuse { server.take_idle() } else { None };
        let (mut conn, reused) = match idle {
            Some(c) => (c, true),
            None => match server.connect(&self.tls) {
                Ok(c) => (c, false),
                Err(e) => {
                    if let Some(line) = server.record_error(&e) {
                        self.event(line);
                    }
                    return Err(Retry::No(e));
                }
            },
        };
        if !reused && let Some(path) = &self.auth_file {
            // Before anything else on a new connection. A file that cannot
            // be used is not the server's fault.
            let creds = crate::net::auth::load(path).map_err(Retry::No)?;
            conn.queue(&Command::Auth(&creds));
        }
        let known = server.known_item_size_max();
        if let Some(limit) = known {
            conn.set_max_value(usize::try_from(limit).unwrap_or(usize::MAX));
        } else {
            conn.queue(&Command::StatsSettings);
        }
        for c in &job.cmds {
            conn.queue(c);
        }
        conn.start();
        stats::bump_server(&server.cells, ServerCounter::Requests);
        Ok(Sent {
            job: i,
            conn,
            reused,
            stats: known.is_none(),
        })
    }

    /// What a sent job's pipeline came to (`r`, from the poll loop): its
    /// replies, the server's health and counters updated, the connection
    /// kept idle, watched for a late reply, or dropped.
    fn settle(&self, server: &Server, mut s: Sent, r: Result<()>) -> Result<Vec<Reply>, Retry> {
        match r {
            Ok(()) => {
                let mut replies = s.conn.take_replies();
                if s.stats
                    && !replies.is_empty()
                    && let Reply::Stats(stats) = replies.remove(0)
                    && let Some(limit) = crate::net::protocol::item_size_max(&stats)
                {
                    server.item_size_max.store(limit, Ordering::Relaxed);
                }
                if s.conn.saw_stray_bytes() {
                    self.event(format!(
                        "server {}: bytes after the last reply of a pipeline; connection dropped",
                        server.label
                    ));
                }
                server.record_success();
                for _ in replies.iter().filter(|r| matches!(r, Reply::Failed(_))) {
                    stats::bump_server(&server.cells, ServerCounter::Failed(Fault::Other));
                }
                server.release(s.conn);
                Ok(replies)
            }
            Err(e) if s.reused && !s.conn.received_any() && is_stale(&e) => Err(Retry::Stale(e)),
            Err(e) => {
                if let Some(line) = server.record_error(&e) {
                    self.event(line);
                }
                if s.conn.timed_out() {
                    server.keep_late(s.conn);
                }
                Err(Retry::No(e))
            }
        }
    }
}

/// A job's pipeline in flight during a round.
struct Sent {
    /// The job's index in the round.
    job: usize,
    conn: Connection,
    /// Taken from the idle connections (a stale one may be re-sent).
    reused: bool,
    /// A `stats settings` was queued first (the item size limit unknown).
    stats: bool,
}

/// Why a job of a round failed, and whether it may be re-sent.
#[derive(Debug)]
enum Retry {
    /// A reused connection closed before any reply byte: the server may not
    /// have seen the pipeline.
    Stale(Error),
    /// Any other error.
    No(Error),
}

mod deferred;
mod identity;
