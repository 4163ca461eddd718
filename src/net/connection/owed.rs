//! Replies a connection owes beyond the pipeline being driven: commands
//! sent unawaited (their replies are matched at the next use) and the rest
//! of a pipeline that timed out (kept for a watcher, [`crate::net::late`], or to
//! carry a release to a server that is only slow).

use super::{Connection, drive};
use crate::{
    error::Result,
    net::protocol::{Command, ExpectKind, Reply},
};
use std::{
    sync::atomic::{AtomicBool, Ordering::Relaxed},
    time::{Duration, Instant},
};

impl Connection {
    /// Sends `cmds` without awaiting their replies: they are written now
    /// (at once where the socket takes them, as it does for a short
    /// command on an idle connection) and their replies, owed from then on,
    /// are read and matched by opaque at the connection's next use, ahead
    /// of that pipeline's own ([`Connection::looks_open`], [`drive`]), and
    /// dropped unless they are error lines (which break the connection).
    /// Returns whether everything was written; when not (a full socket
    /// buffer), nothing is owed unawaited — the caller finishes the
    /// pipeline with [`drive`] and awaits it.
    ///
    /// # Errors
    /// I/O errors of the write; the connection is then broken.
    pub fn send_unawaited(&mut self, cmds: &[Command<'_>]) -> Result<bool> {
        // An authentication queued ahead is consumed on its own (parse).
        let owed = self
            .pending
            .iter()
            .filter(|e| e.kind != ExpectKind::Stored)
            .count();
        for c in cmds {
            self.queue(c);
        }
        self.start();
        self.write_some()?;
        if self.wants_write() {
            return Ok(false);
        }
        self.unawaited = owed + cmds.len();
        Ok(true)
    }

    /// Appends `cmds` to a pipeline that timed out ([`Connection::timed_out`])
    /// and writes what the socket takes now, without waiting: a server that
    /// is only slow or stopped runs them after what the connection already
    /// carries, when it resumes. Their replies are owed like the rest (a
    /// watcher may read them, [`crate::net::late`]). Returns whether every byte
    /// was written.
    pub fn append_late(&mut self, cmds: &[Command<'_>]) -> bool {
        if !self.timed_out || !self.owned_by_this_process() {
            return false;
        }
        for c in cmds {
            self.queue(c);
        }
        self.write_some().is_ok() && !self.wants_write()
    }

    /// Replies still owed to commands sent unawaited.
    #[must_use]
    pub fn owed_unawaited(&self) -> usize {
        self.unawaited
    }

    /// Whether the last pipeline passed its deadline with replies still
    /// owed (see [`Connection::await_late`]).
    #[must_use]
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// Position, among all replies of the timed-out pipeline, of the reply
    /// still owed for a command on `key`; `None` when none is owed.
    #[must_use]
    pub fn owed_reply_for(&self, key: &[u8]) -> Option<usize> {
        if !self.timed_out {
            return None;
        }
        let at = self
            .pending
            .iter()
            .skip(self.unawaited)
            .position(|e| e.key == key)?;
        Some(self.replies.len() + at)
    }

    /// Keeps waiting for the replies of a pipeline that timed out, in
    /// slices of at most `slice` (so `stop` is looked at between them),
    /// until all came, `until` passed or `stop` is set. Returns every reply
    /// of the pipeline in command order (those that came in time first).
    ///
    /// # Errors
    /// [`crate::error::Error::Timeout`] when `until` passed or `stop` was set first;
    /// I/O and protocol errors as [`drive`] reports them.
    pub fn await_late(
        &mut self,
        until: Instant,
        slice: Duration,
        stop: &AtomicBool,
    ) -> Result<Vec<Reply>> {
        loop {
            self.deadline = (Instant::now() + slice).min(until);
            self.timed_out = false;
            match drive(&mut [&mut *self]).pop().unwrap_or(Ok(())) {
                Ok(()) => return Ok(self.take_replies()),
                Err(_) if self.timed_out && Instant::now() < until && !stop.load(Relaxed) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
