//! A dump read straight from a live server, as a replica reads it (Redis
//! `src/replication.c`, `syncWithMaster`): authenticate, `REPLCONF
//! listening-port 0`, `REPLCONF capa eof capa psync2`, `REPLCONF rdb-only 1`
//! (7.0+: the server sends the RDB and no command stream), then `PSYNC ? -1`
//! (`SYNC` for servers older than 2.8). The RDB comes as a bulk of known
//! length (`$<len>`, disk-based replication) or as `$EOF:<40-byte mark>`
//! followed by the bytes and the same mark (diskless); newlines before it
//! are the server's keepalives while it forks and saves. The connection is
//! closed when the RDB ends, before any command stream.
//!
//! Secrets: a password is never part of an input's name (a URL's is taken
//! out by [`redact_args`] before anything else sees it), of an error or of
//! a log line.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How live sources are reached: set once by the command line
/// ([`configure`]); a library user may set it too.
#[derive(Clone, Debug, Default)]
pub struct LiveOptions {
    /// CA certificates (PEM) that sign the server's certificate; without
    /// it, the system's roots.
    pub cacert: Option<PathBuf>,
    /// A client certificate and its key (PEM), for servers that ask for one
    /// (Redis `tls-auth-clients yes`, its default).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Accept any server certificate (encrypted, not authenticated).
    pub insecure: bool,
    /// Connection and silence limit (`None`: 60 s).
    pub timeout: Option<Duration>,
    /// A password for servers whose URL has none (`REDISCLI_AUTH`, or
    /// read from the terminal).
    pub password: Option<Secret>,
    /// Where to keep a copy of the RDB received (written beside it and
    /// renamed once complete).
    pub save_to: Option<PathBuf>,
}

/// A password: never printed.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

static OPTIONS: OnceLock<LiveOptions> = OnceLock::new();
/// Passwords taken out of URLs, by the redacted URL.
static URL_PASSWORDS: Mutex<Option<HashMap<String, Secret>>> = Mutex::new(None);
/// `--save-to` names one copy: taken by the first live source.
static SAVE_TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets how live sources are reached (once; later calls are ignored).
pub fn configure(o: LiveOptions) {
    let _ = OPTIONS.set(o);
}

fn options() -> LiveOptions {
    OPTIONS.get().cloned().unwrap_or_default()
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest line a server sends before the RDB (a status or error).
const MAX_LINE: usize = 64 << 10;

/// Where a live source is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Endpoint {
    Tcp { host: String, port: u16, tls: bool },
    Unix(PathBuf),
}

/// A parsed source URL: `redis://[user[:password]@]host[:port]`,
/// `rediss://…` (TLS), `unix:///path/to.sock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceUrl {
    endpoint: Endpoint,
    user: Option<String>,
    password: Option<String>,
}

impl SourceUrl {
    /// `None`: `s` is not a source URL (a file name); `Some(Err)`: a
    /// source URL that is malformed.
    pub fn parse(s: &str) -> Option<Result<SourceUrl, String>> {
        let (scheme, rest) = s.split_once("://")?;
        let tls = match scheme {
            "redis" => false,
            "rediss" => true,
            "unix" => {
                return Some(if rest.starts_with('/') && rest.len() > 1 {
                    Ok(SourceUrl {
                        endpoint: Endpoint::Unix(PathBuf::from(rest)),
                        user: None,
                        password: None,
                    })
                } else {
                    Err(format!(
                        "{}: expected unix:///path/to/redis.sock",
                        redact(s)
                    ))
                });
            }
            _ => return None,
        };
        Some(parse_tcp(rest, tls).map_err(|e| format!("{}: {e}", redact(s))))
    }

    /// The URL without its password: how the input is named everywhere.
    pub fn display(&self) -> String {
        match &self.endpoint {
            Endpoint::Unix(p) => format!("unix://{}", p.display()),
            Endpoint::Tcp { host, port, tls } => {
                let scheme = if *tls { "rediss" } else { "redis" };
                let user = self
                    .user
                    .as_deref()
                    .map(|u| format!("{}@", percent_encode(u)))
                    .unwrap_or_default();
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                format!("{scheme}://{user}{host}:{port}")
            }
        }
    }
}

