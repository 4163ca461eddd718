//! The PHP module entry (`get_module`, made by `#[php_module]`), MINIT and
//! MSHUTDOWN, and the userland functions' bindings. Kept apart because the
//! macro expansion has undocumented items and engine calls of its own.

#![allow(missing_docs)]

use super::{engine::warning, functions, info, ini, session_module, sys};
use ext_php_rs::prelude::*;

/// MINIT: maps the table shared by the workers this process will fork
/// ([`crate::shared_state::shared::init`]; without it state stays per process), registers
/// the ini table and the `rsmemcache` save handler. Returns 0 (SUCCESS) or
/// -1 (FAILURE, with a warning) for the engine.
fn startup(_ty: i32, module_number: i32) -> i32 {
    crate::shared_state::shared::init();
    ext_php_rs::zend::IniEntryDef::register(ini::INI_ENTRIES.as_slice(), module_number);
    if session_module::register() {
        0
    } else {
        warning("cannot register the save handler: PHP's table of session modules is full");
        -1
    }
}

/// MSHUTDOWN: stops the late-reply watcher ([`crate::net::late`]) and
/// unregisters the ini table. Returns 0 (SUCCESS).
extern "C" fn shutdown(_ty: i32, module_number: i32) -> i32 {
    crate::net::late::shutdown();
    // SAFETY: unregisters only the entries registered under our module number.
    unsafe { sys::zend_unregister_ini_entries(module_number) };
    0
}

/// The servers of the current session pool with their state (see
/// `stubs/rsmemcache.php`).
#[php_function]
pub fn rsmemcache_servers(save_path: Option<String>) -> ext_php_rs::types::Zval {
    functions::servers(save_path)
}

/// Where a session lives (see `stubs/rsmemcache.php`).
#[php_function]
pub fn rsmemcache_locate(id: String, save_path: Option<String>) -> ext_php_rs::types::Zval {
    functions::locate(&id, save_path)
}

/// Counters since the master started (see `stubs/rsmemcache.php`).
#[php_function]
pub fn rsmemcache_stats(format: Option<String>) -> ext_php_rs::types::Zval {
    functions::stats(format)
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
        .info_function(info::module_info)
}
