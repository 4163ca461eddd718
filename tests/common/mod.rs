//! Shared helpers for the integration tests: throwaway memcached daemons,
//! the built extension, running PHP, and a few small utilities.
//!
//! Every test starts its own memcached (a free loopback port or a unix socket
//! in a private temp dir), so tests run in parallel and in any order. Each
//! daemon is killed by its PID when its [`Memcached`] handle is dropped.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use rsmemcache::{
    core::hash::{HashFunction, Strategy},
    core::save_path::{self, ServerSpec},
    net::pool::PoolSettings,
};
use std::{
    collections::HashSet,
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    os::unix::{fs::MetadataExt, fs::PermissionsExt, net::UnixStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicU32, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

/// How long a daemon may take to answer after being spawned.
const STARTUP_DEADLINE: Duration = Duration::from_secs(10);

/// How long a PHP child may run before it is killed and the test fails.
const PHP_DEADLINE: Duration = Duration::from_secs(60);

/// The memcached binary (`MEMCACHED` overrides).
fn memcached_bin() -> String {
    std::env::var("MEMCACHED").unwrap_or_else(|_| "memcached".to_owned())
}

/// The PHP CLI binary (`TEST_PHP_EXECUTABLE` overrides, as for run-tests.php).
pub fn php_bin() -> String {
    std::env::var("TEST_PHP_EXECUTABLE").unwrap_or_else(|_| "php".to_owned())
}

fn is_root() -> bool {
    // /proc/self is owned by the process's effective uid.
    if let Ok(m) = std::fs::metadata("/proc/self") {
        return m.uid() == 0;
    }
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A loopback TCP port that was free a moment ago (bound to port 0, then
/// released). Never hands out the same port twice within this process.
pub fn free_port() -> u16 {
    static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let handed = HANDED_OUT.get_or_init(|| Mutex::new(HashSet::new()));
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("bind 127.0.0.1:0");
        if handed.lock().expect("port set lock").insert(port) {
            return port;
        }
    }
}

/// A private directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh directory, world-writable so a memcached that dropped
    /// root privileges (`-u nobody`) can create its socket there.
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "rsmemcache-test-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&dir).expect("create temp dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
            .expect("chmod temp dir");
        Self(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where a test daemon listens.
#[derive(Debug, Clone)]
pub enum Listen {
    /// `127.0.0.1:<port>`.
    Tcp(u16),
    /// A unix socket path.
    Unix(PathBuf),
}

/// A throwaway memcached process, killed (by PID) on drop.
#[derive(Debug)]
pub struct Memcached {
    child: Option<Child>,
    listen: Listen,
    extra: Vec<String>,
    _dir: Option<TempDir>,
}

impl Memcached {
    /// Starts memcached on a free loopback port.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts memcached on a free loopback port with extra arguments
    /// (e.g. `["-I", "1m"]`). Retries on another port if the chosen one was
    /// taken in between.
    pub fn start_with(extra: &[&str]) -> Self {
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        let mut last_err = String::new();
        for _ in 0..20 {
            let listen = Listen::Tcp(free_port());
            match spawn(&listen, &extra) {
                Ok(child) => {
                    return Self {
                        child: Some(child),
                        listen,
                        extra,
                        _dir: None,
                    };
                }
                Err(e) => last_err = e,
            }
        }
        panic!("could not start memcached on a free port: {last_err}");
    }

    /// Starts memcached on a given loopback port (retrying a few times in
    /// case the port is briefly still held).
    pub fn start_on_port(port: u16, extra: &[&str]) -> Self {
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        let listen = Listen::Tcp(port);
        let child = spawn_retrying(&listen, &extra);
        Self {
            child: Some(child),
            listen,
            extra,
            _dir: None,
        }
    }

    /// Starts memcached listening only on a unix socket in a private temp dir.
    pub fn start_unix(extra: &[&str]) -> Self {
        let dir = TempDir::new("sock");
        let listen = Listen::Unix(dir.path().join("memcached.sock"));
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        let child = spawn_retrying(&listen, &extra);
        Self {
            child: Some(child),
            listen,
            extra,
            _dir: Some(dir),
        }
    }

    /// Where it listens.
    pub fn listen(&self) -> &Listen {
        &self.listen
    }

    /// The TCP port (panics for a unix-socket daemon).
    pub fn port(&self) -> u16 {
        match self.listen {
            Listen::Tcp(p) => p,
            Listen::Unix(_) => panic!("unix-socket memcached has no port"),
        }
    }

    /// A `session.save_path` naming this daemon: `127.0.0.1:<port>` or
    /// `unix:///path`.
    pub fn save_path(&self) -> String {
        match &self.listen {
            Listen::Tcp(p) => format!("127.0.0.1:{p}"),
            Listen::Unix(path) => format!("unix://{}", path.display()),
        }
    }

    /// The parsed save_path entry of this daemon.
    pub fn spec(&self) -> ServerSpec {
        let mut v = save_path::parse(&self.save_path()).expect("own save_path parses");
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    /// The daemon's PID (panics once stopped).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("memcached is running").id()
    }

    /// Kills the daemon (SIGKILL to its PID) and reaps it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the daemon and starts a new one on the same port or socket,
    /// with the same arguments. Returns once the new one answers.
    pub fn restart(&mut self) {
        let old = self.child.as_ref().map(Child::id);
        self.stop();
        if let Listen::Unix(path) = &self.listen {
            let _ = std::fs::remove_file(path);
        }
        let child = spawn_retrying(&self.listen, &self.extra);
        assert_ne!(Some(child.id()), old);
        self.child = Some(child);
    }

    /// A memcache-async client on a new connection to this daemon (TCP).
    pub fn async_client(
        &self,
    ) -> memcache_async::ascii::Protocol<futures::io::AllowStdIo<TcpStream>> {
        let stream = TcpStream::connect(("127.0.0.1", self.port())).expect("connect to memcached");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("set read timeout");
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .expect("set write timeout");
        memcache_async::ascii::Protocol::new(futures::io::AllowStdIo::new(stream))
    }

    /// A memcache-async client on a new connection to this daemon (unix socket).
    pub fn async_unix_client(
        &self,
    ) -> memcache_async::ascii::Protocol<futures::io::AllowStdIo<UnixStream>> {
        let Listen::Unix(path) = &self.listen else {
            panic!("not a unix-socket memcached")
        };
        let stream = UnixStream::connect(path).expect("connect to memcached socket");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("set read timeout");
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .expect("set write timeout");
        memcache_async::ascii::Protocol::new(futures::io::AllowStdIo::new(stream))
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_retrying(listen: &Listen, extra: &[String]) -> Child {
    let mut last_err = String::new();
    for _ in 0..10 {
        match spawn(listen, extra) {
            Ok(child) => return child,
            Err(e) => last_err = e,
        }
    }
    panic!("could not start memcached on {listen:?}: {last_err}");
}

/// Spawns one memcached and waits (bounded) until *it* answers: `version`
/// must reply and `stats` must report the child's own PID, so a daemon of
/// another test that holds the same port is never mistaken for ours.
fn spawn(listen: &Listen, extra: &[String]) -> Result<Child, String> {
    let mut cmd = Command::new(memcached_bin());
    if is_root() {
        cmd.args(["-u", "nobody"]);
    }
    cmd.args(["-U", "0"]);
    match listen {
        Listen::Tcp(port) => {
            cmd.args(["-l", "127.0.0.1", "-p", &port.to_string()]);
        }
        Listen::Unix(path) => {
            cmd.arg("-s").arg(path).args(["-a", "0777"]);
        }
    }
    cmd.args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", memcached_bin()))?;
    let pid = child.id();
    let deadline = Instant::now() + STARTUP_DEADLINE;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                let _ = s.read_to_string(&mut err);
            }
            return Err(format!("memcached exited with {status}: {}", err.trim()));
        }
        match probe(listen) {
            Ok(stats) if stats.contains(&format!("STAT pid {pid}\r\n")) => return Ok(child),
            Ok(_) => {} // someone else's daemon on this port; ours will exit
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "memcached (pid {pid}) did not answer within {STARTUP_DEADLINE:?}"
            ));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `version` then `stats`; returns the stats text if both answered.
fn probe(listen: &Listen) -> std::io::Result<String> {
    fn talk<S: Read + Write>(mut s: S) -> std::io::Result<String> {
        s.write_all(b"version\r\nstats\r\n")?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.ends_with(b"END\r\n") {
            let n = s.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        if !text.starts_with("VERSION ") {
            return Err(std::io::Error::other(format!("unexpected answer: {text}")));
        }
        Ok(text)
    }
    let timeout = Some(Duration::from_millis(500));
    match listen {
        Listen::Tcp(port) => {
            let addr = SocketAddr::from(([127, 0, 0, 1], *port));
            let s = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
            s.set_read_timeout(timeout)?;
            s.set_write_timeout(timeout)?;
            talk(s)
        }
        Listen::Unix(path) => {
            let s = UnixStream::connect(path)?;
            s.set_read_timeout(timeout)?;
            s.set_write_timeout(timeout)?;
            talk(s)
        }
    }
}

/// Pool settings for tests: consistent/crc32 placement and the given timeouts.
pub fn settings(connect_timeout_ms: u64, timeout_ms: u64, retry_interval_s: u64) -> PoolSettings {
    PoolSettings {
        connect_timeout_ms,
        timeout_ms,
        retry_interval_s,
        retry_interval_cap_s: 86_400,
        strategy: Strategy::Consistent,
        function: HashFunction::Crc32,
        auth_file: String::new(),
        tls: rsmemcache::net::tls::TlsSettings::default(),
        previous_save_path: String::new(),
    }
}

/// Polls `cond` every 10 ms until it holds or `limit` passes; returns
/// whether it held.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The built extension: `$RSMEMCACHE_SO` if set, else the result of
/// `cargo build --release` (run once per test process).
pub fn extension() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        if let Some(p) = std::env::var_os("RSMEMCACHE_SO").filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "RSMEMCACHE_SO={} is not a file", p.display());
            return p;
        }
        build_extension()
    })
}

