//! `report --mergeable` and `merge`: per-dump reports merged in any
//! grouping equal one report over all the dumps; unlike or damaged
//! reports are refused.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::builder::{Rdb, string};
use crate::util::*;

/// A dump with what the real fixtures lack: expiry clusters (named from
/// the keys' prefixes), raw strings for the doctor's compression sample,
/// entity families and big keys.
fn planted(dir: &Path) -> PathBuf {
    let ctime: i64 = 1_760_000_000;
    let mut r = Rdb::redis(11)
        .aux("redis-ver", "7.2.4")
        .aux("ctime", &ctime.to_string())
        .select_db(0);
    for i in 0..700 {
        // 300 keys in one second, 400 in another.
        let at = if i < 300 {
            (ctime + 3600) * 1000 + i
        } else {
            (ctime + 7200) * 1000 + (i - 300)
        };
        let prefix = ["rate", "quota", "session", "lock"][i as usize % 4];
        r = r
            .expire_ms(at)
            .key(0, format!("{prefix}:{i}").as_bytes(), string(b"1"));
    }
    for i in 0..200 {
        let v = format!(
            "{{\"user\":{i},\"name\":\"n{i}\",\"bio\":\"{}\"}}",
            "x".repeat(90)
        );
        r = r.key(0, format!("profile:{i}").as_bytes(), string(v.as_bytes()));
        r = r.key(0, format!("user:{i}:name").as_bytes(), string(b"alice"));
        r = r.key(0, format!("user:{i}:email").as_bytes(), string(b"a@b.c"));
    }
    r = r.key(0, b"blob:big", string(&vec![b'z'; 200_000]));
    write(dir, "planted.rdb", &r.finish(true))
}

fn dumps(dir: &Path) -> Vec<String> {
    let mut v = redis70_dumps();
    v.push(root().join("fixtures/valkey-8.0/ground-truth.rdb.zst"));
    v.push(root().join("fixtures/redis-5.0/streams.rdb.zst"));
    v.push(planted(dir));
    v.iter().map(|p| p.to_str().unwrap().to_string()).collect()
}

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// The report of `files`, with `extra` options.
fn report(files: &[String], extra: &[&str]) -> Value {
    let mut args = vec!["report", "--format", "json", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    json(&args)
}

/// `merge` of saved reports.
fn merge(dir: &Path, name: &str, docs: &[Value], extra: &[&str]) -> Value {
    let mut paths = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let p = dir.join(format!("{name}-{i}.json"));
        std::fs::write(&p, d.to_string()).unwrap();
        paths.push(p.to_str().unwrap().to_string());
    }
    let mut args = vec!["merge", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(extra);
    json(&args)
}

/// Per-dump reports merged all at once, and in two groups merged again,
/// equal one report over all the dumps: every section, doctor findings
/// and slots, and the state itself (so a merge can be merged again).
#[test]
fn merge_equals_one_report_for_any_grouping() {
    let dir = tempfile::tempdir().unwrap();
    let files = dumps(dir.path());
    let opts = ["--mergeable", "--slots", "--top", "7"];
    let whole = report(&files, &opts);
    let parts: Vec<Value> = files
        .iter()
        .map(|f| {
            report(
                std::slice::from_ref(f),
                &[&opts[..], &["--threads", "1"]].concat(),
            )
        })
        .collect();
    // The planted dump's clusters are named in both.
    let clusters = &whole["expiry"]["clusters"];
    assert!(
        clusters.as_array().unwrap().len() >= 2
            && clusters[0]["top_prefixes"].as_array().unwrap().len() == 3,
        "{clusters}"
    );
    let all = merge(dir.path(), "all", &parts, &["--mergeable"]);
    assert_eq!(all, whole);
    let (a, b) = parts.split_at(4);
    let groups = [
        merge(dir.path(), "a", a, &["--mergeable"]),
        merge(dir.path(), "b", b, &["--mergeable"]),
    ];
    assert_eq!(merge(dir.path(), "ab", &groups, &["--mergeable"]), whole);
    // Without --mergeable, the same report without its state.
    let mut plain = whole.clone();
    plain.as_object_mut().unwrap().remove("state");
    assert_eq!(merge(dir.path(), "plain", &groups, &[]), plain);
    assert_eq!(report(&files, &["--slots", "--top", "7"]), plain);
    // In the other order: the report of the dumps in that order.
    let mut backwards: Vec<Value> = parts.iter().rev().cloned().collect();
    backwards.swap(0, 1);
    let mut files_back: Vec<String> = files.iter().rev().cloned().collect();
    files_back.swap(0, 1);
    assert_eq!(
        merge(dir.path(), "back", &backwards, &["--mergeable"]),
        report(&files_back, &opts)
    );
}

/// The state is the same for any --threads (its lists are in a canonical
/// order, never a hash map's).
#[test]
fn state_is_the_same_for_any_threads() {
    let dir = tempfile::tempdir().unwrap();
    let files = dumps(dir.path());
    let one = report(&files, &["--mergeable", "--threads", "1"]);
    let four = report(&files, &["--mergeable", "--threads", "4"]);
    assert!(
        one["state"]["doctor"]["sample"]["picked"]
            .as_array()
            .unwrap()
            .len()
            > 10
    );
    assert_eq!(one, four);
}

fn refused(args: &[&str], want: &str) {
    let o = run(args);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(want), "want {want:?} in: {err}");
}

