//! Session ids → memcached keys, and PHP lifetimes → memcached expiry. Pure.
//!
//! Rules (see `shared/reference/anchors.md` §0 and §f):
//! * a session id may hold only PHP's id alphabet `[A-Za-z0-9,-]` and must be
//!   non-empty; anything else is refused, never escaped or truncated, so a
//!   hostile `session_id()` cannot inject protocol lines;
//! * key = `rsmemcache.prefix` + id, at most [`MAX_KEY_LEN`] bytes — refused
//!   if longer, never truncated (pecl-memcache silently truncates);
//! * TTL: PHP's maxlifetime in seconds; up to 30 days it is sent as is, longer
//!   lifetimes become an absolute unix time, as memcached requires;
//! * layout ([`Compat`], [`SessionKeys`]): the data key, the lock key, and
//!   which bytes are hashed to place each — rsmemcache's own, or exactly the
//!   one of the handler a farm migrates from (pecl-memcache: `<key>.lock`
//!   beside the data; php-memcached: `<prefix>lock.<id>`, placed by its own
//!   hash), so sessions written by the old handler are found.

use crate::error::{Error, Result, escape_for_message};
pub use crate::protocol::MAX_KEY_LEN;

/// Longest TTL memcached treats as relative: 30 days, in seconds.
pub const MAX_RELATIVE_TTL: i64 = 60 * 60 * 24 * 30;

/// The lifetime used when PHP passes a maxlifetime ≤ 0 (PHP's default
/// `session.gc_maxlifetime`, seconds).
pub const FALLBACK_MAXLIFETIME: i64 = 1440;

/// Whose key layout and placement defaults sessions follow
/// (`rsmemcache.compat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compat {
    /// rsmemcache's own: prefix `rsmemcache.sess.`, lock `<key>.lock` on the
    /// data's server.
    None,
    /// pecl-memcache's session handler: no prefix (its
    /// `memcache.session_prefix_static_key` default), lock `<key>.lock` on
    /// the data's server, consistent/crc32 placement of `<key>-N`, two
    /// copies (`memcache.session_redundancy = 2`); a lock item holding `0`
    /// is free (pecl-memcache releases by storing `0`).
    Memcache,
    /// php-memcached's session handler: prefix `memc.sess.key.`, lock
    /// `<prefix>lock.<id>` placed by hashing `lock.<id>`, ketama placement
    /// of the bare id.
    Memcached,
}

impl Compat {
    /// The prefix the preset supplies when `rsmemcache.prefix` is left at
    /// its default.
    #[must_use]
    pub fn preset_prefix(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Memcache => Some(""),
            Self::Memcached => Some("memc.sess.key."),
        }
    }
}

/// The keys of one session and the bytes that place them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// The data key: prefix + id.
    pub data: Vec<u8>,
    /// The lock key.
    pub lock: Vec<u8>,
    /// Hashed to place the data: the data key for pecl-style strategies
    /// (probed as `<key>-N`), the bare id for ketama (libmemcached hashes
    /// keys without their namespace).
    pub data_hash: Vec<u8>,
    /// Hashed to place the lock when it does not live with the data
    /// (php-memcached's `lock.<id>`); `None`: on the data's first server.
    pub lock_hash: Option<Vec<u8>>,
    /// The tombstone key, `<data key>.tomb` ([`crate::tomb`]), kept on the
    /// data's servers; `None` when it would exceed [`MAX_KEY_LEN`] (a data
    /// key of 246 bytes or more, possible only with locking off).
    pub tomb: Option<Vec<u8>>,
}

impl SessionKeys {
    /// The keys for `sid` under `compat` and `prefix`. `ketama` selects the
    /// bare-id hash input. With `locking` off the lock key need not fit.
    ///
    /// # Errors
    /// As [`session_key`]: a refused id, or a data or lock key over
    /// [`MAX_KEY_LEN`] bytes.
    pub fn new(
        compat: Compat,
        prefix: &[u8],
        sid: &[u8],
        ketama: bool,
        locking: bool,
    ) -> Result<Self> {
        let lock_extra = match compat {
            Compat::None | Compat::Memcache => LOCK_SUFFIX.len(),
            Compat::Memcached => LOCK_INFIX.len(),
        };
        let data = session_key(prefix, sid, if locking { lock_extra } else { 0 })?;
        let data_hash = if ketama { sid.to_vec() } else { data.clone() };
        let (lock, lock_hash) = match compat {
            Compat::None | Compat::Memcache => ([&data[..], LOCK_SUFFIX].concat(), None),
            Compat::Memcached => (
                [prefix, LOCK_INFIX, sid].concat(),
                Some([LOCK_INFIX, sid].concat()),
            ),
        };
        let tomb = (data.len() + TOMB_SUFFIX.len() <= MAX_KEY_LEN)
            .then(|| [&data[..], TOMB_SUFFIX].concat());
        Ok(Self {
            data,
            lock,
            data_hash,
            lock_hash,
            tomb,
        })
    }
}

