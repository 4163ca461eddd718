//! The directives' names and the table of their defaults, units and
//! meanings: the single source of truth that `docs/directives.md`,
//! `stubs/rsmemcache.ini`, `php --ri` and PHP's ini registration follow.

use std::ffi::CStr;

/// Where a directive may be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anywhere, `ini_set()` included (`PHP_INI_ALL`).
    All,
    /// A system setting (`PHP_INI_SYSTEM | PHP_INI_PERDIR`): php.ini,
    /// `-d`, the server's or pool's configuration (`php_admin_value`,
    /// `PHP_VALUE`), `.user.ini`/`.htaccess`; `ini_set()` is refused with a
    /// warning (`on_modify` in `src/php/ini.rs`).
    System,
    /// A system setting that names a file: also checked against
    /// `open_basedir` at every use, and the file's owner and mode
    /// ([`crate::secrets::secret_file::read_checked`]).
    SystemFile,
}

impl Access {
    /// Whether a script may change the directive with `ini_set()`.
    #[must_use]
    pub const fn runtime(self) -> bool {
        matches!(self, Self::All)
    }

    /// The name the directive table (docs/directives.md) gives it.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::System | Self::SystemFile => "system",
        }
    }
}

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
    /// Where it may be set.
    pub access: Access,
}

/// `rsmemcache.prefix`: prepended to every session id to form the key.
pub const PREFIX: &CStr = c"rsmemcache.prefix";
/// `rsmemcache.connect_timeout`: TCP/unix connect timeout, milliseconds.
pub const CONNECT_TIMEOUT: &CStr = c"rsmemcache.connect_timeout";
/// `rsmemcache.timeout`: milliseconds a round trip may take on one server
/// (one deadline per pipeline: its writes and all its replies).
pub const TIMEOUT: &CStr = c"rsmemcache.timeout";
/// `rsmemcache.retry_interval`: seconds a failed server is skipped.
pub const RETRY_INTERVAL: &CStr = c"rsmemcache.retry_interval";
/// `rsmemcache.compat`: `none`, `memcache` or `memcached` — whose key layout
/// and placement defaults to follow.
pub const COMPAT: &CStr = c"rsmemcache.compat";
/// `rsmemcache.key_hash`: `sha256` (default) or `none` — whether the
/// memcached keys and the durable table's id hold SHA-256 of the session id
/// ([`crate::core::keys::hashed_id`]) or the id itself. Applies to `compat=none`
/// only; the compat layouts keep the raw id.
pub const KEY_HASH: &CStr = c"rsmemcache.key_hash";
/// `rsmemcache.key_hash_migrate`: 1 to look for a session missing under its
/// hashed key under its raw key too (and its row under the raw id), and
/// move it to the hashed key under the session's lock.
pub const KEY_HASH_MIGRATE: &CStr = c"rsmemcache.key_hash_migrate";
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

/// `rsmemcache.previous_save_path`: the server list (save_path syntax) in
/// use before the pool was resized; empty: none. While set, a session that
/// misses at its new home is looked up where this list placed it, in the
/// same round trip, and moved (see [`crate::net::pool::previous`]).
pub const PREVIOUS_SAVE_PATH: &CStr = c"rsmemcache.previous_save_path";

/// `rsmemcache.locking`: 1 to lock sessions for the request, 0 not to.
pub const LOCKING: &CStr = c"rsmemcache.locking";
/// `rsmemcache.lock_wait_time`: how long to wait for a held lock, milliseconds.
pub const LOCK_WAIT_TIME: &CStr = c"rsmemcache.lock_wait_time";
/// `rsmemcache.lock_expire`: lock TTL, seconds.
pub const LOCK_EXPIRE: &CStr = c"rsmemcache.lock_expire";
/// `rsmemcache.lock_failure`: `error` or `readonly`.
pub const LOCK_FAILURE: &CStr = c"rsmemcache.lock_failure";
/// `rsmemcache.lock_wait_log`: log lock waits longer than this, milliseconds
/// (0 = off).
pub const LOCK_WAIT_LOG: &CStr = c"rsmemcache.lock_wait_log";

/// `rsmemcache.auth_file`: path of a file whose first line is
/// `user:password`, for memcached ASCII authentication (`memcached -Y`);
/// empty: none. Only the path is ever shown.
pub const AUTH_FILE: &CStr = c"rsmemcache.auth_file";

