//! The driver's hooks into the durable tier ([`crate::durable`]): a read
//! that found no copy asks the database and writes the row back to the
//! copies; a write, an expiry refresh, a destroy and gc reach the database
//! after memcached, as [`crate::durable::plan`] decides. Failures follow
//! `rsmemcache.durable_failure` inside [`crate::durable::Tier::call`]; the
//! log lines it returns go to this request's notices (PHP's error log).

use super::handler::{Handler, Opened, id_text};
use crate::{
    durable::{Row, plan},
    error::Result,
    keys::now_unix,
};

impl Handler {
    /// After a read that found no copy: the session's row, if there is one
    /// and it has not expired, becomes the session (at its version) and is
    /// written back to the copies (best effort, keeping what is left of its
    /// life). `Ok(empty)` when there is no row, or with `degrade` when the
    /// database failed.
    ///
    /// # Errors
    /// [`crate::error::Error::Durable`] with `durable_failure = error`.
    pub(super) fn durable_read(&self, o: &mut Opened) -> Result<Vec<u8>> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(Vec::new());
        };
        let mut log = Vec::new();
        let key = o.keys.data.clone();
        let row = tier.call(false, &mut log, |s, known| {
            let row = s.load(&key)?;
            if let Some(r) = &row {
                known.insert(key.clone(), r.expires_at);
            }
            Ok(row)
        });
        self.notices.borrow_mut().append(&mut log);
        let now = now_unix();
        let Some(row) = row?.flatten().filter(|r| plan::alive(r.expires_at, now)) else {
            return Ok(Vec::new());
        };
        o.version = row.version;
        let all: Vec<usize> = (0..o.copies.len()).collect();
        self.notices.borrow_mut().push(format!(
            "session {}: no copy in memcached; version {} restored from the durable tier",
            id_text(&o.sid),
            row.version
        ));
        self.repair(
            o,
            &all,
            &row.data,
            Some(plan::ttl_left(row.expires_at, now)),
        );
        Ok(row.data)
    }

    /// After memcached confirmed a write of `data` (the session was at
    /// `previous` before, at `o.version` now): upserts the row when
    /// `durable_write_every` (or a missed write, or a row near its expiry)
    /// says so.
    ///
    /// # Errors
    /// [`crate::error::Error::Durable`] with `durable_failure = error`.
    pub(super) fn durable_write(
        &self,
        o: &Opened,
        data: &[u8],
        previous: u32,
        maxlifetime: i64,
    ) -> Result<()> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(());
        };
        let now = now_unix();
        let every = tier.settings().write_every;
        let due = plan::write_due(previous, o.version, every, tier.missed_write())
            || plan::touch_due(tier.known_expiry(&o.keys.data), now, maxlifetime);
        if due {
            self.durable_save(o, data, now, maxlifetime)
        } else {
            Ok(())
        }
    }

    /// After an expiry refresh of an unchanged session (lazy_write): pushes
    /// the row's expiry out only when it could fall due before the next
    /// likely refresh ([`plan::touch_due`]); otherwise no database I/O.
    ///
    /// # Errors
    /// [`crate::error::Error::Durable`] with `durable_failure = error`.
    pub(super) fn durable_touch(&self, o: &Opened, data: &[u8], maxlifetime: i64) -> Result<()> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(());
        };
        let now = now_unix();
        if tier.missed_write() || plan::touch_due(tier.known_expiry(&o.keys.data), now, maxlifetime)
        {
            self.durable_save(o, data, now, maxlifetime)
        } else {
            Ok(())
        }
    }

    fn durable_save(&self, o: &Opened, data: &[u8], now: i64, maxlifetime: i64) -> Result<()> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(());
        };
        let row = Row {
            data: data.to_vec(),
            version: o.version,
            expires_at: plan::expires_at(now, maxlifetime),
        };
        let key = &o.keys.data;
        let mut log = Vec::new();
        let r = tier.call(true, &mut log, |s, known| {
            s.save(key, &row, now)?;
            known.insert(key.clone(), row.expires_at);
            Ok(())
        });
        self.notices.borrow_mut().append(&mut log);
        r.map(drop)
    }

    /// Deletes the session's row (after its copies were deleted).
    ///
    /// # Errors
    /// [`crate::error::Error::Durable`] with `durable_failure = error`.
    pub(super) fn durable_destroy(&self, sid: &[u8]) -> Result<()> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(());
        };
        let key = self.keys_for(sid)?.data;
        let mut log = Vec::new();
        let r = tier.call(true, &mut log, |s, known| {
            s.delete(&key)?;
            known.remove(&key);
            Ok(())
        });
        self.notices.borrow_mut().append(&mut log);
        r.map(drop)
    }

    /// `session_gc()`: deletes the expired rows of the durable tier and
    /// returns how many (0 without the tier: memcached expires its copies
    /// by TTL).
    ///
    /// # Errors
    /// [`crate::error::Error::Durable`] with `durable_failure = error`.
    pub fn gc(&self) -> Result<u64> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(0);
        };
        let mut log = Vec::new();
        let now = now_unix();
        let r = tier.call(false, &mut log, |s, known| {
            known.retain(|_, exp| *exp > now);
            s.gc(now)
        });
        self.notices.borrow_mut().append(&mut log);
        Ok(r?.unwrap_or(0))
    }
}
