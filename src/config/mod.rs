//! The `rsmemcache.*` ini directives: names, defaults, the static table PHP
//! registers, and validation of their values into a [`Config`] snapshot.
//!
//! Directives are read at every session `open()` (never cached at MINIT)
//! and a bad value is reported then, as a warning naming the directive, and
//! the session does not start. Each has an [`Access`]: most may be set
//! anywhere; the security ones (DSN, credential, key and TLS files, TLS
//! verification, plaintext acceptance) are system settings, which a
//! script's `ini_set()` cannot change (refused with a warning by
//! `on_modify` in the engine boundary (`src/php/ini.rs`)). They are registered with the engine as
//! `PHP_INI_ALL` and refused at the runtime stage by that handler, because
//! the engine refuses a `PHP_INI_SYSTEM | PHP_INI_PERDIR` entry's
//! `ini_set()` silently (`zend_alter_ini_entry_ex()` returns before calling
//! the handler), and a refusal must say why. A bad value
//! given to `ini_set()` (or in `.htaccess`/`.user.ini`) is refused at once by
//! the entries' `on_modify` handler (`on_modify` in the engine boundary (`src/php/ini.rs`)), with the same
//! warning and by the same rules ([`validate`]); one from php.ini is accepted
//! at startup and reported at `session_start()`. The table
//! here is the single source of truth: `docs/directives.md` and `stubs/rsmemcache.ini`
//! must list the same names and defaults (checked by a test below).

use crate::{
    core::hash::{HashFunction, Strategy},
    core::keys::{self, Compat, KeyHash},
    core::lock::{LockFailure, LockSettings},
    error::{Error, Result, escape_for_message},
    net::pool::PoolSettings,
};
use std::ffi::CStr;

mod directives;
pub use directives::*;

/// Where copies of a session go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// `rsmemcache.allow_failover`.
    pub allow_failover: bool,
    /// `rsmemcache.max_failover_attempts`: probes per key.
    pub max_attempts: usize,
    /// `rsmemcache.session_redundancy`: copies per session.
    pub redundancy: usize,
}

/// A validated snapshot of the directives, taken at session open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Key prefix (after the compat preset).
    pub prefix: String,
    /// Key layout.
    pub compat: Compat,
    /// `rsmemcache.key_hash`, in effect: always [`KeyHash::None`] under a
    /// compat layout.
    pub key_hash: KeyHash,
    /// `rsmemcache.key_hash_migrate`, in effect: only with hashed keys.
    pub key_hash_migrate: bool,
    /// Failover and redundancy.
    pub placement: Placement,
    /// Everything that shapes the server pool.
    pub pool: PoolSettings,
    /// Session locking.
    pub lock: LockSettings,
    /// The durable tier, when `rsmemcache.durable_dsn` is set.
    pub durable: Option<crate::durable::Settings>,
    /// Encryption of session values.
    pub encryption: Encryption,
}

/// `rsmemcache.encryption_*`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encryption {
    /// `rsmemcache.encryption_key_file` (trimmed); empty: off.
    pub key_file: String,
    /// `rsmemcache.encryption_accept_plaintext`.
    pub accept_plaintext: bool,
    /// `rsmemcache.encryption_accept_plaintext_until`, unix s; 0: no end.
    pub accept_plaintext_until: i64,
}

fn directive_error(name: &CStr, value: &str, reason: &str) -> Error {
    let directive = DIRECTIVES
        .iter()
        .find(|d| d.name == name)
        .map_or("rsmemcache", |d| d.name.to_str().unwrap_or("rsmemcache"));
    Error::Directive {
        directive,
        value: escape_for_message(value.as_bytes(), 80),
        reason: reason.to_owned(),
    }
}

fn int_in(name: &CStr, value: &str, lo: u64, hi: u64) -> Result<u64> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| {
            directive_error(
                name,
                value,
                &format!("expected an integer from {lo} to {hi}"),
            )
        })
}

