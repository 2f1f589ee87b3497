//! Integration tests over synthetic RDB files written with `crate::builder`.
//!
//! Every test builds a file whose contents it knows, runs the `rdbscope` binary on
//! it (`dump --format jsonl`, `verify --format json`) and compares the decoded
//! values with what was written. Numbers are compared as f64, so `2` and `2.0`
//! are the same score.

use crate::builder::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rdbscope")
}

#[derive(Debug)]
struct Run {
    /// `None` when killed by a signal.
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run rdbscope");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    keep(bytes);
    p
}

/// With `RDBSCOPE_SYNTH_KEEP=DIR`, every generated file is also saved as
/// `DIR/<test name>.<n>.rdb`, to inspect it or feed it to a real server.
fn keep(bytes: &[u8]) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    if let Some(dir) = std::env::var_os("RDBSCOPE_SYNTH_KEEP") {
        let name = std::thread::current()
            .name()
            .unwrap_or("t")
            .replace("::", ".");
        if name.contains("sweep") {
            return;
        }
        let n = N.fetch_add(1, Ordering::Relaxed);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(Path::new(&dir).join(format!("{name}.{n}.rdb")), bytes);
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn parse_lines(s: &str) -> Vec<Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// `dump --format jsonl` on a file path.
fn dump_path(p: &Path) -> (Run, Vec<Value>) {
    let r = run(&["dump", p.to_str().unwrap(), "--format", "jsonl"]);
    let recs = if r.code == Some(0) {
        parse_lines(&r.stdout)
    } else {
        vec![]
    };
    (r, recs)
}

/// `dump` of these bytes; asserts exit 0.
fn dump(bytes: &[u8]) -> Vec<Value> {
    let d = tmp();
    let p = write(d.path(), "t.rdb", bytes);
    let (r, recs) = dump_path(&p);
    assert_eq!(r.code, Some(0), "dump failed\n{}", r.describe());
    recs
}

/// `verify --format json` of these bytes; returns the run and the one JSON object.
fn verify(bytes: &[u8]) -> (Run, Value) {
    let d = tmp();
    let p = write(d.path(), "t.rdb", bytes);
    let r = run(&["verify", p.to_str().unwrap(), "--format", "json"]);
    let lines = parse_lines(&r.stdout);
    assert_eq!(
        lines.len(),
        1,
        "verify should print one object\n{}",
        r.describe()
    );
    let v = lines.into_iter().next().unwrap();
    (r, v)
}

/// `verify` that must succeed with no error.
fn verify_ok(bytes: &[u8]) -> Value {
    let (r, v) = verify(bytes);
    assert_eq!(r.code, Some(0), "verify should exit 0\n{}", r.describe());
    assert_eq!(v["error"], Value::Null, "verify error\n{}", r.describe());
    v
}

/// First `offset N` in a text.
fn offset_in(text: &str) -> Option<u64> {
    let i = text.find("offset ")?;
    let digits: String = text[i + 7..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------
// Comparing records
// ---------------------------------------------------------------------------

/// Numbers become f64 so `3` == `3.0`.
fn norm(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), norm(v))).collect()),
        x => x.clone(),
    }
}

fn rec(key: &str, ty: &str, enc: &str, value: Value) -> Value {
    json!({"db": 0, "key": key, "type": ty, "encoding": enc, "expire_at_ms": null, "value": value})
}

fn with(mut r: Value, field: &str, v: Value) -> Value {
    r[field] = v;
    r
}

const REQUIRED: [&str; 6] = ["db", "key", "type", "encoding", "expire_at_ms", "value"];
const OPTIONAL: [&str; 3] = ["idle_s", "lfu_freq", "field_expire_at_ms"];

/// Compares decoded records with expected ones; collects every mismatch.
fn check(got: &[Value], exp: &[Value]) {
    let mut errs = Vec::new();
    if got.len() != exp.len() {
        errs.push(format!(
            "record count: expected {}, got {}",
            exp.len(),
            got.len()
        ));
    }
    for (n, (g, e)) in got.iter().zip(exp).enumerate() {
        for f in REQUIRED {
            if g.get(f).is_none() {
                errs.push(format!("record {n} ({}): field {f} missing", e["key"]));
            } else if norm(&g[f]) != norm(&e[f]) {
                errs.push(format!(
                    "record {n} ({}): {f}\n   expected {}\n   got      {}",
                    e["key"], e[f], g[f]
                ));
            }
        }
        for f in OPTIONAL {
            match (e.get(f), g.get(f)) {
                (Some(ev), Some(gv)) if norm(ev) != norm(gv) => errs.push(format!(
                    "record {n} ({}): {f}\n   expected {ev}\n   got      {gv}",
                    e["key"]
                )),
                (Some(ev), None) => errs.push(format!(
                    "record {n} ({}): {f} missing, expected {ev}",
                    e["key"]
                )),
                (None, Some(gv)) => errs.push(format!(
                    "record {n} ({}): {f} should be absent, got {gv}",
                    e["key"]
                )),
                _ => {}
            }
        }
    }
    if !errs.is_empty() {
        let all: Vec<String> = got.iter().map(|g| g.to_string()).collect();
        panic!(
            "{} mismatch(es):\n{}\n--- all records ---\n{}",
            errs.len(),
            errs.join("\n"),
            all.join("\n")
        );
    }
}

fn check_dump(bytes: &[u8], exp: &[Value]) {
    check(&dump(bytes), exp);
}

fn strs(v: &[&str]) -> Value {
    json!(v)
}

// ---------------------------------------------------------------------------
// One test per type byte / encoding
// ---------------------------------------------------------------------------

#[test]
fn type00_string_plain_int_lzf() {
    let long = "abcdefgh".repeat(20);
    let f = Rdb::redis(9)
        .aux("redis-ver", "5.0.0")
        .select_db(0)
        .key(T_STRING, b"s", v_string(b"hello"))
        .key(T_STRING, b"empty", v_string(b""))
        .key(T_STRING, b"i8", string_int8(-5))
        .key(T_STRING, b"i16", string_int16(1000))
        .key(T_STRING, b"i32", string_int32(-100000))
        .key(T_STRING, b"lzf", string_lzf(long.as_bytes()))
        .key(
            T_STRING,
            b"lzflit",
            string_lzf_literal(b"literal only lzf data!"),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            rec("s", "string", "string", json!("hello")),
            rec("empty", "string", "string", json!("")),
            rec("i8", "string", "string", json!("-5")),
            rec("i16", "string", "string", json!("1000")),
            rec("i32", "string", "string", json!("-100000")),
            rec("lzf", "string", "string", json!(long)),
            rec(
                "lzflit",
                "string",
                "string",
                json!("literal only lzf data!"),
            ),
        ],
    );
    let v = verify_ok(&f);
    assert_eq!(v["keys"], 7);
    assert_eq!(v["checksum"], "ok");
    assert_eq!(v["rdb_version"], 9);
    assert_eq!(v["family"], "redis");
    assert_eq!(v["aux"], json!({"redis-ver": "5.0.0"}));
}

#[test]
fn type01_list_linkedlist() {
    let long = "x".repeat(64);
    let f = Rdb::redis(6)
        .select_db(0)
        .key(
            T_LIST,
            b"l",
            v_list_enc(&[
                string(b"a"),
                string_int(7),
                string_int(-300),
                string_lzf(long.as_bytes()),
                string(b""),
            ]),
        )
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "l",
            "list",
            "linkedlist",
            strs(&["a", "7", "-300", &long, ""]),
        )],
    );
}

#[test]
fn type02_set_hashtable() {
    let long = "member".repeat(10);
    let f = Rdb::redis(9)
        .select_db(0)
        .key(
            T_SET,
            b"st",
            v_list_enc(&[string(b"m1"), string_int(42), string_lzf(long.as_bytes())]),
        )
        .finish(true);
    check_dump(
        &f,
        &[rec("st", "set", "hashtable", strs(&["m1", "42", &long]))],
    );
}

#[test]
fn type03_zset_ascii_scores() {
    let mut v = len(7);
    v.extend(string(b"a"));
    v.extend(double_ascii(1.5));
    v.extend(string(b"b"));
    v.extend(double_ascii(-2.0));
    v.extend(string_int(12)); // INT-encoded member
    v.extend(double_ascii_text("0.10000000000000001"));
    v.extend(string(b"big"));
    v.extend(double_ascii_text("1.0000000000000001e+300"));
    v.extend(string(b"pinf"));
    v.extend(double_ascii(f64::INFINITY));
    v.extend(string(b"ninf"));
    v.extend(double_ascii(f64::NEG_INFINITY));
    v.extend(string(b"nan"));
    v.extend(double_ascii(f64::NAN));
    let f = Rdb::redis(7).select_db(0).key(T_ZSET, b"z", v).finish(true);
    check_dump(
        &f,
        &[rec(
            "z",
            "zset",
            "skiplist",
            json!([
                ["a", 1.5],
                ["b", -2.0],
                ["12", 0.1],
                ["big", 1e300],
                ["pinf", "inf"],
                ["ninf", "-inf"],
                ["nan", "nan"]
            ]),
        )],
    );
}

