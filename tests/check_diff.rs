//! Acceptance tests for `rdbscope check` (rules over a dump, for CI gates)
//! and `rdbscope diff` (what changed between two dumps or a dump and a saved
//! report).
//!
//! Every dump is written by the test-only builder into a temporary directory
//! with values chosen so each rule's verdict is unambiguous. Where a limit
//! depends on the memory estimate (`max_prefix_bytes`, `max_no_ttl_share`),
//! the numbers come from `rdbscope keys --format jsonl` on the same dump, the
//! independent per-key reference, and the limit is set exactly at or just
//! beside the measured value.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::builder::*;
use crate::util::*;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// AUX `ctime` of every dump here, seconds.
const CTIME_S: i64 = 1_700_000_000;
const CTIME_MS: i64 = CTIME_S * 1000;
/// An expiry an hour after ctime (`2023-11-14T23:13:20Z`).
const HOUR_AFTER_MS: i64 = CTIME_MS + 3_600_000;

/// A Redis 7.0 dump header, db 0 selected.
fn head() -> Rdb {
    Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string())
        .select_db(0)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One JSON document on stdout.
fn json_doc(o: &Output) -> Value {
    let v = json_lines(o);
    assert_eq!(v.len(), 1, "expected one JSON document\n{}", describe(o));
    v.into_iter().next().unwrap()
}

/// Writes `rules.toml` into `dir`.
fn rules(dir: &Path, text: &str) -> PathBuf {
    write(dir, "rules.toml", text.as_bytes())
}

/// `check DUMPS --rules RULES --format json`; returns the exit code and the document.
fn check_json(dumps: &[&Path], rules: &Path) -> (i32, Value) {
    let mut args: Vec<String> = vec!["check".into(), "--quiet".into()];
    args.extend(dumps.iter().map(|d| p(d).to_string()));
    args.extend([
        "--rules".into(),
        p(rules).into(),
        "--format".into(),
        "json".into(),
    ]);
    let o = run(&args);
    let code = exit_code(&o);
    assert!(code == 0 || code == 1, "check failed\n{}", describe(&o));
    let v = json_doc(&o);
    // The overall verdict agrees with the exit code and with the rules.
    let all_ok = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["ok"] == true);
    assert_eq!(v["ok"], Value::Bool(all_ok), "{v:#}");
    assert_eq!(code, if all_ok { 0 } else { 1 }, "{v:#}");
    assert_eq!(v["schema_version"], 1);
    (code, v)
}

/// The rule whose label is exactly `label`.
fn rule<'a>(doc: &'a Value, label: &str) -> &'a Value {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == label)
        .unwrap_or_else(|| panic!("no rule {label:?} in {doc:#}"))
}

