//! The durable tier's decisions, pure: which session writes reach the
//! database (`rsmemcache.durable_write_every`), when an unchanged session's
//! row needs its expiry pushed out, when a row read back counts as expired,
//! how the DSN is spelled, and when a failing database is tried and logged
//! again. No I/O, no clock: callers pass `now` (unix seconds).

use crate::{core::hash, core::replica};

/// Where the database listens, parsed from `rsmemcache.durable_dsn`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dsn {
    /// `mysql://host:port/database` (port defaults to 3306).
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// Database (schema) holding the table.
        database: String,
    },
    /// `/path/to/mysqld.sock?database=NAME`: a unix socket.
    Socket {
        /// Socket path.
        path: String,
        /// Database (schema) holding the table.
        database: String,
    },
}

impl Dsn {
    /// The label used in logs, warnings and `rsmemcache_servers()`: the DSN
    /// as given (it never holds credentials: those come from
    /// `rsmemcache.durable_credentials_file`).
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Tcp {
                host,
                port,
                database,
            } => format!("mysql://{host}:{port}/{database}"),
            Self::Socket { path, database } => format!("{path}?database={database}"),
        }
    }
}

fn database_ok(db: &str) -> bool {
    identifier_ok(db)
}

/// Whether `name` is a plain SQL identifier we may splice into a statement
/// (table and database names cannot be bound as parameters): 1–64 ASCII
/// letters, digits and `_`.
#[must_use]
pub fn identifier_ok(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses `rsmemcache.durable_dsn`. Empty means the tier is off (`None`).
///
/// # Errors
/// A reason text for the directive warning: an unknown scheme, a missing
/// or malformed database name, user info in the URL (credentials belong in
/// `rsmemcache.durable_credentials_file`), a bad port.
pub fn parse_dsn(text: &str) -> Result<Option<Dsn>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.starts_with('/') {
        let (path, query) = text
            .split_once('?')
            .ok_or("expected /path/to/socket?database=NAME")?;
        let database = query
            .strip_prefix("database=")
            .filter(|d| database_ok(d))
            .ok_or("expected /path/to/socket?database=NAME (letters, digits, _)")?;
        return Ok(Some(Dsn::Socket {
            path: path.to_owned(),
            database: database.to_owned(),
        }));
    }
    let rest = text
        .strip_prefix("mysql://")
        .ok_or("expected mysql://host:port/database or /path/to/socket?database=NAME")?;
    let (authority, database) = rest
        .split_once('/')
        .ok_or("expected mysql://host:port/database")?;
    if authority.contains('@') {
        return Err("put user and password in rsmemcache.durable_credentials_file, not the DSN");
    }
    if !database_ok(database) {
        return Err("the database name must be 1-64 letters, digits or _");
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h,
            p.parse::<u16>().ok().filter(|p| *p > 0).ok_or("bad port")?,
        ),
        _ => (authority, 3306),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("expected mysql://host:port/database");
    }
    Ok(Some(Dsn::Tcp {
        host: host.to_owned(),
        port,
        database: database.to_owned(),
    }))
}

/// The DSN as it may appear in a message: a DSN holding user info
/// (`mysql://user:password@host/db`, which [`parse_dsn`] refuses) is shown
/// with everything before its `@` replaced, so a refused DSN never echoes
/// its password.
#[must_use]
pub fn redact_dsn(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &text[..scheme], &text[at + 1..])
        }
        (None, Some(at)) => format!("***@{}", &text[at + 1..]),
        _ => text.to_owned(),
    }
}

/// Parses a credentials file's content: `user:password` on its first line
/// (the password may contain `:`; a trailing CR is dropped).
///
/// # Errors
/// A reason text that never contains the file's content: an empty file
/// (never an anonymous login) or a first line without `user:`.
pub fn parse_credentials(content: &str) -> Result<(String, String), &'static str> {
    if content.trim().is_empty() {
        return Err(
            "the file is empty; write user:password on its first line (an empty file is refused, never an anonymous login)",
        );
    }
    let line = content.lines().next().unwrap_or("").trim_end_matches('\r');
    match line.split_once(':') {
        Some((user, pass)) if !user.is_empty() => Ok((user.to_owned(), pass.to_owned())),
        _ => Err("its first line must be user:password"),
    }
}

/// `rsmemcache.durable_tls`: whether a TCP link to the database must be
/// TLS. A unix-socket DSN is local and never uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tls {
    /// `required` (default): TLS with the server's certificate verified
    /// (chain and host name); a server without TLS is refused.
    Required,
    /// `off`: plaintext TCP, only when set explicitly.
    Off,
}

/// Why a `caching_sha2_password` full authentication was not answered on
/// a plaintext TCP link without a pinned server key: the text of the
/// refusal (the password is never sent, and the server's offer of its own
/// RSA key is never taken, since whoever answers at the DSN's address could
/// send its own key and read the password).
pub const RSA_REFUSED: &str = "the server asked for caching_sha2_password full authentication over a link that is not TLS; the password was not sent (the server's RSA key cannot be trusted over plaintext): set rsmemcache.durable_tls = required, or pin the server's public key with rsmemcache.durable_server_public_key_file";

