//! A server's failure state: up, failed at an instant, or due for a retry
//! (pecl-memcache's `retry_interval` semantics), kept in a slot of
//! [`crate::shared_state::shared`] so that every worker of a master running as the same
//! user sees it: a server one worker found dead is skipped by all of them
//! until *each one's own* retry interval has passed since the failure, and
//! then exactly one of them probes it (an election by CAS on a "probing
//! until" word), the others still skip it meanwhile.
//!
//! The slot stores *when* the server failed, never how long to skip it:
//! every reader adds its own interval (capped by the one php.ini sets, see
//! [`crate::config`]), so no process can lengthen what another one skips.
//! Times read back are bounded: a failure time later than now (beyond
//! [`CLOCK_SLACK_MS`]) or a probe lease longer than [`MAX_LEASE_MS`] is not
//! believed (the server is due for a retry / the lease is over), and an
//! interval is at most [`MAX_RETRY_MS`].
//!
//! Lock-free and safe if a process dies at any instruction: every
//! transition is a single atomic store or CAS, and a probe is a lease that
//! simply runs out (its length covers one round trip) if its holder dies.
//! Driven by the times passed in (monotonic milliseconds, the same clock in
//! every process: [`crate::shared_state::shared::now_ms`]), so it is tested with a fake
//! clock.

use crate::{
    error::Error,
    shared_state::slot::{HEALTH_WORDS, W_HEALTH, Words},
};
use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic ms of the last recorded failure; 0 = up.
const H_FAILED_AT: usize = 0;
/// The probe lease: `until_ms << 22 | thread id` of the one prober.
const H_PROBE: usize = 1;
/// Errors seen (by every process sharing the slot).
const H_FAILURES: usize = 2;
/// The last error's [`Fault`] code.
const H_LAST_FAULT: usize = 3;

/// Bits of the probe word holding the prober's thread id.
const TID_BITS: u32 = 22;

/// The longest retry interval applied, in ms: 86 400 s, the top of
/// `rsmemcache.retry_interval`'s range.
pub const MAX_RETRY_MS: u64 = 86_400_000;
/// The longest probe lease written or believed, in ms (one hour; a lease
/// is two connect + I/O timeouts and a second, at most about 40 minutes).
pub const MAX_LEASE_MS: u64 = 3_600_000;
/// How far in the future a stored failure time may lie and still be taken
/// as now, in ms: every process reads the same monotonic clock, so only the
/// moments between two processes' reads separate them.
pub const CLOCK_SLACK_MS: u64 = 1_000;

/// What kind of error a server gave, as a fixed code: the last one lives in
/// the health words (shared memory, where a heap string cannot), and each
/// kind has its counter ([`crate::shared_state::stats::ServerCounter::Failed`], whose
/// word is the code). The codes are fixed: 1-6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Connect refused or failed at once.
    Connect = 1,
    /// No connection within the connect timeout.
    ConnectTimeout = 2,
    /// No answer within the I/O timeout.
    Timeout = 3,
    /// Reset, closed or another socket error.
    Io = 4,
    /// A reply we do not understand.
    Protocol = 5,
    /// Any other server fault.
    Other = 6,
}

impl Fault {
    /// The fault of a server error.
    #[must_use]
    pub fn of(e: &Error) -> Self {
        match e {
            Error::Connect { .. } => Self::Connect,
            Error::ConnectTimeout { .. } => Self::ConnectTimeout,
            Error::Timeout { .. } => Self::Timeout,
            Error::Io { .. } => Self::Io,
            Error::Protocol { .. } => Self::Protocol,
            _ => Self::Other,
        }
    }

    fn from_code(c: u64) -> Option<Self> {
        Some(match c {
            1 => Self::Connect,
            2 => Self::ConnectTimeout,
            3 => Self::Timeout,
            4 => Self::Io,
            5 => Self::Protocol,
            6 => Self::Other,
            _ => return None,
        })
    }

    /// Short text: `connect failed`, `connect timed out`, `no answer`,
    /// `I/O error`, `protocol error`, `error`.
    #[must_use]
    pub fn text(self) -> &'static str {
        match self {
            Self::Connect => "connect failed",
            Self::ConnectTimeout => "connect timed out",
            Self::Timeout => "no answer",
            Self::Io => "I/O error",
            Self::Protocol => "protocol error",
            Self::Other => "error",
        }
    }
}