/// The integer directives and their inclusive ranges (units as in
/// [`DIRECTIVES`]).
const RANGES: [(&CStr, u64, u64); 11] = [
    (CONNECT_TIMEOUT, 1, 600_000),
    (TIMEOUT, 1, 600_000),
    (RETRY_INTERVAL, 0, 86_400),
    (MAX_FAILOVER_ATTEMPTS, 1, 1000),
    (SESSION_REDUNDANCY, 1, 16),
    (LOCK_WAIT_TIME, 0, 600_000),
    (LOCK_EXPIRE, 1, 86_400),
    (LOCK_WAIT_LOG, 0, 600_000),
    (DURABLE_WRITE_EVERY, 1, 1_000_000),
    (DURABLE_TIMEOUT, 1, 600_000),
    // Unix time up to the year 9999.
    (ENCRYPTION_ACCEPT_PLAINTEXT_UNTIL, 0, 253_402_300_799),
];

/// The top of `rsmemcache.retry_interval`'s range, in seconds: the cap on
/// retry intervals where php.ini's is not known
/// ([`crate::net::pool::PoolSettings::retry_interval_cap_s`]).
pub const MAX_RETRY_INTERVAL_S: u64 = 86_400;

/// The longest retry interval, in seconds, that php.ini's values set:
/// `retry_interval` (the value of `rsmemcache.retry_interval` as php.ini or
/// the FPM pool set it) and every `retry_interval=` parameter of
/// `save_path` and `previous_save_path` (php.ini's `session.save_path` and
/// `rsmemcache.previous_save_path`). A value that does not parse counts as
/// the directive's default, 15 s (it is reported when used).
#[must_use]
pub fn retry_interval_cap(retry_interval: &str, save_path: &str, previous_save_path: &str) -> u64 {
    let base = int_of(RETRY_INTERVAL, retry_interval).unwrap_or(15);
    let current = crate::core::save_path::parse(save_path).unwrap_or_default();
    let previous = crate::net::pool::previous::parse(previous_save_path.trim()).unwrap_or_default();
    current
        .iter()
        .chain(&previous)
        .filter_map(|spec| spec.retry_interval_s)
        .fold(base, u64::max)
        .min(MAX_RETRY_INTERVAL_S)
}

/// The value of integer directive `name` (one of [`RANGES`]).
fn int_of(name: &CStr, value: &str) -> Result<u64> {
    let (lo, hi) = RANGES
        .iter()
        .find(|r| r.0 == name)
        .map_or((0, 0), |&(_, lo, hi)| (lo, hi));
    int_in(name, value, lo, hi)
}

/// The option `value` names (trimmed, case-insensitive), or an error
/// naming the directive.
fn pick<T: Copy>(name: &CStr, value: &str, options: &[(&str, T)], expected: &str) -> Result<T> {
    let wanted = value.trim().to_ascii_lowercase();
    options
        .iter()
        .find(|(text, _)| *text == wanted)
        .map(|&(_, v)| v)
        .ok_or_else(|| directive_error(name, value, expected))
}

/// How PHP spells booleans in ini values.
const BOOLS: &[(&str, bool)] = &[
    ("1", true),
    ("on", true),
    ("true", true),
    ("yes", true),
    ("0", false),
    ("off", false),
    ("false", false),
    ("no", false),
    ("", false),
];

fn bool_of(name: &CStr, value: &str) -> Result<bool> {
    pick(name, value, BOOLS, "expected 0 or 1")
}

fn compat_of(value: &str) -> Result<Compat> {
    pick(
        COMPAT,
        value,
        &[
            ("none", Compat::None),
            ("", Compat::None),
            ("memcache", Compat::Memcache),
            ("memcached", Compat::Memcached),
        ],
        "expected none, memcache or memcached",
    )
}

fn key_hash_of(value: &str) -> Result<KeyHash> {
    pick(
        KEY_HASH,
        value,
        // php.ini reads a bare `none` as an empty value (as for compat).
        &[
            ("sha256", KeyHash::Sha256),
            ("none", KeyHash::None),
            ("", KeyHash::None),
        ],
        "expected sha256 or none",
    )
}

fn strategy_of(value: &str) -> Result<Strategy> {
    pick(
        HASH_STRATEGY,
        value,
        &[
            ("consistent", Strategy::Consistent),
            ("standard", Strategy::Standard),
            ("ketama", Strategy::Ketama),
        ],
        "expected consistent, standard or ketama",
    )
}

