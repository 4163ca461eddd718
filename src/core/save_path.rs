//! `session.save_path` parsing: text in, a list of [`ServerSpec`] out. No I/O.
//!
//! Two grammars are accepted, so an operator can keep the save_path of the
//! handler being replaced:
//!
//! * pecl-memcache URLs: `tcp://host[:port][?param=value&...]`,
//!   `unix:///path/to/socket[:0][?...]`, separated by commas and/or spaces.
//!   Parameters: `weight` (integer ≥ 1), `timeout` (seconds, fractional
//!   allowed, as in pecl-memcache; overrides `rsmemcache.connect_timeout` and
//!   `rsmemcache.timeout` for that server), `retry_interval` (seconds),
//!   `persistent` and `udp_port` (accepted for compatibility; connections are
//!   always kept per process, UDP is never used).
//! * php-memcached lists: `host[:port[:weight]]`, `host:port weight`,
//!   `[ipv6]:port`, `/path/to/socket`, separated by commas.
//!
//! The default port is 11211. At most [`MAX_SERVERS`] servers, each of weight
//! at most [`MAX_WEIGHT`] (see there for the cost these bounds keep small).
//! Anything else is refused with
//! [`Error::SavePath`] naming the offending entry: a save_path that is half
//! understood must not silently send sessions to fewer servers.

use crate::error::{Error, Result, escape_for_message};
use std::{collections::HashSet, path::PathBuf};

/// memcached's default TCP port.
pub const DEFAULT_PORT: u16 = 11211;

/// Most servers one save_path may list; the next one is refused with
/// "more than 256 servers (the maximum)". Farms of that size are far beyond
/// what a session pool needs, and the bound keeps every per-pool structure
/// small (see [`MAX_WEIGHT`]) and server indexes well inside `u16`.
pub const MAX_SERVERS: usize = 256;

/// Largest weight of one server (`?weight=N`, `host:port:N`, `host:port N`);
/// a larger one is refused with "weight N is above the maximum of 100".
///
/// Weights only matter relatively, so 1–100 expresses any split to the
/// percent. The bound caps the work of building a pool's key map, done once
/// per process and save_path (see [`crate::core::hash::Distribution::new`]):
/// `consistent` hashes 160 points per unit of weight, at most
/// 256 × 100 × 160 = 4,096,000 points (under 0.2 s of CPU in release builds,
/// measured), folded as they are hashed into its 1024-entry table (2 KiB kept,
/// 8 KiB while building; the points themselves are never stored);
/// `standard` keeps one 2-byte bucket per unit of weight, at most 25,600
/// (50 KiB); `ketama` ignores weights and keeps 100 points of 8 bytes per
/// server, at most 25,600 (200 KiB). Before the bound, 100 servers of
/// weight 10,000 took 86 s and 1.2 GB.
pub const MAX_WEIGHT: u32 = 100;

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerAddr {
    /// TCP: `host` exactly as written (brackets stripped for IPv6), and port.
    Tcp {
        /// Host name or IP literal, as written in save_path.
        host: String,
        /// TCP port, 1–65535.
        port: u16,
    },
    /// A unix-domain socket path.
    Unix(PathBuf),
}

/// One memcached server from save_path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerSpec {
    /// Address to connect to.
    pub addr: ServerAddr,
    /// Relative weight for key distribution (≥ 1; 1 when not given).
    pub weight: u32,
    /// Per-server timeout override in milliseconds (from the URL's `timeout`
    /// parameter, given in seconds); `None` uses the ini directives.
    pub timeout_ms: Option<u64>,
    /// Per-server retry interval in seconds after a failure (URL parameter
    /// `retry_interval`); `None` uses the ini default.
    pub retry_interval_s: Option<u64>,
    /// TLS to this server (`tls://host:port`; `rsmemcache.tls = 1` makes
    /// every TCP server use TLS as well).
    pub tls: bool,
}