fn build_extension() -> PathBuf {
    // `cargo test` holds the build lock only while compiling, so building
    // from inside a running test is fine; the OnceLock makes it happen once.
    let cargo = std::env::var("CARGO")
        .ok()
        .or_else(|| option_env!("CARGO").map(str::to_owned))
        .unwrap_or_else(|| "cargo".to_owned());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--lib",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .stdin(Stdio::null())
        .output()
        .expect("run cargo build --release");
    assert!(
        out.status.success(),
        "cargo build --release failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // Find the cdylib among the compiler-artifact messages; fall back to the
    // conventional location.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let from_json = stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .find_map(|l| {
            let end = l.find("librsmemcache.so\"")? + "librsmemcache.so".len();
            let start = l[..end].rfind('"')? + 1;
            Some(PathBuf::from(&l[start..end]))
        });
    let so = from_json.unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
            PathBuf::from,
        );
        target.join("release").join("librsmemcache.so")
    });
    assert!(
        so.is_file(),
        "built extension not found at {}",
        so.display()
    );
    so
}

/// What a PHP child printed.
#[derive(Debug)]
pub struct PhpRun {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

impl PhpRun {
    /// Stdout as (lossy) text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Panics with both streams unless PHP exited 0 without any warning,
    /// notice or error on either stream.
    pub fn assert_clean(&self) {
        let all = format!("{}{}", self.out(), String::from_utf8_lossy(&self.stderr));
        let noisy = ["Warning", "Notice", "Fatal", "Deprecated", "error:"]
            .iter()
            .any(|w| all.contains(w));
        assert!(
            self.code == Some(0) && !noisy,
            "php exited {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            self.out(),
            String::from_utf8_lossy(&self.stderr)
        );
    }