/// Lock key suffix of rsmemcache and pecl-memcache: `<key>.lock`.
pub const LOCK_SUFFIX: &[u8] = b".lock";

/// Tombstone key suffix: `<data key>.tomb` ([`crate::tomb`]).
pub const TOMB_SUFFIX: &[u8] = b".tomb";

/// php-memcached's lock key infix: `<prefix>lock.<id>`.
pub const LOCK_INFIX: &[u8] = b"lock.";

/// Checks a key prefix (`rsmemcache.prefix`): printable ASCII without spaces,
/// and short enough to leave room for an id.
///
/// # Errors
/// [`Error::Directive`] naming `rsmemcache.prefix`.
pub fn validate_prefix(prefix: &str) -> Result<()> {
    let bad = |reason: &str| Error::Directive {
        directive: "rsmemcache.prefix",
        value: escape_for_message(prefix.as_bytes(), 80),
        reason: reason.to_owned(),
    };
    if prefix.bytes().any(|b| b <= 0x20 || b >= 0x7f) {
        return Err(bad(
            "only printable ASCII without spaces is allowed in a memcached key",
        ));
    }
    if prefix.len() > 200 {
        return Err(bad(
            "longer than 200 bytes, leaving too little room for the session id",
        ));
    }
    Ok(())
}

/// Builds the data key `prefix + sid`; `suffix` is the length of a suffix
/// that must also fit (the lock key's `.lock`, or 0).
///
/// # Errors
/// [`Error::BadSessionId`] if `sid` is empty, holds a byte outside
/// `[A-Za-z0-9,-]`, or the key (with the suffix) would exceed [`MAX_KEY_LEN`].
pub fn session_key(prefix: &[u8], sid: &[u8], suffix: usize) -> Result<Vec<u8>> {
    let refuse = |reason: String| Error::BadSessionId {
        id: crate::error::SidForLog::new(sid),
        reason,
    };
    if sid.is_empty() {
        return Err(refuse("empty id".to_owned()));
    }
    if let Some((at, &b)) = sid
        .iter()
        .enumerate()
        .find(|&(_, &b)| !(b.is_ascii_alphanumeric() || b == b',' || b == b'-'))
    {
        return Err(refuse(format!(
            "byte 0x{b:02x} at offset {at} is outside the session id alphabet [A-Za-z0-9,-]"
        )));
    }
    let len = prefix.len() + sid.len();
    if len + suffix > MAX_KEY_LEN {
        let which = if suffix > 0 && len <= MAX_KEY_LEN {
            "lock key"
        } else {
            "key"
        };
        let total = if which == "key" { len } else { len + suffix };
        return Err(refuse(format!(
            "{which} would be {total} bytes, memcached allows {MAX_KEY_LEN}"
        )));
    }
    let mut key = Vec::with_capacity(len + suffix);
    key.extend_from_slice(prefix);
    key.extend_from_slice(sid);
    Ok(key)
}

/// PHP's `maxlifetime` (seconds) with the fallback rsmemcache applies:
/// ≤ 0 becomes [`FALLBACK_MAXLIFETIME`].
#[must_use]
pub fn lifetime(maxlifetime: i64) -> i64 {
    if maxlifetime <= 0 {
        FALLBACK_MAXLIFETIME
    } else {
        maxlifetime
    }
}

/// Converts PHP's `maxlifetime` (seconds) to a memcached exptime, given the
/// current unix time in seconds: ≤ 30 days relative, longer absolute;
/// ≤ 0 is replaced by [`FALLBACK_MAXLIFETIME`] (memcached would read 0 as
/// "never expires").
#[must_use]
pub fn ttl_for(maxlifetime: i64, now_unix: i64) -> i64 {
    let life = if maxlifetime <= 0 {
        FALLBACK_MAXLIFETIME
    } else {
        maxlifetime
    };
    if life > MAX_RELATIVE_TTL {
        now_unix.saturating_add(life)
    } else {
        life
    }
}

