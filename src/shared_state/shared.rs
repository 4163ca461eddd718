//! State shared by every worker of one php-fpm master (or Apache prefork
//! parent, or a CLI process and its `pcntl_fork` children): a fixed table of
//! slots in the anonymous shared mapping made at module startup
//! ([`crate::shared_state::shm`]), one slot per memcached server identity *and effective
//! uid*, holding the server's health ([`crate::shared_state::health`]) and counters.
//!
//! * **Lock-free only.** Every field is an `AtomicU64` word; a slot is
//!   claimed with one compare-and-swap on its key word and owned by the
//!   identity whose check word is set first (a second CAS). No lock is ever
//!   held, so a worker killed at any instruction leaves nothing stuck: a
//!   claim cut short between the two CAS is completed by the next process
//!   of the same identity that looks it up, or reclaimed once stale.
//! * **Identity** is the process's effective uid and the server's label
//!   (`host:port`, `[v6]:port` or `unix:///path`, plus the TLS/auth tag of
//!   [`crate::net::pool`]) hashed twice with 64-bit FNV-1a (two offset bases):
//!   the first hash picks the slot and is stored as its key, the second is
//!   the check word. Two identities must agree on 128 bits to share a slot;
//!   a slot held by another identity is passed over (linear probing). So
//!   the pools of one master that run as different users (php-fpm `user =`)
//!   never read or change each other's slots, and each lists only its own
//!   ([`Table::entries`] by owner uid).
//! * **Claimed only after a round trip.** [`Cells::new`] only *finds* the
//!   slot of its identity; a server gets one when a request of the uid has
//!   had a real reply from it ([`Cells::answered`]). Until then its state
//!   is the process's own, so a made-up server list claims nothing.
//! * **Reclaimed when unused.** Each slot holds when it was last used
//!   (monotonic seconds, refreshed at most every [`USED_REFRESH_S`] on a
//!   round trip or a recorded failure). A claimer that finds no free slot
//!   takes over the slot unused longest, if unused for at least
//!   [`RECLAIM_AFTER_S`]; the old owner's processes notice at their next
//!   access (key and check words no longer theirs) and fall back to their
//!   own state. A write already under way in such a process at that very
//!   moment may land in the new owner's fresh slot: at worst one counter
//!   step or one failure time that makes the server skipped once.
//! * **Fallbacks.** With no mapping (the module was not started by PHP, as
//!   in `cargo test`, or `mmap` failed) or a full table, a server's state
//!   stays in the process ([`Cells`]' own words): exactly the per-process
//!   behaviour of before, correct in any process, forked or not.

use crate::core::hash::{FNV64_OFFSET_BASIS, fnv1a64};
use crate::shared_state::shm;
pub use crate::shared_state::slot::*;
use once_cell::sync::OnceCell;
use std::{
    ops::Deref,
    sync::atomic::{AtomicU64, AtomicUsize, Ordering},
};

/// A slot unused for this many seconds (no round trip, no failure recorded
/// by any process of its uid) may be taken over by a claimer that finds no
/// free slot: 10 minutes.
pub const RECLAIM_AFTER_S: u64 = 600;
/// A slot's last-use word is rewritten at most this often, in seconds, so
/// that the common case dirties no shared cache line.
pub const USED_REFRESH_S: u64 = 10;
/// After a claim found the table full, this process tries again for the
/// same server no sooner than this many milliseconds later.
const CLAIM_RETRY_MS: u64 = 10_000;

/// Who a slot belongs to: the two hashes of (effective uid, label), both
/// non-zero, and the uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    key: u64,
    check: u64,
    uid: u32,
}

impl Identity {
    /// The identity of `label` for processes running as `uid`.
    #[must_use]
    pub fn new(uid: u32, label: &str) -> Self {
        let hash = |basis| {
            let h = fnv1a64(basis, &uid.to_le_bytes());
            fnv1a64(h, label.as_bytes()).max(1)
        };
        Self {
            key: hash(FNV64_OFFSET_BASIS),
            check: hash(0x6c62_272e_07bb_0142),
            uid,
        }
    }

    fn owner_word(self) -> u64 {
        u64::from(self.uid) + 1
    }
}

