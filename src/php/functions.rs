//! The userland functions `rsmemcache_servers()`, `rsmemcache_locate()`
//! and `rsmemcache_stats()` (declared in `stubs/rsmemcache.php`).

use super::{
    engine::{ini_string, warning},
    guard::guarded,
    settings::config,
};

/// The counters now: the shared table's servers of this process's
/// effective uid and this process's unshared ones.
pub(super) fn stats_snapshot() -> crate::shared_state::stats::Snapshot {
    let pools = crate::net::registry::all();
    crate::shared_state::stats::snapshot(pools.iter().flat_map(|p| {
        p.servers()
            .iter()
            .filter(|s| !s.is_shared())
            .map(|s| (s.label().to_owned(), s.slot()))
    }))
}

/// `rsmemcache_stats(?string $format = null): array|string|false` — the
/// counters since the master started (see `stubs/rsmemcache.php`): an array,
/// or with `'prometheus'` the Prometheus text. Another format gives a
/// warning and `false`.
#[must_use]
pub fn stats(format: Option<String>) -> ext_php_rs::types::Zval {
    use crate::shared_state::health::Fault;
    use crate::shared_state::stats::{SERVER_COUNTERS, ServerCounter, TOTALS};
    use ext_php_rs::types::{ZendHashTable, Zval};
    let mut out = Zval::new();
    let Some(snap) = guarded(None, || Ok(Some(stats_snapshot()))) else {
        out.set_bool(false);
        return out;
    };
    match format.as_deref() {
        None | Some("array") => {}
        Some("prometheus") => {
            // A string with a NUL byte cannot be built; labels never hold one.
            let _ = out.set_string(&snap.prometheus(), false);
            return out;
        }
        Some(other) => {
            warning(&format!(
                "rsmemcache_stats(): unknown format '{}' (use 'array' or 'prometheus')",
                crate::error::escape_for_message(other.as_bytes(), 32)
            ));
            out.set_bool(false);
            return out;
        }
    }
    let mut top = ZendHashTable::new();
    // Inserting into a fresh array fails only on allocation failure.
    let _ = top.insert("shared", snap.shared);
    for (t, key, _) in TOTALS {
        let _ = top.insert(key, int(snap.total(t)));
    }
    for (c, key, _) in SERVER_COUNTERS {
        let _ = top.insert(key, int(snap.server_sum(c)));
    }
    let timeouts = |f: &dyn Fn(ServerCounter) -> u64| {
        int(f(ServerCounter::Failed(Fault::ConnectTimeout))
            + f(ServerCounter::Failed(Fault::Timeout)))
    };
    let _ = top.insert("timeouts", timeouts(&|c| snap.server_sum(c)));
    let mut list = ZendHashTable::new();
    for (label, v) in &snap.servers {
        let mut row = ZendHashTable::new();
        let _ = row.insert("server", label.as_str());
        for (c, key, _) in SERVER_COUNTERS {
            let _ = row.insert(key, int(v[c.word()]));
        }
        let _ = row.insert("timeouts", timeouts(&|c| v[c.word()]));
        let _ = list.push(row);
    }
    let _ = top.insert("servers", list);
    out.set_hashtable(top);
    out
}

