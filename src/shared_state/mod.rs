//! State shared by the workers of one master: the anonymous mapping,
//! the table of slots keyed by uid and server, each server's health and the
//! counters.

pub mod health;
pub mod shared;
pub mod shm;
pub mod slot;
pub mod stats;
