//! `doctor --script FILE`: the key-level remedies that are commands, as a
//! redis-cli command file for a human to review and run
//! (`redis-cli -h HOST < FILE`). rdbscope never connects to a server.
//!
//! - `ttl_leak`: `EXPIRE key SECONDS` for each key without TTL under a
//!   leaking prefix;
//! - `expiry_cluster`: `PEXPIREAT key MS` moving each key of a cluster by
//!   a jitter of up to ±`jitter` of its TTL (a hash of the key picks it,
//!   so the file is the same on every run).
//!
//! Keys are double-quoted with `\\` and `\xHH` escapes (what redis-cli's
//! line parser, `sdssplitargs`, reads back), so a binary key or one with
//! a line break stays on its line.

use std::io::Write;
use std::sync::Mutex;

use super::doc::FindingDoc;
use crate::report::doc::ReportDoc;
use crate::scan::ScanOptions;
use crate::scan::parallel::walk_keys;

/// What the script is made of.
pub struct ScriptPlan {
    /// Prefix globs whose keys without TTL get one.
    leaks: Vec<Vec<u8>>,
    /// `[start, end)` ms of each cluster, and the dump's ctime in ms.
    clusters: Vec<(i64, i64)>,
    ttl_s: u64,
    jitter: f64,
    delimiters: Vec<u8>,
}

/// Commands written, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptCounts {
    pub expire: u64,
    pub pexpireat: u64,
}

impl ScriptPlan {
    pub fn new(doc: &ReportDoc, ttl_s: u64, jitter: f64, delimiters: &[u8]) -> ScriptPlan {
        let findings: &[FindingDoc] = doc.doctor.as_ref().map_or(&[], |d| &d.findings);
        let leaks = findings
            .iter()
            .filter(|f| f.kind == "ttl_leak")
            .filter_map(|f| crate::escape::unescape(&f.subject))
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
                        let width = match c.resolution.as_str() {
                            "second" => 1000,
                            "minute" => 60_000,
                            "hour" => 3_600_000,
                            _ => 86_400_000,
                        };
                        (c.at_ms, c.at_ms.saturating_add(width))
                    })
                    .collect()
            })
            .unwrap_or_default();
        ScriptPlan {
            leaks,
            clusters,
            ttl_s,
            jitter,
            delimiters: delimiters.to_vec(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.leaks.is_empty() && self.clusters.is_empty()
    }

    fn in_cluster(&self, at: i64) -> bool {
        self.clusters.iter().any(|(s, e)| at >= *s && at < *e)
    }

    /// Writes the commands for the keys of one dump (`ctime_ms`: its AUX
    /// ctime, from which TTLs are measured), in file order.
    pub fn write(
        &self,
        data: &[u8],
        opts: &ScanOptions,
        ctime_ms: Option<i64>,
        out: &mut (dyn Write + Send),
    ) -> crate::Result<ScriptCounts> {
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
                Some(at) => self.in_cluster(at),
            },
            |_, db, key, expire| {
                let line = match expire {
                    None if self.leaks.iter().any(|g| matches(g, key, &self.delimiters)) => {
                        format!("EXPIRE {} {}\n", quote(key), self.ttl_s)
                    }
                    Some(at) if self.in_cluster(at) => {
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

impl FindingDoc {
    /// `evidence.at` as text (an expiry cluster's time).
    fn evidence_at(&self) -> Option<&String> {
        match self.evidence.get("at") {
            Some(super::doc::Evidence::Text(t)) => Some(t),
            _ => None,
        }
    }
}

/// Whether `key` falls under a prefix glob of the report: segments
/// compared one by one, `*` standing for one segment (an id), a trailing
/// `*` for the rest, `abc*` for a segment starting with `abc`.
pub fn matches(glob: &[u8], key: &[u8], delimiters: &[u8]) -> bool {
    let split = |s: &[u8]| -> Vec<(Vec<u8>, Option<u8>)> {
        let mut out = Vec::new();
        let mut rest = s;
        loop {
            match rest.iter().position(|b| delimiters.contains(b)) {
                Some(i) => {
                    out.push((rest[..i].to_vec(), Some(rest[i])));
                    rest = &rest[i + 1..];
                }
                None => {
                    out.push((rest.to_vec(), None));
                    return out;
                }
            }
        }
    };
    let g = split(glob);
    let k = split(key);
    for (i, (gs, gd)) in g.iter().enumerate() {
        let last = i + 1 == g.len();
        let Some((ks, kd)) = k.get(i) else {
            return false;
        };
        if last && gs.as_slice() == b"*" {
            return true;
        }
        let seg_ok = if gs.as_slice() == b"*" {
            true
        } else if let Some(stem) = gs.strip_suffix(b"*").filter(|_| last) {
            ks.starts_with(stem)
        } else {
            gs == ks
        };
        if !seg_ok || (!last && gd != kd) {
            return false;
        }
        if last {
            return k.len() == g.len() || gs.ends_with(b"*");
        }
    }
    false
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
    fn globs() {
        let d = b":";
        assert!(matches(b"cart:*", b"cart:1", d));
        assert!(matches(b"cart:*", b"cart:1:items", d));
        assert!(!matches(b"cart:*", b"carts:1", d));
        assert!(!matches(b"cart:*", b"cart", d));
        assert!(matches(b"user:*:cart", b"user:42:cart", d));
        assert!(!matches(b"user:*:cart", b"user:42:cart:x", d));
        assert!(!matches(b"user:*:cart", b"user:42:wish", d));
        assert!(matches(b"session*", b"session12345", d));
        assert!(matches(b"tmp:a", b"tmp:a", d));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"a b"), "\"a b\"");
        assert_eq!(quote(b"q\"\\\n\xff"), "\"q\\x22\\\\\\x0a\\xff\"");
    }
}
