//! Regression tests for the defects of issue #10 ("Bounded by design") that
//! `hostile.rs` and `one_scan.rs` do not already cover. Each one builds its
//! hostile input at test time (bombs are a few MB at most, large inputs are
//! sparse files or generated pipes), asserts the fixed behaviour with real
//! values, and bounds memory (peak `RssAnon`) where the defect was memory.
//! Nothing here is a timing test: a generous kill timeout only turns a hang
//! (or a return of a quadratic loop) into a failure.
//!
//! `RDBSCOPE_REGRESS_BIN=/path/to/rdbscope` runs these tests against another
//! build (one from before the fixes, to see each of them fail).

use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;

use crate::builder::*;
use crate::util::*;
use crate::watch::*;

// ---------------------------------------------------------------------------
// Running the binary: kill timeout, address-space limit, peak RssAnon
// ---------------------------------------------------------------------------

/// Stdout and stderr together.
fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(o)))
}

// ---------------------------------------------------------------------------
// Building hostile values
// ---------------------------------------------------------------------------

/// LZF back-reference of `n` (3..=264) bytes at `distance` (1..=8192).
fn lzf_backref(out: &mut Vec<u8>, n: usize, distance: usize) {
    assert!((3..=264).contains(&n) && (1..=8192).contains(&distance));
    let off = distance - 1;
    if n - 2 < 7 {
        out.push((((n - 2) << 5) | (off >> 8)) as u8);
    } else {
        out.push(((7 << 5) | (off >> 8)) as u8);
        out.push((n - 9) as u8);
    }
    out.push(off as u8);
}

/// An LZF string (`C3 clen ulen data`) that inflates to `head`, then
/// `unit` `times` times, then `tail`, at the format's best ratio (264
/// bytes per 3-byte back-reference): the shape of a crafted bomb.
fn lzf_repeat(head: &[u8], unit: &[u8], times: usize, tail: &[u8]) -> Vec<u8> {
    assert!(times >= 1 && !unit.is_empty() && unit.len() <= 8192);
    let mut z = lzf_literal(&[head, unit].concat());
    let mut left = (times - 1) * unit.len();
    let mut phase = 0;
    while left > 0 {
        let n = left.min(264);
        if n >= 3 {
            lzf_backref(&mut z, n, unit.len());
        } else {
            let bytes: Vec<u8> = (0..n).map(|k| unit[(phase + k) % unit.len()]).collect();
            z.extend_from_slice(&lzf_literal(&bytes));
        }
        phase = (phase + n) % unit.len();
        left -= n;
    }
    if !tail.is_empty() {
        z.extend_from_slice(&lzf_literal(tail));
    }
    let ulen = head.len() + unit.len() * times + tail.len();
    cat(&[vec![0xC3], len(z.len() as u64), len(ulen as u64), z])
}

/// Bytes a terminal would act on: C0 controls but `\n`, DEL, and the
/// UTF-8 encodings of the C1 controls U+0080..U+009F.
fn raw_controls(bytes: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

/// `q` then `n` in base 26 (letters only: no digit or hex run that the
/// prefix view would fold into `*`).
fn letters(mut n: usize) -> String {
    let mut v = String::from("q");
    loop {
        v.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return v;
        }
    }
}

const CTIME_S: i64 = 1_700_000_000;
const CTIME_MS: i64 = CTIME_S * 1000;

const REPORT_COMMANDS: [&str; 5] = ["report", "bigkeys", "prefixes", "expiry", "doctor"];

// ---------------------------------------------------------------------------
// Panics
// ---------------------------------------------------------------------------

/// The ends of i64 themselves (the issue's ±5000 is in hostile.rs): a key
/// that expired at i64::MIN ms is in the histogram at the far past, not
/// wrapped to the far future, and no command panics.
#[test]
fn expiry_at_exactly_the_ends_of_i64() {
    let d = tempfile::tempdir().unwrap();
    let f = Rdb::redis(9)
        .select_db(0)
        .expire_ms(i64::MIN)
        .key(T_STRING, b"a", v_string(b"x"))
        .expire_ms(i64::MAX)
        .key(T_STRING, b"b", v_string(b"y"))
        .finish(true);
    let f = write(d.path(), "ends.rdb", &f);
    for c in [
        "verify", "dump", "keys", "report", "bigkeys", "prefixes", "expiry",
    ] {
        let o = go([c, p(&f)]);
        assert_eq!(o.status.code(), Some(0), "{c}: {}", describe(&o));
    }
    let v = json(&go(["expiry", "--format", "json", p(&f)]));
    let hist = v["histogram"].as_array().unwrap();
    let keys: u64 = hist.iter().map(|b| b["keys"].as_u64().unwrap()).sum();
    assert_eq!(keys, 2, "{v}");
    let first = hist[0]["start_ms"].as_i64().unwrap();
    let last = hist[hist.len() - 1]["end_ms"].as_i64().unwrap();
    assert!(first <= i64::MIN + 1000 && last >= i64::MAX - 1000, "{v}");
}

// ---------------------------------------------------------------------------
// LZF bombs
// ---------------------------------------------------------------------------

/// One stream node whose listpack (LZF, ~25 KB in the file) holds 300,000
/// entries: `dump` writes them as they come instead of building a
/// `serde_json::Value` per entry (the issue: a 727 KB stream aborted at
/// 5.6 GB).
#[test]
fn an_lzf_stream_node_is_dumped_without_a_value_per_entry() {
    lzf_stream_node_dumped(300_000);
}

/// Ten times more: 108 MB of JSON entries from a 400 KB file. Past 16 MiB
/// they wait in a temporary file for the stream's header, not in memory
/// (from a hostile trial: 1.78 GB of RSS for a 45 MB file).
#[test]
fn a_stream_of_gigabytes_of_json_is_dumped_in_bounded_memory() {
    lzf_stream_node_dumped(3_000_000);
}

