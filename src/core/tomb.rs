//! Tombstones: what a destroy (`session_destroy()`, the old id of
//! `session_regenerate_id(true)`) leaves behind in memcached so that no
//! older copy of the session — a server's copy that missed the destroy, an
//! authentic value written back by someone with write access to memcached,
//! or a durable-tier row whose delete failed — brings it back. Pure.
//!
//! The tombstone of a session is the item `<data key>.tomb`
//! ([`crate::core::keys::SessionKeys::tomb`]) on the session's copy servers,
//! written in the destroy's round trip while encryption or the durable tier
//! is on, with a TTL of `session.gc_maxlifetime` + [`TTL_MARGIN_S`]: longer
//! than any value sealed before the destroy is accepted
//! ([`crate::secrets::crypt::expired`]). Its value is ASCII, `<version> <unix s>`:
//! the session's version when it was destroyed and when. A copy or a row
//! whose version is not newer than the tombstone's ([`Tomb::buries`]) is
//! refused; a session written again under the same id continues from the
//! tombstone's version, so its new copies are newer and accepted.
//!
//! A tombstone is not authenticated: someone who can write to memcached can
//! delete or forge one, which only logs a session out (deleting its copies
//! does as much).

use crate::core::replica;

/// Seconds a tombstone outlives `session.gc_maxlifetime`: twice the clock
/// skew a sealed value's expiry allows ([`crate::secrets::crypt::MAX_SKEW_S`]).
pub const TTL_MARGIN_S: i64 = 2 * crate::secrets::crypt::MAX_SKEW_S;

/// Most bytes of a tombstone's value read back (longer: not a tombstone).
pub const MAX_LEN: usize = 40;

/// A session's tombstone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tomb {
    /// The version the session had when it was destroyed (0: unknown).
    pub version: u32,
    /// When it was destroyed, unix s.
    pub destroyed_at: i64,
}

impl Tomb {
    /// The stored value: `<version> <destroyed_at>`.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        format!("{} {}", self.version, self.destroyed_at).into_bytes()
    }

    /// Reads a stored value; `None` for anything not of that form.
    #[must_use]
    pub fn parse(value: &[u8]) -> Option<Self> {
        if value.len() > MAX_LEN {
            return None;
        }
        let text = std::str::from_utf8(value).ok()?;
        let (v, at) = text.split_once(' ')?;
        let version = v
            .parse::<u32>()
            .ok()
            .filter(|v| *v < 1 << replica::VERSION_BITS)?;
        Some(Self {
            version,
            destroyed_at: at.parse().ok()?,
        })
    }

    /// Whether a copy or row at `version` was written before this
    /// tombstone (not newer than the destroyed version, by the copies'
    /// serial arithmetic) and so must be refused.
    #[must_use]
    pub fn buries(&self, version: u32) -> bool {
        !replica::is_newer(version, self.version)
    }

    /// The newest of several tombstones read (one per copy server).
    #[must_use]
    pub fn newest(tombs: impl IntoIterator<Item = Self>) -> Option<Self> {
        replica::newest_by(tombs, |t| Some(t.version))
    }
}

/// The TTL (seconds, for [`crate::core::keys::ttl_for`]) of a tombstone left for a
/// session of `maxlifetime` seconds (≤ 0: [`crate::core::keys::FALLBACK_MAXLIFETIME`]).
#[must_use]
pub fn lifetime(maxlifetime: i64) -> i64 {
    crate::core::keys::lifetime(maxlifetime).saturating_add(TTL_MARGIN_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_junk() {
        let t = Tomb {
            version: 42,
            destroyed_at: 1_800_000_000,
        };
        assert_eq!(t.encode(), b"42 1800000000");
        assert_eq!(Tomb::parse(&t.encode()), Some(t));
        for junk in [
            &b""[..],
            b"42",
            b"x 1",
            b"42 y",
            b"1048576 1",
            b"\xff 1",
            &[b'1'; 41],
        ] {
            assert_eq!(Tomb::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn older_and_equal_versions_are_buried_newer_ones_live() {
        let t = Tomb {
            version: 7,
            destroyed_at: 0,
        };
        assert!(t.buries(7) && t.buries(6) && t.buries(1));
        assert!(!t.buries(8), "written after the destroy");
        // Serial arithmetic, as the copies: 0 follows the largest version.
        let w = Tomb {
            version: (1 << replica::VERSION_BITS) - 1,
            destroyed_at: 0,
        };
        assert!(!w.buries(0) && w.buries((1 << replica::VERSION_BITS) - 5));
        assert_eq!(
            Tomb::newest([
                t,
                w,
                Tomb {
                    version: 3,
                    destroyed_at: 9
                }
            ])
            .map(|t| t.version),
            Some(7)
        );
        assert_eq!(Tomb::newest([]), None);
    }

    #[test]
    fn tombstones_outlive_the_sessions_they_bury() {
        assert_eq!(lifetime(1440), 1440 + 2 * crate::secrets::crypt::MAX_SKEW_S);
        assert_eq!(
            lifetime(0),
            crate::core::keys::FALLBACK_MAXLIFETIME + TTL_MARGIN_S
        );
    }
}
