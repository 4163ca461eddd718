//! The `ps_module` PHP's session extension calls: the hand-declared struct,
//! its static instance named `rsmemcache`, and the nine `extern "C"`
//! trampolines. Each trampoline turns raw pointers into Rust values, runs
//! the safe [`Handler`] call inside `catch_unwind`, maps `Result` to
//! `SUCCESS`/`FAILURE`, and raises warnings last, after Rust-owned values
//! are gone.
//!
//! `mod_data` (PHP's `PS(mod_data)`) holds a `Box<Handler>` from a successful
//! open until close; it is non-NULL in between, which PHP requires before
//! it calls write and close.

use super::{
    engine, guard,
    guard::guarded,
    settings,
    sys::{self, ModData, OpenArg, PsModule},
};
use crate::{error::Error, session::handler::Handler};
use ext_php_rs::{
    ffi::{zend_long, zend_string},
    types::ZendStr,
};
use std::ffi::c_int;

const SUCCESS: c_int = 0;
const FAILURE: c_int = -1;

/// The save handler PHP knows as `rsmemcache`.
pub static MODULE: PsModule = PsModule {
    s_name: c"rsmemcache".as_ptr(),
    s_open: Some(ps_open),
    s_close: Some(ps_close),
    s_read: Some(ps_read),
    s_write: Some(ps_write),
    s_destroy: Some(ps_destroy),
    s_gc: Some(ps_gc),
    s_create_sid: Some(ps_create_sid),
    s_validate_sid: Some(ps_validate_sid),
    s_update_timestamp: Some(ps_update_timestamp),
};

/// Registers [`MODULE`] with the session extension (call at MINIT).
///
/// # Errors
/// `false` when PHP's table of save handlers is full.
pub fn register() -> bool {
    // SAFETY: MODULE is a 'static, correctly laid out ps_module (checked
    // above); PHP keeps the pointer for the life of the process.
    unsafe { sys::php_session_register_module(&raw const MODULE) == 0 }
}

/// Writes what the handler's last call survived (a server marked failed and
/// failed over, a read repair, a dropped connection) to PHP's error log.
/// Never a warning: a request that succeeded raises nothing into the page
/// (with `display_errors=1` a warning would be output before the headers,
/// and frameworks turn warnings into exceptions); a call that failed has
/// its own warning.
fn notices(h: Option<&Handler>) {
    if let Some(h) = h {
        for n in h.take_notices() {
            engine::log_error(&n);
        }
    }
}

fn status(ok: bool) -> c_int {
    if ok { SUCCESS } else { FAILURE }
}

/// The handler behind `mod_data`, if open.
///
/// # Safety
/// `mod_data` must be PHP's `&PS(mod_data)`: NULL-or-a-`Box<Handler>` we set.
unsafe fn handler<'a>(mod_data: ModData) -> Option<&'a mut Handler> {
    // SAFETY: per the contract, *mod_data is NULL or a pointer from
    // Box::into_raw in ps_open, alive until ps_close; PHP runs one callback
    // at a time per request, so this is the only reference.
    unsafe { mod_data.as_ref().and_then(|p| p.cast::<Handler>().as_mut()) }
}

/// Bytes of a `zend_string` PHP passes in.
///
/// # Safety
/// `s` must be NULL or a valid `zend_string` alive for `'a`.
unsafe fn bytes<'a>(s: *mut zend_string) -> &'a [u8] {
    // SAFETY: per the contract; ZendStr is zend_string.
    unsafe {
        s.cast::<ZendStr>()
            .as_ref()
            .map_or(&[][..], |z| z.as_bytes())
    }
}

fn not_open() -> Error {
    Error::Protocol {
        server: "-".into(),
        detail: "session handler used before a successful open".into(),
    }
}

/// Frees the handler behind `mod_data` (if any) and clears it. The slot is
/// cleared before the handler is dropped (its `Drop` releases a held lock:
/// network I/O that may panic), so it is never freed twice. Call inside
/// `catch_unwind`.
///
/// # Safety
/// As [`handler`].
unsafe fn release(mod_data: ModData) {
    // SAFETY: *mod_data is NULL or our Box from ps_open; taking it out and
    // nulling the slot first means it is freed exactly once.
    let taken = unsafe {
        mod_data
            .as_mut()
            .map(|slot| std::mem::replace(slot, std::ptr::null_mut()))
            .filter(|p| !p.is_null())
            .map(|p| Box::from_raw(p.cast::<Handler>()))
    };
    drop(taken);
}

