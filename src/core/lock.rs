//! Session locks built from memcached's atomic add: lock key naming, owner
//! tokens, the wait loop with backoff and jitter, and the lock directives'
//! values. Pure; the commands are sent by [`crate::session::handler`].
//!
//! The protocol (one lock per session key, on the session's own server):
//! * acquire: `ms <key>.lock <len> T<lock_expire> ME c` holding a random
//!   128-bit token of this request — stored only if no lock exists; the reply
//!   carries the lock item's CAS id;
//! * release: `md <key>.lock C<cas>` — deletes the lock only if it is still
//!   the item this request created (compare-and-delete), so an expired lock
//!   that another request has since taken is never freed by us;
//! * wait: on contention poll again after a jittered delay that starts at
//!   [`FIRST_POLL`] and doubles up to [`MAX_POLL`], until the wait budget
//!   (`rsmemcache.lock_wait_time`) is spent; the last attempt is made at the
//!   deadline itself.

use std::time::Duration;

pub use crate::core::keys::LOCK_SUFFIX;

/// First poll delay on contention.
pub const FIRST_POLL: Duration = Duration::from_millis(1);

/// Longest poll delay: a waiter notices a released lock within this time
/// (plus one round trip).
pub const MAX_POLL: Duration = Duration::from_millis(5);

/// What happens when the wait budget runs out (`rsmemcache.lock_failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockFailure {
    /// Warning naming the session and the wait; `session_start()` fails.
    Error,
    /// The session is read without the lock; its write is refused with a
    /// warning.
    ReadOnly,
}

/// The lock directives, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LockSettings {
    /// `rsmemcache.locking`.
    pub enabled: bool,
    /// `rsmemcache.lock_wait_time`: wait budget, milliseconds.
    pub wait: Duration,
    /// `rsmemcache.lock_expire`: lock TTL in seconds, never 0.
    pub expire_s: u32,
    /// `rsmemcache.lock_failure`.
    pub failure: LockFailure,
    /// `rsmemcache.lock_wait_log`: a wait longer than this is logged with
    /// the holder's details; zero: never.
    pub wait_log: Duration,
}

/// The lock key for a session key.
#[must_use]
pub fn lock_key(session_key: &[u8]) -> Vec<u8> {
    [session_key, LOCK_SUFFIX].concat()
}

/// Random bytes fetched from the OS at a time for lock tokens (32 tokens):
/// one `getrandom` call per 32 locked requests instead of one per request.
const TOKEN_POOL: usize = 16 * 32;

thread_local! {
    /// Unused OS randomness of this thread, and how much of it is used.
    static RANDOM: std::cell::RefCell<([u8; TOKEN_POOL], usize)> =
        const { std::cell::RefCell::new(([0; TOKEN_POOL], TOKEN_POOL)) };
}

/// A fresh lock token: 32 lowercase hex digits from 16 bytes of OS
/// randomness (`getrandom`, drawn `TOKEN_POOL` bytes at a time per
/// thread), unguessable by other requests. Ownership of a lock is proven by
/// its CAS id; the token is what a lock item holds, so a lock can be told
/// from pecl-memcache's `0` and a lock add that timed out can be recognised.
/// (A process that forks after using sessions shares the unused rest of
/// the pool with its child: harmless, as ownership is by CAS.)
///
/// # Errors
/// When the OS has no randomness to give (practically never).
pub fn new_token() -> Result<[u8; 32], getrandom::Error> {
    let raw: [u8; 16] = RANDOM.with_borrow_mut(|(pool, used)| {
        if *used + 16 > TOKEN_POOL {
            getrandom::fill(pool)?;
            *used = 0;
        }
        let mut raw = [0u8; 16];
        raw.copy_from_slice(&pool[*used..*used + 16]);
        // Never hand the same bytes out twice.
        pool[*used..*used + 16].fill(0);
        *used += 16;
        Ok::<_, getrandom::Error>(raw)
    })?;
    let mut out = [0u8; 32];
    crate::hex::encode_into(&raw, &mut out);
    Ok(out)
}

/// Jittered exponential backoff: delays drawn from `[d/2, d]` where `d`
/// starts at [`FIRST_POLL`] and doubles up to [`MAX_POLL`]. The jitter keeps
/// waiters of one session from polling in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    current: Duration,
    rng: u64,
}

impl Backoff {
    /// A backoff whose jitter is seeded by `seed` (any value; 0 is fine).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            current: FIRST_POLL,
            rng: seed | 1,
        }
    }

    /// The next delay.
    pub fn next_delay(&mut self) -> Duration {
        // xorshift64: cheap, good enough for jitter.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let d = self.current;
        let half = d / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
        let delay = half + Duration::from_nanos(self.rng % nanos);
        self.current = (d * 2).min(MAX_POLL);
        delay
    }
}

/// Time as the wait loop sees it; real time in production, a fake clock in
/// tests.
pub trait Clock {
    /// Time elapsed since the wait began.
    fn elapsed(&self) -> Duration;
    /// Sleeps for `d`.
    fn sleep(&mut self, d: Duration);
}

/// The real clock.
#[derive(Debug)]
pub struct RealClock(std::time::Instant);

