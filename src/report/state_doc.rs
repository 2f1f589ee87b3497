//! The types of a report's state document (`report --mergeable`; see
//! [`super::state`]): plain data, so that each accumulator's module can
//! read and write its own part without depending on the others.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::escape::unescape;

/// The version of the state's layout: `merge` reads only its own.
pub const STATE_VERSION: u32 = 1;

/// What went wrong reading a state back (the caller names the file).
pub type StateError = String;
pub(crate) type R<T> = std::result::Result<T, StateError>;

/// Keys and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyDoc {
    pub keys: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDoc {
    pub state_version: u32,
    /// Per file, in order: its stored checksum and bytes decoded, to tell
    /// the same dump in two reports (as `report` tells it given twice).
    pub dumps: Vec<Option<(u64, u64)>>,
    pub config: ConfigState,
    pub summary: SummaryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub big_keys: Option<BigKeysState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixes: Option<TreeState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<ExpiryState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_cold: Option<HotColdState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor: Option<DoctorState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<SlotsState>,
}

/// Every setting the accumulators were made with: states merge only with
/// states made the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigState {
    pub top: usize,
    /// Escaped bytes.
    pub delimiters: String,
    pub depth: usize,
    pub max_children: usize,
    pub generalize: bool,
    pub max_level_prefixes: usize,
    pub sections: super::Sections,
    /// Its delimiters are not written: they are the prefix settings'.
    pub doctor: super::doctor::config::DoctorConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryState {
    pub keys: TallyDoc,
    pub rdb_bytes: u64,
    pub expires: u64,
    pub by_db: BTreeMap<u64, TallyDoc>,
    pub expires_by_db: BTreeMap<u64, TallyDoc>,
    pub alloc_delta: i64,
    pub bound: u64,
    pub approx: TallyDoc,
    /// Per type, by encoding (the totals by type and by encoding are its
    /// sums).
    pub by_type_encoding: BTreeMap<String, BTreeMap<String, TallyDoc>>,
}

