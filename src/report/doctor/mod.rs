//! `doctor`: the memory playbook run offline. [`DoctorAcc`] folds what
//! the findings need from each key (what-if estimates on the target, a
//! bounded sample of string values, entity families, distributions); the
//! findings themselves are made once the scan is merged
//! ([`diagnose::findings`]), from it and the rest of the report.

pub(crate) mod config;
pub mod diagnose;
pub mod doc;
mod hist;
mod sample;
pub mod script;

use std::cmp::Reverse;
use std::collections::BTreeMap;

pub use config::DoctorConfig;
pub(crate) use hist::LogHist;
pub use sample::Sample;

use super::keyed::Keyed;
use super::prefix::Classes;
use super::topn::TopN;
use super::{Tally, list_type, listed_key};
use crate::memory::estimate::small_key_bytes;
use crate::memory::{Confidence, Detail, Target, estimate_with};
use crate::rdb::{Elem, Scratch, ValueType, ValueVisitor};
use crate::scan::{Accumulator, KeyFacts, KeySource};

/// Keys, bytes now and after a what-if, and the least sure estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub keys: u64,
    pub now: u64,
    pub after: u64,
    pub confidence: Confidence,
}

impl Default for Change {
    fn default() -> Self {
        Change {
            keys: 0,
            now: 0,
            after: 0,
            confidence: Confidence::Exact,
        }
    }
}

/// The less sure of two confidences.
pub fn weakest(a: Confidence, b: Confidence) -> Confidence {
    let rank = |c| match c {
        Confidence::Exact => 0,
        Confidence::Expected => 1,
        Confidence::Approx => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

impl Change {
    fn add(&mut self, now: u64, after: u64, c: Confidence) {
        self.keys += 1;
        self.now += now;
        self.after += after;
        self.confidence = weakest(self.confidence, c);
    }
    pub(crate) fn merge(&mut self, o: Change) {
        self.keys += o.keys;
        self.now += o.now;
        self.after += o.after;
        self.confidence = weakest(self.confidence, o.confidence);
    }
    pub fn savings(&self) -> u64 {
        self.now.saturating_sub(self.after)
    }
}

/// How sure a key's own estimate is.
fn confidence_of(f: &KeyFacts<'_>) -> Confidence {
    f.approx.map_or(Confidence::Exact, |a| a.confidence())
}

/// A key-level what-if: ordered by savings, then db and key ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChange {
    pub savings: u64,
    pub db: u64,
    pub key: Vec<u8>,
    pub type_name: String,
    pub encoding: &'static str,
    pub elements: u64,
    pub now: u64,
    pub after: u64,
    pub confidence: Confidence,
    /// The what-if's parameter: chunk size (`split_big_key`), the size kept
    /// (`trim_zset`), elements of the largest element (`big_key`).
    pub param: u64,
    /// `split_big_key`: chunks; `trim_zset`: bytes after a restart.
    pub chunks: u64,
    /// `big_key`: the largest element (shortened) and its length.
    pub largest: Option<(Vec<u8>, u64)>,
}

impl KeyChange {
    /// `f` changed to `after` bytes by a what-if with its parameters.
    fn of(f: &KeyFacts<'_>, after: u64, confidence: Confidence, param: u64, chunks: u64) -> Self {
        KeyChange {
            savings: f.bytes.saturating_sub(after),
            db: f.db,
            key: listed_key(f.key),
            type_name: f.type_name.to_string(),
            encoding: f.encoding,
            elements: f.elements,
            now: f.bytes,
            after,
            confidence,
            param,
            chunks,
            largest: None,
        }
    }
}

impl Ord for KeyChange {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.savings
            .cmp(&o.savings)
            .then_with(|| Reverse(self.db).cmp(&Reverse(o.db)))
            .then_with(|| Reverse(&self.key).cmp(&Reverse(&o.key)))
            .then_with(|| self.now.cmp(&o.now))
            .then_with(|| self.after.cmp(&o.after))
            // Two keys shortened to the same name, or one key in two files:
            // the rest decides, so the order is total.
            .then_with(|| self.type_name.cmp(&o.type_name))
            .then_with(|| self.encoding.cmp(o.encoding))
            .then_with(|| self.elements.cmp(&o.elements))
            .then_with(|| self.largest.cmp(&o.largest))
            .then_with(|| self.param.cmp(&o.param))
            .then_with(|| self.chunks.cmp(&o.chunks))
    }
}