/// The current unix time in seconds.
#[must_use]
pub fn now_unix() -> i64 {
    now_ms().div_euclid(1000)
}

/// The current unix time in milliseconds.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids_make_prefixed_keys() {
        assert_eq!(
            session_key(b"p.", b"abc,-XYZ019", 0).unwrap(),
            b"p.abc,-XYZ019"
        );
        assert_eq!(session_key(b"", b"a", 0).unwrap(), b"a");
    }

    #[test]
    fn hostile_ids_are_refused_not_truncated() {
        let e = session_key(b"p.", b"abc\r\nflush_all", 0)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "session id 'abc\\r\\nf...' refused: byte 0x0d at offset 3 is outside the session id alphabet [A-Za-z0-9,-]"
        );
        assert!(
            session_key(b"p.", b"a b", 0)
                .unwrap_err()
                .to_string()
                .contains("byte 0x20 at offset 1 is outside")
        );
        assert!(
            session_key(b"p.", b"", 0)
                .unwrap_err()
                .to_string()
                .contains("empty id")
        );
        assert!(session_key(b"p.", "é".as_bytes(), 0).is_err());
        let long = vec![b'a'; 249];
        assert!(
            session_key(b"p", &long, 0).is_ok(),
            "exactly 250 bytes is allowed"
        );
        let e = session_key(b"p.", &long, 0).unwrap_err().to_string();
        assert!(
            e.contains("refused: key would be 251 bytes, memcached allows 250"),
            "{e}"
        );
        let e = session_key(b"p", &long, 5).unwrap_err().to_string();
        assert!(
            e.contains("refused: lock key would be 255 bytes, memcached allows 250"),
            "{e}"
        );
        assert!(session_key(b"p", &long[..244], 5).is_ok());
    }

    #[test]
    fn layouts_match_the_anchors() {
        let k = SessionKeys::new(Compat::None, b"rsmemcache.sess.", b"abc", false, true).unwrap();
        assert_eq!(k.data, b"rsmemcache.sess.abc");
        assert_eq!(k.lock, b"rsmemcache.sess.abc.lock");
        assert_eq!(k.data_hash, k.data);
        assert_eq!(k.lock_hash, None);
        let k = SessionKeys::new(Compat::Memcache, b"", b"abc", false, true).unwrap();
        assert_eq!(
            (k.data.as_slice(), k.lock.as_slice()),
            (&b"abc"[..], &b"abc.lock"[..])
        );
        let k = SessionKeys::new(Compat::Memcached, b"memc.sess.key.", b"abc", true, true).unwrap();
        assert_eq!(k.data, b"memc.sess.key.abc");
        assert_eq!(k.lock, b"memc.sess.key.lock.abc");
        assert_eq!(k.data_hash, b"abc");
        assert_eq!(k.lock_hash.as_deref(), Some(&b"lock.abc"[..]));
        // The lock key must fit too, but only when locking.
        let long = vec![b'a'; 236];
        assert!(SessionKeys::new(Compat::Memcached, b"memc.sess.key.", &long, true, true).is_err());
        assert!(SessionKeys::new(Compat::Memcached, b"memc.sess.key.", &long, true, false).is_ok());
    }

    #[test]
    fn prefix_rules() {
        assert!(validate_prefix("rsmemcache.sess.").is_ok());
        assert!(validate_prefix("").is_ok());
        let e = validate_prefix("a b").unwrap_err().to_string();
        assert!(
            e.starts_with("invalid value 'a b' for rsmemcache.prefix"),
            "{e}"
        );
        assert!(validate_prefix("a\nb").is_err());
        assert!(validate_prefix(&"x".repeat(201)).is_err());
    }

    #[test]
    fn ttl_conversion() {
        let now = 1_700_000_000;
        assert_eq!(ttl_for(1440, now), 1440);
        assert_eq!(ttl_for(MAX_RELATIVE_TTL, now), MAX_RELATIVE_TTL);
        assert_eq!(
            ttl_for(MAX_RELATIVE_TTL + 1, now),
            now + MAX_RELATIVE_TTL + 1
        );
        assert_eq!(ttl_for(0, now), FALLBACK_MAXLIFETIME);
        assert_eq!(ttl_for(-5, now), FALLBACK_MAXLIFETIME);
    }
}
