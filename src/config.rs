//! The `rsmemcache.*` ini directives: names, defaults, the static table PHP
//! registers, and validation of their values into a [`Config`] snapshot.
//!
//! All directives are `PHP_INI_ALL`, so they are read at every session
//! `open()` (never cached at MINIT) and a bad value is reported then, as a
//! warning naming the directive, and the session does not start. The table
//! here is the single source of truth: `README.md` and `stubs/rsmemcache.ini`
//! must list the same names and defaults (checked by a test below).

use crate::{
    error::{Error, Result, escape_for_message},
    hash::{HashFunction, Strategy},
    keys::{self, Compat},
    lock::{LockFailure, LockSettings},
    pool::PoolSettings,
};
use ext_php_rs::{
    ffi::{zend_ini_entry, zend_string},
    flags::IniEntryPermission,
    zend::{IniEntryDef, IniEntryDefs},
};
use std::ffi::{CStr, c_int, c_void};

/// One directive: name, default, unit and meaning (for docs and `--ri`).
#[derive(Debug, Clone, Copy)]
pub struct Directive {
    /// Full name, e.g. `rsmemcache.prefix`.
    pub name: &'static CStr,
    /// Default value as PHP sees it.
    pub default: &'static CStr,
    /// Unit of the value (`ms`, `s`, or `-`).
    pub unit: &'static str,
    /// One-line meaning.
    pub doc: &'static str,
}

/// `rsmemcache.prefix`: prepended to every session id to form the key.
pub const PREFIX: &CStr = c"rsmemcache.prefix";
/// `rsmemcache.connect_timeout`: TCP/unix connect timeout, milliseconds.
pub const CONNECT_TIMEOUT: &CStr = c"rsmemcache.connect_timeout";
/// `rsmemcache.timeout`: read/write timeout per reply, milliseconds.
pub const TIMEOUT: &CStr = c"rsmemcache.timeout";
/// `rsmemcache.retry_interval`: seconds a failed server is skipped.
pub const RETRY_INTERVAL: &CStr = c"rsmemcache.retry_interval";
/// `rsmemcache.compat`: `none`, `memcache` or `memcached` — whose key layout
/// and placement defaults to follow.
pub const COMPAT: &CStr = c"rsmemcache.compat";
/// `rsmemcache.allow_failover`: 1 to serve a session from the next server
/// when its own is unreachable.
pub const ALLOW_FAILOVER: &CStr = c"rsmemcache.allow_failover";
/// `rsmemcache.max_failover_attempts`: probes made to find servers for a key.
pub const MAX_FAILOVER_ATTEMPTS: &CStr = c"rsmemcache.max_failover_attempts";
/// `rsmemcache.session_redundancy`: copies written of each session.
pub const SESSION_REDUNDANCY: &CStr = c"rsmemcache.session_redundancy";
/// `rsmemcache.hash_strategy`: `consistent`, `standard` or `ketama`.
pub const HASH_STRATEGY: &CStr = c"rsmemcache.hash_strategy";
/// `rsmemcache.hash_function`: `crc32` or `fnv`.
pub const HASH_FUNCTION: &CStr = c"rsmemcache.hash_function";

/// `rsmemcache.locking`: 1 to lock sessions for the request, 0 not to.
pub const LOCKING: &CStr = c"rsmemcache.locking";
/// `rsmemcache.lock_wait_time`: how long to wait for a held lock, milliseconds.
pub const LOCK_WAIT_TIME: &CStr = c"rsmemcache.lock_wait_time";
/// `rsmemcache.lock_expire`: lock TTL, seconds.
pub const LOCK_EXPIRE: &CStr = c"rsmemcache.lock_expire";
/// `rsmemcache.lock_failure`: `error` or `readonly`.
pub const LOCK_FAILURE: &CStr = c"rsmemcache.lock_failure";