/// Offender keys of a rule, in output order.
fn offender_keys(r: &Value) -> Vec<String> {
    r["offenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Asserts a passing rule: ok, no offenders.
fn assert_pass(r: &Value) {
    assert_eq!(r["ok"], true, "{r:#}");
    assert_eq!(r["offender_count"], 0, "{r:#}");
    assert_eq!(r["offenders"].as_array().unwrap().len(), 0, "{r:#}");
}

/// `keys --format jsonl` rows of a dump.
fn key_rows(dump: &Path) -> Vec<Value> {
    let o = run(["keys", "--format", "jsonl", p(dump)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    json_lines(&o)
}

fn row<'a>(rows: &'a [Value], key: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no key {key:?} in keys output"))
}

fn bytes_of(rows: &[Value], key: &str) -> u64 {
    row(rows, key)["size_in_bytes"].as_u64().unwrap()
}

/// `report --format json` of a dump.
fn report(dump: &Path) -> Value {
    let o = run(["report", "--quiet", "--format", "json", p(dump)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    json_doc(&o)
}

/// `check` that must exit 2; returns stderr.
fn check_error(dumps: &[&Path], rules: &Path) -> String {
    let mut args: Vec<String> = vec!["check".into(), "--quiet".into()];
    args.extend(dumps.iter().map(|d| p(d).to_string()));
    args.extend(["--rules".into(), p(rules).into()]);
    let o = run(&args);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(
        o.stdout.is_empty(),
        "no verdict on an error\n{}",
        describe(&o)
    );
    let e = stderr(&o);
    assert!(!e.trim().is_empty(), "an error message is expected");
    e
}

/// A small valid dump (one string, no TTL).
fn tiny(dir: &Path) -> PathBuf {
    write(
        dir,
        "tiny.rdb",
        &head().key(T_STRING, b"k", v_string(b"v")).finish(true),
    )
}

// ---------------------------------------------------------------------------
// max_key_bytes
// ---------------------------------------------------------------------------

fn key_bytes_dump(dir: &Path, with_big: bool) -> PathBuf {
    let mut r = head().key(T_STRING, b"small:str", v_string(&[b's'; 100]));
    r = r.key(T_HASH, b"small:hash", v_hash(&[(b"f", b"v")]));
    if with_big {
        r = r.key(T_STRING, b"big:str", v_string(&vec![b'x'; 3_000_000]));
    }
    write(dir, "keybytes.rdb", &r.finish(true))
}

#[test]
fn max_key_bytes_passes() {
    let d = tempfile::tempdir().unwrap();
    let dump = key_bytes_dump(d.path(), false);
    let rows = key_rows(&dump);
    assert!(bytes_of(&rows, "small:str") < 1_000);
    let rules = rules(d.path(), "max_key_bytes = \"1MB\"\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    assert_eq!(v["rules"].as_array().unwrap().len(), 1);
    assert_pass(rule(&v, "max_key_bytes = 1MB"));
}

#[test]
fn max_key_bytes_fails_naming_the_big_key() {
    let d = tempfile::tempdir().unwrap();
    let dump = key_bytes_dump(d.path(), true);
    let rows = key_rows(&dump);
    let big = bytes_of(&rows, "big:str");
    assert!(big >= 3_000_000, "{big}");
    let rules = rules(d.path(), "max_key_bytes = \"1MB\"\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, "max_key_bytes = 1MB");
    assert_eq!(r["ok"], false);
    assert_eq!(r["offender_count"], 1);
    assert_eq!(offender_keys(r), ["big:str"]);
    let o = &r["offenders"][0];
    assert_eq!(o["db"], 0);
    assert_eq!(
        o["bytes"].as_u64(),
        Some(big),
        "offender bytes = keys size_in_bytes"
    );
    assert!(
        o["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{big} bytes (string/")),
        "{o}"
    );
    assert_eq!(r["message"], "1 key uses more than 1MB (1000000 bytes)");
}

#[test]
fn max_key_bytes_units() {
    // KiB/MiB are powers of 1024, KB/MB of 1000; a bare number or `B` is
    // bytes. The rule label shows the parsed limit, and limits in different
    // units either side of a key's estimate decide pass or fail.
    let d = tempfile::tempdir().unwrap();
    let dump = write(
        d.path(),
        "units.rdb",
        &head()
            .key(T_STRING, b"mid", v_string(&[b'm'; 1_990]))
            .finish(true),
    );
    let b = bytes_of(&key_rows(&dump), "mid");
    assert!(
        b > 2_048 && b < 2_100,
        "estimate of a 1,990-byte string: {b}"
    );
    for (text, label, passes) in [
        ("\"2KiB\"", "2048".to_string(), false),
        ("\"2KB\"", "2000".to_string(), false),
        ("\"2.1KB\"", "2100".to_string(), true),
        ("\"2.1 KB\"", "2100".to_string(), true),
        (&format!("{b}") as &str, b.to_string(), true),
        (&format!("\"{b}B\"") as &str, b.to_string(), true),
        (&format!("{}", b - 1) as &str, (b - 1).to_string(), false),
        ("\"1MiB\"", "1048576".to_string(), true),
        ("\"1GB\"", "1000000000".to_string(), true),
        ("\"1GiB\"", "1073741824".to_string(), true),
        ("\"0.001MB\"", "1000".to_string(), false),
    ] {
        let r = rules(d.path(), &format!("max_key_bytes = {text}\n"));
        let (code, v) = check_json(&[&dump], &r);
        // The rule quotes the limit as written; the message adds the bytes.
        let written = text.trim_matches('"');
        let r = rule(&v, &format!("max_key_bytes = {written}"));
        let message = r["message"].as_str().unwrap();
        assert!(
            message.ends_with(&format!("{written} ({label} bytes)"))
                || (written == label && message.ends_with(&format!("than {label}"))),
            "{text}: {message}"
        );
        if passes {
            assert_eq!(code, 0, "{text}");
            assert_pass(r);
        } else {
            assert_eq!(code, 1, "{text}");
            assert_eq!(offender_keys(r), ["mid"], "{text}");
            assert_eq!(r["offender_count"], 1, "{text}");
        }
    }
}

// ---------------------------------------------------------------------------
// max_elements
// ---------------------------------------------------------------------------

fn elements_dump(dir: &Path, fields: usize) -> PathBuf {
    let names: Vec<(Vec<u8>, Vec<u8>)> = (0..fields)
        .map(|n| (format!("f{n}").into_bytes(), format!("v{n}").into_bytes()))
        .collect();
    let pairs: Vec<(&[u8], &[u8])> = names
        .iter()
        .map(|(f, v)| (f.as_slice(), v.as_slice()))
        .collect();
    let small: Vec<Vec<u8>> = (0..200).map(|n| format!("m{n}").into_bytes()).collect();
    let small: Vec<&[u8]> = small.iter().map(|m| m.as_slice()).collect();
    let r = head()
        .key(T_HASH, b"h:wide", v_hash(&pairs))
        .key(T_LIST, b"l:short", v_list(&small))
        // Strings have no elements: a 5,000-byte string never breaks the rule.
        .key(T_STRING, b"s:long", v_string(&[b'z'; 5_000]));
    write(dir, "elements.rdb", &r.finish(true))
}

#[test]
fn max_elements_passes() {
    let d = tempfile::tempdir().unwrap();
    let dump = elements_dump(d.path(), 900);
    let rows = key_rows(&dump);
    assert_eq!(row(&rows, "h:wide")["num_elements"], 900);
    let rules = rules(d.path(), "max_elements = 1000\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    assert_pass(rule(&v, "max_elements = 1000"));
}

#[test]
fn max_elements_fails_naming_the_wide_hash() {
    let d = tempfile::tempdir().unwrap();
    let dump = elements_dump(d.path(), 1_500);
    let rows = key_rows(&dump);
    assert_eq!(row(&rows, "h:wide")["num_elements"], 1_500);
    let rules = rules(d.path(), "max_elements = 1000\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, "max_elements = 1000");
    assert_eq!(r["ok"], false);
    assert_eq!(r["offender_count"], 1);
    assert_eq!(offender_keys(r), ["h:wide"]);
    assert_eq!(r["offenders"][0]["detail"], "1500 elements (hash)");
    assert_eq!(
        r["offenders"][0]["bytes"].as_u64(),
        Some(bytes_of(&rows, "h:wide"))
    );
    assert_eq!(r["message"], "1 key holds more than 1000 elements");
    // The limit is inclusive: exactly 1500 elements is allowed.
    let rules = self::rules(d.path(), "max_elements = 1500\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    assert_pass(rule(&v, "max_elements = 1500"));
}

// ---------------------------------------------------------------------------
// require_ttl
// ---------------------------------------------------------------------------

/// `session:1..=5`; those in `no_ttl` have no TTL. `other:1` never has one.
fn sessions_dump(dir: &Path, no_ttl: &[u32]) -> PathBuf {
    let mut r = head();
    for n in 1..=5u32 {
        if !no_ttl.contains(&n) {
            r = r.expire_ms(HOUR_AFTER_MS + n as i64 * 60_000);
        }
        r = r.key(
            T_STRING,
            format!("session:{n}").as_bytes(),
            v_string(format!("token-{n}").as_bytes()),
        );
    }
    r = r.key(T_STRING, b"other:1", v_string(b"forever"));
    write(dir, "sessions.rdb", &r.finish(true))
}

#[test]
fn require_ttl_passes() {
    let d = tempfile::tempdir().unwrap();
    let dump = sessions_dump(d.path(), &[]);
    let rules = rules(d.path(), "require_ttl = [\"session:*\"]\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    let r = rule(&v, "require_ttl \"session:*\"");
    assert_pass(r);
    assert_eq!(
        r["message"],
        "0 of 5 keys matching \"session:*\" have no TTL"
    );
}

#[test]
fn require_ttl_fails_naming_keys_without_ttl() {
    let d = tempfile::tempdir().unwrap();
    let dump = sessions_dump(d.path(), &[2, 4]);
    let rules = rules(d.path(), "require_ttl = [\"session:*\", \"cart:*\"]\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, "require_ttl \"session:*\"");
    assert_eq!(r["ok"], false);
    assert_eq!(r["offender_count"], 2);
    assert_eq!(sorted(offender_keys(r)), ["session:2", "session:4"]);
    assert_eq!(
        r["message"],
        "2 of 5 keys matching \"session:*\" have no TTL"
    );
    // One result per glob; a glob matching nothing fails (a typo must not
    // pass the gate).
    let cart = rule(&v, "require_ttl \"cart:*\"");
    assert_eq!(cart["ok"], false);
    assert!(
        cart["message"]
            .as_str()
            .unwrap()
            .starts_with("no key matches \"cart:*\""),
        "{cart}"
    );
    assert_eq!(v["rules"].as_array().unwrap().len(), 2);
}

#[test]
fn require_ttl_offenders_are_capped_but_counted() {
    // 25 keys without TTL: the count covers all, the list at most 10.
    let d = tempfile::tempdir().unwrap();
    let mut r = head();
    for n in 0..25 {
        r = r.key(T_STRING, format!("session:{n}").as_bytes(), v_string(b"x"));
    }
    let dump = write(d.path(), "many.rdb", &r.finish(true));
    let rules = rules(d.path(), "require_ttl = [\"session:*\"]\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, "require_ttl \"session:*\"");
    assert_eq!(r["offender_count"], 25);
    assert_eq!(r["offenders"].as_array().unwrap().len(), 10);
    for k in offender_keys(r) {
        assert!(k.starts_with("session:"), "{k}");
    }
}

#[test]
fn require_ttl_glob_treats_braces_literally() {
    // Redis Cluster hash tags: in Redis glob syntax (`KEYS`), `{` and `}` are
    // ordinary characters, so "{cart}:*" matches "{cart}:1" and not "cart:3".
    let d = tempfile::tempdir().unwrap();
    let dump = head()
        .key(T_STRING, b"{cart}:1", v_string(b"a"))
        .expire_ms(HOUR_AFTER_MS)
        .key(T_STRING, b"{cart}:2", v_string(b"b"))
        .key(T_STRING, b"cart:3", v_string(b"c"))
        .finish(true);
    let dump = write(d.path(), "tags.rdb", &dump);
    let rules = rules(d.path(), "require_ttl = [\"{cart}:*\"]\n");
    let (code, v) = check_json(&[&dump], &rules);
    let r = rule(&v, "require_ttl \"{cart}:*\"");
    assert_eq!(offender_keys(r), ["{cart}:1"], "{r:#}");
    assert_eq!(r["offender_count"], 1, "{r:#}");
    assert_eq!(code, 1);
}

// ---------------------------------------------------------------------------
// max_prefix_bytes
// ---------------------------------------------------------------------------

fn prefix_dump(dir: &Path) -> PathBuf {
    let mut r = head();
    for n in 0..20 {
        r = r.key(
            T_STRING,
            format!("cache:page:{n}").as_bytes(),
            v_string(&vec![b'c'; 200 + 10 * n]),
        );
    }
    for n in 0..5 {
        r = r.key(
            T_STRING,
            format!("user:{n}").as_bytes(),
            v_string(&[b'u'; 1_000]),
        );
    }
    write(dir, "prefix.rdb", &r.finish(true))
}

fn glob_bytes(rows: &[Value], prefix: &str) -> u64 {
    rows.iter()
        .filter(|r| r["key"].as_str().unwrap().starts_with(prefix))
        .map(|r| r["size_in_bytes"].as_u64().unwrap())
        .sum()
}

#[test]
fn max_prefix_bytes_passes_at_the_limit() {
    let d = tempfile::tempdir().unwrap();
    let dump = prefix_dump(d.path());
    let rows = key_rows(&dump);
    let cache = glob_bytes(&rows, "cache:");
    assert!(cache > 4_000, "{cache}");
    let rules = rules(
        d.path(),
        &format!("[max_prefix_bytes]\n\"cache:*\" = {cache}\n\"user:*\" = \"1MB\"\n"),
    );
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    let r = rule(&v, &format!("max_prefix_bytes \"cache:*\" = {cache}"));
    assert_pass(r);
    assert_eq!(
        r["message"],
        format!("20 keys matching \"cache:*\" use {cache} bytes; limit {cache}")
    );
    assert_pass(rule(&v, "max_prefix_bytes \"user:*\" = 1MB"));
}

#[test]
fn max_prefix_bytes_fails_one_byte_over() {
    let d = tempfile::tempdir().unwrap();
    let dump = prefix_dump(d.path());
    let rows = key_rows(&dump);
    let cache = glob_bytes(&rows, "cache:");
    let user = glob_bytes(&rows, "user:");
    let limit = cache - 1;
    let rules = rules(
        d.path(),
        &format!("[max_prefix_bytes]\n\"cache:*\" = {limit}\n\"user:*\" = {user}\n"),
    );
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, &format!("max_prefix_bytes \"cache:*\" = {limit}"));
    assert_eq!(r["ok"], false);
    assert_eq!(r["offender_count"], 1);
    assert_eq!(
        r["message"],
        format!("20 keys matching \"cache:*\" use {cache} bytes; limit {limit}")
    );
    assert_pass(rule(&v, &format!("max_prefix_bytes \"user:*\" = {user}")));
}

// ---------------------------------------------------------------------------
// max_no_ttl_share
// ---------------------------------------------------------------------------

/// Three big keys without TTL and ten small ones with.
fn share_dump(dir: &Path) -> PathBuf {
    let mut r = head();
    for n in 0..3 {
        r = r.key(
            T_STRING,
            format!("keep:{n}").as_bytes(),
            v_string(&[b'k'; 3_000]),
        );
    }
    for n in 0..10 {
        r = r.expire_ms(HOUR_AFTER_MS + n * 7_000).key(
            T_STRING,
            format!("tmp:{n}").as_bytes(),
            v_string(&[b't'; 500]),
        );
    }
    write(dir, "share.rdb", &r.finish(true))
}

/// (bytes without TTL, total bytes) from `keys` rows.
fn no_ttl_share(rows: &[Value]) -> (u64, u64) {
    let total: u64 = rows
        .iter()
        .map(|r| r["size_in_bytes"].as_u64().unwrap())
        .sum();
    let no_ttl: u64 = rows
        .iter()
        .filter(|r| r["expire_at_ms"].is_null())
        .map(|r| r["size_in_bytes"].as_u64().unwrap())
        .sum();
    (no_ttl, total)
}

#[test]
fn max_no_ttl_share_passes_and_fails_around_the_measured_share() {
    let d = tempfile::tempdir().unwrap();
    let dump = share_dump(d.path());
    let rows = key_rows(&dump);
    assert_eq!(rows.len(), 13);
    let (no_ttl, total) = no_ttl_share(&rows);
    let share = no_ttl as f64 / total as f64;
    assert!(share > 0.5 && share < 0.9, "{share}");
    let want_message = |limit: &str| {
        format!(
            "{:.1}% of estimated memory ({no_ttl} of {total} bytes, 3 keys) has no TTL (limit {limit})",
            share * 100.0,
        )
    };

    let above = ((share + 0.01) * 100.0).ceil() / 100.0;
    let rules = rules(d.path(), &format!("max_no_ttl_share = {above}\n"));
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    let r = rule(&v, &format!("max_no_ttl_share = {above}"));
    assert_pass(r);
    assert_eq!(r["message"], want_message(&above.to_string()));

    let below = ((share - 0.01) * 100.0).floor() / 100.0;
    let rules = self::rules(d.path(), &format!("max_no_ttl_share = {below}\n"));
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, &format!("max_no_ttl_share = {below}"));
    assert_eq!(r["ok"], false);
    assert_eq!(r["offender_count"], 1);
    assert_eq!(r["message"], want_message(&below.to_string()));

    // A percentage string is the same share.
    let pct = (below * 100.0).round() as u64;
    let rules = self::rules(d.path(), &format!("max_no_ttl_share = \"{pct}%\"\n"));
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1, "{v:#}");
}

// ---------------------------------------------------------------------------
// max_expiry_cluster_keys
// ---------------------------------------------------------------------------

/// `burst` keys expiring within the second HOUR_AFTER_MS, plus 20 keys
/// expiring a minute apart.
fn cluster_dump(dir: &Path, burst: i64) -> PathBuf {
    let mut r = head();
    for n in 0..burst {
        r = r.expire_ms(HOUR_AFTER_MS + n * 50).key(
            T_STRING,
            format!("burst:{n}").as_bytes(),
            v_string(b"b"),
        );
    }
    for n in 0..20 {
        r = r.expire_ms(HOUR_AFTER_MS + (n + 1) * 60_000).key(
            T_STRING,
            format!("spread:{n}").as_bytes(),
            v_string(b"s"),
        );
    }
    r = r.key(T_STRING, b"forever", v_string(b"f"));
    write(dir, "cluster.rdb", &r.finish(true))
}

#[test]
fn max_expiry_cluster_keys_passes() {
    let d = tempfile::tempdir().unwrap();
    let dump = cluster_dump(d.path(), 10);
    let rules = rules(d.path(), "max_expiry_cluster_keys = 10\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    let r = rule(&v, "max_expiry_cluster_keys = 10");
    assert_pass(r);
    let m = r["message"].as_str().unwrap();
    assert!(
        m.starts_with("at most 10 keys expire within the same second (2023-11-14T23:13:20"),
        "{m}"
    );
}

#[test]
fn max_expiry_cluster_keys_fails_on_twelve_in_one_second() {
    let d = tempfile::tempdir().unwrap();
    let dump = cluster_dump(d.path(), 12);
    let rules = rules(d.path(), "max_expiry_cluster_keys = 10\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, "max_expiry_cluster_keys = 10");
    assert_eq!(r["ok"], false);
    assert_eq!(r["offender_count"], 1);
    let m = r["message"].as_str().unwrap();
    assert!(
        m.starts_with("at most 12 keys expire within the same second (2023-11-14T23:13:20"),
        "{m}"
    );
    assert!(m.ends_with("; limit 10)"), "{m}");
    // Inclusive limit.
    let rules = self::rules(d.path(), "max_expiry_cluster_keys = 12\n");
    let (code, _) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
}

#[test]
fn max_expiry_cluster_keys_without_ttls() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let rules = rules(d.path(), "max_expiry_cluster_keys = 0\n");
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    let r = rule(&v, "max_expiry_cluster_keys = 0");
    assert_pass(r);
    assert_eq!(r["message"], "no keys with a TTL");
}

// ---------------------------------------------------------------------------
// allowed_encodings
// ---------------------------------------------------------------------------

fn encodings_dump(dir: &Path, with_hashtable: bool) -> PathBuf {
    let long = [b'L'; 100];
    let mut r = head()
        .key(
            T_HASH_LISTPACK,
            b"user:1",
            v_blob(&listpack(&[s("name"), s("ann"), s("age"), s("31")])),
        )
        .key(T_HASH, b"user:3", v_hash(&[(b"name", b"cy")]))
        // Not under user:*: a hashtable hash elsewhere is not an offender.
        .key(T_HASH, b"admin:1", v_hash(&[(b"bio", &long)]));
    if with_hashtable {
        // A field value over hash-max-listpack-value (64) loads as a hashtable.
        r = r.key(T_HASH, b"user:2", v_hash(&[(b"bio", &long)]));
    }
    write(dir, "enc.rdb", &r.finish(true))
}

#[test]
fn allowed_encodings_passes() {
    let d = tempfile::tempdir().unwrap();
    let dump = encodings_dump(d.path(), false);
    let rows = key_rows(&dump);
    assert_eq!(row(&rows, "user:1")["encoding"], "listpack");
    assert_eq!(row(&rows, "user:3")["encoding"], "listpack");
    assert_eq!(row(&rows, "admin:1")["encoding"], "hashtable");
    let rules = rules(
        d.path(),
        "[allowed_encodings]\n\"user:*\" = [\"listpack\"]\n",
    );
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    assert_pass(rule(&v, "allowed_encodings \"user:*\" = [\"listpack\"]"));
}

#[test]
fn allowed_encodings_fails_on_a_hashtable_hash() {
    let d = tempfile::tempdir().unwrap();
    let dump = encodings_dump(d.path(), true);
    let rows = key_rows(&dump);
    assert_eq!(row(&rows, "user:2")["encoding"], "hashtable");
    let rules = rules(
        d.path(),
        "[allowed_encodings]\n\"user:*\" = [\"listpack\"]\n",
    );
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    let r = rule(&v, "allowed_encodings \"user:*\" = [\"listpack\"]");
    assert_eq!(r["ok"], false);
    assert_eq!(r["offender_count"], 1);
    assert_eq!(offender_keys(r), ["user:2"]);
    assert_eq!(r["offenders"][0]["detail"], "hash/hashtable");
    assert_eq!(
        r["offenders"][0]["bytes"].as_u64(),
        Some(bytes_of(&rows, "user:2"))
    );
    assert_eq!(
        r["message"],
        "1 of 3 hash/list/set/zset keys matching \"user:*\" has another encoding"
    );
    // Allowing both encodings makes it pass.
    let rules = self::rules(
        d.path(),
        "[allowed_encodings]\n\"user:*\" = [\"listpack\", \"hashtable\"]\n",
    );
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 0);
    assert_pass(rule(
        &v,
        "allowed_encodings \"user:*\" = [\"listpack\", \"hashtable\"]",
    ));
}

// ---------------------------------------------------------------------------
// baseline + max_growth
// ---------------------------------------------------------------------------

/// `stable:0..10` and `grow:0..grow_keys`, strings of 300 bytes, no TTL.
fn growth_dump(dir: &Path, name: &str, grow_keys: usize) -> PathBuf {
    let mut r = head();
    for n in 0..10 {
        r = r.key(
            T_STRING,
            format!("stable:{n}").as_bytes(),
            v_string(&[b's'; 300]),
        );
    }
    for n in 0..grow_keys {
        r = r.key(
            T_STRING,
            format!("grow:{n}").as_bytes(),
            v_string(&[b'g'; 300]),
        );
    }
    write(dir, name, &r.finish(true))
}

/// Saves `report --format json` of `dump` as `dir/baseline.json`.
fn save_baseline(dir: &Path, dump: &Path) -> Value {
    let o = run(["report", "--quiet", "--format", "json", p(dump)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    std::fs::write(dir.join("baseline.json"), &o.stdout).unwrap();
    json_doc(&o)
}

fn prefix_row<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["prefix"] == label)
        .unwrap_or_else(|| panic!("no prefix {label:?} in {:#}", report["prefixes"]))
}

#[test]
fn baseline_growth_fails_naming_the_grown_prefix() {
    let d = tempfile::tempdir().unwrap();
    // The rules and baseline live in their own directory, away from the
    // working directory: the baseline path is relative to the rules file.
    let conf = d.path().join("ci");
    std::fs::create_dir(&conf).unwrap();
    let a = growth_dump(d.path(), "a.rdb", 10);
    let b = growth_dump(d.path(), "b.rdb", 30);
    let base = save_baseline(&conf, &a);
    let grow_before = prefix_row(&base, "grow:*")["bytes"].as_u64().unwrap();
    let total_before = base["summary"]["estimated_bytes"].as_u64().unwrap();
    let after = report(&b);
    let grow_after = prefix_row(&after, "grow:*")["bytes"].as_u64().unwrap();
    let total_after = after["summary"]["estimated_bytes"].as_u64().unwrap();
    // The baseline and the check agree with the per-key estimates.
    let sum = |rows: &[Value], pre: &str| glob_bytes(rows, pre);
    assert_eq!(grow_before, sum(&key_rows(&a), "grow:"));
    assert_eq!(grow_after, sum(&key_rows(&b), "grow:"));
    assert!(
        grow_after > 2 * grow_before,
        "{grow_before} -> {grow_after}"
    );
    let pct = (grow_after as f64 / grow_before as f64 - 1.0) * 100.0;

    let rules = rules(
        &conf,
        "baseline = \"baseline.json\"\nmax_growth = \"10%\"\n",
    );
    let (code, v) = check_json(&[&b], &rules);
    assert_eq!(code, 1);
    let t = rule(&v, "max_growth = 10% (total)");
    assert_eq!(t["ok"], false);
    assert_eq!(t["offender_count"], 1);
    let m = t["message"].as_str().unwrap();
    assert!(
        m.starts_with(&format!(
            "estimated memory went from {total_before} to {total_after} bytes (+"
        )),
        "{m}"
    );
    let pp = rule(&v, "max_growth = 10% (per prefix)");
    assert_eq!(pp["ok"], false);
    assert_eq!(pp["offender_count"], 1);
    assert_eq!(offender_keys(pp), ["grow:*"]);
    assert_eq!(pp["offenders"][0]["bytes"].as_u64(), Some(grow_after));
    assert_eq!(
        pp["offenders"][0]["detail"],
        format!("{grow_before} -> {grow_after} bytes ({pct:+.1}%)")
    );
}

#[test]
fn baseline_growth_passes_against_its_own_dump() {
    let d = tempfile::tempdir().unwrap();
    let a = growth_dump(d.path(), "a.rdb", 10);
    save_baseline(d.path(), &a);
    let rules = rules(
        d.path(),
        "baseline = \"baseline.json\"\nmax_growth = \"10%\"\n",
    );
    let (code, v) = check_json(&[&a], &rules);
    assert_eq!(code, 0);
    let t = rule(&v, "max_growth = 10% (total)");
    assert_pass(t);
    assert!(
        t["message"].as_str().unwrap().ends_with("bytes (+0.0%)"),
        "{t}"
    );
    assert_pass(rule(&v, "max_growth = 10% (per prefix)"));
}

#[test]
fn baseline_growth_within_the_allowance_passes() {
    // 10 -> 11 grow keys: the prefix grows 10% and the total less, both
    // within "15%"; a shrink (dump with fewer keys) never fails.
    let d = tempfile::tempdir().unwrap();
    let a = growth_dump(d.path(), "a.rdb", 10);
    let b = growth_dump(d.path(), "b.rdb", 11);
    let c = growth_dump(d.path(), "c.rdb", 2);
    save_baseline(d.path(), &a);
    let rules = rules(
        d.path(),
        "baseline = \"baseline.json\"\nmax_growth = \"15%\"\n",
    );
    for dump in [&b, &c] {
        let (code, v) = check_json(&[dump], &rules);
        assert_eq!(code, 0, "{v:#}");
        assert_pass(rule(&v, "max_growth = 15% (per prefix)"));
    }
}

#[test]
fn max_growth_label_is_the_percentage_as_written() {
    // "7%" is stored as 0.07; the rule label and message must still say 7%,
    // not 7.000000000000001%.
    let d = tempfile::tempdir().unwrap();
    let a = growth_dump(d.path(), "a.rdb", 10);
    save_baseline(d.path(), &a);
    let rules = rules(
        d.path(),
        "baseline = \"baseline.json\"\nmax_growth = \"7%\"\n",
    );
    let (code, v) = check_json(&[&a], &rules);
    assert_eq!(code, 0);
    let labels: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["max_growth = 7% (total)", "max_growth = 7% (per prefix)"]
    );
}

/// `user:0..10` (strings of 300 bytes), plus `1001:cart` and `1002:cart`
/// when `numeric` (a numeric first segment, which the report generalizes to
/// `*`) and `{tenant}:0..tagged` (a Redis Cluster hash tag).
fn odd_prefix_dump(dir: &Path, name: &str, numeric: bool, tagged: usize) -> PathBuf {
    let mut r = head();
    if numeric {
        r = r.key(T_STRING, b"1001:cart", v_string(&[b'c'; 300])).key(
            T_STRING,
            b"1002:cart",
            v_string(&[b'c'; 300]),
        );
    }
    for n in 0..tagged {
        r = r.key(
            T_STRING,
            format!("{{tenant}}:{n}").as_bytes(),
            v_string(&[b't'; 300]),
        );
    }
    for n in 0..10 {
        r = r.key(
            T_STRING,
            format!("user:{n}").as_bytes(),
            v_string(&[b'u'; 300]),
        );
    }
    write(dir, name, &r.finish(true))
}

#[test]
fn baseline_own_dump_passes_with_a_numeric_first_segment() {
    // A dump never grows against its own baseline, whatever its key names.
    let d = tempfile::tempdir().unwrap();
    let a = odd_prefix_dump(d.path(), "a.rdb", true, 0);
    let base = save_baseline(d.path(), &a);
    let rules = rules(
        d.path(),
        "baseline = \"baseline.json\"\nmax_growth = \"10%\"\n",
    );
    // The report labels the `1001:*` family `*` (numbers are generalized).
    assert_eq!(prefix_row(&base, "*")["keys"], 2);
    let (code, v) = check_json(&[&a], &rules);
    assert_pass(rule(&v, "max_growth = 10% (total)"));
    assert_pass(rule(&v, "max_growth = 10% (per prefix)"));
    assert_eq!(code, 0);
}

#[test]
fn baseline_growth_names_a_hash_tagged_prefix() {
    let d = tempfile::tempdir().unwrap();
    let a = odd_prefix_dump(d.path(), "a.rdb", false, 3);
    let b = odd_prefix_dump(d.path(), "b.rdb", false, 9);
    let base = save_baseline(d.path(), &a);
    assert_eq!(prefix_row(&base, "{tenant}:*")["keys"], 3);
    let rules = rules(
        d.path(),
        "baseline = \"baseline.json\"\nmax_growth = \"50%\"\n",
    );
    let (code, v) = check_json(&[&b], &rules);
    let pp = rule(&v, "max_growth = 50% (per prefix)");
    assert_eq!(offender_keys(pp), ["{tenant}:*"], "{pp:#}");
    assert_eq!(pp["offender_count"], 1, "{pp:#}");
    assert_eq!(
        pp["offenders"][0]["bytes"].as_u64(),
        Some(glob_bytes(&key_rows(&b), "{tenant}:"))
    );
    assert_eq!(code, 1);
}

// ---------------------------------------------------------------------------
// Exit code 2
// ---------------------------------------------------------------------------

#[test]
fn missing_dump_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let rules = rules(d.path(), "max_elements = 10\n");
    let missing = d.path().join("nope.rdb");
    let e = check_error(&[&missing], &rules);
    assert!(e.contains("nope.rdb"), "{e}");
}

#[test]
fn truncated_dump_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let full = head()
        .key(T_STRING, b"a", v_string(&[b'a'; 500]))
        .key(T_STRING, b"b", v_string(&[b'b'; 500]))
        .finish(true);
    let dump = write(d.path(), "cut.rdb", &full[..full.len() / 2]);
    let rules = rules(d.path(), "max_elements = 10\n");
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("cut.rdb"), "{e}");
}

#[test]
fn rules_syntax_error_exits_2_naming_the_line() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let rules = rules(
        d.path(),
        "max_elements = 10\nmax_key_bytes = \"1MB\"\nrequire_ttl = [\"a:*\"\n",
    );
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("rules.toml"), "{e}");
    assert!(e.contains("line 3"), "{e}");
}

