//! The memcached meta protocol (`mg`, `ms`, `md`; memcached ≥ 1.6):
//! encoding commands into bytes and parsing replies from a byte stream. No
//! sockets here, so every reply shape is tested from in-memory bytes.
//!
//! Source: memcached's `doc/protocol.txt`, "Meta Commands". Replies used:
//! `HD` (success, no value), `VA <len> <flags>` + data (value), `EN` (miss),
//! `NS` (not stored), `EX` (exists / CAS mismatch), `NF` (not found), `MN`
//! (the answer to `mn`, which the session paths never send: a pipeline
//! ends when every command has its reply, each matched to its command by
//! opaque and key). `ERROR`, `CLIENT_ERROR …` and `SERVER_ERROR …` are
//! reported as [`Reply::Failed`]; the caller drops the connection after
//! any error, since the stream position is no longer certain.
//!
//! Commands are encoded into a caller-owned buffer, so several can be queued
//! and sent in one write before their replies are read (pipelining).

use std::io;

pub use crate::core::keys::MAX_KEY_LEN;

/// Longest reply line we accept before calling the stream broken.
const MAX_LINE: usize = 8 * 1024;

/// Largest value length we accept in a `VA` reply: memcached's own maximum
/// item size (`-I 1024m`). A larger announced length is a broken or hostile
/// peer, refused before any allocation.
pub const MAX_VALUE_LEN: usize = 1024 * 1024 * 1024;

/// Expiry sent with a store or touch, already converted to memcached's rules
/// (see [`crate::core::keys::ttl_for`]): seconds ≤ 30 days are relative,
/// larger values are absolute unix times, 0 is "never", -1 "already expired".
pub type Exptime = i64;

/// Store mode of `ms` (its `M` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetMode {
    /// Store unconditionally (`MS`, the default).
    Set,
    /// Store only if the key does not exist (`ME`): the lock primitive.
    Add,
    /// Store only if the key exists (`MR`).
    Replace,
}

/// One meta command. Keys must already be validated (≤ 250 bytes, no
/// whitespace or control bytes): the encoder trusts them.
#[derive(Debug, Clone, Copy)]
pub enum Command<'a> {
    /// `mg <key> [v] [t] [c] [f] [T<exptime>]`: read (and optionally touch).
    Get {
        /// The key.
        key: &'a [u8],
        /// Return the value (`v`).
        value: bool,
        /// Return the remaining TTL in seconds (`t`; -1 means no expiry).
        ttl: bool,
        /// Return the CAS id (`c`).
        cas: bool,
        /// Return the client flags (`f`).
        flags: bool,
        /// Also update the TTL (`T`): a touch.
        touch: Option<Exptime>,
    },
    /// `ms <key> <len> T<exptime> [F<flags>] [M<mode>] [C<cas>]` + data.
    Set {
        /// The key.
        key: &'a [u8],
        /// The value; binary-safe.
        value: &'a [u8],
        /// Expiry.
        exptime: Exptime,
        /// Client flags stored with the item (0 for sessions, as pecl-memcache and
        /// php-memcached write them).
        client_flags: u32,
        /// Store mode.
        mode: SetMode,
        /// Compare-and-swap: store only if the item's CAS id is this.
        cas: Option<u64>,
    },
    /// `md <key> [C<cas>]`: delete (only if the CAS id matches, when given).
    Delete {
        /// The key.
        key: &'a [u8],
        /// Compare-and-delete CAS id.
        cas: Option<u64>,
    },
    /// `mn`: no-op, answered `MN`. Not sent by the session paths (a
    /// pipeline's end is its last command's reply); the integration tests
    /// use it as the smallest round trip.
    Noop,
    /// `stats settings` (text protocol): the server's settings, among them
    /// `item_size_max`.
    StatsSettings,
    /// memcached ASCII authentication (`-Y`), the first command of a new
    /// connection: `set rsmemcache.auth 0 -1 <len>` + `<user> <password>`
    /// (see [`crate::net::auth`]); answered `STORED`.
    Auth(&'a crate::net::auth::Credentials),
}

