//! Golden outputs beside every committed fixture: `x.rdb` has
//! `x.rdb.verify.txt`, `x.rdb.verify.json` and `x.rdb.dump.jsonl`; each
//! Redis 7.0 dump also has the text of `report`, `bigkeys`, `prefixes` and
//! `expiry` (`x.rdb.report.txt`, ...). `check` against the rules files in
//! `fixtures/rules/` and one `diff` have goldens too. Every command runs
//! from the project root with relative paths, so the file names printed
//! are the same on every machine; times come from the dump's AUX ctime,
//! not the clock. Regenerate with `RDBSCOPE_UPDATE=1 cargo test golden`
//! (it refuses to write from a command that did not exit as expected).

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::*;

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root().join("fixtures")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rdb") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn sidecar(p: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", p.display()))
}

#[test]
fn golden_outputs_of_every_fixture() {
    let files = fixtures();
    assert!(files.len() >= 8, "fixtures missing: {files:?}");
    let mut failures = Vec::new();
    for f in &files {
        let r = rel(f);
        for (args, suffix) in [
            (vec!["verify", r.as_str()], "verify.txt"),
            (
                vec!["verify", "--format", "json", r.as_str()],
                "verify.json",
            ),
            (vec!["dump", r.as_str()], "dump.jsonl"),
        ] {
            let out = bin().current_dir(root()).args(&args).output().unwrap();
            // A broken fixture fails to decode: exit 2 (src/main.rs).
            let want_code = if r.contains("broken") { 2 } else { 0 };
            if let Err(e) = golden(&sidecar(f, suffix), &out, want_code) {
                failures.push(format!("{args:?}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `rdbscope ARGS` from the project root (paths in ARGS are relative).
fn run_at_root(args: &[&str]) -> Output {
    bin().current_dir(root()).args(args).output().unwrap()
}

/// The bundled Redis 7.0 dumps that decode.
fn redis70_fixtures() -> Vec<PathBuf> {
    let dir = root().join("fixtures/redis-7.0");
    fixtures()
        .into_iter()
        .filter(|p| p.parent() == Some(dir.as_path()) && !rel(p).contains("broken"))
        .collect()
}

#[test]
fn golden_report_texts_of_every_fixture() {
    let files = redis70_fixtures();
    assert!(files.len() >= 8, "fixtures missing: {files:?}");
    let mut failures = Vec::new();
    for f in &files {
        let r = rel(f);
        for cmd in ["report", "bigkeys", "prefixes", "expiry"] {
            let args = [cmd, r.as_str(), "--threads", "1"];
            let out = run_at_root(&args);
            if let Err(e) = golden(&sidecar(f, &format!("{cmd}.txt")), &out, 0) {
                failures.push(format!("{args:?}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The document inside each fixture's HTML page (what the page draws),
/// pretty-printed: `x.rdb.html.json`.
#[test]
fn golden_html_data_of_every_fixture() {
    use std::os::unix::process::ExitStatusExt as _;
    let mut failures = Vec::new();
    for f in &redis70_fixtures() {
        let r = rel(f);
        let out = run_at_root(&["report", r.as_str(), "--format", "html", "--threads", "1"]);
        let page = stdout(&out);
        let block = rdbscope::output::html::page_data(&page).unwrap_or_default();
        let pretty = serde_json::from_str::<serde_json::Value>(block)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|e| format!("not JSON: {e}"));
        let out = Output {
            status: std::process::ExitStatus::from_raw(out.status.code().unwrap_or(128) << 8),
            stdout: format!("{pretty}\n").into_bytes(),
            stderr: out.stderr,
        };
        if let Err(e) = golden(&sidecar(f, "html.json"), &out, 0) {
            failures.push(format!("{r}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_check_texts() {
    // pass.toml holds on everything.rdb; fail.toml breaks three kinds of rule.
    let mut failures = Vec::new();
    for (rules, want_code) in [("pass", 0), ("fail", 1)] {
        let rules_file = format!("fixtures/rules/{rules}.toml");
        let args = [
            "check",
            "fixtures/redis-7.0/everything.rdb",
            "--rules",
            rules_file.as_str(),
            "--threads",
            "1",
        ];
        let out = run_at_root(&args);
        let text = stdout(&out);
        if rules == "fail" {
            for rule in ["max_key_bytes", "max_elements", "require_ttl"] {
                assert!(
                    text.contains(&format!("FAIL  {rule}")),
                    "{rule} should fail: {text}"
                );
            }
        } else {
            assert!(!text.contains("FAIL"), "{text}");
        }
        let path = root().join(format!("{rules_file}.check.txt"));
        if let Err(e) = golden(&path, &out, want_code) {
            failures.push(format!("{args:?}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_diff_text() {
    let out = run_at_root(&[
        "diff",
        "fixtures/redis-7.0/strings.rdb",
        "fixtures/redis-7.0/everything.rdb",
        "--threads",
        "1",
    ]);
    let path = root().join("fixtures/redis-7.0/strings-to-everything.diff.txt");
    golden(&path, &out, 0).unwrap();
}
