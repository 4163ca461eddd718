//! Safe wrappers over single engine calls: raising a warning, writing the
//! error log, reading an ini value (now, or as the request started), and
//! what names the current request. Each wraps one FFI call behind a
//! `// SAFETY:` argument.

use super::sys;
use ext_php_rs::{error::php_error, flags::ErrorType};
use std::ffi::CStr;

/// Raises `E_WARNING` with `rsmemcache: ` prepended to `message`.
pub fn warning(message: &str) {
    php_error(&ErrorType::Warning, &format!("rsmemcache: {message}"));
}

/// Writes `rsmemcache: ` + `message` to PHP's error log (never into the
/// page): for trouble a request survived (a failover, a read repair, a
/// dropped connection). Interior NUL bytes are replaced.
pub fn log_error(message: &str) {
    let line = format!("rsmemcache: {message}").replace('\0', "\\0");
    let Ok(c) = std::ffi::CString::new(line) else {
        return;
    };
    // SAFETY: `c` is a valid NUL-terminated string alive for the call; PHP
    // copies it into its log. 4 is LOG_WARNING (syslog.h).
    unsafe { sys::php_log_err_with_severity(c.as_ptr(), 4) };
}

/// The current value of ini directive `name` — all of its bytes, an
/// embedded NUL included, so validation sees what was set — or `None` if it
/// is not registered.
#[must_use]
pub fn ini_string(name: &'static CStr) -> Option<String> {
    ini_with(name, |v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
}

/// The value of ini directive `name` before this request changed it: what
/// php.ini, `-d` or the FPM pool's `php_value`/`php_admin_value` set (the
/// engine's `orig_value` of a modified entry), cut at a NUL byte; `None` if
/// it is not registered or has no value.
#[must_use]
pub fn ini_startup_string(name: &'static CStr) -> Option<String> {
    let mut exists = false;
    // SAFETY: `name` is a NUL-terminated string alive for the call and its
    // length excludes the NUL; `exists` is a live bool. The engine only
    // reads `name` and returns NULL or a NUL-terminated string it owns for
    // at least this request, copied here before returning.
    unsafe {
        let p = sys::zend_ini_string_ex(name.as_ptr(), name.to_bytes().len(), 1, &raw mut exists);
        (exists && !p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

/// Runs `f` on the current value of ini directive `name` (borrowed, no
/// copy), or on `None` if it is not registered.
///
/// The lookup key is a request-scoped (emalloc) `zend_string` made for this
/// call and released when it returns. Keys used to be persistent strings
/// cached per thread and never freed (a leak of about 750 bytes per process
/// or thread, reported by leak checkers); one small emalloc per lookup
/// costs far less than the hash lookup it serves, and nothing outlives the
/// request. PHP 8.2 has no `zend_ini_get_value` variant taking a plain
/// `char *` that keeps the value's length (`zend_ini_string` would cut a
/// value at an embedded NUL).
pub(super) fn ini_with<R>(name: &'static CStr, f: impl FnOnce(Option<&[u8]>) -> R) -> R {
    let mut key = ext_php_rs::types::ZendStr::new(name.to_bytes(), false);
    let key_ptr: *mut ext_php_rs::types::ZendStr = &mut *key;
    // SAFETY: `key` is a live zend_string owned by this frame until after
    // the call; the engine only reads it (and caches its hash in it). The
    // engine returns NULL or the directive's current value, valid for this
    // request; `f` only borrows it for the call, before `key` is dropped.
    let value = unsafe {
        sys::zend_ini_get_value(key_ptr.cast())
            .cast::<ext_php_rs::types::ZendStr>()
            .as_ref()
    };
    let out = f(value.map(|v| v.as_bytes()));
    drop(key);
    out
}

/// What names this request in a lock it holds: the request URI (the script
/// on the CLI, `-` without either) and when the request started, unix ms
/// (SAPI's request time; now when the SAPI gives none).
#[must_use]
pub fn request_holder() -> (String, i64) {
    let sapi = ext_php_rs::zend::SapiGlobals::get();
    let info = sapi.request_info();
    let uri = info
        .request_uri()
        .or_else(|| info.path_translated())
        .unwrap_or("-")
        .to_owned();
    let t = sapi.global_request_time;
    #[allow(clippy::cast_possible_truncation)]
    let start_ms = if t > 0.0 {
        (t * 1000.0) as i64
    } else {
        crate::core::keys::now_ms()
    };
    (uri, start_ms)
}
