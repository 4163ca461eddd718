//! The crate's one error type.
//!
//! Every failure the save handler can report is an [`Error`]. Its `Display`
//! text is the body of the PHP warning: the FFI layer prepends `rsmemcache: `
//! and raises it as `E_WARNING`. phpt tests match these texts, so the wording
//! is part of the interface: change it only together with the tests.
//!
//! Expected outcomes of memcached commands (a miss, `NS`, `EX`, `NF`) are not
//! errors; they are [`crate::net::protocol::Reply`] values.
//!
//! A session id is a credential: every message that names a session holds a
//! [`SidForLog`], which keeps only the id's first 6 characters, so no error,
//! warning or log line can carry a whole id.

use std::{fmt, io};

/// How much of a session id a message may show: its first
/// [`SidForLog::SHOWN`] characters (escaped), then `...` when the id is
/// longer. The only way messages name a session: the type keeps nothing
/// more, so formatting a whole id by accident is impossible.
///
/// 6 characters are 24 to 36 bits of a PHP id (`session.sid_bits_per_character`
/// 4 to 6, <https://www.php.net/manual/en/session.configuration.php>):
/// enough to tell requests apart in a log, far too few to guess the rest.
#[derive(Clone, PartialEq, Eq)]
pub struct SidForLog {
    shown: String,
    cut: bool,
}

impl SidForLog {
    /// Characters of the id a message may show.
    pub const SHOWN: usize = 6;

    /// The loggable form of session id `sid`.
    #[must_use]
    pub fn new(sid: &[u8]) -> Self {
        let head = &sid[..sid.len().min(Self::SHOWN)];
        Self {
            shown: escape_for_message(head, Self::SHOWN),
            cut: sid.len() > Self::SHOWN,
        }
    }
}