/// Whether a session write at `version` (the one before was `previous`,
/// 0 when the session did not exist) goes to the database: always when the
/// session is created (no previous version) or when an earlier write was
/// missed while the database was down (`catch_up`), otherwise on every
/// `every`th version, so the row lags by at most `every - 1` changes.
#[must_use]
pub fn write_due(previous: u32, version: u32, every: u32, catch_up: bool) -> bool {
    previous == 0 || catch_up || every <= 1 || version % every == 0
}

/// Whether an unchanged session (lazy_write, `update_timestamp`) must push
/// its row's expiry out: when this process does not know the row's expiry
/// (`known` is `None`) or less than half the lifetime is left, so the row
/// cannot fall due before the next likely refresh. `lifetime` in seconds.
#[must_use]
pub fn touch_due(known: Option<i64>, now: i64, lifetime: i64) -> bool {
    known.is_none_or(|exp| exp - now < lifetime / 2)
}

/// Whether a row read back with this expiry (unix seconds) is still alive.
#[must_use]
pub fn alive(expires_at: i64, now: i64) -> bool {
    expires_at > now
}

/// The row's expiry for a session written now with PHP's `maxlifetime`
/// (seconds; a value below 1 keeps rows for a day, as the memcached side's
/// fallback does).
#[must_use]
pub fn expires_at(now: i64, maxlifetime: i64) -> i64 {
    let life = if maxlifetime > 0 {
        maxlifetime
    } else {
        crate::core::keys::FALLBACK_MAXLIFETIME
    };
    now.saturating_add(life)
}

/// The memcached TTL (seconds) to write a row back with: what is left of
/// its life, at least 1.
#[must_use]
pub fn ttl_left(expires_at: i64, now: i64) -> i64 {
    (expires_at - now).max(1)
}

/// The versions space of [`crate::core::replica`]: rows compare versions with the
/// same serial-number arithmetic (RFC 1982) as the copies, so the SQL guard
/// is `(new - version) mod 2^20` in `1 .. 2^19`.
pub const VERSION_MODULUS: u32 = 1 << replica::VERSION_BITS;

/// Whether a row at `row` may be overwritten by a write at `new` (the same
/// rule as the SQL guard, for tests and the store's own checks).
#[must_use]
pub fn newer(new: u32, row: u32) -> bool {
    replica::is_newer(new, row)
}

/// The database lock (`GET_LOCK()`) name of a session when no memcached
/// server is reachable: `rsmemcache.` and 16 hex digits of the FNV-1a
/// 64-bit hash of its data key (MariaDB allows 64 characters; a collision
/// only serialises two sessions). FNV-1a: Fowler, Noll, Vo,
/// <http://www.isthe.com/chongo/tech/comp/fnv/>.
#[must_use]
pub fn lock_name(key: &[u8]) -> String {
    let h = hash::fnv1a64(hash::FNV64_OFFSET_BASIS, key);
    format!("rsmemcache.{h:016x}")
}

/// What a failed database call leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// `degrade` (default): the request goes on from memcached alone; the
    /// failure is logged once per retry interval.
    Degrade,
    /// `error`: writes that cannot reach the database fail with a warning.
    Error,
}

/// The tier's health as this process sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// Unix ms until which the database is not tried again (0: up).
    pub down_until_ms: i64,
    /// Last error text (never holds credentials).
    pub last_error: Option<String>,
    /// Failures seen so far.
    pub failures: u64,
    /// A write was skipped while down: the next write goes to the database
    /// whatever `durable_write_every` says.
    pub missed_write: bool,
}

impl Health {
    /// Whether the database may be tried at `now_ms`.
    #[must_use]
    pub fn usable(&self, now_ms: i64) -> bool {
        now_ms >= self.down_until_ms
    }

