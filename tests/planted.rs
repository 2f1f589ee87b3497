//! Acceptance tests for the report commands (`report`, `bigkeys`, `prefixes`,
//! `expiry`) over a generated dump with planted facts.
//!
//! [`generate`] writes, deterministically and without a server, a Redis 7.0
//! (RDB 10) dump of ~55,000 keys: ~40,000 keys of background noise, four big
//! keys, a family of keys without a TTL, a cluster of keys expiring in the same
//! second, keys already expired at dump time, and FREQ (LFU) or IDLE (LRU)
//! metadata on every key with a few planted outliers. The tests then check that
//! the reports name the planted keys and families, and that their totals agree
//! with `rdbscope keys --format jsonl`, used as the independent reference.
//!
//! The dumps are written once per test process into
//! `$CARGO_TARGET_TMPDIR/rdbscope-planted/` (cargo's scratch directory for
//! integration tests; rewritten on every run, so nothing piles up) and shared by
//! all tests. With `RDBSCOPE_PLANTED_KEEP=1` their paths are printed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::builder::*;
use crate::util::*;

// ---------------------------------------------------------------------------
// Planted facts
// ---------------------------------------------------------------------------

/// AUX `ctime` of every planted dump, seconds.
pub const CTIME_S: i64 = 1_700_000_000;
pub const CTIME_MS: i64 = CTIME_S * 1000;
pub const REDIS_VER: &str = "7.0.15";
pub const RDB_VERSION: u32 = 10;
/// AUX `used-mem` of the planted dumps.
pub const USED_MEM: u64 = 41_943_040;

// Background noise (all with TTLs spread over NOISE_TTL_SPAN_MS after ctime).
/// `user:{n}:profile`, listpack hashes of 3–5 fields, db 0.
pub const USER_PROFILES: usize = 12_000;
/// `session:{uuid}`, strings of 40–90 bytes, db 0.
pub const SESSIONS_DB0: usize = 8_000;
/// `session:{uuid}`, same shape, db 1 (the only keys in db 1).
pub const SESSIONS_DB1: usize = 4_000;
/// `cache:page:{16 hex}`, strings of 100–300 bytes, db 0.
pub const CACHE_PAGES: usize = 10_000;
/// `feed:{n}`, quicklist lists of 3–8 elements, db 0.
pub const FEEDS: usize = 6_000;
pub const NOISE_KEYS: usize = USER_PROFILES + SESSIONS_DB0 + SESSIONS_DB1 + CACHE_PAGES + FEEDS;
/// Noise TTLs: ctime + 1 min .. ctime + 1 min + 48 h, never in the rate second.
pub const NOISE_TTL_MIN_MS: i64 = 60_000;
pub const NOISE_TTL_SPAN_MS: i64 = 48 * 3600 * 1000;

// Big keys, db 0, no TTL.
pub const BIG_HASH: &str = "big:hash:alpha";
pub const BIG_HASH_FIELDS: usize = 20_000;
pub const BIG_ZSET: &str = "big:zset:beta";
pub const BIG_ZSET_MEMBERS: usize = 5_000;
pub const BIG_LIST: &str = "big:list:gamma";
pub const BIG_LIST_ELEMENTS: usize = 30_000;
pub const BIG_STRING: &str = "big:string:delta";
pub const BIG_STRING_BYTES: usize = 2 * 1024 * 1024;
pub const BIG_KEYS: [&str; 4] = [BIG_STRING, BIG_HASH, BIG_ZSET, BIG_LIST];

/// `leak:tmp:{n}`, 50-byte strings, db 0, NO TTL (the only no-TTL family
/// besides the four big keys).
pub const LEAK_KEYS: usize = 3_000;
pub const LEAK_VALUE_BYTES: usize = 50;

/// `rate:10.{a}.{b}.{c}`, INT-encoded counters, db 0, all expiring within the
/// second RATE_EXPIRE_S (ms part 0–999).
pub const RATE_KEYS: usize = 12_000;
pub const RATE_EXPIRE_S: i64 = CTIME_S + 7_200;

/// `stale:{n}`, strings, db 0, expired 1 s .. 1 day before ctime.
pub const STALE_KEYS: usize = 500;

/// `hot:{n}`, 64-byte strings, db 0, TTL as noise. In the LFU dump their FREQ
/// is HOT_FREQ_BASE + 5n (200..=245); every other key has FREQ 0..=10.
pub const HOT_KEYS: usize = 10;
pub const HOT_FREQ_BASE: u8 = 200;
pub const OTHER_FREQ_MAX: u8 = 10;

/// `cold:{n}`, 64-byte strings, db 0, TTL as noise. In the LRU dump their IDLE
/// is COLD_IDLE_BASE + 1000n seconds; every other key is idle < 3600 s.
pub const COLD_KEYS: usize = 10;
pub const COLD_IDLE_BASE: u64 = 9_000_000;
pub const OTHER_IDLE_MAX: u64 = 3_599;

pub const DB0_KEYS: usize = USER_PROFILES
    + SESSIONS_DB0
    + CACHE_PAGES
    + FEEDS
    + BIG_KEYS.len()
    + LEAK_KEYS
    + RATE_KEYS
    + STALE_KEYS
    + HOT_KEYS
    + COLD_KEYS;
pub const DB1_KEYS: usize = SESSIONS_DB1;
pub const TOTAL_KEYS: usize = DB0_KEYS + DB1_KEYS;
pub const NO_TTL_KEYS: usize = LEAK_KEYS + BIG_KEYS.len();
pub const EXPIRED_KEYS: usize = STALE_KEYS;
pub const WITH_TTL_KEYS: usize = TOTAL_KEYS - NO_TTL_KEYS;

/// The small second dump used for the merge test: `extra:{n}` strings in db 0
/// and `extra:set:{n}` sets in db 2, same server version, another ctime.
pub const EXTRA_DB0: usize = 1_500;
pub const EXTRA_DB2: usize = 300;
pub const EXTRA_CTIME_S: i64 = 1_700_100_000;

/// Which per-key eviction metadata the dump carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// FREQ on every key (maxmemory-policy allkeys-lfu).
    Lfu,
    /// IDLE on every key (an LRU policy).
    Lru,
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/// splitmix64 finalizer: a bijection on u64, so distinct inputs give distinct
/// names.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Filler text of exactly `n` bytes (not all one byte, not an integer).
fn filler(seed: u64, n: usize) -> Vec<u8> {
    const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 <>/=\"";
    let mut out = Vec::with_capacity(n);
    let mut h = mix(seed);
    while out.len() < n {
        out.push(ALPHA[(h % ALPHA.len() as u64) as usize]);
        h = h.rotate_right(5) ^ 0x5DEE_CE66;
        if out.len() % 12 == 0 {
            h = mix(h);
        }
    }
    out
}

struct KeySpec {
    key: Vec<u8>,
    type_byte: u8,
    value: Vec<u8>,
    expire_ms: Option<i64>,
    /// FREQ in the LFU dump.
    freq: u8,
    /// IDLE in the LRU dump.
    idle: u64,
}

fn noise_expire(rng: &mut Rng) -> i64 {
    let mut at = CTIME_MS + NOISE_TTL_MIN_MS + rng.below(NOISE_TTL_SPAN_MS as u64) as i64;
    if at / 1000 == RATE_EXPIRE_S {
        at += 1000;
    }
    at
}

fn uuid(n: u64) -> String {
    let a = mix(n ^ 0x5E55_1011);
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        0x8000 | (b >> 48 & 0x3FFF),
        b & 0xFFFF_FFFF_FFFF
    )
}

