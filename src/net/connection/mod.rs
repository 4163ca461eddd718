//! One socket to one memcached server and the readiness loop that drives
//! several of them at once.
//!
//! Owns four rules:
//! * **Every reply is matched to its command.** Each queued meta command
//!   gets an opaque (`O<n>`, counting up per connection) and asks for its
//!   key back (`k`); [`crate::net::protocol::parse_reply`] refuses a reply for
//!   another opaque or key. Bytes left over once every reply of a pipeline
//!   was read (a stray reply) make the connection unusable.
//! * **Any doubt breaks the connection.** After an I/O, timeout or protocol
//!   error, an error line, or stray bytes, the connection is marked broken
//!   and never pooled again: the position in the reply stream is no longer
//!   certain (php-memcached #543 is what happens otherwise).
//! * **One server's silence costs only its own deadline.** [`drive`] waits
//!   for readiness on every connection of a parallel round trip together
//!   (`poll(2)` through rustix), each against its own deadline
//!   (`rsmemcache.timeout` from when its pipeline was sent).
//! * **A process uses only its own connections.** A connection remembers the
//!   PID that opened it; after a `fork()` the child forgets the parent's
//!   connections (closing only its own descriptor, never writing to or
//!   shutting down the socket the parent still uses).
//!
//! A new connection to a server that wants memcached ASCII authentication
//! (`rsmemcache.auth_file`) starts its first pipeline with the
//! authentication `set` ([`Command::Auth`], queued by the pool); a refusal
//! is [`Error::AuthRefused`] and breaks the connection.
//!
//! Sockets are non-blocking; `EINTR` (a handled signal) is retried within
//! the deadline. Name resolution and connects are bounded by
//! `rsmemcache.connect_timeout`.

use crate::{
    core::save_path::{ServerAddr, ServerSpec},
    error::{Error, Result},
    net::protocol::{
        Command, Expect, ExpectKind, MAX_VALUE_LEN, Parsed, Reply, WireError, item_size_max,
        parse_reply,
    },
};
use socket2::Socket;
use std::{
    collections::VecDeque,
    io,
    sync::Arc,
    time::{Duration, Instant},
};

/// memcached `-Y`'s answer to a connection that did not (or could not)
/// authenticate.
const UNAUTHENTICATED: &[u8] = b"CLIENT_ERROR unauthenticated\r\n";

/// Bytes read per `recv`: a typical session and its reply line fit in one.
const READ_CHUNK: usize = 16 * 1024;

/// Largest value accepted while a server's `item_size_max` is not known
/// yet (64 MiB; memcached's default item limit is 1 MiB). Once known, the
/// server's own limit applies (see [`Connection::set_max_value`]).
pub const DEFAULT_MAX_VALUE: usize = 64 * 1024 * 1024;

