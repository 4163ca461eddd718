//! Counters since the master started, kept as atomics in the slots of
//! [`crate::shared_state::shared`] — per server in the server's slot, the session-level
//! ones in a totals slot — so every worker of a master running as the same
//! user adds to the same numbers (per process where no shared table
//! exists). Each effective uid has its own totals slot and sees only its own
//! servers: the pools of one master that run as different users never see
//! or change each other's counters. Also the snapshot `rsmemcache_stats()`
//! returns and its Prometheus text (exposition format 0.0.4: `# HELP`,
//! `# TYPE`, one sample per line).

use crate::shared_state::health::Fault;
use crate::shared_state::shared::{self, COUNTER_WORDS, Cells, W_COUNTERS, Words};
use parking_lot::Mutex;
use std::{fmt::Write as _, sync::atomic::Ordering};

/// A per-server counter (a word of the server's slot): the pipelines
/// sent, and the failures by kind — one word per [`Fault`], the kind the
/// server's health records, so a failure is classified once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCounter {
    /// Pipelines sent to the server (one per round trip and server).
    Requests,
    /// Failures of this kind: connects refused or timed out, replies that
    /// did not come within the I/O timeout, socket errors, replies we could
    /// not parse or match, and ([`Fault::Other`]) error lines
    /// (`SERVER_ERROR`, `CLIENT_ERROR`, `ERROR`) and other faults.
    Failed(Fault),
}

impl ServerCounter {
    /// The counter's word among the slot's counters: 0 for requests, the
    /// fault's code (1-6) for a failure.
    #[must_use]
    pub const fn word(self) -> usize {
        match self {
            Self::Requests => 0,
            Self::Failed(f) => f as usize,
        }
    }
}

/// Per-server counters, in word order, with their key in
/// `rsmemcache_stats()` and the error kind label in Prometheus text (the
/// first, requests, is not an error).
pub const SERVER_COUNTERS: [(ServerCounter, &str, &str); 7] = [
    (ServerCounter::Requests, "requests", ""),
    (
        ServerCounter::Failed(Fault::Connect),
        "errors_connect",
        "connect",
    ),
    (
        ServerCounter::Failed(Fault::ConnectTimeout),
        "errors_connect_timeout",
        "connect_timeout",
    ),
    (
        ServerCounter::Failed(Fault::Timeout),
        "errors_timeout",
        "timeout",
    ),
    (ServerCounter::Failed(Fault::Io), "errors_io", "io"),
    (
        ServerCounter::Failed(Fault::Protocol),
        "errors_protocol",
        "protocol",
    ),
    (
        ServerCounter::Failed(Fault::Other),
        "errors_server",
        "server_error",
    ),
];

/// A session-level counter (a word of the totals slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Session locks taken (at once or after a wait).
    LocksAcquired = 0,
    /// Requests that found the lock held and waited.
    LockWaits = 1,
    /// Milliseconds spent in those waits.
    LockWaitMsTotal = 2,
    /// The longest single wait, in milliseconds (a maximum, not a sum).
    LockWaitMsMax = 3,
    /// Waits that gave up (`lock_wait_time` passed).
    LockWaitTimeouts = 4,
    /// Writes or destroys refused because the session was opened read-only
    /// (the lock was not ours).
    LostLockRefusals = 5,
    /// Reads that rewrote stale or missing copies.
    ReadRepairs = 6,
    /// Writes refused because a copy changed since it was read (CAS).
    WriteConflicts = 7,
    /// Reads or writes served by servers other than the first
    /// `session_redundancy` of the probe order (one was down or failed).
    Failovers = 8,
    /// Sessions found only where `rsmemcache.previous_save_path` placed
    /// them and moved to their new home (a resize of the pool).
    SessionsMoved = 9,
    /// Tombstones written by a destroy (`session_destroy()`,
    /// `session_regenerate_id(true)`), so no older copy or row revives it.
    TombstonesWritten = 10,
    /// Copies or durable-tier rows refused because of a tombstone.
    TombstonesHonoured = 11,
    /// Plaintext values read while encryption is on
    /// (`rsmemcache.encryption_accept_plaintext`).
    PlaintextAccepted = 12,
    /// Sessions found only under their raw key and moved under their hashed
    /// key (`rsmemcache.key_hash_migrate`), memcached copy or durable row.
    KeyHashMoved = 13,
}