/// `rsmemcache.encryption_key_file`: path of a file of keys (`<id> <key>`
/// a line, [`crate::secrets::crypt::KeyRing::parse`]) that seal every session value;
/// empty: values are stored in plaintext. Only the path is ever shown.
pub const ENCRYPTION_KEY_FILE: &CStr = c"rsmemcache.encryption_key_file";
/// `rsmemcache.encryption_accept_plaintext`: 1 to read plaintext values
/// while encryption is on (switching a farm over; they are rewritten
/// sealed on their next write).
pub const ENCRYPTION_ACCEPT_PLAINTEXT: &CStr = c"rsmemcache.encryption_accept_plaintext";
/// `rsmemcache.encryption_accept_plaintext_until`: unix time (s) from which
/// plaintext values are refused whatever `encryption_accept_plaintext`
/// says; 0: no end.
pub const ENCRYPTION_ACCEPT_PLAINTEXT_UNTIL: &CStr =
    c"rsmemcache.encryption_accept_plaintext_until";

/// `rsmemcache.tls`: 1 to use TLS to every TCP server of save_path (for
/// php-memcached-style lists, which have no scheme).
pub const TLS: &CStr = c"rsmemcache.tls";
/// `rsmemcache.tls_ca_file`: PEM file of the CA(s) that signed the servers'
/// certificates; empty: the system's roots.
pub const TLS_CA_FILE: &CStr = c"rsmemcache.tls_ca_file";
/// `rsmemcache.tls_cert_file`: PEM client certificate (memcached
/// `ssl_verify_mode=2`); empty: none.
pub const TLS_CERT_FILE: &CStr = c"rsmemcache.tls_cert_file";
/// `rsmemcache.tls_key_file`: PEM private key of the client certificate.
pub const TLS_KEY_FILE: &CStr = c"rsmemcache.tls_key_file";
/// `rsmemcache.tls_server_name`: the name to verify in the servers'
/// certificates (for save_paths of IP addresses); empty: the host.
pub const TLS_SERVER_NAME: &CStr = c"rsmemcache.tls_server_name";
/// `rsmemcache.tls_verify_peer`: 1 to verify the servers' certificates
/// (chain and name); 0 only for tests (a warning line in `php --ri`).
pub const TLS_VERIFY_PEER: &CStr = c"rsmemcache.tls_verify_peer";

/// `rsmemcache.durable_dsn`: the durable tier's database
/// (`mysql://host:port/database` or `/path/to/socket?database=NAME`);
/// empty = no durable tier.
pub const DURABLE_DSN: &CStr = c"rsmemcache.durable_dsn";
/// `rsmemcache.durable_credentials_file`: file whose first line is
/// `user:password` for the database (its content is never shown).
pub const DURABLE_CREDENTIALS_FILE: &CStr = c"rsmemcache.durable_credentials_file";
/// `rsmemcache.durable_table`: the session table.
pub const DURABLE_TABLE: &CStr = c"rsmemcache.durable_table";
/// `rsmemcache.durable_write_every`: write to the database on every Nth
/// change (and always on create, regenerate, destroy).
pub const DURABLE_WRITE_EVERY: &CStr = c"rsmemcache.durable_write_every";
/// `rsmemcache.durable_timeout`: database connect/read/write timeout, ms.
pub const DURABLE_TIMEOUT: &CStr = c"rsmemcache.durable_timeout";
/// `rsmemcache.durable_failure`: `degrade` or `error`.
pub const DURABLE_FAILURE: &CStr = c"rsmemcache.durable_failure";
/// `rsmemcache.durable_tls`: `required` (TLS with the database's
/// certificate verified on a TCP DSN) or `off`.
pub const DURABLE_TLS: &CStr = c"rsmemcache.durable_tls";
/// `rsmemcache.durable_tls_ca_file`: PEM file of the CA(s) of the
/// database's certificate.
pub const DURABLE_TLS_CA_FILE: &CStr = c"rsmemcache.durable_tls_ca_file";
/// `rsmemcache.durable_tls_server_name`: empty or the DSN's host.
pub const DURABLE_TLS_SERVER_NAME: &CStr = c"rsmemcache.durable_tls_server_name";
/// `rsmemcache.durable_server_public_key_file`: the database's RSA public
/// key (PEM), pinned for `caching_sha2_password` over plaintext TCP.
pub const DURABLE_SERVER_PUBLIC_KEY_FILE: &CStr = c"rsmemcache.durable_server_public_key_file";

/// `rsmemcache.test_allow_ini_set`: 1 lets `ini_set()` change the system
/// settings too ([`Access::System`]) — for test suites, which vary them
/// between requests of one process; never in production. Itself a system
/// setting that `ini_set()` never changes.
pub const TEST_ALLOW_INI_SET: &CStr = c"rsmemcache.test_allow_ini_set";

