//! The MariaDB/MySQL implementation of [`super::Store`], over the `mysql`
//! crate's synchronous [`Conn`] (no async runtime inside a PHP worker).
//! One connection per process and settings, opened on first use with
//! `rsmemcache.durable_timeout` as connect, read and write timeout; the
//! caller ([`super::Tier`]) drops it after any error and never uses one
//! opened by another process. A TCP link is TLS (the crate's rustls backend
//! on the *ring* provider) with the server's chain and host name verified
//! unless `rsmemcache.durable_tls = off`; the client's errors are turned
//! into sentences here ([`describe`]), never shown as the crate prints them.

use super::{
    Row, Settings, StoreError,
    plan::{Dsn, RSA_REFUSED, Tls},
};
use mysql::{Conn, OptsBuilder, SslOpts, prelude::Queryable};
use std::{io, path::PathBuf, time::Duration};

/// MariaDB/MySQL error code for "table doesn't exist" (`ER_NO_SUCH_TABLE`).
const ER_NO_SUCH_TABLE: u16 = 1146;

/// A session table in MariaDB/MySQL (layout: `stubs/rsmemcache-durable.sql`).
pub struct MysqlStore {
    conn: Conn,
    table: String,
}

impl std::fmt::Debug for MysqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// MariaDB/MySQL error code for "access denied" (`ER_ACCESS_DENIED_ERROR`).
const ER_ACCESS_DENIED: u16 = 1045;

/// What `server_key_path` is set to on a plaintext TCP link without a
/// pinned key: a directory, so that the crate's read of "the server's
/// public key" fails (`EISDIR`) before it asks the server for its key or
/// sends anything derived from the password (mysql 28
/// `Conn::continue_caching_sha2_password_auth` reads a configured key
/// instead of requesting one, and returns a read error as is).
const NO_SERVER_KEY: &str = "/";

fn err(e: &mysql::Error) -> StoreError {
    let missing_table = matches!(e, mysql::Error::MySqlError(m) if m.code == ER_NO_SUCH_TABLE);
    StoreError {
        missing_table,
        text: describe(e),
    }
}

/// Words for a TLS failure (a `rustls` error met during the handshake).
fn tls_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let what = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature => {
                "the database's certificate is not signed by a CA of rsmemcache.durable_tls_ca_file (or the bundled public roots)"
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the database's certificate is not valid for the name verified (the DSN's host, or rsmemcache.durable_tls_server_name); the certificate needs that name in its subjectAltName"
            }
            C::Expired | C::ExpiredContext { .. } => "the database's certificate has expired",
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the database's certificate is not valid yet (check the clocks)"
            }
            C::Revoked => "the database's certificate is revoked",
            _ => {
                "the database's certificate was refused (an X.509 v3 certificate with subjectAltName, signed by the CA of rsmemcache.durable_tls_ca_file, is expected)"
            }
        },
        rustls::Error::AlertReceived(_) => {
            "the database ended the TLS handshake (it may want a different TLS version or a client certificate)"
        }
        rustls::Error::NoCertificatesPresented => "the database presented no certificate",
        _ => "the TLS handshake with the database failed",
    };
    what.to_owned()
}

/// An I/O error of the link, in words.
fn io_words(e: &io::Error) -> String {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return tls_words(tls);
    }
    match e.kind() {
        io::ErrorKind::IsADirectory => RSA_REFUSED.to_owned(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            "no answer within rsmemcache.durable_timeout".to_owned()
        }
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => {
            "the database closed the connection (with rsmemcache.durable_tls = required, a server without TLS does this too)".to_owned()
        }
        _ => format!("the link to the database failed: {e}"),
    }
}