#[test]
fn type04_hash_hashtable() {
    let long = "value".repeat(10);
    let f = Rdb::redis(9)
        .select_db(0)
        .key(
            T_HASH,
            b"h",
            v_hash_enc(&[
                (string(b"f1"), string(b"v1")),
                (string_int(99), string_int(-1)),
                (
                    string_lzf(b"field-field-field-field-field"),
                    string_lzf(long.as_bytes()),
                ),
            ]),
        )
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "h",
            "hash",
            "hashtable",
            json!({"f1": "v1", "99": "-1", "field-field-field-field-field": long}),
        )],
    );
}

#[test]
fn type05_zset2_binary_highest_first() {
    let f = Rdb::redis(9)
        .select_db(0)
        .key(
            T_ZSET_2,
            b"z2",
            v_zset2(&[
                (b"top", f64::INFINITY),
                (b"c", 3.5),
                (b"b", 2.0),
                (b"a", -1.25),
                (b"bottom", f64::NEG_INFINITY),
            ]),
        )
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "z2",
            "zset",
            "skiplist",
            json!([
                ["top", "inf"],
                ["c", 3.5],
                ["b", 2.0],
                ["a", -1.25],
                ["bottom", "-inf"]
            ]),
        )],
    );
}

#[test]
fn type07_module_value() {
    let (val, body_len) = v_module(
        "MBbloom--",
        3,
        &[
            ModOp::Uint(1 << 40),
            ModOp::Sint(5),
            ModOp::Float(1.5),
            ModOp::Double(-2.25),
            ModOp::Str(string(b"bits")),
            ModOp::Str(string_lzf(&[7u8; 100])),
            ModOp::Str(string_int(300)),
        ],
    );
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_MODULE_2, b"bf", val)
        .key(T_STRING, b"after", v_string(b"ok"))
        .finish(true);
    check_dump(
        &f,
        &[
            rec(
                "bf",
                "MBbloom--",
                "module",
                json!({"module": "MBbloom--", "encver": 3, "serialized_bytes": body_len}),
            ),
            rec("after", "string", "string", json!("ok")),
        ],
    );
}

#[test]
fn type09_zipmap_free_bytes_long_values_and_unknown_count() {
    let long = vec![b'v'; 300];
    let zm = zipmap(&[(b"a", b"1"), (b"bb", &long), (b"c", b"")], 3, false);
    let zm_unknown = zipmap(&[(b"k1", b"v1"), (b"k2", b"v2")], 0, true);
    let f = Rdb::redis(6)
        .select_db(0)
        .key(T_HASH_ZIPMAP, b"zm", v_blob(&zm))
        .key(T_HASH_ZIPMAP, b"zm254", v_blob_lzf(&zm_unknown))
        .finish(true);
    let long_s = String::from_utf8(long).unwrap();
    check_dump(
        &f,
        &[
            rec(
                "zm",
                "hash",
                "zipmap",
                json!({"a": "1", "bb": long_s, "c": ""}),
            ),
            rec("zm254", "hash", "zipmap", json!({"k1": "v1", "k2": "v2"})),
        ],
    );
}

/// Every ziplist integer encoding, negative values for sign extension, and
/// 6/14/32-bit string lengths.
fn ziplist_all_encodings() -> (Vec<Elem>, Value) {
    let s14 = "y".repeat(100);
    let s32 = "z".repeat(17000);
    let elems = vec![
        s("str"),
        Elem::IntAs(0, 0xF1),
        Elem::IntAs(12, 0xFD),
        i(7),
        Elem::IntAs(-100, 0xFE),
        Elem::IntAs(100, 0xFE),
        Elem::IntAs(-30000, 0xC0),
        Elem::IntAs(30000, 0xC0),
        Elem::IntAs(-8_000_000, 0xF0),
        Elem::IntAs(8_000_000, 0xF0),
        Elem::IntAs(-1, 0xF0),
        Elem::IntAs(-2_000_000_000, 0xD0),
        Elem::IntAs(2_000_000_000, 0xD0),
        Elem::IntAs(-9_000_000_000_000_000_000, 0xE0),
        Elem::IntAs(i64::MAX, 0xE0),
        s(&s14),
        s(&s32),
        s(""),
    ];
    let text = json!([
        "str",
        "0",
        "12",
        "7",
        "-100",
        "100",
        "-30000",
        "30000",
        "-8000000",
        "8000000",
        "-1",
        "-2000000000",
        "2000000000",
        "-9000000000000000000",
        "9223372036854775807",
        s14,
        s32,
        ""
    ]);
    (elems, text)
}

#[test]
fn type10_ziplist_list_all_encodings() {
    let (elems, text) = ziplist_all_encodings();
    let f = Rdb::redis(6)
        .select_db(0)
        .key(T_LIST_ZIPLIST, b"zl", v_blob(&ziplist(&elems)))
        .finish(true);
    check_dump(&f, &[rec("zl", "list", "ziplist", text)]);
}

#[test]
fn type10_ziplist_zllen_65535_and_5_byte_prevlen() {
    let big = "B".repeat(300); // > 253 bytes: the next entry has a 5-byte prevlen
    let elems = vec![s("first"), s(&big), i(5), s("after-big"), i(-70000)];
    let zl = ziplist_with_zllen(&elems, Some(65535));
    let f = Rdb::redis(6)
        .select_db(0)
        .key(T_LIST_ZIPLIST, b"zl65535", v_blob(&zl))
        .key(T_LIST_ZIPLIST, b"zl_lzf", v_blob_lzf(&zl))
        .finish(true);
    let exp = json!(["first", big, "5", "after-big", "-70000"]);
    check_dump(
        &f,
        &[
            rec("zl65535", "list", "ziplist", exp.clone()),
            rec("zl_lzf", "list", "ziplist", exp),
        ],
    );
}

#[test]
fn type11_intset_all_widths() {
    let f = Rdb::redis(6)
        .select_db(0)
        .key(
            T_SET_INTSET,
            b"is16",
            v_blob(&intset(2, &[-32768, -1, 0, 5, 32767])),
        )
        .key(
            T_SET_INTSET,
            b"is32",
            v_blob(&intset(4, &[-2147483648, -70000, 70000, 2147483647])),
        )
        .key(
            T_SET_INTSET,
            b"is64",
            v_blob(&intset(8, &[i64::MIN, -1, 1 << 40, i64::MAX])),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            rec(
                "is16",
                "set",
                "intset",
                strs(&["-32768", "-1", "0", "5", "32767"]),
            ),
            rec(
                "is32",
                "set",
                "intset",
                strs(&["-2147483648", "-70000", "70000", "2147483647"]),
            ),
            rec(
                "is64",
                "set",
                "intset",
                strs(&[
                    "-9223372036854775808",
                    "-1",
                    "1099511627776",
                    "9223372036854775807",
                ]),
            ),
        ],
    );
}

#[test]
fn type12_ziplist_zset() {
    let zl = ziplist(&[
        s("a"),
        s("-0.25"),
        s("b"),
        i(2),
        s("c"),
        s("1.5"),
        i(77),
        i(100000),
    ]);
    let f = Rdb::redis(6)
        .select_db(0)
        .key(T_ZSET_ZIPLIST, b"zz", v_blob(&zl))
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "zz",
            "zset",
            "ziplist",
            json!([["a", -0.25], ["b", 2], ["c", 1.5], ["77", 100000]]),
        )],
    );
}

#[test]
fn type13_ziplist_hash() {
    let zl = ziplist(&[
        s("name"),
        s("alice"),
        i(1),
        i(-2),
        s("n"),
        Elem::IntAs(123456, 0xF0),
    ]);
    let f = Rdb::redis(6)
        .select_db(0)
        .key(T_HASH_ZIPLIST, b"zh", v_blob(&zl))
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "zh",
            "hash",
            "ziplist",
            json!({"name": "alice", "1": "-2", "n": "123456"}),
        )],
    );
}

#[test]
fn type14_quicklist_plain_and_lzf_nodes() {
    let n1 = vec![s("a"), i(1)];
    let n2: Vec<Elem> = (0..30).map(|_| s("repeat-repeat")).collect();
    let n3 = vec![i(-5), s("z")];
    let f = Rdb::redis(7)
        .select_db(0)
        .key(
            T_LIST_QUICKLIST,
            b"ql",
            v_quicklist(&[n1, n2, n3], &[false, true, false]),
        )
        .finish(true);
    let mut exp = vec!["a".to_string(), "1".into()];
    exp.extend(std::iter::repeat_n("repeat-repeat".to_string(), 30));
    exp.extend(["-5".to_string(), "z".into()]);
    check_dump(&f, &[rec("ql", "list", "quicklist", json!(exp))]);
}

/// A listpack with every integer width (7-bit, 13-bit, 16/24/32/64-bit) and
/// 6-bit, 12-bit and 32-bit string lengths.
fn listpack_all_encodings() -> (Vec<Elem>, Vec<String>) {
    let s12 = "m".repeat(100);
    let s12b = "n".repeat(4000);
    let s32 = "o".repeat(5000);
    let elems = vec![
        i(0),
        i(127),
        i(128),
        i(-1),
        i(-4096),
        i(4095),
        Elem::IntAs(-4000, 0xC0),
        Elem::IntAs(5, 0xF1),
        i(-32768),
        i(32767),
        Elem::IntAs(-1, 0xF2),
        i(-8_388_608),
        i(8_388_607),
        i(-2_147_483_648),
        i(2_147_483_647),
        i(i64::MIN),
        i(1 << 40),
        Elem::IntAs(3, 0xF4),
        s("short"),
        s(&s12),
        s(&s12b),
        s(&s32),
        s(""),
    ];
    let text = [
        "0",
        "127",
        "128",
        "-1",
        "-4096",
        "4095",
        "-4000",
        "5",
        "-32768",
        "32767",
        "-1",
        "-8388608",
        "8388607",
        "-2147483648",
        "2147483647",
        "-9223372036854775808",
        "1099511627776",
        "3",
        "short",
    ]
    .iter()
    .map(|x| x.to_string())
    .chain([s12, s12b, s32, String::new()])
    .collect();
    (elems, text)
}