impl ServerSpec {
    fn tcp(host: &str, port: u16) -> Self {
        Self {
            addr: ServerAddr::Tcp {
                host: host.to_owned(),
                port,
            },
            weight: 1,
            timeout_ms: None,
            retry_interval_s: None,
            tls: false,
        }
    }

    /// Human-readable name used in warnings and `php --ri`:
    /// `host:port`, `[v6]:port` or `unix:///path`.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.addr {
            ServerAddr::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
            ServerAddr::Tcp { host, port } => format!("{host}:{port}"),
            ServerAddr::Unix(p) => format!("unix://{}", p.display()),
        }
    }
}

fn bad(entry: &str, reason: impl Into<String>) -> Error {
    Error::SavePath {
        entry: escape_for_message(entry.as_bytes(), 200),
        reason: reason.into(),
    }
}

/// Parses a whole save_path into servers, in the order written.
///
/// # Errors
/// [`Error::EmptySavePath`] when no server is given; [`Error::SavePath`] for
/// the first entry that is malformed (unknown scheme or parameter, bad host,
/// port outside 1–65535, weight 0 or above [`MAX_WEIGHT`], non-numeric
/// timeout, a server listed twice) or that is one more than [`MAX_SERVERS`].
/// Linear in the length of `save_path` (duplicates are found with a hash set).
pub fn parse(save_path: &str) -> Result<Vec<ServerSpec>> {
    let mut servers: Vec<ServerSpec> = Vec::new();
    let mut seen: HashSet<ServerAddr> = HashSet::new();
    for piece in save_path.split(',') {
        // The weight of `host:port weight` (php-memcached) may follow its
        // entry after a space; only a bare number directly after a list-style
        // entry is taken as such.
        let mut weight_allowed = false;
        for token in piece.split_ascii_whitespace() {
            if weight_allowed && token.bytes().all(|b| b.is_ascii_digit()) {
                let last = servers.last_mut().expect("weight_allowed implies an entry");
                last.weight = parse_weight(token, token, true)?;
                weight_allowed = false;
                continue;
            }
            let (spec, list_style) = parse_entry(token)?;
            if servers.len() == MAX_SERVERS {
                return Err(bad(
                    token,
                    format!("more than {MAX_SERVERS} servers (the maximum)"),
                ));
            }
            if !seen.insert(spec.addr.clone()) {
                return Err(bad(token, "server listed twice"));
            }
            weight_allowed =
                list_style && !token.starts_with('/') && token.matches(':').count() < 2;
            servers.push(spec);
        }
    }
    if servers.is_empty() {
        return Err(Error::EmptySavePath);
    }
    Ok(servers)
}

/// Parses one entry; the flag is true for the php-memcached list grammar.
fn parse_entry(entry: &str) -> Result<(ServerSpec, bool)> {
    let tcp = entry.strip_prefix("tcp://").map(|r| (r, false));
    if let Some((rest, tls)) = tcp.or_else(|| entry.strip_prefix("tls://").map(|r| (r, true))) {
        let (hostport, query) = split_query(rest);
        let mut spec = parse_hostport(entry, hostport, false)?;
        spec.tls = tls;
        apply_query(entry, query, &mut spec)?;
        return Ok((spec, false));
    }
    if let Some(rest) = entry.strip_prefix("unix://") {
        let (path, query) = split_query(rest);
        let path = path.strip_suffix(":0").unwrap_or(path);
        let mut spec = unix_spec(entry, path)?;
        apply_query(entry, query, &mut spec)?;
        return Ok((spec, false));
    }
    if let Some((scheme, _)) = entry.split_once("://") {
        let reason = if scheme.eq_ignore_ascii_case("udp") {
            "UDP is not supported for sessions; use tcp://".to_owned()
        } else {
            format!(
                "unknown scheme '{}' (use tcp://, tls:// or unix://)",
                escape_for_message(scheme.as_bytes(), 20)
            )
        };
        return Err(bad(entry, reason));
    }
    if entry.contains('?') {
        return Err(bad(entry, "parameters need the tcp://host:port?... form"));
    }
    if entry.starts_with('/') {
        return Ok((unix_spec(entry, entry)?, true));
    }
    Ok((parse_hostport(entry, entry, true)?, true))
}