fn function_of(value: &str) -> Result<HashFunction> {
    pick(
        HASH_FUNCTION,
        value,
        &[
            ("crc32", HashFunction::Crc32),
            ("fnv", HashFunction::Fnv1a),
            ("fnv1a", HashFunction::Fnv1a),
        ],
        "expected crc32 or fnv",
    )
}

fn failure_of(value: &str) -> Result<LockFailure> {
    pick(
        LOCK_FAILURE,
        value,
        &[
            ("error", LockFailure::Error),
            ("readonly", LockFailure::ReadOnly),
        ],
        "expected error or readonly",
    )
}

fn durable_failure_of(value: &str) -> Result<crate::durable::plan::Failure> {
    use crate::durable::plan::Failure;
    pick(
        DURABLE_FAILURE,
        value,
        &[("degrade", Failure::Degrade), ("error", Failure::Error)],
        "expected degrade or error",
    )
}

fn dsn_of(value: &str) -> Result<Option<crate::durable::plan::Dsn>> {
    crate::durable::plan::parse_dsn(value).map_err(|why| {
        // A refused DSN is shown without its user info (it may hold a
        // password).
        directive_error(DURABLE_DSN, &crate::durable::plan::redact_dsn(value), why)
    })
}

fn durable_tls_of(value: &str) -> Result<crate::durable::plan::Tls> {
    use crate::durable::plan::Tls;
    pick(
        DURABLE_TLS,
        value,
        // php.ini and -d turn an unquoted `off` into an empty string.
        &[
            ("required", Tls::Required),
            ("off", Tls::Off),
            ("", Tls::Off),
        ],
        "expected required or off",
    )
}

fn table_of(value: &str) -> Result<String> {
    let t = value.trim();
    if crate::durable::plan::identifier_ok(t) {
        Ok(t.to_owned())
    } else {
        Err(directive_error(
            DURABLE_TABLE,
            value,
            "expected 1-64 letters, digits or _",
        ))
    }
}

/// Checks one directive's value alone, by the same rules (and with the same
/// error) as [`Config::load`]: the `on_modify` handler uses it to refuse a
/// bad `ini_set()`. A directive that is not ours is accepted.
///
/// Every directive is valid or not on its own: the compat presets only
/// replace values left at their defaults, and every default is valid, so
/// [`Config::load`] succeeds exactly when each directive passes this check.
///
/// # Errors
/// [`Error::Directive`] naming `name`, `value` and what is expected.
pub fn validate(name: &CStr, value: &str) -> Result<()> {
    if name == PREFIX {
        keys::validate_prefix(value)
    } else if name == COMPAT {
        compat_of(value).map(drop)
    } else if name == KEY_HASH {
        key_hash_of(value).map(drop)
    } else if name == HASH_STRATEGY {
        strategy_of(value).map(drop)
    } else if name == HASH_FUNCTION {
        function_of(value).map(drop)
    } else if name == LOCK_FAILURE {
        failure_of(value).map(drop)
    } else if name == DURABLE_FAILURE {
        durable_failure_of(value).map(drop)
    } else if name == DURABLE_DSN {
        dsn_of(value).map(drop)
    } else if name == DURABLE_TLS {
        durable_tls_of(value).map(drop)
    } else if name == DURABLE_TABLE {
        table_of(value).map(drop)
    } else if name == PREVIOUS_SAVE_PATH {
        crate::net::pool::previous::parse(value).map(drop)
    } else if [
        ALLOW_FAILOVER,
        LOCKING,
        TLS,
        TLS_VERIFY_PEER,
        ENCRYPTION_ACCEPT_PLAINTEXT,
        TEST_ALLOW_INI_SET,
        KEY_HASH_MIGRATE,
    ]
    .contains(&name)
    {
        bool_of(name, value).map(drop)
    } else if RANGES.iter().any(|r| r.0 == name) {
        int_of(name, value).map(drop)
    } else {
        Ok(())
    }
}

