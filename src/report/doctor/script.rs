//! `doctor --script FILE`: the key-level remedies that are commands, as a
//! redis-cli command file for a human to review and run
//! (`redis-cli -h HOST < FILE`). rdbscope never connects to a server.
//!
//! - `ttl_leak`: `EXPIRE key SECONDS NX` for each key without TTL under a
//!   leaking prefix, each TTL moved by up to ±`jitter` (else they would
//!   all expire in one second: a cluster of the script's making); `NX`
//!   (Redis 7.0+, Valkey) leaves a key the application gave a TTL since;
//! - `expiry_cluster`: `PEXPIREAT key MS` moving each key of a cluster by
//!   a jitter of up to ±`jitter` of its TTL (a hash of the key picks it,
//!   so the file is the same on every run).
//!
//! Keys are double-quoted with `\\` and `\xHH` escapes (what redis-cli's
//! line parser, `sdssplitargs`, reads back), so a binary key or one with
//! a line break stays on its line. The file holds commands only: redis-cli
//! has no comment syntax.

use std::io::Write;
use std::sync::Mutex;

use super::doc::FindingDoc;
use crate::report::doc::ReportDoc;
use crate::report::prefix::{PrefixConfig, under};
use crate::scan::ScanOptions;
use crate::scan::parallel::walk_keys;

/// What the script is made of.
pub struct ScriptPlan {
    /// Prefix-tree paths whose keys without TTL get one.
    leaks: Vec<Vec<Vec<u8>>>,
    /// `[start, end]` ms of each cluster.
    clusters: Vec<(i64, i64)>,
    ttl_s: u64,
    jitter: f64,
    prefixes: PrefixConfig,
}

/// Commands written, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptCounts {
    pub expire: u64,
    pub pexpireat: u64,
}