#[test]
fn type15_stream_v1() {
    let (st, exp) = sample_stream(T_STREAM_LISTPACKS);
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_STREAM_LISTPACKS, b"st", v_stream(T_STREAM_LISTPACKS, &st))
        .finish(true);
    check_dump(&f, &[rec("st", "stream", "stream", exp)]);
}

#[test]
fn type16_listpack_hash() {
    let lp = listpack(&[s("f"), s("v"), i(10), i(-20), s("long"), s("L".repeat(200))]);
    let f = Rdb::redis(10)
        .select_db(0)
        .key(T_HASH_LISTPACK, b"lh", v_blob(&lp))
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "lh",
            "hash",
            "listpack",
            json!({"f": "v", "10": "-20", "long": "L".repeat(200)}),
        )],
    );
}

#[test]
fn type17_listpack_zset() {
    let lp = listpack(&[
        s("a"),
        s("-1.5"),
        s("b"),
        i(0),
        s("c"),
        i(3000),
        i(9),
        s("1e10"),
    ]);
    let f = Rdb::redis(10)
        .select_db(0)
        .key(T_ZSET_LISTPACK, b"lz", v_blob(&lp))
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "lz",
            "zset",
            "listpack",
            json!([["a", -1.5], ["b", 0], ["c", 3000], ["9", 1e10]]),
        )],
    );
}

#[test]
fn type18_quicklist2_packed_and_plain_nodes() {
    let (elems, text) = listpack_all_encodings();
    let plain = "P".repeat(9000);
    let f = Rdb::redis(10)
        .select_db(0)
        .key(
            T_LIST_QUICKLIST_2,
            b"q2",
            v_quicklist2(&[
                QlNode::Packed(elems),
                QlNode::Plain(plain.clone().into_bytes()),
                QlNode::PackedLzf((0..40).map(|_| s("same-same")).collect()),
                QlNode::PlainLzf(plain.clone().into_bytes()),
                QlNode::Packed(vec![s("last")]),
            ]),
        )
        .finish(true);
    let mut exp = text;
    exp.push(plain.clone());
    exp.extend(std::iter::repeat_n("same-same".to_string(), 40));
    exp.push(plain);
    exp.push("last".into());
    check_dump(&f, &[rec("q2", "list", "quicklist2", json!(exp))]);
}

#[test]
fn type19_stream_v2() {
    let (st, exp) = sample_stream(T_STREAM_LISTPACKS_2);
    let f = Rdb::redis(10)
        .select_db(0)
        .key(
            T_STREAM_LISTPACKS_2,
            b"st",
            v_stream(T_STREAM_LISTPACKS_2, &st),
        )
        .finish(true);
    check_dump(&f, &[rec("st", "stream", "stream", exp)]);
}

#[test]
fn type20_listpack_set() {
    let lp = listpack(&[s("x"), i(1), i(-9000), s("y")]);
    let f = Rdb::redis(11)
        .select_db(0)
        .key(T_SET_LISTPACK, b"ls", v_blob(&lp))
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "ls",
            "set",
            "listpack",
            strs(&["x", "1", "-9000", "y"]),
        )],
    );
}

#[test]
fn type21_stream_v3() {
    let (st, exp) = sample_stream(T_STREAM_LISTPACKS_3);
    let f = Rdb::redis(11)
        .select_db(0)
        .key(
            T_STREAM_LISTPACKS_3,
            b"st",
            v_stream(T_STREAM_LISTPACKS_3, &st),
        )
        .finish(true);
    check_dump(&f, &[rec("st", "stream", "stream", exp)]);
}

const T0: u64 = 1_800_000_000_000;

#[test]
fn type22_redis_hash_metadata_pre_ga() {
    let f = Rdb::redis(12)
        .select_db(0)
        .key(
            T_HASH_METADATA_PRE_GA,
            b"h22",
            v_hash_metadata_pre_ga(&[
                (b"a", b"1", Some(T0 + 500)),
                (b"b", b"2", None),
                (b"c", b"3", Some(T0)),
            ]),
        )
        .finish(true);
    let r = rec(
        "h22",
        "hash",
        "hashtable",
        json!({"a": "1", "b": "2", "c": "3"}),
    );
    check_dump(
        &f,
        &[with(
            r,
            "field_expire_at_ms",
            json!({"a": T0 + 500, "c": T0}),
        )],
    );
}

#[test]
fn type23_redis_hash_listpack_ex_pre_ga() {
    let f = Rdb::redis(12)
        .select_db(0)
        .key(
            T_HASH_LISTPACK_EX_PRE_GA,
            b"h23",
            // Redis orders listpackex fields: TTL fields ascending, then no-TTL fields.
            v_hash_listpack_ex_pre_ga(&[(b"b", b"2", Some(T0 + 7)), (b"a", b"1", None)]),
        )
        .finish(true);
    let r = rec("h23", "hash", "listpack_ex", json!({"a": "1", "b": "2"}));
    check_dump(&f, &[with(r, "field_expire_at_ms", json!({"b": T0 + 7}))]);
}

#[test]
fn type24_redis_hash_metadata_relative_ttls() {
    let f = Rdb::redis(12)
        .select_db(0)
        .key(
            T_HASH_METADATA,
            b"h24",
            v_hash_metadata(&[
                (b"f1", b"v1", Some(T0 + 1000)),
                (b"f2", b"v2", None),
                (b"f3", b"v3", Some(T0)),
                (b"f4", b"v4", Some(T0 + 86_400_000)),
            ]),
        )
        .finish(true);
    let r = rec(
        "h24",
        "hash",
        "hashtable",
        json!({"f1": "v1", "f2": "v2", "f3": "v3", "f4": "v4"}),
    );
    check_dump(
        &f,
        &[with(
            r,
            "field_expire_at_ms",
            json!({"f1": T0 + 1000, "f3": T0, "f4": T0 + 86_400_000}),
        )],
    );
}

#[test]
fn type25_redis_hash_listpack_ex() {
    let f = Rdb::redis(12)
        .select_db(0)
        .key(
            T_HASH_LISTPACK_EX,
            b"h25",
            v_hash_listpack_ex(&[
                (b"a", b"1", Some(T0 + 5)),
                (b"c", b"3", Some(T0 + 9)),
                (b"b", b"2", None),
            ]),
        )
        .finish(true);
    let r = rec(
        "h25",
        "hash",
        "listpack_ex",
        json!({"a": "1", "b": "2", "c": "3"}),
    );
    check_dump(
        &f,
        &[with(
            r,
            "field_expire_at_ms",
            json!({"a": T0 + 5, "c": T0 + 9}),
        )],
    );
}

#[test]
fn type22_valkey_hash2_minus_one_is_none_zero_is_real() {
    let f = Rdb::valkey(80)
        .aux("valkey-ver", "9.0.0")
        .select_db(0)
        .key(
            T_VALKEY_HASH_2,
            b"vh",
            v_valkey_hash2(&[
                (b"f0", b"zero", 0),
                (b"f1", b"none", -1),
                (b"f2", b"later", T0 as i64),
            ]),
        )
        .finish(true);
    let r = rec(
        "vh",
        "hash",
        "hashtable",
        json!({"f0": "zero", "f1": "none", "f2": "later"}),
    );
    check_dump(
        &f,
        &[with(r, "field_expire_at_ms", json!({"f0": 0, "f2": T0}))],
    );
    let v = verify_ok(&f);
    assert_eq!(v["family"], "valkey");
    assert_eq!(v["rdb_version"], 80);
}

#[test]
fn type26_stream_v4_idmp() {
    let (mut st, exp) = sample_stream(T_STREAM_LISTPACKS_4);
    st.idmp = Some(Idmp {
        duration_s: 100,
        max_entries: 1000,
        producers: vec![
            IdmpProducer {
                pid: b"producer-1".to_vec(),
                entries: vec![
                    (b"iid-a".to_vec(), (1000, 0)),
                    (b"iid-b".to_vec(), (1000, 1)),
                ],
            },
            IdmpProducer {
                pid: b"p2".to_vec(),
                entries: vec![],
            },
        ],
        iids_added: 2,
        iids_duplicates: 1,
    });
    // rdbscope reports the IDMP tail too.
    let mut exp = exp;
    exp["idmp"] = json!({
        "duration_s": 100, "max_entries": 1000,
        "producers": [
            {"producer": "producer-1", "entries": [["iid-a", "1000-0"], ["iid-b", "1000-1"]]},
            {"producer": "p2", "entries": []}
        ],
        "iids_added": 2, "iids_duplicates": 1
    });
    let f = Rdb::redis(13)
        .select_db(0)
        .key(
            T_STREAM_LISTPACKS_4,
            b"st",
            v_stream(T_STREAM_LISTPACKS_4, &st),
        )
        .finish(true);
    check_dump(&f, &[rec("st", "stream", "stream", exp)]);
}