fn parse_tcp(rest: &str, tls: bool) -> Result<SourceUrl, String> {
    let (auth, hostport) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    let hostport = hostport.strip_suffix('/').unwrap_or(hostport);
    if hostport.contains('/') || hostport.contains('?') {
        return Err(
            "a path or query is not accepted: a replica reads every database \
             (filter with --db N)"
                .into(),
        );
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("an unclosed [ in the host")?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let port = match port {
        None => 6379,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("{p:?} is not a port"))?,
    };
    let (user, password) = match auth {
        None => (None, None),
        Some(a) => {
            let (u, p) = match a.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (a, None),
            };
            let u = percent_decode(u).ok_or("a bad %-escape in the user name")?;
            let p = p
                .map(|p| percent_decode(p).ok_or("a bad %-escape in the password"))
                .transpose()?;
            ((!u.is_empty()).then_some(u), p.filter(|p| !p.is_empty()))
        }
    };
    Ok(SourceUrl {
        endpoint: Endpoint::Tcp {
            host: host.to_string(),
            port,
            tls,
        },
        user,
        password,
    })
}

/// `s` with anything between `://` and the last `@` but the user name
/// dropped: for messages about a URL that did not parse.
fn redact(s: &str) -> String {
    match s.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((auth, host)) => {
                let user = auth.split_once(':').map_or(auth, |(u, _)| u);
                format!("{scheme}://{user}@{host}")
            }
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Takes passwords out of source URLs among `args`: each such URL is
/// replaced by its redacted form (so no name, message or report holds
/// the password) and its password kept for the connection. Returns the
/// redacted URLs that held one.
pub fn redact_args(args: &mut [String]) -> Vec<String> {
    let mut found = Vec::new();
    for a in args.iter_mut() {
        let Some(Ok(url)) = SourceUrl::parse(a) else {
            continue;
        };
        let Some(p) = url.password.clone() else {
            continue;
        };
        let name = url.display();
        URL_PASSWORDS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_default()
            .insert(name.clone(), Secret(p));
        *a = name.clone();
        found.push(name);
    }
    found
}

/// Connects to `url`, makes the server send its RDB and returns it as a
/// stream of the RDB's bytes (nothing before or after them), with a copy
/// kept in `--save-to` when asked.
pub(crate) fn open(url: &SourceUrl) -> io::Result<Box<dyn Read + Send>> {
    let o = options();
    let password = password_for(url, &o);
    let timeout = o.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let conn = connect(&url.endpoint, &o, timeout)?;
    let mut r = BufReader::with_capacity(1 << 16, conn);
    let framing = handshake(&mut r, url.user.as_deref(), password.as_ref(), timeout)?;
    let save = match &o.save_to {
        Some(path) => {
            if SAVE_TAKEN.swap(true, std::sync::atomic::Ordering::AcqRel) {
                return Err(bad("--save-to keeps the copy of one live source only"));
            }
            Some(SaveTo::create(path)?)
        }
        None => None,
    };
    Ok(Box::new(RdbBody {
        conn: r,
        framing,
        got: 0,
        held: Vec::new(),
        done: false,
        save,
        ready: Vec::new(),
        ready_at: 0,
    }))
}

/// The password for `url`: its own (taken out of the URL), else the one
/// of the options.
fn password_for(url: &SourceUrl, o: &LiveOptions) -> Option<Secret> {
    URL_PASSWORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&url.display()).cloned())
        .or(o.password.clone())
}

/// Which nodes `--cluster` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterRead {
    Primaries,
    /// One replica of each primary.
    Replicas,
}

