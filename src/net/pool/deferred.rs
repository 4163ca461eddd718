//! Work a request hands its pool for later: commands sent without
//! awaiting their replies (the lock release after confirmed writes), and
//! deletes of items a timed-out command may have stored, run once the
//! server answers again.

use super::{MAX_PENDING_DELETES, Pool, ServerCounter, drive, is_stale, stats};
use crate::{
    error::Result,
    net::pool::Job,
    net::protocol::{Command, Reply},
};
use std::time::Duration;

impl Pool {
    /// Sends `cmds` to server `idx` without awaiting their replies (see
    /// [`crate::net::connection::Connection::send_unawaited`]): the connection goes back to the
    /// idle list owing them, and its next use reads and matches them ahead
    /// of its own. For a command whose outcome the request does not need —
    /// the lock release after every copy's write was confirmed — this saves
    /// the round trip. Where the socket does not take the whole pipeline at
    /// once, it is finished and awaited like [`Pool::execute`].
    ///
    /// # Errors
    /// [`crate::error::Error::ServerDown`] while the server is marked failed; connect and
    /// I/O errors of the send (which mark it failed).
    pub fn send_unawaited(&self, idx: usize, cmds: &[Command<'_>]) -> Result<()> {
        let server = &self.servers[idx];
        let down = server.down_error();
        if down.is_some()
            && let Some(mut conn) = server.take_newest_late()
        {
            // Marked failed after a timeout (here or in another worker), the
            // server may be only slow or stopped — a lock left there would
            // hold up the requests of web servers that still use it, for
            // its whole TTL. A connection that timed out on it still
            // reaches it: what is written there runs after what it already
            // carries (this request's write), when the server resumes.
            let sent = conn.append_late(cmds);
            server.keep_late(conn);
            if sent {
                return Ok(());
            }
        }
        let mut conn = match (server.take_idle(), down) {
            // Idle and still open (a stopped server's socket takes the
            // bytes): sent there, failed or not, at no wait.
            (Some(c), _) => c,
            (None, Some(e)) => return Err(e),
            // A new connection has nothing unawaited to gain over a round
            // trip (its connect is one): send it the normal way.
            (None, None) => return self.execute(idx, cmds).map(drop),
        };
        stats::bump_server(&server.cells, ServerCounter::Requests);
        let sent = match conn.send_unawaited(cmds) {
            Ok(true) => Ok(()),
            Ok(false) => drive(&mut [&mut conn]).pop().unwrap_or(Ok(())),
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => {
                server.release(conn);
                Ok(())
            }
            // The idle connection was closed under us (the server closed
            // it, or restarted): the command may not have arrived; a
            // compare-and-delete is safe to send again.
            Err(e) if is_stale(&e) => self.execute(idx, cmds).map(drop),
            Err(e) => {
                if let Some(line) = server.record_error(&e) {
                    self.event(line);
                }
                Err(e)
            }
        }
    }

    /// Remembers that `key` on server `idx` may hold `value`, written by a
    /// command whose outcome is unknown (it timed out: a stopped or
    /// partitioned server may still execute it when it resumes — a lock add
    /// would then leave a lock nobody holds). The next time this process
    /// gets an answer from the server, the item is deleted if it holds
    /// exactly `value` (`mg` then `md C<cas>`).
    ///
    /// When the command was an add whose pipeline timed out, its connection
    /// is watched for the late reply instead ([`crate::net::late::watch`], until
    /// `lock_ttl` from now): a lock stored late is then removed as soon as
    /// the server resumes, by any process's next request or none.
    pub fn delete_when_back(&self, idx: usize, key: Vec<u8>, value: Vec<u8>, lock_ttl: Duration) {
        let server = &self.servers[idx];
        if let Some(conn) = server.take_late(&key)
            && crate::net::late::watch(conn, key.clone(), std::time::Instant::now() + lock_ttl)
        {
            return;
        }
        let mut list = server.pending_deletes.lock();
        if list.len() >= MAX_PENDING_DELETES {
            list.remove(0);
        }
        list.push((key, value));
    }

    /// Runs the pending deletes of server `idx`, if any (called after a
    /// round trip to it succeeded, so a server still hanging costs no second
    /// timeout); those that cannot run now stay pending.
    pub(super) fn settle_pending(&self, idx: usize) {
        let server = &self.servers[idx];
        let pending = std::mem::take(&mut *server.pending_deletes.lock());
        if pending.is_empty() {
            return;
        }
        let peeks: Vec<Command<'_>> = pending.iter().map(|(k, _)| Command::peek(k)).collect();
        let Ok(replies) = self
            .run(&[Job {
                server: idx,
                cmds: peeks,
            }])
            .pop()
            .unwrap_or_else(|| Ok(Vec::new()))
        else {
            server.pending_deletes.lock().extend(pending);
            return;
        };
        let deletes: Vec<Command<'_>> = pending
            .iter()
            .zip(&replies)
            .filter_map(|((key, value), r)| match r {
                Reply::Value(v, meta) if v == value && meta.cas.is_some() => {
                    Some(Command::Delete { key, cas: meta.cas })
                }
                _ => None,
            })
            .collect();
        if !deletes.is_empty() {
            // Best effort: an item we cannot delete now expires by its TTL.
            let _ = self.run(&[Job {
                server: idx,
                cmds: deletes,
            }]);
        }
    }
}
