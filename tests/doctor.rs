//! `rdbscope doctor` (issue #13): findings on dumps built here, the
//! script it writes, its check rules, and — against a real Redis 7.0
//! server — the savings it predicts set against the savings measured when
//! each remedy is applied (fixtures/gen/doctor_planted.py).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::builder::*;
use crate::util::*;

const CTIME_S: i64 = 1_700_000_000;
const CTIME_MS: i64 = CTIME_S * 1000;

/// A Redis 7.0 dump's start: version, dump time, db 0.
fn redis70() -> Rdb {
    Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0)
}

fn json(o: &Output) -> Value {
    assert_eq!(exit_code(o), 0, "{}", describe(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(o)))
}

/// 200 `cart:N` strings of 3000 bytes with a TTL and 30 without; 5 `tmp:N` without;
/// 1500 `flash:N` expiring in one second an hour after the dump; 40
/// `user:N:{name,email,age}` strings.
fn leaky_dump(dir: &Path) -> PathBuf {
    let mut r = redis70();
    for n in 0..230 {
        if n < 200 {
            r = r.expire_ms(CTIME_MS + 7_200_000 + n * 7919);
        }
        r = r.key(
            T_STRING,
            format!("cart:{n}").as_bytes(),
            v_string(&[b'c'; 3000]),
        );
    }
    for n in 0..5 {
        r = r.key(
            T_STRING,
            format!("tmp:{n}").as_bytes(),
            v_string(b"scratch"),
        );
    }
    for n in 0..1500 {
        r = r.expire_ms(CTIME_MS + 3_600_000 + (n % 7) * 100).key(
            T_STRING,
            format!("flash:{n}").as_bytes(),
            v_string(b"x"),
        );
    }
    for n in 0..40 {
        for (f, v) in [("name", "ada"), ("email", "ada@example.com"), ("age", "37")] {
            r = r.key(
                T_STRING,
                format!("user:{}:{f}", 1000 + n).as_bytes(),
                v_string(v.as_bytes()),
            );
        }
    }
    write(dir, "leaky.rdb", &r.finish(true))
}

fn findings<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

