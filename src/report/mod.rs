//! Reports computed from per-key facts: accumulators that add one key at a
//! time and merge with each other, so work can be split across threads and
//! files. Every accumulator keeps bounded state (top-N heaps, a capped
//! prefix tree, per-second expiry counts that fall back to minutes) and a
//! total order, so the result is the same for any thread count.

pub mod expiry;
pub mod prefix;
pub mod run;
pub mod topn;

use std::cmp::Reverse;
use std::collections::BTreeMap;

use expiry::ExpiryAcc;
use prefix::{PrefixConfig, PrefixStats, PrefixTree};
use topn::TopN;

/// What the reports need to know about one key.
#[derive(Clone, Copy, Debug)]
pub struct KeyFacts<'a> {
    pub db: u64,
    pub key: &'a [u8],
    /// `TYPE` (module values: the module type name).
    pub type_name: &'a str,
    /// `OBJECT ENCODING` on the target.
    pub encoding: &'static str,
    /// Estimated `MEMORY USAGE`, bytes.
    pub bytes: u64,
    pub elements: u64,
    /// `None` when only blob headers were read (see `memory::Detail`).
    pub largest_element: Option<u64>,
    /// ms since the epoch.
    pub expire_at_ms: Option<i64>,
    /// The dump's AUX `ctime`, ms since the epoch.
    pub ctime_ms: Option<i64>,
    pub idle_s: Option<u64>,
    pub lfu_freq: Option<u8>,
    pub rdb_bytes: u64,
    pub field_ttls: u64,
}

/// Report settings.
#[derive(Clone, Debug)]
pub struct ReportConfig {
    /// Rows in each top list.
    pub top: usize,
    pub prefixes: PrefixConfig,
    /// Read every element (for the largest element of each big key) or
    /// only what the estimates need.
    pub detail: crate::memory::Detail,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            top: 20,
            prefixes: PrefixConfig::default(),
            detail: crate::memory::Detail::Headers,
        }
    }
}

/// A key in a top list. Ordered by `rank`, then by db and key ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedKey {
    pub rank: u64,
    pub db: u64,
    pub key: Vec<u8>,
    pub type_name: String,
    pub encoding: &'static str,
    pub bytes: u64,
    pub elements: u64,
    pub largest_element: Option<u64>,
    pub idle_s: Option<u64>,
    pub lfu_freq: Option<u8>,
}

impl Ord for RankedKey {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.rank
            .cmp(&o.rank)
            .then_with(|| Reverse(self.db).cmp(&Reverse(o.db)))
            .then_with(|| Reverse(&self.key).cmp(&Reverse(&o.key)))
    }
}

impl PartialOrd for RankedKey {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// A top-list row for a key.
pub fn ranked(f: &KeyFacts<'_>, rank: u64) -> RankedKey {
    RankedKey {
        rank,
        db: f.db,
        key: f.key.to_vec(),
        type_name: f.type_name.to_string(),
        encoding: f.encoding,
        bytes: f.bytes,
        elements: f.elements,
        largest_element: f.largest_element,
        idle_s: f.idle_s,
        lfu_freq: f.lfu_freq,
    }
}

/// Keys and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub keys: u64,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.keys += 1;
        self.bytes += bytes;
    }
    fn merge(&mut self, o: Tally) {
        self.keys += o.keys;
        self.bytes += o.bytes;
    }
}

fn rank_push(t: &mut TopN<RankedKey>, f: &KeyFacts<'_>, rank: u64) {
    // Most keys cannot enter: decide on the rank before copying the key.
    if let Some(min) = t.floor()
        && (rank < min.rank || (rank == min.rank && (f.db, f.key) >= (min.db, min.key.as_slice())))
    {
        return;
    }
    t.push(ranked(f, rank));
}

/// The list of `name` in a per-type vector, created on first use.
fn per_type<'v>(
    v: &'v mut Vec<(String, TopN<RankedKey>)>,
    name: &str,
    top: usize,
) -> &'v mut TopN<RankedKey> {
    let i = match v.iter().position(|(n, _)| n == name) {
        Some(i) => i,
        None => {
            v.push((name.to_string(), TopN::new(top)));
            v.len() - 1
        }
    };
    &mut v[i].1
}