/// Session-level counters in word order with their key and help text.
pub const TOTALS: [(Total, &str, &str); 14] = [
    (
        Total::LocksAcquired,
        "locks_acquired",
        "Session locks taken.",
    ),
    (
        Total::LockWaits,
        "lock_waits",
        "Requests that waited for a session lock.",
    ),
    (
        Total::LockWaitMsTotal,
        "lock_wait_ms_total",
        "Milliseconds spent waiting for session locks.",
    ),
    (
        Total::LockWaitMsMax,
        "lock_wait_ms_max",
        "The longest lock wait in milliseconds.",
    ),
    (
        Total::LockWaitTimeouts,
        "lock_wait_timeouts",
        "Lock waits that gave up.",
    ),
    (
        Total::LostLockRefusals,
        "lost_lock_refusals",
        "Writes refused because the session lock was not held.",
    ),
    (
        Total::ReadRepairs,
        "read_repairs",
        "Reads that rewrote stale or missing copies.",
    ),
    (
        Total::WriteConflicts,
        "write_conflicts",
        "Writes refused because a copy changed since it was read.",
    ),
    (
        Total::Failovers,
        "failovers",
        "Session reads and writes served by other servers than their home ones.",
    ),
    (
        Total::SessionsMoved,
        "sessions_moved",
        "Sessions read where the previous server list placed them and moved to their new home.",
    ),
    (
        Total::TombstonesWritten,
        "tombstones_written",
        "Destroys that left a tombstone, so no older copy or row revives the session.",
    ),
    (
        Total::TombstonesHonoured,
        "tombstones_honoured",
        "Copies or durable rows refused because the session was destroyed after they were written.",
    ),
    (
        Total::PlaintextAccepted,
        "plaintext_accepted",
        "Plaintext values read while encryption is on (encryption_accept_plaintext).",
    ),
    (
        Total::KeyHashMoved,
        "key_hash_moved",
        "Sessions found under their raw key and moved under their hashed key.",
    ),
];

const _: () = assert!(SERVER_COUNTERS.len() <= COUNTER_WORDS && TOTALS.len() <= COUNTER_WORDS);

/// The totals slot's identity (no server label starts with `#`).
const TOTALS_LABEL: &str = "#totals";

/// The totals slot of each effective uid this process ran as (one, except
/// in a root process that changes its euid, e.g. a CLI test).
static TOTALS_CELLS: Mutex<Vec<(u32, &'static Cells)>> = Mutex::new(Vec::new());

/// The totals of this process's effective uid, their last use refreshed.
fn totals() -> &'static Cells {
    let uid = shared::euid();
    let mut all = TOTALS_CELLS.lock();
    let cells = if let Some((_, c)) = all.iter().find(|(u, _)| *u == uid) {
        c
    } else {
        // Kept for the life of the process: one per uid it ever ran as.
        let c: &'static Cells = Box::leak(Box::new(Cells::claimed(TOTALS_LABEL)));
        all.push((uid, c));
        c
    };
    cells.answered(shared::now_ms());
    cells
}

/// Adds 1 to a server counter of `slot`.
pub fn bump_server(slot: &Words, c: ServerCounter) {
    slot[W_COUNTERS + c.word()].fetch_add(1, Ordering::Relaxed);
}

/// Adds 1 to a session-level counter.
pub fn bump(t: Total) {
    totals()[W_COUNTERS + t as usize].fetch_add(1, Ordering::Relaxed);
}

/// Books a lock wait of `ms` milliseconds (count, sum and maximum).
pub fn lock_waited(ms: u64) {
    let w = totals();
    w[W_COUNTERS + Total::LockWaits as usize].fetch_add(1, Ordering::Relaxed);
    w[W_COUNTERS + Total::LockWaitMsTotal as usize].fetch_add(ms, Ordering::Relaxed);
    w[W_COUNTERS + Total::LockWaitMsMax as usize].fetch_max(ms, Ordering::Relaxed);
}

/// The counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Whether they are shared by the workers of a master.
    pub shared: bool,
    /// Session-level counters, in [`TOTALS`] order.
    pub totals: Vec<u64>,
    /// Per server (label, counters in [`SERVER_COUNTERS`] order).
    pub servers: Vec<(String, Vec<u64>)>,
}

fn read(slot: &Words, n: usize) -> Vec<u64> {
    (0..n)
        .map(|i| slot[W_COUNTERS + i].load(Ordering::Relaxed))
        .collect()
}

/// The counters now: every server of the shared table that belongs to
/// this process's effective uid, plus `own` (the servers of this process
/// whose state is not shared), each label once.
#[must_use]
pub fn snapshot<'a>(own: impl IntoIterator<Item = (String, &'a Words)>) -> Snapshot {
    let mut servers: Vec<(String, Vec<u64>)> = Vec::new();
    let table = shared::region()
        .map(|t| t.entries(shared::euid()))
        .unwrap_or_default();
    for (label, slot) in table.into_iter().chain(own) {
        if label == TOTALS_LABEL || label.is_empty() || servers.iter().any(|(l, _)| *l == label) {
            continue;
        }
        servers.push((label, read(slot, SERVER_COUNTERS.len())));
    }
    Snapshot {
        shared: shared::region().is_some(),
        totals: read(totals(), TOTALS.len()),
        servers,
    }
}