#[test]
fn leaks_clusters_and_families_are_found_with_their_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let f = leaky_dump(dir.path());
    let doc = json(&run([
        "doctor",
        p(&f),
        "--format",
        "json",
        "--min-savings",
        "1",
    ]));
    let leaks = findings(&doc, "ttl_leak");
    let subjects: Vec<&str> = leaks
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["cart:*", "tmp:*"], "{doc:#}");
    let cart = leaks[0];
    assert_eq!(cart["keys"], 30);
    assert_eq!(cart["evidence"]["ttl_keys"], 200);
    assert_eq!(cart["bytes_after"], 0);
    // 30 strings of 300 bytes, key `cart:NN`: the model's exact bytes.
    let o = run([
        "keys",
        p(&f),
        "--format",
        "json",
        "--match",
        "cart:*",
        "--no-ttl",
    ]);
    let rows = json_lines(&o);
    assert_eq!(rows.len(), 30);
    let sum: u64 = rows
        .iter()
        .map(|r| r["size_in_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(cart["bytes_now"], sum);
    assert_eq!(cart["savings_bytes"], sum);
    assert_eq!(cart["confidence"], "exact");
    assert_eq!(leaks[1]["evidence"]["reason"], "a temporary prefix");

    let clusters = findings(&doc, "expiry_cluster");
    assert_eq!(clusters.len(), 1, "{doc:#}");
    let c = clusters[0];
    assert_eq!(c["keys"], 1500);
    assert_eq!(c["subject"], "flash:*");
    assert_eq!(c["evidence"]["seconds_after_dump"], 3600);
    // ±10 % of an hour spreads 1500 keys over 720 s.
    assert_eq!(c["evidence"]["keys_per_second_after_jitter"], 3);

    let fam = findings(&doc, "entity_strings_to_hash");
    assert_eq!(fam.len(), 1, "{doc:#}");
    assert_eq!(fam[0]["subject"], "user:*:*");
    assert_eq!(fam[0]["keys"], 120);
    assert_eq!(fam[0]["evidence"]["entities"], 40);
    assert_eq!(fam[0]["evidence"]["fields"], "age,email,name");
    assert!(fam[0]["savings_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn the_script_names_every_leaked_and_clustered_key_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let f = leaky_dump(dir.path());
    let script = dir.path().join("fix.redis");
    let o = run([
        "doctor",
        p(&f),
        "--script",
        p(&script),
        "--ttl",
        "600",
        "--min-savings",
        "1",
    ]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let text = std::fs::read_to_string(&script).unwrap();
    // Each leaked key gets 600 s ± 10 %, NX (Redis 7.0).
    let expire: Vec<(&str, u64)> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("EXPIRE ")?
                .strip_suffix(" NX")?
                .rsplit_once(' ')
        })
        .map(|(k, t)| (k, t.parse().unwrap()))
        .collect();
    let mut want: Vec<String> = (200..230).map(|n| format!("\"cart:{n}\"")).collect();
    want.extend((0..5).map(|n| format!("\"tmp:{n}\"")));
    assert_eq!(expire.iter().map(|e| e.0).collect::<Vec<_>>(), want);
    assert!(
        expire.iter().all(|e| (540..=660).contains(&e.1)),
        "{expire:?}"
    );
    let ttls: std::collections::BTreeSet<u64> = expire.iter().map(|e| e.1).collect();
    assert!(ttls.len() > 20, "the TTLs are spread: {ttls:?}");
    assert!(!text.contains('#'), "redis-cli has no comments");
    let moved: Vec<(String, i64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("PEXPIREAT "))
        .map(|l| {
            let (k, t) = l.rsplit_once(' ').unwrap();
            (k.to_string(), t.parse().unwrap())
        })
        .collect();
    assert_eq!(moved.len(), 1500);
    for (i, (k, t)) in moved.iter().enumerate() {
        assert_eq!(k, &format!("\"flash:{i}\""));
        let was = CTIME_MS + 3_600_000 + (i as i64 % 7) * 100;
        assert!((t - was).abs() <= 360_000 + 700, "{k} {t}");
    }
    let distinct: std::collections::BTreeSet<i64> = moved.iter().map(|m| m.1 / 1000).collect();
    assert!(
        distinct.len() > 500,
        "spread over {} seconds",
        distinct.len()
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("SELECT")).count(), 1);
    assert!(stdout(&o).contains("ttl_leak"));
    let again = dir.path().join("again.redis");
    let o = run([
        "doctor",
        p(&f),
        "--script",
        p(&again),
        "--ttl",
        "600",
        "--min-savings",
        "1",
        "--threads",
        "3",
    ]);
    assert_eq!(exit_code(&o), 0);
    let again = std::fs::read_to_string(&again).unwrap();
    assert!(again == text, "another script with --threads 3");
}

#[test]
fn binary_keys_are_quoted_for_redis_cli() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = redis70();
    r = r.key(T_STRING, b"tmp:a\nb\"c\\\xff", v_string(b"v"));
    let f = write(dir.path(), "bin.rdb", &r.finish(true));
    let script = dir.path().join("s.redis");
    let o = run([
        "doctor",
        p(&f),
        "--script",
        p(&script),
        "--min-savings",
        "1",
    ]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let text = std::fs::read_to_string(&script).unwrap();
    let line = text.lines().find(|l| l.starts_with("EXPIRE")).unwrap();
    let rest = line
        .strip_prefix("EXPIRE \"tmp:a\\x0ab\\x22c\\\\\\xff\" ")
        .and_then(|r| r.strip_suffix(" NX"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        (77_760..=95_040).contains(&rest.parse::<u64>().unwrap()),
        "{line}"
    );
    assert_eq!(text.lines().count(), 2, "SELECT 0 and the EXPIRE: {text}");
}

#[test]
fn findings_are_the_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let leaky = leaky_dump(dir.path());
    let one = run([
        "doctor",
        p(&leaky),
        "--format",
        "json",
        "--threads",
        "1",
        "--min-savings",
        "1",
    ]);
    let three = run([
        "doctor",
        p(&leaky),
        "--format",
        "json",
        "--threads",
        "3",
        "--min-savings",
        "1",
    ]);
    assert_eq!(exit_code(&one), 0, "{}", describe(&one));
    assert_eq!(one.stdout, three.stdout);
    for f in [
        "fixtures/redis-7.0/collections.rdb",
        "fixtures/valkey-8.0/collections.rdb",
    ] {
        let f = root().join(f);
        if !f.exists() {
            continue;
        }
        let one = run(["doctor", p(&f), "--format", "json", "--threads", "1"]);
        let four = run(["doctor", p(&f), "--format", "json", "--threads", "4"]);
        assert_eq!(exit_code(&one), 0, "{}", describe(&one));
        assert_eq!(one.stdout, four.stdout, "{}", p(&f));
    }
}

#[test]
fn check_gates_on_doctor_severity_and_savings() {
    let dir = tempfile::tempdir().unwrap();
    let f = leaky_dump(dir.path());
    let rules = write(dir.path(), "r.toml", b"max_doctor_severity = \"info\"\n");
    let o = run(["check", p(&f), "--rules", p(&rules)]);
    assert_eq!(exit_code(&o), 1, "{}", describe(&o));
    assert!(
        stdout(&o).contains("max_doctor_severity"),
        "{}",
        describe(&o)
    );
    // 30 of 230 carts without TTL hold 12 % of the memory: critical.
    let rules = write(
        dir.path(),
        "r2.toml",
        b"max_doctor_severity = \"warning\"\n",
    );
    let o = run(["check", p(&f), "--rules", p(&rules), "--offenders", "1"]);
    assert_eq!(exit_code(&o), 1, "{}", describe(&o));
    assert!(stdout(&o).contains("critical ttl_leak"), "{}", describe(&o));
    let rules = write(
        dir.path(),
        "r2c.toml",
        b"max_doctor_severity = \"critical\"\n",
    );
    let o = run(["check", p(&f), "--rules", p(&rules)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(
        describe(&o).contains("could never fail"),
        "{}",
        describe(&o)
    );
    let rules = write(dir.path(), "r3.toml", b"max_doctor_severity = \"fatal\"\n");
    let o = run(["check", p(&f), "--rules", p(&rules)]);
    assert_eq!(exit_code(&o), 2);
    assert!(describe(&o).contains("a severity"), "{}", describe(&o));
    let rules = write(dir.path(), "r4.toml", b"max_savings = \"1KB\"\n");
    let o = run(["check", p(&f), "--rules", p(&rules)]);
    assert_eq!(exit_code(&o), 1, "{}", describe(&o));
    let rules = write(dir.path(), "r5.toml", b"max_savings = \"1GB\"\n");
    assert_eq!(exit_code(&run(["check", p(&f), "--rules", p(&rules)])), 0);
}

/// A redis-server of our own on 127.0.0.1 (a free port, its own
/// directory), stopped by pid when dropped.
struct Server {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Option<Server> {
        let dir = tempfile::tempdir().ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
            ])
            .args([
                "--dbfilename",
                "dump.rdb",
                "--enable-debug-command",
                "local",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let s = Server { child, port, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(s);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs fixtures/gen/doctor_planted.py on a fresh Debian Redis 7.0
/// server; `None` when a prerequisite is missing (a failure under CI).
fn planted(mode: Option<&str>) -> Option<Value> {
    let python_redis = std::process::Command::new("python3")
        .args(["-c", "import redis"])
        .status()
        .is_ok_and(|s| s.success());
    let server = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| String::from_utf8_lossy(&o.stdout).contains("v=7.0."));
    if !python_redis || server.is_none() {
        prerequisite_missing("redis-server 7.0 and python3 with `redis` (the doctor live test)");
        return None;
    }
    let s = Server::start().expect("redis-server starts");
    let out = s.dir.path().join("out.json");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(root().join("fixtures/gen/doctor_planted.py"))
        .args(["--port", &s.port.to_string(), "--command", "doctor"])
        .arg("--dir")
        .arg(s.dir.path())
        .arg("--rdbscope")
        .arg(env!("CARGO_BIN_EXE_rdbscope"))
        .arg("--out")
        .arg(&out);
    if let Some(m) = mode {
        cmd.arg(m);
    }
    let o = cmd.output().expect("python3");
    assert!(
        o.status.success(),
        "doctor_planted.py failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    Some(serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap())
}

/// Each planted problem is found, and what its remedy saves on the real
/// server (Σ MEMORY USAGE before and after it is applied) is within 5 %
/// of the prediction, 1 % where the finding says `exact`.
#[test]
fn live_doctor_savings_match_the_server() {
    let Some(doc) = planted(None) else { return };
    let results = doc["results"].as_array().unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    let mut report = String::new();
    for r in results {
        let kind = r["kind"].as_str().unwrap();
        kinds.insert(kind.to_string());
        let c = &r["compared"];
        let (want, got) = (
            c["predicted"].as_f64().unwrap(),
            c["measured"].as_f64().unwrap(),
        );
        let err = if got == 0.0 {
            want.abs()
        } else {
            (want - got).abs() / got
        };
        let limit = if r["confidence"] == "exact" {
            0.01
        } else {
            0.05
        };
        report.push_str(&format!(
            "{kind} {} {}: predicted {want} measured {got} ({:+.2} %)\n",
            r["subject"],
            c["what"],
            err * 100.0
        ));
        assert!(
            err <= limit,
            "{kind} {}: {err} > {limit}\n{report}",
            r["subject"]
        );
    }
    eprintln!("{report}");
    for k in [
        "ttl_leak",
        "big_key",
        "split_big_key",
        "entity_strings_to_hash",
        "compress_values",
        "listpack_threshold",
        "trim_zset",
        "expiry_cluster",
        "capacity",
        "cold_keys",
    ] {
        assert!(kinds.contains(k), "no {k} finding measured:\n{report}");
    }
    // The subjects the data set plants.
    let subjects: std::collections::BTreeSet<String> = results
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["kind"].as_str().unwrap(),
                r["subject"].as_str().unwrap()
            )
        })
        .collect();
    for s in [
        "ttl_leak cart:*",
        "ttl_leak session:*",
        "big_key big:hash",
        "split_big_key big:hash",
        "entity_strings_to_hash user:*:*",
        "compress_values doc:*",
        "listpack_threshold type hash",
        "listpack_threshold type zset",
        "trim_zset board:global",
        "expiry_cluster flash:*",
    ] {
        assert!(subjects.contains(s), "{s} not found: {subjects:?}");
    }
}

/// A dump with none of the problems: no warning, no critical finding.
#[test]
fn live_doctor_clean_dump_has_no_alarm() {
    let Some(doc) = planted(Some("--clean")) else {
        return;
    };
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["severity"], "info", "{f:#}");
        assert_eq!(f["savings_bytes"], 0, "{f:#}");
    }
}

/// A dump of `queue:N` (no TTL, 3000 bytes each) beside 200 `cart:N` with
/// a TTL.
fn queue_dump(dir: &Path, name: &str, queued: u64) -> PathBuf {
    let mut r = redis70();
    for n in 0..200 {
        r = r.expire_ms(CTIME_MS + 7_200_000 + n * 7919).key(
            T_STRING,
            format!("cart:{n}").as_bytes(),
            v_string(&[b'c'; 3000]),
        );
    }
    for n in 0..queued {
        r = r.key(
            T_STRING,
            format!("queue:{n}").as_bytes(),
            v_string(&[b'q'; 3000]),
        );
    }
    write(dir, name, &r.finish(true))
}

#[test]
fn a_baseline_shows_no_ttl_memory_that_grew_alone() {
    let dir = tempfile::tempdir().unwrap();
    let old = queue_dump(dir.path(), "old.rdb", 20);
    let new = queue_dump(dir.path(), "new.rdb", 200);
    let saved = dir.path().join("old.json");
    let o = run(["report", p(&old), "--format", "json", "-o", p(&saved)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let alone = json(&run(["doctor", p(&new), "--format", "json"]));
    assert!(findings(&alone, "ttl_leak").is_empty(), "{alone:#}");
    for base in [&old, &saved] {
        let doc = json(&run([
            "doctor",
            p(&new),
            "--format",
            "json",
            "--baseline",
            p(base),
        ]));
        let leaks = findings(&doc, "ttl_leak");
        assert_eq!(leaks.len(), 1, "{doc:#}");
        let f = leaks[0];
        assert_eq!(f["subject"], "queue:*");
        assert_eq!(
            f["evidence"]["reason"],
            "memory without TTL grew faster than the rest"
        );
        assert_eq!(f["evidence"]["rest_growth"], 0.0);
        assert_eq!(f["keys"], 200);
        let per_key = f["bytes_now"].as_u64().unwrap() / 200;
        assert_eq!(f["bytes_after"].as_u64().unwrap(), per_key * 20);
        assert_eq!(f["savings_bytes"].as_u64().unwrap(), per_key * 180);
    }
    let o = run([
        "doctor",
        p(&new),
        "--baseline",
        p(&saved),
        "--allocator",
        "libc",
    ]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(describe(&o).contains("other settings"), "{}", describe(&o));
}

/// LFU counters set on the server (RESTORE ... FREQ): the hottest key and
/// the next four are the server's, with their counters.
#[test]
fn live_doctor_hot_keys_are_the_servers() {
    let Some(doc) = planted(Some("--hot")) else {
        return;
    };
    let r = &doc["results"][0];
    assert_eq!(r["kind"], "hot_keys", "{doc:#}");
    let measured = r["measured_hottest"].as_array().unwrap();
    assert_eq!(r["subject"], measured[0][0], "{r:#}");
    assert_eq!(
        r["compared"]["predicted"], r["compared"]["measured"],
        "{r:#}"
    );
    let next: Vec<String> = measured[1..5]
        .iter()
        .map(|k| format!("{}={}", k[0].as_str().unwrap(), k[1]))
        .collect();
    assert_eq!(r["predicted_next"], next.join(" "), "{r:#}");
}

/// Options that would write over a dump, or a script that deletes keys
/// (`EXPIRE key 0`), are refused (from the new-user trial).
#[test]
fn unsafe_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = leaky_dump(dir.path());
    let copy = dir.path().join("copy.rdb");
    std::fs::copy(&f, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let s = dir.path().join("s.redis");
    for (args, says) in [
        (
            vec!["doctor", p(&copy), "-o", p(&copy)],
            "refusing to overwrite",
        ),
        (
            vec!["doctor", p(&copy), "--script", p(&copy)],
            "refusing to overwrite",
        ),
        (
            vec!["doctor", p(&copy), "--script", p(&s), "-o", p(&s)],
            "same file",
        ),
        (
            vec!["doctor", p(&copy), "--script", p(&s), "--ttl", "0"],
            "--ttl",
        ),
        (vec!["doctor", p(&copy), "--ttl", "60"], "--script"),
        (
            vec!["doctor", p(&copy), "--big-key", "2MB", "--huge-key", "1MB"],
            "smaller than",
        ),
        (vec!["doctor", p(&copy), "--big-key", "0"], "at least 1"),
        (vec!["doctor", p(&copy), "--trim-to", "0"], "--trim-to"),
        (
            vec!["doctor", p(&copy), p(&f), "--script", p(&s)],
            "one dump",
        ),
    ] {
        let o = run(args.iter());
        assert_eq!(exit_code(&o), 2, "{args:?}: {}", describe(&o));
        assert!(describe(&o).contains(says), "{args:?}: {}", describe(&o));
    }
    assert_eq!(std::fs::read(&copy).unwrap(), before, "the dump is intact");
}

/// The script matches keys the way the prefix tree cut them, not as a
/// glob (from the hostile trial): `*` is one id segment (numeric keys),
/// not every key; a leaf row `user:*:cart` names those keys and no others.
#[test]
fn the_script_expires_only_the_keys_of_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = redis70();
    for n in 0..20 {
        if n != 7 {
            r = r.expire_ms(CTIME_MS + 7_200_000 + n * 7919);
        }
        r = r.key(
            T_STRING,
            format!("{}", 1000 + n).as_bytes(),
            v_string(&[b'n'; 4000]),
        );
    }
    for n in 0..30 {
        if n >= 3 {
            r = r.expire_ms(CTIME_MS + 9_000_000 + n * 7919);
        }
        r = r.key(
            T_STRING,
            format!("user:{}:cart", 500 + n).as_bytes(),
            v_string(&[b'c'; 4000]),
        );
    }
    for k in ["important:config", "user:admin:cart", "10x"] {
        r = r.key(T_STRING, k.as_bytes(), v_string(b"keep me"));
    }
    let f = write(dir.path(), "globs.rdb", &r.finish(true));
    let script = dir.path().join("s.redis");
    let o = run([
        "doctor",
        p(&f),
        "--format",
        "json",
        "--min-savings",
        "1",
        "--script",
        p(&script),
    ]);
    let doc = json(&o);
    let mut subjects: Vec<&str> = findings(&doc, "ttl_leak")
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["*", "user:*:cart"], "{doc:#}");
    let text = std::fs::read_to_string(&script).unwrap();
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("EXPIRE "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "\"1007\"",
            "\"user:500:cart\"",
            "\"user:501:cart\"",
            "\"user:502:cart\""
        ],
        "{text}"
    );
}

/// Text views escape what a remedy quotes from the dump: a line break in
/// a key cannot forge a finding or a command line.
#[test]
fn remedies_cannot_forge_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = redis70();
    for n in 0..2000 {
        for (fld, v) in [("name", "ada lovelace"), ("mail", "ada@example.com")] {
            let key = format!("acct\n  1. [critical] FAKE\n     command: FLUSHALL\n:{n}:{fld}");
            r = r.key(T_STRING, key.as_bytes(), v_string(v.as_bytes()));
        }
    }
    let f = write(dir.path(), "nl.rdb", &r.finish(true));
    for cmd in ["doctor", "report"] {
        let o = run([cmd, p(&f)]);
        assert_eq!(exit_code(&o), 0, "{}", describe(&o));
        let out = stdout(&o);
        assert!(out.contains("entity_strings_to_hash"), "{out}");
        assert!(
            !out.lines()
                .any(|l| l.trim_start().starts_with("1. [critical] FAKE")
                    || l.trim_start() == "command: FLUSHALL"),
            "{out}"
        );
    }
}

