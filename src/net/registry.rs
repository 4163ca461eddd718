//! The process's server pools by save_path and settings: built on first
//! use, reused by every later request of the process (no per-request parse
//! or ring build), at most [`MAX_POOLS`] kept. `rsmemcache.previous_save_path`
//! is part of the settings: with it, the pool also reaches the servers of
//! the list before a resize ([`crate::net::pool::previous`]). So is the
//! process's effective uid, which names the pool's shared state
//! ([`crate::shared_state::shared`]): a root process that changes its euid (a CLI script,
//! a forked child) gets pools of its own under the new one.

use crate::{
    core::save_path,
    error::Result,
    net::pool::{Pool, PoolSettings},
};
use once_cell::sync::Lazy;
use parking_lot::Mutex;
use std::{collections::HashMap, sync::Arc};

/// Pools kept per process (one per distinct save_path + settings).
pub const MAX_POOLS: usize = 32;

/// What a pool is kept by: save_path, settings and effective uid.
type Key = (String, PoolSettings, u32);

/// Pools by save_path, settings and effective uid.
type Registry = HashMap<Key, Arc<Pool>>;

static POOLS: Lazy<Mutex<Registry>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// The process-wide pool for `save_path` and `settings`, built on first use
/// and reused by every later request (no per-request parse or ring build).
///
/// # Errors
/// save_path errors from [`save_path::parse`].
pub fn pool_for(save_path: &str, settings: &PoolSettings) -> Result<Arc<Pool>> {
    // Most processes use one save_path: check the last one first, without
    // hashing or allocating.
    let uid = crate::shared_state::shared::euid();
    let hit = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|((p, s, u), _)| p == save_path && s == settings && *u == uid)
            .map(|(_, pool)| Arc::clone(pool))
    });
    if let Some(pool) = hit {
        return Ok(pool);
    }
    let pool = shared_slow(save_path, settings, uid)?;
    LAST.with_borrow_mut(|last| {
        *last = Some((
            (save_path.to_owned(), settings.clone(), uid),
            Arc::clone(&pool),
        ));
    });
    Ok(pool)
}

thread_local! {
    /// The pool this thread used last, with its save_path, settings and uid.
    static LAST: std::cell::RefCell<Option<(Key, Arc<Pool>)>> =
        const { std::cell::RefCell::new(None) };
}

fn shared_slow(save_path: &str, settings: &PoolSettings, uid: u32) -> Result<Arc<Pool>> {
    let key = (save_path.to_owned(), settings.clone(), uid);
    if let Some(p) = POOLS.lock().get(&key) {
        return Ok(Arc::clone(p));
    }
    let previous = crate::net::pool::previous::parse(&settings.previous_save_path)?;
    let pool = Arc::new(Pool::with_previous(
        save_path::parse(save_path)?,
        &previous,
        settings,
    ));
    let mut pools = POOLS.lock();
    if pools.len() >= MAX_POOLS {
        pools.clear();
    }
    Ok(Arc::clone(pools.entry(key).or_insert(pool)))
}

/// Every pool of this process under its current effective uid, for
/// `php --ri` and `rsmemcache_stats()`.
#[must_use]
pub fn all() -> Vec<Arc<Pool>> {
    let uid = crate::shared_state::shared::euid();
    POOLS
        .lock()
        .iter()
        .filter(|((_, _, u), _)| *u == uid)
        .map(|(_, p)| Arc::clone(p))
        .collect()
}
