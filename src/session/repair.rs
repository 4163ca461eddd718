//! Read repair: after a read picked the newest copy, the stale and missing
//! copies are brought to it (CAS-guarded), best effort, in one round trip.
//! The same store step moves a session found at its previous home after a
//! resize ([`super::resize`]).

use super::{
    handler::{Handler, Opened, id_prefix},
    plan::{Batch, Tag, over_limit, store_cmd},
};
use crate::{
    core::keys,
    net::protocol::Reply,
    shared_state::stats::{self, Total},
};

impl Handler {
    /// Writes the newest copy over stale ones (CAS: only if unchanged since
    /// read) and into missing ones (add), keeping its remaining TTL. Best
    /// effort: a copy that cannot be repaired now is rewritten by the next
    /// write (unconditionally: it is marked not `read`), and is never read
    /// over the newest one meanwhile.
    pub(super) fn repair(&self, o: &mut Opened, stale: &[usize], data: &[u8], ttl: Option<i64>) {
        let stored = self.store_newest(o, stale, data, ttl);
        if stored > 0 {
            stats::bump(Total::ReadRepairs);
            self.notices.borrow_mut().push(format!(
                "session {}: read repair wrote version {} to {} stale or missing cop{}",
                id_prefix(&o.sid),
                o.version,
                stored,
                if stored == 1 { "y" } else { "ies" }
            ));
        }
    }

    /// Writes `data` at version `o.version` to the copies at `targets`
    /// (indexes of `o.copies`): over a copy read with a CAS id only if it
    /// is unchanged, into a missing one as an add (never over a copy that
    /// appeared meanwhile), keeping the remaining TTL `ttl` (seconds;
    /// `None`: [`keys::FALLBACK_MAXLIFETIME`]), in one round trip. Returns
    /// how many were stored; the others are marked not `read`, so the next
    /// write stores them unconditionally. Shared by read repair and the
    /// move of a session after a resize ([`super::resize`]).
    pub(super) fn store_newest(
        &self,
        o: &mut Opened,
        targets: &[usize],
        data: &[u8],
        ttl: Option<i64>,
    ) -> usize {
        let exptime = match ttl {
            Some(t) if t > 0 => t,
            Some(_) => 0,
            None => keys::FALLBACK_MAXLIFETIME,
        };
        // Sealed afresh (a plaintext copy read under accept_plaintext is
        // repaired sealed) with the expiry of the value it copies, so a
        // repair never lengthens a value's life; no nonce, no repair: the
        // next write retries.
        let now = keys::now_unix();
        let expires_at = o.expires_at.unwrap_or(match exptime {
            0 => now + keys::FALLBACK_MAXLIFETIME,
            t if t <= keys::MAX_RELATIVE_TTL => now + t,
            t => t,
        });
        let Ok((value, flags)) = self.codec.seal(&o.keys.data, data, o.version, expires_at) else {
            return 0;
        };
        let mut batch = Batch::default();
        for &i in targets {
            let c = o.copies[i];
            if over_limit(
                self.pool.known_item_size_max(c.server),
                &o.keys.data,
                &value,
            )
            .is_some()
            {
                continue;
            }
            batch.push(
                c.server,
                store_cmd(&o.keys.data, &value, exptime, flags, Some(c.cas)),
                Tag::Copy(i),
            );
        }
        let mut stored = Vec::new();
        for (_, tags, res) in self.run(batch) {
            let Ok(replies) = res else { continue };
            for (tag, reply) in tags.into_iter().zip(replies) {
                if let (Tag::Copy(i), Reply::Done(meta)) = (tag, reply) {
                    stored.push((i, meta.cas));
                }
            }
        }
        for &i in targets {
            // Older than the version read, and not repaired: its CAS is no
            // guard for the write (versions decide there).
            o.copies[i].read = stored.iter().any(|&(j, _)| j == i);
        }
        let n = stored.len();
        for (i, cas) in stored {
            o.copies[i].cas = cas;
        }
        n
    }
}
