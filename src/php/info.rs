//! MINFO: the table `php --ri rsmemcache` and `phpinfo()` show.

use super::{engine::ini_string, functions::stats_snapshot, sys};

/// MINFO: the table `php --ri rsmemcache` and phpinfo() show: version,
/// protocol, the servers of this process's pools and the counters of its
/// effective uid (never another pool user's), then every directive.
///
/// # Safety
/// `module` is the engine's pointer to our module entry.
pub unsafe extern "C" fn module_info(module: *mut ext_php_rs::zend::ModuleEntry) {
    // A panic must not unwind into the engine; the table is simply cut short.
    let _ = super::guard::catch(info_table);
    // SAFETY: the engine passed our module entry; display_ini_entries only reads it.
    unsafe { sys::display_ini_entries(module) };
}

/// The rows of the MINFO table (a server whose label held a NUL byte would
/// panic in `info_table_row!`; save_path parsing never yields one).
fn info_table() {
    let version = env!("CARGO_PKG_VERSION");
    let servers: Vec<(String, String)> = crate::net::registry::all()
        .iter()
        .flat_map(|p| {
            p.servers()
                .iter()
                .map(|s| {
                    let st = s.status();
                    let mut state = match (st.retry_in_ms, &st.last_error) {
                        (Some(ms), Some(e)) => format!("failed, retry in {ms} ms ({e})"),
                        (Some(ms), None) => format!("failed, retry in {ms} ms"),
                        (None, _) => st.state.to_owned(),
                    };
                    if st.role != "current" {
                        // A resize is under way (rsmemcache.previous_save_path).
                        state = format!("{state} ({} list)", st.role);
                    }
                    (st.label, state)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    ext_php_rs::info_table_start!();
    ext_php_rs::info_table_row!("rsmemcache support", "enabled");
    ext_php_rs::info_table_row!("version", version);
    ext_php_rs::info_table_row!("save handler", "rsmemcache");
    ext_php_rs::info_table_row!("protocol", "memcached meta commands (mg, ms, md)");
    ext_php_rs::info_table_row!(
        "failure state",
        if crate::shared_state::shared::region().is_some() {
            format!(
                "shared by the workers of this master running as uid {}",
                crate::shared_state::shared::euid()
            )
        } else {
            "per process (no shared table)".to_owned()
        }
    );
    for (label, state) in &servers {
        ext_php_rs::info_table_row!(format!("server {label}"), state.as_str());
    }
    let verify = ini_string(crate::config::TLS_VERIFY_PEER).unwrap_or_default();
    if crate::config::validate(crate::config::TLS_VERIFY_PEER, &verify).is_ok()
        && matches!(
            verify.trim().to_ascii_lowercase().as_str(),
            "0" | "off" | "false" | "no" | ""
        )
    {
        ext_php_rs::info_table_row!(
            "WARNING",
            "rsmemcache.tls_verify_peer = 0: TLS servers' certificates are not verified; anyone in the path can pose as a memcached server"
        );
    }
    let snap = stats_snapshot();
    for (t, key, _) in crate::shared_state::stats::TOTALS {
        ext_php_rs::info_table_row!(format!("stats {key}"), snap.total(t).to_string());
    }
    for (label, v) in &snap.servers {
        let row = crate::shared_state::stats::SERVER_COUNTERS
            .iter()
            .zip(v)
            .map(|((_, key, _), n)| format!("{key}={n}"))
            .collect::<Vec<_>>()
            .join(" ");
        ext_php_rs::info_table_row!(format!("stats {label}"), row);
    }
    ext_php_rs::info_table_end!();
}
