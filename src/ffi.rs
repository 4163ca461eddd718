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

    /// `ZEND_API char *zend_ini_string_ex(const char *name, size_t
    /// name_length, int orig, bool *exists);` With `orig` = 1: the value the
    /// directive had before this request modified it (`ini_set()`,
    /// `.user.ini`, per-directory settings), i.e. php.ini's, `-d`'s or the
    /// FPM pool's; NULL (and `*exists` = false) if unknown. `const char *`
    /// since PHP 8.5, the same ABI.
    pub fn zend_ini_string_ex(
        name: *const std::ffi::c_char,
        name_length: usize,
        orig: c_int,
        exists: *mut bool,
    ) -> *const std::ffi::c_char;

    /// `ZEND_API void display_ini_entries(zend_module_entry *module);`
    pub fn display_ini_entries(module: *mut zend_module_entry);

    /// `PHPAPI ZEND_COLD void php_log_err_with_severity(const char *msg, int
    /// syslog_type_int);` Writes one line to PHP's error log (`error_log`,
    /// the SAPI's log, or stderr), never into the page.
    pub fn php_log_err_with_severity(message: *const std::ffi::c_char, syslog_type: c_int);

    /// `PHPAPI int php_check_open_basedir_ex(const char *path, int warn);`
    /// 0 when `path` is inside `open_basedir` (or it is not set), -1 when
    /// not (with a warning of its own only when `warn` is not 0).
    pub fn php_check_open_basedir_ex(path: *const std::ffi::c_char, warn: c_int) -> c_int;

    /// `ZEND_API void zend_unregister_ini_entries(int module_number);`
    pub fn zend_unregister_ini_entries(module_number: c_int);
}
