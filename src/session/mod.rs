//! The session save handler, built sans-I/O: [`plan`] turns a session
//! operation into per-server pipelines, [`settle`] reads what the replies
//! mean, the driver ([`handler`], [`read`], [`write`]) runs them over a
//! [`transport::Transport`] and sleeps for lock waits, and [`ffi`] is the
//! `ps_module` PHP calls.

mod durable;
pub mod ffi;
pub mod handler;
mod lock_copy;
mod lock_try;
pub mod plan;
pub mod read;
mod repair;
mod resize;
pub mod settle;
pub mod transport;
pub mod write;

#[cfg(test)]
mod scripted;
#[cfg(test)]
mod tests;
