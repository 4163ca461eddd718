//! The memcached meta protocol (`mg`, `ms`, `md`, `mn`; memcached ≥ 1.6):
//! encoding commands into bytes and parsing replies from a byte stream. No
//! sockets here, so every reply shape is tested from in-memory bytes.
//!
//! Source: memcached's `doc/protocol.txt`, "Meta Commands". Replies used:
//! `HD` (success, no value), `VA <len> <flags>` + data (value), `EN` (miss),
//! `NS` (not stored), `EX` (exists / CAS mismatch), `NF` (not found), `MN`
//! (end of a pipeline). `ERROR`, `CLIENT_ERROR …` and `SERVER_ERROR …` are
//! reported as [`WireError::Server`]; the caller drops the connection after
//! any error, since the stream position is no longer certain.
//!
//! Commands are encoded into a caller-owned buffer, so several can be queued
//! and sent in one write before their replies are read (pipelining).

use std::io::{self, BufRead};

/// Longest key memcached accepts, in bytes.
pub const MAX_KEY_LEN: usize = 250;

/// Longest reply line we accept before calling the stream broken.
const MAX_LINE: usize = 8 * 1024;

/// Largest value length we accept in a `VA` reply: memcached's own maximum
/// item size (`-I 1024m`). A larger announced length is a broken or hostile
/// peer, refused before any allocation.
pub const MAX_VALUE_LEN: usize = 1024 * 1024 * 1024;

/// Expiry sent with a store or touch, already converted to memcached's rules
/// (see [`crate::session::keys::ttl_for`]): seconds ≤ 30 days are relative,
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
        /// Client flags stored with the item (0 for sessions, as the anchors).
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
    /// `mn`: no-op; its `MN` reply marks the end of a pipeline.
    Noop,
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
    /// Appends the command's wire bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
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
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(value);
            }
            Command::Delete { key, cas } => {
                out.extend_from_slice(b"md ");
                out.extend_from_slice(key);
                if let Some(c) = cas {
                    w(out, format_args!(" C{c}"));
                }
            }
            Command::Noop => out.extend_from_slice(b"mn"),
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
    /// The bytes are not a meta reply.
    #[error("{0}")]
    Malformed(String),
    /// `ERROR`, `CLIENT_ERROR …` or `SERVER_ERROR …` (the line, without CRLF).
    #[error("{0}")]
    Server(String),
}

/// Reads one reply line (without CRLF) into `line`.
fn read_line<R: BufRead>(r: &mut R, line: &mut Vec<u8>) -> Result<(), WireError> {
    line.clear();
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Err(WireError::Closed);
        }
        if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&buf[..pos]);
            r.consume(pos + 1);
            break;
        }
        let n = buf.len();
        line.extend_from_slice(buf);
        r.consume(n);
        if line.len() > MAX_LINE {
            return Err(WireError::Malformed("reply line too long".into()));
        }
    }
    if line.len() > MAX_LINE {
        return Err(WireError::Malformed("reply line too long".into()));
    }
    if line.pop() != Some(b'\r') {
        return Err(WireError::Malformed("reply line not ended by CRLF".into()));
    }
    Ok(())
}

fn parse_meta<'a>(tokens: impl Iterator<Item = &'a [u8]>) -> Result<Meta, WireError> {
    let mut meta = Meta::default();
    for t in tokens {
        let (flag, arg) = t
            .split_first()
            .ok_or_else(|| WireError::Malformed("empty flag".into()))?;
        let arg =
            std::str::from_utf8(arg).map_err(|_| WireError::Malformed("non-ASCII flag".into()))?;
        let bad = || WireError::Malformed(format!("bad flag value '{}{arg}'", char::from(*flag)));
        match flag {
            b't' => meta.ttl = Some(arg.parse().map_err(|_| bad())?),
            b'c' => meta.cas = Some(arg.parse().map_err(|_| bad())?),
            b'f' => meta.client_flags = Some(arg.parse().map_err(|_| bad())?),
            _ => {} // flags we did not ask for (k, O, s, ...) are ignored
        }
    }
    Ok(meta)
}

