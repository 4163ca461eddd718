//! Planning, pure: the commands of each session operation, grouped per
//! server into the pipelines of one parallel round trip ([`Batch`]), each
//! command tagged with what it is for ([`Tag`]) so [`super::settle`] can
//! read its reply. Also the native lock value ([`LockValue`]).

use crate::{
    net::pool::Job,
    net::protocol::{Command, Exptime, SetMode},
};

/// What a command in a [`Batch`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `ms <lock> ME`: take the lock.
    LockAdd,
    /// `ms <lock> ME` on the next server: the lock's copy
    /// (`session::lock_copy`).
    LockCopyAdd,
    /// `mg <lock> v c [t]`: what holds the lock.
    LockPeek,
    /// Read, store, touch or delete of the copy at this index.
    Copy(usize),
    /// Read or delete of the copy where the server list before a resize
    /// (`rsmemcache.previous_save_path`) placed the session: the server at
    /// this index of the previous placement's servers.
    Previous(usize),
    /// Read or store of the session's tombstone ([`crate::core::tomb`]) on the
    /// server of the copy at this index.
    Tomb(usize),
    /// `md <lock> C<cas>`: release.
    Release,
    /// `md <lock> C<cas>`: removal of an abandoned lock.
    Clear,
}

/// Commands for several servers, sent in one parallel round trip.
#[derive(Debug, Default)]
pub struct Batch<'a> {
    /// One pipeline per server.
    pub jobs: Vec<Job<'a>>,
    /// The tags of each pipeline's commands, in order.
    pub tags: Vec<Vec<Tag>>,
}

impl<'a> Batch<'a> {
    /// A batch sending `cmd` to each of `servers`, tagged `Copy(i)`.
    #[must_use]
    pub fn per_copy(servers: &[usize], cmd: Command<'a>) -> Self {
        let mut batch = Self::default();
        for (i, &s) in servers.iter().enumerate() {
            batch.push(s, cmd, Tag::Copy(i));
        }
        batch
    }

    /// Appends `cmd` to `server`'s pipeline.
    pub fn push(&mut self, server: usize, cmd: Command<'a>, tag: Tag) {
        if let Some(i) = self.jobs.iter().position(|j| j.server == server) {
            self.jobs[i].cmds.push(cmd);
            self.tags[i].push(tag);
        } else {
            self.jobs.push(Job {
                server,
                cmds: vec![cmd],
            });
            self.tags.push(vec![tag]);
        }
    }

    /// Whether the batch has no command.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// The servers the batch reaches.
    #[must_use]
    pub fn servers(&self) -> Vec<usize> {
        self.jobs.iter().map(|j| j.server).collect()
    }
}

/// `mg <key> v c f [t]`: a copy with its CAS id, flags (version) and, for
/// repairs, remaining TTL.
#[must_use]
pub fn read_cmd(key: &[u8], ttl: bool) -> Command<'_> {
    Command::Get {
        key,
        value: true,
        ttl,
        cas: true,
        flags: true,
        touch: None,
    }
}

/// The servers to read beside the copies after a resize: the first `n` of
/// the previous server list's probe order `previous` (the session's old
/// home and its redundant copies) that are not among this read's `copies`
/// (those are read anyway, with the same key). Empty when the placement did
/// not change for this session, or without `rsmemcache.previous_save_path`.
#[must_use]
pub fn previous_reads(previous: &[usize], n: usize, copies: &[usize]) -> Vec<usize> {
    previous
        .iter()
        .take(n)
        .copied()
        .filter(|s| !copies.contains(s))
        .collect()
}

/// `mg <lock> v c t`: the lock's holder and remaining TTL.
#[must_use]
pub fn lock_peek_cmd(key: &[u8]) -> Command<'_> {
    Command::Get {
        key,
        value: true,
        ttl: true,
        cas: true,
        flags: false,
        touch: None,
    }
}

/// `md <key> C<cas>`: compare-and-delete.
#[must_use]
pub fn delete_cas_cmd(key: &[u8], cas: u64) -> Command<'_> {
    Command::Delete {
        key,
        cas: Some(cas),
    }
}

