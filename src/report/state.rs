//! A report's accumulators as a document (`report --mergeable`): what
//! `merge` reads back and folds exactly as one run over all the dumps
//! would (see [`crate::scan::Accumulator`]). Every list is written in a
//! canonical order, so the state is the same for any `--threads`; every
//! count read back is checked against the state's own totals, and the
//! totals of all inputs are added with checked arithmetic, so no input can
//! overflow a sum.

use std::collections::BTreeMap;

use super::doctor::{Change, DoctorAcc, DoctorConfig, Family, KeyChange, TypeDist};
use super::expiry::ExpiryAcc;
use super::keyed::Keyed;
use super::prefix::{PrefixConfig, PrefixTree};
use super::slots::SlotsAcc;
pub use super::state_doc::*;
use super::topn::TopN;
use super::{BigKeys, HotCold, RankedKey, Report, ReportConfig, Summary, Tallies, Tally};
use crate::escape::escape;
use crate::memory::{Confidence, Target};

// ---- small conversions -------------------------------------------------

fn text(b: &[u8]) -> String {
    escape(b).into_owned()
}

fn tally_within(what: &str, t: TallyDoc, max: Tally) -> R<Tally> {
    Ok(Tally {
        keys: within(what, t.keys, max.keys)?,
        bytes: within(what, t.bytes, max.bytes)?,
    })
}

fn confidence(s: &str) -> R<Confidence> {
    [Confidence::Exact, Confidence::Expected, Confidence::Approx]
        .into_iter()
        .find(|c| c.as_str() == s)
        .ok_or_else(|| format!("unknown confidence {s:?}"))
}

/// Encodings are `&'static str` in the accumulators: the names the
/// memory model and the decoder give.
fn encoding(s: &str) -> R<&'static str> {
    use crate::rdb::types::Encoding as E;
    let stored = [
        E::String,
        E::LinkedList,
        E::Hashtable,
        E::Skiplist,
        E::Module,
        E::Zipmap,
        E::Ziplist,
        E::Intset,
        E::Quicklist,
        E::Quicklist2,
        E::Listpack,
        E::ListpackEx,
        E::Stream,
        E::Array,
        E::TemplateListpack,
        E::TemplateArray,
    ]
    .map(E::as_str);
    crate::check::rules::ENCODINGS
        .iter()
        .map(|(e, _)| *e)
        .chain(stored)
        .chain(["unknown"])
        .find(|e| *e == s)
        .ok_or_else(|| format!("unknown encoding {s:?}"))
}

fn top_state<T: Ord + Clone, S>(t: &TopN<T>, f: impl Fn(&T) -> S) -> TopState<S> {
    TopState {
        n: t.capacity(),
        rows: t.clone().into_sorted().iter().map(f).collect(),
    }
}

/// A top list read back: made for `n` rows, as the configuration says.
fn top_of<T: Ord, S>(s: TopState<S>, n: usize, f: impl Fn(S) -> R<T>) -> R<TopN<T>> {
    if s.n != n || s.rows.len() > n {
        return Err(format!(
            "a top list of {} for {} rows with {} rows",
            n,
            s.n,
            s.rows.len()
        ));
    }
    let mut t = TopN::new(s.n);
    for row in s.rows {
        t.push(f(row)?);
    }
    Ok(t)
}

// ---- the report --------------------------------------------------------

impl ReportConfig {
    fn state(&self) -> ConfigState {
        ConfigState {
            top: self.top,
            delimiters: text(&self.prefixes.delimiters),
            depth: self.prefixes.depth,
            max_children: self.prefixes.max_children,
            generalize: self.prefixes.generalize,
            max_level_prefixes: self.prefixes.max_level_prefixes,
            sections: self.sections,
            doctor: self.doctor.clone(),
        }
    }