impl Snapshot {
    /// A session-level counter.
    #[must_use]
    pub fn total(&self, t: Total) -> u64 {
        self.totals.get(t as usize).copied().unwrap_or(0)
    }

    /// A server counter summed over the servers.
    #[must_use]
    pub fn server_sum(&self, c: ServerCounter) -> u64 {
        self.servers
            .iter()
            .map(|(_, v)| v.get(c.word()).copied().unwrap_or(0))
            .sum()
    }

    /// The counters in Prometheus text format: session-level counters as
    /// `rsmemcache_<key>_total` (`rsmemcache_lock_wait_ms_total`, already a
    /// total, keeps its name; the maximum is the gauge
    /// `rsmemcache_lock_wait_ms_max`), per server
    /// `rsmemcache_requests_total{server="…"}`,
    /// `rsmemcache_errors_total{server="…",kind="…"}` and
    /// `rsmemcache_timeouts_total{server="…"}`.
    #[must_use]
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        for (t, key, help) in TOTALS {
            let (name, ty) = match t {
                Total::LockWaitMsMax => (format!("rsmemcache_{key}"), "gauge"),
                Total::LockWaitMsTotal => (format!("rsmemcache_{key}"), "counter"),
                _ => (format!("rsmemcache_{key}_total"), "counter"),
            };
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {ty}\n{name} {}",
                self.total(t)
            );
        }
        let _ = writeln!(
            out,
            "# HELP rsmemcache_requests_total Pipelines sent to a memcached server.\n# TYPE rsmemcache_requests_total counter"
        );
        for (label, v) in &self.servers {
            let _ = writeln!(
                out,
                "rsmemcache_requests_total{{server=\"{}\"}} {}",
                escape(label),
                v[0]
            );
        }
        let _ = writeln!(
            out,
            "# HELP rsmemcache_errors_total Errors a memcached server gave, by kind.\n# TYPE rsmemcache_errors_total counter"
        );
        for (label, v) in &self.servers {
            for (c, _, kind) in &SERVER_COUNTERS[1..] {
                let _ = writeln!(
                    out,
                    "rsmemcache_errors_total{{server=\"{}\",kind=\"{kind}\"}} {}",
                    escape(label),
                    v[c.word()]
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP rsmemcache_timeouts_total Connect and reply timeouts of a memcached server.\n# TYPE rsmemcache_timeouts_total counter"
        );
        for (label, v) in &self.servers {
            let _ = writeln!(
                out,
                "rsmemcache_timeouts_total{{server=\"{}\"}} {}",
                escape(label),
                v[ServerCounter::Failed(Fault::ConnectTimeout).word()]
                    + v[ServerCounter::Failed(Fault::Timeout).word()]
            );
        }
        out
    }
}

/// A label value escaped for the exposition format (`\\`, `\"`, `\n`).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_waits_keep_count_sum_and_max() {
        let before = snapshot([]);
        lock_waited(30);
        lock_waited(10);
        bump(Total::Failovers);
        let after = snapshot([]);
        assert_eq!(
            after.total(Total::LockWaits) - before.total(Total::LockWaits),
            2
        );
        assert_eq!(
            after.total(Total::LockWaitMsTotal) - before.total(Total::LockWaitMsTotal),
            40
        );
        assert!(after.total(Total::LockWaitMsMax) >= 30);
        assert_eq!(
            after.total(Total::Failovers) - before.total(Total::Failovers),
            1
        );
    }

    #[test]
    fn prometheus_text_has_help_type_and_escaped_labels() {
        let slot = shared::new_words();
        bump_server(&slot, ServerCounter::Requests);
        bump_server(&slot, ServerCounter::Failed(Fault::Timeout));
        bump_server(&slot, ServerCounter::Failed(Fault::ConnectTimeout));
        let s = snapshot([("h\"x:1".to_owned(), &slot)]);
        let text = s.prometheus();
        assert!(text.contains("# TYPE rsmemcache_locks_acquired_total counter\n"));
        assert!(text.contains("# TYPE rsmemcache_lock_wait_ms_max gauge\n"));
        assert!(text.contains("rsmemcache_requests_total{server=\"h\\\"x:1\"} 1\n"));
        assert!(text.contains("rsmemcache_errors_total{server=\"h\\\"x:1\",kind=\"timeout\"} 1\n"));
        assert!(text.contains("rsmemcache_timeouts_total{server=\"h\\\"x:1\"} 2\n"));
        // Every line is a comment or `name{labels} value`.
        for line in text.lines() {
            assert!(
                line.starts_with("# HELP rsmemcache_")
                    || line.starts_with("# TYPE rsmemcache_")
                    || (line.starts_with("rsmemcache_")
                        && line
                            .rsplit(' ')
                            .next()
                            .is_some_and(|v| v.parse::<u64>().is_ok())),
                "{line}"
            );
        }
        assert_eq!(s.server_sum(ServerCounter::Requests), 1);
    }
}