/// `ms <lock> <len> T<expire> ME c`: the lock add.
#[must_use]
pub fn lock_add_cmd<'a>(key: &'a [u8], value: &'a [u8], expire_s: u32) -> Command<'a> {
    Command::Set {
        key,
        value,
        exptime: Exptime::from(expire_s),
        client_flags: 0,
        mode: SetMode::Add,
        cas: None,
    }
}

/// A store of a session copy: under a lock, with the CAS it was read with
/// (or as an add where no copy existed); without a lock (or on a server
/// that was not read), unconditionally.
#[must_use]
pub fn store_cmd<'a>(
    key: &'a [u8],
    value: &'a [u8],
    exptime: Exptime,
    client_flags: u32,
    guarded: Option<Option<u64>>,
) -> Command<'a> {
    let (mode, cas) = match guarded {
        Some(Some(cas)) => (SetMode::Set, Some(cas)),
        Some(None) => (SetMode::Add, None),
        None => (SetMode::Set, None),
    };
    Command::Set {
        key,
        value,
        exptime,
        client_flags,
        mode,
        cas,
    }
}

/// Bytes memcached adds to key + value when sizing an item (48-byte header,
/// 8-byte CAS, key NUL, value CRLF; memcached 1.6's `item_make_header`).
pub const ITEM_OVERHEAD: u64 = 59;

/// memcached's smallest possible `item_size_max` (`-I 1k`): smaller items
/// always fit.
pub const MIN_ITEM_SIZE_MAX: u64 = 1024;

/// The server's limit when `key` + `data` would not fit in it, `None` when
/// they fit or the limit (`item_size_max`, bytes) is not known yet.
/// memcached answers a too-large store with `SERVER_ERROR object too large
/// for cache` *and unlinks the previous copy*, so a store is planned only
/// when this is `None`.
#[must_use]
pub fn over_limit(limit: Option<u64>, key: &[u8], data: &[u8]) -> Option<u64> {
    let need = (data.len() + key.len()) as u64 + ITEM_OVERHEAD;
    limit.filter(|&l| need >= MIN_ITEM_SIZE_MAX && need > l)
}

/// Slack added to a lock add's reply deadline before a lock that was
/// stored later is taken for abandoned: memcached reports TTLs in whole
/// seconds from a clock that ticks once a second (±2 s), and web servers'
/// clocks may differ by up to a second (NTP). 3 000 ms.
pub const ABANDON_SLACK_MS: i64 = 3000;

/// The value of a native lock (`rsmemcache.compat = none`):
/// `<token> <sent_ms> <deadline_ms> <expire_s> [<host> <pid> <start_ms>
/// <uri>]` — the holder's 32-hex token, when its add was sent and when the
/// sender stopped waiting for the reply (unix milliseconds of the sender's
/// clock), the lock's TTL in seconds, and who holds it ([`Holder`]; absent
/// in locks of older versions, which still parse). The times let any
/// request recognise a lock whose add a stopped server executed after its
/// sender gave up (see [`LockValue::abandoned`]). The compat presets keep
/// the bare token pecl-memcache and php-memcached accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockValue {
    /// The holder's token.
    pub token: [u8; 32],
    /// When the add was sent, unix ms.
    pub sent_ms: i64,
    /// When its sender stopped waiting for the reply, unix ms.
    pub deadline_ms: i64,
    /// Lock TTL, seconds.
    pub expire_s: u32,
    /// Who holds it, when the lock says.
    pub holder: Option<Holder>,
}

/// Who holds a native lock: for the lock-wait log line of the requests
/// that wait for it. The text fields are stored escaped ([`field`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The holder's host name (at most [`HOST_MAX`] bytes).
    pub host: String,
    /// The holder's process id.
    pub pid: u32,
    /// When the holder's request started, unix ms.
    pub start_ms: i64,
    /// The holder's request URI, or its script on the CLI (at most
    /// [`URI_MAX`] bytes).
    pub uri: String,
}

/// Most bytes of a holder's host name kept in a lock value.
pub const HOST_MAX: usize = 64;
/// Most bytes of a holder's URI kept in a lock value: with the rest at most
/// about 220 bytes, far under the smallest item size memcached allows (1 KiB).
pub const URI_MAX: usize = 128;

