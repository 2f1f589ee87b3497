//! Regression tests for the single scan (issue "One scan, one report
//! document"): every command reads a dump the same way, the report
//! document round-trips, and the CI gate cannot pass or fail for the wrong
//! reason.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;

use crate::builder::*;
use crate::util::*;

const CTIME_S: i64 = 1_700_000_000;
const CTIME_MS: i64 = CTIME_S * 1000;

fn json(o: &Output) -> Value {
    assert_eq!(exit_code(o), 0, "{}", describe(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(o)))
}

/// A small Redis 7.0 dump: strings under a few prefixes, some with TTLs.
fn small_dump(dir: &Path, name: &str) -> PathBuf {
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for n in 0..30 {
        r = r.key(
            T_STRING,
            format!("user:{n}").as_bytes(),
            v_string(b"some value"),
        );
    }
    for n in 0..10 {
        r = r.expire_ms(CTIME_MS + 60_000).key(
            T_STRING,
            format!("session:{n}").as_bytes(),
            v_string(b"s"),
        );
    }
    write(dir, name, &r.finish(true))
}

/// A hash-template dump (RDB 15) whose templates are registered between
/// key records past the first parallel batch (2048 records), with 300 keys
/// expiring in the same second (an expiry cluster), then `words` string
/// keys with distinct first segments, expiring a second apart.
fn template_dump(words: u32) -> Vec<u8> {
    let mut r = Rdb::redis(15)
        .aux("redis-ver", "8.10.0")
        .aux("ctime", &CTIME_S.to_string())
        .hash_template(0, &[b"a", b"b"])
        .select_db(0);
    for n in 0..3000u32 {
        if n == 2500 {
            r = r.hash_template(7, &[b"name", b"email", b"age"]);
        }
        if n == 2800 {
            // The same id again: later keys use the new field names.
            r = r.hash_template(0, &[b"x", b"y", b"z", b"w"]);
        }
        let key = format!("u:{n}");
        // Every tenth key in one second (the cluster), the rest spread out.
        r = r.expire_ms(if n % 10 == 0 {
            CTIME_MS + 3_600_000
        } else {
            CTIME_MS + 7_200_000 + n as i64 * 1000
        });
        r = if n >= 2800 {
            r.key(
                T_HASH_TMPL_LP_REF,
                key.as_bytes(),
                v_hash_tmpl_lp_ref(0, &[s("1"), s("2"), s("3"), s("4")]),
            )
        } else if n >= 2500 {
            r.key(
                T_HASH_TMPL_LP_REF,
                key.as_bytes(),
                v_hash_tmpl_lp_ref(7, &[s("ann"), s("a@x.io"), i(40)]),
            )
        } else {
            r.key(
                T_HASH_TMPL_ARRAY_REF,
                key.as_bytes(),
                v_hash_tmpl_array_ref(0, &[string(b"1"), string_int(n as i64)]),
            )
        };
    }
    for n in 0..words {
        let mut word = b"w".to_vec();
        let mut x = n;
        for _ in 0..4 {
            word.push(b'a' + (x % 26) as u8);
            x /= 26;
        }
        r = r
            .expire_ms(CTIME_MS + 36_000_000 + i64::from(n) * 1000)
            .key(T_STRING, &word, v_string(b"v"));
    }
    r.finish(true)
}

/// The scan names expiry clusters from the first prefix segments it kept;
/// past 65,536 distinct ones it gives them up, and the cluster is named by
/// a second walk that resumes at the scan's checkpoints, with the
/// templates registered there. Both name it alike.
#[test]
fn hash_templates_past_the_first_batch_report_like_a_linear_scan() {
    for words in [0, 70_000] {
        templates_report_like_a_linear_scan(words);
    }
}