/// The client's error `e` as a sentence saying what failed and what to do
/// (never the crate's `Debug`-like `DriverError { … }` text, never the
/// password: the client never puts it in an error).
#[must_use]
pub fn describe(e: &mysql::Error) -> String {
    use mysql::DriverError as D;
    match e {
        mysql::Error::MySqlError(m) if m.code == ER_ACCESS_DENIED => format!(
            "the database refused the login ({}): check rsmemcache.durable_credentials_file and the account's grants (a server with require_secure_transport refuses a login without TLS this way too)",
            m.message
        ),
        mysql::Error::MySqlError(m) => {
            format!("the database answered error {} ({}): {}", m.code, m.state, m.message)
        }
        mysql::Error::DriverError(d) => match d {
            D::ConnectTimeout => {
                "cannot connect within rsmemcache.durable_timeout; check the DSN and that the database listens".to_owned()
            }
            D::CouldNotConnect(Some((addr, desc, _))) => format!(
                "cannot connect to {addr}: {desc}; check the DSN and that the database listens"
            ),
            D::TlsNotSupported => "the database does not offer TLS and rsmemcache.durable_tls = required: give the server a certificate (ssl_cert, ssl_key), or set rsmemcache.durable_tls = off for a link you trust".to_owned(),
            D::UnknownAuthPlugin(name) => format!(
                "the account uses the authentication plugin {name}, which this client does not speak: use mysql_native_password, ed25519 or caching_sha2_password"
            ),
            D::CleartextPluginDisabled => "the database asked for the password in clear (mysql_clear_password): refused; use mysql_native_password, ed25519 or caching_sha2_password".to_owned(),
            D::OldMysqlPasswordDisabled => "the account uses the pre-4.1 password hash (mysql_old_password): refused; set a current password".to_owned(),
            other => format!("the database client failed: {other}"),
        },
        mysql::Error::IoError(io) => io_words(io),
        mysql::Error::TlsError(t) => {
            match std::error::Error::source(t).and_then(|s| s.downcast_ref::<rustls::Error>()) {
                Some(r) => tls_words(r),
                None => "the TLS setup failed: check rsmemcache.durable_tls_ca_file (a readable PEM file of CA certificates)".to_owned(),
            }
        }
        mysql::Error::CodecError(c) => {
            // The packet codec carries the link's I/O errors (TLS ones too).
            match std::error::Error::source(c).and_then(|s| s.downcast_ref::<io::Error>()) {
                Some(io) => io_words(io),
                None => "the database's reply could not be decoded (is a MariaDB/MySQL server listening at the DSN?)".to_owned(),
            }
        }
        mysql::Error::UrlError(_) => "the DSN could not be used".to_owned(),
        mysql::Error::FromRowError(_) | mysql::Error::FromValueError(_) => {
            "a row of the session table has unexpected columns; create the table with stubs/rsmemcache-durable.sql".to_owned()
        }
    }
}

fn refused(text: String) -> StoreError {
    StoreError {
        missing_table: false,
        text,
    }
}

impl MysqlStore {
    /// Connects as `user`/`pass` to `settings.dsn`: over TCP with verified
    /// TLS unless `durable_tls = off`; over plaintext TCP a
    /// `caching_sha2_password` full authentication uses the pinned
    /// `durable_server_public_key_file` or is refused ([`RSA_REFUSED`]),
    /// never the key the server offers.
    ///
    /// # Errors
    /// The client's connect or handshake error in words ([`describe`]; it
    /// may name the user, never the password); an unreadable CA or key
    /// file; a `durable_tls_server_name` other than the DSN's host.
    pub fn connect(settings: &Settings, user: &str, pass: &str) -> Result<Self, StoreError> {
        let t = Some(Duration::from_millis(settings.timeout_ms));
        let opts = OptsBuilder::new()
            .user(Some(user))
            .pass(Some(pass))
            .tcp_connect_timeout(t)
            .read_timeout(t)
            .write_timeout(t)
            .prefer_socket(false)
            .stmt_cache_size(8);
        let opts = match &settings.dsn {
            Dsn::Tcp {
                host,
                port,
                database,
            } => {
                let opts = opts
                    .ip_or_hostname(Some(host.as_str()))
                    .tcp_port(*port)
                    .db_name(Some(database.as_str()));
                match settings.tls {
                    Tls::Required => opts.ssl_opts(Some(ssl_opts(settings, host)?)),
                    Tls::Off => opts.server_key_path(Some(server_key(settings)?)),
                }
            }
            Dsn::Socket { path, database } => opts
                .socket(Some(path.as_str()))
                .db_name(Some(database.as_str())),
        };
        let conn = Conn::new(opts).map_err(|e| err(&e))?;
        Ok(Self {
            conn,
            table: settings.table.clone(),
        })
    }
}

