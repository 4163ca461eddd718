//! Key → server placement: hash functions and distribution strategies. Pure.
//!
//! Both strategies match pecl-memcache byte for byte (its
//! `src/memcache_consistent_hash.c` / `src/memcache_standard_hash.c`, pinned
//! by the test vectors below, taken from pecl-memcache 4.0.5.2's
//! `MemcachePool::findServer`), so a
//! farm can switch handlers without moving sessions:
//!
//! * `consistent`: 160 points per weight unit, point *i* of a server at
//!   `hash("host:port-i")`; the continuum is sampled into a 1024-entry table
//!   (`step = 0xFFFFFFFF / 1024`) and a key maps to `table[hash(key) % 1024]`.
//! * `standard`: servers repeated `weight` times in save_path order; a key maps
//!   to `buckets[((hash(key) >> 16) & 0x7fff) % len]` (0 read as 1).
//!
//! * `ketama`: php-memcached's session placement (libmemcached
//!   `MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA` as php-memcached 3.x sets it
//!   up): Jenkins one-at-a-time hash, 100 points per server whatever its
//!   weight, point *i* at `oaat("host-i")` when the port is 11211 and
//!   `oaat("host:port-i")` otherwise; a key maps to the first point ≥ its
//!   hash, wrapping to the first point. `hash_function` does not apply.
//!
//! Failover order ([`Distribution::probe_order`]): for `consistent` and
//! `standard` the session handler's *probe keys*, as pecl-memcache does: the
//! primary server is `find(key + "-0")`, then `key-1`, `key-2`, … skipping
//! servers already chosen. For `ketama`, the continuum walked clockwise from
//! the key's point: the server each key moves to when libmemcached ejects a
//! dead server and rebuilds the continuum.

use crate::core::save_path::{ServerAddr, ServerSpec};

/// Points on the continuum per unit of weight (pecl-memcache `MMC_CONSISTENT_POINTS`).
pub const CONSISTENT_POINTS: u32 = 160;
/// Size of the sampled continuum table (pecl-memcache `MMC_CONSISTENT_BUCKETS`).
pub const CONSISTENT_BUCKETS: usize = 1024;

/// How keys are spread over servers (`rsmemcache.hash_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// pecl-memcache's consistent hashing (the default).
    Consistent,
    /// pecl-memcache's modulo over weighted buckets.
    Standard,
    /// php-memcached's (libmemcached's) unweighted ketama continuum.
    Ketama,
}

/// Points on the ketama continuum per server (libmemcached
/// `MEMCACHED_POINTS_PER_SERVER`, weights ignored).
pub const KETAMA_POINTS: u32 = 100;

/// Bob Jenkins' one-at-a-time hash as libmemcached computes it
/// (`hashkit_one_at_a_time`): bytes are sign-extended before being added.
#[must_use]
pub fn one_at_a_time(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &b in bytes {
        #[expect(
            clippy::cast_possible_wrap,
            clippy::cast_sign_loss,
            reason = "libmemcached adds `(char)byte`, sign-extended"
        )]
        let v = i32::from(b as i8) as u32;
        h = h.wrapping_add(v);
        h = h.wrapping_add(h << 10);
        h ^= h >> 6;
    }
    h = h.wrapping_add(h << 3);
    h ^= h >> 11;
    h.wrapping_add(h << 15)
}

