//! `Connection` and `Pool` against real memcached daemons (and a few fake
//! servers): pipelining, replay after a server restart, fail-fast connects
//! and the retry interval, I/O timeouts, oversized values, unix sockets.
//!
//! Every test starts its own daemon or listener; none depends on another.

mod common;

use common::{Memcached, free_port, settings, wait_for};
use rsmemcache::{
    config::Config,
    core::save_path::{self, ServerAddr},
    error::Error,
    net::connection::Connection,
    net::pool::Pool,
    net::protocol::{Command, Reply, SetMode},
    session::handler::Handler,
};
use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant},
};

const SECOND: Duration = Duration::from_secs(1);

fn get(key: &[u8]) -> Command<'_> {
    Command::Get {
        key,
        value: true,
        ttl: false,
        cas: false,
        flags: false,
        touch: None,
    }
}

fn set<'a>(key: &'a [u8], value: &'a [u8]) -> Command<'a> {
    Command::Set {
        key,
        value,
        exptime: 0,
        client_flags: 0,
        mode: SetMode::Set,
        cas: None,
    }
}

fn pool_for(save_path: &str, connect_timeout_ms: u64, timeout_ms: u64, retry_s: u64) -> Pool {
    let specs = save_path::parse(save_path).expect("save_path parses");
    Pool::new(specs, &settings(connect_timeout_ms, timeout_ms, retry_s))
}

fn value_of(reply: &Reply) -> &[u8] {
    match reply {
        Reply::Value(v, _) => v,
        other => panic!("expected a value, got {other:?}"),
    }
}

// --- (a) pipelining ---------------------------------------------------------

