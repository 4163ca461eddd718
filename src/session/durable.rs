//! The driver's hooks into the durable tier ([`crate::durable`]): a read
//! that found no copy asks the database and writes the row back to the
//! copies; a write, an expiry refresh, a destroy and gc reach the database
//! after memcached, as [`crate::durable::plan`] decides. Failures follow
//! `rsmemcache.durable_failure` inside [`crate::durable::Tier::call`]; the
//! log lines it returns go to this request's notices (PHP's error log).
//!
//! The row's id is the session's data key, hashed with
//! `rsmemcache.key_hash = sha256`. With `key_hash_migrate`, a row missing
//! under the hashed id is read under the raw id and moved (written under
//! the hashed id, the raw row deleted, in one call); a save or a destroy
//! deletes the raw row too, so a row left under the raw id never brings
//! back an older or destroyed session.

use super::handler::{Handler, Opened, id_prefix};
use crate::{
    core::keys::{SessionKeys, now_unix},
    core::lock::{self, Backoff, LockFailure, RealClock, Waited},
    durable::{Row, plan},
    error::{Error, Result},
    shared_state::stats::{self, Total},
};

/// Reads the row of `keys` through `tier`, remembering its expiry. With
/// [`SessionKeys::raw`] (`key_hash_migrate`), a row missing under the
/// data key that is alive under the raw key is moved: saved under the data
/// key and deleted under the raw one, in the same call (counted as
/// [`Total::KeyHashMoved`]).
fn load(
    tier: &crate::durable::Tier,
    keys: &SessionKeys,
    log: &mut Vec<String>,
) -> Result<Option<Option<Row>>> {
    let key = &keys.data;
    let raw = keys.raw.as_ref().map(|r| &r.data);
    let mut moved = false;
    let r = tier.call(false, log, |s, known| {
        let mut row = s.load(key)?;
        if let (None, Some(raw)) = (&row, raw) {
            let now = now_unix();
            if let Some(r) = s.load(raw)?.filter(|r| plan::alive(r.expires_at, now)) {
                s.save(key, &r, now)?;
                s.delete(raw)?;
                moved = true;
                row = Some(r);
            }
        }
        if let Some(r) = &row {
            known.insert(key.clone(), r.expires_at);
        }
        Ok(row)
    });
    if moved {
        stats::bump(Total::KeyHashMoved);
    }
    r
}

