//! The top-level prefix of the keys behind each expiry slot, kept by the
//! one scan so that the clusters found at the end are named without a
//! second walk over the files.
//!
//! Each key with a future expiry logs one 8-byte entry: its slot as
//! [`super::expiry`] counts it (32 bits), its label (16 bits: an index
//! into this accumulator's first segments, cut as the prefix tree cuts
//! them, and whether the key goes on past it) and a count of 1. Now and
//! then the log is sorted and counted into a sorted table of the same
//! entries (a sort of a few thousand words costs less than a cache-missing
//! lookup per key): 2.2 MB for the 279 k (second, label) pairs of the 1 GB
//! benchmark dump. The state is bounded: past [`MAX_PAIRS`] entries or
//! [`MAX_LABELS`] labels, or on a slot that does not fit 32 bits, it is
//! dropped and the caller walks the files again (exact either way; only
//! slower). Slots past 32 bits (expiry times before 1970 or after 2106,
//! which some applications use for "never") go to a short list of their
//! own, counted the same way.

use foldhash::HashMap;

use super::prefix::{Classes, PrefixConfig, PrefixStats, PrefixTree, first_segment};

/// Entries kept before giving up.
const MAX_PAIRS: usize = 1 << 21;
/// Entries kept when states are merged (`rdbscope merge`): its memory
/// follows the reports it reads, not a dump, and names found from the
/// states are exact, so it keeps more (256 MiB of entries) before giving up.
const MERGED_MAX_PAIRS: usize = 1 << 25;
/// Distinct labels (segment and whether keys go on past it) kept.
const MAX_LABELS: usize = 1 << 16;
/// Entries logged before they are counted into the table (at least; a
/// quarter of the table once it is larger, so counting stays linear).
const LOG: usize = 1 << 13;
/// The count bits of an entry; a (slot, label) past them goes on in a
/// second entry, and readers add entries up.
const COUNT: u64 = 0xffff;
/// Distinct (slot, label) pairs of slots past 32 bits kept.
const MAX_FAR: usize = 1 << 16;

#[derive(Clone, Debug)]
pub(crate) struct SlotLabels {
    classes: Classes,
    cfg: PrefixConfig,
    seg: Vec<u8>,
    /// The first segment as the tree keys it, then 1 if keys go on past
    /// it (else 0) → label.
    ids: HashMap<Box<[u8]>, u16>,
    /// Label → the same bytes.
    labels: Vec<Box<[u8]>>,
    /// `slot << 32 | label << 16 | count`, not yet counted.
    log: Vec<u64>,
    /// Counted entries, sorted.
    table: Vec<u64>,
    lost: bool,
    /// Entries kept before giving up ([`MAX_PAIRS`] in a scan).
    max_pairs: usize,
    /// (slot, label, keys) of slots past 32 bits; counted (sorted, one
    /// per pair) whenever it doubles.
    far: Vec<(i64, u16, u64)>,
    far_counted: usize,
}

impl SlotLabels {
    /// Labels cut with `cfg`'s delimiters and generalization.
    pub(crate) fn new(cfg: &PrefixConfig) -> SlotLabels {
        SlotLabels {
            classes: Classes::new(&cfg.delimiters),
            cfg: PrefixConfig {
                depth: 1,
                ..cfg.clone()
            },
            seg: Vec::new(),
            ids: HashMap::default(),
            labels: Vec::new(),
            log: Vec::new(),
            table: Vec::new(),
            lost: false,
            max_pairs: MAX_PAIRS,
            far: Vec::new(),
            far_counted: 0,
        }
    }

    /// Whether the entries were dropped (the caller must walk the files).
    pub(crate) fn lost(&self) -> bool {
        self.lost
    }

    fn lose(&mut self) {
        self.lost = true;
        self.ids = HashMap::default();
        self.labels = Vec::new();
        self.log = Vec::new();
        self.table = Vec::new();
        self.far = Vec::new();
    }

    /// The label of a first segment and its deeper byte, made if new;
    /// `None` past [`MAX_LABELS`].
    fn id(&mut self, label: &[u8]) -> Option<u16> {
        // Looked up by a borrowed key; copied only when new.
        if let Some(&id) = self.ids.get(label) {
            return Some(id);
        }
        if self.labels.len() >= MAX_LABELS {
            return None;
        }
        let id = u16::try_from(self.labels.len()).ok()?;
        self.ids.insert(label.into(), id);
        self.labels.push(label.into());
        Some(id)
    }