impl fmt::Display for SidForLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)?;
        if self.cut {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SidForLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between PHP and memcached.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `session.save_path` is empty or only separators.
    #[error("session.save_path is empty: give at least one memcached server")]
    EmptySavePath,

    /// One entry of `session.save_path` could not be parsed.
    #[error("invalid session.save_path entry '{entry}': {reason}")]
    SavePath {
        /// The offending entry, as written (escaped for printing).
        entry: String,
        /// What is wrong with it.
        reason: String,
    },

    /// One entry of `rsmemcache.previous_save_path` (the server list before a
    /// resize) could not be parsed: the same rules as `session.save_path`.
    #[error("invalid rsmemcache.previous_save_path entry '{entry}': {reason}")]
    PreviousSavePath {
        /// The offending entry, as written (escaped for printing).
        entry: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An `rsmemcache.*` ini directive holds a value we cannot use.
    #[error("invalid value '{value}' for {directive}: {reason}")]
    Directive {
        /// Directive name, e.g. `rsmemcache.prefix`.
        directive: &'static str,
        /// The value as set (escaped for printing).
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A session id that must not reach memcached (bad bytes, too long a key).
    /// It is never truncated and never sent.
    #[error("session id '{id}' refused: {reason}")]
    BadSessionId {
        /// The id's first characters (escaped; never the whole id).
        id: SidForLog,
        /// Why it was refused.
        reason: String,
    },

    /// The TCP or unix-socket connect failed at once (refused, no such file, ...).
    #[error("server {server}: connect failed: {source}")]
    Connect {
        /// Server label as in save_path (`host:port` or `unix:///path`).
        server: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// No connection within the connect timeout.
    #[error("server {server}: connect timed out after {ms} ms")]
    ConnectTimeout {
        /// Server label.
        server: String,
        /// The connect timeout that elapsed, in milliseconds.
        ms: u64,
    },

    /// The server failed recently and is skipped until its retry interval
    /// has passed (no connect attempt is made).
    #[error("server {server} is marked failed after an error; next retry in {retry_in_ms} ms")]
    ServerDown {
        /// Server label.
        server: String,
        /// Milliseconds until the server is tried again.
        retry_in_ms: u64,
    },

    /// The server did not answer (or take our bytes) within the I/O timeout.
    #[error("server {server}: no answer within {ms} ms")]
    Timeout {
        /// Server label.
        server: String,
        /// The I/O timeout that elapsed, in milliseconds.
        ms: u64,
    },

    /// Reading or writing the socket failed (reset, closed by peer, ...).
    #[error("server {server}: I/O error: {source}")]
    Io {
        /// Server label.
        server: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The server sent bytes that are not a reply we understand.
    #[error("server {server}: protocol error: {detail}")]
    Protocol {
        /// Server label.
        server: String,
        /// What was wrong with the reply.
        detail: String,
    },

    /// The server answered `SERVER_ERROR`, `CLIENT_ERROR` or `ERROR`.
    #[error("server {server} answered '{answer}'")]
    Server {
        /// Server label.
        server: String,
        /// The server's line, without CRLF.
        answer: String,
    },

    /// The durable tier's database failed (or is left alone for its retry
    /// interval) and `rsmemcache.durable_failure = error`.
    #[error("durable tier {dsn}: {detail}")]
    Durable {
        /// The DSN's label (never holds credentials).
        dsn: String,
        /// What failed.
        detail: String,
    },

    /// A session larger than the server stores; it is not sent (memcached
    /// would drop the previous copy on such a set), so that copy stays.
    #[error(
        "session {id} not written ({size} bytes): server {server} stores at most {limit} bytes per item (item_size_max); the previous copy is kept"
    )]
    TooLarge {
        /// The session, by its first characters.
        id: SidForLog,
        /// Size of the encoded session, in bytes.
        size: usize,
        /// Server label.
        server: String,
        /// The server's item_size_max, in bytes.
        limit: u64,
    },

    /// A write was refused by the server.
    #[error("session {id} not written ({size} bytes): server {server} answered '{answer}'")]
    WriteRefused {
        /// The session, by its first characters.
        id: SidForLog,
        /// Size of the encoded session, in bytes.
        size: usize,
        /// Server label.
        server: String,
        /// The server's answer.
        answer: String,
    },

    /// The session's lock was held by another request for the whole wait
    /// budget (`rsmemcache.lock_failure = error`).
    #[error(
        "session {id} is locked by another request; gave up after waiting {waited_ms} ms (rsmemcache.lock_wait_time)"
    )]
    LockTimeout {
        /// The session, by its first characters.
        id: SidForLog,
        /// How long this request waited, in milliseconds.
        waited_ms: u64,
    },

    /// A write or destroy of a session opened read-only after a lock
    /// timeout (`rsmemcache.lock_failure = readonly`).
    #[error("session {id} was opened read-only because another request held its lock; {refused}")]
    ReadOnly {
        /// The session, by its first characters.
        id: SidForLog,
        /// What was refused: `changes not written` or `not destroyed`.
        refused: &'static str,
    },

    /// The session changed in memcached after this request read it (its lock
    /// expired, or the other writer did not lock): writing would lose that
    /// update.
    #[error(
        "session {id} not written: another request changed it after this request read it (this request's lock expires after rsmemcache.lock_expire = {expire_s} s; the other may not lock at all)"
    )]
    Conflict {
        /// The session, by its first characters.
        id: SidForLog,
        /// The lock TTL in force, seconds.
        expire_s: u32,
    },

    /// Every server a session may live on failed (with failover, each one
    /// in its probe order was tried or is marked failed).
    #[error("session {id}: no memcached server reachable ({tried} tried); last error: {last}")]
    NoServer {
        /// The session, by its first characters.
        id: SidForLog,
        /// How many servers were tried or skipped as failed.
        tried: usize,
        /// The last server's error.
        last: Box<Error>,
    },

    /// A stored session that rsmemcache cannot turn back into session data
    /// (client flags it does not know, a compressed value that does not
    /// inflate). It is neither returned as empty nor overwritten.
    #[error(
        "session {id} on server {server} cannot be read: {detail}; the stored copy is left as it is"
    )]
    Undecodable {
        /// The session, by its first characters.
        id: SidForLog,
        /// Server label.
        server: String,
        /// What is wrong with it.
        detail: String,
    },

    /// The server refused the credentials of `rsmemcache.auth_file` (or
    /// asked for them when none are configured: memcached `-Y` answers
    /// `CLIENT_ERROR unauthenticated` to any first command but the
    /// authentication `set`). A server fault: failover as for a refused
    /// connection.
    #[error("server {server}: authentication refused (rsmemcache.auth_file): {answer}")]
    AuthRefused {
        /// Server label.
        server: String,
        /// The server's line, without CRLF (never holds the credentials).
        answer: String,
    },

    /// `rsmemcache.auth_file` cannot be read or is not `user:password`
    /// (its content is never quoted).
    #[error("rsmemcache.auth_file '{path}' cannot be used: {reason}")]
    AuthFile {
        /// The file's path (escaped for printing).
        path: String,
        /// Why.
        reason: String,
    },

    /// `rsmemcache.encryption_key_file` cannot be read or is not a key
    /// file ([`crate::secrets::crypt::KeyRing::parse`]); its content is never quoted.
    #[error("rsmemcache.encryption_key_file '{path}' cannot be used: {reason}")]
    KeyFile {
        /// The file's path (escaped for printing).
        path: String,
        /// Why (a line number at most, never the line).
        reason: String,
    },

    /// A `rsmemcache.tls_*` file or name cannot be used (not a server
    /// fault: no server is tried with a configuration we cannot build).
    #[error("{directive} '{path}' cannot be used: {reason}")]
    TlsSetup {
        /// The directive at fault.
        directive: &'static str,
        /// Its value (a path or name; escaped for printing).
        path: String,
        /// Why.
        reason: String,
    },

    /// The TLS handshake with a server failed (certificate not trusted,
    /// wrong name, expired, client certificate refused, not TLS at all...).
    /// A server fault like a refused connect; never a plaintext fallback.
    #[error("server {server}: TLS handshake failed: {reason}")]
    TlsHandshake {
        /// Server label.
        server: String,
        /// rustls' or the socket's reason.
        reason: String,
    },

    /// The OS could not supply random bytes for a lock token.
    #[error("cannot create a lock token: {0}")]
    Random(String),
}

