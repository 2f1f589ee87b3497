//! A dump read straight from a live server, as a replica reads it (Redis
//! `src/replication.c`, `syncWithMaster`): authenticate, `REPLCONF
//! listening-port 0`, `REPLCONF capa eof capa psync2`, `REPLCONF version`
//! (Valkey), `REPLCONF rdb-only 1` (7.0+: the server sends the RDB and no
//! command stream), then `PSYNC ? -1`
//! (`SYNC` for servers older than 2.8). The RDB comes as a bulk of known
//! length (`$<len>`, disk-based replication) or as `$EOF:<40-byte mark>`
//! followed by the bytes and the same mark (diskless); newlines before it
//! are the server's keepalives while it forks and saves. The connection is
//! closed when the RDB ends, before any command stream.
//!
//! Secrets: a password is never part of an input's name (a URL's is taken
//! out by [`redact_args`] before anything else sees it), of an error or of
//! a log line.

mod body;
mod conn;
mod url;

use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
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

pub use body::{check_save_to, discard_unfinished, save_incomplete};
pub use url::{SourceUrl, redact_args};

use body::{Framing, MARK, RdbBody, SaveTo};
use conn::{Conn, bulk, connect, send, status};
use url::Endpoint;

static OPTIONS: OnceLock<LiveOptions> = OnceLock::new();
/// Passwords taken out of URLs, by the redacted URL.
static URL_PASSWORDS: Mutex<Option<HashMap<String, Secret>>> = Mutex::new(None);
/// `--save-to` names one copy: taken by the first live source.
static SAVE_TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The `--save-to` path given, once the options are configured.
pub fn save_to_path() -> Option<&'static Path> {
    OPTIONS.get()?.save_to.as_deref()
}

/// `text` with every password rdbscope holds replaced by `***`: for
/// messages that quote a server (which could echo what it was sent).
pub fn scrub(text: &str) -> String {
    let mut out = text.to_string();
    let urls = URL_PASSWORDS.lock().unwrap_or_else(|e| e.into_inner());
    let from_urls = urls.iter().flat_map(|m| m.values());
    let option = OPTIONS.get().and_then(|o| o.password.as_ref());
    for Secret(p) in from_urls.chain(option) {
        if !p.is_empty() {
            out = out.replace(p.as_str(), "***");
        }
    }
    out
}

/// Sets how live sources are reached (once; later calls are ignored).
pub fn configure(o: LiveOptions) {
    let _ = OPTIONS.set(o);
}

fn options() -> LiveOptions {
    OPTIONS.get().cloned().unwrap_or_default()
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The version announced to Valkey: the newest whose RDB (`VALKEY080`)
/// rdbscope decodes.
const REPLICA_VERSION: &str = "9.1.2";

/// Connects to `url`, makes the server send its RDB and returns it as a
/// stream of the RDB's bytes (nothing before or after them), with a copy
/// kept in `--save-to` when asked.
/// Also returns the RDB's length when the server announced it.
pub(crate) fn open(url: &SourceUrl) -> io::Result<(Box<dyn Read + Send>, Option<u64>)> {
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
    let len = match framing {
        Framing::Length(n) => Some(n),
        Framing::Mark(_) => None,
    };
    let body: Box<dyn Read + Send> = Box::new(RdbBody {
        conn: r,
        framing,
        got: 0,
        held: Vec::new(),
        done: false,
        save,
        ready: Vec::new(),
        ready_at: 0,
    });
    Ok((body, len))
}

/// The password for `url`: its own (taken out of the URL), else the one
/// of the options.
fn password_for(url: &SourceUrl, o: &LiveOptions) -> Option<Secret> {
    url_password(&url.display()).or(o.password.clone())
}

/// The password taken out of the URL now named `name`.
fn url_password(name: &str) -> Option<Secret> {
    URL_PASSWORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(name).cloned())
}

