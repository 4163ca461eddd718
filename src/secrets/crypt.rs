//! Authenticated encryption of session values (`rsmemcache.encryption_key_file`):
//! the key ring read from the key file once per process, and the sealing and
//! opening of one value. Pure except for [`load`] (reads the file) and the
//! nonce (OS randomness).
//!
//! AEAD: XChaCha20-Poly1305 (RustCrypto `chacha20poly1305`), 256-bit keys,
//! random 192-bit nonces from the OS (`getrandom`). With 192 random bits a
//! nonce repeats with probability about n²/2¹⁹³ after n values sealed under
//! one key: below 2⁻⁹⁶ after 2⁴⁸ writes, so a farm never needs a counter
//! shared between processes (draft-irtf-cfrg-xchacha §3.1).
//!
//! A sealed value (client flag [`crate::core::replica::FLAG_ENCRYPTED`], and the
//! `data` of a durable-tier row while encryption is on):
//!
//! ```text
//! byte 0        format, 0x02 (0x01: written before expiries, no expiry field)
//! byte 1        L, length of the key id (1-32)
//! bytes 2..2+L  key id (ASCII)
//! next 8        expiry, unix seconds, big-endian (format 2 only)
//! next 24       nonce
//! rest          ciphertext, then the 16-byte Poly1305 tag
//! ```
//!
//! Associated data: the header (format, L, key id and, in format 2, the
//! expiry), the copy's version as 4 big-endian bytes, then the full
//! memcached key (prefix included), so a value copied under another session
//! id, or given another version in its flags, or another expiry, does not
//! open. A format-2 value is refused once its expiry is more than
//! [`MAX_SKEW_S`] in the past ([`expired`]): an older authentic value
//! replayed by someone with write access to memcached or the table is
//! accepted only until then. Format-1 values (no expiry) still open, so a
//! farm upgrades without logouts; each is resealed as format 2 by the
//! session's next write, and a replayed one stays accepted until the key
//! that sealed it is removed from the key file.
//!
//! Owns one rule: **key bytes never leave this module.** [`KeyRing`] has no
//! `Display`, its `Debug` prints only the file's path and the key ids, and
//! no error built here quotes the file's content.

use crate::error::{Error, Result};
use crate::secrets::secret_file::SecretFiles;
use base64::Engine as _;
use chacha20poly1305::{
    KeyInit as _, Tag, XChaCha20Poly1305, XNonce,
    aead::{AeadInPlace as _, Error as AeadError},
};
use std::{fmt, sync::Arc};

/// The format byte of a sealed value.
pub const FORMAT: u8 = 2;
/// The format byte of values sealed before expiries (still opened).
pub const FORMAT_1: u8 = 1;
/// Bytes of the expiry field (format 2).
pub const EXPIRY_LEN: usize = 8;
/// Clock skew tolerated between the web servers of a farm, in seconds: a
/// value is refused once `now > expiry + MAX_SKEW_S`.
pub const MAX_SKEW_S: i64 = 5;
/// Bytes of a nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes of the authentication tag.
pub const TAG_LEN: usize = 16;
/// Most bytes of a key id.
pub const MAX_ID_LEN: usize = 32;
/// Bytes of a key.
pub const KEY_LEN: usize = 32;

/// One key of the ring.
struct Key {
    id: Vec<u8>,
    cipher: XChaCha20Poly1305,
}

/// The keys of an encryption key file, in file order: the first seals,
/// every one opens.
pub struct KeyRing {
    path: String,
    keys: Vec<Key>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("path", &self.path)
            .field("ids", &self.ids())
            .finish_non_exhaustive()
    }
}

/// Why a stored value was not opened. Never carries key bytes or plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not of the sealed format (too short, unknown format byte, bad id).
    Malformed,
    /// Sealed under a key id the ring does not hold.
    UnknownKey(String),
    /// The tag does not verify: forged, altered, or copied from another key.
    Forged(String),
    /// Authentic, but its expiry (unix s) has passed: an old value written
    /// back.
    Expired(i64),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("not an encrypted value of format 1 or 2"),
            Self::UnknownKey(id) => write!(
                f,
                "encrypted with key id '{id}', which rsmemcache.encryption_key_file does not hold"
            ),
            Self::Forged(id) => write!(
                f,
                "failed authentication with key id '{id}' (forged, altered, or copied from another session)"
            ),
            Self::Expired(at) => write!(
                f,
                "an authentic value whose expiry (unix time {at}) has passed: an old copy written back"
            ),
        }
    }
}

