//! Versioned session copies: how a copy's version and encoding ride in
//! memcached's client flags, which of several copies is the newest, and
//! which copies a read must repair. Pure.
//!
//! Client flags of a session item (32 bits):
//! * bits 12–31: the copy's version, a 20-bit counter every write advances
//!   by one (from the newest version the request read), compared with
//!   serial-number arithmetic (RFC 1982), so it may wrap;
//! * bit 1 (`0x2`): zlib-compressed value — pecl-memcache's
//!   `MMC_COMPRESSED`, which its session handler sets on sessions of 20000
//!   bytes or more; rsmemcache reads such values and writes uncompressed;
//! * bit 2 (`0x4`): sealed value ([`crate::secrets::crypt`]: XChaCha20-Poly1305
//!   under `rsmemcache.encryption_key_file`); never set together with
//!   `0x2` (sealed values are written uncompressed). The flag, not the
//!   value's first bytes, says a value is sealed: a plaintext session that
//!   happens to start like a sealed one is never taken for one, and a
//!   sealed value whose flag was cleared is plaintext to a reader — refused
//!   when encryption is on and `encryption_accept_plaintext` off, and
//!   unreadable bytes to PHP's unserializer otherwise;
//! * every other bit must be 0. pecl-memcache reads bits 0–1 and 8–11 as
//!   serialization and type markers and php-memcached's session handler
//!   ignores flags, so both read rsmemcache's copies as plain
//!   strings, and a farm can roll back.
//!
//! Serial comparison holds while copies differ by fewer than 2¹⁹ (524 288)
//! writes: a copy that missed more writes than that (while its server was
//! unreachable and the session was written half a million times) would be
//! taken for the newer.

use std::io::Read as _;

/// Bits of the version field.
pub const VERSION_BITS: u32 = 20;
/// Where the version starts in the client flags.
pub const VERSION_SHIFT: u32 = 12;
const VERSION_MASK: u32 = (1 << VERSION_BITS) - 1;
/// pecl-memcache's `MMC_COMPRESSED` flag.
pub const FLAG_COMPRESSED: u32 = 0x2;
/// A value sealed by [`crate::secrets::crypt::KeyRing::seal`].
pub const FLAG_ENCRYPTED: u32 = 0x4;

/// The client flags rsmemcache writes for a plaintext copy at `version`
/// (always uncompressed).
#[must_use]
pub fn flags_for(version: u32) -> u32 {
    (version & VERSION_MASK) << VERSION_SHIFT
}

/// How copies are sealed and opened: the key ring of
/// `rsmemcache.encryption_key_file` (`None`: plaintext),
/// `rsmemcache.encryption_accept_plaintext` and
/// `rsmemcache.encryption_accept_plaintext_until`.
#[derive(Debug, Clone, Default)]
pub struct Codec {
    /// The keys; `None` when encryption is off.
    pub ring: Option<std::sync::Arc<crate::secrets::crypt::KeyRing>>,
    /// Whether plaintext copies are read while encryption is on.
    pub accept_plaintext: bool,
    /// Unix time (s) from which plaintext is no longer accepted whatever
    /// `accept_plaintext` says; 0: no end.
    pub accept_plaintext_until: i64,
}

/// Why a copy could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// Not a session rsmemcache can decode (unknown flags, a value that
    /// does not inflate, sealed while encryption is off): an error.
    Undecodable(String),
    /// Refused by encryption (failed authentication, unknown key id,
    /// plaintext not accepted): the copy is treated as absent, and logged.
    Refused(String),
}

impl Codec {
    /// Whether a plaintext value is read at `now` (unix s) while
    /// encryption is on: `accept_plaintext`, until
    /// `accept_plaintext_until` (when not 0).
    #[must_use]
    pub fn plaintext_accepted(&self, now: i64) -> bool {
        self.accept_plaintext
            && (self.accept_plaintext_until == 0 || now < self.accept_plaintext_until)
    }