/// `text` made safe as one space-separated field: bytes up to space, DEL
/// and non-ASCII as `%XX` (so no space or line break can split the value),
/// cut to `max` bytes (never inside an escape; the cut marked `...`), `-`
/// when empty.
#[must_use]
pub fn field(text: &str, max: usize) -> String {
    let mut out = String::new();
    for &b in text.as_bytes() {
        let piece = if b <= b' ' || b >= 0x7f {
            format!("%{b:02X}")
        } else {
            char::from(b).to_string()
        };
        if out.len() + piece.len() > max.saturating_sub(3) {
            out.push_str("...");
            break;
        }
        out.push_str(&piece);
    }
    if out.is_empty() { "-".to_owned() } else { out }
}

impl LockValue {
    /// The bytes stored in the lock item.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.token.to_vec();
        v.extend_from_slice(
            format!(" {} {} {}", self.sent_ms, self.deadline_ms, self.expire_s).as_bytes(),
        );
        if let Some(h) = &self.holder {
            v.extend_from_slice(
                format!(
                    " {} {} {} {}",
                    field(&h.host, HOST_MAX),
                    h.pid,
                    h.start_ms,
                    field(&h.uri, URI_MAX)
                )
                .as_bytes(),
            );
        }
        v
    }

    /// Parses a lock item's value; `None` for anything else (a compat
    /// token, pecl-memcache's `0`, another client's lock).
    #[must_use]
    pub fn parse(v: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(v).ok()?;
        let mut parts = text.split(' ');
        let token: [u8; 32] = parts.next()?.as_bytes().try_into().ok()?;
        let sent_ms = parts.next()?.parse().ok()?;
        let deadline_ms = parts.next()?.parse().ok()?;
        let expire_s = parts.next()?.parse().ok()?;
        let rest: Vec<&str> = parts.collect();
        let holder = match rest[..] {
            [] => None,
            [host, pid, start_ms, uri] => Some(Holder {
                host: host.to_owned(),
                pid: pid.parse().ok()?,
                start_ms: start_ms.parse().ok()?,
                uri: uri.to_owned(),
            }),
            _ => return None,
        };
        Some(Self {
            token,
            sent_ms,
            deadline_ms,
            expire_s,
            holder,
        })
    }

    /// Whether the lock was stored after its sender stopped waiting for
    /// the reply — by a server that was stopped or partitioned and executed
    /// the add when it resumed — so nobody holds it. `ttl_s` is the
    /// remaining TTL memcached reports, `now_ms` this request's clock. The
    /// store time is `now - (expire - ttl)`; a lock stored more than
    /// [`ABANDON_SLACK_MS`] after the sender's deadline is abandoned.
    ///
    /// Limit: memcached stamps items with a clock it advances once a second
    /// on a timer; a command run right after `SIGCONT`, before that timer,
    /// gets the clock of the moment the server stopped, and its lock then
    /// looks stored on time. Seen in 3 of 3 tries with a 5 s stop, so this
    /// catches a late add only when the server's clock moved first; the
    /// sender's watch of its timed-out connection ([`crate::net::late`]) is what
    /// removes such a lock.
    #[must_use]
    pub fn abandoned(&self, ttl_s: i64, now_ms: i64) -> bool {
        if ttl_s < 0 {
            return false;
        }
        let age_ms = (i64::from(self.expire_s) - ttl_s).max(0) * 1000;
        let stored_ms = now_ms - age_ms;
        stored_ms > self.deadline_ms + ABANDON_SLACK_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_values_round_trip_and_foreign_values_do_not_parse() {
        let v = LockValue {
            token: *b"0123456789abcdef0123456789abcdef",
            sent_ms: 1_700_000_000_000,
            deadline_ms: 1_700_000_001_000,
            expire_s: 20,
            holder: None,
        };
        assert_eq!(LockValue::parse(&v.encode()), Some(v.clone()));
        let with = LockValue {
            holder: Some(Holder {
                host: "web-1".into(),
                pid: 4242,
                start_ms: 1_699_999_999_000,
                uri: "/report.php?x=1".into(),
            }),
            ..v.clone()
        };
        assert_eq!(LockValue::parse(&with.encode()), Some(with.clone()));
        assert_eq!(LockValue::parse(b"0"), None);
        assert_eq!(LockValue::parse(b"1"), None);
        assert_eq!(LockValue::parse(&v.token), None, "a bare compat token");
        assert_eq!(
            LockValue::parse(&[v.encode(), b" x".to_vec()].concat()),
            None
        );
    }

    #[test]
    fn a_lock_stored_long_after_its_sender_gave_up_is_abandoned() {
        let sent = 1_000_000_i64;
        let v = LockValue {
            token: [b'a'; 32],
            sent_ms: sent,
            deadline_ms: sent + 1000,
            expire_s: 20,
            holder: None,
        };
        // Stored at once, looked at 5 s later (TTL 15): a live holder.
        assert!(!v.abandoned(15, sent + 5000));
        // Stored at once, looked at 19 s later: still a live holder.
        assert!(!v.abandoned(1, sent + 19_000));
        // SIGSTOP for 10 s: stored 10 s after it was sent, seen at once.
        assert!(v.abandoned(20, sent + 10_000));
        // Stored 3 s late: within the slack, not taken.
        assert!(!v.abandoned(20, sent + 3000));
        assert!(!v.abandoned(-1, sent + 60_000), "no expiry: never ours");
    }

    #[test]
    fn holder_fields_never_split_the_value_and_are_capped() {
        assert_eq!(field("/a b\r\nc", 64), "/a%20b%0D%0Ac");
        assert_eq!(field("", 64), "-");
        assert_eq!(field("/caf\u{e9}", 64), "/caf%C3%A9");
        let long = field(&"/x".repeat(500), URI_MAX);
        assert!(long.len() <= URI_MAX && long.ends_with("..."));
        // A hostile URI and host still give an 8-field value that parses.
        let v = LockValue {
            token: [b'a'; 32],
            sent_ms: 1,
            deadline_ms: 2,
            expire_s: 3,
            holder: Some(Holder {
                host: "h h\n".into(),
                pid: 1,
                start_ms: 0,
                uri: format!("/{}", " \n%".repeat(400)),
            }),
        };
        let bytes = v.encode();
        assert!(bytes.len() < 32 + 3 * 21 + HOST_MAX + 12 + 21 + URI_MAX);
        assert!(!bytes.contains(&b'\n') && bytes.iter().filter(|&&b| b == b' ').count() == 7);
        let back = LockValue::parse(&bytes).expect("parses");
        assert_eq!(back.holder.expect("holder").host, "h%20h%0A");
    }

    #[test]
    fn sizes_over_a_known_limit_are_refused_before_sending() {
        let key = b"k";
        assert_eq!(over_limit(None, key, &[0; 5000]), None, "not known yet");
        let fits = vec![0u8; 1024 - 59 - 1];
        assert_eq!(over_limit(Some(1024), key, &fits), None);
        assert_eq!(over_limit(Some(1024), key, &[0; 1024]), Some(1024));
        assert_eq!(
            over_limit(Some(10), key, b"small"),
            None,
            "under 1 KiB always fits"
        );
    }

    #[test]
    fn only_old_homes_that_differ_from_the_new_copies_are_read() {
        // Server 3 added: the session's home moved from 1 to 3.
        assert_eq!(previous_reads(&[1, 0, 2], 1, &[3]), [1]);
        // Its home did not move: nothing more to read.
        assert_eq!(previous_reads(&[1, 0, 2], 1, &[1]), [] as [usize; 0]);
        // Two copies: the one still at home is read as a copy anyway.
        assert_eq!(previous_reads(&[1, 0, 2], 2, &[3, 1]), [0]);
        assert_eq!(previous_reads(&[], 2, &[3, 1]), [] as [usize; 0]);
    }

    #[test]
    fn a_batch_groups_commands_per_server_in_order() {
        let mut b = Batch::default();
        b.push(2, Command::probe(b"a"), Tag::LockAdd);
        b.push(0, Command::probe(b"b"), Tag::Copy(0));
        b.push(2, Command::probe(b"c"), Tag::Copy(1));
        assert_eq!(b.servers(), [2, 0]);
        assert_eq!(b.tags[0], [Tag::LockAdd, Tag::Copy(1)]);
        assert_eq!(b.jobs[0].cmds.len(), 2);
    }
}
