//! Raw declarations of the PHP engine symbols ext-php-rs does not bind: the
//! session module API (`ext/session/php_session.h`) and a few `zend_ini.h`
//! functions. Declarations only, no logic; the safe wrappers are in
//! [`crate::php`] and [`crate::session::ffi`].
//!
//! The symbols are exported by the php binary and resolved at `dlopen`.

use ext_php_rs::ffi::{zend_module_entry, zend_string};
use std::ffi::{c_int, c_void};

/// Bindings bindgen generated from the installed `php_session.h` (see
/// `build.rs`); used only for the layout and signature checks in
/// `session::ffi`.
#[allow(
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    dead_code,
    missing_docs,
    clippy::all
)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/php_session.rs"));
}

unsafe extern "C" {
    /// `PHPAPI zend_result php_session_register_module(const ps_module *);`
    /// Returns 0 on success, -1 when PHP's module table (10 slots) is full.
    pub fn php_session_register_module(module: *const crate::session::ffi::PsModule) -> c_int;

    /// `PHPAPI zend_string *php_session_create_id(void **mod_data);`
    /// PHP's own random session id, honouring `session.sid_length` and
    /// `session.sid_bits_per_character`. Returns NULL on failure.
    pub fn php_session_create_id(mod_data: *mut *mut c_void) -> *mut zend_string;

    /// `ZEND_API zend_string *zend_ini_get_value(zend_string *name);`
    /// The directive's current value (NULL if unknown), owned by the engine.
    pub fn zend_ini_get_value(name: *mut zend_string) -> *mut zend_string;

    /// `ZEND_API void display_ini_entries(zend_module_entry *module);`
    pub fn display_ini_entries(module: *mut zend_module_entry);

    /// `PHPAPI ZEND_COLD void php_log_err_with_severity(const char *msg, int
    /// syslog_type_int);` Writes one line to PHP's error log (`error_log`,
    /// the SAPI's log, or stderr), never into the page.
    pub fn php_log_err_with_severity(message: *const std::ffi::c_char, syslog_type: c_int);

    /// `ZEND_API void zend_unregister_ini_entries(int module_number);`
    pub fn zend_unregister_ini_entries(module_number: c_int);
}