impl PartialOrd for KeyChange {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// Whether a key ranked `rank` would enter `t` (decided before building
/// the row, which may decode the value again).
fn enters(t: &TopN<KeyChange>, rank: u64, f: &KeyFacts<'_>) -> bool {
    t.floor().is_none_or(|min| {
        rank > min.savings || (rank == min.savings && (f.db, f.key) < (min.db, min.key.as_slice()))
    })
}

/// Memory and element counts of one type.
#[derive(Clone, Debug, Default)]
pub struct TypeDist {
    pub bytes: LogHist,
    pub elements: LogHist,
}

/// String keys of one entity family (`user:*` for `user:42:name`, …):
/// what they would be as one listpack hash per entity.
#[derive(Clone, Debug, Default)]
pub struct Family {
    /// `user:*:*`.
    pub pattern: Vec<u8>,
    pub keys: u64,
    pub now: u64,
    pub confidence: Option<Confidence>,
    /// Σ the listpack entries of the fields and values.
    pub entries: u64,
    /// Σ the entity keys' lengths (one per string key).
    pub entity_len: u64,
    /// Keys per field name (at most [`MAX_FIELDS`] names, unordered).
    pub fields: Vec<(Vec<u8>, u64)>,
    /// More field names than that, a value too long for a listpack, or a
    /// key with a TTL: not a candidate.
    pub unfit: bool,
}

/// Field names of an entity family beyond which it is not one.
pub(crate) const MAX_FIELDS: usize = 32;
/// Families kept (those whose pattern hashes lowest: the same ones for any
/// split of the keys).
pub(crate) const MAX_FAMILIES: usize = 1024;

impl Family {
    fn count_field(&mut self, field: &[u8], n: u64) {
        if let Some((_, c)) = self.fields.iter_mut().find(|(f, _)| f == field) {
            *c += n;
        } else if self.fields.len() < MAX_FIELDS {
            self.fields.push((field.to_vec(), n));
        } else {
            self.fields.clear();
            self.unfit = true;
        }
    }

    fn merge(&mut self, o: Family) {
        if o.pattern != self.pattern {
            // Two patterns with one hash: too rare to keep both.
            self.unfit = true;
        }
        self.keys += o.keys;
        self.now += o.now;
        self.confidence = match (self.confidence, o.confidence) {
            (Some(a), Some(b)) => Some(weakest(a, b)),
            (a, b) => a.or(b),
        };
        self.entries += o.entries;
        self.entity_len += o.entity_len;
        self.unfit |= o.unfit;
        for (k, v) in o.fields {
            if self.unfit {
                break;
            }
            self.count_field(&k, v);
        }
        if self.unfit {
            self.fields.clear();
        }
    }

    /// The field names, sorted.
    pub fn field_names(&self) -> Vec<&[u8]> {
        let mut v: Vec<&[u8]> = self.fields.iter().map(|(f, _)| f.as_slice()).collect();
        v.sort();
        v
    }