/// Reports without a state, made with other options, or whose state
/// disagrees with itself are refused with the file and the reason.
#[test]
fn unlike_or_damaged_reports_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let files = dumps(dir.path());
    let (a, b) = (&files[..1], &files[1..2]);
    let save = |name: &str, v: &Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let good = save("a.json", &report(a, &["--mergeable"]));
    let b_doc = report(b, &["--mergeable"]);
    let plain = save("plain.json", &report(b, &[]));
    refused(&["merge", &good, &plain], "--mergeable");
    let top = save("top.json", &report(b, &["--mergeable", "--top", "5"]));
    let no_doctor = save("nd.json", &report(b, &["--mergeable", "--no-doctor"]));
    refused(&["merge", &good, &no_doctor], "(--no-doctor: off vs on)");
    let slots = save("slots.json", &report(b, &["--mergeable", "--slots"]));
    refused(&["merge", &good, &slots], "(--slots: off vs on)");
    let depth = save("depth.json", &report(b, &["--mergeable", "--depth", "2"]));
    refused(&["merge", &good, &depth], "--depth: 3 vs 2");

    let mut more = b_doc.clone();
    more["state"]["summary"]["by_db"]["0"]["keys"] = Value::from(u64::MAX);
    refused(
        &["merge", &good, &save("more.json", &more)],
        "by_db adds up to",
    );
    let mut version = b_doc.clone();
    version["state"]["state_version"] = Value::from(99);
    refused(
        &["merge", &good, &save("v.json", &version)],
        "state_version 99",
    );
    let mut odd = b_doc.clone();
    odd["state"]["summary"]["surprise"] = Value::from(1);
    refused(&["merge", &good, &save("odd.json", &odd)], "unknown field");
    let mut keys = b_doc.clone();
    keys["state"]["summary"]["keys"]["keys"] = Value::from(1u64 << 40);
    refused(&["merge", &good, &save("keys.json", &keys)], "keys");
    let mut enc = b_doc;
    let mut types = enc.clone();
    enc["state"]["summary"]["by_type_encoding"]["string"]["nonsense"] =
        serde_json::json!({"keys": 0, "bytes": 0});
    refused(
        &["merge", &good, &save("enc.json", &enc)],
        "unknown encoding \"nonsense\"",
    );
    // Per type, the encodings must add up to the type's total.
    let strings = &mut types["state"]["summary"]["by_type_encoding"]["string"];
    let first = strings.as_object().unwrap().keys().next().unwrap().clone();
    strings[&first]["keys"] = Value::from(strings[&first]["keys"].as_u64().unwrap() + 1);
    refused(
        &["merge", &good, &save("types.json", &types)],
        "by_type_encoding adds up to",
    );

    // The same dump's report twice (copied): merged, with a warning.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&good, &copy).unwrap();
    let o = run(["merge", good.as_str(), p(&copy)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("counted twice"));
    refused(&["merge", &good, &top], "--top: 20 vs 5");

    refused(&["report", a[0].as_str(), "--mergeable"], "--format json");
    refused(&["merge", &good, "--mergeable"], "--format json");
    refused(&["merge", a[0].as_str()], "is a dump: merge reads reports");
    // A compressed dump (the first .zst input; its index moves as fixtures
    // are added).
    let zst = files.iter().find(|f| f.ends_with(".zst")).unwrap();
    refused(&["merge", zst.as_str()], "compressed (gzip, zstd or LZ4)");
}