fn spec(
    rng: &mut Rng,
    key: String,
    type_byte: u8,
    value: Vec<u8>,
    expire_ms: Option<i64>,
) -> KeySpec {
    KeySpec {
        key: key.into_bytes(),
        type_byte,
        value,
        expire_ms,
        freq: rng.below(OTHER_FREQ_MAX as u64 + 1) as u8,
        idle: rng.below(OTHER_IDLE_MAX + 1),
    }
}

fn session(rng: &mut Rng, n: u64) -> KeySpec {
    let id = uuid(n);
    let len = 40 + rng.below(51) as usize;
    let mut v = format!("{{\"uid\":{},\"csrf\":\"", mix(n) % 1_000_000).into_bytes();
    v.extend_from_slice(&filler(n ^ 0x5E55, len.saturating_sub(v.len() + 2)));
    v.extend_from_slice(b"\"}");
    let exp = noise_expire(rng);
    spec(
        rng,
        format!("session:{id}"),
        T_STRING,
        v_string(&v),
        Some(exp),
    )
}

/// Every key of db 0 and db 1, in file order (families interleaved, as a
/// server's hash-table order would have them).
fn planted_keys() -> (Vec<KeySpec>, Vec<KeySpec>) {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut db0 = Vec::with_capacity(DB0_KEYS);

    for n in 0..USER_PROFILES as u64 {
        let fields = 3 + rng.below(3) as usize;
        let mut el = vec![
            s("name"),
            s(format!("User Number {n}")),
            s("email"),
            s(format!("user{n}@example.com")),
            s("age"),
            i(18 + (mix(n) % 60) as i64),
        ];
        if fields >= 4 {
            el.extend([
                s("country"),
                s(["DE", "FR", "US", "JP", "BR"][n as usize % 5]),
            ]);
        }
        if fields >= 5 {
            el.extend([s("plan"), s(["free", "pro", "team"][n as usize % 3])]);
        }
        let exp = noise_expire(&mut rng);
        db0.push(spec(
            &mut rng,
            format!("user:{n}:profile"),
            T_HASH_LISTPACK,
            v_blob(&listpack(&el)),
            Some(exp),
        ));
    }
    for n in 0..SESSIONS_DB0 as u64 {
        db0.push(session(&mut rng, n));
    }
    for n in 0..CACHE_PAGES as u64 {
        let len = 100 + rng.below(201) as usize;
        let mut v = b"<html>".to_vec();
        v.extend_from_slice(&filler(n ^ 0xCAC4E, len - 6));
        let exp = noise_expire(&mut rng);
        db0.push(spec(
            &mut rng,
            format!("cache:page:{:016x}", mix(n ^ 0xCAC4E)),
            T_STRING,
            v_string(&v),
            Some(exp),
        ));
    }
    for n in 0..FEEDS as u64 {
        let items = 3 + rng.below(6);
        let el: Vec<Elem> = (0..items)
            .map(|k| {
                if k % 2 == 0 {
                    i((mix(n * 16 + k) % 10_000_000) as i64)
                } else {
                    s(format!("post:{}", mix(n * 16 + k) % 100_000))
                }
            })
            .collect();
        let exp = noise_expire(&mut rng);
        db0.push(spec(
            &mut rng,
            format!("feed:{n}"),
            T_LIST_QUICKLIST_2,
            v_quicklist2(&[QlNode::Packed(el)]),
            Some(exp),
        ));
    }
    for n in 0..LEAK_KEYS as u64 {
        let v = filler(n ^ 0x1EA4, LEAK_VALUE_BYTES);
        db0.push(spec(
            &mut rng,
            format!("leak:tmp:{n}"),
            T_STRING,
            v_string(&v),
            None,
        ));
    }
    for n in 0..RATE_KEYS as u64 {
        let at = RATE_EXPIRE_S * 1000 + (mix(n ^ 0x4A7E) % 1000) as i64;
        let count = 1 + rng.below(500) as i64;
        db0.push(spec(
            &mut rng,
            format!("rate:10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
            T_STRING,
            string_int(count),
            Some(at),
        ));
    }
    for n in 0..STALE_KEYS as u64 {
        let at = CTIME_MS - 1000 - rng.below(86_400_000) as i64;
        db0.push(spec(
            &mut rng,
            format!("stale:{n}"),
            T_STRING,
            v_string(&filler(n ^ 0x57A1E, 24)),
            Some(at),
        ));
    }
    for n in 0..HOT_KEYS as u64 {
        let exp = noise_expire(&mut rng);
        let mut k = spec(
            &mut rng,
            format!("hot:{n}"),
            T_STRING,
            v_string(&filler(n ^ 0x407, 64)),
            Some(exp),
        );
        k.freq = HOT_FREQ_BASE + 5 * n as u8;
        db0.push(k);
    }
    for n in 0..COLD_KEYS as u64 {
        let exp = noise_expire(&mut rng);
        let mut k = spec(
            &mut rng,
            format!("cold:{n}"),
            T_STRING,
            v_string(&filler(n ^ 0xC01D, 64)),
            Some(exp),
        );
        k.idle = COLD_IDLE_BASE + 1000 * n;
        db0.push(k);
    }

    // Big keys.
    let fields: Vec<(Vec<u8>, Vec<u8>)> = (0..BIG_HASH_FIELDS)
        .map(|n| {
            (
                string(format!("field:{n:05}").as_bytes()),
                string(format!("value-{n}-{:08x}", mix(n as u64) as u32).as_bytes()),
            )
        })
        .collect();
    db0.push(spec(
        &mut rng,
        BIG_HASH.into(),
        T_HASH,
        v_hash_enc(&fields),
        None,
    ));
    let members: Vec<Vec<u8>> = (0..BIG_ZSET_MEMBERS)
        .map(|n| format!("member:{n}").into_bytes())
        .collect();
    let scored: Vec<(&[u8], f64)> = members
        .iter()
        .enumerate()
        .rev()
        .map(|(n, m)| (m.as_slice(), n as f64 * 1.5))
        .collect();
    db0.push(spec(
        &mut rng,
        BIG_ZSET.into(),
        T_ZSET_2,
        v_zset2(&scored),
        None,
    ));
    let items: Vec<Vec<u8>> = (0..BIG_LIST_ELEMENTS)
        .map(|n| string(format!("item:{n}").as_bytes()))
        .collect();
    db0.push(spec(
        &mut rng,
        BIG_LIST.into(),
        T_LIST,
        v_list_enc(&items),
        None,
    ));
    db0.push(spec(
        &mut rng,
        BIG_STRING.into(),
        T_STRING,
        v_string(&filler(0xDE17A, BIG_STRING_BYTES)),
        None,
    ));
    assert_eq!(db0.len(), DB0_KEYS);

    // Fisher–Yates with the same generator: families interleaved.
    for k in (1..db0.len()).rev() {
        let j = rng.below(k as u64 + 1) as usize;
        db0.swap(k, j);
    }

    let mut db1 = Vec::with_capacity(DB1_KEYS);
    for n in 0..SESSIONS_DB1 as u64 {
        db1.push(session(&mut rng, 1_000_000 + n));
    }
    (db0, db1)
}

fn emit(mut rdb: Rdb, keys: &[KeySpec], policy: Policy) -> Rdb {
    for k in keys {
        if let Some(ms) = k.expire_ms {
            rdb = rdb.expire_ms(ms);
        }
        rdb = match policy {
            Policy::Lfu => rdb.freq(k.freq),
            Policy::Lru => rdb.idle(k.idle),
        };
        rdb = rdb.key(k.type_byte, &k.key, k.value.clone());
    }
    rdb
}

/// The planted dump: same keys, values and TTLs for both policies; only the
/// FREQ/IDLE opcodes differ.
pub fn generate(policy: Policy) -> Vec<u8> {
    let (db0, db1) = planted_keys();
    let expires = |ks: &[KeySpec]| ks.iter().filter(|k| k.expire_ms.is_some()).count() as u64;
    let mut rdb = Rdb::redis(RDB_VERSION)
        .aux("redis-ver", REDIS_VER)
        .aux("redis-bits", "64")
        .aux("ctime", &CTIME_S.to_string())
        .aux("used-mem", &USED_MEM.to_string())
        .aux("aof-base", "0")
        .select_db(0)
        .resize_db(db0.len() as u64, expires(&db0));
    rdb = emit(rdb, &db0, policy);
    rdb = rdb.select_db(1).resize_db(db1.len() as u64, expires(&db1));
    rdb = emit(rdb, &db1, policy);
    rdb.finish(true)
}

/// The small second dump for the merge test (LFU metadata).
pub fn generate_extra() -> Vec<u8> {
    let ctime_ms = EXTRA_CTIME_S * 1000;
    let mut rdb = Rdb::redis(RDB_VERSION)
        .aux("redis-ver", REDIS_VER)
        .aux("redis-bits", "64")
        .aux("ctime", &EXTRA_CTIME_S.to_string())
        .aux("used-mem", "2097152")
        .select_db(0);
    for n in 0..EXTRA_DB0 as u64 {
        if n % 3 != 0 {
            rdb = rdb.expire_ms(ctime_ms + 1000 * (n as i64 + 1));
        }
        rdb = rdb.freq((n % 7) as u8).key(
            T_STRING,
            format!("extra:{n}").as_bytes(),
            v_string(&filler(n ^ 0xE7, 20 + (n % 90) as usize)),
        );
    }
    rdb = rdb.select_db(2);
    for n in 0..EXTRA_DB2 as u64 {
        let vals: Vec<i64> = (0..(2 + n % 6) as i64).map(|v| v * 3 + n as i64).collect();
        rdb = rdb.freq(1).key(
            T_SET_INTSET,
            format!("extra:set:{n}").as_bytes(),
            v_blob(&intset(2, &vals)),
        );
    }
    rdb.finish(true)
}

// ---------------------------------------------------------------------------
// The dumps on disk, and the reference rows
// ---------------------------------------------------------------------------

pub struct Dumps {
    pub lfu: PathBuf,
    pub lru: PathBuf,
    pub extra: PathBuf,
    /// The LFU dump cut at 60 %.
    pub truncated: PathBuf,
}

fn write_atomic(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

pub fn dumps() -> &'static Dumps {
    static D: OnceLock<Dumps> = OnceLock::new();
    D.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rdbscope-planted");
        std::fs::create_dir_all(&dir).unwrap();
        let lfu = generate(Policy::Lfu);
        let d = Dumps {
            lfu: dir.join("planted-lfu.rdb"),
            lru: dir.join("planted-lru.rdb"),
            extra: dir.join("extra.rdb"),
            truncated: dir.join("planted-truncated.rdb"),
        };
        write_atomic(&d.truncated, &lfu[..lfu.len() * 6 / 10]);
        write_atomic(&d.lfu, &lfu);
        write_atomic(&d.lru, &generate(Policy::Lru));
        write_atomic(&d.extra, &generate_extra());
        if std::env::var_os("RDBSCOPE_PLANTED_KEEP").is_some() {
            eprintln!("planted dumps in {}", dir.display());
        }
        d
    })
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stderr ---\n{}\n--- stdout (first 2000 bytes) ---\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout[..o.stdout.len().min(2000)])
    )
}