/// Every directive, in the order `php --ri rsmemcache` shows them.
pub const DIRECTIVES: [Directive; 14] = [
    Directive {
        name: PREFIX,
        default: c"rsmemcache.sess.",
        unit: "-",
        doc: "key prefix; key = prefix + session id (at most 250 bytes in all); left at this default, rsmemcache.compat supplies its own",
    },
    Directive {
        name: COMPAT,
        default: c"none",
        unit: "-",
        doc: "none | memcache | memcached: key layout and placement of the handler you migrate from",
    },
    Directive {
        name: CONNECT_TIMEOUT,
        default: c"1000",
        unit: "ms",
        doc: "connect timeout per server (1-600000)",
    },
    Directive {
        name: TIMEOUT,
        default: c"1000",
        unit: "ms",
        doc: "read/write timeout per reply (1-600000)",
    },
    Directive {
        name: RETRY_INTERVAL,
        default: c"15",
        unit: "s",
        doc: "a failed server is skipped for this long (0-86400); save_path retry_interval overrides",
    },
    Directive {
        name: HASH_STRATEGY,
        default: c"consistent",
        unit: "-",
        doc: "consistent | standard (pecl-memcache placement) | ketama (php-memcached placement)",
    },
    Directive {
        name: HASH_FUNCTION,
        default: c"crc32",
        unit: "-",
        doc: "crc32 | fnv (consistent and standard only)",
    },
    Directive {
        name: ALLOW_FAILOVER,
        default: c"1",
        unit: "-",
        doc: "1: a session whose server is unreachable is served by the next server in its probe order",
    },
    Directive {
        name: MAX_FAILOVER_ATTEMPTS,
        default: c"20",
        unit: "-",
        doc: "probes (key-0, key-1, ...) made to find a session's servers (1-1000)",
    },
    Directive {
        name: SESSION_REDUNDANCY,
        default: c"1",
        unit: "-",
        doc: "copies of each session, on distinct reachable servers (1-16); compat=memcache makes it 2",
    },
    Directive {
        name: LOCKING,
        default: c"1",
        unit: "-",
        doc: "1: lock the session from read to write/close; 0: no lock traffic",
    },
    Directive {
        name: LOCK_WAIT_TIME,
        default: c"30000",
        unit: "ms",
        doc: "how long session_start() waits for another request's lock (0-600000)",
    },
    Directive {
        name: LOCK_EXPIRE,
        default: c"20",
        unit: "s",
        doc: "lock TTL, so a crashed worker's lock frees itself (1-86400, never 0)",
    },
    Directive {
        name: LOCK_FAILURE,
        default: c"error",
        unit: "-",
        doc: "error | readonly: what happens when the wait runs out",
    },
];

/// `on_modify` for every directive: accepts any value. Values are validated
/// at session open instead, where a bad one becomes a warning; rejecting it
/// here would make PHP silently keep the default for a bad php.ini value.
/// Without a handler at all, PHP 8.2's `ini_restore()` fails on our entries.
extern "C" fn accept_any(
    _entry: *mut zend_ini_entry,
    _new_value: *mut zend_string,
    _arg1: *mut c_void,
    _arg2: *mut c_void,
    _arg3: *mut c_void,
    _stage: c_int,
) -> c_int {
    0
}

const fn ini_table() -> [IniEntryDef; DIRECTIVES.len() + 1] {
    let mut table = [IniEntryDef::end(); DIRECTIVES.len() + 1];
    let mut i = 0;
    while i < DIRECTIVES.len() {
        table[i] = IniEntryDef::new(
            DIRECTIVES[i].name,
            DIRECTIVES[i].default,
            IniEntryPermission::All,
        );
        table[i].on_modify = Some(accept_any);
        i += 1;
    }
    table
}

/// The table registered with PHP at MINIT (terminated by an empty entry).
pub static INI_ENTRIES: IniEntryDefs<{ DIRECTIVES.len() + 1 }> = IniEntryDefs::new(ini_table());

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
    /// Failover and redundancy.
    pub placement: Placement,
    /// Everything that shapes the server pool.
    pub pool: PoolSettings,
    /// Session locking.
    pub lock: LockSettings,
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

