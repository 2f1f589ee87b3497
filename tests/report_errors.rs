//! Regressions from a new user's trial: the report commands trust a dump
//! only as far as `verify` does, survive a closed stdout, keep prefix rows
//! when many keys have no delimiter, and never print raw control bytes.

use std::process::Stdio;

use crate::builder::*;
use crate::util::*;

fn fixture(name: &str) -> String {
    root()
        .join("fixtures/redis-7.0")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn report_commands_reject_a_checksum_mismatch_and_damaged_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = std::fs::read(fixture("everything.rdb")).unwrap();
    *data.last_mut().unwrap() ^= 1;
    let flipped = dir.path().join("flipped.rdb");
    std::fs::write(&flipped, &data).unwrap();
    // A listpack hash whose size field disagrees with its string, no checksum.
    let bad_lp = {
        let mut lp = listpack(&[s("f"), s("v")]);
        lp[0] ^= 0x40;
        Rdb::redis(10)
            .select_db(0)
            .key(T_HASH_LISTPACK, b"h", v_blob(&lp))
            .finish(false)
    };
    let damaged = dir.path().join("damaged.rdb");
    std::fs::write(&damaged, bad_lp).unwrap();
    // The checksum is the last 8 bytes; the listpack starts at 15: magic
    // (9), SELECTDB 0 (2), type (1), key "h" (2), the blob's length (1).
    let checksum_at = format!("at offset {}: checksum mismatch", data.len() - 8);
    for cmd in ["report", "bigkeys", "prefixes", "expiry", "doctor"] {
        for (f, what) in [
            (&flipped, checksum_at.as_str()),
            (&damaged, "at offset 15: bad listpack"),
        ] {
            let out = run([cmd, "--quiet", f.to_str().unwrap()]);
            assert_eq!(exit_code(&out), 2, "{cmd} {}", f.display());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(what) && err.contains("offset"), "{cmd}: {err}");
        }
    }
}

#[test]
fn check_and_diff_exit_0_on_a_closed_stdout() {
    let f = fixture("everything.rdb");
    let rules = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(rules.path(), "max_key_bytes = \"1B\"\n").unwrap();
    for args in [
        vec!["diff", f.as_str(), f.as_str(), "--format", "json"],
        vec![
            "check",
            f.as_str(),
            "--rules",
            rules.path().to_str().unwrap(),
        ],
        vec!["report", f.as_str()],
    ] {
        let mut child = bin()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away at once
        let out = child.wait_with_output().unwrap();
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || (args[0] == "check" && code == 1),
            "{args:?}: {code} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}

#[test]
fn many_keys_without_delimiters_keep_the_prefix_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Rdb::redis(10).select_db(0);
    for n in 0..50 {
        r = r.key(
            T_STRING,
            format!("user:{n}:profile").as_bytes(),
            v_string(b"x"),
        );
    }
    for n in 0..2500u32 {
        r = r.key(
            T_STRING,
            format!("tmp{:08x}", n.wrapping_mul(2654435761)).as_bytes(),
            v_string(b"y"),
        );
        r = r.key(T_STRING, format!("x{n}y").as_bytes(), v_string(b"z"));
    }
    let p = dir.path().join("flat.rdb");
    std::fs::write(&p, r.finish(true)).unwrap();
    let out = run(["prefixes", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels: Vec<&str> = v["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["prefix"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"tmp*"), "{labels:?}");
    assert!(labels.contains(&"user:*"), "{labels:?}");
}

#[test]
fn text_views_escape_control_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let key = b"evil\x1b]0;pwned\x07\x1b[2J\n";
    let file = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, key, v_string(&[b'v'; 5000]))
        .finish(true);
    let p = dir.path().join("evil.rdb");
    std::fs::write(&p, file).unwrap();
    for cmd in ["report", "bigkeys"] {
        let out = run([cmd, "--quiet", p.to_str().unwrap()]);
        assert_eq!(exit_code(&out), 0);
        assert!(!out.stdout.contains(&0x1b), "{cmd} printed a raw ESC");
        assert!(
            stdout(&out).contains("evil\\x1b]0;pwned\\x07\\x1b[2J\\x0a"),
            "{}",
            stdout(&out)
        );
    }
    // JSON keeps the one escaping rule (JSON escapes control characters itself).
    let out = run(["report", "--format", "json", p.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["big_keys"][0]["key"],
        "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\n"
    );
}