/// Runs a command that prints one JSON object; asserts exit 0.
fn json_object(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(exit_code(&o), 0, "rdbscope {args:?}\n{}", describe(&o));
    let text = stdout(&o);
    let v: Value = serde_json::from_str(text.trim_end()).unwrap_or_else(|e| {
        panic!(
            "rdbscope {args:?}: not one JSON object: {e}\n{}",
            describe(&o)
        )
    });
    assert!(v.is_object(), "rdbscope {args:?}: {v}");
    v
}

/// `report FILES --format json EXTRA...`.
fn report(files: &[&Path], extra: &[&str]) -> Value {
    let mut a = vec!["report"];
    a.extend(files.iter().map(|f| p(f)));
    a.extend(["--format", "json"]);
    a.extend_from_slice(extra);
    json_object(&a)
}

/// `report --format json` of the LFU / LRU dump, computed once.
fn report_lfu() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| report(&[&dumps().lfu], &[]))
}

fn report_lru() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| report(&[&dumps().lru], &[]))
}

/// One `keys --format jsonl` row, reduced to what the tests compare.
#[derive(Clone, Debug)]
pub struct Row {
    pub db: u64,
    pub key: String,
    pub type_name: String,
    pub encoding: String,
    pub bytes: u64,
    pub elements: u64,
    pub expire_at_ms: Option<i64>,
    pub idle_s: Option<u64>,
    pub lfu_freq: Option<u64>,
    pub profile: String,
}

fn keys_rows(path: &Path) -> Vec<Row> {
    let o = run(["keys", p(path), "--format", "jsonl"]);
    assert_eq!(
        exit_code(&o),
        0,
        "keys {}\n{}",
        path.display(),
        describe(&o)
    );
    json_lines(&o)
        .iter()
        .map(|r| Row {
            db: r["database"].as_u64().unwrap(),
            key: r["key"].as_str().unwrap().to_string(),
            type_name: r["type"].as_str().unwrap().to_string(),
            encoding: r["encoding"].as_str().unwrap().to_string(),
            bytes: r["size_in_bytes"].as_u64().unwrap(),
            elements: r["num_elements"].as_u64().unwrap(),
            expire_at_ms: r["expire_at_ms"].as_i64(),
            idle_s: r["idle_s"].as_u64(),
            lfu_freq: r["lfu_freq"].as_u64(),
            profile: r["profile"].as_str().unwrap_or("").to_string(),
        })
        .collect()
}

fn rows_lfu() -> &'static [Row] {
    static R: OnceLock<Vec<Row>> = OnceLock::new();
    R.get_or_init(|| keys_rows(&dumps().lfu))
}

fn rows_lru() -> &'static [Row] {
    static R: OnceLock<Vec<Row>> = OnceLock::new();
    R.get_or_init(|| keys_rows(&dumps().lru))
}

fn rows_extra() -> &'static [Row] {
    static R: OnceLock<Vec<Row>> = OnceLock::new();
    R.get_or_init(|| keys_rows(&dumps().extra))
}

fn row<'a>(rows: &'a [Row], key: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("{key} not in keys rows"))
}

fn total_bytes(rows: &[Row]) -> u64 {
    rows.iter().map(|r| r.bytes).sum()
}

fn is_expired(r: &Row, ctime_ms: i64) -> bool {
    r.expire_at_ms.is_some_and(|e| e < ctime_ms)
}

/// (keys, bytes) per group.
fn group_by<F: Fn(&Row) -> String>(rows: &[Row], f: F) -> BTreeMap<String, (u64, u64)> {
    let mut m = BTreeMap::new();
    for r in rows {
        let e = m.entry(f(r)).or_insert((0, 0));
        e.0 += 1;
        e.1 += r.bytes;
    }
    m
}

fn u(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("{what}: expected an unsigned integer, got {v}"))
}

fn arr<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what}: expected an array, got {v}"))
}

fn st<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, got {v}"))
}

