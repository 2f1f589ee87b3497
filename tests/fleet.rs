//! `keys --format parquet`: read back with the parquet crate and with
//! DuckDB, against `keys --format jsonl` and `report`; cluster slots
//! against a real server's `CLUSTER KEYSLOT`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::builder::{Rdb, string};
use crate::util::*;

fn read(path: &Path) -> Vec<RecordBatch> {
    let f = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// The fixtures and the tagged dump, as arguments.
fn inputs(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = redis70_dumps()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    files.push(tagged_dump(dir).display().to_string());
    files
}

/// `fixtures/gen/parquet_check.py ARGS...`, which must succeed: its stdout.
fn parquet_check(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .arg(root().join("fixtures/gen/parquet_check.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `keys --format parquet -o dir/keys.parquet EXTRA... FILES...`:
/// its path and exit code.
fn keys_parquet(dir: &Path, extra: &[&str], files: &[String]) -> (PathBuf, i32) {
    let pq = dir.join("keys.parquet");
    let out = run(["keys", "--format", "parquet", "-o", p(&pq)]
        .into_iter()
        .chain(extra.iter().copied())
        .chain(files.iter().map(String::as_str)));
    (pq, exit_code(&out))
}

/// A report document's `{name: {keys, bytes}}` map.
fn tallies(v: &Value) -> BTreeMap<String, (u64, u64)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let n = |f: &str| v[f].as_u64().unwrap();
            (k.clone(), (n("keys"), n("bytes")))
        })
        .collect()
}

/// Whether python3 can import `module`.
fn python_has(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A dump whose keys exercise hash tags and prefixes.
fn tagged_dump(dir: &Path) -> PathBuf {
    let mut r = Rdb::redis(10).aux("redis-ver", "7.0.15").select_db(0);
    let keys: Vec<Vec<u8>> = vec![
        b"{user1000}.following".to_vec(),
        b"{user1000}.followers".to_vec(),
        b"foo{}{bar}".to_vec(),
        b"foo{{bar}}zap".to_vec(),
        b"foo{bar}{zap}".to_vec(),
        b"no}tag{".to_vec(),
        b"{".to_vec(),
        b"}{".to_vec(),
        b"".to_vec(),
        b"user:42:cart".to_vec(),
        b"user:9f3a2c1d:name".to_vec(),
        b"session12345".to_vec(),
        vec![0xff, b'{', 0x00, b'}', 0x80],
        "caf\u{e9}:{\u{e9}t\u{e9}}".as_bytes().to_vec(),
    ];
    for (i, k) in keys.iter().enumerate() {
        if i % 3 == 0 {
            r = r.expire_ms(4_000_000_000_000 + i as i64);
        }
        r = r.key(0, k, string(format!("value-{i}").as_bytes()));
    }
    // PEXPIREAT takes up to i64::MAX ms: past what readers hold as a
    // timestamp in µs.
    r = r
        .expire_ms(i64::MAX)
        .key(0, b"far:future", string(b"v"))
        .expire_ms(i64::MAX / 1000)
        .key(0, b"far:edge", string(b"v"));
    for i in 0..2000u32 {
        r = r.key(0, format!("k:{{t{}}}:{i}", i % 97).as_bytes(), string(b"v"));
    }
    write(dir, "tagged.rdb", &r.finish(true))
}

/// Every row of the Parquet file is the key's JSON line (same numbers,
/// in file order), whatever the threads; labels and prefixes are set.
#[test]
fn parquet_rows_are_the_json_rows() {
    let dir = tempfile::tempdir().unwrap();
    let files = inputs(dir.path());
    let pq = dir.path().join("keys.parquet");
    let mut args = vec![
        "keys".to_string(),
        "--format".into(),
        "parquet".into(),
        "-o".into(),
        pq.display().to_string(),
        "--label".into(),
        "cluster=prod-eu".into(),
        "--label".into(),
        "node=7".into(),
        "--threads".into(),
        "3".into(),
    ];
    args.extend(files.iter().cloned());
    let out = run(&args);
    assert_eq!(exit_code(&out), 0, "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(" rows in "),
        "the file's size is reported: {}",
        describe(&out)
    );
    let mut jargs = vec!["keys".to_string(), "--format".into(), "jsonl".into()];
    jargs.extend(files.iter().cloned());
    let want = json_lines(&run(&jargs));
    let batches = read(&pq);
    let mut i = 0;
    for b in &batches {
        let col = |n: &str| b.column_by_name(n).unwrap_or_else(|| panic!("{n}"));
        for r in 0..b.num_rows() {
            let w = &want[i];
            let key = col("key").as_binary::<i32>().value(r);
            assert_eq!(
                col("key_text").as_string::<i32>().value(r),
                w["key"].as_str().unwrap()
            );
            assert_eq!(
                rdbscope::escape::escape(key),
                w["key"].as_str().unwrap(),
                "raw key bytes"
            );
            assert_eq!(
                col("db").as_primitive::<Int32Type>().value(r) as u64,
                w["database"].as_u64().unwrap()
            );
            for (c, j) in [
                ("bytes", "size_in_bytes"),
                ("elements", "num_elements"),
                ("rdb_bytes", "rdb_bytes"),
            ] {
                assert_eq!(
                    col(c).as_primitive::<Int64Type>().value(r) as u64,
                    w[j].as_u64().unwrap(),
                    "{c} of {}",
                    w["key"]
                );
            }
            for (c, j) in [
                ("type", "type"),
                ("encoding", "encoding"),
                ("estimate", "estimate"),
            ] {
                assert_eq!(col(c).as_string::<i32>().value(r), w[j].as_str().unwrap());
            }
            let exp = col("expire_at").as_primitive::<TimestampMillisecondType>();
            assert_eq!(
                (!exp.is_null(r)).then(|| exp.value(r)),
                w["expire_at_ms"]
                    .as_i64()
                    .filter(|ms| ms.unsigned_abs() <= i64::MAX as u64 / 1000)
            );
            let bound = col("bound").as_primitive::<Int64Type>();
            assert_eq!(
                (!bound.is_null(r)).then(|| bound.value(r) as u64),
                w["bound"].as_u64()
            );
            assert_eq!(
                col("slot").as_primitive::<Int32Type>().value(r),
                i32::from(rdbscope::cluster::key_slot(key))
            );
            assert_eq!(col("cluster").as_string::<i32>().value(r), "prod-eu");
            assert_eq!(col("node").as_string::<i32>().value(r), "7");
            assert_eq!(
                col("file").as_string::<i32>().value(r),
                w["file"].as_str().unwrap()
            );
            if key == b"user:42:cart" {
                let p = |d: usize| {
                    col(&format!("prefix_{d}"))
                        .as_string::<i32>()
                        .value(r)
                        .to_string()
                };
                assert_eq!([p(1), p(2), p(3)], ["user", "user:*", "user:*:cart"]);
                assert!(col("hash_tag").is_null(r));
            }
            let ms = col("expire_at_ms").as_primitive::<Int64Type>();
            assert_eq!(
                (!ms.is_null(r)).then(|| ms.value(r)),
                w["expire_at_ms"].as_i64()
            );
            if key == b"far:future" {
                assert!(exp.is_null(r), "past a µs timestamp: null");
                assert_eq!(ms.value(r), i64::MAX);
            }
            if key == b"far:edge" {
                assert_eq!(exp.value(r), i64::MAX / 1000);
            }
            if key == b"{user1000}.following" {
                assert_eq!(col("hash_tag").as_string::<i32>().value(r), "user1000");
                assert!(col("prefix_2").is_null(r), "one segment");
            }
            i += 1;
        }
    }
    assert_eq!(i, want.len(), "rows");
    // The same bytes at one thread.
    let pq1 = dir.path().join("keys1.parquet");
    args[4] = pq1.display().to_string();
    args[10] = "1".into();
    assert_eq!(exit_code(&run(&args)), 0);
    assert_eq!(
        std::fs::read(&pq).unwrap(),
        std::fs::read(&pq1).unwrap(),
        "identical for any --threads"
    );
}

/// DuckDB reads the file, and its aggregates are `report`'s.
#[test]
fn duckdb_aggregates_equal_the_report() {
    let ok = python_has("duckdb");
    if !ok {
        prerequisite_missing("python3 with duckdb (pip install duckdb; see .ci/run)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = inputs(dir.path());
    let (pq, code) = keys_parquet(dir.path(), &["--label", "cluster=prod-eu"], &files);
    assert_eq!(code, 0);
    let duck: Value = serde_json::from_slice(&parquet_check(&["aggregates", p(&pq)])).unwrap();
    let mut rargs = vec![
        "report".to_string(),
        "--quiet".into(),
        "--format".into(),
        "json".into(),
        "--top".into(),
        "1000".into(),
    ];
    rargs.extend(files.iter().cloned());
    let rep = run(&rargs);
    let doc: Value = serde_json::from_slice(&rep.stdout).unwrap();
    let s = &doc["summary"];
    assert_eq!(duck["rows"], s["keys"]);
    assert_eq!(duck["bytes"], s["estimated_bytes"]);
    assert_eq!(duck["expires"], s["expires"]);
    for (by, col) in [("by_type", "by_type"), ("by_db", "by_db")] {
        let want = tallies(&s[col]);
        let got: BTreeMap<String, (u64, u64)> = duck[by]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())))
            .collect();
        assert_eq!(got, want, "{by}");
    }
    // First-level prefixes: a row with keys below it is shown as `p:*`.
    let rows: BTreeMap<String, (u64, u64)> = doc["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["depth"] == 1)
        .map(|r| {
            (
                r["prefix"].as_str().unwrap().to_string(),
                (r["keys"].as_u64().unwrap(), r["bytes"].as_u64().unwrap()),
            )
        })
        .collect();
    let mut seen = 0;
    for (p, v) in duck["by_prefix_1"].as_object().unwrap() {
        let got = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
        let row = rows.get(p).or_else(|| rows.get(&format!("{p}:*")));
        assert_eq!(row, Some(&got), "prefix {p}");
        seen += 1;
    }
    assert_eq!(seen, rows.len(), "every first-level row");
    assert_eq!(duck["labels"]["cluster"], serde_json::json!(["prod-eu"]));
}

/// Every key's slot is the server's `CLUSTER KEYSLOT`.
#[test]
fn slots_are_the_servers() {
    let ok = python_has("duckdb");
    if !ok || !crate::memory::on_path("redis-server") {
        prerequisite_missing("python3 with duckdb and redis-server (see .ci/run)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = inputs(dir.path());
    if let Some(sh) = shared() {
        for e in std::fs::read_dir(sh.join("corpus")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "rdb") {
                files.push(p.display().to_string());
            }
        }
    }
    // Damaged corpus dumps exit 2 after their rows; the rows are what counts.
    let (pq, code) = keys_parquet(dir.path(), &[], &files);
    assert!(matches!(code, 0 | 2), "{code}");
    let v: Value =
        serde_json::from_slice(&parquet_check(&["keyslot", p(&pq), "redis-server"])).unwrap();
    assert!(v["keys"].as_u64().unwrap() > 2000, "{v}");
    assert_eq!(v["mismatched"], 0, "{v}");
}

/// A damaged dump: the rows before the damage are in a valid file, and
/// the exit code says the dump was damaged. Mistakes in the arguments are
/// refused before anything is read.
#[test]
fn parquet_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = tagged_dump(dir.path());
    let mut bytes = std::fs::read(&good).unwrap();
    let cut = bytes.len() * 2 / 3;
    bytes.truncate(cut);
    let bad = write(dir.path(), "cut.rdb", &bytes);
    let pq = dir.path().join("cut.parquet");
    let out = run(["keys", "--format", "parquet", "-o", p(&pq), p(&bad)]);
    assert_eq!(exit_code(&out), 2, "{}", describe(&out));
    let rows: usize = read(&pq).iter().map(|b| b.num_rows()).sum();
    assert!(rows > 1000 && rows < 2014, "{rows} rows before the damage");
    // The file says it is partial, in its metadata and on stderr; a whole
    // one does not.
    let partial = |path: &Path| {
        let r =
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(path).unwrap())
                .unwrap();
        use parquet::file::reader::FileReader;
        let kv = r.metadata().file_metadata().key_value_metadata().cloned();
        kv.unwrap_or_default()
            .into_iter()
            .find(|kv| kv.key == "rdbscope.partial")
            .and_then(|kv| kv.value)
    };
    // It names the input that failed and says where.
    let why = partial(&pq).unwrap_or_default();
    assert!(
        why.starts_with("an input failed (exit 2), its rows missing or cut short: ")
            && why.contains("cut.rdb: error at offset ")
            && why.contains("unexpected end of data"),
        "{why}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(": partial"),
        "{}",
        describe(&out)
    );
    let whole = dir.path().join("whole.parquet");
    let out = run(["keys", "-o", p(&whole), p(&good)]);
    assert_eq!(exit_code(&out), 0, "{}", describe(&out));
    assert_eq!(partial(&whole), None);
    // A good dump and then a damaged one: the file is partial too.
    let bad2 = write(dir.path(), "cut2.rdb", &bytes[..cut / 2]);
    let out = run(["keys", "-o", p(&whole), p(&good), p(&bad), p(&bad2)]);
    assert_eq!(exit_code(&out), 2, "{}", describe(&out));
    let why = partial(&whole).unwrap_or_default();
    assert!(
        why.starts_with("2 inputs failed")
            && why.contains("cut.rdb: ")
            && why.contains("cut2.rdb: "),
        "{why}"
    );

    for (args, says) in [
        (vec!["keys", "--format", "parquet", p(&good)], "-o FILE"),
        (
            vec![
                "keys",
                "--format",
                "parquet",
                "-o",
                "x.parquet",
                "--label",
                "bytes=1",
                p(&good),
            ],
            "is a column",
        ),
        (
            vec![
                "keys",
                "--format",
                "parquet",
                "-o",
                "x.parquet",
                "--label",
                "9x=1",
                p(&good),
            ],
            "expected letters",
        ),
        (
            vec!["keys", "--label", "a=1", p(&good)],
            "with --format parquet",
        ),
        (vec!["keys", "--label", "novalue", p(&good)], "NAME=VALUE"),
    ] {
        let out = run(&args);
        assert_eq!(exit_code(&out), 2, "{args:?}: {}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}: {}",
            describe(&out)
        );
    }
    assert!(!Path::new("x.parquet").exists());

    // Label names ignore case; values are short.
    let long = format!("v={}", "x".repeat(257));
    for (label, says) in [
        (vec!["--label", "KEY=1"], "is a column"),
        // A prefix column of a deeper cut than this file's (depth 3).
        (
            vec!["--label", "Prefix_4=x"],
            "prefix_N names the prefix columns, at any --depth",
        ),
        (vec!["--label", "a=1", "--label", "A=2"], "given twice"),
        (vec!["--label", long.as_str()], "at most 256"),
    ] {
        let pq = dir.path().join("labels.parquet");
        let out = run(["keys", "--format", "parquet", "-o", p(&pq)]
            .into_iter()
            .chain(label.iter().copied())
            .chain([p(&good)]));
        assert_eq!(exit_code(&out), 2, "{label:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{label:?}: {}",
            describe(&out)
        );
    }

    // A failed run leaves the old file; a good one replaces it whole.
    let (kept, code) = keys_parquet(dir.path(), &[], &[p(&good).to_string()]);
    assert_eq!(code, 0);
    let before = std::fs::read(&kept).unwrap();
    let (_, code) = keys_parquet(dir.path(), &[], &["/nonexistent/dump.rdb".to_string()]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read(&kept).unwrap(), before, "the old file stays");
    // An input that is not there is found before anything is written, even
    // after a good one.
    let missing = [p(&good).to_string(), "/nonexistent/dump.rdb".to_string()];
    let (_, code) = keys_parquet(dir.path(), &[], &missing);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read(&kept).unwrap(), before, "the old file stays");
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("partial")
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary file left");
    // `-o -` writes the same bytes into a pipe.
    let piped = run(["keys", "--format", "parquet", "-o", "-", p(&good)]);
    assert_eq!(exit_code(&piped), 0);
    assert_eq!(piped.stdout, before);
}

