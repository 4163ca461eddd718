//! The seam between the session logic and the network: what the session
//! driver needs from a server pool. [`crate::net::pool::Pool`] implements it
//! over real sockets; the unit tests implement it with scripted replies, so
//! every decision of the driver is tested without a socket.

use crate::{
    core::hash::Distribution,
    error::{Error, Result},
    net::pool::{Job, Pool},
    net::protocol::{Command, Reply},
};
use std::time::Duration;

/// A pool of memcached servers as the session driver sees it.
pub trait Transport: std::fmt::Debug + Send + Sync {
    /// One parallel round trip: each job's commands sent to its server,
    /// one result per job (its replies in command order, or that server's
    /// error). Jobs name distinct servers.
    fn execute_parallel(&self, jobs: &[Job<'_>]) -> Vec<Result<Vec<Reply>>>;

    /// The key distribution over the servers.
    fn distribution(&self) -> &Distribution;

    /// Number of servers of the current list (the indexes the
    /// distribution places sessions on; servers only in
    /// `rsmemcache.previous_save_path` come after them).
    fn server_count(&self) -> usize;

    /// The probe order (pool indexes, home first) that the server list
    /// before a resize (`rsmemcache.previous_save_path`) gives a key hashed
    /// as `hash_key`; empty when there is none.
    fn previous_order(&self, _hash_key: &[u8], _max_probes: usize) -> Vec<usize> {
        Vec::new()
    }

    /// A server's label (`host:port` or `unix:///path`).
    fn label(&self, server: usize) -> String;

    /// Whether a request may use the server now (not marked failed).
    fn usable(&self, server: usize) -> bool;

    /// [`Error::ServerDown`] while the server is marked failed.
    fn down_error(&self, server: usize) -> Option<Error>;

    /// The server's `item_size_max` in bytes, once learned (no I/O).
    fn known_item_size_max(&self, server: usize) -> Option<u64>;

    /// Deletes `key` on `server` once it answers again, if it still holds
    /// exactly `value` (a lock add whose outcome is unknown; `ttl_s` is the
    /// lock's TTL in seconds, after which nothing is left to delete).
    fn delete_when_back(&self, server: usize, key: Vec<u8>, value: Vec<u8>, ttl_s: u32);

    /// Lines for PHP's error log queued since the last call.
    fn take_events(&self) -> Vec<String>;

    /// A single server's round trip.
    ///
    /// # Errors
    /// That server's error.
    fn execute(&self, server: usize, cmds: &[Command<'_>]) -> Result<Vec<Reply>>;

    /// The retry interval of a server.
    fn retry_interval(&self, server: usize) -> Duration;

    /// Sends `cmds` to `server` without awaiting their replies (read and
    /// matched at the connection's next use): no round trip is waited for.
    /// For commands whose outcome the request does not need.
    ///
    /// # Errors
    /// That server's error, when the send failed.
    fn send_unawaited(&self, server: usize, cmds: &[Command<'_>]) -> Result<()>;
}

impl Transport for Pool {
    fn execute_parallel(&self, jobs: &[Job<'_>]) -> Vec<Result<Vec<Reply>>> {
        Pool::execute_parallel(self, jobs)
    }
    fn distribution(&self) -> &Distribution {
        Pool::distribution(self)
    }
    fn server_count(&self) -> usize {
        self.current_count()
    }
    fn previous_order(&self, hash_key: &[u8], max_probes: usize) -> Vec<usize> {
        Pool::previous_order(self, hash_key, max_probes)
    }
    fn label(&self, server: usize) -> String {
        self.servers()[server].label().to_owned()
    }
    fn usable(&self, server: usize) -> bool {
        self.servers()[server].usable()
    }
    fn down_error(&self, server: usize) -> Option<Error> {
        self.servers()[server].down_error()
    }
    fn known_item_size_max(&self, server: usize) -> Option<u64> {
        self.servers()[server].known_item_size_max()
    }
    fn delete_when_back(&self, server: usize, key: Vec<u8>, value: Vec<u8>, ttl_s: u32) {
        let ttl = std::time::Duration::from_secs(u64::from(ttl_s));
        Pool::delete_when_back(self, server, key, value, ttl);
    }
    fn take_events(&self) -> Vec<String> {
        Pool::take_events(self)
    }
    fn retry_interval(&self, server: usize) -> Duration {
        self.servers()[server].retry_interval()
    }
    fn execute(&self, server: usize, cmds: &[Command<'_>]) -> Result<Vec<Reply>> {
        Pool::execute(self, server, cmds)
    }
    fn send_unawaited(&self, server: usize, cmds: &[Command<'_>]) -> Result<()> {
        Pool::send_unawaited(self, server, cmds)
    }
}
