//! memcached ASCII authentication (`memcached -Y <auth file>`): the
//! credentials of `rsmemcache.auth_file`, read once per process, and the
//! bytes of the authentication command.
//!
//! memcached's text and meta protocols know one authentication: the first
//! command on a connection must be a `set <any key> <flags> <exptime> <len>`
//! whose data is `<user> <password>`; memcached answers `STORED`, or
//! `CLIENT_ERROR unauthenticated` and closes the connection (checked against
//! memcached 1.6.18 and 1.6.45). memcached 1.6.44 closes, without an answer,
//! a connection whose first line is shorter than 6 bytes (`proto_text.c`
//! `MIN_AUTH_REQ_LEN`); our first line is always the authentication `set`
//! or `stats settings`, never that short. 1.6.43 refuses `-l binary:` and
//! makes `-l negotiating:` ASCII-only under `-Y` (nothing a client sees).
//! SASL (`-S`) is binary-protocol only.
//!
//! Owns one rule: **the secret never leaves this module except onto the
//! wire.** [`Credentials`] has no `Display`, its `Debug` prints only the
//! file's path, and no error built here quotes the file's content.

use crate::error::{Error, Result};
use crate::secrets::secret_file::SecretFiles;
use std::{fmt, sync::Arc};

/// The key the authentication `set` names. memcached with `-Y` ignores it;
/// one without `-Y` would store the item, which is why
/// [`Credentials::command_data`] goes with exptime `-1` (expired at once:
/// nothing readable is left behind on a server that does not authenticate).
pub const AUTH_KEY: &str = "rsmemcache.auth";

/// A user and password from `rsmemcache.auth_file`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    path: String,
    /// `<user> <password>`: the data of the authentication `set`.
    data: Vec<u8>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("path", &self.path)
            .field("data", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Parses the first line of an auth file: `user:password` (the same
    /// form as memcached's own `-Y` file). The user must not be empty nor
    /// hold a space; the password must not be empty; neither may hold
    /// control bytes. Trailing CR/LF are ignored; later lines are ignored.
    ///
    /// # Errors
    /// A reason (that never quotes the content) when the line is not of
    /// that form.
    pub fn parse(path: &str, content: &[u8]) -> std::result::Result<Self, &'static str> {
        let line = content.split(|&b| b == b'\n').next().unwrap_or(b"");
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Err("the first line is empty; expected user:password");
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or("the first line has no ':'; expected user:password")?;
        let (user, password) = (&line[..colon], &line[colon + 1..]);
        if user.is_empty() || password.is_empty() {
            return Err("the user or the password is empty; expected user:password");
        }
        if user.contains(&b' ') {
            return Err("the user holds a space");
        }
        if line.iter().any(|&b| b < 0x20 || b == 0x7f) {
            return Err("the first line holds control characters");
        }
        let mut data = Vec::with_capacity(line.len());
        data.extend_from_slice(user);
        data.push(b' ');
        data.extend_from_slice(password);
        Ok(Self {
            path: path.to_owned(),
            data,
        })
    }

    /// The file the credentials came from.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The data of the authentication `set`: `<user> <password>`.
    #[must_use]
    pub fn command_data(&self) -> &[u8] {
        &self.data
    }
}

/// Credentials already read, by path (see [`crate::secrets::secret_file`]).
static LOADED: SecretFiles<Credentials> = SecretFiles::new();

/// The credentials of the auth file at `path`, read on first use and then
/// kept for the life of the process.
///
/// # Errors
/// [`Error::AuthFile`] naming the path and why it cannot be used (never
/// its content).
pub fn load(path: &str) -> Result<Arc<Credentials>> {
    LOADED.load(
        "rsmemcache.auth_file",
        path,
        |content| Credentials::parse(path, content).map_err(str::to_owned),
        |path, reason| Error::AuthFile { path, reason },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_first_line_only() {
        let c = Credentials::parse("/f", b"alice:pa:ss word\r\nbob:x\n").expect("valid");
        assert_eq!(c.command_data(), b"alice pa:ss word");
        assert_eq!(c.path(), "/f");
    }

    #[test]
    fn refuses_malformed_lines_without_quoting_them() {
        for bad in [
            &b""[..],
            b"\nalice:pw",
            b"alice",
            b":pw",
            b"alice:",
            b"al ice:pw",
            b"alice:p\x01w",
        ] {
            let e = Credentials::parse("/f", bad).expect_err("invalid");
            assert!(!e.contains("alice") && !e.contains("pw"), "{e}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials::parse("/etc/auth", b"alice:hunter2").expect("valid");
        let shown = format!("{c:?}");
        assert!(shown.contains("/etc/auth"));
        assert!(!shown.contains("hunter2") && !shown.contains("alice"));
    }

    #[test]
    fn load_reports_the_path_not_the_content() {
        let dir = std::env::temp_dir().join(format!("rsmemcache-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        let f = dir.join("bad");
        std::fs::write(&f, b"hunter2-no-colon\n").expect("write");
        let path = f.to_string_lossy().into_owned();
        let e = load(&path).expect_err("no colon").to_string();
        assert!(e.contains(&path) && !e.contains("hunter2"), "{e}");
        let missing = dir.join("missing").to_string_lossy().into_owned();
        assert!(load(&missing).is_err());
        std::fs::write(&f, b"u:hunter2\n").expect("write");
        // Fixed file: read now, then kept even if the file changes.
        assert_eq!(load(&path).expect("fixed").command_data(), b"u hunter2");
        std::fs::write(&f, b"v:other\n").expect("write");
        assert_eq!(load(&path).expect("kept").command_data(), b"u hunter2");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