    /// Entities: keys of the most common field (exact when every entity
    /// has it).
    pub fn entities(&self) -> u64 {
        self.fields.iter().map(|(_, c)| *c).max().unwrap_or(0)
    }
}

/// Everything the doctor folds from the keys.
pub struct DoctorAcc {
    pub cfg: DoctorConfig,
    scratch: Scratch,
    pub dist: Keyed<String, TypeDist>,
    pub big: TopN<KeyChange>,
    /// Keys at or over `big_key` and `huge_key`.
    pub big_keys: [Tally; 2],
    pub split: TopN<KeyChange>,
    pub split_all: Change,
    /// Per type: the keys a raised `*-max-listpack-entries` (2×, 4×, 8×
    /// the target's) would make listpacks (intsets), and what they save.
    pub listpack: Keyed<String, ([Change; 3], u64)>,
    pub trim: TopN<KeyChange>,
    pub trim_all: Change,
    /// By a hash of the pattern (the lowest [`MAX_FAMILIES`] kept).
    pub families: BTreeMap<u64, Family>,
    pattern: Vec<u8>,
    /// The delimiters' and ids' byte classes (as the prefix tree's).
    classes: Classes,
    pub sample: Sample,
    pub cold: Tally,
    pub cold_confidence: Confidence,
    /// Keys with an LRU idle time / an LFU counter in the dump.
    pub idle_known: u64,
    pub lfu_known: u64,
    /// The first target seen (what-ifs made at the end use it).
    pub target: Option<Target>,
}

impl Clone for DoctorAcc {
    fn clone(&self) -> Self {
        DoctorAcc {
            cfg: self.cfg.clone(),
            scratch: Scratch::default(),
            dist: self.dist.clone(),
            big: self.big.clone(),
            big_keys: self.big_keys,
            split: self.split.clone(),
            split_all: self.split_all,
            listpack: self.listpack.clone(),
            trim: self.trim.clone(),
            trim_all: self.trim_all,
            families: self.families.clone(),
            pattern: Vec::new(),
            classes: self.classes.clone(),
            sample: self.sample.clone(),
            cold: self.cold,
            cold_confidence: self.cold_confidence,
            idle_known: self.idle_known,
            lfu_known: self.lfu_known,
            target: self.target.clone(),
        }
    }
}

impl std::fmt::Debug for DoctorAcc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoctorAcc").finish_non_exhaustive()
    }
}

/// The multiples of a `*-max-listpack-entries` threshold tried.
pub const RAISE: [u64; 3] = [2, 4, 8];

impl DoctorAcc {
    pub fn new(cfg: DoctorConfig) -> DoctorAcc {
        let top = cfg.top;
        DoctorAcc {
            sample: Sample::new(cfg.sample),
            classes: Classes::new(&cfg.delimiters),
            cfg,
            scratch: Scratch::default(),
            dist: Keyed::default(),
            big: TopN::new(top),
            big_keys: [Tally::default(); 2],
            split: TopN::new(top),
            split_all: Change::default(),
            listpack: Keyed::default(),
            trim: TopN::new(top),
            trim_all: Change::default(),
            families: BTreeMap::new(),
            pattern: Vec::new(),
            cold: Tally::default(),
            cold_confidence: Confidence::Exact,
            idle_known: 0,
            lfu_known: 0,
            target: None,
        }
    }

    fn big_key(&mut self, f: &KeyFacts<'_>, src: Option<KeySource<'_>>) {
        if f.bytes < self.cfg.big_key {
            return;
        }
        self.big_keys[0].add(f.bytes);
        if f.bytes >= self.cfg.huge_key {
            self.big_keys[1].add(f.bytes);
        }
        if !enters(&self.big, f.bytes, f) {
            return;
        }
        let mut largest = None;
        // The largest element's name costs a second decode, and a second
        // copy of the value's blobs: not for a value past 256 MiB.
        if let Some(s) = src
            && f.type_name != "string"
            && f.bytes <= 256 << 20
        {
            let mut v = Largest::default();
            if s.record
                .decode(s.templates, &mut self.scratch, &mut v)
                .is_ok()
                && v.len > 0
            {
                largest = Some((v.name, v.len));
            }
            // Kept for the accumulator's life, and a parallel scan holds
            // one accumulator a range in flight: big buffers are let go.
            self.scratch.shrink(1 << 20);
        }
        self.big.push(KeyChange {
            // Ranked by size: nothing is saved.
            savings: f.bytes,
            largest,
            ..KeyChange::of(f, f.bytes, confidence_of(f), 0, 0)
        });
    }