#[test]
fn unknown_rule_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let rules = rules(d.path(), "max_elements = 10\n\nmax_keys = 3\n");
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("max_keys"), "{e}");
    assert!(e.contains("line 3"), "{e}");
}

#[test]
fn bad_size_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let rules = rules(d.path(), "max_key_bytes = \"lots\"\n");
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("lots"), "{e}");
    assert!(e.contains("line 1"), "{e}");
    // An unknown unit too.
    let rules = self::rules(d.path(), "[max_prefix_bytes]\n\"a:*\" = \"10XB\"\n");
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("XB"), "{e}");
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn max_growth_without_baseline_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let rules = rules(d.path(), "max_growth = \"10%\"\n");
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("baseline"), "{e}");
}

#[test]
fn missing_baseline_file_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let rules = rules(d.path(), "baseline = \"gone.json\"\nmax_growth = \"10%\"\n");
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("gone.json"), "{e}");
}

#[test]
fn baseline_that_is_not_a_report_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    write(d.path(), "baseline.json", b"{\"hello\": 1}");
    let rules = rules(
        d.path(),
        "baseline = \"baseline.json\"\nmax_growth = \"10%\"\n",
    );
    let e = check_error(&[&dump], &rules);
    assert!(e.contains("schema_version missing"), "{e}");
}