fn split_query(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    }
}

fn unix_spec(entry: &str, path: &str) -> Result<ServerSpec> {
    if !path.starts_with('/') || path.len() < 2 {
        return Err(bad(
            entry,
            "a unix socket needs an absolute path, e.g. unix:///run/memcached.sock",
        ));
    }
    if path.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(bad(entry, "control character in socket path"));
    }
    Ok(ServerSpec {
        addr: ServerAddr::Unix(PathBuf::from(path)),
        weight: 1,
        timeout_ms: None,
        retry_interval_s: None,
        tls: false,
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, plus `:weight` in list grammar.
fn parse_hostport(entry: &str, text: &str, list_style: bool) -> Result<ServerSpec> {
    let (host, rest) = if let Some(v6) = text.strip_prefix('[') {
        let (host, rest) = v6
            .split_once(']')
            .ok_or_else(|| bad(entry, "missing ']' after IPv6 address"))?;
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(bad(entry, "malformed IPv6 address"));
        }
        if !rest.is_empty() && !rest.starts_with(':') {
            return Err(bad(entry, "expected ':port' after ']'"));
        }
        (host, rest.strip_prefix(':'))
    } else {
        match text.split_once(':') {
            Some((h, r)) => (h, Some(r)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(bad(entry, "missing host"));
    }
    if !text.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    {
        return Err(bad(
            entry,
            "host may contain only letters, digits, '.', '-' and '_'",
        ));
    }
    let mut parts = rest.map(|r| r.split(':'));
    let port = match parts.as_mut().and_then(Iterator::next) {
        Some(p) => parse_port(entry, p)?,
        None => DEFAULT_PORT,
    };
    let mut spec = ServerSpec::tcp(host, port);
    if let Some(w) = parts.as_mut().and_then(Iterator::next) {
        if !list_style {
            return Err(bad(entry, "use ?weight=N for a weight in a tcp:// URL"));
        }
        spec.weight = parse_weight(entry, w, true)?;
    }
    if parts.as_mut().and_then(Iterator::next).is_some() {
        return Err(bad(
            entry,
            "too many ':' fields (expected host:port[:weight])",
        ));
    }
    Ok(spec)
}

fn parse_port(entry: &str, p: &str) -> Result<u16> {
    match p.parse::<u32>() {
        Ok(n @ 1..=65535) if p.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(u16::try_from(n).expect("range checked"))
        }
        _ => Err(bad(
            entry,
            format!(
                "port '{}' must be 1-65535",
                escape_for_message(p.as_bytes(), 20)
            ),
        )),
    }
}

/// A weight, 1–[`MAX_WEIGHT`]; in php-memcached's list grammar 0 means 1,
/// as it does there.
fn parse_weight(entry: &str, w: &str, zero_is_one: bool) -> Result<u32> {
    let digits = !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    match w.parse::<u32>() {
        Ok(0) if zero_is_one => Ok(1),
        Ok(n @ 1..=MAX_WEIGHT) if digits => Ok(n),
        // Digits only, not 0, yet too large (u32 overflow included).
        _ if digits && w.bytes().any(|b| b != b'0') => Err(bad(
            entry,
            format!(
                "weight {} is above the maximum of {MAX_WEIGHT}",
                escape_for_message(w.as_bytes(), 20)
            ),
        )),
        _ => Err(bad(
            entry,
            format!(
                "weight '{}' must be an integer 1-{MAX_WEIGHT}",
                escape_for_message(w.as_bytes(), 20)
            ),
        )),
    }
}

fn apply_query(entry: &str, query: Option<&str>, spec: &mut ServerSpec) -> Result<()> {
    let Some(query) = query else { return Ok(()) };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            bad(
                entry,
                format!(
                    "parameter '{}' has no value",
                    escape_for_message(pair.as_bytes(), 30)
                ),
            )
        })?;
        match name {
            "weight" => spec.weight = parse_weight(entry, value, false)?,
            "timeout" => {
                let secs: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                    .ok_or_else(|| {
                        bad(
                            entry,
                            "timeout must be seconds, > 0 and <= 3600 (e.g. timeout=0.5)",
                        )
                    })?;
                // Whole milliseconds, at least 1.
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "range checked above"
                )]
                let ms = ((secs * 1000.0).round() as u64).max(1);
                spec.timeout_ms = Some(ms);
            }
            "retry_interval" => {
                spec.retry_interval_s = Some(
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|v| *v <= 86_400)
                        .ok_or_else(|| {
                            bad(entry, "retry_interval must be whole seconds, 0-86400")
                        })?,
                );
            }
            "persistent" => {
                if !matches!(value, "0" | "1" | "true" | "false" | "on" | "off") {
                    return Err(bad(entry, "persistent must be 0 or 1"));
                }
            }
            "udp_port" => {
                value
                    .parse::<u16>()
                    .map_err(|_| bad(entry, "udp_port must be 0-65535"))?;
            }
            other => {
                return Err(bad(
                    entry,
                    format!(
                        "unknown parameter '{}' (known: weight, timeout, retry_interval, persistent, udp_port)",
                        escape_for_message(other.as_bytes(), 30)
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> ServerSpec {
        let mut v = parse(s).expect(s);
        assert_eq!(v.len(), 1, "{s}");
        v.remove(0)
    }

    fn err(s: &str) -> String {
        parse(s).expect_err(s).to_string()
    }

    #[test]
    fn pecl_memcache_urls() {
        let s = one("tcp://cache1:11212?persistent=1&weight=3&timeout=0.25&retry_interval=15");
        assert_eq!(
            s.addr,
            ServerAddr::Tcp {
                host: "cache1".into(),
                port: 11212
            }
        );
        assert_eq!(
            (s.weight, s.timeout_ms, s.retry_interval_s),
            (3, Some(250), Some(15))
        );
        assert_eq!(
            one("tcp://10.0.0.1").addr,
            ServerAddr::Tcp {
                host: "10.0.0.1".into(),
                port: 11211
            }
        );
        assert_eq!(
            one("unix:///run/mc.sock").addr,
            ServerAddr::Unix("/run/mc.sock".into())
        );
        assert_eq!(one("unix:///run/mc.sock:0?weight=2").weight, 2);
        assert_eq!(one("tcp://[::1]:11300").label(), "[::1]:11300");
        let v = parse("tcp://a:1, tcp://b:2 tcp://c:3").unwrap();
        assert_eq!(
            v.iter().map(ServerSpec::label).collect::<Vec<_>>(),
            ["a:1", "b:2", "c:3"]
        );
    }

    #[test]
    fn php_memcached_lists() {
        let v = parse("a:11211:2, b, [::1]:11300:4,/var/run/m.sock,c:1 5").unwrap();
        assert_eq!(
            v[0].addr,
            ServerAddr::Tcp {
                host: "a".into(),
                port: 11211
            }
        );
        assert_eq!(v[0].weight, 2);
        assert_eq!(
            v[1].addr,
            ServerAddr::Tcp {
                host: "b".into(),
                port: 11211
            }
        );
        assert_eq!(
            v[2].addr,
            ServerAddr::Tcp {
                host: "::1".into(),
                port: 11300
            }
        );
        assert_eq!(v[2].weight, 4);
        assert_eq!(v[3].addr, ServerAddr::Unix("/var/run/m.sock".into()));
        assert_eq!((v[4].label(), v[4].weight), ("c:1".to_owned(), 5));
        assert_eq!(one("h:1:0").weight, 1, "php-memcached treats weight 0 as 1");
    }

    #[test]
    fn server_count_and_weight_are_bounded() {
        let list = |n: usize| {
            (0..n)
                .map(|i| format!("10.0.{}.{}:11211", i / 256, i % 256))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(parse(&list(MAX_SERVERS)).unwrap().len(), MAX_SERVERS);
        assert_eq!(
            err(&list(MAX_SERVERS + 1)),
            "invalid session.save_path entry '10.0.1.0:11211': more than 256 servers (the maximum)"
        );
        // 65,536 servers (once a panic) stop at the first one too many.
        assert!(err(&list(65_536)).contains("more than 256 servers (the maximum)"));
        assert_eq!(one("h:1:100").weight, MAX_WEIGHT);
        assert_eq!(one("tcp://h?weight=100").weight, MAX_WEIGHT);
        assert_eq!(one("h:1 100").weight, MAX_WEIGHT);
        assert_eq!(
            err("tcp://h?weight=10000"),
            "invalid session.save_path entry 'tcp://h?weight=10000': weight 10000 is above the maximum of 100"
        );
        assert!(err("h:1:101").contains("'h:1:101': weight 101 is above the maximum of 100"));
        assert!(err("h:1 101").contains("weight 101 is above the maximum of 100"));
        assert!(err("h:1:99999999999").contains("weight 99999999999 is above the maximum"));
        assert!(err("tcp://h?weight=+5").contains("weight '+5' must be an integer 1-100"));
        assert!(err("tcp://h?weight=00").contains("weight '00' must be an integer 1-100"));
    }

    #[test]
    fn a_duplicate_is_found_in_a_full_list() {
        // 256 distinct servers, then a duplicate of the first: found at once.
        let mut list: Vec<String> = (0..MAX_SERVERS).map(|i| format!("host{i}:11211")).collect();
        list[MAX_SERVERS - 1] = "host0:11211".to_owned();
        assert!(err(&list.join(",")).contains("'host0:11211': server listed twice"));
    }

    #[test]
    fn hostile_and_malformed_entries_are_named() {
        assert_eq!(
            err(""),
            "session.save_path is empty: give at least one memcached server"
        );
        assert_eq!(err(" , ,"), err(""));
        assert!(err("tcp://h:99999").contains("'tcp://h:99999': port '99999' must be 1-65535"));
        assert!(err("tcp://h:0").contains("must be 1-65535"));
        assert!(err("h:abc").contains("port 'abc'"));
        assert!(err("udp://h:1").contains("UDP is not supported"));
        assert!(err("http://h").contains("unknown scheme 'http'"));
        assert!(one("tls://10.0.0.1:11212?weight=2").tls);
        assert_eq!(one("tls://h:1").label(), "h:1");
        assert!(!one("tcp://h:1").tls && !one("h:1").tls);
        assert!(err("tls:///run/m.sock").contains("tls:///run/m.sock"));
        assert!(err("tcp://h?weight=0").contains("weight '0'"));
        assert!(err("tcp://h?timeout=abc").contains("timeout must be seconds"));
        assert!(err("tcp://h?timeout=-1").contains("timeout must be seconds"));
        assert!(err("tcp://h?bogus=1").contains("unknown parameter 'bogus'"));
        assert!(err("tcp://h?weight").contains("has no value"));
        assert!(err("h?weight=2").contains("parameters need the tcp://"));
        assert!(err("unix://relative").contains("absolute path"));
        assert!(err("tcp://:11211").contains("missing host"));
        assert!(err("tcp://ho$t:1").contains("host may contain only"));
        assert!(err("[::1").contains("missing ']'"));
        assert!(err("[zz]:1").contains("malformed IPv6"));
        assert!(err("a:1:2:3").contains("too many ':'"));
        assert!(err("tcp://a:1:2").contains("?weight=N"));
        assert!(err("a:1,a:1").contains("server listed twice"));
        assert!(
            err("tcp://h:1\x01").contains("'1\\x01'"),
            "control bytes are escaped"
        );
    }
}