/// Each invariant a state read back must hold, broken alone (the rest of
/// the state left consistent): the message names it.
#[test]
fn states_that_no_fold_makes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let files = [planted(dir.path()).to_str().unwrap().to_string()];
    let doc = report(&files, &["--mergeable", "--slots"]);
    let try_edit = |name: &str, want: &str, edit: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        edit(&mut d["state"]);
        let f = dir.path().join(name);
        std::fs::write(&f, d.to_string()).unwrap();
        refused(&["merge", p(&f)], want);
    };
    // Expiry labels that do not count their slot's keys (the cluster would
    // be named by more keys than it has).
    try_edit(
        "labels.json",
        "do not count the keys of their slots",
        &|s| {
            let k = &mut s["expiry"]["labels"]["entries"]["keys"][0];
            *k = Value::from(k.as_u64().unwrap() + 1);
        },
    );
    try_edit("empty-label.json", "an empty expiry label", &|s| {
        s["expiry"]["labels"]["labels"][0][0] = Value::from("");
    });
    // A slot no time in ms can have at second resolution.
    try_edit("slot.json", "out of order or range", &|s| {
        s["expiry"]["slots"]["slot_delta"][0] = Value::from(i64::MAX);
    });
    try_edit("family.json", "an entity family without keys", &|s| {
        s["doctor"]["families"][0]["keys"] = Value::from(0);
    });
    try_edit("top.json", "a top list of 20 for 1 rows", &|s| {
        s["big_keys"]["big"]["n"] = Value::from(1);
        s["big_keys"]["big"]["rows"]
            .as_array_mut()
            .unwrap()
            .truncate(1);
    });
    // A child counting more keys without TTL than its parent.
    try_edit("child.json", "children count more than it", &|s| {
        let nodes = s["prefixes"]["nodes"].as_array_mut().unwrap();
        assert!(nodes[0]["path"].as_array().unwrap().is_empty());
        let child = nodes
            .iter_mut()
            .find(|n| n["path"].as_array().unwrap().len() == 1 && n["no_ttl_keys"] != n["keys"])
            .unwrap();
        child["no_ttl_keys"] = child["keys"].clone();
        child["no_ttl_bytes"] = child["bytes"].clone();
    });
    // A prefix node two deep whose path its depth does not count (the
    // scan takes a node's path as counted).
    try_edit(
        "uncounted.json",
        "whose hash its depth does not count",
        &|s| {
            let seen = s["prefixes"]["levels"][2]["seen"].as_array_mut().unwrap();
            assert!(!seen.is_empty());
            seen.clear();
        },
    );
    try_edit("dist.json", "is not a type a report lists by", &|s| {
        let dist = s["doctor"]["dist"].as_object_mut().unwrap();
        let v = dist.values().next().unwrap().clone();
        dist.insert("t0".into(), v);
    });
    try_edit("jitter.json", "doctor jitter", &|s| {
        s["config"]["doctor"]["jitter"] = Value::from(2.5);
    });
    // More keys than any fleet: products of counts would not fit.
    try_edit(
        "keys.json",
        "more than the state's total 281474976710656",
        &|s| {
            s["summary"]["keys"]["keys"] = Value::from((1u64 << 48) + 1);
        },
    );
    // A bucket past the one u64::MAX falls in.
    try_edit("bucket.json", "histogram bucket 992 out of range", &|s| {
        let dist = s["doctor"]["dist"].as_object_mut().unwrap();
        let (sizes, _) = dist
            .values_mut()
            .next()
            .unwrap()
            .as_array_mut()
            .unwrap()
            .split_at_mut(1);
        let counts = sizes[0]["counts"].as_array_mut().unwrap();
        counts[0][0] = Value::from(992);
    });
    // Prefix hashes where none are kept (a fixed hasher let them collide).
    try_edit("seen.json", "prefix hashes at depth 1", &|s| {
        s["prefixes"]["levels"][1]["seen"] = serde_json::json!(["0".repeat(32)]);
    });
    try_edit("caps.json", "prefix caps 5000 and 50000 are larger", &|s| {
        s["config"]["max_children"] = Value::from(5000);
    });
    // Made with --cluster-nodes and without, merged.
    let mut served = doc.clone();
    served["files"][0]["unserved"] = serde_json::json!({"keys": 0, "bytes": 0});
    let a = dir.path().join("served.json");
    std::fs::write(&a, served.to_string()).unwrap();
    let b = dir.path().join("plain.json");
    std::fs::write(&b, doc.to_string()).unwrap();
    refused(&["merge", p(&a), p(&b)], "--cluster-nodes and some without");
}

