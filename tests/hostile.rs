//! Crafted files that once crashed or fooled rdbscope (issue "Bounded by
//! design"): each must now give exit 0 with sane output or exit 2 with an
//! offset, never a panic, an abort or a raw control byte on a terminal.

use std::path::{Path, PathBuf};

use crate::builder::*;
use crate::util::*;
use crate::watch::*;

/// Bytes a terminal would act on: C0 controls but `\n`, DEL, and the UTF-8
/// encodings of the C1 controls U+0080..U+009F.
fn raw_controls(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .map(|c| c as u32 as u8)
        .collect()
}

const EVERY_COMMAND: [&str; 8] = [
    "verify", "dump", "keys", "report", "bigkeys", "prefixes", "expiry", "doctor",
];

#[test]
fn expiry_times_at_the_ends_of_i64_do_not_panic() {
    let d = tempfile::tempdir().unwrap();
    // No AUX ctime: nothing is "expired", both times are in the histogram.
    let f = Rdb::redis(9)
        .select_db(0)
        .expire_ms(i64::MIN + 5000)
        .key(T_STRING, b"a", v_string(b"x"))
        .expire_ms(i64::MAX - 5000)
        .key(T_STRING, b"b", v_string(b"y"))
        .finish(true);
    let f = write(d.path(), "ends.rdb", &f);
    for cmd in EVERY_COMMAND {
        let o = run([cmd, p(&f)]);
        assert_eq!(exit_code(&o), 0, "{cmd}: {}", describe(&o));
    }
    let o = run(["expiry", "--format", "json", p(&f)]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hist = v["histogram"].as_array().unwrap();
    assert!(!hist.is_empty() && hist.len() <= 64, "{v}");
    let keys: u64 = hist.iter().map(|b| b["keys"].as_u64().unwrap()).sum();
    assert_eq!(keys, 2, "{v}");
}

#[test]
fn stream_master_entry_with_an_impossible_field_count_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let good = Stream {
        nodes: vec![StreamNode {
            master_id: (1, 0),
            entries: vec![entry((1, 0), &[("f", "v")])],
        }],
        length: 1,
        last_id: (1, 0),
        first_id: (1, 0),
        max_deleted_id: (0, 0),
        entries_added: 1,
        groups: Vec::new(),
        idmp: None,
    };
    let node = stream_node_listpack(&good.nodes[0]);
    let value = v_stream(T_STREAM_LISTPACKS, &good);
    // The same value with the node's master entry declaring 2^31 fields.
    let bad_node = listpack(&[i(1), i(0), i(1 << 31), s("f"), i(0)]);
    let head = cat(&[len(1), string(&raw_id((1, 0)))]);
    let tail = &value[head.len() + string(&node).len()..];
    let bad = cat(&[head, string(&bad_node), tail.to_vec()]);
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_STREAM_LISTPACKS, b"st", bad)
        .finish(true);
    let f = write(d.path(), "stream.rdb", &f);
    for cmd in EVERY_COMMAND {
        let o = run([cmd, p(&f)]);
        assert_eq!(exit_code(&o), 2, "{cmd}: {}", describe(&o));
        let err =
            String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
        assert!(
            err.contains("impossible master entry counts"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn hostile_keys_and_aux_values_never_reach_a_terminal_raw() {
    let d = tempfile::tempdir().unwrap();
    // ESC sequences (clear screen, a forged line), CSI as C1 (U+009B), NEL
    // (U+0085), a carriage return and invalid UTF-8.
    let evil: [&[u8]; 5] = [
        b"\x1b[2J\x1b[HFAKE: OK",
        "csi\u{9b}31m".as_bytes(),
        "nel\u{85}x".as_bytes(),
        b"cr\rover",
        b"bad\xff\xfe",
    ];
    let mut r = Rdb::redis(10)
        .aux_enc(
            &string(b"redis-ver"),
            &string(b"7.0.15\x1b]0;pwned\x07\nrdbscope: FAKE: OK"),
        )
        .aux("ctime", "1700000000")
        .select_db(0);
    for (n, k) in evil.iter().enumerate() {
        let mut key = k.to_vec();
        key.extend_from_slice(format!(":{n}").as_bytes());
        r = r
            .expire_ms(1_700_000_000_000 + 3_600_000)
            .key(T_STRING, &key, v_string(k));
        // Also as a prefix family, for the prefix and cluster views.
        for m in 0..3 {
            let mut key = k.to_vec();
            key.extend_from_slice(format!(":{n}:{m}").as_bytes());
            r = r.key(T_HASH, &key, v_hash(&[(k, k)]));
        }
    }
    let f = write(d.path(), "evil.rdb", &r.finish(true));
    let rules = write(
        d.path(),
        "rules.toml",
        b"max_key_bytes = 10\nrequire_ttl = [\"*\"]\n",
    );
    let mut cases: Vec<Vec<&str>> = EVERY_COMMAND
        .iter()
        .filter(|c| **c != "dump" && **c != "keys")
        .map(|c| vec![*c, p(&f)])
        .collect();
    cases.push(vec!["bigkeys", "--by", "elements", p(&f)]);
    cases.push(vec!["check", p(&f), "--rules", p(&rules)]);
    cases.push(vec!["diff", p(&f), p(&f)]);
    cases.push(vec!["keys", "--target", "redis-7.0", p(&f)]);
    // Without --target the profile line names the dump's redis-ver.
    cases.push(vec!["keys", p(&f)]);
    for args in cases {
        let o = run(&args);
        assert!(
            [0, 1].contains(&exit_code(&o)),
            "{args:?}: {}",
            describe(&o)
        );
        if args[0] != "keys" {
            assert_eq!(
                raw_controls(&o.stdout),
                b"",
                "{args:?} stdout: {}",
                describe(&o)
            );
        }
        assert_eq!(
            raw_controls(&o.stderr),
            b"",
            "{args:?} stderr: {}",
            describe(&o)
        );
        // A line break from the dump cannot start a message of its own.
        for line in String::from_utf8_lossy(&o.stderr).lines() {
            assert!(
                line.starts_with("rdbscope: ") && !line.contains("rdbscope: FAKE")
                    || line.starts_with("  "),
                "{args:?} stderr line {line:?}"
            );
        }
    }
    // A damaged dump whose error names a hostile key.
    let mut r = Rdb::redis(10).select_db(0);
    r = r.key(T_LIST, b"\x1b[31mred", v_blob(b"not a ziplist"));
    let bad = write(d.path(), "bad.rdb", &r.finish(true));
    for cmd in EVERY_COMMAND {
        let o = run([cmd, p(&bad)]);
        assert_eq!(exit_code(&o), 2, "{cmd}: {}", describe(&o));
        assert_eq!(raw_controls(&o.stderr), b"", "{cmd}: {}", describe(&o));
        if cmd == "verify" {
            assert_eq!(raw_controls(&o.stdout), b"", "{cmd}: {}", describe(&o));
        }
    }
}

#[test]
fn a_dump_truncated_while_it_is_read_is_reported_not_a_bare_signal() {
    let d = tempfile::tempdir().unwrap();
    // One big string: `dump` reads every page of it.
    let big = vec![b'x'; 256 << 20];
    let f = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"big", v_string(&big))
        .finish(false);
    let path = write(d.path(), "big.rdb", &f);
    drop(f);
    let child = bin()
        .args(["dump", p(&path), "-o", p(&d.path().join("out.jsonl"))])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(4096)
        .unwrap();
    let o = child.wait_with_output().unwrap();
    // Either it was still opening the file (an ordinary truncation error)
    // or it was reading the mapped pages (SIGBUS, turned into a message);
    // or it had finished. Never killed by a signal.
    let code = o.status.code();
    assert!(code.is_some(), "killed by a signal: {o:?}");
    if code != Some(0) {
        assert_eq!(code, Some(2), "{}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("shrank while it was being read") || err.contains("offset"),
            "{err}"
        );
    }
}

/// A set listpack whose frame (total bytes, end marker) is intact but whose
/// second entry has an invalid encoding byte: only a full walk sees it.
fn damaged_set_dump(dir: &Path, crc: bool) -> PathBuf {
    let mut lp = listpack(&[s("aaaa"), s("bbbb"), s("cccc")]);
    lp[12] = 0xf6;
    let f = Rdb::redis(11)
        .aux("ctime", "1700000000")
        .select_db(0)
        .key(T_STRING, b"fine", v_string(b"ok"))
        .key(T_SET_LISTPACK, b"set:broken", v_blob(&lp))
        .finish(crc);
    write(dir, if crc { "crc.rdb" } else { "nocrc.rdb" }, &f)
}

#[test]
fn without_a_stored_checksum_the_report_path_validates_every_value() {
    let d = tempfile::tempdir().unwrap();
    let f = damaged_set_dump(d.path(), false);
    let rules = write(d.path(), "rules.toml", b"max_key_bytes = \"1MB\"\n");
    let mut cases: Vec<Vec<&str>> = EVERY_COMMAND.iter().map(|c| vec![*c, p(&f)]).collect();
    cases.push(vec!["check", p(&f), "--rules", p(&rules)]);
    cases.push(vec!["diff", p(&f), p(&f)]);
    for args in cases {
        let o = run(&args);
        assert_eq!(exit_code(&o), 2, "{args:?}: {}", describe(&o));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(all.contains("set:broken"), "{args:?}: {all}");
    }
}

#[test]
fn a_checksum_mismatch_from_the_report_path_names_the_damaged_key() {
    let d = tempfile::tempdir().unwrap();
    let f = damaged_set_dump(d.path(), true);
    // The CRC was computed over the damaged bytes: recompute it over
    // different bytes by damaging once more after the fact.
    let mut bytes = std::fs::read(&f).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    std::fs::write(&f, &bytes).unwrap();
    for cmd in ["report", "prefixes", "expiry"] {
        let o = run([cmd, p(&f)]);
        assert_eq!(exit_code(&o), 2, "{cmd}: {}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("set:broken") && !err.contains("checksum mismatch"),
            "{cmd}: the first damage, not only the checksum: {err}"
        );
    }
}

#[test]
fn bytes_after_the_rdb_are_named_and_junk_is_warned_about() {
    let d = tempfile::tempdir().unwrap();
    let rdb = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let with = |tail: &[u8], name: &str| {
        let mut b = rdb.clone();
        b.extend_from_slice(tail);
        write(d.path(), name, &b)
    };
    let junk = with(&[0u8; 1000], "junk.rdb");
    let mark = with(b"0123456789abcdefghijABCDEFGHIJ0123456789", "mark.rdb");
    let aof = with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", "aof.rdb");
    for (f, kind, warned) in [
        (&junk, "unknown", true),
        (&mark, "eof-mark", false),
        (&aof, "aof", false),
    ] {
        let v: serde_json::Value =
            serde_json::from_slice(&run(["verify", "--format", "json", p(f)]).stdout).unwrap();
        assert_eq!(v["trailing_kind"], kind, "{v}");
        let o = run(["report", p(f)]);
        assert_eq!(exit_code(&o), 0, "{}", describe(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            text.contains("neither an AOF tail nor a replication end mark"),
            warned,
            "{kind}: {text}"
        );
    }
}

#[test]
fn dump_never_writes_a_duplicate_field_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let f = Rdb::redis(9)
        .select_db(0)
        .key(
            T_HASH_ZIPLIST,
            b"h:dup",
            v_blob(&ziplist(&[s("f"), s("1"), s("g"), s("2"), s("f"), s("3")])),
        )
        .key(T_SET, b"s:dup", v_list(&[b"a", b"b", b"a"]))
        .finish(true);
    let f = write(d.path(), "dup.rdb", &f);
    let o = run(["dump", p(&f)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0].matches("\"f\":").count(), 1, "{}", lines[0]);
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["value"], serde_json::json!({"f": "1", "g": "2"}));
    let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(v["value"], serde_json::json!(["a", "b"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("key \"h:dup\": 1 duplicate fields left out")
            && err.contains("key \"s:dup\": 1 duplicate members left out"),
        "{err}"
    );
}

/// A dump followed by 256 MiB of zeros, gzip-compressed (about 250 KiB)
/// and piped in: streamed to a spill file, never held on the heap.
#[test]
fn compressed_and_piped_input_is_not_held_in_memory() {
    use std::io::Write as _;
    let d = tempfile::tempdir().unwrap();
    let rdb = Rdb::redis(10)
        .aux("ctime", "1700000000")
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&rdb).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        gz.write_all(&zeros).unwrap();
    }
    let gz = gz.finish().unwrap();
    let f = write(d.path(), "padded.rdb.gz", &gz);
    for via_stdin in [false, true] {
        let feed = if via_stdin {
            let mut file = std::fs::File::open(&f).unwrap();
            Feed::Writer(Box::new(move |mut w| {
                std::io::copy(&mut file, &mut w).unwrap_or(0)
            }))
        } else {
            Feed::Null
        };
        let arg = if via_stdin { "-" } else { p(&f) };
        let w = watched(&["report", "--quiet", arg], feed, false, Some(d.path()));
        let (o, peak) = (w.out, w.peak_kib);
        assert_eq!(exit_code(&o), 0, "stdin {via_stdin}: {}", describe(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        // The copy stops at the dump's end: the padding is named, but
        // only its first bytes were read.
        let n = text
            .split("at least ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("the padding is named: {text}"));
        assert!(
            text.contains("bytes after the RDB's checksum are neither") && n < 256 << 20,
            "{text}"
        );
        assert!(
            peak < 100 * 1024,
            "stdin {via_stdin}: peak RssAnon {peak} KiB"
        );
    }
    // The spill file is gone.
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

/// A producer that keeps its pipe open after the dump (`redis-cli --rdb -`
/// followed by a slow consumer, `(cat dump; sleep 60)`): the scan ends at the
/// dump's end plus a short look at what follows, and does not wait for the
/// pipe to close.
#[test]
fn a_pipe_left_open_after_the_dump_is_not_waited_for() {
    use std::io::Write as _;
    let rdb = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    for cmd in ["verify", "report", "dump", "keys"] {
        let mut child = bin()
            .args([cmd, "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&rdb).unwrap();
        stdin.flush().unwrap();
        let t = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if t.elapsed() > std::time::Duration::from_secs(20) {
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        drop(stdin);
        let o = child.wait_with_output().unwrap();
        assert!(status.is_some(), "{cmd} waited for the pipe to close");
        assert_eq!(exit_code(&o), 0, "{cmd}: {}", describe(&o));
    }
}

/// A stream that stops inside the dump because its decompressor failed
/// names that failure (and where the bytes stopped), not a truncation.
#[test]
fn a_failing_compressed_stream_is_named() {
    use std::io::Write as _;
    let d = tempfile::tempdir().unwrap();
    let mut rdb = Rdb::redis(10).select_db(0);
    for i in 0..2000u32 {
        rdb = rdb.key(
            T_STRING,
            format!("key:{i}").as_bytes(),
            v_string(&[b'x'; 300]),
        );
    }
    let rdb = rdb.finish(true);
    let mut z = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    z.write_all(&rdb).unwrap();
    let z = z.finish().unwrap();
    let cut = write(d.path(), "cut.rdb.zst", &z[..z.len() / 2]);
    for cmd in ["verify", "report", "dump", "keys"] {
        let o = run([cmd, p(&cut)]);
        assert_eq!(exit_code(&o), 2, "{cmd}: {}", describe(&o));
        let all = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert!(
            all.contains(
                "the input stopped: zstd: the compressed data ends early (a truncated file?): "
            ) && all.contains("bytes of decompressed output)"),
            "{cmd}: {all}"
        );
    }
}

#[test]
fn long_key_segments_and_aux_values_are_kept_short() {
    let d = tempfile::tempdir().unwrap();
    let mut a = vec![b'a'; 1 << 20];
    let mut b = a.clone();
    a.extend_from_slice(b":1");
    b[1000] = b'b';
    b.extend_from_slice(b":2");
    let f = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("big", &"x".repeat(3 << 20))
        .select_db(0)
        .key(T_STRING, &a, v_string(b"v"))
        .key(T_STRING, &b, v_string(b"v"))
        .finish(true);
    let f = write(d.path(), "long.rdb", &f);
    let o = run(["prefixes", "--format", "json", "--depth", "1", p(&f)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["prefixes"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "distinct long segments stay apart: {v:#}");
    for r in rows {
        let label = r["prefix"].as_str().unwrap();
        assert!(label.len() <= 260 && label.contains("...#"), "{label}");
        assert_eq!(r["keys"], 1);
    }
    let o = run(["verify", "--format", "json", p(&f)]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["aux"]["big"].as_str().unwrap().len(), 1 << 20);
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("AUX big holds 3145728 bytes"),
        "{}",
        v["warnings"]
    );
}

fn letters(mut n: usize) -> Vec<u8> {
    let mut v = vec![b'q'];
    loop {
        v.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            return v;
        }
    }
}

/// More distinct top-level names than the prefix tree keeps make it drop
/// them: the per-prefix gate rules must fail, not pass on nothing.
#[test]
fn a_prefix_tree_that_dropped_children_fails_the_per_prefix_rules() {
    let d = tempfile::tempdir().unwrap();
    let base = Rdb::redis(10)
        .aux("ctime", "1700000000")
        .select_db(0)
        .key(T_STRING, b"user:1", v_string(b"v"))
        .finish(true);
    let base = write(d.path(), "base.rdb", &base);
    let o = run(["report", "--quiet", "--format", "json", p(&base)]);
    write(d.path(), "baseline.json", &o.stdout);
    let mut r = Rdb::redis(10).aux("ctime", "1700000000").select_db(0).key(
        T_STRING,
        b"user:1",
        v_string(b"v"),
    );
    for n in 0..20_001 {
        r = r.key(T_STRING, &letters(n), v_string(b"x"));
    }
    for n in 0..100 {
        r = r.key(
            T_STRING,
            format!("evil:{n}").as_bytes(),
            v_string(&[b'e'; 2000]),
        );
    }
    let f = write(d.path(), "junk.rdb", &r.finish(true));
    let rules = write(
        d.path(),
        "rules.toml",
        b"baseline = \"baseline.json\"\nmax_growth = \"1000000%\"\nmax_new_prefix_bytes = \"1KB\"\n",
    );
    let o = run(["check", "--format", "json", p(&f), "--rules", p(&rules)]);
    assert_eq!(exit_code(&o), 1, "{}", describe(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for i in [1, 2] {
        let r = &v["rules"][i];
        assert_eq!(r["ok"], false, "{r}");
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .starts_with("cannot compare every prefix"),
            "{r}"
        );
    }
}

/// Thousands of databases (or module types) keep per-name state linear.
#[test]
fn many_databases_stay_linear() {
    let d = tempfile::tempdir().unwrap();
    let mut r = Rdb::redis(10).aux("ctime", "1700000000");
    for db in 0..30_000 {
        r = r.select_db(db).key(T_STRING, b"k", v_string(b"v"));
    }
    let f = write(d.path(), "dbs.rdb", &r.finish(true));
    let start = std::time::Instant::now();
    for cmd in ["verify", "report"] {
        let o = run([cmd, "--quiet", p(&f)]);
        assert_eq!(exit_code(&o), 0, "{cmd}: {}", describe(&o));
    }
    let o = run(["report", "--quiet", "--format", "json", p(&f)]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["by_db"].as_object().unwrap().len(), 30_000);
    // A guard far above the expected (well under a second in a debug
    // build), not a timing test: the quadratic version took minutes.
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

/// Runs rdbscope with `args` under the address-space limit, its stdin
/// from `stdin` when given; gives its output and peak RssAnon (KiB).
fn bounded(args: &[&str], stdin: Option<std::fs::File>) -> (std::process::Output, u64) {
    let feed = match stdin {
        None => Feed::Null,
        Some(mut f) => Feed::Writer(Box::new(move |mut w| {
            std::io::copy(&mut f, &mut w).unwrap_or(0)
        })),
    };
    let w = watched(args, feed, true, None);
    assert!(!w.hung, "{args:?} did not finish");
    (w.out, w.peak_kib)
}

/// LZF bombs (values that inflate 88x) where nothing needs the bytes: a
/// long AUX value and a function's code are checked whole without being
/// held; template field names and blobs that no server writes are errors
/// before anything is inflated. Every command, under a 3 GiB address
/// space, stays under 64 MiB of heap.
#[test]
fn lzf_bombs_are_checked_without_being_inflated() {
    let d = tempfile::tempdir().unwrap();
    let base = || Rdb::redis(12).aux("redis-ver", "7.2.4");
    let key = |r: Rdb| r.select_db(0).key(T_STRING, b"k", v_string(b"v"));
    let aux = key(base().aux_enc(&string(b"bomb"), &string_lzf_zeros(512 << 20))).finish(true);
    let func = key(base().function2_enc(&string_lzf_zeros(512 << 20))).finish(true);
    let tmpl_at = Rdb::redis(12).offset();
    let tmpl = Rdb::redis(12)
        .hash_template_enc(1, &[string(b"a"), string_lzf_zeros(100 << 20)])
        .finish(true);
    let bomb = string_lzf_zeros((1 << 30) + 1);
    // The LZF data: after the type byte, the key "h", 0xC3 and two lengths.
    let lens = len((bomb.len() - 11) as u64).len() + len((1 << 30) + 1).len();
    let blob_at = base().select_db(0).offset() + 1 + 2 + 1 + lens;
    let blob = base()
        .select_db(0)
        .key(T_HASH_LISTPACK, b"h", bomb)
        .finish(true);
    // (name, dump, expected error: offset and words)
    type Case<'a> = (&'a str, &'a [u8], Option<(u64, &'a str)>);
    let cases: [Case; 4] = [
        ("aux", &aux, None),
        ("function", &func, None),
        (
            "template",
            &tmpl,
            Some((tmpl_at as u64, "bad hash template")),
        ),
        ("blob", &blob, Some((blob_at as u64, "no server writes"))),
    ];
    for (name, bytes, want) in cases {
        let f = write(d.path(), &format!("{name}.rdb"), bytes);
        for cmd in ["verify", "report", "dump", "keys"] {
            let (o, peak) = bounded(&[cmd, p(&f)], None);
            let all = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
            match want {
                None => {
                    assert_eq!(exit_code(&o), 0, "{name} {cmd}: {all}");
                    if name == "aux" && cmd != "dump" && cmd != "keys" {
                        assert!(
                            all.contains("AUX bomb holds 536870912 bytes"),
                            "{name} {cmd}: {all}"
                        );
                    }
                }
                Some((at, why)) => {
                    assert_eq!(exit_code(&o), 2, "{name} {cmd}: {all}");
                    assert!(
                        all.contains(&format!("at offset {at}")) && all.contains(why),
                        "{name} {cmd}: {all}"
                    );
                }
            }
            assert!(peak < 64 << 10, "{name} {cmd}: peak RssAnon {peak} KiB");
        }
    }
}

/// A compressed stream that inflates far more than a dump does (here a
/// zstd frame of zeros behind a key that claims a 10 GiB string) is
/// stopped after 1 GiB, from a file or a pipe, and the stop is named.
#[test]
fn a_wrapper_bomb_is_stopped() {
    use std::io::Write as _;
    let d = tempfile::tempdir().unwrap();
    let mut head = Rdb::redis(10).select_db(0).bytes();
    head.extend_from_slice(&[T_STRING]);
    head.extend_from_slice(&string(b"k"));
    head.extend_from_slice(&len(10 << 30));
    let mut z = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    z.write_all(&head).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1200 {
        z.write_all(&zeros).unwrap();
    }
    let z = z.finish().unwrap();
    assert!(z.len() < 1 << 20, "{}", z.len());
    let f = write(d.path(), "bomb.rdb.zst", &z);
    for via_stdin in [false, true] {
        let stdin = via_stdin.then(|| std::fs::File::open(&f).unwrap());
        let (o, peak) = bounded(&["report", if via_stdin { "-" } else { p(&f) }], stdin);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(exit_code(&o), 2, "{err}");
        // Under the address-space limit the sparse window cannot be mapped
        // and the stream is copied before the scan: stopped all the same.
        // From a pipe, the 10 GiB the key claims is refused first: a pipe's
        // record is not waited for past 4 GiB.
        let bomb = err.contains("zstd: ") && err.contains("decompression bomb");
        let record = via_stdin && err.contains("needs 10737418240 more bytes");
        assert!(bomb || record, "{err}");
        assert!(peak < 64 << 10, "peak RssAnon {peak} KiB");
    }
}
