//! rsmemcache: a native PHP session save handler (`session.save_handler =
//! rsmemcache`) that keeps sessions in a pool of memcached servers.
//!
//! This file only wires the modules together and declares the PHP module.
//! PHP-free modules (unit-tested with `cargo test`): [`auth`], [`save_path`], [`keys`],
//! [`hash`], [`health`], [`lock`], [`protocol`], [`connection`], [`pool`], [`registry`], [`error`], [`config`],
//! [`session::handler`], [`shared`]. Code touching the engine is fenced into
//! [`ffi`], [`php`] and [`session::ffi`]; the shared memory mapping into
//! [`shm`]: the only modules allowed `unsafe`.

pub mod auth;
pub mod config;
pub mod connection;
pub mod crypt;
pub mod durable;
pub mod error;
#[allow(unsafe_code)]
pub mod ffi;
pub mod hash;
pub mod health;
pub mod hex;
pub mod keys;
pub mod late;
pub mod lock;
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

/// The PHP module entry (in its own module because the `#[php_module]`
/// expansion has undocumented items and engine calls of its own).
#[allow(missing_docs, unsafe_code)]
mod entry {
    use crate::php;
    use ext_php_rs::prelude::*;

    fn startup(_ty: i32, module_number: i32) -> i32 {
        php::module_startup(module_number)
    }

    extern "C" fn shutdown(_ty: i32, module_number: i32) -> i32 {
        php::module_shutdown(module_number);
        0
    }

    /// The servers of the current session pool with their state (see
    /// `stubs/rsmemcache.php`).
    #[php_function]
    pub fn rsmemcache_servers(save_path: Option<String>) -> ext_php_rs::types::Zval {
        php::servers(save_path)
    }

    /// Where a session lives (see `stubs/rsmemcache.php`).
    #[php_function]
    pub fn rsmemcache_locate(id: String, save_path: Option<String>) -> ext_php_rs::types::Zval {
        php::locate(&id, save_path)
    }

    /// Counters since the master started (see `stubs/rsmemcache.php`).
    #[php_function]
    pub fn rsmemcache_stats(format: Option<String>) -> ext_php_rs::types::Zval {
        php::stats(format)
    }

    /// Startup registers the ini directives and the `rsmemcache` save handler.
    #[php_module]
    #[php(startup = "startup")]
    pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
        module
            .function(wrap_function!(rsmemcache_servers))
            .function(wrap_function!(rsmemcache_locate))
            .function(wrap_function!(rsmemcache_stats))
            .shutdown_function(shutdown)
            .info_function(php::module_info)
    }
}