#[test]
fn type27_stream_v5_nack_zone() {
    let (mut st, mut exp) = sample_stream(T_STREAM_LISTPACKS_5);
    // (1001,0) goes into the group PEL but belongs to no consumer: NACK zone.
    st.groups[0].pel.push(Pel {
        id: (1001, 0),
        delivery_time_ms: T0 + 3,
        delivery_count: 4,
    });
    st.groups[0].nack = vec![(1001, 0)];
    exp["groups"][0]["pending"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "1001-0", "delivery_time_ms": T0 + 3, "delivery_count": 4}));
    // rdbscope reports the NACK zone and the (empty) IDMP tail too.
    exp["groups"][0]["nack"] = json!(["1001-0"]);
    exp["idmp"] = json!({"duration_s": 0, "max_entries": 0, "producers": [], "iids_added": 0, "iids_duplicates": 0});
    let f = Rdb::redis(14)
        .select_db(0)
        .key(
            T_STREAM_LISTPACKS_5,
            b"st",
            v_stream(T_STREAM_LISTPACKS_5, &st),
        )
        .key(T_STRING, b"after", v_string(b"x"))
        .finish(true);
    check_dump(
        &f,
        &[
            rec("st", "stream", "stream", exp),
            rec("after", "string", "string", json!("x")),
        ],
    );
}

#[test]
fn type28_array() {
    let f = Rdb::redis(14)
        .select_db(0)
        .key(
            T_ARRAY,
            b"arr",
            v_array(
                &[
                    (0, ArrVal::Sds(b"sds-value".to_vec())),
                    (1, ArrVal::Int(-42)),
                    (2, ArrVal::Float(1.5)),
                    (7, ArrVal::SmallStr(b"small".to_vec())),
                    (1000, ArrVal::Int(1 << 40)),
                ],
                None,
            ),
        )
        .key(
            T_ARRAY,
            b"arr_ix",
            v_array(
                &[
                    (3, ArrVal::SmallStr(b"x".to_vec())),
                    (49, ArrVal::Float(-0.5)),
                ],
                Some(49),
            ),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            rec(
                "arr",
                "array",
                "array",
                json!([
                    [0, "sds-value"],
                    [1, -42],
                    [2, 1.5],
                    [7, "small"],
                    [1000, 1u64 << 40]
                ]),
            ),
            rec("arr_ix", "array", "array", json!([[3, "x"], [49, -0.5]])),
        ],
    );
}

/// Types 30 and 32 with the opcode 242 registry (the RDB save forms).
#[test]
fn type30_type32_hash_templates_by_reference() {
    let f = Rdb::redis(15)
        .hash_template(0, &[b"age", b"name", b"email"])
        .hash_template(1, &[b"a", b"b"])
        .select_db(0)
        .key(
            T_HASH_TMPL_LP_REF,
            b"u:1",
            v_hash_tmpl_lp_ref(0, &[s("42"), s("Edijs"), s("e@x.com")]),
        )
        .key(
            T_HASH_TMPL_ARRAY_REF,
            b"u:2",
            v_hash_tmpl_array_ref(1, &[string(b"1"), string_int(2)]),
        )
        .key(
            T_HASH_TMPL_LP_REF,
            b"u:3",
            v_hash_tmpl_lp_ref(1, &[i(7), s("x")]),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            rec(
                "u:1",
                "hash",
                "template-listpack",
                json!({"age": "42", "name": "Edijs", "email": "e@x.com"}),
            ),
            rec("u:2", "hash", "template-array", json!({"a": "1", "b": "2"})),
            rec(
                "u:3",
                "hash",
                "template-listpack",
                json!({"a": "7", "b": "x"}),
            ),
        ],
    );
    assert_eq!(verify_ok(&f)["keys"], 3);
}