/// An open connection to one server.
#[derive(Debug)]
pub struct Connection {
    socket: Socket,
    /// The TLS session over `socket`, for `tls://` servers.
    tls: Option<Box<rustls::ClientConnection>>,
    label: String,
    pid: u32,
    io_timeout: Duration,
    next_opaque: u32,
    wbuf: Vec<u8>,
    wpos: usize,
    /// Where each queued command ends in `wbuf` (see [`Connection::segment_end`]).
    cuts: Vec<usize>,
    rbuf: Vec<u8>,
    rpos: usize,
    pending: VecDeque<Expect>,
    /// How many expects at the front of `pending` belong to commands sent
    /// without awaiting their replies ([`Connection::send_unawaited`]):
    /// their replies are matched and consumed before the next pipeline's.
    unawaited: usize,
    replies: Vec<Reply>,
    max_value: usize,
    broken: bool,
    stray: bool,
    received: bool,
    timed_out: bool,
    deadline: Instant,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Connection {
    /// Connects to `spec` within `connect_timeout` (name resolution
    /// included), trying every resolved address in turn; sets `TCP_NODELAY`
    /// and non-blocking mode. `io_timeout` bounds each later pipeline.
    ///
    /// # Errors
    /// [`Error::Connect`] when refused (at once) or on any other OS error;
    /// [`Error::ConnectTimeout`] when nothing answered in time.
    pub fn connect(
        spec: &ServerSpec,
        connect_timeout: Duration,
        io_timeout: Duration,
    ) -> Result<Self> {
        Self::connect_tls(spec, connect_timeout, io_timeout, None)
    }

    /// [`Connection::connect`], then, with `tls` (a client configuration
    /// and the name to verify, empty for the host), the TLS handshake,
    /// bounded by the same `connect_timeout`.
    ///
    /// # Errors
    /// As [`Connection::connect`]; [`Error::TlsHandshake`] when the
    /// handshake fails; [`Error::TlsSetup`] for a name that is no DNS name
    /// or IP address.
    pub fn connect_tls(
        spec: &ServerSpec,
        connect_timeout: Duration,
        io_timeout: Duration,
        tls: Option<(Arc<rustls::ClientConfig>, &str)>,
    ) -> Result<Self> {
        let label = spec.label();
        let connect_timeout = connect_timeout.max(Duration::from_millis(1));
        let started = Instant::now();
        let dial = dial::Dial {
            label: &label,
            timeout: connect_timeout,
            started,
        };
        let socket = dial.socket(&spec.addr)?;
        let timed_out = |server| Error::ConnectTimeout {
            server,
            ms: ms(connect_timeout),
        };
        let tls = match (tls, &spec.addr) {
            (Some((config, name)), ServerAddr::Tcp { host, .. }) => {
                let deadline = started + connect_timeout;
                let conn =
                    crate::net::tls::establish(&socket, config, host, name, deadline, &label)
                        .map_err(|e| match e {
                            Error::ConnectTimeout { server, .. } => timed_out(server),
                            e => e,
                        })?;
                Some(Box::new(conn))
            }
            _ => None,
        };
        let now = Instant::now();
        Ok(Self {
            socket,
            tls,
            label,
            pid: std::process::id(),
            io_timeout: io_timeout.max(Duration::from_millis(1)),
            next_opaque: 1,
            wbuf: Vec::with_capacity(1024),
            wpos: 0,
            cuts: Vec::new(),
            rbuf: Vec::with_capacity(READ_CHUNK),
            rpos: 0,
            pending: VecDeque::new(),
            unawaited: 0,
            replies: Vec::new(),
            max_value: DEFAULT_MAX_VALUE,
            broken: false,
            stray: false,
            received: false,
            timed_out: false,
            deadline: now,
        })
    }

    /// The server's label (`host:port` or `unix:///path`).
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// True once any error or doubt was seen: the connection must not be
    /// reused.
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// True when bytes arrived after the last reply of a pipeline (a stray
    /// reply); the connection is broken.
    #[must_use]
    pub fn saw_stray_bytes(&self) -> bool {
        self.stray
    }

    /// Whether this process opened the connection (false in a child after
    /// `fork()`: the socket is the parent's and must not be used).
    #[must_use]
    pub fn owned_by_this_process(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Whether an idle connection can be reused: this process's, not
    /// broken, and a non-blocking read finds nothing (no EOF from a server
    /// that closed it, no stray bytes). One `recv` call.
    ///
    /// With replies still owed to commands sent unawaited, whatever of them
    /// arrived is read and matched first (one more `recv`); bytes past them
    /// are stray. Replies not there yet stay owed and are taken ahead of the
    /// next pipeline's.
    pub fn looks_open(&mut self) -> bool {
        if self.broken || !self.owned_by_this_process() {
            return false;
        }
        if self.unawaited > 0 {
            if self.read_some().is_err() || self.broken {
                return false;
            }
            if self.unawaited > 0 {
                return true;
            }
        }
        if self.rpos < self.rbuf.len() {
            return false;
        }
        let mut byte = [0u8; 1];
        loop {
            match crate::net::tls::recv(&self.socket, self.tls.as_deref_mut(), &mut byte) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Ok(n) => {
                    self.stray = n > 0;
                    self.broken = true;
                    return false;
                }
                Err(_) => {
                    self.broken = true;
                    return false;
                }
            }
        }
    }

    /// The largest value length a `VA` reply may announce from now on, in
    /// bytes (the server's `item_size_max` once known).
    pub fn set_max_value(&mut self, bytes: usize) {
        self.max_value = bytes.clamp(1, MAX_VALUE_LEN);
    }

    /// Queues a command with the next opaque; nothing is sent until the
    /// connection is driven ([`Connection::start`] + [`drive`]).
    pub fn queue(&mut self, cmd: &Command<'_>) {
        let opaque = self.next_opaque;
        self.next_opaque = self.next_opaque.checked_add(1).unwrap_or(1);
        cmd.encode(opaque, &mut self.wbuf);
        self.cuts.push(self.wbuf.len());
        self.pending.push_back(cmd.expect(opaque));
    }

    /// Starts the deadline of the queued pipeline: its replies must arrive
    /// within the I/O timeout from now.
    pub fn start(&mut self) {
        self.deadline = Instant::now() + self.io_timeout;
        self.received = false;
        self.replies.clear();
    }

    /// Whether any byte of a reply arrived since [`Connection::start`]
    /// (false after a drop means the server may not have seen the pipeline
    /// at all, e.g. it had closed the idle connection).
    #[must_use]
    pub fn received_any(&self) -> bool {
        self.received
    }

    fn wants_write(&self) -> bool {
        self.wpos < self.wbuf.len() || crate::net::tls::wants_write(self.tls.as_deref())
    }

    fn is_done(&self) -> bool {
        !self.wants_write() && self.pending.is_empty()
    }

    /// The replies of the finished pipeline, in command order.
    pub fn take_replies(&mut self) -> Vec<Reply> {
        std::mem::take(&mut self.replies)
    }

    fn fail(&mut self, e: Error) -> Error {
        self.broken = true;
        self.wbuf.clear();
        self.cuts.clear();
        self.wpos = 0;
        self.pending.clear();
        self.unawaited = 0;
        e
    }

    fn refused(&mut self, answer: String) -> Error {
        let e = Error::AuthRefused {
            server: self.label.clone(),
            answer,
        };
        self.fail(e)
    }

    fn io_error(&mut self, source: io::Error) -> Error {
        let e = Error::Io {
            server: self.label.clone(),
            source,
        };
        self.fail(e)
    }

    /// The deadline passed with replies owed: the connection is broken
    /// for reuse, but what it sent and still expects is kept, so a thread
    /// may wait for the late replies ([`Connection::await_late`]).
    fn timeout(&mut self) -> Error {
        self.broken = true;
        self.timed_out = true;
        Error::Timeout {
            server: self.label.clone(),
            ms: ms(self.io_timeout),
        }
    }

    /// Where the next write from `wbuf` ends: at the end of the pipeline,
    /// except over TLS when the pipeline is longer than one record's
    /// plaintext ([`crate::net::tls::MAX_RECORD_PLAINTEXT`]): then at the end of
    /// the next command, so that a TLS record ends where each command (and
    /// its data block) ends. memcached 1.6.18 reads the part of a data block
    /// that spans records straight from OpenSSL, exactly its length, and
    /// then waits for the socket again: commands that came in the same
    /// record after the block stay in OpenSSL's buffer, unanswered, until
    /// the I/O timeout (a session over 16 KB could not be written).
    fn segment_end(&self) -> usize {
        if self.tls.is_none() || self.wbuf.len() <= crate::net::tls::MAX_RECORD_PLAINTEXT {
            return self.wbuf.len();
        }
        self.cuts
            .iter()
            .copied()
            .find(|&c| c > self.wpos)
            .unwrap_or(self.wbuf.len())
    }

    /// Writes what the socket takes now.
    fn write_some(&mut self) -> Result<()> {
        while self.wpos < self.wbuf.len() {
            let end = self.segment_end();
            let buf = &self.wbuf[self.wpos..end];
            match crate::net::tls::send(&self.socket, self.tls.as_deref_mut(), buf) {
                Ok(0) => {
                    return Err(self.io_error(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "connection closed by server",
                    )));
                }
                Ok(n) => self.wpos += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(self.io_error(e)),
            }
        }
        match crate::net::tls::flush_pending(&self.socket, self.tls.as_deref_mut()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(self.io_error(e)),
            Ok(()) => {}
        }
        self.wbuf.clear();
        self.cuts.clear();
        self.wpos = 0;
        Ok(())
    }

