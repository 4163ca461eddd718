//! rsmemcache: a native PHP session save handler (`session.save_handler =
//! rsmemcache`) that keeps sessions in a pool of memcached servers.
//!
//! This file only lists the modules. Everything that touches the engine —
//! declarations, the `ps_module`, ini registration, MINIT/MSHUTDOWN, MINFO,
//! the userland functions and the module entry — is fenced into [`php`];
//! the shared memory mapping into [`shm`]: the only modules allowed
//! `unsafe`. Every other module is PHP-free and unit-tested with
//! `cargo test`.

pub mod auth;
pub mod config;
pub mod connection;
pub mod crypt;
pub mod durable;
pub mod error;
pub mod hash;
pub mod health;
pub mod hex;
pub mod keys;
pub mod late;
pub mod lock;
#[allow(unsafe_code)]
pub mod php;
pub mod pool;
pub mod protocol;
pub mod registry;
pub mod replica;
pub mod save_path;
pub mod secret_file;
pub mod session;
pub mod shared;
pub mod shm;
pub mod stats;
pub mod tls;
pub mod tomb;