    /// The value and client flags to store for `data` at `version` under
    /// memcached key `key`: sealed, to expire at `expires_at` (unix s),
    /// when encryption is on.
    ///
    /// # Errors
    /// [`crate::error::Error::Random`] when no nonce can be drawn.
    pub fn seal<'a>(
        &self,
        key: &[u8],
        data: &'a [u8],
        version: u32,
        expires_at: i64,
    ) -> crate::error::Result<(std::borrow::Cow<'a, [u8]>, u32)> {
        let flags = flags_for(version);
        match &self.ring {
            None => Ok((std::borrow::Cow::Borrowed(data), flags)),
            Some(r) => Ok((
                std::borrow::Cow::Owned(r.seal(key, version & VERSION_MASK, expires_at, data)?),
                flags | FLAG_ENCRYPTED,
            )),
        }
    }

    /// The bytes of a durable-tier row for `data` at `version` under
    /// memcached key `key`, expiring at `expires_at` (unix s): the sealed
    /// value memcached holds when encryption is on (a row has no client
    /// flags: [`crate::secrets::crypt::looks_sealed`] tells it from plaintext),
    /// `data` itself otherwise.
    ///
    /// # Errors
    /// [`crate::error::Error::Random`] when no nonce can be drawn.
    pub fn seal_row(
        &self,
        key: &[u8],
        data: &[u8],
        version: u32,
        expires_at: i64,
    ) -> crate::error::Result<Vec<u8>> {
        Ok(self.seal(key, data, version, expires_at)?.0.into_owned())
    }

    /// Opens the `data` of a durable-tier row at `version` for memcached
    /// key `key` at `now` (unix s). A sealed row must open; a plaintext row
    /// is read only when encryption is off, or `plaintext_ok` and
    /// [`Codec::plaintext_accepted`].
    ///
    /// # Errors
    /// [`Unusable::Refused`] for a row that does not open or plaintext
    /// that is not accepted; [`Unusable::Undecodable`] for a sealed row
    /// while encryption is off.
    pub fn open_row(
        &self,
        key: &[u8],
        data: Vec<u8>,
        version: u32,
        now: i64,
        plaintext_ok: bool,
    ) -> Result<Decoded, Unusable> {
        let flags = if crate::secrets::crypt::looks_sealed(&data) {
            flags_for(version) | FLAG_ENCRYPTED
        } else {
            if self.ring.is_some() && !plaintext_ok {
                return Err(Unusable::Refused(
                    "a plaintext row, and the copy in memcached was refused".to_owned(),
                ));
            }
            flags_for(version)
        };
        self.open(key, data, flags, usize::MAX, now)
    }

    /// Decodes a copy of memcached key `key` read with client flags
    /// `flags` ([`decode`]) at `now` (unix s), opening it when sealed.
    ///
    /// # Errors
    /// [`Unusable`].
    pub fn open(
        &self,
        key: &[u8],
        value: Vec<u8>,
        flags: u32,
        max_inflated: usize,
        now: i64,
    ) -> Result<Decoded, Unusable> {
        let version = flags >> VERSION_SHIFT;
        if flags & FLAG_ENCRYPTED == 0 {
            if self.ring.is_some() && !self.accept_plaintext {
                return Err(Unusable::Refused(
                    "a plaintext value, and rsmemcache.encryption_accept_plaintext is off"
                        .to_owned(),
                ));
            }
            if self.ring.is_some() && !self.plaintext_accepted(now) {
                return Err(Unusable::Refused(format!(
                    "a plaintext value, and rsmemcache.encryption_accept_plaintext_until ({}) has passed",
                    self.accept_plaintext_until
                )));
            }
            return decode(value, flags, max_inflated).map_err(Unusable::Undecodable);
        }
        if flags & ((1 << VERSION_SHIFT) - 1) != FLAG_ENCRYPTED {
            return Err(Unusable::Undecodable(format!(
                "client flags {flags} are not a session's (written by another client?)"
            )));
        }
        let Some(ring) = &self.ring else {
            return Err(Unusable::Undecodable(
                "an encrypted value, and rsmemcache.encryption_key_file is not set".to_owned(),
            ));
        };
        let u = ring
            .open(key, version, &value, now)
            .map_err(|r| Unusable::Refused(r.to_string()))?;
        Ok(Decoded {
            data: u.data,
            version,
            sealed: true,
            expires_at: u.expires_at,
        })
    }
}