/// Types 29 and 31, the self-contained (DUMP) forms, in a file.
#[test]
fn type29_type31_hash_templates_self_contained() {
    let f = Rdb::redis(15)
        .select_db(0)
        .key(
            T_HASH_TMPL_LP,
            b"t29",
            v_hash_tmpl_lp(&[b"f0", b"f1"], &[s("v0"), i(1)], false),
        )
        .key(
            T_HASH_TMPL_LP,
            b"t29i",
            v_hash_tmpl_lp(&[b"f0", b"f1"], &[s("v0"), s("v1")], true),
        )
        .key(
            T_HASH_TMPL_ARRAY,
            b"t31",
            v_hash_tmpl_array(
                &[b"field1", b"field2"],
                &[string_int(1), string_int(2)],
                true,
            ),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            rec(
                "t29",
                "hash",
                "template-listpack",
                json!({"f0": "v0", "f1": "1"}),
            ),
            rec(
                "t29i",
                "hash",
                "template-listpack",
                json!({"f0": "v0", "f1": "v1"}),
            ),
            rec(
                "t31",
                "hash",
                "template-array",
                json!({"field1": "1", "field2": "2"}),
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------

/// A stream with two nodes (SAMEFIELDS entries, a different-fields entry, a
/// deleted entry, a negative seq delta), one group with a PEL and two consumers.
/// Returns the stream and its expected `value` for the given type byte.
fn sample_stream(type_byte: u8) -> (Stream, Value) {
    let mut gone = entry((1002, 5), &[("name", "gone"), ("age", "0")]);
    gone.deleted = true;
    let st = Stream {
        nodes: vec![
            StreamNode {
                master_id: (1000, 0),
                entries: vec![
                    entry((1000, 0), &[("name", "alice"), ("age", "30")]),
                    entry((1000, 1), &[("name", "bob"), ("age", "25")]),
                    entry((1001, 0), &[("x", "1")]),
                    gone,
                ],
            },
            StreamNode {
                master_id: (2000, 3),
                entries: vec![
                    entry((2000, 3), &[("k", "v")]),
                    entry((2005, 0), &[("k", "w"), ("extra", "")]),
                ],
            },
        ],
        length: 5,
        last_id: (2005, 0),
        first_id: (1000, 0),
        max_deleted_id: (1002, 5),
        entries_added: 6,
        groups: vec![Group {
            name: b"g1".to_vec(),
            last_id: (1001, 0),
            entries_read: 3,
            pel: vec![
                Pel {
                    id: (1000, 0),
                    delivery_time_ms: T0 + 1,
                    delivery_count: 2,
                },
                Pel {
                    id: (1000, 1),
                    delivery_time_ms: T0 + 2,
                    delivery_count: 1,
                },
            ],
            consumers: vec![
                Consumer {
                    name: b"c1".to_vec(),
                    seen_time_ms: T0 + 10,
                    active_time_ms: T0 + 11,
                    pending: vec![(1000, 0), (1000, 1)],
                },
                Consumer {
                    name: b"c2".to_vec(),
                    seen_time_ms: T0 + 20,
                    active_time_ms: T0 + 21,
                    pending: vec![],
                },
            ],
            nack: vec![],
        }],
        idmp: None,
    };
    let v2 = type_byte >= T_STREAM_LISTPACKS_2;
    let v3 = type_byte >= T_STREAM_LISTPACKS_3;
    let exp = json!({
        "length": 5,
        "last_id": "2005-0",
        "first_id": if v2 { json!("1000-0") } else { Value::Null },
        "max_deleted_id": if v2 { json!("1002-5") } else { Value::Null },
        "entries_added": if v2 { json!(6) } else { Value::Null },
        "entries": [
            {"id": "1000-0", "fields": [["name", "alice"], ["age", "30"]]},
            {"id": "1000-1", "fields": [["name", "bob"], ["age", "25"]]},
            {"id": "1001-0", "fields": [["x", "1"]]},
            {"id": "2000-3", "fields": [["k", "v"]]},
            {"id": "2005-0", "fields": [["k", "w"], ["extra", ""]]},
        ],
        "groups": [{
            "name": "g1",
            "last_id": "1001-0",
            "entries_read": if v2 { json!(3) } else { Value::Null },
            "pending": [
                {"id": "1000-0", "delivery_time_ms": T0 + 1, "delivery_count": 2},
                {"id": "1000-1", "delivery_time_ms": T0 + 2, "delivery_count": 1},
            ],
            "consumers": [
                {"name": "c1", "seen_time_ms": T0 + 10, "active_time_ms": if v3 { json!(T0 + 11) } else { Value::Null },
                 "pending": ["1000-0", "1000-1"]},
                {"name": "c2", "seen_time_ms": T0 + 20, "active_time_ms": if v3 { json!(T0 + 21) } else { Value::Null },
                 "pending": []},
            ],
        }],
    });
    (st, exp)
}

#[test]
fn stream_empty_and_without_groups() {
    let st = Stream {
        nodes: vec![],
        length: 0,
        last_id: (5, 1),
        first_id: (0, 0),
        max_deleted_id: (5, 1),
        entries_added: 3,
        groups: vec![],
        idmp: None,
    };
    let f = Rdb::redis(11)
        .select_db(0)
        .key(
            T_STREAM_LISTPACKS_3,
            b"e",
            v_stream(T_STREAM_LISTPACKS_3, &st),
        )
        .finish(true);
    check_dump(
        &f,
        &[rec(
            "e",
            "stream",
            "stream",
            json!({"length": 0, "last_id": "5-1", "first_id": "0-0", "max_deleted_id": "5-1", "entries_added": 3,
                   "entries": [], "groups": []}),
        )],
    );
}

// ---------------------------------------------------------------------------
// Length forms
// ---------------------------------------------------------------------------

#[test]
fn length_forms_for_keys() {
    let k100 = "k".repeat(100); // 14-bit natural
    let k20000 = "K".repeat(20000); // 32-bit natural
    let f = Rdb::redis(9)
        .select_db(0)
        .key_enc(
            T_STRING,
            &string_forced(b"six", Some(LenForm::B6)),
            v_string(b"1"),
        )
        .key_enc(
            T_STRING,
            &string_forced(b"fourteen", Some(LenForm::B14)),
            v_string(b"2"),
        )
        .key_enc(
            T_STRING,
            &string_forced(b"thirtytwo", Some(LenForm::B32)),
            v_string(b"3"),
        )
        .key_enc(
            T_STRING,
            &string_forced(b"sixtyfour", Some(LenForm::B64)),
            v_string(b"4"),
        )
        .key(T_STRING, k100.as_bytes(), v_string(b"5"))
        .key(
            T_STRING,
            k20000.as_bytes(),
            string_forced(b"v64", Some(LenForm::B64)),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            rec("six", "string", "string", json!("1")),
            rec("fourteen", "string", "string", json!("2")),
            rec("thirtytwo", "string", "string", json!("3")),
            rec("sixtyfour", "string", "string", json!("4")),
            rec(&k100, "string", "string", json!("5")),
            rec(&k20000, "string", "string", json!("v64")),
        ],
    );
}

#[test]
fn length_forms_for_counts_and_dbs() {
    let list_with = |form: LenForm| {
        let mut v = len_forced(3, form);
        for e in [&b"a"[..], b"b", b"c"] {
            v.extend(string(e));
        }
        v
    };
    let many: Vec<String> = (0..17000).map(|n| format!("{}", n % 10)).collect();
    let many_refs: Vec<&[u8]> = many.iter().map(|x| x.as_bytes()).collect();
    let hundred: Vec<String> = (0..100).map(|n| format!("m{n}")).collect();
    let hundred_refs: Vec<&[u8]> = hundred.iter().map(|x| x.as_bytes()).collect();
    let f = Rdb::redis(9)
        .select_db_enc(&len_forced(0, LenForm::B64))
        .key(T_LIST, b"c6", list_with(LenForm::B6))
        .key(T_LIST, b"c14", list_with(LenForm::B14))
        .key(T_LIST, b"c32", list_with(LenForm::B32))
        .key(T_LIST, b"c64", list_with(LenForm::B64))
        .select_db_enc(&len_forced(100, LenForm::B14))
        .key(T_SET, b"s100", v_list(&hundred_refs))
        .select_db_enc(&len_forced(7, LenForm::B32))
        .key(T_LIST, b"l17000", v_list(&many_refs))
        .finish(true);
    let abc = strs(&["a", "b", "c"]);
    check_dump(
        &f,
        &[
            rec("c6", "list", "linkedlist", abc.clone()),
            rec("c14", "list", "linkedlist", abc.clone()),
            rec("c32", "list", "linkedlist", abc.clone()),
            rec("c64", "list", "linkedlist", abc),
            with(
                rec("s100", "set", "hashtable", json!(hundred)),
                "db",
                json!(100),
            ),
            with(
                rec("l17000", "list", "linkedlist", json!(many)),
                "db",
                json!(7),
            ),
        ],
    );
}

#[test]
fn lzf_with_long_lengths() {
    // ulen 3000 (14-bit), a compressed stream that needs back-references.
    let data: Vec<u8> = (0..3000u32)
        .map(|n| b"abcdefghij"[(n % 10) as usize])
        .collect();
    let long_key: Vec<u8> = (0..20000u32).map(|n| (n % 7) as u8 + b'a').collect(); // ulen 32-bit
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_STRING, b"l3000", string_lzf(&data))
        .key_enc(T_STRING, &string_lzf(&long_key), v_string(b"k"))
        .finish(true);
    check_dump(
        &f,
        &[
            rec(
                "l3000",
                "string",
                "string",
                json!(String::from_utf8(data).unwrap()),
            ),
            rec(
                &String::from_utf8(long_key).unwrap(),
                "string",
                "string",
                json!("k"),
            ),
        ],
    );
}

// ---------------------------------------------------------------------------
// INT- and LZF-encoded strings in every position
// ---------------------------------------------------------------------------

#[test]
fn encoded_strings_as_keys_members_fields_and_aux() {
    let lzf_key = "lzf-key-".repeat(5);
    let lzf_member = "member-".repeat(6);
    let lzf_field = "field-".repeat(6);
    let lzf_aux = "aux-value-".repeat(4);
    let f = Rdb::redis(9)
        .aux_enc(&string(b"ctime"), &string_int32(1_700_000_000))
        .aux_enc(&string(b"redis-bits"), &string_int8(64))
        .aux_enc(&string(b"used-mem"), &string_int16(-2))
        .aux_enc(
            &string_lzf(b"%lzf-aux-name-lzf-aux-name"),
            &string_lzf(lzf_aux.as_bytes()),
        )
        .select_db(0)
        .key_enc(T_STRING, &string_int8(-5), v_string(b"int8 key"))
        .key_enc(T_STRING, &string_int16(1000), v_string(b"int16 key"))
        .key_enc(T_STRING, &string_int32(100000), v_string(b"int32 key"))
        .key_enc(
            T_STRING,
            &string_lzf(lzf_key.as_bytes()),
            v_string(b"lzf key"),
        )
        .key(
            T_SET,
            b"set",
            v_list_enc(&[
                string_int(1),
                string_int(-200),
                string_int(70000),
                string_lzf(lzf_member.as_bytes()),
            ]),
        )
        .key(T_ZSET_2, b"zset", {
            let mut v = len(2);
            v.extend(string_int(5));
            v.extend(double_bin(2.0));
            v.extend(string_lzf(lzf_member.as_bytes()));
            v.extend(double_bin(1.0));
            v
        })
        .key(
            T_HASH,
            b"hash",
            v_hash_enc(&[
                (string_int(7), string(b"seven")),
                (string_lzf(lzf_field.as_bytes()), string_int(-8)),
            ]),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            rec("-5", "string", "string", json!("int8 key")),
            rec("1000", "string", "string", json!("int16 key")),
            rec("100000", "string", "string", json!("int32 key")),
            rec(&lzf_key, "string", "string", json!("lzf key")),
            rec(
                "set",
                "set",
                "hashtable",
                json!(["1", "-200", "70000", lzf_member]),
            ),
            rec(
                "zset",
                "zset",
                "skiplist",
                json!([["5", 2.0], [lzf_member, 1.0]]),
            ),
            rec(
                "hash",
                "hash",
                "hashtable",
                json!({"7": "seven", lzf_field: "-8"}),
            ),
        ],
    );
    let v = verify_ok(&f);
    assert_eq!(
        v["aux"],
        json!({"ctime": "1700000000", "redis-bits": "64", "used-mem": "-2", "%lzf-aux-name-lzf-aux-name": lzf_aux})
    );
}

#[test]
fn non_utf8_bytes_are_escaped() {
    let f = Rdb::redis(9)
        .aux("note", "caf\u{e9}")
        .raw(&[OP_AUX])
        .raw(&string(b"bin\xff"))
        .raw(&string(b"a\\b"))
        .select_db(0)
        .key(T_STRING, b"bin\xff\xfe\\end", v_string(b"\x80ok"))
        .key(
            T_STRING,
            "h\u{e9}llo".as_bytes(),
            v_string("\u{2603}".as_bytes()),
        )
        .key(T_HASH, b"h", v_hash(&[(b"\xc3", b"\\")]))
        .finish(true);
    check_dump(
        &f,
        &[
            rec("bin\\xff\\xfe\\\\end", "string", "string", json!("\\x80ok")),
            rec("h\u{e9}llo", "string", "string", json!("\u{2603}")),
            rec("h", "hash", "hashtable", json!({"\\xc3": "\\\\"})),
        ],
    );
    let v = verify_ok(&f);
    assert_eq!(v["aux"], json!({"note": "caf\u{e9}", "bin\\xff": "a\\\\b"}));
}

// ---------------------------------------------------------------------------
// Prefix opcodes, opcodes between keys, databases
// ---------------------------------------------------------------------------

#[test]
fn expire_idle_freq_apply_to_next_key_only() {
    let f = Rdb::redis(9)
        .select_db(0)
        .expire_ms(T0 as i64)
        .idle(3600)
        .key(T_STRING, b"a", v_string(b"1"))
        .key(T_STRING, b"b", v_string(b"2"))
        .freq(200)
        .expire_ms(T0 as i64 + 1)
        .key(T_STRING, b"c", v_string(b"3"))
        .expire_s(1_700_000_000)
        .key(T_STRING, b"d", v_string(b"4"))
        .idle(70000) // 32-bit length form
        .key(T_STRING, b"e", v_string(b"5"))
        .finish(true);
    check_dump(
        &f,
        &[
            with(
                with(
                    rec("a", "string", "string", json!("1")),
                    "expire_at_ms",
                    json!(T0),
                ),
                "idle_s",
                json!(3600),
            ),
            rec("b", "string", "string", json!("2")),
            with(
                with(
                    rec("c", "string", "string", json!("3")),
                    "expire_at_ms",
                    json!(T0 + 1),
                ),
                "lfu_freq",
                json!(200),
            ),
            with(
                rec("d", "string", "string", json!("4")),
                "expire_at_ms",
                json!(1_700_000_000_000u64),
            ),
            with(
                rec("e", "string", "string", json!("5")),
                "idle_s",
                json!(70000),
            ),
        ],
    );
}