impl<'a> Command<'a> {
    /// `mg <key> v c`: the value and its CAS id (a lock item's holder).
    #[must_use]
    pub fn peek(key: &'a [u8]) -> Self {
        Command::Get {
            key,
            value: true,
            ttl: false,
            cas: true,
            flags: false,
            touch: None,
        }
    }

    /// `mg <key>`: does the key exist (`HD`) or not (`EN`); reads nothing,
    /// changes nothing.
    #[must_use]
    pub fn probe(key: &'a [u8]) -> Self {
        Command::Get {
            key,
            value: false,
            ttl: false,
            cas: false,
            flags: false,
            touch: None,
        }
    }

    /// `mg <key> T<exptime>`: a touch (`HD` if the key exists, `EN` if not).
    #[must_use]
    pub fn touch(key: &'a [u8], exptime: Exptime) -> Self {
        Command::Get {
            key,
            value: false,
            ttl: false,
            cas: false,
            flags: false,
            touch: Some(exptime),
        }
    }
}

impl Command<'_> {
    /// The key the command names (empty for `mn` and `stats`).
    #[must_use]
    pub fn key(&self) -> &[u8] {
        match *self {
            Command::Get { key, .. } | Command::Set { key, .. } | Command::Delete { key, .. } => {
                key
            }
            Command::Noop | Command::StatsSettings | Command::Auth(_) => b"",
        }
    }

    /// What its reply must carry (see [`Expect`]).
    #[must_use]
    pub fn expect(&self, opaque: u32) -> Expect {
        Expect {
            opaque,
            key: self.key().to_vec(),
            kind: match self {
                Command::Noop => ExpectKind::Noop,
                Command::StatsSettings => ExpectKind::Stats,
                Command::Auth(_) => ExpectKind::Stored,
                _ => ExpectKind::Meta,
            },
        }
    }

    /// Whether sending the command twice has the effect of sending it once,
    /// so it may be re-sent after a connection dropped before its reply:
    /// reads, touches, unconditional deletes and sets. An add (`ME`), a
    /// compare-and-swap (`C`) or a compare-and-delete is not: its second
    /// copy would answer `NS`/`EX`/`NF` about the first one's effect; the
    /// outcome of such a command is resolved by reading state instead.
    #[must_use]
    pub fn safe_to_repeat(&self) -> bool {
        match *self {
            Command::Get { .. } | Command::Noop | Command::StatsSettings | Command::Auth(_) => true,
            Command::Set { mode, cas, .. } => mode == SetMode::Set && cas.is_none(),
            Command::Delete { cas, .. } => cas.is_none(),
        }
    }

    /// Whether the command is an add (`ms … ME`), such as a lock add.
    #[must_use]
    pub fn is_add(&self) -> bool {
        matches!(
            self,
            Command::Set {
                mode: SetMode::Add,
                ..
            }
        )
    }

    /// Appends the command's wire bytes to `out`; meta commands carry
    /// `opaque` (`O<n>`) and ask for the key back (`k`), so their reply can
    /// be matched to them (see [`parse_reply`]).
    pub fn encode(&self, opaque: u32, out: &mut Vec<u8>) {
        use std::io::Write as _;
        // Writing into a Vec cannot fail.
        let w = |out: &mut Vec<u8>, args: std::fmt::Arguments<'_>| {
            out.write_fmt(args).expect("writing to a Vec never fails");
        };
        match *self {
            Command::Get {
                key,
                value,
                ttl,
                cas,
                flags,
                touch,
            } => {
                out.extend_from_slice(b"mg ");
                out.extend_from_slice(key);
                for (on, f) in [
                    (value, &b" v"[..]),
                    (ttl, b" t"),
                    (cas, b" c"),
                    (flags, b" f"),
                ] {
                    if on {
                        out.extend_from_slice(f);
                    }
                }
                if let Some(t) = touch {
                    w(out, format_args!(" T{t}"));
                }
                w(out, format_args!(" O{opaque} k"));
            }
            Command::Set {
                key,
                value,
                exptime,
                client_flags,
                mode,
                cas,
            } => {
                out.extend_from_slice(b"ms ");
                out.extend_from_slice(key);
                // `c`: the reply carries the stored item's CAS id (a lock's
                // owner proof, a session's version).
                w(out, format_args!(" {} T{exptime} c", value.len()));
                if client_flags != 0 {
                    w(out, format_args!(" F{client_flags}"));
                }
                match mode {
                    SetMode::Set => {}
                    SetMode::Add => out.extend_from_slice(b" ME"),
                    SetMode::Replace => out.extend_from_slice(b" MR"),
                }
                if let Some(c) = cas {
                    w(out, format_args!(" C{c}"));
                }
                w(out, format_args!(" O{opaque} k\r\n"));
                out.extend_from_slice(value);
            }
            Command::Delete { key, cas } => {
                out.extend_from_slice(b"md ");
                out.extend_from_slice(key);
                if let Some(c) = cas {
                    w(out, format_args!(" C{c}"));
                }
                w(out, format_args!(" O{opaque} k"));
            }
            Command::Noop => out.extend_from_slice(b"mn"),
            Command::StatsSettings => out.extend_from_slice(b"stats settings"),
            Command::Auth(creds) => {
                let data = creds.command_data();
                w(
                    out,
                    format_args!("set {} 0 -1 {}\r\n", crate::net::auth::AUTH_KEY, data.len()),
                );
                out.extend_from_slice(data);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Metadata returned with `HD`/`VA` when asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    /// Remaining TTL in seconds (`t`); -1 means no expiry.
    pub ttl: Option<i64>,
    /// CAS id (`c`).
    pub cas: Option<u64>,
    /// Client flags (`f`).
    pub client_flags: Option<u32>,
}

/// A successfully parsed reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `HD`: success without a value (stored, deleted, touched, hit).
    Done(Meta),
    /// `VA`: a value and its metadata.
    Value(Vec<u8>, Meta),
    /// `EN`: miss.
    Miss,
    /// `NS`: not stored (add on an existing key, replace on a missing one).
    NotStored,
    /// `EX`: the CAS id did not match.
    Exists,
    /// `NF`: not found (delete or CAS on a missing key).
    NotFound,
    /// `MN`: the no-op's answer.
    Noop,
    /// `SERVER_ERROR …`, `CLIENT_ERROR …` or `ERROR` in place of this
    /// command's reply (the line, without CRLF). memcached sends exactly
    /// one such line for the command it refused and keeps the stream in
    /// step; the connection is still dropped afterwards, to be safe.
    Failed(String),
    /// The `STAT name value` pairs of a `stats settings` reply.
    Stats(Vec<(String, String)>),
}