/// `--cluster`: the addresses of the nodes to read for the whole cluster
/// that `seed` (a `redis://` or `rediss://` address of any node) is part
/// of, from its `CLUSTER NODES`, ordered by the first slot each serves.
/// They are reached with the seed's user, password and TLS settings.
pub fn cluster_nodes(seed: &str, read: ClusterRead) -> io::Result<Vec<String>> {
    let url = match SourceUrl::parse(seed) {
        Some(u) => u.map_err(bad)?,
        None => {
            return Err(bad(format!(
                "--cluster takes the address of a node (redis://HOST:PORT), not a file: {}",
                crate::escape::terminal(seed)
            )));
        }
    };
    let Endpoint::Tcp { host, tls, .. } = &url.endpoint else {
        return Err(bad(
            "--cluster takes a redis:// or rediss:// address, not unix://",
        ));
    };
    let o = options();
    let password = password_for(&url, &o);
    let timeout = o.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let mut r = BufReader::with_capacity(1 << 16, connect(&url.endpoint, &o, timeout)?);
    authenticate(&mut r, url.user.as_deref(), password.as_ref(), timeout)?;
    send(&mut r, &[b"CLUSTER", b"NODES"])?;
    let text = bulk(&mut r, timeout)?.map_err(|e| {
        let hint = if e.to_ascii_lowercase().contains("cluster support disabled") {
            "the server is not in cluster mode: drop --cluster"
        } else {
            "CLUSTER NODES was refused"
        };
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{hint} (-{})", crate::escape::terminal(&e)),
        )
    })?;
    let text = String::from_utf8_lossy(&text);
    let nodes = crate::cluster::nodes_to_read(&text, read == ClusterRead::Replicas)
        .map_err(|e| bad(format!("CLUSTER NODES of {}: {e}", url.display())))?;
    let own = URL_PASSWORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&url.display()).cloned());
    let mut out = Vec::with_capacity(nodes.len());
    for (h, port) in nodes {
        let node = SourceUrl {
            endpoint: Endpoint::Tcp {
                // A node that does not know its own address yet.
                host: if h.is_empty() { host.clone() } else { h },
                port,
                tls: *tls,
            },
            user: url.user.clone(),
            password: None,
        };
        let name = node.display();
        if let Some(p) = &own {
            URL_PASSWORDS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_default()
                .insert(name.clone(), p.clone());
        }
        out.push(name);
    }
    Ok(out)
}

/// A bulk string reply (`Err`: the server's error reply); at most 64 MiB.
fn bulk(c: &mut BufReader<Conn>, timeout: Duration) -> io::Result<Result<Vec<u8>, String>> {
    let l = line(c, timeout)?;
    if let Some(e) = l.strip_prefix('-') {
        return Ok(Err(e.to_string()));
    }
    let n = l
        .strip_prefix('$')
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n <= 64 << 20)
        .ok_or_else(|| {
            bad(format!(
                "expected a bulk reply, got {:?}",
                crate::escape::terminal(&l)
            ))
        })?;
    let mut buf = Vec::new();
    c.by_ref()
        .take(n + 2)
        .read_to_end(&mut buf)
        .map_err(|e| read_failure(e, timeout))?;
    if buf.len() as u64 != n + 2 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection in a reply",
        ));
    }
    buf.truncate(buf.len() - 2);
    Ok(Ok(buf))
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// A connection to a server: TCP, TLS over TCP, or a Unix socket.
enum Conn {
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
            #[cfg(unix)]
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
            #[cfg(unix)]
            Conn::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
            #[cfg(unix)]
            Conn::Unix(s) => s.flush(),
        }
    }
}

fn connect(e: &Endpoint, o: &LiveOptions, timeout: Duration) -> io::Result<Conn> {
    match e {
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            let s = std::os::unix::net::UnixStream::connect(path)
                .map_err(|err| with_context(err, format!("connecting to {}", path.display())))?;
            s.set_read_timeout(Some(timeout))?;
            s.set_write_timeout(Some(timeout))?;
            Ok(Conn::Unix(s))
        }
        #[cfg(not(unix))]
        Endpoint::Unix(_) => Err(bad("unix:// sources need a Unix system")),
        Endpoint::Tcp { host, port, tls } => {
            let what = format!("connecting to {host}:{port}");
            let addrs = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|err| with_context(err, what.clone()))?;
            let mut last = None;
            let mut stream = None;
            for a in addrs {
                match TcpStream::connect_timeout(&a, timeout) {
                    Ok(s) => {
                        stream = Some(s);
                        break;
                    }
                    Err(err) => last = Some(err),
                }
            }
            let s = match stream {
                Some(s) => s,
                None => {
                    let err = last.unwrap_or_else(|| bad("the host has no address"));
                    return Err(with_context(err, what));
                }
            };
            s.set_read_timeout(Some(timeout))?;
            s.set_write_timeout(Some(timeout))?;
            let _ = s.set_nodelay(true);
            if !tls {
                return Ok(Conn::Tcp(s));
            }
            let config = tls_config(o)?;
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|_| bad(format!("{host:?} is not a host name for TLS")))?;
            let c = rustls::ClientConnection::new(config, name)
                .map_err(|err| bad(format!("TLS: {err}")))?;
            Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(c, s))))
        }
    }
}