/// The standard 64-bit FNV offset basis (FNV's published parameters,
/// <http://www.isthe.com/chongo/tech/comp/fnv/>).
pub const FNV64_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// 64-bit FNV-1a of `bytes` from offset basis `basis` ([`FNV64_OFFSET_BASIS`]
/// for the standard hash; another basis gives an independent second hash,
/// and a previous result as basis continues a hash over more bytes). Prime
/// 0x100000001b3, from <http://www.isthe.com/chongo/tech/comp/fnv/>. Not
/// for placement (that is [`HashFunction`]): for identities and lock names.
#[must_use]
pub fn fnv1a64(basis: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(basis, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The 32-bit key hash (`rsmemcache.hash_function`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashFunction {
    /// CRC-32 (IEEE, reflected 0xEDB88320), equal to zlib's and PHP's `crc32()`.
    Crc32,
    /// FNV-1a 32-bit with pecl-memcache's sign extension of bytes ≥ 0x80.
    Fnv1a,
}

impl HashFunction {
    /// Hashes `bytes` to 32 bits.
    #[must_use]
    pub fn hash(self, bytes: &[u8]) -> u32 {
        match self {
            Self::Crc32 => crc32fast::hash(bytes),
            Self::Fnv1a => bytes.iter().fold(0x811c_9dc5_u32, |h, &b| {
                // pecl-memcache XORs `(uint32)(signed char)b`: sign-extended.
                #[expect(
                    clippy::cast_possible_wrap,
                    clippy::cast_sign_loss,
                    reason = "deliberate sign extension"
                )]
                let b = i32::from(b as i8) as u32;
                (h ^ b).wrapping_mul(0x0100_0193)
            }),
        }
    }
}

/// A built key → server-index map for one server list.
#[derive(Debug, Clone)]
pub struct Distribution {
    function: HashFunction,
    kind: Kind,
    servers: usize,
}

#[derive(Debug, Clone)]
enum Kind {
    /// The 1024 sampled continuum entries (server indexes).
    Consistent(Box<[u16; CONSISTENT_BUCKETS]>),
    /// Server index per weighted bucket.
    Standard(Vec<u16>),
    /// The whole continuum: (point, server index), sorted.
    Ketama(Vec<(u32, u16)>),
}

/// The label of a ketama point: `host-i` on memcached's default port,
/// `host:port-i` otherwise; a unix socket is its path with port 0.
fn ketama_label(spec: &ServerSpec, i: u32) -> String {
    match &spec.addr {
        ServerAddr::Tcp { host, port } if *port == crate::core::save_path::DEFAULT_PORT => {
            format!("{host}-{i}")
        }
        ServerAddr::Tcp { host, port } => format!("{host}:{port}-{i}"),
        ServerAddr::Unix(p) => format!("{}:0-{i}", p.display()),
    }
}

/// The host string and port pecl-memcache puts in a point label:
/// the literal host and port, or `unix:///path` and 0 for a socket.
fn point_label_parts(spec: &ServerSpec) -> (String, u16) {
    match &spec.addr {
        ServerAddr::Tcp { host, port } => (host.clone(), *port),
        ServerAddr::Unix(p) => (format!("unix://{}", p.display()), 0),
    }
}

impl Distribution {
    /// Builds the map for `servers` (in save_path order).
    ///
    /// Cost, for `P` = 160 × the sum of the weights (`consistent`), 100 ×
    /// the number of servers (`ketama`): `consistent` hashes its `P` points
    /// and folds each into the sampled table as it goes, O(P) time and
    /// O(1024) memory (the continuum is never stored); `ketama` stores and
    /// sorts its points, O(P log P) time and 8 bytes per point; `standard`
    /// keeps one 2-byte bucket per unit of weight. The save_path bounds
    /// ([`crate::core::save_path::MAX_SERVERS`], [`crate::core::save_path::MAX_WEIGHT`])
    /// cap `P` at 4,096,000 for `consistent` and 25,600 for `ketama`.
    ///
    /// # Panics
    /// If `servers` is empty or holds more than 65,535 servers (save_path
    /// parsing yields neither).
    #[must_use]
    pub fn new(strategy: Strategy, function: HashFunction, servers: &[ServerSpec]) -> Self {
        assert!(
            !servers.is_empty(),
            "a distribution needs at least one server"
        );
        let index = |i: usize| u16::try_from(i).expect("at most 65535 servers");
        let kind = match strategy {
            Strategy::Standard => Kind::Standard(
                servers
                    .iter()
                    .enumerate()
                    .flat_map(|(i, s)| std::iter::repeat_n(index(i), s.weight as usize))
                    .collect(),
            ),
            Strategy::Consistent => Kind::Consistent(consistent_table(function, servers)),
            Strategy::Ketama => {
                let mut points: Vec<(u32, u16)> = servers
                    .iter()
                    .enumerate()
                    .flat_map(|(i, s)| {
                        (0..KETAMA_POINTS)
                            .map(move |p| (one_at_a_time(ketama_label(s, p).as_bytes()), index(i)))
                    })
                    .collect();
                points.sort_unstable();
                Kind::Ketama(points)
            }
        };
        Self {
            function,
            kind,
            servers: servers.len(),
        }
    }

    /// Whether this is the ketama continuum (which hashes bare ids).
    #[must_use]
    pub fn is_ketama(&self) -> bool {
        matches!(self.kind, Kind::Ketama(_))
    }

    /// Number of servers in the list.
    #[must_use]
    pub fn servers(&self) -> usize {
        self.servers
    }

    /// The server index for `key` (pecl-memcache `find`; for ketama,
    /// libmemcached's `dispatch_host`).
    #[must_use]
    pub fn find(&self, key: &[u8]) -> usize {
        if self.servers == 1 {
            return 0;
        }
        match &self.kind {
            Kind::Ketama(points) => usize::from(points[ketama_point(points, key)].1),
            Kind::Consistent(table) => {
                usize::from(table[self.function.hash(key) as usize % CONSISTENT_BUCKETS])
            }
            Kind::Standard(buckets) => {
                let h = (self.function.hash(key) >> 16) & 0x7fff;
                usize::from(buckets[h.max(1) as usize % buckets.len()])
            }
        }
    }

    /// Distinct servers for a session key, in the order they are tried; the
    /// first entry is the session's home server. `consistent`/`standard`:
    /// `find(key-0)`, `find(key-1)`, … while fewer than `max_probes` probes
    /// have been made (pecl-memcache's `max_failover_attempts`), skipping
    /// servers already listed. `ketama`: the servers met walking the
    /// continuum clockwise from `key`'s point, at most `max_probes` of them.
    #[must_use]
    pub fn probe_order(&self, key: &[u8], max_probes: usize) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.servers.min(4));
        if let Kind::Ketama(points) = &self.kind {
            let start = if self.servers == 1 {
                0
            } else {
                ketama_point(points, key)
            };
            let want = max_probes.max(1).min(self.servers);
            for k in 0..points.len() {
                let s = usize::from(points[(start + k) % points.len()].1);
                if !order.contains(&s) {
                    order.push(s);
                    if order.len() == want {
                        break;
                    }
                }
            }
            return order;
        }
        let mut probe = Vec::with_capacity(key.len() + 4);
        for n in 0..max_probes.max(1) {
            probe.clear();
            probe.extend_from_slice(key);
            probe.push(b'-');
            {
                use std::io::Write as _;
                write!(probe, "{n}").expect("writing to a Vec never fails");
            }
            let s = self.find(&probe);
            if !order.contains(&s) {
                order.push(s);
                if order.len() == self.servers {
                    break;
                }
            }
        }
        order
    }
}