fn id_ok(id: &[u8]) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A key written as 64 hex digits, or as base64 (standard alphabet, with or
/// without padding) of 32 bytes.
fn decode_key(text: &[u8]) -> std::result::Result<[u8; KEY_LEN], String> {
    // All hex digits, an even count: hex (base64 of 32 bytes is 43 or 44
    // characters, with a '=' when even).
    let bytes = if let Some(bytes) = crate::hex::decode(text) {
        bytes
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| "the key is neither 64 hex digits nor base64".to_owned())?
    };
    <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        .map_err(|_| format!("the key is {} bytes, not {KEY_LEN}", bytes.len()))
}

impl KeyRing {
    /// Parses a key file: one key a line, `<id> <key>`, where the id is
    /// 1-32 letters, digits, `.`, `_` or `-` and the key is 32 bytes as 64
    /// hex digits (`openssl rand -hex 32`) or base64 (`openssl rand -base64
    /// 32`), separated by spaces or tabs. Empty lines and lines starting
    /// with `#` are ignored. The first key seals; all open.
    ///
    /// # Errors
    /// A reason naming the line number (never its content) when a line is
    /// not of that form, a key is not 32 bytes, an id repeats, or the file
    /// holds no key.
    pub fn parse(path: &str, content: &[u8]) -> std::result::Result<Self, String> {
        let mut keys: Vec<Key> = Vec::new();
        let mut lines: Vec<usize> = Vec::new();
        for (n, line) in content.split(|&b| b == b'\n').enumerate() {
            let n = n + 1;
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let fields: Vec<&[u8]> = line
                .split(|b| *b == b' ' || *b == b'\t')
                .filter(|f| !f.is_empty())
                .collect();
            let [id, key] = fields[..] else {
                return Err(format!(
                    "line {n} is not '<id> <key>' (an id, a space, 32 bytes as hex or base64)"
                ));
            };
            if !id_ok(id) {
                return Err(format!(
                    "line {n}: a key id is 1-{MAX_ID_LEN} letters, digits, '.', '_' or '-'"
                ));
            }
            if let Some(i) = keys.iter().position(|k| k.id == id) {
                return Err(format!("line {n} repeats the key id of line {}", lines[i]));
            }
            let bytes = decode_key(key).map_err(|why| format!("line {n}: {why}"))?;
            keys.push(Key {
                id: id.to_vec(),
                cipher: XChaCha20Poly1305::new(&bytes.into()),
            });
            lines.push(n);
        }
        if keys.is_empty() {
            return Err("it holds no key (expected lines '<id> <key>')".to_owned());
        }
        Ok(Self {
            path: path.to_owned(),
            keys,
        })
    }

