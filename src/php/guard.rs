//! The one panic guard of the engine boundary: every entry point the
//! engine calls (the session callbacks, the ini handler, MINFO, the
//! userland functions) runs its Rust code through [`catch`] or
//! [`guarded`], so no panic unwinds into PHP.

use super::engine::warning;
use crate::error::Error;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; `Err` with the panic's message (empty when it carried none)
/// if it panicked.
///
/// # Errors
/// The panic's message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// Runs `f` through [`catch`]: its value, or `fallback` after a warning —
/// the error's text, or `internal error (please report): <panic message>`
/// — raised once `f`'s values are dropped.
pub fn guarded<T>(fallback: T, f: impl FnOnce() -> Result<T, Error>) -> T {
    match catch(f) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            let msg = e.to_string();
            drop(e);
            warning(&msg);
            fallback
        }
        Err(what) => {
            warning(&format!("internal error (please report): {what}"));
            fallback
        }
    }
}