/// The effective uid of this process (what php-fpm's pool `user =` sets).
#[must_use]
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// A server's (or the totals') state: the shared slot of its identity while
/// it has one, else this process's own words.
#[derive(Debug)]
pub struct Cells {
    table: Option<Table>,
    id: Identity,
    label: String,
    own: Box<Words>,
    /// Index + 1 of the shared slot; 0: none (the own words are used).
    at: AtomicUsize,
    /// No claim before this monotonic ms (after the table was found full).
    next_claim_ms: AtomicU64,
}

impl Deref for Cells {
    type Target = Words;
    fn deref(&self) -> &Words {
        self.words()
    }
}

impl Cells {
    /// The state of `label` for this process's effective uid: the shared
    /// slot of that identity if some process already claimed one, else own
    /// words. Never claims (see [`Cells::answered`]).
    #[must_use]
    pub fn new(label: &str) -> Self {
        Self::within(region(), euid(), label)
    }

    /// [`Cells::new`] over `table` (none: own words only) for `uid`.
    #[must_use]
    pub fn within(table: Option<Table>, uid: u32, label: &str) -> Self {
        let id = Identity::new(uid, label);
        let at = table.and_then(|t| t.find(&id)).map_or(0, |i| i + 1);
        Self {
            table,
            id,
            label: label.to_owned(),
            own: Box::new(new_words()),
            at: AtomicUsize::new(at),
            next_claim_ms: AtomicU64::new(0),
        }
    }

    /// [`Cells::new`], then claims a slot at once (the totals slot, which
    /// is not a server).
    #[must_use]
    pub fn claimed(label: &str) -> Self {
        match region() {
            Some(t) => Self::claimed_within(t, euid(), label, now_ms()),
            None => Self::within(None, euid(), label),
        }
    }

    /// [`Cells::claimed`] in `table` for `uid` at `now` (ms).
    #[must_use]
    pub fn claimed_within(table: Table, uid: u32, label: &str, now: u64) -> Self {
        let c = Self::within(Some(table), uid, label);
        c.answered(now);
        c
    }

    /// The words to use now: the shared slot while it still belongs to
    /// this identity (it may have been reclaimed), else the own words.
    #[must_use]
    pub fn words(&self) -> &Words {
        if let Some(slot) = self.slot() {
            return slot;
        }
        &self.own
    }

    fn slot(&self) -> Option<&'static Words> {
        let at = self.at.load(Ordering::Acquire);
        let table = self.table?;
        let slot = table.at(at.checked_sub(1)?);
        if belongs(slot, &self.id) {
            Some(slot)
        } else {
            self.at.store(0, Ordering::Release);
            None
        }
    }

    /// Whether the state is shared with other processes (of the same uid).
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.slot().is_some()
    }

    /// Books a real round trip at `now` (ms): claims the identity's slot if
    /// this process has none yet (moving what its own words counted into
    /// it), and refreshes the slot's last use.
    pub fn answered(&self, now: u64) {
        if let Some(slot) = self.slot() {
            touch(slot, now);
            return;
        }
        let Some(table) = self.table else { return };
        if now < self.next_claim_ms.load(Ordering::Relaxed) {
            return;
        }
        match table.claim(&self.id, &self.label, now) {
            Some(i) => {
                let slot = table.at(i);
                move_counts(&self.own, slot);
                self.at.store(i + 1, Ordering::Release);
            }
            None => self
                .next_claim_ms
                .store(now.saturating_add(CLAIM_RETRY_MS), Ordering::Relaxed),
        }
    }

    /// Refreshes the shared slot's last use at `now` (ms), if there is one.
    pub fn touch(&self, now: u64) {
        if let Some(slot) = self.slot() {
            touch(slot, now);
        }
    }
}

/// Whether `slot` is (still) the finished slot of `id`.
fn belongs(slot: &Words, id: &Identity) -> bool {
    slot[W_KEY].load(Ordering::Acquire) == id.key
        && slot[W_CHECK].load(Ordering::Acquire) == id.check
        && slot[W_OWNER].load(Ordering::Acquire) == id.owner_word()
}

fn touch(slot: &Words, now_ms: u64) {
    let now = now_ms / 1000;
    if slot[W_USED]
        .load(Ordering::Relaxed)
        .saturating_add(USED_REFRESH_S)
        <= now
    {
        slot[W_USED].store(now, Ordering::Relaxed);
    }
}

