//! Golden outputs beside every committed fixture: `x.rdb` has
//! `x.rdb.verify.txt`, `x.rdb.verify.json` and `x.rdb.dump.jsonl`.
//! Regenerate with `RDBSCOPE_UPDATE=1 cargo test golden`.

use std::path::{Path, PathBuf};

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
