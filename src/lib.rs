//! rsmemcache: a native PHP session save handler (`session.save_handler =
//! rsmemcache`) that keeps sessions in a pool of memcached servers.
//!
//! This file only lists the modules. Everything that touches the engine —
//! declarations, the `ps_module`, ini registration, MINIT/MSHUTDOWN, MINFO,
//! the userland functions and the module entry — is fenced into [`php`];
//! the shared memory mapping into [`shared_state::shm`]: the only modules allowed
//! `unsafe`. Every other module is PHP-free and unit-tested with
//! `cargo test`.

pub mod config;
pub mod core;
pub mod durable;
pub mod error;
pub mod hex;
pub mod net;
#[allow(unsafe_code)]
pub mod php;
pub mod secrets;
pub mod session;
pub mod shared_state;