#[test]
fn missing_rules_file_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let e = check_error(&[&dump], &d.path().join("absent.toml"));
    assert!(e.contains("absent.toml"), "{e}");
}

// ---------------------------------------------------------------------------
// All rules at once: text, JSON and JUnit
// ---------------------------------------------------------------------------

/// One dump breaking max_key_bytes, require_ttl "session:*" and
/// allowed_encodings, and holding max_elements, require_ttl "cart:*",
/// max_expiry_cluster_keys and max_prefix_bytes.
fn mixed(dir: &Path) -> (PathBuf, PathBuf) {
    let long = [b'L'; 100];
    let dump = head()
        .key(T_STRING, b"big:blob", v_string(&vec![b'x'; 2_000_000]))
        .key(T_STRING, b"session:1", v_string(b"a"))
        .expire_ms(HOUR_AFTER_MS)
        .key(T_STRING, b"session:2", v_string(b"b"))
        .expire_ms(HOUR_AFTER_MS)
        .key(T_STRING, b"cart:1", v_string(b"c"))
        .key(T_HASH, b"user:1", v_hash(&[(b"bio", &long)]))
        .finish(true);
    let dump = write(dir, "mixed.rdb", &dump);
    let rules = rules(
        dir,
        r#"# CI gate
max_key_bytes = "1MB"
max_elements = 1000
require_ttl = ["session:*", "cart:*"]
max_expiry_cluster_keys = 10
[max_prefix_bytes]
"user:*" = "1GB"
[allowed_encodings]
"user:*" = ["listpack"]
"#,
    );
    (dump, rules)
}