fn with_context(e: io::Error, what: String) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// The TLS settings: the server is checked against `--cacert` (else the
/// system's roots) unless `--insecure`; `--cert`/`--key` authenticate us.
fn tls_config(o: &LiveOptions) -> io::Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    // ring, not aws-lc-rs (which would need cmake to build): it lacks the
    // post-quantum key exchanges, which the OpenSSL 3.0 of Redis 7.0
    // builds do not offer either.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = |e: rustls::Error| bad(format!("TLS: {e}"));
    let pem = |what: &str, p: &Path, e: rustls::pki_types::pem::Error| {
        bad(format!("{what} {}: {e}", p.display()))
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls)?;
    let builder = if o.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &o.cacert {
            Some(ca) => {
                for c in CertificateDer::pem_file_iter(ca).map_err(|e| pem("--cacert", ca, e))? {
                    let c = c.map_err(|e| pem("--cacert", ca, e))?;
                    roots.add(c).map_err(tls)?;
                }
                if roots.is_empty() {
                    return Err(bad(format!(
                        "--cacert {}: no certificate in it",
                        ca.display()
                    )));
                }
            }
            None => {
                for c in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(c);
                }
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match (&o.cert, &o.key) {
        (Some(cert), Some(key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| pem("--cert", cert, e))?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem("--key", key, e))?;
            builder.with_client_auth_cert(certs, key).map_err(tls)?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(bad("--cert and --key go together")),
    };
    Ok(Arc::new(config))
}

/// `--insecure`: any certificate is accepted; signatures are still checked
/// (the handshake itself stays sound).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
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
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// How the RDB bulk is framed.
#[derive(Debug)]
enum Framing {
    /// `$<len>`: that many bytes.
    Length(u64),
    /// `$EOF:<mark>`: bytes until the last 40 read are the mark.
    Mark([u8; MARK]),
}

const MARK: usize = 40;

/// The version announced to Valkey: the newest whose RDB (`VALKEY080`)
/// rdbscope decodes.
const REPLICA_VERSION: &str = "9.1.2";

/// Sends one command as a RESP array of bulk strings.
fn send(c: &mut BufReader<Conn>, args: &[&[u8]]) -> io::Result<()> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    let w = c.get_mut();
    w.write_all(&out)
        .map_err(|e| io_failure(e, "sending to the server"))?;
    w.flush()
        .map_err(|e| io_failure(e, "sending to the server"))
}

/// One line from the server (`\r\n` or a keepalive's bare `\n` ends it),
/// without its end.
fn line(c: &mut BufReader<Conn>, timeout: Duration) -> io::Result<String> {
    let mut buf = Vec::new();
    loop {
        let avail = c.fill_buf().map_err(|e| read_failure(e, timeout))?;
        if avail.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection before sending the RDB",
            ));
        }
        let (chunk, found) = match avail.iter().position(|b| *b == b'\n') {
            Some(i) => (&avail[..i], Some(i)),
            None => (avail, None),
        };
        if buf.len() + chunk.len() > MAX_LINE {
            return Err(bad(
                "the server sent a line longer than 64 KiB: not a Redis server?",
            ));
        }
        buf.extend_from_slice(chunk);
        match found {
            Some(i) => {
                c.consume(i + 1);
                break;
            }
            None => {
                let n = chunk.len();
                c.consume(n);
            }
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    // Terminal-safe in messages: the caller quotes it.
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn read_failure(e: io::Error, timeout: Duration) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the server sent nothing for {} s (--timeout)",
                timeout.as_secs()
            ),
        ),
        _ => io_failure(e, "reading from the server"),
    }
}