/// `report --slots` adds up what the Parquet rows say per slot, is the
/// same at any --threads, and reads back as a report document.
#[test]
fn report_slots_match_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let files = inputs(dir.path());
    let (pq, code) = keys_parquet(dir.path(), &[], &files);
    assert_eq!(code, 0);
    let mut per_slot: BTreeMap<i32, (u64, u64)> = BTreeMap::new();
    let mut tagged = (0u64, 0u64);
    for b in read(&pq) {
        let slot = b
            .column_by_name("slot")
            .unwrap()
            .as_primitive::<Int32Type>();
        let bytes = b
            .column_by_name("bytes")
            .unwrap()
            .as_primitive::<Int64Type>();
        let tag = b.column_by_name("hash_tag").unwrap();
        for r in 0..b.num_rows() {
            let e = per_slot.entry(slot.value(r)).or_default();
            e.0 += 1;
            e.1 += bytes.value(r) as u64;
            if !tag.is_null(r) {
                tagged.0 += 1;
                tagged.1 += bytes.value(r) as u64;
            }
        }
    }
    let report = |threads: &str| {
        let mut a = vec![
            "report".to_string(),
            "--quiet".into(),
            "--slots".into(),
            "--no-doctor".into(),
            "--format".into(),
            "json".into(),
            "--top".into(),
            "5".into(),
            "--threads".into(),
            threads.into(),
        ];
        a.extend(files.iter().cloned());
        let out = run(&a);
        assert_eq!(exit_code(&out), 0, "{}", describe(&out));
        out.stdout
    };
    let one = report("1");
    assert_eq!(one, report("3"), "same document at any --threads");
    let doc: Value = serde_json::from_slice(&one).unwrap();
    let s = &doc["slots"];
    assert_eq!(s["slots_with_keys"], per_slot.len());
    assert_eq!(s["hash_tagged"]["keys"], tagged.0);
    assert_eq!(s["hash_tagged"]["bytes"], tagged.1);
    let mut biggest: Vec<(i32, (u64, u64))> = per_slot.iter().map(|(k, v)| (*k, *v)).collect();
    biggest.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(&b.0)));
    for (row, (slot, (keys, bytes))) in s["top_slots"].as_array().unwrap().iter().zip(&biggest) {
        assert_eq!(row["slot"], *slot);
        assert_eq!(
            (
                row["keys"].as_u64().unwrap(),
                row["bytes"].as_u64().unwrap()
            ),
            (*keys, *bytes)
        );
    }
    assert_eq!(s["top_slots"].as_array().unwrap().len(), 5);
    for r in s["ranges"].as_array().unwrap() {
        let (first, last) = (
            r["first"].as_i64().unwrap() as i32,
            r["last"].as_i64().unwrap() as i32,
        );
        let want = per_slot
            .range(first..=last)
            .fold((0, 0), |a, (_, v)| (a.0 + v.0, a.1 + v.1));
        assert_eq!(
            (r["keys"].as_u64().unwrap(), r["bytes"].as_u64().unwrap()),
            want
        );
    }
    let sizes: Vec<f64> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["estimated_bytes"].as_f64().unwrap())
        .collect();
    let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
    let max = sizes.iter().cloned().fold(0.0, f64::max);
    assert!((s["node_skew"].as_f64().unwrap() - max / mean).abs() < 1e-3);
    // A saved document with slots is a baseline `diff` reads.
    let saved = write(dir.path(), "base.json", &one);
    let out = run(["diff", p(&saved), files[0].as_str()]);
    assert!(matches!(exit_code(&out), 0 | 1), "{}", describe(&out));
}

