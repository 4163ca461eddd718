//! What `php --ri rsmemcache` and `rsmemcache_servers()` show of a server:
//! [`ServerStatus`], built from its shared health and this process's
//! connections.

use super::{Server, State};
use crate::shared;
use std::time::Duration;

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
}

impl Server {
    /// This server's [`ServerStatus`] now.
    #[must_use]
    pub fn status(&self) -> ServerStatus {
        let health = self.health();
        let now = shared::now_ms();
        let (state, until) = match health.state(now) {
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
        }
    }
}