fn io_failure(e: io::Error, what: &str) -> io::Error {
    // rustls reports certificate problems as InvalidData with its error inside.
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// A reply that must be `+…`; an error reply is told with `what`.
fn status(c: &mut BufReader<Conn>, timeout: Duration) -> io::Result<Result<String, String>> {
    loop {
        let l = line(c, timeout)?;
        if let Some(ok) = l.strip_prefix('+') {
            return Ok(Ok(ok.to_string()));
        }
        if let Some(err) = l.strip_prefix('-') {
            return Ok(Err(err.to_string()));
        }
        if l.is_empty() {
            continue;
        }
        return Err(bad(format!(
            "unexpected reply {:?}: not a Redis server?",
            crate::escape::terminal(&l)
        )));
    }
}

fn unknown_command(err: &str) -> bool {
    let e = err.to_ascii_lowercase();
    e.starts_with("err unknown command") || e.starts_with("err unrecognized")
}

/// What a refusal means for the user.
fn refused(what: &str, err: &str) -> io::Error {
    let e = crate::escape::terminal(err);
    let code = err.split(' ').next().unwrap_or("");
    let hint = match code {
        "NOAUTH" => "the server needs a password: put it in REDISCLI_AUTH or use --askpass",
        "WRONGPASS" | "INVALIDPASSWORD" => "authentication failed: wrong user name or password",
        "NOPERM" => {
            "the user may not replicate: its ACL needs +psync, +replconf and +sync \
             (or @admin)"
        }
        "LOADING" => "the server is loading its dataset: try again once it is done",
        "NOMASTERLINK" | "MASTERDOWN" => {
            "the server is a replica that is not in sync with its master: try again \
             later, or read from the master"
        }
        _ if unknown_command(err) => {
            "the server refuses replication commands (managed services often rename or \
             disable them): save a dump there (BGSAVE, or the provider's export) and \
             read the file"
        }
        _ if err.to_ascii_lowercase().contains("invalid password")
            || err.to_ascii_lowercase().contains("invalid username") =>
        {
            "authentication failed: wrong user name or password"
        }
        _ => "the server refused",
    };
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{hint} ({what}: -{e})"),
    )
}

/// Authenticates, announces a replica and asks for a full copy.
fn handshake(
    c: &mut BufReader<Conn>,
    user: Option<&str>,
    password: Option<&Secret>,
    timeout: Duration,
) -> io::Result<Framing> {
    authenticate(c, user, password, timeout)?;
    replicate(c, timeout)
}

/// `AUTH [user] password`, when there is a password.
fn authenticate(
    c: &mut BufReader<Conn>,
    user: Option<&str>,
    password: Option<&Secret>,
    timeout: Duration,
) -> io::Result<()> {
    if let Some(p) = password {
        let mut args: Vec<&[u8]> = vec![b"AUTH"];
        if let Some(u) = user {
            args.push(u.as_bytes());
        }
        args.push(p.0.as_bytes());
        send(c, &args)?;
        if let Err(e) = status(c, timeout)? {
            // Not the server's words: they could echo what was sent.
            let code = e.split(' ').next().unwrap_or("");
            return Err(match code {
                "WRONGPASS" | "ERR" | "INVALIDPASSWORD" => io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "authentication failed: wrong user name or password (AUTH was refused)",
                ),
                _ => refused("AUTH", &e),
            });
        }
    } else if user.is_some() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "a user name without a password: put the password in REDISCLI_AUTH or use --askpass",
        ));
    }
    Ok(())
}

/// Announces a replica and asks for a full copy; returns how the RDB
/// that follows is framed.
fn replicate(c: &mut BufReader<Conn>, timeout: Duration) -> io::Result<Framing> {
    send(c, &[b"REPLCONF", b"listening-port", b"0"])?;
    let old = match status(c, timeout)? {
        Ok(_) => false,
        // Before 2.8: no REPLCONF, no PSYNC.
        Err(e) if unknown_command(&e) => true,
        Err(e) => return Err(refused("REPLCONF", &e)),
    };
    if !old {
        send(c, &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])?;
        if let Err(e) = status(c, timeout)? {
            return Err(refused("REPLCONF capa", &e));
        }
        // Valkey 8.0+ sends a replica that does not say its version the
        // RDB of Redis 7.2 (version 11), leaving out what that cannot hold
        // (hash fields with TTLs): the newest Valkey whose RDB rdbscope
        // reads gets the dump as the server saves it. Others refuse the
        // option, harmlessly.
        send(c, &[b"REPLCONF", b"version", REPLICA_VERSION.as_bytes()])?;
        let _ = status(c, timeout)?;
        // 7.0+: the RDB only, no command stream after it (older servers
        // answer an error, and the connection is closed after the RDB).
        send(c, &[b"REPLCONF", b"rdb-only", b"1"])?;
        let _ = status(c, timeout)?;
        send(c, &[b"PSYNC", b"?", b"-1"])?;
        match status(c, timeout)? {
            Ok(s) if s.starts_with("FULLRESYNC") => return bulk_header(c, timeout),
            Ok(s) => {
                return Err(bad(format!(
                    "PSYNC answered {:?}, not FULLRESYNC",
                    crate::escape::terminal(&s)
                )));
            }
            Err(e) if unknown_command(&e) => {}
            Err(e) => return Err(refused("PSYNC", &e)),
        }
    }
    send(c, &[b"SYNC"])?;
    bulk_header(c, timeout)
}