/// `--cluster-nodes`: keys in slots the node does not serve, with the
/// nodes.conf a real server wrote after taking slots 0-5000.
#[test]
fn keys_outside_the_nodes_slots() {
    if !crate::memory::on_path("redis-server") {
        prerequisite_missing("redis-server (the nodes.conf test)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nodes.conf");
    parquet_check(&["nodes-conf", p(&conf), "redis-server", "0", "5000"]);
    let dump = tagged_dump(dir.path());
    let mut want = (0u64, 0u64);
    for v in json_lines(&run(["keys", "--format", "jsonl", p(&dump)])) {
        let key = rdbscope::escape::unescape(v["key"].as_str().unwrap()).unwrap();
        if rdbscope::cluster::key_slot(&key) > 5000 {
            want.0 += 1;
            want.1 += v["size_in_bytes"].as_u64().unwrap();
        }
    }
    assert!(want.0 > 100, "{want:?}");
    let out = run([
        "report",
        "--quiet",
        "--slots",
        "--no-doctor",
        "--format",
        "json",
        "--cluster-nodes",
        p(&conf),
        p(&dump),
    ]);
    assert_eq!(exit_code(&out), 0, "{}", describe(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = &doc["slots"]["unserved"];
    assert_eq!(
        (got["keys"].as_u64(), got["bytes"].as_u64()),
        (Some(want.0), Some(want.1))
    );
    assert_eq!(doc["files"][0]["unserved"], *got);
    // One nodes.conf per input, with --slots, and a real one.
    let not_conf = write(dir.path(), "bad.conf", b"vars currentEpoch 0\n");
    for (args, says) in [
        (
            vec!["report", "--cluster-nodes", p(&conf), p(&dump)],
            "with --slots",
        ),
        (
            vec![
                "report",
                "--slots",
                "--cluster-nodes",
                p(&conf),
                p(&dump),
                p(&dump),
            ],
            "one per input",
        ),
        (
            vec![
                "report",
                "--slots",
                "--cluster-nodes",
                p(&not_conf),
                p(&dump),
            ],
            "flagged myself",
        ),
    ] {
        let out = run(&args);
        assert_eq!(exit_code(&out), 2, "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{}",
            describe(&out)
        );
    }
}

/// The Spark recipe (`examples/spark/fleet.py`, local mode): each dump
/// read by the binary on an executor into Parquet, then Spark SQL; its
/// totals equal `rdbscope report`'s, per type, db and node (file).
#[test]
fn spark_aggregates_equal_the_report() {
    let ok = python_has("pyspark");
    if !ok || !crate::memory::on_path("java") {
        prerequisite_missing("pyspark and a Java runtime (see .ci/run)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = inputs(dir.path());
    let out = std::process::Command::new("python3")
        .arg(root().join("examples/spark/fleet.py"))
        .args([
            "--rdbscope",
            env!("CARGO_BIN_EXE_rdbscope"),
            "--json",
            "--report",
        ])
        .arg(dir.path().join("fleet.json"))
        .arg("--out")
        .arg(dir.path().join("keys"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let spark: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let mut rargs = vec!["report", "--quiet", "--no-doctor", "--format", "json"];
    rargs.extend(files.iter().map(String::as_str));
    let doc: Value = serde_json::from_slice(&run(&rargs).stdout).unwrap();
    let rows = |name: &str, key: &str| -> BTreeMap<String, (u64, u64)> {
        spark[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let k = match &r[key] {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                (
                    k,
                    (r["keys"].as_u64().unwrap(), r["bytes"].as_u64().unwrap()),
                )
            })
            .collect()
    };
    for (name, key) in [("by_type", "type"), ("by_db", "db")] {
        let want = tallies(&doc["summary"][name]);
        assert_eq!(rows(name, key), want, "{name}");
    }
    let want: BTreeMap<String, (u64, u64)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = Path::new(f["file"].as_str().unwrap()).file_name().unwrap();
            (
                name.to_string_lossy().into_owned(),
                (
                    f["keys"].as_u64().unwrap(),
                    f["estimated_bytes"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(rows("nodes", "node"), want, "per node");
    // The reduce step: per-dump reports merged equal one report over all.
    let mut rargs = vec!["report", "--quiet", "--slots", "--format", "json"];
    rargs.extend(files.iter().map(String::as_str));
    let whole: Value = serde_json::from_slice(&run(&rargs).stdout).unwrap();
    let merged: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("fleet.json")).unwrap()).unwrap();
    assert_eq!(merged, whole);
}
