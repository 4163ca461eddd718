//! The `rsmemcache.*` directives of the current request as a validated
//! [`Config`]: read through the engine, cached per thread while the raw
//! values stay the same, the retry-interval cap taken from the startup
//! values, and every file directive checked against `open_basedir`.

use super::{
    engine::{ini_startup_string, ini_string, ini_with},
    sys,
};
use crate::config::{Access, Config, DIRECTIVES, PREVIOUS_SAVE_PATH, RETRY_INTERVAL};

/// The cap on retry intervals for this process: the longest interval
/// php.ini (or the FPM pool) sets ([`crate::config::retry_interval_cap`]).
fn retry_interval_cap() -> u64 {
    let startup = |name| ini_startup_string(name).unwrap_or_default();
    crate::config::retry_interval_cap(
        &ini_startup_string(RETRY_INTERVAL).unwrap_or_else(|| "15".to_owned()),
        &startup(c"session.save_path"),
        &startup(PREVIOUS_SAVE_PATH),
    )
}

/// Raw directive values (in [`crate::config::DIRECTIVES`] order) and the
/// config validated from them.
type CachedConfig = (Vec<Option<Vec<u8>>>, Config);

thread_local! {
    /// The last validated directives of this thread and the raw values they
    /// came from (see [`config`]).
    static CONFIG: std::cell::RefCell<Option<CachedConfig>> =
        const { std::cell::RefCell::new(None) };
}

/// The `rsmemcache.*` directives, validated: reused from the last call
/// while every raw value is byte-for-byte the same (the common case: one
/// php.ini for every request of a worker), else loaded anew.
///
/// # Errors
/// As [`crate::config::Config::load`].
pub fn config() -> crate::error::Result<Config> {
    let same = CONFIG.with_borrow(|cached| {
        cached.as_ref().and_then(|(raw, config)| {
            DIRECTIVES
                .iter()
                .zip(raw)
                .all(|(d, old)| ini_with(d.name, |now| now == old.as_deref()))
                .then(|| config.clone())
        })
    });
    check_open_basedir()?;
    if let Some(config) = same {
        return Ok(config);
    }
    let mut config = Config::load(ini_string)?;
    config.pool.retry_interval_cap_s = retry_interval_cap();
    let raw = DIRECTIVES
        .iter()
        .map(|d| ini_with(d.name, |v| v.map(<[u8]>::to_vec)))
        .collect();
    CONFIG.with_borrow_mut(|c| *c = Some((raw, config.clone())));
    Ok(config)
}

/// Checks every directive that names a file ([`crate::config::Access::SystemFile`])
/// against `open_basedir`, as PHP checks the files a script opens
/// (`php_check_open_basedir_ex()`, `main/fopen_wrappers.c`): at every use,
/// since `open_basedir` may differ between requests of one process.
///
/// # Errors
/// [`crate::error::Error::Directive`] naming the first directive whose file
/// is outside `open_basedir`.
fn check_open_basedir() -> crate::error::Result<()> {
    for d in DIRECTIVES.iter().filter(|d| d.access == Access::SystemFile) {
        let Some(path) = ini_string(d.name) else {
            continue;
        };
        let path = path.trim();
        if path.is_empty() {
            continue;
        }
        let outside = std::ffi::CString::new(path).map_or(true, |c| {
            // SAFETY: `c` is a NUL-terminated string alive for the call;
            // with warn = 0 the engine only reads it and the ini settings.
            unsafe { sys::php_check_open_basedir_ex(c.as_ptr(), 0) != 0 }
        });
        if outside {
            return Err(crate::error::Error::Directive {
                directive: d.name.to_str().unwrap_or("rsmemcache"),
                value: crate::error::escape_for_message(path.as_bytes(), 200),
                reason: "the file is outside open_basedir; move it into an allowed directory or add its directory to open_basedir".to_owned(),
            });
        }
    }
    Ok(())
}