    /// Reads what has arrived and parses every whole reply in it.
    fn read_some(&mut self) -> Result<()> {
        loop {
            if self.rpos > 0 && self.rpos == self.rbuf.len() {
                self.rbuf.clear();
                self.rpos = 0;
            }
            let start = self.rbuf.len();
            self.rbuf.resize(start + READ_CHUNK, 0);
            let r = crate::net::tls::recv(
                &self.socket,
                self.tls.as_deref_mut(),
                &mut self.rbuf[start..],
            );
            self.rbuf.truncate(start + *r.as_ref().unwrap_or(&0));
            match r {
                Ok(0) => {
                    return Err(self.io_error(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed by server",
                    )));
                }
                Ok(_) => {
                    self.received = true;
                    self.parse()?;
                    if self.is_done() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(self.io_error(e)),
            }
        }
        if self.is_done() && self.rpos < self.rbuf.len() {
            // A reply nobody asked for: the replies are right, the stream
            // after them is not.
            self.stray = true;
            self.broken = true;
        }
        Ok(())
    }

    fn parse(&mut self) -> Result<()> {
        while let Some(expect) = self.pending.front() {
            if self.rbuf[self.rpos..].starts_with(UNAUTHENTICATED) {
                // memcached -Y refuses anything before authentication (or
                // the authentication itself), then closes the connection.
                return Err(self.refused("CLIENT_ERROR unauthenticated".to_owned()));
            }
            let parsed = parse_reply(&self.rbuf[self.rpos..], expect, self.max_value);
            match parsed {
                Ok(Parsed::Incomplete) => break,
                Ok(Parsed::Reply(reply, used)) => {
                    self.rpos += used;
                    let auth = expect.kind == ExpectKind::Stored;
                    self.pending.pop_front();
                    if auth {
                        // Accepted: nobody asked for this reply. Refused:
                        // memcached closes the connection.
                        if let Reply::Failed(answer) = reply {
                            return Err(self.refused(answer));
                        }
                        continue;
                    }
                    if self.unawaited > 0 {
                        // A reply to a command sent unawaited: matched (by
                        // opaque and key, as every reply), then dropped.
                        self.unawaited -= 1;
                        if matches!(reply, Reply::Failed(_)) {
                            self.broken = true;
                        }
                        continue;
                    }
                    match &reply {
                        Reply::Failed(_) => self.broken = true,
                        Reply::Stats(stats) => {
                            if let Some(limit) = item_size_max(stats) {
                                self.set_max_value(usize::try_from(limit).unwrap_or(usize::MAX));
                            }
                        }
                        _ => {}
                    }
                    self.replies.push(reply);
                }
                Err(WireError::Malformed(detail)) => {
                    let e = Error::Protocol {
                        server: self.label.clone(),
                        detail,
                    };
                    return Err(self.fail(e));
                }
                Err(WireError::Io(e)) => return Err(self.io_error(e)),
                Err(WireError::Closed) => {
                    return Err(self.io_error(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed by server",
                    )));
                }
            }
        }
        if self.rpos == self.rbuf.len() {
            self.rbuf.clear();
            self.rpos = 0;
        }
        Ok(())
    }

    /// Sends `cmds` in one write and reads one reply per command, within
    /// the I/O timeout.
    ///
    /// # Errors
    /// [`Error::Timeout`], [`Error::Io`] or [`Error::Protocol`]; the
    /// connection is then broken. An error line is a [`Reply::Failed`].
    pub fn execute(&mut self, cmds: &[Command<'_>]) -> Result<Vec<Reply>> {
        for c in cmds {
            self.queue(c);
        }
        self.start();
        drive(&mut [&mut *self]).pop().unwrap_or(Ok(()))?;
        Ok(self.take_replies())
    }
}

mod dial;
mod drive;
mod owed;
pub use drive::drive;
#[cfg(test)]
mod tests;