    /// One key expiring in `slot`.
    pub(crate) fn add(&mut self, slot: i64, key: &[u8]) {
        if self.lost {
            return;
        }
        let deeper = first_segment(&self.cfg, &self.classes, key, &mut self.seg);
        let mut seg = std::mem::take(&mut self.seg);
        seg.push(u8::from(deeper));
        let id = self.id(&seg);
        self.seg = seg;
        let Some(id) = id else {
            return self.lose();
        };
        let Ok(slot) = u32::try_from(slot) else {
            self.far.push((slot, id, 1));
            if self.far.len() > 2 * self.far_counted.max(LOG) {
                self.count_far();
            }
            return;
        };
        self.log.push(entry(slot, id, 1));
        if self.log.len() >= LOG.max(self.table.len() / 4) {
            self.compact();
        }
    }

    /// One entry per (slot, label) of the far list; past [`MAX_FAR`],
    /// gives up.
    fn count_far(&mut self) {
        count_pairs(&mut self.far);
        self.far_counted = self.far.len();
        if self.far.len() > MAX_FAR {
            self.lose();
        }
    }

    /// Counts the log into the table.
    fn compact(&mut self) {
        if self.log.is_empty() || self.lost {
            return;
        }
        let mut log = std::mem::take(&mut self.log);
        log.sort_unstable();
        self.absorb(&log);
        log.clear();
        if !self.lost {
            self.log = log;
        }
    }

    /// Counts sorted entries into the table; past `max_pairs`, gives up.
    fn absorb(&mut self, sorted: &[u64]) {
        self.table = merge_sorted(&self.table, sorted);
        if self.table.len() > self.max_pairs {
            self.lose();
        }
    }

    /// Slots counted by a wider width: `wider` maps an old slot to its new
    /// one (and keeps their order).
    pub(crate) fn coarsen(&mut self, wider: impl Fn(i64) -> i64) {
        self.compact();
        if self.lost {
            return;
        }
        for e in &mut self.far {
            e.0 = wider(e.0);
        }
        self.count_far();
        if self.lost {
            return;
        }
        let mut table = std::mem::take(&mut self.table);
        for e in &mut table {
            match u32::try_from(wider(i64::from(slot_of(*e)))) {
                Ok(s) => *e = u64::from(s) << 32 | (*e & 0xffff_ffff),
                Err(_) => return self.lose(),
            }
        }
        // Labels within a new slot are out of order.
        table.sort_unstable();
        self.table = merge_sorted(&table, &[]);
    }

    /// Adds another accumulator's entries (slots of the same width).
    pub(crate) fn merge(&mut self, mut o: SlotLabels) {
        o.compact();
        if o.lost {
            return self.lose();
        }
        if self.lost {
            return;
        }
        // Its labels as mine.
        let mut map = Vec::with_capacity(o.labels.len());
        for label in &o.labels {
            match self.id(label) {
                Some(id) => map.push(id),
                None => return self.lose(),
            }
        }
        let mut theirs = Vec::with_capacity(o.table.len());
        for &e in &o.table {
            match map.get(usize::from(label_of(e))) {
                Some(&id) => theirs.push(entry(slot_of(e), id, e & COUNT)),
                None => return self.lose(),
            }
        }
        for &(slot, label, n) in &o.far {
            match map.get(usize::from(label)) {
                Some(&id) => self.far.push((slot, id, n)),
                None => return self.lose(),
            }
        }
        self.count_far();
        if self.lost {
            return;
        }
        theirs.sort_unstable();
        self.compact();
        self.absorb(&theirs);
    }

    /// The top-level prefixes (as the prefix report shows them) of the keys
    /// in the slots that `contains` accepts (a slot is given by its start,
    /// ms), by keys then prefix, at most `top`. `None` if the entries were
    /// dropped.
    pub(crate) fn top_prefixes(
        &self,
        slot_ms: i64,
        contains: impl Fn(i64) -> bool,
        top: usize,
    ) -> Option<Vec<(Vec<u8>, u64)>> {
        if self.lost {
            return None;
        }
        let mut t = PrefixTree::new(self.cfg.clone());
        let near = self.table.iter().chain(&self.log);
        let entries = near
            .map(|&e| (i64::from(slot_of(e)), label_of(e), e & COUNT))
            .chain(self.far.iter().copied());
        for (slot, label, keys) in entries {
            if !contains(slot.saturating_mul(slot_ms)) {
                continue;
            }
            let (&deeper, seg) = self.labels.get(usize::from(label))?.split_last()?;
            let s = PrefixStats {
                keys,
                ..Default::default()
            };
            t.add_first(seg, deeper == 1, &s);
        }
        Some(t.first_level_by_keys(top))
    }
}