#[test]
fn opcodes_between_and_after_keys() {
    let (modval, _) = v_module("ReJSON-RL", 5, &[ModOp::Str(string(b"{}"))]);
    let f = Rdb::redis(12)
        .aux("redis-ver", "7.4.1")
        .module_aux(
            "MBbloom--",
            1,
            1,
            &[ModOp::Uint(9), ModOp::Str(string(b"cfg"))],
        )
        .function2(b"#!lua name=mylib\nredis.register_function('f', function() return 1 end)")
        .function_pre_ga(b"oldlib", b"LUA", Some(b"desc"), b"return 1")
        .function_pre_ga(b"nodesc", b"LUA", None, b"return 2")
        .select_db(0)
        .resize_db(3, 1)
        .slot_info(12182, 2, 0)
        .key(T_STRING, b"k1", v_string(b"v1"))
        .aux("slot-info", "12182,2,0")
        .slot_info(5000, 1, 1)
        .expire_ms(T0 as i64)
        .key(T_MODULE_2, b"k2", modval)
        .select_db(1)
        .key(T_STRING, b"k3", v_string(b"v3"))
        .module_aux(
            "MBbloom--",
            1,
            2,
            &[ModOp::Double(0.5), ModOp::Float(2.0), ModOp::Sint(3)],
        )
        .aux("late-aux", "after-keys")
        .finish(true);
    let recs = dump(&f);
    check(
        &recs,
        &[
            rec("k1", "string", "string", json!("v1")),
            with(
                rec(
                    "k2",
                    "ReJSON-RL",
                    "module",
                    json!({"module": "ReJSON-RL", "encver": 5, "serialized_bytes": 5}),
                ),
                "expire_at_ms",
                json!(T0),
            ),
            with(rec("k3", "string", "string", json!("v3")), "db", json!(1)),
        ],
    );
    let v = verify_ok(&f);
    assert_eq!(v["keys"], 3);
    assert_eq!(
        v["aux"],
        json!({"redis-ver": "7.4.1", "slot-info": "12182,2,0", "late-aux": "after-keys"})
    );
}

#[test]
fn redis_key_meta_before_key_at_rdb13() {
    let f = Rdb::redis(13)
        .select_db(0)
        .expire_ms(T0 as i64)
        .freq(7)
        .key_meta(&[
            (
                *b"\x01\x02\x03\x04",
                vec![ModOp::Uint(1), ModOp::Str(string(b"meta"))],
            ),
            (
                *b"ABCD",
                vec![ModOp::Double(1.0), ModOp::Str(string_lzf(&[b'q'; 50]))],
            ),
        ])
        .key(T_STRING, b"with-meta", v_string(b"v"))
        .key(T_STRING, b"plain", v_string(b"w"))
        .key_meta(&[(*b"\0\0\0\0", vec![])])
        .key(
            T_LIST_QUICKLIST_2,
            b"list",
            v_quicklist2(&[QlNode::Packed(vec![s("a")])]),
        )
        .finish(true);
    check_dump(
        &f,
        &[
            with(
                with(
                    rec("with-meta", "string", "string", json!("v")),
                    "expire_at_ms",
                    json!(T0),
                ),
                "lfu_freq",
                json!(7),
            ),
            rec("plain", "string", "string", json!("w")),
            rec("list", "list", "quicklist2", strs(&["a"])),
        ],
    );
    assert_eq!(verify_ok(&f)["keys"], 3);
}

#[test]
fn valkey_slot_import_at_rdb80() {
    let job = [b'J'; 40];
    let f = Rdb::valkey(80)
        .aux("valkey-ver", "9.0.0")
        .slot_import(&job, &[(0, 100), (16000, 16383)])
        .slot_import(&job, &[])
        .select_db(0)
        .key(T_HASH_LISTPACK, b"h", v_blob(&listpack(&[s("f"), s("v")])))
        .finish(true);
    check_dump(&f, &[rec("h", "hash", "listpack", json!({"f": "v"}))]);
    let v = verify_ok(&f);
    assert_eq!(v["family"], "valkey");
    assert_eq!(v["keys"], 1);
}

/// Byte 22 is HASH_METADATA_PRE_GA in a Redis file and HASH_2 in a Valkey file.
#[test]
fn byte22_depends_on_family() {
    // HASH_METADATA_PRE_GA: n, (ttl, field, value) — TTL first.
    let redis_val = v_hash_metadata_pre_ga(&[(b"f", b"v", Some(T0)), (b"g", b"w", None)]);
    // HASH_2: n, (field, value, 8-byte expiry).
    let valkey_val = v_valkey_hash2(&[(b"f", b"v", T0 as i64), (b"g", b"w", -1)]);
    let exp = with(
        rec("h", "hash", "hashtable", json!({"f": "v", "g": "w"})),
        "field_expire_at_ms",
        json!({"f": T0}),
    );
    check_dump(
        &Rdb::redis(12)
            .select_db(0)
            .key(22, b"h", redis_val.clone())
            .finish(true),
        std::slice::from_ref(&exp),
    );
    check_dump(
        &Rdb::valkey(80)
            .select_db(0)
            .key(22, b"h", valkey_val.clone())
            .finish(true),
        std::slice::from_ref(&exp),
    );
    // And each layout fails under the other family.
    let (r, v) = verify(
        &Rdb::valkey(80)
            .select_db(0)
            .key(22, b"h", redis_val)
            .finish(true),
    );
    assert_eq!(
        r.code,
        Some(2),
        "Redis 22 layout under VALKEY080 must not decode\n{}",
        r.describe()
    );
    assert!(v["error"].is_object());
}

#[test]
fn valkey_family_detected_from_aux_at_rdb11() {
    let f = Rdb::redis(11)
        .aux("valkey-ver", "8.0.1")
        .aux("redis-bits", "64")
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let v = verify_ok(&f);
    assert_eq!(v["family"], "valkey");
    assert_eq!(v["rdb_version"], 11);
    let v = verify_ok(&Rdb::redis(11).aux("redis-ver", "7.2.4").finish(true));
    assert_eq!(v["family"], "redis");
    assert_eq!(v["keys"], 0);
}

#[test]
fn dump_record_has_exactly_the_contract_fields() {
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_STRING, b"a", v_string(b"1"))
        .freq(3)
        .idle(4)
        .key(T_STRING, b"b", v_string(b"2"))
        .finish(true);
    let recs = dump(&f);
    assert_eq!(recs.len(), 2);
    let keys = |r: &Value| {
        let mut k: Vec<String> = r.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&recs[0]),
        ["db", "encoding", "expire_at_ms", "key", "type", "value"]
    );
    assert_eq!(
        keys(&recs[1]),
        [
            "db",
            "encoding",
            "expire_at_ms",
            "idle_s",
            "key",
            "lfu_freq",
            "type",
            "value"
        ]
    );
}

/// Old dumps can hold empty collections (servers drop them on load); a decoder
/// reports them as stored (FORMAT.md §9 "Empty collections").
#[test]
fn empty_collections_are_reported() {
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_LIST, b"l", v_list(&[]))
        .key(T_SET, b"s", v_list(&[]))
        .key(T_HASH, b"h", v_hash(&[]))
        .key(T_ZSET_2, b"z", v_zset2(&[]))
        .key(T_LIST_ZIPLIST, b"zl", v_blob(&ziplist(&[])))
        .key(T_SET_INTSET, b"is", v_blob(&intset(2, &[])))
        .key(T_LIST_QUICKLIST, b"ql", v_quicklist(&[], &[]))
        .finish(true);
    check_dump(
        &f,
        &[
            rec("l", "list", "linkedlist", json!([])),
            rec("s", "set", "hashtable", json!([])),
            rec("h", "hash", "hashtable", json!({})),
            rec("z", "zset", "skiplist", json!([])),
            rec("zl", "list", "ziplist", json!([])),
            rec("is", "set", "intset", json!([])),
            rec("ql", "list", "quicklist", json!([])),
        ],
    );
}