impl ScriptPlan {
    /// The listed findings' remedies. `ttl_leak` findings from a baseline
    /// name prefixes of another scan and are left out.
    pub fn new(doc: &ReportDoc, ttl_s: u64, jitter: f64, prefixes: &PrefixConfig) -> ScriptPlan {
        let findings: &[FindingDoc] = doc.doctor.as_ref().map_or(&[], |d| &d.findings);
        let leaks = findings
            .iter()
            .filter(|f| f.kind == "ttl_leak")
            .filter_map(|f| f.scope.clone())
            .collect();
        let clusters = doc
            .expiry
            .as_ref()
            .map(|e| {
                e.clusters
                    .iter()
                    .filter(|c| {
                        findings
                            .iter()
                            .any(|f| f.kind == "expiry_cluster" && f.evidence_at() == Some(&c.at))
                    })
                    .map(|c| {
                        let width = crate::report::expiry::width_ms(&c.resolution).unwrap_or(1000);
                        // Inclusive: a slot at the end of i64 holds i64::MAX.
                        (c.at_ms, c.at_ms.saturating_add(width - 1))
                    })
                    .collect()
            })
            .unwrap_or_default();
        ScriptPlan {
            leaks,
            clusters,
            ttl_s,
            jitter,
            prefixes: prefixes.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.leaks.is_empty() && self.clusters.is_empty()
    }

    fn in_cluster(&self, at: i64) -> bool {
        self.clusters.iter().any(|(s, e)| at >= *s && at <= *e)
    }

    /// Writes the commands for the keys of one dump (`ctime_ms`: its AUX
    /// ctime, from which TTLs are measured), in file order.
    pub fn write(
        &self,
        data: &[u8],
        opts: &ScanOptions,
        ctime_ms: Option<i64>,
        nx: bool,
        out: &mut (dyn Write + Send),
    ) -> crate::Result<ScriptCounts> {
        // Without the dump's time a key's TTL is unknown: its jitter too.
        let clusters = ctime_ms.is_some() && !self.clusters.is_empty();
        let seg = Mutex::new(Vec::new());
        let state = Mutex::new((
            out,
            None::<u64>,
            ScriptCounts::default(),
            None::<std::io::Error>,
        ));
        // No checkpoints: one sequential walk, so lines come in file order.
        walk_keys(
            data,
            opts,
            &[],
            || (),
            |expire| match expire {
                None => !self.leaks.is_empty(),
                Some(at) => clusters && self.in_cluster(at),
            },
            |_, db, key, expire| {
                let line = match expire {
                    None if self.leaks.iter().any(|path| {
                        let mut seg = seg.lock().unwrap_or_else(|e| e.into_inner());
                        under(&self.prefixes, key, path, &mut seg)
                    }) =>
                    {
                        let ms = (self.ttl_s as i64).saturating_mul(1000);
                        let ttl = (ms.saturating_add(self.offset(key, ms)) / 1000).max(1);
                        let nx = if nx { " NX" } else { "" };
                        format!("EXPIRE {} {ttl}{nx}\n", quote(key))
                    }
                    Some(at) if clusters && self.in_cluster(at) => {
                        let ttl = ctime_ms.map_or(0, |c| at.saturating_sub(c).max(0));
                        format!(
                            "PEXPIREAT {} {}\n",
                            quote(key),
                            at.saturating_add(self.offset(key, ttl))
                        )
                    }
                    _ => return,
                };
                let Ok(mut s) = state.lock() else { return };
                let (out, cur_db, counts, err) = &mut *s;
                if err.is_some() {
                    return;
                }
                let mut r = Ok(());
                if *cur_db != Some(db) {
                    r = writeln!(out, "SELECT {db}");
                    *cur_db = Some(db);
                }
                if r.is_ok() {
                    r = out.write_all(line.as_bytes());
                }
                match r {
                    Ok(()) if line.starts_with('E') => counts.expire += 1,
                    Ok(()) => counts.pexpireat += 1,
                    Err(e) => *err = Some(e),
                }
            },
            |_, _| {},
        )?;
        let (_, _, counts, err) = state.into_inner().unwrap_or_else(|e| e.into_inner());
        match err {
            Some(e) => Err(crate::Error::from(e)),
            None => Ok(counts),
        }
    }

    /// A key's jitter: up to ±`jitter` of its TTL, picked by a hash of it.
    fn offset(&self, key: &[u8], ttl_ms: i64) -> i64 {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(0x6a69_7474_6572).hash_one(key);
        let unit = (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        (unit * self.jitter * ttl_ms as f64).round() as i64
    }
}

/// Whether `EXPIRE ... NX` exists on a profile (`redis-7.0 jemalloc`):
/// Redis 7.0+ and every Valkey.
pub fn expire_nx(profile: &str) -> bool {
    if profile.starts_with("valkey-") {
        return true;
    }
    profile
        .strip_prefix("redis-")
        .and_then(|v| v.split('.').next())
        .and_then(|major| major.parse::<u32>().ok())
        .is_some_and(|major| major >= 7)
}

impl FindingDoc {
    /// `evidence.at` as text (an expiry cluster's time).
    fn evidence_at(&self) -> Option<&String> {
        match self.evidence.get("at") {
            Some(super::doc::Evidence::Text(t)) => Some(t),
            _ => None,
        }
    }
}

/// A key as redis-cli reads it back: double-quoted, printable ASCII as
/// is, `\` and `"` and everything else as `\\` / `\xHH`.
pub fn quote(key: &[u8]) -> String {
    let mut s = String::with_capacity(key.len() + 2);
    s.push('"');
    for &b in key {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\x22"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nx_from_the_profile() {
        assert!(expire_nx("redis-7.0 jemalloc-q16"));
        assert!(expire_nx("redis-8.2 libc"));
        assert!(expire_nx("valkey-7.2 jemalloc"));
        assert!(!expire_nx("redis-6.2 jemalloc"));
        assert!(!expire_nx("garbage"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"a b"), "\"a b\"");
        assert_eq!(quote(b"q\"\\\n\xff"), "\"q\\x22\\\\\\x0a\\xff\"");
    }
}
