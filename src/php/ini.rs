//! The `rsmemcache.*` entries as the engine registers them: the static
//! table built from [`DIRECTIVES`] and its `on_modify` handler, which
//! refuses a bad value, or a system setting, given to `ini_set()` or a
//! per-directory file, with a warning.

use super::engine::{ini_string, warning};
use crate::config::DIRECTIVES;
use ext_php_rs::{
    flags::IniEntryPermission,
    zend::{IniEntryDef, IniEntryDefs},
};
use std::ffi::{CStr, c_int, c_void};

const fn ini_table() -> [IniEntryDef; DIRECTIVES.len() + 1] {
    let mut table = [IniEntryDef::end(); DIRECTIVES.len() + 1];
    let mut i = 0;
    while i < DIRECTIVES.len() {
        table[i] = IniEntryDef::new(
            DIRECTIVES[i].name,
            DIRECTIVES[i].default,
            IniEntryPermission::All,
        );
        table[i].on_modify = Some(on_modify);
        i += 1;
    }
    table
}

/// The table registered with PHP at MINIT (terminated by an empty entry).
pub static INI_ENTRIES: IniEntryDefs<{ DIRECTIVES.len() + 1 }> = IniEntryDefs::new(ini_table());

/// `ZEND_INI_STAGE_RUNTIME`: `ini_set()` and `ini_restore()`.
const STAGE_RUNTIME: c_int = 1 << 4;
/// `ZEND_INI_STAGE_HTACCESS`: `.htaccess` `php_value` and `.user.ini`.
const STAGE_HTACCESS: c_int = 1 << 5;

/// `on_modify` of every `rsmemcache.*` entry (see [`crate::config`]).
///
/// At the stages a script or a per-directory file sets a value
/// (`ini_set()`: `ZEND_INI_STAGE_RUNTIME`; `.htaccess`/`.user.ini`:
/// `ZEND_INI_STAGE_HTACCESS`) a value [`crate::config::validate`] refuses
/// raises `E_WARNING` `rsmemcache: invalid value '…' for <directive>: …`
/// (the text `session_start()` would give) and returns -1 (FAILURE): PHP
/// keeps the old value and `ini_set()` returns false.
///
/// At the runtime stage a system setting ([`crate::config::Access`]) is
/// refused whatever its value, with a warning saying where to set it.
///
/// Every other stage accepts any value: at startup (php.ini, `-d`) a
/// refusal would make PHP silently fall back to the default, so a bad value
/// is kept and reported at `session_start()` instead; the same holds for
/// `ZEND_INI_STAGE_ACTIVATE` (the server's per-directory admin settings) and
/// for the restores at request end. `ini_restore()` runs at the runtime
/// stage but hands back the entry's `orig_value` itself: that string (the
/// value the request started with) is always accepted, so `ini_restore()`
/// can bring back even a bad php.ini value, to be reported at
/// `session_start()` as before.
/// Without any handler at all, PHP 8.2's `ini_restore()` fails on our
/// entries. Returns 0 (SUCCESS) or -1 (FAILURE).
///
/// # Safety
/// Called by the engine with its `zend_ini_entry` and the new value (both
/// live for the call; either may be NULL, which is accepted).
pub unsafe extern "C" fn on_modify(
    entry: *mut ext_php_rs::ffi::zend_ini_entry,
    new_value: *mut ext_php_rs::ffi::zend_string,
    _arg1: *mut c_void,
    _arg2: *mut c_void,
    _arg3: *mut c_void,
    stage: c_int,
) -> c_int {
    if stage != STAGE_RUNTIME && stage != STAGE_HTACCESS {
        return 0;
    }
    // SAFETY: the engine passes its live ini entry (or NULL) for the
    // duration of the call; it is only read here.
    let Some(entry) = (unsafe { entry.as_ref() }) else {
        return 0;
    };
    // `zend_ini_entry.modified` is a `bool` from PHP 8.6 on (`cfg(php86)`,
    // set by build.rs), a `u8` before.
    #[cfg(php86)]
    let modified = entry.modified;
    #[cfg(not(php86))]
    let modified = entry.modified != 0;
    if modified && std::ptr::eq(new_value, entry.orig_value) {
        return 0; // ini_restore(): back to the value the request started with
    }
    // SAFETY: `entry.name` and `new_value` are live zend_strings owned by the
    // engine for the call (or NULL); both are only read, and the borrows end
    // before this function returns.
    let (name, value) = unsafe {
        (
            entry.name.cast::<ext_php_rs::types::ZendStr>().as_ref(),
            new_value.cast::<ext_php_rs::types::ZendStr>().as_ref(),
        )
    };
    let (Some(name), Some(value)) = (name, value) else {
        return 0;
    };
    let checked = super::guard::catch(|| {
        let directive = DIRECTIVES
            .iter()
            .find(|d| d.name.to_bytes() == name.as_bytes())?;
        if stage == STAGE_RUNTIME && !directive.access.runtime() && !test_allows(directive.name) {
            return Some(format!(
                "{} is a system setting and cannot be changed by ini_set(); set it in php.ini, the pool's or server's configuration (php_admin_value) or a per-directory .user.ini",
                directive.name.to_string_lossy()
            ));
        }
        crate::config::validate(directive.name, &String::from_utf8_lossy(value.as_bytes()))
            .err()
            .map(|e| e.to_string())
    });
    match checked {
        Ok(None) => 0,
        Ok(Some(e)) => {
            warning(&e);
            -1
        }
        Err(_) => {
            warning("internal error while checking an rsmemcache.* value");
            -1
        }
    }
}

/// Whether `rsmemcache.test_allow_ini_set = 1` lets `ini_set()` change
/// system setting `name` (never that directive itself).
fn test_allows(name: &CStr) -> bool {
    use crate::config::TEST_ALLOW_INI_SET;
    name != TEST_ALLOW_INI_SET
        && ini_string(TEST_ALLOW_INI_SET).is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "on" | "true" | "yes"
            )
        })
}