const MIXED_RULES: usize = 7;
const MIXED_FAILING: [&str; 3] = [
    "max_key_bytes = 1MB",
    "require_ttl \"session:*\"",
    "allowed_encodings \"user:*\" = [\"listpack\"]",
];

#[test]
fn json_lists_every_rule_in_order() {
    let d = tempfile::tempdir().unwrap();
    let (dump, rules) = mixed(d.path());
    let (code, v) = check_json(&[&dump], &rules);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    let labels: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "max_key_bytes = 1MB",
            "max_elements = 1000",
            "require_ttl \"session:*\"",
            "require_ttl \"cart:*\"",
            "max_prefix_bytes \"user:*\" = 1GB",
            "max_expiry_cluster_keys = 10",
            "allowed_encodings \"user:*\" = [\"listpack\"]",
        ]
    );
    for r in v["rules"].as_array().unwrap() {
        let failing = MIXED_FAILING.contains(&r["rule"].as_str().unwrap());
        assert_eq!(r["ok"], !failing, "{r}");
    }
    assert_eq!(offender_keys(rule(&v, MIXED_FAILING[0])), ["big:blob"]);
    assert_eq!(offender_keys(rule(&v, MIXED_FAILING[1])), ["session:1"]);
    assert_eq!(offender_keys(rule(&v, MIXED_FAILING[2])), ["user:1"]);
}

