//! A TCP delay proxy for the benchmark (`scripts/bench.sh`), std only.
//!
//! ```text
//! delay_proxy --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT \
//!             [--delay-us D] [--control 127.0.0.1:PORT]
//! ```
//!
//! Accepts connections on `--listen` and forwards each to `--upstream`
//! (memcached). Every chunk the client sends (every successful `read()` on
//! the client socket) is held until D µs after it arrived, then written to
//! the server; chunks of one connection keep their order. Server→client
//! traffic is forwarded at once. Because a chunk's deadline counts from its
//! arrival, chunks sent back to back wait together: a cycle that waits for
//! the server k times in a row is slowed by k×D, so the slope of cycle time
//! over D is the number of round trips.
//!
//! `--control`: a loopback port where every connection gets one line,
//! `writes=<client chunks so far> conns=<connections accepted so far>`, and
//! is closed. The benchmark reads it before and after its timed loop.
//!
//! Says `delay_proxy: listening on <addr>, ...` on stderr once it accepts
//! connections. Runs until killed.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Client→server chunks read so far, over all connections.
static WRITES: AtomicU64 = AtomicU64::new(0);
/// Connections accepted so far.
static CONNS: AtomicU64 = AtomicU64::new(0);

/// Sleeps until `due`: a coarse sleep, then a short spin for the last part,
/// so the delay does not carry the kernel's timer slack (~50-100 µs).
fn wait_until(due: Instant) {
    const SPIN: Duration = Duration::from_micros(150);
    loop {
        let now = Instant::now();
        if now >= due {
            return;
        }
        let left = due - now;
        if left > SPIN {
            thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// A chunk from the client and the instant it may go to the server; `None`
/// marks the client's end of stream.
type Item = Option<(Instant, Vec<u8>)>;

/// The per-connection queue of chunks waiting to be forwarded.
struct Queue {
    items: Mutex<VecDeque<Item>>,
    ready: Condvar,
}

impl Queue {
    fn push(&self, item: Item) {
        let mut q = self.items.lock().unwrap_or_else(|e| e.into_inner());
        q.push_back(item);
        self.ready.notify_one();
    }

    fn pop(&self) -> Item {
        let mut q = self.items.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(item) = q.pop_front() {
                return item;
            }
            q = self.ready.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn serve(client: TcpStream, upstream: SocketAddr, delay: Duration) {
    let server = match TcpStream::connect(upstream) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("delay_proxy: connect {upstream}: {e}");
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(mut client_rd), Ok(mut client_wr), Ok(mut server_rd), Ok(mut server_wr)) = (
        client.try_clone(),
        client.try_clone(),
        server.try_clone(),
        server.try_clone(),
    ) else {
        eprintln!("delay_proxy: cannot clone sockets");
        return;
    };

    let queue = Arc::new(Queue {
        items: Mutex::new(VecDeque::new()),
        ready: Condvar::new(),
    });

    // client -> queue (stamped with its deadline)
    let q_in = Arc::clone(&queue);
    let reader = thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match client_rd.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let due = Instant::now() + delay;
                    WRITES.fetch_add(1, Ordering::Relaxed);
                    q_in.push(Some((due, buf[..n].to_vec())));
                }
            }
        }
        q_in.push(None);
    });

    // queue -> server, each chunk at its deadline, in order
    let q_out = Arc::clone(&queue);
    let writer = thread::spawn(move || {
        while let Some((due, chunk)) = q_out.pop() {
            if !delay.is_zero() {
                wait_until(due);
            }
            if server_wr.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = server_wr.shutdown(Shutdown::Write);
    });

    // server -> client, undelayed
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match server_rd.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if client_wr.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
    let _ = reader.join();
    // The reader pushed its end marker (its socket is shut down), so the
    // writer ends too.
    let _ = writer.join();
}

fn control(listener: TcpListener) {
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        let line = format!(
            "writes={} conns={}\n",
            WRITES.load(Ordering::Relaxed),
            CONNS.load(Ordering::Relaxed)
        );
        let _ = conn.write_all(line.as_bytes());
        let _ = conn.shutdown(Shutdown::Both);
    }
}

fn usage(why: &str) -> ExitCode {
    eprintln!(
        "delay_proxy: {why}\nusage: delay_proxy --listen HOST:PORT --upstream HOST:PORT \
         [--delay-us D] [--control HOST:PORT]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut listen = None;
    let mut upstream = None;
    let mut control_addr = None;
    let mut delay_us: u64 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(value) = args.next() else {
            return usage(&format!("{arg} needs a value"));
        };
        match arg.as_str() {
            "--listen" => listen = Some(value),
            "--upstream" => upstream = Some(value),
            "--control" => control_addr = Some(value),
            "--delay-us" => match value.parse() {
                Ok(v) => delay_us = v,
                Err(_) => return usage(&format!("bad --delay-us '{value}'")),
            },
            _ => return usage(&format!("unknown argument '{arg}'")),
        }
    }
    let (Some(listen), Some(upstream)) = (listen, upstream) else {
        return usage("--listen and --upstream are required");
    };
    let upstream: SocketAddr = match upstream.parse() {
        Ok(a) => a,
        Err(e) => return usage(&format!("bad --upstream '{upstream}': {e}")),
    };
    let listener = match TcpListener::bind(&listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("delay_proxy: bind {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(addr) = control_addr {
        match TcpListener::bind(&addr) {
            Ok(l) => {
                thread::spawn(move || control(l));
            }
            Err(e) => {
                eprintln!("delay_proxy: bind {addr}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let delay = Duration::from_micros(delay_us);
    match listener.local_addr() {
        Ok(a) => eprintln!("delay_proxy: listening on {a}, delay {delay_us} us"),
        Err(_) => eprintln!("delay_proxy: listening on {listen}, delay {delay_us} us"),
    }
    for conn in listener.incoming() {
        match conn {
            Ok(c) => {
                CONNS.fetch_add(1, Ordering::Relaxed);
                thread::spawn(move || serve(c, upstream, delay));
            }
            Err(e) => eprintln!("delay_proxy: accept: {e}"),
        }
    }
    ExitCode::SUCCESS
}