/// Adds the counts kept in `own` (counters, the failure count) to `slot`
/// and zeroes them in `own`.
fn move_counts(own: &Words, slot: &Words) {
    for i in W_COUNTERS..SLOT_WORDS {
        let n = own[i].swap(0, Ordering::Relaxed);
        if n != 0 {
            slot[i].fetch_add(n, Ordering::Relaxed);
        }
    }
    crate::shared_state::health::Health::of(own)
        .move_counts_to(&crate::shared_state::health::Health::of(slot));
}

/// A table of slots over some words (the shared mapping, or a test's own).
#[derive(Debug, Clone, Copy)]
pub struct Table {
    words: &'static [AtomicU64],
}

static REGION: OnceCell<Option<Table>> = OnceCell::new();

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

    /// Slot indexes in `id`'s probe order.
    fn order(&self, id: &Identity) -> impl Iterator<Item = usize> {
        let n = self.len();
        let start = if n == 0 {
            0
        } else {
            usize::try_from(id.key % n as u64).unwrap_or(0)
        };
        (0..n).map(move |i| (start + i) % n)
    }

    /// The slot of `id`, if one is claimed (a claim cut short by a process
    /// of the same identity is completed). Claims nothing new.
    #[must_use]
    pub fn find(&self, id: &Identity) -> Option<usize> {
        self.order(id).find(|&i| {
            let slot = self.at(i);
            slot[W_KEY].load(Ordering::Acquire) == id.key && self.finish(slot, id)
        })
    }

    /// Completes the claim of `slot` (its key is `id`'s): true if `id` owns
    /// it now. False if another identity with the same first hash does, or
    /// the slot names another uid as its owner: the uid is stored and
    /// compared, not only hashed, so even a crafted 128-bit hash collision
    /// does not share a slot between two users.
    fn finish(&self, slot: &Words, id: &Identity) -> bool {
        let owner = slot[W_OWNER].load(Ordering::Acquire);
        if owner != 0 && owner != id.owner_word() {
            return false;
        }
        let mine = match slot[W_CHECK].load(Ordering::Acquire) {
            0 => match slot[W_CHECK].compare_exchange(
                0,
                id.check,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => true,
                Err(c) => c == id.check,
            },
            c => c == id.check,
        };
        if mine {
            slot[W_OWNER].store(id.owner_word(), Ordering::Release);
        }
        mine
    }

    /// Finds or claims the slot of `id` (label `label`) at `now` (ms): its
    /// own, else the first free one in its probe order, else the one unused
    /// longest if unused for [`RECLAIM_AFTER_S`]; `None` when every slot is
    /// in use by other identities.
    #[must_use]
    pub fn claim(&self, id: &Identity, label: &str, now: u64) -> Option<usize> {
        if let Some(i) = self.find(id) {
            return Some(i);
        }
        for i in self.order(id) {
            let slot = self.at(i);
            let k = match slot[W_KEY].compare_exchange(
                0,
                id.key,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    reset(slot, label, now);
                    id.key
                }
                Err(other) => other,
            };
            if k == id.key && self.finish(slot, id) {
                return Some(i);
            }
        }
        self.reclaim(id, label, now)
    }

    /// Takes over the slot unused longest, if unused for
    /// [`RECLAIM_AFTER_S`] at `now` (ms).
    fn reclaim(&self, id: &Identity, label: &str, now: u64) -> Option<usize> {
        let now_s = now / 1000;
        let (i, used) = (0..self.len())
            .map(|i| (i, self.at(i)[W_USED].load(Ordering::Acquire)))
            .filter(|&(_, used)| reclaimable(used, now_s))
            .min_by_key(|&(_, used)| used)?;
        let slot = self.at(i);
        // The right to reclaim: whoever moves the last-use word first. A
        // process still using the slot refreshes that word, so this fails.
        slot[W_USED]
            .compare_exchange(used, now_s, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        let old = slot[W_KEY].load(Ordering::Acquire);
        // The old identity no longer matches its key from here on.
        slot[W_KEY]
            .compare_exchange(old, id.key, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        slot[W_CHECK].store(0, Ordering::Release);
        reset(slot, label, now);
        self.finish(slot, id).then_some(i)
    }

    /// The labels and slots of every claimed slot owned by `uid`, in table
    /// order.
    #[must_use]
    pub fn entries(&self, uid: u32) -> Vec<(String, &'static Words)> {
        let owner = u64::from(uid) + 1;
        (0..self.len())
            .map(|i| self.at(i))
            .filter(|s| {
                s[W_CHECK].load(Ordering::Acquire) != 0
                    && s[W_OWNER].load(Ordering::Acquire) == owner
            })
            .map(|s| (read_label(s), s))
            .collect()
    }
}

/// Whether a slot last used at `used` (s) may be reclaimed at `now_s`.
#[must_use]
pub fn reclaimable(used: u64, now_s: u64) -> bool {
    used.saturating_add(RECLAIM_AFTER_S) <= now_s
}

/// Clears everything of `slot` but its key and check words, writes `label`
/// and the last use `now` (ms).
fn reset(slot: &Words, label: &str, now: u64) {
    for w in &slot[W_LABEL_LEN..] {
        w.store(0, Ordering::Relaxed);
    }
    slot[W_USED].store(now / 1000, Ordering::Relaxed);
    write_label(slot, label);
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

    const T0: u64 = 5_000_000_000;

    fn table(slots: usize) -> Table {
        let words: Vec<AtomicU64> = (0..slots * SLOT_WORDS).map(|_| AtomicU64::new(0)).collect();
        Table::over(Vec::leak(words))
    }

    fn claim(t: &Table, uid: u32, label: &str, now: u64) -> Option<usize> {
        t.claim(&Identity::new(uid, label), label, now)
    }

    fn labels(t: &Table, uid: u32) -> Vec<String> {
        t.entries(uid).into_iter().map(|(l, _)| l).collect()
    }

    #[test]
    fn one_slot_per_uid_and_server_each_uid_lists_its_own() {
        let t = table(8);
        let a = claim(&t, 1000, "127.0.0.1:11211", T0).expect("room");
        let b = claim(&t, 1000, "127.0.0.1:11212", T0).expect("room");
        let c = claim(&t, 33, "127.0.0.1:11211", T0).expect("room");
        assert!(
            a != b && a != c && b != c,
            "the same server under two uids: two slots"
        );
        assert_eq!(claim(&t, 1000, "127.0.0.1:11211", T0), Some(a));
        assert_eq!(t.find(&Identity::new(33, "127.0.0.1:11211")), Some(c));
        assert_eq!(labels(&t, 1000), labels(&t, 1000));
        assert_eq!(labels(&t, 1000).len(), 2);
        assert_eq!(labels(&t, 33), vec!["127.0.0.1:11211".to_owned()]);
        assert!(labels(&t, 65534).is_empty());
    }

    #[test]
    fn find_never_claims() {
        let t = table(4);
        let id = Identity::new(1, "h:1");
        assert_eq!(t.find(&id), None);
        assert!(labels(&t, 1).is_empty());
        let i = t.claim(&id, "h:1", T0).expect("room");
        assert_eq!(t.find(&id), Some(i));
    }

    #[test]
    fn full_table_gives_none_until_a_slot_is_unused_for_the_reclaim_time() {
        let t = table(2);
        let a = claim(&t, 1, "a:1", T0).expect("room");
        let b = claim(&t, 1, "b:1", T0 + 5_000).expect("room");
        t.at(a)[W_COUNTERS].store(7, Ordering::SeqCst);
        assert_eq!(
            claim(&t, 2, "c:1", T0 + 100_000),
            None,
            "no room: the caller keeps own state"
        );
        assert_eq!(
            claim(&t, 1, "a:1", T0 + 100_000),
            Some(a),
            "existing identities still found"
        );
        let just_before = T0 + (RECLAIM_AFTER_S - 1) * 1000;
        assert_eq!(claim(&t, 2, "c:1", just_before), None);
        // 600 s after a's last use: a (the one unused longest) is taken over.
        let c = claim(&t, 2, "c:1", T0 + RECLAIM_AFTER_S * 1000).expect("reclaimed");
        assert_eq!(c, a);
        assert_eq!(t.find(&Identity::new(1, "a:1")), None, "a lost its slot");
        assert_eq!(
            t.at(c)[W_COUNTERS].load(Ordering::SeqCst),
            0,
            "counters start at 0"
        );
        assert_eq!(labels(&t, 2), vec!["c:1".to_owned()]);
        assert_eq!(labels(&t, 1), vec!["b:1".to_owned()]);
        assert_eq!(t.find(&Identity::new(1, "b:1")), Some(b));
        // A use refreshes the last-use word (at most every USED_REFRESH_S).
        touch(t.at(b), T0 + RECLAIM_AFTER_S * 1000);
        assert_eq!(
            claim(&t, 3, "d:1", T0 + (RECLAIM_AFTER_S + 10) * 1000),
            None
        );
    }

    #[test]
    fn reclaim_rule_in_seconds() {
        assert!(!reclaimable(100, 100 + RECLAIM_AFTER_S - 1));
        assert!(reclaimable(100, 100 + RECLAIM_AFTER_S));
        assert!(
            !reclaimable(u64::MAX, 0),
            "a far-future last use is never reclaimable early"
        );
    }

    #[test]
    fn long_labels_are_cut() {
        let long = format!("unix:///{}", "x".repeat(100));
        let t = table(1);
        let s = claim(&t, 0, &long, T0).expect("room");
        assert_eq!(read_label(t.at(s)), long[..64]);
    }

    #[test]
    fn a_claim_cut_short_is_completed_and_a_twin_or_another_uid_passed_over() {
        let t = table(4);
        let id = Identity::new(7, "h:1");
        let start = usize::try_from(id.key % 4).expect("small");
        // A worker died between the two CAS of its claim.
        t.at(start)[W_KEY].store(id.key, Ordering::SeqCst);
        assert_eq!(t.find(&id), Some(start), "completed");
        assert_eq!(t.at(start)[W_CHECK].load(Ordering::SeqCst), id.check);
        // Another identity with the same first hash in the way.
        let t = table(4);
        t.at(start)[W_KEY].store(id.key, Ordering::SeqCst);
        t.at(start)[W_CHECK].store(id.check ^ 1, Ordering::SeqCst);
        let s = t.claim(&id, "h:1", T0).expect("next slot");
        assert_ne!(s, start);
        // Both hashes forged, but the slot is another uid's.
        let t = table(4);
        t.at(start)[W_KEY].store(id.key, Ordering::SeqCst);
        t.at(start)[W_CHECK].store(id.check, Ordering::SeqCst);
        t.at(start)[W_OWNER].store(8 + 1, Ordering::SeqCst);
        assert_eq!(t.find(&id), None);
        assert_ne!(t.claim(&id, "h:1", T0), Some(start));
    }

    #[test]
    fn cells_claim_after_a_round_trip_and_fall_back_when_reclaimed() {
        let t = table(2);
        let c = Cells::within(Some(t), 1000, "s:1");
        assert!(!c.is_shared(), "no slot before a round trip");
        assert!(labels(&t, 1000).is_empty());
        c[W_COUNTERS].fetch_add(3, Ordering::SeqCst);
        c.answered(T0);
        assert!(c.is_shared());
        assert_eq!(
            t.entries(1000)[0].1[W_COUNTERS].load(Ordering::SeqCst),
            3,
            "own counts moved in"
        );
        assert_eq!(c.own[W_COUNTERS].load(Ordering::SeqCst), 0);
        // Another process of the same uid finds it; another uid does not.
        assert!(Cells::within(Some(t), 1000, "s:1").is_shared());
        assert!(!Cells::within(Some(t), 33, "s:1").is_shared());
        // Unused for the reclaim time, taken over by others: own words again.
        let later = T0 + RECLAIM_AFTER_S * 1000;
        let _x = Cells::claimed_within(t, 33, "x:1", later);
        let _y = Cells::claimed_within(t, 33, "y:1", later);
        assert!(!c.is_shared());
        c[W_COUNTERS].fetch_add(1, Ordering::SeqCst);
        assert_eq!(c.own[W_COUNTERS].load(Ordering::SeqCst), 1);
        // A full table: the next claim attempt waits CLAIM_RETRY_MS.
        c.answered(later + 1);
        assert!(!c.is_shared());
        assert_eq!(
            c.next_claim_ms.load(Ordering::SeqCst),
            later + 1 + CLAIM_RETRY_MS
        );
    }

    #[test]
    fn no_table_means_own_words() {
        let c = Cells::within(None, 0, "s:1");
        c.answered(T0);
        assert!(!c.is_shared());
        c[W_COUNTERS].fetch_add(1, Ordering::SeqCst);
        assert_eq!(c.words()[W_COUNTERS].load(Ordering::SeqCst), 1);
    }

    #[test]
    fn monotonic_ms_and_thread_id() {
        let a = now_ms();
        assert!(now_ms() >= a && a > 0);
        assert!(me() > 0 && me() < (1 << 22));
    }
}
