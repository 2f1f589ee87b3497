//! The connection to a server (TCP, TLS with rustls, a Unix socket) and
//! the few RESP exchanges a replica makes over it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::url::Endpoint;
use super::{LiveOptions, bad};

/// The longest line a server sends before the RDB (a status or error).
const MAX_LINE: usize = 64 << 10;

/// A connection to a server: TCP, TLS over TCP, or a Unix socket.
pub(super) enum Conn {
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

pub(super) fn connect(e: &Endpoint, o: &LiveOptions, timeout: Duration) -> io::Result<Conn> {
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

pub(super) fn with_context(e: io::Error, what: String) -> io::Error {
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
    // PEM files are small: a device or a huge file is not read.
    for (what, p) in [
        ("--cacert", &o.cacert),
        ("--cert", &o.cert),
        ("--key", &o.key),
    ] {
        let Some(p) = p else { continue };
        let m = std::fs::metadata(p).map_err(|e| bad(format!("{what} {}: {e}", p.display())))?;
        if !m.is_file() || m.len() > 16 << 20 {
            return Err(bad(format!(
                "{what} {}: not a PEM file (a regular file of at most 16 MiB)",
                p.display()
            )));
        }
    }
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

/// Sends one command as a RESP array of bulk strings.
pub(super) fn send(c: &mut BufReader<Conn>, args: &[&[u8]]) -> io::Result<()> {
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
pub(super) fn line(c: &mut BufReader<Conn>, timeout: Duration) -> io::Result<String> {
    // Terminal-safe in messages: the caller quotes it.
    line_bytes(c, timeout).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// [`line`] as the bytes sent (the diskless end mark is bytes).
pub(super) fn line_bytes(c: &mut BufReader<Conn>, timeout: Duration) -> io::Result<Vec<u8>> {
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
    Ok(buf)
}

pub(super) fn read_failure(e: io::Error, timeout: Duration) -> io::Error {
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

pub(super) fn io_failure(e: io::Error, what: &str) -> io::Error {
    if matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ) {
        // A TLS handshake sent to a port without TLS waits like this.
        return io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "{what}: no answer within --timeout (with rediss://: is this the server's \
                 tls-port?)"
            ),
        );
    }
    // rustls reports certificate problems as InvalidData with its error
    // inside: what each means for the user.
    let text = e.to_string();
    let hint = [
        ("UnknownIssuer", "the server's certificate is not signed by a CA rdbscope knows: give it with --cacert (or --insecure)"),
        ("CertificateRequired", "the server asks for a client certificate: --cert and --key"),
        ("UnsupportedCertVersion", "an X.509 v1 certificate, which rustls does not accept: reissue it as v3 (openssl x509 -req ... -extfile with basicConstraints and subjectAltName)"),
        ("CaUsedAsEndEntity", "the server presents a CA certificate as its own: give the server a certificate signed by that CA, or use --insecure"),
        ("NotValidForName", "the certificate does not name this host: connect with a name it holds"),
        ("Connection reset by peer", "a TLS port read with redis://? use rediss://"),
        ("InvalidContentType", "not a TLS port? use redis://"),
        ("corrupt message", "not a TLS port? use redis://"),
    ]
    .iter()
    .find(|(k, _)| text.contains(k))
    .map_or(String::new(), |(_, h)| format!(" ({h})"));
    io::Error::new(e.kind(), format!("{what}: {e}{hint}"))
}

/// A reply that must be `+…`; an error reply is told with `what`.
pub(super) fn status(
    c: &mut BufReader<Conn>,
    timeout: Duration,
) -> io::Result<Result<String, String>> {
    reply(c, timeout, false)
}

/// [`status`] of `PSYNC`, which a server may precede with keepalive
/// newlines (while a diskless sync waits for more replicas). Before it,
/// none is sent: an empty line there is not a server's.
pub(super) fn sync_status(
    c: &mut BufReader<Conn>,
    timeout: Duration,
) -> io::Result<Result<String, String>> {
    reply(c, timeout, true)
}

fn reply(
    c: &mut BufReader<Conn>,
    timeout: Duration,
    keepalives: bool,
) -> io::Result<Result<String, String>> {
    loop {
        let l = line(c, timeout)?;
        if let Some(ok) = l.strip_prefix('+') {
            return Ok(Ok(ok.to_string()));
        }
        if let Some(err) = l.strip_prefix('-') {
            return Ok(Err(err.to_string()));
        }
        if l.is_empty() && keepalives {
            continue;
        }
        return Err(bad(format!(
            "unexpected reply \"{}\": not a Redis server?",
            super::scrub(&l)
        )));
    }
}

/// A bulk string reply (`Err`: the server's error reply); at most 64 MiB.
pub(super) fn bulk(
    c: &mut BufReader<Conn>,
    timeout: Duration,
) -> io::Result<Result<Vec<u8>, String>> {
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
                "expected a bulk reply, got \"{}\"",
                super::scrub(&l)
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