/// The version after `v`.
#[must_use]
pub fn next_version(v: u32) -> u32 {
    v.wrapping_add(1) & VERSION_MASK
}

/// Whether version `a` is newer than `b` (serial-number arithmetic on 20
/// bits).
#[must_use]
pub fn is_newer(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b) & VERSION_MASK;
    d != 0 && d < 1 << (VERSION_BITS - 1)
}

/// A stored copy's value decoded from its client flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Session bytes (inflated if they were compressed).
    pub data: Vec<u8>,
    /// The copy's version.
    pub version: u32,
    /// Whether the copy was sealed (encrypted).
    pub sealed: bool,
    /// The expiry sealed in it (unix s; `None`: plaintext or format 1).
    pub expires_at: Option<i64>,
}

/// Most bytes a compressed copy may inflate to when PHP sets no lower
/// bound (256 MiB). A compression bomb (900 KB that inflates to 900 MB) is
/// refused at this cap instead of growing the process past
/// `memory_limit`: the caller passes `min(this, memory_limit / 4)`.
pub const MAX_INFLATED: usize = 256 * 1024 * 1024;

/// The inflation cap for PHP's `memory_limit` (as PHP writes it: `-1`,
/// `134217728`, `128M`, `1G`, `512K`): a quarter of it, at most
/// [`MAX_INFLATED`], at least 1 MiB; [`MAX_INFLATED`] when unlimited or
/// unreadable.
#[must_use]
pub fn max_inflated(memory_limit: Option<&str>) -> usize {
    let Some(text) = memory_limit.map(str::trim).filter(|t| !t.is_empty()) else {
        return MAX_INFLATED;
    };
    let (digits, unit) = match text.as_bytes()[text.len() - 1].to_ascii_lowercase() {
        b'k' => (&text[..text.len() - 1], 1 << 10),
        b'm' => (&text[..text.len() - 1], 1 << 20),
        b'g' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    match digits.trim().parse::<i64>() {
        Ok(n) if n > 0 => {
            let bytes = usize::try_from(n)
                .unwrap_or(usize::MAX)
                .saturating_mul(unit);
            (bytes / 4).clamp(1 << 20, MAX_INFLATED)
        }
        _ => MAX_INFLATED,
    }
}

/// Decodes a copy read with client flags `flags`; a compressed value may
/// inflate to at most `max_inflated` bytes.
///
/// # Errors
/// A description when the flags hold bits rsmemcache does not know (the
/// item was not written by a session handler it understands), the value
/// does not inflate, or it inflates past `max_inflated`.
pub fn decode(value: Vec<u8>, flags: u32, max_inflated: usize) -> Result<Decoded, String> {
    let low = flags & ((1 << VERSION_SHIFT) - 1);
    let version = flags >> VERSION_SHIFT;
    match low {
        0 => Ok(Decoded {
            data: value,
            version,
            sealed: false,
            expires_at: None,
        }),
        FLAG_COMPRESSED => {
            let mut data = Vec::with_capacity(value.len().saturating_mul(4).min(max_inflated));
            let cap = u64::try_from(max_inflated).unwrap_or(u64::MAX);
            flate2::read::ZlibDecoder::new(value.as_slice())
                .take(cap.saturating_add(1))
                .read_to_end(&mut data)
                .map_err(|e| {
                    format!("compressed value (client flags {flags}) does not inflate: {e}")
                })?;
            if data.len() > max_inflated {
                return Err(format!(
                    "compressed value ({} bytes) inflates to more than {max_inflated} bytes, the cap (rsmemcache refuses it rather than exhaust memory_limit)",
                    value.len()
                ));
            }
            Ok(Decoded {
                data,
                version,
                sealed: false,
                expires_at: None,
            })
        }
        _ => Err(format!(
            "client flags {flags} are not a session's (written by another client?)"
        )),
    }
}

/// What a read found on one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No copy.
    Missing,
    /// A copy at this version.
    Version(u32),
}

