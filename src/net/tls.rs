//! TLS to memcached (`memcached -Z`): the client configuration built from
//! the `rsmemcache.tls_*` directives (read once per process and settings),
//! and the non-blocking TLS stream the connection's poll loop drives.
//!
//! Library: rustls 0.23 with the *ring* provider. rustls because it needs
//! no system library at run time and keeps its protocol state apart from
//! the socket (we feed it bytes from our own non-blocking socket, so the
//! `poll(2)` loop in [`crate::net::connection`] stays the only place that
//! waits); ring rather than aws-lc-rs because it builds with only a C
//! compiler (aws-lc-rs needs cmake and, for some targets, Go and NASM) on
//! every Debian chroot the project builds in.
//!
//! Rules:
//! * The server certificate is verified (chain to `rsmemcache.tls_ca_file`,
//!   else the system's roots, and name: `rsmemcache.tls_server_name`, else
//!   the host of save_path) unless `rsmemcache.tls_verify_peer = 0`.
//! * A failed handshake is an error naming the server and rustls' reason;
//!   the caller treats it like a refused connection. Never a plaintext
//!   fallback.
//! * One [`ClientConfig`] per settings and process, so its in-memory session
//!   cache lets reconnects resume the TLS session — except with a client
//!   certificate: memcached with `ssl_verify_mode=2` refuses resumption
//!   (an internal_error alert; see [`client_config`]), so those connections
//!   make full handshakes (pooling keeps them rare).

use crate::{
    core::save_path::{ServerAddr, ServerSpec},
    error::{Error, Result},
    secrets::secret_file::Kind,
};
use once_cell::sync::Lazy;
use parking_lot::Mutex;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::{
        ResolvesClientCert,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime, pem::PemObject},
    sign::CertifiedKey,
};
use socket2::Socket;
use std::{
    collections::HashMap,
    io::{self, Read, Write},
    os::fd::AsFd,
    sync::Arc,
    time::Instant,
};

/// The `rsmemcache.tls_*` directives that shape a client configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    /// `rsmemcache.tls`: every server of a php-memcached-style list uses TLS.
    pub all: bool,
    /// `rsmemcache.tls_ca_file`: PEM file of the CA(s); empty: system roots.
    pub ca_file: String,
    /// `rsmemcache.tls_cert_file`: PEM client certificate (chain); empty: none.
    pub cert_file: String,
    /// `rsmemcache.tls_key_file`: PEM private key of the client certificate.
    pub key_file: String,
    /// `rsmemcache.tls_server_name`: name to verify instead of the host.
    pub server_name: String,
    /// `rsmemcache.tls_verify_peer`: verify the server's certificate.
    pub verify_peer: bool,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn file_error(directive: &'static str, path: &str, reason: impl std::fmt::Display) -> Error {
    Error::TlsSetup {
        directive,
        path: crate::error::escape_for_message(path.as_bytes(), 200),
        reason: reason.to_string(),
    }
}

/// The file of `directive` at `path`, read with the checks of
/// [`crate::secrets::secret_file::read_checked`].
fn read(directive: &'static str, path: &str, kind: Kind) -> Result<Vec<u8>> {
    crate::secrets::secret_file::read_checked(directive, path, kind)
        .map_err(|e| file_error(directive, path, e))
}

fn certs(directive: &'static str, path: &str) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read(directive, path, Kind::Public)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| file_error(directive, path, "not a valid PEM file"))?;
    if certs.is_empty() {
        return Err(file_error(directive, path, "no PEM certificate in it"));
    }
    Ok(certs)
}

/// Whether DER certificate `der` is X.509 version 1 (its TBSCertificate
/// starts without the `[0] EXPLICIT Version` field, RFC 5280 4.1): what
/// `openssl x509 -req` without `-extfile` makes in OpenSSL 3.0.
fn is_x509_v1(der: &[u8]) -> bool {
    /// Skips a DER tag and length at `at`; the offset of the contents.
    fn contents(der: &[u8], at: usize) -> Option<usize> {
        let len = *der.get(at + 1)?;
        Some(
            at + 2
                + if len & 0x80 == 0 {
                    0
                } else {
                    usize::from(len & 0x7f)
                },
        )
    }
    contents(der, 0)
        .and_then(|tbs| contents(der, tbs))
        .and_then(|first| der.get(first))
        .is_some_and(|&tag| tag != 0xa0)
}

/// Sends the one client certificate of `rsmemcache.tls_cert_file`, whatever
/// the server asks: the server decides whether it trusts it.
#[derive(Debug)]
struct ClientCert(Arc<CertifiedKey>);