    fn from_state(c: &ConfigState) -> R<ReportConfig> {
        let delimiters = bytes_of(&c.delimiters, "delimiters")?;
        if delimiters.is_empty() {
            return Err("no prefix delimiters".into());
        }
        if !(1..=super::prefix::MAX_DEPTH).contains(&c.depth) {
            return Err(format!("prefix depth {} is not 1 to 8", c.depth));
        }
        // The caps are not options: larger ones are not rdbscope's (and
        // would let a state hold what a scan never keeps).
        let caps = PrefixConfig::default();
        if c.max_children > caps.max_children || c.max_level_prefixes > caps.max_level_prefixes {
            return Err(format!(
                "prefix caps {} and {} are larger than rdbscope's",
                c.max_children, c.max_level_prefixes
            ));
        }
        // The doctor shows the peak after ±jitter of a TTL.
        if !(0.0..=1.0).contains(&c.doctor.jitter) {
            return Err(format!("doctor jitter {} is not 0 to 1", c.doctor.jitter));
        }
        Ok(ReportConfig {
            top: c.top,
            prefixes: PrefixConfig {
                delimiters: delimiters.clone(),
                depth: c.depth,
                max_children: c.max_children,
                generalize: c.generalize,
                max_level_prefixes: c.max_level_prefixes,
            },
            sections: c.sections,
            doctor: DoctorConfig {
                delimiters,
                ..c.doctor.clone()
            },
        })
    }
}

impl Report {
    /// Prices the doctor's sampled values now: [`Report::state`] and the
    /// findings both need them, and compressing costs.
    pub fn price_samples(&mut self) {
        if let Some(d) = self.doctor.as_mut() {
            d.sample.price();
        }
    }

    /// The accumulators as a document.
    pub fn state(&self) -> StateDoc {
        StateDoc {
            state_version: STATE_VERSION,
            // Files are the caller's (`Analysis`, `merge`).
            dumps: Vec::new(),
            config: self.config().state(),
            summary: summary_state(&self.summary),
            big_keys: self.big.as_ref().map(|b| BigKeysState {
                big: top_state(&b.big, ranked_state),
                big_by_type: per_type_state(&b.big_by_type),
                most_elements: top_state(&b.most_elements, ranked_state),
                most_elements_by_type: per_type_state(&b.most_elements_by_type),
            }),
            prefixes: self.prefixes.as_ref().map(PrefixTree::state),
            expiry: self.expiry.as_ref().map(ExpiryAcc::state),
            hot_cold: self.hot_cold.as_ref().map(|h| HotColdState {
                hot: top_state(&h.hot, ranked_state),
                cold: top_state(&h.cold, ranked_state),
            }),
            doctor: self.doctor.as_ref().map(doctor_state),
            slots: self.slots.as_ref().map(slots_state),
        }
    }

    /// The accumulators a [`Report::state`] was made from. Sections the
    /// configuration asks for must be there, and only those.
    pub fn from_state(s: StateDoc) -> R<Report> {
        if s.state_version != STATE_VERSION {
            return Err(format!(
                "state_version {} is not {STATE_VERSION}",
                s.state_version
            ));
        }
        let cfg = ReportConfig::from_state(&s.config)?;
        let sec = cfg.sections;
        let summary = summary_of(s.summary)?;
        let total = summary.keys;
        let mut r = Report::new(cfg.clone());
        r.summary = summary;
        let present = |asked: bool, got: bool, what: &str| -> R<()> {
            if asked != got {
                return Err(format!(
                    "the {what} section is {} but the configuration {}",
                    if got { "there" } else { "missing" },
                    if asked {
                        "asks for it"
                    } else {
                        "does not ask for it"
                    }
                ));
            }
            Ok(())
        };
        present(sec.big_keys, s.big_keys.is_some(), "big_keys")?;
        present(sec.prefixes, s.prefixes.is_some(), "prefixes")?;
        present(sec.expiry, s.expiry.is_some(), "expiry")?;
        present(sec.hot_cold, s.hot_cold.is_some(), "hot_cold")?;
        present(sec.doctor, s.doctor.is_some(), "doctor")?;
        present(sec.slots, s.slots.is_some(), "slots")?;
        let ranked = |row| ranked_of(row, total);
        if let Some(b) = s.big_keys {
            let mut big = BigKeys::new(cfg.top);
            big.big = top_of(b.big, cfg.top, ranked)?;
            big.big_by_type = per_type_of(b.big_by_type, cfg.top, total)?;
            big.most_elements = top_of(b.most_elements, cfg.top, ranked)?;
            big.most_elements_by_type = per_type_of(b.most_elements_by_type, cfg.top, total)?;
            r.big = Some(big);
        }
        if let Some(t) = s.prefixes {
            r.prefixes = Some(PrefixTree::from_state(cfg.prefixes.clone(), t, total)?);
        }
        if let Some(e) = s.expiry {
            r.expiry = Some(ExpiryAcc::from_state(&cfg.prefixes, e, total)?);
        }
        if let Some(h) = s.hot_cold {
            r.hot_cold = Some(HotCold {
                hot: top_of(h.hot, cfg.top, ranked)?,
                cold: top_of(h.cold, cfg.top, ranked)?,
            });
        }
        if let Some(d) = s.doctor {
            let acc = r.doctor.take().ok_or("no doctor")?;
            r.doctor = Some(doctor_of(acc, d, total)?);
        }
        if let Some(sl) = s.slots {
            r.slots = Some(slots_of(sl, total)?);
        }
        Ok(r)
    }
}