/// The reply in words, for messages (a value by its size only; a server's
/// error line with long runs of id characters cut, see
/// [`crate::error::escape_redacting_ids`]).
impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Done(_) => f.write_str("HD (success)"),
            Self::Value(v, _) => write!(f, "VA (a value of {} bytes)", v.len()),
            Self::Miss => f.write_str("EN (miss)"),
            Self::NotStored => f.write_str("NS (not stored)"),
            Self::Exists => f.write_str("EX (the CAS id did not match)"),
            Self::NotFound => f.write_str("NF (not found)"),
            Self::Noop => f.write_str("MN (no-op)"),
            Self::Failed(line) => write!(
                f,
                "'{}'",
                crate::error::escape_redacting_ids(line.as_bytes(), 120)
            ),
            Self::Stats(lines) => write!(f, "{} stats lines", lines.len()),
        }
    }
}

/// What the reply to one queued command must carry: memcached echoes the
/// opaque (`O<n>`) and the key (`k`) we sent on every meta reply but `MN`
/// and the error lines, so a reply that names another key or another
/// opaque is caught instead of being taken for this command's (a server
/// one reply out of step, a reply for another user's session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The opaque sent with the command (`O<n>`); unused for `mn`/`stats`.
    pub opaque: u32,
    /// The key sent with the command; empty for `mn`/`stats`.
    pub key: Vec<u8>,
    /// Which reply family is expected.
    pub kind: ExpectKind,
}

