//! Files of secrets named by directives — memcached credentials
//! (`rsmemcache.auth_file`, [`crate::auth`]) and encryption keys
//! (`rsmemcache.encryption_key_file`, [`crate::crypt`]): each is read and
//! parsed on first use and then kept for the life of the process, by path.
//! A file that cannot be read or parsed is not kept, so the next request
//! tries again and fixing it needs no restart; a changed file needs a
//! restart of the workers, as php.ini does. Errors name the path (escaped,
//! cut to 200 bytes), never the content.

use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::sync::Arc;

/// The parsed files of one kind, by path (a process has one or two).
#[derive(Debug)]
pub struct SecretFiles<T> {
    loaded: Mutex<Vec<(String, Arc<T>)>>,
}

impl<T> Default for SecretFiles<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> SecretFiles<T> {
    /// An empty cache (for a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            loaded: Mutex::new(Vec::new()),
        }
    }

    /// The file at `path` parsed by `parse`, read on first use.
    ///
    /// # Errors
    /// `error(path, reason)` when the file cannot be read or `parse`
    /// refuses it (`reason` is the OS error or `parse`'s, never content).
    pub fn load(
        &self,
        path: &str,
        parse: impl FnOnce(&[u8]) -> std::result::Result<T, String>,
        error: impl Fn(String, String) -> Error,
    ) -> Result<Arc<T>> {
        if let Some((_, v)) = self.loaded.lock().iter().find(|(p, _)| p == path) {
            return Ok(Arc::clone(v));
        }
        let bad = |reason: String| {
            error(
                crate::error::escape_for_message(path.as_bytes(), 200),
                reason,
            )
        };
        let content = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let parsed = Arc::new(parse(&content).map_err(bad)?);
        self.loaded
            .lock()
            .push((path.to_owned(), Arc::clone(&parsed)));
        Ok(parsed)
    }
}