#[test]
fn connection_pipelines_commands_and_returns_replies_in_order() {
    let mc = Memcached::start();
    let mut conn = Connection::connect(&mc.spec(), SECOND, 2 * SECOND).expect("connect");
    let value: &[u8] = b"v\0a\r\nl\x80\xff\r\n";
    let cmds = [
        Command::Set {
            key: b"pipe.k",
            value,
            exptime: 60,
            client_flags: 7,
            mode: SetMode::Set,
            cas: None,
        },
        Command::Get {
            key: b"pipe.k",
            value: true,
            ttl: true,
            cas: true,
            flags: true,
            touch: None,
        },
        Command::Delete {
            key: b"pipe.k",
            cas: None,
        },
        get(b"pipe.k"),
        Command::Noop,
    ];
    let r = conn.execute(&cmds).expect("pipeline");
    assert_eq!(r.len(), 5, "{r:?}");
    assert!(matches!(r[0], Reply::Done(_)), "ms: {:?}", r[0]);
    match &r[1] {
        Reply::Value(v, meta) => {
            assert_eq!(v.as_slice(), value);
            assert_eq!(meta.client_flags, Some(7));
            assert!(
                meta.ttl.is_some_and(|t| (1..=60).contains(&t)),
                "ttl {:?}",
                meta.ttl
            );
            assert!(meta.cas.is_some_and(|c| c > 0), "cas {:?}", meta.cas);
        }
        other => panic!("mg v: {other:?}"),
    }
    assert!(matches!(r[2], Reply::Done(_)), "md: {:?}", r[2]);
    assert_eq!(r[3..], [Reply::Miss, Reply::Noop]);
    assert!(!conn.is_broken());

    // The conditional outcomes, in one more pipeline on the same connection.
    let r = conn
        .execute(&[
            set(b"pipe.a", b"one"),
            Command::Set {
                key: b"pipe.a",
                value: b"two",
                exptime: 0,
                client_flags: 0,
                mode: SetMode::Add,
                cas: None,
            },
            Command::Set {
                key: b"pipe.missing",
                value: b"x",
                exptime: 0,
                client_flags: 0,
                mode: SetMode::Replace,
                cas: None,
            },
            Command::Set {
                key: b"pipe.a",
                value: b"three",
                exptime: 0,
                client_flags: 0,
                mode: SetMode::Set,
                cas: Some(u64::MAX - 1),
            },
            Command::Delete {
                key: b"pipe.missing",
                cas: None,
            },
            Command::Get {
                key: b"pipe.a",
                value: false,
                ttl: false,
                cas: false,
                flags: false,
                touch: Some(100),
            },
            Command::Get {
                key: b"pipe.a",
                value: true,
                ttl: true,
                cas: false,
                flags: false,
                touch: None,
            },
            Command::Noop,
        ])
        .expect("second pipeline");
    assert!(matches!(r[0], Reply::Done(_)), "{r:?}");
    assert_eq!(
        r[1..5],
        [
            Reply::NotStored,
            Reply::NotStored,
            Reply::Exists,
            Reply::NotFound
        ]
    );
    assert!(matches!(r[5], Reply::Done(_)), "touch: {:?}", r[5]);
    match &r[6] {
        Reply::Value(v, meta) => {
            assert_eq!(v, b"one", "add/replace/cas-mismatch stored nothing");
            assert!(
                meta.ttl.is_some_and(|t| (90..=100).contains(&t)),
                "touched ttl {:?}",
                meta.ttl
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r[7], Reply::Noop);

    // Many commands in one call: every reply lines up with its command.
    let keys: Vec<Vec<u8>> = (0..100)
        .map(|i| format!("pipe.many.{i}").into_bytes())
        .collect();
    let values: Vec<Vec<u8>> = (0..100)
        .map(|i| vec![u8::try_from(i).expect("< 256"); i * 37])
        .collect();
    let mut cmds = Vec::new();
    for (k, v) in keys.iter().zip(&values) {
        cmds.push(set(k, v));
        cmds.push(get(k));
    }
    cmds.push(Command::Noop);
    let r = conn.execute(&cmds).expect("100 sets and gets");
    assert_eq!(r.len(), 201);
    for (i, v) in values.iter().enumerate() {
        assert!(
            matches!(r[2 * i], Reply::Done(_)),
            "set {i}: {:?}",
            r[2 * i]
        );
        assert_eq!(value_of(&r[2 * i + 1]), v.as_slice(), "get {i}");
    }
    assert_eq!(r[200], Reply::Noop);
}

#[test]
fn pool_execute_pipelines_and_reuses_its_connection() {
    let mc = Memcached::start();
    let pool = pool_for(&mc.save_path(), 1000, 2000, 15);
    let r = pool
        .execute(
            0,
            &[
                set(b"p.k", b"v"),
                get(b"p.k"),
                Command::Delete {
                    key: b"p.k",
                    cas: None,
                },
                get(b"p.k"),
                Command::Noop,
            ],
        )
        .expect("pipeline");
    assert!(matches!(r[0], Reply::Done(_)));
    assert_eq!(value_of(&r[1]), b"v");
    assert!(matches!(r[2], Reply::Done(_)));
    assert_eq!(r[3..], [Reply::Miss, Reply::Noop]);
    for _ in 0..20 {
        assert_eq!(
            pool.execute(0, &[Command::Noop]).expect("noop"),
            [Reply::Noop]
        );
    }
    // memcached's total_connections counts every connection it accepted
    // (plus its listening socket, the startup probe and this one): a pool
    // that reuses its connection stays far below one per call.
    let total = total_connections(&mc);
    assert!(
        total < 10,
        "the pool opened a connection per call: total_connections {total}"
    );
}

// --- (b) restart: stale idle connection -------------------------------------

#[test]
fn idle_connection_to_a_restarted_server_is_replaced_transparently() {
    let mut mc = Memcached::start();
    let port = mc.port();
    let pool = pool_for(&mc.save_path(), 1000, 2000, 15);
    let r = pool
        .execute(0, &[set(b"restart.k", b"before"), get(b"restart.k")])
        .expect("first use");
    assert_eq!(value_of(&r[1]), b"before");
    let old_pid = mc.pid();

    mc.restart();
    assert_eq!(mc.port(), port, "same port");
    assert_ne!(mc.pid(), old_pid, "a new daemon");

    // The idle connection points at the dead daemon; the pool must notice and
    // replay on a fresh connection, with no error surfacing.
    let r = pool
        .execute(0, &[get(b"restart.k"), Command::Noop])
        .expect("replayed on a fresh connection");
    assert_eq!(r, [Reply::Miss, Reply::Noop], "the new daemon is empty");
    assert!(
        pool.servers()[0].failed_until().is_none(),
        "a stale idle connection is not a server failure"
    );

    let r = pool
        .execute(0, &[set(b"restart.k", b"after"), get(b"restart.k")])
        .expect("works afterwards");
    assert_eq!(value_of(&r[1]), b"after");

    // Twice more, with several calls in between that may hold idle connections.
    for round in 0..2 {
        mc.restart();
        for i in 0..5 {
            let r = pool
                .execute(0, &[Command::Noop])
                .unwrap_or_else(|e| panic!("round {round} call {i}: {e}"));
            assert_eq!(r, [Reply::Noop]);
        }
    }
}

#[test]
fn stale_connections_from_concurrent_use_are_all_replaced() {
    let mut mc = Memcached::start();
    let pool = Arc::new(pool_for(&mc.save_path(), 1000, 2000, 15));
    // Use the pool from several threads at once so several connections end
    // up idle.
    let hammer = |pool: &Arc<Pool>, tag: &str| {
        thread::scope(|s| {
            for t in 0..4 {
                let pool = Arc::clone(pool);
                s.spawn(move || {
                    for i in 0..50 {
                        let key = format!("conc.{t}.{i}").into_bytes();
                        let r = pool
                            .execute(0, &[set(&key, b"v"), get(&key)])
                            .unwrap_or_else(|e| panic!("{tag}: thread {t} call {i}: {e}"));
                        assert_eq!(value_of(&r[1]), b"v");
                    }
                });
            }
        });
    };
    hammer(&pool, "before restart");
    mc.restart();
    hammer(&pool, "after restart");
    assert!(pool.servers()[0].failed_until().is_none());
}

/// memcached's `total_connections`: every connection it accepted since it
/// started (its listening socket, the startup probe and this one included).
fn total_connections(mc: &Memcached) -> u64 {
    let mut s = TcpStream::connect(("127.0.0.1", mc.port())).expect("connect");
    s.write_all(b"stats\r\n").expect("write");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.ends_with(b"END\r\n") {
        let n = s.read(&mut chunk).expect("read stats");
        assert!(n > 0, "stats cut short");
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&buf)
        .lines()
        .find_map(|l| l.strip_prefix("STAT total_connections "))
        .and_then(|v| v.trim().parse().ok())
        .expect("total_connections")
}

#[test]
fn threads_keep_one_connection_each_between_calls() {
    // A threaded PHP server (FrankenPHP, a ZTS SAPI) runs one pool for all
    // its threads: each thread's connection must be kept idle for its next
    // request, not closed because the idle list is full.
    const THREADS: usize = 8;
    let mc = Memcached::start();
    let pool = Arc::new(pool_for(&mc.save_path(), 1000, 2000, 15));
    let before = total_connections(&mc);
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, barrier) = (Arc::clone(&pool), Arc::clone(&barrier));
            s.spawn(move || {
                for i in 0..100 {
                    barrier.wait(); // all threads call at about the same time
                    let key = format!("threads.{t}.{i}").into_bytes();
                    let r = pool
                        .execute(0, &[set(&key, b"v"), get(&key)])
                        .unwrap_or_else(|e| panic!("thread {t} call {i}: {e}"));
                    assert_eq!(value_of(&r[1]), b"v");
                }
            });
        }
    });
    // At most one connection per thread (and this check's own).
    let opened = total_connections(&mc) - before - 1;
    assert!(
        opened <= THREADS as u64,
        "{THREADS} threads x 100 calls opened {opened} connections"
    );
    assert!(pool.servers()[0].idle_connections() <= THREADS);
}