/// Every directive, in the order `php --ri rsmemcache` shows them.
pub const DIRECTIVES: [Directive; 39] = [
    Directive {
        name: PREFIX,
        default: c"rsmemcache.sess.",
        unit: "-",
        doc: "key prefix; key = prefix + hashed session id (see key_hash; prefix + id at most 250 bytes in all); left at this default, rsmemcache.compat supplies its own",
        access: Access::All,
    },
    Directive {
        name: COMPAT,
        default: c"none",
        unit: "-",
        doc: "none | memcache | memcached: key layout and placement of the handler you migrate from",
        access: Access::All,
    },
    Directive {
        name: KEY_HASH,
        default: c"sha256",
        unit: "-",
        doc: "sha256 | none: keys and durable id hold base64url SHA-256 of the session id, or the id itself; compat=memcache|memcached always keep the raw id",
        access: Access::All,
    },
    Directive {
        name: KEY_HASH_MIGRATE,
        default: c"0",
        unit: "-",
        doc: "1 (with key_hash=sha256): a session missing under its hashed key is read under its raw key (and raw table id) and moved under the lock",
        access: Access::All,
    },
    Directive {
        name: CONNECT_TIMEOUT,
        default: c"1000",
        unit: "ms",
        doc: "connect timeout per server (1-600000)",
        access: Access::All,
    },
    Directive {
        name: TIMEOUT,
        default: c"1000",
        unit: "ms",
        doc: "deadline of one pipeline: its writes and all its replies (1-600000)",
        access: Access::All,
    },
    Directive {
        name: RETRY_INTERVAL,
        default: c"15",
        unit: "s",
        doc: "a failed server is skipped for this long (0-86400); save_path retry_interval overrides",
        access: Access::All,
    },
    Directive {
        name: HASH_STRATEGY,
        default: c"consistent",
        unit: "-",
        doc: "consistent | standard (pecl-memcache placement) | ketama (php-memcached placement)",
        access: Access::All,
    },
    Directive {
        name: HASH_FUNCTION,
        default: c"crc32",
        unit: "-",
        doc: "crc32 | fnv (consistent and standard only)",
        access: Access::All,
    },
    Directive {
        name: ALLOW_FAILOVER,
        default: c"1",
        unit: "-",
        doc: "1: a session whose server is unreachable is served by the next server in its probe order",
        access: Access::All,
    },
    Directive {
        name: MAX_FAILOVER_ATTEMPTS,
        default: c"20",
        unit: "-",
        doc: "probes (key-0, key-1, ...) made to find a session's servers (1-1000)",
        access: Access::All,
    },
    Directive {
        name: SESSION_REDUNDANCY,
        default: c"1",
        unit: "-",
        doc: "copies of each session, on distinct reachable servers (1-16); compat=memcache makes it 2",
        access: Access::All,
    },
    Directive {
        name: PREVIOUS_SAVE_PATH,
        default: c"",
        unit: "-",
        doc: "server list before a resize (save_path syntax, same hash settings): sessions missing at their new home are read and moved from there; empty: off",
        access: Access::All,
    },
    Directive {
        name: LOCKING,
        default: c"1",
        unit: "-",
        doc: "1: lock the session from read to write/close; 0: no lock traffic",
        access: Access::All,
    },
    Directive {
        name: LOCK_WAIT_TIME,
        default: c"30000",
        unit: "ms",
        doc: "how long session_start() waits for another request's lock (0-600000)",
        access: Access::All,
    },
    Directive {
        name: LOCK_EXPIRE,
        default: c"20",
        unit: "s",
        doc: "lock TTL, so a crashed worker's lock frees itself (1-86400, never 0)",
        access: Access::All,
    },
    Directive {
        name: LOCK_FAILURE,
        default: c"error",
        unit: "-",
        doc: "error | readonly: what happens when the wait runs out",
        access: Access::All,
    },
    Directive {
        name: LOCK_WAIT_LOG,
        default: c"1000",
        unit: "ms",
        doc: "a lock wait longer than this writes one error-log line naming the holder (0 = off; 0-600000)",
        access: Access::All,
    },
    Directive {
        name: AUTH_FILE,
        default: c"",
        unit: "-",
        doc: "file whose first line is user:password, sent on each new connection (memcached -Y); empty: no authentication",
        access: Access::SystemFile,
    },
    Directive {
        name: TLS,
        default: c"0",
        unit: "-",
        doc: "1: TLS to every TCP server of save_path (tls:// URLs use TLS anyway)",
        access: Access::System,
    },
    Directive {
        name: TLS_CA_FILE,
        default: c"",
        unit: "-",
        doc: "PEM file of the CA(s) of the servers' certificates; empty: the system's roots",
        access: Access::SystemFile,
    },
    Directive {
        name: TLS_CERT_FILE,
        default: c"",
        unit: "-",
        doc: "PEM client certificate (memcached ssl_verify_mode=2); empty: none",
        access: Access::SystemFile,
    },
    Directive {
        name: TLS_KEY_FILE,
        default: c"",
        unit: "-",
        doc: "PEM private key of rsmemcache.tls_cert_file",
        access: Access::SystemFile,
    },
    Directive {
        name: TLS_SERVER_NAME,
        default: c"",
        unit: "-",
        doc: "name verified in the servers' certificates (for IP addresses in save_path); empty: the host",
        access: Access::System,
    },
    Directive {
        name: TLS_VERIFY_PEER,
        default: c"1",
        unit: "-",
        doc: "1: verify the servers' certificates (chain and name); 0: do not (php --ri warns)",
        access: Access::System,
    },
    Directive {
        name: ENCRYPTION_KEY_FILE,
        default: c"",
        unit: "-",
        doc: "file of keys, one '<id> <64 hex digits or base64>' a line: the first seals session values (XChaCha20-Poly1305), all open; empty: plaintext",
        access: Access::SystemFile,
    },
    Directive {
        name: ENCRYPTION_ACCEPT_PLAINTEXT,
        default: c"0",
        unit: "-",
        doc: "1: with encryption on, read plaintext values too (rewritten encrypted on their next write); 0: treat them as absent",
        access: Access::System,
    },
    Directive {
        name: ENCRYPTION_ACCEPT_PLAINTEXT_UNTIL,
        default: c"0",
        unit: "s",
        doc: "unix time at which encryption_accept_plaintext = 1 ends by itself (plaintext refused from then on); 0: no end",
        access: Access::System,
    },
    Directive {
        name: DURABLE_DSN,
        default: c"",
        unit: "-",
        doc: "durable tier behind memcached: mysql://host:port/database or /path/to/socket?database=NAME; empty: off",
        access: Access::System,
    },
    Directive {
        name: DURABLE_CREDENTIALS_FILE,
        default: c"",
        unit: "-",
        doc: "file whose first line is user:password for the durable tier (never shown)",
        access: Access::SystemFile,
    },
    Directive {
        name: DURABLE_TABLE,
        default: c"rsmemcache_sessions",
        unit: "-",
        doc: "session table of the durable tier (stubs/rsmemcache-durable.sql)",
        access: Access::All,
    },
    Directive {
        name: DURABLE_WRITE_EVERY,
        default: c"1",
        unit: "-",
        doc: "write a session to the database on every Nth change, always on create (1-1000000)",
        access: Access::All,
    },
    Directive {
        name: DURABLE_TIMEOUT,
        default: c"1000",
        unit: "ms",
        doc: "durable tier connect/read/write timeout (1-600000)",
        access: Access::All,
    },
    Directive {
        name: DURABLE_FAILURE,
        default: c"degrade",
        unit: "-",
        doc: "degrade | error: database down: work from memcached alone, or fail writes",
        access: Access::All,
    },
    Directive {
        name: DURABLE_TLS,
        default: c"required",
        unit: "-",
        doc: "required | off: TLS to a TCP DSN with the certificate's chain and host verified; off: plaintext (set explicitly; unix sockets never use TLS); system-level",
        access: Access::System,
    },
    Directive {
        name: DURABLE_TLS_CA_FILE,
        default: c"",
        unit: "-",
        doc: "PEM file of the CA(s) of the database's certificate (added to the bundled public roots); system-level",
        access: Access::SystemFile,
    },
    Directive {
        name: DURABLE_TLS_SERVER_NAME,
        default: c"",
        unit: "-",
        doc: "empty or the DSN's host: the client verifies the host it connects to (write the certificate's name in the DSN); system-level",
        access: Access::System,
    },
    Directive {
        name: DURABLE_SERVER_PUBLIC_KEY_FILE,
        default: c"",
        unit: "-",
        doc: "the database's RSA public key (PEM) for caching_sha2_password over plaintext TCP; empty: such a login is refused; system-level",
        access: Access::SystemFile,
    },
    Directive {
        name: TEST_ALLOW_INI_SET,
        default: c"0",
        unit: "-",
        doc: "1: ini_set() may change the system settings too (test suites only; never in production)",
        access: Access::System,
    },
];