fn templates_report_like_a_linear_scan(words: u32) {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "tmpl.rdb", &template_dump(words));
    let keys = 3000 + u64::from(words);
    let v = run(["verify", "--format", "json", p(&f)]);
    let v: Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["keys"], keys);
    // The linear reference: `keys` walks the file in order.
    let rows = run(["keys", "--format", "jsonl", p(&f)]);
    assert_eq!(exit_code(&rows), 0, "{}", describe(&rows));
    let rows: Vec<Value> = json_lines(&rows);
    assert_eq!(rows.len() as u64, keys);
    let total: u64 = rows
        .iter()
        .map(|r| r["size_in_bytes"].as_u64().unwrap())
        .sum();
    let mut first = None;
    for threads in ["1", "2", "4"] {
        let o = run([
            "report",
            "--quiet",
            "--format",
            "json",
            "--threads",
            threads,
            p(&f),
        ]);
        let r = json(&o);
        assert_eq!(r["summary"]["keys"], keys, "--threads {threads}");
        assert_eq!(
            r["summary"]["estimated_bytes"], total,
            "--threads {threads}"
        );
        let clusters = r["expiry"]["clusters"].as_array().unwrap();
        assert!(!clusters.is_empty(), "{}", r["expiry"]);
        assert_eq!(clusters[0]["at_ms"], CTIME_MS + 3_600_000);
        assert_eq!(clusters[0]["keys"], 300);
        assert_eq!(clusters[0]["top_prefixes"][0]["prefix"], "u:*");
        assert_eq!(clusters[0]["top_prefixes"][0]["keys"], 300);
        let same = first.get_or_insert_with(|| o.stdout.clone());
        assert_eq!(*same, o.stdout, "--threads {threads} differs");
    }
    // The template redefined at record 2800 gives those keys 4 fields.
    let dump = run(["dump", p(&f)]);
    let lines = json_lines(&dump);
    assert_eq!(lines[2900]["value"]["w"], "4", "{}", lines[2900]);
    assert_eq!(lines[2600]["value"]["email"], "a@x.io", "{}", lines[2600]);
}

#[test]
fn every_command_exits_2_on_a_checksum_mismatch() {
    let d = tempfile::tempdir().unwrap();
    let good = small_dump(d.path(), "good.rdb");
    let mut bytes = std::fs::read(&good).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0x5a;
    let bad = write(d.path(), "bad.rdb", &bytes);
    let rules = write(d.path(), "rules.toml", b"max_key_bytes = \"1MB\"\n");
    let stored_at = (n - 8).to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["verify", p(&bad)],
        vec!["dump", p(&bad)],
        vec!["keys", p(&bad)],
        vec!["keys", "--format", "jsonl", p(&bad)],
        vec!["report", p(&bad)],
        vec!["bigkeys", p(&bad)],
        vec!["prefixes", p(&bad)],
        vec!["expiry", p(&bad)],
        vec!["check", p(&bad), "--rules", p(&rules)],
        vec!["diff", p(&good), p(&bad)],
    ];
    for args in cases {
        let o = run(&args);
        assert_eq!(exit_code(&o), 2, "{args:?}: {}", describe(&o));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
        .to_lowercase();
        assert!(all.contains("checksum mismatch"), "{args:?}: {all}");
        if args[0] != "verify" {
            assert!(
                all.contains(&format!("at offset {stored_at}")),
                "{args:?}: the error names the stored checksum's offset: {all}"
            );
        }
    }
    // The same dump intact: every command succeeds.
    for args in [vec!["keys", p(&good)], vec!["report", p(&good)]] {
        assert_eq!(exit_code(&run(&args)), 0, "{args:?}");
    }
}