// --- (c) refused connect, retry interval --------------------------------------

#[test]
fn refused_connect_fails_fast_and_server_is_skipped_until_retry_interval() {
    let port = free_port(); // nothing listens here
    let pool = pool_for(&format!("127.0.0.1:{port}"), 2000, 1000, 1);

    let t = Instant::now();
    let err = pool
        .execute(0, &[Command::Noop])
        .expect_err("nothing listens");
    let took = t.elapsed();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("server 127.0.0.1:{port}: connect failed:")),
        "{err}"
    );
    assert!(
        took < Duration::from_millis(1500),
        "a refused connect must not wait for the 2 s connect timeout: {took:?}"
    );
    let failed_at = Instant::now();

    // Skipped without a connect attempt while the interval runs.
    let err = pool
        .execute(0, &[Command::Noop])
        .expect_err("server is marked failed");
    match &err {
        Error::ServerDown {
            server,
            retry_in_ms,
        } => {
            assert_eq!(server, &format!("127.0.0.1:{port}"));
            assert!(*retry_in_ms <= 1000, "{retry_in_ms}");
        }
        other => panic!("expected ServerDown, got {other:?}"),
    }
    assert!(pool.servers()[0].failed_until().is_some());

    // Once the interval has passed, the server is tried again (and refused
    // again: a real attempt, not ServerDown).
    assert!(
        wait_for(5 * SECOND, || pool.servers()[0].failed_until().is_none()),
        "retry interval never ended"
    );
    assert!(
        failed_at.elapsed() >= Duration::from_millis(900),
        "skipped for only {:?}",
        failed_at.elapsed()
    );
    let err = pool
        .execute(0, &[Command::Noop])
        .expect_err("still nothing listens");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");

    // A daemon appears on the port: after the interval the server is used.
    let _mc = Memcached::start_on_port(port, &[]);
    assert!(
        matches!(
            pool.execute(0, &[Command::Noop]),
            Err(Error::ServerDown { .. })
        ),
        "still within the interval"
    );
    assert!(
        wait_for(5 * SECOND, || pool.servers()[0].failed_until().is_none()),
        "retry interval never ended"
    );
    assert_eq!(
        pool.execute(0, &[Command::Noop]).expect("server is back"),
        [Reply::Noop]
    );
}