#[test]
fn text_output_pass_fail_lines_and_summary() {
    let d = tempfile::tempdir().unwrap();
    let (dump, rules) = mixed(d.path());
    let o = run(["check", "--quiet", p(&dump), "--rules", p(&rules)]);
    assert_eq!(exit_code(&o), 1, "{}", describe(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    let verdicts: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .collect();
    assert_eq!(verdicts.len(), MIXED_RULES, "{text}");
    for rule in MIXED_FAILING {
        assert!(
            verdicts
                .iter()
                .any(|l| l.starts_with(&format!("FAIL  {rule}: "))),
            "no FAIL line for {rule}\n{text}"
        );
    }
    assert_eq!(verdicts.iter().filter(|l| l.starts_with("PASS")).count(), 4);
    // Offenders follow their FAIL line, indented; nothing else is printed.
    for l in &lines[..lines.len() - 1] {
        assert!(
            l.starts_with("PASS  ") || l.starts_with("FAIL  ") || l.starts_with("        db"),
            "unexpected line {l:?}\n{text}"
        );
    }
    assert!(text.contains("        db0 big:blob  ("), "{text}");
    assert!(text.contains("        db0 session:1  ("), "{text}");
    assert!(
        text.contains("        db0 user:1  (hash/hashtable)"),
        "{text}"
    );
    assert_eq!(lines.last().copied(), Some("7 rules, 4 passed, 3 failed"));

    // All passing: exit 0, summary with no failures.
    let ok_rules = self::rules(
        d.path(),
        "max_elements = 1000\nrequire_ttl = [{ pattern = \"none:*\", allow_empty = true }]\n",
    );
    let o = run(["check", "--quiet", p(&dump), "--rules", p(&ok_rules)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("PASS  max_elements = 1000: "),
        "{text}"
    );
    assert!(
        lines[1].starts_with("PASS  require_ttl \"none:*\": "),
        "{text}"
    );
    assert_eq!(lines[2], "2 rules, 2 passed, 0 failed");
}

#[test]
fn text_output_says_how_many_more_offenders() {
    let d = tempfile::tempdir().unwrap();
    let mut r = head();
    for n in 0..13 {
        r = r.key(T_STRING, format!("session:{n}").as_bytes(), v_string(b"x"));
    }
    let dump = write(d.path(), "s.rdb", &r.finish(true));
    let rules = rules(d.path(), "require_ttl = [\"session:*\"]\n");
    let o = run(["check", "--quiet", p(&dump), "--rules", p(&rules)]);
    assert_eq!(exit_code(&o), 1, "{}", describe(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(
            "FAIL  require_ttl \"session:*\": 13 of 13 keys matching \"session:*\" have no TTL\n"
        ),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("        db0 session:"))
            .count(),
        10
    );
    assert!(text.contains("        ... and 3 more\n"), "{text}");
    assert!(text.ends_with("1 rule, 0 passed, 1 failed\n"), "{text}");
}

#[test]
fn junit_has_one_testcase_per_rule_and_a_failure_per_failing_rule() {
    let d = tempfile::tempdir().unwrap();
    let (dump, rules) = mixed(d.path());
    let junit = d.path().join("out/junit.xml");
    std::fs::create_dir(d.path().join("out")).unwrap();
    let o = run([
        "check",
        "--quiet",
        p(&dump),
        "--rules",
        p(&rules),
        "--junit",
        p(&junit),
        "--format",
        "json",
    ]);
    assert_eq!(exit_code(&o), 1, "{}", describe(&o));
    // stdout is still the JSON verdict.
    assert_eq!(json_doc(&o)["rules"].as_array().unwrap().len(), MIXED_RULES);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.trim_start().starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testsuites"), "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), MIXED_RULES, "{xml}");
    assert_eq!(
        xml.matches("<failure").count(),
        MIXED_FAILING.len(),
        "{xml}"
    );
    assert!(xml.contains("tests=\"7\""), "{xml}");
    assert!(xml.contains("failures=\"3\""), "{xml}");
    // Test case names are the rule labels, XML-escaped.
    assert!(xml.contains("name=\"max_key_bytes = 1MB\""), "{xml}");
    assert!(
        xml.contains("name=\"require_ttl &quot;session:*&quot;\""),
        "{xml}"
    );
    // Each <failure> belongs to a failing rule's <testcase>; passing cases are empty.
    let cases: Vec<&str> = xml.split("<testcase ").skip(1).collect();
    for c in &cases {
        let c = &c[..c.find("</testcase>").unwrap_or(c.len())];
        let failing = c.starts_with("name=\"max_key_bytes")
            || c.starts_with("name=\"require_ttl &quot;session")
            || c.starts_with("name=\"allowed_encodings");
        assert_eq!(c.contains("<failure"), failing, "{c}");
    }
    // The offenders appear in the failure text.
    assert!(xml.contains("db0 big:blob ("), "{xml}");
    assert!(xml.contains("db0 session:1 ("), "{xml}");
    // Balanced tags (a loose well-formedness check).
    assert_eq!(
        xml.matches("<testcase ").count(),
        xml.matches("</testcase>").count() + self_closing(&xml, "testcase"),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<failure").count(),
        xml.matches("</failure>").count() + self_closing(&xml, "failure"),
        "{xml}"
    );
    assert_eq!(xml.matches("</testsuite>").count(), 1, "{xml}");
    assert_eq!(xml.matches("</testsuites>").count(), 1, "{xml}");
}

/// Self-closing `<name .../>` elements.
fn self_closing(xml: &str, name: &str) -> usize {
    xml.split('<')
        .skip(1)
        .filter(|t| {
            let t = t.split('>').next().unwrap_or("");
            t.ends_with('/') && (t.starts_with(&format!("{name} ")) || t == format!("{name}/"))
        })
        .count()
}

#[test]
fn junit_all_passing() {
    let d = tempfile::tempdir().unwrap();
    let dump = tiny(d.path());
    let rules = rules(d.path(), "max_key_bytes = \"1MB\"\nmax_elements = 5\n");
    let junit = d.path().join("j.xml");
    let o = run([
        "check",
        "--quiet",
        p(&dump),
        "--rules",
        p(&rules),
        "--junit",
        p(&junit),
    ]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 0, "{xml}");
}

#[test]
fn several_dumps_are_checked_as_one() {
    // Two cluster nodes: 6 + 6 keys expiring in the same second are 12.
    let d = tempfile::tempdir().unwrap();
    let node = |name: &str, from: i64| {
        let mut r = head();
        for n in from..from + 6 {
            r = r.expire_ms(HOUR_AFTER_MS + n * 10).key(
                T_STRING,
                format!("burst:{n}").as_bytes(),
                v_string(b"b"),
            );
        }
        write(d.path(), name, &r.finish(true))
    };
    let a = node("a.rdb", 0);
    let b = node("b.rdb", 6);
    let rules = rules(d.path(), "max_expiry_cluster_keys = 10\n");
    let (code, _) = check_json(&[&a], &rules);
    assert_eq!(code, 0);
    let (code, v) = check_json(&[&a, &b], &rules);
    assert_eq!(code, 1);
    let m = rule(&v, "max_expiry_cluster_keys = 10")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(m.starts_with("at most 12 keys"), "{m}");
}

// ---------------------------------------------------------------------------
// diff
// ---------------------------------------------------------------------------

/// A: `old:0..4`, `grow:0..3` (grow:0 of 200 bytes), `keep:0..3`.
/// B: `new:0..5`, `grow:0..3` with grow:0 of 50,000 bytes, `keep:0..3`.
fn diff_dumps(dir: &Path) -> (PathBuf, PathBuf) {
    let common = |mut r: Rdb, grow0: usize| {
        r = r.key(T_STRING, b"grow:0", v_string(&vec![b'g'; grow0]));
        for n in 1..3 {
            r = r.key(
                T_STRING,
                format!("grow:{n}").as_bytes(),
                v_string(&[b'g'; 200]),
            );
        }
        for n in 0..3 {
            r = r.expire_ms(HOUR_AFTER_MS).key(
                T_HASH,
                format!("keep:{n}").as_bytes(),
                v_hash(&[(b"f", b"v"), (b"g", b"w")]),
            );
        }
        r
    };
    let mut a = common(head(), 200);
    for n in 0..4 {
        a = a.key(
            T_LIST,
            format!("old:{n}").as_bytes(),
            v_list(&[b"x", b"y", b"z"]),
        );
    }
    let mut b = common(head(), 50_000);
    for n in 0..5 {
        b = b.key(
            T_STRING,
            format!("new:{n}").as_bytes(),
            v_string(&[b'n'; 700]),
        );
    }
    (
        write(dir, "a.rdb", &a.finish(true)),
        write(dir, "b.rdb", &b.finish(true)),
    )
}

fn diff_json(old: &Path, new: &Path) -> Value {
    let o = run(["diff", "--quiet", p(old), p(new), "--format", "json"]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    json_doc(&o)
}

fn diff_row<'a>(rows: &'a Value, field: &str, name: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == name)
        .unwrap_or_else(|| panic!("no {field} {name:?} in {rows:#}"))
}

