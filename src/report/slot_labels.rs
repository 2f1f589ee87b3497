//! The top-level prefix of the keys behind each expiry slot, kept by the
//! one scan so that the clusters found at the end are named without a
//! second walk over the files.
//!
//! Each key with a future expiry adds one `(slot, label)` pair: the slot
//! as [`super::expiry`] counts it and a 31-bit hash of the key's first
//! prefix segment (cut as the prefix tree cuts it), with one bit for
//! whether the key goes on past it. Pairs are counted in a sorted table
//! (12 bytes a pair: 3.3 MB for the 1 GB benchmark dump's 2 M TTL keys
//! in 279 k pairs).
//! The state is bounded: past [`MAX_PAIRS`] pairs or [`MAX_LABELS`]
//! labels, a hash shared by two labels, or a slot that does not fit 32
//! bits, it is dropped and the caller walks the files again (exact either
//! way; only slower).

use foldhash::HashMap;

use super::prefix::{Classes, PrefixConfig, PrefixStats, PrefixTree, first_segment};

/// Distinct (slot, label) pairs kept before giving up.
const MAX_PAIRS: usize = 1 << 21;
/// Distinct labels kept before giving up.
const MAX_LABELS: usize = 1 << 16;
/// Pairs logged before they are sorted into the table (at least).
const LOG: usize = 1 << 13;

#[derive(Clone, Debug)]
pub(crate) struct SlotLabels {
    classes: Classes,
    cfg: PrefixConfig,
    seg: Vec<u8>,
    /// Label hash (deeper bit clear) → the segment as the tree keys it.
    names: HashMap<u32, Box<[u8]>>,
    /// `slot << 32 | label`, one per key, not yet counted.
    log: Vec<u64>,
    /// Sorted, distinct `slot << 32 | label` and their key counts.
    keys: Vec<u64>,
    counts: Vec<u32>,
    lost: bool,
}

impl SlotLabels {
    /// Labels cut with `cfg`'s delimiters and generalization.
    pub(crate) fn new(cfg: &PrefixConfig) -> SlotLabels {
        SlotLabels {
            classes: Classes::new(&cfg.delimiters),
            cfg: PrefixConfig {
                depth: 2,
                ..cfg.clone()
            },
            seg: Vec::new(),
            names: HashMap::default(),
            log: Vec::new(),
            keys: Vec::new(),
            counts: Vec::new(),
            lost: false,
        }
    }

    /// Whether the pairs were dropped (the caller must walk the files).
    pub(crate) fn lost(&self) -> bool {
        self.lost
    }

