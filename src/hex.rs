//! Base16 (RFC 4648 §8, <https://www.rfc-editor.org/rfc/rfc4648#section-8>),
//! lower-case: the lock tokens it writes and the key files it reads. Pure.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Writes `bytes` as lower-case hex into `out`, two digits a byte; `out`
/// must hold `2 * bytes.len()` bytes (extra bytes are left as they are,
/// missing room drops the bytes that do not fit).
pub fn encode_into(bytes: &[u8], out: &mut [u8]) {
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
}

/// The bytes `text` spells in hex (either case), or `None` when its length
/// is odd or it holds anything but hex digits.
#[must_use]
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.chunks_exact(2)
        .map(|p| Some((digit(p[0])? << 4) | digit(p[1])?))
        .collect()
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_non_hex() {
        let mut out = [0u8; 6];
        encode_into(&[0x00, 0xab, 0x7f], &mut out);
        assert_eq!(&out, b"00ab7f");
        assert_eq!(decode(b"00ab7F"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(decode(b""), Some(vec![]));
        assert_eq!(decode(b"abc"), None);
        assert_eq!(decode(b"zz"), None);
        assert_eq!(decode(b"0g"), None);
    }
}