/// pecl-memcache's sampled continuum: entry `j` is the server of the first
/// point (in (hash, server index) order) at or after `j × (u32::MAX / 1024)`,
/// wrapping to the lowest point.
///
/// Equal to sorting every point and binary-searching each sample, without
/// storing the points: each point only competes for the lowest slot of its
/// own sample interval (`best`), and a sample whose interval holds no point
/// takes the next non-empty interval's lowest. O(points) time, O(1024)
/// memory. Each label `host:port-i` is written into one reused buffer.
fn consistent_table(
    function: HashFunction,
    servers: &[ServerSpec],
) -> Box<[u16; CONSISTENT_BUCKETS]> {
    const STEP: u32 = u32::MAX / CONSISTENT_BUCKETS as u32;
    let mut best: Vec<Option<(u32, u16)>> = vec![None; CONSISTENT_BUCKETS];
    use std::io::Write as _;
    let mut label = Vec::with_capacity(64);
    for (i, s) in servers.iter().enumerate() {
        let server = u16::try_from(i).expect("at most 65535 servers");
        let (host, port) = point_label_parts(s);
        label.clear();
        write!(label, "{host}:{port}-").expect("writing to a Vec never fails");
        let stem = label.len();
        for p in 0..s.weight * CONSISTENT_POINTS {
            label.truncate(stem);
            write!(label, "{p}").expect("writing to a Vec never fails");
            let point = (function.hash(&label), server);
            let slot = &mut best[((point.0 / STEP) as usize).min(CONSISTENT_BUCKETS - 1)];
            if slot.is_none_or(|b| point < b) {
                *slot = Some(point);
            }
        }
    }
    // Walk down from the top: `next` is the lowest point at or above the
    // current sample, or (before any) the lowest point overall.
    let lowest = best.iter().flatten().next().copied();
    let mut next = lowest;
    let mut table = Box::new([0u16; CONSISTENT_BUCKETS]);
    for (slot, b) in table.iter_mut().zip(&best).rev() {
        if b.is_some() {
            next = *b;
        }
        *slot = next.map_or(0, |(_, server)| server);
    }
    table
}