#[test]
fn report_json_round_trips_through_diff_on_stdin() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "a.rdb");
    let report = run(["report", "--quiet", "--format", "json", p(&f)]);
    let doc = json(&report);
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["made_with"]["allocator"], "jemalloc");
    assert_eq!(doc["rdbscope_version"], env!("CARGO_PKG_VERSION"));
    let mut child = bin()
        .args(["diff", "--format", "json", "-", p(&f)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&report.stdout)
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let v = json(&o);
    assert_eq!(v["total"]["bytes_change"], 0, "{v}");
    assert_eq!(v["total"]["keys_change"], 0, "{v}");
    assert_eq!(v["total"]["keys_after"], 40);
    for row in v["prefixes"].as_array().unwrap() {
        assert_eq!(row["bytes_change"], 0, "{row}");
    }
    assert_eq!(v["settings_differ"], serde_json::json!([]));
    // A renamed field is an error, not a zero.
    let text = String::from_utf8(report.stdout.clone())
        .unwrap()
        .replace("\"estimated_bytes\"", "\"estimated_byte\"");
    let saved = write(d.path(), "renamed.json", text.as_bytes());
    let o = run(["diff", p(&saved), p(&f)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("estimated_byte"),
        "{}",
        describe(&o)
    );
}

#[test]
fn diff_refuses_sides_made_with_other_settings() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "a.rdb");
    // The same dump under matching settings: exactly zero.
    let v = json(&run(["diff", "--format", "json", p(&f), p(&f)]));
    assert_eq!(v["total"]["bytes_change"], 0);
    // A baseline made with another allocator or a filter is refused.
    for extra in [
        vec!["--allocator", "jemalloc-q16"],
        vec!["--match", "user:*"],
        vec!["--target", "redis-7.2"],
        vec!["--depth", "1"],
    ] {
        let mut args = vec!["report", "--quiet", "--format", "json", p(&f)];
        args.extend(&extra);
        let base = run(&args);
        assert_eq!(exit_code(&base), 0, "{}", describe(&base));
        let saved = write(d.path(), "base.json", &base.stdout);
        let o = run(["diff", p(&saved), p(&f)]);
        assert_eq!(exit_code(&o), 2, "{extra:?}: {}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--allow-profile-mismatch"), "{extra:?}: {err}");
        // Asked for, it compares and says so.
        let o = run([
            "diff",
            "--allow-profile-mismatch",
            "--format",
            "json",
            p(&saved),
            p(&f),
        ]);
        let v = json(&o);
        assert!(
            !v["settings_differ"].as_array().unwrap().is_empty(),
            "{extra:?}: {v}"
        );
        let text = run(["diff", "--allow-profile-mismatch", p(&saved), p(&f)]);
        assert!(
            stdout(&text).contains("warning: compared although made differently"),
            "{}",
            describe(&text)
        );
    }
}

/// `check` with `rules` (TOML) beside a baseline of `base` over `dump`.
fn check(dir: &Path, rules: &str, dump: &Path) -> (i32, Value, String) {
    let r = write(dir, "rules.toml", rules.as_bytes());
    let o = run([
        "check",
        "--quiet",
        "--format",
        "json",
        p(dump),
        "--rules",
        p(&r),
    ]);
    let code = exit_code(&o);
    let v = if code == 2 {
        Value::Null
    } else {
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
    };
    (code, v, String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn gate_rules_that_match_nothing_or_say_nothing() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "a.rdb");
    // Empty and rule-less files are errors, not "0 rules passed".
    for text in ["", "# only a comment\n", "require_ttl = []\n"] {
        let (code, _, err) = check(d.path(), text, &f);
        assert_eq!(code, 2, "{text:?}: {err}");
        assert!(err.contains("no rules"), "{text:?}: {err}");
    }
    // A typo'd or glob-less pattern fails its rule.
    for (rules, label) in [
        ("require_ttl = [\"sesion:*\"]\n", "require_ttl \"sesion:*\""),
        (
            "[max_prefix_bytes]\n\"user\" = \"1MB\"\n",
            "max_prefix_bytes \"user\" = 1MB",
        ),
        (
            "[allowed_encodings]\n\"usr:*\" = [\"embstr\"]\n",
            "allowed_encodings \"usr:*\" = [\"embstr\"]",
        ),
    ] {
        let (code, v, err) = check(d.path(), rules, &f);
        assert_eq!(code, 1, "{rules}: {err}");
        let r = v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == label)
            .unwrap_or_else(|| panic!("{label}: {v}"));
        assert_eq!(r["ok"], false);
        let m = r["message"].as_str().unwrap();
        assert!(
            m.starts_with("no key matches") || m.starts_with("no string key matches"),
            "{r}"
        );
    }
    // An encoding rule applies to the types that can have those encodings:
    // strings under user:* say nothing about ["listpack"].
    let (code, v, err) = check(
        d.path(),
        "[allowed_encodings]\n\"user:*\" = [\"embstr\"]\n\"session:*\" = { encodings = [\"listpack\"], allow_empty = true }\n",
        &f,
    );
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(
        v["rules"][0]["message"],
        "0 of 0 hash/list/set/zset keys matching \"session:*\" have another encoding"
    );
    // Unless the rule says an empty match is expected.
    let (code, _, err) = check(
        d.path(),
        "require_ttl = [\"session:*\", { pattern = \"tmp:*\", allow_empty = true }]\n",
        &f,
    );
    assert_eq!(code, 0, "{err}");
    // An unknown encoding is an error naming its line.
    let (code, _, err) = check(
        d.path(),
        "max_elements = 5\n[allowed_encodings]\n\"user:*\" = [\"listpak\"]\n",
        &f,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 3") && err.contains("listpak"), "{err}");
    // A misspelled option of a rule is an error too.
    let (code, _, err) = check(
        d.path(),
        "require_ttl = [{ pattern = \"user:*\", allow_emtpy = true }]\n",
        &f,
    );
    assert_eq!(code, 2, "{err}");
}