/// `{name: {keys, bytes}}` as a map.
fn keys_bytes_map(v: &Value, what: &str) -> BTreeMap<String, (u64, u64)> {
    v.as_object()
        .unwrap_or_else(|| panic!("{what}: expected an object, got {v}"))
        .iter()
        .map(|(k, e)| {
            (
                k.clone(),
                (
                    u(&e["keys"], &format!("{what}.{k}.keys")),
                    u(&e["bytes"], &format!("{what}.{k}.bytes")),
                ),
            )
        })
        .collect()
}

/// The key names of a list of entries with a `key` field.
fn key_names(v: &[Value]) -> Vec<String> {
    v.iter().map(|e| st(&e["key"], "key").to_string()).collect()
}

/// The reference top 4 by memory: the planted big keys, in the estimator's order.
fn reference_top(rows: &[Row], n: usize, by_elements: bool) -> Vec<String> {
    let mut v: Vec<&Row> = rows.iter().collect();
    v.sort_by_key(|r| std::cmp::Reverse(if by_elements { r.elements } else { r.bytes }));
    v.iter().take(n).map(|r| r.key.clone()).collect()
}

/// The leading segment of a key, `:`-delimited, as a `:*` group.
fn prefix1(key: &str) -> String {
    format!("{}:*", key.split(':').next().unwrap())
}

fn is_leak_prefix(p: &str) -> bool {
    p.starts_with("leak")
}

// ---------------------------------------------------------------------------
// The generator itself (passes against the existing `keys` command)
// ---------------------------------------------------------------------------

#[test]
fn generator_is_deterministic_small_and_fast() {
    let t = std::time::Instant::now();
    let a = generate(Policy::Lfu);
    let elapsed = t.elapsed();
    eprintln!("planted dump: {} bytes in {elapsed:?}", a.len());
    let b = generate(Policy::Lfu);
    assert_eq!(a, b, "generator is not deterministic");
    assert!(a.len() < 30 << 20, "dump is {} bytes", a.len());
    // Debug builds are ~10x slower than release; the budget is generous.
    assert!(elapsed.as_secs_f64() < 15.0, "generation took {elapsed:?}");
    let lru = generate(Policy::Lru);
    assert!(lru.len() < 30 << 20);
    assert_ne!(a, lru);
}

#[test]
fn planted_facts_are_in_the_keys_reference() {
    let rows = rows_lfu();
    assert_eq!(rows.len(), TOTAL_KEYS);
    let fam = group_by(rows, |r| prefix1(&r.key));
    let count = |p: &str| fam.get(p).map(|e| e.0).unwrap_or(0) as usize;
    assert_eq!(count("user:*"), USER_PROFILES);
    assert_eq!(count("session:*"), SESSIONS_DB0 + SESSIONS_DB1);
    assert_eq!(count("cache:*"), CACHE_PAGES);
    assert_eq!(count("feed:*"), FEEDS);
    assert_eq!(count("leak:*"), LEAK_KEYS);
    assert_eq!(count("rate:*"), RATE_KEYS);
    assert_eq!(count("stale:*"), STALE_KEYS);
    assert_eq!(count("hot:*"), HOT_KEYS);
    assert_eq!(count("cold:*"), COLD_KEYS);
    assert_eq!(count("big:*"), BIG_KEYS.len());
    assert_eq!(rows.iter().filter(|r| r.db == 1).count(), DB1_KEYS);
    let noise: usize = ["user:*", "session:*", "cache:*", "feed:*"]
        .iter()
        .map(|p| count(p))
        .sum();
    assert_eq!(noise, NOISE_KEYS);
    assert!(
        rows.iter()
            .filter(|r| r.db == 1)
            .all(|r| r.key.starts_with("session:"))
    );

    let no_ttl: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.expire_at_ms.is_none())
        .map(|r| prefix1(&r.key))
        .collect();
    assert_eq!(no_ttl, BTreeSet::from(["big:*".into(), "leak:*".into()]));
    assert_eq!(
        rows.iter().filter(|r| r.expire_at_ms.is_none()).count(),
        NO_TTL_KEYS
    );
    let expired: Vec<&Row> = rows.iter().filter(|r| is_expired(r, CTIME_MS)).collect();
    assert_eq!(expired.len(), EXPIRED_KEYS);
    assert!(expired.iter().all(|r| r.key.starts_with("stale:")));
    let in_rate_second = rows
        .iter()
        .filter(|r| {
            r.expire_at_ms
                .is_some_and(|e| e.div_euclid(1000) == RATE_EXPIRE_S)
        })
        .count();
    assert_eq!(in_rate_second, RATE_KEYS);

    let top4: BTreeSet<String> = reference_top(rows, 4, false).into_iter().collect();
    let big: BTreeSet<String> = BIG_KEYS.iter().map(|k| k.to_string()).collect();
    assert_eq!(
        top4, big,
        "the big keys are not the top 4 by estimated memory"
    );
    assert_eq!(reference_top(rows, 1, false), [BIG_STRING]);
    assert_eq!(row(rows, BIG_HASH).elements, BIG_HASH_FIELDS as u64);
    assert_eq!(row(rows, BIG_ZSET).elements, BIG_ZSET_MEMBERS as u64);
    assert_eq!(row(rows, BIG_LIST).elements, BIG_LIST_ELEMENTS as u64);
    assert_eq!(row(rows, BIG_STRING).elements, BIG_STRING_BYTES as u64);

    // LFU dump: FREQ everywhere, no IDLE; LRU dump: the reverse.
    assert!(
        rows.iter()
            .all(|r| r.lfu_freq.is_some() && r.idle_s.is_none())
    );
    let hot: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.lfu_freq.unwrap() > OTHER_FREQ_MAX as u64)
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(hot, (0..HOT_KEYS).map(|n| format!("hot:{n}")).collect());
    let lru = rows_lru();
    assert_eq!(lru.len(), TOTAL_KEYS);
    assert!(
        lru.iter()
            .all(|r| r.idle_s.is_some() && r.lfu_freq.is_none())
    );
    let cold: BTreeSet<&str> = lru
        .iter()
        .filter(|r| r.idle_s.unwrap() > OTHER_IDLE_MAX)
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(cold.len(), COLD_KEYS);
    assert!(cold.iter().all(|k| k.starts_with("cold:")));

    assert_eq!(rows_extra().len(), EXTRA_DB0 + EXTRA_DB2);
}

// ---------------------------------------------------------------------------
// report: totals against the reference
// ---------------------------------------------------------------------------

fn check_summary(r: &Value, rows: &[Row], what: &str) {
    let s = &r["summary"];
    assert_eq!(u(&s["keys"], "summary.keys"), rows.len() as u64, "{what}");
    assert_eq!(
        u(&s["estimated_bytes"], "summary.estimated_bytes"),
        total_bytes(rows),
        "{what}"
    );
    assert_eq!(
        keys_bytes_map(&s["by_type"], "summary.by_type"),
        group_by(rows, |r| r.type_name.clone()),
        "{what}: summary.by_type"
    );
    assert_eq!(
        keys_bytes_map(&s["by_encoding"], "summary.by_encoding"),
        group_by(rows, |r| r.encoding.clone()),
        "{what}: summary.by_encoding"
    );
    assert_eq!(
        keys_bytes_map(&s["by_db"], "summary.by_db"),
        group_by(rows, |r| r.db.to_string()),
        "{what}: summary.by_db"
    );
}