    /// The file the keys came from.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The key ids, sealing key first.
    #[must_use]
    pub fn ids(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| String::from_utf8_lossy(&k.id).into_owned())
            .collect()
    }

    /// Seals `plaintext` for memcached key `key` at `version`, to expire at
    /// `expires_at` (unix s), with the first key and a fresh random nonce:
    /// the stored value, format 2 (module docs).
    ///
    /// # Errors
    /// [`Error::Random`] when the OS has no randomness to give.
    pub fn seal(
        &self,
        key: &[u8],
        version: u32,
        expires_at: i64,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let k = &self.keys[0];
        let head = 2 + k.id.len() + EXPIRY_LEN;
        let mut out = Vec::with_capacity(head + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(FORMAT);
        out.push(u8::try_from(k.id.len()).unwrap_or(0));
        out.extend_from_slice(&k.id);
        out.extend_from_slice(&expires_at.to_be_bytes());
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| Error::Random(e.to_string()))?;
        out.extend_from_slice(&nonce);
        let ad = associated(&out[..head], version, key);
        out.extend_from_slice(plaintext);
        let tag = k
            .cipher
            .encrypt_in_place_detached(
                XNonce::from_slice(&nonce),
                &ad,
                &mut out[head + NONCE_LEN..],
            )
            .map_err(|AeadError| Error::Random("XChaCha20-Poly1305 refused to seal".into()))?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a value sealed by [`KeyRing::seal`] (format 2) or by an older
    /// rsmemcache (format 1) for memcached key `key` at `version`, with the
    /// key its header names; `now` (unix s) is checked against a format-2
    /// value's expiry ([`expired`]).
    ///
    /// # Errors
    /// [`Refused`]: malformed, an unknown key id, a tag that does not
    /// verify, or (authentic but) expired.
    pub fn open(
        &self,
        key: &[u8],
        version: u32,
        value: &[u8],
        now: i64,
    ) -> std::result::Result<Unsealed, Refused> {
        let h = Header::parse(value).ok_or(Refused::Malformed)?;
        let id = &value[2..2 + h.id_len];
        let shown = String::from_utf8_lossy(id).into_owned();
        let k = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| Refused::UnknownKey(shown.clone()))?;
        let ad = associated(&value[..h.len], version, key);
        let nonce = XNonce::from_slice(&value[h.len..h.len + NONCE_LEN]);
        let body = &value[h.len + NONCE_LEN..];
        let (ct, tag) = body.split_at(body.len() - TAG_LEN);
        let mut out = ct.to_vec();
        k.cipher
            .decrypt_in_place_detached(nonce, &ad, &mut out, Tag::from_slice(tag))
            .map_err(|AeadError| Refused::Forged(shown))?;
        // Checked after the tag: only an authentic expiry is reported.
        if let Some(at) = h.expires_at
            && expired(at, now)
        {
            return Err(Refused::Expired(at));
        }
        Ok(Unsealed {
            data: out,
            expires_at: h.expires_at,
        })
    }
}

/// What [`KeyRing::open`] gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsealed {
    /// The plaintext.
    pub data: Vec<u8>,
    /// The sealed expiry, unix s (`None`: a format-1 value).
    pub expires_at: Option<i64>,
}

/// The header of a sealed value, as [`Header::parse`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    /// Bytes of the key id.
    id_len: usize,
    /// Bytes of the whole header (format, L, id, expiry).
    len: usize,
    /// The expiry (format 2).
    expires_at: Option<i64>,
}

impl Header {
    /// The header of `value`, when it has the shape of a sealed value:
    /// format 1 or 2, a valid key id, room for nonce and tag.
    fn parse(value: &[u8]) -> Option<Self> {
        let (&format, rest) = value.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let id_len = usize::from(len);
        let extra = match format {
            FORMAT => EXPIRY_LEN,
            FORMAT_1 => 0,
            _ => return None,
        };
        if rest.len() < id_len + extra + NONCE_LEN + TAG_LEN || !id_ok(&rest[..id_len]) {
            return None;
        }
        let expires_at = (format == FORMAT).then(|| {
            let b: [u8; EXPIRY_LEN] = rest[id_len..id_len + EXPIRY_LEN]
                .try_into()
                .unwrap_or([0; EXPIRY_LEN]);
            i64::from_be_bytes(b)
        });
        Some(Self {
            id_len,
            len: 2 + id_len + extra,
            expires_at,
        })
    }
}

/// Whether `bytes` have the shape of a sealed value (format 1 or 2, a
/// valid key id, long enough): how a durable-tier row written sealed is
/// told from one written in plaintext (a row has no client flags). A
/// session serialised by PHP starts with a variable name, `a:` or a binary
/// serialiser's header, never with byte 1 or 2 followed by a key id's
/// length and characters; a planted plaintext row shaped like one is
/// refused as a sealed value that does not open.
#[must_use]
pub fn looks_sealed(bytes: &[u8]) -> bool {
    Header::parse(bytes).is_some()
}

/// Seconds after which an unchanged session's sealed value is resealed
/// rather than touched, at most (half its lifetime when that is shorter).
pub const RESEAL_AFTER_S: i64 = 60;