impl Config {
    /// Validates the directives read through `get` (which returns a
    /// directive's current value, or `None` to use the default).
    ///
    /// # Errors
    /// [`Error::Directive`] naming the first directive with a bad value.
    pub fn load(get: impl Fn(&'static CStr) -> Option<String>) -> Result<Self> {
        let value = |name: &'static CStr| {
            get(name).unwrap_or_else(|| {
                let d = DIRECTIVES
                    .iter()
                    .find(|d| d.name == name)
                    .expect("known directive");
                d.default.to_string_lossy().into_owned()
            })
        };
        // A preset supplies the value of each directive left at its default.
        let is_default = |name: &'static CStr, v: &str| {
            DIRECTIVES
                .iter()
                .any(|d| d.name == name && d.default.to_bytes() == v.trim().as_bytes())
        };
        let compat = pick(
            COMPAT,
            &value(COMPAT),
            &[
                ("none", Compat::None),
                ("", Compat::None),
                ("memcache", Compat::Memcache),
                ("memcached", Compat::Memcached),
            ],
            "expected none, memcache or memcached",
        )?;
        let mut prefix = value(PREFIX);
        if let Some(p) = compat
            .preset_prefix()
            .filter(|_| is_default(PREFIX, &prefix))
        {
            p.clone_into(&mut prefix);
        }
        keys::validate_prefix(&prefix)?;
        let strategy_text = value(HASH_STRATEGY);
        let strategy = if compat == Compat::Memcached && is_default(HASH_STRATEGY, &strategy_text) {
            Strategy::Ketama
        } else {
            pick(
                HASH_STRATEGY,
                &strategy_text,
                &[
                    ("consistent", Strategy::Consistent),
                    ("standard", Strategy::Standard),
                    ("ketama", Strategy::Ketama),
                ],
                "expected consistent, standard or ketama",
            )?
        };
        let redundancy_text = value(SESSION_REDUNDANCY);
        let redundancy =
            if compat == Compat::Memcache && is_default(SESSION_REDUNDANCY, &redundancy_text) {
                2
            } else {
                int_in(SESSION_REDUNDANCY, &redundancy_text, 1, 16)?
            };
        let placement = Placement {
            allow_failover: pick(
                ALLOW_FAILOVER,
                &value(ALLOW_FAILOVER),
                BOOLS,
                "expected 0 or 1",
            )?,
            max_attempts: usize::try_from(int_in(
                MAX_FAILOVER_ATTEMPTS,
                &value(MAX_FAILOVER_ATTEMPTS),
                1,
                1000,
            )?)
            .expect("range checked"),
            redundancy: usize::try_from(redundancy).expect("range checked"),
        };
        let function = pick(
            HASH_FUNCTION,
            &value(HASH_FUNCTION),
            &[
                ("crc32", HashFunction::Crc32),
                ("fnv", HashFunction::Fnv1a),
                ("fnv1a", HashFunction::Fnv1a),
            ],
            "expected crc32 or fnv",
        )?;
        let enabled = pick(LOCKING, &value(LOCKING), BOOLS, "expected 0 or 1")?;
        let failure = pick(
            LOCK_FAILURE,
            &value(LOCK_FAILURE),
            &[
                ("error", LockFailure::Error),
                ("readonly", LockFailure::ReadOnly),
            ],
            "expected error or readonly",
        )?;
        let lock = LockSettings {
            enabled,
            wait: std::time::Duration::from_millis(int_in(
                LOCK_WAIT_TIME,
                &value(LOCK_WAIT_TIME),
                0,
                600_000,
            )?),
            expire_s: u32::try_from(int_in(LOCK_EXPIRE, &value(LOCK_EXPIRE), 1, 86_400)?)
                .expect("range checked"),
            failure,
        };
        Ok(Self {
            lock,
            prefix,
            compat,
            placement,
            pool: PoolSettings {
                connect_timeout_ms: int_in(CONNECT_TIMEOUT, &value(CONNECT_TIMEOUT), 1, 600_000)?,
                timeout_ms: int_in(TIMEOUT, &value(TIMEOUT), 1, 600_000)?,
                retry_interval_s: int_in(RETRY_INTERVAL, &value(RETRY_INTERVAL), 0, 86_400)?,
                strategy,
                function,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = Config::load(|_| None).unwrap();
        assert_eq!(c.prefix, "rsmemcache.sess.");
        assert_eq!(c.pool.connect_timeout_ms, 1000);
        assert_eq!(c.pool.strategy, Strategy::Consistent);
        assert_eq!(c.pool.function, HashFunction::Crc32);
        assert_eq!(c.compat, Compat::None);
        assert_eq!(
            c.placement,
            Placement {
                allow_failover: true,
                max_attempts: 20,
                redundancy: 1
            }
        );
        assert!(c.lock.enabled);
        assert_eq!(
            (c.lock.wait.as_millis(), c.lock.expire_s, c.lock.failure),
            (30_000, 20, LockFailure::Error)
        );
    }

    #[test]
    fn bad_values_name_the_directive() {
        let with = |n: &'static CStr, v: &str| {
            let v = v.to_owned();
            Config::load(move |name| (name == n).then(|| v.clone()))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            with(TIMEOUT, "0"),
            "invalid value '0' for rsmemcache.timeout: expected an integer from 1 to 600000"
        );
        assert!(with(CONNECT_TIMEOUT, "abc").contains("rsmemcache.connect_timeout"));
        assert!(with(HASH_STRATEGY, "ring").contains("'ring' for rsmemcache.hash_strategy"));
        assert!(with(HASH_FUNCTION, "md5").contains("rsmemcache.hash_function"));
        assert!(with(PREFIX, "a b").contains("rsmemcache.prefix"));
        assert!(with(RETRY_INTERVAL, "-1").contains("rsmemcache.retry_interval"));
        assert!(
            with(LOCK_EXPIRE, "0")
                .contains("rsmemcache.lock_expire: expected an integer from 1 to 86400")
        );
        assert!(with(LOCKING, "maybe").contains("rsmemcache.locking"));
        assert!(with(LOCK_FAILURE, "ignore").contains("rsmemcache.lock_failure"));
        assert!(with(LOCK_WAIT_TIME, "-5").contains("rsmemcache.lock_wait_time"));
        assert_eq!(
            with(COMPAT, "redis"),
            "invalid value 'redis' for rsmemcache.compat: expected none, memcache or memcached"
        );
        assert!(
            with(SESSION_REDUNDANCY, "0")
                .contains("rsmemcache.session_redundancy: expected an integer from 1 to 16")
        );
        assert!(with(MAX_FAILOVER_ATTEMPTS, "0").contains("rsmemcache.max_failover_attempts"));
        assert!(with(ALLOW_FAILOVER, "perhaps").contains("rsmemcache.allow_failover"));
    }

    #[test]
    fn compat_presets_fill_in_directives_left_at_their_defaults() {
        let load = |pairs: &'static [(&'static CStr, &'static str)]| {
            Config::load(move |n| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| (*v).to_owned())
            })
            .unwrap()
        };
        let c = load(&[(COMPAT, "memcached")]);
        assert_eq!(
            (c.prefix.as_str(), c.pool.strategy),
            ("memc.sess.key.", Strategy::Ketama)
        );
        let c = load(&[(COMPAT, "memcache")]);
        assert_eq!(
            (c.prefix.as_str(), c.pool.strategy),
            ("", Strategy::Consistent)
        );
        assert_eq!(c.placement.redundancy, 2);
        // Explicit values win.
        let c = load(&[
            (COMPAT, "memcached"),
            (PREFIX, "app."),
            (HASH_STRATEGY, "standard"),
        ]);
        assert_eq!(
            (c.prefix.as_str(), c.pool.strategy),
            ("app.", Strategy::Standard)
        );
        let c = load(&[(COMPAT, "memcache"), (SESSION_REDUNDANCY, "3")]);
        assert_eq!(c.placement.redundancy, 3);
        assert_eq!(
            load(&[(HASH_STRATEGY, "ketama")]).pool.strategy,
            Strategy::Ketama
        );
    }

    /// README's directive table and `stubs/rsmemcache.ini` agree with the code.
    #[test]
    fn docs_list_every_directive_with_its_default() {
        let root = env!("CARGO_MANIFEST_DIR");
        let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
        let stub = std::fs::read_to_string(format!("{root}/stubs/rsmemcache.ini"))
            .expect("stubs/rsmemcache.ini");
        for d in DIRECTIVES {
            let (name, default) = (d.name.to_str().unwrap(), d.default.to_str().unwrap());
            let row = format!("| `{name}` | `{default}` | {} |", d.unit);
            assert!(
                readme.contains(&row),
                "README.md lacks the row starting {row}"
            );
            let line = format!("{name} = {default}\n");
            assert!(
                stub.contains(&line),
                "stubs/rsmemcache.ini lacks the line {line:?}"
            );
        }
        let count = |text: &str, start: &str| text.lines().filter(|l| l.starts_with(start)).count();
        assert_eq!(
            count(&stub, "rsmemcache."),
            DIRECTIVES.len(),
            "stub lists a directive the code lacks"
        );
        assert_eq!(
            count(&readme, "| `rsmemcache."),
            DIRECTIVES.len(),
            "README lists a directive the code lacks"
        );
    }
}