/// Index of the first continuum point ≥ `oaat(key)`, wrapping to 0.
fn ketama_point(points: &[(u32, u16)], key: &[u8]) -> usize {
    let h = one_at_a_time(key);
    let i = points.partition_point(|&(v, _)| v < h);
    if i == points.len() { 0 } else { i }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::save_path;

    const LONG: &[u8] = b"abcdefghijklmnopqrstuvwxyz012345";
    const ZYX: &[u8] = b"Zyxwvutsrqponmlkjihgfedcba987654";

    fn servers() -> Vec<ServerSpec> {
        save_path::parse("10.0.0.1:11211:1, 10.0.0.2:11211:1, cache-c.local:11212:2").unwrap()
    }

    fn dash0(k: &[u8]) -> Vec<u8> {
        [k, b"-0"].concat()
    }

    #[test]
    fn hash_function_vectors() {
        // Values of pecl-memcache 4.0.5.2 (`src/memcache_consistent_hash.c`).
        assert_eq!(HashFunction::Crc32.hash(b"10.0.0.1:11211-0"), 2_857_238_036);
        assert_eq!(HashFunction::Fnv1a.hash(b"10.0.0.1:11211-0"), 1_696_917_676);
        assert_eq!(HashFunction::Crc32.hash(b"123456789"), 0xCBF4_3926);
        // sign extension: byte 0x80 XORs 0xffffff80
        assert_eq!(
            HashFunction::Fnv1a.hash(&[0x80]),
            (0x811c_9dc5_u32 ^ 0xffff_ff80).wrapping_mul(0x0100_0193)
        );
    }

    #[test]
    fn pecl_memcache_consistent_crc32_vectors() {
        let d = Distribution::new(Strategy::Consistent, HashFunction::Crc32, &servers());
        assert_eq!(d.find(b"abc"), 2);
        assert_eq!(d.find(&dash0(LONG)), 2);
        assert_eq!(d.find(&dash0(ZYX)), 1);
        assert_eq!(d.probe_order(ZYX, 20)[0], 1, "session home is find(key-0)");
    }

    #[test]
    fn pecl_memcache_standard_crc32_vectors() {
        let d = Distribution::new(Strategy::Standard, HashFunction::Crc32, &servers());
        assert_eq!((HashFunction::Crc32.hash(b"abc") >> 16) & 0x7fff, 13604);
        assert_eq!(d.find(b"abc"), 0);
        assert_eq!(d.find(&dash0(LONG)), 2);
    }

    #[test]
    fn pecl_memcache_fnv_vectors() {
        let d = Distribution::new(Strategy::Consistent, HashFunction::Fnv1a, &servers());
        for k in [b"abc".to_vec(), dash0(LONG), dash0(ZYX), LONG.to_vec()] {
            assert_eq!(d.find(&k), 0, "{}", String::from_utf8_lossy(&k));
        }
        let d = Distribution::new(Strategy::Standard, HashFunction::Fnv1a, &servers());
        assert_eq!(d.find(b"abc"), 2);
    }

    #[test]
    fn probe_order_lists_each_server_once_and_respects_the_cap() {
        let d = Distribution::new(Strategy::Consistent, HashFunction::Crc32, &servers());
        let all = d.probe_order(b"somekey", 100);
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2]);
        assert_eq!(d.probe_order(b"somekey", 1).len(), 1);
        let one = save_path::parse("h:1").unwrap();
        assert_eq!(
            Distribution::new(Strategy::Consistent, HashFunction::Crc32, &one)
                .probe_order(b"k", 20),
            [0]
        );
    }

    #[test]
    fn one_at_a_time_vectors() {
        // Values of libmemcached 1.1.4 (`libhashkit/one_at_a_time.cc`), as
        // php-memcached 3.2.0 places keys.
        assert_eq!(one_at_a_time(b"10.0.0.1-0"), 4_128_832_250);
        assert_eq!(one_at_a_time(b"cache-c.local:11212-0"), 3_384_016_309);
        assert_eq!(one_at_a_time(b"abc"), 3_977_453_403);
    }

    #[test]
    fn php_memcached_ketama_vectors() {
        let d = Distribution::new(Strategy::Ketama, HashFunction::Crc32, &servers());
        assert_eq!(d.find(b"abc"), 0);
        assert_eq!(d.find(LONG), 0);
        // Weights are ignored: 100 points each, so the weight-2 server gets
        // about a third, not a half.
        let mut counts = [0usize; 3];
        for i in 0..3000 {
            counts[d.find(format!("key{i}").as_bytes())] += 1;
        }
        assert!(counts.iter().all(|&c| c > 500 && c < 1500), "{counts:?}");
    }

    #[test]
    fn ketama_labels_follow_libmemcached() {
        let s = save_path::parse("a:11211, b:11300, /tmp/m.sock").unwrap();
        assert_eq!(ketama_label(&s[0], 7), "a-7");
        assert_eq!(ketama_label(&s[1], 0), "b:11300-0");
        assert_eq!(ketama_label(&s[2], 99), "/tmp/m.sock:0-99");
    }

    #[test]
    fn ketama_probe_order_is_the_continuum_walk() {
        let d = Distribution::new(Strategy::Ketama, HashFunction::Crc32, &servers());
        for i in 0..200 {
            let key = format!("sid{i}");
            let order = d.probe_order(key.as_bytes(), 20);
            assert_eq!(order[0], d.find(key.as_bytes()));
            assert_eq!(order.len(), 3);
            // The second server is where the key goes once the first is
            // removed from the continuum (libmemcached's auto-eject).
            let rest: Vec<ServerSpec> = servers()
                .into_iter()
                .enumerate()
                .filter(|(j, _)| *j != order[0])
                .map(|(_, s)| s)
                .collect();
            let without = Distribution::new(Strategy::Ketama, HashFunction::Crc32, &rest);
            let moved = without.find(key.as_bytes());
            let original: Vec<usize> = (0..3).filter(|j| *j != order[0]).collect();
            assert_eq!(original[moved], order[1], "{key}");
        }
        assert_eq!(d.probe_order(b"abc", 2).len(), 2);
    }

    /// The table as pecl-memcache builds it: every point stored, sorted,
    /// and binary-searched per sample (what `consistent_table` replaced).
    fn sorted_reference(function: HashFunction, servers: &[ServerSpec]) -> Vec<u16> {
        let mut points: Vec<(u32, u16)> = Vec::new();
        for (i, s) in servers.iter().enumerate() {
            let (host, port) = point_label_parts(s);
            for p in 0..s.weight * CONSISTENT_POINTS {
                points.push((
                    function.hash(format!("{host}:{port}-{p}").as_bytes()),
                    u16::try_from(i).unwrap(),
                ));
            }
        }
        points.sort_unstable();
        let step = u32::MAX / CONSISTENT_BUCKETS as u32;
        (0..CONSISTENT_BUCKETS)
            .map(|j| {
                let at = step * u32::try_from(j).unwrap();
                let k = points.partition_point(|&(v, _)| v < at);
                points.get(k).unwrap_or(&points[0]).1
            })
            .collect()
    }

    #[test]
    fn consistent_table_equals_the_sorted_continuum() {
        for path in [
            "10.0.0.1:11211:1, 10.0.0.2:11211:1, cache-c.local:11212:2",
            "a",
            "a:1:3, /tmp/m.sock, [::1]:11300:7, b:11211:100",
            "tcp://127.0.0.1:21211, tcp://127.0.0.1:21212?weight=2, tcp://127.0.0.1:21213?weight=5",
        ] {
            let servers = save_path::parse(path).unwrap();
            for function in [HashFunction::Crc32, HashFunction::Fnv1a] {
                let Kind::Consistent(table) =
                    Distribution::new(Strategy::Consistent, function, &servers).kind
                else {
                    panic!("consistent")
                };
                assert_eq!(
                    table.to_vec(),
                    sorted_reference(function, &servers),
                    "{path} {function:?}"
                );
            }
        }
        let many: Vec<String> = (0..40)
            .map(|i| format!("h{i}:{}:{}", 11000 + i, 1 + i % 4))
            .collect();
        let servers = save_path::parse(&many.join(",")).unwrap();
        let Kind::Consistent(table) =
            Distribution::new(Strategy::Consistent, HashFunction::Crc32, &servers).kind
        else {
            panic!("consistent")
        };
        assert_eq!(
            table.to_vec(),
            sorted_reference(HashFunction::Crc32, &servers)
        );
    }

    /// The largest save_path allowed (256 servers of weight 100) builds
    /// every strategy; `consistent` hashes 4,096,000 points without storing
    /// them.
    #[test]
    fn the_largest_allowed_pool_builds() {
        use crate::core::save_path::{MAX_SERVERS, MAX_WEIGHT};
        let path: Vec<String> = (0..MAX_SERVERS)
            .map(|i| format!("10.1.{}.{}:11211:{MAX_WEIGHT}", i / 256, i % 256))
            .collect();
        let servers = save_path::parse(&path.join(",")).unwrap();
        assert_eq!(servers.len(), MAX_SERVERS);
        for strategy in [Strategy::Consistent, Strategy::Standard, Strategy::Ketama] {
            let d = Distribution::new(strategy, HashFunction::Crc32, &servers);
            assert_eq!(d.servers(), MAX_SERVERS);
            assert!(d.find(b"some-session-id-0") < MAX_SERVERS);
            let order = d.probe_order(b"sid", 1000);
            let distinct: std::collections::HashSet<_> = order.iter().collect();
            assert!(
                !order.is_empty() && distinct.len() == order.len(),
                "{strategy:?}"
            );
        }
    }

    #[test]
    fn weights_shift_the_share() {
        let d = Distribution::new(Strategy::Consistent, HashFunction::Crc32, &servers());
        let mut counts = [0usize; 3];
        for i in 0..3000 {
            counts[d.find(format!("key{i}").as_bytes())] += 1;
        }
        assert!(counts.iter().all(|&c| c > 300), "{counts:?}");
        assert!(
            counts[2] > counts[0] && counts[2] > counts[1],
            "weight 2 gets most: {counts:?}"
        );
    }
}
