//! Late replies to a lock add: no orphan lock after a hang.
//!
//! A server that is stopped (`SIGSTOP`), partitioned or swapping keeps the
//! bytes of a pipeline in its socket buffer and runs them when it resumes:
//! a lock add whose reply its sender stopped waiting for is then stored
//! after the sender gave up and failed over, and nobody holds it — the next
//! request of that session would wait for its whole TTL. memcached's item
//! clock cannot tell such a lock from a live one (it ticks on a timer that
//! runs after the queued commands, see [`crate::session::plan::LockValue`]).
//!
//! The process that sent the add is the one that knows. Its timed-out
//! connection is not closed: this module hands it to a thread of its own
//! that keeps reading the pipeline's replies in order, on that connection,
//! until the lock's TTL has run out. Commands on one connection run in
//! order, so the add's own reply says what happened: `HD c<cas>` — the add
//! was stored late — is followed at once by `md <lock> C<cas>` on the same
//! connection, before the server has read another client's `ms … ME` that
//! arrived after it resumed; `NS` — another request held the lock — needs
//! nothing. The line for PHP's error log is queued for the next request of
//! the process ([`take_events`]).
//!
//! Threads never touch the PHP engine. At most [`MAX_WATCHERS`] run per
//! process; module shutdown stops and joins them ([`shutdown`]) before the
//! library can be unloaded. A forked child forgets its parent's watchers
//! (their threads do not exist in it).

use crate::{net::connection::Connection, net::protocol::Command, net::protocol::Reply};
use parking_lot::Mutex;
use std::{
    sync::atomic::{AtomicBool, Ordering},
    thread::JoinHandle,
    time::{Duration, Instant},
};

/// Most watcher threads per process; a lock add past that is left to the
/// pending compare-and-delete of [`crate::net::pool::Pool::delete_when_back`].
pub const MAX_WATCHERS: usize = 4;

/// How long a watcher waits between looks at the stop flag, in ms: the
/// most [`shutdown`] waits for a thread blocked on a silent server.
pub const SLICE_MS: u64 = 100;

/// Most queued log lines; later ones are dropped.
const MAX_EVENTS: usize = 32;

static STOP: AtomicBool = AtomicBool::new(false);

/// Watcher threads of this process, with the PID that started them.
static WATCHERS: Mutex<Vec<(u32, JoinHandle<()>)>> = Mutex::new(Vec::new());

/// Lines for PHP's error log, written by watcher threads.
static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Watches `conn`, whose pipeline timed out with the reply to the lock add
/// on `key` still owed, on a thread of its own until `until` (the lock's
/// expiry: after it nothing is left to remove); if the add turns out to
/// have been stored, deletes that lock by CAS on the same connection
/// (within the connection's I/O timeout). Returns false — and drops
/// the connection — when no reply is owed for `key`, [`MAX_WATCHERS`]
/// already run, the module is shutting down or no thread could be started.
pub fn watch(conn: Connection, key: Vec<u8>, until: Instant) -> bool {
    let Some(at) = conn.owed_reply_for(&key) else {
        return false;
    };
    let pid = std::process::id();
    let mut watchers = WATCHERS.lock();
    if watchers.iter().any(|(p, _)| *p != pid) {
        // Inherited through fork(): those threads do not exist here.
        for w in watchers.drain(..) {
            std::mem::forget(w);
        }
    }
    watchers.retain(|(_, h)| !h.is_finished());
    if watchers.len() >= MAX_WATCHERS || STOP.load(Ordering::Relaxed) {
        return false;
    }
    std::thread::Builder::new()
        .name("rsmemcache-late".into())
        .spawn(move || settle_late(conn, &key, at, until))
        .map(|h| watchers.push((pid, h)))
        .is_ok()
}

/// The watcher thread's work (see the module docs).
fn settle_late(mut conn: Connection, key: &[u8], at: usize, until: Instant) {
    let slice = Duration::from_millis(SLICE_MS);
    let Ok(replies) = conn.await_late(until, slice, &STOP) else {
        return;
    };
    let Some(Reply::Done(meta)) = replies.get(at) else {
        return;
    };
    let label = conn.label().to_owned();
    let shown = crate::error::escape_redacting_ids(key, 250);
    let Some(cas) = meta.cas else {
        event(format!(
            "server {label}: the lock add for {shown} was stored after its sender gave up, without a CAS id; it expires by its TTL"
        ));
        return;
    };
    let delete = Command::Delete {
        key,
        cas: Some(cas),
    };
    let line = match conn.execute(std::slice::from_ref(&delete)) {
        Ok(r) if matches!(r.first(), Some(Reply::Done(_))) => format!(
            "server {label}: removed the lock {shown}, stored after its sender gave up (late reply)"
        ),
        // EX / NF: already gone or taken over; nothing of ours is left.
        Ok(_) => return,
        Err(e) => format!(
            "server {label}: could not remove the lock {shown} stored after its sender gave up ({e}); it expires by its TTL"
        ),
    };
    event(line);
}

fn event(line: String) {
    let mut ev = EVENTS.lock();
    if ev.len() < MAX_EVENTS {
        ev.push(line);
    }
}

/// Takes the lines the watchers queued for PHP's error log. Never blocks:
/// a queue whose lock is held (by a watcher, or by a thread that no longer
/// exists after a fork) is left for a later call.
pub fn take_events() -> Vec<String> {
    EVENTS
        .try_lock()
        .map(|mut ev| std::mem::take(&mut *ev))
        .unwrap_or_default()
}

/// Module shutdown: stops the watchers of this process and joins them
/// (each wakes within [`SLICE_MS`] ms), so no thread runs this library's
/// code once PHP unloads it.
pub fn shutdown() {
    STOP.store(true, Ordering::Relaxed);
    let pid = std::process::id();
    let Some(mut watchers) = WATCHERS.try_lock_for(Duration::from_secs(1)) else {
        return;
    };
    for (p, h) in watchers.drain(..) {
        if p == pid {
            let _ = h.join();
        } else {
            std::mem::forget(h);
        }
    }
}
