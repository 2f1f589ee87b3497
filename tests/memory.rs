//! The memory model against real servers' `MEMORY USAGE key SAMPLES 0`.

use std::collections::BTreeMap;
use std::path::Path;

use rdbscope::escape::escape;
use rdbscope::memory::{Allocator, ServerProfile, Target, estimate};
use rdbscope::rdb::{Parser, Record, Scratch};
use serde_json::Value;

use crate::util::*;

/// Per-key (estimate, truth, encoding estimate, encoding truth, type).
pub struct Row {
    pub key: String,
    pub kind: String,
    pub est: u64,
    pub truth: u64,
    pub enc_est: String,
    pub enc_truth: String,
}

/// Compares estimates for `rdb` with a truth file of JSON lines holding
/// `db`, `key_hex`, `memory_usage`, `encoding`, `type`.
pub fn compare(rdb: &Path, truth: &Path, target: &Target) -> Vec<Row> {
    let data = std::fs::read(rdb).unwrap();
    let mut want: BTreeMap<(u64, Vec<u8>), Value> = BTreeMap::new();
    for line in std::fs::read_to_string(truth).unwrap().lines() {
        let t: Value = serde_json::from_str(line).unwrap();
        let hex = t["key_hex"].as_str().unwrap();
        let raw: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        want.insert((t["db"].as_u64().unwrap(), raw), t);
    }
    let mut p = Parser::new(&data).unwrap();
    let mut scratch = Scratch::default();
    let mut rows = Vec::new();
    while let Some(rec) = p.next_record().unwrap() {
        let Record::Key(k) = rec else { continue };
        let key = k.key.to_vec().unwrap();
        let Some(t) = want.get(&(k.db, key.clone())) else {
            continue;
        };
        let e = estimate(&k, target, p.templates(), &mut scratch).unwrap();
        rows.push(Row {
            key: escape(&key).into_owned(),
            kind: format!(
                "{}/{}",
                t["type"].as_str().unwrap(),
                t["encoding"].as_str().unwrap()
            ),
            est: e.bytes,
            truth: t["memory_usage"].as_u64().unwrap(),
            enc_est: e.encoding.to_string(),
            enc_truth: t["encoding"].as_str().unwrap().to_string(),
        });
    }
    rows
}

pub struct Stats {
    pub median: f64,
    pub p95: f64,
    pub sum_err: f64,
    pub enc_agree: f64,
    pub exact: usize,
}

pub fn stats(rows: &[Row]) -> Stats {
    let mut errs: Vec<f64> = rows
        .iter()
        .map(|r| (r.est as f64 - r.truth as f64).abs() / r.truth as f64)
        .collect();
    errs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| errs[((errs.len() as f64 - 1.0) * p).round() as usize];
    let est: u64 = rows.iter().map(|r| r.est).sum();
    let truth: u64 = rows.iter().map(|r| r.truth).sum();
    Stats {
        median: q(0.5),
        p95: q(0.95),
        sum_err: (est as f64 - truth as f64).abs() / truth as f64,
        enc_agree: rows.iter().filter(|r| r.enc_est == r.enc_truth).count() as f64
            / rows.len() as f64,
        exact: rows.iter().filter(|r| r.est == r.truth).count(),
    }
}

/// The error table by type and encoding, printed by the tests.
pub fn table(rows: &[Row]) -> String {
    let mut by: BTreeMap<&str, (usize, usize, u64, u64, f64)> = BTreeMap::new();
    for r in rows {
        let e = by.entry(&r.kind).or_default();
        e.0 += 1;
        e.1 += (r.est == r.truth) as usize;
        e.2 += r.est;
        e.3 += r.truth;
        e.4 =
            e.4.max((r.est as f64 - r.truth as f64).abs() / r.truth as f64);
    }
    let mut s = format!(
        "{:<22} {:>5} {:>6} {:>12} {:>12} {:>8} {:>8}\n",
        "type/encoding", "keys", "exact", "estimated", "server", "sum err", "max err"
    );
    for (k, (n, exact, est, truth, max)) in by {
        s += &format!(
            "{k:<22} {n:>5} {exact:>6} {est:>12} {truth:>12} {:>7.2}% {:>7.2}%\n",
            (est as f64 - truth as f64) / truth as f64 * 100.0,
            max * 100.0
        );
    }
    s
}

fn check_corpus(name: &str, profile: ServerProfile, alloc: Allocator) {
    let Some(shared) = shared() else { return };
    let dir = shared.join("corpus");
    let target = Target::new(profile, alloc);
    let rows = compare(
        &dir.join(format!("{name}.rdb")),
        &dir.join(format!("{name}.truth.jsonl")),
        &target,
    );
    let s = stats(&rows);
    eprintln!("{name} ({}):\n{}", target.describe(), table(&rows));
    for r in rows.iter().filter(|r| r.est != r.truth) {
        eprintln!(
            "  {} {}: estimated {} ({}), server {} ({})",
            r.kind, r.key, r.est, r.enc_est, r.truth, r.enc_truth
        );
    }
    assert_eq!(rows.len(), 294);
    assert!(
        s.median <= 0.01 && s.p95 <= 0.05 && s.sum_err <= 0.01 && s.enc_agree >= 0.99,
        "median {:.4} p95 {:.4} sum {:.4} encodings {:.4}",
        s.median,
        s.p95,
        s.sum_err,
        s.enc_agree
    );
}

#[test]
fn corpus_redis_7_0_truth() {
    check_corpus(
        "server__redis-7.0.15-dataset",
        ServerProfile::Redis70,
        Allocator::JemallocQ16,
    );
}

#[test]
fn corpus_redis_6_2_truth() {
    check_corpus(
        "server__redis-6.2.16-dataset",
        ServerProfile::Redis62,
        Allocator::JemallocQ8,
    );
}
