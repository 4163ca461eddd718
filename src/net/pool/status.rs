//! A server's shared state as requests and operators see it: whether a
//! request may use it now (admission, the probe lease) and what
//! `php --ri rsmemcache` and `rsmemcache_servers()` show ([`ServerStatus`],
//! built from its shared health and this process's connections).

use super::{Admit, Health, Server, State};
use crate::{error::Error, shared_state::shared};
use std::time::Duration;

impl Server {
    /// `Some(monotonic ms)` (see [`shared::now_ms`]) while the server is
    /// marked failed.
    #[must_use]
    pub fn failed_until(&self) -> Option<u64> {
        match self.health().state(shared::now_ms(), self.retry_ms()) {
            State::Failed(t) => Some(t),
            State::Up | State::RetryDue => None,
        }
    }

    /// The server's health (a view of its slot).
    #[must_use]
    pub fn health(&self) -> Health<'_> {
        Health::of(&self.cells)
    }

    /// The server's slot (health and counters, see [`crate::shared_state::stats`]).
    #[must_use]
    pub fn slot(&self) -> &shared::Words {
        &self.cells
    }

    /// Whether the server's state is shared with other processes (of the
    /// same uid; only once the server has answered one of them).
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.cells.is_shared()
    }

    /// How long a probe may hold the server (see [`Health::admit`]): two
    /// connect-plus-I/O timeouts and a second, enough for the round trip
    /// that decides it.
    fn probe_lease_ms(&self) -> u64 {
        let one = self.connect_timeout + self.io_timeout;
        u64::try_from((2 * one).as_millis())
            .unwrap_or(u64::MAX / 4)
            .saturating_add(1000)
    }

    /// This process's retry interval for the server, in ms: what it applies
    /// to the failure time the slot holds.
    fn retry_ms(&self) -> u64 {
        u64::try_from(self.retry_interval().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether this thread may use the server now; when its retry is due,
    /// takes the probe if no other process holds it.
    fn admit(&self) -> Admit {
        self.health().admit(
            shared::now_ms(),
            shared::me(),
            self.probe_lease_ms(),
            self.retry_ms(),
        )
    }

    /// Whether a request may use the server now (up, or due for a retry
    /// and this thread is the one prober).
    #[must_use]
    pub fn usable(&self) -> bool {
        self.admit() == Admit::Use
    }

    /// [`Error::ServerDown`] while the server is marked failed (or another
    /// process probes it), else `None`.
    #[must_use]
    pub fn down_error(&self) -> Option<Error> {
        match self.admit() {
            Admit::Use => None,
            Admit::Skip(until) => Some(Error::ServerDown {
                server: self.label.clone(),
                retry_in_ms: until.saturating_sub(shared::now_ms()),
            }),
        }
    }
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
    /// Errors seen (by every worker sharing the server's slot).
    pub failures: u64,
    /// The last error's text as this process saw it; from another worker,
    /// only its kind (`server <label>: no answer (seen by another process)`).
    pub last_error: Option<String>,
    /// Idle connections kept.
    pub idle_connections: usize,
    /// Whether the state is shared by the workers of the master.
    pub shared: bool,
    /// Its part in a resize: `current`, `current+previous` or `previous`
    /// ([`super::previous::Role`]).
    pub role: &'static str,
}

impl Server {
    /// This server's [`ServerStatus`] now.
    #[must_use]
    pub fn status(&self) -> ServerStatus {
        let health = self.health();
        let now = shared::now_ms();
        let (state, until) = match health.state(now, self.retry_ms()) {
            State::Up => ("up", None),
            State::Failed(t) => ("failed", Some(Duration::from_millis(t - now))),
            State::RetryDue => ("retry due", None),
        };
        let last_error = self.last_error.lock().clone().or_else(|| {
            health.last_fault().map(|f| {
                format!(
                    "server {}: {} (seen by another process)",
                    self.label,
                    f.text()
                )
            })
        });
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        ServerStatus {
            label: self.label.clone(),
            weight: self.spec.weight,
            state,
            failed_until_unix: until.map(|d| (wall + d).as_secs_f64()),
            retry_in_ms: until.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            failures: health.failures(),
            last_error,
            idle_connections: self.idle_connections(),
            shared: self.is_shared(),
            role: self.role.text(),
        }
    }
}