impl ResolvesClientCert for ClientCert {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The client certificate chain of `cert_file` with the key of `key_file`.
/// The chain is not verified here (memcached does that, with OpenSSL):
/// rustls' own check that the key belongs to the certificate parses the
/// certificate with webpki, which refuses X.509 v1 certificates that
/// OpenSSL accepts — so for one of those the check is skipped, and said
/// once in the error log with how to make a v3 certificate.
fn client_cert(
    provider: &rustls::crypto::CryptoProvider,
    cert_file: &str,
    key_file: &str,
) -> Result<Arc<CertifiedKey>> {
    let chain = certs("rsmemcache.tls_cert_file", cert_file)?;
    let pem = read("rsmemcache.tls_key_file", key_file, Kind::Secret)?;
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        file_error(
            "rsmemcache.tls_key_file",
            key_file,
            "no PEM private key in it",
        )
    })?;
    let signer = provider.key_provider.load_private_key(key).map_err(|_| {
        file_error(
            "rsmemcache.tls_key_file",
            key_file,
            "a private key of a kind rustls cannot sign with (use an EC P-256/P-384, Ed25519 or RSA key)",
        )
    })?;
    let certified = CertifiedKey::new(chain, signer);
    if is_x509_v1(&certified.cert[0]) {
        crate::secrets::secret_file::notice_once(format!(
            "rsmemcache.tls_cert_file '{}' is an X.509 v1 certificate: it is sent as it is (memcached decides), without checking that rsmemcache.tls_key_file belongs to it; to make a v3 one, sign it again with openssl x509 -req ... -extfile FILE, FILE holding extendedKeyUsage=clientAuth",
            crate::error::escape_for_message(cert_file.as_bytes(), 200)
        ));
        return Ok(Arc::new(certified));
    }
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(file_error(
            "rsmemcache.tls_key_file",
            key_file,
            "this private key does not belong to the certificate of rsmemcache.tls_cert_file",
        )),
        Err(e) => Err(file_error(
            "rsmemcache.tls_cert_file",
            cert_file,
            describe(&e),
        )),
    }
}

/// The name(s) a certificate holds, as webpki lists them
/// (`DnsName("a.example")`): the quoted part, else the whole.
fn shown_name(presented: &str) -> &str {
    presented
        .split_once('"')
        .and_then(|(_, rest)| rest.rsplit_once('"'))
        .map_or(presented, |(name, _)| name)
}

/// A TLS failure in words, with what to do where there is something to do
/// (rustls' own texts print its enums' variant names).
#[must_use]
pub fn describe(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match e {
        E::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "the server's certificate is not signed by a CA of rsmemcache.tls_ca_file (or of the system's roots when that is empty)".to_owned(),
            C::ExpiredContext { not_after, .. } => format!("the server's certificate expired at unix time {} (or this machine's clock is wrong)", not_after.as_secs()),
            C::Expired => "the server's certificate has expired (or this machine's clock is wrong)".to_owned(),
            C::NotValidYet | C::NotValidYetContext { .. } => "the server's certificate is not valid yet (check this machine's clock)".to_owned(),
            C::NotValidForNameContext { expected, presented } => format!(
                "the server's certificate is not valid for the name '{}' (it names {}): set rsmemcache.tls_server_name to one of its names, or give the server a certificate for this name",
                expected.to_str(),
                if presented.is_empty() {
                    "none".to_owned()
                } else {
                    presented.iter().map(|p| format!("'{}'", shown_name(p))).collect::<Vec<_>>().join(", ")
                }
            ),
            C::NotValidForName => "the server's certificate is not valid for the name it was reached by: set rsmemcache.tls_server_name to one of its names".to_owned(),
            C::Revoked => "the server's certificate is revoked".to_owned(),
            C::BadSignature => "the server's certificate has a bad signature".to_owned(),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => "the server's certificate is not meant for TLS servers (its extendedKeyUsage)".to_owned(),
            _ => "the server's certificate cannot be used (an X.509 v1 certificate, an unsupported algorithm or extension, or a malformed certificate): give the server an X.509 v3 certificate".to_owned(),
        },
        E::AlertReceived(A::CertificateRequired) => "the server requires a client certificate: set rsmemcache.tls_cert_file and rsmemcache.tls_key_file".to_owned(),
        E::AlertReceived(A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::UnsupportedCertificate | A::CertificateExpired | A::AccessDenied) => "the server refused the client certificate of rsmemcache.tls_cert_file (not signed by a CA it trusts, expired, or not for client authentication)".to_owned(),
        E::AlertReceived(A::HandshakeFailure | A::ProtocolVersion | A::InsufficientSecurity) => "the server has no TLS version or cipher suite in common with rsmemcache (TLS 1.2 or 1.3)".to_owned(),
        E::AlertReceived(a) => format!("the server ended the connection with TLS alert {} (RFC 8446 section 6)", u8::from(*a)),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => "the server does not speak TLS here (or sent a malformed TLS message)".to_owned(),
        E::PeerIncompatible(_) => "the server has no TLS version or cipher suite in common with rsmemcache (TLS 1.2 or 1.3)".to_owned(),
        E::PeerMisbehaved(_) => "the server broke the TLS protocol".to_owned(),
        E::NoCertificatesPresented => "the server presented no certificate".to_owned(),
        E::DecryptError => "a TLS record from the server did not decrypt".to_owned(),
        E::General(text) => text.clone(),
        _ => "TLS failed".to_owned(),
    }
}