    /// Hashes, sets and sorted sets the target keeps as a hashtable or
    /// skiplist: a raised threshold (a few times over it) or chunks.
    fn collection(&mut self, f: &KeyFacts<'_>, s: KeySource<'_>) {
        let th = &s.target.thresholds;
        let lp_sets = s.target.layout().listpack_sets_lists;
        let (entries, value) = match (f.type_name, f.encoding) {
            ("hash", "hashtable") => (th.hash_max_listpack_entries, th.hash_max_listpack_value),
            ("zset", "skiplist") => (th.zset_max_listpack_entries, th.zset_max_listpack_value),
            ("set", "hashtable") if lp_sets => {
                (th.set_max_listpack_entries, th.set_max_listpack_value)
            }
            // Before 7.2 a set is an intset (integers only) or a hashtable.
            ("set", "hashtable") => (th.set_max_intset_entries, th.set_max_listpack_value),
            _ => return,
        };
        if f.field_ttls > 0 || entries == 0 {
            return;
        }
        // At or under the threshold, a hashtable or skiplist holds a long
        // element (or, before 7.2, a set a string): more entries would not
        // change it.
        if f.elements <= entries {
            return;
        }
        let c = confidence_of(f);
        let vt = value_type(f.type_name);
        let ttl = f.expire_at_ms.is_some();
        // Every element short enough for a listpack (the longest is known
        // from the scan), and the listpack's entries as the target would
        // build them (the model computed them to decide the encoding).
        let small = f
            .small_entries
            .filter(|_| f.largest_element.is_some_and(|m| m <= value));
        // How sure a listpack's size is on this target.
        let lp_conf = if s.target.profile.is_provisional() {
            Confidence::Approx
        } else if s.target.allocator == crate::memory::Allocator::Libc {
            Confidence::Expected
        } else {
            Confidence::Exact
        };
        if f.elements <= entries.saturating_mul(RAISE[2]) {
            let (after, after_c) = if f.type_name == "set" {
                // An intset or a listpack, as the target loads it with the
                // thresholds raised: the model's own answer (sets only; a
                // few keys).
                let mut t = s.target.clone();
                let big = entries.saturating_mul(RAISE[2]);
                t.thresholds.set_max_listpack_entries = big;
                t.thresholds.set_max_intset_entries = t.thresholds.set_max_intset_entries.max(big);
                let Ok(e) = estimate_with(
                    s.record,
                    &t,
                    s.templates,
                    &mut self.scratch,
                    Detail::Elements,
                ) else {
                    return;
                };
                if matches!(e.encoding, "hashtable" | "skiplist") {
                    return;
                }
                (
                    e.bytes,
                    e.approx.map_or(Confidence::Exact, |a| a.confidence()),
                )
            } else {
                let Some(entries) = small else { return };
                (
                    small_key_bytes(s.target, vt, f.key.len() as u64, entries, ttl),
                    lp_conf,
                )
            };
            if after >= f.bytes {
                return;
            }
            let (rows, base) = self.listpack.entry(f.type_name, Default::default);
            *base = entries;
            for (m, row) in RAISE.iter().zip(rows.iter_mut()) {
                if f.elements <= entries.saturating_mul(*m) {
                    row.add(f.bytes, after, weakest(c, after_c));
                }
            }
            return;
        }
        // Chunks of half the threshold: a chunk picked by a hash of the
        // member stays under it (a binomial spread of a few percent).
        let chunk = (entries / 2).max(1);
        let Some(entries) = small else { return };
        if f.elements == 0 || !(lp_sets || f.type_name != "set") {
            return;
        }
        let after = chunked_bytes(s.target, vt, f, f.elements, entries, chunk);
        if after >= f.bytes {
            return;
        }
        let conf = weakest(c, Confidence::Expected);
        self.split_all.add(f.bytes, after, conf);
        if enters(&self.split, f.bytes - after, f) {
            self.split.push(KeyChange::of(
                f,
                after,
                conf,
                chunk,
                f.elements.div_ceil(chunk),
            ));
        }
    }

