//! Running rdbscope on hostile input: its output drained as it comes, its
//! peak heap (RssAnon) sampled, under an address-space limit when asked,
//! killed if it hangs.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::bin;

/// The binary under test (see the module comment).
pub fn cmd() -> Command {
    match std::env::var_os("RDBSCOPE_REGRESS_BIN") {
        Some(b) => Command::new(b),
        None => bin(),
    }
}

pub fn go<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    cmd().args(args).output().expect("run rdbscope")
}

/// Far above what any of these takes in a debug build (a few seconds at
/// most): only a hang, or a quadratic loop come back, reaches it.
pub const KILL_AFTER: Duration = Duration::from_secs(60);

/// Address-space limit for the bomb cases (as in `hostile.rs`): an
/// allocation past it fails instead of growing.
pub const AS_LIMIT: u64 = 3 << 30;

/// What a watched child is fed on stdin.
pub enum Feed {
    Null,
    /// Written by a thread; returns how many bytes it got to write.
    Writer(Box<dyn FnOnce(std::process::ChildStdin) -> u64 + Send>),
}

pub struct Watched {
    pub out: Output,
    /// Peak RssAnon (heap and stacks, not mapped files), KiB.
    pub peak_kib: u64,
    /// Killed after [`KILL_AFTER`].
    pub hung: bool,
    /// Bytes a [`Feed::Writer`] wrote.
    pub fed: u64,
}

/// Runs rdbscope with `args`, draining its output as it comes, sampling
/// its RssAnon until it exits, killing it after [`KILL_AFTER`]; under
/// [`AS_LIMIT`] when `limit_as`, with TMPDIR set to `tmp` when given.
pub fn watched(args: &[&str], feed: Feed, limit_as: bool, tmp: Option<&Path>) -> Watched {
    use std::os::unix::process::CommandExt as _;
    let mut c = cmd();
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(t) = tmp {
        c.env("TMPDIR", t);
    }
    match &feed {
        Feed::Null => c.stdin(Stdio::null()),
        Feed::Writer(_) => c.stdin(Stdio::piped()),
    };
    if limit_as {
        // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
        unsafe {
            c.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: AS_LIMIT,
                    rlim_max: AS_LIMIT,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = c.spawn().expect("spawn rdbscope");
    let writer = match feed {
        Feed::Writer(w) => {
            let stdin = child.stdin.take().unwrap();
            Some(std::thread::spawn(move || w(stdin)))
        }
        _ => None,
    };
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let so = drain(Box::new(child.stdout.take().unwrap()));
    let se = drain(Box::new(child.stderr.take().unwrap()));
    let status_path = format!("/proc/{}/status", child.id());
    let start = Instant::now();
    let mut peak_kib = 0;
    let mut hung = false;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            let kib = text
                .lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > KILL_AFTER {
            hung = true;
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let fed = writer.map(|w| w.join().unwrap()).unwrap_or(0);
    Watched {
        out: Output {
            status,
            stdout: so.join().unwrap(),
            stderr: se.join().unwrap(),
        },
        peak_kib,
        hung,
        fed,
    }
}

impl Watched {
    /// Asserts the run finished, with exit `code`, under `max_kib` of
    /// RssAnon; `what` names it in failures.
    pub fn check(&self, what: &str, code: i32, max_kib: u64) {
        assert!(!self.hung, "{what} did not finish");
        assert_eq!(
            crate::util::exit_code(&self.out),
            code,
            "{what}: {}",
            crate::util::describe(&self.out)
        );
        assert!(
            self.peak_kib < max_kib,
            "{what}: peak RssAnon {} KiB",
            self.peak_kib
        );
    }
}