impl RealClock {
    /// Starts measuring now.
    #[must_use]
    pub fn start() -> Self {
        Self(std::time::Instant::now())
    }
}

impl Clock for RealClock {
    fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Outcome of [`wait_for`].
#[derive(Debug, PartialEq, Eq)]
pub enum Waited<T> {
    /// `attempt` succeeded.
    Acquired(T),
    /// The budget ran out after this long.
    GaveUp(Duration),
}

/// Calls `attempt` until it returns `Some`, sleeping per `backoff` between
/// calls, for at most `budget`. The final attempt happens at the deadline,
/// so a lock released just before it is still taken. Errors from `attempt`
/// end the wait at once.
///
/// # Errors
/// The first error `attempt` returns.
pub fn wait_for<T, E>(
    budget: Duration,
    backoff: &mut Backoff,
    clock: &mut impl Clock,
    mut attempt: impl FnMut() -> Result<Option<T>, E>,
) -> Result<Waited<T>, E> {
    loop {
        if let Some(v) = attempt()? {
            return Ok(Waited::Acquired(v));
        }
        let elapsed = clock.elapsed();
        if elapsed >= budget {
            return Ok(Waited::GaveUp(elapsed));
        }
        clock.sleep(backoff.next_delay().min(budget - elapsed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeClock {
        now: Duration,
        sleeps: Vec<Duration>,
    }

    impl Clock for FakeClock {
        fn elapsed(&self) -> Duration {
            self.now
        }
        fn sleep(&mut self, d: Duration) {
            self.sleeps.push(d);
            self.now += d;
        }
    }

    #[test]
    fn tokens_are_hex_and_distinct() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.iter().all(u8::is_ascii_hexdigit));
    }

    #[test]
    fn lock_key_appends_suffix() {
        assert_eq!(lock_key(b"p.abc"), b"p.abc.lock");
    }

    #[test]
    fn backoff_grows_then_stays_capped_with_jitter() {
        let mut b = Backoff::new(42);
        let delays: Vec<Duration> = (0..50).map(|_| b.next_delay()).collect();
        assert!(delays[0] <= FIRST_POLL && delays[0] >= FIRST_POLL / 2);
        assert!(delays.iter().all(|d| *d <= MAX_POLL), "{delays:?}");
        assert!(delays[10..].iter().all(|d| *d >= MAX_POLL / 2));
        let distinct: std::collections::HashSet<_> = delays[10..].iter().collect();
        assert!(distinct.len() > 20, "jitter varies the delays");
    }

    #[test]
    fn gives_up_at_the_budget_after_a_final_attempt() {
        let mut clock = FakeClock {
            now: Duration::ZERO,
            sleeps: vec![],
        };
        let mut attempts = 0;
        let budget = Duration::from_millis(100);
        let r: Result<Waited<()>, ()> = wait_for(budget, &mut Backoff::new(7), &mut clock, || {
            attempts += 1;
            Ok(None)
        });
        assert_eq!(r, Ok(Waited::GaveUp(budget)));
        assert_eq!(clock.now, budget, "never sleeps past the budget");
        assert!(clock.sleeps.iter().all(|d| *d <= MAX_POLL));
        // ≈ budget / mean delay (3.75 ms) polls, and one at the deadline.
        assert!((20..=110).contains(&attempts), "{attempts}");
    }

    /// A clock whose time the attempt closure can read too.
    struct SharedClock(std::rc::Rc<std::cell::Cell<Duration>>);

    impl Clock for SharedClock {
        fn elapsed(&self) -> Duration {
            self.0.get()
        }
        fn sleep(&mut self, d: Duration) {
            self.0.set(self.0.get() + d);
        }
    }

    #[test]
    fn takes_the_lock_within_one_poll_of_its_release() {
        for (seed, released_ms) in [(1u64, 0u64), (2, 3), (3, 37), (4, 1234), (5, 29_999)] {
            let now = std::rc::Rc::new(std::cell::Cell::new(Duration::ZERO));
            let mut clock = SharedClock(now.clone());
            let released = Duration::from_millis(released_ms);
            let r: Result<Waited<Duration>, ()> = wait_for(
                Duration::from_secs(30),
                &mut Backoff::new(seed),
                &mut clock,
                || Ok((now.get() >= released).then(|| now.get())),
            );
            let Ok(Waited::Acquired(at)) = r else {
                panic!("not acquired: {r:?}")
            };
            assert!(
                at - released <= MAX_POLL,
                "released {released:?}, taken {at:?}"
            );
        }
    }

    #[test]
    fn zero_budget_tries_once_and_errors_stop_the_wait() {
        let mut clock = FakeClock {
            now: Duration::ZERO,
            sleeps: vec![],
        };
        let mut n = 0;
        let r: Result<Waited<()>, ()> =
            wait_for(Duration::ZERO, &mut Backoff::new(1), &mut clock, || {
                n += 1;
                Ok(None)
            });
        assert_eq!((r, n), (Ok(Waited::GaveUp(Duration::ZERO)), 1));
        let r: Result<Waited<()>, &str> = wait_for(
            Duration::from_secs(1),
            &mut Backoff::new(1),
            &mut clock,
            || Err("down"),
        );
        assert_eq!(r, Err("down"));
    }
}