    /// Sorted sets over `trim_to` members: the bytes at that size, the
    /// members' share of the value (their sizes vary: expected). Right
    /// after `ZREMRANGEBYRANK` the skiplist's dict keeps its table unless
    /// it is under 10 % full (`htNeedsResize`; measured on 7.0.15: 65,536
    /// slots kept for 10,000 members), so that is what the command frees;
    /// a restart frees the rest (kept in `chunks`).
    fn trim(&mut self, f: &KeyFacts<'_>, src: Option<KeySource<'_>>) {
        let n = self.cfg.trim_to;
        if f.type_name != "zset" || f.elements <= n || n == 0 {
            return;
        }
        let reloaded = ((f.bytes as u128 * n as u128) / f.elements as u128) as u64;
        let mut after = reloaded;
        let mut conf = weakest(confidence_of(f), Confidence::Expected);
        if let Some(s) = src
            && f.encoding == "skiplist"
        {
            let l = s.target.layout();
            let np2 = crate::memory::layout::np2;
            let (now_slots, kept_slots) = (np2(f.elements), np2(n));
            if n * 100 >= now_slots * 10 {
                after += l
                    .alloc(8 * now_slots)
                    .saturating_sub(l.alloc(8 * kept_slots));
            }
            if l.open_hashtable {
                // Valkey 8.1+ tables shrink by other rules.
                conf = Confidence::Approx;
            }
        }
        let after = after.min(f.bytes);
        self.trim_all.add(f.bytes, after, conf);
        if enters(&self.trim, f.bytes - after, f) {
            self.trim.push(KeyChange::of(f, after, conf, n, reloaded));
        }
    }

    /// A string key of an entity family: `user:42:name` is field `name` of
    /// entity `user:42`, family `user:*`.
    fn family(&mut self, f: &KeyFacts<'_>, s: KeySource<'_>) {
        let Some((field, entity_len)) = entity_of(f.key, &self.classes, &mut self.pattern) else {
            return;
        };
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(0x646f_6374_6f72).hash_one(&self.pattern);
        if self.families.len() >= MAX_FAMILIES
            && !self.families.contains_key(&h)
            && self.families.last_key_value().is_some_and(|(k, _)| h > *k)
        {
            return;
        }
        let limit = s.target.thresholds.hash_max_listpack_value;
        let fam = self.families.entry(h).or_insert_with(|| Family {
            pattern: self.pattern.clone(),
            ..Family::default()
        });
        if fam.pattern != self.pattern {
            fam.unfit = true;
        }
        fam.keys += 1;
        fam.now += f.bytes;
        let c = confidence_of(f);
        fam.confidence = Some(fam.confidence.map_or(c, |x| weakest(x, c)));
        fam.entity_len += entity_len as u64;
        let fits = !fam.unfit
            && f.elements <= limit
            && (field.len() as u64) <= limit
            && f.expire_at_ms.is_none();
        // A value longer than an integer's 20 digits takes a listpack entry
        // by its length; a shorter one is read again (it may be one).
        let entry = if !fits {
            None
        } else if f.elements > 20 {
            Some(crate::memory::estimate::listpack_string_entry(f.elements))
        } else {
            string_value(s, &mut self.scratch).map(crate::memory::estimate::listpack_entry_of)
        };
        match entry {
            Some(v) => {
                fam.entries += crate::memory::estimate::listpack_entry_of(Elem::Bytes(field)) + v;
                fam.count_field(field, 1);
            }
            None => {
                fam.unfit = true;
                fam.fields.clear();
            }
        }
        while self.families.len() > MAX_FAMILIES {
            self.families.pop_last();
        }
    }
}

/// The value type of a report type name.
fn value_type(t: &str) -> ValueType {
    match t {
        "hash" => ValueType::Hash,
        "zset" => ValueType::Zset,
        _ => ValueType::Set,
    }
}