/// Checks that `path` (the value of `directive`) names a readable file.
fn readable(directive: &str, path: &str) -> Result<(), StoreError> {
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(drop)
        .ok_or_else(|| {
            refused(format!(
                "{directive} {}: not a readable file",
                crate::error::escape_for_message(path.as_bytes(), 200)
            ))
        })
}

/// TLS options: the CA file (added to the bundled public roots), chain and
/// name always verified.
fn ssl_opts(settings: &Settings, host: &str) -> Result<SslOpts, StoreError> {
    let name = settings.tls_server_name.as_str();
    if !name.is_empty() && !name.eq_ignore_ascii_case(host) {
        // The mysql crate verifies the host it connects to; it has no
        // separate name to verify.
        return Err(refused(format!(
            "rsmemcache.durable_tls_server_name {name} differs from the DSN's host {host}: this client verifies the host it connects to, so write the certificate's name as the DSN's host (and let it resolve to the database)"
        )));
    }
    let ca = settings.tls_ca_file.as_str();
    if ca.is_empty() {
        return Ok(SslOpts::default());
    }
    readable("rsmemcache.durable_tls_ca_file", ca)?;
    Ok(SslOpts::default().with_root_cert_path(Some(PathBuf::from(ca))))
}

/// The server's RSA public key for `caching_sha2_password` over plaintext
/// TCP: the pinned file, or [`NO_SERVER_KEY`] (refuse).
fn server_key(settings: &Settings) -> Result<PathBuf, StoreError> {
    let pinned = settings.server_public_key_file.as_str();
    if pinned.is_empty() {
        return Ok(PathBuf::from(NO_SERVER_KEY));
    }
    readable("rsmemcache.durable_server_public_key_file", pinned)?;
    let pem = std::fs::read(pinned).unwrap_or_default();
    if !pem.windows(10).any(|w| w == b"PUBLIC KEY") {
        return Err(refused(
            "rsmemcache.durable_server_public_key_file: expected the server's RSA public key in PEM (-----BEGIN PUBLIC KEY-----, as MySQL's caching_sha2_password_public_key_path)".to_owned(),
        ));
    }
    Ok(PathBuf::from(pinned))
}

impl super::Store for MysqlStore {
    fn load(&mut self, id: &[u8]) -> Result<Option<Row>, StoreError> {
        let sql = format!(
            "SELECT data, version, expires_at FROM `{}` WHERE id = ?",
            self.table
        );
        let row: Option<(Vec<u8>, u32, i64)> =
            self.conn.exec_first(sql, (id,)).map_err(|e| err(&e))?;
        Ok(row.map(|(data, version, expires_at)| Row {
            data,
            version,
            expires_at,
        }))
    }