// --- (d) a server that never answers ---------------------------------------------

/// A listener whose first connection reads the request and never answers
/// (until told to send a late, stale `HD`), and whose later connections
/// answer each `mn` with `MN` (and `stats settings`, which the pool sends
/// first to a server it does not know yet, with an `item_size_max`). Returns the port, the accept count and the
/// "send the late reply now" channel (acknowledged on the second channel).
fn silent_then_answering_server() -> (u16, Arc<AtomicUsize>, mpsc::Sender<()>, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (late_tx, late_rx) = mpsc::channel::<()>();
    let (ack_tx, ack_rx) = mpsc::channel::<()>();
    let count = Arc::clone(&accepted);
    thread::spawn(move || {
        let Ok((mut first, _)) = listener.accept() else {
            return;
        };
        count.fetch_add(1, Ordering::SeqCst);
        let mut buf = [0u8; 4096];
        let _ = first.read(&mut buf);
        // Hold the connection, then answer far too late.
        if late_rx.recv().is_ok() {
            let _ = first.write_all(b"HD\r\n");
            let _ = ack_tx.send(());
        }
        let mut held = vec![first];
        while let Ok((mut c, _)) = listener.accept() {
            count.fetch_add(1, Ordering::SeqCst);
            let mut pending = Vec::new();
            // Answer each complete "mn\r\n" with "MN\r\n" until the client goes.
            while let Ok(n) = c.read(&mut buf) {
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&buf[..n]);
                while let Some(pos) = pending.windows(2).position(|w| w == b"\r\n") {
                    let line: Vec<u8> = pending.drain(..pos + 2).collect();
                    let reply: &[u8] = match &line[..] {
                        b"mn\r\n" => b"MN\r\n",
                        b"stats settings\r\n" => b"STAT item_size_max 1048576\r\nEND\r\n",
                        _ => b"ERROR\r\n",
                    };
                    if c.write_all(reply).is_err() {
                        break;
                    }
                }
            }
            held.push(c);
        }
    });
    (port, accepted, late_tx, ack_rx)
}