    /// The value of the stdout line `NAME value` (first match).
    pub fn field(&self, name: &str) -> Option<String> {
        let prefix = format!("{name} ");
        self.out()
            .lines()
            .find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
    }
}

/// Runs `php -n` with the extension loaded, `rsmemcache` as save handler on
/// `save_path`, no cookies or cache headers, `session.use_strict_mode=0`
/// (the scripts choose their session ids; PHP 8.6 turned strict mode on by
/// default, which replaces an id the store does not hold), plus `ini`
/// settings (given later, so they win), executing `script` with `-r`.
/// Killed (and the test failed) after [`PHP_DEADLINE`].
pub fn run_php(save_path: &str, ini: &[(&str, &str)], script: &str) -> PhpRun {
    let mut cmd = Command::new(php_bin());
    cmd.arg("-n")
        .arg("-d")
        .arg(format!("extension={}", extension().display()))
        .args(["-d", "session.save_handler=rsmemcache"])
        .arg("-d")
        .arg(format!("session.save_path={save_path}"))
        .args([
            "-d",
            "session.use_cookies=0",
            "-d",
            "session.cache_limiter=",
            "-d",
            "session.use_strict_mode=0",
        ])
        .args(["-d", "display_errors=stderr", "-d", "error_reporting=-1"]);
    for (k, v) in ini {
        cmd.arg("-d").arg(format!("{k}={v}"));
    }
    cmd.arg("-r").arg(script);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn php");
    let mut so = child.stdout.take().expect("php stdout");
    let mut se = child.stderr.take().expect("php stderr");
    let out_t = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let err_t = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + PHP_DEADLINE;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for php") {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("php did not finish within {PHP_DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    PhpRun {
        code: status.code(),
        stdout: out_t.join().expect("stdout reader"),
        stderr: err_t.join().expect("stderr reader"),
    }
}

/// Standard base64 (RFC 4648, with padding) decoding, for PHP's
/// `base64_encode()` output.
pub fn base64_decode(text: &str) -> Vec<u8> {
    fn val(c: u8) -> u32 {
        u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("invalid base64 byte {c:#04x}"),
        })
    }
    let bytes: Vec<u8> = text.trim().bytes().collect();
    assert!(
        bytes.len() % 4 == 0,
        "base64 length {} is not a multiple of 4",
        bytes.len()
    );
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for quad in bytes.chunks(4) {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        let n = quad[..4 - pad]
            .iter()
            .fold(0u32, |acc, &c| (acc << 6) | val(c))
            << (6 * pad);
        let [_, a, b, c] = n.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..3 - pad]);
    }
    out
}
