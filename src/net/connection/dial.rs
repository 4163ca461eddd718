//! Opening a server's socket within the connect timeout: name resolution
//! (bounded too), then each address in turn (TCP) or the socket path.

use crate::{core::save_path::ServerAddr, error::Error};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::{
    io,
    net::{IpAddr, SocketAddr, ToSocketAddrs},
    sync::mpsc,
    time::{Duration, Instant},
};

/// One connect attempt to the server labelled `label`, bounded by
/// `timeout` from `started`.
pub(super) struct Dial<'a> {
    pub(super) label: &'a str,
    pub(super) timeout: Duration,
    pub(super) started: Instant,
}

impl Dial<'_> {
    /// [`Error::ConnectTimeout`] for this server.
    fn timed_out(&self) -> Error {
        Error::ConnectTimeout {
            server: self.label.to_owned(),
            ms: super::ms(self.timeout),
        }
    }

    /// `source` as this server's connect error (a timeout without an OS
    /// error code as [`Error::ConnectTimeout`]).
    fn failed(&self, source: io::Error) -> Error {
        if matches!(
            source.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ) && source.raw_os_error().is_none()
        {
            return self.timed_out();
        }
        Error::Connect {
            server: self.label.to_owned(),
            source,
        }
    }

    /// A connected, non-blocking socket to `addr` (TCP with `TCP_NODELAY`,
    /// or a unix socket).
    ///
    /// # Errors
    /// [`Error::ConnectTimeout`] when the timeout passed; [`Error::Connect`]
    /// when resolution or every address failed.
    pub(super) fn socket(&self, addr: &ServerAddr) -> Result<Socket, Error> {
        let s = match addr {
            ServerAddr::Tcp { host, port } => self.tcp(host, *port)?,
            ServerAddr::Unix(path) => {
                let s =
                    Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| self.failed(e))?;
                let addr = SockAddr::unix(path).map_err(|e| self.failed(e))?;
                match s.connect_timeout(&addr, self.timeout) {
                    Ok(()) => s,
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => return Err(self.timed_out()),
                    Err(e) => return Err(self.failed(e)),
                }
            }
        };
        s.set_nonblocking(true).map_err(|e| self.failed(e))?;
        Ok(s)
    }

    /// Resolves `host` and tries its addresses in turn with what is left
    /// of the timeout.
    fn tcp(&self, host: &str, port: u16) -> Result<Socket, Error> {
        let addrs = resolve(host, port, self.timeout).map_err(|e| self.failed(e))?;
        let mut last = None;
        for addr in addrs {
            let left = self.timeout.saturating_sub(self.started.elapsed());
            if left.is_zero() {
                return Err(self.timed_out());
            }
            let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
                .map_err(|e| self.failed(e))?;
            match s.connect_timeout(&addr.into(), left) {
                Ok(()) => {
                    s.set_tcp_nodelay(true).map_err(|e| self.failed(e))?;
                    return Ok(s);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if e.kind() == io::ErrorKind::TimedOut => self.timed_out(),
            Some(e) => self.failed(e),
            None => self.failed(io::Error::new(
                io::ErrorKind::NotFound,
                "host name resolved to no address",
            )),
        })
    }
}

/// Resolves `host`, within `timeout`: IP literals at once, names on a
/// helper thread (the C resolver has no timeout of its own); a resolver
/// that does not answer in time is left to finish on its own.
pub(super) fn resolve(host: &str, port: u16, timeout: Duration) -> io::Result<Vec<SocketAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("rsmemcache-resolve".into())
        .spawn(move || {
            let r = (name.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>);
            let _ = tx.send(r);
        })?;
    match rx.recv_timeout(timeout) {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "name resolution timed out",
        )),
    }
}