fn lzf_stream_node_dumped(n: usize) {
    let d = tempfile::tempdir().unwrap();
    // Master entry: n live, 0 deleted, 1 field "f", terminator.
    let master = listpack(&[i(n as i64), i(0), i(1), s("f"), i(0)]);
    let master = &master[6..master.len() - 1];
    // Each entry: flags SAMEFIELDS, ms-diff 0, seq-diff 0, value "v",
    // lp-count 4; all 11 bytes alike, so the node compresses 88x.
    let unit = [
        0x02, 0x01, 0x00, 0x01, 0x00, 0x01, 0x81, b'v', 0x02, 0x04, 0x01,
    ];
    let total = 6 + master.len() + unit.len() * n + 1;
    let mut head = (total as u32).to_le_bytes().to_vec();
    head.extend_from_slice(&65535u16.to_le_bytes());
    head.extend_from_slice(master);
    let node = lzf_repeat(&head, &unit, n, &[0xFF]);
    let value = cat(&[
        len(1),
        string(&raw_id((1, 0))),
        node,
        len(n as u64),
        len(1),
        len(0),
        len(0),
    ]);
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_STREAM_LISTPACKS, b"st", value)
        .finish(true);
    // 11 bytes an entry, inflated 88 times.
    assert!(f.len() < (64 << 10) + n / 8, "{}", f.len());
    let f = write(d.path(), "stream.rdb", &f);
    let w = watched(&["dump", p(&f)], Feed::Null, true, None);
    assert!(!w.hung, "dump did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    let text = String::from_utf8_lossy(&w.out.stdout);
    assert!(
        text.starts_with(r#"{"db":0,"key":"st","type":"stream""#),
        "{}",
        &text[..200.min(text.len())]
    );
    assert_eq!(
        text.matches(r#"{"id":"1-0","fields":[["f","v"]]}"#).count(),
        n
    );
    assert!(w.peak_kib < 64 << 10, "peak RssAnon {} KiB", w.peak_kib);
}

/// 32 keys whose LZF-compressed names hold 1 MiB segments (12 KB each in
/// the file): the prefix tree keeps a short head and a hash of each, not
/// the whole segment (the issue: 24 MB files drove report/prefixes to
/// 5.9 GB). `prefixes` and `expiry` (no-TTL prefixes) hold only the tree.
#[test]
fn lzf_keys_of_1_mib_segments_are_not_kept_whole() {
    let d = tempfile::tempdir().unwrap();
    const N: usize = 32;
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for n in 0..N {
        let head = format!("big:{}", letters(n));
        let key = lzf_repeat(head.as_bytes(), b"x", 1 << 20, b":1");
        r = r.key_enc(T_STRING, &key, v_string(b"v"));
    }
    let f = r.finish(true);
    assert!(f.len() < 1 << 20, "{}", f.len());
    let f = write(d.path(), "segments.rdb", &f);
    let w = watched(
        &["prefixes", "--format", "json", "--top", "100", p(&f)],
        Feed::Null,
        true,
        None,
    );
    w.check("prefixes", 0, 64 << 10);
    let v = json(&w.out);
    let rows = v["prefixes"].as_array().unwrap();
    let top = rows.iter().find(|r| r["prefix"] == "big:*").unwrap();
    assert_eq!(top["keys"], N as u64, "{top}");
    let long: Vec<&Value> = rows.iter().filter(|r| r["depth"] == 2).collect();
    assert_eq!(long.len(), N, "distinct long segments stay apart");
    for r in long {
        let label = r["prefix"].as_str().unwrap();
        assert!(label.len() <= 300 && label.contains("...#"), "{label}");
        assert_eq!(r["keys"], 1, "{r}");
    }
    let w = watched(
        &["expiry", "--format", "json", p(&f)],
        Feed::Null,
        true,
        None,
    );
    w.check("expiry", 0, 64 << 10);
    let v = json(&w.out);
    assert_eq!(v["no_ttl_keys"], N as u64, "{v}");
    assert_eq!(v["no_ttl_prefixes"][0]["prefix"], "big:*", "{v}");
}

/// The big-key lists of `report` and `bigkeys` hold their keys' names:
/// 12 keys of 4 MiB LZF-compressed names (47 KB each in the file) must not
/// keep every list's copy of each whole name (a 12 MB file of eight
/// 128 MiB names drives both to 2.9 GB).
#[test]
fn big_key_lists_do_not_keep_whole_lzf_key_names() {
    let d = tempfile::tempdir().unwrap();
    const N: usize = 12;
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for n in 0..N {
        let head = format!("big:{}", letters(n));
        let key = lzf_repeat(head.as_bytes(), b"x", 4 << 20, b":1");
        r = r.key_enc(T_STRING, &key, v_string(&vec![b'v'; 100 + n]));
    }
    let f = write(d.path(), "names.rdb", &r.finish(true));
    for c in ["report", "bigkeys"] {
        let w = watched(&[c, "--format", "json", p(&f)], Feed::Null, true, None);
        w.check(c, 0, 64 << 10);
    }
}

/// `dump` of one LZF string of 8 MiB of zeros (88 KB in the file): its JSON
/// (`\u0000` six bytes each) is written as it is escaped, so memory stays
/// near the value's size (the issue: a 5 MB file aborted `dump` at 3.2 GB).
#[test]
fn dump_of_an_lzf_string_bomb_stays_near_the_value_size() {
    let d = tempfile::tempdir().unwrap();
    const ULEN: usize = 8 << 20;
    let f = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"big", string_lzf_zeros(ULEN as u64))
        .finish(true);
    let f = write(d.path(), "bomb.rdb", &f);
    let w = watched(&["dump", p(&f)], Feed::Null, true, None);
    assert!(!w.hung, "dump did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    let text = String::from_utf8_lossy(&w.out.stdout);
    assert!(
        text.starts_with(r#"{"db":0,"key":"big""#),
        "{}",
        &text[..100]
    );
    assert_eq!(text.matches("\\u0000").count(), ULEN);
    let bound = 4 * (ULEN as u64 >> 10) + (16 << 10);
    assert!(
        w.peak_kib < bound,
        "peak RssAnon {} KiB for an {} MiB value (bound {bound} KiB)",
        w.peak_kib,
        ULEN >> 20
    );
}

// ---------------------------------------------------------------------------
// Wrapper bombs and unbounded reads
// ---------------------------------------------------------------------------

/// `/dev/zero` as a dump, a rules file, a baseline or a side of `diff`:
/// refused from its first bytes (or after a 256 MiB cap for the text
/// files), never read until memory runs out.
#[test]
fn dev_zero_is_refused_not_read_to_the_end() {
    let d = tempfile::tempdir().unwrap();
    let dump = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let dump = write(d.path(), "a.rdb", &dump);
    let rules = write(d.path(), "rules.toml", b"max_key_bytes = \"1MB\"\n");
    let base_rules = write(
        d.path(),
        "base.toml",
        b"baseline = \"/dev/zero\"\nmax_growth = \"10%\"\n",
    );
    let not_rdb = "/dev/zero: not an RDB file: expected REDISnnnn or VALKEYnnn at offset 0";
    // (args, the error, peak RssAnon bound in KiB)
    let cases: Vec<(Vec<&str>, &str, u64)> = vec![
        (vec!["report", "/dev/zero"], not_rdb, 64 << 10),
        (vec!["verify", "/dev/zero"], "offset 0", 64 << 10),
        (vec!["keys", "/dev/zero"], not_rdb, 64 << 10),
        (vec!["dump", "/dev/zero"], not_rdb, 64 << 10),
        (vec!["diff", "/dev/zero", p(&dump)], not_rdb, 64 << 10),
        (vec!["diff", p(&dump), "/dev/zero"], not_rdb, 64 << 10),
        (
            vec!["check", "/dev/zero", "--rules", p(&rules)],
            not_rdb,
            64 << 10,
        ),
        (
            vec!["check", p(&dump), "--rules", "/dev/zero"],
            "rules file /dev/zero is larger than 4 MiB: not a rules file",
            64 << 10,
        ),
        (
            vec!["check", p(&dump), "--rules", p(&base_rules)],
            "baseline /dev/zero is larger than 256 MiB: not a baseline",
            320 << 10,
        ),
    ];
    for (args, want, bound) in cases {
        let w = watched(&args, Feed::Null, true, None);
        assert!(!w.hung, "{args:?} did not finish");
        let text = all(&w.out);
        assert_eq!(exit_code(&w.out), 2, "{args:?}: {text}");
        assert!(text.contains(want), "{args:?}: {text}");
        assert!(
            w.peak_kib < bound,
            "{args:?}: peak RssAnon {} KiB",
            w.peak_kib
        );
    }
}

/// A valid dump on stdin followed by 3 GiB of zeros (a plain pipe, no
/// compression): the scan ends at the dump's end plus a short look at what
/// follows, says so, and closes the pipe; nothing is held in memory.
#[test]
fn a_pipe_with_gigabytes_after_the_dump_is_not_read_to_the_end() {
    let d = tempfile::tempdir().unwrap();
    let rdb = Rdb::redis(10)
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    const ZEROS: u64 = 3 << 30;
    let feed = Feed::Writer(Box::new(move |mut stdin| {
        if stdin.write_all(&rdb).is_err() {
            return 0;
        }
        let chunk = vec![0u8; 1 << 20];
        let mut sent = rdb.len() as u64;
        while sent < rdb.len() as u64 + ZEROS {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        sent
    }));
    let w = watched(&["report", "-"], feed, false, Some(d.path()));
    assert!(!w.hung, "report did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    let text = stdout(&w.out);
    let n: u64 = text
        .split("at least ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the zeros are named: {text}"));
    assert!(
        text.contains("bytes after the RDB's checksum are neither an AOF tail")
            && n > 0
            && n < ZEROS,
        "{text}"
    );
    assert!(
        w.fed < ZEROS,
        "the pipe was read to its end ({} bytes)",
        w.fed
    );
    assert!(w.peak_kib < 100 << 10, "peak RssAnon {} KiB", w.peak_kib);
}

/// The same pipe under a 3 GiB address-space limit, where no sparse window
/// can be mapped: the fallback copies the whole stream to TMPDIR first.
#[test]
fn a_pipe_with_gigabytes_after_the_dump_under_an_address_space_limit() {
    let d = tempfile::tempdir().unwrap();
    let rdb = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    const ZEROS: u64 = 3 << 30;
    let feed = Feed::Writer(Box::new(move |mut stdin| {
        let _ = stdin.write_all(&rdb);
        let chunk = vec![0u8; 1 << 20];
        let mut sent = 0;
        while sent < ZEROS && stdin.write_all(&chunk).is_ok() {
            sent += chunk.len() as u64;
        }
        sent
    }));
    let w = watched(&["report", "-"], feed, true, Some(d.path()));
    assert!(!w.hung, "report did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    assert!(w.fed < ZEROS, "the pipe was read to its end");
}

/// An LZ4 frame (4.9 MB) that inflates 255x: 300 blocks of 4 MiB of zeros
/// behind a key that claims a 10 GiB string. Stopped as a bomb after
/// 1 GiB, with the heap bounded (hostile.rs has the zstd case; a gzip one
/// takes ~20 s to inflate 1 GiB in a debug build).
#[test]
fn an_lz4_bomb_is_stopped() {
    let d = tempfile::tempdir().unwrap();
    let mut head = Rdb::redis(10).select_db(0).bytes();
    head.push(T_STRING);
    head.extend_from_slice(&string(b"k"));
    head.extend_from_slice(&len(10 << 30));
    head.push(0);
    // Frame: magic, FLG (version 1, independent blocks), BD (4 MiB
    // blocks), header checksum (xxh32 of FLG BD, second byte).
    let mut z = vec![0x04, 0x22, 0x4D, 0x18, 0x60, 0x70, 0x73];
    // The head as a stored block.
    z.extend_from_slice(&(head.len() as u32 | 1 << 31).to_le_bytes());
    z.extend_from_slice(&head);
    // 4 MiB of zeros: one literal, a match at offset 1 of 4 MiB - 6 bytes
    // (15 in the token, then 255 per extra byte), the 5 literals a block
    // must end with.
    let block = 4 << 20;
    let extra = block - 1 - 5 - 4 - 15;
    let mut b = vec![0x1F, 0x00, 0x01, 0x00];
    b.extend(std::iter::repeat_n(0xFF, extra / 255));
    b.push((extra % 255) as u8);
    b.extend_from_slice(&[0x50, 0, 0, 0, 0, 0]);
    for _ in 0..300 {
        z.extend_from_slice(&(b.len() as u32).to_le_bytes());
        z.extend_from_slice(&b);
    }
    z.extend_from_slice(&[0; 4]);
    let f = write(d.path(), "bomb.rdb.lz4", &z);
    let w = watched(&["report", p(&f)], Feed::Null, true, Some(d.path()));
    assert!(!w.hung, "report did not finish");
    let err = String::from_utf8_lossy(&w.out.stderr);
    assert_eq!(exit_code(&w.out), 2, "{err}");
    assert!(
        err.contains("lz4: ") && err.contains("decompression bomb"),
        "{err}"
    );
    assert!(w.peak_kib < 64 << 10, "peak RssAnon {} KiB", w.peak_kib);
}

// ---------------------------------------------------------------------------
// Quadratic CPU
// ---------------------------------------------------------------------------

/// 150,000 hash templates, each used by the key after it: `verify` and
/// `dump` stay linear (the issue: 100,000 took `verify` 36 s, so a return
/// of that would take over a minute here; one_scan.rs covers the report
/// commands with 20,000).
#[test]
fn a_150k_template_file_verifies_and_dumps_linearly() {
    let d = tempfile::tempdir().unwrap();
    const N: u64 = 150_000;
    let mut r = Rdb::redis(15)
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for n in 0..N {
        r = r.hash_template(n, &[b"f"]).key(
            T_HASH_TMPL_ARRAY_REF,
            format!("k:{n}").as_bytes(),
            v_hash_tmpl_array_ref(n, &[string(format!("{n}").as_bytes())]),
        );
    }
    let f = write(d.path(), "templates.rdb", &r.finish(true));
    let w = watched(
        &["verify", "--format", "json", p(&f)],
        Feed::Null,
        false,
        None,
    );
    assert!(!w.hung, "verify did not finish");
    let v = json(&w.out);
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["keys"], N, "{v}");
    let w = watched(&["dump", p(&f)], Feed::Null, false, None);
    assert!(!w.hung, "dump did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    let text = stdout(&w.out);
    assert_eq!(text.lines().count() as u64, N);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["key"], format!("k:{}", N - 1));
    assert_eq!(
        last["value"],
        serde_json::json!({"f": format!("{}", N - 1)})
    );
}

/// `check` against a baseline of 300,000 prefixes, with 10,000 in the
/// dump: each side is looked up in a map, not searched once per row of the
/// other (the issue: over 120 s).
#[test]
fn check_against_a_baseline_of_300k_prefixes() {
    let d = tempfile::tempdir().unwrap();
    const FAMILIES: usize = 10_000;
    const GONE: usize = 300_000;
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for n in 0..FAMILIES {
        r = r.key(
            T_STRING,
            format!("{}:1", letters(n)).as_bytes(),
            v_string(b"v"),
        );
    }
    let f = write(d.path(), "a.rdb", &r.finish(true));
    let o = go(["report", "--quiet", "--format", "json", p(&f)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let mut base = stdout(&o);
    // 300,000 more depth-1 rows: prefixes that are gone from the dump.
    let mut rows = String::new();
    for n in 0..GONE {
        rows.push_str(&format!(
            "{{\"prefix\":\"gone{n}:*\",\"depth\":1,\"keys\":1,\"bytes\":1,\"share\":0.0,\
             \"no_ttl_keys\":1,\"no_ttl_bytes\":1,\"expired_keys\":0,\"children_dropped\":false}},"
        ));
    }
    // All prefixes are in `prefix_totals` (the top rows in `prefixes`).
    let field = ["\"prefix_totals\":[", "\"prefixes\":["]
        .into_iter()
        .find(|f| base.contains(f))
        .unwrap();
    let at = base.find(field).unwrap() + field.len();
    base.insert_str(at, &rows);
    write(d.path(), "baseline.json", base.as_bytes());
    let rules = write(
        d.path(),
        "rules.toml",
        b"baseline = \"baseline.json\"\nmax_growth = \"10%\"\n",
    );
    let w = watched(
        &["check", p(&f), "--rules", p(&rules)],
        Feed::Null,
        false,
        None,
    );
    assert!(!w.hung, "check did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    let text = stdout(&w.out);
    assert!(
        text.contains(&format!(
            "PASS  max_growth = 10% (per prefix): 0 of the baseline's {} prefixes grew more \
             than 10%",
            GONE + FAMILIES
        )),
        "{text}"
    );
}

// ---------------------------------------------------------------------------
// Terminal injection
// ---------------------------------------------------------------------------

/// 150 keys under a hostile prefix expiring in the same second: the
/// expiry cluster names that prefix, escaped, in every text view.
#[test]
fn expiry_cluster_prefixes_are_escaped() {
    let d = tempfile::tempdir().unwrap();
    let evil = "\u{1b}[2J\u{9b}31m\u{85}";
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for n in 0..150 {
        r = r.expire_ms(CTIME_MS + 3_600_000).key(
            T_STRING,
            format!("{evil}:{n}").as_bytes(),
            v_string(b"v"),
        );
    }
    for n in 0..50 {
        r = r.expire_ms(CTIME_MS + 7_200_000 + n * 1000).key(
            T_STRING,
            format!("calm:{n}").as_bytes(),
            v_string(b"v"),
        );
    }
    let f = write(d.path(), "cluster.rdb", &r.finish(true));
    let v = json(&go(["expiry", "--format", "json", p(&f)]));
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{v}");
    assert_eq!(clusters[0]["keys"], 150, "{v}");
    assert_eq!(
        clusters[0]["top_prefixes"][0]["prefix"],
        format!("{evil}:*"),
        "{v}"
    );
    let escaped = "\\x1b[2J\\xc2\\x9b31m\\xc2\\x85:*";
    for c in ["expiry", "report"] {
        let o = go([c, p(&f)]);
        assert_eq!(exit_code(&o), 0, "{c}: {}", describe(&o));
        assert_eq!(raw_controls(&o.stdout), Vec::<char>::new(), "{c}");
        assert_eq!(raw_controls(&o.stderr), Vec::<char>::new(), "{c}");
        let text = stdout(&o);
        let cluster = text
            .lines()
            .skip_while(|l| !l.starts_with("Expiry clusters"))
            .nth(1)
            .unwrap_or_else(|| panic!("{c}: no cluster: {text}"));
        assert!(
            cluster.contains("150 keys") && cluster.ends_with(&format!(": 150 {escaped}")),
            "{c}: {text}"
        );
    }
}

// ---------------------------------------------------------------------------
// Silent acceptance
// ---------------------------------------------------------------------------

/// A string key "fine", then one damaged value; `redis-ver` 7.2 (so the
/// target keeps listpacks and intsets as stored) and, unless `crc`, a
/// zeroed CRC. Gives the file and the damaged record's offset.
fn damaged(version: u32, type_byte: u8, key: &[u8], value: Vec<u8>, crc: bool) -> (Vec<u8>, u64) {
    let r = Rdb::redis(version)
        .aux("redis-ver", "7.2.4")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0)
        .key(T_STRING, b"fine", v_string(b"ok"));
    let at = r.offset() as u64;
    (r.key(type_byte, key, value).finish(crc), at)
}

/// Every command on `f` exits 2 with the error `verify` gives: `at offset
/// N: <what>` naming the key.
fn every_command_rejects(f: &Path, at: u64, what: &str, key: Option<&str>) {
    let rules = f.with_extension("toml");
    std::fs::write(&rules, "max_key_bytes = \"1MB\"\n").unwrap();
    let want = format!("at offset {at}: ");
    let mut cases: Vec<Vec<&str>> = ["verify", "keys", "dump"]
        .iter()
        .chain(REPORT_COMMANDS.iter())
        .map(|c| vec![*c, p(f)])
        .collect();
    cases.push(vec!["report", "--target", "redis-7.2", p(f)]);
    cases.push(vec!["check", p(f), "--rules", p(&rules)]);
    cases.push(vec!["diff", p(f), p(f)]);
    for args in cases {
        let o = go(&args);
        let text = all(&o);
        assert_eq!(exit_code(&o), 2, "{args:?}: {text}");
        assert!(
            text.contains(&want) && text.contains(what),
            "{args:?}: want {want:?} and {what:?}: {text}"
        );
        if let Some(k) = key {
            assert!(text.contains(&format!("key \"{k}\"")), "{args:?}: {text}");
        }
    }
}

/// With the CRC zeroed, absent (RDB 4 has none) or matching the damaged
/// bytes, every command rejects what `verify` rejects: an unsorted intset,
/// a listpack entry that runs past its blob, a quicklist node whose
/// listpack has a bad backlen.
#[test]
fn without_a_checksum_damaged_blobs_are_rejected_by_every_command() {
    let d = tempfile::tempdir().unwrap();
    // Intset 3, 1, 2: the second element (after the 8-byte header and the
    // first) is out of order.
    let intset_v = v_blob(&intset(2, &[3, 1, 2]));
    // Listpack "aaaa", "bbbb": the second entry (at 12) claims 10 bytes,
    // 6 are left (its own 5 and the end marker).
    let mut lp = listpack(&[s("aaaa"), s("bbbb")]);
    lp[12] = 0x8a;
    // Quicklist 2, one packed node: the first entry's (at 6) backlen says
    // 7, not 5.
    let mut ql = listpack(&[s("aaaa"), s("bbbb")]);
    ql[11] = 0x07;
    let ql_v = cat(&[len(1), len(2), string(&ql)]);
    // (name, type, key, value, error offset after the type byte and the
    // key, the error)
    type Case<'a> = (&'a str, u8, &'a [u8], Vec<u8>, u64, &'a str);
    let cases: [Case; 3] = [
        (
            "intset",
            T_SET_INTSET,
            b"set:unsorted",
            intset_v,
            1 + 10,
            "bad intset: elements not in ascending order",
        ),
        (
            "listpack",
            T_SET_LISTPACK,
            b"set:past",
            v_blob(&lp),
            1 + 13,
            "need 10 bytes, 6 left",
        ),
        (
            "quicklist",
            T_LIST_QUICKLIST_2,
            b"list:backlen",
            ql_v,
            3 + 6,
            "bad listpack: entry backlen 7 does not match its size 5",
        ),
    ];
    for (name, t, key, value, into, what) in cases {
        let (bytes, rec) = damaged(11, t, key, value.clone(), false);
        let at = rec + 1 + string(key).len() as u64 + into;
        let f = write(d.path(), &format!("{name}.rdb"), &bytes);
        every_command_rejects(&f, at, what, Some(std::str::from_utf8(key).unwrap()));
        // A crafted file whose stored CRC matches its damaged bytes: the
        // CRC vouches for nothing, every command still walks every value.
        let (bytes, _) = damaged(11, t, key, value, true);
        let f = write(d.path(), &format!("{name}-crc.rdb"), &bytes);
        every_command_rejects(&f, at, what, Some(std::str::from_utf8(key).unwrap()));
    }
    // RDB 4: no AUX, no CRC at all; a 7.0 target keeps the intset.
    let f = Rdb::redis(4)
        .select_db(0)
        .key(T_STRING, b"fine", v_string(b"ok"))
        .key(
            T_SET_INTSET,
            b"set:unsorted",
            v_blob(&intset(2, &[3, 1, 2])),
        )
        .finish(false);
    let f = write(d.path(), "v4.rdb", &f);
    let at = 20 + 1 + 1 + 12 + 1 + 10;
    for c in REPORT_COMMANDS {
        let o = go([c, "--target", "redis-7.0", p(&f)]);
        assert_eq!(exit_code(&o), 2, "{c}: {}", describe(&o));
        assert!(
            all(&o).contains(&format!(
                "at offset {at}: bad intset: elements not in ascending order"
            )),
            "{c}: {}",
            describe(&o)
        );
    }
}

/// An LZF string longer than 20 bytes whose back-reference points before
/// the output: the report commands inflate (or check) it, as `verify` and
/// `dump` do, whether or not a CRC is stored.
#[test]
fn without_a_checksum_a_broken_long_lzf_string_is_rejected() {
    let d = tempfile::tempdir().unwrap();
    // clen 6, ulen 30: literal "ab", then a back-reference of 9 at distance 100.
    let value = [0xC3, 0x06, 0x1E, 0x01, b'a', b'b', 0xE0, 0x00, 0x63];
    // Without a CRC, and with one that matches the damaged bytes.
    for crc in [false, true] {
        let (bytes, rec) = damaged(9, T_STRING, b"str:lzf", value.to_vec(), crc);
        let f = write(d.path(), &format!("lzf-{crc}.rdb"), &bytes);
        // The back-reference: after the type byte, the key (8), 0xC3, clen,
        // ulen and the 3-byte literal run.
        every_command_rejects(
            &f,
            rec + 1 + 8 + 3 + 3,
            "bad LZF string: lzf back-reference before start",
            Some("str:lzf"),
        );
    }
}

/// A broken LZF AUX value is an error for every command, not only verify.
#[test]
fn a_broken_lzf_aux_value_is_rejected_by_every_command() {
    let d = tempfile::tempdir().unwrap();
    let value = [0xC3, 0x06, 0x1E, 0x01, b'a', b'b', 0xE0, 0x00, 0x63];
    for crc in [false, true] {
        let r = Rdb::redis(9).aux("redis-ver", "7.0.15");
        // The back-reference: after 0xFA, "junk" (5), 0xC3, clen, ulen and
        // the 3-byte literal run.
        let at = r.offset() as u64 + 1 + 5 + 3 + 3;
        let f = r
            .aux_enc(&string(b"junk"), &value)
            .select_db(0)
            .key(T_STRING, b"fine", v_string(b"ok"))
            .finish(crc);
        let f = write(d.path(), &format!("aux-{crc}.rdb"), &f);
        every_command_rejects(
            &f,
            at,
            "bad LZF string: lzf back-reference before start",
            None,
        );
    }
}

/// 2 GiB of zeros after the dump (a sparse file: nothing is written):
/// named with their size in a warning, never read.
#[test]
fn gigabytes_after_the_dump_are_named_not_read() {
    let d = tempfile::tempdir().unwrap();
    let rdb = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let f = write(d.path(), "padded.rdb", &rdb);
    const PAD: u64 = 2 << 30;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(rdb.len() as u64 + PAD)
        .unwrap();
    let warning = "2147483648 bytes after the RDB's checksum are neither an AOF tail nor a replication end mark";
    let w = watched(
        &["verify", "--format", "json", p(&f)],
        Feed::Null,
        false,
        None,
    );
    assert!(!w.hung, "verify did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    let v = json(&w.out);
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["trailing_bytes"], PAD, "{v}");
    assert_eq!(v["trailing_kind"], "unknown", "{v}");
    assert!(v["warnings"][0].as_str().unwrap().contains(warning), "{v}");
    for c in REPORT_COMMANDS {
        let w = watched(&[c, p(&f)], Feed::Null, false, None);
        assert!(!w.hung, "{c} did not finish");
        assert_eq!(exit_code(&w.out), 0, "{c}: {}", all(&w.out));
        assert!(all(&w.out).contains(warning), "{c}: {}", all(&w.out));
        assert!(
            w.peak_kib < 64 << 10,
            "{c}: peak RssAnon {} KiB",
            w.peak_kib
        );
    }
}

/// AUX ctime = i64::MAX seconds overflows milliseconds: ignored with a
/// warning, not wrapped to 1969 (which made every TTL ~54 years long).
#[test]
fn an_aux_ctime_past_the_range_of_milliseconds_is_ignored() {
    let d = tempfile::tempdir().unwrap();
    for ctime in [i64::MAX, i64::MIN, i64::MAX / 1000 + 1] {
        let f = Rdb::redis(9)
            .aux("redis-ver", "7.0.15")
            .aux("ctime", &ctime.to_string())
            .select_db(0)
            .expire_ms(CTIME_MS)
            .key(T_STRING, b"ttl", v_string(b"v"))
            .key(T_STRING, b"none", v_string(b"v"))
            .finish(true);
        let f = write(d.path(), "ctime.rdb", &f);
        let warning = format!("AUX ctime {ctime} is out of range; ignored");
        for c in ["verify", "report", "expiry"] {
            let o = go([c, p(&f)]);
            assert_eq!(exit_code(&o), 0, "{ctime} {c}: {}", describe(&o));
            let text = stdout(&o);
            assert!(text.contains(&warning), "{ctime} {c}: {text}");
            assert!(
                !text.contains("dumped") && !text.contains("1969"),
                "{ctime} {c}: {text}"
            );
        }
        let v = json(&go(["report", "--format", "json", p(&f)]));
        assert_eq!(v["files"][0]["ctime"], Value::Null, "{ctime}");
        assert_eq!(v["expiry"]["expired_keys"], 0, "{ctime}");
        // No ctime: the TTL column is empty, the expiry time is kept.
        let o = go(["keys", "--format", "jsonl", p(&f)]);
        assert_eq!(exit_code(&o), 0, "{}", describe(&o));
        let rows = json_lines(&o);
        assert_eq!(rows[0]["key"], "ttl");
        assert_eq!(rows[0]["ttl_s"], Value::Null, "{}", rows[0]);
        assert_eq!(rows[0]["expiry"], "2023-11-14T22:13:20.000Z", "{}", rows[0]);
    }
}

/// Duplicate hash fields in the encodings hostile.rs does not try (a
/// plain hash, a listpack, a template naming one field twice) and
/// duplicate zset members: each written once, the rest named on stderr.
#[test]
fn dump_writes_each_field_once_in_every_encoding() {
    let d = tempfile::tempdir().unwrap();
    let pairs = [s("f"), s("1"), s("g"), s("2"), s("f"), s("3")];
    let f = Rdb::redis(15)
        .aux("redis-ver", "8.2.0")
        .select_db(0)
        .key(
            T_HASH,
            b"h:plain",
            v_hash(&[(b"f", b"1"), (b"g", b"2"), (b"f", b"3")]),
        )
        .key(T_HASH_LISTPACK, b"h:lp", v_blob(&listpack(&pairs)))
        .key(T_ZSET_LISTPACK, b"z:lp", v_blob(&listpack(&pairs)))
        .key(
            T_ZSET_2,
            b"z:dup",
            v_zset2(&[(b"f", 1.0), (b"g", 2.0), (b"f", 3.0)]),
        )
        .hash_template(7, &[b"f", b"f"])
        .key(
            T_HASH_TMPL_ARRAY_REF,
            b"t:dup",
            v_hash_tmpl_array_ref(7, &[string(b"1"), string(b"2")]),
        )
        .finish(true);
    let f = write(d.path(), "dups.rdb", &f);
    let o = go(["dump", p(&f)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    for (line, value) in lines.iter().zip([
        serde_json::json!({"f": "1", "g": "2"}),
        serde_json::json!({"f": "1", "g": "2"}),
        serde_json::json!([["f", 1.0], ["g", 2.0]]),
        serde_json::json!([["f", 1.0], ["g", 2.0]]),
        serde_json::json!({"f": "1"}),
    ]) {
        // Counted in the text: a JSON parser keeps one of two equal keys.
        assert_eq!(line.matches("\"f\"").count(), 1, "{line}");
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["value"], value, "{line}");
    }
    let err = String::from_utf8_lossy(&o.stderr);
    for (key, what) in [
        ("h:plain", "fields"),
        ("h:lp", "fields"),
        ("z:lp", "members"),
        ("z:dup", "members"),
        ("t:dup", "fields"),
    ] {
        assert!(
            err.contains(&format!("key \"{key}\": 1 duplicate {what} left out")),
            "{key}: {err}"
        );
    }
}

/// Percentages that are not numbers, infinite, or beyond any growth are
/// rule errors naming their line, not rules that pass (or fail) on NaN.
#[test]
fn rules_refuse_nan_inf_and_huge_percentages() {
    let d = tempfile::tempdir().unwrap();
    let f = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .select_db(0)
        .key(T_STRING, b"user:1", v_string(b"v"))
        .finish(true);
    let f = write(d.path(), "a.rdb", &f);
    let o = go(["report", "--quiet", "--format", "json", p(&f)]);
    write(d.path(), "baseline.json", &o.stdout);
    for pct in [
        "nan%",
        "NaN%",
        "inf%",
        "-inf%",
        "infinity%",
        "1e308%",
        "1e7%",
        "-1%",
    ] {
        for rule in ["max_no_ttl_share", "max_growth"] {
            let text = format!("# gate\n{rule} = \"{pct}\"\nbaseline = \"baseline.json\"\n");
            let rules = write(d.path(), "rules.toml", text.as_bytes());
            let o = go(["check", p(&f), "--rules", p(&rules)]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(exit_code(&o), 2, "{rule} = {pct}: {}", describe(&o));
            assert!(
                err.contains("invalid rules") && err.contains("line 2") && err.contains(pct),
                "{rule} = {pct}: {err}"
            );
            assert!(o.stdout.is_empty(), "{rule} = {pct}: {}", describe(&o));
        }
    }
}

// ---------------------------------------------------------------------------
// Pipes and deep keys
// ---------------------------------------------------------------------------

/// `diff old.rdb <(cat new.rdb)`: a side given as a pipe's path is sniffed
/// (dump or report JSON) without losing its first byte.
#[test]
fn diff_reads_a_side_from_a_named_pipe() {
    let d = tempfile::tempdir().unwrap();
    let mk = |n: usize| {
        let mut r = Rdb::redis(10)
            .aux("redis-ver", "7.0.15")
            .aux("ctime", &CTIME_S.to_string())
            .select_db(0);
        for k in 0..n {
            r = r.key(T_STRING, format!("user:{k}").as_bytes(), v_string(b"v"));
        }
        r.finish(true)
    };
    let old = write(d.path(), "old.rdb", &mk(3));
    let new_bytes = mk(5);
    let new = write(d.path(), "new.rdb", &new_bytes);
    let want = json(&go(["diff", "--format", "json", p(&old), p(&new)]));
    assert_eq!(want["total"]["keys_change"], 2, "{want}");
    let report = go(["report", "--quiet", "--format", "json", p(&old)]);
    assert_eq!(exit_code(&report), 0, "{}", describe(&report));
    // /dev/stdin is what `<(...)` gives: a path to a pipe, not `-`.
    for (args, input) in [
        (
            vec!["diff", "--format", "json", p(&old), "/dev/stdin"],
            new_bytes,
        ),
        (
            vec!["diff", "--format", "json", "/dev/stdin", p(&new)],
            report.stdout.clone(),
        ),
    ] {
        let mut child = cmd()
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let o = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        assert_eq!(exit_code(&o), 0, "{args:?}: {}", describe(&o));
        let v = json(&o);
        for k in ["keys_before", "keys_after", "keys_change", "bytes_change"] {
            assert_eq!(v["total"][k], want["total"][k], "{args:?} {k}: {v}");
        }
    }
}

/// A key of 300,000 segments at the deepest depth allowed (8), and a depth
/// past it refused up front (60000 overflowed the stack).
#[test]
fn a_key_of_300k_segments_at_the_deepest_depth() {
    let d = tempfile::tempdir().unwrap();
    let key = "a:".repeat(300_000);
    let f = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .select_db(0)
        .key(T_STRING, key.as_bytes(), v_string(b"v"))
        .finish(true);
    let f = write(d.path(), "deep.rdb", &f);
    let o = go(["prefixes", "--depth", "60000", p(&f)]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("a depth from 1 to 8"),
        "{}",
        describe(&o)
    );
    let o = go([
        "prefixes",
        "--depth",
        "8",
        "--top",
        "100",
        "--format",
        "json",
        p(&f),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let v = json(&o);
    let rows = v["prefixes"].as_array().unwrap();
    let deepest = rows.iter().map(|r| r["depth"].as_u64().unwrap()).max();
    assert_eq!(deepest, Some(8), "{v}");
    for r in rows {
        assert_eq!(r["keys"], 1, "{r}");
    }
}

/// A self-contained template hash (type 29) whose LZF field-name listpack
/// holds 8 M one-byte names (24 MB inflated, ~300 KB in the file): the names
/// are read one at a time beside the values, never collected (was a `Vec`
/// per name: several hundred MB, and > 8 GiB for a 12 MB file).
#[test]
fn template_field_names_are_not_collected() {
    const N: usize = 8 << 20;
    let mut lp = Vec::with_capacity(N * 3 + 7);
    lp.extend_from_slice(&((N * 3 + 7) as u32).to_le_bytes());
    lp.extend_from_slice(&u16::MAX.to_le_bytes());
    for _ in 0..N {
        lp.extend_from_slice(b"\x81a\x02");
    }
    lp.push(0xFF);
    let mut value = len(0); // names as one listpack
    value.extend_from_slice(&string_lzf(&lp));
    value.extend_from_slice(&string(&listpack(&[i(0), s("v")])));
    let f = Rdb::redis(15)
        .select_db(0)
        .key(T_HASH_TMPL_LP, b"h", value)
        .finish(true);
    assert!(f.len() < 2 << 20, "{}", f.len());
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "tmpl.rdb", &f);
    for c in ["verify", "report", "dump"] {
        let w = watched(&[c, p(&f)], Feed::Null, true, None);
        assert!(!w.hung, "{c} did not finish");
        let text = all(&w.out);
        assert_eq!(exit_code(&w.out), 2, "{c}: {text}");
        assert!(
            text.contains("fewer values than template fields"),
            "{c}: {text}"
        );
        assert!(
            w.peak_kib < 100 << 10,
            "{c}: peak RssAnon {} KiB",
            w.peak_kib
        );
    }
}

/// 300,000 keys whose first two segments are all distinct (letters, so
/// nothing is generalized): the depth-2 budget (50,000) drops that depth instead of
/// keeping a node per key (was ~700 bytes a node: 2.3 GiB for 1.64 M keys).
#[test]
fn distinct_two_level_prefixes_do_not_grow_the_tree() {
    let letters = |mut n: usize| {
        let mut s = String::new();
        for _ in 0..4 {
            s.push((b'g' + (n % 20) as u8) as char);
            n /= 20;
        }
        s
    };
    let mut r = Rdb::redis(10).select_db(0);
    for n in 0..300_000usize {
        let key = format!("{}:{}:x", letters(n % 400), letters(n / 400 + 1000));
        r = r.key(T_STRING, key.as_bytes(), v_string(b"v"));
    }
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "prefixes.rdb", &r.finish(true));
    let w = watched(
        &["prefixes", "--format", "json", p(&f)],
        Feed::Null,
        true,
        None,
    );
    w.check("prefixes", 0, 150 << 10);
    let v = json(&w.out);
    let rows = v["prefixes"].as_array().unwrap();
    assert!(
        rows.iter().all(|r| r["depth"].as_u64() == Some(1)),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r["children_dropped"] == true),
        "{rows:?}"
    );
}

/// 100,000 module values of as many module types (names are 9 characters
/// of a 64-letter alphabet): the per-type big-key lists gather every module
/// type in one `module` list instead of one pair of lists per type.
#[test]
fn many_module_types_share_one_big_key_list() {
    const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut r = Rdb::redis(10).select_db(0);
    for n in 0..100_000usize {
        let mut name = String::from("mod");
        let mut x = n;
        for _ in 0..6 {
            name.push(CHARSET[x % 64] as char);
            x /= 64;
        }
        let (v, _) = v_module(&name, 1, &[ModOp::Uint(7)]);
        r = r.key(T_MODULE_2, format!("m:{n}").as_bytes(), v);
    }
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "modules.rdb", &r.finish(true));
    let w = watched(
        &["bigkeys", "--format", "json", p(&f)],
        Feed::Null,
        true,
        None,
    );
    w.check("bigkeys", 0, 250 << 10);
    let v = json(&w.out);
    let lists: Vec<&String> = v["by_type"].as_object().unwrap().keys().collect();
    assert!(
        lists.len() == 1 && lists[0] == "module",
        "{} per-type lists, the first {:?}",
        lists.len(),
        lists.first()
    );
    assert_eq!(v["by_type"]["module"].as_array().unwrap().len(), 20);
}

/// 200,000 databases of one key each: the diff's per-database rows are
/// plain structs (one `serde_json::Value` map per row took 1.79 GB and
/// 7 s for 500,000 databases).
#[test]
fn diff_of_a_dump_with_200k_databases() {
    let mut r = Rdb::redis(10);
    for db in 0..200_000u64 {
        r = r.select_db(db).key(T_STRING, b"k", v_string(b"v"));
    }
    let d = tempfile::tempdir().unwrap();
    let a = write(d.path(), "a.rdb", &r.finish(true));
    let b = write(d.path(), "b.rdb", &std::fs::read(&a).unwrap());
    let w = watched(
        &["diff", "--format", "json", p(&a), p(&b)],
        Feed::Null,
        true,
        None,
    );
    w.check("diff", 0, 200 << 10);
    let v = json(&w.out);
    let rows = v["by_db"].as_array().unwrap();
    assert_eq!(rows.len(), 200_000);
    assert_eq!(rows[0]["keys_before"], 1);
    assert_eq!(rows[0]["bytes_change"], 0);
}

/// 300,000 empty AUX pairs: each costs its vectors, so the 8 MiB budget
/// runs out and the rest are neither copied nor kept (they cost nothing
/// before: 50 M of them in a 3 MB gzip took 4.8 GB).
#[test]
fn empty_aux_pairs_count_against_the_aux_budget() {
    let mut r = Rdb::redis(10);
    for _ in 0..300_000 {
        r = r.aux_enc(&string(b""), &string(b""));
    }
    let r = r.aux("redis-ver", "7.0.15").select_db(0);
    let r = r.key(T_STRING, b"k", v_string(b"v"));
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "aux.rdb", &r.finish(true));
    let w = watched(
        &["verify", "--format", "json", p(&f)],
        Feed::Null,
        true,
        None,
    );
    w.check("verify", 0, 60 << 10);
    let v = json(&w.out);
    let warnings = v.to_string();
    assert!(
        warnings.contains("AUX fields past the first 8388608 bytes are not kept"),
        "{warnings}"
    );
    // A field the scan reads is still read after the budget is spent.
    assert_eq!(v["producer_version"], "7.0.15", "{v}");
}

/// Hash templates without field names count against the template budget
/// (600,000 of them: refused with the record's offset, not 700 MB).
#[test]
fn empty_hash_templates_count_against_the_template_budget() {
    let mut r = Rdb::redis(15);
    for id in 0..600_000u64 {
        r = r.hash_template_enc(id, &[]);
    }
    let r = r.select_db(0).key(T_STRING, b"k", v_string(b"v"));
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "templates.rdb", &r.finish(true));
    for c in ["verify", "report", "keys"] {
        let w = watched(&[c, p(&f)], Feed::Null, true, None);
        w.check(c, 2, 200 << 10);
        assert!(
            all(&w.out)
                .contains("bad hash template: it brings the templates to over 67108864 bytes"),
            "{c}: {}",
            all(&w.out)
        );
    }
}

/// A template registered before each of 100,000 keys: the scan keeps a
/// checkpoint a MiB, not one (with its template snapshot) a batch.
#[test]
fn a_template_before_every_key_keeps_few_checkpoints() {
    let mut r = Rdb::redis(15).select_db(0);
    for n in 0..100_000u64 {
        r = r.hash_template(n % 8, &[b"f"]).key(
            T_STRING,
            format!("k:{n}").as_bytes(),
            v_string(b"v"),
        );
    }
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "interleaved.rdb", &r.finish(true));
    let w = watched(
        &["report", "--format", "json", p(&f)],
        Feed::Null,
        true,
        None,
    );
    w.check("report", 0, 120 << 10);
    assert_eq!(json(&w.out)["summary"]["keys"], 100_000);
}

/// 2,000,000 SELECTDB records of empty databases, then one key: only
/// databases that hold keys are remembered.
#[test]
fn millions_of_empty_databases_are_not_remembered() {
    let mut r = Rdb::redis(10);
    for db in 0..2_000_000u64 {
        r = r.select_db(db + 1000);
    }
    let r = r.select_db(7).key(T_STRING, b"k", v_string(b"v"));
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "dbs.rdb", &r.finish(true));
    let w = watched(
        &["report", "--format", "json", p(&f)],
        Feed::Null,
        true,
        None,
    );
    w.check("report", 0, 40 << 10);
    let v = json(&w.out);
    assert_eq!(v["summary"]["by_db"].as_object().unwrap().len(), 1, "{v}");
    assert_eq!(v["summary"]["by_db"]["7"]["keys"], 1);
}

/// `--threads` is capped: 5000 threads is an error, not a hang.
#[test]
fn absurd_thread_counts_are_refused() {
    let o = run(["report", "--threads", "5000", "x.rdb"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("5000 is not in 0..=1024"),
        "{o:?}"
    );
}

/// Prefix labels grow with depth × segment length: segments past 64 bytes
/// are shortened (first bytes and a hash) and `--depth` stops at 8, so a
/// label stays near 520 bytes (a 23 MB file of 16 KB keys of 256-byte
/// segments took 3 GB at depth 64, and 1.3 GB at depth 8 with 256-byte
/// segments).
#[test]
fn prefix_labels_stay_short_at_the_deepest_depth() {
    let mut r = Rdb::redis(10).select_db(0);
    for n in 0..50u8 {
        let key: Vec<u8> = (0..12u8)
            .map(|s| vec![b'a' + (s + n) % 26; 300])
            .collect::<Vec<_>>()
            .join(&b':');
        r = r.key(T_STRING, &key, v_string(b"v"));
    }
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "long-segments.rdb", &r.finish(true));
    let o = go(["prefixes", "--depth", "9", p(&f)]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    let o = go(["report", "--depth", "8", "--format", "json", p(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let v = json(&o);
    let rows = v["prefix_totals"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["depth"] == 8), "{v}");
    for r in rows {
        let label = r["prefix"].as_str().unwrap();
        assert!(label.len() <= 8 * 65 + 2, "{} bytes: {label}", label.len());
        assert!(label.contains("...#"), "{label}");
    }
}

/// Bytes after the checksum are a warning with their size in every
/// command, on stderr where stdout is data (keys, dump, diff, check said
/// nothing).
#[test]
fn bytes_after_the_dump_are_named_by_every_command() {
    let d = tempfile::tempdir().unwrap();
    let mut bytes = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    bytes.extend(std::iter::repeat_n(0u8, 5000));
    let f = write(d.path(), "trailing.rdb", &bytes);
    let rules = write(d.path(), "rules.toml", b"max_key_bytes = \"1MB\"\n");
    let want =
        "5000 bytes after the RDB's checksum are neither an AOF tail nor a replication end mark";
    for args in [
        vec!["keys", p(&f)],
        vec!["dump", p(&f)],
        vec!["diff", p(&f), p(&f)],
        vec!["check", "--rules", p(&rules), p(&f)],
        vec!["verify", p(&f)],
        vec!["report", p(&f)],
    ] {
        let o = go(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", describe(&o));
        assert!(all(&o).contains(want), "{args:?}: {}", describe(&o));
    }
}

/// Two copies of one dump in one report are named (their keys would be
/// counted twice); a different dump is not.
#[test]
fn copies_of_one_dump_are_named() {
    let d = tempfile::tempdir().unwrap();
    let one = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let other = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"j", v_string(b"v"))
        .finish(true);
    let a = write(d.path(), "a.rdb", &one);
    let b = write(d.path(), "b.rdb", &one);
    let c = write(d.path(), "c.rdb", &other);
    let o = go(["report", p(&a), p(&b), p(&c)]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let text = all(&o);
    let want = "the same dump as";
    assert_eq!(text.matches(want).count(), 1, "{text}");
    assert!(
        text.contains(&format!(
            "the same dump as {} (same size and checksum)",
            p(&a)
        )),
        "{text}"
    );
    // `keys` writes the copy's rows too, and says so.
    let o = go(["keys", p(&a), p(&b), p(&c)]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches(want).count(), 1, "{err}");
    assert!(
        err.contains(&format!("{}: warning: the same dump as {}", p(&b), p(&a))),
        "{err}"
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        4,
        "header + 3 rows"
    );
}

/// A zstd frame of a few KB holding 9 M empty string records (27 MB,
/// under the 100x expansion floor): the scan's cost is per record, and the
/// issue's wrapper bombs of tiny records made 25 MB into minutes of work.
/// The record budget (1 a compressed byte past 8 Mi records) stops it.
#[test]
fn a_zstd_frame_of_millions_of_tiny_records_is_stopped() {
    let d = tempfile::tempdir().unwrap();
    const N: usize = 9_000_000;
    let mut rdb = Rdb::redis(10).select_db(0).bytes();
    rdb.reserve(N * 3 + 16);
    for _ in 0..N {
        // A string, an empty name, an empty value.
        rdb.extend_from_slice(&[T_STRING, 0, 0]);
    }
    rdb.push(0xFF);
    rdb.extend_from_slice(&[0; 8]);
    let z = zstd::bulk::compress(&rdb, 1).unwrap();
    assert!(z.len() < 100_000, "{}", z.len());
    let f = write(d.path(), "tiny.rdb.zst", &z);
    for cmd in ["verify", "report"] {
        let w = watched(&[cmd, p(&f)], Feed::Null, true, Some(d.path()));
        assert!(!w.hung, "{cmd} did not finish");
        assert_eq!(exit_code(&w.out), 2, "{cmd}: {}", all(&w.out));
        // Looked at every 65,536 records: the first look past 8 Mi is at
        // record 8,454,144 (the SELECTDB and 8,454,143 keys), which ends
        // at 11 + 3 x 8,454,143.
        let want = format!(
            "error at offset 25362440: the input stopped: 8454144 records out of {} \
             compressed bytes",
            z.len()
        );
        assert!(all(&w.out).contains(&want), "{cmd}: {}", all(&w.out));
    }
}

// ---------------------------------------------------------------------------
// Found by a hostile-input trial (2026-12-05)
// ---------------------------------------------------------------------------

/// LZF inside zstd multiplies the two ratios: a few KB held a 3.8 GB
/// string (verify aborted on the allocation) or 5 GB of LZF listpacks
/// (report 20 s). What the LZF values inflate to now counts against the
/// wrapper's limit.
#[test]
fn lzf_values_inside_a_compressed_file_count_against_the_bomb_limit() {
    let d = tempfile::tempdir().unwrap();
    const ULEN: u64 = 200 << 20;
    let rdb = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"big", string_lzf_zeros(ULEN))
        .finish(true);
    let z = zstd::bulk::compress(&rdb, 19).unwrap();
    assert!(z.len() < 20_000, "{}", z.len());
    let f = write(d.path(), "lzf.rdb.zst", &z);
    for cmd in ["verify", "dump", "report", "keys"] {
        let w = watched(&[cmd, p(&f)], Feed::Null, true, Some(d.path()));
        assert!(!w.hung, "{cmd} did not finish");
        assert_eq!(exit_code(&w.out), 2, "{cmd}: {}", all(&w.out));
        assert!(
            all(&w.out).contains(&format!("counting the {ULEN} its LZF values inflate to")),
            "{cmd}: {}",
            all(&w.out)
        );
        assert!(w.peak_kib < 64 << 10, "{cmd}: peak {} KiB", w.peak_kib);
    }
    // The same dump decompressed is a value like any other.
    let plain = write(d.path(), "lzf.rdb", &rdb);
    assert_eq!(exit_code(&run(["verify", p(&plain)])), 0);
}

/// The record budget of a compressed file was its size, holes included:
/// `truncate -s 1G` gave a 1.6 MB frame of tiny records a 1 G budget.
#[test]
fn a_sparse_compressed_file_has_the_budget_of_its_blocks() {
    let d = tempfile::tempdir().unwrap();
    const N: usize = 9_000_000;
    let mut rdb = Rdb::redis(10).select_db(0).bytes();
    for _ in 0..N {
        rdb.extend_from_slice(&[T_STRING, 0, 0]);
    }
    rdb.push(0xFF);
    rdb.extend_from_slice(&[0; 8]);
    let z = zstd::bulk::compress(&rdb, 1).unwrap();
    let f = write(d.path(), "sparse.rdb.zst", &z);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let w = watched(&["report", p(&f)], Feed::Null, true, Some(d.path()));
    assert!(!w.hung, "report did not finish");
    assert_eq!(exit_code(&w.out), 2, "{}", all(&w.out));
    assert!(
        all(&w.out).contains("error at offset 25362440: the input stopped: 8454144 records"),
        "{}",
        all(&w.out)
    );
}

/// `lz4 -dc` reads every frame of a file; only the first was read, so a
/// dump written as two frames was "truncated".
#[test]
fn a_dump_in_two_lz4_frames_is_read_whole() {
    let d = tempfile::tempdir().unwrap();
    let mut r = Rdb::redis(10).select_db(0);
    for i in 0..2000 {
        r = r.key(T_STRING, format!("k{i}").as_bytes(), string(&[b'v'; 100]));
    }
    let rdb = r.finish(true);
    let mut two = Vec::new();
    for half in [&rdb[..rdb.len() / 2], &rdb[rdb.len() / 2..]] {
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(half).unwrap();
        two.extend_from_slice(&e.finish().unwrap());
    }
    let f = write(d.path(), "two.rdb.lz4", &two);
    let o = run(["verify", p(&f)]);
    assert_eq!(exit_code(&o), 0, "{}", all(&o));
    assert!(all(&o).contains("2000 keys"), "{}", all(&o));
}

/// What follows a compressed file's dump was looked at for up to a second:
/// the same file said "1000 bytes" or "at least 1000 bytes" from run to
/// run. A file is looked at up to 64 KiB whatever the timing.
#[test]
fn what_follows_a_compressed_dump_is_told_the_same_every_time() {
    let d = tempfile::tempdir().unwrap();
    let mut plain = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"k", string(b"v"))
        .finish(true);
    plain.extend((0..1000u32).map(|i| (i * 7 + 1) as u8));
    let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
    e.write_all(&plain).unwrap();
    let f = write(d.path(), "tail.rdb.lz4", &e.finish().unwrap());
    let first = run(["verify", p(&f)]);
    assert!(all(&first).contains("1000 bytes"), "{}", all(&first));
    assert!(!all(&first).contains("at least"), "{}", all(&first));
    for _ in 0..5 {
        let again = run(["verify", p(&f)]);
        assert_eq!(all(&again), all(&first));
    }
}

/// A decompression stopped as a bomb was told as the decoding error it
/// caused ("bad set: count 200000000 needs at least ... bytes").
#[test]
fn a_stopped_bomb_is_told_as_the_cause() {
    let d = tempfile::tempdir().unwrap();
    const N: u64 = 100_000_000;
    let head = cat(&[
        Rdb::redis(10).select_db(0).bytes(),
        vec![T_SET],
        string(b"big"),
        len(N),
    ]);
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    e.write_all(&head).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(N >> 20) + 1 {
        e.write_all(&zeros).unwrap();
    }
    let f = write(d.path(), "set.rdb.zst", &e.finish().unwrap());
    let o = run(["verify", p(&f)]);
    assert_eq!(exit_code(&o), 2, "{}", all(&o));
    assert!(
        all(&o).contains("more than 100 times") && all(&o).contains("decoding had failed"),
        "{}",
        all(&o)
    );
}

/// Bytes after the last compressed frame that are not a frame were
/// ignored without a word (bytes after a plain dump are warned about).
#[test]
fn bytes_after_the_last_compressed_frame_are_warned_about() {
    let d = tempfile::tempdir().unwrap();
    let rdb = Rdb::redis(10)
        .select_db(0)
        .key(T_STRING, b"k", string(b"v"))
        .finish(true);
    let mut z = zstd::bulk::compress(&rdb, 3).unwrap();
    z.extend_from_slice(b"not a zstd frame at all");
    let f = write(d.path(), "garbage.rdb.zst", &z);
    for cmd in ["verify", "report", "keys"] {
        let o = run([cmd, p(&f)]);
        assert_eq!(exit_code(&o), 0, "{cmd}: {}", all(&o));
        assert!(
            all(&o).contains("after the dump, the compressed input does not decompress"),
            "{cmd}: {}",
            all(&o)
        );
    }
}

/// A key filter narrows what is reported, never what is checked (from a
/// hostile trial: a hash listpack of three elements, which `verify`
/// rejects, passed every command whose filter left its key out, exit 0).
#[test]
fn a_filtered_out_key_is_still_checked() {
    let d = tempfile::tempdir().unwrap();
    let f = Rdb::redis(11)
        .aux("redis-ver", "7.2.0")
        .aux("ctime", "1700000000")
        .select_db(0)
        .key(
            T_HASH_LISTPACK,
            b"k",
            string(&listpack(&[s("a"), s("b"), s("c")])),
        )
        .finish(true);
    let f = write(d.path(), "odd.rdb", &f);
    let says = "error at offset 50: bad hash listpack: odd number of elements (db 0, key \"k\")";
    let verify = run(["verify", p(&f)]);
    assert_eq!(exit_code(&verify), 2, "{}", all(&verify));
    assert!(
        all(&verify).contains("bad hash listpack: odd number of elements"),
        "{}",
        all(&verify)
    );
    let rules = write(d.path(), "rules.toml", b"max_key_bytes = \"1MB\"\n");
    for args in [
        vec!["keys", "--match", "zzz*"],
        vec!["keys", "--db", "5"],
        vec!["report", "--regex", "^zzz"],
        vec!["report", "--expires-after", "1700000000000"],
        vec!["bigkeys", "--match", "zzz*"],
        vec!["prefixes", "--match", "zzz*"],
        vec!["expiry", "--match", "zzz*"],
        vec!["doctor", "--match", "zzz*"],
        vec!["check", "--rules", p(&rules), "--match", "zzz*"],
        vec!["diff", "--match", "zzz*", p(&f)],
    ] {
        let mut args = args;
        args.push(p(&f));
        let out = run(&args);
        assert_eq!(exit_code(&out), 2, "{args:?}: {}", all(&out));
        assert!(all(&out).contains(says), "{args:?}: {}", all(&out));
    }
}

/// `dump` of a set of two million distinct 4-byte members (a 10 MB file):
/// its duplicate check keeps 8 bytes a member, not 16 (from a hostile
/// trial: 123 MB of RSS where `verify` took 17 MB; ten million members
/// took 475 MB). Every member is written once.
#[test]
fn dump_dedupes_a_big_set_in_8_bytes_a_member() {
    let d = tempfile::tempdir().unwrap();
    const N: u32 = 2_000_000;
    let mut value = len(u64::from(N));
    for n in 0..N {
        // Distinct non-integer text: "a" + 3 bytes of n.
        let b = n.to_le_bytes();
        value.extend_from_slice(&string(&[b'a', b[0], b[1], b[2]]));
    }
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_SET, b"big", value)
        .finish(true);
    let f = write(d.path(), "bigset.rdb", &f);
    let w = watched(&["dump", p(&f)], Feed::Null, true, None);
    assert!(!w.hung, "dump did not finish");
    assert_eq!(exit_code(&w.out), 0, "{}", all(&w.out));
    let v: Value = serde_json::from_slice(&w.out.stdout).unwrap();
    assert_eq!(v["value"].as_array().map(Vec::len), Some(N as usize));
    assert!(!String::from_utf8_lossy(&w.out.stderr).contains("duplicate"));
    // 4 Mi buckets of 9 bytes, and the half-size table while growing: 51
    // MiB (99 MiB before).
    assert!(w.peak_kib < 72 << 10, "peak RssAnon {} KiB", w.peak_kib);
}

/// A stream group of 2,000 consumers whose LZF names inflate to 64 KiB
/// each (125 MiB in all, from a 1 MB file): the names are checked as they
/// come and inflated one at a time by what reads them (from a hostile
/// trial: every name was held at once, 800 MB for `report` and 1.6 GB for
/// `dump` from 9.6 MB). `dump` writes every name whole.
#[test]
fn stream_consumer_names_are_not_held_at_once() {
    let d = tempfile::tempdir().unwrap();
    const N: usize = 2_000;
    const NAME: usize = 64 << 10;
    let mut v = len(0); // no nodes
    for n in [0u64, 0, 0, 0, 0, 0, 0, 0] {
        // length, last_id, first_id, max_deleted_id, entries_added
        v.extend_from_slice(&len(n));
    }
    v.extend_from_slice(&len(1)); // one group
    v.extend_from_slice(&string(b"g"));
    v.extend_from_slice(&cat(&[len(0), len(0), len(0), len(0)])); // last_id, entries_read, PEL
    v.extend_from_slice(&len(N as u64));
    for n in 0..N {
        let head = format!("c{n:05}:");
        v.extend_from_slice(&lzf_repeat(head.as_bytes(), b"x", NAME - head.len(), b""));
        v.extend_from_slice(&1_700_000_000_000i64.to_le_bytes());
        v.extend_from_slice(&len(0));
    }
    let f = Rdb::redis(10)
        .select_db(0)
        .key(T_STREAM_LISTPACKS_2, b"st", v)
        .finish(true);
    assert!(f.len() < 2 << 20, "{}", f.len());
    let f = write(d.path(), "names.rdb", &f);
    for command in ["report", "dump"] {
        let w = watched(&[command, p(&f)], Feed::Null, true, None);
        assert!(!w.hung, "{command} did not finish");
        assert_eq!(exit_code(&w.out), 0, "{command}: {}", all(&w.out));
        assert!(
            w.peak_kib < 64 << 10,
            "{command}: peak RssAnon {} KiB",
            w.peak_kib
        );
        if command == "dump" {
            let v: Value = serde_json::from_slice(&w.out.stdout).unwrap();
            let consumers = v["value"]["groups"][0]["consumers"].as_array().unwrap();
            assert_eq!(consumers.len(), N);
            let last = consumers[N - 1]["name"].as_str().unwrap();
            assert_eq!((last.len(), &last[..7]), (NAME, "c01999:"));
        }
    }
}