#[test]
fn diff_totals_equal_two_reports() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = diff_dumps(d.path());
    let ra = report(&a);
    let rb = report(&b);
    let v = diff_json(&a, &b);
    assert_eq!(v["schema_version"], 1);
    let t = &v["total"];
    assert_eq!(t["keys_before"], ra["summary"]["keys"]);
    assert_eq!(t["keys_after"], rb["summary"]["keys"]);
    assert_eq!(t["bytes_before"], ra["summary"]["estimated_bytes"]);
    assert_eq!(t["bytes_after"], rb["summary"]["estimated_bytes"]);
    assert_eq!(t["keys_before"], 10);
    assert_eq!(t["keys_after"], 11);
    assert_eq!(t["keys_change"], 1);
    let (bb, ba) = (
        t["bytes_before"].as_u64().unwrap(),
        t["bytes_after"].as_u64().unwrap(),
    );
    assert_eq!(t["bytes_change"].as_i64(), Some(ba as i64 - bb as i64));
    // And the report totals agree with the keys rows.
    let sum = |rows: Vec<Value>| -> u64 {
        rows.iter()
            .map(|r| r["size_in_bytes"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum(key_rows(&a)), bb);
    assert_eq!(sum(key_rows(&b)), ba);
    // Keys without TTL: everything but keep:*.
    assert_eq!(v["no_ttl"]["keys_before"], 7);
    assert_eq!(v["no_ttl"]["keys_after"], 8);
    assert_eq!(v["no_ttl"]["keys_before"], ra["expiry"]["no_ttl_keys"]);
    assert_eq!(v["no_ttl"]["bytes_after"], rb["expiry"]["no_ttl_bytes"]);
}

#[test]
fn diff_by_type_matches_reports() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = diff_dumps(d.path());
    let ra = report(&a);
    let rb = report(&b);
    let v = diff_json(&a, &b);
    let by_type = &v["by_type"];
    let mut types: Vec<String> = ra["summary"]["by_type"]
        .as_object()
        .unwrap()
        .keys()
        .chain(rb["summary"]["by_type"].as_object().unwrap().keys())
        .cloned()
        .collect();
    types.sort();
    types.dedup();
    assert_eq!(types, ["hash", "list", "string"]);
    assert_eq!(
        by_type.as_array().unwrap().len(),
        types.len(),
        "{by_type:#}"
    );
    for ty in &types {
        let r = diff_row(by_type, "type", ty);
        let before = &ra["summary"]["by_type"][ty];
        let after = &rb["summary"]["by_type"][ty];
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        assert_eq!(r["keys_before"].as_u64(), Some(n(&before["keys"])), "{ty}");
        assert_eq!(
            r["bytes_before"].as_u64(),
            Some(n(&before["bytes"])),
            "{ty}"
        );
        assert_eq!(r["keys_after"].as_u64(), Some(n(&after["keys"])), "{ty}");
        assert_eq!(r["bytes_after"].as_u64(), Some(n(&after["bytes"])), "{ty}");
    }
    // The list type vanished entirely.
    let list = diff_row(by_type, "type", "list");
    assert_eq!(list["keys_after"], 0);
    assert_eq!(list["keys_before"], 4);
    // by_db too.
    let db0 = diff_row(&v["by_db"], "db", "0");
    assert_eq!(db0["keys_before"], 10);
    assert_eq!(db0["keys_after"], 11);
}

#[test]
fn diff_prefixes_new_vanished_changed() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = diff_dumps(d.path());
    let v = diff_json(&a, &b);
    let strs = |x: &Value| -> Vec<String> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let new = strs(&v["new_prefixes"]);
    let vanished = strs(&v["vanished_prefixes"]);
    assert!(new.iter().any(|p| p.starts_with("new:")), "{new:?}");
    assert!(new.iter().all(|p| p.starts_with("new:")), "{new:?}");
    assert!(
        vanished.iter().any(|p| p.starts_with("old:")),
        "{vanished:?}"
    );
    assert!(
        vanished.iter().all(|p| p.starts_with("old:")),
        "{vanished:?}"
    );

    let rows = &v["prefixes"];
    let ra = report(&a);
    let rb = report(&b);
    let grow = diff_row(rows, "prefix", "grow:*");
    assert_eq!(grow["status"], "changed");
    assert_eq!(grow["keys_before"], 3);
    assert_eq!(grow["keys_after"], 3);
    assert!(grow["bytes_change"].as_i64().unwrap() > 49_000, "{grow}");
    assert_eq!(grow["bytes_before"], prefix_row(&ra, "grow:*")["bytes"]);
    assert_eq!(grow["bytes_after"], prefix_row(&rb, "grow:*")["bytes"]);

    let newp = diff_row(rows, "prefix", "new:*");
    assert_eq!(newp["status"], "new");
    assert_eq!(newp["keys_before"], 0);
    assert_eq!(newp["keys_after"], 5);
    assert_eq!(newp["bytes_after"], prefix_row(&rb, "new:*")["bytes"]);
    assert!(newp["bytes_change_pct"].is_null(), "{newp}");

    let oldp = diff_row(rows, "prefix", "old:*");
    assert_eq!(oldp["status"], "vanished");
    assert_eq!(oldp["keys_before"], 4);
    assert_eq!(oldp["keys_after"], 0);
    assert_eq!(
        oldp["bytes_change"].as_i64(),
        Some(-(prefix_row(&ra, "old:*")["bytes"].as_i64().unwrap()))
    );
    assert_eq!(oldp["bytes_change_pct"].as_f64(), Some(-100.0));

    // keep:* did not change.
    let keep = diff_row(rows, "prefix", "keep:*");
    assert_eq!(keep["status"], "changed");
    assert_eq!(keep["bytes_change"], 0);
    assert_eq!(keep["keys_change"], 0);

    // Rows are ordered by the size of the change.
    let changes: Vec<u64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bytes_change"].as_i64().unwrap().unsigned_abs())
        .collect();
    assert!(changes.windows(2).all(|w| w[0] >= w[1]), "{changes:?}");
    assert!(
        rows[0]["prefix"].as_str().unwrap().starts_with("grow:"),
        "{rows:#}"
    );
}