/// Thousands of prefixes that each leak one key in ten: every one is a
/// finding, chosen in one pass over the rows (the hostile trial's 70,000
/// rows took over 20 s when each row was checked against every chosen one).
#[test]
fn many_leaking_prefixes_are_listed_up_to_top() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = redis70();
    for root in 0..5 {
        for child in 0..1000 {
            for k in 0..10 {
                if k > 0 {
                    r = r.expire_ms(CTIME_MS + 7_200_000 + (root * 10_000 + child * 10 + k) * 17);
                }
                let key = format!("r{root}:c{child}:k{k}");
                r = r.key(T_STRING, key.as_bytes(), v_string(b"v"));
            }
        }
    }
    let f = write(dir.path(), "rows.rdb", &r.finish(true));
    let doc = json(&run([
        "doctor",
        p(&f),
        "--format",
        "json",
        "--min-savings",
        "1",
        "--top",
        "5",
    ]));
    let leaks = findings(&doc, "ttl_leak");
    assert_eq!(leaks.len(), 5, "{doc:#}");
    // 5,000 child rows (`r0:c0:*`...) lead; their roots are covered by them.
    assert!(leaks.iter().all(|f| f["keys"] == 1), "{doc:#}");
    assert!(doc["more_findings"].as_u64().unwrap() >= 4995, "{doc:#}");
}

