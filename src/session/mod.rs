//! The session save handler, built sans-I/O: [`plan`] turns a session
//! operation into per-server pipelines, [`settle`] reads what the replies
//! mean, the driver ([`handler`], [`read`], [`mod@write`]) runs them over a
//! [`transport::Transport`] and sleeps for lock waits. PHP reaches it
//! through the `ps_module` in [`crate::php::session_module`].

mod durable;
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
