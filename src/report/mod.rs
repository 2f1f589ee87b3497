//! Reports computed from per-key facts: accumulators that add one key at a
//! time and merge with each other, so work can be split across threads and
//! files. Every accumulator keeps bounded state (top-N heaps, a capped
//! prefix tree, per-second expiry counts that fall back to minutes) and a
//! total order, so the result is the same for any thread count.

pub mod doc;
pub mod expiry;
pub mod finish;
pub mod prefix;
pub mod topn;

use std::cmp::Reverse;
use std::collections::BTreeMap;

use expiry::ExpiryAcc;
use prefix::{PrefixConfig, PrefixStats, PrefixTree};
use topn::TopN;

use crate::scan::{Accumulator, KeyFacts};

/// Report settings.
#[derive(Clone, Debug)]
pub struct ReportConfig {
    /// Rows in each top list.
    pub top: usize,
    pub prefixes: PrefixConfig,
    /// What to compute: a command computes only what it prints.
    pub sections: Sections,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            top: 20,
            prefixes: PrefixConfig::default(),
            sections: Sections::ALL,
        }
    }
}

/// The parts of a report beside the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sections {
    pub big_keys: bool,
    pub prefixes: bool,
    pub expiry: bool,
    pub hot_cold: bool,
}

impl Sections {
    pub const ALL: Sections = Sections {
        big_keys: true,
        prefixes: true,
        expiry: true,
        hot_cold: true,
    };
    pub const NONE: Sections = Sections {
        big_keys: false,
        prefixes: false,
        expiry: false,
        hot_cold: false,
    };
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

/// Totals by db, type and encoding.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub keys: Tally,
    pub rdb_bytes: u64,
    /// Keys with a TTL.
    pub expires: u64,
    pub by_db: BTreeMap<u64, Tally>,
    pub by_type: BTreeMap<String, Tally>,
    pub by_encoding: BTreeMap<&'static str, Tally>,
}

impl Accumulator for Summary {
    fn add(&mut self, f: &KeyFacts<'_>) {
        self.keys.add(f.bytes);
        self.rdb_bytes += f.rdb_bytes;
        self.expires += f.expire_at_ms.is_some() as u64;
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
    }

    fn merge(&mut self, o: Summary) {
        self.keys.merge(o.keys);
        self.rdb_bytes += o.rdb_bytes;
        self.expires += o.expires;
        for (k, v) in o.by_db {
            self.by_db.entry(k).or_default().merge(v);
        }
        for (k, v) in o.by_type {
            self.by_type.entry(k).or_default().merge(v);
        }
        for (k, v) in o.by_encoding {
            self.by_encoding.entry(k).or_default().merge(v);
        }
    }
}

/// The biggest keys by memory and by elements, overall and per type.
#[derive(Clone, Debug)]
pub struct BigKeys {
    top: usize,
    pub big: TopN<RankedKey>,
    /// Per type (a handful, so a vector beats a map).
    pub big_by_type: Vec<(String, TopN<RankedKey>)>,
    pub most_elements: TopN<RankedKey>,
    pub most_elements_by_type: Vec<(String, TopN<RankedKey>)>,
}

impl BigKeys {
    pub fn new(top: usize) -> BigKeys {
        BigKeys {
            top,
            big: TopN::new(top),
            big_by_type: Vec::new(),
            most_elements: TopN::new(top),
            most_elements_by_type: Vec::new(),
        }
    }
}

impl Accumulator for BigKeys {
    fn add(&mut self, f: &KeyFacts<'_>) {
        let top = self.top;
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
    }

    fn merge(&mut self, o: BigKeys) {
        let top = self.top;
        self.big.merge(o.big);
        for (k, v) in o.big_by_type {
            per_type(&mut self.big_by_type, &k, top).merge(v);
        }
        self.most_elements.merge(o.most_elements);
        for (k, v) in o.most_elements_by_type {
            per_type(&mut self.most_elements_by_type, &k, top).merge(v);
        }
    }
}

/// Keys by prefix.
impl Accumulator for PrefixTree {
    fn add(&mut self, f: &KeyFacts<'_>) {
        let no_ttl = f.expire_at_ms.is_none();
        let ps = PrefixStats {
            keys: 1,
            bytes: f.bytes,
            no_ttl_keys: no_ttl as u64,
            no_ttl_bytes: if no_ttl { f.bytes } else { 0 },
            expired_keys: f.expired() as u64,
        };
        PrefixTree::add(self, f.key, &ps);
    }

    fn merge(&mut self, o: PrefixTree) {
        PrefixTree::merge(self, o);
    }
}

impl Accumulator for ExpiryAcc {
    fn add(&mut self, f: &KeyFacts<'_>) {
        ExpiryAcc::add(self, f.expire_at_ms, f.ctime_ms, f.bytes, f.field_ttls);
    }

    fn merge(&mut self, o: ExpiryAcc) {
        ExpiryAcc::merge(self, o);
    }
}

/// Hot keys (highest LFU counter) and cold keys (longest idle).
#[derive(Clone, Debug)]
pub struct HotCold {
    pub hot: TopN<RankedKey>,
    pub cold: TopN<RankedKey>,
}

impl Accumulator for HotCold {
    fn add(&mut self, f: &KeyFacts<'_>) {
        if let Some(freq) = f.lfu_freq {
            rank_push(&mut self.hot, f, freq as u64);
        }
        if let Some(idle) = f.idle_s {
            rank_push(&mut self.cold, f, idle);
        }
    }

    fn merge(&mut self, o: HotCold) {
        self.hot.merge(o.hot);
        self.cold.merge(o.cold);
    }
}

/// Every report accumulator a command asked for.
#[derive(Clone, Debug)]
pub struct Report {
    cfg: ReportConfig,
    pub summary: Summary,
    pub big: Option<BigKeys>,
    pub prefixes: Option<PrefixTree>,
    pub expiry: Option<ExpiryAcc>,
    pub hot_cold: Option<HotCold>,
}

impl Report {
    pub fn new(cfg: ReportConfig) -> Report {
        let s = cfg.sections;
        Report {
            summary: Summary::default(),
            big: s.big_keys.then(|| BigKeys::new(cfg.top)),
            prefixes: s.prefixes.then(|| PrefixTree::new(cfg.prefixes.clone())),
            expiry: s.expiry.then(ExpiryAcc::default),
            hot_cold: s.hot_cold.then(|| HotCold {
                hot: TopN::new(cfg.top),
                cold: TopN::new(cfg.top),
            }),
            cfg,
        }
    }

    pub fn config(&self) -> &ReportConfig {
        &self.cfg
    }
}

impl Accumulator for Report {
    fn add(&mut self, f: &KeyFacts<'_>) {
        self.summary.add(f);
        self.big.add(f);
        self.prefixes.add(f);
        self.expiry.add(f);
        self.hot_cold.add(f);
    }

    fn merge(&mut self, o: Report) {
        self.summary.merge(o.summary);
        self.big.merge(o.big);
        self.prefixes.merge(o.prefixes);
        self.expiry.merge(o.expiry);
        self.hot_cold.merge(o.hot_cold);
    }
}
