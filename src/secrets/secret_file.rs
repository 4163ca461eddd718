//! Files named by directives — memcached credentials
//! (`rsmemcache.auth_file`, [`crate::net::auth`]), encryption keys
//! (`rsmemcache.encryption_key_file`, [`crate::secrets::crypt`]), the database
//! credentials and the TLS files: how they are opened and checked
//! ([`read_checked`]), and a per-process cache of parsed secret files
//! ([`SecretFiles`]): each is read and parsed on first use and then kept for
//! the life of the process, by path. A file that cannot be read or parsed is
//! not kept, so the next request tries again and fixing it needs no
//! restart; a changed file needs a restart of the workers, as php.ini does.
//! Errors name the path (escaped, cut to 200 bytes), never the content.
//!
//! The checks follow libpq's for `sslkey` (`fe-secure-openssl.c`: a key
//! file owned by the user must not be group- or world-accessible, one owned
//! by root may be group-readable) and OpenSSH's for private keys
//! (`sshkey_perm_ok()` in `authfile.c`), made on the open descriptor
//! (`fstat`, so a file swapped between check and read cannot slip past):
//! a file writable by its group or by everyone, or owned by another user
//! than root or the one PHP runs as (the effective uid), is refused — whoever
//! can write it can replace a key, a password or a trusted CA; a secret
//! readable by everyone is used, with one error-log line per process and
//! file ([`take_notices`]). Group-readable (`0640 root:www-data`) is fine.
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::{io::Read, os::unix::fs::MetadataExt, sync::Arc};

/// What a file holds, for [`read_checked`]: whether others may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A key or password: readable by everyone is logged (once per process).
    Secret,
    /// A certificate or CA list: anyone may read it.
    Public,
}

/// Lines for PHP's error log queued by [`read_checked`] and [`notice_once`]
/// (drained with the pool's events), and what was already said.
static NOTICES: Mutex<(Vec<String>, Vec<String>)> = Mutex::new((Vec::new(), Vec::new()));

/// Queues `line` for PHP's error log unless it was queued before in this
/// process (a per-process "say it once").
pub fn notice_once(line: String) {
    let mut n = NOTICES.lock();
    if !n.1.contains(&line) && n.1.len() < 64 {
        n.1.push(line.clone());
        n.0.push(line);
    }
}

/// Takes the lines queued by [`notice_once`] since the last call.
pub fn take_notices() -> Vec<String> {
    std::mem::take(&mut NOTICES.lock().0)
}

/// Reads the file at `path`, named by `directive`, after checking the open
/// descriptor (see the module docs): a regular file, not writable by its
/// group or others, owned by root or the effective uid. A [`Kind::Secret`]
/// readable by everyone is read, and logged once per process.
///
/// # Errors
/// Why the file cannot be used, in words, with what to do (`chmod`,
/// `chown`); never its content.
pub fn read_checked(
    directive: &str,
    path: &str,
    kind: Kind,
) -> std::result::Result<Vec<u8>, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "it is writable by {} (mode {mode:04o}), so they could replace it; run chmod go-w on it (0600, or 0640 for a group of readers)",
            if mode & 0o002 != 0 {
                "every user"
            } else {
                "its group"
            }
        ));
    }
    let euid = rustix::process::geteuid().as_raw();
    if meta.uid() != 0 && meta.uid() != euid {
        return Err(format!(
            "it is owned by uid {}, neither root nor the user PHP runs as (uid {euid}), who could replace it; chown it to root or uid {euid}",
            meta.uid()
        ));
    }
    if kind == Kind::Secret && mode & 0o004 != 0 {
        notice_once(format!(
            "{directive} '{}' is readable by every user (mode {mode:04o}); run chmod 0600 on it (or 0640 with the group PHP runs as)",
            crate::error::escape_for_message(path.as_bytes(), 200)
        ));
    }
    let mut content = Vec::new();
    file.read_to_end(&mut content).map_err(|e| e.to_string())?;
    Ok(content)
}

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

    /// The file at `path` (the value of `directive`) parsed by `parse`, read
    /// on first use with [`read_checked`].
    ///
    /// # Errors
    /// `error(path, reason)` when the file cannot be read, fails the checks
    /// or `parse` refuses it (`reason` is the OS error, the check's or
    /// `parse`'s, never content).
    pub fn load(
        &self,
        directive: &str,
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
        let content = read_checked(directive, path, Kind::Secret).map_err(bad)?;
        let parsed = Arc::new(parse(&content).map_err(bad)?);
        self.loaded
            .lock()
            .push((path.to_owned(), Arc::clone(&parsed)));
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file(dir: &std::path::Path, name: &str, mode: u32) -> String {
        let f = dir.join(name);
        std::fs::write(&f, b"u:hunter2\n").expect("write");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).expect("chmod");
        f.to_string_lossy().into_owned()
    }

    #[test]
    fn modes_are_checked_on_the_open_file() {
        let dir = std::env::temp_dir().join(format!("rsmemcache-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        for mode in [0o600, 0o640, 0o400] {
            let f = file(&dir, &format!("ok{mode:o}"), mode);
            assert_eq!(
                read_checked("d", &f, Kind::Secret).expect("fine"),
                b"u:hunter2\n"
            );
        }
        let _ = take_notices();
        for (mode, who) in [
            (0o666, "every user"),
            (0o602, "every user"),
            (0o620, "its group"),
        ] {
            let f = file(&dir, &format!("bad{mode:o}"), mode);
            let e = read_checked("d", &f, Kind::Public).expect_err("writable");
            assert!(
                e.contains(who) && e.contains("chmod") && !e.contains("hunter2"),
                "{e}"
            );
        }
        let f = file(&dir, "world", 0o644);
        read_checked("rsmemcache.auth_file", &f, Kind::Public).expect("a certificate may be");
        assert!(take_notices().is_empty());
        read_checked("rsmemcache.auth_file", &f, Kind::Secret).expect("used");
        read_checked("rsmemcache.auth_file", &f, Kind::Secret).expect("used");
        let n = take_notices();
        assert_eq!(n.len(), 1, "once per process: {n:?}");
        assert!(
            n[0].contains("rsmemcache.auth_file") && n[0].contains("chmod 0600"),
            "{n:?}"
        );
        let e = read_checked("d", &dir.to_string_lossy(), Kind::Secret).expect_err("a directory");
        assert_eq!(e, "not a regular file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