    fn lose(&mut self) {
        self.lost = true;
        self.names = HashMap::default();
        self.log = Vec::new();
        self.keys = Vec::new();
        self.counts = Vec::new();
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
        let h = label_hash(&self.seg);
        match self.names.get(&h) {
            Some(name) if **name == *self.seg => {}
            Some(_) => return self.lose(),
            None => {
                if self.names.len() >= MAX_LABELS {
                    return self.lose();
                }
                self.names.insert(h, self.seg.as_slice().into());
            }
        }
        self.log
            .push(u64::from(slot) << 32 | u64::from(h << 1 | u32::from(deeper)));
        if self.log.len() >= LOG.max(self.keys.len() / 4) {
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
        let (mut keys, mut counts) = (Vec::new(), Vec::new());
        for k in log.iter().copied() {
            match keys.last() {
                Some(&last) if last == k => *counts.last_mut().expect("paired") += 1,
                _ => {
                    keys.push(k);
                    counts.push(1u32);
                }
            }
        }
        log.clear();
        self.log = log;
        self.absorb(&keys, &counts);
    }

    /// Adds sorted, distinct pairs to the table.
    fn absorb(&mut self, keys: &[u64], counts: &[u32]) {
        let (a, ac) = (
            std::mem::take(&mut self.keys),
            std::mem::take(&mut self.counts),
        );
        let n = a.len() + keys.len();
        let (mut k, mut c) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < keys.len() {
            let take_a = j == keys.len() || (i < a.len() && a[i] <= keys[j]);
            let take_b = i == a.len() || (j < keys.len() && keys[j] <= a[i]);
            let (key, count) = match (take_a, take_b) {
                (true, true) => match ac[i].checked_add(counts[j]) {
                    Some(s) => (a[i], s),
                    None => return self.lose(),
                },
                (true, false) => (a[i], ac[i]),
                _ => (keys[j], counts[j]),
            };
            i += usize::from(take_a);
            j += usize::from(take_b);
            k.push(key);
            c.push(count);
        }
        if k.len() > MAX_PAIRS {
            return self.lose();
        }
        self.keys = k;
        self.counts = c;
    }

    /// Slots counted by a wider width: `wider` maps an old slot to its new one.
    pub(crate) fn coarsen(&mut self, wider: impl Fn(i64) -> i64) {
        if self.lost {
            return;
        }
        let remap = |k: u64| -> Option<u64> {
            let slot = u32::try_from(wider((k >> 32) as i64)).ok()?;
            Some(u64::from(slot) << 32 | (k & 0xffff_ffff))
        };
        let mut log = Vec::with_capacity(self.log.len());
        for &k in &self.log {
            match remap(k) {
                Some(k) => log.push(k),
                None => return self.lose(),
            }
        }
        let mut pairs = Vec::with_capacity(self.keys.len());
        for (&k, &c) in self.keys.iter().zip(&self.counts) {
            match remap(k) {
                Some(k) => pairs.push((k, c)),
                None => return self.lose(),
            }
        }
        pairs.sort_unstable_by_key(|p| p.0);
        self.keys.clear();
        self.counts.clear();
        let mut merged: (Vec<u64>, Vec<u32>) = (Vec::new(), Vec::new());
        for (k, c) in pairs {
            if merged.0.last() == Some(&k) {
                let last = merged.1.last_mut().expect("paired");
                match last.checked_add(c) {
                    Some(s) => *last = s,
                    None => return self.lose(),
                }
            } else {
                merged.0.push(k);
                merged.1.push(c);
            }
        }
        (self.keys, self.counts) = merged;
        self.log = log;
        self.compact();
    }

    /// Adds another accumulator's pairs (slots of the same width).
    pub(crate) fn merge(&mut self, mut o: SlotLabels) {
        if o.lost {
            return self.lose();
        }
        if self.lost {
            return;
        }
        for (h, name) in std::mem::take(&mut o.names) {
            match self.names.get(&h) {
                Some(mine) if *mine == name => {}
                Some(_) => return self.lose(),
                None => {
                    if self.names.len() >= MAX_LABELS {
                        return self.lose();
                    }
                    self.names.insert(h, name);
                }
            }
        }
        o.compact();
        if o.lost {
            return self.lose();
        }
        self.compact();
        self.absorb(&o.keys, &o.counts);
    }

    /// The top-level prefixes (as the prefix report shows them) of the keys
    /// in the slots that `contains` accepts (a slot is given by its start,
    /// ms), by keys then prefix, at most `top`. `None` if the pairs were
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
        let logged = self.log.iter().map(|&k| (k, 1u32));
        let counted = self.keys.iter().copied().zip(self.counts.iter().copied());
        for (k, c) in counted.chain(logged) {
            let slot = i64::from((k >> 32) as u32);
            if !contains(slot.saturating_mul(slot_ms)) {
                continue;
            }
            let label = k as u32;
            let name = self.names.get(&(label >> 1))?;
            let s = PrefixStats {
                keys: c.into(),
                ..Default::default()
            };
            t.add_first(name, label & 1 == 1, &s);
        }
        Some(t.first_level_by_keys(top))
    }
}

/// A 31-bit hash of a label (the same in every thread and run).
fn label_hash(seg: &[u8]) -> u32 {
    use std::hash::BuildHasher;
    let h = foldhash::fast::FixedState::with_seed(0x736c_6f74_6c61_6265).hash_one(seg);
    (h >> 33) as u32
}