fn tallies_state<K: Clone + Ord + Eq + std::hash::Hash + super::keyed::Tagged, O: Ord>(
    t: &Tallies<K>,
    key: impl Fn(K) -> O,
) -> BTreeMap<O, TallyDoc> {
    t.sorted()
        .into_iter()
        .map(|(k, v)| (key(k), v.into()))
        .collect()
}

fn summary_state(s: &Summary) -> SummaryState {
    SummaryState {
        keys: s.keys.into(),
        rdb_bytes: s.rdb_bytes,
        expires: s.expires,
        by_db: tallies_state(&s.by_db, |k| k),
        expires_by_db: tallies_state(&s.expires_by_db, |k| k),
        alloc_delta: s.alloc_delta,
        bound: s.bound,
        approx: s.approx.into(),
        by_type_encoding: s
            .by_type_encoding
            .iter()
            .map(|(t, e)| (t.clone(), tallies_state(e, |k: &str| k.to_string())))
            .collect(),
    }
}

fn tallies_of<K: Eq + std::hash::Hash + Ord + Clone + super::keyed::Tagged, O>(
    what: &str,
    m: BTreeMap<O, TallyDoc>,
    total: Tally,
    key: impl Fn(O) -> R<K>,
) -> R<Tallies<K>> {
    let mut t = Tallies::default();
    for (k, v) in m {
        t.0.entry(&key(k)?, Tally::default)
            .merge(tally_within(what, v, total)?);
    }
    Ok(t)
}

/// The keys and bytes of `m` add up to `want` (each key is counted in
/// exactly one db, type, encoding).
fn adds_up<K>(what: &str, m: &BTreeMap<K, TallyDoc>, want: Tally) -> R<()> {
    let mut sum = Tally::default();
    for t in m.values() {
        sum.keys = sum.keys.saturating_add(t.keys);
        sum.bytes = sum.bytes.saturating_add(t.bytes);
    }
    if sum != want {
        return Err(format!(
            "{what} adds up to {} keys and {} bytes, not {} and {}",
            sum.keys, sum.bytes, want.keys, want.bytes
        ));
    }
    Ok(())
}

/// More keys or bytes than any server or fleet holds (2^48 keys, 64 PiB):
/// below these, every product the findings and views take of a count
/// fits 64 bits.
pub(crate) const MAX_KEYS: u64 = 1 << 48;
pub(crate) const MAX_BYTES: u64 = 1 << 56;

