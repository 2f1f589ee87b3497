//! The typed report document: what `report --format json` writes and what
//! `diff` and `check` read back. Unknown fields and missing required
//! fields are errors, never zeros. Byte strings (keys, prefixes) are
//! escaped text (see [`crate::escape`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The one place the document's version lives. 2: `made_with`,
/// `rdbscope_version` and `prefix_totals` (every prefix) were added.
pub const SCHEMA_VERSION: u32 = 2;

/// How a document was made: what must match for two documents to be
/// compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MadeWith {
    /// `--target` as given (`None`: the server that wrote each dump).
    pub target: Option<String>,
    pub allocator: String,
    /// `--config NAME=VALUE` overrides, as given.
    pub config: Vec<String>,
    /// The key filters, as given (`--match cart:*`, ...).
    pub filters: Vec<String>,
    /// Prefix settings: delimiters (escaped), depth, ids generalized.
    pub delimiters: String,
    pub depth: usize,
    pub generalize: bool,
    /// Rows in each top list.
    pub top: usize,
}

/// The CLI's defaults: the server that wrote the dump, jemalloc, no
/// overrides or filters, `:`-delimited prefixes 3 deep with ids
/// generalized, top 20.
impl Default for MadeWith {
    fn default() -> Self {
        MadeWith {
            target: None,
            allocator: "jemalloc".into(),
            config: Vec::new(),
            filters: Vec::new(),
            delimiters: ":".into(),
            depth: 3,
            generalize: true,
            top: 20,
        }
    }
}

/// One input file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDoc {
    pub file: String,
    pub rdb_version: u32,
    pub family: String,
    pub producer: Option<String>,
    pub producer_version: Option<String>,
    /// AUX `ctime`, seconds since the epoch.
    pub ctime: Option<i64>,
    /// AUX `used-mem`, bytes.
    pub used_mem: Option<u64>,
    /// Keys the filters accepted, and their estimated memory.
    pub keys: u64,
    pub estimated_bytes: u64,
    pub profile: Option<String>,
    pub profile_reason: Option<String>,
    pub warnings: Vec<String>,
    /// The server's `used_memory` after it loads this dump, predicted
    /// (absent in documents made before it was).
    #[serde(default)]
    pub used_memory: Option<crate::memory::used::UsedMemoryDoc>,
    /// With `--cluster-nodes`: keys in slots this node does not serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unserved: Option<TallyDoc>,
}

/// Keys and bytes (shared with the state document).
pub use super::state_doc::TallyDoc;

