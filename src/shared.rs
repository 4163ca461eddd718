//! State shared by every worker of one php-fpm master (or Apache prefork
//! parent, or a CLI process and its `pcntl_fork` children): a fixed table of
//! slots in the anonymous shared mapping made at module startup
//! ([`crate::shm`]), one slot per memcached server identity, holding the
//! server's health ([`crate::health`]) and counters.
//!
//! * **Lock-free only.** Every field is an `AtomicU64` word; a slot is
//!   claimed with one compare-and-swap on its key word and owned by the
//!   identity whose check word is set first (a second CAS). No lock is ever
//!   held, so a worker killed at any instruction leaves nothing stuck: a
//!   claim cut short between the two CAS is completed by the next process
//!   that looks the same identity up.
//! * **Identity** is the server's label (`host:port`, `[v6]:port` or
//!   `unix:///path`) hashed twice with 64-bit FNV-1a (two offset bases):
//!   the first hash picks the slot and is stored as its key, the second is
//!   the check word. Two labels must agree on 128 bits to share a slot; a
//!   slot held by another identity is passed over (linear probing).
//! * **Fallbacks.** With no mapping (the module was not started by PHP, as
//!   in `cargo test`, or `mmap` failed) or a full table, a server gets a
//!   private slot ([`Cells::Own`]): exactly the per-process behaviour of
//!   before, correct in any process, forked or not.

use crate::shm;
use std::{
    ops::Deref,
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};

/// Words per slot. Layout: see the `W_*` constants.
pub const SLOT_WORDS: usize = 32;
/// Slots in the shared table (server identities per master, plus the
/// totals slot): 128 × 32 words × 8 bytes = 32 KiB.
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
/// First word owned by [`crate::health`] (its own layout from there).
pub const W_HEALTH: usize = W_LABEL + LABEL_WORDS;
/// Words owned by [`crate::health`].
pub const HEALTH_WORDS: usize = 8;
/// First counter word (see [`crate::stats`]).
pub const W_COUNTERS: usize = W_HEALTH + HEALTH_WORDS;
/// Counter words per slot.
pub const COUNTER_WORDS: usize = SLOT_WORDS - W_COUNTERS;

/// The words of one slot.
pub type Words = [AtomicU64; SLOT_WORDS];

/// Where a server's slot lives.
#[derive(Debug)]
pub enum Cells {
    /// In the shared mapping: seen by every process forked after startup.
    Shared(&'static Words),
    /// This process's own memory (no mapping, or the table was full).
    Own(Box<Words>),
}

impl Deref for Cells {
    type Target = Words;
    fn deref(&self) -> &Words {
        match self {
            Self::Shared(w) => w,
            Self::Own(w) => w,
        }
    }
}

impl Cells {
    /// Whether the slot is shared with other processes.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Shared(_))
    }
}

/// A table of slots over some words (the shared mapping, or a test's own).
#[derive(Debug, Clone, Copy)]
pub struct Table {
    words: &'static [AtomicU64],
}

static REGION: OnceLock<Option<Table>> = OnceLock::new();

/// Maps the shared table, once per process (module startup, before any
/// fork). Returns whether a mapping exists.
pub fn init() -> bool {
    REGION
        .get_or_init(|| shm::map_shared_words(SLOTS * SLOT_WORDS).map(Table::over))
        .is_some()
}

/// The shared table, if [`init`] mapped one.
#[must_use]
pub fn region() -> Option<Table> {
    REGION.get().copied().flatten()
}

/// The slot of `label`: in the shared table when there is one and it has
/// room, else a private one.
#[must_use]
pub fn cells(label: &str) -> Cells {
    region()
        .and_then(|t| t.slot(label))
        .map_or_else(|| Cells::Own(Box::new(new_words())), Cells::Shared)
}

/// A zeroed slot.
#[must_use]
pub fn new_words() -> Words {
    std::array::from_fn(|_| AtomicU64::new(0))
}

/// 64-bit FNV-1a of `bytes` from offset basis `basis` (FNV's published
/// parameters: prime 0x100000001b3; basis 0xcbf29ce484222325 is the
/// standard one, the second hash uses another basis).
fn fnv1a64(basis: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(basis, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The two hashes of an identity, both non-zero.
fn identity(label: &str) -> (u64, u64) {
    let a = fnv1a64(0xcbf2_9ce4_8422_2325, label.as_bytes()).max(1);
    let b = fnv1a64(0x6c62_272e_07bb_0142, label.as_bytes()).max(1);
    (a, b)
}

impl Table {
    /// A table over `words` (whole slots only; the rest is unused).
    #[must_use]
    pub fn over(words: &'static [AtomicU64]) -> Self {
        Self { words }
    }

    fn len(&self) -> usize {
        self.words.len() / SLOT_WORDS
    }

    fn at(&self, i: usize) -> &'static Words {
        let w: &'static [AtomicU64] = &self.words[i * SLOT_WORDS..(i + 1) * SLOT_WORDS];
        w.try_into()
            .unwrap_or_else(|_| unreachable!("a slice of SLOT_WORDS words"))
    }

    /// Finds or claims the slot of `label`; `None` when every slot belongs
    /// to another identity.
    #[must_use]
    pub fn slot(&self, label: &str) -> Option<&'static Words> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let (key, check) = identity(label);
        let start = usize::try_from(key % n as u64).unwrap_or(0);
        for i in 0..n {
            let slot = self.at((start + i) % n);
            let mut k = slot[W_KEY].load(Ordering::Acquire);
            if k == 0 {
                k = match slot[W_KEY].compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => key,
                    Err(other) => other,
                };
            }
            if k != key {
                continue;
            }
            // Our key: the identity whose check lands first owns the slot
            // (a claimer that died before writing it is completed here).
            match slot[W_CHECK].compare_exchange(0, check, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    write_label(slot, label);
                    return Some(slot);
                }
                Err(c) if c == check => return Some(slot),
                Err(_) => {} // another identity with the same first hash
            }
        }
        None
    }

    /// The labels and slots of every claimed slot, in table order.
    #[must_use]
    pub fn entries(&self) -> Vec<(String, &'static Words)> {
        (0..self.len())
            .map(|i| self.at(i))
            .filter(|s| s[W_CHECK].load(Ordering::Acquire) != 0)
            .map(|s| (read_label(s), s))
            .collect()
    }
}

