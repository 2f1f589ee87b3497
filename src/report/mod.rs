//! Reports computed from per-key facts: accumulators that add one key at a
//! time and merge with each other, so work can be split across threads and
//! files. Every accumulator keeps bounded state (top-N heaps, a capped
//! prefix tree, per-second expiry counts that fall back to minutes) and a
//! total order, so the result is the same for any thread count.

pub mod doc;
pub mod doctor;
pub mod expiry;
pub mod finish;
pub mod keyed;
pub mod prefix;
mod prefix_hints;
mod slot_labels;
pub mod slots;
pub mod state;
pub mod state_doc;
pub mod topn;

use std::cmp::Reverse;
use std::sync::Arc;

use expiry::ExpiryAcc;
use keyed::Keyed;
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
    pub doctor: doctor::DoctorConfig,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            top: 20,
            prefixes: PrefixConfig::default(),
            sections: Sections::ALL,
            doctor: doctor::DoctorConfig::default(),
        }
    }
}

/// The parts of a report beside the summary (written in a mergeable
/// report's state as they are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sections {
    pub big_keys: bool,
    pub prefixes: bool,
    pub expiry: bool,
    pub hot_cold: bool,
    /// Findings (needs the prefixes, expiry and hot/cold parts too).
    pub doctor: bool,
    /// Keys and memory per cluster slot (`--slots`: a CRC16 a key, so
    /// only when asked for).
    pub slots: bool,
}

impl Sections {
    pub const ALL: Sections = Sections {
        big_keys: true,
        prefixes: true,
        expiry: true,
        hot_cold: true,
        doctor: true,
        slots: false,
    };
    pub const NONE: Sections = Sections {
        big_keys: false,
        prefixes: false,
        expiry: false,
        hot_cold: false,
        doctor: false,
        slots: false,
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
    /// Rank, then db and key ascending; the same key from two files (merged
    /// reports) breaks on the rest, so the order is total.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.rank
            .cmp(&o.rank)
            .then_with(|| Reverse(self.db).cmp(&Reverse(o.db)))
            .then_with(|| Reverse(&self.key).cmp(&Reverse(&o.key)))
            .then_with(|| self.bytes.cmp(&o.bytes))
            .then_with(|| self.elements.cmp(&o.elements))
            .then_with(|| self.type_name.cmp(&o.type_name))
            .then_with(|| self.encoding.cmp(o.encoding))
            .then_with(|| self.largest_element.cmp(&o.largest_element))
            .then_with(|| self.idle_s.cmp(&o.idle_s))
            .then_with(|| self.lfu_freq.cmp(&o.lfu_freq))
    }
}

