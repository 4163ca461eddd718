//! Session ids → memcached keys, and PHP lifetimes → memcached expiry. Pure.
//!
//! Rules (PHP's id alphabet: `php_session_valid_key()` in php-src
//! `ext/session/session.c`; the compat layouts: pecl-memcache
//! `src/memcache_session.c`, php-memcached `php_memcached_session.c`):
//! * a session id may hold only PHP's id alphabet `[A-Za-z0-9,-]` and must be
//!   non-empty; anything else is refused, never escaped or truncated, so a
//!   hostile `session_id()` cannot inject protocol lines;
//! * key = `rsmemcache.prefix` + id (or its hash, below), prefix + id at most [`MAX_KEY_LEN`] bytes — refused
//!   if longer, never truncated (pecl-memcache silently truncates);
//! * TTL: PHP's maxlifetime in seconds; up to 30 days it is sent as is, longer
//!   lifetimes become an absolute unix time, as memcached requires;
//! * layout ([`Compat`], [`SessionKeys`]): the data key, the lock key, and
//!   which bytes are hashed to place each — rsmemcache's own, or exactly the
//!   one of the handler a farm migrates from (pecl-memcache: `<key>.lock`
//!   beside the data; php-memcached: `<prefix>lock.<id>`, placed by its own
//!   hash), so sessions written by the old handler are found;
//! * hashed keys ([`KeyHash`], `rsmemcache.key_hash`): under `compat=none`
//!   the id part of the data key, the lock key and the durable table's id is
//!   [`hashed_id`] — SHA-256 of the session id, base64url without padding —
//!   so a key listing, a memory dump or a table read holds no session id.
//!   The compat layouts always keep the raw id (pecl-memcache and
//!   php-memcached read it).

use crate::error::{Error, Result, escape_for_message};

/// Longest key memcached accepts, in bytes (`KEY_MAX_LENGTH` in memcached's
/// `memcached.h`; `doc/protocol.txt`: "the key must not exceed 250
/// characters").
pub const MAX_KEY_LEN: usize = 250;

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

/// How the session id becomes the id part of its keys
/// (`rsmemcache.key_hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyHash {
    /// The id itself (the layout of pecl-memcache and php-memcached; every compat mode).
    None,
    /// [`hashed_id`]: SHA-256 of the id, base64url without padding.
    Sha256,
}

/// Length of a [`hashed_id`]: 32 bytes of SHA-256 in unpadded base64url,
/// `ceil(32 * 8 / 6)` = 43 characters.
pub const HASHED_ID_LEN: usize = 43;

/// The id part of a session's keys under `rsmemcache.key_hash = sha256`:
/// SHA-256 (FIPS 180-4) of the session id, in the URL- and filename-safe
/// base64 alphabet without padding (RFC 4648 §5), [`HASHED_ID_LEN`] bytes.
/// One-way: a key or a table id made from it does not give the id back,
/// and every character is allowed in a memcached key.
#[must_use]
pub fn hashed_id(sid: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, sid);
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(digest.as_ref())
        .into_bytes()
}

/// Where a session's copies were before `rsmemcache.key_hash` was turned
/// on: its raw data key and the bytes that placed it
/// (`rsmemcache.key_hash_migrate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawKeys {
    /// The raw data key: prefix + id (also the durable table's old id).
    pub data: Vec<u8>,
    /// Hashed to place it, as [`SessionKeys::data_hash`] was.
    pub data_hash: Vec<u8>,
}

/// The keys of one session and the bytes that place them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// The data key: prefix + id, or prefix + [`hashed_id`] (also the
    /// durable table's id).
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
    /// The tombstone key, `<data key>.tomb` ([`crate::core::tomb`]), kept on the
    /// data's servers; `None` when it would exceed [`MAX_KEY_LEN`] (a data
    /// key of 246 bytes or more, possible only with locking off).
    pub tomb: Option<Vec<u8>>,
    /// With hashed keys and `rsmemcache.key_hash_migrate`: the raw layout,
    /// where copies written before hashing was turned on are looked for.
    pub raw: Option<RawKeys>,
}

impl SessionKeys {
    /// The keys for `sid` under `compat`, `hash` and `prefix`. `ketama`
    /// selects the bare-id hash input. With `locking` off the lock key need
    /// not fit. `hash` applies under [`Compat::None`] only (the compat
    /// layouts keep pecl-memcache's and php-memcached's raw ids); `migrate` adds [`RawKeys`] when
    /// the keys are hashed. Placement follows the keys: data and lock are
    /// placed by the hashed id exactly as by the raw one before.
    ///
    /// The raw key must fit in [`MAX_KEY_LEN`] even when hashed, so the ids
    /// accepted do not depend on `key_hash` and a farm can move between
    /// the two layouts.
    ///
    /// # Errors
    /// As [`session_key`]: a refused id, or a raw data or lock key over
    /// [`MAX_KEY_LEN`] bytes.
    pub fn new(
        compat: Compat,
        hash: KeyHash,
        prefix: &[u8],
        sid: &[u8],
        (ketama, locking, migrate): (bool, bool, bool),
    ) -> Result<Self> {
        let lock_extra = match compat {
            Compat::None | Compat::Memcache => LOCK_SUFFIX.len(),
            Compat::Memcached => LOCK_INFIX.len(),
        };
        let raw = session_key(prefix, sid, if locking { lock_extra } else { 0 })?;
        let hashed = (compat == Compat::None && hash == KeyHash::Sha256).then(|| hashed_id(sid));
        let id = hashed.as_deref().unwrap_or(sid);
        let placed_by = |key: &[u8], id: &[u8]| if ketama { id.to_vec() } else { key.to_vec() };
        let (data, raw) = match &hashed {
            Some(h) => {
                let raw = migrate.then(|| RawKeys {
                    data_hash: placed_by(&raw, sid),
                    data: raw,
                });
                ([prefix, h.as_slice()].concat(), raw)
            }
            None => (raw, None),
        };
        let data_hash = placed_by(&data, id);
        let (lock, lock_hash) = match compat {
            Compat::None | Compat::Memcache => ([&data[..], LOCK_SUFFIX].concat(), None),
            Compat::Memcached => (
                [prefix, LOCK_INFIX, id].concat(),
                Some([LOCK_INFIX, id].concat()),
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
            raw,
        })
    }