/// A dump with `families` prefixes of 3 keys each, the last `grow`n.
fn families(dir: &Path, name: &str, families: usize, grow: usize, extra: Option<&str>) -> PathBuf {
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for fam in 0..families {
        let value = if fam + 1 == families {
            vec![b'v'; 100 + grow]
        } else {
            vec![b'v'; 2000 - fam * 10]
        };
        for n in 0..3 {
            r = r.key(
                T_STRING,
                format!("fam{fam}:{n}").as_bytes(),
                v_string(&value),
            );
        }
    }
    if let Some(prefix) = extra {
        for n in 0..550 {
            r = r.key(
                T_STRING,
                format!("{prefix}:{n}").as_bytes(),
                v_string(&[b't'; 1000]),
            );
        }
    }
    write(dir, name, &r.finish(true))
}

#[test]
fn gate_growth_covers_every_prefix_and_new_ones() {
    let d = tempfile::tempdir().unwrap();
    let before = families(d.path(), "before.rdb", 30, 0, None);
    let base = run(["report", "--quiet", "--format", "json", p(&before)]);
    let doc = json(&base);
    // The smallest family is far below the top 20 rows, but in the totals.
    let listed: Vec<&str> = doc["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["prefix"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&"fam29:*"), "{listed:?}");
    assert!(
        doc["prefix_totals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["prefix"] == "fam29:*"),
        "{doc}"
    );
    write(d.path(), "baseline.json", &base.stdout);
    let rules =
        "baseline = \"baseline.json\"\nmax_growth = \"10%\"\nmax_new_prefix_bytes = \"100KB\"\n";
    // Unchanged data passes.
    let (code, v, err) = check(d.path(), rules, &before);
    assert_eq!(code, 0, "{v} {err}");
    // The smallest family grows 10x: flagged though it was never listed.
    let after = families(d.path(), "after.rdb", 30, 1000, None);
    let (code, v, err) = check(d.path(), rules, &after);
    assert_eq!(code, 1, "{err}");
    let per_prefix = &v["rules"][1];
    assert_eq!(per_prefix["rule"], "max_growth = 10% (per prefix)");
    assert_eq!(per_prefix["offenders"][0]["key"], "fam29:*", "{per_prefix}");
    // A new prefix of ~550 KB is flagged by max_new_prefix_bytes.
    let new = families(d.path(), "new.rdb", 30, 0, Some("tmp"));
    let (code, v, err) = check(d.path(), rules, &new);
    assert_eq!(code, 1, "{err}");
    let r = &v["rules"][2];
    assert_eq!(r["rule"], "max_new_prefix_bytes = 100KB");
    assert_eq!(r["ok"], false);
    assert_eq!(r["offenders"][0]["key"], "tmp:*", "{r}");
    // A baseline made with a filter is refused, not compared.
    let filtered = run([
        "report",
        "--quiet",
        "--format",
        "json",
        "--match",
        "fam1:*",
        p(&before),
    ]);
    write(d.path(), "baseline.json", &filtered.stdout);
    let (code, _, err) = check(d.path(), rules, &before);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--match fam1:*"), "{err}");
}

#[test]
fn cli_rejects_unknown_names_and_says_when_a_db_matches_nothing() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "a.rdb");
    for args in [
        vec!["keys", "--type", "sorted-set", p(&f)],
        vec!["report", "--type", "strng", p(&f)],
        vec!["report", "--target", "redis-9.0", p(&f)],
        vec!["report", "--target", "redis-3.2", p(&f)],
        vec!["keys", "--target", "valkey-8.2", p(&f)],
        vec!["prefixes", "--depth", "0", p(&f)],
        vec!["prefixes", "--depth", "60000", p(&f)],
    ] {
        let o = run(&args);
        assert_eq!(exit_code(&o), 2, "{args:?}: {}", describe(&o));
    }
    // redis-rdb-tools' spelling of zset is accepted.
    let o = run(["keys", "--type", "sortedset", p(&f)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    // Subcommands have no stray -V.
    let o = run(["report", "-V", p(&f)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    for args in [
        vec!["report", "--db", "9", p(&f)],
        vec!["keys", "--db", "9", p(&f)],
    ] {
        let o = run(&args);
        assert_eq!(exit_code(&o), 0, "{}", describe(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--db 9"),
            "{args:?}: {}",
            describe(&o)
        );
    }
    // Every subcommand's help ends with examples.
    for cmd in [
        "verify", "dump", "keys", "report", "bigkeys", "prefixes", "expiry", "check", "diff",
    ] {
        let o = run([cmd, "--help"]);
        let help = stdout(&o);
        let tail = help.rsplit("Examples:").next().unwrap();
        assert!(
            help.contains("Examples:") && tail.matches("rdbscope ").count() >= 2,
            "{cmd}: {help}"
        );
    }
    // -o on every command that prints.
    for cmd in [
        "verify", "report", "bigkeys", "prefixes", "expiry", "keys", "dump",
    ] {
        let out = d.path().join(format!("{cmd}.out"));
        let o = run([cmd, p(&f), "-o", p(&out)]);
        assert_eq!(exit_code(&o), 0, "{cmd}: {}", describe(&o));
        assert!(o.stdout.is_empty(), "{cmd} printed to stdout with -o");
        assert!(std::fs::metadata(&out).unwrap().len() > 0, "{cmd}");
    }
}

/// 20,000 templates, each followed by a key that uses it: every batch sees
/// a new template. Snapshots are persistent maps, so this stays linear (it
/// took 30–48 s when the list was cloned per record).
#[test]
fn many_interleaved_hash_templates_stay_linear() {
    let d = tempfile::tempdir().unwrap();
    let mut r = Rdb::redis(15)
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for n in 0..20_000u64 {
        r = r.hash_template(n, &[b"f"]).key(
            T_HASH_TMPL_ARRAY_REF,
            format!("k:{n}").as_bytes(),
            v_hash_tmpl_array_ref(n, &[string(b"v")]),
        );
    }
    let f = write(d.path(), "many.rdb", &r.finish(true));
    let start = std::time::Instant::now();
    for cmd in ["report", "verify"] {
        let o = run([cmd, p(&f)]);
        assert_eq!(exit_code(&o), 0, "{cmd}: {}", describe(&o));
    }
    let v = json(&run(["report", "--quiet", "--format", "json", p(&f)]));
    assert_eq!(v["summary"]["keys"], 20_000);
    assert_eq!(v["summary"]["by_type"]["hash"]["keys"], 20_000);
    // Not a timing test: a guard far above the expected well-under-a-second
    // (debug build), against a return of the quadratic behaviour.
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

#[test]
fn messages_users_met_in_a_trial() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "a.rdb");
    // An unreadable input is named once, with its cause once.
    let o = run(["report", "/nonexistent/x.rdb"]);
    assert_eq!(exit_code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    assert_eq!(err.matches("/nonexistent/x.rdb").count(), 1, "{err}");
    // `-o csv` is a slip for `--format csv`.
    let o = bin()
        .current_dir(d.path())
        .args(["keys", p(&f), "-o", "csv"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format csv"));
    assert!(!d.path().join("csv").exists());
    // `json` is accepted for the JSON-lines commands.
    assert_eq!(exit_code(&run(["keys", "--format", "json", p(&f)])), 0);
    // Standard input cannot be read twice.
    for args in [
        vec!["diff", "-", "-"],
        vec!["report", "-", "-"],
        vec!["verify", "-", "-"],
    ] {
        let o = run(&args);
        assert_eq!(exit_code(&o), 2, "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("more than once"),
            "{args:?}: {}",
            describe(&o)
        );
    }
}

#[test]
fn a_new_prefix_family_is_reported_once() {
    let d = tempfile::tempdir().unwrap();
    let before = families(d.path(), "before.rdb", 5, 0, None);
    let base = run(["report", "--quiet", "--format", "json", p(&before)]);
    write(d.path(), "baseline.json", &base.stdout);
    // `tmp:*` is new, and so is everything under it.
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0);
    for fam in 0..5 {
        for n in 0..3 {
            r = r.key(
                T_STRING,
                format!("fam{fam}:{n}").as_bytes(),
                v_string(&vec![b'v'; 2000 - fam * 10]),
            );
        }
    }
    for n in 0..200 {
        r = r.key(
            T_STRING,
            format!("tmp:blob:{n}").as_bytes(),
            v_string(&[b't'; 1000]),
        );
    }
    let after = write(d.path(), "after.rdb", &r.finish(true));
    let (code, v, err) = check(
        d.path(),
        "baseline = \"baseline.json\"\nmax_new_prefix_bytes = \"1KB\"\n",
        &after,
    );
    assert_eq!(code, 1, "{err}");
    let rule = &v["rules"][0];
    assert_eq!(rule["offender_count"], 1, "{rule}");
    assert_eq!(rule["offenders"][0]["key"], "tmp:*", "{rule}");
    assert_eq!(rule["offenders"][0]["db"], Value::Null, "{rule}");
}

#[test]
fn the_json_of_a_view_is_named_when_given_as_a_report() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "a.rdb");
    for cmd in ["bigkeys", "prefixes", "expiry"] {
        let o = run([cmd, "--format", "json", p(&f)]);
        let saved = write(d.path(), "view.json", &o.stdout);
        let o = run(["diff", p(&saved), p(&f)]);
        assert_eq!(exit_code(&o), 2, "{cmd}: {}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("the JSON of `rdbscope {cmd}`")),
            "{cmd}: {err}"
        );
    }
}

/// Runs `args` with `data` written to its stdin in small, uneven pieces
/// with pauses, so the scan keeps catching up with the copy of the stream
/// and reads records that are only partly there.
fn run_trickled(args: &[&str], data: &[u8], seed: u64) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = std::thread::spawn(move || {
        let mut x = seed | 1;
        let mut at = 0;
        while at < data.len() {
            // xorshift: piece sizes from 1 byte to 16 KiB, pauses now and then.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = 1 + (x % [7, 300, 16384][(x >> 20) as usize % 3]) as usize;
            let end = (at + n).min(data.len());
            if stdin.write_all(&data[at..end]).is_err() {
                return;
            }
            let _ = stdin.flush();
            if x.is_multiple_of(5) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            at = end;
        }
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    o
}

/// A dump read from a pipe while it arrives gives the same answers as the
/// same file read whole: every command, every fixture and corpus file
/// (valid or broken: the same error at the same offset).
#[test]
fn a_stream_read_as_it_arrives_gives_the_answers_of_the_file() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/redis-7.0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rdb"))
        .collect();
    if let Some(shared) = shared() {
        files.extend(
            std::fs::read_dir(shared.join("corpus"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "rdb")),
        );
    }
    files.sort();
    assert!(files.len() > 5);
    let commands: [&[&str]; 4] = [
        &["verify", "--format", "json"],
        &["report", "--format", "json"],
        &["dump"],
        &["keys", "--format", "csv"],
    ];
    for (i, f) in files.iter().enumerate() {
        let data = std::fs::read(f).unwrap();
        for (j, cmd) in commands.iter().enumerate() {
            let whole = run(cmd.iter().copied().chain([p(f)]));
            let args: Vec<&str> = cmd.iter().copied().chain(["-"]).collect();
            let piped = run_trickled(&args, &data, (i * 31 + j) as u64);
            let name = p(f);
            let same = |o: &Output| String::from_utf8_lossy(&o.stdout).replace(name, "-");
            assert_eq!(
                (exit_code(&piped), same(&piped)),
                (exit_code(&whole), same(&whole)),
                "{cmd:?} {name}"
            );
            let err = |o: &Output| String::from_utf8_lossy(&o.stderr).replace(name, "-");
            assert_eq!(err(&piped), err(&whole), "{cmd:?} {name}");
        }
    }
}

/// `-o` (or `--junit`) naming an input, by any path or link, is refused
/// before anything is written: the dump stays as it was.
#[test]
fn an_output_file_that_is_an_input_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "self.rdb");
    let before = std::fs::read(&f).unwrap();
    let link = d.path().join("link.rdb");
    std::os::unix::fs::symlink(&f, &link).unwrap();
    let rules = d.path().join("rules.toml");
    std::fs::write(&rules, "max_key_bytes = 1000\n").unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["report", p(&f), "-o", p(&f)],
        vec!["bigkeys", p(&f), "-o", p(&link)],
        vec!["dump", p(&f), "-o", p(&f)],
        vec!["verify", p(&f), "-o", p(&link)],
        vec!["keys", p(&f), "-o", p(&f)],
        vec!["diff", p(&f), p(&f), "-o", p(&f)],
        vec!["check", p(&f), "--rules", p(&rules), "--junit", p(&f)],
        vec!["check", p(&f), "--rules", p(&rules), "--junit", p(&rules)],
    ];
    for args in cases {
        let o = run(&args);
        assert_eq!(exit_code(&o), 2, "{args:?}: {}", describe(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("refusing to overwrite it"),
            "{args:?}: {}",
            describe(&o)
        );
        assert_eq!(std::fs::read(&f).unwrap(), before, "{args:?}");
    }
    assert_eq!(
        std::fs::read_to_string(&rules).unwrap(),
        "max_key_bytes = 1000\n"
    );
    // The same dump twice (another path, a link) would be counted twice.
    for cmd in ["report", "bigkeys", "prefixes", "expiry"] {
        let o = run([cmd, p(&f), p(&link)]);
        assert_eq!(exit_code(&o), 2, "{cmd}: {}", describe(&o));
        assert!(
            describe(&o).contains("are the same file"),
            "{}",
            describe(&o)
        );
    }
}

/// The profile follows the dump's AUX version only where the RDB version
/// agrees (a test file saying `redis-ver 999.999.999` in RDB 9 is not from
/// a future Redis); the allocator is said to be assumed unless given.
#[test]
fn the_profile_agrees_with_the_rdb_version_and_the_allocator_is_named() {
    let d = tempfile::tempdir().unwrap();
    let dump = |name: &str, version: u32, ver: &str| {
        let r = Rdb::redis(version)
            .aux("redis-ver", ver)
            .select_db(0)
            .key(T_STRING, b"k", v_string(b"v"))
            .finish(true);
        write(d.path(), name, &r)
    };
    let cases = [
        ("future.rdb", 9, "999.999.999", "redis-6.2", true),
        ("old-writer.rdb", 11, "6.2.14", "redis-7.2", true),
        ("agrees.rdb", 10, "7.0.15", "redis-7.0", false),
        ("v12.rdb", 12, "8.2.3", "redis-8.2", false),
    ];
    for (name, version, ver, want, warned) in cases {
        let f = dump(name, version, ver);
        let v = json(&run(["report", "--format", "json", p(&f)]));
        let file = &v["files"][0];
        assert_eq!(
            file["profile"],
            format!("{want} jemalloc"),
            "{name}: {file}"
        );
        let warnings = file["warnings"].to_string();
        assert_eq!(
            warnings.contains("cannot have written RDB version"),
            warned,
            "{name}: {warnings}"
        );
        assert!(
            file["profile_reason"]
                .as_str()
                .unwrap()
                .contains("jemalloc assumed"),
            "{name}: {file}"
        );
        let v = json(&run([
            "report",
            "--format",
            "json",
            "--allocator",
            "jemalloc",
            p(&f),
        ]));
        assert!(
            !v["files"][0]["profile_reason"]
                .as_str()
                .unwrap()
                .contains("assumed"),
            "{name}"
        );
    }
}

/// Dumps of two server versions (a before/after-upgrade diff) differ in
/// profile: the refusal names `--target`, which compares them as one
/// server; OLD dumped after NEW is warned about (both from a new-user
/// trial).
#[test]
fn diff_of_two_server_versions() {
    let d = tempfile::tempdir().unwrap();
    let dump = |name: &str, rdb: u32, ver: &str, ctime: i64| {
        let r = Rdb::redis(rdb)
            .aux("redis-ver", ver)
            .aux("ctime", &ctime.to_string())
            .select_db(0)
            .key(T_STRING, b"user:1", v_string(b"some value"));
        write(d.path(), name, &r.finish(true))
    };
    let old = dump("old.rdb", 9, "6.2.16", CTIME_S + 86_400);
    let new = dump("new.rdb", 10, "7.0.15", CTIME_S);
    let o = run(["diff", p(&old), p(&new)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("profile: redis-6.2 jemalloc vs redis-7.0 jemalloc")
            && err.contains("--target NAME measures both as one server"),
        "{err}"
    );
    let o = run(["diff", "--target", "redis-7.0", p(&old), p(&new)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning: OLD was dumped after NEW"), "{err}");
    let o = run(["diff", "--target", "redis-7.0", p(&new), p(&old)]);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("dumped after"),
        "{}",
        describe(&o)
    );
}

/// A dump without an AUX ctime: the expiry text says TTLs cannot be
/// measured instead of claiming them measured from it, and counts no
/// expired keys (from a new-user trial).
#[test]
fn expiry_without_ctime_says_so() {
    let d = tempfile::tempdir().unwrap();
    let f = Rdb::redis(9)
        .select_db(0)
        .expire_ms(CTIME_MS)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let f = write(d.path(), "no-ctime.rdb", &f);
    let text = stdout(&run(["expiry", p(&f)]));
    assert!(
        text.contains("Expiry (the dump has no ctime: expiry times are absolute; TTLs and expired keys cannot be measured)")
            && !text.contains("measured from the dump's ctime")
            && !text.contains("expired at dump time"),
        "{text}"
    );
    let with = small_dump(d.path(), "ctime.rdb");
    let text = stdout(&run(["expiry", p(&with)]));
    assert!(
        text.contains("Expiry (measured from the dump's ctime)"),
        "{text}"
    );
}

/// A write error names where the output went: stdout or the `-o` file
/// (from a new-user trial: `report > /dev/full` said only "No space left on
/// device").
#[test]
fn write_errors_name_the_output() {
    let d = tempfile::tempdir().unwrap();
    let f = small_dump(d.path(), "a.rdb");
    for command in ["report", "keys", "verify"] {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let o = bin().args([command, p(&f)]).stdout(full).output().unwrap();
        assert_eq!(exit_code(&o), 2, "{command}: {}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("cannot write stdout: No space left on device"),
            "{command}: {err}"
        );
    }
    let o = run(["report", p(&f), "-o", "/dev/full"]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("cannot write /dev/full: No space left on device"),
        "{}",
        describe(&o)
    );
}