#[test]
fn report_totals_equal_the_keys_rows() {
    let r = report_lfu();
    let rows = rows_lfu();
    assert_eq!(r["schema_version"], 2, "schema_version");
    let profile = st(&r["profile"], "profile");
    assert!(profile.contains("redis-7.0"), "profile {profile:?}");
    assert_eq!(
        profile, rows[0].profile,
        "report and keys name the same profile"
    );

    let files = arr(&r["files"], "files");
    assert_eq!(files.len(), 1);
    let f = &files[0];
    assert!(
        st(&f["file"], "files[0].file").ends_with("planted-lfu.rdb"),
        "{f}"
    );
    assert_eq!(u(&f["rdb_version"], "rdb_version"), RDB_VERSION as u64);
    assert_eq!(u(&f["keys"], "files[0].keys"), TOTAL_KEYS as u64);
    assert_eq!(
        u(&f["estimated_bytes"], "files[0].estimated_bytes"),
        total_bytes(rows)
    );
    let ctime = f["ctime"]
        .as_i64()
        .unwrap_or_else(|| panic!("files[0].ctime: {f}"));
    assert!(
        ctime == CTIME_S || ctime == CTIME_MS,
        "files[0].ctime {ctime}"
    );
    assert_eq!(u(&f["used_mem"], "files[0].used_mem"), USED_MEM);

    check_summary(r, rows, "planted-lfu");
    // The report's prefix table (default depth and top) agrees with the rows.
    check_prefix_entries(arr(&r["prefixes"], "prefixes"), rows, "report.prefixes");
    assert_eq!(
        keys_bytes_map(&r["summary"]["by_db"], "by_db")["1"].0,
        DB1_KEYS as u64
    );
    // `expires`: keys with a TTL; whether the already-expired ones count is
    // not pinned by the contract, so both readings are accepted.
    let expires = u(&r["summary"]["expires"], "summary.expires");
    assert!(
        expires == WITH_TTL_KEYS as u64 || expires == (WITH_TTL_KEYS - EXPIRED_KEYS) as u64,
        "summary.expires {expires}, want {WITH_TTL_KEYS} (or {} without the expired)",
        WITH_TTL_KEYS - EXPIRED_KEYS
    );

    // The LRU dump has the same keys and values: same totals.
    check_summary(report_lru(), rows_lru(), "planted-lru");
    assert_eq!(
        r["summary"]["estimated_bytes"],
        report_lru()["summary"]["estimated_bytes"]
    );
}

// ---------------------------------------------------------------------------
// Big keys
// ---------------------------------------------------------------------------

fn check_big_entry(e: &Value, rows: &[Row], what: &str) {
    let key = st(&e["key"], what);
    let r = row(rows, key);
    assert_eq!(u(&e["db"], what), r.db, "{what} {key} db");
    assert_eq!(st(&e["type"], what), r.type_name, "{what} {key} type");
    assert_eq!(u(&e["bytes"], what), r.bytes, "{what} {key} bytes");
    assert_eq!(u(&e["elements"], what), r.elements, "{what} {key} elements");
    assert_eq!(
        st(&e["encoding"], what),
        r.encoding,
        "{what} {key} encoding"
    );
}

fn assert_sorted_desc(v: &[Value], field: &str, what: &str) {
    let xs: Vec<u64> = v.iter().map(|e| u(&e[field], what)).collect();
    assert!(
        xs.windows(2).all(|w| w[0] >= w[1]),
        "{what} not sorted by {field} desc: {xs:?}"
    );
}

#[test]
fn big_keys_found_by_name_in_report() {
    let rows = rows_lfu();
    let big = arr(&report_lfu()["big_keys"], "big_keys");
    assert!(big.len() >= 4, "big_keys has {} entries", big.len());
    let top4 = key_names(&big[..4]);
    assert_eq!(
        top4.iter().map(|s| s.as_str()).collect::<BTreeSet<_>>(),
        BTreeSet::from(BIG_KEYS),
        "top 4 of big_keys"
    );
    assert_eq!(top4[0], BIG_STRING, "the 2 MB string is the biggest");
    assert_eq!(
        top4,
        reference_top(rows, 4, false),
        "order of the estimator"
    );
    assert_sorted_desc(big, "bytes", "big_keys");
    for e in big {
        check_big_entry(e, rows, "big_keys");
    }
}

#[test]
fn bigkeys_command_by_memory() {
    let rows = rows_lfu();
    let v = json_object(&["bigkeys", p(&dumps().lfu), "--format", "json", "--top", "4"]);
    assert_eq!(v["by"], "memory");
    let top = arr(&v["top"], "top");
    assert_eq!(key_names(top), reference_top(rows, 4, false));
    assert_eq!(top[0]["key"], BIG_STRING);
    for e in top {
        check_big_entry(e, rows, "bigkeys.top");
    }
    // by_type: the biggest of each type is the planted one.
    let by_type = v["by_type"]
        .as_object()
        .unwrap_or_else(|| panic!("by_type: {}", v["by_type"]));
    for (t, key) in [
        ("string", BIG_STRING),
        ("hash", BIG_HASH),
        ("zset", BIG_ZSET),
        ("list", BIG_LIST),
    ] {
        let list = arr(&by_type[t], &format!("by_type.{t}"));
        assert!(
            !list.is_empty() && list.len() <= 4,
            "by_type.{t}: {} entries",
            list.len()
        );
        assert_eq!(list[0]["key"], key, "by_type.{t}");
        assert_sorted_desc(list, "bytes", &format!("by_type.{t}"));
        for e in list {
            assert_eq!(e["type"], t);
            check_big_entry(e, rows, &format!("by_type.{t}"));
        }
    }
    // --top 1 keeps only the string.
    let v = json_object(&["bigkeys", p(&dumps().lfu), "--format", "json", "--top", "1"]);
    assert_eq!(key_names(arr(&v["top"], "top")), [BIG_STRING]);
}

#[test]
fn bigkeys_command_by_elements() {
    let rows = rows_lfu();
    let v = json_object(&[
        "bigkeys",
        p(&dumps().lfu),
        "--format",
        "json",
        "--top",
        "4",
        "--by",
        "elements",
    ]);
    assert_eq!(v["by"], "elements");
    let top = arr(&v["top"], "top");
    assert_eq!(top.len(), 4, "--top 4");
    assert_sorted_desc(top, "elements", "top");
    for e in top {
        check_big_entry(e, rows, "bigkeys --by elements");
    }
    // The collections rank 30,000 > 20,000 > 5,000 elements. Whether a
    // string's STRLEN competes is not pinned by the contract: the 2 MiB
    // string is either first or not listed.
    let names = key_names(top);
    let collections: Vec<&str> = names
        .iter()
        .map(|s| s.as_str())
        .filter(|k| *k != BIG_STRING)
        .collect();
    assert_eq!(
        collections[..3],
        [BIG_LIST, BIG_HASH, BIG_ZSET],
        "{names:?}"
    );
    if let Some(pos) = names.iter().position(|k| k == BIG_STRING) {
        assert_eq!(pos, 0, "{names:?}");
    }
}

// ---------------------------------------------------------------------------
// No TTL, expiry cluster, expired keys
// ---------------------------------------------------------------------------

