//! The MariaDB/MySQL implementation of [`super::Store`], over the `mysql`
//! crate's synchronous [`Conn`] (no async runtime inside a PHP worker).
//! One connection per process and settings, opened on first use with
//! `rsmemcache.durable_timeout` as connect, read and write timeout; the
//! caller ([`super::Tier`]) drops it after any error and never uses one
//! opened by another process.

use super::{Row, Settings, StoreError, plan::Dsn};
use mysql::{Conn, OptsBuilder, prelude::Queryable};
use std::time::Duration;

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

fn err(e: &mysql::Error) -> StoreError {
    let missing_table = matches!(e, mysql::Error::MySqlError(m) if m.code == ER_NO_SUCH_TABLE);
    StoreError {
        missing_table,
        text: e.to_string(),
    }
}

impl MysqlStore {
    /// Connects as `user`/`pass` to `settings.dsn`.
    ///
    /// # Errors
    /// The client's connect or handshake error (its text names the user,
    /// never the password).
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
            } => opts
                .ip_or_hostname(Some(host.as_str()))
                .tcp_port(*port)
                .db_name(Some(database.as_str())),
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