/// Reads exactly one reply from `r`; `line` is a scratch buffer reused
/// across calls. Values are read into a buffer of exactly their size.
///
/// # Errors
/// [`WireError`]: I/O failure or timeout, a closed stream, an unknown reply,
/// or an error line from the server.
pub fn read_reply<R: BufRead>(r: &mut R, line: &mut Vec<u8>) -> Result<Reply, WireError> {
    read_line(r, line)?;
    let mut tokens = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    let code = tokens.next().unwrap_or(b"");
    let simple = match code {
        b"HD" => return Ok(Reply::Done(parse_meta(tokens)?)),
        b"EN" => Reply::Miss,
        b"NS" => Reply::NotStored,
        b"EX" => Reply::Exists,
        b"NF" => Reply::NotFound,
        b"MN" => Reply::Noop,
        b"VA" => {
            let len: usize = tokens
                .next()
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| WireError::Malformed("VA without a length".into()))?;
            if len > MAX_VALUE_LEN {
                return Err(WireError::Malformed(format!(
                    "VA announces {len} bytes, more than memcached can store"
                )));
            }
            let meta = parse_meta(tokens)?;
            let mut data = vec![0u8; len + 2];
            r.read_exact(&mut data).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    WireError::Closed
                } else {
                    WireError::Io(e)
                }
            })?;
            if data[len..] != *b"\r\n" {
                return Err(WireError::Malformed("value not followed by CRLF".into()));
            }
            data.truncate(len);
            return Ok(Reply::Value(data, meta));
        }
        _ if line.starts_with(b"SERVER_ERROR")
            || line.starts_with(b"CLIENT_ERROR")
            || line == b"ERROR" =>
        {
            return Err(WireError::Server(
                String::from_utf8_lossy(line).into_owned(),
            ));
        }
        _ => {
            return Err(WireError::Malformed(format!(
                "unexpected reply '{}'",
                crate::error::escape_for_message(line, 60)
            )));
        }
    };
    Ok(simple)
}