/// Reads the line that starts the RDB, past the keepalive newlines the
/// server sends while it saves.
fn bulk_header(c: &mut BufReader<Conn>, timeout: Duration) -> io::Result<Framing> {
    loop {
        let l = line(c, timeout)?;
        if l.is_empty() {
            continue;
        }
        if let Some(err) = l.strip_prefix('-') {
            return Err(refused("SYNC", err));
        }
        let Some(n) = l.strip_prefix('$') else {
            return Err(bad(format!(
                "expected the RDB's $ line, got {:?}",
                crate::escape::terminal(&l)
            )));
        };
        if let Some(mark) = n.strip_prefix("EOF:") {
            let mark: [u8; MARK] = mark.as_bytes().try_into().map_err(|_| {
                bad(format!(
                    "the $EOF: mark is {} bytes, not {MARK}",
                    mark.len()
                ))
            })?;
            return Ok(Framing::Mark(mark));
        }
        return n
            .parse::<u64>()
            .map(Framing::Length)
            .map_err(|_| bad(format!("bad RDB length {:?}", crate::escape::terminal(n))));
    }
}

/// The RDB's bytes from the connection, nothing before or after.
struct RdbBody {
    conn: BufReader<Conn>,
    framing: Framing,
    /// RDB bytes given out so far.
    got: u64,
    /// Bytes read that may be the start of the end mark (diskless).
    held: Vec<u8>,
    done: bool,
    save: Option<SaveTo>,
    /// Bytes for a reader whose buffer is too short (see `read`).
    ready: Vec<u8>,
    ready_at: usize,
}

impl RdbBody {
    fn cut(&self) -> io::Error {
        let of = match self.framing {
            Framing::Length(n) => format!(" of {n} announced"),
            Framing::Mark(_) => String::new(),
        };
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the server closed the connection at byte {}{of}, before the RDB's end",
                self.got
            ),
        )
    }

    fn next(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let timeout = |e: io::Error| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
                io::ErrorKind::TimedOut,
                "the server stopped sending (--timeout)",
            ),
            _ => e,
        };
        match self.framing {
            Framing::Length(total) => {
                let left = total - self.got;
                if left == 0 {
                    self.done = true;
                    return Ok(0);
                }
                let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let n = self.conn.read(&mut buf[..want]).map_err(timeout)?;
                if n == 0 {
                    return Err(self.cut());
                }
                self.done = n as u64 == left;
                Ok(n)
            }
            Framing::Mark(mark) => {
                // The RDB ends where the mark is. Servers send nothing after
                // it until the replica acknowledges; were anything to
                // follow in the same read, it is not the RDB's. The last
                // MARK - 1 bytes are kept back: they may begin the mark.
                // (`read` gives this a buffer longer than the mark.)
                loop {
                    let h = self.held.len();
                    buf[..h].copy_from_slice(&self.held);
                    let n = self.conn.read(&mut buf[h..]).map_err(timeout)?;
                    if n == 0 {
                        return Err(self.cut());
                    }
                    let all = h + n;
                    self.held.clear();
                    if let Some(at) = memchr::memmem::find(&buf[..all], &mark) {
                        self.done = true;
                        return Ok(at);
                    }
                    let give = all.saturating_sub(MARK - 1);
                    self.held.extend_from_slice(&buf[give..all]);
                    if give > 0 {
                        return Ok(give);
                    }
                }
            }
        }
    }
}