/// Accepts any server certificate (`rsmemcache.tls_verify_peer = 0`):
/// encryption without authentication of the server. Signatures of the
/// handshake are still checked.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Builds the client configuration for `s` (reads the files).
fn build(s: &TlsSettings) -> Result<Arc<ClientConfig>> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| file_error("rsmemcache.tls", "", e))?;
    let builder = if s.verify_peer {
        let mut roots = RootCertStore::empty();
        if s.ca_file.is_empty() {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(file_error(
                    "rsmemcache.tls_ca_file",
                    "",
                    "empty, and no system root certificate was found",
                ));
            }
        } else {
            for c in certs("rsmemcache.tls_ca_file", &s.ca_file)? {
                roots
                    .add(c)
                    .map_err(|e| file_error("rsmemcache.tls_ca_file", &s.ca_file, e))?;
            }
        }
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(Arc::clone(&provider))))
    };
    let config = match (s.cert_file.is_empty(), s.key_file.is_empty()) {
        (true, true) => builder.with_no_client_auth(),
        (false, false) => builder.with_client_cert_resolver(Arc::new(ClientCert(client_cert(
            &provider,
            &s.cert_file,
            &s.key_file,
        )?))),
        (true, false) => {
            return Err(file_error(
                "rsmemcache.tls_cert_file",
                "",
                "empty while rsmemcache.tls_key_file is set",
            ));
        }
        (false, true) => {
            return Err(file_error(
                "rsmemcache.tls_key_file",
                "",
                "empty while rsmemcache.tls_cert_file is set",
            ));
        }
    };
    let mut config = config;
    if !s.cert_file.is_empty() {
        // memcached (1.6.18, OpenSSL) with ssl_verify_mode=2 answers a
        // resumption attempt with an internal_error alert (its SSL_CTX has
        // no session id context, which OpenSSL requires to resume sessions
        // of verified clients): with a client certificate, every
        // connection makes a full handshake.
        config.resumption = rustls::client::Resumption::disabled();
    }
    Ok(Arc::new(config))
}

/// Configurations already built, by settings: files are read once per
/// process, and the session cache inside each lets reconnects resume.
static CONFIGS: Lazy<Mutex<HashMap<TlsSettings, Arc<ClientConfig>>>> =
    Lazy::new(|| Mutex::new(HashMap::new()));

/// The process's client configuration for `s`, built on first use.
///
/// # Errors
/// [`Error::TlsSetup`] naming the directive and file that cannot be used.
pub fn client_config(s: &TlsSettings) -> Result<Arc<ClientConfig>> {
    if let Some(c) = CONFIGS.lock().get(s) {
        return Ok(Arc::clone(c));
    }
    let c = build(s)?;
    CONFIGS.lock().insert(s.clone(), Arc::clone(&c));
    Ok(c)
}

/// What a connection to `spec` needs: `None` in clear; else the client
/// configuration and the name to verify (empty: the host). TLS when the
/// save_path entry is `tls://`, or for every TCP server with
/// `rsmemcache.tls = 1`. With `rsmemcache.tls_verify_peer = 0` this is
/// logged once per process ([`crate::secrets::secret_file::notice_once`]).
///
/// # Errors
/// [`Error::TlsSetup`] from [`client_config`].
pub fn for_server<'a>(
    spec: &ServerSpec,
    s: &'a TlsSettings,
) -> Result<Option<(Arc<ClientConfig>, &'a str)>> {
    if spec.tls || (s.all && matches!(spec.addr, ServerAddr::Tcp { .. })) {
        let config = client_config(s)?;
        if !s.verify_peer {
            crate::secrets::secret_file::notice_once(
                "TLS connections are made with rsmemcache.tls_verify_peer = 0: the servers' certificates are not verified, so anyone in the path can pose as a memcached server; set it to 1 outside tests".to_owned(),
            );
        }
        Ok(Some((config, s.server_name.as_str())))
    } else {
        Ok(None)
    }
}

