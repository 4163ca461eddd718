//! The server list in use before a resize (`rsmemcache.previous_save_path`):
//! its parsing, and where it places a session, within the pool of the
//! current list.
//!
//! Design: one merged pool, not a second pool. The current list's servers
//! come first, at the indexes the current distribution uses; the servers
//! only in the previous list are appended after them. A server in both lists
//! (same address and transport) is one [`super::Server`]: one set of idle
//! connections, one health record, one probe. So the look-up at the old home
//! rides in the same parallel round trip as the normal read
//! ([`super::Pool::execute_parallel`] takes jobs for any server of the
//! merged list), and a server failing for one list is failed for the other.
//! The previous list gets its own [`Distribution`] built with the same hash
//! strategy and function (they must not change in a resize), whose indexes
//! are mapped to the merged pool's. A second pool would have needed a
//! round trip per pool, or a driver spanning two pools, and would have kept
//! two sets of connections to the servers in both lists.

use super::{Pool, PoolSettings, Server};
use crate::{
    core::hash::Distribution,
    core::save_path::{self, ServerSpec},
    error::{Error, Result},
};
use parking_lot::Mutex;

/// A server's part in a resize, as `php --ri` and `rsmemcache_servers()`
/// show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// In the current list only (or no previous list is set).
    Current,
    /// In both the current and the previous list.
    Both,
    /// Only in the previous list: read (and emptied) by the moves, never a
    /// home of a session.
    Previous,
}

impl Role {
    /// `current`, `current+previous` or `previous`.
    #[must_use]
    pub fn text(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Both => "current+previous",
            Self::Previous => "previous",
        }
    }
}

/// The previous list's placement inside a merged pool.
#[derive(Debug)]
pub(super) struct Previous {
    /// The distribution over the previous list, in its own order.
    dist: Distribution,
    /// The merged pool's index of each server of the previous list.
    index: Vec<usize>,
}

/// Parses `rsmemcache.previous_save_path`: empty (or blank) is no list;
/// anything else follows the save_path rules, its errors naming the
/// directive ([`Error::PreviousSavePath`]).
///
/// # Errors
/// [`Error::PreviousSavePath`] for the first malformed entry, or for a value
/// that lists no server (only separators).
pub fn parse(text: &str) -> Result<Vec<ServerSpec>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    save_path::parse(text).map_err(|e| match e {
        Error::SavePath { entry, reason } => Error::PreviousSavePath { entry, reason },
        _ => Error::PreviousSavePath {
            entry: crate::error::escape_for_message(text.as_bytes(), 80),
            reason: "no server given (leave it empty for none)".to_owned(),
        },
    })
}

impl Pool {
    /// Builds a pool for the server list `specs` that also reaches the
    /// servers of `previous` (the list before a resize; empty: none), see
    /// the module docs. A previous list equal to `specs` is no previous
    /// list. No connection is opened until first use.
    ///
    /// # Panics
    /// If `specs` is empty.
    #[must_use]
    pub fn with_previous(
        specs: Vec<ServerSpec>,
        previous: &[ServerSpec],
        settings: &PoolSettings,
    ) -> Self {
        let dist = Distribution::new(settings.strategy, settings.function, &specs);
        let current = specs.len();
        let mut all = specs;
        let mut index = Vec::with_capacity(previous.len());
        let same = previous == all.as_slice();
        for p in previous.iter().filter(|_| !same) {
            let at = all.iter().position(|s| s.addr == p.addr && s.tls == p.tls);
            index.push(at.unwrap_or_else(|| {
                all.push(p.clone());
                all.len() - 1
            }));
        }
        let servers = all
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let mut server = Server::new(s, settings);
                server.role = match (i < current, index.contains(&i)) {
                    (true, false) => Role::Current,
                    (true, true) => Role::Both,
                    (false, _) => Role::Previous,
                };
                server
            })
            .collect();
        Self {
            servers,
            current,
            previous: (!index.is_empty()).then(|| Previous {
                dist: Distribution::new(settings.strategy, settings.function, previous),
                index,
            }),
            dist,
            events: Mutex::new(Vec::new()),
            auth_file: Some(settings.auth_file.clone()).filter(|p| !p.is_empty()),
            tls: settings.tls.clone(),
        }
    }

    /// Servers of the current list (the first ones of [`Pool::servers`]).
    #[must_use]
    pub fn current_count(&self) -> usize {
        self.current
    }

    /// The previous list's probe order for a key hashed as `hash_key` (its
    /// home first), as indexes of this pool; empty without a previous list.
    #[must_use]
    pub fn previous_order(&self, hash_key: &[u8], max_probes: usize) -> Vec<usize> {
        self.previous.as_ref().map_or_else(Vec::new, |p| {
            p.dist
                .probe_order(hash_key, max_probes)
                .into_iter()
                .map(|i| p.index[i])
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::hash::{HashFunction, Strategy};

    fn settings() -> PoolSettings {
        PoolSettings {
            connect_timeout_ms: 100,
            timeout_ms: 100,
            retry_interval_s: 15,
            retry_interval_cap_s: 86_400,
            strategy: Strategy::Consistent,
            function: HashFunction::Crc32,
            auth_file: String::new(),
            tls: crate::net::tls::TlsSettings::default(),
            previous_save_path: String::new(),
        }
    }

    #[test]
    fn shared_servers_are_one_server_and_the_rest_are_appended() {
        let now = save_path::parse("127.0.0.1:1,127.0.0.1:2,127.0.0.1:4").unwrap();
        let before = parse("127.0.0.1:3, 127.0.0.1:1 127.0.0.1:2").unwrap();
        let pool = Pool::with_previous(now, &before, &settings());
        let roles: Vec<_> = pool.servers().iter().map(|s| s.role().text()).collect();
        assert_eq!(
            roles,
            [
                "current+previous",
                "current+previous",
                "current",
                "previous"
            ]
        );
        assert_eq!(pool.current_count(), 3);
        assert_eq!(pool.servers()[3].label(), "127.0.0.1:3");
        // The previous placement is the previous list's own, mapped.
        let alone = Distribution::new(Strategy::Consistent, HashFunction::Crc32, &before);
        let map = [3, 0, 1];
        for k in 0..200 {
            let key = format!("rsmemcache.sess.{k}");
            let want: Vec<usize> = alone
                .probe_order(key.as_bytes(), 3)
                .into_iter()
                .map(|i| map[i])
                .collect();
            assert_eq!(pool.previous_order(key.as_bytes(), 3), want);
        }
    }

    #[test]
    fn no_or_the_same_previous_list_places_nothing() {
        let now = save_path::parse("127.0.0.1:1,127.0.0.1:2").unwrap();
        let pool = Pool::with_previous(now.clone(), &now, &settings());
        assert!(pool.previous_order(b"k", 3).is_empty());
        assert_eq!(pool.servers().len(), 2);
        assert_eq!(pool.servers()[0].role(), Role::Current);
        let pool = Pool::with_previous(now, &[], &settings());
        assert!(pool.previous_order(b"k", 3).is_empty());
    }

    #[test]
    fn bad_lists_name_the_directive() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("  ").unwrap().is_empty());
        let e = parse("127.0.0.1:1,http://x:1").unwrap_err().to_string();
        assert!(
            e.starts_with(
                "invalid rsmemcache.previous_save_path entry 'http://x:1': unknown scheme 'http'"
            ),
            "{e}"
        );
        let e = parse(",").unwrap_err().to_string();
        assert!(
            e.starts_with("invalid rsmemcache.previous_save_path entry ','"),
            "{e}"
        );
    }
}