/// Reads the reply to a text-protocol `stats …` command: `STAT <name>
/// <value>` lines up to `END`.
///
/// # Errors
/// As [`read_reply`].
pub fn read_stats<R: BufRead>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> Result<Vec<(String, String)>, WireError> {
    let mut out = Vec::new();
    loop {
        read_line(r, line)?;
        if line == b"END" {
            return Ok(out);
        }
        let text = String::from_utf8_lossy(line);
        let mut parts = text.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("STAT"), Some(name), value) => {
                out.push((name.to_owned(), value.unwrap_or("").to_owned()))
            }
            _ if text.starts_with("SERVER_ERROR")
                || text.starts_with("CLIENT_ERROR")
                || text == "ERROR" =>
            {
                return Err(WireError::Server(text.into_owned()));
            }
            _ => {
                return Err(WireError::Malformed(format!(
                    "unexpected stats line '{}'",
                    crate::error::escape_for_message(line, 60)
                )));
            }
        }
        if out.len() > 1000 {
            return Err(WireError::Malformed("too many stats lines".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn enc(c: Command<'_>) -> Vec<u8> {
        let mut v = Vec::new();
        c.encode(&mut v);
        v
    }

    fn replies(bytes: &[u8]) -> Vec<Result<Reply, String>> {
        let mut r = Cursor::new(bytes);
        let mut line = Vec::new();
        let mut out = Vec::new();
        while (r.position() as usize) < bytes.len() {
            let rep = read_reply(&mut r, &mut line).map_err(|e| e.to_string());
            let stop = rep.is_err();
            out.push(rep);
            if stop {
                break;
            }
        }
        out
    }

    #[test]
    fn encodes_meta_commands() {
        let get = Command::Get {
            key: b"k",
            value: true,
            ttl: true,
            cas: true,
            flags: false,
            touch: None,
        };
        assert_eq!(enc(get), b"mg k v t c\r\n");
        let touch = Command::Get {
            key: b"k",
            value: false,
            ttl: false,
            cas: false,
            flags: false,
            touch: Some(60),
        };
        assert_eq!(enc(touch), b"mg k T60\r\n");
        let set = Command::Set {
            key: b"k",
            value: b"a\r\nb\0",
            exptime: 1440,
            client_flags: 0,
            mode: SetMode::Set,
            cas: None,
        };
        assert_eq!(enc(set), b"ms k 5 T1440 c\r\na\r\nb\0\r\n");
        let add = Command::Set {
            key: b"l",
            value: b"t",
            exptime: 30,
            client_flags: 2,
            mode: SetMode::Add,
            cas: Some(9),
        };
        assert_eq!(enc(add), b"ms l 1 T30 c F2 ME C9\r\nt\r\n");
        assert_eq!(
            enc(Command::Delete {
                key: b"l",
                cas: Some(7)
            }),
            b"md l C7\r\n"
        );
        assert_eq!(
            enc(Command::Delete {
                key: b"l",
                cas: None
            }),
            b"md l\r\n"
        );
        assert_eq!(enc(Command::Noop), b"mn\r\n");
    }

    #[test]
    fn parses_every_reply_shape() {
        let r = replies(
            b"HD\r\nHD t50 c7 f3\r\nVA 5 t-1 c9\r\na\r\nb\0\r\nEN\r\nNS\r\nEX\r\nNF\r\nMN\r\n",
        );
        let ok: Vec<Reply> = r.into_iter().map(Result::unwrap).collect();
        assert_eq!(ok[0], Reply::Done(Meta::default()));
        assert_eq!(
            ok[1],
            Reply::Done(Meta {
                ttl: Some(50),
                cas: Some(7),
                client_flags: Some(3)
            })
        );
        assert_eq!(
            ok[2],
            Reply::Value(
                b"a\r\nb\0".to_vec(),
                Meta {
                    ttl: Some(-1),
                    cas: Some(9),
                    client_flags: None
                }
            )
        );
        assert_eq!(
            &ok[3..],
            [
                Reply::Miss,
                Reply::NotStored,
                Reply::Exists,
                Reply::NotFound,
                Reply::Noop
            ]
        );
    }

    #[test]
    fn empty_value_and_split_reads() {
        // BufReader with a 1-byte buffer: lines and values cross buffer edges.
        let mut r = io::BufReader::with_capacity(
            1,
            Cursor::new(b"VA 0\r\n\r\nVA 3 f0\r\nxyz\r\n".to_vec()),
        );
        let mut line = Vec::new();
        assert_eq!(
            read_reply(&mut r, &mut line).unwrap(),
            Reply::Value(vec![], Meta::default())
        );
        let want = Reply::Value(
            b"xyz".to_vec(),
            Meta {
                client_flags: Some(0),
                ..Meta::default()
            },
        );
        assert_eq!(read_reply(&mut r, &mut line).unwrap(), want);
    }

    #[test]
    fn server_errors_and_garbage_are_errors() {
        let e = |b: &[u8]| replies(b).pop().unwrap().unwrap_err();
        assert_eq!(
            e(b"SERVER_ERROR object too large for cache\r\n"),
            "SERVER_ERROR object too large for cache"
        );
        assert_eq!(
            e(b"CLIENT_ERROR bad command line format\r\n"),
            "CLIENT_ERROR bad command line format"
        );
        assert_eq!(e(b"ERROR\r\n"), "ERROR");
        assert!(e(b"STORED\r\n").contains("unexpected reply 'STORED'"));
        assert!(e(b"HD\n").contains("CRLF"));
        assert!(e(b"VA x\r\n").contains("length"));
        assert!(e(b"VA 99999999999999\r\n").contains("more than memcached can store"));
        assert!(e(b"VA 18446744073709551615\r\n").contains("more than memcached can store"));
        assert!(e(b"VA 3\r\nabcd\r\n").contains("not followed by CRLF"));
        assert!(e(b"HD tX\r\n").contains("bad flag"));
        assert_eq!(e(b"VA 10\r\nabc"), "connection closed by server");
        assert_eq!(e(b"HD"), "connection closed by server");
    }

    #[test]
    fn parses_stats() {
        let mut r = Cursor::new(&b"STAT item_size_max 1048576\r\nSTAT evictions on\r\nEND\r\n"[..]);
        let stats = read_stats(&mut r, &mut Vec::new()).unwrap();
        assert_eq!(stats[0], ("item_size_max".to_owned(), "1048576".to_owned()));
        assert_eq!(stats.len(), 2);
        let mut r = Cursor::new(&b"ERROR\r\n"[..]);
        assert!(read_stats(&mut r, &mut Vec::new()).is_err());
    }

    #[test]
    fn overlong_line_is_refused() {
        let mut junk = vec![b'x'; MAX_LINE + 10];
        junk.extend_from_slice(b"\r\n");
        assert!(
            replies(&junk)
                .pop()
                .unwrap()
                .unwrap_err()
                .contains("too long")
        );
    }
}