impl PartialOrd for RankedKey {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// Key names longer than this are kept shortened in top lists: a crafted
/// file could otherwise make each listed name hundreds of MiB.
const MAX_LISTED_KEY: usize = 1024;

/// A key's name as a top list keeps it: whole, or its first
/// [`MAX_LISTED_KEY`] bytes and its length.
pub(crate) fn listed_key(key: &[u8]) -> Vec<u8> {
    match key.get(..MAX_LISTED_KEY) {
        Some(head) if key.len() > MAX_LISTED_KEY => {
            let mut k = head.to_vec();
            k.extend_from_slice(format!("...({} bytes)", key.len()).as_bytes());
            k
        }
        _ => key.to_vec(),
    }
}

/// A top-list row for a key.
pub fn ranked(f: &KeyFacts<'_>, rank: u64) -> RankedKey {
    RankedKey {
        rank,
        db: f.db,
        key: listed_key(f.key),
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
    pub(crate) fn add(&mut self, bytes: u64) {
        self.keys += 1;
        self.bytes += bytes;
    }
    pub(crate) fn merge(&mut self, o: Tally) {
        self.keys += o.keys;
        self.bytes += o.bytes;
    }
}

fn rank_push(t: &mut TopN<RankedKey>, f: &KeyFacts<'_>, rank: u64) {
    // Most keys cannot enter: decide on the rank before copying the key.
    if let Some(min) = t.floor()
        && (rank < min.rank || (rank == min.rank && (f.db, f.key) > (min.db, min.key.as_slice())))
    {
        return;
    }
    t.push(ranked(f, rank));
}

/// Keys and bytes by name (db, type, encoding).
#[derive(Clone, Debug)]
pub struct Tallies<K>(Keyed<K, Tally>);

impl<K> Default for Tallies<K> {
    fn default() -> Self {
        Tallies(Keyed::default())
    }
}

impl<K: Eq + std::hash::Hash + Ord + Clone + keyed::Tagged> Tallies<K> {
    #[inline]
    fn add<Q>(&mut self, k: &Q, bytes: u64)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + keyed::Tagged + ?Sized + ToOwned<Owned = K>,
    {
        self.0.entry(k, Tally::default).add(bytes);
    }

    fn merge(&mut self, o: Tallies<K>) {
        for (k, t) in o.0 {
            self.0.entry(&k, Tally::default).merge(t);
        }
    }

    /// The tallies by name, sorted.
    pub fn sorted(&self) -> Vec<(K, Tally)> {
        let mut v: Vec<(K, Tally)> = self.0.iter().cloned().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

/// Totals by db, type and encoding.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub keys: Tally,
    pub rdb_bytes: u64,
    /// Keys with a TTL.
    pub expires: u64,
    pub by_db: Tallies<u64>,
    /// Keys with a TTL by db (the expires tables).
    pub expires_by_db: Tallies<u64>,
    /// Σ allocated bytes beyond the estimates (see `memory::used`).
    pub alloc_delta: i64,
    /// Σ the keys' ± bounds; keys and bytes of approximate estimates.
    pub bound: u64,
    pub approx: Tally,
    /// Per type, by encoding (a listpack may be a hash, zset, set or list);
    /// the totals by type and by encoding are sums of these (one lookup a
    /// key for each of type and encoding).
    pub by_type_encoding: Keyed<String, Tallies<&'static str>>,
}

impl Summary {
    /// By type, whatever the encoding.
    pub fn by_type(&self) -> Tallies<String> {
        let mut all = Tallies::default();
        for (t, e) in self.by_type_encoding.iter() {
            let sum = all.0.entry(t, Tally::default);
            for (_, v) in e.0.iter() {
                sum.merge(*v);
            }
        }
        all
    }

    /// By encoding, whatever the type.
    pub fn by_encoding(&self) -> Tallies<&'static str> {
        let mut all = Tallies::default();
        for (_, t) in self.by_type_encoding.iter() {
            all.merge(t.clone());
        }
        all
    }
}

impl Accumulator for Summary {
    fn add(&mut self, f: &KeyFacts<'_>) {
        self.keys.add(f.bytes);
        self.rdb_bytes += f.rdb_bytes;
        self.expires += f.expire_at_ms.is_some() as u64;
        self.by_db.add(&f.db, f.bytes);
        if f.expire_at_ms.is_some() {
            self.expires_by_db.add(&f.db, f.bytes);
        }
        self.alloc_delta = self.alloc_delta.saturating_add(f.alloc_delta);
        match f.bound {
            Some(b) => self.bound = self.bound.saturating_add(b),
            None => self.approx.add(f.bytes),
        }
        self.by_type_encoding
            .entry(f.type_name, Tallies::default)
            .add(&f.encoding, f.bytes);
    }

    fn merge(&mut self, o: Summary) {
        self.keys.merge(o.keys);
        self.rdb_bytes = self.rdb_bytes.saturating_add(o.rdb_bytes);
        self.expires += o.expires;
        self.by_db.merge(o.by_db);
        self.expires_by_db.merge(o.expires_by_db);
        self.alloc_delta = self.alloc_delta.saturating_add(o.alloc_delta);
        self.bound = self.bound.saturating_add(o.bound);
        self.approx.merge(o.approx);
        for (t, e) in o.by_type_encoding {
            self.by_type_encoding.entry(&t, Tallies::default).merge(e);
        }
    }
}

/// The biggest keys by memory and by elements, overall and per type.
#[derive(Clone, Debug)]
pub struct BigKeys {
    top: usize,
    pub big: TopN<RankedKey>,
    /// Per type (a handful, so a vector beats a map).
    pub big_by_type: Keyed<String, TopN<RankedKey>>,
    pub most_elements: TopN<RankedKey>,
    pub most_elements_by_type: Keyed<String, TopN<RankedKey>>,
}

impl BigKeys {
    pub fn new(top: usize) -> BigKeys {
        BigKeys {
            top,
            big: TopN::new(top),
            big_by_type: Keyed::default(),
            most_elements: TopN::new(top),
            most_elements_by_type: Keyed::default(),
        }
    }
}

/// The per-type list a key goes to: its type, or `module` for every
/// module type (a crafted file can name a million of them; the rows still
/// show each key's module name).
pub(crate) fn list_type(type_name: &str) -> &str {
    match type_name {
        "string" | "list" | "set" | "zset" | "hash" | "stream" | "array" => type_name,
        _ => "module",
    }
}

impl Accumulator for BigKeys {
    fn add(&mut self, f: &KeyFacts<'_>) {
        let top = self.top;
        let t = list_type(f.type_name);
        rank_push(&mut self.big, f, f.bytes);
        rank_push(self.big_by_type.entry(t, || TopN::new(top)), f, f.bytes);
        if f.type_name != "string" {
            rank_push(&mut self.most_elements, f, f.elements);
            rank_push(
                self.most_elements_by_type.entry(t, || TopN::new(top)),
                f,
                f.elements,
            );
        }
    }

    fn merge(&mut self, o: BigKeys) {
        let top = self.top;
        self.big.merge(o.big);
        for (k, v) in o.big_by_type {
            self.big_by_type.entry(&k, || TopN::new(top)).merge(v);
        }
        self.most_elements.merge(o.most_elements);
        for (k, v) in o.most_elements_by_type {
            self.most_elements_by_type
                .entry(&k, || TopN::new(top))
                .merge(v);
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
        ExpiryAcc::add(
            self,
            f.key,
            f.expire_at_ms,
            f.ctime_ms,
            f.bytes,
            f.field_ttls,
        );
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
    pub doctor: Option<doctor::DoctorAcc>,
    pub slots: Option<slots::SlotsAcc>,
}

impl Report {
    pub fn new(cfg: ReportConfig) -> Report {
        Report::with_hints(cfg, None)
    }

    /// A report whose prefix tree shares `hints` with the other reports of
    /// one run (see [`prefix::LevelHints`]).
    pub fn with_hints(cfg: ReportConfig, hints: Option<&Arc<prefix::LevelHints>>) -> Report {
        let s = cfg.sections;
        let tree = |cfg: PrefixConfig| match hints {
            Some(h) => PrefixTree::hinted(cfg, h.clone()),
            None => PrefixTree::new(cfg),
        };
        Report {
            summary: Summary::default(),
            big: s.big_keys.then(|| BigKeys::new(cfg.top)),
            prefixes: s.prefixes.then(|| tree(cfg.prefixes.clone())),
            expiry: s.expiry.then(|| ExpiryAcc::naming(&cfg.prefixes)),
            hot_cold: s.hot_cold.then(|| HotCold {
                hot: TopN::new(cfg.top),
                cold: TopN::new(cfg.top),
            }),
            doctor: s.doctor.then(|| {
                doctor::DoctorAcc::new(doctor::DoctorConfig {
                    delimiters: cfg.prefixes.delimiters.clone(),
                    ..cfg.doctor.clone()
                })
            }),
            slots: s.slots.then(slots::SlotsAcc::default),
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
        self.doctor.add(f);
        self.slots.add(f);
    }

    fn merge(&mut self, o: Report) {
        self.summary.merge(o.summary);
        self.big.merge(o.big);
        self.prefixes.merge(o.prefixes);
        self.expiry.merge(o.expiry);
        self.hot_cold.merge(o.hot_cold);
        self.doctor.merge(o.doctor);
        self.slots.merge(o.slots);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::prefix::PrefixConfig;
    use super::*;
    use crate::report::doc::MadeWith;
    use crate::report::finish::finish;

    /// One key: (key, type, bytes, elements, expiry offset, lfu, idle, db).
    type Key = (
        Vec<u8>,
        usize,
        u64,
        u64,
        Option<i64>,
        Option<u8>,
        Option<u64>,
        u64,
    );

    const TYPES: [(&str, &str); 4] = [
        ("string", "embstr"),
        ("hash", "listpack"),
        ("zset", "skiplist"),
        ("list", "quicklist"),
    ];
    const CTIME: i64 = 1_700_000_000_000;

    fn facts(k: &Key) -> KeyFacts<'_> {
        let (key, t, bytes, elements, exp, lfu, idle, db) = k;
        KeyFacts {
            db: *db,
            key,
            type_name: TYPES[*t].0,
            encoding: TYPES[*t].1,
            stored_encoding: TYPES[*t].1,
            bytes: *bytes,
            approx: None,
            bound: Some(0),
            elements: *elements,
            largest_element: None,
            expire_at_ms: exp.map(|e| CTIME + e),
            ctime_ms: Some(CTIME),
            idle_s: *idle,
            lfu_freq: *lfu,
            rdb_bytes: bytes / 3,
            field_ttls: 0,
            alloc_delta: (*bytes % 17) as i64 - 8,
            small_entries: None,
            source: None,
        }
    }

    fn config() -> ReportConfig {
        ReportConfig {
            top: 3,
            // A small cap, so that collapsing children is exercised too.
            prefixes: PrefixConfig {
                max_children: 3,
                max_level_prefixes: 5,
                ..PrefixConfig::default()
            },
            sections: Sections::ALL,
            doctor: Default::default(),
        }
    }

    fn made_with() -> MadeWith {
        MadeWith {
            top: 3,
            ..MadeWith::default()
        }
    }

    fn key() -> impl Strategy<Value = Key> {
        (
            prop::collection::vec(prop::sample::select(b"ab:1x".to_vec()), 1..9),
            0..TYPES.len(),
            prop_oneof![Just(64u64), 1..5000u64],
            0..50u64,
            // Some past 2106 (slots past 32 bits).
            prop::option::of(prop_oneof![
                Just(5_000i64),
                -2_000..90_000i64,
                Just(3_000_000_000_000i64)
            ]),
            prop::option::of(any::<u8>()),
            prop::option::of(0..100u64),
            0..3u64,
        )
    }

    fn doc(r: Report) -> crate::report::doc::ReportDoc {
        let mut d = finish(r, Vec::new(), Vec::new(), made_with());
        // Clusters are named by the caller (`Analysis`), not by `finish`.
        if let Some(e) = d.expiry.as_mut() {
            e.clusters.clear();
        }
        d
    }

    /// One fold over all `keys`, and one per part (4) of them.
    fn folds(keys: &[(Key, usize)]) -> (Report, Vec<Report>) {
        let mut whole = Report::new(config());
        let mut parts: Vec<Report> = (0..4).map(|_| Report::new(config())).collect();
        for (k, part) in keys {
            whole.add(&facts(k));
            parts[*part].add(&facts(k));
        }
        (whole, parts)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// For any split of the keys over workers and any merge order,
        /// merging the folds equals one fold over all keys.
        #[test]
        fn merging_folds_of_any_split_equals_one_fold(
            keys in prop::collection::vec((key(), 0..4usize), 0..120),
            order in prop::collection::vec(0..4usize, 4),
        ) {
            let (whole, mut parts) = folds(&keys);
            let mut merged = Report::new(config());
            let mut taken = [false; 4];
            for i in order.into_iter().chain(0..4) {
                if !std::mem::replace(&mut taken[i], true) {
                    merged.merge(std::mem::replace(&mut parts[i], Report::new(config())));
                }
            }
            prop_assert_eq!(doc(whole), doc(merged));
        }

        /// A fold written as a state document and read back merges like
        /// the fold itself: for any split of the keys into parts, any
        /// grouping of the parts and either order of the groups, merging
        /// the states read back equals one fold over all keys (states and
        /// the finished documents).
        #[test]
        fn merging_states_read_back_equals_one_fold(
            keys in prop::collection::vec((key(), 0..4usize), 0..120),
            groups in prop::collection::vec(0..2usize, 4),
            reversed in any::<bool>(),
        ) {
            let through_json = |r: &Report| -> Report {
                let text = serde_json::to_string(&r.state()).expect("serializes");
                let back: state::StateDoc = serde_json::from_str(&text).expect("parses");
                Report::from_state(back).expect("reads back")
            };
            let (whole, parts) = folds(&keys);
            // Parts merged within their group, groups merged through JSON again.
            let mut grouped: Vec<Report> = (0..2).map(|_| Report::new(config())).collect();
            for (p, g) in parts.iter().zip(&groups) {
                grouped[*g].merge(through_json(p));
            }
            if reversed {
                grouped.reverse();
            }
            let mut merged = Report::new(config());
            for g in &grouped {
                merged.merge(through_json(g));
            }
            prop_assert_eq!(merged.state(), whole.state());
            let named = |r: &Report| r.expiry.as_ref().and_then(|e| e.named_clusters(100, 3));
            prop_assert_eq!(named(&merged), named(&whole));
            prop_assert_eq!(doc(merged), doc(whole));
        }

        /// Expiry clusters are named from what the scan kept, for any split
        /// and merge order, as the prefix tree names the keys behind each
        /// cluster (a tree of them one segment deep, its rows).
        #[test]
        fn clusters_are_named_as_a_tree_of_their_keys(
            keys in prop::collection::vec((
                prop::collection::vec(prop::sample::select(b"ab:1x".to_vec()), 1..7),
                0..3i64,
                prop_oneof![Just(900i64), 0..3000i64, 0..60_000i64],
                0..4usize,
            ), 0..400),
        ) {
            let add = |e: &mut ExpiryAcc, (key, sec, ms, _): &(Vec<u8>, i64, i64, usize)| {
                e.add(key, Some(CTIME - 500 + sec * 60_000 + ms), Some(CTIME), 1, 0);
            };
            let cfg = PrefixConfig::default();
            let mut parts: Vec<ExpiryAcc> = (0..4).map(|_| ExpiryAcc::naming(&cfg)).collect();
            for k in &keys {
                add(&mut parts[k.3], k);
            }
            let mut merged = ExpiryAcc::naming(&cfg);
            for p in parts.into_iter().rev() {
                merged.merge(p);
            }
            let named = merged.named_clusters(20, 10).expect("kept");
            let want: Vec<_> = merged
                .clusters(20, 10)
                .into_iter()
                .map(|c| {
                    let mut t = PrefixTree::new(PrefixConfig { depth: 1, ..cfg.clone() });
                    for (key, sec, ms, _) in &keys {
                        let at = CTIME - 500 + sec * 60_000 + ms;
                        if at >= CTIME && c.contains(at) {
                            t.add(key, &PrefixStats { keys: 1, ..Default::default() });
                        }
                    }
                    (c, t.first_level_by_keys(3))
                })
                .collect();
            prop_assert_eq!(named, want);
        }

        /// The same for `check`'s per-key rules.
        #[test]
        fn check_rules_merge_like_one_fold(
            keys in prop::collection::vec((key(), 0..3usize), 0..80),
        ) {
            use crate::check::{CheckAcc, Compiled, evaluate};
            let rules = crate::check::rules::Rules::parse(
                "max_key_bytes = 2000\nmax_elements = 20\n\
                 require_ttl = [{ pattern = \"a*\", allow_empty = true }]\n\
                 [max_prefix_bytes]\n\"b*\" = { max = \"10KB\", allow_empty = true }\n\
                 [allowed_encodings]\n\"*x*\" = { encodings = [\"embstr\"], allow_empty = true }\n",
            )
            .unwrap();
            let c = Compiled::new(rules, None).unwrap();
            let mut whole = (Report::new(config()), CheckAcc::new(&c, 2));
            let mut parts: Vec<_> = (0..3).map(|_| (Report::new(config()), CheckAcc::new(&c, 2))).collect();
            for (k, part) in &keys {
                whole.add(&facts(k));
                parts[*part].add(&facts(k));
            }
            let mut merged = parts.pop().unwrap();
            for p in parts.into_iter().rev() {
                merged.merge(p);
            }
            let a = evaluate(&c, &doc(whole.0), &whole.1);
            let b = evaluate(&c, &doc(merged.0), &merged.1);
            prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }
}