/// Duplicate keys (DEBUG RELOAD MERGE, replica feeds) are counted, not merged.
#[test]
fn duplicate_keys_are_all_reported() {
    let f = Rdb::redis(9)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"first"))
        .key(T_STRING, b"k", v_string(b"second"))
        .finish(true);
    check_dump(
        &f,
        &[
            rec("k", "string", "string", json!("first")),
            rec("k", "string", "string", json!("second")),
        ],
    );
    assert_eq!(verify_ok(&f)["keys"], 2);
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/// A small file that is valid at `v`, with the record types that version had.
fn file_for_version(v: u32) -> (Vec<u8>, Vec<Value>) {
    let mut b = Rdb::redis(v);
    if v >= 7 {
        b = b.aux("redis-ver", "x.y.z");
    }
    b = b.select_db(0);
    if v >= 7 {
        b = b.resize_db(3, 1);
    }
    let mut exp = Vec::new();
    if v >= 3 {
        b = b.expire_ms(T0 as i64);
        exp.push(with(
            rec("s", "string", "string", json!("str")),
            "expire_at_ms",
            json!(T0),
        ));
    } else {
        b = b.expire_s(1_800_000_000);
        exp.push(with(
            rec("s", "string", "string", json!("str")),
            "expire_at_ms",
            json!(1_800_000_000_000u64),
        ));
    }
    b = b.key(T_STRING, b"s", v_string(b"str"));
    b = b.key(T_SET, b"set", v_list(&[b"m"]));
    exp.push(rec("set", "set", "hashtable", strs(&["m"])));
    if v >= 2 {
        b = b.key(T_LIST_ZIPLIST, b"zl", v_blob(&ziplist(&[s("a"), i(1)])));
        exp.push(rec("zl", "list", "ziplist", strs(&["a", "1"])));
    } else {
        b = b.key(T_LIST, b"zl", v_list(&[b"a", b"1"]));
        exp.push(rec("zl", "list", "linkedlist", strs(&["a", "1"])));
    }
    if v >= 8 {
        b = b.key(T_ZSET_2, b"z", v_zset2(&[(b"m", 1.0)]));
    } else {
        b = b.key(T_ZSET, b"z", v_zset_ascii(&[(b"m", 1.0)]));
    }
    exp.push(rec("z", "zset", "skiplist", json!([["m", 1.0]])));
    if v >= 10 {
        b = b.key(T_HASH_LISTPACK, b"h", v_blob(&listpack(&[s("f"), s("v")])));
        exp.push(rec("h", "hash", "listpack", json!({"f": "v"})));
    } else {
        b = b.key(T_HASH, b"h", v_hash(&[(b"f", b"v")]));
        exp.push(rec("h", "hash", "hashtable", json!({"f": "v"})));
    }
    (b.finish(true), exp)
}

#[test]
fn versions_1_to_15() {
    let mut errs = Vec::new();
    for v in 1..=15u32 {
        let (f, exp) = file_for_version(v);
        let (r, out) = verify(&f);
        let want_ck = if v >= 5 { "ok" } else { "absent" };
        if r.code != Some(0)
            || out["rdb_version"] != v
            || out["family"] != "redis"
            || out["keys"] != exp.len()
            || out["checksum"] != want_ck
            || out["error"] != Value::Null
            || out["warnings"] != json!([])
        {
            errs.push(format!(
                "version {v}: verify gave {out} (exit {:?})",
                r.code
            ));
        }
        let res = std::panic::catch_unwind(|| check_dump(&f, &exp));
        if res.is_err() {
            errs.push(format!(
                "version {v}: dump mismatch (see panic output above)"
            ));
        }
    }
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

#[test]
fn version_80_valkey() {
    let f = Rdb::valkey(80)
        .aux("valkey-ver", "9.1.2")
        .select_db(0)
        .key(T_SET_LISTPACK, b"s", v_blob(&listpack(&[s("a")])))
        .finish(true);
    let v = verify_ok(&f);
    assert_eq!(v["rdb_version"], 80);
    assert_eq!(v["family"], "valkey");
    assert_eq!(v["checksum"], "ok");
    assert_eq!(v["warnings"], json!([]));
    check_dump(&f, &[rec("s", "set", "listpack", strs(&["a"]))]);
}

#[test]
fn future_versions_decode_with_a_warning() {
    for ver in [16u32, 99] {
        let f = Rdb::redis(ver)
            .aux("redis-ver", "99.0.0")
            .select_db(0)
            .key(T_STRING, b"k", v_string(b"v"))
            .key(T_SET_LISTPACK, b"s", v_blob(&listpack(&[i(1)])))
            .finish(true);
        let v = verify_ok(&f);
        assert_eq!(v["rdb_version"], ver);
        assert_eq!(v["keys"], 2);
        let w = v["warnings"].as_array().expect("warnings array");
        assert!(!w.is_empty(), "version {ver} should warn: {v}");
        check_dump(
            &f,
            &[
                rec("k", "string", "string", json!("v")),
                rec("s", "set", "listpack", strs(&["1"])),
            ],
        );
    }
    let f = Rdb::valkey(81)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    let v = verify_ok(&f);
    assert!(
        !v["warnings"].as_array().unwrap().is_empty(),
        "VALKEY081 should warn: {v}"
    );
}

// ---------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------

fn mixed_file() -> Vec<u8> {
    Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .select_db(0)
        .expire_ms(T0 as i64)
        .key(T_STRING, b"s", v_string(b"value"))
        .key(
            T_LIST_QUICKLIST_2,
            b"l",
            v_quicklist2(&[QlNode::Packed(vec![s("a"), i(-3)])]),
        )
        .key(T_HASH_LISTPACK, b"h", v_blob(&listpack(&[s("f"), i(1)])))
        .select_db(2)
        .key(T_SET_INTSET, b"i", v_blob(&intset(2, &[1, 2])))
        .finish(true)
}

#[test]
fn compressed_and_aof_wrapped_files_decode_like_raw() {
    let raw = mixed_file();
    let base = dump(&raw);
    assert_eq!(base.len(), 4);
    let vbase = verify_ok(&raw);
    let strip = |mut r: Vec<Value>| {
        for x in r.iter_mut() {
            if let Some(o) = x.as_object_mut() {
                o.remove("file");
            }
        }
        r
    };
    for (name, bytes) in [
        ("gzip", gzip(&raw)),
        ("zstd", zstd(&raw)),
        ("lz4", lz4_frame(&raw)),
        ("aof", aof_with_preamble(&raw, &aof_tail())),
        ("gzip-aof", gzip(&aof_with_preamble(&raw, &aof_tail()))),
    ] {
        let got = dump(&bytes);
        assert_eq!(
            strip(got),
            strip(base.clone()),
            "{name}: dump differs from raw file"
        );
        let v = verify_ok(&bytes);
        for f in ["rdb_version", "family", "keys", "checksum", "aux"] {
            assert_eq!(v[f], vbase[f], "{name}: verify field {f}");
        }
    }
}

// ---------------------------------------------------------------------------
// Checksums and errors
// ---------------------------------------------------------------------------

#[test]
fn checksum_zero_is_absent_and_flipped_is_mismatch() {
    let b = Rdb::redis(9)
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"value"));
    let zero = b.clone().finish(false);
    let v = verify_ok(&zero);
    assert_eq!(v["checksum"], "absent");
    assert_eq!(v["keys"], 1);

    let good = b.clone().finish(true);
    assert_eq!(verify_ok(&good)["checksum"], "ok");

    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 1] ^= 0x01;
    let (r, v) = verify(&flipped);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert_eq!(v["checksum"], "mismatch");
    assert_eq!(v["keys"], 1);

    // A changed value byte: still parses, CRC catches it.
    let mut content = good.clone();
    let pos = content.windows(5).position(|w| w == b"value").unwrap();
    content[pos] = b'V';
    let (r, v) = verify(&content);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert_eq!(v["checksum"], "mismatch");
}

#[test]
fn unknown_type_byte_reports_its_offset() {
    for (family, ty) in [
        ("redis", 8u8),
        ("redis", 60),
        ("redis", 0x63),
        ("valkey", 23),
        ("valkey", 28),
    ] {
        let b = if family == "redis" {
            Rdb::redis(12)
        } else {
            Rdb::valkey(80)
        };
        let b = b.select_db(0).key(T_STRING, b"ok", v_string(b"1"));
        let at = b.offset();
        let f = b.key(ty, b"bad", v_string(b"x")).finish(false);
        let (r, v) = verify(&f);
        assert_eq!(r.code, Some(2), "{family} type {ty}: {}", r.describe());
        assert_eq!(v["error"]["offset"], at, "{family} type {ty}: {v}");
        let d = tmp();
        let p = write(d.path(), "bad.rdb", &f);
        let (r, _) = dump_path(&p);
        assert_eq!(r.code, Some(2), "{}", r.describe());
        assert_eq!(
            offset_in(&r.stderr),
            Some(at as u64),
            "{family} type {ty}: stderr {:?}",
            r.stderr
        );
    }
}

#[test]
fn invalid_length_byte_is_an_error() {
    for bad in [0x82u8, 0xBF] {
        let b = Rdb::redis(9).select_db(0);
        let at = b.offset() + 1;
        let f = b
            .raw(&[T_STRING, bad, 0, 0, 0, 1, b'k'])
            .raw(&string(b"v"))
            .finish(false);
        let (r, v) = verify(&f);
        assert_eq!(r.code, Some(2), "{}", r.describe());
        let off = v["error"]["offset"].as_u64().expect("error offset");
        assert!(
            off <= f.len() as u64 && off >= at as u64 - 1,
            "offset {off} (length byte at {at})"
        );
    }
}

