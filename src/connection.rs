//! One socket to one memcached server: connect with a timeout, send queued
//! meta commands in one write, read their replies — the whole operation
//! within one I/O deadline (`rsmemcache.timeout`). Owns the rule "any error
//! breaks the connection": after an I/O, timeout or protocol error the
//! connection is marked broken and must be dropped, because the position in
//! the reply stream is no longer known (php-memcached #543 is what happens
//! otherwise).

use crate::{
    error::{Error, Result},
    protocol::{Command, Reply, WireError, read_reply, read_stats},
    save_path::{ServerAddr, ServerSpec},
};
use std::{
    io::{self, BufReader, Read, Write},
    net::{TcpStream, ToSocketAddrs},
    os::unix::net::UnixStream,
    time::{Duration, Instant},
};

/// Read buffer size: a typical session and its reply line fit in one read.
const READ_BUFFER: usize = 16 * 1024;

/// TCP or unix-socket stream.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s
                .set_read_timeout(Some(t))
                .and_then(|()| s.set_write_timeout(Some(t))),
            Self::Unix(s) => s
                .set_read_timeout(Some(t))
                .and_then(|()| s.set_write_timeout(Some(t))),
        }
    }
}

/// After the deadline, socket calls may still pick up what has already
/// arrived, with a 1 ms timeout each, for this long.
const LAST_LOOK: Duration = Duration::from_millis(10);

/// A stream whose reads and writes share one deadline per operation (a
/// pipeline sent and its replies read): the I/O timeout bounds the whole
/// operation, not each socket call, so a server dribbling bytes cannot hold
/// a request longer than the timeout (plus [`Timed::slack`]).
///
/// The socket's own timeout is lowered only when a call could otherwise
/// block past the deadline by more than the slack, so the fast path (a
/// write and a read a few microseconds apart) costs no `setsockopt`.
#[derive(Debug)]
struct Timed {
    stream: Stream,
    io_timeout: Duration,
    deadline: Instant,
    /// The timeout currently set on the socket.
    armed: Duration,
}

impl Timed {
    /// How far past the deadline a blocked call may end: a tenth of the
    /// I/O timeout, at most 50 ms.
    fn slack(&self) -> Duration {
        (self.io_timeout / 10).min(Duration::from_millis(50))
    }

    /// Starts an operation: a fresh deadline `io_timeout` from now.
    fn begin(&mut self) -> io::Result<()> {
        if self.armed != self.io_timeout {
            self.stream.set_timeouts(self.io_timeout)?;
            self.armed = self.io_timeout;
        }
        self.deadline = Instant::now() + self.io_timeout;
        Ok(())
    }

