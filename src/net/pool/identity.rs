//! A server's identity in the state its pool shares with the master's
//! other workers (failure state, counters).

use super::PoolSettings;
use crate::core::save_path::ServerSpec;

/// The identity of a server in the state shared by a master's workers
/// ([`crate::shared_state::shared::Cells`], which adds the effective uid) and in the counters: its label, plus — where how it
/// is reached can make it fail for one pool and not another — a tag for
/// TLS or authentication and a CRC-32 of those settings (paths and flags
/// only, never a secret): a TLS name mismatch or refused credentials under
/// one pool's settings says nothing of the same daemon under another's.
/// E.g. `127.0.0.1:11211 [tls 1a2b3c4d]`.
pub(super) fn shared_identity(spec: &ServerSpec, label: &str, s: &PoolSettings) -> String {
    let tls = spec.tls
        || (s.tls.all && matches!(spec.addr, crate::core::save_path::ServerAddr::Tcp { .. }));
    let auth = !s.auth_file.is_empty();
    let tag = match (tls, auth) {
        (false, false) => return label.to_owned(),
        (false, true) => "auth",
        (true, false) => "tls",
        (true, true) => "tls+auth",
    };
    let t = &s.tls;
    let settings = if tls {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            t.ca_file, t.cert_file, t.key_file, t.server_name, t.verify_peer, s.auth_file
        )
    } else {
        s.auth_file.clone()
    };
    format!(
        "{label} [{tag} {:08x}]",
        crc32fast::hash(settings.as_bytes())
    )
}