/// Whether an unchanged session (`lazy_write`) whose value was sealed to
/// expire at `expires_at` (unix s) is written again at `now` instead of
/// touched, for a lifetime of `lifetime` s: once its seal is older than
/// [`RESEAL_AFTER_S`] (or half the lifetime). A touch extends memcached's
/// TTL but not the sealed expiry; this keeps the two within that margin, so
/// an idle session lives at least `lifetime - min(60, lifetime / 2)` s.
#[must_use]
pub fn reseal_due(expires_at: i64, now: i64, lifetime: i64) -> bool {
    let slack = RESEAL_AFTER_S.min(lifetime / 2);
    expires_at.saturating_sub(now) < lifetime - slack
}

/// Whether a value sealed to expire at `expires_at` (unix s) is refused at
/// `now` (unix s): once `now` is more than [`MAX_SKEW_S`] past it.
#[must_use]
pub fn expired(expires_at: i64, now: i64) -> bool {
    now > expires_at.saturating_add(MAX_SKEW_S)
}

/// The associated data: header, version (big-endian), memcached key.
fn associated(head: &[u8], version: u32, key: &[u8]) -> Vec<u8> {
    [head, &version.to_be_bytes(), key].concat()
}

/// Key rings already read, by path (see [`crate::secrets::secret_file`]).
static LOADED: SecretFiles<KeyRing> = SecretFiles::new();