impl Handler {
    /// After a read that found no copy: the session's row, if there is one
    /// and it has not expired, becomes the session (at its version) and is
    /// written back to the copies (best effort, keeping what is left of its
    /// life). A row is used only if it opens ([`Handler::open_row`]) and is
    /// newer than the session's tombstone; a buried row is deleted (a
    /// destroy's delete that failed, done now). `Ok(empty)` when there is
    /// no row, or with `degrade` when the database failed.
    ///
    /// # Errors
    /// [`crate::error::Error::Durable`] with `durable_failure = error`.
    pub(super) fn durable_read(&self, o: &mut Opened) -> Result<Vec<u8>> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(Vec::new());
        };
        let mut log = Vec::new();
        let row = load(tier, &o.keys, &mut log);
        self.notices.borrow_mut().append(&mut log);
        let now = now_unix();
        let Some(row) = row?.flatten().filter(|r| plan::alive(r.expires_at, now)) else {
            return Ok(Vec::new());
        };
        if let Some(t) = o.tomb.filter(|t| t.buries(row.version)) {
            self.tomb_honoured(
                o,
                &t,
                &format!("the durable-tier row (version {})", row.version),
            );
            let key = o.keys.data.clone();
            let mut log = Vec::new();
            let _ = tier.call(true, &mut log, |s, known| {
                s.delete_upto(&key, t.version)?;
                known.remove(&key);
                Ok(())
            });
            self.notices.borrow_mut().append(&mut log);
            return Ok(Vec::new());
        }
        let Some(d) = self.open_row(o, row.data, row.version, "restored") else {
            return Ok(Vec::new());
        };
        o.version = row.version;
        o.expires_at = d.expires_at;
        let all: Vec<usize> = (0..o.copies.len()).collect();
        self.notices.borrow_mut().push(format!(
            "session {}: no copy in memcached; version {} restored from the durable tier",
            id_prefix(&o.sid),
            row.version
        ));
        self.repair(o, &all, &d.data, Some(plan::ttl_left(row.expires_at, now)));
        Ok(d.data)
    }

    /// Opens the `data` of session `o`'s row at `version`
    /// ([`crate::core::replica::Codec::open_row`]): `None` for a row that is
    /// refused — logged, never `what` (restored, served) — or that cannot
    /// be decoded. A plaintext row while encryption is on is accepted only
    /// under `encryption_accept_plaintext` and never after a refused copy
    /// (so writing a bad copy to memcached cannot make the table's row be
    /// read); it is then written sealed by the next write.
    fn open_row(
        &self,
        o: &mut Opened,
        data: Vec<u8>,
        version: u32,
        what: &str,
    ) -> Option<crate::core::replica::Decoded> {
        let now = now_unix();
        let accept_plain = !o.refused_copy;
        // A second try is possible only while migrating: copy the row then.
        let retry = o.keys.raw.as_ref().map(|raw| (raw, data.clone()));
        let mut opened = self
            .codec
            .open_row(&o.keys.data, data, version, now, accept_plain);
        if let (Err(crate::core::replica::Unusable::Refused(_)), Some((raw, data))) =
            (&opened, retry)
        {
            // key_hash_migrate: a row moved from its raw id ([`load`]) is
            // still sealed under the raw key (the same session's key, so
            // nothing crosses sessions); resealed under the hashed key by
            // this request's write.
            if let Ok(d) = self
                .codec
                .open_row(&raw.data, data, version, now, accept_plain)
            {
                (o.rewrite, o.plain_row) = (true, true);
                opened = Ok(d);
            }
        }
        match opened {
            Ok(d) => {
                if self.codec.ring.is_some() && d.expires_at.is_none() {
                    // Written sealed (format 2) by this request, at the
                    // next version, even if the session is unchanged.
                    o.plain_row = true;
                    o.rewrite = true;
                    if !d.sealed {
                        self.plaintext_accepted(&o.sid, "durable-tier row");
                    }
                }
                Some(d)
            }
            Err(
                crate::core::replica::Unusable::Refused(why)
                | crate::core::replica::Unusable::Undecodable(why),
            ) => {
                self.notices.borrow_mut().push(format!(
                    "session {}: the durable-tier row (version {version}) is not {what}: {why}",
                    id_prefix(&o.sid)
                ));
                None
            }
        }
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
            || o.plain_row
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
        if tier.missed_write()
            || o.plain_row
            || plan::touch_due(tier.known_expiry(&o.keys.data), now, maxlifetime)
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
        let expires_at = plan::expires_at(now, maxlifetime);
        // With encryption on, the row holds the sealed value memcached
        // holds (same AAD: header with this expiry, version, data key).
        let row_data = match &o.sealed {
            Some((v, bytes)) if *v == o.version && o.expires_at == Some(expires_at) => {
                bytes.clone()
            }
            _ => self
                .codec
                .seal_row(&o.keys.data, data, o.version, expires_at)?,
        };
        let row = Row {
            data: row_data,
            version: o.version,
            expires_at,
        };
        let key = &o.keys.data;
        let mut log = Vec::new();
        let r = tier.call(true, &mut log, |s, known| {
            s.save(key, &row, now)?;
            // The raw row, if any, is older: it must never stand in.
            if let Some(raw) = &o.keys.raw {
                s.delete(&raw.data)?;
            }
            known.insert(key.clone(), row.expires_at);
            Ok(())
        });
        self.notices.borrow_mut().append(&mut log);
        r.map(drop)
    }

    /// Deletes the session's row (after its copies were deleted) if it is
    /// not newer than `version`, the version destroyed. A delete that fails
    /// is kept in this process's retry list ([`crate::durable::Tier::defer_delete`])
    /// and done by the next call that reaches the database; meanwhile the
    /// tombstone the destroy left keeps the row from being restored.
    ///
    /// # Errors
    /// [`crate::error::Error::Durable`] with `durable_failure = error`.
    pub(super) fn durable_destroy(&self, sid: &[u8], version: u32) -> Result<()> {
        let Some(tier) = self.durable.as_ref() else {
            return Ok(());
        };
        let keys = self.keys_for(sid)?;
        let key = &keys.data;
        let mut log = Vec::new();
        let r = tier.call(true, &mut log, |s, known| {
            s.delete_upto(key, version)?;
            if let Some(raw) = &keys.raw {
                s.delete_upto(&raw.data, version)?;
            }
            known.remove(key);
            Ok(())
        });
        if !matches!(r, Ok(Some(()))) {
            tier.defer_delete(key.clone(), version);
            if let Some(raw) = &keys.raw {
                tier.defer_delete(raw.data.clone(), version);
            }
            log.push(format!(
                "session {}: its durable-tier row was not deleted; retried when the database answers, and not restored meanwhile (tombstone)",
                id_prefix(sid)
            ));
        }
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

    /// Whether no memcached server of the pool may be used now: each one
    /// failed in this request (`failed`) or is left alone for its retry
    /// interval. Counting this request's failures makes the answer the same
    /// whatever `retry_interval` is (with 0 a failed server is "usable"
    /// again at once).
    pub(super) fn none_usable(&self, failed: &[usize]) -> bool {
        (0..self.pool.server_count()).all(|s| failed.contains(&s) || !self.usable(s))
    }

    /// The version of session `keys`'s durable-tier row, if the tier is on
    /// and the row could be read (a failure is logged by the tier).
    pub(super) fn durable_version(&self, keys: &SessionKeys) -> Option<u32> {
        let tier = self.durable.as_ref()?;
        let mut log = Vec::new();
        let row = load(tier, keys, &mut log);
        self.notices.borrow_mut().append(&mut log);
        row.ok().flatten().flatten().map(|r| r.version)
    }

    /// `use_strict_mode`'s check (`validate_sid`): whether session `sid`
    /// exists in memcached ([`Handler::exists`]) or, when memcached has no
    /// copy or cannot be reached, as a live row of the durable tier. With
    /// the database failing (`degrade`), only memcached's answer counts.
    ///
    /// # Errors
    /// Memcached's connection error when no server answered and the tier
    /// is off; [`Error::Durable`] with `durable_failure = error`.
    pub fn exists_anywhere(&self, sid: &[u8]) -> Result<bool> {
        let in_memcached = self.exists(sid);
        let Some(tier) = self.durable.as_ref() else {
            return in_memcached;
        };
        match in_memcached {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) if e.is_server_fault() => {}
            Err(e) => return Err(e),
        }
        let Ok(keys) = self.keys_for(sid) else {
            return Ok(false);
        };
        let mut log = Vec::new();
        let row = load(tier, &keys, &mut log);
        self.notices.borrow_mut().append(&mut log);
        let now = now_unix();
        Ok(row?
            .flatten()
            .is_some_and(|r| plan::alive(r.expires_at, now)))
    }

    /// With no memcached server reachable (`unreachable` is why): takes the
    /// session's database lock (`GET_LOCK`, polled with the same wait budget
    /// and `lock_failure` as the memcached lock) and reads its row. The
    /// session is then written, touched and destroyed in the database only
    /// ([`Opened::db_only`]).
    ///
    /// # Errors
    /// `unreachable` when the database cannot be used either (whatever
    /// `durable_failure`: there is nowhere to read from);
    /// [`Error::LockTimeout`] as for the memcached lock.
    pub(super) fn durable_only_read(&self, o: &mut Opened, unreachable: Error) -> Result<Vec<u8>> {
        let Some(tier) = self.durable.as_ref() else {
            return Err(unreachable);
        };
        let mut log = Vec::new();
        let key = o.keys.data.clone();
        if self.lock.enabled {
            let name = plan::lock_name(&key);
            let seed = u64::from_str_radix(&name[name.len() - 16..], 16).unwrap_or(7);
            let waited = lock::wait_for(
                self.lock.wait,
                &mut Backoff::new(seed),
                &mut RealClock::start(),
                || match tier.call(true, &mut log, |s, _| s.try_lock(&name)) {
                    Ok(Some(true)) => Ok(Some(())),
                    Ok(Some(false)) => Ok(None),
                    Ok(None) | Err(_) => Err(()),
                },
            );
            match waited {
                Ok(Waited::Acquired(())) => o.db_lock = Some(name),
                Ok(Waited::GaveUp(after)) => {
                    if self.lock.failure == LockFailure::Error {
                        self.notices.borrow_mut().append(&mut log);
                        return Err(Error::LockTimeout {
                            id: id_prefix(&o.sid),
                            waited_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                        });
                    }
                    o.readonly = Some(Vec::new());
                }
                Err(()) => {
                    self.notices.borrow_mut().append(&mut log);
                    return Err(unreachable);
                }
            }
        }
        let row = load(tier, &o.keys, &mut log);
        self.notices.borrow_mut().append(&mut log);
        let Ok(Some(row)) = row else {
            // Nowhere to read from: never an empty session in its place.
            if let Some(name) = o.db_lock.take() {
                self.durable_unlock(&name);
            }
            return Err(unreachable);
        };
        o.db_only = true;
        self.notices.borrow_mut().push(format!(
            "session {}: no memcached server reachable; served by the durable tier",
            id_prefix(&o.sid)
        ));
        let data = match row.filter(|r| plan::alive(r.expires_at, now_unix())) {
            Some(r) => match self.open_row(o, r.data, r.version, "served") {
                Some(d) => {
                    o.version = r.version;
                    o.expires_at = d.expires_at;
                    d.data
                }
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        if let Some(copy) = o.readonly.as_mut() {
            copy.clone_from(&data);
        }
        Ok(data)
    }

    /// Writes a session read from the durable tier alone at `version`
    /// (a touch passes the version it read), then frees its database lock.
    ///
    /// # Errors
    /// [`Error::Durable`] when the database cannot take it (whatever
    /// `durable_failure`: no memcached server has it either).
    pub(super) fn durable_only_write(
        &self,
        o: &mut Opened,
        data: &[u8],
        version: u32,
        maxlifetime: i64,
    ) -> Result<()> {
        let previous = o.version;
        o.version = version;
        let r = self.durable_save(o, data, now_unix(), maxlifetime);
        if let Some(name) = o.db_lock.take() {
            self.durable_unlock(&name);
        }
        match r {
            Ok(()) if self.durable.as_ref().is_some_and(|t| !t.missed_write()) => Ok(()),
            Ok(()) | Err(_) => {
                o.version = previous;
                let dsn = self
                    .durable
                    .as_ref()
                    .map_or_else(String::new, |t| t.settings().dsn.label());
                Err(Error::Durable {
                    dsn,
                    detail: format!(
                        "session {} not written: no memcached server is reachable and the database failed",
                        id_prefix(&o.sid)
                    ),
                })
            }
        }
    }

    /// Destroys a session read from the durable tier alone: deletes its
    /// row and frees its database lock.
    ///
    /// # Errors
    /// [`Error::Durable`] with `durable_failure = error`.
    pub(super) fn durable_only_destroy(&mut self) -> Result<()> {
        let Some(mut o) = self.opened.take() else {
            return Ok(());
        };
        let r = self.durable_destroy(&o.sid, o.version);
        if let Some(name) = o.db_lock.take() {
            self.durable_unlock(&name);
        }
        o.version = 0;
        self.opened = Some(o);
        r
    }

    /// Frees database lock `name` (best effort: a lost connection frees it
    /// too).
    pub(super) fn durable_unlock(&self, name: &str) {
        if let Some(tier) = self.durable.as_ref() {
            let mut log = Vec::new();
            let _ = tier.call(false, &mut log, |s, _| s.unlock(name));
            self.notices.borrow_mut().append(&mut log);
        }
    }
}