/// What [`Health::state`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Usable (never failed, or answered since).
    Up,
    /// Skipped until this monotonic millisecond.
    Failed(u64),
    /// Failed, and its retry interval has passed: one prober tries it.
    RetryDue,
}

/// Whether a request may use a server now ([`Health::admit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Use it: it is up, or this thread is its prober.
    Use,
    /// Skip it until this monotonic millisecond (failed, or another
    /// process is probing it).
    Skip(u64),
}

/// A view of the health words of one slot.
#[derive(Debug, Clone, Copy)]
pub struct Health<'a> {
    w: &'a [AtomicU64],
}

impl<'a> Health<'a> {
    /// The health part of `slot`.
    #[must_use]
    pub fn of(slot: &'a Words) -> Self {
        Self {
            w: &slot[W_HEALTH..W_HEALTH + HEALTH_WORDS],
        }
    }

    /// The state at `now` (ms) for a reader whose retry interval is
    /// `retry_ms`: failed until the last failure plus that interval (at
    /// most [`MAX_RETRY_MS`]); a failure time in the future (more than
    /// [`CLOCK_SLACK_MS`]) is not believed and makes a retry due.
    #[must_use]
    pub fn state(&self, now: u64, retry_ms: u64) -> State {
        match self.w[H_FAILED_AT].load(Ordering::Acquire) {
            0 => State::Up,
            at => skip_until(at, now, retry_ms).map_or(State::RetryDue, State::Failed),
        }
    }

    /// Whether thread `me`, whose retry interval is `retry_ms`, may use
    /// the server at `now`: yes while up; no while failed; once the retry
    /// is due, yes for exactly one thread of all processes sharing the slot
    /// — the first to take the probe lease (CAS), held for `lease_ms` (at
    /// most [`MAX_LEASE_MS`]) or until its outcome is recorded — and no for
    /// the others until then. Calling it again in the prober's thread keeps
    /// answering yes. A lease ending more than [`MAX_LEASE_MS`] from now is
    /// not believed (taken over).
    #[must_use]
    pub fn admit(&self, now: u64, me: u64, lease_ms: u64, retry_ms: u64) -> Admit {
        match self.state(now, retry_ms) {
            State::Up => Admit::Use,
            State::Failed(t) => Admit::Skip(t),
            State::RetryDue => loop {
                let p = self.w[H_PROBE].load(Ordering::Acquire);
                let (until, who) = (p >> TID_BITS, p & ((1 << TID_BITS) - 1));
                if until > now && until - now <= MAX_LEASE_MS {
                    return if who == me & ((1 << TID_BITS) - 1) {
                        Admit::Use
                    } else {
                        Admit::Skip(until)
                    };
                }
                let lease = lease_ms.clamp(1, MAX_LEASE_MS);
                let mine = ((now + lease) << TID_BITS) | (me & ((1 << TID_BITS) - 1));
                if self.w[H_PROBE]
                    .compare_exchange(p, mine, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Admit::Use;
                }
            },
        }
    }

    /// Records an error at `now` (ms): the failure time (each reader skips
    /// the server for its own interval from then), the probe lease ended.
    pub fn fail(&self, now: u64, fault: Fault) {
        self.w[H_FAILED_AT].store(now.max(1), Ordering::Release);
        self.w[H_PROBE].store(0, Ordering::Release);
        self.w[H_FAILURES].fetch_add(1, Ordering::Relaxed);
        self.w[H_LAST_FAULT].store(fault as u64, Ordering::Relaxed);
    }

    /// Records a successful round trip: up again (no write when it already
    /// was, so the common case dirties no shared cache line).
    pub fn succeed(&self) {
        if self.w[H_FAILED_AT].load(Ordering::Relaxed) != 0 {
            self.w[H_FAILED_AT].store(0, Ordering::Release);
        }
        if self.w[H_PROBE].load(Ordering::Relaxed) != 0 {
            self.w[H_PROBE].store(0, Ordering::Release);
        }
    }