#[test]
fn silent_server_times_out_and_its_connection_is_not_reused() {
    let (port, accepted, late_tx, ack_rx) = silent_then_answering_server();
    // retry_interval 0: the server is not skipped, so the next call shows
    // whether the timed-out connection would be reused.
    let pool = pool_for(&format!("127.0.0.1:{port}"), 1000, 200, 0);

    let t = Instant::now();
    let err = pool
        .execute(0, &[Command::Noop])
        .expect_err("nobody answers");
    let took = t.elapsed();
    match &err {
        Error::Timeout { server, ms } => {
            assert_eq!(server, &format!("127.0.0.1:{port}"));
            assert_eq!(*ms, 200);
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!("server 127.0.0.1:{port}: no answer within 200 ms")
    );
    assert!(
        took >= Duration::from_millis(100),
        "gave up before the timeout: {took:?}"
    );
    assert!(
        took < Duration::from_secs(10),
        "took {took:?}: the 200 ms deadline was not kept (the server never answers, so only a hang is caught; the bound is loose so a loaded machine cannot fail it)"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // The old connection now holds a stale "HD": reusing it would desync.
    late_tx.send(()).expect("server thread alive");
    ack_rx.recv_timeout(5 * SECOND).expect("late reply sent");
    let r = pool
        .execute(0, &[Command::Noop])
        .expect("a fresh connection answers");
    assert_eq!(
        r,
        [Reply::Noop],
        "read a stale reply: the timed-out connection was reused"
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "a new connection was opened"
    );
    // And that one is reused from now on.
    assert_eq!(
        pool.execute(0, &[Command::Noop]).expect("reuse"),
        [Reply::Noop]
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[test]
fn timeout_breaks_the_connection_and_marks_the_server_failed() {
    let (port, _accepted, _late_tx, _ack_rx) = silent_then_answering_server();
    let spec = save_path::parse(&format!("127.0.0.1:{port}"))
        .expect("parses")
        .remove(0);

    let mut conn = Connection::connect(&spec, SECOND, Duration::from_millis(150)).expect("connect");
    let t = Instant::now();
    let err = conn
        .execute(&[get(b"k"), Command::Noop])
        .expect_err("nobody answers");
    assert!(matches!(err, Error::Timeout { ms: 150, .. }), "{err:?}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}: the 150 ms deadline was not kept (only a hang is caught)",
        t.elapsed()
    );
    assert!(
        conn.is_broken(),
        "a timed-out connection must not be reused"
    );
    drop(conn);

    // Through a pool with a retry interval, the timeout marks the server failed.
    let (port, _accepted2, _late_tx2, _ack_rx2) = silent_then_answering_server();
    let pool = pool_for(&format!("127.0.0.1:{port}"), 1000, 150, 1);
    let err = pool
        .execute(0, &[Command::Noop])
        .expect_err("nobody answers");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let err = pool.execute(0, &[Command::Noop]).expect_err("skipped");
    assert!(matches!(err, Error::ServerDown { .. }), "{err:?}");
}

#[test]
fn write_to_a_server_that_never_reads_times_out() {
    // A listener that accepts and then neither reads nor answers: a large
    // value fills the socket buffers and the write itself must time out.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        let conn = listener.accept();
        let _ = stop_rx.recv(); // hold the socket until the test ends
        drop(conn);
    });
    let pool = pool_for(&format!("127.0.0.1:{port}"), 1000, 200, 0);
    let big = vec![b'x'; 64 * 1024 * 1024];
    let t = Instant::now();
    let err = pool
        .execute(0, &[set(b"big", &big)])
        .expect_err("never read");
    let took = t.elapsed();
    assert!(matches!(err, Error::Timeout { ms: 200, .. }), "{err:?}");
    assert!(
        took < Duration::from_secs(10),
        "took {took:?}: the 200 ms deadline was not kept (the server never answers, so only a hang is caught; the bound is loose so a loaded machine cannot fail it)"
    );
    drop(stop_tx);
}

#[test]
fn a_server_dribbling_its_reply_is_cut_off_at_the_operation_deadline() {
    // The I/O timeout bounds the whole operation: a server that sends one
    // byte every 100 ms (each socket read succeeds in time) must not hold
    // the request for len x 100 ms.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            // The pool sends `stats settings` and `mg k … O<n> k` in one
            // write: answer the first, and start a reply that matches the
            // second (its opaque) before dribbling the value.
            let mut buf = [0u8; 256];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            let opaque = req
                .split_whitespace()
                .find(|t| t.starts_with('O'))
                .unwrap_or("O0")
                .to_owned();
            let _ = s.write_all(b"STAT item_size_max 1048576\r\nEND\r\n");
            let _ = s.write_all(format!("VA 20 {opaque} kk\r\n").as_bytes());
            for _ in 0..25 {
                thread::sleep(Duration::from_millis(100));
                if s.write_all(b"x").is_err() {
                    break;
                }
            }
        }
    });
    let pool = pool_for(&format!("127.0.0.1:{port}"), 1000, 300, 0);
    let t = Instant::now();
    let err = pool
        .execute(0, &[get(b"k")])
        .expect_err("dribbled past the deadline");
    let took = t.elapsed();
    assert!(matches!(err, Error::Timeout { ms: 300, .. }), "{err:?}");
    assert!(
        took < Duration::from_millis(1900),
        "took {took:?}; the reply needed 2 s"
    );
}

// --- (e) oversized values ------------------------------------------------------

