#![allow(unsafe_code)]

//! The one shared anonymous memory mapping of the process (made at module
//! startup, before php-fpm or Apache prefork fork their workers, so every
//! worker of a master sees the same pages), handed out as a slice of
//! `AtomicU64` words. The only `unsafe` outside the engine's FFI files: the
//! `mmap` call and the view of its pages as atomics. What the words mean is
//! [`crate::shared_state::shared`]'s business.

use rustix::mm::{MapFlags, ProtFlags, mmap_anonymous};
use std::sync::atomic::AtomicU64;

/// Maps `words` zeroed `AtomicU64`s of memory shared with every process
/// forked from this one afterwards (`MAP_SHARED | MAP_ANONYMOUS`), for the
/// rest of the process's life (never unmapped). `None` when `words` is 0 or
/// the kernel refuses the mapping (the caller then keeps per-process state).
#[must_use]
pub fn map_shared_words(words: usize) -> Option<&'static [AtomicU64]> {
    let len = words.checked_mul(std::mem::size_of::<AtomicU64>())?;
    if len == 0 {
        return None;
    }
    // SAFETY: a new anonymous mapping at an address the kernel chooses
    // (null hint, no MAP_FIXED): no memory of this process is replaced.
    let ptr = unsafe {
        mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
        )
    }
    .ok()?;
    // SAFETY: the mapping is `len` bytes, readable and writable, page-aligned
    // (so aligned for AtomicU64) and zero-filled (0 is a valid AtomicU64). It
    // is never unmapped, so the borrow may be 'static; other processes touch
    // it only through atomic operations on the same words, which is how
    // AtomicU64 is accessed here too (x86-64 and aarch64 atomics on shared
    // pages are process-safe; no lock is involved).
    Some(unsafe { std::slice::from_raw_parts(ptr.cast::<AtomicU64>(), words) })
}