/// A prefix with a part (two keys or more) that has no TTL at all
/// (`acct:*:profile` beside `acct:*:session`) is no leak: a TTL on the
/// prefix would expire the profiles (from a new-user trial: `d0:*` of a
/// real dump, 60 % with TTL, was critical and the script gave its
/// leaderboard and streams a TTL). Its mixed parts, and stray keys without
/// TTL, still are leaks.
#[test]
fn a_part_without_any_ttl_is_not_a_leak() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = redis70();
    for n in 0..190 {
        r = r.expire_ms(CTIME_MS + 7_200_000 + n * 7919).key(
            T_STRING,
            format!("acct:{n}:session").as_bytes(),
            v_string(&[b's'; 200]),
        );
    }
    for n in 0..12 {
        r = r.key(
            T_STRING,
            format!("acct:{n}:profile").as_bytes(),
            v_string(&[b'p'; 200]),
        );
    }
    // A namespace of types (as a real dump's `d0:*`, 60 % with TTL): its
    // three zsets never have one; its strings mix, a leak of their own.
    for n in 0..100 {
        if n < 60 {
            r = r.expire_ms(CTIME_MS + 3_600_000 + n * 1000);
        }
        let kind = if n < 97 { "string" } else { "zset" };
        r = r.key(
            T_STRING,
            format!("db0:{kind}:{n}").as_bytes(),
            v_string(&[b'm'; 200]),
        );
    }
    // 5 strays among 100.
    for n in 0..100 {
        if n >= 5 {
            r = r.expire_ms(CTIME_MS + 3_600_000 + n * 1000);
        }
        r = r.key(
            T_STRING,
            format!("cart:{n}").as_bytes(),
            v_string(&[b'c'; 200]),
        );
    }
    let f = write(dir.path(), "parts.rdb", &r.finish(true));
    let doc = json(&run([
        "doctor",
        p(&f),
        "--format",
        "json",
        "--min-savings",
        "1",
    ]));
    let mut leaks: Vec<(&str, u64)> = findings(&doc, "ttl_leak")
        .iter()
        .map(|f| (f["subject"].as_str().unwrap(), f["keys"].as_u64().unwrap()))
        .collect();
    leaks.sort();
    assert_eq!(leaks, [("cart:*", 5), ("db0:string:*", 37)], "{doc:#}");
}