impl Read for RdbBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ready.len() > self.ready_at {
            let k = (self.ready.len() - self.ready_at).min(buf.len());
            buf[..k].copy_from_slice(&self.ready[self.ready_at..self.ready_at + k]);
            self.ready_at += k;
            return Ok(k);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if self.done {
            if let Some(s) = self.save.take() {
                s.finish()?;
            }
            return Ok(0);
        }
        if buf.len() <= 2 * MARK {
            // Too short to hold the mark back in: through a buffer.
            let mut ready = std::mem::take(&mut self.ready);
            ready.resize(1 << 16, 0);
            let n = self.read(&mut ready)?;
            ready.truncate(n);
            (self.ready, self.ready_at) = (ready, 0);
            return self.read(buf);
        }
        let n = self.next(buf)?;
        if let Some(s) = &mut self.save {
            s.write(&buf[..n])?;
        }
        self.got += n as u64;
        // The copy is complete with the RDB's last byte (the reader may
        // stop reading once it has the dump's end).
        if self.done
            && let Some(s) = self.save.take()
        {
            s.finish()?;
        }
        if n == 0 {
            return self.read(buf);
        }
        Ok(n)
    }
}

/// `--save-to`: the RDB written beside its path and renamed over it once
/// it is complete; a cut transfer leaves no file (the temporary one is
/// removed when dropped).
struct SaveTo {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

/// The temporary files of copies not complete yet: removed by
/// [`discard_unfinished`] when rdbscope exits before the copy ends (a
/// thread still reading the connection is not waited for).
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the temporary files of `--save-to` copies that did not
/// complete (call before exiting).
pub fn discard_unfinished() {
    let mut list = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
    for p in list.drain(..) {
        let _ = std::fs::remove_file(p);
    }
}

impl SaveTo {
    fn create(path: &Path) -> io::Result<SaveTo> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".rdbscope-save-")
            .tempfile_in(dir)
            .map_err(|e| with_context(e, format!("--save-to {}", path.display())))?;
        UNFINISHED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tmp.path().to_path_buf());
        Ok(SaveTo {
            tmp,
            path: path.to_path_buf(),
        })
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.tmp
            .write_all(b)
            .map_err(|e| with_context(e, format!("--save-to {}", self.path.display())))
    }

    fn finish(self) -> io::Result<()> {
        let path = self.path;
        let ctx = |e: io::Error| with_context(e, format!("--save-to {}", path.display()));
        self.tmp.as_file().sync_all().map_err(ctx)?;
        let tmp = self.tmp.path().to_path_buf();
        UNFINISHED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != tmp);
        self.tmp.persist(&path).map_err(|e| ctx(e.error))?;
        Ok(())
    }
}

/// Reads a password from the terminal (`--askpass`).
pub fn ask_password(prompt: &str) -> io::Result<Secret> {
    rpassword::prompt_password(prompt).map(Secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_lose_their_password() {
        let u = SourceUrl::parse("redis://alice:s%40cret@127.0.0.1:7000")
            .unwrap()
            .unwrap();
        assert_eq!(u.password.as_deref(), Some("s@cret"));
        assert_eq!(u.display(), "redis://alice@127.0.0.1:7000");
        let u = SourceUrl::parse("rediss://[::1]").unwrap().unwrap();
        assert_eq!(u.display(), "rediss://[::1]:6379");
        let u = SourceUrl::parse("unix:///tmp/r.sock").unwrap().unwrap();
        assert_eq!(u.display(), "unix:///tmp/r.sock");
        assert!(SourceUrl::parse("dump.rdb").is_none());
        assert!(SourceUrl::parse("http://x").is_none());
        for bad in [
            "redis://h:0",
            "redis://h:99999",
            "redis://h:6379/2",
            "redis://:6379",
            "unix://",
            "redis://u:p%4@h",
        ] {
            let e = SourceUrl::parse(bad).unwrap().unwrap_err();
            assert!(!e.contains("p%4"), "{e}");
        }
        let mut args = vec!["report".to_string(), "redis://u:pw@h:1".to_string()];
        assert_eq!(redact_args(&mut args), ["redis://u@h:1"]);
        assert_eq!(args[1], "redis://u@h:1");
    }
}