    /// Records a failure at `now_ms`; returns whether to log it (the first
    /// failure of a down period: once per retry interval).
    pub fn fail(&mut self, now_ms: i64, retry_interval_s: u64, error: String) -> bool {
        let log = self.usable(now_ms);
        let ms = i64::try_from(retry_interval_s.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.down_until_ms = now_ms.saturating_add(ms);
        self.failures += 1;
        self.last_error = Some(error);
        log
    }

    /// Records a successful call; returns whether the tier was down before
    /// (worth a log line saying it is back).
    pub fn succeed(&mut self) -> bool {
        let was_down = self.last_error.is_some();
        self.down_until_ms = 0;
        self.last_error = None;
        was_down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_forms() {
        assert_eq!(parse_dsn(" "), Ok(None));
        assert_eq!(
            parse_dsn("mysql://127.0.0.1:3307/sessions"),
            Ok(Some(Dsn::Tcp {
                host: "127.0.0.1".into(),
                port: 3307,
                database: "sessions".into()
            }))
        );
        assert_eq!(
            parse_dsn("mysql://db.local/s_1").map(|d| d.map(|d| d.label())),
            Ok(Some("mysql://db.local:3306/s_1".into()))
        );
        assert_eq!(
            parse_dsn("/run/mysqld/mysqld.sock?database=app"),
            Ok(Some(Dsn::Socket {
                path: "/run/mysqld/mysqld.sock".into(),
                database: "app".into()
            }))
        );
        for bad in [
            "postgres://h/db",
            "mysql://h:0/db",
            "mysql://h:99999/db",
            "mysql://u:p@h/db",
            "mysql://h/",
            "mysql://h/db;drop",
            "mysql:///db",
            "/run/sock",
            "/run/sock?database=",
        ] {
            assert!(parse_dsn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_first_line_only() {
        assert_eq!(
            parse_credentials("app:s3:cr:et\r\nignored\n"),
            Ok(("app".into(), "s3:cr:et".into()))
        );
        assert_eq!(
            parse_credentials("root:"),
            Ok(("root".into(), String::new()))
        );
        let e = parse_credentials("nocolon-secret").unwrap_err();
        assert!(!e.contains("secret"));
        assert!(parse_credentials(":pw").is_err());
        assert!(parse_credentials("").unwrap_err().contains("empty"));
        assert!(parse_credentials(" \n\n").unwrap_err().contains("empty"));
    }

    #[test]
    fn refused_dsn_never_shows_its_password() {
        let shown = redact_dsn("mysql://app:Pa55word@db.local:3306/s");
        assert_eq!(shown, "mysql://***@db.local:3306/s");
        assert_eq!(redact_dsn("app:Pa55word@db/s"), "***@db/s");
        assert_eq!(redact_dsn("mysql://db/s"), "mysql://db/s");
        assert_eq!(redact_dsn("mysql://a@b:c@d/s"), "mysql://***@d/s");
    }

    #[test]
    fn write_every_lags_by_at_most_n_minus_one() {
        assert!(
            write_due(0, 1, 10, false),
            "a new session is always written"
        );
        assert!(write_due(7, 8, 1, false));
        assert!(write_due(3, 4, 10, true), "catch up after a missed write");
        // Versions 1..=100 with every = 10: the newest written version is
        // never more than 9 behind and never goes backwards.
        let mut row = 0;
        for v in 1..=100u32 {
            if write_due(v - 1, v, 10, false) {
                assert!(v > row);
                row = v;
            }
            assert!(v - row <= 9, "version {v}, row {row}");
        }
        assert_eq!(row, 100);
    }

    #[test]
    fn touch_only_when_half_the_life_is_gone() {
        assert!(touch_due(None, 1000, 1440));
        assert!(!touch_due(Some(1000 + 1440), 1000, 1440));
        assert!(!touch_due(Some(1000 + 720), 1000, 1440));
        assert!(touch_due(Some(1000 + 719), 1000, 1440));
        assert!(touch_due(Some(900), 1000, 1440));
    }

    #[test]
    fn expiry_and_ttl() {
        assert!(alive(101, 100));
        assert!(!alive(100, 100));
        assert_eq!(expires_at(100, 60), 160);
        assert_eq!(
            expires_at(100, 0),
            100 + crate::core::keys::FALLBACK_MAXLIFETIME
        );
        assert_eq!(ttl_left(160, 100), 60);
        assert_eq!(ttl_left(90, 100), 1);
    }

    #[test]
    fn versions_wrap_like_the_copies() {
        assert!(newer(2, 1));
        assert!(!newer(1, 1));
        assert!(!newer(1, 2));
        assert!(newer(0, VERSION_MODULUS - 1), "wrapped");
        // The SQL guard's arithmetic: (new + M - row) mod M in 1..M/2.
        let guard = |new: u32, row: u32| {
            let d = (new + VERSION_MODULUS - row) % VERSION_MODULUS;
            (1..VERSION_MODULUS / 2).contains(&d)
        };
        for (a, b) in [
            (2, 1),
            (1, 1),
            (1, 2),
            (0, VERSION_MODULUS - 1),
            (5, 900_000),
        ] {
            assert_eq!(guard(a, b), newer(a, b), "{a} vs {b}");
        }
    }

    #[test]
    fn lock_names_fit_and_differ() {
        // FNV-1a 64 test vector: "a" -> af63dc4c8601ec8c.
        assert_eq!(lock_name(b"a"), "rsmemcache.af63dc4c8601ec8c");
        let long = lock_name(&[b'k'; 250]);
        assert!(long.len() <= 64);
        assert_ne!(lock_name(b"p.abc"), lock_name(b"p.abd"));
    }

    #[test]
    fn down_is_logged_once_per_interval() {
        let mut h = Health::default();
        assert!(h.usable(0));
        assert!(h.fail(1_000, 15, "refused".into()));
        assert!(!h.usable(15_999));
        assert!(h.usable(16_000));
        // A failure inside the interval (another path in the same request)
        // is not logged again; the next one after it is.
        assert!(!h.fail(2_000, 15, "refused".into()));
        assert!(h.fail(17_001, 15, "refused".into()));
        assert_eq!(h.failures, 3);
        assert!(h.succeed());
        assert!(!h.succeed());
        assert!(h.usable(0));
    }
}
