//! The readiness loop: drives the pipelines of several connections at once
//! with `poll(2)`, each against its own deadline, retrying on `EINTR`.

use super::Connection;
use crate::error::Result;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use std::{io, os::fd::AsFd, time::Instant};

/// Drives the started pipelines of `conns` to completion together: writes
/// what each socket takes, reads what arrives, and waits on all of them at
/// once for readiness (`poll(2)`), until every connection has all its
/// replies, failed, or passed its own deadline. Returns one result per
/// connection; its replies are then in [`Connection::take_replies`].
///
/// A handled signal (`EINTR`) only restarts the wait. After a deadline a
/// last non-blocking read still takes a reply that already arrived.
pub fn drive(conns: &mut [&mut Connection]) -> Vec<Result<()>> {
    let mut out: Vec<Option<Result<()>>> = conns.iter().map(|_| None).collect();
    // Fast path: write every pipeline now.
    for (c, slot) in conns.iter_mut().zip(out.iter_mut()) {
        if let Err(e) = c.write_some() {
            *slot = Some(Err(e));
        } else if c.is_done() {
            *slot = Some(Ok(()));
        }
    }
    loop {
        let active: Vec<usize> = (0..conns.len()).filter(|&i| out[i].is_none()).collect();
        if active.is_empty() {
            break;
        }
        let ready = match wait(conns, &active) {
            Ok(ready) => ready,
            // EINTR: a handled signal; wait again for what is left.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                for &i in &active {
                    let err = io::Error::new(e.kind(), e.to_string());
                    out[i] = Some(Err(conns[i].io_error(err)));
                }
                break;
            }
        };
        let now = Instant::now();
        for (&i, revents) in active.iter().zip(ready) {
            out[i] = step(conns[i], !revents.is_empty(), now);
        }
    }
    out.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
}

/// Waits (`poll(2)`) until one of the `active` connections is ready for
/// what it wants next (write or read) or the earliest of their deadlines
/// passes; the readiness of each, in `active` order.
///
/// # Errors
/// `poll`'s error (`Interrupted` for `EINTR`).
fn wait(conns: &[&mut Connection], active: &[usize]) -> io::Result<Vec<PollFlags>> {
    let now = Instant::now();
    let next_deadline = active
        .iter()
        .map(|&i| conns[i].deadline)
        .min()
        .unwrap_or(now);
    let left = next_deadline.saturating_duration_since(now);
    let mut fds: Vec<PollFd<'_>> = active
        .iter()
        .map(|&i| {
            let c = &conns[i];
            let flags = if c.wants_write() {
                PollFlags::OUT
            } else {
                PollFlags::IN
            };
            PollFd::from_borrowed_fd(c.socket.as_fd(), flags)
        })
        .collect();
    let ts = Timespec {
        tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(left.subsec_nanos()),
    };
    poll(&mut fds, Some(&ts)).map_err(io::Error::from)?;
    Ok(fds.iter().map(PollFd::revents).collect())
}

/// One connection after a wait: a write or read step when it was `ready`,
/// then its outcome if it has one — done, failed, or past its deadline
/// (after a last non-blocking read); `None` while it goes on.
fn step(c: &mut Connection, ready: bool, now: Instant) -> Option<Result<()>> {
    if ready {
        let step = if c.wants_write() {
            c.write_some()
        } else {
            c.read_some()
        };
        if let Err(e) = step {
            return Some(Err(e));
        }
        if c.is_done() {
            return Some(Ok(()));
        }
    }
    if now < c.deadline {
        return None;
    }
    // A last look at what may have arrived meanwhile.
    let last = if c.wants_write() {
        Ok(())
    } else {
        c.read_some()
    };
    Some(match last {
        Err(e) => Err(e),
        Ok(()) if c.is_done() => Ok(()),
        Ok(()) => Err(c.timeout()),
    })
}