    fn save(&mut self, id: &[u8], row: &Row, now: i64) -> Result<(), StoreError> {
        // One statement, atomic per row. The row is replaced when the new
        // version is newer (serial arithmetic on 20 bits, as the copies'
        // versions; the same rule as plan::newer) or the row has expired.
        // MariaDB evaluates the assignments left to right, each seeing the
        // ones before: `version` goes after the columns whose guard reads
        // it, and `expires_at` last, kept at the later of the two when the
        // version is (now) the same.
        let newer = format!(
            "(expires_at <= ? OR MOD(VALUES(version) + {m} - version, {m}) BETWEEN 1 AND {h})",
            m = super::plan::VERSION_MODULUS,
            h = super::plan::VERSION_MODULUS / 2 - 1
        );
        let sql = format!(
            "INSERT INTO `{t}` (id, data, version, expires_at, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE \
             data = IF({newer} OR (version = VALUES(version) AND expires_at < VALUES(expires_at)), VALUES(data), data), \
             updated_at = IF({newer}, VALUES(updated_at), updated_at), \
             version = IF({newer}, VALUES(version), version), \
             expires_at = IF(version = VALUES(version), GREATEST(expires_at, VALUES(expires_at)), expires_at)",
            t = self.table
        );
        self.conn
            .exec_drop(
                sql,
                (
                    id,
                    &row.data,
                    row.version,
                    row.expires_at,
                    now,
                    now,
                    now,
                    now,
                ),
            )
            .map_err(|e| err(&e))
    }

    fn delete(&mut self, id: &[u8]) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM `{}` WHERE id = ?", self.table);
        self.conn.exec_drop(sql, (id,)).map_err(|e| err(&e))
    }

    fn delete_upto(&mut self, id: &[u8], version: u32) -> Result<(), StoreError> {
        // Not newer: (version - row) mod M below M/2 (0 included), the
        // complement of plan::newer.
        let sql = format!(
            "DELETE FROM `{}` WHERE id = ? AND MOD(? + {m} - version, {m}) < {h}",
            self.table,
            m = super::plan::VERSION_MODULUS,
            h = super::plan::VERSION_MODULUS / 2
        );
        self.conn.exec_drop(sql, (id, version)).map_err(|e| err(&e))
    }

    fn gc(&mut self, now: i64) -> Result<u64, StoreError> {
        let sql = format!("DELETE FROM `{}` WHERE expires_at <= ?", self.table);
        self.conn.exec_drop(sql, (now,)).map_err(|e| err(&e))?;
        Ok(self.conn.affected_rows())
    }

    fn try_lock(&mut self, name: &str) -> Result<bool, StoreError> {
        let got: Option<Option<i64>> = self
            .conn
            .exec_first("SELECT GET_LOCK(?, 0)", (name,))
            .map_err(|e| err(&e))?;
        Ok(got.flatten() == Some(1))
    }

    fn unlock(&mut self, name: &str) -> Result<(), StoreError> {
        self.conn
            .exec_drop("SELECT RELEASE_LOCK(?)", (name,))
            .map_err(|e| err(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql::DriverError as D;

    fn io_tls(e: rustls::Error) -> mysql::Error {
        mysql::Error::IoError(io::Error::new(io::ErrorKind::InvalidData, e))
    }

    #[test]
    fn errors_are_sentences_not_debug_text() {
        let cases = [
            mysql::Error::DriverError(D::TlsNotSupported),
            mysql::Error::DriverError(D::ConnectTimeout),
            mysql::Error::DriverError(D::CouldNotConnect(Some((
                "127.0.0.1:1".into(),
                "Connection refused (os error 111)".into(),
                io::ErrorKind::ConnectionRefused,
            )))),
            mysql::Error::DriverError(D::UnknownAuthPlugin("dialog".into())),
            io_tls(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
            io_tls(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName,
            )),
            io_tls(rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding,
            )),
            mysql::Error::IoError(io::Error::from(io::ErrorKind::IsADirectory)),
            mysql::Error::IoError(io::Error::from(io::ErrorKind::UnexpectedEof)),
        ];
        for e in &cases {
            let text = describe(e);
            assert!(
                !text.contains('{') && !text.contains("Error") && !text.contains("Other("),
                "{text}"
            );
        }
        assert_eq!(describe(&cases[7]), RSA_REFUSED);
        assert!(describe(&cases[4]).contains("rsmemcache.durable_tls_ca_file"));
        assert!(describe(&cases[5]).contains("subjectAltName"));
        assert!(describe(&cases[0]).contains("rsmemcache.durable_tls = off"));
    }
}