#[test]
fn no_ttl_family_found() {
    let rows = rows_lfu();
    let r = report_lfu();
    let e = &r["expiry"];
    assert_eq!(
        u(&e["no_ttl_keys"], "expiry.no_ttl_keys"),
        NO_TTL_KEYS as u64
    );
    let no_ttl_bytes: u64 = rows
        .iter()
        .filter(|r| r.expire_at_ms.is_none())
        .map(|r| r.bytes)
        .sum();
    assert_eq!(u(&e["no_ttl_bytes"], "expiry.no_ttl_bytes"), no_ttl_bytes);
    let leak_bytes: u64 = rows
        .iter()
        .filter(|r| r.key.starts_with("leak:tmp:"))
        .map(|r| r.bytes)
        .sum();

    let list = arr(&e["no_ttl_prefixes"], "expiry.no_ttl_prefixes");
    assert!(!list.is_empty(), "no_ttl_prefixes is empty");
    // The top no-TTL prefix by keys is the leak family.
    let max_keys = list
        .iter()
        .map(|x| u(&x["keys"], "no_ttl_prefixes.keys"))
        .max()
        .unwrap();
    assert_eq!(max_keys, LEAK_KEYS as u64, "{list:?}");
    let leaders: Vec<&str> = list
        .iter()
        .filter(|x| x["keys"] == max_keys)
        .map(|x| st(&x["prefix"], "prefix"))
        .collect();
    assert!(
        leaders.iter().all(|p| is_leak_prefix(p)),
        "top no-TTL prefixes by keys: {leaders:?}"
    );
    let leak = list
        .iter()
        .find(|x| st(&x["prefix"], "prefix").starts_with("leak:tmp"))
        .unwrap_or_else(|| panic!("no `leak:tmp` prefix among the no-TTL prefixes: {list:?}"));
    assert_eq!(u(&leak["keys"], "keys"), LEAK_KEYS as u64, "{leak}");
    assert_eq!(u(&leak["bytes"], "bytes"), leak_bytes, "{leak}");
    // Only leak and big keys lack a TTL.
    for x in list {
        let pfx = st(&x["prefix"], "prefix");
        assert!(
            is_leak_prefix(pfx) || pfx.starts_with("big"),
            "no-TTL prefix {pfx:?}"
        );
        let (keys, bytes) = glob_stats(rows.iter().filter(|r| r.expire_at_ms.is_none()), pfx);
        assert_eq!(
            (u(&x["keys"], "keys"), u(&x["bytes"], "bytes")),
            (keys, bytes),
            "{x}"
        );
    }

    // The prefix table carries the same fact.
    let v = json_object(&[
        "prefixes",
        p(&dumps().lfu),
        "--format",
        "json",
        "--top",
        "1000",
    ]);
    let prefixes = arr(&v["prefixes"], "prefixes");
    let leak = prefixes
        .iter()
        .find(|x| is_leak_prefix(st(&x["prefix"], "prefix")))
        .unwrap_or_else(|| panic!("no leak prefix in `prefixes --top 1000`"));
    assert_eq!(u(&leak["no_ttl_keys"], "no_ttl_keys"), LEAK_KEYS as u64);
    assert_eq!(u(&leak["keys"], "keys"), LEAK_KEYS as u64);
    assert_eq!(u(&leak["no_ttl_bytes"], "no_ttl_bytes"), leak_bytes);
    for x in prefixes {
        let pfx = st(&x["prefix"], "prefix");
        if !is_leak_prefix(pfx) && !pfx.starts_with("big") {
            assert_eq!(x["no_ttl_keys"], 0, "{pfx} has no-TTL keys: {x}");
        }
    }
}

#[test]
fn expiry_cluster_found_at_the_exact_second() {
    let rows = rows_lfu();
    let e = &report_lfu()["expiry"];
    let clusters = arr(&e["clusters"], "expiry.clusters");
    let second = RATE_EXPIRE_S * 1000..RATE_EXPIRE_S * 1000 + 1000;
    let c = clusters
        .iter()
        .find(|c| c["at_ms"].as_i64().is_some_and(|at| second.contains(&at)))
        .unwrap_or_else(|| {
            panic!("no cluster with at_ms in {second:?} (ctime + 7200 s): {clusters:?}")
        });
    assert_eq!(c["resolution"], "second", "{c}");
    assert!(u(&c["keys"], "cluster.keys") >= RATE_KEYS as u64, "{c}");
    let rate_bytes: u64 = rows
        .iter()
        .filter(|r| r.key.starts_with("rate:"))
        .map(|r| r.bytes)
        .sum();
    assert!(u(&c["bytes"], "cluster.bytes") >= rate_bytes, "{c}");
    let tops = arr(&c["top_prefixes"], "cluster.top_prefixes");
    assert!(!tops.is_empty(), "{c}");
    let top = st(&tops[0]["prefix"], "top_prefixes[0].prefix");
    assert!(top.starts_with("rate"), "cluster top prefix {top:?}");
    assert_eq!(
        u(&tops[0]["keys"], "top_prefixes[0].keys"),
        RATE_KEYS as u64
    );

    // Nothing else is a cluster of that size: noise TTLs are spread out.
    for other in clusters {
        if other != c && other["resolution"] == "second" {
            assert!(
                u(&other["keys"], "keys") < 1000,
                "unexpected cluster {other}"
            );
        }
    }

    // The histogram covers the TTL keys and has the spike in one bucket.
    let hist = arr(&e["histogram"], "expiry.histogram");
    assert!(!hist.is_empty());
    let mut prev_end = i64::MIN;
    let mut sum = 0;
    for b in hist {
        let (s, en) = (
            b["start_ms"].as_i64().unwrap(),
            b["end_ms"].as_i64().unwrap(),
        );
        assert!(
            s < en && s >= prev_end,
            "histogram buckets overlap or unsorted: {b}"
        );
        prev_end = en;
        sum += u(&b["keys"], "histogram.keys");
    }
    assert!(
        sum == WITH_TTL_KEYS as u64 || sum == (WITH_TTL_KEYS - EXPIRED_KEYS) as u64,
        "histogram holds {sum} keys, want {} (or {WITH_TTL_KEYS} with the expired)",
        WITH_TTL_KEYS - EXPIRED_KEYS
    );
    let t = RATE_EXPIRE_S * 1000 + 500;
    let spike = hist
        .iter()
        .find(|b| b["start_ms"].as_i64().unwrap() <= t && t < b["end_ms"].as_i64().unwrap())
        .unwrap_or_else(|| panic!("no histogram bucket holds ctime + 7200 s"));
    assert!(u(&spike["keys"], "keys") >= RATE_KEYS as u64, "{spike}");
}

#[test]
fn expired_keys_counted() {
    let r = report_lfu();
    assert_eq!(
        u(&r["expiry"]["expired_keys"], "expiry.expired_keys"),
        EXPIRED_KEYS as u64
    );
    // Depth-1 prefixes partition the keys: the stale family holds them all.
    let v = json_object(&[
        "prefixes",
        p(&dumps().lfu),
        "--format",
        "json",
        "--depth",
        "1",
        "--top",
        "1000",
    ]);
    let prefixes = arr(&v["prefixes"], "prefixes");
    let total: u64 = prefixes
        .iter()
        .map(|x| u(&x["expired_keys"], "prefixes.expired_keys"))
        .sum();
    assert_eq!(
        total, EXPIRED_KEYS as u64,
        "expired keys over the depth-1 prefixes"
    );
    let stale = prefixes
        .iter()
        .find(|x| st(&x["prefix"], "prefix").starts_with("stale"))
        .unwrap_or_else(|| panic!("no stale prefix: {prefixes:?}"));
    assert_eq!(
        u(&stale["expired_keys"], "expired_keys"),
        EXPIRED_KEYS as u64
    );
    assert_eq!(u(&stale["keys"], "keys"), STALE_KEYS as u64);
}

#[test]
fn expiry_command_matches_report() {
    let v = json_object(&["expiry", p(&dumps().lfu), "--format", "json"]);
    let ctime = v["ctime"]
        .as_i64()
        .unwrap_or_else(|| panic!("expiry.ctime: {}", v["ctime"]));
    assert!(ctime == CTIME_S || ctime == CTIME_MS, "ctime {ctime}");
    let e = report_lfu()["expiry"].as_object().unwrap();
    for (k, want) in e {
        assert_eq!(&v[k], want, "expiry command vs report.expiry: field {k}");
    }
    assert_eq!(u(&v["expired_keys"], "expired_keys"), EXPIRED_KEYS as u64);
    assert_eq!(u(&v["no_ttl_keys"], "no_ttl_keys"), NO_TTL_KEYS as u64);
}

