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
//! slower).

use foldhash::HashMap;

use super::prefix::{Classes, PrefixConfig, PrefixStats, PrefixTree, first_segment};

/// Entries kept before giving up.
const MAX_PAIRS: usize = 1 << 21;
/// Distinct labels (segment and whether keys go on past it) kept.
const MAX_LABELS: usize = 1 << 16;
/// Entries logged before they are counted into the table (at least; a
/// quarter of the table once it is larger, so counting stays linear).
const LOG: usize = 1 << 13;
/// The count bits of an entry; a (slot, label) past them goes on in a
/// second entry, and readers add entries up.
const COUNT: u64 = 0xffff;

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
        let Ok(slot) = u32::try_from(slot) else {
            return self.lose();
        };
        let deeper = first_segment(&self.cfg, &self.classes, key, &mut self.seg);
        let mut seg = std::mem::take(&mut self.seg);
        seg.push(u8::from(deeper));
        let id = self.id(&seg);
        self.seg = seg;
        let Some(id) = id else {
            return self.lose();
        };
        self.log.push(entry(slot, id, 1));
        if self.log.len() >= LOG.max(self.table.len() / 4) {
            self.compact();
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

    /// Counts sorted entries into the table; past [`MAX_PAIRS`], gives up.
    fn absorb(&mut self, sorted: &[u64]) {
        self.table = merge_sorted(&self.table, sorted);
        if self.table.len() > MAX_PAIRS {
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
        for &e in self.table.iter().chain(&self.log) {
            if !contains(i64::from(slot_of(e)).saturating_mul(slot_ms)) {
                continue;
            }
            let (&deeper, seg) = self.labels.get(usize::from(label_of(e)))?.split_last()?;
            let s = PrefixStats {
                keys: e & COUNT,
                ..Default::default()
            };
            t.add_first(seg, deeper == 1, &s);
        }
        Some(t.first_level_by_keys(top))
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
