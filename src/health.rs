//! A server's failure state as one process sees it: up, failed until an
//! instant, or due for a retry (pecl-memcache's `retry_interval`
//! semantics). Pure: driven by the instants passed in, so it is tested with
//! a fake clock. [`crate::pool::Server`] keeps one per server.

use std::time::{Duration, Instant};

/// A server's failure state machine, driven by the instants passed in (so
/// it is tested with a fake clock): *up* → (error) → *failed until t* →
/// (t passed) → *retry due*: the next request tries it; success makes it
/// *up*, another error *failed* for a new interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    failed_until: Option<Instant>,
    /// Errors seen since the process started.
    pub failures: u64,
    /// The last error's text.
    pub last_error: Option<String>,
}

/// What [`Health::state`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Usable (never failed, or answered since).
    Up,
    /// Skipped until this instant.
    Failed(Instant),
    /// Failed, and its retry interval has passed: the next use tries it.
    RetryDue,
}

impl Health {
    /// The state at `now`.
    #[must_use]
    pub fn state(&self, now: Instant) -> State {
        match self.failed_until {
            None => State::Up,
            Some(t) if t > now => State::Failed(t),
            Some(_) => State::RetryDue,
        }
    }

    /// Whether a request at `now` may use the server.
    #[must_use]
    pub fn usable(&self, now: Instant) -> bool {
        !matches!(self.state(now), State::Failed(_))
    }

    /// Records an error at `now`: skipped for `retry` from now (a zero
    /// interval means "retry on the next use").
    pub fn fail(&mut self, now: Instant, retry: Duration, error: String) {
        self.failed_until = Some(now + retry);
        self.failures += 1;
        self.last_error = Some(error);
    }

    /// Records a successful round trip.
    pub fn succeed(&mut self) {
        self.failed_until = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn health_state_machine_with_a_fake_clock() {
        let t0 = Instant::now();
        let mut h = Health::default();
        assert_eq!(h.state(t0), State::Up);
        h.fail(t0, 15 * S, "refused".into());
        assert_eq!(h.state(t0), State::Failed(t0 + 15 * S));
        assert!(!h.usable(t0 + 14 * S), "skipped for the whole interval");
        assert_eq!(h.state(t0 + 15 * S), State::RetryDue);
        assert!(h.usable(t0 + 15 * S), "tried again once it has passed");
        // The retry fails: skipped for a new interval from then.
        h.fail(t0 + 16 * S, 15 * S, "refused".into());
        assert!(!h.usable(t0 + 30 * S));
        assert!(h.usable(t0 + 31 * S));
        // The retry succeeds: up.
        h.succeed();
        assert_eq!(h.state(t0 + 31 * S), State::Up);
        assert_eq!((h.failures, h.last_error.as_deref()), (2, Some("refused")));
    }

    #[test]
    fn zero_retry_interval_retries_on_the_next_use() {
        let t0 = Instant::now();
        let mut h = Health::default();
        h.fail(t0, Duration::ZERO, "x".into());
        assert!(h.usable(t0));
    }
}