fn summary_of(s: SummaryState) -> R<Summary> {
    let total = Tally {
        keys: within("keys", s.keys.keys, MAX_KEYS)?,
        bytes: within("bytes", s.keys.bytes, MAX_BYTES)?,
    };
    adds_up("by_db", &s.by_db, total)?;
    // Every key is counted under one type and one encoding.
    let all: BTreeMap<(&String, &String), TallyDoc> = s
        .by_type_encoding
        .iter()
        .flat_map(|(t, e)| e.iter().map(move |(e, v)| ((t, e), *v)))
        .collect();
    adds_up("by_type_encoding", &all, total)?;
    let mut by_type_encoding = Keyed::default();
    for (t, e) in s.by_type_encoding {
        *by_type_encoding.entry(&t, Tallies::default) =
            tallies_of("by_type_encoding", e, total, |e: String| encoding(&e))?;
    }
    let expires = within("expires", s.expires, total.keys)?;
    let expiring_bytes = s
        .expires_by_db
        .values()
        .map(|t| t.bytes)
        .fold(0, u64::saturating_add);
    adds_up(
        "expires_by_db",
        &s.expires_by_db,
        Tally {
            keys: expires,
            bytes: within("expiring bytes", expiring_bytes, total.bytes)?,
        },
    )?;
    Ok(Summary {
        keys: total,
        rdb_bytes: within("rdb bytes", s.rdb_bytes, MAX_BYTES)?,
        expires,
        by_db: tallies_of("by_db", s.by_db, total, Ok)?,
        expires_by_db: tallies_of("expires_by_db", s.expires_by_db, total, Ok)?,
        alloc_delta: s.alloc_delta,
        bound: s.bound,
        approx: tally_within("approx", s.approx, total)?,
        by_type_encoding,
    })
}

fn ranked_state(k: &RankedKey) -> RankedState {
    RankedState {
        rank: k.rank,
        db: k.db,
        key: text(&k.key),
        type_name: k.type_name.clone(),
        encoding: k.encoding.to_string(),
        bytes: k.bytes,
        elements: k.elements,
        largest_element: k.largest_element,
        idle_s: k.idle_s,
        lfu_freq: k.lfu_freq,
    }
}

fn ranked_of(k: RankedState, total: Tally) -> R<RankedKey> {
    Ok(RankedKey {
        rank: k.rank,
        db: k.db,
        key: bytes_of(&k.key, "key")?,
        type_name: k.type_name,
        encoding: encoding(&k.encoding)?,
        bytes: within("a key's bytes", k.bytes, total.bytes)?,
        elements: k.elements,
        largest_element: k.largest_element,
        idle_s: k.idle_s,
        lfu_freq: k.lfu_freq,
    })
}

fn per_type_state(per: &Keyed<String, TopN<RankedKey>>) -> BTreeMap<String, TopState<RankedState>> {
    per.iter()
        .map(|(t, l)| (t.clone(), top_state(l, ranked_state)))
        .collect()
}

fn per_type_of(
    m: BTreeMap<String, TopState<RankedState>>,
    n: usize,
    total: Tally,
) -> R<Keyed<String, TopN<RankedKey>>> {
    let mut out = Keyed::default();
    for (t, s) in m {
        list_type_name(&t)?;
        out.entry(&t, || TopN::new(n))
            .merge(top_of(s, n, |row| ranked_of(row, total))?);
    }
    Ok(out)
}

/// The per-type lists are by [`super::list_type`]: a handful of names.
fn list_type_name(t: &str) -> R<()> {
    if super::list_type(t) != t {
        return Err(format!("{t:?} is not a type a report lists by"));
    }
    Ok(())
}

fn slots_state(s: &SlotsAcc) -> SlotsState {
    SlotsState {
        slots: (0..s.keys.len())
            .filter(|&i| s.keys[i] > 0 || s.bytes[i] > 0)
            .map(|i| (i as u16, s.keys[i], s.bytes[i]))
            .collect(),
        tagged: s.tagged.into(),
    }
}

fn slots_of(s: SlotsState, total: Tally) -> R<SlotsAcc> {
    let mut acc = SlotsAcc::default();
    let mut sum = Tally::default();
    for (slot, keys, bytes) in s.slots {
        let i = usize::from(slot);
        if i >= acc.keys.len() {
            return Err(format!("slot {slot} is not a cluster slot"));
        }
        sum.keys = sum.keys.checked_add(keys).ok_or("slot keys overflow")?;
        sum.bytes = sum.bytes.checked_add(bytes).ok_or("slot bytes overflow")?;
        within("the slots' keys", sum.keys, total.keys)?;
        within("the slots' bytes", sum.bytes, total.bytes)?;
        acc.keys[i] += keys;
        acc.bytes[i] += bytes;
    }
    acc.tagged = tally_within("hash-tagged keys", s.tagged, total)?;
    Ok(acc)
}

