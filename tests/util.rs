//! Shared test helpers: paths, the binary, and running it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every test that cannot run for want of something outside the project
/// (the shared corpus, a server binary) goes through here. Under `CI=true`
/// it panics, so CI cannot pass a test it did not run; elsewhere it prints
/// `NOTICE: <what> missing; skipping` and the caller returns, so a user's
/// clone still passes.
pub fn prerequisite_missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} missing, and CI=true: CI must provide it (see .ci/run)");
    }
    // Straight to stderr: the test harness captures `eprintln!` of
    // passing tests, and this notice must be seen.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "NOTICE: {what} missing; skipping");
}

/// `../shared` beside the project, when it exists. Otherwise reports the
/// missing prerequisite (a panic under `CI=true`) and returns `None`.
pub fn shared() -> Option<PathBuf> {
    let p = root().join("../shared");
    if p.join("corpus").is_dir() {
        Some(p)
    } else {
        prerequisite_missing("../shared (the shared corpus)");
        None
    }
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rdbscope"))
}

/// Runs `rdbscope ARGS...`.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    bin().args(args).output().expect("run rdbscope")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

/// Parses JSON lines.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

pub fn exit_code(o: &Output) -> i32 {
    o.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {o:?}"))
}

/// Compares a command's stdout with the golden file `path`, and its exit
/// code with `want_code`. With `RDBSCOPE_UPDATE=1` rewrites the golden file
/// instead, but only from a command that exited with `want_code`: a failed
/// run is refused (`Err`, the file left as it was), so an error message can
/// never become the expected output.
pub fn golden(path: &Path, out: &Output, want_code: i32) -> Result<(), String> {
    let code = out.status.code();
    if code != Some(want_code) {
        let how = match code {
            Some(c) => format!("exited {c}"),
            None => format!("was killed ({})", out.status),
        };
        let verb = if updating() { "not updated" } else { "differs" };
        return Err(format!(
            "{}: {verb}: the command {how}, expected {want_code}; stderr: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    let got = stdout(out);
    if updating() {
        std::fs::write(path, &got).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(());
    }
    let want = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e} (run with RDBSCOPE_UPDATE=1)", path.display()))?;
    if want == got {
        return Ok(());
    }
    let first = want.lines().zip(got.lines()).position(|(a, b)| a != b);
    Err(match first {
        Some(i) => format!(
            "{} differs at line {}:\n  want: {}\n  got:  {}",
            path.display(),
            i + 1,
            want.lines().nth(i).unwrap_or(""),
            got.lines().nth(i).unwrap_or("")
        ),
        None => format!(
            "{}: {} lines wanted, {} got",
            path.display(),
            want.lines().count(),
            got.lines().count()
        ),
    })
}

fn updating() -> bool {
    std::env::var_os("RDBSCOPE_UPDATE").is_some()
}

/// Decodes the `key_hex` of a truth-file line (ground_truth.py writes keys
/// as hex so that any bytes survive JSON).
pub fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A path as an argument.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Exit code, stdout and stderr of a run, for assertion messages.
pub fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The real Redis 7.0 fixture dumps (`fixtures/redis-7.0/*.rdb`), sorted.
pub fn redis70_dumps() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/redis-7.0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rdb"))
        .collect();
    v.sort();
    v
}

/// A TCP port on 127.0.0.1 that is free now (for a server a test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local address")
        .port()
}
