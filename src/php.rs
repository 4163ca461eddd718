#![allow(unsafe_code)]

//! Small safe wrappers over engine calls: reading an ini value, raising a
//! warning. Each wraps one FFI call behind a `// SAFETY:` argument.

use crate::ffi;
use ext_php_rs::{error::php_error, flags::ErrorType};
use std::ffi::{CStr, c_int, c_void};

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
    unsafe { ffi::php_log_err_with_severity(c.as_ptr(), 4) };
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
        let p = ffi::zend_ini_string_ex(name.as_ptr(), name.to_bytes().len(), 1, &raw mut exists);
        (exists && !p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

/// The cap on retry intervals for this process: the longest interval
/// php.ini (or the FPM pool) sets ([`crate::config::retry_interval_cap`]).
fn retry_interval_cap() -> u64 {
    let startup = |name| ini_startup_string(name).unwrap_or_default();
    crate::config::retry_interval_cap(
        &ini_startup_string(crate::config::RETRY_INTERVAL).unwrap_or_else(|| "15".to_owned()),
        &startup(c"session.save_path"),
        &startup(crate::config::PREVIOUS_SAVE_PATH),
    )
}

/// Raw directive values (in [`crate::config::DIRECTIVES`] order) and the
/// config validated from them.
type CachedConfig = (Vec<Option<Vec<u8>>>, crate::config::Config);

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
pub fn config() -> crate::error::Result<crate::config::Config> {
    use crate::config::{Config, DIRECTIVES};
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
    use crate::config::{Access, DIRECTIVES};
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
            unsafe { ffi::php_check_open_basedir_ex(c.as_ptr(), 0) != 0 }
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
fn ini_with<R>(name: &'static CStr, f: impl FnOnce(Option<&[u8]>) -> R) -> R {
    let mut key = ext_php_rs::types::ZendStr::new(name.to_bytes(), false);
    let key_ptr: *mut ext_php_rs::types::ZendStr = &mut *key;
    // SAFETY: `key` is a live zend_string owned by this frame until after
    // the call; the engine only reads it (and caches its hash in it). The
    // engine returns NULL or the directive's current value, valid for this
    // request; `f` only borrows it for the call, before `key` is dropped.
    let value = unsafe {
        ffi::zend_ini_get_value(key_ptr.cast())
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
        crate::keys::now_ms()
    };
    (uri, start_ms)
}

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
    let checked = std::panic::catch_unwind(|| {
        let directive = crate::config::DIRECTIVES
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

/// MINIT work: maps the table shared by the workers this process will fork
/// ([`crate::shared::init`]; without it state stays per process), registers
/// the ini table and the `rsmemcache` save handler. Returns 0 (SUCCESS) or
/// -1 (FAILURE, with a warning) for the engine.
#[must_use]
pub fn module_startup(module_number: i32) -> i32 {
    crate::shared::init();
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
    crate::late::shutdown();
    // SAFETY: unregisters only the entries registered under our module number.
    unsafe { ffi::zend_unregister_ini_entries(module_number) };
}

/// MINFO: the table `php --ri rsmemcache` and phpinfo() show: version,
/// protocol, the servers of this process's pools and the counters of its
/// effective uid (never another pool user's), then every directive.
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
    let servers: Vec<(String, String)> = crate::registry::all()
        .iter()
        .flat_map(|p| {
            p.servers()
                .iter()
                .map(|s| {
                    let st = s.status();
                    let mut state = match (st.retry_in_ms, &st.last_error) {
                        (Some(ms), Some(e)) => format!("failed, retry in {ms} ms ({e})"),
                        (Some(ms), None) => format!("failed, retry in {ms} ms"),
                        (None, _) => st.state.to_owned(),
                    };
                    if st.role != "current" {
                        // A resize is under way (rsmemcache.previous_save_path).
                        state = format!("{state} ({} list)", st.role);
                    }
                    (st.label, state)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    ext_php_rs::info_table_start!();
    ext_php_rs::info_table_row!("rsmemcache support", "enabled");
    ext_php_rs::info_table_row!("version", version);
    ext_php_rs::info_table_row!("save handler", "rsmemcache");
    ext_php_rs::info_table_row!("protocol", "memcached meta commands (mg, ms, md)");
    ext_php_rs::info_table_row!(
        "failure state",
        if crate::shared::region().is_some() {
            format!(
                "shared by the workers of this master running as uid {}",
                crate::shared::euid()
            )
        } else {
            "per process (no shared table)".to_owned()
        }
    );
    for (label, state) in &servers {
        ext_php_rs::info_table_row!(format!("server {label}"), state.as_str());
    }
    let verify = ini_string(crate::config::TLS_VERIFY_PEER).unwrap_or_default();
    if crate::config::validate(crate::config::TLS_VERIFY_PEER, &verify).is_ok()
        && matches!(
            verify.trim().to_ascii_lowercase().as_str(),
            "0" | "off" | "false" | "no" | ""
        )
    {
        ext_php_rs::info_table_row!(
            "WARNING",
            "rsmemcache.tls_verify_peer = 0: TLS servers' certificates are not verified; anyone in the path can pose as a memcached server"
        );
    }
    let snap = stats_snapshot();
    for (t, key, _) in crate::stats::TOTALS {
        ext_php_rs::info_table_row!(format!("stats {key}"), snap.total(t).to_string());
    }
    for (label, v) in &snap.servers {
        let row = crate::stats::SERVER_COUNTERS
            .iter()
            .zip(v)
            .map(|((_, key, _), n)| format!("{key}={n}"))
            .collect::<Vec<_>>()
            .join(" ");
        ext_php_rs::info_table_row!(format!("stats {label}"), row);
    }
    ext_php_rs::info_table_end!();
}

/// The counters now: the shared table's servers of this process's
/// effective uid and this process's unshared ones.
fn stats_snapshot() -> crate::stats::Snapshot {
    let pools = crate::registry::all();
    crate::stats::snapshot(pools.iter().flat_map(|p| {
        p.servers()
            .iter()
            .filter(|s| !s.is_shared())
            .map(|s| (s.label().to_owned(), s.slot()))
    }))
}

/// `rsmemcache_stats(?string $format = null): array|string|false` — the
/// counters since the master started (see `stubs/rsmemcache.php`): an array,
/// or with `'prometheus'` the Prometheus text. Another format gives a
/// warning and `false`.
#[must_use]
pub fn stats(format: Option<String>) -> ext_php_rs::types::Zval {
    use crate::health::Fault;
    use crate::stats::{SERVER_COUNTERS, ServerCounter, TOTALS};
    use ext_php_rs::types::{ZendHashTable, Zval};
    let mut out = Zval::new();
    let Ok(snap) = std::panic::catch_unwind(stats_snapshot) else {
        warning("internal error in rsmemcache_stats()");
        out.set_bool(false);
        return out;
    };
    match format.as_deref() {
        None | Some("array") => {}
        Some("prometheus") => {
            // A string with a NUL byte cannot be built; labels never hold one.
            let _ = out.set_string(&snap.prometheus(), false);
            return out;
        }
        Some(other) => {
            warning(&format!(
                "rsmemcache_stats(): unknown format '{}' (use 'array' or 'prometheus')",
                crate::error::escape_for_message(other.as_bytes(), 32)
            ));
            out.set_bool(false);
            return out;
        }
    }
    let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut top = ZendHashTable::new();
    // Inserting into a fresh array fails only on allocation failure.
    let _ = top.insert("shared", snap.shared);
    for (t, key, _) in TOTALS {
        let _ = top.insert(key, int(snap.total(t)));
    }
    for (c, key, _) in SERVER_COUNTERS {
        let _ = top.insert(key, int(snap.server_sum(c)));
    }
    let timeouts = |f: &dyn Fn(ServerCounter) -> u64| {
        int(f(ServerCounter::Failed(Fault::ConnectTimeout))
            + f(ServerCounter::Failed(Fault::Timeout)))
    };
    let _ = top.insert("timeouts", timeouts(&|c| snap.server_sum(c)));
    let mut list = ZendHashTable::new();
    for (label, v) in &snap.servers {
        let mut row = ZendHashTable::new();
        let _ = row.insert("server", label.as_str());
        for (c, key, _) in SERVER_COUNTERS {
            let _ = row.insert(key, int(v[c.word()]));
        }
        let _ = row.insert("timeouts", timeouts(&|c| v[c.word()]));
        let _ = list.push(row);
    }
    let _ = top.insert("servers", list);
    out.set_hashtable(top);
    out
}

/// `rsmemcache_servers(?string $save_path = null): array|false` — the
/// servers of the pool for `$save_path` (default: `session.save_path`) under
/// the current `rsmemcache.*` directives, in save_path order, each as an
/// array (see `stubs/rsmemcache.php`). Builds the pool if this process has
/// not used it yet, without connecting. A bad save_path or directive gives
/// a warning and `false`.
#[must_use]
pub fn servers(save_path: Option<String>) -> ext_php_rs::types::Zval {
    use ext_php_rs::types::{ZendHashTable, Zval};
    let mut out = Zval::new();
    let status = std::panic::catch_unwind(|| {
        let path = save_path
            .or_else(|| ini_string(c"session.save_path"))
            .unwrap_or_default();
        let config = config()?;
        let pool = crate::registry::pool_for(&path, &config.pool)?;
        Ok::<_, crate::error::Error>(
            pool.servers()
                .iter()
                .map(crate::pool::Server::status)
                .collect::<Vec<_>>(),
        )
    });
    let list = match status {
        Ok(Ok(list)) => list,
        Ok(Err(e)) => {
            warning(&e.to_string());
            out.set_bool(false);
            return out;
        }
        Err(_) => {
            warning("internal error in rsmemcache_servers()");
            out.set_bool(false);
            return out;
        }
    };
    let mut rows = ZendHashTable::new();
    for s in list {
        let mut row = ZendHashTable::new();
        // Inserting into a fresh array only fails on allocation failure,
        // which the engine turns into a fatal error first.
        let _ = row.insert("server", s.label);
        let _ = row.insert("weight", i64::from(s.weight));
        let _ = row.insert("state", s.state);
        let _ = row.insert("failed_until", s.failed_until_unix);
        let _ = row.insert(
            "retry_in_ms",
            s.retry_in_ms.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
        );
        let _ = row.insert("failures", i64::try_from(s.failures).unwrap_or(i64::MAX));
        let _ = row.insert("last_error", s.last_error);
        let _ = row.insert(
            "idle_connections",
            i64::try_from(s.idle_connections).unwrap_or(i64::MAX),
        );
        let _ = row.insert("shared", s.shared);
        let _ = row.insert("role", s.role);
        let _ = rows.push(row);
    }
    // The durable tiers this process used (rsmemcache.durable_dsn).
    for t in crate::durable::all() {
        let s = t.status();
        let mut row = ZendHashTable::new();
        let _ = row.insert("server", s.label);
        let _ = row.insert("state", s.state);
        let _ = row.insert(
            "retry_in_ms",
            s.retry_in_ms.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
        );
        let _ = row.insert("failures", i64::try_from(s.failures).unwrap_or(i64::MAX));
        let _ = row.insert("last_error", s.last_error);
        let _ = rows.push(row);
    }
    out.set_hashtable(rows);
    out
}

/// `rsmemcache_locate(string $id, ?string $save_path = null): array|false`
/// — where session `$id` lives under the current directives, server health
/// left aside: `['key' => data key, 'servers' => probe order (labels, home
/// first), 'lock_key' => ..., 'lock_server' => label, 'table_id' => the
/// durable table's id, 'raw_key' => the raw key still looked up
/// (`key_hash_migrate`) or null]`. With `rsmemcache.key_hash = sha256` the
/// keys and the table id hold SHA-256 of the id, not the id. A refused id,
/// bad save_path or directive gives a warning and `false`.
#[must_use]
pub fn locate(id: &str, save_path: Option<String>) -> ext_php_rs::types::Zval {
    use ext_php_rs::types::{ZendHashTable, Zval};
    let mut out = Zval::new();
    let found = std::panic::catch_unwind(|| {
        let path = save_path
            .or_else(|| ini_string(c"session.save_path"))
            .unwrap_or_default();
        let config = config()?;
        let h = crate::session::handler::Handler::open(&path, &config)?;
        let l = h.locate(id.as_bytes())?;
        let label = |i: usize| h.transport().label(i);
        let text = |k: &[u8]| String::from_utf8_lossy(k).into_owned();
        Ok::<_, crate::error::Error>((
            text(&l.key),
            l.servers.iter().map(|&i| label(i)).collect::<Vec<_>>(),
            text(&l.lock_key),
            label(l.lock_server),
            l.raw_key.as_deref().map(text),
        ))
    });
    match found {
        Ok(Ok((key, servers, lock_key, lock_server, raw_key))) => {
            let mut row = ZendHashTable::new();
            let mut list = ZendHashTable::new();
            for s in servers {
                let _ = list.push(s);
            }
            // Inserting into a fresh array fails only on allocation failure.
            let _ = row.insert("table_id", key.clone());
            let _ = row.insert("key", key);
            let _ = row.insert("servers", list);
            let _ = row.insert("lock_key", lock_key);
            let _ = row.insert("lock_server", lock_server);
            let _ = row.insert("raw_key", raw_key);
            out.set_hashtable(row);
        }
        Ok(Err(e)) => {
            warning(&e.to_string());
            out.set_bool(false);
        }
        Err(_) => {
            warning("internal error in rsmemcache_locate()");
            out.set_bool(false);
        }
    }
    out
}