#[test]
fn diff_grown_keys() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = diff_dumps(d.path());
    let v = diff_json(&a, &b);
    let grown = v["grown_keys"].as_array().unwrap();
    let g0 = diff_row(&v["grown_keys"], "key", "grow:0");
    let ra = key_rows(&a);
    let rb = key_rows(&b);
    assert_eq!(g0["db"], 0);
    assert_eq!(g0["bytes_before"].as_u64(), Some(bytes_of(&ra, "grow:0")));
    assert_eq!(g0["bytes_after"].as_u64(), Some(bytes_of(&rb, "grow:0")));
    assert_eq!(
        g0["bytes_change"].as_i64(),
        Some(bytes_of(&rb, "grow:0") as i64 - bytes_of(&ra, "grow:0") as i64)
    );
    // The key that grew most is first; unchanged keys are not listed.
    assert_eq!(grown[0]["key"], "grow:0", "{:#}", v["grown_keys"]);
    for k in grown {
        let key = k["key"].as_str().unwrap();
        assert!(
            !key.starts_with("keep:") && key != "grow:1" && key != "grow:2",
            "{k}"
        );
    }
}

#[test]
fn diff_old_as_saved_report_equals_old_as_dump() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = diff_dumps(d.path());
    save_baseline(d.path(), &a);
    let saved = d.path().join("baseline.json");
    let from_dump = diff_json(&a, &b);
    let from_json = diff_json(&saved, &b);
    assert_eq!(from_json["total"], from_dump["total"]);
    assert_eq!(from_json["by_type"], from_dump["by_type"]);
    assert_eq!(from_json["by_db"], from_dump["by_db"]);
    assert_eq!(from_json["no_ttl"], from_dump["no_ttl"]);
    assert_eq!(from_json["new_prefixes"], from_dump["new_prefixes"]);
    assert_eq!(
        from_json["vanished_prefixes"],
        from_dump["vanished_prefixes"]
    );
    // A dump against its own saved report: nothing changed.
    let same = diff_json(&saved, &a);
    assert_eq!(same["total"]["bytes_change"], 0);
    assert_eq!(same["total"]["keys_change"], 0);
    assert_eq!(same["new_prefixes"].as_array().unwrap().len(), 0);
    assert_eq!(same["vanished_prefixes"].as_array().unwrap().len(), 0);
    assert_eq!(same["grown_keys"].as_array().unwrap().len(), 0, "{same:#}");
}

#[test]
fn diff_against_its_own_saved_report_with_many_prefixes() {
    // 30 families: more prefixes than a default `report` lists. A dump
    // compared with its own saved report (saved the documented way) has no
    // new or vanished prefixes.
    let d = tempfile::tempdir().unwrap();
    let mut r = head();
    for f in 0..30 {
        for n in 0..2 {
            r = r.key(
                T_STRING,
                format!("fam{f}x:item{n}").as_bytes(),
                v_string(&vec![b'v'; 10 + f]),
            );
        }
    }
    let a = write(d.path(), "a.rdb", &r.finish(true));
    save_baseline(d.path(), &a);
    let v = diff_json(&d.path().join("baseline.json"), &a);
    assert_eq!(v["total"]["bytes_change"], 0);
    assert_eq!(
        v["new_prefixes"],
        serde_json::json!([]),
        "{:#}",
        v["new_prefixes"]
    );
    assert_eq!(v["vanished_prefixes"], serde_json::json!([]));
    for row in v["prefixes"].as_array().unwrap() {
        assert_eq!(row["status"], "changed", "{row}");
        assert_eq!(row["bytes_change"], 0, "{row}");
    }
}

#[test]
fn diff_text_mentions_the_prefixes() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = diff_dumps(d.path());
    let o = run(["diff", "--quiet", p(&a), p(&b)]);
    assert_eq!(exit_code(&o), 0, "{}", describe(&o));
    let text = stdout(&o);
    // The header names both sides: file, dump time, profile.
    assert!(
        text.starts_with(&format!("old: {}, dumped ", p(&a))),
        "{text}"
    );
    assert!(
        text.contains(&format!("\nnew: {}, dumped ", p(&b))),
        "{text}"
    );
    assert!(text.contains("\nTotal\n  all keys "), "{text}");
    assert!(text.contains("\nBy type\n"), "{text}");
    assert!(text.contains("\nPrefixes that changed most\n"), "{text}");
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(needle))
            .unwrap_or_else(|| panic!("no line {needle:?}\n{text}"))
            .to_string()
    };
    assert!(
        line("all keys").contains("10 ->         11 keys (+1)"),
        "{text}"
    );
    assert!(
        line("grow:* [changed]").contains("3 ->          3 keys (+0)"),
        "{text}"
    );
    assert!(
        line("new:* [new]").contains("0 ->          5 keys (+5)"),
        "{text}"
    );
    assert!(
        line("old:* [vanished]").contains("4 ->          0 keys (-4)"),
        "{text}"
    );
    assert!(line("old:* [vanished]").contains("-100.0%"), "{text}");
    assert!(text.contains("Keys that grew most"), "{text}");
    assert!(text.contains("db0 grow:0  "), "{text}");
}

#[test]
fn diff_bad_old_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let (_, b) = diff_dumps(d.path());
    let cases: [(&str, &[u8]); 4] = [
        ("text.txt", b"hello, not a dump\n"),
        ("other.json", b"{\"schema_version\": 1, \"rules\": []}"),
        ("broken.json", b"{\"schema_version\": 1, "),
        ("v2.json", b"{\"schema_version\": 2, \"summary\": {}}"),
    ];
    for (name, bytes) in cases {
        let old = write(d.path(), name, bytes);
        let o = run(["diff", "--quiet", p(&old), p(&b), "--format", "json"]);
        assert_eq!(exit_code(&o), 2, "{name}\n{}", describe(&o));
        assert!(o.stdout.is_empty(), "{name}\n{}", describe(&o));
        assert!(stderr(&o).contains(name), "{name}\n{}", describe(&o));
    }
    let o = run(["diff", "--quiet", p(&d.path().join("missing.rdb")), p(&b)]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
    assert!(stderr(&o).contains("missing.rdb"), "{}", describe(&o));
}

/// A rules file whose baseline names a dump says so and how to make a
/// baseline (it said "stream did not contain valid UTF-8").
#[test]
fn a_dump_as_baseline_says_how_to_make_one() {
    let d = tempfile::tempdir().unwrap();
    let dump = root().join("fixtures/redis-7.0/strings.rdb");
    std::fs::copy(&dump, d.path().join("base.rdb")).unwrap();
    let rules = d.path().join("rules.toml");
    std::fs::write(&rules, "baseline = \"base.rdb\"\nmax_growth = \"10%\"\n").unwrap();
    let o = run([
        "check",
        dump.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("base.rdb is a dump, not a baseline: save a report of it with `rdbscope report DUMP --format json -o FILE`"),
        "{err}"
    );
}