/// The same dump under two names, reported apart and merged: told as
/// `report` tells it given twice (and the documents are equal).
#[test]
fn the_same_dump_in_two_reports_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let one = planted(dir.path());
    let (two, three) = (dir.path().join("copy-2.rdb"), dir.path().join("copy-3.rdb"));
    std::fs::copy(&one, &two).unwrap();
    std::fs::copy(&one, &three).unwrap();
    let files = [
        p(&three).to_string(),
        p(&one).to_string(),
        p(&two).to_string(),
    ];
    let whole = report(&files, &["--mergeable"]);
    let w = &whole["files"][2]["warnings"];
    assert!(w.to_string().contains("the same dump as"), "{w}");
    // Alone, and in a report that told its own copy (of another file).
    let parts = [
        report(&files[..1], &["--mergeable"]),
        report(&files[1..], &["--mergeable"]),
    ];
    assert_eq!(merge(dir.path(), "copies", &parts, &["--mergeable"]), whole);
}

/// Options that name the same settings in another spelling or order merge
/// (`--target` with a patch level, repeated or reordered `--db`, `--type`
/// and `--match`).
#[test]
fn equivalent_spellings_merge() {
    let dir = tempfile::tempdir().unwrap();
    let files = dumps(dir.path());
    let (a, b) = (&files[..1], &files[1..2]);
    let one = report(
        a,
        &[
            "--mergeable",
            "--target",
            "redis-7.0",
            "--db",
            "0",
            "--db",
            "1",
        ]
        .iter()
        .chain(&["--match", "a*", "--match", "*"])
        .copied()
        .collect::<Vec<_>>(),
    );
    let two = report(
        b,
        &[
            "--mergeable",
            "--target",
            "redis-7.0.15",
            "--db",
            "1",
            "--db",
            "0",
            "--db",
            "0",
        ]
        .iter()
        .chain(&["--match", "*", "--match", "a*"])
        .copied()
        .collect::<Vec<_>>(),
    );
    let merged = merge(dir.path(), "spell", &[one, two], &[]);
    assert_eq!(merged["files"].as_array().unwrap().len(), 2);
}