// ---------------------------------------------------------------------------
// Hot and cold keys
// ---------------------------------------------------------------------------

#[test]
fn hot_keys_from_the_lfu_dump() {
    let rows = rows_lfu();
    let r = report_lfu();
    let hot = arr(&r["hot_keys"], "hot_keys");
    assert!(hot.len() >= HOT_KEYS, "hot_keys has {} entries", hot.len());
    let want: Vec<String> = (0..HOT_KEYS).rev().map(|n| format!("hot:{n}")).collect();
    assert_eq!(key_names(&hot[..HOT_KEYS]), want, "hottest first");
    for (n, e) in hot[..HOT_KEYS].iter().enumerate() {
        let k = HOT_KEYS - 1 - n;
        assert_eq!(
            u(&e["lfu_freq"], "lfu_freq"),
            (HOT_FREQ_BASE + 5 * k as u8) as u64
        );
        assert_eq!(u(&e["db"], "db"), 0);
        assert_eq!(
            u(&e["bytes"], "bytes"),
            row(rows, &format!("hot:{k}")).bytes
        );
    }
    for e in &hot[HOT_KEYS..] {
        assert!(
            u(&e["lfu_freq"], "lfu_freq") <= OTHER_FREQ_MAX as u64,
            "{e}"
        );
    }
    assert_sorted_desc(hot, "lfu_freq", "hot_keys");
    assert_eq!(
        arr(&r["cold_keys"], "cold_keys").len(),
        0,
        "no IDLE data in the LFU dump"
    );
}

#[test]
fn cold_keys_from_the_lru_dump() {
    let rows = rows_lru();
    let r = report_lru();
    let cold = arr(&r["cold_keys"], "cold_keys");
    assert!(
        cold.len() >= COLD_KEYS,
        "cold_keys has {} entries",
        cold.len()
    );
    let want: Vec<String> = (0..COLD_KEYS).rev().map(|n| format!("cold:{n}")).collect();
    assert_eq!(key_names(&cold[..COLD_KEYS]), want, "coldest first");
    for (n, e) in cold[..COLD_KEYS].iter().enumerate() {
        let k = (COLD_KEYS - 1 - n) as u64;
        assert_eq!(u(&e["idle_s"], "idle_s"), COLD_IDLE_BASE + 1000 * k);
        assert_eq!(u(&e["db"], "db"), 0);
        assert_eq!(
            u(&e["bytes"], "bytes"),
            row(rows, &format!("cold:{k}")).bytes
        );
    }
    for e in &cold[COLD_KEYS..] {
        assert!(u(&e["idle_s"], "idle_s") <= OTHER_IDLE_MAX, "{e}");
    }
    assert_sorted_desc(cold, "idle_s", "cold_keys");
    assert_eq!(
        arr(&r["hot_keys"], "hot_keys").len(),
        0,
        "no FREQ data in the LRU dump"
    );
}

// ---------------------------------------------------------------------------
// Threads, several files, prefixes, damage
// ---------------------------------------------------------------------------

#[test]
fn report_is_identical_across_threads() {
    let d = dumps();
    let mut outs = Vec::new();
    for t in ["1", "2", "4"] {
        let o = run([
            "report",
            p(&d.lfu),
            p(&d.extra),
            "--format",
            "json",
            "--threads",
            t,
        ]);
        assert_eq!(exit_code(&o), 0, "--threads {t}\n{}", describe(&o));
        outs.push((t, o.stdout));
    }
    for (t, out) in &outs[1..] {
        assert!(
            out == &outs[0].1,
            "report --threads {t} differs from --threads 1 ({} vs {} bytes)",
            out.len(),
            outs[0].1.len()
        );
    }
    for cmd in ["bigkeys", "prefixes", "expiry"] {
        let a = run([cmd, p(&d.lru), "--format", "json", "--threads", "1"]);
        let b = run([cmd, p(&d.lru), "--format", "json", "--threads", "4"]);
        assert_eq!(exit_code(&a), 0, "{cmd}\n{}", describe(&a));
        assert!(
            a.stdout == b.stdout,
            "{cmd} --threads 4 differs from --threads 1"
        );
    }
}

