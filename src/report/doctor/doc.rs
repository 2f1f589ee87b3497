//! The doctor's findings as the report document holds them (`doctor` in
//! `report --format json`, and `doctor --format json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How urgent a finding is. Ordered: `Info` < `Warning` < `Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// `info`, `warning` or `critical`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// The kinds of finding, named as in JSON.
pub const KINDS: [&str; 12] = [
    "ttl_leak",
    "big_key",
    "split_big_key",
    "entity_strings_to_hash",
    "compress_values",
    "listpack_threshold",
    "trim_zset",
    "expiry_cluster",
    "hot_keys",
    "cold_keys",
    "capacity",
    "distribution",
];

/// One number or word of a finding's evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Evidence {
    Int(u64),
    Signed(i64),
    Real(f64),
    Text(String),
}

impl From<u64> for Evidence {
    fn from(v: u64) -> Self {
        Evidence::Int(v)
    }
}
impl From<i64> for Evidence {
    fn from(v: i64) -> Self {
        Evidence::Signed(v)
    }
}
impl From<f64> for Evidence {
    fn from(v: f64) -> Self {
        // 4 significant decimals: the same text for the same input anywhere.
        Evidence::Real((v * 10_000.0).round() / 10_000.0)
    }
}
impl From<String> for Evidence {
    fn from(v: String) -> Self {
        Evidence::Text(v)
    }
}
impl From<&str> for Evidence {
    fn from(v: &str) -> Self {
        Evidence::Text(v.to_string())
    }
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Evidence::Int(v) => write!(f, "{v}"),
            Evidence::Signed(v) => write!(f, "{v}"),
            Evidence::Real(v) => write!(f, "{v}"),
            Evidence::Text(v) => f.write_str(v),
        }
    }
}

/// One diagnosis: what is wrong, the numbers that show it, what fixing it
/// saves on the target and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingDoc {
    pub kind: String,
    pub severity: Severity,
    /// A key (escaped) or a prefix glob (`session:*`), or `*` for the dump.
    pub subject: String,
    /// The key's db, when the subject is a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<u64>,
    /// Keys the finding is about.
    pub keys: u64,
    pub evidence: BTreeMap<String, Evidence>,
    /// Estimated memory of those keys now, and after the remedy.
    pub bytes_now: u64,
    pub bytes_after: u64,
    /// `bytes_now - bytes_after` (0 for findings about latency or risk).
    pub savings_bytes: u64,
    /// `exact`, `expected` or `approx`.
    pub confidence: String,
    pub remedy: String,
    /// The config line or command pattern of the remedy, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `ttl_leak` from this scan: the prefix tree's path of the subject,
    /// which `--script` matches keys against (not in the document).
    #[serde(skip)]
    pub scope: Option<Vec<Vec<u8>>>,
}

/// The doctor's part of a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorDoc {
    /// Ranked by savings, then severity, kind and subject.
    pub findings: Vec<FindingDoc>,
    /// Findings left out of `findings` by `--top` (per kind).
    pub more_findings: u64,
    /// Σ `savings_bytes` of every finding, listed or not (they may
    /// overlap: a key can be both a big key to split and under a prefix
    /// to compress).
    pub savings_bytes: u64,
    /// The worst severity of every finding (`None`: no finding).
    pub worst: Option<Severity>,
}