/// A new client connection (no byte sent yet) for `host`, verified as
/// `server_name` when that is not empty.
///
/// # Errors
/// [`Error::TlsSetup`] when the name is not a valid DNS name or IP address.
pub fn client(
    config: Arc<ClientConfig>,
    host: &str,
    server_name: &str,
) -> Result<ClientConnection> {
    let name = if server_name.is_empty() {
        host.trim_start_matches('[').trim_end_matches(']')
    } else {
        server_name
    };
    let name = ServerName::try_from(name.to_owned())
        .map_err(|e| file_error("rsmemcache.tls_server_name", name, e))?;
    let mut conn =
        ClientConnection::new(config, name).map_err(|e| file_error("rsmemcache.tls", "", e))?;
    // The whole pipeline is taken at once (see `send`).
    conn.set_buffer_limit(None);
    Ok(conn)
}

fn flush(sock: &Socket, tls: &mut ClientConnection) -> io::Result<()> {
    while tls.wants_write() {
        match tls.write_tls(&mut &*sock) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The most plaintext one TLS record carries (2^14 bytes, RFC 8446 5.1).
pub const MAX_RECORD_PLAINTEXT: usize = 16 * 1024;

/// Bytes of TLS records taken from the socket per `recv`: one record's
/// plaintext worth. Never more: rustls refuses to take records while it
/// holds more than 16 KiB of decrypted plaintext not yet read
/// ("received plaintext buffer full"), and [`take_records`] runs only when
/// that buffer is empty, so 16 KiB of records (their plaintext is smaller)
/// always fit.
const RECORD_CHUNK: usize = MAX_RECORD_PLAINTEXT;

thread_local! {
    /// The buffer [`take_records`] reads the socket into: one per thread,
    /// allocated (and zeroed) once, not per read.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; RECORD_CHUNK]);
}

/// Reads the TLS records that arrived on `sock` (one `recv` of up to
/// [`RECORD_CHUNK`] bytes) and processes them. `Ok(false)`: the server
/// closed the socket. Call it only when rustls holds no plaintext that
/// was not read yet (see [`RECORD_CHUNK`]).
///
/// rustls' own `read_tls` on a socket reads at most 4 KiB per call (its
/// deframer grows by that much): a 10 KB session would cost three `recv`
/// calls. So the socket is read here in one call and the bytes are handed
/// to rustls from memory, 4 KiB at a time, processing the records after
/// each piece (which keeps rustls' buffer within one record).
fn take_records(sock: &Socket, tls: &mut ClientConnection) -> io::Result<bool> {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let n = (&*sock).read(&mut scratch[..])?;
        if n == 0 {
            return Ok(false);
        }
        let mut rest = &scratch[..n];
        while !rest.is_empty() {
            // From a slice, read_tls fails only on rustls' own limits.
            let took = tls.read_tls(&mut rest)?;
            let processed = tls.process_new_packets();
            // Send what it answers (an alert, a key update), best effort.
            let _ = flush(sock, tls);
            processed.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, describe(&e)))?;
            if took == 0 {
                // After the server's close_notify rustls takes nothing
                // more; what followed it is not part of the session.
                break;
            }
        }
        Ok(true)
    })
}

/// Sends `buf` in clear (`tls` None) or through TLS: the plaintext is
/// taken whole into rustls (its last record ends where `buf` ends) and as
/// much of its records as the socket takes now is written (the rest waits for [`flush_pending`]). Same contract as
/// a non-blocking `write`.
///
/// # Errors
/// The socket's errors (`WouldBlock` only in clear).
pub fn send(sock: &Socket, tls: Option<&mut ClientConnection>, buf: &[u8]) -> io::Result<usize> {
    let Some(tls) = tls else {
        return (&*sock).write(buf);
    };
    let n = tls.writer().write(buf)?;
    match flush(sock, tls) {
        Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
        _ => Ok(n),
    }
}

/// Writes the TLS records still queued (no-op in clear).
///
/// # Errors
/// The socket's errors, `WouldBlock` when it takes no more now.
pub fn flush_pending(sock: &Socket, tls: Option<&mut ClientConnection>) -> io::Result<()> {
    tls.map_or(Ok(()), |t| flush(sock, t))
}

/// Whether TLS records wait to be written.
#[must_use]
pub fn wants_write(tls: Option<&ClientConnection>) -> bool {
    tls.is_some_and(|t| t.wants_write())
}