#[test]
fn two_files_merge_to_the_sum() {
    let d = dumps();
    let a = report_lfu();
    let b = report(&[&d.extra], &[]);
    let ab = report(&[&d.lfu, &d.extra], &[]);
    let rows: Vec<Row> = rows_lfu().iter().chain(rows_extra()).cloned().collect();

    check_summary(&b, rows_extra(), "extra");
    check_summary(&ab, &rows, "planted-lfu + extra");
    for k in ["keys", "estimated_bytes", "expires"] {
        assert_eq!(
            u(&ab["summary"][k], k),
            u(&a["summary"][k], k) + u(&b["summary"][k], k),
            "summary.{k} of two files is not the sum"
        );
    }
    let files = arr(&ab["files"], "files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0], a["files"][0], "first file's facts as alone");
    assert_eq!(files[1], b["files"][0], "second file's facts as alone");
    let by_db = keys_bytes_map(&ab["summary"]["by_db"], "by_db");
    assert_eq!(by_db["2"].0, EXTRA_DB2 as u64);
    assert_eq!(by_db["1"].0, DB1_KEYS as u64);
    assert_eq!(by_db["0"].0, (DB0_KEYS + EXTRA_DB0) as u64);
    // Each file's expired keys are judged against its own ctime; the extra
    // dump has none.
    assert_eq!(
        u(&ab["expiry"]["expired_keys"], "expired_keys"),
        EXPIRED_KEYS as u64
    );
    assert_eq!(
        u(&ab["expiry"]["no_ttl_keys"], "no_ttl_keys"),
        u(&a["expiry"]["no_ttl_keys"], "a") + u(&b["expiry"]["no_ttl_keys"], "b")
    );
    assert_eq!(ab["big_keys"][0]["key"], BIG_STRING);
    assert_eq!(ab["schema_version"], 2);
}

/// Checks every entry of a prefixes list against the reference rows: an
/// entry's prefix read as a Redis glob (`*` = any bytes) selects the keys its
/// totals must cover. This holds for a flat list and for a tree whose id
/// segments are generalized to `*` (`user:*:profile`).
fn check_prefix_entries(list: &[Value], rows: &[Row], what: &str) {
    let total = total_bytes(rows) as f64;
    for x in list {
        let pfx = st(&x["prefix"], "prefix");
        let sel: Vec<&Row> = rows.iter().filter(|r| glob(pfx, &r.key)).collect();
        let (keys, bytes) = glob_stats(rows.iter(), pfx);
        assert!(keys > 0, "{what}: prefix {pfx:?} matches no key");
        assert_eq!(u(&x["keys"], "keys"), keys, "{what} {pfx} keys");
        assert_eq!(u(&x["bytes"], "bytes"), bytes, "{what} {pfx} bytes");
        let no_ttl: Vec<&&Row> = sel.iter().filter(|r| r.expire_at_ms.is_none()).collect();
        assert_eq!(
            u(&x["no_ttl_keys"], "no_ttl_keys"),
            no_ttl.len() as u64,
            "{what} {pfx} no_ttl_keys"
        );
        assert_eq!(
            u(&x["no_ttl_bytes"], "no_ttl_bytes"),
            no_ttl.iter().map(|r| r.bytes).sum::<u64>(),
            "{what} {pfx} no_ttl_bytes"
        );
        assert_eq!(
            u(&x["expired_keys"], "expired_keys"),
            sel.iter().filter(|r| is_expired(r, CTIME_MS)).count() as u64,
            "{what} {pfx} expired_keys"
        );
        let share = x["share"]
            .as_f64()
            .unwrap_or_else(|| panic!("{what} {pfx} share: {x}"));
        let frac = bytes as f64 / total;
        // A fraction or a percentage, possibly rounded to 4 decimals.
        assert!(
            (share - frac).abs() <= 1e-4 || (share - 100.0 * frac).abs() <= 1e-2,
            "{what} {pfx} share {share}, want {frac} (or as percent)"
        );
    }
    assert_sorted_desc(list, "bytes", what);
}

/// Redis-glob match with `*` as the only special character.
fn glob(pat: &str, s: &str) -> bool {
    let (p, s) = (pat.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// (keys, bytes) of the rows whose key matches `pat`.
fn glob_stats<'a>(rows: impl Iterator<Item = &'a Row>, pat: &str) -> (u64, u64) {
    rows.filter(|r| glob(pat, &r.key))
        .fold((0, 0), |(k, b), r| (k + 1, b + r.bytes))
}

/// Segments of a prefix, a trailing `:*` ("and deeper") not counted.
fn segments(prefix: &str) -> usize {
    prefix
        .strip_suffix(":*")
        .unwrap_or(prefix)
        .split(':')
        .count()
}

#[test]
fn prefixes_depth_1() {
    let rows = rows_lfu();
    let v = json_object(&[
        "prefixes",
        p(&dumps().lfu),
        "--format",
        "json",
        "--depth",
        "1",
        "--top",
        "1000",
    ]);
    let list = arr(&v["prefixes"], "prefixes");
    let want = group_by(rows, |r| prefix1(&r.key));
    let got: Vec<&str> = list.iter().map(|x| st(&x["prefix"], "prefix")).collect();
    assert_eq!(
        got.iter().copied().collect::<BTreeSet<_>>(),
        want.keys().map(|s| s.as_str()).collect::<BTreeSet<_>>(),
        "depth-1 prefixes"
    );
    assert_eq!(got.len(), want.len(), "one row per family: {got:?}");
    check_prefix_entries(list, rows, "depth 1");
    assert_eq!(v["truncated"], false);
    assert!(
        v["other"].is_null() || v["other"]["keys"] == 0,
        "other: {}",
        v["other"]
    );
    let shares: f64 = list.iter().map(|x| x["share"].as_f64().unwrap()).sum();
    assert!(
        (shares - 1.0).abs() < 1e-3 || (shares - 100.0).abs() < 1e-1,
        "shares sum {shares}"
    );
}

#[test]
fn prefixes_depth_2() {
    let rows = rows_lfu();
    let run_depth = |depth: &str| {
        json_object(&[
            "prefixes",
            p(&dumps().lfu),
            "--format",
            "json",
            "--depth",
            depth,
            "--delimiters",
            ":",
            "--top",
            "1000",
        ])
    };
    let v2 = run_depth("2");
    let list = arr(&v2["prefixes"], "prefixes");
    check_prefix_entries(list, rows, "depth 2");
    let got: BTreeSet<&str> = list.iter().map(|x| st(&x["prefix"], "prefix")).collect();
    for (must, keys) in [
        ("cache:page:*", CACHE_PAGES),
        ("leak:tmp:*", LEAK_KEYS),
        ("big:string:*", 1),
        ("big:hash:*", 1),
        ("big:zset:*", 1),
        ("big:list:*", 1),
    ] {
        assert!(got.contains(must), "{must} missing at depth 2: {got:?}");
        let x = list.iter().find(|x| x["prefix"] == must).unwrap();
        assert_eq!(u(&x["keys"], "keys"), keys as u64, "{must}");
    }
    assert!(
        got.iter().all(|p| segments(p) <= 2),
        "a depth-2 prefix has 3+ segments: {got:?}"
    );

    let v1 = run_depth("1");
    let got1: BTreeSet<&str> = arr(&v1["prefixes"], "prefixes")
        .iter()
        .map(|x| st(&x["prefix"], "prefix"))
        .collect();
    assert!(
        got1.iter().all(|p| segments(p) == 1 && p.ends_with(":*")),
        "{got1:?}"
    );
    for must in [
        "cache:*",
        "leak:*",
        "big:*",
        "rate:*",
        "session:*",
        "user:*",
    ] {
        assert!(got1.contains(must), "{must} missing at depth 1: {got1:?}");
    }
    assert!(!got1.contains("cache:page:*") && !got1.contains("leak:tmp:*"));
}

#[test]
fn prefixes_top_truncates_into_other() {
    let rows = rows_lfu();
    let v = json_object(&[
        "prefixes",
        p(&dumps().lfu),
        "--format",
        "json",
        "--depth",
        "1",
        "--top",
        "3",
    ]);
    let list = arr(&v["prefixes"], "prefixes");
    assert_eq!(list.len(), 3, "--top 3");
    check_prefix_entries(list, rows, "--top 3");
    let mut want: Vec<(String, (u64, u64))> =
        group_by(rows, |r| prefix1(&r.key)).into_iter().collect();
    want.sort_by_key(|(_, (_, b))| std::cmp::Reverse(*b));
    let want: Vec<&str> = want[..3].iter().map(|(p, _)| p.as_str()).collect();
    let got: Vec<&str> = list.iter().map(|x| st(&x["prefix"], "prefix")).collect();
    assert_eq!(got, want, "the three biggest families");
    assert_eq!(got[0], "big:*");
    assert_eq!(v["truncated"], true);
    let keys: u64 = list.iter().map(|x| u(&x["keys"], "keys")).sum();
    let bytes: u64 = list.iter().map(|x| u(&x["bytes"], "bytes")).sum();
    assert_eq!(
        u(&v["other"]["keys"], "other.keys"),
        TOTAL_KEYS as u64 - keys
    );
    assert_eq!(
        u(&v["other"]["bytes"], "other.bytes"),
        total_bytes(rows) - bytes
    );
}

/// A prefix string names one group of keys: the same string twice in one
/// list (e.g. `leak:tmp:*` for "keys under leak:tmp" and again for
/// "leak:tmp:<id>") cannot be told apart by a reader or a JSON consumer.
#[test]
fn prefix_rows_are_not_repeated() {
    let r = report_lfu();
    let v = json_object(&[
        "prefixes",
        p(&dumps().lfu),
        "--format",
        "json",
        "--top",
        "1000",
    ]);
    let mut failures = Vec::new();
    for (what, list) in [
        (
            "report.expiry.no_ttl_prefixes",
            &r["expiry"]["no_ttl_prefixes"],
        ),
        ("report.prefixes", &r["prefixes"]),
        ("prefixes --top 1000", &v["prefixes"]),
    ] {
        let mut seen = BTreeMap::new();
        for x in arr(list, what) {
            *seen.entry(st(&x["prefix"], "prefix")).or_insert(0) += 1;
        }
        let dup: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        if !dup.is_empty() {
            failures.push(format!("{what}: repeated prefixes {dup:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn damaged_file_exits_2() {
    let d = dumps();
    for cmd in ["report", "bigkeys", "prefixes", "expiry"] {
        let o = run([cmd, p(&d.truncated), "--format", "json"]);
        assert_eq!(
            exit_code(&o),
            2,
            "{cmd} on a truncated dump\n{}",
            describe(&o)
        );
        assert!(!o.stderr.is_empty(), "{cmd}: no message on stderr");
    }
    // A damaged file among good ones still fails the run.
    let o = run(["report", p(&d.extra), p(&d.truncated), "--format", "json"]);
    assert_eq!(exit_code(&o), 2, "{}", describe(&o));
}