/// `compress_values` scales its sample up to the population, but never
/// past what a prefix holds (from a new-user trial: 814,795 keys and more
/// bytes than `user:*` has). Ten prefixes of 1,000 compressible values:
/// the sample of 2,048 draws about 205 from each, so some scale past 1,000.
#[test]
fn compressed_values_are_no_more_than_their_prefix_holds() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = redis70();
    for n in 0..10_000 {
        let value = format!("{{\"user\":{n},\"name\":\"{}\"}}", "abcdefgh".repeat(24));
        r = r.key(
            T_STRING,
            format!("p{}:{n}", n % 10).as_bytes(),
            v_string(value.as_bytes()),
        );
    }
    let f = write(dir.path(), "ten.rdb", &r.finish(true));
    let doc = json(&run(["report", p(&f), "--format", "json"]));
    let rows = doc["prefixes"].as_array().unwrap();
    let held = |prefix: &str| {
        let r = rows
            .iter()
            .find(|r| r["prefix"] == prefix)
            .unwrap_or_else(|| panic!("{prefix} not in {rows:?}"));
        (r["keys"].as_u64().unwrap(), r["bytes"].as_u64().unwrap())
    };
    let found = findings(&doc["doctor"], "compress_values");
    assert_eq!(found.len(), 10, "{:#}", doc["doctor"]);
    let mut capped = 0;
    for c in found {
        let (keys, bytes) = held(c["subject"].as_str().unwrap());
        assert_eq!(keys, 1000);
        let (k, now) = (
            c["keys"].as_u64().unwrap(),
            c["bytes_now"].as_u64().unwrap(),
        );
        assert!(
            k <= keys && now <= bytes,
            "{c} holds {keys} keys, {bytes} bytes"
        );
        assert!(k > 800, "{c}");
        capped += usize::from(k == keys);
    }
    assert!(
        capped > 0,
        "no prefix reached its count: the test shows nothing"
    );
}

/// Findings overlap: `tmp:*` values without TTL are a leak (all their
/// bytes) and compressible (most of them) at once. The total the doctor
/// says could be saved is capped at what the keys take (from a new-user
/// trial: 1.5 MiB "saved" of 1.3 MiB).
#[test]
fn overlapping_savings_are_capped_at_the_dump() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = redis70();
    for n in 0..200 {
        let value = format!("{{\"n\":{n},\"pad\":\"{}\"}}", "abcdefgh".repeat(64));
        r = r.key(
            T_STRING,
            format!("tmp:{n}").as_bytes(),
            v_string(value.as_bytes()),
        );
    }
    let f = write(dir.path(), "tmp.rdb", &r.finish(true));
    let doc = json(&run(["report", p(&f), "--format", "json"]));
    let d = &doc["doctor"];
    let total = doc["summary"]["estimated_bytes"].as_u64().unwrap();
    let sum: u64 = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["savings_bytes"].as_u64().unwrap())
        .sum();
    assert!(
        sum > total,
        "the findings must overlap for this test: {sum} of {total}"
    );
    assert_eq!(d["savings_bytes"].as_u64(), Some(total), "{d:#}");
}