/// All report accumulators.
#[derive(Clone, Debug)]
pub struct Report {
    cfg: ReportConfig,
    pub keys: Tally,
    pub rdb_bytes: u64,
    pub by_db: BTreeMap<u64, Tally>,
    pub by_type: BTreeMap<String, Tally>,
    pub by_encoding: BTreeMap<&'static str, Tally>,
    pub big: TopN<RankedKey>,
    /// Per type (a handful, so a vector beats a map).
    pub big_by_type: Vec<(String, TopN<RankedKey>)>,
    pub most_elements: TopN<RankedKey>,
    pub most_elements_by_type: Vec<(String, TopN<RankedKey>)>,
    pub prefixes: PrefixTree,
    pub expiry: ExpiryAcc,
    pub hot: TopN<RankedKey>,
    pub cold: TopN<RankedKey>,
}

impl Report {
    pub fn new(cfg: ReportConfig) -> Report {
        Report {
            keys: Tally::default(),
            rdb_bytes: 0,
            by_db: BTreeMap::new(),
            by_type: BTreeMap::new(),
            by_encoding: BTreeMap::new(),
            big: TopN::new(cfg.top),
            big_by_type: Vec::new(),
            most_elements: TopN::new(cfg.top),
            most_elements_by_type: Vec::new(),
            prefixes: PrefixTree::new(cfg.prefixes.clone()),
            expiry: ExpiryAcc::default(),
            hot: TopN::new(cfg.top),
            cold: TopN::new(cfg.top),
            cfg,
        }
    }

    /// Prefixes ranked by memory in keys without TTL.
    pub fn no_ttl_prefix_rows(&self, top: usize) -> Vec<prefix::PrefixRow> {
        self.prefixes.rows_by(top, |s| s.no_ttl_bytes)
    }

    pub fn config(&self) -> &ReportConfig {
        &self.cfg
    }

    pub fn add(&mut self, f: &KeyFacts<'_>) {
        self.keys.add(f.bytes);
        self.rdb_bytes += f.rdb_bytes;
        self.by_db.entry(f.db).or_default().add(f.bytes);
        match self.by_type.get_mut(f.type_name) {
            Some(t) => t.add(f.bytes),
            None => self
                .by_type
                .entry(f.type_name.to_string())
                .or_default()
                .add(f.bytes),
        }
        self.by_encoding.entry(f.encoding).or_default().add(f.bytes);
        let top = self.cfg.top;
        rank_push(&mut self.big, f, f.bytes);
        rank_push(
            per_type(&mut self.big_by_type, f.type_name, top),
            f,
            f.bytes,
        );
        if f.type_name != "string" {
            rank_push(&mut self.most_elements, f, f.elements);
            rank_push(
                per_type(&mut self.most_elements_by_type, f.type_name, top),
                f,
                f.elements,
            );
        }
        let expired = match (f.expire_at_ms, f.ctime_ms) {
            (Some(e), Some(c)) => e < c,
            _ => false,
        };
        let no_ttl = f.expire_at_ms.is_none();
        let ps = PrefixStats {
            keys: 1,
            bytes: f.bytes,
            no_ttl_keys: no_ttl as u64,
            no_ttl_bytes: if no_ttl { f.bytes } else { 0 },
            expired_keys: expired as u64,
        };
        self.prefixes.add(f.key, &ps);
        self.expiry
            .add(f.expire_at_ms, f.ctime_ms, f.bytes, f.field_ttls);
        if let Some(freq) = f.lfu_freq {
            rank_push(&mut self.hot, f, freq as u64);
        }
        if let Some(idle) = f.idle_s {
            rank_push(&mut self.cold, f, idle);
        }
    }

    pub fn merge(&mut self, o: Report) {
        self.keys.merge(o.keys);
        self.rdb_bytes += o.rdb_bytes;
        for (k, v) in o.by_db {
            self.by_db.entry(k).or_default().merge(v);
        }
        for (k, v) in o.by_type {
            self.by_type.entry(k).or_default().merge(v);
        }
        for (k, v) in o.by_encoding {
            self.by_encoding.entry(k).or_default().merge(v);
        }
        self.big.merge(o.big);
        let top = self.cfg.top;
        for (k, v) in o.big_by_type {
            per_type(&mut self.big_by_type, &k, top).merge(v);
        }
        self.most_elements.merge(o.most_elements);
        for (k, v) in o.most_elements_by_type {
            per_type(&mut self.most_elements_by_type, &k, top).merge(v);
        }
        self.prefixes.merge(o.prefixes);
        self.expiry.merge(o.expiry);
        self.hot.merge(o.hot);
        self.cold.merge(o.cold);
    }
}