// ---- the doctor --------------------------------------------------------

fn change_state(c: &Change) -> ChangeState {
    ChangeState {
        keys: c.keys,
        now: c.now,
        after: c.after,
        confidence: c.confidence.as_str().into(),
    }
}

fn change_of(c: ChangeState, total: Tally) -> R<Change> {
    Ok(Change {
        keys: within("a what-if's keys", c.keys, total.keys)?,
        now: within("a what-if's bytes", c.now, total.bytes)?,
        after: within("a what-if's bytes after", c.after, total.bytes)?,
        confidence: confidence(&c.confidence)?,
    })
}

fn key_change_state(k: &KeyChange) -> KeyChangeState {
    KeyChangeState {
        savings: k.savings,
        db: k.db,
        key: text(&k.key),
        type_name: k.type_name.clone(),
        encoding: k.encoding.to_string(),
        elements: k.elements,
        now: k.now,
        after: k.after,
        confidence: k.confidence.as_str().into(),
        param: k.param,
        chunks: k.chunks,
        largest: k.largest.as_ref().map(|(b, n)| (text(b), *n)),
    }
}

fn key_change_of(k: KeyChangeState, total: Tally) -> R<KeyChange> {
    Ok(KeyChange {
        savings: within("a what-if's savings", k.savings, total.bytes)?,
        db: k.db,
        key: bytes_of(&k.key, "key")?,
        type_name: k.type_name,
        encoding: encoding(&k.encoding)?,
        elements: k.elements,
        now: within("a key's bytes", k.now, total.bytes)?,
        after: within("a key's bytes after", k.after, total.bytes)?,
        confidence: confidence(&k.confidence)?,
        // A chunk size, a size kept or a length: at most the key's
        // elements or bytes.
        param: within("a what-if's parameter", k.param, k.elements.max(k.now))?,
        chunks: within("a what-if's chunks", k.chunks, k.elements.max(k.now))?,
        largest: match k.largest {
            Some((b, n)) => Some((bytes_of(&b, "largest element")?, n)),
            None => None,
        },
    })
}

fn family_state(hash: u64, f: &Family) -> FamilyState {
    let mut fields: Vec<(String, u64)> = f.fields.iter().map(|(k, n)| (text(k), *n)).collect();
    fields.sort();
    FamilyState {
        hash,
        pattern: text(&f.pattern),
        keys: f.keys,
        now: f.now,
        confidence: f.confidence.map(|c| c.as_str().into()),
        entries: f.entries,
        entity_len: f.entity_len,
        fields,
        unfit: f.unfit,
    }
}

fn family_of(f: FamilyState, total: Tally) -> R<Family> {
    let fields: Vec<(Vec<u8>, u64)> = f
        .fields
        .into_iter()
        .map(|(k, n)| {
            Ok((
                bytes_of(&k, "field")?,
                within("a field's keys", n, total.keys)?,
            ))
        })
        .collect::<R<_>>()?;
    if fields.len() > super::doctor::MAX_FIELDS {
        return Err(format!("a family with {} field names", fields.len()));
    }
    if f.keys == 0 {
        return Err("an entity family without keys".into());
    }
    for (_, n) in &fields {
        within("a field's keys", *n, f.keys)?;
    }
    Ok(Family {
        pattern: bytes_of(&f.pattern, "pattern")?,
        keys: within("a family's keys", f.keys, total.keys)?,
        now: within("a family's bytes", f.now, total.bytes)?,
        confidence: f.confidence.as_deref().map(confidence).transpose()?,
        entries: within("a family's entries", f.entries, total.bytes)?,
        entity_len: within("a family's key lengths", f.entity_len, total.bytes)?,
        fields,
        unfit: f.unfit,
    })
}