    /// Errors recorded since the slot was made (by all processes sharing it).
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.w[H_FAILURES].load(Ordering::Relaxed)
    }

    /// Adds this view's failure count to `into`'s and zeroes it here (a
    /// process's own state moving into a newly claimed shared slot).
    pub fn move_counts_to(&self, into: &Health<'_>) {
        let n = self.w[H_FAILURES].swap(0, Ordering::Relaxed);
        if n != 0 {
            into.w[H_FAILURES].fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The last error's kind, if any.
    #[must_use]
    pub fn last_fault(&self) -> Option<Fault> {
        Fault::from_code(self.w[H_LAST_FAULT].load(Ordering::Relaxed))
    }
}

/// Until when (monotonic ms) a server that failed at `at` is skipped by a
/// reader at `now` with interval `retry_ms`; `None` when a retry is due.
/// The interval is capped at [`MAX_RETRY_MS`]; a failure time more than
/// [`CLOCK_SLACK_MS`] after `now` is not believed (`None`), a smaller lead
/// is taken as `now`.
#[must_use]
pub fn skip_until(at: u64, now: u64, retry_ms: u64) -> Option<u64> {
    if at > now.saturating_add(CLOCK_SLACK_MS) {
        return None;
    }
    let until = at.min(now).saturating_add(retry_ms.min(MAX_RETRY_MS));
    (until > now).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared_state::slot::new_words;

    const S: u64 = 1000;
    const T0: u64 = 5_000_000;
    /// The retry interval of most tests: 15 s.
    const R: u64 = 15 * S;

    #[test]
    fn health_state_machine_with_a_fake_clock() {
        let slot = new_words();
        let h = Health::of(&slot);
        assert_eq!(h.state(T0, R), State::Up);
        assert_eq!(h.admit(T0, 7, S, R), Admit::Use);
        h.fail(T0, Fault::Connect);
        assert_eq!(h.state(T0, R), State::Failed(T0 + 15 * S));
        assert_eq!(h.admit(T0 + 14 * S, 7, S, R), Admit::Skip(T0 + 15 * S));
        assert_eq!(h.state(T0 + 15 * S, R), State::RetryDue);
        assert_eq!(h.admit(T0 + 15 * S, 7, S, R), Admit::Use, "tried once due");
        // The retry fails: skipped for a new interval from then.
        h.fail(T0 + 16 * S, Fault::Timeout);
        assert!(matches!(h.admit(T0 + 30 * S, 7, S, R), Admit::Skip(_)));
        assert_eq!(h.admit(T0 + 31 * S, 7, S, R), Admit::Use);
        h.succeed();
        assert_eq!(h.state(T0 + 31 * S, R), State::Up);
        assert_eq!((h.failures(), h.last_fault()), (2, Some(Fault::Timeout)));
    }

    #[test]
    fn each_reader_applies_its_own_interval_to_the_failure_time() {
        // One process fails the server while its interval is 86 400 s: the
        // slot holds only when, so a reader with 2 s retries 2 s later.
        let slot = new_words();
        let (long, short) = (Health::of(&slot), Health::of(&slot));
        long.fail(T0, Fault::Timeout);
        assert_eq!(
            long.state(T0 + 2 * S, 86_400 * S),
            State::Failed(T0 + 86_400 * S)
        );
        assert_eq!(short.state(T0 + S, 2 * S), State::Failed(T0 + 2 * S));
        assert_eq!(short.state(T0 + 2 * S, 2 * S), State::RetryDue);
        assert_eq!(short.admit(T0 + 2 * S, 3, S, 2 * S), Admit::Use);
    }

    #[test]
    fn stored_times_are_bounded() {
        // Interval capped at 86 400 s.
        assert_eq!(skip_until(T0, T0, u64::MAX), Some(T0 + MAX_RETRY_MS));
        // A failure time a little ahead (another process read the clock
        // later) counts as now; far ahead it is not believed.
        assert_eq!(skip_until(T0 + 500, T0, R), Some(T0 + R));
        assert_eq!(skip_until(T0 + CLOCK_SLACK_MS + 1, T0, R), None);
        assert_eq!(skip_until(u64::MAX, T0, R), None);
        assert_eq!(skip_until(T0 - R, T0, R), None);
        assert_eq!(skip_until(T0, T0, 0), None, "interval 0: retry at once");
        let slot = new_words();
        let h = Health::of(&slot);
        slot[crate::shared_state::slot::W_HEALTH + H_FAILED_AT].store(u64::MAX, Ordering::SeqCst);
        assert_eq!(h.state(T0, R), State::RetryDue);
        // A probe lease running far into the future is taken over.
        slot[crate::shared_state::slot::W_HEALTH + H_PROBE]
            .store(((T0 + 10 * MAX_LEASE_MS) << TID_BITS) | 9, Ordering::SeqCst);
        assert_eq!(h.admit(T0, 4, u64::MAX, R), Admit::Use);
        // And the lease written is capped too.
        let end = T0 + MAX_LEASE_MS;
        assert_eq!(h.admit(end - 1, 5, u64::MAX, R), Admit::Skip(end));
        assert_eq!(h.admit(end, 5, u64::MAX, R), Admit::Use);
    }

    #[test]
    fn one_prober_per_interval_among_many() {
        let slot = new_words();
        let h = Health::of(&slot);
        h.fail(T0, Fault::Timeout);
        let due = T0 + 15 * S;
        let admitted: Vec<u64> = (1..=16)
            .filter(|&w| h.admit(due, w, 3 * S, R) == Admit::Use)
            .collect();
        assert_eq!(admitted, vec![1], "exactly one of 16 workers probes");
        assert_eq!(
            h.admit(due + 10, 1, 3 * S, R),
            Admit::Use,
            "still the prober"
        );
        assert_eq!(h.admit(due + 10, 2, 3 * S, R), Admit::Skip(due + 3 * S));
        // The probe times out: everyone skips a new interval, then one again.
        h.fail(due + S, Fault::Timeout);
        assert!((1..=16).all(|w| h.admit(due + 2 * S, w, 3 * S, R) != Admit::Use));
        let next = due + 16 * S;
        let admitted: Vec<u64> = (1..=16)
            .rev()
            .filter(|&w| h.admit(next, w, 3 * S, R) == Admit::Use)
            .collect();
        assert_eq!(admitted, vec![16]);
    }

    #[test]
    fn a_prober_that_died_is_replaced_when_its_lease_runs_out() {
        let slot = new_words();
        let h = Health::of(&slot);
        h.fail(T0, Fault::Timeout);
        let due = T0 + 15 * S;
        assert_eq!(h.admit(due, 1, 3 * S, R), Admit::Use);
        // Worker 1 dies mid-probe: nothing is recorded.
        assert!(matches!(
            h.admit(due + 3 * S - 1, 2, 3 * S, R),
            Admit::Skip(_)
        ));
        assert_eq!(h.admit(due + 3 * S, 2, 3 * S, R), Admit::Use);
        assert!(matches!(h.admit(due + 3 * S, 1, 3 * S, R), Admit::Skip(_)));
    }

    #[test]
    fn zero_retry_interval_retries_on_the_next_use() {
        let slot = new_words();
        let h = Health::of(&slot);
        h.fail(T0, Fault::Io);
        assert_eq!(h.admit(T0, 1, S, 0), Admit::Use);
        h.fail(T0, Fault::Io);
        assert_eq!(
            h.admit(T0, 2, S, 0),
            Admit::Use,
            "a failed probe ends the lease"
        );
    }

    #[test]
    fn two_processes_share_one_slot_and_counts_move_in() {
        // Two views of the same words stand for two workers' pools.
        let slot = new_words();
        let (a, b) = (Health::of(&slot), Health::of(&slot));
        a.fail(T0, Fault::Timeout);
        assert_eq!(b.admit(T0 + S, 9, S, R), Admit::Skip(T0 + 15 * S));
        assert_eq!(b.failures(), 1);
        let own = new_words();
        Health::of(&own).fail(T0, Fault::Io);
        Health::of(&own).move_counts_to(&a);
        assert_eq!((a.failures(), Health::of(&own).failures()), (2, 0));
    }
}
