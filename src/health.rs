//! A server's failure state: up, failed until an instant, or due for a
//! retry (pecl-memcache's `retry_interval` semantics), kept in a slot of
//! [`crate::shared`] so that every worker of a master sees it: a server one
//! worker found dead is skipped by all of them until its retry interval has
//! passed, and then exactly one of them probes it (an election by CAS on a
//! "probing until" word), the others still skip it meanwhile.
//!
//! Lock-free and safe if a process dies at any instruction: every
//! transition is a single atomic store or CAS, and a probe is a lease that
//! simply runs out (its length covers one round trip) if its holder dies.
//! Driven by the times passed in (monotonic milliseconds, the same clock in
//! every process: [`crate::shared::now_ms`]), so it is tested with a fake
//! clock.

use crate::{
    error::Error,
    shared::{HEALTH_WORDS, W_HEALTH, Words},
};
use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic ms until which the server is skipped; 0 = up.
const H_FAILED_UNTIL: usize = 0;
/// The probe lease: `until_ms << 22 | thread id` of the one prober.
const H_PROBE: usize = 1;
/// Errors seen (by every process sharing the slot).
const H_FAILURES: usize = 2;
/// The last error's [`Fault`] code.
const H_LAST_FAULT: usize = 3;

/// Bits of the probe word holding the prober's thread id.
const TID_BITS: u32 = 22;