#[test]
fn oversized_value_is_a_server_error_and_the_pool_stays_in_sync() {
    let mc = Memcached::start_with(&["-I", "1m"]);
    let pool = pool_for(&mc.save_path(), 1000, 5000, 15);
    let big = vec![b'b'; 2 * 1024 * 1024];

    let r = pool
        .execute(0, &[set(b"other", b"other-value")])
        .expect("small set");
    assert!(matches!(r[0], Reply::Done(_)));

    // The error line answers that command (a per-command reply), not the
    // round trip.
    let r = pool
        .execute(0, &[set(b"huge", &big)])
        .expect("an answer for the set");
    assert_eq!(
        r,
        [Reply::Failed(
            "SERVER_ERROR object too large for cache".into()
        )]
    );
    assert!(
        pool.servers()[0].failed_until().is_none(),
        "an error line does not mark the server failed"
    );

    let r = pool
        .execute(0, &[get(b"other"), get(b"huge"), Command::Noop])
        .expect("next command works");
    assert_eq!(value_of(&r[0]), b"other-value");
    assert_eq!(r[1..], [Reply::Miss, Reply::Noop]);

    // Pipelined behind the oversized set, the other replies are still read
    // and matched to their commands; the next call must not see them.
    let r = pool
        .execute(0, &[set(b"huge", &big), get(b"other"), Command::Noop])
        .expect("oversized again, in a pipeline");
    assert!(matches!(r[0], Reply::Failed(_)), "{r:?}");
    assert_eq!(value_of(&r[1]), b"other-value");
    assert_eq!(r[2], Reply::Noop);
    let r = pool
        .execute(0, &[set(b"third", b"3"), get(b"third")])
        .expect("in sync");
    assert!(matches!(r[0], Reply::Done(_)), "{r:?}");
    assert_eq!(value_of(&r[1]), b"3");
}

#[test]
fn handler_refuses_an_oversized_session_and_keeps_the_previous_copy() {
    // memcached itself unlinks the old item when a set is too large, so the
    // handler must not send such a set at all.
    let mc = Memcached::start_with(&["-I", "1m"]);
    let mut config = Config::load(|_| None).expect("default config");
    config.pool = settings(1000, 5000, 15);
    let mut h = Handler::open(&mc.save_path(), &config).expect("open");
    let sid = b"oversizedSession1";
    h.write(sid, b"small|i:1;", 1440).expect("small write");

    let big = vec![b'b'; 2 * 1024 * 1024];
    let err = h.write(sid, &big, 1440).expect_err("too large");
    let text = err.to_string();
    assert!(
        text.starts_with("session oversi... not written (2097152 bytes)")
            && !text.contains("oversizedSession1"),
        "{text}"
    );
    assert_eq!(
        h.read(sid).expect("read"),
        b"small|i:1;",
        "the previous copy must survive a refused write"
    );

    h.write(sid, b"after|i:2;", 1440)
        .expect("write after the refusal");
    assert_eq!(h.read(sid).expect("read"), b"after|i:2;");
}

// --- (f) unix sockets --------------------------------------------------------------

#[test]
fn unix_socket_save_path_works() {
    let mut mc = Memcached::start_unix(&[]);
    let save_path = mc.save_path();
    let specs = save_path::parse(&save_path).expect("unix:// parses");
    let common::Listen::Unix(path) = mc.listen().clone() else {
        panic!("unix daemon")
    };
    assert_eq!(specs[0].addr, ServerAddr::Unix(path.clone()));
    assert_eq!(specs[0].label(), save_path);
    // php-memcached's bare-path grammar names the same server.
    let bare = save_path::parse(&path.display().to_string()).expect("bare path parses");
    assert_eq!(bare[0].addr, specs[0].addr);

    let pool = pool_for(&save_path, 1000, 2000, 15);
    let value: &[u8] = b"unix\0value\r\n\xff";
    let r = pool
        .execute(
            0,
            &[
                set(b"u.k", value),
                get(b"u.k"),
                Command::Delete {
                    key: b"u.k",
                    cas: None,
                },
                get(b"u.k"),
                Command::Noop,
            ],
        )
        .expect("pipeline over a unix socket");
    assert!(matches!(r[0], Reply::Done(_)));
    assert_eq!(value_of(&r[1]), value);
    assert!(matches!(r[2], Reply::Done(_)));
    assert_eq!(r[3..], [Reply::Miss, Reply::Noop]);

    // A restart behind the socket is handled like a TCP one.
    mc.restart();
    assert_eq!(
        pool.execute(0, &[Command::Noop])
            .expect("fresh unix connection"),
        [Reply::Noop]
    );
    assert!(pool.servers()[0].failed_until().is_none());

    // A missing socket file is a fast connect error naming the socket.
    mc.stop();
    let _ = std::fs::remove_file(&path);
    let dead = pool_for(&save_path, 1000, 1000, 15);
    let err = dead.execute(0, &[Command::Noop]).expect_err("no socket");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("server {save_path}: connect failed:")),
        "{err}"
    );
}