/// The item of `items` with the newest version by [`is_newer`] (the first
/// of equals); items whose `version` is `None` are passed over. `None`
/// when no item has a version. The one rule for copies, tombstones and
/// anything else versioned.
#[must_use]
pub fn newest_by<T>(
    items: impl IntoIterator<Item = T>,
    version: impl Fn(&T) -> Option<u32>,
) -> Option<T> {
    let mut best: Option<(T, u32)> = None;
    for item in items {
        if let Some(v) = version(&item)
            && best.as_ref().is_none_or(|&(_, b)| is_newer(v, b))
        {
            best = Some((item, v));
        }
    }
    best.map(|(item, _)| item)
}

/// The index of the newest copy in `found` (the first of equals), or
/// `None` when every server missed.
#[must_use]
pub fn newest(found: &[Found]) -> Option<usize> {
    newest_by(found.iter().enumerate(), |(_, f)| match **f {
        Found::Version(v) => Some(v),
        Found::Missing => None,
    })
    .map(|(i, _)| i)
}

/// The copies a read must repair: every one missing or older than the
/// newest (none when every server missed).
#[must_use]
pub fn stale(found: &[Found]) -> Vec<usize> {
    let Some(best) = newest(found) else {
        return Vec::new();
    };
    let Found::Version(top) = found[best] else {
        return Vec::new();
    };
    found
        .iter()
        .enumerate()
        .filter(|(_, f)| match **f {
            Found::Missing => true,
            Found::Version(v) => is_newer(top, v),
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn versions_compare_as_serial_numbers() {
        assert!(is_newer(2, 1));
        assert!(!is_newer(1, 2));
        assert!(!is_newer(5, 5));
        // Wrap-around: 0 follows the largest version.
        assert_eq!(next_version(VERSION_MASK), 0);
        assert!(is_newer(0, VERSION_MASK));
        assert!(is_newer(3, VERSION_MASK - 3));
    }

    #[test]
    fn flags_keep_the_bits_pecl_memcache_reads_clear() {
        for v in [0, 1, 77, VERSION_MASK] {
            let f = flags_for(v);
            assert_eq!(f & 0xfff, 0, "pecl-memcache's flag bits stay 0");
            assert_eq!(decode(b"x".to_vec(), f, 10).unwrap().version, v);
        }
    }

    #[test]
    fn compressed_values_inflate_and_unknown_flags_are_refused() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&b"ab".repeat(20_000)).unwrap();
        let packed = z.finish().unwrap();
        let d = decode(packed.clone(), FLAG_COMPRESSED, 40_000).unwrap();
        assert_eq!(d.data, b"ab".repeat(20_000));
        // One byte under what it inflates to: refused, not inflated further.
        let e = decode(packed, FLAG_COMPRESSED, 39_999).unwrap_err();
        assert!(e.contains("more than 39999 bytes"), "{e}");
        assert!(decode(b"junk".to_vec(), FLAG_COMPRESSED, 100).is_err());
        let e = decode(b"1".to_vec(), 768, 100).unwrap_err();
        assert!(e.contains("client flags 768"), "{e}");
        assert!(
            decode(b"a".to_vec(), 1, 100).is_err(),
            "pecl's serialized flag"
        );
    }

    /// An expiry and a time before it (unix s).
    const T: i64 = 2_000_000_000;
    const NOW: i64 = T - 60;

    fn codec(accept_plaintext: bool) -> Codec {
        let hex = "42".repeat(32);
        let ring =
            crate::secrets::crypt::KeyRing::parse("/k", format!("k1 {hex}").as_bytes()).unwrap();
        Codec {
            ring: Some(std::sync::Arc::new(ring)),
            accept_plaintext,
            accept_plaintext_until: 0,
        }
    }

    #[test]
    fn sealed_copies_carry_the_flag_and_open_only_under_their_key() {
        let c = codec(false);
        let (v, f) = c.seal(b"p.a", b"user|s:5:\"alice\";", 9, T).unwrap();
        assert_eq!(f, flags_for(9) | FLAG_ENCRYPTED);
        assert!(!v.windows(5).any(|w| w == b"alice"));
        let d = c.open(b"p.a", v.to_vec(), f, 100, NOW).unwrap();
        assert_eq!(
            (d.data.as_slice(), d.version, d.sealed),
            (&b"user|s:5:\"alice\";"[..], 9, true)
        );
        assert_eq!(d.expires_at, Some(T));
        // Past its expiry (and the skew): refused.
        assert!(matches!(
            c.open(b"p.a", v.to_vec(), f, 100, T + 6),
            Err(Unusable::Refused(w)) if w.contains("expiry")
        ));
        assert!(c.open(b"p.a", v.to_vec(), f, 100, T + 5).is_ok());
        // Under another key, or with another version in the flags: refused.
        assert!(matches!(
            c.open(b"p.b", v.to_vec(), f, 100, NOW),
            Err(Unusable::Refused(_))
        ));
        let f10 = flags_for(10) | FLAG_ENCRYPTED;
        assert!(matches!(
            c.open(b"p.a", v.to_vec(), f10, 100, NOW),
            Err(Unusable::Refused(_))
        ));
        // Sealed and compressed is never written: undecodable.
        let e = c
            .open(b"p.a", v.to_vec(), f | FLAG_COMPRESSED, 100, NOW)
            .unwrap_err();
        assert!(matches!(e, Unusable::Undecodable(_)), "{e:?}");
        // Encryption off: a sealed copy is an error, never bytes for PHP.
        let off = Codec::default();
        let e = off.open(b"p.a", v.to_vec(), f, 100, NOW).unwrap_err();
        assert!(
            matches!(&e, Unusable::Undecodable(d) if d.contains("encryption_key_file")),
            "{e:?}"
        );
        let (p, pf) = off.seal(b"p.a", b"x", 3, T).unwrap();
        assert_eq!((&*p, pf), (&b"x"[..], flags_for(3)));
    }

    #[test]
    fn plaintext_is_refused_unless_accepted() {
        // A plaintext value that starts like a sealed one stays plaintext:
        // the flag decides, not the bytes.
        let lookalike = b"\x01\x02k1 and more bytes than a nonce and a tag need".to_vec();
        let e = codec(false)
            .open(b"p.a", lookalike.clone(), flags_for(1), 100, NOW)
            .unwrap_err();
        assert!(
            matches!(&e, Unusable::Refused(w) if w.contains("accept_plaintext is off")),
            "{e:?}"
        );
        let d = codec(true)
            .open(b"p.a", lookalike.clone(), flags_for(1), 100, NOW)
            .unwrap();
        assert_eq!((d.data, d.sealed), (lookalike.clone(), false));
        let d = Codec::default()
            .open(b"p.a", lookalike.clone(), flags_for(1), 100, NOW)
            .unwrap();
        assert_eq!(d.data, lookalike);
    }

    #[test]
    fn accept_plaintext_until_ends_the_window() {
        let mut c = codec(true);
        c.accept_plaintext_until = NOW + 1;
        assert!(c.plaintext_accepted(NOW));
        assert!(
            c.open(b"p.a", b"x".to_vec(), flags_for(1), 100, NOW)
                .is_ok()
        );
        let e = c
            .open(b"p.a", b"x".to_vec(), flags_for(1), 100, NOW + 1)
            .unwrap_err();
        assert!(
            matches!(&e, Unusable::Refused(w) if w.contains("accept_plaintext_until")),
            "{e:?}"
        );
        // 0: no end; and never without accept_plaintext.
        c.accept_plaintext_until = 0;
        assert!(c.plaintext_accepted(i64::MAX));
        assert!(!codec(false).plaintext_accepted(0));
    }

    #[test]
    fn rows_are_sealed_like_copies_and_plaintext_rows_need_acceptance() {
        let c = codec(false);
        let row = c.seal_row(b"p.a", b"n|i:1;", 4, T).unwrap();
        assert!(crate::secrets::crypt::looks_sealed(&row));
        let d = c.open_row(b"p.a", row.clone(), 4, NOW, true).unwrap();
        assert_eq!((d.data.as_slice(), d.sealed), (&b"n|i:1;"[..], true));
        // Another id's row, another version, or past its expiry: refused.
        assert!(matches!(
            c.open_row(b"p.b", row.clone(), 4, NOW, true),
            Err(Unusable::Refused(_))
        ));
        assert!(matches!(
            c.open_row(b"p.a", row.clone(), 5, NOW, true),
            Err(Unusable::Refused(_))
        ));
        assert!(matches!(
            c.open_row(b"p.a", row.clone(), 4, T + 6, true),
            Err(Unusable::Refused(_))
        ));
        // A planted plaintext row: refused unless accepted, and never after
        // a refused copy (plaintext_ok false).
        let planted = b"user|s:5:\"alice\";role|s:5:\"admin\";".to_vec();
        assert!(matches!(
            c.open_row(b"p.a", planted.clone(), 1, NOW, true),
            Err(Unusable::Refused(_))
        ));
        let accepting = codec(true);
        assert!(
            accepting
                .open_row(b"p.a", planted.clone(), 1, NOW, true)
                .is_ok()
        );
        assert!(matches!(
            accepting.open_row(b"p.a", planted.clone(), 1, NOW, false),
            Err(Unusable::Refused(_))
        ));
        // Encryption off: plaintext rows as before, sealed ones an error.
        let off = Codec::default();
        assert_eq!(off.seal_row(b"p.a", b"x", 1, T).unwrap(), b"x");
        assert!(off.open_row(b"p.a", planted, 1, NOW, false).is_ok());
        assert!(matches!(
            off.open_row(b"p.a", row, 4, NOW, true),
            Err(Unusable::Undecodable(_))
        ));
    }

    #[test]
    fn the_cap_follows_memory_limit() {
        assert_eq!(max_inflated(Some("-1")), MAX_INFLATED);
        assert_eq!(max_inflated(None), MAX_INFLATED);
        assert_eq!(max_inflated(Some("128M")), 32 << 20);
        assert_eq!(max_inflated(Some("134217728")), 32 << 20);
        assert_eq!(max_inflated(Some("8G")), MAX_INFLATED);
        assert_eq!(max_inflated(Some("2M")), 1 << 20);
        assert_eq!(max_inflated(Some("junk")), MAX_INFLATED);
    }

    #[test]
    fn a_compression_bomb_stops_at_the_cap() {
        // 64 MiB of zeros packs into ~64 KiB.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            z.write_all(&zeros).unwrap();
        }
        let bomb = z.finish().unwrap();
        assert!(bomb.len() < 1 << 18);
        let e = decode(bomb, FLAG_COMPRESSED, 1 << 20).unwrap_err();
        assert!(e.contains("inflates to more than 1048576 bytes"), "{e}");
    }

    #[test]
    fn newest_wins_and_the_rest_is_repaired() {
        use Found::{Missing, Version};
        assert_eq!(newest(&[Missing, Missing]), None);
        assert!(stale(&[Missing, Missing]).is_empty());
        assert_eq!(newest(&[Version(3), Version(7)]), Some(1));
        assert_eq!(stale(&[Version(3), Version(7), Missing]), [0, 2]);
        assert_eq!(newest(&[Version(4), Version(4)]), Some(0));
        assert!(stale(&[Version(4), Version(4)]).is_empty());
        assert_eq!(newest(&[Version(VERSION_MASK), Version(1)]), Some(1));
    }
}
