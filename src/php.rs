#![allow(unsafe_code)]

//! Small safe wrappers over engine calls: reading an ini value, raising a
//! warning. Each wraps one FFI call behind a `// SAFETY:` argument.

use crate::ffi;
use ext_php_rs::{error::php_error, flags::ErrorType};
use std::ffi::CStr;

/// Raises `E_WARNING` with `rsmemcache: ` prepended to `message`.
pub fn warning(message: &str) {
    php_error(&ErrorType::Warning, &format!("rsmemcache: {message}"));
}

/// The current value of ini directive `name` — all of its bytes, an
/// embedded NUL included, so validation sees what was set — or `None` if it
/// is not registered.
#[must_use]
pub fn ini_string(name: &CStr) -> Option<String> {
    let mut key = ext_php_rs::types::ZendStr::new(name.to_bytes(), false);
    // SAFETY: `key` is a valid zend_string for the call (the engine only
    // reads it to look the entry up). The engine returns NULL or the
    // directive's current value, valid for this request; it is copied before
    // returning, and `key` is freed when dropped.
    unsafe {
        let p = ffi::zend_ini_get_value(&raw mut *key);
        let value = p.cast::<ext_php_rs::types::ZendStr>().as_ref()?;
        Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
    }
}

/// MINIT work: registers the ini table and the `rsmemcache` save handler.
/// Returns 0 (SUCCESS) or -1 (FAILURE, with a warning) for the engine.
#[must_use]
pub fn module_startup(module_number: i32) -> i32 {
    ext_php_rs::zend::IniEntryDef::register(crate::config::INI_ENTRIES.as_slice(), module_number);
    if crate::session::ffi::register() {
        0
    } else {
        warning("cannot register the save handler: PHP's table of session modules is full");
        -1
    }
}

/// MSHUTDOWN work: unregisters the ini table.
pub fn module_shutdown(module_number: i32) {
    // SAFETY: unregisters only the entries registered under our module number.
    unsafe { ffi::zend_unregister_ini_entries(module_number) };
}

/// MINFO: the table `php --ri rsmemcache` and phpinfo() show: version,
/// protocol, the servers of this process's pools, then every directive.
///
/// # Safety
/// `module` is the engine's pointer to our module entry.
pub unsafe extern "C" fn module_info(module: *mut ext_php_rs::zend::ModuleEntry) {
    // A panic must not unwind into the engine; the table is simply cut short.
    let _ = std::panic::catch_unwind(info_table);
    // SAFETY: the engine passed our module entry; display_ini_entries only reads it.
    unsafe { ffi::display_ini_entries(module) };
}

/// The rows of the MINFO table (a server whose label held a NUL byte would
/// panic in `info_table_row!`; save_path parsing never yields one).
fn info_table() {
    let version = env!("CARGO_PKG_VERSION");
    let servers: Vec<(String, String)> = crate::pool::all()
        .iter()
        .flat_map(|p| {
            p.servers()
                .iter()
                .map(|s| {
                    let state = match s.failed_until() {
                        Some(t) => format!(
                            "failed, retry in {} ms",
                            t.saturating_duration_since(std::time::Instant::now())
                                .as_millis()
                        ),
                        None => "up".to_owned(),
                    };
                    (s.label().to_owned(), state)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    ext_php_rs::info_table_start!();
    ext_php_rs::info_table_row!("rsmemcache support", "enabled");
    ext_php_rs::info_table_row!("version", version);
    ext_php_rs::info_table_row!("save handler", "rsmemcache");
    ext_php_rs::info_table_row!("protocol", "memcached meta commands (mg, ms, md, mn)");
    for (label, state) in &servers {
        ext_php_rs::info_table_row!(format!("server {label}"), state.as_str());
    }
    ext_php_rs::info_table_end!();
}