/// `rsmemcache_servers(?string $save_path = null): array|false` — the
/// servers of the pool for `$save_path` (default: `session.save_path`) under
/// the current `rsmemcache.*` directives, in save_path order, each as an
/// array (see `stubs/rsmemcache.php`). Builds the pool if this process has
/// not used it yet, without connecting. A bad save_path or directive gives
/// a warning and `false`.
#[must_use]
pub fn servers(save_path: Option<String>) -> ext_php_rs::types::Zval {
    use ext_php_rs::types::{ZendHashTable, Zval};
    let mut out = Zval::new();
    let list = guarded(None, || {
        let path = save_path
            .or_else(|| ini_string(c"session.save_path"))
            .unwrap_or_default();
        let config = config()?;
        let pool = crate::net::registry::pool_for(&path, &config.pool)?;
        Ok(Some(
            pool.servers()
                .iter()
                .map(crate::net::pool::Server::status)
                .collect::<Vec<_>>(),
        ))
    });
    let Some(list) = list else {
        out.set_bool(false);
        return out;
    };
    let mut rows = ZendHashTable::new();
    for s in list {
        let mut row = ZendHashTable::new();
        // Inserting into a fresh array only fails on allocation failure,
        // which the engine turns into a fatal error first.
        let _ = row.insert("server", s.label);
        let _ = row.insert("weight", i64::from(s.weight));
        let _ = row.insert("state", s.state);
        let _ = row.insert("failed_until", s.failed_until_unix);
        let _ = row.insert("retry_in_ms", s.retry_in_ms.map(int));
        let _ = row.insert("failures", int(s.failures));
        let _ = row.insert("last_error", s.last_error);
        let _ = row.insert(
            "idle_connections",
            i64::try_from(s.idle_connections).unwrap_or(i64::MAX),
        );
        let _ = row.insert("shared", s.shared);
        let _ = row.insert("role", s.role);
        let _ = rows.push(row);
    }
    // The durable tiers this process used (rsmemcache.durable_dsn).
    for t in crate::durable::all() {
        let s = t.status();
        let mut row = ZendHashTable::new();
        let _ = row.insert("server", s.label);
        let _ = row.insert("state", s.state);
        let _ = row.insert("retry_in_ms", s.retry_in_ms.map(int));
        let _ = row.insert("failures", int(s.failures));
        let _ = row.insert("last_error", s.last_error);
        let _ = rows.push(row);
    }
    out.set_hashtable(rows);
    out
}

/// `rsmemcache_locate(string $id, ?string $save_path = null): array|false`
/// — where session `$id` lives under the current directives, server health
/// left aside: `['key' => data key, 'servers' => probe order (labels, home
/// first), 'lock_key' => ..., 'lock_server' => label, 'table_id' => the
/// durable table's id, 'raw_key' => the raw key still looked up
/// (`key_hash_migrate`) or null]`. With `rsmemcache.key_hash = sha256` the
/// keys and the table id hold SHA-256 of the id, not the id. A refused id,
/// bad save_path or directive gives a warning and `false`.
#[must_use]
pub fn locate(id: &str, save_path: Option<String>) -> ext_php_rs::types::Zval {
    use ext_php_rs::types::{ZendHashTable, Zval};
    let mut out = Zval::new();
    let found = guarded(None, || {
        let path = save_path
            .or_else(|| ini_string(c"session.save_path"))
            .unwrap_or_default();
        let config = config()?;
        let h = crate::session::handler::Handler::open(&path, &config)?;
        let l = h.locate(id.as_bytes())?;
        let label = |i: usize| h.transport().label(i);
        let text = |k: &[u8]| String::from_utf8_lossy(k).into_owned();
        Ok(Some((
            text(&l.key),
            l.servers.iter().map(|&i| label(i)).collect::<Vec<_>>(),
            text(&l.lock_key),
            label(l.lock_server),
            l.raw_key.as_deref().map(text),
        )))
    });
    match found {
        Some((key, servers, lock_key, lock_server, raw_key)) => {
            let mut row = ZendHashTable::new();
            let mut list = ZendHashTable::new();
            for s in servers {
                let _ = list.push(s);
            }
            // Inserting into a fresh array fails only on allocation failure.
            let _ = row.insert("table_id", key.clone());
            let _ = row.insert("key", key);
            let _ = row.insert("servers", list);
            let _ = row.insert("lock_key", lock_key);
            let _ = row.insert("lock_server", lock_server);
            let _ = row.insert("raw_key", raw_key);
            out.set_hashtable(row);
        }
        None => out.set_bool(false),
    }
    out
}

/// A counter or duration as a PHP int (saturating at `i64::MAX`).
fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
