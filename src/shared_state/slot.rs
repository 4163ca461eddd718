//! The word map of one slot of the shared table: which words hold the
//! slot's identity and label, its owner and last use, the server's health
//! ([`crate::shared_state::health`]) and its counters
//! ([`crate::shared_state::stats`]). Below both the table
//! ([`crate::shared_state::shared`]) and the views over a slot's words.

use std::sync::atomic::AtomicU64;

/// Words per slot. Layout: see the `W_*` constants.
pub const SLOT_WORDS: usize = 40;
/// Slots in the shared table (server identities per master, plus one
/// totals slot per uid): 128 × 40 words × 8 bytes = 40 KiB.
pub const SLOTS: usize = 128;

/// Key word: first hash of the identity; 0 = free slot.
pub const W_KEY: usize = 0;
/// Check word: second hash of the identity; 0 = claim not finished.
pub const W_CHECK: usize = 1;
/// Label length in bytes (written after the label words).
pub const W_LABEL_LEN: usize = 2;
/// First of [`LABEL_WORDS`] words holding the label's bytes (for listing).
pub const W_LABEL: usize = 3;
/// Label words: labels are shown cut to 64 bytes.
pub const LABEL_WORDS: usize = 8;
/// Owner word: the claimer's effective uid + 1 (0 = none yet).
pub const W_OWNER: usize = W_LABEL + LABEL_WORDS;
/// Last use: monotonic seconds (see [`crate::shared_state::shared::now_ms`]), refreshed at most every
/// [`crate::shared_state::shared::USED_REFRESH_S`].
pub const W_USED: usize = W_OWNER + 1;
/// First word owned by [`crate::shared_state::health`] (its own layout from there).
pub const W_HEALTH: usize = W_USED + 1;
/// Words owned by [`crate::shared_state::health`].
pub const HEALTH_WORDS: usize = 8;
/// First counter word (see [`crate::shared_state::stats`]).
pub const W_COUNTERS: usize = W_HEALTH + HEALTH_WORDS;
/// Counter words per slot.
pub const COUNTER_WORDS: usize = SLOT_WORDS - W_COUNTERS;

/// The words of one slot.
pub type Words = [AtomicU64; SLOT_WORDS];

/// A zeroed slot.
#[must_use]
pub fn new_words() -> Words {
    std::array::from_fn(|_| AtomicU64::new(0))
}