/// What kind of error a server gave last, as a fixed code (it lives in
/// shared memory, where a heap string cannot).
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

    /// The error counter of this fault ([`crate::stats`]).
    #[must_use]
    pub fn counter(self) -> crate::stats::ServerCounter {
        use crate::stats::ServerCounter as C;
        match self {
            Self::Connect => C::Connect,
            Self::ConnectTimeout => C::ConnectTimeout,
            Self::Timeout => C::Timeout,
            Self::Io => C::Io,
            Self::Protocol => C::Protocol,
            Self::Other => C::ServerError,
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

    /// The state at `now` (ms).
    #[must_use]
    pub fn state(&self, now: u64) -> State {
        match self.w[H_FAILED_UNTIL].load(Ordering::Acquire) {
            0 => State::Up,
            t if t > now => State::Failed(t),
            _ => State::RetryDue,
        }
    }

    /// Whether thread `me` may use the server at `now`: yes while up; no
    /// while failed; once the retry is due, yes for exactly one thread of
    /// all processes sharing the slot — the first to take the probe lease
    /// (CAS), held for `lease_ms` or until its outcome is recorded — and no
    /// for the others until then. Calling it again in the prober's thread
    /// keeps answering yes.
    #[must_use]
    pub fn admit(&self, now: u64, me: u64, lease_ms: u64) -> Admit {
        match self.state(now) {
            State::Up => Admit::Use,
            State::Failed(t) => Admit::Skip(t),
            State::RetryDue => loop {
                let p = self.w[H_PROBE].load(Ordering::Acquire);
                let (until, who) = (p >> TID_BITS, p & ((1 << TID_BITS) - 1));
                if until > now {
                    return if who == me & ((1 << TID_BITS) - 1) {
                        Admit::Use
                    } else {
                        Admit::Skip(until)
                    };
                }
                let mine = ((now + lease_ms.max(1)) << TID_BITS) | (me & ((1 << TID_BITS) - 1));
                if self.w[H_PROBE]
                    .compare_exchange(p, mine, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Admit::Use;
                }
            },
        }
    }

    /// Records an error at `now` (ms): skipped for `retry_ms` from now (0:
    /// a retry is due at once), the probe lease ended.
    pub fn fail(&self, now: u64, retry_ms: u64, fault: Fault) {
        self.w[H_FAILED_UNTIL].store((now + retry_ms).max(1), Ordering::Release);
        self.w[H_PROBE].store(0, Ordering::Release);
        self.w[H_FAILURES].fetch_add(1, Ordering::Relaxed);
        self.w[H_LAST_FAULT].store(fault as u64, Ordering::Relaxed);
    }

    /// Records a successful round trip: up again (no write when it already
    /// was, so the common case dirties no shared cache line).
    pub fn succeed(&self) {
        if self.w[H_FAILED_UNTIL].load(Ordering::Relaxed) != 0 {
            self.w[H_FAILED_UNTIL].store(0, Ordering::Release);
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

    /// The last error's kind, if any.
    #[must_use]
    pub fn last_fault(&self) -> Option<Fault> {
        Fault::from_code(self.w[H_LAST_FAULT].load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::new_words;

    const S: u64 = 1000;
    const T0: u64 = 5_000_000;

    #[test]
    fn health_state_machine_with_a_fake_clock() {
        let slot = new_words();
        let h = Health::of(&slot);
        assert_eq!(h.state(T0), State::Up);
        assert_eq!(h.admit(T0, 7, S), Admit::Use);
        h.fail(T0, 15 * S, Fault::Connect);
        assert_eq!(h.state(T0), State::Failed(T0 + 15 * S));
        assert_eq!(h.admit(T0 + 14 * S, 7, S), Admit::Skip(T0 + 15 * S));
        assert_eq!(h.state(T0 + 15 * S), State::RetryDue);
        assert_eq!(h.admit(T0 + 15 * S, 7, S), Admit::Use, "tried once due");
        // The retry fails: skipped for a new interval from then.
        h.fail(T0 + 16 * S, 15 * S, Fault::Timeout);
        assert!(matches!(h.admit(T0 + 30 * S, 7, S), Admit::Skip(_)));
        assert_eq!(h.admit(T0 + 31 * S, 7, S), Admit::Use);
        h.succeed();
        assert_eq!(h.state(T0 + 31 * S), State::Up);
        assert_eq!((h.failures(), h.last_fault()), (2, Some(Fault::Timeout)));
    }

    #[test]
    fn one_prober_per_interval_among_many() {
        let slot = new_words();
        let h = Health::of(&slot);
        h.fail(T0, 15 * S, Fault::Timeout);
        let due = T0 + 15 * S;
        let admitted: Vec<u64> = (1..=16)
            .filter(|&w| h.admit(due, w, 3 * S) == Admit::Use)
            .collect();
        assert_eq!(admitted, vec![1], "exactly one of 16 workers probes");
        assert_eq!(h.admit(due + 10, 1, 3 * S), Admit::Use, "still the prober");
        assert_eq!(h.admit(due + 10, 2, 3 * S), Admit::Skip(due + 3 * S));
        // The probe times out: everyone skips a new interval, then one again.
        h.fail(due + S, 15 * S, Fault::Timeout);
        assert!((1..=16).all(|w| h.admit(due + 2 * S, w, 3 * S) != Admit::Use));
        let next = due + 16 * S;
        let admitted: Vec<u64> = (1..=16)
            .rev()
            .filter(|&w| h.admit(next, w, 3 * S) == Admit::Use)
            .collect();
        assert_eq!(admitted, vec![16]);
    }

    #[test]
    fn a_prober_that_died_is_replaced_when_its_lease_runs_out() {
        let slot = new_words();
        let h = Health::of(&slot);
        h.fail(T0, 15 * S, Fault::Timeout);
        let due = T0 + 15 * S;
        assert_eq!(h.admit(due, 1, 3 * S), Admit::Use);
        // Worker 1 dies mid-probe: nothing is recorded.
        assert!(matches!(h.admit(due + 3 * S - 1, 2, 3 * S), Admit::Skip(_)));
        assert_eq!(h.admit(due + 3 * S, 2, 3 * S), Admit::Use);
        assert!(matches!(h.admit(due + 3 * S, 1, 3 * S), Admit::Skip(_)));
    }

    #[test]
    fn zero_retry_interval_retries_on_the_next_use() {
        let slot = new_words();
        let h = Health::of(&slot);
        h.fail(T0, 0, Fault::Io);
        assert_eq!(h.admit(T0, 1, S), Admit::Use);
        h.fail(T0, 0, Fault::Io);
        assert_eq!(
            h.admit(T0, 2, S),
            Admit::Use,
            "a failed probe ends the lease"
        );
    }

    #[test]
    fn two_processes_share_one_slot() {
        // Two views of the same words stand for two workers' pools.
        let slot = new_words();
        let (a, b) = (Health::of(&slot), Health::of(&slot));
        a.fail(T0, 15 * S, Fault::Timeout);
        assert_eq!(b.admit(T0 + S, 9, S), Admit::Skip(T0 + 15 * S));
        assert_eq!(b.failures(), 1);
    }
}