/// A top list: its size and its rows, greatest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopState<T> {
    pub n: usize,
    pub rows: Vec<T>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankedState {
    pub rank: u64,
    pub db: u64,
    /// Escaped bytes.
    pub key: String,
    pub type_name: String,
    pub encoding: String,
    pub bytes: u64,
    pub elements: u64,
    pub largest_element: Option<u64>,
    pub idle_s: Option<u64>,
    pub lfu_freq: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BigKeysState {
    pub big: TopState<RankedState>,
    pub big_by_type: BTreeMap<String, TopState<RankedState>>,
    pub most_elements: TopState<RankedState>,
    pub most_elements_by_type: BTreeMap<String, TopState<RankedState>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotColdState {
    pub hot: TopState<RankedState>,
    pub cold: TopState<RankedState>,
}

/// The prefix tree: per depth, the distinct prefixes seen (128-bit path
/// hashes, hex, sorted) unless the depth was dropped; the nodes by path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeState {
    pub levels: Vec<LevelState>,
    pub nodes: Vec<NodeState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelState {
    pub over: bool,
    pub seen: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeState {
    /// The node keys from the root (escaped): the delimiter before the
    /// segment, then the segment.
    pub path: Vec<String>,
    pub keys: u64,
    pub bytes: u64,
    pub no_ttl_keys: u64,
    pub no_ttl_bytes: u64,
    pub expired_keys: u64,
    pub deeper: bool,
    pub collapsed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryState {
    pub no_ttl: TallyDoc,
    pub with_ttl: TallyDoc,
    pub expired: TallyDoc,
    pub field_ttls: u64,
    /// `second`, `minute`, ...: what a slot is.
    pub resolution: String,
    /// Where the dense window of seconds starts (a hint for speed only).
    pub window: Option<i64>,
    /// By slot: each slot as the difference from the one before (the
    /// first from 0, wrapping), its keys and bytes.
    pub slots: SlotColumns,
    /// The first prefix segments behind each slot; absent when the scan
    /// could not keep them (clusters are then not named).
    pub labels: Option<LabelsState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsState {
    /// (first segment as the tree keys it, escaped; keys go on past it),
    /// sorted.
    pub labels: Vec<(String, bool)>,
    /// By (slot, label): each slot as the difference from the entry
    /// before (the first from 0), the label's index, the keys.
    pub entries: EntryColumns,
    /// (slot, label index, keys) of slots past 32 bits, sorted.
    pub far: Vec<(i64, u16, u64)>,
}

/// Expiry slots as columns (a million seconds take a few MB).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotColumns {
    pub slot_delta: Vec<i64>,
    pub keys: Vec<u64>,
    pub bytes: Vec<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryColumns {
    pub slot_delta: Vec<u32>,
    pub label: Vec<u16>,
    pub keys: Vec<u64>,
}

impl SlotColumns {
    /// Sorted (slot, keys, bytes) as columns.
    pub(crate) fn of(rows: &[(i64, u64, u64)]) -> SlotColumns {
        let mut c = SlotColumns::default();
        let mut last = 0i64;
        for &(s, k, b) in rows {
            c.slot_delta.push(s.wrapping_sub(last));
            c.keys.push(k);
            c.bytes.push(b);
            last = s;
        }
        c
    }

    pub(crate) fn rows(&self) -> R<Vec<(i64, u64, u64)>> {
        let n = self.slot_delta.len();
        if self.keys.len() != n || self.bytes.len() != n {
            return Err("expiry slot columns of different lengths".into());
        }
        let mut last = 0i64;
        Ok((0..n)
            .map(|i| {
                last = last.wrapping_add(self.slot_delta[i]);
                (last, self.keys[i], self.bytes[i])
            })
            .collect())
    }
}

impl EntryColumns {
    /// Sorted (slot, label, keys) as columns.
    pub(crate) fn of(rows: &[(u32, u16, u64)]) -> EntryColumns {
        let mut c = EntryColumns::default();
        let mut last = 0u32;
        for &(s, l, k) in rows {
            c.slot_delta.push(s.wrapping_sub(last));
            c.label.push(l);
            c.keys.push(k);
            last = s;
        }
        c
    }

    pub(crate) fn len(&self) -> usize {
        self.slot_delta.len()
    }

    pub(crate) fn rows(&self) -> R<Vec<(u32, u16, u64)>> {
        let n = self.slot_delta.len();
        if self.label.len() != n || self.keys.len() != n {
            return Err("expiry label columns of different lengths".into());
        }
        let mut last = 0u32;
        Ok((0..n)
            .map(|i| {
                last = last.wrapping_add(self.slot_delta[i]);
                (last, self.label[i], self.keys[i])
            })
            .collect())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotsState {
    /// (slot, keys, bytes) of the slots with keys.
    pub slots: Vec<(u16, u64, u64)>,
    pub tagged: TallyDoc,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistState {
    /// (bucket, count) of the buckets with values.
    pub counts: Vec<(u16, u64)>,
    pub n: u64,
    pub max: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeState {
    pub keys: u64,
    pub now: u64,
    pub after: u64,
    pub confidence: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyChangeState {
    pub savings: u64,
    pub db: u64,
    pub key: String,
    pub type_name: String,
    pub encoding: String,
    pub elements: u64,
    pub now: u64,
    pub after: u64,
    pub confidence: String,
    pub param: u64,
    pub chunks: u64,
    pub largest: Option<(String, u64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyState {
    pub hash: u64,
    pub pattern: String,
    pub keys: u64,
    pub now: u64,
    pub confidence: Option<String>,
    pub entries: u64,
    pub entity_len: u64,
    /// (field name, keys), sorted.
    pub fields: Vec<(String, u64)>,
    pub unfit: bool,
}

/// A sampled string value, already priced: what its key would take with
/// the value compressed by zstd and by zlib (no value bytes are written).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickState {
    pub hash: u64,
    pub db: u64,
    pub key: String,
    pub prefix: String,
    pub bytes: u64,
    pub value_len: u64,
    pub after: [u64; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleState {
    pub population: u64,
    pub picked: Vec<PickState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetState {
    pub profile: String,
    pub allocator: String,
    pub thresholds: crate::memory::Thresholds,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorState {
    pub dist: BTreeMap<String, (HistState, HistState)>,
    pub big: TopState<KeyChangeState>,
    pub big_keys: [TallyDoc; 2],
    pub split: TopState<KeyChangeState>,
    pub split_all: ChangeState,
    pub listpack: BTreeMap<String, ([ChangeState; 3], u64)>,
    pub trim: TopState<KeyChangeState>,
    pub trim_all: ChangeState,
    pub families: Vec<FamilyState>,
    pub sample: SampleState,
    pub cold: TallyDoc,
    pub cold_confidence: String,
    pub idle_known: u64,
    pub lfu_known: u64,
    pub target: Option<TargetState>,
}

pub(crate) fn bytes_of(s: &str, what: &str) -> R<Vec<u8>> {
    unescape(s).ok_or_else(|| format!("{what} {s:?} is not an escaped byte string"))
}

/// A count read back: at most `max` (the state's own total).
pub(crate) fn within(what: &str, v: u64, max: u64) -> R<u64> {
    if v > max {
        return Err(format!("{what} is {v}, more than the state's total {max}"));
    }
    Ok(v)
}