/// The key ring of the key file at `path`, read on first use and then kept
/// for the life of the process.
///
/// # Errors
/// [`Error::KeyFile`] naming the path and why it cannot be used (never its
/// content).
pub fn load(path: &str) -> Result<Arc<KeyRing>> {
    LOADED.load(
        "rsmemcache.encryption_key_file",
        path,
        |content| KeyRing::parse(path, content),
        |path, reason| Error::KeyFile { path, reason },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    // 32 bytes of 0xff in base64.
    const B64_B: &str = "//////////////////////////////////////////8=";

    /// An expiry and a time before it (unix s).
    const E: i64 = 2_000_000_000;
    const NOW: i64 = E - 100;

    fn ring(text: &str) -> KeyRing {
        KeyRing::parse("/keys", text.as_bytes()).expect("valid key file")
    }

    #[test]
    fn seals_and_opens() {
        let r = ring(&format!("# farm keys\n\nk1 {HEX_A}\n"));
        let v = r.seal(b"p.sess1", 7, E, b"secret=1").unwrap();
        assert!(!v.windows(6).any(|w| w == b"secret"), "no plaintext");
        assert_eq!(v[0], FORMAT);
        assert_eq!(&v[1..4], b"\x02k1");
        assert_eq!(&v[4..12], &E.to_be_bytes());
        assert_eq!(v.len(), 4 + EXPIRY_LEN + NONCE_LEN + 8 + TAG_LEN);
        assert_eq!(r.open(b"p.sess1", 7, &v, NOW).unwrap().data, b"secret=1");
        // Empty sessions seal too.
        let e = r.seal(b"p.sess1", 1, E, b"").unwrap();
        assert_eq!(r.open(b"p.sess1", 1, &e, NOW).unwrap().data, b"");
        // Fresh nonces: the same plaintext seals differently.
        assert_ne!(v, r.seal(b"p.sess1", 7, E, b"secret=1").unwrap());
    }

    #[test]
    fn the_expiry_is_bound_and_checked_with_the_skew() {
        let r = ring(&format!("k1 {HEX_A}"));
        let v = r.seal(b"k", 1, E, b"data").unwrap();
        // Up to MAX_SKEW_S after the expiry: still accepted (clocks of
        // two web servers may differ by that much).
        assert_eq!(r.open(b"k", 1, &v, E).unwrap().expires_at, Some(E));
        assert!(r.open(b"k", 1, &v, E + MAX_SKEW_S).is_ok());
        assert_eq!(
            r.open(b"k", 1, &v, E + MAX_SKEW_S + 1),
            Err(Refused::Expired(E))
        );
        // A later expiry written into the header does not verify.
        let mut w = v.clone();
        w[11] ^= 0x40;
        assert_eq!(
            r.open(b"k", 1, &w, E + 100),
            Err(Refused::Forged("k1".into()))
        );
        assert!(expired(100, 106) && !expired(100, 105) && !expired(100, 0));
        assert!(!expired(i64::MAX, 0), "no overflow");
    }

    #[test]
    fn unchanged_sessions_are_resealed_once_their_seal_is_a_minute_old() {
        // Sealed at 1000 for 1440 s.
        assert!(!reseal_due(2440, 1000, 1440));
        assert!(!reseal_due(2440, 1060, 1440));
        assert!(reseal_due(2440, 1061, 1440));
        // Short lifetimes: after half of it.
        assert!(!reseal_due(1010, 1005, 10));
        assert!(reseal_due(1010, 1006, 10));
    }

    /// A value sealed by the format-1 code (no expiry field): what values
    /// already in memcached look like after an upgrade.
    fn seal_format_1(r: &KeyRing, key: &[u8], version: u32, plaintext: &[u8]) -> Vec<u8> {
        let k = &r.keys[0];
        let mut out = vec![FORMAT_1, u8::try_from(k.id.len()).unwrap()];
        out.extend_from_slice(&k.id);
        let head = out.len();
        let nonce = [7u8; NONCE_LEN];
        out.extend_from_slice(&nonce);
        let ad = associated(&out[..head], version, key);
        let mut body = plaintext.to_vec();
        let tag = k
            .cipher
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), &ad, &mut body)
            .unwrap();
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
        out
    }

    #[test]
    fn format_1_values_still_open_without_an_expiry() {
        let r = ring(&format!("k1 {HEX_A}"));
        let v = seal_format_1(&r, b"k", 3, b"old");
        let u = r.open(b"k", 3, &v, i64::MAX).unwrap();
        assert_eq!((u.data.as_slice(), u.expires_at), (&b"old"[..], None));
        assert!(looks_sealed(&v));
        // Relabelled as format 2 (the expiry would be read from the nonce):
        // the header is in the AAD, so it does not verify.
        let mut w = v.clone();
        w[0] = FORMAT;
        assert!(r.open(b"k", 3, &w, 0).is_err());
    }

    #[test]
    fn sealed_rows_are_told_from_plaintext_ones() {
        let r = ring(&format!("k1 {HEX_A}"));
        assert!(looks_sealed(&r.seal(b"k", 1, E, b"").unwrap()));
        for plain in [
            &b"user|s:5:\"alice\";role|s:5:\"admin\";"[..],
            b"a:1:{s:1:\"a\";i:1;}",
            b"\x00\x00\x00\x02\x14\x01",
            b"",
            b"\x02\x02k1",
        ] {
            assert!(!looks_sealed(plain), "{plain:?}");
        }
    }

    #[test]
    fn another_key_or_version_does_not_open() {
        let r = ring(&format!("k1 {HEX_A}"));
        let v = r.seal(b"p.sessA", 3, E, b"x").unwrap();
        assert_eq!(
            r.open(b"p.sessB", 3, &v, NOW),
            Err(Refused::Forged("k1".into()))
        );
        assert_eq!(
            r.open(b"p.sessA", 4, &v, NOW),
            Err(Refused::Forged("k1".into()))
        );
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let r = ring(&format!("k1 {HEX_A}\nk2 {B64_B}"));
        let v = r.seal(b"key", 1, E, b"hello world").unwrap();
        for i in 0..v.len() {
            let mut w = v.clone();
            w[i] ^= 0x01;
            assert!(r.open(b"key", 1, &w, NOW).is_err(), "byte {i}");
        }
        assert_eq!(
            r.open(b"key", 1, &v[..v.len() - 1], NOW),
            Err(Refused::Forged("k1".into()))
        );
        assert_eq!(r.open(b"key", 1, b"", NOW), Err(Refused::Malformed));
        assert_eq!(r.open(b"key", 1, b"a:1:{}", NOW), Err(Refused::Malformed));
        assert_eq!(r.open(b"key", 1, &v[..20], NOW), Err(Refused::Malformed));
    }

    #[test]
    fn rotation_opens_old_values_and_seals_with_the_first_key() {
        let old = ring(&format!("old {HEX_A}"));
        let v = old.seal(b"k", 1, E, b"data").unwrap();
        let rotated = ring(&format!("new {B64_B}\nold {HEX_A}\n"));
        assert_eq!(rotated.open(b"k", 1, &v, NOW).unwrap().data, b"data");
        let w = rotated.seal(b"k", 2, E, b"data").unwrap();
        assert_eq!(&w[1..5], b"\x03new");
        assert_eq!(
            old.open(b"k", 2, &w, NOW),
            Err(Refused::UnknownKey("new".into()))
        );
        assert_eq!(rotated.ids(), ["new", "old"]);
    }

    #[test]
    fn a_key_under_another_id_does_not_open() {
        // Same bytes, other id: the id is bound, the header cannot be swapped.
        let a = ring(&format!("a {HEX_A}\nb {HEX_A}"));
        let mut v = a.seal(b"k", 1, E, b"data").unwrap();
        v[2] = b'b';
        assert_eq!(a.open(b"k", 1, &v, NOW), Err(Refused::Forged("b".into())));
    }

    #[test]
    fn parses_hex_and_base64_keys() {
        let unpadded = B64_B.trim_end_matches('=');
        let r = ring(&format!(
            "  a\t{HEX_A}  \r\n#c x\nb {B64_B}\nc.2_x-Y {unpadded}\n{} {}\n",
            "d",
            HEX_A.to_uppercase()
        ));
        assert_eq!(r.ids(), ["a", "b", "c.2_x-Y", "d"]);
        // Hex and base64 of the same bytes are the same key.
        let h = ring(&format!("x {}", "ff".repeat(32)));
        let b = ring(&format!("x {B64_B}"));
        assert_eq!(
            b.open(b"k", 1, &h.seal(b"k", 1, E, b"z").unwrap(), NOW)
                .unwrap()
                .data,
            b"z"
        );
    }

    #[test]
    fn refuses_bad_files_without_quoting_them() {
        let short = &HEX_A[..62];
        let cases: [(String, &str); 9] = [
            (String::new(), "holds no key"),
            ("# only a comment\n\n".into(), "holds no key"),
            (format!("{HEX_A}\n"), "line 1 is not"),
            (format!("a b {HEX_A}\n"), "line 1 is not"),
            (
                format!("a {short}\n"),
                "line 1: the key is 31 bytes, not 32",
            ),
            (
                format!("a {HEX_A}\n\nb {}\n", "Q".repeat(44)),
                "line 3: the key is 33 bytes",
            ),
            (
                format!("a {HEX_A}\na {B64_B}\n"),
                "line 2 repeats the key id of line 1",
            ),
            (format!("a/b {HEX_A}\n"), "line 1: a key id is"),
            (
                format!("{} {HEX_A}\n", "i".repeat(33)),
                "line 1: a key id is",
            ),
        ];
        for (text, want) in &cases {
            let e = KeyRing::parse("/keys", text.as_bytes()).expect_err(text);
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains(&HEX_A[..16]) && !e.contains("////"), "{e}");
        }
        let e = KeyRing::parse("/keys", b"a not-base64-at-all!").expect_err("bad");
        assert!(e.contains("neither 64 hex digits nor base64"), "{e}");
        assert!(!e.contains("not-base64"), "{e}");
    }

    #[test]
    fn debug_never_shows_a_key() {
        let r = ring(&format!("k1 {HEX_A}"));
        let d = format!("{r:?}");
        assert!(d.contains("/keys") && d.contains("k1"), "{d}");
        assert!(!d.contains("0001") && !d.contains("cipher"), "{d}");
    }

    #[test]
    fn load_names_the_path_never_the_content() {
        let dir = std::env::temp_dir().join(format!("rsmc-crypt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("keys");
        std::fs::write(&f, format!("k1 {}", &HEX_A[..60])).unwrap();
        let p = f.to_str().unwrap();
        let e = load(p).unwrap_err().to_string();
        assert!(
            e.contains("rsmemcache.encryption_key_file") && e.contains(p),
            "{e}"
        );
        assert!(!e.contains(&HEX_A[..20]), "{e}");
        std::fs::write(&f, format!("k1 {HEX_A}")).unwrap();
        assert_eq!(load(p).unwrap().ids(), ["k1"]);
        let missing = dir.join("none");
        assert!(load(missing.to_str().unwrap()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