/// The reply family a command is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectKind {
    /// `mg`, `ms`, `md`: `HD`, `VA`, `EN`, `NS`, `EX`, `NF` with `O` and `k`.
    Meta,
    /// `mn`: `MN`.
    Noop,
    /// `stats settings`: `STAT …` lines up to `END`.
    Stats,
    /// The authentication `set`: `STORED`.
    Stored,
}

/// Why a reply could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The socket failed or timed out.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The server closed the connection.
    #[error("connection closed by server")]
    Closed,
    /// The bytes are not the reply we wait for (unknown, malformed, for
    /// another key or opaque, or a value longer than allowed).
    #[error("{0}")]
    Malformed(String),
}

/// Outcome of [`parse_reply`] on the bytes received so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed.
    Incomplete,
    /// One whole reply, and how many bytes of the buffer it took.
    Reply(Reply, usize),
}

/// The first line of `buf` without CRLF, and the bytes it takes with CRLF;
/// `None` when no whole line has arrived yet.
fn line_of(buf: &[u8]) -> Result<Option<(&[u8], usize)>, WireError> {
    let window = &buf[..buf.len().min(MAX_LINE + 2)];
    match window.iter().position(|&b| b == b'\n') {
        None if buf.len() > MAX_LINE => Err(WireError::Malformed("reply line too long".into())),
        None => Ok(None),
        Some(pos) => {
            let line = &buf[..pos];
            match line.split_last() {
                Some((b'\r', rest)) => Ok(Some((rest, pos + 1))),
                _ => Err(WireError::Malformed("reply line not ended by CRLF".into())),
            }
        }
    }
}

/// Parses the flags of a meta reply and checks they name this command:
/// the opaque and the key must be present and equal to what was sent.
fn parse_meta<'a>(
    tokens: impl Iterator<Item = &'a [u8]>,
    expect: &Expect,
) -> Result<Meta, WireError> {
    let mut meta = Meta::default();
    let (mut opaque, mut key) = (None, None);
    for t in tokens {
        let (flag, arg) = t
            .split_first()
            .ok_or_else(|| WireError::Malformed("empty flag".into()))?;
        if *flag == b'k' {
            key = Some(arg);
            continue;
        }
        let arg =
            std::str::from_utf8(arg).map_err(|_| WireError::Malformed("non-ASCII flag".into()))?;
        let bad = || WireError::Malformed(format!("bad flag value '{}{arg}'", char::from(*flag)));
        match flag {
            b't' => meta.ttl = Some(arg.parse().map_err(|_| bad())?),
            b'c' => meta.cas = Some(arg.parse().map_err(|_| bad())?),
            b'f' => meta.client_flags = Some(arg.parse().map_err(|_| bad())?),
            b'O' => opaque = Some(arg.parse::<u32>().map_err(|_| bad())?),
            _ => {} // flags we did not ask for (s, h, l, ...) are ignored
        }
    }
    if opaque != Some(expect.opaque) || key != Some(&expect.key[..]) {
        // Keys are not quoted: they hold session ids (see SidForLog).
        return Err(WireError::Malformed(format!(
            "reply does not match its command (sent O{}, reply has {} and {})",
            expect.opaque,
            opaque.map_or_else(|| "no opaque".to_owned(), |o| format!("O{o}")),
            match key {
                None => "no key",
                Some(k) if k == &expect.key[..] => "the same key",
                Some(_) => "another key",
            },
        )));
    }
    Ok(meta)
}