fn write_label(slot: &Words, label: &str) {
    let bytes = label.as_bytes();
    let len = bytes.len().min(LABEL_WORDS * 8);
    for (i, chunk) in bytes[..len].chunks(8).enumerate() {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        slot[W_LABEL + i].store(u64::from_le_bytes(b), Ordering::Relaxed);
    }
    slot[W_LABEL_LEN].store(len as u64, Ordering::Release);
}

/// The label stored in `slot` (cut to 64 bytes; empty while being written).
#[must_use]
pub fn read_label(slot: &Words) -> String {
    let len = usize::try_from(slot[W_LABEL_LEN].load(Ordering::Acquire))
        .unwrap_or(0)
        .min(LABEL_WORDS * 8);
    let bytes: Vec<u8> = (0..LABEL_WORDS)
        .flat_map(|i| slot[W_LABEL + i].load(Ordering::Relaxed).to_le_bytes())
        .take(len)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Milliseconds of the system-wide monotonic clock (`CLOCK_MONOTONIC`, the
/// same for every process of the machine, unlike `Instant`'s opaque value),
/// never 0.
#[must_use]
pub fn now_ms() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let ms = u64::try_from(t.tv_sec).unwrap_or(0) * 1000
        + u64::try_from(t.tv_nsec).unwrap_or(0) / 1_000_000;
    ms.max(1)
}

/// This thread's id (unique among the live threads of the machine; below
/// 2^22, Linux's largest `pid_max`): who holds a probe.
#[must_use]
pub fn me() -> u64 {
    u64::try_from(rustix::thread::gettid().as_raw_nonzero().get()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(slots: usize) -> Table {
        let words: Vec<AtomicU64> = (0..slots * SLOT_WORDS).map(|_| AtomicU64::new(0)).collect();
        Table::over(Vec::leak(words))
    }

    #[test]
    fn one_slot_per_identity_and_labels_listed() {
        let t = table(8);
        let a = t.slot("127.0.0.1:11211").expect("room");
        let b = t.slot("127.0.0.1:11212").expect("room");
        assert!(!std::ptr::eq(a, b));
        assert!(std::ptr::eq(a, t.slot("127.0.0.1:11211").expect("found")));
        let labels: Vec<String> = t.entries().into_iter().map(|(l, _)| l).collect();
        assert_eq!(labels.len(), 2);
        assert!(labels.contains(&"127.0.0.1:11212".to_owned()));
    }

    #[test]
    fn full_table_gives_none_and_long_labels_are_cut() {
        let t = table(2);
        assert!(t.slot("a:1").is_some() && t.slot("b:1").is_some());
        assert!(t.slot("c:1").is_none(), "no room: the caller falls back");
        assert!(t.slot("a:1").is_some(), "existing identities still found");
        let long = format!("unix:///{}", "x".repeat(100));
        let t = table(1);
        let s = t.slot(&long).expect("room");
        assert_eq!(read_label(s), long[..64]);
    }

    #[test]
    fn a_claim_cut_short_is_completed_and_a_hash_twin_passed_over() {
        let t = table(4);
        let (key, check) = identity("h:1");
        let start = usize::try_from(key % 4).expect("small");
        // A worker died between the two CAS of its claim.
        t.at(start)[W_KEY].store(key, Ordering::SeqCst);
        let s = t.slot("h:1").expect("completed");
        assert!(std::ptr::eq(s, t.at(start)));
        assert_eq!(s[W_CHECK].load(Ordering::SeqCst), check);
        // Another identity with the same first hash in the next slot's way.
        let t = table(4);
        t.at(start)[W_KEY].store(key, Ordering::SeqCst);
        t.at(start)[W_CHECK].store(check ^ 1, Ordering::SeqCst);
        let s = t.slot("h:1").expect("next slot");
        assert!(!std::ptr::eq(s, t.at(start)));
    }

    #[test]
    fn monotonic_ms_and_thread_id() {
        let a = now_ms();
        assert!(now_ms() >= a && a > 0);
        assert!(me() > 0 && me() < (1 << 22));
    }
}