#[test]
fn verify_many_files_one_line_each() {
    let d = tmp();
    let good = write(d.path(), "good.rdb", &mixed_file());
    let mut badb = mixed_file();
    let n = badb.len();
    badb[n - 2] ^= 0xFF;
    let bad = write(d.path(), "bad.rdb", &badb);
    let r = run(&[
        "verify",
        good.to_str().unwrap(),
        good.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(parse_lines(&r.stdout).len(), 2);
    let r = run(&[
        "verify",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    let lines = parse_lines(&r.stdout);
    assert_eq!(lines.len(), 2, "{}", r.describe());
    assert_eq!(lines[0]["file"], good.to_str().unwrap());
    assert_eq!(lines[0]["checksum"], "ok");
    assert_eq!(lines[1]["file"], bad.to_str().unwrap());
    assert_eq!(lines[1]["checksum"], "mismatch");
}

// ---------------------------------------------------------------------------
// Truncation and corruption sweeps
// ---------------------------------------------------------------------------

/// One file with most record kinds, for the sweeps.
fn sweep_file() -> Vec<u8> {
    let (modval, _) = v_module(
        "MBbloom--",
        2,
        &[
            ModOp::Uint(3),
            ModOp::Str(string(b"abc")),
            ModOp::Double(1.0),
        ],
    );
    let (st, _) = sample_stream(T_STREAM_LISTPACKS_3);
    Rdb::redis(12)
        .aux("redis-ver", "7.4.1")
        .aux_enc(&string(b"ctime"), &string_int32(1_700_000_000))
        .function2(b"#!lua name=l\nreturn 1")
        .module_aux("MBbloom--", 2, 1, &[ModOp::Uint(1)])
        .select_db(0)
        .resize_db(12, 1)
        .expire_ms(T0 as i64)
        .freq(3)
        .key(T_STRING, b"s", v_string(b"plain"))
        .key(T_STRING, b"lzf", string_lzf(&b"lzfdata-".repeat(8)))
        .key_enc(T_STRING, &string_int16(1234), string_int32(-99999))
        .key(
            T_LIST_QUICKLIST_2,
            b"q",
            v_quicklist2(&[
                QlNode::Packed(vec![s("a"), i(1000), i(-1)]),
                QlNode::Plain(b"plain".to_vec()),
            ]),
        )
        .key(T_SET_INTSET, b"is", v_blob(&intset(4, &[-70000, 1, 70000])))
        .key(T_SET_LISTPACK, b"ls", v_blob(&listpack(&[s("m"), i(5)])))
        .key(
            T_ZSET_LISTPACK,
            b"lz",
            v_blob(&listpack(&[s("a"), s("1.5"), s("b"), i(2)])),
        )
        .key(T_ZSET_2, b"z2", v_zset2(&[(b"hi", 9.0), (b"lo", -1.0)]))
        .key(T_HASH_LISTPACK, b"lh", v_blob(&listpack(&[s("f"), s("v")])))
        .key(
            T_HASH_METADATA,
            b"hm",
            v_hash_metadata(&[(b"a", b"1", Some(T0)), (b"b", b"2", None)]),
        )
        .key(
            T_HASH_LISTPACK_EX,
            b"hx",
            v_hash_listpack_ex(&[(b"a", b"1", Some(T0))]),
        )
        .key(
            T_LIST_ZIPLIST,
            b"zl",
            v_blob(&ziplist(&[s("x"), i(-8_000_000)])),
        )
        .key(
            T_HASH_ZIPMAP,
            b"zm",
            v_blob(&zipmap(&[(b"k", b"v")], 1, false)),
        )
        .key(
            T_STREAM_LISTPACKS_3,
            b"st",
            v_stream(T_STREAM_LISTPACKS_3, &st),
        )
        .key(T_MODULE_2, b"mod", modval)
        .slot_info(1, 1, 0)
        .key(
            T_ZSET,
            b"za",
            v_zset_ascii(&[(b"m", 2.5), (b"n", f64::INFINITY)]),
        )
        .finish(true)
}

fn parallel_sweep(n: usize, f: impl Fn(usize) -> Option<String> + Sync) -> Vec<String> {
    let threads = std::thread::available_parallelism()
        .map(|x| x.get())
        .unwrap_or(4)
        .min(16);
    let out = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for t in 0..threads {
            let f = &f;
            let out = &out;
            sc.spawn(move || {
                let mut k = t;
                while k < n {
                    if let Some(e) = f(k) {
                        out.lock().unwrap().push((k, e));
                    }
                    k += threads;
                }
            });
        }
    });
    let mut v = out.into_inner().unwrap();
    v.sort();
    v.into_iter().map(|(_, e)| e).collect()
}

#[test]
fn sweep_file_is_valid() {
    let f = sweep_file();
    let v = verify_ok(&f);
    assert_eq!(v["keys"], 16);
    assert_eq!(dump(&f).len(), 16);
}

#[test]
fn truncation_sweep_every_offset() {
    let f = sweep_file();
    let d = tmp();
    let errs = parallel_sweep(f.len(), |cut| {
        let p = write(d.path(), &format!("cut{cut}.rdb"), &f[..cut]);
        let ps = p.to_str().unwrap();
        let mut e = Vec::new();
        let r = run(&["verify", ps, "--format", "json"]);
        if r.code != Some(2) {
            e.push(format!("verify exit {:?}", r.code));
        }
        match parse_lines(&r.stdout).first() {
            Some(v) => match v["error"]["offset"].as_u64() {
                Some(off) if off <= cut as u64 => {}
                Some(off) => e.push(format!("verify offset {off} > {cut}")),
                None => e.push(format!("verify gave no error offset: {v}")),
            },
            None if r.code == Some(2) => e.push("verify printed nothing".into()),
            None => {}
        }
        let r2 = run(&["dump", ps, "--format", "jsonl"]);
        if r2.code != Some(2) {
            e.push(format!("dump exit {:?}", r2.code));
        }
        match offset_in(&r2.stderr) {
            Some(off) if off <= cut as u64 => {}
            Some(off) => e.push(format!("dump offset {off} > {cut}")),
            None => e.push(format!(
                "dump stderr has no offset: {:?}",
                r2.stderr.lines().next()
            )),
        }
        let _ = std::fs::remove_file(&p);
        (!e.is_empty()).then(|| format!("cut at {cut}/{}: {}", f.len(), e.join("; ")))
    });
    assert!(
        errs.is_empty(),
        "{} of {} truncations failed; first 30:\n{}",
        errs.len(),
        f.len(),
        errs[..errs.len().min(30)].join("\n")
    );
}

#[test]
fn corruption_sweep_never_panics() {
    let f = sweep_file();
    let d = tmp();
    let errs = parallel_sweep(f.len(), |pos| {
        let mut g = f.clone();
        g[pos] ^= 0xFF;
        let p = write(d.path(), &format!("flip{pos}.rdb"), &g);
        let ps = p.to_str().unwrap();
        let mut e = Vec::new();
        // Every single-byte change breaks the CRC or the structure, so `verify`
        // exits 2 and says which. `dump` must fail on a structural error; with
        // only a bad CRC it may still print the records (the contract leaves
        // that open). Nothing may panic (exit 101) or die by a signal (None).
        let r = run(&["verify", ps, "--format", "json"]);
        let v = parse_lines(&r.stdout)
            .into_iter()
            .next()
            .unwrap_or(Value::Null);
        let structural = !v["error"].is_null();
        if r.code != Some(2) {
            e.push(format!(
                "verify exit {:?} {}",
                r.code,
                r.stderr.lines().next().unwrap_or("")
            ));
        } else if !structural && v["checksum"] != "mismatch" {
            e.push(format!(
                "verify exit 2 without error or checksum mismatch: {v}"
            ));
        }
        let r2 = run(&["dump", ps, "--format", "jsonl"]);
        let dump_ok = match r2.code {
            Some(2) => offset_in(&r2.stderr).is_some() || r2.stderr.contains("checksum mismatch"),
            Some(0) => false,
            _ => false,
        };
        if !dump_ok {
            e.push(format!(
                "dump exit {:?} (verify error: {}) {}",
                r2.code,
                v["error"],
                r2.stderr.lines().next().unwrap_or("")
            ));
        }
        let _ = std::fs::remove_file(&p);
        (!e.is_empty()).then(|| format!("byte {pos:#x} flipped: {}", e.join("; ")))
    });
    assert!(
        errs.is_empty(),
        "{} of {} flips failed; first 30:\n{}",
        errs.len(),
        f.len(),
        errs[..errs.len().min(30)].join("\n")
    );
}

/// A prefix whose name starts another's (`a:*` and `ab:*`) is not its
/// parent: each row is listed under the row the document names as its
/// parent, in the text view and in the JSON.
#[test]
fn prefix_rows_sit_under_their_own_parent() {
    let dir = tmp();
    let mut rdb = Rdb::redis(10).select_db(0);
    for i in 1..=3 {
        rdb = rdb.key(
            T_STRING,
            format!("a:x{i}").as_bytes(),
            string(&[b'v'; 2000]),
        );
    }
    for i in 1..=5 {
        rdb = rdb
            .key(
                T_STRING,
                format!("ab:c:{i}").as_bytes(),
                string(&[b'v'; 300]),
            )
            .key(T_STRING, format!("ab:d:{i}").as_bytes(), string(b"v"));
    }
    let f = write(dir.path(), "nested.rdb", &rdb.finish(true));
    let f = f.to_str().unwrap();
    let r = run(&["prefixes", f]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let order: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|p| p.starts_with('a'))
        .collect();
    assert_eq!(
        order,
        ["a:*", "a:x1", "a:x2", "a:x3", "ab:*", "ab:c:*", "ab:d:*"],
        "{}",
        r.stdout
    );
    let r = run(&["report", f, "--format", "json"]);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let parent = |p: &str| {
        doc["prefix_totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["prefix"] == p)
            .map(|r| r["parent"].clone())
            .unwrap()
    };
    assert_eq!(parent("ab:c:*"), json!("ab:*"));
    assert_eq!(parent("a:x1"), json!("a:*"));
    assert_eq!(parent("ab:*"), Value::Null);
}
