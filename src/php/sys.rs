//! Raw declarations of the PHP engine symbols ext-php-rs does not bind: the
//! session module API (`ext/session/php_session.h`) with the hand-declared
//! [`PsModule`] (checked against the header at compile time), and a few
//! `zend_ini.h` functions. Declarations only, no logic; the safe wrappers
//! are in [`super::engine`] and [`super::session_module`].
//!
//! The symbols are exported by the php binary and resolved at `dlopen`.

use ext_php_rs::ffi::{zend_long, zend_module_entry, zend_string};
use std::ffi::{c_char, c_int, c_void};

/// Bindings bindgen generated from the installed `php_session.h` (see
/// `build.rs`); used only for the layout and signature checks in
/// the checks below.
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
    pub fn php_session_register_module(module: *const PsModule) -> c_int;

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

/// PHP's `PS(mod_data)` slot as the session callbacks receive it.
pub type ModData = *mut *mut c_void;

/// What `open` receives as `save_path` and session name (`PS_OPEN_ARGS`):
/// a `zend_string *` from PHP 8.6 on (`cfg(php86)`, set by `build.rs`).
#[cfg(php86)]
pub type OpenArg = *mut zend_string;
/// What `open` receives as `save_path` and session name (`PS_OPEN_ARGS`):
/// a NUL-terminated `const char *` before PHP 8.6.
#[cfg(not(php86))]
pub type OpenArg = *const c_char;

/// Mirror of PHP 8's `ps_module` (`ext/session/php_session.h`): a name and
/// nine callbacks, 80 bytes on 64-bit. Checked against the header at compile
/// time: its layout and every callback's argument types (see the assertions
/// below).
#[repr(C)]
pub struct PsModule {
    pub(super) s_name: *const c_char,
    pub(super) s_open: Option<unsafe extern "C" fn(ModData, OpenArg, OpenArg) -> c_int>,
    pub(super) s_close: Option<unsafe extern "C" fn(ModData) -> c_int>,
    pub(super) s_read: Option<
        unsafe extern "C" fn(ModData, *mut zend_string, *mut *mut zend_string, zend_long) -> c_int,
    >,
    pub(super) s_write: Option<
        unsafe extern "C" fn(ModData, *mut zend_string, *mut zend_string, zend_long) -> c_int,
    >,
    pub(super) s_destroy: Option<unsafe extern "C" fn(ModData, *mut zend_string) -> c_int>,
    pub(super) s_gc: Option<unsafe extern "C" fn(ModData, zend_long, *mut zend_long) -> zend_long>,
    pub(super) s_create_sid: Option<unsafe extern "C" fn(ModData) -> *mut zend_string>,
    pub(super) s_validate_sid: Option<unsafe extern "C" fn(ModData, *mut zend_string) -> c_int>,
    pub(super) s_update_timestamp: Option<
        unsafe extern "C" fn(ModData, *mut zend_string, *mut zend_string, zend_long) -> c_int,
    >,
}

// SAFETY: the struct is immutable after construction and holds only a
// pointer to a 'static C string and function pointers.
unsafe impl Sync for PsModule {}

// Layout check against the bindgen'd C header: the build fails if PHP's
// struct ever differs in size, alignment or any field offset.
const _: () = {
    use generated::ps_module_struct as C;
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<PsModule>() == size_of::<C>());
    assert!(align_of::<PsModule>() == align_of::<C>());
    assert!(offset_of!(PsModule, s_name) == offset_of!(C, s_name));
    assert!(offset_of!(PsModule, s_open) == offset_of!(C, s_open));
    assert!(offset_of!(PsModule, s_close) == offset_of!(C, s_close));
    assert!(offset_of!(PsModule, s_read) == offset_of!(C, s_read));
    assert!(offset_of!(PsModule, s_write) == offset_of!(C, s_write));
    assert!(offset_of!(PsModule, s_destroy) == offset_of!(C, s_destroy));
    assert!(offset_of!(PsModule, s_gc) == offset_of!(C, s_gc));
    assert!(offset_of!(PsModule, s_create_sid) == offset_of!(C, s_create_sid));
    assert!(offset_of!(PsModule, s_validate_sid) == offset_of!(C, s_validate_sid));
    assert!(offset_of!(PsModule, s_update_timestamp) == offset_of!(C, s_update_timestamp));
    #[cfg(target_pointer_width = "64")]
    assert!(size_of::<PsModule>() == 80);
};

/// Signature check against the same bindgen'd header: each callback type of
/// PHP's `ps_module`, spelled out in the header's own (bindgen) types with
/// [`OpenArg`]'s choice of `save_path` type. A PHP whose callbacks take or
/// return other types (as PHP 8.6's `open` did) fails to compile here
/// instead of being called with the wrong arguments; the layout check above
/// cannot see such a change, as every pointer has the same size.
#[allow(dead_code, clippy::type_complexity)]
fn signatures_match_the_header(c: &generated::ps_module_struct) {
    use generated::{zend_long as L, zend_result as R, zend_string as S};
    type M = *mut *mut c_void;
    #[cfg(php86)]
    type P = *mut S;
    #[cfg(not(php86))]
    type P = *const c_char;
    let _: Option<unsafe extern "C" fn(M, P, P) -> R> = c.s_open;
    let _: Option<unsafe extern "C" fn(M) -> R> = c.s_close;
    let _: Option<unsafe extern "C" fn(M, *mut S, *mut *mut S, L) -> R> = c.s_read;
    let _: Option<unsafe extern "C" fn(M, *mut S, *mut S, L) -> R> = c.s_write;
    let _: Option<unsafe extern "C" fn(M, *mut S) -> R> = c.s_destroy;
    let _: Option<unsafe extern "C" fn(M, L, *mut L) -> L> = c.s_gc;
    let _: Option<unsafe extern "C" fn(M) -> *mut S> = c.s_create_sid;
    let _: Option<unsafe extern "C" fn(M, *mut S) -> R> = c.s_validate_sid;
    let _: Option<unsafe extern "C" fn(M, *mut S, *mut S, L) -> R> = c.s_update_timestamp;
}