/// Reads plaintext: from the socket in clear, else the decrypted bytes of
/// the records that arrived (records that carry no data, such as TLS 1.3
/// session tickets, are processed on the way). Same contract as a
/// non-blocking `read`: `Ok(0)` when the server closed the connection,
/// `WouldBlock` when nothing more has arrived.
///
/// # Errors
/// The socket's errors; a TLS alert or a bad record (`InvalidData`, with
/// rustls' reason); a close without `close_notify` (`UnexpectedEof`).
pub fn recv(
    sock: &Socket,
    tls: Option<&mut ClientConnection>,
    buf: &mut [u8],
) -> io::Result<usize> {
    let Some(tls) = tls else {
        return (&*sock).read(buf);
    };
    loop {
        match tls.reader().read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !take_records(sock, tls)? {
                    return Ok(0);
                }
            }
            other => return other,
        }
    }
}

/// A TLS session with server `label` over the connected non-blocking
/// `sock`: [`client`] for `host` (or `server_name`), then [`handshake`]
/// until `deadline`.
///
/// # Errors
/// [`Error::TlsSetup`] for a bad name; [`Error::ConnectTimeout`] (its `ms`
/// left for the caller to fill) at the deadline; [`Error::TlsHandshake`]
/// with the reason otherwise.
pub fn establish(
    sock: &Socket,
    config: Arc<ClientConfig>,
    host: &str,
    server_name: &str,
    deadline: Instant,
    label: &str,
) -> Result<ClientConnection> {
    let mut conn = client(config, host, server_name)?;
    handshake(sock, &mut conn, deadline).map_err(|e| {
        if e.kind() == io::ErrorKind::TimedOut {
            Error::ConnectTimeout {
                server: label.to_owned(),
                ms: 0,
            }
        } else {
            Error::TlsHandshake {
                server: label.to_owned(),
                reason: e.to_string(),
            }
        }
    })?;
    Ok(conn)
}

/// Runs the TLS handshake on the connected non-blocking `sock` until
/// `deadline`, waiting with `poll(2)`.
///
/// # Errors
/// `TimedOut` at the deadline; the socket's errors; the handshake's
/// failure (`InvalidData`, with rustls' reason: unknown issuer, name
/// mismatch, expired certificate, alert from the server...).
pub fn handshake(sock: &Socket, tls: &mut ClientConnection, deadline: Instant) -> io::Result<()> {
    loop {
        match flush(sock, tls) {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        if !tls.is_handshaking() && !tls.wants_write() {
            return Ok(());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "TLS handshake timed out",
            ));
        }
        let flags = if tls.wants_write() {
            PollFlags::OUT
        } else {
            PollFlags::IN
        };
        let mut fds = [PollFd::from_borrowed_fd(sock.as_fd(), flags)];
        let ts = Timespec {
            tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        match poll(&mut fds, Some(&ts)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(io::Error::from(e)),
        }
        if tls.wants_read() {
            match take_records(sock, tls) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed by server during the TLS handshake",
                    ));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TlsSettings {
        TlsSettings {
            verify_peer: true,
            ..TlsSettings::default()
        }
    }

    #[test]
    fn unusable_files_name_their_directive() {
        let e = client_config(&TlsSettings {
            ca_file: "/nonexistent/ca.pem".into(),
            ..settings()
        })
        .expect_err("missing CA file")
        .to_string();
        assert!(
            e.starts_with("rsmemcache.tls_ca_file '/nonexistent/ca.pem' cannot be used"),
            "{e}"
        );
        let e = client_config(&TlsSettings {
            verify_peer: false,
            cert_file: "/nonexistent/c.pem".into(),
            ..settings()
        })
        .expect_err("cert without key")
        .to_string();
        assert!(
            e.contains("rsmemcache.tls_key_file") && e.contains("empty"),
            "{e}"
        );
        let dir = std::env::temp_dir().join(format!("rsmemcache-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let f = dir.join("empty.pem");
        std::fs::write(&f, b"not a certificate\n").expect("write");
        let e = client_config(&TlsSettings {
            ca_file: f.to_string_lossy().into_owned(),
            ..settings()
        })
        .expect_err("no PEM in it")
        .to_string();
        assert!(e.contains("no PEM certificate"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_config_per_settings_for_session_resumption() {
        let s = TlsSettings {
            verify_peer: false,
            ..settings()
        };
        let a = client_config(&s).expect("no files needed");
        let b = client_config(&s).expect("cached");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(client(Arc::clone(&a), "127.0.0.1", "").is_ok());
        assert!(client(Arc::clone(&a), "[::1]", "").is_ok());
        assert!(client(a, "10.0.0.1", "bad name!").is_err());
    }
}