/// Parses one reply from the start of `buf` (bytes received so far),
/// checking it answers `expect`. A `VA` announcing more than `max_value`
/// bytes is refused before anything is allocated for it, and its bytes
/// are only copied once all of them have arrived.
///
/// # Errors
/// [`WireError::Malformed`]: an unknown or malformed reply, a reply for
/// another key or opaque, a value over `max_value`, a line over 8 KiB.
pub fn parse_reply(buf: &[u8], expect: &Expect, max_value: usize) -> Result<Parsed, WireError> {
    if expect.kind == ExpectKind::Stats {
        return parse_stats(buf);
    }
    let Some((line, used)) = line_of(buf)? else {
        return Ok(Parsed::Incomplete);
    };
    let unexpected = || {
        WireError::Malformed(format!(
            "unexpected reply '{}'",
            crate::error::escape_redacting_ids(line, 60)
        ))
    };
    if line.starts_with(b"SERVER_ERROR") || line.starts_with(b"CLIENT_ERROR") || line == b"ERROR" {
        let text = String::from_utf8_lossy(line).into_owned();
        return Ok(Parsed::Reply(Reply::Failed(text), used));
    }
    let mut tokens = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    let code = tokens.next().unwrap_or(b"");
    if expect.kind == ExpectKind::Stored {
        return match line {
            b"STORED" => Ok(Parsed::Reply(Reply::Done(Meta::default()), used)),
            _ => Err(unexpected()),
        };
    }
    if expect.kind == ExpectKind::Noop {
        return match code {
            b"MN" if tokens.next().is_none() => Ok(Parsed::Reply(Reply::Noop, used)),
            _ => Err(unexpected()),
        };
    }
    let reply = match code {
        b"HD" => Reply::Done(parse_meta(tokens, expect)?),
        b"EN" | b"NS" | b"EX" | b"NF" => {
            parse_meta(tokens, expect)?;
            match code {
                b"EN" => Reply::Miss,
                b"NS" => Reply::NotStored,
                b"EX" => Reply::Exists,
                _ => Reply::NotFound,
            }
        }
        b"VA" => {
            let len = tokens
                .next()
                .and_then(|t| std::str::from_utf8(t).ok())
                .ok_or_else(|| WireError::Malformed("VA without a length".into()))?;
            let len: usize = len
                .parse()
                .map_err(|_| WireError::Malformed(format!("VA with a bad length '{len}'")))?;
            if len > max_value.min(MAX_VALUE_LEN) {
                return Err(WireError::Malformed(format!(
                    "VA announces {len} bytes, more than the {} allowed",
                    max_value.min(MAX_VALUE_LEN)
                )));
            }
            let meta = parse_meta(tokens, expect)?;
            let need = used + len + 2;
            if buf.len() < need {
                return Ok(Parsed::Incomplete);
            }
            if buf[used + len..need] != *b"\r\n" {
                return Err(WireError::Malformed("value not followed by CRLF".into()));
            }
            return Ok(Parsed::Reply(
                Reply::Value(buf[used..used + len].to_vec(), meta),
                need,
            ));
        }
        _ => return Err(unexpected()),
    };
    Ok(Parsed::Reply(reply, used))
}

/// Parses a text-protocol `stats …` reply: `STAT <name> <value>` lines up
/// to `END`.
fn parse_stats(buf: &[u8]) -> Result<Parsed, WireError> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let Some((line, used)) = line_of(&buf[at..])? else {
            return Ok(Parsed::Incomplete);
        };
        at += used;
        if line == b"END" {
            return Ok(Parsed::Reply(Reply::Stats(out), at));
        }
        let text = String::from_utf8_lossy(line);
        let mut parts = text.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("STAT"), Some(name), value) => {
                out.push((name.to_owned(), value.unwrap_or("").to_owned()));
            }
            _ => {
                return Err(WireError::Malformed(format!(
                    "unexpected reply '{}' to stats",
                    crate::error::escape_redacting_ids(line, 60)
                )));
            }
        }
        if out.len() > 1000 {
            return Err(WireError::Malformed("too many stats lines".into()));
        }
    }
}

/// The `item_size_max` of a `stats settings` reply, in bytes.
#[must_use]
pub fn item_size_max(stats: &[(String, String)]) -> Option<u64> {
    stats
        .iter()
        .find(|(k, _)| k == "item_size_max")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .filter(|v| *v > 0)
}

#[cfg(test)]
mod tests;
