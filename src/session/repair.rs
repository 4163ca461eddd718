//! Read repair: after a read picked the newest copy, the stale and missing
//! copies are brought to it (CAS-guarded), best effort, in one round trip.

use super::{
    handler::{Handler, Opened, id_text},
    plan::{Batch, Tag, over_limit, store_cmd},
};
use crate::{
    keys,
    protocol::Reply,
    stats::{self, Total},
};

impl Handler {
    /// Writes the newest copy over stale ones (CAS: only if unchanged since
    /// read) and into missing ones (add), keeping its remaining TTL. Best
    /// effort: a copy that cannot be repaired now is rewritten by the next
    /// write (unconditionally: it is marked not `read`), and is never read
    /// over the newest one meanwhile.
    pub(super) fn repair(&self, o: &mut Opened, stale: &[usize], data: &[u8], ttl: Option<i64>) {
        let exptime = match ttl {
            Some(t) if t > 0 => t,
            Some(_) => 0,
            None => keys::FALLBACK_MAXLIFETIME,
        };
        // Sealed afresh (a plaintext copy read under accept_plaintext is
        // repaired sealed); no nonce, no repair: the next write retries.
        let Ok((value, flags)) = self.codec.seal(&o.keys.data, data, o.version) else {
            return;
        };
        let mut batch = Batch::default();
        for &i in stale {
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
        if !stored.is_empty() {
            stats::bump(Total::ReadRepairs);
            self.notices.borrow_mut().push(format!(
                "session {}: read repair wrote version {} to {} stale or missing cop{}",
                id_text(&o.sid),
                o.version,
                stored.len(),
                if stored.len() == 1 { "y" } else { "ies" }
            ));
        }
        for &i in stale {
            // Older than the version read, and not repaired: its CAS is no
            // guard for the write (versions decide there).
            o.copies[i].read = stored.iter().any(|&(j, _)| j == i);
        }
        for (i, cas) in stored {
            o.copies[i].cas = cas;
        }
    }
}