impl From<super::Tally> for TallyDoc {
    fn from(t: super::Tally) -> TallyDoc {
        TallyDoc {
            keys: t.keys,
            bytes: t.bytes,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryDoc {
    pub keys: u64,
    pub estimated_bytes: u64,
    /// Σ the keys' ± bounds: every key whose estimate is exact or expected
    /// lies within its bound (`keys --format csv`, column `bound`).
    #[serde(default)]
    pub estimate_bound: u64,
    /// Keys whose estimate is approximate (no bound known), and their bytes.
    #[serde(default)]
    pub approx_keys: u64,
    #[serde(default)]
    pub approx_bytes: u64,
    /// Bytes the keys' records take in the dumps.
    pub rdb_bytes: u64,
    /// Keys with a TTL.
    pub expires: u64,
    /// Sum of AUX `used-mem` over the files, when every file has it.
    pub used_mem: Option<u64>,
    /// Sum of the files' predicted `used_memory`, when every file has one.
    #[serde(default)]
    pub predicted_used_memory: Option<u64>,
    pub by_db: BTreeMap<String, TallyDoc>,
    pub by_type: BTreeMap<String, TallyDoc>,
    pub by_encoding: BTreeMap<String, TallyDoc>,
    /// Per type, by encoding (absent in documents made before it was
    /// written).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_type_encoding: BTreeMap<String, BTreeMap<String, TallyDoc>>,
}

/// A key in a top list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDoc {
    pub db: u64,
    pub key: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub encoding: String,
    pub bytes: u64,
    pub elements: u64,
    pub largest_element: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lfu_freq: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_s: Option<u64>,
}

/// One prefix of the tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixDoc {
    pub prefix: String,
    pub depth: usize,
    pub keys: u64,
    pub bytes: u64,
    /// Share of all estimated memory (0..1, 4 decimals).
    pub share: f64,
    pub no_ttl_keys: u64,
    pub no_ttl_bytes: u64,
    pub expired_keys: u64,
    /// Its children were not kept (too many distinct).
    pub children_dropped: bool,
    /// The prefix of the row above it in the tree (absent at depth 1, and
    /// in documents made before it was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketDoc {
    pub start_ms: i64,
    pub end_ms: i64,
    pub keys: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixCount {
    pub prefix: String,
    pub keys: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterDoc {
    pub at_ms: i64,
    pub at: String,
    /// `second` or `minute`.
    pub resolution: String,
    pub keys: u64,
    pub bytes: u64,
    pub top_prefixes: Vec<PrefixCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoTtlPrefixDoc {
    pub prefix: String,
    pub depth: usize,
    pub keys: u64,
    pub bytes: u64,
}

/// The second (or minute) in which the most keys expire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusiestDoc {
    pub at_ms: i64,
    pub keys: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryDoc {
    pub no_ttl_keys: u64,
    pub no_ttl_bytes: u64,
    pub ttl_keys: u64,
    pub ttl_bytes: u64,
    pub expired_keys: u64,
    pub expired_bytes: u64,
    pub field_ttls: u64,
    /// `second`, or `minute` once too many distinct seconds were seen.
    pub resolution: String,
    pub histogram_unit: String,
    pub histogram: Vec<BucketDoc>,
    pub busiest: Option<BusiestDoc>,
    pub clusters: Vec<ClusterDoc>,
    pub no_ttl_prefixes: Vec<NoTtlPrefixDoc>,
}

/// The whole report. Sections a command did not compute are `None` (a
/// `report` computes them all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDoc {
    pub schema_version: u32,
    pub rdbscope_version: String,
    pub made_with: MadeWith,
    /// The profile(s) the estimates are for (joined when files differ).
    pub profile: Option<String>,
    pub files: Vec<FileDoc>,
    pub summary: SummaryDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub big_keys: Option<Vec<KeyDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub big_keys_by_type: Option<BTreeMap<String, Vec<KeyDoc>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub most_elements: Option<Vec<KeyDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub most_elements_by_type: Option<BTreeMap<String, Vec<KeyDoc>>>,
    /// Whether `big_keys` lists every key (else it stops at `top`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub big_keys_complete: Option<bool>,
    /// The `top` biggest prefixes, best-first from the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixes: Option<Vec<PrefixDoc>>,
    /// Every prefix down to the configured depth (what baselines compare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_totals: Option<Vec<PrefixDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixes_with_dropped_children: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixes_complete: Option<bool>,
    /// Keys and bytes under top-level prefixes not listed in `prefixes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixes_other: Option<TallyDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<ExpiryDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_keys: Option<Vec<KeyDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_keys: Option<Vec<KeyDoc>>,
    /// Findings: what is wrong, what fixing it saves, how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor: Option<super::doctor::doc::DoctorDoc>,
    /// Per type: how many keys have how much memory and how many elements
    /// (with the doctor; absent in documents made before it was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributions: Option<BTreeMap<String, DistDoc>>,
    /// Keys and memory per cluster slot (`report --slots`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<SlotsDoc>,
    /// With `--mergeable`: the accumulators, which `rdbscope merge` folds
    /// with other reports' into the report of all their dumps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<super::state_doc::StateDoc>,
}

/// One type's keys counted by memory and by elements, in octaves: a bin
/// holds the values from `from` up to twice it (0 and 1 alone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistDoc {
    pub keys: u64,
    pub bytes: Vec<BinDoc>,
    pub elements: Vec<BinDoc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinDoc {
    pub from: u64,
    pub keys: u64,
}

/// Keys and memory per Redis Cluster slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotsDoc {
    /// Slots holding at least one key.
    pub slots_with_keys: u64,
    /// The biggest slot's memory over the mean of all 16,384 slots (1 is
    /// perfectly even; a cluster's nodes hold slot ranges, so a high value
    /// means one node carries more); absent without keys.
    pub skew: Option<f64>,
    /// The `top` slots by memory.
    pub top_slots: Vec<SlotDoc>,
    /// 16 ranges of 1,024 slots, in order.
    pub ranges: Vec<SlotRangeDoc>,
    /// Keys with a hash tag (`{…}`): they share a slot with every key of
    /// the same tag.
    pub hash_tagged: TallyDoc,
    /// Across the input files (one per node), the biggest file's memory
    /// over the mean; absent with one file.
    pub node_skew: Option<f64>,
    /// With `--cluster-nodes`: keys in slots their node does not serve
    /// (left behind by a resharding, or a dump restored on the wrong node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unserved: Option<TallyDoc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotDoc {
    pub slot: u16,
    pub keys: u64,
    pub bytes: u64,
    /// Share of all estimated memory (0..1, 4 decimals).
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotRangeDoc {
    pub first: u16,
    pub last: u16,
    pub keys: u64,
    pub bytes: u64,
}

impl ReportDoc {
    /// Reads a saved document; `what` names it in errors. Anything but a
    /// complete `report --format json` of this schema version is refused.
    pub fn from_json(text: &str, what: &str) -> crate::Result<ReportDoc> {
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<u64>,
        }
        let v: Version = serde_json::from_str(text).map_err(|e| {
            crate::Error::invalid(format!(
                "{what}: not an `rdbscope report --format json` document: {e}"
            ))
        })?;
        if v.schema_version != Some(SCHEMA_VERSION as u64) {
            return Err(crate::Error::invalid(format!(
                "{what}: schema_version {} is not {SCHEMA_VERSION}; make it again with `rdbscope report --format json`",
                v.schema_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "missing".into())
            )));
        }
        let doc: ReportDoc = serde_json::from_str(text).map_err(|e| {
            // The JSON of `bigkeys`, `prefixes` or `expiry` is a view, not
            // the document: say which, rather than which field is odd.
            #[derive(Deserialize)]
            struct View {
                by: Option<serde::de::IgnoredAny>,
                histogram: Option<serde::de::IgnoredAny>,
                total: Option<serde::de::IgnoredAny>,
            }
            let view = match serde_json::from_str::<View>(text) {
                Ok(View { by: Some(_), .. }) => Some("bigkeys"),
                Ok(View {
                    histogram: Some(_), ..
                }) => Some("expiry"),
                Ok(View { total: Some(_), .. }) => Some("prefixes"),
                _ => None,
            };
            crate::Error::invalid(match view {
                Some(cmd) => format!(
                    "{what}: the JSON of `rdbscope {cmd}`, not a report document; \
                     use `rdbscope report --format json`"
                ),
                None => format!("{what}: not an `rdbscope report --format json` document: {e}"),
            })
        })?;
        if doc.prefix_totals.is_none() || doc.expiry.is_none() || doc.big_keys.is_none() {
            return Err(crate::Error::invalid(format!(
                "{what}: a partial document (from bigkeys, prefixes or expiry); use `rdbscope report --format json`"
            )));
        }
        Ok(doc)
    }
}