impl SlotLabels {
    /// As a state document: labels sorted, entries by (slot, label).
    pub(crate) fn state(&self) -> crate::report::state_doc::LabelsState {
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        order.sort_by(|&a, &b| self.labels[a].cmp(&self.labels[b]));
        let mut new_id = vec![0u16; self.labels.len()];
        for (new, &old) in order.iter().enumerate() {
            // At most MAX_LABELS labels: ids fit.
            new_id[old] = new as u16;
        }
        let mut entries: Vec<u64> = self
            .table
            .iter()
            .chain(&self.log)
            .map(|&e| entry(slot_of(e), new_id[usize::from(label_of(e))], e & COUNT))
            .collect();
        entries.sort_unstable();
        let entries = merge_sorted(&[], &entries);
        let mut far: Vec<(i64, u16, u64)> = self
            .far
            .iter()
            .map(|&(s, l, n)| (s, new_id[usize::from(l)], n))
            .collect();
        count_pairs(&mut far);
        crate::report::state_doc::LabelsState {
            far,
            labels: order
                .iter()
                .map(|&i| {
                    let (deeper, seg) = self.labels[i].split_last().unwrap_or((&0, &[]));
                    (crate::escape::escape(seg).into_owned(), *deeper == 1)
                })
                .collect(),
            entries: crate::report::state_doc::EntryColumns::of(
                &entries
                    .iter()
                    .map(|&e| (slot_of(e), label_of(e), e & COUNT))
                    .collect::<Vec<_>>(),
            ),
        }
    }

    /// Reads a [`SlotLabels::state`] back, cut with `cfg`; at most `keys`
    /// keys in all. Past the bounds the scan keeps, it is lost, as the
    /// scan's would be.
    pub(crate) fn from_state(
        cfg: &PrefixConfig,
        s: crate::report::state_doc::LabelsState,
        keys: u64,
    ) -> Result<SlotLabels, String> {
        let mut theirs = SlotLabels::new(cfg);
        theirs.max_pairs = MERGED_MAX_PAIRS;
        if s.labels.len() > MAX_LABELS || s.entries.len() > MERGED_MAX_PAIRS {
            theirs.lose();
            return Ok(theirs);
        }
        for (seg, deeper) in &s.labels {
            let mut l = crate::report::state_doc::bytes_of(seg, "expiry label")?;
            // A tree key: the byte before the segment, then the segment.
            if l.is_empty() {
                return Err("an empty expiry label".into());
            }
            l.push(u8::from(*deeper));
            theirs.labels.push(l.into_boxed_slice());
        }
        let mut sum = 0u64;
        for (slot, label, count) in s.entries.rows()? {
            if usize::from(label) >= theirs.labels.len() || count == 0 || count > COUNT {
                return Err(format!(
                    "expiry label entry ({slot}, {label}, {count}) out of range"
                ));
            }
            sum = sum.saturating_add(count);
            crate::report::state_doc::within("keys by expiry label", sum, keys)?;
            theirs.table.push(entry(slot, label, count));
        }
        if s.far.len() > MAX_FAR {
            theirs.lose();
            return Ok(theirs);
        }
        for (slot, label, count) in s.far {
            if usize::from(label) >= theirs.labels.len() || count == 0 {
                return Err(format!(
                    "expiry label entry ({slot}, {label}, {count}) out of range"
                ));
            }
            sum = sum.saturating_add(count);
            crate::report::state_doc::within("keys by expiry label", sum, keys)?;
            theirs.far.push((slot, label, count));
        }
        theirs.table.sort_unstable();
        // Its labels as ids of a fresh one (a label given twice is one).
        let mut out = SlotLabels::new(cfg);
        out.max_pairs = MERGED_MAX_PAIRS;
        out.merge(theirs);
        Ok(out)
    }
}

/// Sorts (slot, label, keys) and adds up the keys of each pair.
fn count_pairs(v: &mut Vec<(i64, u16, u64)>) {
    v.sort_unstable_by_key(|e| (e.0, e.1));
    // `dedup_by` passes the later element first; it is the one removed.
    v.dedup_by(|later, kept| {
        let same = (kept.0, kept.1) == (later.0, later.1);
        if same {
            kept.2 = kept.2.saturating_add(later.2);
        }
        same
    });
}