    /// Before each socket call: fail once the deadline has passed; lower the
    /// socket timeout to what is left when the call could otherwise end
    /// more than the slack after the deadline.
    fn arm(&mut self) -> io::Result<()> {
        let now = Instant::now();
        if now >= self.deadline + LAST_LOOK {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "operation deadline passed",
            ));
        }
        if now >= self.deadline {
            // Another server of a parallel round trip may have used the time
            // up while this reply already waited in the kernel: a last look
            // with a 1 ms timeout, never past deadline + LAST_LOOK.
            let short = Duration::from_millis(1);
            if self.armed != short {
                self.stream.set_timeouts(short)?;
                self.armed = short;
            }
            return Ok(());
        }
        if now + self.armed > self.deadline + self.slack() {
            let left = (self.deadline - now).max(Duration::from_millis(1));
            self.stream.set_timeouts(left)?;
            self.armed = left;
        }
        Ok(())
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        match &mut self.stream {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        match &mut self.stream {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An open connection to one server.
#[derive(Debug)]
pub struct Connection {
    reader: BufReader<Timed>,
    wbuf: Vec<u8>,
    line: Vec<u8>,
    label: String,
    io_timeout_ms: u64,
    broken: bool,
    last_used: Instant,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Connection {
    /// Connects to `spec` within `connect_timeout`, then sets `io_timeout` on
    /// every read and write and `TCP_NODELAY`. For a host name every resolved
    /// address is tried in turn.
    ///
    /// # Errors
    /// [`Error::Connect`] when refused (at once) or on any other OS error;
    /// [`Error::ConnectTimeout`] when no address answered in time.
    pub fn connect(
        spec: &ServerSpec,
        connect_timeout: Duration,
        io_timeout: Duration,
    ) -> Result<Self> {
        let label = spec.label();
        let connect_timeout = connect_timeout.max(Duration::from_millis(1));
        let io_timeout = io_timeout.max(Duration::from_millis(1));
        let stream = match &spec.addr {
            ServerAddr::Tcp { host, port } => {
                let addrs =
                    (host.as_str(), *port)
                        .to_socket_addrs()
                        .map_err(|source| Error::Connect {
                            server: label.clone(),
                            source,
                        })?;
                let mut last = None;
                let mut stream = None;
                for addr in addrs {
                    match TcpStream::connect_timeout(&addr, connect_timeout) {
                        Ok(s) => {
                            stream = Some(s);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                let s = match (stream, last) {
                    (Some(s), _) => s,
                    (None, Some(e))
                        if matches!(
                            e.kind(),
                            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                        ) =>
                    {
                        return Err(Error::ConnectTimeout {
                            server: label,
                            ms: ms(connect_timeout),
                        });
                    }
                    (None, Some(source)) => {
                        return Err(Error::Connect {
                            server: label,
                            source,
                        });
                    }
                    (None, None) => {
                        let source = io::Error::new(
                            io::ErrorKind::NotFound,
                            "host name resolved to no address",
                        );
                        return Err(Error::Connect {
                            server: label,
                            source,
                        });
                    }
                };
                let setup = s
                    .set_nodelay(true)
                    .and_then(|()| s.set_read_timeout(Some(io_timeout)))
                    .and_then(|()| s.set_write_timeout(Some(io_timeout)));
                setup.map_err(|source| Error::Connect {
                    server: label.clone(),
                    source,
                })?;
                Stream::Tcp(s)
            }
            ServerAddr::Unix(path) => {
                let s = UnixStream::connect(path).map_err(|source| Error::Connect {
                    server: label.clone(),
                    source,
                })?;
                let setup = s
                    .set_read_timeout(Some(io_timeout))
                    .and_then(|()| s.set_write_timeout(Some(io_timeout)));
                setup.map_err(|source| Error::Connect {
                    server: label.clone(),
                    source,
                })?;
                Stream::Unix(s)
            }
        };
        let timed = Timed {
            stream,
            io_timeout,
            deadline: Instant::now() + io_timeout,
            armed: io_timeout,
        };
        Ok(Self {
            reader: BufReader::with_capacity(READ_BUFFER, timed),
            wbuf: Vec::with_capacity(1024),
            line: Vec::with_capacity(128),
            label,
            io_timeout_ms: ms(io_timeout),
            broken: false,
            last_used: Instant::now(),
        })
    }

    /// The server's label (`host:port` or `unix:///path`).
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// True once any error was seen: the connection must not be reused.
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Whether an idle connection still looks usable: a non-blocking read
    /// finds nothing to read (no EOF from a server that closed it, no stray
    /// bytes). Costs three system calls; used only on connections idle for
    /// a while. A `false` connection must be dropped.
    pub fn looks_open(&mut self) -> bool {
        if !self.reader.buffer().is_empty() {
            return false;
        }
        let stream = &mut self.reader.get_mut().stream;
        let mut byte = [0u8; 1];
        let set = |s: &Stream, on: bool| match s {
            Stream::Tcp(t) => t.set_nonblocking(on),
            Stream::Unix(u) => u.set_nonblocking(on),
        };
        if set(stream, true).is_err() {
            return false;
        }
        let r = match stream {
            Stream::Tcp(t) => t.read(&mut byte),
            Stream::Unix(u) => u.read(&mut byte),
        };
        let open = matches!(r, Err(ref e) if e.kind() == io::ErrorKind::WouldBlock);
        open && set(stream, false).is_ok()
    }

    /// When the connection last completed a round trip.
    #[must_use]
    pub fn last_used(&self) -> Instant {
        self.last_used
    }

    /// Queues a command; nothing is sent until [`Connection::flush`].
    pub fn queue(&mut self, cmd: &Command<'_>) {
        cmd.encode(&mut self.wbuf);
    }

    /// Sends everything queued, in one `write` where the kernel allows, and
    /// starts the operation's deadline: the replies to what was sent must
    /// arrive within the I/O timeout from now.
    ///
    /// # Errors
    /// [`Error::Timeout`] or [`Error::Io`]; the connection is then broken.
    pub fn flush(&mut self) -> Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let timed = self.reader.get_mut();
        let res = timed.begin().and_then(|()| timed.write_all(&self.wbuf));
        self.wbuf.clear();
        res.map_err(|e| self.io_error(e))
    }

    /// Reads the next reply. Call once per queued command, in order.
    ///
    /// # Errors
    /// [`Error::Timeout`], [`Error::Io`], [`Error::Protocol`] or
    /// [`Error::Server`]; the connection is then broken.
    pub fn read_reply(&mut self) -> Result<Reply> {
        let reply = read_reply(&mut self.reader, &mut self.line).map_err(|e| self.wire_error(e))?;
        self.last_used = Instant::now();
        Ok(reply)
    }

    /// Sends `cmds` in one write and reads one reply per command.
    ///
    /// # Errors
    /// As [`Connection::flush`] and [`Connection::read_reply`]. On error no
    /// partial result is returned.
    pub fn execute(&mut self, cmds: &[Command<'_>]) -> Result<Vec<Reply>> {
        for c in cmds {
            self.queue(c);
        }
        self.flush()?;
        cmds.iter().map(|_| self.read_reply()).collect()
    }

    /// Sends `stats settings` (text protocol) and returns its `STAT` pairs.
    ///
    /// # Errors
    /// As [`Connection::read_reply`].
    pub fn stats_settings(&mut self) -> Result<Vec<(String, String)>> {
        self.wbuf.extend_from_slice(b"stats settings\r\n");
        self.flush()?;
        // An error line to `stats` is a protocol error, not a refused command.
        read_stats(&mut self.reader, &mut self.line).map_err(|e| {
            let e = match e {
                WireError::Server(line) => WireError::Malformed(line),
                other => other,
            };
            self.wire_error(e)
        })
    }

    /// Maps a failed read to the crate's error; every one breaks the
    /// connection.
    fn wire_error(&mut self, e: WireError) -> Error {
        self.broken = true;
        match e {
            WireError::Io(e) => self.io_error(e),
            WireError::Closed => self.io_error(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed by server",
            )),
            WireError::Malformed(detail) => Error::Protocol {
                server: self.label.clone(),
                detail,
            },
            WireError::Server(answer) => Error::Server {
                server: self.label.clone(),
                answer,
            },
        }
    }

    fn io_error(&mut self, e: io::Error) -> Error {
        self.broken = true;
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            Error::Timeout {
                server: self.label.clone(),
                ms: self.io_timeout_ms,
            }
        } else {
            Error::Io {
                server: self.label.clone(),
                source: e,
            }
        }
    }
}