    /// The data key a copy found at an old place is stored under: the raw
    /// key for `raw`, else the data key.
    #[must_use]
    pub fn old_key(&self, raw: bool) -> &[u8] {
        match (&self.raw, raw) {
            (Some(r), true) => &r.data,
            _ => &self.data,
        }
    }
}

/// Lock key suffix of rsmemcache and pecl-memcache: `<key>.lock`.
pub const LOCK_SUFFIX: &[u8] = b".lock";

/// Tombstone key suffix: `<data key>.tomb` ([`crate::core::tomb`]).
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

    /// `SessionKeys::new` with raw keys, no migration.
    fn raw(
        compat: Compat,
        prefix: &[u8],
        sid: &[u8],
        ketama: bool,
        locking: bool,
    ) -> Result<SessionKeys> {
        SessionKeys::new(compat, KeyHash::None, prefix, sid, (ketama, locking, false))
    }

    #[test]
    fn sha256_of_abc_is_the_fips_180_2_vector() {
        // FIPS 180-2 appendix B.1 / RFC 6234 §8.5 TEST1: SHA-256("abc") =
        // ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad.
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        use base64::Engine as _;
        let want = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(want, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
        assert_eq!(hashed_id(b"abc"), want.as_bytes());
        assert_eq!(hashed_id(b"abc").len(), HASHED_ID_LEN);
        // RFC 6234 §8.5 TEST2 (448 bits).
        let h = hashed_id(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
        assert_eq!(h, b"JI1qYdIGOLjlwCaTDD5gOaM85Flk_yFn9uzt1BnbBsE");
    }

    #[test]
    fn hashed_keys_hold_no_id_and_place_data_and_lock_together() {
        let sid = b"0123456789abcdef0123456789abcdef";
        let k = SessionKeys::new(
            Compat::None,
            KeyHash::Sha256,
            b"p.",
            sid,
            (false, true, false),
        )
        .unwrap();
        let h = hashed_id(sid);
        assert_eq!(k.data, [&b"p."[..], &h[..]].concat());
        assert_eq!(k.lock, [&b"p."[..], &h[..], b".lock"].concat());
        assert_eq!(k.data_hash, k.data, "placed by the storage key");
        assert_eq!(k.lock_hash, None, "lock on the data's server");
        assert_eq!(k.raw, None);
        for key in [&k.data, &k.lock] {
            assert!(!key.windows(6).any(|w| sid.windows(6).any(|s| s == w)));
        }
        // Ketama places by the hashed id, as it placed by the bare id.
        let k = SessionKeys::new(
            Compat::None,
            KeyHash::Sha256,
            b"p.",
            sid,
            (true, true, true),
        )
        .unwrap();
        assert_eq!(k.data_hash, h);
        // Migration: the raw layout, placed as before.
        let r = k.raw.clone().unwrap();
        assert_eq!(r.data, b"p.0123456789abcdef0123456789abcdef");
        assert_eq!(r.data_hash, sid);
        assert_eq!(k.old_key(true), r.data);
        assert_eq!(k.old_key(false), k.data);
        // The compat layouts stay raw whatever key_hash says.
        for c in [Compat::Memcache, Compat::Memcached] {
            let k = SessionKeys::new(c, KeyHash::Sha256, b"", b"abc", (false, true, true)).unwrap();
            assert_eq!(k, raw(c, b"", b"abc", false, true).unwrap());
        }
        // The raw key must fit even when hashed.
        let long = vec![b'a'; 246];
        assert!(
            SessionKeys::new(
                Compat::None,
                KeyHash::Sha256,
                b"p.",
                &long,
                (false, true, false)
            )
            .is_err()
        );
        assert!(
            SessionKeys::new(
                Compat::None,
                KeyHash::Sha256,
                b"p\r",
                b"a\r",
                (false, true, false)
            )
            .is_err()
        );
    }

    #[test]
    fn layouts_match_pecl_memcache_and_php_memcached() {
        let k = raw(Compat::None, b"rsmemcache.sess.", b"abc", false, true).unwrap();
        assert_eq!(k.data, b"rsmemcache.sess.abc");
        assert_eq!(k.lock, b"rsmemcache.sess.abc.lock");
        assert_eq!(k.data_hash, k.data);
        assert_eq!(k.lock_hash, None);
        let k = raw(Compat::Memcache, b"", b"abc", false, true).unwrap();
        assert_eq!(
            (k.data.as_slice(), k.lock.as_slice()),
            (&b"abc"[..], &b"abc.lock"[..])
        );
        let k = raw(Compat::Memcached, b"memc.sess.key.", b"abc", true, true).unwrap();
        assert_eq!(k.data, b"memc.sess.key.abc");
        assert_eq!(k.lock, b"memc.sess.key.lock.abc");
        assert_eq!(k.data_hash, b"abc");
        assert_eq!(k.lock_hash.as_deref(), Some(&b"lock.abc"[..]));
        // The lock key must fit too, but only when locking.
        let long = vec![b'a'; 236];
        assert!(raw(Compat::Memcached, b"memc.sess.key.", &long, true, true).is_err());
        assert!(raw(Compat::Memcached, b"memc.sess.key.", &long, true, false).is_ok());
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