/// The `save_path` PHP 8.6 and later pass to `open`, as text.
///
/// # Safety
/// `p` must be NULL or a valid `zend_string` alive for the call.
#[cfg(php86)]
unsafe fn open_arg(p: OpenArg) -> String {
    // SAFETY: per the contract.
    String::from_utf8_lossy(unsafe { bytes(p) }).into_owned()
}

/// The `save_path` PHP before 8.6 passes to `open`, as text.
///
/// # Safety
/// `p` must be NULL or a valid NUL-terminated string alive for the call.
#[cfg(not(php86))]
unsafe fn open_arg(p: OpenArg) -> String {
    // SAFETY: per the contract.
    unsafe { p.as_ref() }
        .map(|p| {
            // SAFETY: per the contract, `p` starts a NUL-terminated string.
            unsafe { std::ffi::CStr::from_ptr(p) }
                .to_string_lossy()
                .into_owned()
        })
        .unwrap_or_default()
}

unsafe extern "C" fn ps_open(mod_data: ModData, save_path: OpenArg, _name: OpenArg) -> c_int {
    let opened = guarded(None, || {
        // SAFETY: PHP passes &PS(mod_data) and save_path (NULL or valid for
        // the call; a string of the type OpenArg names). A handler left from
        // an open without close (session_reset) is freed first — inside
        // catch_unwind, as its drop releases a lock.
        let save_path = unsafe {
            release(mod_data);
            open_arg(save_path)
        };
        let config = settings::config()?;
        let mut h = Box::new(Handler::open(&save_path, &config)?);
        let limit = engine::ini_string(c"memory_limit");
        h.set_max_inflated(crate::core::replica::max_inflated(limit.as_deref()));
        if let Some(life) =
            engine::ini_string(c"session.gc_maxlifetime").and_then(|v| v.trim().parse::<i64>().ok())
        {
            h.set_maxlifetime(life);
        }
        let (uri, start_ms) = engine::request_holder();
        h.set_holder(&uri, start_ms);
        Ok(Some(h))
    });
    match opened {
        Some(h) => {
            // SAFETY: mod_data points at PS(mod_data), writable for this call.
            unsafe { *mod_data = Box::into_raw(h).cast() };
            SUCCESS
        }
        None => FAILURE,
    }
}

unsafe extern "C" fn ps_close(mod_data: ModData) -> c_int {
    // SAFETY: PHP passes &PS(mod_data), valid for this call.
    let h = unsafe { handler(mod_data) };
    // Release the lock (read_and_close, session_abort, end of request), with
    // a warning if that fails; then free the handler.
    let released = guarded(false, || h.map_or(Ok(()), Handler::release).map(|()| true));
    // SAFETY: our Box is freed exactly once and mod_data cleared.
    let freed = guard::catch(|| unsafe { release(mod_data) });
    status(released && freed.is_ok())
}

unsafe extern "C" fn ps_read(
    mod_data: ModData,
    key: *mut zend_string,
    val: *mut *mut zend_string,
    _maxlifetime: zend_long,
) -> c_int {
    // SAFETY: PHP passes &PS(mod_data), the session id and an out-pointer
    // for the value, all valid for this call.
    let (mut h, sid) = unsafe { (handler(mod_data), bytes(key)) };
    let data = guarded(None, || {
        h.as_deref_mut().ok_or_else(not_open)?.read(sid).map(Some)
    });
    notices(h.as_deref());
    match data {
        Some(d) => {
            // SAFETY: val is a valid out-pointer; PHP takes ownership of the
            // request-allocated (non-persistent) string and frees it.
            unsafe { *val = ZendStr::new(&d, false).into_raw() };
            SUCCESS
        }
        None => FAILURE,
    }
}

/// [`Handler::write`] or [`Handler::update_timestamp`].
type StoreFn = fn(&mut Handler, &[u8], &[u8], i64) -> Result<(), Error>;