/// Keeps `p` for the URL named `name` (its redacted form).
fn remember_url_password(name: &str, p: Secret) {
    URL_PASSWORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_default()
        .insert(name.to_string(), p);
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
                scrub(seed)
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
            format!("{hint} (-{})", scrub(&e)),
        )
    })?;
    let text = String::from_utf8_lossy(&text);
    let nodes = crate::cluster::nodes_to_read(&text, read == ClusterRead::Replicas)
        .map_err(|e| bad(format!("CLUSTER NODES of {}: {e}", url.display())))?;
    let own = url_password(&url.display());
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
            remember_url_password(&name, p.clone());
        }
        out.push(name);
    }
    Ok(out)
}

pub(super) fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn unknown_command(err: &str) -> bool {
    let e = err.to_ascii_lowercase();
    e.starts_with("err unknown command") || e.starts_with("err unrecognized")
}

/// What a refusal means for the user.
fn refused(what: &str, err: &str) -> io::Error {
    let e = scrub(err);
    let code = err.split(' ').next().unwrap_or("");
    let hint = match code {
        "NOAUTH" => "the server needs a password: put it in REDISCLI_AUTH or use --askpass",
        "WRONGPASS" | "INVALIDPASSWORD" => "authentication failed: wrong user name or password",
        "NOPERM" => {
            "the user may not replicate: its ACL needs +psync and +replconf (+sync for \
             servers before 2.8), or @admin"
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
    // So that CLIENT LIST names it (servers before 2.6.9 refuse, harmlessly).
    send(c, &[b"CLIENT", b"SETNAME", b"rdbscope"])?;
    let _ = status(c, timeout)?;
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
        match conn::sync_status(c, timeout)? {
            Ok(s) if s.starts_with("FULLRESYNC") => return bulk_header(c, timeout),
            Ok(s) => {
                return Err(bad(format!(
                    "PSYNC answered \"{}\", not FULLRESYNC",
                    scrub(&s)
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
        let raw = conn::line_bytes(c, timeout)?;
        if let Some(mark) = raw.strip_prefix(b"$EOF:") {
            let mark: [u8; MARK] = mark.try_into().map_err(|_| {
                bad(format!(
                    "the $EOF: mark is {} bytes, not {MARK}",
                    mark.len()
                ))
            })?;
            return Ok(Framing::Mark(mark));
        }
        let l = String::from_utf8_lossy(&raw);
        if l.is_empty() {
            continue;
        }
        if let Some(err) = l.strip_prefix('-') {
            return Err(refused("the transfer", err));
        }
        let Some(n) = l.strip_prefix('$') else {
            return Err(bad(format!(
                "expected the RDB's $ line, got \"{}\"",
                scrub(&l)
            )));
        };
        return n
            .parse::<u64>()
            .map(Framing::Length)
            .map_err(|_| bad(format!("bad RDB length \"{}\"", scrub(n))));
    }
}

/// Reads a password from the terminal (`--askpass`).
pub fn ask_password(prompt: &str) -> io::Result<Secret> {
    rpassword::prompt_password(prompt).map(Secret).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("--askpass reads the password from a terminal, and there is none ({e}): set REDISCLI_AUTH"),
        )
    })
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
        let u = SourceUrl::parse("unix://alice:s3@/tmp/a@b.sock")
            .unwrap()
            .unwrap();
        assert_eq!(u.password.as_deref(), Some("s3"));
        assert_eq!(u.display(), "unix://alice@/tmp/a@b.sock");
        let u = SourceUrl::parse("unix:///tmp/a@b.sock").unwrap().unwrap();
        assert_eq!(u.display(), "unix:///tmp/a@b.sock");
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
        assert_eq!(redact_args(&mut args).unwrap(), ["redis://u@h:1"]);
        let mut bad = vec!["redis://u:p%w@h:1".to_string()];
        assert!(!redact_args(&mut bad).unwrap_err().contains("p%w"));
        assert_eq!(scrub("said pw, pw!"), "said ***, ***!");
        assert_eq!(args[1], "redis://u@h:1");
    }
}