/// What `shape` takes split into chunks of `chunk` elements, each its own
/// key (`KEY:N`) holding one listpack. A hash of each element picks its
/// chunk, so a chunk's size is binomial around the mean: the allocator
/// rounds each chunk up, so the rounded sizes are averaged over that
/// spread (rounding the mean size once was 7.6 % low on a real server).
fn chunked_bytes(
    target: &Target,
    vt: ValueType,
    f: &KeyFacts<'_>,
    elements: u64,
    entries: u64,
    chunk: u64,
) -> u64 {
    let chunks = elements.div_ceil(chunk).max(1);
    let key_len = f.key.len() as u64 + 1 + digits(chunks - 1);
    let ttl = f.expire_at_ms.is_some();
    let per = entries as f64 / elements.max(1) as f64;
    let one = |k: f64| small_key_bytes(target, vt, key_len, (k * per).round() as u64, ttl);
    let n = elements as f64;
    let p = 1.0 / chunks as f64;
    let mean = n * p;
    let sd = (n * p * (1.0 - p)).sqrt();
    if sd < 0.5 {
        return one(mean).saturating_mul(chunks);
    }
    // The normal law over whole element counts, ±6 deviations.
    let (lo, hi) = ((mean - 6.0 * sd).floor().max(0.0), (mean + 6.0 * sd).ceil());
    let (mut sum, mut weight) = (0.0, 0.0);
    let mut k = lo;
    while k <= hi {
        let z = (k - mean) / sd;
        let w = (-0.5 * z * z).exp();
        sum += w * one(k) as f64;
        weight += w;
        k += 1.0;
    }
    (sum / weight * chunks as f64).round() as u64
}

fn digits(mut n: u64) -> u64 {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// A string key's value (LZF inflated into `scratch`); `None` when it
/// cannot be read again (it was read once, so never in practice).
fn string_value<'s>(s: KeySource<'s>, scratch: &'s mut Scratch) -> Option<Elem<'s>> {
    let rec = s.record;
    let mut cur = crate::rdb::cursor::Cursor::new(rec.value, rec.value_offset);
    let v = crate::rdb::string::read_string(&mut cur).ok()?;
    v.elem(&mut scratch.a).ok()
}

/// Splits `key` into (field, entity length), with the family pattern in
/// `pattern`, when it looks like one field of an entity: at least two
/// segments, an id among those before the last, and a last segment that
/// is a name (not an id).
fn entity_of<'k>(
    key: &'k [u8],
    classes: &Classes,
    pattern: &mut Vec<u8>,
) -> Option<(&'k [u8], usize)> {
    let cut = key.iter().rposition(|&b| classes.is_delimiter(b))?;
    let (entity, field) = (&key[..cut], &key[cut + 1..]);
    if field.is_empty() || field.len() > 64 || classes.segment_end(field).1 || entity.is_empty() {
        return None;
    }
    pattern.clear();
    let mut has_id = false;
    let mut rest = entity;
    loop {
        let (end, id) = classes.segment_end(rest);
        if id {
            has_id = true;
            pattern.push(b'*');
        } else {
            pattern.extend_from_slice(&rest[..end]);
        }
        match rest.get(end) {
            Some(&d) => {
                pattern.push(d);
                rest = &rest[end + 1..];
            }
            None => break,
        }
        if pattern.len() > 256 {
            return None;
        }
    }
    if !has_id {
        return None;
    }
    pattern.push(key[cut]);
    pattern.push(b'*');
    Some((field, entity.len()))
}

/// Finds a collection's largest element (a hash: the field with the
/// longest value) and keeps its first bytes as its name.
#[derive(Default)]
struct Largest {
    name: Vec<u8>,
    len: u64,
}

/// Bytes of an element's name kept for display.
const NAME: usize = 128;

impl Largest {
    fn see(&mut self, name: Elem<'_>, len: u64) {
        if len <= self.len {
            return;
        }
        self.len = len;
        self.name.clear();
        match name {
            Elem::Bytes(b) => self.name.extend_from_slice(&b[..b.len().min(NAME)]),
            Elem::Int(i) => self.name.extend_from_slice(i.to_string().as_bytes()),
        }
    }
}