impl Error {
    /// True for errors that mean "this server is unusable right now"
    /// (connect failures, timeouts, I/O and protocol errors): the connection
    /// is dropped and, with failover, another server is tried.
    #[must_use]
    pub fn is_server_fault(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::ConnectTimeout { .. }
                | Self::ServerDown { .. }
                | Self::Timeout { .. }
                | Self::Io { .. }
                | Self::Protocol { .. }
                | Self::AuthRefused { .. }
                | Self::TlsHandshake { .. }
                | Self::NoServer { .. }
        )
    }
}

/// Escapes bytes for a warning: printable ASCII as is, everything else as
/// `\xNN` (CR and LF as `\r`, `\n`), cut after `max` input bytes with `...`.
#[must_use]
pub fn escape_for_message(bytes: &[u8], max: usize) -> String {
    let mut out = String::with_capacity(bytes.len().min(max) + 3);
    for &b in bytes.iter().take(max) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > max {
        out.push_str("...");
    }
    out
}

/// [`escape_for_message`] for a memcached key, or a line a server sent
/// (which may quote one), since keys hold session ids: every run of more than [`SidForLog::SHOWN`]
/// characters of the session id alphabet (`[A-Za-z0-9,-]`) is cut to its
/// first [`SidForLog::SHOWN`] and `...`.
#[must_use]
pub fn escape_redacting_ids(bytes: &[u8], max: usize) -> String {
    let text = escape_for_message(bytes, max);
    let mut out = String::with_capacity(text.len());
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == ',' || c == '-' {
            run += 1;
            if run <= SidForLog::SHOWN {
                out.push(c);
            } else if run == SidForLog::SHOWN + 1 {
                out.push_str("...");
            }
        } else {
            run = 0;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_id_shows_six_characters_at_most() {
        let sid = b"abcdefghijklmnopqrstuvwxyz0123";
        assert_eq!(SidForLog::new(sid).to_string(), "abcdef...");
        assert_eq!(format!("{:?}", SidForLog::new(sid)), "abcdef...");
        assert_eq!(SidForLog::new(b"abc").to_string(), "abc");
        assert_eq!(SidForLog::new(b"a\r\nbcdefg").to_string(), "a\\r\\nbcd...");
        let e = Error::LockTimeout {
            id: SidForLog::new(sid),
            waited_ms: 5,
        };
        assert!(!e.to_string().contains("abcdefg"), "{e}");
    }

    #[test]
    fn server_lines_lose_long_runs_of_id_characters() {
        assert_eq!(escape_redacting_ids(b"HELLO WORLD", 60), "HELLO WORLD");
        assert_eq!(
            escape_redacting_ids(b"VA 2 kp.sess.abcdefghijkl O1", 60),
            "VA 2 kp.sess.abcdef... O1"
        );
    }

    #[test]
    fn escape_keeps_printable_and_escapes_the_rest() {
        assert_eq!(
            escape_for_message(b"ab\r\nflush_all\x00", 64),
            "ab\\r\\nflush_all\\x00"
        );
        assert_eq!(escape_for_message(b"abcdef", 3), "abc...");
    }

    #[test]
    fn server_faults_are_classified() {
        let e = Error::Timeout {
            server: "h:1".into(),
            ms: 5,
        };
        assert!(e.is_server_fault());
        let e = Error::Server {
            server: "h:1".into(),
            answer: "SERVER_ERROR x".into(),
        };
        assert!(!e.is_server_fault());
    }
}
