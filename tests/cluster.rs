//! The handler over several real memcached daemons: parallel pipelines,
//! failover when a server dies, versioned copies and read repair when it
//! comes back (empty, or with an old copy).
//!
//! Every test starts its own daemons; none depends on another.

mod common;

use common::{Memcached, free_port, settings};
use rsmemcache::{
    config::Config,
    core::save_path,
    net::pool::{Job, Pool},
    net::protocol::{Command, Reply},
    session::handler::Handler,
};
use std::{
    io::{Read, Write},
    net::TcpStream,
};

/// The raw value and client flags of `key` on `mc` (`None` if absent).
fn raw(mc: &Memcached, key: &str) -> Option<(Vec<u8>, u32)> {
    let mut s = TcpStream::connect(("127.0.0.1", mc.port())).expect("connect");
    s.write_all(format!("mg {key} v f\r\n").as_bytes())
        .expect("write");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).expect("read");
        assert!(n > 0, "reply cut short");
        buf.extend_from_slice(&chunk[..n]);
        if buf.starts_with(b"EN\r\n") {
            return None;
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(head) = text.split("\r\n").next()
            && let Some(rest) = head.strip_prefix("VA ")
        {
            let mut parts = rest.split(' ');
            let len: usize = parts.next().expect("len").parse().expect("len");
            let flags: u32 = parts
                .find_map(|p| p.strip_prefix('f'))
                .expect("f flag")
                .parse()
                .expect("flags");
            let start = head.len() + 2;
            if buf.len() >= start + len + 2 {
                return Some((buf[start..start + len].to_vec(), flags));
            }
        }
    }
}

fn handler(save_path: &str, redundancy: usize, retry_s: u64) -> Handler {
    let mut config = Config::load(|_| None).expect("default config");
    config.pool = settings(500, 500, retry_s);
    config.placement.redundancy = redundancy;
    Handler::open(save_path, &config).expect("open")
}

fn request(h: &mut Handler, sid: &[u8], data: &[u8]) {
    h.read(sid).expect("read");
    h.write(sid, data, 1440).expect("write");
    h.release().expect("release");
}

#[test]
fn one_round_trip_reaches_several_servers_and_a_dead_one_fails_alone() {
    let (a, b) = (Memcached::start(), Memcached::start());
    let refused = free_port();
    let path = format!("{}, {}, 127.0.0.1:{refused}", a.save_path(), b.save_path());
    let pool = Pool::new(
        save_path::parse(&path).expect("parses"),
        &settings(500, 500, 15),
    );
    let set = |k: &'static [u8]| Command::Set {
        key: k,
        value: b"v",
        exptime: 0,
        client_flags: 0,
        mode: rsmemcache::net::protocol::SetMode::Set,
        cas: None,
    };
    let jobs = [
        Job {
            server: 0,
            cmds: vec![set(b"pk"), Command::Noop],
        },
        Job {
            server: 2,
            cmds: vec![Command::Noop],
        },
        Job {
            server: 1,
            cmds: vec![set(b"pk")],
        },
    ];
    let r = pool.execute_parallel(&jobs);
    assert!(matches!(r[0].as_deref(), Ok([Reply::Done(_), Reply::Noop])));
    assert!(r[1].is_err(), "the refused server's job fails");
    assert!(matches!(r[2].as_deref(), Ok([Reply::Done(_)])));
    assert!(pool.servers()[2].failed_until().is_some());
    assert!(pool.servers()[0].failed_until().is_none());
    assert_eq!(raw(&a, "pk").expect("on a").0, b"v");
    assert_eq!(raw(&b, "pk").expect("on b").0, b"v");
}

#[test]
fn two_copies_survive_a_dead_server_and_the_returning_one_is_repaired() {
    let mut servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    let path = servers
        .iter()
        .map(Memcached::save_path)
        .collect::<Vec<_>>()
        .join(",");
    let mut h = handler(&path, 2, 1);
    let sids: Vec<Vec<u8>> = (0..30)
        .map(|i| format!("clusterTwoCopies{i:04}").into_bytes())
        .collect();
    for sid in &sids {
        request(
            &mut h,
            sid,
            format!("v1|{}", String::from_utf8_lossy(sid)).as_bytes(),
        );
    }
    // Every session is on exactly two servers, with version 1.
    for sid in &sids {
        let key = String::from_utf8_lossy(&h.locate(sid).expect("locate").key).into_owned();
        let copies: Vec<u32> = servers
            .iter()
            .filter_map(|m| raw(m, &key))
            .map(|(_, f)| f >> 12)
            .collect();
        assert_eq!(copies, [1, 1], "{key}");
    }

    servers[1].stop();
    for sid in &sids {
        let want = format!("v1|{}", String::from_utf8_lossy(sid));
        assert_eq!(h.read(sid).expect("read after the kill"), want.as_bytes());
        h.write(
            sid,
            format!("v2|{}", String::from_utf8_lossy(sid)).as_bytes(),
            1440,
        )
        .expect("write after the kill");
        h.release().expect("release");
    }
    // Back, empty, once its retry interval has passed.
    servers[1].restart();
    assert!(common::wait_for(std::time::Duration::from_secs(5), || h
        .transport()
        .usable(1)));
    for sid in &sids {
        let want = format!("v2|{}", String::from_utf8_lossy(sid));
        assert_eq!(h.read(sid).expect("read after the return"), want.as_bytes());
        h.release().expect("release");
    }
    // Two current copies again: the returned server was repaired where it
    // is one of the two first servers of a session's probe order.
    for sid in &sids {
        let located = h.locate(sid).expect("locate");
        let key = String::from_utf8_lossy(&located.key).into_owned();
        for &s in &located.servers[..2] {
            let (v, flags) = raw(&servers[s], &key).expect("a copy on each of the first two");
            assert_eq!(v, format!("v2|{}", String::from_utf8_lossy(sid)).as_bytes());
            assert_eq!(flags >> 12, 2, "{key} on server {s}");
        }
    }
}

#[test]
fn without_failover_a_dead_home_server_is_an_error_not_an_empty_session() {
    let (a, mut b) = (Memcached::start(), Memcached::start());
    let path = format!("{}, {}", a.save_path(), b.save_path());
    let mut config = Config::load(|_| None).expect("default config");
    config.pool = settings(500, 500, 15);
    config.placement.allow_failover = false;
    let mut h = Handler::open(&path, &config).expect("open");
    let sid = (0..100)
        .map(|i| format!("noFailover{i:04}").into_bytes())
        .find(|s| h.locate(s).expect("locate").servers[0] == 1)
        .expect("an id homed on b");
    request(&mut h, &sid, b"kept");
    b.stop();
    let e = h.read(&sid).expect_err("no failover");
    assert!(e.to_string().contains("connect failed"), "{e}");
}