impl ValueVisitor for Largest {
    fn item(&mut self, v: Elem<'_>) {
        self.see(v, v.len() as u64);
    }
    fn zset_item(&mut self, m: Elem<'_>, _: f64) {
        self.see(m, m.len() as u64);
    }
    fn hash_field(&mut self, field: Elem<'_>, value: Elem<'_>, _: Option<i64>) {
        self.see(field, (field.len() + value.len()) as u64);
    }
}

impl Accumulator for DoctorAcc {
    fn add(&mut self, f: &KeyFacts<'_>) {
        let d = self.dist.entry(list_type(f.type_name), TypeDist::default);
        d.bytes.add(f.bytes);
        d.elements.add(f.elements);
        if let Some(idle) = f.idle_s {
            self.idle_known += 1;
            if idle >= self.cfg.cold_days.saturating_mul(86_400) {
                self.cold.add(f.bytes);
                self.cold_confidence = weakest(self.cold_confidence, confidence_of(f));
            }
        }
        self.lfu_known += f.lfu_freq.is_some() as u64;
        let src = f.source;
        self.big_key(f, src);
        self.trim(f, src);
        let Some(s) = src else { return };
        if self.target.is_none() {
            self.target = Some(s.target.clone());
        }
        if f.type_name == "string" {
            self.family(f, s);
            if f.encoding == "raw" {
                self.sample
                    .offer(f, s, &mut self.scratch, &self.cfg.delimiters);
            }
        } else {
            self.collection(f, s);
        }
    }

    fn merge(&mut self, o: DoctorAcc) {
        for (k, v) in o.dist {
            let d = self.dist.entry(&k, TypeDist::default);
            d.bytes.merge(&v.bytes);
            d.elements.merge(&v.elements);
        }
        self.big.merge(o.big);
        for (a, b) in self.big_keys.iter_mut().zip(o.big_keys) {
            a.merge(b);
        }
        self.split.merge(o.split);
        self.split_all.merge(o.split_all);
        for (k, (rows, base)) in o.listpack {
            let (mine, b) = self.listpack.entry(&k, Default::default);
            *b = (*b).max(base);
            for (a, r) in mine.iter_mut().zip(rows) {
                a.merge(r);
            }
        }
        self.trim.merge(o.trim);
        self.trim_all.merge(o.trim_all);
        for (k, v) in o.families {
            match self.families.get_mut(&k) {
                Some(f) => f.merge(v),
                None => {
                    self.families.insert(k, v);
                }
            }
        }
        while self.families.len() > MAX_FAMILIES {
            self.families.pop_last();
        }
        self.sample.merge(o.sample);
        self.cold.merge(o.cold);
        self.cold_confidence = weakest(self.cold_confidence, o.cold_confidence);
        self.idle_known += o.idle_known;
        self.lfu_known += o.lfu_known;
        if self.target.is_none() {
            self.target = o.target;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_families() {
        let d = &Classes::new(b":");
        let mut p = Vec::new();
        let (f, n) = entity_of(b"user:42:name", d, &mut p).unwrap();
        assert_eq!((p.as_slice(), f, n), (&b"user:*:*"[..], &b"name"[..], 7));
        entity_of(b"shop:7:user:9f3a2c1d:age", d, &mut p).unwrap();
        assert_eq!(p, b"shop:*:user:*:*");
        assert!(entity_of(b"user:name", d, &mut p).is_none(), "no id");
        let last_is_id = entity_of(b"user:42", d, &mut p);
        assert!(last_is_id.is_none());
        assert!(entity_of(b"user:42:", d, &mut p).is_none());
        assert!(entity_of(b"plain", d, &mut p).is_none());
    }

    #[test]
    fn digits_of() {
        assert_eq!(
            [0, 9, 10, 99, 100, u64::MAX].map(digits),
            [1, 1, 2, 2, 3, 20]
        );
    }
}