fn target_state(t: &Target) -> TargetState {
    TargetState {
        profile: t.profile.to_string(),
        allocator: t.allocator.to_string(),
        thresholds: t.thresholds.clone(),
    }
}

pub(crate) fn target_of(t: &TargetState) -> R<Target> {
    let profile = t.profile.parse().map_err(|e| format!("{e}"))?;
    let allocator = t.allocator.parse().map_err(|e| format!("{e}"))?;
    let mut target = Target::new(profile, allocator);
    target.thresholds = t.thresholds.clone();
    Ok(target)
}

fn doctor_state(d: &DoctorAcc) -> DoctorState {
    DoctorState {
        dist: d
            .dist
            .iter()
            .map(|(t, v)| (t.clone(), (v.bytes.state(), v.elements.state())))
            .collect(),
        big: top_state(&d.big, key_change_state),
        big_keys: d.big_keys.map(TallyDoc::from),
        split: top_state(&d.split, key_change_state),
        split_all: change_state(&d.split_all),
        listpack: d
            .listpack
            .iter()
            .map(|(t, (rows, base))| (t.clone(), (rows.each_ref().map(change_state), *base)))
            .collect(),
        trim: top_state(&d.trim, key_change_state),
        trim_all: change_state(&d.trim_all),
        families: d
            .families
            .iter()
            .map(|(h, f)| family_state(*h, f))
            .collect(),
        sample: d.sample.state(),
        cold: d.cold.into(),
        cold_confidence: d.cold_confidence.as_str().into(),
        idle_known: d.idle_known,
        lfu_known: d.lfu_known,
        target: d.target.as_ref().map(target_state),
    }
}

fn doctor_of(mut acc: DoctorAcc, d: DoctorState, total: Tally) -> R<DoctorAcc> {
    for (t, (bytes, elements)) in d.dist {
        list_type_name(&t)?;
        if bytes.n != elements.n {
            return Err(format!(
                "type {t:?}: {} sizes, {} element counts",
                bytes.n, elements.n
            ));
        }
        let d = acc.dist.entry(&t, TypeDist::default);
        d.bytes
            .merge(&super::doctor::LogHist::from_state(bytes, total.keys)?);
        d.elements
            .merge(&super::doctor::LogHist::from_state(elements, total.keys)?);
    }
    let kc = |k| key_change_of(k, total);
    let n = acc.cfg.top;
    acc.big = top_of(d.big, n, kc)?;
    acc.big_keys = [
        tally_within("big keys", d.big_keys[0], total)?,
        tally_within("huge keys", d.big_keys[1], total)?,
    ];
    acc.split = top_of(d.split, n, kc)?;
    acc.split_all = change_of(d.split_all, total)?;
    for (t, (rows, base)) in d.listpack {
        list_type_name(&t)?;
        let mut changes = [Change::default(); 3];
        for (c, s) in changes.iter_mut().zip(rows) {
            *c = change_of(s, total)?;
        }
        let (mine, b) = acc.listpack.entry(&t, Default::default);
        *b = (*b).max(base);
        for (a, c) in mine.iter_mut().zip(changes) {
            a.merge(c);
        }
    }
    acc.trim = top_of(d.trim, n, kc)?;
    acc.trim_all = change_of(d.trim_all, total)?;
    if d.families.len() > super::doctor::MAX_FAMILIES {
        return Err(format!("{} entity families", d.families.len()));
    }
    for f in d.families {
        let hash = f.hash;
        if acc.families.insert(hash, family_of(f, total)?).is_some() {
            return Err(format!("entity family {hash} twice"));
        }
    }
    let target = d.target.as_ref().map(target_of).transpose()?;
    acc.sample = super::doctor::Sample::from_state(acc.cfg.sample, d.sample, total)?;
    acc.cold = tally_within("cold keys", d.cold, total)?;
    acc.cold_confidence = confidence(&d.cold_confidence)?;
    acc.idle_known = within("keys with an idle time", d.idle_known, total.keys)?;
    acc.lfu_known = within("keys with an LFU counter", d.lfu_known, total.keys)?;
    acc.target = target;
    Ok(acc)
}