/// The body of write and update_timestamp: `store` on the open handler.
///
/// # Safety
/// As PHP's write callback: `mod_data`, `key` and `val` valid for the call.
unsafe fn store(
    mod_data: ModData,
    key: *mut zend_string,
    val: *mut zend_string,
    maxlifetime: zend_long,
    store: StoreFn,
) -> c_int {
    // SAFETY: PHP passes &PS(mod_data), id and value, valid for this call.
    let (mut h, sid, data) = unsafe { (handler(mod_data), bytes(key), bytes(val)) };
    let ok = guarded(false, || {
        store(
            h.as_deref_mut().ok_or_else(not_open)?,
            sid,
            data,
            maxlifetime,
        )
        .map(|()| true)
    });
    notices(h.as_deref());
    status(ok)
}

unsafe extern "C" fn ps_write(
    mod_data: ModData,
    key: *mut zend_string,
    val: *mut zend_string,
    maxlifetime: zend_long,
) -> c_int {
    // SAFETY: forwarded from PHP's write callback unchanged.
    unsafe { store(mod_data, key, val, maxlifetime, Handler::write) }
}

unsafe extern "C" fn ps_destroy(mod_data: ModData, key: *mut zend_string) -> c_int {
    // SAFETY: PHP passes &PS(mod_data) and the id, valid for this call.
    let (mut h, sid) = unsafe { (handler(mod_data), bytes(key)) };
    let ok = guarded(false, || {
        h.as_deref_mut()
            .ok_or_else(not_open)?
            .destroy(sid)
            .map(|()| true)
    });
    notices(h.as_deref());
    status(ok)
}

unsafe extern "C" fn ps_gc(
    mod_data: ModData,
    _maxlifetime: zend_long,
    nrdels: *mut zend_long,
) -> zend_long {
    // memcached expires its copies by TTL; the durable tier (when on)
    // deletes its expired rows and reports how many.
    // SAFETY: mod_data is PHP's PS(mod_data) slot, holding NULL or the
    // Handler that ps_open boxed.
    let h = unsafe { handler(mod_data) };
    let h: Option<&Handler> = h.map(|h| &*h);
    let deleted = guarded(None, || h.map_or(Ok(0), Handler::gc).map(Some));
    notices(h);
    let n = deleted.map(|n| zend_long::try_from(n).unwrap_or(zend_long::MAX));
    // SAFETY: nrdels is NULL or a valid out-pointer from PHP.
    if let Some(out) = unsafe { nrdels.as_mut() } {
        *out = n.unwrap_or(0);
    }
    n.unwrap_or(-1)
}

unsafe extern "C" fn ps_create_sid(mod_data: ModData) -> *mut zend_string {
    // SAFETY: PHP passes &PS(mod_data).
    let h: Option<&Handler> = unsafe { handler(mod_data) }.map(|h| &*h);
    for _ in 0..3 {
        // SAFETY: php_session_create_id only reads the session globals; it
        // returns a new string we own, or NULL.
        let id = unsafe { sys::php_session_create_id(mod_data) };
        if id.is_null() {
            return id;
        }
        let Some(h) = h else { return id };
        // SAFETY: id is the valid string just created.
        let sid = unsafe { bytes(id) };
        // A probe that cannot run (server down) accepts the id: a 128-bit
        // random id does not collide in practice, and read reports the outage.
        let taken = guarded(false, || h.exists(sid));
        notices(Some(h));
        if !taken {
            return id;
        }
        // SAFETY: we own id and drop it exactly once (zend_string_release).
        drop(unsafe { ext_php_rs::boxed::ZBox::from_raw(id.cast::<ZendStr>()) });
    }
    engine::warning("could not create a session id that is not already in use after 3 attempts");
    std::ptr::null_mut()
}

unsafe extern "C" fn ps_validate_sid(mod_data: ModData, key: *mut zend_string) -> c_int {
    // SAFETY: PHP passes &PS(mod_data) and the id, valid for this call.
    let (h, sid) = unsafe { (handler(mod_data), bytes(key)) };
    let h: Option<&Handler> = h.map(|h| &*h);
    // use_strict_mode: an id is known when memcached or the durable tier
    // holds its session.
    let exists = guarded(false, || h.ok_or_else(not_open)?.exists_anywhere(sid));
    notices(h);
    status(exists)
}

unsafe extern "C" fn ps_update_timestamp(
    mod_data: ModData,
    key: *mut zend_string,
    val: *mut zend_string,
    maxlifetime: zend_long,
) -> c_int {
    // SAFETY: forwarded from PHP's update_timestamp callback unchanged.
    unsafe { store(mod_data, key, val, maxlifetime, Handler::update_timestamp) }
}