impl Config {
    /// Validates the directives read through `get` (which returns a
    /// directive's current value, or `None` to use the default).
    ///
    /// # Errors
    /// [`Error::Directive`] naming the first directive with a bad value.
    pub fn load(get: impl Fn(&'static CStr) -> Option<String>) -> Result<Self> {
        let v = Values(&get);
        let compat = compat_of(&v.get(COMPAT))?;
        let (prefix, key_hash, key_hash_migrate) = v.keys(compat)?;
        // Read by the ini handler only; checked here like every directive.
        bool_of(TEST_ALLOW_INI_SET, &v.get(TEST_ALLOW_INI_SET))?;
        let retry_interval_s = int_of(RETRY_INTERVAL, &v.get(RETRY_INTERVAL))?;
        Ok(Self {
            lock: v.lock()?,
            durable: v.durable(retry_interval_s)?,
            encryption: v.encryption()?,
            prefix,
            compat,
            key_hash,
            key_hash_migrate,
            placement: v.placement(compat)?,
            pool: v.pool(compat, retry_interval_s)?,
        })
    }
}

/// The directives' raw values as [`Config::load`] reads them, each group
/// validated into its settings by one method.
struct Values<'a, F: Fn(&'static CStr) -> Option<String>>(&'a F);

impl<F: Fn(&'static CStr) -> Option<String>> Values<'_, F> {
    /// The value of `name`, or its default.
    fn get(&self, name: &'static CStr) -> String {
        (self.0)(name).unwrap_or_else(|| {
            let d = DIRECTIVES
                .iter()
                .find(|d| d.name == name)
                .expect("known directive");
            d.default.to_string_lossy().into_owned()
        })
    }

    /// Whether `v` is `name`'s default: a compat preset then supplies the
    /// value instead.
    fn is_default(name: &'static CStr, v: &str) -> bool {
        DIRECTIVES
            .iter()
            .any(|d| d.name == name && d.default.to_bytes() == v.trim().as_bytes())
    }

    /// The prefix (or `compat`'s preset), `key_hash` and `key_hash_migrate`.
    fn keys(&self, compat: Compat) -> Result<(String, KeyHash, bool)> {
        let mut prefix = self.get(PREFIX);
        if let Some(p) = compat
            .preset_prefix()
            .filter(|_| Self::is_default(PREFIX, &prefix))
        {
            p.clone_into(&mut prefix);
        }
        keys::validate_prefix(&prefix)?;
        // The compat layouts keep the raw ids of pecl-memcache and
        // php-memcached: key_hash (sha256 by
        // default) does not apply to them.
        let key_hash = match (compat, key_hash_of(&self.get(KEY_HASH))?) {
            (Compat::None, h) => h,
            _ => KeyHash::None,
        };
        let migrate =
            bool_of(KEY_HASH_MIGRATE, &self.get(KEY_HASH_MIGRATE))? && key_hash == KeyHash::Sha256;
        Ok((prefix, key_hash, migrate))
    }

    /// Failover and redundancy (`compat = memcache` presets 2 copies).
    fn placement(&self, compat: Compat) -> Result<Placement> {
        let redundancy_text = self.get(SESSION_REDUNDANCY);
        let redundancy = if compat == Compat::Memcache
            && Self::is_default(SESSION_REDUNDANCY, &redundancy_text)
        {
            2
        } else {
            int_of(SESSION_REDUNDANCY, &redundancy_text)?
        };
        Ok(Placement {
            allow_failover: bool_of(ALLOW_FAILOVER, &self.get(ALLOW_FAILOVER))?,
            max_attempts: usize::try_from(int_of(
                MAX_FAILOVER_ATTEMPTS,
                &self.get(MAX_FAILOVER_ATTEMPTS),
            )?)
            .expect("range checked"),
            redundancy: usize::try_from(redundancy).expect("range checked"),
        })
    }

    /// The session lock.
    fn lock(&self) -> Result<LockSettings> {
        let ms = |name| int_of(name, &self.get(name)).map(std::time::Duration::from_millis);
        Ok(LockSettings {
            enabled: bool_of(LOCKING, &self.get(LOCKING))?,
            wait: ms(LOCK_WAIT_TIME)?,
            expire_s: u32::try_from(int_of(LOCK_EXPIRE, &self.get(LOCK_EXPIRE))?)
                .expect("range checked"),
            failure: failure_of(&self.get(LOCK_FAILURE))?,
            wait_log: ms(LOCK_WAIT_LOG)?,
        })
    }

    /// The durable tier, `None` without a DSN. Every durable directive is
    /// checked even when the tier is off, so a typo is reported before the
    /// day the DSN is set.
    fn durable(&self, retry_interval_s: u64) -> Result<Option<crate::durable::Settings>> {
        let file = |name| self.get(name).trim().to_owned();
        let table = table_of(&self.get(DURABLE_TABLE))?;
        let write_every =
            u32::try_from(int_of(DURABLE_WRITE_EVERY, &self.get(DURABLE_WRITE_EVERY))?)
                .expect("range checked");
        let timeout_ms = int_of(DURABLE_TIMEOUT, &self.get(DURABLE_TIMEOUT))?;
        let failure = durable_failure_of(&self.get(DURABLE_FAILURE))?;
        let tls = durable_tls_of(&self.get(DURABLE_TLS))?;
        Ok(
            dsn_of(&self.get(DURABLE_DSN))?.map(|dsn| crate::durable::Settings {
                dsn,
                credentials_file: file(DURABLE_CREDENTIALS_FILE),
                table,
                write_every,
                timeout_ms,
                failure,
                retry_interval_s,
                tls,
                tls_ca_file: file(DURABLE_TLS_CA_FILE),
                tls_server_name: file(DURABLE_TLS_SERVER_NAME),
                server_public_key_file: file(DURABLE_SERVER_PUBLIC_KEY_FILE),
            }),
        )
    }

    /// Encryption of session values.
    fn encryption(&self) -> Result<Encryption> {
        Ok(Encryption {
            key_file: self.get(ENCRYPTION_KEY_FILE).trim().to_owned(),
            accept_plaintext: bool_of(
                ENCRYPTION_ACCEPT_PLAINTEXT,
                &self.get(ENCRYPTION_ACCEPT_PLAINTEXT),
            )?,
            accept_plaintext_until: i64::try_from(int_of(
                ENCRYPTION_ACCEPT_PLAINTEXT_UNTIL,
                &self.get(ENCRYPTION_ACCEPT_PLAINTEXT_UNTIL),
            )?)
            .expect("range checked"),
        })
    }

    /// The server pool: timeouts, placement hash (`compat = memcached`
    /// presets ketama), auth, TLS and the list before a resize.
    fn pool(&self, compat: Compat, retry_interval_s: u64) -> Result<PoolSettings> {
        let strategy_text = self.get(HASH_STRATEGY);
        let strategy =
            if compat == Compat::Memcached && Self::is_default(HASH_STRATEGY, &strategy_text) {
                Strategy::Ketama
            } else {
                strategy_of(&strategy_text)?
            };
        let previous_save_path = self.get(PREVIOUS_SAVE_PATH).trim().to_owned();
        crate::net::pool::previous::parse(&previous_save_path)?;
        let file = |name| self.get(name).trim().to_owned();
        Ok(PoolSettings {
            connect_timeout_ms: int_of(CONNECT_TIMEOUT, &self.get(CONNECT_TIMEOUT))?,
            timeout_ms: int_of(TIMEOUT, &self.get(TIMEOUT))?,
            retry_interval_s,
            retry_interval_cap_s: MAX_RETRY_INTERVAL_S,
            strategy,
            function: function_of(&self.get(HASH_FUNCTION))?,
            auth_file: file(AUTH_FILE),
            tls: crate::net::tls::TlsSettings {
                all: bool_of(TLS, &self.get(TLS))?,
                ca_file: file(TLS_CA_FILE),
                cert_file: file(TLS_CERT_FILE),
                key_file: file(TLS_KEY_FILE),
                server_name: file(TLS_SERVER_NAME),
                verify_peer: bool_of(TLS_VERIFY_PEER, &self.get(TLS_VERIFY_PEER))?,
            },
            previous_save_path,
        })
    }
}

#[cfg(test)]
mod tests;
