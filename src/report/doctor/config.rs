//! The doctor's settings: its own file, so that the state document can
//! carry them without depending on the doctor's accumulators.

/// What the doctor looks for, and where its lines are (written in a
/// mergeable report's state, but the delimiters: those are the prefix
/// settings').
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorConfig {
    /// A key this big is a `big_key` warning; `huge_key` bytes, critical.
    pub big_key: u64,
    pub huge_key: u64,
    /// Prefixes whose keys are temporary by convention (`temp:`).
    #[serde(with = "crate::escape::serde_list")]
    pub temp_prefixes: Vec<Vec<u8>>,
    /// `trim_zset`: sorted sets above this many members, trimmed to it.
    pub trim_to: u64,
    /// `cold_keys`: idle this long or longer.
    pub cold_days: u64,
    /// `capacity`: the server's `maxmemory`.
    pub maxmemory: Option<u64>,
    /// Smallest saving a finding about memory is made for.
    pub min_savings: u64,
    /// Findings kept per kind (the rest are counted).
    pub top: usize,
    /// String values sampled for `compress_values`.
    pub sample: usize,
    /// `expiry_cluster`: the jitter whose effect is shown (0.1: ±10 %).
    pub jitter: f64,
    /// Segment delimiters (from the prefix settings).
    #[serde(skip)]
    pub delimiters: Vec<u8>,
}

impl Default for DoctorConfig {
    fn default() -> Self {
        DoctorConfig {
            big_key: 1_000_000,
            huge_key: 10_000_000,
            temp_prefixes: ["temp", "tmp", "cache", "session", "lock"]
                .iter()
                .map(|p| p.as_bytes().to_vec())
                .collect(),
            trim_to: 10_000,
            cold_days: 30,
            maxmemory: None,
            min_savings: 64 << 10,
            top: 10,
            sample: 2048,
            jitter: 0.1,
            delimiters: b":".to_vec(),
        }
    }
}