impl SlotLabels {
    /// Keys per slot, by slot (what the labels count; `lost` counts none).
    pub(crate) fn keys_by_slot(&self) -> Vec<(i64, u64)> {
        // Counted as pairs of one label: the keys of each slot added up.
        let mut v: Vec<(i64, u16, u64)> = self
            .table
            .iter()
            .chain(&self.log)
            .map(|&e| (i64::from(slot_of(e)), 0, e & COUNT))
            .chain(self.far.iter().map(|&(s, _, n)| (s, 0, n)))
            .collect();
        count_pairs(&mut v);
        v.into_iter().map(|(s, _, n)| (s, n)).collect()
    }
}

fn entry(slot: u32, label: u16, count: u64) -> u64 {
    u64::from(slot) << 32 | u64::from(label) << 16 | count
}

fn slot_of(e: u64) -> u32 {
    (e >> 32) as u32
}

fn label_of(e: u64) -> u16 {
    (e >> 16) as u16
}

/// Two sorted runs of entries as one sorted table, the counts of one
/// (slot, label) added up (past [`COUNT`], a new entry goes on).
fn merge_sorted(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let e = if j == b.len() || (i < a.len() && a[i] <= b[j]) {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        if let Some(last) = out.last_mut()
            && *last >> 16 == e >> 16
        {
            let sum = (*last & COUNT) + (e & COUNT);
            if sum <= COUNT {
                *last = (*last & !COUNT) | sum;
                continue;
            }
            // Fill this entry, go on in the next.
            *last |= COUNT;
            out.push((e & !COUNT) | (sum - COUNT));
            continue;
        }
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts past 16 bits go on in a second entry; names add them up.
    #[test]
    fn counts_past_16_bits_go_on() {
        let mut l = SlotLabels::new(&PrefixConfig::default());
        for _ in 0..(COUNT * 2 + 5) {
            l.add(7, b"a:1");
        }
        l.add(7, b"b");
        l.compact();
        assert_eq!(l.table.len(), 4, "{:x?}", l.table);
        let names = l.top_prefixes(1000, |_| true, 3).expect("kept");
        assert_eq!(
            names,
            vec![(b"a:*".to_vec(), COUNT * 2 + 5), (b"b".to_vec(), 1)]
        );
    }

    /// Slots past 32 bits are kept apart, counted and named the same way,
    /// through a merge and a state read back.
    #[test]
    fn far_slots_are_named() {
        let cfg = PrefixConfig::default();
        let (far, past) = (5_000_000_000i64, -7i64);
        let mut a = SlotLabels::new(&cfg);
        let mut b = SlotLabels::new(&cfg);
        for i in 0..(2 * LOG + 3) {
            a.add(far, format!("never:{i}").as_bytes());
        }
        b.add(far, b"never:x");
        b.add(far, b"other");
        b.add(past, b"old:1");
        b.add(9, b"near:1");
        a.merge(b);
        let back = SlotLabels::from_state(&cfg, a.state(), u64::MAX).expect("reads back");
        for l in [&a, &back] {
            assert!(!l.lost());
            let at = |slot: i64| {
                l.top_prefixes(1000, |ms| ms == slot * 1000, 3)
                    .expect("kept")
            };
            let n = (2 * LOG + 4) as u64;
            assert_eq!(
                at(far),
                vec![(b"never:*".to_vec(), n), (b"other".to_vec(), 1)]
            );
            assert_eq!(at(past), vec![(b"old:*".to_vec(), 1)]);
            assert_eq!(at(9), vec![(b"near:*".to_vec(), 1)]);
        }
    }

    /// More distinct labels than kept: dropped.
    #[test]
    fn too_many_labels_are_dropped() {
        let mut l = SlotLabels::new(&PrefixConfig::default());
        let word = |mut n: usize| {
            let mut w = b"w".to_vec();
            for _ in 0..4 {
                w.push(b'a' + (n % 26) as u8);
                n /= 26;
            }
            w
        };
        for n in 0..MAX_LABELS {
            l.add(1, &word(n));
        }
        assert!(!l.lost());
        l.add(1, &word(MAX_LABELS));
        assert!(l.lost());
        assert!(l.top_prefixes(1000, |_| true, 3).is_none());
    }
}
